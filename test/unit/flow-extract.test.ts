import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { flowExtract } from '../../src/ofproto-dpif/flow-extract';
import { get, getIpv4, S, VLAN_CFI } from '../../src/ofproto-dpif/flow';
import { parseMatch } from '../../src/openflow/match-format';

/**
 * Golden packets and what `ovs-ofctl parse-packet` (OVS 3.1 flow_extract) makes of them; see the
 * file's `source` for how it was produced.
 */
const GOLDEN = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/flow-extract.json'), 'utf8')) as {
  cases: Array<{ name: string; packet: string; parsed: string }>;
};

/**
 * Slots parse-packet does not print: OVS keeps the IGMP group and the ND reserved word in
 * `nd_reserved` (igmp_group_ip4) and the first ND option's type in `tcp_flags`, without showing
 * them. They are checked separately below.
 */
const UNPRINTED = [S.nd_reserved, S.tcp_flags];

function isUnprinted(i: number): boolean {
  return UNPRINTED.some((s) => i >= s.offset && i < s.offset + s.len);
}

for (const c of GOLDEN.cases) {
  test(`flow extraction matches ovs-ofctl parse-packet: ${c.name}`, () => {
    const flow = flowExtract(Buffer.from(c.packet, 'hex'));
    // parse-packet also prints OVS's second VLAN slot (always empty with one tag) and checksums.
    const text = c.parsed.split(' ')[0].replace(/,?vlan_tci1=0x0000/, '');
    const { match } = parseMatch(text);
    for (let i = 0; i < flow.length; i++) {
      if (match.wc[i]) {
        assert.equal(flow[i] & match.wc[i], match.flow[i], `byte ${i} differs from "${text}"`);
      } else if (!isUnprinted(i)) {
        assert.equal(flow[i], 0, `byte ${i} is set, but "${text}" does not mention it`);
      }
    }
  });
}

test('the IGMP group goes to nd_reserved, as OVS keeps it in igmp_group_ip4', () => {
  const c = GOLDEN.cases.find((x) => x.name.startsWith('IGMP'))!;
  const flow = flowExtract(Buffer.from(c.packet, 'hex'));
  assert.equal(getIpv4(flow, S.nd_reserved), '0.0.0.1');
});

test('neighbor discovery keeps the reserved word and the first option type', () => {
  const ns = GOLDEN.cases.find((x) => x.name.startsWith('ICMPv6 neighbor solicitation with a source'))!;
  const na = GOLDEN.cases.find((x) => x.name.startsWith('ICMPv6 neighbor advertisement with a target'))!;
  const bad = GOLDEN.cases.find((x) => x.name.startsWith('neighbor solicitation with two'))!;
  assert.equal(get(flowExtract(Buffer.from(ns.packet, 'hex')), S.tcp_flags), 1, 'source link-layer option');
  const naFlow = flowExtract(Buffer.from(na.packet, 'hex'));
  assert.equal(get(naFlow, S.tcp_flags), 2, 'target link-layer option');
  assert.equal(get(naFlow, S.nd_reserved), 0x60000000, 'router/solicited/override flags');
  assert.equal(get(flowExtract(Buffer.from(bad.packet, 'hex')), S.tcp_flags), 1, 'an invalid option list still records the first type');
});

test('with vlan-limit 1 an 802.1ad frame yields its outer tag and the inner TPID as dl_type', () => {
  const frame = Buffer.from(
    '0a00000000020a000000000188a8' + '0064' + '8100' + '2005' + '0800' + '45000014000000004011000000000000000000000000',
    'hex',
  );
  const flow = flowExtract(frame, 3);
  assert.equal(get(flow, S.vlan_tci), 0x0064 | VLAN_CFI);
  assert.equal(get(flow, S.dl_type), 0x8100);
  assert.equal(get(flow, S.nw_proto), 0, 'nothing behind the second tag is parsed');
  assert.equal(get(flow, S.in_port), 3);
});

test('a tag whose CFI/DEI bit is clear on the wire is stored with the tag-present bit set', () => {
  const frame = Buffer.from('0a00000000020a00000000018100' + '6005' + '88cc' + '00'.repeat(30), 'hex');
  const flow = flowExtract(frame);
  assert.equal(get(flow, S.vlan_tci), 0x6005 | VLAN_CFI);
  assert.equal(get(flow, S.dl_type), 0x88cc);
});

test('random bytes never make extraction throw; a frame shorter than an Ethernet header yields no header fields', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let n = 0; n < 2000; n++) {
    const len = rnd() % 120;
    const p = Buffer.alloc(len);
    for (let i = 0; i < len; i++) p[i] = rnd();
    // Bias towards real Ethertypes so the L3/L4 parsers run.
    if (len >= 14) p.writeUInt16BE([0x0800, 0x86dd, 0x0806, 0x8100, 0x8847, 0x0042][rnd() % 6], 12);
    const flow = flowExtract(p);
    if (len < 14) assert.equal(get(flow, S.dl_type), 0);
  }
});
