import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { patchConfigError } from '../../src/bridge/bridge';
import { OFPP_IN_PORT, OFPP_LOCAL, OFPP_NORMAL } from '../../src/openflow/common';
import { Match } from '../../src/openflow/match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import { OFPUTIL_PC_NO_RECV } from '../../src/openflow/ofp-port';
import { OFPR_ACTION } from '../../src/openflow/ofp-switch';
import { NX_LEARN_DST_MATCH, NX_LEARN_SRC_FIELD, type Ofpact } from '../../src/openflow/ofpacts';
import type { RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { get, S } from '../../src/ofproto-dpif/flow';
import { flowFromOdpKey, ODPP_NONE } from '../../src/ofproto-dpif/odp-flow';
import { OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { xlate, type XlateResult } from '../../src/ofproto-dpif/xlate';
import { RecircPool, setThreadRecircPool } from '../../src/ofproto-dpif/recirc';

/**
 * The two bridges of the reference runs: OVS 3.1 with the dummy datapath,
 *   ovs-vsctl add-br br0 -- set bridge br0 datapath_type=dummy -- add-port br0 p1 -- set
 *     interface p1 type=dummy ofport_request=1 -- add-port br0 p2 -- set interface p2 type=dummy
 *     ofport_request=2
 *   (br1 the same with p3, p4 on ofports 1, 2)
 *   ovs-vsctl add-port br0 pa -- set interface pa type=patch options:peer=pb ofport_request=5
 *     -- add-port br1 pb -- set interface pb type=patch options:peer=pa ofport_request=6
 *   ovs-vsctl add-port br0 pd -- set interface pd type=patch options:peer=nonexist ofport_request=3
 * giving datapath ports br0=100, p1=1, p2=2, br1=101, p3=3, p4=4 (`dpif/show`: `pa 5/none:
 * (patch: peer=pb)`). Expected lines come from `ovs-appctl ofproto/trace br0 FLOW`.
 */
const BR0: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
  { name: 'pa', ofport: 5, odpPort: ODPP_NONE, patch: { peerName: 'pb', peer: { bridge: 'br1', ofport: 6 } } },
];
const PD: PortConfig = { name: 'pd', ofport: 3, odpPort: ODPP_NONE, patch: { peerName: 'nonexist' } };
const BR1: PortConfig[] = [
  { name: 'br1', ofport: OFPP_LOCAL, odpPort: 101 },
  { name: 'p3', ofport: 1, odpPort: 3 },
  { name: 'p4', ofport: 2, odpPort: 4 },
  { name: 'pb', ofport: 6, odpPort: ODPP_NONE, patch: { peerName: 'pa', peer: { bridge: 'br0', ofport: 5 } } },
];

interface RuleSpec {
  priority?: number;
  match: string;
  ofpacts: Ofpact[];
}

let nextRuleId = 1;

function snapshot(r: RuleSpec): RuleSnapshot {
  const { match } = parseMatch(r.match);
  return {
    id: nextRuleId++, tableId: 0, priority: r.priority ?? 0x8000, match: { flow: match.flow, wc: match.wc },
    cookie: 0n, flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0, ofpacts: r.ofpacts,
  };
}

const NORMAL: RuleSpec = { priority: 0, match: '', ofpacts: [{ type: 'output', port: OFPP_NORMAL, maxLen: 0 }] };

/** The two bridges with these rules (no controller: a table miss drops). */
function bridges(br0: RuleSpec[], br1: RuleSpec[], opts: { pd?: boolean; br1Ports?: PortConfig[] } = {}) {
  const r = new OfprotoReplica();
  r.apply({
    version: 1,
    bridges: [
      { name: 'br0', id: 1, macAgingS: 300, ports: opts.pd ? [...BR0, PD] : BR0, packetInOnMiss: false },
      { name: 'br1', id: 2, macAgingS: 300, ports: opts.br1Ports ?? BR1, packetInOnMiss: false },
    ],
  });
  const ids: Record<string, number[]> = {};
  for (const [name, rules] of [['br0', br0], ['br1', br1]] as const) {
    const added = rules.map(snapshot);
    ids[name] = added.map((a) => a.id);
    r.applyFlowDelta(name, { version: 1, full: true, removed: [], added });
  }
  return { r, ids };
}

interface Traced extends XlateResult {
  megaflow: string;
  dp: string;
}

function trace(r: OfprotoReplica, odp: string, mayLearn = false): Traced {
  const f = flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 1000, mayLearn });
  const masked = Buffer.from(f.flow.map((b, i) => b & x.wc[i]));
  return { ...x, megaflow: formatMatch(new Match(masked, Buffer.from(x.wc))), dp: formatActions(x.actions) };
}

const A = '0a:00:00:00:00:01';
const B = '0a:00:00:00:00:02';
const ip4 = (proto: number) => `eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=${proto},tos=0,ttl=64,frag=no)`;
const TCP = (inPort: number) => `in_port(${inPort}),eth(src=${A},dst=${B}),${ip4(6)},tcp(src=0,dst=80)`;
const UDP = (inPort: number) => `in_port(${inPort}),eth(src=${A},dst=${B}),${ip4(17)},udp(src=0,dst=80)`;
const ICMP = (inPort: number, src = A, dst = B) => `in_port(${inPort}),eth(src=${src},dst=${dst}),${ip4(1)},icmp(type=8,code=0)`;
const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const load = (field: string, value: number, bytes: number): Ofpact => {
  const v = Buffer.alloc(bytes);
  v.writeUIntBE(value, 0, Math.min(bytes, 6));
  return { type: 'set_field', field, value: v, mask: Buffer.alloc(bytes, 0xff) };
};

test('NORMAL floods a broadcast through the patch port into the peer bridge, in one megaflow (OVS trace)', () => {
  const { r } = bridges([NORMAL], [NORMAL]);
  const t = trace(r, `in_port(1),eth(src=${A},dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.2,op=1,sha=00:00:00:00:00:00,tha=00:00:00:00:00:00)`);
  // OVS: "Datapath actions: 2,100,3,101,4" (each bridge floods in its hash order; we flood in
  // datapath port order, patch ports, which have none, last).
  assert.equal(t.dp, '2,100,3,4,101');
  assert.equal(t.megaflow, 'recirc_id=0,eth,arp,in_port=1,dl_src=0a:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1');
  assert.equal(t.bridge, 'br0');
  assert.deepEqual(t.peers?.map((p) => [p.bridge, p.rules.length, p.tableLookups]), [['br1', 1, [1]]]);
});

test('NORMAL learns in both bridges, and a unicast to a MAC learned behind the patch is one output (OVS trace)', () => {
  const { r } = bridges([NORMAL], [NORMAL]);
  // netdev-dummy/receive p3 of a broadcast from B: OVS's fdb/show then has B on br1 port 1 and
  // on br0 port 5 (the patch port), and the megaflow is
  // "recirc_id(0),in_port(3),packet_type(ns=0,id=0),eth(src=0a:00:00:00:00:02,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0800),ipv4(frag=no)".
  const learn = trace(r, ICMP(3, B, 'ff:ff:ff:ff:ff:ff'), true);
  assert.deepEqual(learn.learned.map((l) => [l.bridge, l.mac, l.ofport]), [['br1', B, 1], ['br0', B, 5]]);
  assert.equal(learn.megaflow, 'recirc_id=0,eth,ip,in_port=1,dl_src=0a:00:00:00:00:02,dl_dst=ff:ff:ff:ff:ff:ff,nw_frag=no');
  assert.deepEqual(learn.dp.split(',').sort(), ['1', '100', '101', '2', '4']);
  const t = trace(r, ICMP(1));
  assert.equal(t.dp, '3');
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=1,dl_src=0a:00:00:00:00:01,dl_dst=0a:00:00:00:00:02,nw_frag=no');
});

test('the peer starts with registers and metadata cleared, and its header changes do not leak back (OVS trace)', () => {
  // br0: priority=10,in_port=1,actions=load:0x5->NXM_NX_REG0[],load:0x7->OXM_OF_METADATA[],mod_nw_tos:4,output:5,output:2
  // br1: priority=20,reg0=5,actions=output:2; priority=20,metadata=7,actions=output:2;
  //      priority=10,in_port=6,tcp,actions=mod_dl_dst:0a:00:00:00:00:99,mod_tp_dst:99,output:1
  const { r, ids } = bridges([{ priority: 10, match: 'in_port=1', ofpacts: [
    load('reg0', 5, 4), load('metadata', 7, 8), { type: 'set_ip_dscp', dscp: 4 }, out(5), out(2),
  ] }], [
    { priority: 20, match: 'reg0=5', ofpacts: [out(2)] },
    { priority: 20, match: 'metadata=7', ofpacts: [out(2)] },
    { priority: 10, match: 'in_port=6,tcp', ofpacts: [
      { type: 'set_eth_dst', mac: Buffer.from([10, 0, 0, 0, 0, 0x99]) }, { type: 'set_l4_dst_port', port: 99 }, out(1),
    ] },
  ]);
  const t = trace(r, TCP(1));
  assert.equal(t.dp, 'set(eth(dst=0a:00:00:00:00:99)),set(ipv4(tos=0x4/0xfc)),set(tcp(dst=99)),3,set(eth(dst=0a:00:00:00:00:02)),set(tcp(dst=80)),2');
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,dl_dst=0a:00:00:00:00:02,nw_tos=0,nw_frag=no,tp_dst=80');
  assert.deepEqual(t.rules, [ids.br0[0]], 'rules holds the input bridge only');
  assert.deepEqual(t.peers, [{ bridge: 'br1', rules: [ids.br1[2]], tableLookups: [1] }]);

  // A table miss in the peer (no controller) drops there; br0 goes on.
  const u = trace(r, UDP(1));
  assert.equal(u.dp, 'set(ipv4(tos=0x4/0xfc)),2');
  assert.equal(u.megaflow, 'recirc_id=0,eth,udp,in_port=1,nw_tos=0,nw_frag=no');
  assert.deepEqual(u.peers, [{ bridge: 'br1', rules: [], tableLookups: [0] }]);
});

test('a loop through patch ports ends at the depth limit, and the error does not cancel the actions (OVS trace)', () => {
  // As above, plus br0: priority=10,in_port=5,actions=output:2,in_port and
  // br1: priority=30,in_port=6,udp,actions=output:1,in_port
  const { r } = bridges([
    { priority: 10, match: 'in_port=1', ofpacts: [load('reg0', 5, 4), { type: 'set_ip_dscp', dscp: 4 }, out(5), out(2)] },
    { priority: 10, match: 'in_port=5', ofpacts: [out(2), out(OFPP_IN_PORT)] },
  ], [
    { priority: 30, match: 'in_port=6,udp', ofpacts: [out(1), out(OFPP_IN_PORT)] },
  ]);
  const t = trace(r, UDP(1));
  assert.equal(t.dp, `set(ipv4(tos=0x4/0xfc)),${'3,2,'.repeat(32)}2`);
  assert.equal(t.megaflow, 'recirc_id=0,eth,udp,in_port=1,nw_tos=0,nw_frag=no');
  assert.ok(t.trace.some((l) => l.includes('over max translation depth 64')));
});

test('output to a patch port without a usable peer drops, with no datapath action (OVS trace)', () => {
  // br0: priority=10,in_port=2,actions=output:3,output:1 (port 3 is pd, peer=nonexist)
  const { r } = bridges([{ priority: 10, match: 'in_port=2', ofpacts: [out(3), out(1)] }], [], { pd: true });
  const t = trace(r, UDP(2));
  assert.equal(t.dp, '1');
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=2,nw_frag=no');
});

test('a packet-in in the peer bridge goes to the peer bridge, with the peer port as in_port', () => {
  // br1: priority=40,in_port=6,icmp,actions=load:0x1->NXM_NX_REG1[],controller,output:1. OVS:
  // "set(ipv4(tos=0x4/0xfc)),userspace(pid=0,controller(reason=1,...)),3,2" (pid: the dummy
  // datapath's; per-CPU dispatch gives 4294967295). The packet-in is also reported.
  const { r, ids } = bridges([
    { priority: 10, match: 'in_port=1', ofpacts: [{ type: 'set_ip_dscp', dscp: 4 }, out(5), out(2)] },
  ], [
    { priority: 40, match: 'in_port=6,icmp', ofpacts: [load('reg1', 1, 4), { type: 'controller', maxLen: 65535, reason: OFPR_ACTION, controllerId: 0, pause: false } as Ofpact, out(1)] },
  ]);
  setThreadRecircPool(new RecircPool());
  const t = trace(r, ICMP(1));
  assert.equal(t.dp, 'set(ipv4(tos=0x4/0xfc)),userspace(pid=4294967295,controller(reason=1,dont_send=1,continuation=0,recirc_id=1,'
    + 'rule_cookie=0,controller_id=0,max_len=65535)),3,2');
  assert.equal(t.slow, false);
  assert.equal(t.packetIns.length, 1);
  const pin = t.packetIns[0];
  assert.equal(pin.bridge, 'br1');
  assert.equal(pin.inPort, 6);
  assert.equal(pin.ruleId, ids.br1[0]);
  assert.equal(get(pin.flow, S.reg1), 1, 'the packet-in sees the register the peer loaded');
  assert.equal(get(pin.flow, S.in_port), 6);
});

test('a peer port with OFPPC_NO_RECV drops what the patch sends it', () => {
  const ports = BR1.map((p) => (p.name === 'pb' ? { ...p, config: OFPUTIL_PC_NO_RECV } : p));
  const { r } = bridges([{ priority: 10, match: 'in_port=1', ofpacts: [out(5), out(2)] }], [NORMAL], { br1Ports: ports });
  assert.equal(trace(r, UDP(1)).dp, '2');
});

test('patch ports own no datapath port: upcalls never map to them', () => {
  const { r } = bridges([NORMAL], [NORMAL]);
  assert.equal(r.portOfOdp(ODPP_NONE), undefined);
  assert.equal(r.portOfOdp(3)?.bridge.name, 'br1');
  assert.equal(r.bridges.get('br0')?.bridge('br1'), r.bridges.get('br1'));
});

test('patch interface options are checked with OVS\'s error texts', () => {
  assert.equal(patchConfigError('p0', undefined), "p0: patch type requires valid 'peer' argument");
  assert.equal(patchConfigError('p0', new Map([['peer', 'p0']])), 'p0: patch peer must not be self');
  assert.equal(patchConfigError('p0', new Map([['peer', 'p1'], ['x', 'y']])), "p0: patch type takes only a 'peer' argument");
  assert.equal(patchConfigError('p0', new Map([['peer', 'p1']])), undefined);
});

test('a learn in the peer bridge records that bridge, so the main thread adds the flow there', () => {
  const learn = {
    type: 'learn', idleTimeout: 0, hardTimeout: 0, priority: 100, tableId: 1, flags: 0, cookie: 0n, finIdleTimeout: 0,
    finHardTimeout: 0, limit: 0,
    specs: [{ srcType: NX_LEARN_SRC_FIELD, dstType: NX_LEARN_DST_MATCH, nBits: 48, src: { field: 'eth_src', ofs: 0, nBits: 48 }, dst: { field: 'eth_dst', ofs: 0, nBits: 48 } }],
  } as Ofpact;
  const { r } = bridges([{ match: 'in_port=1', ofpacts: [out(5)] }], [{ match: 'in_port=6', ofpacts: [learn, out(1)] }]);
  const f = flowFromOdpKey(parseOdpFlowKey(ICMP(1)).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 1000, mayLearn: true, allowSideEffects: true });
  assert.equal(x.bridge, 'br0');
  assert.equal(formatActions(x.actions), '3');
  assert.deepEqual(x.learns?.map((l) => [l.bridge, l.tableId]), [['br1', 1]]);
});
