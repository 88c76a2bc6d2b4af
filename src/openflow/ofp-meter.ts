/**
 * OpenFlow 1.3+ meter messages: meter_mod, meter statistics, meter configuration and meter
 * features (OpenFlow 1.3 §7.3.4.4, §7.3.5.12–14). OpenFlow 1.0–1.2 have no meters and OVS
 * defines no Nicira form of them. Facts follow OVS 3.1 lib/ofp-meter.c.
 */
import { OFP13_VERSION } from './common';
import { OfpError } from './ofp-errors';
import type { OfpMsg } from './ofp-msgs';
import { encodeMsg, encodeMultipartReply, rawReplyFor } from './ofp-msgs';
import { OfpStruct } from './ofp-flow';

/** Meter numbers (`ofp13_meter`). */
export const OFPM13_MAX = 0xffff0000;
export const OFPM13_SLOWPATH = 0xfffffffd;
export const OFPM13_CONTROLLER = 0xfffffffe;
export const OFPM13_ALL = 0xffffffff;

/** meter_mod commands (`ofp13_meter_mod_command`). */
export const OFPMC13_ADD = 0;
export const OFPMC13_MODIFY = 1;
export const OFPMC13_DELETE = 2;

/** Meter flags (`ofp13_meter_flags`). */
export const OFPMF13_KBPS = 1 << 0;
export const OFPMF13_PKTPS = 1 << 1;
export const OFPMF13_BURST = 1 << 2;
export const OFPMF13_STATS = 1 << 3;

/** Band types (`ofp13_meter_band_type`). */
export const OFPMBT13_DROP = 1;
export const OFPMBT13_DSCP_REMARK = 2;

/** meter_mod commands by name, indexed by OFPMC13_* number. */
export type MeterModCommand = 'add' | 'modify' | 'delete';
const METER_COMMANDS: readonly MeterModCommand[] = ['add', 'modify', 'delete'];

/**
 * A meter band (OVS `struct ofputil_meter_band`): OFPMBT13_* type, rate (kb/s or packets/s
 * per the meter's flags), burst size (kb or packets), and for dscp_remark the number of drop
 * precedence levels to add.
 */
export interface MeterBand { type: number; rate: number; burstSize: number; precLevel: number }

/** A meter's configuration (OVS `struct ofputil_meter_config`); `flags` are OFPMF13_*. */
export interface MeterConfig { meterId: number; flags: number; bands: MeterBand[] }

/** A meter_mod (OVS `struct ofputil_meter_mod`). A delete carries no flags or bands. */
export interface MeterMod { command: MeterModCommand; meter: MeterConfig }

/** A meter's statistics; duration in s + ns; one counter pair per band. */
export interface MeterStats {
  meterId: number; flowCount: number; packetInCount: bigint; byteInCount: bigint;
  durationSec: number; durationNsec: number; bands: { packetCount: bigint; byteCount: bigint }[];
}

/** Meter features (`ofp13_meter_features`); band types and capabilities are bitmaps. */
export interface MeterFeatures { maxMeters: number; bandTypes: number; capabilities: number; maxBands: number; maxColor: number }

const OFP13_METER_MOD = new OfpStruct('ofp13_meter_mod', [['command', 'u16'], ['flags', 'u16'], ['meterId', 'u32']]);
/** All supported band types share `ofp13_meter_band_dscp_remark`'s 16-byte layout. */
const OFP13_METER_BAND = new OfpStruct('ofp13_meter_band_dscp_remark', [
  ['type', 'u16'], ['len', 'u16'], ['rate', 'u32'], ['burstSize', 'u32'], ['precLevel', 'u8'], ['pad', 'pad', 3],
]);
const OFP13_METER_CONFIG = new OfpStruct('ofp13_meter_config', [['length', 'u16'], ['flags', 'u16'], ['meterId', 'u32']]);
const OFP13_METER_STATS = new OfpStruct('ofp13_meter_stats', [
  ['meterId', 'u32'], ['len', 'u16'], ['pad', 'pad', 6], ['flowCount', 'u32'], ['packetInCount', 'u64'],
  ['byteInCount', 'u64'], ['durationSec', 'u32'], ['durationNsec', 'u32'],
]);
const OFP13_METER_BAND_STATS = new OfpStruct('ofp13_meter_band_stats', [['packetCount', 'u64'], ['byteCount', 'u64']]);
const OFP13_METER_MULTIPART_REQUEST = new OfpStruct('ofp13_meter_multipart_request', [['meterId', 'u32'], ['pad', 'pad', 4]]);
const OFP13_METER_FEATURES = new OfpStruct('ofp13_meter_features', [
  ['maxMeters', 'u32'], ['bandTypes', 'u32'], ['capabilities', 'u32'], ['maxBands', 'u8'], ['maxColor', 'u8'], ['pad', 'pad', 2],
]);

function encodeBands(bands: MeterBand[]): Buffer {
  return Buffer.concat(bands.map((b) => OFP13_METER_BAND.pack({ ...b, len: OFP13_METER_BAND.size })));
}

/**
 * Decodes bands filling `buf` (OVS ofputil_pull_bands).
 * @throws OfpError OFPBRC_BAD_LEN (a band not 16 bytes, leftover bytes), OFPMMFC_BAD_BAND
 *         (not drop or dscp_remark)
 */
function decodeBands(buf: Buffer): MeterBand[] {
  const out: MeterBand[] = [];
  let p = 0;
  while (buf.length - p >= OFP13_METER_BAND.size) {
    const o = OFP13_METER_BAND.unpack(buf, p);
    if (o.len !== OFP13_METER_BAND.size) throw new OfpError('OFPBRC_BAD_LEN', `meter band length ${o.len}`);
    if (o.type !== OFPMBT13_DROP && o.type !== OFPMBT13_DSCP_REMARK) throw new OfpError('OFPMMFC_BAD_BAND', `band type ${o.type}`);
    out.push({ type: o.type, rate: o.rate, burstSize: o.burstSize, precLevel: o.type === OFPMBT13_DSCP_REMARK ? o.precLevel : 0 });
    p += o.len;
  }
  if (p !== buf.length) throw new OfpError('OFPBRC_BAD_LEN', `${buf.length - p} leftover bytes after meter bands`);
  return out;
}

/**
 * Decodes OFPT_METER_MOD (OVS ofputil_decode_meter_mod).
 * @throws OfpError OFPMMFC_BAD_COMMAND, OFPMMFC_BAD_FLAGS (kbps with pktps), and band errors
 */
export function decodeMeterMod(msg: OfpMsg): MeterMod {
  const o = OFP13_METER_MOD.unpack(msg.body);
  const command = METER_COMMANDS[o.command];
  if (!command) throw new OfpError('OFPMMFC_BAD_COMMAND', `meter command ${o.command}`);
  if (command === 'delete') return { command, meter: { meterId: o.meterId, flags: 0, bands: [] } };
  if (o.flags & OFPMF13_KBPS && o.flags & OFPMF13_PKTPS) throw new OfpError('OFPMMFC_BAD_FLAGS', 'kbps and pktps together');
  return { command, meter: { meterId: o.meterId, flags: o.flags, bands: decodeBands(msg.body.subarray(OFP13_METER_MOD.size)) } };
}

/**
 * Encodes OFPT_METER_MOD (OpenFlow 1.3+; OVS ofputil_encode_meter_mod).
 * @throws OfpError OFPBRC_BAD_VERSION before OpenFlow 1.3
 */
export function encodeMeterMod(mm: MeterMod, version: number, xid: number): Buffer {
  checkVersion(version);
  return encodeMsg('OFPT13_METER_MOD', version, xid, Buffer.concat([
    OFP13_METER_MOD.pack({ command: METER_COMMANDS.indexOf(mm.command), flags: mm.meter.flags, meterId: mm.meter.meterId }),
    encodeBands(mm.meter.bands),
  ]));
}

function checkVersion(version: number): void {
  if (version < OFP13_VERSION) throw new OfpError('OFPBRC_BAD_VERSION', 'meters need OpenFlow 1.3 or later');
}

/** Decodes a meter statistics or configuration request: the meter asked for, OFPM13_ALL for all. */
export function decodeMeterRequest(msg: OfpMsg): number {
  return OFP13_METER_MULTIPART_REQUEST.unpack(msg.body).meterId;
}

/** What a meter request asks for (OVS `enum ofputil_meter_request_type`). */
export type MeterRequestType = 'features' | 'config' | 'stats';

/** Encodes a meter request (OVS ofputil_encode_meter_request); features requests have no body. */
export function encodeMeterRequest(version: number, xid: number, type: MeterRequestType, meterId = OFPM13_ALL): Buffer {
  checkVersion(version);
  if (type === 'features') return encodeMsg('OFPST13_METER_FEATURES_REQUEST', version, xid, Buffer.alloc(0));
  return encodeMsg(type === 'config' ? 'OFPST13_METER_CONFIG_REQUEST' : 'OFPST13_METER_REQUEST', version, xid,
    OFP13_METER_MULTIPART_REQUEST.pack({ meterId }));
}

/** Encodes the reply to a meter configuration request, one `ofp13_meter_config` with bands per meter. */
export function encodeMeterConfigReply(request: OfpMsg, configs: MeterConfig[]): Buffer[] {
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid, configs.map((mc) => {
    const bands = encodeBands(mc.bands);
    return Buffer.concat([OFP13_METER_CONFIG.pack({ length: OFP13_METER_CONFIG.size + bands.length, flags: mc.flags, meterId: mc.meterId }), bands]);
  }));
}

/**
 * Decodes one meter configuration reply message (OVS ofputil_decode_meter_config).
 * @throws OfpError OFPBRC_BAD_LEN and band errors
 */
export function decodeMeterConfigReply(msg: OfpMsg): MeterConfig[] {
  const out: MeterConfig[] = [];
  const { body } = msg;
  let p = 0;
  while (p < body.length) {
    const o = OFP13_METER_CONFIG.unpack(body, p);
    if (o.length < OFP13_METER_CONFIG.size || p + o.length > body.length) throw new OfpError('OFPBRC_BAD_LEN', `meter config length ${o.length}`);
    out.push({ meterId: o.meterId, flags: o.flags, bands: decodeBands(body.subarray(p + OFP13_METER_CONFIG.size, p + o.length)) });
    p += o.length;
  }
  return out;
}

/** Encodes the reply to a meter statistics request, one `ofp13_meter_stats` with band counters per meter. */
export function encodeMeterStatsReply(request: OfpMsg, stats: MeterStats[]): Buffer[] {
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid, stats.map((ms) => Buffer.concat([
    OFP13_METER_STATS.pack({ ...ms, len: OFP13_METER_STATS.size + OFP13_METER_BAND_STATS.size * ms.bands.length }),
    ...ms.bands.map((b) => OFP13_METER_BAND_STATS.pack(b)),
  ])));
}

/**
 * Decodes one meter statistics reply message (OVS ofputil_decode_meter_stats).
 * @throws OfpError OFPBRC_BAD_LEN
 */
export function decodeMeterStatsReply(msg: OfpMsg): MeterStats[] {
  const out: MeterStats[] = [];
  const { body } = msg;
  let p = 0;
  while (p < body.length) {
    const o = OFP13_METER_STATS.unpack(body, p);
    const bandsLen = o.len - OFP13_METER_STATS.size;
    if (bandsLen < 0 || bandsLen % OFP13_METER_BAND_STATS.size || p + o.len > body.length) {
      throw new OfpError('OFPBRC_BAD_LEN', `meter stats length ${o.len}`);
    }
    const bands = Array.from({ length: bandsLen / OFP13_METER_BAND_STATS.size },
      (_, i) => OFP13_METER_BAND_STATS.unpack(body, p + OFP13_METER_STATS.size + i * OFP13_METER_BAND_STATS.size));
    out.push({ meterId: o.meterId, flowCount: o.flowCount, packetInCount: o.packetInCount, byteInCount: o.byteInCount,
      durationSec: o.durationSec, durationNsec: o.durationNsec, bands });
    p += o.len;
  }
  return out;
}

/** Encodes the reply to a meter features request. */
export function encodeMeterFeaturesReply(request: OfpMsg, f: MeterFeatures): Buffer {
  return encodeMsg(rawReplyFor(request), request.version, request.xid, OFP13_METER_FEATURES.pack(f));
}

/** Decodes a meter features reply. */
export function decodeMeterFeaturesReply(msg: OfpMsg): MeterFeatures {
  const o = OFP13_METER_FEATURES.unpack(msg.body);
  return { maxMeters: o.maxMeters, bandTypes: o.bandTypes, capabilities: o.capabilities, maxBands: o.maxBands, maxColor: o.maxColor };
}
