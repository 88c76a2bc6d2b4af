/**
 * OpenFlow actions and instructions ↔ ofpacts, for OpenFlow 1.0–1.5 with the Nicira and ONF
 * extensions (OVS lib/ofp-actions.c `ofpacts_pull_openflow_actions`,
 * `ofpacts_pull_openflow_instructions`, `ofpacts_put_openflow_actions`,
 * `ofpacts_put_openflow_instructions`).
 *
 * Decoding maps every wire action to the ofpact OVS makes of it (e.g. OpenFlow 1.0
 * set_vlan_vid and 1.2 set_field vlan_vid), remembering the wire form where OVS sends it back
 * the same way; encoding emits what OVS emits for that ofpact in the target version, so that a
 * flow dumped by this switch prints as it prints from Open vSwitch. The per-action codecs live
 * in ./ofp-actions-std and ./ofp-actions-nx, the wire table in ./ofp-actions-raw; the context
 * checks (`checkOfpacts`) in ./ofp-actions-check.
 */
import { OFP10_VERSION, OFP15_VERSION } from './common';
import { OfpError } from './ofp-errors';
import {
  ALL_OVS_INSTRUCTIONS, OVSINST_OFPIT11_APPLY_ACTIONS, OVSINST_OFPIT11_CLEAR_ACTIONS,
  OVSINST_OFPIT11_GOTO_TABLE, OVSINST_OFPIT11_WRITE_ACTIONS, OVSINST_OFPIT11_WRITE_METADATA,
  OVSINST_OFPIT13_METER, Ofpact, isAllowedInActionSet, ovsInstructionType, verifyOfpacts,
} from './ofpacts';
import { ActionDecoder, DecodeContext, EncodeContext, EncoderTable, RawAction, pullRawAction } from './ofp-actions-raw';
import {
  OFPIT11_APPLY_ACTIONS, OFPIT11_CLEAR_ACTIONS, OFPIT11_EXPERIMENTER, OFPIT11_GOTO_TABLE,
  OFPIT11_WRITE_ACTIONS, OFPIT11_WRITE_METADATA, OFPIT13_METER, STD_DECODERS, STD_ENCODERS,
  finishInstructionActions, startApplyActions,
} from './ofp-actions-std';
import { NX_DECODERS, NX_ENCODERS } from './ofp-actions-nx';
import { ActionWriter } from './ofp-actions-writer';

export { checkOfpacts } from './ofp-actions-check';
export type { OfpactCheckContext } from './ofp-actions-check';

/** Options for decoding. */
export interface DecodeActionsOptions {
  /**
   * Accept the debugging actions debug_recirc and debug_slow, as ovs-vswitchd does when started
   * with --enable-dummy; otherwise they are OFPBAC_BAD_VENDOR_TYPE.
   */
  allowDebug?: boolean;
}

const DECODERS: Partial<Record<RawAction, ActionDecoder>> = { ...STD_DECODERS, ...NX_DECODERS };
const ENCODERS: EncoderTable = { ...STD_ENCODERS, ...NX_ENCODERS };

const APPLY_OR_METER = (1 << OVSINST_OFPIT11_APPLY_ACTIONS) | (1 << OVSINST_OFPIT13_METER);

/** Turns a sequence of wire actions into ofpacts, without the order checks (OVS `ofpacts_decode`). */
function decodeSequence(version: number, buf: Buffer, opts: DecodeActionsOptions): Ofpact[] {
  const out: Ofpact[] = [];
  let off = 0;
  while (off < buf.length) {
    const p = pullRawAction(buf.subarray(off), version);
    const decode = DECODERS[p.inst.raw] as ActionDecoder;
    const ctx: DecodeContext = {
      version, raw: p.inst.raw, body: p.body, arg: p.arg, allowDebug: opts.allowDebug === true,
      nested: (b, outer) => decodeList(version, b, 1 << OVSINST_OFPIT11_APPLY_ACTIONS, outer, opts),
    };
    out.push(decode(ctx));
    off += p.body.length;
  }
  return out;
}

/** OVS `ofpacts_pull_openflow_actions__`: length check, decode, order and nesting checks. */
function decodeList(version: number, buf: Buffer, allowed: number, outer: Ofpact['type'] | undefined,
  opts: DecodeActionsOptions): Ofpact[] {
  if (buf.length % 8) throw new OfpError('OFPBRC_BAD_LEN', `actions length ${buf.length} is not a multiple of 8`);
  const out = decodeSequence(version, buf, opts);
  verifyOfpacts(out, version, allowed, outer);
  return out;
}

/**
 * Decodes an action list (as in OpenFlow 1.0 flow_mods and every packet_out, and inside
 * Apply-Actions): OVS `ofpacts_pull_openflow_actions`. Instructions other than meter are not
 * allowed here (OpenFlow 1.0's Nicira write_metadata included).
 * @param version `ofp_header.version` of the message
 * @param buf exactly the actions, a multiple of 8 bytes
 * @throws OfpError OFPBRC_BAD_LEN (length not a multiple of 8), OFPBAC_* for a bad action
 *         (BAD_TYPE, BAD_LEN, BAD_VENDOR, BAD_VENDOR_TYPE, BAD_OUT_PORT, BAD_ARGUMENT,
 *         BAD_SET_*, …), NXBRC_MUST_BE_ZERO, OFPBMC_* for a bad field header, OFPBAC_UNSUPPORTED_ORDER,
 *         OFPBIC_UNSUP_INST
 */
export function decodeActions(version: number, buf: Buffer, opts: DecodeActionsOptions = {}): Ofpact[] {
  return decodeList(version, buf, APPLY_OR_METER, undefined, opts);
}

/** Instruction layouts by OpenFlow type: OVSINST class, fixed size or minimum (`extensible`). */
const INSTRUCTIONS = new Map<number, { inst: number; size: number; extensible: boolean }>([
  [OFPIT13_METER, { inst: OVSINST_OFPIT13_METER, size: 8, extensible: false }],
  [OFPIT11_APPLY_ACTIONS, { inst: OVSINST_OFPIT11_APPLY_ACTIONS, size: 8, extensible: true }],
  [OFPIT11_CLEAR_ACTIONS, { inst: OVSINST_OFPIT11_CLEAR_ACTIONS, size: 8, extensible: false }],
  [OFPIT11_WRITE_ACTIONS, { inst: OVSINST_OFPIT11_WRITE_ACTIONS, size: 8, extensible: true }],
  [OFPIT11_WRITE_METADATA, { inst: OVSINST_OFPIT11_WRITE_METADATA, size: 24, extensible: false }],
  [OFPIT11_GOTO_TABLE, { inst: OVSINST_OFPIT11_GOTO_TABLE, size: 8, extensible: false }],
]);

/**
 * Splits OpenFlow 1.1+ instructions into one per OVSINST class (OVS
 * `decode_openflow11_instructions`).
 * @throws OfpError OFPBIC_BAD_EXPERIMENTER, OFPBIC_UNKNOWN_INST, OFPBIC_BAD_LEN, OFPBIC_DUP_INST
 */
function splitInstructions(version: number, buf: Buffer): Array<Buffer | undefined> {
  const insts: Array<Buffer | undefined> = [];
  let off = 0;
  while (off < buf.length) {
    const len = buf.readUInt16BE(off + 2);
    if (len % 8 || len < 8 || len > buf.length - off) break;
    const type = buf.readUInt16BE(off);
    if (type === OFPIT11_EXPERIMENTER) throw new OfpError('OFPBIC_BAD_EXPERIMENTER', 'experimenter instruction');
    const info = INSTRUCTIONS.get(type);
    if (!info) throw new OfpError('OFPBIC_UNKNOWN_INST', `instruction type ${type}`);
    if (info.extensible ? len < info.size : len !== info.size) throw new OfpError('OFPBIC_BAD_LEN', `instruction ${type} length ${len}`);
    if (info.inst === OVSINST_OFPIT13_METER && version >= OFP15_VERSION) {
      throw new OfpError('OFPBIC_UNKNOWN_INST', 'meter is an action, not an instruction, in OpenFlow 1.5');
    }
    if (insts[info.inst]) throw new OfpError('OFPBIC_DUP_INST', `duplicate instruction ${type}`);
    insts[info.inst] = buf.subarray(off, off + len);
    off += len;
  }
  if (off < buf.length) throw new OfpError('OFPBIC_BAD_LEN', `bad instruction format at offset ${off}`);
  return insts;
}

/**
 * Decodes a flow's instructions into ofpacts (OVS `ofpacts_pull_openflow_instructions`). OpenFlow
 * 1.0 has no instructions: its action list is decoded with every instruction's Nicira form
 * allowed (write_metadata, goto_table as resubmit). The ofpacts come out in instruction order:
 * meter, apply-actions' actions, clear_actions, write_actions, write_metadata, goto_table.
 * @param buf exactly the instructions (OpenFlow 1.1+) or actions (1.0)
 * @throws OfpError OFPBIC_BAD_LEN, OFPBIC_BAD_EXPERIMENTER, OFPBIC_UNKNOWN_INST, OFPBIC_DUP_INST,
 *         OFPBAC_BAD_TYPE (an action not allowed in an action set), and whatever
 *         {@link decodeActions} throws
 */
export function decodeInstructions(version: number, buf: Buffer, opts: DecodeActionsOptions = {}): Ofpact[] {
  if (version === OFP10_VERSION) return decodeList(version, buf, ALL_OVS_INSTRUCTIONS, undefined, opts);
  if (buf.length % 8) throw new OfpError('OFPBIC_BAD_LEN', `instructions length ${buf.length} is not a multiple of 8`);
  const insts = splitInstructions(version, buf);
  const out: Ofpact[] = [];
  const meter = insts[OVSINST_OFPIT13_METER];
  if (meter) out.push({ type: 'meter', meterId: meter.readUInt32BE(4) });
  const apply = insts[OVSINST_OFPIT11_APPLY_ACTIONS];
  if (apply) out.push(...decodeSequence(version, apply.subarray(8), opts));
  if (insts[OVSINST_OFPIT11_CLEAR_ACTIONS]) out.push({ type: 'clear_actions' });
  const write = insts[OVSINST_OFPIT11_WRITE_ACTIONS];
  if (write) {
    const actions = decodeSequence(version, write.subarray(8), opts);
    const bad = actions.find((a) => !isAllowedInActionSet(a));
    if (bad) throw new OfpError('OFPBAC_BAD_TYPE', `${bad.type} not allowed in an action set`);
    out.push({ type: 'write_actions', actions });
  }
  const metadata = insts[OVSINST_OFPIT11_WRITE_METADATA];
  if (metadata) {
    out.push({ type: 'write_metadata', metadata: metadata.readBigUInt64BE(8), mask: metadata.readBigUInt64BE(16) });
  }
  const gotoTable = insts[OVSINST_OFPIT11_GOTO_TABLE];
  if (gotoTable) out.push({ type: 'goto_table', tableId: gotoTable[4] });
  verifyOfpacts(out, version, ALL_OVS_INSTRUCTIONS, undefined);
  return out;
}

function encodeOne(a: Ofpact, c: EncodeContext): void {
  const encode = ENCODERS[a.type] as (a: Ofpact, c: EncodeContext) => void;
  encode(a, c);
}

function context(version: number, w: ActionWriter): EncodeContext {
  const c: EncodeContext = {
    version, w,
    encodeList: (ofpacts) => { for (const a of ofpacts) encodeOne(a, c); },
  };
  return c;
}

/**
 * Encodes ofpacts as an OpenFlow action list for `version` (OVS `ofpacts_put_openflow_actions`),
 * choosing per ofpact what OVS chooses: e.g. set_field in 1.2+ but mod_nw_src in 1.0/1.1,
 * reg_load for what came in as reg_load or cannot be a 1.2–1.4 set_field, NXAST_CONTROLLER2
 * when needed. Ofpacts a version cannot express are left out (clear_actions and write_actions in
 * 1.0, meter before 1.3).
 * @returns the actions, a multiple of 8 bytes
 */
export function encodeActions(version: number, ofpacts: readonly Ofpact[]): Buffer {
  const w = new ActionWriter();
  context(version, w).encodeList(ofpacts);
  return w.toBuffer();
}

/**
 * Encodes ofpacts as OpenFlow 1.1+ instructions (OVS `ofpacts_put_openflow_instructions`):
 * runs of actions go into Apply-Actions instructions (dropped when they encode to nothing), the
 * instruction ofpacts become their instructions. For OpenFlow 1.0, the same as
 * {@link encodeActions}.
 * @returns the instructions, a multiple of 8 bytes
 */
export function encodeInstructions(version: number, ofpacts: readonly Ofpact[]): Buffer {
  if (version === OFP10_VERSION) return encodeActions(version, ofpacts);
  const w = new ActionWriter();
  const c = context(version, w);
  for (let i = 0; i < ofpacts.length;) {
    if (ovsInstructionType(ofpacts[i].type, version) !== OVSINST_OFPIT11_APPLY_ACTIONS) {
      encodeOne(ofpacts[i++], c);
      continue;
    }
    const at = startApplyActions(w);
    while (i < ofpacts.length && ovsInstructionType(ofpacts[i].type, version) === OVSINST_OFPIT11_APPLY_ACTIONS) {
      encodeOne(ofpacts[i++], c);
    }
    finishInstructionActions(w, at);
  }
  return w.toBuffer();
}
