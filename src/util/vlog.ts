/**
 * vlog: Open vSwitch's logging model (`lib/vlog.c`, `ovs-appctl(8)` "LOGGING COMMANDS") on top
 * of winston.
 *
 * - Every log module (`vlogModule('bridge')`) has one level per destination. Levels, most to
 *   least severe: `emer`, `err`, `warn`, `info`, `dbg`; `off` disables a destination. A message
 *   goes to a destination when its level is at least as severe as that destination's level.
 *   Modules start at `info` everywhere, as OVS's do; a spec that names no module changes every
 *   module, including ones registered later (in OVS all modules exist before any spec applies).
 * - Destinations and their line shapes (OVS's default patterns; custom patterns are not
 *   supported):
 *   - `console` (stderr): `2026-01-01T00:00:00Z|00042|module|INFO|text`
 *   - `file` (only once `vlogOpenFile()` opened one): `2026-01-01T00:00:00.000Z|00042|module|INFO|text`
 *   - `syslog`: levels are kept, listed and counted, but nothing is sent. Node has no
 *     `syslog(3)` and cannot open the `/dev/log` datagram socket without a native addon, and this
 *     project adds no dependency for it; use the file destination.
 *   A worker thread's lines name the module as `module(subprogram)` (e.g.
 *   `ofproto_dpif_upcall(handler3)`) when its snapshot carries a subprogram name, like OVS's `%T`.
 * - Sequence numbers (`%05N`) count every message that at least one destination accepts, whether or
 *   not it was written. Like OVS, where the counter is per thread, each thread (the main thread and
 *   every worker) has its own counter starting at 1.
 * - Worker threads: module state lives per thread. The main thread hands a worker its
 *   configuration with `vlogSnapshot()` (a plain, structured-cloneable object) and the worker calls
 *   `vlogConfigure(snapshot)`; `vlogOnChange()` tells the main thread when to send a new snapshot.
 *   A worker opens the log file itself (append mode, one `write` per line, so lines from different
 *   threads never interleave within a line) and reopens it when the snapshot's `fileGeneration`
 *   changes (after `vlog/reopen`).
 * - All writes are synchronous, so a line logged just before `process.exit()` is not lost.
 */
import * as fs from 'fs';
import * as util from 'util';
import winston from 'winston';
import type TransportStream = require('winston-transport');
import { PROGRAM_NAME } from './dirs';

/** Level names in the spelling `vlog/set` accepts (case-insensitive on input). */
export type VlogLevelName = 'off' | 'emer' | 'err' | 'warn' | 'info' | 'dbg';
/** Destination names in the spelling `vlog/set` accepts (case-insensitive on input). */
export type VlogDestination = 'console' | 'syslog' | 'file';

/** A module's level for each destination. */
export interface VlogLevels {
  console: VlogLevelName;
  syslog: VlogLevelName;
  file: VlogLevelName;
}

/** A logger for one module. Methods take the complete message text (no format arguments). */
export interface VlogModule {
  /** The module name as registered, e.g. `bridge`. */
  readonly name: string;
  emer(m: string): void;
  err(m: string): void;
  warn(m: string): void;
  info(m: string): void;
  dbg(m: string): void;
  /**
   * Whether a `dbg` message would reach any destination (the file counts only while one is open),
   * so callers can skip building expensive debug text.
   */
  isDbgEnabled(): boolean;
}

/**
 * One thread's logging configuration as a plain object, for `postMessage` to worker threads.
 * Level names are lower case.
 */
export interface VlogSnapshot {
  /** Levels of every module registered in the source thread, keyed by module name. */
  modules: Record<string, VlogLevels>;
  /** Levels given to modules registered later (changed by specs that name no module). */
  defaults: VlogLevels;
  /** Path of the log file while one is open, otherwise null. */
  logFile: string | null;
  /** Incremented every time the source thread (re)opens its log file. */
  fileGeneration: number;
  /** False once the console was closed (after `--detach`). */
  consoleEnabled: boolean;
  /** Thread name shown after the module name, e.g. `handler3`; absent on the main thread. */
  subprogram?: string;
}

/** Numeric ranks; larger = more verbose, as OVS's `enum vlog_level` (0 is `off`). */
const EMER = 1;
const ERR = 2;
const WARN = 3;
const INFO = 4;
const DBG = 5;

const LEVEL_NAMES = ['OFF', 'EMER', 'ERR', 'WARN', 'INFO', 'DBG'] as const;
const DESTINATIONS: readonly VlogDestination[] = ['syslog', 'console', 'file'];
/** winston level names, most severe first (winston's convention: lower number = more severe). */
const WINSTON_LEVELS: Record<string, number> = { emer: 0, err: 1, warn: 2, info: 3, dbg: 4 };

/** Facility names `-vFACILITY:name` accepts (RFC 5424 / `vlog.c`). */
const FACILITIES = new Set([
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'clock', 'ftp',
  'ntp', 'audit', 'alert', 'clock2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5',
  'local6', 'local7',
]);

/** Characters that separate words in a spec, as in `vlog_set_levels_from_string()`. */
const SPEC_SEPARATORS = /[ ,:\t]+/;

type Ranks = Record<VlogDestination, number>;

interface ModuleState {
  name: string;
  levels: Ranks;
}

interface ThreadState {
  /** Keyed by lower-cased name: module names are case-insensitive in specs. */
  modules: Map<string, ModuleState>;
  defaults: Ranks;
  seq: number;
  subprogram: string | undefined;
  /** Kept after `vlogClose()` so that `vlogReopen()` can reopen it, as `vlog/close` does. */
  logFileName: string | null;
  logFd: number | null;
  fileGeneration: number;
  consoleEnabled: boolean;
  logger: winston.Logger | null;
  listeners: Set<(snapshot: VlogSnapshot) => void>;
}

const state: ThreadState = {
  modules: new Map(),
  defaults: { syslog: INFO, console: INFO, file: INFO },
  seq: 0,
  subprogram: undefined,
  logFileName: null,
  logFd: null,
  fileGeneration: 0,
  consoleEnabled: true,
  logger: null,
  listeners: new Set(),
};

/**
 * The text for a failed system call as OVS's `ovs_strerror()` prints it, e.g.
 * `No such file or directory`. Falls back to the error's message when it carries no errno.
 * @param err usually a `NodeJS.ErrnoException` from `fs` or `child_process`
 */
export function strerror(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e && typeof e.errno === 'number') {
    const entry = util.getSystemErrorMap().get(e.errno);
    if (entry) return entry[1].charAt(0).toUpperCase() + entry[1].slice(1);
  }
  return e instanceof Error ? e.message : String(err);
}

/**
 * Formats one log line without its trailing newline, in the default pattern of `dest`.
 * @param dest `console` drops the milliseconds; `file` keeps them
 * @param time wall-clock time of the message (printed in UTC)
 * @param seq sequence number, zero-padded to at least five digits
 * @param level level name, upper case (`EMER` … `DBG`)
 * @param message text; trailing newlines are removed as OVS's `%m` does
 * @param subprogram thread name appended to the module in parentheses, if any
 */
export function formatVlogLine(
  dest: 'console' | 'file',
  time: Date,
  seq: number,
  module: string,
  level: string,
  message: string,
  subprogram?: string,
): string {
  const iso = time.toISOString();
  const stamp = dest === 'file' ? iso : `${iso.slice(0, 19)}Z`;
  const who = subprogram ? `${module}(${subprogram})` : module;
  return `${stamp}|${String(seq).padStart(5, '0')}|${who}|${level}|${message.replace(/\n+$/, '')}`;
}

const MESSAGE = Symbol.for('message');
/** winston's transport base class: exported at runtime as `Transport`, typed as `transport`. */
const TransportBase = (winston as unknown as { Transport: typeof TransportStream }).Transport;

/** The `file` destination: synchronous appends to the fd in `state.logFd`, errors ignored as OVS does. */
class VlogFileTransport extends TransportBase {
  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    if (state.logFd !== null) {
      try {
        fs.writeSync(state.logFd, `${String(info[MESSAGE])}\n`);
      } catch {
        // A full disk or a revoked fd must not take the daemon down; OVS ignores write errors too.
      }
    }
    next();
  }
}

interface VlogInfo {
  level: string;
  message: string;
  module: string;
  seq: number;
  time: Date;
  toConsole: boolean;
  toFile: boolean;
  [key: string | symbol]: unknown;
}

function destinationFormat(dest: 'console' | 'file'): winston.Logform.Format {
  return winston.format((info) => {
    const v = info as unknown as VlogInfo;
    if (!(dest === 'console' ? v.toConsole : v.toFile)) return false;
    v[MESSAGE] = formatVlogLine(dest, v.time, v.seq, v.module, v.level.toUpperCase(), v.message,
      state.subprogram);
    return info;
  })();
}

function logger(): winston.Logger {
  if (!state.logger) {
    state.logger = winston.createLogger({
      levels: WINSTON_LEVELS,
      level: 'dbg',
      exitOnError: false,
      transports: [
        new winston.transports.Console({
          format: destinationFormat('console'),
          stderrLevels: Object.keys(WINSTON_LEVELS),
        }),
        new VlogFileTransport({ format: destinationFormat('file') }),
      ],
    });
  }
  return state.logger;
}

function emit(mod: ModuleState, rank: number, message: string, quietConsole = false): void {
  const toConsole = !quietConsole && mod.levels.console >= rank;
  const toSyslog = mod.levels.syslog >= rank;
  const toFile = state.logFd !== null && mod.levels.file >= rank;
  if (!toConsole && !toSyslog && !toFile) return;
  state.seq++;
  const writeConsole = toConsole && state.consoleEnabled;
  if (!writeConsole && !toFile) return;
  const info: VlogInfo = {
    level: LEVEL_NAMES[rank].toLowerCase(),
    message,
    module: mod.name,
    seq: state.seq,
    time: new Date(),
    toConsole: writeConsole,
    toFile,
  };
  logger().log(info);
}

function registerModule(name: string): ModuleState {
  const key = name.toLowerCase();
  let mod = state.modules.get(key);
  if (!mod) {
    mod = { name, levels: { ...state.defaults } };
    state.modules.set(key, mod);
  }
  return mod;
}

/**
 * Returns the logger for module `name`, registering the module on first use (so it appears in
 * `vlogList()` and can be named in specs). Calling it again with the same name (in any case)
 * returns a logger for the same module. Cheap; call it once at the top of a file.
 * @param name module name as in OVS (`bridge`, `ofproto_dpif_xlate`, …): non-empty, without
 *   spaces, commas, colons or tabs (the spec separators)
 * @throws Error if the name is empty or contains a separator
 */
export function vlogModule(name: string): VlogModule {
  if (name === '' || /[ ,:\t]/.test(name)) {
    throw new Error(`invalid vlog module name "${name}"`);
  }
  const mod = registerModule(name);
  return {
    name: mod.name,
    emer: (m) => emit(mod, EMER, m),
    err: (m) => emit(mod, ERR, m),
    warn: (m) => emit(mod, WARN, m),
    info: (m) => emit(mod, INFO, m),
    dbg: (m) => emit(mod, DBG, m),
    isDbgEnabled: () =>
      mod.levels.console >= DBG || mod.levels.syslog >= DBG
      || (state.logFd !== null && mod.levels.file >= DBG),
  };
}

const self = vlogModule('vlog');

/**
 * Logs `message` at EMER to every destination except the console, prints
 * `ts-vswitchd: MESSAGE` on stderr, and exits with status 1 — OVS's `VLOG_FATAL`. Used for
 * startup errors that leave nothing to run. In a worker thread, `process.exit` ends only the
 * worker.
 */
export function vlogFatal(module: VlogModule, message: string): never {
  emit(registerModule(module.name), EMER, message, true);
  process.stderr.write(`${PROGRAM_NAME}: ${message}\n`);
  process.exit(1);
}

function notify(): void {
  if (state.listeners.size === 0) return;
  const snapshot = vlogSnapshot();
  for (const listener of state.listeners) listener(snapshot);
}

function rankOf(word: string): number {
  return LEVEL_NAMES.findIndex((n) => n.toLowerCase() === word.toLowerCase());
}

function destinationOf(word: string): VlogDestination | undefined {
  return DESTINATIONS.find((d) => d === word.toLowerCase());
}

/**
 * Applies one spec, with the syntax and error texts of `ovs-vswitchd -vSPEC` and
 * `ovs-appctl vlog/set SPEC`: words separated by spaces, commas, colons or tabs, at most one
 * module, one destination (`console`, `syslog`, `file`) and one level (`off`, `emer`, `err`,
 * `warn`, `info`, `dbg`), case-insensitive; `any` is ignored. A missing module means every
 * module (including ones registered later), a missing destination every destination, a missing
 * level `dbg` — so `""` sets everything to `dbg`, like a bare `-v`.
 * `FACILITY:name` is validated and accepted but has no effect (there is no syslog output).
 * @throws Error with OVS's message, e.g. `no destination, level, or module "foo"`,
 *   `cannot specify multiple levels`, `invalid facility`; `PATTERN:…` is rejected after its
 *   destination is checked, because custom patterns are not supported
 */
export function vlogSetSpec(spec: string): void {
  const words = spec.split(SPEC_SEPARATORS).filter((w) => w !== '');
  const first = words[0]?.toLowerCase();
  if (first === 'pattern') {
    const dest = words[1];
    if (dest === undefined) throw new Error('missing destination');
    if (dest.toLowerCase() !== 'any' && !destinationOf(dest)) {
      throw new Error(`unknown destination "${dest}"`);
    }
    throw new Error('custom log patterns are not supported by ts-vswitchd');
  }
  if (first === 'facility') {
    // The facility is the rest of the spec after the separator that follows FACILITY.
    const at = spec.search(/facility/i) + 'facility'.length;
    if (!FACILITIES.has(spec.slice(at + 1).toLowerCase())) throw new Error('invalid facility');
    return;
  }

  let module: ModuleState | undefined;
  let dest: VlogDestination | undefined;
  let rank: number | undefined;
  for (const word of words) {
    if (word.toLowerCase() === 'any') continue;
    const d = destinationOf(word);
    if (d) {
      if (dest) throw new Error('cannot specify multiple destinations');
      dest = d;
      continue;
    }
    const r = rankOf(word);
    if (r >= 0) {
      if (rank !== undefined) throw new Error('cannot specify multiple levels');
      rank = r;
      continue;
    }
    const m = state.modules.get(word.toLowerCase());
    if (m) {
      if (module) throw new Error('cannot specify multiple modules');
      module = m;
      continue;
    }
    throw new Error(`no destination, level, or module "${word}"`);
  }

  const level = rank ?? DBG;
  const dests = dest ? [dest] : DESTINATIONS;
  const targets = module ? [module.levels] : [state.defaults, ...[...state.modules.values()].map((m) => m.levels)];
  for (const levels of targets) {
    for (const d of dests) levels[d] = level;
  }
  notify();
}

/**
 * The text of `ovs-appctl vlog/list`: a two-line header, then one line per registered module,
 * sorted, with the console, syslog and file levels, e.g.
 * ```
 *                  console    syslog    file
 *                  -------    ------    ------
 * bridge            INFO       INFO       INFO
 * ```
 * Every line ends with `\n`.
 */
export function vlogList(): string {
  const lines = [...state.modules.values()].map((m) =>
    `${m.name.padEnd(16)}  ${LEVEL_NAMES[m.levels.console].padStart(4)}       `
    + `${LEVEL_NAMES[m.levels.syslog].padStart(4)}       ${LEVEL_NAMES[m.levels.file].padStart(4)}\n`);
  // Byte-wise order, as OVS's svec_sort (strcmp) gives.
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return '                 console    syslog    file\n'
    + '                 -------    ------    ------\n'
    + lines.join('');
}

function sameFile(a: number, b: number): boolean {
  const sa = fs.fstatSync(a);
  const sb = fs.fstatSync(b);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Starts logging to `path` (opened for appending, created with mode 0660), replacing any file
 * already open, and logs `opened log file PATH` to it (and `closing log file` to the old one),
 * as `--log-file` and `vlog_set_log_file()` do. Reopening the file that is already open (same
 * device and inode) does nothing.
 * @throws Error `failed to open PATH for logging: REASON` (also logged at WARN), with the
 *   original errno error as `cause`; the previous file, if any, stays open
 */
export function vlogOpenFile(path: string): void {
  let fd: number;
  try {
    fd = fs.openSync(path, 'a', 0o660);
  } catch (e) {
    const text = `failed to open ${path} for logging: ${strerror(e)}`;
    self.warn(text);
    throw new Error(text, { cause: e });
  }
  if (state.logFd !== null && sameFile(state.logFd, fd)) {
    fs.closeSync(fd);
    state.logFileName = path;
    return;
  }
  if (state.logFd !== null) {
    self.info('closing log file');
    fs.closeSync(state.logFd);
  }
  state.logFd = fd;
  state.logFileName = path;
  state.fileGeneration++;
  notify();
  self.info(`opened log file ${path}`);
}

/**
 * `ovs-appctl vlog/reopen`: reopens the configured log file by name, so that logging moves to a
 * new file after rotation; also reopens a file closed by `vlogClose()`.
 * @throws Error `Logging to file not configured` when no log file was ever opened, or the
 *   error of `vlogOpenFile()`
 */
export function vlogReopen(): void {
  if (state.logFileName === null) throw new Error('Logging to file not configured');
  vlogOpenFile(state.logFileName);
}

/**
 * `ovs-appctl vlog/close`: closes the log file if one is open. The file name is remembered, so
 * `vlogReopen()` can open it again. Does nothing when no file is open.
 */
export function vlogClose(): void {
  if (state.logFd === null) return;
  fs.closeSync(state.logFd);
  state.logFd = null;
  notify();
}

/**
 * Stops writing the console destination, as closing the standard file descriptors after
 * `--detach` does in OVS. Console levels are kept (and still listed and counted).
 */
export function vlogCloseConsole(): void {
  if (!state.consoleEnabled) return;
  state.consoleEnabled = false;
  notify();
}

/** This thread's configuration, for `vlogConfigure()` in a worker thread. */
export function vlogSnapshot(): VlogSnapshot {
  const name = (r: number) => LEVEL_NAMES[r].toLowerCase() as VlogLevelName;
  const levels = (l: Ranks): VlogLevels => ({ console: name(l.console), syslog: name(l.syslog), file: name(l.file) });
  const modules: Record<string, VlogLevels> = {};
  for (const m of state.modules.values()) modules[m.name] = levels(m.levels);
  const snapshot: VlogSnapshot = {
    modules,
    defaults: levels(state.defaults),
    logFile: state.logFd !== null ? state.logFileName : null,
    fileGeneration: state.fileGeneration,
    consoleEnabled: state.consoleEnabled,
  };
  if (state.subprogram !== undefined) snapshot.subprogram = state.subprogram;
  return snapshot;
}

function ranks(levels: VlogLevels): Ranks {
  const r = (n: VlogLevelName) => {
    const i = rankOf(n);
    if (i < 0) throw new Error(`invalid level "${n}" in vlog snapshot`);
    return i;
  };
  return { console: r(levels.console), syslog: r(levels.syslog), file: r(levels.file) };
}

/**
 * Adopts a configuration produced by `vlogSnapshot()` (normally in another thread): module and
 * default levels, console state, subprogram name, and the log file — opened (without logging
 * `opened log file`) when the path or `fileGeneration` differs from what this thread has open,
 * closed when the snapshot has none. The sequence counter is not touched.
 * @throws Error on an unknown level name, or `failed to open PATH for logging: REASON`
 */
export function vlogConfigure(snapshot: VlogSnapshot): void {
  const defaults = ranks(snapshot.defaults);
  const modules = Object.entries(snapshot.modules).map(([n, l]) => [n, ranks(l)] as const);
  state.defaults = defaults;
  for (const [n, l] of modules) registerModule(n).levels = l;
  state.consoleEnabled = snapshot.consoleEnabled;
  state.subprogram = snapshot.subprogram;
  if (snapshot.logFile === null) {
    if (state.logFd !== null) fs.closeSync(state.logFd);
    state.logFd = null;
  } else if (snapshot.logFile !== state.logFileName || snapshot.fileGeneration !== state.fileGeneration
    || state.logFd === null) {
    let fd: number;
    try {
      fd = fs.openSync(snapshot.logFile, 'a', 0o660);
    } catch (e) {
      throw new Error(`failed to open ${snapshot.logFile} for logging: ${strerror(e)}`, { cause: e });
    }
    if (state.logFd !== null) fs.closeSync(state.logFd);
    state.logFd = fd;
  }
  state.logFileName = snapshot.logFile ?? state.logFileName;
  state.fileGeneration = snapshot.fileGeneration;
}

/**
 * Calls `listener` with a fresh snapshot after every change to this thread's configuration
 * (levels, log file opened/closed/reopened, console closed), so the caller can forward it to
 * worker threads.
 * @returns a function that removes the listener
 */
export function vlogOnChange(listener: (snapshot: VlogSnapshot) => void): () => void {
  state.listeners.add(listener);
  return () => state.listeners.delete(listener);
}
