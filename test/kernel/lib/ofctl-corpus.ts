/**
 * The ovs-ofctl corpus (test/kernel/corpus/ofctl.txt): its parser, the bash script that plays it
 * against one switch in a single process, and the normalisation applied before two switches'
 * outputs are compared. Shared by the kernel test test/kernel/ofctl.test.ts and the unit test
 * test/unit/ofctl-corpus.test.ts; pure apart from {@link writeCorpusFiles} and
 * {@link readOutcomes}.
 *
 * Corpus format, line by line (leading and trailing blanks are ignored outside file bodies):
 * - blank lines and lines whose first non-blank character is `#` are comments;
 * - `== NAME TITLE…` starts a group named NAME (`[a-z0-9-]+`, unique). The corpus itself brings
 *   the switch to a known state at the start of a group (typically with `del-flows`); the runner
 *   adds nothing between groups;
 * - `@file NAME` … `@end` defines a file (NAME `[a-z0-9-]+`, unique); the lines in between are
 *   its content, verbatim (comments included), each ended by a newline;
 * - any other line is one invocation inside the current group: the arguments of `ovs-ofctl`,
 *   split into words as a POSIX shell would (blanks separate words; `'…'` is literal; inside
 *   `"…"` a backslash escapes `"`, `\`, `$` and backquote; outside quotes a backslash escapes
 *   the next character). No expansion happens except these substitutions, in every word:
 *   `$BR` becomes the switch (the bridge name), and a word `@NAME` becomes the path of file NAME.
 *   A line may end with the two words `<` `@NAME`: the file is then the invocation's standard
 *   input (otherwise /dev/null).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One ovs-ofctl invocation of the corpus. */
export interface Invocation {
  /**
   * Stable identity: `GROUP: LINE` with LINE the trimmed line text, plus ` #K` for the K-th
   * (K ≥ 2) identical line of the same group. Stays put when other lines are added or removed.
   */
  id: string;
  /** Name of the group the line belongs to. */
  group: string;
  /** 1-based line number in the corpus text. */
  line: number;
  /** Arguments after `ovs-ofctl`, as written: `$BR` and `@NAME` not substituted yet. */
  args: string[];
  /** Name of the corpus file given on standard input (`< @NAME`), if any. */
  stdin?: string;
}

/** A group of invocations that starts from a state the group itself establishes. */
export interface Group {
  name: string;
  /** The free text after the name on the `==` line. */
  title: string;
  /** 1-based line number of the `==` line. */
  line: number;
}

/** A parsed corpus. */
export interface Corpus {
  /** Groups in file order. */
  groups: Group[];
  /** Invocations in file order (the order they run in). */
  invocations: Invocation[];
  /** File name → content, as defined by `@file` blocks. */
  files: Map<string, string>;
}

/** Syntax error in the corpus text. */
export class CorpusError extends Error {
  constructor(
    /** 1-based line number of the offending line. */
    readonly line: number,
    message: string,
  ) {
    super(`corpus line ${line}: ${message}`);
    this.name = 'CorpusError';
  }
}

const NAME = /^[a-z0-9-]+$/;

/**
 * Splits one line into words the way a POSIX shell does, without any expansion.
 * @param line the text after comments were ruled out
 * @returns the words, quotes removed
 * @throws Error on an unterminated quote or a trailing backslash
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      word += line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      for (i++; ; i++) {
        if (i >= line.length) throw new Error('unterminated double quote');
        const d = line[i];
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) word += line[++i];
        else word += d;
      }
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('trailing backslash');
      word += line[++i];
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * Parses corpus text (see the module comment for the format).
 * @param text the whole corpus file
 * @returns groups, invocations and files
 * @throws CorpusError on a malformed line, an invocation outside any group, a duplicate group or
 *   file name, an unterminated `@file`, or a reference to a file that is never defined
 */
export function parseCorpus(text: string): Corpus {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const groups: Group[] = [];
  const invocations: Invocation[] = [];
  const files = new Map<string, string>();
  const references: { name: string; line: number }[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    if (raw.startsWith('==')) {
      const [, name = '', title = ''] = /^==\s*(\S*)\s*(.*)$/.exec(raw) ?? [];
      if (!NAME.test(name)) throw new CorpusError(lineNo, `bad group name "${name}"`);
      if (groups.some((g) => g.name === name)) throw new CorpusError(lineNo, `group "${name}" defined twice`);
      groups.push({ name, title, line: lineNo });
      continue;
    }
    if (raw.startsWith('@file')) {
      const name = raw.slice('@file'.length).trim();
      if (!NAME.test(name)) throw new CorpusError(lineNo, `bad file name "${name}"`);
      if (files.has(name)) throw new CorpusError(lineNo, `file "${name}" defined twice`);
      const body: string[] = [];
      for (i++; i < lines.length && lines[i].trim() !== '@end'; i++) body.push(lines[i]);
      if (i >= lines.length) throw new CorpusError(lineNo, `@file ${name} has no @end`);
      files.set(name, body.map((l) => `${l}\n`).join(''));
      continue;
    }
    if (raw === '@end') throw new CorpusError(lineNo, '@end without @file');
    const group = groups.at(-1);
    if (!group) throw new CorpusError(lineNo, 'invocation before the first group');
    let args: string[];
    try {
      args = splitWords(raw);
    } catch (e) {
      throw new CorpusError(lineNo, (e as Error).message);
    }
    let stdin: string | undefined;
    if (args.length >= 2 && args.at(-2) === '<') {
      stdin = args.at(-1)!;
      if (!stdin.startsWith('@')) throw new CorpusError(lineNo, 'standard input must be a corpus file (< @NAME)');
      stdin = stdin.slice(1);
      args = args.slice(0, -2);
      references.push({ name: stdin, line: lineNo });
    }
    for (const a of args) if (a.startsWith('@')) references.push({ name: a.slice(1), line: lineNo });
    const key = `${group.name}: ${raw}`;
    const k = (seen.get(key) ?? 0) + 1;
    seen.set(key, k);
    invocations.push({ id: k === 1 ? key : `${key} #${k}`, group: group.name, line: lineNo, args, ...(stdin === undefined ? {} : { stdin }) });
  }
  for (const r of references) {
    if (!files.has(r.name)) throw new CorpusError(r.line, `no @file named "${r.name}"`);
  }
  return { groups, invocations, files };
}

/**
 * Writes each corpus file to `dir/NAME`.
 * @param corpus the parsed corpus
 * @param dir an existing directory
 */
export function writeCorpusFiles(corpus: Corpus, dir: string): void {
  for (const [name, content] of corpus.files) fs.writeFileSync(path.join(dir, name), content);
}

/** Options for {@link buildScript}. */
export interface ScriptOptions {
  /** What `$BR` becomes: the switch argument (a bridge name resolved through OVS_RUNDIR). */
  bridge: string;
  /** Directory holding the corpus files (see {@link writeCorpusFiles}). */
  fileDir: string;
  /** Directory that receives `N.out`, `N.err`, `N.rc` for invocation N (0-based). */
  outDir: string;
  /**
   * ovs-ofctl's own `--timeout`, in seconds, given before the corpus arguments so that a switch
   * that never answers costs bounded time (the run then dies of SIGALRM, status 142).
   */
  timeoutS: number;
  /** The program to run. Default `ovs-ofctl`. */
  program?: string;
}

/** Quotes a string for bash as one literal word. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Builds one bash script that runs every invocation in order and records, for invocation N
 * (0-based), standard output in `outDir/N.out`, standard error in `N.err`, the exit status
 * in `N.rc` and its start and end times (`$EPOCHREALTIME`, seconds) in `N.time`. One process per invocation and nothing else (process creation is what costs in an
 * emulated guest). Every invocation gets, before its own arguments, `--timeout` (see
 * {@link ScriptOptions.timeoutS}) and `-vtimeval:off -vcoverage:off`: on a loaded machine
 * ovs-ofctl's own poll loop may take over a second, and it then logs that (module timeval) with
 * its event counters (module coverage) to standard error, which says nothing about the switch.
 * @param corpus the parsed corpus
 * @param opts see {@link ScriptOptions}
 * @returns the script text (run it with `bash -c` or from a file)
 */
export function buildScript(corpus: Corpus, opts: ScriptOptions): string {
  const program = opts.program ?? 'ovs-ofctl';
  const word = (a: string): string => {
    const w = a.startsWith('@') ? path.join(opts.fileDir, a.slice(1)) : a.split('$BR').join(opts.bridge);
    return shellQuote(w);
  };
  const out = [
    '# ovs-ofctl corpus, generated by test/kernel/lib/ofctl-corpus.ts',
    `O=${shellQuote(opts.outDir)}`,
    `r() { local n=$1 in=$2 t=$EPOCHREALTIME; shift 2; ${shellQuote(program)} --timeout=${opts.timeoutS} -vtimeval:off -vcoverage:off "$@" <"$in" >"$O/$n.out" 2>"$O/$n.err"; echo $? >"$O/$n.rc"; echo "$t $EPOCHREALTIME" >"$O/$n.time"; }`,
  ];
  corpus.invocations.forEach((inv, n) => {
    const stdin = inv.stdin === undefined ? '/dev/null' : path.join(opts.fileDir, inv.stdin);
    out.push(`r ${n} ${shellQuote(stdin)} ${inv.args.map(word).join(' ')}`);
  });
  return `${out.join('\n')}\n`;
}

/** What one invocation printed and returned. */
export interface Outcome {
  stdout: string;
  stderr: string;
  /** Exit status (142 when ovs-ofctl's `--timeout` fired). */
  code: number;
}

/**
 * Reads the results {@link buildScript}'s script left in `outDir`.
 * @param outDir the script's output directory
 * @param count number of invocations
 * @returns one entry per invocation, undefined for those that did not complete (no `N.rc`)
 */
export function readOutcomes(outDir: string, count: number): (Outcome | undefined)[] {
  const result: (Outcome | undefined)[] = [];
  for (let n = 0; n < count; n++) {
    const file = (ext: string): string => path.join(outDir, `${n}.${ext}`);
    if (!fs.existsSync(file('rc'))) {
      result.push(undefined);
      continue;
    }
    result.push({
      stdout: fs.readFileSync(file('out'), 'utf8'),
      stderr: fs.readFileSync(file('err'), 'utf8'),
      code: Number(fs.readFileSync(file('rc'), 'utf8').trim()),
    });
  }
  return result;
}

/**
 * Replaces, and only replaces, what differs between two correct switches or two runs:
 * - durations: `duration=S[.FRAC]s` (flows, ports, groups, queues) and `duration:S[.FRAC]s`
 *   (meters) → `duration=?s` / `duration:?s`;
 * - `idle_age=N` → `idle_age=?`; `hard_age=N, ` is removed, because ovs-ofctl prints it only
 *   when it differs from the flow's whole seconds of duration, so its very presence depends
 *   on timing;
 * - the datapath id, `dpid:` followed by 16 hex digits → `dpid:?` (derived from the internal
 *   port's MAC address);
 * - the MAC address of the bridge's internal port, in port descriptions
 *   (`LOCAL(NAME): addr:XX:XX:XX:XX:XX:XX` → `addr:?`): the kernel makes it up at random;
 * - the time stamp that starts each of ovs-ofctl's own log lines
 *   (`2026-01-01T00:00:00Z|00001|module|LEVEL|…` → `TIME|00001|…`): the client's clock.
 * @param text stdout or stderr of ovs-ofctl
 * @returns the normalised text
 */
export function normaliseOutput(text: string): string {
  return text
    .replace(/\bduration([=:])\d+(?:\.\d+)?s/g, 'duration$1?s')
    .replace(/\bidle_age=\d+/g, 'idle_age=?')
    .replace(/\bhard_age=\d+, /g, '')
    .replace(/\bdpid:[0-9a-f]{16}\b/g, 'dpid:?')
    .replace(/(\bLOCAL\([^)\s]*\): addr:)[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/g, '$1?')
    .replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|/gm, 'TIME|');
}

/** {@link normaliseOutput} applied to stdout and stderr; the exit status is kept. */
export function normaliseOutcome(o: Outcome): Outcome {
  return { stdout: normaliseOutput(o.stdout), stderr: normaliseOutput(o.stderr), code: o.code };
}

/**
 * The `top` slowest invocations of a run, from the `N.time` files {@link buildScript} writes.
 * @returns [invocation index, seconds], slowest first (invocations without a time file skipped)
 */
export function slowestInvocations(outDir: string, count: number, top = 5): Array<[number, number]> {
  const times: Array<[number, number]> = [];
  for (let n = 0; n < count; n++) {
    try {
      const [a, b] = fs.readFileSync(path.join(outDir, `${n}.time`), 'utf8').trim().split(' ').map(Number);
      if (Number.isFinite(a) && Number.isFinite(b)) times.push([n, b - a]);
    } catch {
      // not run
    }
  }
  return times.sort((x, y) => y[1] - x[1]).slice(0, top);
}
