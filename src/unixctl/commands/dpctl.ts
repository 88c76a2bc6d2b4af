/**
 * `dpctl/*`: the `ovs-dpctl` commands run inside the daemon (OVS's `dpctl_unixctl_register()`
 * and `dpctl_unixctl_handler()` in `lib/dpctl.c`), on the daemon's own datapath control socket.
 *
 * Every command of `src/dpctl` except `help` is registered as `dpctl/NAME` with its usage text.
 * Leading options are taken as OVS takes them there: `-m`/`--more` (more verbose, repeatable),
 * `-s`/`--statistics`, `--clear`, `--may-create`, `--names`/`--no-names` (default: names when
 * verbose); an unknown one is answered with `Unrecognized option -x` / `Unrecognized option --xyz`.
 * What the command prints, errors included, forms one reply (output first, then errors); a
 * failing command makes it an error reply. Log lines the command emits are dropped.
 *
 * Difference: OVS checks each command's argument count (options included) before running it
 * and answers with unixctl's wording; `src/dpctl` does not export its table of counts, so here
 * the command checks them itself, in `ovs-dpctl`'s wording.
 */
import { parseDpctlAppctlOptions } from '../../dpctl/appctl';
import { defaultDpctlParams, DPCTL_COMMAND_NAMES, runDpctlCommand } from '../../dpctl/commands';
import type { VlogSettings } from '../../dpctl/output';
import { PROGRAM_NAME } from '../../util/dirs';
import { UnixctlError, UnixctlRegistry } from '../registry';
import type { PartsGetter } from './parts';

/**
 * No log lines in replies: in OVS they go to the daemon's log, not to the `ovs-appctl` caller
 * (src/dpctl cannot hand them to our vlog, so they are dropped).
 */
const NO_CONSOLE_LOG: VlogSettings = { console: new Map([['*', 'OFF']]) };

/** What `ovs-dpctl` answers without a datapath socket: ENOENT, as without the kernel module. */
const ENOENT = 2;

/**
 * The usage text of every dpctl command, from the dpctl module's own `list-commands` (appctl
 * form: `  dpctl/NAME USAGE`).
 */
async function usages(): Promise<Map<string, string>> {
  const r = await runDpctlCommand(ENOENT, ['list-commands'], {
    program: PROGRAM_NAME, params: { ...defaultDpctlParams(), isAppctl: true }, usage: '',
  });
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^ {2}dpctl\/(\S+) +(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** Registers `dpctl/NAME` for every dpctl command but `help`. */
export async function registerDpctlCommands(registry: UnixctlRegistry, parts: PartsGetter): Promise<void> {
  const usage = await usages();
  for (const name of DPCTL_COMMAND_NAMES) {
    if (name === 'help') continue;
    registry.register(`dpctl/${name}`, usage.get(name) ?? '', 0, Infinity, async (args) => {
      const parsed = parseDpctlAppctlOptions(args);
      if ('error' in parsed) throw new UnixctlError(parsed.error);
      const r = await runDpctlCommand(parts().dpif ?? ENOENT, [name, ...parsed.rest], { program: PROGRAM_NAME, params: parsed.params, usage: '', vlog: NO_CONSOLE_LOG });
      const text = r.stdout + r.stderr;
      if (r.exitCode !== 0) throw new UnixctlError(text);
      return text;
    });
  }
}
