/**
 * A raw OpenFlow client for differential tests, and the corpus of malformed messages it plays:
 * each corpus case is a few messages sent back to back on a connection to a switch's
 * `punix:<rundir>/<bridge>.mgmt` socket, and what the switch answered is recorded byte for byte,
 * so that Debian's ovs-vswitchd (OVS 3.1) and ts-vswitchd can be compared case by case
 * (test/kernel/ofp-malformed.test.ts). Pure apart from {@link probeCase}/{@link probeCorpus}
 * (sockets) and {@link buildMalformedCorpus} (reads the golden seeds).
 *
 * The exchange for one case: on a connection whose HELLO exchange made the case's version the
 * negotiated one (we send a plain 8-byte HELLO of that version, no version bitmap, and wait for
 * the switch's HELLO; OpenFlow 1.3.1 §6.3.1), send the case's messages and then an ECHO_REQUEST
 * with a marker xid, and record every message received until the ECHO_REPLY carrying the marker
 * (outcome `up`), or until the switch closes the connection (outcome `closed`; OVS does so for an
 * `ofp_header.length` below 8, `lib/vconn-stream.c`), or a time limit (outcome `timeout`). A
 * switch handles one connection's messages in order, so the echo reply comes after every reply
 * to the case. {@link probeCorpus} reuses a connection for consecutive cases of one version,
 * except around cases that may change connection state (role, async configuration, flow format,
 * open bundles, monitors: {@link MalformedCase.isolated}) and after a close or timeout, so such
 * state never leaks from one case into another; switch-wide state (flows, groups, meters, port
 * and table configuration) does carry over, the same for both switches since the corpus order
 * is fixed.
 *
 * xids: message K (0-based) of case I carries xid `0x100 + 16 I + K`; the marker echo carries
 * `0xec000000 + I`. A BUNDLE_ADD's inner message carries its outer message's xid, as OVS requires
 * (OFPBFC_MSG_BAD_XID otherwise), unless the case tests exactly that.
 *
 * The corpus ({@link buildMalformedCorpus}) is deterministic and covers OpenFlow 1.0, 1.3, 1.4
 * and 1.5 (some cases also 1.1 and 1.2): truncated messages of every major type, bad inner
 * lengths (match, OXM/NXM entry, action, instruction, property, bucket, band), unknown message
 * types, experimenters/vendors and subtypes, multipart types, OXM/NXM fields, actions and
 * instructions, unsatisfied prerequisites, bad ports/tables/groups/meters/buffers, bad versions
 * in the header, and messages near the 64 KiB limit, plus a few sequences (bundles, split
 * multipart requests). It embeds the malformed action and instruction encodings of
 * test/unit/golden/ofp-actions-malformed.json (judged by OVS 3.1's `ovs-ofctl parse-actions`)
 * inside flow_mods, and the PACKET_OUTs of test/unit/golden/ofp-session.json `packetOutErrors`
 * (captured against the reference).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import { decodeErrorMsg } from '../../../src/openflow/ofp-errors';

// ---------------------------------------------------------------------------------------------
// Byte helpers

/** Bytes: a Buffer, or hex text (blanks and `.` ignored). */
type Bytes = Buffer | string;

function bytes(b: Bytes): Buffer {
  return typeof b === 'string' ? Buffer.from(b.replace(/[\s.]/g, ''), 'hex') : b;
}

/** Concatenation of the parts. */
function cat(...parts: Bytes[]): Buffer {
  return Buffer.concat(parts.map(bytes));
}

function u8(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, n));
  return b;
}

function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

/** `b` followed by zero bytes up to a multiple of 8. */
function pad8(b: Bytes): Buffer {
  const buf = bytes(b);
  return cat(buf, zeros((8 - (buf.length % 8)) % 8));
}

/** `b` with the 16-bit length field at `off` set to `len` (default: the buffer's length). */
function withLen16(b: Bytes, off: number, len?: number): Buffer {
  const buf = Buffer.from(bytes(b));
  buf.writeUInt16BE(len ?? buf.length, off);
  return buf;
}

function mac(text: string): Buffer {
  return Buffer.from(text.split(':').map((x) => parseInt(x, 16)));
}

// ---------------------------------------------------------------------------------------------
// OpenFlow framing

/** An OpenFlow message: `ofp_header` {version, type, length, xid 0} + body. */
function ofpMsg(version: number, type: number, ...body: Bytes[]): Buffer {
  const b = cat(zeros(8), ...body);
  b[0] = version;
  b[1] = type;
  b.writeUInt16BE(b.length & 0xffff, 2);
  return b;
}

/** A copy of message `m` with `ofp_header.length` = `len` (the bytes are unchanged). */
function withLength(m: Buffer, len: number): Buffer {
  return withLen16(m, 2, len);
}

/** The first `n` bytes of message `m` with `ofp_header.length` = `n`. */
function cut(m: Buffer, n: number): Buffer {
  return withLength(Buffer.from(m.subarray(0, n)), n);
}

/** A copy of message `m` with byte `off` set to `v`. */
function poke8(m: Buffer, off: number, v: number): Buffer {
  const b = Buffer.from(m);
  b[off] = v;
  return b;
}

const NX_VENDOR_ID = 0x00002320;
const ONF_VENDOR_ID = 0x4f4e4600;
const OFPT_VENDOR = 4;

/** A Nicira extension message: vendor NX_VENDOR_ID, `subtype`. */
function nxt(v: number, subtype: number, ...body: Bytes[]): Buffer {
  return ofpMsg(v, OFPT_VENDOR, u32(NX_VENDOR_ID), u32(subtype), ...body);
}

/** An ONF extension message (OpenFlow 1.3 only): experimenter ONF_VENDOR_ID, `expType`. */
function onft(v: number, expType: number, ...body: Bytes[]): Buffer {
  return ofpMsg(v, OFPT_VENDOR, u32(ONF_VENDOR_ID), u32(expType), ...body);
}

/** OFPT_STATS_REQUEST (1.0, type 16) / OFPT_MULTIPART_REQUEST (1.1+, type 18) of `mpType`. */
function mpRequest(v: number, mpType: number, body: Bytes = '', flags = 0): Buffer {
  return v === 1 ? ofpMsg(v, 16, u16(mpType), u16(flags), body) : ofpMsg(v, 18, u16(mpType), u16(flags), zeros(4), body);
}

/** A vendor multipart request: Nicira (`nicira10_stats_msg`, `nicira11_stats_msg`) layout. */
function vendorMpRequest(v: number, vendor: number, subtype: number, body: Bytes = ''): Buffer {
  return v === 1
    ? ofpMsg(v, 16, u16(0xffff), u16(0), u32(vendor), u32(subtype), zeros(4), body)
    : ofpMsg(v, 18, u16(0xffff), u16(0), zeros(4), u32(vendor), u32(subtype), body);
}

// ---------------------------------------------------------------------------------------------
// Matches

/** An OXM entry of class OFPXMC12_OPENFLOW_BASIC (0x8000), `field` 0–127. */
function oxm(field: number, value: Bytes, mask?: Bytes): Buffer {
  if (field > 127) throw new RangeError(`OXM field ${field} does not fit in 7 bits`);
  const v = bytes(value);
  const m = mask === undefined ? Buffer.alloc(0) : bytes(mask);
  return cat(u16(0x8000), u8((field << 1) | (mask === undefined ? 0 : 1)), u8(v.length + m.length), v, m);
}

/** An NXM entry: class `cls` (0 = NXM_OF, 1 = NXM_NX), `field` (0–127), value and optional mask. */
function nxm(cls: number, field: number, value: Bytes, mask?: Bytes): Buffer {
  if (field > 127) throw new RangeError(`NXM field ${field} does not fit in 7 bits`);
  const v = bytes(value);
  const m = mask === undefined ? Buffer.alloc(0) : bytes(mask);
  return cat(u16(cls), u8((field << 1) | (mask === undefined ? 0 : 1)), u8(v.length + m.length), v, m);
}

/** OXM field numbers used below (OpenFlow 1.5 §7.2.3.7, `ovs-fields(7)`). */
const OXM = {
  IN_PORT: 0, METADATA: 2, ETH_DST: 3, ETH_SRC: 4, ETH_TYPE: 5, VLAN_VID: 6, VLAN_PCP: 7, IP_DSCP: 8, IP_ECN: 9,
  IP_PROTO: 10, IPV4_SRC: 11, IPV4_DST: 12, TCP_SRC: 13, TCP_DST: 14, UDP_SRC: 15, UDP_DST: 16, SCTP_DST: 18,
  ICMPV4_TYPE: 19, ARP_OP: 21, ARP_SPA: 22, IPV6_SRC: 26, IPV6_FLABEL: 28, ICMPV6_TYPE: 29, IPV6_ND_TARGET: 31,
  MPLS_LABEL: 34, MPLS_TC: 35, MPLS_BOS: 36, PBB_ISID: 37, TUNNEL_ID: 38, IPV6_EXTHDR: 39, PBB_UCA: 41,
  TCP_FLAGS: 42, ACTSET_OUTPUT: 43, PACKET_TYPE: 44,
} as const;

/** `ofp_match` of OpenFlow 1.2+ (type OFPMT_OXM), padded to 8 bytes. */
function oxmMatch(...entries: Bytes[]): Buffer {
  const fields = cat(...entries);
  return pad8(cat(u16(1), u16(4 + fields.length), fields));
}

const IPV4 = oxm(OXM.ETH_TYPE, '0800');
const TCP = oxm(OXM.IP_PROTO, '06');

/** `ofp10_match` fields; every field not given is wildcarded unless `wildcards` says otherwise. */
interface Match10 {
  wildcards?: number;
  inPort?: number;
  dlType?: number;
  nwProto?: number;
  nwSrc?: string;
  tpDst?: number;
  dlVlan?: number;
  dlVlanPcp?: number;
}

const OFPFW10_ALL = (1 << 22) - 1;

function match10(m: Match10 = {}): Buffer {
  let w = OFPFW10_ALL;
  if (m.inPort !== undefined) w &= ~1;
  if (m.dlVlan !== undefined) w &= ~(1 << 1);
  if (m.dlType !== undefined) w &= ~(1 << 4);
  if (m.nwProto !== undefined) w &= ~(1 << 5);
  if (m.tpDst !== undefined) w &= ~(1 << 7);
  if (m.nwSrc !== undefined) w &= ~(0x3f << 8);
  if (m.dlVlanPcp !== undefined) w &= ~(1 << 20);
  return cat(
    u32(m.wildcards ?? w), u16(m.inPort ?? 0), zeros(12), u16(m.dlVlan ?? 0), u8(m.dlVlanPcp ?? 0), zeros(1),
    u16(m.dlType ?? 0), zeros(1), u8(m.nwProto ?? 0), zeros(2),
    m.nwSrc === undefined ? zeros(4) : Buffer.from(m.nwSrc.split('.').map(Number)), zeros(6), u16(m.tpDst ?? 0),
  );
}

// ---------------------------------------------------------------------------------------------
// Actions and instructions

/** OpenFlow 1.0 OFPAT10_OUTPUT. */
function output10(port: number, maxLen = 0): Buffer {
  return cat(u16(0), u16(8), u16(port), u16(maxLen));
}

/** OpenFlow 1.1+ OFPAT11_OUTPUT. */
function output(port: number, maxLen = 0): Buffer {
  return cat(u16(0), u16(16), u32(port), u16(maxLen), zeros(6));
}

/** OpenFlow 1.1+ OFPAT11_GROUP. */
function groupAction(id: number): Buffer {
  return cat(u16(22), u16(8), u32(id));
}

/** OpenFlow 1.2+ OFPAT12_SET_FIELD of one OXM entry. */
function setField(entry: Bytes): Buffer {
  return withLen16(pad8(cat(u16(25), u16(0), entry)), 2);
}

/** A Nicira action: vendor NX_VENDOR_ID, `subtype`, body, padded to 8 bytes. */
function nxAction(subtype: number, body: Bytes = ''): Buffer {
  return withLen16(pad8(cat(u16(0xffff), u16(0), u32(NX_VENDOR_ID), u16(subtype), body)), 2);
}

/** OFPIT11_APPLY_ACTIONS (4) or OFPIT11_WRITE_ACTIONS (3) holding `actions`. */
function actionsInst(actions: Bytes, type = 4): Buffer {
  return withLen16(cat(u16(type), u16(0), zeros(4), actions), 2);
}

function gotoTable(t: number): Buffer {
  return cat(u16(1), u16(8), u8(t), zeros(3));
}

function meterInst(id: number): Buffer {
  return cat(u16(6), u16(8), u32(id));
}

// ---------------------------------------------------------------------------------------------
// Message builders (valid unless their arguments say otherwise)

const NO_BUFFER = 0xffffffff;
const ANY = 0xffffffff;

/** OFPT10_FLOW_MOD: `ofp10_flow_mod` + actions. */
function flowMod10(o: { match?: Bytes; command?: number; priority?: number; bufferId?: number; outPort?: number; flags?: number; actions?: Bytes } = {}): Buffer {
  return ofpMsg(1, 14, o.match ?? match10(), u64(0n), u16(o.command ?? 0), u16(0), u16(0), u16(o.priority ?? 0x8000),
    u32(o.bufferId ?? NO_BUFFER), u16(o.outPort ?? 0xffff), u16(o.flags ?? 0), o.actions ?? '');
}

/** OFPT11_FLOW_MOD (1.1+): `ofp11_flow_mod` + match + instructions. */
function flowMod(v: number, o: {
  match?: Bytes; table?: number; command?: number; priority?: number; bufferId?: number; outPort?: number;
  outGroup?: number; flags?: number; importance?: number; cookieMask?: bigint; insts?: Bytes;
} = {}): Buffer {
  return ofpMsg(v, 14, u64(0n), u64(o.cookieMask ?? 0n), u8(o.table ?? 0), u8(o.command ?? 0), u16(0), u16(0),
    u16(o.priority ?? 0x8000), u32(o.bufferId ?? NO_BUFFER), u32(o.outPort ?? ANY), u32(o.outGroup ?? ANY),
    u16(o.flags ?? 0), u16(o.importance ?? 0), o.match ?? oxmMatch(), o.insts ?? '');
}

/** The OpenFlow 1.1 standard match (`ofp11_match`, 88 bytes) matching everything. */
const MATCH11_ALL = cat(u16(0), u16(88), u32(0), u32(0x3ff), zeros(6), 'ffffffffffff', zeros(6), 'ffffffffffff', zeros(12), 'ffffffff', zeros(4), 'ffffffff', zeros(28), 'ffffffffffffffff');

/** NXT_FLOW_MOD (13): `nx_flow_mod` + NXM match + actions (1.0 actions in OpenFlow 1.0). */
function nxFlowMod(v: number, o: { match?: Bytes; matchLen?: number; command?: number; priority?: number; actions?: Bytes } = {}): Buffer {
  const m = bytes(o.match ?? '');
  return nxt(v, 13, u64(0n), u16(o.command ?? 0), u16(0), u16(0), u16(o.priority ?? 0x8000), u32(NO_BUFFER), u16(0xffff),
    u16(0), u16(o.matchLen ?? m.length), zeros(6), pad8(m), o.actions ?? '');
}

/** ARP request for 192.168.77.9 from 192.168.77.1 (no host on the test network answers). */
const PACKET = 'ffffffffffff02000000000108060001080006040001020000000001c0a84d01000000000000c0a84d09';

/** OFPT_PACKET_OUT of each version's layout. */
function packetOut(v: number, o: { bufferId?: number; inPort?: number; actions?: Bytes; actionsLen?: number; data?: Bytes; match?: Bytes } = {}): Buffer {
  const actions = bytes(o.actions ?? '');
  const len = o.actionsLen ?? actions.length;
  const data = o.data ?? PACKET;
  const buf = u32(o.bufferId ?? NO_BUFFER);
  if (v === 1) return ofpMsg(v, 13, buf, u16(o.inPort ?? 0xfffd), u16(len), actions, data);
  if (v <= 5) return ofpMsg(v, 13, buf, u32(o.inPort ?? 0xfffffffd), u16(len), zeros(6), actions, data);
  return ofpMsg(v, 13, buf, u16(len), zeros(2), o.match ?? oxmMatch(oxm(OXM.IN_PORT, u32(o.inPort ?? 0xfffffffd))), actions, data);
}

/** OFPT_PORT_MOD of each version's layout (1.4+: with `props`, default an ETHERNET property). */
function portMod(v: number, o: { port?: number; hw?: Bytes; config?: number; mask?: number; props?: Bytes } = {}): Buffer {
  const hw = o.hw ?? zeros(6);
  if (v === 1) return ofpMsg(v, 15, u16(o.port ?? 1), hw, u32(o.config ?? 0), u32(o.mask ?? 0), u32(0), zeros(4));
  if (v <= 4) return ofpMsg(v, 16, u32(o.port ?? 1), zeros(4), hw, zeros(2), u32(o.config ?? 0), u32(o.mask ?? 0), u32(0), zeros(4));
  return ofpMsg(v, 16, u32(o.port ?? 1), zeros(4), hw, zeros(2), u32(o.config ?? 0), u32(o.mask ?? 0), o.props ?? cat(u16(0), u16(8), u32(0)));
}

/** An `ofp11_bucket` (1.1–1.4). */
function bucket11(actions: Bytes, o: { weight?: number; watchPort?: number; watchGroup?: number; len?: number } = {}): Buffer {
  const a = bytes(actions);
  return cat(u16(o.len ?? 16 + a.length), u16(o.weight ?? 0), u32(o.watchPort ?? ANY), u32(o.watchGroup ?? ANY), zeros(4), a);
}

/** An `ofp15_bucket` with properties. */
function bucket15(actions: Bytes, o: { id?: number; props?: Bytes; len?: number; actionsLen?: number } = {}): Buffer {
  const a = bytes(actions);
  const p = bytes(o.props ?? '');
  return cat(u16(o.len ?? 8 + a.length + p.length), u16(o.actionsLen ?? a.length), u32(o.id ?? 0), a, p);
}

/** OFPT_GROUP_MOD (1.1–1.4 `ofp11_group_mod`; 1.5 `ofp15_group_mod`; 1.0: NXT 31 with the 1.5 layout). */
function groupMod(v: number, o: { command?: number; type?: number; id?: number; buckets?: Bytes; bucketsLen?: number; commandBucket?: number; props?: Bytes } = {}): Buffer {
  const b = bytes(o.buckets ?? '');
  if (v >= 2 && v <= 5) return ofpMsg(v, 15, u16(o.command ?? 0), u8(o.type ?? 0), zeros(1), u32(o.id ?? 1), b);
  const body = cat(u16(o.command ?? 0), u8(o.type ?? 0), zeros(1), u32(o.id ?? 1), u16(o.bucketsLen ?? b.length), zeros(2),
    u32(o.commandBucket ?? 0xffffffff), b, o.props ?? '');
  return v === 1 ? nxt(v, 31, body) : ofpMsg(v, 15, body);
}

/** An `ofp13_meter_band_drop` (type 1) or other band type with 4 trailing bytes. */
function band(o: { type?: number; len?: number; rate?: number; burst?: number; tail?: Bytes } = {}): Buffer {
  return cat(u16(o.type ?? 1), u16(o.len ?? 16), u32(o.rate ?? 1000), u32(o.burst ?? 0), o.tail ?? zeros(4));
}

/** OFPT13_METER_MOD (type 29). */
function meterMod(v: number, o: { command?: number; flags?: number; id?: number; bands?: Bytes } = {}): Buffer {
  return ofpMsg(v, 29, u16(o.command ?? 0), u16(o.flags ?? 1), u32(o.id ?? 1), o.bands ?? band());
}

/** OFPT_BUNDLE_CONTROL (1.4+) or ONFT_BUNDLE_CONTROL (1.3). */
function bundleCtrl(v: number, id: number, type: number, flags = 0, props: Bytes = ''): Buffer {
  const body = cat(u32(id), u16(type), u16(flags), props);
  return v === 4 ? onft(v, 2300, body) : ofpMsg(v, 33, body);
}

/** OFPT_BUNDLE_ADD_MESSAGE (1.4+) or ONFT_BUNDLE_ADD_MESSAGE (1.3); the inner message gets `xid`. */
function bundleAdd(v: number, id: number, inner: Buffer, xid: number, flags = 0, props: Bytes = ''): Buffer {
  const m = Buffer.from(inner);
  if (m.length >= 8) m.writeUInt32BE(xid, 4);
  const body = cat(u32(id), zeros(2), u16(flags), m, props);
  return v === 4 ? onft(v, 2301, body) : ofpMsg(v, 34, body);
}

// ---------------------------------------------------------------------------------------------
// The corpus

/** One corpus case. */
export interface MalformedCase {
  /** Unique, stable identity: `ofVV/FAMILY/WHAT`, e.g. `of13/flow_mod/cut-40`. */
  id: string;
  /** What the case sends and why, in words. */
  description: string;
  /** `ofp_header.version` of the HELLO that starts the connection (1 = OpenFlow 1.0, … 6 = 1.5). */
  version: number;
  /** The messages, sent back to back, xids assigned (see the module docstring). */
  msgs: Buffer[];
  /**
   * The case may change the state of its connection (role, async configuration, flow format,
   * packet-in format, controller id, flow_mod table id, bundles, multipart assembly, monitors),
   * so it runs on a connection of its own.
   */
  isolated: boolean;
}

/** Things the corpus needs to know about the switch under test. */
export interface CorpusSwitch {
  /** MAC address of the port with ofport 1, `xx:xx:xx:xx:xx:xx` (port_mod must name it). */
  p1Mac: string;
}

/**
 * A case under construction: one message or several (message K gets xid base + K), or a function
 * of the case's base xid returning messages whose xids it has set itself.
 */
type Build = Buffer | Buffer[] | ((xid: number) => Buffer[]);

/** `msgs` with message K given xid `base + K` (copies). */
function seq(base: number, msgs: Buffer[]): Buffer[] {
  return msgs.map((m, k) => {
    const b = Buffer.from(m);
    if (b.length >= 8) b.writeUInt32BE(base + k, 4);
    return b;
  });
}

/** Case ids (without the version) of cases that may change their connection's state. */
const ISOLATED_FAMILIES = /^(role|nx_role|set_async|nx_set_async|set_config|nx_set_flow_format|nx_flow_mod_table_id|nx_packet_in_format|nx_controller_id|bundle_ctrl|bundle_add|bundle|nx_flow_monitor|nx_resume)\/|^multipart\/(split|flow-monitor)|^header\/hello/;

class CorpusBuilder {
  readonly cases: MalformedCase[] = [];
  private readonly ids = new Set<string>();

  add(version: number, id: string, description: string, build: Build): void {
    const full = `of1${version - 1}/${id}`;
    if (this.ids.has(full)) throw new Error(`duplicate corpus id ${full}`);
    this.ids.add(full);
    const base = 0x100 + 16 * this.cases.length;
    const msgs = typeof build === 'function' ? build(base) : seq(base, Array.isArray(build) ? build : [build]);
    if (msgs.length > 16) throw new Error(`${full}: more than 16 messages`);
    this.cases.push({ id: full, description, version, msgs, isolated: ISOLATED_FAMILIES.test(id) });
  }

  /**
   * Truncations of valid message `m` whose fixed part is `fixed` bytes: header only, one byte
   * short of the fixed part, and 1, 4 and 8 bytes short of the whole message (each distinct
   * length once, the header length always equal to what is sent).
   */
  truncations(version: number, family: string, what: string, m: Buffer, fixed: number): void {
    const lens = [8, fixed - 1, m.length - 1, m.length - 4, m.length - 8].filter((n, i, a) => n >= 8 && n < m.length && a.indexOf(n) === i);
    for (const n of lens.sort((a, b) => a - b)) this.add(version, `${family}/cut-${n}`, `${what} cut to ${n} of its ${m.length} bytes (fixed part ${fixed})`, cut(m, n));
  }
}

/** Versions most families are generated for: OpenFlow 1.0, 1.3, 1.4, 1.5. */
const MAIN_VERSIONS = [1, 4, 5, 6];

/** Standard `ofp_type` numbers that exist in version `v` (1.0 and 1.1+ number differently). */
function knownTypes(v: number): number[] {
  if (v === 1) return [...Array(22).keys()];
  const last = v === 2 ? 23 : v === 3 ? 25 : v === 4 ? 29 : v === 5 ? 34 : 35;
  return [...Array(last + 1).keys()];
}

/** Messages only a switch sends, by version: name → [type, minimal body]. */
function switchToController(v: number): [string, number, Bytes][] {
  if (v === 1) {
    return [['features_reply', 6, zeros(24)], ['get_config_reply', 8, zeros(4)], ['packet_in', 10, zeros(10)],
      ['flow_removed', 11, zeros(80)], ['port_status', 12, zeros(56)], ['stats_reply', 17, zeros(4)], ['barrier_reply', 19, ''],
      ['queue_get_config_reply', 21, zeros(8)]];
  }
  const list: [string, number, Bytes][] = [['features_reply', 6, zeros(24)], ['get_config_reply', 8, zeros(4)],
    ['packet_in', 10, cat(u32(NO_BUFFER), u16(0), u8(0), u8(0), u64(0n), oxmMatch(), zeros(2))],
    ['port_status', 12, zeros(v >= 5 ? 48 : 72)], ['multipart_reply', 19, cat(u16(0), u16(0), zeros(4))], ['barrier_reply', 21, '']];
  if (v >= 3) list.push(['role_reply', 25, zeros(16)]);
  if (v >= 4) list.push(['get_async_reply', 27, v === 4 ? zeros(24) : '']);
  if (v >= 5) list.push(['role_status', 30, zeros(16)], ['table_status', 31, zeros(8 + 8)], ['requestforward', 32, flowMod(v)]);
  return list;
}

/**
 * Builds the malformed-message corpus (see the module docstring).
 * @param sw what the corpus must know about the switch (the MAC of port 1)
 * @param goldenDir directory holding ofp-actions-malformed.json and ofp-session.json
 *   (test/unit/golden of the repository)
 * @returns the cases in the order they are to be played; ids are unique
 * @throws Error when a golden file is missing or malformed, or on a duplicate id (a bug here)
 */
export function buildMalformedCorpus(sw: CorpusSwitch, goldenDir: string): MalformedCase[] {
  const c = new CorpusBuilder();
  const p1 = mac(sw.p1Mac);
  headerCases(c);
  flowModCases(c);
  seededActionCases(c, goldenDir);
  packetOutCases(c, goldenDir);
  portModCases(c, p1);
  groupModCases(c);
  meterModCases(c);
  multipartCases(c);
  configCases(c);
  bundleCases(c);
  nxCases(c);
  oversizeCases(c);
  return c.cases;
}

/** Header-level problems: short lengths, unknown types, bad versions, header-only messages with a body. */
function headerCases(c: CorpusBuilder): void {
  for (const v of [1, 2, 3, 4, 5, 6]) {
    for (const len of [0, 7]) c.add(v, `header/length-${len}`, `barrier request whose ofp_header.length is ${len} (< 8)`, withLength(ofpMsg(v, v === 1 ? 18 : 20), len));
    const unknown = [...new Set([knownTypes(v).length, 37, 0x7f, 0xff])];
    for (const t of unknown) c.add(v, `header/unknown-type-${t}`, `message of undefined type ${t}`, ofpMsg(v, t, zeros(8)));
    for (const [name, t, body] of switchToController(v)) {
      c.add(v, `header/${name}`, `${name}, which only a switch sends`, ofpMsg(v, t, body));
    }
    c.add(v, 'header/echo_reply', 'unsolicited echo reply', ofpMsg(v, 3, 'abcd'));
    c.add(v, 'header/error', 'error message sent to the switch', ofpMsg(v, 1, u16(1), u16(2), 'deadbeef'));
    c.add(v, 'header/error-short', 'error message without its type and code', ofpMsg(v, 1, u16(1)));
    c.add(v, 'header/hello-again', 'a second hello after negotiation', ofpMsg(v, 0));
    c.add(v, 'header/features_request-body', 'features request with a 4-byte body', ofpMsg(v, 5, zeros(4)));
    c.add(v, 'header/get_config_request-body', 'get-config request with an 8-byte body', ofpMsg(v, 7, zeros(8)));
    c.add(v, 'header/barrier_request-body', 'barrier request with a 1-byte body', ofpMsg(v, v === 1 ? 18 : 20, '00'));
    if (v >= 4) c.add(v, 'header/get_async_request-body', 'get-async request with an 8-byte body', ofpMsg(v, 26, zeros(8)));
    for (const other of [0, 1, 4, 6, 7, 0x42]) {
      if (other === v) continue;
      c.add(v, `version/barrier-v${other}`, `barrier request (type ${other === 1 ? 18 : 20}) with ofp_header.version ${other}`, ofpMsg(other, other === 1 ? 18 : 20));
      c.add(v, `version/features-v${other}`, `features request with ofp_header.version ${other}`, ofpMsg(other, 5));
    }
    const otherV = v === 4 ? 1 : 4;
    c.add(v, `version/echo-v${otherV}`, `echo request with ofp_header.version ${otherV}`, ofpMsg(otherV, 2, 'c0ffee'));
    c.add(v, `version/flow_mod-v${otherV}`, `flow_mod in the ${otherV === 1 ? '1.0' : '1.3'} layout with ofp_header.version ${otherV}`, otherV === 1 ? flowMod10() : flowMod(4));
  }
  c.add(4, 'header/two-in-one-segment', 'barrier request and echo request in one write, then a cut one', [ofpMsg(4, 20), ofpMsg(4, 2, 'aa'), cut(flowMod(4), 20)]);
}

/** flow_mod in each layout: truncations, bad match/instruction/action lengths, unknown fields, prerequisites, bad tables/ports/groups/meters. */
function flowModCases(c: CorpusBuilder): void {
  // OpenFlow 1.0.
  const fm10 = flowMod10({ match: match10({ dlType: 0x0800, nwProto: 6, tpDst: 80 }), actions: output10(1) });
  c.add(1, 'flow_mod/base', 'valid flow_mod: tcp,tp_dst=80 actions=output:1', fm10);
  c.truncations(1, 'flow_mod', 'OpenFlow 1.0 flow_mod', fm10, 72);
  c.add(1, 'flow_mod/action-len-0', 'action with length 0', flowMod10({ actions: cat(u16(0), u16(0), u32(0)) }));
  c.add(1, 'flow_mod/action-len-4', 'output action with length 4', flowMod10({ actions: withLen16(output10(1), 2, 4) }));
  c.add(1, 'flow_mod/action-len-12', 'output action with length 12 (not a multiple of 8)', flowMod10({ actions: cat(withLen16(output10(1), 2, 12), zeros(8)) }));
  c.add(1, 'flow_mod/action-len-past-end', 'output action whose length runs past the message', flowMod10({ actions: withLen16(output10(1), 2, 16) }));
  c.add(1, 'flow_mod/actions-odd-tail', 'action list followed by 4 stray bytes', flowMod10({ actions: cat(output10(1), zeros(4)) }));
  c.add(1, 'flow_mod/unknown-action', 'standard action type 0x00fe', flowMod10({ actions: cat(u16(0xfe), u16(8), zeros(4)) }));
  c.add(1, 'flow_mod/unknown-vendor-action', 'vendor action of vendor 0x00abcdef', flowMod10({ actions: cat(u16(0xffff), u16(16), u32(0xabcdef), zeros(8)) }));
  c.add(1, 'flow_mod/unknown-nx-action', 'Nicira action subtype 0x7fff', flowMod10({ actions: nxAction(0x7fff, zeros(6)) }));
  c.add(1, 'flow_mod/output-0xff00', 'output to port 0xff00 (above OFPP_MAX)', flowMod10({ actions: output10(0xff00) }));
  c.add(1, 'flow_mod/output-0', 'output to port 0', flowMod10({ actions: output10(0) }));
  c.add(1, 'flow_mod/output-none', 'output to OFPP_NONE', flowMod10({ actions: output10(0xffff) }));
  c.add(1, 'flow_mod/output-99', 'output to port 99 (no such port; OVS accepts)', flowMod10({ priority: 7, actions: output10(99) }));
  c.add(1, 'flow_mod/enqueue-all', 'enqueue to OFPP_ALL', flowMod10({ actions: cat(u16(11), u16(16), u16(0xfffc), zeros(6), u32(1)) }));
  c.add(1, 'flow_mod/set-vlan-vid-4096', 'set_vlan_vid 4096', flowMod10({ actions: cat(u16(1), u16(8), u16(4096), zeros(2)) }));
  c.add(1, 'flow_mod/set-vlan-pcp-8', 'set_vlan_pcp 8', flowMod10({ actions: cat(u16(2), u16(8), u8(8), zeros(3)) }));
  c.add(1, 'flow_mod/set-nw-tos-ecn', 'set_nw_tos 0x03 (ECN bits)', flowMod10({ actions: cat(u16(8), u16(8), u8(3), zeros(3)) }));
  c.add(1, 'flow_mod/set-nw-src-no-ip', 'set_nw_src with a match that is not IPv4 (prerequisite)', flowMod10({ match: match10({ dlType: 0x0806 }), actions: cat(u16(6), u16(8), 'c0a80001') }));
  c.add(1, 'flow_mod/set-tp-dst-no-proto', 'set_tp_dst with ip but no nw_proto (prerequisite)', flowMod10({ match: match10({ dlType: 0x0800 }), actions: cat(u16(10), u16(8), u16(80), zeros(2)) }));
  c.add(1, 'flow_mod/tp-dst-no-ip', 'match tp_dst=80 without dl_type (1.0 wildcards it)', flowMod10({ priority: 9, match: match10({ tpDst: 80 }) }));
  c.add(1, 'flow_mod/unknown-command', 'flow_mod command 9', flowMod10({ command: 9 }));
  c.add(1, 'flow_mod/emerg-flag', 'flow_mod with OFPFF10_EMERG', flowMod10({ flags: 4 }));
  c.add(1, 'flow_mod/undefined-flags', 'flow_mod with undefined flags 0xfff0', flowMod10({ flags: 0xfff0 }));
  c.add(1, 'flow_mod/buffer-id-7', 'flow_mod with buffer_id 7 (no such buffer)', flowMod10({ bufferId: 7, actions: output10(1) }));
  c.add(1, 'flow_mod/in-port-0xff00', 'match in_port 0xff00', flowMod10({ match: match10({ inPort: 0xff00 }) }));
  c.add(1, 'flow_mod/vlan-4096', 'match dl_vlan 4096', flowMod10({ match: match10({ dlVlan: 4096 }) }));
  c.add(1, 'flow_mod/pcp-8', 'match dl_vlan_pcp 8 with dl_vlan 5', flowMod10({ match: match10({ dlVlan: 5, dlVlanPcp: 8 }) }));
  c.add(1, 'flow_mod/delete-out-port-0xff00', 'delete with out_port 0xff00', flowMod10({ command: 3, outPort: 0xff00 }));

  // OpenFlow 1.1 and 1.2: the standard match and truncations.
  const fm11 = ofpMsg(2, 14, u64(0n), u64(0n), u8(0), u8(0), u16(0), u16(0), u16(0x8000), u32(NO_BUFFER), u32(ANY), u32(ANY), u16(0), zeros(2), MATCH11_ALL, actionsInst(output(1)));
  c.add(2, 'flow_mod/base', 'valid flow_mod with the 1.1 standard match, apply(output:1)', fm11);
  c.truncations(2, 'flow_mod', 'OpenFlow 1.1 flow_mod', fm11, 136);
  c.add(2, 'flow_mod/match-len-80', 'ofp11_match with length 80', withLen16(fm11, 50, 80));
  c.add(2, 'flow_mod/oxm-match', 'OXM match in OpenFlow 1.1', flowMod(2, { match: oxmMatch(IPV4) }));
  c.add(3, 'flow_mod/standard-match', 'OpenFlow 1.1 standard match in OpenFlow 1.2', ofpMsg(3, 14, fm11.subarray(8)));
  const fm12 = flowMod(3, { match: oxmMatch(IPV4, TCP, oxm(OXM.TCP_DST, '0050')), insts: actionsInst(output(1)) });
  c.add(3, 'flow_mod/base', 'valid flow_mod: tcp,tp_dst=80 apply(output:1)', fm12);
  c.truncations(3, 'flow_mod', 'OpenFlow 1.2 flow_mod', fm12, 56);

  for (const v of [4, 5, 6]) {
    const fm = flowMod(v, { match: oxmMatch(IPV4, TCP, oxm(OXM.TCP_DST, '0050')), insts: actionsInst(output(1)) });
    c.add(v, 'flow_mod/base', 'valid flow_mod: tcp,tcp_dst=80 apply(output:1)', fm);
    c.truncations(v, 'flow_mod', 'flow_mod', fm, 56);
    const fmMatch = (match: Bytes, what: string, id: string, insts: Bytes = ''): void => c.add(v, `flow_mod/${id}`, what, flowMod(v, { match, insts }));
    // Match lengths and layout.
    const m = oxmMatch(IPV4);
    fmMatch(withLen16(m, 2, 3), 'ofp_match length 3 (shorter than its header)', 'match-len-3');
    fmMatch(withLen16(m, 2, 6), 'ofp_match length 6 (cuts an OXM entry)', 'match-len-6');
    fmMatch(withLen16(m, 2, 16), 'ofp_match length 16 (past the padded match)', 'match-len-16');
    c.add(v, 'flow_mod/match-len-past-end', 'ofp_match length 200, past the end of the message', flowMod(v, { match: withLen16(oxmMatch(), 2, 200) }));
    fmMatch(withLen16(m, 0, 0), 'ofp_match type OFPMT_STANDARD (0)', 'match-type-0');
    fmMatch(withLen16(m, 0, 2), 'ofp_match type 2 (undefined)', 'match-type-2');
    fmMatch(cat(u16(1), u16(10), IPV4, zeros(14)), 'ofp_match padded with 14 zero bytes (8 more than needed)', 'match-overpadded');
    fmMatch(cat(u16(1), u16(10), IPV4, 'ffffff000000'), 'ofp_match with nonzero padding', 'match-nonzero-pad');
    // OXM entries.
    fmMatch(oxmMatch(cat(u16(0x8000), u8(OXM.ETH_TYPE << 1), u8(3), '080000')), 'eth_type OXM with payload length 3', 'oxm-eth_type-len-3');
    fmMatch(oxmMatch(cat(u16(0x8000), u8(OXM.ETH_TYPE << 1), u8(4), '08000000')), 'eth_type OXM with payload length 4', 'oxm-eth_type-len-4');
    fmMatch(oxmMatch(cat(u16(0x8000), u8(OXM.ETH_TYPE << 1), u8(8), '0800')), 'eth_type OXM whose length runs past the match', 'oxm-len-past-match');
    fmMatch(oxmMatch(oxm(60, '00000001')), 'OXM basic field 60 (undefined)', 'oxm-unknown-field-60');
    fmMatch(oxmMatch(oxm(127, '01')), 'OXM basic field 127 (undefined)', 'oxm-unknown-field-127');
    fmMatch(oxmMatch(cat(u16(0x0005), u8(2), u8(4), '00000001')), 'OXM class 0x0005 (unassigned)', 'oxm-unknown-class');
    fmMatch(oxmMatch(cat(u16(0xffff), u8(2), u8(8), u32(0x00abcdef), '00000001')), 'experimenter OXM of experimenter 0x00abcdef', 'oxm-unknown-experimenter');
    fmMatch(oxmMatch(cat(u16(0xffff), u8(2), u8(2), '0001')), 'experimenter OXM too short for its experimenter id', 'oxm-experimenter-short');
    fmMatch(oxmMatch(nxm(1, 0, '00000001'), nxm(1, 72, '00000001')), 'NXM_NX field 72 (tun_metadata32, no TLV mapped) after reg0', 'oxm-nxm-tun_metadata32');
    fmMatch(oxmMatch(nxm(1, 127, '00000001')), 'NXM_NX field 127 (undefined)', 'oxm-nxm-unknown');
    fmMatch(oxmMatch(IPV4, IPV4), 'eth_type twice', 'oxm-duplicate');
    fmMatch(oxmMatch(IPV4, oxm(OXM.ETH_TYPE, '0800', 'ffff')), 'eth_type with a mask (not maskable)', 'oxm-eth_type-masked');
    fmMatch(oxmMatch(oxm(OXM.IN_PORT, u32(1), 'ffffffff')), 'in_port with a mask', 'oxm-in_port-masked');
    fmMatch(oxmMatch(IPV4, oxm(OXM.IPV4_SRC, 'c0a80001', 'ffffff00')), 'ipv4_src value with bits outside its mask', 'oxm-value-outside-mask');
    fmMatch(oxmMatch(oxm(OXM.VLAN_VID, '2000')), 'vlan_vid 0x2000 (bit above OFPVID_PRESENT)', 'oxm-vlan_vid-range');
    fmMatch(oxmMatch(IPV4, oxm(OXM.IP_DSCP, '40')), 'ip_dscp 64 (6-bit field)', 'oxm-ip_dscp-range');
    fmMatch(oxmMatch(oxm(OXM.IN_PORT, u32(0xff00))), 'in_port 0xff00 (unmappable)', 'oxm-in_port-range');
    fmMatch(oxmMatch(oxm(OXM.PACKET_TYPE, '00010800')), 'packet_type (1,0x800)', 'oxm-packet_type');
    // Prerequisites.
    fmMatch(oxmMatch(oxm(OXM.TCP_DST, '0050')), 'tcp_dst without eth_type and ip_proto', 'prereq-tcp_dst-alone');
    fmMatch(oxmMatch(IPV4, oxm(OXM.TCP_DST, '0050')), 'tcp_dst with ip but no ip_proto', 'prereq-tcp_dst-no-proto');
    fmMatch(oxmMatch(IPV4, oxm(OXM.IP_PROTO, '11'), oxm(OXM.TCP_DST, '0050')), 'tcp_dst with ip_proto 17', 'prereq-tcp_dst-udp');
    fmMatch(oxmMatch(oxm(OXM.TCP_DST, '0050'), IPV4, TCP), 'tcp_dst before its prerequisites', 'prereq-order');
    fmMatch(oxmMatch(oxm(OXM.IP_PROTO, '06')), 'ip_proto without eth_type', 'prereq-ip_proto-alone');
    fmMatch(oxmMatch(oxm(OXM.ETH_TYPE, '0806'), oxm(OXM.IPV4_SRC, '0a000001')), 'ipv4_src with eth_type arp', 'prereq-ipv4_src-arp');
    fmMatch(oxmMatch(IPV4, oxm(OXM.ARP_OP, '0001')), 'arp_op with eth_type ip', 'prereq-arp_op-ip');
    fmMatch(oxmMatch(oxm(OXM.VLAN_PCP, '03')), 'vlan_pcp without vlan_vid', 'prereq-vlan_pcp');
    fmMatch(oxmMatch(IPV4, TCP, oxm(OXM.ICMPV4_TYPE, '08')), 'icmp_type with ip_proto 6', 'prereq-icmp-tcp');
    fmMatch(oxmMatch(oxm(OXM.ETH_TYPE, '86dd'), oxm(OXM.IP_PROTO, '3a'), oxm(OXM.IPV6_ND_TARGET, zeros(16))), 'nd_target without icmpv6_type', 'prereq-nd_target');
    fmMatch(oxmMatch(IPV4, oxm(OXM.MPLS_LABEL, '00000005')), 'mpls_label with eth_type ip', 'prereq-mpls-ip');
    fmMatch(oxmMatch(oxm(OXM.IPV6_FLABEL, '00000001')), 'ipv6_label without eth_type', 'prereq-ipv6_label');
    fmMatch(oxmMatch(IPV4, oxm(OXM.IPV6_EXTHDR, '0001')), 'ipv6_exthdr with ip', 'prereq-ipv6_exthdr');
    fmMatch(oxmMatch(oxm(OXM.PBB_ISID, '000001')), 'pbb_isid without eth_type 0x88e7', 'prereq-pbb_isid');
    fmMatch(oxmMatch(IPV4, TCP, oxm(OXM.TCP_FLAGS, '0002')), 'tcp_flags with tcp (1.5 field, 1.3 via ONF)', 'prereq-tcp_flags');
    fmMatch(oxmMatch(), 'set_field ipv4_src without eth_type in the match', 'prereq-set_field-ipv4_src', actionsInst(setField(oxm(OXM.IPV4_SRC, 'c0a80001'))));
    fmMatch(oxmMatch(IPV4), 'set_field tcp_dst with ip but no ip_proto', 'prereq-set_field-tcp_dst', actionsInst(setField(oxm(OXM.TCP_DST, '0050'))));
    fmMatch(oxmMatch(), 'set_field vlan_pcp without a VLAN', 'prereq-set_field-vlan_pcp', actionsInst(setField(oxm(OXM.VLAN_PCP, '03'))));
    fmMatch(oxmMatch(), 'set_field ipv4_src in write_actions without eth_type', 'prereq-write-set_field', actionsInst(setField(oxm(OXM.IPV4_DST, 'c0a80001')), 3));
    fmMatch(oxmMatch(), 'push_vlan of ethertype 0x0800', 'push_vlan-bad-ethertype', actionsInst(cat(u16(17), u16(8), u16(0x0800), zeros(2))));
    fmMatch(oxmMatch(), 'pop_mpls without MPLS in the match', 'prereq-pop_mpls', actionsInst(cat(u16(20), u16(8), u16(0x0800), zeros(2))));
    fmMatch(oxmMatch(), 'set_field eth_type (read-only)', 'set_field-read-only', actionsInst(setField(oxm(OXM.ETH_TYPE, '0800'))));
    fmMatch(oxmMatch(), 'set_field with an unknown field', 'set_field-unknown-field', actionsInst(setField(oxm(60, '00000001'))));
    fmMatch(oxmMatch(), 'set_field with two OXMs', 'set_field-two-oxms', actionsInst(withLen16(pad8(cat(u16(25), u16(0), oxm(OXM.METADATA, zeros(8)), oxm(OXM.METADATA, zeros(8)))), 2)));
    fmMatch(oxmMatch(), 'set_field whose OXM runs past the action', 'set_field-oxm-past-action', actionsInst(cat(u16(25), u16(8), u16(0x8000), u8(OXM.METADATA << 1), u8(8))));
    // Instructions.
    fmMatch(oxmMatch(), 'instruction with length 0', 'inst-len-0', cat(u16(4), u16(0), zeros(4)));
    fmMatch(oxmMatch(), 'apply_actions with length 4', 'inst-len-4', cat(u16(4), u16(4), zeros(4)));
    fmMatch(oxmMatch(), 'apply_actions with length 12', 'inst-len-12', cat(u16(4), u16(12), zeros(4), zeros(8)));
    fmMatch(oxmMatch(), 'apply_actions whose length runs past the message', 'inst-len-past-end', cat(u16(4), u16(64), zeros(4), output(1)));
    fmMatch(oxmMatch(), 'goto_table with length 16', 'inst-goto-len-16', cat(u16(1), u16(16), u8(1), zeros(11)));
    fmMatch(oxmMatch(), 'instruction type 7 (undefined)', 'inst-unknown-type', cat(u16(7), u16(8), zeros(4)));
    fmMatch(oxmMatch(), 'experimenter instruction of experimenter 0x00abcdef', 'inst-unknown-experimenter', cat(u16(0xffff), u16(16), u32(0xabcdef), zeros(8)));
    fmMatch(oxmMatch(), 'two apply_actions instructions', 'inst-duplicate', cat(actionsInst(output(1)), actionsInst(output(2))));
    fmMatch(oxmMatch(), 'goto_table before apply_actions (order)', 'inst-order', cat(gotoTable(1), actionsInst(output(1))));
    fmMatch(oxmMatch(), 'goto_table 0 from table 0', 'inst-goto-same-table', gotoTable(0));
    fmMatch(oxmMatch(), 'goto_table 255', 'inst-goto-255', gotoTable(255));
    fmMatch(oxmMatch(), 'goto_table 254 (last table)', 'inst-goto-254', gotoTable(254));
    fmMatch(oxmMatch(), 'write_metadata with nonzero padding', 'inst-write_metadata-pad', cat(u16(2), u16(24), '00000001', u64(1n), u64(-1n)));
    fmMatch(oxmMatch(), 'write_metadata with length 16', 'inst-write_metadata-short', cat(u16(2), u16(16), zeros(4), u64(1n)));
    fmMatch(oxmMatch(), 'clear_actions with nonzero padding', 'inst-clear-pad', cat(u16(5), u16(8), '00000001'));
    fmMatch(oxmMatch(), 'meter instruction to meter 77 (none)', 'inst-meter-unknown', meterInst(77));
    fmMatch(oxmMatch(), 'meter instruction to meter 0', 'inst-meter-0', meterInst(0));
    // Actions inside apply_actions.
    fmMatch(oxmMatch(), 'action with length 0', 'action-len-0', actionsInst(cat(u16(0), u16(0), zeros(4))));
    fmMatch(oxmMatch(), 'output action with length 8', 'action-output-len-8', actionsInst(cat(u16(0), u16(8), u32(1))));
    fmMatch(oxmMatch(), 'output action with length 20', 'action-len-20', actionsInst(cat(u16(0), u16(20), u32(1), zeros(12))));
    fmMatch(oxmMatch(), 'action type 0x0030 (undefined)', 'action-unknown-type', actionsInst(cat(u16(0x30), u16(8), zeros(4))));
    fmMatch(oxmMatch(), 'OpenFlow 1.0 set_vlan_vid type 1 in 1.1+ numbering', 'action-of10-type', actionsInst(cat(u16(1), u16(8), u16(5), zeros(2))));
    fmMatch(oxmMatch(), 'experimenter action of experimenter 0x00abcdef', 'action-unknown-experimenter', actionsInst(cat(u16(0xffff), u16(16), u32(0xabcdef), zeros(8))));
    fmMatch(oxmMatch(), 'Nicira action subtype 0x7fff', 'action-unknown-nx', actionsInst(nxAction(0x7fff, zeros(6))));
    fmMatch(oxmMatch(), 'output to port 0', 'action-output-0', actionsInst(output(0)));
    fmMatch(oxmMatch(), 'output to 0xffffff00 (reserved range)', 'action-output-reserved', actionsInst(output(0xffffff00)));
    fmMatch(oxmMatch(), 'output to OFPP_ANY', 'action-output-any', actionsInst(output(ANY)));
    fmMatch(oxmMatch(), 'output to port 99 (no such port; OVS accepts)', 'action-output-99', actionsInst(output(99)));
    fmMatch(oxmMatch(), 'group action to group 4242 (none)', 'action-group-unknown', actionsInst(groupAction(4242)));
    fmMatch(oxmMatch(), 'set_queue to queue 0xffffffff (OFPQ_ALL)', 'action-set_queue-all', actionsInst(cat(u16(21), u16(8), u32(ANY))));
    fmMatch(oxmMatch(), 'set_mpls_ttl with length 16', 'action-set_mpls_ttl-len', actionsInst(cat(u16(15), u16(16), u8(5), zeros(11))));
    // Table, command, flags, priority, buffer.
    c.add(v, 'flow_mod/table-255-add', 'add to table 255 (OFPTT_ALL)', flowMod(v, { table: 255 }));
    c.add(v, 'flow_mod/table-254-add', 'add to table 254', flowMod(v, { table: 254, priority: 3 }));
    c.add(v, 'flow_mod/table-255-delete', 'delete from table 255 (all tables)', flowMod(v, { table: 255, command: 3, match: oxmMatch(oxm(OXM.METADATA, u64(0x77n))) }));
    c.add(v, 'flow_mod/unknown-command', 'flow_mod command 9', flowMod(v, { command: 9 }));
    c.add(v, 'flow_mod/undefined-flags', 'flow_mod with undefined flags 0xff00', flowMod(v, { flags: 0xff00 }));
    c.add(v, 'flow_mod/buffer-id-7', 'flow_mod with buffer_id 7 (no such buffer)', flowMod(v, { bufferId: 7, insts: actionsInst(output(1)) }));
    c.add(v, 'flow_mod/check-overlap', 'two check_overlap adds at one priority, overlapping', [
      flowMod(v, { priority: 0x1234, flags: 2, match: oxmMatch(IPV4) }),
      flowMod(v, { priority: 0x1234, flags: 2, match: oxmMatch(oxm(OXM.ETH_TYPE, '0800'), TCP) }),
    ]);
    c.add(v, 'flow_mod/modify-cookie-mask', 'modify with a cookie mask (1.1+ matches cookies)', flowMod(v, { command: 1, cookieMask: -1n, insts: actionsInst(output(2)) }));
    c.add(v, 'flow_mod/delete-out-port-0', 'delete with out_port 0', flowMod(v, { command: 3, outPort: 0 }));
    c.add(v, 'flow_mod/delete-out-group-bad', 'delete with out_group 0xffffff01', flowMod(v, { command: 3, outGroup: 0xffffff01 }));
    c.add(v, 'flow_mod/importance', 'add with importance 7', flowMod(v, { priority: 5, importance: 7 }));
  }
}

/** The malformed action and instruction encodings judged by OVS's parse-actions, in flow_mods. */
function seededActionCases(c: CorpusBuilder, goldenDir: string): void {
  const file = path.join(goldenDir, 'ofp-actions-malformed.json');
  const seeds = (JSON.parse(fs.readFileSync(file, 'utf8')) as { cases: { version: number; kind: string; note: string; hex: string; error?: string }[] }).cases;
  const seen = new Set<string>();
  for (const s of seeds) {
    if (!s.error || !(s.version === 1 || s.version === 4 || (s.version === 6 && s.kind === 'instructions'))) continue;
    let key = `${s.kind}/${s.note.replace(/[^a-zA-Z0-9.]+/g, '-')}`;
    for (let k = 2; seen.has(`${s.version}/${key}`); k++) key = `${key.replace(/~\d+$/, '')}~${k}`;
    seen.add(`${s.version}/${key}`);
    const what = `${s.kind} "${s.note}" (ovs-ofctl parse-${s.kind}: ${s.error})`;
    if (s.version === 1) {
      // OpenFlow 1.0 has no instructions: OVS encodes them as Nicira actions in the action list.
      c.add(1, `seed/${key}`, `flow_mod with ${what}`, flowMod10({ actions: s.hex }));
    } else {
      const insts = s.kind === 'actions' ? actionsInst(s.hex) : bytes(s.hex);
      c.add(s.version, `seed/${key}`, `flow_mod with ${what}`, flowMod(s.version, { insts }));
    }
  }
}

/** packet_out: truncations, bad in_port/buffer/actions, and the captured packetOutErrors. */
function packetOutCases(c: CorpusBuilder, goldenDir: string): void {
  for (const v of MAIN_VERSIONS) {
    const out = v === 1 ? output10(1) : output(1);
    const po = packetOut(v, { actions: out });
    const fixed = v === 1 ? 16 : v <= 5 ? 24 : 32;
    c.truncations(v, 'packet_out', 'packet_out of a 42-byte ARP with output:1', po, fixed);
    c.add(v, 'packet_out/actions-len-past-end', 'actions_len larger than the message', packetOut(v, { actions: out, actionsLen: 200, data: '' }));
    c.add(v, 'packet_out/actions-len-odd', 'actions_len 4 (not a multiple of 8)', packetOut(v, { actions: out, actionsLen: 4 }));
    c.add(v, 'packet_out/actions-len-cuts-action', 'actions_len cutting the output action in half', packetOut(v, { actions: out, actionsLen: out.length / 2 }));
    c.add(v, 'packet_out/no-data', 'packet_out with no packet and no buffer', packetOut(v, { actions: out, data: '' }));
    c.add(v, 'packet_out/buffer-id-5', 'packet_out of buffer 5 (no such buffer)', packetOut(v, { bufferId: 5, actions: out, data: '' }));
    c.add(v, 'packet_out/in-port-99', 'in_port 99 (no such port)', packetOut(v, { inPort: 99, actions: out }));
    c.add(v, 'packet_out/in-port-any', 'in_port ANY/NONE', packetOut(v, { inPort: v === 1 ? 0xffff : ANY, actions: out }));
    c.add(v, 'packet_out/in-port-table', 'in_port TABLE', packetOut(v, { inPort: v === 1 ? 0xfff9 : 0xfffffff9, actions: out }));
    c.add(v, 'packet_out/output-in-port', 'output to IN_PORT from CONTROLLER', packetOut(v, { actions: v === 1 ? output10(0xfff8) : output(0xfffffff8) }));
    c.add(v, 'packet_out/unknown-action', 'action type 0x00fe', packetOut(v, { actions: cat(u16(0xfe), u16(8), zeros(4)) }));
    c.add(v, 'packet_out/action-len-0', 'action with length 0', packetOut(v, { actions: cat(u16(0), u16(0), zeros(4)) }));
    c.add(v, 'packet_out/nx-resubmit-no-table', 'resubmit to table 0 from a packet_out (drop in an empty pipeline)', packetOut(v, { actions: nxAction(14, cat(u16(0xfff8), u8(0), zeros(3))) }));
    if (v >= 4) c.add(v, 'packet_out/group-unknown', 'group action to group 4242 (none)', packetOut(v, { actions: groupAction(4242) }));
    if (v >= 4) c.add(v, 'packet_out/set_field-prereq', 'set_field tcp_dst on an ARP packet', packetOut(v, { actions: setField(oxm(OXM.TCP_DST, '0050')) }));
    if (v === 6) {
      c.add(v, 'packet_out/match-no-in-port', '1.5 packet_out whose match lacks in_port', packetOut(v, { match: oxmMatch(), actions: out }));
      c.add(v, 'packet_out/match-len-3', '1.5 packet_out whose match length is 3', packetOut(v, { match: withLen16(oxmMatch(oxm(OXM.IN_PORT, u32(0xfffffffd))), 2, 3), actions: out }));
      c.add(v, 'packet_out/match-metadata', '1.5 packet_out matching in_port and metadata', packetOut(v, { match: oxmMatch(oxm(OXM.IN_PORT, u32(0xfffffffd)), oxm(OXM.METADATA, u64(5n))), actions: out }));
      c.add(v, 'packet_out/match-eth_type', '1.5 packet_out with eth_type in the match (not a pipeline field)', packetOut(v, { match: oxmMatch(oxm(OXM.IN_PORT, u32(0xfffffffd)), IPV4), actions: out }));
    }
  }
  const session = JSON.parse(fs.readFileSync(path.join(goldenDir, 'ofp-session.json'), 'utf8')) as { packetOutErrors: { req: string; v: number; note: string }[] };
  session.packetOutErrors.forEach((p, i) => {
    c.add(p.v, `packet_out/captured-${i}`, `captured packet_out error case: ${p.note}`, bytes(p.req));
  });
}

/** port_mod: truncations, bad port/hw_addr/config, and (1.4+) bad properties. */
function portModCases(c: CorpusBuilder, p1: Buffer): void {
  for (const v of MAIN_VERSIONS) {
    const pm = portMod(v, { hw: p1 });
    c.add(v, 'port_mod/base', 'valid port_mod of port 1 changing nothing', pm);
    c.truncations(v, 'port_mod', 'port_mod', pm, v === 1 ? 32 : v === 4 ? 40 : 32);
    c.add(v, 'port_mod/bad-port', 'port_mod of port 99 (no such port)', portMod(v, { port: 99, hw: p1 }));
    c.add(v, 'port_mod/bad-hw-addr', 'port_mod with a hw_addr not the port\'s', portMod(v, { hw: '020000000099' }));
    c.add(v, 'port_mod/port-local-bad-hw', 'port_mod of LOCAL with a zero hw_addr', portMod(v, { port: v === 1 ? 0xfffe : 0xfffffffe }));
    c.add(v, 'port_mod/port-ff00', 'port_mod of port 0xff00/0xffffff00', portMod(v, { port: v === 1 ? 0xff00 : 0xffffff00, hw: p1 }));
    c.add(v, 'port_mod/undefined-config', 'port_mod with undefined config bits in config and mask', portMod(v, { hw: p1, config: 0x80000000, mask: 0x80000000 }));
    if (v >= 5) {
      c.add(v, 'port_mod/prop-len-4', 'ethernet property with length 4', portMod(v, { hw: p1, props: cat(u16(0), u16(4), zeros(4)) }));
      c.add(v, 'port_mod/prop-len-12', 'ethernet property with length 12', portMod(v, { hw: p1, props: cat(u16(0), u16(12), zeros(4), zeros(4)) }));
      c.add(v, 'port_mod/prop-len-past-end', 'ethernet property whose length runs past the message', portMod(v, { hw: p1, props: cat(u16(0), u16(16), zeros(4)) }));
      c.add(v, 'port_mod/prop-unknown', 'property type 0x7777 (undefined)', portMod(v, { hw: p1, props: cat(u16(0x7777), u16(8), zeros(4)) }));
      c.add(v, 'port_mod/prop-experimenter', 'experimenter property of experimenter 0x00abcdef', portMod(v, { hw: p1, props: cat(u16(0xffff), u16(16), u32(0xabcdef), u32(1), zeros(4)) }));
      c.add(v, 'port_mod/prop-optical', 'optical property (type 1)', portMod(v, { hw: p1, props: cat(u16(1), u16(24), zeros(20)) }));
      c.add(v, 'port_mod/no-props', 'port_mod with no properties', portMod(v, { hw: p1, props: '' }));
      c.add(v, 'port_mod/two-ethernet-props', 'two ethernet properties', portMod(v, { hw: p1, props: cat(u16(0), u16(8), zeros(4), u16(0), u16(8), zeros(4)) }));
    }
  }
}

/** group_mod: truncations, bad bucket lengths and contents, bad types/commands/ids, chaining, 1.5 bucket ids and properties. */
function groupModCases(c: CorpusBuilder): void {
  for (const v of MAIN_VERSIONS) {
    const out = v === 1 ? output10(1) : output(1);
    let n = 0;
    /** A group id no other case uses. */
    const gid = (): number => 1000 * v + ++n;
    const b = (actions: Bytes, o: Parameters<typeof bucket11>[1] & Parameters<typeof bucket15>[1] = {}): Buffer => (v === 1 || v === 6 ? bucket15(actions, o) : bucket11(actions, o));
    const gm = groupMod(v, { id: 100 + v, buckets: b(out) });
    c.add(v, 'group_mod/base', `valid group_mod adding group ${100 + v} (all, one bucket output:1)`, gm);
    c.add(v, 'group_mod/base-again', `the same group ${100 + v} added again (exists)`, gm);
    c.truncations(v, 'group_mod', 'group_mod', groupMod(v, { id: gid(), buckets: b(out) }), v === 1 ? 32 : v === 6 ? 24 : 16);
    c.add(v, 'group_mod/bucket-len-8', 'bucket with length 8', groupMod(v, { id: gid(), buckets: b(out, { len: 8 }) }));
    c.add(v, 'group_mod/bucket-len-0', 'bucket with length 0', groupMod(v, { id: gid(), buckets: b(out, { len: 0 }) }));
    c.add(v, 'group_mod/bucket-len-odd', 'bucket with length not a multiple of 8', groupMod(v, { id: gid(), buckets: cat(b(out, { len: (v === 1 || v === 6 ? 8 : 16) + out.length + 4 }), zeros(4)) }));
    c.add(v, 'group_mod/bucket-len-past-end', 'bucket whose length runs past the message', groupMod(v, { id: gid(), buckets: b(out, { len: 200 }) }));
    c.add(v, 'group_mod/bucket-action-len-bad', 'bucket holding an action of length 12', groupMod(v, { id: gid(), buckets: b(cat(u16(0), u16(12), zeros(12))) }));
    c.add(v, 'group_mod/bucket-unknown-action', 'bucket holding action type 0x00fe', groupMod(v, { id: gid(), buckets: b(cat(u16(0xfe), u16(8), zeros(4))) }));
    c.add(v, 'group_mod/unknown-type', 'group type 9', groupMod(v, { id: gid(), type: 9, buckets: b(out) }));
    c.add(v, 'group_mod/unknown-command', 'group command 9', groupMod(v, { id: gid(), command: 9, buckets: b(out) }));
    c.add(v, 'group_mod/id-any', 'add group OFPG_ANY', groupMod(v, { id: ANY, buckets: b(out) }));
    c.add(v, 'group_mod/id-above-max', 'add group 0xffffff01 (above OFPG_MAX)', groupMod(v, { id: 0xffffff01, buckets: b(out) }));
    c.add(v, 'group_mod/modify-unknown', 'modify group 4242 (none)', groupMod(v, { command: 1, id: 4242, buckets: b(out) }));
    c.add(v, 'group_mod/delete-unknown', 'delete group 4242 (none: OVS answers nothing)', groupMod(v, { command: 2, id: 4242 }));
    c.add(v, 'group_mod/indirect-two-buckets', 'indirect group with two buckets', groupMod(v, { id: gid(), type: 2, buckets: cat(b(out), b(out)) }));
    c.add(v, 'group_mod/ff-no-watch', 'fast-failover bucket watching nothing', groupMod(v, { id: gid(), type: 3, buckets: b(out) }));
    if (v > 1) {
      c.add(v, 'group_mod/chain-self', 'group whose bucket jumps to itself', ((id) => groupMod(v, { id, buckets: b(groupAction(id)) }))(gid()));
      c.add(v, 'group_mod/chain-unknown', 'group whose bucket jumps to group 4242 (none)', groupMod(v, { id: gid(), buckets: b(groupAction(4242)) }));
    }
    if (v === 4 || v === 5) {
      c.add(v, 'group_mod/select-weight-0', 'select group bucket of weight 0 next to weight 1', groupMod(v, { id: gid(), type: 1, buckets: cat(bucket11(out, { weight: 0 }), bucket11(out, { weight: 1 })) }));
      c.add(v, 'group_mod/all-weight-5', 'all group bucket with weight 5', groupMod(v, { id: gid(), buckets: bucket11(out, { weight: 5 }) }));
      c.add(v, 'group_mod/watch-port-bad', 'fast-failover bucket watching port 0xffffff00', groupMod(v, { id: gid(), type: 3, buckets: bucket11(out, { watchPort: 0xffffff00 }) }));
    }
    if (v === 1 || v === 6) {
      const wprop = (t: number, len: number, body: Bytes): Buffer => cat(u16(t), u16(len), body);
      c.add(v, 'group_mod/bucket-array-len-past-end', 'bucket_array_len past the message', groupMod(v, { id: gid(), buckets: bucket15(out), bucketsLen: 200 }));
      c.add(v, 'group_mod/bucket-array-len-short', 'bucket_array_len shorter than the bucket', groupMod(v, { id: gid(), buckets: bucket15(out), bucketsLen: 8 }));
      c.add(v, 'group_mod/bucket-actions-len-past', 'bucket action_array_len past the bucket', groupMod(v, { id: gid(), buckets: bucket15(out, { actionsLen: 40 }) }));
      c.add(v, 'group_mod/bucket-prop-weight', 'all group with a weight property', groupMod(v, { id: gid(), buckets: bucket15(out, { props: wprop(0, 8, cat(u16(5), zeros(2))) }) }));
      c.add(v, 'group_mod/bucket-prop-len-4', 'bucket property with length 4', groupMod(v, { id: gid(), buckets: bucket15(out, { props: wprop(0, 4, zeros(4)) }) }));
      c.add(v, 'group_mod/bucket-prop-unknown', 'bucket property type 0x7777', groupMod(v, { id: gid(), buckets: bucket15(out, { props: wprop(0x7777, 8, zeros(4)) }) }));
      c.add(v, 'group_mod/bucket-id-dup', 'two buckets with bucket_id 3', groupMod(v, { id: gid(), buckets: cat(bucket15(out, { id: 3 }), bucket15(out, { id: 3 })) }));
      c.add(v, 'group_mod/bucket-id-reserved', 'bucket_id 0xffffffff (reserved)', groupMod(v, { id: gid(), buckets: bucket15(out, { id: 0xffffffff }) }));
      c.add(v, 'group_mod/command-bucket-id-add', 'add with command_bucket_id 5 (must be ALL)', groupMod(v, { id: gid(), buckets: bucket15(out), commandBucket: 5 }));
      c.add(v, 'group_mod/insert-bucket-unknown-group', 'insert_bucket (3) into group 4242 (none)', groupMod(v, { command: 3, id: 4242, buckets: bucket15(out, { id: 9 }), commandBucket: 0xfffffffd }));
      c.add(v, 'group_mod/remove-bucket-unknown-id', `remove_bucket (4) bucket 77 of group ${100 + v}`, groupMod(v, { command: 4, id: 100 + v, commandBucket: 77 }));
      c.add(v, 'group_mod/prop-selection-unknown', 'select group with an NTR selection method "nope"', groupMod(v, { id: gid(), type: 1, buckets: bucket15(out),
        props: cat(u16(0xffff), u16(40), u32(NX_VENDOR_ID), u32(1), zeros(4), Buffer.from('nope'.padEnd(16, '\0')), u64(0n)) }));
      c.add(v, 'group_mod/prop-len-past-end', 'group property whose length runs past the message', groupMod(v, { id: gid(), buckets: bucket15(out), props: cat(u16(0xffff), u16(64), u32(NX_VENDOR_ID)) }));
    }
  }
}

/** meter_mod: truncations, bad band lengths/types/rates, bad flags and ids, meters in use. */
function meterModCases(c: CorpusBuilder): void {
  for (const v of [4, 5, 6]) {
    let n = 0;
    /** A meter id no other case uses. */
    const mid = (): number => 1000 * v + ++n;
    const mm = meterMod(v, { id: 10 + v });
    c.add(v, 'meter_mod/base', `valid meter_mod adding meter ${10 + v} (kbps, drop at 1000)`, mm);
    c.add(v, 'meter_mod/base-again', `meter ${10 + v} added again (exists)`, mm);
    c.truncations(v, 'meter_mod', 'meter_mod', meterMod(v, { id: mid() }), 16);
    c.add(v, 'meter_mod/band-len-8', 'band with length 8', meterMod(v, { id: mid(), bands: band({ len: 8 }) }));
    c.add(v, 'meter_mod/band-len-0', 'band with length 0', meterMod(v, { id: mid(), bands: band({ len: 0 }) }));
    c.add(v, 'meter_mod/band-len-24', 'band with length 24 (past the message)', meterMod(v, { id: mid(), bands: band({ len: 24 }) }));
    c.add(v, 'meter_mod/band-len-12', 'band with length 12 followed by 4 bytes', meterMod(v, { id: mid(), bands: band({ len: 12 }) }));
    c.add(v, 'meter_mod/band-unknown-type', 'band type 7', meterMod(v, { id: mid(), bands: band({ type: 7 }) }));
    c.add(v, 'meter_mod/band-experimenter', 'experimenter band (0xffff)', meterMod(v, { id: mid(), bands: band({ type: 0xffff, tail: u32(0xabcdef) }) }));
    c.add(v, 'meter_mod/band-dscp', 'dscp_remark band with prec_level 1', meterMod(v, { id: mid(), bands: band({ type: 2, tail: '01000000' }) }));
    c.add(v, 'meter_mod/band-rate-0', 'drop band with rate 0', meterMod(v, { id: mid(), bands: band({ rate: 0 }) }));
    c.add(v, 'meter_mod/no-bands', 'meter with no bands', meterMod(v, { id: mid(), bands: '' }));
    c.add(v, 'meter_mod/two-drop-bands', 'two drop bands', meterMod(v, { id: mid(), bands: cat(band(), band({ rate: 2000 })) }));
    c.add(v, 'meter_mod/flags-kbps-pktps', 'flags kbps|pktps', meterMod(v, { id: mid(), flags: 3 }));
    c.add(v, 'meter_mod/flags-none', 'flags 0 (neither kbps nor pktps)', meterMod(v, { id: mid(), flags: 0 }));
    c.add(v, 'meter_mod/flags-undefined', 'flags 0x80 (undefined)', meterMod(v, { id: mid(), flags: 0x81 }));
    c.add(v, 'meter_mod/burst-without-flag', 'band burst_size 50 without OFPMF_BURST', meterMod(v, { id: mid(), bands: band({ burst: 50 }) }));
    c.add(v, 'meter_mod/id-0', 'add meter 0', meterMod(v, { id: 0 }));
    c.add(v, 'meter_mod/id-above-max', 'add meter 0xffff0001 (above OFPM_MAX)', meterMod(v, { id: 0xffff0001 }));
    c.add(v, 'meter_mod/id-all', 'add meter OFPM_ALL', meterMod(v, { id: 0xffffffff }));
    c.add(v, 'meter_mod/id-controller', 'add meter OFPM_CONTROLLER', meterMod(v, { id: 0xfffffffd, flags: 2 }));
    c.add(v, 'meter_mod/unknown-command', 'meter command 7', meterMod(v, { command: 7, id: mid() }));
    c.add(v, 'meter_mod/modify-unknown', 'modify meter 4242 (none)', meterMod(v, { command: 1, id: 4242 }));
    c.add(v, 'meter_mod/delete-unknown', 'delete meter 4242 (none)', meterMod(v, { command: 2, id: 4242, bands: '' }));
    c.add(v, 'meter_mod/flow-to-meter', `flow_mod using meter ${10 + v} (exists) then deleting the meter`, [
      flowMod(v, { priority: 0x4444, insts: meterInst(10 + v) }),
      meterMod(v, { command: 2, id: 10 + v, bands: '' }),
    ]);
  }
  c.add(1, 'meter_mod/in-of10', 'meter_mod type 29 in OpenFlow 1.0 (undefined type)', ofpMsg(1, 29, u16(0), u16(1), u32(1), band()));
}

/** Multipart/stats requests: truncated bodies, unknown types, bad ports/tables/groups/meters. */
function multipartCases(c: CorpusBuilder): void {
  for (const v of MAIN_VERSIONS) {
    const hdr = v === 1 ? 12 : 16;
    c.add(v, 'multipart/short-header', `multipart request with ${hdr - 2}-byte header (no flags)`, ofpMsg(v, v === 1 ? 16 : 18, u16(0)));
    c.add(v, 'multipart/desc-body', 'desc request with a 4-byte body', mpRequest(v, 0, zeros(4)));
    c.add(v, 'multipart/desc-flags', 'desc request with undefined flags 0x8000', mpRequest(v, 0, '', 0x8000));
    for (const t of [v === 1 ? 6 : v === 4 ? 15 : v === 5 ? 17 : 20, 100, 0xfffe]) {
      c.add(v, `multipart/unknown-type-${t}`, `multipart request of undefined type ${t}`, mpRequest(v, t));
    }
    c.add(v, 'multipart/experimenter-unknown', 'multipart experimenter 0x00abcdef', vendorMpRequest(v, 0xabcdef, 0));
    c.add(v, 'multipart/nx-unknown-subtype', 'Nicira multipart subtype 0x7777', vendorMpRequest(v, NX_VENDOR_ID, 0x7777));
    c.add(v, 'multipart/experimenter-short', 'multipart experimenter without its subtype', v === 1 ? ofpMsg(v, 16, u16(0xffff), u16(0), u32(NX_VENDOR_ID)) : ofpMsg(v, 18, u16(0xffff), u16(0), zeros(4), u32(NX_VENDOR_ID)));
    // Flow and aggregate stats.
    const fsr = v === 1
      ? cat(match10({ dlType: 0x0800 }), u8(0xff), zeros(1), u16(0xffff))
      : cat(u8(0xff), zeros(3), u32(ANY), u32(ANY), zeros(4), u64(0n), u64(0n), oxmMatch(IPV4));
    for (const [t, name] of [[1, 'flow'], [2, 'aggregate']] as const) {
      const m = mpRequest(v, t, fsr);
      c.truncations(v, `multipart/${name}`, `${name} stats request`, m, 56);
      if (v > 1) {
        const body = Buffer.from(fsr);
        body.writeUInt16BE(3, 32 + 2);
        c.add(v, `multipart/${name}-match-len-3`, `${name} stats request with ofp_match length 3`, mpRequest(v, t, body));
        c.add(v, `multipart/${name}-unknown-oxm`, `${name} stats request matching OXM field 60`, mpRequest(v, t, cat(fsr.subarray(0, 32), oxmMatch(oxm(60, '00000001')))));
        c.add(v, `multipart/${name}-prereq`, `${name} stats request matching tcp_dst without tcp`, mpRequest(v, t, cat(fsr.subarray(0, 32), oxmMatch(oxm(OXM.TCP_DST, '0050')))));
        c.add(v, `multipart/${name}-table-254`, `${name} stats request of table 254 (empty)`, mpRequest(v, t, cat(u8(254), fsr.subarray(1))));
        c.add(v, `multipart/${name}-table-bad`, `${name} stats request of table 0xfd`, mpRequest(v, t, cat(u8(0xfd), fsr.subarray(1))));
        c.add(v, `multipart/${name}-out-port-bad`, `${name} stats request with out_port 0xffffff00`, mpRequest(v, t, cat(fsr.subarray(0, 4), u32(0xffffff00), fsr.subarray(8))));
      } else {
        c.add(v, `multipart/${name}-table-bad`, `${name} stats request of table 0xfd`, mpRequest(v, t, cat(fsr.subarray(0, 40), u8(0xfd), fsr.subarray(41))));
      }
    }
    // Port, queue, group and meter stats.
    const port = (p: number): Buffer => (v === 1 ? cat(u16(p), zeros(6)) : cat(u32(p), zeros(4)));
    c.truncations(v, 'multipart/port', 'port stats request', mpRequest(v, 4, port(1)), hdr + 8);
    c.add(v, 'multipart/port-0xff00', 'port stats request for port 0xff00/0xffffff00', mpRequest(v, 4, port(v === 1 ? 0xff00 : 0xffffff00)));
    c.add(v, 'multipart/port-body-long', 'port stats request with 8 extra bytes', mpRequest(v, 4, cat(port(1), zeros(8))));
    const queue = v === 1 ? cat(u16(1), zeros(2), u32(ANY)) : cat(u32(1), u32(ANY));
    c.truncations(v, 'multipart/queue', 'queue stats request', mpRequest(v, 5, queue), hdr + 8);
    c.add(v, 'multipart/queue-bad-port', 'queue stats request for port 99 (none)', mpRequest(v, 5, v === 1 ? cat(u16(99), zeros(2), u32(ANY)) : cat(u32(99), u32(ANY))));
    c.add(v, 'multipart/queue-bad-queue', 'queue stats request for queue 7 of port 1', mpRequest(v, 5, v === 1 ? cat(u16(1), zeros(2), u32(7)) : cat(u32(1), u32(7))));
    if (v === 1) {
      c.add(v, 'multipart/table-body', 'table stats request with a 4-byte body', mpRequest(v, 3, zeros(4)));
      c.add(v, 'multipart/port-desc-in-of10', 'port desc request (13) in OpenFlow 1.0 stats numbering', mpRequest(v, 13));
      continue;
    }
    c.truncations(v, 'multipart/group', 'group stats request', mpRequest(v, 6, cat(u32(ANY), zeros(4))), hdr + 8);
    c.add(v, 'multipart/group-unknown', 'group stats request for group 4242 (none)', mpRequest(v, 6, cat(u32(4242), zeros(4))));
    if (v === 6) {
      c.add(v, 'multipart/group-desc-short', '1.5 group desc request without its group id', mpRequest(v, 7));
      c.add(v, 'multipart/group-desc-unknown', '1.5 group desc request for group 4242', mpRequest(v, 7, cat(u32(4242), zeros(4))));
    } else {
      c.add(v, 'multipart/group-desc-body', 'group desc request with an 8-byte body', mpRequest(v, 7, zeros(8)));
    }
    c.add(v, 'multipart/group-features-body', 'group features request with a 4-byte body', mpRequest(v, 8, zeros(4)));
    for (const [t, name] of [[9, 'meter'], [10, 'meter-config']] as const) {
      c.truncations(v, `multipart/${name}`, `${name} request`, mpRequest(v, t, cat(u32(0xffffffff), zeros(4))), hdr + 8);
      c.add(v, `multipart/${name}-unknown`, `${name} request for meter 4242 (none)`, mpRequest(v, t, cat(u32(4242), zeros(4))));
      c.add(v, `multipart/${name}-0`, `${name} request for meter 0`, mpRequest(v, t, cat(u32(0), zeros(4))));
    }
    c.add(v, 'multipart/meter-features-body', 'meter features request with a 4-byte body', mpRequest(v, 11, zeros(4)));
    c.add(v, 'multipart/table-features-bad-len', 'table features request with a table entry of length 8', mpRequest(v, 12, cat(u16(8), u8(0), zeros(5))));
    c.add(v, 'multipart/table-features-short-entry', 'table features request with a 16-byte partial entry', mpRequest(v, 12, cat(u16(64), u8(0), zeros(13))));
    c.add(v, 'multipart/table-features-set', 'table features request setting table 0 with no properties', mpRequest(v, 12, cat(u16(64), u8(0), zeros(5), Buffer.from('x'.padEnd(32, '\0')), u64(0n), u64(0n), u32(3), u32(1000))));
    if (v === 6) {
      c.add(v, 'multipart/port-desc-short', '1.5 port desc request without its port', mpRequest(v, 13));
      c.add(v, 'multipart/port-desc-99', '1.5 port desc request for port 99', mpRequest(v, 13, port(99)));
    } else {
      c.add(v, 'multipart/port-desc-body', 'port desc request with an 8-byte body', mpRequest(v, 13, zeros(8)));
    }
    if (v >= 5) {
      c.add(v, 'multipart/table-desc-body', 'table desc request with a body', mpRequest(v, 14, zeros(8)));
      c.truncations(v, 'multipart/queue-desc', 'queue desc request', mpRequest(v, 15, cat(u32(ANY), u32(ANY))), hdr + 8);
      c.add(v, 'multipart/queue-desc-bad-port', 'queue desc request for port 99', mpRequest(v, 15, cat(u32(99), u32(ANY))));
      const mon = cat(u32(1), u32(ANY), u32(ANY), u16(0x000f), u8(0xff), u8(0), oxmMatch());
      c.truncations(v, 'multipart/flow-monitor', 'flow monitor request', mpRequest(v, 16, mon), hdr + 24);
      c.add(v, 'multipart/flow-monitor-bad-command', 'flow monitor request with command 7', mpRequest(v, 16, cat(mon.subarray(0, 15), u8(7), mon.subarray(16))));
      c.add(v, 'multipart/flow-monitor-bad-flags', 'flow monitor request with undefined flags 0x8000', mpRequest(v, 16, cat(mon.subarray(0, 12), u16(0x8000), mon.subarray(14))));
      c.add(v, 'multipart/flow-monitor-bad-match', 'flow monitor request matching OXM field 60', mpRequest(v, 16, cat(mon.subarray(0, 16), oxmMatch(oxm(60, '00000001')))));
    }
    // Split requests (OFPMPF_REQ_MORE), completed within the case.
    c.add(v, 'multipart/split-type-change', 'port stats part with REQ_MORE, then a desc request with the same xid', (x) => [
      ...seq(x, [mpRequest(v, 4, port(ANY), 1)]), ...seq(x, [mpRequest(v, 0)]),
    ]);
  }
}

/** set_config, role, set_async, table_mod, queue_get_config. */
function configCases(c: CorpusBuilder): void {
  for (const v of MAIN_VERSIONS) {
    const sc = ofpMsg(v, 9, u16(0), u16(0));
    c.truncations(v, 'set_config', 'set_config', sc, 12);
    c.add(v, 'set_config/long', 'set_config with 4 extra bytes', ofpMsg(v, 9, u16(0), u16(0), zeros(4)));
    c.add(v, 'set_config/frag-reasm', 'set_config frag=reasm (not supported by OVS)', ofpMsg(v, 9, u16(2), u16(0)));
    c.add(v, 'set_config/frag-3', 'set_config frag mode 3 (nx-match)', ofpMsg(v, 9, u16(3), u16(0)));
    c.add(v, 'set_config/undefined-flags', 'set_config with flags 0xfff8', ofpMsg(v, 9, u16(0xfff8), u16(0)));
    c.add(v, 'set_config/normal', 'set_config back to frag=normal, miss_send_len 0', ofpMsg(v, 9, u16(0), u16(0)));
    // Role.
    if (v >= 4) {
      const role = (r: number, gen = -1n): Buffer => ofpMsg(v, 24, u32(r), zeros(4), u64(gen));
      c.truncations(v, 'role', 'role request', role(0), 24);
      c.add(v, 'role/bad-role', 'role request with role 9', role(9));
      c.add(v, 'role/long', 'role request with 8 extra bytes', ofpMsg(v, 24, u32(0), zeros(4), u64(-1n), zeros(8)));
      c.add(v, 'role/secondary-then-flow_mod', 'become secondary (generation 10), then a flow_mod and a packet_out', [
        role(3, 10n), flowMod(v), packetOut(v, { actions: output(1) }),
      ]);
      c.add(v, 'role/stale-generation', 'primary with generation 5 after 10 (stale)', role(2, 5n));
      c.add(v, 'role/primary-back', 'primary with generation 11', role(2, 11n));
    }
    const nxRole = (r: number): Buffer => nxt(v, 10, u32(r));
    c.truncations(v, 'nx_role', 'Nicira role request', nxRole(0), 20);
    c.add(v, 'nx_role/bad-role', 'Nicira role request with role 5', nxRole(5));
    c.add(v, 'nx_role/secondary-then-flow_mod', 'Nicira secondary role, then a flow_mod', [nxRole(2), v === 1 ? flowMod10() : flowMod(v)]);
    // Async configuration.
    if (v === 4) {
      const sa = ofpMsg(v, 28, u32(3), u32(0), u32(7), u32(7), u32(15), u32(0));
      c.truncations(v, 'set_async', 'set_async', sa, 32);
      c.add(v, 'set_async/long', 'set_async with 8 extra bytes', ofpMsg(v, 28, sa.subarray(8), zeros(8)));
      c.add(v, 'set_async/all-bits', 'set_async with every bit set', ofpMsg(v, 28, 'ff'.repeat(24)));
    } else if (v >= 5) {
      const prop = (t: number, mask: number, len = 8): Buffer => cat(u16(t), u16(len), u32(mask));
      const sa = ofpMsg(v, 28, prop(0, 3), prop(1, 7), prop(4, 15));
      c.truncations(v, 'set_async', 'set_async', sa, 8);
      c.add(v, 'set_async/prop-len-4', 'set_async property with length 4', ofpMsg(v, 28, prop(0, 3, 4)));
      c.add(v, 'set_async/prop-len-12', 'set_async property with length 12', ofpMsg(v, 28, prop(0, 3, 12), zeros(4)));
      c.add(v, 'set_async/prop-unknown', 'set_async property type 0x20', ofpMsg(v, 28, prop(0x20, 1)));
      c.add(v, 'set_async/prop-experimenter', 'set_async experimenter property of experimenter 0x00abcdef', ofpMsg(v, 28, cat(u16(0xfffe), u16(16), u32(0xabcdef), u32(0), u32(0))));
      c.add(v, 'set_async/prop-bad-reason', 'set_async packet_in property with undefined reasons 0xff00', ofpMsg(v, 28, prop(1, 0xff00)));
      c.add(v, 'set_async/prop-dup', 'set_async with the same property twice', ofpMsg(v, 28, prop(1, 1), prop(1, 2)));
    }
    const nxa = nxt(v, 19, u32(3), u32(0), u32(7), u32(7), u32(15), u32(0));
    c.truncations(v, 'nx_set_async', 'NXT_SET_ASYNC_CONFIG', nxa, 40);
    c.add(v, 'nx_set_async/out-of-range', 'NXT_SET_ASYNC_CONFIG with every bit set', nxt(v, 19, 'ff'.repeat(24)));
    // Table mod.
    if (v >= 4) {
      const tm = (t: number, config: number, props: Bytes = ''): Buffer => ofpMsg(v, 17, u8(t), zeros(3), u32(config), props);
      c.truncations(v, 'table_mod', 'table_mod', tm(0, 0), 16);
      c.add(v, 'table_mod/table-254', 'table_mod of table 254', tm(254, 0));
      c.add(v, 'table_mod/table-255', 'table_mod of all tables (255)', tm(255, 0));
      c.add(v, 'table_mod/undefined-config', 'table_mod with config 0x80000000', tm(0, 0x80000000));
      c.add(v, 'table_mod/miss-config', 'table_mod with the 1.1 table-miss bits 3', tm(0, 3));
      if (v >= 5) {
        c.add(v, 'table_mod/eviction', 'table_mod of table 1 with eviction on', tm(1, 4));
        c.add(v, 'table_mod/prop-len-4', 'table_mod eviction property with length 4', tm(0, 0, cat(u16(2), u16(4), zeros(4))));
        c.add(v, 'table_mod/prop-len-past-end', 'table_mod property whose length runs past the message', tm(0, 0, cat(u16(2), u16(32), zeros(4))));
        c.add(v, 'table_mod/prop-unknown', 'table_mod property type 0x77', tm(0, 0, cat(u16(0x77), u16(8), zeros(4))));
        c.add(v, 'table_mod/prop-vacancy-bad', 'table_mod vacancy property with down 90 > up 10', tm(1, 8, cat(u16(3), u16(8), u8(90), u8(10), zeros(2))));
        c.add(v, 'table_mod/prop-vacancy-101', 'table_mod vacancy property with up 101', tm(1, 8, cat(u16(3), u16(8), u8(10), u8(101), zeros(2))));
        c.add(v, 'table_mod/prop-eviction-flags', 'table_mod eviction property with flags 0xff', tm(1, 4, cat(u16(2), u16(8), u32(0xff))));
        c.add(v, 'table_mod/restore', 'table_mod of all tables back to no eviction and no vacancy', tm(255, 0));
      }
    } else {
      c.add(v, 'table_mod/in-of10', 'type 17 (table_mod in 1.1+, stats reply in 1.0)', ofpMsg(v, 17, u8(0), zeros(3), u32(0)));
    }
    // Queue get config (removed in 1.4+: type 22 is then something else or undefined).
    if (v === 1) {
      const q = ofpMsg(v, 20, u16(1), zeros(2));
      c.truncations(v, 'queue_get_config', 'queue_get_config request', q, 12);
      c.add(v, 'queue_get_config/port-0xff00', 'queue_get_config request for port 0xff00', ofpMsg(v, 20, u16(0xff00), zeros(2)));
      c.add(v, 'queue_get_config/port-99', 'queue_get_config request for port 99', ofpMsg(v, 20, u16(99), zeros(2)));
    } else if (v === 4) {
      const q = ofpMsg(v, 22, u32(1), zeros(4));
      c.truncations(v, 'queue_get_config', 'queue_get_config request', q, 16);
      c.add(v, 'queue_get_config/port-99', 'queue_get_config request for port 99', ofpMsg(v, 22, u32(99), zeros(4)));
      c.add(v, 'queue_get_config/port-0xffffff00', 'queue_get_config request for port 0xffffff00', ofpMsg(v, 22, u32(0xffffff00), zeros(4)));
    } else {
      c.add(v, 'queue_get_config/removed', 'type 22 (queue_get_config before 1.4)', ofpMsg(v, 22, u32(1), zeros(4)));
    }
  }
}

/** Bundles: control and add, truncated and in bad sequences. */
function bundleCases(c: CorpusBuilder): void {
  for (const v of [4, 5, 6]) {
    c.truncations(v, 'bundle_ctrl', 'bundle control (open)', bundleCtrl(v, 1, 0), v === 4 ? 24 : 16);
    c.add(v, 'bundle_ctrl/unknown-type', 'bundle control type 9', bundleCtrl(v, 1, 9));
    c.add(v, 'bundle_ctrl/reply-type', 'bundle control OPEN_REPLY sent to the switch', bundleCtrl(v, 1, 1));
    c.add(v, 'bundle_ctrl/bad-flags', 'bundle open with flags 0x80', bundleCtrl(v, 1, 0, 0x80));
    c.add(v, 'bundle_ctrl/close-unknown', 'close bundle 77 (not open)', bundleCtrl(v, 77, 2));
    c.add(v, 'bundle_ctrl/commit-unknown', 'commit bundle 77 (not open)', bundleCtrl(v, 77, 4));
    c.add(v, 'bundle_ctrl/discard-unknown', 'discard bundle 77 (not open)', bundleCtrl(v, 77, 6));
    c.add(v, 'bundle_ctrl/prop-len-4', 'bundle open with a property of length 4', bundleCtrl(v, 1, 0, 0, cat(u16(0xffff), u16(4), zeros(4))));
    c.add(v, 'bundle_ctrl/prop-experimenter', 'bundle open with an experimenter property of 0x00abcdef', bundleCtrl(v, 1, 0, 0, cat(u16(0xffff), u16(12), u32(0xabcdef), u32(0), zeros(4))));
    c.add(v, 'bundle_ctrl/open-twice', 'bundle 1 opened twice, then discarded', [bundleCtrl(v, 1, 0), bundleCtrl(v, 1, 0), bundleCtrl(v, 1, 6)]);
    c.add(v, 'bundle_ctrl/close-twice', 'bundle 1 opened, closed twice, then discarded', [bundleCtrl(v, 1, 0), bundleCtrl(v, 1, 2), bundleCtrl(v, 1, 2), bundleCtrl(v, 1, 6)]);
    c.add(v, 'bundle_ctrl/flags-mismatch', 'bundle 1 opened atomic, committed ordered', [bundleCtrl(v, 1, 0, 1), bundleCtrl(v, 1, 4, 2)]);
    const fm = flowMod(v, { priority: 0x5555, insts: actionsInst(output(1)) });
    c.add(v, 'bundle_add/base', 'open, add a valid flow_mod, commit', (x) => seq(x, [bundleCtrl(v, 2, 0), bundleAdd(v, 2, fm, x + 1), bundleCtrl(v, 2, 4)]));
    c.add(v, 'bundle_add/implicit-open', 'add to bundle 3 without opening it, then commit', (x) => seq(x, [bundleAdd(v, 3, fm, x), bundleCtrl(v, 3, 4)]));
    c.add(v, 'bundle_add/bad-xid', 'add whose inner xid differs from the outer', (x) => seq(x, [bundleCtrl(v, 4, 0), bundleAdd(v, 4, fm, x + 99), bundleCtrl(v, 4, 6)]));
    c.add(v, 'bundle_add/after-close', 'add to a closed bundle', (x) => seq(x, [bundleCtrl(v, 5, 0), bundleCtrl(v, 5, 2), bundleAdd(v, 5, fm, x + 2), bundleCtrl(v, 5, 6)]));
    c.add(v, 'bundle_add/flags-mismatch', 'add with flags ordered to a bundle opened atomic', (x) => seq(x, [bundleCtrl(v, 6, 0, 1), bundleAdd(v, 6, fm, x + 1, 2), bundleCtrl(v, 6, 6)]));
    c.add(v, 'bundle_add/inner-barrier', 'add of a barrier request (not bundlable)', (x) => seq(x, [bundleCtrl(v, 7, 0), bundleAdd(v, 7, ofpMsg(v, 20), x + 1), bundleCtrl(v, 7, 6)]));
    c.add(v, 'bundle_add/inner-echo', 'add of an echo request (not bundlable)', (x) => seq(x, [bundleCtrl(v, 8, 0), bundleAdd(v, 8, ofpMsg(v, 2), x + 1), bundleCtrl(v, 8, 6)]));
    c.add(v, 'bundle_add/inner-truncated', 'add of a flow_mod cut to 40 bytes', (x) => seq(x, [bundleCtrl(v, 9, 0), bundleAdd(v, 9, cut(fm, 40), x + 1), bundleCtrl(v, 9, 6)]));
    c.add(v, 'bundle_add/inner-len-long', 'add whose inner header length runs past the message', (x) => seq(x, [bundleCtrl(v, 10, 0), bundleAdd(v, 10, withLength(fm, fm.length + 16), x + 1), bundleCtrl(v, 10, 6)]));
    c.add(v, 'bundle_add/inner-len-short', 'add whose inner header length is 4', (x) => seq(x, [bundleCtrl(v, 11, 0), bundleAdd(v, 11, withLength(fm, 4), x + 1), bundleCtrl(v, 11, 6)]));
    c.add(v, 'bundle_add/inner-version', 'add whose inner message has another version', (x) => seq(x, [bundleCtrl(v, 12, 0), bundleAdd(v, 12, poke8(fm, 0, v === 4 ? 5 : 4), x + 1), bundleCtrl(v, 12, 6)]));
    c.add(v, 'bundle_add/inner-bad-prereq', 'commit of a bundle holding a flow_mod with tcp_dst but no tcp', (x) => seq(x, [bundleCtrl(v, 13, 0, 1), bundleAdd(v, 13, flowMod(v, { match: oxmMatch(oxm(OXM.TCP_DST, '0050')) }), x + 1, 1), bundleCtrl(v, 13, 4, 1)]));
    c.add(v, 'bundle_add/commit-fails', 'atomic commit of a good flow_mod and one to group 4242 (none)', (x) => seq(x, [
      bundleCtrl(v, 14, 0, 1), bundleAdd(v, 14, fm, x + 1, 1), bundleAdd(v, 14, flowMod(v, { priority: 0x5556, insts: actionsInst(groupAction(4242)) }), x + 2, 1), bundleCtrl(v, 14, 4, 1),
    ]));
    c.add(v, 'bundle_add/inner-port_mod', 'bundle with a port_mod of port 99 (none)', (x) => seq(x, [bundleCtrl(v, 15, 0), bundleAdd(v, 15, portMod(v, { port: 99 }), x + 1), bundleCtrl(v, 15, 4)]));
    c.add(v, 'bundle_add/inner-meter_mod', 'bundle with a meter_mod (not bundlable)', (x) => seq(x, [bundleCtrl(v, 16, 0), bundleAdd(v, 16, meterMod(v, { id: 60 }), x + 1), bundleCtrl(v, 16, 6)]));
    c.add(v, 'bundle_add/prop-len-4', 'add with a property of length 4', (x) => seq(x, [bundleCtrl(v, 17, 0), bundleAdd(v, 17, fm, x + 1, 0, cat(u16(0xffff), u16(4), zeros(4))), bundleCtrl(v, 17, 6)]));
    c.add(v, 'bundle_add/cut', 'bundle add cut to 16 bytes', cut(bundleAdd(v, 18, fm, 0), v === 4 ? 20 : 16));
  }
  c.add(1, 'bundle/onf-in-of10', 'ONF bundle control in OpenFlow 1.0', onft(1, 2300, u32(1), u16(0), u16(0)));
  c.add(4, 'bundle/of14-type-in-of13', 'OpenFlow 1.4 bundle control type 33 in 1.3', ofpMsg(4, 33, u32(1), u16(0), u16(0)));
}

/** Nicira and other experimenter messages. */
function nxCases(c: CorpusBuilder): void {
  for (const v of MAIN_VERSIONS) {
    c.add(v, 'vendor/unknown-vendor', 'experimenter message of experimenter 0x00abcdef', ofpMsg(v, OFPT_VENDOR, u32(0xabcdef), u32(1), zeros(8)));
    c.add(v, 'vendor/short', 'experimenter message with only its experimenter id', ofpMsg(v, OFPT_VENDOR, u32(NX_VENDOR_ID)));
    c.add(v, 'vendor/nx-unknown-subtype', 'Nicira subtype 0x7777', nxt(v, 0x7777, zeros(8)));
    c.add(v, 'vendor/nx-reply-subtype', 'Nicira role reply (11) sent to the switch', nxt(v, 11, u32(0)));
    c.add(v, 'vendor/nx-packet-in', 'NXT_PACKET_IN (17) sent to the switch', nxt(v, 17, zeros(24)));
    c.add(v, 'vendor/onf-unknown', 'ONF experimenter type 9999', onft(v, 9999, zeros(8)));
    // NXT_FLOW_MOD.
    const nfm = nxFlowMod(v, { match: cat(nxm(0, 3, '0800'), nxm(0, 6, '06'), nxm(0, 10, '0050')), actions: v === 1 ? output10(1) : output(1) });
    c.add(v, 'nx_flow_mod/base', 'valid NXT_FLOW_MOD: tcp,tp_dst=80 actions=output:1', nfm);
    c.truncations(v, 'nx_flow_mod', 'NXT_FLOW_MOD', nfm, 48);
    c.add(v, 'nx_flow_mod/match-len-past-end', 'match_len past the message', nxFlowMod(v, { match: nxm(0, 3, '0800'), matchLen: 200 }));
    c.add(v, 'nx_flow_mod/match-len-cuts-entry', 'match_len 4 cutting an NXM entry', nxFlowMod(v, { match: nxm(0, 3, '0800'), matchLen: 4 }));
    c.add(v, 'nx_flow_mod/nxm-len-bad', 'NXM eth_type entry with payload length 4', nxFlowMod(v, { match: cat(u16(0), u8(3 << 1), u8(4), '08000000') }));
    c.add(v, 'nx_flow_mod/nxm-unknown', 'NXM_NX field 127 (undefined)', nxFlowMod(v, { match: nxm(1, 127, '00000001') }));
    c.add(v, 'nx_flow_mod/nxm-prereq', 'NXM tcp_dst without eth_type', nxFlowMod(v, { match: nxm(0, 10, '0050') }));
    c.add(v, 'nx_flow_mod/nxm-dup', 'NXM eth_type twice', nxFlowMod(v, { match: cat(nxm(0, 3, '0800'), nxm(0, 3, '0800')) }));
    c.add(v, 'nx_flow_mod/nxm-masked-bad', 'NXM in_port with a mask (not maskable)', nxFlowMod(v, { match: nxm(0, 0, '0001', 'ffff') }));
    c.add(v, 'nx_flow_mod/nonzero-pad', 'NXM match with nonzero padding', nxt(v, 13, u64(0n), u16(0), u16(0), u16(0), u16(0x8000), u32(NO_BUFFER), u16(0xffff), u16(0), u16(6), zeros(6), nxm(0, 3, '0800'), 'ffff'));
    c.add(v, 'nx_flow_mod/bad-command', 'NXT_FLOW_MOD command 9', nxFlowMod(v, { command: 9 }));
    c.add(v, 'nx_flow_mod/table-id-in-command', 'NXT_FLOW_MOD command with table 0x05 in the high byte (without flow_mod_table_id)', nxFlowMod(v, { command: 0x0500 }));
    c.add(v, 'nx_flow_mod/actions-odd', 'NXT_FLOW_MOD with a 4-byte action tail', nxFlowMod(v, { actions: cat(v === 1 ? output10(1) : output(1), zeros(4)) }));
    c.add(v, 'nx_flow_mod/other-version-actions', 'NXT_FLOW_MOD with an output action in the other layout (1.0 vs 1.1+)', nxFlowMod(v, { actions: v === 1 ? output(1) : output10(1) }));
    // Other NX messages.
    if (v === 1) {
      c.truncations(v, 'nx_set_flow_format', 'NXT_SET_FLOW_FORMAT', nxt(v, 12, u32(2)), 20);
      c.add(v, 'nx_set_flow_format/bad', 'NXT_SET_FLOW_FORMAT 7', nxt(v, 12, u32(7)));
    } else {
      c.add(v, 'nx_set_flow_format/not-of10', 'NXT_SET_FLOW_FORMAT outside OpenFlow 1.0', nxt(v, 12, u32(2)));
    }
    c.truncations(v, 'nx_flow_mod_table_id', 'NXT_FLOW_MOD_TABLE_ID', nxt(v, 15, u8(1), zeros(7)), 24);
    c.add(v, 'nx_flow_mod_table_id/nonzero-pad', 'NXT_FLOW_MOD_TABLE_ID with nonzero padding', nxt(v, 15, u8(1), 'ff', zeros(6)));
    c.add(v, 'nx_flow_mod_table_id/value-2', 'NXT_FLOW_MOD_TABLE_ID 2', nxt(v, 15, u8(2), zeros(7)));
    c.truncations(v, 'nx_packet_in_format', 'NXT_SET_PACKET_IN_FORMAT', nxt(v, 16, u32(0)), 20);
    c.add(v, 'nx_packet_in_format/bad', 'NXT_SET_PACKET_IN_FORMAT 7', nxt(v, 16, u32(7)));
    c.add(v, 'nx_flow_age/body', 'NXT_FLOW_AGE with a body', nxt(v, 18, zeros(8)));
    c.truncations(v, 'nx_controller_id', 'NXT_SET_CONTROLLER_ID', nxt(v, 20, zeros(6), u16(7)), 24);
    c.add(v, 'nx_controller_id/nonzero-pad', 'NXT_SET_CONTROLLER_ID with nonzero padding', nxt(v, 20, '010000000000', u16(7)));
    // TLV table.
    const tlv = (cmd: number, maps: Bytes): Buffer => nxt(v, 24, u16(cmd), zeros(6), maps);
    const map = (cls: number, type: number, len: number, index: number): Buffer => cat(u16(cls), u8(type), u8(len), u16(index), zeros(2));
    c.truncations(v, 'nx_tlv_table_mod', 'NXT_TLV_TABLE_MOD', tlv(0, map(0xffff, 1, 4, 0)), 24);
    c.add(v, 'nx_tlv_table_mod/bad-command', 'NXT_TLV_TABLE_MOD command 7', tlv(7, map(0xffff, 1, 4, 0)));
    c.add(v, 'nx_tlv_table_mod/len-odd', 'TLV map with option length 5 (not a multiple of 4)', tlv(0, map(0xffff, 1, 5, 0)));
    c.add(v, 'nx_tlv_table_mod/len-0', 'TLV map with option length 0', tlv(0, map(0xffff, 1, 0, 0)));
    c.add(v, 'nx_tlv_table_mod/len-128', 'TLV map with option length 128 (too long)', tlv(0, map(0xffff, 1, 128, 0)));
    c.add(v, 'nx_tlv_table_mod/index-64', 'TLV map to tun_metadata64 (no such field)', tlv(0, map(0xffff, 1, 4, 64)));
    c.add(v, 'nx_tlv_table_mod/delete-unmapped', 'TLV delete of an unmapped option', tlv(1, map(0xffff, 9, 4, 9)));
    c.add(v, 'nx_tlv_table_mod/dup-index', 'two TLV maps to tun_metadata3', tlv(0, cat(map(0xffff, 1, 4, 3), map(0xffff, 2, 4, 3))));
    c.add(v, 'nx_tlv_table_request/body', 'NXT_TLV_TABLE_REQUEST with a body', nxt(v, 25, zeros(8)));
    // Resume, conntrack flush.
    c.add(v, 'nx_resume/empty', 'NXT_RESUME with no properties', nxt(v, 28));
    c.add(v, 'nx_resume/no-packet', 'NXT_RESUME with only a bridge property', nxt(v, 28, cat(u16(0x8000), u16(20), zeros(16), zeros(4))));
    c.add(v, 'nx_resume/prop-len-past-end', 'NXT_RESUME whose property runs past the message', nxt(v, 28, cat(u16(0), u16(64), zeros(4))));
    c.add(v, 'nx_resume/unknown-prop', 'NXT_RESUME with property 0x7777', nxt(v, 28, cat(u16(0x7777), u16(8), zeros(4))));
    c.add(v, 'nx_resume/packet-only', 'NXT_RESUME with a packet and nothing else', nxt(v, 28, pad8(cat(u16(0), u16(4 + 42), PACKET))));
    c.truncations(v, 'nx_ct_flush_zone', 'NXT_CT_FLUSH_ZONE', nxt(v, 29, zeros(6), u16(5)), 24);
    c.add(v, 'nx_ct_flush/bad-prop', 'NXT_CT_FLUSH with property type 0x77', nxt(v, 32, u16(5), zeros(6), cat(u16(0x77), u16(8), zeros(4))));
    c.add(v, 'nx_ct_flush/prop-len-past-end', 'NXT_CT_FLUSH whose property runs past the message', nxt(v, 32, u16(5), zeros(6), cat(u16(0), u16(40), zeros(4))));
    c.add(v, 'nx_ct_flush/short', 'NXT_CT_FLUSH with a 4-byte body', nxt(v, 32, zeros(4)));
    // NX multipart.
    const nfs = cat(u16(0xffff), u16(6), u8(0xff), zeros(3), pad8(nxm(0, 3, '0800')));
    c.truncations(v, 'nx_flow_stats', 'NXST_FLOW request', vendorMpRequest(v, NX_VENDOR_ID, 0, nfs), 32);
    c.add(v, 'nx_flow_stats/match-len-past-end', 'NXST_FLOW with match_len 64', vendorMpRequest(v, NX_VENDOR_ID, 0, cat(u16(0xffff), u16(64), u8(0xff), zeros(3), pad8(nxm(0, 3, '0800')))));
    c.add(v, 'nx_flow_stats/unknown-nxm', 'NXST_FLOW matching NXM_NX field 127', vendorMpRequest(v, NX_VENDOR_ID, 0, cat(u16(0xffff), u16(8), u8(0xff), zeros(3), nxm(1, 127, '00000001'))));
    c.add(v, 'nx_flow_stats/bad-table', 'NXST_FLOW of table 0xfd', vendorMpRequest(v, NX_VENDOR_ID, 0, cat(u16(0xffff), u16(0), u8(0xfd), zeros(3))));
    c.add(v, 'nx_aggregate/prereq', 'NXST_AGGREGATE matching tcp_dst without tcp', vendorMpRequest(v, NX_VENDOR_ID, 1, cat(u16(0xffff), u16(6), u8(0xff), zeros(3), pad8(nxm(0, 10, '0050')))));
    c.add(v, 'nx_flow_monitor/bad', 'NXST_FLOW_MONITOR with a truncated request', vendorMpRequest(v, NX_VENDOR_ID, 2, zeros(8)));
    c.add(v, 'nx_ipfix/body', 'NXST_IPFIX_BRIDGE with a body', vendorMpRequest(v, NX_VENDOR_ID, 3, zeros(8)));
  }
}

/** Messages near the 64 KiB limit of `ofp_header.length`. */
function oversizeCases(c: CorpusBuilder): void {
  for (const v of MAIN_VERSIONS) {
    c.add(v, 'oversize/echo-65535', 'echo request of 65535 bytes', ofpMsg(v, 2, Buffer.alloc(65535 - 8, 0x5a)));
    const outN = (n: number): Buffer => Buffer.concat(Array.from({ length: n }, (_, i) => (v === 1 ? output10(1 + (i % 2)) : output(1 + (i % 2)))));
    if (v === 1) {
      c.add(v, 'oversize/flow_mod-actions', 'flow_mod with 8182 output actions (65528 bytes)', flowMod10({ priority: 0x6666, actions: outN(8182) }));
      c.add(v, 'oversize/flow_mod-actions-cut', 'the same cut to 65535 bytes (last action cut)', withLength(Buffer.concat([flowMod10({ priority: 0x6667, actions: outN(8183) }).subarray(0, 65535)]), 65535));
    } else {
      c.add(v, 'oversize/flow_mod-actions', 'flow_mod with 4089 output actions in apply_actions (65488 bytes)', flowMod(v, { priority: 0x6666, insts: actionsInst(outN(4089)) }));
      c.add(v, 'oversize/flow_mod-inst-tail', 'flow_mod of 65535 bytes: apply_actions of 4089 outputs, then 47 stray bytes', flowMod(v, { priority: 0x6667, insts: cat(actionsInst(outN(4089)), zeros(47)) }));
    }
    c.add(v, 'oversize/packet_out-data', 'packet_out of a 65000-byte packet, no actions', packetOut(v, { data: cat(PACKET, Buffer.alloc(65000 - 42, 0xa5)) }));
    c.add(v, 'oversize/flow_mod-delete', 'delete of the oversize flows (no reply)', v === 1 ? flowMod10({ command: 3 }) : flowMod(v, { command: 3, table: 255 }));
    if (v >= 4) {
      c.add(v, 'oversize/table-features', 'table features request: the reply spans several messages', mpRequest(v, 12));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The client

/** What one case got from the switch. */
export interface ProbeResult {
  /** The case's id. */
  id: string;
  /** Every message received after the case was sent and before the marker echo reply, hex. */
  replies: string[];
  /** `up`: the marker echo was answered; `closed`: the switch closed the connection; `timeout`. */
  outcome: 'up' | 'closed' | 'timeout';
}

/** Options for {@link probeCase} and {@link probeCorpus}. */
export interface ProbeOptions {
  /** Give up on a case after this many ms without the marker echo reply or a close. Default 10 000. */
  timeoutMs?: number;
}

/** xid of the ECHO_REQUEST that ends case `index`. */
export function markerXid(index: number): number {
  return (0xec000000 + index) >>> 0;
}

/** One OpenFlow connection of the probe: framing, the HELLO exchange, and a receive queue. */
class ProbeConnection {
  private rx = Buffer.alloc(0);
  private readonly inbox: Buffer[] = [];
  private gone = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly sock: net.Socket, readonly sockPath: string) {
    sock.on('data', (chunk: Buffer) => {
      this.rx = Buffer.concat([this.rx, chunk]);
      while (this.rx.length >= 8 && this.rx.length >= this.rx.readUInt16BE(2)) {
        const len = this.rx.readUInt16BE(2);
        if (len < 8) {
          this.sock.destroy(new Error(`${sockPath}: the switch sent a message of length ${len}`));
          return;
        }
        this.inbox.push(Buffer.from(this.rx.subarray(0, len)));
        this.rx = this.rx.subarray(len);
      }
      this.wake?.();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.gone = true;
      this.wake?.();
    });
  }

  /** True once the switch (or we) closed the connection. */
  get closed(): boolean {
    return this.gone;
  }

  /**
   * Connects, sends a plain HELLO of `version` and waits for the switch's HELLO.
   * @throws Error when the connection fails or closes first, the switch's first message is not
   *   a HELLO, or nothing comes within `timeoutMs`
   */
  static async open(sockPath: string, version: number, timeoutMs: number): Promise<ProbeConnection> {
    const sock = net.createConnection(sockPath);
    const conn = new ProbeConnection(sock, sockPath);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', (e) => reject(new Error(`${sockPath}: ${e.message}`)));
    });
    sock.write(ofpMsg(version, 0));
    const first = await conn.next(Date.now() + timeoutMs);
    if (!first || first[1] !== 0) {
      conn.close();
      throw new Error(`${sockPath}: ${first ? `first message is type ${first[1]}, not HELLO` : 'no HELLO from the switch'}`);
    }
    return conn;
  }

  /** The next message received, or undefined when the connection closed or `deadline` passed. */
  private async next(deadline: number): Promise<Buffer | undefined> {
    while (this.inbox.length === 0 && !this.gone) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.inbox.shift();
  }

  /**
   * Sends `msgs` and an ECHO_REQUEST of `version` with xid `marker`, and collects every message
   * received until the echo reply (`up`), the connection's end (`closed`) or `timeoutMs`.
   */
  async exchange(msgs: readonly Buffer[], version: number, marker: number, timeoutMs: number): Promise<Omit<ProbeResult, 'id'>> {
    const echo = ofpMsg(version, 2);
    echo.writeUInt32BE(marker, 4);
    this.sock.write(Buffer.concat([...msgs, echo]));
    const deadline = Date.now() + timeoutMs;
    const replies: string[] = [];
    for (;;) {
      const m = await this.next(deadline);
      if (!m) return { replies, outcome: this.gone ? 'closed' : 'timeout' };
      if (m[1] === 3 && m.readUInt32BE(4) === marker) return { replies, outcome: 'up' };
      replies.push(m.toString('hex'));
    }
  }

  /** Closes the connection (nothing more is received). */
  close(): void {
    this.gone = true;
    this.sock.destroy();
  }
}

/**
 * Plays one case on a new connection to `sockPath` and records the switch's answers (see the
 * module docstring for the exchange); the connection is closed afterwards.
 * @param sockPath path of the switch's unix socket, e.g. `<rundir>/br0.mgmt`
 * @param c the case
 * @param index the case's position in its corpus (selects the marker xid)
 * @returns the replies (hex, in arrival order) and the outcome
 * @throws Error when the socket cannot be connected to, or the switch does not start with a HELLO
 */
export async function probeCase(sockPath: string, c: MalformedCase, index: number, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const conn = await ProbeConnection.open(sockPath, c.version, timeoutMs);
  try {
    return { id: c.id, ...(await conn.exchange(c.msgs, c.version, markerXid(index), timeoutMs)) };
  } finally {
    conn.close();
  }
}

/**
 * Plays every case of `corpus` in order. Consecutive cases of one version share a connection;
 * a case marked {@link MalformedCase.isolated}, or one after which the connection closed or timed
 * out, gets a connection of its own.
 * @param sockPath the switch's unix socket
 * @returns one result per case, in corpus order
 * @throws Error as {@link probeCase}
 */
export async function probeCorpus(sockPath: string, corpus: readonly MalformedCase[], opts: ProbeOptions = {}): Promise<ProbeResult[]> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const results: ProbeResult[] = [];
  let conn: ProbeConnection | undefined;
  let connVersion = 0;
  try {
    for (const [i, c] of corpus.entries()) {
      if (conn && (c.isolated || connVersion !== c.version || conn.closed)) {
        conn.close();
        conn = undefined;
      }
      conn ??= await ProbeConnection.open(sockPath, c.version, timeoutMs);
      connVersion = c.version;
      const r = await conn.exchange(c.msgs, c.version, markerXid(i), timeoutMs);
      results.push({ id: c.id, ...r });
      if (c.isolated || r.outcome !== 'up') {
        conn.close();
        conn = undefined;
      }
    }
  } finally {
    conn?.close();
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Comparison

/**
 * A short summary of one received message for reports: `OFPT_ERROR NAME` (OVS's ofperr name,
 * decoded by our codec) or `type T vV (L bytes)`.
 * @param hex one message, hex
 */
export function describeReply(hex: string): string {
  const m = Buffer.from(hex, 'hex');
  if (m.length >= 12 && m[1] === 1) {
    try {
      const e = decodeErrorMsg(m);
      return `OFPT_ERROR ${e.err ?? `vendor 0x${e.vendor.toString(16)} type ${e.type} code ${e.code}`}`;
    } catch {
      return `OFPT_ERROR (undecodable, ${m.length} bytes)`;
    }
  }
  return `type ${m[1]} v${m[0]} (${m.length} bytes)`;
}

/**
 * Normalises a received message for comparison: the fields that must differ between two
 * switches set up alike are zeroed, nothing else. Today that is the MAC address of the bridge's
 * internal port (LOCAL), which the kernel makes up when the port is created, wherever its 6
 * bytes appear (port descriptions in features and port-status-like replies).
 * @param hex the message, hex
 * @param localMac the LOCAL port's MAC, `xx:xx:xx:xx:xx:xx`, or undefined to leave it
 * @returns the normalised message, hex
 */
export function normaliseReply(hex: string, localMac?: string): string {
  if (!localMac) return hex;
  const needle = localMac.split(':').join('').toLowerCase();
  let out = '';
  for (let i = 0; i < hex.length; ) {
    if (i % 2 === 0 && hex.startsWith(needle, i)) {
      out += '0'.repeat(12);
      i += 12;
    } else {
      out += hex[i++];
    }
  }
  return out;
}
