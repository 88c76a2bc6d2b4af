/**
 * Packet and byte counts of each bridge's OpenFlow rule, shared by every thread (OVS's
 * `rule_dpif_credit_stats()`): a handler credits each upcall packet it translates, the
 * revalidator credits what each megaflow matched since its previous dump. Every packet of a
 * bridge goes through its one table-0 rule (`priority=0 actions=NORMAL`), so the counts are
 * per bridge; `bridge/dump-flows` shows them as that rule's `n_packets`/`n_bytes`.
 *
 * Layout of the `SharedArrayBuffer`: Int32 [lock, reserved], then {@link RULE_STATS_ROWS} rows of
 * BigUint64 [owner bridge id, packets, bytes]; bridge id B uses row B mod RULE_STATS_ROWS, and a
 * row found owned by another id is reset for the new one (ids are never reused, so a bridge
 * created after RULE_STATS_ROWS others starts from zero, as a new rule does).
 */

/** Bridges whose counts the table keeps apart. */
export const RULE_STATS_ROWS = 256;

const HDR_BYTES = 8;
const ROW = 3;

/** A rule's totals. */
export interface RuleCounts {
  packets: number;
  bytes: number;
}

/** The shared per-bridge rule counters. */
export class RuleStats {
  readonly buffer: SharedArrayBuffer;
  private readonly lockWord: Int32Array;
  private readonly rows: BigUint64Array;

  /** @param buffer an existing table to attach to (in a worker); omitted: allocate a zeroed one */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(HDR_BYTES + RULE_STATS_ROWS * ROW * 8);
    this.lockWord = new Int32Array(this.buffer, 0, 2);
    this.rows = new BigUint64Array(this.buffer, HDR_BYTES, RULE_STATS_ROWS * ROW);
  }

  private withRow<T>(bridgeId: number, fn: (o: number) => T): T {
    while (Atomics.compareExchange(this.lockWord, 0, 0, 1) !== 0) {
      // A few loads and stores inside; spinning is cheaper than sleeping.
    }
    try {
      const o = (bridgeId % RULE_STATS_ROWS) * ROW;
      if (this.rows[o] !== BigInt(bridgeId)) {
        this.rows[o] = BigInt(bridgeId);
        this.rows[o + 1] = 0n;
        this.rows[o + 2] = 0n;
      }
      return fn(o);
    } finally {
      Atomics.store(this.lockWord, 0, 0);
    }
  }

  /**
   * Adds `packets` and `bytes` to the rule of bridge `bridgeId` (`BridgeConfig.id`).
   * @param packets non-negative
   * @param bytes non-negative
   */
  credit(bridgeId: number, packets: bigint, bytes: bigint): void {
    this.withRow(bridgeId, (o) => {
      this.rows[o + 1] += packets;
      this.rows[o + 2] += bytes;
    });
  }

  /** The totals of bridge `bridgeId`'s rule. */
  read(bridgeId: number): RuleCounts {
    return this.withRow(bridgeId, (o) => ({ packets: Number(this.rows[o + 1]), bytes: Number(this.rows[o + 2]) }));
  }
}
