/**
 * Rule statistics a worker owes the main thread (OVS `rule_dpif_credit_stats()` from handlers
 * and revalidators): packets and bytes per rule, summed per bridge and posted as one
 * `rule-stats` message per bridge at most every {@link RULE_CREDIT_INTERVAL_MS}, so a busy
 * handler does not flood the main thread.
 */
import type { FromWorker, RuleCredit } from './messages';

/** Shortest interval between two postings, ms. */
export const RULE_CREDIT_INTERVAL_MS = 100;

/** Credits accumulated since the last posting. */
export class RuleCredits {
  private readonly pending = new Map<string, Map<number, RuleCredit>>();
  private lastPostMs = 0;

  /**
   * Adds `packets` and `bytes` to each rule of `ruleIds` (a rule listed twice is credited twice,
   * as a packet that went through it twice).
   * @param usedMs when the packets were seen, Date.now() ms
   */
  add(bridge: string, ruleIds: readonly number[], packets: bigint, bytes: bigint, usedMs: number): void {
    if (!ruleIds.length || packets <= 0n) return;
    let m = this.pending.get(bridge);
    if (!m) this.pending.set(bridge, (m = new Map()));
    for (const id of ruleIds) {
      const c = m.get(id);
      if (c) {
        c[1] += packets;
        c[2] += bytes;
        c[3] = Math.max(c[3], usedMs);
      } else {
        m.set(id, [id, packets, bytes, usedMs]);
      }
    }
  }

  /**
   * Posts what is pending if the interval has passed since the last posting (or `force`).
   * @param nowMs any monotonic ms clock
   */
  flush(nowMs: number, post: (m: FromWorker) => void, force = false): void {
    if (!this.pending.size || (!force && nowMs - this.lastPostMs < RULE_CREDIT_INTERVAL_MS)) return;
    this.lastPostMs = nowMs;
    for (const [bridge, m] of this.pending) post({ type: 'rule-stats', bridge, credits: [...m.values()] });
    this.pending.clear();
  }
}
