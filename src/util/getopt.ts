/**
 * Command-line scanning shared by the programs (`ts-vswitchd`, `ovs-dpctl`): a walk over the
 * arguments with glibc `getopt_long()`'s rules (the parser OVS uses), and the yargs step that
 * turns the canonical argument list the walk produces into typed options.
 */
import yargs from 'yargs/yargs';
import type { Options } from 'yargs';

/** Whether an option takes a value: never, always, or only when attached (`--x=V`, `-xV`). */
export type ArgKind = 'none' | 'required' | 'optional';

/** One entry of a program's option table (getopt's `struct option`, plus the short letter). */
export interface OptionSpec {
  long: string;
  short?: string;
  arg: ArgKind;
}

/** What {@link getoptLong} yields: an option with its value (if one was given), or an operand. */
export type Scanned<S extends OptionSpec> = { spec: S; value?: string } | { operand: string };

/**
 * Walks `argv` (without the program name) as `getopt_long()` would, yielding options and
 * operands in order without acting on them: options and operands may be mixed, `--` ends the
 * options, a long option may be abbreviated to an unambiguous prefix of an entry of `options`
 * (an exact name always wins), a required value may follow as the next word, an optional one is
 * taken only when attached, and short options may be clustered (`-hV`, `-vSPEC`, `-pFILE`).
 * A malformed word throws only when the walk reaches it, so `--help` before it still wins.
 *
 * @param options the program's table, in its order (which orders the "ambiguous" message)
 * @param fail makes the error to throw from getopt's message (`unrecognized option '--foo'`,
 *   `option '--p' is ambiguous; possibilities: '--pidfile' …`, `option '--x' doesn't allow an
 *   argument`, `option '--x' requires an argument`, `invalid option -- 'x'`, `option requires an
 *   argument -- 'x'`); the message names what was typed, `=VALUE` included, as glibc does
 */
export function* getoptLong<S extends OptionSpec>(
  argv: readonly string[],
  options: readonly S[],
  fail: (message: string) => Error,
): Generator<Scanned<S>> {
  const lookupLong = (name: string, typed: string): S => {
    const exact = options.find((o) => o.long === name);
    if (exact) return exact;
    const candidates = options.filter((o) => o.long.startsWith(name));
    if (candidates.length === 1) return candidates[0];
    if (candidates.length === 0) throw fail(`unrecognized option '--${typed}'`);
    throw fail(`option '--${typed}' is ambiguous; possibilities:${candidates.map((o) => ` '--${o.long}'`).join('')}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      for (const operand of argv.slice(i + 1)) yield { operand };
      return;
    }
    if (word.startsWith('--')) {
      const body = word.slice(2);
      const eq = body.indexOf('=');
      const spec = lookupLong(eq < 0 ? body : body.slice(0, eq), body);
      if (eq >= 0) {
        if (spec.arg === 'none') throw fail(`option '--${spec.long}' doesn't allow an argument`);
        yield { spec, value: body.slice(eq + 1) };
      } else if (spec.arg === 'required') {
        if (i + 1 >= argv.length) throw fail(`option '--${spec.long}' requires an argument`);
        yield { spec, value: argv[++i] };
      } else {
        yield { spec };
      }
      continue;
    }
    if (word.startsWith('-') && word !== '-') {
      // A cluster of short options: -hV, -vSPEC, -pFILE or -p FILE.
      for (let j = 1; j < word.length; j++) {
        const c = word[j];
        const spec = options.find((o) => o.short === c);
        if (!spec) throw fail(`invalid option -- '${c}'`);
        const rest = word.slice(j + 1);
        if (spec.arg === 'none') {
          yield { spec };
          continue;
        }
        if (rest !== '') {
          yield { spec, value: rest };
        } else if (spec.arg === 'required') {
          if (i + 1 >= argv.length) throw fail(`option requires an argument -- '${c}'`);
          yield { spec, value: argv[++i] };
        } else {
          yield { spec };
        }
        break;
      }
      continue;
    }
    yield { operand: word };
  }
}

/**
 * Parses a canonical argument list (`--name` / `--name=VALUE` words, then `--` and the operands,
 * as built from {@link getoptLong}'s output) with yargs into typed options: no negation, no
 * camel-case keys, no number parsing, repeated options collected, strict about unknown names.
 *
 * @param options the yargs option declarations (every name the scanner can emit)
 * @returns yargs' parsed arguments (`_` holds the operands, as strings)
 * @throws Error `internal command-line error: …` when yargs refuses the list: the scanner emits
 *   only declared options, so this is a bug in the caller
 */
export function parseCanonicalArgs<O extends { [key: string]: Options }>(canonical: string[], options: O) {
  let failure: string | undefined;
  const args = yargs(canonical)
    .parserConfiguration({
      'boolean-negation': false,
      'camel-case-expansion': false,
      'dot-notation': false,
      'duplicate-arguments-array': true,
      'flatten-duplicate-arrays': true,
      'greedy-arrays': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'short-option-groups': false,
      'populate--': false,
    })
    .options(options)
    .strict()
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => { failure = msg || err?.message; })
    .parseSync();
  if (failure !== undefined) throw new Error(`internal command-line error: ${failure}`);
  return args;
}
