/**
 * Flow key and mask codec: the nested `OVS_KEY_ATTR_*` attributes carried by `OVS_FLOW_ATTR_KEY`,
 * `OVS_FLOW_ATTR_MASK`, `OVS_PACKET_ATTR_KEY` and the set actions, as defined by
 * `<linux/openvswitch.h>` (Linux 6.1: `enum ovs_key_attr`, `enum ovs_tunnel_key_attr`,
 * `enum ovs_nsh_key_attr`, `struct ovs_key_*`). A mask uses the same layout as a key; its values
 * are mask bits (1 = exact match).
 *
 * Byte orders on the wire: u16/u32 metadata (priority, in_port, skb_mark, recirc_id, dp_hash,
 * ct_state, ct_zone, ct_mark, ipv6 exthdrs, the VXLAN GBP word, the ERSPAN version) are host order
 * (little-endian here); ethertype, VLAN TCI, TCP flags, L4 ports, addresses, MPLS label stack
 * entries, the tunnel id, NSH words and the IPv6 flow label are network order. In
 * {@link OdpFlowKey} every number is the plain numeric value, whatever its wire order.
 *
 * Canonical attribute order (what {@link encodeFlowKey} emits) is the kernel's, from
 * `__ovs_nla_put_key()` and `__ip_tun_to_nlattr()` in net/openvswitch/flow_netlink.c, so keys
 * and masks the kernel sends (upcalls, dumps) re-encode byte for byte.
 *
 * Sections: the decoded shapes; address text; struct layouts (shared with the parser); the
 * binary codec (tables of nested-attribute members, one per level: key, tunnel, VXLAN options,
 * NSH); masking ({@link maskFlowKeyBytes}); the text format.
 *
 * The text form ({@link formatFlowKeyBytes}, {@link formatFlowKey}, {@link formatKeyAttr}) is
 * what Open vSwitch 3.1's `odp_flow_format()` (lib/odp-util.c) prints, quirks included (checked
 * against ovs-dpctl 3.1 on the 6.1 kernel: test/kernel/odp-key.test.ts): OVS 3.1 knows key
 * attributes up to OVS_KEY_ATTR_TUNNEL_INFO (31) and tunnel attributes up to its userspace-only
 * GTPU_OPTS (16), so the kernel's OVS_KEY_ATTR_IPV6_EXTHDRS prints as `key32(…)`. The parser of
 * that text is `./odp-key-text`.
 */
import { formatIpv6, parseIpv6 } from './addr';
import { attr, NLA_HDRLEN, NLA_TYPE_MASK, nlaAlign, parseAttrs } from './nlattr';
import {
  OVS_CT_LABELS_LEN,
  OVS_KEY_ATTR_ARP,
  OVS_KEY_ATTR_CT_LABELS,
  OVS_KEY_ATTR_CT_MARK,
  OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4,
  OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6,
  OVS_KEY_ATTR_CT_STATE,
  OVS_KEY_ATTR_CT_ZONE,
  OVS_KEY_ATTR_DP_HASH,
  OVS_KEY_ATTR_ENCAP,
  OVS_KEY_ATTR_ETHERNET,
  OVS_KEY_ATTR_ETHERTYPE,
  OVS_KEY_ATTR_ICMP,
  OVS_KEY_ATTR_ICMPV6,
  OVS_KEY_ATTR_IN_PORT,
  OVS_KEY_ATTR_IPV4,
  OVS_KEY_ATTR_IPV6,
  OVS_KEY_ATTR_IPV6_EXTHDRS,
  OVS_KEY_ATTR_MPLS,
  OVS_KEY_ATTR_ND,
  OVS_KEY_ATTR_ND_EXTENSIONS,
  OVS_KEY_ATTR_NSH,
  OVS_KEY_ATTR_PACKET_TYPE,
  OVS_KEY_ATTR_PRIORITY,
  OVS_KEY_ATTR_RECIRC_ID,
  OVS_KEY_ATTR_SCTP,
  OVS_KEY_ATTR_SKB_MARK,
  OVS_KEY_ATTR_TCP,
  OVS_KEY_ATTR_TCP_FLAGS,
  OVS_KEY_ATTR_TUNNEL,
  OVS_KEY_ATTR_TUNNEL_INFO,
  OVS_KEY_ATTR_UDP,
  OVS_KEY_ATTR_UNSPEC,
  OVS_KEY_ATTR_VLAN,
  OVS_NSH_KEY_ATTR_BASE,
  OVS_NSH_KEY_ATTR_MD1,
  OVS_NSH_KEY_ATTR_MD2,
  OVS_TUNNEL_KEY_ATTR_CSUM,
  OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT,
  OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS,
  OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS,
  OVS_TUNNEL_KEY_ATTR_ID,
  OVS_TUNNEL_KEY_ATTR_IPV4_DST,
  OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE,
  OVS_TUNNEL_KEY_ATTR_IPV4_SRC,
  OVS_TUNNEL_KEY_ATTR_IPV6_DST,
  OVS_TUNNEL_KEY_ATTR_IPV6_SRC,
  OVS_TUNNEL_KEY_ATTR_OAM,
  OVS_TUNNEL_KEY_ATTR_PAD,
  OVS_TUNNEL_KEY_ATTR_TOS,
  OVS_TUNNEL_KEY_ATTR_TP_DST,
  OVS_TUNNEL_KEY_ATTR_TP_SRC,
  OVS_TUNNEL_KEY_ATTR_TTL,
  OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS,
  OVS_VXLAN_EXT_GBP,
} from './openvswitch';

// =============================================================================================
// The decoded shapes

/** One MPLS label stack entry (`struct ovs_key_mpls`, a __be32 LSE), split into its fields. */
export interface MplsLse {
  /** 20-bit label. */
  label: number;
  /** 3-bit traffic class. */
  tc: number;
  /** 8-bit time to live. */
  ttl: number;
  /** 1-bit bottom of stack. */
  bos: number;
}

/**
 * One Geneve option TLV of OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS (`struct geneve_opt`: __be16 class,
 * u8 type, u8 `r1:1 r2:1 r3:1 length:5` on the wire, then 4 × length data bytes).
 */
export interface GeneveOption {
  /** Option class (__be16). */
  class: number;
  /** Option type (u8; bit 7 marks a critical option). */
  type: number;
  /**
   * The 5-bit length field: data length in 4-byte words. In a mask it is the mask of that field
   * (OVS sends 0x1f), so a mask option's data is as long as the key option's.
   */
  length: number;
  /** The three reserved bits above `length` (r1 r2 r3, most significant first); normally 0. */
  reserved: number;
  /**
   * Option data: the next 4 × `length` bytes, or every remaining byte when fewer remain — which
   * is how the last option of a mask decodes (its length field is 0x1f). In a multi-option mask
   * the split is therefore the first option's; bytes still round-trip exactly.
   */
  data: Buffer;
}

/**
 * The second word of `struct erspan_md2` (ERSPAN type III), little-endian bitfields:
 * byte 6 is `hwid_upper:2 ft:5 p:1`, byte 7 `o:1 gra:2 dir:1 hwid:4` (first field lowest).
 */
export interface ErspanMd2 {
  /** __be32 timestamp. */
  timestamp: number;
  /** __be16 security group tag. */
  sgt: number;
  /** 6-bit hardware id: `hwid_upper << 4 | hwid` (OVS's text shows only the low 4 bits). */
  hwid: number;
  /** 5-bit frame type. */
  ft: number;
  /** 1-bit P flag. */
  p: number;
  /** 1-bit O flag. */
  o: number;
  /** 2-bit timestamp granularity. */
  gra: number;
  /** 1-bit direction. */
  dir: number;
}

/**
 * OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS: `struct erspan_metadata` (12 bytes): int version (host
 * order), then a union of __be32 index (version 1) and `struct erspan_md2` (version 2).
 * Decoding gives `index` when the last 4 bytes are zero and the version is not 2, else `md2`.
 */
export interface ErspanOptions {
  /** ERSPAN version (u32 host order; 1 = type II, 2 = type III). */
  version: number;
  /** Version 1 session index (__be32 at byte 4). */
  index?: number;
  /** Version 2 fields (bytes 4-11); wins over `index` when both are set. */
  md2?: ErspanMd2;
}

/** OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS: nested `OVS_VXLAN_EXT_*`. */
export interface VxlanOptions {
  /** OVS_VXLAN_EXT_GBP: u32 host order, group policy id in bits 0-15, flags in bits 16-23. */
  gbp?: number;
  /** Unknown OVS_VXLAN_EXT_* attributes, verbatim. */
  other?: { type: number; data: Buffer }[];
}

/**
 * OVS_KEY_ATTR_TUNNEL: the nested `OVS_TUNNEL_KEY_ATTR_*` attributes. Absent properties are
 * absent attributes. In a mask, a flag property set to `true` means the flag's mask bit is set.
 */
export interface OdpTunnelKey {
  /** OVS_TUNNEL_KEY_ATTR_PAD: alignment padding the kernel puts before ID where u64 needs it (payload, normally empty). */
  pad?: Buffer;
  /** OVS_TUNNEL_KEY_ATTR_ID: __be64 tunnel id (VNI, GRE key, …). Its presence is OVS's "key" flag. */
  id?: bigint;
  /** OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE: flag (set-tunnel actions only; never in a flow key). */
  ipv4InfoBridge?: boolean;
  /** OVS_TUNNEL_KEY_ATTR_IPV4_SRC: dotted quad. */
  ipv4Src?: string;
  /** OVS_TUNNEL_KEY_ATTR_IPV4_DST: dotted quad. */
  ipv4Dst?: string;
  /** OVS_TUNNEL_KEY_ATTR_IPV6_SRC: IPv6 text. */
  ipv6Src?: string;
  /** OVS_TUNNEL_KEY_ATTR_IPV6_DST: IPv6 text. */
  ipv6Dst?: string;
  /** OVS_TUNNEL_KEY_ATTR_TOS: u8. */
  tos?: number;
  /** OVS_TUNNEL_KEY_ATTR_TTL: u8. */
  ttl?: number;
  /** OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT: flag. */
  dontFragment?: boolean;
  /** OVS_TUNNEL_KEY_ATTR_CSUM: flag. */
  csum?: boolean;
  /** OVS_TUNNEL_KEY_ATTR_TP_SRC: __be16 UDP source port. */
  tpSrc?: number;
  /** OVS_TUNNEL_KEY_ATTR_TP_DST: __be16 UDP destination port. */
  tpDst?: number;
  /** OVS_TUNNEL_KEY_ATTR_OAM: flag. */
  oam?: boolean;
  /** OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS: the option TLVs ([] is an empty attribute). */
  geneve?: GeneveOption[];
  /** OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS. */
  vxlan?: VxlanOptions;
  /** OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS. */
  erspan?: ErspanOptions;
  /** Unknown OVS_TUNNEL_KEY_ATTR_* attributes, verbatim, after the modelled ones. */
  other?: { type: number; data: Buffer }[];
}

/** `struct ovs_nsh_key_base` (8 bytes); `path_hdr` (__be32) is split into spi and si. */
export interface NshBase {
  /** u8 flags. */
  flags: number;
  /** u8 ttl. */
  ttl: number;
  /** u8 metadata type (1 or 2). */
  mdtype: number;
  /** u8 next protocol. */
  np: number;
  /** 24-bit service path identifier (path_hdr bits 8-31). */
  spi: number;
  /** 8-bit service index (path_hdr bits 0-7). */
  si: number;
}

/** OVS_KEY_ATTR_NSH: the nested `OVS_NSH_KEY_ATTR_*` attributes. */
export interface OdpNshKey {
  /** OVS_NSH_KEY_ATTR_BASE. */
  base?: NshBase;
  /** OVS_NSH_KEY_ATTR_MD1: `struct ovs_nsh_key_md1`, the four __be32 context words c1-c4. */
  md1?: number[];
  /** OVS_NSH_KEY_ATTR_MD2: MD type 2 TLVs, verbatim. */
  md2?: Buffer;
  /** Unknown OVS_NSH_KEY_ATTR_* attributes, verbatim. */
  other?: { type: number; data: Buffer }[];
}

/** `struct ovs_key_ct_tuple_ipv4` / `_ipv6`: the original direction of the connection. */
export interface CtOrigTuple {
  /** Source address (dotted quad or IPv6 text). */
  src: string;
  /** Destination address. */
  dst: string;
  /** __be16 source port (or ICMP type). */
  srcPort: number;
  /** __be16 destination port (or ICMP code). */
  dstPort: number;
  /** u8 IP protocol. */
  proto: number;
}

/**
 * A decoded flow key or mask. Absent properties are absent attributes (in a mask: wildcarded).
 * Buffers returned by {@link decodeFlowKey} are views into its input; copy them to keep them
 * beyond the input's lifetime.
 */
export interface OdpFlowKey {
  /** OVS_KEY_ATTR_PRIORITY: u32 skb->priority. */
  priority?: number;
  /** OVS_KEY_ATTR_IN_PORT: u32 odp port number. */
  inPort?: number;
  /** OVS_KEY_ATTR_SKB_MARK: u32 skb->mark. */
  skbMark?: number;
  /** OVS_KEY_ATTR_RECIRC_ID: u32. */
  recircId?: number;
  /** OVS_KEY_ATTR_DP_HASH: u32; 0 means "not computed". */
  dpHash?: number;
  /** OVS_KEY_ATTR_TUNNEL: the tunnel metadata. */
  tunnel?: OdpTunnelKey;
  /** OVS_KEY_ATTR_ETHERNET: `struct ovs_key_ethernet`, MACs as "aa:bb:cc:dd:ee:ff" (lowercase). */
  ethernet?: { src: string; dst: string };
  /** OVS_KEY_ATTR_VLAN: __be16 TCI; includes VLAN_CFI (0x1000) when a tag is present. */
  vlan?: number;
  /** OVS_KEY_ATTR_ETHERTYPE: __be16. For a tagged frame this is the TPID (0x8100/0x88a8). */
  ethertype?: number;
  /** OVS_KEY_ATTR_ENCAP: the attributes of the headers inside the VLAN tag (ethertype, vlan, encap, l3, l4). */
  encap?: OdpFlowKey;
  /** OVS_KEY_ATTR_MPLS: the label stack, outermost first (the kernel takes up to 3). */
  mpls?: MplsLse[];
  /** OVS_KEY_ATTR_IPV4: `struct ovs_key_ipv4`; addresses as dotted quads, frag is OVS_FRAG_TYPE_*. */
  ipv4?: { src: string; dst: string; proto: number; tos: number; ttl: number; frag: number };
  /** OVS_KEY_ATTR_IPV6: `struct ovs_key_ipv6`; addresses as IPv6 text, label is the 20-bit flow label. */
  ipv6?: { src: string; dst: string; label: number; proto: number; tclass: number; hlimit: number; frag: number };
  /** OVS_KEY_ATTR_IPV6_EXTHDRS: `struct ovs_key_ipv6_exthdrs`, u16 host order OR of OFPIEH12_* bits. */
  ipv6Exthdrs?: number;
  /** OVS_KEY_ATTR_TCP: `struct ovs_key_tcp`. */
  tcp?: { src: number; dst: number };
  /** OVS_KEY_ATTR_UDP: `struct ovs_key_udp`. */
  udp?: { src: number; dst: number };
  /** OVS_KEY_ATTR_SCTP: `struct ovs_key_sctp`. */
  sctp?: { src: number; dst: number };
  /** OVS_KEY_ATTR_ICMP: `struct ovs_key_icmp`. */
  icmp?: { type: number; code: number };
  /** OVS_KEY_ATTR_ICMPV6: `struct ovs_key_icmpv6`. */
  icmpv6?: { type: number; code: number };
  /** OVS_KEY_ATTR_ARP: `struct ovs_key_arp` (op is the ARP opcode). */
  arp?: { sip: string; tip: string; op: number; sha: string; tha: string };
  /** OVS_KEY_ATTR_ND: `struct ovs_key_nd`. */
  nd?: { target: string; sll: string; tll: string };
  /** OVS_KEY_ATTR_ND_EXTENSIONS: `struct ovs_key_nd_extensions` (OVS userspace; the kernel rejects it). */
  ndExtensions?: { ndReserved: number; ndOptionsType: number };
  /** OVS_KEY_ATTR_TCP_FLAGS: __be16, flags in the low 12 bits. */
  tcpFlags?: number;
  /** OVS_KEY_ATTR_CT_STATE: u32 OR of OVS_CS_F_*. */
  ctState?: number;
  /** OVS_KEY_ATTR_CT_ZONE: u16. */
  ctZone?: number;
  /** OVS_KEY_ATTR_CT_MARK: u32. */
  ctMark?: number;
  /** OVS_KEY_ATTR_CT_LABELS: the 16 bytes of `struct ovs_key_ct_labels`, as on the wire. */
  ctLabels?: Buffer;
  /** OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4: `struct ovs_key_ct_tuple_ipv4`. */
  ctOrigTupleIpv4?: CtOrigTuple;
  /** OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6: `struct ovs_key_ct_tuple_ipv6`. */
  ctOrigTupleIpv6?: CtOrigTuple;
  /** OVS_KEY_ATTR_NSH: the NSH header fields. */
  nsh?: OdpNshKey;
  /** OVS_KEY_ATTR_PACKET_TYPE: __be32 `ns << 16 | id` (OVS userspace; the kernel rejects it). */
  packetType?: { ns: number; id: number };
  /**
   * Attributes this codec does not model — OVS_KEY_ATTR_UNSPEC, OVS_KEY_ATTR_TUNNEL_INFO (kernel
   * internal) and types above OVS_KEY_ATTR_MAX — kept verbatim so a decode→encode round trip is
   * lossless. `type` has the NLA_F_* bits stripped.
   */
  other?: { type: number; data: Buffer }[];
}

// =============================================================================================
// Address text

const MAC_RE = /^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function writeMac(s: string, b: Buffer, off: number): void {
  if (!MAC_RE.test(s)) throw new RangeError(`invalid MAC address "${s}"`);
  s.split(':').forEach((x, i) => (b[off + i] = parseInt(x, 16)));
}

function readMac(b: Buffer, off: number): string {
  const h = b.toString('hex', off, off + 6);
  return `${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}:${h.slice(10, 12)}`;
}

function parseIpv4(s: string): number[] {
  const m = IPV4_RE.exec(s);
  const octets = m ? m.slice(1).map(Number) : [];
  if (!m || octets.some((o) => o > 255)) throw new RangeError(`invalid IPv4 address "${s}"`);
  return octets;
}

function writeIpv4(s: string, b: Buffer, off: number): void {
  parseIpv4(s).forEach((o, i) => (b[off + i] = o));
}

function readIpv4(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Parses any RFC 4291 text form (including "::" and a dotted-quad tail), as inet_pton(). */
function writeIpv6(s: string, b: Buffer, off: number): void {
  const v = parseIpv6(s);
  if (!v) throw new RangeError(`invalid IPv6 address "${s}"`);
  v.copy(b, off);
}

/** IPv6 text exactly as glibc's inet_ntop() writes it (what OVS prints). */
function readIpv6(b: Buffer, off: number): string {
  return formatIpv6(b, off);
}

// =============================================================================================
// Struct layouts (shared by the codec, the text format and the parser in ./odp-key-text)

/** Wire kinds of struct members: `u8`, `__be16`, `__be32`, `__u8[ETH_ALEN]`, `__be32` address, `__be32[4]`. */
export type OdpFieldKind = 'u8' | 'be16' | 'be32' | 'mac' | 'ipv4' | 'ipv6';

/**
 * How OVS prints (and scans) a member: `dec` (%u; format_u8u/format_be16), `hex` (%#x;
 * format_u8x/format_be16x), `frag` (no/first/later), `label` (IPv6 flow label, %#x, only the
 * low 20 mask bits count); addresses print as addresses whatever the style.
 */
export type OdpFieldStyle = 'dec' | 'hex' | 'frag' | 'label';

/** One member of a fixed-layout key attribute. */
export interface OdpStructField {
  /** Property of the decoded object. */
  prop: string;
  /** Name in the ODP text, as printed. */
  text: string;
  /** Extra names the parser accepts (OVS's parser and printer disagree for ct_tuple6 ports). */
  aliases?: readonly string[];
  /** Wire kind. */
  kind: OdpFieldKind;
  /** Byte offset in the C struct. */
  offset: number;
  /** Text style. */
  style: OdpFieldStyle;
}

/** A fixed-layout key attribute: `struct ovs_key_*` with its members in OVS's print order. */
export interface OdpStructLayout {
  /** OVS_KEY_ATTR_* type. */
  type: number;
  /** Attribute name in the ODP text (`ovs_key_attr_to_string()`). */
  name: string;
  /** Property of {@link OdpFlowKey}. */
  prop: keyof OdpFlowKey;
  /** `sizeof` the struct, tail padding included: the payload size. */
  size: number;
  /** Bytes up to the end of the last member (OVS's OFFSETOFEND for exact/wildcard tests). */
  used: number;
  /** Members in OVS's print order. */
  fields: readonly OdpStructField[];
}

/** Byte sizes of the member kinds. */
export const ODP_FIELD_SIZE: Readonly<Record<OdpFieldKind, number>> = { u8: 1, be16: 2, be32: 4, mac: 6, ipv4: 4, ipv6: 16 };

function f(prop: string, kind: OdpFieldKind, offset: number, style: OdpFieldStyle = 'dec', text = prop, aliases?: string[]): OdpStructField {
  return { prop, text, kind, offset, style, ...(aliases ? { aliases } : {}) };
}

function layout(type: number, name: string, prop: keyof OdpFlowKey, size: number, fields: OdpStructField[]): OdpStructLayout {
  const used = Math.max(...fields.map((x) => x.offset + ODP_FIELD_SIZE[x.kind]));
  return { type, name, prop, size, used, fields };
}

/**
 * Every fixed-layout key attribute, by type. Sizes and offsets from the uapi structs:
 * ethernet 12, ipv4 12, ipv6 40, tcp/udp/sctp 4, icmp/icmpv6 2, arp 22 + 2 tail padding,
 * nd 28, ct_tuple_ipv4 13 + 3, ct_tuple_ipv6 37 + 3, nd_extensions 5 + 3, packet_type 4.
 */
export const ODP_STRUCT_LAYOUTS: ReadonlyMap<number, OdpStructLayout> = new Map([
  layout(OVS_KEY_ATTR_ETHERNET, 'eth', 'ethernet', 12, [f('src', 'mac', 0), f('dst', 'mac', 6)]),
  layout(OVS_KEY_ATTR_IPV4, 'ipv4', 'ipv4', 12, [
    f('src', 'ipv4', 0), f('dst', 'ipv4', 4), f('proto', 'u8', 8), f('tos', 'u8', 9, 'hex'),
    f('ttl', 'u8', 10), f('frag', 'u8', 11, 'frag'),
  ]),
  layout(OVS_KEY_ATTR_IPV6, 'ipv6', 'ipv6', 40, [
    f('src', 'ipv6', 0), f('dst', 'ipv6', 16), f('label', 'be32', 32, 'label'), f('proto', 'u8', 36),
    f('tclass', 'u8', 37, 'hex'), f('hlimit', 'u8', 38), f('frag', 'u8', 39, 'frag'),
  ]),
  layout(OVS_KEY_ATTR_TCP, 'tcp', 'tcp', 4, [f('src', 'be16', 0), f('dst', 'be16', 2)]),
  layout(OVS_KEY_ATTR_UDP, 'udp', 'udp', 4, [f('src', 'be16', 0), f('dst', 'be16', 2)]),
  layout(OVS_KEY_ATTR_SCTP, 'sctp', 'sctp', 4, [f('src', 'be16', 0), f('dst', 'be16', 2)]),
  layout(OVS_KEY_ATTR_ICMP, 'icmp', 'icmp', 2, [f('type', 'u8', 0), f('code', 'u8', 1)]),
  layout(OVS_KEY_ATTR_ICMPV6, 'icmpv6', 'icmpv6', 2, [f('type', 'u8', 0), f('code', 'u8', 1)]),
  layout(OVS_KEY_ATTR_ARP, 'arp', 'arp', 24, [
    f('sip', 'ipv4', 0), f('tip', 'ipv4', 4), f('op', 'be16', 8), f('sha', 'mac', 10), f('tha', 'mac', 16),
  ]),
  layout(OVS_KEY_ATTR_ND, 'nd', 'nd', 28, [f('target', 'ipv6', 0), f('sll', 'mac', 16), f('tll', 'mac', 22)]),
  layout(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, 'ct_tuple4', 'ctOrigTupleIpv4', 16, [
    f('src', 'ipv4', 0), f('dst', 'ipv4', 4), f('proto', 'u8', 12),
    f('srcPort', 'be16', 8, 'dec', 'tp_src'), f('dstPort', 'be16', 10, 'dec', 'tp_dst'),
  ]),
  layout(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, 'ct_tuple6', 'ctOrigTupleIpv6', 40, [
    f('src', 'ipv6', 0), f('dst', 'ipv6', 16), f('proto', 'u8', 36),
    f('srcPort', 'be16', 32, 'dec', 'src_port', ['tp_src']), f('dstPort', 'be16', 34, 'dec', 'dst_port', ['tp_dst']),
  ]),
  layout(OVS_KEY_ATTR_ND_EXTENSIONS, 'nd_ext', 'ndExtensions', 8, [
    f('ndReserved', 'be32', 0, 'hex', 'nd_reserved'), f('ndOptionsType', 'u8', 4, 'dec', 'nd_options_type'),
  ]),
  layout(OVS_KEY_ATTR_PACKET_TYPE, 'packet_type', 'packetType', 4, [f('ns', 'be16', 0), f('id', 'be16', 2, 'hex')]),
].map((l) => [l.type, l]));

/**
 * Writes one struct member from its decoded value (the parser uses this too).
 * @throws RangeError on malformed addresses or out-of-range numbers
 */
export function writeOdpField(kind: OdpFieldKind, v: string | number, b: Buffer, off: number): void {
  switch (kind) {
    case 'u8': b.writeUInt8(v as number, off); break;
    case 'be16': b.writeUInt16BE(v as number, off); break;
    case 'be32': b.writeUInt32BE(v as number, off); break;
    case 'mac': writeMac(v as string, b, off); break;
    case 'ipv4': writeIpv4(v as string, b, off); break;
    case 'ipv6': writeIpv6(v as string, b, off); break;
  }
}

/** Reads one struct member as its decoded value (number, or address text). */
export function readOdpField(kind: OdpFieldKind, b: Buffer, off: number): string | number {
  switch (kind) {
    case 'u8': return b.readUInt8(off);
    case 'be16': return b.readUInt16BE(off);
    case 'be32': return b.readUInt32BE(off);
    case 'mac': return readMac(b, off);
    case 'ipv4': return readIpv4(b, off);
    case 'ipv6': return readIpv6(b, off);
  }
}

function encodeStruct(l: OdpStructLayout, v: object): Buffer {
  const b = Buffer.alloc(l.size);
  const rec = v as Record<string, unknown>;
  for (const x of l.fields) {
    const fv = rec[x.prop];
    if (fv === undefined) throw new RangeError(`missing field "${x.prop}"`);
    writeOdpField(x.kind, fv as string | number, b, x.offset);
  }
  return b;
}

function decodeStruct(l: OdpStructLayout, b: Buffer): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const x of l.fields) out[x.prop] = readOdpField(x.kind, b, x.offset);
  return out;
}

// =============================================================================================
// The binary codec: tables of nested-attribute members

/** How one attribute's payload maps to its decoded value. */
interface PayloadCodec {
  /** Payload size in bytes; undefined for variable-size and nested payloads. */
  size?: number;
  encode(v: unknown): Buffer;
  decode(b: Buffer): unknown;
}

/** One modelled attribute of a nested attribute set. */
interface Member {
  type: number;
  /** The uapi name, for error messages. */
  uapi: string;
  prop: string;
  codec: PayloadCodec;
}

/** A nested attribute set: its members in canonical (kernel) order. */
interface AttrSet {
  members: Member[];
  byType: Map<number, Member>;
  /** Canonical rank of every type, including types kept in `other`. */
  rank(type: number): number;
}

function attrSet(members: Member[], unmodelledOrder: number[] = []): AttrSet {
  const byType = new Map(members.map((m) => [m.type, m]));
  const order = new Map<number, number>();
  for (const m of members) order.set(m.type, order.size);
  for (const t of unmodelledOrder) if (!order.has(t)) order.set(t, order.size);
  const n = order.size;
  return { members, byType, rank: (t) => order.get(t) ?? n + t };
}

function encodeSet(set: AttrSet, obj: object): Buffer {
  const rec = obj as Record<string, unknown>;
  const parts: { rank: number; buf: Buffer }[] = [];
  for (const m of set.members) {
    const v = rec[m.prop];
    if (v === undefined) continue;
    let payload: Buffer;
    try {
      payload = m.codec.encode(v);
    } catch (e) {
      const msg = (e as Error).message;
      throw new RangeError(msg.startsWith('OVS_') ? msg : `${m.uapi}: ${msg}`);
    }
    parts.push({ rank: set.rank(m.type), buf: attr(m.type, payload) });
  }
  for (const o of (rec.other as { type: number; data: Buffer }[] | undefined) ?? []) {
    parts.push({ rank: set.rank(o.type), buf: attr(o.type, o.data) });
  }
  // Array.prototype.sort is stable, so equal ranks keep table order.
  parts.sort((a, b) => a.rank - b.rank);
  return Buffer.concat(parts.map((p) => p.buf));
}

function decodeSet(set: AttrSet, buf: Buffer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of parseAttrs(buf)) {
    const m = set.byType.get(a.type);
    if (!m) {
      ((out.other ??= []) as { type: number; data: Buffer }[]).push({ type: a.type, data: a.data });
      continue;
    }
    if (m.codec.size !== undefined && a.data.length !== m.codec.size) {
      throw new RangeError(`${m.uapi}: payload is ${a.data.length} bytes, expected ${m.codec.size}`);
    }
    if (out[m.prop] !== undefined) throw new RangeError(`duplicate ${m.uapi}`);
    try {
      out[m.prop] = m.codec.decode(a.data);
    } catch (e) {
      const msg = (e as Error).message;
      throw new RangeError(msg.startsWith('OVS_') ? msg : `${m.uapi}: ${msg}`);
    }
  }
  return out;
}

function member(type: number, uapi: string, prop: string, codec: PayloadCodec): Member {
  return { type, uapi, prop, codec };
}

function fixed(size: number, write: (v: never, b: Buffer) => void, read: (b: Buffer) => unknown): PayloadCodec {
  return {
    size,
    encode: (v) => { const b = Buffer.alloc(size); write(v as never, b); return b; },
    decode: read,
  };
}

const U8 = fixed(1, (v: number, b) => b.writeUInt8(v), (b) => b.readUInt8(0));
const U16LE = fixed(2, (v: number, b) => b.writeUInt16LE(v), (b) => b.readUInt16LE(0));
const U32LE = fixed(4, (v: number, b) => b.writeUInt32LE(v), (b) => b.readUInt32LE(0));
const BE16 = fixed(2, (v: number, b) => b.writeUInt16BE(v), (b) => b.readUInt16BE(0));
const BE64 = fixed(8, (v: bigint, b) => b.writeBigUInt64BE(v), (b) => b.readBigUInt64BE(0));
const IPV4 = fixed(4, (v: string, b) => writeIpv4(v, b, 0), (b) => readIpv4(b, 0));
const IPV6 = fixed(16, (v: string, b) => writeIpv6(v, b, 0), (b) => readIpv6(b, 0));
const FLAG: PayloadCodec = {
  size: 0,
  encode: (v) => {
    if (v !== true) throw new RangeError('a flag attribute is `true` or absent');
    return Buffer.alloc(0);
  },
  decode: () => true,
};
const RAW: PayloadCodec = { encode: (v) => v as Buffer, decode: (b) => b };

function bytesOf(size: number, what: string): PayloadCodec {
  return {
    size,
    encode: (v) => {
      const b = v as Buffer;
      if (b.length !== size) throw new RangeError(`${what} must be ${size} bytes, got ${b.length}`);
      return b;
    },
    decode: (b) => b,
  };
}

function structCodec(l: OdpStructLayout): PayloadCodec {
  return { size: l.size, encode: (v) => encodeStruct(l, v as object), decode: (b) => decodeStruct(l, b) };
}

function nestedCodec(set: () => AttrSet): PayloadCodec {
  return { encode: (v) => encodeSet(set(), v as object), decode: (b) => decodeSet(set(), b) };
}

/** MPLS LSE bit positions (RFC 3032): label 31-12, tc 11-9, bos 8, ttl 7-0. */
const MPLS_CODEC: PayloadCodec = {
  encode: (v) => {
    const lses = v as MplsLse[];
    const b = Buffer.alloc(lses.length * 4);
    lses.forEach((l, i) => {
      if (l.label >>> 20 || l.tc >>> 3 || l.bos >>> 1 || l.ttl >>> 8 || [l.label, l.tc, l.bos, l.ttl].some((x) => !Number.isInteger(x) || x < 0)) {
        throw new RangeError(`MPLS entry ${i} out of range (label 20 bits, tc 3, bos 1, ttl 8)`);
      }
      b.writeUInt32BE(((l.label << 12) | (l.tc << 9) | (l.bos << 8) | l.ttl) >>> 0, i * 4);
    });
    return b;
  },
  decode: (b) => {
    if (b.length % 4) throw new RangeError(`payload is ${b.length} bytes, not a multiple of 4`);
    const out: MplsLse[] = [];
    for (let off = 0; off < b.length; off += 4) {
      const w = b.readUInt32BE(off);
      out.push({ label: w >>> 12, tc: (w >>> 9) & 7, ttl: w & 0xff, bos: (w >>> 8) & 1 });
    }
    return out;
  },
};

const GENEVE_CODEC: PayloadCodec = {
  encode: (v) => Buffer.concat((v as GeneveOption[]).map((o, i) => {
    if (o.length >>> 5 || o.reserved >>> 3) throw new RangeError(`Geneve option ${i}: length is 5 bits, reserved 3 bits`);
    const h = Buffer.alloc(4);
    h.writeUInt16BE(o.class, 0);
    h.writeUInt8(o.type, 2);
    h.writeUInt8((o.reserved << 5) | o.length, 3);
    return Buffer.concat([h, o.data]);
  })),
  decode: (b) => {
    const out: GeneveOption[] = [];
    for (let off = 0; off < b.length; ) {
      if (b.length - off < 4) throw new RangeError(`${b.length - off} trailing bytes after the last Geneve option`);
      const length = b[off + 3] & 0x1f;
      const end = Math.min(b.length, off + 4 + 4 * length);
      out.push({ class: b.readUInt16BE(off), type: b[off + 2], length, reserved: b[off + 3] >> 5, data: b.subarray(off + 4, end) });
      off = end;
    }
    return out;
  },
};

/** sizeof(struct erspan_metadata). */
const ERSPAN_METADATA_SIZE = 12;

const ERSPAN_CODEC: PayloadCodec = {
  size: ERSPAN_METADATA_SIZE,
  encode: (v) => {
    const e = v as ErspanOptions;
    const b = Buffer.alloc(ERSPAN_METADATA_SIZE);
    b.writeUInt32LE(e.version, 0);
    if (e.md2) {
      const m = e.md2;
      b.writeUInt32BE(m.timestamp, 4);
      b.writeUInt16BE(m.sgt, 8);
      if (m.hwid >>> 6 || m.ft >>> 5 || m.p >>> 1 || m.o >>> 1 || m.gra >>> 2 || m.dir >>> 1) {
        throw new RangeError('ERSPAN md2 bitfield out of range (hwid 6 bits, ft 5, p 1, o 1, gra 2, dir 1)');
      }
      b[10] = (m.hwid >> 4) | (m.ft << 2) | (m.p << 7);
      b[11] = m.o | (m.gra << 1) | (m.dir << 3) | ((m.hwid & 0xf) << 4);
    } else if (e.index !== undefined) {
      b.writeUInt32BE(e.index, 4);
    }
    return b;
  },
  decode: (b) => {
    const version = b.readUInt32LE(0);
    if (version !== 2 && b.readUInt32BE(8) === 0) return { version, index: b.readUInt32BE(4) };
    return {
      version,
      md2: {
        timestamp: b.readUInt32BE(4), sgt: b.readUInt16BE(8), hwid: ((b[10] & 3) << 4) | (b[11] >> 4),
        ft: (b[10] >> 2) & 0x1f, p: b[10] >> 7, o: b[11] & 1, gra: (b[11] >> 1) & 3, dir: (b[11] >> 3) & 1,
      },
    };
  },
};

const NSH_BASE_CODEC = fixed(8, (v: NshBase, b) => {
  b.writeUInt8(v.flags, 0);
  b.writeUInt8(v.ttl, 1);
  b.writeUInt8(v.mdtype, 2);
  b.writeUInt8(v.np, 3);
  if (v.spi >>> 24 || v.si >>> 8) throw new RangeError('NSH spi is 24 bits, si 8 bits');
  b.writeUInt32BE(((v.spi << 8) | v.si) >>> 0, 4);
}, (b): NshBase => ({ flags: b[0], ttl: b[1], mdtype: b[2], np: b[3], spi: b.readUInt32BE(4) >>> 8, si: b[7] }));

const NSH_MD1_CODEC = fixed(16, (v: number[], b) => {
  if (v.length !== 4) throw new RangeError(`md1 has 4 context words, got ${v.length}`);
  v.forEach((w, i) => b.writeUInt32BE(w, i * 4));
}, (b) => [0, 4, 8, 12].map((o) => b.readUInt32BE(o)));

const VXLAN_SET: AttrSet = attrSet([member(OVS_VXLAN_EXT_GBP, 'OVS_VXLAN_EXT_GBP', 'gbp', U32LE)]);

/** Tunnel attributes in `__ip_tun_to_nlattr()` order (PAD precedes the 64-bit ID it aligns). */
const TUNNEL_SET: AttrSet = attrSet([
  member(OVS_TUNNEL_KEY_ATTR_PAD, 'OVS_TUNNEL_KEY_ATTR_PAD', 'pad', RAW),
  member(OVS_TUNNEL_KEY_ATTR_ID, 'OVS_TUNNEL_KEY_ATTR_ID', 'id', BE64),
  member(OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE, 'OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE', 'ipv4InfoBridge', FLAG),
  member(OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 'OVS_TUNNEL_KEY_ATTR_IPV4_SRC', 'ipv4Src', IPV4),
  member(OVS_TUNNEL_KEY_ATTR_IPV4_DST, 'OVS_TUNNEL_KEY_ATTR_IPV4_DST', 'ipv4Dst', IPV4),
  member(OVS_TUNNEL_KEY_ATTR_IPV6_SRC, 'OVS_TUNNEL_KEY_ATTR_IPV6_SRC', 'ipv6Src', IPV6),
  member(OVS_TUNNEL_KEY_ATTR_IPV6_DST, 'OVS_TUNNEL_KEY_ATTR_IPV6_DST', 'ipv6Dst', IPV6),
  member(OVS_TUNNEL_KEY_ATTR_TOS, 'OVS_TUNNEL_KEY_ATTR_TOS', 'tos', U8),
  member(OVS_TUNNEL_KEY_ATTR_TTL, 'OVS_TUNNEL_KEY_ATTR_TTL', 'ttl', U8),
  member(OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT, 'OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT', 'dontFragment', FLAG),
  member(OVS_TUNNEL_KEY_ATTR_CSUM, 'OVS_TUNNEL_KEY_ATTR_CSUM', 'csum', FLAG),
  member(OVS_TUNNEL_KEY_ATTR_TP_SRC, 'OVS_TUNNEL_KEY_ATTR_TP_SRC', 'tpSrc', BE16),
  member(OVS_TUNNEL_KEY_ATTR_TP_DST, 'OVS_TUNNEL_KEY_ATTR_TP_DST', 'tpDst', BE16),
  member(OVS_TUNNEL_KEY_ATTR_OAM, 'OVS_TUNNEL_KEY_ATTR_OAM', 'oam', FLAG),
  member(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, 'OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS', 'geneve', GENEVE_CODEC),
  member(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, 'OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS', 'vxlan', nestedCodec(() => VXLAN_SET)),
  member(OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS, 'OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS', 'erspan', ERSPAN_CODEC),
]);

const NSH_SET: AttrSet = attrSet([
  member(OVS_NSH_KEY_ATTR_BASE, 'OVS_NSH_KEY_ATTR_BASE', 'base', NSH_BASE_CODEC),
  member(OVS_NSH_KEY_ATTR_MD1, 'OVS_NSH_KEY_ATTR_MD1', 'md1', NSH_MD1_CODEC),
  member(OVS_NSH_KEY_ATTR_MD2, 'OVS_NSH_KEY_ATTR_MD2', 'md2', RAW),
]);

function keyStruct(type: number, uapi: string): Member {
  const l = ODP_STRUCT_LAYOUTS.get(type) as OdpStructLayout;
  return member(type, uapi, l.prop, structCodec(l));
}

/**
 * Every key attribute in `__ovs_nla_put_key()` order: metadata (recirc_id, dp_hash, priority,
 * tunnel, in_port, skb_mark, ct_*), then L2 (ethernet, ethertype, vlan, encap), L3 (ipv4 +
 * none / ipv6 + exthdrs / nsh / arp / mpls) and L4 (tcp + tcp_flags, udp, sctp, icmp,
 * icmpv6 + nd). PACKET_TYPE and ND_EXTENSIONS, which only OVS userspace uses, sit where OVS
 * puts them.
 */
const KEY_SET: AttrSet = attrSet([
  member(OVS_KEY_ATTR_RECIRC_ID, 'OVS_KEY_ATTR_RECIRC_ID', 'recircId', U32LE),
  member(OVS_KEY_ATTR_DP_HASH, 'OVS_KEY_ATTR_DP_HASH', 'dpHash', U32LE),
  member(OVS_KEY_ATTR_PRIORITY, 'OVS_KEY_ATTR_PRIORITY', 'priority', U32LE),
  member(OVS_KEY_ATTR_TUNNEL, 'OVS_KEY_ATTR_TUNNEL', 'tunnel', nestedCodec(() => TUNNEL_SET)),
  member(OVS_KEY_ATTR_IN_PORT, 'OVS_KEY_ATTR_IN_PORT', 'inPort', U32LE),
  member(OVS_KEY_ATTR_SKB_MARK, 'OVS_KEY_ATTR_SKB_MARK', 'skbMark', U32LE),
  member(OVS_KEY_ATTR_CT_STATE, 'OVS_KEY_ATTR_CT_STATE', 'ctState', U32LE),
  member(OVS_KEY_ATTR_CT_ZONE, 'OVS_KEY_ATTR_CT_ZONE', 'ctZone', U16LE),
  member(OVS_KEY_ATTR_CT_MARK, 'OVS_KEY_ATTR_CT_MARK', 'ctMark', U32LE),
  member(OVS_KEY_ATTR_CT_LABELS, 'OVS_KEY_ATTR_CT_LABELS', 'ctLabels', bytesOf(OVS_CT_LABELS_LEN, 'ctLabels')),
  keyStruct(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, 'OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4'),
  keyStruct(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, 'OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6'),
  keyStruct(OVS_KEY_ATTR_PACKET_TYPE, 'OVS_KEY_ATTR_PACKET_TYPE'),
  keyStruct(OVS_KEY_ATTR_ETHERNET, 'OVS_KEY_ATTR_ETHERNET'),
  member(OVS_KEY_ATTR_ETHERTYPE, 'OVS_KEY_ATTR_ETHERTYPE', 'ethertype', BE16),
  member(OVS_KEY_ATTR_VLAN, 'OVS_KEY_ATTR_VLAN', 'vlan', BE16),
  member(OVS_KEY_ATTR_ENCAP, 'OVS_KEY_ATTR_ENCAP', 'encap', nestedCodec(() => KEY_SET)),
  keyStruct(OVS_KEY_ATTR_IPV4, 'OVS_KEY_ATTR_IPV4'),
  keyStruct(OVS_KEY_ATTR_IPV6, 'OVS_KEY_ATTR_IPV6'),
  member(OVS_KEY_ATTR_IPV6_EXTHDRS, 'OVS_KEY_ATTR_IPV6_EXTHDRS', 'ipv6Exthdrs', U16LE),
  member(OVS_KEY_ATTR_NSH, 'OVS_KEY_ATTR_NSH', 'nsh', nestedCodec(() => NSH_SET)),
  keyStruct(OVS_KEY_ATTR_ARP, 'OVS_KEY_ATTR_ARP'),
  member(OVS_KEY_ATTR_MPLS, 'OVS_KEY_ATTR_MPLS', 'mpls', MPLS_CODEC),
  keyStruct(OVS_KEY_ATTR_TCP, 'OVS_KEY_ATTR_TCP'),
  member(OVS_KEY_ATTR_TCP_FLAGS, 'OVS_KEY_ATTR_TCP_FLAGS', 'tcpFlags', BE16),
  keyStruct(OVS_KEY_ATTR_UDP, 'OVS_KEY_ATTR_UDP'),
  keyStruct(OVS_KEY_ATTR_SCTP, 'OVS_KEY_ATTR_SCTP'),
  keyStruct(OVS_KEY_ATTR_ICMP, 'OVS_KEY_ATTR_ICMP'),
  keyStruct(OVS_KEY_ATTR_ICMPV6, 'OVS_KEY_ATTR_ICMPV6'),
  keyStruct(OVS_KEY_ATTR_ND, 'OVS_KEY_ATTR_ND'),
  keyStruct(OVS_KEY_ATTR_ND_EXTENSIONS, 'OVS_KEY_ATTR_ND_EXTENSIONS'),
], [OVS_KEY_ATTR_UNSPEC, OVS_KEY_ATTR_TUNNEL_INFO]);

/**
 * Payload size of a fixed-size key attribute type (e.g. 12 for OVS_KEY_ATTR_IPV4), or
 * undefined for nested (ENCAP, TUNNEL, NSH), variable (MPLS) and unmodelled types. Set-masked
 * actions use it to split value from mask.
 */
export function flowKeyAttrSize(type: number): number | undefined {
  return KEY_SET.byType.get(type)?.codec.size;
}

/**
 * Encodes a key (or mask) as a sequence of netlink attributes in canonical order (see the
 * module comment); `other` attributes are placed by their type's position in that order, unknown
 * types last. Absent properties produce no attribute.
 * @throws RangeError on malformed addresses, out-of-range numbers, buffers of the wrong size
 *   (ctLabels 16 bytes, md1 4 words), naming the uapi attribute
 */
export function encodeFlowKey(key: OdpFlowKey): Buffer {
  return encodeSet(KEY_SET, key);
}

/**
 * Decodes a sequence of `OVS_KEY_ATTR_*` attributes (the payload of a KEY or MASK attribute).
 * Attributes it does not model go to `other` (likewise inside TUNNEL, VXLAN_OPTS and NSH), in
 * wire order.
 * @throws RangeError when a fixed-size attribute has the wrong payload size, an attribute appears
 *   twice, an attribute header is malformed, MPLS is not a multiple of 4 bytes or Geneve options
 *   end in a partial header
 */
export function decodeFlowKey(attrs: Buffer): OdpFlowKey {
  return decodeSet(KEY_SET, attrs) as OdpFlowKey;
}

/**
 * Encodes a tunnel key as the payload of OVS_KEY_ATTR_TUNNEL (nested OVS_TUNNEL_KEY_ATTR_*,
 * kernel order) — also the payload inside `set(tunnel(…))` actions.
 * @throws RangeError as {@link encodeFlowKey}
 */
export function encodeTunnelKey(tunnel: OdpTunnelKey): Buffer {
  return encodeSet(TUNNEL_SET, tunnel);
}

/**
 * Decodes the payload of OVS_KEY_ATTR_TUNNEL (or OVS_PACKET_ATTR_EGRESS_TUN_KEY).
 * @throws RangeError as {@link decodeFlowKey}
 */
export function decodeTunnelKey(payload: Buffer): OdpTunnelKey {
  return decodeSet(TUNNEL_SET, payload) as OdpTunnelKey;
}

/** Nested attribute types, per level: their payloads are attribute sets masked member by member. */
function isNestedForMask(level: 'key' | 'tunnel' | 'nsh' | 'vxlan', type: number): 'key' | 'tunnel' | 'nsh' | 'vxlan' | undefined {
  if (level === 'key') {
    if (type === OVS_KEY_ATTR_ENCAP) return 'key';
    if (type === OVS_KEY_ATTR_TUNNEL) return 'tunnel';
    if (type === OVS_KEY_ATTR_NSH) return 'nsh';
  }
  if (level === 'tunnel' && type === OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS) return 'vxlan';
  return undefined;
}

function maskAttrs(key: Buffer, mask: Buffer, level: 'key' | 'tunnel' | 'nsh' | 'vxlan'): Buffer {
  const masks = parseAttrs(mask);
  const out: Buffer[] = [];
  for (const a of parseAttrs(key)) {
    const m = masks.find((x) => x.type === a.type);
    if (!m) continue;
    const inner = isNestedForMask(level, a.type);
    if (inner) {
      out.push(attr(a.type, maskAttrs(a.data, m.data, inner)));
      continue;
    }
    const v = Buffer.alloc(a.data.length);
    for (let i = 0; i < v.length; i++) v[i] = a.data[i] & (m.data[i] ?? 0);
    out.push(attr(a.type, v));
  }
  return Buffer.concat(out);
}

/**
 * Applies a mask to a key on the wire form, as the kernel's ovs_flow_mask_key() does to its
 * sw_flow_key: every payload byte ANDed with the mask's, nested sets (ENCAP, TUNNEL, NSH,
 * VXLAN_OPTS) member by member; attributes the mask lacks are dropped, flag attributes kept when
 * the mask has them. This is the megaflow's identity (what a UFID should hash).
 * @param key OVS_KEY_ATTR_* attributes
 * @param mask OVS_KEY_ATTR_* mask attributes
 * @returns the masked attributes, in the key's order
 * @throws RangeError on malformed attribute headers
 */
export function maskFlowKeyBytes(key: Buffer, mask: Buffer): Buffer {
  return maskAttrs(key, mask, 'key');
}

/**
 * {@link maskFlowKeyBytes} on decoded keys: `decodeFlowKey(maskFlowKeyBytes(encode(key), encode(mask)))`.
 * @throws RangeError as {@link encodeFlowKey} and {@link decodeFlowKey}
 */
export function applyFlowMask(key: OdpFlowKey, mask: OdpFlowKey): OdpFlowKey {
  return decodeFlowKey(maskFlowKeyBytes(encodeFlowKey(key), encodeFlowKey(mask)));
}

// =============================================================================================
// The text format: OVS 3.1's odp_flow_format() and its helpers

/** OVS 3.1's OVS_KEY_ATTR_MAX (OVS_KEY_ATTR_TUNNEL_INFO): higher types print as `keyN(…)`. */
const OVS31_KEY_ATTR_MAX = OVS_KEY_ATTR_TUNNEL_INFO;
/** OVS 3.1's OVS_TUNNEL_KEY_ATTR_MAX: its userspace-only GTPU_OPTS takes the kernel's IPV4_INFO_BRIDGE number. */
const OVS31_TUNNEL_KEY_ATTR_MAX = 16;
const OVS31_TUNNEL_KEY_ATTR_GTPU_OPTS = 16;

/** attr_len_tbl lengths: a byte count, or one of these. A zero-initialised table slot is 0. */
const LEN_VARIABLE = -2;
const LEN_NESTED = -3;

/** A length table as OVS's attr_len_tbl: expected payload size per type, up to `max`. */
interface LenTable {
  max: number;
  len(type: number): number;
}

function lenTable(max: number, entries: [number, number][]): LenTable {
  const m = new Map(entries);
  return { max, len: (t) => m.get(t) ?? 0 };
}

const KEY_LENS = lenTable(OVS31_KEY_ATTR_MAX, [
  [OVS_KEY_ATTR_ENCAP, LEN_NESTED], [OVS_KEY_ATTR_PRIORITY, 4], [OVS_KEY_ATTR_SKB_MARK, 4],
  [OVS_KEY_ATTR_DP_HASH, 4], [OVS_KEY_ATTR_RECIRC_ID, 4], [OVS_KEY_ATTR_TUNNEL, LEN_NESTED],
  [OVS_KEY_ATTR_IN_PORT, 4], [OVS_KEY_ATTR_ETHERNET, 12], [OVS_KEY_ATTR_VLAN, 2], [OVS_KEY_ATTR_ETHERTYPE, 2],
  [OVS_KEY_ATTR_MPLS, LEN_VARIABLE], [OVS_KEY_ATTR_IPV4, 12], [OVS_KEY_ATTR_IPV6, 40], [OVS_KEY_ATTR_TCP, 4],
  [OVS_KEY_ATTR_TCP_FLAGS, 2], [OVS_KEY_ATTR_UDP, 4], [OVS_KEY_ATTR_SCTP, 4], [OVS_KEY_ATTR_ICMP, 2],
  [OVS_KEY_ATTR_ICMPV6, 2], [OVS_KEY_ATTR_ARP, 24], [OVS_KEY_ATTR_ND, 28], [OVS_KEY_ATTR_ND_EXTENSIONS, 8],
  [OVS_KEY_ATTR_CT_STATE, 4], [OVS_KEY_ATTR_CT_ZONE, 2], [OVS_KEY_ATTR_CT_MARK, 4],
  [OVS_KEY_ATTR_CT_LABELS, OVS_CT_LABELS_LEN], [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, 16],
  [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, 40], [OVS_KEY_ATTR_PACKET_TYPE, 4], [OVS_KEY_ATTR_NSH, LEN_NESTED],
]);

const TUNNEL_LENS = lenTable(OVS31_TUNNEL_KEY_ATTR_MAX, [
  [OVS_TUNNEL_KEY_ATTR_ID, 8], [OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 4], [OVS_TUNNEL_KEY_ATTR_IPV4_DST, 4],
  [OVS_TUNNEL_KEY_ATTR_TOS, 1], [OVS_TUNNEL_KEY_ATTR_TTL, 1], [OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT, 0],
  [OVS_TUNNEL_KEY_ATTR_CSUM, 0], [OVS_TUNNEL_KEY_ATTR_TP_SRC, 2], [OVS_TUNNEL_KEY_ATTR_TP_DST, 2],
  [OVS_TUNNEL_KEY_ATTR_OAM, 0], [OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, LEN_VARIABLE],
  [OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, LEN_NESTED], [OVS_TUNNEL_KEY_ATTR_IPV6_SRC, 16],
  [OVS_TUNNEL_KEY_ATTR_IPV6_DST, 16], [OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS, LEN_VARIABLE],
  [OVS31_TUNNEL_KEY_ATTR_GTPU_OPTS, LEN_VARIABLE],
]);

const VXLAN_LENS = lenTable(1, [[OVS_VXLAN_EXT_GBP, 4]]);
const NSH_LENS = lenTable(3, [[OVS_NSH_KEY_ATTR_BASE, 8], [OVS_NSH_KEY_ATTR_MD1, 16], [OVS_NSH_KEY_ATTR_MD2, LEN_VARIABLE]]);

/** `attr_len_tbl` lookup: ATTR_LEN_INVALID (-1) above the table's max. */
function expectedLen(t: LenTable, type: number): number {
  return type > t.max ? -1 : t.len(type);
}

/** OVS's struct ds, just what the formatters need. */
class Ds {
  s = '';
  put(x: string): void {
    this.s += x;
  }
  chomp(c: string): void {
    if (this.s.endsWith(c)) this.s = this.s.slice(0, -1);
  }
}

/** C's "%#x": "0" for zero, "0x…" otherwise. */
function hexAlt(n: number | bigint): string {
  return n === 0 || n === 0n ? '0' : `0x${n.toString(16)}`;
}

function allBytes(b: Buffer, value: number, len = b.length): boolean {
  for (let i = 0; i < len; i++) if (b[i] !== value) return false;
  return true;
}

/** A lenient NL_ATTR_FOR_EACH: stops at the first malformed header; `left` counts what remains. */
function iterAttrs(buf: Buffer): { attrs: { type: number; data: Buffer; whole: Buffer }[]; left: Buffer } {
  const attrs: { type: number; data: Buffer; whole: Buffer }[] = [];
  let off = 0;
  while (buf.length - off >= NLA_HDRLEN) {
    const len = buf.readUInt16LE(off);
    if (len < NLA_HDRLEN || len > buf.length - off) break;
    attrs.push({ type: buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, data: buf.subarray(off + NLA_HDRLEN, off + len), whole: buf.subarray(off, off + len) });
    off = Math.min(buf.length, off + nlaAlign(len));
  }
  return { attrs, left: buf.subarray(off) };
}

/** nl_attr_find__() for every type at once: the first attribute of each type. */
function firstByType(buf: Buffer | undefined): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  if (buf) for (const a of iterAttrs(buf).attrs) if (!m.has(a.type)) m.set(a.type, a.data);
  return m;
}

/** generate_all_wildcard_mask(): zeroes shaped like `data`, nested attributes recursed into. */
function wildcardMask(t: LenTable, type: number, data: Buffer): Buffer {
  if (expectedLen(t, type) !== LEN_NESTED) return Buffer.alloc(data.length);
  const inner = type === OVS_KEY_ATTR_TUNNEL && t === KEY_LENS ? TUNNEL_LENS
    : type === OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS && t === TUNNEL_LENS ? VXLAN_LENS
      : type === OVS_KEY_ATTR_NSH && t === KEY_LENS ? NSH_LENS : t;
  return Buffer.concat(iterAttrs(data).attrs.map((c) => attr(c.type, wildcardMask(inner, c.type, c.data))));
}

/** format_generic_odp_key(): bytes as "%02x" joined by spaces. */
function genericHex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** check_attr_len(): prints OVS's complaint and returns false when a fixed size is wrong. */
function checkAttrLen(ds: Ds, t: LenTable, type: number, a: Buffer, ma: Buffer | undefined, needKey: boolean): boolean {
  if (type > t.max) return true;
  const expected = t.len(type);
  if (expected === LEN_VARIABLE || expected === LEN_NESTED) return true;
  const badKey = a.length !== expected;
  const badMask = ma !== undefined && ma.length !== expected;
  if (!badKey && !badMask) return true;
  if (needKey) ds.put(`key${type}`);
  if (badKey) ds.put(`(bad key length ${a.length}, expected ${expected})(`);
  ds.put(genericHex(a));
  if (ma !== undefined) {
    ds.put('/');
    if (badMask) ds.put(`(bad mask length ${ma.length}, expected ${expected})(`);
    ds.put(genericHex(ma));
  }
  ds.put(')');
  return false;
}

// ---- field printers (format_eth, format_ipv4, … in OVS) ----

function fmtAddr(ds: Ds, name: string, kind: 'mac' | 'ipv4' | 'ipv6', k: Buffer, m: Buffer | undefined, verbose: boolean): void {
  const empty = m !== undefined && allBytes(m, 0);
  if (!verbose && empty) return;
  const full = m === undefined || allBytes(m, 0xff);
  ds.put(`${name}=${readOdpField(kind, k, 0)}${full ? '' : `/${readOdpField(kind, m as Buffer, 0)}`},`);
}

/** format_u8u / format_u8x / format_be16 / format_be16x: `m` undefined means exact. */
function fmtNum(ds: Ds, name: string, k: number, m: number | undefined, bits: 8 | 16, hex: boolean, verbose: boolean): void {
  if (!verbose && m === 0) return;
  const full = m === undefined || m === (bits === 8 ? 0xff : 0xffff);
  ds.put(`${name}=${hex ? hexAlt(k) : String(k)}${full ? '' : `/${hexAlt(m as number)}`},`);
}

/** format_ipv6_label(). */
function fmtLabel(ds: Ds, name: string, k: number, m: number | undefined, verbose: boolean): void {
  if (!verbose && m === 0) return;
  const full = m === undefined || (m & 0xfffff) === 0xfffff;
  ds.put(`${name}=${hexAlt(k)}${full ? '' : `/${hexAlt(m as number)}`},`);
}

const FRAG_NAMES = ['no', 'first', 'later'];

/** format_frag(): verbose does not matter; a partial mask is an error. */
function fmtFrag(ds: Ds, name: string, k: number, m: number | undefined): void {
  const empty = m === 0;
  const full = m === undefined || m === 0xff;
  if (!empty && !full) ds.put(`error: partial mask not supported for frag (${hexAlt(m as number)}),`);
  else if (!empty) ds.put(`${name}=${FRAG_NAMES[k] ?? '<error>'},`);
}

/** format_be64(): without a mask (set actions, unmasked keys) only verbose prints it. */
function fmtBe64(ds: Ds, name: string, k: bigint, m: bigint | undefined, verbose: boolean): void {
  const mask = m ?? 0n;
  if (!verbose && mask === 0n) return;
  const full = m === undefined || mask === 0xffffffffffffffffn;
  ds.put(`${name}=0x${k.toString(16)}${full ? '' : `/${hexAlt(mask)}`},`);
}

function fmtField(ds: Ds, x: OdpStructField, k: Buffer, m: Buffer | undefined, verbose: boolean): void {
  const size = ODP_FIELD_SIZE[x.kind];
  const kv = k.subarray(x.offset, x.offset + size);
  const mv = m?.subarray(x.offset, x.offset + size);
  if (x.kind === 'mac' || x.kind === 'ipv4' || x.kind === 'ipv6') {
    fmtAddr(ds, x.text, x.kind, kv, mv, verbose);
    return;
  }
  const num = (b: Buffer) => readOdpField(x.kind, b, 0) as number;
  const mn = mv && num(mv);
  if (x.style === 'frag') fmtFrag(ds, x.text, num(kv), mn);
  else if (x.style === 'label') fmtLabel(ds, x.text, num(kv), mn, verbose);
  else fmtNum(ds, x.text, num(kv), mn, x.kind === 'u8' ? 8 : 16, x.style === 'hex', verbose);
}

function fmtStruct(ds: Ds, l: OdpStructLayout, k: Buffer, m: Buffer | undefined, verbose: boolean): void {
  for (const x of l.fields) fmtField(ds, x, k, m, verbose);
  ds.chomp(',');
}

// ---- flags ----

/** OVS's format_flags(): names of set bits, lowest first, joined by `sep`; "0" when none. */
function formatFlags(flags: number, names: (bit: number) => string | undefined, sep: string): string {
  if (flags === 0) return '0';
  const out: string[] = [];
  let bad = 0;
  for (let rest = flags >>> 0; rest; ) {
    const bit = (rest & -rest) >>> 0;
    const s = names(bit);
    if (s) out.push(s);
    else bad = (bad | bit) >>> 0;
    rest = (rest & ~bit) >>> 0;
  }
  if (bad) out.push(`0x${bad.toString(16)}`);
  return out.join(sep);
}

/** OVS's format_flags_masked(): "+name" / "-name" per mask bit, lowest first. */
function formatFlagsMasked(flags: number, mask: number, maxMask: number, names: (bit: number) => string | undefined): string {
  if (mask >>> 0 === maxMask >>> 0) return formatFlags(flags, names, '|');
  if (mask === 0) return '0/0';
  let out = '';
  for (let rest = mask >>> 0; rest; ) {
    const bit = (rest & -rest) >>> 0;
    out += `${flags & bit ? '+' : '-'}${names(bit) ?? '[Unknown]'}`;
    rest = (rest & ~bit) >>> 0;
  }
  return out;
}

const CT_STATE_NAMES: Record<number, string> = {
  0x01: 'new', 0x02: 'est', 0x04: 'rel', 0x08: 'rpl', 0x10: 'inv', 0x20: 'trk', 0x40: 'snat', 0x80: 'dnat',
};
const TCP_FLAG_NAMES: Record<number, string> = {
  0x001: 'fin', 0x002: 'syn', 0x004: 'rst', 0x008: 'psh', 0x010: 'ack', 0x020: 'urg', 0x040: 'ece',
  0x080: 'cwr', 0x100: 'ns', 0x200: '[200]', 0x400: '[400]', 0x800: '[800]',
};
/** FLOW_TNL_F_* of OVS's struct flow_tnl: bit → name. */
const TUNNEL_FLAG_NAMES: Record<number, string> = { 0x1: 'oam', 0x2: 'df', 0x4: 'csum', 0x8: 'key' };
const FLOW_TNL_F_OAM = 0x1;
const FLOW_TNL_F_DONT_FRAGMENT = 0x2;
const FLOW_TNL_F_CSUM = 0x4;
const FLOW_TNL_F_KEY = 0x8;
const FLOW_TNL_F_MASK = 0xf;

/**
 * The flag vocabularies of the ODP text (bit → name), as OVS's odp_ct_state_to_string(),
 * packet_tcp_flag_to_string() and flow_tun_flag_to_string(). The tunnel "key" bit stands for
 * the presence of OVS_TUNNEL_KEY_ATTR_ID; df/csum/oam for the flag attributes.
 */
export const ODP_FLAG_NAMES: Readonly<{ ctState: Readonly<Record<number, string>>; tcpFlags: Readonly<Record<number, string>>; tunnel: Readonly<Record<number, string>> }> = {
  ctState: CT_STATE_NAMES,
  tcpFlags: TCP_FLAG_NAMES,
  tunnel: TUNNEL_FLAG_NAMES,
};

/**
 * OVS's format_vlan_tci(): `vid=…,pcp=…` (each only when verbose or non-zero in value or
 * mask, `/0x…` when partially masked) and `cfi=0` when the CFI bit is clear.
 * @param tci VLAN TCI (host number of the __be16)
 * @param mask TCI mask; 0xffff for an exact match
 * @param verbose print vid and pcp even when zero
 */
export function formatVlanTci(tci: number, mask: number, verbose: boolean): string {
  const ds = new Ds();
  const vid = tci & 0x0fff;
  const vidMask = mask & 0x0fff;
  const pcp = (tci >> 13) & 7;
  const pcpMask = (mask >> 13) & 7;
  if (verbose || vid || vidMask) ds.put(`vid=${vid}${vidMask !== 0x0fff ? `/0x${vidMask.toString(16)}` : ''},`);
  if (verbose || pcp || pcpMask) ds.put(`pcp=${pcp}${pcpMask !== 7 ? `/0x${pcpMask.toString(16)}` : ''},`);
  if (!(tci & 0x1000)) ds.put('cfi=0,');
  ds.chomp(',');
  return ds.s;
}

/** ds_put_hex() of a host-order u128: big-endian hex without leading zeros. */
function hexU128(b: Buffer): string {
  const be = Buffer.from(b).reverse();
  const first = be.findIndex((x) => x !== 0);
  if (first < 0) return '0';
  return `0x${be[first].toString(16)}${be.subarray(first + 1).toString('hex')}`;
}

/** ds_put_hex() of big-endian bytes. */
function hexBytes(b: Buffer): string {
  const first = b.findIndex((x) => x !== 0);
  if (first < 0) return '0';
  return `0x${b[first].toString(16)}${b.subarray(first + 1).toString('hex')}`;
}

// ---- odp_mask_is_constant__() ----

/** Whether `m` is all `c` bits (c = 0: wildcard, c = 0xff: exact) as OVS 3.1 decides per type. */
function maskIsConstant(type: number, m: Buffer, c: 0 | 0xff): boolean {
  switch (type) {
    case OVS_KEY_ATTR_TCP_FLAGS:
      return m.length >= 2 ? (m.readUInt16BE(0) & 0x0fff) === (c ? 0x0fff : 0) : allBytes(m, c);
    case OVS_KEY_ATTR_IPV6:
      // Only nested attributes of another size reach here with a short mask.
      if (m.length < 40) return allBytes(m, c);
      return (m.readUInt32BE(32) & 0xfffff) === (c ? 0xfffff : 0) && allBytes(m.subarray(36), c) && allBytes(m, c, 32);
    case OVS_KEY_ATTR_ARP:
      return allBytes(m, c, 22);
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4:
      return allBytes(m, c, 13);
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6:
      return allBytes(m, c, 37);
    case OVS_KEY_ATTR_UNSPEC:
    case OVS_KEY_ATTR_ENCAP:
    case OVS_KEY_ATTR_TUNNEL_INFO:
      return false;
    default:
      return type <= OVS31_KEY_ATTR_MAX && allBytes(m, c);
  }
}

/** ovs_key_attr_to_string(). */
const ATTR_NAMES = new Map<number, string>([
  [OVS_KEY_ATTR_UNSPEC, 'unspec'], [OVS_KEY_ATTR_ENCAP, 'encap'], [OVS_KEY_ATTR_PRIORITY, 'skb_priority'],
  [OVS_KEY_ATTR_SKB_MARK, 'skb_mark'], [OVS_KEY_ATTR_CT_STATE, 'ct_state'], [OVS_KEY_ATTR_CT_ZONE, 'ct_zone'],
  [OVS_KEY_ATTR_CT_MARK, 'ct_mark'], [OVS_KEY_ATTR_CT_LABELS, 'ct_label'],
  [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, 'ct_tuple4'], [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, 'ct_tuple6'],
  [OVS_KEY_ATTR_TUNNEL, 'tunnel'], [OVS_KEY_ATTR_IN_PORT, 'in_port'], [OVS_KEY_ATTR_ETHERNET, 'eth'],
  [OVS_KEY_ATTR_VLAN, 'vlan'], [OVS_KEY_ATTR_ETHERTYPE, 'eth_type'], [OVS_KEY_ATTR_IPV4, 'ipv4'],
  [OVS_KEY_ATTR_IPV6, 'ipv6'], [OVS_KEY_ATTR_TCP, 'tcp'], [OVS_KEY_ATTR_TCP_FLAGS, 'tcp_flags'],
  [OVS_KEY_ATTR_UDP, 'udp'], [OVS_KEY_ATTR_SCTP, 'sctp'], [OVS_KEY_ATTR_ICMP, 'icmp'],
  [OVS_KEY_ATTR_ICMPV6, 'icmpv6'], [OVS_KEY_ATTR_ARP, 'arp'], [OVS_KEY_ATTR_ND, 'nd'],
  [OVS_KEY_ATTR_ND_EXTENSIONS, 'nd_ext'], [OVS_KEY_ATTR_MPLS, 'mpls'], [OVS_KEY_ATTR_DP_HASH, 'dp_hash'],
  [OVS_KEY_ATTR_RECIRC_ID, 'recirc_id'], [OVS_KEY_ATTR_PACKET_TYPE, 'packet_type'], [OVS_KEY_ATTR_NSH, 'nsh'],
  [OVS_KEY_ATTR_TUNNEL_INFO, '<error: kernel-only tunnel_info>'],
]);

/** Options of the text formatters. */
export interface FormatKeyOptions {
  /**
   * Print every field, wildcarded ones as `value/0` (ovs-dpctl `-m`). Default: true without a
   * mask (odp_flow_key_format), false with one (dump-flows).
   */
  verbose?: boolean;
  /** odp port number → name, printed in `in_port(…)` when the mask is exact (ovs-dpctl `--names`, default with `-m`). */
  portNames?: ReadonlyMap<number, string>;
}

interface FmtCtx {
  verbose: boolean;
  portNames?: ReadonlyMap<number, string>;
}

// ---- nested attribute printers ----

function fmtTunnel(ds: Ds, a: Buffer, ma: Buffer | undefined, verbose: boolean): void {
  let flags = 0;
  let maskFlags = 0;
  const masks = firstByType(ma);
  for (const c of iterAttrs(a).attrs) {
    let cm: Buffer | undefined;
    if (ma !== undefined) cm = masks.get(c.type) ?? wildcardMask(TUNNEL_LENS, c.type, c.data);
    if (!checkAttrLen(ds, TUNNEL_LENS, c.type, c.data, cm, true)) continue;
    const u8 = (b: Buffer | undefined) => b?.[0];
    const be16 = (b: Buffer | undefined) => b?.readUInt16BE(0);
    switch (c.type) {
      case OVS_TUNNEL_KEY_ATTR_ID:
        fmtBe64(ds, 'tun_id', c.data.readBigUInt64BE(0), cm?.readBigUInt64BE(0), verbose);
        flags |= FLOW_TNL_F_KEY;
        if (cm) maskFlags |= FLOW_TNL_F_KEY;
        break;
      case OVS_TUNNEL_KEY_ATTR_IPV4_SRC: fmtAddr(ds, 'src', 'ipv4', c.data, cm, verbose); break;
      case OVS_TUNNEL_KEY_ATTR_IPV4_DST: fmtAddr(ds, 'dst', 'ipv4', c.data, cm, verbose); break;
      case OVS_TUNNEL_KEY_ATTR_IPV6_SRC: fmtAddr(ds, 'ipv6_src', 'ipv6', c.data, cm, verbose); break;
      case OVS_TUNNEL_KEY_ATTR_IPV6_DST: fmtAddr(ds, 'ipv6_dst', 'ipv6', c.data, cm, verbose); break;
      case OVS_TUNNEL_KEY_ATTR_TOS: fmtNum(ds, 'tos', c.data[0], u8(cm), 8, true, verbose); break;
      case OVS_TUNNEL_KEY_ATTR_TTL: fmtNum(ds, 'ttl', c.data[0], u8(cm), 8, false, verbose); break;
      case OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT: flags |= FLOW_TNL_F_DONT_FRAGMENT; break;
      case OVS_TUNNEL_KEY_ATTR_CSUM: flags |= FLOW_TNL_F_CSUM; break;
      case OVS_TUNNEL_KEY_ATTR_TP_SRC: fmtNum(ds, 'tp_src', c.data.readUInt16BE(0), be16(cm), 16, false, verbose); break;
      case OVS_TUNNEL_KEY_ATTR_TP_DST: fmtNum(ds, 'tp_dst', c.data.readUInt16BE(0), be16(cm), 16, false, verbose); break;
      case OVS_TUNNEL_KEY_ATTR_OAM: flags |= FLOW_TNL_F_OAM; break;
      case OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS:
        ds.put('vxlan(');
        fmtVxlan(ds, c.data, cm, verbose);
        ds.put('),');
        break;
      case OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS:
        ds.put('geneve(');
        fmtGeneve(ds, c.data, cm, verbose);
        ds.put('),');
        break;
      case OVS_TUNNEL_KEY_ATTR_PAD:
        break;
      case OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS:
        ds.put('erspan(');
        fmtErspan(ds, c.data, cm, verbose);
        ds.put('),');
        break;
      case OVS31_TUNNEL_KEY_ATTR_GTPU_OPTS:
        // OVS 3.1 reads its GTP-U options here; the kernel's flag of this number has no payload
        // to read (OVS would read past the attribute), so it prints as an unknown attribute.
        if (c.data.length >= 2) {
          ds.put('gtpu(');
          fmtNum(ds, 'flags', c.data[0], cm?.[0], 8, true, verbose);
          fmtNum(ds, 'msgtype', c.data[1], cm?.[1], 8, false, verbose);
          ds.chomp(',');
          ds.put('),');
        } else {
          fmtUnknown(ds, c.type, c.data, cm);
        }
        break;
      default:
        fmtUnknown(ds, c.type, c.data, cm);
    }
  }
  if (ma !== undefined) {
    for (const c of iterAttrs(ma).attrs) {
      if (c.type === OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT) maskFlags |= FLOW_TNL_F_DONT_FRAGMENT;
      else if (c.type === OVS_TUNNEL_KEY_ATTR_CSUM) maskFlags |= FLOW_TNL_F_CSUM;
      else if (c.type === OVS_TUNNEL_KEY_ATTR_OAM) maskFlags |= FLOW_TNL_F_OAM;
    }
  }
  // format_tun_flags()
  if (verbose || ma === undefined || maskFlags !== 0) {
    const names = (bit: number) => TUNNEL_FLAG_NAMES[bit];
    ds.put(`flags(${ma !== undefined ? formatFlagsMasked(flags, maskFlags & FLOW_TNL_F_MASK, FLOW_TNL_F_MASK, names) : formatFlags(flags, names, '|')}),`);
  }
  ds.chomp(',');
}

/** format_unknown_key(): `keyN(hex[/mask])`, the mask only when it is not all ones. */
function fmtUnknown(ds: Ds, type: number, v: Buffer, m: Buffer | undefined): void {
  ds.put(`key${type}(${genericHex(v)}`);
  // odp_mask_attr_is_exact() judges a nested type number by the key attribute of that number.
  if (m !== undefined && !maskIsConstant(type, m, 0xff)) ds.put(`/${genericHex(m)}`);
  ds.put('),');
}

function fmtVxlan(ds: Ds, a: Buffer, ma: Buffer | undefined, verbose: boolean): void {
  const masks = firstByType(ma);
  for (const c of iterAttrs(a).attrs) {
    let cm: Buffer | undefined;
    if (ma !== undefined) cm = masks.get(c.type) ?? wildcardMask(VXLAN_LENS, c.type, c.data);
    if (!checkAttrLen(ds, VXLAN_LENS, c.type, c.data, cm, true)) continue;
    if (c.type === OVS_VXLAN_EXT_GBP) {
      const k = c.data.readUInt32LE(0);
      const m = cm?.readUInt32LE(0);
      ds.put('gbp(');
      fmtNum(ds, 'id', k & 0xffff, m === undefined ? undefined : m & 0xffff, 16, false, verbose);
      fmtNum(ds, 'flags', (k >>> 16) & 0xff, m === undefined ? undefined : (m >>> 16) & 0xff, 8, true, verbose);
      ds.chomp(',');
      ds.put('),');
    } else {
      fmtUnknown(ds, c.type, c.data, cm);
    }
  }
  ds.chomp(',');
}

function fmtGeneve(ds: Ds, a: Buffer, ma: Buffer | undefined, verbose: boolean): void {
  if (ma !== undefined && ma.length !== a.length) {
    ds.put(`value len ${a.length} different from mask len ${ma.length}`);
    return;
  }
  for (let off = 0; off < a.length; ) {
    const left = a.length - off;
    if (left < 4) {
      ds.put(`opt len ${left} less than minimum 4`);
      return;
    }
    const dataLen = (a[off + 3] & 0x1f) * 4;
    const len = 4 + dataLen;
    if (len > left) {
      ds.put(`opt len ${len} greater than remaining ${left}`);
      return;
    }
    const m = ma?.subarray(off, off + len);
    const lenMask = m && ((m[3] & 0x1f) === 0x1f ? 0xff : m[3] & 0x1f);
    ds.put('{');
    fmtNum(ds, 'class', a.readUInt16BE(off), m?.readUInt16BE(0), 16, true, verbose);
    fmtNum(ds, 'type', a[off + 2], m?.[2], 8, true, verbose);
    fmtNum(ds, 'len', dataLen, lenMask, 8, false, verbose);
    const data = a.subarray(off + 4, off + len);
    const mdata = m?.subarray(4);
    if (dataLen && (verbose || !mdata || !allBytes(mdata, 0))) {
      ds.put(hexBytes(data));
      if (mdata && !allBytes(mdata, 0xff)) ds.put(`/${hexBytes(mdata)}`);
    } else {
      ds.chomp(',');
    }
    ds.put('}');
    off += len;
  }
}

function fmtErspan(ds: Ds, a: Buffer, ma: Buffer | undefined, verbose: boolean): void {
  // OVS reads a full struct erspan_metadata whatever the attribute's size.
  const k = Buffer.concat([a, Buffer.alloc(Math.max(0, ERSPAN_METADATA_SIZE - a.length))]);
  const m = ma && Buffer.concat([ma, Buffer.alloc(Math.max(0, ERSPAN_METADATA_SIZE - ma.length))]);
  const version = k.readUInt32LE(0);
  fmtNum(ds, 'ver', version & 0xff, m && m[0], 8, false, verbose);
  if (version === 1) {
    ds.put(`idx=${hexAlt(k.readUInt32BE(4))}${m ? `/${hexAlt(m.readUInt32BE(4))}` : ''},`);
  } else if (version === 2) {
    fmtNum(ds, 'dir', (k[11] >> 3) & 1, m && (m[11] >> 3) & 1, 8, false, verbose);
    fmtNum(ds, 'hwid', k[11] >> 4, m && m[11] >> 4, 8, true, verbose);
  }
  ds.chomp(',');
}

/** format_odp_nsh_attr(). */
function fmtNsh(ds: Ds, a: Buffer, ma: Buffer | undefined): void {
  const key = Buffer.alloc(24);
  const mask = Buffer.alloc(24, 0xff);
  const masks = firstByType(ma);
  for (const c of iterAttrs(a).attrs) {
    const cm = masks.get(c.type);
    if (!checkAttrLen(ds, NSH_LENS, c.type, c.data, cm, true)) continue;
    if (c.type === OVS_NSH_KEY_ATTR_BASE) {
      c.data.copy(key, 0);
      cm?.copy(mask, 0);
    } else if (c.type === OVS_NSH_KEY_ATTR_MD1) {
      c.data.copy(key, 8);
      cm?.copy(mask, 8);
    }
  }
  const spi = (b: Buffer) => b.readUInt32BE(4) >>> 8;
  const ctx = (b: Buffer, i: number) => b.readUInt32BE(8 + i * 4);
  if (ma === undefined) {
    ds.put(`flags=${key[0]},ttl=${key[1]},mdtype=${key[2]},np=${key[3]},spi=0x${spi(key).toString(16)},si=${key[7]}`);
    if (key[2] === 1) for (let i = 0; i < 4; i++) ds.put(`,c${i + 1}=0x${ctx(key, i).toString(16)}`);
    return;
  }
  let first = true;
  const sep = () => {
    if (!first) ds.put(',');
    first = false;
  };
  const u8m = (name: string, v: number, m: number) => {
    if (!m) return;
    sep();
    ds.put(m === 0xff ? `${name}=${v}` : `${name}=0x${v.toString(16).padStart(2, '0')}/0x${m.toString(16).padStart(2, '0')}`);
  };
  const be32m = (name: string, v: number, m: number) => {
    if (!m) return;
    sep();
    ds.put(m === 0xffffffff ? `${name}=0x${v.toString(16)}` : `${name}=0x${v.toString(16)}/0x${m.toString(16).padStart(8, '0')}`);
  };
  const spiMask = spi(mask) === 0xffffff ? 0xffffffff : spi(mask);
  u8m('flags', key[0], mask[0]);
  u8m('ttl', key[1], mask[1]);
  u8m('mdtype', key[2], mask[2]);
  u8m('np', key[3], mask[3]);
  be32m('spi', spi(key), spiMask);
  u8m('si', key[7], mask[7]);
  for (let i = 0; i < 4; i++) be32m(`c${i + 1}`, ctx(key, i), ctx(mask, i));
}

/** format_mpls(); like OVS, a malformed payload leaves the parenthesis open. */
function fmtMpls(ds: Ds, a: Buffer, ma: Buffer | undefined, isExact: boolean): boolean {
  if (!a.length || a.length % 4) {
    ds.put(`(bad key length ${a.length})`);
    return false;
  }
  const m = isExact ? undefined : ma;
  if (m !== undefined && m.length !== a.length) {
    ds.put(`(key length ${a.length} != mask length ${m.length})`);
    return false;
  }
  const lse = (w: number) => ({ label: w >>> 12, tc: (w >>> 9) & 7, ttl: w & 0xff, bos: (w >>> 8) & 1 });
  for (let off = 0; off < a.length; off += 4) {
    const k = lse(a.readUInt32BE(off));
    if (m === undefined) {
      ds.put(`label=${k.label},tc=${k.tc},ttl=${k.ttl},bos=${k.bos}`);
    } else {
      const x = lse(m.readUInt32BE(off));
      ds.put(`label=${k.label}/0x${x.label.toString(16)},tc=${k.tc}/${x.tc.toString(16)},ttl=${k.ttl}/0x${x.ttl.toString(16)},bos=${k.bos}/${x.bos.toString(16)}`);
    }
    ds.put(',');
  }
  ds.chomp(',');
  return true;
}

/** format_odp_key_attr__(): `name(body)` for one attribute whose lengths check out. */
function fmtKeyAttr(ds: Ds, type: number, a: Buffer, ma: Buffer | undefined, ctx: FmtCtx): void {
  const { verbose } = ctx;
  const isExact = ma === undefined || maskIsConstant(type, ma, 0xff);
  const maskEmpty = ma === undefined || allBytes(ma, 0);
  const u32 = (b: Buffer) => b.readUInt32LE(0);
  const u16 = (b: Buffer) => b.readUInt16LE(0);
  ds.put(`${ATTR_NAMES.get(type) ?? `key${type}`}(`);
  const structLayout = ODP_STRUCT_LAYOUTS.get(type);
  switch (type) {
    case OVS_KEY_ATTR_ENCAP:
      if (ma !== undefined && ma.length && a.length) ds.put(formatAttrs(a, ma, ctx.verbose));
      else if (a.length) ds.put(formatAttrs(a, undefined, ctx.verbose));
      break;
    case OVS_KEY_ATTR_PRIORITY:
    case OVS_KEY_ATTR_SKB_MARK:
    case OVS_KEY_ATTR_DP_HASH:
    case OVS_KEY_ATTR_RECIRC_ID:
      ds.put(hexAlt(u32(a)) + (isExact ? '' : `/${hexAlt(u32(ma as Buffer))}`));
      break;
    case OVS_KEY_ATTR_CT_MARK:
      if (verbose || !maskEmpty) ds.put(hexAlt(u32(a)) + (isExact ? '' : `/${hexAlt(u32(ma as Buffer))}`));
      break;
    case OVS_KEY_ATTR_CT_STATE: {
      const m = ma === undefined || allBytes(ma, 0) ? 0 : u32(ma);
      const name = (bit: number) => CT_STATE_NAMES[bit];
      if (verbose) ds.put(hexAlt(u32(a)) + (isExact ? '' : `/${hexAlt(m)}`));
      else if (!isExact) ds.put(formatFlagsMasked(u32(a), m, 0xffffffff, name));
      else ds.put(formatFlags(u32(a), name, '|'));
      break;
    }
    case OVS_KEY_ATTR_CT_ZONE:
      if (verbose || !maskEmpty) ds.put(hexAlt(u16(a)) + (isExact ? '' : `/${hexAlt(u16(ma as Buffer))}`));
      break;
    case OVS_KEY_ATTR_CT_LABELS:
      if (verbose || (ma !== undefined && !allBytes(ma, 0))) {
        ds.put(hexU128(a) + (ma !== undefined && !allBytes(ma, 0xff) ? `/${hexU128(ma)}` : ''));
      }
      break;
    case OVS_KEY_ATTR_TUNNEL:
      fmtTunnel(ds, a, ma, verbose);
      break;
    case OVS_KEY_ATTR_IN_PORT:
      if (isExact) ds.put(ctx.portNames?.get(u32(a)) ?? String(u32(a)));
      else ds.put(`${u32(a)}/${hexAlt(u32(ma as Buffer))}`);
      break;
    case OVS_KEY_ATTR_PACKET_TYPE:
      // Both halves always get a mask (all ones without one), so this is the plain struct walk.
      fmtStruct(ds, structLayout as OdpStructLayout, a, ma ?? Buffer.alloc(4, 0xff), verbose);
      break;
    case OVS_KEY_ATTR_VLAN:
      ds.put(formatVlanTci(a.readUInt16BE(0), ma ? ma.readUInt16BE(0) : 0xffff, verbose));
      break;
    case OVS_KEY_ATTR_MPLS:
      if (!fmtMpls(ds, a, ma, isExact)) return;
      break;
    case OVS_KEY_ATTR_ETHERTYPE: {
      const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
      ds.put(hex4(a.readUInt16BE(0)) + (isExact ? '' : `/${hex4((ma as Buffer).readUInt16BE(0))}`));
      break;
    }
    case OVS_KEY_ATTR_TCP_FLAGS: {
      const name = (bit: number) => TCP_FLAG_NAMES[bit];
      if (!isExact) ds.put(formatFlagsMasked(a.readUInt16BE(0), (ma as Buffer).readUInt16BE(0) & 0x0fff, 0x0fff, name));
      else ds.put(formatFlags(a.readUInt16BE(0), name, '|'));
      break;
    }
    case OVS_KEY_ATTR_ND_EXTENSIONS:
      // OVS prints nd_reserved as if exactly matched, whatever its mask.
      ds.put(`nd_reserved=0x${a.readUInt32BE(0).toString(16)},`);
      fmtNum(ds, 'nd_options_type', a[4], ma?.[4], 8, false, verbose);
      ds.chomp(',');
      break;
    case OVS_KEY_ATTR_NSH:
      fmtNsh(ds, a, ma);
      break;
    default:
      if (structLayout && type <= OVS31_KEY_ATTR_MAX) {
        fmtStruct(ds, structLayout, a, ma, verbose);
      } else {
        ds.put(genericHex(a));
        if (!isExact) ds.put(`/${genericHex(ma as Buffer)}`);
      }
  }
  ds.put(')');
}

/** odp_flow_format() over attribute bytes. */
function formatAttrs(key: Buffer, mask: Buffer | undefined, verbose: boolean, portNames?: ReadonlyMap<number, string>): string {
  if (!key.length) return '<empty>';
  const ctx: FmtCtx = { verbose, portNames };
  const ds = new Ds();
  const hasMask = mask !== undefined && mask.length > 0;
  let hasEthtype = false;
  let hasPacketType = false;
  let firstField = true;
  const { attrs, left } = iterAttrs(key);
  const masks = firstByType(hasMask ? mask : undefined);
  for (const a of attrs) {
    let ma = masks.get(a.type);
    if (!checkAttrLen(ds, KEY_LENS, a.type, a.data, ma, false)) continue;
    if (a.type === OVS_KEY_ATTR_ETHERTYPE) hasEthtype = true;
    else if (a.type === OVS_KEY_ATTR_PACKET_TYPE) hasPacketType = true;
    const nested = expectedLen(KEY_LENS, a.type) === LEN_NESTED;
    const wildcard = hasMask && (ma === undefined || maskIsConstant(a.type, ma, 0));
    if (verbose || !wildcard || nested) {
      if (wildcard && ma === undefined) ma = wildcardMask(KEY_LENS, a.type, a.data);
      if (!firstField) ds.put(',');
      fmtKeyAttr(ds, a.type, a.data, ma, ctx);
      firstField = false;
    } else if (a.type === OVS_KEY_ATTR_ETHERNET && !hasPacketType) {
      // With no packet_type, a present Ethernet attribute says the packet is Ethernet: show it.
      if (!firstField) ds.put(',');
      ds.put('eth()');
    } else if (a.type === OVS_KEY_ATTR_PACKET_TYPE && wildcard) {
      hasPacketType = false;
    }
  }
  if (left.length) {
    if (left.length === key.length) ds.put('<empty>');
    ds.put(`,***${left.length} leftover bytes*** (${left.toString('hex')})`);
  }
  if (!hasEthtype && mask !== undefined) {
    const m = masks.get(OVS_KEY_ATTR_ETHERTYPE);
    if (m) ds.put(`,eth_type(0/0x${m.readUInt16BE(0).toString(16).padStart(4, '0')})`);
  }
  return ds.s;
}

/**
 * Formats one key attribute unconditionally, as OVS's format_odp_key_attr(): `name(body)`
 * (set actions use it: `set(eth(…))`, `set(tunnel(…))`, masked `set(ipv4(src=…/…))`).
 * @param type OVS_KEY_ATTR_* type
 * @param value attribute payload
 * @param mask mask payload (same size), or undefined for an exact attribute
 * @param verbose print fields even when their mask is zero
 * @param portNames odp port → name for `in_port`
 * @returns the text; a payload or mask of the wrong size prints OVS's "(bad key length …)" form
 */
export function formatKeyAttr(type: number, value: Buffer, mask: Buffer | undefined, verbose: boolean, portNames?: ReadonlyMap<number, string>): string {
  const ds = new Ds();
  if (checkAttrLen(ds, KEY_LENS, type, value, mask, false)) fmtKeyAttr(ds, type, value, mask, { verbose, portNames });
  return ds.s;
}

/**
 * Formats encoded key (and mask) attributes exactly as OVS 3.1's `odp_flow_format()`
 * (`ovs-dpctl dump-flows` prints this before `, packets:`). With a mask, attributes whose mask
 * is all zero are omitted (an all-wildcard Ethernet prints as "eth()"), and fields print only
 * when un-wildcarded, "/mask" when partially masked. An empty key prints "<empty>".
 * @param key OVS_KEY_ATTR_* attributes, as the kernel sends them
 * @param mask OVS_KEY_ATTR_* mask attributes, or undefined
 * @param verbose print every field (ovs-dpctl `-m`); defaults to true without a mask
 *   (odp_flow_key_format) and false with one (dump-flows)
 * @param portNames odp port → name for an exactly matched `in_port` (`--names`)
 * @returns the text; malformed attributes print as OVS prints them (bad lengths, leftover bytes)
 */
export function formatFlowKeyBytes(key: Buffer, mask?: Buffer, verbose = mask === undefined, portNames?: ReadonlyMap<number, string>): string {
  return formatAttrs(key, mask, verbose, portNames);
}

/**
 * ODP text of a key, as ovs-dpctl prints it: without a mask like `odp_flow_key_format()`
 * (every field), with a mask like `dump-flows` (only un-wildcarded fields), e.g.
 * `recirc_id(0),in_port(2),eth(src=…,dst=…),eth_type(0x0800),ipv4(frag=no)`. The objects are
 * encoded first, so the text is that of the canonical (kernel-order) bytes.
 * @param options see {@link FormatKeyOptions}
 * @throws RangeError as {@link encodeFlowKey}
 */
export function formatFlowKey(key: OdpFlowKey, mask?: OdpFlowKey, options: FormatKeyOptions = {}): string {
  return formatAttrs(encodeFlowKey(key), mask && encodeFlowKey(mask), options.verbose ?? mask === undefined, options.portNames);
}
