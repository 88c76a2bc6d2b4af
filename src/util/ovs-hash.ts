/**
 * OVS's 32-bit hash functions (lib/hash.h and lib/hash.c, the portable murmur3-style variant that
 * Debian's x86-64 builds use), reproduced so that orders and digests OVS derives from them
 * (`struct sset`/`hmap` iteration order, the `coverage/show` hash) come out the same.
 * All values are unsigned 32-bit integers.
 */

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** `hash_add(hash, data)`: mixes one 32-bit word into `hash`. */
export function hashAdd(hash: number, data: number): number {
  if (data !== 0) {
    let d = Math.imul(data, 0xcc9e2d51) >>> 0;
    d = rotl(d, 15);
    d = Math.imul(d, 0x1b873593) >>> 0;
    hash = (hash ^ d) >>> 0;
  }
  hash = rotl(hash, 13);
  return (Math.imul(hash, 5) + 0xe6546b64) >>> 0;
}

/** `hash_finish(hash, final)`: the final avalanche, `final` usually a byte count. */
export function hashFinish(hash: number, final: number): number {
  let h = (hash ^ final) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** `hash_bytes(p, n, basis)`: 32-bit words read little-endian, a zero-padded tail word. */
export function hashBytes(bytes: Buffer, basis = 0): number {
  let hash = basis >>> 0;
  let off = 0;
  for (; off + 4 <= bytes.length; off += 4) hash = hashAdd(hash, bytes.readUInt32LE(off));
  if (off < bytes.length) {
    const tail = Buffer.alloc(4);
    bytes.copy(tail, 0, off);
    hash = hashAdd(hash, tail.readUInt32LE(0));
  }
  return hashFinish(hash, bytes.length);
}

/** `hash_string(s, basis)` over the UTF-8 bytes of `s`. */
export function hashString(s: string, basis = 0): number {
  return hashBytes(Buffer.from(s, 'utf8'), basis);
}

/** `hash_int(x, basis)`. */
export function hashInt(x: number, basis: number): number {
  return hashFinish(hashAdd(hashAdd(x >>> 0, 0), basis >>> 0), 8);
}
