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
 * ## The wildcards a lookup reports (OVS `find_match_wc`, `check_tries`)
 * Without a layout, every subtable the lookup probes ORs its whole mask into `wc`. With a
 * {@link ClsLayout} the classifier does OVS's staged lookup: each flow byte belongs to a stage
 * (OVS's metadata / L2 / L3 / L4 `flow_segment_u64s`), a subtable keeps, for each of its
 * non-empty stages but the last, the set of hashes of its rules' values over the stages so far,
 * and a probe that finds no rule with the packet's values in stages 0..i ORs only the subtable's
 * mask bits of those stages. A subtable skipped because its maximum priority cannot beat the rule
 * already found contributes nothing.
 *
 * Prefix tries ({@link ClsPrefixField}, at most {@link CLS_MAX_TRIES}, ./cls-trie): for a field
 * such as ip_dst, every rule whose mask on it is a CIDR prefix is in the field's trie. Before a
 * subtable's stage that holds the field is examined, the trie tells whether any rule with the
 * subtable's prefix length can match the packet; if none can, the subtable is skipped with only
 * the prefix bits the trie needed (plus the stages before) un-wildcarded. Likewise, a subtable
 * with L4 ports in its mask keeps a trie of its rules' ports, and a miss un-wildcards only the
 * port bits that tell the packet from them.
 *
 * Conjunctive matches (OVS `classifier_lookup__`): a rule with conjunctions (`conjunction(id,
 * k/n)` actions) is a "soft" match; when soft matches of the highest priority cover all n clauses
 * of some id, the lookup is repeated with `conj_id` set to that id and conjunctions off, and its
 * answer (a rule matching `conj_id=id`) is the result. A soft rule itself is never returned.
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

import { ClsTrie, plenIsSet } from './cls-trie';

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

/** One `conjunction(id, clause/nClauses)` of a rule (OVS `struct cls_conjunction`); clause is 0-based. */
export interface ClsConjunction {
  readonly id: number;
  readonly clause: number;
  readonly nClauses: number;
}

/**
 * Where the classifier finds what staged lookup, the ports trie and conjunctions need in a flow
 * buffer (./cls-fields builds it for the OpenFlow flow layout).
 */
export interface ClsLayout {
  /** the stage (0..nStages-1, OVS's lookup segments) of every byte of a flow */
  readonly stageOfByte: Uint8Array;
  readonly nStages: number;
  /** byte offset of the big-endian 32-bit pair tp_src:tp_dst (the ports trie), or -1 */
  readonly portsOffset: number;
  /** byte offset of the big-endian 32-bit `conj_id` (4-aligned), or -1: no conjunctions */
  readonly conjIdOffset: number;
}

/** A field with a prefix trie (OVS `Flow_Table.prefixes`): a big-endian field of 32·k bits. */
export interface ClsPrefixField {
  readonly name: string;
  /** byte offset in the flow */
  readonly offset: number;
  /** width in bits, a multiple of 32 */
  readonly nBits: number;
  /** whether a packet's flow has the field (OVS `mf_are_prereqs_ok` without wildcards) */
  prereqsOk(flow: Uint8Array): boolean;
}

/** Options of a {@link Classifier}; without any, it is the plain tuple-space search. */
export interface ClassifierOptions<R> {
  layout?: ClsLayout;
  /** prefix-tracked fields; those beyond {@link CLS_MAX_TRIES} are ignored */
  prefixes?: readonly ClsPrefixField[];
  /** a rule's conjunctions, if it has any (then it is a soft match); needs a layout with conj_id */
  conjunctions?: (rule: R) => readonly ClsConjunction[] | undefined;
}

/** The first version (OVS `OVS_VERSION_MIN`). */
export const CLS_VERSION_MIN = 0;
/** The `removeVersion` of a rule not marked for removal (OVS `OVS_VERSION_NOT_REMOVED`). */
export const CLS_VERSION_NOT_REMOVED = Number.MAX_SAFE_INTEGER;
/** The last version a reader can ask for: sees every rule not marked for removal. */
export const CLS_VERSION_MAX = CLS_VERSION_NOT_REMOVED - 1;
/** Most prefix tries a classifier keeps (OVS `CLS_MAX_TRIES`). */
export const CLS_MAX_TRIES = 3;

interface ConjSet {
  readonly conj: readonly ClsConjunction[];
  /** smallest nClauses among them */
  readonly minNClauses: number;
}

interface Entry<R> {
  readonly rule: R;
  readonly priority: number;
  readonly subtable: Subtable<R>;
  /** the rule's flow at the subtable's (stage, word) pairs (already masked) */
  readonly key: Int32Array;
  readonly hash: number;
  /** the hashes of the key over stages 0..i, one per stage index of the subtable */
  readonly stageHashes: Int32Array;
  /** insertion order, for stable ordering among equal priorities */
  readonly seq: number;
  readonly conj?: ConjSet;
  addVersion: number;
  removeVersion: number;
}

interface Subtable<R> {
  readonly id: string;
  readonly seq: number;
  /** the whole mask as words (length = words of the flow) */
  readonly mask: Uint32Array;
  /**
   * the nonzero (stage, word) parts of the mask, stage by stage: word indexes and their bits of
   * that stage (a word that spans two stages appears once per stage)
   */
  readonly idx: Int32Array;
  readonly bits: Uint32Array;
  /** end (in idx) of each non-empty stage, in stage order; the last one is idx.length */
  readonly stageEnds: Int32Array;
  /** the stage number of each entry of stageEnds */
  readonly stageNos: Int32Array;
  /** for each non-empty stage but the last: hash over stages so far → number of entries */
  readonly indices: Map<number, number>[];
  /** per trie: the subtable's CIDR prefix length on its field, 0 = none (OVS `trie_plen`) */
  readonly triePlen: Int32Array;
  /** the mask of tp_src:tp_dst as a number, and its length (OVS `ports_mask_len`) */
  readonly portsMask: number;
  readonly portsMaskLen: number;
  readonly portsTrie: ClsTrie;
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

/** Hash of `flow` masked by the subtable's (stage, word) parts. */
function hashMasked(flow: Uint32Array, idx: Int32Array, bits: Uint32Array): number {
  let h = 0;
  for (let j = 0; j < idx.length; j++) h = mix(h, flow[idx[j]] & bits[j]);
  return finish(h, idx.length);
}

/** Big-endian 32-bit number at byte `ofs` of `b`. */
function be32(b: Uint8Array, ofs: number): number {
  return ((b[ofs] << 24) | (b[ofs + 1] << 16) | (b[ofs + 2] << 8) | b[ofs + 3]) >>> 0;
}

function putBe32(b: Uint8Array, ofs: number, v: number): void {
  b[ofs] = v >>> 24;
  b[ofs + 1] = v >>> 16;
  b[ofs + 2] = v >>> 8;
  b[ofs + 3] = v;
}

/** The first `nBits` bits of a 32-bit number set (OVS `be32_prefix_mask`). */
function prefixMask32(nBits: number): number {
  return nBits === 0 ? 0 : (0xffffffff << (32 - nBits)) >>> 0;
}

function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}

/** The field's `nBits / 32` words (big-endian numbers) from `b`. */
function fieldWords(b: Uint8Array, f: ClsPrefixField, out: Uint32Array = new Uint32Array(f.nBits >>> 5)): Uint32Array {
  for (let i = 0; i < out.length; i++) out[i] = be32(b, f.offset + 4 * i);
  return out;
}

/** OVS `minimask_get_prefix_len`: the CIDR prefix length of `mask` on `f`, 0 if not CIDR. */
function maskPrefixLen(mask: Uint8Array, f: ClsPrefixField): number {
  let n = 0;
  let ended = false;
  for (let i = 0; i < f.nBits >>> 5; i++) {
    const m = be32(mask, f.offset + 4 * i);
    if (ended) {
      if (m !== 0) return 0;
      continue;
    }
    const inv = ~m >>> 0;
    if ((inv & (inv + 1)) !== 0) return 0;
    const tz = ctz32(m);
    n += 32 - tz;
    ended = tz !== 0;
  }
  return n;
}

/** OVS `mask_set_prefix_bits`: sets the first `n` bits of the field at byte `ofs` of `wc`. */
function setPrefixBits(wc: Uint8Array, ofs: number, n: number): void {
  const whole = n >>> 3;
  wc.fill(0xff, ofs, ofs + whole);
  if (n & 7) wc[ofs + whole] |= 0xff << (8 - (n & 7));
}

/** OVS `mask_prefix_bits_set`: whether the first `n` bits of the field at `ofs` are all set. */
function prefixBitsSet(wc: Uint8Array, ofs: number, n: number): boolean {
  const whole = n >>> 3;
  for (let i = 0; i < whole; i++) if (wc[ofs + i] !== 0xff) return false;
  const m = (0xff << (8 - (n & 7))) & 0xff;
  return (n & 7) === 0 || (wc[ofs + whole] & m) === m;
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

/** A 4-byte scratch to OR a word's bytes into an unaligned `wc`. */
const orScratch = newScratch(1);

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
  private readonly layout?: ClsLayout;
  private readonly conjunctionsOf?: (rule: R) => readonly ClsConjunction[] | undefined;
  /** per stage: the stage's bytes as word masks (built at the first insert, when the length is known) */
  private stageWordMasks?: Uint32Array[];
  private prefixes: readonly ClsPrefixField[] = [];
  private prefixStages: number[] = [];
  private tries: ClsTrie[] = [];
  /** per-lookup trie results (OVS `struct trie_ctx`) */
  private trieDone: boolean[] = [];
  private trieMaskbits: number[] = [];
  private triePlens: Uint32Array[] = [];
  private trieValues: Uint32Array[] = [];
  private readonly portsValue = new Uint32Array(1);
  private readonly portsPlens = new Uint32Array(1);
  private readonly wcBytesView = { wc: undefined as Uint8Array | undefined, words: undefined as Uint32Array | undefined };

  constructor(opts: ClassifierOptions<R> = {}) {
    this.layout = opts.layout;
    this.conjunctionsOf = opts.layout && opts.layout.conjIdOffset >= 0 ? opts.conjunctions : undefined;
    if (opts.prefixes) this.setPrefixFields(opts.prefixes);
  }

  /** Number of rules held, including rules invisible in some versions. */
  get size(): number {
    return this.byRule.size;
  }

  /** Number of subtables (distinct masks) — a cost indicator: a lookup probes at most this many. */
  get subtableCount(): number {
    return this.subtables.size;
  }

  /** The prefix-tracked fields' names, in trie order. */
  get prefixFields(): string[] {
    return this.prefixes.map((f) => f.name);
  }

  /** Returns true if `rule` (this object) is in the classifier, in any version. */
  has(rule: R): boolean {
    return this.byRule.has(rule);
  }

  /**
   * Sets the prefix-tracked fields (OVS `classifier_set_prefix_fields`): the first
   * {@link CLS_MAX_TRIES} distinct ones; the tries are rebuilt from the rules held. Fields must
   * lie within the flow and be whole 32-bit words (callers validate names; see ./cls-fields).
   */
  setPrefixFields(fields: readonly ClsPrefixField[]): void {
    const chosen: ClsPrefixField[] = [];
    for (const f of fields) {
      if (chosen.length >= CLS_MAX_TRIES) break;
      if (f.nBits % 32 === 0 && f.nBits > 0 && !chosen.some((c) => c.name === f.name)) chosen.push(f);
    }
    this.prefixes = chosen;
    this.prefixStages = chosen.map((f) => (this.layout ? this.layout.stageOfByte[f.offset] : 0));
    this.tries = chosen.map(() => new ClsTrie());
    this.trieDone = chosen.map(() => false);
    this.trieMaskbits = chosen.map(() => 0);
    this.triePlens = chosen.map((f) => new Uint32Array(f.nBits >>> 5));
    this.trieValues = chosen.map((f) => new Uint32Array(f.nBits >>> 5));
    for (const st of this.subtables.values()) {
      const maskBytes = new Uint8Array(st.mask.buffer, 0, st.mask.length * 4);
      for (let t = 0; t < CLS_MAX_TRIES; t++) st.triePlen[t] = t < chosen.length ? maskPrefixLen(maskBytes, chosen[t]) : 0;
      for (const e of st.entries) this.trieInsert(e, true, false);
    }
  }

  /**
   * Inserts `rule`, visible from `version` on (until marked invisible).
   * @throws Error if this rule object is already inserted (a programming error)
   */
  insert(rule: R, version = CLS_VERSION_MIN): void {
    if (this.byRule.has(rule)) throw new Error('classifier: rule inserted twice');
    const st = this.subtableFor(rule.match.wc);
    const flow = this.flowWords(rule.match.flow);
    const key = new Int32Array(st.idx.length);
    const stageHashes = new Int32Array(st.indices.length);
    let h = 0;
    for (let s = 0, j = 0; s < st.stageEnds.length; s++) {
      for (; j < st.stageEnds[s]; j++) h = mix(h, (key[j] = flow[st.idx[j]] & st.bits[j]));
      if (s < stageHashes.length) stageHashes[s] = finish(h, j);
    }
    const conj = this.conjunctionsOf?.(rule);
    const e: Entry<R> = {
      rule, priority: rule.priority, subtable: st, key, hash: finish(h, key.length), stageHashes,
      seq: this.nextSeq++, addVersion: version, removeVersion: CLS_VERSION_NOT_REMOVED,
      conj: conj && conj.length ? { conj, minNClauses: Math.min(...conj.map((c) => c.nClauses)) } : undefined,
    };
    let bucket = st.buckets.get(e.hash);
    if (!bucket) {
      bucket = [];
      st.buckets.set(e.hash, bucket);
    }
    let at = bucket.length;
    while (at > 0 && bucket[at - 1].priority < e.priority) at--;
    bucket.splice(at, 0, e);
    st.entries.add(e);
    for (let i = 0; i < stageHashes.length; i++) st.indices[i].set(stageHashes[i], (st.indices[i].get(stageHashes[i]) ?? 0) + 1);
    this.trieInsert(e, true);
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
    for (let i = 0; i < e.stageHashes.length; i++) {
      const n = st.indices[i].get(e.stageHashes[i])! - 1;
      if (n > 0) st.indices[i].set(e.stageHashes[i], n);
      else st.indices[i].delete(e.stageHashes[i]);
    }
    this.trieInsert(e, false);
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
   * The highest-priority rule visible in `version` that matches `flow`, or undefined (OVS
   * `classifier_lookup`). Rules with conjunctions are never returned (see the module comment).
   * @param flow a flow buffer (same length as the rules' matches); with conjunctions, its
   *             conj_id may be changed during the call and is restored before it returns
   * @param wc if given, the mask bits this decision depended on are OR-ed into it (same length);
   *           see the module comment for exactly which bits
   */
  lookup(flow: Uint8Array, wc?: Uint8Array, version = CLS_VERSION_MAX): R | undefined {
    if (this.orderDirty) this.sortSubtables();
    const words = this.flowWords(flow);
    let wcWords: Uint32Array | undefined;
    if (wc && (wc.byteOffset & 3) === 0) {
      const v = this.wcBytesView;
      if (v.wc !== wc) {
        v.wc = wc;
        v.words = new Uint32Array(wc.buffer, wc.byteOffset, wc.length >>> 2);
      }
      wcWords = v.words;
    }
    for (let t = 0; t < this.trieDone.length; t++) this.trieDone[t] = false;
    return this.lookup__(words, flow, wc, wcWords, version, true)?.rule;
  }

  /** OVS `classifier_lookup__`: the main loop, then the soft (conjunctive) matches. */
  private lookup__(
    words: Uint32Array, flow: Uint8Array, wc: Uint8Array | undefined, wcWords: Uint32Array | undefined,
    version: number, allowConj: boolean,
  ): Entry<R> | undefined {
    let hard: Entry<R> | undefined;
    let hardPri = -Infinity;
    let soft: (Entry<R> | undefined)[] | undefined;
    let softPri = -Infinity;
    for (const st of this.order) {
      if (st.maxPriority <= hardPri) break;
      const e = wc ? this.findMatchWc(st, words, flow, version, wc, wcWords) : probe(st, words, version, hardPri);
      if (!e || e.priority <= hardPri) continue;
      if (!e.conj) {
        hard = e;
        hardPri = e.priority;
      } else if (allowConj) {
        (soft ??= []).push(e);
        if (e.priority > softPri) softPri = e.priority;
      }
    }
    if (!soft || hardPri >= softPri) return hard;

    for (;;) {
      // Drop soft matches that are gone or cannot beat the hard match (swap-remove, as OVS).
      let n = soft.length;
      for (let i = 0; i < n;) {
        const s = soft[i];
        if (!s || s.priority <= hardPri) soft[i] = soft[--n];
        else i++;
      }
      soft.length = n;
      if (n === 0) break;
      softPri = -Infinity;
      let nSoftPri = 0;
      for (const s of soft) {
        if (s!.priority > softPri) {
          softPri = s!.priority;
          nSoftPri = 1;
        } else if (s!.priority === softPri) {
          nSoftPri++;
        }
      }
      const matches = new Map<number, bigint>();
      for (const s of soft) {
        if (s!.priority !== softPri) continue;
        const id = findConjunctiveMatch(s!.conj!, nSoftPri, matches);
        if (id === undefined) continue;
        const cw = this.layout!.conjIdOffset >>> 2;
        const saved = words[cw];
        orScratch.words[0] = 0;
        putBe32(orScratch.bytes, 0, id);
        words[cw] = orScratch.words[0];
        const r = this.lookup__(words, flow, wc, wcWords, version, false);
        words[cw] = saved;
        if (r) return r;
      }
      // No real match at softPri: lower-priority rules with the same match take their place.
      for (let i = 0; i < soft.length; i++) {
        const s = soft[i]!;
        if (s.priority !== softPri) continue;
        const next = nextVisibleSameMatch(s, version);
        if (next?.conj) {
          soft[i] = next;
        } else {
          soft[i] = undefined;
          if (next && next.priority > hardPri) {
            hard = next;
            hardPri = next.priority;
          }
        }
      }
    }
    return hard;
  }

  /**
   * OVS `find_match_wc`: probes `st` stage by stage, stopping at the first stage (or prefix
   * trie) that rules the subtable out, and ORs into `wc` the mask bits of the stages examined.
   * @returns the subtable's highest-priority visible rule matching the flow, whatever its priority
   */
  private findMatchWc(
    st: Subtable<R>, words: Uint32Array, flow: Uint8Array, version: number, wc: Uint8Array,
    wcWords: Uint32Array | undefined,
  ): Entry<R> | undefined {
    const { idx, bits, stageEnds } = st;
    const nStages = stageEnds.length;
    const hasTries = this.tries.length > 0;
    let h = 0;
    let j = 0;
    for (let s = 0; s < nStages; s++) {
      if (hasTries && this.checkTries(st, st.stageNos[s], flow, wc)) {
        orRange(wc, wcWords, st, 0, s === 0 ? 0 : stageEnds[s - 1]);
        return undefined;
      }
      const end = stageEnds[s];
      for (; j < end; j++) h = mix(h, words[idx[j]] & bits[j]);
      if (s < nStages - 1 && !st.indices[s].has(finish(h, end))) {
        orRange(wc, wcWords, st, 0, end);
        return undefined;
      }
    }
    const bucket = st.buckets.get(finish(h, idx.length));
    let found: Entry<R> | undefined;
    if (bucket) {
      for (const e of bucket) {
        if (isVisible(e, version) && keyMatches(e, words)) {
          found = e;
          break;
        }
      }
    }
    if (!found && st.portsMaskLen) {
      // Un-wildcard only the port bits that tell this packet from the subtable's rules.
      const ofs = this.layout!.portsOffset;
      this.portsValue[0] = be32(flow, ofs) & st.portsMask;
      const mbits = st.portsTrie.lookup(this.portsValue, 32, this.portsPlens);
      const ports = ((st.portsMask & prefixMask32(mbits)) | be32(wc, ofs)) >>> 0;
      orRange(wc, wcWords, st, 0, idx.length);
      putBe32(wc, ofs, ports);
      return undefined;
    }
    orRange(wc, wcWords, st, 0, idx.length);
    return found;
  }

  /**
   * OVS `check_tries`: for each trie on a field of stage `stage` that `st` has a prefix on,
   * whether no rule of `st`'s prefix length can match the flow; if so, un-wildcards the prefix
   * bits the trie needed and returns true (skip the rest of the subtable).
   */
  private checkTries(st: Subtable<R>, stage: number, flow: Uint8Array, wc: Uint8Array): boolean {
    for (let t = 0; t < this.tries.length; t++) {
      const plen = st.triePlen[t];
      if (!plen || this.prefixStages[t] !== stage) continue;
      const f = this.prefixes[t];
      const plens = this.triePlens[t];
      if (!this.trieDone[t]) {
        if (f.prereqsOk(flow)) {
          plens.fill(0);
          this.trieMaskbits[t] = this.tries[t].lookup(fieldWords(flow, f, this.trieValues[t]), f.nBits, plens);
        } else {
          plens.fill(0xffffffff); // every prefix may match: no skipping
          this.trieMaskbits[t] = 0;
        }
        this.trieDone[t] = true;
      }
      if (!plenIsSet(plens, plen)) {
        const maskbits = this.trieMaskbits[t];
        // Never un-wildcard more than the subtable itself would have.
        if (maskbits <= plen) {
          setPrefixBits(wc, f.offset, maskbits);
          return true;
        }
        if (prefixBitsSet(wc, f.offset, maskbits)) return true;
      }
    }
    return false;
  }

  /** Adds (`add`) or removes a rule's prefixes to/from the tries and (`ports`) its subtable's ports trie. */
  private trieInsert(e: Entry<R>, add: boolean, ports = true): void {
    const st = e.subtable;
    const flow = e.rule.match.flow;
    for (let t = 0; t < this.tries.length; t++) {
      const plen = st.triePlen[t];
      if (!plen) continue;
      const prefix = fieldWords(flow, this.prefixes[t]);
      if (add) this.tries[t].insert(prefix, plen);
      else this.tries[t].remove(prefix, plen);
    }
    if (ports && st.portsMaskLen) {
      const value = Uint32Array.of(be32(flow, this.layout!.portsOffset) & st.portsMask);
      if (add) st.portsTrie.insert(value, st.portsMaskLen);
      else st.portsTrie.remove(value, st.portsMaskLen);
    }
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
      const { idx, bits } = st;
      next: for (const e of st.entries) {
        if (!isVisible(e, version)) continue;
        for (let j = 0; j < idx.length; j++) {
          if ((e.key[j] & tmask[idx[j]]) !== (tflow[idx[j]] & bits[j])) continue next;
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

  /** Per stage, the stage's bytes as word masks (one all-ones stage without a layout). */
  private stageMasks(nWords: number): Uint32Array[] {
    if (this.stageWordMasks && this.stageWordMasks[0].length === nWords) return this.stageWordMasks;
    const l = this.layout;
    const n = l ? l.nStages : 1;
    this.stageWordMasks = Array.from({ length: n }, (_, s) => {
      const m = newScratch(nWords);
      for (let i = 0; i < nWords * 4; i++) if (!l || (l.stageOfByte[i] ?? n - 1) === s) m.bytes[i] = 0xff;
      return m.words;
    });
    return this.stageWordMasks;
  }

  private subtableFor(wc: Uint8Array): Subtable<R> {
    const words = this.maskWords(wc);
    const id = subtableId(words);
    let st = this.subtables.get(id);
    if (!st) {
      const mask = words.slice();
      const maskBytes = new Uint8Array(mask.buffer, 0, mask.length * 4);
      const idx: number[] = [];
      const bits: number[] = [];
      const stageEnds: number[] = [];
      const stageNos: number[] = [];
      this.stageMasks(mask.length).forEach((sm, s) => {
        for (let w = 0; w < mask.length; w++) {
          const b = (mask[w] & sm[w]) >>> 0;
          if (b !== 0) {
            idx.push(w);
            bits.push(b);
          }
        }
        if (idx.length > (stageEnds[stageEnds.length - 1] ?? 0)) {
          stageEnds.push(idx.length);
          stageNos.push(s);
        }
      });
      const ofs = this.layout ? this.layout.portsOffset : -1;
      const portsMask = ofs >= 0 && ofs + 4 <= wc.length ? be32(maskBytes, ofs) : 0;
      st = {
        id, seq: this.nextSubtableSeq++, mask, idx: Int32Array.from(idx), bits: Uint32Array.from(bits),
        stageEnds: Int32Array.from(stageEnds), stageNos: Int32Array.from(stageNos),
        indices: stageEnds.slice(0, -1).map(() => new Map<number, number>()),
        triePlen: Int32Array.from({ length: CLS_MAX_TRIES }, (_, t) => (t < this.prefixes.length ? maskPrefixLen(maskBytes, this.prefixes[t]) : 0)),
        portsMask, portsMaskLen: 32 - ctz32(portsMask), portsTrie: new ClsTrie(),
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

/** The next lower-priority visible rule with `e`'s match (OVS `next_visible_rule_in_list`). */
function nextVisibleSameMatch<R>(e: Entry<R>, version: number): Entry<R> | undefined {
  const bucket = e.subtable.buckets.get(e.hash)!;
  for (let i = bucket.indexOf(e) + 1; i < bucket.length; i++) {
    const o = bucket[i];
    if (isVisible(o, version) && o.key.every((k, j) => k === e.key[j])) return o;
  }
  return undefined;
}

/**
 * OVS `find_conjunctive_match`: records `set`'s clauses in `matches` (id → clause bits, with
 * the bits at and above n preset) and returns an id whose clauses are now all present.
 */
function findConjunctiveMatch(set: ConjSet, maxNClauses: number, matches: Map<number, bigint>): number | undefined {
  if (maxNClauses < set.minNClauses) return undefined;
  const ALL = (1n << 64n) - 1n;
  for (const c of set.conj) {
    if (c.nClauses > maxNClauses) continue;
    let clauses = matches.get(c.id) ?? ((ALL << BigInt(c.nClauses & 63)) & ALL);
    clauses |= 1n << BigInt(c.clause);
    matches.set(c.id, clauses);
    if (clauses === ALL) return c.id;
  }
  return undefined;
}

/**
 * ORs the subtable's mask parts idx[from..to) into `wc`: word by word through `wcWords` (a view
 * of `wc`'s whole words, when `wc` is aligned), byte by byte for the rest.
 */
function orRange<R>(wc: Uint8Array, wcWords: Uint32Array | undefined, st: Subtable<R>, from: number, to: number): void {
  const { idx, bits } = st;
  const full = wcWords ? wcWords.length : 0;
  for (let j = from; j < to; j++) {
    const w = idx[j];
    if (w < full) {
      wcWords![w] |= bits[j];
    } else {
      orScratch.words[0] = bits[j];
      const end = Math.min(w * 4 + 4, wc.length);
      for (let i = w * 4; i < end; i++) wc[i] |= orScratch.bytes[i - w * 4];
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
