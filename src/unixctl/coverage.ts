/**
 * Coverage counters: cheap event counts that `ovs-appctl coverage/show` reports with their
 * average rates over the last 5 seconds, minute and hour (OVS's `lib/coverage.c`).
 *
 * Counters that worker threads bump live in a `SharedArrayBuffer` ({@link SharedCoverage}):
 * every thread attaches to the same buffer and adds with `Atomics`, so a bump is one atomic
 * add and no message. The set of shared counters is fixed ({@link SHARED_COVERAGE_COUNTERS}), so
 * every thread agrees on their slots. The main thread may add read-only counters computed from
 * elsewhere (e.g. the MAC table's totals) with {@link Coverage.register}.
 *
 * Names and meanings are OVS's, and only counters whose events ts-vswitchd really has are kept:
 * - `unixctl_received`, `unixctl_replied`: control requests received and answered;
 * - `xlate_actions`: OpenFlow translations, by handlers (upcalls) and the revalidator;
 * - `dpif_flow_put`, `dpif_execute`: megaflow installs and packet executes sent by handlers;
 * - `dpif_flow_del`: megaflow deletes sent by the revalidator;
 * - `mac_learning_learned`, `_expired`, `_evicted`, `_moved`: the MAC table's totals, registered
 *   by the daemon from `MacTable.statistics()`.
 */
import { hashInt, hashString } from '../util/ovs-hash';

/** The counters shared between threads, in display order. */
export const SHARED_COVERAGE_COUNTERS = [
  'unixctl_received',
  'unixctl_replied',
  'xlate_actions',
  'dpif_flow_put',
  'dpif_execute',
  'dpif_flow_del',
] as const;

/** The name of a shared counter. */
export type SharedCoverageCounter = (typeof SHARED_COVERAGE_COUNTERS)[number];

const SLOT = new Map<string, number>(SHARED_COVERAGE_COUNTERS.map((n, i) => [n, i]));

/**
 * The shared counters: one 64-bit slot per name of {@link SHARED_COVERAGE_COUNTERS}. Create it
 * once on the main thread and hand `buffer` to workers, which attach with `new SharedCoverage(buffer)`.
 */
export class SharedCoverage {
  readonly buffer: SharedArrayBuffer;
  private readonly slots: BigUint64Array;

  /** @param buffer an existing set of counters to attach to; omitted: allocate a new, zeroed set */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(SHARED_COVERAGE_COUNTERS.length * 8);
    this.slots = new BigUint64Array(this.buffer, 0, SHARED_COVERAGE_COUNTERS.length);
  }

  /** Adds `n` (a non-negative integer) to counter `name`; safe from any thread. */
  add(name: SharedCoverageCounter, n = 1): void {
    Atomics.add(this.slots, SLOT.get(name)!, BigInt(n));
  }

  /** The total of counter `name`. */
  read(name: SharedCoverageCounter): number {
    return Number(Atomics.load(this.slots, SLOT.get(name)!));
  }
}

/** OVS's `COVERAGE_RUN_INTERVAL`: rates are sampled every 5 s. */
export const COVERAGE_RUN_INTERVAL_MS = 5000;
/** 5-second samples in a minute (`MIN_AVG_LEN`). */
const MIN_AVG_LEN = 60000 / COVERAGE_RUN_INTERVAL_MS;
/** Minutes in an hour (`HR_AVG_LEN`). */
const HR_AVG_LEN = 60;

/** One counter as the report sees it. */
interface Counter {
  name: string;
  read: () => number;
  lastTotal: number;
  /** Events per 5-second slot over the last minute. */
  min: number[];
  /** Events per minute over the last hour. */
  hr: number[];
}

/** OVS's `hash_int(x, basis)` (see util/ovs-hash). */
export const ovsHashInt = hashInt;

/** OVS's `hash_string(s, basis)` (see util/ovs-hash). */
export const ovsHashString = hashString;

/**
 * OVS's `coverage_hash()`: sorts counters by total (descending, then by name), and hashes each
 * group of equal non-zero totals as its starting rank followed by its names, then the number of
 * groups. The same set of events (whatever their exact counts) gives the same hash.
 * @param counters name and total of every counter, in any order
 */
export function coverageHash(counters: ReadonlyArray<{ name: string; total: number }>): number {
  const c = [...counters].sort((a, b) => (a.total !== b.total ? b.total - a.total : Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))));
  let hash = 0;
  let groups = 0;
  for (let i = 0; i < c.length && c[i].total !== 0;) {
    groups++;
    hash = ovsHashInt(i, hash);
    let j = i;
    for (; j < c.length && c[j].total === c[i].total; j++) hash = ovsHashString(c[j].name, hash);
    i = j;
  }
  return ovsHashInt(groups, hash);
}

/** Formats like C's `%W.Pf`. */
function fixed(x: number, width: number, precision: number): string {
  return x.toFixed(precision).padStart(width);
}

/**
 * The main thread's coverage report: the shared counters plus any registered read-only ones,
 * their rate history, and the text of `coverage/show` and `coverage/read-counter`.
 */
export class Coverage {
  readonly shared: SharedCoverage;
  private readonly counters: Counter[] = [];
  /** Index of the next 5-second slot (`idx_count`). */
  private idx = 0;
  private nextRunMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** @param shared the counters workers bump (default: a new set) */
  constructor(shared: SharedCoverage = new SharedCoverage()) {
    this.shared = shared;
    for (const name of SHARED_COVERAGE_COUNTERS) this.register(name, () => shared.read(name));
  }

  /**
   * Adds a counter whose total is read from elsewhere, shown after those registered before.
   * @param read returns the current total (non-decreasing)
   * @throws Error when `name` is already registered
   */
  register(name: string, read: () => number): void {
    if (this.counters.some((c) => c.name === name)) throw new Error(`coverage counter ${name} registered twice`);
    this.counters.push({ name, read, lastTotal: read(), min: new Array<number>(MIN_AVG_LEN).fill(0), hr: new Array<number>(HR_AVG_LEN).fill(0) });
  }

  /** Adds `n` to shared counter `name`. */
  add(name: SharedCoverageCounter, n = 1): void {
    this.shared.add(name, n);
  }

  /**
   * Samples the counters if a 5-second interval has passed (OVS's `coverage_run()`): the events
   * since the last sample are spread evenly over the intervals that elapsed.
   * @param nowMs a monotonic clock in ms
   */
  run(nowMs: number): void {
    if (this.nextRunMs === undefined) this.nextRunMs = nowMs + COVERAGE_RUN_INTERVAL_MS;
    if (nowMs < this.nextRunMs) return;
    const slots = Math.floor((nowMs - this.nextRunMs) / COVERAGE_RUN_INTERVAL_MS) + 1;
    for (const c of this.counters) {
      const total = c.read();
      const count = total - c.lastTotal;
      c.lastTotal = total;
      const portion = Math.floor(count / slots);
      let idx = this.idx;
      for (let j = 0; j < slots; j++) {
        const m = idx % MIN_AVG_LEN;
        const h = Math.floor(idx / MIN_AVG_LEN);
        c.min[m] = portion + (j === slots - 1 ? count % slots : 0);
        c.hr[h] = m === 0 ? c.min[m] : c.hr[h] + c.min[m];
        idx = (idx + 1) % (MIN_AVG_LEN * HR_AVG_LEN);
      }
    }
    this.idx = (this.idx + slots) % (MIN_AVG_LEN * HR_AVG_LEN);
    this.nextRunMs = nowMs + COVERAGE_RUN_INTERVAL_MS;
  }

  /**
   * Samples every second (as OVS's main loop calls `coverage_run()` often) until {@link stop};
   * the timer does not keep the process alive.
   * @param clock monotonic ms
   */
  start(clock: () => number): void {
    if (this.timer) return;
    this.run(clock());
    this.timer = setInterval(() => this.run(clock()), 1000);
    this.timer.unref();
  }

  /** Stops the sampling timer. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * The text of `coverage/show`, e.g.
   * ```
   * Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash=1b3c5a7e:
   * xlate_actions              0.4/sec     0.033/sec        0.0006/sec   total: 2
   * 4 events never hit
   * ```
   * Counters appear in registration order; those never hit are only counted.
   */
  show(): string {
    const totals = this.counters.map((c) => ({ name: c.name, total: c.read() }));
    const lines = [`Event coverage, avg rate over last: ${COVERAGE_RUN_INTERVAL_MS / 1000} seconds, last minute, last hour,  hash=${coverageHash(totals).toString(16).padStart(8, '0')}:`];
    let neverHit = 0;
    this.counters.forEach((c, i) => {
      const total = totals[i].total;
      if (total === 0) {
        neverHit++;
        return;
      }
      // OVS indexes with an unsigned int, so before the first sample it reads slot UINT_MAX % 12.
      const last = c.min[((this.idx - 1) >>> 0) % MIN_AVG_LEN];
      const minute = c.min.reduce((a, b) => a + b, 0);
      const hour = c.hr.reduce((a, b) => a + b, 0);
      lines.push(`${c.name.padEnd(24)} ${fixed((last * 1000) / COVERAGE_RUN_INTERVAL_MS, 5, 1)}/sec ${fixed(minute / 60, 9, 3)}/sec `
        + `${fixed(hour / 3600, 13, 4)}/sec   total: ${total}`);
    });
    lines.push(`${neverHit} events never hit`);
    return `${lines.join('\n')}\n`;
  }

  /** The total of counter `name` (`coverage/read-counter`), or undefined when there is none. */
  readCounter(name: string): number | undefined {
    return this.counters.find((c) => c.name === name)?.read();
  }
}
