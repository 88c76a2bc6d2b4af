/**
 * OpenFlow bundles: OFPT_BUNDLE_CONTROL and OFPT_BUNDLE_ADD_MESSAGE (OpenFlow 1.4 §7.3.9) and
 * their OpenFlow 1.3 ONF extension forms ONFT_BUNDLE_CONTROL / ONFT_BUNDLE_ADD_MESSAGE (same
 * `ofp14_bundle_ctrl_msg` body). Facts follow OVS 3.1 lib/ofp-bundle.c; as OVS, trailing
 * bundle properties are ignored.
 */
import { OFP13_VERSION, OFP_HEADER_LEN } from './common';
import { OfpError } from './ofp-errors';
import type { OfpMsg, OfpRaw, OfpType } from './ofp-msgs';
import { decodeMsg, encodeMsg } from './ofp-msgs';
import { OfpStruct } from './ofp-flow';

/** Bundle control types (`ofp14_bundle_ctrl_type`). */
export const OFPBCT_OPEN_REQUEST = 0;
export const OFPBCT_OPEN_REPLY = 1;
export const OFPBCT_CLOSE_REQUEST = 2;
export const OFPBCT_CLOSE_REPLY = 3;
export const OFPBCT_COMMIT_REQUEST = 4;
export const OFPBCT_COMMIT_REPLY = 5;
export const OFPBCT_DISCARD_REQUEST = 6;
export const OFPBCT_DISCARD_REPLY = 7;

/** Bundle flags (`ofp14_bundle_flags`). */
export const OFPBF_ATOMIC = 1 << 0;
export const OFPBF_ORDERED = 1 << 1;

/** A bundle control message (OVS `struct ofputil_bundle_ctrl_msg`); `type` is OFPBCT_*, `flags` OFPBF_*. */
export interface BundleCtrl { bundleId: number; type: number; flags: number }

/**
 * A bundle add message (OVS `struct ofputil_bundle_add_msg`): the bundle, OFPBF_* flags, and the
 * embedded message (`msg`, whole, as bytes) with its abstract type.
 */
export interface BundleAdd { bundleId: number; flags: number; msg: Buffer; msgType: OfpType }

const OFP14_BUNDLE_CTRL_MSG = new OfpStruct('ofp14_bundle_ctrl_msg', [['bundleId', 'u32'], ['type', 'u16'], ['flags', 'u16']]);

/** The message types a bundle may carry (OVS ofputil_is_bundlable). */
const BUNDLABLE: ReadonlySet<OfpType> = new Set<OfpType>(['PORT_MOD', 'FLOW_MOD', 'GROUP_MOD', 'PACKET_OUT']);

function ctrlRaw(version: number): OfpRaw {
  return version === OFP13_VERSION ? 'ONFT13_BUNDLE_CONTROL' : 'OFPT14_BUNDLE_CONTROL';
}

/**
 * Decodes OFPT14_BUNDLE_CONTROL or ONFT13_BUNDLE_CONTROL (OVS ofputil_decode_bundle_ctrl).
 * @throws OfpError OFPBRC_BAD_TYPE for another message, OFPBRC_BAD_LEN when truncated
 */
export function decodeBundleCtrl(msg: OfpMsg): BundleCtrl {
  if (msg.type !== 'BUNDLE_CONTROL') throw new OfpError('OFPBRC_BAD_TYPE', `${msg.raw} is not a bundle control`);
  return OFP14_BUNDLE_CTRL_MSG.unpack(msg.body);
}

/**
 * Encodes a bundle control message for OpenFlow 1.3 (ONF extension) or 1.4+ (OVS
 * ofputil_encode_bundle_ctrl_request / _reply: a reply reuses the request's xid).
 * @throws OfpError OFPBRC_BAD_VERSION before OpenFlow 1.3
 */
export function encodeBundleCtrl(bc: BundleCtrl, version: number, xid: number): Buffer {
  if (version < OFP13_VERSION) throw new OfpError('OFPBRC_BAD_VERSION', 'bundles need OpenFlow 1.3 or later');
  return encodeMsg(ctrlRaw(version), version, xid, OFP14_BUNDLE_CTRL_MSG.pack(bc));
}

/**
 * Decodes OFPT14_BUNDLE_ADD_MESSAGE or ONFT13_BUNDLE_ADD_MESSAGE and checks the embedded
 * message as OVS does (ofputil_decode_bundle_add).
 * @throws OfpError OFPBFC_MSG_BAD_LEN (no room for, or a bad length of, the inner message),
 *         OFPBFC_BAD_VERSION (inner version differs), OFPBFC_MSG_BAD_XID (inner xid differs),
 *         OFPBFC_MSG_UNSUP (unparsable, or not a port_mod, flow_mod, group_mod or packet_out)
 */
export function decodeBundleAdd(msg: OfpMsg): BundleAdd {
  if (msg.type !== 'BUNDLE_ADD_MESSAGE') throw new OfpError('OFPBRC_BAD_TYPE', `${msg.raw} is not a bundle add`);
  const o = OFP14_BUNDLE_CTRL_MSG.unpack(msg.body);
  const rest = msg.body.subarray(OFP14_BUNDLE_CTRL_MSG.size);
  if (rest.length < OFP_HEADER_LEN) throw new OfpError('OFPBFC_MSG_BAD_LEN', 'no room for the bundled message');
  if (rest[0] !== msg.version) throw new OfpError('OFPBFC_BAD_VERSION', `bundled message version ${rest[0]}`);
  const innerLen = rest.readUInt16BE(2);
  if (innerLen < OFP_HEADER_LEN || innerLen > rest.length) throw new OfpError('OFPBFC_MSG_BAD_LEN', `bundled message length ${innerLen}`);
  if (rest.readUInt32BE(4) !== msg.xid) throw new OfpError('OFPBFC_MSG_BAD_XID', 'bundled message xid differs');
  const inner = rest.subarray(0, innerLen);
  let type: OfpType;
  try {
    type = decodeMsg(inner).type;
  } catch (e) {
    throw new OfpError('OFPBFC_MSG_UNSUP', `bundled message is unparsable (${(e as Error).message})`);
  }
  if (!BUNDLABLE.has(type)) throw new OfpError('OFPBFC_MSG_UNSUP', `${type} is not allowed in a bundle`);
  return { bundleId: o.bundleId, flags: o.flags, msg: inner, msgType: type };
}

/**
 * Encodes a bundle add message around `inner` (a whole OpenFlow message of the same version),
 * with the inner message's xid, as OpenFlow requires (OVS ofputil_encode_bundle_add).
 * @throws OfpError OFPBRC_BAD_VERSION before OpenFlow 1.3
 */
export function encodeBundleAdd(bundleId: number, flags: number, inner: Buffer, version: number): Buffer {
  if (version < OFP13_VERSION) throw new OfpError('OFPBRC_BAD_VERSION', 'bundles need OpenFlow 1.3 or later');
  return encodeMsg(version === OFP13_VERSION ? 'ONFT13_BUNDLE_ADD_MESSAGE' : 'OFPT14_BUNDLE_ADD_MESSAGE', version,
    inner.readUInt32BE(4), Buffer.concat([OFP14_BUNDLE_CTRL_MSG.pack({ bundleId, type: 0, flags }), inner]));
}
