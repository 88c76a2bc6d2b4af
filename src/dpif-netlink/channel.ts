/**
 * A netlink channel on a native socket, for worker threads: batched requests whose ACKs are
 * collected synchronously, and dumps read to NLMSG_DONE. Synchronous on purpose: a handler or
 * revalidator owns its channel and blocks only in the native receive (poll with a timeout).
 */
import * as native from '../genl/native';
import { NLMSG_DONE, NLMSG_ERROR, parseNlmsgerr, parseNlmsgDone, splitMessages, NetlinkError, decodeGenlHeader } from '../genl/netlink';

/** The outcome of one acknowledged request. */
export interface Ack {
  /** 0 for success, else the positive errno */
  errno: number;
  /** the kernel's extended-ACK text, when it sent one */
  extack?: string;
}

/** A native netlink socket plus the bookkeeping to match replies to requests. */
export class NativeChannel {
  private seq = 1;

  private constructor(readonly fd: number, readonly portId: number) {}

  /**
   * Opens a NETLINK_GENERIC socket through the native addon.
   * @param rcvbufBytes receive buffer to ask for (SO_RCVBUFFORCE, else SO_RCVBUF)
   */
  static open(rcvbufBytes = 4 << 20): NativeChannel {
    const s = native.open(rcvbufBytes);
    return new NativeChannel(s.fd, s.portId);
  }

  /** The next request sequence number (never 0, which the kernel uses for notifications). */
  nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0 || 1;
    return this.seq;
  }

  /**
   * Sends `requests` (whole netlink messages, each with NLM_F_ACK and its own sequence number)
   * in one batch and waits for each one's ACK or error.
   *
   * @param requests `[seq, bytes]` pairs
   * @param timeoutMs how long to wait for all ACKs in total, ms
   * @returns sequence number → ACK; requests still unanswered at the timeout are absent
   * @throws native send/receive errors (with `errno`/`code`)
   */
  transactBatch(requests: Array<[number, Buffer]>, timeoutMs = 2000): Map<number, Ack> {
    const acks = new Map<number, Ack>();
    if (requests.length === 0) return acks;
    const pending = new Set(requests.map(([seq]) => seq));
    native.sendBatch(this.fd, requests.map(([, b]) => b));
    const deadline = Date.now() + timeoutMs;
    while (pending.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      for (const dgram of native.recvBatch(this.fd, 64, left)) {
        for (const m of splitMessages(dgram)) {
          if (m.type !== NLMSG_ERROR || !pending.has(m.seq)) continue;
          const err = parseNlmsgerr(m.payload, m.flags);
          acks.set(m.seq, { errno: err.errno, extack: err.extackMsg });
          pending.delete(m.seq);
        }
      }
    }
    return acks;
  }

  /**
   * Sends a dump request (NLM_F_DUMP) and reads every reply up to NLMSG_DONE.
   *
   * @param request the whole request message
   * @param seq its sequence number
   * @param context what is being dumped, for errors
   * @param timeoutMs overall limit, ms
   * @returns the genl bodies (after `struct genlmsghdr`) of the reply messages
   * @throws NetlinkError when the kernel answers with an error or the dump times out
   */
  dump(request: Buffer, seq: number, context: string, timeoutMs = 5000): Buffer[] {
    native.sendBatch(this.fd, [request]);
    const out: Buffer[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new NetlinkError(110 /* ETIMEDOUT */, `${context}: dump timed out`);
      for (const dgram of native.recvBatch(this.fd, 64, left)) {
        for (const m of splitMessages(dgram)) {
          if (m.seq !== seq) continue;
          if (m.type === NLMSG_DONE) {
            const done = parseNlmsgDone(m.payload, m.flags);
            if (done.errno) throw new NetlinkError(done.errno, context, done.extackMsg);
            return out;
          }
          if (m.type === NLMSG_ERROR) {
            const err = parseNlmsgerr(m.payload, m.flags);
            if (err.errno === 0) return out;
            throw new NetlinkError(err.errno, context, err.extackMsg);
          }
          out.push(decodeGenlHeader(m.payload).body);
        }
      }
    }
  }

  /** Receives up to `max` datagrams, waiting at most `timeoutMs` ms. */
  recv(max: number, timeoutMs: number): Buffer[] {
    return native.recvBatch(this.fd, max, timeoutMs);
  }

  /** Closes the socket. */
  close(): void {
    native.close(this.fd);
  }
}
