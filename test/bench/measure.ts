/**
 * Measurement and printing helpers of the benchmarks (`npm run bench`): a rate meter that runs
 * an operation in timed rounds and reports the median, and a plain-text table printer.
 * Benchmarks measure and print; they never pass or fail on a number (DESIGN: "Performance is
 * measured, not asserted").
 */

/** The result of {@link measureRate}. */
export interface Rate {
  /** Median operations per second over the rounds. */
  opsPerSec: number;
  /** Median duration of one operation, nanoseconds. */
  nsPerOp: number;
  /** Operations run per round (after calibration). */
  opsPerRound: number;
  /** Rounds measured (after the warm-up round). */
  rounds: number;
}

/** Options of {@link measureRate}. */
export interface RateOptions {
  /** Target duration of one round, ms. Default 200 (`TSV_BENCH_ROUND_MS` overrides). */
  roundMs?: number;
  /** Measured rounds; the median is reported. Default 5 (`TSV_BENCH_ROUNDS` overrides). */
  rounds?: number;
}

/** Keeps results alive so the JIT cannot drop the measured work. */
let sink: unknown;

/** The last value a measured operation returned (read it to keep it observable). */
export function lastResult(): unknown {
  return sink;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Runs `op` repeatedly and returns its rate. One calibration/warm-up round sizes the batch so a
 * round lasts about `roundMs`; then `rounds` rounds are timed with `process.hrtime.bigint()`.
 * @param op the operation; its return value is kept in a sink
 */
export function measureRate(op: () => unknown, opts: RateOptions = {}): Rate {
  const roundMs = opts.roundMs ?? Number(process.env.TSV_BENCH_ROUND_MS ?? 200);
  const rounds = opts.rounds ?? Number(process.env.TSV_BENCH_ROUNDS ?? 5);
  let n = 1;
  // Calibrate (and warm up the JIT): double the batch until a batch takes 1/8 of a round.
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = op();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= roundMs / 8) {
      n = Math.max(1, Math.round((n * roundMs) / Math.max(ms, 1e-3)));
      break;
    }
    n *= 2;
  }
  const nsPerOp: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = op();
    nsPerOp.push(Number(process.hrtime.bigint() - t0) / n);
  }
  const ns = median(nsPerOp);
  return { opsPerSec: 1e9 / ns, nsPerOp: ns, opsPerRound: n, rounds };
}

/** Times one call of `fn`, in milliseconds (wall clock, `process.hrtime.bigint()`). */
export async function timeMs<T>(fn: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** `1234567.8` → `1 234 568` (thin grouping that survives any locale). */
export function grouped(x: number, digits = 0): string {
  const [int, frac] = x.toFixed(digits).split('.');
  const g = int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return frac ? `${g}.${frac}` : g;
}

/**
 * Prints a table: a title line, a header row, a rule and the rows, columns padded to the widest
 * cell (the first column left-aligned, the others right-aligned).
 */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
