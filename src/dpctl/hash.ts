/**
 * The iteration order of OVS's string sets (`struct sset`, a `struct hmap` keyed by
 * `hash_string(name, 0)`), reproduced so that commands walking "all datapaths" print them in the
 * order `ovs-dpctl` does. Facts from OVS 3.1 lib/hash.{c,h} (the murmur3-based `hash_bytes()`
 * used on x86-64 builds without SSE4.2, which is how Debian builds it); the table itself is
 * src/util/hmap.ts.
 */

export { hashBytes, hashString } from '../util/ovs-hash';

import { hashString } from '../util/ovs-hash';
import { Hmap } from '../util/hmap';

/** A string-keyed `struct hmap`, as `struct sset` and `struct smap` use it (`hash_string(key, 0)`). */
export class StringHmap<V> extends Hmap<string, V> {
  constructor() {
    super((key) => hashString(key));
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
