/**
 * The text form of matches and field values, as `ovs-ofctl` prints and parses them:
 *  - {@link formatMatch}: OVS `match_format` (lib/match.c), e.g.
 *    "priority=10,tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80", with the protocol shorthands
 *    (ip, tcp, udp6, arp, mpls, …), CIDR prefixes and value/mask pairs;
 *  - {@link parseMatch}: the match part of `parse_ofp_str` (lib/ofp-flow.c): key=value pairs,
 *    the shorthands, "eth", "priority=";
 *  - {@link mfFormatValue}/{@link mfParseValue}: one field's value, as OVS `mf_format`/`mf_parse`
 *    (what set_field and load print and parse).
 * Port names are the reserved ones (LOCAL, CONTROLLER, …); no port-name map.
 */
import { formatIpv6, parseIpv6 } from '../genl/addr';
import { RESERVED_PORT_NAMES, ofp10PortToOfp11, ofp11PortToOfp10 } from './common';
import {
  CS_ESTABLISHED, CS_INVALID, CS_NEW, CS_RELATED, CS_REPLY_DIR, CS_SRC_NAT, CS_DST_NAT,
  CS_TRACKED, ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_NSH, ETH_TYPE_RARP, FLOW_NW_FRAG_ANY, FLOW_NW_FRAG_LATER, FLOW_NW_FRAG_MASK,
  IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, Match,
} from './match';
import {
  FLOW_LAYOUT, MfField, OFPHTN_ETHERTYPE, PT_ETH, VLAN_CFI, VLAN_PCP_MASK, VLAN_VID_MASK,
  mfFieldByName, readSlot, writeSlot,
} from './meta-flow';

/** `OFP_DEFAULT_PRIORITY`: the priority formatMatch leaves out. */
export const OFP_DEFAULT_PRIORITY = 0x8000;

const S = FLOW_LAYOUT;
const get = (buf: Buffer, name: string): number => readSlot(buf, S[name]);
const slotBytes = (buf: Buffer, name: string): Buffer => buf.subarray(S[name].offset, S[name].offset + S[name].len);
const isZero = (b: Buffer): boolean => b.every((x) => x === 0);
const isOnes = (b: Buffer): boolean => b.every((x) => x === 0xff);

/** C's `%#x`: "0" for zero, else "0x…". */
function hexAlt(v: number | bigint): string {
  return v === 0 || v === 0n ? '0' : `0x${v.toString(16)}`;
}

/** OVS `ds_put_hex`: big-endian bytes as one hex number without leading zeros. */
function putHex(b: Buffer): string {
  const hex = b.toString('hex').replace(/^0+/, '');
  return hex ? `0x${hex}` : '0';
}

/** Flag names by bit (lib/packets.c, lib/flow.c). */
const TCP_FLAG_NAMES: Record<number, string> = {
  0x001: 'fin', 0x002: 'syn', 0x004: 'rst', 0x008: 'psh', 0x010: 'ack', 0x020: 'urg',
  0x040: 'ece', 0x080: 'cwr', 0x100: 'ns', 0x200: '[200]', 0x400: '[400]', 0x800: '[800]',
};
const CT_STATE_NAMES: Record<number, string> = {
  [CS_NEW]: 'new', [CS_ESTABLISHED]: 'est', [CS_RELATED]: 'rel', [CS_REPLY_DIR]: 'rpl',
  [CS_INVALID]: 'inv', [CS_TRACKED]: 'trk', [CS_SRC_NAT]: 'snat', [CS_DST_NAT]: 'dnat',
};
/** FLOW_TNL_F_*: only `oam` is matchable, the others are printed when present. */
const TUN_FLAG_NAMES: Record<number, string> = { 0x1: 'oam', 0x2: 'df', 0x4: 'csum', 0x8: 'key' };

/** OVS `format_flags`: "a|b", unknown bits as one hex number, "0" when none. */
function formatFlags(names: Record<number, string>, flags: number): string {
  if (!flags) return '0';
  const parts: string[] = [];
  let bad = 0;
  for (let bit = 1; flags; bit <<= 1) {
    if (!(flags & bit)) continue;
    if (names[bit]) parts.push(names[bit]);
    else bad |= bit;
    flags &= ~bit;
  }
  if (bad) parts.push(`0x${bad.toString(16)}`);
  return parts.join('|');
}

/** OVS `format_flags(ct_state_to_string, state, '|')`: e.g. `est|trk`, `0` for none. */
export function formatCtState(state: number): string {
  return formatFlags(CT_STATE_NAMES, state);
}

/**
 * OVS `parse_ct_state()` then `validate_ct_state()` (lib/flow.c), as `ofproto/trace --ct-next`
 * takes it: flag names (`trk`, `new`, `est`, `rel`, `rpl`, `inv`, `snat`, `dnat`) separated by
 * commas or spaces.
 * @returns the ct_state bits
 * @throws Error with OVS's message: `X: unknown connection tracking state flag`, or
 *   `S: invalid connection state: …` (one line per broken constraint of ovs-fields(7))
 */
export function parseCtState(text: string): number {
  let state = 0;
  for (const name of text.split(/[, ]+/).filter((x) => x)) {
    const bit = Number(Object.keys(CT_STATE_NAMES).find((b) => CT_STATE_NAMES[Number(b)] === name) ?? 0);
    if (!bit) throw new Error(`${name}: unknown connection tracking state flag`);
    state |= bit;
  }
  const shown = formatFlags(CT_STATE_NAMES, state);
  let err = '';
  if (state && !(state & CS_TRACKED)) err += `${shown}: invalid connection state: If "trk" is unset, no other flags are set\n`;
  if (state & CS_INVALID && state & ~(CS_TRACKED | CS_INVALID)) {
    err += `${shown}: invalid connection state: when "inv" is set, only "trk" may also be set\n`;
  }
  if (state & CS_NEW && state & CS_ESTABLISHED) err += `${shown}: invalid connection state: "new" and "est" are mutually exclusive\n`;
  if (state & CS_NEW && state & CS_REPLY_DIR) err += `${shown}: invalid connection state: "new" and "rpy" are mutually exclusive\n`;
  if (err) throw new Error(err);
  return state;
}

/** OVS `format_flags_masked`: all flags of `maxMask` as `format_flags`, else "+a-b", "0/0" for none. */
function formatFlagsMasked(names: Record<number, string>, flags: number, mask: number, maxMask: number): string {
  if (mask === maxMask) return formatFlags(names, flags);
  if (!mask) return '0/0';
  let out = '';
  for (let bit = 1; mask; bit <<= 1) {
    if (!(mask & bit)) continue;
    out += `${flags & bit ? '+' : '-'}${names[bit] ?? '[Unknown]'}`;
    mask &= ~bit;
  }
  return out;
}

function formatMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function formatIpv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
}

/** Number of leading 1-bits when `mask` (a big-endian byte string) is a CIDR prefix, else -1. */
function cidrBits(mask: Buffer): number {
  let n = 0;
  let i = 0;
  for (; i < mask.length && mask[i] === 0xff; i++) n += 8;
  if (i < mask.length) {
    const b = mask[i];
    const ones = [0x00, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe].indexOf(b);
    if (ones < 0) return -1;
    n += ones;
    if (mask.subarray(i + 1).some((x) => x !== 0)) return -1;
  }
  return n;
}

/** OVS `eth_format_masked`. */
function formatMacMasked(value: Buffer, mask?: Buffer): string {
  return formatMac(value) + (mask && !isOnes(mask) ? `/${formatMac(mask)}` : '');
}

/** OVS `ip_format_masked`: "/N" for a CIDR mask, else a dotted mask. */
function formatIpv4Masked(value: Buffer, mask?: Buffer): string {
  const text = formatIpv4(value.readUInt32BE(0));
  if (!mask || isOnes(mask)) return text;
  const n = cidrBits(mask);
  return `${text}/${n >= 0 ? n : formatIpv4(mask.readUInt32BE(0))}`;
}

/** OVS `ipv6_format_masked`. */
function formatIpv6Masked(value: Buffer, mask?: Buffer): string {
  const text = formatIpv6(value);
  if (!mask || isOnes(mask)) return text;
  const n = cidrBits(mask);
  return `${text}/${n >= 0 ? n : formatIpv6(mask)}`;
}

/** A 16-bit port as OVS `ofputil_format_port` prints it (reserved names, else decimal). */
export function formatOfpPort(port: number): string {
  return RESERVED_PORT_NAMES[port] ?? String(port);
}

/** OVS `put_u16_masked` (packet_type halves): '*' for wild, decimal ≤ 9, else hex. */
function putU16Masked(v: number, m: number): string {
  if (!m) return '*';
  return (v > 9 ? `0x${v.toString(16)}` : String(v)) + (m !== 0xffff ? `/0x${m.toString(16)}` : '');
}

/** OVS `format_packet_type_masked`. */
function formatPacketType(v: number, m: number): string {
  if (v === PT_ETH && m === 0xffffffff) return 'eth';
  return `packet_type=(${putU16Masked(v >>> 16, m >>> 16)},${putU16Masked(v & 0xffff, m & 0xffff)})`;
}

const FRAG_NAMES: ReadonlyArray<[string, number, number]> = [
  // [name, mask, value]
  ['no', FLOW_NW_FRAG_MASK, 0],
  ['first', FLOW_NW_FRAG_MASK, FLOW_NW_FRAG_ANY],
  ['later', FLOW_NW_FRAG_MASK, FLOW_NW_FRAG_MASK],
  ['no', FLOW_NW_FRAG_ANY, 0],
  ['yes', FLOW_NW_FRAG_ANY, FLOW_NW_FRAG_ANY],
  ['not_later', FLOW_NW_FRAG_LATER, 0],
  ['later', FLOW_NW_FRAG_LATER, FLOW_NW_FRAG_LATER],
];

/**
 * Formats one field value as OVS `mf_format`: "ANY" for an all-zero mask, the field's own
 * syntax (port names, addresses with CIDR masks, flag names), integers in decimal or hex with
 * a hex "/mask" when partial.
 * @param value, mask `f.nBytes` bytes each; no mask = exact
 */
export function mfFormatValue(f: MfField, value: Buffer, mask?: Buffer): string {
  if (mask && isZero(mask)) return 'ANY';
  const m = mask && !isOnes(mask) ? mask : undefined;
  switch (f.format) {
    case 'ofp11_port':
      if (!m) return formatOfpPort(ofp11PortToOfp10(value.readUInt32BE(0)) ?? 0);
      break;
    case 'ofp_port':
      if (!m) return formatOfpPort(value.readUInt16BE(0));
      break;
    case 'ct_state':
      return formatFlagsMasked(CT_STATE_NAMES, value.readUInt32BE(0), m ? m.readUInt32BE(0) : 0xffffffff, 0xffff);
    case 'ethernet': return formatMacMasked(value, m);
    case 'ipv4': return formatIpv4Masked(value, m);
    case 'ipv6': return formatIpv6Masked(value, m);
    case 'frag': {
      const fm = (m ? m[0] : 0xff) & FLOW_NW_FRAG_MASK;
      const e = FRAG_NAMES.find(([, hm, hv]) => hm === fm && hv === (value[0] & fm));
      return e ? e[0] : '<error>';
    }
    case 'tun_flags':
      return formatFlagsMasked(TUN_FLAG_NAMES, value.readUInt16BE(0), (m ? m.readUInt16BE(0) : 0xffff) & 1, 1);
    case 'tcp_flags':
      return formatFlagsMasked(TCP_FLAG_NAMES, value.readUInt16BE(0), (m ? m.readUInt16BE(0) : 0xffff) & 0xfff, 0xfff);
    case 'packet_type':
      return formatPacketType(value.readUInt32BE(0), m ? m.readUInt32BE(0) : 0xffffffff);
    default:
      break;
  }
  const text = f.format === 'decimal' ? BigInt(`0x${value.toString('hex')}`).toString() : putHex(value);
  return m ? `${text}/${putHex(m)}` : text;
}

/**
 * Formats a match as `ovs-ofctl` prints it in dump-flows and flow_mod output (OVS
 * `match_format`). `priority` is printed first unless absent or OFP_DEFAULT_PRIORITY.
 * A catch-all match prints as "" (callers print e.g. "priority=0" or nothing).
 */
export function formatMatch(m: Match, priority?: number): string {
  const { flow: f, wc } = m;
  const out: string[] = [];
  const add = (s: string): void => { out.push(s); };
  const u32 = (name: string, slot: string): void => {
    const mask = get(wc, slot);
    if (mask) add(`${name}=${hexAlt(get(f, slot))}${mask !== 0xffffffff ? `/${hexAlt(mask)}` : ''}`);
  };
  const be16 = (name: string, v: number, mask: number): void => {
    if (mask) add(`${name}=${mask === 0xffff ? v : `0x${v.toString(16)}/0x${mask.toString(16)}`}`);
  };
  const be64 = (name: string, slot: string): void => {
    const mask = slotBytes(wc, slot).readBigUInt64BE(0);
    if (mask) {
      add(`${name}=${hexAlt(slotBytes(f, slot).readBigUInt64BE(0))}${mask !== 0xffffffffffffffffn ? `/${hexAlt(mask)}` : ''}`);
    }
  };
  const addr = (name: string, slot: string, fmt: (v: Buffer, mk?: Buffer) => string): void => {
    if (!isZero(slotBytes(wc, slot))) add(`${name}=${fmt(slotBytes(f, slot), slotBytes(wc, slot))}`);
  };
  const u8m = (name: string, v: number, mask: number): void => {
    if (mask) add(`${name}=${mask === 0xff ? v : `0x${v.toString(16).padStart(2, '0')}/0x${mask.toString(16).padStart(2, '0')}`}`);
  };

  if (priority !== undefined && priority !== OFP_DEFAULT_PRIORITY) add(`priority=${priority}`);
  u32('pkt_mark', 'pkt_mark');
  const isMegaflow = get(wc, 'recirc_id') !== 0;
  u32('recirc_id', 'recirc_id');
  u32('dp_hash', 'dp_hash');
  if (get(wc, 'conj_id')) add(`conj_id=${get(f, 'conj_id')}`);
  if (get(wc, 'skb_priority')) add(`skb_priority=${hexAlt(get(f, 'skb_priority'))}`);
  if (get(wc, 'actset_output')) add(`actset_output=${formatOfpPort(ofp11PortToOfp10(get(f, 'actset_output')) ?? 0)}`);
  const ctMask = get(wc, 'ct_state');
  if (ctMask) {
    add(`ct_state=${ctMask === 0xff ? formatFlags(CT_STATE_NAMES, get(f, 'ct_state'))
      : formatFlagsMasked(CT_STATE_NAMES, get(f, 'ct_state'), ctMask, 0xff)}`);
  }
  const zoneMask = get(wc, 'ct_zone');
  if (zoneMask) {
    add(`ct_zone=${zoneMask === 0xffff ? get(f, 'ct_zone') : `0x${get(f, 'ct_zone').toString(16)}/0x${zoneMask.toString(16)}`}`);
  }
  u32('ct_mark', 'ct_mark');
  if (!isZero(slotBytes(wc, 'ct_label'))) {
    add(`ct_label=${putHex(slotBytes(f, 'ct_label'))}${isOnes(slotBytes(wc, 'ct_label')) ? '' : `/${putHex(slotBytes(wc, 'ct_label'))}`}`);
  }
  addr('ct_nw_src', 'ct_nw_src', formatIpv4Masked);
  addr('ct_ipv6_src', 'ct_ipv6_src', formatIpv6Masked);
  addr('ct_nw_dst', 'ct_nw_dst', formatIpv4Masked);
  addr('ct_ipv6_dst', 'ct_ipv6_dst', formatIpv6Masked);
  if (get(wc, 'ct_nw_proto')) {
    add(`ct_nw_proto=${get(f, 'ct_nw_proto')}`);
    be16('ct_tp_src', get(f, 'ct_tp_src'), get(wc, 'ct_tp_src'));
    be16('ct_tp_dst', get(f, 'ct_tp_dst'), get(wc, 'ct_tp_dst'));
  }

  let dlType = get(f, 'dl_type');
  const pt = get(f, 'packet_type');
  const ptMask = get(wc, 'packet_type');
  const defaultPt = pt === PT_ETH && ptMask === 0xffffffff;
  if (ptMask && (!defaultPt || isMegaflow)) {
    add(formatPacketType(pt, ptMask));
    if (pt >>> 16 === OFPHTN_ETHERTYPE) dlType = pt & 0xffff;
  }

  let skipType = false;
  let skipProto = false;
  const proto = get(f, 'nw_proto');
  const protoMask = get(wc, 'nw_proto');
  if (get(wc, 'dl_type')) {
    skipType = true;
    const byProto = (names: Record<number, string>, plain: string): void => {
      if (protoMask && names[proto]) {
        skipProto = true;
        add(names[proto]);
      } else {
        add(plain);
      }
    };
    if (dlType === ETH_TYPE_IP) {
      byProto({ [IPPROTO_ICMP]: 'icmp', [IPPROTO_TCP]: 'tcp', [IPPROTO_UDP]: 'udp', [IPPROTO_SCTP]: 'sctp' }, 'ip');
    } else if (dlType === ETH_TYPE_IPV6) {
      byProto({ [IPPROTO_ICMPV6]: 'icmp6', [IPPROTO_TCP]: 'tcp6', [IPPROTO_UDP]: 'udp6', [IPPROTO_SCTP]: 'sctp6' }, 'ipv6');
    } else if (dlType === ETH_TYPE_ARP) add('arp');
    else if (dlType === ETH_TYPE_RARP) add('rarp');
    else if (dlType === ETH_TYPE_MPLS) add('mpls');
    else if (dlType === ETH_TYPE_MPLS_MCAST) add('mplsm');
    else skipType = false;
  }
  for (let i = 0; i < 16; i++) u32(`reg${i}`, `reg${i}`);

  be64('tun_id', 'tun_id');
  addr('tun_src', 'tun_src', formatIpv4Masked);
  addr('tun_dst', 'tun_dst', formatIpv4Masked);
  addr('tun_ipv6_src', 'tun_ipv6_src', formatIpv6Masked);
  addr('tun_ipv6_dst', 'tun_ipv6_dst', formatIpv6Masked);
  be16('tun_gbp_id', get(f, 'tun_gbp_id'), get(wc, 'tun_gbp_id'));
  if (get(wc, 'tun_gbp_flags')) add(`tun_gbp_flags=${hexAlt(get(f, 'tun_gbp_flags'))}`);
  if (get(wc, 'tun_tos')) add(`tun_tos=${get(f, 'tun_tos').toString(16)}`);
  if (get(wc, 'tun_ttl')) add(`tun_ttl=${get(f, 'tun_ttl')}`);
  const erspanVer = get(f, 'tun_erspan_ver');
  if (get(wc, 'tun_erspan_ver')) add(`tun_erspan_ver=${erspanVer}`);
  if (get(wc, 'tun_erspan_idx') && erspanVer === 1) add(`tun_erspan_idx=${hexAlt(get(f, 'tun_erspan_idx'))}`);
  if (get(wc, 'tun_erspan_dir') && erspanVer === 2) add(`tun_erspan_dir=${get(f, 'tun_erspan_dir')}`);
  if (get(wc, 'tun_erspan_hwid') && erspanVer === 2) add(`tun_erspan_hwid=${hexAlt(get(f, 'tun_erspan_hwid'))}`);
  if (get(wc, 'tun_gtpu_flags')) add(`gtpu_flags=${hexAlt(get(f, 'tun_gtpu_flags'))}`);
  if (get(wc, 'tun_gtpu_msgtype')) add(`gtpu_msgtype=${get(f, 'tun_gtpu_msgtype')}`);
  const tunFlagsMask = get(wc, 'tun_flags') & 0xf;
  if (tunFlagsMask) add(`tun_flags=${formatFlagsMasked(TUN_FLAG_NAMES, get(f, 'tun_flags') & 0xf, tunFlagsMask, 0xf)}`);

  be64('metadata', 'metadata');
  if (get(wc, 'in_port')) add(`in_port=${formatOfpPort(get(f, 'in_port'))}`);

  const tciMask = get(wc, 'vlan_tci');
  if (tciMask) {
    const tci = get(f, 'vlan_tci');
    const vidMask = tciMask & VLAN_VID_MASK;
    const pcpMask = tciMask & VLAN_PCP_MASK;
    if (tciMask & VLAN_CFI && tci & VLAN_CFI && (!vidMask || vidMask === VLAN_VID_MASK)
      && (!pcpMask || pcpMask === VLAN_PCP_MASK) && (vidMask || pcpMask)) {
      if (vidMask) add(`dl_vlan=${tci & VLAN_VID_MASK}`);
      if (pcpMask) add(`dl_vlan_pcp=${tci >>> 13}`);
    } else if (tciMask === 0xffff) {
      add(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}`);
    } else {
      add(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}/0x${tciMask.toString(16).padStart(4, '0')}`);
    }
  }
  addr('dl_src', 'dl_src', formatMacMasked);
  addr('dl_dst', 'dl_dst', formatMacMasked);
  if (!skipType && get(wc, 'dl_type')) add(`dl_type=0x${dlType.toString(16).padStart(4, '0')}`);

  const isArp = dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
  if (dlType === ETH_TYPE_IPV6) {
    addr('ipv6_src', 'ipv6_src', formatIpv6Masked);
    addr('ipv6_dst', 'ipv6_dst', formatIpv6Masked);
    const labelMask = get(wc, 'ipv6_label');
    if (labelMask) {
      const hex5 = (v: number): string => `0x${v.toString(16).padStart(5, '0')}`;
      add(`ipv6_label=${hex5(get(f, 'ipv6_label'))}${labelMask === 0xffffffff ? '' : `/${hex5(labelMask)}`}`);
    }
  } else if (isArp) {
    addr('arp_spa', 'nw_src', formatIpv4Masked);
    addr('arp_tpa', 'nw_dst', formatIpv4Masked);
  } else if (dlType === ETH_TYPE_NSH) {
    formatNsh(m, add, u8m);
  } else {
    addr('nw_src', 'nw_src', formatIpv4Masked);
    addr('nw_dst', 'nw_dst', formatIpv4Masked);
  }
  if (!skipProto && protoMask) add(`${isArp ? 'arp_op' : 'nw_proto'}=${proto}`);
  if (isArp) {
    addr('arp_sha', 'arp_sha', formatMacMasked);
    addr('arp_tha', 'arp_tha', formatMacMasked);
  }
  const tos = get(f, 'nw_tos');
  const tosMask = get(wc, 'nw_tos');
  if (tosMask & 0xfc) add(`nw_tos=${tos & 0xfc}`);
  if (tosMask & 0x03) add(`nw_ecn=${tos & 0x03}`);
  if (get(wc, 'nw_ttl')) add(`nw_ttl=${get(f, 'nw_ttl')}`);
  const lse = get(f, 'mpls_lse');
  const lseMask = get(wc, 'mpls_lse');
  if (lseMask & 0xfffff000) add(`mpls_label=${lse >>> 12}`);
  if (lseMask & 0x00000e00) add(`mpls_tc=${(lse >>> 9) & 7}`);
  if (lseMask & 0x000000ff) add(`mpls_ttl=${lse & 0xff}`);
  if (lseMask & 0x00000100) add(`mpls_bos=${(lse >>> 8) & 1}`);
  const frag = get(f, 'nw_frag');
  switch (get(wc, 'nw_frag') & FLOW_NW_FRAG_MASK) {
    case FLOW_NW_FRAG_MASK:
      add(`nw_frag=${frag & FLOW_NW_FRAG_ANY ? (frag & FLOW_NW_FRAG_LATER ? 'later' : 'first')
        : (frag & FLOW_NW_FRAG_LATER ? '<error>' : 'no')}`);
      break;
    case FLOW_NW_FRAG_ANY:
      add(`nw_frag=${frag & FLOW_NW_FRAG_ANY ? 'yes' : 'no'}`);
      break;
    case FLOW_NW_FRAG_LATER:
      add(`nw_frag=${frag & FLOW_NW_FRAG_LATER ? 'later' : 'not_later'}`);
      break;
    default:
      break;
  }
  const tp = (name: string, slot: string): void => be16(name, get(f, slot), get(wc, slot));
  if (dlType === ETH_TYPE_IP && proto === IPPROTO_ICMP) {
    tp('icmp_type', 'tp_src');
    tp('icmp_code', 'tp_dst');
  } else if (dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) {
    tp('icmp_type', 'tp_src');
    tp('icmp_code', 'tp_dst');
    addr('nd_target', 'nd_target', formatIpv6Masked);
    addr('nd_sll', 'arp_sha', formatMacMasked);
    addr('nd_tll', 'arp_tha', formatMacMasked);
    const resMask = get(wc, 'nd_reserved');
    if (resMask) {
      add(`nd_reserved=${resMask === 0xffffffff ? get(f, 'nd_reserved')
        : `0x${get(f, 'nd_reserved').toString(16).padStart(8, '0')}/0x${resMask.toString(16).padStart(8, '0')}`}`);
    }
    tp('nd_options_type', 'tcp_flags');
  } else {
    tp('tp_src', 'tp_src');
    tp('tp_dst', 'tp_dst');
  }
  const realDlType = ptMask === 0xffffffff && pt >>> 16 === OFPHTN_ETHERTYPE ? pt & 0xffff
    : pt === PT_ETH ? get(f, 'dl_type') : 0;
  const flagsMask = get(wc, 'tcp_flags');
  if ((realDlType === ETH_TYPE_IP || realDlType === ETH_TYPE_IPV6) && proto === IPPROTO_TCP && flagsMask) {
    add(`tcp_flags=${formatFlagsMasked(TCP_FLAG_NAMES, get(f, 'tcp_flags'), flagsMask & 0xfff, 0xfff)}`);
  }
  return out.join(',');
}

/** NSH fields (OVS `format_nsh_masked`): the context words only for an exact MD type 1. */
function formatNsh(m: Match, add: (s: string) => void, u8m: (n: string, v: number, mk: number) => void): void {
  const { flow: f, wc } = m;
  for (const n of ['nsh_flags', 'nsh_ttl', 'nsh_mdtype', 'nsh_np']) u8m(n, get(f, n), get(wc, n));
  const path = get(f, 'nsh_path_hdr');
  const pathMask = get(wc, 'nsh_path_hdr');
  const hex32 = (name: string, v: number, mk: number): void => {
    if (mk) add(`${name}=0x${v.toString(16)}${mk === 0xffffffff ? '' : `/0x${mk.toString(16)}`}`);
  };
  const spiMask = pathMask >>> 8;
  hex32('nsh_spi', path >>> 8, spiMask === 0xffffff ? 0xffffffff : spiMask);
  u8m('nsh_si', path & 0xff, pathMask & 0xff);
  if (get(wc, 'nsh_mdtype') === 0xff && get(f, 'nsh_mdtype') === 1) {
    for (let i = 1; i <= 4; i++) hex32(`nsh_c${i}`, get(f, `nsh_c${i}`), get(wc, `nsh_c${i}`));
  }
}

/** Parses an integer as OVS `parse_int_string` into `width` bytes: 0x… hex, else C strtoull (0… octal). */
function parseIntBytes(s: string, width: number): Buffer {
  let v: bigint;
  if (/^0x/i.test(s)) {
    const digits = s.slice(2).replace(/[\s]/g, '');
    if (!/^[0-9a-f]*$/i.test(digits)) throw new Error(`${s}: bad syntax`);
    v = digits.replace(/^0+/, '') ? BigInt(`0x${digits}`) : 0n;
  } else if (/^0[0-7]+$/.test(s)) {
    v = BigInt(`0o${s.slice(1)}`);
  } else if (/^\d+$/.test(s)) {
    v = BigInt(s);
    if (v > 0xffffffffffffffffn) throw new Error(`${s}: value too large`);
  } else {
    throw new Error(`${s}: bad syntax for integer`);
  }
  if (v >> BigInt(8 * width)) throw new Error(`${s}: value too large for ${width}-byte field`);
  const out = Buffer.alloc(width);
  for (let i = width - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** Parses a 16-bit port as OVS `ofputil_port_from_string`: a number or a reserved name. */
export function parseOfpPort(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 0xffff + 1) return n;
    if (n >= 0xffffff00 && n <= 0xffffffff) return n - 0xffff0000;
    return undefined;
  }
  const upper = s.toUpperCase();
  if (upper === 'NONE') return 0xffff;
  for (const [port, name] of Object.entries(RESERVED_PORT_NAMES)) {
    if (name === upper) return Number(port);
  }
  return undefined;
}

/** OVS `parse_flags`: "a|b" or numbers (mask all ones), "+a-b" or "v/m" (masked). */
function parseFlags(s: string, names: Record<number, string>, allowed: number, what: string): { flags: number; mask: number } {
  const num = /^(0x[0-9a-f]+|\d+)\/(0x[0-9a-f]+|\d+)$/i.exec(s);
  if (num) {
    const flags = Number(num[1]);
    const mask = Number(num[2]);
    if ((flags | mask) & ~allowed) throw new Error(`${s}: unknown ${what} flag(s)`);
    return { flags, mask };
  }
  const byName = (name: string): number | undefined => {
    const e = Object.entries(names).find(([, n]) => n === name);
    return e ? Number(e[0]) : undefined;
  };
  if (s.startsWith('+') || s.startsWith('-')) {
    let flags = 0;
    let mask = 0;
    for (const [, sign, name] of s.matchAll(/([+-])([^+-]*)/g)) {
      const bit = byName(name);
      if (bit === undefined || !(bit & allowed)) throw new Error(`${s}: unknown ${what} flag(s)`);
      if (mask & bit) throw new Error(`${s}: Each ${what} flag can be specified only once`);
      if (sign === '+') flags |= bit;
      mask |= bit;
    }
    return { flags, mask };
  }
  let flags = 0;
  for (const part of s.split('|')) {
    const bit = /^(0x[0-9a-f]+|\d+)$/i.test(part) ? Number(part) : byName(part);
    if (bit === undefined || bit & ~allowed) throw new Error(`${s}: unknown ${what} flag(s)`);
    flags |= bit;
  }
  return { flags, mask: 0xffffffff };
}

function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) return undefined;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

function prefixMask(bits: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) {
    const n = Math.max(0, Math.min(8, bits - 8 * i));
    b[i] = (0xff00 >> n) & 0xff;
  }
  return b;
}

function parseMacText(s: string): Buffer | undefined {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{1,2}$/i.test(p))) return undefined;
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/**
 * Parses one field value as OVS `mf_parse`: "*" (wildcard), integers with "/mask", addresses
 * with masks or prefixes, port names, frag and flag names, packet types "(ns,type)".
 * @returns value and mask, `f.nBytes` bytes each
 * @throws Error with OVS's wording on bad syntax or a partial mask on an unmaskable field
 */
export function mfParseValue(f: MfField, s: string): { value: Buffer; mask: Buffer } {
  const n = f.nBytes;
  if (s === '*') return { value: Buffer.alloc(n), mask: Buffer.alloc(n) };
  let value: Buffer;
  let mask: Buffer;
  const u = (v: number, bytes: number): Buffer => {
    const b = Buffer.alloc(bytes);
    b.writeUIntBE(v >>> 0, 0, bytes);
    return b;
  };
  switch (f.format) {
    case 'decimal':
    case 'hexadecimal': {
      const slash = s.indexOf('/');
      value = parseIntBytes(slash < 0 ? s : s.slice(0, slash), n);
      mask = slash < 0 ? Buffer.alloc(n, 0xff) : parseIntBytes(s.slice(slash + 1), n);
      break;
    }
    case 'ct_state': {
      const r = parseFlags(s, CT_STATE_NAMES, 0xff, 'ct_state');
      value = u(r.flags, 4);
      mask = u(r.mask, 4);
      break;
    }
    case 'ethernet': {
      const [v, mk, extra] = s.split('/');
      const mv = parseMacText(v);
      const mm = mk === undefined ? Buffer.alloc(6, 0xff) : parseMacText(mk);
      if (!mv || !mm || extra !== undefined) throw new Error(`${s}: invalid Ethernet address`);
      value = mv;
      mask = mm;
      break;
    }
    case 'ipv4': {
      const [v, mk, extra] = s.split('/');
      const ip = parseIpv4(v);
      if (ip === undefined || extra !== undefined) throw new Error(`${s}: invalid IP address`);
      value = u(ip, 4);
      if (mk === undefined) mask = Buffer.alloc(4, 0xff);
      else if (/^\d+$/.test(mk)) {
        if (Number(mk) > 32) throw new Error(`${s}: IPv4 network prefix bits not between 0 and 32, inclusive`);
        mask = prefixMask(Number(mk), 4);
      } else {
        const mip = parseIpv4(mk);
        if (mip === undefined) throw new Error(`${s}: invalid IP address`);
        mask = u(mip, 4);
      }
      break;
    }
    case 'ipv6': {
      const [v, mk, extra] = s.split('/');
      const ip = parseIpv6(v);
      if (!ip || extra !== undefined) throw new Error(`${s}: invalid IPv6 address`);
      value = ip;
      if (mk === undefined) mask = Buffer.alloc(16, 0xff);
      else if (/^\d+$/.test(mk)) {
        if (Number(mk) > 128) throw new Error(`${s}: IPv6 network prefix bits not between 0 and 128, inclusive`);
        mask = prefixMask(Number(mk), 16);
      } else {
        const mip = parseIpv6(mk);
        if (!mip) throw new Error(`${s}: Invalid IPv6 mask`);
        mask = mip;
      }
      break;
    }
    case 'ofp_port':
    case 'ofp11_port': {
      const port = parseOfpPort(s);
      if (port === undefined) {
        throw new Error(`${s}: invalid or unknown port for ${f.name}`);
      }
      value = n === 2 ? u(port, 2) : u(ofp10PortToOfp11(port), 4);
      mask = Buffer.alloc(n, 0xff);
      break;
    }
    case 'frag': {
      const e = FRAG_NAMES.find(([name]) => name === s.toLowerCase());
      if (!e) throw new Error(`${s}: unknown fragment type (valid types are "no", "yes", "first", "later", "not_later"`);
      value = Buffer.from([e[2]]);
      mask = Buffer.from([e[1] | (~FLOW_NW_FRAG_MASK & 0xff)]);
      break;
    }
    case 'tun_flags':
    case 'tcp_flags': {
      const r = f.format === 'tcp_flags'
        ? parseFlags(s, TCP_FLAG_NAMES, 0x0fff, 'TCP') : parseFlags(s, TUN_FLAG_NAMES, 0x1, 'tunnel');
      value = u(r.flags, 2);
      mask = u(r.mask & 0xffff, 2);
      break;
    }
    case 'packet_type': {
      const m = /^\(([^,]+),([^)]+)\)$/.exec(s);
      if (!m) throw new Error(`${s}: bad syntax for packet type`);
      value = Buffer.concat([parseIntBytes(m[1].trim(), 2), parseIntBytes(m[2].trim(), 2)]);
      mask = Buffer.alloc(4, 0xff);
      break;
    }
  }
  if (!f.maskable && !isZero(mask) && !isOnes(mask)) throw new Error(`${s}: invalid mask for field ${f.name}`);
  return { value, mask };
}

/** Protocol shorthands (OVS `ofp_parse_protocol`): [dl_type, nw_proto]. */
export const PROTOCOLS: Readonly<Record<string, [number, number]>> = {
  ip: [ETH_TYPE_IP, 0], ipv4: [ETH_TYPE_IP, 0], ip4: [ETH_TYPE_IP, 0], arp: [ETH_TYPE_ARP, 0],
  icmp: [ETH_TYPE_IP, IPPROTO_ICMP], tcp: [ETH_TYPE_IP, IPPROTO_TCP], udp: [ETH_TYPE_IP, IPPROTO_UDP],
  sctp: [ETH_TYPE_IP, IPPROTO_SCTP], ipv6: [ETH_TYPE_IPV6, 0], ip6: [ETH_TYPE_IPV6, 0],
  icmp6: [ETH_TYPE_IPV6, IPPROTO_ICMPV6], tcp6: [ETH_TYPE_IPV6, IPPROTO_TCP],
  udp6: [ETH_TYPE_IPV6, IPPROTO_UDP], sctp6: [ETH_TYPE_IPV6, IPPROTO_SCTP], rarp: [ETH_TYPE_RARP, 0],
  mpls: [ETH_TYPE_MPLS, 0], mplsm: [ETH_TYPE_MPLS_MCAST, 0],
};

/** dump-flows statistics that parse_ofp_str ignores so its output can be fed back. */
const IGNORED_KEYS = new Set(['duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age',
  'no_readonly_table', 'allow_hidden_fields']);

/**
 * Splits "k=v,k2:v2 k3(x,y)" as OVS `ofputil_parse_key_value` does (values may nest parentheses).
 * @returns [key, value] pairs in order; value '' for a bare key
 */
export function keyValues(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  const delim = (c: string | undefined): boolean => c === undefined || ', \t\r\n'.includes(c);
  while (i < text.length) {
    while (i < text.length && delim(text[i])) i++;
    if (i >= text.length) break;
    let j = i;
    while (j < text.length && !':=(, \t\r\n'.includes(text[j])) j++;
    const key = text.slice(i, j);
    const kd = text[j];
    i = j + (kd === undefined ? 0 : 1);
    if (kd !== ':' && kd !== '=' && kd !== '(') {
      out.push([key, '']);
      continue;
    }
    const ends = kd === '(' ? ')' : ', \t\r\n';
    let k = i;
    let depth = 0;
    while (k < text.length && (depth > 0 || !ends.includes(text[k]))) {
      if (text[k] === '(') depth++;
      else if (text[k] === ')') depth--;
      k++;
    }
    out.push([key, text.slice(i, k)]);
    i = k + (k < text.length ? 1 : 0);
  }
  return out;
}

function setDefaultPacketType(m: Match): void {
  if (!get(m.wc, 'packet_type')) {
    writeSlot(m.flow, S.packet_type, PT_ETH);
    writeSlot(m.wc, S.packet_type, 0xffffffff);
  }
}

/**
 * Parses a match as `ovs-ofctl` writes it (the match part of OVS `parse_ofp_str`): field=value
 * pairs in any order (later ones override), protocol shorthands, "eth", "priority=N"; the
 * statistics dump-flows prints are ignored. Field subfield syntax (`reg0[0..3]=…`) is not
 * supported.
 * @throws Error on an unknown keyword or a bad value
 */
export function parseMatch(text: string): { match: Match; priority?: number } {
  const match = Match.catchall();
  let priority: number | undefined;
  for (const [name, value] of keyValues(text)) {
    const proto = PROTOCOLS[name];
    if (proto) {
      match.setField(mfFieldByName('eth_type')!, Buffer.from([proto[0] >> 8, proto[0] & 0xff]));
      if (proto[1]) match.setField(mfFieldByName('nw_proto')!, Buffer.from([proto[1]]));
      setDefaultPacketType(match);
    } else if (name === 'eth') {
      writeSlot(match.flow, S.packet_type, PT_ETH);
      writeSlot(match.wc, S.packet_type, 0xffffffff);
    } else if (name === 'priority') {
      if (!/^\d+$/.test(value) || Number(value) > 0xffff) throw new Error(`invalid priority "${value}"`);
      priority = Number(value);
    } else if (IGNORED_KEYS.has(name)) {
      continue;
    } else {
      const f = mfFieldByName(name);
      if (!f) throw new Error(`unknown keyword ${name}`);
      const { value: v, mask } = mfParseValue(f, value === '' ? '0/0' : value);
      match.setField(f, v, mask);
      if (f.prereq !== 'NONE') setDefaultPacketType(match);
    }
  }
  const pt = get(match.flow, 'packet_type');
  if (get(match.wc, 'packet_type') === 0xffffffff && pt >>> 16 === OFPHTN_ETHERTYPE) {
    writeSlot(match.flow, S.dl_type, pt & 0xffff);
  }
  return priority === undefined ? { match } : { match, priority };
}
