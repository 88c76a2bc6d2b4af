/**
 * A growable byte buffer for building OpenFlow actions and instructions, with the few
 * operations their encoders need: append, patch in place and truncate (OVS `struct ofpbuf`
 * as ofp-actions.c uses it). Integers are written in network byte order.
 */
export class ActionWriter {
  private buf = Buffer.alloc(256);
  /** Bytes written so far. */
  size = 0;

  private reserve(n: number): number {
    const at = this.size;
    if (at + n > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, at + n));
      this.buf.copy(bigger, 0, 0, at);
      this.buf = bigger;
    }
    this.size += n;
    return at;
  }

  /** Appends `n` zero bytes; returns their offset. */
  zeros(n: number): number {
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
    return at;
  }

  /** Appends a copy of `b`; returns its offset. */
  bytes(b: Buffer): number {
    const at = this.reserve(b.length);
    b.copy(this.buf, at);
    return at;
  }

  u8(v: number): void { this.buf.writeUInt8(v & 0xff, this.reserve(1)); }
  u16(v: number): void { this.buf.writeUInt16BE(v & 0xffff, this.reserve(2)); }
  u32(v: number): void { this.buf.writeUInt32BE(v >>> 0, this.reserve(4)); }
  u64(v: bigint): void { this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.reserve(8)); }

  /** Overwrites bytes already written. */
  setU8(at: number, v: number): void { this.buf.writeUInt8(v & 0xff, at); }
  setU16(at: number, v: number): void { this.buf.writeUInt16BE(v & 0xffff, at); }
  setU32(at: number, v: number): void { this.buf.writeUInt32BE(v >>> 0, at); }
  setU64(at: number, v: bigint): void { this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), at); }
  setBytes(at: number, b: Buffer): void { b.copy(this.buf, at); }

  /** Drops everything from `size` on. */
  truncate(size: number): void { this.size = size; }

  /** Appends zeros up to a multiple of `align` bytes counted from `start`. */
  padFrom(start: number, align: number): void {
    const rem = (this.size - start) % align;
    if (rem) this.zeros(align - rem);
  }

  /** A copy of everything written. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.size));
  }
}
