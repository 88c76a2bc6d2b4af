/**
 * Datapath actions applied to a packet in userspace (OVS's lib/odp-execute.c): what the packet
 * looks like after the header-changing actions translation emitted, for a packet-in sent in the
 * middle of the pipeline (the datapath never hands that copy back, since the switch does not
 * slow-path such flows through a userspace action yet).
 *
 * Covered, with the kernel's checksum behaviour (net/openvswitch/actions.c): `set` and
 * `set_masked` of Ethernet addresses, IPv4 (source, destination, TOS, TTL: the header checksum
 * and the TCP/UDP pseudo-header sum are updated incrementally, RFC 1624; a zero UDP checksum
 * stays zero, a computed zero becomes 0xffff), IPv6 (addresses with the TCP/UDP/ICMPv6
 * pseudo-header sum, traffic class, flow label, hop limit), TCP/UDP ports (checksum updated),
 * SCTP ports (CRC32c recomputed, keeping any error the packet already had); `push_vlan` (the
 * wire TCI without the CFI bit, as the kernel writes it) and `pop_vlan`. Actions that do not
 * change the packet (output, priority and mark) leave it alone. IPv6 extension headers are not
 * walked: behind them the L4 checksum is left as it is.
 *
 * Also the sets only userspace can do (OVS lib/packets.c `packet_set_arp()`, `packet_set_icmp()`,
 * `packet_set_nd()`, `packet_set_nd_ext()`): ARP (opcode, addresses), ICMP/ICMPv6 type and
 * code, ND target and source/target link-layer address options, ND reserved word and first
 * option type, the ICMP/ICMPv6 checksum updated incrementally; and `odpExecuteWithHelp()`, which
 * splits such an action list into what the datapath executes.
 */
import type { OdpAction } from '../genl/actions';
import type { OdpFlowKey } from '../genl/flow-key';
import { parseIpv6 } from '../genl/addr';
import {
  ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ethTypeVlan, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
  VLAN_CFI,
} from './flow';

/** Ones'-complement sum helpers (RFC 1071 / RFC 1624). */
function csumFold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** New checksum after replacing the bytes `from` with `to` (same even length) in the summed data. */
function csumReplace(check: number, from: Uint8Array, to: Uint8Array): number {
  let sum = ~check & 0xffff;
  for (let i = 0; i < from.length; i += 2) {
    sum += (~((from[i] << 8) | (from[i + 1] ?? 0))) & 0xffff;
    sum += (to[i] << 8) | (to[i + 1] ?? 0);
  }
  return ~csumFold(sum) & 0xffff;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** SCTP's CRC32c over `b` with the checksum field (bytes 8..11) taken as zero, as stored on the wire. */
function sctpCrc(b: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < b.length; i++) {
    const x = i >= 8 && i < 12 ? 0 : b[i];
    crc = CRC32C_TABLE[(crc ^ x) & 0xff] ^ (crc >>> 8);
  }
  const v = ~crc >>> 0;
  // The checksum is stored little-endian (RFC 4960 appendix B).
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** Where the headers of an Ethernet frame start. */
interface Layout {
  l3: number;
  ethType: number;
  l4?: number;
  proto?: number;
  /** L4 is present (not a later fragment) */
  hasL4: boolean;
}

function layout(p: Buffer): Layout | undefined {
  if (p.length < 14) return undefined;
  let off = 12;
  while (off + 4 <= p.length && ethTypeVlan(p.readUInt16BE(off))) off += 4;
  if (off + 2 > p.length) return undefined;
  const ethType = p.readUInt16BE(off);
  const l3 = off + 2;
  if (ethType === ETH_TYPE_IP && p.length >= l3 + 20) {
    const ihl = (p[l3] & 0x0f) * 4;
    const later = (p.readUInt16BE(l3 + 6) & 0x1fff) !== 0;
    return { l3, ethType, l4: l3 + ihl, proto: p[l3 + 9], hasL4: !later };
  }
  if (ethType === ETH_TYPE_IPV6 && p.length >= l3 + 40) {
    return { l3, ethType, l4: l3 + 40, proto: p[l3 + 6], hasL4: true };
  }
  return { l3, ethType, hasL4: false };
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

function ipv6Bytes(ip: string): Buffer {
  const b = parseIpv6(ip);
  if (!b) throw new RangeError(`invalid IPv6 address "${ip}"`);
  return b;
}

/** (old & ~mask) | (value & mask), bytewise. */
function masked(old: Uint8Array, value: Uint8Array, mask: Uint8Array | undefined): Buffer {
  return Buffer.from(old.map((o, i) => (mask ? (o & ~mask[i]) | (value[i] & mask[i]) : value[i])));
}

/** Replaces bytes of the IP header or addresses, fixing the checksums that cover them. */
function updatePseudo(p: Buffer, lay: Layout, from: Uint8Array, to: Uint8Array): void {
  if (!lay.hasL4 || lay.l4 === undefined) return;
  if (lay.proto === IPPROTO_TCP && p.length >= lay.l4 + 18) {
    p.writeUInt16BE(csumReplace(p.readUInt16BE(lay.l4 + 16), from, to), lay.l4 + 16);
  } else if (lay.proto === IPPROTO_UDP && p.length >= lay.l4 + 8) {
    const check = p.readUInt16BE(lay.l4 + 6);
    if (check) p.writeUInt16BE(csumReplace(check, from, to) || 0xffff, lay.l4 + 6);
  } else if (lay.proto === IPPROTO_ICMPV6 && lay.ethType === ETH_TYPE_IPV6 && p.length >= lay.l4 + 4) {
    p.writeUInt16BE(csumReplace(p.readUInt16BE(lay.l4 + 2), from, to), lay.l4 + 2);
  }
}

function setIpv4(p: Buffer, lay: Layout, k: NonNullable<OdpFlowKey['ipv4']>, m?: NonNullable<OdpFlowKey['ipv4']>): void {
  const h = lay.l3;
  const fields: Array<[number, Uint8Array, Uint8Array | undefined, boolean]> = [
    [h + 12, ipv4Bytes(k.src), m && ipv4Bytes(m.src), true],
    [h + 16, ipv4Bytes(k.dst), m && ipv4Bytes(m.dst), true],
  ];
  for (const [off, value, mask, pseudo] of fields) {
    const old = Buffer.from(p.subarray(off, off + 4));
    const now = masked(old, value, mask);
    if (old.equals(now)) continue;
    p.writeUInt16BE(csumReplace(p.readUInt16BE(h + 10), old, now), h + 10);
    if (pseudo) updatePseudo(p, lay, old, now);
    now.copy(p, off);
  }
  // TOS and TTL share 16-bit words with their neighbours (version/IHL, protocol).
  const tosWord = Buffer.from(p.subarray(h, h + 2));
  const newTos = masked(tosWord.subarray(1), Uint8Array.of(k.tos), m && Uint8Array.of(m.tos))[0];
  const ttlWord = Buffer.from(p.subarray(h + 8, h + 10));
  const newTtl = masked(ttlWord.subarray(0, 1), Uint8Array.of(k.ttl), m && Uint8Array.of(m.ttl))[0];
  for (const [off, old, now] of [[h, tosWord, Buffer.from([tosWord[0], newTos])], [h + 8, ttlWord, Buffer.from([newTtl, ttlWord[1]])]] as Array<[number, Buffer, Buffer]>) {
    if (old.equals(now)) continue;
    p.writeUInt16BE(csumReplace(p.readUInt16BE(h + 10), old, now), h + 10);
    now.copy(p, off);
  }
}

function setIpv6(p: Buffer, lay: Layout, k: NonNullable<OdpFlowKey['ipv6']>, m?: NonNullable<OdpFlowKey['ipv6']>): void {
  const h = lay.l3;
  for (const [off, value, mask] of [[h + 8, ipv6Bytes(k.src), m && ipv6Bytes(m.src)], [h + 24, ipv6Bytes(k.dst), m && ipv6Bytes(m.dst)]] as Array<[number, Buffer, Buffer | undefined]>) {
    const old = Buffer.from(p.subarray(off, off + 16));
    const now = masked(old, value, mask);
    if (old.equals(now)) continue;
    updatePseudo(p, lay, old, now);
    now.copy(p, off);
  }
  const word = p.readUInt32BE(h);
  const tc = (word >>> 20) & 0xff;
  const label = word & 0xfffff;
  const newTc = m ? (tc & ~m.tclass) | (k.tclass & m.tclass) : k.tclass;
  const newLabel = m ? (label & ~m.label) | (k.label & m.label) : k.label;
  p.writeUInt32BE(((6 << 28) | ((newTc & 0xff) << 20) | (newLabel & 0xfffff)) >>> 0, h);
  p[h + 7] = m ? (p[h + 7] & ~m.hlimit) | (k.hlimit & m.hlimit) : k.hlimit;
}

function setPorts(p: Buffer, lay: Layout, proto: number, k: { src: number; dst: number }, m?: { src: number; dst: number }): void {
  if (!lay.hasL4 || lay.l4 === undefined || lay.proto !== proto) return;
  const o = lay.l4;
  if (p.length < o + 4) return;
  const old = Buffer.from(p.subarray(o, o + 4));
  const src = m ? (old.readUInt16BE(0) & ~m.src) | (k.src & m.src) : k.src;
  const dst = m ? (old.readUInt16BE(2) & ~m.dst) | (k.dst & m.dst) : k.dst;
  const now = Buffer.alloc(4);
  now.writeUInt16BE(src & 0xffff, 0);
  now.writeUInt16BE(dst & 0xffff, 2);
  if (old.equals(now)) return;
  if (proto === IPPROTO_SCTP) {
    const end = p.length;
    const before = sctpCrc(p.subarray(o, end));
    now.copy(p, o);
    const stored = p.readUInt32BE(o + 8);
    p.writeUInt32BE((stored ^ before ^ sctpCrc(p.subarray(o, end))) >>> 0, o + 8);
    return;
  }
  if (proto === IPPROTO_TCP && p.length >= o + 18) {
    p.writeUInt16BE(csumReplace(p.readUInt16BE(o + 16), old, now), o + 16);
  } else if (proto === IPPROTO_UDP && p.length >= o + 8) {
    const check = p.readUInt16BE(o + 6);
    if (check) p.writeUInt16BE(csumReplace(check, old, now) || 0xffff, o + 6);
  }
  now.copy(p, o);
}

function setKey(p: Buffer, k: OdpFlowKey, m?: OdpFlowKey): void {
  if (k.ethernet && p.length >= 12) {
    masked(p.subarray(0, 6), macBytes(k.ethernet.dst), m?.ethernet && macBytes(m.ethernet.dst)).copy(p, 0);
    masked(p.subarray(6, 12), macBytes(k.ethernet.src), m?.ethernet && macBytes(m.ethernet.src)).copy(p, 6);
  }
  const lay = layout(p);
  if (!lay) return;
  if (k.ipv4 && lay.ethType === ETH_TYPE_IP && lay.l4 !== undefined) setIpv4(p, lay, k.ipv4, m?.ipv4);
  if (k.ipv6 && lay.ethType === ETH_TYPE_IPV6 && lay.l4 !== undefined) setIpv6(p, lay, k.ipv6, m?.ipv6);
  if (k.tcp) setPorts(p, lay, IPPROTO_TCP, k.tcp, m?.tcp);
  if (k.udp) setPorts(p, lay, IPPROTO_UDP, k.udp, m?.udp);
  if (k.sctp) setPorts(p, lay, IPPROTO_SCTP, k.sctp, m?.sctp);
  if (k.arp && lay.ethType === ETH_TYPE_ARP) setArp(p, lay.l3, k.arp, m?.arp);
  const icmp = lay.ethType === ETH_TYPE_IP ? k.icmp && [k.icmp, m?.icmp, IPPROTO_ICMP] as const
    : lay.ethType === ETH_TYPE_IPV6 ? k.icmpv6 && [k.icmpv6, m?.icmpv6, IPPROTO_ICMPV6] as const : undefined;
  if (icmp && lay.proto === icmp[2] && lay.hasL4 && lay.l4 !== undefined && p.length >= lay.l4 + 4) {
    const o = lay.l4;
    const now = Buffer.from([icmp[0].type, icmp[0].code]);
    replaceIcmp(p, o, o, masked(p.subarray(o, o + 2), now, icmp[1] && Uint8Array.of(icmp[1].type, icmp[1].code)));
  }
  if (lay.ethType === ETH_TYPE_IPV6 && lay.proto === IPPROTO_ICMPV6 && lay.l4 !== undefined && p.length >= lay.l4 + 24) {
    if (k.ndExtensions) setNdExtensions(p, lay.l4, k.ndExtensions, m?.ndExtensions);
    if (k.nd) setNd(p, lay.l4, k.nd, m?.nd);
  }
}

/** Replaces bytes at `off` of an ICMP/ICMPv6 message starting at `l4`, updating its checksum. */
function replaceIcmp(p: Buffer, l4: number, off: number, now: Buffer): void {
  const old = Buffer.from(p.subarray(off, off + now.length));
  if (old.equals(now)) return;
  // Words of the checksummed data: align both to the message's 16-bit grid.
  const start = l4 + ((off - l4) & ~1);
  const end = Math.min(p.length, l4 + ((off + now.length - l4 + 1) & ~1));
  const before = Buffer.from(p.subarray(start, end));
  now.copy(p, off);
  p.writeUInt16BE(csumReplace(p.readUInt16BE(l4 + 2), before, p.subarray(start, end)), l4 + 2);
}

/** OVS `packet_set_arp()` (Ethernet/IPv4 ARP). */
function setArp(p: Buffer, l3: number, k: NonNullable<OdpFlowKey['arp']>, m?: NonNullable<OdpFlowKey['arp']>): void {
  if (p.length < l3 + 28) return;
  const op = Buffer.alloc(2);
  op.writeUInt16BE(k.op);
  const opMask = m && Buffer.alloc(2);
  if (m && opMask) opMask.writeUInt16BE(m.op);
  masked(p.subarray(l3 + 6, l3 + 8), op, opMask).copy(p, l3 + 6);
  masked(p.subarray(l3 + 8, l3 + 14), macBytes(k.sha), m && macBytes(m.sha)).copy(p, l3 + 8);
  masked(p.subarray(l3 + 14, l3 + 18), ipv4Bytes(k.sip), m && ipv4Bytes(m.sip)).copy(p, l3 + 14);
  masked(p.subarray(l3 + 18, l3 + 24), macBytes(k.tha), m && macBytes(m.tha)).copy(p, l3 + 18);
  masked(p.subarray(l3 + 24, l3 + 28), ipv4Bytes(k.tip), m && ipv4Bytes(m.tip)).copy(p, l3 + 24);
}

/** OVS `packet_set_nd()`: the target, and the first SLL (type 1) and TLL (type 2) options. */
function setNd(p: Buffer, l4: number, k: NonNullable<OdpFlowKey['nd']>, m?: NonNullable<OdpFlowKey['nd']>): void {
  replaceIcmp(p, l4, l4 + 8, masked(p.subarray(l4 + 8, l4 + 24), ipv6Bytes(k.target), m && ipv6Bytes(m.target)));
  for (let o = l4 + 24; o + 8 <= p.length && p[o + 1] > 0; o += p[o + 1] * 8) {
    const [mac, mask] = p[o] === 1 ? [k.sll, m?.sll] : p[o] === 2 ? [k.tll, m?.tll] : [];
    if (mac !== undefined && p[o + 1] === 1) {
      replaceIcmp(p, l4, o + 2, masked(p.subarray(o + 2, o + 8), macBytes(mac), mask === undefined ? undefined : macBytes(mask)));
    }
  }
}

/** OVS `packet_set_nd_ext()`: the reserved word after the checksum, the first option's type. */
function setNdExtensions(p: Buffer, l4: number, k: NonNullable<OdpFlowKey['ndExtensions']>, m?: NonNullable<OdpFlowKey['ndExtensions']>): void {
  const rsv = Buffer.alloc(4);
  rsv.writeUInt32BE(k.ndReserved >>> 0);
  const rsvMask = m && Buffer.alloc(4);
  if (m && rsvMask) rsvMask.writeUInt32BE(m.ndReserved >>> 0);
  replaceIcmp(p, l4, l4 + 4, masked(p.subarray(l4 + 4, l4 + 8), rsv, rsvMask));
  if (p.length > l4 + 24) replaceIcmp(p, l4, l4 + 24, masked(p.subarray(l4 + 24, l4 + 25), Uint8Array.of(k.ndOptionsType), m && Uint8Array.of(m.ndOptionsType)));
}

/** Whether `a` sets a header the Linux datapath cannot set (OVS SLOW_ACTION's sets). */
function needsHelp(a: OdpAction): boolean {
  if (a.type !== 'set' && a.type !== 'set_masked') return false;
  const k = a.key;
  return !!(k.arp || k.icmp || k.icmpv6 || k.nd || k.ndExtensions);
}

/**
 * OVS `dpif_execute_with_help()` for a SLOW_ACTION translation: splits `actions` into runs the
 * datapath can execute, each with the packet as it is at that point; the sets it cannot do are
 * applied here in userspace between runs (with the earlier runs' header changes, so only the
 * header changes this module covers may precede such a set).
 * @returns the executes to send, in order (none when only userspace sets remain)
 */
export function odpExecuteWithHelp(packet: Uint8Array, actions: readonly OdpAction[]): Array<{ packet: Buffer; actions: OdpAction[] }> {
  const out: Array<{ packet: Buffer; actions: OdpAction[] }> = [];
  let p: Buffer = Buffer.from(packet);
  let run: OdpAction[] = [];
  for (const a of actions) {
    if (!needsHelp(a)) {
      run.push(a);
      continue;
    }
    if (run.length) {
      out.push({ packet: p, actions: run });
      p = odpExecuteActions(p, run);
      run = [];
    }
    p = odpExecuteActions(p, [a]);
  }
  if (run.length) out.push({ packet: p, actions: run });
  return out;
}

/**
 * Applies `actions` to a copy of `packet`.
 * @param packet an Ethernet frame
 * @param actions datapath actions (those not listed in the module comment are ignored)
 * @returns the modified copy
 */
export function odpExecuteActions(packet: Uint8Array, actions: readonly OdpAction[]): Buffer {
  let p = Buffer.from(packet);
  for (const a of actions) {
    switch (a.type) {
      case 'set':
        setKey(p, a.key);
        break;
      case 'set_masked':
        setKey(p, a.key, a.mask);
        break;
      case 'push_vlan': {
        const tag = Buffer.alloc(4);
        tag.writeUInt16BE(a.tpid, 0);
        tag.writeUInt16BE(a.tci & ~VLAN_CFI, 2);
        p = Buffer.concat([p.subarray(0, 12), tag, p.subarray(12)]);
        break;
      }
      case 'pop_vlan':
        if (p.length >= 18 && ethTypeVlan(p.readUInt16BE(12))) p = Buffer.concat([p.subarray(0, 12), p.subarray(16)]);
        break;
      default:
        break;
    }
  }
  return p;
}
