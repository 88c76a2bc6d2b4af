/**
 * The ofproto/trace corpus (test/kernel/corpus/trace.txt): its parser, the fixed switch topology
 * it runs on, and a runner that plays it against one vswitchd (Debian's or ours) and collects
 * each probe's `Megaflow:` and `Datapath actions:` lines. Shared by the kernel test
 * test/kernel/trace.test.ts, the host dev loop scripts/trace-diff-host.sh and the unit test
 * test/unit/trace-corpus.test.ts.
 *
 * Corpus format, line by line (leading and trailing blanks ignored):
 * - blank lines and lines starting with `#` are comments;
 * - `== GROUP TITLE…` starts a group (GROUP `[a-z0-9-]+`, unique). Inside a group, before its
 *   first scenario:
 *   - `setup vsctl ARGS…` / `setup ofctl ARGS…`: run (ovs-vsctl / ovs-ofctl, words split as a
 *     shell would, see {@link splitWords}) when the group starts, in order;
 *   - `teardown vsctl ARGS…` / `teardown ofctl ARGS…`: run when the group ends, in order, to
 *     bring the switch back to the base topology ({@link baseTopology}).
 * - `:: NAME [OpenFlowXX]` starts a scenario (NAME `[a-z0-9-]+`, unique in its group; the
 *   scenario id is `GROUP/NAME`). The optional version is the `-O` given to ovs-ofctl for the
 *   scenario's flows and groups (default {@link DEFAULT_VERSION}).
 * - inside a scenario: `group ARGS` is one line of an `add-groups` file, `trace ARGS…` is one
 *   probe (the words after `ofproto/trace br0`, e.g. `in_port=1,tcp` or `-generate in_port=1`),
 *   and any other line is one line of the scenario's flow table (`ovs-ofctl add-flows` syntax).
 *
 * Playing a scenario: its groups are installed with `del-groups` + `add-groups` (only when it has
 * groups or the previous scenario had), its flows with one `replace-flows` (so nothing of the
 * previous scenario survives, learned flows included), then each probe is sent to the daemon's
 * control socket as a unixctl JSON-RPC request (what `ovs-appctl` sends), without spawning
 * processes. Commands run in one persistent bash process ({@link PersistentShell}), which
 * costs far less than one process spawn per command from Node in the emulated guest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import { JsonRpcConnection } from '../../../src/bridge/jsonrpc';
import { splitWords } from './ofctl-corpus';

export { splitWords };

/** A command of a group's setup or teardown. */
export interface SetupCommand {
  tool: 'vsctl' | 'ofctl';
  /** Arguments after the program name. */
  args: string[];
  /** 1-based corpus line. */
  line: number;
}

/** A group of scenarios sharing one switch configuration. */
export interface TraceGroup {
  name: string;
  title: string;
  line: number;
  setup: SetupCommand[];
  teardown: SetupCommand[];
}

/** One probe: `ofproto/trace br0 ARGS…`. */
export interface Probe {
  /** Words after the bridge name. */
  args: string[];
  line: number;
}

/** One scenario: a flow table (and groups) plus probes. */
export interface Scenario {
  /** `GROUP/NAME`. */
  id: string;
  group: string;
  line: number;
  /** `OpenFlowXX` for ovs-ofctl's `-O`, if given. */
  version?: string;
  /** Lines of the add-groups file. */
  groups: string[];
  /** Lines of the add-flows file. */
  flows: string[];
  probes: Probe[];
}

/** A parsed corpus. */
export interface TraceCorpus {
  groups: TraceGroup[];
  scenarios: Scenario[];
}

/** Syntax error in the corpus text. */
export class TraceCorpusError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`trace corpus line ${line}: ${message}`);
    this.name = 'TraceCorpusError';
  }
}

const NAME = /^[a-z0-9-]+$/;
/**
 * The `-O` for scenarios that name no version: ovs-ofctl's own default (OpenFlow 1.0 with
 * Nicira extensions) cannot express `table=` in replace-flows against Open vSwitch.
 */
export const DEFAULT_VERSION = 'OpenFlow13';
const VERSION = /^OpenFlow1[0-5]$/;

/**
 * Parses the corpus text (format in the module comment).
 * @throws TraceCorpusError on a syntax error, a duplicate name, a scenario outside a group, a
 *   setup line after a scenario, or a scenario without probes
 */
export function parseTraceCorpus(text: string): TraceCorpus {
  const groups: TraceGroup[] = [];
  const scenarios: Scenario[] = [];
  const ids = new Set<string>();
  let group: TraceGroup | undefined;
  let scenario: Scenario | undefined;
  const finish = (): void => {
    if (scenario && scenario.probes.length === 0) throw new TraceCorpusError(scenario.line, `scenario ${scenario.id} has no probes`);
    scenario = undefined;
  };
  for (const [i, raw] of text.split('\n').entries()) {
    const n = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('==')) {
      finish();
      const m = /^==\s*(\S+)\s*(.*)$/.exec(line);
      if (!m || !NAME.test(m[1])) throw new TraceCorpusError(n, 'expected "== NAME TITLE"');
      if (groups.some((g) => g.name === m[1])) throw new TraceCorpusError(n, `duplicate group ${m[1]}`);
      group = { name: m[1], title: m[2], line: n, setup: [], teardown: [] };
      groups.push(group);
      continue;
    }
    if (!group) throw new TraceCorpusError(n, 'line outside any group');
    if (line.startsWith('::')) {
      finish();
      const w = line.slice(2).trim().split(/\s+/);
      if (!w[0] || !NAME.test(w[0]) || w.length > 2 || (w[1] !== undefined && !VERSION.test(w[1]))) {
        throw new TraceCorpusError(n, 'expected ":: NAME [OpenFlow1X]"');
      }
      const id = `${group.name}/${w[0]}`;
      if (ids.has(id)) throw new TraceCorpusError(n, `duplicate scenario ${id}`);
      ids.add(id);
      scenario = { id, group: group.name, line: n, version: w[1], groups: [], flows: [], probes: [] };
      scenarios.push(scenario);
      continue;
    }
    const m = /^(setup|teardown)\s+(vsctl|ofctl)\s+(.*)$/.exec(line);
    if (m) {
      if (scenario) throw new TraceCorpusError(n, `${m[1]} after the group's first scenario`);
      let args: string[];
      try {
        args = splitWords(m[3]);
      } catch (e) {
        throw new TraceCorpusError(n, (e as Error).message);
      }
      group[m[1] as 'setup' | 'teardown'].push({ tool: m[2] as 'vsctl' | 'ofctl', args, line: n });
      continue;
    }
    if (!scenario) throw new TraceCorpusError(n, 'flow, group or trace line outside a scenario');
    if (/^trace\s/.test(line)) scenario.probes.push({ args: line.slice(5).trim().split(/\s+/), line: n });
    else if (/^group\s/.test(line)) scenario.groups.push(line.slice(5).trim());
    else scenario.flows.push(line);
  }
  finish();
  return { groups, scenarios };
}

// ---------------------------------------------------------------------------------------------
// Topology

/** Ports of br0 (internal, ofport_request = number), created in this order. */
export const BR0_PORTS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'] as const;
/** Ports of br1 (internal, ofport_request = number). */
export const BR1_PORTS = ['q1', 'q2'] as const;

/**
 * The base topology every group starts from, as ovs-vsctl argument lists to run one after the
 * other (each waits for the daemon, so datapath ports are created in this order under any
 * daemon and get the same odp port numbers):
 * - br0 with internal ports p1..p6 (ofport 1..6),
 * - br1 with internal ports q1, q2 (ofport 1, 2),
 * - a patch pair br0 `patch01` (ofport 10) ↔ br1 `patch10` (ofport 10).
 * @param datapathType `dummy` for the host dev loop (reference with `--enable-dummy`), undefined
 *   for the kernel datapath
 */
export function baseTopology(datapathType?: string): string[][] {
  const dp = (br: string): string[] => (datapathType ? ['--', 'set', 'bridge', br, `datapath_type=${datapathType}`] : []);
  const port = (br: string, p: string, ofport: number): string[] => [
    'add-port', br, p, '--', 'set', 'interface', p, 'type=internal', `ofport_request=${ofport}`,
  ];
  return [
    ['add-br', 'br0', ...dp('br0')],
    ...BR0_PORTS.map((p, i) => port('br0', p, i + 1)),
    ['add-br', 'br1', ...dp('br1')],
    ...BR1_PORTS.map((p, i) => port('br1', p, i + 1)),
    [
      'add-port', 'br0', 'patch01', '--', 'set', 'interface', 'patch01', 'type=patch', 'options:peer=patch10', 'ofport_request=10',
      '--', 'add-port', 'br1', 'patch10', '--', 'set', 'interface', 'patch10', 'type=patch', 'options:peer=patch01', 'ofport_request=10',
    ],
  ];
}

// ---------------------------------------------------------------------------------------------
// Output handling

/**
 * The lines of an ofproto/trace output that the corpus compares: every `Megaflow:` and
 * `Datapath actions:` line, in order (a trace that recirculates prints one pair per pass).
 */
export function traceLines(output: string): string[] {
  return output.split('\n').filter((l) => l.startsWith('Megaflow:') || l.startsWith('Datapath actions:'));
}

/**
 * Normalises what the daemon's history or its sockets decide rather than the translation, and
 * nothing else:
 * - recirculation ids, renumbered in order of first appearance across `lines` (the first becomes
 *   1, …), in `recirc_id=0x…` / `recirc(0x…)` (hex) and the decimal `recirc_id=N` inside
 *   `controller(…)` userspace actions: the daemon allocates them from a pool whose state depends
 *   on every earlier recirculation. `recirc_id=0` (no recirculation) is kept;
 * - the Netlink port id in `userspace(pid=N,…)`: the upcall socket of whichever handler, which
 *   the daemon opens at start.
 */
export function normaliseTraceLines(lines: readonly string[]): string[] {
  const map = new Map<bigint, number>();
  const sub = (v: bigint): number => {
    if (v === 0n) return 0;
    if (!map.has(v)) map.set(v, map.size + 1);
    return map.get(v)!;
  };
  // One alternation, so that ids are numbered left to right within a line.
  const re = /(recirc_id=0x)([0-9a-f]+)|(recirc\(0x)([0-9a-f]+)(?=\))|(controller\([^)]*?recirc_id=)(\d+)/g;
  return lines.map((l) =>
    l
      .replace(re, (_m, p1?: string, h1?: string, p2?: string, h2?: string, p3?: string, d3?: string) => {
        if (p1 !== undefined) return `${p1}${sub(BigInt('0x' + h1)).toString(16)}`;
        if (p2 !== undefined) return `${p2}${sub(BigInt('0x' + h2)).toString(16)}`;
        return `${p3}${sub(BigInt(d3!))}`;
      })
      .replace(/userspace\(pid=\d+/g, 'userspace(pid=<pid>'),
  );
}

// ---------------------------------------------------------------------------------------------
// Processes

/** What one command run by {@link PersistentShell} did. */
export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One long-lived `bash` that runs commands given as argument vectors, one at a time, each with
 * stdout/stderr captured to files. Spawning from Node in the emulated guest costs far more than
 * bash's fork+exec, so all corpus commands go through one of these.
 */
export class PersistentShell {
  private readonly child: ChildProcess;
  private buffer = '';
  private waiter: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  private seq = 0;

  /**
   * @param env the environment of the shell (OVS_RUNDIR etc.)
   * @param dir a scratch directory for the captured outputs
   */
  constructor(
    env: NodeJS.ProcessEnv,
    private readonly dir: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.child = spawn('bash', ['--norc', '--noprofile'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.on('exit', () => {
      this.waiter?.reject(new Error('the persistent shell exited'));
      this.waiter = undefined;
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (s: string) => {
      this.buffer += s;
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0 && this.waiter) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(line);
      }
    });
  }

  /**
   * Runs `argv` (argv[0] looked up in PATH) with stdin from /dev/null.
   * @param timeoutS the command is killed after this many seconds (coreutils `timeout`)
   * @returns its exit status and outputs
   * @throws Error when the shell has died
   */
  async run(argv: readonly string[], timeoutS = 60): Promise<ShellResult> {
    const n = this.seq++;
    const out = path.join(this.dir, `cmd.out`);
    const err = path.join(this.dir, `cmd.err`);
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const line = `timeout -k 2 ${timeoutS} ${argv.map(q).join(' ')} </dev/null >${q(out)} 2>${q(err)}; echo "__done ${n} $?"\n`;
    if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error('the persistent shell has exited');
    const done = new Promise<string>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
    this.child.stdin!.write(line);
    const marker = await done;
    const m = /^__done (\d+) (\d+)$/.exec(marker);
    if (!m || Number(m[1]) !== n) throw new Error(`persistent shell: unexpected output ${JSON.stringify(marker)}`);
    return { code: Number(m[2]), stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
  }

  /** Ends the shell. */
  close(): void {
    this.child.stdin!.end();
  }
}

/**
 * A unixctl client: JSON-RPC over the daemon's control socket, as `ovs-appctl` speaks it
 * (request `{"method": COMMAND, "params": [ARGS…], "id": N}`; the reply's `result` is the text
 * printed on success, its `error` the text printed on failure).
 */
export class UnixctlClient {
  private constructor(private readonly conn: JsonRpcConnection) {}

  /**
   * Connects to a control socket.
   * @param socketPath e.g. `<rundir>/ovs-vswitchd.<pid>.ctl`
   * @throws Error when the connection fails
   */
  static async connect(socketPath: string): Promise<UnixctlClient> {
    const socket = net.connect({ path: socketPath });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new UnixctlClient(new JsonRpcConnection(socket, socketPath));
  }

  /**
   * Runs one command.
   * @returns `{ok: true, text: result}` or `{ok: false, text: error}` (the error text as
   *   ovs-appctl would print it)
   * @throws Error when the connection closes
   */
  async call(command: string, args: readonly string[]): Promise<{ ok: boolean; text: string }> {
    try {
      const r = await this.conn.request(command, [...args]);
      return { ok: true, text: typeof r === 'string' ? r : JSON.stringify(r) };
    } catch (e) {
      const err = e as { name?: string; error?: unknown; message: string };
      if (err.name === 'JsonRpcError') return { ok: false, text: typeof err.error === 'string' ? err.error : err.message };
      throw e;
    }
  }

  close(): void {
    this.conn.close();
  }
}

/** The default control socket of a vswitchd whose pidfile is `<rundir>/ovs-vswitchd.pid`. */
export function controlSocket(rundir: string): string {
  const pid = fs.readFileSync(path.join(rundir, 'ovs-vswitchd.pid'), 'utf8').trim();
  return path.join(rundir, `ovs-vswitchd.${pid}.ctl`);
}

// ---------------------------------------------------------------------------------------------
// Runner

/** What one probe produced. */
export interface ProbeResult {
  args: string[];
  /** Whether the command succeeded. */
  ok: boolean;
  /** The full trace output (or error text). */
  output: string;
  /** {@link traceLines} of the output through {@link normaliseTraceLines}. */
  lines: string[];
}

/** What one scenario produced. */
export interface ScenarioResult {
  id: string;
  /** Errors from loading the scenario's groups/flows (empty when all loaded). */
  loadErrors: string[];
  probes: ProbeResult[];
  /** Wall-clock ms spent loading groups and flows, and tracing the probes (progress reports). */
  loadMs?: number;
  probeMs?: number;
}

/** How {@link playTraceCorpus} reaches the switch. */
export interface PlayOptions {
  shell: PersistentShell;
  unixctl: UnixctlClient;
  /** Scratch directory for the flow and group files. */
  fileDir: string;
  /** Per-command timeout in seconds. Default 60. */
  timeoutS?: number;
  /** Called after each scenario (progress). */
  onScenario?: (r: ScenarioResult, index: number) => void;
}

/**
 * Plays the corpus against one daemon, in file order: per group its setup, then each scenario
 * (groups, flows, probes), then its teardown.
 * @returns one result per scenario, in corpus order
 * @throws Error when a setup or teardown command fails (the topology is then unknown)
 */
export async function playTraceCorpus(corpus: TraceCorpus, opts: PlayOptions): Promise<ScenarioResult[]> {
  const { shell, unixctl } = opts;
  const timeoutS = opts.timeoutS ?? 60;
  fs.mkdirSync(opts.fileDir, { recursive: true });
  const flowFile = path.join(opts.fileDir, 'flows.txt');
  const groupFile = path.join(opts.fileDir, 'groups.txt');
  const results: ScenarioResult[] = [];
  const runSetup = async (cmds: SetupCommand[]): Promise<void> => {
    for (const c of cmds) {
      const r = await shell.run([c.tool === 'vsctl' ? 'ovs-vsctl' : 'ovs-ofctl', ...c.args], timeoutS);
      if (r.code !== 0) throw new Error(`corpus line ${c.line}: ${c.tool} ${c.args.join(' ')} exited ${r.code}: ${r.stderr}`);
    }
  };
  let hadGroups = false;
  for (const g of corpus.groups) {
    await runSetup(g.setup);
    for (const s of corpus.scenarios.filter((x) => x.group === g.name)) {
      const ver = ['-O', s.version ?? DEFAULT_VERSION];
      const loadErrors: string[] = [];
      const check = (what: string, r: ShellResult): void => {
        if (r.code !== 0) loadErrors.push(`${what} exited ${r.code}: ${r.stderr.trim()}`);
      };
      const t0 = Date.now();
      if (hadGroups || s.groups.length > 0) {
        check('del-groups', await shell.run(['ovs-ofctl', ...ver, 'del-groups', 'br0'], timeoutS));
        // A flow that names a group that is gone was deleted with it: replace-flows below
        // installs the scenario's own flows afresh.
        if (s.groups.length > 0) {
          fs.writeFileSync(groupFile, s.groups.join('\n') + '\n');
          check('add-groups', await shell.run(['ovs-ofctl', ...ver, 'add-groups', 'br0', groupFile], timeoutS));
        }
      }
      hadGroups = s.groups.length > 0;
      fs.writeFileSync(flowFile, s.flows.join('\n') + '\n');
      check('replace-flows', await shell.run(['ovs-ofctl', ...ver, 'replace-flows', 'br0', flowFile], timeoutS));
      const t1 = Date.now();
      const probes: ProbeResult[] = [];
      for (const p of s.probes) {
        const r = await unixctl.call('ofproto/trace', ['br0', ...p.args]);
        probes.push({ args: p.args, ok: r.ok, output: r.text, lines: normaliseTraceLines(traceLines(r.text)) });
      }
      const res: ScenarioResult = { id: s.id, loadErrors, probes, loadMs: t1 - t0, probeMs: Date.now() - t1 };
      results.push(res);
      opts.onScenario?.(res, results.length - 1);
    }
    await runSetup(g.teardown);
  }
  return results;
}

/**
 * Whether two results of the same scenario agree: same load errors (presence), and for every
 * probe the same success and the same compared lines.
 */
export function sameResult(a: ScenarioResult, b: ScenarioResult): boolean {
  if ((a.loadErrors.length === 0) !== (b.loadErrors.length === 0)) return false;
  if (a.probes.length !== b.probes.length) return false;
  return a.probes.every((p, i) => p.ok === b.probes[i].ok && p.lines.join('\n') === b.probes[i].lines.join('\n'));
}

/** Renders a result for logs: load errors, then each probe's compared lines (or its error). */
export function renderResult(r: ScenarioResult | undefined): string {
  if (!r) return '(not run)\n';
  const out: string[] = [];
  for (const e of r.loadErrors) out.push(`load error: ${e}`);
  for (const p of r.probes) {
    out.push(`trace ${p.args.join(' ')}`);
    if (!p.ok) out.push(`  error: ${p.output.trim()}`);
    else for (const l of p.lines) out.push(`  ${l}`);
  }
  return out.join('\n') + '\n';
}
