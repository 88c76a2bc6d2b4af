/**
 * Netlink attribute (TLV) encoding and decoding, as laid out by `struct nlattr` in
 * `<linux/netlink.h>`: a 4-byte header (u16 `nla_len` including the header, u16 `nla_type`)
 * followed by the payload, padded to a multiple of 4 bytes (NLA_ALIGNTO). All integer
 * attribute payloads are host byte order (little-endian on the platforms we run on) unless a
 * uapi comment says `__be16`/`__be32`, in which case the caller uses the `Be` helpers.
 */

/** `NLA_F_NESTED`: set in `nla_type` by senders that mark nested attributes. */
export const NLA_F_NESTED = 1 << 15;
/** `NLA_F_NET_BYTEORDER`: set in `nla_type` for payloads in network byte order. */
export const NLA_F_NET_BYTEORDER = 1 << 14;
/** Mask that strips the two flag bits from `nla_type`. */
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;
/** Size of `struct nlattr` in bytes. */
export const NLA_HDRLEN = 4;

/** Rounds `len` (bytes) up to the 4-byte netlink alignment. */
export function nlaAlign(len: number): number {
  return (len + 3) & ~3;
}

/** One decoded attribute: its type (flag bits stripped) and a view of its payload. */
export interface NlAttr {
  type: number;
  /** The payload without header or padding; a view into the original buffer. */
  data: Buffer;
}

/**
 * Splits a buffer holding a sequence of attributes.
 * @param buf bytes starting at the first `struct nlattr`
 * @returns the attributes in wire order (duplicates kept)
 * @throws RangeError when an attribute header claims a length that is too short or runs past
 *   the end of the buffer
 */
export function parseAttrs(buf: Buffer): NlAttr[] {
  const out: NlAttr[] = [];
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN || off + len > buf.length) {
      throw new RangeError(`malformed netlink attribute at offset ${off}: nla_len ${len}, ${buf.length - off} bytes left`);
    }
    out.push({ type, data: buf.subarray(off + NLA_HDRLEN, off + len) });
    off += nlaAlign(len);
  }
  return out;
}

/**
 * Indexes attributes by type; when a type repeats, the last one wins (as `nla_parse` does).
 * @param buf bytes starting at the first `struct nlattr`
 * @throws RangeError as {@link parseAttrs}
 */
export function attrMap(buf: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const a of parseAttrs(buf)) m.set(a.type, a.data);
  return m;
}

/**
 * Builds one attribute: header, payload, zero padding to 4 bytes.
 * @param type attribute type (flag bits may be or-ed in by the caller)
 * @param payload attribute payload; an array is concatenated (used for nested attributes)
 */
export function attr(type: number, payload: Buffer | Buffer[] = Buffer.alloc(0)): Buffer {
  const body = Array.isArray(payload) ? Buffer.concat(payload) : payload;
  const len = NLA_HDRLEN + body.length;
  const out = Buffer.alloc(nlaAlign(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  body.copy(out, NLA_HDRLEN);
  return out;
}

/** A flag attribute (no payload). */
export function attrFlag(type: number): Buffer {
  return attr(type);
}

/** A u8 attribute. */
export function attrU8(type: number, v: number): Buffer {
  return attr(type, Buffer.from([v & 0xff]));
}

/** A u16 attribute in host (little-endian) byte order. */
export function attrU16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return attr(type, b);
}

/** A `__be16` attribute (network byte order). */
export function attrBe16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return attr(type, b);
}

/** A u32 attribute in host (little-endian) byte order. */
export function attrU32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return attr(type, b);
}

/** A `__be32` attribute (network byte order). */
export function attrBe32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return attr(type, b);
}

/** A u64 attribute in host (little-endian) byte order. */
export function attrU64(type: number, v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return attr(type, b);
}

/** A NUL-terminated string attribute (`NLA_NUL_STRING`). */
export function attrString(type: number, s: string): Buffer {
  return attr(type, Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]));
}

/** Reads a NUL-terminated (or unterminated) string payload. */
export function readString(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('utf8', 0, nul < 0 ? data.length : nul);
}
