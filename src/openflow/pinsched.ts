/**
 * Packet-in rate limiting of one controller connection: the `Controller` columns
 * `controller_rate_limit` and `controller_burst_limit` (ovs-vswitchd.conf.db(5)), with the
 * behaviour of OVS 3.1's `ofproto/pinsched.c` and `lib/token-bucket.c`.
 *
 * A packet-in goes straight out while nothing is queued and the token bucket has a token.
 * Otherwise it joins the queue of its ingress port; queued packet-ins leave as tokens arrive,
 * taking the ports in turn (round robin), at most 50 per `run()`. The queues together hold at
 * most `burst_limit` packet-ins: one more drops the oldest packet-in of the longest queue (a
 * random one among equally long queues).
 */

/** Packet-ins one `run()` releases at most (OVS limits each main-loop pass the same way). */
const PINSCHED_RUN_MAX = 50;
/** Tokens one packet-in costs: the bucket counts thousandths of a packet. */
const TOKENS_PER_PACKET = 1000;

/**
 * A token bucket (OVS `struct token_bucket`): `rate` tokens accumulate per millisecond up to
 * `burst`. It starts empty with its last fill infinitely long ago, so the first withdrawal
 * finds it full.
 */
export class TokenBucket {
  /** tokens held now */
  tokens = 0;
  private lastFill = -Infinity;

  /**
   * @param rate tokens added per millisecond
   * @param burst most tokens the bucket holds
   * @param now the clock, ms
   */
  constructor(public rate: number, public burst: number, private readonly now: () => number) {}

  /** Changes rate and burst, dropping tokens above the new burst (`token_bucket_set()`). */
  set(rate: number, burst: number): void {
    this.rate = rate;
    this.burst = burst;
    if (burst < this.tokens) this.tokens = burst;
  }

  /** Removes `n` tokens if the bucket has them after refilling; false (and nothing removed) if not. */
  withdraw(n: number): boolean {
    if (this.tokens < n) {
      const now = this.now();
      if (now > this.lastFill) {
        this.tokens = Math.min(this.tokens + this.rate * (now - this.lastFill), this.burst);
        this.lastFill = now;
      }
      if (this.tokens < n) return false;
    }
    this.tokens -= n;
    return true;
  }

  /** Milliseconds from now until `n` tokens can be withdrawn (0: now), as `token_bucket_wait()` computes it. */
  waitMs(n: number): number {
    if (this.tokens >= n) return 0;
    const until = this.lastFill + Math.floor((n - this.tokens) / this.rate) + 1;
    return Math.max(0, until - this.now());
  }
}

/** Counters of one scheduler (OVS `struct pinsched_stats`). */
export interface PinschedStats {
  /** packet-ins waiting in the queues now */
  nQueued: number;
  /** packet-ins sent at once, without queuing ("bypassed" in `Controller.status`) */
  nNormal: number;
  /** packet-ins that were queued ("queued") */
  nLimited: number;
  /** packet-ins dropped because the queues were full ("dropped") */
  nQueueDropped: number;
}

/**
 * The packet-in scheduler of one connection and one kind of packet-in (OVS keeps one for
 * table misses and one for controller actions). Holds opaque packets of type `T`.
 */
export class Pinsched<T> {
  private readonly bucket: TokenBucket;
  /** one queue per ingress port, in round-robin order (insertion order; OVS walks an hmap) */
  private readonly queues = new Map<number, T[]>();
  /** the port whose queue sends next, undefined = the first queue */
  private nextTxq?: number;
  private readonly counters: PinschedStats = { nQueued: 0, nNormal: 0, nLimited: 0, nQueueDropped: 0 };

  /**
   * @param rateLimit packet-ins per second (≤ 0: 1000, OVS's default)
   * @param burstLimit packet-ins sent back to back and most queued (≤ 0: rateLimit / 4, at least 1)
   * @param now the clock, ms (tests pass a fake one)
   * @param random uniform in [0, 1), to pick among equally long queues when dropping
   */
  constructor(rateLimit: number, burstLimit: number, now: () => number = Date.now, private readonly random: () => number = Math.random) {
    const l = adjustLimits(rateLimit, burstLimit);
    this.bucket = new TokenBucket(l.rate, l.burst * TOKENS_PER_PACKET, now);
  }

  /** The limits in force, packet-ins per second and packet-ins (after defaulting). */
  get limits(): { rate: number; burst: number } {
    return { rate: this.bucket.rate, burst: Math.floor(this.bucket.burst / TOKENS_PER_PACKET) };
  }

  /** Changes the limits; queued packet-ins beyond the new burst are dropped (`pinsched_set_limits()`). */
  setLimits(rateLimit: number, burstLimit: number): void {
    const l = adjustLimits(rateLimit, burstLimit);
    this.bucket.set(l.rate, l.burst * TOKENS_PER_PACKET);
    while (this.counters.nQueued > l.burst) this.dropPacket();
  }

  /**
   * Offers one packet-in that arrived on `portNo` (`pinsched_send()`).
   * @returns the packet when it may be sent now, else undefined (it was queued)
   */
  send(portNo: number, packet: T): T | undefined {
    if (!this.counters.nQueued && this.bucket.withdraw(TOKENS_PER_PACKET)) {
      this.counters.nNormal++;
      return packet;
    }
    if (this.counters.nQueued * TOKENS_PER_PACKET >= this.bucket.burst) this.dropPacket();
    let q = this.queues.get(portNo);
    if (!q) this.queues.set(portNo, (q = []));
    q.push(packet);
    this.counters.nQueued++;
    this.counters.nLimited++;
    return undefined;
  }

  /** Releases the queued packet-ins the bucket has tokens for, at most 50, in round-robin order (`pinsched_run()`). */
  run(): T[] {
    const out: T[] = [];
    while (out.length < PINSCHED_RUN_MAX && this.counters.nQueued && this.bucket.withdraw(TOKENS_PER_PACKET)) {
      out.push(this.txPacket());
    }
    return out;
  }

  /** Milliseconds until `run()` can release a packet-in, or undefined when nothing is queued. */
  waitMs(): number | undefined {
    return this.counters.nQueued ? this.bucket.waitMs(TOKENS_PER_PACKET) : undefined;
  }

  /** A copy of the counters. */
  stats(): PinschedStats {
    return { ...this.counters };
  }

  /** The port after `port` in round-robin order, or undefined after the last one. */
  private after(port: number | undefined): number | undefined {
    const ports = [...this.queues.keys()];
    if (port === undefined) return ports[0];
    const i = ports.indexOf(port);
    return i < 0 || i + 1 >= ports.length ? undefined : ports[i + 1];
  }

  /** Takes the head of the next queue in turn (`get_tx_packet()`). */
  private txPacket(): T {
    if (this.nextTxq === undefined) this.nextTxq = this.after(undefined);
    const port = this.nextTxq!;
    const packet = this.dequeue(port);
    this.nextTxq = this.after(port);
    if (!this.queues.get(port)!.length) this.destroyQueue(port);
    return packet;
  }

  private dequeue(port: number): T {
    this.counters.nQueued--;
    return this.queues.get(port)!.shift()!;
  }

  /** Removes an empty queue, keeping the round-robin position valid (`pinqueue_destroy()`). */
  private destroyQueue(port: number): void {
    if (this.nextTxq === port) this.nextTxq = this.after(port);
    this.queues.delete(port);
  }

  /** Drops the oldest packet-in of the longest queue, a uniformly random one among ties (`drop_packet()`). */
  private dropPacket(): void {
    this.counters.nQueueDropped++;
    let longest: number | undefined;
    let longestLen = 0;
    let nLongest = 0;
    for (const [port, q] of this.queues) {
      if (longest === undefined || longestLen < q.length) {
        longest = port;
        longestLen = q.length;
        nLongest = 1;
      } else if (longestLen === q.length) {
        // Knuth's algorithm 3.4.2R: the n-th tie replaces the choice with probability 1/n.
        nLongest++;
        if (Math.floor(this.random() * nLongest) === 0) longest = port;
      }
    }
    this.dequeue(longest!);
    if (!this.queues.get(longest!)!.length) this.destroyQueue(longest!);
  }
}

/** OVS `adjust_limits()`: rate ≤ 0 means 1000/s, burst ≤ 0 means rate / 4, and burst is at least 1. */
function adjustLimits(rate: number, burst: number): { rate: number; burst: number } {
  if (rate <= 0) rate = 1000;
  if (burst <= 0) burst = Math.floor(rate / 4);
  if (burst < 1) burst = 1;
  return { rate, burst };
}
