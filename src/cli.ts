/**
 * The `ts-vswitchd` command line, compatible with `ovs-vswitchd(8)`:
 *
 *     ts-vswitchd [OPTIONS] [DATABASE]
 *
 * Parsing happens in two steps. A scanner with `getopt_long()`'s rules (the parser OVS uses)
 * walks the arguments: options and the DATABASE operand may be mixed, `--` ends the options, a
 * long option may be abbreviated to any unambiguous prefix, a required value may follow as the
 * next word, and an optional value (`--pidfile`, `--log-file`, `--verbose`/`-v`) is taken only
 * when attached (`--pidfile=FILE`, `-vSPEC`), so `--pidfile unix:/x` creates the default pidfile
 * and connects to `unix:/x`. Its errors use getopt's wording (`unrecognized option '--foo'`).
 * The scanner hands yargs a canonical argument list (`--name` / `--name=VALUE`, then `--` and
 * the operand), and yargs builds the typed options (defaults, path resolution, repeated values).
 *
 * Accepted without effect (logged at startup where it matters): `--mlockall` (no `mlockall()`
 * from Node), `--user` (switching user would drop the capabilities the datapath needs),
 * `--no-self-confinement`, `--syslog-method`, `--syslog-target` (no syslog output; see
 * `util/vlog.ts`). Recognised but refused as unsupported: the SSL options
 * (`-p`, `-c`, `-C`, `--ssl-*`, `--peer-ca-cert`, `--bootstrap-ca-cert`) and the testing/DPDK
 * options (`--enable-dummy`, `--disable-system`, `--disable-system-route`, `--dpdk`,
 * `--dummy-numa`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  daemonizeComplete, daemonRole, detachStart, monitorDaemon, removePidfile, signalDescription, writePidfile,
} from './util/daemon';
import {
  absFileName, defaultDatabase, defaultLogFile, defaultPidfile, PROGRAM_NAME, rundir,
} from './util/dirs';
import { getoptLong, parseCanonicalArgs, type OptionSpec } from './util/getopt';
import { vlogFatal, vlogModule, vlogOpenFile, vlogReopen, vlogSetSpec, VlogModule } from './util/vlog';

/** The parsed command line. Paths are absolute unless noted. */
export interface VswitchdOptions {
  /** OVSDB remote (`unix:FILE`, `tcp:IP:PORT`, …); default `unix:<rundir>/db.sock`. */
  database: string;
  /** `--pidfile[=FILE]`: bare → `<rundir>/ovs-vswitchd.pid`; a relative FILE is under the rundir. */
  pidfile?: string;
  /** `--overwrite-pidfile`: replace a pidfile even if its daemon is alive. */
  overwritePidfile: boolean;
  /** `--detach`: run in the background once ready. */
  detach: boolean;
  /** `--no-chdir`: with `--detach`, do not change to `/`. */
  noChdir: boolean;
  /**
   * `--log-file[=FILE]`: bare → `<logdir>/ovs-vswitchd.log`; a relative FILE is resolved against
   * the current directory now (OVS keeps it relative, which breaks `vlog/reopen` after the
   * daemon changed to `/`).
   */
  logFile?: string;
  /**
   * `-v[SPEC]` / `--verbose[=SPEC]` in command-line order, for `vlogSetSpec()`; a bare `-v` is
   * recorded as `dbg`, its equivalent.
   */
  verbose: string[];
  /**
   * `--unixctl=SOCKET`: control socket path (relative → under the rundir), or `none` for no
   * control socket. Absent → `<rundir>/ovs-vswitchd.<pid>.ctl` (`dirs.defaultUnixctlPath()`).
   */
  unixctl?: string;
  /** `--monitor`: run under a monitor process that restarts the daemon after a crash. */
  monitor: boolean;
  /** `--mlockall`: accepted; memory is not locked. */
  mlockall: boolean;
  /** `--user=USER[:GROUP]`: accepted; the daemon keeps running as the invoking user. */
  user?: string;
}

/**
 * Thrown by `parseArgs()` when the command line asks to stop: `--help` and `--version` (exit
 * code 0, `output` for stdout) or a usage error (exit code 1, `output` for stderr, already
 * prefixed with `ts-vswitchd: ` and ending in a newline).
 */
export class CommandLineExit extends Error {
  constructor(readonly exitCode: number, readonly output: string) {
    super(output.trimEnd());
    this.name = 'CommandLineExit';
  }
}

interface VswitchdOptionSpec extends OptionSpec {
  /** Recognised (as OVS does) but refused. */
  unsupported?: true;
}

/** ovs-vswitchd's options, in OVS's table order (which orders the "ambiguous" message). */
const OPTIONS: readonly VswitchdOptionSpec[] = [
  { long: 'help', short: 'h', arg: 'none' },
  { long: 'version', short: 'V', arg: 'none' },
  { long: 'mlockall', arg: 'none' },
  { long: 'unixctl', arg: 'required' },
  { long: 'detach', arg: 'none' },
  { long: 'no-self-confinement', arg: 'none' },
  { long: 'no-chdir', arg: 'none' },
  { long: 'pidfile', arg: 'optional' },
  { long: 'overwrite-pidfile', arg: 'none' },
  { long: 'monitor', arg: 'none' },
  { long: 'user', arg: 'required' },
  { long: 'verbose', short: 'v', arg: 'optional' },
  { long: 'log-file', arg: 'optional' },
  { long: 'syslog-method', arg: 'required' },
  { long: 'syslog-target', arg: 'required' },
  { long: 'private-key', short: 'p', arg: 'required', unsupported: true },
  { long: 'certificate', short: 'c', arg: 'required', unsupported: true },
  { long: 'ca-cert', short: 'C', arg: 'required', unsupported: true },
  { long: 'ssl-protocols', arg: 'required', unsupported: true },
  { long: 'ssl-ciphers', arg: 'required', unsupported: true },
  { long: 'peer-ca-cert', arg: 'required', unsupported: true },
  { long: 'bootstrap-ca-cert', arg: 'required', unsupported: true },
  { long: 'enable-dummy', arg: 'optional', unsupported: true },
  { long: 'disable-system', arg: 'none', unsupported: true },
  { long: 'disable-system-route', arg: 'none', unsupported: true },
  { long: 'dpdk', arg: 'optional', unsupported: true },
  { long: 'dummy-numa', arg: 'required', unsupported: true },
];

function usageError(message: string): CommandLineExit {
  return new CommandLineExit(1, `${PROGRAM_NAME}: ${message}\n`);
}

function readVersion(): string {
  // package.json sits two levels above the compiled file (dist/src/cli.js).
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The first line of `--version`. */
export function versionText(): string {
  // First line in ovs-vswitchd's shape, so `ovs-ctl`'s `awk '/Open vSwitch/{print $NF}'` reads 3.1.0.
  return `${PROGRAM_NAME} (Open vSwitch) 3.1.0\n${PROGRAM_NAME} ${readVersion()}\n`;
}

/** The text of `--help`. Directory defaults reflect the current environment. */
export function usageText(): string {
  return `${PROGRAM_NAME}: Open vSwitch switch daemon for the Linux kernel datapath
usage: ${PROGRAM_NAME} [OPTIONS] [DATABASE]
DATABASE is the ovsdb-server to take the configuration from
      (default: "${defaultDatabase()}"), for example:
  unix:FILE               Unix domain socket FILE
  tcp:IP:PORT             TCP PORT on IP

Daemon options:
  --detach                run in the background once ready
  --no-chdir              with --detach, stay in the current directory
  --pidfile[=FILE]        write a pidfile (default: ${defaultPidfile()})
  --overwrite-pidfile     with --pidfile, start even if the pidfile is in use
  --monitor               creates a process to monitor this daemon
  --user=USER[:GROUP]     accepted; the daemon keeps the invoking user

Logging options:
  -vSPEC, --verbose=SPEC  set log levels: [MODULE][:console|syslog|file][:LEVEL]
  -v, --verbose           set every module and destination to dbg
  --log-file[=FILE]       log to FILE (default: ${defaultLogFile()})

Other options:
  --unixctl=SOCKET        control socket for ovs-appctl (or "none")
  --mlockall              accepted; memory is not locked
  -h, --help              print this help and exit
  -V, --version           print the version and exit
`;
}

const SYSLOG_METHOD = /^(libc|null|udp:.+|unix:.+)$/;

/** Path-typed option values arrive as an array when repeated; the last one wins, as in OVS. */
function last(v: string | string[]): string {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/**
 * Parses ovs-vswitchd's command line (without the program name). Pure apart from reading the
 * environment for directory defaults; nothing is opened or created. `-v` specs are not
 * validated here, because the modules they name register when the daemon's code loads.
 * @param argv e.g. `process.argv.slice(2)`
 * @throws CommandLineExit for `--help`/`--version` (exit code 0; they act where they appear, so
 *   errors after them are not reported, as with getopt) and for usage errors (exit code 1):
 *   `unrecognized option '--foo'`, `invalid option -- 'x'`, `option '--p' is ambiguous; …`,
 *   `option '--detach' doesn't allow an argument`, `option '--unixctl' requires an argument`,
 *   `option '--private-key' is not supported`, `unsupported syslog method 'X'`,
 *   `at most one non-option argument accepted; use --help for usage`
 */
export function parseArgs(argv: string[]): VswitchdOptions {
  const canonical: string[] = [];
  const operands: string[] = [];
  for (const item of getoptLong(argv, OPTIONS, usageError)) {
    if ('operand' in item) {
      operands.push(item.operand);
      continue;
    }
    const { spec, value } = item;
    if (spec.long === 'help') throw new CommandLineExit(0, usageText());
    if (spec.long === 'version') throw new CommandLineExit(0, versionText());
    if (spec.unsupported) throw usageError(`option '--${spec.long}' is not supported`);
    if (spec.long === 'syslog-method' && !SYSLOG_METHOD.test(value!)) {
      throw usageError(`unsupported syslog method '${value}'`);
    }
    if (spec.long === 'verbose') canonical.push(`--verbose=${value ?? 'dbg'}`);
    else canonical.push(value === undefined ? `--${spec.long}` : `--${spec.long}=${value}`);
  }
  if (operands.length > 1) throw usageError('at most one non-option argument accepted; use --help for usage');
  canonical.push('--', ...operands);

  const args = parseCanonicalArgs(canonical, {
    'detach': { type: 'boolean', default: false },
    'no-chdir': { type: 'boolean', default: false },
    'overwrite-pidfile': { type: 'boolean', default: false },
    'monitor': { type: 'boolean', default: false },
    'mlockall': { type: 'boolean', default: false },
    'no-self-confinement': { type: 'boolean' },
    'pidfile': { type: 'string', coerce: (v: string | string[]) => (last(v) === '' ? defaultPidfile() : absFileName(rundir(), last(v))) },
    'log-file': { type: 'string', coerce: (v: string | string[]) => (last(v) === '' ? defaultLogFile() : path.resolve(last(v))) },
    'unixctl': { type: 'string', coerce: (v: string | string[]) => (last(v) === 'none' ? 'none' : absFileName(rundir(), last(v))) },
    'user': { type: 'string', coerce: last },
    'verbose': { type: 'string', array: true, default: [] as string[] },
    'syslog-method': { type: 'string' },
    'syslog-target': { type: 'string' },
  });

  const opts: VswitchdOptions = {
    database: args._.length > 0 ? String(args._[0]) : defaultDatabase(),
    overwritePidfile: args['overwrite-pidfile'],
    detach: args.detach,
    noChdir: args['no-chdir'],
    verbose: args.verbose,
    monitor: args.monitor,
    mlockall: args.mlockall,
  };
  if (args.pidfile !== undefined) opts.pidfile = args.pidfile;
  if (args['log-file'] !== undefined) opts.logFile = args['log-file'];
  if (args.unixctl !== undefined) opts.unixctl = args.unixctl;
  if (args.user !== undefined) opts.user = args.user;
  return opts;
}

/** The signals that stop the daemon. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** What `main()` needs from the daemon module (`src/vswitchd.ts`). */
export interface VswitchdEntry {
  /** Starts the daemon; resolves once it serves (it keeps running afterwards). */
  runVswitchd(opts: VswitchdOptions, log: VlogModule): Promise<void>;
  /** Stops the daemon; safe to call at any time. */
  shutdown(): Promise<void>;
}

/** Loads the daemon lazily, so parsing (and `--help`) never pays for or depends on it. */
function loadVswitchd(): VswitchdEntry {
  return require('./vswitchd') as VswitchdEntry;
}

/**
 * Runs `ts-vswitchd` with `argv` (without the program name):
 * 1. parses it (`--help`, `--version` and usage errors print and set `process.exitCode`);
 * 2. with `--detach`, in the invoking process: starts the background copy and exits 0 once it is
 *    ready, or with its status (reporting why) if it ends first;
 * 3. loads the daemon (so its log modules exist), applies the `-v` specs in order (a bad one:
 *    `ts-vswitchd: processing "SPEC": REASON`, exit 1) and opens `--log-file` (failure: exit 1);
 * 4. with `--monitor`, unless this process is the monitored daemon: becomes the monitor
 *    (`monitorDaemon()`), which starts the daemon as a copy of this process, and resolves;
 * 5. logs what it accepts without supporting it (`--mlockall`, `--user`);
 * 6. writes the pidfile (failure is fatal) and arranges for it to be removed at exit;
 * 7. on SIGTERM or SIGINT: logs `terminating with signal N (Text)`, awaits `shutdown()`, removes
 *    the pidfile and exits 0 (a second signal exits 1 at once); on SIGHUP: reopens the log file
 *    (as `ovs-appctl vlog/reopen`), so log rotation can move it away;
 * 8. awaits `runVswitchd()` (a rejection is fatal: logged at EMER, printed, exit 1) and then
 *    completes startup (`daemonizeComplete()`: tells the `--detach` invoker or the monitor).
 * Resolves once the daemon (or the monitor) runs; the process keeps running on its handles.
 * @param load returns the daemon module; tests substitute a fake
 */
export async function main(argv: string[], load: () => VswitchdEntry = loadVswitchd): Promise<void> {
  let opts: VswitchdOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof CommandLineExit)) throw e;
    (e.exitCode === 0 ? process.stdout : process.stderr).write(e.output);
    process.exitCode = e.exitCode;
    return;
  }

  const daemonLog = vlogModule('daemon_unix');
  if (opts.detach && daemonRole() === 'invoked') {
    const outcome = await detachStart(argv);
    if (outcome.ready) process.exit(0);
    if (outcome.exitCode) process.exit(outcome.exitCode);
    daemonLog.err(`fork child died before signaling startup (${outcome.reason})`);
    vlogFatal(daemonLog, 'could not detach from foreground session');
  }

  const vswitchd = load();
  for (const spec of opts.verbose) {
    try {
      vlogSetSpec(spec);
    } catch (e) {
      process.stderr.write(`${PROGRAM_NAME}: processing "${spec}": ${(e as Error).message}\n`);
      process.exit(1);
    }
  }
  if (opts.logFile) {
    try {
      vlogOpenFile(opts.logFile);
    } catch {
      // vlogOpenFile already logged why.
      process.exit(1);
    }
  }

  if (opts.monitor && daemonRole() !== 'monitored') {
    monitorDaemon({ args: argv, detach: opts.detach });
    return;
  }

  const log: VlogModule = vlogModule('vswitchd');
  if (opts.mlockall) log.info('mlockall not supported by ts-vswitchd; memory is not locked');
  if (opts.user) log.warn(`--user=${opts.user} not supported by ts-vswitchd; running as uid ${process.getuid?.()}`);

  const pidfile = opts.pidfile;
  if (pidfile) {
    try {
      writePidfile(pidfile, { overwrite: opts.overwritePidfile });
    } catch (e) {
      vlogFatal(daemonLog, (e as Error).message);
    }
    process.on('exit', () => removePidfile(pidfile));
  }

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    const number = os.constants.signals[signal];
    log.warn(`terminating with signal ${number} (${signalDescription(signal)})`);
    if (stopping) process.exit(1);
    stopping = true;
    vswitchd.shutdown().then(
      () => process.exit(0),
      (e: unknown) => {
        log.err(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  process.on('SIGHUP', () => {
    if (!opts.logFile) return;
    try {
      vlogReopen();
    } catch {
      // vlogOpenFile() logged why; logging goes on to the file already open.
    }
  });

  try {
    await vswitchd.runVswitchd(opts, log);
  } catch (e) {
    vlogFatal(log, e instanceof Error ? e.message : String(e));
  }
  daemonizeComplete({ detach: opts.detach, noChdir: opts.noChdir });
}
