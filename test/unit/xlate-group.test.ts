import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { OFPG_ANY, OFPP_ANY, OFPP_LOCAL } from '../../src/openflow/common';
import { Match } from '../../src/openflow/match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import type { Bucket, GroupDesc, GroupType } from '../../src/openflow/ofp-group';
import { OFPUTIL_PC_PORT_DOWN, OFPUTIL_PS_LINK_DOWN } from '../../src/openflow/ofp-port';
import { OFPR_GROUP } from '../../src/openflow/ofp-switch';
import type { Ofpact } from '../../src/openflow/ofpacts';
import type { RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { flowFromOdpKey } from '../../src/ofproto-dpif/odp-flow';
import { OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { xlate, type XlateResult } from '../../src/ofproto-dpif/xlate';
import { groupSelectionMethod, groupSetupDpHashTable } from '../../src/ofproto-dpif/xlate-group';
import { jhashBytes } from '../../src/util/ovs-hash';

/**
 * Golden expectations from OVS 3.1 (Debian's ovs-vswitchd, dummy datapath): `ovs-vsctl add-br
 * br0 -- set bridge br0 datapath_type=dummy` with dummy ports p1..p4 (ofport_request 1..4, datapath
 * ports 1..4), groups and flows added with `ovs-ofctl -O OpenFlow15` (each test quotes them), then
 * `ovs-appctl ofproto/trace ovs-dummy KEY` with KEY = `K(tos)` below; the trace's "Megaflow:" and
 * "Datapath actions:" lines, and where it prints them the bucket scores, are the expectations.
 */
const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
  { name: 'p3', ofport: 3, odpPort: 3 },
  { name: 'p4', ofport: 4, odpPort: 4 },
];

const K = (tos: number) => 'in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),'
  + `ipv4(src=10.1.2.3,dst=192.168.0.2,proto=6,tos=${tos},ttl=64,frag=no),tcp(src=8,dst=80)`;

const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const mac = (m: string) => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));

function bucket(bucketId: number, ofpacts: Ofpact[], more: Partial<Bucket> = {}): Bucket {
  return { weight: 1, watchPort: OFPP_ANY, watchGroup: OFPG_ANY, bucketId, ofpacts, ...more };
}

function group(groupId: number, type: GroupType, buckets: Bucket[], props: Partial<GroupDesc['props']> = {}): GroupDesc {
  return { groupId, type, buckets, props: { selectionMethod: '', selectionMethodParam: 0n, fields: [], ...props } };
}

let nextRuleId = 1;

interface RuleSpec { table?: number; priority?: number; match: string; ofpacts: Ofpact[] }

function bridge(rules: RuleSpec[], groups: GroupDesc[], ports: PortConfig[] = PORTS): OfprotoReplica {
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [{ name: 'br0', id: 1, macAgingS: 300, ports, packetInOnMiss: false, groups }] });
  const added: RuleSnapshot[] = rules.map((x) => ({
    id: nextRuleId++, tableId: x.table ?? 0, priority: x.priority ?? 0x8000, match: parseMatch(x.match).match,
    cookie: 0n, flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0, ofpacts: x.ofpacts,
  }));
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added });
  return r;
}

function trace(r: OfprotoReplica, odp: string): XlateResult & { megaflow: string; dp: string } {
  const f = flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 1000, mayLearn: false });
  const masked = Buffer.from(f.flow.map((b, i) => b & x.wc[i]));
  return { ...x, megaflow: formatMatch(new Match(masked, Buffer.from(x.wc))), dp: formatActions(x.actions) };
}

const scores = (t: XlateResult) => t.trace.filter((s) => s.includes('score'));

test('jhash_bytes is lookup3\'s hashlittle', () => {
  // lookup3's published vector: hashlittle("Four score and seven years ago", 30, 0) = 0x17770551.
  assert.equal(jhashBytes(Buffer.from('Four score and seven years ago'), 0), 0x17770551);
});

test('select, selection_method=hash,fields(ip_src,nw_proto): bucket scores and megaflow as OVS', () => {
  // group_id=1,type=select,selection_method=hash,fields(ip_src,nw_proto),bucket=bucket_id:0,output:2,
  //   bucket=bucket_id:1,output:3,bucket=bucket_id:2,output:4;  priority=10,ip,nw_tos=0,actions=group:1
  const g = group(1, 'select', [bucket(0, [out(2)]), bucket(1, [out(3)]), bucket(2, [out(4)])],
    { selectionMethod: 'hash', fields: [{ field: 'nw_proto', value: Buffer.from([0xff]) }, { field: 'ip_src', value: Buffer.alloc(4, 0xff) }] });
  const t = trace(bridge([{ priority: 10, match: 'ip,nw_tos=0', ofpacts: [{ type: 'group', groupId: 1 }] }], [g]), K(0));
  assert.deepEqual(scores(t), ['bucket 0: score 54451', 'bucket 1: score 42780', 'bucket 2: score 30277']);
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_tos=0,nw_frag=no');
  assert.equal(t.dp, '2');
});

test('select hash with masked fields, a selection_method_param and weights (OVS trace)', () => {
  // group_id=6,type=select,selection_method=hash,selection_method_param=7,
  //   fields(eth_dst=ff:00:00:00:00:00,ip_dst=255.255.0.0,tcp_dst),bucket=bucket_id:0,output:2,
  //   bucket=bucket_id:1,output:3,bucket=bucket_id:2,weight:3,output:4
  const g = group(6, 'select', [bucket(0, [out(2)]), bucket(1, [out(3)]), bucket(2, [out(4)], { weight: 3 })], {
    selectionMethod: 'hash', selectionMethodParam: 7n,
    fields: [
      { field: 'eth_dst', value: mac('ff:00:00:00:00:00') }, { field: 'ip_dst', value: Buffer.from([255, 255, 0, 0]) },
      { field: 'tcp_dst', value: Buffer.from([0xff, 0xff]) },
    ],
  });
  const t = trace(bridge([{ priority: 15, match: 'ip,nw_tos=20', ofpacts: [{ type: 'group', groupId: 6 }] }], [g]), K(20));
  assert.deepEqual(scores(t), ['bucket 0: score 8996', 'bucket 1: score 55007', 'bucket 2: score 91557']);
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,dl_dst=50:00:00:00:00:00/ff:00:00:00:00:00,nw_dst=192.168.0.0/16,nw_tos=20,nw_frag=no,tp_dst=80');
  assert.equal(t.dp, '4');
});

test('select without a method whose weights need over 256 hash values: symmetric L4 hash (OVS trace)', () => {
  // group_id=2,type=select,bucket=bucket_id:0,weight:1,output:2,bucket=bucket_id:1,weight:300,output:3,
  //   bucket=bucket_id:2,weight:300,output:4;  priority=11,ip,nw_tos=4,actions=group:2
  const g = group(2, 'select', [bucket(0, [out(2)]), bucket(1, [out(3)], { weight: 300 }), bucket(2, [out(4)], { weight: 300 })]);
  assert.equal(groupSelectionMethod(g).method, 'default');
  const t = trace(bridge([{ priority: 11, match: 'ip,nw_tos=4', ofpacts: [{ type: 'group', groupId: 2 }] }], [g]), K(4));
  assert.deepEqual(scores(t), ['bucket 0: score 48312', 'bucket 1: score 14339100', 'bucket 2: score 5199000']);
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_tos=4,nw_frag=no,tp_src=8,tp_dst=80');
  assert.equal(t.dp, '3');
});

test('indirect group chained to a select group: the bucket\'s header change applies (OVS trace)', () => {
  // group_id=5,type=indirect,bucket=bucket_id:0,mod_nw_src:1.1.1.1,group:2 (group 2 as above)
  const g2 = group(2, 'select', [bucket(0, [out(2)]), bucket(1, [out(3)], { weight: 300 }), bucket(2, [out(4)], { weight: 300 })]);
  const g5 = group(5, 'indirect', [bucket(0, [{ type: 'set_ipv4_src', ipv4: 0x01010101 }, { type: 'group', groupId: 2 }])]);
  const t = trace(bridge([{ priority: 14, match: 'ip,nw_tos=16', ofpacts: [{ type: 'group', groupId: 5 }] }], [g2, g5]), K(16));
  assert.deepEqual(scores(t), ['bucket 0: score 51793', 'bucket 1: score 17709900', 'bucket 2: score 15640200']);
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_tos=16,nw_frag=no,tp_src=8,tp_dst=80');
  assert.equal(t.dp, 'set(ipv4(src=1.1.1.1)),3');
});

const G3 = () => group(3, 'all', [
  bucket(0, [{ type: 'set_eth_dst', mac: mac('00:00:00:00:00:09') }, out(2), out(3)]),
  bucket(1, [out(4)]),
]);

test('all group: each bucket is an action set on a copy of the flow (OVS trace)', () => {
  // group_id=3,type=all,bucket=bucket_id:0,mod_dl_dst:00:00:00:00:00:09,output:2,output:3,bucket=bucket_id:1,output:4
  // priority=12,ip,nw_tos=8,actions=group:3,output:1 (output:1 is the input port: skipped)
  const t = trace(bridge([{ priority: 12, match: 'ip,nw_tos=8', ofpacts: [{ type: 'group', groupId: 3 }, out(1)] }], [G3()]), K(8));
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=1,dl_dst=50:54:00:00:00:07,nw_tos=8,nw_frag=no');
  assert.equal(t.dp, 'set(eth(dst=00:00:00:00:00:09)),3,set(eth(dst=50:54:00:00:00:07)),4');
  // After `mod-group br0 group_id=3,type=all` (no buckets).
  const empty = trace(bridge([{ priority: 12, match: 'ip,nw_tos=8', ofpacts: [{ type: 'group', groupId: 3 }, out(1)] }], [group(3, 'all', [])]), K(8));
  assert.equal(empty.megaflow, 'recirc_id=0,eth,ip,in_port=1,nw_tos=8,nw_frag=no');
  assert.equal(empty.dp, 'drop');
});

test('fast_failover: first bucket whose watch_port is live; link down moves to the next (OVS trace)', () => {
  // group_id=4,type=fast_failover,bucket=bucket_id:0,watch_port:2,output:2,bucket=bucket_id:1,watch_port:3,output:3
  // priority=13,ip,nw_tos=12,actions=group:4;  then `netdev-dummy/set-admin-state p2 down`
  const g = group(4, 'ff', [bucket(0, [out(2)], { watchPort: 2 }), bucket(1, [out(3)], { watchPort: 3 })]);
  const rules = [{ priority: 13, match: 'ip,nw_tos=12', ofpacts: [{ type: 'group', groupId: 4 } as Ofpact] }];
  const up = trace(bridge(rules, [g]), K(12));
  assert.equal(up.megaflow, 'recirc_id=0,eth,ip,in_port=1,nw_tos=12,nw_frag=no');
  assert.equal(up.dp, '2');
  const ports = PORTS.map((p) => (p.ofport === 2 ? { ...p, config: OFPUTIL_PC_PORT_DOWN, state: OFPUTIL_PS_LINK_DOWN } : p));
  const down = trace(bridge(rules, [g], ports), K(12));
  assert.equal(down.megaflow, 'recirc_id=0,eth,ip,in_port=1,nw_tos=12,nw_frag=no');
  assert.equal(down.dp, '3');
  // No live bucket at all: nothing, and a watch_group chain follows the watched group's liveness.
  const dead = PORTS.map((p) => (p.ofport >= 2 ? { ...p, state: OFPUTIL_PS_LINK_DOWN } : p));
  assert.equal(trace(bridge(rules, [g], dead), K(12)).dp, 'drop');
  const g7 = group(7, 'ff', [bucket(0, [out(4)], { watchGroup: 4 }), bucket(1, [out(2)])]);
  const chained = [{ priority: 13, match: 'ip,nw_tos=12', ofpacts: [{ type: 'group', groupId: 7 } as Ofpact] }];
  assert.equal(trace(bridge(chained, [g, g7], dead), K(12)).dp, '2');
  assert.equal(trace(bridge(chained, [g, g7]), K(12)).dp, '4');
});

test('write_actions: the action set runs at the end of the pipeline, set/move before output; actset_output matches (OVS trace)', () => {
  // priority=16,ip,nw_tos=24,actions=write_actions(set_field:00:00:00:00:00:0a->eth_dst,output:3),goto_table:1
  // table=1,priority=10,actset_output=3,actions=output:2,write_actions(output:4)
  // table=1,priority=5,actions=output:1
  const t = trace(bridge([
    { priority: 16, match: 'ip,nw_tos=24', ofpacts: [
      { type: 'write_actions', actions: [{ type: 'set_eth_dst', mac: mac('00:00:00:00:00:0a') }, out(3)] },
      { type: 'goto_table', tableId: 1 },
    ] },
    { table: 1, priority: 10, match: 'actset_output=3', ofpacts: [out(2), { type: 'write_actions', actions: [out(4)] }] },
    { table: 1, priority: 5, match: '', ofpacts: [out(1)] },
  ], []), K(24));
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=1,dl_dst=50:54:00:00:00:07,nw_tos=24,nw_frag=no');
  assert.equal(t.dp, '2,set(eth(dst=00:00:00:00:00:0a)),4');
});

test('a group in the action set wins over its output; a table miss still runs the action set (OVS trace)', () => {
  // priority=17,ip,nw_tos=28,actions=write_actions(output:3,group:3),goto_table:1 (table 1 as above)
  const rules: RuleSpec[] = [
    { priority: 17, match: 'ip,nw_tos=28', ofpacts: [{ type: 'write_actions', actions: [out(3), { type: 'group', groupId: 3 }] }, { type: 'goto_table', tableId: 1 }] },
    { table: 1, priority: 10, match: 'actset_output=3', ofpacts: [out(2), { type: 'write_actions', actions: [out(4)] }] },
    { table: 1, priority: 5, match: '', ofpacts: [out(1)] },
    // priority=18,ip,nw_tos=32,actions=write_actions(output:3),goto_table:2 (table 2 empty: a miss)
    { priority: 18, match: 'ip,nw_tos=32', ofpacts: [{ type: 'write_actions', actions: [out(3)] }, { type: 'goto_table', tableId: 2 }] },
    // priority=19,ip,nw_tos=36,actions=exit,write_actions(output:3)
    { priority: 19, match: 'ip,nw_tos=36', ofpacts: [{ type: 'exit' }, { type: 'write_actions', actions: [out(3)] }] },
  ];
  const r = bridge(rules, [G3()]);
  const t = trace(r, K(28));
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=1,dl_dst=50:54:00:00:00:07,nw_tos=28,nw_frag=no');
  assert.equal(t.dp, 'set(eth(dst=00:00:00:00:00:09)),3,set(eth(dst=50:54:00:00:00:07)),4');
  const miss = trace(r, K(32));
  assert.equal(miss.megaflow, 'recirc_id=0,eth,ip,in_port=1,nw_tos=32,nw_frag=no');
  assert.equal(miss.dp, '3');
  const exit = trace(r, K(36));
  assert.equal(exit.megaflow, 'recirc_id=0,eth,ip,in_port=1,nw_tos=36,nw_frag=no');
  assert.equal(exit.dp, 'drop');
});

test('clear_actions empties the action set; a missing group ends only its action list', () => {
  const r = bridge([
    { match: 'ip,nw_tos=44', ofpacts: [{ type: 'write_actions', actions: [out(3)] }, { type: 'goto_table', tableId: 2 }] },
    { table: 2, match: '', ofpacts: [{ type: 'clear_actions' }, { type: 'goto_table', tableId: 3 }] },
    { table: 3, match: '', ofpacts: [out(4)] },
    { match: 'ip,nw_tos=40', ofpacts: [{ type: 'write_actions', actions: [out(2)] }, { type: 'group', groupId: 99 }, out(4)] },
  ], []);
  assert.equal(trace(r, K(44)).dp, '4');
  // OVS xlate_group_action(): a nonexistent group ends the action list; the action set still runs.
  assert.equal(trace(r, K(40)).dp, '2');
});

test('output:CONTROLLER in a group bucket is a packet-in with reason OFPR_GROUP', () => {
  const g = group(8, 'all', [bucket(0, [{ type: 'output', port: 0xfffd, maxLen: 128 }])]);
  const t = trace(bridge([{ match: '', ofpacts: [{ type: 'group', groupId: 8 }] }], [g]), K(0));
  assert.equal(t.packetIns.length, 1);
  assert.equal(t.packetIns[0].reason, OFPR_GROUP);
});

test('dp_hash tables spread hash values by weight as OVS group_setup_dp_hash_table (Webster)', () => {
  const b = [bucket(0, [], { weight: 1 }), bucket(1, [], { weight: 3 })];
  const t = groupSetupDpHashTable(b, 256)!;
  assert.equal(t.hashMask, 15);
  assert.equal(t.hashMap.filter((x) => x.bucketId === 1).length, 12);
  assert.equal(t.hashMap.filter((x) => x.bucketId === 0).length, 4);
  // Webster order: the heavier bucket takes the first slot; ties go to the first bucket.
  assert.equal(t.hashMap[0].bucketId, 1);
  assert.equal(groupSetupDpHashTable([bucket(0, [], { weight: 1 }), bucket(1, [], { weight: 300 })], 256), undefined);
  assert.equal(groupSetupDpHashTable([bucket(0, [], { weight: 0 })], 256), undefined);
});

test('a select group with dp_hash picks from the masked dp_hash of a recirculated packet', () => {
  const g = group(9, 'select', [bucket(0, [out(2)]), bucket(1, [out(3)])]);
  const sel = groupSelectionMethod(g);
  assert.equal(sel.method, 'dp_hash');
  const r = bridge([{ match: 'ip,nw_tos=0', ofpacts: [{ type: 'group', groupId: 9 }] }], [g]);
  const t = trace(r, `recirc_id(0),dp_hash(0x11),${K(0)}`);
  // 16 hash values alternate between the two buckets: 0x11 & 15 = 1 → bucket 1.
  assert.equal(t.dp, '3');
  assert.match(t.megaflow, /dp_hash=0x1\/0xf/);
});
