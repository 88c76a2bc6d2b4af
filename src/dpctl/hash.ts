/**
 * The iteration order of OVS's string sets (`struct sset`, a `struct hmap` keyed by
 * `hash_string(name, 0)`), reproduced so that commands walking "all datapaths" print them in the
 * order `ovs-dpctl` does. Facts from OVS 3.1 lib/hash.{c,h} (the murmur3-based `hash_bytes()`
 * used on x86-64 builds without SSE4.2, which is how Debian builds it) and lib/hmap.c (chained
 * buckets, new nodes at the head of their bucket, `hmap_expand()` after an insertion once
 * n > 2 × mask, bucket count from `calc_mask()`).
 */

export { hashBytes, hashString } from '../util/ovs-hash';

import { hashString } from '../util/ovs-hash';

/** `calc_mask()` of lib/hmap.c: the bucket mask for `capacity` nodes. */
function calcMask(capacity: number): number {
  let mask = Math.floor(capacity / 2);
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  mask |= (mask & 1) << 1;
  return mask >>> 0;
}

/**
 * A string-keyed `struct hmap` (as `struct sset` and `struct smap` use it) reduced to what fixes
 * its iteration order: which bucket each key sits in and where. Insertion puts a key at the head
 * of its bucket and may grow the table; removal never shrinks it (as `hmap_remove()`).
 */
export class StringHmap<V> {
  private mask = 0;
  private n = 0;
  private buckets: { key: string; hash: number; value: V }[][] = [[]];

  /** Adds `key` (the caller ensures it is absent), as `hmap_insert()`. */
  insert(key: string, value: V): void {
    const hash = hashString(key);
    this.buckets[hash & this.mask].unshift({ key, hash, value });
    this.n++;
    if (this.n > this.mask * 2) {
      const newMask = calcMask(this.n);
      if (newMask > this.mask) {
        // resize() walks the old buckets in order, inserting each node at the head of its new bucket.
        const next: { key: string; hash: number; value: V }[][] = Array.from({ length: newMask + 1 }, () => []);
        for (const bucket of this.buckets) for (const node of bucket) next[node.hash & newMask].unshift(node);
        this.buckets = next;
        this.mask = newMask;
      }
    }
  }

  /** The value under `key`, or undefined. */
  get(key: string): V | undefined {
    return this.buckets[hashString(key) & this.mask].find((node) => node.key === key)?.value;
  }

  /** Replaces the value of an existing `key` in place, or inserts it (`smap_replace()`). */
  set(key: string, value: V): void {
    const node = this.buckets[hashString(key) & this.mask].find((x) => x.key === key);
    if (node) node.value = value;
    else this.insert(key, value);
  }

  /** Removes `key` if present (`hmap_remove()`: the table keeps its size). @returns whether it was there */
  delete(key: string): boolean {
    const bucket = this.buckets[hashString(key) & this.mask];
    const i = bucket.findIndex((node) => node.key === key);
    if (i < 0) return false;
    bucket.splice(i, 1);
    this.n--;
    return true;
  }

  /** Number of keys. */
  get size(): number {
    return this.n;
  }

  /** `[key, value]` pairs in iteration (`HMAP_FOR_EACH`) order. */
  entries(): [string, V][] {
    return this.buckets.flat().map((node) => [node.key, node.value]);
  }
}

/**
 * The order in which `SSET_FOR_EACH` visits the strings of a set filled by `sset_add()` in the
 * order given (duplicates ignored, as `sset_add()` does).
 * @param names strings in insertion order
 * @returns the same strings in iteration order
 */
export function ssetOrder(names: readonly string[]): string[] {
  const set = new StringHmap<true>();
  for (const name of names) if (set.get(name) === undefined) set.insert(name, true);
  return set.entries().map(([k]) => k);
}
