/**
 * Flow key and mask codec: the nested `OVS_KEY_ATTR_*` attributes carried by `OVS_FLOW_ATTR_KEY`,
 * `OVS_FLOW_ATTR_MASK`, `OVS_PACKET_ATTR_KEY` and the set actions, as defined by
 * `<linux/openvswitch.h>` (`enum ovs_key_attr`, `struct ovs_key_*`). A mask uses the same
 * layout as a key; its values are mask bits (1 = exact match).
 *
 * Byte orders on the wire: u16/u32 metadata (priority, in_port, skb_mark, recirc_id, dp_hash,
 * ct_state, ct_zone, ct_mark) are host order (little-endian here); ethertype, VLAN TCI, TCP flags,
 * L4 ports, IPv4 addresses and the IPv6 flow label are network order. In {@link OdpFlowKey}
 * every number is the plain numeric value, whatever its wire order.
 *
 * Canonical attribute order (what {@link encodeFlowKey} emits) is the kernel's, from
 * `__ovs_nla_put_key()` in net/openvswitch/flow_netlink.c: recirc_id, dp_hash, priority, tunnel,
 * in_port, skb_mark, ct_state, ct_zone, ct_mark, ct_labels, ct_orig_tuple_*, ethernet,
 * ethertype, vlan, encap, l3 (ipv4/ipv6/arp/mpls/nsh), l4 (tcp, tcp_flags, udp, sctp, icmp,
 * icmpv6, nd). Keys the kernel sends (upcalls, dumps) therefore re-encode byte for byte.
 * The text form ({@link formatFlowKey}) follows `odp_flow_format()` in OVS lib/odp-util.c.
 */
import { attr, parseAttrs, NlAttr } from './nlattr';
import {
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
  OVS_KEY_ATTR_MAX,
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
  OVS_CT_LABELS_LEN,
} from './openvswitch';

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
  /** OVS_KEY_ATTR_ETHERNET: `struct ovs_key_ethernet`, MACs as "aa:bb:cc:dd:ee:ff" (lowercase). */
  ethernet?: { src: string; dst: string };
  /** OVS_KEY_ATTR_VLAN: __be16 TCI; includes VLAN_CFI (0x1000) when a tag is present. */
  vlan?: number;
  /** OVS_KEY_ATTR_ETHERTYPE: __be16. For a tagged frame this is the TPID (0x8100/0x88a8). */
  ethertype?: number;
  /** OVS_KEY_ATTR_ENCAP: the attributes of the headers inside the VLAN tag (ethertype, l3, l4). */
  encap?: OdpFlowKey;
  /** OVS_KEY_ATTR_IPV4: `struct ovs_key_ipv4`; addresses as dotted quads, frag is OVS_FRAG_TYPE_*. */
  ipv4?: { src: string; dst: string; proto: number; tos: number; ttl: number; frag: number };
  /** OVS_KEY_ATTR_IPV6: `struct ovs_key_ipv6`; addresses in RFC 5952 text, label is the 20-bit flow label. */
  ipv6?: { src: string; dst: string; label: number; proto: number; tclass: number; hlimit: number; frag: number };
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
  /**
   * Attributes this codec does not model (e.g. TUNNEL, CT_ORIG_TUPLE_*, NSH, MPLS, PACKET_TYPE),
   * kept verbatim so a decode→encode round trip is lossless. `type` has the NLA_F_* bits stripped.
   */
  other?: { type: number; data: Buffer }[];
}

// ---------------------------------------------------------------------------------------------
// Address text

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function writeMac(s: string, b: Buffer, off: number): void {
  if (!MAC_RE.test(s)) throw new RangeError(`invalid MAC address "${s}"`);
  for (let i = 0; i < 6; i++) b[off + i] = parseInt(s.substr(i * 3, 2), 16);
}

function readMac(b: Buffer, off: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[off + i].toString(16).padStart(2, '0'));
  return parts.join(':');
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

function parseIpv6Groups(part: string, whole: string): number[] {
  if (part === '') return [];
  return part.split(':').map((g) => {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) throw new RangeError(`invalid IPv6 address "${whole}"`);
    return parseInt(g, 16);
  });
}

/** Parses any RFC 4291 text form (including "::" and a dotted-quad tail). */
function writeIpv6(s: string, b: Buffer, off: number): void {
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > lastColon) {
    const o = parseIpv4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw new RangeError(`invalid IPv6 address "${s}"`);
  const head = parseIpv6Groups(halves[0], s);
  const tail = halves.length === 2 ? parseIpv6Groups(halves[1], s) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) throw new RangeError(`invalid IPv6 address "${s}"`);
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  groups.forEach((g, i) => b.writeUInt16BE(g, off + i * 2));
}

/** RFC 5952 text: lowercase, longest zero run (≥ 2 groups, first on a tie) as "::", ::ffff:a.b.c.d for IPv4-mapped. */
function readIpv6(b: Buffer, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(off + i * 2));
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${readIpv4(b, off + 12)}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

// ---------------------------------------------------------------------------------------------
// Struct layouts

/** Wire kinds of struct members: `u8`, `__be16`, `__be32`, `__u8[ETH_ALEN]`, `__be32`, `__be32[4]`. */
type FieldKind = 'u8' | 'be16' | 'be32' | 'mac' | 'ipv4' | 'ipv6';

interface FieldCodec {
  size: number;
  write(v: unknown, b: Buffer, off: number): void;
  read(b: Buffer, off: number): string | number;
}

const FIELD_CODECS: Record<FieldKind, FieldCodec> = {
  u8: { size: 1, write: (v, b, o) => b.writeUInt8(v as number, o), read: (b, o) => b.readUInt8(o) },
  be16: { size: 2, write: (v, b, o) => b.writeUInt16BE(v as number, o), read: (b, o) => b.readUInt16BE(o) },
  be32: { size: 4, write: (v, b, o) => b.writeUInt32BE(v as number, o), read: (b, o) => b.readUInt32BE(o) },
  mac: { size: 6, write: (v, b, o) => writeMac(v as string, b, o), read: readMac },
  ipv4: { size: 4, write: (v, b, o) => writeIpv4(v as string, b, o), read: readIpv4 },
  ipv6: { size: 16, write: (v, b, o) => writeIpv6(v as string, b, o), read: readIpv6 },
};

/**
 * How OVS prints a member: `dec` (%u), `hex` (%#x), `frag` (no/first/later), `label`
 * (IPv6 flow label, %#x, only the low 20 mask bits count); addresses print as addresses.
 */
type FieldStyle = 'dec' | 'hex' | 'frag' | 'label';

interface StructField {
  /** Property of the decoded object and name in the ODP text. */
  name: string;
  kind: FieldKind;
  /** Byte offset in the C struct. */
  offset: number;
  style?: FieldStyle;
}

/** A `struct ovs_key_*` (or ct tuple) layout; fields are listed in OVS's print order. */
interface StructLayout {
  /** `sizeof` the struct, tail padding included. */
  size: number;
  /** Bytes up to the end of the last member (size without tail padding). */
  used: number;
  fields: StructField[];
}

function layout(size: number, fields: StructField[]): StructLayout {
  const used = Math.max(...fields.map((f) => f.offset + FIELD_CODECS[f.kind].size));
  return { size, used, fields };
}

/** struct ovs_key_ethernet { u8 eth_src[6]; u8 eth_dst[6]; } — 12 bytes. */
const OVS_KEY_ETHERNET = layout(12, [
  { name: 'src', kind: 'mac', offset: 0 },
  { name: 'dst', kind: 'mac', offset: 6 },
]);
/** struct ovs_key_ipv4 { be32 src; be32 dst; u8 proto, tos, ttl, frag; } — 12 bytes. */
const OVS_KEY_IPV4 = layout(12, [
  { name: 'src', kind: 'ipv4', offset: 0 },
  { name: 'dst', kind: 'ipv4', offset: 4 },
  { name: 'proto', kind: 'u8', offset: 8 },
  { name: 'tos', kind: 'u8', offset: 9, style: 'hex' },
  { name: 'ttl', kind: 'u8', offset: 10 },
  { name: 'frag', kind: 'u8', offset: 11, style: 'frag' },
]);
/** struct ovs_key_ipv6 { be32 src[4]; be32 dst[4]; be32 label; u8 proto, tclass, hlimit, frag; } — 40 bytes. */
const OVS_KEY_IPV6 = layout(40, [
  { name: 'src', kind: 'ipv6', offset: 0 },
  { name: 'dst', kind: 'ipv6', offset: 16 },
  { name: 'label', kind: 'be32', offset: 32, style: 'label' },
  { name: 'proto', kind: 'u8', offset: 36 },
  { name: 'tclass', kind: 'u8', offset: 37, style: 'hex' },
  { name: 'hlimit', kind: 'u8', offset: 38 },
  { name: 'frag', kind: 'u8', offset: 39, style: 'frag' },
]);
/** struct ovs_key_tcp / ovs_key_udp / ovs_key_sctp { be16 src; be16 dst; } — 4 bytes. */
const OVS_KEY_TP = layout(4, [
  { name: 'src', kind: 'be16', offset: 0 },
  { name: 'dst', kind: 'be16', offset: 2 },
]);
/** struct ovs_key_icmp / ovs_key_icmpv6 { u8 type; u8 code; } — 2 bytes. */
const OVS_KEY_ICMP = layout(2, [
  { name: 'type', kind: 'u8', offset: 0 },
  { name: 'code', kind: 'u8', offset: 1 },
]);
/** struct ovs_key_arp { be32 sip; be32 tip; be16 op; u8 sha[6]; u8 tha[6]; } — 22 bytes + 2 tail padding = 24. */
const OVS_KEY_ARP = layout(24, [
  { name: 'sip', kind: 'ipv4', offset: 0 },
  { name: 'tip', kind: 'ipv4', offset: 4 },
  { name: 'op', kind: 'be16', offset: 8 },
  { name: 'sha', kind: 'mac', offset: 10 },
  { name: 'tha', kind: 'mac', offset: 16 },
]);
/** struct ovs_key_nd { be32 target[4]; u8 sll[6]; u8 tll[6]; } — 28 bytes. */
const OVS_KEY_ND = layout(28, [
  { name: 'target', kind: 'ipv6', offset: 0 },
  { name: 'sll', kind: 'mac', offset: 16 },
  { name: 'tll', kind: 'mac', offset: 22 },
]);
/** struct ovs_key_ct_tuple_ipv4 { be32 src; be32 dst; be16 src_port; be16 dst_port; u8 proto; } — 13 + 3 = 16 bytes. Text only. */
const OVS_KEY_CT_TUPLE_IPV4 = layout(16, [
  { name: 'src', kind: 'ipv4', offset: 0 },
  { name: 'dst', kind: 'ipv4', offset: 4 },
  { name: 'proto', kind: 'u8', offset: 12 },
  { name: 'tp_src', kind: 'be16', offset: 8 },
  { name: 'tp_dst', kind: 'be16', offset: 10 },
]);
/** struct ovs_key_ct_tuple_ipv6 { be32 src[4]; be32 dst[4]; be16 src_port; be16 dst_port; u8 proto; } — 37 + 3 = 40 bytes. Text only. */
const OVS_KEY_CT_TUPLE_IPV6 = layout(40, [
  { name: 'src', kind: 'ipv6', offset: 0 },
  { name: 'dst', kind: 'ipv6', offset: 16 },
  { name: 'proto', kind: 'u8', offset: 36 },
  { name: 'src_port', kind: 'be16', offset: 32 },
  { name: 'dst_port', kind: 'be16', offset: 34 },
]);

function encodeStruct(l: StructLayout, v: object): Buffer {
  const b = Buffer.alloc(l.size);
  const rec = v as Record<string, unknown>;
  for (const f of l.fields) {
    if (rec[f.name] === undefined) throw new RangeError(`missing field "${f.name}"`);
    FIELD_CODECS[f.kind].write(rec[f.name], b, f.offset);
  }
  return b;
}

function decodeStruct(l: StructLayout, b: Buffer): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const f of l.fields) out[f.name] = FIELD_CODECS[f.kind].read(b, f.offset);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text helpers (printf semantics of OVS's format helpers)

/** C's "%#x": "0" for zero, "0x…" otherwise. */
function hexAlt(n: number): string {
  return n === 0 ? '0' : `0x${n.toString(16)}`;
}

function allBytes(b: Buffer, value: number, len = b.length): boolean {
  for (let i = 0; i < len; i++) if (b[i] !== value) return false;
  return true;
}

function fieldText(kind: FieldKind, style: FieldStyle | undefined, b: Buffer, off: number): string {
  const v = FIELD_CODECS[kind].read(b, off);
  if (typeof v === 'string') return v;
  return style === 'hex' || style === 'label' ? hexAlt(v) : String(v);
}

const FRAG_NAMES = ['no', 'first', 'later'];

/** One struct attribute body, as OVS's format_eth/format_ipv4/format_u8u/… sequence prints it. */
function formatStruct(l: StructLayout, v: Buffer, m: Buffer | undefined, verbose: boolean): string {
  const parts: string[] = [];
  for (const f of l.fields) {
    const size = FIELD_CODECS[f.kind].size;
    const mf = m?.subarray(f.offset, f.offset + size);
    if (f.style === 'frag') {
      const empty = mf !== undefined && mf[0] === 0;
      const full = mf === undefined || mf[0] === 0xff;
      if (!empty && !full) parts.push(`error: partial mask not supported for frag (${hexAlt(mf[0])})`);
      else if (!empty) parts.push(`${f.name}=${FRAG_NAMES[v[f.offset]] ?? '<error>'}`);
      continue;
    }
    let empty: boolean;
    let full: boolean;
    if (f.style === 'label') {
      const mv = mf?.readUInt32BE(0);
      empty = mv === 0;
      full = mv === undefined || (mv & 0xfffff) === 0xfffff;
    } else {
      empty = mf !== undefined && allBytes(mf, 0);
      full = mf === undefined || allBytes(mf, 0xff);
    }
    if (!verbose && empty) continue;
    let text = `${f.name}=${fieldText(f.kind, f.style, v, f.offset)}`;
    if (!full && m) {
      const maskText = f.kind === 'u8' || f.kind === 'be16' || f.kind === 'be32'
        ? hexAlt(FIELD_CODECS[f.kind].read(m, f.offset) as number)
        : fieldText(f.kind, undefined, m, f.offset);
      text += `/${maskText}`;
    }
    parts.push(text);
  }
  return parts.join(',');
}

/** OVS's format_flags(): names of set bits, lowest first, joined by `sep`; "0" when none. */
function formatFlags(flags: number, names: (bit: number) => string | undefined, sep: string): string {
  if (flags === 0) return '0';
  const out: string[] = [];
  let bad = 0;
  for (let bit = 1; bit !== 0 && bit <= flags; bit = (bit << 1) >>> 0) {
    if (!(flags & bit)) continue;
    const s = names(bit);
    if (s) out.push(s);
    else bad |= bit;
  }
  if (bad) out.push(`0x${(bad >>> 0).toString(16)}`);
  return out.join(sep);
}

/** OVS's format_flags_masked(): "+name" / "-name" per mask bit, lowest first. */
function formatFlagsMasked(flags: number, mask: number, maxMask: number, names: (bit: number) => string | undefined): string {
  if (mask === maxMask) return formatFlags(flags, names, '|');
  if (mask === 0) return '0/0';
  let out = '';
  for (let bit = 1; bit !== 0 && bit <= mask >>> 0; bit = (bit << 1) >>> 0) {
    if (!(mask & bit)) continue;
    out += `${flags & bit ? '+' : '-'}${names(bit) ?? '[Unknown]'}`;
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

/** OVS's format_vlan_tci(): vid, pcp, and "cfi=0" when the CFI bit is clear. */
export function formatVlanTci(tci: number, mask: number, verbose: boolean): string {
  const parts: string[] = [];
  const vid = tci & 0x0fff;
  const vidMask = mask & 0x0fff;
  const pcp = (tci >> 13) & 7;
  const pcpMask = (mask >> 13) & 7;
  if (verbose || vid || vidMask) parts.push(`vid=${vid}${vidMask !== 0x0fff ? `/0x${vidMask.toString(16)}` : ''}`);
  if (verbose || pcp || pcpMask) parts.push(`pcp=${pcp}${pcpMask !== 7 ? `/0x${pcpMask.toString(16)}` : ''}`);
  if (!(tci & 0x1000)) parts.push('cfi=0');
  return parts.join(',');
}

/** ds_put_hex() of a host-order u128: big-endian hex without leading zeros. */
function hexU128(b: Buffer): string {
  const be = Buffer.from(b).reverse();
  const first = be.findIndex((x) => x !== 0);
  if (first < 0) return '0';
  return `0x${be[first].toString(16)}${be.subarray(first + 1).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// The attribute table

type ModelledProp = Exclude<keyof OdpFlowKey, 'encap' | 'other'>;

interface KeyAttrSpec<P extends ModelledProp> {
  type: number;
  /** The uapi name, for error messages. */
  uapi: string;
  prop: P;
  /** Payload size in bytes (fixed for every modelled attribute). */
  size: number;
  encode(v: NonNullable<OdpFlowKey[P]>): Buffer;
  decode(b: Buffer): NonNullable<OdpFlowKey[P]>;
}

type AnySpec = KeyAttrSpec<ModelledProp>;

function def<P extends ModelledProp>(spec: KeyAttrSpec<P>): AnySpec {
  return spec as unknown as AnySpec;
}

type U32Prop = 'priority' | 'inPort' | 'skbMark' | 'recircId' | 'dpHash' | 'ctState' | 'ctMark';
type Be16Prop = 'vlan' | 'ethertype' | 'tcpFlags';

function u32(type: number, uapi: string, prop: U32Prop): AnySpec {
  return def({
    type, uapi, prop, size: 4,
    encode: (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; },
    decode: (b) => b.readUInt32LE(0),
  });
}

function be16(type: number, uapi: string, prop: Be16Prop): AnySpec {
  return def({
    type, uapi, prop, size: 2,
    encode: (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; },
    decode: (b) => b.readUInt16BE(0),
  });
}

function struct<P extends 'ethernet' | 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | 'arp' | 'nd'>(
  type: number, uapi: string, prop: P, l: StructLayout,
): AnySpec {
  return def<P>({
    type, uapi, prop, size: l.size,
    encode: (v) => encodeStruct(l, v),
    decode: (b) => decodeStruct(l, b) as unknown as NonNullable<OdpFlowKey[P]>,
  });
}

/** Every modelled attribute, in canonical (kernel) order. ENCAP is handled beside the table. */
const KEY_ATTRS: AnySpec[] = [
  u32(OVS_KEY_ATTR_RECIRC_ID, 'OVS_KEY_ATTR_RECIRC_ID', 'recircId'),
  u32(OVS_KEY_ATTR_DP_HASH, 'OVS_KEY_ATTR_DP_HASH', 'dpHash'),
  u32(OVS_KEY_ATTR_PRIORITY, 'OVS_KEY_ATTR_PRIORITY', 'priority'),
  u32(OVS_KEY_ATTR_IN_PORT, 'OVS_KEY_ATTR_IN_PORT', 'inPort'),
  u32(OVS_KEY_ATTR_SKB_MARK, 'OVS_KEY_ATTR_SKB_MARK', 'skbMark'),
  u32(OVS_KEY_ATTR_CT_STATE, 'OVS_KEY_ATTR_CT_STATE', 'ctState'),
  def({
    type: OVS_KEY_ATTR_CT_ZONE, uapi: 'OVS_KEY_ATTR_CT_ZONE', prop: 'ctZone', size: 2,
    encode: (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; },
    decode: (b) => b.readUInt16LE(0),
  }),
  u32(OVS_KEY_ATTR_CT_MARK, 'OVS_KEY_ATTR_CT_MARK', 'ctMark'),
  def({
    type: OVS_KEY_ATTR_CT_LABELS, uapi: 'OVS_KEY_ATTR_CT_LABELS', prop: 'ctLabels', size: OVS_CT_LABELS_LEN,
    encode: (v: Buffer) => {
      if (v.length !== OVS_CT_LABELS_LEN) throw new RangeError(`ctLabels must be ${OVS_CT_LABELS_LEN} bytes, got ${v.length}`);
      return v;
    },
    decode: (b) => b,
  }),
  struct(OVS_KEY_ATTR_ETHERNET, 'OVS_KEY_ATTR_ETHERNET', 'ethernet', OVS_KEY_ETHERNET),
  be16(OVS_KEY_ATTR_ETHERTYPE, 'OVS_KEY_ATTR_ETHERTYPE', 'ethertype'),
  be16(OVS_KEY_ATTR_VLAN, 'OVS_KEY_ATTR_VLAN', 'vlan'),
  struct(OVS_KEY_ATTR_IPV4, 'OVS_KEY_ATTR_IPV4', 'ipv4', OVS_KEY_IPV4),
  struct(OVS_KEY_ATTR_IPV6, 'OVS_KEY_ATTR_IPV6', 'ipv6', OVS_KEY_IPV6),
  struct(OVS_KEY_ATTR_ARP, 'OVS_KEY_ATTR_ARP', 'arp', OVS_KEY_ARP),
  struct(OVS_KEY_ATTR_TCP, 'OVS_KEY_ATTR_TCP', 'tcp', OVS_KEY_TP),
  be16(OVS_KEY_ATTR_TCP_FLAGS, 'OVS_KEY_ATTR_TCP_FLAGS', 'tcpFlags'),
  struct(OVS_KEY_ATTR_UDP, 'OVS_KEY_ATTR_UDP', 'udp', OVS_KEY_TP),
  struct(OVS_KEY_ATTR_SCTP, 'OVS_KEY_ATTR_SCTP', 'sctp', OVS_KEY_TP),
  struct(OVS_KEY_ATTR_ICMP, 'OVS_KEY_ATTR_ICMP', 'icmp', OVS_KEY_ICMP),
  struct(OVS_KEY_ATTR_ICMPV6, 'OVS_KEY_ATTR_ICMPV6', 'icmpv6', OVS_KEY_ICMP),
  struct(OVS_KEY_ATTR_ND, 'OVS_KEY_ATTR_ND', 'nd', OVS_KEY_ND),
];

const SPEC_BY_TYPE = new Map<number, AnySpec>(KEY_ATTRS.map((s) => [s.type, s]));

/** Position of every known type in the canonical order; unmodelled attributes slot in by it. */
const CANONICAL_ORDER = [
  OVS_KEY_ATTR_RECIRC_ID, OVS_KEY_ATTR_DP_HASH, OVS_KEY_ATTR_PRIORITY, OVS_KEY_ATTR_TUNNEL,
  OVS_KEY_ATTR_IN_PORT, OVS_KEY_ATTR_SKB_MARK, OVS_KEY_ATTR_CT_STATE, OVS_KEY_ATTR_CT_ZONE,
  OVS_KEY_ATTR_CT_MARK, OVS_KEY_ATTR_CT_LABELS, OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4,
  OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, OVS_KEY_ATTR_PACKET_TYPE, OVS_KEY_ATTR_ETHERNET,
  OVS_KEY_ATTR_ETHERTYPE, OVS_KEY_ATTR_VLAN, OVS_KEY_ATTR_ENCAP, OVS_KEY_ATTR_IPV4,
  OVS_KEY_ATTR_IPV6, OVS_KEY_ATTR_IPV6_EXTHDRS, OVS_KEY_ATTR_NSH, OVS_KEY_ATTR_ARP,
  OVS_KEY_ATTR_MPLS, OVS_KEY_ATTR_TCP, OVS_KEY_ATTR_TCP_FLAGS, OVS_KEY_ATTR_UDP,
  OVS_KEY_ATTR_SCTP, OVS_KEY_ATTR_ICMP, OVS_KEY_ATTR_ICMPV6, OVS_KEY_ATTR_ND,
  OVS_KEY_ATTR_ND_EXTENSIONS,
];
const RANK = new Map<number, number>(CANONICAL_ORDER.map((t, i) => [t, i]));

function rankOf(type: number): number {
  return RANK.get(type) ?? CANONICAL_ORDER.length + type;
}

/**
 * Payload size of a modelled fixed-size key attribute type, or undefined for ENCAP and for types
 * this codec keeps verbatim.
 */
export function flowKeyAttrSize(type: number): number | undefined {
  return SPEC_BY_TYPE.get(type)?.size;
}

/**
 * Encodes a key (or mask) as a sequence of netlink attributes in canonical order (see the
 * module comment); `other` attributes are placed by their type's position in that order, unknown
 * types last. Absent properties produce no attribute.
 * @throws RangeError on malformed addresses, out-of-range numbers, or ctLabels not 16 bytes
 */
export function encodeFlowKey(key: OdpFlowKey): Buffer {
  const parts: { rank: number; buf: Buffer }[] = [];
  for (const spec of KEY_ATTRS) {
    const v = key[spec.prop];
    if (v === undefined) continue;
    let payload: Buffer;
    try {
      payload = spec.encode(v);
    } catch (e) {
      throw new RangeError(`${spec.uapi}: ${(e as Error).message}`);
    }
    parts.push({ rank: rankOf(spec.type), buf: attr(spec.type, payload) });
  }
  if (key.encap !== undefined) {
    parts.push({ rank: rankOf(OVS_KEY_ATTR_ENCAP), buf: attr(OVS_KEY_ATTR_ENCAP, encodeFlowKey(key.encap)) });
  }
  for (const o of key.other ?? []) parts.push({ rank: rankOf(o.type), buf: attr(o.type, o.data) });
  // Array.prototype.sort is stable, so modelled attributes keep table order among equal ranks.
  parts.sort((a, b) => a.rank - b.rank);
  return Buffer.concat(parts.map((p) => p.buf));
}

/**
 * Decodes a sequence of `OVS_KEY_ATTR_*` attributes (the payload of a KEY or MASK attribute).
 * Attributes it does not model go to `other`, in wire order.
 * @throws RangeError when a modelled attribute has the wrong payload size, appears twice, or an
 *   attribute header is malformed
 */
export function decodeFlowKey(attrs: Buffer): OdpFlowKey {
  const key: OdpFlowKey = {};
  const out = key as Record<string, unknown>;
  for (const a of parseAttrs(attrs)) {
    if (a.type === OVS_KEY_ATTR_ENCAP) {
      if (key.encap !== undefined) throw new RangeError('duplicate OVS_KEY_ATTR_ENCAP');
      key.encap = decodeFlowKey(a.data);
      continue;
    }
    const spec = SPEC_BY_TYPE.get(a.type);
    if (!spec) {
      (key.other ??= []).push({ type: a.type, data: a.data });
      continue;
    }
    if (a.data.length !== spec.size) {
      throw new RangeError(`${spec.uapi}: payload is ${a.data.length} bytes, expected ${spec.size}`);
    }
    if (out[spec.prop] !== undefined) throw new RangeError(`duplicate ${spec.uapi}`);
    out[spec.prop] = spec.decode(a.data);
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// Text format

/** How one attribute type prints (OVS's format_odp_key_attr__ cases). */
interface AttrText {
  /** ODP name, as ovs_key_attr_to_string(). */
  name: string;
  /** Body between the parentheses. `m` is the mask payload, undefined when printing without a mask. */
  body(v: Buffer, m: Buffer | undefined, verbose: boolean): string;
  /** odp_mask_is_constant__(…, -1): the mask matches exactly. */
  isExact(m: Buffer): boolean;
  /** odp_mask_is_constant__(…, 0): the mask wildcards everything. */
  isWildcard(m: Buffer): boolean;
}

const exactBytes = (m: Buffer) => allBytes(m, 0xff);
const zeroBytes = (m: Buffer) => allBytes(m, 0);

function hexScalar(read: (b: Buffer) => number, onlyIfMasked: boolean): AttrText['body'] {
  return (v, m, verbose) => {
    if (onlyIfMasked && !verbose && (m === undefined || zeroBytes(m))) return '';
    const exact = m === undefined || exactBytes(m);
    return hexAlt(read(v)) + (exact ? '' : `/${hexAlt(read(m))}`);
  };
}

function structText(name: string, l: StructLayout): AttrText {
  return {
    name,
    body: (v, m, verbose) => formatStruct(l, v, m, verbose),
    isExact: (m) => allBytes(m, 0xff, l.used),
    isWildcard: zeroBytes,
  };
}

function simpleText(name: string, body: AttrText['body']): AttrText {
  return { name, body, isExact: exactBytes, isWildcard: zeroBytes };
}

const u32le = (b: Buffer) => b.readUInt32LE(0);
const u16le = (b: Buffer) => b.readUInt16LE(0);
const u16be = (b: Buffer) => b.readUInt16BE(0);
const ctStateName = (bit: number) => CT_STATE_NAMES[bit];
const tcpFlagName = (bit: number) => TCP_FLAG_NAMES[bit];

function genericHex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

const ATTR_TEXT = new Map<number, AttrText>([
  [OVS_KEY_ATTR_PRIORITY, simpleText('skb_priority', hexScalar(u32le, false))],
  [OVS_KEY_ATTR_SKB_MARK, simpleText('skb_mark', hexScalar(u32le, false))],
  [OVS_KEY_ATTR_DP_HASH, simpleText('dp_hash', hexScalar(u32le, false))],
  [OVS_KEY_ATTR_RECIRC_ID, simpleText('recirc_id', hexScalar(u32le, false))],
  [OVS_KEY_ATTR_CT_MARK, simpleText('ct_mark', hexScalar(u32le, true))],
  [OVS_KEY_ATTR_CT_ZONE, simpleText('ct_zone', hexScalar(u16le, true))],
  [OVS_KEY_ATTR_CT_STATE, simpleText('ct_state', (v, m, verbose) => {
    const exact = m === undefined || exactBytes(m);
    if (verbose) return hexAlt(u32le(v)) + (exact ? '' : `/${hexAlt(u32le(m))}`);
    if (!exact) return formatFlagsMasked(u32le(v), u32le(m), 0xffffffff, ctStateName);
    return formatFlags(u32le(v), ctStateName, '|');
  })],
  [OVS_KEY_ATTR_CT_LABELS, simpleText('ct_label', (v, m, verbose) => {
    if (!verbose && (m === undefined || zeroBytes(m))) return '';
    return hexU128(v) + (m !== undefined && !exactBytes(m) ? `/${hexU128(m)}` : '');
  })],
  [OVS_KEY_ATTR_IN_PORT, simpleText('in_port', (v, m) => {
    if (m === undefined || exactBytes(m)) return String(u32le(v));
    return `${u32le(v)}/${hexAlt(u32le(m))}`;
  })],
  [OVS_KEY_ATTR_ETHERNET, structText('eth', OVS_KEY_ETHERNET)],
  [OVS_KEY_ATTR_VLAN, simpleText('vlan', (v, m, verbose) => formatVlanTci(u16be(v), m ? u16be(m) : 0xffff, verbose))],
  [OVS_KEY_ATTR_ETHERTYPE, simpleText('eth_type', (v, m) => {
    const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
    return hex4(u16be(v)) + (m === undefined || exactBytes(m) ? '' : `/${hex4(u16be(m))}`);
  })],
  [OVS_KEY_ATTR_IPV4, structText('ipv4', OVS_KEY_IPV4)],
  [OVS_KEY_ATTR_IPV6, {
    ...structText('ipv6', OVS_KEY_IPV6),
    isExact: (m) => (m.readUInt32BE(32) & 0xfffff) === 0xfffff && allBytes(m.subarray(36), 0xff) && allBytes(m, 0xff, 32),
    isWildcard: (m) => (m.readUInt32BE(32) & 0xfffff) === 0 && allBytes(m.subarray(36), 0) && allBytes(m, 0, 32),
  }],
  [OVS_KEY_ATTR_TCP, structText('tcp', OVS_KEY_TP)],
  [OVS_KEY_ATTR_UDP, structText('udp', OVS_KEY_TP)],
  [OVS_KEY_ATTR_SCTP, structText('sctp', OVS_KEY_TP)],
  [OVS_KEY_ATTR_TCP_FLAGS, {
    name: 'tcp_flags',
    body: (v, m) => (m !== undefined && (u16be(m) & 0x0fff) !== 0x0fff
      ? formatFlagsMasked(u16be(v), u16be(m) & 0x0fff, 0x0fff, tcpFlagName)
      : formatFlags(u16be(v), tcpFlagName, '|')),
    isExact: (m) => (u16be(m) & 0x0fff) === 0x0fff,
    isWildcard: (m) => (u16be(m) & 0x0fff) === 0,
  }],
  [OVS_KEY_ATTR_ICMP, structText('icmp', OVS_KEY_ICMP)],
  [OVS_KEY_ATTR_ICMPV6, structText('icmpv6', OVS_KEY_ICMP)],
  [OVS_KEY_ATTR_ARP, structText('arp', OVS_KEY_ARP)],
  [OVS_KEY_ATTR_ND, structText('nd', OVS_KEY_ND)],
  [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, structText('ct_tuple4', OVS_KEY_CT_TUPLE_IPV4)],
  [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, structText('ct_tuple6', OVS_KEY_CT_TUPLE_IPV6)],
]);

/** Names OVS prints for attribute types printed as raw hex here. */
const GENERIC_NAMES = new Map<number, string>([
  [OVS_KEY_ATTR_UNSPEC, 'unspec'],
  [OVS_KEY_ATTR_TUNNEL, 'tunnel'],
  [OVS_KEY_ATTR_MPLS, 'mpls'],
  [OVS_KEY_ATTR_NSH, 'nsh'],
  [OVS_KEY_ATTR_PACKET_TYPE, 'packet_type'],
  [OVS_KEY_ATTR_ND_EXTENSIONS, 'nd_ext'],
  [OVS_KEY_ATTR_TUNNEL_INFO, '<error: kernel-only tunnel_info>'],
]);

/** Nested types: printed even when wildcarded (odp_key_attr_len() == ATTR_LEN_NESTED). */
const NESTED_TYPES = new Set([OVS_KEY_ATTR_ENCAP, OVS_KEY_ATTR_TUNNEL, OVS_KEY_ATTR_NSH]);

function textFor(type: number): AttrText {
  const t = ATTR_TEXT.get(type);
  if (t) return t;
  const known = type <= OVS_KEY_ATTR_MAX && type !== OVS_KEY_ATTR_UNSPEC && type !== OVS_KEY_ATTR_TUNNEL_INFO;
  return {
    name: GENERIC_NAMES.get(type) ?? `key${type}`,
    body: (v, m) => genericHex(v) + (m !== undefined && !(known && exactBytes(m)) ? `/${genericHex(m)}` : ''),
    isExact: (m) => known && exactBytes(m),
    isWildcard: (m) => known && zeroBytes(m),
  };
}

/**
 * Formats one key attribute unconditionally, as OVS's format_odp_key_attr(): `name(body)`.
 * Used for set actions.
 * @param type OVS_KEY_ATTR_* type
 * @param value attribute payload
 * @param mask mask payload (same size), or undefined for an exact attribute
 * @param verbose print fields even when their mask is zero
 * @throws RangeError when a modelled attribute's payload or mask has the wrong size
 */
export function formatKeyAttr(type: number, value: Buffer, mask: Buffer | undefined, verbose: boolean): string {
  if (type === OVS_KEY_ATTR_ENCAP) {
    const inner = mask && mask.length && value.length ? formatFlowKeyBytes(value, mask, verbose)
      : value.length ? formatFlowKeyBytes(value, undefined, verbose) : '';
    return `encap(${inner})`;
  }
  const spec = SPEC_BY_TYPE.get(type);
  if (spec) {
    for (const b of mask ? [value, mask] : [value]) {
      if (b.length !== spec.size) throw new RangeError(`${spec.uapi}: payload is ${b.length} bytes, expected ${spec.size}`);
    }
  }
  const t = textFor(type);
  return `${t.name}(${t.body(value, mask, verbose)})`;
}

function findAttr(attrs: NlAttr[], type: number): NlAttr | undefined {
  return attrs.find((a) => a.type === type);
}

/** OVS's generate_all_wildcard_mask(): zeroes of the same shape, recursing into ENCAP. */
function wildcardMask(a: NlAttr): Buffer {
  if (a.type !== OVS_KEY_ATTR_ENCAP) return Buffer.alloc(a.data.length);
  return Buffer.concat(parseAttrs(a.data).map((c) => attr(c.type, wildcardMask(c))));
}

/**
 * Formats encoded key (and mask) attributes as `odp_flow_format()` does. With a mask, attributes
 * whose mask is all zero are omitted (an all-wildcard Ethernet prints as "eth()"), and fields
 * print only when un-wildcarded, "/mask" when partially masked.
 * @param key OVS_KEY_ATTR_* attributes
 * @param mask OVS_KEY_ATTR_* mask attributes, or undefined
 * @param verbose print every field; defaults to true without a mask (odp_flow_key_format) and
 *   false with one (ovs-dpctl dump-flows)
 * @throws RangeError on malformed attributes
 */
export function formatFlowKeyBytes(key: Buffer, mask?: Buffer, verbose = mask === undefined): string {
  const maskAttrs = mask ? parseAttrs(mask) : undefined;
  const out: string[] = [];
  for (const a of parseAttrs(key)) {
    const found = maskAttrs && findAttr(maskAttrs, a.type)?.data;
    const nested = NESTED_TYPES.has(a.type);
    const wildcard = maskAttrs !== undefined && (!found || (!nested && textFor(a.type).isWildcard(found)));
    if (verbose || !wildcard || nested) {
      const ma = wildcard && !found ? wildcardMask(a) : found;
      out.push(formatKeyAttr(a.type, a.data, ma, verbose));
    } else if (a.type === OVS_KEY_ATTR_ETHERNET) {
      out.push('eth()');
    }
  }
  return out.join(',');
}

/**
 * ODP text of a key, as ovs-dpctl prints it: without a mask like `odp_flow_key_format()`
 * (every field), with a mask like `dump-flows` (only un-wildcarded fields), e.g.
 * `recirc_id(0),in_port(2),eth(src=…,dst=…),eth_type(0x0800),ipv4(frag=no)`.
 * @param options.verbose override the default described in {@link formatFlowKeyBytes}
 * @throws RangeError as {@link encodeFlowKey}
 */
export function formatFlowKey(key: OdpFlowKey, mask?: OdpFlowKey, options: { verbose?: boolean } = {}): string {
  return formatFlowKeyBytes(encodeFlowKey(key), mask && encodeFlowKey(mask), options.verbose ?? mask === undefined);
}
