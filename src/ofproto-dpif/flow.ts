/**
 * The `Flow`: the packet headers and metadata that OpenFlow translation looks at, in OpenFlow
 * terms (ofport, not odp port), and `FlowWildcards`, the record of which of those fields a
 * translation consulted. Field names follow `ovs-fields(7)` (`in_port` → `inPort`,
 * `dl_src` → `dlSrc`, `vlan_tci` → `vlanTci`, `nw_frag` → `nwFrag`, …).
 *
 * This is the skeleton's subset: the fields NORMAL consults, plus what is needed to say whether a
 * packet is IP. Later work (issue #6) grows it into the full field table of DESIGN.md §3.
 */
import type { OdpFlowKey } from '../genl/flow-key';

/** `nw_frag` bits (ovs-fields(7) "nw_frag"): set for any fragment / for a later fragment. */
export const FLOW_NW_FRAG_ANY = 1 << 0;
export const FLOW_NW_FRAG_LATER = 1 << 1;
/** The VLAN CFI/"tag present" bit inside a TCI (IEEE 802.1Q; OVS reuses it as "tag present"). */
export const VLAN_CFI = 0x1000;
/** The VLAN ID bits of a TCI. */
export const VLAN_VID_MASK = 0x0fff;
/** IEEE 802.1Q TPID. */
export const ETH_TYPE_VLAN = 0x8100;
export const ETH_TYPE_IP = 0x0800;
export const ETH_TYPE_IPV6 = 0x86dd;
export const ETH_TYPE_ARP = 0x0806;

/** The headers and metadata of one packet (or of a megaflow's key), as translation sees them. */
export interface Flow {
  /** `recirc_id`: 0 for a packet that has not recirculated. */
  recircId: number;
  /** The datapath (odp) input port number, as the kernel reported it. */
  odpInPort: number;
  /** OpenFlow `in_port` (ofport), resolved from `odpInPort` by the bridge; 0 when unknown. */
  inPort: number;
  /** `dl_src` / `dl_dst`: lowercase colon-separated MAC addresses. */
  dlSrc: string;
  dlDst: string;
  /** `vlan_tci` of the outermost tag: 0 for an untagged frame, else the TCI with VLAN_CFI set. */
  vlanTci: number;
  /** `dl_type`: the ethertype after any VLAN tag. */
  dlType: number;
  /** `nw_frag` (FLOW_NW_FRAG_* bits); 0 for non-IP. */
  nwFrag: number;
  /** `nw_proto`: the IP protocol, or for ARP the low 8 bits of the opcode (as OVS stores it). */
  nwProto: number;
  /** `nw_src` / `nw_dst`: IPv4 source/destination, or ARP sender/target protocol address. */
  nwSrc: string;
  nwDst: string;
}

/**
 * Which bits of each `Flow` field a translation consulted: the megaflow mask in OpenFlow terms.
 * Each member has the same unit as the `Flow` field (MAC text, TCI bits, …); an absent member
 * means "fully wildcarded".
 */
export interface FlowWildcards {
  recircId?: number;
  inPort?: number;
  dlSrc?: string;
  dlDst?: string;
  vlanTci?: number;
  dlType?: number;
  nwFrag?: number;
  nwProto?: number;
  nwSrc?: string;
  nwDst?: string;
}

/** The all-ones mask of a MAC address field. */
export const MAC_EXACT = 'ff:ff:ff:ff:ff:ff';

/** Converts a kernel frag type (OVS_FRAG_TYPE_NONE/FIRST/LATER) to `nw_frag` bits. */
function nwFragFromOdp(frag: number): number {
  if (frag === 1) return FLOW_NW_FRAG_ANY;
  if (frag === 2) return FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
  return 0;
}

/**
 * Builds a `Flow` from a datapath flow key (an upcall's `OVS_PACKET_ATTR_KEY` or a dumped
 * megaflow's key), following the kernel's layout: for a VLAN-tagged frame the key carries
 * `OVS_KEY_ATTR_VLAN` with `OVS_KEY_ATTR_ETHERTYPE` = 0x8100 and the inner headers in
 * `OVS_KEY_ATTR_ENCAP`.
 *
 * @param key decoded datapath flow key
 * @param ofportOfOdp maps the odp in_port to the OpenFlow port (0 when the port is unknown)
 */
export function flowFromOdpKey(key: OdpFlowKey, ofportOfOdp: (odpPort: number) => number): Flow {
  const inner = key.vlan !== undefined && key.encap ? key.encap : key;
  const l3 = inner.ipv4 ?? inner.ipv6;
  const odpInPort = key.inPort ?? 0;
  return {
    recircId: key.recircId ?? 0,
    odpInPort,
    inPort: ofportOfOdp(odpInPort),
    dlSrc: key.ethernet?.src ?? '00:00:00:00:00:00',
    dlDst: key.ethernet?.dst ?? '00:00:00:00:00:00',
    vlanTci: key.vlan ?? 0,
    dlType: inner.ethertype ?? 0,
    nwFrag: l3 ? nwFragFromOdp(l3.frag) : 0,
    nwProto: inner.arp ? inner.arp.op & 0xff : (inner.ipv4?.proto ?? inner.ipv6?.proto ?? 0),
    nwSrc: inner.arp?.sip ?? inner.ipv4?.src ?? '0.0.0.0',
    nwDst: inner.arp?.tip ?? inner.ipv4?.dst ?? '0.0.0.0',
  };
}

/** True when `dlType` is IPv4 or IPv6. */
export function isIpAny(flow: Flow): boolean {
  return flow.dlType === ETH_TYPE_IP || flow.dlType === ETH_TYPE_IPV6;
}

/**
 * Converts the consulted fields into a datapath mask (`OVS_FLOW_ATTR_MASK`) shaped like `key`,
 * following the kernel's rules (net/openvswitch/flow_netlink.c): `in_port` is always exact (the
 * kernel needs it to be), `eth_type` is always exact (a mask for L3 attributes is only allowed
 * under an exact ethertype), and a tagged frame's mask carries `VLAN` with the CFI bit set plus an
 * `ENCAP` mask for the inner headers. The kernel itself matches `vlan_tci` exactly when the mask
 * has no VLAN attribute, so untagged megaflows never match tagged frames.
 *
 * @param key the datapath key the mask is for (its shape decides which attributes appear)
 * @param wc the consulted fields
 * @returns the mask; attributes whose mask would be all zero are omitted
 */
export function odpMaskFromWildcards(key: OdpFlowKey, wc: FlowWildcards): OdpFlowKey {
  const mask: OdpFlowKey = {
    recircId: 0xffffffff,
    inPort: 0xffffffff,
  };
  if (key.ethernet) {
    mask.ethernet = { src: wc.dlSrc ?? '00:00:00:00:00:00', dst: wc.dlDst ?? '00:00:00:00:00:00' };
  }
  const l3Mask = (inner: OdpFlowKey): OdpFlowKey => {
    const m: OdpFlowKey = { ethertype: 0xffff };
    const frag = wc.nwFrag ? 0xff : 0;
    if (inner.ipv4 && frag) m.ipv4 = { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag };
    if (inner.ipv6 && frag) m.ipv6 = { src: '::', dst: '::', label: 0, proto: 0, tclass: 0, hlimit: 0, frag };
    if (inner.arp && (wc.nwProto || wc.nwSrc || wc.nwDst)) {
      const zero = '00:00:00:00:00:00';
      m.arp = { sip: wc.nwSrc ?? '0.0.0.0', tip: wc.nwDst ?? '0.0.0.0', op: wc.nwProto ?? 0, sha: zero, tha: zero };
    }
    return m;
  };
  if (key.vlan !== undefined && key.encap) {
    mask.vlan = (wc.vlanTci ?? 0) | VLAN_CFI;
    mask.ethertype = 0xffff;
    mask.encap = l3Mask(key.encap);
  } else {
    Object.assign(mask, l3Mask(key));
  }
  return mask;
}
