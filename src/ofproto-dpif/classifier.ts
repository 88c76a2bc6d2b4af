/**
 * The classifier: a set of rules, each a masked flow (`match`) with a `priority`, and the
 * operations OpenFlow needs on it (OVS lib/classifier.c, re-designed):
 *
 * - `lookup(flow)`: the highest-priority rule matching a packet's flow, and the wildcard bits the
 *   answer depended on (the megaflow mask contribution of this lookup);
 * - `findExactly(match, priority)`: the rule with exactly that match and priority (strict
 *   modify/delete, "add" replacing an identical rule);
 * - `rulesMatchingLoosely(match)`: every rule at least as specific as `match` (non-strict
 *   modify/delete and flow statistics, OpenFlow 1.0 §4.6, 1.3 §6.4);
 * - `overlaps(match, priority)`: OFPFF_CHECK_OVERLAP's question (OpenFlow 1.3 §6.4).
 *
 * Rules and flows are byte strings: a flow is a buffer of fixed length (FLOW_LEN of
 * src/openflow/meta-flow.ts), a match is a flow plus a wildcard buffer of the same length whose
 * 1-bits are the bits that matter, with `flow & ~wc == 0`. The classifier needs no field knowledge.
 *
 * ## Tuple-space search
 * Rules are grouped into one subtable per distinct wildcard mask. A subtable keeps the 32-bit
 * words where its mask is nonzero and hashes each rule's flow over exactly those (masked) words,
 * so probing a subtable for a packet is one hash of a handful of words and one map lookup.
 * Subtables are visited in decreasing order of the highest priority they hold; the search stops
 * as soon as no remaining subtable can hold a rule of higher priority than the best found.
 *
 * ## The wildcards a lookup reports
 * Every subtable the lookup probes ORs its whole mask into `wc`; a subtable skipped because its
 * maximum priority cannot beat the rule already found contributes nothing. This is sufficient:
 * a flow that agrees with the looked-up flow on every bit of the resulting `wc` probes the same
 * subtables in the same order, lands in the same hash buckets, and gets the same rule. OVS
 * un-wildcards less with staged lookup and prefix tries (issue #6); they fit here as a different
 * `probe` of a subtable (staged: split `idx`/`bits` into stages and OR only the stages examined)
 * and a pre-pass that skips subtables (tries: OR only the prefix bits consulted).
 *
 * Rules of equal priority that both match a packet are an ambiguity OpenFlow leaves undefined;
 * the rule found first (in the subtable of higher maximum priority, then the older subtable) wins,
 * deterministically for a given set of rules.
 *
 * ## Iteration order
 * Queries that return many rules return them in OVS's classifier-cursor order, which is the
 * order `ovs-ofctl dump-flows` shows: subtables by decreasing maximum priority (ties: the older
 * subtable first), and within a subtable the rules in insertion order. A rule of a
 * higher-priority subtable therefore comes first, but a subtable's low-priority rules come
 * before another subtable's higher ones; callers that need strict priority order sort.
 *
 * ## Versions
 * As in OVS, each rule is visible in a range of versions `[addVersion, removeVersion)`: a
 * flow_mod transaction inserts its new rules visible from version N+1 and marks the rules it
 * replaces or deletes invisible from N+1, so readers at version N see none of it, readers at
 * N+1 all of it, and an aborted transaction is undone by removing the new rules and restoring the
 * old ones' visibility. Readers that apply whole transactions between lookups (worker replicas
 * fed by deltas) can ignore versions: rules inserted with the defaults are visible in every
 * version. Every query takes a version and defaults to CLS_VERSION_MAX, which sees every rule
 * not marked for removal.
 *
 * The module is shared by the main thread and the workers: no I/O, no Node-only API, and it works
 * on any `Uint8Array` (a `Buffer`, or a `Uint8Array` that came through `postMessage`).
 */

/** What the classifier needs from a match: flow bits and mask bits, equal lengths. */
export interface ClsMatch {
  /** the values of the bits that matter; 0 wherever `wc` is 0 */
  readonly flow: Uint8Array;
  /** 1 = the bit matters, 0 = wildcarded */
  readonly wc: Uint8Array;
}

/** What the classifier needs from a rule. Rules are keyed by object identity. */
export interface ClsRule {
  readonly match: ClsMatch;
  /** higher wins; OpenFlow priorities are 0..65535, OVS's hidden internal rules are above */
  readonly priority: number;
}

/** The first version (OVS `OVS_VERSION_MIN`). */
export const CLS_VERSION_MIN = 0;
/** The `removeVersion` of a rule not marked for removal (OVS `OVS_VERSION_NOT_REMOVED`). */
export const CLS_VERSION_NOT_REMOVED = Number.MAX_SAFE_INTEGER;
/** The last version a reader can ask for: sees every rule not marked for removal. */
export const CLS_VERSION_MAX = CLS_VERSION_NOT_REMOVED - 1;

interface Entry<R> {
  readonly rule: R;
  readonly priority: number;
  readonly subtable: Subtable<R>;
  /** the rule's flow at the subtable's nonzero mask words (already masked) */
  readonly key: Uint32Array;
  readonly hash: number;
  /** insertion order, for stable ordering among equal priorities */
  readonly seq: number;
  addVersion: number;
  removeVersion: number;
}

interface Subtable<R> {
  readonly id: string;
  readonly seq: number;
  /** the whole mask as words (length = words of the flow) */
  readonly mask: Uint32Array;
  /** the mask as bytes, for OR-ing into an unaligned `wc` */
  readonly maskBytes: Uint8Array;
  /** indexes of the nonzero mask words, and those words */
  readonly idx: Int32Array;
  readonly bits: Uint32Array;
  /** hash of the masked flow → entries with that hash, highest priority first */
  readonly buckets: Map<number, Entry<R>[]>;
  readonly entries: Set<Entry<R>>;
  /** priority → number of entries with it */
  readonly priorities: Map<number, number>;
  maxPriority: number;
}

function isVisible(e: { addVersion: number; removeVersion: number }, version: number): boolean {
  return e.addVersion <= version && version < e.removeVersion;
}

/** A reusable word buffer and a byte view of it. */
interface Scratch {
  words: Uint32Array;
  bytes: Uint8Array;
}

function newScratch(nWords: number): Scratch {
  const words = new Uint32Array(nWords);
  return { words, bytes: new Uint8Array(words.buffer) };
}

/**
 * `bytes` as 32-bit words in platform byte order, zero-padded to `nWords`: a view when the
 * buffer is aligned and exactly `nWords` long, else a copy (into `scratch` if given, whose
 * padding stays zero because only the first `bytes.length` bytes are ever written).
 */
function wordsOf(bytes: Uint8Array, nWords: number, scratch?: Scratch): Uint32Array {
  if ((bytes.byteOffset & 3) === 0 && bytes.length === nWords * 4) {
    return new Uint32Array(bytes.buffer, bytes.byteOffset, nWords);
  }
  const out = scratch && scratch.words.length === nWords ? scratch : newScratch(nWords);
  out.bytes.set(bytes);
  return out.words;
}

function nWordsOf(bytes: Uint8Array): number {
  return (bytes.length + 3) >>> 2;
}

/** One murmur3 round over a word (the same mixing as OVS's hash_add). */
function mix(h: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

function finish(h: number, n: number): number {
  h ^= n;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Hash of `flow` masked by the subtable's nonzero words. */
function hashMasked(flow: Uint32Array, idx: Int32Array, bits: Uint32Array): number {
  let h = 0;
  for (let j = 0; j < idx.length; j++) h = mix(h, flow[idx[j]] & bits[j]);
  return finish(h, idx.length);
}

/** Same hash over an already masked key. */
function hashKey(key: Uint32Array): number {
  let h = 0;
  for (let j = 0; j < key.length; j++) h = mix(h, key[j]);
  return finish(h, key.length);
}

/**
 * Returns true if the rule match `rule` is at least as specific as `criteria` and agrees with it
 * wherever `criteria` matters: OpenFlow's non-strict ("loose") match of a flow entry against a
 * flow_mod or flow stats request (OpenFlow 1.3 §6.4; OVS `cls_rule_is_loose_match`).
 * Both matches must have the same length.
 */
export function isLooseMatch(rule: ClsMatch, criteria: ClsMatch): boolean {
  const n = criteria.wc.length;
  for (let i = 0; i < n; i++) {
    const m = criteria.wc[i];
    if ((m & ~rule.wc[i]) !== 0 || ((rule.flow[i] ^ criteria.flow[i]) & m) !== 0) return false;
  }
  return true;
}

/** Returns true if two matches have identical masks and identical masked flows. */
export function clsMatchEqual(a: ClsMatch, b: ClsMatch): boolean {
  const n = a.wc.length;
  if (b.wc.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const m = a.wc[i];
    if (m !== b.wc[i] || ((a.flow[i] ^ b.flow[i]) & m) !== 0) return false;
  }
  return true;
}

/**
 * A set of rules searchable by flow (see the module comment). `R` is any object with a `match`
 * and a `priority`; a rule object may be in at most one place in one classifier at a time.
 * Neither `match` nor `priority` of a rule may change while it is inserted.
 */
export class Classifier<R extends ClsRule> {
  private readonly byRule = new Map<R, Entry<R>>();
  private readonly subtables = new Map<string, Subtable<R>>();
  /** subtables by decreasing maxPriority, then creation order */
  private order: Subtable<R>[] = [];
  private orderDirty = false;
  private nextSeq = 0;
  private nextSubtableSeq = 0;
  /** reusable word copies of a flow and of a mask, for buffers that cannot be viewed as words */
  private scratch?: Scratch;
  private maskScratch?: Scratch;

  /** Number of rules held, including rules invisible in some versions. */
  get size(): number {
    return this.byRule.size;
  }

  /** Number of subtables (distinct masks) — a cost indicator: a lookup probes at most this many. */
  get subtableCount(): number {
    return this.subtables.size;
  }

  /** Returns true if `rule` (this object) is in the classifier, in any version. */
  has(rule: R): boolean {
    return this.byRule.has(rule);
  }

  /**
   * Inserts `rule`, visible from `version` on (until marked invisible).
   * @throws Error if this rule object is already inserted (a programming error)
   */
  insert(rule: R, version = CLS_VERSION_MIN): void {
    if (this.byRule.has(rule)) throw new Error('classifier: rule inserted twice');
    const st = this.subtableFor(rule.match.wc);
    const flow = this.flowWords(rule.match.flow);
    const key = new Uint32Array(st.idx.length);
    for (let j = 0; j < key.length; j++) key[j] = flow[st.idx[j]] & st.bits[j];
    const hash = hashKey(key);
    const e: Entry<R> = {
      rule, priority: rule.priority, subtable: st, key, hash, seq: this.nextSeq++,
      addVersion: version, removeVersion: CLS_VERSION_NOT_REMOVED,
    };
    let bucket = st.buckets.get(hash);
    if (!bucket) {
      bucket = [];
      st.buckets.set(hash, bucket);
    }
    let at = bucket.length;
    while (at > 0 && bucket[at - 1].priority < e.priority) at--;
    bucket.splice(at, 0, e);
    st.entries.add(e);
    st.priorities.set(e.priority, (st.priorities.get(e.priority) ?? 0) + 1);
    if (e.priority > st.maxPriority) {
      st.maxPriority = e.priority;
      this.orderDirty = true;
    }
    this.byRule.set(rule, e);
  }

  /**
   * Inserts `rule` and physically removes the rule with an identical match and priority that is
   * visible in `version`, if any (OVS `classifier_replace`, for readers that do not use versions).
   * @returns the removed rule, or undefined
   */
  replace(rule: R, version = CLS_VERSION_MIN): R | undefined {
    const old = this.findExactly(rule.match, rule.priority, version);
    if (old !== undefined) this.remove(old);
    this.insert(rule, version);
    return old;
  }

  /**
   * Physically removes `rule` (every version).
   * @returns false if it was not in the classifier
   */
  remove(rule: R): boolean {
    const e = this.byRule.get(rule);
    if (!e) return false;
    this.byRule.delete(rule);
    const st = e.subtable;
    const bucket = st.buckets.get(e.hash)!;
    bucket.splice(bucket.indexOf(e), 1);
    if (bucket.length === 0) st.buckets.delete(e.hash);
    st.entries.delete(e);
    const n = st.priorities.get(e.priority)! - 1;
    if (n > 0) {
      st.priorities.set(e.priority, n);
    } else {
      st.priorities.delete(e.priority);
      if (e.priority === st.maxPriority) {
        st.maxPriority = -Infinity;
        for (const p of st.priorities.keys()) if (p > st.maxPriority) st.maxPriority = p;
        this.orderDirty = true;
      }
    }
    if (st.entries.size === 0) {
      this.subtables.delete(st.id);
      this.order = this.order.filter((s) => s !== st);
    }
    return true;
  }

  /**
   * Makes `rule` invisible to readers of `version` and later (OVS
   * `cls_rule_make_invisible_in_version`); it stays in place for older readers and for
   * {@link restoreVisibility}.
   * @throws Error if the rule is not inserted or `version` precedes its insertion
   */
  makeInvisible(rule: R, version: number): void {
    const e = this.entryOf(rule);
    if (version < e.addVersion) throw new Error('classifier: removal before insertion');
    e.removeVersion = version;
  }

  /** Undoes {@link makeInvisible}. @throws Error if the rule is not inserted */
  restoreVisibility(rule: R): void {
    this.entryOf(rule).removeVersion = CLS_VERSION_NOT_REMOVED;
  }

  /** Number of rules visible in `version`. */
  count(version = CLS_VERSION_MAX): number {
    let n = 0;
    for (const e of this.byRule.values()) if (isVisible(e, version)) n++;
    return n;
  }

  /**
   * The rule visible in `version` whose match equals `match` (same mask, same masked flow) and
   * whose priority is `priority` (OVS `classifier_find_rule_exactly`).
   */
  findExactly(match: ClsMatch, priority: number, version = CLS_VERSION_MAX): R | undefined {
    const st = this.subtables.get(subtableId(this.maskWords(match.wc)));
    if (!st) return undefined;
    const flow = this.flowWords(match.flow);
    const bucket = st.buckets.get(hashMasked(flow, st.idx, st.bits));
    if (!bucket) return undefined;
    for (const e of bucket) {
      if (e.priority < priority) break;
      if (e.priority === priority && isVisible(e, version) && keyMatches(e, flow)) return e.rule;
    }
    return undefined;
  }

  /**
   * The highest-priority rule visible in `version` that matches `flow`, or undefined.
   * @param flow a flow buffer (same length as the rules' matches)
   * @param wc if given, the mask bits this decision depended on are OR-ed into it (same length);
   *           see the module comment for exactly which bits
   */
  lookup(flow: Uint8Array, wc?: Uint8Array, version = CLS_VERSION_MAX): R | undefined {
    if (this.orderDirty) this.sortSubtables();
    const words = this.flowWords(flow);
    const wcWords = wc && (wc.byteOffset & 3) === 0 ? new Uint32Array(wc.buffer, wc.byteOffset, wc.length >>> 2) : undefined;
    let best: Entry<R> | undefined;
    let bestPriority = -Infinity;
    for (const st of this.order) {
      if (st.maxPriority <= bestPriority) break;
      if (wc) orMask(wc, wcWords, st);
      const e = probe(st, words, version, bestPriority);
      if (e) {
        best = e;
        bestPriority = e.priority;
      }
    }
    return best?.rule;
  }

  /**
   * Every rule visible in `version` that is at least as specific as `criteria` and agrees with it
   * where it matters ({@link isLooseMatch}), in iteration order (see the module comment).
   * A catch-all `criteria` returns every visible rule.
   */
  rulesMatchingLoosely(criteria: ClsMatch, version = CLS_VERSION_MAX): R[] {
    if (this.orderDirty) this.sortSubtables();
    const nWords = nWordsOf(criteria.wc);
    const tmask = wordsOf(criteria.wc, nWords).slice();
    const tflow = wordsOf(criteria.flow, nWords).slice();
    for (let w = 0; w < nWords; w++) tflow[w] &= tmask[w];
    const out: R[] = [];
    for (const st of this.order) {
      if (!maskCovers(st.mask, tmask)) continue;
      if (masksEqual(st.mask, tmask)) {
        const bucket = st.buckets.get(hashMasked(tflow, st.idx, st.bits)) ?? [];
        const hits = bucket.filter((e) => isVisible(e, version) && keyMatches(e, tflow));
        for (const e of hits.sort((a, b) => a.seq - b.seq)) out.push(e.rule);
        continue;
      }
      const { idx } = st;
      next: for (const e of st.entries) {
        if (!isVisible(e, version)) continue;
        for (let j = 0; j < idx.length; j++) {
          if ((e.key[j] & tmask[idx[j]]) !== tflow[idx[j]]) continue next;
        }
        out.push(e.rule);
      }
    }
    return out;
  }

  /**
   * Returns true if some rule visible in `version` has priority `priority` and could match a
   * packet that `match` also matches, i.e. the two agree on every bit both care about
   * (OFPFF_CHECK_OVERLAP, OpenFlow 1.3 §6.4; OVS `classifier_rule_overlaps`).
   */
  overlaps(match: ClsMatch, priority: number, version = CLS_VERSION_MAX): boolean {
    const nWords = nWordsOf(match.wc);
    const tmask = wordsOf(match.wc, nWords).slice();
    const tflow = wordsOf(match.flow, nWords).slice();
    for (const st of this.subtables.values()) {
      if (!st.priorities.has(priority)) continue;
      const { idx, bits } = st;
      next: for (const e of st.entries) {
        if (e.priority !== priority || !isVisible(e, version)) continue;
        for (let j = 0; j < idx.length; j++) {
          if (((e.key[j] ^ tflow[idx[j]]) & bits[j] & tmask[idx[j]]) !== 0) continue next;
        }
        return true;
      }
    }
    return false;
  }

  /** Every rule visible in `version`, in iteration order (see the module comment). */
  rules(version = CLS_VERSION_MAX): R[] {
    if (this.orderDirty) this.sortSubtables();
    const out: R[] = [];
    for (const st of this.order) for (const e of st.entries) if (isVisible(e, version)) out.push(e.rule);
    return out;
  }

  /**
   * Sorts rules of this classifier into iteration order (see the module comment), in place.
   * @throws Error if one of them is not in the classifier
   */
  sortInIterationOrder(rules: R[]): R[] {
    if (this.orderDirty) this.sortSubtables();
    const rank = new Map(this.order.map((st, i) => [st, i]));
    const key = (r: R): Entry<R> => this.entryOf(r);
    return rules.sort((a, b) => {
      const ea = key(a);
      const eb = key(b);
      return rank.get(ea.subtable)! - rank.get(eb.subtable)! || ea.seq - eb.seq;
    });
  }

  private entryOf(rule: R): Entry<R> {
    const e = this.byRule.get(rule);
    if (!e) throw new Error('classifier: rule not inserted');
    return e;
  }

  /** `flow` as words (a view, or a copy in the flow scratch). */
  private flowWords(flow: Uint8Array): Uint32Array {
    const nWords = nWordsOf(flow);
    if (this.scratch?.words.length !== nWords) this.scratch = newScratch(nWords);
    return wordsOf(flow, nWords, this.scratch);
  }

  /** `wc` as words (a view, or a copy in the mask scratch). */
  private maskWords(wc: Uint8Array): Uint32Array {
    const nWords = nWordsOf(wc);
    if (this.maskScratch?.words.length !== nWords) this.maskScratch = newScratch(nWords);
    return wordsOf(wc, nWords, this.maskScratch);
  }

  private subtableFor(wc: Uint8Array): Subtable<R> {
    const words = this.maskWords(wc);
    const id = subtableId(words);
    let st = this.subtables.get(id);
    if (!st) {
      const mask = words.slice();
      const idx: number[] = [];
      for (let w = 0; w < mask.length; w++) if (mask[w] !== 0) idx.push(w);
      st = {
        id, seq: this.nextSubtableSeq++, mask,
        maskBytes: new Uint8Array(mask.buffer, 0, wc.length),
        idx: Int32Array.from(idx), bits: Uint32Array.from(idx, (w) => mask[w]),
        buckets: new Map(), entries: new Set(), priorities: new Map(), maxPriority: -Infinity,
      };
      this.subtables.set(id, st);
      this.order.push(st);
      this.orderDirty = true;
    }
    return st;
  }

  private sortSubtables(): void {
    this.order.sort((a, b) => b.maxPriority - a.maxPriority || a.seq - b.seq);
    this.orderDirty = false;
  }
}

/** A subtable's identity: its nonzero mask words and their positions. */
function subtableId(mask: Uint32Array): string {
  let id = '';
  for (let w = 0; w < mask.length; w++) if (mask[w] !== 0) id += `${w}:${mask[w]},`;
  return id;
}

function keyMatches<R>(e: Entry<R>, flow: Uint32Array): boolean {
  const { idx, bits } = e.subtable;
  for (let j = 0; j < idx.length; j++) if ((flow[idx[j]] & bits[j]) !== e.key[j]) return false;
  return true;
}

/**
 * The subtable's highest-priority entry visible in `version`, matching `flow`, of priority
 * above `floor`. Its answer depends only on `flow`'s bits under the subtable mask.
 */
function probe<R>(st: Subtable<R>, flow: Uint32Array, version: number, floor: number): Entry<R> | undefined {
  const bucket = st.buckets.get(hashMasked(flow, st.idx, st.bits));
  if (!bucket) return undefined;
  for (const e of bucket) {
    if (e.priority <= floor) return undefined;
    if (isVisible(e, version) && keyMatches(e, flow)) return e;
  }
  return undefined;
}

/**
 * ORs the subtable's mask into `wc`: word by word through `wcWords` (a view of `wc`'s whole
 * words, when `wc` is aligned), byte by byte for the rest.
 */
function orMask<R>(wc: Uint8Array, wcWords: Uint32Array | undefined, st: Subtable<R>): void {
  const { idx, bits } = st;
  const full = wcWords ? wcWords.length : 0;
  const mb = st.maskBytes;
  for (let j = 0; j < idx.length; j++) {
    const w = idx[j];
    if (w < full) {
      wcWords![w] |= bits[j];
    } else {
      const end = Math.min(w * 4 + 4, wc.length);
      for (let i = w * 4; i < end; i++) wc[i] |= mb[i];
    }
  }
}

/** Returns true if every 1-bit of `inner` is also set in `outer`. */
function maskCovers(outer: Uint32Array, inner: Uint32Array): boolean {
  for (let w = 0; w < inner.length; w++) if ((inner[w] & ~outer[w]) !== 0) return false;
  return true;
}

function masksEqual(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if (a[w] !== b[w]) return false;
  return true;
}
