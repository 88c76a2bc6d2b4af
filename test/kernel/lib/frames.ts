/**
 * Packets on the wire for kernel tests: builders for the Ethernet frames a test sends (Ethernet,
 * 802.1Q, ARP, IPv4, UDP, ICMP, MPLS — RFC 894/826/791/768/792, IEEE 802.1Q, RFC 3032), a
 * sender that puts them on a namespace's interface through an `AF_PACKET` socket, and a capture
 * (tcpdump writing pcap) with a pcap reader, so a test can compare what left the switch byte for
 * byte.
 *
 * Sending uses Debian's python3 (Node has no `AF_PACKET`); capturing uses tcpdump. Both exist
 * in the guest, which shares the host's filesystem.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';

import { nsExec, scaled, sleep } from './env';

/** Bytes of a MAC address written `aa:bb:cc:dd:ee:ff`. */
export function macBytes(mac: string): Buffer {
  const b = Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
  if (b.length !== 6) throw new RangeError(`bad MAC ${mac}`);
  return b;
}

/** Bytes of a dotted IPv4 address. */
export function ipv4Bytes(ip: string): Buffer {
  const b = Buffer.from(ip.split('.').map(Number));
  if (b.length !== 4) throw new RangeError(`bad IPv4 address ${ip}`);
  return b;
}

/** The Internet checksum (RFC 1071) of `b`. */
export function inetChecksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One 802.1Q tag: VLAN id, priority, TPID (default 0x8100). */
export interface VlanTag {
  vid: number;
  pcp?: number;
  tpid?: number;
}

/**
 * An Ethernet II frame: `dst`, `src`, optional VLAN tags (outermost first), Ethertype and payload,
 * padded to the 60-byte minimum (without FCS).
 */
export function ether(dst: string, src: string, ethType: number, payload: Buffer, vlans: VlanTag[] = []): Buffer {
  const tags = vlans.map((v) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(v.tpid ?? 0x8100, 0);
    t.writeUInt16BE(((v.pcp ?? 0) << 13) | (v.vid & 0xfff), 2);
    return t;
  });
  const type = Buffer.alloc(2);
  type.writeUInt16BE(ethType, 0);
  const f = Buffer.concat([macBytes(dst), macBytes(src), ...tags, type, payload]);
  return f.length >= 60 ? f : Buffer.concat([f, Buffer.alloc(60 - f.length)]);
}

/** An ARP request/reply payload for IPv4 over Ethernet (RFC 826); `op` 1 = request, 2 = reply. */
export function arp(op: number, sha: string, spa: string, tha: string, tpa: string): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(1, 0);
  h.writeUInt16BE(0x0800, 2);
  h[4] = 6;
  h[5] = 4;
  h.writeUInt16BE(op, 6);
  return Buffer.concat([h, macBytes(sha), ipv4Bytes(spa), macBytes(tha), ipv4Bytes(tpa)]);
}

/** Fields of an IPv4 header that tests vary. */
export interface Ipv4Options {
  ttl?: number;
  tos?: number;
  id?: number;
  /** Don't Fragment; default false */
  df?: boolean;
}

/** An IPv4 packet (RFC 791, no options) with a correct header checksum. */
export function ipv4(src: string, dst: string, proto: number, payload: Buffer, o: Ipv4Options = {}): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h[1] = o.tos ?? 0;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(o.id ?? 1, 4);
  h.writeUInt16BE(o.df ? 0x4000 : 0, 6);
  h[8] = o.ttl ?? 64;
  h[9] = proto;
  ipv4Bytes(src).copy(h, 12);
  ipv4Bytes(dst).copy(h, 16);
  h.writeUInt16BE(inetChecksum(h), 10);
  return Buffer.concat([h, payload]);
}

/** A UDP datagram (RFC 768) with checksum 0 (none, allowed over IPv4). */
export function udp(sport: number, dport: number, data: Buffer = Buffer.alloc(8)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + data.length, 4);
  return Buffer.concat([h, data]);
}

/** An ICMP echo request (type 8) or reply (type 0) with its checksum (RFC 792). */
export function icmpEcho(type: 0 | 8, id: number, seq: number, data: Buffer = Buffer.alloc(16, 0x5a)): Buffer {
  const m = Buffer.concat([Buffer.from([type, 0, 0, 0, id >> 8, id & 0xff, seq >> 8, seq & 0xff]), data]);
  m.writeUInt16BE(inetChecksum(m), 2);
  return m;
}

/** One MPLS label stack entry (RFC 3032): label, traffic class, bottom of stack, TTL. */
export function mplsLse(label: number, tc: number, bos: boolean, ttl: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(((label & 0xfffff) << 12) | ((tc & 7) << 9) | (bos ? 1 << 8 : 0) | (ttl & 0xff), 0);
  return b;
}

/** Ethertypes and IP protocols the builders' callers use. */
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_MPLS_UC = 0x8847;
export const IPPROTO_ICMP = 1;
export const IPPROTO_UDP = 17;

const SENDER = [
  'import socket, sys, binascii, time',
  's = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)',
  's.bind((sys.argv[1], 0))',
  'gap = float(sys.argv[2])',
  'for h in sys.argv[3:]:',
  '    s.send(binascii.unhexlify(h))',
  '    time.sleep(gap)',
].join('\n');

/**
 * Sends `frames` out of interface `ifname` in namespace `ns`, in order, `gapMs` apart (after
 * each), through an `AF_PACKET` socket: the frames enter the switch exactly as built.
 * @throws ShError when python3 fails (no such interface, not root)
 */
export async function sendFrames(ns: string, ifname: string, frames: readonly Buffer[], gapMs: number): Promise<void> {
  await nsExec(ns, ['python3', '-c', SENDER, ifname, String(gapMs / 1000), ...frames.map((f) => f.toString('hex'))], {
    check: true,
    timeoutMs: scaled(30_000) + frames.length * gapMs,
  });
}

/** One captured frame: its time (µs since the epoch, the guest's clock) and bytes. */
export interface CapturedFrame {
  tsUs: number;
  data: Buffer;
}

/**
 * Reads a classic pcap file (microsecond or nanosecond, either byte order).
 * @throws Error on a file that is not pcap
 */
export function readPcap(file: string): CapturedFrame[] {
  const b = fs.readFileSync(file);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const be = b.readUInt32BE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b23c4d;
  if (!le && !be) throw new Error(`${file}: not a pcap file`);
  const nano = (le ? magic : b.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const out: CapturedFrame[] = [];
  for (let o = 24; o + 16 <= b.length;) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    if (o + 16 + incl > b.length) break;
    out.push({ tsUs: sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac), data: Buffer.from(b.subarray(o + 16, o + 16 + incl)) });
    o += 16 + incl;
  }
  return out;
}

/** A running tcpdump on one interface; see {@link startCapture}. */
export interface Capture {
  readonly file: string;
  /** Stops tcpdump (SIGINT, so it flushes) and returns every frame it saw. */
  stop(): Promise<CapturedFrame[]>;
}

/**
 * Starts `tcpdump -Q in -U -w FILE` on interface `ifname` of namespace `ns` (the frames the
 * interface receives, i.e. what the switch sent it; 256 bytes each) and resolves once it listens.
 * @throws Error when tcpdump exits or does not report listening in time
 */
export async function startCapture(ns: string, ifname: string, file: string): Promise<Capture> {
  fs.rmSync(file, { force: true });
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', ifname, '-Q', 'in', '-U', '-nn', '-s', '256', '-w', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump on ${ns}/${ifname} did not start: ${err}`)), scaled(20_000));
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(t);
      reject(new Error(`tcpdump on ${ns}/${ifname} exited: ${err}`));
    });
  });
  return {
    file,
    async stop() {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), scaled(5_000));
      await exited;
      clearTimeout(t);
      await sleep(10);
      return readPcap(file);
    },
  };
}
