/**
 * Daemon plumbing: pidfiles, `--detach` and `--monitor`, after OVS's `lib/daemon-unix.c` and the
 * "Daemon Options" of `ovs-vswitchd(8)`.
 *
 * Node has no `fork()`, so every stage OVS forks is a fresh copy of the same script with the same
 * arguments, told by its environment who started it (`daemonRole()`) and handed a pipe on fd 3
 * through which it reports that its startup is complete (`daemonizeComplete()`):
 * - `--detach`: the invoking process starts the background copy in a new session and exits once
 *   that copy is ready (`detachStart()`).
 * - `--monitor`: the monitor (the invoking process, or with `--detach` the background copy)
 *   starts the daemon, waits for it to be ready, and restarts it when it dies of an error signal
 *   (`monitorDaemon()`). The daemon writes the pidfile, so it holds the daemon's pid, as in OVS.
 *
 * Other differences from OVS:
 * - Pidfile ownership is decided by whether the recorded pid is alive (`kill(pid, 0)`); the fcntl
 *   lock is taken afterwards, for `ovs-appctl`. A stale file whose pid has since been reused by an
 *   unrelated live process therefore blocks startup until `--overwrite-pidfile` is given, and two
 *   daemons started at the same instant against a stale file can both succeed.
 * - Node does not report whether a child dumped core, so `, core dumped` is inferred from the
 *   signal and the kernel's core dump settings (`coreDumpExpected()`), and core dumps are not
 *   turned off after the first crash (Node cannot `setrlimit()`).
 * - The daemon runs in a session of its own under the monitor, so a terminal's Ctrl-C reaches it
 *   once, through the monitor, instead of twice.
 */
import { lockFile } from '../genl/native';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import type { Readable } from 'stream';
import { PROGRAM_NAME } from './dirs';
import {
  strerror, vlogClose, vlogCloseConsole, vlogConfigure, vlogFatal, vlogModule, vlogReopen, vlogSnapshot,
} from './vlog';

const log = vlogModule('daemon_unix');
const vlogLog = vlogModule('vlog');

/** Set in a child's environment: the number of the fd carrying its startup notification pipe. */
const READY_FD_ENV = 'TS_VSWITCHD_READY_FD';
/** Set in a child's environment: who started it (a {@link DaemonRole} other than `invoked`). */
const ROLE_ENV = 'TS_VSWITCHD_ROLE';
/** Which fd of a child carries the startup notification pipe (0-2 are the standard streams). */
const READY_FD = 3;

/** Options of `writePidfile()`. */
export interface PidfileOptions {
  /** `--overwrite-pidfile`: replace the file even if its pid is alive. */
  overwrite?: boolean;
}

/**
 * Reads the pid recorded in a pidfile.
 * @returns the pid, or null when the file does not exist or does not hold a positive decimal pid
 * @throws Error for read errors other than ENOENT
 */
export function readPidfile(path: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${path}: read: ${strerror(e)}`, { cause: e });
  }
  const m = /^\s*(\d+)\s*$/.exec(text);
  const pid = m ? Number(m[1]) : 0;
  return pid > 0 ? pid : null;
}

/** Whether a process with this pid exists (EPERM means it exists but belongs to someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `path` holding this process's pid and a newline, as `--pidfile` does. The file is
 * written under a temporary name and then linked (or, with `overwrite`, renamed) into place, so a
 * reader never sees a partial file.
 *
 * Without `overwrite`, an existing pidfile is honoured only while its pid is alive and is not this
 * process; otherwise it is stale (dead pid, our own pid left by an earlier run in a container,
 * unreadable contents) and is replaced.
 * @param path absolute path (see `cli.ts` for how `--pidfile` is resolved)
 * @throws Error `PATH: already running as pid N, aborting` (OVS's text) when the pid is alive;
 *   `TMP: create failed (REASON)` when the directory is missing or not writable;
 *   `failed to rename "TMP" to "PATH" (REASON)` when it cannot be put in place
 */
export function writePidfile(path: string, opts: PidfileOptions = {}): void {
  placePidfile(path, opts);
  lockPidfile(path);
}

/** The open, locked pidfile: kept for the process's life (closing any fd of it drops the lock). */
let pidfileFd: number | undefined;

/**
 * Holds an fcntl write lock on the pidfile, as OVS does: `ovs-appctl -t ovs-vswitchd` reads the
 * pid only from a pidfile whose lock is held by that pid.
 * @throws Error `PATH: fcntl lock failed (REASON)`
 */
function lockPidfile(path: string): void {
  if (pidfileFd !== undefined) fs.closeSync(pidfileFd);
  pidfileFd = fs.openSync(path, 'r+');
  try {
    lockFile(pidfileFd);
  } catch (e) {
    throw new Error(`${path}: fcntl lock failed (${strerror(e)})`, { cause: e });
  }
}

function placePidfile(path: string, opts: PidfileOptions): void {
  const pid = process.pid;
  const tmp = `${path}.tmp${pid}`;
  try {
    fs.writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
  } catch (e) {
    throw new Error(`${tmp}: create failed (${strerror(e)})`, { cause: e });
  }
  try {
    if (opts.overwrite) {
      fs.renameSync(tmp, path);
      return;
    }
    // Linking fails with EEXIST instead of replacing, so a pidfile that appears between our check
    // and our link (another daemon starting) is caught on the next round.
    for (let round = 0; ; round++) {
      const holder = readPidfile(path);
      if (holder !== null && holder !== pid && isAlive(holder)) {
        throw new Error(`${path}: already running as pid ${holder}, aborting`);
      }
      if (fs.existsSync(path)) {
        try {
          fs.unlinkSync(path);
          log.dbg(`${path}: deleted stale pidfile`);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
            throw new Error(`${path}: failed to delete stale pidfile (${strerror(e)})`, { cause: e });
          }
        }
      }
      try {
        fs.linkSync(tmp, path);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || round >= 2) {
          throw new Error(`failed to rename "${tmp}" to "${path}" (${strerror(e)})`, { cause: e });
        }
      }
    }
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // Already renamed into place.
    }
  }
}

/**
 * Removes `path` if it still records this process's pid (so a pidfile taken over with
 * `--overwrite-pidfile` by a newer daemon is left alone). A missing file is not an error.
 * Synchronous, so it can run from a `process.on('exit')` handler.
 */
export function removePidfile(path: string): void {
  try {
    if (readPidfile(path) === process.pid) fs.unlinkSync(path);
  } catch (e) {
    log.warn(`could not unlink "${path}" (${strerror(e)})`);
  }
}

/**
 * How this process was started: `invoked` by a user, a script or a service manager; `detached`
 * as the background copy started by `detachStart()` (with `--monitor` it becomes the monitor,
 * else the daemon); `monitored` as the daemon started by `monitorDaemon()`.
 */
export type DaemonRole = 'invoked' | 'detached' | 'monitored';

/**
 * This process's role and startup notification fd, read once at load. The variables are removed
 * from the environment so that processes the daemon starts do not inherit them.
 */
const startedAs = ((): { role: DaemonRole; readyFd: number | undefined } => {
  const roleText = process.env[ROLE_ENV];
  const fdText = process.env[READY_FD_ENV];
  delete process.env[ROLE_ENV];
  delete process.env[READY_FD_ENV];
  const role: DaemonRole = roleText === 'detached' || roleText === 'monitored' ? roleText : 'invoked';
  return { role, readyFd: fdText === undefined ? undefined : Number(fdText) };
})();

/** The fd to report startup completion on, until it has been reported. */
let readyFd = startedAs.readyFd;
let detached = false;

/** How this process was started; see {@link DaemonRole}. */
export function daemonRole(): DaemonRole {
  return startedAs.role;
}

/** `strsignal()`'s descriptions (glibc) by signal number, which OVS's `signal_name()` prints. */
const SIGNAL_DESCRIPTIONS: readonly string[] = [
  '', 'Hangup', 'Interrupt', 'Quit', 'Illegal instruction', 'Trace/breakpoint trap', 'Aborted', 'Bus error',
  'Floating point exception', 'Killed', 'User defined signal 1', 'Segmentation fault', 'User defined signal 2',
  'Broken pipe', 'Alarm clock', 'Terminated', 'Stack fault', 'Child exited', 'Continued', 'Stopped (signal)',
  'Stopped', 'Stopped (tty input)', 'Stopped (tty output)', 'Urgent I/O condition', 'CPU time limit exceeded',
  'File size limit exceeded', 'Virtual timer expired', 'Profiling timer expired', 'Window changed',
  'I/O possible', 'Power failure', 'Bad system call',
];

/**
 * A signal's description as `strsignal()` gives it (`SIGSEGV` → `Segmentation fault`; aliases
 * such as `SIGIOT` read as the signal they stand for), or `signal N` for one without, as OVS's
 * `signal_name()`.
 */
export function signalDescription(signal: NodeJS.Signals): string {
  const number = os.constants.signals[signal];
  return SIGNAL_DESCRIPTIONS[number] || `signal ${number ?? signal}`;
}

/** Signals whose default action dumps core (signal(7), action "Core"). */
const CORE_SIGNALS: ReadonlySet<string> = new Set([
  'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGXCPU', 'SIGXFSZ', 'SIGSYS',
]);

/** The smallest core file limit with which the kernel writes an ELF core file (one page). */
const MIN_CORE_LIMIT = 4096;

/**
 * Whether a process of ours killed by `signal` dumped core, judged from the signal's default
 * action and the kernel's settings, because Node does not pass on `WCOREDUMP()`: a core dump
 * happens when `core_pattern` pipes to a helper (which ignores `RLIMIT_CORE`) or when the soft
 * `RLIMIT_CORE` (inherited by our children) allows at least one page.
 */
export function coreDumpExpected(signal: NodeJS.Signals): boolean {
  if (!CORE_SIGNALS.has(signal)) return false;
  try {
    if (fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8').startsWith('|')) return true;
    const line = /^Max core file size\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return line !== null && (line[1] === 'unlimited' || Number(line[1]) >= MIN_CORE_LIMIT);
  } catch {
    return false;
  }
}

/**
 * How a child ended, in OVS's words (`process_status_msg()`): `exit status N`, or
 * `killed (DESCRIPTION)` followed by `, core dumped` when {@link coreDumpExpected}.
 * @param code the exit status, when it exited
 * @param signal the signal that killed it, when one did
 */
export function processStatusMsg(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === null) return `exit status ${code}`;
  return `killed (${signalDescription(signal)})${coreDumpExpected(signal) ? ', core dumped' : ''}`;
}

/** What happened to a child started by `detachStart()` or the monitor while it started up. */
export type StartupOutcome =
  | { ready: true; pid: number }
  | {
    ready: false;
    pid: number | undefined;
    /** The child's exit status, or null when a signal ended it. */
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    /** {@link processStatusMsg}'s text: `exit status 1`, `killed (Killed)`. */
    reason: string;
  };

/** What to run as the next stage; defaults re-run the current process's script. */
export interface StageOptions {
  /** Script to run with `process.execPath`; default `process.argv[1]`. */
  script?: string;
  /** Node options; default `process.execArgv`. */
  execArgv?: string[];
}

/** Where a stage's stdout and stderr go: /dev/null, ours, or (stderr only) a pipe to us. */
type StageOutput = { stdout: 'ignore' | 'inherit'; stderr: 'ignore' | 'inherit' | 'pipe' };

/**
 * Starts `node SCRIPT ARGS…` as `role`, in a new session, with stdin on /dev/null, stdout and
 * stderr as `output` says, and the startup notification pipe on fd 3.
 */
function startStage(role: DaemonRole, args: string[], opts: StageOptions, output: StageOutput): ChildProcess {
  const script = opts.script ?? process.argv[1];
  const execArgv = opts.execArgv ?? process.execArgv;
  return spawn(process.execPath, [...execArgv, script, ...args], {
    detached: true,
    stdio: ['ignore', output.stdout, output.stderr, 'pipe'],
    env: { ...process.env, [ROLE_ENV]: role, [READY_FD_ENV]: String(READY_FD) },
  });
}

/**
 * Resolves once `child` reports that its startup is complete, or once it ended without doing so
 * (after its stdio pipes closed, so everything it wrote has been read).
 * @throws Error when the child cannot be spawned
 */
function awaitStartup(child: ChildProcess): Promise<StartupOutcome> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const readiness = child.stdio[READY_FD] as Readable;
    readiness.once('data', () => {
      // The child wrote its last startup messages before the readiness byte, so any relayed
      // stderr already holds them; one more loop turn passes them on before we let go.
      setImmediate(() => {
        if (settled) return;
        settled = true;
        readiness.destroy();
        resolve({ ready: true, pid: child.pid! });
      });
    });
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      reject(new Error(`could not start background process: ${strerror(e)}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      resolve({ ready: false, pid: child.pid, exitCode: code, signal, reason: processStatusMsg(code, signal) });
    });
  });
}

/**
 * The invoking process's half of `--detach`: starts `node SCRIPT ARGS…` as the background copy
 * in a new session (`setsid`), with stdin and stdout on /dev/null, its stderr relayed to ours (so
 * startup errors still reach the terminal) and a pipe on fd 3 through which it reports readiness
 * (`daemonizeComplete()`). Resolves once the copy reported ready — the caller should then exit 0
 * — or once it ended without doing so, after relaying everything it wrote to stderr — the caller
 * should then exit with its status (OVS: a non-zero status is passed on as is; anything else is
 * reported as `fork child died before signaling startup (REASON)`).
 * @param args the command line to pass on (the same one, `--detach` included: the copy knows
 *   from its environment that it already is the background process)
 * @throws Error when the child cannot be spawned
 */
export async function detachStart(args: string[], opts: StageOptions = {}): Promise<StartupOutcome> {
  const child = startStage('detached', args, opts, { stdout: 'ignore', stderr: 'pipe' });
  const stderr = child.stderr!;
  stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const outcome = await awaitStartup(child);
  if (outcome.ready) {
    stderr.destroy();
    child.unref();
  }
  return outcome;
}

/** Reports startup completion to whoever waits for it (the invoker, or the monitor); once. */
function notifyStartup(): void {
  if (readyFd === undefined) return;
  const fd = readyFd;
  readyFd = undefined;
  try {
    fs.writeSync(fd, Buffer.from([0]));
  } catch (e) {
    // Whoever waited is gone (killed meanwhile); this process is fine, so it keeps running.
    log.warn(`pipe write failed (${strerror(e)})`);
  }
  fs.closeSync(fd);
}

/**
 * Stops console logging and ignores errors on stdout/stderr, as OVS's `close_standard_fds()`:
 * the invoker that read our stderr has gone.
 */
function closeStandardStreams(): void {
  vlogCloseConsole();
  const ignore = () => undefined;
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
}

/** Options of `daemonizeComplete()`. */
export interface DaemonizeOptions {
  /** `--detach`: this process runs in the background. */
  detach: boolean;
  /** `--no-chdir`: with `detach`, stay in the current directory instead of changing to `/`. */
  noChdir: boolean;
}

/**
 * OVS's `daemonize_complete()`, to call once the daemon is ready to serve: tells whoever waits
 * (the invoker of `--detach`, which then exits 0, or the monitor), and with `detach` changes to
 * `/` unless `noChdir` and stops console logging (the invoker's end of our stderr goes away).
 * Calling it again has no effect.
 */
export function daemonizeComplete(opts: DaemonizeOptions): void {
  notifyStartup();
  if (!opts.detach || detached) return;
  detached = true;
  if (!opts.noChdir) process.chdir('/');
  closeStandardStreams();
}

/** Options of `monitorDaemon()`. */
export interface MonitorOptions extends StageOptions {
  /** The daemon's command line (the monitor's own: the daemon knows its role). */
  args: string[];
  /**
   * `--detach`: the monitor is the background copy. Once the first daemon is ready it reports
   * readiness to the invoker and stops console logging; daemons it restarts get /dev/null for
   * stdout and stderr.
   */
  detach: boolean;
  /** The least time between two restarts, in ms. Default {@link MONITOR_RESTART_INTERVAL_MS}. */
  restartIntervalMs?: number;
}

/** OVS restarts a crashed daemon at most once every 10 s. */
export const MONITOR_RESTART_INTERVAL_MS = 10_000;

/** The signals after which OVS's monitor restarts the daemon (`should_restart()`). */
const RESTART_SIGNALS: ReadonlySet<string> = new Set([
  'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGPIPE', 'SIGSEGV', 'SIGXCPU', 'SIGXFSZ',
]);

/** The monitor's state; see {@link monitorDaemon}. */
class Monitor {
  private readonly intervalMs: number;
  /** Whether a log file is configured, which the monitor keeps closed while it waits. */
  private readonly logFile: boolean;
  private crashes = 0;
  private lastRestart = -Infinity;
  private status = 'healthy';
  private child: ChildProcess | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: MonitorOptions) {
    this.intervalMs = opts.restartIntervalMs ?? MONITOR_RESTART_INTERVAL_MS;
    this.logFile = vlogSnapshot().logFile !== null;
  }

  async run(): Promise<never> {
    vlogConfigure({ ...vlogSnapshot(), subprogram: 'monitor' });
    process.on('SIGTERM', () => this.stop('SIGTERM'));
    process.on('SIGINT', () => this.stop('SIGINT'));
    process.on('SIGHUP', () => this.child?.kill('SIGHUP'));
    for (let initial = true; ; initial = false) {
      const output = detached ? 'ignore' : 'inherit';
      const child = startStage('monitored', this.opts.args, this.opts, { stdout: output, stderr: output });
      this.child = child;
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      process.title = `${PROGRAM_NAME}: monitoring pid ${child.pid} (${this.status})`;
      const startup = await awaitStartup(child).catch((e: Error) => vlogFatal(log, e.message));
      let death: { code: number | null; signal: NodeJS.Signals | null };
      if (startup.ready) {
        if (initial && this.opts.detach) {
          notifyStartup();
          closeStandardStreams();
          detached = true;
        }
        this.releaseLogFile();
        death = await exited;
        this.resumeLogFile();
      } else {
        if (startup.exitCode && !this.stopping) process.exit(startup.exitCode);
        death = { code: startup.exitCode, signal: startup.signal };
        if (!this.stopping) {
          log.err(`fork child died before signaling startup (${startup.reason})`);
          if (initial) vlogFatal(log, 'could not initiate process monitoring');
        }
      }
      this.child = undefined;
      await this.afterDeath(child.pid!, death.code, death.signal);
    }
  }

  /** Exits unless the death calls for a restart; then waits out the rate limit. */
  private async afterDeath(pid: number, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const how = processStatusMsg(code, signal);
    if (this.stopping || signal === null || !RESTART_SIGNALS.has(signal)) {
      log.info(`pid ${pid} died, ${how}, exiting`);
      process.exit(0);
    }
    this.status = `${++this.crashes} crashes: pid ${pid} died, ${how}`;
    const wait = this.lastRestart + this.intervalMs - Date.now();
    if (wait > 0) {
      log.warn(`${this.status}, waiting until ${this.intervalMs / 1000} seconds since last restart`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.stopping) process.exit(0);
    }
    this.lastRestart = Date.now();
    log.err(`${this.status}, restarting`);
  }

  /** SIGTERM/SIGINT: passed on to the daemon, whose exit then ends the monitor. */
  private stop(signal: NodeJS.Signals): void {
    this.stopping = true;
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    else this.wake?.();
  }

  /** OVS's monitor closes the log file while it waits, so log rotation can take it away. */
  private releaseLogFile(): void {
    if (!this.logFile) return;
    vlogLog.info('closing log file');
    vlogClose();
  }

  private resumeLogFile(): void {
    if (!this.logFile) return;
    try {
      vlogReopen();
    } catch {
      // Logged by vlogOpenFile(); the monitor carries on without its file.
    }
  }
}

/**
 * OVS's `monitor_daemon()`, for `--monitor`: this process becomes the monitor, starting
 * `node SCRIPT ARGS…` as the daemon (its role tells it so) and then watching it. It does not
 * return; the process exits when monitoring ends.
 *
 * - Startup: waits until the daemon reports ready (`daemonizeComplete()`). A daemon that exits
 *   with a non-zero status first makes the monitor exit with that status (so `--detach` passes
 *   it on); one that ends otherwise is logged (`fork child died before signaling startup
 *   (REASON)`) and is fatal (`could not initiate process monitoring`, exit 1) the first time.
 * - A daemon killed by SIGABRT, SIGALRM, SIGBUS, SIGFPE, SIGILL, SIGPIPE, SIGSEGV, SIGXCPU or
 *   SIGXFSZ is restarted, with ERR `N crashes: pid P died, killed (Segmentation fault),
 *   restarting`, at most once per `restartIntervalMs` (WARN `…, waiting until 10 seconds since
 *   last restart` before a delayed restart). Any other end (an exit status, SIGKILL, SIGTERM) is
 *   logged at INFO as `pid P died, exit status 0, exiting` and the monitor exits 0.
 * - The process title reads `ts-vswitchd: monitoring pid P (healthy)`, or with the last crash
 *   in the parentheses; log lines name the module as `daemon_unix(monitor)`.
 * - SIGTERM and SIGINT are passed on to the daemon and end monitoring (no restart follows);
 *   SIGHUP is passed on, so the daemon reopens its log file.
 * - The log file, if any, stays closed while the monitor waits.
 */
export function monitorDaemon(opts: MonitorOptions): void {
  void new Monitor(opts).run();
}
