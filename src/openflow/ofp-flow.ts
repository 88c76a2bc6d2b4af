/**
 * OpenFlow flow messages: flow_mod, flow_removed, flow and aggregate statistics, in every wire
 * form OVS speaks (OpenFlow 1.0 … 1.5 and the Nicira extensions NXT_FLOW_MOD,
 * NXT_FLOW_REMOVED, NXST_FLOW, NXST_AGGREGATE). Facts follow OVS 3.1 lib/ofp-flow.c,
 * lib/ofp-monitor.c (flow_removed) and lib/ox-stat.c (OpenFlow 1.5 OXS statistics).
 *
 * The module also holds the wire helpers the other message modules (ofp-group, ofp-meter,
 * ofp-table, ofp-bundle, ofp-monitor) share: `OfpStruct`, the table-driven codec for
 * fixed-layout structs, the property (TLV) codec, and nx_match with cookie.
 */
import {
  OFP10_VERSION, OFP11_VERSION, OFP12_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION,
  OFPG_ANY, OFPTT_ALL, ofp10PortToOfp11,
} from './common';
import { OfpError } from './ofp-errors';
import { portFromOfp11 } from './ofp-port';
import type { OfpMsg, OfpRaw } from './ofp-msgs';
import { encodeMsg, encodeMultipartReply, rawReplyFor } from './ofp-msgs';
import type { Match } from './match';
import { mfFieldByName } from './meta-flow';
import { decodeNxMatchCookie, encodeNxMatch, encodeOxmMatch } from './nx-match';
import { decodeMatch, encodeMatch, normalizeMatch } from './ofp-match';
import type { Ofpact } from './ofpacts';
import { decodeActions, decodeInstructions, encodeActions, encodeInstructions } from './ofp-actions';

// ---------------------------------------------------------------------------------------------
// Fixed-layout wire structs
// ---------------------------------------------------------------------------------------------

/**
 * One member of a wire struct: `[name, 'u8'|'u16'|'u32'|'u64']` for an unsigned integer in
 * network byte order, `[name, 'pad', n]` for n zero bytes, `[name, 'str', n]` for a
 * NUL-padded ASCII string of n bytes (e.g. `ofp_table_stats.name`).
 */
export type StructMember =
  | readonly [string, 'u8' | 'u16' | 'u32' | 'u64']
  | readonly [string, 'pad' | 'str', number];

type MemberValue<M> = M extends readonly [string, 'u64'] ? bigint
  : M extends readonly [string, 'str', number] ? string : number;

/** The decoded values of a struct: one property per non-pad member (u64 as bigint). */
export type StructValues<S extends readonly StructMember[]> = {
  [M in S[number] as M[1] extends 'pad' ? never : M[0]]: MemberValue<M>;
};

const MEMBER_SIZE = { u8: 1, u16: 2, u32: 4, u64: 8 } as const;

/**
 * A fixed-layout OpenFlow struct described by a member table (as in the OpenFlow headers),
 * packed and unpacked in network byte order. Unpacking a truncated struct throws
 * `OfpError('OFPBRC_BAD_LEN')`.
 */
export class OfpStruct<const S extends readonly StructMember[]> {
  /** Size of the struct in bytes (`sizeof`). */
  readonly size: number;
  private readonly offsets: number[];

  constructor(readonly name: string, readonly members: S) {
    this.offsets = [];
    let size = 0;
    for (const m of members) {
      this.offsets.push(size);
      size += m.length === 3 ? m[2] : MEMBER_SIZE[m[1]];
    }
    this.size = size;
  }

  /** Reads the struct at `offset` of `buf`. */
  unpack(buf: Buffer, offset = 0): StructValues<S> {
    if (buf.length < offset + this.size) {
      throw new OfpError('OFPBRC_BAD_LEN', `${this.name} needs ${this.size} bytes, ${buf.length - offset} left`);
    }
    const out: Record<string, number | bigint | string> = {};
    this.members.forEach((m, i) => {
      const at = offset + this.offsets[i];
      switch (m[1]) {
        case 'u8': out[m[0]] = buf.readUInt8(at); break;
        case 'u16': out[m[0]] = buf.readUInt16BE(at); break;
        case 'u32': out[m[0]] = buf.readUInt32BE(at); break;
        case 'u64': out[m[0]] = buf.readBigUInt64BE(at); break;
        case 'str': {
          const raw = buf.subarray(at, at + (m as readonly [string, 'str', number])[2]);
          const nul = raw.indexOf(0);
          out[m[0]] = raw.subarray(0, nul < 0 ? raw.length : nul).toString('latin1');
          break;
        }
        case 'pad': break;
      }
    });
    return out as StructValues<S>;
  }

  /** Writes the struct into `buf` at `offset` (pad bytes zeroed; strings truncated to fit with a NUL). */
  write(buf: Buffer, offset: number, values: StructValues<S>): void {
    const v = values as Record<string, number | bigint | string>;
    this.members.forEach((m, i) => {
      const at = offset + this.offsets[i];
      switch (m[1]) {
        case 'u8': buf.writeUInt8(Number(v[m[0]]) & 0xff, at); break;
        case 'u16': buf.writeUInt16BE(Number(v[m[0]]) & 0xffff, at); break;
        case 'u32': buf.writeUInt32BE(Number(v[m[0]]) >>> 0, at); break;
        case 'u64': buf.writeBigUInt64BE(BigInt.asUintN(64, BigInt(v[m[0]])), at); break;
        case 'str': {
          const n = (m as readonly [string, 'str', number])[2];
          buf.fill(0, at, at + n);
          Buffer.from(String(v[m[0]]), 'latin1').subarray(0, n - 1).copy(buf, at);
          break;
        }
        case 'pad': buf.fill(0, at, at + (m as readonly [string, 'pad', number])[2]); break;
      }
    });
  }

  /** Returns a new `size`-byte buffer holding the struct. */
  pack(values: StructValues<S>): Buffer {
    const buf = Buffer.alloc(this.size);
    this.write(buf, 0, values);
    return buf;
  }
}

/** Rounds `n` up to a multiple of 8 (OpenFlow's alignment for matches, actions, properties). */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Returns `buf` followed by zero bytes up to a multiple of 8. */
export function pad8(buf: Buffer): Buffer {
  const n = align8(buf.length);
  return n === buf.length ? buf : Buffer.concat([buf, Buffer.alloc(n - buf.length)]);
}

/**
 * One OpenFlow property (OpenFlow 1.4 §7.1.1 `ofp_prop_header`, or `ofp_prop_experimenter`
 * when `type` is 0xffff): `payload` is the bytes after the header, without padding.
 */
export interface OfpProp { type: number; experimenter?: number; expType?: number; payload: Buffer }

/**
 * Splits a property list (OVS ofpprop_pull): each property is `len` bytes padded to
 * `alignment`; type 0xffff carries a 4-byte experimenter id and a 4-byte exp_type.
 * @throws OfpError OFPBPC_BAD_LEN for a truncated or undersized property,
 *         OFPBPC_BAD_EXPERIMENTER for experimenter id 0
 */
export function decodeProps(buf: Buffer, alignment = 8): OfpProp[] {
  const out: OfpProp[] = [];
  let p = 0;
  while (p < buf.length) {
    if (buf.length - p < 4) throw new OfpError('OFPBPC_BAD_LEN', 'truncated property header');
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    const padded = Math.ceil(len / alignment) * alignment;
    if (len < 4 || p + padded > buf.length) throw new OfpError('OFPBPC_BAD_LEN', `property length ${len}`);
    if (type === 0xffff) {
      if (len < 12) throw new OfpError('OFPBPC_BAD_LEN', `experimenter property length ${len}`);
      const experimenter = buf.readUInt32BE(p + 4);
      if (!experimenter) throw new OfpError('OFPBPC_BAD_EXPERIMENTER', 'experimenter 0');
      out.push({ type, experimenter, expType: buf.readUInt32BE(p + 8), payload: buf.subarray(p + 12, p + len) });
    } else {
      out.push({ type, payload: buf.subarray(p + 4, p + len) });
    }
    p += padded;
  }
  return out;
}

/**
 * Encodes one property: header (`len` = header + payload) then payload, padded to 8 bytes
 * (OVS ofpprop_put). With `experimenter`, the type is 0xffff and `expType` follows the id.
 */
export function encodeProp(type: number, payload: Buffer, experimenter?: { id: number; expType: number }): Buffer {
  const hdr = Buffer.alloc(experimenter ? 12 : 4);
  hdr.writeUInt16BE(experimenter ? 0xffff : type, 0);
  hdr.writeUInt16BE(hdr.length + payload.length, 2);
  if (experimenter) {
    hdr.writeUInt32BE(experimenter.id >>> 0, 4);
    hdr.writeUInt32BE(experimenter.expType >>> 0, 8);
  }
  return pad8(Buffer.concat([hdr, payload]));
}

/** A property holding one 32-bit value (OVS ofpprop_put_u32 / ofpprop_parse_u32). */
export function encodePropU32(type: number, value: number): Buffer {
  const v = Buffer.alloc(4);
  v.writeUInt32BE(value >>> 0, 0);
  return encodeProp(type, v);
}

/**
 * Reads a property payload that must be exactly one 32-bit value.
 * @throws OfpError OFPBPC_BAD_LEN otherwise
 */
export function parsePropU32(prop: OfpProp): number {
  if (prop.payload.length !== 4) throw new OfpError('OFPBPC_BAD_LEN', `u32 property of ${prop.payload.length} bytes`);
  return prop.payload.readUInt32BE(0);
}

/** "Unknown" for 64-bit counters (OVS uses UINT64_MAX). */
export const UINT64_MAX = 0xffffffffffffffffn;

// ---------------------------------------------------------------------------------------------
// Flags and commands
// ---------------------------------------------------------------------------------------------

/** `ofputil_flow_mod_flags`: version-independent flow flags (OVS include/openvswitch/ofp-flow.h). */
export const OFPUTIL_FF_SEND_FLOW_REM = 1 << 0;
export const OFPUTIL_FF_CHECK_OVERLAP = 1 << 1;
export const OFPUTIL_FF_RESET_COUNTS = 1 << 2;
export const OFPUTIL_FF_NO_PKT_COUNTS = 1 << 3;
export const OFPUTIL_FF_NO_BYT_COUNTS = 1 << 4;
/** Set only by ovs-vswitchd itself for its own flows: may set hidden fields / touch readonly tables. */
export const OFPUTIL_FF_HIDDEN_FIELDS = 1 << 5;
export const OFPUTIL_FF_NO_READONLY = 1 << 6;
/** The flags a flow table entry keeps as state (OVS `OFPUTIL_FF_STATE`). */
export const OFPUTIL_FF_STATE = OFPUTIL_FF_SEND_FLOW_REM | OFPUTIL_FF_NO_PKT_COUNTS
  | OFPUTIL_FF_NO_BYT_COUNTS | OFPUTIL_FF_CHECK_OVERLAP | OFPUTIL_FF_RESET_COUNTS;
/** OpenFlow 1.0's emergency flag: decoded only to be refused, as OVS has no emergency cache. */
const OFPUTIL_FF_EMERG = 1 << 7;

/** Wire flow_mod flags (OpenFlow 1.0 §5.3.3, 1.2 §A.3.4.1, 1.3 §A.3.4.1). */
export const OFPFF_SEND_FLOW_REM = 1 << 0;
export const OFPFF_CHECK_OVERLAP = 1 << 1;
export const OFPFF10_EMERG = 1 << 2;
export const OFPFF12_RESET_COUNTS = 1 << 2;
export const OFPFF13_NO_PKT_COUNTS = 1 << 3;
export const OFPFF13_NO_BYT_COUNTS = 1 << 4;

/** Wire flag ↔ internal flag, with the versions in which the wire bit has that meaning. */
const FLOW_MOD_FLAGS: readonly { raw: number; min: number; max: number; flag: number }[] = [
  { raw: OFPFF_SEND_FLOW_REM, min: OFP10_VERSION, max: OFP15_VERSION, flag: OFPUTIL_FF_SEND_FLOW_REM },
  { raw: OFPFF_CHECK_OVERLAP, min: OFP10_VERSION, max: OFP15_VERSION, flag: OFPUTIL_FF_CHECK_OVERLAP },
  { raw: OFPFF10_EMERG, min: OFP10_VERSION, max: OFP10_VERSION, flag: OFPUTIL_FF_EMERG },
  { raw: OFPFF12_RESET_COUNTS, min: OFP12_VERSION, max: OFP15_VERSION, flag: OFPUTIL_FF_RESET_COUNTS },
  { raw: OFPFF13_NO_PKT_COUNTS, min: OFP13_VERSION, max: OFP15_VERSION, flag: OFPUTIL_FF_NO_PKT_COUNTS },
  { raw: OFPFF13_NO_BYT_COUNTS, min: OFP13_VERSION, max: OFP15_VERSION, flag: OFPUTIL_FF_NO_BYT_COUNTS },
];

/**
 * Converts wire flow_mod flags to OFPUTIL_FF_* for `version`.
 * @param command the OFPFC_* command, or -1 when decoding stats (no implied reset_counts)
 * @throws OfpError OFPFMFC_BAD_FLAGS for a bit that has no meaning in `version`
 */
function decodeFlowModFlags(raw: number, command: number, version: number): number {
  let flags = 0;
  let rest = raw;
  for (const f of FLOW_MOD_FLAGS) {
    if (rest & f.raw && version >= f.min && version <= f.max) {
      rest &= ~f.raw;
      flags |= f.flag;
    }
  }
  // OpenFlow 1.0 and 1.1 have no reset_counts flag: "add" always resets, other commands never.
  if ((version === OFP10_VERSION || version === OFP11_VERSION) && command === OFPFC_ADD) {
    flags |= OFPUTIL_FF_RESET_COUNTS;
  }
  if (rest) throw new OfpError('OFPFMFC_BAD_FLAGS', `flow_mod flags 0x${raw.toString(16)}`);
  return flags;
}

/** Converts OFPUTIL_FF_* flags to their wire bits in `version`, dropping those it lacks. */
function encodeFlowModFlags(flags: number, version: number): number {
  let raw = 0;
  for (const f of FLOW_MOD_FLAGS) {
    if (flags & f.flag && version >= f.min && version <= f.max) raw |= f.raw;
  }
  return raw;
}

/** `ofp_flow_mod_command` values (OpenFlow 1.0 §5.3.3). */
export const OFPFC_ADD = 0;
export const OFPFC_MODIFY = 1;
export const OFPFC_MODIFY_STRICT = 2;
export const OFPFC_DELETE = 3;
export const OFPFC_DELETE_STRICT = 4;

/** The five flow_mod commands (OpenFlow 1.0 §5.3.3 `ofp_flow_mod_command`). */
export type FlowModCommand = 'add' | 'modify' | 'modify_strict' | 'delete' | 'delete_strict';

/** Commands indexed by their OFPFC_* number. */
const FLOW_MOD_COMMANDS: readonly FlowModCommand[] = ['add', 'modify', 'modify_strict', 'delete', 'delete_strict'];

function commandNumber(c: FlowModCommand): number {
  return FLOW_MOD_COMMANDS.indexOf(c);
}

/** Why a flow was removed (`ofp_flow_removed_reason`, OpenFlow 1.0 §5.4.2 … 1.4 §7.4.2). */
export const OFPRR_IDLE_TIMEOUT = 0;
export const OFPRR_HARD_TIMEOUT = 1;
export const OFPRR_DELETE = 2;
export const OFPRR_GROUP_DELETE = 3;
export const OFPRR_METER_DELETE = 4;
export const OFPRR_EVICTION = 5;

/** Priority of an OpenFlow 1.0 flow_mod without wildcards, which the spec pins to the top. */
const OFPFW10_ALL = (1 << 22) - 1;

// ---------------------------------------------------------------------------------------------
// Wire structs
// ---------------------------------------------------------------------------------------------

const OFP10_MATCH_LEN = 40;

/** `struct ofp10_flow_mod` after its 40-byte ofp10_match (openflow-1.0.h). */
const OFP10_FLOW_MOD = new OfpStruct('ofp10_flow_mod', [
  ['cookie', 'u64'], ['command', 'u16'], ['idleTimeout', 'u16'], ['hardTimeout', 'u16'],
  ['priority', 'u16'], ['bufferId', 'u32'], ['outPort', 'u16'], ['flags', 'u16'],
]);

/** `struct ofp11_flow_mod`, followed by the match and instructions (openflow-1.1.h). */
const OFP11_FLOW_MOD = new OfpStruct('ofp11_flow_mod', [
  ['cookie', 'u64'], ['cookieMask', 'u64'], ['tableId', 'u8'], ['command', 'u8'],
  ['idleTimeout', 'u16'], ['hardTimeout', 'u16'], ['priority', 'u16'], ['bufferId', 'u32'],
  ['outPort', 'u32'], ['outGroup', 'u32'], ['flags', 'u16'], ['importance', 'u16'],
]);

/** `struct nx_flow_mod`, followed by the padded nx_match and actions (nicira-ext.h). */
const NX_FLOW_MOD = new OfpStruct('nx_flow_mod', [
  ['cookie', 'u64'], ['command', 'u16'], ['idleTimeout', 'u16'], ['hardTimeout', 'u16'],
  ['priority', 'u16'], ['bufferId', 'u32'], ['outPort', 'u16'], ['flags', 'u16'],
  ['matchLen', 'u16'], ['pad', 'pad', 6],
]);

/** `struct ofp10_flow_removed` after its ofp10_match. */
const OFP10_FLOW_REMOVED = new OfpStruct('ofp10_flow_removed', [
  ['cookie', 'u64'], ['priority', 'u16'], ['reason', 'u8'], ['pad', 'pad', 1],
  ['durationSec', 'u32'], ['durationNsec', 'u32'], ['idleTimeout', 'u16'], ['pad2', 'pad', 2],
  ['packetCount', 'u64'], ['byteCount', 'u64'],
]);

/** `struct ofp12_flow_removed` (used for OpenFlow 1.1–1.4), followed by the match. */
const OFP12_FLOW_REMOVED = new OfpStruct('ofp12_flow_removed', [
  ['cookie', 'u64'], ['priority', 'u16'], ['reason', 'u8'], ['tableId', 'u8'],
  ['durationSec', 'u32'], ['durationNsec', 'u32'], ['idleTimeout', 'u16'], ['hardTimeout', 'u16'],
  ['packetCount', 'u64'], ['byteCount', 'u64'],
]);

/** `struct ofp15_flow_removed`, followed by the match and OXS statistics. */
const OFP15_FLOW_REMOVED = new OfpStruct('ofp15_flow_removed', [
  ['tableId', 'u8'], ['reason', 'u8'], ['priority', 'u16'], ['idleTimeout', 'u16'],
  ['hardTimeout', 'u16'], ['cookie', 'u64'],
]);

/** `struct nx_flow_removed`, followed by the padded nx_match. */
const NX_FLOW_REMOVED = new OfpStruct('nx_flow_removed', [
  ['cookie', 'u64'], ['priority', 'u16'], ['reason', 'u8'], ['tableId', 'u8'],
  ['durationSec', 'u32'], ['durationNsec', 'u32'], ['idleTimeout', 'u16'], ['matchLen', 'u16'],
  ['packetCount', 'u64'], ['byteCount', 'u64'],
]);

/** `struct ofp10_flow_stats_request` after its ofp10_match (also the aggregate request). */
const OFP10_FLOW_STATS_REQUEST = new OfpStruct('ofp10_flow_stats_request', [
  ['tableId', 'u8'], ['pad', 'pad', 1], ['outPort', 'u16'],
]);

/** `struct ofp11_flow_stats_request`, followed by the match (also the aggregate request). */
const OFP11_FLOW_STATS_REQUEST = new OfpStruct('ofp11_flow_stats_request', [
  ['tableId', 'u8'], ['pad', 'pad', 3], ['outPort', 'u32'], ['outGroup', 'u32'], ['pad2', 'pad', 4],
  ['cookie', 'u64'], ['cookieMask', 'u64'],
]);

/** `struct nx_flow_stats_request` (also nx_aggregate_stats_request), followed by the nx_match. */
const NX_FLOW_STATS_REQUEST = new OfpStruct('nx_flow_stats_request', [
  ['outPort', 'u16'], ['matchLen', 'u16'], ['tableId', 'u8'], ['pad', 'pad', 3],
]);

/** `struct ofp10_flow_stats` with its ofp10_match cut out (length, table_id, pad | match | rest). */
const OFP10_FLOW_STATS_HEAD = new OfpStruct('ofp10_flow_stats', [
  ['length', 'u16'], ['tableId', 'u8'], ['pad', 'pad', 1],
]);
const OFP10_FLOW_STATS_TAIL = new OfpStruct('ofp10_flow_stats', [
  ['durationSec', 'u32'], ['durationNsec', 'u32'], ['priority', 'u16'], ['idleTimeout', 'u16'],
  ['hardTimeout', 'u16'], ['pad2', 'pad', 6], ['cookie', 'u64'], ['packetCount', 'u64'],
  ['byteCount', 'u64'],
]);

/** `struct ofp11_flow_stats`, followed by the match and instructions (1.1–1.4). */
const OFP11_FLOW_STATS = new OfpStruct('ofp11_flow_stats', [
  ['length', 'u16'], ['tableId', 'u8'], ['pad', 'pad', 1], ['durationSec', 'u32'],
  ['durationNsec', 'u32'], ['priority', 'u16'], ['idleTimeout', 'u16'], ['hardTimeout', 'u16'],
  ['flags', 'u16'], ['importance', 'u16'], ['pad2', 'pad', 2], ['cookie', 'u64'],
  ['packetCount', 'u64'], ['byteCount', 'u64'],
]);

/** `struct ofp15_flow_desc`, followed by the match, OXS statistics and instructions. */
const OFP15_FLOW_DESC = new OfpStruct('ofp15_flow_desc', [
  ['length', 'u16'], ['pad2', 'pad', 2], ['tableId', 'u8'], ['pad', 'pad', 1], ['priority', 'u16'],
  ['idleTimeout', 'u16'], ['hardTimeout', 'u16'], ['flags', 'u16'], ['importance', 'u16'],
  ['cookie', 'u64'],
]);

/** `struct nx_flow_stats`, followed by the padded nx_match and actions. */
const NX_FLOW_STATS = new OfpStruct('nx_flow_stats', [
  ['length', 'u16'], ['tableId', 'u8'], ['pad', 'pad', 1], ['durationSec', 'u32'],
  ['durationNsec', 'u32'], ['priority', 'u16'], ['idleTimeout', 'u16'], ['hardTimeout', 'u16'],
  ['matchLen', 'u16'], ['idleAge', 'u16'], ['hardAge', 'u16'], ['cookie', 'u64'],
  ['packetCount', 'u64'], ['byteCount', 'u64'],
]);

/** `struct ofp_aggregate_stats_reply` (OpenFlow 1.0–1.4 and NXST_AGGREGATE). */
const OFP_AGGREGATE_STATS_REPLY = new OfpStruct('ofp_aggregate_stats_reply', [
  ['packetCount', 'u64'], ['byteCount', 'u64'], ['flowCount', 'u32'], ['pad', 'pad', 4],
]);

// ---------------------------------------------------------------------------------------------
// OpenFlow 1.5 OXS statistics (lib/ox-stat.c)
// ---------------------------------------------------------------------------------------------

/** OXS statistics; a member left undefined is absent on the wire. Durations in s + ns. */
export interface OxsStats {
  durationSec?: number; durationNsec?: number; idleAge?: number;
  packetCount?: bigint; byteCount?: bigint; flowCount?: number;
}

const OFPXSC_OPENFLOW_BASIC = 0x8002;
const OFPXSC_EXPERIMENTER = 0xffff;
/** OXS fields (`enum oxs_ofb_stat_fields`, OpenFlow 1.5 §7.2.4) with their payload sizes. */
const OXS_FIELDS: readonly { field: number; len: number; key: keyof OxsStats }[] = [
  { field: 0, len: 8, key: 'durationSec' },     // OFPXST_OFB_DURATION (sec << 32 | nsec)
  { field: 1, len: 8, key: 'idleAge' },         // OFPXST_OFB_IDLE_TIME (same encoding)
  { field: 4, len: 8, key: 'packetCount' },     // OFPXST_OFB_PACKET_COUNT
  { field: 5, len: 8, key: 'byteCount' },       // OFPXST_OFB_BYTE_COUNT
  { field: 3, len: 4, key: 'flowCount' },       // OFPXST_OFB_FLOW_COUNT
];

/**
 * Encodes `struct ofp_oxs_stat` plus its OXS entries, padded to 8 bytes (OpenFlow 1.5 §7.2.4),
 * in OVS's order: duration, idle time, packet count, byte count, flow count.
 */
export function encodeOxsStats(s: OxsStats): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)];
  for (const f of OXS_FIELDS) {
    if (s[f.key] === undefined) continue;
    const e = Buffer.alloc(4 + f.len);
    e.writeUInt32BE(((OFPXSC_OPENFLOW_BASIC << 16) | (f.field << 9) | f.len) >>> 0, 0);
    if (f.key === 'durationSec') {
      e.writeUInt32BE(s.durationSec!, 4);
      e.writeUInt32BE(s.durationNsec ?? 0, 8);
    } else if (f.key === 'idleAge') {
      e.writeUInt32BE(s.idleAge!, 4);
    } else if (f.len === 8) {
      e.writeBigUInt64BE(s[f.key] as bigint, 4);
    } else {
      e.writeUInt32BE(s[f.key] as number, 4);
    }
    parts.push(e);
  }
  const out = Buffer.concat(parts);
  out.writeUInt16BE(out.length, 2);
  return pad8(out);
}

/**
 * Decodes `struct ofp_oxs_stat` at `offset`; unknown OXS entries are skipped.
 * @returns the statistics and the padded length consumed
 * @throws OfpError OFPBMC_BAD_LEN for a truncated or inconsistent length
 */
export function decodeOxsStats(buf: Buffer, offset: number): { stats: OxsStats; length: number } {
  if (buf.length < offset + 4) throw new OfpError('OFPBMC_BAD_LEN', 'truncated ofp_oxs_stat');
  const len = buf.readUInt16BE(offset + 2);
  if (len < 4 || offset + align8(len) > buf.length) {
    throw new OfpError('OFPBMC_BAD_LEN', `ofp_oxs_stat length ${len}`);
  }
  const stats: OxsStats = {};
  let p = offset + 4;
  const end = offset + len;
  while (p < end) {
    if (end - p < 4) throw new OfpError('OFPBMC_BAD_LEN', 'partial OXS header');
    const header = buf.readUInt32BE(p);
    const cls = header >>> 16;
    const field = (header >>> 9) & 0x7f;
    const length = header & 0xff;
    const hdrLen = cls === OFPXSC_EXPERIMENTER ? 8 : 4;
    const payloadLen = length - (hdrLen - 4);
    if (payloadLen < 0 || p + hdrLen + payloadLen > end) {
      throw new OfpError('OFPBMC_BAD_LEN', `OXS entry length ${length}`);
    }
    const v = p + hdrLen;
    const known = cls === OFPXSC_OPENFLOW_BASIC && OXS_FIELDS.find((f) => f.field === field && f.len === payloadLen);
    if (known) {
      if (known.key === 'durationSec') {
        stats.durationSec = buf.readUInt32BE(v);
        stats.durationNsec = buf.readUInt32BE(v + 4);
      } else if (known.key === 'idleAge') {
        stats.idleAge = buf.readUInt32BE(v);
      } else if (known.key === 'flowCount') {
        stats.flowCount = buf.readUInt32BE(v);
      } else if (known.key === 'packetCount') {
        stats.packetCount = buf.readBigUInt64BE(v);
      } else {
        stats.byteCount = buf.readBigUInt64BE(v);
      }
    }
    p = v + payloadLen;
  }
  return { stats, length: align8(len) };
}

// ---------------------------------------------------------------------------------------------
// Match and action helpers shared by the flow messages
// ---------------------------------------------------------------------------------------------

/**
 * Decodes the `matchLen`-byte nx_match at `offset` (padded to 8 on the wire), with an
 * NXM_NX_COOKIE(_W) entry when `allowCookie` (flow_mod, flow stats requests).
 * @returns the match, cookie/mask (0 if absent) and the padded length consumed
 * @throws OfpError OFPBMC_BAD_LEN, OFPBMC_BAD_FIELD (cookie where not allowed), and the errors
 *         of decodeNxMatchCookie (strict: prerequisites checked, unknown fields refused)
 */
export function pullNxMatch(buf: Buffer, offset: number, matchLen: number, allowCookie: boolean):
    { match: Match; cookie: bigint; cookieMask: bigint; length: number } {
  const padded = align8(matchLen);
  if (offset + padded > buf.length) {
    throw new OfpError('OFPBMC_BAD_LEN', `nx_match length ${matchLen} exceeds message`);
  }
  const m = decodeNxMatchCookie(buf.subarray(offset, offset + matchLen), { strict: true, oxm: !allowCookie });
  return { match: m.match, cookie: m.cookie, cookieMask: m.cookieMask, length: padded };
}

/**
 * Encodes `m` as an nx_match, followed by an NXM_NX_COOKIE(_W) entry when `cookieMask` is
 * nonzero (OVS nx_put_match).
 * @returns the unpadded length (for `match_len`) and the match padded to 8 bytes
 */
export function putNxMatch(m: Match, cookie = 0n, cookieMask = 0n): { matchLen: number; padded: Buffer } {
  const raw = encodeNxMatch(m, undefined, { value: cookie, mask: cookieMask });
  return { matchLen: raw.length, padded: pad8(raw) };
}

/** Decodes a version's flow actions: OpenFlow 1.0 carries actions, 1.1+ instructions. */
export function decodeFlowActions(version: number, buf: Buffer): Ofpact[] {
  return version === OFP10_VERSION ? decodeActions(version, buf) : decodeInstructions(version, buf);
}

/** Encodes ofpacts as OpenFlow 1.0 actions or OpenFlow 1.1+ instructions, by `version`. */
export function encodeFlowActions(version: number, ofpacts: Ofpact[]): Buffer {
  return version === OFP10_VERSION ? encodeActions(version, ofpacts) : encodeInstructions(version, ofpacts);
}

/** The 32-bit → 16-bit port conversion that refuses unmappable ports (OFPBAC_BAD_OUT_PORT). */
export { portFromOfp11 };

/** Returns `count` with "unknown" (UINT64_MAX) mapped to 0, for versions without an unknown value. */
function unknownToZero(count: bigint): bigint {
  return count === UINT64_MAX ? 0n : count;
}

/** Throws OFPBAC_MATCH_INCONSISTENT when conntrack tuple addresses disagree with eth_type. */
function checkCtTupleConsistency(m: Match): void {
  const ethType = m.getField(mfFieldByName('eth_type')!).value.readUInt16BE(0);
  const isSet = (name: string) => {
    const f = mfFieldByName(name);
    return f !== undefined && m.getField(f).mask.some((b: number) => b !== 0);
  };
  if (((isSet('ct_nw_src') || isSet('ct_nw_dst')) && ethType !== 0x0800)
      || ((isSet('ct_ipv6_src') || isSet('ct_ipv6_dst')) && ethType !== 0x86dd)) {
    throw new OfpError('OFPBAC_MATCH_INCONSISTENT', 'conntrack tuple addresses do not match eth_type');
  }
}

// ---------------------------------------------------------------------------------------------
// flow_mod
// ---------------------------------------------------------------------------------------------

/**
 * A decoded flow_mod, version independent (OVS `struct ofputil_flow_mod`).
 * `cookie`/`cookieMask` select rules for modify/delete; `newCookie` is the cookie written by
 * add/modify, `UINT64_MAX` meaning "leave unchanged"; `modifyCookie` says whether a modify
 * rewrites existing rules' cookies. `tableId` 0..254, or 255 (OFPTT_ALL) for "all"/"unspecified".
 * `outPort` is 16-bit internal numbering (OFPP_ANY = 0xffff for "any"), `outGroup` 32-bit
 * (OFPG_ANY = 0xffffffff). Timeouts are seconds (0 = none); `bufferId` 0xffffffff for none.
 * `flags` are OFPUTIL_FF_*; `importance` is OpenFlow 1.4+ eviction precedence.
 */
export interface FlowMod {
  command: FlowModCommand;
  match: Match;
  priority: number;
  cookie: bigint;
  cookieMask: bigint;
  newCookie: bigint;
  tableId: number;
  idleTimeout: number;
  hardTimeout: number;
  importance: number;
  flags: number;
  bufferId: number;
  outPort: number;
  outGroup: number;
  ofpacts: Ofpact[];
  modifyCookie: boolean;
}

/**
 * Decodes an OFPT_FLOW_MOD (OpenFlow 1.0 `ofp10_flow_mod`, 1.1+ `ofp11_flow_mod`) or
 * NXT_FLOW_MOD into a FlowMod with OVS's conversions (lib/ofp-flow.c ofputil_decode_flow_mod):
 * - OpenFlow 1.0 and NXT_FLOW_MOD: the wire cookie is the new cookie; with the
 *   NXT_FLOW_MOD_TABLE_ID extension on (`tableIdExt`), the command's high byte is the table,
 *   otherwise the table is 255. A 1.0 flow without wildcards gets priority 0xffff.
 * - OpenFlow 1.1+: "add" (and, in 1.1 only, a modify without cookie mask) takes the cookie as
 *   the new cookie; other commands match on cookie/cookie_mask and keep cookies.
 * - "add" in 1.0/1.1 always resets counters (OFPUTIL_FF_RESET_COUNTS).
 * Does not check the actions against the match (the caller runs checkOfpacts()).
 * @throws OfpError OFPFMFC_BAD_TABLE_ID (table 255 where not allowed), OFPFMFC_BAD_COMMAND,
 *         OFPFMFC_BAD_FLAGS, OFPFMFC_BAD_EMERG_TIMEOUT / OFPFMFC_TABLE_FULL (1.0 emergency
 *         flows), NXBRC_NXM_INVALID (NXM add with cookie mask), OFPBAC_BAD_OUT_PORT,
 *         OFPBAC_MATCH_INCONSISTENT, OFPBRC_BAD_LEN, and match/action decoding errors
 */
export function decodeFlowMod(msg: OfpMsg, tableIdExt = false): FlowMod {
  const { body, version } = msg;
  let match: Match;
  let command: number;
  let tableId: number;
  let rawFlags: number;
  let actionsAt: number;
  let fm: Omit<FlowMod, 'command' | 'match' | 'tableId' | 'flags' | 'ofpacts'>;

  if (msg.raw === 'OFPT11_FLOW_MOD') {
    const o = OFP11_FLOW_MOD.unpack(body);
    const m = decodeMatch(version, body, OFP11_FLOW_MOD.size);
    match = m.match;
    actionsAt = OFP11_FLOW_MOD.size + m.length;
    command = o.command;
    // In OpenFlow 1.1 only, a modify that does not match on the cookie adds when nothing matches.
    const setsCookie = command === OFPFC_ADD || (version === OFP11_VERSION
      && (command === OFPFC_MODIFY || command === OFPFC_MODIFY_STRICT) && o.cookieMask === 0n);
    tableId = o.tableId;
    if (tableId === OFPTT_ALL && (version === OFP11_VERSION
        || (command !== OFPFC_DELETE && command !== OFPFC_DELETE_STRICT))) {
      throw new OfpError('OFPFMFC_BAD_TABLE_ID', 'table_id 255 is allowed only in OpenFlow 1.2+ deletes');
    }
    fm = {
      priority: o.priority,
      cookie: setsCookie ? 0n : o.cookie,
      cookieMask: setsCookie ? 0n : o.cookieMask,
      newCookie: setsCookie ? o.cookie : UINT64_MAX,
      modifyCookie: false,
      idleTimeout: o.idleTimeout,
      hardTimeout: o.hardTimeout,
      importance: version >= OFP14_VERSION && command === OFPFC_ADD ? o.importance : 0,
      bufferId: o.bufferId,
      outPort: portFromOfp11(o.outPort),
      outGroup: command === OFPFC_DELETE || command === OFPFC_DELETE_STRICT ? o.outGroup : OFPG_ANY,
    };
    rawFlags = o.flags;
  } else {
    let wireCommand: number;
    if (msg.raw === 'OFPT10_FLOW_MOD') {
      const m = decodeMatch(version, body, 0);
      const o = OFP10_FLOW_MOD.unpack(body, OFP10_MATCH_LEN);
      match = m.match;
      // Old controllers fill OpenFlow 1.0 matches with stray values for absent layers.
      normalizeMatch(match);
      actionsAt = OFP10_MATCH_LEN + OFP10_FLOW_MOD.size;
      wireCommand = o.command;
      const wildcards = body.readUInt32BE(0);
      fm = {
        priority: wildcards & OFPFW10_ALL ? o.priority : 0xffff,
        cookie: 0n, cookieMask: 0n, newCookie: o.cookie, modifyCookie: o.cookie !== UINT64_MAX,
        idleTimeout: o.idleTimeout, hardTimeout: o.hardTimeout, importance: 0,
        bufferId: o.bufferId, outPort: o.outPort, outGroup: OFPG_ANY,
      };
      rawFlags = o.flags;
    } else if (msg.raw === 'NXT_FLOW_MOD') {
      const o = NX_FLOW_MOD.unpack(body);
      const m = pullNxMatch(body, NX_FLOW_MOD.size, o.matchLen, true);
      match = m.match;
      actionsAt = NX_FLOW_MOD.size + m.length;
      wireCommand = o.command;
      if ((wireCommand & 0xff) === OFPFC_ADD && m.cookieMask) {
        throw new OfpError('NXBRC_NXM_INVALID', 'flow additions may set a cookie, not match one');
      }
      fm = {
        priority: o.priority,
        cookie: m.cookie, cookieMask: m.cookieMask, newCookie: o.cookie,
        modifyCookie: o.cookie !== UINT64_MAX,
        idleTimeout: o.idleTimeout, hardTimeout: o.hardTimeout, importance: 0,
        bufferId: o.bufferId, outPort: o.outPort, outGroup: OFPG_ANY,
      };
      rawFlags = o.flags;
    } else {
      throw new OfpError('OFPBRC_BAD_TYPE', `${msg.raw} is not a flow_mod`);
    }
    if (tableIdExt) {
      command = wireCommand & 0xff;
      tableId = wireCommand >> 8;
    } else {
      command = wireCommand;
      tableId = OFPTT_ALL;
    }
  }

  checkCtTupleConsistency(match);
  if (command > OFPFC_DELETE_STRICT) throw new OfpError('OFPFMFC_BAD_COMMAND', `flow_mod command ${command}`);
  const ofpacts = decodeFlowActions(version, body.subarray(actionsAt));
  const flags = decodeFlowModFlags(rawFlags, command, version);
  if (flags & OFPUTIL_FF_EMERG) {
    // No emergency flow cache; OpenFlow 1.0 names the error only for flows with timeouts.
    throw new OfpError(fm.hardTimeout || fm.idleTimeout ? 'OFPFMFC_BAD_EMERG_TIMEOUT' : 'OFPFMFC_TABLE_FULL',
      'emergency flows are not supported');
  }
  return { ...fm, command: FLOW_MOD_COMMANDS[command], match, tableId, flags, ofpacts };
}

/**
 * Encodes `fm` as OFPT_FLOW_MOD for `version`, or as NXT_FLOW_MOD when `nxm` (OVS
 * ofputil_encode_flow_mod). For OpenFlow 1.0 forms, `tableIdExt` (default: a table other than
 * 255 is set) puts the table in the command's high byte, as NXT_FLOW_MOD_TABLE_ID allows.
 * @throws OfpError when the match or actions cannot be expressed in `version`
 */
export function encodeFlowMod(fm: FlowMod, version: number, xid: number, nxm = false,
    tableIdExt = fm.tableId !== OFPTT_ALL): Buffer {
  const command = commandNumber(fm.command);
  const flags = encodeFlowModFlags(fm.flags, version);
  const tidCommand = tableIdExt ? (command & 0xff) | (fm.tableId << 8) : command;
  if (nxm) {
    const m = putNxMatch(fm.match, fm.cookie, fm.cookieMask);
    const head = NX_FLOW_MOD.pack({
      cookie: fm.newCookie, command: tidCommand, idleTimeout: fm.idleTimeout,
      hardTimeout: fm.hardTimeout, priority: fm.priority, bufferId: fm.bufferId,
      outPort: fm.outPort, flags, matchLen: m.matchLen,
    });
    return encodeMsg('NXT_FLOW_MOD', version, xid,
      Buffer.concat([head, m.padded, encodeFlowActions(version, fm.ofpacts)]));
  }
  if (version === OFP10_VERSION) {
    const head = OFP10_FLOW_MOD.pack({
      cookie: fm.newCookie, command: tidCommand, idleTimeout: fm.idleTimeout,
      hardTimeout: fm.hardTimeout, priority: fm.priority, bufferId: fm.bufferId,
      outPort: fm.outPort, flags,
    });
    return encodeMsg('OFPT10_FLOW_MOD', version, xid,
      Buffer.concat([encodeMatch(version, fm.match), head, encodeActions(version, fm.ofpacts)]));
  }
  const isDelete = command === OFPFC_DELETE || command === OFPFC_DELETE_STRICT;
  const setsCookie = command === OFPFC_ADD || (version === OFP11_VERSION
    && (command === OFPFC_MODIFY || command === OFPFC_MODIFY_STRICT) && fm.cookieMask === 0n);
  const head = OFP11_FLOW_MOD.pack({
    cookie: setsCookie ? fm.newCookie : fm.cookie & fm.cookieMask,
    cookieMask: fm.cookieMask,
    tableId: fm.tableId !== OFPTT_ALL || (version !== OFP11_VERSION && isDelete) ? fm.tableId : 0,
    command, idleTimeout: fm.idleTimeout, hardTimeout: fm.hardTimeout, priority: fm.priority,
    bufferId: fm.bufferId, outPort: ofp10PortToOfp11(fm.outPort), outGroup: fm.outGroup, flags,
    importance: version >= OFP14_VERSION && command === OFPFC_ADD ? fm.importance : 0,
  });
  return encodeMsg('OFPT11_FLOW_MOD', version, xid,
    Buffer.concat([head, encodeMatch(version, fm.match), encodeInstructions(version, fm.ofpacts)]));
}

// ---------------------------------------------------------------------------------------------
// flow_removed
// ---------------------------------------------------------------------------------------------

/**
 * A flow_removed notification (OVS `struct ofputil_flow_removed`). `reason` is OFPRR_*;
 * `tableId` 255 when unknown (OpenFlow 1.0); durations in seconds + nanoseconds; timeouts in
 * seconds; counters UINT64_MAX when unknown.
 */
export interface FlowRemoved {
  match: Match; cookie: bigint; priority: number; reason: number; tableId: number;
  durationSec: number; durationNsec: number; idleTimeout: number; hardTimeout: number;
  packetCount: bigint; byteCount: bigint;
}

/**
 * Encodes an OFPT_FLOW_REMOVED for `version` (xid 0), or NXT_FLOW_REMOVED when `nxm`
 * (OVS ofputil_encode_flow_removed). OFPRR_METER_DELETE becomes OFPRR_DELETE before 1.4;
 * OpenFlow 1.5 carries the statistics as OXS; NXT_FLOW_REMOVED stores table_id + 1.
 * @throws OfpError when the match cannot be expressed in `version`
 */
export function encodeFlowRemoved(fr: FlowRemoved, version: number, nxm = false): Buffer {
  const reason = fr.reason === OFPRR_METER_DELETE && (nxm || version < OFP14_VERSION) ? OFPRR_DELETE : fr.reason;
  if (nxm) {
    const m = putNxMatch(fr.match);
    const head = NX_FLOW_REMOVED.pack({
      cookie: fr.cookie, priority: fr.priority, reason, tableId: (fr.tableId + 1) & 0xff,
      durationSec: fr.durationSec, durationNsec: fr.durationNsec, idleTimeout: fr.idleTimeout,
      matchLen: m.matchLen, packetCount: fr.packetCount, byteCount: fr.byteCount,
    });
    return encodeMsg('NXT_FLOW_REMOVED', version, 0, Buffer.concat([head, m.padded]));
  }
  if (version === OFP10_VERSION) {
    const tail = OFP10_FLOW_REMOVED.pack({
      cookie: fr.cookie, priority: fr.priority, reason, durationSec: fr.durationSec,
      durationNsec: fr.durationNsec, idleTimeout: fr.idleTimeout,
      packetCount: unknownToZero(fr.packetCount), byteCount: unknownToZero(fr.byteCount),
    });
    return encodeMsg('OFPT10_FLOW_REMOVED', version, 0, Buffer.concat([encodeMatch(version, fr.match), tail]));
  }
  if (version >= OFP15_VERSION) {
    const head = OFP15_FLOW_REMOVED.pack({
      tableId: fr.tableId, reason, priority: fr.priority, idleTimeout: fr.idleTimeout,
      hardTimeout: fr.hardTimeout, cookie: fr.cookie,
    });
    const stats = encodeOxsStats({
      durationSec: fr.durationSec, durationNsec: fr.durationNsec,
      packetCount: fr.packetCount === UINT64_MAX ? undefined : fr.packetCount,
      byteCount: fr.byteCount === UINT64_MAX ? undefined : fr.byteCount,
    });
    return encodeMsg('OFPT15_FLOW_REMOVED', version, 0, Buffer.concat([head, encodeMatch(version, fr.match), stats]));
  }
  const head = OFP12_FLOW_REMOVED.pack({
    cookie: fr.cookie, priority: fr.priority, reason, tableId: fr.tableId,
    durationSec: fr.durationSec, durationNsec: fr.durationNsec, idleTimeout: fr.idleTimeout,
    hardTimeout: fr.hardTimeout, packetCount: fr.packetCount, byteCount: fr.byteCount,
  });
  return encodeMsg('OFPT11_FLOW_REMOVED', version, 0, Buffer.concat([head, encodeMatch(version, fr.match)]));
}

/**
 * Decodes any OFPT_FLOW_REMOVED or NXT_FLOW_REMOVED (OVS ofputil_decode_flow_removed).
 * @throws OfpError OFPBRC_BAD_LEN and match decoding errors
 */
export function decodeFlowRemoved(msg: OfpMsg): FlowRemoved {
  const { body, version } = msg;
  switch (msg.raw) {
    case 'OFPT10_FLOW_REMOVED': {
      const { match } = decodeMatch(version, body, 0);
      const o = OFP10_FLOW_REMOVED.unpack(body, OFP10_MATCH_LEN);
      return { match, cookie: o.cookie, priority: o.priority, reason: o.reason, tableId: OFPTT_ALL,
        durationSec: o.durationSec, durationNsec: o.durationNsec, idleTimeout: o.idleTimeout,
        hardTimeout: 0, packetCount: o.packetCount, byteCount: o.byteCount };
    }
    case 'OFPT11_FLOW_REMOVED': {
      const o = OFP12_FLOW_REMOVED.unpack(body);
      const { match } = decodeMatch(version, body, OFP12_FLOW_REMOVED.size);
      return { match, cookie: o.cookie, priority: o.priority, reason: o.reason, tableId: o.tableId,
        durationSec: o.durationSec, durationNsec: o.durationNsec, idleTimeout: o.idleTimeout,
        hardTimeout: o.hardTimeout, packetCount: o.packetCount, byteCount: o.byteCount };
    }
    case 'OFPT15_FLOW_REMOVED': {
      const o = OFP15_FLOW_REMOVED.unpack(body);
      const m = decodeMatch(version, body, OFP15_FLOW_REMOVED.size);
      const { stats } = decodeOxsStats(body, OFP15_FLOW_REMOVED.size + m.length);
      return { match: m.match, cookie: o.cookie, priority: o.priority, reason: o.reason,
        tableId: o.tableId, durationSec: stats.durationSec ?? 0xffffffff,
        durationNsec: stats.durationNsec ?? 0xffffffff, idleTimeout: o.idleTimeout,
        hardTimeout: o.hardTimeout, packetCount: stats.packetCount ?? UINT64_MAX,
        byteCount: stats.byteCount ?? UINT64_MAX };
    }
    case 'NXT_FLOW_REMOVED': {
      const o = NX_FLOW_REMOVED.unpack(body);
      const m = pullNxMatch(body, NX_FLOW_REMOVED.size, o.matchLen, false);
      if (NX_FLOW_REMOVED.size + m.length !== body.length) {
        throw new OfpError('OFPBRC_BAD_LEN', 'trailing bytes after NXT_FLOW_REMOVED match');
      }
      return { match: m.match, cookie: o.cookie, priority: o.priority, reason: o.reason,
        tableId: o.tableId ? o.tableId - 1 : OFPTT_ALL, durationSec: o.durationSec,
        durationNsec: o.durationNsec, idleTimeout: o.idleTimeout, hardTimeout: 0,
        packetCount: o.packetCount, byteCount: o.byteCount };
    }
    default:
      throw new OfpError('OFPBRC_BAD_TYPE', `${msg.raw} is not a flow_removed`);
  }
}

// ---------------------------------------------------------------------------------------------
// Flow and aggregate statistics
// ---------------------------------------------------------------------------------------------

/**
 * A flow or aggregate statistics request (OVS `struct ofputil_flow_stats_request`).
 * `tableId` 255 = all tables; `outPort` 16-bit internal (0xffff any); `outGroup` 32-bit
 * (OFPG_ANY); `cookie`/`cookieMask` restrict to matching cookies (mask 0 = any).
 */
export interface FlowStatsRequest {
  aggregate: boolean; tableId: number; outPort: number; outGroup: number;
  cookie: bigint; cookieMask: bigint; match: Match;
}

const AGGREGATE_REQUEST_RAWS: readonly string[] = [
  'OFPST10_AGGREGATE_REQUEST', 'OFPST11_AGGREGATE_REQUEST', 'OFPST15_AGGREGATE_REQUEST', 'NXST_AGGREGATE_REQUEST',
];

/**
 * Decodes OFPST_FLOW / OFPST_AGGREGATE requests of every version and NXST_FLOW /
 * NXST_AGGREGATE (OVS ofputil_decode_flow_stats_request).
 * @throws OfpError OFPBRC_BAD_LEN (NXST with trailing bytes), OFPBAC_BAD_OUT_PORT, match errors
 */
export function decodeFlowStatsRequest(msg: OfpMsg): FlowStatsRequest {
  const { body, version } = msg;
  const aggregate = AGGREGATE_REQUEST_RAWS.includes(msg.raw);
  switch (msg.raw) {
    case 'OFPST10_FLOW_REQUEST':
    case 'OFPST10_AGGREGATE_REQUEST': {
      const { match } = decodeMatch(version, body, 0);
      const o = OFP10_FLOW_STATS_REQUEST.unpack(body, OFP10_MATCH_LEN);
      return { aggregate, match, tableId: o.tableId, outPort: o.outPort, outGroup: OFPG_ANY,
        cookie: 0n, cookieMask: 0n };
    }
    case 'OFPST11_FLOW_REQUEST':
    case 'OFPST11_AGGREGATE_REQUEST':
    case 'OFPST15_AGGREGATE_REQUEST': {
      const o = OFP11_FLOW_STATS_REQUEST.unpack(body);
      const outPort = portFromOfp11(o.outPort);
      const { match } = decodeMatch(version, body, OFP11_FLOW_STATS_REQUEST.size);
      return { aggregate, match, tableId: o.tableId, outPort, outGroup: o.outGroup,
        cookie: o.cookie, cookieMask: o.cookieMask };
    }
    case 'NXST_FLOW_REQUEST':
    case 'NXST_AGGREGATE_REQUEST': {
      const o = NX_FLOW_STATS_REQUEST.unpack(body);
      const m = pullNxMatch(body, NX_FLOW_STATS_REQUEST.size, o.matchLen, true);
      if (NX_FLOW_STATS_REQUEST.size + m.length !== body.length) {
        throw new OfpError('OFPBRC_BAD_LEN', 'trailing bytes after NXST flow request match');
      }
      return { aggregate, match: m.match, tableId: o.tableId, outPort: o.outPort, outGroup: OFPG_ANY,
        cookie: m.cookie, cookieMask: m.cookieMask };
    }
    default:
      throw new OfpError('OFPBRC_BAD_STAT', `${msg.raw} is not a flow or aggregate stats request`);
  }
}

/**
 * Encodes a flow or aggregate stats request for `version` (NXST_* when `nxm`), as
 * ovs-ofctl sends it (OVS ofputil_encode_flow_stats_request).
 */
export function encodeFlowStatsRequest(r: FlowStatsRequest, version: number, xid: number, nxm = false): Buffer {
  if (nxm) {
    const m = putNxMatch(r.match, r.cookie, r.cookieMask);
    const head = NX_FLOW_STATS_REQUEST.pack({ outPort: r.outPort, matchLen: m.matchLen, tableId: r.tableId });
    return encodeMsg(r.aggregate ? 'NXST_AGGREGATE_REQUEST' : 'NXST_FLOW_REQUEST', version, xid,
      Buffer.concat([head, m.padded]));
  }
  if (version === OFP10_VERSION) {
    const tail = OFP10_FLOW_STATS_REQUEST.pack({ tableId: r.tableId, outPort: r.outPort });
    return encodeMsg(r.aggregate ? 'OFPST10_AGGREGATE_REQUEST' : 'OFPST10_FLOW_REQUEST', version, xid,
      Buffer.concat([encodeMatch(version, r.match), tail]));
  }
  const raw: OfpRaw = !r.aggregate ? 'OFPST11_FLOW_REQUEST'
    : version >= OFP15_VERSION ? 'OFPST15_AGGREGATE_REQUEST' : 'OFPST11_AGGREGATE_REQUEST';
  const head = OFP11_FLOW_STATS_REQUEST.pack({
    tableId: r.tableId, outPort: ofp10PortToOfp11(r.outPort), outGroup: r.outGroup,
    cookie: r.cookie, cookieMask: r.cookieMask,
  });
  return encodeMsg(raw, version, xid, Buffer.concat([head, encodeMatch(version, r.match)]));
}

/**
 * One flow's statistics (OVS `struct ofputil_flow_stats`). Durations in s + ns; `idleAge`
 * and `hardAge` in seconds, -1 when unknown; timeouts in seconds; `flags` OFPUTIL_FF_*;
 * counters UINT64_MAX when unknown.
 */
export interface FlowStats {
  tableId: number; durationSec: number; durationNsec: number; idleAge: number; hardAge: number;
  priority: number; idleTimeout: number; hardTimeout: number; flags: number; importance: number;
  cookie: bigint; packetCount: bigint; byteCount: bigint; match: Match; ofpacts: Ofpact[];
}

/** Encodes an NXST flow age: 0 = unknown, else seconds + 1 saturating at 65535. */
function nxAge(age: number): number {
  return age < 0 ? 0 : age < 0xffff ? age + 1 : 0xffff;
}

/** Encodes one flow stats entry in the body format of reply `raw` (OVS ofputil_append_flow_stats_reply). */
function encodeFlowStatsEntry(raw: OfpRaw, version: number, fs: FlowStats): Buffer {
  switch (raw) {
    case 'OFPST10_FLOW_REPLY': {
      const actions = encodeActions(version, fs.ofpacts);
      const length = OFP10_FLOW_STATS_HEAD.size + OFP10_MATCH_LEN + OFP10_FLOW_STATS_TAIL.size + actions.length;
      return Buffer.concat([
        OFP10_FLOW_STATS_HEAD.pack({ length, tableId: fs.tableId }),
        encodeMatch(version, fs.match),
        OFP10_FLOW_STATS_TAIL.pack({
          durationSec: fs.durationSec, durationNsec: fs.durationNsec, priority: fs.priority,
          idleTimeout: fs.idleTimeout, hardTimeout: fs.hardTimeout, cookie: fs.cookie,
          packetCount: unknownToZero(fs.packetCount), byteCount: unknownToZero(fs.byteCount),
        }),
        actions,
      ]);
    }
    case 'OFPST11_FLOW_REPLY':
    case 'OFPST13_FLOW_REPLY': {
      // OVS sends an OXM match here even in OpenFlow 1.1, whose decoders accept both kinds.
      const match = encodeOxmMatch(fs.match, version);
      const insts = encodeInstructions(version, fs.ofpacts);
      return Buffer.concat([OFP11_FLOW_STATS.pack({
        length: OFP11_FLOW_STATS.size + match.length + insts.length, tableId: fs.tableId,
        durationSec: fs.durationSec, durationNsec: fs.durationNsec, priority: fs.priority,
        idleTimeout: fs.idleTimeout, hardTimeout: fs.hardTimeout,
        flags: raw === 'OFPST13_FLOW_REPLY' ? encodeFlowModFlags(fs.flags, version) : 0,
        importance: version >= OFP14_VERSION ? fs.importance : 0, cookie: fs.cookie,
        packetCount: unknownToZero(fs.packetCount), byteCount: unknownToZero(fs.byteCount),
      }), match, insts]);
    }
    case 'OFPST15_FLOW_REPLY': {
      const match = encodeMatch(version, fs.match);
      const stats = encodeOxsStats({
        durationSec: fs.durationSec, durationNsec: fs.durationNsec,
        idleAge: fs.idleAge >= 0 ? fs.idleAge : undefined,
        packetCount: fs.packetCount === UINT64_MAX ? undefined : fs.packetCount,
        byteCount: fs.byteCount === UINT64_MAX ? undefined : fs.byteCount,
      });
      const insts = encodeInstructions(version, fs.ofpacts);
      return Buffer.concat([OFP15_FLOW_DESC.pack({
        length: OFP15_FLOW_DESC.size + match.length + stats.length + insts.length,
        tableId: fs.tableId, priority: fs.priority, idleTimeout: fs.idleTimeout,
        hardTimeout: fs.hardTimeout, flags: encodeFlowModFlags(fs.flags, version),
        importance: fs.importance, cookie: fs.cookie,
      }), match, stats, insts]);
    }
    case 'NXST_FLOW_REPLY': {
      const m = putNxMatch(fs.match);
      const actions = encodeActions(version, fs.ofpacts);
      return Buffer.concat([NX_FLOW_STATS.pack({
        length: NX_FLOW_STATS.size + m.padded.length + actions.length, tableId: fs.tableId,
        durationSec: fs.durationSec, durationNsec: fs.durationNsec, priority: fs.priority,
        idleTimeout: fs.idleTimeout, hardTimeout: fs.hardTimeout, matchLen: m.matchLen,
        idleAge: nxAge(fs.idleAge), hardAge: nxAge(fs.hardAge), cookie: fs.cookie,
        packetCount: fs.packetCount, byteCount: fs.byteCount,
      }), m.padded, actions]);
    }
    default:
      throw new OfpError('OFPBRC_BAD_STAT', `${raw} is not a flow stats reply`);
  }
}

/** Largest multipart reply body: 65535 minus the biggest stats header (NXST, 24 bytes). */
const MAX_ENTRY_LEN = 0xffff - 24;

/**
 * Encodes the reply to a flow stats request, in the format the request implies (OpenFlow 1.0
 * `ofp10_flow_stats`, 1.1/1.2 `ofp11_flow_stats`, 1.3/1.4 with flags, 1.5 `ofp15_flow_desc` +
 * OXS, NXST `nx_flow_stats` with idle_age/hard_age), split into messages of at most 65535
 * bytes. As OVS, an entry too large for any message is left out.
 * @throws OfpError when a match or ofpacts cannot be expressed in the request's version
 */
export function encodeFlowStatsReply(request: OfpMsg, stats: FlowStats[]): Buffer[] {
  const raw = rawReplyFor(request);
  const items = stats.map((fs) => encodeFlowStatsEntry(raw, request.version, fs))
    .filter((b) => b.length <= MAX_ENTRY_LEN);
  return encodeMultipartReply(raw, request.version, request.xid, items);
}

/**
 * Decodes the entries of one flow stats reply message (OVS ofputil_decode_flow_stats_reply).
 * NXST ages are decoded (the flow_age extension is assumed, as for OVS peers).
 * @throws OfpError OFPBRC_BAD_LEN for inconsistent lengths, match/action errors
 */
export function decodeFlowStatsReply(msg: OfpMsg): FlowStats[] {
  const { body, version, raw } = msg;
  const out: FlowStats[] = [];
  let p = 0;
  while (p < body.length) {
    if (body.length - p < 4) throw new OfpError('OFPBRC_BAD_LEN', 'flow stats entry header truncated');
    const length = body.readUInt16BE(p);
    if (p + length > body.length) throw new OfpError('OFPBRC_BAD_LEN', `flow stats entry length ${length}`);
    const e = body.subarray(p, p + length);
    out.push(decodeFlowStatsEntry(raw, version, e));
    p += length;
  }
  return out;
}

function decodeFlowStatsEntry(raw: OfpRaw, version: number, e: Buffer): FlowStats {
  switch (raw) {
    case 'OFPST10_FLOW_REPLY': {
      const h = OFP10_FLOW_STATS_HEAD.unpack(e);
      const { match } = decodeMatch(version, e, OFP10_FLOW_STATS_HEAD.size);
      const at = OFP10_FLOW_STATS_HEAD.size + OFP10_MATCH_LEN;
      const t = OFP10_FLOW_STATS_TAIL.unpack(e, at);
      return { tableId: h.tableId, durationSec: t.durationSec, durationNsec: t.durationNsec,
        idleAge: -1, hardAge: -1, priority: t.priority, idleTimeout: t.idleTimeout,
        hardTimeout: t.hardTimeout, flags: 0, importance: 0, cookie: t.cookie,
        packetCount: t.packetCount, byteCount: t.byteCount, match,
        ofpacts: decodeActions(version, e.subarray(at + OFP10_FLOW_STATS_TAIL.size)) };
    }
    case 'OFPST11_FLOW_REPLY':
    case 'OFPST13_FLOW_REPLY': {
      const o = OFP11_FLOW_STATS.unpack(e);
      const m = decodeMatch(version, e, OFP11_FLOW_STATS.size);
      return { tableId: o.tableId, durationSec: o.durationSec, durationNsec: o.durationNsec,
        idleAge: -1, hardAge: -1, priority: o.priority, idleTimeout: o.idleTimeout,
        hardTimeout: o.hardTimeout,
        flags: raw === 'OFPST13_FLOW_REPLY' ? decodeFlowModFlags(o.flags, -1, version) : 0,
        importance: version >= OFP14_VERSION ? o.importance : 0, cookie: o.cookie,
        packetCount: o.packetCount, byteCount: o.byteCount, match: m.match,
        ofpacts: decodeInstructions(version, e.subarray(OFP11_FLOW_STATS.size + m.length)) };
    }
    case 'OFPST15_FLOW_REPLY': {
      const o = OFP15_FLOW_DESC.unpack(e);
      const m = decodeMatch(version, e, OFP15_FLOW_DESC.size);
      const s = decodeOxsStats(e, OFP15_FLOW_DESC.size + m.length);
      return { tableId: o.tableId, durationSec: s.stats.durationSec ?? 0xffffffff,
        durationNsec: s.stats.durationNsec ?? 0xffffffff, idleAge: s.stats.idleAge ?? -1,
        hardAge: -1, priority: o.priority, idleTimeout: o.idleTimeout, hardTimeout: o.hardTimeout,
        flags: decodeFlowModFlags(o.flags, -1, version), importance: o.importance,
        cookie: o.cookie, packetCount: s.stats.packetCount ?? UINT64_MAX,
        byteCount: s.stats.byteCount ?? UINT64_MAX, match: m.match,
        ofpacts: decodeInstructions(version, e.subarray(OFP15_FLOW_DESC.size + m.length + s.length)) };
    }
    case 'NXST_FLOW_REPLY': {
      const o = NX_FLOW_STATS.unpack(e);
      const m = pullNxMatch(e, NX_FLOW_STATS.size, o.matchLen, false);
      return { tableId: o.tableId, durationSec: o.durationSec, durationNsec: o.durationNsec,
        idleAge: o.idleAge ? o.idleAge - 1 : -1, hardAge: o.hardAge ? o.hardAge - 1 : -1,
        priority: o.priority, idleTimeout: o.idleTimeout, hardTimeout: o.hardTimeout,
        flags: 0, importance: 0, cookie: o.cookie, packetCount: o.packetCount,
        byteCount: o.byteCount, match: m.match,
        ofpacts: decodeActions(version, e.subarray(NX_FLOW_STATS.size + m.length)) };
    }
    default:
      throw new OfpError('OFPBRC_BAD_STAT', `${raw} is not a flow stats reply`);
  }
}

/** Aggregate flow statistics; counters UINT64_MAX and `flowCount` 0xffffffff when unknown. */
export interface AggregateStats { packetCount: bigint; byteCount: bigint; flowCount: number }

/**
 * Encodes the reply to an aggregate stats request in its format (`ofp_aggregate_stats_reply`
 * for OpenFlow 1.0–1.4 and NXST_AGGREGATE, OXS for 1.5; OVS ofputil_encode_aggregate_stats_reply).
 * OpenFlow 1.0 has no "unknown" counter, so unknown becomes 0 there.
 */
export function encodeAggregateStatsReply(request: OfpMsg, a: AggregateStats): Buffer {
  const raw = rawReplyFor(request);
  if (request.raw === 'OFPST15_AGGREGATE_REQUEST') {
    return encodeMsg(raw, request.version, request.xid, encodeOxsStats({
      packetCount: a.packetCount === UINT64_MAX ? undefined : a.packetCount,
      byteCount: a.byteCount === UINT64_MAX ? undefined : a.byteCount,
      flowCount: a.flowCount === 0xffffffff ? undefined : a.flowCount,
    }));
  }
  const ofp10 = request.raw === 'OFPST10_AGGREGATE_REQUEST';
  return encodeMsg(raw, request.version, request.xid, OFP_AGGREGATE_STATS_REPLY.pack({
    packetCount: ofp10 ? unknownToZero(a.packetCount) : a.packetCount,
    byteCount: ofp10 ? unknownToZero(a.byteCount) : a.byteCount,
    flowCount: a.flowCount,
  }));
}

/**
 * Decodes an aggregate stats reply of any format (OVS ofputil_decode_aggregate_stats_reply).
 * @throws OfpError OFPBRC_BAD_LEN / OFPBMC_BAD_LEN for truncated bodies
 */
export function decodeAggregateStatsReply(msg: OfpMsg): AggregateStats {
  if (msg.raw === 'OFPST15_AGGREGATE_REPLY') {
    const { stats } = decodeOxsStats(msg.body, 0);
    return { packetCount: stats.packetCount ?? UINT64_MAX, byteCount: stats.byteCount ?? UINT64_MAX,
      flowCount: stats.flowCount ?? 0xffffffff };
  }
  const o = OFP_AGGREGATE_STATS_REPLY.unpack(msg.body);
  return { packetCount: o.packetCount, byteCount: o.byteCount, flowCount: o.flowCount };
}
