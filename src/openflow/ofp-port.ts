/**
 * Port messages: port descriptions (in FEATURES_REPLY, PORT_STATUS and the PORT_DESC multipart
 * reply), PORT_MOD, port statistics, queue statistics and queue configuration, for OpenFlow
 * 1.0–1.5 — the formats of OVS 3.1's lib/ofp-port.c and lib/ofp-queue.c.
 *
 * Internal representation (OVS's `ofputil_phy_port` & co.):
 *  - port numbers are 16-bit (common.ts); 32-bit wire ports outside the mappable range are
 *    rejected with OFPBAC_BAD_OUT_PORT, as OVS does;
 *  - `config` uses OFPUTIL_PC_* bits (OpenFlow 1.0 `ofp_port_config` layout), `state` uses
 *    OFPUTIL_PS_* bits (1.0 STP field in bits 8–9, 1.1 BLOCKED/LIVE in bits 1–2); each version
 *    keeps only the bits it defines;
 *  - feature sets (curr, advertised, supported, peer) use NETDEV_F_* bits, which are OpenFlow
 *    1.1's `ofp_port_features`; OpenFlow 1.0 moves bits 11–15 down to 7–11;
 *  - speeds are kbps; counters are bigint with 2^64-1 meaning "unknown"; durations use
 *    0xffffffff for "unknown".
 */

import { OFP10_VERSION, OFP12_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION, OFPP_ALL, OFPP_ANY, OFPP_MAX,
  ofp10PortToOfp11, ofp11PortToOfp10 } from './common';
import { OfpError } from './ofp-errors';
import {
  OfpMsg, encodeMsg, encodeMultipartReply, encodeProperty, encodePropU16, encodePropU32, ofpRawFor,
  propU16, propU32, pullProperties, rawReplyFor, unknownProperty,
} from './ofp-msgs';

/** OFPUTIL_PC_*: port config bits (OpenFlow 1.0 §5.2.1 `ofp_port_config`). */
export const OFPUTIL_PC_PORT_DOWN = 1 << 0;
export const OFPUTIL_PC_NO_STP = 1 << 1;
export const OFPUTIL_PC_NO_RECV = 1 << 2;
export const OFPUTIL_PC_NO_RECV_STP = 1 << 3;
export const OFPUTIL_PC_NO_FLOOD = 1 << 4;
export const OFPUTIL_PC_NO_FWD = 1 << 5;
export const OFPUTIL_PC_NO_PACKET_IN = 1 << 6;
/** The config bits each version carries (OFPPC10_ALL, OFPPC11_ALL). */
const OFPPC10_ALL = 0x7f;
const OFPPC11_ALL = OFPUTIL_PC_PORT_DOWN | OFPUTIL_PC_NO_RECV | OFPUTIL_PC_NO_FWD | OFPUTIL_PC_NO_PACKET_IN;

/** OFPUTIL_PS_*: port state bits. */
export const OFPUTIL_PS_LINK_DOWN = 1 << 0;
export const OFPUTIL_PS_BLOCKED = 1 << 1;
export const OFPUTIL_PS_LIVE = 1 << 2;
export const OFPUTIL_PS_STP_LISTEN = 0 << 8;
export const OFPUTIL_PS_STP_LEARN = 1 << 8;
export const OFPUTIL_PS_STP_FORWARD = 2 << 8;
export const OFPUTIL_PS_STP_BLOCK = 3 << 8;
export const OFPUTIL_PS_STP_MASK = 3 << 8;
/** The state bits each version carries (OFPPS10_ALL, OFPPS11_ALL). */
const OFPPS10_ALL = OFPUTIL_PS_LINK_DOWN | OFPUTIL_PS_STP_MASK;
const OFPPS11_ALL = OFPUTIL_PS_LINK_DOWN | OFPUTIL_PS_BLOCKED | OFPUTIL_PS_LIVE;

/** NETDEV_F_*: port feature bits (OpenFlow 1.1 §A.2.1 `ofp_port_features`). */
export const NETDEV_F_10MB_HD = 1 << 0;
export const NETDEV_F_10MB_FD = 1 << 1;
export const NETDEV_F_100MB_HD = 1 << 2;
export const NETDEV_F_100MB_FD = 1 << 3;
export const NETDEV_F_1GB_HD = 1 << 4;
export const NETDEV_F_1GB_FD = 1 << 5;
export const NETDEV_F_10GB_FD = 1 << 6;
export const NETDEV_F_40GB_FD = 1 << 7;
export const NETDEV_F_100GB_FD = 1 << 8;
export const NETDEV_F_1TB_FD = 1 << 9;
export const NETDEV_F_OTHER = 1 << 10;
export const NETDEV_F_COPPER = 1 << 11;
export const NETDEV_F_FIBER = 1 << 12;
export const NETDEV_F_AUTONEG = 1 << 13;
export const NETDEV_F_PAUSE = 1 << 14;
export const NETDEV_F_PAUSE_ASYM = 1 << 15;

/** `ofp_port_status.reason` (OpenFlow 1.0 §5.4.3). */
export const OFPPR_ADD = 0;
export const OFPPR_DELETE = 1;
export const OFPPR_MODIFY = 2;

/** Property types of OpenFlow 1.4 port messages. */
const OFPPDPT14_ETHERNET = 0;
const OFPPMPT14_ETHERNET = 0;
const OFPPSPT14_ETHERNET = 0;
const OFPQDPT14_MIN_RATE = 1;
const OFPQDPT14_MAX_RATE = 2;
/** Intel's port statistics experimenter properties (include/openflow/intel-ext.h). */
const INTEL_VENDOR_ID = 0x0000aa01;
const INTEL_PORT_STATS_RFC2819 = 1;
const INTEL_PORT_STATS_CUSTOM = 2;
/** OpenFlow 1.0–1.3 queue property types. */
const OFPQT10_MIN_RATE = 1;
const OFPQT11_MAX_RATE = 2;
/** `OFPQ_ALL`: all queues. */
export const OFPQ_ALL = 0xffffffff;
/** "Unknown" values of counters and durations. */
export const STATS_UNKNOWN = 0xffffffffffffffffn;
export const DURATION_UNKNOWN = 0xffffffff;
/** A queue rate (tenths of a percent) that is not configured. */
export const QUEUE_RATE_NONE = 0xffff;

/** A port description (OVS `ofputil_phy_port`). */
export interface PortDesc {
  /** 16-bit internal port number. */
  portNo: number;
  /** "aa:bb:cc:dd:ee:ff". */
  hwAddr: string;
  /** At most 15 bytes survive on the wire. */
  name: string;
  /** OFPUTIL_PC_* bits. */
  config: number;
  /** OFPUTIL_PS_* bits. */
  state: number;
  /** NETDEV_F_* bits. */
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  /** kbps. */
  currSpeed: number;
  maxSpeed: number;
}

/** Formats 6 bytes as "aa:bb:cc:dd:ee:ff". */
export function macToString(b: Buffer): string {
  return [...b.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Parses "aa:bb:cc:dd:ee:ff" into 6 bytes. @throws RangeError on anything else. */
export function macFromString(s: string): Buffer {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new RangeError(`bad MAC address ${s}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

const badOutPort = (port: number) =>
  new OfpError('OFPBAC_BAD_OUT_PORT',
    `port ${port} is outside the supported range 0 through 65279 or 0xffffff00 through 0xffffffff`);

/** 32-bit wire port → 16-bit port (ofputil_port_from_ofp11). @throws OfpError OFPBAC_BAD_OUT_PORT */
export function portFromOfp11(port: number): number {
  const p = ofp11PortToOfp10(port);
  if (p === undefined) throw badOutPort(port);
  return p;
}

/** Reads a 16-byte NUL-padded name as ovs_strlcpy does: at most 15 bytes, up to the first NUL. */
function readName(buf: Buffer, off: number): string {
  const field = buf.subarray(off, off + 15);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

function writeName(buf: Buffer, off: number, name: string): void {
  Buffer.from(name, 'utf8').subarray(0, 15).copy(buf, off);
}

const featuresFromOfp10 = (f: number): number => (f & 0x7f) | ((f & 0xf80) << 4);
const featuresToOfp10 = (f: number): number => (f & 0x7f) | ((f & 0xf800) >>> 4);

/** The highest speed a feature set claims, in kbps (netdev_features_to_bps / 1000), else 0. */
export function featuresToKbps(f: number): number {
  if (f & NETDEV_F_1TB_FD) return 1_000_000_000;
  if (f & NETDEV_F_100GB_FD) return 100_000_000;
  if (f & NETDEV_F_40GB_FD) return 40_000_000;
  if (f & NETDEV_F_10GB_FD) return 10_000_000;
  if (f & (NETDEV_F_1GB_HD | NETDEV_F_1GB_FD)) return 1_000_000;
  if (f & (NETDEV_F_100MB_HD | NETDEV_F_100MB_FD)) return 100_000;
  if (f & (NETDEV_F_10MB_HD | NETDEV_F_10MB_FD)) return 10_000;
  return 0;
}

/** Wire sizes of the fixed port structures. */
const OFP10_PHY_PORT_LEN = 48;
const OFP11_PORT_LEN = 64;
const OFP14_PORT_LEN = 40;
const OFP14_PORT_ETHERNET_LEN = 32;

/**
 * Encodes one port description for `version` (ofputil_put_phy_port): `ofp10_phy_port` (48
 * bytes, 1.0), `ofp11_port` (64 bytes, 1.1–1.3) or `ofp14_port` plus its ethernet property (72
 * bytes, 1.4+). Config/state bits the version lacks are dropped.
 */
export function encodePort(version: number, p: PortDesc): Buffer {
  const mac = macFromString(p.hwAddr);
  if (version === OFP10_VERSION) {
    const b = Buffer.alloc(OFP10_PHY_PORT_LEN);
    b.writeUInt16BE(p.portNo, 0);
    mac.copy(b, 2);
    writeName(b, 8, p.name);
    b.writeUInt32BE(p.config & OFPPC10_ALL, 24);
    b.writeUInt32BE(p.state & OFPPS10_ALL, 28);
    [p.curr, p.advertised, p.supported, p.peer].forEach((f, i) => b.writeUInt32BE(featuresToOfp10(f), 32 + 4 * i));
    return b;
  }
  const ethernet = Buffer.alloc(24);
  [p.curr, p.advertised, p.supported, p.peer, p.currSpeed, p.maxSpeed].forEach((v, i) => ethernet.writeUInt32BE(v >>> 0, 4 * i));
  if (version < OFP14_VERSION) {
    const b = Buffer.alloc(OFP11_PORT_LEN);
    b.writeUInt32BE(ofp10PortToOfp11(p.portNo), 0);
    mac.copy(b, 8);
    writeName(b, 16, p.name);
    b.writeUInt32BE(p.config & OFPPC11_ALL, 32);
    b.writeUInt32BE(p.state & OFPPS11_ALL, 36);
    ethernet.copy(b, 40);
    return b;
  }
  const prop = encodeProperty(OFPPDPT14_ETHERNET, Buffer.concat([Buffer.alloc(4), ethernet]));
  const b = Buffer.alloc(OFP14_PORT_LEN);
  b.writeUInt32BE(ofp10PortToOfp11(p.portNo), 0);
  b.writeUInt16BE(OFP14_PORT_LEN + prop.length, 4);
  mac.copy(b, 8);
  writeName(b, 16, p.name);
  b.writeUInt32BE(p.config & OFPPC11_ALL, 32);
  b.writeUInt32BE(p.state & OFPPS11_ALL, 36);
  return Buffer.concat([b, prop]);
}

/**
 * Decodes the port description at `buf[off]` (ofputil_pull_phy_port).
 * @returns the port and the bytes it used, or `undefined` when fewer bytes remain than a
 *          1.0–1.3 port needs (OVS stops there) or none remain (1.4+).
 * @throws OfpError OFPBAC_BAD_OUT_PORT for an unmappable port number, OFPBRC_BAD_LEN for a bad
 *         OpenFlow 1.4 port length, OFPBPC_* for malformed 1.4 properties (unknown ones are
 *         ignored).
 */
export function decodePort(version: number, buf: Buffer, off: number): { port: PortDesc; length: number } | undefined {
  const left = buf.length - off;
  if (version === OFP10_VERSION) {
    if (left < OFP10_PHY_PORT_LEN) return undefined;
    const f = [0, 1, 2, 3].map((i) => featuresFromOfp10(buf.readUInt32BE(off + 32 + 4 * i)));
    return {
      port: {
        portNo: buf.readUInt16BE(off), hwAddr: macToString(buf.subarray(off + 2)), name: readName(buf, off + 8),
        config: buf.readUInt32BE(off + 24) & OFPPC10_ALL, state: buf.readUInt32BE(off + 28) & OFPPS10_ALL,
        curr: f[0], advertised: f[1], supported: f[2], peer: f[3],
        currSpeed: featuresToKbps(f[0]), maxSpeed: featuresToKbps(f[2]),
      },
      length: OFP10_PHY_PORT_LEN,
    };
  }
  const common = (): PortDesc => ({
    portNo: portFromOfp11(buf.readUInt32BE(off)), hwAddr: macToString(buf.subarray(off + 8)), name: readName(buf, off + 16),
    config: buf.readUInt32BE(off + 32) & OFPPC11_ALL, state: buf.readUInt32BE(off + 36) & OFPPS11_ALL,
    curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0,
  });
  const readEthernet = (port: PortDesc, from: Buffer, at: number) => {
    [port.curr, port.advertised, port.supported, port.peer] = [0, 1, 2, 3].map((i) => from.readUInt32BE(at + 4 * i) & 0xffff);
    port.currSpeed = from.readUInt32BE(at + 16);
    port.maxSpeed = from.readUInt32BE(at + 20);
  };
  if (version < OFP14_VERSION) {
    if (left < OFP11_PORT_LEN) return undefined;
    const port = common();
    readEthernet(port, buf, off + 40);
    return { port, length: OFP11_PORT_LEN };
  }
  if (left <= 0) return undefined;
  if (left < OFP14_PORT_LEN) throw new OfpError('OFPBRC_BAD_LEN', `${left} bytes left for a ${OFP14_PORT_LEN}-byte ofp14_port`);
  const len = buf.readUInt16BE(off + 4);
  if (len < OFP14_PORT_LEN || len > left) throw new OfpError('OFPBRC_BAD_LEN', `ofp14_port has bad length ${len}`);
  const port = common();
  for (const prop of pullProperties(buf.subarray(off + OFP14_PORT_LEN, off + len))) {
    if (prop.type === OFPPDPT14_ETHERNET && !prop.experimenter) {
      if (prop.data.length !== OFP14_PORT_ETHERNET_LEN) {
        throw new OfpError('OFPBPC_BAD_LEN', `port ethernet property of ${prop.data.length} bytes`);
      }
      readEthernet(port, prop.data, 8);
    } else {
      unknownProperty(prop, true, 'port');
    }
  }
  return { port, length: len };
}

/** Decodes every port description in `buf` (a FEATURES_REPLY's tail or a PORT_DESC reply body). */
export function decodePorts(version: number, buf: Buffer): PortDesc[] {
  const ports: PortDesc[] = [];
  for (let off = 0; ;) {
    const r = decodePort(version, buf, off);
    if (!r) return ports;
    ports.push(r.port);
    off += r.length;
  }
}

/**
 * Decodes an OFPST_PORT_DESC / OFPMP_PORT_DESC request (ofputil_decode_port_desc_stats_request).
 * @returns the port asked about: OFPP_ANY before OpenFlow 1.5, which has no port field.
 * @throws OfpError OFPBAC_BAD_OUT_PORT
 */
export function decodePortDescRequest(msg: OfpMsg): { portNo: number } {
  return { portNo: msg.raw === 'OFPST15_PORT_DESC_REQUEST' ? portFromOfp11(msg.body.readUInt32BE(0)) : OFPP_ANY };
}

/** Encodes a port description request (OpenFlow 1.5 names a port; earlier versions ask for all). */
export function encodePortDescRequest(version: number, xid: number, portNo = OFPP_ANY): Buffer {
  if (version < OFP15_VERSION) return encodeMsg('OFPST10_PORT_DESC_REQUEST', version, xid, Buffer.alloc(0));
  const body = Buffer.alloc(8);
  body.writeUInt32BE(ofp10PortToOfp11(portNo), 0);
  return encodeMsg('OFPST15_PORT_DESC_REQUEST', version, xid, body);
}

/** Encodes the reply to a port description request: one or more multipart messages. */
export function encodePortDescReply(request: OfpMsg, ports: PortDesc[]): Buffer[] {
  const items = ports.map((p) => encodePort(request.version, p));
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid, items);
}

/** A PORT_STATUS message's content (OVS `ofputil_port_status`). */
export interface PortStatus { reason: number; desc: PortDesc }

/** Encodes an asynchronous OFPT_PORT_STATUS (xid 0 unless given) for `version`. */
export function encodePortStatus(version: number, ps: PortStatus, xid = 0): Buffer {
  const head = Buffer.alloc(8);
  head[0] = ps.reason;
  return encodeMsg(ofpRawFor('PORT_STATUS', version)!, version, xid, Buffer.concat([head, encodePort(version, ps.desc)]));
}

/**
 * Decodes an OFPT_PORT_STATUS (ofputil_decode_port_status).
 * @throws OfpError NXBRC_BAD_REASON for a reason other than ADD/DELETE/MODIFY, or the errors of
 *         `decodePort`.
 */
export function decodePortStatus(msg: OfpMsg): PortStatus {
  const reason = msg.body[0];
  if (reason !== OFPPR_ADD && reason !== OFPPR_DELETE && reason !== OFPPR_MODIFY) {
    throw new OfpError('NXBRC_BAD_REASON', `port status reason ${reason}`);
  }
  const r = decodePort(msg.version, msg.body, 8);
  if (!r) throw new OfpError('OFPBRC_BAD_LEN', 'port status without a port');
  return { reason, desc: r.port };
}

/** A PORT_MOD request (OVS `ofputil_port_mod`); `config` has already been masked by `mask`. */
export interface PortMod {
  portNo: number;
  hwAddr: string;
  /** OFPUTIL_PC_* bits to set, only within `mask`. */
  config: number;
  mask: number;
  /** NETDEV_F_* bits to advertise; 0 = leave unchanged. */
  advertise: number;
}

/**
 * Decodes an OFPT_PORT_MOD (ofputil_decode_port_mod).
 * @param loose ignore unknown OpenFlow 1.4 properties instead of rejecting them (OVS's switch
 *        side is strict).
 * @throws OfpError OFPBAC_BAD_OUT_PORT, OFPBPC_* (1.4+ properties; an unknown one is
 *         OFPBPC_BAD_TYPE / OFPBPC_BAD_EXP_TYPE unless loose).
 */
export function decodePortMod(msg: OfpMsg, loose = false): PortMod {
  const b = msg.body;
  let pm: PortMod;
  if (msg.version === OFP10_VERSION) {
    pm = {
      portNo: b.readUInt16BE(0), hwAddr: macToString(b.subarray(2)), config: b.readUInt32BE(8) & OFPPC10_ALL,
      mask: b.readUInt32BE(12) & OFPPC10_ALL, advertise: featuresFromOfp10(b.readUInt32BE(16)),
    };
  } else {
    pm = {
      portNo: portFromOfp11(b.readUInt32BE(0)), hwAddr: macToString(b.subarray(8)), config: b.readUInt32BE(16) & OFPPC11_ALL,
      mask: b.readUInt32BE(20) & OFPPC11_ALL, advertise: 0,
    };
    if (msg.version < OFP14_VERSION) {
      pm.advertise = b.readUInt32BE(24) & 0xffff;
    } else {
      for (const prop of pullProperties(b.subarray(24))) {
        if (prop.type === OFPPMPT14_ETHERNET && !prop.experimenter) pm.advertise = propU32(prop) & 0xffff;
        else unknownProperty(prop, loose, 'port_mod');
      }
    }
  }
  pm.config &= pm.mask;
  return pm;
}

/** Encodes an OFPT_PORT_MOD for `version` (ofputil_encode_port_mod). */
export function encodePortMod(pm: PortMod, version: number, xid: number): Buffer {
  const mac = macFromString(pm.hwAddr);
  if (version === OFP10_VERSION) {
    const b = Buffer.alloc(24);
    b.writeUInt16BE(pm.portNo, 0);
    mac.copy(b, 2);
    b.writeUInt32BE(pm.config & OFPPC10_ALL, 8);
    b.writeUInt32BE(pm.mask & OFPPC10_ALL, 12);
    b.writeUInt32BE(featuresToOfp10(pm.advertise), 16);
    return encodeMsg('OFPT10_PORT_MOD', version, xid, b);
  }
  const b = Buffer.alloc(version < OFP14_VERSION ? 32 : 24);
  b.writeUInt32BE(ofp10PortToOfp11(pm.portNo), 0);
  mac.copy(b, 8);
  b.writeUInt32BE(pm.config & OFPPC11_ALL, 16);
  b.writeUInt32BE(pm.mask & OFPPC11_ALL, 20);
  if (version < OFP14_VERSION) {
    b.writeUInt32BE(pm.advertise & 0xffff, 24);
    return encodeMsg('OFPT11_PORT_MOD', version, xid, b);
  }
  const props = pm.advertise ? encodePropU32(OFPPMPT14_ETHERNET, pm.advertise & 0xffff) : Buffer.alloc(0);
  return encodeMsg('OFPT14_PORT_MOD', version, xid, Buffer.concat([b, props]));
}

/** The counters of `ofp1x_port_stats`, in wire order. */
const PORT_COUNTERS = ['rxPackets', 'txPackets', 'rxBytes', 'txBytes', 'rxDropped', 'txDropped', 'rxErrors', 'txErrors'] as const;
/** The OpenFlow 1.0–1.3 trailing counters, which OpenFlow 1.4 moved into the ethernet property. */
const ETHERNET_COUNTERS = ['rxFrameErrors', 'rxOverErrors', 'rxCrcErrors', 'collisions'] as const;
/** Intel's RFC 2819 counters (`intel_port_stats_rfc2819`), in wire order. */
export const RFC2819_COUNTERS = [
  'rx1To64Packets', 'rx65To127Packets', 'rx128To255Packets', 'rx256To511Packets', 'rx512To1023Packets',
  'rx1024To1522Packets', 'rx1523ToMaxPackets', 'tx1To64Packets', 'tx65To127Packets', 'tx128To255Packets',
  'tx256To511Packets', 'tx512To1023Packets', 'tx1024To1522Packets', 'tx1523ToMaxPackets', 'txMulticastPackets',
  'rxBroadcastPackets', 'txBroadcastPackets', 'rxUndersizedErrors', 'rxOversizeErrors', 'rxFragmentedErrors',
  'rxJabberErrors',
] as const;

type PortCounter = typeof PORT_COUNTERS[number] | typeof ETHERNET_COUNTERS[number];
export type Rfc2819Counter = typeof RFC2819_COUNTERS[number];

/** One port's statistics (OVS `ofputil_port_stats`); unknown counters are STATS_UNKNOWN. */
export type PortStats = { portNo: number; durationSec: number; durationNsec: number } & Record<PortCounter, bigint> & {
  /** RFC 2819 counters (OpenFlow 1.4+ only, Intel property); absent = all unknown. */
  rfc2819?: Partial<Record<Rfc2819Counter, bigint>>;
  /** Driver-specific named counters (OpenFlow 1.4+ only, Intel property). */
  custom?: { name: string; value: bigint }[];
};

/**
 * Decodes a port statistics request (ofputil_decode_port_stats_request): OFPP_NONE/OFPP_ANY asks
 * for all ports. @throws OfpError OFPBAC_BAD_OUT_PORT
 */
export function decodePortStatsRequest(msg: OfpMsg): { portNo: number } {
  return { portNo: msg.version === OFP10_VERSION ? msg.body.readUInt16BE(0) : portFromOfp11(msg.body.readUInt32BE(0)) };
}

/** Encodes a port statistics request. */
export function encodePortStatsRequest(version: number, xid: number, portNo: number): Buffer {
  const body = Buffer.alloc(8);
  if (version === OFP10_VERSION) body.writeUInt16BE(portNo, 0);
  else body.writeUInt32BE(ofp10PortToOfp11(portNo), 0);
  return encodeMsg(version === OFP10_VERSION ? 'OFPST10_PORT_REQUEST' : 'OFPST11_PORT_REQUEST', version, xid, body);
}

function encodePortStatsEntry(version: number, s: PortStats): Buffer {
  if (version < OFP14_VERSION) {
    const fixed = version >= OFP13_VERSION ? 112 : 104;
    const b = Buffer.alloc(fixed);
    if (version === OFP10_VERSION) b.writeUInt16BE(s.portNo, 0);
    else b.writeUInt32BE(ofp10PortToOfp11(s.portNo), 0);
    [...PORT_COUNTERS, ...ETHERNET_COUNTERS].forEach((c, i) => b.writeBigUInt64BE(s[c], 8 + 8 * i));
    if (fixed === 112) {
      b.writeUInt32BE(s.durationSec >>> 0, 104);
      b.writeUInt32BE(s.durationNsec >>> 0, 108);
    }
    return b;
  }
  const b = Buffer.alloc(80);
  b.writeUInt32BE(ofp10PortToOfp11(s.portNo), 4);
  b.writeUInt32BE(s.durationSec >>> 0, 8);
  b.writeUInt32BE(s.durationNsec >>> 0, 12);
  PORT_COUNTERS.forEach((c, i) => b.writeBigUInt64BE(s[c], 16 + 8 * i));
  const eth = Buffer.alloc(36);
  ETHERNET_COUNTERS.forEach((c, i) => eth.writeBigUInt64BE(s[c], 4 + 8 * i));
  const rfc = Buffer.alloc(4 + 8 * RFC2819_COUNTERS.length);
  RFC2819_COUNTERS.forEach((c, i) => rfc.writeBigUInt64BE(s.rfc2819?.[c] ?? STATS_UNKNOWN, 4 + 8 * i));
  const parts = [b, encodeProperty(OFPPSPT14_ETHERNET, eth),
    encodeProperty(0xffff, rfc, { experimenter: INTEL_VENDOR_ID, expType: INTEL_PORT_STATS_RFC2819 })];
  if (s.custom?.length) {
    const counters = s.custom.map(({ name, value }) => {
      const n = Buffer.from(name, 'utf8').subarray(0, 255);
      const v = Buffer.alloc(8);
      v.writeBigUInt64BE(value);
      return Buffer.concat([Buffer.from([n.length]), n, v]);
    });
    const head = Buffer.alloc(4);
    head.writeUInt16BE(s.custom.length, 2);
    parts.push(encodeProperty(0xffff, Buffer.concat([head, ...counters]),
      { experimenter: INTEL_VENDOR_ID, expType: INTEL_PORT_STATS_CUSTOM }));
  }
  const entry = Buffer.concat(parts);
  entry.writeUInt16BE(entry.length, 0);
  return entry;
}

/** Encodes the reply to a port statistics request: one or more multipart messages. */
export function encodePortStatsReply(request: OfpMsg, stats: PortStats[]): Buffer[] {
  const items = stats.map((s) => encodePortStatsEntry(request.version, s));
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid, items);
}

function emptyPortStats(portNo: number): PortStats {
  const s = { portNo, durationSec: DURATION_UNKNOWN, durationNsec: DURATION_UNKNOWN } as PortStats;
  for (const c of [...PORT_COUNTERS, ...ETHERNET_COUNTERS]) s[c] = STATS_UNKNOWN;
  return s;
}

function decodeRfc2819(payload: Buffer): Partial<Record<Rfc2819Counter, bigint>> {
  if (payload.length !== 4 + 8 * RFC2819_COUNTERS.length) {
    throw new OfpError('OFPBPC_BAD_LEN', 'RFC 2819 port stats property length');
  }
  const out: Partial<Record<Rfc2819Counter, bigint>> = {};
  RFC2819_COUNTERS.forEach((c, i) => { out[c] = payload.readBigUInt64BE(4 + 8 * i); });
  return out;
}

function decodeCustomStats(payload: Buffer): { name: string; value: bigint }[] {
  const bad = () => new OfpError('OFPBPC_BAD_LEN', 'custom port stats property is cut short');
  if (payload.length < 4) throw bad();
  const n = payload.readUInt16BE(2);
  const out: { name: string; value: bigint }[] = [];
  let off = 4;
  for (let i = 0; i < n; i++) {
    if (off + 1 > payload.length) throw bad();
    const len = payload[off];
    if (off + 1 + len + 8 > payload.length) throw bad();
    out.push({
      name: payload.subarray(off + 1, off + 1 + Math.min(len, 31)).toString('utf8'),
      value: payload.readBigUInt64BE(off + 1 + len),
    });
    off += 1 + len + 8;
  }
  return out;
}

/**
 * Decodes the entries of a port statistics reply (ofputil_decode_port_stats).
 * @throws OfpError OFPBRC_BAD_LEN for leftover bytes or a bad 1.4 entry length,
 *         OFPBAC_BAD_OUT_PORT, OFPBPC_BAD_LEN (unknown properties are ignored).
 */
export function decodePortStatsReply(msg: OfpMsg): PortStats[] {
  const b = msg.body;
  const out: PortStats[] = [];
  const fixed = msg.version < OFP13_VERSION ? 104 : msg.version < OFP14_VERSION ? 112 : 80;
  for (let off = 0; off < b.length;) {
    if (b.length - off < fixed) {
      throw new OfpError('OFPBRC_BAD_LEN', `OFPST_PORT reply has ${b.length - off} leftover bytes at end`);
    }
    if (msg.version < OFP14_VERSION) {
      const s = emptyPortStats(msg.version === OFP10_VERSION ? b.readUInt16BE(off) : portFromOfp11(b.readUInt32BE(off)));
      [...PORT_COUNTERS, ...ETHERNET_COUNTERS].forEach((c, i) => { s[c] = b.readBigUInt64BE(off + 8 + 8 * i); });
      if (fixed === 112) {
        s.durationSec = b.readUInt32BE(off + 104);
        s.durationNsec = b.readUInt32BE(off + 108);
      }
      out.push(s);
      off += fixed;
      continue;
    }
    const len = b.readUInt16BE(off);
    if (len < 80 || len > b.length - off) throw new OfpError('OFPBRC_BAD_LEN', `ofp14_port_stats has bad length ${len}`);
    const s = emptyPortStats(portFromOfp11(b.readUInt32BE(off + 4)));
    s.durationSec = b.readUInt32BE(off + 8);
    s.durationNsec = b.readUInt32BE(off + 12);
    PORT_COUNTERS.forEach((c, i) => { s[c] = b.readBigUInt64BE(off + 16 + 8 * i); });
    for (const prop of pullProperties(b.subarray(off + 80, off + len))) {
      if (!prop.experimenter && prop.type === OFPPSPT14_ETHERNET) {
        if (prop.data.length !== 40) throw new OfpError('OFPBPC_BAD_LEN', 'port stats ethernet property length');
        ETHERNET_COUNTERS.forEach((c, i) => { s[c] = prop.data.readBigUInt64BE(8 + 8 * i); });
      } else if (prop.experimenter === INTEL_VENDOR_ID && prop.expType === INTEL_PORT_STATS_RFC2819) {
        s.rfc2819 = decodeRfc2819(prop.payload);
      } else if (prop.experimenter === INTEL_VENDOR_ID && prop.expType === INTEL_PORT_STATS_CUSTOM) {
        s.custom = decodeCustomStats(prop.payload);
      } else {
        unknownProperty(prop, true, 'port stats');
      }
    }
    out.push(s);
    off += len;
  }
  return out;
}

/** One queue's statistics (OVS `ofputil_queue_stats`). */
export interface QueueStats {
  portNo: number;
  queueId: number;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  /** DURATION_UNKNOWN if unknown (always so in OpenFlow 1.0–1.2). */
  durationSec: number;
  durationNsec: number;
}

/**
 * Decodes a queue statistics request (ofputil_decode_queue_stats_request); OpenFlow 1.0's
 * OFPP_ALL means all ports and becomes OFPP_ANY. @throws OfpError OFPBAC_BAD_OUT_PORT
 */
export function decodeQueueStatsRequest(msg: OfpMsg): { portNo: number; queueId: number } {
  const b = msg.body;
  if (msg.version === OFP10_VERSION) {
    const portNo = b.readUInt16BE(0);
    return { portNo: portNo === OFPP_ALL ? OFPP_ANY : portNo, queueId: b.readUInt32BE(4) };
  }
  return { portNo: portFromOfp11(b.readUInt32BE(0)), queueId: b.readUInt32BE(4) };
}

/** Encodes a queue statistics request (OpenFlow 1.0 spells "all ports" OFPP_ALL). */
export function encodeQueueStatsRequest(version: number, xid: number, portNo: number, queueId: number): Buffer {
  const body = Buffer.alloc(8);
  if (version === OFP10_VERSION) body.writeUInt16BE(portNo === OFPP_ANY ? OFPP_ALL : portNo, 0);
  else body.writeUInt32BE(ofp10PortToOfp11(portNo), 0);
  body.writeUInt32BE(queueId >>> 0, 4);
  return encodeMsg(version === OFP10_VERSION ? 'OFPST10_QUEUE_REQUEST' : 'OFPST11_QUEUE_REQUEST', version, xid, body);
}

function encodeQueueStatsEntry(version: number, q: QueueStats): Buffer {
  const head = version >= OFP14_VERSION ? 8 : 0;
  const b = Buffer.alloc(head + (version >= OFP13_VERSION ? 40 : 32));
  if (head) b.writeUInt16BE(b.length, 0);
  if (version === OFP10_VERSION) b.writeUInt16BE(q.portNo, 0);
  else b.writeUInt32BE(ofp10PortToOfp11(q.portNo), head);
  b.writeUInt32BE(q.queueId >>> 0, head + 4);
  b.writeBigUInt64BE(q.txBytes, head + 8);
  b.writeBigUInt64BE(q.txPackets, head + 16);
  b.writeBigUInt64BE(q.txErrors, head + 24);
  if (version >= OFP13_VERSION) {
    const known = q.durationSec !== DURATION_UNKNOWN;
    b.writeUInt32BE(known ? q.durationSec >>> 0 : DURATION_UNKNOWN, head + 32);
    b.writeUInt32BE(known ? q.durationNsec >>> 0 : DURATION_UNKNOWN, head + 36);
  }
  return b;
}

/** Encodes the reply to a queue statistics request: one or more multipart messages. */
export function encodeQueueStatsReply(request: OfpMsg, stats: QueueStats[]): Buffer[] {
  const items = stats.map((q) => encodeQueueStatsEntry(request.version, q));
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid, items);
}

/**
 * Decodes the entries of a queue statistics reply (ofputil_decode_queue_stats).
 * @throws OfpError OFPBRC_BAD_LEN, OFPBAC_BAD_OUT_PORT
 */
export function decodeQueueStatsReply(msg: OfpMsg): QueueStats[] {
  const b = msg.body;
  const out: QueueStats[] = [];
  const v = msg.version;
  const fixed = v >= OFP14_VERSION ? 48 : v >= OFP13_VERSION ? 40 : 32;
  for (let off = 0; off < b.length;) {
    if (b.length - off < fixed) {
      throw new OfpError('OFPBRC_BAD_LEN', `OFPST_QUEUE reply has ${b.length - off} leftover bytes at end`);
    }
    let len = fixed;
    let at = off;
    if (v >= OFP14_VERSION) {
      len = b.readUInt16BE(off);
      if (len < fixed || len > b.length - off) throw new OfpError('OFPBRC_BAD_LEN', `ofp14_queue_stats has bad length ${len}`);
      at += 8;
    }
    out.push({
      portNo: v === OFP10_VERSION ? b.readUInt16BE(at) : portFromOfp11(b.readUInt32BE(at)),
      queueId: b.readUInt32BE(at + 4),
      txBytes: b.readBigUInt64BE(at + 8), txPackets: b.readBigUInt64BE(at + 16), txErrors: b.readBigUInt64BE(at + 24),
      durationSec: v >= OFP13_VERSION ? b.readUInt32BE(at + 32) : DURATION_UNKNOWN,
      durationNsec: v >= OFP13_VERSION ? b.readUInt32BE(at + 36) : DURATION_UNKNOWN,
    });
    off += len;
  }
  return out;
}

/** One queue's configuration (OVS `ofputil_queue_config`); rates in tenths of a percent. */
export interface QueueConfig {
  portNo: number;
  queueId: number;
  /** QUEUE_RATE_NONE if not configured. */
  minRate: number;
  maxRate: number;
}

/**
 * Decodes OFPT_QUEUE_GET_CONFIG_REQUEST (1.0–1.3) or OFPMP_QUEUE_DESC request (1.4+)
 * (ofputil_decode_queue_get_config_request). `queueId` is OFPQ_ALL before 1.4.
 * @throws OfpError OFPQOFC_BAD_PORT for a reserved port (except OFPP_ANY in 1.1–1.3; any
 *         port in 1.4+ queue desc), OFPBAC_BAD_OUT_PORT for an unmappable one.
 */
export function decodeQueueGetConfigRequest(msg: OfpMsg): { portNo: number; queueId: number } {
  const b = msg.body;
  let portNo: number;
  if (msg.raw === 'OFPST14_QUEUE_DESC_REQUEST') {
    return { portNo: portFromOfp11(b.readUInt32BE(0)), queueId: b.readUInt32BE(4) };
  } else if (msg.version === OFP10_VERSION) {
    portNo = b.readUInt16BE(0);
  } else {
    portNo = portFromOfp11(b.readUInt32BE(0));
    if (portNo === OFPP_ANY) return { portNo, queueId: OFPQ_ALL };
  }
  if (portNo >= OFPP_MAX) throw new OfpError('OFPQOFC_BAD_PORT', `queue config request for port ${portNo}`);
  return { portNo, queueId: OFPQ_ALL };
}

/** Encodes a queue configuration request: OFPT_QUEUE_GET_CONFIG_REQUEST before 1.4, else OFPMP_QUEUE_DESC. */
export function encodeQueueGetConfigRequest(version: number, xid: number, portNo: number, queueId = OFPQ_ALL): Buffer {
  if (version === OFP10_VERSION) {
    const body = Buffer.alloc(4);
    body.writeUInt16BE(portNo, 0);
    return encodeMsg('OFPT10_QUEUE_GET_CONFIG_REQUEST', version, xid, body);
  }
  const body = Buffer.alloc(8);
  body.writeUInt32BE(ofp10PortToOfp11(portNo), 0);
  if (version < OFP14_VERSION) return encodeMsg('OFPT11_QUEUE_GET_CONFIG_REQUEST', version, xid, body);
  body.writeUInt32BE(queueId >>> 0, 4);
  return encodeMsg('OFPST14_QUEUE_DESC_REQUEST', version, xid, body);
}

function encodeQueueRate10(type: number, rate: number): Buffer {
  if (rate === QUEUE_RATE_NONE) return Buffer.alloc(0);
  const p = Buffer.alloc(16);
  p.writeUInt16BE(type, 0);
  p.writeUInt16BE(16, 2);
  p.writeUInt16BE(rate, 8);
  return p;
}

function encodeQueueConfig(version: number, q: QueueConfig): Buffer {
  let head: Buffer;
  let lenAt: number;
  let props: Buffer[];
  if (version < OFP14_VERSION) {
    head = Buffer.alloc(version < OFP12_VERSION ? 8 : 16);
    head.writeUInt32BE(q.queueId >>> 0, 0);
    if (version >= OFP12_VERSION) head.writeUInt32BE(ofp10PortToOfp11(q.portNo), 4);
    lenAt = version < OFP12_VERSION ? 4 : 8;
    props = [encodeQueueRate10(OFPQT10_MIN_RATE, q.minRate), encodeQueueRate10(OFPQT11_MAX_RATE, q.maxRate)];
  } else {
    head = Buffer.alloc(16);
    head.writeUInt32BE(ofp10PortToOfp11(q.portNo), 0);
    head.writeUInt32BE(q.queueId >>> 0, 4);
    lenAt = 8;
    props = [[OFPQDPT14_MIN_RATE, q.minRate], [OFPQDPT14_MAX_RATE, q.maxRate]]
      .filter(([, rate]) => rate !== QUEUE_RATE_NONE).map(([type, rate]) => encodePropU16(type, rate));
  }
  const out = Buffer.concat([head, ...props]);
  out.writeUInt16BE(out.length, lenAt);
  return out;
}

/**
 * Encodes the reply to a queue configuration request for `portNo` (the request's port, or the
 * port asked about) listing `queues` (ofputil_start/append_queue_get_config_reply): one
 * OFPT_QUEUE_GET_CONFIG_REPLY before OpenFlow 1.4, else OFPMP_QUEUE_DESC multipart replies.
 * @throws RangeError if a 1.0–1.3 reply exceeds 65535 bytes.
 */
export function encodeQueueGetConfigReply(request: OfpMsg, portNo: number, queues: QueueConfig[]): Buffer[] {
  const v = request.version;
  const entries = queues.map((q) => encodeQueueConfig(v, q));
  if (request.raw === 'OFPST14_QUEUE_DESC_REQUEST') return encodeMultipartReply(rawReplyFor(request), v, request.xid, entries);
  const head = Buffer.alloc(8);
  if (v === OFP10_VERSION) head.writeUInt16BE(portNo, 0);
  else head.writeUInt32BE(ofp10PortToOfp11(portNo), 0);
  return [encodeMsg(rawReplyFor(request), v, request.xid, Buffer.concat([head, ...entries]))];
}

/**
 * Decodes a queue configuration reply (ofputil_pull_queue_get_config_reply): OpenFlow 1.0–1.3
 * OFPT_QUEUE_GET_CONFIG_REPLY or 1.4+ OFPMP_QUEUE_DESC reply. Each queue's port is the one its
 * description names (1.2+), else the reply's port (OVS always reports the reply's port).
 * @throws OfpError OFPBRC_BAD_LEN, OFPBAC_BAD_OUT_PORT, OFPBPC_* (1.4+; unknown properties and
 *         unknown 1.0–1.3 queue properties are ignored).
 */
export function decodeQueueGetConfigReply(msg: OfpMsg): QueueConfig[] {
  const v = msg.version;
  const isDesc = msg.raw === 'OFPST14_QUEUE_DESC_REPLY';
  const b = isDesc ? msg.body : msg.body.subarray(8);
  const replyPort = isDesc ? 0 : v === OFP10_VERSION ? msg.body.readUInt16BE(0) : portFromOfp11(msg.body.readUInt32BE(0));
  const out: QueueConfig[] = [];
  const badLen = (what: string) => new OfpError('OFPBRC_BAD_LEN', what);
  for (let off = 0; off < b.length;) {
    const q: QueueConfig = { portNo: replyPort, queueId: 0, minRate: QUEUE_RATE_NONE, maxRate: QUEUE_RATE_NONE };
    const headLen = isDesc || v >= OFP12_VERSION ? 16 : 8;
    if (b.length - off < headLen) throw badLen('queue description is cut short');
    let len: number;
    if (isDesc) {
      q.portNo = portFromOfp11(b.readUInt32BE(off));
      q.queueId = b.readUInt32BE(off + 4);
      len = b.readUInt16BE(off + 8);
    } else {
      q.queueId = b.readUInt32BE(off);
      if (v >= OFP12_VERSION) q.portNo = portFromOfp11(b.readUInt32BE(off + 4));
      len = b.readUInt16BE(off + (v >= OFP12_VERSION ? 8 : 4));
    }
    if (len < headLen || len > b.length - off || len % 8) throw badLen(`queue description has bad length ${len}`);
    const props = b.subarray(off + headLen, off + len);
    if (isDesc) {
      for (const prop of pullProperties(props)) {
        if (!prop.experimenter && prop.type === OFPQDPT14_MIN_RATE) q.minRate = propU16(prop);
        else if (!prop.experimenter && prop.type === OFPQDPT14_MAX_RATE) q.maxRate = propU16(prop);
        else unknownProperty(prop, true, 'queue desc');
      }
    } else {
      for (let p = 0; p < props.length;) {
        const type = props.readUInt16BE(p);
        const plen = props.readUInt16BE(p + 2);
        if (plen < 8 || plen > props.length - p || plen % 8) throw badLen(`queue property has bad length ${plen}`);
        if (type === OFPQT10_MIN_RATE || type === OFPQT11_MAX_RATE) {
          if (plen !== 16) throw badLen(`queue rate property has length ${plen}`);
          if (type === OFPQT10_MIN_RATE) q.minRate = props.readUInt16BE(p + 8);
          else q.maxRate = props.readUInt16BE(p + 8);
        }
        p += plen;
      }
    }
    out.push(q);
    off += len;
  }
  return out;
}
