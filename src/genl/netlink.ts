/**
 * Netlink and Generic Netlink message framing, as laid out in `<linux/netlink.h>` and
 * `<linux/genetlink.h>`: pure functions from bytes to messages and back, shared by the control
 * socket (main thread) and the native upcall sockets (workers).
 *
 * Layout: `struct nlmsghdr` (16 bytes: u32 `nlmsg_len` including the header, u16 `nlmsg_type`,
 * u16 `nlmsg_flags`, u32 `nlmsg_seq`, u32 `nlmsg_pid`), then for Generic Netlink a
 * `struct genlmsghdr` (4 bytes: u8 `cmd`, u8 `version`, u16 reserved), then the family's body.
 * Every integer is host byte order (little-endian on the platforms we run on); messages in a
 * datagram are each padded to 4 bytes (NLMSG_ALIGNTO).
 */
import { constants as osConstants } from 'os';
import { getSystemErrorMap } from 'util';
import { attrMap, parseAttrs, readString } from './nlattr';

/** Size of `struct nlmsghdr` in bytes (`NLMSG_HDRLEN`). */
export const NLMSG_HDRLEN = 16;
/** Size of `struct genlmsghdr` in bytes (`GENL_HDRLEN`). */
export const GENL_HDRLEN = 4;

// nlmsg_flags: standard flag bits.
/** It is a request message. */
export const NLM_F_REQUEST = 0x01;
/** Multipart message, terminated by NLMSG_DONE. */
export const NLM_F_MULTI = 0x02;
/** Reply with an acknowledgement (NLMSG_ERROR with error 0) on success. */
export const NLM_F_ACK = 0x04;
/** Echo this request (to the sender's multicast listeners). */
export const NLM_F_ECHO = 0x08;
/** Dump was inconsistent due to a sequence change. */
export const NLM_F_DUMP_INTR = 0x10;
/** Dump was filtered as requested. */
export const NLM_F_DUMP_FILTERED = 0x20;

// Modifiers to GET requests.
/** Return the complete table instead of a single entry. */
export const NLM_F_ROOT = 0x100;
/** Return all entries matching the criteria passed in the message content. */
export const NLM_F_MATCH = 0x200;
/** Return an atomic snapshot of the table. */
export const NLM_F_ATOMIC = 0x400;
/** `NLM_F_ROOT | NLM_F_MATCH`. */
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;

// Modifiers to NEW requests.
/** Override an existing object. */
export const NLM_F_REPLACE = 0x100;
/** Do not touch the object if it already exists. */
export const NLM_F_EXCL = 0x200;
/** Create the object if it does not exist. */
export const NLM_F_CREATE = 0x400;
/** Add to the end of the object list. */
export const NLM_F_APPEND = 0x800;

// Flags for ACK (NLMSG_ERROR) messages.
/** The request was capped: only its header is echoed (the socket has NETLINK_CAP_ACK). */
export const NLM_F_CAPPED = 0x100;
/** Extended ACK TLVs (`NLMSGERR_ATTR_*`) follow the echoed request. */
export const NLM_F_ACK_TLVS = 0x200;

// nlmsg_type values reserved for control messages.
/** Nothing; ignore. */
export const NLMSG_NOOP = 0x1;
/** Error or acknowledgement; payload is `struct nlmsgerr`. */
export const NLMSG_ERROR = 0x2;
/** End of a multipart message; payload is an int (the dump's error, if any). */
export const NLMSG_DONE = 0x3;
/** Data lost. */
export const NLMSG_OVERRUN = 0x4;
/** First type available to protocols (values below are control messages). */
export const NLMSG_MIN_TYPE = 0x10;

// enum nlmsgerr_attrs: TLVs after `struct nlmsgerr` when NLM_F_ACK_TLVS is set.
/** Error message string (NUL-terminated). */
export const NLMSGERR_ATTR_MSG = 1;
/** u32 offset of the offending attribute from the start of the original `nlmsghdr`. */
export const NLMSGERR_ATTR_OFFS = 2;
/** Arbitrary subsystem-specific cookie. */
export const NLMSGERR_ATTR_COOKIE = 3;
/** Nested policy of the offending attribute. */
export const NLMSGERR_ATTR_POLICY = 4;
/** u32 type of a missing required attribute. */
export const NLMSGERR_ATTR_MISS_TYPE = 5;
/** u32 offset of the nest where an attribute was missing. */
export const NLMSGERR_ATTR_MISS_NEST = 6;

/** `NETLINK_GENERIC`, the netlink protocol number of Generic Netlink (`<linux/netlink.h>`). */
export const NETLINK_GENERIC = 16;

/** Family id of the Generic Netlink controller, "nlctrl" (`GENL_ID_CTRL = NLMSG_MIN_TYPE`). */
export const GENL_ID_CTRL = NLMSG_MIN_TYPE;
/**
 * Version sent in requests to the controller. The kernel ignores it; 1 is what Open vSwitch
 * (`lib/netlink-socket.c`) and libnl send.
 */
export const CTRL_VERSION = 1;

// Controller commands (enum in <linux/genetlink.h>).
export const CTRL_CMD_UNSPEC = 0;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_DELFAMILY = 2;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_CMD_NEWOPS = 4;
export const CTRL_CMD_DELOPS = 5;
export const CTRL_CMD_GETOPS = 6;
export const CTRL_CMD_NEWMCAST_GRP = 7;
export const CTRL_CMD_DELMCAST_GRP = 8;
export const CTRL_CMD_GETMCAST_GRP = 9;
export const CTRL_CMD_GETPOLICY = 10;

// Controller attributes.
export const CTRL_ATTR_UNSPEC = 0;
/** u16 family id. */
export const CTRL_ATTR_FAMILY_ID = 1;
/** NUL-terminated family name (at most GENL_NAMSIZ - 1 = 15 characters). */
export const CTRL_ATTR_FAMILY_NAME = 2;
/** u32 family version. */
export const CTRL_ATTR_VERSION = 3;
/** u32 size of the family's fixed header (e.g. `struct ovs_header`). */
export const CTRL_ATTR_HDRSIZE = 4;
/** u32 highest attribute type of the family. */
export const CTRL_ATTR_MAXATTR = 5;
/** Nested list of the family's operations. */
export const CTRL_ATTR_OPS = 6;
/** Nested list of the family's multicast groups. */
export const CTRL_ATTR_MCAST_GROUPS = 7;
export const CTRL_ATTR_POLICY = 8;
export const CTRL_ATTR_OP_POLICY = 9;
export const CTRL_ATTR_OP = 10;

// Attributes of one entry in CTRL_ATTR_MCAST_GROUPS.
/** NUL-terminated group name. */
export const CTRL_ATTR_MCAST_GRP_NAME = 1;
/** u32 group id (what `NETLINK_ADD_MEMBERSHIP` takes). */
export const CTRL_ATTR_MCAST_GRP_ID = 2;

/** Rounds `len` (bytes) up to the 4-byte netlink message alignment (`NLMSG_ALIGN`). */
export function nlmsgAlign(len: number): number {
  return (len + 3) & ~3;
}

/** One netlink message as found in a datagram. */
export interface RawNlMsg {
  /** `nlmsg_type`: a control type (NLMSG_*) or, for Generic Netlink, the family id. */
  type: number;
  /** `nlmsg_flags` (NLM_F_*). */
  flags: number;
  /** `nlmsg_seq`. */
  seq: number;
  /** `nlmsg_pid`: the sender's port id (0 for the kernel). */
  pid: number;
  /** Bytes after the 16-byte `nlmsghdr`, without padding; a view into the datagram. */
  payload: Buffer;
}

/** What {@link encodeGenlMessage} needs to build one Generic Netlink message. */
export interface GenlMessageSpec {
  /** `nlmsg_type`: the family id. */
  type: number;
  /** `nlmsg_flags` (NLM_F_*). */
  flags: number;
  /** `nlmsg_seq`. */
  seq: number;
  /** `nlmsg_pid`: the sender's port id; 0 lets the kernel fill in the socket's. */
  pid: number;
  /** `genlmsghdr.cmd`. */
  cmd: number;
  /** `genlmsghdr.version`. */
  version: number;
  /** The family body (for OVS: `struct ovs_header` then attributes). */
  payload: Buffer;
}

/**
 * Builds one Generic Netlink message: `nlmsghdr` (16 bytes) + `genlmsghdr` (4 bytes) + payload,
 * padded to 4 bytes; `nlmsg_len` counts the headers and payload but not the final padding
 * (as `nlmsg_end` does).
 * @throws RangeError when the message would not fit the u32 `nlmsg_len`
 */
export function encodeGenlMessage(m: GenlMessageSpec): Buffer {
  const len = NLMSG_HDRLEN + GENL_HDRLEN + m.payload.length;
  if (len > 0xffffffff) throw new RangeError(`netlink message too long: ${len} bytes`);
  const out = Buffer.alloc(nlmsgAlign(len));
  out.writeUInt32LE(len, 0);
  out.writeUInt16LE(m.type, 4);
  out.writeUInt16LE(m.flags, 6);
  out.writeUInt32LE(m.seq >>> 0, 8);
  out.writeUInt32LE(m.pid >>> 0, 12);
  out.writeUInt8(m.cmd, 16);
  out.writeUInt8(m.version, 17);
  m.payload.copy(out, NLMSG_HDRLEN + GENL_HDRLEN);
  return out;
}

/**
 * Splits a datagram into its netlink messages (`NLMSG_OK`/`NLMSG_NEXT`). Trailing bytes too
 * short to hold a header are ignored, as the kernel does.
 * @param datagram bytes received from a netlink socket
 * @returns the messages in order; payloads are views into `datagram`
 * @throws RangeError when a header's `nlmsg_len` is shorter than the header or runs past the end
 */
export function splitMessages(datagram: Buffer): RawNlMsg[] {
  const out: RawNlMsg[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= datagram.length) {
    const len = datagram.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > datagram.length) {
      throw new RangeError(`malformed netlink message at offset ${off}: nlmsg_len ${len}, ${datagram.length - off} bytes left`);
    }
    out.push({
      type: datagram.readUInt16LE(off + 4),
      flags: datagram.readUInt16LE(off + 6),
      seq: datagram.readUInt32LE(off + 8),
      pid: datagram.readUInt32LE(off + 12),
      payload: datagram.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += nlmsgAlign(len);
  }
  return out;
}

/** A decoded `struct genlmsghdr` and what follows it. */
export interface GenlHeader {
  cmd: number;
  version: number;
  /** The family body after the 4-byte header; a view into the payload. */
  body: Buffer;
}

/**
 * Reads the `genlmsghdr` at the start of a message payload.
 * @throws RangeError when the payload is shorter than 4 bytes
 */
export function decodeGenlHeader(payload: Buffer): GenlHeader {
  if (payload.length < GENL_HDRLEN) {
    throw new RangeError(`generic netlink message too short: ${payload.length} bytes, need ${GENL_HDRLEN}`);
  }
  return { cmd: payload[0], version: payload[1], body: payload.subarray(GENL_HDRLEN) };
}

/** A decoded NLMSG_ERROR message. */
export interface NlMsgErr {
  /** Positive errno; 0 for an acknowledgement. */
  errno: number;
  /** `NLMSGERR_ATTR_MSG`: the kernel's explanation, when it gave one. */
  extackMsg?: string;
  /** `NLMSGERR_ATTR_OFFS`: offset in bytes of the offending attribute from the start of the request's `nlmsghdr`. */
  extackOffset?: number;
}

/**
 * Decodes the payload of an NLMSG_ERROR message: `struct nlmsgerr` (s32 `error`, negative errno
 * or 0, then the request's `nlmsghdr`, followed by the request's payload unless NLM_F_CAPPED),
 * then extended-ACK TLVs when NLM_F_ACK_TLVS is set (`<linux/netlink.h>`, netlink(7)).
 * @param payload the message bytes after its own `nlmsghdr`
 * @param flags the NLMSG_ERROR message's `nlmsg_flags`
 * @throws RangeError when the payload is too short for `struct nlmsgerr` or the TLVs are malformed
 */
export function parseNlmsgerr(payload: Buffer, flags: number): NlMsgErr {
  if (payload.length < 4 + NLMSG_HDRLEN) {
    throw new RangeError(`NLMSG_ERROR payload too short: ${payload.length} bytes`);
  }
  const err: NlMsgErr = { errno: -payload.readInt32LE(0) | 0 };
  if (!(flags & NLM_F_ACK_TLVS)) return err;
  const echoed = flags & NLM_F_CAPPED ? NLMSG_HDRLEN : payload.readUInt32LE(4);
  const tlvStart = 4 + nlmsgAlign(echoed);
  if (tlvStart > payload.length) {
    throw new RangeError(`NLMSG_ERROR echoes ${echoed} bytes of the request but holds only ${payload.length - 4}`);
  }
  const tlvs = attrMap(payload.subarray(tlvStart));
  const msg = tlvs.get(NLMSGERR_ATTR_MSG);
  if (msg) err.extackMsg = readString(msg);
  const offs = tlvs.get(NLMSGERR_ATTR_OFFS);
  if (offs && offs.length >= 4) err.extackOffset = offs.readUInt32LE(0);
  return err;
}

/**
 * Decodes the payload of an NLMSG_DONE message: an int holding the dump's result (0, or a
 * negative errno when the dump failed part way), then extended-ACK TLVs when NLM_F_ACK_TLVS is
 * set. Old kernels send an empty payload, which reads as success.
 * @throws RangeError when the TLVs are malformed
 */
export function parseNlmsgDone(payload: Buffer, flags: number): NlMsgErr {
  if (payload.length < 4) return { errno: 0 };
  const done: NlMsgErr = { errno: -payload.readInt32LE(0) | 0 };
  if (flags & NLM_F_ACK_TLVS) {
    const msg = attrMap(payload.subarray(4)).get(NLMSGERR_ATTR_MSG);
    if (msg) done.extackMsg = readString(msg);
  }
  return done;
}

/** errno number → name, from Node's table (the kernel's names; EOPNOTSUPP over its alias ENOTSUP). */
const ERRNO_NAMES: Map<number, string> = (() => {
  const m = new Map<number, string>();
  for (const [name, n] of Object.entries(osConstants.errno)) {
    if (name !== 'ENOTSUP' && !m.has(n)) m.set(n, name);
  }
  return m;
})();

/** The symbolic name of a positive errno (`'ENOENT'`), or `'E<n>'` when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

function errnoText(errno: number): string {
  const text = getSystemErrorMap().get(-errno)?.[1] ?? `error ${errno}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A request the kernel refused (NLMSG_ERROR with a non-zero error, or a failed dump), or a
 * netlink socket failure while a request was outstanding.
 *
 * Message shape: `<context>: <strerror> (<CODE>); kernel says: "<extack>"`, e.g.
 * `OVS_VPORT_CMD_NEW br0: No such device (ENODEV); kernel says: "…"`.
 */
export class NetlinkError extends Error {
  /** Positive errno (`os.constants.errno`). */
  readonly errno: number;
  /** Symbolic errno, e.g. `'ENOENT'`. */
  readonly code: string;
  /** What we were doing, e.g. `"OVS_VPORT_CMD_NEW br0"`. */
  readonly context: string;
  /** The kernel's extended-ACK message (`NLMSGERR_ATTR_MSG`), when it sent one. */
  readonly extack?: string;
  /** `NLMSGERR_ATTR_OFFS`: offset of the offending attribute from the start of the request. */
  readonly extackOffset?: number;

  /**
   * @param errno positive errno
   * @param context what the caller was doing
   * @param extack kernel text, when present
   * @param extackOffset offending attribute's offset in the request, when present
   */
  constructor(errno: number, context: string, extack?: string, extackOffset?: number) {
    const code = errnoName(errno);
    super(`${context}: ${errnoText(errno)} (${code})${extack ? `; kernel says: "${extack}"` : ''}`);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = code;
    this.context = context;
    if (extack !== undefined) this.extack = extack;
    if (extackOffset !== undefined) this.extackOffset = extackOffset;
  }
}

/** A Generic Netlink family as described by the controller (CTRL_CMD_GETFAMILY). */
export interface GenlFamily {
  /** CTRL_ATTR_FAMILY_NAME. */
  name: string;
  /** CTRL_ATTR_FAMILY_ID: what goes in `nlmsg_type`. */
  id: number;
  /** CTRL_ATTR_VERSION. */
  version: number;
  /** CTRL_ATTR_HDRSIZE: size of the family's fixed header in bytes. */
  hdrSize: number;
  /** CTRL_ATTR_MAXATTR. */
  maxAttr: number;
  /** CTRL_ATTR_MCAST_GROUPS: group name → group id. */
  mcastGroups: Map<string, number>;
}

/**
 * Decodes the body (after `genlmsghdr`) of a CTRL_CMD_NEWFAMILY message, the controller's
 * answer to CTRL_CMD_GETFAMILY (`net/netlink/genetlink.c`, `ctrl_fill_info`). Absent numeric
 * attributes read as 0.
 * @throws RangeError when the attributes are malformed or the family id is missing
 */
export function decodeCtrlFamily(body: Buffer): GenlFamily {
  const a = attrMap(body);
  const id = a.get(CTRL_ATTR_FAMILY_ID);
  if (!id || id.length < 2) throw new RangeError('CTRL_CMD_NEWFAMILY without CTRL_ATTR_FAMILY_ID');
  const u32 = (t: number): number => {
    const v = a.get(t);
    return v && v.length >= 4 ? v.readUInt32LE(0) : 0;
  };
  const name = a.get(CTRL_ATTR_FAMILY_NAME);
  const mcastGroups = new Map<string, number>();
  const groups = a.get(CTRL_ATTR_MCAST_GROUPS);
  if (groups) {
    for (const g of parseAttrs(groups)) {
      const ga = attrMap(g.data);
      const gname = ga.get(CTRL_ATTR_MCAST_GRP_NAME);
      const gid = ga.get(CTRL_ATTR_MCAST_GRP_ID);
      if (gname && gid && gid.length >= 4) mcastGroups.set(readString(gname), gid.readUInt32LE(0));
    }
  }
  return {
    name: name ? readString(name) : '',
    id: id.readUInt16LE(0),
    version: u32(CTRL_ATTR_VERSION),
    hdrSize: u32(CTRL_ATTR_HDRSIZE),
    maxAttr: u32(CTRL_ATTR_MAXATTR),
    mcastGroups,
  };
}
