/**
 * OVS 3.1's `struct user_action_cookie` (lib/odp-util.h) for USER_ACTION_COOKIE_CONTROLLER: the
 * OVS_USERSPACE_ATTR_USERDATA of a `userspace(pid=…,controller(…))` datapath action, which the
 * kernel hands back unchanged as OVS_PACKET_ATTR_USERDATA of every OVS_PACKET_CMD_ACTION upcall
 * the action causes. 48 bytes, host byte order (little-endian here) except the rule cookie:
 *
 *   @0  u16 type (5)          @4  u32 ofp_in_port (OFPP_NONE)   @8 16-byte ofproto uuid
 *   @24 u8 dont_send  @25 u8 continuation  @26 u16 reason  @28 u32 recirc_id
 *   @32 be64 rule_cookie      @40 u16 controller_id   @42 u16 max_len   @44 4 bytes padding
 *
 * `ovs-dpctl dump-flows` prints it as `controller(reason=R,dont_send=D,continuation=C,
 * recirc_id=N,rule_cookie=0x…,controller_id=I,max_len=M)` (src/genl/actions.ts formats it).
 */
import { USER_ACTION_COOKIE_CONTROLLER, USER_ACTION_COOKIE_SIZE, USER_ACTION_COOKIE_UNION } from './actions';

/** The controller member of the cookie and the common header (OVS `put_controller_user_action()`). */
export interface ControllerCookie {
  /** OpenFlow in_port of the header; OVS always writes OFPP_NONE (0xffff) */
  ofpInPort: number;
  /** the 16-byte uuid of the ofproto (bridge) the action belongs to */
  ofprotoUuid: Buffer;
  /** the packet-in must not be sent (a translation without side effects: ofproto/trace) */
  dontSend: boolean;
  /** the packet-in is a continuation (`controller(pause)`) */
  continuation: boolean;
  /** OVS's internal OFPR_* reason (ofp-switch.ts) */
  reason: number;
  /** the recirculation id of the frozen state (table, metadata, userdata, …) */
  recircId: number;
  /** the cookie of the rule that sent the packet, 64 bits */
  ruleCookie: bigint;
  controllerId: number;
  /** bytes of the packet to send, 65535 = all */
  maxLen: number;
}

/** OFPP_NONE in OpenFlow 1.0 numbering, as OVS stores it in the 32-bit `ofp_port_t`. */
const OFPP_NONE = 0xffff;

/**
 * Encodes a controller cookie into its 48 bytes (OVS `put_controller_user_action()`'s memset
 * then field stores: padding is zero).
 * @throws RangeError when a field does not fit its width
 */
export function encodeControllerCookie(c: Omit<ControllerCookie, 'ofpInPort'> & { ofpInPort?: number }): Buffer {
  if (c.ofprotoUuid.length !== 16) throw new RangeError('ofproto uuid must be 16 bytes');
  const b = Buffer.alloc(USER_ACTION_COOKIE_SIZE);
  const u = USER_ACTION_COOKIE_UNION;
  b.writeUInt16LE(USER_ACTION_COOKIE_CONTROLLER, 0);
  b.writeUInt32LE(c.ofpInPort ?? OFPP_NONE, 4);
  c.ofprotoUuid.copy(b, 8);
  b[u] = c.dontSend ? 1 : 0;
  b[u + 1] = c.continuation ? 1 : 0;
  b.writeUInt16LE(c.reason, u + 2);
  b.writeUInt32LE(c.recircId >>> 0, u + 4);
  b.writeBigUInt64BE(BigInt.asUintN(64, c.ruleCookie), u + 8);
  b.writeUInt16LE(c.controllerId, u + 16);
  b.writeUInt16LE(c.maxLen, u + 18);
  return b;
}

/**
 * Decodes userdata as a controller cookie (OVS `classify_upcall()` then the CONTROLLER_UPCALL
 * reading): undefined when it is not 48 bytes or not of type USER_ACTION_COOKIE_CONTROLLER.
 */
export function decodeControllerCookie(b: Uint8Array | undefined): ControllerCookie | undefined {
  if (!b || b.length !== USER_ACTION_COOKIE_SIZE) return undefined;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.readUInt16LE(0) !== USER_ACTION_COOKIE_CONTROLLER) return undefined;
  const u = USER_ACTION_COOKIE_UNION;
  return {
    ofpInPort: buf.readUInt32LE(4),
    ofprotoUuid: Buffer.from(buf.subarray(8, 24)),
    dontSend: buf[u] !== 0,
    continuation: buf[u + 1] !== 0,
    reason: buf.readUInt16LE(u + 2),
    recircId: buf.readUInt32LE(u + 4),
    ruleCookie: buf.readBigUInt64BE(u + 8),
    controllerId: buf.readUInt16LE(u + 16),
    maxLen: buf.readUInt16LE(u + 18),
  };
}
