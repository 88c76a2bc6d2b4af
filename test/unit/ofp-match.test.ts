import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError } from '../../src/openflow/ofp-errors';
import {
  decodeMatch, decodeOfp10Match, decodeOfp11Match, encodeMatch, encodeOfp10Match, encodeOfp11Match,
  matchOfp10Expressible, normalizeMatch,
} from '../../src/openflow/ofp-match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';

interface GoldenCase { kind: 'ofp10' | 'ofp11'; input: string; text?: string; output?: string; normal?: string; error?: string }

const golden: { cases: GoldenCase[] } = JSON.parse(fs.readFileSync(
  path.join(__dirname, '../../../test/unit/golden/match-ofp10-ofp11.json'), 'utf8'));

test('ofp10_match decode, print, re-encode and normalise agree with ovs-ofctl parse-ofp10-match', () => {
  const cases = golden.cases.filter((c) => c.kind === 'ofp10');
  assert.ok(cases.length > 30);
  for (const c of cases) {
    const m = decodeOfp10Match(Buffer.from(c.input, 'hex'));
    assert.equal(formatMatch(m), c.text, c.input);
    assert.equal(encodeOfp10Match(m).toString('hex'), c.output, `${c.text}: re-encoding`);
    normalizeMatch(m);
    assert.equal(encodeOfp10Match(m).toString('hex'), c.normal, `${c.text}: normalised`);
  }
});

test('ofp11_match decode, print, re-encode and errors agree with ovs-ofctl parse-ofp11-match', () => {
  const cases = golden.cases.filter((c) => c.kind === 'ofp11');
  assert.ok(cases.length > 30);
  for (const c of cases) {
    const buf = Buffer.from(c.input, 'hex');
    if (c.error) {
      assert.throws(() => decodeOfp11Match(buf), (e: unknown) => e instanceof OfpError && e.err === c.error, c.input);
      continue;
    }
    const m = decodeOfp11Match(buf);
    assert.equal(formatMatch(m), c.text, c.input);
    assert.equal(encodeOfp11Match(m).toString('hex'), c.output, `${c.text}: re-encoding`);
  }
});

test('decodeMatch dispatches on version and ofp_match type, with the bytes consumed', () => {
  const { match } = parseMatch('tcp,in_port=3,nw_dst=10.1.0.0/16,tp_dst=80');
  const of10 = encodeMatch(1, match);
  assert.equal(of10.length, 40);
  assert.deepEqual(decodeMatch(1, Buffer.concat([Buffer.alloc(4), of10]), 4).length, 40);
  assert.ok(decodeMatch(1, of10, 0).match.equals(match));
  const of11 = encodeMatch(2, match);
  assert.equal(of11.length, 88);
  assert.ok(decodeMatch(2, of11, 0).match.equals(match));
  const of13 = encodeMatch(4, match);
  assert.equal(of13.length % 8, 0);
  const d = decodeMatch(4, Buffer.concat([of13, Buffer.alloc(8)]), 0);
  assert.equal(d.length, of13.length);
  assert.ok(d.match.equals(match));
  // An OpenFlow 1.3 message may carry a standard (1.1) match too, as OVS accepts.
  assert.ok(decodeMatch(4, of11, 0).match.equals(match));
});

test('decodeMatch rejects a bad ofp_match type or length', () => {
  const bad = Buffer.from('0002000800000000', 'hex');
  assert.throws(() => decodeMatch(4, bad, 0), (e: unknown) => e instanceof OfpError && e.err === 'OFPBMC_BAD_TYPE');
  const shortStd = Buffer.alloc(88);
  shortStd.writeUInt16BE(80, 2);
  assert.throws(() => decodeMatch(2, shortStd, 0), (e: unknown) => e instanceof OfpError && e.err === 'OFPBMC_BAD_LEN');
  const longOxm = Buffer.from('0001001080000004', 'hex');
  assert.throws(() => decodeMatch(4, longOxm, 0), (e: unknown) => e instanceof OfpError && e.err === 'OFPBMC_BAD_LEN');
  assert.throws(() => decodeMatch(1, Buffer.alloc(39), 0), (e: unknown) => e instanceof OfpError && e.err === 'OFPBMC_BAD_LEN');
});

test('OpenFlow 1.0 expressibility: CIDR and plain fields yes, NXM-only fields and bitwise masks no', () => {
  for (const text of ['ip,nw_src=10.0.0.0/8', 'dl_vlan=5,dl_vlan_pcp=3', 'in_port=LOCAL', 'udp,tp_src=53',
    'arp,arp_spa=1.2.3.4', 'vlan_tci=0x0000', 'ipv6']) {
    assert.ok(matchOfp10Expressible(parseMatch(text).match), text);
  }
  for (const text of ['reg0=1', 'ip,nw_src=10.0.0.1/255.0.255.0', 'tcp,tp_dst=0x50/0xfff0', 'ipv6,ipv6_src=::1',
    'dl_src=01:00:00:00:00:00/01:00:00:00:00:00', 'vlan_tci=0x1000/0x1000', 'ip,nw_ttl=3']) {
    assert.ok(!matchOfp10Expressible(parseMatch(text).match), text);
  }
  assert.throws(() => encodeMatch(1, parseMatch('reg0=1').match, { strict: true }),
    (e: unknown) => e instanceof OfpError && e.err === 'OFPBMC_BAD_FIELD');
  assert.equal(encodeMatch(1, parseMatch('reg0=1').match).readUInt32BE(0), 0x3820ff, 'lossy: everything wildcarded, as OVS writes it');
});

test('normalisation clears fields the match\'s own dl_type/nw_proto rule out, as OVS does for OF1.0 flow_mods', () => {
  // ovs-ofctl parse-ofp10-match prints the same "pre:" and "post:" texts for this input.
  const m = decodeOfp10Match(Buffer.from('000000000001000000000000000000000000ffff00000806080100000a0000010a00000200500050', 'hex'));
  assert.equal(formatMatch(m), 'arp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1,nw_tos=8,tp_src=80,tp_dst=80');
  assert.equal(normalizeMatch(m), true);
  assert.equal(formatMatch(m), 'arp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1');
  assert.equal(encodeOfp10Match(m).toString('hex'), '002000c00001000000000000000000000000ffff00000806000100000a0000010a00000200000000');
  assert.equal(normalizeMatch(m), false);
});

interface OfpTextCase { input: string; ofp10: { input: string; text: string; output: string };
  ofp11: { input: string; text: string; output: string } }
const texts: { cases: OfpTextCase[] } = JSON.parse(fs.readFileSync(
  path.join(__dirname, '../../../test/unit/golden/match-ofp-texts.json'), 'utf8'));

test('ofp10/ofp11 encodings of 235 match texts read back in ovs-ofctl as they do here', () => {
  assert.ok(texts.cases.length >= 150);
  const bad: string[] = [];
  for (const c of texts.cases) {
    const { match } = parseMatch(c.input);
    for (const [name, enc, dec, want] of [
      ['ofp10', encodeOfp10Match, decodeOfp10Match, c.ofp10],
      ['ofp11', encodeOfp11Match, decodeOfp11Match, c.ofp11],
    ] as const) {
      const ours = enc(match).toString('hex');
      if (ours !== want.input) bad.push(`${c.input} ${name}: encoding changed: ${ours}`);
      const back = dec(Buffer.from(want.input, 'hex'));
      if (formatMatch(back) !== want.text) bad.push(`${c.input} ${name}: "${formatMatch(back)}" != "${want.text}"`);
      if (enc(back).toString('hex') !== want.output) bad.push(`${c.input} ${name}: re-encoding differs from OVS`);
      if (matchOfp10Expressible(match) && name === 'ofp10' && formatMatch(match) !== want.text) {
        bad.push(`${c.input}: expressible in OF1.0 but OVS reads "${want.text}"`);
      }
    }
  }
  assert.deepEqual(bad, []);
});
