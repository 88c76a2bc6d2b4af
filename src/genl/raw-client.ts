/**
 * A request/reply client over one of node-netlink's raw netlink sockets, for the classic netlink
 * families this project talks to besides generic netlink (rtnetlink for links, ctnetlink for
 * conntrack): it numbers requests, collects each one's replies until its ACK, NLMSG_DONE or
 * single reply, and turns kernel errors into {@link NetlinkError}s that keep the errno and the
 * extended-ACK text (netlink(7), `struct nlmsgerr`). The socket keeps the process alive only
 * while a request is in flight.
 */
import { constants as osConstants } from 'os';
import { RawNetlinkSocket } from 'netlink/dist/raw';
import type { ErrnoException, MessageInfo } from 'netlink/dist/raw';
import { NetlinkError, NLMSG_DONE, NLMSG_ERROR, parseNlmsgDone, parseNlmsgerr } from './netlink';
import type { RawNlMsg } from './netlink';
import { enableExtAck } from './native';
import { PendingRequests, type PendingRequest } from './pending';

/** `NLM_F_MULTI`: more replies of the same request follow. */
const NLM_F_MULTI = 0x2;

type Pending = PendingRequest<RawNlMsg>;

/** One raw netlink socket and its requests in flight. */
export class RawNetlinkClient {
  private readonly pending: PendingRequests<Pending>;
  private seq = 1;
  /** the socket's netlink port id (`nlmsg_pid` of requests) */
  readonly portId: number;
  private readonly sock: RawNetlinkSocket;

  /**
   * Opens a socket of netlink `protocol` (extended ACKs on when the native addon is present).
   * @param name what the socket is for in error texts, e.g. "rtnetlink"
   * @param recvBufferSize SO_RCVBUF, bytes
   * @throws Error when the socket cannot be created (e.g. EPROTONOSUPPORT)
   */
  constructor(protocol: number, private readonly name: string, recvBufferSize = 1 << 20) {
    this.sock = new RawNetlinkSocket(protocol, { recvBufferSize, sendBufferSize: 1 << 18 });
    this.portId = this.sock.address().port;
    this.pending = new PendingRequests(this.sock);
    try {
      enableExtAck(this.portId, protocol);
    } catch {
      // Extended ACK text is a nicety; errno alone still reaches the caller.
    }
    this.sock.on('message', (msg: Buffer, rinfo: MessageInfo) => this.onDatagram(msg, rinfo));
    this.sock.on('error', (err: ErrnoException) => this.pending.failAll(err.errno, err.syscall));
    this.sock.unref();
  }

  /** Closes the socket; waiting requests reject with ECANCELED. Idempotent. */
  close(): void {
    if (this.pending.closed) return;
    this.pending.close(`${this.name} socket closed`);
    this.sock.close();
  }

  /**
   * Sends one request and resolves with its replies (none for a bare ACK; every part of a dump).
   * @param build the whole message (nlmsghdr included) for sequence number `seq`; may throw, in
   *   which case nothing is sent
   * @param context what the request does, for error texts
   * @throws NetlinkError with the kernel's errno (and extended-ACK text), EBADF once closed,
   *   EPROTO for a malformed reply
   */
  request(build: (seq: number, portId: number) => Buffer, context: string): Promise<RawNlMsg[]> {
    if (this.pending.closed) return Promise.reject(new NetlinkError(osConstants.errno.EBADF, `${context} (${this.name} socket closed)`));
    const seq = this.seq++;
    let msg: Buffer;
    try {
      msg = build(seq, this.portId);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<RawNlMsg[]>((resolve, reject) => {
      this.pending.add(seq, { context, replies: [], resolve, reject });
      this.sock.send(msg, { port: 0 }, (err?: ErrnoException) => {
        if (err) this.pending.finish(seq, new NetlinkError(err.errno, `${context} (${err.syscall})`));
      });
    });
  }

  private onDatagram(datagram: Buffer, rinfo: MessageInfo): void {
    for (const m of this.pending.splitReplies(datagram, rinfo.port, `${this.name} datagram`)) {
      const p = this.pending.get(m.seq);
      if (!p) continue;
      try {
        if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) {
          const e = m.type === NLMSG_ERROR ? parseNlmsgerr(m.payload, m.flags) : parseNlmsgDone(m.payload, m.flags);
          this.pending.finish(m.seq, e.errno ? new NetlinkError(e.errno, p.context, e.extackMsg, e.extackOffset) : undefined);
        } else {
          p.replies.push(m);
          // A request without NLM_F_ACK ends with its one reply.
          if (!(m.flags & NLM_F_MULTI)) this.pending.finish(m.seq);
        }
      } catch (err) {
        this.pending.finish(m.seq, new NetlinkError(osConstants.errno.EPROTO, `${p.context}: ${(err as Error).message}`));
      }
    }
  }
}
