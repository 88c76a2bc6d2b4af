/**
 * OpenFlow group messages: group_mod (OpenFlow 1.1–1.4 `ofp11_group_mod`, 1.5 `ofp15_group_mod`
 * with bucket ids, bucket properties and group properties, and its OpenFlow 1.0 Nicira form
 * NXT_GROUP_MOD), group description, group statistics and group features. Facts follow OVS
 * 3.1 lib/ofp-group.c; the Netronome "selection method" group property (hash / dp_hash with
 * hash fields) is the one OVS understands.
 */
import {
  OFP10_VERSION, OFP12_VERSION, OFP13_VERSION, OFP15_VERSION, OFPG_ALL, OFPG_ANY, OFPP_ANY, ofp10PortToOfp11,
} from './common';
import { OfpError } from './ofp-errors';
import type { OfpMsg } from './ofp-msgs';
import { encodeMsg, encodeMultipartReply, rawReplyFor } from './ofp-msgs';
import { mfFieldByName } from './meta-flow';
import { nxPullEntry, nxPutEntry } from './nx-match';
import type { Ofpact } from './ofpacts';
import { decodeActions, encodeActions } from './ofp-actions';
import { OfpStruct, decodeProps, encodeProp, portFromOfp11 } from './ofp-flow';
import type { OfpProp } from './ofp-flow';
import { ofpactBitmapFromOpenflow, ofpactBitmapToOpenflow } from './ofp-table';

/** Group types (`ofp11_group_type`). */
export type GroupType = 'all' | 'select' | 'indirect' | 'ff';
const GROUP_TYPES: readonly GroupType[] = ['all', 'select', 'indirect', 'ff'];

/**
 * Group_mod commands (`ofp15_group_mod_command`): OFPGC11_ADD/MODIFY/DELETE, OVS's
 * OFPGC11_ADD_OR_MOD (0x8000) and OpenFlow 1.5's bucket insertion/removal.
 */
export type GroupModCommand = 'add' | 'modify' | 'delete' | 'add_or_mod' | 'insert_bucket' | 'remove_bucket';
const GROUP_COMMANDS: ReadonlyArray<readonly [GroupModCommand, number]> = [
  ['add', 0], ['modify', 1], ['delete', 2], ['insert_bucket', 3], ['remove_bucket', 5], ['add_or_mod', 0x8000],
];

/** Bucket ids (`ofp15_group_bucket`). */
export const OFPG15_BUCKET_MAX = 0xffffff00;
export const OFPG15_BUCKET_FIRST = 0xfffffffd;
export const OFPG15_BUCKET_LAST = 0xfffffffe;
export const OFPG15_BUCKET_ALL = 0xffffffff;

/** Group features capabilities (`ofp12_group_capabilities`). */
export const OFPGFC12_SELECT_WEIGHT = 1 << 0;
export const OFPGFC12_SELECT_LIVENESS = 1 << 1;
export const OFPGFC12_CHAINING = 1 << 2;
export const OFPGFC12_CHAINING_CHECKS = 1 << 3;

/** Bucket property types (`ofp15_group_bucket_prop_type`). */
const OFPGBPT15_WEIGHT = 0;
const OFPGBPT15_WATCH_PORT = 1;
const OFPGBPT15_WATCH_GROUP = 2;

/** The Netronome selection-method group property (netronome-ext.h). */
const NTR_VENDOR_ID = 0x0000154d;
/** The experimenter id OVS 2.4 wrongly used; still accepted. */
const NTR_COMPAT_VENDOR_ID = 0x00001540;
const NTRT_SELECTION_METHOD = 1;
const NTR_MAX_SELECTION_METHOD_LEN = 16;

/**
 * A bucket (OVS `struct ofputil_bucket`): `weight` for select groups, `watchPort` (16-bit
 * internal, OFPP_ANY = none) and `watchGroup` (OFPG_ANY = none) for fast failover, `bucketId`
 * (OpenFlow 1.5; earlier versions number buckets 0, 1, … on decode; above OFPG15_BUCKET_MAX
 * means "assign one" on encode).
 */
export interface Bucket { weight: number; watchPort: number; watchGroup: number; bucketId: number; ofpacts: Ofpact[] }

/**
 * Group properties (OVS `struct ofputil_group_props`): the selection method ('' = default,
 * 'hash' or 'dp_hash'), its 64-bit parameter, and for 'hash' the fields hashed, each with the
 * mask applied before hashing (`value`, the field's width).
 */
export interface GroupProps { selectionMethod: string; selectionMethodParam: bigint; fields: { field: string; value: Buffer }[] }

/** A group_mod (OVS `struct ofputil_group_mod`); `commandBucketId` is OpenFlow 1.5's. */
export interface GroupMod {
  command: GroupModCommand; type: GroupType; groupId: number; commandBucketId: number;
  buckets: Bucket[]; props: GroupProps;
}

/** A group description (OVS `struct ofputil_group_desc`). */
export interface GroupDesc { type: GroupType; groupId: number; buckets: Bucket[]; props: GroupProps }

/** Returns empty group properties (no selection method). */
export function emptyGroupProps(): GroupProps {
  return { selectionMethod: '', selectionMethodParam: 0n, fields: [] };
}

const OFP11_BUCKET = new OfpStruct('ofp11_bucket', [
  ['len', 'u16'], ['weight', 'u16'], ['watchPort', 'u32'], ['watchGroup', 'u32'], ['pad', 'pad', 4],
]);
const OFP15_BUCKET = new OfpStruct('ofp15_bucket', [
  ['len', 'u16'], ['actionArrayLen', 'u16'], ['bucketId', 'u32'],
]);
const OFP11_GROUP_MOD = new OfpStruct('ofp11_group_mod', [
  ['command', 'u16'], ['type', 'u8'], ['pad', 'pad', 1], ['groupId', 'u32'],
]);
const OFP15_GROUP_MOD = new OfpStruct('ofp15_group_mod', [
  ['command', 'u16'], ['type', 'u8'], ['pad', 'pad', 1], ['groupId', 'u32'], ['bucketArrayLen', 'u16'],
  ['pad1', 'pad', 2], ['commandBucketId', 'u32'],
]);
const OFP11_GROUP_DESC_STATS = new OfpStruct('ofp11_group_desc_stats', [
  ['length', 'u16'], ['type', 'u8'], ['pad', 'pad', 1], ['groupId', 'u32'],
]);
const OFP15_GROUP_DESC_STATS = new OfpStruct('ofp15_group_desc_stats', [
  ['length', 'u16'], ['type', 'u8'], ['pad', 'pad', 1], ['groupId', 'u32'], ['bucketListLen', 'u16'],
  ['pad2', 'pad', 6],
]);
/** `ntr_group_prop_selection_method` after its experimenter property header. */
const NTR_SELECTION_METHOD = new OfpStruct('ntr_group_prop_selection_method', [
  ['pad', 'pad', 4], ['selectionMethod', 'str', NTR_MAX_SELECTION_METHOD_LEN], ['selectionMethodParam', 'u64'],
]);
const OFP11_GROUP_STATS = new OfpStruct('ofp11_group_stats', [
  ['length', 'u16'], ['pad', 'pad', 2], ['groupId', 'u32'], ['refCount', 'u32'], ['pad2', 'pad', 4],
  ['packetCount', 'u64'], ['byteCount', 'u64'],
]);
const OFP13_GROUP_STATS_TAIL = new OfpStruct('ofp13_group_stats', [['durationSec', 'u32'], ['durationNsec', 'u32']]);
const OFP11_BUCKET_COUNTER = new OfpStruct('ofp11_bucket_counter', [['packetCount', 'u64'], ['byteCount', 'u64']]);
const OFP11_GROUP_STATS_REQUEST = new OfpStruct('ofp11_group_stats_request', [['groupId', 'u32'], ['pad', 'pad', 4]]);
const OFP12_GROUP_FEATURES = new OfpStruct('ofp12_group_features_stats', [
  ['types', 'u32'], ['capabilities', 'u32'],
  ['maxGroups0', 'u32'], ['maxGroups1', 'u32'], ['maxGroups2', 'u32'], ['maxGroups3', 'u32'],
  ['actions0', 'u32'], ['actions1', 'u32'], ['actions2', 'u32'], ['actions3', 'u32'],
]);

/** Whether `version` uses the OpenFlow 1.5 group layouts (so does NXT_GROUP_MOD in 1.0). */
function usesOfp15Layout(version: number): boolean {
  return version === OFP10_VERSION || version >= OFP15_VERSION;
}

function groupTypeNumber(t: GroupType): number {
  return GROUP_TYPES.indexOf(t);
}

function groupTypeFromNumber(n: number): GroupType {
  const t = GROUP_TYPES[n];
  if (t === undefined) throw new OfpError('OFPGMFC_BAD_TYPE', `group type ${n}`);
  return t;
}

function hasLiveness(b: Bucket): boolean {
  return b.watchPort !== OFPP_ANY || b.watchGroup !== OFPG_ANY;
}

// ---------------------------------------------------------------------------------------------
// Buckets
// ---------------------------------------------------------------------------------------------

function encodeOfp11Bucket(b: Bucket, version: number): Buffer {
  const actions = encodeActions(version, b.ofpacts);
  return Buffer.concat([OFP11_BUCKET.pack({
    len: OFP11_BUCKET.size + actions.length, weight: b.weight, watchPort: ofp10PortToOfp11(b.watchPort),
    watchGroup: b.watchGroup,
  }), actions]);
}

/** Encodes an OpenFlow 1.5 bucket: actions, then weight (select groups or nonzero), watch_port, watch_group properties. */
function encodeOfp15Bucket(b: Bucket, bucketId: number, type: GroupType, version: number): Buffer {
  const actions = encodeActions(version, b.ofpacts);
  const props: Buffer[] = [];
  if (type === 'select' || b.weight) {
    // OpenFlow gives 16-bit properties a length of 8, not 6: two bytes of padding follow.
    const w = Buffer.alloc(4);
    w.writeUInt16BE(b.weight, 0);
    props.push(encodeProp(OFPGBPT15_WEIGHT, w));
  }
  const u32 = (v: number) => {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(v >>> 0, 0);
    return p;
  };
  if (b.watchPort !== OFPP_ANY) props.push(encodeProp(OFPGBPT15_WATCH_PORT, u32(ofp10PortToOfp11(b.watchPort))));
  if (b.watchGroup !== OFPG_ANY) props.push(encodeProp(OFPGBPT15_WATCH_GROUP, u32(b.watchGroup)));
  const rest = Buffer.concat([actions, ...props]);
  return Buffer.concat([OFP15_BUCKET.pack({ len: OFP15_BUCKET.size + rest.length, actionArrayLen: actions.length, bucketId }), rest]);
}

/**
 * Encodes buckets in the OpenFlow 1.5 layout, assigning ids to buckets whose id is above
 * OFPG15_BUCKET_MAX as OVS does: the lowest id not used by any later bucket nor assigned before.
 */
function encodeOfp15Buckets(buckets: Bucket[], type: GroupType, version: number): Buffer {
  let used: Set<number> | undefined;
  return Buffer.concat(buckets.map((b, i) => {
    let id = b.bucketId;
    if (id > OFPG15_BUCKET_MAX) {
      used ??= new Set(buckets.slice(i + 1).map((x) => x.bucketId).filter((x) => x <= OFPG15_BUCKET_MAX));
      id = 0;
      while (used.has(id)) id++;
      used.add(id);
    }
    return encodeOfp15Bucket(b, id, type, version);
  }));
}

/**
 * Decodes OpenFlow 1.1–1.4 buckets filling `buf` (OVS ofputil_pull_ofp11_buckets); ids are
 * numbered from 0.
 * @throws OfpError OFPGMFC_BAD_BUCKET (bad length), OFPGMFC_BAD_WATCH, action errors
 */
function decodeOfp11Buckets(buf: Buffer, version: number): Bucket[] {
  const out: Bucket[] = [];
  let p = 0;
  while (p < buf.length) {
    if (buf.length - p < OFP11_BUCKET.size) throw new OfpError('OFPGMFC_BAD_BUCKET', `buckets end with ${buf.length - p} leftover bytes`);
    const o = OFP11_BUCKET.unpack(buf, p);
    if (o.len < OFP11_BUCKET.size || p + o.len > buf.length) throw new OfpError('OFPGMFC_BAD_BUCKET', `bucket length ${o.len}`);
    const ofpacts = decodeActions(version, buf.subarray(p + OFP11_BUCKET.size, p + o.len));
    out.push({ weight: o.weight, watchPort: watchPortFromOfp11(o.watchPort), watchGroup: o.watchGroup, bucketId: out.length, ofpacts });
    p += o.len;
  }
  return out;
}

function watchPortFromOfp11(port: number): number {
  try {
    return portFromOfp11(port);
  } catch {
    throw new OfpError('OFPGMFC_BAD_WATCH', `watch_port ${port}`);
  }
}

/**
 * Decodes OpenFlow 1.5 buckets filling `buf` (OVS ofputil_pull_ofp15_buckets). Weight
 * defaults to 1 in select groups, 0 elsewhere.
 * @throws OfpError OFPGMFC_BAD_BUCKET (lengths, id above OFPG15_BUCKET_MAX, duplicate id),
 *         OFPBPC_BAD_LEN / OFPBPC_BAD_TYPE (properties), OFPGMFC_BAD_WATCH, action errors
 */
function decodeOfp15Buckets(buf: Buffer, version: number, type: number): Bucket[] {
  const out: Bucket[] = [];
  let p = 0;
  while (p < buf.length) {
    if (buf.length - p < OFP15_BUCKET.size) throw new OfpError('OFPGMFC_BAD_BUCKET', `buckets end with ${buf.length - p} leftover bytes`);
    const o = OFP15_BUCKET.unpack(buf, p);
    if (o.len < OFP15_BUCKET.size || p + o.len > buf.length || o.actionArrayLen > o.len - OFP15_BUCKET.size) {
      throw new OfpError('OFPGMFC_BAD_BUCKET', `bucket length ${o.len}, actions ${o.actionArrayLen}`);
    }
    const actionsEnd = p + OFP15_BUCKET.size + o.actionArrayLen;
    const ofpacts = decodeActions(version, buf.subarray(p + OFP15_BUCKET.size, actionsEnd));
    let weight = type === 1 ? 1 : 0;
    let watchPort = 0xffffffff;
    let watchGroup = OFPG_ANY;
    for (const prop of decodeProps(buf.subarray(actionsEnd, p + o.len))) {
      if (prop.type === OFPGBPT15_WEIGHT) weight = propValue(prop, 2);
      else if (prop.type === OFPGBPT15_WATCH_PORT) watchPort = propValue(prop, 4);
      else if (prop.type === OFPGBPT15_WATCH_GROUP) watchGroup = propValue(prop, 4);
      else throw new OfpError(prop.type === 0xffff ? 'OFPBPC_BAD_EXP_TYPE' : 'OFPBPC_BAD_TYPE', `group bucket property ${prop.type}`);
    }
    const bucket = { weight, watchPort: watchPortFromOfp11(watchPort), watchGroup, bucketId: o.bucketId, ofpacts };
    if (bucket.bucketId > OFPG15_BUCKET_MAX) throw new OfpError('OFPGMFC_BAD_BUCKET', `bucket id ${bucket.bucketId} is out of range`);
    out.push(bucket);
    p += o.len;
  }
  if (new Set(out.map((b) => b.bucketId)).size !== out.length) throw new OfpError('OFPGMFC_BAD_BUCKET', 'duplicate bucket id');
  return out;
}

/**
 * Reads a 16-bit property payload (any length from 2 bytes, as OVS forgives the padding) or a
 * 32-bit one (exactly 4 bytes).
 * @throws OfpError OFPBPC_BAD_LEN otherwise
 */
function propValue(prop: OfpProp, size: 2 | 4): number {
  if (size === 2 ? prop.payload.length < 2 : prop.payload.length !== 4) throw new OfpError('OFPBPC_BAD_LEN', `property ${prop.type} of ${prop.payload.length} bytes`);
  return size === 2 ? prop.payload.readUInt16BE(0) : prop.payload.readUInt32BE(0);
}

// ---------------------------------------------------------------------------------------------
// Group properties (selection method)
// ---------------------------------------------------------------------------------------------

/** Encodes the NTR selection method property, its hash fields as unmasked OXM entries (OVS oxm_put_field_array). */
function encodeSelectionMethodProp(props: GroupProps, version: number): Buffer {
  const fields = [...props.fields].sort((a, b) => mfFieldByName(a.field)!.id - mfFieldByName(b.field)!.id)
    .map((f) => nxPutEntry(mfFieldByName(f.field)!, version, f.value));
  return encodeProp(0xffff, Buffer.concat([NTR_SELECTION_METHOD.pack({
    selectionMethod: props.selectionMethod, selectionMethodParam: props.selectionMethodParam,
  }), ...fields]), { id: NTR_VENDOR_ID, expType: NTRT_SELECTION_METHOD });
}

/**
 * Decodes OpenFlow 1.5 group properties (OVS parse_ofp15_group_properties): only the NTR
 * selection method, allowed for select groups in add/modify/add_or_mod.
 * @throws OfpError OFPBPC_BAD_VALUE (wrong group type or command, unknown method, fields with
 *         dp_hash, unterminated name), OFPBPC_BAD_LEN, OFPBPC_BAD_TYPE / OFPBPC_BAD_EXP_TYPE
 *         (other properties), OFPGMFC_BAD_TYPE / OFPGMFC_BAD_COMMAND, OFPBMC_* (fields)
 */
function decodeGroupProps(buf: Buffer, type: number, command: number): GroupProps {
  const props = emptyGroupProps();
  for (const prop of decodeProps(buf)) {
    if (prop.type !== 0xffff || (prop.experimenter !== NTR_VENDOR_ID && prop.experimenter !== NTR_COMPAT_VENDOR_ID)
        || prop.expType !== NTRT_SELECTION_METHOD) {
      throw new OfpError(prop.type === 0xffff ? 'OFPBPC_BAD_EXP_TYPE' : 'OFPBPC_BAD_TYPE', `group property ${prop.type}`);
    }
    if (type !== 1) {
      if (type > 3) throw new OfpError('OFPGMFC_BAD_TYPE', `group type ${type}`);
      throw new OfpError('OFPBPC_BAD_VALUE', 'selection method is only allowed for select groups');
    }
    if (command !== 0 && command !== 1 && command !== 0x8000) {
      if (command !== 2 && command !== 3 && command !== 5) throw new OfpError('OFPGMFC_BAD_COMMAND', `group command ${command}`);
      throw new OfpError('OFPBPC_BAD_VALUE', 'selection method is only allowed in add and modify');
    }
    if (prop.payload.length < NTR_SELECTION_METHOD.size) throw new OfpError('OFPBPC_BAD_LEN', 'selection method property too short');
    const raw = prop.payload.subarray(4, 4 + NTR_MAX_SELECTION_METHOD_LEN);
    if (!raw.includes(0)) throw new OfpError('OFPBPC_BAD_VALUE', 'selection method is not null terminated');
    const s = NTR_SELECTION_METHOD.unpack(prop.payload);
    if (s.selectionMethod !== 'hash' && s.selectionMethod !== 'dp_hash') {
      throw new OfpError('OFPBPC_BAD_VALUE', `selection method '${s.selectionMethod}' is not supported`);
    }
    const fieldsBuf = prop.payload.subarray(NTR_SELECTION_METHOD.size);
    if (fieldsBuf.length && s.selectionMethod !== 'hash') {
      throw new OfpError('OFPBPC_BAD_VALUE', `selection method ${s.selectionMethod} does not support fields`);
    }
    props.selectionMethod = s.selectionMethod;
    props.selectionMethodParam = s.selectionMethodParam;
    props.fields = decodeFieldArray(fieldsBuf);
  }
  return props;
}

/**
 * Decodes hash fields: unmasked OXM entries whose value is a mask (OVS oxm_pull_field_array).
 * @throws OfpError OFPBMC_BAD_FIELD (unknown), OFPBMC_BAD_MASK (masked entry, or a partial
 *         mask on an unmaskable field), OFPBMC_DUP_FIELD, OFPBMC_BAD_LEN
 */
function decodeFieldArray(buf: Buffer): { field: string; value: Buffer }[] {
  const out: { field: string; value: Buffer }[] = [];
  for (let p = 0; p < buf.length;) {
    const e = nxPullEntry(buf, p);
    p += e.length;
    if (e.header.hasmask) throw new OfpError('OFPBMC_BAD_MASK', 'masked field in field array');
    if (!e.field) throw new OfpError('OFPBMC_BAD_FIELD', 'unknown field in field array');
    if (out.some((f) => f.field === e.field!.name)) throw new OfpError('OFPBMC_DUP_FIELD', `${e.field.name} twice in field array`);
    if (!e.field.maskable && !e.value.every((b) => b === 0) && !e.value.every((b) => b === 0xff)) {
      throw new OfpError('OFPBMC_BAD_MASK', `bad mask for ${e.field.name}`);
    }
    out.push({ field: e.field.name, value: e.value });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// group_mod
// ---------------------------------------------------------------------------------------------

/**
 * Decodes a group_mod: OFPT11_GROUP_MOD (1.1–1.4), OFPT15_GROUP_MOD (1.5) or NXT_GROUP_MOD
 * (1.0, OpenFlow 1.5 layout) (OVS ofputil_decode_group_mod), then checks it as OVS does
 * (ofputil_check_group_mod).
 * @throws OfpError OFPGMFC_BAD_BUCKET (command bucket id, bucket lengths, buckets in a
 *         remove_bucket), OFPGMFC_INVALID_GROUP (1.3+ delete with buckets, indirect group
 *         without exactly one bucket, weight outside select groups, ff bucket without
 *         liveness), OFPGMFC_WATCH_UNSUPPORTED (liveness in all/indirect), OFPGMFC_BAD_TYPE,
 *         OFPGMFC_BAD_COMMAND, OFPBRC_BAD_LEN, property and action errors
 */
export function decodeGroupMod(msg: OfpMsg): GroupMod {
  const { body, version } = msg;
  let command: number;
  let type: number;
  let groupId: number;
  let commandBucketId: number;
  let buckets: Bucket[];
  let props = emptyGroupProps();
  if (usesOfp15Layout(version)) {
    const o = OFP15_GROUP_MOD.unpack(body);
    ({ command, type, groupId, commandBucketId } = o);
    const idOk = command === 5 && commandBucketId === OFPG15_BUCKET_ALL
      || ((command === 3 || command === 5) && (commandBucketId <= OFPG15_BUCKET_MAX
        || commandBucketId === OFPG15_BUCKET_FIRST || commandBucketId === OFPG15_BUCKET_LAST))
      || (command !== 3 && command !== 5 && commandBucketId === OFPG15_BUCKET_ALL);
    if (!idOk) throw new OfpError('OFPGMFC_BAD_BUCKET', `group command bucket id ${commandBucketId} is out of range`);
    if (o.bucketArrayLen > body.length - OFP15_GROUP_MOD.size) throw new OfpError('OFPBRC_BAD_LEN', 'bucket array overruns message');
    const bucketsEnd = OFP15_GROUP_MOD.size + o.bucketArrayLen;
    buckets = decodeOfp15Buckets(body.subarray(OFP15_GROUP_MOD.size, bucketsEnd), version, type);
    props = decodeGroupProps(body.subarray(bucketsEnd), type, command);
  } else {
    const o = OFP11_GROUP_MOD.unpack(body);
    ({ command, type, groupId } = o);
    commandBucketId = OFPG15_BUCKET_ALL;
    buckets = decodeOfp11Buckets(body.subarray(OFP11_GROUP_MOD.size), version);
    // OpenFlow 1.3.5 makes buckets in a delete an error.
    if (version >= OFP13_VERSION && command === 2 && buckets.length) {
      throw new OfpError('OFPGMFC_INVALID_GROUP', 'group delete with buckets');
    }
  }
  const gtype = groupTypeFromNumber(type);
  if (gtype === 'indirect' && command !== 2 && buckets.length !== 1) {
    throw new OfpError('OFPGMFC_INVALID_GROUP', 'indirect group needs exactly one bucket');
  }
  const cmd = GROUP_COMMANDS.find(([, n]) => n === command)?.[0];
  if (!cmd) throw new OfpError('OFPGMFC_BAD_COMMAND', `group command ${command}`);
  if (cmd === 'remove_bucket' && buckets.length) throw new OfpError('OFPGMFC_BAD_BUCKET', 'remove_bucket with buckets');
  for (const b of buckets) {
    if (b.weight && gtype !== 'select' && cmd !== 'insert_bucket') {
      throw new OfpError('OFPGMFC_INVALID_GROUP', 'bucket weight outside a select group');
    }
    if ((gtype === 'all' || gtype === 'indirect') && hasLiveness(b)) {
      throw new OfpError('OFPGMFC_WATCH_UNSUPPORTED', `${gtype} group buckets cannot watch`);
    }
    if (gtype === 'ff' && !hasLiveness(b)) throw new OfpError('OFPGMFC_INVALID_GROUP', 'fast failover bucket without watch');
  }
  return { command: cmd, type: gtype, groupId, commandBucketId, buckets, props };
}

/**
 * Encodes a group_mod for `version` (OVS ofputil_encode_group_mod with no group_existed
 * hint): OFPT11_GROUP_MOD for 1.1–1.4, OFPT15_GROUP_MOD for 1.5, NXT_GROUP_MOD for 1.0.
 * @throws OfpError OFPGMFC_BAD_COMMAND for insert_bucket/remove_bucket before OpenFlow 1.5
 */
export function encodeGroupMod(gm: GroupMod, version: number, xid: number): Buffer {
  const command = GROUP_COMMANDS.find(([c]) => c === gm.command)![1];
  const type = groupTypeNumber(gm.type);
  if (!usesOfp15Layout(version)) {
    if (gm.command === 'insert_bucket' || gm.command === 'remove_bucket') {
      throw new OfpError('OFPGMFC_BAD_COMMAND', `${gm.command} needs OpenFlow 1.5`);
    }
    return encodeMsg('OFPT11_GROUP_MOD', version, xid, Buffer.concat([
      OFP11_GROUP_MOD.pack({ command, type, groupId: gm.groupId }),
      ...gm.buckets.map((b) => encodeOfp11Bucket(b, version)),
    ]));
  }
  const buckets = encodeOfp15Buckets(gm.buckets, gm.type, version);
  return encodeMsg(version === OFP10_VERSION ? 'NXT_GROUP_MOD' : 'OFPT15_GROUP_MOD', version, xid, Buffer.concat([
    OFP15_GROUP_MOD.pack({ command, type, groupId: gm.groupId, bucketArrayLen: buckets.length, commandBucketId: gm.commandBucketId }),
    buckets,
    ...(gm.props.selectionMethod ? [encodeSelectionMethodProp(gm.props, version)] : []),
  ]));
}

// ---------------------------------------------------------------------------------------------
// Group description
// ---------------------------------------------------------------------------------------------

/**
 * Decodes a group description request (OVS ofputil_decode_group_desc_request): the group
 * asked for, OFPG_ALL for OpenFlow 1.1–1.4 which always ask for all.
 */
export function decodeGroupDescRequest(msg: OfpMsg): number {
  return msg.raw === 'OFPST11_GROUP_DESC_REQUEST' ? OFPG_ALL : OFP11_GROUP_STATS_REQUEST.unpack(msg.body).groupId;
}

/** Encodes a group description request for `version` (OVS ofputil_encode_group_desc_request). */
export function encodeGroupDescRequest(version: number, xid: number, groupId = OFPG_ALL): Buffer {
  if (!usesOfp15Layout(version)) return encodeMsg('OFPST11_GROUP_DESC_REQUEST', version, xid, Buffer.alloc(0));
  return encodeMsg(version === OFP10_VERSION ? 'NXST_GROUP_DESC_REQUEST' : 'OFPST15_GROUP_DESC_REQUEST', version, xid,
    OFP11_GROUP_STATS_REQUEST.pack({ groupId }));
}

function encodeGroupDescEntry(gd: GroupDesc, version: number): Buffer {
  const type = groupTypeNumber(gd.type);
  if (!usesOfp15Layout(version)) {
    const buckets = Buffer.concat(gd.buckets.map((b) => encodeOfp11Bucket(b, version)));
    return Buffer.concat([OFP11_GROUP_DESC_STATS.pack({ length: OFP11_GROUP_DESC_STATS.size + buckets.length, type, groupId: gd.groupId }), buckets]);
  }
  const buckets = Buffer.concat(gd.buckets.map((b) => encodeOfp15Bucket(b, b.bucketId, gd.type, version)));
  const props = gd.props.selectionMethod ? encodeSelectionMethodProp(gd.props, version) : Buffer.alloc(0);
  return Buffer.concat([OFP15_GROUP_DESC_STATS.pack({
    length: OFP15_GROUP_DESC_STATS.size + buckets.length + props.length, type, groupId: gd.groupId, bucketListLen: buckets.length,
  }), buckets, props]);
}

/**
 * Encodes the reply to a group description request: `ofp11_group_desc_stats` for OpenFlow
 * 1.1–1.4, `ofp15_group_desc_stats` with bucket ids and properties for 1.0 (NXST) and 1.5.
 */
export function encodeGroupDescReply(request: OfpMsg, descs: GroupDesc[]): Buffer[] {
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid,
    descs.map((gd) => encodeGroupDescEntry(gd, request.version)));
}

/**
 * Decodes one group description reply message (OVS ofputil_decode_group_desc_reply).
 * @throws OfpError OFPBRC_BAD_LEN and the bucket/property errors of decodeGroupMod
 */
export function decodeGroupDescReply(msg: OfpMsg): GroupDesc[] {
  const { body, version } = msg;
  const out: GroupDesc[] = [];
  const head = usesOfp15Layout(version) ? OFP15_GROUP_DESC_STATS : OFP11_GROUP_DESC_STATS;
  let p = 0;
  while (p < body.length) {
    if (body.length - p < head.size) throw new OfpError('OFPBRC_BAD_LEN', 'group desc entry truncated');
    const length = body.readUInt16BE(p);
    const type = body[p + 2];
    const groupId = body.readUInt32BE(p + 4);
    if (length < head.size || p + length > body.length) throw new OfpError('OFPBRC_BAD_LEN', `group desc length ${length}`);
    if (usesOfp15Layout(version)) {
      const o = OFP15_GROUP_DESC_STATS.unpack(body, p);
      if (length < o.bucketListLen + head.size) throw new OfpError('OFPBRC_BAD_LEN', `bucket list length ${o.bucketListLen}`);
      const bucketsEnd = p + head.size + o.bucketListLen;
      const buckets = decodeOfp15Buckets(body.subarray(p + head.size, bucketsEnd), version, type);
      // A description has no command; "add" lets the selection method property through.
      const props = decodeGroupProps(body.subarray(bucketsEnd, p + length), type, 0);
      out.push({ type: groupTypeFromNumber(type), groupId, buckets, props });
    } else {
      const buckets = decodeOfp11Buckets(body.subarray(p + head.size, p + length), version);
      out.push({ type: groupTypeFromNumber(type), groupId, buckets, props: emptyGroupProps() });
    }
    p += length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Group statistics
// ---------------------------------------------------------------------------------------------

/**
 * A group's statistics (OVS `struct ofputil_group_stats`): counters (UINT64_MAX unknown),
 * duration in s + ns (0xffffffff unknown; not sent in OpenFlow 1.1/1.2), per-bucket counters.
 */
export interface GroupStats {
  groupId: number; refCount: number; packetCount: bigint; byteCount: bigint;
  durationSec: number; durationNsec: number; bucketStats: { packetCount: bigint; byteCount: bigint }[];
}

/** Decodes a group statistics request: the group asked for, OFPG_ALL for all. */
export function decodeGroupStatsRequest(msg: OfpMsg): number {
  return OFP11_GROUP_STATS_REQUEST.unpack(msg.body).groupId;
}

/** Encodes a group statistics request (NXST_GROUP in OpenFlow 1.0, else OFPST11_GROUP). */
export function encodeGroupStatsRequest(version: number, xid: number, groupId = OFPG_ALL): Buffer {
  return encodeMsg(version === OFP10_VERSION ? 'NXST_GROUP_REQUEST' : 'OFPST11_GROUP_REQUEST', version, xid,
    OFP11_GROUP_STATS_REQUEST.pack({ groupId }));
}

/** Whether a version's group stats carry a duration (all but OpenFlow 1.1 and 1.2). */
function groupStatsHaveDuration(version: number): boolean {
  return version === OFP10_VERSION || version >= OFP13_VERSION;
}

function encodeGroupStatsEntry(gs: GroupStats, version: number): Buffer {
  const withDuration = groupStatsHaveDuration(version);
  const counters = gs.bucketStats.map((b) => OFP11_BUCKET_COUNTER.pack(b));
  const length = OFP11_GROUP_STATS.size + (withDuration ? OFP13_GROUP_STATS_TAIL.size : 0) + 16 * counters.length;
  return Buffer.concat([
    OFP11_GROUP_STATS.pack({ length, groupId: gs.groupId, refCount: gs.refCount, packetCount: gs.packetCount, byteCount: gs.byteCount }),
    ...(withDuration ? [OFP13_GROUP_STATS_TAIL.pack({ durationSec: gs.durationSec, durationNsec: gs.durationNsec })] : []),
    ...counters,
  ]);
}

/**
 * Encodes the reply to a group statistics request: `ofp11_group_stats` (1.1, 1.2) or
 * `ofp13_group_stats` with duration (1.0 NXST, 1.3+), each followed by bucket counters.
 */
export function encodeGroupStatsReply(request: OfpMsg, stats: GroupStats[]): Buffer[] {
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid,
    stats.map((gs) => encodeGroupStatsEntry(gs, request.version)));
}

/**
 * Decodes one group statistics reply message (OVS ofputil_decode_group_stats_reply).
 * @throws OfpError OFPBRC_BAD_LEN
 */
export function decodeGroupStatsReply(msg: OfpMsg): GroupStats[] {
  const { body, version } = msg;
  const withDuration = groupStatsHaveDuration(version);
  const base = OFP11_GROUP_STATS.size + (withDuration ? OFP13_GROUP_STATS_TAIL.size : 0);
  const out: GroupStats[] = [];
  let p = 0;
  while (p < body.length) {
    if (body.length - p < base) throw new OfpError('OFPBRC_BAD_LEN', 'group stats entry truncated');
    const o = OFP11_GROUP_STATS.unpack(body, p);
    const d = withDuration ? OFP13_GROUP_STATS_TAIL.unpack(body, p + OFP11_GROUP_STATS.size) : { durationSec: 0xffffffff, durationNsec: 0xffffffff };
    const n = Math.floor((o.length - base) / 16);
    if (o.length < base || p + base + 16 * n > body.length) throw new OfpError('OFPBRC_BAD_LEN', `group stats length ${o.length}`);
    const bucketStats = Array.from({ length: n }, (_, i) => OFP11_BUCKET_COUNTER.unpack(body, p + base + 16 * i));
    out.push({ groupId: o.groupId, refCount: o.refCount, packetCount: o.packetCount, byteCount: o.byteCount,
      durationSec: d.durationSec, durationNsec: d.durationNsec, bucketStats });
    p += base + 16 * n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Group features
// ---------------------------------------------------------------------------------------------

/**
 * Group table features (OVS `struct ofputil_group_features`): bitmap of supported group types
 * (1 << OFPGT11_*), OFPGFC12_* capabilities, and per type (all, select, indirect, ff) the
 * maximum number of groups and the supported ofpacts (OVS ofpact names, see ofp-table).
 */
export interface GroupFeatures { types: number; capabilities: number; maxGroups: number[]; ofpacts: string[][] }

/** Encodes the reply to a group features request (NXST in 1.0/1.1, OFPST12 from 1.2). */
export function encodeGroupFeaturesReply(request: OfpMsg, f: GroupFeatures): Buffer {
  const v = request.version;
  return encodeMsg(rawReplyFor(request), v, request.xid, OFP12_GROUP_FEATURES.pack({
    types: f.types, capabilities: f.capabilities,
    maxGroups0: f.maxGroups[0], maxGroups1: f.maxGroups[1], maxGroups2: f.maxGroups[2], maxGroups3: f.maxGroups[3],
    actions0: ofpactBitmapToOpenflow(f.ofpacts[0], v), actions1: ofpactBitmapToOpenflow(f.ofpacts[1], v),
    actions2: ofpactBitmapToOpenflow(f.ofpacts[2], v), actions3: ofpactBitmapToOpenflow(f.ofpacts[3], v),
  }));
}

/** Decodes a group features reply (OVS ofputil_decode_group_features_reply). */
export function decodeGroupFeaturesReply(msg: OfpMsg): GroupFeatures {
  const o = OFP12_GROUP_FEATURES.unpack(msg.body);
  const v = msg.version;
  return {
    types: o.types, capabilities: o.capabilities, maxGroups: [o.maxGroups0, o.maxGroups1, o.maxGroups2, o.maxGroups3],
    ofpacts: [o.actions0, o.actions1, o.actions2, o.actions3].map((bits) => ofpactBitmapFromOpenflow(bits, v)),
  };
}

/** Encodes a group features request (NXST_GROUP_FEATURES before 1.2, else OFPST12). */
export function encodeGroupFeaturesRequest(version: number, xid: number): Buffer {
  return encodeMsg(version < OFP12_VERSION ? 'NXST_GROUP_FEATURES_REQUEST' : 'OFPST12_GROUP_FEATURES_REQUEST', version, xid, Buffer.alloc(0));
}
