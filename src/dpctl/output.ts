/**
 * What a dpctl command prints: standard output, standard error, and the log lines OVS's vlog
 * writes to the console (stderr) while the command runs, in the order they happen.
 *
 * Shapes from OVS 3.1: `dpctl_error()` in lib/dpctl.c (`<program>: <message>[ (<strerror>)]\n`)
 * and the console pattern of include/openvswitch/vlog.h
 * (`%D{%Y-%m-%dT%H:%M:%SZ}|%05N|%c|%p|%m`: UTC time to the second, a per-process message
 * serial number, module, level, text). The console's default level is INFO for every module.
 */
import * as fs from 'fs';
import { retvalToString } from './strerror';

/** vlog levels, most to least severe (OVS's `enum vlog_level` without OFF). */
export type VlogLevel = 'EMER' | 'ERR' | 'WARN' | 'INFO' | 'DBG';

const LEVEL_RANK: Record<VlogLevel | 'OFF', number> = { OFF: 0, EMER: 1, ERR: 2, WARN: 3, INFO: 4, DBG: 5 };

/** A level name as `-v` accepts it (`off`, `emer`, `err`, `warn`, `info`, `dbg`), any case. */
function parseLevel(word: string): VlogLevel | 'OFF' | undefined {
  const w = word.toUpperCase();
  return (Object.keys(LEVEL_RANK) as (VlogLevel | 'OFF')[]).find((l) => l === w);
}

/** Where log lines go and how verbose each destination is. */
export interface VlogSettings {
  /** Console (stderr) threshold per module; `*` is the default. */
  console: Map<string, VlogLevel | 'OFF'>;
  /** `--log-file` target, with its own threshold per module. */
  file?: { path: string; levels: Map<string, VlogLevel | 'OFF'> };
}

/** Console and file at INFO for every module, no log file: vlog's defaults. */
export function defaultVlogSettings(): VlogSettings {
  return { console: new Map([['*', 'INFO']]) };
}

/**
 * Applies one `-v`/`--verbose` SPEC (vlog's `vlog_set_levels_from_string()` subset): words
 * separated by `:`, `,` or spaces, each a destination (`console`, `file`, `syslog`, `any`), a
 * level, or a module name; missing destination = all, missing module = all, missing level = dbg.
 * An empty SPEC (bare `-v`) sets every destination of every module to dbg.
 * @returns an error message for a malformed SPEC, else undefined
 */
export function applyVlogSpec(settings: VlogSettings, spec: string): string | undefined {
  const words = spec.split(/[:, ]+/).filter((w) => w !== '');
  let dest: 'console' | 'file' | 'syslog' | 'any' | undefined;
  let level: VlogLevel | 'OFF' | undefined;
  let module: string | undefined;
  for (const w of words) {
    const lw = w.toLowerCase();
    if (lw === 'console' || lw === 'file' || lw === 'syslog' || lw === 'any') {
      if (dest) return `cannot specify multiple destinations`;
      dest = lw;
    } else if (parseLevel(lw)) {
      if (level) return `cannot specify multiple levels`;
      level = parseLevel(lw);
    } else if (lw === 'pattern' || lw.startsWith('pattern') || lw === 'facility') {
      return undefined;
    } else {
      if (module) return `cannot specify multiple modules`;
      module = w;
    }
  }
  const lvl = level ?? 'DBG';
  const key = module ?? '*';
  if (!dest || dest === 'any' || dest === 'console') {
    if (key === '*') settings.console.clear();
    settings.console.set(key, lvl);
  }
  if (settings.file && (!dest || dest === 'any' || dest === 'file')) {
    if (key === '*') settings.file.levels.clear();
    settings.file.levels.set(key, lvl);
  }
  return undefined;
}

function enabled(levels: Map<string, VlogLevel | 'OFF'>, module: string, level: VlogLevel): boolean {
  const threshold = levels.get(module) ?? levels.get('*') ?? 'INFO';
  return LEVEL_RANK[level] <= LEVEL_RANK[threshold];
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `%Y-%m-%dT%H:%M:%S` in UTC. */
function utcSeconds(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/**
 * Collects a command's output. `stdout`/`stderr` hold everything printed so far; log lines go
 * to `stderr` (and the log file) as they happen, like vlog's console destination.
 */
export class DpctlOutput {
  stdout = '';
  stderr = '';
  /** Output and error messages in the order they were produced (what an appctl reply holds). */
  combined = '';
  private serial = 0;

  /**
   * @param program the name errors start with (`ovs-dpctl`, or `ts-dpctl`)
   * @param vlog log destinations and levels
   * @param now clock for log timestamps (tests pin it)
   * @param logSink when given, log messages go there (the daemon's vlog) instead of stderr
   */
  constructor(
    readonly program: string,
    private readonly vlog: VlogSettings = defaultVlogSettings(),
    private readonly now: () => Date = () => new Date(),
    private readonly logSink?: (module: string, level: VlogLevel, text: string) => void,
  ) {}

  /** `dpctl_print()`: text to standard output, verbatim. */
  print(text: string): void {
    this.stdout += text;
    this.combined += text;
  }

  /**
   * `dpctl_error()`: `<program>: <message>[ (<strerror(errno)>)]\n` to standard error.
   * @param errno positive errno, or 0 for none
   */
  error(errno: number, message: string): void {
    const line = `${this.program}: ${message}${errno !== 0 ? ` (${retvalToString(errno)})` : ''}\n`;
    this.stderr += line;
    this.combined += line;
  }

  /**
   * One vlog message from `module` at `level`; each message that any destination takes gets
   * the next serial number (vlog numbers messages per process, whatever their module).
   */
  log(module: string, level: VlogLevel, text: string): void {
    if (this.logSink) {
      this.logSink(module, level, text);
      return;
    }
    const toConsole = enabled(this.vlog.console, module, level);
    const toFile = this.vlog.file !== undefined && enabled(this.vlog.file.levels, module, level);
    if (!toConsole && !toFile) return;
    this.serial++;
    const d = this.now();
    const tail = `|${String(this.serial).padStart(5, '0')}|${module}|${level}|${text}\n`;
    if (toConsole) this.stderr += `${utcSeconds(d)}Z${tail}`;
    if (toFile && this.vlog.file) {
      fs.appendFileSync(this.vlog.file.path, `${utcSeconds(d)}.${String(d.getUTCMilliseconds()).padStart(3, '0')}Z${tail}`);
    }
  }
}
