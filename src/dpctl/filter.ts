/**
 * `dump-flows filter=…`: an OpenFlow-style exact match (OVS 3.1 `parse_ofp_exact_flow()`,
 * lib/ofp-flow.c, over the field table of lib/meta-flow.c) and the test `dpctl_dump_flows()`
 * applies to each datapath flow: for every field the filter names, the flow's key and the
 * filter's value must agree on the bits the flow's mask matches. A field the flow wildcards
 * therefore never excludes it (`filter='tcp,tp_src=100'` matches `tcp(src=80/0xff00)`).
 *
 * Supported: the protocol keywords (`ip`, `ipv6`, `icmp`, `icmp6`, `tcp`, `tcp6`, `udp`,
 * `udp6`, `sctp`, `sctp6`, `arp`, `rarp`, `mpls`, `mplsm`) and the fields a kernel flow key
 * carries: in_port, eth_src/dl_src, eth_dst/dl_dst, eth_type/dl_type, vlan_tci, dl_vlan,
 * vlan_vid, dl_vlan_pcp/vlan_pcp, ip_src/nw_src, ip_dst/nw_dst, ipv6_src, ipv6_dst,
 * ipv6_label, ip_proto/nw_proto, nw_tos, ip_dscp, nw_ecn/ip_ecn, nw_ttl, tcp_src/tp_src,
 * tcp_dst/tp_dst, udp_src, udp_dst, sctp_src, sctp_dst, icmp_type, icmp_code, icmpv6_type,
 * icmpv6_code, arp_op, arp_spa, arp_tpa, arp_sha, arp_tha, recirc_id, dp_hash, skb_priority,
 * pkt_mark, ct_zone, ct_mark. Other OpenFlow fields are refused as unknown.
 */
import { isIPv4, isIPv6 } from 'net';
import type { OdpFlowKey } from '../genl/flow-key';
import type { FlowMessage } from '../genl/messages';
import type { DpifPort } from './dpif-handle';

/** One field value as an unsigned integer (addresses included: MACs 48 bits, IPv6 128 bits). */
type Getter = (k: OdpFlowKey) => bigint | undefined;

type Prereq = 'none' | 'ip' | 'ipv4' | 'ipv6' | 'arp' | 'tcp' | 'udp' | 'sctp' | 'icmpv4' | 'icmpv6' | 'vlan';

interface FieldSpec {
  names: string[];
  /** Canonical name (OVS's `mf->name`), used in messages. */
  name: string;
  bytes: number;
  kind: 'int' | 'mac' | 'ipv4' | 'ipv6' | 'port';
  prereq: Prereq;
  /** Value bits compared (e.g. 0xfff for dl_vlan). */
  width?: bigint;
  get: Getter;
  /** Turns the parsed value into the flow representation (dl_vlan adds the CFI bit, ip_dscp shifts). */
  toFlow?: (v: bigint) => bigint;
}

function macBig(s: string | undefined): bigint | undefined {
  return s === undefined ? undefined : BigInt(`0x${s.replace(/:/g, '')}`);
}

function ipv4Big(s: string | undefined): bigint | undefined {
  if (s === undefined) return undefined;
  return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function ipv6Big(s: string | undefined): bigint | undefined {
  if (s === undefined) return undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) > lastColon) {
    const v4 = ipv4Big(text.slice(lastColon + 1)) as bigint;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (p: string | undefined) => (p ? p.split(':').map((g) => BigInt(parseInt(g, 16))) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<bigint>(8 - h.length - t.length).fill(0n), ...t];
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

const big = (n: number | undefined): bigint | undefined => (n === undefined ? undefined : BigInt(n));

/** The attributes of the innermost L2.5/L3 level (inside a VLAN tag's encap when there is one). */
function inner(k: OdpFlowKey): OdpFlowKey {
  return k.encap ?? k;
}

/** dl_type of the flow: the inner Ethertype behind a VLAN tag. */
function dlType(k: OdpFlowKey): number | undefined {
  return k.encap ? k.encap.ethertype : k.ethertype;
}

function tp(k: OdpFlowKey, which: 'src' | 'dst'): bigint | undefined {
  const i = inner(k);
  return big((i.tcp ?? i.udp ?? i.sctp)?.[which]);
}

const FIELDS: FieldSpec[] = [
  { names: ['in_port'], name: 'in_port', bytes: 2, kind: 'port', prereq: 'none', width: 0xffffn, get: (k) => big(k.inPort) },
  { names: ['eth_src', 'dl_src'], name: 'eth_src', bytes: 6, kind: 'mac', prereq: 'none', get: (k) => macBig(k.ethernet?.src) },
  { names: ['eth_dst', 'dl_dst'], name: 'eth_dst', bytes: 6, kind: 'mac', prereq: 'none', get: (k) => macBig(k.ethernet?.dst) },
  { names: ['eth_type', 'dl_type'], name: 'eth_type', bytes: 2, kind: 'int', prereq: 'none', get: (k) => big(dlType(k)) },
  { names: ['vlan_tci'], name: 'vlan_tci', bytes: 2, kind: 'int', prereq: 'none', get: (k) => big(k.vlan) },
  { names: ['dl_vlan'], name: 'dl_vlan', bytes: 2, kind: 'int', prereq: 'none', width: 0x1fffn, get: (k) => big(k.vlan), toFlow: (v) => (v & 0xfffn) | 0x1000n },
  { names: ['vlan_vid'], name: 'vlan_vid', bytes: 2, kind: 'int', prereq: 'none', width: 0x1fffn, get: (k) => big(k.vlan) },
  { names: ['vlan_pcp', 'dl_vlan_pcp'], name: 'vlan_pcp', bytes: 1, kind: 'int', prereq: 'none', width: 0xf000n, get: (k) => big(k.vlan), toFlow: (v) => ((v & 7n) << 13n) | 0x1000n },
  { names: ['ip_src', 'nw_src'], name: 'ip_src', bytes: 4, kind: 'ipv4', prereq: 'ipv4', get: (k) => ipv4Big(inner(k).ipv4?.src) },
  { names: ['ip_dst', 'nw_dst'], name: 'ip_dst', bytes: 4, kind: 'ipv4', prereq: 'ipv4', get: (k) => ipv4Big(inner(k).ipv4?.dst) },
  { names: ['ipv6_src'], name: 'ipv6_src', bytes: 16, kind: 'ipv6', prereq: 'ipv6', get: (k) => ipv6Big(inner(k).ipv6?.src) },
  { names: ['ipv6_dst'], name: 'ipv6_dst', bytes: 16, kind: 'ipv6', prereq: 'ipv6', get: (k) => ipv6Big(inner(k).ipv6?.dst) },
  { names: ['ipv6_label'], name: 'ipv6_label', bytes: 4, kind: 'int', prereq: 'ipv6', width: 0xfffffn, get: (k) => big(inner(k).ipv6?.label) },
  { names: ['ip_proto', 'nw_proto'], name: 'nw_proto', bytes: 1, kind: 'int', prereq: 'ip', get: (k) => big(inner(k).ipv4?.proto ?? inner(k).ipv6?.proto) },
  { names: ['nw_tos'], name: 'nw_tos', bytes: 1, kind: 'int', prereq: 'ip', width: 0xfcn, get: (k) => big(inner(k).ipv4?.tos ?? inner(k).ipv6?.tclass) },
  { names: ['ip_dscp'], name: 'ip_dscp', bytes: 1, kind: 'int', prereq: 'ip', width: 0xfcn, get: (k) => big(inner(k).ipv4?.tos ?? inner(k).ipv6?.tclass), toFlow: (v) => (v & 0x3fn) << 2n },
  { names: ['nw_ecn', 'ip_ecn'], name: 'nw_ecn', bytes: 1, kind: 'int', prereq: 'ip', width: 3n, get: (k) => big(inner(k).ipv4?.tos ?? inner(k).ipv6?.tclass) },
  { names: ['nw_ttl'], name: 'nw_ttl', bytes: 1, kind: 'int', prereq: 'ip', get: (k) => big(inner(k).ipv4?.ttl ?? inner(k).ipv6?.hlimit) },
  { names: ['tcp_src', 'tp_src'], name: 'tcp_src', bytes: 2, kind: 'int', prereq: 'tcp', get: (k) => tp(k, 'src') },
  { names: ['tcp_dst', 'tp_dst'], name: 'tcp_dst', bytes: 2, kind: 'int', prereq: 'tcp', get: (k) => tp(k, 'dst') },
  { names: ['udp_src'], name: 'udp_src', bytes: 2, kind: 'int', prereq: 'udp', get: (k) => tp(k, 'src') },
  { names: ['udp_dst'], name: 'udp_dst', bytes: 2, kind: 'int', prereq: 'udp', get: (k) => tp(k, 'dst') },
  { names: ['sctp_src'], name: 'sctp_src', bytes: 2, kind: 'int', prereq: 'sctp', get: (k) => tp(k, 'src') },
  { names: ['sctp_dst'], name: 'sctp_dst', bytes: 2, kind: 'int', prereq: 'sctp', get: (k) => tp(k, 'dst') },
  { names: ['icmp_type'], name: 'icmp_type', bytes: 1, kind: 'int', prereq: 'icmpv4', get: (k) => big(inner(k).icmp?.type) },
  { names: ['icmp_code'], name: 'icmp_code', bytes: 1, kind: 'int', prereq: 'icmpv4', get: (k) => big(inner(k).icmp?.code) },
  { names: ['icmpv6_type'], name: 'icmpv6_type', bytes: 1, kind: 'int', prereq: 'icmpv6', get: (k) => big(inner(k).icmpv6?.type) },
  { names: ['icmpv6_code'], name: 'icmpv6_code', bytes: 1, kind: 'int', prereq: 'icmpv6', get: (k) => big(inner(k).icmpv6?.code) },
  { names: ['arp_op'], name: 'arp_op', bytes: 2, kind: 'int', prereq: 'arp', get: (k) => big(inner(k).arp?.op) },
  { names: ['arp_spa'], name: 'arp_spa', bytes: 4, kind: 'ipv4', prereq: 'arp', get: (k) => ipv4Big(inner(k).arp?.sip) },
  { names: ['arp_tpa'], name: 'arp_tpa', bytes: 4, kind: 'ipv4', prereq: 'arp', get: (k) => ipv4Big(inner(k).arp?.tip) },
  { names: ['arp_sha'], name: 'arp_sha', bytes: 6, kind: 'mac', prereq: 'arp', get: (k) => macBig(inner(k).arp?.sha) },
  { names: ['arp_tha'], name: 'arp_tha', bytes: 6, kind: 'mac', prereq: 'arp', get: (k) => macBig(inner(k).arp?.tha) },
  { names: ['recirc_id'], name: 'recirc_id', bytes: 4, kind: 'int', prereq: 'none', get: (k) => big(k.recircId) },
  { names: ['dp_hash'], name: 'dp_hash', bytes: 4, kind: 'int', prereq: 'none', get: (k) => big(k.dpHash) },
  { names: ['skb_priority'], name: 'skb_priority', bytes: 4, kind: 'int', prereq: 'none', get: (k) => big(k.priority) },
  { names: ['pkt_mark'], name: 'pkt_mark', bytes: 4, kind: 'int', prereq: 'none', get: (k) => big(k.skbMark) },
  { names: ['ct_zone'], name: 'ct_zone', bytes: 2, kind: 'int', prereq: 'none', get: (k) => big(k.ctZone) },
  { names: ['ct_mark'], name: 'ct_mark', bytes: 4, kind: 'int', prereq: 'none', get: (k) => big(k.ctMark) },
];

const ETH_TYPE = FIELDS.find((f) => f.name === 'eth_type') as FieldSpec;
const NW_PROTO = FIELDS.find((f) => f.name === 'nw_proto') as FieldSpec;

/** `ofp_parse_protocol()` keywords: Ethertype and IP protocol. */
const PROTOCOLS: Record<string, { dlType: number; nwProto?: number }> = {
  ip: { dlType: 0x0800 }, ipv6: { dlType: 0x86dd }, icmp: { dlType: 0x0800, nwProto: 1 }, icmp6: { dlType: 0x86dd, nwProto: 58 },
  tcp: { dlType: 0x0800, nwProto: 6 }, tcp6: { dlType: 0x86dd, nwProto: 6 }, udp: { dlType: 0x0800, nwProto: 17 },
  udp6: { dlType: 0x86dd, nwProto: 17 }, sctp: { dlType: 0x0800, nwProto: 132 }, sctp6: { dlType: 0x86dd, nwProto: 132 },
  arp: { dlType: 0x0806 }, rarp: { dlType: 0x8035 }, mpls: { dlType: 0x8847 }, mplsm: { dlType: 0x8848 },
};

/** A parsed filter: (field, flow-representation value, compared bits). */
export interface FlowFilter {
  terms: { field: FieldSpec; value: bigint; mask: bigint }[];
}

function prereqOk(p: Prereq, dl: number, proto: number): boolean {
  const ip = dl === 0x0800 || dl === 0x86dd;
  switch (p) {
    case 'none': case 'vlan': return true;
    case 'ip': return ip;
    case 'ipv4': return dl === 0x0800;
    case 'ipv6': return dl === 0x86dd;
    case 'arp': return dl === 0x0806 || dl === 0x8035;
    case 'tcp': return ip && proto === 6;
    case 'udp': return ip && proto === 17;
    case 'sctp': return ip && proto === 132;
    case 'icmpv4': return dl === 0x0800 && proto === 1;
    case 'icmpv6': return dl === 0x86dd && proto === 58;
  }
}

/** `parse_int_string()` into `bytes` bytes: decimal or 0x hex. */
function parseIntValue(s: string, bytes: number): bigint | 'syntax' | 'range' {
  if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(s)) return 'syntax';
  const v = BigInt(s);
  return v >= 1n << BigInt(bytes * 8) ? 'range' : v;
}

/**
 * Parses a `filter=` value against the datapath's ports (names usable for in_port).
 * @returns the filter, or OVS's error text (`<filter>: unknown field <key>`, …)
 */
export function parseFlowFilter(s: string, ports: readonly DpifPort[]): FlowFilter | string {
  const terms: FlowFilter['terms'] = [];
  let dl = 0;
  let proto = 0;
  const seen = new Set<string>();
  let pos = 0;
  while (pos < s.length) {
    while (pos < s.length && ', \t\r\n'.includes(s[pos])) pos++;
    if (pos >= s.length) break;
    let keyEnd = pos;
    while (keyEnd < s.length && !':=(, \t\r\n'.includes(s[keyEnd])) keyEnd++;
    const key = s.slice(pos, keyEnd);
    const delim = s[keyEnd];
    pos = keyEnd + (delim !== undefined ? 1 : 0);
    let value = '';
    if (delim === ':' || delim === '=' || delim === '(') {
      const stops = delim === '(' ? ')' : ', \t\r\n';
      let end = pos;
      while (end < s.length && !stops.includes(s[end])) end++;
      value = s.slice(pos, end);
      pos = end + (end < s.length ? 1 : 0);
    }
    const p = PROTOCOLS[key];
    if (p) {
      if (dl) return `${s}: Ethernet type set multiple times`;
      dl = p.dlType;
      terms.push({ field: ETH_TYPE, value: BigInt(p.dlType), mask: 0xffffn });
      if (p.nwProto) {
        if (proto) return `${s}: network protocol set multiple times`;
        proto = p.nwProto;
        terms.push({ field: NW_PROTO, value: BigInt(p.nwProto), mask: 0xffn });
      }
      continue;
    }
    const f = FIELDS.find((x) => x.names.includes(key));
    if (!f) return `${s}: unknown field ${key}`;
    if (!prereqOk(f.prereq, dl, proto)) return `${s}: prerequisites not met for setting ${key}`;
    if (seen.has(f.name)) return `${s}: field ${key} set multiple times`;
    let v: bigint;
    if (f.kind === 'port') {
      const named = ports.find((x) => x.name === value);
      const n = named ? BigInt(named.portNo) : parseIntValue(value, 2);
      if (typeof n !== 'bigint') return `${s}: bad value for ${key} (${value}: invalid or unknown port for ${f.name})`;
      v = n;
    } else if (f.kind === 'mac') {
      if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(value)) return `${s}: bad value for ${key} (${value}: invalid Ethernet address)`;
      v = value.split(':').reduce((acc, o) => (acc << 8n) | BigInt(parseInt(o, 16)), 0n);
    } else if (f.kind === 'ipv4') {
      if (!isIPv4(value)) return `${s}: bad value for ${key} (${value}: invalid IP address)`;
      v = ipv4Big(value) as bigint;
    } else if (f.kind === 'ipv6') {
      if (!isIPv6(value)) return `${s}: bad value for ${key} (${value}: invalid IPv6 address)`;
      v = ipv6Big(value) as bigint;
    } else {
      const n = parseIntValue(value, f.bytes);
      if (n === 'syntax') return `${s}: bad value for ${key} (${value}: bad syntax for ${f.name} value)`;
      if (n === 'range') return `${s}: bad value for ${key} (${value}: value too large for ${f.bytes}-byte field ${f.name})`;
      v = n;
    }
    seen.add(f.name);
    if (f === ETH_TYPE) dl = Number(v);
    if (f === NW_PROTO) proto = Number(v);
    const flowValue = f.toFlow ? f.toFlow(v) : v;
    terms.push({ field: f, value: flowValue, mask: f.width ?? (1n << BigInt(f.bytes * 8)) - 1n });
  }
  return { terms };
}

/**
 * Whether datapath flow `f` passes the filter: for each term, the flow's key and the filter's
 * value agree on the bits both the term and the flow's mask cover.
 */
export function flowMatchesFilter(f: FlowMessage, filter: FlowFilter): boolean {
  const key = f.key ?? {};
  const mask = f.mask ?? {};
  for (const t of filter.terms) {
    const m = t.field.get(mask) ?? 0n;
    const k = t.field.get(key) ?? 0n;
    if (((k & m) ^ (t.value & m)) & t.mask) return false;
  }
  return true;
}
