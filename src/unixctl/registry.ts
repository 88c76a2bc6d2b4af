/**
 * The unixctl command registry: the commands `ovs-appctl` can run in this daemon, with their
 * usage text and argument counts, and the rules OVS applies before a command runs
 * (`unixctl_command_register()` and `process_command()` in OVS's `lib/unixctl.c`).
 *
 * A command is a name (`vlog/set`), a usage string shown by `list-commands` (null hides the
 * command from that list, as OVS does for deprecated aliases), the least and most arguments it
 * takes, and a handler. The handler gets the arguments (without the command name) and returns
 * the reply text, or throws {@link UnixctlError} to make `ovs-appctl` print the text on stderr
 * and exit with status 2.
 */

/**
 * Thrown by a handler to answer with an error reply: `ovs-appctl` prints the message on stderr,
 * then `ovs-appctl: TARGET: server returned an error`, and exits with status 2.
 */
export class UnixctlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnixctlError';
  }
}

/**
 * Runs one command.
 * @param args the arguments after the command name, each a string (the registry has already
 *   checked their number against the command's bounds)
 * @returns the reply text (a trailing newline is added when missing; "" stays empty)
 * @throws UnixctlError for an error reply; any other exception also becomes an error reply
 *   (with its message), but is a bug in the handler and is logged as such by the server
 */
export type UnixctlHandler = (args: string[]) => string | Promise<string>;

/** One registered command. */
export interface UnixctlCommand {
  readonly name: string;
  /** Argument synopsis for `list-commands` (e.g. `[--cleanup]`, `""` for none); null hides it. */
  readonly usage: string | null;
  /** Fewest arguments accepted. */
  readonly minArgs: number;
  /** Most arguments accepted; `Infinity` for no limit (OVS: `INT_MAX`). */
  readonly maxArgs: number;
  readonly handler: UnixctlHandler;
}

/** What a command produced: the text of a reply (`ok`) or of an error reply. */
export interface UnixctlOutcome {
  ok: boolean;
  text: string;
}

/** Byte-wise comparison, as `strcmp()` (and OVS's `shash_sort()`) orders names. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** OVS's reply body rule: a non-empty body gets a trailing newline if it lacks one. */
export function replyBody(text: string): string {
  return text !== '' && !text.endsWith('\n') ? `${text}\n` : text;
}

/** The command registry of one daemon. */
export class UnixctlRegistry {
  private readonly commands = new Map<string, UnixctlCommand>();

  /**
   * Registers `name`. Registering a name again with the same handler does nothing (as in OVS,
   * where modules may register their commands more than once).
   * @param usage see {@link UnixctlCommand.usage}
   * @throws Error when `name` is already registered with a different handler, or the argument
   *   bounds are not `0 <= minArgs <= maxArgs`
   */
  register(name: string, usage: string | null, minArgs: number, maxArgs: number, handler: UnixctlHandler): void {
    const existing = this.commands.get(name);
    if (existing) {
      if (existing.handler !== handler) throw new Error(`unixctl command "${name}" is already registered`);
      return;
    }
    if (!(Number.isInteger(minArgs) && minArgs >= 0 && maxArgs >= minArgs)) {
      throw new Error(`unixctl command "${name}": bad argument bounds ${minArgs}..${maxArgs}`);
    }
    this.commands.set(name, { name, usage, minArgs, maxArgs, handler });
  }

  /** The command registered as `name`, if any. */
  get(name: string): UnixctlCommand | undefined {
    return this.commands.get(name);
  }

  /** Every registered name, in byte order. */
  names(): string[] {
    return [...this.commands.keys()].sort(byteOrder);
  }

  /**
   * The text of `list-commands`: `The available commands are:` and one line per visible command
   * in byte order of names, the name padded to 23 columns, e.g. `  exit                    [--cleanup]`.
   */
  listCommands(): string {
    const lines = ['The available commands are:\n'];
    for (const name of this.names()) {
      const c = this.commands.get(name)!;
      if (c.usage !== null) lines.push(`  ${name.padEnd(23)} ${c.usage}\n`);
    }
    return lines.join('');
  }

  /**
   * Runs a request the way OVS's unixctl server does: checks that the command exists, that the
   * number of parameters is within its bounds and that every parameter is a string, then calls
   * the handler. The error texts are OVS's, e.g.
   * `"foo" is not a valid command (use "list-commands" to see a list of valid commands)`,
   * `"exit" command takes at most 1 arguments`, `"fdb/show" command requires at least 1 arguments`,
   * `"exit" command has non-string argument`.
   * @param method the request's method (the command name)
   * @param params the request's parameters, as parsed from JSON
   * @returns the reply, its text already following {@link replyBody}
   */
  async execute(method: string, params: readonly unknown[]): Promise<UnixctlOutcome & { bug?: unknown }> {
    const c = this.commands.get(method);
    if (!c) {
      return { ok: false, text: replyBody(`"${method}" is not a valid command (use "list-commands" to see a list of valid commands)`) };
    }
    if (params.length < c.minArgs) {
      return { ok: false, text: replyBody(`"${method}" command requires at least ${c.minArgs} arguments`) };
    }
    if (params.length > c.maxArgs) {
      return { ok: false, text: replyBody(`"${method}" command takes at most ${c.maxArgs} arguments`) };
    }
    if (!params.every((p): p is string => typeof p === 'string')) {
      return { ok: false, text: replyBody(`"${method}" command has non-string argument`) };
    }
    try {
      return { ok: true, text: replyBody(await c.handler(params as string[])) };
    } catch (e) {
      if (e instanceof UnixctlError) return { ok: false, text: replyBody(e.message) };
      return { ok: false, text: replyBody(e instanceof Error ? e.message : String(e)), bug: e };
    }
  }
}
