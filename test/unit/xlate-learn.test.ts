import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { OFPP_LOCAL } from '../../src/openflow/common';
import { Match } from '../../src/openflow/match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import { formatOfpacts } from '../../src/openflow/ofpacts-format';
import {
  NX_LEARN_DST_LOAD, NX_LEARN_DST_MATCH, NX_LEARN_DST_OUTPUT, NX_LEARN_F_SEND_FLOW_REM, NX_LEARN_SRC_FIELD, NX_LEARN_SRC_IMMEDIATE,
  LearnSpec, OfpactOf, Ofpact,
} from '../../src/openflow/ofpacts';
import { FlowTables, type RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { flowFromOdpKey } from '../../src/ofproto-dpif/odp-flow';
import { OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { xlate } from '../../src/ofproto-dpif/xlate';
import { applyLearnedFlow, learnExecute, reviveLearnedFlow, type LearnedFlow } from '../../src/ofproto-dpif/xlate-learn';

/**
 * Golden vectors from OVS 3.1 on the dummy datapath (bridge br0, dummy ports p1..p3 = ofport
 * and datapath port 1..3): "Megaflow:"/"Datapath actions:" of `ofproto/trace`, and the learned
 * rules `ovs-ofctl dump-flows br0 --no-stats` shows after `netdev-dummy/receive` of the same
 * packet (learn has side effects only for real packets).
 */
const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
  { name: 'p3', ofport: 3, odpPort: 3 },
];
const ETH = 'eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07)';
const TCP4 = `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.1.2.3,dst=192.168.0.2,proto=6,tos=0x20,ttl=64,frag=no),tcp(src=8,dst=80),tcp_flags(fin)`;
const VLAN_UDP4 = `in_port(2),${ETH},eth_type(0x8100),vlan(vid=10,pcp=3),encap(eth_type(0x0800),ipv4(src=10.1.2.3,dst=192.168.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=8,dst=80))`;

const field = (f: string, ofs: number, nBits: number) => ({ field: f, ofs, nBits });
const specMatchField = (dst: string, src: string, nBits: number, dstOfs = 0, srcOfs = 0): LearnSpec =>
  ({ srcType: NX_LEARN_SRC_FIELD, dstType: NX_LEARN_DST_MATCH, nBits, src: field(src, srcOfs, nBits), dst: field(dst, dstOfs, nBits) });
const specMatchImm = (dst: string, imm: Buffer, nBits: number): LearnSpec =>
  ({ srcType: NX_LEARN_SRC_IMMEDIATE, dstType: NX_LEARN_DST_MATCH, nBits, imm, dst: field(dst, 0, nBits) });

function learn(o: Partial<OfpactOf<'learn'>> & { specs: LearnSpec[] }): OfpactOf<'learn'> {
  return {
    type: 'learn', idleTimeout: 0, hardTimeout: 0, priority: 0x8000, tableId: 1, flags: 0, cookie: 0n, finIdleTimeout: 0,
    finHardTimeout: 0, limit: 0, ...o,
  };
}

/** learn(table=1,hard_timeout=60,fin_idle_timeout=3,send_flow_rem,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]) */
const L2_LEARN = learn({
  tableId: 1, hardTimeout: 60, finIdleTimeout: 3, flags: NX_LEARN_F_SEND_FLOW_REM, specs: [
    specMatchField('vlan_tci', 'vlan_tci', 12),
    specMatchField('eth_dst', 'eth_src', 48),
    { srcType: NX_LEARN_SRC_FIELD, dstType: NX_LEARN_DST_OUTPUT, nBits: 16, src: field('in_port', 0, 16) },
  ],
});

/**
 * learn(table=2,idle_timeout=10,priority=5,cookie=0x99,eth_type=0x800,nw_proto=6,
 *   NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],NXM_OF_TCP_SRC[]=NXM_OF_TCP_DST[],
 *   load:NXM_NX_IP_TTL[]->NXM_NX_REG3[8..15],load:0x5->NXM_NX_REG4[])
 */
const L4_LEARN = learn({
  tableId: 2, idleTimeout: 10, priority: 5, cookie: 0x99n, specs: [
    specMatchImm('eth_type', Buffer.from([0x08, 0x00]), 16),
    specMatchImm('ip_proto', Buffer.from([6]), 8),
    specMatchField('ip_src', 'ip_dst', 32),
    specMatchField('tcp_src', 'tcp_dst', 16),
    { srcType: NX_LEARN_SRC_FIELD, dstType: NX_LEARN_DST_LOAD, nBits: 8, src: field('nw_ttl', 0, 8), dst: field('reg3', 8, 8) },
    { srcType: NX_LEARN_SRC_IMMEDIATE, dstType: NX_LEARN_DST_LOAD, nBits: 32, imm: Buffer.from([0, 0, 0, 5]), dst: field('reg4', 0, 32) },
  ],
});

function replica(rules: Array<{ match: string; ofpacts: Ofpact[] }>): OfprotoReplica {
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [{ name: 'br0', id: 1, macAgingS: 300, ports: PORTS }] });
  const added: RuleSnapshot[] = rules.map((x, i) => {
    const { match } = parseMatch(x.match);
    return {
      id: i + 1, tableId: 0, priority: 0x8000, match: { flow: match.flow, wc: match.wc }, cookie: 0n, flags: 0, importance: 0,
      idleTimeout: 0, hardTimeout: 0, ofpacts: x.ofpacts,
    };
  });
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added });
  return r;
}

function run(r: OfprotoReplica, odp: string, allowSideEffects: boolean) {
  const f = flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 1000, mayLearn: false, allowSideEffects });
  const masked = Buffer.from(f.flow.map((b, i) => b & x.wc[i]));
  return { ...x, megaflow: formatMatch(new Match(masked, Buffer.from(x.wc))), dp: formatActions(x.actions) };
}

const learnedText = (lf: LearnedFlow) => `${formatMatch(new Match(Buffer.from(lf.match.flow), Buffer.from(lf.match.wc)))} actions=${formatOfpacts(lf.ofpacts)}`;

test('learn un-wildcards its source fields; a trace has no side effects (OVS trace)', () => {
  // in_port=1,actions=learn(table=1,hard_timeout=60,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),output:2
  const r = replica([{ match: 'in_port=1', ofpacts: [{ ...L2_LEARN, finIdleTimeout: 0, flags: 0 }, { type: 'output', port: 2, maxLen: 0 }] }]);
  const t = run(r, TCP4, false);
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no');
  assert.equal(t.dp, '2');
  assert.equal(t.learns, undefined);
  assert.equal(t.slow, false, 'a learn never makes the translation slow');
  const t2 = run(r, TCP4, true);
  assert.equal(t2.megaflow, t.megaflow, 'the same megaflow with side effects');
  assert.equal(t2.learns?.length, 1);
});

test('learned L2 flow: VLAN and MAC match, output to the input port, fin_timeout, send_flow_rem (OVS dump-flows)', () => {
  // in_port=2,actions=learn(table=1,hard_timeout=60,fin_idle_timeout=3,send_flow_rem,...),output:1; packet on p2 in VLAN 10
  // OVS: table=1, hard_timeout=60, vlan_tci=0x000a/0x0fff,dl_dst=50:54:00:00:00:05 actions=fin_timeout(idle_timeout=3),output:2
  const r = replica([{ match: 'in_port=2', ofpacts: [L2_LEARN, { type: 'output', port: 1, maxLen: 0 }] }]);
  const t = run(r, VLAN_UDP4, true);
  assert.equal(t.dp, '1');
  const lf = t.learns![0];
  assert.equal(learnedText(lf), 'vlan_tci=0x000a/0x0fff,dl_dst=50:54:00:00:00:05 actions=fin_timeout(idle_timeout=3),output:2');
  assert.deepEqual([lf.tableId, lf.hardTimeout, lf.idleTimeout, lf.priority, lf.flags], [1, 60, 0, 0x8000, 1]);
  // OVS's datapath flow: recirc_id(0),in_port(2),eth(src=50:54:00:00:00:05),eth_type(0x8100),vlan(vid=10,pcp=3/0x0),encap(eth_type(0x0800),ipv4(frag=no))
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=2,dl_vlan=10,dl_src=50:54:00:00:00:05,nw_frag=no');
});

test('learned L4 flow: immediates, field-to-match and loads of a field and of an immediate (OVS dump-flows)', () => {
  // tcp,in_port=1 actions=learn(table=2,idle_timeout=10,priority=5,cookie=0x99,...),output:2
  // OVS: cookie=0x99, table=2, idle_timeout=10, priority=5,tcp,nw_src=192.168.0.2,tp_src=80 actions=load:0x40->NXM_NX_REG3[8..15],load:0x5->NXM_NX_REG4[]
  const r = replica([{ match: 'in_port=1,tcp', ofpacts: [L4_LEARN, { type: 'output', port: 2, maxLen: 0 }] }]);
  const t = run(r, TCP4, true);
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,nw_dst=192.168.0.2,nw_ttl=64,nw_frag=no,tp_dst=80');
  const lf = t.learns![0];
  assert.equal(learnedText(lf), 'tcp,nw_src=192.168.0.2,tp_src=80 actions=load:0x40->NXM_NX_REG3[8..15],load:0x5->NXM_NX_REG4[]');
  assert.deepEqual([lf.tableId, lf.idleTimeout, lf.priority, lf.cookie], [2, 10, 5, 0x99n]);
});

test('applyLearnedFlow adds, then only refreshes an identical rule, and honours limit=', () => {
  let now = 1_000_000;
  const tables = new FlowTables({ now: () => now });
  const lf = learnExecute(L4_LEARN, flowOf(TCP4));
  const first = applyLearnedFlow(tables, lf, now);
  assert.equal(first.learned, true);
  assert.equal(first.change?.added.length, 1);
  const rule = tables.rules(2)[0];
  assert.equal(rule.cookie, 0x99n);
  assert.equal(rule.idleTimeout, 10);
  now += 5000;
  // As it arrives from a worker: Uint8Arrays instead of Buffers.
  const posted = structuredClone(lf);
  const again = applyLearnedFlow(tables, reviveLearnedFlow(posted), now);
  assert.equal(again.change, undefined, 'identical: no new rule version');
  assert.equal(tables.rules(2)[0].id, rule.id);
  assert.equal(tables.rules(2)[0].modifiedMs, now, 'the refresh restarts the hard timeout');
  // A different learned flow with the same cookie, limit=1: refused.
  const other = learnExecute({ ...L4_LEARN, limit: 1 }, flowOf(TCP4.replace('dst=192.168.0.2', 'dst=192.168.0.3')));
  const limited = applyLearnedFlow(tables, other, now);
  assert.deepEqual(limited, { learned: false });
  assert.equal(tables.rules(2).length, 1);
  // Changed actions replace the rule (modify_strict).
  const changed = { ...lf, ofpacts: [{ type: 'output', port: 3, maxLen: 0 } as Ofpact] };
  const mod = applyLearnedFlow(tables, changed, now);
  assert.equal(mod.change?.added.length, 1);
  assert.equal(formatOfpacts(tables.rules(2)[0].ofpacts), 'output:3');
});

function flowOf(odp: string): Buffer {
  return Buffer.from(flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => o).flow);
}
