/**
 * The `ovs-dpctl` command line (OVS 3.1 utilities/ovs-dpctl.c):
 *
 *     ovs-dpctl [OPTIONS] COMMAND [ARG...]
 *
 * Options are found with `getopt_long()`'s rules, as OVS does: options and operands may be mixed
 * (`ovs-dpctl dump-flows -m` works), `--` ends the options, a long option may be abbreviated to
 * an unambiguous prefix, `-t`/`--timeout` takes a value (attached or as the next word), `-v` and
 * `--log-file` take one only when attached, and errors use getopt's wording
 * (`unrecognized option '--foo'`, `invalid option -- 'x'`). The scanner hands yargs a canonical
 * argument list, and yargs builds the typed options.
 *
 * The program name in messages is the name it was invoked under (OVS's `set_program_name()`),
 * so a `ovs-dpctl` symlink to `bin/ts-dpctl` prints exactly what `ovs-dpctl` prints.
 */
import * as os from 'os';
import * as path from 'path';
import { DpifNetlink } from '../dpif-netlink/dpif';
import { NetlinkError } from '../genl/netlink';
import { getoptLong, parseCanonicalArgs, type OptionSpec } from '../util/getopt';
import { defaultDpctlParams, runDpctlCommand, type DpctlParams, type DpctlResult } from './commands';
import { applyVlogSpec, defaultVlogSettings, type VlogSettings } from './output';

/** ovs-dpctl's `long_options` plus `VLOG_LONG_OPTIONS`, in OVS's table order. */
const OPTIONS: readonly OptionSpec[] = [
  { long: 'statistics', short: 's', arg: 'none' },
  { long: 'clear', arg: 'none' },
  { long: 'may-create', arg: 'none' },
  { long: 'read-only', arg: 'none' },
  { long: 'more', short: 'm', arg: 'none' },
  { long: 'names', arg: 'none' },
  { long: 'no-names', arg: 'none' },
  { long: 'timeout', short: 't', arg: 'required' },
  { long: 'help', short: 'h', arg: 'none' },
  { long: 'option', short: 'o', arg: 'none' },
  { long: 'version', short: 'V', arg: 'none' },
  { long: 'verbose', short: 'v', arg: 'optional' },
  { long: 'log-file', arg: 'optional' },
  { long: 'syslog-method', arg: 'required' },
  { long: 'syslog-target', arg: 'required' },
];

/** The command line asks to stop now: help/version text (code 0) or a usage error (code 1). */
export class DpctlExit extends Error {
  constructor(readonly exitCode: number, readonly stdout: string, readonly stderr = '') {
    super((stderr || stdout).trimEnd());
    this.name = 'DpctlExit';
  }
}

/** A parsed command line. */
export interface DpctlCommandLine {
  params: DpctlParams;
  /** The command and its arguments. */
  command: string[];
  /** `-t SECS`: give up after this many seconds. */
  timeoutSecs?: number;
  vlog: VlogSettings;
}

/** `OVS_LOGDIR` or the compiled-in default. */
function logdir(): string {
  return process.env.OVS_LOGDIR ?? '/var/log/openvswitch';
}

/** The text of `--help` (and of the `help` command), with `program` as OVS prints `program_name`. */
export function usageText(program: string): string {
  return `${program}: Open vSwitch datapath management utility
usage: ${program} [OPTIONS] COMMAND [ARG...]
  add-dp DP [IFACE...]     add new datapath DP (with IFACEs)
  del-dp DP                delete local datapath DP
  add-if DP IFACE...       add each IFACE as a port on DP
  set-if DP IFACE...       reconfigure each IFACE within DP
  del-if DP IFACE...       delete each IFACE from DP
  dump-dps                 display names of all datapaths
  show                     show basic info on all datapaths
  show DP...               show basic info on each DP
  dump-flows [DP]          display flows in DP
  add-flow [DP] FLOW ACTIONS add FLOW with ACTIONS to DP
  add-flows [DP] FILE        add flows from FILE
  mod-flow [DP] FLOW ACTIONS change FLOW actions to ACTIONS in DP
  mod-flows [DP] FILE        change flows from FILE
  get-flow [DP] ufid:UFID    fetch flow corresponding to UFID
  del-flow [DP] FLOW         delete FLOW from DP
  del-flows [DP] [FILE]      delete all or specified flows from DP
  cache-get-size [DP]             Show the current size for all caches
  cache-set-size DP CACHE SIZE  Set cache size for a specific cache
  dump-conntrack [DP] [zone=ZONE]  display conntrack entries for ZONE
  flush-conntrack [DP] [zone=ZONE] [ct-tuple]delete matched conntrack entries in ZONE
  ct-stats-show [DP] [zone=ZONE] [verbose] CT connections grouped by protocol
  ct-bkts [DP] [gt=N] display connections per CT bucket
Each IFACE on add-dp, add-if, and set-if may be followed by
comma-separated options.  See ovs-dpctl(8) for syntax, or the
Interface table in ovs-vswitchd.conf.db(5) for an options list.
For COMMAND dump-flows, add-flow, add-flows, mod-flow,
mod-flows, del-flow and del-flows, DP is optional if there is
only one datapath.

Logging options:
  -vSPEC, --verbose=SPEC   set logging levels
  -v, --verbose            set maximum verbosity level
  --log-file[=FILE]        enable logging to specified FILE
                           (default: ${logdir()}/${program}.log)
  --syslog-method=(libc|unix:file|udp:ip:port)
                           specify how to send messages to syslog daemon
  --syslog-target=HOST:PORT  also send syslog msgs to HOST:PORT via UDP

Options for show and mod-flow:
  -s,  --statistics           print statistics for port or flow

Options for dump-flows:
  -m, --more                  increase verbosity of output
  --names                     use port names in output

Options for mod-flow:
  --may-create                create flow if it doesn't exist
  --read-only                 do not run read/write commands
  --clear                     reset existing stats to zero

Other options:
  -t, --timeout=SECS          give up after SECS seconds
  -h, --help                  display this help message
  -V, --version               display version information
`;
}

/** `ovs_cmdl_print_options()`: the `-o`/`--option` listing. */
function optionsText(): string {
  let s = '';
  for (const o of OPTIONS) {
    const arg = o.arg === 'required' ? 'ARG' : '[ARG]';
    s += `--${o.long}${o.arg !== 'none' ? `=${arg}` : ''}\n`;
    if (o.short) s += `-${o.short} ${o.arg !== 'none' ? arg : ''}\n`;
  }
  return s;
}

/**
 * Parses ovs-dpctl's command line (without the program name).
 * @param program the name messages start with
 * @throws DpctlExit for `--help`, `--version`, `--option` (code 0) where they appear, and for
 *   usage errors (code 1), e.g. `unrecognized option '--foo'`, `value 0 on -t or --timeout is invalid`
 */
export function parseDpctlArgs(argv: readonly string[], program: string): DpctlCommandLine {
  const canonical: string[] = [];
  const operands: string[] = [];
  const vlog = defaultVlogSettings();
  const fail = (message: string) => new DpctlExit(1, '', `${program}: ${message}\n`);
  for (const item of getoptLong(argv, OPTIONS, fail)) {
    if ('operand' in item) {
      operands.push(item.operand);
      continue;
    }
    const { spec, value } = item;
    switch (spec.long) {
      case 'help':
        throw new DpctlExit(0, usageText(program));
      case 'option':
        throw new DpctlExit(0, optionsText());
      case 'version':
        throw new DpctlExit(0, `${program} (Open vSwitch) 3.1.0\n`);
      case 'timeout':
        if (!/^[0-9]+$/.test(value ?? '') || Number(value) === 0 || Number(value) > 0xffffffff) {
          throw new DpctlExit(1, '', `${program}: value ${value} on -t or --timeout is invalid\n`);
        }
        break;
      case 'verbose': {
        const err = value === undefined ? applyVlogSpec(vlog, '') : applyVlogSpec(vlog, value);
        if (err) throw new DpctlExit(1, '', `${program}: processing "${value}": ${err}\n`);
        break;
      }
      case 'log-file':
        vlog.file = { path: path.resolve(value || `${logdir()}/${program}.log`), levels: new Map([['*', 'INFO']]) };
        break;
      default:
        break;
    }
    canonical.push(value === undefined ? `--${spec.long}` : `--${spec.long}=${value}`);
  }
  canonical.push('--', ...operands);

  const args = parseCanonicalArgs(canonical, {
    'statistics': { type: 'boolean', default: false },
    'clear': { type: 'boolean', default: false },
    'may-create': { type: 'boolean', default: false },
    'read-only': { type: 'boolean', default: false },
    'more': { type: 'count' },
    'names': { type: 'boolean' },
    'no-names': { type: 'boolean' },
    'timeout': { type: 'string', array: true },
    'verbose': { type: 'string', array: true },
    'log-file': { type: 'string', array: true },
    'syslog-method': { type: 'string', array: true },
    'syslog-target': { type: 'string', array: true },
  });

  const params = defaultDpctlParams();
  params.printStatistics = args.statistics;
  params.zeroStatistics = args.clear;
  params.mayCreate = args['may-create'];
  params.readOnly = args['read-only'];
  params.verbosity = args.more ?? 0;
  // --names and --no-names: the last one given wins; without either, names follow -m.
  let names: boolean | undefined;
  for (const w of canonical) {
    if (w === '--names') names = true;
    else if (w === '--no-names') names = false;
  }
  params.names = names ?? params.verbosity > 0;
  const timeouts = args.timeout ?? [];
  const cl: DpctlCommandLine = { params, command: args._.map(String), vlog };
  if (timeouts.length) cl.timeoutSecs = Number(timeouts[timeouts.length - 1]);
  return cl;
}

/** Commands that never touch the kernel (no control socket needed). */
const OFFLINE = new Set(['help', 'list-commands', 'parse-actions', 'normalize-actions']);

/**
 * Runs a parsed command line: opens the control socket when the command needs the kernel (a
 * missing openvswitch module turns into that errno for every request), runs the command.
 */
export async function executeDpctl(cl: DpctlCommandLine, program: string): Promise<DpctlResult> {
  let dpif: DpifNetlink | number = 0;
  if (cl.command.length > 0 && !OFFLINE.has(cl.command[0])) {
    try {
      dpif = await DpifNetlink.open();
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      dpif = e.errno;
    }
  }
  try {
    return await runDpctlCommand(dpif, cl.command, { program, params: cl.params, usage: usageText(program), vlog: cl.vlog });
  } finally {
    if (typeof dpif !== 'number') dpif.close();
  }
}

/**
 * Runs one `ovs-dpctl` invocation and returns what it printed and its exit code.
 * @param argv arguments after the program name
 * @param program the name messages start with
 */
export async function runDpctl(argv: readonly string[], program: string): Promise<DpctlResult> {
  try {
    return await executeDpctl(parseDpctlArgs(argv, program), program);
  } catch (e) {
    if (e instanceof DpctlExit) return { stdout: e.stdout, stderr: e.stderr, exitCode: e.exitCode };
    throw e;
  }
}

/**
 * Entry point of `bin/ts-dpctl`: runs the command, writes its output, sets the exit code.
 * `-t SECS` ends the process with SIGALRM after SECS seconds, as OVS's `time_alarm()` does.
 * @param argv `process.argv.slice(2)`
 * @param program defaults to the basename the script was invoked under
 */
export async function main(argv: string[], program = path.basename(process.argv[1] ?? 'ts-dpctl')): Promise<void> {
  let r: DpctlResult;
  try {
    const cl = parseDpctlArgs(argv, program);
    if (cl.timeoutSecs !== undefined) {
      setTimeout(() => process.kill(process.pid, os.constants.signals.SIGALRM), cl.timeoutSecs * 1000).unref();
    }
    r = await executeDpctl(cl, program);
  } catch (e) {
    if (!(e instanceof DpctlExit)) throw e;
    r = { stdout: e.stdout, stderr: e.stderr, exitCode: e.exitCode };
  }
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  process.exitCode = r.exitCode;
}
