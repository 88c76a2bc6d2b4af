/**
 * A minimal rtnetlink (`NETLINK_ROUTE`) client for what `ovs-dpctl` does to network devices:
 * look a link up by name (flags, kind, statistics), create and delete the tunnel devices OVS
 * puts in datapaths (`vxlan_sys_4789`, …), set a link's MTU, bring a link up.
 *
 * Built, like `genl/socket.ts`, on node-netlink's raw socket so that kernel errors keep their
 * errno and extended-ACK text. Layouts from `<linux/rtnetlink.h>` and `<linux/if_link.h>`:
 * after the 16-byte `nlmsghdr` comes `struct ifinfomsg` (16 bytes: u8 ifi_family, u8 pad,
 * u16 ifi_type, s32 ifi_index, u32 ifi_flags, u32 ifi_change), then `IFLA_*` attributes.
 */
import { constants as osConstants } from 'os';
import { attr, attrMap, attrString, attrU32, readString } from '../genl/nlattr';
import { NetlinkError, NLM_F_ACK, NLM_F_REQUEST, NLMSG_HDRLEN, nlmsgAlign } from '../genl/netlink';
import type { RawNlMsg } from '../genl/netlink';
import { RawNetlinkClient } from '../genl/raw-client';

/** `NETLINK_ROUTE`, the rtnetlink protocol number. */
export const NETLINK_ROUTE = 0;

/** rtnetlink message type: create a link, or change one (`<linux/rtnetlink.h>`). */
export const RTM_NEWLINK = 16;
/** rtnetlink message type: delete a link. */
export const RTM_DELLINK = 17;
/** rtnetlink message type: get a link (answered with RTM_NEWLINK). */
export const RTM_GETLINK = 18;
/** rtnetlink message type: change a link. */
export const RTM_SETLINK = 19;

/** `IFLA_IFNAME`: NUL-terminated link name (`<linux/if_link.h>`). */
export const IFLA_IFNAME = 3;
/** `IFLA_MTU`: u32 MTU. */
export const IFLA_MTU = 4;
/** `IFLA_LINKINFO`: nest of IFLA_INFO_*. */
export const IFLA_LINKINFO = 18;
/** `IFLA_STATS64`: `struct rtnl_link_stats64`. */
export const IFLA_STATS64 = 23;
/** `IFLA_INFO_KIND`, in IFLA_LINKINFO: the link kind, e.g. `vxlan`. */
export const IFLA_INFO_KIND = 1;
/** `IFLA_INFO_DATA`, in IFLA_LINKINFO: kind-specific attributes. */
export const IFLA_INFO_DATA = 2;

/** `IFF_UP` (`<linux/if.h>`). */
export const IFF_UP = 0x1;

/** Size of `struct ifinfomsg`. */
const IFINFOMSG_SIZE = 16;

/** Counters of `struct rtnl_link_stats64`, in layout order (u64 each). */
export const RTNL_LINK_STATS64_FIELDS = [
  'rxPackets', 'txPackets', 'rxBytes', 'txBytes', 'rxErrors', 'txErrors', 'rxDropped', 'txDropped',
  'multicast', 'collisions', 'rxLengthErrors', 'rxOverErrors', 'rxCrcErrors', 'rxFrameErrors',
  'rxFifoErrors', 'rxMissedErrors', 'txAbortedErrors', 'txCarrierErrors', 'txFifoErrors',
  'txHeartbeatErrors', 'txWindowErrors',
] as const;

/** `struct rtnl_link_stats64`, the counters OVS reads (others ignored). */
export type LinkStats64 = Record<(typeof RTNL_LINK_STATS64_FIELDS)[number], bigint>;

/** A link as RTM_GETLINK describes it. */
export interface LinkInfo {
  ifindex: number;
  /** `ifi_flags` (IFF_*). */
  flags: number;
  name: string;
  /** IFLA_MTU. */
  mtu?: number;
  /** IFLA_LINKINFO/IFLA_INFO_KIND, e.g. `vxlan`, `veth`. */
  kind?: string;
  /** IFLA_LINKINFO/IFLA_INFO_DATA payload (kind-specific attributes). */
  infoData?: Buffer;
  /** IFLA_STATS64. */
  stats?: LinkStats64;
}

/** What {@link RtnlSocket.createLink} sends: OVS's `dpif_netlink_rtnl_create()` request. */
export interface NewLink {
  name: string;
  /** IFLA_INFO_KIND, e.g. `vxlan`, `geneve`, `gretap`. */
  kind: string;
  /** IFLA_MTU. */
  mtu?: number;
  /** Bring it up at creation (ifi_flags = ifi_change = IFF_UP). */
  up?: boolean;
  /** IFLA_INFO_DATA payload: kind-specific attributes, already encoded. */
  infoData: Buffer;
}

function ifinfomsg(index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(IFINFOMSG_SIZE);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}

function encodeNlmsg(type: number, flags: number, seq: number, pid: number, payload: Buffer): Buffer {
  const len = NLMSG_HDRLEN + payload.length;
  const out = Buffer.alloc(nlmsgAlign(len));
  out.writeUInt32LE(len, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq >>> 0, 8);
  out.writeUInt32LE(pid >>> 0, 12);
  payload.copy(out, NLMSG_HDRLEN);
  return out;
}

/**
 * Decodes the payload of an RTM_NEWLINK message (`ifinfomsg` + attributes).
 * @throws RangeError on a short payload or malformed attributes
 */
export function decodeLink(payload: Buffer): LinkInfo {
  if (payload.length < IFINFOMSG_SIZE) throw new RangeError(`RTM_NEWLINK payload is ${payload.length} bytes, shorter than struct ifinfomsg`);
  const a = attrMap(payload.subarray(IFINFOMSG_SIZE));
  const link: LinkInfo = {
    ifindex: payload.readInt32LE(4),
    flags: payload.readUInt32LE(8),
    name: a.has(IFLA_IFNAME) ? readString(a.get(IFLA_IFNAME) as Buffer) : '',
  };
  const mtu = a.get(IFLA_MTU);
  if (mtu && mtu.length >= 4) link.mtu = mtu.readUInt32LE(0);
  const info = a.get(IFLA_LINKINFO);
  if (info) {
    const ia = attrMap(info);
    const kind = ia.get(IFLA_INFO_KIND);
    if (kind) link.kind = readString(kind);
    const data = ia.get(IFLA_INFO_DATA);
    if (data) link.infoData = data;
  }
  const st = a.get(IFLA_STATS64);
  if (st && st.length >= RTNL_LINK_STATS64_FIELDS.length * 8) {
    const stats = {} as LinkStats64;
    RTNL_LINK_STATS64_FIELDS.forEach((f, i) => (stats[f] = st.readBigUInt64LE(i * 8)));
    link.stats = stats;
  }
  return link;
}

/** The link operations dpctl uses (what {@link RtnlSocket} offers; tests substitute fakes). */
export interface LinkOps {
  getLink(name: string): Promise<LinkInfo>;
  createLink(l: NewLink): Promise<void>;
  deleteLink(name: string): Promise<void>;
  setMtu(name: string, mtu: number): Promise<void>;
  setFlags(ifindex: number, flags: number, mask: number): Promise<void>;
  close(): void;
}

/** An rtnetlink socket for link requests; one request in flight at a time is all dpctl needs. */
export class RtnlSocket implements LinkOps {
  private constructor(private readonly client: RawNetlinkClient) {}

  /**
   * Opens an rtnetlink socket (extended ACKs on when the native addon is present).
   * @throws Error when the socket cannot be created
   */
  static open(): RtnlSocket {
    return new RtnlSocket(new RawNetlinkClient(NETLINK_ROUTE, 'rtnetlink'));
  }

  /** Closes the socket; waiting requests reject with ECANCELED. Idempotent. */
  close(): void {
    this.client.close();
  }

  /**
   * Looks a link up by name (RTM_GETLINK with IFLA_IFNAME).
   * @throws NetlinkError ENODEV when there is no such link
   */
  async getLink(name: string): Promise<LinkInfo> {
    const replies = await this.request(RTM_GETLINK, NLM_F_REQUEST, Buffer.concat([ifinfomsg(), attrString(IFLA_IFNAME, name)]), `RTM_GETLINK ${name}`);
    const m = replies.find((r) => r.type === RTM_NEWLINK);
    if (!m) throw new NetlinkError(osConstants.errno.EPROTO, `RTM_GETLINK ${name}: no link in reply`);
    return decodeLink(m.payload);
  }

  /**
   * Creates a link (RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL).
   * @throws NetlinkError EEXIST when the name is taken, EOPNOTSUPP for an unknown kind, …
   */
  async createLink(l: NewLink): Promise<void> {
    const NLM_F_EXCL = 0x200;
    const NLM_F_CREATE = 0x400;
    const attrs = [attrString(IFLA_IFNAME, l.name)];
    if (l.mtu !== undefined) attrs.push(attrU32(IFLA_MTU, l.mtu));
    attrs.push(attr(IFLA_LINKINFO, [attrString(IFLA_INFO_KIND, l.kind), attr(IFLA_INFO_DATA, l.infoData)]));
    const hdr = l.up ? ifinfomsg(0, IFF_UP, IFF_UP) : ifinfomsg();
    await this.request(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([hdr, ...attrs]), `RTM_NEWLINK ${l.name}`);
  }

  /** Deletes a link by name (RTM_DELLINK). @throws NetlinkError ENODEV when absent */
  async deleteLink(name: string): Promise<void> {
    await this.request(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, Buffer.concat([ifinfomsg(), attrString(IFLA_IFNAME, name)]), `RTM_DELLINK ${name}`);
  }

  /** Sets a link's MTU by name (RTM_SETLINK with IFLA_MTU). @throws NetlinkError */
  async setMtu(name: string, mtu: number): Promise<void> {
    await this.request(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, Buffer.concat([ifinfomsg(), attrString(IFLA_IFNAME, name), attrU32(IFLA_MTU, mtu)]), `RTM_SETLINK ${name} mtu`);
  }

  /**
   * Changes flag bits of a link (RTM_NEWLINK on an existing ifindex, `ifi_change` = `mask`),
   * as `SIOCSIFFLAGS` would.
   * @throws NetlinkError, e.g. ENODEV
   */
  async setFlags(ifindex: number, flags: number, mask: number): Promise<void> {
    await this.request(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ifinfomsg(ifindex, flags, mask), `RTM_NEWLINK ifindex ${ifindex} flags`);
  }

  private request(type: number, flags: number, payload: Buffer, context: string): Promise<RawNlMsg[]> {
    return this.client.request((seq, port) => encodeNlmsg(type, flags, seq, port, payload), context);
  }
}
