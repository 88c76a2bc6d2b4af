/**
 * ct, ct_clear, nat and recirculation through xlate (xlate-ct.ts, recirc.ts). Every expected
 * "Megaflow" and "Datapath actions" line was recorded with `ovs-appctl ofproto/trace br0 FLOW`
 * on Debian's OVS 3.1 (dummy datapath, bridge br0 with p1 = ofport/odp port 1 and p2 = 2) after
 * `ovs-ofctl add-flows` of the rules in each case's comment; the second pair of lines is OVS's
 * "resume conntrack with default ct_state=trk|new" section. Recirculation ids are renumbered as
 * a fresh daemon allocates them (the reference's trace kept counting from earlier traces).
 */
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { Match } from '../../src/openflow/match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import { NX_CT_F_COMMIT, NX_CT_F_FORCE, NX_NAT_F_DST, NX_NAT_F_PERSISTENT, NX_NAT_F_PROTO_HASH, NX_NAT_F_PROTO_RANDOM, NX_NAT_F_SRC, type MfSubfield, type Ofpact } from '../../src/openflow/ofpacts';
import type { RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { get, S, set } from '../../src/ofproto-dpif/flow';
import { flowFromOdpKey } from '../../src/ofproto-dpif/odp-flow';
import { OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { RecircPool, setThreadRecircPool, threadRecircPool } from '../../src/ofproto-dpif/recirc';
import { xlate, type XlateResult } from '../../src/ofproto-dpif/xlate';
import { CS_NEW, CS_TRACKED, xlateResume } from '../../src/ofproto-dpif/xlate-ct';

const PORTS: PortConfig[] = [
  { name: 'br0', ofport: 0xfffe, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
];

interface RuleSpec { table?: number; priority?: number; match: string; ofpacts: Ofpact[] }

let nextRuleId = 1;

function bridge(rules: RuleSpec[]): OfprotoReplica {
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [{ name: 'br0', id: 1, macAgingS: 300, ports: PORTS }] });
  const added: RuleSnapshot[] = rules.map((x) => {
    const { match } = parseMatch(x.match);
    return {
      id: nextRuleId++, tableId: x.table ?? 0, priority: x.priority ?? 0x8000, match: { flow: match.flow, wc: match.wc },
      cookie: 0n, flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0, ofpacts: x.ofpacts,
    };
  });
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added });
  return r;
}

interface Traced extends XlateResult { megaflow: string; dp: string }

function run(r: OfprotoReplica, flow: Buffer, odpInPort: number): Traced {
  const x = xlate((o) => r.portOfOdp(o), odpInPort, { flow, nowMs: 1000, mayLearn: false });
  const masked = Buffer.from(flow.map((b, i) => b & x.wc[i]));
  return { ...x, megaflow: formatMatch(new Match(masked, Buffer.from(x.wc))), dp: formatActions(x.actions) };
}

/** ofproto/trace of an ODP flow: the first pass and, for each recirculation, the resumed pass (ct_state=trk|new). */
function trace(r: OfprotoReplica, odp: string, ctState = CS_TRACKED | CS_NEW): Traced[] {
  const f = flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const first = run(r, f.flow, f.odpInPort);
  const out = [first];
  for (const rec of first.recircs ?? []) {
    const flow = Buffer.from(rec.flow);
    set(flow, S.ct_state, ctState);
    out.push(run(r, flow, f.odpInPort));
  }
  return out;
}

const TCP = 'in_port(1),eth(src=00:00:00:00:00:00,dst=00:00:00:00:00:00),eth_type(0x0800),ipv4(src=0.0.0.0,dst=10.0.0.1,proto=6,tos=0,ttl=0,frag=no),tcp(src=0,dst=0)';
const TCP6 = 'in_port(1),eth(src=00:00:00:00:00:00,dst=00:00:00:00:00:00),eth_type(0x86dd),ipv6(src=::,dst=::1,label=0,proto=6,tclass=0,hlimit=0,frag=no),tcp(src=0,dst=0)';

const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const ct = (o: { flags?: number; zone?: number; zoneSrc?: MfSubfield; table?: number; alg?: number; actions?: Ofpact[] }): Ofpact => ({
  type: 'ct', flags: o.flags ?? 0, zoneImm: o.zone ?? 0, zoneSrc: o.zoneSrc, alg: o.alg ?? 0, recircTable: o.table ?? 255,
  actions: o.actions ?? [],
});
const be = (v: bigint, n: number) => Buffer.from(v.toString(16).padStart(2 * n, '0'), 'hex');
const setField = (field: string, value: Buffer, mask?: Buffer): Ofpact => ({ type: 'set_field', field, value, mask: mask ?? Buffer.alloc(value.length, 0xff) });
const ip4 = (s: string) => Buffer.from(s.split('.').map(Number));
const nat = (flags: number, af: 'unspec' | 'inet' | 'inet6', min = Buffer.alloc(0), max = Buffer.alloc(min.length), pmin = 0, pmax = 0): Ofpact => ({
  type: 'nat', flags, rangeAf: af, addrMin: min, addrMax: max, protoMin: pmin, protoMax: pmax,
});
const COMMIT = NX_CT_F_COMMIT;

/** [megaflow, datapath actions] of each pass. */
function lines(t: Traced[]): Array<[string, string]> {
  return t.map((x) => [x.megaflow, x.dp]);
}

beforeEach(() => setThreadRecircPool(new RecircPool(undefined, 64)));

test('stateful firewall: ct(table=1,zone=1) recirculates; the resumed pass matches ct_state (OVS trace)', () => {
  // ip,actions=ct(table=1,zone=1)
  // table=1,priority=10,ct_state=+trk+new,ip,actions=ct(commit,zone=1),output:2
  // table=1,priority=10,ct_state=+trk+est,ip,actions=output:2
  const r = bridge([
    { priority: 10, match: 'ip', ofpacts: [ct({ table: 1, zone: 1 })] },
    { table: 1, priority: 10, match: 'ct_state=+trk+new,ip', ofpacts: [ct({ flags: COMMIT, zone: 1 }), out(2)] },
    { table: 1, priority: 10, match: 'ct_state=+trk+est,ip', ofpacts: [out(2)] },
  ]);
  const t = trace(r, TCP);
  assert.deepEqual(lines(t), [
    ['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct(zone=1),recirc(0x1)'],
    ['recirc_id=0x1,ct_state=+new+trk,eth,ip,in_port=1,nw_frag=no', 'ct(commit,zone=1),2'],
  ]);
  assert.equal(t[0].recircs?.[0].zone, 1);
  assert.equal(get(t[0].recircs![0].flow, S.ct_zone), 1, 'the trace resumes with ct_zone set');
  assert.equal(t[0].slow, false);
  // An established packet takes the other rule of table 1.
  const est = trace(r, TCP, CS_TRACKED | 0x02);
  assert.deepEqual(est[1].dp, '2');
  assert.deepEqual(est[0].dp, 'ct(zone=1),recirc(0x1)', 'the same frozen state keeps its id');
});

test('ct commit, force, mark and label from exec(), helper (OVS trace)', () => {
  const cases: Array<[string, Ofpact[], string, string?]> = [
    // ip,actions=ct(commit,zone=1),output:2
    ['ip', [ct({ flags: COMMIT, zone: 1 }), out(2)], 'ct(commit,zone=1),2'],
    // ip,actions=ct(commit,force,zone=3),output:2
    ['ip', [ct({ flags: COMMIT | NX_CT_F_FORCE, zone: 3 }), out(2)], 'ct(force_commit,zone=3),2'],
    // ip,actions=ct(commit,exec(set_field:1->ct_mark)),output:2
    ['ip', [ct({ flags: COMMIT, actions: [setField('ct_mark', be(1n, 4))] }), out(2)], 'ct(commit,mark=0x1/0xffffffff),2'],
    // ip,actions=ct(commit,exec(set_field:0x1/0x1->ct_label,set_field:0x5/0xff->ct_mark)),output:2
    ['ip', [ct({ flags: COMMIT, actions: [setField('ct_label', be(1n, 16), be(1n, 16)), setField('ct_mark', be(5n, 4), be(0xffn, 4))] }), out(2)],
      'ct(commit,mark=0x5/0xff,label=0x1/0x1),2'],
    // ip,actions=ct(commit,exec(set_field:0x10000000000000000000000000000000/0xff000000000000000000000000000000->ct_label)),output:2
    ['ip', [ct({ flags: COMMIT, actions: [setField('ct_label', be(0x10n << 120n, 16), be(0xffn << 120n, 16))] }), out(2)],
      'ct(commit,label=0x10000000000000000000000000000000/0xff000000000000000000000000000000),2'],
    // tcp,actions=ct(commit,alg=ftp),output:2
    ['tcp', [ct({ flags: COMMIT, alg: 21 }), out(2)], 'ct(commit,helper=ftp),2', 'recirc_id=0,eth,tcp,in_port=1,nw_frag=no'],
  ];
  for (const [match, ofpacts, dp, megaflow] of cases) {
    const t = trace(bridge([{ match, ofpacts }]), TCP);
    assert.deepEqual(lines(t), [[megaflow ?? 'recirc_id=0,eth,ip,in_port=1,nw_frag=no', dp]], dp);
  }
});

test('nat() inside ct: ranges, flags, IPv6, and a bare nat (OVS trace)', () => {
  const cases: Array<[string, string, Ofpact[], Array<[string, string]>]> = [
    // ip,actions=ct(commit,nat(src=10.0.0.1-10.0.0.5:1000-2000)),output:2
    ['ip', TCP, [ct({ flags: COMMIT, actions: [nat(NX_NAT_F_SRC, 'inet', ip4('10.0.0.1'), ip4('10.0.0.5'), 1000, 2000)] }), out(2)],
      [['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct(commit,nat(src=10.0.0.1-10.0.0.5:1000-2000)),2']]],
    // ip,actions=ct(commit,nat(src=10.0.0.1:1000,persistent,hash)),output:2
    ['ip', TCP, [ct({ flags: COMMIT, actions: [nat(NX_NAT_F_SRC | NX_NAT_F_PERSISTENT | NX_NAT_F_PROTO_HASH, 'inet', ip4('10.0.0.1'), Buffer.alloc(4), 1000)] }), out(2)],
      [['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct(commit,nat(src=10.0.0.1:1000,persistent,hash)),2']]],
    // ip,actions=ct(commit,nat(dst=10.0.0.9)),output:2
    ['ip', TCP, [ct({ flags: COMMIT, actions: [nat(NX_NAT_F_DST, 'inet', ip4('10.0.0.9'))] }), out(2)],
      [['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct(commit,nat(dst=10.0.0.9)),2']]],
    // ipv6,actions=ct(commit,nat(dst=[fe80::1]-[fe80::2]:80,random)),output:2
    ['ipv6', TCP6, [ct({ flags: COMMIT, actions: [nat(NX_NAT_F_DST | NX_NAT_F_PROTO_RANDOM, 'inet6',
      Buffer.from('fe800000000000000000000000000001', 'hex'), Buffer.from('fe800000000000000000000000000002', 'hex'), 80)] }), out(2)],
      [['recirc_id=0,eth,ipv6,in_port=1,nw_frag=no', 'ct(commit,nat(dst=[fe80::1]-[fe80::2]:80,random)),2']]],
  ];
  for (const [match, flow, ofpacts, want] of cases) {
    assert.deepEqual(lines(trace(bridge([{ match, ofpacts }]), flow)), want);
  }
  // ip,actions=ct(nat,table=1) / table=1,actions=output:2
  const r = bridge([{ match: 'ip', ofpacts: [ct({ table: 1, actions: [nat(0, 'unspec')] })] }, { table: 1, match: '', ofpacts: [out(2)] }]);
  const t = trace(r, TCP);
  assert.deepEqual(lines(t), [
    ['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct(nat),recirc(0x1)'],
    ['recirc_id=0x1,eth,ip,in_port=1,nw_frag=no', '2'],
  ]);
  assert.equal(t[0].recircs?.[0].nat?.type, 'nat', 'the trace learns the nat() to simulate');
});

test('zone from a register; frozen registers come back on resume (OVS trace)', () => {
  // ip,actions=load:0x7->NXM_NX_REG0[0..15],ct(zone=NXM_NX_REG0[0..15],table=1) / table=1,actions=output:2
  let r = bridge([
    { match: 'ip', ofpacts: [setField('reg0', be(7n, 4), be(0xffffn, 4)), ct({ table: 1, zoneSrc: { field: 'reg0', ofs: 0, nBits: 16 } })] },
    { table: 1, match: '', ofpacts: [out(2)] },
  ]);
  assert.deepEqual(lines(trace(r, TCP)), [
    ['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct(zone=7),recirc(0x1)'],
    ['recirc_id=0x1,eth,ip,in_port=1,nw_frag=no', '2'],
  ]);
  // ip,actions=resubmit(,3)
  // table=3,ip,actions=load:0x5->NXM_NX_REG1[],ct(table=4,zone=9)
  // table=4,reg1=5,actions=output:2 / table=4,priority=0,actions=drop
  setThreadRecircPool(new RecircPool(undefined, 64));
  r = bridge([
    { match: 'ip', ofpacts: [{ type: 'resubmit', inPort: 0xfff8, tableId: 3, withCtOrig: false }] },
    { table: 3, match: 'ip', ofpacts: [setField('reg1', be(5n, 4)), ct({ table: 4, zone: 9 })] },
    { table: 4, match: 'reg1=5', ofpacts: [out(2)] },
    { table: 4, priority: 0, match: '', ofpacts: [] },
  ]);
  assert.deepEqual(lines(trace(r, TCP)), [
    ['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct(zone=9),recirc(0x1)'],
    ['recirc_id=0x1,eth,ip,in_port=1,nw_frag=no', '2'],
  ]);
  assert.equal(threadRecircPool().find(1)?.tableId, 4);
});

test('pending header changes are committed before ct (OVS trace)', () => {
  // ip,actions=mod_dl_src:00:11:22:33:44:55,mod_nw_dst:1.2.3.4,ct(table=1) / table=1,actions=output:2
  let r = bridge([
    { match: 'ip', ofpacts: [{ type: 'set_eth_src', mac: Buffer.from('001122334455', 'hex') }, { type: 'set_ipv4_dst', ipv4: 0x01020304 }, ct({ table: 1 })] },
    { table: 1, match: '', ofpacts: [out(2)] },
  ]);
  assert.deepEqual(lines(trace(r, TCP)), [
    ['recirc_id=0,eth,tcp,in_port=1,dl_src=00:00:00:00:00:00,nw_dst=10.0.0.1,nw_frag=no', 'set(eth(src=00:11:22:33:44:55)),set(ipv4(dst=1.2.3.4)),ct,recirc(0x1)'],
    ['recirc_id=0x1,eth,ip,in_port=1,nw_frag=no', '2'],
  ]);
  // ip,actions=load:0x5->NXM_NX_PKT_MARK[],ct(table=4,zone=9) / table=4,actions=output:2
  setThreadRecircPool(new RecircPool(undefined, 64));
  r = bridge([
    { match: 'ip', ofpacts: [setField('pkt_mark', be(5n, 4)), ct({ table: 4, zone: 9 })] },
    { table: 4, match: '', ofpacts: [out(2)] },
  ]);
  assert.deepEqual(lines(trace(r, TCP)), [
    ['pkt_mark=0,recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'set(skb_mark(0x5)),ct(zone=9),recirc(0x1)'],
    ['recirc_id=0x1,eth,ip,in_port=1,nw_frag=no', '2'],
  ]);
});

test('ct_clear does nothing on an untracked packet, clears after ct(table=) (OVS trace)', () => {
  // ip,actions=ct_clear,output:2
  assert.deepEqual(lines(trace(bridge([{ match: 'ip', ofpacts: [{ type: 'ct_clear' }, out(2)] }]), TCP)),
    [['recirc_id=0,eth,ip,in_port=1,nw_frag=no', '2']]);
  // ip,actions=ct(table=1) / table=1,actions=ct_clear,output:2
  const r = bridge([{ match: 'ip', ofpacts: [ct({ table: 1 })] }, { table: 1, match: '', ofpacts: [{ type: 'ct_clear' }, out(2)] }]);
  assert.deepEqual(lines(trace(r, TCP)), [
    ['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct,recirc(0x1)'],
    ['recirc_id=0x1,eth,ip,in_port=1,nw_frag=no', 'ct_clear,2'],
  ]);
});

test('translation goes on after the fork; two forks get two ids (OVS trace)', () => {
  // ip,actions=ct(table=1),output:2 / table=1,actions=output:1
  let r = bridge([{ match: 'ip', ofpacts: [ct({ table: 1 }), out(2)] }, { table: 1, match: '', ofpacts: [out(1)] }]);
  assert.deepEqual(lines(trace(r, TCP)), [
    ['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct,recirc(0x1),2'],
    ['recirc_id=0x1,eth,ip,in_port=1,nw_frag=no', 'drop'],
  ]);
  // ip,actions=ct(table=1),ct(table=2,zone=2) / table=1,actions=output:2 / table=2,actions=output:2
  setThreadRecircPool(new RecircPool(undefined, 64));
  r = bridge([
    { match: 'ip', ofpacts: [ct({ table: 1 }), ct({ table: 2, zone: 2 })] },
    { table: 1, match: '', ofpacts: [out(2)] }, { table: 2, match: '', ofpacts: [out(2)] },
  ]);
  assert.deepEqual(lines(trace(r, TCP)), [
    ['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct,recirc(0x1),ct(zone=2),recirc(0x2)'],
    ['recirc_id=0x1,eth,ip,in_port=1,nw_frag=no', '2'],
    ['recirc_id=0x2,eth,ip,in_port=1,nw_frag=no', '2'],
  ]);
});

test('ct_state and ct_mark matches: -trk before ct, +new-est+trk and ct_mark=0 after (OVS trace)', () => {
  // priority=10,ct_state=-trk,ip,actions=ct(table=1) / priority=5,actions=drop
  // table=1,priority=10,ct_state=+trk+est,actions=output:2 / table=1,priority=5,ct_state=+trk+new,tcp,actions=ct(commit),output:2
  let r = bridge([
    { priority: 10, match: 'ct_state=-trk,ip', ofpacts: [ct({ table: 1 })] },
    { priority: 5, match: '', ofpacts: [] },
    { table: 1, priority: 10, match: 'ct_state=+trk+est', ofpacts: [out(2)] },
    { table: 1, priority: 5, match: 'ct_state=+trk+new,tcp', ofpacts: [ct({ flags: COMMIT }), out(2)] },
  ]);
  assert.deepEqual(lines(trace(r, TCP)), [
    ['recirc_id=0,ct_state=-trk,eth,ip,in_port=1,nw_frag=no', 'ct,recirc(0x1)'],
    ['recirc_id=0x1,ct_state=+new-est+trk,eth,tcp,in_port=1,nw_frag=no', 'ct(commit),2'],
  ]);
  // ip,actions=ct(table=1)
  // table=1,ip,ct_mark=0x1,actions=ct(commit,exec(set_field:0x2->ct_mark)),output:2
  // table=1,ip,priority=0,actions=ct(commit,exec(set_field:0x3->ct_mark)),output:2
  setThreadRecircPool(new RecircPool(undefined, 64));
  r = bridge([
    { match: 'ip', ofpacts: [ct({ table: 1 })] },
    { table: 1, match: 'ip,ct_mark=0x1', ofpacts: [ct({ flags: COMMIT, actions: [setField('ct_mark', be(2n, 4))] }), out(2)] },
    { table: 1, priority: 0, match: 'ip', ofpacts: [ct({ flags: COMMIT, actions: [setField('ct_mark', be(3n, 4))] }), out(2)] },
  ]);
  assert.deepEqual(lines(trace(r, TCP)), [
    ['recirc_id=0,eth,ip,in_port=1,nw_frag=no', 'ct,recirc(0x1)'],
    ['recirc_id=0x1,ct_mark=0,eth,ip,in_port=1,nw_frag=no', 'ct(commit,mark=0x3/0xffffffff),2'],
  ]);
});

test('frozen states: equal states share an id, in_port is part of the state; an unknown id drops without a megaflow', () => {
  const r = bridge([{ match: 'ip', ofpacts: [ct({ table: 1 })] }, { table: 1, match: '', ofpacts: [out(2)] }]);
  assert.equal(trace(r, TCP)[0].dp, 'ct,recirc(0x1)');
  assert.equal(trace(r, TCP)[0].dp, 'ct,recirc(0x1)');
  assert.equal(trace(r, TCP.replace('in_port(1)', 'in_port(2)'))[0].dp, 'ct,recirc(0x2)');
  assert.deepEqual(threadRecircPool().ids(), [1, 2]);
  const f = flowFromOdpKey(parseOdpFlowKey(TCP).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  set(f.flow, S.recirc_id, 0x77);
  const x = run(r, f.flow, 1);
  assert.equal(x.dp, 'drop');
  assert.equal(x.slow, true, 'no megaflow without a recirculation context');
  assert.ok(x.trace.some((l) => l.includes('Recirculation context not found for ID 77')));
  // xlateResume directly, as ofproto/trace may call it.
  const st = threadRecircPool().find(2)!;
  set(f.flow, S.recirc_id, 2);
  const br = r.bridges.get('br0')!;
  const y = xlateResume(br, st, { flow: f.flow, nowMs: 0, mayLearn: false });
  assert.equal(get(f.flow, S.in_port), 1, 'the input flow is not modified');
  assert.equal(formatActions(y.actions), 'drop', 'resumed with in_port 2 (frozen), output:2 is the input port');
});
