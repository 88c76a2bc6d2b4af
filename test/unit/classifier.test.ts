import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Classifier, CLS_VERSION_MAX, clsMatchEqual, isLooseMatch, type ClassifierOptions, type ClsLayout, type ClsMatch,
  type ClsPrefixField,
} from '../../src/ofproto-dpif/classifier';
import { ClsTrie } from '../../src/ofproto-dpif/cls-trie';

/** Flows of this test are 16 bytes: four 4-byte "fields" A..D. */
const LEN = 16;

interface TRule { name: string; match: ClsMatch; priority: number; from?: number; until?: number }

/** A match from field values/masks: `{ 0: [value, mask], 8: [value] }` keyed by byte offset of 32-bit words. */
function m(fields: Record<number, [number, number?]>, len = LEN): ClsMatch {
  const flow = Buffer.alloc(len);
  const wc = Buffer.alloc(len);
  for (const [off, [v, mask = 0xffffffff]] of Object.entries(fields)) {
    wc.writeUInt32BE(mask >>> 0, Number(off));
    flow.writeUInt32BE((v & mask) >>> 0, Number(off));
  }
  return { flow, wc };
}

function flow(words: [number, number, number, number]): Buffer {
  const b = Buffer.alloc(LEN);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, i * 4));
  return b;
}

function rule(name: string, priority: number, match: ClsMatch): TRule {
  return { name, priority, match };
}

test('lookup returns the highest-priority matching rule, or nothing', () => {
  const cls = new Classifier<TRule>();
  const lo = rule('lo', 1, m({}));
  const mid = rule('mid', 10, m({ 0: [7] }));
  const hi = rule('hi', 20, m({ 0: [7], 4: [0x0a000000, 0xff000000] }));
  for (const r of [lo, mid, hi]) cls.insert(r);
  assert.equal(cls.lookup(flow([7, 0x0a010203, 0, 0]))?.name, 'hi');
  assert.equal(cls.lookup(flow([7, 0x0b010203, 0, 0]))?.name, 'mid');
  assert.equal(cls.lookup(flow([8, 0x0a010203, 0, 0]))?.name, 'lo');
  cls.remove(lo);
  assert.equal(cls.lookup(flow([8, 0, 0, 0])), undefined);
  assert.equal(cls.size, 2);
});

test('lookup un-wildcards the masks of the subtables it probed, and only those', () => {
  const cls = new Classifier<TRule>();
  cls.insert(rule('a', 100, m({ 0: [1] })));
  cls.insert(rule('b', 50, m({ 4: [2, 0xffff0000] })));
  const wcHit = Buffer.alloc(LEN);
  assert.equal(cls.lookup(flow([1, 2, 0, 0]), wcHit)?.name, 'a');
  assert.deepEqual(wcHit, m({ 0: [0] }).wc, "b's subtable cannot beat priority 100 and is not probed");
  const wcMiss = Buffer.alloc(LEN);
  assert.equal(cls.lookup(flow([9, 0x00030000, 0, 0]), wcMiss), undefined);
  assert.deepEqual(wcMiss, m({ 0: [0], 4: [0, 0xffff0000] }).wc);
  const pre = Buffer.alloc(LEN, 0);
  pre[15] = 0x80;
  cls.lookup(flow([9, 0x00030000, 0, 0]), pre);
  assert.equal(pre[15], 0x80, 'existing wc bits are kept (OR, not overwrite)');
});

test('equal-priority rules: the result is deterministic and its wildcards are sufficient', () => {
  const cls = new Classifier<TRule>();
  cls.insert(rule('x', 5, m({ 0: [1] })));
  cls.insert(rule('y', 5, m({ 4: [1] })));
  const wc = Buffer.alloc(LEN);
  const first = cls.lookup(flow([1, 1, 0, 0]), wc)!;
  assert.equal(first.name, 'x', 'the older subtable of equal maximum priority is probed first');
  assert.equal(cls.lookup(flow([1, 1, 0xffff, 3]))?.name, first.name);
});

test('findExactly needs the same mask, the same masked flow and the same priority', () => {
  const cls = new Classifier<TRule>();
  const r = rule('r', 7, m({ 0: [0x0a000000, 0xff000000] }));
  cls.insert(r);
  assert.equal(cls.findExactly(m({ 0: [0x0a000000, 0xff000000] }), 7), r);
  assert.equal(cls.findExactly(m({ 0: [0x0a000000, 0xff000000] }), 8), undefined);
  assert.equal(cls.findExactly(m({ 0: [0x0a000000, 0xffff0000] }), 7), undefined);
  assert.equal(cls.findExactly(m({ 0: [0x0b000000, 0xff000000] }), 7), undefined);
});

test('loose matching selects rules at least as specific as the criteria (OpenFlow 1.0 §4.6, 1.3 §6.4)', () => {
  const cls = new Classifier<TRule>();
  const any = rule('any', 1, m({}));
  const a1 = rule('a1', 2, m({ 0: [1] }));
  const a1b2 = rule('a1b2', 3, m({ 0: [1], 4: [2] }));
  const a2b2 = rule('a2b2', 4, m({ 0: [2], 4: [2] }));
  const b2 = rule('b2', 5, m({ 4: [2] }));
  const a1net = rule('a1net', 6, m({ 0: [0, 0xffff0000] }));
  for (const r of [any, a1, a1b2, a2b2, b2, a1net]) cls.insert(r);
  const names = (c: ClsMatch): string[] => cls.rulesMatchingLoosely(c).map((r) => r.name);
  assert.deepEqual(names(m({})), ['a1net', 'b2', 'a1b2', 'a2b2', 'a1', 'any'],
    'catch-all: every rule, subtable by subtable (highest maximum priority first), oldest first within one');
  assert.deepEqual(names(m({ 0: [1] })), ['a1b2', 'a1'], 'a rule that wildcards a field the criteria set is not selected');
  assert.deepEqual(names(m({ 4: [2] })), ['b2', 'a1b2', 'a2b2']);
  assert.deepEqual(names(m({ 0: [1], 4: [2] })), ['a1b2'], 'criteria equal to a subtable mask');
  assert.deepEqual(names(m({ 0: [0, 0xff000000] })), ['a1net', 'a1b2', 'a2b2', 'a1'], 'a masked criterion selects rules inside the prefix');
  assert.deepEqual(cls.rules().map((r) => r.name), names(m({})));
  assert.deepEqual(cls.sortInIterationOrder([any, a2b2, a1net, a1b2]).map((r) => r.name), ['a1net', 'a1b2', 'a2b2', 'any']);
  assert.equal(isLooseMatch(a1b2.match, m({ 0: [1] })), true);
  assert.equal(isLooseMatch(a1.match, m({ 0: [1], 4: [2] })), false);
});

test('overlap: same priority and some packet matched by both (OFPFF_CHECK_OVERLAP, OpenFlow 1.3 §6.4)', () => {
  const cls = new Classifier<TRule>();
  cls.insert(rule('a1', 10, m({ 0: [1] })));
  assert.equal(cls.overlaps(m({ 4: [5] }), 10), true, 'disjoint fields: a packet with A=1, B=5 matches both');
  assert.equal(cls.overlaps(m({ 0: [2] }), 10), false, 'different values of the same field');
  assert.equal(cls.overlaps(m({ 4: [5] }), 11), false, 'different priority never overlaps');
  assert.equal(cls.overlaps(m({ 0: [0, 0xfffffff0] }), 10), true, 'a prefix containing the value');
  assert.equal(cls.overlaps(m({ 0: [0x10, 0xfffffff0] }), 10), false, 'a prefix not containing it');
  assert.equal(cls.overlaps(m({}), 10), true);
});

test('versions: a rule is visible from its insertion version until it is made invisible', () => {
  const cls = new Classifier<TRule>();
  const old = rule('old', 10, m({ 0: [1] }));
  const neu = rule('new', 10, m({ 0: [1] }));
  cls.insert(old, 1);
  cls.makeInvisible(old, 5);
  cls.insert(neu, 5);
  const f = flow([1, 0, 0, 0]);
  assert.equal(cls.lookup(f, undefined, 0), undefined, 'before insertion');
  assert.equal(cls.lookup(f, undefined, 4)?.name, 'old');
  assert.equal(cls.lookup(f, undefined, 5)?.name, 'new');
  assert.equal(cls.lookup(f)?.name, 'new', 'the default version sees everything not marked removed');
  assert.equal(cls.findExactly(old.match, 10, 4), old);
  assert.equal(cls.findExactly(old.match, 10, 5), neu);
  assert.equal(cls.count(4), 1);
  assert.equal(cls.count(), 1);
  assert.equal(cls.size, 2);
  cls.remove(neu);
  cls.restoreVisibility(old);
  assert.equal(cls.lookup(f, undefined, 7)?.name, 'old', 'an aborted transaction is undone');
  assert.throws(() => cls.makeInvisible(old, 0), /before insertion/);
  assert.throws(() => cls.insert(old), /twice/);
});

test('replace swaps the identical rule; removals keep the subtable order right', () => {
  const cls = new Classifier<TRule>();
  const a = rule('a', 10, m({ 0: [1] }));
  const a2 = rule('a2', 10, m({ 0: [1] }));
  assert.equal(cls.replace(a), undefined);
  assert.equal(cls.replace(a2), a);
  assert.equal(cls.has(a), false);
  assert.equal(cls.size, 1);
  const hi = rule('hi', 100, m({ 0: [1] }));
  const mid = rule('mid', 50, m({ 4: [2] }));
  cls.insert(hi);
  cls.insert(mid);
  const f = flow([1, 2, 0, 0]);
  assert.equal(cls.lookup(f)?.name, 'hi');
  cls.remove(hi);
  assert.equal(cls.lookup(f)?.name, 'mid', "the subtable's maximum priority fell from 100 to 10");
  cls.remove(mid);
  cls.remove(a2);
  assert.equal(cls.subtableCount, 0);
  assert.equal(cls.remove(a2), false);
});

test('works on unaligned buffers and lengths that are not a multiple of 4', () => {
  const cls = new Classifier<TRule>();
  const len = 13;
  const backing = Buffer.alloc(64);
  const flowAt = (off: number, bytes: number[]): Buffer => {
    const b = backing.subarray(off, off + len);
    b.fill(0);
    bytes.forEach((x, i) => { b[i] = x; });
    return b;
  };
  const match = { flow: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42]), wc: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff]) };
  const r = rule('tail', 1, match);
  cls.insert(r);
  const f = flowAt(3, [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0x42]);
  const wc = Buffer.alloc(20).subarray(1, 1 + len);
  assert.equal(cls.lookup(f, wc), r);
  assert.deepEqual([...wc], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff]);
  assert.equal(cls.lookup(flowAt(5, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x43])), undefined);
  assert.equal(cls.findExactly({ flow: new Uint8Array(match.flow), wc: new Uint8Array(match.wc) }, 1), r, 'plain Uint8Arrays work too');
  assert.equal(clsMatchEqual(match, { flow: new Uint8Array(match.flow), wc: new Uint8Array(match.wc) }), true);
});

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bruteForce(rules: TRule[], f: Buffer, version = CLS_VERSION_MAX): TRule | undefined {
  let best: TRule | undefined;
  for (const r of rules) {
    if ((r.from ?? 0) > version || version >= (r.until ?? Infinity)) continue;
    let ok = true;
    for (let i = 0; i < LEN && ok; i++) ok = ((f[i] ^ r.match.flow[i]) & r.match.wc[i]) === 0;
    if (ok && (!best || r.priority > best.priority)) best = r;
  }
  return best;
}

/**
 * A layout for the 16-byte test flows: stages that split words (bytes 0-2, 3-6, 7-11, 12-15),
 * "ports" at 12..15 and two prefix fields, C (bytes 8..11, present unless byte 0 is 2) and A
 * (bytes 0..3).
 */
const TEST_LAYOUT: ClsLayout = {
  stageOfByte: Uint8Array.from([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3]), nStages: 4, portsOffset: 12, conjIdOffset: -1,
};
const FIELD_C: ClsPrefixField = { name: 'C', offset: 8, nBits: 32, prereqsOk: (f) => f[0] !== 2 };
const FIELD_A: ClsPrefixField = { name: 'A', offset: 0, nBits: 32, prereqsOk: () => true };

/** A CIDR mask of `len` bits as 4 bytes. */
function cidr(len: number): number[] {
  const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return [m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff];
}

for (const [variant, opts] of [
  ['plain', {}], ['staged, tries and ports trie', { layout: TEST_LAYOUT, prefixes: [FIELD_C, FIELD_A] }],
] as [string, ClassifierOptions<TRule>][]) test(`property (${variant}): lookup agrees with a linear search in every version and its wildcards are sufficient`, () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = prng(seed);
    const int = (n: number): number => Math.floor(rnd() * n);
    // Few distinct masks and small value ranges so that rules overlap and flows hit them.
    const masks = Array.from({ length: 1 + int(6) }, () => {
      const wc = Buffer.alloc(LEN);
      for (let i = 0; i < LEN; i++) if (rnd() < 0.25) wc[i] = [0xff, 0xf0, 0x01, 0x0f][int(4)];
      // CIDR masks on the prefix fields and the ports, often
      if (rnd() < 0.5) wc.set(cidr(int(33)), 8);
      if (rnd() < 0.3) wc.set(cidr(int(33)), 0);
      if (rnd() < 0.5) wc.set(cidr(int(33)), 12);
      return wc;
    });
    const cls = new Classifier<TRule>(opts);
    let live: TRule[] = [];
    const priorities = new Set<number>();
    for (let i = 0; i < 60; i++) {
      let priority: number;
      do priority = int(100000); while (priorities.has(priority));
      priorities.add(priority);
      const wc = masks[int(masks.length)];
      const f = Buffer.alloc(LEN);
      for (let b = 0; b < LEN; b++) f[b] = int(3) & wc[b];
      const r: TRule = { ...rule(`r${i}`, priority, { flow: f, wc }), from: int(4) };
      cls.insert(r, r.from);
      if (rnd() < 0.2) {
        r.until = r.from! + 1 + int(3);
        cls.makeInvisible(r, r.until);
      }
      live.push(r);
      if (rnd() < 0.15) {
        const victim = live[int(live.length)];
        cls.remove(victim);
        live = live.filter((x) => x !== victim);
      }
    }
    for (let k = 0; k < 300; k++) {
      const f = Buffer.alloc(LEN);
      for (let b = 0; b < LEN; b++) f[b] = int(3);
      const wc = Buffer.alloc(LEN);
      const version = int(8);
      const got = cls.lookup(f, wc, version);
      assert.equal(got, bruteForce(live, f, version), `seed ${seed}: same rule as the linear search`);
      // Any flow that agrees with f on wc must get the same rule.
      for (let j = 0; j < 5; j++) {
        const g = Buffer.alloc(LEN);
        for (let b = 0; b < LEN; b++) g[b] = (f[b] & wc[b]) | (int(256) & ~wc[b]);
        assert.equal(cls.lookup(g, undefined, version), got, `seed ${seed}: wildcards are sufficient`);
        assert.equal(bruteForce(live, g, version), got, `seed ${seed}: wildcards are sufficient (linear search)`);
      }
    }
    const visible = live.filter((r) => r.until === undefined);
    for (const r of visible) {
      assert.equal(cls.findExactly(r.match, r.priority, CLS_VERSION_MAX), r);
      const loose = cls.rulesMatchingLoosely(r.match);
      assert.ok(loose.includes(r));
      assert.deepEqual(loose, cls.sortInIterationOrder(visible.filter((x) => isLooseMatch(x.match, r.match))));
    }
  }
});

/**
 * What OVS's `trie_lookup_value` answers, from the set of stored prefixes alone: the matching
 * lengths, and the depth at which the value leaves every stored prefix (+1 if some longer prefix
 * branches off there).
 */
function trieReference(prefixes: [number, number][], v: number): { maskbits: number; plens: number } {
  const bit = (x: number, i: number): number => (x >>> (31 - i)) & 1;
  const agree = (p: number, n: number): boolean => { for (let i = 0; i < n; i++) if (bit(p, i) !== bit(v, i)) return false; return true; };
  let plens = 0;
  let depth = 0; // longest d such that some prefix starts with v's first d bits
  for (const [p, len] of prefixes) {
    if (agree(p, len)) plens |= 1 << (len - 1);
    let d = 0;
    while (d < len && bit(p, d) === bit(v, d)) d++;
    depth = Math.max(depth, d);
  }
  if (depth >= 32) return { maskbits: 32, plens };
  const longer = prefixes.some(([p, len]) => len > depth && agree(p, depth));
  return { maskbits: longer ? depth + 1 : depth, plens };
}

test('prefix trie: lookups equal the reference definition through random inserts and removals', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rnd = prng(seed);
    const int = (n: number): number => Math.floor(rnd() * n);
    const trie = new ClsTrie();
    let stored: [number, number][] = [];
    const top = () => (int(4) << 30) | (int(4) << 28) | (int(2) << 27); // values that share prefixes
    for (let step = 0; step < 120; step++) {
      if (stored.length && rnd() < 0.3) {
        const i = int(stored.length);
        trie.remove(Uint32Array.of(stored[i][0]), stored[i][1]);
        stored = stored.filter((_, j) => j !== i);
      } else {
        const len = 1 + int(32);
        const p = ((top() | int(0x8000000)) & (len === 32 ? 0xffffffff : ~(0xffffffff >>> len))) >>> 0;
        trie.insert(Uint32Array.of(p), len);
        stored.push([p, len]);
      }
      for (let k = 0; k < 10; k++) {
        const v = (top() | int(0x8000000)) >>> 0;
        const plens = new Uint32Array(1);
        const maskbits = trie.lookup(Uint32Array.of(v), 32, plens);
        const want = trieReference(stored, v);
        assert.deepEqual([maskbits, plens[0]], [want.maskbits, want.plens >>> 0], `seed ${seed} step ${step} value ${v.toString(16)}`);
      }
    }
    assert.equal(trie.empty, stored.length === 0);
  }
});

test('prefix trie: IPv6-long prefixes; the answer does not depend on insertion order', () => {
  const p = (hex: string): Uint32Array => Uint32Array.from(hex.match(/.{8}/g)!.map((w) => parseInt(w, 16)));
  const a = p('20010db8000000000000000000000000');
  const b = p('20010db8000100000000000000000000');
  const c = p('20010db8000100000000000000000001');
  const run = (order: [Uint32Array, number][]): number[] => {
    const t = new ClsTrie();
    for (const [x, len] of order) t.insert(x, len);
    const plens = new Uint32Array(4);
    const cBits = t.lookup(c, 128, plens);
    const scratch = new Uint32Array(4);
    return [t.lookup(p('20010db9000000000000000000000002'), 128, scratch), t.lookup(p('20010db8000200000000000000000002'), 128, scratch),
      cBits, ...plens];
  };
  const got = run([[a, 32], [b, 48], [c, 128]]);
  // 2001:db9:: leaves 2001:db8::/32 at bit 31; 2001:db8:2:: leaves 2001:db8:1::/48 at bit 46.
  assert.deepEqual(got.slice(0, 3), [32, 47, 128]);
  // c matches all three: lengths 32, 48 and 128 (bit len-1: word (len-1)>>5, bit (len-1)&31)
  assert.deepEqual(got.slice(3), [0x80000000, 0x8000, 0, 0x80000000]);
  assert.deepEqual(run([[c, 128], [b, 48], [a, 32]]), got);
});

/** A 16-byte rule that carries conjunctions. */
interface CRule extends TRule { conj?: { id: number; clause: number; nClauses: number }[] }

const CONJ_LAYOUT: ClsLayout = { ...TEST_LAYOUT, conjIdOffset: 12 };

function conjCls(rules: CRule[]): Classifier<CRule> {
  const cls = new Classifier<CRule>({ layout: CONJ_LAYOUT, conjunctions: (r) => r.conj });
  for (const r of rules) cls.insert(r);
  return cls;
}

test('conjunctions: all clauses of the highest soft priority select the conj_id rule; soft rules are never returned', () => {
  // fields: A (0..3) and B (4..7) are the dimensions, D (12..15) is conj_id
  const a1: CRule = { ...rule('a1', 100, m({ 0: [1] })), conj: [{ id: 5, clause: 0, nClauses: 2 }] };
  const b1: CRule = { ...rule('b1', 100, m({ 4: [1] })), conj: [{ id: 5, clause: 1, nClauses: 2 }] };
  const target: CRule = rule('conj5', 7, m({ 12: [5] }));
  const fallback: CRule = rule('low', 1, m({}));
  const cls = conjCls([a1, b1, target, fallback]);
  const wc = Buffer.alloc(LEN);
  const f = flow([1, 1, 0, 0]);
  assert.equal(cls.lookup(f, wc)?.name, 'conj5');
  assert.deepEqual([...f], [...flow([1, 1, 0, 0])], 'conj_id is restored in the flow');
  assert.deepEqual(wc, m({ 0: [0], 4: [0], 12: [0] }).wc, 'both dimensions and conj_id matter');
  assert.equal(cls.lookup(flow([1, 2, 0, 0]))?.name, 'low', 'one clause alone is no match');
  assert.equal(cls.lookup(flow([2, 1, 0, 0]))?.name, 'low');
  // A hard match above the soft ones wins without the conjunction.
  cls.insert(rule('hard', 200, m({ 8: [9] })));
  assert.equal(cls.lookup(flow([1, 1, 9, 0]))?.name, 'hard');
  assert.equal(cls.lookup(flow([1, 1, 8, 0]))?.name, 'conj5');
  // Without the conj_id rule the lookup falls back to the lower rule.
  cls.remove(target);
  assert.equal(cls.lookup(flow([1, 1, 8, 0]))?.name, 'low');
});

test('conjunctions: a lower-priority rule with the same match takes over when the soft match fails', () => {
  // a1 (soft, 100) has a twin a1low (hard, 50) with the same match: when id 5 is incomplete,
  // a1low is the answer (OVS next_visible_rule_in_list), above the catch-all.
  const a1: CRule = { ...rule('a1', 100, m({ 0: [1] })), conj: [{ id: 5, clause: 0, nClauses: 2 }] };
  const a1low: CRule = rule('a1low', 50, m({ 0: [1] }));
  const b1: CRule = { ...rule('b1', 100, m({ 4: [1] })), conj: [{ id: 5, clause: 1, nClauses: 2 }] };
  const three: CRule[] = [0, 1, 2].map((k) => ({ ...rule(`t${k}`, 80, m({ [k * 4]: [3] })), conj: [{ id: 9, clause: k, nClauses: 3 }] }));
  const cls = conjCls([a1, a1low, b1, ...three, rule('conj5', 7, m({ 12: [5] })), rule('conj9', 7, m({ 12: [9] })), rule('low', 1, m({}))]);
  assert.equal(cls.lookup(flow([1, 2, 0, 0]))?.name, 'a1low');
  assert.equal(cls.lookup(flow([1, 1, 0, 0]))?.name, 'conj5');
  assert.equal(cls.lookup(flow([3, 3, 3, 0]))?.name, 'conj9', 'three clauses at priority 80');
  assert.equal(cls.lookup(flow([3, 3, 0, 0]))?.name, 'low', 'two of three is no match');
});

test('setPrefixFields rebuilds the tries from the rules held', () => {
  const rules = [rule('/8', 10, m({ 8: [0x0a000000, 0xff000000] })), rule('/16', 20, m({ 8: [0x0a010000, 0xffff0000] }))];
  const later = new Classifier<TRule>({ layout: TEST_LAYOUT });
  for (const r of rules) later.insert(r);
  const f = flow([0, 0, 0x0b000001, 0]);
  const before = Buffer.alloc(LEN);
  later.lookup(f, before);
  assert.deepEqual(before, m({ 8: [0, 0xffff0000] }).wc, "no trie: the /16 subtable's whole mask");
  later.setPrefixFields([FIELD_C]);
  assert.deepEqual(later.prefixFields, ['C']);
  const after = Buffer.alloc(LEN);
  later.lookup(f, after);
  assert.deepEqual(after, m({ 8: [0, 0xff000000] }).wc, 'with the trie: the /8 that rules both out');
  const fresh = new Classifier<TRule>({ layout: TEST_LAYOUT, prefixes: [FIELD_C] });
  for (const r of rules) fresh.insert(r);
  const wc = Buffer.alloc(LEN);
  fresh.lookup(f, wc);
  assert.deepEqual(wc, after);
  // prerequisite not met (byte 0 = 2): the trie is not used
  const noPrereq = Buffer.alloc(LEN);
  fresh.lookup(flow([0x02000000, 0, 0x0b000001, 0]), noPrereq);
  assert.deepEqual(noPrereq, m({ 8: [0, 0xffff0000] }).wc);
});

test('rules whose bytes have the top bit set are found by lookup and by findExactly (an add replaces them)', () => {
  // Flow words are read in platform byte order: 0xff in the last byte of a word makes the
  // masked word negative as an int32. Keys were once compared signed against unsigned, so such
  // rules never matched and an identical add was stored twice (learned rules listed 3 times).
  for (const layout of [undefined, TEST_LAYOUT]) {
    const cls = new Classifier<TRule>(layout ? { layout } : {});
    const a = rule('a', 100, m({ 0: [0x4e8fe18e], 4: [0x98160000, 0xffff0000] }));
    const b = rule('b', 90, m({ 8: [0xffffffff] }));
    cls.insert(a);
    cls.insert(b);
    assert.equal(cls.lookup(flow([0x4e8fe18e, 0x98161234, 0, 0]))?.name, 'a');
    assert.equal(cls.lookup(flow([0, 0, 0xffffffff, 0]))?.name, 'b');
    assert.equal(cls.lookup(flow([0, 0, 0xfffffffe, 0])), undefined);
    const again = rule('a2', 100, m({ 0: [0x4e8fe18e], 4: [0x98160000, 0xffff0000] }));
    assert.equal(cls.findExactly(again.match, 100), a);
    assert.equal(cls.replace(again), a);
    assert.equal(cls.size, 2);
  }
});
