/**
 * Datapath action codec: the `OVS_ACTION_ATTR_*` attributes nested in `OVS_FLOW_ATTR_ACTIONS`
 * and `OVS_PACKET_ATTR_ACTIONS` (`enum ovs_action_attr` in `<linux/openvswitch.h>`, kernel 6.1),
 * plus the ODP text that `ovs-dpctl dump-flows` (Open vSwitch 3.1) prints for them.
 *
 * Every action of the 6.1 header is modelled; anything else (an unknown type, or a nested
 * action whose sub-attributes this codec cannot re-encode byte for byte, such as duplicates or
 * unknown sub-attribute types) decodes to `{ type: 'other' }` and round-trips verbatim.
 *
 * Byte orders: the kernel defines u32/u16 action arguments (ports, ids, lengths, zones, NAT
 * ports) in host order (little-endian here); ethertypes, TPID/TCI, MPLS label stack entries and
 * IPv4/IPv6 addresses are network order. In {@link OdpAction} every number is the plain value.
 *
 * Canonical order: {@link encodeActions} writes nested sub-attributes in the order the kernel's
 * `ovs_nla_put_actions()` (net/openvswitch/flow_netlink.c, conntrack.c) dumps them, so actions
 * read back from the kernel re-encode byte for byte; decoding accepts any order.
 *
 * Text: {@link formatActions} prints exactly what OVS 3.1's `format_odp_actions()`
 * (lib/odp-util.c) prints for the encoded bytes, quirks included: it works on the bytes, as OVS
 * does. One deliberate exception, OVS_ACTION_ATTR_DEC_TTL, is described at {@link formatActionBytes}.
 */
import { formatIpv6, parseIpv6 } from './addr';
import { attr, parseAttrs, readString, NlAttr } from './nlattr';
import { OdpFlowKey, decodeFlowKey, encodeFlowKey, formatKeyAttr, formatVlanTci } from './flow-key';
import {
  OVS_ACTION_ATTR_ADD_MPLS,
  OVS_ACTION_ATTR_CHECK_PKT_LEN,
  OVS_ACTION_ATTR_CLONE,
  OVS_ACTION_ATTR_CT,
  OVS_ACTION_ATTR_CT_CLEAR,
  OVS_ACTION_ATTR_DEC_TTL,
  OVS_ACTION_ATTR_HASH,
  OVS_ACTION_ATTR_METER,
  OVS_ACTION_ATTR_OUTPUT,
  OVS_ACTION_ATTR_POP_ETH,
  OVS_ACTION_ATTR_POP_MPLS,
  OVS_ACTION_ATTR_POP_NSH,
  OVS_ACTION_ATTR_POP_VLAN,
  OVS_ACTION_ATTR_PUSH_ETH,
  OVS_ACTION_ATTR_PUSH_MPLS,
  OVS_ACTION_ATTR_PUSH_NSH,
  OVS_ACTION_ATTR_PUSH_VLAN,
  OVS_ACTION_ATTR_RECIRC,
  OVS_ACTION_ATTR_SAMPLE,
  OVS_ACTION_ATTR_SET,
  OVS_ACTION_ATTR_SET_MASKED,
  OVS_ACTION_ATTR_TRUNC,
  OVS_ACTION_ATTR_USERSPACE,
  OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER,
  OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL,
  OVS_CHECK_PKT_LEN_ATTR_PKT_LEN,
  OVS_CT_ATTR_COMMIT,
  OVS_CT_ATTR_EVENTMASK,
  OVS_CT_ATTR_FORCE_COMMIT,
  OVS_CT_ATTR_HELPER,
  OVS_CT_ATTR_LABELS,
  OVS_CT_ATTR_MARK,
  OVS_CT_ATTR_NAT,
  OVS_CT_ATTR_TIMEOUT,
  OVS_CT_ATTR_ZONE,
  OVS_CT_LABELS_LEN,
  OVS_DEC_TTL_ATTR_ACTION,
  OVS_HASH_ALG_L4,
  OVS_KEY_ATTR_ENCAP,
  OVS_KEY_ATTR_NSH,
  OVS_KEY_ATTR_TUNNEL,
  OVS_NAT_ATTR_DST,
  OVS_NAT_ATTR_IP_MAX,
  OVS_NAT_ATTR_IP_MIN,
  OVS_NAT_ATTR_PERSISTENT,
  OVS_NAT_ATTR_PROTO_HASH,
  OVS_NAT_ATTR_PROTO_MAX,
  OVS_NAT_ATTR_PROTO_MIN,
  OVS_NAT_ATTR_PROTO_RANDOM,
  OVS_NAT_ATTR_SRC,
  OVS_NSH_KEY_ATTR_BASE,
  OVS_NSH_KEY_ATTR_MD1,
  OVS_NSH_KEY_ATTR_MD2,
  OVS_SAMPLE_ATTR_ACTIONS,
  OVS_SAMPLE_ATTR_PROBABILITY,
  OVS_USERSPACE_ATTR_ACTIONS,
  OVS_USERSPACE_ATTR_EGRESS_TUN_PORT,
  OVS_USERSPACE_ATTR_PID,
  OVS_USERSPACE_ATTR_USERDATA,
} from './openvswitch';

/**
 * `enum ovs_hash_alg` value OVS userspace defines after OVS_HASH_ALG_L4 (symmetric L4 hash).
 * Not in the 6.1 uapi header: the 6.1 kernel rejects it with EINVAL; OVS prints it as `sym_l4`.
 */
export const OVS_HASH_ALG_SYM_L4 = 1;

/**
 * Attribute types OVS 3.1's own `enum ovs_action_attr` (its userspace copy of the header) gives
 * to actions of its userspace datapath, right after OVS_ACTION_ATTR_ADD_MPLS. Type 23 collides
 * with the kernel's OVS_ACTION_ATTR_DEC_TTL. The 6.1 kernel rejects 24-26 with EINVAL; they
 * matter here only because OVS's text format and parser use them (`tnl_pop`, `drop`, `lb_output`).
 */
export const OVS31_ACTION_ATTR_TUNNEL_PUSH = 23;
/** See {@link OVS31_ACTION_ATTR_TUNNEL_PUSH}: u32 port, printed `tnl_pop(N)`. */
export const OVS31_ACTION_ATTR_TUNNEL_POP = 24;
/** See {@link OVS31_ACTION_ATTR_TUNNEL_PUSH}: u32 xlate error, printed `drop`; what `ovs-dpctl add-flow … drop` sends. */
export const OVS31_ACTION_ATTR_DROP = 25;
/** See {@link OVS31_ACTION_ATTR_TUNNEL_PUSH}: u32 bond id, printed `lb_output(N)`. */
export const OVS31_ACTION_ATTR_LB_OUTPUT = 26;

/**
 * OVS_CT_ATTR_NAT: nested `OVS_NAT_ATTR_*`. An empty object is an empty NAT attribute (`nat`:
 * keep whatever NAT the connection already has).
 */
export interface OdpCtNat {
  /** OVS_NAT_ATTR_SRC flag: source NAT. */
  src?: boolean;
  /** OVS_NAT_ATTR_DST flag: destination NAT. */
  dst?: boolean;
  /** OVS_NAT_ATTR_IP_MIN: dotted quad (4 bytes on the wire) or IPv6 text (16 bytes), network order. */
  ipMin?: string;
  /** OVS_NAT_ATTR_IP_MAX: same family as ipMin. */
  ipMax?: string;
  /** OVS_NAT_ATTR_PROTO_MIN: u16 L4 port, host order. */
  protoMin?: number;
  /** OVS_NAT_ATTR_PROTO_MAX: u16 L4 port, host order. */
  protoMax?: number;
  /** OVS_NAT_ATTR_PERSISTENT flag. */
  persistent?: boolean;
  /** OVS_NAT_ATTR_PROTO_HASH flag. */
  protoHash?: boolean;
  /** OVS_NAT_ATTR_PROTO_RANDOM flag. */
  protoRandom?: boolean;
}

/** OVS_ACTION_ATTR_CT: nested `OVS_CT_ATTR_*`; absent properties are absent attributes. */
export interface OdpCtAction {
  /** OVS_CT_ATTR_COMMIT flag. */
  commit?: boolean;
  /** OVS_CT_ATTR_FORCE_COMMIT flag (the kernel dumps only one of the two commit flags). */
  forceCommit?: boolean;
  /** OVS_CT_ATTR_ZONE: u16 host order. The kernel always dumps it, 0 included. */
  zone?: number;
  /** OVS_CT_ATTR_MARK: `struct { u32 value; u32 mask; }`, host order. */
  mark?: { value: number; mask: number };
  /** OVS_CT_ATTR_LABELS: 16-byte value then 16-byte mask (`struct ovs_key_ct_labels`), as on the wire. */
  labels?: { value: Buffer; mask: Buffer };
  /** OVS_CT_ATTR_HELPER: NUL-terminated ALG name, e.g. "ftp" (at most 15 characters). */
  helper?: string;
  /** OVS_CT_ATTR_EVENTMASK: u32 mask of IPCT_* events (OVS never sets it; OVS's printer ignores it). */
  eventmask?: number;
  /** OVS_CT_ATTR_TIMEOUT: NUL-terminated timeout policy name (at most 31 characters). */
  timeout?: string;
  /** OVS_CT_ATTR_NAT. */
  nat?: OdpCtNat;
}

/** One datapath action. Buffers from {@link decodeActions} are views into its input. */
export type OdpAction =
  /** OVS_ACTION_ATTR_OUTPUT: u32 odp port. */
  | { type: 'output'; port: number }
  /**
   * OVS_ACTION_ATTR_USERSPACE: nested OVS_USERSPACE_ATTR_PID (u32, required), USERDATA (opaque),
   * EGRESS_TUN_PORT (u32), ACTIONS (flag; absent and `false` encode the same).
   */
  | { type: 'userspace'; pid: number; userdata?: Buffer; egressTunPort?: number; actions?: boolean }
  /** OVS_ACTION_ATTR_SET: exactly one nested key attribute holding the new value. */
  | { type: 'set'; key: OdpFlowKey }
  /** OVS_ACTION_ATTR_PUSH_VLAN: `struct ovs_action_push_vlan { __be16 vlan_tpid; __be16 vlan_tci; }`; the kernel requires VLAN_CFI (0x1000) in tci. */
  | { type: 'push_vlan'; tpid: number; tci: number }
  /** OVS_ACTION_ATTR_POP_VLAN: no payload. */
  | { type: 'pop_vlan' }
  /**
   * OVS_ACTION_ATTR_SAMPLE: nested OVS_SAMPLE_ATTR_PROBABILITY (u32; the fraction
   * probability / 0xffffffff of packets runs `actions`) and OVS_SAMPLE_ATTR_ACTIONS.
   */
  | { type: 'sample'; probability: number; actions: OdpAction[] }
  /** OVS_ACTION_ATTR_RECIRC: u32 recirc id. */
  | { type: 'recirc'; id: number }
  /** OVS_ACTION_ATTR_HASH: `struct ovs_action_hash { u32 hash_alg; u32 hash_basis; }` (alg: OVS_HASH_ALG_*). */
  | { type: 'hash'; alg: number; basis: number }
  /**
   * OVS_ACTION_ATTR_PUSH_MPLS: `struct ovs_action_push_mpls { __be32 mpls_lse; __be16
   * mpls_ethertype; }` (8 bytes with tail padding). lse = label << 12 | tc << 9 | bos << 8 | ttl.
   */
  | { type: 'push_mpls'; lse: number; ethertype: number }
  /** OVS_ACTION_ATTR_POP_MPLS: __be16 ethertype of the payload after the pop. */
  | { type: 'pop_mpls'; ethertype: number }
  /**
   * OVS_ACTION_ATTR_SET_MASKED: one nested key attribute whose payload is the value followed by
   * the mask (same size each; for the nested NSH key, each NSH sub-attribute carries value then
   * mask). `key` and `mask` must each hold the same single attribute.
   */
  | { type: 'set_masked'; key: OdpFlowKey; mask: OdpFlowKey }
  /** OVS_ACTION_ATTR_CT: connection tracking. */
  | ({ type: 'ct' } & OdpCtAction)
  /** OVS_ACTION_ATTR_TRUNC: `struct ovs_action_trunc { u32 max_len; }` (bytes; kernel minimum ETH_HLEN). */
  | { type: 'trunc'; maxLen: number }
  /** OVS_ACTION_ATTR_PUSH_ETH: `struct ovs_action_push_eth { struct ovs_key_ethernet addresses; }`, MACs as "aa:bb:cc:dd:ee:ff". */
  | { type: 'push_eth'; src: string; dst: string }
  /** OVS_ACTION_ATTR_POP_ETH: no payload. */
  | { type: 'pop_eth' }
  /** OVS_ACTION_ATTR_CT_CLEAR: no payload. */
  | { type: 'ct_clear' }
  /** OVS_ACTION_ATTR_PUSH_NSH: one nested OVS_KEY_ATTR_NSH (holding OVS_NSH_KEY_ATTR_BASE and MD1 or MD2). */
  | { type: 'push_nsh'; key: OdpFlowKey }
  /** OVS_ACTION_ATTR_POP_NSH: no payload. */
  | { type: 'pop_nsh' }
  /** OVS_ACTION_ATTR_METER: u32 meter id. */
  | { type: 'meter'; id: number }
  /** OVS_ACTION_ATTR_CLONE: the nested actions run on a copy of the packet. */
  | { type: 'clone'; actions: OdpAction[] }
  /**
   * OVS_ACTION_ATTR_CHECK_PKT_LEN: nested OVS_CHECK_PKT_LEN_ATTR_PKT_LEN (u16 bytes, non-zero),
   * ACTIONS_IF_GREATER and ACTIONS_IF_LESS_EQUAL (both required).
   */
  | { type: 'check_pkt_len'; pktLen: number; ifGreater: OdpAction[]; ifLessEqual: OdpAction[] }
  /**
   * OVS_ACTION_ATTR_ADD_MPLS: `struct ovs_action_add_mpls { __be32 mpls_lse; __be16
   * mpls_ethertype; u16 tun_flags; }` (tun_flags: OVS_MPLS_L3_TUNNEL_FLAG_MASK).
   */
  | { type: 'add_mpls'; lse: number; ethertype: number; tunFlags: number }
  /**
   * OVS_ACTION_ATTR_DEC_TTL: nested OVS_DEC_TTL_ATTR_ACTION, the actions run when the TTL /
   * hop limit is 1 or less (the packet is not forwarded then).
   */
  | { type: 'dec_ttl'; actions: OdpAction[] }
  /** Any other action, verbatim (attrType without NLA_F_* bits). */
  | { type: 'other'; attrType: number; data: Buffer };

type ActionOf<T extends OdpAction['type']> = Extract<OdpAction, { type: T }>;
type ModelledType = Exclude<OdpAction['type'], 'other'>;

/** How one modelled action maps to its attribute. */
interface ActionSpec<T extends ModelledType> {
  attrType: number;
  uapi: string;
  /** Fixed payload size, or undefined when variable (nested). */
  size?: number;
  encode(a: ActionOf<T>): Buffer;
  /**
   * Returns undefined to fall back to `other` (a shape this codec cannot re-encode exactly).
   * `canonical`: see {@link decodeActions}.
   */
  decode(data: Buffer, canonical: boolean): ActionOf<T> | undefined;
}

type Specs = { [T in ModelledType]: ActionSpec<T> };

// ---------------------------------------------------------------------------------------------
// Small wire helpers

function u16le(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

function sizedOrThrow(d: Buffer, size: number, uapi: string): Buffer {
  if (d.length !== size) throw new RangeError(`${uapi}: payload is ${d.length} bytes, expected ${size}`);
  return d;
}

export { formatIpv6, parseIpv6 } from './addr';

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function macBytes(s: string): Buffer {
  if (!MAC_RE.test(s)) throw new RangeError(`invalid MAC address "${s}"`);
  return Buffer.from(s.replace(/:/g, ''), 'hex');
}

function macText(b: Buffer, off: number): string {
  return [...b.subarray(off, off + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Dotted quad or RFC 4291 IPv6 text → 4 or 16 network-order bytes. */
function ipBytes(s: string): Buffer {
  if (!s.includes(':')) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    const o = m ? m.slice(1).map(Number) : [];
    if (!m || o.some((x) => x > 255)) throw new RangeError(`invalid IPv4 address "${s}"`);
    return Buffer.from(o);
  }
  const b = parseIpv6(s);
  if (!b) throw new RangeError(`invalid IPv6 address "${s}"`);
  return b;
}


function ipText(b: Buffer): string {
  return b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : formatIpv6(b);
}

/** Nested attributes as a map, or undefined when a type repeats or is not in `known`. */
function uniqueAttrs(data: Buffer, known: readonly number[]): Map<number, Buffer> | undefined {
  const m = new Map<number, Buffer>();
  for (const a of parseAttrs(data)) {
    if (!known.includes(a.type) || m.has(a.type)) return undefined;
    m.set(a.type, a.data);
  }
  return m;
}

/** Encodes a key that must hold exactly one attribute; returns that attribute. */
function singleKeyAttr(key: OdpFlowKey, what: string): NlAttr {
  const attrs = parseAttrs(encodeFlowKey(key));
  if (attrs.length !== 1) throw new RangeError(`${what} must hold exactly one key attribute, got ${attrs.length}`);
  return attrs[0];
}

/** Key attributes whose payload is itself a sequence of attributes. */
const NESTED_KEY_ATTRS = new Set([OVS_KEY_ATTR_ENCAP, OVS_KEY_ATTR_TUNNEL, OVS_KEY_ATTR_NSH]);

/** SET_MASKED payload of one key attribute: value & mask then mask; NSH per sub-attribute. */
function maskedKeyPayload(k: NlAttr, m: NlAttr): Buffer {
  if (k.type !== m.type) throw new RangeError(`set_masked: key attribute ${k.type} and mask attribute ${m.type} differ in type or size`);
  const join = (v: Buffer, mask: Buffer): Buffer => {
    if (v.length !== mask.length) throw new RangeError(`set_masked: key attribute ${k.type} and mask attribute ${m.type} differ in type or size`);
    // The kernel applies (old & ~mask) | value and rejects value bits outside the mask.
    const value = Buffer.from(v);
    for (let i = 0; i < value.length; i++) value[i] &= mask[i];
    return Buffer.concat([value, mask]);
  };
  if (k.type === OVS_KEY_ATTR_NSH) {
    const ks = parseAttrs(k.data);
    const ms = parseAttrs(m.data);
    if (ks.length !== ms.length || ks.some((s, i) => s.type !== ms[i].type)) {
      throw new RangeError('set_masked: NSH key and mask hold different sub-attributes');
    }
    return Buffer.concat(ks.map((s, i) => attr(s.type, join(s.data, ms[i].data))));
  }
  if (NESTED_KEY_ATTRS.has(k.type)) throw new RangeError(`set_masked: key attribute ${k.type} is nested and cannot be masked`);
  return join(k.data, m.data);
}

/** Splits a SET_MASKED key attribute into value and mask attributes, or undefined. */
function splitMasked(a: NlAttr): { key: Buffer; mask: Buffer } | undefined {
  if (a.type === OVS_KEY_ATTR_NSH) {
    const subs = parseAttrs(a.data);
    if (subs.some((s) => s.data.length % 2 !== 0)) return undefined;
    const half = (s: NlAttr, i: 0 | 1) => attr(s.type, s.data.subarray(i * (s.data.length / 2), (i + 1) * (s.data.length / 2)));
    return {
      key: attr(a.type, subs.map((s) => half(s, 0))),
      mask: attr(a.type, subs.map((s) => half(s, 1))),
    };
  }
  if (NESTED_KEY_ATTRS.has(a.type) || a.data.length % 2 !== 0) return undefined;
  const size = a.data.length / 2;
  return { key: attr(a.type, a.data.subarray(0, size)), mask: attr(a.type, a.data.subarray(size)) };
}

/**
 * decodeFlowKey of one attribute, or undefined when it would not re-encode to the same bytes
 * (with `canonical`: when it does not re-encode at all).
 */
function exactKey(bytes: Buffer, canonical: boolean): OdpFlowKey | undefined {
  let key: OdpFlowKey;
  try {
    key = decodeFlowKey(bytes);
    const again = encodeFlowKey(key);
    if (!canonical && !again.equals(bytes)) return undefined;
  } catch {
    return undefined;
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// The action table

function encodeNat(n: OdpCtNat): Buffer {
  const parts: Buffer[] = [];
  if (n.src) parts.push(attr(OVS_NAT_ATTR_SRC));
  if (n.dst) parts.push(attr(OVS_NAT_ATTR_DST));
  if (n.ipMin !== undefined) parts.push(attr(OVS_NAT_ATTR_IP_MIN, ipBytes(n.ipMin)));
  if (n.ipMax !== undefined) parts.push(attr(OVS_NAT_ATTR_IP_MAX, ipBytes(n.ipMax)));
  if (n.protoMin !== undefined) parts.push(attr(OVS_NAT_ATTR_PROTO_MIN, u16le(n.protoMin)));
  if (n.protoMax !== undefined) parts.push(attr(OVS_NAT_ATTR_PROTO_MAX, u16le(n.protoMax)));
  if (n.persistent) parts.push(attr(OVS_NAT_ATTR_PERSISTENT));
  if (n.protoHash) parts.push(attr(OVS_NAT_ATTR_PROTO_HASH));
  if (n.protoRandom) parts.push(attr(OVS_NAT_ATTR_PROTO_RANDOM));
  return Buffer.concat(parts);
}

const NAT_ATTRS = [
  OVS_NAT_ATTR_SRC, OVS_NAT_ATTR_DST, OVS_NAT_ATTR_IP_MIN, OVS_NAT_ATTR_IP_MAX, OVS_NAT_ATTR_PROTO_MIN,
  OVS_NAT_ATTR_PROTO_MAX, OVS_NAT_ATTR_PERSISTENT, OVS_NAT_ATTR_PROTO_HASH, OVS_NAT_ATTR_PROTO_RANDOM,
];
const NAT_FLAGS: [number, 'src' | 'dst' | 'persistent' | 'protoHash' | 'protoRandom'][] = [
  [OVS_NAT_ATTR_SRC, 'src'], [OVS_NAT_ATTR_DST, 'dst'], [OVS_NAT_ATTR_PERSISTENT, 'persistent'],
  [OVS_NAT_ATTR_PROTO_HASH, 'protoHash'], [OVS_NAT_ATTR_PROTO_RANDOM, 'protoRandom'],
];

function decodeNat(d: Buffer): OdpCtNat | undefined {
  const m = uniqueAttrs(d, NAT_ATTRS);
  if (!m) return undefined;
  const n: OdpCtNat = {};
  for (const [t, p] of NAT_FLAGS) {
    const v = m.get(t);
    if (v === undefined) continue;
    if (v.length !== 0) return undefined;
    n[p] = true;
  }
  for (const [t, p] of [[OVS_NAT_ATTR_IP_MIN, 'ipMin'], [OVS_NAT_ATTR_IP_MAX, 'ipMax']] as const) {
    const v = m.get(t);
    if (v === undefined) continue;
    if (v.length !== 4 && v.length !== 16) return undefined;
    n[p] = ipText(v);
  }
  for (const [t, p] of [[OVS_NAT_ATTR_PROTO_MIN, 'protoMin'], [OVS_NAT_ATTR_PROTO_MAX, 'protoMax']] as const) {
    const v = m.get(t);
    if (v === undefined) continue;
    if (v.length !== 2) return undefined;
    n[p] = v.readUInt16LE(0);
  }
  return n;
}

function encodeCt(a: OdpCtAction): Buffer {
  const parts: Buffer[] = [];
  if (a.commit) parts.push(attr(OVS_CT_ATTR_COMMIT));
  if (a.forceCommit) parts.push(attr(OVS_CT_ATTR_FORCE_COMMIT));
  if (a.zone !== undefined) parts.push(attr(OVS_CT_ATTR_ZONE, u16le(a.zone)));
  if (a.mark !== undefined) parts.push(attr(OVS_CT_ATTR_MARK, [u32le(a.mark.value), u32le(a.mark.mask)]));
  if (a.labels !== undefined) {
    if (a.labels.value.length !== OVS_CT_LABELS_LEN || a.labels.mask.length !== OVS_CT_LABELS_LEN) {
      throw new RangeError(`OVS_CT_ATTR_LABELS value and mask must be ${OVS_CT_LABELS_LEN} bytes each`);
    }
    parts.push(attr(OVS_CT_ATTR_LABELS, [a.labels.value, a.labels.mask]));
  }
  const str = (t: number, s: string, max: number, what: string) => {
    const b = Buffer.from(s, 'utf8');
    if (b.length === 0 || b.length > max || b.includes(0)) throw new RangeError(`${what} must be 1-${max} bytes without NUL, got "${s}"`);
    parts.push(attr(t, [b, Buffer.alloc(1)]));
  };
  if (a.helper !== undefined) str(OVS_CT_ATTR_HELPER, a.helper, 15, 'OVS_CT_ATTR_HELPER');
  if (a.eventmask !== undefined) parts.push(attr(OVS_CT_ATTR_EVENTMASK, u32le(a.eventmask)));
  if (a.timeout !== undefined) str(OVS_CT_ATTR_TIMEOUT, a.timeout, 31, 'OVS_CT_ATTR_TIMEOUT');
  if (a.nat !== undefined) parts.push(attr(OVS_CT_ATTR_NAT, encodeNat(a.nat)));
  return Buffer.concat(parts);
}

const CT_ATTRS = [
  OVS_CT_ATTR_COMMIT, OVS_CT_ATTR_ZONE, OVS_CT_ATTR_MARK, OVS_CT_ATTR_LABELS, OVS_CT_ATTR_HELPER,
  OVS_CT_ATTR_NAT, OVS_CT_ATTR_FORCE_COMMIT, OVS_CT_ATTR_EVENTMASK, OVS_CT_ATTR_TIMEOUT,
];

/** A NUL-terminated string payload without embedded NULs, or undefined. */
function cString(d: Buffer): string | undefined {
  return d.length >= 2 && d[d.length - 1] === 0 && d.indexOf(0) === d.length - 1 ? readString(d) : undefined;
}

function decodeCt(d: Buffer): ActionOf<'ct'> | undefined {
  const m = uniqueAttrs(d, CT_ATTRS);
  if (!m) return undefined;
  const a: ActionOf<'ct'> = { type: 'ct' };
  let v: Buffer | undefined;
  if ((v = m.get(OVS_CT_ATTR_COMMIT))) {
    if (v.length) return undefined;
    a.commit = true;
  }
  if ((v = m.get(OVS_CT_ATTR_FORCE_COMMIT))) {
    if (v.length) return undefined;
    a.forceCommit = true;
  }
  if ((v = m.get(OVS_CT_ATTR_ZONE))) {
    if (v.length !== 2) return undefined;
    a.zone = v.readUInt16LE(0);
  }
  if ((v = m.get(OVS_CT_ATTR_MARK))) {
    if (v.length !== 8) return undefined;
    a.mark = { value: v.readUInt32LE(0), mask: v.readUInt32LE(4) };
  }
  if ((v = m.get(OVS_CT_ATTR_LABELS))) {
    if (v.length !== 2 * OVS_CT_LABELS_LEN) return undefined;
    a.labels = { value: v.subarray(0, OVS_CT_LABELS_LEN), mask: v.subarray(OVS_CT_LABELS_LEN) };
  }
  for (const [t, p, max] of [[OVS_CT_ATTR_HELPER, 'helper', 15], [OVS_CT_ATTR_TIMEOUT, 'timeout', 31]] as const) {
    if ((v = m.get(t))) {
      const s = cString(v);
      if (s === undefined || v.length - 1 > max) return undefined;
      a[p] = s;
    }
  }
  if ((v = m.get(OVS_CT_ATTR_EVENTMASK))) {
    if (v.length !== 4) return undefined;
    a.eventmask = v.readUInt32LE(0);
  }
  if ((v = m.get(OVS_CT_ATTR_NAT))) {
    const nat = decodeNat(v);
    if (!nat) return undefined;
    a.nat = nat;
  }
  return a;
}

/** Decodes nested actions; a malformed nested list makes the outer action `other`. */
function nestedActions(d: Buffer, canonical: boolean): OdpAction[] | undefined {
  try {
    return decodeActions(d, { canonical });
  } catch {
    return undefined;
  }
}

const SPECS: Specs = {
  output: {
    attrType: OVS_ACTION_ATTR_OUTPUT, uapi: 'OVS_ACTION_ATTR_OUTPUT', size: 4,
    encode: (a) => u32le(a.port),
    decode: (d) => ({ type: 'output', port: d.readUInt32LE(0) }),
  },
  userspace: {
    attrType: OVS_ACTION_ATTR_USERSPACE, uapi: 'OVS_ACTION_ATTR_USERSPACE',
    encode: (a) => Buffer.concat([
      attr(OVS_USERSPACE_ATTR_PID, u32le(a.pid)),
      ...(a.userdata !== undefined ? [attr(OVS_USERSPACE_ATTR_USERDATA, a.userdata)] : []),
      ...(a.egressTunPort !== undefined ? [attr(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, u32le(a.egressTunPort))] : []),
      ...(a.actions ? [attr(OVS_USERSPACE_ATTR_ACTIONS)] : []),
    ]),
    decode: (d) => {
      const m = uniqueAttrs(d, [OVS_USERSPACE_ATTR_PID, OVS_USERSPACE_ATTR_USERDATA, OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, OVS_USERSPACE_ATTR_ACTIONS]);
      if (!m) return undefined;
      const pid = m.get(OVS_USERSPACE_ATTR_PID);
      if (pid?.length !== 4) throw new RangeError('OVS_ACTION_ATTR_USERSPACE: OVS_USERSPACE_ATTR_PID missing or not 4 bytes');
      const a: ActionOf<'userspace'> = { type: 'userspace', pid: pid.readUInt32LE(0) };
      const userdata = m.get(OVS_USERSPACE_ATTR_USERDATA);
      if (userdata) a.userdata = userdata;
      const tun = m.get(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT);
      if (tun) a.egressTunPort = sizedOrThrow(tun, 4, 'OVS_USERSPACE_ATTR_EGRESS_TUN_PORT').readUInt32LE(0);
      const acts = m.get(OVS_USERSPACE_ATTR_ACTIONS);
      if (acts) {
        if (acts.length) return undefined;
        a.actions = true;
      }
      return a;
    },
  },
  set: {
    attrType: OVS_ACTION_ATTR_SET, uapi: 'OVS_ACTION_ATTR_SET',
    encode: (a) => {
      const k = singleKeyAttr(a.key, 'set');
      return attr(k.type, k.data);
    },
    decode: (d, canonical) => {
      const key = parseAttrs(d).length === 1 ? exactKey(d, canonical) : undefined;
      return key && { type: 'set', key };
    },
  },
  push_vlan: {
    attrType: OVS_ACTION_ATTR_PUSH_VLAN, uapi: 'OVS_ACTION_ATTR_PUSH_VLAN', size: 4,
    encode: (a) => {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(a.tpid, 0);
      b.writeUInt16BE(a.tci, 2);
      return b;
    },
    decode: (d) => ({ type: 'push_vlan', tpid: d.readUInt16BE(0), tci: d.readUInt16BE(2) }),
  },
  pop_vlan: {
    attrType: OVS_ACTION_ATTR_POP_VLAN, uapi: 'OVS_ACTION_ATTR_POP_VLAN', size: 0,
    encode: () => Buffer.alloc(0),
    decode: () => ({ type: 'pop_vlan' }),
  },
  sample: {
    attrType: OVS_ACTION_ATTR_SAMPLE, uapi: 'OVS_ACTION_ATTR_SAMPLE',
    encode: (a) => Buffer.concat([
      attr(OVS_SAMPLE_ATTR_PROBABILITY, u32le(a.probability)),
      attr(OVS_SAMPLE_ATTR_ACTIONS, encodeActions(a.actions)),
    ]),
    decode: (d, canonical) => {
      const m = uniqueAttrs(d, [OVS_SAMPLE_ATTR_PROBABILITY, OVS_SAMPLE_ATTR_ACTIONS]);
      const p = m?.get(OVS_SAMPLE_ATTR_PROBABILITY);
      const acts = m?.get(OVS_SAMPLE_ATTR_ACTIONS);
      if (p?.length !== 4 || acts === undefined) return undefined;
      const actions = nestedActions(acts, canonical);
      return actions && { type: 'sample', probability: p.readUInt32LE(0), actions };
    },
  },
  recirc: {
    attrType: OVS_ACTION_ATTR_RECIRC, uapi: 'OVS_ACTION_ATTR_RECIRC', size: 4,
    encode: (a) => u32le(a.id),
    decode: (d) => ({ type: 'recirc', id: d.readUInt32LE(0) }),
  },
  hash: {
    attrType: OVS_ACTION_ATTR_HASH, uapi: 'OVS_ACTION_ATTR_HASH', size: 8,
    encode: (a) => Buffer.concat([u32le(a.alg), u32le(a.basis)]),
    decode: (d) => ({ type: 'hash', alg: d.readUInt32LE(0), basis: d.readUInt32LE(4) }),
  },
  push_mpls: {
    attrType: OVS_ACTION_ATTR_PUSH_MPLS, uapi: 'OVS_ACTION_ATTR_PUSH_MPLS', size: 8,
    encode: (a) => {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(a.lse >>> 0, 0);
      b.writeUInt16BE(a.ethertype, 4);
      return b;
    },
    decode: (d) => (d.readUInt16BE(6) !== 0 ? undefined : { type: 'push_mpls', lse: d.readUInt32BE(0), ethertype: d.readUInt16BE(4) }),
  },
  pop_mpls: {
    attrType: OVS_ACTION_ATTR_POP_MPLS, uapi: 'OVS_ACTION_ATTR_POP_MPLS', size: 2,
    encode: (a) => {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(a.ethertype);
      return b;
    },
    decode: (d) => ({ type: 'pop_mpls', ethertype: d.readUInt16BE(0) }),
  },
  set_masked: {
    attrType: OVS_ACTION_ATTR_SET_MASKED, uapi: 'OVS_ACTION_ATTR_SET_MASKED',
    encode: (a) => {
      const k = singleKeyAttr(a.key, 'set_masked key');
      const m = singleKeyAttr(a.mask, 'set_masked mask');
      return attr(k.type, maskedKeyPayload(k, m));
    },
    decode: (d, canonical) => {
      const inner = parseAttrs(d);
      if (inner.length !== 1) return undefined;
      const halves = splitMasked(inner[0]);
      const key = halves && exactKey(halves.key, canonical);
      const mask = halves && exactKey(halves.mask, canonical);
      if (!halves || !key || !mask) return undefined;
      // Value bits outside the mask cannot be represented (encoding clears them; the kernel refuses them).
      const [kp, mp] = [halves.key.subarray(4), halves.mask.subarray(4)];
      if (kp.some((b, i) => (b & ~mp[i]) !== 0)) return undefined;
      const a: ActionOf<'set_masked'> = { type: 'set_masked', key, mask };
      return canonical || encodeActions([a]).subarray(4).equals(d) ? a : undefined;
    },
  },
  ct: {
    attrType: OVS_ACTION_ATTR_CT, uapi: 'OVS_ACTION_ATTR_CT',
    encode: (a) => encodeCt(a),
    decode: decodeCt,
  },
  trunc: {
    attrType: OVS_ACTION_ATTR_TRUNC, uapi: 'OVS_ACTION_ATTR_TRUNC', size: 4,
    encode: (a) => u32le(a.maxLen),
    decode: (d) => ({ type: 'trunc', maxLen: d.readUInt32LE(0) }),
  },
  push_eth: {
    attrType: OVS_ACTION_ATTR_PUSH_ETH, uapi: 'OVS_ACTION_ATTR_PUSH_ETH', size: 12,
    encode: (a) => Buffer.concat([macBytes(a.src), macBytes(a.dst)]),
    decode: (d) => ({ type: 'push_eth', src: macText(d, 0), dst: macText(d, 6) }),
  },
  pop_eth: {
    attrType: OVS_ACTION_ATTR_POP_ETH, uapi: 'OVS_ACTION_ATTR_POP_ETH', size: 0,
    encode: () => Buffer.alloc(0),
    decode: () => ({ type: 'pop_eth' }),
  },
  ct_clear: {
    attrType: OVS_ACTION_ATTR_CT_CLEAR, uapi: 'OVS_ACTION_ATTR_CT_CLEAR', size: 0,
    encode: () => Buffer.alloc(0),
    decode: () => ({ type: 'ct_clear' }),
  },
  push_nsh: {
    attrType: OVS_ACTION_ATTR_PUSH_NSH, uapi: 'OVS_ACTION_ATTR_PUSH_NSH',
    encode: (a) => {
      const k = singleKeyAttr(a.key, 'push_nsh');
      if (k.type !== OVS_KEY_ATTR_NSH) throw new RangeError(`push_nsh key must be OVS_KEY_ATTR_NSH, got attribute ${k.type}`);
      return attr(k.type, k.data);
    },
    decode: (d, canonical) => {
      const inner = parseAttrs(d);
      const key = inner.length === 1 && inner[0].type === OVS_KEY_ATTR_NSH ? exactKey(d, canonical) : undefined;
      return key && { type: 'push_nsh', key };
    },
  },
  pop_nsh: {
    attrType: OVS_ACTION_ATTR_POP_NSH, uapi: 'OVS_ACTION_ATTR_POP_NSH', size: 0,
    encode: () => Buffer.alloc(0),
    decode: () => ({ type: 'pop_nsh' }),
  },
  meter: {
    attrType: OVS_ACTION_ATTR_METER, uapi: 'OVS_ACTION_ATTR_METER', size: 4,
    encode: (a) => u32le(a.id),
    decode: (d) => ({ type: 'meter', id: d.readUInt32LE(0) }),
  },
  clone: {
    attrType: OVS_ACTION_ATTR_CLONE, uapi: 'OVS_ACTION_ATTR_CLONE',
    encode: (a) => encodeActions(a.actions),
    decode: (d, canonical) => {
      const actions = nestedActions(d, canonical);
      return actions && { type: 'clone', actions };
    },
  },
  check_pkt_len: {
    attrType: OVS_ACTION_ATTR_CHECK_PKT_LEN, uapi: 'OVS_ACTION_ATTR_CHECK_PKT_LEN',
    // The kernel dumps PKT_LEN, then ACTIONS_IF_LESS_EQUAL, then ACTIONS_IF_GREATER.
    encode: (a) => Buffer.concat([
      attr(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, u16le(a.pktLen)),
      attr(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, encodeActions(a.ifLessEqual)),
      attr(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, encodeActions(a.ifGreater)),
    ]),
    decode: (d, canonical) => {
      const m = uniqueAttrs(d, [OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL]);
      const len = m?.get(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN);
      const gt = m?.get(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER);
      const le = m?.get(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL);
      if (len?.length !== 2 || gt === undefined || le === undefined) return undefined;
      const ifGreater = nestedActions(gt, canonical);
      const ifLessEqual = nestedActions(le, canonical);
      return ifGreater && ifLessEqual && { type: 'check_pkt_len', pktLen: len.readUInt16LE(0), ifGreater, ifLessEqual };
    },
  },
  add_mpls: {
    attrType: OVS_ACTION_ATTR_ADD_MPLS, uapi: 'OVS_ACTION_ATTR_ADD_MPLS', size: 8,
    encode: (a) => {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(a.lse >>> 0, 0);
      b.writeUInt16BE(a.ethertype, 4);
      b.writeUInt16LE(a.tunFlags, 6);
      return b;
    },
    decode: (d) => ({ type: 'add_mpls', lse: d.readUInt32BE(0), ethertype: d.readUInt16BE(4), tunFlags: d.readUInt16LE(6) }),
  },
  dec_ttl: {
    attrType: OVS_ACTION_ATTR_DEC_TTL, uapi: 'OVS_ACTION_ATTR_DEC_TTL',
    encode: (a) => attr(OVS_DEC_TTL_ATTR_ACTION, encodeActions(a.actions)),
    decode: (d, canonical) => {
      const acts = uniqueAttrs(d, [OVS_DEC_TTL_ATTR_ACTION])?.get(OVS_DEC_TTL_ATTR_ACTION);
      const actions = acts && nestedActions(acts, canonical);
      return actions && { type: 'dec_ttl', actions };
    },
  },
};

type AnyActionSpec = ActionSpec<ModelledType>;

const SPEC_LIST = Object.values(SPECS) as AnyActionSpec[];
const SPEC_BY_ATTR = new Map<number, AnyActionSpec>(SPEC_LIST.map((s) => [s.attrType, s]));

function specOf(a: Exclude<OdpAction, { type: 'other' }>): AnyActionSpec {
  return SPECS[a.type] as AnyActionSpec;
}

/**
 * Encodes actions as a sequence of `OVS_ACTION_ATTR_*` attributes, in list order (the payload
 * of an ACTIONS attribute; empty for drop). Nested sub-attributes come in the kernel's dump
 * order (see the module comment).
 * @throws RangeError on out-of-range numbers, malformed addresses, a set/set_masked/push_nsh key
 *   that is not exactly one attribute (or whose mask differs in type or size, or is nested),
 *   ct labels not 16+16 bytes, or a ct helper/timeout name that is empty or too long
 */
export function encodeActions(actions: OdpAction[]): Buffer {
  return Buffer.concat(actions.map((a) => {
    if (a.type === 'other') return attr(a.attrType, a.data);
    const spec = specOf(a);
    let payload: Buffer;
    try {
      payload = spec.encode(a as never);
    } catch (e) {
      const msg = (e as Error).message;
      throw new RangeError(/^OVS_ACTION_ATTR_/.test(msg) ? msg : `${spec.uapi}: ${msg}`);
    }
    if (spec.size !== undefined && payload.length !== spec.size) {
      throw new RangeError(`${spec.uapi}: payload is ${payload.length} bytes, expected ${spec.size}`);
    }
    return attr(spec.attrType, payload);
  }));
}

/** Options of {@link decodeActions}. */
export interface DecodeActionsOptions {
  /**
   * Accept key attributes (in set, set_masked, push_nsh) whose sub-attributes are not in the
   * kernel's order, e.g. a tunnel key as OVS's parser writes it: they decode to the same
   * actions, which then re-encode in the kernel's order rather than byte for byte. Default
   * false: such actions come back as `other`, so decode→encode is always byte-exact.
   */
  canonical?: boolean;
}

/**
 * Decodes a sequence of `OVS_ACTION_ATTR_*` attributes. Unknown types, and nested actions whose
 * sub-attributes this codec cannot re-encode exactly, come back as `other`; so do masked sets
 * whose value has bits outside the mask (the kernel refuses them).
 * @param attrs the payload of an ACTIONS attribute
 * @param options see {@link DecodeActionsOptions}
 * @throws RangeError when a fixed-size action has the wrong payload size, a userspace action
 *   lacks its pid, or an attribute header is malformed
 */
export function decodeActions(attrs: Buffer, options: DecodeActionsOptions = {}): OdpAction[] {
  const canonical = options.canonical ?? false;
  return parseAttrs(attrs).map((a): OdpAction => {
    const spec = SPEC_BY_ATTR.get(a.type);
    if (!spec) return { type: 'other', attrType: a.type, data: a.data };
    if (spec.size !== undefined && a.data.length !== spec.size) {
      throw new RangeError(`${spec.uapi}: payload is ${a.data.length} bytes, expected ${spec.size}`);
    }
    return spec.decode(a.data, canonical) ?? { type: 'other', attrType: a.type, data: a.data };
  });
}

// ---------------------------------------------------------------------------------------------
// Text: OVS 3.1's format_odp_actions(), from the bytes

/** C's "%#x": "0" for zero, "0x…" otherwise. */
function hexAlt(n: number | bigint): string {
  return n === 0 || n === 0n ? '0' : `0x${n.toString(16)}`;
}

/** ds_put_hex(): "0x" then the bytes without leading zero bytes, the first without its leading zero; "0" when all zero. */
function dsPutHex(b: Buffer): string {
  const first = b.findIndex((x) => x !== 0);
  if (first < 0) return '0';
  return `0x${b[first].toString(16)}${b.subarray(first + 1).toString('hex')}`;
}

/** A host-order (little-endian) u128 as big-endian ds_put_hex() text. */
function u128Text(b: Buffer): string {
  return dsPutHex(Buffer.from(b).reverse());
}

/**
 * printf("%.Nf") of a double: the exact binary value rounded half to even, as glibc prints it
 * (Number.prototype.toFixed rounds exact ties away from zero).
 */
function printfFixed(x: number, digits: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(Math.abs(x));
  const bits = b.readBigUInt64BE(0);
  const e = Number((bits >> 52n) & 0x7ffn);
  const f = bits & ((1n << 52n) - 1n);
  const [mant, exp] = e === 0 ? [f, -1074] : [f | (1n << 52n), e - 1075];
  const num = mant * 10n ** BigInt(digits);
  let q: bigint;
  if (exp >= 0) {
    q = num << BigInt(exp);
  } else {
    const den = 1n << BigInt(-exp);
    q = num / den;
    const twice = 2n * (num % den);
    if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  }
  const str = q.toString().padStart(digits + 1, '0');
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  return sign + (digits ? `${str.slice(0, -digits)}.${str.slice(-digits)}` : str);
}

/** OVS's format_flags(): names of the set bits lowest first, unknown bits as one "0x…", joined by `sep`; "0" when none. */
function formatFlags(flags: number, name: (bit: number) => string | undefined, sep: string): string {
  if (!flags) return '0';
  const out: string[] = [];
  let bad = 0;
  for (let f = flags >>> 0; f; ) {
    const bit = (f & -f) >>> 0;
    const s = name(bit);
    if (s) out.push(s);
    else bad = (bad | bit) >>> 0;
    f = (f & ~bit) >>> 0;
  }
  if (bad) out.push(`0x${bad.toString(16)}`);
  return out.join(sep);
}

/** `enum slow_path_reason` names by bit number (bit 0 = cfm, 1 << 6 = match), from OVS lib/odp-util.h SLOW_PATH_REASONS. */
export const SLOW_PATH_REASONS: readonly string[] = ['cfm', 'bfd', 'lacp', 'stp', 'lldp', 'action', 'match'];

/** `enum user_action_cookie_type` (OVS lib/odp-util.h): per-bridge sFlow sample, printed `sFlow(vid=,pcp=,output=)`. */
export const USER_ACTION_COOKIE_SFLOW = 1;
/** Cookie type: userspace must handle the flow, printed `slow_path(<reasons>)`. */
export const USER_ACTION_COOKIE_SLOW_PATH = 2;
/** Cookie type: per-flow IPFIX sample, printed `flow_sample(probability=,…,output_port=[,ingress|,egress])`. */
export const USER_ACTION_COOKIE_FLOW_SAMPLE = 3;
/** Cookie type: per-bridge IPFIX sample, printed `ipfix(output_port=)`. */
export const USER_ACTION_COOKIE_IPFIX = 4;
/** Cookie type: send to the controller, printed `controller(reason=,…,max_len=)`. */
export const USER_ACTION_COOKIE_CONTROLLER = 5;
/**
 * sizeof(struct user_action_cookie) in OVS 3.1 (lib/odp-util.h), host order except where noted:
 * u16 type @0, u32 ofp_in_port @4 (OFPP_NONE = 0xffff), 16-byte ofproto uuid @8, then the
 * per-type union at {@link USER_ACTION_COOKIE_UNION}. Userdata of exactly this size is printed
 * as a cookie by OVS.
 */
export const USER_ACTION_COOKIE_SIZE = 48;
/**
 * Offset of the cookie's union, as found in the bytes `ovs-dpctl add-flow` sends. Union members,
 * as offsets from it: sFlow be16 vlan_tci @0,
 * u32 output @4; slow_path u32 reason @4; flow_sample u16 probability @0, u32 collector_set_id
 * @4, obs_domain_id @8, obs_point_id @12, output_odp_port @16, direction @20; ipfix u32
 * output_odp_port @0; controller u8 dont_send @0, u8 continuation @1, u16 reason @2, u32
 * recirc_id @4, be64 rule_cookie @8, u16 controller_id @16, u16 max_len @18.
 */
export const USER_ACTION_COOKIE_UNION = 24;

/** `struct nl_policy` semantics of OVS's nl_parse_nested(): min/max payload sizes, required or optional. */
interface PolicyEntry {
  min: number;
  max: number;
  optional: boolean;
  /** NL_A_STRING: NUL-terminated, no embedded NUL. */
  string?: boolean;
}

const P = {
  u16: (optional = false): PolicyEntry => ({ min: 2, max: 2, optional }),
  u32: (optional = false): PolicyEntry => ({ min: 4, max: 4, optional }),
  flag: (): PolicyEntry => ({ min: 0, max: 0, optional: true }),
  unspec: (optional = false, min = 0, max = Infinity): PolicyEntry => ({ min, max, optional }),
  string: (min: number, max: number): PolicyEntry => ({ min, max, optional: true, string: true }),
};

/** OVS's nl_parse_nested(): attributes by type (last wins), or undefined on a policy violation or trailing garbage. */
function policyParse(data: Buffer, policy: (PolicyEntry | undefined)[]): (Buffer | undefined)[] | undefined {
  const out: (Buffer | undefined)[] = new Array(policy.length).fill(undefined);
  let off = 0;
  while (off + 4 <= data.length) {
    const len = data.readUInt16LE(off);
    if (len < 4 || off + len > data.length) break;
    const type = data.readUInt16LE(off + 2) & 0x3fff;
    const payload = data.subarray(off + 4, off + len);
    const e = type < policy.length ? policy[type] : undefined;
    if (e) {
      if (payload.length < e.min || payload.length > e.max) return undefined;
      if (e.string && (payload[payload.length - 1] !== 0 || payload.subarray(0, -1).includes(0))) return undefined;
      out[type] = payload;
    }
    off += (len + 3) & ~3;
  }
  if (off < data.length) return undefined;
  return policy.every((e, i) => !e || e.optional || out[i] !== undefined) ? out : undefined;
}

function formatUserspace(ctx: FormatCtx, d: Buffer): string {
  const policy: (PolicyEntry | undefined)[] = [];
  policy[OVS_USERSPACE_ATTR_PID] = P.u32();
  policy[OVS_USERSPACE_ATTR_USERDATA] = P.unspec(true);
  policy[OVS_USERSPACE_ATTR_EGRESS_TUN_PORT] = P.u32(true);
  policy[OVS_USERSPACE_ATTR_ACTIONS] = P.unspec(true);
  const a = policyParse(d, policy);
  if (!a) return 'userspace(error)';
  let s = `userspace(pid=${a[OVS_USERSPACE_ATTR_PID]!.readUInt32LE(0)}`;
  const ud = a[OVS_USERSPACE_ATTR_USERDATA];
  if (ud) {
    const cookie = ud.length === USER_ACTION_COOKIE_SIZE ? formatCookie(ctx, ud) : undefined;
    s += cookie ?? `,userdata(${ud.toString('hex')})`;
  }
  if (a[OVS_USERSPACE_ATTR_ACTIONS]) s += ',actions';
  const tun = a[OVS_USERSPACE_ATTR_EGRESS_TUN_PORT];
  if (tun) s += `,tunnel_out_port=${ctx.port(tun.readUInt32LE(0))}`;
  return `${s})`;
}

/** The cookie text OVS prints for a 48-byte userdata, or undefined for an unknown cookie type. */
function formatCookie(ctx: FormatCtx, c: Buffer): string | undefined {
  const u = USER_ACTION_COOKIE_UNION;
  switch (c.readUInt16LE(0)) {
    case USER_ACTION_COOKIE_SFLOW: {
      const tci = c.readUInt16BE(u);
      return `,sFlow(vid=${tci & 0xfff},pcp=${tci >> 13},output=${c.readUInt32LE(u + 4)})`;
    }
    case USER_ACTION_COOKIE_SLOW_PATH:
      return `,slow_path(${formatFlags(c.readUInt32LE(u + 4), (bit) => SLOW_PATH_REASONS[Math.log2(bit)], ',')})`;
    case USER_ACTION_COOKIE_FLOW_SAMPLE: {
      const dir = c.readUInt32LE(u + 20);
      return `,flow_sample(probability=${c.readUInt16LE(u)},collector_set_id=${c.readUInt32LE(u + 4)}` +
        `,obs_domain_id=${c.readUInt32LE(u + 8)},obs_point_id=${c.readUInt32LE(u + 12)}` +
        `,output_port=${ctx.port(c.readUInt32LE(u + 16))}${dir === 1 ? ',ingress' : dir === 2 ? ',egress' : ''})`;
    }
    case USER_ACTION_COOKIE_IPFIX:
      return `,ipfix(output_port=${ctx.port(c.readUInt32LE(u))})`;
    case USER_ACTION_COOKIE_CONTROLLER:
      return `,controller(reason=${c.readUInt16LE(u + 2)},dont_send=${c[u] ? 1 : 0},continuation=${c[u + 1] ? 1 : 0}` +
        `,recirc_id=${c.readUInt32LE(u + 4)},rule_cookie=${hexAlt(c.readBigUInt64BE(u + 8))}` +
        `,controller_id=${c.readUInt16LE(u + 16)},max_len=${c.readUInt16LE(u + 18)})`;
    default:
      return undefined;
  }
}

function formatSample(ctx: FormatCtx, d: Buffer): string {
  const policy: (PolicyEntry | undefined)[] = [];
  policy[OVS_SAMPLE_ATTR_PROBABILITY] = P.u32();
  policy[OVS_SAMPLE_ATTR_ACTIONS] = P.unspec();
  const a = policyParse(d, policy);
  if (!a) return 'sample(error)';
  const pct = (100.0 * a[OVS_SAMPLE_ATTR_PROBABILITY]!.readUInt32LE(0)) / 0xffffffff;
  return `sample(sample=${printfFixed(pct, 1)}%,actions(${formatList(ctx, a[OVS_SAMPLE_ATTR_ACTIONS]!)}))`;
}

function formatCheckPktLen(ctx: FormatCtx, d: Buffer): string {
  const policy: (PolicyEntry | undefined)[] = [];
  policy[OVS_CHECK_PKT_LEN_ATTR_PKT_LEN] = P.u16();
  policy[OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER] = P.unspec();
  policy[OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL] = P.unspec();
  const a = policyParse(d, policy);
  if (!a) return 'check_pkt_len(error)';
  return `check_pkt_len(size=${a[OVS_CHECK_PKT_LEN_ATTR_PKT_LEN]!.readUInt16LE(0)}` +
    `,gt(${formatList(ctx, a[OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER]!)})` +
    `,le(${formatList(ctx, a[OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL]!)}))`;
}

function formatNat(d: Buffer): string {
  const policy: (PolicyEntry | undefined)[] = [];
  for (const t of [OVS_NAT_ATTR_SRC, OVS_NAT_ATTR_DST, OVS_NAT_ATTR_PERSISTENT, OVS_NAT_ATTR_PROTO_HASH, OVS_NAT_ATTR_PROTO_RANDOM]) policy[t] = P.flag();
  policy[OVS_NAT_ATTR_IP_MIN] = P.unspec(true, 4, 16);
  policy[OVS_NAT_ATTR_IP_MAX] = P.unspec(true, 4, 16);
  policy[OVS_NAT_ATTR_PROTO_MIN] = P.u16(true);
  policy[OVS_NAT_ATTR_PROTO_MAX] = P.u16(true);
  const a = policyParse(d, policy);
  if (!a) return 'nat(error: nl_parse_nested() failed.)';
  const src = a[OVS_NAT_ATTR_SRC];
  const dst = a[OVS_NAT_ATTR_DST];
  const ipMinA = a[OVS_NAT_ATTR_IP_MIN];
  const ipMaxA = a[OVS_NAT_ATTR_IP_MAX];
  const pMinA = a[OVS_NAT_ATTR_PROTO_MIN];
  const pMaxA = a[OVS_NAT_ATTR_PROTO_MAX];
  const persistent = a[OVS_NAT_ATTR_PERSISTENT];
  const hash = a[OVS_NAT_ATTR_PROTO_HASH];
  const random = a[OVS_NAT_ATTR_PROTO_RANDOM];
  if (!src && !dst && (ipMinA || ipMaxA || pMinA || pMaxA || persistent || hash || random)) {
    return 'nat(error: options allowed only with "src" or "dst")';
  }
  if (src && dst) return 'nat(error: Only one of "src" or "dst" may be present.)';
  if (!ipMinA && pMinA) return 'nat(error: proto but no IP.)';
  if ((!ipMinA && ipMaxA) || (!pMinA && pMaxA)) return 'nat(error: range max without min.)';
  if ((ipMinA && ipMinA.length !== 4 && ipMinA.length !== 16) || (ipMinA && ipMaxA && ipMinA.length !== ipMaxA.length)) {
    return 'nat(error: IP address sizes do not match)';
  }
  const addrLen = ipMinA ? ipMinA.length : 0;
  const pMin = pMinA ? pMinA.readUInt16LE(0) : 0;
  const pMax = pMaxA ? pMaxA.readUInt16LE(0) : 0;
  // Absent IP_MAX reads as all-zero (0.0.0.0 / ::), as in OVS.
  const ipMax = ipMaxA ?? Buffer.alloc(addrLen);
  const zeroMax = ipMax.every((x) => x === 0);
  if ((addrLen && !zeroMax && Buffer.compare(ipMinA!, ipMax) > 0) || (pMax && pMin > pMax)) return 'nat(range error)';
  let s = 'nat';
  if (!src && !dst) return s;
  s += `(${src ? 'src' : 'dst'}`;
  if (addrLen) {
    const bracket = (b: Buffer) => (addrLen === 16 && pMin ? `[${ipText(b)}]` : ipText(b));
    s += `=${bracket(ipMinA!)}`;
    if (!zeroMax && !ipMax.equals(ipMinA!)) s += `-${bracket(ipMax)}`;
    if (pMin) {
      s += `:${pMin}`;
      if (pMax && pMax !== pMin) s += `-${pMax}`;
    }
  }
  const flags = [persistent && 'persistent', hash && 'hash', random && 'random'].filter(Boolean);
  return `${s}${flags.length ? `,${flags.join(',')}` : ''})`;
}

function formatCt(d: Buffer): string {
  const policy: (PolicyEntry | undefined)[] = [];
  policy[OVS_CT_ATTR_COMMIT] = P.flag();
  policy[OVS_CT_ATTR_FORCE_COMMIT] = P.flag();
  policy[OVS_CT_ATTR_ZONE] = P.u16(true);
  policy[OVS_CT_ATTR_MARK] = P.unspec(true, 8);
  policy[OVS_CT_ATTR_LABELS] = P.unspec(true, 2 * OVS_CT_LABELS_LEN);
  policy[OVS_CT_ATTR_HELPER] = P.string(1, 16);
  policy[OVS_CT_ATTR_NAT] = P.unspec(true);
  policy[OVS_CT_ATTR_TIMEOUT] = P.string(1, 32);
  const a = policyParse(d, policy);
  if (!a) return 'ct(error)';
  const zone = a[OVS_CT_ATTR_ZONE]?.readUInt16LE(0) ?? 0;
  const mark = a[OVS_CT_ATTR_MARK];
  const labels = a[OVS_CT_ATTR_LABELS];
  const helper = a[OVS_CT_ATTR_HELPER];
  const timeout = a[OVS_CT_ATTR_TIMEOUT];
  const nat = a[OVS_CT_ATTR_NAT];
  const parts: string[] = [];
  if (a[OVS_CT_ATTR_COMMIT]) parts.push('commit');
  if (a[OVS_CT_ATTR_FORCE_COMMIT]) parts.push('force_commit');
  if (zone) parts.push(`zone=${zone}`);
  if (mark) parts.push(`mark=${hexAlt(mark.readUInt32LE(0))}/${hexAlt(mark.readUInt32LE(4))}`);
  if (labels) {
    const mask = labels.subarray(OVS_CT_LABELS_LEN, 2 * OVS_CT_LABELS_LEN);
    parts.push(`label=${u128Text(labels.subarray(0, OVS_CT_LABELS_LEN))}${mask.every((x) => x === 0xff) ? '' : `/${u128Text(mask)}`}`);
  }
  if (helper) parts.push(`helper=${readString(helper)}`);
  if (timeout) parts.push(`timeout=${readString(timeout)}`);
  if (nat) parts.push(formatNat(nat));
  return parts.length ? `ct(${parts.join(',')})` : 'ct';
}

/** Sizes of OVS_NSH_KEY_ATTR_BASE / MD1 payloads. */
const NSH_BASE_LEN = 8;
const NSH_MD1_LEN = 16;

/** push_nsh(...) as OVS prints it after rebuilding the NSH header from the nested key (odp_nsh_hdr_from_attr()). */
function formatPushNsh(d: Buffer): string {
  const key = parseAttrs(d)[0];
  let flags = 0;
  let ttl = 63;
  let mdtype = 0;
  let np = 0;
  let pathHdr = 0;
  let mdlen = 0;
  let md1: Buffer | undefined;
  let md2: Buffer | undefined;
  let error = false;
  for (const a of key ? parseAttrs(key.data) : []) {
    if ((a.type === OVS_NSH_KEY_ATTR_BASE && a.data.length !== NSH_BASE_LEN) || (a.type === OVS_NSH_KEY_ATTR_MD1 && a.data.length !== NSH_MD1_LEN)) {
      error = true;
      break;
    }
    if (a.type === OVS_NSH_KEY_ATTR_BASE) {
      [flags, ttl, mdtype, np] = [a.data[0], a.data[1], a.data[2], a.data[3]];
      pathHdr = a.data.readUInt32BE(4);
    } else if (a.type === OVS_NSH_KEY_ATTR_MD1) {
      md1 = a.data;
      mdlen = a.data.length;
    } else if (a.type === OVS_NSH_KEY_ATTR_MD2) {
      md2 = a.data;
      mdlen = a.data.length;
    }
  }
  // On a malformed key OVS prints whatever it had filled in, with the header word still zero.
  if (error || (md1 && mdtype !== 1) || (md2 && mdtype !== 2)) [flags, ttl, mdlen] = [0, 0, -NSH_BASE_LEN];
  const len = ((NSH_BASE_LEN + mdlen) >> 2) & 0x3f;
  let s = `push_nsh(flags=${flags & 0x3},ttl=${ttl & 0x3f},mdtype=${mdtype},np=${np},spi=0x${(pathHdr >>> 8).toString(16)},si=${pathHdr & 0xff}`;
  if (mdtype === 1) {
    const ctx = md1 ?? Buffer.alloc(NSH_MD1_LEN);
    for (let i = 0; i < 4; i++) s += `,c${i + 1}=0x${ctx.readUInt32BE(i * 4).toString(16)}`;
  } else if (mdtype === 2) {
    const shown = Math.max(0, len * 4 - NSH_BASE_LEN);
    const md = Buffer.alloc(shown);
    md2?.copy(md, 0, 0, shown);
    s += `,md2=${dsPutHex(md)}`;
  } else {
    s += ',<error: unknown mdtype>';
  }
  return `${s})`;
}

/** set(nsh(...)) of a SET_MASKED NSH key, as OVS's format_odp_set_nsh(): nothing at all on a sub-attribute it cannot use. */
function formatSetNsh(key: NlAttr): string {
  const v = Buffer.alloc(24);
  const m = Buffer.alloc(24, 0xff);
  for (const a of parseAttrs(key.data)) {
    if (a.type >= OVS_NSH_KEY_ATTR_MD2) return '';
    const expected = a.type === OVS_NSH_KEY_ATTR_BASE ? NSH_BASE_LEN : a.type === OVS_NSH_KEY_ATTR_MD1 ? NSH_MD1_LEN : 0;
    if (a.data.length !== 2 * expected) return '';
    if (a.type === OVS_NSH_KEY_ATTR_BASE) {
      a.data.copy(v, 0, 0, 8);
      a.data.copy(m, 0, 8, 16);
    } else if (a.type === OVS_NSH_KEY_ATTR_MD1) {
      a.data.copy(v, 8, 0, 16);
      a.data.copy(m, 8, 16, 32);
    }
  }
  const parts: string[] = [];
  const u8 = (name: string, value: number, mask: number) => {
    if (mask === 0) return;
    parts.push(`${name}=${mask === 0xff ? value : `0x${value.toString(16).padStart(2, '0')}/0x${mask.toString(16).padStart(2, '0')}`}`);
  };
  const be32 = (name: string, value: number, mask: number) => {
    if (mask === 0) return;
    parts.push(`${name}=0x${value.toString(16)}${mask === 0xffffffff ? '' : `/0x${mask.toString(16).padStart(8, '0')}`}`);
  };
  u8('flags', v[0], m[0]);
  u8('ttl', v[1], m[1]);
  u8('mdtype', v[2], m[2]);
  u8('np', v[3], m[3]);
  const spiMask = m.readUInt32BE(4) >>> 8;
  be32('spi', v.readUInt32BE(4) >>> 8, spiMask === 0xffffff ? 0xffffffff : spiMask);
  u8('si', v[7], m[7]);
  for (let i = 0; i < 4; i++) be32(`c${i + 1}`, v.readUInt32BE(8 + i * 4), m.readUInt32BE(8 + i * 4));
  return `set(nsh(${parts.join(',')}))`;
}

/** OVS's format_mpls_lse(). */
function mplsLseText(lse: number): string {
  return `label=${lse >>> 12},tc=${(lse >> 9) & 7},ttl=${lse & 0xff},bos=${(lse >> 8) & 1}`;
}

/** Payload size OVS 3.1's odp_action_len() expects per type (its own numbering): number, 'var', or -1 (invalid). */
function ovsActionLen(type: number): number | 'var' {
  const fixed: Record<number, number> = {
    [OVS_ACTION_ATTR_OUTPUT]: 4, [OVS_ACTION_ATTR_PUSH_VLAN]: 4, [OVS_ACTION_ATTR_POP_VLAN]: 0,
    [OVS_ACTION_ATTR_RECIRC]: 4, [OVS_ACTION_ATTR_HASH]: 8, [OVS_ACTION_ATTR_PUSH_MPLS]: 8,
    [OVS_ACTION_ATTR_POP_MPLS]: 2, [OVS_ACTION_ATTR_TRUNC]: 4, [OVS_ACTION_ATTR_PUSH_ETH]: 12,
    [OVS_ACTION_ATTR_POP_ETH]: 0, [OVS_ACTION_ATTR_CT_CLEAR]: 0, [OVS_ACTION_ATTR_POP_NSH]: 0,
    [OVS_ACTION_ATTR_METER]: 4, [OVS_ACTION_ATTR_ADD_MPLS]: 8, [OVS31_ACTION_ATTR_TUNNEL_POP]: 4,
    [OVS31_ACTION_ATTR_DROP]: 4, [OVS31_ACTION_ATTR_LB_OUTPUT]: 4,
  };
  if (type in fixed) return fixed[type];
  return type >= 1 && type <= OVS31_ACTION_ATTR_LB_OUTPUT ? 'var' : -1;
}

/** OVS's format_generic_odp_action(): "action<type>(<hex bytes separated by spaces>)". */
function genericAction(type: number, d: Buffer): string {
  return `action${type}${d.length ? `(${[...d].map((x) => x.toString(16).padStart(2, '0')).join(' ')})` : ''}`;
}

/** What the formatter needs besides the bytes of one action. */
interface FormatCtx {
  /** The buffer being formatted; every nested view is a subarray of it. */
  root: Buffer;
  readableDecTtl: boolean;
  /** odp_portno_name_format(): a port's name when known, else its number. */
  port(n: number): string;
}

/** `enum ovs_vport_type` values OVS 3.1 knows (its userspace ones are 105 and up). */
const VPORT_GRE = 3;
const VPORT_VXLAN = 4;
const VPORT_GENEVE = 5;
const VPORT_ERSPAN = 107;
const VPORT_IP6ERSPAN = 108;
const VPORT_IP6GRE = 109;
const VPORT_GTPU = 110;

/**
 * OVS 3.1's reading of the 6.1 kernel's OVS_ACTION_ATTR_DEC_TTL (type 23): its userspace
 * OVS_ACTION_ATTR_TUNNEL_PUSH, `struct ovs_action_push_tnl { u32 tnl_port, out_port,
 * header_len, tnl_type; u8 header[]; }` read from the payload and on past its end, as
 * format_odp_tnl_push_action() does. Bytes after the formatted buffer read as zero (what OVS
 * finds after the last flow of a dump batch).
 */
function formatTnlPush(ctx: FormatCtx, d: Buffer): string {
  const base = d.byteOffset - ctx.root.byteOffset;
  const mem = (n: number, len: number): Buffer => {
    const out = Buffer.alloc(len);
    const from = base + n;
    if (from < ctx.root.length) ctx.root.copy(out, 0, from, Math.min(from + len, ctx.root.length));
    return out;
  };
  const u8 = (n: number) => mem(n, 1)[0];
  const u16be = (n: number) => mem(n, 2).readUInt16BE(0);
  const u32le = (n: number) => mem(n, 4).readUInt32LE(0);
  const u32be = (n: number) => mem(n, 4).readUInt32BE(0);
  const ip4 = (n: number) => [...mem(n, 4)].join('.');
  const mac = (n: number) => macText(mem(n, 6), 0);
  const tnlType = u32le(12);
  const eth = 16;
  let s = `tnl_push(tnl_port(${ctx.port(u32le(0))}),header(size=${u32le(8)},type=${tnlType},eth(dst=${mac(eth)},src=${mac(eth + 6)},dl_type=0x${u16be(eth + 12).toString(16).padStart(4, '0')}),`;
  let l4: number;
  if (u16be(eth + 12) === 0x0800) {
    const ip = eth + 14;
    s += `ipv4(src=${ip4(ip + 12)},dst=${ip4(ip + 16)},proto=${u8(ip + 9)},tos=${hexAlt(u8(ip + 1))},ttl=${u8(ip + 8)},frag=0x${u16be(ip + 6).toString(16)}),`;
    l4 = ip + 20;
  } else {
    const ip6 = eth + 14;
    const flow = u32be(ip6);
    s += `ipv6(src=${formatIpv6(mem(ip6 + 8, 16))},dst=${formatIpv6(mem(ip6 + 24, 16))},label=${flow & 0xfffff},proto=${u8(ip6 + 6)},tclass=0x${((flow >>> 20) & 0xff).toString(16)},hlimit=${u8(ip6 + 7)}),`;
    l4 = ip6 + 40;
  }
  const udp = (n: number) => `udp(src=${u16be(n)},dst=${u16be(n + 2)},csum=0x${u16be(n + 6).toString(16)}),`;
  if (tnlType === VPORT_VXLAN) {
    s += `${udp(l4)}vxlan(flags=0x${u32be(l4 + 8).toString(16)},vni=0x${(u32be(l4 + 12) >>> 8).toString(16)})`;
  } else if (tnlType === VPORT_GENEVE) {
    const g = l4 + 8;
    const optLen = (u8(g) & 0x3f) * 4;
    s += `${udp(l4)}geneve(${u8(g + 1) & 0x80 ? 'oam,' : ''}${u8(g + 1) & 0x40 ? 'crit,' : ''}vni=0x${(u32be(g + 4) >>> 8).toString(16)}`;
    if (optLen) s += `,options(${formatGeneveOpts(mem(g + 8, optLen))})`;
    s += ')';
  } else if (tnlType === VPORT_GRE || tnlType === VPORT_IP6GRE) {
    const flags = u16be(l4);
    s += `gre((flags=0x${flags.toString(16)},proto=0x${u16be(l4 + 2).toString(16)})`;
    let opt = l4 + 4;
    if (flags & 0x8000) [s, opt] = [`${s},csum=0x${u16be(opt).toString(16)}`, opt + 4];
    if (flags & 0x2000) [s, opt] = [`${s},key=0x${u32be(opt).toString(16)}`, opt + 4];
    if (flags & 0x1000) s += `,seq=0x${u32be(opt).toString(16)}`;
    s += ')';
  } else if (tnlType === VPORT_ERSPAN || tnlType === VPORT_IP6ERSPAN) {
    // struct erspan_base_hdr after an 8-byte GRE header: ver in the high nibble of byte 0,
    // session id = (byte 2 & 3) << 8 | byte 3; then the index (v1) or struct erspan_md2 (v2).
    const e = l4 + 8;
    const ver = u8(e) >> 4;
    const sid = ((u8(e + 2) & 0x3) << 8) + u8(e + 3);
    if (ver === 1) s += `erspan(ver=1,sid=0x${sid.toString(16)},idx=0x${u32be(e + 4).toString(16)})`;
    else if (ver === 2) {
      const hw = u8(e + 11);
      s += `erspan(ver=2,sid=0x${sid.toString(16)},dir=${(hw >> 3) & 1},hwid=0x${(((u8(e + 10) & 0x3) << 4) + (hw >> 4)).toString(16)})`;
    }
  } else if (tnlType === VPORT_GTPU) {
    s += `${udp(l4)}gtpu(flags=0x${u8(l4 + 8).toString(16)},msgtype=${u8(l4 + 9)},teid=0x${u32be(l4 + 12).toString(16)})`;
  }
  return `${s}),out_port(${ctx.port(u32le(4))}))`;
}

/** OVS's format_geneve_opts() without a mask: "{class=…,type=…,len=…,0x…}" per option. */
function formatGeneveOpts(b: Buffer): string {
  let s = '';
  for (let off = 0; off < b.length; ) {
    const left = b.length - off;
    if (left < 4) return `${s}opt len ${left} less than minimum 4`;
    const dataLen = (b[off + 3] & 0x1f) * 4;
    if (4 + dataLen > left) return `${s}opt len ${4 + dataLen} greater than remaining ${left}`;
    s += `{class=${hexAlt(b.readUInt16BE(off))},type=${hexAlt(b[off + 2])},len=${dataLen}${dataLen ? `,${dsPutHex(b.subarray(off + 4, off + 4 + dataLen))}` : ''}}`;
    off += 4 + dataLen;
  }
  return s;
}

/** One action attribute as OVS 3.1 prints it. */
function formatActionAttr(ctx: FormatCtx, type: number, d: Buffer): string {
  const expected = ovsActionLen(type);
  if (expected !== 'var' && d.length !== expected) {
    return `bad length ${d.length}, expected ${expected} for: ${genericAction(type, d)}`;
  }
  switch (type) {
    case OVS_ACTION_ATTR_OUTPUT: return ctx.port(d.readUInt32LE(0));
    case OVS_ACTION_ATTR_USERSPACE: return formatUserspace(ctx, d);
    case OVS_ACTION_ATTR_SET: {
      const k = parseAttrs(d)[0];
      return `set(${k ? formatKeyAttr(k.type, k.data, undefined, true) : ''})`;
    }
    case OVS_ACTION_ATTR_PUSH_VLAN: {
      const tpid = d.readUInt16BE(0);
      return `push_vlan(${tpid !== 0x8100 ? `tpid=0x${tpid.toString(16).padStart(4, '0')},` : ''}${formatVlanTci(d.readUInt16BE(2), 0xffff, false)})`;
    }
    case OVS_ACTION_ATTR_POP_VLAN: return 'pop_vlan';
    case OVS_ACTION_ATTR_SAMPLE: return formatSample(ctx, d);
    case OVS_ACTION_ATTR_RECIRC: return `recirc(${hexAlt(d.readUInt32LE(0))})`;
    case OVS_ACTION_ATTR_HASH: {
      const alg = d.readUInt32LE(0);
      const basis = d.readUInt32LE(4);
      if (alg === OVS_HASH_ALG_L4) return `hash(l4(${basis}))`;
      if (alg === OVS_HASH_ALG_SYM_L4) return `hash(sym_l4(${basis}))`;
      return `hash(Unknown hash algorithm(${alg}))`;
    }
    case OVS_ACTION_ATTR_PUSH_MPLS: return `push_mpls(${mplsLseText(d.readUInt32BE(0))},eth_type=0x${d.readUInt16BE(4).toString(16)})`;
    case OVS_ACTION_ATTR_POP_MPLS: return `pop_mpls(eth_type=0x${d.readUInt16BE(0).toString(16)})`;
    case OVS_ACTION_ATTR_SET_MASKED: {
      const k = parseAttrs(d)[0];
      if (!k) return 'set()';
      if (k.type === OVS_KEY_ATTR_NSH) return formatSetNsh(k);
      const size = k.data.length >> 1;
      // OVS splits only payloads up to sizeof(struct ovs_key_ipv6); bigger ones print unmasked.
      if (size <= 40) return `set(${formatKeyAttr(k.type, k.data.subarray(0, size), k.data.subarray(size, 2 * size), false)})`;
      return `set(${formatKeyAttr(k.type, k.data, undefined, false)})`;
    }
    case OVS_ACTION_ATTR_CT: return formatCt(d);
    case OVS_ACTION_ATTR_TRUNC: return `trunc(${d.readUInt32LE(0)})`;
    case OVS_ACTION_ATTR_PUSH_ETH: return `push_eth(src=${macText(d, 0)},dst=${macText(d, 6)})`;
    case OVS_ACTION_ATTR_POP_ETH: return 'pop_eth';
    case OVS_ACTION_ATTR_CT_CLEAR: return 'ct_clear';
    case OVS_ACTION_ATTR_PUSH_NSH: return formatPushNsh(d);
    case OVS_ACTION_ATTR_POP_NSH: return 'pop_nsh()';
    case OVS_ACTION_ATTR_METER: return `meter(${d.readUInt32LE(0)})`;
    case OVS_ACTION_ATTR_CLONE: return `clone(${formatList(ctx, d)})`;
    case OVS_ACTION_ATTR_CHECK_PKT_LEN: return formatCheckPktLen(ctx, d);
    case OVS_ACTION_ATTR_ADD_MPLS: return `add_mpls(${mplsLseText(d.readUInt32BE(0))},eth_type=0x${d.readUInt16BE(4).toString(16)})`;
    case OVS_ACTION_ATTR_DEC_TTL: {
      if (!ctx.readableDecTtl) return formatTnlPush(ctx, d);
      const inner = parseAttrs(d).find((a) => a.type === OVS_DEC_TTL_ATTR_ACTION);
      return `dec_ttl(le_1(${inner ? formatList(ctx, inner.data) : 'drop'}))`;
    }
    case OVS31_ACTION_ATTR_TUNNEL_POP: return `tnl_pop(${ctx.port(d.readUInt32LE(0))})`;
    case OVS31_ACTION_ATTR_DROP: return 'drop';
    case OVS31_ACTION_ATTR_LB_OUTPUT: return `lb_output(${d.readUInt32LE(0)})`;
    default: return genericAction(type, d);
  }
}

/** format_odp_actions() over `view`, a subarray of ctx.root. */
function formatList(ctx: FormatCtx, view: Buffer): string {
  if (view.length === 0) return 'drop';
  const out: string[] = [];
  let off = 0;
  while (off + 4 <= view.length) {
    const len = view.readUInt16LE(off);
    if (len < 4 || off + len > view.length) break;
    out.push(formatActionAttr(ctx, view.readUInt16LE(off + 2) & 0x3fff, view.subarray(off + 4, off + len)));
    off += (len + 3) & ~3;
  }
  let s = out.join(',');
  if (off < view.length) {
    const left = view.subarray(off);
    s += `${off === 0 ? '<empty>' : ''},***${left.length} leftover bytes*** (${left.toString('hex')})`;
  }
  return s;
}

/** Options of {@link formatActionBytes} and {@link formatActions}. */
export interface FormatActionsOptions {
  /**
   * Print OVS_ACTION_ATTR_DEC_TTL as `dec_ttl(le_1(<actions>))`, the syntax
   * `parseOdpActions()` (./odp-actions-text) reads, instead of what OVS 3.1 prints for it
   * (a `tnl_push(…)` misreading). Default false.
   */
  readableDecTtl?: boolean;
  /**
   * Odp port number → name, printed instead of the number wherever OVS prints a port
   * (`ovs-dpctl --names`): output actions, `tunnel_out_port`, the flow_sample and ipfix
   * cookies' `output_port`, `tnl_pop`/`tnl_push` ports. Not in set() keys, as in OVS.
   */
  portNames?: ReadonlyMap<number, string>;
}

/**
 * ODP text of encoded actions (the payload of an ACTIONS attribute), as OVS 3.1's
 * `format_odp_actions()` prints it: "drop" when empty, actions joined by ",", a malformed tail
 * as ",***N leftover bytes*** (hex)". Works on any bytes, including ones {@link decodeActions}
 * would reject. Ports print as numbers unless {@link FormatActionsOptions.portNames} names them.
 *
 * OVS 3.1 reads the 6.1 kernel's OVS_ACTION_ATTR_DEC_TTL (type 23) as its userspace-only
 * OVS_ACTION_ATTR_TUNNEL_PUSH and prints `tnl_push(tnl_port(…),header(…),out_port(…))` from
 * the payload and the bytes after it; this does the same, reading past the end of `attrs` as
 * zeros (OVS reads whatever follows in its receive buffer). See
 * {@link FormatActionsOptions.readableDecTtl}.
 * @param attrs the actions
 * @param options see {@link FormatActionsOptions}
 * @throws RangeError when a key attribute inside a set action has the wrong size for its type
 */
export function formatActionBytes(attrs: Buffer, options: FormatActionsOptions = {}): string {
  const names = options.portNames;
  const port = (n: number) => names?.get(n) ?? String(n);
  return formatList({ root: attrs, readableDecTtl: options.readableDecTtl ?? false, port }, attrs);
}

/**
 * ODP text as `ovs-dpctl dump-flows` (OVS 3.1) prints it: "2,3", "push_vlan(vid=10,pcp=0),1",
 * "set(ipv4(dst=10.0.0.9))", "ct(commit,zone=1,nat(src=10.0.0.1))", "drop" for [].
 * The actions are encoded first and printed from the bytes (see {@link formatActionBytes}).
 * @throws RangeError as {@link encodeActions}
 */
export function formatActions(actions: OdpAction[], options: FormatActionsOptions = {}): string {
  return formatActionBytes(encodeActions(actions), options);
}
