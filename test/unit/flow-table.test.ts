import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Match } from '../../src/openflow/match';
import { FLOW_LEN, mfField } from '../../src/openflow/meta-flow';
import {
  OFPRR_DELETE, OFPRR_EVICTION, OFPRR_GROUP_DELETE, OFPRR_HARD_TIMEOUT, OFPRR_IDLE_TIMEOUT,
  OFPUTIL_FF_CHECK_OVERLAP, OFPUTIL_FF_NO_READONLY, OFPUTIL_FF_RESET_COUNTS, OFPUTIL_FF_SEND_FLOW_REM,
  UINT64_MAX, type FlowMod,
} from '../../src/openflow/ofp-flow';
import { EVICTION_FLAGS_NONE, OFPTR_VACANCY_DOWN, OFPTR_VACANCY_UP, type TableMod } from '../../src/openflow/ofp-table';
import { OfpError } from '../../src/openflow/ofp-errors';
import type { Ofpact } from '../../src/openflow/ofpacts';
import { OFPG_ANY, OFPP_ANY, OFPTT_ALL, OFP_NO_BUFFER } from '../../src/openflow/common';
import {
  FlowModsError, FlowTables, FlowTablesReplica, OFPROTO_EVICTION_FLAGS, TBL_INTERNAL, UINT_MAX,
  flowRemovedOf, flowTablesDelta, wantsFlowRemoved, type RuleQuery,
} from '../../src/ofproto-dpif/flow-table';

type FieldSpec = Record<string, number | [number, number]>;

const WIDTH: Record<string, number> = { in_port: 2, eth_type: 2, ip_src: 4, ip_dst: 4, nw_proto: 1, tcp_dst: 2, reg0: 4 };

function be(v: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  b.writeUIntBE(v >>> 0, 0, n);
  return b;
}

/** A match from `{ field: value }` or `{ field: [value, mask] }`. */
function match(fields: FieldSpec = {}): Match {
  const m = new Match();
  for (const [name, spec] of Object.entries(fields)) {
    const n = WIDTH[name];
    if (Array.isArray(spec)) m.setField(mfField(name), be(spec[0], n), be(spec[1], n));
    else m.setField(mfField(name), be(spec, n));
  }
  return m;
}

/** A packet's flow with these exact field values. */
function pkt(fields: Record<string, number>): Buffer {
  return match(fields).flow;
}

const out = (port: number): Ofpact[] => [{ type: 'output', port, maxLen: 0 }];

/**
 * A flow_mod as the decoder produces it. Defaults follow an OpenFlow 1.3 message: add carries its
 * cookie as newCookie; modify/delete carry cookie + mask and newCookie = UINT64_MAX.
 */
function fm(command: FlowMod['command'], over: Partial<FlowMod> = {}): FlowMod {
  const adds = command === 'add';
  return {
    command, match: match(), priority: 0x8000, cookie: 0n, cookieMask: 0n,
    newCookie: adds ? 0n : UINT64_MAX, tableId: 0, idleTimeout: 0, hardTimeout: 0, importance: 0,
    flags: 0, bufferId: OFP_NO_BUFFER, outPort: OFPP_ANY, outGroup: OFPG_ANY, ofpacts: [],
    modifyCookie: false, ...over,
  };
}

function query(over: Partial<RuleQuery> = {}): RuleQuery {
  return { tableId: OFPTT_ALL, match: match(), cookie: 0n, cookieMask: 0n, outPort: OFPP_ANY, outGroup: OFPG_ANY, ...over };
}

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

function throwsOfp(fn: () => unknown, err: string): void {
  assert.throws(fn, (e: unknown) => e instanceof OfpError && e.err === err);
}

test('add installs a rule with a fresh id, visible to lookup in the next version', () => {
  const ft = new FlowTables();
  const ch = ft.flowMod(fm('add', { match: match({ in_port: 1 }), priority: 100, newCookie: 0x42n, tableId: 3, ofpacts: out(2) }));
  assert.equal(ch.version, 1);
  assert.equal(ft.version, 1);
  assert.equal(ch.added.length, 1);
  assert.deepEqual(ch.removed, []);
  const r = ch.added[0];
  assert.equal(r.tableId, 3);
  assert.equal(r.cookie, 0x42n);
  assert.equal(ft.rule(r.id), r);
  const wc = Buffer.alloc(FLOW_LEN);
  assert.equal(ft.lookup(3, pkt({ in_port: 1 }), wc), r);
  assert.deepEqual(wc, match({ in_port: 1 }).wc, 'the lookup un-wildcards in_port');
  assert.equal(ft.lookup(0, pkt({ in_port: 1 })), undefined);
  const r2 = ft.flowMod(fm('add', { match: match({ in_port: 2 }) })).added[0];
  assert.ok(r2.id > r.id, 'ids grow and are never reused');
});

test('add over an identical rule replaces it; counters kept unless RESET_COUNTS (OpenFlow 1.3 §6.4)', () => {
  const c = clock();
  const ft = new FlowTables({ now: c.now });
  const m = match({ in_port: 1 });
  const first = ft.flowMod(fm('add', { match: m, priority: 10, newCookie: 1n, ofpacts: out(1), idleTimeout: 60 })).added[0];
  ft.creditStats(first.id, 5n, 500n, c.now() + 10);
  c.advance(3000);
  const ch = ft.flowMod(fm('add', { match: match({ in_port: 1 }), priority: 10, newCookie: 2n, ofpacts: out(2) }));
  const second = ch.added[0];
  assert.equal(ch.removed.length, 1);
  assert.equal(ch.removed[0].rule, first);
  assert.equal(ch.removed[0].replacedBy, second);
  assert.equal(ch.removed[0].reason, undefined);
  assert.equal(wantsFlowRemoved(ch.removed[0]), false, 'a replaced rule sends no FLOW_REMOVED');
  assert.equal(second.cookie, 2n);
  assert.equal(second.idleTimeout, 0, 'an add takes the new timeouts');
  assert.equal(second.createdMs, c.now(), "an add resets the entry's duration");
  assert.equal(second.packetCount, 5n);
  assert.equal(second.byteCount, 500n);
  assert.equal(ft.size, 1);
  const third = ft.flowMod(fm('add', { match: m, priority: 10, ofpacts: out(3), flags: OFPUTIL_FF_RESET_COUNTS })).added[0];
  assert.equal(third.packetCount, 0n);
  assert.equal(third.usedMs, second.usedMs, 'the last-used time always carries over');
  const other = ft.flowMod(fm('add', { match: m, priority: 11 })).added[0];
  assert.equal(ft.size, 2, 'same match at another priority is another rule');
  assert.notEqual(other, third);
});

test('CHECK_OVERLAP refuses an overlapping rule of the same priority with OFPFMFC_OVERLAP (OpenFlow 1.3 §6.4)', () => {
  const ft = new FlowTables();
  ft.flowMod(fm('add', { match: match({ in_port: 1 }), priority: 5 }));
  throwsOfp(() => ft.flowMod(fm('add', { match: match({ eth_type: 0x0800 }), priority: 5, flags: OFPUTIL_FF_CHECK_OVERLAP })), 'OFPFMFC_OVERLAP');
  assert.equal(ft.version, 1, 'nothing changed');
  ft.flowMod(fm('add', { match: match({ in_port: 2 }), priority: 5, flags: OFPUTIL_FF_CHECK_OVERLAP }));
  ft.flowMod(fm('add', { match: match({ eth_type: 0x0800 }), priority: 6, flags: OFPUTIL_FF_CHECK_OVERLAP }));
  const ch = ft.flowMod(fm('add', { match: match({ in_port: 1 }), priority: 5, flags: OFPUTIL_FF_CHECK_OVERLAP }));
  assert.equal(ch.removed.length, 1, 'an identical rule is replaced, not an overlap');
  assert.equal(ft.size, 3);
});

test('a full table refuses new rules with OFPFMFC_TABLE_FULL (Flow_Table flow_limit, overflow_policy=refuse)', () => {
  const ft = new FlowTables();
  ft.configureTable(0, { flowLimit: 2 });
  ft.flowMod(fm('add', { match: match({ in_port: 1 }), idleTimeout: 10 }));
  ft.flowMod(fm('add', { match: match({ in_port: 2 }), idleTimeout: 10 }));
  throwsOfp(() => ft.flowMod(fm('add', { match: match({ in_port: 3 }) })), 'OFPFMFC_TABLE_FULL');
  const ch = ft.flowMod(fm('add', { match: match({ in_port: 2 }), ofpacts: out(9) }));
  assert.equal(ch.added.length, 1, 'replacing an identical rule needs no room');
  ft.flowMod(fm('add', { match: match({ in_port: 3 }), tableId: 1 }));
  assert.equal(ft.tableInfo()[0].activeCount, 2);
  assert.equal(ft.tableInfo()[0].flowLimit, 2);
  assert.equal(ft.tableInfo()[1].flowLimit, UINT_MAX);
});

test('eviction: lowest importance first, then the soonest to expire; permanent rules never (ovs-vswitchd.conf.db(5))', () => {
  const c = clock();
  const ft = new FlowTables({ now: c.now });
  ft.configureTable(0, { flowLimit: 4, overflowPolicy: 'evict' });
  const add = (port: number, o: Partial<FlowMod>) => ft.flowMod(fm('add', { match: match({ in_port: port }), ...o })).added[0];
  const permanent = add(1, {});
  const soon = add(2, { hardTimeout: 5 });
  const late = add(3, { idleTimeout: 100 });
  const important = add(4, { hardTimeout: 1, importance: 7 });
  let ch = ft.flowMod(fm('add', { match: match({ in_port: 5 }), idleTimeout: 50 }));
  assert.deepEqual(ch.removed.map((r) => [r.rule.id, r.reason]), [[soon.id, OFPRR_EVICTION]],
    'importance 0 rules go before the important one even though it expires sooner');
  ch = ft.flowMod(fm('add', { match: match({ in_port: 6 }) }));
  assert.equal(ch.removed[0].rule.id, ch.removed[0].rule.id);
  const evicted = ch.removed[0].rule;
  assert.equal(evicted.id !== late.id, true, 'the rule added with idle 50 s expires before idle 100 s');
  assert.equal(evicted.idleTimeout, 50);
  ch = ft.flowMod(fm('add', { match: match({ in_port: 7 }) }));
  assert.equal(ch.removed[0].rule, late);
  ch = ft.flowMod(fm('add', { match: match({ in_port: 8 }) }));
  assert.equal(ch.removed[0].rule, important);
  throwsOfp(() => ft.flowMod(fm('add', { match: match({ in_port: 9 }) })), 'OFPFMFC_TABLE_FULL');
  assert.ok(ft.rule(permanent.id));
  assert.equal(wantsFlowRemoved({ rule: important, reason: OFPRR_EVICTION }), false, 'no SEND_FLOW_REM flag');
});

test('eviction takes from the largest eviction group (Flow_Table groups)', () => {
  const ft = new FlowTables();
  ft.configureTable(0, { flowLimit: 3, overflowPolicy: 'evict', evictionGroupMask: match({ in_port: 0xffff }).wc });
  const a1 = ft.flowMod(fm('add', { match: match({ in_port: 1, ip_dst: 1, eth_type: 0x800 }), hardTimeout: 1 })).added[0];
  const b1 = ft.flowMod(fm('add', { match: match({ in_port: 2, ip_dst: 1, eth_type: 0x800 }), hardTimeout: 100 })).added[0];
  ft.flowMod(fm('add', { match: match({ in_port: 2, ip_dst: 2, eth_type: 0x800 }), hardTimeout: 200 }));
  const ch = ft.flowMod(fm('add', { match: match({ in_port: 3 }), hardTimeout: 300 }));
  assert.equal(ch.removed[0].rule, b1, 'in_port=2 holds two rules; the soonest of them goes, not in_port=1 which expires sooner');
  assert.ok(ft.rule(a1.id));
});

test('lowering flow_limit with eviction on evicts the excess at once', () => {
  const ft = new FlowTables();
  for (let p = 1; p <= 5; p++) ft.flowMod(fm('add', { match: match({ in_port: p }), hardTimeout: 10 * p }));
  const ch = ft.configureTable(0, { flowLimit: 2, overflowPolicy: 'evict', name: 'classify' });
  assert.equal(ch.removed.length, 3);
  assert.ok(ch.removed.every((r) => r.reason === OFPRR_EVICTION));
  assert.equal(ft.tableInfo()[0].activeCount, 2);
  assert.equal(ft.tableInfo()[0].name, 'classify');
  const noEvict = ft.configureTable(0, { flowLimit: 1 });
  assert.equal(noEvict.removed.length, 0, 'with eviction off the rules stay');
  assert.equal(ft.size, 2);
});

test('modify replaces the actions of every loosely matching rule and keeps the rest (OpenFlow 1.3 §6.4)', () => {
  const c = clock();
  const ft = new FlowTables({ now: c.now });
  const a = ft.flowMod(fm('add', { match: match({ in_port: 1, eth_type: 0x800 }), priority: 7, newCookie: 0xan,
    idleTimeout: 30, hardTimeout: 90, importance: 3, flags: OFPUTIL_FF_SEND_FLOW_REM, ofpacts: out(1) })).added[0];
  const b = ft.flowMod(fm('add', { match: match({ in_port: 1 }), priority: 9, newCookie: 0xbn, ofpacts: out(1) })).added[0];
  const other = ft.flowMod(fm('add', { match: match({ in_port: 2 }), ofpacts: out(1) })).added[0];
  ft.creditStats(a.id, 3n, 300n, c.now());
  c.advance(5000);
  const ch = ft.flowMod(fm('modify', { match: match({ in_port: 1 }), ofpacts: out(7), idleTimeout: 1, flags: OFPUTIL_FF_CHECK_OVERLAP }));
  assert.equal(ch.added.length, 2);
  assert.deepEqual(ch.removed.map((r) => r.rule).sort((x, y) => x.id - y.id), [a, b]);
  const a2 = ch.removed.find((r) => r.rule === a)!.replacedBy!;
  assert.notEqual(a2.id, a.id, 'a modify creates a new rule');
  assert.deepEqual(a2.ofpacts, out(7));
  assert.equal(a2.match, a.match);
  assert.equal(a2.priority, 7);
  assert.equal(a2.cookie, 0xan, 'OpenFlow 1.2+ modify leaves the cookie');
  assert.equal(a2.idleTimeout, 30);
  assert.equal(a2.hardTimeout, 90);
  assert.equal(a2.importance, 3);
  assert.equal(a2.flags, OFPUTIL_FF_SEND_FLOW_REM);
  assert.equal(a2.createdMs, a.createdMs, 'duration continues');
  assert.equal(a2.modifiedMs, c.now(), 'the hard timeout restarts');
  assert.equal(a2.packetCount, 3n);
  assert.equal(ft.rule(other.id), other, 'in_port=2 is not selected');
  assert.equal(ft.lookup(0, pkt({ in_port: 1 }))?.ofpacts[0].type, 'output');
});

test('modify_strict selects only the rule with that exact match and priority', () => {
  const ft = new FlowTables();
  ft.flowMod(fm('add', { match: match({ in_port: 1 }), priority: 5, ofpacts: out(1) }));
  ft.flowMod(fm('add', { match: match({ in_port: 1, eth_type: 0x800 }), priority: 5, ofpacts: out(1) }));
  let ch = ft.flowMod(fm('modify_strict', { match: match({ in_port: 1 }), priority: 6, ofpacts: out(2) }));
  assert.equal(ch.added.length + ch.removed.length, 0, 'other priority: nothing, and OpenFlow 1.3 does not add');
  ch = ft.flowMod(fm('modify_strict', { match: match({ in_port: 1 }), priority: 5, ofpacts: out(2) }));
  assert.equal(ch.added.length, 1);
  assert.equal(ch.added[0].match.equals(match({ in_port: 1 })), true);
});

test('a modify that matches nothing adds only with a new cookie and no cookie mask (OpenFlow 1.0 §4.6 vs 1.2+)', () => {
  const ft = new FlowTables();
  // OpenFlow 1.2+: newCookie is UINT64_MAX, so nothing is added.
  let ch = ft.flowMod(fm('modify', { match: match({ in_port: 1 }), ofpacts: out(1) }));
  assert.equal(ft.size, 0);
  assert.equal(ch.added.length, 0);
  // OpenFlow 1.0 / NXM: the message's cookie is the new cookie; modify behaves as add.
  ch = ft.flowMod(fm('modify', { match: match({ in_port: 1 }), priority: 4, newCookie: 0x77n, modifyCookie: true, ofpacts: out(1), tableId: OFPTT_ALL }));
  assert.equal(ch.added.length, 1);
  assert.equal(ch.added[0].tableId, 0, 'table 255 adds to table 0');
  assert.equal(ch.added[0].cookie, 0x77n);
  // OpenFlow 1.1 with a cookie mask: never adds.
  ch = ft.flowMod(fm('modify_strict', { match: match({ in_port: 2 }), newCookie: 5n, cookie: 5n, cookieMask: 0xffn, ofpacts: out(1) }));
  assert.equal(ch.added.length, 0);
});

test('a modify with modifyCookie rewrites the cookie (NXM / OpenFlow 1.0)', () => {
  const ft = new FlowTables();
  ft.flowMod(fm('add', { match: match({ in_port: 1 }), newCookie: 1n }));
  const ch = ft.flowMod(fm('modify', { newCookie: 9n, modifyCookie: true, ofpacts: out(3) }));
  assert.equal(ch.added[0].cookie, 9n);
  const kept = ft.flowMod(fm('modify', { newCookie: UINT64_MAX, modifyCookie: false, ofpacts: out(4) }));
  assert.equal(kept.added[0].cookie, 9n);
});

test('modify and delete select by cookie under cookie_mask (OpenFlow 1.1 §A.3.4.1)', () => {
  const ft = new FlowTables();
  for (const [port, cookie] of [[1, 0x1100n], [2, 0x1200n], [3, 0x2100n]] as const) {
    ft.flowMod(fm('add', { match: match({ in_port: port }), newCookie: cookie }));
  }
  const ch = ft.flowMod(fm('modify', { cookie: 0x1000n, cookieMask: 0xf000n, ofpacts: out(8) }));
  assert.deepEqual(ch.added.map((r) => r.cookie).sort(), [0x1100n, 0x1200n]);
  const del = ft.flowMod(fm('delete', { cookie: 0x2100n, cookieMask: UINT64_MAX }));
  assert.deepEqual(del.removed.map((r) => r.rule.cookie), [0x2100n]);
  const strictMiss = ft.flowMod(fm('delete_strict', { match: match({ in_port: 1 }), cookie: 0x1200n, cookieMask: UINT64_MAX }));
  assert.equal(strictMiss.removed.length, 0, 'exact cookie but another match');
});

test('delete: loose and strict, out_port and out_group filters, table 255 (OpenFlow 1.0 §4.6, 1.1 §6.4)', () => {
  const ft = new FlowTables();
  const a = ft.flowMod(fm('add', { match: match({ in_port: 1 }), ofpacts: out(2), flags: OFPUTIL_FF_SEND_FLOW_REM })).added[0];
  const b = ft.flowMod(fm('add', { match: match({ in_port: 1, eth_type: 0x800 }), ofpacts: out(3), tableId: 4 })).added[0];
  const g = ft.flowMod(fm('add', { match: match({ in_port: 1, eth_type: 0x806 }), ofpacts: [{ type: 'group', groupId: 7 }] })).added[0];
  const c = ft.flowMod(fm('add', { match: match({}), priority: 0, ofpacts: out(2) })).added[0];
  let ch = ft.flowMod(fm('delete', { match: match({ in_port: 1 }), tableId: OFPTT_ALL, outPort: 3 }));
  assert.deepEqual(ch.removed.map((r) => r.rule), [b], 'out_port: only rules that output to port 3');
  ch = ft.flowMod(fm('delete', { match: match({ in_port: 1 }), outGroup: 7 }));
  assert.deepEqual(ch.removed.map((r) => r.rule), [g], 'out_group');
  ch = ft.flowMod(fm('delete_strict', { match: match({ in_port: 1 }), priority: 1 }));
  assert.equal(ch.removed.length, 0, 'strict needs the priority');
  ch = ft.flowMod(fm('delete', { match: match({ in_port: 1 }) }));
  assert.deepEqual(ch.removed.map((r) => r.rule), [a], 'loose: the catch-all rule is less specific and stays');
  assert.equal(ch.removed[0].reason, OFPRR_DELETE);
  assert.equal(wantsFlowRemoved(ch.removed[0]), true);
  const fr = flowRemovedOf(ch.removed[0], a.createdMs + 2500);
  assert.equal(fr.reason, OFPRR_DELETE);
  assert.equal(fr.durationSec, 2);
  assert.equal(fr.durationNsec, 500_000_000);
  ch = ft.flowMod(fm('delete', { tableId: OFPTT_ALL }));
  assert.deepEqual(ch.removed.map((r) => r.rule), [c]);
  assert.equal(ft.size, 0);
});

test('table 254 is hidden and read-only: OFPBRC_EPERM unless OFPUTIL_FF_NO_READONLY; table 255 skips it', () => {
  const ft = new FlowTables();
  throwsOfp(() => ft.flowMod(fm('add', { tableId: TBL_INTERNAL })), 'OFPBRC_EPERM');
  const internal = ft.flowMod(fm('add', { tableId: TBL_INTERNAL, match: match({ reg0: 1 }), flags: OFPUTIL_FF_NO_READONLY })).added[0];
  throwsOfp(() => ft.flowMod(fm('delete', { tableId: TBL_INTERNAL })), 'OFPBRC_EPERM');
  throwsOfp(() => ft.flowMod(fm('modify', { tableId: TBL_INTERNAL, ofpacts: out(1) })), 'OFPBRC_EPERM');
  ft.flowMod(fm('delete', { tableId: OFPTT_ALL }));
  assert.equal(ft.rule(internal.id), internal);
  assert.deepEqual(ft.queryRules(query()), [], 'flow stats of all tables skip the hidden table');
  assert.deepEqual(ft.queryRules(query({ tableId: TBL_INTERNAL })), [internal], 'but a request for it sees it');
  assert.equal(ft.tableInfo()[TBL_INTERNAL].hidden, true);
  ft.flowMod(fm('delete', { tableId: TBL_INTERNAL, flags: OFPUTIL_FF_NO_READONLY }));
  assert.equal(ft.size, 0);
});

test('bad table ids and buffer ids are refused', () => {
  const ft = new FlowTables({ nTables: 4 });
  throwsOfp(() => ft.flowMod(fm('add', { tableId: 4 })), 'OFPBRC_BAD_TABLE_ID');
  throwsOfp(() => ft.flowMod(fm('delete', { tableId: 4 })), 'OFPBRC_BAD_TABLE_ID');
  throwsOfp(() => ft.flowStats(query({ tableId: 9 })), 'OFPBRC_BAD_TABLE_ID');
  throwsOfp(() => ft.flowMod(fm('add', { bufferId: 7 })), 'OFPBRC_BUFFER_UNKNOWN');
  throwsOfp(() => ft.flowMod(fm('modify', { bufferId: 7 })), 'OFPBRC_BUFFER_UNKNOWN');
  ft.flowMod(fm('delete', { bufferId: 7 }));
  assert.equal(ft.size, 0);
  assert.equal(ft.tableInfo().some((t) => t.hidden), false, 'only a 255-table bridge has the internal table');
});

test('hidden rules (priority above 65535) are selected only by a strict query for their priority', () => {
  const ft = new FlowTables();
  const hidden = ft.flowMod(fm('add', { match: match({ in_port: 1 }), priority: 180_000 })).added[0];
  ft.flowMod(fm('add', { match: match({ in_port: 2 }) }));
  assert.equal(ft.tableInfo()[0].activeCount, 1, 'table 0 active_count leaves hidden rules out');
  assert.deepEqual(ft.queryRules(query()).map((r) => r.priority), [0x8000]);
  ft.flowMod(fm('delete'));
  assert.equal(ft.rule(hidden.id), hidden);
  const ch = ft.flowMod(fm('delete_strict', { match: match({ in_port: 1 }), priority: 180_000, flags: OFPUTIL_FF_SEND_FLOW_REM }));
  assert.deepEqual(ch.removed.map((r) => r.rule), [hidden]);
});

test('timeouts: hard counts from the last modification, idle from the last use; expiry reports the reason', () => {
  const c = clock();
  const ft = new FlowTables({ now: c.now });
  const hard = ft.flowMod(fm('add', { match: match({ in_port: 1 }), hardTimeout: 10, flags: OFPUTIL_FF_SEND_FLOW_REM })).added[0];
  const idle = ft.flowMod(fm('add', { match: match({ in_port: 2 }), idleTimeout: 6 })).added[0];
  ft.flowMod(fm('add', { match: match({ in_port: 3 }) }));
  c.advance(5000);
  assert.equal(ft.expire().removed.length, 0, 'exactly at the timeout nothing expires (strictly later)');
  ft.creditStats(idle.id, 1n, 64n, c.now());
  c.advance(4000);
  assert.equal(ft.expire().removed.length, 0, 'use pushed the idle expiry back');
  c.advance(1001);
  let ch = ft.expire();
  assert.deepEqual(ch.removed.map((r) => [r.rule.id, r.reason]), [[hard.id, OFPRR_HARD_TIMEOUT]]);
  assert.equal(wantsFlowRemoved(ch.removed[0]), true);
  c.advance(1000);
  ch = ft.expire();
  assert.deepEqual(ch.removed.map((r) => [r.rule.id, r.reason]), [[idle.id, OFPRR_IDLE_TIMEOUT]]);
  assert.equal(ft.size, 1);
});

test('a modify restarts the hard timeout; fin_timeout-style reduction lowers timeouts', () => {
  const c = clock();
  const ft = new FlowTables({ now: c.now });
  ft.flowMod(fm('add', { match: match({ in_port: 1 }), hardTimeout: 10 }));
  c.advance(8000);
  const r = ft.flowMod(fm('modify', { ofpacts: out(2) })).added[0];
  c.advance(8000);
  assert.equal(ft.expire().removed.length, 0);
  assert.equal(ft.reduceTimeouts(r.id, 3, 0), true);
  assert.equal(r.idleTimeout, 3);
  assert.equal(r.hardTimeout, 10);
  ft.reduceTimeouts(r.id, 0, 20);
  assert.equal(r.hardTimeout, 10, 'never raised');
  c.advance(2001);
  assert.equal(ft.expire().removed[0].reason, OFPRR_HARD_TIMEOUT);
  assert.equal(ft.reduceTimeouts(r.id, 1, 1), false);
});

test('statistics credited to a replaced rule go to its replacement (ofproto-dpif new_rule forwarding)', () => {
  const c = clock();
  const ft = new FlowTables({ now: c.now });
  const a = ft.flowMod(fm('add', { match: match({ in_port: 1 }) })).added[0];
  const b = ft.flowMod(fm('modify', { ofpacts: out(1) })).added[0];
  assert.equal(ft.creditStats(a.id, 2n, 20n, c.now() + 5), true);
  assert.equal(b.packetCount, 2n);
  assert.equal(b.usedMs, c.now() + 5);
  const d = ft.flowMod(fm('add', { match: match({ in_port: 1 }), flags: OFPUTIL_FF_RESET_COUNTS })).added[0];
  assert.equal(d.packetCount, 0n);
  ft.creditStats(a.id, 1n, 10n, c.now() + 9);
  assert.equal(d.packetCount, 0n, 'a reset breaks the forwarding of counts');
  assert.equal(d.usedMs, c.now() + 9, 'but not of the last-used time');
  assert.equal(ft.forwardCount, 2, 'a and b forward to their replacements');
  ft.forgetReplacedBefore(Date.now() - 60_000);
  assert.equal(ft.forwardCount, 2, 'recent replacements are kept');
  ft.forgetReplacedBefore(Date.now() + 1);
  assert.equal(ft.forwardCount, 0, 'old ones are dropped: replacing rules forever does not grow memory');
  assert.equal(ft.creditStats(a.id, 1n, 1n, 0), false);
  ft.flowMod(fm('delete'));
  assert.equal(ft.creditStats(d.id, 1n, 1n, 0), false, 'deleted rules take no credit');
});

test('flow and aggregate statistics use the same selection as delete (OpenFlow 1.3 §7.3.5.2)', () => {
  const c = clock();
  const ft = new FlowTables({ now: c.now });
  const a = ft.flowMod(fm('add', { match: match({ in_port: 1 }), newCookie: 1n, ofpacts: out(2), idleTimeout: 9, importance: 4 })).added[0];
  const b = ft.flowMod(fm('add', { match: match({ in_port: 2 }), newCookie: 2n, ofpacts: out(3), tableId: 2 })).added[0];
  ft.creditStats(a.id, 10n, 1000n, c.now() + 1000);
  ft.creditStats(b.id, 1n, 60n, c.now());
  c.advance(3250);
  const fs = ft.flowStats(query({ outPort: 2 }));
  assert.equal(fs.length, 1);
  assert.deepEqual({ ...fs[0], match: undefined, ofpacts: undefined }, {
    tableId: 0, durationSec: 3, durationNsec: 250_000_000, idleAge: 2, hardAge: 3, priority: 0x8000,
    idleTimeout: 9, hardTimeout: 0, flags: 0, importance: 4, cookie: 1n, packetCount: 10n, byteCount: 1000n,
    match: undefined, ofpacts: undefined,
  });
  assert.deepEqual(ft.aggregateStats(query()), { packetCount: 11n, byteCount: 1060n, flowCount: 2 });
  assert.deepEqual(ft.aggregateStats(query({ tableId: 2 })), { packetCount: 1n, byteCount: 60n, flowCount: 1 });
  assert.deepEqual(ft.aggregateStats(query({ cookie: 2n, cookieMask: 3n })).flowCount, 1);
  assert.deepEqual(ft.aggregateStats(query({ match: match({ in_port: 1, eth_type: 0x800 }) })).flowCount, 0,
    'a rule less specific than the request is not selected');
});

test('flow stats come in the order OVS replies in: subtable by subtable, modified rules last in theirs', () => {
  // Expected order captured from ovs-vswitchd 3.1 (dummy datapath) with `ovs-ofctl dump-flows
  // br0 --no-stats` after these add-flows, and again after `mod-flows br0 ip,actions=output:3`.
  const ft = new FlowTables();
  const spec: [string, number, FieldSpec][] = [
    ['in_port=1', 10, { in_port: 1 }], ['ip', 20, { eth_type: 0x800 }], ['arp', 5, { eth_type: 0x806 }],
    ['tcp', 30, { eth_type: 0x800, nw_proto: 6 }], ['in_port=2', 7, { in_port: 2 }], ['ipv6', 25, { eth_type: 0x86dd }],
  ];
  for (const [, priority, fields] of spec) ft.flowMod(fm('add', { match: match(fields), priority }));
  const order = (): string[] => ft.flowStats(query()).map((s) => spec.find(([, p]) => p === s.priority)![0]);
  assert.deepEqual(order(), ['tcp', 'ip', 'arp', 'ipv6', 'in_port=1', 'in_port=2']);
  ft.flowMod(fm('modify', { match: match({ eth_type: 0x800 }), ofpacts: out(3) }));
  assert.deepEqual(order(), ['tcp', 'arp', 'ipv6', 'ip', 'in_port=1', 'in_port=2']);
  assert.deepEqual(ft.queryRules(query({ cookie: 0n, cookieMask: UINT64_MAX })).map((r) => r.priority), [30, 5, 25, 20, 10, 7],
    'the exact-cookie path returns the same order');
});

test('table statistics count lookups, matches and active rules', () => {
  const ft = new FlowTables();
  ft.flowMod(fm('add', { match: match({ in_port: 1 }) }));
  ft.creditTableStats(0, 7n, 3n);
  const t0 = ft.tableInfo()[0];
  assert.equal(t0.activeCount, 1);
  assert.equal(t0.lookupCount, 10n);
  assert.equal(t0.matchedCount, 7n);
  assert.deepEqual(t0.prefixes, ['ip_dst', 'ip_src']);
  ft.configureTable(1, { prefixes: ['tun_id'] });
  assert.deepEqual(ft.tableInfo()[1].prefixes, ['tun_id']);
});

function tm(over: Partial<TableMod>): TableMod {
  return { tableId: 0, miss: 'default', eviction: 'default', evictionFlags: EVICTION_FLAGS_NONE, vacancy: 'default',
    tableVacancy: { vacancyDown: 0, vacancyUp: 0, vacancy: 0 }, ...over };
}

test('table_mod sets miss handling and OpenFlow eviction, with OVS errors (OpenFlow 1.4 §7.3.3)', () => {
  const ft = new FlowTables();
  ft.tableMod(tm({ tableId: 3, miss: 'drop' }));
  assert.equal(ft.tableInfo()[3].miss, 'drop');
  ft.tableMod(tm({ tableId: OFPTT_ALL, miss: 'controller' }));
  assert.equal(ft.tableInfo()[7].miss, 'controller');
  assert.equal(ft.tableInfo()[TBL_INTERNAL].miss, 'default', 'table 255 leaves the hidden table alone');
  throwsOfp(() => ft.tableMod(tm({ tableId: TBL_INTERNAL, miss: 'drop' })), 'OFPTMFC_EPERM');
  throwsOfp(() => new FlowTables({ nTables: 3 }).tableMod(tm({ tableId: 3 })), 'OFPTMFC_BAD_TABLE');
  throwsOfp(() => ft.tableMod(tm({ evictionFlags: 1 })), 'OFPTMFC_BAD_CONFIG');
  ft.tableMod(tm({ eviction: 'on', evictionFlags: OFPROTO_EVICTION_FLAGS }));
  assert.equal(ft.tableDesc(0).eviction, 'on');
  ft.configureTable(0, { flowLimit: 1 });
  const first = ft.flowMod(fm('add', { match: match({ in_port: 1 }), hardTimeout: 5 })).added[0];
  const ch = ft.flowMod(fm('add', { match: match({ in_port: 2 }) }));
  assert.deepEqual(ch.removed.map((r) => r.rule), [first], 'eviction enabled by OpenFlow works like overflow_policy=evict');
  ft.tableMod(tm({ eviction: 'off' }));
  throwsOfp(() => ft.flowMod(fm('add', { match: match({ in_port: 3 }) })), 'OFPFMFC_TABLE_FULL');
});

test('vacancy events fire once per threshold crossing (OpenFlow 1.4 §7.4.5)', () => {
  const ft = new FlowTables();
  ft.configureTable(0, { flowLimit: 10 });
  ft.tableMod(tm({ vacancy: 'on', tableVacancy: { vacancyDown: 30, vacancyUp: 80, vacancy: 0 } }));
  assert.equal(ft.tableDesc(0).vacancy, 'on');
  const statuses: number[] = [];
  for (let p = 1; p <= 8; p++) {
    statuses.push(...ft.flowMod(fm('add', { match: match({ in_port: p }) })).tableStatus.map((s) => s.reason));
  }
  assert.deepEqual(statuses, [OFPTR_VACANCY_DOWN], 'vacancy fell below 30 % once (at 8 rules: 20 %)');
  assert.equal(ft.tableDesc(0).tableVacancy.vacancy, 20);
  const del = ft.flowMod(fm('delete'));
  assert.deepEqual(del.tableStatus.map((s) => [s.reason, s.desc.tableId]), [[OFPTR_VACANCY_UP, 0]]);
  assert.equal(del.tableStatus[0].desc.tableVacancy.vacancy, 100);
});

test('flowMods is atomic: a failure undoes the earlier flow_mods, later ones see earlier ones (OpenFlow 1.4 §6.8)', () => {
  const ft = new FlowTables();
  const keep = ft.flowMod(fm('add', { match: match({ in_port: 9 }), ofpacts: out(1) })).added[0];
  ft.creditStats(keep.id, 4n, 40n, 0);
  const v = ft.version;
  assert.throws(() => ft.flowMods([
    fm('add', { match: match({ in_port: 1 }), priority: 3 }),
    fm('modify', { match: match({ in_port: 9 }), ofpacts: out(5) }),
    fm('delete', { match: match({ in_port: 9 }) }),
    fm('add', { match: match({ eth_type: 0x800 }), priority: 3, flags: OFPUTIL_FF_CHECK_OVERLAP }),
  ]), (e: unknown) => e instanceof FlowModsError && e.index === 3 && e.error.err === 'OFPFMFC_OVERLAP');
  assert.equal(ft.version, v);
  assert.deepEqual(ft.rules(), [keep]);
  assert.equal(ft.lookup(0, pkt({ in_port: 9 })), keep);
  assert.equal(ft.tableInfo()[0].activeCount, 1);
  assert.deepEqual(keep.ofpacts, out(1));
  const ch = ft.flowMods([
    fm('add', { match: match({ in_port: 1 }), priority: 3 }),
    fm('modify_strict', { match: match({ in_port: 1 }), priority: 3, ofpacts: out(6) }),
    fm('delete', { match: match({ in_port: 9 }) }),
  ]);
  assert.equal(ch.version, v + 1, 'one version for the whole transaction');
  assert.deepEqual(ch.added.map((r) => r.ofpacts), [out(6)], 'the rule added and replaced inside is not reported as added');
  assert.equal(ch.removed.length, 2);
  assert.deepEqual(ft.rules().map((r) => r.ofpacts), [out(6)]);
});

test('checkOfpacts can refuse a flow_mod that would add or modify a rule', () => {
  const ft = new FlowTables({
    checkOfpacts: (ofpacts) => {
      if (ofpacts.some((a) => a.type === 'group')) throw new OfpError('OFPBAC_BAD_OUT_GROUP', 'no such group');
    },
  });
  throwsOfp(() => ft.flowMod(fm('add', { ofpacts: [{ type: 'group', groupId: 1 }] })), 'OFPBAC_BAD_OUT_GROUP');
  ft.flowMod(fm('add', { ofpacts: out(1) }));
  throwsOfp(() => ft.flowMod(fm('modify', { ofpacts: [{ type: 'group', groupId: 1 }] })), 'OFPBAC_BAD_OUT_GROUP');
  assert.deepEqual(ft.rules()[0].ofpacts, out(1));
});

test('deleteRules removes the rules of a deleted group with OFPRR_GROUP_DELETE', () => {
  const ft = new FlowTables();
  ft.flowMod(fm('add', { match: match({ in_port: 1 }), ofpacts: [{ type: 'group', groupId: 3 }] }));
  ft.flowMod(fm('add', { match: match({ in_port: 2 }), ofpacts: out(1) }));
  const ch = ft.deleteRules((r) => r.ofpacts.some((a) => a.type === 'group' && a.groupId === 3), OFPRR_GROUP_DELETE);
  assert.deepEqual(ch.removed.map((r) => r.reason), [OFPRR_GROUP_DELETE]);
  assert.equal(ft.size, 1);
});

test('a replica fed with deltas (even through structured clone) looks up like the tables', () => {
  const ft = new FlowTables();
  const rep = new FlowTablesReplica();
  const ship = (ch: ReturnType<FlowTables['flowMod']>): void => rep.apply(structuredClone(flowTablesDelta(ch)));
  ship(ft.flowMod(fm('add', { match: match({ in_port: 1 }), priority: 5, ofpacts: out(2) })));
  ship(ft.flowMod(fm('add', { match: match({ eth_type: 0x800 }), priority: 6, ofpacts: out(3), tableId: 1 })));
  ship(ft.flowMod(fm('modify', { match: match({ in_port: 1 }), ofpacts: out(4) })));
  ship(ft.flowMods([fm('add', { match: match({ in_port: 7 }) }), fm('delete', { match: match({ in_port: 7 }) })]));
  assert.equal(rep.version, ft.version);
  assert.equal(rep.size, ft.size);
  for (const [table, p] of [[0, pkt({ in_port: 1 })], [1, pkt({ eth_type: 0x800 })], [0, pkt({ in_port: 7 })]] as const) {
    const wcMain = Buffer.alloc(FLOW_LEN);
    const wcRep = Buffer.alloc(FLOW_LEN);
    assert.equal(rep.lookup(table, p, wcRep)?.id, ft.lookup(table, p, wcMain)?.id);
    assert.deepEqual(wcRep, wcMain);
  }
  assert.deepEqual(rep.lookup(0, pkt({ in_port: 1 }))?.ofpacts, out(4));
  const live = ft.rules()[0];
  assert.equal(rep.rule(live.id)?.cookie, live.cookie, 'rules are known by id, for statistics attribution');
  const fresh = new FlowTablesReplica();
  fresh.apply(structuredClone(ft.fullDelta()));
  assert.equal(fresh.size, ft.size);
  assert.equal(fresh.version, ft.version);
  assert.equal(fresh.lookup(1, pkt({ eth_type: 0x800 }))?.priority, 6);
});
