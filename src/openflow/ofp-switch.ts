/**
 * Switch-level OpenFlow messages: HELLO and version negotiation, ECHO, FEATURES, switch config
 * (GET_CONFIG/SET_CONFIG), BARRIER, controller roles (ROLE_REQUEST/REPLY, ROLE_STATUS),
 * asynchronous message configuration (GET_ASYNC/SET_ASYNC, NXT_SET_ASYNC_CONFIG), the Nicira
 * session settings (NXT_SET_FLOW_FORMAT, NXT_FLOW_MOD_TABLE_ID, NXT_SET_PACKET_IN_FORMAT,
 * NXT_SET_CONTROLLER_ID), the switch description (OFPST_DESC) and REQUESTFORWARD — the formats of
 * OVS 3.1's lib/ofp-util.c, ofp-switch.c, ofp-connection.c, ofp-protocol.c and ofp-monitor.c.
 */

import { OFP_HEADER_LEN, OFP10_VERSION, OFP12_VERSION, OFP13_VERSION, OFP14_VERSION } from './common';
import { OfpError } from './ofp-errors';
import {
  OfpMsg, OfpRaw, decodeMsg, encodeMsg, encodeProperty, ofpRawFor, propU32, pullProperties, rawReplyFor, unknownProperty,
} from './ofp-msgs';
import { PortDesc, decodePorts, encodePort } from './ofp-port';

/* ---------------------------------------------------------------- HELLO */

/** `ofp_hello_elem_header.type` of the version bitmap element (OpenFlow 1.3.1 §A.5.1). */
export const OFPHET_VERSIONBITMAP = 1;

/** A decoded HELLO. */
export interface Hello {
  version: number;
  xid: number;
  /** Versions the peer supports, bit N = `ofp_header.version` N. */
  versions: number;
  /** False if the HELLO carried elements or data this decoder could not fully make sense of. */
  understood: boolean;
}

/** Bitmap of versions 1..`version` (what a HELLO without a bitmap element announces). */
const bitmapUpTo = (version: number): number => (version < 31 ? (2 ** (version + 1) - 2) : 0xfffffffe) >>> 0;
const isPow2 = (x: number): boolean => x > 0 && (x & (x - 1)) === 0;
const leftmostBit = (x: number): number => 31 - Math.clz32(x);

/** Converts a list of `ofp_header.version` values into a version bitmap. */
export function versionsToBitmap(versions: readonly number[]): number {
  return versions.reduce((bm, v) => (bm | (2 ** v)) >>> 0, 0);
}

/**
 * Encodes OFPT_HELLO announcing `allowedVersions` (ofputil_encode_hello): the header carries the
 * highest version; a version bitmap element follows only when the set is not simply "1 through
 * the highest".
 * @param allowedVersions bitmap, bit N = version N (nonzero).
 */
export function encodeHello(allowedVersions: number, xid = 0): Buffer {
  const version = leftmostBit(allowedVersions);
  if (isPow2((allowedVersions >>> 1) + 1)) return encodeMsg('OFPT_HELLO', version, xid, Buffer.alloc(0));
  const elem = Buffer.alloc(8);
  elem.writeUInt16BE(OFPHET_VERSIONBITMAP, 0);
  elem.writeUInt16BE(8, 2);
  elem.writeUInt32BE(allowedVersions >>> 0, 4);
  return encodeMsg('OFPT_HELLO', version, xid, elem);
}

/**
 * Decodes OFPT_HELLO (ofputil_decode_hello). Never fails: without a usable bitmap element the
 * peer supports versions 1 through the header's; elements that cannot be parsed set
 * `understood` false and, if malformed, end parsing.
 * @param buf the whole message.
 */
export function decodeHello(buf: Buffer): Hello {
  const version = buf[0];
  const hello: Hello = { version, xid: buf.readUInt32BE(4), versions: bitmapUpTo(version), understood: true };
  const end = Math.min(buf.length, buf.readUInt16BE(2));
  for (let off = OFP_HEADER_LEN; off < end;) {
    if (end - off < 4) return { ...hello, understood: false };
    const type = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    const padded = Math.ceil(len / 8) * 8;
    if (len < 4 || padded > end - off) return { ...hello, understood: false };
    const bitmapLen = len - 4;
    if (type !== OFPHET_VERSIONBITMAP || !bitmapLen || bitmapLen % 4) {
      hello.understood = false;
    } else {
      const versions = buf.readUInt32BE(off + 4) & ~1;
      if (versions) hello.versions = versions >>> 0;
      else hello.understood = false;
    }
    off += padded;
  }
  return hello;
}

/**
 * The version to speak (OpenFlow 1.3.1 §6.3.1 as OVS implements it): the highest version both
 * sides support, or `undefined` if none, in which case the switch answers OFPHFC_INCOMPATIBLE.
 * @param ourAllowed our versions, as a bitmap or a list of version numbers.
 */
export function negotiateVersion(ourAllowed: number | readonly number[],
  theirHello: Pick<Hello, 'versions'>): number | undefined {
  const ours = typeof ourAllowed === 'number' ? ourAllowed : versionsToBitmap(ourAllowed);
  const common = (ours & theirHello.versions) >>> 0;
  return common ? leftmostBit(common) : undefined;
}

const hexVersion = (v: number): string => `0x${v.toString(16).padStart(2, '0')}`;

/**
 * A version bitmap as OVS's vconn describes it in logs and in the HELLO_FAILED text:
 * "no versions", "version 0x04", "version 0x04 and earlier" or "versions 0x01, 0x04".
 */
export function versionBitmapText(bitmap: number): string {
  if (!bitmap) return 'no versions';
  if (isPow2(bitmap)) return `version ${hexVersion(leftmostBit(bitmap))}`;
  if (isPow2((bitmap >>> 1) + 1)) return `version ${hexVersion(leftmostBit(bitmap))} and earlier`;
  const versions: string[] = [];
  for (let v = 0; v < 32; v++) if (bitmap & (2 ** v)) versions.push(hexVersion(v));
  return `versions ${versions.join(', ')}`;
}

/* ---------------------------------------------------------------- ECHO, BARRIER */

/** Encodes OFPT_ECHO_REQUEST with an optional payload. */
export function encodeEchoRequest(version: number, xid = 0, payload: Buffer = Buffer.alloc(0)): Buffer {
  return encodeMsg('OFPT_ECHO_REQUEST', version, xid, payload);
}

/** Encodes the OFPT_ECHO_REPLY to `request`, echoing its payload (ofputil_encode_echo_reply). */
export function encodeEchoReply(request: OfpMsg): Buffer {
  return encodeMsg('OFPT_ECHO_REPLY', request.version, request.xid, request.body);
}

/** Encodes a barrier request for `version` (OFPT10_/OFPT11_BARRIER_REQUEST). */
export function encodeBarrierRequest(version: number, xid: number): Buffer {
  return encodeMsg(ofpRawFor('BARRIER_REQUEST', version)!, version, xid, Buffer.alloc(0));
}

/** Encodes the reply to a barrier request. */
export function encodeBarrierReply(request: OfpMsg): Buffer {
  return encodeMsg(rawReplyFor(request), request.version, request.xid, Buffer.alloc(0));
}

/* ---------------------------------------------------------------- FEATURES */

/** OFPUTIL_C_*: switch capabilities, version-independent (include/openvswitch/ofp-switch.h). */
export const OFPUTIL_C_FLOW_STATS = 1 << 0;
export const OFPUTIL_C_TABLE_STATS = 1 << 1;
export const OFPUTIL_C_PORT_STATS = 1 << 2;
export const OFPUTIL_C_STP = 1 << 3;
export const OFPUTIL_C_GROUP_STATS = 1 << 4;
export const OFPUTIL_C_IP_REASM = 1 << 5;
export const OFPUTIL_C_QUEUE_STATS = 1 << 6;
export const OFPUTIL_C_ARP_MATCH_IP = 1 << 7;
export const OFPUTIL_C_PORT_BLOCKED = 1 << 8;
export const OFPUTIL_C_BUNDLES = 1 << 9;
export const OFPUTIL_C_FLOW_MONITORING = 1 << 10;

/** Wire bits that differ from the OFPUTIL_C_* bit: OFPC10_STP and OFPC11_GROUP_STATS. */
const OFPC10_STP = 1 << 3;
const OFPC11_GROUP_STATS = 1 << 3;
/** Capability bits that share their OFPUTIL_C_* value, per version (ofputil_capabilities_mask). */
const CAPABILITIES_COMMON = OFPUTIL_C_FLOW_STATS | OFPUTIL_C_TABLE_STATS | OFPUTIL_C_PORT_STATS | OFPUTIL_C_IP_REASM
  | OFPUTIL_C_QUEUE_STATS;
function capabilitiesMask(version: number): number {
  if (version <= 2) return CAPABILITIES_COMMON | OFPUTIL_C_ARP_MATCH_IP;
  if (version <= OFP13_VERSION) return CAPABILITIES_COMMON | OFPUTIL_C_PORT_BLOCKED;
  return CAPABILITIES_COMMON | OFPUTIL_C_PORT_BLOCKED | OFPUTIL_C_BUNDLES | OFPUTIL_C_FLOW_MONITORING;
}

/** A FEATURES_REPLY's content (OVS `ofputil_switch_features`). */
export interface SwitchFeatures {
  datapathId: bigint;
  nBuffers: number;
  nTables: number;
  /** OpenFlow 1.3+ auxiliary connection id (0 for the main connection). */
  auxiliaryId: number;
  /** OFPUTIL_C_* bits; each version sends only those it defines. */
  capabilities: number;
  /**
   * OpenFlow 1.0 supported-actions bitmap, on the wire's `ofp_action_type` bits (bit N = action
   * type N); OVS 3.1 advertises 0xfff (OUTPUT … ENQUEUE). Ignored by and 0 from other versions.
   */
  actions: number;
  /** Ports listed in the reply (OpenFlow 1.0–1.2 only). */
  ports: PortDesc[];
}

const OFP_SWITCH_FEATURES_LEN = 24;

/**
 * Encodes OFPT_FEATURES_REPLY (ofputil_encode_switch_features + ofputil_put_switch_features_port):
 * OpenFlow 1.0 adds the actions bitmap, 1.0–1.2 list the ports (as many as fit in 65535
 * bytes), 1.3+ carry `auxiliary_id` and no ports.
 */
export function encodeFeaturesReply(version: number, xid: number, f: SwitchFeatures): Buffer {
  const b = Buffer.alloc(OFP_SWITCH_FEATURES_LEN);
  b.writeBigUInt64BE(f.datapathId, 0);
  b.writeUInt32BE(f.nBuffers >>> 0, 8);
  b[12] = f.nTables;
  let caps = f.capabilities & capabilitiesMask(version);
  if (version === OFP10_VERSION) {
    if (f.capabilities & OFPUTIL_C_STP) caps |= OFPC10_STP;
    b.writeUInt32BE(f.actions >>> 0, 20);
  } else {
    if (f.capabilities & OFPUTIL_C_GROUP_STATS) caps |= OFPC11_GROUP_STATS;
    if (version >= OFP13_VERSION) b[13] = f.auxiliaryId;
  }
  b.writeUInt32BE(caps >>> 0, 16);
  const parts: Buffer[] = [b];
  if (version < OFP13_VERSION) {
    let size = OFP_HEADER_LEN + b.length;
    for (const p of f.ports) {
      const enc = encodePort(version, p);
      if (size + enc.length > 0xffff) continue;
      parts.push(enc);
      size += enc.length;
    }
  }
  return encodeMsg(ofpRawFor('FEATURES_REPLY', version)!, version, xid, Buffer.concat(parts));
}

/** Decodes OFPT_FEATURES_REPLY (ofputil_pull_switch_features), ports included (1.0–1.2). */
export function decodeFeaturesReply(msg: OfpMsg): SwitchFeatures {
  const b = msg.body;
  const wire = b.readUInt32BE(16);
  let capabilities = wire & capabilitiesMask(msg.version);
  if (msg.version === OFP10_VERSION) {
    if (wire & OFPC10_STP) capabilities |= OFPUTIL_C_STP;
  } else if (wire & OFPC11_GROUP_STATS) {
    capabilities |= OFPUTIL_C_GROUP_STATS;
  }
  return {
    datapathId: b.readBigUInt64BE(0),
    nBuffers: b.readUInt32BE(8),
    nTables: b[12],
    auxiliaryId: msg.version >= OFP13_VERSION ? b[13] : 0,
    capabilities,
    actions: msg.version === OFP10_VERSION ? b.readUInt32BE(20) : 0,
    ports: msg.version < OFP13_VERSION ? decodePorts(msg.version, b.subarray(OFP_SWITCH_FEATURES_LEN)) : [],
  };
}

/* ---------------------------------------------------------------- switch config */

/** OFPC_FRAG_*: fragment handling (`ofp_switch_config.flags` & OFPC_FRAG_MASK). */
export const OFPC_FRAG_NORMAL = 0;
export const OFPC_FRAG_DROP = 1;
export const OFPC_FRAG_REASM = 2;
export const OFPC_FRAG_NX_MATCH = 3;
const OFPC_FRAG_MASK = 3;
/** OpenFlow 1.1/1.2 flag, deprecated in 1.3. */
const OFPC_INVALID_TTL_TO_CONTROLLER = 1 << 2;
/** Fragment handling names as ovs-ofctl prints and parses them. */
export const FRAG_HANDLING_NAMES: readonly string[] = ['normal', 'drop', 'reassemble', 'nx-match'];
/** Default `miss_send_len` (OpenFlow 1.0 §5.3.2). */
export const OFP_DEFAULT_MISS_SEND_LEN = 128;

/** A GET_CONFIG_REPLY / SET_CONFIG's content (OVS `ofputil_switch_config`). */
export interface SwitchConfig {
  /** OFPC_FRAG_*. */
  frag: number;
  /** Send packets with invalid TTL to the controller; `undefined` in OpenFlow 1.3+, which lack the flag. */
  invalidTtlToController?: boolean;
  /** Bytes of a missed packet to send to the controller. */
  missSendLen: number;
}

function decodeSwitchConfig(msg: OfpMsg): { config: SwitchConfig; valid: boolean } {
  const flags = msg.body.readUInt16BE(0);
  const config: SwitchConfig = { frag: flags & OFPC_FRAG_MASK, missSendLen: msg.body.readUInt16BE(2) };
  let validMask = OFPC_FRAG_MASK;
  if (msg.version < OFP13_VERSION) {
    validMask |= OFPC_INVALID_TTL_TO_CONTROLLER;
    config.invalidTtlToController = (flags & OFPC_INVALID_TTL_TO_CONTROLLER) !== 0;
  }
  return { config, valid: !(flags & ~validMask) };
}

function encodeSwitchConfig(raw: OfpRaw, version: number, xid: number, c: SwitchConfig): Buffer {
  const b = Buffer.alloc(4);
  let flags = c.frag & OFPC_FRAG_MASK;
  if (c.invalidTtlToController && version < OFP13_VERSION) flags |= OFPC_INVALID_TTL_TO_CONTROLLER;
  b.writeUInt16BE(flags, 0);
  b.writeUInt16BE(c.missSendLen, 2);
  return encodeMsg(raw, version, xid, b);
}

/** Decodes OFPT_SET_CONFIG (ofputil_decode_set_config). @throws OfpError OFPSCFC_BAD_FLAGS for undefined flags. */
export function decodeSetConfig(msg: OfpMsg): SwitchConfig {
  const { config, valid } = decodeSwitchConfig(msg);
  if (!valid) throw new OfpError('OFPSCFC_BAD_FLAGS', `switch config flags 0x${msg.body.readUInt16BE(0).toString(16)}`);
  return config;
}

/** Decodes OFPT_GET_CONFIG_REPLY, ignoring undefined flags. */
export function decodeGetConfigReply(msg: OfpMsg): SwitchConfig {
  return decodeSwitchConfig(msg).config;
}

/** Encodes the OFPT_GET_CONFIG_REPLY to `request`. */
export function encodeGetConfigReply(request: OfpMsg, c: SwitchConfig): Buffer {
  return encodeSwitchConfig('OFPT_GET_CONFIG_REPLY', request.version, request.xid, c);
}

/** Encodes OFPT_SET_CONFIG. */
export function encodeSetConfig(version: number, xid: number, c: SwitchConfig): Buffer {
  return encodeSwitchConfig('OFPT_SET_CONFIG', version, xid, c);
}

/* ---------------------------------------------------------------- roles */

/** OFPCR12_ROLE_*: controller roles (OpenFlow 1.2 §A.3.9); Nicira's NX_ROLE_* are these minus 1. */
export const OFPCR12_ROLE_NOCHANGE = 0;
export const OFPCR12_ROLE_EQUAL = 1;
export const OFPCR12_ROLE_PRIMARY = 2;
export const OFPCR12_ROLE_SECONDARY = 3;
/** OFPCRR_*: why a role changed (OpenFlow 1.4 §7.4.4). */
export const OFPCRR_PRIMARY_REQUEST = 0;
export const OFPCRR_CONFIG = 1;
export const OFPCRR_EXPERIMENTER = 2;
/** "No generation id" in OFPT12_ROLE_REPLY. */
const GENERATION_ID_NONE = 0xffffffffffffffffn;

/** A ROLE_REQUEST/ROLE_REPLY's content (OVS `ofputil_role_request`). */
export interface RoleRequest {
  /** OFPCR12_ROLE_*. */
  role: number;
  /** Absent when the message carries none (NXT messages, NOCHANGE requests, 2^64-1 in replies). */
  generationId?: bigint;
}

/**
 * Decodes OFPT12_ROLE_REQUEST/REPLY or NXT_ROLE_REQUEST/REPLY (ofputil_decode_role_message).
 * @throws OfpError OFPRRFC_BAD_ROLE for an undefined role.
 */
export function decodeRoleMessage(msg: OfpMsg): RoleRequest {
  const b = msg.body;
  const isNx = msg.raw === 'NXT_ROLE_REQUEST' || msg.raw === 'NXT_ROLE_REPLY';
  const wire = b.readUInt32BE(0);
  const role = isNx ? wire + 1 : wire;
  if (isNx ? wire > 2 : wire > OFPCR12_ROLE_SECONDARY) throw new OfpError('OFPRRFC_BAD_ROLE', `role ${wire}`);
  if (isNx) return { role };
  const generationId = b.readBigUInt64BE(8);
  const none = msg.raw === 'OFPT12_ROLE_REQUEST' ? role === OFPCR12_ROLE_NOCHANGE : generationId === GENERATION_ID_NONE;
  return none ? { role } : { role, generationId };
}

function encodeRole(raw: OfpRaw, version: number, xid: number, rr: RoleRequest): Buffer {
  if (raw.startsWith('NXT')) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(rr.role - 1, 0);
    return encodeMsg(raw, version, xid, b);
  }
  const b = Buffer.alloc(16);
  b.writeUInt32BE(rr.role, 0);
  b.writeBigUInt64BE(rr.generationId ?? GENERATION_ID_NONE, 8);
  return encodeMsg(raw, version, xid, b);
}

/** Encodes the reply to a role request, in the request's format (ofputil_encode_role_reply). */
export function encodeRoleReply(request: OfpMsg, rr: RoleRequest): Buffer {
  return encodeRole(rawReplyFor(request), request.version, request.xid, rr);
}

/** Encodes a role request: OFPT12_ROLE_REQUEST in OpenFlow 1.2+, NXT_ROLE_REQUEST before (or if `nx`). */
export function encodeRoleRequest(version: number, xid: number, rr: RoleRequest, nx = version < OFP12_VERSION): Buffer {
  return encodeRole(nx ? 'NXT_ROLE_REQUEST' : 'OFPT12_ROLE_REQUEST', version, xid, rr);
}

/** A ROLE_STATUS's content (OVS `ofputil_role_status`). */
export interface RoleStatus { role: number; reason: number; generationId: bigint }

/**
 * Encodes ROLE_STATUS (ofputil_encode_role_status): ONFT13_ROLE_STATUS in OpenFlow 1.3,
 * OFPT14_ROLE_STATUS in 1.4+, always with xid 0.
 * @returns `undefined` before OpenFlow 1.3, which cannot express it.
 */
export function encodeRoleStatus(version: number, rs: RoleStatus): Buffer | undefined {
  if (version < OFP13_VERSION) return undefined;
  const b = Buffer.alloc(16);
  b.writeUInt32BE(rs.role, 0);
  b[4] = rs.reason;
  b.writeBigUInt64BE(rs.generationId, 8);
  return encodeMsg(version >= OFP14_VERSION ? 'OFPT14_ROLE_STATUS' : 'ONFT13_ROLE_STATUS', version, 0, b);
}

/** Decodes ROLE_STATUS (ofputil_decode_role_status). @throws OfpError OFPRRFC_BAD_ROLE */
export function decodeRoleStatus(msg: OfpMsg): RoleStatus {
  const role = msg.body.readUInt32BE(0);
  if (role > OFPCR12_ROLE_SECONDARY) throw new OfpError('OFPRRFC_BAD_ROLE', `role ${role}`);
  return { role, reason: msg.body[4], generationId: msg.body.readBigUInt64BE(8) };
}

/* ---------------------------------------------------------------- asynchronous message config */

/** OAM_*: the asynchronous message kinds (OVS `enum ofputil_async_msg_type`), indexes into AsyncConfig arrays. */
export const OAM_PACKET_IN = 0;
export const OAM_PORT_STATUS = 1;
export const OAM_FLOW_REMOVED = 2;
export const OAM_ROLE_STATUS = 3;
export const OAM_TABLE_STATUS = 4;
export const OAM_REQUESTFORWARD = 5;
export const OAM_N_TYPES = 6;
/** Reason-bit names used by the defaults below (OFPR_*, OFPRR_*, OFPPR_*). */
export const OFPR_NO_MATCH = 0;
export const OFPR_ACTION = 1;
export const OFPR_INVALID_TTL = 2;
export const OFPR_ACTION_SET = 3;
export const OFPR_GROUP = 4;
export const OFPR_PACKET_OUT = 5;
/** OVS-internal packet-in reasons, never on the wire but kept in the masks. */
export const OFPR_EXPLICIT_MISS = 6;
export const OFPR_IMPLICIT_MISS = 7;
const OFPR10_BITS = 0x07;
const OFPR14_BITS = 0x3f;
const OFPRR10_BITS = 0x07;
const OFPRR13_BITS = 0x0f;
const OFPRR14_BITS = 0x3f;
const OFPPR_BITS = 0x07;

/**
 * Per-role bitmaps of the reasons each asynchronous message is sent for (OVS
 * `ofputil_async_cfg`): `primary[OAM_*]` applies to primary and equal controllers,
 * `secondary[OAM_*]` to secondary ones.
 */
export interface AsyncConfig { primary: number[]; secondary: number[] }

/**
 * The async properties of OpenFlow 1.4 (OFPACPT_*): property type = 2·OAM + (primary ? 1 : 0);
 * `allowed10`/`allowed14` are the reason bits valid before/since OpenFlow 1.4.
 */
const ASYNC_PROPS: readonly { oam: number; allowed10: number; allowed14: number }[] = [
  { oam: OAM_PACKET_IN, allowed10: OFPR10_BITS, allowed14: OFPR14_BITS },
  { oam: OAM_PORT_STATUS, allowed10: 0x07, allowed14: 0x07 },
  { oam: OAM_FLOW_REMOVED, allowed10: 0x3f, allowed14: 0x3f },
  { oam: OAM_ROLE_STATUS, allowed10: 0x07, allowed14: 0x07 },
  { oam: OAM_TABLE_STATUS, allowed10: 0x18, allowed14: 0x18 },
  { oam: OAM_REQUESTFORWARD, allowed10: 0x03, allowed14: 0x03 },
];

const asyncAllowed = (oam: number, version: number): number =>
  version >= OFP14_VERSION ? ASYNC_PROPS[oam].allowed14 : ASYNC_PROPS[oam].allowed10;

/** The configuration a new connection starts with (ofputil_async_cfg_default). */
export function asyncConfigDefault(version: number): AsyncConfig {
  let pin = (OFPR14_BITS & ~(1 << OFPR_INVALID_TTL)) | (1 << OFPR_EXPLICIT_MISS);
  if (version <= OFP12_VERSION) pin |= 1 << OFPR_IMPLICIT_MISS;
  const primary = new Array<number>(OAM_N_TYPES).fill(0);
  const secondary = new Array<number>(OAM_N_TYPES).fill(0);
  primary[OAM_PACKET_IN] = pin;
  primary[OAM_PORT_STATUS] = OFPPR_BITS;
  secondary[OAM_PORT_STATUS] = OFPPR_BITS;
  primary[OAM_FLOW_REMOVED] = version >= OFP14_VERSION ? OFPRR14_BITS : version === OFP13_VERSION ? OFPRR13_BITS : OFPRR10_BITS;
  return { primary, secondary };
}

/** Stores one mask, checking it against the version's reasons (decode_async_mask). */
function setAsyncMask(ac: AsyncConfig, oam: number, primary: boolean, wire: number, version: number, loose: boolean): void {
  const allowed = asyncAllowed(oam, version);
  let mask = wire >>> 0;
  if (mask & ~allowed) {
    if (!loose) {
      throw new OfpError('OFPACFC_INVALID',
        `bad value 0x${mask.toString(16)} for async message ${oam} (allowed mask 0x${allowed.toString(16)})`);
    }
    mask &= allowed;
  }
  if (oam === OAM_PACKET_IN && mask & (1 << OFPR_NO_MATCH)) {
    mask |= 1 << OFPR_EXPLICIT_MISS;
    if (version < OFP13_VERSION) mask |= 1 << OFPR_IMPLICIT_MISS;
  }
  (primary ? ac.primary : ac.secondary)[oam] = mask >>> 0;
}

const LEGACY_ASYNC_OAMS = [OAM_PACKET_IN, OAM_PORT_STATUS, OAM_FLOW_REMOVED];

/**
 * Decodes OFPT13_SET_ASYNC, NXT_SET_ASYNC_CONFIG(2), OFPT14_SET_ASYNC or a GET_ASYNC_REPLY
 * (ofputil_decode_set_async_config). The 1.3/Nicira fixed form replaces the whole
 * configuration (masks silently trimmed to what the version defines); the property form
 * updates `basis`.
 * @param loose accept unknown properties and bits (a controller reading a reply); a switch
 *        decoding a request is strict.
 * @throws OfpError OFPACFC_INVALID (undefined reason bits), OFPACFC_UNSUPPORTED (unknown
 *         property), OFPBPC_BAD_EXP_TYPE (experimenter property), OFPBPC_BAD_LEN.
 */
export function decodeSetAsync(msg: OfpMsg, basis: AsyncConfig, loose = false): AsyncConfig {
  const b = msg.body;
  if (msg.raw === 'OFPT13_SET_ASYNC' || msg.raw === 'NXT_SET_ASYNC_CONFIG' || msg.raw === 'OFPT13_GET_ASYNC_REPLY') {
    const ac: AsyncConfig = {
      primary: new Array<number>(OAM_N_TYPES).fill(0), secondary: new Array<number>(OAM_N_TYPES).fill(0),
    };
    LEGACY_ASYNC_OAMS.forEach((oam, i) => {
      setAsyncMask(ac, oam, true, b.readUInt32BE(8 * i), msg.version, true);
      setAsyncMask(ac, oam, false, b.readUInt32BE(8 * i + 4), msg.version, true);
    });
    return ac;
  }
  const ac: AsyncConfig = { primary: [...basis.primary], secondary: [...basis.secondary] };
  for (const prop of pullProperties(b, 8, 0xfffe)) {
    if (prop.experimenter || prop.type >= 2 * OAM_N_TYPES) {
      if (loose) continue;
      if (prop.experimenter) unknownProperty(prop, loose, 'async config');
      throw new OfpError('OFPACFC_UNSUPPORTED', `unknown async config property type ${prop.type}`);
    }
    setAsyncMask(ac, prop.type >> 1, (prop.type & 1) === 1, propU32(prop), msg.version, loose);
  }
  return ac;
}

function encodeAsyncBody(ac: AsyncConfig, version: number, properties: boolean): Buffer {
  const mask = (oam: number, primary: boolean) => ((primary ? ac.primary : ac.secondary)[oam] & asyncAllowed(oam, version)) >>> 0;
  if (!properties) {
    const b = Buffer.alloc(24);
    LEGACY_ASYNC_OAMS.forEach((oam, i) => {
      b.writeUInt32BE(mask(oam, true), 8 * i);
      b.writeUInt32BE(mask(oam, false), 8 * i + 4);
    });
    return b;
  }
  const props: Buffer[] = [];
  for (let type = 0; type < 2 * OAM_N_TYPES; type++) {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(mask(type >> 1, (type & 1) === 1), 0);
    props.push(encodeProperty(type, v));
  }
  return Buffer.concat(props);
}

/** Encodes the reply to a GET_ASYNC request (ofputil_encode_get_async_reply): masks before 1.4, properties after. */
export function encodeGetAsyncReply(request: OfpMsg, ac: AsyncConfig): Buffer {
  const properties = request.version >= OFP14_VERSION;
  return encodeMsg(properties ? 'OFPT14_GET_ASYNC_REPLY' : 'OFPT13_GET_ASYNC_REPLY', request.version, request.xid,
    encodeAsyncBody(ac, request.version, properties));
}

/**
 * Encodes a SET_ASYNC for `version` (ofputil_encode_set_async_config): OFPT14_SET_ASYNC with
 * every property in 1.4+, OFPT13_SET_ASYNC in 1.3, NXT_SET_ASYNC_CONFIG before.
 */
export function encodeSetAsync(version: number, xid: number, ac: AsyncConfig): Buffer {
  const raw: OfpRaw = version >= OFP14_VERSION ? 'OFPT14_SET_ASYNC'
    : version === OFP13_VERSION ? 'OFPT13_SET_ASYNC' : 'NXT_SET_ASYNC_CONFIG';
  return encodeMsg(raw, version, xid, encodeAsyncBody(ac, version, version >= OFP14_VERSION));
}

/* ---------------------------------------------------------------- Nicira session settings */

/** NXFF_*: NXT_SET_FLOW_FORMAT values. */
export const NXFF_OPENFLOW10 = 0;
export const NXFF_NXM = 2;

/**
 * Decodes NXT_SET_FLOW_FORMAT. @returns 'openflow10' or 'nxm'.
 * @throws OfpError OFPBRC_EPERM for another format (handle_nxt_set_flow_format).
 */
export function decodeSetFlowFormat(msg: OfpMsg): 'openflow10' | 'nxm' {
  const format = msg.body.readUInt32BE(0);
  if (format === NXFF_OPENFLOW10) return 'openflow10';
  if (format === NXFF_NXM) return 'nxm';
  throw new OfpError('OFPBRC_EPERM', `NXT_SET_FLOW_FORMAT message specified invalid flow format ${format}`);
}

/** Encodes NXT_SET_FLOW_FORMAT (an OpenFlow 1.0 message). */
export function encodeSetFlowFormat(xid: number, format: 'openflow10' | 'nxm'): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(format === 'nxm' ? NXFF_NXM : NXFF_OPENFLOW10, 0);
  return encodeMsg('NXT_SET_FLOW_FORMAT', OFP10_VERSION, xid, b);
}

/** Decodes NXT_FLOW_MOD_TABLE_ID: whether flow_mod's command high byte is a table id. */
export function decodeFlowModTableId(msg: OfpMsg): boolean {
  return msg.body[0] !== 0;
}

/** Encodes NXT_FLOW_MOD_TABLE_ID. */
export function encodeFlowModTableId(version: number, xid: number, enable: boolean): Buffer {
  const b = Buffer.alloc(8);
  b[0] = enable ? 1 : 0;
  return encodeMsg('NXT_FLOW_MOD_TABLE_ID', version, xid, b);
}

/** Packet-in formats (OVS `ofputil_packet_in_format`), by their NXT_SET_PACKET_IN_FORMAT value. */
export const PACKET_IN_FORMATS = ['standard', 'nxt_packet_in', 'nxt_packet_in2'] as const;
export type PacketInFormat = typeof PACKET_IN_FORMATS[number];

/** Decodes NXT_SET_PACKET_IN_FORMAT. @throws OfpError OFPBRC_EPERM for an unknown format. */
export function decodeSetPacketInFormat(msg: OfpMsg): PacketInFormat {
  const v = msg.body.readUInt32BE(0);
  const format = PACKET_IN_FORMATS[v];
  if (format === undefined) {
    throw new OfpError('OFPBRC_EPERM', `NXT_SET_PACKET_IN_FORMAT message specified invalid packet-in format ${v}`);
  }
  return format;
}

/** Encodes NXT_SET_PACKET_IN_FORMAT. */
export function encodeSetPacketInFormat(version: number, xid: number, format: PacketInFormat): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(PACKET_IN_FORMATS.indexOf(format), 0);
  return encodeMsg('NXT_SET_PACKET_IN_FORMAT', version, xid, b);
}

/** Decodes NXT_SET_CONTROLLER_ID. @throws OfpError NXBRC_MUST_BE_ZERO if the 6 leading bytes are not zero. */
export function decodeSetControllerId(msg: OfpMsg): number {
  if (msg.body.subarray(0, 6).some((x) => x !== 0)) throw new OfpError('NXBRC_MUST_BE_ZERO', 'nx_controller_id.zero is not zero');
  return msg.body.readUInt16BE(6);
}

/** Encodes NXT_SET_CONTROLLER_ID. */
export function encodeSetControllerId(version: number, xid: number, id: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(id, 6);
  return encodeMsg('NXT_SET_CONTROLLER_ID', version, xid, b);
}

/* ---------------------------------------------------------------- switch description */

/** OFPST_DESC reply content (`ofp_desc_stats`); each string keeps at most its field size − 1 bytes. */
export interface SwitchDesc { mfrDesc: string; hwDesc: string; swDesc: string; serialNum: string; dpDesc: string }

const DESC_FIELDS: readonly [keyof SwitchDesc, number][] = [
  ['mfrDesc', 256], ['hwDesc', 256], ['swDesc', 256], ['serialNum', 32], ['dpDesc', 256],
];

/** Encodes the OFPST_DESC reply to `request` (handle_desc_stats_request). */
export function encodeDescReply(request: OfpMsg, d: SwitchDesc): Buffer {
  const b = Buffer.alloc(1056);
  let off = 0;
  for (const [key, size] of DESC_FIELDS) {
    Buffer.from(d[key], 'utf8').subarray(0, size - 1).copy(b, off);
    off += size;
  }
  return encodeMsg(rawReplyFor(request), request.version, request.xid, b);
}

/** Decodes an OFPST_DESC reply. */
export function decodeDescReply(msg: OfpMsg): SwitchDesc {
  const d = {} as SwitchDesc;
  let off = 0;
  for (const [key, size] of DESC_FIELDS) {
    const field = msg.body.subarray(off, off + size);
    const nul = field.indexOf(0);
    d[key] = field.subarray(0, nul < 0 ? size : nul).toString('utf8');
    off += size;
  }
  return d;
}

/* ---------------------------------------------------------------- REQUESTFORWARD */

/**
 * Wraps a group or meter mod (already encoded in `version`, with the xid of the request being
 * forwarded) in REQUESTFORWARD (ofputil_encode_requestforward): NXT_REQUESTFORWARD before 1.3,
 * ONFT13_REQUESTFORWARD in 1.3, OFPT14_REQUESTFORWARD in 1.4+, with xid 0.
 */
export function encodeRequestForward(version: number, inner: Buffer): Buffer {
  const raw: OfpRaw = version < OFP13_VERSION ? 'NXT_REQUESTFORWARD'
    : version === OFP13_VERSION ? 'ONFT13_REQUESTFORWARD' : 'OFPT14_REQUESTFORWARD';
  return encodeMsg(raw, version, 0, inner);
}

/**
 * Unwraps a REQUESTFORWARD (ofputil_decode_requestforward), validating the inner message.
 * @throws OfpError OFPBFC_MSG_BAD_LEN (inner length), OFPBRC_BAD_VERSION (inner version differs),
 *         the inner message's decodeMsg errors, OFPBFC_MSG_UNSUP (not a group or meter mod).
 */
export function decodeRequestForward(msg: OfpMsg): OfpMsg {
  const b = msg.body;
  if (b.length < OFP_HEADER_LEN) throw new OfpError('OFPBFC_MSG_BAD_LEN', 'forwarded request is cut short');
  const innerLen = b.readUInt16BE(2);
  if (innerLen < OFP_HEADER_LEN || innerLen > b.length) {
    throw new OfpError('OFPBFC_MSG_BAD_LEN', `forwarded request length ${innerLen}`);
  }
  if (b[0] !== msg.version) throw new OfpError('OFPBRC_BAD_VERSION', `forwarded request version ${b[0]}`);
  const inner = decodeMsg(b.subarray(0, innerLen));
  if (inner.type !== 'GROUP_MOD' && inner.type !== 'METER_MOD') {
    throw new OfpError('OFPBFC_MSG_UNSUP', `cannot forward ${inner.raw}`);
  }
  return inner;
}
