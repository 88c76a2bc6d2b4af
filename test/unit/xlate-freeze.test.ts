/**
 * Select groups by dp_hash through freezing and recirculation (xlate-freeze.ts, xlate-group.ts).
 * Expectations from OVS 3.1 (Debian) on the dummy datapath: bridge br0 (odp port 100) with dummy
 * ports p1, p2 (ofport and odp port 1, 2) and
 *   ovs-ofctl -O OpenFlow15 add-group br0 'group_id=1,type=select,bucket=bucket_id:0,weight:1,actions=output:1,bucket=bucket_id:1,weight:3,actions=output:2'
 *   ovs-ofctl -O OpenFlow15 add-group br0 'group_id=2,type=select,selection_method=dp_hash,bucket=bucket_id:5,actions=output:2'
 *   table=0,in_port=1,ip,actions=mod_nw_tos:16,resubmit(,1),output:100
 *   table=1,ip,actions=group:1,mod_nw_dst:9.9.9.9,output:2
 *   table=0,in_port=2,actions=group:2
 * The first pass is `ovs-appctl ofproto/trace` (the dummy datapath has sym_l4: "Max dp_hash
 * algorithm: 1"); the recirculated passes are the megaflows `ovs-appctl dpctl/dump-flows` showed
 * after `netdev-dummy/receive` of TCP packets from 1.1.1.1–1.1.1.5 (ports 1001–1005) to 2.2.2.2:80
 * and of a UDP packet on p2, with the dp_hash values the dummy datapath computed.
 * Recirculation ids are renumbered from 1 (each test starts a fresh pool).
 */
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { OFPG_ANY, OFPP_ANY, OFPP_LOCAL } from '../../src/openflow/common';
import { Match } from '../../src/openflow/match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import type { Bucket, GroupDesc } from '../../src/openflow/ofp-group';
import type { Ofpact } from '../../src/openflow/ofpacts';
import type { RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { flowFromOdpKey } from '../../src/ofproto-dpif/odp-flow';
import { BridgeConfig, OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { RecircPool, setThreadRecircPool, threadRecircPool } from '../../src/ofproto-dpif/recirc';
import { xlate } from '../../src/ofproto-dpif/xlate';
import { TraceCommands } from '../../src/unixctl/commands/trace';
import type { DaemonParts } from '../../src/unixctl/commands/parts';
import { UnixctlRegistry } from '../../src/unixctl/registry';

const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
];
const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const bucket = (bucketId: number, ofpacts: Ofpact[], weight = 1): Bucket => ({ weight, watchPort: OFPP_ANY, watchGroup: OFPG_ANY, bucketId, ofpacts });
const GROUPS: GroupDesc[] = [
  { groupId: 1, type: 'select', buckets: [bucket(0, [out(1)]), bucket(1, [out(2)], 3)], props: { selectionMethod: '', selectionMethodParam: 0n, fields: [] } },
  { groupId: 2, type: 'select', buckets: [bucket(5, [out(2)])], props: { selectionMethod: 'dp_hash', selectionMethodParam: 0n, fields: [] } },
];
const RULES: Array<{ table: number; match: string; ofpacts: Ofpact[] }> = [
  { table: 0, match: 'in_port=1,ip', ofpacts: [{ type: 'set_ip_dscp', dscp: 16 }, { type: 'resubmit', inPort: 0xfff8, tableId: 1, withCtOrig: false } as Ofpact, out(100)] },
  { table: 1, match: 'ip', ofpacts: [{ type: 'group', groupId: 1 } as Ofpact, { type: 'set_ipv4_dst', ipv4: 0x09090909 }, out(2)] },
  { table: 0, match: 'in_port=2', ofpacts: [{ type: 'group', groupId: 2 } as Ofpact] },
];

let nextId = 1;
function bridge(maxHashAlg?: number): { r: OfprotoReplica; config: BridgeConfig } {
  const config: BridgeConfig = { name: 'br0', id: 1, macAgingS: 300, ports: PORTS, packetInOnMiss: false, groups: GROUPS, maxHashAlg };
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [config] });
  const added: RuleSnapshot[] = RULES.map((x) => ({
    id: nextId++, tableId: x.table, priority: 0x8000, match: parseMatch(x.match).match, cookie: 0n, flags: 0, importance: 0,
    idleTimeout: 0, hardTimeout: 0, ofpacts: x.ofpacts,
  }));
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added });
  return { r, config };
}

/** One upcall's translation: [megaflow, datapath actions]. */
function pass(r: OfprotoReplica, odp: string): [string, string] {
  const f = flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 1000, mayLearn: false });
  assert.equal(x.slow, false);
  const masked = Buffer.from(f.flow.map((b, i) => b & x.wc[i]));
  return [formatMatch(new Match(masked, Buffer.from(x.wc))), formatActions(x.actions)];
}

const ETH = 'eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x0800)';
const tcp = (s: number, tos: number) => `${ETH},ipv4(src=1.1.1.${s},dst=2.2.2.2,proto=6,tos=${tos},ttl=64,frag=no),tcp(src=${1000 + s},dst=80)`;

beforeEach(() => setThreadRecircPool(new RecircPool(undefined, 64)));

const SEL1_TRACE = `Flow: tcp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=1.1.1.1,nw_dst=0.0.0.0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0,tcp_flags=0

bridge("br0")
-------------
 0. ip,in_port=1, priority 32768
    mod_nw_tos:16
    resubmit(,1)
 1. ip, priority 32768
    group:1
     -> no live bucket

Final flow: tcp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=1.1.1.1,nw_dst=0.0.0.0,nw_tos=16,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0,tcp_flags=0
Megaflow: recirc_id=0,eth,tcp,in_port=1,nw_tos=0,nw_frag=no
Datapath actions: set(ipv4(tos=0x10/0xfc)),hash(sym_l4(0)),recirc(0x1)
`;

test('ofproto/trace of a select group without selection_method: hash(sym_l4(0)),recirc on a datapath with sym_l4 (OVS 3.1)', async () => {
  const { r, config } = bridge(1);
  const parts = { udpif: { getConfig: () => ({ version: 1, bridges: [config] }) } } as unknown as DaemonParts;
  const registry = new UnixctlRegistry();
  new TraceCommands(() => parts, (name) => (name === 'br0' ? r.portOfOdp(1)?.bridge : undefined)).register(registry);
  assert.equal(await registry.get('ofproto/trace')!.handler(['br0', 'in_port=1,tcp,nw_src=1.1.1.1']), SEL1_TRACE);
});

test('the recirculated packet resumes at the group and picks the bucket of its dp_hash, spread 1:3 (OVS 3.1)', () => {
  const { r } = bridge(1);
  assert.deepEqual(pass(r, `recirc_id(0),dp_hash(0),in_port(1),${tcp(1, 0)}`),
    ['recirc_id=0,eth,tcp,in_port=1,nw_tos=0,nw_frag=no', 'set(ipv4(tos=0x10/0xfc)),hash(sym_l4(0)),recirc(0x1)']);
  // Another flow freezes the same state: the same id.
  assert.deepEqual(pass(r, `recirc_id(0),dp_hash(0),in_port(1),${tcp(3, 0)}`)[1], 'set(ipv4(tos=0x10/0xfc)),hash(sym_l4(0)),recirc(0x1)');
  const st = threadRecircPool().find(1);
  assert.deepEqual(st?.ofpacts?.map((a) => a.type), ['unroll_xlate', 'group', 'set_ipv4_dst', 'output', 'unroll_xlate', 'output']);
  // dp_hash values the dummy datapath computed, and the bucket OVS took for each (0xf/0xc/0xe → bucket 1, 0x5/0x1 → bucket 0).
  const cases: Array<[number, number, string, string]> = [
    [3, 0x6692ffaf, '0xf', '2,set(ipv4(dst=9.9.9.9)),2'],
    [1, 0xb4c978c5, '0x5', 'set(ipv4(dst=9.9.9.9)),2'],
    [2, 0xeb74a3bc, '0xc', '2,set(ipv4(dst=9.9.9.9)),2'],
    [4, 0x8b3217c1, '0x1', 'set(ipv4(dst=9.9.9.9)),2'],
    [5, 0x6d72380e, '0xe', '2,set(ipv4(dst=9.9.9.9)),2'],
  ];
  for (const [s, hash, masked, dp] of cases) {
    assert.deepEqual(pass(r, `recirc_id(0x1),dp_hash(0x${hash.toString(16)}),in_port(1),${tcp(s, 0x10)}`),
      [`recirc_id=0x1,dp_hash=${masked}/0xf,eth,tcp,in_port=1,nw_dst=2.2.2.2,nw_frag=no`, dp], `dp_hash 0x${hash.toString(16)}`);
  }
});

test('selection_method=dp_hash with one bucket still recirculates, with l4; the Linux datapath default is l4 too (OVS 3.1)', () => {
  const udp = `${ETH},ipv4(src=1.1.1.1,dst=2.2.2.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=80)`;
  const { r } = bridge();
  assert.deepEqual(pass(r, `recirc_id(0),dp_hash(0),in_port(2),${udp}`), ['recirc_id=0,eth,ip,in_port=2,nw_frag=no', 'hash(l4(0)),recirc(0x1)']);
  // The only bucket outputs to the input port: nothing left.
  assert.deepEqual(pass(r, `recirc_id(0x1),dp_hash(0x8f4a2839),in_port(2),${udp}`), ['recirc_id=0x1,dp_hash=0x9/0xf,eth,ip,in_port=2,nw_frag=no', 'drop']);
  // Without sym_l4 in the datapath the default method hashes with l4.
  assert.deepEqual(pass(r, `recirc_id(0),dp_hash(0),in_port(1),${tcp(1, 0)}`)[1], 'set(ipv4(tos=0x10/0xfc)),hash(l4(0)),recirc(0x2)');
});
