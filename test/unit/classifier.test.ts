import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Classifier, CLS_VERSION_MAX, clsMatchEqual, isLooseMatch, type ClsMatch,
} from '../../src/ofproto-dpif/classifier';

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

test('property: lookup agrees with a linear search in every version and its wildcards are sufficient', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = prng(seed);
    const int = (n: number): number => Math.floor(rnd() * n);
    // Few distinct masks and small value ranges so that rules overlap and flows hit them.
    const masks = Array.from({ length: 1 + int(6) }, () => {
      const wc = Buffer.alloc(LEN);
      for (let i = 0; i < LEN; i++) if (rnd() < 0.25) wc[i] = [0xff, 0xf0, 0x01, 0x0f][int(4)];
      return wc;
    });
    const cls = new Classifier<TRule>();
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
