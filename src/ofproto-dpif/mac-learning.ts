/**
 * The MAC learning table behind the NORMAL action (OVS's `lib/mac-learning`): which port a
 * source MAC address was last seen on, per VLAN, with aging. Sizes and times follow
 * `ovs-vswitchd.conf.db(5)`: `other_config:mac-aging-time` (default 300 s) and
 * `other_config:mac-table-size` (default 8192 entries).
 *
 * Every handler and revalidator holds its own replica; learned entries travel through the main
 * thread as {@link MacLearnEvent}s, so all replicas converge.
 */

/** Default `other_config:mac-aging-time`, seconds. */
export const MAC_DEFAULT_AGING_S = 300;
/** Default `other_config:mac-table-size`, entries. */
export const MAC_DEFAULT_MAX = 8192;

/** One learned (or refreshed) entry, as posted between threads. */
export interface MacLearnEvent {
  bridge: string;
  /** VLAN ID (0 for untagged). */
  vlan: number;
  /** lowercase colon-separated MAC */
  mac: string;
  /** OpenFlow port number the MAC was seen on */
  ofport: number;
  /** when it was seen: CLOCK_MONOTONIC milliseconds */
  usedMs: number;
}

interface MacEntry {
  ofport: number;
  usedMs: number;
}

/** True for group (multicast/broadcast) addresses: the I/G bit of the first octet. */
export function macIsMulticast(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

/** A per-bridge MAC table. */
export class MacLearning {
  private readonly entries = new Map<string, MacEntry>();

  /**
   * @param agingMs entries unused for longer than this (ms) are treated as absent and dropped
   * @param maxEntries when full, the least recently used entry is evicted
   */
  constructor(public agingMs = MAC_DEFAULT_AGING_S * 1000, public maxEntries = MAC_DEFAULT_MAX) {}

  /** Number of live-or-unexpired entries held. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Records that `mac` on `vlan` was seen on `ofport` at `nowMs`.
   * @returns true when this changed forwarding (a new entry or a move), false for a refresh
   */
  learn(vlan: number, mac: string, ofport: number, nowMs: number): boolean {
    const k = `${vlan}|${mac}`;
    const e = this.entries.get(k);
    if (e && e.ofport === ofport && nowMs - e.usedMs <= this.agingMs) {
      if (nowMs > e.usedMs) e.usedMs = nowMs;
      return false;
    }
    this.entries.delete(k);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(k, { ofport, usedMs: nowMs });
    return true;
  }

  /**
   * Looks up the port `mac` on `vlan` was learned on.
   * @returns the ofport, or undefined when unknown or aged out at `nowMs`
   */
  lookup(vlan: number, mac: string, nowMs: number): number | undefined {
    const k = `${vlan}|${mac}`;
    const e = this.entries.get(k);
    if (!e) return undefined;
    if (nowMs - e.usedMs > this.agingMs) {
      this.entries.delete(k);
      return undefined;
    }
    return e.ofport;
  }

  /** Forgets every entry on `ofport` (the port was deleted). */
  flushPort(ofport: number): void {
    for (const [k, e] of this.entries) if (e.ofport === ofport) this.entries.delete(k);
  }

  /** Forgets every entry (`fdb/flush`). */
  flush(): void {
    this.entries.clear();
  }

  /** Entries as `[vlan, mac, ofport, ageSeconds]`, for `fdb/show`-style listings. */
  dump(nowMs: number): Array<{ vlan: number; mac: string; ofport: number; ageS: number }> {
    const out = [];
    for (const [k, e] of this.entries) {
      if (nowMs - e.usedMs > this.agingMs) continue;
      const [vlan, mac] = k.split('|');
      out.push({ vlan: Number(vlan), mac, ofport: e.ofport, ageS: Math.floor((nowMs - e.usedMs) / 1000) });
    }
    return out;
  }
}
