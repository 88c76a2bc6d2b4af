/**
 * Flow extraction: the headers of a packet's bytes as flow bytes (OVS `flow_extract()` /
 * `miniflow_extract()`, lib/flow.c), for packets the switch handles without a datapath key —
 * PACKET_OUT, and tests. The parse follows OVS 3.1 with its default `vlan-limit` of 1:
 *
 * - Ethernet addresses; one 802.1Q/802.1ad header, whose TCI is stored with the CFI
 *   ("tag present") bit set; the Ethertype, from an LLC/SNAP header for 802.3 frames or
 *   FLOW_DL_TYPE_NONE when there is none;
 * - MPLS: the top label stack entry;
 * - ARP/RARP (Ethernet/IPv4 only): addresses and hardware addresses, opcode when ≤ 255;
 * - IPv4 (header and total length sane): addresses, TOS, TTL, protocol, fragment bits;
 * - IPv6 (payload length sane): addresses, traffic class, flow label, hop limit, the protocol
 *   after hop-by-hop/routing/destination/AH/fragment extension headers, fragment bits;
 * - unless a later fragment: TCP ports and flags, UDP and SCTP ports, ICMP and IGMP type and
 *   code (IGMP group in `nd_reserved`, OVS's `igmp_group_ip4`), ICMPv6 type and code and, for a
 *   neighbor solicitation or advertisement, the target, the link-layer address options and the
 *   first option's type (`nd_options_type`) and the reserved word (`nd_reserved`).
 *
 * A header too short for its minimum size ends the parse there, leaving the rest zero, as OVS
 * does. NSH headers are not parsed (their fields stay zero).
 */
import {
  ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_MIN, ETH_TYPE_RARP, ethTypeMpls, ethTypeVlan,
  FLOW_DL_TYPE_NONE, FLOW_NW_FRAG_ANY, FLOW_NW_FRAG_LATER, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP,
  IPPROTO_UDP, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, newFlow, PT_ETH, S, set, VLAN_CFI,
} from './flow';

const ETH_HEADER_LEN = 14;
const IP_HEADER_LEN = 20;
const IPV6_HEADER_LEN = 40;
const TCP_HEADER_LEN = 20;
const UDP_HEADER_LEN = 8;
const SCTP_HEADER_LEN = 12;
const ICMP_HEADER_LEN = 8;
const IGMP_HEADER_LEN = 8;
const ICMP6_DATA_HEADER_LEN = 8;
const ARP_ETH_HEADER_LEN = 28;
const LLC_SNAP_HEADER_LEN = 8;

const IPPROTO_HOPOPTS = 0;
const IPPROTO_IGMP = 2;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_AH = 51;
const IPPROTO_DSTOPTS = 60;

/** IPv4 "more fragments" flag and fragment offset bits of `ip_frag_off`. */
const IP_MF = 0x2000;
const IP_FRAG_OFF_MASK = 0x1fff;
/** IPv6 fragment header offset bits of `ip6f_offlg`. */
const IP6F_OFF_MASK = 0xfff8;

/** ND option types (RFC 4861 §4.6). */
const ND_OPT_SOURCE_LINKADDR = 1;
const ND_OPT_TARGET_LINKADDR = 2;

/** A cursor over the packet: what is left to parse. */
interface Cursor {
  p: Uint8Array;
  off: number;
  end: number;
}

function left(c: Cursor): number {
  return c.end - c.off;
}

function be16(p: Uint8Array, o: number): number {
  return (p[o] << 8) | p[o + 1];
}

function copy(flow: Buffer, slot: typeof S.dl_src, p: Uint8Array, off: number): void {
  flow.set(p.subarray(off, off + slot.len), slot.offset);
}

/**
 * Parses an Ethernet frame into flow bytes.
 *
 * @param packet the frame, starting at the destination MAC
 * @param inPort the OpenFlow input port to record in `in_port` (default 0)
 * @returns FLOW_LEN bytes with `packet_type` Ethernet and every field the headers give
 */
export function flowExtract(packet: Uint8Array, inPort = 0): Buffer {
  const flow = newFlow();
  set(flow, S.in_port, inPort);
  set(flow, S.packet_type, PT_ETH);
  const c: Cursor = { p: packet, off: 0, end: packet.length };
  if (left(c) < ETH_HEADER_LEN) return flow;
  copy(flow, S.dl_dst, packet, 0);
  copy(flow, S.dl_src, packet, 6);
  c.off = 12;
  if (ethTypeVlan(be16(packet, c.off)) && left(c) >= 6) {
    set(flow, S.vlan_tci, be16(packet, c.off + 2) | VLAN_CFI);
    c.off += 4;
  }
  const dlType = parseEthertype(c);
  set(flow, S.dl_type, dlType);
  if (ethTypeMpls(dlType)) {
    if (left(c) >= 4) flow.set(packet.subarray(c.off, c.off + 4), S.mpls_lse.offset);
    return flow;
  }
  if (dlType === ETH_TYPE_IP) parseIpv4(c, flow);
  else if (dlType === ETH_TYPE_IPV6) parseIpv6(c, flow);
  else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) parseArp(c, flow);
  return flow;
}

/** `parse_ethertype`: the Ethertype, through an LLC/SNAP header for 802.3 frames. */
function parseEthertype(c: Cursor): number {
  const proto = be16(c.p, c.off);
  c.off += 2;
  if (proto >= ETH_TYPE_MIN) return proto;
  if (left(c) < LLC_SNAP_HEADER_LEN) return FLOW_DL_TYPE_NONE;
  const p = c.p;
  const o = c.off;
  // LLC DSAP/SSAP 0xaa (SNAP), control 3 (UI), SNAP organization 00-00-00 (Ethernet).
  if (p[o] !== 0xaa || p[o + 1] !== 0xaa || p[o + 2] !== 0x03 || p[o + 3] || p[o + 4] || p[o + 5]) {
    return FLOW_DL_TYPE_NONE;
  }
  c.off += LLC_SNAP_HEADER_LEN;
  const type = be16(p, o + 6);
  return type >= ETH_TYPE_MIN ? type : FLOW_DL_TYPE_NONE;
}

function parseArp(c: Cursor, flow: Buffer): void {
  if (left(c) < ARP_ETH_HEADER_LEN) return;
  const p = c.p;
  const o = c.off;
  if (be16(p, o) !== 1 || be16(p, o + 2) !== ETH_TYPE_IP || p[o + 4] !== 6 || p[o + 5] !== 4) return;
  const op = be16(p, o + 6);
  if (op <= 0xff) set(flow, S.nw_proto, op);
  copy(flow, S.arp_sha, p, o + 8);
  copy(flow, S.nw_src, p, o + 14);
  copy(flow, S.arp_tha, p, o + 18);
  copy(flow, S.nw_dst, p, o + 24);
}

function parseIpv4(c: Cursor, flow: Buffer): void {
  const p = c.p;
  const o = c.off;
  if (left(c) < IP_HEADER_LEN) return;
  const ipLen = (p[o] & 0x0f) * 4;
  if (ipLen < IP_HEADER_LEN || left(c) < ipLen) return;
  const totLen = be16(p, o + 2);
  if (totLen > left(c) || ipLen > totLen) return;
  copy(flow, S.nw_src, p, o + 12);
  copy(flow, S.nw_dst, p, o + 16);
  const fragOff = be16(p, o + 6);
  let frag = 0;
  if (fragOff & (IP_MF | IP_FRAG_OFF_MASK)) {
    frag = FLOW_NW_FRAG_ANY;
    if (fragOff & IP_FRAG_OFF_MASK) frag |= FLOW_NW_FRAG_LATER;
  }
  setL3(flow, frag, p[o + 1], p[o + 8], p[o + 9]);
  c.end = o + totLen;
  c.off = o + ipLen;
  if (!(frag & FLOW_NW_FRAG_LATER)) parseL4(c, flow, ETH_TYPE_IP, p[o + 9]);
}

function setL3(flow: Buffer, frag: number, tos: number, ttl: number, proto: number): void {
  set(flow, S.nw_frag, frag);
  set(flow, S.nw_tos, tos);
  set(flow, S.nw_ttl, ttl);
  set(flow, S.nw_proto, proto);
}

function parseIpv6(c: Cursor, flow: Buffer): void {
  const p = c.p;
  const o = c.off;
  if (left(c) < IPV6_HEADER_LEN) return;
  const plen = be16(p, o + 4);
  if (plen + IPV6_HEADER_LEN > left(c)) return;
  copy(flow, S.ipv6_src, p, o + 8);
  copy(flow, S.ipv6_dst, p, o + 24);
  const tcFlow = ((p[o] << 24) | (p[o + 1] << 16) | (p[o + 2] << 8) | p[o + 3]) >>> 0;
  c.off = o + IPV6_HEADER_LEN;
  c.end = c.off + plen;
  const ext = parseIpv6ExtHeaders(c, p[o + 6]);
  if (!ext) return;
  set(flow, S.ipv6_label, tcFlow & 0xfffff);
  setL3(flow, ext.frag, (tcFlow >>> 20) & 0xff, p[o + 7], ext.proto);
  if (!(ext.frag & FLOW_NW_FRAG_LATER)) parseL4(c, flow, ETH_TYPE_IPV6, ext.proto);
}

/**
 * `parse_ipv6_ext_hdrs`: walks extension headers to the terminal protocol.
 * @returns the protocol and fragment bits, or undefined for a truncated header
 */
function parseIpv6ExtHeaders(c: Cursor, first: number): { proto: number; frag: number } | undefined {
  let proto = first;
  let frag = 0;
  const p = c.p;
  for (;;) {
    if (proto !== IPPROTO_HOPOPTS && proto !== IPPROTO_ROUTING && proto !== IPPROTO_DSTOPTS
      && proto !== IPPROTO_AH && proto !== IPPROTO_FRAGMENT) {
      return { proto, frag };
    }
    if (left(c) < 8) return undefined;
    const o = c.off;
    let len: number;
    if (proto === IPPROTO_FRAGMENT) {
      len = 8;
      const offlg = be16(p, o + 2);
      proto = p[o];
      if (offlg) {
        frag = FLOW_NW_FRAG_ANY;
        if (offlg & IP6F_OFF_MASK) {
          c.off += len;
          return { proto: IPPROTO_FRAGMENT, frag: frag | FLOW_NW_FRAG_LATER };
        }
      }
    } else {
      len = proto === IPPROTO_AH ? (p[o + 1] + 2) * 4 : (p[o + 1] + 1) * 8;
      proto = p[o];
    }
    if (left(c) < len) return undefined;
    c.off += len;
  }
}

function parseL4(c: Cursor, flow: Buffer, dlType: number, proto: number): void {
  const p = c.p;
  const o = c.off;
  const n = left(c);
  if (proto === IPPROTO_TCP) {
    if (n < TCP_HEADER_LEN) return;
    const ctl = be16(p, o + 12);
    const hdrLen = (ctl >>> 12) * 4;
    if (hdrLen < TCP_HEADER_LEN || n < hdrLen) return;
    set(flow, S.tcp_flags, ctl & 0x0fff);
    copy(flow, S.tp_src, p, o);
    copy(flow, S.tp_dst, p, o + 2);
  } else if ((proto === IPPROTO_UDP && n >= UDP_HEADER_LEN) || (proto === IPPROTO_SCTP && n >= SCTP_HEADER_LEN)) {
    copy(flow, S.tp_src, p, o);
    copy(flow, S.tp_dst, p, o + 2);
  } else if (dlType === ETH_TYPE_IP && proto === IPPROTO_ICMP && n >= ICMP_HEADER_LEN) {
    set(flow, S.tp_src, p[o]);
    set(flow, S.tp_dst, p[o + 1]);
  } else if (dlType === ETH_TYPE_IP && proto === IPPROTO_IGMP && n >= IGMP_HEADER_LEN) {
    set(flow, S.tp_src, p[o]);
    set(flow, S.tp_dst, p[o + 1]);
    copy(flow, S.nd_reserved, p, o + 4);
  } else if (dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6 && n >= ICMP6_DATA_HEADER_LEN) {
    set(flow, S.tp_src, p[o]);
    set(flow, S.tp_dst, p[o + 1]);
    if (p[o + 1] === 0 && (p[o] === ND_NEIGHBOR_SOLICIT || p[o] === ND_NEIGHBOR_ADVERT)) {
      copy(flow, S.nd_reserved, p, o + 4);
      c.off = o + ICMP6_DATA_HEADER_LEN;
      parseNdOptions(c, flow);
    }
  }
}

/** `parse_icmpv6` for a neighbor solicitation or advertisement: target and link-layer options. */
function parseNdOptions(c: Cursor, flow: Buffer): void {
  const p = c.p;
  if (left(c) < 16) return;
  const target = c.off;
  c.off += 16;
  let sll: number | undefined;
  let tll: number | undefined;
  let optType = 0;
  let invalid = false;
  while (left(c) >= 8) {
    const type = p[c.off];
    const len = p[c.off + 1] * 8;
    if (!len || len > left(c)) break;
    if ((type === ND_OPT_SOURCE_LINKADDR || type === ND_OPT_TARGET_LINKADDR) && len === 8) {
      const mac = c.off + 2;
      const isZero = p.subarray(mac, mac + 6).every((x) => x === 0);
      if (type === ND_OPT_SOURCE_LINKADDR) {
        if (sll !== undefined) {
          invalid = true;
          break;
        }
        if (!isZero) sll = mac;
      } else {
        if (tll !== undefined) {
          invalid = true;
          break;
        }
        if (!isZero) tll = mac;
      }
      if (!optType) optType = type;
    }
    c.off += len;
  }
  if (invalid) {
    set(flow, S.tcp_flags, optType);
    return;
  }
  copy(flow, S.nd_target, p, target);
  if (sll !== undefined) copy(flow, S.arp_sha, p, sll);
  if (tll !== undefined) copy(flow, S.arp_tha, p, tll);
  set(flow, S.tcp_flags, optType);
}
