/**
 * The iteration order of OVS's `struct hmap`, reproduced so that what ts-vswitchd prints by
 * walking a table (ports in port stats, datapaths in `dpctl/dump-dps`, smap keys) comes out in
 * the order OVS prints it. Facts from OVS 3.1 lib/hmap.c: chained buckets, a new node goes to
 * the head of its bucket, `hmap_expand()` after an insertion once n > 2 × mask with the bucket
 * count from `calc_mask()`, and removal never shrinks the table.
 */

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

interface Node<K, V> {
  key: K;
  hash: number;
  value: V;
}

/**
 * A `struct hmap` reduced to what fixes its iteration order: which bucket each key sits in and
 * where. Keys are compared with `===`.
 */
export class Hmap<K, V> {
  private mask = 0;
  private n = 0;
  private buckets: Node<K, V>[][] = [[]];

  /** @param hash the hash OVS uses for this table's keys (e.g. `hash_string(name, 0)`) */
  constructor(private readonly hash: (key: K) => number) {}

  /** Adds `key` (the caller ensures it is absent), as `hmap_insert()`. */
  insert(key: K, value: V): void {
    const hash = this.hash(key) >>> 0;
    this.buckets[hash & this.mask].unshift({ key, hash, value });
    this.n++;
    if (this.n > this.mask * 2) {
      const newMask = calcMask(this.n);
      if (newMask > this.mask) {
        // resize() walks the old buckets in order, inserting each node at the head of its new bucket.
        const next: Node<K, V>[][] = Array.from({ length: newMask + 1 }, () => []);
        for (const bucket of this.buckets) for (const node of bucket) next[node.hash & newMask].unshift(node);
        this.buckets = next;
        this.mask = newMask;
      }
    }
  }

  /** The value under `key`, or undefined. */
  get(key: K): V | undefined {
    return this.buckets[(this.hash(key) >>> 0) & this.mask].find((node) => node.key === key)?.value;
  }

  /** Replaces the value of an existing `key` in place, or inserts it (`smap_replace()`). */
  set(key: K, value: V): void {
    const node = this.buckets[(this.hash(key) >>> 0) & this.mask].find((x) => x.key === key);
    if (node) node.value = value;
    else this.insert(key, value);
  }

  /** Removes `key` if present (`hmap_remove()`: the table keeps its size). @returns whether it was there */
  delete(key: K): boolean {
    const bucket = this.buckets[(this.hash(key) >>> 0) & this.mask];
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
  entries(): [K, V][] {
    return this.buckets.flat().map((node) => [node.key, node.value]);
  }

  /** Values in iteration order. */
  values(): V[] {
    return this.buckets.flat().map((node) => node.value);
  }
}
