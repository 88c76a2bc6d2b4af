/**
 * The fixed-layout matches of OpenFlow 1.0 (`struct ofp10_match`, 40 bytes, §5.2.3) and 1.1
 * (`struct ofp11_match`, "standard" match, 88 bytes, §A.2.3), conversions to and from `Match`
 * following OVS's lib/ofp-match.c, OVS's match normalisation, and the per-version dispatch
 * `decodeMatch`/`encodeMatch` (OpenFlow 1.2+ use the OXM `ofp_match` of ./nx-match).
 *
 * Conversions to the fixed layouts are lossy, as in OVS: what a layout cannot say is dropped
 * (bitwise masks become the nearest expressible wildcard, NXM-only fields vanish). Callers that
 * must not lose anything check {@link matchOfp10Expressible} or pass `{ strict: true }`.
 */
import { OFP10_VERSION, OFP11_VERSION, ofp10PortToOfp11, ofp11PortToOfp10 } from './common';
import { OfpError } from './ofp-errors';
import {
  ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST, ETH_TYPE_RARP,
  IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, Match,
  ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT,
} from './match';
import {
  FLOW_LAYOUT, MfStorage, OFP10_VLAN_NONE, OFPHTN_ETHERTYPE, PT_ETH, VLAN_CFI, VLAN_PCP_MASK,
  VLAN_VID_MASK, readSlot, writeSlot,
} from './meta-flow';
import { decodeOxmMatch, encodeOxmMatch, matchHasDefaultPacketType } from './nx-match';

/** `ofp10_match.wildcards` bits (OpenFlow 1.0 §5.2.3 `enum ofp_flow_wildcards`). */
export const OFPFW10_IN_PORT = 1 << 0;
export const OFPFW10_DL_VLAN = 1 << 1;
export const OFPFW10_DL_SRC = 1 << 2;
export const OFPFW10_DL_DST = 1 << 3;
export const OFPFW10_DL_TYPE = 1 << 4;
export const OFPFW10_NW_PROTO = 1 << 5;
export const OFPFW10_TP_SRC = 1 << 6;
export const OFPFW10_TP_DST = 1 << 7;
export const OFPFW10_NW_SRC_SHIFT = 8;
export const OFPFW10_NW_DST_SHIFT = 14;
export const OFPFW10_DL_VLAN_PCP = 1 << 20;
export const OFPFW10_NW_TOS = 1 << 21;
export const OFPFW10_ALL = (1 << 22) - 1;

/** `ofp11_match.wildcards` bits (OpenFlow 1.1 §A.2.3). */
export const OFPFW11_IN_PORT = 1 << 0;
export const OFPFW11_DL_VLAN = 1 << 1;
export const OFPFW11_DL_VLAN_PCP = 1 << 2;
export const OFPFW11_DL_TYPE = 1 << 3;
export const OFPFW11_NW_TOS = 1 << 4;
export const OFPFW11_NW_PROTO = 1 << 5;
export const OFPFW11_TP_SRC = 1 << 6;
export const OFPFW11_TP_DST = 1 << 7;
export const OFPFW11_MPLS_LABEL = 1 << 8;
export const OFPFW11_MPLS_TC = 1 << 9;
export const OFPFW11_ALL = (1 << 10) - 1;

/** `ofp11_match.dl_vlan` specials: any tagged frame / untagged frames only. */
export const OFPVID11_ANY = 0xfffe;
export const OFPVID11_NONE = 0xffff;

/** `ofp_match.type` of OpenFlow 1.1's fixed match. */
export const OFPMT_STANDARD = 0;
export const OFP10_MATCH_LEN = 40;
export const OFP11_MATCH_LEN = 88;

const IP_DSCP_MASK = 0xfc;
const S = FLOW_LAYOUT;

/** A slot's raw bytes in the flow (`flow`) or the mask (`wc`). */
const bytes = (buf: Buffer, s: MfStorage): Buffer => buf.subarray(s.offset, s.offset + s.len);
const get = (buf: Buffer, name: string): number => readSlot(buf, S[name]);
const set = (buf: Buffer, name: string, v: number): void => writeSlot(buf, S[name], v);

/** OpenFlow 1.0 wildcard bit count (0 = exact … ≥32 = all wild) → IPv4 netmask. */
function wcbitsToNetmask(wcbits: number): number {
  const n = wcbits & 0x3f;
  return n < 32 ? (~((2 ** n) - 1)) >>> 0 : 0;
}

/** IPv4 netmask → wildcarded bit count (32 minus the leading 1-bits, as OVS counts a non-CIDR mask). */
function netmaskToWcbits(mask: number): number {
  let trailingZeros = 0;
  while (trailingZeros < 32 && ((mask >>> trailingZeros) & 1) === 0) trailingZeros++;
  return trailingZeros;
}

/** Makes the match require an Ethernet packet unless it already says something about packet_type. */
function setDefaultPacketType(m: Match): void {
  if (get(m.wc, 'packet_type') === 0) {
    set(m.flow, 'packet_type', PT_ETH);
    set(m.wc, 'packet_type', 0xffffffff);
  }
}

/** Clears value bits that the mask wildcards (OVS `match_zero_wildcarded_fields`). */
function zeroWildcarded(m: Match): void {
  for (let i = 0; i < m.flow.length; i++) m.flow[i] &= m.wc[i];
}

/**
 * Decodes a 40-byte OpenFlow 1.0 `ofp10_match` at `offset` (OVS
 * `ofputil_match_from_ofp10_match`). Never fails: impossible combinations are accepted as OVS
 * accepts them (`dl_vlan`=OFP_VLAN_NONE with a PCP matches untagged frames). Does not
 * normalise: OpenFlow 1.0 flow_mods must also go through {@link normalizeMatch}.
 * @throws OfpError OFPBMC_BAD_LEN when fewer than 40 bytes remain
 */
export function decodeOfp10Match(buf: Buffer, offset = 0): Match {
  if (buf.length - offset < OFP10_MATCH_LEN) throw new OfpError('OFPBMC_BAD_LEN', 'ofp10_match truncated');
  const b = buf.subarray(offset, offset + OFP10_MATCH_LEN);
  const ofpfw = b.readUInt32BE(0) & OFPFW10_ALL;
  const m = Match.catchall();
  const { flow, wc } = m;
  const wild = (bit: number): boolean => (ofpfw & bit) !== 0;
  if (!wild(OFPFW10_IN_PORT)) set(wc, 'in_port', 0xffff);
  if (!wild(OFPFW10_NW_TOS)) set(wc, 'nw_tos', IP_DSCP_MASK);
  if (!wild(OFPFW10_NW_PROTO)) set(wc, 'nw_proto', 0xff);
  const srcMask = wcbitsToNetmask(ofpfw >>> OFPFW10_NW_SRC_SHIFT);
  const dstMask = wcbitsToNetmask(ofpfw >>> OFPFW10_NW_DST_SHIFT);
  set(wc, 'nw_src', srcMask);
  set(wc, 'nw_dst', dstMask);
  if (!wild(OFPFW10_TP_SRC)) set(wc, 'tp_src', 0xffff);
  if (!wild(OFPFW10_TP_DST)) set(wc, 'tp_dst', 0xffff);
  if (!wild(OFPFW10_DL_SRC)) bytes(wc, S.dl_src).fill(0xff);
  if (!wild(OFPFW10_DL_DST)) bytes(wc, S.dl_dst).fill(0xff);
  if (!wild(OFPFW10_DL_TYPE)) set(wc, 'dl_type', 0xffff);
  let tciMask = 0;
  if (!wild(OFPFW10_DL_VLAN_PCP)) tciMask |= VLAN_PCP_MASK | VLAN_CFI;
  if (!wild(OFPFW10_DL_VLAN)) tciMask |= VLAN_VID_MASK | VLAN_CFI;
  set(wc, 'vlan_tci', tciMask);

  // Any matched field but in_port implies an Ethernet packet.
  const dataBits = OFPFW10_NW_TOS | OFPFW10_NW_PROTO | OFPFW10_TP_SRC | OFPFW10_TP_DST
    | OFPFW10_DL_SRC | OFPFW10_DL_DST | OFPFW10_DL_TYPE | OFPFW10_DL_VLAN | OFPFW10_DL_VLAN_PCP;
  if ((ofpfw & dataBits) !== dataBits || srcMask || dstMask) setDefaultPacketType(m);

  set(flow, 'nw_src', b.readUInt32BE(28));
  set(flow, 'nw_dst', b.readUInt32BE(32));
  set(flow, 'in_port', b.readUInt16BE(4));
  set(flow, 'dl_type', b.readUInt16BE(22));
  set(flow, 'tp_src', b.readUInt16BE(36));
  set(flow, 'tp_dst', b.readUInt16BE(38));
  b.copy(flow, S.dl_src.offset, 6, 12);
  b.copy(flow, S.dl_dst.offset, 12, 18);
  set(flow, 'nw_tos', b[24] & IP_DSCP_MASK);
  set(flow, 'nw_proto', b[25]);
  const dlVlan = b.readUInt16BE(18);
  if (!wild(OFPFW10_DL_VLAN) && dlVlan === OFP10_VLAN_NONE) {
    set(flow, 'vlan_tci', 0);
    set(wc, 'vlan_tci', 0xffff);
  } else {
    const tci = (dlVlan & VLAN_VID_MASK) | ((b[20] << 13) & VLAN_PCP_MASK) | VLAN_CFI;
    set(flow, 'vlan_tci', tci & tciMask);
  }
  zeroWildcarded(m);
  return m;
}

/**
 * Encodes a match as a 40-byte OpenFlow 1.0 `ofp10_match` (OVS `ofputil_match_to_ofp10_match`).
 * Lossy: fields OpenFlow 1.0 lacks are dropped, IPv4 masks become their number of trailing
 * wildcarded bits, partial masks elsewhere become "exact".
 */
export function encodeOfp10Match(m: Match): Buffer {
  const { flow, wc } = m;
  const b = Buffer.alloc(OFP10_MATCH_LEN);
  let ofpfw = 0;
  const allZero = (name: string): boolean => bytes(wc, S[name]).every((x) => x === 0);
  if (allZero('in_port')) ofpfw |= OFPFW10_IN_PORT;
  if (allZero('dl_type')) ofpfw |= OFPFW10_DL_TYPE;
  if (allZero('nw_proto')) ofpfw |= OFPFW10_NW_PROTO;
  ofpfw |= netmaskToWcbits(get(wc, 'nw_src')) << OFPFW10_NW_SRC_SHIFT;
  ofpfw |= netmaskToWcbits(get(wc, 'nw_dst')) << OFPFW10_NW_DST_SHIFT;
  if (!(get(wc, 'nw_tos') & IP_DSCP_MASK)) ofpfw |= OFPFW10_NW_TOS;
  if (allZero('tp_src')) ofpfw |= OFPFW10_TP_SRC;
  if (allZero('tp_dst')) ofpfw |= OFPFW10_TP_DST;
  if (allZero('dl_src')) ofpfw |= OFPFW10_DL_SRC;
  if (allZero('dl_dst')) ofpfw |= OFPFW10_DL_DST;
  const tciMask = get(wc, 'vlan_tci');
  const tci = get(flow, 'vlan_tci');
  if (tciMask === 0) {
    ofpfw |= OFPFW10_DL_VLAN | OFPFW10_DL_VLAN_PCP;
  } else if (tciMask & VLAN_CFI && !(tci & VLAN_CFI)) {
    b.writeUInt16BE(OFP10_VLAN_NONE, 18);
  } else {
    if (!(tciMask & VLAN_VID_MASK)) ofpfw |= OFPFW10_DL_VLAN;
    else b.writeUInt16BE(tci & VLAN_VID_MASK, 18);
    if (!(tciMask & VLAN_PCP_MASK)) ofpfw |= OFPFW10_DL_VLAN_PCP;
    else b[20] = tci >>> 13;
  }
  b.writeUInt32BE(ofpfw >>> 0, 0);
  b.writeUInt16BE(get(flow, 'in_port'), 4);
  bytes(flow, S.dl_src).copy(b, 6);
  bytes(flow, S.dl_dst).copy(b, 12);
  b.writeUInt16BE(get(flow, 'dl_type'), 22);
  b[24] = get(flow, 'nw_tos') & IP_DSCP_MASK;
  b[25] = get(flow, 'nw_proto');
  b.writeUInt32BE(get(flow, 'nw_src'), 28);
  b.writeUInt32BE(get(flow, 'nw_dst'), 32);
  b.writeUInt16BE(get(flow, 'tp_src'), 36);
  b.writeUInt16BE(get(flow, 'tp_dst'), 38);
  return b;
}

/**
 * Decodes an OpenFlow 1.1 standard match (88 bytes, type OFPMT_STANDARD) at `offset` (OVS
 * `ofputil_match_from_ofp11_match`); the header is not checked here (see {@link decodeMatch}).
 * @throws OfpError OFPBMC_BAD_LEN (truncated), OFPBMC_BAD_VALUE (in_port without a 16-bit
 *         counterpart, VID ≥ 4096, PCP > 7, TOS with ECN bits), OFPBMC_BAD_FIELD (ICMP type or
 *         code ≥ 256)
 */
export function decodeOfp11Match(buf: Buffer, offset = 0): Match {
  if (buf.length - offset < OFP11_MATCH_LEN) throw new OfpError('OFPBMC_BAD_LEN', 'ofp11_match truncated');
  const b = buf.subarray(offset, offset + OFP11_MATCH_LEN);
  // OVS reads the wildcards into 16 bits.
  const wcBits = b.readUInt32BE(8) & 0xffff;
  const wild = (bit: number): boolean => (wcBits & bit) !== 0;
  const m = Match.catchall();
  const { flow, wc } = m;
  if (!wild(OFPFW11_IN_PORT)) {
    const port = ofp11PortToOfp10(b.readUInt32BE(4));
    if (port === undefined) throw new OfpError('OFPBMC_BAD_VALUE', `in_port ${b.readUInt32BE(4)}`);
    set(flow, 'in_port', port);
    set(wc, 'in_port', 0xffff);
  }
  const srcMask = Buffer.from(b.subarray(18, 24).map((x) => ~x & 0xff));
  const dstMask = Buffer.from(b.subarray(30, 36).map((x) => ~x & 0xff));
  if (srcMask.some((x) => x) || dstMask.some((x) => x)) {
    for (const [slot, value, mask] of [[S.dl_src, b.subarray(12, 18), srcMask], [S.dl_dst, b.subarray(24, 30), dstMask]] as const) {
      for (let i = 0; i < 6; i++) {
        flow[slot.offset + i] = value[i] & mask[i];
        wc[slot.offset + i] = mask[i];
      }
    }
    setDefaultPacketType(m);
  }
  if (!wild(OFPFW11_DL_VLAN)) {
    const dlVlan = b.readUInt16BE(36);
    if (dlVlan === OFPVID11_NONE) {
      set(flow, 'vlan_tci', 0);
      set(wc, 'vlan_tci', 0xffff);
    } else {
      if (dlVlan === OFPVID11_ANY) {
        set(flow, 'vlan_tci', VLAN_CFI);
        set(wc, 'vlan_tci', VLAN_CFI);
      } else if (dlVlan < 4096) {
        set(flow, 'vlan_tci', VLAN_CFI | dlVlan);
        set(wc, 'vlan_tci', VLAN_CFI | VLAN_VID_MASK);
      } else {
        throw new OfpError('OFPBMC_BAD_VALUE', `dl_vlan ${dlVlan}`);
      }
      if (!wild(OFPFW11_DL_VLAN_PCP)) {
        if (b[38] > 7) throw new OfpError('OFPBMC_BAD_VALUE', `dl_vlan_pcp ${b[38]}`);
        set(flow, 'vlan_tci', get(flow, 'vlan_tci') | (b[38] << 13));
        set(wc, 'vlan_tci', get(wc, 'vlan_tci') | VLAN_PCP_MASK);
      }
    }
    setDefaultPacketType(m);
  }
  if (!wild(OFPFW11_DL_TYPE)) {
    set(flow, 'dl_type', b.readUInt16BE(40));
    set(wc, 'dl_type', 0xffff);
    setDefaultPacketType(m);
  }
  const dlType = get(flow, 'dl_type');
  const ipv4 = dlType === ETH_TYPE_IP;
  if (ipv4 && !wild(OFPFW11_NW_TOS)) {
    if (b[42] & ~IP_DSCP_MASK) throw new OfpError('OFPBMC_BAD_VALUE', `nw_tos ${b[42]}`);
    set(flow, 'nw_tos', b[42]);
    set(wc, 'nw_tos', IP_DSCP_MASK);
  }
  if (ipv4 || dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    if (!wild(OFPFW11_NW_PROTO)) {
      set(flow, 'nw_proto', b[43]);
      set(wc, 'nw_proto', 0xff);
    }
    for (const [name, at] of [['nw_src', 44], ['nw_dst', 52]] as const) {
      const mask = ~b.readUInt32BE(at + 4) >>> 0;
      set(flow, name, b.readUInt32BE(at) & mask);
      set(wc, name, mask);
    }
  }
  if (ipv4 && (wcBits & (OFPFW11_TP_SRC | OFPFW11_TP_DST)) !== (OFPFW11_TP_SRC | OFPFW11_TP_DST)) {
    const proto = get(flow, 'nw_proto');
    const ports = [[OFPFW11_TP_SRC, 'tp_src', 60], [OFPFW11_TP_DST, 'tp_dst', 62]] as const;
    if (proto === IPPROTO_ICMP || proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP) {
      for (const [bit, name, at] of ports) {
        if (wild(bit)) continue;
        const v = b.readUInt16BE(at);
        if (proto === IPPROTO_ICMP && v >= 0x100) throw new OfpError('OFPBMC_BAD_FIELD', `ICMP ${name} ${v}`);
        set(flow, name, v);
        set(wc, name, 0xffff);
      }
    }
  }
  if (dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST) {
    let lse = get(flow, 'mpls_lse');
    let lseMask = get(wc, 'mpls_lse');
    if (!wild(OFPFW11_MPLS_LABEL)) {
      lse = (lse & ~0xfffff000) | ((b.readUInt32BE(64) << 12) & 0xfffff000);
      lseMask |= 0xfffff000;
    }
    if (!wild(OFPFW11_MPLS_TC)) {
      lse = (lse & ~0xe00) | ((b[68] << 9) & 0xe00);
      lseMask |= 0xe00;
    }
    set(flow, 'mpls_lse', lse);
    set(wc, 'mpls_lse', lseMask);
  }
  for (let i = 0; i < 8; i++) {
    const mask = ~b[80 + i] & 0xff;
    flow[S.metadata.offset + i] = b[72 + i] & mask;
    wc[S.metadata.offset + i] = mask;
  }
  return m;
}

/**
 * Encodes a match as an 88-byte OpenFlow 1.1 standard match (OVS
 * `ofputil_match_to_ofp11_match`). Lossy like {@link encodeOfp10Match}.
 */
export function encodeOfp11Match(m: Match): Buffer {
  const { flow, wc } = m;
  const b = Buffer.alloc(OFP11_MATCH_LEN);
  b.writeUInt16BE(OFPMT_STANDARD, 0);
  b.writeUInt16BE(OFP11_MATCH_LEN, 2);
  let wcBits = 0;
  const allZero = (name: string): boolean => bytes(wc, S[name]).every((x) => x === 0);
  if (allZero('in_port')) wcBits |= OFPFW11_IN_PORT;
  else b.writeUInt32BE(ofp10PortToOfp11(get(flow, 'in_port')), 4);
  bytes(flow, S.dl_src).copy(b, 12);
  Buffer.from(bytes(wc, S.dl_src).map((x) => ~x & 0xff)).copy(b, 18);
  bytes(flow, S.dl_dst).copy(b, 24);
  Buffer.from(bytes(wc, S.dl_dst).map((x) => ~x & 0xff)).copy(b, 30);
  const tciMask = get(wc, 'vlan_tci');
  const tci = get(flow, 'vlan_tci');
  if (tciMask === 0) {
    wcBits |= OFPFW11_DL_VLAN | OFPFW11_DL_VLAN_PCP;
  } else if (tciMask & VLAN_CFI && !(tci & VLAN_CFI)) {
    b.writeUInt16BE(OFPVID11_NONE, 36);
    wcBits |= OFPFW11_DL_VLAN_PCP;
  } else {
    b.writeUInt16BE(tciMask & VLAN_VID_MASK ? tci & VLAN_VID_MASK : OFPVID11_ANY, 36);
    if (!(tciMask & VLAN_PCP_MASK)) wcBits |= OFPFW11_DL_VLAN_PCP;
    else b[38] = tci >>> 13;
  }
  if (allZero('dl_type')) wcBits |= OFPFW11_DL_TYPE;
  else b.writeUInt16BE(get(flow, 'dl_type'), 40);
  if (!(get(wc, 'nw_tos') & IP_DSCP_MASK)) wcBits |= OFPFW11_NW_TOS;
  else b[42] = get(flow, 'nw_tos') & IP_DSCP_MASK;
  if (allZero('nw_proto')) wcBits |= OFPFW11_NW_PROTO;
  else b[43] = get(flow, 'nw_proto');
  b.writeUInt32BE(get(flow, 'nw_src'), 44);
  b.writeUInt32BE(~get(wc, 'nw_src') >>> 0, 48);
  b.writeUInt32BE(get(flow, 'nw_dst'), 52);
  b.writeUInt32BE(~get(wc, 'nw_dst') >>> 0, 56);
  if (allZero('tp_src')) wcBits |= OFPFW11_TP_SRC;
  else b.writeUInt16BE(get(flow, 'tp_src'), 60);
  if (allZero('tp_dst')) wcBits |= OFPFW11_TP_DST;
  else b.writeUInt16BE(get(flow, 'tp_dst'), 62);
  const lse = get(flow, 'mpls_lse');
  const lseMask = get(wc, 'mpls_lse');
  if (!(lseMask & 0xfffff000)) wcBits |= OFPFW11_MPLS_LABEL;
  else b.writeUInt32BE(lse >>> 12, 64);
  if (!(lseMask & 0xe00)) wcBits |= OFPFW11_MPLS_TC;
  else b[68] = (lse >>> 9) & 7;
  bytes(flow, S.metadata).copy(b, 72);
  Buffer.from(bytes(wc, S.metadata).map((x) => ~x & 0xff)).copy(b, 80);
  b.writeUInt32BE(wcBits, 8);
  return b;
}

/**
 * Wildcards the fields the match's own Ethertype and IP protocol say cannot be present (OVS
 * `ofputil_normalize_match`), e.g. `nw_src` of a non-IP/ARP match or `tp_src` of a match that
 * is not TCP/UDP/SCTP/ICMP. OVS applies it to OpenFlow 1.0 flow_mods, which older controllers
 * filled with stray values.
 * @returns true when the match changed (OVS logs "normalization changed ofp_match")
 */
export function normalizeMatch(m: Match): boolean {
  const { flow, wc } = m;
  const ptMask = get(wc, 'packet_type');
  const pt = get(flow, 'packet_type');
  let ether = false;
  let dlType = 0;
  if (ptMask === 0 || matchHasDefaultPacketType(m)) {
    ether = true;
    dlType = get(flow, 'dl_type');
  } else if (ptMask === 0xffffffff && pt >>> 16 === OFPHTN_ETHERTYPE) {
    dlType = pt & 0xffff;
  }
  const proto = get(flow, 'nw_proto');
  const tpSrc = get(flow, 'tp_src');
  const may = new Set<string>();
  if (ether) may.add('dl_src').add('dl_dst');
  if (dlType === ETH_TYPE_IP) {
    ['nw_proto', 'nw_tos', 'nw_ttl', 'nw_src', 'nw_dst'].forEach((n) => may.add(n));
    if ([IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP].includes(proto)) may.add('tp_src').add('tp_dst');
  } else if (dlType === ETH_TYPE_IPV6) {
    ['nw_proto', 'nw_tos', 'nw_ttl', 'ipv6_src', 'ipv6_dst', 'ipv6_label'].forEach((n) => may.add(n));
    if ([IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMPV6].includes(proto)) may.add('tp_src').add('tp_dst');
    if (proto === IPPROTO_ICMPV6 && tpSrc === ND_NEIGHBOR_SOLICIT) may.add('nd_target').add('arp_sha');
    if (proto === IPPROTO_ICMPV6 && tpSrc === ND_NEIGHBOR_ADVERT) may.add('nd_target').add('arp_tha');
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    ['nw_proto', 'nw_src', 'nw_dst', 'arp_sha', 'arp_tha'].forEach((n) => may.add(n));
  } else if (dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST) {
    may.add('mpls_lse');
  }
  // Everything else (nw_frag, tunnel, registers, …) is left alone, as OVS does.
  const governed = ['dl_src', 'dl_dst', 'nw_src', 'nw_dst', 'tp_src', 'tp_dst', 'nw_proto', 'nw_tos',
    'nw_ttl', 'arp_sha', 'arp_tha', 'ipv6_src', 'ipv6_dst', 'ipv6_label', 'nd_target', 'mpls_lse'];
  const before = Buffer.from(wc);
  for (const name of governed) {
    if (!may.has(name)) bytes(wc, S[name]).fill(0);
  }
  if (before.equals(wc)) return false;
  zeroWildcarded(m);
  return true;
}

/** True when the match survives an OpenFlow 1.0 `ofp10_match` unchanged. */
export function matchOfp10Expressible(m: Match): boolean {
  return decodeOfp10Match(encodeOfp10Match(m)).equals(m);
}

/** True when the match survives an OpenFlow 1.1 standard match unchanged. */
export function matchOfp11Expressible(m: Match): boolean {
  return decodeOfp11Match(encodeOfp11Match(m)).equals(m);
}

/**
 * Decodes the match of an OpenFlow message of `version` at `offset`: a 40-byte `ofp10_match`
 * (1.0), or an `ofp_match` whose type says standard (88 bytes) or OXM (1.1+; OVS
 * `ofputil_pull_ofp11_match`, strict OXM decoding).
 * @returns the match and the bytes it took (OXM: including padding to 8)
 * @throws OfpError OFPBMC_BAD_LEN, OFPBMC_BAD_TYPE, and the errors of the specific decoders
 */
export function decodeMatch(version: number, buf: Buffer, offset: number): { match: Match; length: number } {
  if (version === OFP10_VERSION) return { match: decodeOfp10Match(buf, offset), length: OFP10_MATCH_LEN };
  if (buf.length - offset < 4) throw new OfpError('OFPBMC_BAD_LEN', 'ofp_match truncated');
  const type = buf.readUInt16BE(offset);
  const len = buf.readUInt16BE(offset + 2);
  if (type === OFPMT_STANDARD) {
    if (len !== OFP11_MATCH_LEN || buf.length - offset < OFP11_MATCH_LEN) {
      throw new OfpError('OFPBMC_BAD_LEN', `standard match length ${len}`);
    }
    return { match: decodeOfp11Match(buf, offset), length: OFP11_MATCH_LEN };
  }
  return decodeOxmMatch(buf, offset);
}

/**
 * Encodes a match for an OpenFlow message of `version`: `ofp10_match` (1.0), standard match
 * (1.1), OXM `ofp_match` padded to 8 (1.2+). The 1.0 and 1.1 layouts are lossy as in OVS
 * (a flow stats reply still gets sent); with `strict` they throw instead.
 * @throws OfpError OFPBMC_BAD_FIELD when `strict` and the layout cannot express the match
 */
export function encodeMatch(version: number, m: Match, opts: { strict?: boolean } = {}): Buffer {
  if (version === OFP10_VERSION) {
    if (opts.strict && !matchOfp10Expressible(m)) throw new OfpError('OFPBMC_BAD_FIELD', 'not expressible in OpenFlow 1.0');
    return encodeOfp10Match(m);
  }
  if (version === OFP11_VERSION) {
    if (opts.strict && !matchOfp11Expressible(m)) throw new OfpError('OFPBMC_BAD_FIELD', 'not expressible in OpenFlow 1.1');
    return encodeOfp11Match(m);
  }
  return encodeOxmMatch(m, version);
}
