/**
 * dpif-netlink: the datapath interface on the kernel's OVS Generic Netlink families, for the main
 * thread's control transactions (datapath and vport management, flow flush and dump, per-CPU
 * upcall PIDs). Runs over our {@link GenlSocket} (node-netlink underneath), which keeps errno and
 * extended-ACK text; the hot paths (upcalls, flow puts, large dumps) run in workers on native
 * sockets with the builders of `requests.ts`.
 *
 * Source: `<linux/openvswitch.h>` (kernel 6.1) and the kernel's `net/openvswitch/datapath.c`
 * for which attributes each command requires.
 */
import { GenlSocket } from '../genl/socket';
import { NetlinkError, NLM_F_CREATE, NLM_F_ECHO } from '../genl/netlink';
import { attr, attrFlag, attrMap, attrU16, parseAttrs } from '../genl/nlattr';
import {
  decodeDpMessage,
  decodeFlowMessage,
  decodeVportMessage,
  DpMessage,
  encodeDpMessage,
  encodeFlowMessage,
  encodePacketMessage,
  encodeVportMessage,
  FlowMessage,
  PacketMessage,
  VportMessage,
} from '../genl/messages';
import {
  OVS_DATAPATH_FAMILY,
  OVS_DATAPATH_VERSION,
  OVS_DP_CMD_DEL,
  OVS_DP_CMD_GET,
  OVS_DP_CMD_NEW,
  OVS_DP_CMD_SET,
  OVS_DP_F_DISPATCH_UPCALL_PER_CPU,
  OVS_DP_F_TC_RECIRC_SHARING,
  OVS_DP_F_UNALIGNED,
  OVS_DP_F_VPORT_PIDS,
  OVS_FLOW_CMD_DEL,
  OVS_FLOW_CMD_GET,
  OVS_FLOW_CMD_NEW,
  OVS_FLOW_CMD_SET,
  OVS_FLOW_ATTR_MASK,
  OVS_FLOW_FAMILY,
  OVS_FLOW_VERSION,
  OVS_PACKET_CMD_EXECUTE,
  OVS_PACKET_FAMILY,
  OVS_PACKET_VERSION,
  OVS_TUNNEL_ATTR_DST_PORT,
  OVS_TUNNEL_ATTR_EXTENSION,
  OVS_VPORT_CMD_DEL,
  OVS_VPORT_CMD_GET,
  OVS_VPORT_CMD_NEW,
  OVS_VPORT_CMD_SET,
  OVS_VPORT_FAMILY,
  OVS_VPORT_VERSION,
  OVS_METER_CMD_DEL,
  OVS_METER_CMD_FEATURES,
  OVS_METER_CMD_GET,
  OVS_METER_CMD_SET,
  OVS_METER_FAMILY,
  OVS_METER_VERSION,
} from '../genl/openvswitch';
import { decodeMeterMessage, encodeMeterMessage, MeterBand, MeterMessage } from '../genl/meter';
import type { OvsFamilies } from './requests';

/** The datapath OVS and we use for every bridge. */
export const DATAPATH_NAME = 'ovs-system';

/** The user features we ask for, as OVS 3.1 does on a 6.1 kernel. */
export const WANTED_USER_FEATURES = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS | OVS_DP_F_DISPATCH_UPCALL_PER_CPU;

/** What {@link DpifNetlink.openDatapath} found or made. */
export interface DatapathInfo {
  dpIfindex: number;
  name: string;
  userFeatures: number;
  /** true when upcalls are dispatched per CPU (`OVS_DP_F_DISPATCH_UPCALL_PER_CPU` accepted) */
  perCpuDispatch: boolean;
  /** true when we created it now; false when an existing datapath was adopted */
  created: boolean;
}

/**
 * A user-feature bit no kernel knows (`OVS_DP_F_UNSUPPORTED` in OVS's lib/dpif-netlink.c): asking
 * for it tells kernels that negotiate features (they refuse it) from old ones that accept anything.
 */
export const OVS_DP_F_UNSUPPORTED = 0x80000000;

/** What {@link DpifNetlink.openByName} negotiated. */
export interface NegotiatedDatapath {
  /** The datapath as the kernel last described it (name, ifindex, stats, user features). */
  dp: DpMessage;
  /** true when the kernel accepted the probe bit {@link OVS_DP_F_UNSUPPORTED}: no negotiation, standard features. */
  legacyFeatures: boolean;
}

/** Options of a tunnel vport (`OVS_VPORT_ATTR_OPTIONS` nest, `OVS_TUNNEL_ATTR_*`). */
export interface TunnelVportOptions {
  /** OVS_TUNNEL_ATTR_DST_PORT: u16 UDP destination port (vxlan, geneve). */
  dstPort?: number;
  /** OVS_TUNNEL_ATTR_EXTENSION: bit i set → flag attribute i (OVS_VXLAN_EXT_GBP = 1). */
  exts?: number;
}

/**
 * Encodes `OVS_VPORT_ATTR_OPTIONS` for a tunnel vport as OVS's compat path does
 * (`dpif_netlink_port_add_compat()`): DST_PORT as a u16, EXTENSION as a nest of flag
 * attributes, one per set bit. Returns undefined when there is nothing to send.
 */
export function encodeTunnelOptions(o: TunnelVportOptions): Buffer | undefined {
  const parts: Buffer[] = [];
  if (o.dstPort) parts.push(attrU16(OVS_TUNNEL_ATTR_DST_PORT, o.dstPort));
  if (o.exts) {
    const flags: Buffer[] = [];
    for (let i = 0; i < 32; i++) if ((o.exts >>> i) & 1) flags.push(attrFlag(i));
    parts.push(attr(OVS_TUNNEL_ATTR_EXTENSION, flags));
  }
  return parts.length ? Buffer.concat(parts) : undefined;
}

/**
 * Decodes the payload of `OVS_VPORT_ATTR_OPTIONS` of a tunnel vport.
 * @throws RangeError on malformed attributes or a DST_PORT that is not 2 bytes
 */
export function decodeTunnelOptions(options: Buffer): TunnelVportOptions {
  const a = attrMap(options);
  const out: TunnelVportOptions = {};
  const port = a.get(OVS_TUNNEL_ATTR_DST_PORT);
  if (port) {
    if (port.length !== 2) throw new RangeError(`OVS_TUNNEL_ATTR_DST_PORT: payload is ${port.length} bytes, expected 2`);
    out.dstPort = port.readUInt16LE(0);
  }
  const ext = a.get(OVS_TUNNEL_ATTR_EXTENSION);
  if (ext) out.exts = parseAttrs(ext).reduce((bits, f) => (bits | (1 << f.type)) >>> 0, 0);
  return out;
}

/** Which way {@link DpifNetlink.flowPut} installs a flow (OVS's `DPIF_FP_*` flags). */
export interface FlowPutOptions {
  /** DPIF_FP_CREATE: may create the flow. */
  create: boolean;
  /** DPIF_FP_MODIFY: may modify an existing flow. */
  modify: boolean;
  /** DPIF_FP_ZERO_STATS: reset the flow's statistics (OVS_FLOW_ATTR_CLEAR). */
  zeroStats?: boolean;
  /** DPIF_FP_PROBE: a feature probe (OVS_FLOW_ATTR_PROBE: the kernel does not log the failure). */
  probe?: boolean;
  /** Ask for the flow back (NLM_F_ECHO), e.g. for its statistics before the change. */
  echo?: boolean;
}

/** The datapath interface, main-thread side. */
export class DpifNetlink {
  private constructor(
    readonly sock: GenlSocket,
    readonly families: OvsFamilies,
    private readonly versions: { datapath: number; vport: number; flow: number },
  ) {}

  /**
   * Opens a control socket and resolves the four OVS families.
   * @throws NetlinkError ENOENT when openvswitch.ko is not loaded
   */
  static async open(): Promise<DpifNetlink> {
    const sock = GenlSocket.open();
    try {
      const [dp, vport, flow, packet] = await Promise.all(
        [OVS_DATAPATH_FAMILY, OVS_VPORT_FAMILY, OVS_FLOW_FAMILY, OVS_PACKET_FAMILY].map((n) => sock.resolveFamily(n)),
      );
      return new DpifNetlink(
        sock,
        { datapath: dp.id, vport: vport.id, flow: flow.id, packet: packet.id },
        { datapath: OVS_DATAPATH_VERSION, vport: OVS_VPORT_VERSION, flow: OVS_FLOW_VERSION },
      );
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /** Closes the control socket. */
  close(): void {
    this.sock.close();
  }

  private async dpCmd(cmd: number, m: DpMessage, flags: number, ctx: string): Promise<DpMessage> {
    const replies = await this.sock.transact(this.families.datapath, cmd, this.versions.datapath, flags, encodeDpMessage(m), ctx);
    if (replies.length === 0) throw new Error(`${ctx}: kernel sent no datapath in reply`);
    return decodeDpMessage(replies[0]);
  }

  /**
   * Gets datapath `name`, or creates it with `OVS_DP_CMD_NEW` (upcall PID 0: no upcalls until
   * handlers register) when absent and `create` is set. On an existing datapath the user features
   * are set again with `OVS_DP_CMD_SET`, as OVS does on start. NEW and SET carry NLM_F_ECHO:
   * the kernel answers them through `genl_notify`, which unicasts to the sender only when asked.
   * A kernel that rejects per-CPU dispatch (EOPNOTSUPP/EINVAL) gets the request again without it.
   *
   * @param allowPerCpu false to ask for per-vport dispatch even where per-CPU is available
   * @throws NetlinkError from the kernel (ENODEV when absent and `create` is false)
   */
  async openDatapath(name = DATAPATH_NAME, create = true, allowPerCpu = true): Promise<DatapathInfo> {
    let created = false;
    let dp: DpMessage;
    try {
      dp = await this.dpCmd(OVS_DP_CMD_GET, { dpIfindex: 0, name }, 0, `OVS_DP_CMD_GET ${name}`);
    } catch (e) {
      if (!(e instanceof NetlinkError) || e.code !== 'ENODEV' || !create) throw e;
      dp = await this.withFeatureFallback(allowPerCpu, (features) =>
        this.dpCmd(OVS_DP_CMD_NEW, { dpIfindex: 0, name, upcallPid: 0, userFeatures: features }, NLM_F_CREATE | NLM_F_ECHO, `OVS_DP_CMD_NEW ${name}`),
      );
      created = true;
    }
    if (!created) {
      dp = await this.withFeatureFallback(allowPerCpu, (features) =>
        this.dpCmd(OVS_DP_CMD_SET, { dpIfindex: dp.dpIfindex, name, userFeatures: features }, NLM_F_ECHO, `OVS_DP_CMD_SET ${name}`),
      );
    }
    const userFeatures = dp.userFeatures ?? 0;
    return {
      dpIfindex: dp.dpIfindex,
      name,
      userFeatures,
      perCpuDispatch: (userFeatures & OVS_DP_F_DISPATCH_UPCALL_PER_CPU) !== 0,
      created,
    };
  }

  private async withFeatureFallback(allowPerCpu: boolean, op: (features: number) => Promise<DpMessage>): Promise<DpMessage> {
    if (!allowPerCpu) return op(WANTED_USER_FEATURES & ~OVS_DP_F_DISPATCH_UPCALL_PER_CPU);
    try {
      return await op(WANTED_USER_FEATURES);
    } catch (e) {
      if (e instanceof NetlinkError && (e.code === 'EOPNOTSUPP' || e.code === 'EINVAL')) {
        return op(WANTED_USER_FEATURES & ~OVS_DP_F_DISPATCH_UPCALL_PER_CPU);
      }
      throw e;
    }
  }

  /** Gets datapath `name` with its stats. @throws NetlinkError ENODEV when absent */
  async getDatapath(name = DATAPATH_NAME): Promise<DpMessage> {
    return this.dpCmd(OVS_DP_CMD_GET, { dpIfindex: 0, name }, 0, `OVS_DP_CMD_GET ${name}`);
  }

  /** Deletes datapath `name` with all its vports and flows. */
  async deleteDatapath(name = DATAPATH_NAME): Promise<void> {
    await this.sock.transact(this.families.datapath, OVS_DP_CMD_DEL, this.versions.datapath, 0, encodeDpMessage({ dpIfindex: 0, name }), `OVS_DP_CMD_DEL ${name}`);
  }

  /**
   * Registers the netlink port ids that receive upcalls from each CPU
   * (`OVS_DP_ATTR_PER_CPU_PIDS`, index = CPU id).
   */
  async setPerCpuPids(dpIfindex: number, pids: number[]): Promise<void> {
    await this.dpCmd(OVS_DP_CMD_SET, { dpIfindex, perCpuPids: pids, userFeatures: WANTED_USER_FEATURES }, NLM_F_ECHO, 'OVS_DP_CMD_SET per-CPU upcall PIDs');
  }

  /**
   * Creates a vport (`OVS_VPORT_CMD_NEW`). `upcallPids` is required by the kernel; with per-CPU
   * dispatch it is not used for upcalls, and [0] is fine.
   * @param type OVS_VPORT_TYPE_* (netdev = 1, internal = 2)
   * @throws NetlinkError, e.g. ENODEV for a netdev that does not exist, EEXIST/EBUSY for a name in use
   */
  async vportAdd(dpIfindex: number, name: string, type: number, upcallPids: number[]): Promise<VportMessage> {
    const replies = await this.sock.transact(
      this.families.vport,
      OVS_VPORT_CMD_NEW,
      this.versions.vport,
      NLM_F_CREATE | NLM_F_ECHO,
      encodeVportMessage({ dpIfindex, name, type, upcallPids }),
      `OVS_VPORT_CMD_NEW ${name}`,
    );
    if (replies.length === 0) throw new Error(`OVS_VPORT_CMD_NEW ${name}: kernel sent no vport in reply`);
    return decodeVportMessage(replies[0]);
  }

  /** Sets the upcall PIDs of a vport (per-vport dispatch). */
  async vportSetUpcallPids(dpIfindex: number, portNo: number, upcallPids: number[]): Promise<void> {
    await this.sock.transact(this.families.vport, OVS_VPORT_CMD_SET, this.versions.vport, 0, encodeVportMessage({ dpIfindex, portNo, upcallPids }), `OVS_VPORT_CMD_SET port ${portNo}`);
  }

  /** Deletes the vport numbered `portNo`. */
  async vportDel(dpIfindex: number, portNo: number, name = `port ${portNo}`): Promise<void> {
    await this.sock.transact(this.families.vport, OVS_VPORT_CMD_DEL, this.versions.vport, 0, encodeVportMessage({ dpIfindex, portNo }), `OVS_VPORT_CMD_DEL ${name}`);
  }

  /** Gets a vport by name. @throws NetlinkError ENODEV when absent */
  async vportGet(dpIfindex: number, name: string): Promise<VportMessage> {
    const replies = await this.sock.transact(this.families.vport, OVS_VPORT_CMD_GET, this.versions.vport, 0, encodeVportMessage({ dpIfindex, name }), `OVS_VPORT_CMD_GET ${name}`);
    return decodeVportMessage(replies[0]);
  }

  /** Lists every vport of the datapath (`OVS_VPORT_CMD_GET` dump). */
  async vportDump(dpIfindex: number): Promise<VportMessage[]> {
    const bodies = await this.sock.dump(this.families.vport, OVS_VPORT_CMD_GET, this.versions.vport, encodeVportMessage({ dpIfindex }), 'OVS_VPORT_CMD_GET dump');
    return bodies.map(decodeVportMessage);
  }

  /**
   * Lists every flow of the datapath (`OVS_FLOW_CMD_GET` dump) with key, mask, actions, stats.
   * @param ufidFlags `OVS_UFID_F_OMIT_*` bits for a terse dump (flows installed with a UFID then
   *   come back identified by it, without the omitted parts)
   */
  async flowDump(dpIfindex: number, ufidFlags?: number): Promise<FlowMessage[]> {
    const req = encodeFlowMessage(ufidFlags === undefined ? { dpIfindex } : { dpIfindex, ufidFlags });
    const bodies = await this.sock.dump(this.families.flow, OVS_FLOW_CMD_GET, OVS_FLOW_VERSION, req, 'OVS_FLOW_CMD_GET dump');
    return bodies.map(decodeFlowMessage);
  }

  /** Deletes every flow of the datapath (`OVS_FLOW_CMD_DEL` without key or UFID). */
  async flowFlush(dpIfindex: number): Promise<void> {
    await this.sock.transact(this.families.flow, OVS_FLOW_CMD_DEL, OVS_FLOW_VERSION, 0, encodeFlowMessage({ dpIfindex }), 'OVS_FLOW_CMD_DEL flush');
  }

  // -------------------------------------------------------------------------------------------
  // Datapaths, as `ovs-dpctl` needs them

  /**
   * Lists every datapath (`OVS_DP_CMD_GET` dump), in the kernel's order.
   * @throws NetlinkError from the kernel
   */
  async dpDump(): Promise<DpMessage[]> {
    const bodies = await this.sock.dump(this.families.datapath, OVS_DP_CMD_GET, this.versions.datapath, encodeDpMessage({ dpIfindex: 0 }), 'OVS_DP_CMD_GET dump');
    return bodies.map(decodeDpMessage);
  }

  /**
   * Sends one `OVS_DP_CMD_*` request and decodes the datapath in the reply (NEW and SET carry
   * NLM_F_ECHO so that the kernel answers them).
   * @throws NetlinkError from the kernel; Error when a reply was expected and none came
   */
  async dpTransact(cmd: number, m: DpMessage, context: string): Promise<DpMessage> {
    const flags = cmd === OVS_DP_CMD_NEW ? NLM_F_CREATE | NLM_F_ECHO : cmd === OVS_DP_CMD_SET ? NLM_F_ECHO : 0;
    return this.dpCmd(cmd, m, flags, context);
  }

  /**
   * Opens (or, with `create`, creates) datapath `name` the way OVS's `dpif_netlink_open()` does,
   * user-feature negotiation included, so a datapath touched by us ends up exactly as one touched
   * by `ovs-dpctl`: GET (existing only), then NEW/SET asking for UNALIGNED | VPORT_PIDS plus the
   * unknown bit {@link OVS_DP_F_UNSUPPORTED}. A kernel that refuses it negotiates: the request
   * is repeated with VPORT_PIDS replaced by per-CPU dispatch, then (on EOPNOTSUPP) with VPORT_PIDS
   * again; finally TC_RECIRC_SHARING is asked for (its refusal is ignored). A kernel that accepts
   * the unknown bit gets UNALIGNED | VPORT_PIDS alone.
   *
   * Every request carries OVS_DP_ATTR_UPCALL_PID 0, as OVS's do.
   * @param name datapath (local port) name
   * @param create true: `OVS_DP_CMD_NEW` (EEXIST when it exists); false: it must exist (ENODEV)
   * @throws NetlinkError from the kernel, e.g. ENODEV, EEXIST
   */
  async openByName(name: string, create: boolean): Promise<NegotiatedDatapath> {
    let features = 0;
    let cmd = OVS_DP_CMD_NEW;
    if (!create) {
      const dp = await this.dpCmd(OVS_DP_CMD_GET, { dpIfindex: 0, name, upcallPid: 0 }, 0, `OVS_DP_CMD_GET ${name}`);
      features = dp.userFeatures ?? 0;
      cmd = OVS_DP_CMD_SET;
    }
    const verb = cmd === OVS_DP_CMD_NEW ? 'OVS_DP_CMD_NEW' : 'OVS_DP_CMD_SET';
    const send = (f: number) => this.dpTransact(cmd, { dpIfindex: 0, name, upcallPid: 0, userFeatures: f >>> 0 }, `${verb} ${name}`);
    features = (features | OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS | OVS_DP_F_UNSUPPORTED) >>> 0;
    let accepted: DpMessage | undefined;
    try {
      accepted = await send(features);
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
    }
    if (accepted) {
      // An old kernel took the unknown bit: fall back to the standard features.
      const std = await this.dpTransact(OVS_DP_CMD_SET, { dpIfindex: 0, name, upcallPid: 0, userFeatures: OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS }, `OVS_DP_CMD_SET ${name}`);
      return { dp: std, legacyFeatures: true };
    }
    features = (features & ~OVS_DP_F_UNSUPPORTED & ~OVS_DP_F_VPORT_PIDS) | OVS_DP_F_DISPATCH_UPCALL_PER_CPU;
    let dp: DpMessage;
    try {
      dp = await send(features);
    } catch (e) {
      if (!(e instanceof NetlinkError) || e.code !== 'EOPNOTSUPP') throw e;
      features = (features & ~OVS_DP_F_DISPATCH_UPCALL_PER_CPU) | OVS_DP_F_VPORT_PIDS;
      dp = await send(features);
    }
    try {
      const tc = await this.dpTransact(
        OVS_DP_CMD_SET,
        { dpIfindex: dp.dpIfindex, name, userFeatures: ((dp.userFeatures ?? 0) | OVS_DP_F_TC_RECIRC_SHARING) >>> 0 },
        `OVS_DP_CMD_SET ${name} TC_RECIRC_SHARING`,
      );
      dp = tc;
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
    }
    return { dp, legacyFeatures: false };
  }

  /** Deletes the datapath with ifindex `dpIfindex` (`OVS_DP_CMD_DEL`). @throws NetlinkError */
  async deleteDatapathByIfindex(dpIfindex: number, context = `OVS_DP_CMD_DEL ifindex ${dpIfindex}`): Promise<void> {
    await this.sock.transact(this.families.datapath, OVS_DP_CMD_DEL, this.versions.datapath, 0, encodeDpMessage({ dpIfindex }), context);
  }

  // -------------------------------------------------------------------------------------------
  // Vports

  /**
   * Gets a vport by number (`OVS_VPORT_CMD_GET` with OVS_VPORT_ATTR_PORT_NO).
   * @throws NetlinkError ENODEV when the datapath has no such port
   */
  async vportGetByNumber(dpIfindex: number, portNo: number): Promise<VportMessage> {
    const replies = await this.sock.transact(this.families.vport, OVS_VPORT_CMD_GET, this.versions.vport, 0, encodeVportMessage({ dpIfindex, portNo }), `OVS_VPORT_CMD_GET port ${portNo}`);
    if (replies.length === 0) throw new Error(`OVS_VPORT_CMD_GET port ${portNo}: kernel sent no vport in reply`);
    return decodeVportMessage(replies[0]);
  }

  /**
   * Creates a vport with every attribute OVS may send (`OVS_VPORT_CMD_NEW`): a requested port
   * number and type-specific options (see {@link encodeTunnelOptions}).
   * @param v `type`, `name` and `upcallPids` are required by the kernel
   * @throws NetlinkError, e.g. EEXIST (name in use), EBUSY (port number in use), ENODEV
   */
  async vportNew(v: VportMessage): Promise<VportMessage> {
    const ctx = `OVS_VPORT_CMD_NEW ${v.name ?? ''}`.trimEnd();
    const replies = await this.sock.transact(this.families.vport, OVS_VPORT_CMD_NEW, this.versions.vport, NLM_F_CREATE | NLM_F_ECHO, encodeVportMessage(v), ctx);
    if (replies.length === 0) throw new Error(`${ctx}: kernel sent no vport in reply`);
    return decodeVportMessage(replies[0]);
  }

  // -------------------------------------------------------------------------------------------
  // Flows, by key or UFID

  /**
   * Installs or changes one flow as OVS's `dpif_netlink_init_flow_put()` does: `OVS_FLOW_CMD_NEW`
   * when creating is allowed, else `OVS_FLOW_CMD_SET`; NLM_F_CREATE only for create-only puts
   * (so NEW without it creates or modifies, which is what "create or modify" means to the kernel).
   * OVS_FLOW_ATTR_ACTIONS is always sent (empty = drop).
   * @param f key (or `keyRaw`), optional mask (or `maskRaw`, attribute bytes sent as they are) and
   *   UFID, actions
   * @returns the flow as the kernel echoed it (with `echo`), else undefined
   * @throws NetlinkError: EEXIST (create-only, flow exists), ENOENT (modify-only, no flow),
   *   EINVAL (the kernel refused key, mask or actions), …
   */
  async flowPut(f: FlowMessage & { maskRaw?: Buffer }, o: FlowPutOptions): Promise<FlowMessage | undefined> {
    const cmd = o.create ? OVS_FLOW_CMD_NEW : OVS_FLOW_CMD_SET;
    let flags = o.modify ? 0 : NLM_F_CREATE;
    if (o.echo) flags |= NLM_F_ECHO;
    const { maskRaw, ...rest } = f;
    const msg: FlowMessage = { ...rest, actions: f.actions ?? [] };
    if (o.zeroStats) msg.clear = true;
    if (o.probe) msg.probe = true;
    if (maskRaw !== undefined) delete msg.mask;
    let body = encodeFlowMessage(msg);
    // A mask given as bytes goes out verbatim (attribute order and duplicates as the caller built them).
    if (maskRaw !== undefined) body = Buffer.concat([body, attr(OVS_FLOW_ATTR_MASK, maskRaw)]);
    const ctx = cmd === OVS_FLOW_CMD_NEW ? 'OVS_FLOW_CMD_NEW' : 'OVS_FLOW_CMD_SET';
    const replies = await this.sock.transact(this.families.flow, cmd, OVS_FLOW_VERSION, flags, body, ctx);
    return replies.length ? decodeFlowMessage(replies[0]) : undefined;
  }

  /**
   * Fetches one flow by UFID or by key (`OVS_FLOW_CMD_GET`), with key, mask, actions and stats.
   * @throws NetlinkError ENOENT when there is no such flow
   */
  async flowGet(f: FlowMessage): Promise<FlowMessage> {
    const replies = await this.sock.transact(this.families.flow, OVS_FLOW_CMD_GET, OVS_FLOW_VERSION, 0, encodeFlowMessage(f), 'OVS_FLOW_CMD_GET');
    if (replies.length === 0) throw new Error('OVS_FLOW_CMD_GET: kernel sent no flow in reply');
    return decodeFlowMessage(replies[0]);
  }

  /**
   * Deletes one flow by UFID or by key (`OVS_FLOW_CMD_DEL`). With `echo` the kernel answers with
   * the flow's last statistics.
   * @throws NetlinkError ENOENT when there is no such flow
   */
  async flowDel(f: FlowMessage, echo = false): Promise<FlowMessage | undefined> {
    const replies = await this.sock.transact(this.families.flow, OVS_FLOW_CMD_DEL, OVS_FLOW_VERSION, echo ? NLM_F_ECHO : 0, encodeFlowMessage(f), 'OVS_FLOW_CMD_DEL');
    return replies.length ? decodeFlowMessage(replies[0]) : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Packets

  /**
   * Runs actions on a packet (`OVS_PACKET_CMD_EXECUTE`), e.g. for feature probes.
   * @throws NetlinkError when the kernel refuses the key, the actions or the packet (EINVAL)
   */
  async packetExecute(p: PacketMessage): Promise<void> {
    await this.sock.transact(this.families.packet, OVS_PACKET_CMD_EXECUTE, OVS_PACKET_VERSION, 0, encodePacketMessage(p), 'OVS_PACKET_CMD_EXECUTE');
  }

  private meterFamilyId?: number;

  /** The `ovs_meter` family id, resolved on first use (older kernels lack the family). */
  private async meterFamily(): Promise<number> {
    if (this.meterFamilyId === undefined) this.meterFamilyId = (await this.sock.resolveFamily(OVS_METER_FAMILY)).id;
    return this.meterFamilyId;
  }

  private async meterCmd(cmd: number, m: MeterMessage, ctx: string): Promise<MeterMessage> {
    const replies = await this.sock.transact(await this.meterFamily(), cmd, OVS_METER_VERSION, 0, encodeMeterMessage(m), ctx);
    if (replies.length === 0) throw new Error(`${ctx}: kernel sent no meter in reply`);
    return decodeMeterMessage(replies[0]);
  }

  /**
   * `OVS_METER_CMD_FEATURES`: how many meters and bands per meter the datapath supports, and which
   * band types (in `bands[i].type`).
   * @throws NetlinkError ENOENT when the kernel has no `ovs_meter` family
   */
  async meterFeatures(dpIfindex: number): Promise<MeterMessage> {
    return this.meterCmd(OVS_METER_CMD_FEATURES, { dpIfindex }, 'OVS_METER_CMD_FEATURES');
  }

  /**
   * `OVS_METER_CMD_SET`: adds or replaces meter `id` (rates in kbit/s with `kbps`, else packets/s).
   * @returns the kernel's reply (id, stats)
   * @throws NetlinkError, e.g. EINVAL for a band the kernel refuses, EFBIG past the meter limit
   */
  async meterSet(dpIfindex: number, id: number, kbps: boolean, bands: MeterBand[]): Promise<MeterMessage> {
    return this.meterCmd(OVS_METER_CMD_SET, { dpIfindex, id, kbps, bands }, `OVS_METER_CMD_SET meter ${id}`);
  }

  /** `OVS_METER_CMD_GET`: stats of meter `id`. @throws NetlinkError ENOENT when absent */
  async meterGet(dpIfindex: number, id: number): Promise<MeterMessage> {
    return this.meterCmd(OVS_METER_CMD_GET, { dpIfindex, id }, `OVS_METER_CMD_GET meter ${id}`);
  }

  /** `OVS_METER_CMD_DEL`: deletes meter `id`, returning its last stats. @throws NetlinkError ENOENT when absent */
  async meterDel(dpIfindex: number, id: number): Promise<MeterMessage> {
    return this.meterCmd(OVS_METER_CMD_DEL, { dpIfindex, id }, `OVS_METER_CMD_DEL meter ${id}`);
  }
}
