/**
 * A small ctnetlink (`NETLINK_NETFILTER`, subsystem `NFNL_SUBSYS_CTNETLINK`) client for what
 * ovs-vswitchd does to the kernel's connection tracker: flush it all, flush one zone, flush one
 * connection by its original tuple, and dump entries — following OVS 3.1's
 * `lib/netlink-conntrack.c` (`nl_ct_flush()`, `nl_ct_flush_zone()`, `nl_ct_flush_tuple()`,
 * `nl_ct_dump_*()`) and `ct_dpif_flush()` in `lib/ct-dpif.c`.
 *
 * Layouts from `<linux/netfilter/nfnetlink.h>` and `<linux/netfilter/nfnetlink_conntrack.h>`:
 * `nlmsg_type` is `subsystem << 8 | command`; after the 16-byte `nlmsghdr` comes
 * `struct nfgenmsg` (4 bytes: u8 nfgen_family, u8 version = NFNETLINK_V0, __be16 res_id), then
 * `CTA_*` attributes. Unlike most netlink families, ctnetlink's integers are big-endian.
 */
import { constants as osConstants } from 'os';
import { formatIpv6, parseIpv6 } from '../genl/addr';
import { attr, attrBe16, attrBe32, attrMap, attrU8 } from '../genl/nlattr';
import { NetlinkError, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_HDRLEN, nlmsgAlign } from '../genl/netlink';
import type { RawNlMsg } from '../genl/netlink';
import { RawNetlinkClient } from '../genl/raw-client';

/** `NETLINK_NETFILTER`, the nfnetlink protocol number (`<linux/netlink.h>`). */
export const NETLINK_NETFILTER = 12;
/** `NFNL_SUBSYS_CTNETLINK`: the conntrack subsystem of nfnetlink. */
export const NFNL_SUBSYS_CTNETLINK = 1;
/** `NFNETLINK_V0`: the only `nfgenmsg.version`. */
export const NFNETLINK_V0 = 0;

/** `enum cntl_msg_types`: a conntrack entry (dump replies and events carry this). */
export const IPCTNL_MSG_CT_NEW = 0;
/** Get one entry, or dump all with NLM_F_DUMP. */
export const IPCTNL_MSG_CT_GET = 1;
/** Delete one entry (by tuple, optionally CTA_ID), or flush the table without a tuple. */
export const IPCTNL_MSG_CT_DELETE = 2;

/** `enum ctattr_type`. */
export const CTA_TUPLE_ORIG = 1;
export const CTA_TUPLE_REPLY = 2;
/** __be32 `IPS_*` status bits. */
export const CTA_STATUS = 3;
/** __be32 seconds left. */
export const CTA_TIMEOUT = 7;
/** __be32 connection mark. */
export const CTA_MARK = 8;
/** __be32 entry id (what makes a delete hit exactly the dumped entry). */
export const CTA_ID = 12;
/** __be16 conntrack zone. */
export const CTA_ZONE = 18;

/** `enum ctattr_tuple`. */
export const CTA_TUPLE_IP = 1;
export const CTA_TUPLE_PROTO = 2;
/** `enum ctattr_ip`. */
export const CTA_IP_V4_SRC = 1;
export const CTA_IP_V4_DST = 2;
export const CTA_IP_V6_SRC = 3;
export const CTA_IP_V6_DST = 4;
/** `enum ctattr_l4proto`. */
export const CTA_PROTO_NUM = 1;
export const CTA_PROTO_SRC_PORT = 2;
export const CTA_PROTO_DST_PORT = 3;
export const CTA_PROTO_ICMP_ID = 4;
export const CTA_PROTO_ICMP_TYPE = 5;
export const CTA_PROTO_ICMP_CODE = 6;
export const CTA_PROTO_ICMPV6_ID = 7;
export const CTA_PROTO_ICMPV6_TYPE = 8;
export const CTA_PROTO_ICMPV6_CODE = 9;

/** Address families (`nfgen_family`, `ct_dpif_tuple.l3_type`). */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;
const NFGENMSG_SIZE = 4;

/**
 * One direction of a connection (OVS `struct ct_dpif_tuple`). Ports and the ICMP id are host
 * numbers; for ICMP/ICMPv6 `icmpId`, `icmpType`, `icmpCode` replace the ports.
 */
export interface CtTuple {
  /** AF_INET or AF_INET6. */
  l3Type: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …). */
  ipProto: number;
  /** Source address as text (`10.0.0.1`, `fe80::1`). */
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  icmpId?: number;
  icmpType?: number;
  icmpCode?: number;
}

/** A conntrack entry as a dump describes it (the fields OVS's `ct_dpif_entry` needs most). */
export interface CtEntry {
  /** `nfgen_family` of the message (AF_INET, AF_INET6). */
  family: number;
  /** CTA_ZONE; 0 when absent. */
  zone: number;
  /** CTA_TUPLE_ORIG. */
  orig: CtTuple;
  /** CTA_TUPLE_REPLY. */
  reply?: CtTuple;
  /** CTA_ID. */
  id?: number;
  /** CTA_STATUS (`IPS_*` bits). */
  status?: number;
  /** CTA_TIMEOUT, seconds. */
  timeout?: number;
  /** CTA_MARK. */
  mark?: number;
  /** The raw CTA_TUPLE_ORIG payload, echoed back by a zone flush's delete (as OVS does). */
  origRaw: Buffer;
}

/**
 * A partial match of `ovs-ofctl ct-flush` (OVS `struct ofp_ct_match`): zero/absent fields are
 * wildcards. Addresses as text; ports and ICMP id host numbers.
 */
export interface CtMatch {
  /** AF_INET / AF_INET6; 0 or absent: any. */
  l3Type?: number;
  /** IP protocol; 0 or absent: any. */
  ipProto?: number;
  orig?: Partial<Omit<CtTuple, 'l3Type' | 'ipProto'>>;
  reply?: Partial<Omit<CtTuple, 'l3Type' | 'ipProto'>>;
}

/** What the daemon needs: OVS `ct_dpif_flush()` (NXT_CT_FLUSH_ZONE / NXT_CT_FLUSH). */
export interface ConntrackFlusher {
  /**
   * Without `zone` and `match`: flush everything; with `zone` only: flush that zone; with a
   * non-empty `match`: flush the matching connections in `zone` (any zone when absent, as OVS's
   * dump-and-compare path; a full 5-tuple goes straight to zone `zone ?? 0`).
   */
  flush(zone?: number, match?: CtMatch): Promise<void>;
}

/**
 * Builds one nfnetlink message: `nlmsghdr` (type `subsys << 8 | cmd`) + `nfgenmsg` + attributes.
 * @param seq `nlmsg_seq`; `pid` the sender's port id (OVS fills in its socket's)
 */
export function encodeNfMsg(cmd: number, flags: number, seq: number, pid: number, family: number, attrs: Buffer[] = [], subsys = NFNL_SUBSYS_CTNETLINK): Buffer {
  const payload = Buffer.concat([Buffer.from([family, NFNETLINK_V0, 0, 0]), ...attrs]);
  const len = NLMSG_HDRLEN + payload.length;
  const out = Buffer.alloc(nlmsgAlign(len));
  out.writeUInt32LE(len, 0);
  out.writeUInt16LE((subsys << 8) | cmd, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq >>> 0, 8);
  out.writeUInt32LE(pid >>> 0, 12);
  payload.copy(out, NLMSG_HDRLEN);
  return out;
}

function ipBytes(family: number, s: string): Buffer {
  if (family === AF_INET) {
    const p = s.split('.').map(Number);
    if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new RangeError(`bad IPv4 address ${s}`);
    return Buffer.from(p);
  }
  const b = family === AF_INET6 ? parseIpv6(s) : undefined;
  if (!b) throw new RangeError(`bad address ${s} for family ${family}`);
  return b;
}

/**
 * Encodes a tuple as the payload of CTA_TUPLE_ORIG/REPLY: CTA_TUPLE_IP and CTA_TUPLE_PROTO nests
 * (OVS `nl_ct_put_ct_tuple()`).
 * @throws RangeError (OVS: EOPNOTSUPP) for a family other than IPv4/IPv6, an L4 protocol other
 *   than TCP/UDP/ICMP/ICMPv6, or bad address text
 */
export function encodeCtTuple(t: CtTuple): Buffer[] {
  const v6 = t.l3Type === AF_INET6;
  if (t.l3Type !== AF_INET && !v6) throw new RangeError(`unsupported L3 type ${t.l3Type}`);
  const ip = attr(CTA_TUPLE_IP, [
    attr(v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, ipBytes(t.l3Type, t.src)),
    attr(v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, ipBytes(t.l3Type, t.dst)),
  ]);
  const proto = [attrU8(CTA_PROTO_NUM, t.ipProto)];
  if (!v6 && t.ipProto === IPPROTO_ICMP) {
    proto.push(attrBe16(CTA_PROTO_ICMP_ID, t.icmpId ?? 0), attrU8(CTA_PROTO_ICMP_TYPE, t.icmpType ?? 0), attrU8(CTA_PROTO_ICMP_CODE, t.icmpCode ?? 0));
  } else if (v6 && t.ipProto === IPPROTO_ICMPV6) {
    proto.push(attrBe16(CTA_PROTO_ICMPV6_ID, t.icmpId ?? 0), attrU8(CTA_PROTO_ICMPV6_TYPE, t.icmpType ?? 0), attrU8(CTA_PROTO_ICMPV6_CODE, t.icmpCode ?? 0));
  } else if (t.ipProto === IPPROTO_TCP || t.ipProto === IPPROTO_UDP) {
    proto.push(attrBe16(CTA_PROTO_SRC_PORT, t.srcPort ?? 0), attrBe16(CTA_PROTO_DST_PORT, t.dstPort ?? 0));
  } else {
    throw new RangeError(`unsupported L4 protocol ${t.ipProto}`);
  }
  return [ip, attr(CTA_TUPLE_PROTO, proto)];
}

/** `nl_ct_flush()`: IPCTNL_MSG_CT_DELETE, AF_UNSPEC, no attributes — the kernel flushes all. */
export function encodeCtFlush(seq: number, pid: number): Buffer {
  return encodeNfMsg(IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, seq, pid, AF_UNSPEC);
}

/** `nl_ct_dump_start()`: IPCTNL_MSG_CT_GET, AF_UNSPEC, NLM_F_DUMP | NLM_F_ACK (as `nl_dump_start()`). */
export function encodeCtDump(seq: number, pid: number): Buffer {
  return encodeNfMsg(IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq, pid, AF_UNSPEC);
}

/**
 * `nl_ct_flush_zone()`'s per-entry delete: family of the entry, CTA_ZONE, the dumped
 * CTA_TUPLE_ORIG payload verbatim and CTA_ID (so a reused tuple is not hit).
 */
export function encodeCtDeleteEntry(e: CtEntry, seq: number, pid: number): Buffer {
  const attrs = [attrBe16(CTA_ZONE, e.zone), attr(CTA_TUPLE_ORIG, e.origRaw)];
  if (e.id !== undefined) attrs.push(attrBe32(CTA_ID, e.id));
  return encodeNfMsg(IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, seq, pid, e.family, attrs);
}

/** `nl_ct_flush_tuple()`: family `tuple.l3Type`, CTA_ZONE, CTA_TUPLE_ORIG built from `tuple`. @throws RangeError as {@link encodeCtTuple} */
export function encodeCtDeleteTuple(zone: number, tuple: CtTuple, seq: number, pid: number): Buffer {
  return encodeNfMsg(IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, seq, pid, tuple.l3Type, [
    attrBe16(CTA_ZONE, zone), attr(CTA_TUPLE_ORIG, encodeCtTuple(tuple)),
  ]);
}

function decodeTuple(family: number, payload: Buffer): CtTuple {
  const a = attrMap(payload);
  const ip = attrMap(a.get(CTA_TUPLE_IP) ?? Buffer.alloc(0));
  const pr = attrMap(a.get(CTA_TUPLE_PROTO) ?? Buffer.alloc(0));
  const v6 = family === AF_INET6;
  const addr = (t: number): string => {
    const b = ip.get(t);
    if (!b) return '';
    return v6 ? formatIpv6(b) : [...b.subarray(0, 4)].join('.');
  };
  const t: CtTuple = {
    l3Type: family,
    ipProto: pr.get(CTA_PROTO_NUM)?.[0] ?? 0,
    src: addr(v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC),
    dst: addr(v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST),
  };
  const be16 = (k: number): number | undefined => pr.get(k)?.readUInt16BE(0);
  const u8 = (k: number): number | undefined => pr.get(k)?.[0];
  const set = (k: keyof CtTuple, v: number | undefined): void => {
    if (v !== undefined) (t as unknown as Record<string, number>)[k] = v;
  };
  set('srcPort', be16(CTA_PROTO_SRC_PORT));
  set('dstPort', be16(CTA_PROTO_DST_PORT));
  set('icmpId', be16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID));
  set('icmpType', u8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE));
  set('icmpCode', u8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE));
  return t;
}

/**
 * Decodes one IPCTNL_MSG_CT_NEW message payload (nfgenmsg + CTA_* attributes) from a dump.
 * @returns the entry, or undefined when it has no CTA_TUPLE_ORIG (OVS skips such messages)
 * @throws RangeError on a payload shorter than nfgenmsg or malformed attributes
 */
export function decodeCtEntry(payload: Buffer): CtEntry | undefined {
  if (payload.length < NFGENMSG_SIZE) throw new RangeError(`ctnetlink payload is ${payload.length} bytes, shorter than struct nfgenmsg`);
  const family = payload[0];
  const a = attrMap(payload.subarray(NFGENMSG_SIZE));
  const orig = a.get(CTA_TUPLE_ORIG);
  if (!orig) return undefined;
  const e: CtEntry = { family, zone: a.get(CTA_ZONE)?.readUInt16BE(0) ?? 0, orig: decodeTuple(family, orig), origRaw: Buffer.from(orig) };
  const reply = a.get(CTA_TUPLE_REPLY);
  if (reply) e.reply = decodeTuple(family, reply);
  const be32 = (k: number): number | undefined => a.get(k)?.readUInt32BE(0);
  const id = be32(CTA_ID);
  if (id !== undefined) e.id = id;
  const status = be32(CTA_STATUS);
  if (status !== undefined) e.status = status;
  const timeout = be32(CTA_TIMEOUT);
  if (timeout !== undefined) e.timeout = timeout;
  const mark = be32(CTA_MARK);
  if (mark !== undefined) e.mark = mark;
  return e;
}

const isIcmp = (proto: number | undefined): boolean => proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6;
const isZeroAddr = (s: string | undefined): boolean => !s || s === '0.0.0.0' || s === '::';

/** OVS `ofp_ct_tuple_is_zero()`. */
function tupleIsZero(t: CtMatch['orig'], proto: number | undefined): boolean {
  return isZeroAddr(t?.src) && isZeroAddr(t?.dst) && (isIcmp(proto) || (!t?.srcPort && !t?.dstPort));
}

/** OVS `ofp_ct_tuple_is_five_tuple()`. */
function tupleIsFive(t: CtMatch['orig'], proto: number | undefined): boolean {
  return !isZeroAddr(t?.src) && !isZeroAddr(t?.dst) && (isIcmp(proto) || (!!t?.srcPort && !!t?.dstPort));
}

/** OVS `ofp_ct_match_is_zero()`: a match that flushes like no match at all. */
export function ctMatchIsZero(m: CtMatch | undefined): boolean {
  return !m || (!m.ipProto && !m.l3Type && tupleIsZero(m.orig, m.ipProto) && tupleIsZero(m.reply, m.ipProto));
}

/** OVS `ct_dpif_tuple_ip_cmp_partial()`: non-zero fields of `p` equal those of `t`. */
function tupleMatches(t: CtTuple | undefined, p: CtMatch['orig'], proto: number | undefined): boolean {
  if (!p) return true;
  const addrEq = (a: string | undefined, b: string): boolean => isZeroAddr(a) || a === b;
  if (!t) return tupleIsZero(p, proto);
  if (!addrEq(p.src, t.src) || !addrEq(p.dst, t.dst)) return false;
  if (isIcmp(proto)) return (p.icmpId ?? 0) === (t.icmpId ?? 0) && (p.icmpType ?? 0) === (t.icmpType ?? 0) && (p.icmpCode ?? 0) === (t.icmpCode ?? 0);
  return (!p.srcPort || p.srcPort === t.srcPort) && (!p.dstPort || p.dstPort === t.dstPort);
}

/** OVS `ct_dpif_entry_cmp()`: does `e` match every non-zero field of `m`? */
export function ctEntryMatches(e: CtEntry, m: CtMatch): boolean {
  if (m.l3Type && m.l3Type !== e.orig.l3Type) return false;
  if (m.ipProto && m.ipProto !== e.orig.ipProto) return false;
  return tupleMatches(e.orig, m.orig, m.ipProto) && tupleMatches(e.reply, m.reply, m.ipProto);
}

/**
 * A ctnetlink socket (`NETLINK_NETFILTER`): flush and dump the kernel connection tracker.
 * Needs CAP_NET_ADMIN; the kernel loads `nf_conntrack_netlink` on first use.
 */
export class ConntrackSocket implements ConntrackFlusher {
  private constructor(private readonly client: RawNetlinkClient) {}

  /**
   * Opens a `NETLINK_NETFILTER` socket (extended ACKs on when the native addon is present).
   * @throws Error when the socket cannot be created (e.g. EPROTONOSUPPORT without nfnetlink)
   */
  static open(): ConntrackSocket {
    return new ConntrackSocket(new RawNetlinkClient(NETLINK_NETFILTER, 'ctnetlink', 1 << 21));
  }

  /** Closes the socket; waiting requests reject with ECANCELED. Idempotent. */
  close(): void {
    this.client.close();
  }

  /** Flushes the whole conntrack table (`nl_ct_flush()`). @throws NetlinkError */
  async ctFlush(): Promise<void> {
    await this.request((seq) => encodeCtFlush(seq, this.client.portId), 'IPCTNL_MSG_CT_DELETE (flush)');
  }

  /**
   * Dumps conntrack entries (`nl_ct_dump_*()`), all families.
   * @param zone only entries of this zone (0 = entries without CTA_ZONE too); all when absent
   * @throws NetlinkError when the dump fails
   */
  async ctDump(zone?: number): Promise<CtEntry[]> {
    const replies = await this.request((seq) => encodeCtDump(seq, this.client.portId), 'IPCTNL_MSG_CT_GET (dump)');
    const out: CtEntry[] = [];
    for (const m of replies) {
      if (m.type !== ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)) continue;
      const e = decodeCtEntry(m.payload);
      if (e && (zone === undefined || e.zone === zone)) out.push(e);
    }
    return out;
  }

  /**
   * Flushes one zone as OVS does on Linux (`nl_ct_flush_zone()`): dump everything, then delete
   * each entry of `zone` by zone + original tuple + id. Entries that vanish meanwhile (ENOENT)
   * are skipped. Zone 0 holds the entries without CTA_ZONE.
   * @throws NetlinkError when the dump or a delete fails otherwise
   */
  async ctFlushZone(zone: number): Promise<void> {
    for (const e of await this.ctDump(zone)) await this.deleteIgnoringEnoent((seq) => encodeCtDeleteEntry(e, seq, this.client.portId), `IPCTNL_MSG_CT_DELETE zone=${zone}`);
  }

  /**
   * Deletes the connection whose original tuple is `tuple` in `zone` (`nl_ct_flush_tuple()`).
   * @throws NetlinkError ENOENT when there is none; RangeError for an unsupported tuple
   */
  async ctFlushTuple(zone: number, tuple: CtTuple): Promise<void> {
    await this.request((seq) => encodeCtDeleteTuple(zone, tuple, seq, this.client.portId), `IPCTNL_MSG_CT_DELETE zone=${zone} ${tuple.src}->${tuple.dst}`);
  }

  /**
   * OVS `ct_dpif_flush()` as `dpif-netlink` runs it; see {@link ConntrackFlusher.flush}. For a
   * partial match, connections are deleted by zone + original tuple (`ct_dpif_flush_tuple()`),
   * skipping ones already gone.
   * @throws NetlinkError; RangeError for a 5-tuple match of an unsupported protocol
   */
  async flush(zone?: number, match?: CtMatch): Promise<void> {
    if (match && !ctMatchIsZero(match)) {
      const proto = match.ipProto ?? 0;
      if (tupleIsFive(match.orig, proto) && tupleIsZero(match.reply, proto)) {
        const o = match.orig ?? {};
        const l3Type = match.l3Type || (o.src?.includes(':') ? AF_INET6 : AF_INET);
        await this.ctFlushTuple(zone ?? 0, { ...o, l3Type, ipProto: proto, src: o.src ?? '', dst: o.dst ?? '' });
        return;
      }
      for (const e of await this.ctDump(zone)) {
        if (ctEntryMatches(e, match)) await this.deleteIgnoringEnoent((seq) => encodeCtDeleteTuple(e.zone, e.orig, seq, this.client.portId), `IPCTNL_MSG_CT_DELETE zone=${e.zone}`);
      }
    } else if (zone !== undefined) {
      await this.ctFlushZone(zone);
    } else {
      await this.ctFlush();
    }
  }

  private async deleteIgnoringEnoent(build: (seq: number) => Buffer, context: string): Promise<void> {
    try {
      await this.request(build, context);
    } catch (e) {
      if (!(e instanceof NetlinkError && e.errno === osConstants.errno.ENOENT)) throw e;
    }
  }

  private request(build: (seq: number) => Buffer, context: string): Promise<RawNlMsg[]> {
    return this.client.request((seq: number) => build(seq), context);
  }
}
