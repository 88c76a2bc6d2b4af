/**
 * The wire forms of OpenFlow actions: every standard, Nicira (NX) and ONF action OVS 3.1 knows,
 * with the versions it exists in, its type or subtype, and its size (OVS lib/ofp-actions.c
 * `enum ofp_raw_action_type` and the tables build-aux/extract-ofp-actions derives from it).
 * This module identifies an action from its header and validates its length
 * (`ofpact_decode_raw`, `ofpact_pull_raw`), and writes action headers (`ofpact_put_raw`,
 * `pad_ofpat`).
 *
 * Every action starts with `type(16) len(16)`; a vendor action (type OFPAT_VENDOR 0xffff) goes on
 * with `vendor(32) subtype(16)` for Nicira and ONF. Actions are a multiple of 8 bytes long.
 */
import { OFP15_VERSION } from './common';
import { NX_VENDOR_ID, ONF_VENDOR_ID, OfpError } from './ofp-errors';
import type { Ofpact, OfpactOf } from './ofpacts';
import type { ActionWriter } from './ofp-actions-writer';

/** `OFPAT_VENDOR` / `OFPAT_EXPERIMENTER`: the type of vendor extension actions. */
export const OFPAT_VENDOR = 0xffff;
/** OpenFlow actions are a multiple of this many bytes. */
export const OFP_ACTION_ALIGN = 8;

/**
 * How an action's body is laid out (the second part of OVS's raw-action comments): a fixed
 * size, a minimum size that may grow in steps of 8 (`variable`), no body, or a header followed by
 * one integer argument (aligned to its size, the action padded to 8 bytes).
 */
type ArgType = 'void' | 'uint8_t' | 'uint16_t' | 'ovs_be16' | 'uint32_t' | 'ovs_be32' | 'uint64_t'
  | { size: number; variable?: true };

const ARG_SIZES = { uint8_t: 1, uint16_t: 2, ovs_be16: 2, uint32_t: 4, ovs_be32: 4, uint64_t: 8 } as const;

/**
 * Every raw action: name, where it is defined ("VENDOR VERSIONS (TYPE)" as in OVS, comma
 * separated), and its layout. OF = standard, NX = Nicira, ONF = Open Networking Foundation.
 */
const RAW_ACTIONS = [
  ['OFPAT_RAW10_OUTPUT', 'OF1.0(0)', { size: 8 }],
  ['OFPAT_RAW11_OUTPUT', 'OF1.1+(0)', { size: 16 }],
  ['OFPAT_RAW10_SET_VLAN_VID', 'OF1.0(1)', 'uint16_t'],
  ['OFPAT_RAW10_SET_VLAN_PCP', 'OF1.0(2)', 'uint8_t'],
  ['OFPAT_RAW11_SET_VLAN_VID', 'OF1.1+(1)', 'uint16_t'],
  ['OFPAT_RAW11_SET_VLAN_PCP', 'OF1.1+(2)', 'uint8_t'],
  ['OFPAT_RAW11_PUSH_VLAN', 'OF1.1+(17)', 'ovs_be16'],
  ['OFPAT_RAW10_STRIP_VLAN', 'OF1.0(3)', 'void'],
  ['OFPAT_RAW11_POP_VLAN', 'OF1.1+(18)', 'void'],
  ['OFPAT_RAW_SET_DL_SRC', 'OF1.0(4), OF1.1+(3)', { size: 16 }],
  ['OFPAT_RAW_SET_DL_DST', 'OF1.0(5), OF1.1+(4)', { size: 16 }],
  ['OFPAT_RAW_SET_NW_SRC', 'OF1.0(6), OF1.1+(5)', 'ovs_be32'],
  ['OFPAT_RAW_SET_NW_DST', 'OF1.0(7), OF1.1+(6)', 'ovs_be32'],
  ['OFPAT_RAW_SET_NW_TOS', 'OF1.0(8), OF1.1+(7)', 'uint8_t'],
  ['OFPAT_RAW11_SET_NW_ECN', 'OF1.1+(8)', 'uint8_t'],
  ['OFPAT_RAW_SET_TP_SRC', 'OF1.0(9), OF1.1+(9)', 'ovs_be16'],
  ['OFPAT_RAW_SET_TP_DST', 'OF1.0(10), OF1.1+(10)', 'ovs_be16'],
  ['OFPAT_RAW10_ENQUEUE', 'OF1.0(11)', { size: 16 }],
  ['OFPAT_RAW_SET_MPLS_LABEL', 'NX1.0(30), OF1.1+(13)', 'ovs_be32'],
  ['OFPAT_RAW_SET_MPLS_TC', 'NX1.0(31), OF1.1+(14)', 'uint8_t'],
  ['OFPAT_RAW_SET_MPLS_TTL', 'NX1.0(25), OF1.1+(15)', 'uint8_t'],
  ['OFPAT_RAW_DEC_MPLS_TTL', 'NX1.0(26), OF1.1+(16)', 'void'],
  ['OFPAT_RAW_PUSH_MPLS', 'NX1.0(23), OF1.1+(19)', 'ovs_be16'],
  ['OFPAT_RAW_POP_MPLS', 'NX1.0(24), OF1.1+(20)', 'ovs_be16'],
  ['OFPAT_RAW_SET_QUEUE', 'NX1.0(4), OF1.1+(21)', 'uint32_t'],
  ['OFPAT_RAW_GROUP', 'NX1.0(40), OF1.1+(22)', 'uint32_t'],
  ['OFPAT_RAW11_SET_NW_TTL', 'OF1.1+(23)', 'uint8_t'],
  ['OFPAT_RAW_DEC_NW_TTL', 'NX1.0(18), OF1.1+(24)', 'void'],
  ['NXAST_RAW_DEC_TTL_CNT_IDS', 'NX1.0+(21)', { size: 16, variable: true }],
  ['OFPAT_RAW12_SET_FIELD', 'OF1.2-1.4(25)', { size: 8, variable: true }],
  ['OFPAT_RAW15_SET_FIELD', 'OF1.5+(25)', { size: 8, variable: true }],
  ['NXAST_RAW_REG_LOAD', 'NX1.0-1.4(7)', { size: 24 }],
  ['NXAST_RAW_REG_LOAD2', 'NX1.0-1.4(33)', { size: 16, variable: true }],
  ['OFPAT_RAW15_COPY_FIELD', 'OF1.5+(28)', { size: 16, variable: true }],
  ['ONFACT_RAW13_COPY_FIELD', 'ONF1.3-1.4(3200)', { size: 24, variable: true }],
  ['NXAST_RAW_REG_MOVE', 'NX1.0-1.4(6)', { size: 16, variable: true }],
  ['OFPAT_RAW15_METER', 'OF1.5+(29)', 'uint32_t'],
  ['NXAST_RAW_RESUBMIT', 'NX1.0+(1)', 'uint16_t'],
  ['NXAST_RAW_RESUBMIT_TABLE', 'NX1.0+(14)', { size: 16 }],
  ['NXAST_RAW_RESUBMIT_TABLE_CT', 'NX1.0+(44)', { size: 16 }],
  ['NXAST_RAW_SET_TUNNEL', 'NX1.0+(2)', 'uint32_t'],
  ['NXAST_RAW_SET_TUNNEL64', 'NX1.0+(9)', 'uint64_t'],
  ['NXAST_RAW_POP_QUEUE', 'NX1.0+(5)', 'void'],
  ['NXAST_RAW_NOTE', 'NX1.0+(8)', { size: 16, variable: true }],
  ['NXAST_RAW_MULTIPATH', 'NX1.0+(10)', { size: 32 }],
  ['NXAST_RAW_BUNDLE', 'NX1.0+(12)', { size: 32, variable: true }],
  ['NXAST_RAW_BUNDLE_LOAD', 'NX1.0+(13)', { size: 32, variable: true }],
  ['NXAST_RAW_OUTPUT_REG', 'NX1.0+(15)', { size: 24 }],
  ['NXAST_RAW_OUTPUT_REG2', 'NX1.0+(32)', { size: 24 }],
  ['NXAST_RAW_LEARN', 'NX1.0+(16)', { size: 32, variable: true }],
  ['NXAST_RAW_LEARN2', 'NX1.0+(45)', { size: 40, variable: true }],
  ['NXAST_RAW_EXIT', 'NX1.0+(17)', 'void'],
  ['NXAST_RAW_FIN_TIMEOUT', 'NX1.0+(19)', { size: 16 }],
  ['NXAST_RAW_CONTROLLER', 'NX1.0+(20)', { size: 16 }],
  ['NXAST_RAW_CONTROLLER2', 'NX1.0+(37)', { size: 16, variable: true }],
  ['NXAST_RAW_WRITE_METADATA', 'NX1.0+(22)', { size: 32 }],
  ['NXAST_RAW_STACK_PUSH', 'NX1.0+(27)', { size: 24 }],
  ['NXAST_RAW_STACK_POP', 'NX1.0+(28)', { size: 24 }],
  ['NXAST_RAW_SAMPLE', 'NX1.0+(29)', { size: 24 }],
  ['NXAST_RAW_SAMPLE2', 'NX1.0+(38)', { size: 32 }],
  ['NXAST_RAW_SAMPLE3', 'NX1.0+(41)', { size: 32 }],
  ['NXAST_RAW_CONJUNCTION', 'NX1.0+(34)', { size: 16 }],
  ['NXAST_RAW_CT', 'NX1.0+(35)', { size: 24, variable: true }],
  ['NXAST_RAW_NAT', 'NX1.0+(36)', { size: 16, variable: true }],
  ['NXAST_RAW_OUTPUT_TRUNC', 'NX1.0+(39)', { size: 16 }],
  ['NXAST_RAW_CLONE', 'NX1.0+(42)', { size: 16, variable: true }],
  ['NXAST_RAW_CT_CLEAR', 'NX1.0+(43)', 'void'],
  ['NXAST_RAW_ENCAP', 'NX1.3+(46)', { size: 16, variable: true }],
  ['NXAST_RAW_DECAP', 'NX1.3+(47)', { size: 16, variable: true }],
  ['NXAST_RAW_DEC_NSH_TTL', 'NX1.3+(48)', 'void'],
  ['NXAST_RAW_CHECK_PKT_LARGER', 'NX1.0+(49)', { size: 24, variable: true }],
  ['NXAST_RAW_DELETE_FIELD', 'NX1.0+(50)', { size: 24 }],
  ['NXAST_RAW_DEBUG_SLOW', 'NX1.0+(254)', 'void'],
  ['NXAST_RAW_DEBUG_RECIRC', 'NX1.0+(255)', 'void'],
] as const satisfies ReadonlyArray<readonly [string, string, ArgType]>;

/** A raw action name (OVS `enum ofp_raw_action_type`). */
export type RawAction = typeof RAW_ACTIONS[number][0];

/** One raw action in one OpenFlow version (OVS `struct ofpact_raw_instance`). */
export interface RawInstance {
  raw: RawAction;
  /** 0 for standard actions, else NX_VENDOR_ID or ONF_VENDOR_ID. */
  vendor: number;
  /** Action type (standard) or subtype (vendor). */
  type: number;
  version: number;
  minLen: number;
  maxLen: number;
  /** Offset and size in bytes of the integer argument; 0 when there is none. */
  argOfs: number;
  argLen: number;
}

const VENDORS: Record<string, { id: number; headerLen: number }> = {
  OF: { id: 0, headerLen: 4 },
  NX: { id: NX_VENDOR_ID, headerLen: 10 },
  ONF: { id: ONF_VENDOR_ID, headerLen: 10 },
};

const roundUp = (x: number, y: number): number => Math.ceil(x / y) * y;

const DECODE = new Map<string, RawInstance>();
const ENCODE = new Map<string, RawInstance>();
/** The first version's instance of each raw action. */
const FIRST = new Map<RawAction, RawInstance>();

for (const [raw, where, arg] of RAW_ACTIONS) {
  for (const spec of where.split(', ')) {
    const m = /^(OF|NX|ONF)1\.(\d)(\+|-1\.\d)?\((\d+)\)$/.exec(spec);
    if (!m) throw new Error(`bad raw action spec ${spec}`);
    const vendor = VENDORS[m[1]];
    const v1 = Number(m[2]) + 1;
    const v2 = m[3] === '+' ? OFP15_VERSION : m[3] ? Number(m[3].slice(3)) + 1 : v1;
    let minLen: number;
    let maxLen: number;
    let argOfs = 0;
    let argLen = 0;
    if (arg === 'void') {
      minLen = maxLen = roundUp(vendor.headerLen, OFP_ACTION_ALIGN);
    } else if (typeof arg === 'string') {
      argLen = ARG_SIZES[arg];
      argOfs = roundUp(vendor.headerLen, argLen);
      minLen = maxLen = roundUp(argOfs + argLen, OFP_ACTION_ALIGN);
    } else {
      minLen = arg.size;
      maxLen = 'variable' in arg ? 65536 - OFP_ACTION_ALIGN : arg.size;
    }
    for (let version = v1; version <= v2; version++) {
      const inst: RawInstance = { raw, vendor: vendor.id, type: Number(m[4]), version, minLen, maxLen, argOfs, argLen };
      DECODE.set(`${vendor.id}:${inst.type}:${version}`, inst);
      ENCODE.set(`${raw}:${version}`, inst);
      if (!FIRST.has(raw)) FIRST.set(raw, inst);
    }
  }
}

/** A decoded action: its raw identity, its bytes (exactly `len` of them) and its integer argument. */
export interface PulledAction {
  inst: RawInstance;
  /** The whole action. */
  body: Buffer;
  /** The integer argument (0 for struct and void actions); ≤ 32 bits, 64-bit ones are read by the decoder. */
  arg: number;
}

/**
 * Identifies and length-checks the action at the start of `buf` (OVS `ofpact_decode_raw` +
 * `ofpact_pull_raw`).
 * @param buf the rest of the action list
 * @throws OfpError OFPBAC_BAD_LEN (truncated, out of range, not a multiple of 8),
 *         OFPBAC_BAD_VENDOR (unknown vendor), OFPBAC_BAD_VENDOR_TYPE (unknown vendor subtype),
 *         OFPBAC_BAD_TYPE (unknown standard type)
 */
export function pullRawAction(buf: Buffer, version: number): PulledAction {
  if (buf.length < 8) throw new OfpError('OFPBAC_BAD_LEN', `${buf.length}-byte action is too short`);
  const type = buf.readUInt16BE(0);
  let vendor = 0;
  let subtype = type;
  if (type === OFPAT_VENDOR) {
    vendor = buf.readUInt32BE(4);
    if (vendor !== NX_VENDOR_ID && vendor !== ONF_VENDOR_ID) {
      throw new OfpError('OFPBAC_BAD_VENDOR', `unknown action vendor 0x${vendor.toString(16)}`);
    }
    if (buf.length < 16) throw new OfpError('OFPBAC_BAD_LEN', `${buf.length}-byte vendor action is too short`);
    subtype = buf.readUInt16BE(8);
  }
  const inst = DECODE.get(`${vendor}:${subtype}:${version}`);
  if (!inst) {
    throw new OfpError(vendor ? 'OFPBAC_BAD_VENDOR_TYPE' : 'OFPBAC_BAD_TYPE',
      `unknown action for vendor 0x${vendor.toString(16)} and type ${subtype} in version ${version}`);
  }
  const len = buf.readUInt16BE(2);
  if (len > buf.length) throw new OfpError('OFPBAC_BAD_LEN', `${inst.raw} length ${len} exceeds action buffer length ${buf.length}`);
  if (len < inst.minLen || len > inst.maxLen) {
    throw new OfpError('OFPBAC_BAD_LEN', `${inst.raw} length ${len} not in valid range [${inst.minLen},${inst.maxLen}]`);
  }
  if (len % OFP_ACTION_ALIGN) throw new OfpError('OFPBAC_BAD_LEN', `${inst.raw} length ${len} is not a multiple of 8`);
  const arg = inst.argLen && inst.argLen <= 4 ? buf.readUIntBE(inst.argOfs, inst.argLen) : 0;
  return { inst, body: buf.subarray(0, len), arg };
}

/**
 * Appends action `raw` in its `version` form: its minimum length, zero-filled, with the header
 * and the integer argument `arg` filled in (OVS `ofpact_put_raw`). An action that does not exist
 * in `version` is written in the form of the first version that has it, as OVS's generated
 * `put_*` helpers do for actions whose form never changes (e.g. NXAST_ENCAP in OpenFlow 1.0).
 * @returns the offset of the action in `w`
 */
export function putRaw(w: ActionWriter, version: number, raw: RawAction, arg: number | bigint = 0): number {
  const inst = ENCODE.get(`${raw}:${version}`) ?? FIRST.get(raw) as RawInstance;
  const at = w.zeros(inst.minLen);
  w.setU16(at, inst.vendor ? OFPAT_VENDOR : inst.type);
  w.setU16(at + 2, inst.minLen);
  if (inst.vendor) {
    w.setU32(at + 4, inst.vendor);
    w.setU16(at + 8, inst.type);
  }
  if (inst.argLen === 8) {
    w.setU64(at + inst.argOfs, BigInt(arg));
  } else if (inst.argLen) {
    const v = Number(arg);
    for (let i = 0; i < inst.argLen; i++) w.setU8(at + inst.argOfs + i, Math.floor(v / 2 ** (8 * (inst.argLen - 1 - i))));
  }
  return at;
}

/** Pads the action that starts at `start` to a multiple of 8 bytes and sets its length (OVS `pad_ofpat`). */
export function padAction(w: ActionWriter, start: number): void {
  w.padFrom(start, OFP_ACTION_ALIGN);
  w.setU16(start + 2, w.size - start);
}

/** What a decoder gets: the action, its version and a way to decode nested action lists. */
export interface DecodeContext {
  version: number;
  raw: RawAction;
  /** The whole action, `len` bytes. */
  body: Buffer;
  /** The integer argument of integer-argument actions (≤ 32 bits), else 0. */
  arg: number;
  /** Whether the debugging actions (debug_recirc, debug_slow) are accepted. */
  allowDebug: boolean;
  /** Decodes a nested action list (clone, ct): apply-actions only, checked as nested in `outer`. */
  nested(buf: Buffer, outer: 'ct' | undefined): Ofpact[];
}

/** Turns one wire action into an ofpact. Throws OfpError for a malformed action. */
export type ActionDecoder = (c: DecodeContext) => Ofpact;

/** What an encoder gets: the output, the version and a way to encode nested ofpacts. */
export interface EncodeContext {
  version: number;
  w: ActionWriter;
  /** Appends nested ofpacts (clone, ct, write_actions) as actions. */
  encodeList(ofpacts: readonly Ofpact[]): void;
}

/** Encoders by ofpact type. */
export type EncoderTable = { [T in Ofpact['type']]?: (a: OfpactOf<T>, c: EncodeContext) => void };
