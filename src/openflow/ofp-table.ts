/**
 * OpenFlow table messages: table statistics (OFPST_TABLE, in the wide OpenFlow 1.0–1.2 rows
 * that also describe features and the short 1.3+ rows), table features (OpenFlow 1.3+
 * OFPMP_TABLE_FEATURES with all of its properties), table_mod (1.1+ config, 1.4+ eviction and
 * vacancy properties), table description (1.4+) and table status (1.4+). Facts follow OVS 3.1
 * lib/ofp-table.c.
 *
 * Features are kept in version-independent form: fields by their ovs-fields(7) names, actions
 * by OVS ofpact names ("output", "mod_dl_src", "set_field", …), instructions by OVS names
 * ("apply_actions", "goto_table", …); each version's bitmaps and ID lists are derived here.
 */
import {
  OFP10_VERSION, OFP11_VERSION, OFP12_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION, OFPTT_ALL,
} from './common';
import { OfpError } from './ofp-errors';
import type { OfpMsg } from './ofp-msgs';
import { encodeMsg, encodeMultipartReply, rawReplyFor } from './ofp-msgs';
import { MF_FIELDS } from './meta-flow';
import type { MfField, MfHeader } from './meta-flow';
import { mfHeaderFor } from './nx-match';
import { OfpStruct, decodeProps, encodeProp, encodePropU32, parsePropU32 } from './ofp-flow';
import type { OfpProp } from './ofp-flow';

// ---------------------------------------------------------------------------------------------
// Table configuration
// ---------------------------------------------------------------------------------------------

/** OFPTC_* table config bits (openflow-common.h). */
export const OFPTC11_TABLE_MISS_CONTROLLER = 0;
export const OFPTC11_TABLE_MISS_CONTINUE = 1;
export const OFPTC11_TABLE_MISS_DROP = 2;
export const OFPTC11_TABLE_MISS_MASK = 3;
export const OFPTC14_EVICTION = 1 << 2;
export const OFPTC14_VACANCY_EVENTS = 1 << 3;

/** Eviction property flags (`ofp14_table_mod_prop_eviction_flag`). */
export const OFPTMPEF14_OTHER = 1 << 0;
export const OFPTMPEF14_IMPORTANCE = 1 << 1;
export const OFPTMPEF14_LIFETIME = 1 << 2;

/** table_mod / table_desc property types (`ofp14_table_mod_prop_type`). */
const OFPTMPT14_EVICTION = 2;
const OFPTMPT14_VACANCY = 3;

/** Table status reasons (`ofp14_table_reason`). */
export const OFPTR_VACANCY_DOWN = 3;
export const OFPTR_VACANCY_UP = 4;

/**
 * Table-miss behaviour (OVS `enum ofputil_table_miss`); only OpenFlow 1.1 and 1.2 carry it,
 * 'default' means "protocol default" (to controller before 1.3, drop from 1.3).
 */
export type TableMiss = 'default' | 'controller' | 'continue' | 'drop';
/** Eviction / vacancy-events setting (OpenFlow 1.4+; 'default' = not specified). */
export type TableSwitch = 'default' | 'on' | 'off';

/** "Not present" for the 32-bit eviction flags. */
export const EVICTION_FLAGS_NONE = 0xffffffff;

const MISS_BY_CONFIG: readonly TableMiss[] = ['controller', 'continue', 'drop', 'controller'];

/** Decodes a config's table-miss bits; only 1.1 and 1.2 define them (OVS ofputil_decode_table_miss). */
function decodeTableMiss(config: number, version: number): TableMiss {
  return version === OFP11_VERSION || version === OFP12_VERSION
    ? MISS_BY_CONFIG[config & OFPTC11_TABLE_MISS_MASK] : 'default';
}

function decodeTableSwitch(config: number, bit: number, version: number): TableSwitch {
  return version < OFP14_VERSION ? 'default' : config & bit ? 'on' : 'off';
}

/** Encodes OFPTC_* config bits for `version` (OVS ofputil_encode_table_config). */
function encodeTableConfig(miss: TableMiss, eviction: TableSwitch, vacancy: TableSwitch, version: number): number {
  if (version === OFP11_VERSION || version === OFP12_VERSION) {
    return miss === 'continue' ? OFPTC11_TABLE_MISS_CONTINUE
      : miss === 'drop' ? OFPTC11_TABLE_MISS_DROP : OFPTC11_TABLE_MISS_CONTROLLER;
  }
  if (version >= OFP14_VERSION) {
    return (eviction === 'on' ? OFPTC14_EVICTION : 0) | (vacancy === 'on' ? OFPTC14_VACANCY_EVENTS : 0);
  }
  return 0;
}

/** Vacancy thresholds and current vacancy, in percent (`ofp14_table_mod_prop_vacancy`). */
export interface TableVacancy { vacancyDown: number; vacancyUp: number; vacancy: number }

const OFP14_TABLE_MOD_PROP_VACANCY = new OfpStruct('ofp14_table_mod_prop_vacancy', [
  ['vacancyDown', 'u8'], ['vacancyUp', 'u8'], ['vacancy', 'u8'], ['pad', 'pad', 1],
]);

// ---------------------------------------------------------------------------------------------
// table_mod
// ---------------------------------------------------------------------------------------------

/**
 * A table_mod (OVS `struct ofputil_table_mod`): `tableId` 255 = all tables; `miss` is 1.1/1.2
 * only; `eviction`, `evictionFlags` (EVICTION_FLAGS_NONE when absent, else OFPTMPEF14_*),
 * `vacancy` and its thresholds are 1.4+ only.
 */
export interface TableMod {
  tableId: number; miss: TableMiss; eviction: TableSwitch; evictionFlags: number;
  vacancy: TableSwitch; tableVacancy: TableVacancy;
}

const OFP11_TABLE_MOD = new OfpStruct('ofp11_table_mod', [
  ['tableId', 'u8'], ['pad', 'pad', 3], ['config', 'u32'],
]);

/**
 * Decodes OFPT_TABLE_MOD (OpenFlow 1.1–1.3 `ofp11_table_mod`, 1.4+ `ofp14_table_mod` with
 * properties; OVS ofputil_decode_table_mod).
 * @throws OfpError OFPBRC_BAD_TYPE (unknown property or not a table_mod), OFPBPC_BAD_LEN,
 *         OFPBPC_BAD_VALUE (vacancy_down > vacancy_up, > 100 %, or a nonzero current vacancy)
 */
export function decodeTableMod(msg: OfpMsg): TableMod {
  if (msg.raw !== 'OFPT11_TABLE_MOD' && msg.raw !== 'OFPT14_TABLE_MOD') {
    throw new OfpError('OFPBRC_BAD_TYPE', `${msg.raw} is not a table_mod`);
  }
  const o = OFP11_TABLE_MOD.unpack(msg.body);
  const tm: TableMod = {
    tableId: o.tableId, miss: decodeTableMiss(o.config, msg.version), eviction: 'default',
    evictionFlags: EVICTION_FLAGS_NONE, vacancy: 'default', tableVacancy: { vacancyDown: 0, vacancyUp: 0, vacancy: 0 },
  };
  if (msg.raw === 'OFPT11_TABLE_MOD') return tm;
  tm.eviction = decodeTableSwitch(o.config, OFPTC14_EVICTION, msg.version);
  tm.vacancy = decodeTableSwitch(o.config, OFPTC14_VACANCY_EVENTS, msg.version);
  for (const prop of decodeProps(msg.body.subarray(OFP11_TABLE_MOD.size))) {
    if (prop.type === OFPTMPT14_EVICTION) {
      tm.evictionFlags = parsePropU32(prop);
    } else if (prop.type === OFPTMPT14_VACANCY) {
      const v = parseVacancy(prop);
      if (v.vacancyDown > v.vacancyUp) throw new OfpError('OFPBPC_BAD_VALUE', 'vacancy_down is greater than vacancy_up');
      if (v.vacancyUp > 100) throw new OfpError('OFPBPC_BAD_VALUE', 'vacancy threshold above 100%');
      if (v.vacancy) throw new OfpError('OFPBPC_BAD_VALUE', 'vacancy must be zero in a table_mod');
      tm.tableVacancy = v;
    } else {
      throw new OfpError('OFPBRC_BAD_TYPE', `table_mod property ${prop.type}`);
    }
  }
  return tm;
}

function parseVacancy(prop: OfpProp): TableVacancy {
  if (prop.payload.length !== OFP14_TABLE_MOD_PROP_VACANCY.size) {
    throw new OfpError('OFPBPC_BAD_LEN', `vacancy property of ${prop.payload.length + 4} bytes`);
  }
  return OFP14_TABLE_MOD_PROP_VACANCY.unpack(prop.payload);
}

function encodeVacancyProp(v: TableVacancy): Buffer {
  return encodeProp(OFPTMPT14_VACANCY, OFP14_TABLE_MOD_PROP_VACANCY.pack(v));
}

/**
 * Encodes a table_mod for `version` (1.1+; OVS ofputil_encode_table_mod): 1.4+ adds the
 * eviction-flags property when present and the vacancy property when vacancy is on (current
 * vacancy always 0).
 * @throws OfpError OFPBRC_BAD_VERSION for OpenFlow 1.0, which has no table_mod
 */
export function encodeTableMod(tm: TableMod, version: number, xid: number): Buffer {
  if (version === OFP10_VERSION) throw new OfpError('OFPBRC_BAD_VERSION', 'table_mod needs OpenFlow 1.1 or later');
  const head = OFP11_TABLE_MOD.pack({
    tableId: tm.tableId, config: encodeTableConfig(tm.miss, tm.eviction, tm.vacancy, version),
  });
  if (version < OFP14_VERSION) return encodeMsg('OFPT11_TABLE_MOD', version, xid, head);
  const props: Buffer[] = [];
  if (tm.evictionFlags !== EVICTION_FLAGS_NONE) props.push(encodePropU32(OFPTMPT14_EVICTION, tm.evictionFlags));
  if (tm.vacancy === 'on') props.push(encodeVacancyProp({ ...tm.tableVacancy, vacancy: 0 }));
  return encodeMsg('OFPT14_TABLE_MOD', version, xid, Buffer.concat([head, ...props]));
}

// ---------------------------------------------------------------------------------------------
// Table description and status (OpenFlow 1.4+)
// ---------------------------------------------------------------------------------------------

/** A table description (OVS `struct ofputil_table_desc`); see TableMod for the members. */
export interface TableDesc {
  tableId: number; eviction: TableSwitch; evictionFlags: number; vacancy: TableSwitch;
  tableVacancy: TableVacancy;
}

const OFP14_TABLE_DESC = new OfpStruct('ofp14_table_desc', [
  ['length', 'u16'], ['tableId', 'u8'], ['pad', 'pad', 1], ['config', 'u32'],
]);

/** Encodes one `ofp14_table_desc` with its properties as a reply entry (OVS ofputil_append_table_desc_reply). */
function encodeTableDescEntry(td: TableDesc, version: number, alwaysProps: boolean): Buffer {
  const props: Buffer[] = [];
  if (alwaysProps || td.evictionFlags !== EVICTION_FLAGS_NONE) props.push(encodePropU32(OFPTMPT14_EVICTION, td.evictionFlags));
  if (alwaysProps || td.vacancy === 'on') props.push(encodeVacancyProp(td.tableVacancy));
  const body = Buffer.concat(props);
  return Buffer.concat([OFP14_TABLE_DESC.pack({
    length: OFP14_TABLE_DESC.size + body.length, tableId: td.tableId,
    config: encodeTableConfig('default', td.eviction, td.vacancy, version),
  }), body]);
}

/**
 * Decodes the `ofp14_table_desc` entries of a body (OVS ofputil_decode_table_desc);
 * unknown properties are ignored.
 * @throws OfpError OFPBRC_BAD_LEN, OFPBPC_BAD_LEN
 */
function decodeTableDescs(body: Buffer, version: number): TableDesc[] {
  const out: TableDesc[] = [];
  let p = 0;
  while (p < body.length) {
    const o = OFP14_TABLE_DESC.unpack(body, p);
    if (o.length < OFP14_TABLE_DESC.size || p + o.length > body.length) {
      throw new OfpError('OFPBRC_BAD_LEN', `table desc length ${o.length}`);
    }
    const td: TableDesc = {
      tableId: o.tableId, eviction: decodeTableSwitch(o.config, OFPTC14_EVICTION, version),
      vacancy: decodeTableSwitch(o.config, OFPTC14_VACANCY_EVENTS, version),
      evictionFlags: EVICTION_FLAGS_NONE, tableVacancy: { vacancyDown: 0, vacancyUp: 0, vacancy: 0 },
    };
    for (const prop of decodeProps(body.subarray(p + OFP14_TABLE_DESC.size, p + o.length))) {
      if (prop.type === OFPTMPT14_EVICTION) td.evictionFlags = parsePropU32(prop);
      else if (prop.type === OFPTMPT14_VACANCY) td.tableVacancy = parseVacancy(prop);
    }
    out.push(td);
    p += o.length;
  }
  return out;
}

/** Encodes the reply to OFPST14_TABLE_DESC (OpenFlow 1.4+), split as needed. */
export function encodeTableDescReply(request: OfpMsg, descs: TableDesc[]): Buffer[] {
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid,
    descs.map((td) => encodeTableDescEntry(td, request.version, false)));
}

/** Decodes one OFPST14_TABLE_DESC reply message. @throws OfpError as decodeTableDescs */
export function decodeTableDescReply(msg: OfpMsg): TableDesc[] {
  return decodeTableDescs(msg.body, msg.version);
}

/** A table status notification (OpenFlow 1.4+): OFPTR_* reason and the table's description. */
export interface TableStatus { reason: number; desc: TableDesc }

const OFP14_TABLE_STATUS = new OfpStruct('ofp14_table_status', [['reason', 'u8'], ['pad', 'pad', 7]]);

/**
 * Encodes OFPT_TABLE_STATUS (xid 0; OVS ofputil_encode_table_status), which always carries
 * the eviction and vacancy properties.
 * @throws OfpError OFPBRC_BAD_VERSION before OpenFlow 1.4
 */
export function encodeTableStatus(ts: TableStatus, version: number): Buffer {
  if (version < OFP14_VERSION) throw new OfpError('OFPBRC_BAD_VERSION', 'table status needs OpenFlow 1.4 or later');
  return encodeMsg('OFPT14_TABLE_STATUS', version, 0, Buffer.concat([
    OFP14_TABLE_STATUS.pack({ reason: ts.reason }), encodeTableDescEntry(ts.desc, version, true),
  ]));
}

/**
 * Decodes OFPT_TABLE_STATUS (OVS ofputil_decode_table_status).
 * @throws OfpError OFPBPC_BAD_VALUE for an unknown reason, and as decodeTableDescs
 */
export function decodeTableStatus(msg: OfpMsg): TableStatus {
  const o = OFP14_TABLE_STATUS.unpack(msg.body);
  if (o.reason !== OFPTR_VACANCY_DOWN && o.reason !== OFPTR_VACANCY_UP) {
    throw new OfpError('OFPBPC_BAD_VALUE', `table status reason ${o.reason}`);
  }
  const descs = decodeTableDescs(msg.body.subarray(OFP14_TABLE_STATUS.size), msg.version);
  if (descs.length !== 1) throw new OfpError('OFPBRC_BAD_LEN', 'table status needs one table desc');
  return { reason: o.reason, desc: descs[0] };
}

// ---------------------------------------------------------------------------------------------
// Features vocabulary: fields, ofpacts, instructions
// ---------------------------------------------------------------------------------------------

/**
 * A field as table features know it: its name, its meta-flow field (or, for tun_metadata, its
 * one code point) and capabilities.
 */
interface FeatureField { name: string; order: number; mf?: MfField; header?: MfHeader; maskable: boolean; writable: boolean }

/**
 * Every field that has an NXM/OXM code point, in OVS `enum mf_field_id` order, which is the
 * order table features list them in. MF_FIELDS does not carry the 64 variable-length
 * tun_metadata fields, but OVS advertises them (NXM_NX_TUN_METADATA<n>, 124 bytes), so they
 * are listed here after tun_gtpu_msgtype, where OVS numbers them.
 */
const FEATURE_FIELDS: readonly FeatureField[] = (() => {
  const out: FeatureField[] = [];
  for (const f of MF_FIELDS) {
    if (f.headers.length) {
      out.push({ name: f.name, order: out.length, mf: f, maskable: f.maskable, writable: f.writable });
    }
    if (f.name === 'tun_gtpu_msgtype') {
      for (let i = 0; i < 64; i++) {
        out.push({
          name: `tun_metadata${i}`, order: out.length, maskable: true, writable: true,
          header: { name: `NXM_NX_TUN_METADATA${i}`, vendor: 0, oxmClass: 0x0001, field: 40 + i, length: 124, version: 0 },
        });
      }
    }
  }
  return out;
})();
const FEATURE_FIELD_BY_NAME = new Map(FEATURE_FIELDS.map((f) => [f.name, f]));
const FEATURE_FIELD_BY_HEADER = new Map<string, FeatureField>();
for (const f of FEATURE_FIELDS) {
  for (const h of f.mf ? f.mf.headers : [f.header!]) {
    FEATURE_FIELD_BY_HEADER.set(`${h.oxmClass}:${h.field}:${h.vendor}:${h.length}`, f);
  }
}

/** The code point of `f` in `version` (OVS mf_oxm_header). */
function headerFor(f: FeatureField, version: number): MfHeader {
  return f.mf ? mfHeaderFor(f.mf, version)! : f.header!;
}

/** Fields that can be matched through OXM (OVS oxm_matchable_fields), in OVS order. */
export function oxmMatchableFields(): string[] {
  return FEATURE_FIELDS.map((f) => f.name);
}

/** Fields that can be matched with an arbitrary mask (OVS oxm_maskable_fields). */
export function oxmMaskableFields(): string[] {
  return FEATURE_FIELDS.filter((f) => f.maskable).map((f) => f.name);
}

/** Fields that set_field can write (OVS oxm_writable_fields). */
export function oxmWritableFields(): string[] {
  return FEATURE_FIELDS.filter((f) => f.writable).map((f) => f.name);
}

function featureField(name: string): FeatureField {
  const f = FEATURE_FIELD_BY_NAME.get(name);
  if (!f) throw new Error(`${name} has no NXM or OXM code point`);
  return f;
}

/** Sorts field names into OVS field order and drops duplicates. */
function sortFields(names: Iterable<string>): string[] {
  return [...new Set(names)].map(featureField).sort((a, b) => a.order - b.order).map((f) => f.name);
}

/** Encodes a field's table-features header for `version` (OVS nx_put_header). */
function putFieldHeader(f: FeatureField, version: number, masked: boolean): Buffer {
  const h = headerFor(f, version);
  const exp = h.oxmClass === 0xffff ? 4 : 0;
  const buf = Buffer.alloc(4 + exp);
  const len = masked ? 2 * (h.length - exp) + exp : h.length;
  buf.writeUInt32BE(((h.oxmClass << 16) | (h.field << 9) | (masked ? 0x100 : 0) | len) >>> 0, 0);
  if (exp) buf.writeUInt32BE(h.vendor >>> 0, 4);
  return buf;
}

/**
 * The OFPXMC12_OPENFLOW_BASIC field number of `f`'s code point for `version`, if it has one
 * below 64. Decoding (`introduced`) also requires the code point to exist in `version`, as
 * OVS's oxm_bitmap_to_mf_bitmap does; encoding does not (oxm_bitmap_from_mf_bitmap).
 */
function basicOxmField(f: FeatureField, version: number, introduced: boolean): number | undefined {
  const h = headerFor(f, version);
  return h.oxmClass === 0x8000 && h.field < 64 && (!introduced || version >= h.version) ? h.field : undefined;
}

/**
 * The ofpacts each version can name in action bitmaps, with their OFPAT_* numbers (OVS
 * get_ofpact_map): [ofpact name, OF1.0, OF1.1, OF1.2+] (-1 where the version lacks it).
 */
const OFPACT_MAP: ReadonlyArray<readonly [string, number, number, number]> = [
  ['output', 0, 0, 0], ['set_vlan_vid', 1, 1, -1], ['set_vlan_pcp', 2, 2, -1],
  ['strip_vlan', 3, 18, 18], ['mod_dl_src', 4, 3, -1], ['mod_dl_dst', 5, 4, -1],
  ['mod_nw_src', 6, 5, -1], ['mod_nw_dst', 7, 6, -1], ['mod_nw_tos', 8, 7, -1],
  ['mod_nw_ecn', -1, 8, -1], ['mod_tp_src', 9, 9, -1], ['mod_tp_dst', 10, 10, -1],
  ['enqueue', 11, -1, -1], ['set_mpls_label', -1, 13, -1], ['set_mpls_tc', -1, 14, -1],
  ['set_mpls_ttl', -1, 15, 15], ['dec_mpls_ttl', -1, 16, 16], ['push_vlan', -1, 17, 17],
  ['push_mpls', -1, 19, 19], ['pop_mpls', -1, 20, 20], ['set_queue', -1, 21, 21],
  ['group', -1, 22, 22], ['mod_nw_ttl', -1, 23, 23], ['dec_ttl', -1, 24, 24],
  ['set_field', -1, -1, 25],
];

function ofpatFor(entry: readonly [string, number, number, number], version: number): number {
  return version === OFP10_VERSION ? entry[1] : version === OFP11_VERSION ? entry[2] : entry[3];
}

/** Every ofpact that some version's action bitmap can express (OVS advertises all ofpacts). */
export const ALL_OFPACT_FEATURES: readonly string[] = OFPACT_MAP.map(([name]) => name);

/**
 * Converts ofpact names to a version's OFPAT_* bitmap (OVS ofpact_bitmap_to_openflow); names
 * the version cannot express are dropped.
 */
export function ofpactBitmapToOpenflow(ofpacts: readonly string[], version: number): number {
  let bits = 0;
  for (const e of OFPACT_MAP) {
    const at = ofpatFor(e, version);
    if (at >= 0 && ofpacts.includes(e[0])) bits |= 1 << at;
  }
  return bits >>> 0;
}

/** Converts a version's OFPAT_* bitmap to ofpact names (OVS ofpact_bitmap_from_openflow). */
export function ofpactBitmapFromOpenflow(bits: number, version: number): string[] {
  return OFPACT_MAP.filter((e) => {
    const at = ofpatFor(e, version);
    return at >= 0 && (bits >>> at) & 1;
  }).map(([name]) => name);
}

/** Instructions in OVS order (`enum ovs_instruction_type`) with their OFPIT_* numbers. */
const INSTRUCTIONS: ReadonlyArray<readonly [string, number]> = [
  ['meter', 6], ['apply_actions', 4], ['clear_actions', 5], ['write_actions', 3],
  ['write_metadata', 2], ['goto_table', 1],
];
/** Every instruction OVS supports. */
export const ALL_INSTRUCTIONS: readonly string[] = INSTRUCTIONS.map(([name]) => name);

/** OFPIT_* bitmap of `instructions` for `version`; OVS names meter only in 1.3 and 1.4. */
function instructionBitmap(instructions: readonly string[], version: number): number {
  let bits = 0;
  for (const [name, ofpit] of INSTRUCTIONS) {
    if (name === 'meter' && version !== OFP13_VERSION && version !== OFP14_VERSION) continue;
    if (instructions.includes(name)) bits |= 1 << ofpit;
  }
  return bits;
}

function instructionsFromBitmap(bits: number, version: number): string[] {
  return INSTRUCTIONS.filter(([name, ofpit]) => (bits >>> ofpit) & 1
    && (name !== 'meter' || version === OFP13_VERSION || version === OFP14_VERSION)).map(([name]) => name);
}

// ---------------------------------------------------------------------------------------------
// Table features
// ---------------------------------------------------------------------------------------------

/** Actions and set-field fields usable in write_actions or apply_actions. */
export interface TableActionFeatures { ofpacts: string[]; setFields: string[] }

/** Instruction features for regular flows or for the table-miss flow. */
export interface TableInstructionFeatures {
  /** Tables goto_table may jump to (0..254). */
  next: number[];
  /** Instruction names, see ALL_INSTRUCTIONS. */
  instructions: string[];
  write: TableActionFeatures;
  apply: TableActionFeatures;
}

/**
 * A table's features (OVS `struct ofputil_table_features`). `command` is OFPTFC15_* (1.5
 * requests); metadata bit masks are 64-bit; `missConfig` is 1.1/1.2 only; the two `supports*`
 * are undefined before OpenFlow 1.4. `match` lists matchable fields, `mask` those with
 * arbitrary masks, `wildcard` those that may be wildcarded. `anyProperties` is false for a
 * features request entry without properties (which changes nothing).
 */
export interface TableFeatures {
  command: number; tableId: number; name: string; metadataMatch: bigint; metadataWrite: bigint;
  maxEntries: number; anyProperties: boolean; missConfig: TableMiss;
  supportsEviction?: boolean; supportsVacancyEvents?: boolean;
  nonmiss: TableInstructionFeatures; miss: TableInstructionFeatures;
  match: string[]; mask: string[]; wildcard: string[];
}

/** Table features property types (`ofp13_table_feature_prop_type`); "_MISS" = type + 1. */
const OFPTFPT13_INSTRUCTIONS = 0;
const OFPTFPT13_NEXT_TABLES = 2;
const OFPTFPT13_WRITE_ACTIONS = 4;
const OFPTFPT13_APPLY_ACTIONS = 6;
const OFPTFPT13_MATCH = 8;
const OFPTFPT13_WILDCARDS = 10;
const OFPTFPT13_WRITE_SETFIELD = 12;
const OFPTFPT13_APPLY_SETFIELD = 14;
const OFPTFPT13_REQUIRED = (1 << OFPTFPT13_INSTRUCTIONS) | (1 << OFPTFPT13_NEXT_TABLES)
  | (1 << OFPTFPT13_WRITE_ACTIONS) | (1 << OFPTFPT13_APPLY_ACTIONS) | (1 << OFPTFPT13_MATCH)
  | (1 << OFPTFPT13_WILDCARDS) | (1 << OFPTFPT13_WRITE_SETFIELD) | (1 << OFPTFPT13_APPLY_SETFIELD);

/** `ofp15_table_features_command` values. */
export const OFPTFC15_REPLACE = 0;
export const OFPTFC15_MODIFY = 1;
export const OFPTFC15_ENABLE = 2;
export const OFPTFC15_DISABLE = 3;

const OFP13_TABLE_FEATURES = new OfpStruct('ofp13_table_features', [
  ['length', 'u16'], ['tableId', 'u8'], ['command', 'u8'], ['pad', 'pad', 4], ['name', 'str', 32],
  ['metadataMatch', 'u64'], ['metadataWrite', 'u64'], ['capabilities', 'u32'], ['maxEntries', 'u32'],
]);

/**
 * The features ovs-vswitchd advertises for a table (OVS ofproto.c query_tables): everything
 * matchable/maskable/writable through OXM, all ofpacts and instructions, goto_table to each
 * later table in `nextTables` (goto_table is dropped when there is none), metadata fully
 * matchable and writable, the same features for the table-miss flow. Like OVS, it does not
 * claim the OpenFlow 1.4 eviction and vacancy-event capabilities.
 */
export function defaultTableFeatures(tableId: number, nextTables: number[], name = '',
    maxEntries = 1000000, missConfig: TableMiss = 'default'): TableFeatures {
  const instructions = nextTables.length ? [...ALL_INSTRUCTIONS] : ALL_INSTRUCTIONS.filter((i) => i !== 'goto_table');
  const actions = (): TableActionFeatures => ({ ofpacts: [...ALL_OFPACT_FEATURES], setFields: oxmWritableFields() });
  const inst = (): TableInstructionFeatures => ({ next: [...nextTables], instructions: [...instructions], write: actions(), apply: actions() });
  return {
    command: OFPTFC15_REPLACE, tableId, name, metadataMatch: 0xffffffffffffffffn,
    metadataWrite: 0xffffffffffffffffn, maxEntries, anyProperties: true, missConfig,
    supportsEviction: false, supportsVacancyEvents: false,
    nonmiss: inst(), miss: inst(), match: oxmMatchableFields(), mask: oxmMaskableFields(),
    wildcard: oxmMatchableFields(),
  };
}

/** A property whose payload is a list of 4-byte sub-property headers, one per set bit (OVS ofpprop_put_bitmap). */
function encodeBitmapProp(type: number, bits: number): Buffer {
  const ids: Buffer[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if ((bits >>> bit) & 1) {
      const id = Buffer.alloc(4);
      id.writeUInt16BE(bit, 0);
      id.writeUInt16BE(4, 2);
      ids.push(id);
    }
  }
  return encodeProp(type, Buffer.concat(ids));
}

function encodeFieldsProp(type: number, fields: readonly string[], masks: readonly string[] | undefined, version: number): Buffer {
  const masked = new Set(masks ?? []);
  return encodeProp(type, Buffer.concat(sortFields(fields).map((n) => putFieldHeader(featureField(n), version, masked.has(n)))));
}

function encodeInstructionFeatures(t: TableInstructionFeatures, miss: number, version: number): Buffer[] {
  return [
    encodeBitmapProp(OFPTFPT13_INSTRUCTIONS + miss, instructionBitmap(t.instructions, version)),
    encodeProp(OFPTFPT13_NEXT_TABLES + miss, Buffer.from([...new Set(t.next)].sort((a, b) => a - b))),
    encodeBitmapProp(OFPTFPT13_WRITE_ACTIONS + miss, ofpactBitmapToOpenflow(t.write.ofpacts, version)),
    encodeFieldsProp(OFPTFPT13_WRITE_SETFIELD + miss, t.write.setFields, undefined, version),
    encodeBitmapProp(OFPTFPT13_APPLY_ACTIONS + miss, ofpactBitmapToOpenflow(t.apply.ofpacts, version)),
    encodeFieldsProp(OFPTFPT13_APPLY_SETFIELD + miss, t.apply.setFields, undefined, version),
  ];
}

/** Encodes one `ofp13_table_features` entry with its properties (OVS ofputil_append_table_features). */
export function encodeTableFeaturesEntry(tf: TableFeatures, version: number): Buffer {
  const props = tf.anyProperties ? [
    ...encodeInstructionFeatures(tf.nonmiss, 0, version),
    ...encodeInstructionFeatures(tf.miss, 1, version),
    encodeFieldsProp(OFPTFPT13_MATCH, tf.match, tf.mask, version),
    encodeFieldsProp(OFPTFPT13_WILDCARDS, tf.wildcard, undefined, version),
  ] : [];
  const body = Buffer.concat(props);
  const capabilities = version >= OFP14_VERSION
    ? (tf.supportsEviction ? OFPTC14_EVICTION : 0) | (tf.supportsVacancyEvents ? OFPTC14_VACANCY_EVENTS : 0) : 0;
  return Buffer.concat([OFP13_TABLE_FEATURES.pack({
    length: OFP13_TABLE_FEATURES.size + body.length, tableId: tf.tableId,
    command: version >= OFP15_VERSION ? tf.command : 0, name: tf.name,
    metadataMatch: tf.metadataMatch, metadataWrite: tf.metadataWrite, capabilities,
    maxEntries: tf.maxEntries,
  }), body]);
}

/** Encodes the reply to OFPST13_TABLE_FEATURES, one entry per table, split into ≤ 64 kB messages. */
export function encodeTableFeaturesReply(request: OfpMsg, features: TableFeatures[]): Buffer[] {
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid,
    features.map((tf) => encodeTableFeaturesEntry(tf, request.version)));
}

/** Encodes an OFPST13_TABLE_FEATURES request: empty to query, with entries to configure. */
export function encodeTableFeaturesRequest(version: number, xid: number, features: TableFeatures[] = []): Buffer {
  if (version < OFP13_VERSION) throw new OfpError('OFPBRC_BAD_VERSION', 'table features need OpenFlow 1.3 or later');
  return encodeMsg('OFPST13_TABLE_FEATURES_REQUEST', version, xid,
    Buffer.concat(features.map((tf) => encodeTableFeaturesEntry(tf, version))));
}

/** Reads a list of 4-byte ID headers (alignment 1, no experimenters; OVS ofpprop_pull__ with min_exp 0x10000). */
function parseIdList(payload: Buffer): number[] {
  const ids: number[] = [];
  let p = 0;
  while (p < payload.length) {
    if (payload.length - p < 4) throw new OfpError('OFPBPC_BAD_LEN', 'truncated ID');
    const len = payload.readUInt16BE(p + 2);
    if (len < 4 || p + len > payload.length) throw new OfpError('OFPBPC_BAD_LEN', `ID length ${len}`);
    ids.push(payload.readUInt16BE(p));
    p += len;
  }
  return ids;
}

function parseInstructionIds(payload: Buffer, loose: boolean): string[] {
  const names: string[] = [];
  for (const id of parseIdList(payload)) {
    const inst = INSTRUCTIONS.find(([, ofpit]) => ofpit === id);
    if (inst) names.push(inst[0]);
    else if (!loose) throw new OfpError('OFPBIC_UNKNOWN_INST', `instruction ${id}`);
  }
  return ALL_INSTRUCTIONS.filter((n) => names.includes(n));
}

function parseActionIds(payload: Buffer, version: number): string[] {
  let bits = 0;
  for (const id of parseIdList(payload)) if (id < 32) bits |= 1 << id;
  return ofpactBitmapFromOpenflow(bits >>> 0, version);
}

function parseNextTables(payload: Buffer): number[] {
  for (const id of payload) if (id >= OFPTT_ALL) throw new OfpError('OFPBPC_BAD_VALUE', 'next table 255');
  return [...new Set(payload)].sort((a, b) => a - b);
}

/**
 * Reads a list of OXM headers (OVS parse_oxms).
 * @returns fields named exact and masked; unknown headers are skipped when `loose`
 * @throws OfpError OFPBMC_BAD_FIELD (unknown, strict), OFPBMC_BAD_MASK (a masked header where
 *         `allowMasks` is false), OFPBMC_BAD_LEN
 */
function parseOxms(payload: Buffer, loose: boolean, allowMasks: boolean): { exact: string[]; masked: string[] } {
  const exact: string[] = [];
  const masked: string[] = [];
  let p = 0;
  while (p < payload.length) {
    if (payload.length - p < 4) throw new OfpError('OFPBMC_BAD_LEN', 'partial OXM header');
    const w = payload.readUInt32BE(p);
    const cls = w >>> 16;
    const hasmask = ((w >>> 8) & 1) === 1;
    const hdrLen = cls === 0xffff ? 8 : 4;
    if (payload.length - p < hdrLen) throw new OfpError('OFPBMC_BAD_LEN', 'partial experimenter OXM header');
    const vendor = hdrLen === 8 ? payload.readUInt32BE(p + 4) : 0;
    let length = w & 0xff;
    if (hasmask) length = (length - (hdrLen - 4)) / 2 + (hdrLen - 4);
    const f = FEATURE_FIELD_BY_HEADER.get(`${cls}:${(w >>> 9) & 0x7f}:${vendor}:${length}`);
    p += hdrLen;
    if (!f) {
      if (loose) continue;
      throw new OfpError('OFPBMC_BAD_FIELD', `unknown OXM header 0x${w.toString(16)}`);
    }
    (hasmask ? masked : exact).push(f.name);
  }
  if (!allowMasks && masked.length) throw new OfpError('OFPBMC_BAD_MASK', 'masked OXM in a field list');
  return { exact: sortFields(exact), masked: sortFields(masked) };
}

function emptyInstructionFeatures(): TableInstructionFeatures {
  return { next: [], instructions: [], write: { ofpacts: [], setFields: [] }, apply: { ofpacts: [], setFields: [] } };
}

/**
 * Decodes the table features entries of an OFPST13_TABLE_FEATURES request or reply (OVS
 * ofputil_decode_table_features). With `loose` (a controller reading a switch's reply),
 * unknown properties, instructions and fields are ignored; strict (a switch reading a
 * request) refuses them. Properties missing for the miss flow copy the regular ones.
 * @throws OfpError OFPBPC_BAD_LEN, OFPTFFC_BAD_COMMAND (1.5), OFPTFFC_BAD_TABLE (table 255),
 *         OFPTFFC_BAD_FEATURES (duplicate or missing required property), OFPBPC_BAD_TYPE /
 *         OFPBPC_BAD_EXP_TYPE (unknown property, strict), OFPBPC_BAD_VALUE, OFPBIC_UNKNOWN_INST,
 *         OFPBMC_BAD_FIELD, OFPBMC_BAD_MASK
 */
export function decodeTableFeatures(msg: OfpMsg, loose: boolean): TableFeatures[] {
  const { body, version } = msg;
  const out: TableFeatures[] = [];
  let p = 0;
  while (p < body.length) {
    if (body.length - p < OFP13_TABLE_FEATURES.size) throw new OfpError('OFPBPC_BAD_LEN', 'truncated table features');
    const o = OFP13_TABLE_FEATURES.unpack(body, p);
    if (o.length < OFP13_TABLE_FEATURES.size || o.length % 8 || p + o.length > body.length) {
      throw new OfpError('OFPBPC_BAD_LEN', `table features length ${o.length}`);
    }
    if (version >= OFP15_VERSION && o.command > OFPTFC15_DISABLE) {
      throw new OfpError('OFPTFFC_BAD_COMMAND', `table features command ${o.command}`);
    }
    if (o.tableId === OFPTT_ALL) throw new OfpError('OFPTFFC_BAD_TABLE', 'table features for table 255');
    const props = decodeProps(body.subarray(p + OFP13_TABLE_FEATURES.size, p + o.length));
    const tf: TableFeatures = {
      command: version >= OFP15_VERSION ? o.command : OFPTFC15_REPLACE, tableId: o.tableId, name: o.name,
      metadataMatch: o.metadataMatch, metadataWrite: o.metadataWrite, maxEntries: o.maxEntries,
      anyProperties: props.length > 0, missConfig: 'default',
      supportsEviction: version >= OFP14_VERSION ? (o.capabilities & OFPTC14_EVICTION) !== 0 : undefined,
      supportsVacancyEvents: version >= OFP14_VERSION ? (o.capabilities & OFPTC14_VACANCY_EVENTS) !== 0 : undefined,
      nonmiss: emptyInstructionFeatures(), miss: emptyInstructionFeatures(), match: [], mask: [], wildcard: [],
    };
    let seen = 0;
    for (const prop of props) {
      if (prop.type < 32) {
        if (seen & (1 << prop.type)) throw new OfpError('OFPTFFC_BAD_FEATURES', `duplicate property ${prop.type}`);
        seen |= 1 << prop.type;
      }
      const t = prop.type & 1 ? tf.miss : tf.nonmiss;
      switch (prop.type < 16 ? prop.type & ~1 : -1) {
        case OFPTFPT13_INSTRUCTIONS: t.instructions = parseInstructionIds(prop.payload, loose); break;
        case OFPTFPT13_NEXT_TABLES: t.next = parseNextTables(prop.payload); break;
        case OFPTFPT13_WRITE_ACTIONS: t.write.ofpacts = parseActionIds(prop.payload, version); break;
        case OFPTFPT13_APPLY_ACTIONS: t.apply.ofpacts = parseActionIds(prop.payload, version); break;
        case OFPTFPT13_WRITE_SETFIELD: t.write.setFields = parseOxms(prop.payload, loose, false).exact; break;
        case OFPTFPT13_APPLY_SETFIELD: t.apply.setFields = parseOxms(prop.payload, loose, false).exact; break;
        case OFPTFPT13_MATCH:
          if (prop.type & 1) {
            unknownProp(prop, loose);
          } else {
            const m = parseOxms(prop.payload, loose, true);
            tf.match = m.exact;
            tf.mask = m.masked;
          }
          break;
        case OFPTFPT13_WILDCARDS:
          if (prop.type & 1) unknownProp(prop, loose);
          else tf.wildcard = parseOxms(prop.payload, loose, false).exact;
          break;
        default:
          unknownProp(prop, loose);
      }
    }
    const missing = (seen & OFPTFPT13_REQUIRED) ^ OFPTFPT13_REQUIRED;
    if (missing && (tf.anyProperties || version < OFP15_VERSION)) {
      throw new OfpError('OFPTFFC_BAD_FEATURES', 'table features lack required properties');
    }
    if (tf.anyProperties) copyMissingMiss(tf, seen);
    // Maskable fields are matchable and wildcardable; only matchable fields can be wildcarded.
    tf.match = sortFields([...tf.match, ...tf.mask]);
    tf.wildcard = sortFields([...tf.wildcard, ...tf.mask]).filter((n) => tf.match.includes(n));
    out.push(tf);
    p += o.length;
  }
  return out;
}

/** For each "_MISS" property that was absent, uses the regular one (OVS ofputil_decode_table_features). */
function copyMissingMiss(tf: TableFeatures, seen: number): void {
  const absent = (type: number) => !(seen & (1 << (type + 1)));
  if (absent(OFPTFPT13_INSTRUCTIONS)) tf.miss.instructions = [...tf.nonmiss.instructions];
  if (absent(OFPTFPT13_NEXT_TABLES)) tf.miss.next = [...tf.nonmiss.next];
  if (absent(OFPTFPT13_WRITE_ACTIONS)) tf.miss.write.ofpacts = [...tf.nonmiss.write.ofpacts];
  if (absent(OFPTFPT13_APPLY_ACTIONS)) tf.miss.apply.ofpacts = [...tf.nonmiss.apply.ofpacts];
  if (absent(OFPTFPT13_WRITE_SETFIELD)) tf.miss.write.setFields = [...tf.nonmiss.write.setFields];
  if (absent(OFPTFPT13_APPLY_SETFIELD)) tf.miss.apply.setFields = [...tf.nonmiss.apply.setFields];
}

/** @throws OfpError OFPBPC_BAD_EXP_TYPE / OFPBPC_BAD_TYPE unless `loose` (OVS ofpprop_unknown) */
function unknownProp(prop: OfpProp, loose: boolean): void {
  if (loose) return;
  throw new OfpError(prop.type === 0xffff ? 'OFPBPC_BAD_EXP_TYPE' : 'OFPBPC_BAD_TYPE', `table features property ${prop.type}`);
}

// ---------------------------------------------------------------------------------------------
// Table statistics
// ---------------------------------------------------------------------------------------------

/** A table's counters (OVS `struct ofputil_table_stats`). */
export interface TableStats { tableId: number; activeCount: number; lookupCount: bigint; matchedCount: bigint }

/** OpenFlow 1.0 wildcard bits ↔ fields (OVS ofp10_wc_map). */
const OFP10_WC_MAP: ReadonlyArray<readonly [number, string]> = [
  [1 << 0, 'in_port'], [1 << 1, 'vlan_vid'], [1 << 2, 'eth_src'], [1 << 3, 'eth_dst'],
  [1 << 4, 'eth_type'], [1 << 5, 'nw_proto'], [1 << 6, 'tcp_src'], [1 << 7, 'tcp_dst'],
  [0x3f << 8, 'ip_src'], [0x3f << 14, 'ip_dst'], [1 << 20, 'vlan_pcp'], [1 << 21, 'ip_dscp'],
];

/** OpenFlow 1.1 OFPFMF11_* bits ↔ fields (OVS ofp11_wc_map). */
const OFP11_WC_MAP: ReadonlyArray<readonly [number, string]> = [
  [1 << 0, 'in_port'], [1 << 1, 'vlan_vid'], [1 << 2, 'vlan_pcp'], [1 << 3, 'eth_type'],
  [1 << 4, 'ip_dscp'], [1 << 5, 'nw_proto'], [1 << 6, 'tcp_src'], [1 << 7, 'tcp_dst'],
  [1 << 8, 'mpls_label'], [1 << 9, 'mpls_tc'], [1 << 11, 'eth_src'], [1 << 12, 'eth_dst'],
  [1 << 13, 'ip_src'], [1 << 14, 'ip_dst'], [1 << 15, 'metadata'],
];

function fieldsToBits(map: ReadonlyArray<readonly [number, string]>, fields: Set<string>): number {
  let bits = 0;
  for (const [bit, name] of map) if (fields.has(name)) bits |= bit;
  return bits >>> 0;
}

function fieldsFromBits(map: ReadonlyArray<readonly [number, string]>, bits: number): string[] {
  return sortFields(map.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name));
}

/** Fields that OpenFlow 1.0/1.1 report as wildcardable: wildcardable or not matchable at all. */
function wildOrNonmatchable(tf: TableFeatures): Set<string> {
  const match = new Set(tf.match);
  return new Set([...FEATURE_FIELDS.map((f) => f.name).filter((n) => !match.has(n)), ...tf.wildcard]);
}

function oxmBitmap(fields: readonly string[], version: number): bigint {
  let bits = 0n;
  for (const n of fields) {
    const field = basicOxmField(featureField(n), version, false);
    if (field !== undefined) bits |= 1n << BigInt(field);
  }
  return bits;
}

function fieldsFromOxmBitmap(bits: bigint, version: number): string[] {
  return FEATURE_FIELDS.filter((f) => {
    const field = basicOxmField(f, version, true);
    return field !== undefined && (bits >> BigInt(field)) & 1n;
  }).map((f) => f.name);
}

const OFP10_TABLE_STATS = new OfpStruct('ofp10_table_stats', [
  ['tableId', 'u8'], ['pad', 'pad', 3], ['name', 'str', 32], ['wildcards', 'u32'],
  ['maxEntries', 'u32'], ['activeCount', 'u32'], ['lookupCount', 'u64'], ['matchedCount', 'u64'],
]);
const OFP11_TABLE_STATS = new OfpStruct('ofp11_table_stats', [
  ['tableId', 'u8'], ['pad', 'pad', 7], ['name', 'str', 32], ['wildcards', 'u32'], ['match', 'u32'],
  ['instructions', 'u32'], ['writeActions', 'u32'], ['applyActions', 'u32'], ['config', 'u32'],
  ['maxEntries', 'u32'], ['activeCount', 'u32'], ['lookupCount', 'u64'], ['matchedCount', 'u64'],
]);
const OFP12_TABLE_STATS = new OfpStruct('ofp12_table_stats', [
  ['tableId', 'u8'], ['pad', 'pad', 7], ['name', 'str', 32], ['match', 'u64'], ['wildcards', 'u64'],
  ['writeActions', 'u32'], ['applyActions', 'u32'], ['writeSetfields', 'u64'], ['applySetfields', 'u64'],
  ['metadataMatch', 'u64'], ['metadataWrite', 'u64'], ['instructions', 'u32'], ['config', 'u32'],
  ['maxEntries', 'u32'], ['activeCount', 'u32'], ['lookupCount', 'u64'], ['matchedCount', 'u64'],
]);
const OFP13_TABLE_STATS = new OfpStruct('ofp13_table_stats', [
  ['tableId', 'u8'], ['pad', 'pad', 3], ['activeCount', 'u32'], ['lookupCount', 'u64'], ['matchedCount', 'u64'],
]);

/** Encodes one table stats row for `version` (OVS ofputil_append_table_stats_reply). */
function encodeTableStatsEntry(s: TableStats, tf: TableFeatures, version: number): Buffer {
  const counters = { activeCount: s.activeCount, lookupCount: s.lookupCount, matchedCount: s.matchedCount };
  switch (version) {
    case OFP10_VERSION:
      return OFP10_TABLE_STATS.pack({
        tableId: tf.tableId, name: tf.name, wildcards: fieldsToBits(OFP10_WC_MAP, wildOrNonmatchable(tf)),
        maxEntries: tf.maxEntries, ...counters,
      });
    case OFP11_VERSION:
      return OFP11_TABLE_STATS.pack({
        tableId: tf.tableId, name: tf.name, wildcards: fieldsToBits(OFP11_WC_MAP, wildOrNonmatchable(tf)),
        match: fieldsToBits(OFP11_WC_MAP, new Set(tf.match)),
        instructions: instructionBitmap(tf.nonmiss.instructions, version),
        writeActions: ofpactBitmapToOpenflow(tf.nonmiss.write.ofpacts, version),
        applyActions: ofpactBitmapToOpenflow(tf.nonmiss.apply.ofpacts, version),
        config: MISS_CONFIG[tf.missConfig], maxEntries: tf.maxEntries, ...counters,
      });
    case OFP12_VERSION:
      return OFP12_TABLE_STATS.pack({
        tableId: tf.tableId, name: tf.name, match: oxmBitmap(tf.match, version),
        wildcards: oxmBitmap(tf.wildcard, version),
        writeActions: ofpactBitmapToOpenflow(tf.nonmiss.write.ofpacts, version),
        applyActions: ofpactBitmapToOpenflow(tf.nonmiss.apply.ofpacts, version),
        writeSetfields: oxmBitmap(tf.nonmiss.write.setFields, version),
        applySetfields: oxmBitmap(tf.nonmiss.apply.setFields, version),
        metadataMatch: tf.metadataMatch, metadataWrite: tf.metadataWrite,
        instructions: instructionBitmap(tf.nonmiss.instructions, version),
        config: encodeTableConfig(tf.missConfig, 'default', 'default', version),
        maxEntries: tf.maxEntries, ...counters,
      });
    default:
      return OFP13_TABLE_STATS.pack({ tableId: s.tableId, ...counters });
  }
}

/**
 * OpenFlow 1.1 table stats put the abstract miss value itself in `config` (OVS does, so
 * 'default' becomes 0 = controller).
 */
const MISS_CONFIG: Record<TableMiss, number> = { default: 0, controller: 1, continue: 2, drop: 3 };

/**
 * Encodes the reply to OFPST_TABLE: one row per table; OpenFlow 1.0–1.2 rows include the
 * table's features (name, wildcards, match, actions, …), 1.3+ rows only counters.
 * `tables[i].features.tableId` must equal `tables[i].stats.tableId`.
 */
export function encodeTableStatsReply(request: OfpMsg, tables: { stats: TableStats; features: TableFeatures }[]): Buffer[] {
  return encodeMultipartReply(rawReplyFor(request), request.version, request.xid,
    tables.map((t) => encodeTableStatsEntry(t.stats, t.features, request.version)));
}

/**
 * Decodes one OFPST_TABLE reply message (OVS ofputil_decode_table_stats_reply): the counters,
 * and what each version says about features (defaults elsewhere).
 * @throws OfpError OFPBRC_BAD_LEN for a partial row
 */
export function decodeTableStatsReply(msg: OfpMsg): { stats: TableStats; features: TableFeatures }[] {
  const { body, version } = msg;
  const out: { stats: TableStats; features: TableFeatures }[] = [];
  const st = version === OFP10_VERSION ? OFP10_TABLE_STATS : version === OFP11_VERSION ? OFP11_TABLE_STATS
    : version === OFP12_VERSION ? OFP12_TABLE_STATS : OFP13_TABLE_STATS;
  if (body.length % st.size) throw new OfpError('OFPBRC_BAD_LEN', `table stats body of ${body.length} bytes`);
  for (let p = 0; p < body.length; p += st.size) {
    const tf: TableFeatures = {
      command: 0, tableId: body[p], name: '', metadataMatch: 0n, metadataWrite: 0n, maxEntries: 0,
      anyProperties: false, missConfig: 'default', nonmiss: emptyInstructionFeatures(),
      miss: emptyInstructionFeatures(), match: [], mask: [], wildcard: [],
    };
    let counters: TableStats;
    if (version === OFP10_VERSION) {
      const o = OFP10_TABLE_STATS.unpack(body, p);
      tf.name = o.name;
      tf.maxEntries = o.maxEntries;
      tf.match = fieldsFromBits(OFP10_WC_MAP, o.wildcards);
      tf.wildcard = [...tf.match];
      counters = o;
    } else if (version === OFP11_VERSION) {
      const o = OFP11_TABLE_STATS.unpack(body, p);
      tf.name = o.name;
      tf.maxEntries = o.maxEntries;
      tf.nonmiss.instructions = instructionsFromBitmap(o.instructions, version);
      // OVS reads both action sets from write_actions here.
      tf.nonmiss.write.ofpacts = ofpactBitmapFromOpenflow(o.writeActions, version);
      tf.nonmiss.apply.ofpacts = ofpactBitmapFromOpenflow(o.writeActions, version);
      tf.miss = structuredClone(tf.nonmiss);
      tf.missConfig = decodeTableMiss(o.config, version);
      tf.wildcard = fieldsFromBits(OFP11_WC_MAP, o.wildcards);
      tf.match = sortFields([...fieldsFromBits(OFP11_WC_MAP, o.match), ...tf.wildcard]);
      counters = o;
    } else if (version === OFP12_VERSION) {
      const o = OFP12_TABLE_STATS.unpack(body, p);
      tf.name = o.name;
      tf.metadataMatch = o.metadataMatch;
      tf.metadataWrite = o.metadataWrite;
      tf.missConfig = decodeTableMiss(o.config, version);
      tf.maxEntries = o.maxEntries;
      tf.nonmiss.instructions = instructionsFromBitmap(o.instructions, version);
      tf.nonmiss.write = { ofpacts: ofpactBitmapFromOpenflow(o.writeActions, version), setFields: fieldsFromOxmBitmap(o.writeSetfields, version) };
      tf.nonmiss.apply = { ofpacts: ofpactBitmapFromOpenflow(o.applyActions, version), setFields: fieldsFromOxmBitmap(o.applySetfields, version) };
      tf.miss = structuredClone(tf.nonmiss);
      tf.wildcard = fieldsFromOxmBitmap(o.wildcards, version);
      tf.match = sortFields([...fieldsFromOxmBitmap(o.match, version), ...tf.wildcard]);
      counters = o;
    } else {
      counters = OFP13_TABLE_STATS.unpack(body, p);
    }
    out.push({
      stats: { tableId: tf.tableId, activeCount: counters.activeCount, lookupCount: counters.lookupCount, matchedCount: counters.matchedCount },
      features: tf,
    });
  }
  return out;
}
