/**
 * NXM and OXM: matches as sequences of type-length-value entries (Nicira extensions, OpenFlow
 * 1.2+ §7.2.3), and the OpenFlow 1.2+ `struct ofp_match` (type OFPMT_OXM) that wraps them.
 *
 * An entry is a 32-bit header `class:16 | field:7 | hasmask:1 | length:8`, an experimenter id
 * (4 bytes, counted in `length`) when class is 0xffff, then the value and, if hasmask, a mask
 * of the same width. Decoding follows OVS's `nx_pull_raw` (lib/nx-match.c) error for error;
 * encoding follows `nx_put_raw`: the same field order and the same choice of code point per
 * OpenFlow version, so the bytes equal what OVS would send for the same match.
 *
 * The text form (`formatNxMatch`/`parseNxMatch`) is `ovs-ofctl parse-nx-match`'s:
 * `NXM_OF_ETH_TYPE(0800), NXM_OF_IP_SRC_W(0a000000/ff000000)`.
 */
import { OfpError, OfpErrName } from './ofp-errors';
import { Match, ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_RARP, FLOW_NW_FRAG_MASK, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP,
  IPPROTO_UDP, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, flowDlType } from './match';
import {
  FLOW_LAYOUT, MF_FIELDS, MfField, MfHeader, OFPXMC12_EXPERIMENTER, PT_ETH, mfField,
  mfIsPipelineField, mfIsValueValid, readSlot, writeSlot,
} from './meta-flow';

/** `OFPMT_OXM`: the `ofp_match` type of OpenFlow 1.2+. */
export const OFPMT_OXM = 1;
/** `OFP15_VERSION`: registers are sent as 64-bit xregs from OpenFlow 1.5 on. */
const OFP15_VERSION = 0x06;

/** A decoded entry header. */
export interface NxHeader {
  oxmClass: number;
  field: number;
  hasmask: boolean;
  /** `oxm_length`: payload bytes, plus 4 for an experimenter OXM. */
  length: number;
  /** Experimenter id (class 0xffff only), else 0. */
  vendor: number;
}

/** The pseudo-field NXM_NX_COOKIE (class 1, field 30, 8 bytes): a flow cookie in NXM requests. */
const NXM_NX_COOKIE = { oxmClass: 0x0001, field: 30, length: 8 };

const headerKey = (oxmClass: number, field: number, vendor: number): string =>
  `${oxmClass}:${field}:${vendor}`;

/** Every code point by class/field/vendor and by name. */
const BY_HEADER = new Map<string, { f: MfField; h: MfHeader }>();
const BY_HEADER_NAME = new Map<string, { f: MfField; h: MfHeader }>();
for (const f of MF_FIELDS) {
  for (const h of f.headers) {
    BY_HEADER.set(headerKey(h.oxmClass, h.field, h.vendor), { f, h });
    BY_HEADER_NAME.set(h.name, { f, h });
  }
}

const explen = (oxmClass: number): number => (oxmClass === OFPXMC12_EXPERIMENTER ? 4 : 0);

/** Payload bytes after the header (and experimenter id). */
function payloadLen(h: NxHeader): number {
  return h.length - explen(h.oxmClass);
}

/** Width of the value: half the payload when masked. */
function valueLen(h: NxHeader): number {
  return h.hasmask ? Math.floor(payloadLen(h) / 2) : payloadLen(h);
}

/**
 * The field an entry header names (OVS `nxm_field_by_header`): class, field and experimenter
 * id must match a code point, and the length must be the field's (doubled when masked).
 */
export function mfFieldByHeader(h: NxHeader): MfField | undefined {
  const e = BY_HEADER.get(headerKey(h.oxmClass, h.field, h.vendor));
  if (!e) return undefined;
  const exact = h.hasmask ? Math.floor(payloadLen(h) / 2) + explen(h.oxmClass) : h.length;
  return exact === e.h.length ? e.f : undefined;
}

/** The field a 32-bit NXM/OXM header names (OVS `mf_from_nxm_header`), as in reg_load/reg_move/learn. */
export function mfFieldByNxmHeader(header: number): MfField | undefined {
  return mfFieldByHeader({ oxmClass: header >>> 16, field: (header >>> 9) & 0x7f,
    hasmask: ((header >>> 8) & 1) === 1, length: header & 0xff, vendor: 0 });
}

/** The field a code point name denotes ('NXM_NX_REG0', 'OXM_OF_IN_PORT', 'ONFOXM_ET_TCP_FLAGS'), as subfield syntax uses them. */
export function mfFieldByHeaderName(name: string): MfField | undefined {
  return BY_HEADER_NAME.get(name)?.f;
}

/**
 * The code point to use for field `f` in OpenFlow `version` (OVS `mf_oxm_header`): the newest
 * one introduced at or before `version`, NXM and extension code points counting as version 0;
 * pass 0 to prefer NXM. A field with only standard OXMs newer than `version` gets its first.
 */
export function mfHeaderFor(f: MfField, version: number): MfHeader | undefined {
  let best: MfHeader | undefined;
  for (const h of f.headers) {
    if (!best || version >= h.version) best = h;
  }
  return best;
}

/**
 * The 32-bit NXM/OXM header of field `f` preferring NXM (OVS `mf_nxm_header`), as used by
 * reg_load/reg_move/learn; 0 when the field has no 32-bit code point (none, or experimenter).
 */
export function mfNxmHeader(f: MfField): number {
  const h = mfHeaderFor(f, 0);
  if (!h || h.oxmClass === OFPXMC12_EXPERIMENTER) return 0;
  return ((h.oxmClass << 16) | (h.field << 9) | h.length) >>> 0;
}

/** Encodes an entry header (4 bytes, or 8 with the experimenter id). */
function putHeader(h: { oxmClass: number; field: number; vendor: number }, hasmask: boolean,
  nBytes: number): Buffer {
  const exp = explen(h.oxmClass);
  const buf = Buffer.alloc(4 + exp);
  buf.writeUInt32BE((((h.oxmClass << 16) | (h.field << 9) | (hasmask ? 0x100 : 0)
    | ((hasmask ? 2 * nBytes : nBytes) + exp)) >>> 0), 0);
  if (exp) buf.writeUInt32BE(h.vendor >>> 0, 4);
  return buf;
}

/**
 * The header of field `f` for OpenFlow `version` (0 = NXM), masked or not (OVS `nx_put_header`).
 * @throws Error when the field has no NXM/OXM code point
 */
export function nxPutHeader(f: MfField, version: number, masked: boolean): Buffer {
  const h = mfHeaderFor(f, version);
  if (!h) throw new Error(`${f.name} has no NXM or OXM code point`);
  return putHeader(h, masked, f.nBytes);
}

/**
 * Encodes one entry: header, value and (if given and not all-ones) mask (OVS `nx_put_entry`).
 * @param value, mask `f.nBytes` bytes each
 */
export function nxPutEntry(f: MfField, version: number, value: Buffer, mask?: Buffer): Buffer {
  const masked = mask !== undefined && !mask.every((b) => b === 0xff);
  return Buffer.concat([nxPutHeader(f, version, masked), value, ...(masked ? [mask] : [])]);
}

/** A pulled header: what it says, the field it names, and the bytes it took. */
export interface NxPulledHeader {
  header: NxHeader;
  field?: MfField;
  /** 4, or 8 for an experimenter OXM. */
  headerLen: number;
}

/**
 * Reads an entry header at `offset` (OVS `nx_pull_header__`).
 * @throws OfpError OFPBMC_BAD_LEN when fewer than 4 (8) bytes remain or an experimenter OXM's
 *         length is below 4
 */
export function nxPullHeader(buf: Buffer, offset = 0): NxPulledHeader {
  if (buf.length - offset < 4) throw new OfpError('OFPBMC_BAD_LEN', 'partial OXM header');
  const w = buf.readUInt32BE(offset);
  const oxmClass = w >>> 16;
  const exp = explen(oxmClass);
  if (buf.length - offset < 4 + exp) throw new OfpError('OFPBMC_BAD_LEN', 'partial experimenter OXM header');
  const header: NxHeader = {
    oxmClass, field: (w >>> 9) & 0x7f, hasmask: ((w >>> 8) & 1) === 1, length: w & 0xff,
    vendor: exp ? buf.readUInt32BE(offset + 4) : 0,
  };
  if (header.length < exp) throw new OfpError('OFPBMC_BAD_LEN', `OXM length ${header.length} below 4`);
  const field = mfFieldByHeader(header);
  return field ? { header, field, headerLen: 4 + exp } : { header, headerLen: 4 + exp };
}

function isCookie(h: NxHeader): boolean {
  return h.oxmClass === NXM_NX_COOKIE.oxmClass && h.field === NXM_NX_COOKIE.field && h.vendor === 0
    && h.length === (h.hasmask ? 2 : 1) * NXM_NX_COOKIE.length;
}

/** A pulled entry. `field` is absent for the cookie pseudo-field and for unknown fields. */
export interface NxEntry {
  header: NxHeader;
  field?: MfField;
  value: Buffer;
  /** All-ones when the entry has no mask. */
  mask: Buffer;
  /** Bytes the entry took. */
  length: number;
  /** Set when the header names no known field (OVS returns OFPBMC_BAD_FIELD after the payload). */
  unknown: boolean;
}

/**
 * Reads one entry at `offset` (OVS `nx_pull_entry__`): header, payload and mask consistency.
 * An unknown field is not an error here (`unknown` is set) so callers can skip it.
 * @throws OfpError OFPBMC_BAD_LEN (truncated), OFPBMC_BAD_WILDCARDS (a value bit set where the
 *         mask is 0)
 */
export function nxPullEntry(buf: Buffer, offset = 0): NxEntry {
  const { header, field, headerLen } = nxPullHeader(buf, offset);
  const start = offset + headerLen;
  const plen = payloadLen(header);
  if (buf.length - start < plen) {
    throw new OfpError('OFPBMC_BAD_LEN', `entry needs ${plen} bytes, ${buf.length - start} left`);
  }
  const width = valueLen(header);
  const raw = buf.subarray(start, start + width);
  const rawMask = header.hasmask ? buf.subarray(start + width, start + 2 * width) : undefined;
  if (rawMask && raw.some((b, i) => (b & ~rawMask[i]) !== 0)) {
    throw new OfpError('OFPBMC_BAD_WILDCARDS', 'value has 1-bits where the mask has 0-bits');
  }
  const size = field ? field.nBytes : width;
  const value = Buffer.alloc(size);
  raw.copy(value, 0, 0, Math.min(width, size));
  const mask = Buffer.alloc(size, 0xff);
  if (rawMask) {
    mask.fill(0);
    rawMask.copy(mask, 0, 0, Math.min(width, size));
  }
  return { header, field, value, mask, length: headerLen + plen, unknown: !field && !isCookie(header) };
}

/** Options for decoding a match. */
export interface NxDecodeOptions {
  /** Reject unknown fields and unmet prerequisites (default true); loose skips/ignores them. */
  strict?: boolean;
  /** OXM (OpenFlow 1.2+): the NXM_NX_COOKIE pseudo-field is not allowed. */
  oxm?: boolean;
  /** Only pipeline fields allowed (packet-in/resume metadata): else OFPBRC_PIPELINE_FIELDS_ONLY. */
  pipelineFieldsOnly?: boolean;
}

/** A decoded match with the cookie an NXM flow_mod or flow stats request may carry. */
export interface NxMatchWithCookie {
  match: Match;
  /** Cookie value and mask; both 0n when absent. */
  cookie: bigint;
  cookieMask: bigint;
}

/**
 * Decodes an NXM/OXM entry sequence (no `ofp_match` header, no padding) into a match, with the
 * NXM cookie pseudo-field (OVS `nx_pull_raw`).
 * @throws OfpError OFPBMC_BAD_LEN, OFPBMC_BAD_FIELD (unknown field, strict only),
 *         OFPBMC_BAD_WILDCARDS, OFPBMC_BAD_MASK (partial mask on an unmaskable field),
 *         OFPBMC_BAD_VALUE, OFPBMC_BAD_PREREQ (strict only), OFPBMC_DUP_FIELD,
 *         OFPBRC_PIPELINE_FIELDS_ONLY
 */
export function decodeNxMatchCookie(buf: Buffer, opts: NxDecodeOptions = {}): NxMatchWithCookie {
  const strict = opts.strict ?? true;
  const match = Match.catchall();
  let cookie = 0n;
  let cookieMask = 0n;
  const fail = (err: OfpErrName, offset: number, what: string): never => {
    throw new OfpError(err, `OXM at offset ${offset}: ${what}`);
  };
  for (let offset = 0; offset < buf.length;) {
    const e = nxPullEntry(buf, offset);
    const at = offset;
    offset += e.length;
    const f = e.field;
    if (!f) {
      if (e.unknown || opts.oxm) {
        if (!strict) continue;
        fail('OFPBMC_BAD_FIELD', at, 'unknown field');
      }
      if (cookieMask) fail('OFPBMC_DUP_FIELD', at, 'NXM_NX_COOKIE twice');
      cookie = e.value.readBigUInt64BE(0);
      cookieMask = e.mask.readBigUInt64BE(0);
      continue;
    }
    if (!f.maskable && !e.mask.every((b) => b === 0) && !e.mask.every((b) => b === 0xff)) {
      fail('OFPBMC_BAD_MASK', at, `${f.name} is not maskable`);
    }
    if (!mfIsValueValid(f, e.value)) fail('OFPBMC_BAD_VALUE', at, `bad value for ${f.name}`);
    if (strict && !match.prereqsOk(f)) fail('OFPBMC_BAD_PREREQ', at, `${f.name} needs ${f.prereq}`);
    if (!match.isAllWild(f)) fail('OFPBMC_DUP_FIELD', at, `${f.name} twice`);
    if (opts.pipelineFieldsOnly && !mfIsPipelineField(f)) {
      fail('OFPBRC_PIPELINE_FIELDS_ONLY', at, `${f.name} is not a pipeline field`);
    }
    match.setField(f, e.value, e.mask);
    if (f.prereq !== 'NONE') setDefaultPacketType(match);
  }
  return { match, cookie, cookieMask };
}

/**
 * Decodes an NXM/OXM entry sequence into a match; an NXM cookie pseudo-field is accepted and
 * dropped (use {@link decodeNxMatchCookie} to get it).
 * @throws OfpError as {@link decodeNxMatchCookie}
 */
export function decodeNxMatch(buf: Buffer, opts: NxDecodeOptions = {}): Match {
  return decodeNxMatchCookie(buf, opts).match;
}

const PT = FLOW_LAYOUT.packet_type;

/** Makes the match require an Ethernet packet unless it says something about packet_type. */
function setDefaultPacketType(m: Match): void {
  if (readSlot(m.wc, PT) === 0) {
    writeSlot(m.flow, PT, PT_ETH);
    writeSlot(m.wc, PT, 0xffffffff);
  }
}

/** True when the match requires exactly the Ethernet packet type (OVS `match_has_default_packet_type`). */
export function matchHasDefaultPacketType(m: Match): boolean {
  return readSlot(m.flow, PT) === PT_ETH && readSlot(m.wc, PT) === 0xffffffff;
}

/**
 * Decodes an OpenFlow 1.2+ `ofp_match` (type OFPMT_OXM, length, entries, padding to 8) at
 * `offset` (OVS `oxm_pull_match`).
 * @returns the match and the bytes consumed, padding included
 * @throws OfpError OFPBMC_BAD_LEN, OFPBMC_BAD_TYPE, and as {@link decodeNxMatchCookie}
 */
export function decodeOxmMatch(buf: Buffer, offset = 0,
  opts: Omit<NxDecodeOptions, 'oxm'> = {}): { match: Match; length: number } {
  if (buf.length - offset < 4) throw new OfpError('OFPBMC_BAD_LEN', 'ofp_match truncated');
  const type = buf.readUInt16BE(offset);
  const len = buf.readUInt16BE(offset + 2);
  if (len < 4) throw new OfpError('OFPBMC_BAD_LEN', `ofp_match length ${len}`);
  if (type !== OFPMT_OXM) throw new OfpError('OFPBMC_BAD_TYPE', `ofp_match type ${type}`);
  const padded = (len + 7) & ~7;
  if (buf.length - offset < padded) {
    throw new OfpError('OFPBMC_BAD_LEN', `ofp_match length ${len} (padded ${padded}) exceeds ${buf.length - offset}`);
  }
  const match = decodeNxMatch(buf.subarray(offset + 4, offset + len), { ...opts, oxm: true });
  return { match, length: padded };
}

/** The encoding context: the output and whether an entry already implies Ethernet. */
interface PutCtx {
  out: Buffer[];
  version: number;
  impliedEthernet: boolean;
}

function put(ctx: PutCtx, f: MfField, value: Buffer, mask?: Buffer): void {
  ctx.out.push(nxPutEntry(f, ctx.version, value, mask));
  if (f.prereq !== 'NONE') ctx.impliedEthernet = true;
}

/** Puts field `name` from the match, masked as needed, unless it is all-wild (OVS `nxm_put`). */
function putMasked(ctx: PutCtx, m: Match, name: string, value?: Buffer): void {
  const f = mfField(name);
  if (m.isAllWild(f)) return; // most fields of most matches: skip the copies getField makes
  const { value: v, mask } = m.getField(f);
  put(ctx, f, value ?? v, mask);
}

/** Puts field `name` exactly when any of its bits is matched (OVS `nxm_put_8/16/32`). */
function putExact(ctx: PutCtx, m: Match, name: string): void {
  const f = mfField(name);
  if (!m.isAllWild(f)) put(ctx, f, m.getField(f).value);
}

const slot = (buf: Buffer, name: string): number => readSlot(buf, FLOW_LAYOUT[name]);

/** L3 and L4 of an IPv4/IPv6 match (OVS `nxm_put_ip`). */
function putIp(ctx: PutCtx, m: Match): void {
  const dlType = flowDlType(m.flow);
  if (dlType === ETH_TYPE_IP) {
    putMasked(ctx, m, 'ip_src');
    putMasked(ctx, m, 'ip_dst');
  } else {
    putMasked(ctx, m, 'ipv6_src');
    putMasked(ctx, m, 'ipv6_dst');
  }
  const fragMask = slot(m.wc, 'nw_frag') & FLOW_NW_FRAG_MASK;
  if (fragMask) {
    put(ctx, mfField('ip_frag'), Buffer.from([slot(m.flow, 'nw_frag') & FLOW_NW_FRAG_MASK]),
      Buffer.from([fragMask === FLOW_NW_FRAG_MASK ? 0xff : fragMask]));
  }
  putExact(ctx, m, ctx.version ? 'ip_dscp' : 'nw_tos');
  putExact(ctx, m, 'nw_ecn');
  putExact(ctx, m, 'nw_ttl');
  putMasked(ctx, m, 'ipv6_label');
  if (m.isAllWild(mfField('nw_proto'))) return;
  putExact(ctx, m, 'nw_proto');
  const proto = slot(m.flow, 'nw_proto');
  if (proto === IPPROTO_TCP) {
    for (const n of ['tcp_src', 'tcp_dst', 'tcp_flags']) putMasked(ctx, m, n);
  } else if (proto === IPPROTO_UDP) {
    for (const n of ['udp_src', 'udp_dst']) putMasked(ctx, m, n);
  } else if (proto === IPPROTO_SCTP) {
    for (const n of ['sctp_src', 'sctp_dst']) putMasked(ctx, m, n);
  } else if (dlType === ETH_TYPE_IP && proto === IPPROTO_ICMP) {
    putExact(ctx, m, 'icmp_type');
    putExact(ctx, m, 'icmp_code');
  } else if (dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) {
    putExact(ctx, m, 'icmpv6_type');
    putExact(ctx, m, 'icmpv6_code');
    const type = slot(m.flow, 'tp_src');
    if (slot(m.flow, 'tp_dst') === 0 && (type === ND_NEIGHBOR_SOLICIT || type === ND_NEIGHBOR_ADVERT)) {
      putExact(ctx, m, 'nd_reserved');
      putMasked(ctx, m, 'nd_target');
      putExact(ctx, m, 'nd_options_type');
      putMasked(ctx, m, type === ND_NEIGHBOR_SOLICIT ? 'nd_sll' : 'nd_tll');
    }
  }
}

/** Tunnel, NSH, register, mark, conntrack and metadata fields, in OVS's order. */
const TRAILING_FIELDS = [
  'tun_id', 'tun_flags', 'tun_src', 'tun_dst', 'tun_ipv6_src', 'tun_ipv6_dst', 'tun_gbp_id',
  'tun_gbp_flags', 'tun_erspan_idx', 'tun_erspan_ver', 'tun_erspan_dir', 'tun_erspan_hwid',
  'tun_gtpu_flags', 'tun_gtpu_msgtype',
  'nsh_flags', 'nsh_ttl', 'nsh_mdtype', 'nsh_np', 'nsh_spi', 'nsh_si',
  'nsh_c1', 'nsh_c2', 'nsh_c3', 'nsh_c4',
];

/**
 * Encodes a match as an NXM (`version` 0 or undefined) or OXM (`version` = OpenFlow version)
 * entry sequence, unpadded, in OVS's `nx_put_raw` order; with `cookie` (NXM flow_mod and flow
 * stats requests) the NXM_NX_COOKIE pseudo-field is appended when its mask is nonzero.
 * A catch-all match encodes to zero bytes.
 */
export function encodeNxMatch(m: Match, version?: number,
  cookie?: { value: bigint; mask: bigint }): Buffer {
  const ctx: PutCtx = { out: [], version: version ?? 0, impliedEthernet: false };
  const oxm = ctx.version !== 0;
  if (readSlot(m.wc, PT) && !matchHasDefaultPacketType(m)) putMasked(ctx, m, 'packet_type');
  putMasked(ctx, m, 'dp_hash');
  putExact(ctx, m, 'recirc_id');
  putExact(ctx, m, 'conj_id');
  putExact(ctx, m, oxm ? 'in_port_oxm' : 'in_port');
  putExact(ctx, m, 'actset_output');
  putMasked(ctx, m, 'eth_src');
  putMasked(ctx, m, 'eth_dst');
  putMasked(ctx, m, 'eth_type');
  if (oxm) {
    // vlan_vid covers VID and CFI: a mask of exactly those 13 bits is an exact match.
    const vid = mfField('vlan_vid');
    const { value, mask } = m.getField(vid);
    if (mask.readUInt16BE(0) === 0x1fff) put(ctx, vid, value);
    else if (mask.readUInt16BE(0)) put(ctx, vid, value, mask);
    if ((slot(m.flow, 'vlan_tci') & 0x1fff) && !m.isAllWild(mfField('vlan_pcp'))) {
      put(ctx, mfField('vlan_pcp'), m.getField(mfField('vlan_pcp')).value);
    }
  } else {
    putMasked(ctx, m, 'vlan_tci');
  }
  const dlType = flowDlType(m.flow);
  if (dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST) {
    for (const n of ['mpls_tc', 'mpls_bos', 'mpls_ttl', 'mpls_label']) putExact(ctx, m, n);
  }
  if (dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6) {
    putIp(ctx, m);
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    putExact(ctx, m, 'arp_op');
    for (const n of ['arp_spa', 'arp_tpa', 'arp_sha', 'arp_tha']) putMasked(ctx, m, n);
  }
  for (const n of TRAILING_FIELDS) {
    if (n === 'nsh_spi') {
      // The SPI value is the plain 24 bits; only its mask reads as 0xffffffff when exact.
      const f = mfField(n);
      const { value } = m.getField(f);
      value[0] = 0;
      putMasked(ctx, m, n, value);
    } else {
      putMasked(ctx, m, n);
    }
  }
  if (ctx.version < OFP15_VERSION) {
    for (let i = 0; i < 16; i++) putMasked(ctx, m, `reg${i}`);
  } else {
    for (let i = 0; i < 8; i++) putMasked(ctx, m, `xreg${i}`);
  }
  putMasked(ctx, m, 'pkt_mark');
  for (const n of ['ct_state', 'ct_zone', 'ct_mark', 'ct_label', 'ct_nw_src', 'ct_ipv6_src',
    'ct_nw_dst', 'ct_ipv6_dst']) putMasked(ctx, m, n);
  if (slot(m.flow, 'ct_nw_proto')) {
    for (const n of ['ct_nw_proto', 'ct_tp_src', 'ct_tp_dst']) putMasked(ctx, m, n);
  }
  putMasked(ctx, m, 'metadata');
  if (cookie && cookie.mask) {
    const masked = cookie.mask !== 0xffffffffffffffffn;
    const b = Buffer.alloc(masked ? 16 : 8);
    b.writeBigUInt64BE(cookie.value & cookie.mask, 0);
    if (masked) b.writeBigUInt64BE(cookie.mask, 8);
    ctx.out.push(putHeader({ ...NXM_NX_COOKIE, vendor: 0 }, masked, 8), b);
  }
  if (matchHasDefaultPacketType(m) && !ctx.impliedEthernet) {
    ctx.out.unshift(nxPutEntry(mfField('packet_type'), ctx.version, Buffer.alloc(4)));
  }
  return Buffer.concat(ctx.out);
}

/**
 * Encodes an OpenFlow 1.2+ `ofp_match`: type OFPMT_OXM, length (header + entries, without
 * padding), the OXM entries for `version`, zero padding to a multiple of 8 (OVS `oxm_put_match`).
 */
export function encodeOxmMatch(m: Match, version: number): Buffer {
  const body = encodeNxMatch(m, version);
  const out = Buffer.alloc((4 + body.length + 7) & ~7);
  out.writeUInt16BE(OFPMT_OXM, 0);
  out.writeUInt16BE(4 + body.length, 2);
  body.copy(out, 4);
  return out;
}

/** The name `formatNxMatch` prints for a header: the code point name (+ `_W`), or `class:field`. */
function headerName(h: NxHeader): string {
  const f = mfFieldByHeader(h);
  if (f) {
    const cp = BY_HEADER.get(headerKey(h.oxmClass, h.field, h.vendor))!.h;
    return cp.name + (h.hasmask ? '_W' : '');
  }
  if (isCookie(h)) return h.hasmask ? 'NXM_NX_COOKIE_W' : 'NXM_NX_COOKIE';
  return `${h.oxmClass}:${h.field}`;
}

/**
 * Prints an entry sequence as `ovs-ofctl parse-nx-match` does (OVS `nx_match_to_string`):
 * `NAME(value)` or `NAME_W(value/mask)` in hex, comma separated; "<any>" when empty; a tail
 * that does not parse as "<N invalid bytes>".
 */
export function formatNxMatch(buf: Buffer): string {
  if (!buf.length) return '<any>';
  const parts: string[] = [];
  let offset = 0;
  while (offset < buf.length) {
    let e: NxEntry;
    try {
      e = nxPullEntry(buf, offset);
    } catch (err) {
      if (!(err instanceof OfpError)) throw err;
      break;
    }
    const width = valueLen(e.header);
    const raw = buf.subarray(offset + e.length - payloadLen(e.header));
    const hex = (b: Buffer): string => b.toString('hex');
    parts.push(`${headerName(e.header)}(${hex(raw.subarray(0, width))}`
      + `${e.header.hasmask ? `/${hex(raw.subarray(width, 2 * width))}` : ''})`);
    offset += e.length;
  }
  if (offset < buf.length) parts.push(`<${buf.length - offset} invalid bytes>`);
  return parts.join(', ');
}

/** Parses a header name for `parseNxMatch`: code point name (+ `_W` if maskable), cookie, or raw hex. */
function parseHeaderName(name: string): { header: Buffer; hasmask: boolean; nBytes: number } {
  const wild = name.length > 2 && name.endsWith('_W');
  const e = BY_HEADER_NAME.get(wild ? name.slice(0, -2) : name);
  if (e && (!wild || e.f.maskable)) {
    return { header: putHeader(e.h, wild, e.f.nBytes), hasmask: wild, nBytes: e.f.nBytes };
  }
  if (name === 'NXM_NX_COOKIE' || name === 'NXM_NX_COOKIE_W') {
    const hasmask = name.endsWith('_W');
    return { header: putHeader({ ...NXM_NX_COOKIE, vendor: 0 }, hasmask, 8), hasmask, nBytes: 8 };
  }
  if (/^[0-9a-fA-F]{8}$/.test(name) || /^[0-9a-fA-F]{16}$/.test(name)) {
    const header = Buffer.from(name, 'hex');
    const { header: h } = nxPullHeader(Buffer.concat([header, Buffer.alloc(4)]));
    if (header.length === 4 + explen(h.oxmClass)) {
      return { header, hasmask: h.hasmask, nBytes: valueLen(h) };
    }
  }
  throw new Error(`unknown field \`${name}'`);
}

/**
 * Parses `ovs-ofctl parse-nx-match` text into an entry sequence (OVS `nx_match_from_string`,
 * unpadded). Raw headers may be written as 8 (or, for experimenter OXMs, 16) hex digits, which
 * is how malformed input is written for tests.
 * @throws Error on a syntax error, an unknown name or a value of the wrong length
 */
export function parseNxMatch(text: string): Buffer {
  const s = text.trim();
  if (s === '<any>') return Buffer.alloc(0);
  const out: Buffer[] = [];
  const re = /[\s,]*([^(\s,]+)\(\s*([0-9a-fA-F\s]*?)\s*(?:\/\s*([0-9a-fA-F\s]*?)\s*)?\)/y;
  let pos = 0;
  while (!/^[\s,]*$/.test(s.slice(pos))) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new Error(`${s}: syntax error at ${s.slice(pos)}`);
    pos = re.lastIndex;
    const h = parseHeaderName(m[1]);
    const value = Buffer.from(m[2].replace(/\s/g, ''), 'hex');
    if (value.length !== h.nBytes) throw new Error(`expected to read ${h.nBytes} bytes but got ${value.length}`);
    if (h.hasmask !== (m[3] !== undefined)) throw new Error(`${m[1]}: mask ${h.hasmask ? 'missing' : 'unexpected'}`);
    const mask = m[3] !== undefined ? Buffer.from(m[3].replace(/\s/g, ''), 'hex') : undefined;
    if (mask && mask.length !== h.nBytes) throw new Error(`${m[1]}: hex digits expected`);
    out.push(h.header, value, ...(mask ? [mask] : []));
  }
  return Buffer.concat(out);
}
