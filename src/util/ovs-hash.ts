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

/** `hash_uint64_basis(x, basis)`: `hash_add64` (low word, then high word) and an 8-byte finish. */
export function hashUint64Basis(x: bigint, basis: number): number {
  const lo = Number(x & 0xffffffffn);
  const hi = Number((x >> 32n) & 0xffffffffn);
  return hashFinish(hashAdd(hashAdd(basis >>> 0, lo), hi), 8);
}

/** `hash_uint64(x)`: {@link hashUint64Basis} with basis 0. */
export function hashUint64(x: bigint): number {
  return hashUint64Basis(x, 0);
}

/** lib/jhash.c `jhash_mix()` over a, b, c (in place). */
function jhashMix(s: Uint32Array): void {
  s[0] -= s[2]; s[0] ^= rotl(s[2], 4); s[2] += s[1];
  s[1] -= s[0]; s[1] ^= rotl(s[0], 6); s[0] += s[2];
  s[2] -= s[1]; s[2] ^= rotl(s[1], 8); s[1] += s[0];
  s[0] -= s[2]; s[0] ^= rotl(s[2], 16); s[2] += s[1];
  s[1] -= s[0]; s[1] ^= rotl(s[0], 19); s[0] += s[2];
  s[2] -= s[1]; s[2] ^= rotl(s[1], 4); s[1] += s[0];
}

/** lib/jhash.c `jhash_final()`. */
function jhashFinal(s: Uint32Array): void {
  s[2] ^= s[1]; s[2] -= rotl(s[1], 14);
  s[0] ^= s[2]; s[0] -= rotl(s[2], 11);
  s[1] ^= s[0]; s[1] -= rotl(s[0], 25);
  s[2] ^= s[1]; s[2] -= rotl(s[1], 16);
  s[0] ^= s[2]; s[0] -= rotl(s[2], 4);
  s[1] ^= s[0]; s[1] -= rotl(s[0], 14);
  s[2] ^= s[1]; s[2] -= rotl(s[1], 24);
}

/**
 * `jhash_bytes(p, n, basis)` (lib/jhash.c, Bob Jenkins' lookup3 `hashlittle`): words read
 * little-endian (as on x86-64), the tail zero-padded; used by `flow_hash_symmetric_l4()`.
 */
export function jhashBytes(bytes: Uint8Array, basis: number): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const s = new Uint32Array(3);
  s[0] = s[1] = s[2] = (0xdeadbeef + b.length + basis) >>> 0;
  let off = 0;
  let n = b.length;
  for (; n >= 12; n -= 12, off += 12) {
    s[0] += b.readUInt32LE(off);
    s[1] += b.readUInt32LE(off + 4);
    s[2] += b.readUInt32LE(off + 8);
    jhashMix(s);
  }
  if (n) {
    const tail = Buffer.alloc(12);
    b.copy(tail, 0, off);
    s[0] += tail.readUInt32LE(0);
    s[1] += tail.readUInt32LE(4);
    s[2] += tail.readUInt32LE(8);
    jhashFinal(s);
  }
  return s[2];
}
