/**
 * A binary prefix trie (longest-prefix-match tree) over bit strings, as OVS lib/classifier.c keeps
 * one per prefix field (`struct cls_trie`) and one per subtable for the L4 ports
 * (`cls_subtable.ports_trie`), re-designed.
 *
 * Bit strings are arrays of 32-bit words, most significant bit first (word 0 bit 31 is bit 0): a
 * big-endian field such as an IPv4 address read as one number, an IPv6 address as four. The trie
 * is path compressed: a node stands for the bits from its parent's end to its own `end`, taken
 * from its key, any stored prefix that runs through it. A node exists where a prefix ends or two
 * branch; `nRules` counts the prefixes ending there (one per rule, like OVS's `n_rules`).
 *
 * What {@link ClsTrie.lookup} answers depends only on the set of stored prefixes, not on the
 * shape OVS's 32-bit nodes or its removal order would give the tree, so the answers equal OVS's
 * `trie_lookup_value()`.
 */

/**
 * A node. Its key words are kept in the node itself (k0..k3: prefixes of up to 128 bits) and
 * the two edges as fields, so a lookup step touches one object.
 */
class TrieNode {
  e0: TrieNode | undefined = undefined;
  e1: TrieNode | undefined = undefined;
  readonly k0: number;
  readonly k1: number;
  readonly k2: number;
  readonly k3: number;
  constructor(
    key: Uint32Array,
    /** bit offset one past the node's last bit; the node's bits start at its parent's `end` */
    readonly end: number,
    /** prefixes (rules) ending exactly here */
    public nRules: number,
  ) {
    this.k0 = key[0] | 0;
    this.k1 = key.length > 1 ? key[1] | 0 : 0;
    this.k2 = key.length > 2 ? key[2] | 0 : 0;
    this.k3 = key.length > 3 ? key[3] | 0 : 0;
  }

  word(w: number): number {
    return w === 0 ? this.k0 : w === 1 ? this.k1 : w === 2 ? this.k2 : this.k3;
  }

  edge(bit: number): TrieNode | undefined {
    return bit ? this.e1 : this.e0;
  }

  setEdge(bit: number, n: TrieNode | undefined): void {
    if (bit) this.e1 = n;
    else this.e0 = n;
  }

  isLeaf(): boolean {
    return !this.e0 && !this.e1;
  }
}

/** Bit `ofs` (0 = MSB of word 0) of `v`. */
export function bitAt(v: Uint32Array, ofs: number): number {
  return (v[ofs >>> 5] >>> (31 - (ofs & 31))) & 1;
}

function nodeBitAt(n: TrieNode, ofs: number): number {
  return (n.word(ofs >>> 5) >>> (31 - (ofs & 31))) & 1;
}

/** Number of equal leading bits of node `n`'s key and `b` in the bit range [from, to). */
function equalBits(n: TrieNode, b: Uint32Array, from: number, to: number): number {
  let ofs = from;
  while (ofs < to) {
    const skip = ofs & 31;
    const w = ofs >>> 5;
    // the bits of word w at and after `ofs`, aligned to the top
    const diff = (n.word(w) ^ b[w]) << skip;
    let avail = 32 - skip;
    if (avail > to - ofs) avail = to - ofs;
    const eq = Math.clz32(diff);
    if (eq < avail) return ofs + eq - from;
    ofs += avail;
  }
  return ofs - from;
}

/**
 * A prefix trie. `insert`/`remove` take a prefix (its bits beyond the length are ignored) and a
 * length of 1..128; the trie keeps a count per (prefix, length).
 */
export class ClsTrie {
  private root: TrieNode | undefined;

  /** Returns true if no prefix is stored. */
  get empty(): boolean {
    return this.root === undefined;
  }

  /** Adds one rule with prefix `prefix`/`plen` (OVS `trie_insert_prefix`). */
  insert(prefix: Uint32Array, plen: number): void {
    let parent: TrieNode | undefined;
    let node = this.root;
    let ofs = 0;
    const link = (n: TrieNode): void => {
      if (parent) parent.setEdge(bitAt(prefix, parent.end), n);
      else this.root = n;
    };
    while (node) {
      ofs += equalBits(node, prefix, ofs, Math.min(node.end, plen));
      if (ofs < node.end) {
        // Mismatch within the node, or the prefix ends inside it: split the node at `ofs`.
        const split = new TrieNode(prefix, ofs, ofs === plen ? 1 : 0);
        split.setEdge(nodeBitAt(node, ofs), node);
        if (ofs < plen) split.setEdge(bitAt(prefix, ofs), new TrieNode(prefix, plen, 1));
        link(split);
        return;
      }
      if (ofs === plen) {
        node.nRules++;
        return;
      }
      parent = node;
      node = node.edge(bitAt(prefix, ofs));
    }
    link(new TrieNode(prefix, plen, 1));
  }

  /**
   * Removes one rule with prefix `prefix`/`plen` (OVS `trie_remove_prefix`), pruning nodes that
   * no longer hold rules or branch. A prefix that is not stored is ignored.
   */
  remove(prefix: Uint32Array, plen: number): void {
    const path: TrieNode[] = [];
    let node = this.root;
    let ofs = 0;
    while (node) {
      if (node.end > plen || equalBits(node, prefix, ofs, node.end) < node.end - ofs) return;
      path.push(node);
      ofs = node.end;
      if (ofs === plen) break;
      node = node.edge(bitAt(prefix, ofs));
    }
    if (!node || node.nRules === 0) return;
    node.nRules--;
    // Prune: a node without rules and with fewer than two children goes; its only child (if
    // any) takes its place, since a child's bits start where its parent's end.
    for (let d = path.length - 1; d >= 0; d--) {
      const n = path[d];
      if (n.nRules > 0 || (n.e0 && n.e1)) break;
      const next = n.e0 ?? n.e1;
      const parent = d > 0 ? path[d - 1] : undefined;
      if (parent) parent.setEdge(parent.e0 === n ? 0 : 1, next);
      else this.root = next;
      if (next) break;
    }
  }

  /**
   * Looks `value` (nBits long) up (OVS `trie_lookup_value`).
   * @param plens receives a 1 at bit (len - 1) (bit i = word i>>5, bit 1 << (i & 31)) for every
   *        prefix length with a stored prefix that matches `value`; the caller clears it
   * @returns the number of leading bits of `value` that decide it matches none of the longer
   *          prefixes: the bits a megaflow must match to stay correct ("maskbits")
   */
  lookup(value: Uint32Array, nBits: number, plens: Uint32Array): number {
    let prev: TrieNode | undefined;
    let node = this.root;
    let matchLen = 0;
    while (node) {
      matchLen += equalBits(node, value, matchLen, node.end);
      if (matchLen < node.end) return matchLen + 1; // includes the first mismatching bit
      if (node.nRules > 0) plens[(matchLen - 1) >>> 5] |= 1 << ((matchLen - 1) & 31);
      if (matchLen >= nBits) return nBits;
      prev = node;
      node = bitAt(value, matchLen) ? node.e1 : node.e0;
    }
    // Fell off the tree: the bit that chose the missing branch matters if the other one exists.
    return !prev || prev.isLeaf() ? matchLen : matchLen + 1;
  }
}

/** Returns true if bit `len - 1` of a `plens` set by {@link ClsTrie.lookup} is 1. */
export function plenIsSet(plens: Uint32Array, len: number): boolean {
  return (plens[(len - 1) >>> 5] & (1 << ((len - 1) & 31))) !== 0;
}
