import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { OFPP_IN_PORT, OFPP_LOCAL, OFPP_NONE } from '../../src/openflow/common';
import { decodeActions, decodeInstructions } from '../../src/openflow/ofp-actions';
import { LearnSpec, NX_LEARN_DST_MATCH, NX_LEARN_SRC_IMMEDIATE, Ofpact } from '../../src/openflow/ofpacts';
import { formatOfpact, formatOfpacts } from '../../src/openflow/ofpacts-format';

const GOLDEN = path.join(__dirname, '../../../test/unit/golden');

interface WireCase { version: number; kind: 'actions' | 'instructions'; hex: string; text?: string }

function goldenTexts(name: string): WireCase[] {
  const j = JSON.parse(fs.readFileSync(path.join(GOLDEN, name), 'utf8')) as { cases: WireCase[] };
  return j.cases.filter((c) => c.text !== undefined && !c.text.includes('tun_metadata'));
}

test('decoded actions print as ovs-ofctl prints them, for every golden action list', () => {
  let n = 0;
  for (const file of ['ofp-actions-roundtrip.json', 'ofp-actions-vectors.json', 'ofp-actions-malformed.json']) {
    for (const c of goldenTexts(file)) {
      const buf = Buffer.from(c.hex, 'hex');
      const ofpacts = c.kind === 'actions' ? decodeActions(c.version, buf) : decodeInstructions(c.version, buf);
      assert.equal(formatOfpacts(ofpacts), c.text, `${file} version ${c.version} ${c.hex}`);
      n++;
    }
  }
  assert.ok(n > 1500);
});

test('no ofpacts print as drop, nested ones too', () => {
  assert.equal(formatOfpacts([]), 'drop');
  assert.equal(formatOfpacts([{ type: 'clone', actions: [] }, { type: 'write_actions', actions: [] }]),
    'clone(drop),write_actions(drop)');
});

test('output prints physical ports with output:, reserved ports by name, CONTROLLER with its max_len', () => {
  assert.equal(formatOfpact({ type: 'output', port: 7, maxLen: 0 }), 'output:7');
  assert.equal(formatOfpact({ type: 'output', port: OFPP_LOCAL, maxLen: 0 }), 'LOCAL');
  assert.equal(formatOfpact({ type: 'output', port: 0xfffd, maxLen: 0 }), 'CONTROLLER:0');
  assert.equal(formatOfpact({ type: 'output', port: 0xff05, maxLen: 0 }), '65285');
  assert.equal(formatOfpact({ type: 'output_trunc', port: OFPP_IN_PORT, maxLen: 100 }), 'output(port=IN_PORT,max_len=100)');
});

test('controller prints the short form only with default parameters', () => {
  const c = { type: 'controller', maxLen: 0xffff, controllerId: 0, reason: 1, pause: false, userdata: Buffer.alloc(0), meterId: 0 } as const;
  assert.equal(formatOfpact(c), 'CONTROLLER:65535');
  assert.equal(formatOfpact({ ...c, reason: 9 }), 'controller(reason=9)');
  assert.equal(formatOfpact({ ...c, reason: 6, maxLen: 5 }), 'controller(reason=,max_len=5)');
  assert.equal(formatOfpact({ ...c, userdata: Buffer.from([0xab]), pause: true }), 'controller(userdata=ab,pause)');
});

test('VLAN actions print in their OpenFlow 1.0 or 1.1 spelling', () => {
  assert.equal(formatOfpact({ type: 'set_vlan_vid', vlanVid: 5, pushVlanIfNeeded: true }), 'mod_vlan_vid:5');
  assert.equal(formatOfpact({ type: 'set_vlan_vid', vlanVid: 5, pushVlanIfNeeded: false }), 'set_vlan_vid:5');
  assert.equal(formatOfpact({ type: 'set_vlan_pcp', vlanPcp: 2, pushVlanIfNeeded: false }), 'set_vlan_pcp:2');
  assert.equal(formatOfpact({ type: 'strip_vlan' }), 'strip_vlan');
  assert.equal(formatOfpact({ type: 'strip_vlan', raw: 'OFPAT_RAW11_POP_VLAN' }), 'pop_vlan');
  assert.equal(formatOfpact({ type: 'push_vlan', ethertype: 0x88a8 }), 'push_vlan:0x88a8');
});

test('set_field prints value/mask in the field syntax and reg_load one load per mask run', () => {
  const sf = (field: string, value: string, mask: string, raw?: 'NXAST_RAW_REG_LOAD'): Ofpact =>
    ({ type: 'set_field', field, value: Buffer.from(value, 'hex'), mask: Buffer.from(mask, 'hex'), ...(raw ? { raw } : {}) });
  assert.equal(formatOfpact(sf('in_port', 'fffe', 'ffff')), 'set_field:LOCAL->in_port');
  assert.equal(formatOfpact(sf('ip_dst', '0a000000', 'ff000000')), 'set_field:10.0.0.0/8->ip_dst');
  assert.equal(formatOfpact(sf('tcp_dst', '0050', 'ffff')), 'set_field:80->tcp_dst');
  assert.equal(formatOfpact(sf('reg3', '00000102', '00000f0f', 'NXAST_RAW_REG_LOAD')),
    'load:0x2->NXM_NX_REG3[0..3],load:0x1->NXM_NX_REG3[8..11]');
  assert.equal(formatOfpact(sf('reg3', '00000000', '80000000', 'NXAST_RAW_REG_LOAD')), 'load:0->NXM_NX_REG3[31]');
});

test('subfields print by NXM name, [] for whole fields, [n] for one bit', () => {
  const mv = (src: string, ofs: number, n: number): Ofpact =>
    ({ type: 'reg_move', src: { field: src, ofs, nBits: n }, dst: { field: 'xreg1', ofs: 0, nBits: n } });
  assert.equal(formatOfpact(mv('tun_id', 0, 64)), 'move:NXM_NX_TUN_ID[]->OXM_OF_PKT_REG1[]');
  assert.equal(formatOfpact(mv('eth_src', 47, 1)), 'move:NXM_OF_ETH_SRC[47]->OXM_OF_PKT_REG1[0]');
  assert.equal(formatOfpact({ type: 'stack_push', subfield: { field: 'metadata', ofs: 8, nBits: 8 } }), 'push:OXM_OF_METADATA[8..15]');
});

test('set_tunnel prints set_tunnel64 above 32 bits or when it came as one', () => {
  assert.equal(formatOfpact({ type: 'set_tunnel', tunId: 0n }), 'set_tunnel:0');
  assert.equal(formatOfpact({ type: 'set_tunnel', tunId: 0x100000000n }), 'set_tunnel64:0x100000000');
  assert.equal(formatOfpact({ type: 'set_tunnel', tunId: 5n, raw: 'NXAST_RAW_SET_TUNNEL64' }), 'set_tunnel64:0x5');
});

test('resubmit prints the short form for a port alone and the long form otherwise', () => {
  const r = (inPort: number, tableId: number, withCtOrig = false): string =>
    formatOfpact({ type: 'resubmit', inPort, tableId, withCtOrig });
  assert.equal(r(5, 255), 'resubmit:5');
  assert.equal(r(OFPP_IN_PORT, 3), 'resubmit(,3)');
  assert.equal(r(OFPP_LOCAL, 3, true), 'resubmit(LOCAL,3,ct)');
  assert.equal(r(OFPP_IN_PORT, 255), 'resubmit(,)');
});

test('small actions print in their ovs-actions(7) syntax', () => {
  const cases: Array<[Ofpact, string]> = [
    [{ type: 'fin_timeout', finIdleTimeout: 0, finHardTimeout: 0 }, 'fin_timeout()'],
    [{ type: 'fin_timeout', finIdleTimeout: 0, finHardTimeout: 9 }, 'fin_timeout(hard_timeout=9)'],
    [{ type: 'write_metadata', metadata: 0n, mask: 0xffn }, 'write_metadata:0/0xff'],
    [{ type: 'write_metadata', metadata: 0x10n, mask: 0xffffffffffffffffn }, 'write_metadata:0x10'],
    [{ type: 'note', data: Buffer.alloc(0) }, 'note:'],
    [{ type: 'conjunction', id: 9, clause: 0, nClauses: 2 }, 'conjunction(9,1/2)'],
    [{ type: 'push_mpls', ethertype: 0x8847 }, 'push_mpls:0x8847'],
    [{ type: 'pop_mpls', ethertype: 0x800 }, 'pop_mpls:0x0800'],
    [{ type: 'dec_ttl', cntIds: [0] }, 'dec_ttl'],
    [{ type: 'dec_ttl', cntIds: [], raw: 'NXAST_RAW_DEC_TTL_CNT_IDS' }, 'dec_ttl()'],
    [{ type: 'set_mpls_label', label: 7 }, 'set_mpls_label(7)'],
    [{ type: 'set_ip_dscp', dscp: 48 }, 'mod_nw_tos:48'],
    [{ type: 'set_eth_dst', mac: Buffer.from('0a0b0c0d0e0f', 'hex') }, 'mod_dl_dst:0a:0b:0c:0d:0e:0f'],
    [{ type: 'set_ipv4_src', ipv4: 0xc0a80001 }, 'mod_nw_src:192.168.0.1'],
    [{ type: 'decap', newPktType: 0xfffe }, 'decap()'],
    [{ type: 'decap', newPktType: 0x00010800 }, 'decap(packet_type(ns=1,type=0x800))'],
    [{ type: 'encap', newPktType: 0x12345, hdrSize: 0, props: [] }, 'encap(UNKNOWN)'],
    [{ type: 'check_pkt_larger', pktLen: 64, dst: { field: 'reg0', ofs: 3, nBits: 1 } }, 'check_pkt_larger(64)->NXM_NX_REG0[3]'],
    [{ type: 'meter', meterId: 3 }, 'meter:3'],
    [{ type: 'goto_table', tableId: 9 }, 'goto_table:9'],
    [{ type: 'delete_field', field: 'tun_id' }, 'delete_field:tun_id'],
  ];
  for (const [a, text] of cases) assert.equal(formatOfpact(a), text);
});

test('bundle and multipath print their hash fields and algorithms, <unknown> for others', () => {
  assert.equal(formatOfpact({ type: 'bundle', algorithm: 1, fields: 3, basis: 7, members: [1, OFPP_NONE] }),
    'bundle(symmetric_l3l4+udp,7,hrw,ofport,members:1,ANY)');
  assert.equal(formatOfpact({ type: 'bundle', algorithm: 9, fields: 9, basis: 0, members: [], dst: { field: 'reg2', ofs: 0, nBits: 16 } }),
    'bundle_load(<unknown>,0,<unknown>,ofport,NXM_NX_REG2[0..15],members:)');
  assert.equal(formatOfpact({ type: 'multipath', fields: 5, basis: 1, algorithm: 3, maxLink: 9, arg: 16, dst: { field: 'reg0', ofs: 0, nBits: 4 } }),
    'multipath(nw_dst,1,iter_hash,10,16,NXM_NX_REG0[0..3])');
});

test('sample prints the sampling port and direction only when set', () => {
  const s = { type: 'sample', probability: 1, collectorSetId: 2, obsDomainId: 3, obsPointId: 4, samplingPort: OFPP_NONE, direction: 0 } as const;
  assert.equal(formatOfpact(s), 'sample(probability=1,collector_set_id=2,obs_domain_id=3,obs_point_id=4)');
  assert.equal(formatOfpact({ ...s, samplingPort: OFPP_LOCAL, direction: 1 }),
    'sample(probability=1,collector_set_id=2,obs_domain_id=3,obs_point_id=4,sampling_port=LOCAL,ingress)');
});

test('ct prints its flags, table, zone, a leading nat outside exec() and the helper', () => {
  const nat = (flags: number, rangeAf: 'unspec' | 'inet' | 'inet6', min: string, max: string, protoMin = 0, protoMax = 0): Ofpact =>
    ({ type: 'nat', flags, rangeAf, addrMin: Buffer.from(min, 'hex'), addrMax: Buffer.from(max, 'hex'), protoMin, protoMax });
  const ct = (actions: Ofpact[], extra = {}): string =>
    formatOfpact({ type: 'ct', flags: 1, zoneImm: 0, alg: 0, recircTable: 255, actions, ...extra });
  assert.equal(ct([]), 'ct(commit)');
  assert.equal(ct([nat(0, 'unspec', '', '')], { flags: 0 }), 'ct(nat)');
  assert.equal(ct([nat(4, 'unspec', '', '')]), 'ct(commit,nat)');
  assert.equal(ct([nat(2 | 8, 'inet', '0a000001', '0a000001', 80, 80)], { zoneImm: 3, alg: 7 }),
    'ct(commit,zone=3,nat(dst=10.0.0.1:80,hash),alg=7)');
  const v6 = '20010db8000000000000000000000001';
  assert.equal(ct([nat(1, 'inet6', v6, '20010db8000000000000000000000009', 1, 9)]),
    'ct(commit,nat(src=[2001:db8::1]-[2001:db8::9]:1-9))');
  assert.equal(ct([nat(1, 'inet6', v6, '00000000000000000000000000000000')], { recircTable: 4 }),
    'ct(commit,table=4,nat(src=2001:db8::1))');
  const mark: Ofpact = { type: 'set_field', field: 'ct_mark', value: Buffer.from('00000001', 'hex'), mask: Buffer.alloc(4, 0xff) };
  assert.equal(ct([nat(1, 'unspec', '', ''), mark], { zoneSrc: { field: 'reg0', ofs: 0, nBits: 16 } }),
    'ct(commit,zone=NXM_NX_REG0[0..15],nat(src),exec(set_field:0x1->ct_mark))');
});

test('learn prints its parameters and specs, immediates in the field syntax when they fill the field', () => {
  const imm = (field: string, ofs: number, nBits: number, hex: string): LearnSpec => ({
    srcType: NX_LEARN_SRC_IMMEDIATE, dstType: NX_LEARN_DST_MATCH, nBits, imm: Buffer.from(hex, 'hex'), dst: { field, ofs, nBits },
  });
  const learn: Ofpact = {
    type: 'learn', idleTimeout: 0, hardTimeout: 10, priority: 0x8000, tableId: 5, flags: 4, cookie: 0n,
    finIdleTimeout: 0, finHardTimeout: 3, limit: 2, resultDst: { field: 'reg1', ofs: 4, nBits: 1 },
    specs: [imm('eth_type', 0, 16, '0800'), imm('ip_src', 0, 32, '0a000001'), imm('reg2', 4, 12, '0005')],
  };
  assert.equal(formatOfpact(learn), 'learn(table=5,hard_timeout=10,fin_hard_timeout=3,limit=2,'
    + 'result_dst=NXM_NX_REG1[4],eth_type=0x800,ip_src=10.0.0.1,NXM_NX_REG2[4..15]=0x5)');
});
