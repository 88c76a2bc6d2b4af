/**
 * Packet messages: PACKET_IN in every format the switch sends (OpenFlow 1.0, 1.1, 1.2, 1.3+,
 * NXT_PACKET_IN, NXT_PACKET_IN2 with its continuation), PACKET_OUT and NXT_RESUME — the formats
 * of OVS 3.1's lib/ofp-packet.c.
 *
 * Like OVS, the switch never buffers packets: it sends buffer id OFP_NO_BUFFER and the packet
 * it was given. The packet-in `reason` is OVS's internal OFPR_* value (ofp-switch.ts), which is
 * translated per version on the wire (encodePacketInReason). The flow metadata of a packet-in
 * (in_port, registers, tunnel, metadata, conntrack, …) is a Match, encoded as OXM/NXM by
 * ./nx-match.
 */

import { OFP10_VERSION, OFP11_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION, OFP_NO_BUFFER,
  OFPP_CONTROLLER, OFPP_LOCAL, OFPP_MAX, OFPP_NONE, ofp10PortToOfp11 } from './common';
import { OfpError } from './ofp-errors';
import { Match } from './match';
import { mfField, PT_ETH } from './meta-flow';
import {
  OfpMsg, OfpProp, encodeMsg, encodeProperty, encodePropU32, propU32, propU64, propU8, pullProperties, unknownProperty,
} from './ofp-msgs';
import { decodeNxMatch, decodeOxmMatch, encodeNxMatch, encodeOxmMatch } from './nx-match';
import { DecodeActionsOptions, decodeActions, encodeActions } from './ofp-actions';
import { Ofpact } from './ofpacts';
import { portFromOfp11 } from './ofp-port';
import {
  OFPR_ACTION, OFPR_ACTION_SET, OFPR_EXPLICIT_MISS, OFPR_GROUP, OFPR_IMPLICIT_MISS, OFPR_NO_MATCH, OFPR_PACKET_OUT,
  PacketInFormat,
} from './ofp-switch';

/** NXPINT_*: NXT_PACKET_IN2 / NXT_RESUME property types (include/openflow/nicira-ext.h). */
export const NXPINT_PACKET = 0;
export const NXPINT_FULL_LEN = 1;
export const NXPINT_BUFFER_ID = 2;
export const NXPINT_TABLE_ID = 3;
export const NXPINT_COOKIE = 4;
export const NXPINT_REASON = 5;
export const NXPINT_METADATA = 6;
export const NXPINT_USERDATA = 7;
export const NXPINT_CONTINUATION = 8;

/** NXCPT_*: the switch-private properties inside NXPINT_CONTINUATION (lib/ofp-packet.c). */
export const NXCPT_BRIDGE = 0x8000;
export const NXCPT_STACK = 0x8001;
export const NXCPT_MIRRORS = 0x8002;
export const NXCPT_CONNTRACKED = 0x8003;
export const NXCPT_TABLE_ID = 0x8004;
export const NXCPT_COOKIE = 0x8005;
export const NXCPT_ACTIONS = 0x8006;
export const NXCPT_ACTION_SET = 0x8007;
export const NXCPT_ODP_PORT = 0x8008;

/** "No cookie" in packet-ins (OVS_BE64_MAX). */
export const COOKIE_NONE = 0xffffffffffffffffn;

/** A packet-in to send (OVS `ofputil_packet_in` plus the encoding choices). */
export interface PacketIn {
  version: number;
  format: PacketInFormat;
  /** The packet bytes to include. */
  packet: Buffer;
  /** Length of the original packet; defaults to `packet.length`. */
  totalLen?: number;
  /** Defaults to OFP_NO_BUFFER; NXT_PACKET_IN2 carries no buffer id, as in OVS. */
  bufferId?: number;
  /** OVS internal OFPR_* reason. */
  reason: number;
  tableId: number;
  /** COOKIE_NONE when there is no rule (NXT_PACKET_IN2 then omits it). */
  cookie: bigint;
  /** Flow metadata: in_port and the pipeline fields that were set. */
  match: Match;
  /** NXAST_CONTROLLER2 userdata (NXT_PACKET_IN2 only). */
  userdata?: Buffer;
  /** Encoded continuation properties (NXT_PACKET_IN2 only; see encodeContinuation). */
  continuation?: Buffer;
}

/**
 * The wire reason for an internal OFPR_* reason (encode_packet_in_reason): OpenFlow 1.4's
 * refinements of "action" become OFPR_ACTION before 1.4; an explicit miss (table-miss flow)
 * is OFPR_ACTION before 1.3 and OFPR_NO_MATCH after; an implicit miss is OFPR_NO_MATCH.
 */
export function encodePacketInReason(reason: number, version: number): number {
  switch (reason) {
    case OFPR_ACTION_SET:
    case OFPR_GROUP:
    case OFPR_PACKET_OUT:
      return version < OFP14_VERSION ? OFPR_ACTION : reason;
    case OFPR_EXPLICIT_MISS:
      return version < OFP13_VERSION ? OFPR_ACTION : OFPR_NO_MATCH;
    case OFPR_IMPLICIT_MISS:
      return OFPR_NO_MATCH;
    default:
      return reason;
  }
}

const inPortOf = (m: Match): number => m.getField(mfField('in_port')).value.readUInt16BE(0);

function u8Prop(type: number, v: number): Buffer {
  return encodeProperty(type, Buffer.from([v]));
}

function u64Prop(type: number, v: bigint): Buffer {
  const b = Buffer.alloc(12);
  b.writeBigUInt64BE(v, 4);
  return encodeProperty(type, b);
}

/** A nested property: header, padding to 8, then `inner` (ofpprop_start_nested). */
function nestedProp(type: number, inner: Buffer): Buffer {
  return encodeProperty(type, Buffer.concat([Buffer.alloc(4), inner]));
}

/** The properties NXT_PACKET_IN2 and NXT_RESUME share (ofputil_put_packet_in). */
function packetInProperties(p: Omit<PacketIn, 'format'>): Buffer[] {
  const totalLen = p.totalLen ?? p.packet.length;
  const props = [encodeProperty(NXPINT_PACKET, p.packet)];
  if (totalLen !== p.packet.length) props.push(encodePropU32(NXPINT_FULL_LEN, totalLen));
  props.push(u8Prop(NXPINT_TABLE_ID, p.tableId));
  if (p.cookie !== COOKIE_NONE) props.push(u64Prop(NXPINT_COOKIE, p.cookie));
  props.push(u8Prop(NXPINT_REASON, encodePacketInReason(p.reason, p.version)));
  props.push(encodeProperty(NXPINT_METADATA, encodeNxMatch(p.match, p.version)));
  return props;
}

/**
 * Encodes a packet-in for the connection's version and packet-in format
 * (ofputil_encode_packet_in_private): OFPT10/11/12/13_PACKET_IN ('standard'), NXT_PACKET_IN
 * or NXT_PACKET_IN2, with xid 0 unless given.
 * @throws OfpError as encodeOxmMatch/encodeNxMatch for metadata the version cannot express;
 *         RangeError if the message exceeds 65535 bytes.
 */
export function encodePacketIn(pin: PacketIn, xid = 0): Buffer {
  const v = pin.version;
  const totalLen = pin.totalLen ?? pin.packet.length;
  const bufferId = pin.bufferId ?? OFP_NO_BUFFER;
  const reason = encodePacketInReason(pin.reason, v);
  if (pin.format === 'nxt_packet_in2') {
    const props = packetInProperties(pin);
    if (pin.continuation?.length) props.push(nestedProp(NXPINT_CONTINUATION, pin.continuation));
    if (pin.userdata?.length) props.push(encodeProperty(NXPINT_USERDATA, pin.userdata));
    return encodeMsg('NXT_PACKET_IN2', v, xid, Buffer.concat(props));
  }
  if (pin.format === 'nxt_packet_in') {
    const nxm = encodeNxMatch(pin.match);
    const head = Buffer.alloc(24);
    head.writeUInt32BE(bufferId >>> 0, 0);
    head.writeUInt16BE(totalLen, 4);
    head[6] = reason;
    head[7] = pin.tableId;
    head.writeBigUInt64BE(pin.cookie, 8);
    head.writeUInt16BE(nxm.length, 16);
    const padded = Buffer.alloc((nxm.length + 7) & ~7);
    nxm.copy(padded);
    return encodeMsg('NXT_PACKET_IN', v, xid, Buffer.concat([head, padded, Buffer.alloc(2), pin.packet]));
  }
  if (v === OFP10_VERSION) {
    const head = Buffer.alloc(10);
    head.writeUInt32BE(bufferId >>> 0, 0);
    head.writeUInt16BE(totalLen, 4);
    head.writeUInt16BE(inPortOf(pin.match), 6);
    head[8] = reason;
    return encodeMsg('OFPT10_PACKET_IN', v, xid, Buffer.concat([head, pin.packet]));
  }
  if (v === OFP11_VERSION) {
    const head = Buffer.alloc(16);
    const port = ofp10PortToOfp11(inPortOf(pin.match));
    head.writeUInt32BE(bufferId >>> 0, 0);
    head.writeUInt32BE(port, 4);
    head.writeUInt32BE(port, 8);
    head.writeUInt16BE(totalLen, 12);
    head[14] = reason;
    head[15] = pin.tableId;
    return encodeMsg('OFPT11_PACKET_IN', v, xid, Buffer.concat([head, pin.packet]));
  }
  const head = Buffer.alloc(v >= OFP13_VERSION ? 16 : 8);
  head.writeUInt32BE(bufferId >>> 0, 0);
  head.writeUInt16BE(totalLen, 4);
  head[6] = reason;
  head[7] = pin.tableId;
  if (v >= OFP13_VERSION) head.writeBigUInt64BE(pin.cookie, 8);
  return encodeMsg(v >= OFP13_VERSION ? 'OFPT13_PACKET_IN' : 'OFPT12_PACKET_IN', v, xid,
    Buffer.concat([head, encodeOxmMatch(pin.match, v), Buffer.alloc(2), pin.packet]));
}

/** A decoded packet-in or NXT_RESUME (OVS `ofputil_packet_in` + total length and buffer id). */
export interface DecodedPacketIn {
  packet: Buffer;
  totalLen: number;
  bufferId: number;
  /** The wire reason. */
  reason: number;
  tableId: number;
  /** COOKIE_NONE when the message has none. */
  cookie: bigint;
  match: Match;
  userdata?: Buffer;
  /** The NXPINT_CONTINUATION content (inner properties), empty if absent. */
  continuation: Buffer;
}

const badLen = (what: string) => new OfpError('OFPBRC_BAD_LEN', what);

/**
 * The metadata OpenFlow 1.0/1.1 messages imply: just in_port for a packet-in, plus the Ethernet
 * packet type for a packet-out (as ofputil_decode_packet_in / _packet_out build them).
 */
function inPortMatch(port: number, ethernet: boolean): Match {
  const m = Match.catchall();
  if (ethernet) {
    const packetType = Buffer.alloc(4);
    packetType.writeUInt32BE(PT_ETH);
    m.setField(mfField('packet_type'), packetType);
  }
  m.setField(mfField('in_port'), Buffer.from([port >> 8, port & 0xff]));
  return m;
}

/** Decodes NXT_PACKET_IN2 / NXT_RESUME properties (decode_nx_packet_in2). */
function decodePacketIn2(msg: OfpMsg, loose: boolean): DecodedPacketIn {
  const pin: DecodedPacketIn = {
    packet: Buffer.alloc(0), totalLen: 0, bufferId: OFP_NO_BUFFER, reason: 0, tableId: 0, cookie: COOKIE_NONE,
    match: Match.catchall(), continuation: Buffer.alloc(0),
  };
  for (const p of pullProperties(msg.body)) {
    switch (p.experimenter ? -1 : p.type) {
      case NXPINT_PACKET: pin.packet = p.payload; break;
      case NXPINT_FULL_LEN: pin.totalLen = propU32(p); break;
      case NXPINT_BUFFER_ID: pin.bufferId = propU32(p); break;
      case NXPINT_TABLE_ID: pin.tableId = propU8(p); break;
      case NXPINT_COOKIE: pin.cookie = propU64(p); break;
      case NXPINT_REASON: pin.reason = propU8(p); break;
      case NXPINT_METADATA: pin.match = decodeNxMatch(p.payload, { strict: !loose, oxm: true }); break;
      case NXPINT_USERDATA: pin.userdata = p.payload; break;
      case NXPINT_CONTINUATION:
        if (p.data.length < 8) throw new OfpError('OFPBPC_BAD_LEN', 'continuation property is too short');
        pin.continuation = p.data.subarray(8);
        break;
      default: unknownProperty(p, loose, 'NX_PACKET_IN2');
    }
  }
  if (!pin.packet.length) throw badLen(`${msg.raw} lacks packet`);
  if (!pin.totalLen) pin.totalLen = pin.packet.length;
  else if (pin.totalLen < pin.packet.length) throw badLen(`${msg.raw} claimed full_len < len`);
  return pin;
}

/**
 * Decodes any packet-in format, or NXT_RESUME (ofputil_decode_packet_in).
 * @param loose ignore unknown NXT_PACKET_IN2 properties and metadata fields (a controller's
 *        view); NXT_RESUME handling in the switch is strict.
 * @throws OfpError OFPBRC_BAD_LEN, OFPBMC_* (metadata), OFPBAC_BAD_OUT_PORT, OFPBPC_*.
 */
export function decodePacketIn(msg: OfpMsg, loose = true): DecodedPacketIn {
  const b = msg.body;
  if (msg.raw === 'NXT_PACKET_IN2' || msg.raw === 'NXT_RESUME') return decodePacketIn2(msg, loose);
  const base = { cookie: COOKIE_NONE, tableId: 0, continuation: Buffer.alloc(0) };
  switch (msg.raw) {
    case 'OFPT10_PACKET_IN':
      return { ...base, bufferId: b.readUInt32BE(0), totalLen: b.readUInt16BE(4), match: inPortMatch(b.readUInt16BE(6), false),
        reason: b[8], packet: b.subarray(10) };
    case 'OFPT11_PACKET_IN':
      return { ...base, bufferId: b.readUInt32BE(0), match: inPortMatch(portFromOfp11(b.readUInt32BE(4)), false),
        totalLen: b.readUInt16BE(12), reason: b[14], tableId: b[15], packet: b.subarray(16) };
    case 'OFPT12_PACKET_IN':
    case 'OFPT13_PACKET_IN': {
      const at = msg.raw === 'OFPT13_PACKET_IN' ? 16 : 8;
      const { match, length } = decodeOxmMatch(b, at, { strict: false });
      if (b.length < at + length + 2) throw badLen('packet-in lacks padding after its match');
      return { ...base, bufferId: b.readUInt32BE(0), totalLen: b.readUInt16BE(4), reason: b[6], tableId: b[7],
        cookie: at === 16 ? b.readBigUInt64BE(8) : COOKIE_NONE, match, packet: b.subarray(at + length + 2) };
    }
    case 'NXT_PACKET_IN': {
      const matchLen = b.readUInt16BE(16);
      const padded = (matchLen + 7) & ~7;
      if (b.length < 24 + padded) throw new OfpError('OFPBMC_BAD_LEN', `nx_match length ${matchLen} exceeds the message`);
      const match = decodeNxMatch(b.subarray(24, 24 + matchLen), { strict: false });
      if (b.length < 24 + padded + 2) throw badLen('NXT_PACKET_IN lacks padding after its match');
      return { bufferId: b.readUInt32BE(0), totalLen: b.readUInt16BE(4), reason: b[6], tableId: b[7],
        cookie: b.readBigUInt64BE(8), match, packet: b.subarray(24 + padded + 2), continuation: Buffer.alloc(0) };
    }
    default:
      throw new OfpError('OFPBRC_BAD_TYPE', `${msg.raw} is not a packet-in`);
  }
}

/** The switch-private state of a paused pipeline (OVS `ofputil_packet_in_private` minus the packet-in). */
export interface Continuation {
  /** 16-byte UUID of the bridge that paused, absent if zero. */
  bridge?: Buffer;
  /** The nxm stack, bottom first; each value at most 128 bytes. */
  stack: Buffer[];
  mirrors: number;
  conntracked: boolean;
  /** Actions still to run, in groups that each continue a rule (table id and cookie). */
  actions: { tableId: number; cookie: bigint; ofpacts: Ofpact[] }[];
  actionSet: Ofpact[];
  /** Datapath input port, 0 if none. */
  odpPort: number;
}

/**
 * Encodes continuation state as NXCPT_* properties (ofputil_put_packet_in_private), for
 * PacketIn.continuation. Table id and cookie are emitted when they change from the previous
 * group's (initially 0); empty action groups are omitted.
 */
export function encodeContinuation(version: number, c: Continuation): Buffer {
  const props: Buffer[] = [];
  if (c.bridge && c.bridge.some((x) => x)) props.push(encodeProperty(NXCPT_BRIDGE, c.bridge));
  for (let i = c.stack.length - 1; i >= 0; i--) props.push(encodeProperty(NXCPT_STACK, c.stack[i]));
  if (c.mirrors) props.push(encodePropU32(NXCPT_MIRRORS, c.mirrors));
  if (c.conntracked) props.push(encodeProperty(NXCPT_CONNTRACKED, Buffer.alloc(0)));
  let tableId = 0;
  let cookie = 0n;
  for (const group of c.actions) {
    if (group.tableId !== tableId) props.push(u8Prop(NXCPT_TABLE_ID, (tableId = group.tableId)));
    if (group.cookie !== cookie) props.push(u64Prop(NXCPT_COOKIE, (cookie = group.cookie)));
    if (group.ofpacts.length) props.push(nestedProp(NXCPT_ACTIONS, encodeActions(version, group.ofpacts)));
  }
  if (c.actionSet.length) props.push(nestedProp(NXCPT_ACTION_SET, encodeActions(version, c.actionSet)));
  if (c.odpPort) props.push(encodePropU32(NXCPT_ODP_PORT, c.odpPort));
  return Buffer.concat(props);
}

function nestedActions(p: OfpProp, version: number): Ofpact[] {
  if (p.data.length < 8) throw new OfpError('OFPBPC_BAD_LEN', `actions property has bad length ${p.data.length}`);
  return decodeActions(version, p.data.subarray(8));
}

/**
 * Decodes NXCPT_* continuation properties (ofputil_decode_packet_in_private).
 * @throws OfpError OFPBPC_BAD_LEN, OFPBPC_BAD_TYPE (unknown property unless loose), the errors of
 *         decodeActions.
 */
export function decodeContinuation(version: number, buf: Buffer, loose = false): Continuation {
  const c: Continuation = { stack: [], mirrors: 0, conntracked: false, actions: [], actionSet: [], odpPort: 0 };
  let tableId = 0;
  let cookie = 0n;
  for (const p of pullProperties(buf)) {
    switch (p.experimenter ? -1 : p.type) {
      case NXCPT_BRIDGE:
        if (p.payload.length !== 16) throw new OfpError('OFPBPC_BAD_LEN', 'bridge UUID property length');
        c.bridge = p.payload;
        break;
      case NXCPT_STACK:
        if (p.payload.length > 128) {
          throw new OfpError('OFPBPC_BAD_LEN', `NXCPT_STACK property has bad length ${p.payload.length}`);
        }
        c.stack.unshift(p.payload);
        break;
      case NXCPT_MIRRORS: c.mirrors = propU32(p); break;
      case NXCPT_CONNTRACKED: c.conntracked = true; break;
      case NXCPT_TABLE_ID: tableId = propU8(p); break;
      case NXCPT_COOKIE: cookie = propU64(p); break;
      case NXCPT_ACTIONS: c.actions.push({ tableId, cookie, ofpacts: nestedActions(p, version) }); break;
      case NXCPT_ACTION_SET: c.actionSet = nestedActions(p, version); break;
      case NXCPT_ODP_PORT: c.odpPort = propU32(p); break;
      default: unknownProperty(p, loose, 'continuation');
    }
  }
  return c;
}

/** A decoded NXT_RESUME: the packet-in fields and the decoded continuation. */
export interface Resume extends Omit<DecodedPacketIn, 'continuation'> { continuation: Continuation }

/**
 * Decodes NXT_RESUME as the switch does (strict: unknown properties or metadata fields are errors).
 * @throws OfpError as decodePacketIn and decodeContinuation.
 */
export function decodeResume(msg: OfpMsg): Resume {
  const pin = decodePacketIn(msg, false);
  return { ...pin, continuation: decodeContinuation(msg.version, pin.continuation) };
}

/**
 * Encodes NXT_RESUME for a packet-in and its continuation (ofputil_encode_resume): what a
 * controller sends back; used for tests and symmetry.
 */
export function encodeResume(pin: Omit<PacketIn, 'format' | 'userdata'>, xid: number): Buffer {
  const props = packetInProperties(pin);
  if (pin.continuation?.length) props.push(nestedProp(NXPINT_CONTINUATION, pin.continuation));
  return encodeMsg('NXT_RESUME', pin.version, xid, Buffer.concat(props));
}

/** A decoded PACKET_OUT (OVS `ofputil_packet_out`). */
export interface PacketOut {
  /** OFP_NO_BUFFER when the packet is included. */
  bufferId: number;
  /** 16-bit input port (from the match in OpenFlow 1.5). */
  inPort: number;
  /** Flow metadata: packet type and in_port, plus any pipeline fields (OpenFlow 1.5). */
  match: Match;
  ofpacts: Ofpact[];
  /** The packet, empty when buffered. */
  packet: Buffer;
}

/**
 * Decodes OFPT_PACKET_OUT (ofputil_decode_packet_out).
 * @throws OfpError OFPBRC_BAD_LEN (actions longer than the message or not a multiple of 8),
 *         OFPBAC_BAD_OUT_PORT (unmappable 1.1–1.4 in_port), OFPBRC_BAD_PORT (1.5 match without
 *         in_port, or an in_port that is reserved other than LOCAL, NONE and CONTROLLER),
 *         OFPBMC_* / OFPBRC_PIPELINE_FIELDS_ONLY (1.5 match), and the errors of decodeActions.
 */
export function decodePacketOut(msg: OfpMsg, opts: DecodeActionsOptions = {}): PacketOut {
  const b = msg.body;
  let match: Match;
  let actionsAt: number;
  let actionsLen: number;
  if (msg.raw === 'OFPT15_PACKET_OUT') {
    actionsLen = b.readUInt16BE(4);
    const m = decodeOxmMatch(b, 8, { strict: false, pipelineFieldsOnly: true });
    match = m.match;
    if (match.isAllWild(mfField('in_port'))) throw new OfpError('OFPBRC_BAD_PORT', 'packet-out match lacks in_port');
    actionsAt = 8 + m.length;
  } else if (msg.raw === 'OFPT11_PACKET_OUT') {
    match = inPortMatch(portFromOfp11(b.readUInt32BE(4)), true);
    actionsLen = b.readUInt16BE(8);
    actionsAt = 16;
  } else if (msg.raw === 'OFPT10_PACKET_OUT') {
    match = inPortMatch(b.readUInt16BE(4), true);
    actionsLen = b.readUInt16BE(6);
    actionsAt = 8;
  } else {
    throw new OfpError('OFPBRC_BAD_TYPE', `${msg.raw} is not a packet-out`);
  }
  if (actionsLen % 8) throw badLen(`actions length ${actionsLen} is not a multiple of 8`);
  if (actionsLen > b.length - actionsAt) {
    throw badLen(`actions length ${actionsLen} exceeds remaining message length ${b.length - actionsAt}`);
  }
  const ofpacts = decodeActions(msg.version, b.subarray(actionsAt, actionsAt + actionsLen), opts);
  const inPort = inPortOf(match);
  if (inPort >= OFPP_MAX && inPort !== OFPP_LOCAL && inPort !== OFPP_NONE && inPort !== OFPP_CONTROLLER) {
    throw new OfpError('OFPBRC_BAD_PORT', `packet-out has bad input port 0x${inPort.toString(16)}`);
  }
  const bufferId = b.readUInt32BE(0);
  const packet = bufferId === OFP_NO_BUFFER ? b.subarray(actionsAt + actionsLen) : Buffer.alloc(0);
  return { bufferId, inPort, match, ofpacts, packet };
}

/** Encodes OFPT_PACKET_OUT for `version` (ofputil_encode_packet_out); the packet is sent only when unbuffered. */
export function encodePacketOut(po: Omit<PacketOut, 'inPort'>, version: number, xid: number): Buffer {
  const actions = encodeActions(version, po.ofpacts);
  const packet = po.bufferId === OFP_NO_BUFFER ? po.packet : Buffer.alloc(0);
  let head: Buffer;
  if (version === OFP10_VERSION) {
    head = Buffer.alloc(8);
    head.writeUInt16BE(inPortOf(po.match), 4);
    head.writeUInt16BE(actions.length, 6);
  } else if (version < OFP15_VERSION) {
    head = Buffer.alloc(16);
    head.writeUInt32BE(ofp10PortToOfp11(inPortOf(po.match)), 4);
    head.writeUInt16BE(actions.length, 8);
  } else {
    const fixed = Buffer.alloc(8);
    fixed.writeUInt16BE(actions.length, 4);
    head = Buffer.concat([fixed, encodeOxmMatch(po.match, version)]);
  }
  head.writeUInt32BE(po.bufferId >>> 0, 0);
  const raw = version === OFP10_VERSION ? 'OFPT10_PACKET_OUT'
    : version < OFP15_VERSION ? 'OFPT11_PACKET_OUT' : 'OFPT15_PACKET_OUT';
  return encodeMsg(raw, version, xid, Buffer.concat([head, actions, packet]));
}
