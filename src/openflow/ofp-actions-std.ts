/**
 * Codecs of the actions that have standard OpenFlow forms (output, group, enqueue, VLAN,
 * Ethernet/IP/L4 header rewrites, MPLS, queues, TTLs, set_field and its Nicira predecessors
 * reg_load/reg_load2, reg_move/copy_field, stack push/pop, set_tunnel) and of the OpenFlow 1.1+
 * instructions that are ofpacts (meter, clear_actions, write_actions, write_metadata,
 * goto_table). Each decoder turns one raw action into the ofpact OVS makes of it; each encoder
 * writes what OVS writes for that ofpact in a given version (lib/ofp-actions.c `decode_*`,
 * `encode_*`).
 */
import {
  OFP10_VERSION, OFP11_VERSION, OFP12_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION,
  OFPP_IN_PORT, OFPP_LOCAL, OFPP_MAX, ofp10PortToOfp11, ofp11PortToOfp10,
} from './common';
import { MfField } from './meta-flow';
import { OfpError, OfpErrName } from './ofp-errors';
import { Ofpact, OfpactOf, checkOutputPort } from './ofpacts';
import {
  bitwiseGet, bitwiseOne, bitwisePut, bitwiseScan, checkSubfield, decodeOfsNbits, encodeOfsNbits, fieldFromNxm32,
  fieldHeaderBytes, fieldOf, isAllOnes, isAllZeros, mfIsValueValid, nxmHeader32, pullFieldEntry,
  pullFieldHeader, putFieldEntry,
} from './ofp-actions-fields';
import { ActionDecoder, EncodeContext, EncoderTable, RawAction, padAction, putRaw } from './ofp-actions-raw';
import type { ActionWriter } from './ofp-actions-writer';

const ETH_TYPE_VLAN_8021Q = 0x8100;
const ETH_TYPE_VLAN_8021AD = 0x88a8;
const ETH_TYPE_MPLS = 0x8847;
const ETH_TYPE_MPLS_MCAST = 0x8848;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
const VLAN_CFI = 0x1000;
const IP_DSCP_MASK = 0xfc;
const IP_ECN_MASK = 0x03;
/** `struct ofp11_instruction*` types (OpenFlow 1.1 §A.2.4, 1.3 §A.2.4). */
export const OFPIT11_GOTO_TABLE = 1;
export const OFPIT11_WRITE_METADATA = 2;
export const OFPIT11_WRITE_ACTIONS = 3;
export const OFPIT11_APPLY_ACTIONS = 4;
export const OFPIT11_CLEAR_ACTIONS = 5;
export const OFPIT13_METER = 6;
export const OFPIT11_EXPERIMENTER = 0xffff;

function bad(err: OfpErrName, detail: string): never {
  throw new OfpError(err, detail);
}

/** A copy of `len` bytes of `b` at `off`. */
function bytesAt(b: Buffer, off: number, len: number): Buffer {
  return Buffer.from(b.subarray(off, off + len));
}

/** `f`'s value from a host integer, `f.nBytes` bytes network order (OVS `put_set_field`'s value). */
function fieldValue(f: MfField, v: number | bigint): Buffer {
  const b = Buffer.alloc(f.nBytes);
  bitwisePut(BigInt(v), b, 0, Math.min(64, f.nBytes * 8));
  return b;
}

/** Appends an OFPAT_SET_FIELD setting all of `field` (OVS `put_set_field`). */
function putSetField(c: EncodeContext, field: string, value: number | bigint | Buffer): void {
  const f = fieldOf(field);
  setFieldToSetField(c, f, Buffer.isBuffer(value) ? value : fieldValue(f, value));
}

/** Appends an OFPAT_SET_FIELD action for value/mask (OVS `set_field_to_set_field`). */
function setFieldToSetField(c: EncodeContext, f: MfField, value: Buffer, mask?: Buffer): void {
  const at = putRaw(c.w, c.version, 'OFPAT_RAW12_SET_FIELD');
  c.w.truncate(at + 4);
  putFieldEntry(c.w, f, c.version, value, mask);
  padAction(c.w, at);
}

/** Appends an NXAST_REG_LOAD of `nBits` bits of `value` into `f` at `ofs` (OVS `put_reg_load`). */
function putRegLoad(w: ActionWriter, version: number, f: MfField, ofs: number, nBits: number, value: bigint): void {
  const at = putRaw(w, version, 'NXAST_RAW_REG_LOAD');
  w.setU16(at + 10, encodeOfsNbits(ofs, nBits));
  w.setU32(at + 12, nxmHeader32(f));
  w.setU64(at + 16, value);
}

/**
 * The runs of 1-bits of a set_field's mask, each at most 64 bits, with the value bits they
 * cover (OVS `next_load_segment`): one reg_load each.
 */
export function loadSegments(a: OfpactOf<'set_field'>): Array<{ ofs: number; nBits: number; value: bigint }> {
  const f = fieldOf(a.field);
  const out = [];
  let start = 0;
  while (start < f.nBits) {
    const ofs = bitwiseScan(a.mask, 1, start, f.nBits);
    if (ofs >= f.nBits) break;
    const nBits = bitwiseScan(a.mask, 0, ofs + 1, Math.min(ofs + 64, f.nBits)) - ofs;
    out.push({ ofs, nBits, value: bitwiseGet(a.value, ofs, nBits) });
    start = ofs + nBits;
  }
  return out;
}

/**
 * Encodes a set_field as Nicira reg_load(s) (OVS `set_field_to_nxast`): NXAST_REG_LOAD2 when
 * it came in so or the field has no 32-bit NXM header, else one NXAST_REG_LOAD per run of
 * mask bits.
 */
function setFieldToNxast(a: OfpactOf<'set_field'>, c: EncodeContext): void {
  const f = fieldOf(a.field);
  if (a.raw === 'NXAST_RAW_REG_LOAD2' || !nxmHeader32(f)) {
    const at = putRaw(c.w, c.version, 'NXAST_RAW_REG_LOAD2');
    c.w.truncate(at + 10);
    putFieldEntry(c.w, f, 0, a.value, a.mask);
    padAction(c.w, at);
    return;
  }
  for (const seg of loadSegments(a)) putRegLoad(c.w, c.version, f, seg.ofs, seg.nBits, seg.value);
}

/**
 * Encodes a set_field for OpenFlow 1.0/1.1 with standard actions where one exists (OVS
 * `set_field_to_legacy_openflow`), else as reg_load. The standard forms set whole fields, so the
 * mask is not consulted, as in OVS.
 */
function setFieldToLegacy(a: OfpactOf<'set_field'>, c: EncodeContext): void {
  const { w, version } = c;
  const of10 = version === OFP10_VERSION;
  switch (a.field) {
    case 'vlan_tci': {
      const tci = a.value.readUInt16BE(0);
      const vid = tci & 0x0fff;
      const pcp = tci >> 13;
      if (!(tci & VLAN_CFI)) {
        putRaw(w, version, of10 ? 'OFPAT_RAW10_STRIP_VLAN' : 'OFPAT_RAW11_POP_VLAN');
      } else if (of10) {
        putRaw(w, version, 'OFPAT_RAW10_SET_VLAN_VID', vid);
        putRaw(w, version, 'OFPAT_RAW10_SET_VLAN_PCP', pcp);
      } else {
        if (!a.flowHasVlan) putRaw(w, version, 'OFPAT_RAW11_PUSH_VLAN', ETH_TYPE_VLAN_8021Q);
        putRaw(w, version, 'OFPAT_RAW11_SET_VLAN_VID', vid);
        putRaw(w, version, 'OFPAT_RAW11_SET_VLAN_PCP', pcp);
      }
      return;
    }
    case 'vlan_vid':
      putRaw(w, version, of10 ? 'OFPAT_RAW10_SET_VLAN_VID' : 'OFPAT_RAW11_SET_VLAN_VID', a.value.readUInt16BE(0) & 0x0fff);
      return;
    case 'vlan_pcp':
      putRaw(w, version, of10 ? 'OFPAT_RAW10_SET_VLAN_PCP' : 'OFPAT_RAW11_SET_VLAN_PCP', a.value[0]);
      return;
    case 'eth_src':
    case 'eth_dst':
      w.setBytes(putRaw(w, version, a.field === 'eth_src' ? 'OFPAT_RAW_SET_DL_SRC' : 'OFPAT_RAW_SET_DL_DST') + 4, a.value);
      return;
    case 'ip_src':
    case 'ip_dst':
      putRaw(w, version, a.field === 'ip_src' ? 'OFPAT_RAW_SET_NW_SRC' : 'OFPAT_RAW_SET_NW_DST', a.value.readUInt32BE(0));
      return;
    case 'nw_tos':
      putRaw(w, version, 'OFPAT_RAW_SET_NW_TOS', a.value[0]);
      return;
    case 'ip_dscp':
      putRaw(w, version, 'OFPAT_RAW_SET_NW_TOS', (a.value[0] << 2) & 0xff);
      return;
    case 'nw_ecn':
      encodeEcn(a.value[0], c);
      return;
    case 'tcp_src':
    case 'udp_src':
      putRaw(w, version, 'OFPAT_RAW_SET_TP_SRC', a.value.readUInt16BE(0));
      return;
    case 'tcp_dst':
    case 'udp_dst':
      putRaw(w, version, 'OFPAT_RAW_SET_TP_DST', a.value.readUInt16BE(0));
      return;
    default:
      setFieldToNxast(a, c);
  }
}

function encodeEcn(ecn: number, c: EncodeContext): void {
  if (c.version === OFP10_VERSION) {
    putRegLoad(c.w, c.version, fieldOf('nw_ecn'), 0, 2, BigInt(ecn));
  } else if (c.version === OFP11_VERSION) {
    putRaw(c.w, c.version, 'OFPAT_RAW11_SET_NW_ECN', ecn);
  } else {
    putSetField(c, 'nw_ecn', ecn);
  }
}

/** Decodes OFPAT_SET_FIELD (OVS `decode_ofpat_set_field`); only OpenFlow 1.5 allows a mask. */
function decodeSetField(body: Buffer, mayMask: boolean): Ofpact {
  let e;
  try {
    e = pullFieldEntry(body, 4, mayMask);
  } catch (err) {
    if (err instanceof OfpError && err.err === 'OFPBMC_BAD_MASK') bad('OFPBAC_BAD_SET_MASK', err.message);
    throw err;
  }
  const { field: f, value, mask, next } = e;
  if (!isAllZeros(body.subarray(next))) bad('OFPBAC_BAD_SET_ARGUMENT', 'nonzero set_field padding');
  if (f.name === 'in_port_oxm') bad('OFPBAC_BAD_SET_ARGUMENT', 'set_field may not set in_port');
  if (!f.writable) bad('OFPBAC_BAD_SET_ARGUMENT', `destination field ${f.name} is not writable`);
  if (!mfIsValueValid(f, value)
    || (f.name === 'vlan_vid' && (!(mask.readUInt16BE(0) & VLAN_CFI) || !(value.readUInt16BE(0) & VLAN_CFI)))) {
    bad('OFPBAC_BAD_SET_ARGUMENT', `invalid value for set field ${f.name}`);
  }
  return { type: 'set_field', field: f.name, value, mask };
}

/** Decodes the field, bit range and padding of a copy_field/reg_move (OVS `decode_copy_field__`). */
function decodeMove(body: Buffer, srcOfs: number, dstOfs: number, nBits: number, oxmAt: number,
  raw: 'NXAST_RAW_REG_MOVE' | 'ONFACT_RAW13_COPY_FIELD'): Ofpact {
  const src = pullFieldHeader(body, oxmAt);
  const dst = pullFieldHeader(body, src.next);
  if (!isAllZeros(body.subarray(dst.next))) bad('NXBRC_MUST_BE_ZERO', 'nonzero move padding');
  const a: Ofpact = {
    type: 'reg_move', raw,
    src: { field: src.field.name, ofs: srcOfs, nBits },
    dst: { field: dst.field.name, ofs: dstOfs, nBits },
  };
  checkSubfield(a.src, undefined, false);
  checkSubfield(a.dst, undefined, true);
  return a;
}

/** Decodes a stack push/pop (OVS `decode_stack_action`). */
function decodeStack(type: 'stack_push' | 'stack_pop', body: Buffer): Ofpact {
  const h = pullFieldHeader(body, 12);
  const nBits = body.readUInt16BE(h.next);
  if (!isAllZeros(body.subarray(h.next + 2, 24))) bad('NXBRC_MUST_BE_ZERO', 'nonzero stack padding');
  const subfield = { field: h.field.name, ofs: body.readUInt16BE(10), nBits };
  checkSubfield(subfield, undefined, type === 'stack_pop');
  return { type, subfield };
}

function decodeVlanVid(vid: number, pushVlanIfNeeded: boolean): Ofpact {
  if (vid & ~0x0fff) bad('OFPBAC_BAD_ARGUMENT', `bad VLAN VID ${vid}`);
  return { type: 'set_vlan_vid', vlanVid: vid, pushVlanIfNeeded };
}

function decodeVlanPcp(pcp: number, pushVlanIfNeeded: boolean): Ofpact {
  if (pcp & ~7) bad('OFPBAC_BAD_ARGUMENT', `bad VLAN PCP ${pcp}`);
  return { type: 'set_vlan_pcp', vlanPcp: pcp, pushVlanIfNeeded };
}

/** Decoders of the standard-form actions, by raw action. */
export const STD_DECODERS: Partial<Record<RawAction, ActionDecoder>> = {
  OFPAT_RAW10_OUTPUT: ({ body }) => {
    const port = body.readUInt16BE(4);
    checkOutputPort(port, OFPP_MAX);
    return { type: 'output', port, maxLen: body.readUInt16BE(6) };
  },
  OFPAT_RAW11_OUTPUT: ({ body }) => {
    const port32 = body.readUInt32BE(4);
    const port = ofp11PortToOfp10(port32);
    if (port === undefined) bad('OFPBAC_BAD_OUT_PORT', `port ${port32} outside the supported range`);
    checkOutputPort(port, OFPP_MAX);
    return { type: 'output', port, maxLen: body.readUInt16BE(8) };
  },
  OFPAT_RAW_GROUP: ({ arg }) => ({ type: 'group', groupId: arg }),
  OFPAT_RAW10_ENQUEUE: ({ body }) => {
    const port = body.readUInt16BE(4);
    if (port >= OFPP_MAX && port !== OFPP_IN_PORT && port !== OFPP_LOCAL) bad('OFPBAC_BAD_OUT_PORT', `enqueue to port ${port}`);
    return { type: 'enqueue', port, queue: body.readUInt32BE(12) };
  },
  OFPAT_RAW10_SET_VLAN_VID: ({ arg }) => decodeVlanVid(arg, true),
  OFPAT_RAW11_SET_VLAN_VID: ({ arg }) => decodeVlanVid(arg, false),
  OFPAT_RAW10_SET_VLAN_PCP: ({ arg }) => decodeVlanPcp(arg, true),
  OFPAT_RAW11_SET_VLAN_PCP: ({ arg }) => decodeVlanPcp(arg, false),
  OFPAT_RAW10_STRIP_VLAN: () => ({ type: 'strip_vlan', raw: 'OFPAT_RAW10_STRIP_VLAN' }),
  OFPAT_RAW11_POP_VLAN: () => ({ type: 'strip_vlan', raw: 'OFPAT_RAW11_POP_VLAN' }),
  OFPAT_RAW11_PUSH_VLAN: ({ arg }) => {
    if (arg !== ETH_TYPE_VLAN_8021Q && arg !== ETH_TYPE_VLAN_8021AD) bad('OFPBAC_BAD_ARGUMENT', `push_vlan ethertype ${arg}`);
    return { type: 'push_vlan', ethertype: arg };
  },
  OFPAT_RAW_SET_DL_SRC: ({ body }) => ({ type: 'set_eth_src', mac: bytesAt(body, 4, 6) }),
  OFPAT_RAW_SET_DL_DST: ({ body }) => ({ type: 'set_eth_dst', mac: bytesAt(body, 4, 6) }),
  OFPAT_RAW_SET_NW_SRC: ({ arg }) => ({ type: 'set_ipv4_src', ipv4: arg }),
  OFPAT_RAW_SET_NW_DST: ({ arg }) => ({ type: 'set_ipv4_dst', ipv4: arg }),
  OFPAT_RAW_SET_NW_TOS: ({ arg }) => {
    if (arg & ~IP_DSCP_MASK) bad('OFPBAC_BAD_ARGUMENT', `bad DSCP ${arg}`);
    return { type: 'set_ip_dscp', dscp: arg };
  },
  OFPAT_RAW11_SET_NW_ECN: ({ arg }) => {
    if (arg & ~IP_ECN_MASK) bad('OFPBAC_BAD_ARGUMENT', `bad ECN ${arg}`);
    return { type: 'set_ip_ecn', ecn: arg };
  },
  OFPAT_RAW11_SET_NW_TTL: ({ arg }) => ({ type: 'set_ip_ttl', ttl: arg }),
  OFPAT_RAW_SET_TP_SRC: ({ arg }) => ({ type: 'set_l4_src_port', port: arg }),
  OFPAT_RAW_SET_TP_DST: ({ arg }) => ({ type: 'set_l4_dst_port', port: arg }),
  OFPAT_RAW_SET_MPLS_LABEL: ({ arg }) => ({ type: 'set_mpls_label', label: arg }),
  OFPAT_RAW_SET_MPLS_TC: ({ arg }) => ({ type: 'set_mpls_tc', tc: arg }),
  OFPAT_RAW_SET_MPLS_TTL: ({ arg }) => ({ type: 'set_mpls_ttl', ttl: arg }),
  OFPAT_RAW_DEC_MPLS_TTL: () => ({ type: 'dec_mpls_ttl' }),
  OFPAT_RAW_PUSH_MPLS: ({ arg }) => {
    if (arg !== ETH_TYPE_MPLS && arg !== ETH_TYPE_MPLS_MCAST) bad('OFPBAC_BAD_ARGUMENT', `push_mpls ethertype ${arg}`);
    return { type: 'push_mpls', ethertype: arg };
  },
  OFPAT_RAW_POP_MPLS: ({ arg }) => ({ type: 'pop_mpls', ethertype: arg }),
  OFPAT_RAW_SET_QUEUE: ({ arg }) => ({ type: 'set_queue', queueId: arg }),
  OFPAT_RAW_DEC_NW_TTL: () => ({ type: 'dec_ttl', cntIds: [0] }),
  NXAST_RAW_DEC_TTL_CNT_IDS: ({ body }) => {
    const n = body.readUInt16BE(10);
    if (!isAllZeros(body.subarray(12, 16))) bad('NXBRC_MUST_BE_ZERO', 'nonzero dec_ttl_cnt_ids padding');
    if (body.length - 16 < 2 * n) bad('OFPBAC_BAD_LEN', `dec_ttl_cnt_ids has room for ${(body.length - 16) >> 1} of ${n} ids`);
    const cntIds = Array.from({ length: n }, (_, i) => body.readUInt16BE(16 + 2 * i));
    return { type: 'dec_ttl', cntIds, raw: 'NXAST_RAW_DEC_TTL_CNT_IDS' };
  },
  OFPAT_RAW12_SET_FIELD: ({ body }) => decodeSetField(body, false),
  OFPAT_RAW15_SET_FIELD: ({ body }) => decodeSetField(body, true),
  NXAST_RAW_REG_LOAD: ({ body }) => {
    const { ofs, nBits } = decodeOfsNbits(body.readUInt16BE(10));
    const f = fieldFromNxm32(body.readUInt32BE(12));
    checkSubfield({ field: f.name, ofs, nBits }, undefined, true);
    const v = body.readBigUInt64BE(16);
    if (nBits < 64 && v >> BigInt(nBits)) bad('OFPBAC_BAD_ARGUMENT', `reg_load value does not fit in ${nBits} bits`);
    const value = Buffer.alloc(f.nBytes);
    const mask = Buffer.alloc(f.nBytes);
    bitwisePut(v, value, ofs, nBits);
    bitwiseOne(mask, ofs, nBits);
    return { type: 'set_field', field: f.name, value, mask, raw: 'NXAST_RAW_REG_LOAD' };
  },
  NXAST_RAW_REG_LOAD2: ({ body }) => {
    const { field: f, value, mask, next } = pullFieldEntry(body, 10, true);
    if (!isAllZeros(body.subarray(next))) bad('OFPBAC_BAD_SET_ARGUMENT', 'nonzero reg_load2 padding');
    if (!f.writable) bad('OFPBAC_BAD_SET_ARGUMENT', `destination field ${f.name} is not writable`);
    return { type: 'set_field', field: f.name, value, mask, raw: 'NXAST_RAW_REG_LOAD2' };
  },
  OFPAT_RAW15_COPY_FIELD: ({ body }) => decodeMove(body, body.readUInt16BE(6), body.readUInt16BE(8),
    body.readUInt16BE(4), 12, 'ONFACT_RAW13_COPY_FIELD'),
  ONFACT_RAW13_COPY_FIELD: ({ body }) => decodeMove(body, body.readUInt16BE(14), body.readUInt16BE(16),
    body.readUInt16BE(12), 20, 'ONFACT_RAW13_COPY_FIELD'),
  NXAST_RAW_REG_MOVE: ({ body }) => decodeMove(body, body.readUInt16BE(12), body.readUInt16BE(14),
    body.readUInt16BE(10), 16, 'NXAST_RAW_REG_MOVE'),
  NXAST_RAW_STACK_PUSH: ({ body }) => decodeStack('stack_push', body),
  NXAST_RAW_STACK_POP: ({ body }) => decodeStack('stack_pop', body),
  NXAST_RAW_SET_TUNNEL: ({ arg }) => ({ type: 'set_tunnel', tunId: BigInt(arg), raw: 'NXAST_RAW_SET_TUNNEL' }),
  NXAST_RAW_SET_TUNNEL64: ({ body }) => ({ type: 'set_tunnel', tunId: body.readBigUInt64BE(16), raw: 'NXAST_RAW_SET_TUNNEL64' }),
  NXAST_RAW_POP_QUEUE: () => ({ type: 'pop_queue' }),
  OFPAT_RAW15_METER: ({ arg }) => ({ type: 'meter', meterId: arg }),
  NXAST_RAW_WRITE_METADATA: ({ body }) => {
    if (!isAllZeros(body.subarray(10, 16))) bad('NXBRC_MUST_BE_ZERO', 'nonzero write_metadata padding');
    return { type: 'write_metadata', metadata: body.readBigUInt64BE(16), mask: body.readBigUInt64BE(24) };
  },
};

/** Appends an instruction header of `len` bytes (OVS `instruction_put_*`); returns its offset. */
function putInstruction(w: ActionWriter, type: number, len: number): number {
  const at = w.zeros(len);
  w.setU16(at, type);
  w.setU16(at + 2, len);
  return at;
}

function encodeVlanPush(a: { pushVlanIfNeeded: boolean; flowHasVlan?: boolean }, c: EncodeContext): void {
  if (c.version > OFP10_VERSION && a.pushVlanIfNeeded && !a.flowHasVlan) {
    putRaw(c.w, c.version, 'OFPAT_RAW11_PUSH_VLAN', ETH_TYPE_VLAN_8021Q);
  }
}

/** The L4 port field a set_l4_*_port becomes in OpenFlow 1.2+, by the match's IP protocol. */
function l4Field(proto: number | undefined, dir: 'src' | 'dst'): string | undefined {
  const name = proto === IPPROTO_TCP ? 'tcp' : proto === IPPROTO_UDP ? 'udp' : proto === IPPROTO_SCTP ? 'sctp' : undefined;
  return name && `${name}_${dir}`;
}

/** Encoders of the standard-form actions and of the instructions. */
export const STD_ENCODERS: EncoderTable = {
  output: (a, { w, version }) => {
    if (version === OFP10_VERSION) {
      const at = putRaw(w, version, 'OFPAT_RAW10_OUTPUT');
      w.setU16(at + 4, a.port);
      w.setU16(at + 6, a.maxLen);
    } else {
      const at = putRaw(w, version, 'OFPAT_RAW11_OUTPUT');
      w.setU32(at + 4, ofp10PortToOfp11(a.port));
      w.setU16(at + 8, a.maxLen);
    }
  },
  group: (a, { w, version }) => { putRaw(w, version, 'OFPAT_RAW_GROUP', a.groupId); },
  enqueue: (a, { w, version }) => {
    if (version === OFP10_VERSION) {
      const at = putRaw(w, version, 'OFPAT_RAW10_ENQUEUE');
      w.setU16(at + 4, a.port);
      w.setU32(at + 12, a.queue);
      return;
    }
    putRaw(w, version, 'OFPAT_RAW_SET_QUEUE', a.queue);
    const at = putRaw(w, version, 'OFPAT_RAW11_OUTPUT');
    w.setU32(at + 4, ofp10PortToOfp11(a.port));
    w.setU16(at + 8, 0xffff);
    putRaw(w, version, 'NXAST_RAW_POP_QUEUE');
  },
  set_vlan_vid: (a, c) => {
    encodeVlanPush(a, c);
    if (c.version === OFP10_VERSION) putRaw(c.w, c.version, 'OFPAT_RAW10_SET_VLAN_VID', a.vlanVid);
    else if (c.version === OFP11_VERSION) putRaw(c.w, c.version, 'OFPAT_RAW11_SET_VLAN_VID', a.vlanVid);
    else putSetField(c, 'vlan_vid', a.vlanVid | VLAN_CFI);
  },
  set_vlan_pcp: (a, c) => {
    encodeVlanPush(a, c);
    if (c.version === OFP10_VERSION) putRaw(c.w, c.version, 'OFPAT_RAW10_SET_VLAN_PCP', a.vlanPcp);
    else if (c.version === OFP11_VERSION) putRaw(c.w, c.version, 'OFPAT_RAW11_SET_VLAN_PCP', a.vlanPcp);
    else putSetField(c, 'vlan_pcp', a.vlanPcp);
  },
  strip_vlan: (_a, { w, version }) => {
    putRaw(w, version, version === OFP10_VERSION ? 'OFPAT_RAW10_STRIP_VLAN' : 'OFPAT_RAW11_POP_VLAN');
  },
  push_vlan: (a, { w, version }) => {
    // OpenFlow 1.0 has no push: the set_vlan_vid/pcp that follows pushes as a side effect.
    if (version !== OFP10_VERSION) putRaw(w, version, 'OFPAT_RAW11_PUSH_VLAN', a.ethertype);
  },
  set_eth_src: (a, c) => {
    if (c.version < OFP12_VERSION) c.w.setBytes(putRaw(c.w, c.version, 'OFPAT_RAW_SET_DL_SRC') + 4, a.mac);
    else putSetField(c, 'eth_src', a.mac);
  },
  set_eth_dst: (a, c) => {
    if (c.version < OFP12_VERSION) c.w.setBytes(putRaw(c.w, c.version, 'OFPAT_RAW_SET_DL_DST') + 4, a.mac);
    else putSetField(c, 'eth_dst', a.mac);
  },
  set_ipv4_src: (a, c) => {
    if (c.version < OFP12_VERSION) putRaw(c.w, c.version, 'OFPAT_RAW_SET_NW_SRC', a.ipv4);
    else putSetField(c, 'ip_src', a.ipv4);
  },
  set_ipv4_dst: (a, c) => {
    if (c.version < OFP12_VERSION) putRaw(c.w, c.version, 'OFPAT_RAW_SET_NW_DST', a.ipv4);
    else putSetField(c, 'ip_dst', a.ipv4);
  },
  set_ip_dscp: (a, c) => {
    if (c.version < OFP12_VERSION) putRaw(c.w, c.version, 'OFPAT_RAW_SET_NW_TOS', a.dscp);
    else putSetField(c, 'ip_dscp', a.dscp >> 2);
  },
  set_ip_ecn: (a, c) => encodeEcn(a.ecn, c),
  set_ip_ttl: (a, { w, version }) => {
    if (version >= OFP11_VERSION) putRaw(w, version, 'OFPAT_RAW11_SET_NW_TTL', a.ttl);
    else putRegLoad(w, version, fieldOf('nw_ttl'), 0, 8, BigInt(a.ttl));
  },
  set_l4_src_port: (a, c) => {
    const field = l4Field(a.flowIpProto, 'src');
    if (c.version >= OFP12_VERSION && field) putSetField(c, field, a.port);
    else putRaw(c.w, c.version, 'OFPAT_RAW_SET_TP_SRC', a.port);
  },
  set_l4_dst_port: (a, c) => {
    const field = l4Field(a.flowIpProto, 'dst');
    if (c.version >= OFP12_VERSION && field) putSetField(c, field, a.port);
    else putRaw(c.w, c.version, 'OFPAT_RAW_SET_TP_DST', a.port);
  },
  set_field: (a, c) => {
    if (c.version >= OFP15_VERSION) {
      setFieldToSetField(c, fieldOf(a.field), a.value, a.mask);
    } else if (a.raw === 'NXAST_RAW_REG_LOAD' || a.raw === 'NXAST_RAW_REG_LOAD2') {
      setFieldToNxast(a, c);
    } else if (c.version < OFP12_VERSION) {
      setFieldToLegacy(a, c);
    } else if (isAllOnes(a.mask)) {
      setFieldToSetField(c, fieldOf(a.field), a.value, a.mask);
    } else {
      setFieldToNxast(a, c);
    }
  },
  reg_move: (a, { w, version }) => {
    // OpenFlow 1.3 prefers NXAST_REG_MOVE over ONF's copy_field for older switches' sake.
    const src = fieldOf(a.src.field);
    const dst = fieldOf(a.dst.field);
    let at: number;
    let hdrVersion = version;
    if (version >= OFP15_VERSION) {
      at = putRaw(w, version, 'OFPAT_RAW15_COPY_FIELD');
      w.truncate(at + 12);
      w.setU16(at + 4, a.dst.nBits);
      w.setU16(at + 6, a.src.ofs);
      w.setU16(at + 8, a.dst.ofs);
    } else if (version === OFP13_VERSION && a.raw === 'ONFACT_RAW13_COPY_FIELD') {
      at = putRaw(w, version, 'ONFACT_RAW13_COPY_FIELD');
      w.truncate(at + 20);
      w.setU16(at + 12, a.dst.nBits);
      w.setU16(at + 14, a.src.ofs);
      w.setU16(at + 16, a.dst.ofs);
    } else {
      at = putRaw(w, version, 'NXAST_RAW_REG_MOVE');
      w.setU16(at + 10, a.dst.nBits);
      w.setU16(at + 12, a.src.ofs);
      w.setU16(at + 14, a.dst.ofs);
      hdrVersion = 0;
    }
    w.bytes(fieldHeaderBytes(src, hdrVersion, false));
    w.bytes(fieldHeaderBytes(dst, hdrVersion, false));
    padAction(w, at);
  },
  stack_push: (a, c) => encodeStack('NXAST_RAW_STACK_PUSH', a, c),
  stack_pop: (a, c) => encodeStack('NXAST_RAW_STACK_POP', a, c),
  dec_ttl: (a, { w, version }) => {
    if (a.raw === 'NXAST_RAW_DEC_TTL_CNT_IDS' || a.cntIds.length !== 1 || a.cntIds[0] !== 0) {
      const at = putRaw(w, version, 'NXAST_RAW_DEC_TTL_CNT_IDS');
      w.setU16(at + 10, a.cntIds.length);
      for (const id of a.cntIds) w.u16(id);
      padAction(w, at);
    } else {
      putRaw(w, version, 'OFPAT_RAW_DEC_NW_TTL');
    }
  },
  set_mpls_label: (a, c) => {
    if (c.version < OFP12_VERSION) putRaw(c.w, c.version, 'OFPAT_RAW_SET_MPLS_LABEL', a.label);
    else putSetField(c, 'mpls_label', a.label);
  },
  set_mpls_tc: (a, c) => {
    if (c.version < OFP12_VERSION) putRaw(c.w, c.version, 'OFPAT_RAW_SET_MPLS_TC', a.tc);
    else putSetField(c, 'mpls_tc', a.tc);
  },
  set_mpls_ttl: (a, { w, version }) => { putRaw(w, version, 'OFPAT_RAW_SET_MPLS_TTL', a.ttl); },
  dec_mpls_ttl: (_a, { w, version }) => { putRaw(w, version, 'OFPAT_RAW_DEC_MPLS_TTL'); },
  push_mpls: (a, { w, version }) => { putRaw(w, version, 'OFPAT_RAW_PUSH_MPLS', a.ethertype); },
  pop_mpls: (a, { w, version }) => { putRaw(w, version, 'OFPAT_RAW_POP_MPLS', a.ethertype); },
  set_tunnel: (a, c) => {
    if (c.version >= OFP12_VERSION) putSetField(c, 'tun_id', a.tunId);
    else if (a.tunId <= 0xffffffffn && a.raw !== 'NXAST_RAW_SET_TUNNEL64') putRaw(c.w, c.version, 'NXAST_RAW_SET_TUNNEL', a.tunId);
    else putRaw(c.w, c.version, 'NXAST_RAW_SET_TUNNEL64', a.tunId);
  },
  set_queue: (a, { w, version }) => { putRaw(w, version, 'OFPAT_RAW_SET_QUEUE', a.queueId); },
  pop_queue: (_a, { w, version }) => { putRaw(w, version, 'NXAST_RAW_POP_QUEUE'); },
  meter: (a, { w, version }) => {
    if (version === OFP13_VERSION || version === OFP14_VERSION) {
      w.setU32(putInstruction(w, OFPIT13_METER, 8) + 4, a.meterId);
    } else if (version >= OFP15_VERSION) {
      putRaw(w, version, 'OFPAT_RAW15_METER', a.meterId);
    }
  },
  clear_actions: (_a, { w, version }) => {
    if (version > OFP10_VERSION) putInstruction(w, OFPIT11_CLEAR_ACTIONS, 8);
  },
  write_actions: (a, c) => {
    if (c.version === OFP10_VERSION) return;
    const at = putInstruction(c.w, OFPIT11_WRITE_ACTIONS, 8);
    c.encodeList(a.actions);
    finishInstructionActions(c.w, at);
  },
  write_metadata: (a, { w, version }) => {
    const at = version === OFP10_VERSION ? putRaw(w, version, 'NXAST_RAW_WRITE_METADATA')
      : putInstruction(w, OFPIT11_WRITE_METADATA, 24);
    w.setU64(at + (version === OFP10_VERSION ? 16 : 8), a.metadata);
    w.setU64(at + (version === OFP10_VERSION ? 24 : 16), a.mask);
  },
  goto_table: (a, { w, version }) => {
    if (version === OFP10_VERSION) {
      const at = putRaw(w, version, 'NXAST_RAW_RESUBMIT_TABLE');
      w.setU16(at + 10, OFPP_IN_PORT);
      w.setU8(at + 12, a.tableId);
    } else {
      w.setU8(putInstruction(w, OFPIT11_GOTO_TABLE, 8) + 4, a.tableId);
    }
  },
};

function encodeStack(raw: RawAction, a: OfpactOf<'stack_push' | 'stack_pop'>, { w, version }: EncodeContext): void {
  const at = putRaw(w, version, raw);
  w.setU16(at + 10, a.subfield.ofs);
  const hdr = fieldHeaderBytes(fieldOf(a.subfield.field), 0, false);
  w.setBytes(at + 12, hdr);
  w.setU16(at + 12 + hdr.length, a.subfield.nBits);
}

/**
 * Sets the length of the Apply-Actions or Write-Actions instruction at `at`, whose actions run
 * to the end of `w`, or removes it if it holds no action (OVS
 * `ofpacts_update_instruction_actions`).
 */
export function finishInstructionActions(w: ActionWriter, at: number): void {
  if (w.size > at + 8) w.setU16(at + 2, w.size - at);
  else w.truncate(at);
}

/** Starts an Apply-Actions instruction; returns its offset for {@link finishInstructionActions}. */
export function startApplyActions(w: ActionWriter): number {
  return putInstruction(w, OFPIT11_APPLY_ACTIONS, 8);
}
