/**
 * Flow monitoring: the monitor request (NXST_FLOW_MONITOR in OpenFlow 1.0–1.2, the ONF
 * extension ONFST_FLOW_MONITOR in 1.3, OFPMP_FLOW_MONITOR in 1.4+), the flow updates sent in
 * its replies (full and abbreviated; paused/resumed in 1.4+), and NXT/ONFT_FLOW_MONITOR_CANCEL,
 * _PAUSED and _RESUMED. Facts follow OVS 3.1 lib/ofp-monitor.c, including its mapping of the
 * Nicira flags onto the OpenFlow 1.4 ones (NXFMF_OWN ↔ OFPFMF_ONLY_OWN).
 */
import { OFP13_VERSION, OFP14_VERSION, OFPG_ANY, OFPP_ANY, OFPTT_ALL, ofp10PortToOfp11 } from './common';
import { OfpError } from './ofp-errors';
import type { OfpMsg, OfpRaw } from './ofp-msgs';
import { encodeMsg, encodeMultipartReply } from './ofp-msgs';
import { Match } from './match';
import { decodeMatch, encodeMatch } from './ofp-match';
import type { Ofpact } from './ofpacts';
import { decodeActions, decodeInstructions, encodeActions, encodeInstructions } from './ofp-actions';
import { OfpStruct, align8, portFromOfp11, pullNxMatch, putNxMatch } from './ofp-flow';

/** Flow monitor flags, OpenFlow 1.4 numbering (`ofp14_flow_monitor_flags`), used internally for all versions. */
export const OFPFMF_INITIAL = 1 << 0;
export const OFPFMF_ADD = 1 << 1;
export const OFPFMF_REMOVED = 1 << 2;
export const OFPFMF_MODIFY = 1 << 3;
export const OFPFMF_INSTRUCTIONS = 1 << 4;
export const OFPFMF_NO_ABBREV = 1 << 5;
export const OFPFMF_ONLY_OWN = 1 << 6;

/** Nicira / ONF flag bits ↔ OpenFlow 1.4 bits, as OVS maps them. */
const NX_FLAG_MAP: ReadonlyArray<readonly [number, number]> = [
  [1 << 0, OFPFMF_INITIAL], [1 << 1, OFPFMF_ADD], [1 << 2, OFPFMF_REMOVED], [1 << 3, OFPFMF_MODIFY],
  [1 << 4, OFPFMF_INSTRUCTIONS], [1 << 5, OFPFMF_ONLY_OWN],
];
const NXFMF_ALL = 0x3f;
const NXFMF_EVENTS = (1 << 1) | (1 << 2) | (1 << 3);
const OFPFMF_ALL = OFPFMF_INITIAL | OFPFMF_ADD | OFPFMF_REMOVED | OFPFMF_MODIFY | OFPFMF_INSTRUCTIONS | OFPFMF_ONLY_OWN;
const OFPFMF_EVENTS = OFPFMF_ADD | OFPFMF_REMOVED | OFPFMF_MODIFY;

function nxToOfpFlags(nx: number): number {
  return NX_FLAG_MAP.reduce((f, [n, o]) => (nx & n ? f | o : f), 0);
}

function ofpToNxFlags(ofp: number): number {
  return NX_FLAG_MAP.reduce((f, [n, o]) => (ofp & o ? f | n : f), 0);
}

/** Monitor commands (`ofp14_flow_monitor_command`); Nicira and ONF requests always add. */
export type FlowMonitorCommand = 'add' | 'modify' | 'delete';
const MONITOR_COMMANDS: readonly FlowMonitorCommand[] = ['add', 'modify', 'delete'];

/**
 * One flow monitor (OVS `struct ofputil_flow_monitor_request`): `flags` OFPFMF_*; `outPort`
 * 16-bit internal (OFPP_ANY = any), `outGroup` 32-bit (OFPG_ANY = any); `tableId` 255 = all.
 */
export interface FlowMonitorRequest {
  id: number; command: FlowMonitorCommand; flags: number; outPort: number; outGroup: number;
  tableId: number; match: Match;
}

const NX_FLOW_MONITOR_REQUEST = new OfpStruct('nx_flow_monitor_request', [
  ['id', 'u32'], ['flags', 'u16'], ['outPort', 'u16'], ['matchLen', 'u16'], ['tableId', 'u8'], ['zeros', 'pad', 5],
]);
const ONF_FLOW_MONITOR_REQUEST = new OfpStruct('onf_flow_monitor_request', [
  ['id', 'u32'], ['flags', 'u16'], ['matchLen', 'u16'], ['outPort', 'u32'], ['tableId', 'u8'], ['zeros', 'pad', 3],
]);
const OFP14_FLOW_MONITOR_REQUEST = new OfpStruct('ofp14_flow_monitor_request', [
  ['monitorId', 'u32'], ['outPort', 'u32'], ['outGroup', 'u32'], ['flags', 'u16'], ['tableId', 'u8'], ['command', 'u8'],
]);

/**
 * Decodes every monitor of a flow monitor request (OVS ofputil_decode_flow_monitor_request).
 * An OpenFlow 1.4 "delete" may lack its match, as ovs-ofctl sends it; it then reads as catch-all.
 * @throws OfpError OFPBRC_BAD_LEN, OFPMOFC_BAD_FLAGS (no event flag, or unknown flags),
 *         OFPMOFC_BAD_COMMAND (1.4 command other than add/modify/delete), NXBRC_MUST_BE_ZERO
 *         (nonzero padding), OFPBAC_BAD_OUT_PORT, and match errors
 */
export function decodeFlowMonitorRequest(msg: OfpMsg): FlowMonitorRequest[] {
  const { body, version } = msg;
  const out: FlowMonitorRequest[] = [];
  let p = 0;
  while (p < body.length) {
    switch (msg.raw) {
      case 'NXST_FLOW_MONITOR_REQUEST': {
        const o = NX_FLOW_MONITOR_REQUEST.unpack(body, p);
        checkNxFlags(o.flags);
        checkZeros(body, p + 11, 5);
        const m = pullNxMatch(body, p + NX_FLOW_MONITOR_REQUEST.size, o.matchLen, false);
        out.push({ id: o.id, command: 'add', flags: nxToOfpFlags(o.flags), outPort: o.outPort, outGroup: OFPG_ANY, tableId: o.tableId, match: m.match });
        p += NX_FLOW_MONITOR_REQUEST.size + m.length;
        break;
      }
      case 'ONFST13_FLOW_MONITOR_REQUEST': {
        const o = ONF_FLOW_MONITOR_REQUEST.unpack(body, p);
        checkNxFlags(o.flags);
        checkZeros(body, p + 13, 3);
        const outPort = portFromOfp11(o.outPort);
        const m = decodeMatch(version, body, p + ONF_FLOW_MONITOR_REQUEST.size);
        out.push({ id: o.id, command: 'add', flags: nxToOfpFlags(o.flags), outPort, outGroup: OFPG_ANY, tableId: o.tableId, match: m.match });
        p += ONF_FLOW_MONITOR_REQUEST.size + m.length;
        break;
      }
      case 'OFPST14_FLOW_MONITOR_REQUEST': {
        const o = OFP14_FLOW_MONITOR_REQUEST.unpack(body, p);
        const command = MONITOR_COMMANDS[o.command];
        if (!command) throw new OfpError('OFPMOFC_BAD_COMMAND', `flow monitor command ${o.command}`);
        const isDelete = command === 'delete';
        if (!isDelete && (!(o.flags & OFPFMF_EVENTS) || o.flags & ~OFPFMF_ALL)) {
          throw new OfpError('OFPMOFC_BAD_FLAGS', `flow monitor flags 0x${o.flags.toString(16)}`);
        }
        const outPort = isDelete ? OFPP_ANY : portFromOfp11(o.outPort);
        const at = p + OFP14_FLOW_MONITOR_REQUEST.size;
        // ovs-ofctl (OVS ofputil_encode_flow_monitor_cancel) sends a delete without any match.
        const m = isDelete && at === body.length ? { match: Match.catchall(), length: 0 } : decodeMatch(version, body, at);
        out.push({ id: o.monitorId, command, flags: isDelete ? 0 : o.flags, outPort,
          outGroup: isDelete ? OFPG_ANY : o.outGroup, tableId: o.tableId, match: m.match });
        p = at + m.length;
        break;
      }
      default:
        throw new OfpError('OFPBRC_BAD_STAT', `${msg.raw} is not a flow monitor request`);
    }
  }
  return out;
}

function checkNxFlags(flags: number): void {
  if (!(flags & NXFMF_EVENTS) || flags & ~NXFMF_ALL) {
    throw new OfpError('OFPMOFC_BAD_FLAGS', `flow monitor flags 0x${flags.toString(16)}`);
  }
}

function checkZeros(buf: Buffer, at: number, n: number): void {
  if (buf.subarray(at, at + n).some((b) => b !== 0)) throw new OfpError('NXBRC_MUST_BE_ZERO', 'nonzero padding in flow monitor request');
}

/** The monitor request raw message for `version`. */
function requestRaw(version: number): OfpRaw {
  return version < OFP13_VERSION ? 'NXST_FLOW_MONITOR_REQUEST'
    : version === OFP13_VERSION ? 'ONFST13_FLOW_MONITOR_REQUEST' : 'OFPST14_FLOW_MONITOR_REQUEST';
}

/** The monitor reply (flow update) raw message for `version`. */
function replyRaw(version: number): OfpRaw {
  return version < OFP13_VERSION ? 'NXST_FLOW_MONITOR_REPLY'
    : version === OFP13_VERSION ? 'ONFST13_FLOW_MONITOR_REPLY' : 'OFPST14_FLOW_MONITOR_REPLY';
}

function encodeMonitorEntry(rq: FlowMonitorRequest, version: number): Buffer {
  if (version < OFP13_VERSION) {
    const m = putNxMatch(rq.match);
    return Buffer.concat([NX_FLOW_MONITOR_REQUEST.pack({
      id: rq.id, flags: ofpToNxFlags(rq.flags), outPort: rq.outPort, matchLen: m.matchLen, tableId: rq.tableId,
    }), m.padded]);
  }
  const match = encodeMatch(version, rq.match);
  if (version === OFP13_VERSION) {
    return Buffer.concat([ONF_FLOW_MONITOR_REQUEST.pack({
      id: rq.id, flags: ofpToNxFlags(rq.flags), matchLen: match.readUInt16BE(2), outPort: ofp10PortToOfp11(rq.outPort), tableId: rq.tableId,
    }), match]);
  }
  return Buffer.concat([OFP14_FLOW_MONITOR_REQUEST.pack({
    monitorId: rq.id, outPort: ofp10PortToOfp11(rq.outPort), outGroup: rq.outGroup, flags: rq.flags,
    tableId: rq.tableId, command: MONITOR_COMMANDS.indexOf(rq.command),
  }), match]);
}

/** Encodes a flow monitor request carrying `monitors`, in `version`'s form (as ovs-ofctl monitor sends it). */
export function encodeFlowMonitorRequest(monitors: FlowMonitorRequest[], version: number, xid: number): Buffer {
  return encodeMsg(requestRaw(version), version, xid, Buffer.concat(monitors.map((rq) => encodeMonitorEntry(rq, version))));
}

/** Flow update events (`ofp_flow_update_event`); Nicira/ONF have no initial, paused or resumed event. */
export type FlowUpdateEvent = 'initial' | 'added' | 'removed' | 'modified' | 'abbrev' | 'paused' | 'resumed';
const OFP_EVENTS: readonly FlowUpdateEvent[] = ['initial', 'added', 'removed', 'modified', 'abbrev', 'paused', 'resumed'];
/** Nicira events (`nx_flow_update_event`) by number; "initial" is sent as NXFME_ADDED. */
const NX_EVENTS: readonly FlowUpdateEvent[] = ['added', 'removed', 'modified', 'abbrev'];

/**
 * One flow update (OVS `struct ofputil_flow_update`). Full updates describe a flow
 * (`reason` OFPRR_* for removals, else 0; timeouts in seconds; `ofpacts` empty when not
 * requested); "abbrev" names the xid of the controller's own flow_mod; "paused"/"resumed"
 * (OpenFlow 1.4+) carry nothing.
 */
export type FlowUpdate = FullFlowUpdate | { event: 'abbrev'; xid: number } | { event: 'paused' | 'resumed' };

/** A flow update that describes a flow. */
export interface FullFlowUpdate {
  event: 'initial' | 'added' | 'removed' | 'modified'; reason: number; priority: number; idleTimeout: number;
  hardTimeout: number; tableId: number; cookie: bigint; match: Match; ofpacts: Ofpact[];
}

function isFull(u: FlowUpdate): u is FullFlowUpdate {
  return u.event !== 'abbrev' && u.event !== 'paused' && u.event !== 'resumed';
}

const NX_FLOW_UPDATE_FULL = new OfpStruct('nx_flow_update_full', [
  ['length', 'u16'], ['event', 'u16'], ['reason', 'u16'], ['priority', 'u16'], ['idleTimeout', 'u16'],
  ['hardTimeout', 'u16'], ['matchLen', 'u16'], ['tableId', 'u8'], ['pad', 'pad', 1], ['cookie', 'u64'],
]);
const OFP_FLOW_UPDATE_FULL = new OfpStruct('ofp_flow_update_full', [
  ['length', 'u16'], ['event', 'u16'], ['tableId', 'u8'], ['reason', 'u8'], ['idleTimeout', 'u16'],
  ['hardTimeout', 'u16'], ['priority', 'u16'], ['zeros', 'pad', 4], ['cookie', 'u64'],
]);
/** `ofp_flow_update_abbrev` / `nx_flow_update_abbrev`, and (xid zero) `ofp_flow_update_paused`. */
const FLOW_UPDATE_ABBREV = new OfpStruct('ofp_flow_update_abbrev', [['length', 'u16'], ['event', 'u16'], ['xid', 'u32']]);

/** Encodes one flow update for `version` (OVS ofputil_append_flow_update). */
function encodeFlowUpdate(u: FlowUpdate, version: number): Buffer {
  const nx = version < OFP14_VERSION;
  if (!isFull(u)) {
    if (nx && u.event !== 'abbrev') throw new OfpError('OFPBRC_BAD_VERSION', `${u.event} updates need OpenFlow 1.4`);
    return FLOW_UPDATE_ABBREV.pack({
      length: FLOW_UPDATE_ABBREV.size, event: nx ? NX_EVENTS.indexOf('abbrev') : OFP_EVENTS.indexOf(u.event),
      xid: u.event === 'abbrev' ? u.xid : 0,
    });
  }
  if (!nx) {
    const match = encodeMatch(version, u.match);
    const insts = encodeInstructions(version, u.ofpacts);
    return Buffer.concat([OFP_FLOW_UPDATE_FULL.pack({
      length: OFP_FLOW_UPDATE_FULL.size + match.length + insts.length, event: OFP_EVENTS.indexOf(u.event),
      tableId: u.tableId, reason: u.reason, idleTimeout: u.idleTimeout, hardTimeout: u.hardTimeout,
      priority: u.priority, cookie: u.cookie,
    }), match, insts]);
  }
  let match: Buffer;
  let matchLen: number;
  let actions: Buffer;
  if (version === OFP13_VERSION) {
    match = encodeMatch(version, u.match);
    matchLen = match.readUInt16BE(2);
    actions = encodeInstructions(version, u.ofpacts);
  } else {
    const m = putNxMatch(u.match);
    match = m.padded;
    matchLen = m.matchLen;
    actions = encodeActions(version, u.ofpacts);
  }
  return Buffer.concat([NX_FLOW_UPDATE_FULL.pack({
    length: NX_FLOW_UPDATE_FULL.size + match.length + actions.length,
    event: NX_EVENTS.indexOf(u.event === 'initial' ? 'added' : u.event), reason: u.reason, priority: u.priority,
    idleTimeout: u.idleTimeout, hardTimeout: u.hardTimeout, matchLen, tableId: u.tableId, cookie: u.cookie,
  }), match, actions]);
}

/**
 * Encodes flow updates as flow monitor replies for `version` (NXST for 1.0–1.2, ONFST for
 * 1.3, OFPMP_FLOW_MONITOR for 1.4+), split into ≤ 64 kB messages. Asynchronous updates use
 * xid 0; the initial reply to a request uses the request's xid.
 * @throws OfpError OFPBRC_BAD_VERSION for paused/resumed updates before 1.4
 */
export function encodeFlowUpdates(updates: FlowUpdate[], version: number, xid = 0): Buffer[] {
  return encodeMultipartReply(replyRaw(version), version, xid, updates.map((u) => encodeFlowUpdate(u, version)));
}

/**
 * Decodes the flow updates of one flow monitor reply message (OVS ofputil_decode_flow_update).
 * @throws OfpError OFPBRC_BAD_LEN, NXBRC_FM_BAD_EVENT, and match/action errors
 */
export function decodeFlowUpdates(msg: OfpMsg): FlowUpdate[] {
  const { body, version } = msg;
  const nx = msg.raw !== 'OFPST14_FLOW_MONITOR_REPLY';
  const out: FlowUpdate[] = [];
  let p = 0;
  while (p < body.length) {
    if (body.length - p < 4) throw new OfpError('OFPBRC_BAD_LEN', 'flow update header truncated');
    const length = body.readUInt16BE(p);
    const eventNo = body.readUInt16BE(p + 2);
    if (length > body.length - p || length % 8 || !length) throw new OfpError('OFPBRC_BAD_LEN', `flow update length ${length}`);
    const e = body.subarray(p, p + length);
    const event = (nx ? NX_EVENTS : OFP_EVENTS)[eventNo];
    if (!event) throw new OfpError('NXBRC_FM_BAD_EVENT', `flow update event ${eventNo}`);
    if (event === 'abbrev' || event === 'paused' || event === 'resumed') {
      if (length !== FLOW_UPDATE_ABBREV.size) throw new OfpError('OFPBRC_BAD_LEN', `${event} update length ${length}`);
      out.push(event === 'abbrev' ? { event, xid: e.readUInt32BE(4) } : { event });
    } else if (nx) {
      const o = NX_FLOW_UPDATE_FULL.unpack(e);
      if (NX_FLOW_UPDATE_FULL.size + o.matchLen > length) throw new OfpError('OFPBRC_BAD_LEN', `flow update match_len ${o.matchLen}`);
      let match: Match;
      let ofpacts: Ofpact[];
      if (msg.raw === 'ONFST13_FLOW_MONITOR_REPLY') {
        const m = decodeMatch(version, e, NX_FLOW_UPDATE_FULL.size);
        match = m.match;
        ofpacts = decodeInstructions(version, e.subarray(NX_FLOW_UPDATE_FULL.size + m.length));
      } else {
        const m = pullNxMatch(e, NX_FLOW_UPDATE_FULL.size, o.matchLen, false);
        match = m.match;
        ofpacts = decodeActions(version, e.subarray(NX_FLOW_UPDATE_FULL.size + align8(o.matchLen)));
      }
      out.push({ event, reason: o.reason, priority: o.priority, idleTimeout: o.idleTimeout, hardTimeout: o.hardTimeout,
        tableId: o.tableId, cookie: o.cookie, match, ofpacts });
    } else {
      const o = OFP_FLOW_UPDATE_FULL.unpack(e);
      const m = decodeMatch(version, e, OFP_FLOW_UPDATE_FULL.size);
      out.push({ event, reason: o.reason, priority: o.priority, idleTimeout: o.idleTimeout, hardTimeout: o.hardTimeout,
        tableId: o.tableId, cookie: o.cookie, match: m.match,
        ofpacts: decodeInstructions(version, e.subarray(OFP_FLOW_UPDATE_FULL.size + m.length)) });
    }
    p += length;
  }
  return out;
}

const NX_FLOW_MONITOR_CANCEL = new OfpStruct('nx_flow_monitor_cancel', [['id', 'u32']]);

/**
 * Decodes NXT_FLOW_MONITOR_CANCEL or ONFT13_FLOW_MONITOR_CANCEL: the monitor id. (OpenFlow
 * 1.4+ cancels with a "delete" monitor request instead.)
 * @throws OfpError OFPBRC_BAD_TYPE for another message
 */
export function decodeFlowMonitorCancel(msg: OfpMsg): number {
  if (msg.raw !== 'NXT_FLOW_MONITOR_CANCEL' && msg.raw !== 'ONFT13_FLOW_MONITOR_CANCEL') {
    throw new OfpError('OFPBRC_BAD_TYPE', `${msg.raw} is not a flow monitor cancel`);
  }
  return NX_FLOW_MONITOR_CANCEL.unpack(msg.body).id;
}

/**
 * Encodes a monitor cancellation (OVS ofputil_encode_flow_monitor_cancel): NXT (1.0–1.2),
 * ONFT (1.3), or an OFPMP_FLOW_MONITOR request with command "delete" and a catch-all match
 * (1.4+).
 */
export function encodeFlowMonitorCancel(id: number, version: number, xid: number): Buffer {
  if (version >= OFP14_VERSION) {
    // Unlike OVS, which leaves the match out, send the catch-all match OpenFlow 1.4 requires.
    return encodeFlowMonitorRequest([{
      id, command: 'delete', flags: 0, outPort: OFPP_ANY, outGroup: OFPG_ANY, tableId: OFPTT_ALL, match: Match.catchall(),
    }], version, xid);
  }
  return encodeMsg(version === OFP13_VERSION ? 'ONFT13_FLOW_MONITOR_CANCEL' : 'NXT_FLOW_MONITOR_CANCEL', version, xid,
    NX_FLOW_MONITOR_CANCEL.pack({ id }));
}

/**
 * Encodes the "monitoring paused" or "resumed" notification (xid 0; OVS
 * ofputil_encode_flow_monitor_pause): NXT_/ONFT13_FLOW_MONITOR_PAUSED/RESUMED before 1.4, an
 * OFPMP_FLOW_MONITOR reply with a paused/resumed update from 1.4.
 */
export function encodeFlowMonitorPause(paused: boolean, version: number): Buffer {
  if (version >= OFP14_VERSION) return encodeFlowUpdates([{ event: paused ? 'paused' : 'resumed' }], version)[0];
  const raw: OfpRaw = version === OFP13_VERSION
    ? paused ? 'ONFT13_FLOW_MONITOR_PAUSED' : 'ONFT13_FLOW_MONITOR_RESUMED'
    : paused ? 'NXT_FLOW_MONITOR_PAUSED' : 'NXT_FLOW_MONITOR_RESUMED';
  return encodeMsg(raw, version, 0, Buffer.alloc(0));
}
