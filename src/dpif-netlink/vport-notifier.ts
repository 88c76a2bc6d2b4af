/**
 * Vport change notifications: the kernel multicasts `OVS_VPORT_CMD_NEW`/`DEL`/`SET` to the
 * `ovs_vport` group (`OVS_VPORT_MCGROUP`) whenever a vport is added, removed or changed — by us,
 * by `ovs-dpctl`, or because its netdev went away. This listener joins the group on a socket of its
 * own (so notifications never mix with request replies) and decodes each message.
 *
 * Source: `<linux/openvswitch.h>` (OVS_VPORT_MCGROUP), net/openvswitch/datapath.c (ovs_notify).
 */
import { EventEmitter } from 'node:events';
import { RawNetlinkSocket } from 'netlink/dist/raw';
import type { MessageInfo } from 'netlink/dist/raw';
import { decodeGenlHeader, NETLINK_GENERIC, splitMessages } from '../genl/netlink';
import { decodeVportMessage, VportMessage } from '../genl/messages';
import { OVS_VPORT_FAMILY, OVS_VPORT_MCGROUP } from '../genl/openvswitch';
import type { GenlSocket } from '../genl/socket';

/** One decoded notification: the command (OVS_VPORT_CMD_NEW/DEL/SET) and the vport. */
export interface VportNotification {
  cmd: number;
  vport: VportMessage;
}

/**
 * Listens to `ovs_vport` notifications. Events: `'notification'(n: VportNotification)`,
 * `'error'(e: Error)` for a datagram that does not decode (the listener keeps running).
 */
export class VportNotifier extends EventEmitter {
  private constructor(
    private readonly sock: RawNetlinkSocket,
    private readonly family: number,
  ) {
    super();
    sock.on('message', (d: Buffer, rinfo: MessageInfo) => this.onDatagram(d, rinfo));
  }

  /**
   * Resolves the family and its group through `ctl`, then joins the group on a new socket.
   * @throws NetlinkError ENOENT when the kernel has no `ovs_vport` family; Error when the family
   *   has no `ovs_vport` multicast group
   */
  static async open(ctl: GenlSocket): Promise<VportNotifier> {
    const fam = await ctl.resolveFamily(OVS_VPORT_FAMILY);
    const group = fam.mcastGroups.get(OVS_VPORT_MCGROUP);
    if (group === undefined) throw new Error(`${OVS_VPORT_FAMILY}: no "${OVS_VPORT_MCGROUP}" multicast group`);
    const sock = new RawNetlinkSocket(NETLINK_GENERIC, { recvBufferSize: 1 << 20, sendBufferSize: 1 << 16 });
    sock.addMembership(group);
    return new VportNotifier(sock, fam.id);
  }

  private onDatagram(d: Buffer, rinfo: MessageInfo): void {
    if (rinfo.port !== 0) return;
    try {
      for (const m of splitMessages(d)) {
        if (m.type !== this.family) continue;
        const { cmd, body } = decodeGenlHeader(m.payload);
        this.emit('notification', { cmd, vport: decodeVportMessage(body) } satisfies VportNotification);
      }
    } catch (e) {
      this.emit('error', e as Error);
    }
  }

  /** Lets the process exit while the listener is open (it is referenced by default). */
  unref(): void {
    this.sock.unref();
  }

  /** Leaves the group and closes the socket. */
  close(): void {
    this.sock.close();
  }
}
