import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { OFPP_IN_PORT, OFPP_LOCAL } from '../../src/openflow/common';
import { Match } from '../../src/openflow/match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import type { Ofpact } from '../../src/openflow/ofpacts';
import type { RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { flowFromOdpKey } from '../../src/ofproto-dpif/odp-flow';
import { ofprotoTrace } from '../../src/ofproto-dpif/trace';
import { parseExactFlow } from '../../src/unixctl/commands/trace';
import { odpExecuteWithHelp } from '../../src/ofproto-dpif/odp-execute';
import { OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { xlate, type XlateResult } from '../../src/ofproto-dpif/xlate';

/**
 * Golden lines from OVS 3.1 (Debian) on the dummy datapath: `ovs-vsctl add-br br0 -- set bridge
 * br0 datapath_type=dummy fail-mode=secure` with dummy ports p1..p3 (ofport_request 1..3; odp
 * ports br0=100, p1..p3=1..3), the rule of each case loaded with `ovs-ofctl -O OpenFlow13
 * replace-flows` (its text in the comment), then `ovs-appctl ofproto/trace ovs-dummy KEY`. Every
 * case that emits an ARP/ICMP/ND set is also reported by OVS as "handled by the userspace slow
 * path because it: Uses action(s) not supported by datapath" (SLOW_ACTION).
 */
const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
  { name: 'p3', ofport: 3, odpPort: 3 },
];

let nextRuleId = 1;

function bridge(match: string, ofpacts: Ofpact[]): OfprotoReplica {
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [{ name: 'br0', id: 1, macAgingS: 300, ports: PORTS }] });
  const { match: m } = parseMatch(match);
  const rule: RuleSnapshot = {
    id: nextRuleId++, tableId: 0, priority: 0x8000, match: { flow: m.flow, wc: m.wc }, cookie: 0n, flags: 0, importance: 0,
    idleTimeout: 0, hardTimeout: 0, ofpacts,
  };
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added: [rule] });
  return r;
}

function trace(match: string, ofpacts: Ofpact[], odp: string): XlateResult & { megaflow: string; dp: string } {
  const r = bridge(match, ofpacts);
  const f = flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 1000, mayLearn: false });
  const masked = Buffer.from(f.flow.map((b, i) => b & x.wc[i]));
  return { ...x, megaflow: formatMatch(new Match(masked, Buffer.from(x.wc))), dp: formatActions(x.actions) };
}

const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const hex = (h: string) => Buffer.from(h, 'hex');
const setField = (field: string, value: Buffer, mask?: Buffer): Ofpact => ({ type: 'set_field', field, value, mask: mask ?? Buffer.alloc(value.length, 0xff) });
const move = (src: string, dst: string, nBits: number): Ofpact => ({ type: 'reg_move', src: { field: src, ofs: 0, nBits }, dst: { field: dst, ofs: 0, nBits } });

const ETH = 'eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07)';
const ICMP4 = `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)`;
const ARP = (op: number) => `in_port(1),${ETH},eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.254,op=${op},sha=50:54:00:00:00:05,tha=00:00:00:00:00:00)`;
const NA = `in_port(1),${ETH},eth_type(0x86dd),ipv6(src=fe80::1,dst=fe80::2,label=0,proto=58,tclass=0,hlimit=255,frag=no),icmpv6(type=136,code=0),nd(target=fe80::9,sll=00:00:00:00:00:00,tll=00:00:00:00:00:00)`;

test('ICMP type/code sets are whole-key sets (never masked) and match both 8-bit fields; an unchanged value commits nothing (OVS 3.1)', () => {
  // icmp,actions=set_field:0->icmp_type,set_field:0->icmp_code,output:2
  let t = trace('icmp', [setField('icmp_type', hex('00')), setField('icmp_code', hex('00')), out(2)], ICMP4);
  assert.equal(t.megaflow, 'recirc_id=0,eth,icmp,in_port=1,nw_frag=no,icmp_type=0x8/0xff,icmp_code=0x0/0xff');
  assert.equal(t.dp, 'set(icmp(type=0,code=0)),2');
  assert.deepEqual(t.actions.map((a) => a.type), ['set', 'output']);
  assert.equal(t.slowAction, true);
  // icmp,actions=set_field:3->icmp_code,output:2
  t = trace('icmp', [setField('icmp_code', hex('03')), out(2)], ICMP4);
  assert.equal(t.megaflow, 'recirc_id=0,eth,icmp,in_port=1,nw_frag=no,icmp_type=0x8/0xff,icmp_code=0x0/0xff');
  assert.equal(t.dp, 'set(icmp(type=8,code=3)),2');
  // icmp,actions=set_field:8->icmp_type,output:2
  t = trace('icmp', [setField('icmp_type', hex('08')), out(2)], ICMP4);
  assert.equal(t.megaflow, 'recirc_id=0,eth,icmp,in_port=1,nw_frag=no,icmp_type=0x8/0xff');
  assert.equal(t.dp, '2');
  assert.equal(t.slowAction, undefined);
  // icmp6,actions=set_field:129->icmpv6_type,output:2
  t = trace('icmp6', [setField('icmpv6_type', hex('81')), out(2)],
    `in_port(1),${ETH},eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=0,proto=58,tclass=0,hlimit=64,frag=no),icmpv6(type=128,code=0)`);
  assert.equal(t.megaflow, 'recirc_id=0,eth,icmp6,in_port=1,nw_frag=no,icmp_type=0x80/0xff,icmp_code=0x0/0xff');
  assert.equal(t.dp, 'set(icmpv6(type=129,code=0)),2');
});

test('an ARP responder: every ARP member written gives a plain set after the Ethernet one (OVS 3.1)', () => {
  // arp,arp_op=1,arp_tpa=10.0.0.254,actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:02:00:00:00:00:fe,
  //   load:2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],
  //   load:0x0200000000fe->NXM_NX_ARP_SHA[],load:0x0a0000fe->NXM_OF_ARP_SPA[],in_port
  const t = trace('arp,arp_op=1,arp_tpa=10.0.0.254', [
    move('eth_src', 'eth_dst', 48), setField('eth_src', hex('0200000000fe')), setField('arp_op', hex('0002')),
    move('arp_sha', 'arp_tha', 48), move('arp_spa', 'arp_tpa', 32), setField('arp_sha', hex('0200000000fe')),
    setField('arp_spa', hex('0a0000fe')), out(OFPP_IN_PORT),
  ], ARP(1));
  assert.equal(t.megaflow, 'recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,arp_spa=10.0.0.1,'
    + 'arp_tpa=10.0.0.254,arp_op=1,arp_sha=50:54:00:00:00:05,arp_tha=00:00:00:00:00:00');
  assert.equal(t.dp, 'set(eth(src=02:00:00:00:00:fe,dst=50:54:00:00:00:05)),'
    + 'set(arp(sip=10.0.0.254,tip=10.0.0.1,op=2,sha=02:00:00:00:00:fe,tha=50:54:00:00:00:05)),1');
  assert.deepEqual(t.actions.map((a) => a.type), ['set', 'set', 'output']);
  assert.equal(t.slowAction, true);
});

test('ARP: one member is a masked set and set_field matches the opcode; opcode 0 or an unchanged value commits nothing (OVS 3.1)', () => {
  // arp,actions=set_field:1.2.3.4->arp_spa,output:2
  const spa = [setField('arp_spa', hex('01020304')), out(2)];
  let t = trace('arp', spa, ARP(1));
  assert.equal(t.megaflow, 'recirc_id=0,eth,arp,in_port=1,arp_spa=10.0.0.1,arp_op=1');
  assert.equal(t.dp, 'set(arp(sip=1.2.3.4)),2');
  assert.deepEqual(t.actions.map((a) => a.type), ['set_masked', 'output']);
  t = trace('arp', spa, ARP(0));
  assert.equal(t.megaflow, 'recirc_id=0,eth,arp,in_port=1,arp_spa=10.0.0.1,arp_op=0');
  assert.equal(t.dp, '2');
  assert.equal(t.slowAction, undefined);
  // arp,actions=set_field:10.0.0.1->arp_spa,output:2
  t = trace('arp', [setField('arp_spa', hex('0a000001')), out(2)], ARP(1));
  assert.equal(t.megaflow, 'recirc_id=0,eth,arp,in_port=1,arp_spa=10.0.0.1,arp_op=1');
  assert.equal(t.dp, '2');
  // arp,actions=move:NXM_OF_ARP_TPA[]->NXM_OF_ARP_SPA[],output:2 (move does not match the opcode)
  t = trace('arp', [move('arp_tpa', 'arp_spa', 32), out(2)], ARP(1));
  assert.equal(t.megaflow, 'recirc_id=0,eth,arp,in_port=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.254');
  assert.equal(t.dp, 'set(arp(sip=10.0.0.254)),2');
});

test('ND: target and link-layer options in a masked nd() set, the extensions first in nd_ext() (OVS 3.1)', () => {
  // icmp6,icmp_type=136,actions=set_field:00:00:00:00:00:09->nd_tll,output:2
  let t = trace('icmp6,icmp_type=136', [setField('nd_tll', hex('000000000009')), out(2)], NA);
  assert.equal(t.megaflow, 'recirc_id=0,eth,icmp6,in_port=1,nw_frag=no,icmp_type=0x88/0xff,icmp_code=0x0/0xff,nd_tll=00:00:00:00:00:00');
  assert.equal(t.dp, 'set(nd(tll=00:00:00:00:00:09)),2');
  assert.equal(t.slowAction, true);
  // icmp6,icmp_type=136,actions=set_field:fe80::99->nd_target,set_field:00:00:00:00:00:09->nd_tll,
  //   set_field:7->nd_reserved,set_field:2->nd_options_type,output:2
  const target = hex('fe800000000000000000000000000099');
  t = trace('icmp6,icmp_type=136', [
    setField('nd_target', target), setField('nd_tll', hex('000000000009')), setField('nd_reserved', hex('00000007')),
    setField('nd_options_type', hex('02')), out(2),
  ], NA);
  assert.equal(t.megaflow, 'recirc_id=0,eth,icmp6,in_port=1,nw_frag=no,icmp_type=0x88/0xff,icmp_code=0x0/0xff,nd_target=fe80::9,'
    + 'nd_tll=00:00:00:00:00:00,nd_reserved=0,nd_options_type=0x0/0xff');
  assert.equal(t.dp, 'set(nd_ext(nd_reserved=0x7,nd_options_type=2)),set(nd(target=fe80::99,tll=00:00:00:00:00:09)),2');
});

test('set_field ip_dscp (mod_nw_tos in OpenFlow 1.3) leaves nw_proto wildcarded; ipv6_label matches 20 bits; no protocol, no set (OVS 3.1)', () => {
  // ip,actions=mod_nw_tos:32,output:2 (sent as set_field:8->ip_dscp)
  let t = trace('ip', [setField('ip_dscp', hex('08')), out(2)], `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=0,tos=4,ttl=64,frag=no)`);
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=1,nw_tos=4,nw_frag=no');
  assert.equal(t.dp, '2');
  // ip,actions=set_field:10->ip_dscp,output:2
  t = trace('ip', [setField('ip_dscp', hex('0a')), out(2)],
    `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2)`);
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=1,nw_tos=0,nw_frag=no');
  assert.equal(t.dp, 'set(ipv4(tos=0x28/0xfc)),2');
  // ipv6,actions=set_field:0x12345->ipv6_label,output:2
  const label = [setField('ipv6_label', hex('00012345')), out(2)];
  t = trace('ipv6', label, `in_port(1),${ETH},eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=1,proto=0,tclass=0,hlimit=64,frag=no)`);
  assert.equal(t.megaflow, 'recirc_id=0,eth,ipv6,in_port=1,ipv6_label=0x00001/0xfffff,nw_proto=0,nw_frag=no');
  assert.equal(t.dp, '2');
  t = trace('ipv6', label, `in_port(1),${ETH},eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=1,proto=17,tclass=0,hlimit=64,frag=no),udp(src=1,dst=2)`);
  assert.equal(t.megaflow, 'recirc_id=0,eth,udp6,in_port=1,ipv6_label=0x00001/0xfffff,nw_frag=no');
  assert.equal(t.dp, 'set(ipv6(label=0x12345)),2');
});

test('pop_mpls of the bottom label then output (OVS 3.1)', () => {
  // mpls,actions=pop_mpls:0x0800,output:2
  const t = trace('mpls', [{ type: 'pop_mpls', ethertype: 0x0800 }, out(2)], `in_port(1),${ETH},eth_type(0x8847),mpls(label=5,tc=0,ttl=10,bos=1)`);
  assert.equal(t.megaflow, 'recirc_id=0,eth,mpls,in_port=1,mpls_bos=1');
  assert.equal(t.dp, 'pop_mpls(eth_type=0x800),2');
});

/** The ICMP/ICMPv6 checksum of a message (with the IPv6 pseudo-header sum `pseudo`). */
function csum(b: Buffer, pseudo = 0): number {
  let s = pseudo;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

test('execute with help: userspace applies ARP and ICMP sets between the runs the datapath executes, checksums kept valid', () => {
  const r = bridge('arp,arp_op=1,arp_tpa=10.0.0.254', [
    move('eth_src', 'eth_dst', 48), setField('eth_src', hex('0200000000fe')), setField('arp_op', hex('0002')),
    move('arp_sha', 'arp_tha', 48), move('arp_spa', 'arp_tpa', 32), setField('arp_sha', hex('0200000000fe')),
    setField('arp_spa', hex('0a0000fe')), out(OFPP_IN_PORT),
  ]);
  const f = flowFromOdpKey(parseOdpFlowKey(ARP(1)).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, nowMs: 1000, mayLearn: false });
  const request = hex('505400000007505400000005' + '0806' + '000108000604' + '0001' + '505400000005' + '0a000001' + '000000000000' + '0a0000fe');
  const parts = odpExecuteWithHelp(request, x.actions);
  assert.deepEqual(parts.map((p) => formatActions(p.actions)), ['set(eth(src=02:00:00:00:00:fe,dst=50:54:00:00:00:05))', '1']);
  assert.equal(parts[0].packet.toString('hex'), request.toString('hex'));
  assert.equal(parts[1].packet.toString('hex'),
    '5054000000050200000000fe' + '0806' + '000108000604' + '0002' + '0200000000fe' + '0a0000fe' + '505400000005' + '0a000001');

  // ICMP echo request → type 0: the checksum still verifies.
  const ip = hex('4500001c00000000400100000a0000010a000002');
  const icmp = hex('0800000012340001');
  icmp.writeUInt16BE(csum(icmp), 2);
  const frame = Buffer.concat([hex('505400000007505400000005' + '0800'), ip, icmp]);
  const [only] = odpExecuteWithHelp(frame, [{ type: 'set', key: { icmp: { type: 0, code: 0 } } }, { type: 'output', port: 2 }]);
  assert.deepEqual(only.actions, [{ type: 'output', port: 2 }]);
  const l4 = only.packet.subarray(34);
  assert.equal(l4[0], 0);
  assert.equal(csum(l4), 0);
});

test('ofproto/trace says a SLOW_ACTION flow is handled by the userspace slow path (OVS 3.1, whole text)', () => {
  // icmp,actions=set_field:3->icmp_code,output:2; ovs-appctl ofproto/trace br0 in_port=1,icmp,icmp_type=8
  const r = bridge('icmp', [setField('icmp_code', hex('03')), out(2)]);
  const { text } = ofprotoTrace(r.portOfOdp(1)!.bridge, { flow: parseExactFlow('in_port=1,icmp,icmp_type=8'), nowMs: 1000 });
  const head = 'icmp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,'
    + 'nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,icmp_type=8';
  assert.equal(text, `Flow: ${head},icmp_code=0

bridge("br0")
-------------
 0. icmp, priority 32768
    set_field:3->icmp_code
    output:2

Final flow: ${head},icmp_code=3
Megaflow: recirc_id=0,eth,icmp,in_port=1,nw_frag=no,icmp_type=0x8/0xff,icmp_code=0x0/0xff
Datapath actions: set(icmp(type=8,code=3)),2
This flow is handled by the userspace slow path because it:
  - Uses action(s) not supported by datapath.
`);
});

test('execute with help: an ND target link-layer option set keeps the ICMPv6 checksum valid', () => {
  const src = hex('fe800000000000000000000000000001');
  const dst = hex('fe800000000000000000000000000002');
  const na = hex('8800000060000000' + 'fe800000000000000000000000000009' + '0201' + '000000000000');
  const pseudo = (body: Buffer) => {
    let s = 0;
    const words = Buffer.concat([src, dst, hex('00000000'), hex('0000003a')]);
    words.writeUInt32BE(body.length, 32);
    for (let i = 0; i < words.length; i += 2) s += words.readUInt16BE(i);
    return s;
  };
  na.writeUInt16BE(csum(na, pseudo(na)), 2);
  const ip6 = Buffer.concat([hex('6000000000203aff'), src, dst]);
  ip6.writeUInt16BE(na.length, 4);
  const frame = Buffer.concat([hex('333300000001505400000005' + '86dd'), ip6, na]);
  const nd = { target: '::', sll: '00:00:00:00:00:00', tll: '00:00:00:00:00:09' };
  const mask = { target: '::', sll: '00:00:00:00:00:00', tll: 'ff:ff:ff:ff:ff:ff' };
  const [only] = odpExecuteWithHelp(frame, [{ type: 'set_masked', key: { nd }, mask: { nd: mask } }, { type: 'output', port: 2 }]);
  const l4 = only.packet.subarray(54);
  assert.equal(l4.subarray(26, 32).toString('hex'), '000000000009');
  assert.equal(l4.subarray(8, 24).toString('hex'), 'fe800000000000000000000000000009', 'the target is not in the mask');
  assert.equal(csum(l4, pseudo(l4)), 0);
});
