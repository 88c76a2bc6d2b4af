/**
 * Rule statistics a worker owes the main thread (OVS `rule_dpif_credit_stats()` from handlers
 * and revalidators): packets and bytes per rule, and lookups per OpenFlow table (OVS credits
 * `oftable.n_matched`/`n_missed` with the packets of each lookup), summed per bridge and posted as one
 * `rule-stats` message per bridge at most every {@link RULE_CREDIT_INTERVAL_MS}, so a busy
 * handler does not flood the main thread.
 */
import type { FromWorker, RuleCredit, TableCredit } from './messages';

/**
 * Adds `packets` lookups per entry of `tableLookups` (`tableId << 1 | matched`, see
 * `XlateResult.tableLookups`) into `into`, by table id.
 */
export function addTableLookups(into: Map<number, TableCredit>, tableLookups: readonly number[], packets: bigint): void {
  for (const l of tableLookups) {
    const id = l >>> 1;
    let c = into.get(id);
    if (!c) into.set(id, (c = [id, 0n, 0n]));
    if (l & 1) c[1] += packets;
    else c[2] += packets;
  }
}

/** Shortest interval between two postings, ms. */
export const RULE_CREDIT_INTERVAL_MS = 100;

/** Credits accumulated since the last posting. */
export class RuleCredits {
  private readonly pending = new Map<string, Map<number, RuleCredit>>();
  private readonly pendingTables = new Map<string, Map<number, TableCredit>>();
  private lastPostMs = 0;

  /**
   * Adds `packets` and `bytes` to each rule of `ruleIds` (a rule listed twice is credited twice,
   * as a packet that went through it twice), and `packets` lookups to each table lookup of
   * `tableLookups` (`tableId << 1 | matched`, see `XlateResult.tableLookups`).
   * @param usedMs when the packets were seen, Date.now() ms
   */
  add(bridge: string, ruleIds: readonly number[], tableLookups: readonly number[], packets: bigint, bytes: bigint, usedMs: number): void {
    if (packets <= 0n) return;
    if (tableLookups.length) {
      let t = this.pendingTables.get(bridge);
      if (!t) this.pendingTables.set(bridge, (t = new Map()));
      addTableLookups(t, tableLookups, packets);
    }
    if (!ruleIds.length) return;
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
    if ((!this.pending.size && !this.pendingTables.size) || (!force && nowMs - this.lastPostMs < RULE_CREDIT_INTERVAL_MS)) return;
    this.lastPostMs = nowMs;
    for (const bridge of new Set([...this.pending.keys(), ...this.pendingTables.keys()])) {
      post({ type: 'rule-stats', bridge, credits: [...(this.pending.get(bridge)?.values() ?? [])], tables: [...(this.pendingTables.get(bridge)?.values() ?? [])] });
    }
    this.pending.clear();
    this.pendingTables.clear();
  }
}
