/**
 * The MAC learning table behind the NORMAL action (OVS's `lib/mac-learning`): which port a
 * source MAC address was last seen on, per bridge and VLAN, with aging
 * (`other_config:mac-aging-time`, default 300 s; `ovs-vswitchd.conf.db(5)`).
 *
 * One table serves every thread, as in OVS where handlers share the bridge's table under a lock:
 * it lives in a `SharedArrayBuffer`, so what one handler learns is visible to the next upcall on
 * any other handler at once — otherwise a handler that has not heard of a MAC yet would install a
 * flooding megaflow for it. Writers and readers take a tiny spinlock (`Atomics`); critical
 * sections are a few probes of an open-addressing hash table.
 *
 * Layout (Int32 words): header [lock, generation, capacity, reserved], then `capacity` slots of
 * [state, keyA, keyB, keyC, ofport] (state 0 empty, 1 used, 2 deleted; keyA = bridgeId·4096+vlan,
 * keyB = MAC octets 0–1, keyC = octets 2–5); then one Float64 "last used" time (CLOCK_MONOTONIC
 * ms) per slot; then Float64 statistics rows of [owner, learned, expired, evicted, moved, entries]
 * (OVS's `fdb/stats-show` totals, and the entries a bridge holds in the table): row 0 sums every bridge, row 1 + (bridgeId mod
 * {@link MAC_STATS_ROWS}) belongs to the bridge named in its owner word (a row found owned by
 * another bridge id is reset for the new one, so ids that collide share nothing).
 *
 * Aged entries stay in their slots until reused or swept by {@link MacTable.expire}; they are
 * counted as expired at that moment, so `expire()` before reading statistics gives OVS's counts.
 *
 * Each bridge holds at most `other_config:mac-table-size` entries (default 8192, clamped to
 * 10…1 000 000 as OVS's `mac_learning_set_max_entries()`); learning a new MAC on a full bridge
 * evicts "fairly", as OVS's `evict_mac_entry_fairly()`: the least recently used entry of the port
 * that holds the most entries. VLANs in `Bridge.flood_vlans` are never learned nor looked up
 * (OVS `is_learning_vlan()`).
 */

/** Default `other_config:mac-aging-time`, seconds. */
export const MAC_DEFAULT_AGING_S = 300;
/** Default `other_config:mac-table-size`: entries per bridge (OVS `MAC_DEFAULT_MAX`). */
export const MAC_DEFAULT_MAX = 8192;

/**
 * OVS `bridge_configure_mac_table()` + `normalize_idle_time()`: the aging time in seconds for an
 * `other_config:mac-aging-time` value (absent, non-numeric or 0 → 300; clamped to 15…3600; a
 * negative value, read as unsigned by OVS, → 3600).
 */
export function macAgingTimeS(text: string | undefined): number {
  const v = parseOvsInt(text);
  if (v === 0) return MAC_DEFAULT_AGING_S;
  return v < 0 ? 3600 : Math.min(3600, Math.max(15, v));
}

/**
 * OVS `bridge_configure_mac_table()` + `mac_learning_set_max_entries()`: the per-bridge entry
 * limit for an `other_config:mac-table-size` value (absent, non-numeric or 0 → 8192; clamped to
 * 10…1 000 000).
 */
export function macTableSize(text: string | undefined): number {
  const v = parseOvsInt(text);
  if (v === 0) return MAC_DEFAULT_MAX;
  return v < 0 ? 1_000_000 : Math.min(1_000_000, Math.max(10, v));
}

/** `smap_get_int()`: a decimal integer, or 0 when absent or not a number. */
function parseOvsInt(text: string | undefined): number {
  if (text === undefined || !/^\s*[-+]?\d+/.test(text)) return 0;
  return parseInt(text, 10);
}
/** Slots in a shared table: room for several bridges at the default size with low load. */
export const MAC_TABLE_SLOTS = 65536;

/** Bridges whose statistics the table can keep apart (see the layout above). */
export const MAC_STATS_ROWS = 256;

const HDR = 4;
const SLOT = 5;
/** Statistics row: [owner bridge id, learned, expired, evicted, moved, entries in the table]. */
const STAT = 6;
const LEARNED = 1;
const EXPIRED = 2;
const EVICTED = 3;
const MOVED = 4;
const ENTRIES = 5;
const EMPTY = 0;
const USED = 1;
const DELETED = 2;

/** One learned (or refreshed) entry, as translation reports it. */
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

/** True for group (multicast/broadcast) addresses: the I/G bit of the first octet. */
export function macIsMulticast(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

function macWords(mac: string): [number, number] {
  const h = mac.replace(/:/g, '');
  return [parseInt(h.slice(0, 4), 16), parseInt(h.slice(4, 12), 16) | 0];
}

function macText(b: number, c: number): string {
  const h = b.toString(16).padStart(4, '0') + (c >>> 0).toString(16).padStart(8, '0');
  return h.match(/../g)!.join(':');
}

/** Totals of MAC learning events, as `fdb/stats-show` reports them. */
export interface MacLearningStats {
  /** entries created by learning (a re-learned aged entry counts again) */
  learned: number;
  /** entries that aged out */
  expired: number;
  /** live entries replaced for lack of room */
  evicted: number;
  /** entries whose port changed */
  moved: number;
}

/** The shared store of every bridge's MAC entries. */
export class MacTable {
  readonly buffer: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly used: Float64Array;
  private readonly stats: Float64Array;
  private readonly capacity: number;

  /**
   * @param buffer an existing table's buffer (a worker attaching to the main thread's table), or
   *   undefined to allocate a new one
   * @param slots number of slots when allocating (power of two)
   */
  constructor(buffer?: SharedArrayBuffer, slots = MAC_TABLE_SLOTS) {
    if (!buffer) {
      const words = HDR + slots * SLOT;
      const usedOff = Math.ceil((words * 4) / 8) * 8;
      buffer = new SharedArrayBuffer(usedOff + slots * 8 + (1 + MAC_STATS_ROWS) * STAT * 8);
      new Int32Array(buffer, 0, HDR)[2] = slots;
    }
    this.buffer = buffer;
    const i32head = new Int32Array(buffer, 0, HDR);
    this.capacity = i32head[2];
    const words = HDR + this.capacity * SLOT;
    const usedOff = Math.ceil((words * 4) / 8) * 8;
    this.i32 = new Int32Array(buffer, 0, words);
    this.used = new Float64Array(buffer, usedOff, this.capacity);
    this.stats = new Float64Array(buffer, usedOff + this.capacity * 8, (1 + MAC_STATS_ROWS) * STAT);
  }

  /** Offset of `bridgeId`'s statistics row, claiming (and zeroing) it if another bridge owns it. Caller holds the lock. */
  private statRow(bridgeId: number): number {
    const o = (1 + (bridgeId % MAC_STATS_ROWS)) * STAT;
    if (this.stats[o] !== bridgeId) {
      this.stats.fill(0, o, o + STAT);
      this.stats[o] = bridgeId;
    }
    return o;
  }

  /** Counts one event of kind `field` for `bridgeId` and in the totals. Caller holds the lock. */
  private count(bridgeId: number, field: number): void {
    this.stats[field]++;
    this.stats[this.statRow(bridgeId) + field]++;
  }

  /** Adds `delta` to the number of entries `bridgeId` holds. Caller holds the lock. */
  private countEntries(bridgeId: number, delta: number): void {
    this.stats[ENTRIES] += delta;
    this.stats[this.statRow(bridgeId) + ENTRIES] += delta;
  }

  /** Frees used slot `i`, which belongs to `bridgeId`. Caller holds the lock. */
  private free(i: number, bridgeId: number): void {
    this.i32[HDR + i * SLOT] = DELETED;
    this.countEntries(bridgeId, -1);
  }

  /**
   * OVS `evict_mac_entry_fairly()`: frees the least recently used entry of the port of
   * `bridgeId` that holds the most entries. Caller holds the lock.
   */
  private evictFairly(bridgeId: number): void {
    const i32 = this.i32;
    const perPort = new Map<number, { n: number; lru: number }>();
    for (let i = 0; i < this.capacity; i++) {
      const o = HDR + i * SLOT;
      if (i32[o] !== USED || Math.floor(i32[o + 1] / 4096) !== bridgeId) continue;
      const p = perPort.get(i32[o + 4]);
      if (!p) perPort.set(i32[o + 4], { n: 1, lru: i });
      else {
        p.n++;
        if (this.used[i] < this.used[p.lru]) p.lru = i;
      }
    }
    let best: { n: number; lru: number } | undefined;
    for (const p of perPort.values()) if (!best || p.n > best.n) best = p;
    if (!best) return;
    this.free(best.lru, bridgeId);
    this.count(bridgeId, EVICTED);
  }

  /** Bumped on every change that can alter forwarding (new entry, move, flush). */
  get generation(): number {
    return Atomics.load(this.i32, 1);
  }

  private lock(): void {
    while (Atomics.compareExchange(this.i32, 0, 0, 1) !== 0) {
      // Critical sections are a handful of probes; spinning is cheaper than sleeping.
    }
  }

  private unlock(): void {
    Atomics.store(this.i32, 0, 0);
  }

  private bump(): void {
    Atomics.add(this.i32, 1, 1);
  }

  private hash(a: number, b: number, c: number): number {
    let h = 0x811c9dc5;
    for (const w of [a, b, c]) {
      h = Math.imul(h ^ (w & 0xffff), 0x01000193);
      h = Math.imul(h ^ (w >>> 16), 0x01000193);
    }
    return (h >>> 0) & (this.capacity - 1);
  }

  /** Slot index holding the key, or -1. Caller holds the lock. */
  private find(a: number, b: number, c: number): number {
    const i32 = this.i32;
    for (let n = 0, i = this.hash(a, b, c); n < this.capacity; n++, i = (i + 1) & (this.capacity - 1)) {
      const o = HDR + i * SLOT;
      const st = i32[o];
      if (st === EMPTY) return -1;
      if (st === USED && i32[o + 1] === a && i32[o + 2] === b && i32[o + 3] === c) return i;
    }
    return -1;
  }

  /**
   * Records `mac` on (`bridgeId`, `vlan`) as seen on `ofport` at `nowMs`.
   * @param agingMs an existing entry older than this counts as absent
   * @param maxEntries the most entries `bridgeId` may hold: a new entry beyond it evicts one
   *   (see the module comment)
   * @returns true for a new entry or a move (forwarding changed), false for a refresh
   */
  learn(bridgeId: number, vlan: number, mac: string, ofport: number, nowMs: number, agingMs: number,
    maxEntries = MAC_DEFAULT_MAX): boolean {
    const a = bridgeId * 4096 + vlan;
    const [b, c] = macWords(mac);
    const i32 = this.i32;
    this.lock();
    try {
      const i = this.find(a, b, c);
      if (i >= 0) {
        const o = HDR + i * SLOT;
        const fresh = nowMs - this.used[i] <= agingMs;
        if (nowMs > this.used[i]) this.used[i] = nowMs;
        if (i32[o + 4] === ofport && fresh) return false;
        if (!fresh) {
          this.count(bridgeId, EXPIRED);
          this.count(bridgeId, LEARNED);
        } else {
          this.count(bridgeId, MOVED);
        }
        i32[o + 4] = ofport;
        this.used[i] = nowMs;
        this.bump();
        return true;
      }
      if (this.stats[this.statRow(bridgeId) + ENTRIES] >= maxEntries) this.evictFairly(bridgeId);
      // Insert at the first empty, deleted or expired slot of the probe sequence; when none is
      // free within the table, evict the least recently used slot seen.
      let victim = -1;
      let oldest = Infinity;
      for (let n = 0, j = this.hash(a, b, c); n < this.capacity; n++, j = (j + 1) & (this.capacity - 1)) {
        const o = HDR + j * SLOT;
        const st = i32[o];
        if (st !== USED || nowMs - this.used[j] > agingMs) {
          victim = j;
          break;
        }
        if (this.used[j] < oldest) {
          oldest = this.used[j];
          victim = j;
        }
        if (n >= 64) break;
      }
      const o = HDR + victim * SLOT;
      if (i32[o] === USED) {
        const owner = Math.floor(i32[o + 1] / 4096);
        this.count(owner, nowMs - this.used[victim] > agingMs ? EXPIRED : EVICTED);
        this.countEntries(owner, -1);
      }
      this.count(bridgeId, LEARNED);
      this.countEntries(bridgeId, 1);
      i32[o + 1] = a;
      i32[o + 2] = b;
      i32[o + 3] = c;
      i32[o + 4] = ofport;
      this.used[victim] = nowMs;
      i32[o] = USED;
      this.bump();
      return true;
    } finally {
      this.unlock();
    }
  }

  /** The ofport `mac` was learned on in (`bridgeId`, `vlan`), unless absent or older than `agingMs`. */
  lookup(bridgeId: number, vlan: number, mac: string, nowMs: number, agingMs: number): number | undefined {
    const [b, c] = macWords(mac);
    this.lock();
    try {
      const i = this.find(bridgeId * 4096 + vlan, b, c);
      if (i < 0 || nowMs - this.used[i] > agingMs) return undefined;
      return this.i32[HDR + i * SLOT + 4];
    } finally {
      this.unlock();
    }
  }

  /** Deletes every entry of `bridgeId` for which `pred(ofport)` holds. */
  flushWhere(bridgeId: number, pred: (ofport: number) => boolean): void {
    const i32 = this.i32;
    this.lock();
    try {
      let changed = false;
      for (let i = 0; i < this.capacity; i++) {
        const o = HDR + i * SLOT;
        if (i32[o] === USED && Math.floor(i32[o + 1] / 4096) === bridgeId && pred(i32[o + 4])) {
          this.free(i, bridgeId);
          changed = true;
        }
      }
      if (changed) this.bump();
    } finally {
      this.unlock();
    }
  }

  /**
   * Deletes the entries that aged out at `nowMs`, counting each as expired for its bridge (OVS's
   * `mac_learning_run()`). Forwarding does not change (aged entries already read as absent), so
   * the generation is not bumped.
   * @param agingMsOf the aging time of a bridge id, ms; entries of bridges it does not know
   *   (undefined) are left alone
   * @returns how many entries expired
   */
  expire(nowMs: number, agingMsOf: (bridgeId: number) => number | undefined): number {
    const i32 = this.i32;
    let n = 0;
    this.lock();
    try {
      for (let i = 0; i < this.capacity; i++) {
        const o = HDR + i * SLOT;
        if (i32[o] !== USED) continue;
        const bridgeId = Math.floor(i32[o + 1] / 4096);
        const agingMs = agingMsOf(bridgeId);
        if (agingMs !== undefined && nowMs - this.used[i] > agingMs) {
          this.free(i, bridgeId);
          this.count(bridgeId, EXPIRED);
          n++;
        }
      }
    } finally {
      this.unlock();
    }
    return n;
  }

  /** Learning totals of `bridgeId`, or of every bridge together when `bridgeId` is undefined. */
  statistics(bridgeId?: number): MacLearningStats {
    this.lock();
    try {
      const o = bridgeId === undefined ? 0 : this.statRow(bridgeId);
      return { learned: this.stats[o + LEARNED], expired: this.stats[o + EXPIRED], evicted: this.stats[o + EVICTED], moved: this.stats[o + MOVED] };
    } finally {
      this.unlock();
    }
  }

  /** Zeroes the learning totals of `bridgeId` (`fdb/stats-clear`); the all-bridge totals keep counting. */
  clearStatistics(bridgeId: number): void {
    this.lock();
    try {
      const o = this.statRow(bridgeId);
      this.stats.fill(0, o + 1, o + ENTRIES);
    } finally {
      this.unlock();
    }
  }

  /**
   * Live entries of `bridgeId` at `nowMs`, least recently used first (the order of OVS's
   * `fdb/show`), with the CLOCK_MONOTONIC ms of their last use.
   */
  lru(bridgeId: number, nowMs: number, agingMs: number): Array<{ vlan: number; mac: string; ofport: number; usedMs: number }> {
    return this.live(bridgeId, nowMs, agingMs).sort((x, y) => x.usedMs - y.usedMs);
  }

  /** Live entries of `bridgeId` at `nowMs`. */
  entries(bridgeId: number, nowMs: number, agingMs: number): Array<{ vlan: number; mac: string; ofport: number; ageS: number }> {
    return this.live(bridgeId, nowMs, agingMs).map(({ usedMs, ...e }) => ({ ...e, ageS: Math.floor((nowMs - usedMs) / 1000) }));
  }

  /**
   * Entries of `bridgeId` used within `agingMs` of `nowMs`, in slot order, with the
   * CLOCK_MONOTONIC ms of their last use; read under the table's lock.
   */
  private live(bridgeId: number, nowMs: number, agingMs: number): Array<{ vlan: number; mac: string; ofport: number; usedMs: number }> {
    const out = [];
    const i32 = this.i32;
    this.lock();
    try {
      for (let i = 0; i < this.capacity; i++) {
        const o = HDR + i * SLOT;
        if (i32[o] !== USED || Math.floor(i32[o + 1] / 4096) !== bridgeId || nowMs - this.used[i] > agingMs) continue;
        out.push({ vlan: i32[o + 1] % 4096, mac: macText(i32[o + 2], i32[o + 3]), ofport: i32[o + 4], usedMs: this.used[i] });
      }
    } finally {
      this.unlock();
    }
    return out;
  }
}

/**
 * One bridge's view of the shared table, with that bridge's settings: aging time, entry limit
 * and the VLANs it floods without learning (OVS `struct mac_learning`).
 */
export class MacLearning {
  /** `other_config:mac-table-size`: the most entries the bridge holds */
  maxEntries = MAC_DEFAULT_MAX;
  /** `Bridge.flood_vlans`: VLANs never learned nor looked up (every packet floods) */
  floodVlans: ReadonlySet<number> = new Set();

  /**
   * @param table the shared store
   * @param bridgeId the bridge's small integer id (`BridgeConfig.id`)
   * @param agingMs `mac-aging-time` in ms
   */
  constructor(
    readonly table: MacTable,
    readonly bridgeId: number,
    public agingMs = MAC_DEFAULT_AGING_S * 1000,
  ) {}

  /** OVS `mac_learning_may_learn()`: a unicast source on a VLAN not in flood_vlans. */
  mayLearn(mac: string, vlan: number): boolean {
    return !this.floodVlans.has(vlan) && !macIsMulticast(mac);
  }

  /** Number of live entries at `nowMs`. */
  size(nowMs: number): number {
    return this.table.entries(this.bridgeId, nowMs, this.agingMs).length;
  }

  /**
   * Learns `mac` on `ofport` in `vlan`, unless {@link mayLearn} says no (then nothing changes).
   * @returns true when forwarding changed (new entry or move); see {@link MacTable.learn}
   */
  learn(vlan: number, mac: string, ofport: number, nowMs: number): boolean {
    if (!this.mayLearn(mac, vlan)) return false;
    return this.table.learn(this.bridgeId, vlan, mac, ofport, nowMs, this.agingMs, this.maxEntries);
  }

  /**
   * OVS `mac_learning_lookup()`: the learned ofport of `mac` in `vlan`.
   * @returns undefined when unknown, aged out, multicast, or `vlan` is a flood VLAN
   */
  lookup(vlan: number, mac: string, nowMs: number): number | undefined {
    if (macIsMulticast(mac) || this.floodVlans.has(vlan)) return undefined;
    return this.table.lookup(this.bridgeId, vlan, mac, nowMs, this.agingMs);
  }

  /** Forgets every entry on `ofport` (the port left the bridge). */
  flushPort(ofport: number): void {
    this.table.flushWhere(this.bridgeId, (p) => p === ofport);
  }

  /** Forgets every entry of the bridge (`fdb/flush`, or the bridge went away). */
  flush(): void {
    this.table.flushWhere(this.bridgeId, () => true);
  }

  /** Live entries, for `fdb/show`-style listings. */
  dump(nowMs: number): Array<{ vlan: number; mac: string; ofport: number; ageS: number }> {
    return this.table.entries(this.bridgeId, nowMs, this.agingMs);
  }
}
