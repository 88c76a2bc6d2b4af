/**
 * Datapath flow keys and masks (`OVS_KEY_ATTR_*`, decoded as src/genl/flow-key.ts's
 * `OdpFlowKey`) ↔ flow bytes (the layout of src/openflow/meta-flow.ts), as OVS's
 * `odp_flow_key_to_flow()`, `odp_flow_key_from_flow()`, `odp_flow_key_from_mask()` and
 * `odp_flow_key_to_mask()` (lib/odp-util.c) do between netlink and `struct flow`.
 *
 * Keys and masks come out in the kernel's shape (net/openvswitch/flow_netlink.c
 * `__ovs_nla_put_key()`): the metadata attributes always (priority, skb_mark, recirc_id, dp_hash,
 * ct_state/zone/mark/labels), in_port when known, the tunnel when the packet came in on one, the
 * Ethernet addresses of an Ethernet frame, the 802.1Q header with the inner headers in ENCAP,
 * the Ethertype (absent for an 802.2 frame), and the L3/L4 attributes the Ethertype and
 * protocol call for (none for a later fragment; TCP_FLAGS with TCP; ND with an ICMPv6 neighbor
 * solicitation or advertisement). A mask has the attributes of the key it masks, plus the
 * tunnel (its TTL at least) and, for an 802.2 frame, the Ethertype (exact once consulted, which
 * translation always does), as OVS sends them. The kernel's rules on masks hold: the input port
 * is all-or-nothing (and translation always consults it, as the Ethertype), a tagged frame's
 * mask matches the TPID exactly and the tag-present (CFI) bit of the TCI, `frag` is
 * all-or-nothing, and the ARP opcode's mask is 8 bits wide, as the kernel keeps it.
 *
 * What flow bytes cannot carry, and so makes a key's fit `too_much` (the attributes are dropped,
 * so a megaflow built from the flow leaves them wildcarded, as OVS 3.1 does for attributes it
 * does not know): a second VLAN header (the default `vlan-limit` of 1 stops parsing there), MPLS
 * label stack entries below the top one, IPv6 extension header bits, Geneve options, tunnel UDP
 * ports, NSH MD type 2 metadata, unmodelled attributes. The datapath input port number and the
 * TPID of the outer tag live next to the flow bytes, in {@link OdpFlow}.
 */
import type { OdpFlowKey, OdpTunnelKey } from '../genl/flow-key';
import {
  bytes, ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_MIN, ETH_TYPE_NSH, ETH_TYPE_RARP,
  ETH_TYPE_VLAN_8021Q, ethTypeMpls, ethTypeVlan, FLOW_DL_TYPE_NONE, FLOW_NW_FRAG_ANY, FLOW_NW_FRAG_LATER,
  FLOW_NW_FRAG_MASK, get, getIpv4, getMac, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
  isIpAny, isZero, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, newFlow, OFPHTN_ETHERTYPE, PT_ETH, S, set, setIpv4, setMac,
  VLAN_CFI,
} from './flow';
import { formatIpv6, parseIpv6 } from '../genl/addr';

/** `ODPP_NONE`: "no datapath port" (a key without OVS_KEY_ATTR_IN_PORT). */
export const ODPP_NONE = 0xffffffff;

/** OVS_FRAG_TYPE_* (`enum ovs_frag_type`). */
const OVS_FRAG_TYPE_NONE = 0;
const OVS_FRAG_TYPE_FIRST = 1;
const OVS_FRAG_TYPE_LATER = 2;

/** `struct flow_tnl` flag bits (include/openvswitch/packets.h), kept in the `tun_flags` slot. */
export const FLOW_TNL_F_OAM = 1 << 0;
export const FLOW_TNL_F_DONT_FRAGMENT = 1 << 1;
export const FLOW_TNL_F_CSUM = 1 << 2;
export const FLOW_TNL_F_KEY = 1 << 3;

/**
 * How well flow bytes hold a key (OVS `enum odp_key_fitness`): `perfect`, or `too_much` when
 * the key had attributes the flow cannot carry (listed in the module comment).
 */
export type OdpFit = 'perfect' | 'too_much';

/** A flow and what a datapath key has beside it. */
export interface OdpFlow {
  /** FLOW_LEN bytes; `in_port` is the OpenFlow port */
  flow: Buffer;
  /** the datapath input port, ODPP_NONE when the key had none */
  odpInPort: number;
  /** TPID of the 802.1Q header (0x8100 or 0x88a8), 0 for an untagged frame */
  vlanTpid: number;
  fit: OdpFit;
}

/** The part of an {@link OdpFlow} the key and mask encoders need. */
export type OdpFlowShape = Pick<OdpFlow, 'flow' | 'odpInPort' | 'vlanTpid'>;

function mplsLse(e: { label: number; tc: number; ttl: number; bos: number }): number {
  return ((e.label << 12) | (e.tc << 9) | (e.bos << 8) | e.ttl) >>> 0;
}

function setIpv6(flow: Buffer, slot: typeof S.ipv6_src, text: string): void {
  const v = parseIpv6(text);
  if (!v) throw new RangeError(`invalid IPv6 address "${text}"`);
  v.copy(flow, slot.offset);
}

function getIpv6(flow: Uint8Array, slot: typeof S.ipv6_src): string {
  return formatIpv6(Buffer.from(flow.buffer, flow.byteOffset + slot.offset, 16), 0);
}

/** Kernel ct_labels bytes (a little-endian bitmap) ↔ the big-endian `ct_label` slot. */
function reversed(b: Uint8Array): Buffer {
  return Buffer.from(b).reverse();
}

function fragToFlow(frag: number, isMask: boolean): number {
  if (isMask) return frag ? FLOW_NW_FRAG_MASK : 0;
  if (frag === OVS_FRAG_TYPE_FIRST) return FLOW_NW_FRAG_ANY;
  if (frag === OVS_FRAG_TYPE_LATER) return FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
  return 0;
}

function fragFromFlow(nwFrag: number, isMask: boolean): number {
  if (isMask) return nwFrag & FLOW_NW_FRAG_ANY ? 0xff : 0;
  if (!(nwFrag & FLOW_NW_FRAG_ANY)) return OVS_FRAG_TYPE_NONE;
  return nwFrag & FLOW_NW_FRAG_LATER ? OVS_FRAG_TYPE_LATER : OVS_FRAG_TYPE_FIRST;
}

/** Tunnel attributes → `tun_*` slots; returns false when some attribute has no slot. */
function tunnelToFlow(t: OdpTunnelKey, flow: Buffer): boolean {
  let flags = 0;
  if (t.id !== undefined) {
    flow.writeBigUInt64BE(t.id, S.tun_id.offset);
    flags |= FLOW_TNL_F_KEY;
  }
  if (t.ipv4Src !== undefined) setIpv4(flow, S.tun_src, t.ipv4Src);
  if (t.ipv4Dst !== undefined) setIpv4(flow, S.tun_dst, t.ipv4Dst);
  if (t.ipv6Src !== undefined) setIpv6(flow, S.tun_ipv6_src, t.ipv6Src);
  if (t.ipv6Dst !== undefined) setIpv6(flow, S.tun_ipv6_dst, t.ipv6Dst);
  if (t.tos !== undefined) set(flow, S.tun_tos, t.tos);
  if (t.ttl !== undefined) set(flow, S.tun_ttl, t.ttl);
  if (t.dontFragment) flags |= FLOW_TNL_F_DONT_FRAGMENT;
  if (t.csum) flags |= FLOW_TNL_F_CSUM;
  if (t.oam) flags |= FLOW_TNL_F_OAM;
  set(flow, S.tun_flags, flags);
  if (t.vxlan?.gbp !== undefined) {
    set(flow, S.tun_gbp_id, t.vxlan.gbp & 0xffff);
    set(flow, S.tun_gbp_flags, (t.vxlan.gbp >>> 16) & 0xff);
  }
  if (t.erspan) {
    set(flow, S.tun_erspan_ver, t.erspan.version);
    if (t.erspan.md2) {
      set(flow, S.tun_erspan_dir, t.erspan.md2.dir);
      set(flow, S.tun_erspan_hwid, t.erspan.md2.hwid);
    } else {
      set(flow, S.tun_erspan_idx, t.erspan.index ?? 0);
    }
  }
  return t.tpSrc === undefined && t.tpDst === undefined && t.geneve === undefined && t.pad === undefined
    && t.ipv4InfoBridge === undefined && !t.vxlan?.other?.length && !t.other?.length
    && !(t.erspan && t.erspan.version !== 1 && t.erspan.version !== 2)
    && !(t.erspan?.md2 && (t.erspan.md2.timestamp || t.erspan.md2.sgt || t.erspan.md2.ft || t.erspan.md2.p
      || t.erspan.md2.o || t.erspan.md2.gra));
}

/**
 * `tun_*` slots of `flow` (a flow, or wildcards) → tunnel attributes, as OVS's
 * `tun_key_to_attr()` writes them; the ERSPAN options appear when the `shape` flow's version is
 * 1 or 2 (a mask's all-ones 8-bit version stands for the kernel's 32-bit one).
 */
function tunnelFromFlow(flow: Uint8Array, shape: Uint8Array, isMask: boolean): OdpTunnelKey {
  const t: OdpTunnelKey = {};
  const flags = get(flow, S.tun_flags);
  const id = Buffer.from(bytes(flow, S.tun_id)).readBigUInt64BE(0);
  if (id || flags & FLOW_TNL_F_KEY) t.id = id;
  if (!isZero(flow, S.tun_src)) t.ipv4Src = getIpv4(flow, S.tun_src);
  if (!isZero(flow, S.tun_dst)) t.ipv4Dst = getIpv4(flow, S.tun_dst);
  if (!isZero(flow, S.tun_ipv6_src)) t.ipv6Src = getIpv6(flow, S.tun_ipv6_src);
  if (!isZero(flow, S.tun_ipv6_dst)) t.ipv6Dst = getIpv6(flow, S.tun_ipv6_dst);
  if (get(flow, S.tun_tos)) t.tos = get(flow, S.tun_tos);
  t.ttl = get(flow, S.tun_ttl);
  if (flags & FLOW_TNL_F_DONT_FRAGMENT) t.dontFragment = true;
  if (flags & FLOW_TNL_F_CSUM) t.csum = true;
  if (flags & FLOW_TNL_F_OAM) t.oam = true;
  const gbpId = get(flow, S.tun_gbp_id);
  const gbpFlags = get(flow, S.tun_gbp_flags);
  if (gbpId || gbpFlags) t.vxlan = { gbp: ((gbpFlags << 16) | gbpId) >>> 0 };
  const shapeVer = get(shape, S.tun_erspan_ver);
  const ver = isMask && get(flow, S.tun_erspan_ver) === 0xff ? 0xffffffff : get(flow, S.tun_erspan_ver);
  if (shapeVer === 1) t.erspan = { version: ver, index: get(flow, S.tun_erspan_idx) };
  if (shapeVer === 2) {
    t.erspan = {
      version: ver,
      md2: { timestamp: 0, sgt: 0, hwid: get(flow, S.tun_erspan_hwid), ft: 0, p: 0, o: 0, gra: 0, dir: get(flow, S.tun_erspan_dir) },
    };
  }
  return t;
}

/** True when the flow came in on a tunnel (OVS `flow_tnl_dst_is_set` / `_src_is_set`). */
function hasTunnel(flow: Uint8Array): boolean {
  return !isZero(flow, S.tun_dst) || !isZero(flow, S.tun_src)
    || !isZero(flow, S.tun_ipv6_dst) || !isZero(flow, S.tun_ipv6_src);
}

/**
 * The metadata attributes of a key or mask (priority, skb_mark, recirc_id, dp_hash, ct_state,
 * ct_zone, ct_mark, ct_labels, the original-direction conntrack tuple) → their slots of `flow`
 * (flow bytes or wildcards alike: each value is copied as it stands, absent ones as 0).
 */
function metadataToFlow(k: OdpFlowKey, flow: Buffer): void {
  set(flow, S.skb_priority, k.priority ?? 0);
  set(flow, S.pkt_mark, k.skbMark ?? 0);
  set(flow, S.recirc_id, k.recircId ?? 0);
  set(flow, S.dp_hash, k.dpHash ?? 0);
  set(flow, S.ct_state, k.ctState ?? 0);
  set(flow, S.ct_zone, k.ctZone ?? 0);
  set(flow, S.ct_mark, k.ctMark ?? 0);
  if (k.ctLabels) reversed(k.ctLabels).copy(flow, S.ct_label.offset);
  const ct4 = k.ctOrigTupleIpv4;
  if (ct4) {
    setIpv4(flow, S.ct_nw_src, ct4.src);
    setIpv4(flow, S.ct_nw_dst, ct4.dst);
  }
  const ct6 = k.ctOrigTupleIpv6;
  if (ct6) {
    setIpv6(flow, S.ct_ipv6_src, ct6.src);
    setIpv6(flow, S.ct_ipv6_dst, ct6.dst);
  }
  const ct = ct4 ?? ct6;
  if (ct) {
    set(flow, S.ct_tp_src, ct.srcPort);
    set(flow, S.ct_tp_dst, ct.dstPort);
    set(flow, S.ct_nw_proto, ct.proto);
  }
}

/**
 * Converts a datapath key (an upcall's `OVS_PACKET_ATTR_KEY`, a dumped flow's key) into flow
 * bytes (OVS `odp_flow_key_to_flow()`, with `vlan-limit` 1).
 *
 * @param key the decoded key
 * @param ofportOfOdp the OpenFlow port of a datapath port (0 when unknown); not called when the
 *   key has no in_port
 * @returns the flow, its datapath context, and whether the flow holds all of the key
 * @throws RangeError on malformed addresses in the key
 */
export function flowFromOdpKey(key: OdpFlowKey, ofportOfOdp: (odpPort: number) => number): OdpFlow {
  const flow = newFlow();
  let perfect = !key.other?.length && key.ndExtensions === undefined && key.packetType === undefined;
  metadataToFlow(key, flow);
  if (key.tunnel && !tunnelToFlow(key.tunnel, flow)) perfect = false;
  const odpInPort = key.inPort ?? ODPP_NONE;
  if (key.inPort !== undefined) set(flow, S.in_port, ofportOfOdp(key.inPort));

  let vlanTpid = 0;
  let l3: OdpFlowKey = key;
  if (key.ethernet) {
    setMac(flow, S.dl_src, key.ethernet.src);
    setMac(flow, S.dl_dst, key.ethernet.dst);
    set(flow, S.packet_type, PT_ETH);
    if (key.vlan !== undefined && key.ethertype !== undefined && ethTypeVlan(key.ethertype)) {
      set(flow, S.vlan_tci, key.vlan);
      if (!(key.vlan & VLAN_CFI)) {
        // A truncated 802.1Q header: the TPID stays the Ethertype, nothing inside is parsed.
        set(flow, S.dl_type, key.ethertype);
        return { flow, odpInPort, vlanTpid, fit: perfect && !key.encap ? 'perfect' : 'too_much' };
      }
      vlanTpid = key.ethertype;
      l3 = key.encap ?? {};
      if (l3.vlan !== undefined) {
        set(flow, S.dl_type, l3.ethertype ?? FLOW_DL_TYPE_NONE);
        return { flow, odpInPort, vlanTpid, fit: 'too_much' };
      }
    }
    set(flow, S.dl_type, l3.ethertype ?? FLOW_DL_TYPE_NONE);
  } else if (key.ethertype !== undefined) {
    set(flow, S.packet_type, ((OFPHTN_ETHERTYPE << 16) | key.ethertype) >>> 0);
    set(flow, S.dl_type, key.ethertype);
  }
  if (!l3PartToFlow(l3, flow)) perfect = false;
  return { flow, odpInPort, vlanTpid, fit: perfect ? 'perfect' : 'too_much' };
}

/**
 * The L2.5–L4 attributes of a key or mask (the top level, or a VLAN's ENCAP) → flow bytes or
 * wildcards (`isMask`: `frag` becomes all-or-nothing); false when a key's attributes did not all
 * fit (ignored for a mask).
 */
function l3PartToFlow(k: OdpFlowKey, flow: Buffer, isMask = false): boolean {
  let perfect = true;
  if (k.mpls?.length) {
    set(flow, S.mpls_lse, mplsLse(k.mpls[0]));
    if (k.mpls.length > 1) perfect = false;
  }
  if (k.ipv4) {
    setIpv4(flow, S.nw_src, k.ipv4.src);
    setIpv4(flow, S.nw_dst, k.ipv4.dst);
    set(flow, S.nw_proto, k.ipv4.proto);
    set(flow, S.nw_tos, k.ipv4.tos);
    set(flow, S.nw_ttl, k.ipv4.ttl);
    set(flow, S.nw_frag, fragToFlow(k.ipv4.frag, isMask));
  }
  if (k.ipv6) {
    setIpv6(flow, S.ipv6_src, k.ipv6.src);
    setIpv6(flow, S.ipv6_dst, k.ipv6.dst);
    set(flow, S.ipv6_label, k.ipv6.label);
    set(flow, S.nw_proto, k.ipv6.proto);
    set(flow, S.nw_tos, k.ipv6.tclass);
    set(flow, S.nw_ttl, k.ipv6.hlimit);
    set(flow, S.nw_frag, fragToFlow(k.ipv6.frag, isMask));
  }
  if (k.ipv6Exthdrs !== undefined) perfect = false;
  const tp = k.tcp ?? k.udp ?? k.sctp;
  if (tp) {
    set(flow, S.tp_src, tp.src);
    set(flow, S.tp_dst, tp.dst);
  }
  if (k.tcpFlags !== undefined) set(flow, S.tcp_flags, k.tcpFlags);
  const icmp = k.icmp ?? k.icmpv6;
  if (icmp) {
    set(flow, S.tp_src, icmp.type);
    set(flow, S.tp_dst, icmp.code);
  }
  if (k.arp) {
    setIpv4(flow, S.nw_src, k.arp.sip);
    setIpv4(flow, S.nw_dst, k.arp.tip);
    set(flow, S.nw_proto, k.arp.op & 0xff);
    setMac(flow, S.arp_sha, k.arp.sha);
    setMac(flow, S.arp_tha, k.arp.tha);
    if (k.arp.op > 0xff) perfect = false;
  }
  if (k.nd) {
    setIpv6(flow, S.nd_target, k.nd.target);
    setMac(flow, S.arp_sha, k.nd.sll);
    setMac(flow, S.arp_tha, k.nd.tll);
  }
  if (k.nsh) {
    const b = k.nsh.base;
    if (b) {
      set(flow, S.nsh_flags, b.flags);
      set(flow, S.nsh_ttl, b.ttl);
      set(flow, S.nsh_mdtype, b.mdtype);
      set(flow, S.nsh_np, b.np);
      set(flow, S.nsh_path_hdr, ((b.spi << 8) | b.si) >>> 0);
    }
    k.nsh.md1?.forEach((c, i) => set(flow, S[`nsh_c${i + 1}`], c));
    if (k.nsh.md2 !== undefined || k.nsh.other?.length) perfect = false;
  }
  return perfect;
}

/** Whether the flow is an ICMPv6 neighbor solicitation or advertisement (the kernel's ND test). */
function isNdType(flow: Uint8Array): boolean {
  const t = get(flow, S.tp_src);
  return t === ND_NEIGHBOR_SOLICIT || t === ND_NEIGHBOR_ADVERT;
}

/**
 * Builds a key (isMask false) or a mask (isMask true) attribute set from `data` (the flow, or
 * its wildcards), shaped by `shape.flow` — one walk, as OVS's `odp_flow_key_from_flow__()`.
 */
function keyFromFlow(shape: OdpFlowShape, data: Uint8Array, isMask: boolean): OdpFlowKey {
  const flow = shape.flow;
  const k: OdpFlowKey = {
    priority: get(data, S.skb_priority),
    skbMark: get(data, S.pkt_mark),
    recircId: get(data, S.recirc_id),
    dpHash: get(data, S.dp_hash),
    ctState: get(data, S.ct_state),
    ctZone: get(data, S.ct_zone),
    ctMark: get(data, S.ct_mark),
    ctLabels: reversed(bytes(data, S.ct_label)),
  };
  if (get(flow, S.ct_nw_proto)) {
    const tuple = (src: string, dst: string) => ({
      src, dst, srcPort: get(data, S.ct_tp_src), dstPort: get(data, S.ct_tp_dst), proto: get(data, S.ct_nw_proto),
    });
    if (get(flow, S.dl_type) === ETH_TYPE_IP) {
      k.ctOrigTupleIpv4 = tuple(getIpv4(data, S.ct_nw_src), getIpv4(data, S.ct_nw_dst));
    } else if (get(flow, S.dl_type) === ETH_TYPE_IPV6) {
      k.ctOrigTupleIpv6 = tuple(getIpv6(data, S.ct_ipv6_src), getIpv6(data, S.ct_ipv6_dst));
    }
  }
  if (isMask || hasTunnel(flow)) k.tunnel = tunnelFromFlow(data, flow, isMask);
  if (isMask) k.inPort = get(data, S.in_port) ? 0xffffffff : 0;
  else if (shape.odpInPort !== ODPP_NONE) k.inPort = shape.odpInPort;

  let l3 = k;
  const type = get(flow, S.dl_type);
  if (get(flow, S.packet_type) === PT_ETH) {
    k.ethernet = { src: getMac(data, S.dl_src), dst: getMac(data, S.dl_dst) };
    const tci = get(flow, S.vlan_tci);
    if (tci & VLAN_CFI) {
      k.ethertype = isMask ? 0xffff : shape.vlanTpid || ETH_TYPE_VLAN_8021Q;
      k.vlan = isMask ? get(data, S.vlan_tci) | VLAN_CFI : tci;
      l3 = k.encap = {};
    } else if (tci === 0 && ethTypeVlan(type)) {
      // A truncated 802.1Q header: its TPID is the Ethertype and there is nothing inside.
      k.ethertype = isMask ? 0xffff : type;
      k.vlan = get(data, S.vlan_tci);
      k.encap = {};
      return k;
    }
  }
  if (type < ETH_TYPE_MIN) {
    // An 802.2 frame's key has no Ethertype; its mask says whether that absence matters.
    if (isMask) l3.ethertype = get(data, S.dl_type) ? 0xffff : 0;
    return k;
  }
  l3.ethertype = get(data, S.dl_type);
  if (ethTypeVlan(type)) return k;
  l3PartFromFlow(flow, data, isMask, l3);
  return k;
}

function l3PartFromFlow(flow: Uint8Array, data: Uint8Array, isMask: boolean, l3: OdpFlowKey): void {
  const type = get(flow, S.dl_type);
  const proto = get(flow, S.nw_proto);
  const frag = get(data, S.nw_frag);
  if (type === ETH_TYPE_IP) {
    l3.ipv4 = {
      src: getIpv4(data, S.nw_src), dst: getIpv4(data, S.nw_dst), proto: get(data, S.nw_proto),
      tos: get(data, S.nw_tos), ttl: get(data, S.nw_ttl), frag: fragFromFlow(frag, isMask),
    };
  } else if (type === ETH_TYPE_IPV6) {
    l3.ipv6 = {
      src: getIpv6(data, S.ipv6_src), dst: getIpv6(data, S.ipv6_dst), label: get(data, S.ipv6_label) & 0xfffff,
      proto: get(data, S.nw_proto), tclass: get(data, S.nw_tos), hlimit: get(data, S.nw_ttl),
      frag: fragFromFlow(frag, isMask),
    };
  } else if (type === ETH_TYPE_ARP || type === ETH_TYPE_RARP) {
    // The opcode lives in nw_proto's 8 bits, as in the kernel (a mask of 0xff is exact).
    l3.arp = {
      sip: getIpv4(data, S.nw_src), tip: getIpv4(data, S.nw_dst), op: get(data, S.nw_proto),
      sha: getMac(data, S.arp_sha), tha: getMac(data, S.arp_tha),
    };
  } else if (ethTypeMpls(type)) {
    const lse = get(data, S.mpls_lse);
    l3.mpls = [{ label: lse >>> 12, tc: (lse >>> 9) & 7, bos: (lse >>> 8) & 1, ttl: lse & 0xff }];
  } else if (type === ETH_TYPE_NSH) {
    const path = get(data, S.nsh_path_hdr);
    l3.nsh = {
      base: {
        flags: get(data, S.nsh_flags), ttl: get(data, S.nsh_ttl), mdtype: get(data, S.nsh_mdtype),
        np: get(data, S.nsh_np), spi: path >>> 8, si: path & 0xff,
      },
      md1: [1, 2, 3, 4].map((i) => get(data, S[`nsh_c${i}`])),
    };
  }
  if (!isIpAny(flow) || get(flow, S.nw_frag) & FLOW_NW_FRAG_LATER) return;
  const tp = { src: get(data, S.tp_src), dst: get(data, S.tp_dst) };
  if (proto === IPPROTO_TCP) {
    l3.tcp = tp;
    l3.tcpFlags = get(data, S.tcp_flags);
  } else if (proto === IPPROTO_UDP) {
    l3.udp = tp;
  } else if (proto === IPPROTO_SCTP) {
    l3.sctp = tp;
  } else if (type === ETH_TYPE_IP && proto === IPPROTO_ICMP) {
    l3.icmp = { type: tp.src & 0xff, code: tp.dst & 0xff };
  } else if (type === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) {
    l3.icmpv6 = { type: tp.src & 0xff, code: tp.dst & 0xff };
    if (isNdType(flow)) {
      l3.nd = { target: getIpv6(data, S.nd_target), sll: getMac(data, S.arp_sha), tll: getMac(data, S.arp_tha) };
    }
  }
}

/**
 * The datapath key of a flow, in the kernel's shape (see the module comment): what
 * `OVS_PACKET_CMD_EXECUTE` needs for a packet the switch itself sends (PACKET_OUT), and the
 * inverse of {@link flowFromOdpKey} for keys it fits perfectly.
 */
export function odpKeyFromFlow(f: OdpFlowShape): OdpFlowKey {
  return keyFromFlow(f, f.flow, false);
}

/**
 * The datapath mask (`OVS_FLOW_ATTR_MASK`) saying that the bits of `wc` matter for the key of
 * `f` (OVS `odp_flow_key_from_mask()`): every attribute of the key with its consulted bits, plus
 * the tunnel and the kernel's rules (module comment). Fields the kernel cannot see (registers,
 * metadata, OpenFlow-only fields) have no place in it and are dropped.
 *
 * @param f the flow the megaflow is built from (its shape decides the attributes)
 * @param wc FLOW_LEN bytes, 1 = consulted
 */
export function odpMaskFromWildcards(f: OdpFlowShape, wc: Uint8Array): OdpFlowKey {
  return keyFromFlow(f, wc, true);
}

/**
 * The wildcards a datapath mask stands for (OVS `odp_flow_key_to_mask()`): the inverse of
 * {@link odpMaskFromWildcards} on the bits flow bytes can hold. The input port's mask becomes
 * all-or-nothing, the outer TPID's mask is dropped (flow bytes have no TPID).
 *
 * @param mask the decoded mask
 * @param f the flow of the key the mask goes with (decides where L3 lives: a VLAN's ENCAP)
 * @returns FLOW_LEN bytes
 */
export function wildcardsFromOdpMask(mask: OdpFlowKey, f: OdpFlowShape): Buffer {
  const wc = newFlow();
  metadataToFlow(mask, wc);
  if (mask.tunnel) tunnelToFlow(mask.tunnel, wc);
  if (mask.inPort) set(wc, S.in_port, 0xffff);
  let l3: OdpFlowKey = mask;
  if (mask.ethernet) {
    setMac(wc, S.dl_src, mask.ethernet.src);
    setMac(wc, S.dl_dst, mask.ethernet.dst);
  }
  if (mask.vlan !== undefined) {
    set(wc, S.vlan_tci, mask.vlan);
    if (get(f.flow, S.vlan_tci) & VLAN_CFI) l3 = mask.encap ?? {};
    else return wc;
  }
  set(wc, S.dl_type, l3.ethertype ?? 0);
  l3PartToFlow(l3, wc, true);
  return wc;
}
