/**
 * Daemon plumbing: pidfiles and `--detach`, after OVS's `lib/daemon-unix.c` and the "Daemon
 * Options" of `ovs-vswitchd(8)`.
 *
 * Differences from OVS, all forced by Node having no `fork()` and no `fcntl()` locks:
 * - Pidfile ownership is decided by whether the recorded pid is alive (`kill(pid, 0)`), not by a
 *   lock. A stale file whose pid has since been reused by an unrelated live process therefore
 *   blocks startup until `--overwrite-pidfile` is given, and two daemons started at the same
 *   instant against a stale file can both succeed.
 * - `--detach` re-executes the same script with the same arguments in a new session instead of
 *   forking (see `detachStart()`); the child recognises itself by an environment variable, so the
 *   command line is passed through untouched.
 * - `--monitor` (restart after a crash) is not implemented: the caller logs that it runs without
 *   a monitor. It is left for a later change; a supervisor such as systemd can restart instead.
 */
import { lockFile } from '../genl/native';
import { spawn } from 'child_process';
import * as fs from 'fs';
import type { Readable } from 'stream';
import { strerror, vlogCloseConsole, vlogModule } from './vlog';

const log = vlogModule('daemon_unix');

/** Set in the environment of a detached child: the number of its readiness pipe's fd. */
const DETACH_FD_ENV = 'TS_VSWITCHD_DETACH_FD';
/** Which fd of the child carries the readiness pipe (0-2 are the standard streams). */
const DETACH_FD = 3;

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

/** True in the background child started by `detachStart()`, until it calls `detachReady()`. */
export function isDetachedChild(): boolean {
  return process.env[DETACH_FD_ENV] !== undefined;
}

/** What happened to the child started by `detachStart()`. */
export type DetachOutcome =
  | { ready: true; pid: number }
  | {
    ready: false;
    pid: number | undefined;
    /** The child's exit status, or null when a signal ended it. */
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    /** OVS-style status text: `exit status 1`, `killed (SIGKILL)`. */
    reason: string;
  };

/** What to run in the background; defaults re-run the current process's script. */
export interface DetachStartOptions {
  /** Script to run with `process.execPath`; default `process.argv[1]`. */
  script?: string;
  /** Node options; default `process.execArgv`. */
  execArgv?: string[];
}

/**
 * The parent's half of `--detach`: starts `node SCRIPT ARGS…` as the daemon in a new session
 * (`setsid`), with stdin and stdout on /dev/null, its stderr relayed to ours (so startup errors
 * still reach the terminal) and a pipe on fd 3 through which the child reports readiness
 * (`detachReady()`). Resolves once the child reported ready — the caller should then exit 0 —
 * or once it ended without doing so, after relaying everything it wrote to stderr — the caller
 * should then exit with the child's status (OVS: a non-zero status is passed on as is; anything
 * else is reported as `fork child died before signaling startup (REASON)`).
 * @param args the command line to pass to the child (the same one, `--detach` included: the
 *   child knows from its environment that it already is the background process)
 * @throws Error when the child cannot be spawned
 */
export function detachStart(args: string[], opts: DetachStartOptions = {}): Promise<DetachOutcome> {
  const script = opts.script ?? process.argv[1];
  const execArgv = opts.execArgv ?? process.execArgv;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, script, ...args], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, [DETACH_FD_ENV]: String(DETACH_FD) },
    });
    let settled = false;
    const stderr = child.stderr!;
    const readiness = child.stdio[DETACH_FD] as Readable;
    stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    readiness.once('data', () => {
      // The child wrote its last startup messages before the readiness byte, so they are
      // already in the stderr pipe; one more loop turn relays them before we let go.
      setImmediate(() => {
        if (settled) return;
        settled = true;
        stderr.destroy();
        readiness.destroy();
        child.unref();
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
      const reason = signal ? `killed (${signal})` : `exit status ${code}`;
      resolve({ ready: false, pid: child.pid, exitCode: code, signal, reason });
    });
  });
}

/** Options of `detachReady()`. */
export interface DetachReadyOptions {
  /** `--no-chdir`: stay in the current directory instead of changing to `/`. */
  noChdir: boolean;
}

/**
 * The child's half of `--detach`, to call once the daemon is ready to serve: tells the waiting
 * parent (which then exits 0), changes to `/` unless `noChdir`, and stops console logging, since
 * the parent's end of our stderr goes away. Does nothing in a process that was not started by
 * `detachStart()`, so callers may call it unconditionally. Calling it again has no effect.
 */
export function detachReady(opts: DetachReadyOptions): void {
  const fdText = process.env[DETACH_FD_ENV];
  if (fdText === undefined) return;
  delete process.env[DETACH_FD_ENV];
  const fd = Number(fdText);
  try {
    fs.writeSync(fd, Buffer.from([0]));
  } catch (e) {
    // The parent is gone (killed while waiting); the daemon itself is fine, so keep running.
    log.warn(`pipe write failed (${strerror(e)})`);
  }
  fs.closeSync(fd);
  if (!opts.noChdir) process.chdir('/');
  vlogCloseConsole();
  // Later writes to stdout/stderr by any code would hit a pipe without a reader (EPIPE).
  const ignore = () => undefined;
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
}
