/**
 * Process behaviour across restarts (issue #5's acceptance), each scenario run first against
 * Debian's ovs-vswitchd (so the test itself is known to hold for OVS) and then against
 * ts-vswitchd, in one guest boot:
 * - SIGTERM and a new start while a ping runs through br0: no ping lost while no daemon runs,
 *   the datapath flow count settles back to the same number with the same flows, no vport
 *   deleted and re-created (same port numbers and ifindexes), and `ovs-ofctl dump-flows br0`
 *   shows the same rules (the default NORMAL rule) as before the restart and as OVS. For
 *   ts-vswitchd also: no ping lost while the new daemon starts and adopts the datapath. OVS
 *   cannot promise that: it flushes the datapath's flows when it starts (`open_dpif_backer()` in
 *   ofproto/ofproto-dpif.c, unless `other_config:flow-restore-wait` is set), so packets miss
 *   until its handlers run.
 * - `--detach --pidfile`, then `ovs-appctl exit`: no process, no pidfile, no control socket left;
 *   a stale pidfile from a daemon killed with SIGKILL does not stop a new start.
 * - `--detach --monitor`: a daemon killed by SIGSEGV is restarted by its monitor with datapath,
 *   vports and flows intact; one killed by SIGKILL is not (OVS restarts only after error
 *   signals), and the monitor exits. For ts-vswitchd also: no ping lost from the crash on (OVS
 *   flushes its flows when it starts again, as above), and SIGTERM to the monitor stops both
 *   (OVS's monitor ignores SIGTERM).
 *
 * The namespaces get static neighbour entries, so no ARP exchange needs a new megaflow while the
 * daemon is down; only the ICMP megaflows installed before the stop carry the pings.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';

import {
  cleanupDatapath,
  collectLogs,
  netnsPair,
  type NetnsPair,
  type OvsdbHandle,
  requireKernel,
  run,
  scaled,
  sh,
  sleep,
  startOurVswitchd,
  startOvsdb,
  startReferenceVswitchd,
  TS_VSWITCHD,
  type VswitchdHandle,
  vswitchdArgs,
  waitFor,
  waitReconfigured,
  pingEach,
} from './lib/env';

requireKernel();

type Which = 'reference' | 'ts-vswitchd';
const WHICH: readonly Which[] = ['reference', 'ts-vswitchd'];
const BINARY: Record<Which, string> = { 'reference': 'ovs-vswitchd', 'ts-vswitchd': TS_VSWITCHD };
const PROGRAM: Record<Which, string> = { 'reference': 'ovs-vswitchd', 'ts-vswitchd': 'ts-vswitchd' };

/** Pids a scenario started outside env.ts's bookkeeping (detached daemons and monitors). */
const strays = new Set<number>();
process.on('exit', () => {
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Whether `pid` runs (a zombie waiting for its parent to reap it does not). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function cmdline(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
}

function pidfileOf(ovsdb: OvsdbHandle): string {
  return path.join(ovsdb.rundir, 'ovs-vswitchd.pid');
}

function logFileOf(ovsdb: OvsdbHandle): string {
  return path.join(ovsdb.logdir, 'ovs-vswitchd.log');
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `which` as `ovs-ctl` would, with `--detach` and `extra` on top of env.ts's command line,
 * core dumps off (the monitor scenario crashes it on purpose); resolves when the invoking process
 * has returned, i.e. once the daemon is ready.
 * @returns the daemon's pid, from the pidfile
 */
async function startDetached(which: Which, ovsdb: OvsdbHandle, extra: string[] = []): Promise<number> {
  const r = await sh(['bash', '-c', 'ulimit -c 0 && exec "$@"', 'start', BINARY[which], ...vswitchdArgs(ovsdb, ['--detach', ...extra])],
    { env: ovsdb.env, timeoutMs: scaled(60_000) });
  assert.equal(r.code, 0, `${which} --detach exited ${r.code}: ${r.stderr}`);
  const pid = readPid(pidfileOf(ovsdb));
  assert.ok(pid !== undefined && running(pid), `${which}: no running daemon in ${pidfileOf(ovsdb)} after --detach returned`);
  strays.add(pid);
  await waitReconfigured(ovsdb, scaled(30_000));
  return pid;
}

/** A bridge with two namespaces on it, the way every scenario here sets it up. */
interface Topology {
  a: NetnsPair;
  b: NetnsPair;
  cleanup(): Promise<void>;
}

async function buildTopology(ovsdb: OvsdbHandle, tag: string): Promise<Topology> {
  // Megaflows must outlive every pause of the scenario, which is slow in the emulated guest.
  await ovsdb.vsctl(['set', 'Open_vSwitch', '.', 'other_config:max-idle=120000']);
  await ovsdb.vsctl(['add-br', 'br0']);
  const a = await netnsPair(`tsvr${tag}1`, '10.0.5.1', { mac: '0a:00:00:00:05:01' });
  const b = await netnsPair(`tsvr${tag}2`, '10.0.5.2', { mac: '0a:00:00:00:05:02' });
  await a.exec(['ip', 'neigh', 'replace', b.addr, 'lladdr', b.mac, 'dev', a.nsIf, 'nud', 'permanent'], { check: true });
  await b.exec(['ip', 'neigh', 'replace', a.addr, 'lladdr', a.mac, 'dev', b.nsIf, 'nud', 'permanent'], { check: true });
  await ovsdb.vsctl(['add-port', 'br0', a.hostIf]);
  await ovsdb.vsctl(['add-port', 'br0', b.hostIf]);
  const ping = await pingEach(a, b.addr, 3);
  assert.match(ping.stdout, / 0% packet loss/, `ping through br0 before the restart: ${ping.stdout}`);
  return {
    a,
    b,
    async cleanup() {
      await a.cleanup();
      await b.cleanup();
    },
  };
}

/** What must not change across a restart. */
interface DatapathState {
  /** `ovs-dpctl show`'s port lines (`port N: NAME (TYPE)`). */
  ports: string[];
  /** Ifindexes of br0 and both veth ends in the root namespace. */
  ifindexes: number[];
  /** `ovs-dpctl dump-flows` lines without counters and times, sorted. */
  flows: string[];
}

async function datapathState(topo: Topology): Promise<DatapathState> {
  const ports = (await run(['ovs-dpctl', 'show'])).split('\n').filter((l) => /^\s+port \d+:/.test(l)).map((l) => l.trim());
  const ifindexes = ['br0', topo.a.hostIf, topo.b.hostIf].map((n) => Number(fs.readFileSync(`/sys/class/net/${n}/ifindex`, 'utf8')));
  const flows = (await run(['ovs-dpctl', 'dump-flows', 'system@ovs-system']))
    .split('\n')
    .filter((l) => l.includes('in_port('))
    .map((l) => l.replace(/, packets:\d+, bytes:\d+, used:(never|[\d.]+s)(, flags:[^,\s]*)?/, ''))
    .sort();
  return { ports, ifindexes, flows };
}

/** `ovs-ofctl dump-flows br0` without durations, counters and ages, one rule per line, sorted. */
interface RuleDump {
  code: number;
  stderr: string;
  rules: string[];
}

async function dumpRules(ovsdb: OvsdbHandle): Promise<RuleDump> {
  const r = await sh(['ovs-ofctl', 'dump-flows', 'br0'], { env: ovsdb.env, timeoutMs: scaled(20_000) });
  const rules = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^\S+ reply /.test(l))
    .map((l) => l.replace(/ (duration|n_packets|n_bytes|idle_age|hard_age)=[^,\s]+,/g, ''))
    .sort();
  return { code: r.code, stderr: r.stderr, rules };
}

/** A ping running in a namespace until stopped; see {@link startPing}. */
interface RunningPing {
  /** Stops it (SIGINT) and reports which echo requests went unanswered. */
  stop(): Promise<PingResult>;
}

interface PingResult {
  transmitted: number;
  /** Unanswered sequence numbers, with when ping noticed (s since the epoch), last one excluded. */
  lost: { seq: number; at: number }[];
  output: string;
}

/**
 * Starts `ping -D -O -i 0.1` from `from` to `to`: every 100 ms, timestamps on each line, a
 * `no answer yet for icmp_seq=N` line when a reply is late, which dates each loss.
 */
function startPing(from: NetnsPair, to: NetnsPair): RunningPing {
  const child = spawn('ip', ['netns', 'exec', from.ns, 'ping', '-D', '-O', '-i', '0.1', to.addr], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) strays.add(child.pid);
  let output = '';
  child.stdout.on('data', (b: Buffer) => { output += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { output += b.toString(); });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    async stop() {
      child.kill('SIGINT');
      await closed;
      const transmitted = Number(/(\d+) packets transmitted/.exec(output)?.[1] ?? 0);
      const answered = new Set([...output.matchAll(/bytes from .*icmp_seq=(\d+)/g)].map((m) => Number(m[1])));
      const noticed = new Map([...output.matchAll(/^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)/gm)].map((m) => [Number(m[2]), Number(m[1])]));
      const lost: { seq: number; at: number }[] = [];
      // The last request may still have been in flight when ping was stopped.
      for (let seq = 1; seq < transmitted; seq++) {
        if (!answered.has(seq)) lost.push({ seq, at: noticed.get(seq) ?? NaN });
      }
      return { transmitted, lost, output };
    },
  };
}

/** Counts the losses inside [fromMs, toMs] (times from Date.now()); a loss with no date counts. */
function lostBetween(p: PingResult, fromMs: number, toMs: number): number[] {
  return p.lost.filter((l) => Number.isNaN(l.at) || (l.at * 1000 >= fromMs && l.at * 1000 <= toMs)).map((l) => l.seq);
}

function lossReport(p: PingResult): string {
  return `${p.lost.length} of ${p.transmitted} lost: ${p.lost.map((l) => `#${l.seq}@${l.at}`).join(' ')}`;
}

/**
 * Waits until the datapath holds at least the two ICMP megaflows of a running ping, unchanged
 * over two samples a second apart (the flow flooding the first request is replaced once the
 * reply taught the bridge where its sender is).
 */
async function steadyState(topo: Topology): Promise<DatapathState> {
  let previous: DatapathState | undefined;
  return waitFor(async () => {
    const now = await datapathState(topo);
    const steady = previous !== undefined && now.flows.length >= 2 && now.flows.join('\n') === previous.flows.join('\n');
    previous = now;
    return steady ? now : undefined;
  }, scaled(30_000), { intervalMs: 1000, what: 'steady ICMP megaflows both ways' });
}

/** Waits until the datapath flow count equals `count` on two samples 500 ms apart. */
async function flowCountSettles(count: number): Promise<number> {
  let last = -1;
  let n = -1;
  try {
    await waitFor(async () => {
      n = (await run(['ovs-dpctl', 'dump-flows', 'system@ovs-system'])).split('\n').filter((l) => l.includes('in_port(')).length;
      const settled = n === count && last === count;
      last = n;
      return settled;
    }, scaled(20_000), { intervalMs: 500, what: `${count} datapath flows` });
  } catch {
    // Reported by the caller's assertion with the count it saw.
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// SIGTERM, then a new start

interface RestartOutcome {
  before: DatapathState;
  after: DatapathState;
  countAfter: number;
  rulesBefore: RuleDump;
  rulesAfter: RuleDump;
  ping: PingResult;
  /** Date.now() when SIGTERM was sent, when the new daemon was started, when ping stopped. */
  stoppedAt: number;
  respawnAt: number;
  endAt: number;
}

async function restartScenario(which: Which): Promise<RestartOutcome> {
  await cleanupDatapath();
  const ovsdb = await startOvsdb();
  const start = (): Promise<VswitchdHandle> => (which === 'reference' ? startReferenceVswitchd(ovsdb) : startOurVswitchd(ovsdb));
  let daemon: VswitchdHandle | undefined;
  let topo: Topology | undefined;
  try {
    daemon = await start();
    topo = await buildTopology(ovsdb, which === 'reference' ? 'r' : 't');
    const ping = startPing(topo.a, topo.b);
    const before = await steadyState(topo);
    const rulesBefore = await dumpRules(ovsdb);
    const stoppedAt = Date.now();
    await daemon.stop();
    await sleep(scaled(2000));
    const respawnAt = Date.now();
    daemon = await start();
    const countAfter = await flowCountSettles(before.flows.length);
    await sleep(scaled(2000));
    const endAt = Date.now();
    const pingResult = await ping.stop();
    console.log(`# ${which} restart: ${lossReport(pingResult)}`);
    const after = await datapathState(topo);
    const rulesAfter = await dumpRules(ovsdb);
    return { before, after, countAfter, rulesBefore, rulesAfter, ping: pingResult, stoppedAt, respawnAt, endAt };
  } finally {
    collectLogs(ovsdb.dir, `restart-${which}`);
    await daemon?.stop();
    await topo?.cleanup();
    await cleanupDatapath();
    await ovsdb.destroy();
  }
}

describe('SIGTERM and a new start, with a ping running through br0', { timeout: scaled(900_000) }, () => {
  const outcomes = new Map<Which, RestartOutcome | Error>();
  before(async () => {
    for (const which of WHICH) outcomes.set(which, await restartScenario(which).catch((e: Error) => e));
  });

  /** A scenario's outcome; a scenario that failed fails each of its tests with its error. */
  const outcome = (which: Which): RestartOutcome => {
    const got = outcomes.get(which);
    if (got instanceof Error || got === undefined) throw got ?? new Error(`${which}: scenario did not run`);
    return got;
  };

  for (const which of WHICH) {
    const o = (): RestartOutcome => outcome(which);

    test(`${which}: no ping is lost while no daemon runs: installed megaflows keep forwarding`, () => {
      assert.ok(o().ping.transmitted > 20, o().ping.output);
      assert.deepEqual(lostBetween(o().ping, o().stoppedAt, o().respawnAt), [], lossReport(o().ping));
    });

    if (which === 'ts-vswitchd') {
      test(`${which}: no ping is lost while the new daemon starts and adopts the datapath's flows`, () => {
        assert.deepEqual(lostBetween(o().ping, o().respawnAt, o().endAt), [], lossReport(o().ping));
      });
    }

    test(`${which}: the datapath flow count settles back to the same number, with the same flows`, () => {
      const { before, after, countAfter } = o();
      const shown = `before:\n${before.flows.join('\n')}\nafter:\n${after.flows.join('\n')}`;
      assert.equal(countAfter, before.flows.length, shown);
      for (const f of before.flows) assert.ok(after.flows.includes(f), `flow lost across the restart: ${f}\n${shown}`);
    });

    test(`${which}: no vport was deleted and re-created: same ports, port numbers and ifindexes`, () => {
      assert.deepEqual(o().after.ports, o().before.ports);
      assert.deepEqual(o().after.ifindexes, o().before.ifindexes);
    });

    test(`${which}: ovs-ofctl dump-flows br0 shows the same rules after the restart, and the same as OVS`, () => {
      const { rulesBefore, rulesAfter } = o();
      assert.equal(rulesBefore.code, 0, `ovs-ofctl dump-flows br0 before the restart: ${rulesBefore.stderr}`);
      assert.equal(rulesAfter.code, 0, `ovs-ofctl dump-flows br0 after the restart: ${rulesAfter.stderr}`);
      assert.deepEqual(rulesAfter.rules, rulesBefore.rules);
      assert.deepEqual(rulesBefore.rules, outcome('reference').rulesBefore.rules);
      assert.deepEqual(rulesBefore.rules, ['cookie=0x0, table=0, priority=0 actions=NORMAL']);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// --detach --pidfile, ovs-appctl exit, stale pidfiles

for (const which of WHICH) {
  test(`${which}: --detach --pidfile then ovs-appctl exit leaves no process, pidfile or control socket; `
    + 'a stale pidfile from a daemon killed with SIGKILL does not stop a new start', { timeout: scaled(300_000) }, async () => {
    await cleanupDatapath();
    const ovsdb = await startOvsdb();
    const pidfile = pidfileOf(ovsdb);
    const appctl = (args: string[]) => sh(['ovs-appctl', '-t', 'ovs-vswitchd', ...args], { env: ovsdb.env, timeoutMs: scaled(20_000) });
    try {
      const first = await startDetached(which, ovsdb);
      const socket = path.join(ovsdb.rundir, `ovs-vswitchd.${first}.ctl`);
      assert.ok(fs.existsSync(socket), `${socket} missing`);
      const exit = await appctl(['exit']);
      assert.equal(exit.code, 0, exit.stderr);
      await waitFor(() => !running(first) && !fs.existsSync(pidfile), scaled(15_000), { what: `pid ${first} and ${pidfile} to go` });
      assert.ok(!fs.existsSync(socket), `${socket} left behind`);

      const killed = await startDetached(which, ovsdb);
      process.kill(killed, 'SIGKILL');
      await waitFor(() => !running(killed), scaled(10_000), { what: `pid ${killed} to die` });
      assert.equal(readPid(pidfile), killed, 'SIGKILL leaves the pidfile behind');

      const fresh = await startDetached(which, ovsdb);
      assert.notEqual(fresh, killed);
      assert.equal(readPid(pidfile), fresh);
      const version = await appctl(['version']);
      assert.equal(version.code, 0, `ovs-appctl finds the new daemon through the pidfile: ${version.stderr}`);
      assert.equal((await appctl(['exit'])).code, 0);
      await waitFor(() => !running(fresh) && !fs.existsSync(pidfile), scaled(15_000), { what: `pid ${fresh} and ${pidfile} to go` });
    } finally {
      collectLogs(ovsdb.dir, `detach-${which}`);
      for (const pid of strays) {
        if (running(pid)) process.kill(pid, 'SIGKILL');
      }
      await cleanupDatapath();
      await ovsdb.destroy();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// --monitor

for (const which of WHICH) {
  test(`${which}: --monitor restarts a daemon killed by SIGSEGV with datapath, vports and flows intact; `
    + 'after SIGKILL it does not restart and exits', { timeout: scaled(600_000) }, async () => {
    await cleanupDatapath();
    const ovsdb = await startOvsdb();
    const pidfile = pidfileOf(ovsdb);
    let topo: Topology | undefined;
    try {
      const first = await startDetached(which, ovsdb, ['--monitor']);
      const monitor = parentOf(first);
      strays.add(monitor);
      assert.ok(cmdline(monitor).startsWith(`${PROGRAM[which]}: monitoring pid ${first} (healthy)`), cmdline(monitor));
      topo = await buildTopology(ovsdb, which === 'reference' ? 'm' : 'n');
      const ping = startPing(topo.a, topo.b);
      const before = await steadyState(topo);

      const killAt = Date.now();
      process.kill(first, 'SIGSEGV');
      const second = await waitFor(() => {
        const pid = readPid(pidfile);
        return pid !== undefined && pid !== first && running(pid) ? pid : undefined;
      }, scaled(30_000), { what: 'a restarted daemon in the pidfile' });
      strays.add(second);
      assert.equal(parentOf(second), monitor, 'the restarted daemon is the monitor\'s child');
      await waitReconfigured(ovsdb, scaled(30_000));
      const countAfter = await flowCountSettles(before.flows.length);
      await sleep(scaled(2000));
      const endAt = Date.now();
      const pingResult = await ping.stop();
      console.log(`# ${which} crash: ${lossReport(pingResult)}`);
      if (which === 'ts-vswitchd') assert.deepEqual(lostBetween(pingResult, killAt, endAt), [], lossReport(pingResult));
      const after = await datapathState(topo);
      assert.deepEqual(after.ports, before.ports);
      assert.deepEqual(after.ifindexes, before.ifindexes);
      const shown = `before:\n${before.flows.join('\n')}\nafter:\n${after.flows.join('\n')}`;
      assert.equal(countAfter, before.flows.length, shown);
      for (const f of before.flows) assert.ok(after.flows.includes(f), `flow lost across the crash: ${f}\n${shown}`);
      const crash = `1 crashes: pid ${first} died, killed (Segmentation fault)`;
      assert.ok(cmdline(monitor).startsWith(`${PROGRAM[which]}: monitoring pid ${second} (${crash}`), cmdline(monitor));
      const log = fs.readFileSync(logFileOf(ovsdb), 'utf8');
      assert.match(log, new RegExp(`\\|daemon_unix\\(monitor\\)\\|ERR\\|${escape(crash)}(, core dumped)?, restarting\\n`));

      process.kill(second, 'SIGKILL');
      await waitFor(() => !running(monitor), scaled(15_000), { what: `monitor ${monitor} to exit after SIGKILL` });
      assert.ok(!running(second));
      assert.match(fs.readFileSync(logFileOf(ovsdb), 'utf8'),
        new RegExp(`\\|daemon_unix\\(monitor\\)\\|INFO\\|pid ${second} died, killed \\(Killed\\), exiting\\n`));
      assert.deepEqual((await datapathState(topo)).ports, before.ports, 'the datapath stays after the daemon is gone');
    } finally {
      collectLogs(ovsdb.dir, `monitor-${which}`);
      for (const pid of strays) {
        if (running(pid)) process.kill(pid, 'SIGKILL');
      }
      await topo?.cleanup();
      await cleanupDatapath();
      await ovsdb.destroy();
    }
  });
}

test('ts-vswitchd: SIGTERM to the monitor stops the daemon too, which removes its pidfile', { timeout: scaled(300_000) }, async () => {
  await cleanupDatapath();
  const ovsdb = await startOvsdb();
  try {
    const daemon = await startDetached('ts-vswitchd', ovsdb, ['--monitor']);
    const monitor = parentOf(daemon);
    strays.add(monitor);
    process.kill(monitor, 'SIGTERM');
    await waitFor(() => !running(monitor) && !running(daemon), scaled(20_000), { what: 'monitor and daemon to exit' });
    assert.ok(!fs.existsSync(pidfileOf(ovsdb)), 'pidfile left behind');
    assert.match(fs.readFileSync(logFileOf(ovsdb), 'utf8'),
      new RegExp(`\\|daemon_unix\\(monitor\\)\\|INFO\\|pid ${daemon} died, exit status 0, exiting\\n`));
  } finally {
    collectLogs(ovsdb.dir, 'monitor-sigterm');
    for (const pid of strays) {
      if (running(pid)) process.kill(pid, 'SIGKILL');
    }
    await cleanupDatapath();
    await ovsdb.destroy();
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
