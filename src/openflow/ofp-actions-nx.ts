/**
 * Codecs of the Nicira extension actions that have no standard form: controller/controller2,
 * output_reg(2), output_trunc, resubmit, note, exit, fin_timeout, conjunction, sample(2,3),
 * bundle(_load), multipath, learn(2), ct, nat, ct_clear, clone, check_pkt_larger, encap, decap,
 * dec_nsh_ttl, delete_field and the debugging actions (OVS lib/ofp-actions.c `decode_NXAST_*`,
 * `encode_*`; nicira-ext.h and ofp-actions.c for the structures).
 */
import { OFPP_CONTROLLER, OFPP_MAX, OFPP_NONE } from './common';
import { OfpError, OfpErrName } from './ofp-errors';
import {
  EncapProp, LearnSpec, MfSubfield, NX_ACTION_SAMPLE_DEFAULT, NX_ACTION_SAMPLE_EGRESS,
  NX_BD_ALG_ACTIVE_BACKUP, NX_BD_ALG_HRW, NX_CTLR_NO_METER, NX_CT_F_COMMIT, NX_CT_F_FORCE,
  NX_HASH_FIELDS_ETH_SRC, NX_HASH_FIELDS_SYMMETRIC_L3, NX_LEARN_DST_LOAD, NX_LEARN_DST_MASK,
  NX_LEARN_DST_MATCH, NX_LEARN_DST_OUTPUT, NX_LEARN_F_DELETE_LEARNED, NX_LEARN_F_SEND_FLOW_REM,
  NX_LEARN_F_WRITE_RESULT, NX_LEARN_N_BITS_MASK, NX_LEARN_SRC_FIELD, NX_LEARN_SRC_MASK,
  NX_MP_ALG_ITER_HASH, NX_NAT_F_DST, NX_NAT_F_MASK, NX_NAT_F_PROTO_HASH, NX_NAT_F_PROTO_RANDOM,
  NX_NAT_F_SRC, OFPPPC_NSH, OFPPPT_PROP_NSH_MDTYPE, OFPPPT_PROP_NSH_TLV, OFPR_ACTION, Ofpact,
  OfpactOf, PT_ETH, PT_MPLS, PT_MPLS_MC, PT_NSH, checkOutputPort,
} from './ofpacts';
import {
  checkSubfield, decodeOfsNbits, encodeOfsNbits, fieldFromNxm32, fieldHeaderBytes, fieldOf,
  isAllZeros, nxmHeader32, pullFieldHeader,
} from './ofp-actions-fields';
import { ActionDecoder, EncodeContext, EncoderTable, RawAction, padAction, putRaw } from './ofp-actions-raw';

/** NXM_OF_IN_PORT: the only member type bundle actions support. */
const NXM_OF_IN_PORT = 0x00000002;
/** `BUNDLE_MAX_MEMBERS`. */
const BUNDLE_MAX_MEMBERS = 2048;
/** `ETH_HEADER_LEN`: output_trunc may not truncate below an Ethernet header. */
const ETH_HEADER_LEN = 14;

/** `enum nx_action_controller2_prop_type`. */
const NXAC2PT_MAX_LEN = 0;
const NXAC2PT_CONTROLLER_ID = 1;
const NXAC2PT_REASON = 2;
const NXAC2PT_USERDATA = 3;
const NXAC2PT_PAUSE = 4;
const NXAC2PT_METER_ID = 5;

/** `enum nx_nat_range`: which optional NAT range fields follow. */
const NX_NAT_RANGE_IPV4_MIN = 1 << 0;
const NX_NAT_RANGE_IPV4_MAX = 1 << 1;
const NX_NAT_RANGE_IPV6_MIN = 1 << 2;
const NX_NAT_RANGE_IPV6_MAX = 1 << 3;
const NX_NAT_RANGE_PROTO_MIN = 1 << 4;
const NX_NAT_RANGE_PROTO_MAX = 1 << 5;

function bad(err: OfpErrName, detail: string): never {
  throw new OfpError(err, detail);
}

function subfield(f: { name: string }, ofsNbits: number): MfSubfield {
  return { field: f.name, ...decodeOfsNbits(ofsNbits) };
}

/**
 * Splits NXAST_CONTROLLER2's properties (OVS `ofpprop_pull`): `type(16) len(16)` then the value,
 * each padded to 8 bytes; type 0xffff introduces an experimenter property.
 * @throws OfpError OFPBPC_BAD_LEN, OFPBPC_BAD_EXPERIMENTER, OFPBPC_BAD_EXP_TYPE
 */
function* properties(b: Buffer): Generator<{ type: number; payload: Buffer }> {
  let off = 0;
  while (off < b.length) {
    if (b.length - off < 4) bad('OFPBPC_BAD_LEN', 'truncated property header');
    const len = b.readUInt16BE(off + 2);
    if (len < 4 || Math.ceil(len / 8) * 8 > b.length - off) bad('OFPBPC_BAD_LEN', `property length ${len}`);
    const type = b.readUInt16BE(off);
    if (type === 0xffff) {
      if (len < 12) bad('OFPBPC_BAD_LEN', `experimenter property length ${len}`);
      if (!b.readUInt32BE(off + 4)) bad('OFPBPC_BAD_EXPERIMENTER', 'experimenter 0');
      bad('OFPBPC_BAD_EXP_TYPE', 'unknown NXAST_RAW_CONTROLLER2 experimenter property');
    }
    yield { type, payload: b.subarray(off + 4, off + len) };
    off += Math.ceil(len / 8) * 8;
  }
}

function propU16(p: Buffer): number {
  if (p.length < 2) bad('OFPBPC_BAD_LEN', `${p.length}-byte 16-bit property`);
  return p.readUInt16BE(0);
}

function decodeController2(body: Buffer): Ofpact {
  if (!isAllZeros(body.subarray(10, 16))) bad('NXBRC_MUST_BE_ZERO', 'nonzero controller2 padding');
  const a: OfpactOf<'controller'> = {
    type: 'controller', raw: 'NXAST_RAW_CONTROLLER2', maxLen: 0xffff, controllerId: 0,
    reason: OFPR_ACTION, pause: false, userdata: Buffer.alloc(0), meterId: NX_CTLR_NO_METER,
  };
  for (const { type, payload } of properties(body.subarray(16))) {
    switch (type) {
      case NXAC2PT_MAX_LEN: a.maxLen = propU16(payload); break;
      case NXAC2PT_CONTROLLER_ID: a.controllerId = propU16(payload); break;
      case NXAC2PT_REASON:
        if (payload.length < 1) bad('OFPBPC_BAD_LEN', 'empty reason property');
        a.reason = payload[0];
        break;
      case NXAC2PT_USERDATA: a.userdata = Buffer.from(payload); break;
      case NXAC2PT_PAUSE: a.pause = true; break;
      case NXAC2PT_METER_ID:
        if (payload.length !== 4) bad('OFPBPC_BAD_LEN', `${payload.length}-byte meter_id property`);
        a.meterId = payload.readUInt32BE(0);
        break;
      default: bad('OFPBPC_BAD_TYPE', `unknown NXAST_RAW_CONTROLLER2 property type ${type}`);
    }
  }
  return a;
}

/** Checks a bundle's destination and members (OVS `bundle_check` without a match). */
export function checkBundleMembers(members: readonly number[], maxPorts: number): void {
  for (const port of members) {
    if (port !== OFPP_NONE) checkOutputPort(port, maxPorts);
    if (port === OFPP_CONTROLLER) bad('OFPBAC_BAD_OUT_PORT', 'unsupported controller member');
  }
}

/** Decodes NXAST_BUNDLE and NXAST_BUNDLE_LOAD (OVS `decode_bundle`), keeping its error precedence. */
function decodeBundle(body: Buffer, load: boolean): Ofpact {
  const algorithm = body.readUInt16BE(10);
  const fields = body.readUInt16BE(12);
  const n = body.readUInt16BE(20);
  let error: OfpErrName | undefined = 'OFPBAC_BAD_ARGUMENT';
  if (fields >= NX_HASH_FIELDS_ETH_SRC && fields <= NX_HASH_FIELDS_SYMMETRIC_L3 && n <= BUNDLE_MAX_MEMBERS
    && (algorithm === NX_BD_ALG_HRW || algorithm === NX_BD_ALG_ACTIVE_BACKUP)
    && body.readUInt32BE(16) === NXM_OF_IN_PORT) {
    error = undefined;
  }
  if (!isAllZeros(body.subarray(28, 32))) error = 'OFPBAC_BAD_ARGUMENT';
  const a: OfpactOf<'bundle'> = { type: 'bundle', algorithm, fields, basis: body.readUInt16BE(14), members: [] };
  if (load) {
    a.dst = subfield(fieldFromNxm32(body.readUInt32BE(24)), body.readUInt16BE(22));
    if (a.dst.nBits < 16) error = 'OFPBAC_BAD_ARGUMENT';
  } else if (body.readUInt16BE(22) || body.readUInt32BE(24)) {
    error = 'OFPBAC_BAD_ARGUMENT';
  }
  if (body.length - 32 < 2 * n) {
    error = 'OFPBAC_BAD_LEN';
  } else {
    for (let i = 0; i < n; i++) a.members.push(body.readUInt16BE(32 + 2 * i));
  }
  if (error) bad(error, 'bad bundle action');
  if (a.dst) checkSubfield(a.dst, undefined, true);
  checkBundleMembers(a.members, OFPP_MAX);
  return a;
}

/** OVS `log_2_ceil`. */
function log2Ceil(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

/** Bytes of a learn spec's arguments after its header (OVS `learn_min_len`). */
function learnMinLen(header: number): number {
  const nBits = header & NX_LEARN_N_BITS_MASK;
  let len = (header & NX_LEARN_SRC_MASK) === NX_LEARN_SRC_FIELD ? 6 : 2 * Math.ceil(nBits / 16);
  const dst = header & NX_LEARN_DST_MASK;
  if (dst === NX_LEARN_DST_MATCH || dst === NX_LEARN_DST_LOAD) len += 6;
  return len;
}

/** Decodes the flow_mod_specs of a learn action from `off` to the end (OVS `decode_LEARN_specs`). */
function decodeLearnSpecs(body: Buffer, off: number): LearnSpec[] {
  const specs: LearnSpec[] = [];
  let p = off;
  const sub = (nBits: number): MfSubfield => {
    const f = fieldFromNxm32(body.readUInt32BE(p));
    const sf = { field: f.name, ofs: body.readUInt16BE(p + 4), nBits };
    p += 6;
    return sf;
  };
  while (p !== body.length) {
    const header = body.readUInt16BE(p);
    p += 2;
    if (!header) break;
    const spec: LearnSpec = {
      srcType: header & NX_LEARN_SRC_MASK, dstType: header & NX_LEARN_DST_MASK, nBits: header & NX_LEARN_N_BITS_MASK,
    };
    if (!(spec.dstType === NX_LEARN_DST_MATCH || spec.dstType === NX_LEARN_DST_LOAD
      || (spec.dstType === NX_LEARN_DST_OUTPUT && spec.srcType === NX_LEARN_SRC_FIELD))) {
      bad('OFPBAC_BAD_ARGUMENT', `bad learn spec header 0x${header.toString(16)}`);
    }
    if (body.length - p < learnMinLen(header)) bad('OFPBAC_BAD_LEN', 'learn spec overruns the action');
    if (spec.srcType === NX_LEARN_SRC_FIELD) {
      spec.src = sub(spec.nBits);
    } else {
      p += 2 * Math.ceil(spec.nBits / 16);
      spec.imm = Buffer.from(body.subarray(p - Math.ceil(spec.nBits / 8), p));
    }
    if (spec.dstType === NX_LEARN_DST_MATCH || spec.dstType === NX_LEARN_DST_LOAD) spec.dst = sub(spec.nBits);
    specs.push(spec);
  }
  if (!isAllZeros(body.subarray(p))) bad('OFPBAC_BAD_ARGUMENT', 'nonzero bytes after learn specs');
  return specs;
}

/** Decodes the part NXAST_LEARN and NXAST_LEARN2 share (OVS `decode_LEARN_common`). */
function decodeLearnCommon(body: Buffer, raw: 'NXAST_RAW_LEARN' | 'NXAST_RAW_LEARN2', allowedFlags: number):
  OfpactOf<'learn'> {
  if (body[27]) bad('OFPBAC_BAD_ARGUMENT', 'nonzero learn padding');
  const a: OfpactOf<'learn'> = {
    type: 'learn', raw, idleTimeout: body.readUInt16BE(10), hardTimeout: body.readUInt16BE(12),
    priority: body.readUInt16BE(14), cookie: body.readBigUInt64BE(16), flags: body.readUInt16BE(24),
    tableId: body[26], finIdleTimeout: body.readUInt16BE(28), finHardTimeout: body.readUInt16BE(30),
    limit: 0, specs: [],
  };
  if (a.tableId === 0xff) bad('OFPBAC_BAD_ARGUMENT', 'learn to table 255');
  if (a.flags & ~allowedFlags) bad('OFPBAC_BAD_ARGUMENT', `learn flags 0x${a.flags.toString(16)}`);
  return a;
}

/** Reads one NAT range option (OVS `NX_NAT_GET_OPT`); undefined when too few bytes remain. */
class NatOpts {
  private off = 16;
  constructor(private readonly body: Buffer) {}
  take(n: number): Buffer | undefined {
    if (this.body.length - this.off < n) return undefined;
    const b = Buffer.from(this.body.subarray(this.off, this.off + n));
    this.off += n;
    return b;
  }
}

function decodeNat(body: Buffer): Ofpact {
  const flags = body.readUInt16BE(12);
  const present = body.readUInt16BE(14);
  const fail = (): never => bad('OFPBAC_BAD_ARGUMENT', 'bad nat action');
  if ((flags & ~NX_NAT_F_MASK) || ((flags & NX_NAT_F_SRC) && (flags & NX_NAT_F_DST))
    || ((flags & NX_NAT_F_PROTO_HASH) && (flags & NX_NAT_F_PROTO_RANDOM))) fail();
  const a: OfpactOf<'nat'> = {
    type: 'nat', flags, rangeAf: 'unspec', addrMin: Buffer.alloc(0), addrMax: Buffer.alloc(0), protoMin: 0, protoMax: 0,
  };
  const opts = new NatOpts(body);
  const range = (len: number, maxBit: number): void => {
    const min = opts.take(len);
    if (!min || isAllZeros(min)) fail();
    a.addrMin = min as Buffer;
    a.addrMax = Buffer.alloc(len);
    a.rangeAf = len === 4 ? 'inet' : 'inet6';
    if (present & maxBit) {
      const max = opts.take(len);
      if (!max || Buffer.compare(max, a.addrMin) < 0) fail();
      a.addrMax = max as Buffer;
    }
  };
  if (present & NX_NAT_RANGE_IPV4_MIN) {
    if (present & (NX_NAT_RANGE_IPV6_MIN | NX_NAT_RANGE_IPV6_MAX)) fail();
    range(4, NX_NAT_RANGE_IPV4_MAX);
  } else if (present & NX_NAT_RANGE_IPV4_MAX) {
    fail();
  } else if (present & NX_NAT_RANGE_IPV6_MIN) {
    range(16, NX_NAT_RANGE_IPV6_MAX);
  } else if (present & NX_NAT_RANGE_IPV6_MAX) {
    fail();
  }
  if (present & NX_NAT_RANGE_PROTO_MIN) {
    if (a.rangeAf === 'unspec') fail();
    const min = opts.take(2);
    if (!min || !min.readUInt16BE(0)) fail();
    a.protoMin = (min as Buffer).readUInt16BE(0);
    if (present & NX_NAT_RANGE_PROTO_MAX) {
      const max = opts.take(2);
      if (!max) fail();
      a.protoMax = (max as Buffer).readUInt16BE(0);
      if (a.protoMax < a.protoMin) fail();
    }
  } else if (present & NX_NAT_RANGE_PROTO_MAX) {
    fail();
  }
  return a;
}

function decodeCt(body: Buffer, nested: (buf: Buffer, outer: 'ct') => Ofpact[]): Ofpact {
  const flags = body.readUInt16BE(10);
  if ((flags & NX_CT_F_FORCE) && !(flags & NX_CT_F_COMMIT)) bad('OFPBAC_BAD_ARGUMENT', 'ct force without commit');
  const a: OfpactOf<'ct'> = {
    type: 'ct', flags, zoneImm: 0, alg: body.readUInt16BE(22), recircTable: body[18], actions: [],
  };
  const zoneSrc = body.readUInt32BE(12);
  if (zoneSrc) {
    a.zoneSrc = subfield(fieldFromNxm32(zoneSrc), body.readUInt16BE(16));
    checkSubfield(a.zoneSrc, undefined, false);
    if (a.zoneSrc.nBits !== 16) bad('OFPBAC_BAD_SET_LEN', `zone n_bits ${a.zoneSrc.nBits} not within valid range [16..16]`);
  } else {
    a.zoneImm = body.readUInt16BE(16);
  }
  a.actions = nested(body.subarray(24), 'ct');
  if (a.actions.length && !(flags & NX_CT_F_COMMIT)
    && a.actions.some((n) => n.type !== 'nat' || n.flags || n.rangeAf !== 'unspec')) {
    bad('OFPBAC_BAD_ARGUMENT', 'CT action requires commit flag if actions other than NAT without arguments are specified');
  }
  return a;
}

/** Decodes encap properties (OVS `decode_ed_prop`). */
function decodeEncapProps(b: Buffer): EncapProp[] {
  const props: EncapProp[] = [];
  let off = 0;
  while (off < b.length) {
    const remaining = b.length - off;
    const cls = b.readUInt16BE(off);
    const type = b[off + 2];
    const len = b[off + 3];
    const padded = Math.ceil(len / 8) * 8;
    if (len < 4 || padded > remaining) bad('OFPBAC_BAD_LEN', `encap property length ${len}`);
    if (cls !== OFPPPC_NSH) bad('NXBAC_UNKNOWN_ED_PROP', `encap property class ${cls}`);
    if (type === OFPPPT_PROP_NSH_MDTYPE) {
      if (len > 8) bad('NXBAC_BAD_ED_PROP', `md_type property length ${len}`);
      props.push({ propClass: OFPPPC_NSH, type: OFPPPT_PROP_NSH_MDTYPE, mdType: b[off + 4] });
    } else if (type === OFPPPT_PROP_NSH_TLV) {
      const tlvLen = b[off + 7];
      const tlvPad = Math.ceil(tlvLen / 8) * 8;
      if (len !== 8 + tlvPad) bad('NXBAC_BAD_ED_PROP', `tlv property length ${len}`);
      props.push({
        propClass: OFPPPC_NSH, type: OFPPPT_PROP_NSH_TLV, tlvClass: b.readUInt16BE(off + 4),
        tlvType: b[off + 6], tlvLen, data: Buffer.from(b.subarray(off + 8, off + 8 + tlvPad)),
      });
    } else {
      bad('NXBAC_UNKNOWN_ED_PROP', `NSH encap property type ${type}`);
    }
    off += padded;
  }
  return props;
}

function debugAction(type: 'debug_recirc' | 'debug_slow', allowDebug: boolean): Ofpact {
  if (!allowDebug) bad('OFPBAC_BAD_VENDOR_TYPE', `${type} needs --enable-dummy`);
  return { type };
}

function decodeResubmitTable(body: Buffer, ct: boolean): Ofpact {
  if (body[13] || body[14] || body[15]) bad('OFPBAC_BAD_ARGUMENT', 'nonzero resubmit padding');
  return {
    type: 'resubmit', inPort: body.readUInt16BE(10), tableId: body[12], withCtOrig: ct,
    raw: ct ? 'NXAST_RAW_RESUBMIT_TABLE_CT' : 'NXAST_RAW_RESUBMIT_TABLE',
  };
}

function decodeSample2(body: Buffer, raw: 'NXAST_RAW_SAMPLE2' | 'NXAST_RAW_SAMPLE3', direction: number): Ofpact {
  const a: Ofpact = {
    type: 'sample', raw, probability: body.readUInt16BE(10), collectorSetId: body.readUInt32BE(12),
    obsDomainId: body.readUInt32BE(16), obsPointId: body.readUInt32BE(20), samplingPort: body.readUInt16BE(24),
    direction,
  };
  if (!a.probability) bad('OFPBAC_BAD_ARGUMENT', 'sample probability 0');
  return a;
}

/** Decoders of the Nicira extension actions, by raw action. */
export const NX_DECODERS: Partial<Record<RawAction, ActionDecoder>> = {
  NXAST_RAW_CONTROLLER: ({ body }) => ({
    type: 'controller', raw: 'NXAST_RAW_CONTROLLER', maxLen: body.readUInt16BE(10),
    controllerId: body.readUInt16BE(12), reason: body[14], pause: false, userdata: Buffer.alloc(0),
    meterId: NX_CTLR_NO_METER,
  }),
  NXAST_RAW_CONTROLLER2: ({ body }) => decodeController2(body),
  NXAST_RAW_OUTPUT_REG: ({ body }) => {
    if (!isAllZeros(body.subarray(18, 24))) bad('OFPBAC_BAD_ARGUMENT', 'nonzero output_reg padding');
    const src = subfield(fieldFromNxm32(body.readUInt32BE(12)), body.readUInt16BE(10));
    checkSubfield(src, undefined, false);
    return { type: 'output_reg', raw: 'NXAST_RAW_OUTPUT_REG', src, maxLen: body.readUInt16BE(16) };
  },
  NXAST_RAW_OUTPUT_REG2: ({ body }) => {
    const h = pullFieldHeader(body, 14);
    if (!isAllZeros(body.subarray(h.next))) bad('NXBRC_MUST_BE_ZERO', 'nonzero output_reg2 padding');
    const src = subfield(h.field, body.readUInt16BE(10));
    checkSubfield(src, undefined, false);
    return { type: 'output_reg', raw: 'NXAST_RAW_OUTPUT_REG2', src, maxLen: body.readUInt16BE(12) };
  },
  NXAST_RAW_OUTPUT_TRUNC: ({ body }) => {
    const maxLen = body.readUInt32BE(12);
    if (maxLen < ETH_HEADER_LEN) bad('OFPBAC_BAD_ARGUMENT', `output_trunc max_len ${maxLen}`);
    return { type: 'output_trunc', port: body.readUInt16BE(10), maxLen };
  },
  NXAST_RAW_RESUBMIT: ({ arg }) => ({ type: 'resubmit', raw: 'NXAST_RAW_RESUBMIT', inPort: arg, tableId: 0xff, withCtOrig: false }),
  NXAST_RAW_RESUBMIT_TABLE: ({ body }) => decodeResubmitTable(body, false),
  NXAST_RAW_RESUBMIT_TABLE_CT: ({ body }) => decodeResubmitTable(body, true),
  NXAST_RAW_NOTE: ({ body }) => ({ type: 'note', data: Buffer.from(body.subarray(10)) }),
  NXAST_RAW_EXIT: () => ({ type: 'exit' }),
  NXAST_RAW_FIN_TIMEOUT: ({ body }) => ({
    type: 'fin_timeout', finIdleTimeout: body.readUInt16BE(10), finHardTimeout: body.readUInt16BE(12),
  }),
  NXAST_RAW_CONJUNCTION: ({ body }) => {
    const clause = body[10];
    const nClauses = body[11];
    if (nClauses < 2 || nClauses > 64 || clause >= nClauses) bad('NXBAC_BAD_CONJUNCTION', `conjunction clause ${clause}/${nClauses}`);
    return { type: 'conjunction', id: body.readUInt32BE(12), clause, nClauses };
  },
  NXAST_RAW_SAMPLE: ({ body }) => {
    const a: Ofpact = {
      type: 'sample', raw: 'NXAST_RAW_SAMPLE', probability: body.readUInt16BE(10),
      collectorSetId: body.readUInt32BE(12), obsDomainId: body.readUInt32BE(16), obsPointId: body.readUInt32BE(20),
      samplingPort: OFPP_NONE, direction: NX_ACTION_SAMPLE_DEFAULT,
    };
    if (!a.probability) bad('OFPBAC_BAD_ARGUMENT', 'sample probability 0');
    return a;
  },
  NXAST_RAW_SAMPLE2: ({ body }) => decodeSample2(body, 'NXAST_RAW_SAMPLE2', NX_ACTION_SAMPLE_DEFAULT),
  NXAST_RAW_SAMPLE3: ({ body }) => {
    if (!isAllZeros(body.subarray(27, 32))) bad('NXBRC_MUST_BE_ZERO', 'nonzero sample3 padding');
    if (body[26] > NX_ACTION_SAMPLE_EGRESS) bad('OFPBAC_BAD_ARGUMENT', `sample direction ${body[26]}`);
    return decodeSample2(body, 'NXAST_RAW_SAMPLE3', body[26]);
  },
  NXAST_RAW_BUNDLE: ({ body }) => decodeBundle(body, false),
  NXAST_RAW_BUNDLE_LOAD: ({ body }) => decodeBundle(body, true),
  NXAST_RAW_MULTIPATH: ({ body }) => {
    const a: OfpactOf<'multipath'> = {
      type: 'multipath', fields: body.readUInt16BE(10), basis: body.readUInt16BE(12),
      algorithm: body.readUInt16BE(16), maxLink: body.readUInt16BE(18), arg: body.readUInt32BE(20),
      dst: subfield(fieldFromNxm32(body.readUInt32BE(28)), body.readUInt16BE(26)),
    };
    if (a.fields > NX_HASH_FIELDS_SYMMETRIC_L3) bad('OFPBAC_BAD_ARGUMENT', `unsupported fields ${a.fields}`);
    if (a.algorithm > NX_MP_ALG_ITER_HASH) bad('OFPBAC_BAD_ARGUMENT', `unsupported algorithm ${a.algorithm}`);
    if (a.dst.nBits < log2Ceil(a.maxLink + 1)) bad('OFPBAC_BAD_ARGUMENT', `multipath needs more bits for ${a.maxLink + 1} links`);
    checkSubfield(a.dst, undefined, true);
    return a;
  },
  NXAST_RAW_LEARN: ({ body }) => {
    const a = decodeLearnCommon(body, 'NXAST_RAW_LEARN', NX_LEARN_F_SEND_FLOW_REM | NX_LEARN_F_DELETE_LEARNED);
    a.specs = decodeLearnSpecs(body, 32);
    return a;
  },
  NXAST_RAW_LEARN2: ({ body }) => {
    if (body.readUInt16BE(38)) bad('NXBAC_MUST_BE_ZERO', 'nonzero learn2 padding');
    const a = decodeLearnCommon(body, 'NXAST_RAW_LEARN2',
      NX_LEARN_F_SEND_FLOW_REM | NX_LEARN_F_DELETE_LEARNED | NX_LEARN_F_WRITE_RESULT);
    a.limit = body.readUInt32BE(32);
    let off = 40;
    if (a.flags & NX_LEARN_F_WRITE_RESULT) {
      const h = pullFieldHeader(body, 40);
      if (!h.field.writable) bad('OFPBAC_BAD_SET_ARGUMENT', `learn result field ${h.field.name} is not writable`);
      a.resultDst = { field: h.field.name, ofs: body.readUInt16BE(36), nBits: 1 };
      off = h.next;
    } else if (body.readUInt16BE(36)) {
      bad('OFPBAC_BAD_ARGUMENT', 'learn result offset without result field');
    }
    a.specs = decodeLearnSpecs(body, off);
    return a;
  },
  NXAST_RAW_CT: ({ body, nested }) => decodeCt(body, nested),
  NXAST_RAW_NAT: ({ body }) => decodeNat(body),
  NXAST_RAW_CT_CLEAR: () => ({ type: 'ct_clear' }),
  NXAST_RAW_CLONE: ({ body, nested }) => ({ type: 'clone', actions: nested(body.subarray(16), undefined) }),
  NXAST_RAW_CHECK_PKT_LARGER: ({ body }) => {
    const h = pullFieldHeader(body, 14);
    if (!isAllZeros(body.subarray(h.next))) bad('NXBRC_MUST_BE_ZERO', 'nonzero check_pkt_larger padding');
    const dst = { field: h.field.name, ofs: body.readUInt16BE(12), nBits: 1 };
    checkSubfield(dst, undefined, true);
    return { type: 'check_pkt_larger', pktLen: body.readUInt16BE(10), dst };
  },
  NXAST_RAW_ENCAP: ({ body }) => {
    const newPktType = body.readUInt32BE(12);
    if (![PT_ETH, PT_NSH, PT_MPLS, PT_MPLS_MC].includes(newPktType)) {
      bad('NXBAC_BAD_HEADER_TYPE', `encap packet type 0x${newPktType.toString(16)}`);
    }
    return { type: 'encap', newPktType, hdrSize: body.readUInt16BE(10), props: decodeEncapProps(body.subarray(16)) };
  },
  NXAST_RAW_DECAP: ({ body }) => {
    if (body.length > 16) bad('NXBAC_UNKNOWN_ED_PROP', 'decap properties are not supported');
    return { type: 'decap', newPktType: body.readUInt32BE(12) };
  },
  NXAST_RAW_DEC_NSH_TTL: () => ({ type: 'dec_nsh_ttl' }),
  NXAST_RAW_DELETE_FIELD: ({ body }) => ({ type: 'delete_field', field: pullFieldHeader(body, 10).field.name }),
  NXAST_RAW_DEBUG_RECIRC: ({ allowDebug }) => debugAction('debug_recirc', allowDebug),
  NXAST_RAW_DEBUG_SLOW: ({ allowDebug }) => debugAction('debug_slow', allowDebug),
};

/** Appends a property `type(16) len(16) value`, padded to 8 bytes (OVS `ofpprop_put`). */
function putProperty(c: EncodeContext, type: number, value: Buffer): void {
  const at = c.w.size;
  c.w.u16(type);
  c.w.u16(4 + value.length);
  c.w.bytes(value);
  c.w.padFrom(at, 8);
}

/** A 16-bit property value: OpenFlow gives such properties length 8, so 2 bytes of padding follow. */
function u16Buf(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(v);
  return b;
}

function encodeController(a: OfpactOf<'controller'>, c: EncodeContext): void {
  const { w, version } = c;
  if (a.userdata.length || a.pause || a.meterId !== NX_CTLR_NO_METER || a.raw === 'NXAST_RAW_CONTROLLER2') {
    const at = putRaw(w, version, 'NXAST_RAW_CONTROLLER2');
    if (a.maxLen !== 0xffff) putProperty(c, NXAC2PT_MAX_LEN, u16Buf(a.maxLen));
    if (a.controllerId) putProperty(c, NXAC2PT_CONTROLLER_ID, u16Buf(a.controllerId));
    if (a.reason !== OFPR_ACTION) putProperty(c, NXAC2PT_REASON, Buffer.from([a.reason]));
    if (a.userdata.length) putProperty(c, NXAC2PT_USERDATA, a.userdata);
    if (a.pause) putProperty(c, NXAC2PT_PAUSE, Buffer.alloc(0));
    if (a.meterId !== NX_CTLR_NO_METER) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(a.meterId);
      putProperty(c, NXAC2PT_METER_ID, b);
    }
    padAction(w, at);
    return;
  }
  const at = putRaw(w, version, 'NXAST_RAW_CONTROLLER');
  w.setU16(at + 10, a.maxLen);
  w.setU16(at + 12, a.controllerId);
  w.setU8(at + 14, a.reason);
}

function encodeLearn(a: OfpactOf<'learn'>, { w, version }: EncodeContext): void {
  const two = a.raw === 'NXAST_RAW_LEARN2' || a.limit !== 0 || (a.flags & NX_LEARN_F_WRITE_RESULT) !== 0;
  const at = putRaw(w, version, two ? 'NXAST_RAW_LEARN2' : 'NXAST_RAW_LEARN');
  if (two) {
    w.setU32(at + 32, a.limit);
    w.setU16(at + 36, a.resultDst?.ofs ?? 0);
  }
  w.setU16(at + 10, a.idleTimeout);
  w.setU16(at + 12, a.hardTimeout);
  w.setU16(at + 14, a.priority);
  w.setU64(at + 16, a.cookie);
  w.setU16(at + 24, a.flags);
  w.setU8(at + 26, a.tableId);
  w.setU16(at + 28, a.finIdleTimeout);
  w.setU16(at + 30, a.finHardTimeout);
  if ((a.flags & NX_LEARN_F_WRITE_RESULT) && a.resultDst) w.bytes(fieldHeaderBytes(fieldOf(a.resultDst.field), 0, false));
  for (const spec of a.specs) {
    w.u16(spec.nBits | spec.dstType | spec.srcType);
    if (spec.srcType === NX_LEARN_SRC_FIELD) {
      w.u32(spec.src ? nxmHeader32(fieldOf(spec.src.field)) : 0);
      w.u16(spec.src?.ofs ?? 0);
    } else {
      const n = 2 * Math.ceil(spec.nBits / 16);
      const imm = spec.imm ?? Buffer.alloc(0);
      const start = w.zeros(n);
      w.setBytes(start + n - imm.length, imm);
    }
    if (spec.dstType === NX_LEARN_DST_MATCH || spec.dstType === NX_LEARN_DST_LOAD) {
      w.u32(spec.dst ? nxmHeader32(fieldOf(spec.dst.field)) : 0);
      w.u16(spec.dst?.ofs ?? 0);
    }
  }
  padAction(w, at);
}

function encodeNat(a: OfpactOf<'nat'>, { w, version }: EncodeContext): void {
  const at = putRaw(w, version, 'NXAST_RAW_NAT');
  w.setU16(at + 12, a.flags);
  let present = 0;
  if (a.rangeAf !== 'unspec') {
    const v6 = a.rangeAf === 'inet6';
    if (!isAllZeros(a.addrMin)) {
      w.bytes(a.addrMin);
      present |= v6 ? NX_NAT_RANGE_IPV6_MIN : NX_NAT_RANGE_IPV4_MIN;
    }
    if (!isAllZeros(a.addrMax)) {
      w.bytes(a.addrMax);
      present |= v6 ? NX_NAT_RANGE_IPV6_MAX : NX_NAT_RANGE_IPV4_MAX;
    }
    if (a.protoMin) {
      w.u16(a.protoMin);
      present |= NX_NAT_RANGE_PROTO_MIN;
    }
    if (a.protoMax) {
      w.u16(a.protoMax);
      present |= NX_NAT_RANGE_PROTO_MAX;
    }
  }
  padAction(w, at);
  w.setU16(at + 14, present);
}

function encodeEncap(a: OfpactOf<'encap'>, { w, version }: EncodeContext): void {
  const at = putRaw(w, version, 'NXAST_RAW_ENCAP');
  w.setU16(at + 10, a.hdrSize);
  w.setU32(at + 12, a.newPktType);
  for (const p of a.props) {
    w.u16(p.propClass);
    w.u8(p.type);
    if (p.type === OFPPPT_PROP_NSH_MDTYPE) {
      w.u8(5);
      w.u8(p.mdType);
      w.zeros(3);
    } else {
      const padded = Math.ceil(p.tlvLen / 8) * 8;
      w.u8(8 + padded);
      w.u16(p.tlvClass);
      w.u8(p.tlvType);
      w.u8(p.tlvLen);
      const start = w.zeros(padded);
      w.setBytes(start, p.data.subarray(0, padded));
    }
  }
  padAction(w, at);
}

/** Appends a vendor action holding nested actions (clone, ct) and sets its length. */
function encodeNesting(at: number, actions: readonly Ofpact[], c: EncodeContext): void {
  c.encodeList(actions);
  c.w.setU16(at + 2, c.w.size - at);
}

/** Encoders of the Nicira extension actions. */
export const NX_ENCODERS: EncoderTable = {
  controller: encodeController,
  output_reg: (a, { w, version }) => {
    const f = fieldOf(a.src.field);
    if (a.raw === 'NXAST_RAW_OUTPUT_REG2' || !nxmHeader32(f)) {
      const at = putRaw(w, version, 'NXAST_RAW_OUTPUT_REG2');
      w.setU16(at + 10, encodeOfsNbits(a.src.ofs, a.src.nBits));
      w.setU16(at + 12, a.maxLen);
      w.setBytes(at + 14, fieldHeaderBytes(f, 0, false));
    } else {
      const at = putRaw(w, version, 'NXAST_RAW_OUTPUT_REG');
      w.setU16(at + 10, encodeOfsNbits(a.src.ofs, a.src.nBits));
      w.setU32(at + 12, nxmHeader32(f));
      w.setU16(at + 16, a.maxLen);
    }
  },
  output_trunc: (a, { w, version }) => {
    const at = putRaw(w, version, 'NXAST_RAW_OUTPUT_TRUNC');
    w.setU16(at + 10, a.port);
    w.setU32(at + 12, a.maxLen);
  },
  bundle: (a, { w, version }) => {
    const at = putRaw(w, version, a.dst ? 'NXAST_RAW_BUNDLE_LOAD' : 'NXAST_RAW_BUNDLE');
    w.setU16(at + 10, a.algorithm);
    w.setU16(at + 12, a.fields);
    w.setU16(at + 14, a.basis);
    w.setU32(at + 16, NXM_OF_IN_PORT);
    w.setU16(at + 20, a.members.length);
    if (a.dst) {
      w.setU16(at + 22, encodeOfsNbits(a.dst.ofs, a.dst.nBits));
      w.setU32(at + 24, nxmHeader32(fieldOf(a.dst.field)));
    }
    for (const port of a.members) w.u16(port);
    padAction(w, at);
  },
  resubmit: (a, { w, version }) => {
    if (a.tableId === 0xff && a.raw === 'NXAST_RAW_RESUBMIT') {
      putRaw(w, version, 'NXAST_RAW_RESUBMIT', a.inPort);
      return;
    }
    const at = putRaw(w, version, a.withCtOrig ? 'NXAST_RAW_RESUBMIT_TABLE_CT' : 'NXAST_RAW_RESUBMIT_TABLE');
    w.setU16(at + 10, a.inPort);
    w.setU8(at + 12, a.tableId);
  },
  note: (a, { w, version }) => {
    const at = putRaw(w, version, 'NXAST_RAW_NOTE');
    w.truncate(at + 10);
    w.bytes(a.data);
    padAction(w, at);
  },
  exit: (_a, { w, version }) => { putRaw(w, version, 'NXAST_RAW_EXIT'); },
  fin_timeout: (a, { w, version }) => {
    const at = putRaw(w, version, 'NXAST_RAW_FIN_TIMEOUT');
    w.setU16(at + 10, a.finIdleTimeout);
    w.setU16(at + 12, a.finHardTimeout);
  },
  conjunction: (a, { w, version }) => {
    const at = putRaw(w, version, 'NXAST_RAW_CONJUNCTION');
    w.setU8(at + 10, a.clause);
    w.setU8(at + 11, a.nClauses);
    w.setU32(at + 12, a.id);
  },
  multipath: (a, { w, version }) => {
    const at = putRaw(w, version, 'NXAST_RAW_MULTIPATH');
    w.setU16(at + 10, a.fields);
    w.setU16(at + 12, a.basis);
    w.setU16(at + 16, a.algorithm);
    w.setU16(at + 18, a.maxLink);
    w.setU32(at + 20, a.arg);
    w.setU16(at + 26, encodeOfsNbits(a.dst.ofs, a.dst.nBits));
    w.setU32(at + 28, nxmHeader32(fieldOf(a.dst.field)));
  },
  sample: (a, { w, version }) => {
    const three = a.raw === 'NXAST_RAW_SAMPLE3' || a.direction !== NX_ACTION_SAMPLE_DEFAULT;
    const two = a.raw === 'NXAST_RAW_SAMPLE2' || a.samplingPort !== OFPP_NONE;
    const at = putRaw(w, version, three ? 'NXAST_RAW_SAMPLE3' : two ? 'NXAST_RAW_SAMPLE2' : 'NXAST_RAW_SAMPLE');
    w.setU16(at + 10, a.probability);
    w.setU32(at + 12, a.collectorSetId);
    w.setU32(at + 16, a.obsDomainId);
    w.setU32(at + 20, a.obsPointId);
    if (three || two) {
      w.setU16(at + 24, a.samplingPort);
      w.setU8(at + 26, a.direction);
    }
  },
  learn: encodeLearn,
  ct: (a, c) => {
    const { w, version } = c;
    const at = putRaw(w, version, 'NXAST_RAW_CT');
    w.setU16(at + 10, a.flags);
    if (a.zoneSrc) {
      w.setU32(at + 12, nxmHeader32(fieldOf(a.zoneSrc.field)));
      w.setU16(at + 16, encodeOfsNbits(a.zoneSrc.ofs, a.zoneSrc.nBits));
    } else {
      w.setU16(at + 16, a.zoneImm);
    }
    w.setU8(at + 18, a.recircTable);
    w.setU16(at + 22, a.alg);
    encodeNesting(at, a.actions, c);
  },
  nat: encodeNat,
  ct_clear: (_a, { w, version }) => { putRaw(w, version, 'NXAST_RAW_CT_CLEAR'); },
  clone: (a, c) => encodeNesting(putRaw(c.w, c.version, 'NXAST_RAW_CLONE'), a.actions, c),
  check_pkt_larger: (a, { w, version }) => {
    const at = putRaw(w, version, 'NXAST_RAW_CHECK_PKT_LARGER');
    w.setU16(at + 10, a.pktLen);
    w.setU16(at + 12, a.dst.ofs);
    w.setBytes(at + 14, fieldHeaderBytes(fieldOf(a.dst.field), 0, false));
  },
  encap: encodeEncap,
  decap: (a, { w, version }) => { w.setU32(putRaw(w, version, 'NXAST_RAW_DECAP') + 12, a.newPktType); },
  dec_nsh_ttl: (_a, { w, version }) => { putRaw(w, version, 'NXAST_RAW_DEC_NSH_TTL'); },
  delete_field: (a, { w, version }) => {
    w.setBytes(putRaw(w, version, 'NXAST_RAW_DELETE_FIELD') + 10, fieldHeaderBytes(fieldOf(a.field), 0, false));
  },
  debug_recirc: (_a, { w, version }) => { putRaw(w, version, 'NXAST_RAW_DEBUG_RECIRC'); },
  debug_slow: (_a, { w, version }) => { putRaw(w, version, 'NXAST_RAW_DEBUG_SLOW'); },
};
