/**
 * Message bodies of the OVS Generic Netlink families (`ovs_datapath`, `ovs_vport`, `ovs_flow`,
 * `ovs_packet`): the bytes after the 4-byte genlmsghdr, i.e. `struct ovs_header { int
 * dp_ifindex; }` (host order, signed) followed by the family's attributes, per
 * `<linux/openvswitch.h>`. The command (genlmsghdr.cmd) is not part of the body.
 *
 * Encoders emit only the attributes present in the object, in ascending attribute-type order.
 * Decoders accept any order, ignore attribute types they do not model (including the kernel's
 * zero-length *_ATTR_PAD), and tolerate an unpadded last attribute (OVS_DP_F_UNALIGNED upcalls).
 * Buffers they return are views into the input.
 */
import { attr, attrFlag, attrMap, attrString, attrU16, attrU32, attrU64, attrU8, readString } from './nlattr';
import { OdpAction, decodeActions, encodeActions } from './actions';
import { OdpFlowKey, decodeFlowKey, encodeFlowKey } from './flow-key';
import {
  OVS_DP_ATTR_IFINDEX,
  OVS_DP_ATTR_MASKS_CACHE_SIZE,
  OVS_DP_ATTR_MEGAFLOW_STATS,
  OVS_DP_ATTR_NAME,
  OVS_DP_ATTR_PER_CPU_PIDS,
  OVS_DP_ATTR_STATS,
  OVS_DP_ATTR_UPCALL_PID,
  OVS_DP_ATTR_USER_FEATURES,
  OVS_FLOW_ATTR_ACTIONS,
  OVS_FLOW_ATTR_CLEAR,
  OVS_FLOW_ATTR_KEY,
  OVS_FLOW_ATTR_MASK,
  OVS_FLOW_ATTR_PROBE,
  OVS_FLOW_ATTR_STATS,
  OVS_FLOW_ATTR_TCP_FLAGS,
  OVS_FLOW_ATTR_UFID,
  OVS_FLOW_ATTR_UFID_FLAGS,
  OVS_FLOW_ATTR_USED,
  OVS_HEADER_SIZE,
  OVS_PACKET_ATTR_ACTIONS,
  OVS_PACKET_ATTR_EGRESS_TUN_KEY,
  OVS_PACKET_ATTR_HASH,
  OVS_PACKET_ATTR_KEY,
  OVS_PACKET_ATTR_LEN,
  OVS_PACKET_ATTR_MRU,
  OVS_PACKET_ATTR_PACKET,
  OVS_PACKET_ATTR_PROBE,
  OVS_PACKET_ATTR_USERDATA,
  OVS_VPORT_ATTR_IFINDEX,
  OVS_VPORT_ATTR_NAME,
  OVS_VPORT_ATTR_NETNSID,
  OVS_VPORT_ATTR_OPTIONS,
  OVS_VPORT_ATTR_PORT_NO,
  OVS_VPORT_ATTR_STATS,
  OVS_VPORT_ATTR_TYPE,
  OVS_VPORT_ATTR_UPCALL_PID,
} from './openvswitch';

/** `OVS_DP_CMD_*` body. */
export interface DpMessage {
  /** ovs_header.dp_ifindex: the datapath's ifindex, 0 to address it by name. */
  dpIfindex: number;
  /** OVS_DP_ATTR_NAME. */
  name?: string;
  /** OVS_DP_ATTR_UPCALL_PID: u32 (required in OVS_DP_CMD_NEW). */
  upcallPid?: number;
  /** OVS_DP_ATTR_STATS: `struct ovs_dp_stats` (packet counts). */
  stats?: { hit: bigint; missed: bigint; lost: bigint; flows: bigint };
  /**
   * OVS_DP_ATTR_MEGAFLOW_STATS: `struct ovs_dp_megaflow_stats`. `cacheHit` (n_cache_hit) is
   * always decoded (kernels before it existed send 0 there); encoded as 0 when absent.
   */
  megaflowStats?: { maskHit: bigint; masks: number; cacheHit?: bigint };
  /** OVS_DP_ATTR_USER_FEATURES: OR of OVS_DP_F_*. */
  userFeatures?: number;
  /** OVS_DP_ATTR_PER_CPU_PIDS: netlink port id per CPU, index = CPU number. */
  perCpuPids?: number[];
  /** OVS_DP_ATTR_MASKS_CACHE_SIZE: u32. */
  masksCacheSize?: number;
  /** OVS_DP_ATTR_IFINDEX: u32 ifindex requested for the local port (OVS_DP_CMD_NEW). */
  ifindex?: number;
}

/** `OVS_VPORT_CMD_*` body. */
export interface VportMessage {
  /** ovs_header.dp_ifindex. */
  dpIfindex: number;
  /** OVS_VPORT_ATTR_PORT_NO: u32 odp port (optional in NEW: the kernel picks one). */
  portNo?: number;
  /** OVS_VPORT_ATTR_TYPE: u32 OVS_VPORT_TYPE_*. */
  type?: number;
  /** OVS_VPORT_ATTR_NAME. */
  name?: string;
  /** OVS_VPORT_ATTR_OPTIONS: the nested attributes' bytes (payload of the attribute), verbatim. */
  options?: Buffer;
  /** OVS_VPORT_ATTR_UPCALL_PID: array of u32; [0] disables upcalls. */
  upcallPids?: number[];
  /** OVS_VPORT_ATTR_STATS: `struct ovs_vport_stats`. */
  stats?: {
    rxPackets: bigint; txPackets: bigint; rxBytes: bigint; txBytes: bigint;
    rxErrors: bigint; txErrors: bigint; rxDropped: bigint; txDropped: bigint;
  };
  /** OVS_VPORT_ATTR_IFINDEX: u32. */
  ifindex?: number;
  /** OVS_VPORT_ATTR_NETNSID: s32. */
  netnsid?: number;
}

/** `OVS_FLOW_CMD_*` body. */
export interface FlowMessage {
  /** ovs_header.dp_ifindex. */
  dpIfindex: number;
  /** OVS_FLOW_ATTR_KEY, decoded. */
  key?: OdpFlowKey;
  /** OVS_FLOW_ATTR_KEY payload bytes. Set on decode; when set on encode it is written instead of `key`. */
  keyRaw?: Buffer;
  /** OVS_FLOW_ATTR_MASK. */
  mask?: OdpFlowKey;
  /** OVS_FLOW_ATTR_ACTIONS; [] is an empty attribute (drop), undefined omits it. */
  actions?: OdpAction[];
  /** OVS_FLOW_ATTR_UFID: 1-16 bytes (16 in practice). */
  ufid?: Buffer;
  /** OVS_FLOW_ATTR_UFID_FLAGS: u32 OR of OVS_UFID_F_*. */
  ufidFlags?: number;
  /** OVS_FLOW_ATTR_STATS: `struct ovs_flow_stats`. */
  stats?: { packets: bigint; bytes: bigint };
  /** OVS_FLOW_ATTR_TCP_FLAGS: u8, OR of the TCP flags seen (kernel replies only). */
  tcpFlags?: number;
  /** OVS_FLOW_ATTR_USED: u64 CLOCK_MONOTONIC milliseconds of the last hit (kernel replies only). */
  used?: bigint;
  /** OVS_FLOW_ATTR_CLEAR flag. */
  clear?: boolean;
  /** OVS_FLOW_ATTR_PROBE flag. */
  probe?: boolean;
}

/** `OVS_PACKET_CMD_*` body. */
export interface PacketMessage {
  /** ovs_header.dp_ifindex. */
  dpIfindex: number;
  /** genlmsghdr.cmd (OVS_PACKET_CMD_*): not in the body; carried for the caller, ignored by the encoder. */
  cmd?: number;
  /** OVS_PACKET_ATTR_PACKET: the frame from the Ethernet header on. */
  packet?: Buffer;
  /** OVS_PACKET_ATTR_KEY, decoded. */
  key?: OdpFlowKey;
  /** OVS_PACKET_ATTR_KEY payload bytes. Set on decode; when set on encode it is written instead of `key`. */
  keyRaw?: Buffer;
  /** OVS_PACKET_ATTR_ACTIONS. */
  actions?: OdpAction[];
  /** OVS_PACKET_ATTR_ACTIONS payload bytes; when set on encode it is written instead of `actions`. */
  actionsRaw?: Buffer;
  /** OVS_PACKET_ATTR_USERDATA. */
  userdata?: Buffer;
  /** OVS_PACKET_ATTR_EGRESS_TUN_KEY: nested OVS_TUNNEL_KEY_ATTR_* bytes, verbatim. */
  egressTunKey?: Buffer;
  /** OVS_PACKET_ATTR_MRU: u16. */
  mru?: number;
  /** OVS_PACKET_ATTR_LEN: u32 length before truncation. */
  len?: number;
  /**
   * OVS_PACKET_ATTR_HASH: u64 on the wire; bits 0-31 the skb hash, OVS_PACKET_HASH_SW_BIT
   * (2^32) and OVS_PACKET_HASH_L4_BIT (2^33) flags. Exact as a number (below 2^53).
   */
  hash?: number;
  /** OVS_PACKET_ATTR_PROBE flag. */
  probe?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function withHeader(dpIfindex: number, attrs: Buffer[]): Buffer {
  const hdr = Buffer.alloc(OVS_HEADER_SIZE);
  hdr.writeInt32LE(dpIfindex);
  return Buffer.concat([hdr, ...attrs]);
}

function splitHeader(body: Buffer, family: string): { dpIfindex: number; attrs: Map<number, Buffer> } {
  if (body.length < OVS_HEADER_SIZE) {
    throw new RangeError(`${family} message body is ${body.length} bytes, shorter than struct ovs_header`);
  }
  return { dpIfindex: body.readInt32LE(0), attrs: attrMap(body.subarray(OVS_HEADER_SIZE)) };
}

function sized(data: Buffer, size: number, name: string): Buffer {
  if (data.length !== size) throw new RangeError(`${name}: payload is ${data.length} bytes, expected ${size}`);
  return data;
}

function u32Array(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v, i * 4));
  return b;
}

function readU32Array(data: Buffer, name: string): number[] {
  if (data.length % 4 !== 0) throw new RangeError(`${name}: payload is ${data.length} bytes, not a multiple of 4`);
  const out: number[] = [];
  for (let off = 0; off < data.length; off += 4) out.push(data.readUInt32LE(off));
  return out;
}

/** A struct made only of u64 members (at the given byte offsets), host order. */
interface U64Struct<T> {
  name: string;
  size: number;
  members: [keyof T & string, number][];
}

function encodeU64Struct<T>(s: U64Struct<T>, v: T): Buffer {
  const b = Buffer.alloc(s.size);
  for (const [k, off] of s.members) b.writeBigUInt64LE((v[k] as unknown as bigint | undefined) ?? 0n, off);
  return b;
}

function decodeU64Struct<T>(s: U64Struct<T>, data: Buffer): T {
  sized(data, s.size, s.name);
  const out: Record<string, bigint> = {};
  for (const [k, off] of s.members) out[k] = data.readBigUInt64LE(off);
  return out as unknown as T;
}

/** struct ovs_dp_stats { u64 n_hit; u64 n_missed; u64 n_lost; u64 n_flows; } — 32 bytes. */
const OVS_DP_STATS: U64Struct<NonNullable<DpMessage['stats']>> = {
  name: 'OVS_DP_ATTR_STATS', size: 32,
  members: [['hit', 0], ['missed', 8], ['lost', 16], ['flows', 24]],
};

/** struct ovs_vport_stats { u64 rx_packets, tx_packets, rx_bytes, tx_bytes, rx_errors, tx_errors, rx_dropped, tx_dropped; } — 64 bytes. */
const OVS_VPORT_STATS: U64Struct<NonNullable<VportMessage['stats']>> = {
  name: 'OVS_VPORT_ATTR_STATS', size: 64,
  members: [
    ['rxPackets', 0], ['txPackets', 8], ['rxBytes', 16], ['txBytes', 24],
    ['rxErrors', 32], ['txErrors', 40], ['rxDropped', 48], ['txDropped', 56],
  ],
};

/** struct ovs_flow_stats { u64 n_packets; u64 n_bytes; } — 16 bytes. */
const OVS_FLOW_STATS: U64Struct<NonNullable<FlowMessage['stats']>> = {
  name: 'OVS_FLOW_ATTR_STATS', size: 16,
  members: [['packets', 0], ['bytes', 8]],
};

/**
 * struct ovs_dp_megaflow_stats { u64 n_mask_hit; u32 n_masks; u32 pad0; u64 n_cache_hit; u64 pad1; }
 * — 32 bytes: n_mask_hit @0, n_masks @8, pad0 @12, n_cache_hit @16, pad1 @24.
 */
const OVS_DP_MEGAFLOW_STATS_SIZE = 32;

function encodeMegaflowStats(v: NonNullable<DpMessage['megaflowStats']>): Buffer {
  const b = Buffer.alloc(OVS_DP_MEGAFLOW_STATS_SIZE);
  b.writeBigUInt64LE(v.maskHit, 0);
  b.writeUInt32LE(v.masks, 8);
  b.writeBigUInt64LE(v.cacheHit ?? 0n, 16);
  return b;
}

function decodeMegaflowStats(data: Buffer): NonNullable<DpMessage['megaflowStats']> {
  sized(data, OVS_DP_MEGAFLOW_STATS_SIZE, 'OVS_DP_ATTR_MEGAFLOW_STATS');
  return { maskHit: data.readBigUInt64LE(0), masks: data.readUInt32LE(8), cacheHit: data.readBigUInt64LE(16) };
}

function u32Of(data: Buffer, name: string): number {
  return sized(data, 4, name).readUInt32LE(0);
}

/** Collects attributes, keeping ascending type order regardless of push order. */
class AttrList {
  private readonly items: { type: number; buf: Buffer }[] = [];
  add(type: number, buf: Buffer): void {
    this.items.push({ type, buf });
  }
  bufs(): Buffer[] {
    return this.items.sort((a, b) => a.type - b.type).map((i) => i.buf);
  }
}

// ---------------------------------------------------------------------------------------------
// Datapath

/** Encodes an `OVS_DP_CMD_*` body. @throws RangeError on out-of-range numbers */
export function encodeDpMessage(m: DpMessage): Buffer {
  const l = new AttrList();
  if (m.name !== undefined) l.add(OVS_DP_ATTR_NAME, attrString(OVS_DP_ATTR_NAME, m.name));
  if (m.upcallPid !== undefined) l.add(OVS_DP_ATTR_UPCALL_PID, attrU32(OVS_DP_ATTR_UPCALL_PID, m.upcallPid));
  if (m.stats !== undefined) l.add(OVS_DP_ATTR_STATS, attr(OVS_DP_ATTR_STATS, encodeU64Struct(OVS_DP_STATS, m.stats)));
  if (m.megaflowStats !== undefined) {
    l.add(OVS_DP_ATTR_MEGAFLOW_STATS, attr(OVS_DP_ATTR_MEGAFLOW_STATS, encodeMegaflowStats(m.megaflowStats)));
  }
  if (m.userFeatures !== undefined) l.add(OVS_DP_ATTR_USER_FEATURES, attrU32(OVS_DP_ATTR_USER_FEATURES, m.userFeatures));
  if (m.masksCacheSize !== undefined) {
    l.add(OVS_DP_ATTR_MASKS_CACHE_SIZE, attrU32(OVS_DP_ATTR_MASKS_CACHE_SIZE, m.masksCacheSize));
  }
  if (m.perCpuPids !== undefined) l.add(OVS_DP_ATTR_PER_CPU_PIDS, attr(OVS_DP_ATTR_PER_CPU_PIDS, u32Array(m.perCpuPids)));
  if (m.ifindex !== undefined) l.add(OVS_DP_ATTR_IFINDEX, attrU32(OVS_DP_ATTR_IFINDEX, m.ifindex));
  return withHeader(m.dpIfindex, l.bufs());
}

/** Decodes an `OVS_DP_CMD_*` body. @throws RangeError on a short body or wrong-sized attribute */
export function decodeDpMessage(body: Buffer): DpMessage {
  const { dpIfindex, attrs } = splitHeader(body, 'ovs_datapath');
  const m: DpMessage = { dpIfindex };
  const get = (t: number) => attrs.get(t);
  let d: Buffer | undefined;
  if ((d = get(OVS_DP_ATTR_NAME))) m.name = readString(d);
  if ((d = get(OVS_DP_ATTR_UPCALL_PID))) m.upcallPid = u32Of(d, 'OVS_DP_ATTR_UPCALL_PID');
  if ((d = get(OVS_DP_ATTR_STATS))) m.stats = decodeU64Struct(OVS_DP_STATS, d);
  if ((d = get(OVS_DP_ATTR_MEGAFLOW_STATS))) m.megaflowStats = decodeMegaflowStats(d);
  if ((d = get(OVS_DP_ATTR_USER_FEATURES))) m.userFeatures = u32Of(d, 'OVS_DP_ATTR_USER_FEATURES');
  if ((d = get(OVS_DP_ATTR_MASKS_CACHE_SIZE))) m.masksCacheSize = u32Of(d, 'OVS_DP_ATTR_MASKS_CACHE_SIZE');
  if ((d = get(OVS_DP_ATTR_PER_CPU_PIDS))) m.perCpuPids = readU32Array(d, 'OVS_DP_ATTR_PER_CPU_PIDS');
  if ((d = get(OVS_DP_ATTR_IFINDEX))) m.ifindex = u32Of(d, 'OVS_DP_ATTR_IFINDEX');
  return m;
}

// ---------------------------------------------------------------------------------------------
// Vport

/** Encodes an `OVS_VPORT_CMD_*` body. @throws RangeError on out-of-range numbers */
export function encodeVportMessage(m: VportMessage): Buffer {
  const l = new AttrList();
  if (m.portNo !== undefined) l.add(OVS_VPORT_ATTR_PORT_NO, attrU32(OVS_VPORT_ATTR_PORT_NO, m.portNo));
  if (m.type !== undefined) l.add(OVS_VPORT_ATTR_TYPE, attrU32(OVS_VPORT_ATTR_TYPE, m.type));
  if (m.name !== undefined) l.add(OVS_VPORT_ATTR_NAME, attrString(OVS_VPORT_ATTR_NAME, m.name));
  if (m.options !== undefined) l.add(OVS_VPORT_ATTR_OPTIONS, attr(OVS_VPORT_ATTR_OPTIONS, m.options));
  if (m.upcallPids !== undefined) {
    l.add(OVS_VPORT_ATTR_UPCALL_PID, attr(OVS_VPORT_ATTR_UPCALL_PID, u32Array(m.upcallPids)));
  }
  if (m.stats !== undefined) {
    l.add(OVS_VPORT_ATTR_STATS, attr(OVS_VPORT_ATTR_STATS, encodeU64Struct(OVS_VPORT_STATS, m.stats)));
  }
  if (m.ifindex !== undefined) l.add(OVS_VPORT_ATTR_IFINDEX, attrU32(OVS_VPORT_ATTR_IFINDEX, m.ifindex));
  if (m.netnsid !== undefined) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(m.netnsid);
    l.add(OVS_VPORT_ATTR_NETNSID, attr(OVS_VPORT_ATTR_NETNSID, b));
  }
  return withHeader(m.dpIfindex, l.bufs());
}

/** Decodes an `OVS_VPORT_CMD_*` body. @throws RangeError on a short body or wrong-sized attribute */
export function decodeVportMessage(body: Buffer): VportMessage {
  const { dpIfindex, attrs } = splitHeader(body, 'ovs_vport');
  const m: VportMessage = { dpIfindex };
  const get = (t: number) => attrs.get(t);
  let d: Buffer | undefined;
  if ((d = get(OVS_VPORT_ATTR_PORT_NO))) m.portNo = u32Of(d, 'OVS_VPORT_ATTR_PORT_NO');
  if ((d = get(OVS_VPORT_ATTR_TYPE))) m.type = u32Of(d, 'OVS_VPORT_ATTR_TYPE');
  if ((d = get(OVS_VPORT_ATTR_NAME))) m.name = readString(d);
  if ((d = get(OVS_VPORT_ATTR_OPTIONS))) m.options = d;
  if ((d = get(OVS_VPORT_ATTR_UPCALL_PID))) m.upcallPids = readU32Array(d, 'OVS_VPORT_ATTR_UPCALL_PID');
  if ((d = get(OVS_VPORT_ATTR_STATS))) m.stats = decodeU64Struct(OVS_VPORT_STATS, d);
  if ((d = get(OVS_VPORT_ATTR_IFINDEX))) m.ifindex = u32Of(d, 'OVS_VPORT_ATTR_IFINDEX');
  if ((d = get(OVS_VPORT_ATTR_NETNSID))) m.netnsid = sized(d, 4, 'OVS_VPORT_ATTR_NETNSID').readInt32LE(0);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Flow

/** Encodes an `OVS_FLOW_CMD_*` body. @throws RangeError on a UFID outside 1-16 bytes or bad key/actions */
export function encodeFlowMessage(m: FlowMessage): Buffer {
  const l = new AttrList();
  if (m.keyRaw !== undefined) l.add(OVS_FLOW_ATTR_KEY, attr(OVS_FLOW_ATTR_KEY, m.keyRaw));
  else if (m.key !== undefined) l.add(OVS_FLOW_ATTR_KEY, attr(OVS_FLOW_ATTR_KEY, encodeFlowKey(m.key)));
  if (m.actions !== undefined) l.add(OVS_FLOW_ATTR_ACTIONS, attr(OVS_FLOW_ATTR_ACTIONS, encodeActions(m.actions)));
  if (m.stats !== undefined) l.add(OVS_FLOW_ATTR_STATS, attr(OVS_FLOW_ATTR_STATS, encodeU64Struct(OVS_FLOW_STATS, m.stats)));
  if (m.tcpFlags !== undefined) l.add(OVS_FLOW_ATTR_TCP_FLAGS, attrU8(OVS_FLOW_ATTR_TCP_FLAGS, m.tcpFlags));
  if (m.used !== undefined) l.add(OVS_FLOW_ATTR_USED, attrU64(OVS_FLOW_ATTR_USED, m.used));
  if (m.clear) l.add(OVS_FLOW_ATTR_CLEAR, attrFlag(OVS_FLOW_ATTR_CLEAR));
  if (m.mask !== undefined) l.add(OVS_FLOW_ATTR_MASK, attr(OVS_FLOW_ATTR_MASK, encodeFlowKey(m.mask)));
  if (m.probe) l.add(OVS_FLOW_ATTR_PROBE, attrFlag(OVS_FLOW_ATTR_PROBE));
  if (m.ufid !== undefined) {
    if (m.ufid.length < 1 || m.ufid.length > 16) throw new RangeError(`OVS_FLOW_ATTR_UFID must be 1-16 bytes, got ${m.ufid.length}`);
    l.add(OVS_FLOW_ATTR_UFID, attr(OVS_FLOW_ATTR_UFID, m.ufid));
  }
  if (m.ufidFlags !== undefined) l.add(OVS_FLOW_ATTR_UFID_FLAGS, attrU32(OVS_FLOW_ATTR_UFID_FLAGS, m.ufidFlags));
  return withHeader(m.dpIfindex, l.bufs());
}

/** Decodes an `OVS_FLOW_CMD_*` body. @throws RangeError on a short body or wrong-sized attribute */
export function decodeFlowMessage(body: Buffer): FlowMessage {
  const { dpIfindex, attrs } = splitHeader(body, 'ovs_flow');
  const m: FlowMessage = { dpIfindex };
  const get = (t: number) => attrs.get(t);
  let d: Buffer | undefined;
  if ((d = get(OVS_FLOW_ATTR_KEY))) {
    m.keyRaw = d;
    m.key = decodeFlowKey(d);
  }
  if ((d = get(OVS_FLOW_ATTR_ACTIONS))) m.actions = decodeActions(d);
  if ((d = get(OVS_FLOW_ATTR_STATS))) m.stats = decodeU64Struct(OVS_FLOW_STATS, d);
  if ((d = get(OVS_FLOW_ATTR_TCP_FLAGS))) m.tcpFlags = sized(d, 1, 'OVS_FLOW_ATTR_TCP_FLAGS')[0];
  if ((d = get(OVS_FLOW_ATTR_USED))) m.used = sized(d, 8, 'OVS_FLOW_ATTR_USED').readBigUInt64LE(0);
  if (get(OVS_FLOW_ATTR_CLEAR)) m.clear = true;
  if ((d = get(OVS_FLOW_ATTR_MASK))) m.mask = decodeFlowKey(d);
  if (get(OVS_FLOW_ATTR_PROBE)) m.probe = true;
  if ((d = get(OVS_FLOW_ATTR_UFID))) m.ufid = d;
  if ((d = get(OVS_FLOW_ATTR_UFID_FLAGS))) m.ufidFlags = u32Of(d, 'OVS_FLOW_ATTR_UFID_FLAGS');
  return m;
}

// ---------------------------------------------------------------------------------------------
// Packet

/** Encodes an `OVS_PACKET_CMD_*` body (`cmd` is ignored). @throws RangeError on out-of-range numbers or bad key/actions */
export function encodePacketMessage(m: PacketMessage): Buffer {
  const l = new AttrList();
  if (m.packet !== undefined) l.add(OVS_PACKET_ATTR_PACKET, attr(OVS_PACKET_ATTR_PACKET, m.packet));
  if (m.keyRaw !== undefined) l.add(OVS_PACKET_ATTR_KEY, attr(OVS_PACKET_ATTR_KEY, m.keyRaw));
  else if (m.key !== undefined) l.add(OVS_PACKET_ATTR_KEY, attr(OVS_PACKET_ATTR_KEY, encodeFlowKey(m.key)));
  if (m.actionsRaw !== undefined) l.add(OVS_PACKET_ATTR_ACTIONS, attr(OVS_PACKET_ATTR_ACTIONS, m.actionsRaw));
  else if (m.actions !== undefined) l.add(OVS_PACKET_ATTR_ACTIONS, attr(OVS_PACKET_ATTR_ACTIONS, encodeActions(m.actions)));
  if (m.userdata !== undefined) l.add(OVS_PACKET_ATTR_USERDATA, attr(OVS_PACKET_ATTR_USERDATA, m.userdata));
  if (m.egressTunKey !== undefined) {
    l.add(OVS_PACKET_ATTR_EGRESS_TUN_KEY, attr(OVS_PACKET_ATTR_EGRESS_TUN_KEY, m.egressTunKey));
  }
  if (m.probe) l.add(OVS_PACKET_ATTR_PROBE, attrFlag(OVS_PACKET_ATTR_PROBE));
  if (m.mru !== undefined) l.add(OVS_PACKET_ATTR_MRU, attrU16(OVS_PACKET_ATTR_MRU, m.mru));
  if (m.len !== undefined) l.add(OVS_PACKET_ATTR_LEN, attrU32(OVS_PACKET_ATTR_LEN, m.len));
  if (m.hash !== undefined) l.add(OVS_PACKET_ATTR_HASH, attrU64(OVS_PACKET_ATTR_HASH, BigInt(m.hash)));
  return withHeader(m.dpIfindex, l.bufs());
}

/**
 * Decodes an `OVS_PACKET_CMD_*` body (an upcall, typically).
 * @param cmd genlmsghdr.cmd, copied into the result when given
 * @throws RangeError on a short body or wrong-sized attribute
 */
export function decodePacketMessage(body: Buffer, cmd?: number): PacketMessage {
  const { dpIfindex, attrs } = splitHeader(body, 'ovs_packet');
  const m: PacketMessage = { dpIfindex };
  if (cmd !== undefined) m.cmd = cmd;
  const get = (t: number) => attrs.get(t);
  let d: Buffer | undefined;
  if ((d = get(OVS_PACKET_ATTR_PACKET))) m.packet = d;
  if ((d = get(OVS_PACKET_ATTR_KEY))) {
    m.keyRaw = d;
    m.key = decodeFlowKey(d);
  }
  if ((d = get(OVS_PACKET_ATTR_ACTIONS))) m.actions = decodeActions(d);
  if ((d = get(OVS_PACKET_ATTR_USERDATA))) m.userdata = d;
  if ((d = get(OVS_PACKET_ATTR_EGRESS_TUN_KEY))) m.egressTunKey = d;
  if (get(OVS_PACKET_ATTR_PROBE)) m.probe = true;
  if ((d = get(OVS_PACKET_ATTR_MRU))) m.mru = sized(d, 2, 'OVS_PACKET_ATTR_MRU').readUInt16LE(0);
  if ((d = get(OVS_PACKET_ATTR_LEN))) m.len = u32Of(d, 'OVS_PACKET_ATTR_LEN');
  if ((d = get(OVS_PACKET_ATTR_HASH))) {
    const hash = sized(d, 8, 'OVS_PACKET_ATTR_HASH').readBigUInt64LE(0);
    if (hash > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`OVS_PACKET_ATTR_HASH 0x${hash.toString(16)} has unknown high bits`);
    m.hash = Number(hash);
  }
  return m;
}
