/**
 * The `ovs-appctl dpctl/<command>` side of the dpctl commands, for the daemon's unixctl server:
 * OVS 3.1's `dpctl_unixctl_handler()` (lib/dpctl.c). Options are taken from the front of the
 * arguments only (`--statistics`, `--clear`, `--may-create`, `--more`, `--names`, `--no-names`,
 * `-m`, `-s` and clusters of the last two), the command runs with `is_appctl` set (so
 * `dump-flows type=…` is allowed), and everything the command prints — output and error
 * messages alike, in order — becomes the one reply text. Log messages go to the daemon's log.
 */
import type { DpifNetlink } from '../dpif-netlink/dpif';
import { defaultDpctlParams, DPCTL_COMMAND_NAMES, runDpctlCommand, type DpctlParams } from './commands';
import type { VlogLevel } from './output';
import type { LinkOps } from './rtnl';

/** What the unixctl server sends back. */
export interface AppctlReply {
  /** The reply text. */
  text: string;
  /** true: `unixctl_command_reply_error()`; false: `unixctl_command_reply()`. */
  error: boolean;
}

/** The unixctl commands dpctl registers: `dpctl/<name>` for every command but `help`. */
export const DPCTL_APPCTL_COMMANDS: readonly string[] = DPCTL_COMMAND_NAMES.filter((n) => n !== 'help').map((n) => `dpctl/${n}`);

/** How {@link runDpctlAppctl} talks to the daemon. */
export interface DpctlAppctlOptions {
  /** Where log messages go (the daemon's vlog). */
  log: (module: string, level: VlogLevel, text: string) => void;
  /** The daemon's program name, which error messages start with. Default `ovs-vswitchd`. */
  program?: string;
  /** rtnetlink client factory (default: a real socket); tests pass fakes. */
  rtnl?: () => LinkOps;
}

/**
 * Takes the options from the front of a `dpctl/<command>` argument list as OVS's
 * `dpctl_unixctl_handler()` does: `--statistics`/`-s`, `--clear`, `--may-create`, `--more`/`-m`
 * (repeatable), `--names`/`--no-names` (the last wins; default: names when verbose), clusters of
 * `-m` and `-s`; the first word that is not an option (or a lone `-`) starts the rest.
 * @returns the parameters (with `isAppctl` set) and the remaining words, or the reply text for an
 *   unknown option (`Unrecognized option --xyz`, `Unrecognized option -x`)
 */
export function parseDpctlAppctlOptions(args: readonly string[]): { params: DpctlParams; rest: string[] } | { error: string } {
  const params: DpctlParams = { ...defaultDpctlParams(), isAppctl: true };
  let names: boolean | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('--')) {
      if (arg === '--statistics') params.printStatistics = true;
      else if (arg === '--clear') params.zeroStatistics = true;
      else if (arg === '--may-create') params.mayCreate = true;
      else if (arg === '--more') params.verbosity++;
      else if (arg === '--names') names = true;
      else if (arg === '--no-names') names = false;
      else return { error: `Unrecognized option ${arg}` };
    } else if (arg.startsWith('-') && arg.length > 1) {
      for (const c of arg.slice(1)) {
        if (c === 'm') params.verbosity++;
        else if (c === 's') params.printStatistics = true;
        else return { error: `Unrecognized option -${c}` };
      }
    } else break;
  }
  params.names = names ?? params.verbosity > 0;
  return { params, rest: args.slice(i) };
}

/**
 * Runs `ovs-appctl dpctl/<command> [options] args…` inside the daemon.
 * @param dpif the daemon's datapath interface
 * @param command the command name without the `dpctl/` prefix
 * @param args the arguments after the command name
 */
export async function runDpctlAppctl(dpif: DpifNetlink, command: string, args: readonly string[], options: DpctlAppctlOptions): Promise<AppctlReply> {
  const parsed = parseDpctlAppctlOptions(args);
  if ('error' in parsed) return { text: parsed.error, error: true };
  const r = await runDpctlCommand(dpif, [command, ...parsed.rest], {
    program: options.program ?? 'ovs-vswitchd', params: parsed.params, usage: '', logSink: options.log, ...(options.rtnl ? { rtnl: options.rtnl } : {}),
  });
  return { text: r.combined ?? r.stdout + r.stderr, error: r.exitCode !== 0 };
}
