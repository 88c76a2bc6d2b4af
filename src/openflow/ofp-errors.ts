/**
 * OpenFlow error messages (OFPT_ERROR) and the abstract error names the whole OpenFlow layer
 * throws.
 *
 * An error is named once, abstractly, with OVS's `enum ofperr` names (include/openvswitch/
 * ofp-errors.h, without the `OFPERR_` prefix); how it is spelled on the wire depends on the
 * protocol version:
 *  - standard errors carry `ofp_error_msg.type` and `.code` (OpenFlow 1.0 §5.4.4, 1.5 §7.5.4);
 *  - Nicira errors in OpenFlow 1.0/1.1 use type NXET_VENDOR (0xb0c2), code NXVC_VENDOR_ERROR (0)
 *    followed by `struct nx_vendor_error {be32 vendor; be16 type; be16 code}`
 *    (include/openflow/nicira-ext.h);
 *  - experimenter errors in OpenFlow 1.2+ use type OFPET12_EXPERIMENTER (0xffff), the experimenter
 *    error type in `code`, then a be32 experimenter id (OpenFlow 1.2 §A.4.4). Their code is 0.
 * An error that a version cannot express is sent as NXBRC_UNENCODABLE_ERROR, as OVS does.
 */

import { OFP_HEADER_LEN, OFP10_VERSION, OFP11_VERSION, OFP15_VERSION } from './common';

/** Experimenter (vendor) ids used by error encodings (include/openflow/openflow-common.h). */
export const NX_VENDOR_ID = 0x00002320;
export const ONF_VENDOR_ID = 0x4f4e4600;

/** `ofp_header.type` of an error message: OFPT_ERROR is 1 in every version. */
export const OFPT_ERROR = 1;
/** Nicira's OpenFlow 1.0/1.1 vendor-error type and code. */
export const NXET_VENDOR = 0xb0c2;
export const NXVC_VENDOR_ERROR = 0;
/** OpenFlow 1.2+ experimenter error type. */
export const OFPET12_EXPERIMENTER = 0xffff;

/**
 * Every error, in the order of OVS's `enum ofperr` (the order decides which name a duplicated
 * wire code decodes to: the first one), with its per-version mappings in the header's notation:
 * `VENDOR VERSIONS (TYPE[,CODE])`, where VENDOR is OF (standard), NX (Nicira) or ONF, and
 * VERSIONS is `1.x` (one version), `1.x+` (that version and later) or `1.x-1.y` (a range).
 * NX errors have a code only in OpenFlow 1.0/1.1; NX errors in 1.2+ and ONF errors have just an
 * experimenter type. Versions not listed cannot express the error.
 */
const ERROR_TABLE = [
  // OFPET_HELLO_FAILED
  ['OFPHFC_INCOMPATIBLE',               'OF1.0+(0,0)'],
  ['OFPHFC_EPERM',                      'OF1.0+(0,1)'],
  // OFPET_BAD_REQUEST
  ['OFPBRC_BAD_VERSION',                'OF1.0+(1,0)'],
  ['OFPBRC_BAD_TYPE',                   'OF1.0+(1,1)'],
  ['OFPBRC_BAD_STAT',                   'OF1.0+(1,2)'],
  ['OFPBRC_BAD_VENDOR',                 'OF1.0+(1,3)'],
  ['OFPBRC_BAD_SUBTYPE',                'OF1.0+(1,4)'],
  ['OFPBRC_EPERM',                      'OF1.0+(1,5)'],
  ['OFPBRC_BAD_LEN',                    'OF1.0+(1,6)'],
  ['OFPBRC_BUFFER_EMPTY',               'OF1.0+(1,7)'],
  ['OFPBRC_BUFFER_UNKNOWN',             'OF1.0+(1,8)'],
  ['OFPBRC_BAD_TABLE_ID',               'NX1.0(1,512) OF1.1+(1,9)'],
  ['OFPBRC_IS_SECONDARY',               'OF1.0-1.1(1,5) OF1.2+(1,10)'],
  ['OFPBRC_BAD_PORT',                   'NX1.0-1.1(1,514) OF1.2+(1,11)'],
  ['OFPBRC_BAD_PACKET',                 'OF1.2+(1,12)'],
  ['OFPBRC_MULTIPART_BUFFER_OVERFLOW',  'OF1.3+(1,13)'],
  ['OFPBRC_MULTIPART_REQUEST_TIMEOUT',  'ONF1.3(2640) OF1.4+(1,14)'],
  ['OFPBRC_MULTIPART_REPLY_TIMEOUT',    'ONF1.3(2641) OF1.4+(1,15)'],
  ['OFPBRC_MULTIPART_BAD_SCHED',        'OF1.5+(1,16)'],
  ['OFPBRC_PIPELINE_FIELDS_ONLY',       'OF1.5+(1,17)'],
  ['OFPBRC_UNKNOWN',                    'OF1.5+(1,18)'],
  ['NXBRC_NXM_INVALID',                 'NX1.0-1.1(1,256) NX1.2+(2)'],
  ['NXBRC_NXM_BAD_TYPE',                'NX1.0-1.1(1,257) NX1.2+(3)'],
  ['NXBRC_MUST_BE_ZERO',                'NX1.0-1.1(1,515) NX1.2+(4)'],
  ['NXBRC_BAD_REASON',                  'NX1.0-1.1(1,516) NX1.2+(5)'],
  ['NXBRC_FM_BAD_EVENT',                'NX1.0-1.1(1,520) NX1.2+(9)'],
  ['NXBRC_UNENCODABLE_ERROR',           'NX1.0-1.1(1,521) NX1.2+(10)'],
  // OFPET_BAD_ACTION
  ['OFPBAC_BAD_TYPE',                   'OF1.0+(2,0)'],
  ['OFPBAC_BAD_LEN',                    'OF1.0+(2,1)'],
  ['OFPBAC_BAD_VENDOR',                 'OF1.0+(2,2)'],
  ['OFPBAC_BAD_VENDOR_TYPE',            'OF1.0+(2,3)'],
  ['OFPBAC_BAD_OUT_PORT',               'OF1.0+(2,4)'],
  ['OFPBAC_BAD_ARGUMENT',               'OF1.0+(2,5)'],
  ['OFPBAC_EPERM',                      'OF1.0+(2,6)'],
  ['OFPBAC_TOO_MANY',                   'OF1.0+(2,7)'],
  ['OFPBAC_BAD_QUEUE',                  'OF1.0+(2,8)'],
  ['OFPBAC_BAD_OUT_GROUP',              'NX1.0(2,9) OF1.1+(2,9)'],
  ['OFPBAC_MATCH_INCONSISTENT',         'NX1.0(1,522) OF1.1+(2,10)'],
  ['OFPBAC_UNSUPPORTED_ORDER',          'OF1.1+(2,11)'],
  ['OFPBAC_BAD_TAG',                    'OF1.1+(2,12)'],
  ['OFPBAC_BAD_SET_TYPE',               'NX1.0-1.1(1,523) OF1.2+(2,13)'],
  ['OFPBAC_BAD_SET_LEN',                'NX1.0-1.1(1,524) OF1.2+(2,14)'],
  ['OFPBAC_BAD_SET_ARGUMENT',           'NX1.0-1.1(1,525) OF1.2+(2,15)'],
  ['OFPBAC_BAD_SET_MASK',               'ONF1.3-1.4(4250) OF1.5+(2,16)'],
  ['OFPBAC_BAD_METER',                  'OF1.5+(2,17)'],
  ['NXBAC_MUST_BE_ZERO',                'NX1.0-1.1(2,256) NX1.2+(11)'],
  ['NXBAC_BAD_CONJUNCTION',             'NX1.0-1.1(2,526) NX1.2+(15)'],
  ['NXBAC_BAD_HEADER_TYPE',             'NX1.3+(39)'],
  ['NXBAC_UNKNOWN_ED_PROP',             'NX1.3+(40)'],
  ['NXBAC_BAD_ED_PROP',                 'NX1.3+(41)'],
  ['NXBAC_CT_DATAPATH_SUPPORT',         'NX1.0-1.1(1,265) NX1.2+(42)'],
  // OFPET_BAD_INSTRUCTION
  ['OFPBIC_UNKNOWN_INST',               'OF1.1+(3,0)'],
  ['OFPBIC_UNSUP_INST',                 'NX1.0(2,257) OF1.1+(3,1)'],
  ['OFPBIC_BAD_TABLE_ID',               'OF1.1+(3,2)'],
  ['OFPBIC_UNSUP_METADATA',             'OF1.1+(3,3)'],
  ['OFPBIC_UNSUP_METADATA_MASK',        'OF1.1+(3,4)'],
  ['OFPBIC_BAD_EXPERIMENTER',           'OF1.1+(3,5)'],
  ['OFPBIC_BAD_EXP_TYPE',               'OF1.1(3,5) OF1.2+(3,6)'],
  ['OFPBIC_BAD_LEN',                    'OF1.2+(3,7)'],
  ['OFPBIC_EPERM',                      'OF1.2+(3,8)'],
  ['OFPBIC_DUP_INST',                   'NX1.1(3,256) ONF1.2-1.3(2600) OF1.4+(3,9)'],
  // OFPET_BAD_MATCH
  ['OFPBMC_BAD_TYPE',                   'OF1.1+(4,0)'],
  ['OFPBMC_BAD_LEN',                    'OF1.1+(4,1)'],
  ['OFPBMC_BAD_TAG',                    'OF1.1+(4,2)'],
  ['OFPBMC_BAD_DL_ADDR_MASK',           'OF1.1+(4,3)'],
  ['OFPBMC_BAD_NW_ADDR_MASK',           'OF1.1+(4,4)'],
  ['OFPBMC_BAD_WILDCARDS',              'NX1.0(1,262) OF1.1+(4,5)'],
  ['OFPBMC_BAD_FIELD',                  'NX1.0(0,263) OF1.1+(4,6)'],
  ['OFPBMC_BAD_VALUE',                  'NX1.0(1,258) OF1.1+(4,7)'],
  ['OFPBMC_BAD_MASK',                   'NX1.0-1.1(1,259) OF1.2+(4,8)'],
  ['OFPBMC_BAD_PREREQ',                 'NX1.0-1.1(1,260) OF1.2+(4,9)'],
  ['OFPBMC_DUP_FIELD',                  'NX1.0-1.1(1,261) OF1.2+(4,10)'],
  ['OFPBMC_EPERM',                      'OF1.2+(4,11)'],
  ['NXBMC_CT_DATAPATH_SUPPORT',         'NX1.0-1.1(1,264) NX1.2+(43)'],
  // OFPET_FLOW_MOD_FAILED
  ['OFPFMFC_UNKNOWN',                   'OF1.1+(5,0)'],
  ['OFPFMFC_TABLE_FULL',                'OF1.0(3,0) OF1.1+(5,1)'],
  ['OFPFMFC_BAD_TABLE_ID',              'OF1.1+(5,2)'],
  ['OFPFMFC_OVERLAP',                   'OF1.0(3,1) OF1.1+(5,3)'],
  ['OFPFMFC_EPERM',                     'OF1.0(3,2) OF1.1+(5,4)'],
  ['OFPFMFC_BAD_TIMEOUT',               'OF1.1+(5,5)'],
  ['OFPFMFC_BAD_EMERG_TIMEOUT',         'OF1.0(3,3)'],
  ['OFPFMFC_BAD_COMMAND',               'OF1.0(3,4) OF1.1+(5,6)'],
  ['OFPFMFC_BAD_FLAGS',                 'NX1.0(3,258) NX1.1(5,258) OF1.2+(5,7)'],
  ['OFPFMFC_CANT_SYNC',                 'OF1.4+(5,8)'],
  ['OFPFMFC_BAD_PRIORITY',              'ONF1.3(2360) OF1.4+(5,9)'],
  ['OFPFMFC_IS_SYNC',                   'OF1.4+(5,10)'],
  ['OFPFMFC_UNSUPPORTED',               'OF1.0(3,5)'],
  ['NXFMFC_HARDWARE',                   'NX1.0-1.1(5,256) NX1.2+(12)'],
  ['NXFMFC_BAD_TABLE_ID',               'NX1.0-1.1(5,257) NX1.2+(13)'],
  ['NXFMFC_INVALID_TLV_FIELD',          'NX1.0-1.1(1,536) NX1.2+(37)'],
  // OFPET_GROUP_MOD_FAILED
  ['OFPGMFC_GROUP_EXISTS',              'NX1.0(6,0) OF1.1+(6,0)'],
  ['OFPGMFC_INVALID_GROUP',             'NX1.0(6,1) OF1.1+(6,1)'],
  ['OFPGMFC_WEIGHT_UNSUPPORTED',        'NX1.0(6,2) OF1.1+(6,2)'],
  ['OFPGMFC_OUT_OF_GROUPS',             'NX1.0(6,3) OF1.1+(6,3)'],
  ['OFPGMFC_OUT_OF_BUCKETS',            'NX1.0(6,4) OF1.1+(6,4)'],
  ['OFPGMFC_CHAINING_UNSUPPORTED',      'NX1.0(6,5) OF1.1+(6,5)'],
  ['OFPGMFC_WATCH_UNSUPPORTED',         'NX1.0(6,6) OF1.1+(6,6)'],
  ['OFPGMFC_LOOP',                      'NX1.0(6,7) OF1.1+(6,7)'],
  ['OFPGMFC_UNKNOWN_GROUP',             'NX1.0(6,8) OF1.1+(6,8)'],
  ['OFPGMFC_CHAINED_GROUP',             'NX1.0(6,9) OF1.2+(6,9)'],
  ['OFPGMFC_BAD_TYPE',                  'NX1.0(6,10) OF1.2+(6,10)'],
  ['OFPGMFC_BAD_COMMAND',               'NX1.0(6,11) OF1.2+(6,11)'],
  ['OFPGMFC_BAD_BUCKET',                'NX1.0(6,12) OF1.2+(6,12)'],
  ['OFPGMFC_BAD_WATCH',                 'NX1.0(6,13) OF1.2+(6,13)'],
  ['OFPGMFC_EPERM',                     'NX1.0(6,14) OF1.2+(6,14)'],
  ['OFPGMFC_UNKNOWN_BUCKET',            'NX1.0(6,15) OF1.5+(6,15)'],
  ['OFPGMFC_BUCKET_EXISTS',             'NX1.0(6,16) OF1.5+(6,16)'],
  // OFPET_PORT_MOD_FAILED
  ['OFPPMFC_BAD_PORT',                  'OF1.0(4,0) OF1.1+(7,0)'],
  ['OFPPMFC_BAD_HW_ADDR',               'OF1.0(4,1) OF1.1+(7,1)'],
  ['OFPPMFC_BAD_CONFIG',                'OF1.1+(7,2)'],
  ['OFPPMFC_BAD_ADVERTISE',             'OF1.1+(7,3)'],
  ['OFPPMFC_EPERM',                     'OF1.2+(7,4)'],
  // OFPET_TABLE_MOD_FAILED
  ['OFPTMFC_BAD_TABLE',                 'OF1.1+(8,0)'],
  ['OFPTMFC_BAD_CONFIG',                'OF1.1+(8,1)'],
  ['OFPTMFC_EPERM',                     'OF1.2+(8,2)'],
  // OFPET_QUEUE_OP_FAILED
  ['OFPQOFC_BAD_PORT',                  'OF1.0(5,0) OF1.1+(9,0)'],
  ['OFPQOFC_BAD_QUEUE',                 'OF1.0(5,1) OF1.1+(9,1)'],
  ['OFPQOFC_EPERM',                     'OF1.0(5,2) OF1.1+(9,2)'],
  ['NXQOFC_QUEUE_ERROR',                'NX1.4+(23)'],
  // OFPET_SWITCH_CONFIG_FAILED
  ['OFPSCFC_BAD_FLAGS',                 'OF1.1+(10,0)'],
  ['OFPSCFC_BAD_LEN',                   'OF1.1+(10,1)'],
  ['OFPSCFC_EPERM',                     'OF1.2+(10,2)'],
  // OFPET_ROLE_REQUEST_FAILED
  ['OFPRRFC_STALE',                     'OF1.2+(11,0)'],
  ['OFPRRFC_UNSUP',                     'OF1.2+(11,1)'],
  ['OFPRRFC_BAD_ROLE',                  'NX1.0-1.1(1,513) OF1.2+(11,2)'],
  ['OFPRRFC_ID_UNSUP',                  'OF1.5+(11,3)'],
  ['OFPRRFC_ID_IN_USE',                 'OF1.5+(11,4)'],
  // OFPET_METER_MOD_FAILED
  ['OFPMMFC_UNKNOWN',                   'OF1.3+(12,0)'],
  ['OFPMMFC_METER_EXISTS',              'OF1.3+(12,1)'],
  ['OFPMMFC_INVALID_METER',             'OF1.3+(12,2)'],
  ['OFPMMFC_UNKNOWN_METER',             'OF1.3+(12,3)'],
  ['OFPMMFC_BAD_COMMAND',               'OF1.3+(12,4)'],
  ['OFPMMFC_BAD_FLAGS',                 'OF1.3+(12,5)'],
  ['OFPMMFC_BAD_RATE',                  'OF1.3+(12,6)'],
  ['OFPMMFC_BAD_BURST',                 'OF1.3+(12,7)'],
  ['OFPMMFC_BAD_BAND',                  'OF1.3+(12,8)'],
  ['OFPMMFC_BAD_BAND_VALUE',            'OF1.3+(12,9)'],
  ['OFPMMFC_OUT_OF_METERS',             'OF1.3+(12,10)'],
  ['OFPMMFC_OUT_OF_BANDS',              'OF1.3+(12,11)'],
  // OFPET_TABLE_FEATURES_FAILED
  ['OFPTFFC_BAD_TABLE',                 'OF1.3+(13,0)'],
  ['OFPTFFC_BAD_METADATA',              'OF1.3+(13,1)'],
  ['OFPTFFC_EPERM',                     'OF1.3+(13,5)'],
  ['OFPTFFC_BAD_CAPA',                  'OF1.5+(13,6)'],
  ['OFPTFFC_BAD_MAX_ENT',               'OF1.5+(13,7)'],
  ['OFPTFFC_BAD_FEATURES',              'OF1.5+(13,8)'],
  ['OFPTFFC_BAD_COMMAND',               'OF1.5+(13,9)'],
  ['OFPTFFC_TOO_MANY',                  'OF1.5+(13,10)'],
  ['NXTFFC_DUP_TABLE',                  'NX1.3+(44)'],
  // OFPET_BAD_PROPERTY
  ['OFPBPC_BAD_TYPE',                   'NX1.0-1.1(13,2) NX1.2(25) OF1.3(13,2) OF1.4+(14,0)'],
  ['OFPBPC_BAD_LEN',                    'NX1.0-1.1(13,3) NX1.2(26) OF1.3(13,3) OF1.4+(14,1)'],
  ['OFPBPC_BAD_VALUE',                  'NX1.0-1.1(13,4) NX1.2(27) OF1.3(13,4) OF1.4+(14,2)'],
  ['OFPBPC_TOO_MANY',                   'NX1.0-1.1(14,3) NX1.2(28) ONF1.3(4443) OF1.4+(14,3)'],
  ['OFPBPC_DUP_TYPE',                   'NX1.0-1.1(14,4) NX1.2(29) ONF1.3(4444) OF1.4+(14,4)'],
  ['OFPBPC_BAD_EXPERIMENTER',           'NX1.0-1.1(14,5) NX1.2(30) ONF1.3(4445) OF1.4+(14,5)'],
  ['OFPBPC_BAD_EXP_TYPE',               'NX1.0-1.1(14,6) NX1.2(31) ONF1.3(4446) OF1.4+(14,6)'],
  ['OFPBPC_BAD_EXP_VALUE',              'NX1.0-1.1(14,7) NX1.2(32) ONF1.3(4447) OF1.4+(14,7)'],
  ['OFPBPC_EPERM',                      'NX1.0-1.1(14,8) NX1.2(33) ONF1.3(4448) OF1.4+(14,8)'],
  // OFPET_ASYNC_CONFIG_FAILED
  ['OFPACFC_INVALID',                   'ONF1.3(2370) OF1.4+(15,0)'],
  ['OFPACFC_UNSUPPORTED',               'ONF1.3(2371) OF1.4+(15,1)'],
  ['OFPACFC_EPERM',                     'ONF1.3(2372) OF1.4+(15,2)'],
  // OFPET_BUNDLE_FAILED
  ['OFPBFC_UNKNOWN',                    'ONF1.3(2300) OF1.4+(17,0)'],
  ['OFPBFC_EPERM',                      'ONF1.3(2301) OF1.4+(17,1)'],
  ['OFPBFC_BAD_ID',                     'ONF1.3(2302) OF1.4+(17,2)'],
  ['OFPBFC_BUNDLE_EXIST',               'ONF1.3(2303) OF1.4+(17,3)'],
  ['OFPBFC_BUNDLE_CLOSED',              'ONF1.3(2304) OF1.4+(17,4)'],
  ['OFPBFC_OUT_OF_BUNDLES',             'ONF1.3(2305) OF1.4+(17,5)'],
  ['OFPBFC_BAD_TYPE',                   'ONF1.3(2306) OF1.4+(17,6)'],
  ['OFPBFC_BAD_FLAGS',                  'ONF1.3(2307) OF1.4+(17,7)'],
  ['OFPBFC_MSG_BAD_LEN',                'ONF1.3(2308) OF1.4+(17,8)'],
  ['OFPBFC_MSG_BAD_XID',                'ONF1.3(2309) OF1.4+(17,9)'],
  ['OFPBFC_MSG_UNSUP',                  'ONF1.3(2310) OF1.4+(17,10)'],
  ['OFPBFC_MSG_CONFLICT',               'ONF1.3(2311) OF1.4+(17,11)'],
  ['OFPBFC_MSG_TOO_MANY',               'ONF1.3(2312) OF1.4+(17,12)'],
  ['OFPBFC_MSG_FAILED',                 'ONF1.3(2313) OF1.4+(17,13)'],
  ['OFPBFC_TIMEOUT',                    'ONF1.3(2314) OF1.4+(17,14)'],
  ['OFPBFC_BUNDLE_IN_PROGRESS',         'ONF1.3(2315) OF1.4+(17,15)'],
  ['OFPBFC_SCHED_NOT_SUPPORTED',        'OF1.5+(17,16)'],
  ['OFPBFC_SCHED_FUTURE',               'OF1.5+(17,17)'],
  ['OFPBFC_SCHED_PAST',                 'OF1.5+(17,18)'],
  ['OFPBFC_BAD_VERSION',                'NX1.4-1.5(22)'],
  // OFPET_FLOW_MONITOR_FAILED
  ['OFPMOFC_UNKNOWN',                   'OF1.4+(16,0)'],
  ['OFPMOFC_MONITOR_EXISTS',            'NX1.0-1.1(1,517) NX1.2-1.3(6) OF1.4+(16,1)'],
  ['OFPMOFC_INVALID_MONITOR',           'OF1.4+(16,2)'],
  ['OFPMOFC_UNKNOWN_MONITOR',           'NX1.0-1.1(1,519) NX1.2-1.3(8) OF1.4+(16,3)'],
  ['OFPMOFC_BAD_COMMAND',               'OF1.4+(16,4)'],
  ['OFPMOFC_BAD_FLAGS',                 'NX1.0-1.1(1,518) NX1.2-1.3(7) OF1.4+(16,5)'],
  ['OFPMOFC_BAD_TABLE_ID',              'OF1.4+(16,6)'],
  ['OFPMOFC_BAD_OUT',                   'OF1.4+(16,7)'],
  // OFPET_TLV_TABLE_MOD_FAILED
  ['NXTTMFC_BAD_COMMAND',               'NX1.0-1.1(1,527) NX1.2+(16)'],
  ['NXTTMFC_BAD_OPT_LEN',               'NX1.0-1.1(1,528) NX1.2+(17)'],
  ['NXTTMFC_BAD_FIELD_IDX',             'NX1.0-1.1(1,529) NX1.2+(18)'],
  ['NXTTMFC_TABLE_FULL',                'NX1.0-1.1(1,530) NX1.2+(19)'],
  ['NXTTMFC_ALREADY_MAPPED',            'NX1.0-1.1(1,531) NX1.2+(20)'],
  ['NXTTMFC_DUP_ENTRY',                 'NX1.0-1.1(1,532) NX1.2+(21)'],
  ['NXTTMFC_INVALID_TLV_DEL',           'NX1.0-1.1(1,537) NX1.2+(38)'],
  // NXT_RESUME
  ['NXR_NOT_SUPPORTED',                 'NX1.0-1.1(1,533) NX1.2+(34)'],
  ['NXR_STALE',                         'NX1.0-1.1(1,534) NX1.2+(35)'],
  // NXT_STATS
  ['NXST_NOT_CONFIGURED',               'NX1.0-1.1(1,535) NX1.2+(36)'],
] as const;

/** An abstract OpenFlow error: OVS's `enum ofperr` name without the `OFPERR_` prefix. */
export type OfpErrName = typeof ERROR_TABLE[number][0];

/** All error names, in `enum ofperr` order. */
export const OFPERR_NAMES: readonly OfpErrName[] = ERROR_TABLE.map(([name]) => name);

/** A standard error's wire code. */
export interface OfpStdErrorCode { type: number; code: number }
/** A vendor (Nicira/ONF) error's wire code; `code` is 0 for OpenFlow 1.2+ experimenter errors. */
export interface OfpVendorErrorCode { vendor: number; type: number; code: number }

/** An error the OpenFlow layer reports; `err` is the abstract name, sent as the peer's version's code. */
export class OfpError extends Error {
  readonly err: OfpErrName;

  /** @param detail what was wrong, for logs; `message` becomes "<err>: <detail>". */
  constructor(err: OfpErrName, detail?: string) {
    super(detail ? `${err}: ${detail}` : err);
    this.name = 'OfpError';
    this.err = err;
  }
}

interface Triplet { vendor: number; type: number; code: number }

/** One version's error domain: name → wire triplet, and wire triplet → first name. */
interface ErrorDomain {
  encode: Map<OfpErrName, Triplet>;
  decode: Map<string, OfpErrName>;
}

const VENDOR_IDS: Record<string, number> = { OF: 0, NX: NX_VENDOR_ID, ONF: ONF_VENDOR_ID };

const MAPPING_RE = /^(OF|NX|ONF)1\.([0-5])(\+|-1\.([0-5]))?\((\d+)(?:,(\d+))?\)$/;

const tripletKey = (vendor: number, type: number, code: number): string => `${vendor}/${type}/${code}`;

/** Expands the table into one domain per version, OpenFlow 1.0 (index 1) … 1.5 (index 6). */
function buildDomains(): Map<number, ErrorDomain> {
  const domains = new Map<number, ErrorDomain>();
  for (let v = OFP10_VERSION; v <= OFP15_VERSION; v++) domains.set(v, { encode: new Map(), decode: new Map() });
  for (const [name, mappings] of ERROR_TABLE) {
    for (const mapping of mappings.split(' ')) {
      const m = MAPPING_RE.exec(mapping);
      if (!m) throw new Error(`bad error mapping ${mapping} for ${name}`);
      const first = Number(m[2]) + 1;
      const last = m[3] === '+' ? OFP15_VERSION : m[4] !== undefined ? Number(m[4]) + 1 : first;
      const triplet = { vendor: VENDOR_IDS[m[1]], type: Number(m[5]), code: m[6] === undefined ? 0 : Number(m[6]) };
      for (let v = first; v <= last; v++) {
        const domain = domains.get(v)!;
        domain.encode.set(name, triplet);
        const key = tripletKey(triplet.vendor, triplet.type, triplet.code);
        if (!domain.decode.has(key)) domain.decode.set(key, name);
      }
    }
  }
  return domains;
}

const DOMAINS = buildDomains();

/** Returns true if `s` names an error (e.g. "OFPBRC_BAD_TYPE"). */
export function isOfpErrName(s: string): s is OfpErrName {
  return (OFPERR_NAMES as readonly string[]).includes(s);
}

/**
 * The wire code of `err` in OpenFlow `version` (an `ofp_header.version` value, 1..6), as
 * `ovs-ofctl print-error` prints it.
 * @returns `{type, code}` for a standard error, `{vendor, type, code}` for a Nicira/ONF error,
 *          or `undefined` if the version is unknown or cannot express the error.
 */
export function ofpErrorCode(err: OfpErrName, version: number): OfpStdErrorCode | OfpVendorErrorCode | undefined {
  const t = DOMAINS.get(version)?.encode.get(err);
  if (!t) return undefined;
  return t.vendor ? { vendor: t.vendor, type: t.type, code: t.code } : { type: t.type, code: t.code };
}

/**
 * The error named by a wire triplet in OpenFlow `version`; `vendor` is 0 for standard errors.
 * @returns the name, or `undefined` for an unknown version or an unassigned code.
 */
export function ofpErrorFromCode(version: number, vendor: number, type: number, code: number): OfpErrName | undefined {
  return DOMAINS.get(version)?.decode.get(tripletKey(vendor, type, code));
}

/**
 * Encodes an OFPT_ERROR message reporting `err` (ofperr_encode_reply / ofperr_encode_hello).
 * @param version the version to answer in: the offending message's `ofp_header.version`; an
 *        unknown version answers with OpenFlow 1.0 codes and header version, as OVS does.
 * @param xid the offending message's xid (0 for a HELLO_FAILED error).
 * @param data the offending message (OVS echoes all of it), or the text of a HELLO_FAILED error;
 *        cut so that the error message fits in 65535 bytes.
 * @returns the whole message, `ofp_header` included, lengths in network byte order.
 */
export function encodeErrorMsg(err: OfpErrName, version: number, xid: number, data: Buffer): Buffer {
  const domainVersion = DOMAINS.has(version) ? version : OFP10_VERSION;
  const domain = DOMAINS.get(domainVersion)!;
  const t = domain.encode.get(err) ?? domain.encode.get('NXBRC_UNENCODABLE_ERROR')!;
  let fixed: Buffer;
  if (!t.vendor) {
    fixed = Buffer.alloc(4);
    fixed.writeUInt16BE(t.type, 0);
    fixed.writeUInt16BE(t.code, 2);
  } else if (version <= OFP11_VERSION) {
    fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(NXET_VENDOR, 0);
    fixed.writeUInt16BE(NXVC_VENDOR_ERROR, 2);
    fixed.writeUInt32BE(t.vendor, 4);
    fixed.writeUInt16BE(t.type, 8);
    fixed.writeUInt16BE(t.code, 10);
  } else {
    fixed = Buffer.alloc(8);
    fixed.writeUInt16BE(OFPET12_EXPERIMENTER, 0);
    fixed.writeUInt16BE(t.type, 2);
    fixed.writeUInt32BE(t.vendor, 4);
  }
  const room = 0xffff - OFP_HEADER_LEN - fixed.length;
  const kept = data.subarray(0, Math.min(data.length, room));
  const header = Buffer.alloc(OFP_HEADER_LEN);
  header[0] = domainVersion;
  header[1] = OFPT_ERROR;
  header.writeUInt16BE(OFP_HEADER_LEN + fixed.length + kept.length, 2);
  header.writeUInt32BE(xid >>> 0, 4);
  return Buffer.concat([header, fixed, kept]);
}

/** A decoded OFPT_ERROR message. */
export interface DecodedErrorMsg {
  version: number;
  xid: number;
  /** The abstract error, or `undefined` if the code means nothing in this version. */
  err?: OfpErrName;
  /** 0 for standard errors, else the Nicira/ONF vendor id. */
  vendor: number;
  /** After unwrapping a vendor error: the vendor's type and code (code 0 for 1.2+ experimenter errors). */
  type: number;
  code: number;
  /** What follows the error header: usually the start of the offending message. */
  data: Buffer;
}

/**
 * Decodes an OFPT_ERROR message (ofperr_decode_msg), unwrapping NXET_VENDOR and
 * OFPET12_EXPERIMENTER errors.
 * @param buf exactly one message, `ofp_header` included.
 * @throws OfpError OFPBRC_BAD_TYPE if it is not an OFPT_ERROR, OFPBRC_BAD_LEN if it is shorter
 *         than its headers or `ofp_header.length` disagrees with `buf.length`.
 */
export function decodeErrorMsg(buf: Buffer): DecodedErrorMsg {
  if (buf.length < OFP_HEADER_LEN || buf.readUInt16BE(2) !== buf.length) {
    throw new OfpError('OFPBRC_BAD_LEN', `error message length ${buf.length}`);
  }
  if (buf[1] !== OFPT_ERROR) throw new OfpError('OFPBRC_BAD_TYPE', `message type ${buf[1]} is not OFPT_ERROR`);
  const short = () => new OfpError('OFPBRC_BAD_LEN', `${buf.length}-byte error message is too short`);
  if (buf.length < OFP_HEADER_LEN + 4) throw short();
  const version = buf[0];
  const xid = buf.readUInt32BE(4);
  let type = buf.readUInt16BE(8);
  let code = buf.readUInt16BE(10);
  let vendor = 0;
  let offset = 12;
  if (type === NXET_VENDOR && code === NXVC_VENDOR_ERROR) {
    if (buf.length < offset + 8) throw short();
    vendor = buf.readUInt32BE(offset);
    type = buf.readUInt16BE(offset + 4);
    code = buf.readUInt16BE(offset + 6);
    offset += 8;
  } else if (type === OFPET12_EXPERIMENTER) {
    if (buf.length < offset + 4) throw short();
    vendor = buf.readUInt32BE(offset);
    type = code;
    code = 0;
    offset += 4;
  }
  const err = ofpErrorFromCode(version, vendor, type, code);
  return { version, xid, ...(err ? { err } : {}), vendor, type, code, data: buf.subarray(offset) };
}
