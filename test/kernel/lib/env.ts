/**
 * Helpers for kernel tests: shell commands with timeouts, private OVSDB servers, the reference
 * (Debian) and our vswitchd, network namespaces joined by veth pairs, datapath cleanup, polling.
 *
 * Kernel tests run as root where `openvswitch.ko` is loaded: natively or inside the QEMU guest
 * of `test/harness/vm.sh`, both started by `test/harness/kernel.sh`, which sets
 * `KERNEL_HARNESS` (`native` | `vm`) and `OVSVM_OUT` (a directory kept after the run). Every
 * daemon a test starts gets its own temporary OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR, so tests never
 * touch a system Open vSwitch's files. Importing this module has no side effects beyond
 * registering an exit hook that kills the daemons it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Absolute path of the repository root (the directory holding package.json). */
export const REPO_ROOT: string = findRepoRoot(__dirname);

/** Which harness runs us: `native`, `vm`, or undefined when started by hand. */
export const KERNEL_HARNESS: string | undefined = process.env.KERNEL_HARNESS;

/**
 * Factor applied to this module's default timeouts: 4 in the emulated (TCG) guest, where
 * everything runs several times slower than natively, else 1. `TSV_TIME_SCALE` overrides.
 */
export const TIME_SCALE: number = Number(process.env.TSV_TIME_SCALE ?? (KERNEL_HARNESS === 'vm' ? 4 : 1));

/** Scales a duration in milliseconds by {@link TIME_SCALE}. */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_SCALE);
}

/**
 * Pings `addr` from `pair`'s namespace `count` times, one `ping -c 1` after another
 * `intervalS` seconds apart, each waiting up to a scaled 5 s for its own reply. Why not one
 * `ping -c N`: after its last request iputils lingers only twice the largest RTT seen so far, so
 * when the last request (sent after its megaflow was installed) came back in a few ms while the
 * first ones still waited in a cold handler of the emulated guest, ping gave up on them and
 * reported loss although nothing was dropped; and with `-w` it keeps sending until N replies
 * came, counting the extra requests still in flight as lost. A reply that never comes is lost.
 * @returns code 0 when every request was answered (else 1); stdout holds the reply lines
 *          and ends with the line `<count> packets transmitted, <n> received, <p>% packet loss`
 */
export async function pingEach(pair: NetnsPair, addr: string, count: number, intervalS = 0.2): Promise<ShResult> {
  const waitS = String(Math.ceil(scaled(5000) / 1000));
  let stdout = '';
  let stderr = '';
  let received = 0;
  for (let i = 0; i < count; i++) {
    if (i) await sleep(intervalS * 1000);
    const r = await pair.exec(['ping', '-c', '1', '-W', waitS, addr]);
    // Only the reply lines: each ping's own statistics would read as the whole run's.
    stdout += r.stdout.split('\n').filter((l) => / bytes from /.test(l)).map((l) => `${l}\n`).join('');
    stderr += r.stderr;
    if (r.code === 0) received++;
  }
  const loss = Math.round((100 * (count - received)) / count);
  stdout += `${count} packets transmitted, ${received} received, ${loss}% packet loss\n`;
  return { stdout, stderr, code: received === count ? 0 : 1, timedOut: false };
}

/** Path of Debian's OVSDB schema for the Open_vSwitch database. */
export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/**
 * Fails fast, with the way out, when kernel tests are started where they cannot work (not root,
 * or openvswitch.ko not loaded). Kernel tests never skip: run them through test/harness/kernel.sh.
 * @throws Error naming what is missing
 */
export function requireKernel(): void {
  if (process.getuid?.() !== 0) throw new Error('kernel tests need root; run them with test/harness/kernel.sh');
  if (!fs.existsSync('/sys/module/openvswitch')) throw new Error('openvswitch.ko is not loaded; run test/harness/kernel.sh');
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Children started by this module that are still running; killed when the test process exits. */
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of liveChildren) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Options for {@link sh}. */
export interface ShOptions {
  /** Kill the command's whole process group after this many ms. Default `scaled(60_000)`. */
  timeoutMs?: number;
  /** Variables added to (overriding) `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Working directory. Default: the test process's. */
  cwd?: string;
  /** Bytes for the command's stdin; without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Throw {@link ShError} when the command does not exit with status 0. Default false. */
  check?: boolean;
}

/** What a command did. */
export interface ShResult {
  /** Everything the command wrote to stdout (UTF-8). */
  stdout: string;
  /** Everything the command wrote to stderr (UTF-8). */
  stderr: string;
  /** Exit status; 128+N when killed by signal N, 124 on timeout, 127 when it could not start. */
  code: number;
  /** True when {@link ShOptions.timeoutMs} expired and the command was killed. */
  timedOut: boolean;
}

/** A command failed while {@link ShOptions.check} was set. */
export class ShError extends Error {
  constructor(
    /** The command as given to {@link sh}. */
    readonly cmd: string | readonly string[],
    /** Its result. */
    readonly result: ShResult,
  ) {
    const shown = typeof cmd === 'string' ? cmd : cmd.join(' ');
    super(
      `command ${result.timedOut ? 'timed out' : `exited ${result.code}`}: ${shown}` +
        (result.stderr.trim() ? `\nstderr: ${result.stderr.trim()}` : '') +
        (result.stdout.trim() ? `\nstdout: ${result.stdout.trim().slice(0, 2000)}` : ''),
    );
    this.name = 'ShError';
  }
}

/**
 * Runs a command and collects its output.
 * @param cmd a string is run by `bash -c` (pipes, redirections, `set -e` all work); an array
 *   is executed directly (argv[0] looked up in PATH), with no shell quoting concerns
 * @param opts see {@link ShOptions}
 * @returns stdout, stderr and exit status; resolves (does not reject) on failure unless
 *   `opts.check` is set. The command runs in its own process group, which the timeout kills
 *   entirely; background processes it leaves behind must not keep its stdout/stderr open.
 * @throws ShError when `opts.check` is set and the status is not 0
 */
export function sh(cmd: string | readonly string[], opts: ShOptions = {}): Promise<ShResult> {
  const [file, args] = typeof cmd === 'string' ? ['bash', ['-c', cmd]] : [cmd[0], cmd.slice(1)];
  const timeoutMs = opts.timeoutMs ?? scaled(60_000);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: Error | undefined;
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: ShResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (spawnError ? `${spawnError.message}\n` : ''),
        code: timedOut ? 124 : spawnError ? 127 : code ?? 128 + (signal ? os.constants.signals[signal] : 0),
        timedOut,
      };
      if (opts.check && result.code !== 0) reject(new ShError(cmd, result));
      else resolve(result);
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/** Like {@link sh} with `check: true`, resolving to stdout. */
export async function run(cmd: string | readonly string[], opts: Omit<ShOptions, 'check'> = {}): Promise<string> {
  return (await sh(cmd, { ...opts, check: true })).stdout;
}

/**
 * Polls until `predicate` returns a truthy value.
 * @param predicate called every `intervalMs`; a thrown error counts as "not yet" (the last one
 *   is reported on timeout)
 * @param timeoutMs give up after this many ms (not scaled; wrap in {@link scaled} if needed)
 * @param opts.intervalMs delay between calls, default 100 ms; `opts.what` names the condition
 *   in the timeout error
 * @returns the first truthy value
 * @throws Error when the time is up
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = scaled(10_000),
  opts: { intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? predicate.toString()}${why}`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Creates a fresh directory under the OS temporary directory (tmpfs in the guest).
 * @param prefix directory name prefix
 * @returns its absolute path; the caller removes it (see {@link removeDir})
 */
export function makeTempDir(prefix = 'tsv-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Removes a directory tree; missing is fine. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Copies the `.log` files of a daemon directory to `$OVSVM_OUT/logs/<label>/`, so they survive
 * the run (the guest's /tmp does not). Does nothing when OVSVM_OUT is unset.
 * @param dir directory to search recursively for `*.log`
 * @param label subdirectory name, e.g. the test's name
 * @returns the destination directory, or undefined when nothing was copied
 */
export function collectLogs(dir: string, label: string): string | undefined {
  const outRoot = process.env.OVSVM_OUT;
  if (!outRoot || !fs.existsSync(dir)) return undefined;
  const dest = path.join(outRoot, 'logs', label.replace(/[^\w.-]+/g, '_'));
  let copied = false;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.(log|stderr)$/.test(e.name)) {
        fs.mkdirSync(dest, { recursive: true });
        fs.copyFileSync(p, path.join(dest, e.name));
        copied = true;
      }
    }
  };
  walk(dir);
  return copied ? dest : undefined;
}

/** A long-running child with an exit promise and a stop that escalates to SIGKILL. */
interface Daemon {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnDaemon(file: string, args: readonly string[], env: NodeJS.ProcessEnv, stderrFile: string): Daemon {
  const fd = fs.openSync(stderrFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(file, args, { env, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  liveChildren.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (e) => {
      fs.appendFileSync(stderrFile, `spawn ${file}: ${e.message}\n`);
      liveChildren.delete(child);
      resolve({ code: 127, signal: null });
    });
    child.on('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, exited };
}

async function stopDaemon(d: Daemon, timeoutMs: number): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null || !liveChildren.has(d.child)) {
    await d.exited;
    return;
  }
  d.child.kill('SIGTERM');
  const t = setTimeout(() => d.child.kill('SIGKILL'), timeoutMs);
  await d.exited;
  clearTimeout(t);
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Resolves with `p`, or rejects (with the log tails) when the daemon exits first. */
async function unlessExited<T>(d: Daemon, what: string, logs: string[], p: Promise<T>): Promise<T> {
  let settled = false;
  const early = d.exited.then(({ code, signal }): never | undefined => {
    if (settled) return undefined;
    const detail = logs.map((f) => `--- ${f}\n${tail(f)}`).join('\n');
    throw new Error(`${what} exited (code ${code}, signal ${signal}) before it was ready\n${detail}`);
  });
  try {
    return (await Promise.race([p, early])) as T;
  } finally {
    settled = true;
  }
}

// ---------------------------------------------------------------------------------------------
// OVSDB

/** Options for {@link vsctl}. */
export interface VsctlOptions {
  /** `--timeout` in seconds for ovs-vsctl itself. Default `scaled(15_000) / 1000`. */
  timeoutS?: number;
  /** Pass `--no-wait` (do not wait for a vswitchd to apply the change). Default false. */
  noWait?: boolean;
  /** Throw {@link ShError} on a non-zero status. Default true. */
  check?: boolean;
}

/** A private ovsdb-server with a fresh Open_vSwitch database; see {@link startOvsdb}. */
export interface OvsdbHandle {
  /** Root of the daemon's files: `run/`, `db/`, `log/` below it. */
  readonly dir: string;
  /** OVS_RUNDIR: sockets and pidfiles (`db.sock`, `ovsdb-server.pid`, `ovs-vswitchd.pid`, …). */
  readonly rundir: string;
  /** OVS_DBDIR: holds `conf.db`. */
  readonly dbdir: string;
  /** OVS_LOGDIR: `ovsdb-server.log`, `ovs-vswitchd.log`, and each daemon's `.stderr`. */
  readonly logdir: string;
  /** Path of the database file. */
  readonly dbPath: string;
  /** OVSDB remote for clients, `unix:<rundir>/db.sock`. */
  readonly remote: string;
  /** `process.env` plus OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR, OVS_SYSCONFDIR pointing at `dir`. */
  readonly env: NodeJS.ProcessEnv;
  /** Pid of the running ovsdb-server, undefined while stopped. */
  readonly pid: number | undefined;
  /** Runs ovs-vsctl against this database; see {@link vsctl}. */
  vsctl(args: readonly string[], opts?: VsctlOptions): Promise<ShResult>;
  /** Stops ovsdb-server (SIGTERM, then SIGKILL after a while); the files stay. */
  stop(): Promise<void>;
  /** Stops and starts ovsdb-server on the same database file (contents preserved). */
  restart(): Promise<void>;
  /** Stops the server if running and removes `dir` (unless the caller passed `dir`). */
  destroy(): Promise<void>;
}

/**
 * Starts a private ovsdb-server on a fresh Open_vSwitch database, the way `ovs-ctl` does:
 * `ovsdb-tool create` from {@link VSWITCH_SCHEMA}, `--remote=punix:<rundir>/db.sock`,
 * `--remote=db:Open_vSwitch,Open_vSwitch,manager_options`, then `ovs-vsctl --no-wait init`.
 * @param dir directory for the daemon's files (created if missing); default a new temp dir
 * @returns once `ovs-vsctl init` succeeded against the server
 * @throws Error when the server exits or does not answer within `scaled(30_000)` ms
 */
export async function startOvsdb(dir?: string): Promise<OvsdbHandle> {
  const ownDir = dir === undefined;
  const root = dir ?? makeTempDir('tsv-ovs-');
  const rundir = path.join(root, 'run');
  const dbdir = path.join(root, 'db');
  const logdir = path.join(root, 'log');
  const etcdir = path.join(root, 'etc');
  for (const d of [rundir, dbdir, logdir, etcdir]) fs.mkdirSync(d, { recursive: true });
  const dbPath = path.join(dbdir, 'conf.db');
  const sock = path.join(rundir, 'db.sock');
  const remote = `unix:${sock}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OVS_RUNDIR: rundir,
    OVS_DBDIR: dbdir,
    OVS_LOGDIR: logdir,
    OVS_SYSCONFDIR: etcdir,
  };
  if (!fs.existsSync(dbPath)) await run(['ovsdb-tool', 'create', dbPath, VSWITCH_SCHEMA], { env });

  let daemon: Daemon | undefined;
  const start = async (): Promise<void> => {
    const logFile = path.join(logdir, 'ovsdb-server.log');
    const stderrFile = path.join(logdir, 'ovsdb-server.stderr');
    const d = spawnDaemon(
      'ovsdb-server',
      [
        dbPath,
        `--remote=punix:${sock}`,
        '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
        `--pidfile=${path.join(rundir, 'ovsdb-server.pid')}`,
        `--unixctl=${path.join(rundir, 'ovsdb-server.ctl')}`,
        `--log-file=${logFile}`,
        '-vconsole:err',
        '-vsyslog:off',
        '--no-chdir',
      ],
      env,
      stderrFile,
    );
    daemon = d;
    await unlessExited(
      d,
      'ovsdb-server',
      [logFile, stderrFile],
      waitFor(
        async () => (await vsctl(handle, ['init'], { noWait: true, check: false, timeoutS: 5 })).code === 0,
        scaled(30_000),
        { intervalMs: 50, what: `ovsdb-server on ${sock}` },
      ),
    );
  };

  const handle: OvsdbHandle = {
    dir: root,
    rundir,
    dbdir,
    logdir,
    dbPath,
    remote,
    env,
    get pid() {
      return daemon && liveChildren.has(daemon.child) ? daemon.child.pid : undefined;
    },
    vsctl: (args, opts) => vsctl(handle, args, opts),
    async stop() {
      if (daemon) await stopDaemon(daemon, scaled(10_000));
    },
    async restart() {
      await handle.stop();
      await start();
    },
    async destroy() {
      await handle.stop();
      if (ownDir) removeDir(root);
    },
  };
  await start();
  return handle;
}

/**
 * Runs `ovs-vsctl --db=<ovsdb.remote> --timeout=<s> [--no-wait] args…` with the database's
 * environment.
 * @param ovsdb the database to talk to
 * @param args ovs-vsctl arguments, one per element (e.g. `['add-br', 'br0']`,
 *   `['--', 'set', 'Bridge', 'br0', 'fail_mode=secure']`)
 * @returns the result; stdout holds ovs-vsctl's answer
 * @throws ShError on a non-zero status unless `opts.check` is false
 */
export function vsctl(ovsdb: Pick<OvsdbHandle, 'remote' | 'env'>, args: readonly string[], opts: VsctlOptions = {}): Promise<ShResult> {
  const timeoutS = opts.timeoutS ?? Math.round(scaled(15_000) / 1000);
  const argv = ['ovs-vsctl', `--db=${ovsdb.remote}`, `--timeout=${timeoutS}`];
  if (opts.noWait) argv.push('--no-wait');
  return sh([...argv, ...args], { env: ovsdb.env, timeoutMs: (timeoutS + 10) * 1000, check: opts.check ?? true });
}

/**
 * Forces a reconfiguration round trip, as ovs-vsctl does without `--no-wait` (Debian's 3.1
 * has no `sync` command): increments `Open_vSwitch.next_cfg`, then waits until the vswitchd
 * has set `cur_cfg` to at least that value.
 * @param ovsdb the database the vswitchd uses
 * @param timeoutMs how long to wait for `cur_cfg`; default `scaled(15_000)`
 * @returns the `next_cfg` value that was reached
 * @throws ShError when no vswitchd catches up in time
 */
export async function waitReconfigured(ovsdb: Pick<OvsdbHandle, 'remote' | 'env'>, timeoutMs = scaled(15_000)): Promise<number> {
  const timeoutS = Math.max(1, Math.round(timeoutMs / 1000));
  const next = Number((await vsctl(ovsdb, ['get', 'Open_vSwitch', '.', 'next_cfg'], { noWait: true })).stdout.trim()) + 1;
  await vsctl(ovsdb, ['set', 'Open_vSwitch', '.', `next_cfg=${next}`], { noWait: true });
  await vsctl(ovsdb, ['wait-until', 'Open_vSwitch', '.', `cur_cfg>=${next}`], { timeoutS });
  return next;
}

// ---------------------------------------------------------------------------------------------
// vswitchd

/** Options for {@link startReferenceVswitchd} and {@link startOurVswitchd}. */
export interface VswitchdOptions {
  /** Variables added to the daemon's environment (on top of the database's). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the daemon to be ready. Default `scaled(60_000)`. */
  readyTimeoutMs?: number;
}

/** A running vswitchd (Debian's or ours) attached to a private database. */
export interface VswitchdHandle {
  /** The executable that was started. */
  readonly binary: string;
  /** The whole command line after the executable. */
  readonly args: readonly string[];
  /** Process id. */
  readonly pid: number;
  /** `<rundir>/ovs-vswitchd.pid`. */
  readonly pidfile: string;
  /** `<logdir>/ovs-vswitchd.log` (the `--log-file`). */
  readonly logFile: string;
  /** `<logdir>/<name>.stderr`: the daemon's stdout and stderr. */
  readonly stderrFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Runs `ovs-appctl -t ovs-vswitchd --timeout=<s> args…` with the database's OVS_RUNDIR. */
  appctl(args: readonly string[], opts?: Omit<ShOptions, 'env'>): Promise<ShResult>;
  /**
   * Stops the daemon: SIGTERM (the kernel datapath and its ports stay, as with OVS), or with
   * `cleanup: true` `ovs-appctl exit --cleanup` first (the daemon removes its datapath).
   * Escalates to SIGKILL after `timeoutMs` (default `scaled(10_000)`).
   */
  stop(opts?: { cleanup?: boolean; timeoutMs?: number }): Promise<void>;
}

/**
 * Command-line arguments both vswitchds get, as `ovs-ctl` would pass them minus `--detach`,
 * `--monitor` and `--mlockall`: the database remote, logging to `<logdir>/ovs-vswitchd.log`,
 * the pidfile `<rundir>/ovs-vswitchd.pid` (so `ovs-appctl -t ovs-vswitchd` finds either daemon).
 */
export function vswitchdArgs(ovsdb: OvsdbHandle, extraArgs: readonly string[] = []): string[] {
  return [
    ovsdb.remote,
    '-vconsole:err',
    '-vsyslog:off',
    '-vfile:info',
    '--no-chdir',
    `--pidfile=${path.join(ovsdb.rundir, 'ovs-vswitchd.pid')}`,
    `--log-file=${path.join(ovsdb.logdir, 'ovs-vswitchd.log')}`,
    ...extraArgs,
  ];
}

async function startVswitchd(
  binary: string,
  name: string,
  ovsdb: OvsdbHandle,
  extraArgs: readonly string[],
  opts: VswitchdOptions,
): Promise<VswitchdHandle> {
  const args = vswitchdArgs(ovsdb, extraArgs);
  const env = { ...ovsdb.env, ...opts.env };
  const pidfile = path.join(ovsdb.rundir, 'ovs-vswitchd.pid');
  const logFile = path.join(ovsdb.logdir, 'ovs-vswitchd.log');
  const stderrFile = path.join(ovsdb.logdir, `${name}.stderr`);
  fs.rmSync(pidfile, { force: true });
  const d = spawnDaemon(binary, args, env, stderrFile);
  const appctl = (a: readonly string[], o: Omit<ShOptions, 'env'> = {}): Promise<ShResult> => {
    const timeoutS = Math.round((o.timeoutMs ?? scaled(15_000)) / 1000);
    return sh(['ovs-appctl', '-t', 'ovs-vswitchd', `--timeout=${timeoutS}`, ...a], {
      ...o,
      env: ovsdb.env,
      timeoutMs: (timeoutS + 10) * 1000,
    });
  };
  const handle: VswitchdHandle = {
    binary,
    args,
    pid: d.child.pid ?? -1,
    pidfile,
    logFile,
    stderrFile,
    exited: d.exited,
    appctl,
    async stop(o = {}) {
      const timeoutMs = o.timeoutMs ?? scaled(10_000);
      if (o.cleanup && liveChildren.has(d.child)) {
        await appctl(['exit', '--cleanup'], { timeoutMs });
        const t = setTimeout(() => d.child.kill('SIGKILL'), timeoutMs);
        await d.exited;
        clearTimeout(t);
        return;
      }
      await stopDaemon(d, timeoutMs);
    },
  };
  // Ready = the pidfile names our child, and a forced reconfiguration round trip completes.
  const readyMs = opts.readyTimeoutMs ?? scaled(60_000);
  try {
    await unlessExited(
      d,
      name,
      [logFile, stderrFile],
      (async () => {
        await waitFor(() => fs.existsSync(pidfile) && fs.readFileSync(pidfile, 'utf8').trim() === String(d.child.pid), readyMs, {
          what: `${pidfile} with pid ${d.child.pid}`,
        });
        await waitReconfigured(ovsdb, readyMs);
      })(),
    );
  } catch (e) {
    await stopDaemon(d, 1000);
    throw e;
  }
  return handle;
}

/**
 * Starts Debian's `/usr/sbin/ovs-vswitchd` against `ovsdb` with {@link vswitchdArgs}.
 * @param ovsdb the private database (its OVS_RUNDIR/OVS_LOGDIR hold the daemon's files)
 * @param extraArgs appended to the command line
 * @returns once the daemon has written its pidfile and completed a reconfiguration
 *   ({@link waitReconfigured})
 * @throws Error with the log tails when it exits or is not ready in time
 */
export function startReferenceVswitchd(
  ovsdb: OvsdbHandle,
  extraArgs: readonly string[] = [],
  opts: VswitchdOptions = {},
): Promise<VswitchdHandle> {
  return startVswitchd('ovs-vswitchd', 'ovs-vswitchd', ovsdb, extraArgs, opts);
}

/** Path of our daemon's executable. */
export const TS_VSWITCHD = path.join(REPO_ROOT, 'bin', 'ts-vswitchd');

/**
 * Starts our `bin/ts-vswitchd` with exactly the command line {@link startReferenceVswitchd}
 * gives Debian's daemon (a drop-in replacement takes the same arguments).
 * @param ovsdb the private database
 * @param extraArgs appended to the command line
 * @returns once ready, in the same sense as {@link startReferenceVswitchd}; `stop()` sends
 *   SIGTERM
 * @throws Error with the log tails when it exits or is not ready in time
 */
export function startOurVswitchd(
  ovsdb: OvsdbHandle,
  extraArgs: readonly string[] = [],
  opts: VswitchdOptions = {},
): Promise<VswitchdHandle> {
  return startVswitchd(TS_VSWITCHD, 'ts-vswitchd', ovsdb, extraArgs, opts);
}

// ---------------------------------------------------------------------------------------------
// Network namespaces and the datapath

/** Options for {@link netnsPair}. */
export interface NetnsPairOptions {
  /** Name of the veth end that stays in the root namespace. Default: `name`. */
  hostIf?: string;
  /** Name of the veth end inside the namespace. Default: `name + 'p'`. */
  nsIf?: string;
  /** MAC address for the namespace end. Default: the kernel's random one. */
  mac?: string;
  /** MTU for both ends. Default: the kernel's (1500). */
  mtu?: number;
  /**
   * Keep IPv6 enabled on both ends. Default false: IPv6 is disabled so no router solicitations,
   * DAD or MLD packets appear on their own and upset packet or flow counts.
   */
  ipv6?: boolean;
}

/** A network namespace holding one end of a veth pair; see {@link netnsPair}. */
export interface NetnsPair {
  /** Namespace name (for `ip netns exec`, `ip -n`). */
  readonly ns: string;
  /** The veth end in the root namespace (to add to a bridge). */
  readonly hostIf: string;
  /** The veth end inside the namespace. */
  readonly nsIf: string;
  /** Address with prefix length as configured, e.g. `10.0.0.1/24`. */
  readonly ip: string;
  /** Address without prefix length, e.g. `10.0.0.1`. */
  readonly addr: string;
  /** MAC address of {@link nsIf}, lower case. */
  readonly mac: string;
  /** Runs a command inside the namespace (`ip netns exec <ns> …`); see {@link sh}. */
  exec(cmd: string | readonly string[], opts?: ShOptions): Promise<ShResult>;
  /** Deletes the veth pair and the namespace; idempotent. */
  cleanup(): Promise<void>;
}

/**
 * Creates namespace `name` and a veth pair: `ip link add <hostIf> type veth peer name <nsIf>`,
 * the peer moved into the namespace with address `ip`, both ends and the namespace's `lo` up.
 * Leftovers of the same names (from a crashed run) are removed first.
 * @param name namespace name; also the default interface names (at most 14 characters)
 * @param ip IPv4 address, `10.0.0.1` or `10.0.0.1/24` (default prefix /24)
 * @throws ShError when an `ip` command fails
 */
export async function netnsPair(name: string, ip: string, opts: NetnsPairOptions = {}): Promise<NetnsPair> {
  const hostIf = opts.hostIf ?? name;
  const nsIf = opts.nsIf ?? `${name}p`;
  for (const n of [hostIf, nsIf]) {
    if (n.length > 15) throw new RangeError(`interface name ${n} is longer than IFNAMSIZ-1 (15)`);
  }
  const cidr = ip.includes('/') ? ip : `${ip}/24`;
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const mtu = opts.mtu === undefined ? '' : ` mtu ${opts.mtu}`;
  const script = [
    `ip link del ${q(hostIf)} 2>/dev/null; ip netns del ${q(name)} 2>/dev/null`,
    'set -e',
    `ip netns add ${q(name)}`,
    `ip link add ${q(hostIf)}${mtu} type veth peer name ${q(nsIf)}${mtu} netns ${q(name)}`,
    ...(opts.ipv6
      ? []
      : [
          `echo 1 > /proc/sys/net/ipv6/conf/${hostIf}/disable_ipv6`,
          `ip netns exec ${q(name)} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.${nsIf}.disable_ipv6=1`,
        ]),
    ...(opts.mac ? [`ip -n ${q(name)} link set ${q(nsIf)} address ${q(opts.mac)}`] : []),
    `ip -n ${q(name)} addr add ${q(cidr)} dev ${q(nsIf)}`,
    `ip -n ${q(name)} link set lo up`,
    `ip -n ${q(name)} link set ${q(nsIf)} up`,
    `ip link set ${q(hostIf)} up`,
    `ip netns exec ${q(name)} cat /sys/class/net/${q(nsIf)}/address`,
  ].join('\n');
  const mac = (await run(script)).trim().toLowerCase();
  const pair: NetnsPair = {
    ns: name,
    hostIf,
    nsIf,
    ip: cidr,
    addr: cidr.split('/')[0],
    mac,
    exec: (cmd, o) => nsExec(name, cmd, o),
    async cleanup() {
      // Deleting the root-namespace end destroys the pair at once; a namespace's own devices
      // are only reaped asynchronously after `ip netns del`.
      await sh(`ip link del ${q(hostIf)} 2>/dev/null; ip netns del ${q(name)} 2>/dev/null; true`);
    },
  };
  return pair;
}

/**
 * Runs a command inside network namespace `ns`.
 * @param cmd as for {@link sh}: a string goes through `bash -c` inside the namespace
 */
export function nsExec(ns: string, cmd: string | readonly string[], opts: ShOptions = {}): Promise<ShResult> {
  const argv = typeof cmd === 'string' ? ['bash', '-c', cmd] : [...cmd];
  return sh(['ip', 'netns', 'exec', ns, ...argv], opts);
}

/**
 * Lists the kernel datapaths, as `ovs-dpctl dump-dps` names them without the `system@` prefix.
 */
export async function listDatapaths(): Promise<string[]> {
  const r = await sh(['ovs-dpctl', 'dump-dps']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l)
    .map((l) => l.replace(/^system@/, ''));
}

/**
 * Deletes a kernel datapath (and with it all its vports) if it exists: `ovs-dpctl del-dp`.
 * @param name datapath name; default `ovs-system`, the one vswitchd creates
 * @returns whether a datapath was deleted
 * @throws ShError when it exists but cannot be deleted
 */
export async function cleanupDatapath(name = 'ovs-system'): Promise<boolean> {
  if (!(await listDatapaths()).includes(name)) return false;
  await run(['ovs-dpctl', 'del-dp', name]);
  return true;
}

function findRepoRoot(start: string): string {
  for (let d = start; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'test', 'harness'))) return d;
    if (path.dirname(d) === d) return path.resolve(start, '../../../..');
  }
}

/** Which vswitchd a differential kernel test runs: Debian's or ours. */
export type Which = 'reference' | 'ts-vswitchd';

/** The switch {@link withTwoPortSwitch} builds, handed to the test's body. */
export interface TwoPortSwitch {
  ovsdb: OvsdbHandle;
  vswitchd: VswitchdHandle;
  /** the namespaces on ofport 1 and 2 (unless `ofportRequest` was false) */
  ns1: NetnsPair;
  ns2: NetnsPair;
  /** `ovs-ofctl [-O version] ARGS` against this switch's daemons; resolves to stdout */
  ofctl(...args: string[]): Promise<string>;
}

/** Options of {@link withTwoPortSwitch}. */
export interface TwoPortSwitchOptions {
  /** names of the two namespaces (also their host-side veth ends, see {@link netnsPair}) */
  names: [string, string];
  /** the namespaces' addresses, e.g. ['10.0.12.1', '10.0.12.2'] */
  addrs: [string, string];
  /** the directory name under $OVSVM_OUT/logs for the daemons' logs (suffixed `-which`) */
  logName: string;
  /** `ovs-ofctl -O` version for {@link TwoPortSwitch.ofctl}; default none (ovs-ofctl's default) */
  ofVersion?: string;
  /** ask for ofports 1 and 2 (`ofport_request`); default true */
  ofportRequest?: boolean;
  /** write static neighbour entries in both namespaces (no ARP on the wire); default false */
  staticNeighbours?: boolean;
}

/**
 * The common set-up of the kernel tests that compare both daemons on one small switch: a fresh
 * datapath and database, `which` daemon, bridge br0 in fail_mode=secure (no flows) with two
 * namespaces on ofports 1 and 2. Runs `body`, then always collects the logs, stops the daemon,
 * removes the namespaces and the datapath and destroys the database.
 * @returns what `body` returns
 * @throws whatever the set-up or `body` throws (after cleaning up)
 */
export async function withTwoPortSwitch<T>(which: Which, opts: TwoPortSwitchOptions, body: (sw: TwoPortSwitch) => Promise<T>): Promise<T> {
  await cleanupDatapath();
  const ovsdb = await startOvsdb();
  let vswitchd: VswitchdHandle | undefined;
  const pairs: NetnsPair[] = [];
  try {
    vswitchd = which === 'reference' ? await startReferenceVswitchd(ovsdb) : await startOurVswitchd(ovsdb);
    for (const [i, name] of opts.names.entries()) pairs.push(await netnsPair(name, opts.addrs[i]));
    const [ns1, ns2] = pairs;
    await ovsdb.vsctl(['add-br', 'br0', '--', 'set-fail-mode', 'br0', 'secure']);
    for (const [i, p] of pairs.entries()) {
      const request = opts.ofportRequest ?? true ? ['--', 'set', 'Interface', p.hostIf, `ofport_request=${i + 1}`] : [];
      await ovsdb.vsctl(['add-port', 'br0', p.hostIf, ...request]);
    }
    if (opts.staticNeighbours) {
      await ns1.exec(['ip', 'neigh', 'replace', ns2.addr, 'lladdr', ns2.mac, 'dev', ns1.nsIf]);
      await ns2.exec(['ip', 'neigh', 'replace', ns1.addr, 'lladdr', ns1.mac, 'dev', ns2.nsIf]);
    }
    const version = opts.ofVersion ? ['-O', opts.ofVersion] : [];
    const ofctl = async (...args: string[]): Promise<string> => run(['ovs-ofctl', ...version, ...args], { env: ovsdb.env });
    return await body({ ovsdb, vswitchd, ns1, ns2, ofctl });
  } finally {
    collectLogs(ovsdb.dir, `${opts.logName}-${which}`);
    await vswitchd?.stop();
    for (const p of pairs) await p.cleanup();
    await cleanupDatapath();
    await ovsdb.destroy();
  }
}
