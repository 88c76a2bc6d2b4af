/**
 * OpenFlow flow-table benchmark: the real `ovs-ofctl` adds TSV_BENCH_OFCTL_FLOWS (default
 * 100 000) flows to bridge br0, dumps them and deletes them, first against Debian's ovs-vswitchd
 * 3.1 and then against ts-vswitchd, in the same kernel harness boot and on the same set-up, and
 * the times are printed side by side with the ratio ours/reference.
 *
 * Needs root and openvswitch.ko: `bench/run.sh ofctl` runs it through `test/harness/kernel.sh`
 * (natively where the host has the module, else in the QEMU guest).
 *
 * The switch, the same for both daemons: a private ovsdb-server with a fresh database, bridge br0
 * with `fail_mode=secure` (so the tables start, and end after del-flows, empty) and two internal
 * ports p1 and p2 (ofport 1 and 2); the kernel datapath is removed before and after each daemon,
 * as test/kernel/ofctl.test.ts does.
 *
 * The flows (one file, written once, the same for both daemons; see {@link flowLine}): a mix over
 * four tables of L2 (in_port, VLAN, source MAC), ARP, IPv4 prefixes /16…/32 and IPv6 prefixes
 * /48 and /64 with per-length priorities, TCP and UDP 5-tuples, and register matches; actions
 * resubmit, VLAN strip, dec_ttl, MAC and IP rewrites, set_field, register loads, output, NORMAL,
 * drop; some cookies. Every flow has a distinct match, so the table ends with exactly N flows.
 *
 * Steps, each one `ovs-ofctl` process timed end to end (process start included, stdout to a
 * file); the median of the runs is reported:
 * 1. `add-flows br0 FILE`, TSV_BENCH_OFCTL_ADD_RUNS times (default 1), each followed by an untimed
 *    `del-flows`. OVS 3.1's ovs-ofctl sends every flow_mod followed by a barrier and waits for
 *    the barrier reply before the next one, so this is N round trips (see bench/README.md);
 * 2. then TSV_BENCH_OFCTL_RUNS times (default 3): `--bundle add-flows br0 FILE` (the flow_mods
 *    streamed in one OpenFlow 1.4 bundle, committed at once), `dump-flows br0` (OpenFlow 1.0 +
 *    Nicira extensions, ovs-ofctl's default), `-O OpenFlow13 dump-flows br0`, `del-flows br0`.
 * After an add or a delete an untimed `dump-aggregate` counts the flows in the table (the `flows`
 * columns: N after an add, 0 after a delete); for a dump, the flow lines it printed are counted.
 * The daemon's VmRSS (/proc/PID/status) is read once idle, after every add and after every
 * timed del-flows (second table).
 *
 * Every command is killed after TSV_BENCH_OFCTL_TIMEOUT_S (default 900 s per 100 000 flows, at
 * least 60 s). A plain add-flows that fails or times out is reported with the flows it added by
 * then, its ratio computed from the time per flow, and the session goes on from an empty table;
 * a daemon that does not start, or any other failing command, is reported in the table and that
 * daemon's remaining steps are not run. Nothing is asserted.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  cleanupDatapath,
  collectLogs,
  makeTempDir,
  removeDir,
  requireKernel,
  startOurVswitchd,
  startOvsdb,
  startReferenceVswitchd,
  type OvsdbHandle,
  type VswitchdHandle,
} from '../kernel/lib/env';
import { grouped, printTable } from './measure';

const FLOWS = Number(process.env.TSV_BENCH_OFCTL_FLOWS ?? 100_000);
const RUNS = Number(process.env.TSV_BENCH_OFCTL_RUNS ?? 3);
const ADD_RUNS = Number(process.env.TSV_BENCH_OFCTL_ADD_RUNS ?? 1);
const TIMEOUT_MS = 1000 * Number(process.env.TSV_BENCH_OFCTL_TIMEOUT_S ?? Math.max(60, Math.round((900 * FLOWS) / 100_000)));
const DAEMONS = ['reference', 'ts-vswitchd'] as const;
type Daemon = (typeof DAEMONS)[number];

// ---------------------------------------------------------------------------------------------
// The flows

/** Flow kinds and how many of every 20 flows are of each kind. */
const KIND_WEIGHTS: Array<[Kind, number]> = [
  ['l2', 5],
  ['arp', 1],
  ['ipv4', 5],
  ['ipv6', 2],
  ['tcp', 3],
  ['udp', 2],
  ['reg', 2],
];
type Kind = 'l2' | 'arp' | 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'reg';
const KIND_CYCLE: Kind[] = KIND_WEIGHTS.flatMap(([k, w]) => Array<Kind>(w).fill(k));

const byte = (x: number): number => x & 255;
const hex2 = (x: number): string => byte(x).toString(16).padStart(2, '0');
const mac = (prefix: number, c: number): string => `02:${hex2(prefix)}:${hex2(c >>> 24)}:${hex2(c >>> 16)}:${hex2(c >>> 8)}:${hex2(c)}`;
const ipv4 = (a: number): string => `${byte(a >>> 24)}.${byte(a >>> 16)}.${byte(a >>> 8)}.${byte(a)}`;
const IPV4_LENGTHS = [16, 20, 24, 28, 32];

/**
 * The `ovs-ofctl add-flows` line of the c-th flow of one kind (c counts from 0 within the kind);
 * distinct c give distinct matches for c < 65 536 (every kind stays below that for N ≤ 250 000).
 * @param kind which shape (see the module comment)
 * @param c index within the kind
 * @returns one flow in ovs-ofctl(8) syntax, without a newline
 */
function flowLine(kind: Kind, c: number): string {
  switch (kind) {
    case 'l2':
      return `table=0,priority=300,in_port=${1 + (c & 1)},dl_vlan=${1 + (c % 4094)},dl_src=${mac(0xaa, c)},actions=strip_vlan,resubmit(,1)`;
    case 'arp':
      return `table=0,priority=400,arp,arp_op=1,arp_tpa=${ipv4(0xc0a80000 + c)},actions=NORMAL`;
    case 'ipv4': {
      const len = IPV4_LENGTHS[c % IPV4_LENGTHS.length];
      const net = 0x0a000000 + Math.floor(c / IPV4_LENGTHS.length) * 2 ** (32 - len);
      return `table=1,priority=${100 + len},ip,nw_dst=${ipv4(net % 2 ** 32)}/${len},actions=dec_ttl,mod_dl_src:02:00:00:00:00:fe,mod_dl_dst:${mac(0xbb, c)},resubmit(,2)`;
    }
    case 'ipv6':
      return c & 1
        ? `table=1,priority=164,ipv6,ipv6_dst=2001:db8:1:${(c >>> 1).toString(16)}::/64,actions=dec_ttl,output:2`
        : `table=1,priority=148,ipv6,ipv6_dst=2001:db8:${(0x100 + (c >>> 1)).toString(16)}::/48,actions=dec_ttl,output:2`;
    case 'tcp':
      return `cookie=0x${(0x1000 + c).toString(16)},table=2,priority=1000,tcp,nw_src=${ipv4(0x0a010000 + c)},nw_dst=10.2.0.1,tp_src=${1024 + (c % 60000)},tp_dst=80,actions=mod_nw_tos:${(c % 64) * 4},load:${c}->NXM_NX_REG0[],resubmit(,3)`;
    case 'udp':
      return `table=2,priority=900,udp,nw_src=${ipv4(0x0a030000 + c)},nw_dst=10.4.0.53,tp_src=${1024 + (c % 60000)},tp_dst=53,actions=set_field:5353->udp_dst,output:1`;
    case 'reg':
      return `table=3,priority=${c % 100},reg0=${c},actions=${c % 3 === 0 ? 'drop' : `output:${1 + (c & 1)}`}`;
  }
}

/**
 * The whole flow file: `n` lines cycling through the kinds by {@link KIND_WEIGHTS}.
 * @param n number of flows
 * @returns the file's text, one flow per line
 */
function flowFile(n: number): string {
  const next = new Map<Kind, number>();
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = KIND_CYCLE[i % KIND_CYCLE.length];
    const c = next.get(kind) ?? 0;
    next.set(kind, c + 1);
    lines.push(flowLine(kind, c));
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Running ovs-ofctl

/** What one command did: wall time, and the flow lines it printed, or why it failed. */
interface Outcome {
  ms: number;
  flowLines: number;
  failure?: string;
}

/**
 * Runs `ovs-ofctl args…` with the database's environment (its OVS_RUNDIR holds br0.mgmt), stdout
 * to `outFile`; kills it after TIMEOUT_MS.
 */
function ofctl(ovsdb: OvsdbHandle, args: readonly string[], outFile: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const fd = fs.openSync(outFile, 'w');
    const err: Buffer[] = [];
    const t0 = process.hrtime.bigint();
    const child = spawn('ovs-ofctl', ['-vtimeval:off', '-vcoverage:off', ...args], { env: ovsdb.env, stdio: ['ignore', fd, 'pipe'] });
    fs.closeSync(fd);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const finish = (failure?: string): void => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      clearTimeout(timer);
      const text = fs.readFileSync(outFile, 'utf8');
      resolve({ ms, flowLines: text.split('\n').filter((l) => l.includes('actions=')).length, failure });
    };
    child.on('error', (e) => finish(`cannot run: ${e.message}`));
    child.on('close', (code, signal) => {
      if (timedOut) finish(`timeout ${TIMEOUT_MS / 1000} s`);
      else if (code !== 0) finish(`exit ${code ?? signal}: ${Buffer.concat(err).toString().trim().split('\n')[0]}`);
      else finish();
    });
  });
}

/** The flow count `ovs-ofctl dump-aggregate br0` reports. */
async function flowCount(ovsdb: OvsdbHandle, outFile: string): Promise<number> {
  const o = await ofctl(ovsdb, ['dump-aggregate', 'br0'], outFile);
  const m = /flow_count=(\d+)/.exec(fs.readFileSync(outFile, 'utf8'));
  if (o.failure || !m) throw new Error(`dump-aggregate: ${o.failure ?? 'no flow_count'}`);
  return Number(m[1]);
}

/** VmRSS of a process, MiB. */
function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------------------------------------
// One daemon's session

/**
 * A timed step: label, ovs-ofctl arguments, whether it adds flows, and whether it dumps them (its
 * flow lines are counted; after any other step a dump-aggregate counts the table's flows).
 */
interface Step {
  name: string;
  args: (flowsFile: string) => string[];
  adds: boolean;
  dumps: boolean;
}

/** Run ADD_RUNS times, first: one flow_mod + barrier round trip per flow. */
const PLAIN_ADD: Step = { name: 'add-flows', args: (f) => ['add-flows', 'br0', f], adds: true, dumps: false };
/** Run RUNS times, in this order. */
const REPEATED: Step[] = [
  { name: '--bundle add-flows', args: (f) => ['--bundle', 'add-flows', 'br0', f], adds: true, dumps: false },
  { name: 'dump-flows', args: () => ['dump-flows', 'br0'], adds: false, dumps: true },
  { name: '-O OpenFlow13 dump-flows', args: () => ['-O', 'OpenFlow13', 'dump-flows', 'br0'], adds: false, dumps: true },
  { name: 'del-flows', args: () => ['del-flows', 'br0'], adds: false, dumps: false },
];
const STEPS = [PLAIN_ADD, ...REPEATED];

/** One daemon's results for one step. */
interface StepResult {
  /** Wall time of every successful run, ms. */
  ms: number[];
  /** Flows after every successful run (adds, deletes) or flow lines printed (dumps). */
  flows: number[];
  /** What went wrong the first time it did. */
  failure?: string;
  /** For an add that timed out: how long it ran and how many flows it had added by then. */
  partial?: { ms: number; flows: number };
}

interface Session {
  steps: Map<string, StepResult>;
  rss: { idle: number; added: number[]; deleted: number[] };
  /** Why the daemon could not run, or stopped early. */
  failure?: string;
}

/** Sets up br0 with one daemon, runs PLAIN_ADD ADD_RUNS times, then REPEATED RUNS times. */
async function session(which: Daemon, flowsFile: string, tmp: string): Promise<Session> {
  const s: Session = { steps: new Map(STEPS.map((st) => [st.name, { ms: [], flows: [] }])), rss: { idle: NaN, added: [], deleted: [] } };
  await cleanupDatapath();
  const ovsdb = await startOvsdb();
  let daemon: VswitchdHandle | undefined;
  try {
    try {
      daemon = which === 'reference' ? await startReferenceVswitchd(ovsdb) : await startOurVswitchd(ovsdb);
      await ovsdb.vsctl(['add-br', 'br0', '--', 'set', 'Bridge', 'br0', 'fail_mode=secure']);
      for (const p of [1, 2]) {
        await ovsdb.vsctl(['add-port', 'br0', `p${p}`, '--', 'set', 'Interface', `p${p}`, 'type=internal', `ofport_request=${p}`]);
      }
    } catch (e) {
      s.failure = `did not start: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
      return s;
    }
    const pid = daemon.pid;
    const out = path.join(tmp, `${which}.out`);
    s.rss.idle = rssMiB(pid);
    const plan = [...Array<Step>(ADD_RUNS).fill(PLAIN_ADD), ...Array.from({ length: RUNS }, () => REPEATED).flat()];
    for (const st of plan) {
      const r = s.steps.get(st.name) as StepResult;
      if (r.failure) continue;
      const o = await ofctl(ovsdb, st.args(flowsFile), out);
      const flows = st.dumps ? o.flowLines : await flowCount(ovsdb, out);
      if (o.failure) {
        r.failure = o.failure;
        console.log(`# ${which}: ${st.name}: ${o.failure}${st.adds ? ` after ${grouped(flows)} flows` : ''}`);
        if (st.adds) r.partial = { ms: o.ms, flows };
        // The plain add-flows may well time out (see bench/README.md); the rest goes on from an
        // empty table. Any other failure ends this daemon's session.
        if (st !== PLAIN_ADD) throw new Error(`${st.name}: ${o.failure}`);
        const del = await ofctl(ovsdb, ['del-flows', 'br0'], out);
        if (del.failure) throw new Error(`del-flows after ${st.name}: ${del.failure}`);
        continue;
      }
      r.ms.push(o.ms);
      r.flows.push(flows);
      if (st.adds) s.rss.added.push(rssMiB(pid));
      if (st.name === 'del-flows') s.rss.deleted.push(rssMiB(pid));
      // add-flows is followed by a bundle add in the plan: empty the table between them.
      if (st === PLAIN_ADD) {
        const del = await ofctl(ovsdb, ['del-flows', 'br0'], out);
        if (del.failure) throw new Error(`del-flows after add-flows: ${del.failure}`);
      }
    }
    return s;
  } catch (e) {
    s.failure = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return s;
  } finally {
    collectLogs(ovsdb.dir, `ofctl-bench-${which}`);
    await daemon?.stop();
    await cleanupDatapath();
    await ovsdb.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const complete = (r: StepResult, runs: number): boolean => r.ms.length === runs;

/** The time cell of one daemon's step: median ms, or what went wrong. */
function timeCell(r: StepResult, runs: number): string {
  if (runs === 0) return 'skipped';
  if (complete(r, runs)) return grouped(median(r.ms));
  return r.failure ?? 'not run';
}

/** The flows cell: the count (a range when runs disagree), or an add's partial count. */
function flowsCell(r: StepResult): string {
  if (r.flows.length === 0) return r.partial ? grouped(r.partial.flows) : '—';
  const lo = Math.min(...r.flows);
  const hi = Math.max(...r.flows);
  return lo === hi ? grouped(lo) : `${grouped(lo)}…${grouped(hi)}`;
}

/**
 * ours/ref: of the median times when both completed every run; for an add that one of them did
 * not complete, of the times per flow added (marked `*`).
 */
function ratioCell(o: StepResult, r: StepResult, runs: number, adds: boolean): string {
  if (runs === 0) return '—';
  if (complete(o, runs) && complete(r, runs)) return `${(median(o.ms) / median(r.ms)).toFixed(2)}x`;
  if (!adds) return '—';
  const perFlow = (x: StepResult): number =>
    complete(x, runs) ? median(x.ms) / median(x.flows) : x.partial && x.partial.flows > 0 ? x.partial.ms / x.partial.flows : NaN;
  const q = perFlow(o) / perFlow(r);
  return Number.isFinite(q) ? `${q.toFixed(2)}x*` : '—';
}

async function main(): Promise<void> {
  requireKernel();
  const tmp = makeTempDir('tsv-bench-ofctl-');
  try {
    const flowsFile = path.join(tmp, 'flows.txt');
    fs.writeFileSync(flowsFile, flowFile(FLOWS));
    const sessions = new Map<Daemon, Session>();
    for (const d of DAEMONS) {
      const t0 = Date.now();
      const s = await session(d, flowsFile, tmp);
      sessions.set(d, s);
      console.log(`# ${d}: ${s.failure ? `stopped: ${s.failure}` : 'done'} (${grouped((Date.now() - t0) / 1000)} s)`);
    }
    const [ref, ours] = DAEMONS.map((d) => sessions.get(d) as Session);
    const env = process.env.KERNEL_HARNESS === 'vm' ? 'emulated QEMU guest: compare ratios, not absolute times' : 'native';
    printTable(
      `ovs-ofctl against each vswitchd, ${grouped(FLOWS)} flows (kernel ${os.release()}, ${os.cpus().length} CPUs, median ms; ${env})`,
      ['step', 'runs', 'reference ms', 'ts-vswitchd ms', 'ours/ref', 'reference flows', 'ts-vswitchd flows'],
      STEPS.map((st) => {
        const runs = st === PLAIN_ADD ? ADD_RUNS : RUNS;
        const [r, o] = [ref.steps.get(st.name) as StepResult, ours.steps.get(st.name) as StepResult];
        return [st.name, String(runs), timeCell(r, runs), timeCell(o, runs), ratioCell(o, r, runs, st.adds), flowsCell(r), flowsCell(o)];
      }),
    );
    if (STEPS.some((st) => [ref, ours].some((s) => (s.steps.get(st.name) as StepResult).partial))) {
      console.log('* an add that did not complete: the ratio of the times per flow added before it stopped');
    }
    const mib = (x: number): string => (Number.isFinite(x) ? grouped(x, 1) : '—');
    const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : '—');
    const rssRow = (label: string, pick: (s: Session) => number): string[] => [label, mib(pick(ref)), mib(pick(ours)), ratio(pick(ours), pick(ref))];
    const med = (xs: number[]): number => (xs.length ? median(xs) : NaN);
    printTable(
      'Daemon memory (VmRSS, MiB; median over the runs)',
      ['when', 'reference', 'ts-vswitchd', 'ours/ref'],
      [
        rssRow('idle, br0 + 2 ports', (s) => s.rss.idle),
        rssRow(`after an add (${grouped(FLOWS)} flows)`, (s) => med(s.rss.added)),
        rssRow('after del-flows', (s) => med(s.rss.deleted)),
      ],
    );
    for (const [d, s] of sessions) if (s.failure) console.log(`# ${d}: ${s.failure}`);
  } finally {
    removeDir(tmp);
  }
}

main().catch((e) => {
  console.error(`ofctl.bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
