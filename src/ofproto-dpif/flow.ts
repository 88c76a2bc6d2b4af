/**
 * Flow bytes as translation uses them: a flow is a Buffer of FLOW_LEN bytes laid out by
 * src/openflow/meta-flow.ts (every datum at a fixed offset, network byte order, as OVS's
 * `struct flow`), and its wildcards are a second buffer of the same layout whose 1-bits are the
 * bits a translation consulted (OVS's `struct flow_wildcards`). This module names the storage
 * slots translation touches and gives small typed accessors over them, so xlate, flow extraction
 * and the datapath key conversion read like OVS's code over `struct flow` members.
 */
import { FLOW_LAYOUT, FLOW_LEN, MfStorage, PT_ETH, OFPHTN_ETHERTYPE, readSlot, writeSlot } from '../openflow/meta-flow';
import { ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST, FLOW_DL_TYPE_NONE } from '../openflow/match';


/** The storage slots of the flow layout, by OVS `struct flow` member name (`S.dl_src`, …). */
export const S: Readonly<Record<string, MfStorage>> = FLOW_LAYOUT;

/** `nw_frag` bits (ovs-fields(7) "ip_frag"): any fragment, a later (non-first) fragment. */
export const FLOW_NW_FRAG_ANY = 1 << 0;
export const FLOW_NW_FRAG_LATER = 1 << 1;
export const FLOW_NW_FRAG_MASK = FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;

/** VLAN TCI bits, Ethertypes, IP protocols and ND types: the field table's own (src/openflow). */
export { VLAN_CFI, VLAN_VID_MASK, VLAN_PCP_MASK } from '../openflow/meta-flow';
export {
  ETH_TYPE_IP, ETH_TYPE_ARP, ETH_TYPE_RARP, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST, ETH_TYPE_NSH,
  FLOW_DL_TYPE_NONE, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6, IPPROTO_SCTP,
  ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT,
} from '../openflow/match';
export const VLAN_PCP_SHIFT = 13;
/** 802.1Q and 802.1ad TPIDs. */
export const ETH_TYPE_VLAN_8021Q = 0x8100;
export const ETH_TYPE_VLAN_8021AD = 0x88a8;
/** Ethertypes below this are 802.3 lengths (IEEE 802.3 §3.2.6). */
export const ETH_TYPE_MIN = 0x600;

/** `packet_type` of an Ethernet frame. */
export { PT_ETH, OFPHTN_ETHERTYPE };

/** A zeroed flow (or an all-wildcard mask). */
export function newFlow(): Buffer {
  return Buffer.alloc(FLOW_LEN);
}

/** Reads a slot of at most four bytes. */
export function get(flow: Uint8Array, slot: MfStorage): number {
  return readSlot(flow as Buffer, slot);
}

/** Writes a slot of at most four bytes. */
export function set(flow: Uint8Array, slot: MfStorage, v: number): void {
  writeSlot(flow as Buffer, slot, v);
}

/** ORs `bits` into a slot of at most four bytes of a wildcard mask (un-wildcards them). */
export function wcOr(wc: Uint8Array, slot: MfStorage, bits: number): void {
  writeSlot(wc as Buffer, slot, (readSlot(wc as Buffer, slot) | bits) >>> 0);
}

/** Un-wildcards a whole slot, any length (OVS `WC_MASK_FIELD`). */
export function wcExact(wc: Uint8Array, slot: MfStorage): void {
  wc.fill(0xff, slot.offset, slot.offset + slot.len);
}

/** The bytes of a slot (a view: copy before keeping it). */
export function bytes(flow: Uint8Array, slot: MfStorage): Uint8Array {
  return flow.subarray(slot.offset, slot.offset + slot.len);
}

/** A MAC slot (`dl_src`, `dl_dst`, `arp_sha`, `arp_tha`) as lowercase colon-separated text. */
export function getMac(flow: Uint8Array, slot: MfStorage): string {
  const b = flow.subarray(slot.offset, slot.offset + 6);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Writes a MAC slot from colon-separated hex text. */
export function setMac(flow: Uint8Array, slot: MfStorage, mac: string): void {
  mac.split(':').forEach((x, i) => (flow[slot.offset + i] = parseInt(x, 16)));
}

/** An IPv4 slot (`nw_src`, `nw_dst`, `tun_src`, …) as a dotted quad. */
export function getIpv4(flow: Uint8Array, slot: MfStorage): string {
  const o = slot.offset;
  return `${flow[o]}.${flow[o + 1]}.${flow[o + 2]}.${flow[o + 3]}`;
}

/** Writes an IPv4 slot from a dotted quad. */
export function setIpv4(flow: Uint8Array, slot: MfStorage, ip: string): void {
  ip.split('.').forEach((x, i) => (flow[slot.offset + i] = Number(x)));
}

/** True when every byte of the slot is zero. */
export function isZero(flow: Uint8Array, slot: MfStorage): boolean {
  for (let i = slot.offset; i < slot.offset + slot.len; i++) if (flow[i]) return false;
  return true;
}

/**
 * The Ethertype of a flow (OVS `get_dl_type`): `dl_type` of an Ethernet frame, the type of an
 * Ethertype-namespace `packet_type`, else FLOW_DL_TYPE_NONE.
 */
export function dlType(flow: Uint8Array): number {
  const pt = get(flow, S.packet_type);
  if (pt === PT_ETH) return get(flow, S.dl_type);
  if (pt >>> 16 === OFPHTN_ETHERTYPE) return pt & 0xffff;
  return FLOW_DL_TYPE_NONE;
}

/** True for IPv4 and IPv6 (OVS `is_ip_any`). */
export function isIpAny(flow: Uint8Array): boolean {
  const t = dlType(flow);
  return t === ETH_TYPE_IP || t === ETH_TYPE_IPV6;
}

/** True for the MPLS Ethertypes (OVS `eth_type_mpls`). */
export function ethTypeMpls(t: number): boolean {
  return t === ETH_TYPE_MPLS || t === ETH_TYPE_MPLS_MCAST;
}

/** True for 802.1Q and 802.1ad TPIDs (OVS `eth_type_vlan`). */
export function ethTypeVlan(t: number): boolean {
  return t === ETH_TYPE_VLAN_8021Q || t === ETH_TYPE_VLAN_8021AD;
}
