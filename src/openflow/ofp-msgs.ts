/**
 * OpenFlow message identification: which message a buffer holds ("raw" message, one per wire
 * format) and what it means (abstract type), for OpenFlow 1.0–1.5 plus the Nicira (NXT/NXST) and
 * ONF (ONFT/ONFST) extensions — OVS 3.1's `enum ofpraw` / `enum ofptype` (include/openvswitch/
 * ofp-msgs.h) and the header decoding of lib/ofp-msgs.c.
 *
 * A message is identified by up to five header fields:
 *  - `ofp_header.version` and `.type` (OpenFlow 1.0 §5.1);
 *  - for statistics/multipart messages (type 16/17 in 1.0, 18/19 in 1.1+) the 16-bit stats
 *    type that follows the header, then 16-bit flags (OFPSF_REPLY_MORE / OFPMPF_REQ_MORE);
 *    OpenFlow 1.1+ adds 4 pad bytes;
 *  - for vendor messages (OFPT_VENDOR / OFPT_EXPERIMENTER, type 4) a 32-bit vendor id and a
 *    32-bit subtype;
 *  - for vendor statistics (stats type OFPST_VENDOR 0xffff) a 32-bit vendor id and a 32-bit
 *    subtype (Nicira's OpenFlow 1.0 form adds 4 pad bytes).
 * Header lengths: 8 (plain), 16 (vendor), 12/16 (1.0/1.1+ stats), 24 (vendor stats).
 *
 * Each raw message has a minimum body length and a length rule, checked as OVS does: the body
 * (everything after the headers above) must be exactly `minBody` bytes (multiple 0), at least
 * `minBody` bytes (multiple 1), or `minBody` plus a whole number of `multiple`-byte units.
 */

import { OFP_HEADER_LEN, OFP10_VERSION, OFP13_VERSION, OFP15_VERSION } from './common';
import { NX_VENDOR_ID, ONF_VENDOR_ID, OfpError, encodeErrorMsg } from './ofp-errors';

/** `ofp_header.type` values that carry a further header. */
export const OFPT_VENDOR = 4;
export const OFPT10_STATS_REQUEST = 16;
export const OFPT10_STATS_REPLY = 17;
export const OFPT11_STATS_REQUEST = 18;
export const OFPT11_STATS_REPLY = 19;
/** Stats type of vendor statistics. */
export const OFPST_VENDOR = 0xffff;
/** Multipart flag: more replies (or, in 1.3+ requests, more request parts) follow. */
export const OFPSF_REPLY_MORE = 0x0001;
/** The largest OpenFlow message: `ofp_header.length` is 16 bits. */
export const OFP_MAX_MSG_LEN = 0xffff;

/**
 * Every raw message, in OVS's `enum ofpraw` order:
 * [name, 'KIND VERSIONS (NUMBER)', minBody, multiple, abstract type].
 * KIND is OFPT (ofp_header.type = NUMBER), OFPST (stats type = NUMBER), NXT/ONFT (vendor
 * message, subtype = NUMBER) or NXST/ONFST (vendor statistics, subtype = NUMBER); `_REQUEST` and
 * `_REPLY` statistics differ only in the stats message type. VERSIONS is `1.x`, `1.x+`,
 * `1.x-1.y` or `<all>` (every version 0x01..0xff). Body lengths are in bytes.
 */
const RAW_TABLE = [
  // Immutable messages: the same in every version, including ones newer than we know (<all>).
  ['OFPT_HELLO',                      'OFPT <all> (0)',     0,    1,  'HELLO'],
  ['OFPT_ERROR',                      'OFPT <all> (1)',     4,    1,  'ERROR'],
  ['OFPT_ECHO_REQUEST',               'OFPT <all> (2)',     0,    1,  'ECHO_REQUEST'],
  ['OFPT_ECHO_REPLY',                 'OFPT <all> (3)',     0,    1,  'ECHO_REPLY'],
  // Other standard messages (and the Nicira/ONF messages that stand in for them).
  ['OFPT_FEATURES_REQUEST',           'OFPT 1.0+ (5)',      0,    0,  'FEATURES_REQUEST'],
  ['OFPT10_FEATURES_REPLY',           'OFPT 1.0 (6)',       24,   48, 'FEATURES_REPLY'],
  ['OFPT11_FEATURES_REPLY',           'OFPT 1.1-1.2 (6)',   24,   64, 'FEATURES_REPLY'],
  ['OFPT13_FEATURES_REPLY',           'OFPT 1.3+ (6)',      24,   0,  'FEATURES_REPLY'],
  ['OFPT_GET_CONFIG_REQUEST',         'OFPT 1.0+ (7)',      0,    0,  'GET_CONFIG_REQUEST'],
  ['OFPT_GET_CONFIG_REPLY',           'OFPT 1.0+ (8)',      4,    0,  'GET_CONFIG_REPLY'],
  ['OFPT_SET_CONFIG',                 'OFPT 1.0+ (9)',      4,    0,  'SET_CONFIG'],
  ['OFPT10_PACKET_IN',                'OFPT 1.0 (10)',      10,   1,  'PACKET_IN'],
  ['OFPT11_PACKET_IN',                'OFPT 1.1 (10)',      16,   1,  'PACKET_IN'],
  ['OFPT12_PACKET_IN',                'OFPT 1.2 (10)',      8,    1,  'PACKET_IN'],
  ['OFPT13_PACKET_IN',                'OFPT 1.3+ (10)',     16,   1,  'PACKET_IN'],
  ['NXT_PACKET_IN',                   'NXT 1.0+ (17)',      24,   1,  'PACKET_IN'],
  ['NXT_PACKET_IN2',                  'NXT 1.0+ (30)',      0,    8,  'PACKET_IN'],
  ['OFPT10_FLOW_REMOVED',             'OFPT 1.0 (11)',      80,   0,  'FLOW_REMOVED'],
  ['OFPT11_FLOW_REMOVED',             'OFPT 1.1-1.4 (11)',  40,   8,  'FLOW_REMOVED'],
  ['OFPT15_FLOW_REMOVED',             'OFPT 1.5+ (11)',     16,   8,  'FLOW_REMOVED'],
  ['NXT_FLOW_REMOVED',                'NXT 1.0+ (14)',      40,   8,  'FLOW_REMOVED'],
  ['OFPT10_PORT_STATUS',              'OFPT 1.0 (12)',      56,   0,  'PORT_STATUS'],
  ['OFPT11_PORT_STATUS',              'OFPT 1.1-1.3 (12)',  72,   0,  'PORT_STATUS'],
  ['OFPT14_PORT_STATUS',              'OFPT 1.4+ (12)',     48,   8,  'PORT_STATUS'],
  ['OFPT10_PACKET_OUT',               'OFPT 1.0 (13)',      8,    1,  'PACKET_OUT'],
  ['OFPT11_PACKET_OUT',               'OFPT 1.1-1.4 (13)',  16,   1,  'PACKET_OUT'],
  ['OFPT15_PACKET_OUT',               'OFPT 1.5+ (13)',     8,    1,  'PACKET_OUT'],
  ['OFPT10_FLOW_MOD',                 'OFPT 1.0 (14)',      64,   8,  'FLOW_MOD'],
  ['OFPT11_FLOW_MOD',                 'OFPT 1.1+ (14)',     40,   8,  'FLOW_MOD'],
  ['NXT_FLOW_MOD',                    'NXT 1.0+ (13)',      32,   8,  'FLOW_MOD'],
  ['NXT_GROUP_MOD',                   'NXT 1.0 (31)',       16,   8,  'GROUP_MOD'],
  ['OFPT11_GROUP_MOD',                'OFPT 1.1-1.4 (15)',  8,    8,  'GROUP_MOD'],
  ['OFPT15_GROUP_MOD',                'OFPT 1.5+ (15)',     16,   8,  'GROUP_MOD'],
  ['OFPT10_PORT_MOD',                 'OFPT 1.0 (15)',      24,   0,  'PORT_MOD'],
  ['OFPT11_PORT_MOD',                 'OFPT 1.1-1.3 (16)',  32,   0,  'PORT_MOD'],
  ['OFPT14_PORT_MOD',                 'OFPT 1.4+ (16)',     24,   8,  'PORT_MOD'],
  ['OFPT11_TABLE_MOD',                'OFPT 1.1-1.3 (17)',  8,    0,  'TABLE_MOD'],
  ['OFPT14_TABLE_MOD',                'OFPT 1.4+ (17)',     8,    8,  'TABLE_MOD'],
  ['OFPT10_BARRIER_REQUEST',          'OFPT 1.0 (18)',      0,    0,  'BARRIER_REQUEST'],
  ['OFPT11_BARRIER_REQUEST',          'OFPT 1.1+ (20)',     0,    0,  'BARRIER_REQUEST'],
  ['OFPT10_BARRIER_REPLY',            'OFPT 1.0 (19)',      0,    0,  'BARRIER_REPLY'],
  ['OFPT11_BARRIER_REPLY',            'OFPT 1.1+ (21)',     0,    0,  'BARRIER_REPLY'],
  ['OFPT10_QUEUE_GET_CONFIG_REQUEST', 'OFPT 1.0 (20)',      4,    0,  'QUEUE_GET_CONFIG_REQUEST'],
  ['OFPT11_QUEUE_GET_CONFIG_REQUEST', 'OFPT 1.1-1.3 (22)',  8,    0,  'QUEUE_GET_CONFIG_REQUEST'],
  ['OFPT10_QUEUE_GET_CONFIG_REPLY',   'OFPT 1.0 (21)',      8,    8,  'QUEUE_GET_CONFIG_REPLY'],
  ['OFPT11_QUEUE_GET_CONFIG_REPLY',   'OFPT 1.1-1.3 (23)',  8,    8,  'QUEUE_GET_CONFIG_REPLY'],
  ['OFPT12_ROLE_REQUEST',             'OFPT 1.2+ (24)',     16,   0,  'ROLE_REQUEST'],
  ['NXT_ROLE_REQUEST',                'NXT 1.0+ (10)',      4,    0,  'ROLE_REQUEST'],
  ['OFPT12_ROLE_REPLY',               'OFPT 1.2+ (25)',     16,   0,  'ROLE_REPLY'],
  ['NXT_ROLE_REPLY',                  'NXT 1.0+ (11)',      4,    0,  'ROLE_REPLY'],
  ['OFPT13_GET_ASYNC_REQUEST',        'OFPT 1.3 (26)',      0,    0,  'GET_ASYNC_REQUEST'],
  ['OFPT14_GET_ASYNC_REQUEST',        'OFPT 1.4+ (26)',     0,    0,  'GET_ASYNC_REQUEST'],
  ['OFPT13_GET_ASYNC_REPLY',          'OFPT 1.3 (27)',      24,   0,  'GET_ASYNC_REPLY'],
  ['OFPT14_GET_ASYNC_REPLY',          'OFPT 1.4+ (27)',     0,    8,  'GET_ASYNC_REPLY'],
  ['OFPT13_SET_ASYNC',                'OFPT 1.3 (28)',      24,   0,  'SET_ASYNC_CONFIG'],
  ['NXT_SET_ASYNC_CONFIG',            'NXT 1.0+ (19)',      24,   0,  'SET_ASYNC_CONFIG'],
  ['NXT_SET_ASYNC_CONFIG2',           'NXT 1.0-1.3 (27)',   0,    8,  'SET_ASYNC_CONFIG'],
  ['OFPT14_SET_ASYNC',                'OFPT 1.4+ (28)',     0,    8,  'SET_ASYNC_CONFIG'],
  ['OFPT13_METER_MOD',                'OFPT 1.3+ (29)',     8,    8,  'METER_MOD'],
  ['ONFT13_ROLE_STATUS',              'ONFT 1.3 (1911)',    16,   8,  'ROLE_STATUS'],
  ['OFPT14_ROLE_STATUS',              'OFPT 1.4+ (30)',     16,   8,  'ROLE_STATUS'],
  ['OFPT14_TABLE_STATUS',             'OFPT 1.4+ (31)',     8,    8,  'TABLE_STATUS'],
  ['NXT_REQUESTFORWARD',              'NXT 1.0-1.2 (132)',  8,    8,  'REQUESTFORWARD'],
  ['ONFT13_REQUESTFORWARD',           'ONFT 1.3 (2350)',    8,    8,  'REQUESTFORWARD'],
  ['OFPT14_REQUESTFORWARD',           'OFPT 1.4+ (32)',     8,    8,  'REQUESTFORWARD'],
  ['OFPT14_BUNDLE_CONTROL',           'OFPT 1.4+ (33)',     8,    8,  'BUNDLE_CONTROL'],
  ['ONFT13_BUNDLE_CONTROL',           'ONFT 1.3 (2300)',    8,    8,  'BUNDLE_CONTROL'],
  ['OFPT14_BUNDLE_ADD_MESSAGE',       'OFPT 1.4+ (34)',     8,    1,  'BUNDLE_ADD_MESSAGE'],
  ['ONFT13_BUNDLE_ADD_MESSAGE',       'ONFT 1.3 (2301)',    8,    1,  'BUNDLE_ADD_MESSAGE'],
  // Statistics (multipart) messages.
  ['OFPST_DESC_REQUEST',              'OFPST 1.0+ (0)',     0,    0,  'DESC_STATS_REQUEST'],
  ['OFPST_DESC_REPLY',                'OFPST 1.0+ (0)',     1056, 0,  'DESC_STATS_REPLY'],
  ['OFPST10_FLOW_REQUEST',            'OFPST 1.0 (1)',      44,   0,  'FLOW_STATS_REQUEST'],
  ['OFPST11_FLOW_REQUEST',            'OFPST 1.1+ (1)',     32,   8,  'FLOW_STATS_REQUEST'],
  ['NXST_FLOW_REQUEST',               'NXST 1.0 (0)',       8,    8,  'FLOW_STATS_REQUEST'],
  ['OFPST10_FLOW_REPLY',              'OFPST 1.0 (1)',      0,    1,  'FLOW_STATS_REPLY'],
  ['OFPST11_FLOW_REPLY',              'OFPST 1.1-1.2 (1)',  0,    1,  'FLOW_STATS_REPLY'],
  ['OFPST13_FLOW_REPLY',              'OFPST 1.3-1.4 (1)',  0,    1,  'FLOW_STATS_REPLY'],
  ['OFPST15_FLOW_REPLY',              'OFPST 1.5+ (1)',     0,    1,  'FLOW_STATS_REPLY'],
  ['NXST_FLOW_REPLY',                 'NXST 1.0 (0)',       0,    1,  'FLOW_STATS_REPLY'],
  ['OFPST10_AGGREGATE_REQUEST',       'OFPST 1.0 (2)',      44,   0,  'AGGREGATE_STATS_REQUEST'],
  ['OFPST11_AGGREGATE_REQUEST',       'OFPST 1.1-1.4 (2)',  32,   8,  'AGGREGATE_STATS_REQUEST'],
  ['OFPST15_AGGREGATE_REQUEST',       'OFPST 1.5+ (2)',     32,   8,  'AGGREGATE_STATS_REQUEST'],
  ['NXST_AGGREGATE_REQUEST',          'NXST 1.0 (1)',       8,    8,  'AGGREGATE_STATS_REQUEST'],
  ['OFPST_AGGREGATE_REPLY',           'OFPST 1.0-1.4 (2)',  24,   0,  'AGGREGATE_STATS_REPLY'],
  ['OFPST15_AGGREGATE_REPLY',         'OFPST 1.5+ (2)',     0,    1,  'AGGREGATE_STATS_REPLY'],
  ['NXST_AGGREGATE_REPLY',            'NXST 1.0 (1)',       24,   0,  'AGGREGATE_STATS_REPLY'],
  ['OFPST_TABLE_REQUEST',             'OFPST 1.0+ (3)',     0,    0,  'TABLE_STATS_REQUEST'],
  ['OFPST10_TABLE_REPLY',             'OFPST 1.0 (3)',      0,    64, 'TABLE_STATS_REPLY'],
  ['OFPST11_TABLE_REPLY',             'OFPST 1.1 (3)',      0,    88, 'TABLE_STATS_REPLY'],
  ['OFPST12_TABLE_REPLY',             'OFPST 1.2 (3)',      0,    128, 'TABLE_STATS_REPLY'],
  ['OFPST13_TABLE_REPLY',             'OFPST 1.3+ (3)',     0,    24, 'TABLE_STATS_REPLY'],
  ['OFPST10_PORT_REQUEST',            'OFPST 1.0 (4)',      8,    0,  'PORT_STATS_REQUEST'],
  ['OFPST11_PORT_REQUEST',            'OFPST 1.1+ (4)',     8,    0,  'PORT_STATS_REQUEST'],
  ['OFPST10_PORT_REPLY',              'OFPST 1.0 (4)',      0,    104, 'PORT_STATS_REPLY'],
  ['OFPST11_PORT_REPLY',              'OFPST 1.1-1.2 (4)',  0,    104, 'PORT_STATS_REPLY'],
  ['OFPST13_PORT_REPLY',              'OFPST 1.3 (4)',      0,    112, 'PORT_STATS_REPLY'],
  ['OFPST14_PORT_REPLY',              'OFPST 1.4+ (4)',     0,    8,  'PORT_STATS_REPLY'],
  ['OFPST10_QUEUE_REQUEST',           'OFPST 1.0 (5)',      8,    0,  'QUEUE_STATS_REQUEST'],
  ['OFPST11_QUEUE_REQUEST',           'OFPST 1.1+ (5)',     8,    0,  'QUEUE_STATS_REQUEST'],
  ['OFPST10_QUEUE_REPLY',             'OFPST 1.0 (5)',      0,    32, 'QUEUE_STATS_REPLY'],
  ['OFPST11_QUEUE_REPLY',             'OFPST 1.1-1.2 (5)',  0,    32, 'QUEUE_STATS_REPLY'],
  ['OFPST13_QUEUE_REPLY',             'OFPST 1.3 (5)',      0,    40, 'QUEUE_STATS_REPLY'],
  ['OFPST14_QUEUE_REPLY',             'OFPST 1.4+ (5)',     0,    8,  'QUEUE_STATS_REPLY'],
  ['NXST_GROUP_REQUEST',              'NXST 1.0 (7)',       8,    0,  'GROUP_STATS_REQUEST'],
  ['OFPST11_GROUP_REQUEST',           'OFPST 1.1+ (6)',     8,    0,  'GROUP_STATS_REQUEST'],
  ['NXST_GROUP_REPLY',                'NXST 1.0 (7)',       0,    8,  'GROUP_STATS_REPLY'],
  ['OFPST11_GROUP_REPLY',             'OFPST 1.1-1.2 (6)',  0,    8,  'GROUP_STATS_REPLY'],
  ['OFPST13_GROUP_REPLY',             'OFPST 1.3+ (6)',     0,    8,  'GROUP_STATS_REPLY'],
  ['NXST_GROUP_DESC_REQUEST',         'NXST 1.0 (8)',       8,    0,  'GROUP_DESC_STATS_REQUEST'],
  ['OFPST11_GROUP_DESC_REQUEST',      'OFPST 1.1-1.4 (7)',  0,    0,  'GROUP_DESC_STATS_REQUEST'],
  ['OFPST15_GROUP_DESC_REQUEST',      'OFPST 1.5+ (7)',     8,    0,  'GROUP_DESC_STATS_REQUEST'],
  ['NXST_GROUP_DESC_REPLY',           'NXST 1.0 (8)',       0,    8,  'GROUP_DESC_STATS_REPLY'],
  ['OFPST11_GROUP_DESC_REPLY',        'OFPST 1.1+ (7)',     0,    8,  'GROUP_DESC_STATS_REPLY'],
  ['NXST_GROUP_FEATURES_REQUEST',     'NXST 1.0-1.1 (9)',   0,    0,  'GROUP_FEATURES_STATS_REQUEST'],
  ['OFPST12_GROUP_FEATURES_REQUEST',  'OFPST 1.2+ (8)',     0,    0,  'GROUP_FEATURES_STATS_REQUEST'],
  ['NXST_GROUP_FEATURES_REPLY',       'NXST 1.0-1.1 (9)',   40,   0,  'GROUP_FEATURES_STATS_REPLY'],
  ['OFPST12_GROUP_FEATURES_REPLY',    'OFPST 1.2+ (8)',     40,   0,  'GROUP_FEATURES_STATS_REPLY'],
  ['OFPST13_METER_REQUEST',           'OFPST 1.3+ (9)',     8,    0,  'METER_STATS_REQUEST'],
  ['OFPST13_METER_REPLY',             'OFPST 1.3+ (9)',     0,    8,  'METER_STATS_REPLY'],
  ['OFPST13_METER_CONFIG_REQUEST',    'OFPST 1.3+ (10)',    8,    0,  'METER_CONFIG_STATS_REQUEST'],
  ['OFPST13_METER_CONFIG_REPLY',      'OFPST 1.3+ (10)',    0,    8,  'METER_CONFIG_STATS_REPLY'],
  ['OFPST13_METER_FEATURES_REQUEST',  'OFPST 1.3+ (11)',    0,    0,  'METER_FEATURES_STATS_REQUEST'],
  ['OFPST13_METER_FEATURES_REPLY',    'OFPST 1.3+ (11)',    16,   0,  'METER_FEATURES_STATS_REPLY'],
  ['OFPST13_TABLE_FEATURES_REQUEST',  'OFPST 1.3+ (12)',    0,    8,  'TABLE_FEATURES_STATS_REQUEST'],
  ['OFPST13_TABLE_FEATURES_REPLY',    'OFPST 1.3+ (12)',    64,   8,  'TABLE_FEATURES_STATS_REPLY'],
  ['OFPST14_TABLE_DESC_REQUEST',      'OFPST 1.4+ (14)',    0,    0,  'TABLE_DESC_REQUEST'],
  ['OFPST14_TABLE_DESC_REPLY',        'OFPST 1.4+ (14)',    8,    8,  'TABLE_DESC_REPLY'],
  ['OFPST10_PORT_DESC_REQUEST',       'OFPST 1.0-1.4 (13)', 0,    0,  'PORT_DESC_STATS_REQUEST'],
  ['OFPST15_PORT_DESC_REQUEST',       'OFPST 1.5+ (13)',    8,    0,  'PORT_DESC_STATS_REQUEST'],
  ['OFPST10_PORT_DESC_REPLY',         'OFPST 1.0 (13)',     0,    48, 'PORT_DESC_STATS_REPLY'],
  ['OFPST11_PORT_DESC_REPLY',         'OFPST 1.1-1.3 (13)', 0,    64, 'PORT_DESC_STATS_REPLY'],
  ['OFPST14_PORT_DESC_REPLY',         'OFPST 1.4+ (13)',    0,    8,  'PORT_DESC_STATS_REPLY'],
  ['OFPST14_QUEUE_DESC_REQUEST',      'OFPST 1.4+ (15)',    8,    0,  'QUEUE_GET_CONFIG_REQUEST'],
  ['OFPST14_QUEUE_DESC_REPLY',        'OFPST 1.4+ (15)',    0,    8,  'QUEUE_GET_CONFIG_REPLY'],
  ['OFPST14_FLOW_MONITOR_REQUEST',    'OFPST 1.4+ (16)',    0,    8,  'FLOW_MONITOR_STATS_REQUEST'],
  ['ONFST13_FLOW_MONITOR_REQUEST',    'ONFST 1.3 (1870)',   0,    8,  'FLOW_MONITOR_STATS_REQUEST'],
  ['NXST_FLOW_MONITOR_REQUEST',       'NXST 1.0-1.2 (2)',   0,    8,  'FLOW_MONITOR_STATS_REQUEST'],
  ['OFPST14_FLOW_MONITOR_REPLY',      'OFPST 1.4+ (16)',    0,    8,  'FLOW_MONITOR_STATS_REPLY'],
  ['ONFST13_FLOW_MONITOR_REPLY',      'ONFST 1.3 (1870)',   0,    8,  'FLOW_MONITOR_STATS_REPLY'],
  ['NXST_FLOW_MONITOR_REPLY',         'NXST 1.0-1.2 (2)',   0,    8,  'FLOW_MONITOR_STATS_REPLY'],
  ['ONFT13_FLOW_MONITOR_CANCEL',      'ONFT 1.3 (1870)',    4,    0,  'FLOW_MONITOR_CANCEL'],
  ['NXT_FLOW_MONITOR_CANCEL',         'NXT 1.0-1.2 (21)',   4,    0,  'FLOW_MONITOR_CANCEL'],
  ['ONFT13_FLOW_MONITOR_PAUSED',      'ONFT 1.3 (1871)',    0,    0,  'FLOW_MONITOR_PAUSED'],
  ['NXT_FLOW_MONITOR_PAUSED',         'NXT 1.0-1.2 (22)',   0,    0,  'FLOW_MONITOR_PAUSED'],
  ['ONFT13_FLOW_MONITOR_RESUMED',     'ONFT 1.3 (1872)',    0,    0,  'FLOW_MONITOR_RESUMED'],
  ['NXT_FLOW_MONITOR_RESUMED',        'NXT 1.0-1.2 (23)',   0,    0,  'FLOW_MONITOR_RESUMED'],
  // Nicira extension messages.
  ['NXT_SET_FLOW_FORMAT',             'NXT 1.0 (12)',       4,    0,  'SET_FLOW_FORMAT'],
  ['NXT_FLOW_MOD_TABLE_ID',           'NXT 1.0+ (15)',      8,    0,  'FLOW_MOD_TABLE_ID'],
  ['NXT_SET_PACKET_IN_FORMAT',        'NXT 1.0+ (16)',      4,    0,  'SET_PACKET_IN_FORMAT'],
  ['NXT_FLOW_AGE',                    'NXT 1.0+ (18)',      0,    0,  'FLOW_AGE'],
  ['NXT_SET_CONTROLLER_ID',           'NXT 1.0+ (20)',      8,    0,  'SET_CONTROLLER_ID'],
  ['NXT_TLV_TABLE_MOD',               'NXT 1.0+ (24)',      8,    8,  'NXT_TLV_TABLE_MOD'],
  ['NXT_TLV_TABLE_REQUEST',           'NXT 1.0+ (25)',      0,    0,  'NXT_TLV_TABLE_REQUEST'],
  ['NXT_TLV_TABLE_REPLY',             'NXT 1.0+ (26)',      16,   8,  'NXT_TLV_TABLE_REPLY'],
  ['NXT_RESUME',                      'NXT 1.0+ (28)',      0,    8,  'NXT_RESUME'],
  ['NXT_CT_FLUSH_ZONE',               'NXT 1.0+ (29)',      8,    0,  'CT_FLUSH_ZONE'],
  ['NXT_CT_FLUSH',                    'NXT 1.0+ (32)',      8,    8,  'CT_FLUSH'],
  ['NXST_IPFIX_BRIDGE_REQUEST',       'NXST 1.0+ (3)',      0,    0,  'IPFIX_BRIDGE_STATS_REQUEST'],
  ['NXST_IPFIX_BRIDGE_REPLY',         'NXST 1.0+ (3)',      88,   0,  'IPFIX_BRIDGE_STATS_REPLY'],
  ['NXST_IPFIX_FLOW_REQUEST',         'NXST 1.0+ (4)',      0,    0,  'IPFIX_FLOW_STATS_REQUEST'],
  ['NXST_IPFIX_FLOW_REPLY',           'NXST 1.0+ (4)',      0,    88, 'IPFIX_FLOW_STATS_REPLY'],
] as const;

/** A raw message name: OVS's `enum ofpraw` name without `OFPRAW_`, e.g. 'OFPT11_FLOW_MOD'. */
export type OfpRaw = typeof RAW_TABLE[number][0];
/** An abstract message type: OVS's `enum ofptype` name without `OFPTYPE_`, e.g. 'FLOW_MOD'. */
export type OfpType = typeof RAW_TABLE[number][4];

/** One decoded OpenFlow message. */
export interface OfpMsg {
  version: number;
  xid: number;
  raw: OfpRaw;
  type: OfpType;
  /** After `ofp_header` and any vendor / stats header. */
  body: Buffer;
  /** Stats/multipart flags (0 for other messages). */
  flags: number;
  /** The whole message as received (for error replies). */
  data: Buffer;
}

/** The header fields that identify a raw message. */
interface OfpHdrs { version: number; type: number; stat: number; vendor: number; subtype: number }

interface RawInfo {
  raw: OfpRaw;
  type: OfpType;
  kind: string;
  minVersion: number;
  maxVersion: number;
  number: number;
  minBody: number;
  multiple: number;
}

const SPEC_RE = /^(OFPT|OFPST|NXT|NXST|ONFT|ONFST) (<all>|1\.([0-5])(\+|-1\.([0-5]))?) \((\d+)\)$/;

function parseRaw([raw, spec, minBody, multiple, type]: typeof RAW_TABLE[number]): RawInfo {
  const m = SPEC_RE.exec(spec);
  if (!m) throw new Error(`bad message spec ${spec} for ${raw}`);
  const all = m[2] === '<all>';
  const minVersion = all ? 0x01 : Number(m[3]) + 1;
  const maxVersion = all ? 0xff : m[4] === '+' ? OFP15_VERSION : m[5] !== undefined ? Number(m[5]) + 1 : minVersion;
  return { raw, type, kind: m[1], minVersion, maxVersion, number: Number(m[6]), minBody, multiple };
}

const RAWS: ReadonlyMap<OfpRaw, RawInfo> = new Map(RAW_TABLE.map((row) => [row[0], parseRaw(row)]));

const isStatsType = (version: number, type: number): boolean =>
  version === OFP10_VERSION ? type === OFPT10_STATS_REQUEST || type === OFPT10_STATS_REPLY
    : version > OFP10_VERSION && version <= OFP15_VERSION && (type === OFPT11_STATS_REQUEST || type === OFPT11_STATS_REPLY);

/** The header fields of `info` in `version` (extract-ofp-msgs' instantiation rules). */
function rawHdrs(info: RawInfo, version: number): OfpHdrs {
  const isReply = info.raw.endsWith('_REPLY');
  const statsType = version === OFP10_VERSION
    ? (isReply ? OFPT10_STATS_REPLY : OFPT10_STATS_REQUEST)
    : (isReply ? OFPT11_STATS_REPLY : OFPT11_STATS_REQUEST);
  switch (info.kind) {
    case 'OFPT': return { version, type: info.number, stat: 0, vendor: 0, subtype: 0 };
    case 'OFPST': return { version, type: statsType, stat: info.number, vendor: 0, subtype: 0 };
    case 'NXT': return { version, type: OFPT_VENDOR, stat: 0, vendor: NX_VENDOR_ID, subtype: info.number };
    case 'ONFT': return { version, type: OFPT_VENDOR, stat: 0, vendor: ONF_VENDOR_ID, subtype: info.number };
    case 'NXST': return { version, type: statsType, stat: OFPST_VENDOR, vendor: NX_VENDOR_ID, subtype: info.number };
    default: return { version, type: statsType, stat: OFPST_VENDOR, vendor: ONF_VENDOR_ID, subtype: info.number };
  }
}

/** Length of the headers that `hdrs` implies (ofphdrs_len). */
function hdrsLen(h: OfpHdrs): number {
  if (h.type === OFPT_VENDOR) return 16;
  if (isStatsType(h.version, h.type)) {
    if (h.stat === OFPST_VENDOR) return 24;
    return h.version === OFP10_VERSION ? 12 : 16;
  }
  return OFP_HEADER_LEN;
}

const hdrsKey = (h: OfpHdrs): string => `${h.version}/${h.type}/${h.stat}/${h.vendor}/${h.subtype}`;

/** Every (raw, version) instance, keyed by its header fields. */
const RAW_BY_HDRS: ReadonlyMap<string, RawInfo> = (() => {
  const map = new Map<string, RawInfo>();
  for (const info of RAWS.values()) {
    for (let v = info.minVersion; v <= info.maxVersion; v++) {
      const key = hdrsKey(rawHdrs(info, v));
      if (map.has(key)) throw new Error(`duplicate message definition ${key}`);
      map.set(key, info);
    }
  }
  return map;
})();

/**
 * Reads the identifying header fields (ofphdrs_decode).
 * @throws OfpError OFPBRC_BAD_LEN when a header is cut short, OFPBRC_BAD_VENDOR for a vendor
 *         other than Nicira or ONF (Nicira only, for OpenFlow 1.0 vendor statistics).
 */
function decodeHdrs(buf: Buffer): OfpHdrs {
  if (buf.length < OFP_HEADER_LEN) throw new OfpError('OFPBRC_BAD_LEN', `${buf.length}-byte message has no ofp_header`);
  const h: OfpHdrs = { version: buf[0], type: buf[1], stat: 0, vendor: 0, subtype: 0 };
  const need = (n: number, what: string) => {
    if (buf.length < n) throw new OfpError('OFPBRC_BAD_LEN', `${buf.length}-byte message is too short for its ${what}`);
  };
  const badVendor = () => new OfpError('OFPBRC_BAD_VENDOR', `unknown vendor 0x${h.vendor.toString(16)}`);
  if (h.type === OFPT_VENDOR) {
    need(16, 'vendor header');
    h.vendor = buf.readUInt32BE(8);
    if (h.vendor !== NX_VENDOR_ID && h.vendor !== ONF_VENDOR_ID) throw badVendor();
    h.subtype = buf.readUInt32BE(12);
  } else if (h.version === OFP10_VERSION ? h.type === OFPT10_STATS_REQUEST || h.type === OFPT10_STATS_REPLY
    : h.type === OFPT11_STATS_REQUEST || h.type === OFPT11_STATS_REPLY) {
    need(h.version === OFP10_VERSION ? 12 : 16, 'stats header');
    h.stat = buf.readUInt16BE(8);
    if (h.stat === OFPST_VENDOR) {
      need(h.version === OFP10_VERSION ? 16 : 24, 'vendor stats header');
      h.vendor = buf.readUInt32BE(h.version === OFP10_VERSION ? 12 : 16);
      if (h.version === OFP10_VERSION) {
        if (h.vendor !== NX_VENDOR_ID) throw badVendor();
        need(24, 'Nicira stats header');
        h.subtype = buf.readUInt32BE(16);
      } else {
        if (h.vendor !== NX_VENDOR_ID && h.vendor !== ONF_VENDOR_ID) throw badVendor();
        h.subtype = buf.readUInt32BE(20);
      }
    }
  }
  return h;
}

/**
 * Finds the raw message the header fields name (ofpraw_from_ofphdrs).
 * @throws OfpError OFPBRC_BAD_SUBTYPE (vendor message), OFPBRC_BAD_STAT (stats message of a known
 *         version) or OFPBRC_BAD_TYPE (anything else, including unknown versions).
 */
function rawFromHdrs(h: OfpHdrs): RawInfo {
  const info = RAW_BY_HDRS.get(hdrsKey(h));
  if (info) return info;
  const what = `version ${h.version}, type ${h.type}` + (isStatsType(h.version, h.type) ? `, stat ${h.stat}` : '')
    + (h.vendor ? `, vendor 0x${h.vendor.toString(16)}, subtype ${h.subtype}` : '');
  if (h.vendor) throw new OfpError('OFPBRC_BAD_SUBTYPE', `unknown OpenFlow message (${what})`);
  if (isStatsType(h.version, h.type)) throw new OfpError('OFPBRC_BAD_STAT', `unknown OpenFlow message (${what})`);
  throw new OfpError('OFPBRC_BAD_TYPE', `unknown OpenFlow message (${what})`);
}

/** Checks a whole message's length against its raw message's body rule (ofpraw_check_length). */
function checkLength(info: RawInfo, headerLen: number, len: number): void {
  const minLen = headerLen + info.minBody;
  const ok = info.multiple === 0 ? len === minLen
    : len >= minLen && (len - minLen) % info.multiple === 0;
  if (!ok) {
    const expected = info.multiple === 0 ? `${minLen}` : info.multiple === 1 ? `at least ${minLen}`
      : `${minLen} + a multiple of ${info.multiple}`;
    throw new OfpError('OFPBRC_BAD_LEN', `received ${ofpRawName(info.raw)} with incorrect length ${len} (expected ${expected})`);
  }
}

/**
 * Decodes and validates one OpenFlow message's headers (ofpraw_pull / ofptype_decode).
 * @param buf exactly one message, `ofp_header` included.
 * @returns the message, its raw and abstract type, and its body after all headers.
 * @throws OfpError OFPBRC_BAD_LEN (buffer shorter than 8 bytes or than `ofp_header.length`
 *         says, a cut-short vendor/stats header, or a body length its message does not allow),
 *         OFPBRC_BAD_VENDOR, OFPBRC_BAD_SUBTYPE, OFPBRC_BAD_STAT, OFPBRC_BAD_TYPE — the errors OVS
 *         answers malformed input with. A version this switch does not know is not a separate
 *         error here: only HELLO/ERROR/ECHO exist in every version, anything else in an unknown
 *         version is OFPBRC_BAD_TYPE, as in OVS (the connection's version check, which answers
 *         OFPBRC_BAD_VERSION, runs before this).
 */
export function decodeMsg(buf: Buffer): OfpMsg {
  if (buf.length >= OFP_HEADER_LEN && buf.readUInt16BE(2) !== buf.length) {
    throw new OfpError('OFPBRC_BAD_LEN', `ofp_header.length ${buf.readUInt16BE(2)} but ${buf.length} bytes`);
  }
  const h = decodeHdrs(buf);
  const info = rawFromHdrs(h);
  const headerLen = hdrsLen(h);
  checkLength(info, headerLen, buf.length);
  return {
    version: h.version,
    xid: buf.readUInt32BE(4),
    raw: info.raw,
    type: info.type,
    body: buf.subarray(headerLen),
    flags: isStatsType(h.version, h.type) ? buf.readUInt16BE(10) : 0,
    data: buf,
  };
}

/**
 * Identifies a message that may be cut short, e.g. the start of a message echoed in an error
 * (ofpraw_decode_partial): no length check beyond the identifying headers.
 * @throws OfpError as `decodeMsg`, except for body-length errors.
 */
export function decodeRawPartial(buf: Buffer): OfpRaw {
  return rawFromHdrs(decodeHdrs(buf)).raw;
}

function rawInfo(raw: OfpRaw): RawInfo {
  const info = RAWS.get(raw);
  if (!info) throw new RangeError(`unknown raw message ${raw}`);
  return info;
}

/** True if `raw` exists in OpenFlow `version`. */
export function ofpRawInVersion(raw: OfpRaw, version: number): boolean {
  const info = rawInfo(raw);
  return version >= info.minVersion && version <= info.maxVersion;
}

/** The abstract type of a raw message (ofptype_from_ofpraw). */
export function ofpTypeOfRaw(raw: OfpRaw): OfpType {
  return rawInfo(raw).type;
}

/**
 * The name OVS logs and prints for a raw message (ofpraw_get_name), e.g. 'OFPT_FEATURES_REPLY'
 * for OFPT10_FEATURES_REPLY and 'OFPST_FLOW request' for OFPST11_FLOW_REQUEST.
 */
export function ofpRawName(raw: OfpRaw): string {
  const { kind } = rawInfo(raw);
  const name = `${kind}_${raw.slice(kind.length).replace(/^\d*_/, '')}`;
  if (!kind.endsWith('ST')) return name;
  return name.endsWith('_REQUEST') ? `${name.slice(0, -8)} request` : `${name.slice(0, -6)} reply`;
}

/** True if the message is a statistics/multipart request (type 16 in 1.0, 18 in 1.1–1.5). */
export function isStatsRequest(version: number, type: number): boolean {
  return isStatsType(version, type) && (type === OFPT10_STATS_REQUEST || type === OFPT11_STATS_REQUEST);
}

/** True if the message is a statistics/multipart reply (type 17 in 1.0, 19 in 1.1–1.5). */
export function isStatsReply(version: number, type: number): boolean {
  return isStatsType(version, type) && (type === OFPT10_STATS_REPLY || type === OFPT11_STATS_REPLY);
}

/**
 * The headers of `raw` in `version` with `xid` and stats `flags`, for a body of `bodyLen` bytes
 * (ofpraw_put__): `ofp_header.length` covers headers plus body.
 * @throws RangeError if `raw` does not exist in `version` or the message would exceed 65535
 *         bytes (a bug in the caller, never a peer's fault).
 */
export function encodeMsgHeader(raw: OfpRaw, version: number, xid: number, bodyLen: number, flags = 0): Buffer {
  const info = rawInfo(raw);
  if (version < info.minVersion || version > info.maxVersion) {
    throw new RangeError(`${raw} does not exist in OpenFlow version 0x${version.toString(16)}`);
  }
  const h = rawHdrs(info, version);
  const header = Buffer.alloc(hdrsLen(h));
  if (header.length + bodyLen > OFP_MAX_MSG_LEN) {
    throw new RangeError(`${raw} of ${header.length + bodyLen} bytes exceeds the OpenFlow message limit`);
  }
  header[0] = version;
  header[1] = h.type;
  header.writeUInt16BE(header.length + bodyLen, 2);
  header.writeUInt32BE(xid >>> 0, 4);
  if (h.type === OFPT_VENDOR) {
    header.writeUInt32BE(h.vendor, 8);
    header.writeUInt32BE(h.subtype, 12);
  } else if (isStatsType(version, h.type)) {
    header.writeUInt16BE(h.stat, 8);
    header.writeUInt16BE(flags, 10);
    if (h.stat === OFPST_VENDOR) {
      header.writeUInt32BE(h.vendor, version === OFP10_VERSION ? 12 : 16);
      header.writeUInt32BE(h.subtype, version === OFP10_VERSION ? 16 : 20);
    }
  }
  return header;
}

/**
 * Encodes a whole message: the headers of `raw` in `version`, then `body`.
 * @param flags stats/multipart flags (ignored for other messages).
 * @throws RangeError as `encodeMsgHeader`.
 */
export function encodeMsg(raw: OfpRaw, version: number, xid: number, body: Buffer, flags = 0): Buffer {
  return Buffer.concat([encodeMsgHeader(raw, version, xid, body.length, flags), body]);
}

/**
 * Encodes a multipart reply whose body is the concatenation of `items` (ofpmp_*): items are
 * packed into as few messages as fit in 65535 bytes each, never split, and every message but the
 * last carries OFPSF_REPLY_MORE. No items gives one reply with an empty body.
 * @throws RangeError if `raw` is not a stats reply in `version` or one item alone cannot fit.
 */
export function encodeMultipartReply(raw: OfpRaw, version: number, xid: number, items: Buffer[]): Buffer[] {
  const headerLen = encodeMsgHeader(raw, version, xid, 0).length;
  if (!isStatsReply(version, rawHdrs(rawInfo(raw), version).type)) throw new RangeError(`${raw} is not a multipart reply`);
  const parts: Buffer[][] = [[]];
  let size = headerLen;
  for (const item of items) {
    if (size + item.length > OFP_MAX_MSG_LEN && parts[parts.length - 1].length) {
      parts.push([]);
      size = headerLen;
    }
    parts[parts.length - 1].push(item);
    size += item.length;
  }
  return parts.map((part, i) => encodeMsg(raw, version, xid, Buffer.concat(part), i < parts.length - 1 ? OFPSF_REPLY_MORE : 0));
}

/**
 * The raw message that answers `request` in the request's version and family: a stats request's
 * reply has the same stats type/vendor/subtype (ofpraw_stats_request_to_reply); other requests
 * map by abstract type (FEATURES_REQUEST → OFPT13_FEATURES_REPLY in OpenFlow 1.3, NXT_ROLE_REQUEST
 * → NXT_ROLE_REPLY, …).
 * @throws RangeError if `request` is not a request with a reply.
 */
export function rawReplyFor(request: Pick<OfpMsg, 'raw' | 'version'>): OfpRaw {
  const info = rawInfo(request.raw);
  const h = rawHdrs(info, request.version);
  if (isStatsRequest(request.version, h.type)) {
    const reply = RAW_BY_HDRS.get(hdrsKey({ ...h, type: h.type + 1 }));
    if (reply) return reply.raw;
  } else if (info.type.endsWith('_REQUEST')) {
    const replyType = info.type.replace(/_REQUEST$/, '_REPLY');
    for (const r of RAWS.values()) {
      if (r.type === replyType && r.kind === info.kind && request.version >= r.minVersion && request.version <= r.maxVersion) {
        return r.raw;
      }
    }
  }
  throw new RangeError(`${request.raw} has no reply`);
}

/**
 * The raw message for abstract `type` in `version`, preferring the standard message over a
 * Nicira/ONF one (e.g. 'PACKET_IN', 4 → 'OFPT13_PACKET_IN'; 'ROLE_STATUS', 4 →
 * 'ONFT13_ROLE_STATUS'; 'SET_FLOW_FORMAT', 1 → 'NXT_SET_FLOW_FORMAT').
 * @returns `undefined` if no message of that type exists in `version`.
 */
export function ofpRawFor(type: OfpType, version: number): OfpRaw | undefined {
  let found: RawInfo | undefined;
  for (const r of RAWS.values()) {
    if (r.type !== type || version < r.minVersion || version > r.maxVersion) continue;
    if (r.kind.startsWith('OFP')) return r.raw;
    found ??= r;
  }
  return found?.raw;
}

/**
 * One OpenFlow 1.3+ property (TLV) from a message body: `ofp_prop_header {be16 type; be16 len}`
 * or, for experimenter types, `ofp_prop_experimenter {be16 type; be16 len; be32 experimenter;
 * be32 exp_type}` (OpenFlow 1.4 §7.2.3.9; OVS lib/ofp-prop.c).
 */
export interface OfpProp {
  /** Wire type; experimenter properties keep theirs (0xffff, or 0xfffe in async config). */
  type: number;
  /** Experimenter id and experimenter type; both 0 for standard properties. */
  experimenter: number;
  expType: number;
  /** The whole property, header included, `len` bytes (trailing padding excluded). */
  data: Buffer;
  /** What follows the 4- or 12-byte header within `len`. */
  payload: Buffer;
}

/**
 * Iterates over the properties in `buf` (ofpprop_pull__), lazily so that errors surface in
 * the order OVS meets them: a property's processing error comes before a later property's
 * framing error.
 * @param alignment each property occupies `len` rounded up to this many bytes (8 in OpenFlow).
 * @param minExp wire types ≥ this are experimenter properties (0xffff, or 0xfffe for async
 *        config; 0x10000 when the message has none).
 * @throws OfpError OFPBPC_BAD_LEN (length < header, or beyond the buffer once padded),
 *         OFPBPC_BAD_EXPERIMENTER (experimenter id 0).
 */
export function* pullProperties(buf: Buffer, alignment = 8, minExp = 0xffff): Generator<OfpProp> {
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 4) throw new OfpError('OFPBPC_BAD_LEN', `${buf.length - off} trailing bytes cannot hold a property`);
    const type = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    const padded = Math.ceil(len / alignment) * alignment;
    if (len < 4 || padded > buf.length - off) throw new OfpError('OFPBPC_BAD_LEN', `property ${type} has bad length ${len}`);
    const data = buf.subarray(off, off + len);
    if (type < minExp) {
      yield { type, experimenter: 0, expType: 0, data, payload: data.subarray(4) };
    } else {
      if (len < 12) throw new OfpError('OFPBPC_BAD_LEN', `experimenter property has bad length ${len}`);
      const experimenter = data.readUInt32BE(4);
      if (!experimenter) throw new OfpError('OFPBPC_BAD_EXPERIMENTER', 'experimenter property with experimenter 0');
      yield { type, experimenter, expType: data.readUInt32BE(8), data, payload: data.subarray(12) };
    }
    off += padded;
  }
}

/**
 * Encodes a property (ofpprop_put): a standard one when `exp` is absent, else an experimenter
 * one with wire type 0xffff (or `exp.type`, e.g. 0xfffe for primary async config).
 * @returns the property padded with zeros to a multiple of 8 bytes; `len` excludes the padding.
 */
export function encodeProperty(type: number, payload: Buffer,
  exp?: { experimenter: number; expType: number; type?: number }): Buffer {
  const headerLen = exp ? 12 : 4;
  const len = headerLen + payload.length;
  const out = Buffer.alloc(Math.ceil(len / 8) * 8);
  out.writeUInt16BE(exp ? exp.type ?? 0xffff : type, 0);
  out.writeUInt16BE(len, 2);
  if (exp) {
    out.writeUInt32BE(exp.experimenter, 4);
    out.writeUInt32BE(exp.expType, 8);
  }
  payload.copy(out, headerLen);
  return out;
}

/** Encodes a standard property holding a 16-bit value, padded to 8 bytes as the specs do. */
export function encodePropU16(type: number, value: number): Buffer {
  const v = Buffer.alloc(4);
  v.writeUInt16BE(value, 0);
  return encodeProperty(type, v);
}

/** Encodes a standard property holding a 32-bit value. */
export function encodePropU32(type: number, value: number): Buffer {
  const v = Buffer.alloc(4);
  v.writeUInt32BE(value >>> 0, 0);
  return encodeProperty(type, v);
}

const badPropLen = (p: OfpProp) => new OfpError('OFPBPC_BAD_LEN', `property ${p.type} has length ${p.data.length}`);

/** A property's 8-bit value (at least 1 payload byte, as OVS allows). @throws OfpError OFPBPC_BAD_LEN */
export function propU8(p: OfpProp): number {
  if (p.payload.length < 1) throw badPropLen(p);
  return p.payload[0];
}

/** A property's 16-bit value (at least 2 payload bytes). @throws OfpError OFPBPC_BAD_LEN */
export function propU16(p: OfpProp): number {
  if (p.payload.length < 2) throw badPropLen(p);
  return p.payload.readUInt16BE(0);
}

/** A property's 32-bit value (exactly 4 payload bytes). @throws OfpError OFPBPC_BAD_LEN */
export function propU32(p: OfpProp): number {
  if (p.payload.length !== 4) throw badPropLen(p);
  return p.payload.readUInt32BE(0);
}

/**
 * A property's 64-bit value, which starts at the first 8-byte boundary after the header (so
 * 4 pad bytes follow a standard header). @throws OfpError OFPBPC_BAD_LEN
 */
export function propU64(p: OfpProp): bigint {
  const at = p.experimenter ? 16 : 8;
  if (p.data.length !== at + 8) throw badPropLen(p);
  return p.data.readBigUInt64BE(at);
}

/**
 * Handles a property the decoder does not know (ofpprop_unknown): ignored when `loose` (what
 * a switch does with properties it only reports), else an error.
 * @throws OfpError OFPBPC_BAD_TYPE (standard) or OFPBPC_BAD_EXP_TYPE (experimenter) unless loose.
 */
export function unknownProperty(p: OfpProp, loose: boolean, what: string): void {
  if (loose) return;
  if (p.experimenter) {
    throw new OfpError('OFPBPC_BAD_EXP_TYPE',
      `unknown ${what} property type for exp_id 0x${p.experimenter.toString(16)}, exp_type ${p.expType}`);
  }
  throw new OfpError('OFPBPC_BAD_TYPE', `unknown ${what} property type ${p.type}`);
}

/** How long a partly received multipart request waits for its next part (ms). */
export const MULTIPART_REQUEST_TIMEOUT_MS = 1000;
/** The most bytes one multipart request may span (table features requests can exceed 1 MB). */
export const MULTIPART_REQUEST_MAX_BYTES = 4 * 1024 * 1024;
/** OpenFlow 1.3+ multipart request flag: more parts follow (same bit as OFPSF_REPLY_MORE). */
export const OFPMPF_REQ_MORE = 0x0001;

interface PartialRequest {
  raw: OfpRaw;
  version: number;
  xid: number;
  timeout: number;
  parts: Buffer[];
  size: number;
  hasBody: boolean;
}

/**
 * Reassembles multipart requests split over several messages with OFPMPF_REQ_MORE (OpenFlow
 * 1.3+), per connection — OVS's ofpmp_assembler. Every statistics request goes through it
 * (single parts too), before decodeMsg, so that the per-part checks are the same as OVS's: a
 * part may have an empty body even when its request needs one, provided some part has one.
 */
export class MultipartAssembler {
  private readonly partials = new Map<number, PartialRequest>();

  /**
   * Submits one received message.
   * @param buf one whole message; @param now current time in ms.
   * @returns the messages to process now: `[buf]` for anything that is not a statistics
   *          request, `[]` while a request is incomplete, else its parts in order (parts with
   *          empty bodies dropped, keeping at least one).
   * @throws OfpError to answer with an error reply to `buf` (the partial request is dropped):
   *         header errors as decodeMsg, OFPBRC_BAD_LEN (a part's body length, or no part has
   *         the body the request needs), OFPBRC_BAD_STAT (a part of another type with the same
   *         xid), OFPBRC_MULTIPART_BUFFER_OVERFLOW (more than 4 MB).
   */
  execute(buf: Buffer, now: number): Buffer[] {
    if (buf.length < OFP_HEADER_LEN || !isStatsRequest(buf[0], buf[1])) return [buf];
    const h = decodeHdrs(buf);
    const info = rawFromHdrs(h);
    const minLen = hdrsLen(h);
    const hasBody = buf.length > minLen;
    if (hasBody) checkLength(info, minLen, buf.length);
    const xid = buf.readUInt32BE(4);
    let p = this.partials.get(xid);
    if (!p) {
      p = { raw: info.raw, version: h.version, xid, timeout: 0, parts: [], size: 0, hasBody: false };
      this.partials.set(xid, p);
    }
    p.timeout = now + MULTIPART_REQUEST_TIMEOUT_MS;
    if (p.raw !== info.raw) {
      this.partials.delete(xid);
      throw new OfpError('OFPBRC_BAD_STAT', `multipart request part ${info.raw} continues ${p.raw}`);
    }
    p.size += buf.length;
    if (p.size > MULTIPART_REQUEST_MAX_BYTES) {
      this.partials.delete(xid);
      throw new OfpError('OFPBRC_MULTIPART_BUFFER_OVERFLOW',
        `multipart request of more than ${MULTIPART_REQUEST_MAX_BYTES} bytes`);
    }
    const more = h.version >= OFP13_VERSION && (buf.readUInt16BE(10) & OFPMPF_REQ_MORE) !== 0;
    if (hasBody) p.hasBody = true;
    if (!more && !p.hasBody && info.minBody) {
      this.partials.delete(xid);
      throw new OfpError('OFPBRC_BAD_LEN', `${ofpRawName(info.raw)} without a body`);
    }
    p.parts.push(buf);
    if (more) return [];
    this.partials.delete(xid);
    const out = [...p.parts];
    for (const part of p.parts) {
      if (part.length <= minLen && out.length > 1) out.splice(out.indexOf(part), 1);
    }
    return out;
  }

  /**
   * Expires requests whose next part did not come in time (ofpmp_assembler_run).
   * @returns an OFPBRC_MULTIPART_REQUEST_TIMEOUT error reply to the last part received of one
   *          expired request, or `undefined`; call again until `undefined`.
   */
  run(now: number): Buffer | undefined {
    for (const [xid, p] of this.partials) {
      if (now >= p.timeout) {
        this.partials.delete(xid);
        return encodeErrorMsg('OFPBRC_MULTIPART_REQUEST_TIMEOUT', p.version, xid, p.parts[p.parts.length - 1]);
      }
    }
    return undefined;
  }

  /** When the next partial request expires (ms), or Infinity. */
  nextTimeout(): number {
    let t = Infinity;
    for (const p of this.partials.values()) t = Math.min(t, p.timeout);
    return t;
  }

  /** Drops every partial request (connection closed). */
  clear(): void {
    this.partials.clear();
  }
}
