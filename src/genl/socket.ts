/**
 * The Generic Netlink control socket of the main thread: requests and dumps that wait for the
 * kernel's answer without blocking the event loop.
 *
 * Built on node-netlink's raw socket (`netlink` package, event-loop driven) rather than its
 * request layer, which drops the errno and the extended-ACK text of NLMSG_ERROR replies: here
 * every reply is split and matched to its request by sequence number, and kernel errors become
 * {@link NetlinkError}s. Semantics follow netlink(7) and Open vSwitch's `lib/netlink-socket.c`.
 */
import { constants as osConstants } from 'os';
import { RawNetlinkSocket } from 'netlink/dist/raw';
import type { ErrnoException, MessageInfo } from 'netlink/dist/raw';
import { attrString } from './nlattr';
import { enableExtAck } from './native';
import { PendingRequests, type PendingRequest } from './pending';
import {
  CTRL_ATTR_FAMILY_NAME,
  CTRL_CMD_GETFAMILY,
  CTRL_VERSION,
  decodeCtrlFamily,
  decodeGenlHeader,
  encodeGenlMessage,
  GENL_ID_CTRL,
  NETLINK_GENERIC,
  NetlinkError,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  parseNlmsgDone,
  parseNlmsgerr,
} from './netlink';
import type { RawNlMsg } from './netlink';

/** Socket buffer sizes of the control socket, in bytes (the kernel caps them at `net.core.[rw]mem_max`). */
const CONTROL_SOCKET_BUFFER = 1 << 20;

/** A Generic Netlink family as resolved by {@link GenlSocket.resolveFamily}. */
export interface ResolvedFamily {
  /** Family id: the `nlmsg_type` of the family's messages. */
  id: number;
  /** Family version (CTRL_ATTR_VERSION). */
  version: number;
  /** Highest attribute type of the family (CTRL_ATTR_MAXATTR). */
  maxAttr: number;
  /** Multicast group name → group id (CTRL_ATTR_MCAST_GROUPS). */
  mcastGroups: Map<string, number>;
}

/** A request waiting for its reply; its replies are the genl bodies so far. */
interface Pending extends PendingRequest<Buffer> {
  /** A reply carried NLM_F_DUMP_INTR: the dump may be inconsistent. */
  interrupted: boolean;
}

/**
 * A Generic Netlink socket (`NETLINK_GENERIC`) for control requests: family resolution,
 * datapath/vport/flow operations, dumps. Any number of {@link transact} calls may be in flight;
 * dumps are queued so only one runs at a time (the kernel refuses a second dump on a socket
 * with `EBUSY` while one is running). The socket keeps the process alive only while a request
 * is outstanding.
 *
 * Not for upcalls: those arrive on the native sockets (`./native`), read by handler workers.
 */
export class GenlSocket {
  /** The socket's netlink port id (`nl_pid`). */
  readonly portId: number;
  private readonly sock: RawNetlinkSocket;
  private readonly pending: PendingRequests<Pending>;
  private seq = 1;
  private dumpTail: Promise<unknown> = Promise.resolve();

  private constructor(sock: RawNetlinkSocket) {
    this.sock = sock;
    this.portId = sock.address().port;
    this.pending = new PendingRequests(sock);
    sock.on('message', (msg: Buffer, rinfo: MessageInfo) => this.onDatagram(msg, rinfo));
    sock.on('truncatedMessage', (_msg: Buffer, rinfo: MessageInfo) =>
      this.pending.failAll(osConstants.errno.EMSGSIZE, `truncated netlink datagram (${rinfo.truncated} bytes) on control socket`),
    );
    sock.on('error', (err: ErrnoException) => this.pending.failAll(err.errno, `receive on control socket (${err.syscall})`));
    sock.unref();
  }

  /**
   * Opens a control socket bound to a port id node-netlink picks, with `NETLINK_EXT_ACK` and
   * `NETLINK_CAP_ACK` turned on (through the native addon, which can reach the descriptor).
   * @throws Error when the socket cannot be created or bound (errno in `errno`/`code`), or
   *   when the native addon is missing or cannot find the socket
   */
  static open(): GenlSocket {
    const sock = new RawNetlinkSocket(NETLINK_GENERIC, {
      recvBufferSize: CONTROL_SOCKET_BUFFER,
      sendBufferSize: CONTROL_SOCKET_BUFFER,
    });
    try {
      const port = sock.address().port;
      if (!enableExtAck(port, NETLINK_GENERIC)) {
        throw new Error(`netlink socket with port id ${port} not found among this process's descriptors`);
      }
      return new GenlSocket(sock);
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /**
   * Looks up a Generic Netlink family by name (CTRL_CMD_GETFAMILY to the controller,
   * `<linux/genetlink.h>`).
   * @param name family name, e.g. `"ovs_datapath"`
   * @throws NetlinkError `ENOENT` when no such family is registered (e.g. openvswitch.ko is
   *   not loaded); other kernel errors likewise
   */
  async resolveFamily(name: string): Promise<ResolvedFamily> {
    const context = `CTRL_CMD_GETFAMILY ${name}`;
    const bodies = await this.transact(
      GENL_ID_CTRL,
      CTRL_CMD_GETFAMILY,
      CTRL_VERSION,
      0,
      attrString(CTRL_ATTR_FAMILY_NAME, name),
      context,
    );
    if (bodies.length !== 1) {
      throw new NetlinkError(osConstants.errno.EPROTO, `${context}: expected 1 reply, got ${bodies.length}`);
    }
    const f = decodeCtrlFamily(bodies[0]);
    return { id: f.id, version: f.version, maxAttr: f.maxAttr, mcastGroups: f.mcastGroups };
  }

  /**
   * Sends one request and waits for the kernel's answer. `NLM_F_REQUEST | NLM_F_ACK` are added
   * to `flags`, so every request ends with an acknowledgement or an error.
   * @param family family id (`nlmsg_type`)
   * @param cmd `genlmsghdr.cmd`
   * @param version `genlmsghdr.version`
   * @param flags extra `nlmsg_flags`, e.g. `NLM_F_CREATE | NLM_F_EXCL` or `NLM_F_ECHO`
   * @param payload the family body (for OVS: `struct ovs_header` then attributes)
   * @param context what this request does, for errors (e.g. `"OVS_VPORT_CMD_NEW br0"`)
   * @returns the bodies (after `genlmsghdr`) of the replies, in order; `[]` for a bare ACK
   * @throws NetlinkError with the kernel's errno and extended-ACK text when it refuses the
   *   request, or with the socket's errno when sending or receiving fails
   */
  transact(family: number, cmd: number, version: number, flags: number, payload: Buffer, context: string): Promise<Buffer[]> {
    return this.request(family, cmd, version, flags | NLM_F_REQUEST | NLM_F_ACK, payload, context);
  }

  /**
   * Dumps a table (`NLM_F_REQUEST | NLM_F_DUMP`) and collects every part of the multipart
   * answer up to NLMSG_DONE. Dumps on one socket run one after another, in call order.
   * @param family family id (`nlmsg_type`)
   * @param cmd `genlmsghdr.cmd`
   * @param version `genlmsghdr.version`
   * @param payload the family body (selects what to dump, e.g. an `ovs_header` with a dp ifindex)
   * @param context what this dump is, for errors
   * @returns the bodies (after `genlmsghdr`) of the dumped messages, in order
   * @throws NetlinkError when the kernel refuses the dump or it fails part way (errno from the
   *   NLMSG_ERROR or NLMSG_DONE), `EINTR` when a message carried NLM_F_DUMP_INTR (the table
   *   changed during the dump; retry), or a socket error
   */
  dump(family: number, cmd: number, version: number, payload: Buffer, context: string): Promise<Buffer[]> {
    const run = this.dumpTail.then(() => this.request(family, cmd, version, NLM_F_REQUEST | NLM_F_DUMP, payload, context));
    this.dumpTail = run.catch(() => undefined);
    return run;
  }

  /**
   * Closes the socket. Requests still waiting reject with a NetlinkError `ECANCELED`.
   * Idempotent.
   */
  close(): void {
    if (this.pending.closed) return;
    this.pending.close('control socket closed');
    this.sock.close();
  }

  private request(family: number, cmd: number, version: number, flags: number, payload: Buffer, context: string): Promise<Buffer[]> {
    if (this.pending.closed) return Promise.reject(new NetlinkError(osConstants.errno.EBADF, `${context} (control socket closed)`));
    const seq = this.nextSeq();
    return new Promise<Buffer[]>((resolve, reject) => {
      this.pending.add(seq, { context, replies: [], interrupted: false, resolve, reject });
      const msg = encodeGenlMessage({ type: family, flags, seq, pid: this.portId, cmd, version, payload });
      this.sock.send(msg, { port: 0 }, (err?: ErrnoException) => {
        if (err) this.pending.finish(seq, new NetlinkError(err.errno, `${context} (${err.syscall})`));
      });
    });
  }

  /** Next sequence number: non-zero, not in use, wrapping at 2^32. */
  private nextSeq(): number {
    do {
      this.seq = (this.seq % 0xffffffff) + 1;
    } while (this.pending.has(this.seq));
    return this.seq;
  }

  private onDatagram(datagram: Buffer, rinfo: MessageInfo): void {
    for (const m of this.pending.splitReplies(datagram, rinfo.port, 'netlink datagram on control socket')) this.onMessage(m);
  }

  private onMessage(m: RawNlMsg): void {
    const p = this.pending.get(m.seq);
    // Without a waiting request there is nobody to tell: we join no multicast groups, and every
    // request stays pending until its final message (ACK, error or NLMSG_DONE).
    if (!p) return;
    try {
      switch (m.type) {
        case NLMSG_NOOP:
          return;
        case NLMSG_ERROR: {
          const e = parseNlmsgerr(m.payload, m.flags);
          this.pending.finish(m.seq, e.errno ? new NetlinkError(e.errno, p.context, e.extackMsg, e.extackOffset) : undefined);
          return;
        }
        case NLMSG_DONE: {
          const e = parseNlmsgDone(m.payload, m.flags);
          if (e.errno) this.pending.finish(m.seq, new NetlinkError(e.errno, p.context, e.extackMsg));
          else if (p.interrupted) {
            this.pending.finish(m.seq, new NetlinkError(osConstants.errno.EINTR, `${p.context} (dump interrupted by a concurrent change, NLM_F_DUMP_INTR)`));
          } else this.pending.finish(m.seq);
          return;
        }
        case NLMSG_OVERRUN:
          this.pending.finish(m.seq, new NetlinkError(osConstants.errno.EOVERFLOW, `${p.context} (NLMSG_OVERRUN)`));
          return;
        default:
          if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
          p.replies.push(decodeGenlHeader(m.payload).body);
      }
    } catch (e) {
      this.pending.finish(m.seq, new NetlinkError(osConstants.errno.EPROTO, `${p.context}: malformed reply: ${(e as Error).message}`));
    }
  }
}
