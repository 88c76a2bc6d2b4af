/**
 * Nicira conntrack flush requests (OVS 3.1 `lib/ofp-ct.c`, nicira-ext.h): NXT_CT_FLUSH_ZONE
 * (`struct nx_zone_id`: 6 zero bytes, be16 zone) and NXT_CT_FLUSH (`struct nx_ct_flush`: u8
 * ip_proto, 7 zero bytes, then properties NXT_CT_ORIG_TUPLE=0, NXT_CT_REPLY_TUPLE=1 (nested
 * tuples) and NXT_CT_ZONE_ID=2 (be16)).
 */
import { OfpError } from './ofp-errors';
import { OfpMsg, propU16, pullProperties } from './ofp-msgs';

/** NXT_CT_FLUSH property types. */
export const NXT_CT_ORIG_TUPLE = 0;
export const NXT_CT_REPLY_TUPLE = 1;
export const NXT_CT_ZONE_ID = 2;

/** What a conntrack flush request selects. */
export interface CtFlushRequest {
  /** the zone to flush; undefined = every zone */
  zone?: number;
  /** IP protocol the tuples are for (0 = any) */
  ipProto: number;
  /**
   * original/reply tuples of an entry-specific flush, as raw property payloads; absent when the
   * request has none or only all-zero ones (ovs-ofctl sends those when no tuple is given, and
   * OVS's `ofp_ct_match_is_zero()` treats them as none)
   */
  origTuple?: Buffer;
  replyTuple?: Buffer;
}

/** A nested tuple whose every property value is zero (OVS `ofp_ct_tuple_is_zero`). */
function tupleIsZero(nested: Buffer): boolean {
  for (const p of pullProperties(nested, 8, 0x10000)) if (p.payload.some((b) => b !== 0)) return false;
  return true;
}

function mustBeZero(b: Buffer): void {
  if (b.some((x) => x !== 0)) throw new OfpError('NXBRC_MUST_BE_ZERO');
}

/**
 * Decodes NXT_CT_FLUSH_ZONE (OVS `handle_nxt_ct_flush_zone`).
 * @throws OfpError NXBRC_MUST_BE_ZERO when the padding is not zero
 */
export function decodeCtFlushZone(msg: OfpMsg): CtFlushRequest {
  mustBeZero(msg.body.subarray(0, 6));
  return { zone: msg.body.readUInt16BE(6), ipProto: 0 };
}

/**
 * Decodes NXT_CT_FLUSH (OVS `ofp_ct_match_decode`); unknown property types are ignored, as OVS
 * does.
 * @throws OfpError NXBRC_MUST_BE_ZERO for nonzero padding, OFPBPC_BAD_LEN for bad properties
 */
export function decodeCtFlush(msg: OfpMsg): CtFlushRequest {
  mustBeZero(msg.body.subarray(1, 8));
  const r: CtFlushRequest = { ipProto: msg.body[0] };
  for (const p of pullProperties(msg.body.subarray(8), 8, 0x10000)) {
    if (p.type === NXT_CT_ZONE_ID) r.zone = propU16(p);
    else if (p.type === NXT_CT_ORIG_TUPLE && !tupleIsZero(p.payload)) r.origTuple = p.payload;
    else if (p.type === NXT_CT_REPLY_TUPLE && !tupleIsZero(p.payload)) r.replyTuple = p.payload;
  }
  return r;
}
