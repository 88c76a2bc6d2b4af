/**
 * The bookkeeping of requests in flight on one netlink socket, shared by the request/reply
 * clients ({@link GenlSocket} in ./socket, {@link RawNetlinkClient} in ./raw-client): requests by
 * sequence number, settling them, and holding a ref on the socket (so the process stays alive)
 * exactly while some request waits.
 */
import { constants as osConstants } from 'os';
import { NetlinkError, splitMessages } from './netlink';
import type { RawNlMsg } from './netlink';

/** A request waiting for its answer. */
export interface PendingRequest<R> {
  /** what the request does, for error texts */
  context: string;
  /** the replies collected so far; the request resolves with them */
  replies: R[];
  resolve(replies: R[]): void;
  reject(err: Error): void;
}

/** The requests in flight on one socket, by sequence number (see the module comment). */
export class PendingRequests<P extends PendingRequest<unknown>> {
  private readonly bySeq = new Map<number, P>();
  /** Set by {@link close}: the socket is going away and takes no more requests. */
  closed = false;

  /** @param sock the socket to ref while a request waits and unref when none does */
  constructor(private readonly sock: { ref(): void; unref(): void }) {}

  /** The request waiting on `seq`, if any. */
  get(seq: number): P | undefined {
    return this.bySeq.get(seq);
  }

  /** Whether a request waits on `seq`. */
  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /** Starts waiting on `seq`; the first request in flight refs the socket. */
  add(seq: number, p: P): void {
    if (this.bySeq.size === 0) this.sock.ref();
    this.bySeq.set(seq, p);
  }

  /**
   * Settles the request on `seq`: rejects it with `err`, or resolves it with its replies. The last
   * request in flight unrefs the socket (unless closing). Nothing happens for an unknown `seq`.
   */
  finish(seq: number, err?: Error): void {
    const p = this.bySeq.get(seq);
    if (!p) return;
    this.bySeq.delete(seq);
    if (this.bySeq.size === 0 && !this.closed) this.sock.unref();
    if (err) p.reject(err);
    else p.resolve(p.replies);
  }

  /** Rejects every waiting request with a NetlinkError `errno`, `<context> (<what>)`. */
  failAll(errno: number, what: string): void {
    for (const [seq, p] of [...this.bySeq]) this.finish(seq, new NetlinkError(errno, `${p.context} (${what})`));
  }

  /**
   * The messages of a datagram the socket received, for matching to requests: none when it did
   * not come from the kernel (netlink port 0; only the kernel answers our requests); none, after
   * failing every waiting request with EPROTO (`malformed <what>: <reason>`), when it does not
   * split into netlink messages.
   */
  splitReplies(datagram: Buffer, fromPort: number, what: string): RawNlMsg[] {
    if (fromPort !== 0) return [];
    try {
      return splitMessages(datagram);
    } catch (e) {
      this.failAll(osConstants.errno.EPROTO, `malformed ${what}: ${(e as Error).message}`);
      return [];
    }
  }

  /** Marks the socket closed and rejects every waiting request with ECANCELED (`what`: why). */
  close(what: string): void {
    this.closed = true;
    this.failAll(osConstants.errno.ECANCELED, what);
  }
}
