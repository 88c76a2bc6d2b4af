/**
 * The field table: every match/set field of ovs-fields(7) that this switch carries, with its
 * width, maskability, prerequisite, access, NXM/OXM code points and where it lives in a flow.
 * Everything else (NXM/OXM codecs, OpenFlow 1.0/1.1 matches, the text format, set_field) is
 * derived from this one table. The facts follow Open vSwitch 3.1's
 * include/openvswitch/meta-flow.h and lib/meta-flow.xml.
 *
 * ## The flow layout
 * A flow is a Buffer of {@link FLOW_LEN} bytes. Each "storage slot" ({@link FLOW_LAYOUT}) holds
 * one datum at a fixed offset in network byte order, like a member of OVS's `struct flow`. A
 * `Match` pairs such a flow with a wildcard buffer of the same layout (bit 1 = "bit matters").
 *
 * Most fields are a whole slot. Some fields are *views*: a bit range of a slot of at most four
 * bytes, `value = (slot & view.mask) >>> view.shift` (e.g. `vlan_pcp` is bits 15..13 of
 * `vlan_tci`, `ip_dscp` is bits 7..2 of `nw_tos`). Several fields may share a slot
 * (`ip_src`/`arp_spa` = `nw_src`; `tcp_src`/`udp_src`/`sctp_src`/`icmp_type` = `tp_src`;
 * `xreg0` = `reg0`+`reg1`; `xxreg0` = `reg0`..`reg3`), as in OVS. The few fields whose value is
 * not a bit range of their slot carry a `special` tag that `mfGetValue`/`mfSetValue` (and
 * `Match`) interpret:
 *  - `ofp11_port` (`in_port_oxm`): 32-bit OpenFlow 1.1 port over the 16-bit `in_port` slot;
 *  - `dl_vlan`: 0xffff (OFP_VLAN_NONE) means "no 802.1Q header" (tci = 0); any other value
 *    sets the VID and the CFI ("tag present") bit;
 *  - `vlan_pcp` (`dl_vlan_pcp`, `vlan_pcp`): setting the PCP also sets CFI;
 *  - `nsh_spi`: an all-ones 24-bit SPI reads back as 0xffffffff (so its mask reads as exact);
 *  - `mask_is_value` (`tun_erspan_ver`, `_dir`, `_hwid`, `tun_gtpu_flags`, `_msgtype`): OVS 3.1
 *    stores the matched *value* as the mask (`match_set_tun_erspan_*_masked`,
 *    `match_set_tun_gtpu_*_masked`), so `tun_erspan_ver=1` becomes `1/1`; we keep that so what
 *    we store, dump and encode agrees with the reference switch.
 *
 * Tunnel metadata (`tun_metadata0`..`63`, variable-length Geneve options) is not carried, nor
 * are the second VLAN header and the MPLS label stack below the top entry.
 */
import { ofp10PortToOfp11, ofp11PortToOfp10 } from './common';


/** Prerequisite classes (OVS `enum mf_prereqs`, without the `MFP_` prefix). */
export type MfPrereq =
  | 'NONE' | 'ETHERNET' | 'ARP' | 'VLAN_VID' | 'IPV4' | 'IPV6' | 'IP_ANY' | 'MPLS' | 'NSH'
  | 'CT_VALID' | 'TCP' | 'UDP' | 'SCTP' | 'ICMPV4' | 'ICMPV6' | 'ND' | 'ND_SOLICIT' | 'ND_ADVERT';

/** How a field's value is printed and parsed (meta-flow.h "Formatting"). */
export type MfFormat =
  | 'decimal' | 'hexadecimal' | 'ethernet' | 'ipv4' | 'ipv6' | 'ofp_port' | 'ofp11_port'
  | 'frag' | 'tun_flags' | 'tcp_flags' | 'ct_state' | 'packet_type';

/** Field behaviours that are not a plain bit range of a slot (see the module comment). */
export type MfSpecial = 'ofp11_port' | 'dl_vlan' | 'vlan_pcp' | 'vlan_vid' | 'nsh_spi' | 'mask_is_value';

/**
 * One NXM or OXM code point of a field.
 * The 32-bit wire header is `oxmClass << 16 | field << 9 | hasmask << 8 | length`; for the
 * experimenter class 0xffff a 4-byte `vendor` (experimenter id) follows it and `length`
 * counts those 4 bytes too.
 */
export interface MfHeader {
  /** The code point's name, e.g. 'NXM_OF_ETH_SRC', 'OXM_OF_VLAN_VID', 'ONFOXM_ET_TCP_FLAGS'. */
  name: string;
  /** Experimenter id for class 0xffff (NX 0x00002320, ONF 0x4f4e4600, NSH 0x005ad650), else 0. */
  vendor: number;
  oxmClass: number;
  field: number;
  /** `oxm_length` of the unmasked form: field bytes (+4 for an experimenter OXM). */
  length: number;
  /** OpenFlow version (OFP12_VERSION…) that introduced a standard OXM; 0 for NXM and extensions. */
  version: number;
}

/** Where a field lives in the flow layout. */
export interface MfStorage {
  /** Byte offset of the slot in the flow buffer. */
  offset: number;
  /** Slot length in bytes (for a view, the whole slot, at most 4). */
  len: number;
}

/** A field (OVS `struct mf_field`). */
export interface MfField {
  /** Index in {@link MF_FIELDS} (follows OVS's `enum mf_field_id` order, minus tun_metadata). */
  id: number;
  /** ovs-fields(7) name, e.g. 'eth_src'. */
  name: string;
  /** Alternative name, e.g. 'dl_src'. */
  extraName?: string;
  /** Width of the value in bytes (on the wire, network order). */
  nBytes: number;
  /** Significant bits of the value (its low-order bits). */
  nBits: number;
  /** Arbitrary bitwise masks allowed (else only exact or fully wildcarded). */
  maskable: boolean;
  /** Can be modified by set_field/reg_load (meta-flow.h "Access: read/write"). */
  writable: boolean;
  prereq: MfPrereq;
  format: MfFormat;
  /** Every NXM/OXM code point, sorted by `version` (NXM and extensions first). */
  headers: readonly MfHeader[];
  storage: MfStorage;
  /** For a view: the bits of the slot it covers (`mask`, ≤ 32 bits) and their right shift. */
  view?: { mask: number; shift: number };
  special?: MfSpecial;
}

/** Storage slots of the flow layout, in order: [name, bytes]. */
const SLOTS: ReadonlyArray<[string, number]> = [
  ['packet_type', 4], ['dp_hash', 4], ['recirc_id', 4], ['conj_id', 4],
  ['in_port', 2], ['actset_output', 4], ['skb_priority', 4], ['pkt_mark', 4],
  ['ct_state', 4], ['ct_zone', 2], ['ct_mark', 4], ['ct_label', 16], ['ct_nw_proto', 1],
  ['ct_nw_src', 4], ['ct_nw_dst', 4], ['ct_ipv6_src', 16], ['ct_ipv6_dst', 16],
  ['ct_tp_src', 2], ['ct_tp_dst', 2], ['metadata', 8],
  ...Array.from({ length: 16 }, (_, i): [string, number] => [`reg${i}`, 4]),
  ['tun_id', 8], ['tun_src', 4], ['tun_dst', 4], ['tun_ipv6_src', 16], ['tun_ipv6_dst', 16],
  ['tun_flags', 2], ['tun_tos', 1], ['tun_ttl', 1], ['tun_gbp_id', 2], ['tun_gbp_flags', 1],
  ['tun_erspan_idx', 4], ['tun_erspan_ver', 1], ['tun_erspan_dir', 1], ['tun_erspan_hwid', 1],
  ['tun_gtpu_flags', 1], ['tun_gtpu_msgtype', 1],
  ['dl_dst', 6], ['dl_src', 6], ['dl_type', 2], ['vlan_tci', 2], ['mpls_lse', 4],
  ['nw_src', 4], ['nw_dst', 4], ['ipv6_src', 16], ['ipv6_dst', 16], ['ipv6_label', 4],
  ['nw_frag', 1], ['nw_tos', 1], ['nw_ttl', 1], ['nw_proto', 1],
  ['nd_target', 16], ['arp_sha', 6], ['arp_tha', 6], ['tcp_flags', 2], ['tp_src', 2],
  ['tp_dst', 2], ['nd_reserved', 4],
  ['nsh_flags', 1], ['nsh_ttl', 1], ['nsh_mdtype', 1], ['nsh_np', 1], ['nsh_path_hdr', 4],
  ['nsh_c1', 4], ['nsh_c2', 4], ['nsh_c3', 4], ['nsh_c4', 4],
];

/** Offset and length of every storage slot, by slot name (e.g. `FLOW_LAYOUT.vlan_tci`). */
export const FLOW_LAYOUT: Readonly<Record<string, MfStorage>> = (() => {
  const layout: Record<string, MfStorage> = {};
  let offset = 0;
  for (const [name, len] of SLOTS) {
    layout[name] = { offset, len };
    offset += len;
  }
  return layout;
})();

/** Size in bytes of a flow (and of a wildcard mask) buffer. */
export const FLOW_LEN: number = SLOTS.reduce((n, [, len]) => n + len, 0);

/** NXM/OXM classes by name prefix: [vendor, class] (OVS build-aux OXM_CLASSES). */
const OXM_CLASSES: ReadonlyArray<[string, number, number]> = [
  ['NXM_OF_', 0, 0x0000],
  ['NXM_NX_', 0, 0x0001],
  ['NXOXM_NSH_', 0x005ad650, 0xffff],
  ['OXM_OF_', 0, 0x8000],
  ['OXM_OF_PKT_REG', 0, 0x8001],
  ['ONFOXM_ET_', 0x4f4e4600, 0xffff],
  ['ERICOXM_OF_', 0, 0x1000],
  ['NXOXM_ET_', 0x00002320, 0xffff],
];

/** The OXM class of experimenter OXMs (`OFPXMC12_EXPERIMENTER`). */
export const OFPXMC12_EXPERIMENTER = 0xffff;

const VALUE_BYTES = { u8: 1, be16: 2, be32: 4, be64: 8, be128: 16, MAC: 6 } as const;

/** One row of the field table, in the compact form it is written in. */
interface FieldSpec {
  name: string;
  extra?: string;
  type: keyof typeof VALUE_BYTES;
  /** Significant low-order bits when fewer than the type's width. */
  bits?: number;
  mask?: true;
  rw?: true;
  pre?: MfPrereq;
  fmt: MfFormat;
  /** Code points as meta-flow.h writes them: 'NAME(n)' or 'NAME(n) OF1.x', comma separated. */
  nxm?: string;
  oxm?: string;
  /** Storage slot; `len` overrides the slot length for a field spanning several slots. */
  at: string;
  view?: [mask: number, shift: number];
  special?: MfSpecial;
}

const OF_VERSIONS: Record<string, number> = { '1.2': 0x03, '1.3': 0x04, '1.4': 0x05, '1.5': 0x06 };

function parseHeaders(spec: string | undefined, nBytes: number): MfHeader[] {
  if (!spec) return [];
  return spec.split(',').map((s) => {
    const m = /^\s*([A-Z0-9_]+)\((\d+)\)(?: OF(1\.\d))?\s*$/.exec(s);
    if (!m) throw new Error(`bad code point ${s}`);
    let best: [string, number, number] | undefined;
    for (const c of OXM_CLASSES) {
      if (m[1].startsWith(c[0]) && (!best || c[0].length > best[0].length)) best = c;
    }
    if (!best) throw new Error(`unknown OXM class for ${m[1]}`);
    const [, vendor, oxmClass] = best;
    return {
      name: m[1], vendor, oxmClass, field: Number(m[2]),
      length: nBytes + (oxmClass === OFPXMC12_EXPERIMENTER ? 4 : 0),
      version: m[3] ? OF_VERSIONS[m[3]] : 0,
    };
  });
}

const VLAN_VID_CFI = 0x1fff;

/** The field table (meta-flow.h), in OVS's enum order. */
const SPECS: FieldSpec[] = [
  { name: 'dp_hash', type: 'be32', mask: true, fmt: 'hexadecimal', nxm: 'NXM_NX_DP_HASH(35)', oxm: 'NXOXM_ET_DP_HASH(0)', at: 'dp_hash' },
  { name: 'recirc_id', type: 'be32', fmt: 'decimal', nxm: 'NXM_NX_RECIRC_ID(36)', at: 'recirc_id' },
  { name: 'packet_type', type: 'be32', fmt: 'packet_type', oxm: 'OXM_OF_PACKET_TYPE(44) OF1.5', at: 'packet_type' },
  { name: 'conj_id', type: 'be32', fmt: 'decimal', nxm: 'NXM_NX_CONJ_ID(37)', at: 'conj_id' },
  { name: 'tun_id', extra: 'tunnel_id', type: 'be64', mask: true, rw: true, fmt: 'hexadecimal', nxm: 'NXM_NX_TUN_ID(16)', oxm: 'OXM_OF_TUNNEL_ID(38) OF1.3', at: 'tun_id' },
  { name: 'tun_src', type: 'be32', mask: true, rw: true, fmt: 'ipv4', nxm: 'NXM_NX_TUN_IPV4_SRC(31)', at: 'tun_src' },
  { name: 'tun_dst', type: 'be32', mask: true, rw: true, fmt: 'ipv4', nxm: 'NXM_NX_TUN_IPV4_DST(32)', at: 'tun_dst' },
  { name: 'tun_ipv6_src', type: 'be128', mask: true, rw: true, fmt: 'ipv6', nxm: 'NXM_NX_TUN_IPV6_SRC(109)', at: 'tun_ipv6_src' },
  { name: 'tun_ipv6_dst', type: 'be128', mask: true, rw: true, fmt: 'ipv6', nxm: 'NXM_NX_TUN_IPV6_DST(110)', at: 'tun_ipv6_dst' },
  { name: 'tun_flags', type: 'be16', bits: 1, mask: true, rw: true, fmt: 'tun_flags', nxm: 'NXM_NX_TUN_FLAGS(104)', at: 'tun_flags', view: [0x0001, 0] },
  { name: 'tun_ttl', type: 'u8', fmt: 'decimal', at: 'tun_ttl' },
  { name: 'tun_tos', type: 'u8', fmt: 'decimal', at: 'tun_tos' },
  { name: 'tun_gbp_id', type: 'be16', mask: true, rw: true, fmt: 'decimal', nxm: 'NXM_NX_TUN_GBP_ID(38)', at: 'tun_gbp_id' },
  { name: 'tun_gbp_flags', type: 'u8', mask: true, rw: true, fmt: 'hexadecimal', nxm: 'NXM_NX_TUN_GBP_FLAGS(39)', at: 'tun_gbp_flags' },
  { name: 'tun_erspan_idx', type: 'be32', bits: 20, mask: true, rw: true, fmt: 'hexadecimal', oxm: 'NXOXM_ET_ERSPAN_IDX(11)', at: 'tun_erspan_idx' },
  { name: 'tun_erspan_ver', type: 'u8', bits: 4, mask: true, rw: true, fmt: 'decimal', oxm: 'NXOXM_ET_ERSPAN_VER(12)', at: 'tun_erspan_ver', special: 'mask_is_value' },
  { name: 'tun_erspan_dir', type: 'u8', bits: 1, mask: true, rw: true, fmt: 'decimal', oxm: 'NXOXM_ET_ERSPAN_DIR(13)', at: 'tun_erspan_dir', special: 'mask_is_value' },
  { name: 'tun_erspan_hwid', type: 'u8', bits: 6, mask: true, rw: true, fmt: 'hexadecimal', oxm: 'NXOXM_ET_ERSPAN_HWID(14)', at: 'tun_erspan_hwid', special: 'mask_is_value' },
  { name: 'tun_gtpu_flags', type: 'u8', mask: true, fmt: 'hexadecimal', oxm: 'NXOXM_ET_GTPU_FLAGS(15)', at: 'tun_gtpu_flags', special: 'mask_is_value' },
  { name: 'tun_gtpu_msgtype', type: 'u8', mask: true, fmt: 'decimal', oxm: 'NXOXM_ET_GTPU_MSGTYPE(16)', at: 'tun_gtpu_msgtype', special: 'mask_is_value' },
  { name: 'metadata', type: 'be64', mask: true, rw: true, fmt: 'hexadecimal', oxm: 'OXM_OF_METADATA(2) OF1.2', at: 'metadata' },
  { name: 'in_port', type: 'be16', rw: true, fmt: 'ofp_port', nxm: 'NXM_OF_IN_PORT(0)', at: 'in_port' },
  { name: 'in_port_oxm', type: 'be32', rw: true, fmt: 'ofp11_port', oxm: 'OXM_OF_IN_PORT(0) OF1.2', at: 'in_port', special: 'ofp11_port' },
  { name: 'actset_output', type: 'be32', fmt: 'ofp11_port', oxm: 'ONFOXM_ET_ACTSET_OUTPUT(43) OF1.3, OXM_OF_ACTSET_OUTPUT(43) OF1.5', at: 'actset_output' },
  { name: 'skb_priority', type: 'be32', fmt: 'hexadecimal', at: 'skb_priority' },
  { name: 'pkt_mark', type: 'be32', mask: true, rw: true, fmt: 'hexadecimal', nxm: 'NXM_NX_PKT_MARK(33)', at: 'pkt_mark' },
  { name: 'ct_state', type: 'be32', mask: true, fmt: 'ct_state', nxm: 'NXM_NX_CT_STATE(105)', at: 'ct_state', view: [0xff, 0] },
  { name: 'ct_zone', type: 'be16', fmt: 'hexadecimal', nxm: 'NXM_NX_CT_ZONE(106)', at: 'ct_zone' },
  { name: 'ct_mark', type: 'be32', mask: true, rw: true, fmt: 'hexadecimal', nxm: 'NXM_NX_CT_MARK(107)', at: 'ct_mark' },
  { name: 'ct_label', type: 'be128', mask: true, rw: true, fmt: 'hexadecimal', nxm: 'NXM_NX_CT_LABEL(108)', at: 'ct_label' },
  { name: 'ct_nw_proto', type: 'u8', pre: 'CT_VALID', fmt: 'decimal', nxm: 'NXM_NX_CT_NW_PROTO(119)', at: 'ct_nw_proto' },
  { name: 'ct_nw_src', type: 'be32', mask: true, pre: 'CT_VALID', fmt: 'ipv4', nxm: 'NXM_NX_CT_NW_SRC(120)', at: 'ct_nw_src' },
  { name: 'ct_nw_dst', type: 'be32', mask: true, pre: 'CT_VALID', fmt: 'ipv4', nxm: 'NXM_NX_CT_NW_DST(121)', at: 'ct_nw_dst' },
  { name: 'ct_ipv6_src', type: 'be128', mask: true, pre: 'CT_VALID', fmt: 'ipv6', nxm: 'NXM_NX_CT_IPV6_SRC(122)', at: 'ct_ipv6_src' },
  { name: 'ct_ipv6_dst', type: 'be128', mask: true, pre: 'CT_VALID', fmt: 'ipv6', nxm: 'NXM_NX_CT_IPV6_DST(123)', at: 'ct_ipv6_dst' },
  { name: 'ct_tp_src', type: 'be16', mask: true, pre: 'CT_VALID', fmt: 'decimal', nxm: 'NXM_NX_CT_TP_SRC(124)', at: 'ct_tp_src' },
  { name: 'ct_tp_dst', type: 'be16', mask: true, pre: 'CT_VALID', fmt: 'decimal', nxm: 'NXM_NX_CT_TP_DST(125)', at: 'ct_tp_dst' },
  ...Array.from({ length: 16 }, (_, i): FieldSpec => (
    { name: `reg${i}`, type: 'be32', mask: true, rw: true, fmt: 'hexadecimal', nxm: `NXM_NX_REG${i}(${i})`, at: `reg${i}` })),
  ...Array.from({ length: 8 }, (_, i): FieldSpec => (
    { name: `xreg${i}`, type: 'be64', mask: true, rw: true, fmt: 'hexadecimal', oxm: `OXM_OF_PKT_REG${i}(${i}) OF1.3`, at: `reg${2 * i}` })),
  ...Array.from({ length: 4 }, (_, i): FieldSpec => (
    { name: `xxreg${i}`, type: 'be128', mask: true, rw: true, fmt: 'hexadecimal', nxm: `NXM_NX_XXREG${i}(${111 + i})`, at: `reg${4 * i}` })),
  { name: 'eth_src', extra: 'dl_src', type: 'MAC', mask: true, rw: true, pre: 'ETHERNET', fmt: 'ethernet', nxm: 'NXM_OF_ETH_SRC(2)', oxm: 'OXM_OF_ETH_SRC(4) OF1.2', at: 'dl_src' },
  { name: 'eth_dst', extra: 'dl_dst', type: 'MAC', mask: true, rw: true, pre: 'ETHERNET', fmt: 'ethernet', nxm: 'NXM_OF_ETH_DST(1)', oxm: 'OXM_OF_ETH_DST(3) OF1.2', at: 'dl_dst' },
  { name: 'eth_type', extra: 'dl_type', type: 'be16', pre: 'ETHERNET', fmt: 'hexadecimal', nxm: 'NXM_OF_ETH_TYPE(3)', oxm: 'OXM_OF_ETH_TYPE(5) OF1.2', at: 'dl_type' },
  { name: 'vlan_tci', type: 'be16', mask: true, rw: true, pre: 'ETHERNET', fmt: 'hexadecimal', nxm: 'NXM_OF_VLAN_TCI(4)', at: 'vlan_tci' },
  { name: 'dl_vlan', type: 'be16', bits: 12, rw: true, pre: 'ETHERNET', fmt: 'decimal', at: 'vlan_tci', view: [0x0fff, 0], special: 'dl_vlan' },
  { name: 'vlan_vid', type: 'be16', bits: 12, mask: true, rw: true, pre: 'ETHERNET', fmt: 'decimal', oxm: 'OXM_OF_VLAN_VID(6) OF1.2', at: 'vlan_tci', view: [VLAN_VID_CFI, 0], special: 'vlan_vid' },
  { name: 'dl_vlan_pcp', type: 'u8', bits: 3, rw: true, pre: 'ETHERNET', fmt: 'decimal', at: 'vlan_tci', view: [0xe000, 13], special: 'vlan_pcp' },
  { name: 'vlan_pcp', type: 'u8', bits: 3, rw: true, pre: 'VLAN_VID', fmt: 'decimal', oxm: 'OXM_OF_VLAN_PCP(7) OF1.2', at: 'vlan_tci', view: [0xe000, 13], special: 'vlan_pcp' },
  { name: 'mpls_label', type: 'be32', bits: 20, rw: true, pre: 'MPLS', fmt: 'decimal', oxm: 'OXM_OF_MPLS_LABEL(34) OF1.2', at: 'mpls_lse', view: [0xfffff000, 12] },
  { name: 'mpls_tc', type: 'u8', bits: 3, rw: true, pre: 'MPLS', fmt: 'decimal', oxm: 'OXM_OF_MPLS_TC(35) OF1.2', at: 'mpls_lse', view: [0x00000e00, 9] },
  { name: 'mpls_bos', type: 'u8', bits: 1, pre: 'MPLS', fmt: 'decimal', oxm: 'OXM_OF_MPLS_BOS(36) OF1.3', at: 'mpls_lse', view: [0x00000100, 8] },
  { name: 'mpls_ttl', type: 'u8', rw: true, pre: 'MPLS', fmt: 'decimal', nxm: 'NXM_NX_MPLS_TTL(30)', at: 'mpls_lse', view: [0x000000ff, 0] },
  { name: 'ip_src', extra: 'nw_src', type: 'be32', mask: true, rw: true, pre: 'IPV4', fmt: 'ipv4', nxm: 'NXM_OF_IP_SRC(7)', oxm: 'OXM_OF_IPV4_SRC(11) OF1.2', at: 'nw_src' },
  { name: 'ip_dst', extra: 'nw_dst', type: 'be32', mask: true, rw: true, pre: 'IPV4', fmt: 'ipv4', nxm: 'NXM_OF_IP_DST(8)', oxm: 'OXM_OF_IPV4_DST(12) OF1.2', at: 'nw_dst' },
  { name: 'ipv6_src', type: 'be128', mask: true, rw: true, pre: 'IPV6', fmt: 'ipv6', nxm: 'NXM_NX_IPV6_SRC(19)', oxm: 'OXM_OF_IPV6_SRC(26) OF1.2', at: 'ipv6_src' },
  { name: 'ipv6_dst', type: 'be128', mask: true, rw: true, pre: 'IPV6', fmt: 'ipv6', nxm: 'NXM_NX_IPV6_DST(20)', oxm: 'OXM_OF_IPV6_DST(27) OF1.2', at: 'ipv6_dst' },
  { name: 'ipv6_label', type: 'be32', bits: 20, mask: true, rw: true, pre: 'IPV6', fmt: 'hexadecimal', nxm: 'NXM_NX_IPV6_LABEL(27)', oxm: 'OXM_OF_IPV6_FLABEL(28) OF1.2', at: 'ipv6_label' },
  { name: 'nw_proto', extra: 'ip_proto', type: 'u8', pre: 'IP_ANY', fmt: 'decimal', nxm: 'NXM_OF_IP_PROTO(6)', oxm: 'OXM_OF_IP_PROTO(10) OF1.2', at: 'nw_proto' },
  { name: 'nw_tos', type: 'u8', rw: true, pre: 'IP_ANY', fmt: 'decimal', nxm: 'NXM_OF_IP_TOS(5)', at: 'nw_tos', view: [0xfc, 0] },
  { name: 'ip_dscp', type: 'u8', bits: 6, rw: true, pre: 'IP_ANY', fmt: 'decimal', oxm: 'OXM_OF_IP_DSCP(8) OF1.2', at: 'nw_tos', view: [0xfc, 2] },
  { name: 'nw_ecn', extra: 'ip_ecn', type: 'u8', bits: 2, rw: true, pre: 'IP_ANY', fmt: 'decimal', nxm: 'NXM_NX_IP_ECN(28)', oxm: 'OXM_OF_IP_ECN(9) OF1.2', at: 'nw_tos', view: [0x03, 0] },
  { name: 'nw_ttl', type: 'u8', rw: true, pre: 'IP_ANY', fmt: 'decimal', nxm: 'NXM_NX_IP_TTL(29)', at: 'nw_ttl' },
  { name: 'ip_frag', extra: 'nw_frag', type: 'u8', bits: 2, mask: true, pre: 'IP_ANY', fmt: 'frag', nxm: 'NXM_NX_IP_FRAG(26)', at: 'nw_frag', view: [0x03, 0] },
  { name: 'arp_op', type: 'be16', rw: true, pre: 'ARP', fmt: 'decimal', nxm: 'NXM_OF_ARP_OP(15)', oxm: 'OXM_OF_ARP_OP(21) OF1.2', at: 'nw_proto', view: [0xff, 0] },
  { name: 'arp_spa', type: 'be32', mask: true, rw: true, pre: 'ARP', fmt: 'ipv4', nxm: 'NXM_OF_ARP_SPA(16)', oxm: 'OXM_OF_ARP_SPA(22) OF1.2', at: 'nw_src' },
  { name: 'arp_tpa', type: 'be32', mask: true, rw: true, pre: 'ARP', fmt: 'ipv4', nxm: 'NXM_OF_ARP_TPA(17)', oxm: 'OXM_OF_ARP_TPA(23) OF1.2', at: 'nw_dst' },
  { name: 'arp_sha', type: 'MAC', mask: true, rw: true, pre: 'ARP', fmt: 'ethernet', nxm: 'NXM_NX_ARP_SHA(17)', oxm: 'OXM_OF_ARP_SHA(24) OF1.2', at: 'arp_sha' },
  { name: 'arp_tha', type: 'MAC', mask: true, rw: true, pre: 'ARP', fmt: 'ethernet', nxm: 'NXM_NX_ARP_THA(18)', oxm: 'OXM_OF_ARP_THA(25) OF1.2', at: 'arp_tha' },
  { name: 'tcp_src', extra: 'tp_src', type: 'be16', mask: true, rw: true, pre: 'TCP', fmt: 'decimal', nxm: 'NXM_OF_TCP_SRC(9)', oxm: 'OXM_OF_TCP_SRC(13) OF1.2', at: 'tp_src' },
  { name: 'tcp_dst', extra: 'tp_dst', type: 'be16', mask: true, rw: true, pre: 'TCP', fmt: 'decimal', nxm: 'NXM_OF_TCP_DST(10)', oxm: 'OXM_OF_TCP_DST(14) OF1.2', at: 'tp_dst' },
  { name: 'tcp_flags', type: 'be16', bits: 12, mask: true, pre: 'TCP', fmt: 'tcp_flags', nxm: 'NXM_NX_TCP_FLAGS(34)', oxm: 'ONFOXM_ET_TCP_FLAGS(42) OF1.3, OXM_OF_TCP_FLAGS(42) OF1.5', at: 'tcp_flags' },
  { name: 'udp_src', type: 'be16', mask: true, rw: true, pre: 'UDP', fmt: 'decimal', nxm: 'NXM_OF_UDP_SRC(11)', oxm: 'OXM_OF_UDP_SRC(15) OF1.2', at: 'tp_src' },
  { name: 'udp_dst', type: 'be16', mask: true, rw: true, pre: 'UDP', fmt: 'decimal', nxm: 'NXM_OF_UDP_DST(12)', oxm: 'OXM_OF_UDP_DST(16) OF1.2', at: 'tp_dst' },
  { name: 'sctp_src', type: 'be16', mask: true, rw: true, pre: 'SCTP', fmt: 'decimal', oxm: 'OXM_OF_SCTP_SRC(17) OF1.2', at: 'tp_src' },
  { name: 'sctp_dst', type: 'be16', mask: true, rw: true, pre: 'SCTP', fmt: 'decimal', oxm: 'OXM_OF_SCTP_DST(18) OF1.2', at: 'tp_dst' },
  { name: 'icmp_type', type: 'u8', rw: true, pre: 'ICMPV4', fmt: 'decimal', nxm: 'NXM_OF_ICMP_TYPE(13)', oxm: 'OXM_OF_ICMPV4_TYPE(19) OF1.2', at: 'tp_src', view: [0xffff, 0] },
  { name: 'icmp_code', type: 'u8', rw: true, pre: 'ICMPV4', fmt: 'decimal', nxm: 'NXM_OF_ICMP_CODE(14)', oxm: 'OXM_OF_ICMPV4_CODE(20) OF1.2', at: 'tp_dst', view: [0xffff, 0] },
  { name: 'icmpv6_type', type: 'u8', rw: true, pre: 'ICMPV6', fmt: 'decimal', nxm: 'NXM_NX_ICMPV6_TYPE(21)', oxm: 'OXM_OF_ICMPV6_TYPE(29) OF1.2', at: 'tp_src', view: [0xffff, 0] },
  { name: 'icmpv6_code', type: 'u8', rw: true, pre: 'ICMPV6', fmt: 'decimal', nxm: 'NXM_NX_ICMPV6_CODE(22)', oxm: 'OXM_OF_ICMPV6_CODE(30) OF1.2', at: 'tp_dst', view: [0xffff, 0] },
  { name: 'nd_target', type: 'be128', mask: true, rw: true, pre: 'ND', fmt: 'ipv6', nxm: 'NXM_NX_ND_TARGET(23)', oxm: 'OXM_OF_IPV6_ND_TARGET(31) OF1.2', at: 'nd_target' },
  { name: 'nd_sll', type: 'MAC', mask: true, rw: true, pre: 'ND_SOLICIT', fmt: 'ethernet', nxm: 'NXM_NX_ND_SLL(24)', oxm: 'OXM_OF_IPV6_ND_SLL(32) OF1.2', at: 'arp_sha' },
  { name: 'nd_tll', type: 'MAC', mask: true, rw: true, pre: 'ND_ADVERT', fmt: 'ethernet', nxm: 'NXM_NX_ND_TLL(25)', oxm: 'OXM_OF_IPV6_ND_TLL(33) OF1.2', at: 'arp_tha' },
  { name: 'nd_reserved', type: 'be32', rw: true, pre: 'ND', fmt: 'decimal', oxm: 'ERICOXM_OF_ICMPV6_ND_RESERVED(1)', at: 'nd_reserved' },
  { name: 'nd_options_type', type: 'u8', rw: true, pre: 'ND', fmt: 'decimal', oxm: 'ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE(2)', at: 'tcp_flags', view: [0xffff, 0] },
  { name: 'nsh_flags', type: 'u8', mask: true, rw: true, pre: 'NSH', fmt: 'decimal', oxm: 'NXOXM_NSH_FLAGS(1)', at: 'nsh_flags' },
  { name: 'nsh_mdtype', type: 'u8', pre: 'NSH', fmt: 'decimal', oxm: 'NXOXM_NSH_MDTYPE(2)', at: 'nsh_mdtype' },
  { name: 'nsh_np', type: 'u8', pre: 'NSH', fmt: 'decimal', oxm: 'NXOXM_NSH_NP(3)', at: 'nsh_np' },
  { name: 'nsh_spi', extra: 'nsp', type: 'be32', bits: 24, rw: true, pre: 'NSH', fmt: 'hexadecimal', oxm: 'NXOXM_NSH_SPI(4)', at: 'nsh_path_hdr', view: [0xffffff00, 8], special: 'nsh_spi' },
  { name: 'nsh_si', extra: 'nsi', type: 'u8', rw: true, pre: 'NSH', fmt: 'decimal', oxm: 'NXOXM_NSH_SI(5)', at: 'nsh_path_hdr', view: [0x000000ff, 0] },
  ...Array.from({ length: 4 }, (_, i): FieldSpec => (
    { name: `nsh_c${i + 1}`, extra: `nshc${i + 1}`, type: 'be32', mask: true, rw: true, pre: 'NSH', fmt: 'hexadecimal', oxm: `NXOXM_NSH_C${i + 1}(${6 + i})`, at: `nsh_c${i + 1}` })),
  { name: 'nsh_ttl', type: 'u8', rw: true, pre: 'NSH', fmt: 'decimal', oxm: 'NXOXM_NSH_TTL(10)', at: 'nsh_ttl' },
];

function buildField(spec: FieldSpec, id: number): MfField {
  const nBytes = VALUE_BYTES[spec.type];
  const slot = FLOW_LAYOUT[spec.at];
  if (!slot) throw new Error(`unknown slot ${spec.at}`);
  // OVS lists a field's code points OXM first, then NXM, and stably sorts them by version.
  const headers = [...parseHeaders(spec.oxm, nBytes), ...parseHeaders(spec.nxm, nBytes)]
    .sort((a, b) => a.version - b.version);
  const field: MfField = {
    id, name: spec.name, nBytes, nBits: spec.bits ?? nBytes * 8,
    maskable: spec.mask === true, writable: spec.rw === true,
    prereq: spec.pre ?? 'NONE', format: spec.fmt, headers,
    storage: spec.view || spec.special === 'ofp11_port' ? slot : { offset: slot.offset, len: nBytes },
  };
  if (spec.extra) field.extraName = spec.extra;
  if (spec.view) field.view = { mask: spec.view[0], shift: spec.view[1] };
  if (spec.special) field.special = spec.special;
  return Object.freeze(field);
}

/** Every field, indexed by `MfField.id`. */
export const MF_FIELDS: readonly MfField[] = Object.freeze(SPECS.map(buildField));

const BY_NAME = new Map<string, MfField>();
for (const f of MF_FIELDS) {
  BY_NAME.set(f.name, f);
  if (f.extraName) BY_NAME.set(f.extraName, f);
}

/** Looks a field up by its name or its alternative name ('eth_src' or 'dl_src'). */
export function mfFieldByName(name: string): MfField | undefined {
  return BY_NAME.get(name);
}

/** Looks a field up by name and throws if there is none (for tables written in code). */
export function mfField(name: string): MfField {
  const f = BY_NAME.get(name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
}

/** `OFPVID_PRESENT` / VLAN CFI: the "802.1Q header present" bit of a TCI (OpenFlow 1.2 §A.2.3.7). */
export const VLAN_CFI = 0x1000;
export const VLAN_VID_MASK = 0x0fff;
export const VLAN_PCP_MASK = 0xe000;
/** `OFP10_VLAN_NONE`: the `dl_vlan` value meaning "no 802.1Q header". */
export const OFP10_VLAN_NONE = 0xffff;

/** Reads a slot of at most four bytes as an unsigned number. */
export function readSlot(buf: Buffer, s: MfStorage): number {
  return buf.readUIntBE(s.offset, s.len);
}

/** Writes a slot of at most four bytes from an unsigned number. */
export function writeSlot(buf: Buffer, s: MfStorage, v: number): void {
  buf.writeUIntBE(s.len === 4 ? v >>> 0 : v & ((1 << (8 * s.len)) - 1), s.offset, s.len);
}

/**
 * Reads field `f` from a flow (or from a wildcard buffer, giving the field's mask), as OVS's
 * `mf_get_value`.
 * @returns `f.nBytes` bytes, network byte order
 */
export function mfGetValue(f: MfField, flow: Buffer): Buffer {
  const out = Buffer.alloc(f.nBytes);
  if (f.special === 'ofp11_port') {
    out.writeUInt32BE(ofp10PortToOfp11(readSlot(flow, f.storage)));
  } else if (f.view) {
    let v = (readSlot(flow, f.storage) & f.view.mask) >>> f.view.shift;
    if (f.special === 'nsh_spi' && v === 0xffffff) v = 0xffffffff;
    out.writeUIntBE(f.nBytes === 4 ? v >>> 0 : v & ((1 << (8 * f.nBytes)) - 1), 0, f.nBytes);
  } else {
    flow.copy(out, 0, f.storage.offset, f.storage.offset + f.nBytes);
  }
  return out;
}

/**
 * Writes field `f` into a flow (a packet's headers, e.g. for set_field), as OVS's
 * `mf_set_flow_value`: views replace only their bits; `dl_vlan` 0xffff clears the TCI, other
 * `dl_vlan`/PCP values also set the CFI bit; `in_port_oxm` converts the 32-bit port; `ipv6_label`
 * keeps only its 20 label bits.
 * @param value `f.nBytes` bytes, network byte order
 * @throws Error when `value` has the wrong length
 */
export function mfSetValue(f: MfField, flow: Buffer, value: Buffer): void {
  if (value.length !== f.nBytes) throw new Error(`${f.name}: value must be ${f.nBytes} bytes`);
  if (f.special === 'ofp11_port') {
    writeSlot(flow, f.storage, ofp11PortToOfp10(value.readUInt32BE(0)) ?? 0);
    return;
  }
  if (f.name === 'ipv6_label') {
    // Only the 20 label bits are stored, values and masks alike (OVS masks with IPV6_LABEL_MASK).
    writeSlot(flow, f.storage, value.readUInt32BE(0) & 0xfffff);
    return;
  }
  if (!f.view) {
    value.copy(flow, f.storage.offset);
    return;
  }
  const v = value.readUIntBE(0, f.nBytes);
  let slot = readSlot(flow, f.storage);
  if (f.special === 'dl_vlan' && v === OFP10_VLAN_NONE) {
    slot = 0;
  } else {
    slot = ((slot & ~f.view.mask) | ((v << f.view.shift) & f.view.mask)) >>> 0;
    if (f.special === 'dl_vlan' || f.special === 'vlan_pcp') slot |= VLAN_CFI;
  }
  writeSlot(flow, f.storage, slot);
}

/** The Ethernet `packet_type` (namespace ONF 0, type 0): the default. */
export const PT_ETH = 0;
/** `packet_type` namespace whose ns_type is an Ethertype (OFPHTN_ETHERTYPE). */
export const OFPHTN_ETHERTYPE = 1;

/**
 * Bits a value may have set, for the fields whose values are narrower than their width
 * (OVS `mf_is_value_valid`). Fields absent here accept any value, including the ERSPAN fields,
 * which OVS does not check either.
 */
const VALID_VALUE_BITS: Readonly<Record<string, number>> = {
  nw_tos: 0xfc, ip_dscp: 0x3f, nw_ecn: 0x03, ip_frag: 0x03, tcp_flags: 0x0fff, arp_op: 0x00ff,
  dl_vlan: 0x0fff, vlan_vid: 0x1fff, dl_vlan_pcp: 0x07, vlan_pcp: 0x07, ipv6_label: 0x000fffff,
  mpls_label: 0x000fffff, mpls_tc: 0x07, mpls_bos: 0x01, tun_flags: 0x0001, ct_state: 0xff,
  nsh_spi: 0x00ffffff, nsh_ttl: 0x3f,
};

/**
 * Whether `value` makes sense for field `f` at all, even as part of a masked match
 * (OVS `mf_is_value_valid`): no bits beyond the field's width (where OVS checks that), an
 * OpenFlow 1.1 port that has a 16-bit counterpart, an NSH MD type of 1 or 2.
 * @param value `f.nBytes` bytes, network byte order
 */
export function mfIsValueValid(f: MfField, value: Buffer): boolean {
  if (f.format === 'ofp11_port') return ofp11PortToOfp10(value.readUInt32BE(0)) !== undefined;
  if (f.name === 'nsh_mdtype') return value[0] === 1 || value[0] === 2;
  const bits = VALID_VALUE_BITS[f.name];
  return bits === undefined || (value.readUIntBE(0, f.nBytes) & ~bits) === 0;
}

/** Pipeline fields: what a packet-in/resume may carry as metadata (OVS `mf_is_pipeline_field`). */
const PIPELINE_FIELDS = new Set(['metadata', 'in_port', 'in_port_oxm', 'packet_type']);

/** Whether `f` is a pipeline field: tunnel (except tun_ttl/tun_tos), metadata, in_port, registers, packet_type. */
export function mfIsPipelineField(f: MfField): boolean {
  return PIPELINE_FIELDS.has(f.name) || /^x{0,2}reg\d+$/.test(f.name)
    || (f.name.startsWith('tun_') && f.name !== 'tun_ttl' && f.name !== 'tun_tos');
}
