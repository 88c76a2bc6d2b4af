/**
 * Datapath action codec: the `OVS_ACTION_ATTR_*` attributes nested in `OVS_FLOW_ATTR_ACTIONS`
 * and `OVS_PACKET_ATTR_ACTIONS` (`enum ovs_action_attr` in `<linux/openvswitch.h>`), plus the
 * ODP text form ovs-dpctl prints (`format_odp_actions()` in OVS lib/odp-util.c).
 *
 * Actions run in list order; an empty list drops the packet. Actions this module does not model
 * (ct, sample, clone, meter, hash, MPLS, …) round-trip verbatim as `{ type: 'other' }`.
 */
import { attr, attrMap, parseAttrs } from './nlattr';
import { OdpFlowKey, decodeFlowKey, encodeFlowKey, flowKeyAttrSize, formatKeyAttr, formatVlanTci } from './flow-key';
import {
  OVS_ACTION_ATTR_CT_CLEAR,
  OVS_ACTION_ATTR_OUTPUT,
  OVS_ACTION_ATTR_POP_VLAN,
  OVS_ACTION_ATTR_PUSH_VLAN,
  OVS_ACTION_ATTR_RECIRC,
  OVS_ACTION_ATTR_SET,
  OVS_ACTION_ATTR_SET_MASKED,
  OVS_ACTION_ATTR_TRUNC,
  OVS_ACTION_ATTR_USERSPACE,
  OVS_USERSPACE_ATTR_ACTIONS,
  OVS_USERSPACE_ATTR_EGRESS_TUN_PORT,
  OVS_USERSPACE_ATTR_PID,
  OVS_USERSPACE_ATTR_USERDATA,
} from './openvswitch';

/** One datapath action. Buffers from {@link decodeActions} are views into its input. */
export type OdpAction =
  /** OVS_ACTION_ATTR_OUTPUT: u32 odp port. */
  | { type: 'output'; port: number }
  /**
   * OVS_ACTION_ATTR_USERSPACE: nested OVS_USERSPACE_ATTR_PID (u32, required), USERDATA (opaque),
   * EGRESS_TUN_PORT (u32), ACTIONS (flag; absent and `false` encode the same).
   */
  | { type: 'userspace'; pid: number; userdata?: Buffer; egressTunPort?: number; actions?: boolean }
  /** OVS_ACTION_ATTR_PUSH_VLAN: `struct ovs_action_push_vlan { __be16 vlan_tpid; __be16 vlan_tci; }`; the kernel requires VLAN_CFI (0x1000) in tci. */
  | { type: 'push_vlan'; tpid: number; tci: number }
  /** OVS_ACTION_ATTR_POP_VLAN: no payload. */
  | { type: 'pop_vlan' }
  /** OVS_ACTION_ATTR_RECIRC: u32 recirc id. */
  | { type: 'recirc'; id: number }
  /** OVS_ACTION_ATTR_SET: exactly one nested key attribute holding the new value. */
  | { type: 'set'; key: OdpFlowKey }
  /**
   * OVS_ACTION_ATTR_SET_MASKED: one nested key attribute whose payload is the value followed by
   * the mask (same size each). `key` and `mask` must each hold the same single attribute.
   */
  | { type: 'set_masked'; key: OdpFlowKey; mask: OdpFlowKey }
  /** OVS_ACTION_ATTR_TRUNC: `struct ovs_action_trunc { u32 max_len; }` (bytes; kernel minimum ETH_HLEN). */
  | { type: 'trunc'; maxLen: number }
  /** OVS_ACTION_ATTR_CT_CLEAR: no payload. */
  | { type: 'ct_clear' }
  /** Any other action, verbatim (attrType without NLA_F_* bits). */
  | { type: 'other'; attrType: number; data: Buffer };

type ActionOf<T extends OdpAction['type']> = Extract<OdpAction, { type: T }>;

/** How one modelled action maps to its attribute. */
interface ActionSpec<T extends OdpAction['type']> {
  attrType: number;
  uapi: string;
  /** Fixed payload size, or undefined when variable (nested). */
  size?: number;
  encode(a: ActionOf<T>): Buffer;
  /** Returns undefined to fall back to `other` (a shape this codec does not model). */
  decode(data: Buffer): ActionOf<T> | undefined;
  format(a: ActionOf<T>): string;
}

type Specs = { [T in Exclude<OdpAction['type'], 'other'>]: ActionSpec<T> };

function u32Payload(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

/** C's "%#x". */
function hexAlt(n: number): string {
  return n === 0 ? '0' : `0x${n.toString(16)}`;
}

/** Encodes a key that must hold exactly one attribute; returns that attribute. */
function singleKeyAttr(key: OdpFlowKey, what: string): { type: number; data: Buffer } {
  const attrs = parseAttrs(encodeFlowKey(key));
  if (attrs.length !== 1) throw new RangeError(`${what} must hold exactly one key attribute, got ${attrs.length}`);
  return attrs[0];
}

const SPECS: Specs = {
  output: {
    attrType: OVS_ACTION_ATTR_OUTPUT, uapi: 'OVS_ACTION_ATTR_OUTPUT', size: 4,
    encode: (a) => u32Payload(a.port),
    decode: (d) => ({ type: 'output', port: d.readUInt32LE(0) }),
    format: (a) => String(a.port),
  },
  userspace: {
    attrType: OVS_ACTION_ATTR_USERSPACE, uapi: 'OVS_ACTION_ATTR_USERSPACE',
    encode: (a) => Buffer.concat([
      attr(OVS_USERSPACE_ATTR_PID, u32Payload(a.pid)),
      ...(a.userdata !== undefined ? [attr(OVS_USERSPACE_ATTR_USERDATA, a.userdata)] : []),
      ...(a.egressTunPort !== undefined ? [attr(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, u32Payload(a.egressTunPort))] : []),
      ...(a.actions ? [attr(OVS_USERSPACE_ATTR_ACTIONS)] : []),
    ]),
    decode: (d) => {
      const m = attrMap(d);
      const pid = m.get(OVS_USERSPACE_ATTR_PID);
      if (pid?.length !== 4) throw new RangeError('OVS_ACTION_ATTR_USERSPACE: OVS_USERSPACE_ATTR_PID missing or not 4 bytes');
      const a: ActionOf<'userspace'> = { type: 'userspace', pid: pid.readUInt32LE(0) };
      const userdata = m.get(OVS_USERSPACE_ATTR_USERDATA);
      if (userdata) a.userdata = userdata;
      const tun = m.get(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT);
      if (tun) {
        if (tun.length !== 4) throw new RangeError('OVS_USERSPACE_ATTR_EGRESS_TUN_PORT: expected 4 bytes');
        a.egressTunPort = tun.readUInt32LE(0);
      }
      if (m.has(OVS_USERSPACE_ATTR_ACTIONS)) a.actions = true;
      return a;
    },
    format: (a) => {
      let s = `userspace(pid=${a.pid}`;
      if (a.userdata !== undefined) s += `,userdata(${a.userdata.toString('hex')})`;
      if (a.actions) s += ',actions';
      if (a.egressTunPort !== undefined) s += `,tunnel_out_port=${a.egressTunPort}`;
      return `${s})`;
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
    format: (a) => `push_vlan(${a.tpid !== 0x8100 ? `tpid=0x${a.tpid.toString(16).padStart(4, '0')},` : ''}${formatVlanTci(a.tci, 0xffff, false)})`,
  },
  pop_vlan: {
    attrType: OVS_ACTION_ATTR_POP_VLAN, uapi: 'OVS_ACTION_ATTR_POP_VLAN', size: 0,
    encode: () => Buffer.alloc(0),
    decode: () => ({ type: 'pop_vlan' }),
    format: () => 'pop_vlan',
  },
  recirc: {
    attrType: OVS_ACTION_ATTR_RECIRC, uapi: 'OVS_ACTION_ATTR_RECIRC', size: 4,
    encode: (a) => u32Payload(a.id),
    decode: (d) => ({ type: 'recirc', id: d.readUInt32LE(0) }),
    format: (a) => `recirc(${hexAlt(a.id)})`,
  },
  set: {
    attrType: OVS_ACTION_ATTR_SET, uapi: 'OVS_ACTION_ATTR_SET',
    encode: (a) => {
      const k = singleKeyAttr(a.key, 'set');
      return attr(k.type, k.data);
    },
    decode: (d) => ({ type: 'set', key: decodeFlowKey(d) }),
    format: (a) => {
      const k = singleKeyAttr(a.key, 'set');
      return `set(${formatKeyAttr(k.type, k.data, undefined, true)})`;
    },
  },
  set_masked: {
    attrType: OVS_ACTION_ATTR_SET_MASKED, uapi: 'OVS_ACTION_ATTR_SET_MASKED',
    encode: (a) => {
      const k = singleKeyAttr(a.key, 'set_masked key');
      const m = singleKeyAttr(a.mask, 'set_masked mask');
      if (k.type !== m.type || k.data.length !== m.data.length) {
        throw new RangeError(`set_masked: key attribute ${k.type} and mask attribute ${m.type} differ in type or size`);
      }
      // The kernel applies (old & ~mask) | value, so value bits outside the mask must be zero.
      const value = Buffer.from(k.data);
      for (let i = 0; i < value.length; i++) value[i] &= m.data[i];
      return attr(k.type, [value, m.data]);
    },
    decode: (d) => {
      const inner = parseAttrs(d);
      if (inner.length !== 1) return undefined;
      const { type, data } = inner[0];
      const size = flowKeyAttrSize(type);
      if (size === undefined || data.length !== 2 * size) return undefined;
      return {
        type: 'set_masked',
        key: decodeFlowKey(attr(type, data.subarray(0, size))),
        mask: decodeFlowKey(attr(type, data.subarray(size))),
      };
    },
    format: (a) => {
      const k = singleKeyAttr(a.key, 'set_masked key');
      const m = singleKeyAttr(a.mask, 'set_masked mask');
      return `set(${formatKeyAttr(k.type, k.data, m.data, false)})`;
    },
  },
  trunc: {
    attrType: OVS_ACTION_ATTR_TRUNC, uapi: 'OVS_ACTION_ATTR_TRUNC', size: 4,
    encode: (a) => u32Payload(a.maxLen),
    decode: (d) => ({ type: 'trunc', maxLen: d.readUInt32LE(0) }),
    format: (a) => `trunc(${a.maxLen})`,
  },
  ct_clear: {
    attrType: OVS_ACTION_ATTR_CT_CLEAR, uapi: 'OVS_ACTION_ATTR_CT_CLEAR', size: 0,
    encode: () => Buffer.alloc(0),
    decode: () => ({ type: 'ct_clear' }),
    format: () => 'ct_clear',
  },
};

type AnyActionSpec = ActionSpec<Exclude<OdpAction['type'], 'other'>>;

const SPEC_LIST = Object.values(SPECS) as AnyActionSpec[];
const SPEC_BY_ATTR = new Map<number, AnyActionSpec>(SPEC_LIST.map((s) => [s.attrType, s]));

function specOf(a: Exclude<OdpAction, { type: 'other' }>): AnyActionSpec {
  return SPECS[a.type] as AnyActionSpec;
}

/**
 * Encodes actions as a sequence of `OVS_ACTION_ATTR_*` attributes, in list order (the payload
 * of an ACTIONS attribute; empty for drop).
 * @throws RangeError on out-of-range numbers, or a set/set_masked key that is not exactly one
 *   attribute (or whose mask differs in type or size)
 */
export function encodeActions(actions: OdpAction[]): Buffer {
  return Buffer.concat(actions.map((a) => {
    if (a.type === 'other') return attr(a.attrType, a.data);
    const spec = specOf(a);
    try {
      return attr(spec.attrType, spec.encode(a as never));
    } catch (e) {
      throw new RangeError(`${spec.uapi}: ${(e as Error).message}`);
    }
  }));
}

/**
 * Decodes a sequence of `OVS_ACTION_ATTR_*` attributes.
 * @throws RangeError when a fixed-size action has the wrong payload size, a userspace action
 *   lacks its pid, or an attribute header is malformed
 */
export function decodeActions(attrs: Buffer): OdpAction[] {
  return parseAttrs(attrs).map((a): OdpAction => {
    const spec = SPEC_BY_ATTR.get(a.type);
    if (!spec) return { type: 'other', attrType: a.type, data: a.data };
    if (spec.size !== undefined && a.data.length !== spec.size) {
      throw new RangeError(`${spec.uapi}: payload is ${a.data.length} bytes, expected ${spec.size}`);
    }
    return spec.decode(a.data) ?? { type: 'other', attrType: a.type, data: a.data };
  });
}

/**
 * ODP text as ovs-dpctl prints it, for logs: "2,3", "push_vlan(vid=10,pcp=0),1", "pop_vlan,2",
 * "set(ipv4(dst=10.0.0.9))", "drop" for []. Unmodelled actions print as OVS prints unknown
 * ones: "action<type>(<hex bytes>)".
 * @throws RangeError as {@link encodeActions} for malformed set actions
 */
export function formatActions(actions: OdpAction[]): string {
  if (actions.length === 0) return 'drop';
  return actions.map((a) => {
    if (a.type !== 'other') return specOf(a).format(a as never);
    const bytes = [...a.data].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    return `action${a.attrType}${bytes ? `(${bytes})` : ''}`;
  }).join(',');
}
