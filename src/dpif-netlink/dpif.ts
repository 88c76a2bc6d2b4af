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
import {
  decodeDpMessage,
  decodeFlowMessage,
  decodeVportMessage,
  DpMessage,
  encodeDpMessage,
  encodeFlowMessage,
  encodeVportMessage,
  FlowMessage,
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
  OVS_DP_F_UNALIGNED,
  OVS_DP_F_VPORT_PIDS,
  OVS_FLOW_CMD_DEL,
  OVS_FLOW_CMD_GET,
  OVS_FLOW_FAMILY,
  OVS_FLOW_VERSION,
  OVS_PACKET_FAMILY,
  OVS_VPORT_CMD_DEL,
  OVS_VPORT_CMD_GET,
  OVS_VPORT_CMD_NEW,
  OVS_VPORT_CMD_SET,
  OVS_VPORT_FAMILY,
  OVS_VPORT_VERSION,
} from '../genl/openvswitch';
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

  /** Lists every flow of the datapath (`OVS_FLOW_CMD_GET` dump) with key, mask, actions, stats. */
  async flowDump(dpIfindex: number): Promise<FlowMessage[]> {
    const bodies = await this.sock.dump(this.families.flow, OVS_FLOW_CMD_GET, OVS_FLOW_VERSION, encodeFlowMessage({ dpIfindex }), 'OVS_FLOW_CMD_GET dump');
    return bodies.map(decodeFlowMessage);
  }

  /** Deletes every flow of the datapath (`OVS_FLOW_CMD_DEL` without key or UFID). */
  async flowFlush(dpIfindex: number): Promise<void> {
    await this.sock.transact(this.families.flow, OVS_FLOW_CMD_DEL, OVS_FLOW_VERSION, 0, encodeFlowMessage({ dpIfindex }), 'OVS_FLOW_CMD_DEL flush');
  }
}
