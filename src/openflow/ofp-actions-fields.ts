/**
 * Field references inside OpenFlow actions: NXM/OXM headers as actions carry them (alone, as in
 * reg_move and output_reg, or with a value, as in set_field), subfields and their checks, and
 * bit operations on field values. Follows OVS lib/nx-match.c (`nx_pull_header`,
 * `nx_pull_entry`, `nx_put_header`, `nx_put_entry`, `mf_format_subfield`) and lib/meta-flow.c
 * (`mf_check_src`, `mf_check_dst`, `mf_is_value_valid`).
 *
 * A 64-bit OXM header is `class(16) field(7) hasmask(1) length(8)` followed, for the
 * experimenter class 0xffff, by a 32-bit experimenter id that `length` counts.
 */
import { MF_FIELDS, MfField, MfHeader, OFPXMC12_EXPERIMENTER, mfField } from './meta-flow';
import { ofp11PortToOfp10 } from './common';
import { Match } from './match';
import { OfpError } from './ofp-errors';
import type { MfSubfield } from './ofpacts';
import type { ActionWriter } from './ofp-actions-writer';

/** Looks up a field named in an ofpact. @throws Error for a name meta-flow does not know. */
export function fieldOf(name: string): MfField {
  return mfField(name);
}

/**
 * The code point OVS uses for `f` in OpenFlow `version` (OVS `nxm_field_by_mf_id`): the
 * newest one the version knows; version 0 prefers NXM over standard OXM.
 */
export function preferredHeader(f: MfField, version: number): MfHeader | undefined {
  let best: MfHeader | undefined;
  for (const h of f.headers) {
    if (!best || version >= h.version) best = h;
  }
  return best;
}

/** The header's first 32 bits. */
function headerWord(h: MfHeader, masked: boolean, payload: number): number {
  const expLen = h.oxmClass === OFPXMC12_EXPERIMENTER ? 4 : 0;
  return ((h.oxmClass << 16) | (h.field << 9) | ((masked ? 1 : 0) << 8) | (payload + expLen)) >>> 0;
}

/**
 * The 32-bit NXM/OXM header of `f` as NXM actions carry it (OVS `nxm_header_from_mff`):
 * version-0 preference, no mask; 0 when the field has no code point that fits in 32 bits.
 */
export function nxmHeader32(f: MfField): number {
  const h = preferredHeader(f, 0);
  if (!h || h.oxmClass === OFPXMC12_EXPERIMENTER) return 0;
  return headerWord(h, false, f.nBytes);
}

/**
 * `f`'s header for `version` (OVS `nx_put_mff_header`): 4 bytes, or 8 for an experimenter OXM.
 * A field without any code point gets an all-zeros header, as in OVS.
 * @param masked whether the header announces a value and a mask (length doubled)
 */
export function fieldHeaderBytes(f: MfField, version: number, masked: boolean): Buffer {
  const h = preferredHeader(f, version);
  if (!h) return Buffer.alloc(4);
  const exp = h.oxmClass === OFPXMC12_EXPERIMENTER;
  const b = Buffer.alloc(exp ? 8 : 4);
  b.writeUInt32BE(headerWord(h, masked, masked ? 2 * f.nBytes : f.nBytes));
  if (exp) b.writeUInt32BE(h.vendor, 4);
  return b;
}

/**
 * Appends an NXM/OXM entry for `f` (OVS `nx_put_entry`): header, value and, if `mask` is given
 * and not all ones, the mask.
 * @param value, mask `f.nBytes` bytes each, network order
 */
export function putFieldEntry(w: ActionWriter, f: MfField, version: number, value: Buffer, mask?: Buffer): void {
  const masked = mask !== undefined && !isAllOnes(mask);
  w.bytes(fieldHeaderBytes(f, version, masked));
  w.bytes(value);
  if (masked && mask) w.bytes(mask);
}

/** Fields by code point: key `vendor:word` of the unmasked header without its length. */
const BY_HEADER = new Map<string, Array<{ f: MfField; h: MfHeader }>>();
for (const f of MF_FIELDS) {
  for (const h of f.headers) {
    const key = headerKey(h.vendor, headerWord(h, false, f.nBytes));
    const list = BY_HEADER.get(key) ?? [];
    list.push({ f, h });
    BY_HEADER.set(key, list);
  }
}

/** OVS's header lookup key (`nxm_no_len`, which keeps the top bit of the length). */
function headerKey(vendor: number, word: number): string {
  return `${vendor}:${(word & 0xfffffe80) >>> 0}`;
}

/** A header as read from the wire. */
interface WireHeader {
  word: number;
  vendor: number;
  masked: boolean;
  /** `oxm_length` with the mask bit cleared (payload halved). */
  exactLength: number;
  /** Bytes of value (and mask) that follow. */
  payload: number;
}

/** Splits a header's first word (and experimenter id) into its parts (OVS `nxm_make_exact_header`). */
function wireHeader(word: number, vendor: number): WireHeader {
  const expLen = word >>> 16 === OFPXMC12_EXPERIMENTER ? 4 : 0;
  const length = word & 0xff;
  const masked = (word & 0x100) !== 0;
  const payload = length - expLen;
  return { word, vendor, masked, exactLength: masked ? Math.floor(payload / 2) + expLen : length, payload };
}

type Lookup = { field: MfField } | { lengthMismatch: boolean };

/** Finds the field of a wire header (OVS `nxm_field_by_header`). */
function lookupField(wh: WireHeader): Lookup {
  const exactWord = ((wh.word & 0xffffff00 & ~0x100) | wh.exactLength) >>> 0;
  const candidates = BY_HEADER.get(headerKey(wh.vendor, exactWord)) ?? [];
  let lengthMismatch = false;
  for (const { f, h } of candidates) {
    const fieldLength = f.nBytes + (h.oxmClass === OFPXMC12_EXPERIMENTER ? 4 : 0);
    if (wh.exactLength === fieldLength) return { field: f };
    lengthMismatch = true;
  }
  return { lengthMismatch };
}

/** Reads the header at `off` (OVS `nx_pull_header__`). @throws OfpError OFPBMC_BAD_LEN */
function readHeader(b: Buffer, off: number): { wh: WireHeader; next: number } {
  if (b.length - off < 4) throw new OfpError('OFPBMC_BAD_LEN', 'partial OXM header');
  const word = b.readUInt32BE(off);
  const exp = word >>> 16 === OFPXMC12_EXPERIMENTER;
  if (exp && b.length - off < 8) throw new OfpError('OFPBMC_BAD_LEN', 'partial experimenter OXM header');
  const wh = wireHeader(word, exp ? b.readUInt32BE(off + 4) : 0);
  if ((word & 0xff) < (exp ? 4 : 0)) throw new OfpError('OFPBMC_BAD_LEN', `OXM header ${word.toString(16)} has invalid length`);
  return { wh, next: off + (exp ? 8 : 4) };
}

/**
 * Reads an unmasked NXM/OXM header naming a field, as reg_move, stack, output_reg2,
 * check_pkt_larger and delete_field carry one (OVS `nx_pull_header` without mask).
 * @returns the field and the offset after the header
 * @throws OfpError OFPBMC_BAD_LEN (truncated), OFPBMC_BAD_FIELD (unknown), OFPBMC_BAD_MASK
 */
export function pullFieldHeader(b: Buffer, off: number): { field: MfField; next: number } {
  const { wh, next } = readHeader(b, off);
  const r = lookupField(wh);
  if (!('field' in r)) throw new OfpError('OFPBMC_BAD_FIELD', `unknown OXM header ${wh.word.toString(16)}`);
  if (wh.masked) throw new OfpError('OFPBMC_BAD_MASK', `masked OXM header ${wh.word.toString(16)} not allowed here`);
  return { field: r.field, next };
}

/**
 * Reads an NXM/OXM entry (header, value, optional mask) as set_field and reg_load2 carry one
 * (OVS `nx_pull_entry` for actions).
 * @param allowMask whether a masked entry is acceptable
 * @returns field, value and mask (`nBytes` each; all ones when unmasked), next offset
 * @throws OfpError OFPBMC_BAD_LEN, OFPBAC_BAD_SET_TYPE (unknown field), OFPBAC_BAD_SET_LEN
 *         (known field, wrong length), OFPBMC_BAD_WILDCARDS (value bits outside the mask),
 *         OFPBMC_BAD_MASK (mask not allowed)
 */
export function pullFieldEntry(b: Buffer, off: number, allowMask: boolean):
  { field: MfField; value: Buffer; mask: Buffer; next: number } {
  const { wh, next } = readHeader(b, off);
  const r = lookupField(wh);
  if (!('field' in r)) {
    const bySize = r.lengthMismatch && wh.exactLength > 0;
    throw new OfpError(bySize ? 'OFPBAC_BAD_SET_LEN' : 'OFPBAC_BAD_SET_TYPE', `OXM header ${wh.word.toString(16)}`);
  }
  if (b.length - next < wh.payload) throw new OfpError('OFPBMC_BAD_LEN', 'OXM payload overruns the action');
  const f = r.field;
  const value = Buffer.from(b.subarray(next, next + f.nBytes));
  let mask = Buffer.alloc(f.nBytes, 0xff);
  if (wh.masked) {
    mask = Buffer.from(b.subarray(next + f.nBytes, next + 2 * f.nBytes));
    if (value.some((x, i) => (x & ~mask[i]) !== 0)) {
      throw new OfpError('OFPBMC_BAD_WILDCARDS', `${f.name}: 1-bits in value for wildcarded bits`);
    }
    if (!allowMask) throw new OfpError('OFPBMC_BAD_MASK', `${f.name}: masked entry not allowed here`);
  }
  return { field: f, value, mask, next: next + wh.payload };
}

/**
 * The field of a 32-bit NXM header in an NXM action (OVS `mf_from_nxm_header`).
 * @throws OfpError OFPBAC_BAD_SET_TYPE when no field has that header
 */
export function fieldFromNxm32(word: number): MfField {
  const r = lookupField(wireHeader(word >>> 0, 0));
  if (!('field' in r)) throw new OfpError('OFPBAC_BAD_SET_TYPE', `unknown NXM header ${(word >>> 0).toString(16)}`);
  return r.field;
}

/** `(ofs << 6) | (n_bits - 1)` (OVS `nxm_encode_ofs_nbits`). */
export function encodeOfsNbits(ofs: number, nBits: number): number {
  return ((ofs << 6) | (nBits - 1)) & 0xffff;
}

/** Splits an `ofs_nbits` word (OVS `nxm_decode_ofs`, `nxm_decode_n_bits`). */
export function decodeOfsNbits(v: number): { ofs: number; nBits: number } {
  return { ofs: v >>> 6, nBits: (v & 0x3f) + 1 };
}

/**
 * Checks a subfield against its field and, given a match, the field's prerequisites (OVS
 * `mf_check_src`, and `mf_check_dst` when `dst`).
 * @throws OfpError OFPBAC_BAD_SET_LEN (empty or out of the field), OFPBAC_MATCH_INCONSISTENT
 *         (prerequisites unmet), OFPBAC_BAD_SET_ARGUMENT (destination not writable)
 */
export function checkSubfield(sf: MfSubfield, match: Match | undefined, dst: boolean): void {
  const f = fieldOf(sf.field);
  const what = dst ? 'destination' : 'source';
  if (sf.nBits === 0) throw new OfpError('OFPBAC_BAD_SET_LEN', `zero bit ${what} field ${f.name}`);
  if (sf.ofs >= f.nBits || sf.ofs + sf.nBits > f.nBits) {
    throw new OfpError('OFPBAC_BAD_SET_LEN', `bits ${sf.ofs}+${sf.nBits} exceed ${f.nBits}-bit ${what} field ${f.name}`);
  }
  if (match && !match.prereqsOk(f)) {
    throw new OfpError('OFPBAC_MATCH_INCONSISTENT', `${what} field ${f.name} lacks correct prerequisites`);
  }
  if (dst && !f.writable) throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', `destination field ${f.name} is not writable`);
}

/**
 * A subfield as ovs-ofctl prints it (OVS `mf_format_subfield`): the field's NXM (else OXM,
 * else ovs-fields) name, then `[]` for the whole field, `[n]` for one bit, `[a..b]` for a range.
 */
export function formatSubfield(sf: MfSubfield): string {
  const f = fieldOf(sf.field);
  const name = preferredHeader(f, 0)?.name ?? f.name;
  if (sf.ofs === 0 && sf.nBits === f.nBits) return `${name}[]`;
  if (sf.nBits === 1) return `${name}[${sf.ofs}]`;
  return `${name}[${sf.ofs}..${sf.ofs + sf.nBits - 1}]`;
}

/**
 * Whether `value` is a legal value of `f` (OVS `mf_is_value_valid`): it fits the field's bits,
 * a 32-bit port has a 16-bit counterpart, an NSH TTL is at most 63, an NSH MD type 1 or 2.
 */
export function mfIsValueValid(f: MfField, value: Buffer): boolean {
  if (f.format === 'ofp11_port') return ofp11PortToOfp10(value.readUInt32BE(0)) !== undefined;
  if (f.name === 'nsh_ttl') return value[0] <= 63;
  if (f.name === 'nsh_mdtype') return value[0] === 1 || value[0] === 2;
  if (f.view) {
    const v = value.readUIntBE(0, f.nBytes);
    return ((v * 2 ** f.view.shift) & ~f.view.mask) === 0 && v * 2 ** f.view.shift <= 0xffffffff;
  }
  if (f.name === 'ipv6_label' || f.name === 'tcp_flags') return bitwiseIsZero(value, f.nBits, f.nBytes * 8 - f.nBits);
  return true;
}

/** Whether every byte of `b` is 0xff. */
export function isAllOnes(b: Buffer): boolean {
  return b.every((x) => x === 0xff);
}

/** Whether every byte of `b` is 0. */
export function isAllZeros(b: Buffer): boolean {
  return b.every((x) => x === 0);
}

/** Bit `i` of a network-order buffer, bit 0 being the least significant bit of the last byte. */
function getBit(b: Buffer, i: number): number {
  return (b[b.length - 1 - (i >> 3)] >> (i & 7)) & 1;
}

function setBit(b: Buffer, i: number, v: number): void {
  const at = b.length - 1 - (i >> 3);
  b[at] = v ? b[at] | (1 << (i & 7)) : b[at] & ~(1 << (i & 7));
}

/** Bits `ofs`..`ofs + nBits - 1` of `b` as a number (OVS `bitwise_get`), nBits ≤ 64. */
export function bitwiseGet(b: Buffer, ofs: number, nBits: number): bigint {
  let v = 0n;
  for (let i = nBits - 1; i >= 0; i--) v = (v << 1n) | BigInt(getBit(b, ofs + i));
  return v;
}

/** Stores the low `nBits` of `v` into bits `ofs`.. of `b` (OVS `bitwise_put`). */
export function bitwisePut(v: bigint, b: Buffer, ofs: number, nBits: number): void {
  for (let i = 0; i < nBits; i++) setBit(b, ofs + i, Number((v >> BigInt(i)) & 1n));
}

/** Sets bits `ofs`..`ofs + nBits - 1` of `b` to 1 (OVS `bitwise_one`). */
export function bitwiseOne(b: Buffer, ofs: number, nBits: number): void {
  for (let i = 0; i < nBits; i++) setBit(b, ofs + i, 1);
}

/** Copies `nBits` bits from `src` at `srcOfs` to `dst` at `dstOfs` (OVS `bitwise_copy`). */
export function bitwiseCopy(src: Buffer, srcOfs: number, dst: Buffer, dstOfs: number, nBits: number): void {
  for (let i = 0; i < nBits; i++) setBit(dst, dstOfs + i, getBit(src, srcOfs + i));
}

/**
 * The first bit index in `start`..`end - 1` whose value is `target`, else `end`
 * (OVS `bitwise_scan`).
 */
export function bitwiseScan(b: Buffer, target: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (getBit(b, i) === target) return i;
  return end;
}

/** Whether bits `ofs`..`ofs + nBits - 1` of `b` are all zero (OVS `bitwise_is_all_zeros`). */
export function bitwiseIsZero(b: Buffer, ofs: number, nBits: number): boolean {
  return bitwiseScan(b, 1, ofs, ofs + nBits) === ofs + nBits;
}

/**
 * Parses a subfield as ovs-fields(7) writes them (OVS `mf_parse_subfield`): a field name
 * (ovs-fields, NXM or OXM name) then `[]` (whole field), `[n]` (one bit) or `[a..b]`; a bare
 * name is the whole field.
 * @throws Error naming the text when the field is unknown or the bits lie outside it
 */
export function parseSubfield(text: string): MfSubfield {
  const m = /^([A-Za-z0-9_]+)(?:\[(?:(\d+)(?:\.\.(\d+))?)?\])?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}": syntax error in subfield`);
  const f = MF_FIELDS.find((x) => x.name === m[1] || x.headers.some((h) => h.name === m[1]));
  if (!f) throw new Error(`"${text}": unknown field "${m[1]}"`);
  const start = m[2] === undefined ? 0 : Number(m[2]);
  const end = m[2] === undefined ? f.nBits - 1 : m[3] === undefined ? start : Number(m[3]);
  if (end < start || end >= f.nBits) throw new Error(`"${text}": bits ${start}..${end} are outside ${f.name}'s ${f.nBits} bits`);
  return { field: f.name, ofs: start, nBits: end - start + 1 };
}

/**
 * The flow mask (FLOW_LEN bytes, src/openflow/meta-flow.ts layout) that covers `sf`'s bits.
 * @throws Error for an unknown field
 */
export function subfieldMask(sf: MfSubfield): Buffer {
  const f = fieldOf(sf.field);
  const mask = Buffer.alloc(f.nBytes);
  bitwiseOne(mask, sf.ofs, sf.nBits);
  const m = new Match();
  m.setField(f, Buffer.alloc(f.nBytes), mask);
  return Buffer.from(m.wc);
}
