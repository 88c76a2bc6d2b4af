/**
 * One opened datapath as `ovs-dpctl` sees it: OVS 3.1's `struct dpif` layer (lib/dpif.c:
 * logging of failed operations, port bookkeeping) over its netlink provider
 * (lib/dpif-netlink.c: how ports are named, typed, added — tunnels as rtnetlink devices first,
 * the compat vport types second — and deleted, how flows are put, fetched and deleted), on top
 * of {@link DpifNetlink}.
 */
import { NetlinkError } from '../genl/netlink';
import type { OdpAction } from '../genl/actions';
import type { DpMessage, FlowMessage, VportMessage } from '../genl/messages';
import {
  OVS_VPORT_TYPE_GENEVE, OVS_VPORT_TYPE_GRE, OVS_VPORT_TYPE_INTERNAL, OVS_VPORT_TYPE_NETDEV, OVS_VPORT_TYPE_VXLAN,
} from '../genl/openvswitch';
import { attrFlag, attrMap, attrU16, attrU8 } from '../genl/nlattr';
import { DpifNetlink, encodeTunnelOptions } from '../dpif-netlink/dpif';
import { formatFlowStats, formatOdpActions, formatOdpFlow, formatUfidText, type FlowStatsText } from './format';
import { ERRNO, Netdev, NetdevRegistry, OVS_BAREUDP_EXT_MULTIPROTO_MODE, OVS_VXLAN_EXT_GBP, OVS_VXLAN_EXT_GPE, TUNNEL_DPIF_PREFIX } from './netdev';
import type { DpctlOutput } from './output';
import type { LinkOps } from './rtnl';
import { strerror } from './strerror';

/** `ODPP_NONE`: no port number requested. */
export const ODPP_NONE = 0xffffffff;

/** OVS's own numbers for vport types the upstream kernel lacks (include/linux/openvswitch.h of OVS). */
const OVS_VPORT_TYPE_LISP = 105;
const OVS_VPORT_TYPE_STT = 106;
const OVS_VPORT_TYPE_ERSPAN = 107;
const OVS_VPORT_TYPE_IP6ERSPAN = 108;
const OVS_VPORT_TYPE_IP6GRE = 109;
const OVS_VPORT_TYPE_GTPU = 110;
const OVS_VPORT_TYPE_BAREUDP = 111;

const TYPE_NAMES = new Map<number, string>([
  [OVS_VPORT_TYPE_INTERNAL, 'internal'], [OVS_VPORT_TYPE_GENEVE, 'geneve'], [OVS_VPORT_TYPE_GRE, 'gre'],
  [OVS_VPORT_TYPE_VXLAN, 'vxlan'], [OVS_VPORT_TYPE_LISP, 'lisp'], [OVS_VPORT_TYPE_STT, 'stt'],
  [OVS_VPORT_TYPE_ERSPAN, 'erspan'], [OVS_VPORT_TYPE_IP6ERSPAN, 'ip6erspan'], [OVS_VPORT_TYPE_IP6GRE, 'ip6gre'],
  [OVS_VPORT_TYPE_GTPU, 'gtpu'], [OVS_VPORT_TYPE_BAREUDP, 'bareudp'],
]);

/** `netdev_to_ovs_vport_type()`: the vport type OVS asks the kernel for, or 0 (UNSPEC). */
export function netdevToVportType(type: string): number {
  if (type === 'tap' || type === 'system') return OVS_VPORT_TYPE_NETDEV;
  if (type === 'internal') return OVS_VPORT_TYPE_INTERNAL;
  if (type.includes('stt')) return OVS_VPORT_TYPE_STT;
  const byName: Record<string, number> = {
    geneve: OVS_VPORT_TYPE_GENEVE, vxlan: OVS_VPORT_TYPE_VXLAN, lisp: OVS_VPORT_TYPE_LISP, erspan: OVS_VPORT_TYPE_ERSPAN,
    ip6erspan: OVS_VPORT_TYPE_IP6ERSPAN, ip6gre: OVS_VPORT_TYPE_IP6GRE, gre: OVS_VPORT_TYPE_GRE, gtpu: OVS_VPORT_TYPE_GTPU,
    bareudp: OVS_VPORT_TYPE_BAREUDP,
  };
  return byName[type] ?? 0;
}

/**
 * `get_vport_type()`: the dpif type of a kernel vport. A netdev vport is a tunnel when its name
 * starts with a tunnel class's datapath-port prefix (`vxlan_sys…`), else `system`.
 * @returns the type, or undefined for a vport type OVS does not know (it logs and says "unknown")
 */
export function vportTypeName(v: Pick<VportMessage, 'type' | 'name'>): string | undefined {
  if (v.type === OVS_VPORT_TYPE_NETDEV) {
    const name = v.name ?? '';
    for (const [type, prefix] of Object.entries(TUNNEL_DPIF_PREFIX)) if (name.startsWith(prefix)) return type;
    return 'system';
  }
  return TYPE_NAMES.get(v.type ?? 0);
}

/** A port as `struct dpif_port` has it. */
export interface DpifPort {
  name: string;
  type: string;
  portNo: number;
}

/** What an `ovs-dpctl` process shares between the datapaths it opens. */
export interface DpctlContext {
  nl: DpifNetlink;
  out: DpctlOutput;
  netdevs: NetdevRegistry;
  rtnl(): LinkOps;
}

function errnoOf(e: unknown): number {
  if (e instanceof NetlinkError) return e.errno;
  throw e;
}

/** IFLA_* numbers of the tunnel kinds OVS creates (`<linux/if_link.h>`, as OVS defines them). */
const IFLA_VXLAN_LEARNING = 7;
const IFLA_VXLAN_PORT = 15;
const IFLA_VXLAN_UDP_ZERO_CSUM6_RX = 20;
const IFLA_VXLAN_GBP = 23;
const IFLA_VXLAN_COLLECT_METADATA = 25;
const IFLA_VXLAN_GPE = 27;
const IFLA_GRE_COLLECT_METADATA = 18;
const IFLA_GENEVE_PORT = 5;
const IFLA_GENEVE_COLLECT_METADATA = 6;
const IFLA_GENEVE_UDP_ZERO_CSUM6_RX = 10;
const IFLA_BAREUDP_PORT = 1;
const IFLA_BAREUDP_ETHERTYPE = 2;
const IFLA_BAREUDP_SRCPORT_MIN = 3;
const IFLA_BAREUDP_MULTIPROTO_MODE = 4;
/** `MAX_MTU` of `dpif_netlink_rtnl_create()`. */
const TUNNEL_MTU = 65000;

function be16Attr(type: number, v: number): Buffer {
  const b = attrU16(type, 0);
  b.writeUInt16BE(v, 4);
  return b;
}

/** `vport_type_to_kind()`: the rtnetlink kind for a tunnel netdev, or undefined. */
function rtnlKind(dev: Netdev): string | undefined {
  const t = dev.tnl;
  if (!t) return undefined;
  switch (dev.type) {
    case 'vxlan': return 'vxlan';
    case 'gre': return t.ptMode === 'legacy_l3' ? 'gre' : t.ptMode === 'legacy_l2' ? 'gretap' : undefined;
    case 'geneve': return 'geneve';
    case 'erspan': return 'erspan';
    case 'ip6erspan': return 'ip6erspan';
    case 'ip6gre': return t.ptMode === 'legacy_l2' ? 'ip6gretap' : undefined;
    case 'bareudp': return 'bareudp';
    default: return undefined;
  }
}

/** IFLA_INFO_DATA of `dpif_netlink_rtnl_create()` for a tunnel netdev. */
function rtnlInfoData(dev: Netdev): Buffer {
  const t = dev.tnl;
  if (!t) return Buffer.alloc(0);
  switch (dev.type) {
    case 'vxlan': {
      const parts = [attrU8(IFLA_VXLAN_LEARNING, 0), attrU8(IFLA_VXLAN_COLLECT_METADATA, 1), attrU8(IFLA_VXLAN_UDP_ZERO_CSUM6_RX, 1)];
      if (t.exts & (1 << OVS_VXLAN_EXT_GBP)) parts.push(attrFlag(IFLA_VXLAN_GBP));
      if (t.exts & (1 << OVS_VXLAN_EXT_GPE)) parts.push(attrFlag(IFLA_VXLAN_GPE));
      parts.push(be16Attr(IFLA_VXLAN_PORT, t.dstPort));
      return Buffer.concat(parts);
    }
    case 'gre': case 'erspan': case 'ip6erspan': case 'ip6gre':
      return attrFlag(IFLA_GRE_COLLECT_METADATA);
    case 'geneve':
      return Buffer.concat([attrFlag(IFLA_GENEVE_COLLECT_METADATA), attrU8(IFLA_GENEVE_UDP_ZERO_CSUM6_RX, 1), be16Attr(IFLA_GENEVE_PORT, t.dstPort)]);
    case 'bareudp': {
      const parts = [be16Attr(IFLA_BAREUDP_ETHERTYPE, t.payloadEthertype), attrU16(IFLA_BAREUDP_SRCPORT_MIN, 49153), be16Attr(IFLA_BAREUDP_PORT, t.dstPort)];
      if (t.exts & (1 << OVS_BAREUDP_EXT_MULTIPROTO_MODE)) parts.push(attrFlag(IFLA_BAREUDP_MULTIPROTO_MODE));
      return Buffer.concat(parts);
    }
    default:
      return Buffer.alloc(0);
  }
}

/**
 * `dpif_netlink_rtnl_verify()`: does the existing device `name` look like the one OVS would
 * have created for `dev` (kind, metadata mode, port, extensions)?
 */
async function rtnlVerify(ctx: DpctlContext, dev: Netdev, kind: string, name: string): Promise<number> {
  let link;
  try {
    link = await ctx.rtnl().getLink(name);
  } catch (e) {
    return errnoOf(e);
  }
  if (link.kind !== kind || !link.infoData) return ERRNO.EINVAL;
  const a = attrMap(link.infoData);
  const t = dev.tnl;
  if (!t) return ERRNO.EINVAL;
  const u8 = (k: number) => a.get(k)?.[0];
  const be16 = (k: number) => (a.get(k)?.length ?? 0) >= 2 ? (a.get(k) as Buffer).readUInt16BE(0) : undefined;
  switch (dev.type) {
    case 'vxlan':
      if (u8(IFLA_VXLAN_LEARNING) !== 0 || u8(IFLA_VXLAN_COLLECT_METADATA) !== 1 || u8(IFLA_VXLAN_UDP_ZERO_CSUM6_RX) !== 1
        || be16(IFLA_VXLAN_PORT) !== t.dstPort
        || (t.exts & (1 << OVS_VXLAN_EXT_GBP) && !a.has(IFLA_VXLAN_GBP))
        || (t.exts & (1 << OVS_VXLAN_EXT_GPE) && !a.has(IFLA_VXLAN_GPE))) return ERRNO.EINVAL;
      return 0;
    case 'gre': case 'erspan': case 'ip6erspan': case 'ip6gre':
      return a.has(IFLA_GRE_COLLECT_METADATA) ? 0 : ERRNO.EINVAL;
    case 'geneve':
      if (!a.has(IFLA_GENEVE_COLLECT_METADATA) || u8(IFLA_GENEVE_UDP_ZERO_CSUM6_RX) !== 1 || be16(IFLA_GENEVE_PORT) !== t.dstPort) return ERRNO.EINVAL;
      return 0;
    case 'bareudp':
      if (be16(IFLA_BAREUDP_PORT) !== t.dstPort || be16(IFLA_BAREUDP_ETHERTYPE) !== t.payloadEthertype) return ERRNO.EINVAL;
      return 0;
    default:
      return ERRNO.EOPNOTSUPP;
  }
}

/** A flow operation's outcome: 0 or an errno, and the kernel's reply when one was asked for. */
export interface FlowOpResult {
  error: number;
  flow?: FlowMessage;
}

/** An opened datapath. */
export class DpctlDpif {
  private constructor(
    private readonly ctx: DpctlContext,
    /** dpif type, `system`. */
    readonly type: string,
    /** Datapath name without type (the local port's name). */
    readonly baseName: string,
    readonly dpIfindex: number,
    /** OVS_DP_ATTR_USER_FEATURES as last negotiated. */
    public userFeatures: number,
  ) {}

  /** `dpif_name()`: `system@<name>`. */
  get fullName(): string {
    return `${this.type}@${this.baseName}`;
  }

  /**
   * `dpif_open()`/`dpif_create()` for a kernel datapath: negotiates user features like
   * `dpif_netlink_open()` (logging the dispatch mode on creation) and then opens the netdev of
   * every port, as `do_open()` does.
   * @returns the datapath, or the errno (ENODEV: no such datapath; EEXIST: exists already)
   */
  static async open(ctx: DpctlContext, name: string, type: string, create: boolean): Promise<DpctlDpif | number> {
    let neg;
    try {
      neg = await ctx.nl.openByName(name, create);
    } catch (e) {
      return errnoOf(e);
    }
    if (neg.legacyFeatures) ctx.out.log('dpif_netlink', 'INFO', 'Kernel does not correctly support feature negotiation. Using standard features.');
    const dp = neg.dp;
    const dpif = new DpctlDpif(ctx, type, name, dp.dpIfindex, dp.userFeatures ?? 0);
    if (create) {
      const perCpu = ((dp.userFeatures ?? 0) & 8) !== 0;
      ctx.out.log('dpif_netlink', 'INFO', `Datapath dispatch mode: ${perCpu ? 'per-cpu' : 'per-vport'}`);
    }
    for (const port of await dpif.portDump()) {
      const r = await ctx.netdevs.open(port.name, port.type);
      if (typeof r === 'number') ctx.out.log('dpif', 'WARN', `could not open netdev ${port.name} type ${port.type}: ${strerror(r)}`);
    }
    return dpif;
  }

  /** `dpif_get_dp_stats()` source: the datapath as OVS_DP_CMD_GET reports it. */
  async get(): Promise<DpMessage | number> {
    try {
      return await this.ctx.nl.dpTransact(3 /* OVS_DP_CMD_GET */, { dpIfindex: this.dpIfindex, name: this.baseName }, `OVS_DP_CMD_GET ${this.baseName}`);
    } catch (e) {
      return errnoOf(e);
    }
  }

  /**
   * `dpif_netlink_cache_set_size()`: OVS_DP_CMD_SET of OVS_DP_ATTR_MASKS_CACHE_SIZE (rounded up
   * to a power of 2), carrying the user features so the kernel keeps them.
   */
  async setCacheSize(size: number): Promise<number> {
    let pow = 1;
    while (pow < size) pow *= 2;
    const rounded = size === 0 ? 0 : pow;
    try {
      const dp = await this.ctx.nl.dpTransact(4 /* OVS_DP_CMD_SET */, { dpIfindex: this.dpIfindex, name: this.baseName, userFeatures: this.userFeatures, masksCacheSize: rounded >>> 0 }, `OVS_DP_CMD_SET ${this.baseName} masks-cache`);
      this.userFeatures = dp.userFeatures ?? this.userFeatures;
      return 0;
    } catch (e) {
      return errnoOf(e);
    }
  }

  /** `dpif_delete()`: OVS_DP_CMD_DEL by ifindex; logs a failure as lib/dpif.c does. */
  async delete(): Promise<number> {
    try {
      await this.ctx.nl.deleteDatapathByIfindex(this.dpIfindex, `OVS_DP_CMD_DEL ${this.baseName}`);
      return 0;
    } catch (e) {
      const err = errnoOf(e);
      this.ctx.out.log('dpif', 'WARN', `${this.fullName}: delete failed (${strerror(err)})`);
      return err;
    }
  }

  private toPort(v: VportMessage): DpifPort {
    let type = vportTypeName(v);
    if (type === undefined) {
      this.ctx.out.log('dpif_netlink', 'WARN', `dp${v.dpIfindex}: port \`${v.name}' has unsupported type ${v.type}`);
      type = 'unknown';
    }
    return { name: v.name ?? '', type, portNo: v.portNo ?? 0 };
  }

  /** `DPIF_PORT_FOR_EACH`: every port, in the kernel's dump order. */
  async portDump(): Promise<DpifPort[]> {
    return (await this.ctx.nl.vportDump(this.dpIfindex)).map((v) => this.toPort(v));
  }

  /**
   * `dpif_port_query_by_number()`/`_by_name()`: ENODEV when absent or when a query by name
   * finds the port in another datapath.
   */
  async portQuery(by: { portNo: number } | { name: string }): Promise<(DpifPort & { vport: VportMessage }) | number> {
    try {
      const v = 'name' in by ? await this.ctx.nl.vportGet(this.dpIfindex, by.name) : await this.ctx.nl.vportGetByNumber(this.dpIfindex, by.portNo);
      if (v.dpIfindex !== this.dpIfindex) return ERRNO.ENODEV;
      return { ...this.toPort(v), vport: v };
    } catch (e) {
      return errnoOf(e);
    }
  }

  /** `dpif_netlink_port_add__()`: OVS_VPORT_CMD_NEW with upcall PID 0. */
  private async portAddRaw(name: string, type: number, options: Buffer | undefined, portNo: number): Promise<{ error: number; portNo?: number }> {
    const v: VportMessage = { dpIfindex: this.dpIfindex, name, type, upcallPids: [0] };
    if (portNo !== ODPP_NONE) v.portNo = portNo;
    if (options) v.options = options;
    try {
      const reply = await this.ctx.nl.vportNew(v);
      return { error: 0, portNo: reply.portNo };
    } catch (e) {
      const err = errnoOf(e);
      if (err === ERRNO.EBUSY && portNo !== ODPP_NONE) this.ctx.out.log('dpif_netlink', 'INFO', `${this.fullName}: requested port ${portNo} is in use`);
      return { error: err };
    }
  }

  /** `dpif_netlink_rtnl_port_create()`: create (or reuse a matching) tunnel device. */
  private async rtnlPortCreate(dev: Netdev): Promise<number> {
    const kind = rtnlKind(dev);
    if (!kind) return ERRNO.EOPNOTSUPP;
    const name = dev.dpifPortName();
    const create = async (): Promise<number> => {
      try {
        await this.ctx.rtnl().createLink({ name, kind, mtu: TUNNEL_MTU, up: true, infoData: rtnlInfoData(dev) });
      } catch (e) {
        return errnoOf(e);
      }
      if (dev.type === 'gre' || dev.type === 'ip6gre') {
        // OVS works around GRE ignoring IFLA_MTU at creation by setting it again.
        let err2 = 0;
        for (const mtu of [TUNNEL_MTU, 1450]) {
          try {
            await this.ctx.rtnl().setMtu(name, mtu);
            err2 = 0;
            break;
          } catch (e) {
            err2 = errnoOf(e);
          }
        }
        if (err2) this.ctx.out.log('dpif_netlink_rtnl', 'WARN', `setting MTU of tunnel ${name} failed (${strerror(err2)})`);
      }
      return 0;
    };
    let err = await create();
    if (err === ERRNO.EEXIST) {
      if (!(await rtnlVerify(this.ctx, dev, kind, name))) return 0;
      try {
        await this.ctx.rtnl().deleteLink(name);
      } catch (e) {
        const err2 = errnoOf(e);
        this.ctx.out.log('dpif_netlink_rtnl', 'WARN', `RTNL device ${name} exists and cannot be deleted: ${strerror(err2)}`);
        return err2;
      }
      err = await create();
    }
    if (err) return err;
    err = await rtnlVerify(this.ctx, dev, kind, name);
    if (err) {
      try {
        await this.ctx.rtnl().deleteLink(name);
      } catch (e) {
        this.ctx.out.log('dpif_netlink_rtnl', 'WARN', `Failed to delete device ${name} during rtnl port creation: ${strerror(errnoOf(e))}`);
      }
    }
    return err;
  }

  /** `dpif_netlink_rtnl_port_destroy()`: deletes the device of a tunnel port. */
  private async rtnlPortDestroy(name: string, type: string): Promise<number> {
    if (!['vxlan', 'gre', 'geneve', 'erspan', 'ip6erspan', 'ip6gre', 'bareudp'].includes(type)) return ERRNO.EOPNOTSUPP;
    try {
      await this.ctx.rtnl().deleteLink(name);
      return 0;
    } catch (e) {
      return errnoOf(e);
    }
  }

  /**
   * `dpif_port_add()`: tunnels become rtnetlink devices added as netdev vports; when that
   * fails in any way, the compat path asks the kernel for a vport of the tunnel's own type
   * (with OVS_TUNNEL_ATTR_DST_PORT / EXTENSION). Failures are logged as lib/dpif.c logs them.
   * @param portNo requested port number, or {@link ODPP_NONE}
   */
  async portAdd(dev: Netdev, portNo: number): Promise<{ error: number; portNo?: number }> {
    let r: { error: number; portNo?: number } = { error: ERRNO.EOPNOTSUPP };
    let err = await this.rtnlPortCreate(dev);
    if (err) {
      if (err !== ERRNO.EOPNOTSUPP) this.ctx.out.log('dpif_netlink', 'WARN', `Failed to create ${dev.name} with rtnetlink: ${strerror(err)}`);
    } else {
      const name = dev.dpifPortName();
      r = await this.portAddRaw(name, OVS_VPORT_TYPE_NETDEV, undefined, portNo);
      if (r.error) await this.rtnlPortDestroy(name, dev.type);
      err = r.error;
    }
    if (err) {
      const name = dev.dpifPortName();
      const vtype = netdevToVportType(dev.type);
      if (vtype === 0) {
        this.ctx.out.log('dpif_netlink', 'WARN', `${this.fullName}: cannot create port \`${name}' because it has unsupported type \`${dev.type}'`);
        r = { error: ERRNO.EINVAL };
      } else {
        const t = dev.tnl;
        const options = t && (t.dstPort || t.exts) ? encodeTunnelOptions({ dstPort: t.dstPort, exts: t.exts }) : undefined;
        r = await this.portAddRaw(name, vtype, options, portNo);
      }
    }
    if (r.error) this.ctx.out.log('dpif', 'WARN', `${this.fullName}: failed to add ${dev.name} as port: ${strerror(r.error)}`);
    return r;
  }

  /** `dpif_port_del()`: query, OVS_VPORT_CMD_DEL, then delete a tunnel's device. */
  async portDel(portNo: number): Promise<number> {
    let err: number;
    const q = await this.portQuery({ portNo });
    if (typeof q === 'number') err = q;
    else {
      try {
        await this.ctx.nl.vportDel(this.dpIfindex, portNo, q.name);
        err = await this.rtnlPortDestroy(q.name, q.type);
        if (err === ERRNO.EOPNOTSUPP) err = 0;
      } catch (e) {
        err = errnoOf(e);
      }
    }
    if (err) this.ctx.out.log('dpif', 'WARN', `${this.fullName}: port_del failed (${strerror(err)})`);
    return err;
  }

  // -------------------------------------------------------------------------------------------
  // Flows

  private logFlow(error: number, operation: string, keyBytes: Buffer, maskBytes: Buffer | undefined, ufid: Buffer | undefined,
    stats: FlowStatsText | undefined, actions: OdpAction[] | undefined): void {
    // lib/dpif.c: failures other than EEXIST at WARN, the rest at DBG (not shown by default).
    if (!error || error === ERRNO.EEXIST) return;
    let s = `${this.fullName}: failed to ${operation} (${strerror(error)}) `;
    if (ufid) s += `${formatUfidText(ufid)} `;
    s += formatOdpFlow(keyBytes, maskBytes, undefined, true);
    if (stats) s += `, ${formatFlowStats(stats)}`;
    if (actions && actions.length) s += `, actions:${formatOdpActions(actions, undefined)}`;
    this.ctx.out.log('dpif', 'WARN', s);
  }

  /**
   * `dpif_flow_put()`: key and mask bytes go to the kernel as given (an empty mask is none).
   * `wantStats` asks for the flow's statistics before the change (echo); on failure they read
   * as zero.
   */
  async flowPut(p: { keyRaw: Buffer; maskRaw?: Buffer; actions: OdpAction[]; ufid?: Buffer },
    flags: { create: boolean; modify: boolean; zeroStats: boolean }, wantStats: boolean): Promise<{ error: number; stats?: FlowStatsText }> {
    const mask = p.maskRaw && p.maskRaw.length ? p.maskRaw : undefined;
    const msg: FlowMessage & { maskRaw?: Buffer } = { dpIfindex: this.dpIfindex, keyRaw: p.keyRaw, actions: p.actions };
    if (mask) msg.maskRaw = mask;
    if (p.ufid) msg.ufid = p.ufid;
    let error = 0;
    let stats: FlowStatsText | undefined;
    try {
      const reply = await this.ctx.nl.flowPut(msg, { create: flags.create, modify: flags.modify, zeroStats: flags.zeroStats, echo: wantStats });
      if (wantStats) stats = statsOf(reply);
    } catch (e) {
      error = errnoOf(e);
    }
    let op = 'put';
    if (flags.create) op += '[create]';
    if (flags.modify) op += '[modify]';
    if (flags.zeroStats) op += '[zero]';
    const zero: FlowStatsText = { packets: 0n, bytes: 0n };
    this.logFlow(error, op, p.keyRaw, mask, p.ufid, wantStats ? zero : undefined, p.actions);
    return error ? { error, stats: wantStats ? zero : undefined } : { error, stats };
  }

  /** `dpif_flow_get()` by UFID (or key). */
  async flowGet(p: { keyRaw?: Buffer; ufid?: Buffer }): Promise<FlowOpResult> {
    const msg: FlowMessage = { dpIfindex: this.dpIfindex };
    if (p.keyRaw) msg.keyRaw = p.keyRaw;
    if (p.ufid) msg.ufid = p.ufid;
    try {
      return { error: 0, flow: await this.ctx.nl.flowGet(msg) };
    } catch (e) {
      const error = errnoOf(e);
      this.logFlow(error, 'flow_get', p.keyRaw ?? Buffer.alloc(0), undefined, p.ufid, { packets: 0n, bytes: 0n }, undefined);
      return { error };
    }
  }

  /** `dpif_flow_del()` by key and/or UFID; `wantStats` asks for the flow's last statistics. */
  async flowDel(p: { keyRaw: Buffer; ufid?: Buffer }, wantStats: boolean): Promise<{ error: number; stats?: FlowStatsText }> {
    const msg: FlowMessage = { dpIfindex: this.dpIfindex };
    if (p.keyRaw.length) msg.keyRaw = p.keyRaw;
    if (p.ufid) msg.ufid = p.ufid;
    try {
      const reply = await this.ctx.nl.flowDel(msg, wantStats);
      return { error: 0, stats: wantStats ? statsOf(reply) : undefined };
    } catch (e) {
      const error = errnoOf(e);
      this.logFlow(error, 'flow_del', p.keyRaw, undefined, p.ufid, undefined, undefined);
      return { error, stats: wantStats ? { packets: 0n, bytes: 0n } : undefined };
    }
  }

  /** `dpif_flow_flush()`. */
  async flowFlush(): Promise<number> {
    try {
      await this.ctx.nl.flowFlush(this.dpIfindex);
      return 0;
    } catch (e) {
      const err = errnoOf(e);
      this.ctx.out.log('dpif', 'WARN', `${this.fullName}: flow_flush failed (${strerror(err)})`);
      return err;
    }
  }

  /** Every flow (`dpif_flow_dump_*()`, not terse). */
  async flowDump(): Promise<FlowMessage[] | number> {
    try {
      return await this.ctx.nl.flowDump(this.dpIfindex);
    } catch (e) {
      const err = errnoOf(e);
      this.ctx.out.log('dpif', 'WARN', `${this.fullName}: flow_dump_destroy failed (${strerror(err)})`);
      return err;
    }
  }
}

/** Statistics of a kernel flow reply (`dpif_netlink_flow_get_stats()`). */
export function statsOf(f: FlowMessage | undefined): FlowStatsText {
  return {
    packets: f?.stats?.packets ?? 0n,
    bytes: f?.stats?.bytes ?? 0n,
    used: f?.used ?? 0n,
    tcpFlags: f?.tcpFlags ?? 0,
  };
}
