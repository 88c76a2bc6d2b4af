import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  FLOW_LAYOUT, FLOW_LEN, MF_FIELDS, MfField, mfField, mfFieldByName, mfGetValue, mfIsPipelineField,
  mfIsValueValid, mfSetValue,
} from '../../src/openflow/meta-flow';
import { Match, checkPrereqs, mfArePrereqsOk } from '../../src/openflow/match';
import { OfpError } from '../../src/openflow/ofp-errors';

interface ManRow { name: string; extra: string | null; bytes: number; bits: number; maskable: boolean;
  writable: boolean; prereq: string; support: string }
const man: { fields: ManRow[] } = JSON.parse(fs.readFileSync(
  path.join(__dirname, '../../../test/unit/golden/match-fields.json'), 'utf8'));

/** ovs-fields(7) prerequisite wording → our MfPrereq. */
const PREREQ_TEXT: Record<string, string> = {
  none: 'NONE', Ethernet: 'ETHERNET', ARP: 'ARP', IPv4: 'IPV4', IPv6: 'IPV6', 'IPv4/IPv6': 'IP_ANY',
  'VLAN VID': 'VLAN_VID', MPLS: 'MPLS', NSH: 'NSH', CT: 'CT_VALID', TCP: 'TCP', UDP: 'UDP', SCTP: 'SCTP',
  ICMPv4: 'ICMPV4', ICMPv6: 'ICMPV6', ND: 'ND', 'ND solicit': 'ND_SOLICIT', 'ND advert': 'ND_ADVERT',
};

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

test('the field table agrees with ovs-fields(7): names, widths, masks, access, prerequisites, OXM version', () => {
  const ours = new Map(MF_FIELDS.map((f) => [f.name, f]));
  for (const row of man.fields) {
    const f = ours.get(row.name);
    assert.ok(f, `missing field ${row.name}`);
    assert.equal(f.extraName, row.extra ?? undefined, `${row.name} alias`);
    assert.equal(f.nBytes, row.bytes, `${row.name} bytes`);
    assert.equal(f.nBits, row.bits, `${row.name} bits`);
    assert.equal(f.maskable, row.maskable, `${row.name} maskable`);
    assert.equal(f.writable, row.writable, `${row.name} writable`);
    assert.equal(f.prereq, PREREQ_TEXT[row.prereq], `${row.name} prereq`);
    const of = /OF (1\.\d)\+/.exec(row.support);
    const std = f.headers.filter((h) => h.version).map((h) => h.version);
    assert.equal(std.length ? Math.min(...std) : undefined, of ? Number(of[1].slice(2)) + 1 : undefined, `${row.name} OXM version`);
    assert.equal(f.headers.length > 0, row.support !== '', `${row.name} has a code point`);
  }
  // What ovs-fields(7) does not document but OVS's field table has: datapath-internal fields.
  const extra = MF_FIELDS.map((f) => f.name).filter((n) => !man.fields.some((r) => r.name === n));
  assert.deepEqual(extra.sort(), ['dp_hash', 'recirc_id', 'tun_tos', 'tun_ttl']);
});

test('ids are table indexes and every name and alias resolves', () => {
  MF_FIELDS.forEach((f, i) => assert.equal(f.id, i));
  for (const f of MF_FIELDS) {
    assert.equal(mfFieldByName(f.name), f);
    if (f.extraName) assert.equal(mfFieldByName(f.extraName), f);
  }
  assert.equal(mfFieldByName('dl_src'), mfField('eth_src'));
  assert.equal(mfFieldByName('nosuchfield'), undefined);
  assert.throws(() => mfField('nosuchfield'));
});

test('storage slots tile the flow exactly and every field lies inside its slot', () => {
  const slots = Object.values(FLOW_LAYOUT).sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const s of slots) {
    assert.equal(s.offset, end);
    end += s.len;
  }
  assert.equal(end, FLOW_LEN);
  for (const f of MF_FIELDS) {
    assert.ok(f.storage.offset + f.storage.len <= FLOW_LEN, f.name);
    if (f.view) assert.ok(f.storage.len <= 4, `${f.name}: views are of slots of at most 4 bytes`);
    else if (!f.special) assert.equal(f.storage.len, f.nBytes, f.name);
  }
  // Registers are contiguous big-endian words, so xreg/xxreg are plain overlays.
  assert.equal(mfField('xreg1').storage.offset, FLOW_LAYOUT.reg2.offset);
  assert.equal(mfField('xxreg1').storage.offset, FLOW_LAYOUT.reg4.offset);
});

/** Writes `name`=`value` into a fresh flow and returns that slot's bytes. */
function setAndRead(name: string, value: string, slot: string, initial?: string): string {
  const flow = Buffer.alloc(FLOW_LEN);
  if (initial) hex(initial).copy(flow, FLOW_LAYOUT[slot].offset);
  mfSetValue(mfField(name), flow, hex(value));
  return flow.subarray(FLOW_LAYOUT[slot].offset, FLOW_LAYOUT[slot].offset + FLOW_LAYOUT[slot].len).toString('hex');
}

test('views translate between field values and storage bits as OVS mf_get/mf_set_flow_value', () => {
  assert.equal(setAndRead('dl_vlan', '0005', 'vlan_tci', 'e000'), 'f005', 'dl_vlan keeps PCP, sets CFI');
  assert.equal(setAndRead('dl_vlan', 'ffff', 'vlan_tci', 'f123'), '0000', 'OFP_VLAN_NONE strips the tag');
  assert.equal(setAndRead('vlan_vid', '1064', 'vlan_tci', '6000'), '7064', 'vlan_vid value carries OFPVID_PRESENT');
  assert.equal(setAndRead('vlan_vid', '0064', 'vlan_tci'), '0064', 'vlan_vid without OFPVID_PRESENT');
  assert.equal(setAndRead('vlan_pcp', '05', 'vlan_tci', '0007'), 'b007', 'PCP sets CFI');
  assert.equal(setAndRead('mpls_label', '000fffff', 'mpls_lse', '00000140'), 'fffff140');
  assert.equal(setAndRead('mpls_tc', '05', 'mpls_lse', 'fffff1ff'), 'fffffbff');
  assert.equal(setAndRead('mpls_ttl', '40', 'mpls_lse', '00001100'), '00001140');
  assert.equal(setAndRead('ip_dscp', '2e', 'nw_tos', '03'), 'bb', 'ip_dscp is shifted');
  assert.equal(setAndRead('nw_tos', 'b8', 'nw_tos', '01'), 'b9', 'nw_tos is not');
  assert.equal(setAndRead('nw_ecn', '02', 'nw_tos', 'b8'), 'ba');
  assert.equal(setAndRead('icmp_type', '08', 'tp_src', 'ffff'), '0008', 'ICMP type takes all of tp_src');
  assert.equal(setAndRead('arp_op', '0002', 'nw_proto'), '02');
  assert.equal(setAndRead('in_port_oxm', 'fffffffe', 'in_port'), 'fffe');
  assert.equal(setAndRead('in_port_oxm', '00000007', 'in_port'), '0007');
  assert.equal(setAndRead('xreg0', '0000000100000002', 'reg1'), '00000002', 'xreg0 low word is reg1');

  const flow = Buffer.alloc(FLOW_LEN);
  hex('fffe').copy(flow, FLOW_LAYOUT.in_port.offset);
  assert.equal(mfGetValue(mfField('in_port_oxm'), flow).toString('hex'), 'fffffffe');
  hex('f123').copy(flow, FLOW_LAYOUT.vlan_tci.offset);
  assert.equal(mfGetValue(mfField('vlan_vid'), flow).toString('hex'), '1123');
  assert.equal(mfGetValue(mfField('dl_vlan'), flow).toString('hex'), '0123');
  assert.equal(mfGetValue(mfField('vlan_pcp'), flow).toString('hex'), '07');
  hex('bb').copy(flow, FLOW_LAYOUT.nw_tos.offset);
  assert.equal(mfGetValue(mfField('ip_dscp'), flow).toString('hex'), '2e');
  assert.equal(mfGetValue(mfField('nw_tos'), flow).toString('hex'), 'b8');
  hex('ffffff05').copy(flow, FLOW_LAYOUT.nsh_path_hdr.offset);
  assert.equal(mfGetValue(mfField('nsh_spi'), flow).toString('hex'), 'ffffffff', 'all-ones SPI reads as 32 ones');
  assert.equal(mfGetValue(mfField('nsh_si'), flow).toString('hex'), '05');
  assert.throws(() => mfSetValue(mfField('eth_src'), flow, hex('0102')));
});

test('Match setters follow mf_set: exact, masked, wildcard, VLAN and mask-is-value quirks', () => {
  const m = Match.catchall();
  m.setField(mfField('dl_vlan_pcp'), hex('03'));
  assert.deepEqual(m.getField(mfField('vlan_tci')), { value: hex('7000'), mask: hex('f000') });
  m.setField(mfField('vlan_vid'), hex('1005'));
  assert.deepEqual(m.getField(mfField('vlan_tci')), { value: hex('7005'), mask: hex('ffff') });
  m.setField(mfField('vlan_vid'), hex('0000'), hex('0000'));
  assert.deepEqual(m.getField(mfField('vlan_tci')), { value: hex('7000'), mask: hex('f000') },
    'wildcarding the VID keeps the PCP (and CFI)');
  m.setField(mfField('vlan_pcp'), hex('00'), hex('00'));
  assert.ok(m.isCatchall(), 'wildcarding both halves drops the whole TCI match');

  m.setField(mfField('dl_vlan'), hex('ffff'));
  assert.deepEqual(m.getField(mfField('vlan_tci')), { value: hex('0000'), mask: hex('ffff') });

  const ip = Match.catchall();
  ip.setField(mfField('ip_src'), hex('0a0000ff'), hex('ffffff00'));
  assert.deepEqual(ip.getField(mfField('ip_src')), { value: hex('0a000000'), mask: hex('ffffff00') });
  assert.deepEqual(ip.getField(mfField('arp_spa')), ip.getField(mfField('ip_src')), 'arp_spa shares nw_src');

  const label = Match.catchall();
  label.setField(mfField('ipv6_label'), hex('00012345'), hex('000fffff'));
  assert.deepEqual(label.getField(mfField('ipv6_label')).mask, hex('ffffffff'), 'a full 20-bit mask is exact');

  const quirk = Match.catchall();
  quirk.setField(mfField('tun_erspan_ver'), hex('01'));
  assert.deepEqual(quirk.getField(mfField('tun_erspan_ver')), { value: hex('01'), mask: hex('01') });

  const ct = Match.catchall();
  ct.setField(mfField('ct_state'), hex('00000021'));
  assert.deepEqual(ct.getField(mfField('ct_state')).mask, hex('000000ff'), 'ct_state has 8 bits');

  assert.throws(() => Match.catchall().setField(mfField('nw_ttl'), hex('01'), hex('0f')),
    (e: unknown) => e instanceof OfpError && e.err === 'OFPBMC_BAD_MASK');
  assert.throws(() => Match.catchall().setField(mfField('in_port_oxm'), hex('0000ff00')),
    (e: unknown) => e instanceof OfpError && e.err === 'OFPBMC_BAD_VALUE');
  assert.throws(() => Match.catchall().setField(mfField('ip_src'), hex('0a')));
});

test('clone, equals and fields()', () => {
  const m = Match.catchall();
  m.setField(mfField('eth_type'), hex('0800'));
  m.setField(mfField('ip_src'), hex('01020304'));
  const c = m.clone();
  assert.ok(c.equals(m));
  c.setField(mfField('nw_ttl'), hex('05'));
  assert.ok(!c.equals(m));
  assert.deepEqual(m.fields().map((f) => f.name), ['eth_type', 'ip_src']);
  assert.throws(() => new Match(Buffer.alloc(3)));
});

test('value validity follows mf_is_value_valid', () => {
  const ok: Array<[string, string]> = [['ip_dscp', '3f'], ['vlan_vid', '1fff'], ['in_port_oxm', 'ffffff00'],
    ['in_port_oxm', '0000feff'], ['tcp_flags', '0fff'], ['nsh_mdtype', '02'], ['tun_erspan_ver', 'ff'],
    ['arp_op', '00ff'], ['ct_state', '000000ff'], ['eth_src', 'ffffffffffff']];
  const bad: Array<[string, string]> = [['ip_dscp', '40'], ['nw_tos', '01'], ['nw_ecn', '04'], ['vlan_vid', '2000'],
    ['vlan_pcp', '08'], ['in_port_oxm', '0000ff00'], ['actset_output', 'fffffeff'], ['tcp_flags', '1000'],
    ['nsh_mdtype', '03'], ['nsh_ttl', '40'], ['arp_op', '0100'], ['ct_state', '00000100'],
    ['ipv6_label', '00100000'], ['mpls_label', '00100000'], ['ip_frag', '04'], ['tun_flags', '0002']];
  for (const [n, v] of ok) assert.ok(mfIsValueValid(mfField(n), hex(v)), `${n}=${v}`);
  for (const [n, v] of bad) assert.ok(!mfIsValueValid(mfField(n), hex(v)), `${n}=${v}`);
});

test('pipeline fields are tunnel, metadata, in_port, registers and packet_type', () => {
  const names = MF_FIELDS.filter(mfIsPipelineField).map((f: MfField) => f.name);
  assert.ok(names.includes('tun_id') && names.includes('xxreg3') && names.includes('in_port_oxm'));
  for (const n of ['tun_ttl', 'tun_tos', 'eth_src', 'ct_state', 'pkt_mark', 'recirc_id', 'actset_output']) {
    assert.ok(!names.includes(n), n);
  }
});

test('prerequisites: match vs packet semantics for conntrack, fragments for L4, ND', () => {
  const m = Match.catchall();
  const ctSrc = mfField('ct_nw_src');
  m.setField(mfField('ct_state'), hex('00000020'), hex('00000030'));
  assert.ok(m.prereqsOk(ctSrc), '+trk-inv is a valid conntrack match');
  assert.ok(!mfArePrereqsOk(ctSrc, m.flow), 'but a packet with only +trk has no valid entry');
  const tcp = Match.catchall();
  tcp.setField(mfField('eth_type'), hex('0800'));
  tcp.setField(mfField('nw_proto'), hex('06'));
  assert.ok(tcp.prereqsOk(mfField('tcp_dst')));
  tcp.setField(mfField('ip_frag'), hex('03'));
  assert.ok(!tcp.prereqsOk(mfField('tcp_dst')), 'later fragments have no L4 header');
  const nd = Match.catchall();
  nd.setField(mfField('eth_type'), hex('86dd'));
  nd.setField(mfField('nw_proto'), hex('3a'));
  nd.setField(mfField('icmpv6_type'), hex('87'));
  nd.setField(mfField('icmpv6_code'), hex('00'));
  assert.ok(nd.prereqsOk(mfField('nd_sll')) && !nd.prereqsOk(mfField('nd_tll')));
  nd.setField(mfField('nd_sll'), hex('000000000001'));
  checkPrereqs(nd);
  const bad = Match.catchall();
  bad.setField(mfField('tcp_dst'), hex('0050'));
  assert.throws(() => checkPrereqs(bad), (e: unknown) => e instanceof OfpError && e.err === 'OFPBMC_BAD_PREREQ');
  const arp = Match.catchall();
  arp.setField(mfField('eth_type'), hex('0806'));
  arp.setField(mfField('arp_spa'), hex('0a000001'));
  checkPrereqs(arp);
});
