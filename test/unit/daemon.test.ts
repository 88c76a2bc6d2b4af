import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  daemonRole, MONITOR_RESTART_INTERVAL_MS, processStatusMsg, readPidfile, removePidfile, signalDescription, writePidfile,
} from '../../src/util/daemon';

const FIXTURE = path.join(__dirname, 'fixtures', 'detach-fixture.js');
const MONITOR_FIXTURE = path.join(__dirname, 'fixtures', 'monitor-fixture.js');

const created: string[] = [];
after(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-vswitchd-daemon-'));
  created.push(dir);
  return dir;
}

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('pidfile', () => {
  test('is created holding our pid and a newline, with no temporary file left', () => {
    const dir = tmpdir();
    const file = path.join(dir, 'ovs-vswitchd.pid');
    writePidfile(file);
    assert.equal(fs.readFileSync(file, 'utf8'), `${process.pid}\n`);
    assert.deepEqual(fs.readdirSync(dir), ['ovs-vswitchd.pid']);
    assert.equal(readPidfile(file), process.pid);
  });

  test('is refused while the pid it records is alive, with OVS\'s message', () => {
    const file = path.join(tmpdir(), 'ovs-vswitchd.pid');
    fs.writeFileSync(file, `${process.ppid}\n`);
    assert.throws(() => writePidfile(file), {
      message: `${file}: already running as pid ${process.ppid}, aborting`,
    });
    assert.equal(fs.readFileSync(file, 'utf8'), `${process.ppid}\n`);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['ovs-vswitchd.pid']);
  });

  test('is taken over from a live pid with overwrite (--overwrite-pidfile)', () => {
    const file = path.join(tmpdir(), 'ovs-vswitchd.pid');
    fs.writeFileSync(file, `${process.ppid}\n`);
    writePidfile(file, { overwrite: true });
    assert.equal(readPidfile(file), process.pid);
  });

  test('replaces a stale file whose pid is dead', async () => {
    const file = path.join(tmpdir(), 'ovs-vswitchd.pid');
    fs.writeFileSync(file, `${await deadPid()}\n`);
    writePidfile(file);
    assert.equal(readPidfile(file), process.pid);
  });

  test('replaces a file holding our own pid (left by an earlier run in the same pid namespace)', () => {
    const file = path.join(tmpdir(), 'ovs-vswitchd.pid');
    fs.writeFileSync(file, `${process.pid}\n`);
    writePidfile(file);
    assert.equal(readPidfile(file), process.pid);
  });

  test('replaces a file whose contents are not a pid', () => {
    const file = path.join(tmpdir(), 'ovs-vswitchd.pid');
    fs.writeFileSync(file, 'garbage');
    assert.equal(readPidfile(file), null);
    writePidfile(file);
    assert.equal(readPidfile(file), process.pid);
  });

  test('reports a missing directory as a create failure', () => {
    const file = path.join(tmpdir(), 'missing', 'ovs-vswitchd.pid');
    assert.throws(() => writePidfile(file), {
      message: `${file}.tmp${process.pid}: create failed (No such file or directory)`,
    });
  });

  test('is removed at exit only while it still records our pid', () => {
    const dir = tmpdir();
    const ours = path.join(dir, 'ours.pid');
    const theirs = path.join(dir, 'theirs.pid');
    writePidfile(ours);
    fs.writeFileSync(theirs, `${process.ppid}\n`);
    removePidfile(ours);
    removePidfile(theirs);
    removePidfile(path.join(dir, 'never-existed.pid'));
    assert.deepEqual(fs.readdirSync(dir), ['theirs.pid']);
  });
});

interface FixtureRun {
  code: number | null;
  stderr: string;
  exitedAt: number;
  dir: string;
}

/** Runs the fixture in the foreground; resolves when it exits and its stdout/stderr close. */
function runFixture(mode: string, dir = tmpdir()): Promise<FixtureRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [FIXTURE, dir, mode], { cwd: dir }, (err, _stdout, stderr) => {
      resolve({ code: err ? (err.code as number) : 0, stderr, exitedAt: Date.now(), dir });
    });
    child.stdin?.end();
  });
}

function childPid(dir: string): number {
  return Number(fs.readFileSync(path.join(dir, 'child.pid'), 'utf8'));
}

describe('--detach', () => {
  const toKill: number[] = [];
  after(() => {
    for (const pid of toKill) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  test('is not in effect in an ordinary process', () => {
    assert.equal(daemonRole(), 'invoked');
  });

  test('the foreground process exits 0 only after the background one is ready, which keeps running', async () => {
    const run = await runFixture('ready');
    const pid = childPid(run.dir);
    toKill.push(pid);
    assert.equal(run.code, 0);
    const readyAt = Number(fs.readFileSync(path.join(run.dir, 'ready-at'), 'utf8'));
    const parentSaw = JSON.parse(fs.readFileSync(path.join(run.dir, 'parent-saw'), 'utf8')) as {
      at: number; outcome: { ready: boolean; pid: number };
    };
    assert.deepEqual(parentSaw.outcome, { ready: true, pid });
    assert.ok(parentSaw.at >= readyAt, 'parent resumed before the child signalled ready');
    assert.ok(run.exitedAt >= readyAt);
    // Startup output of the background process reaches the invoker's stderr.
    assert.equal(run.stderr, 'child starting\n');

    // Still running after the parent left, in a session of its own, in /, surviving writes to
    // the stderr whose reader went away.
    await new Promise((r) => setTimeout(r, 400));
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(fields[3]), pid, 'not a session leader');
    assert.equal(fs.readFileSync(path.join(run.dir, 'cwd'), 'utf8'), '/');
    assert.ok(fs.existsSync(path.join(run.dir, 'alive')));
    process.kill(pid, 'SIGKILL');
  });

  test('a background process that fails passes its exit status and stderr to the foreground one', async () => {
    const run = await runFixture('fail');
    assert.equal(run.code, 3);
    assert.equal(run.stderr, 'child failing\nfixture: child not ready (exit status 3)\n');
    const saw = JSON.parse(fs.readFileSync(path.join(run.dir, 'parent-saw'), 'utf8')) as { outcome: object };
    assert.deepEqual(saw.outcome, {
      ready: false, pid: childPid(run.dir), exitCode: 3, signal: null, reason: 'exit status 3',
    });
  });

  test('a background process that exits 0 without becoming ready is a failure', async () => {
    const run = await runFixture('quiet-exit');
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'fixture: child not ready (exit status 0)\n');
  });

  test('a background process killed before it is ready is reported with its signal', async () => {
    const dir = tmpdir();
    const running = runFixture('hang', dir);
    const pidFile = path.join(dir, 'child.pid');
    while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, 'utf8') === '') {
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(childPid(dir), 'SIGKILL');
    const run = await running;
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'fixture: child not ready (killed (Killed))\n');
  });
});

describe('pidfile lock', () => {
  test('the daemon holds an fcntl write lock on its pidfile, as ovs-appctl requires', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-lock-'));
    created.push(dir);
    const pidfile = path.join(dir, 'x.pid');
    const script = `require(${JSON.stringify(require.resolve('../../src/util/daemon'))}).writePidfile(${JSON.stringify(pidfile)});
      process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      const { lockFile } = await import('../../src/genl/native');
      const fd = fs.openSync(pidfile, 'r+');
      try {
        assert.throws(() => lockFile(fd), (e: NodeJS.ErrnoException) => e.code === 'EAGAIN' || e.code === 'EACCES');
      } finally {
        fs.closeSync(fd);
      }
      assert.equal(readPidfile(pidfile), child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('process status text', () => {
  test('names signals as strsignal() does, aliases included, as OVS\'s signal_name()', () => {
    assert.equal(signalDescription('SIGSEGV'), 'Segmentation fault');
    assert.equal(signalDescription('SIGABRT'), 'Aborted');
    assert.equal(signalDescription('SIGKILL'), 'Killed');
    assert.equal(signalDescription('SIGTERM'), 'Terminated');
    assert.equal(signalDescription('SIGIOT'), 'Aborted');
    assert.equal(signalDescription('SIGPOLL'), 'I/O possible');
    assert.equal(signalDescription('SIGSYS'), 'Bad system call');
  });

  test('reads "exit status N" or "killed (TEXT)", as process_status_msg()', () => {
    assert.equal(processStatusMsg(0, null), 'exit status 0');
    assert.equal(processStatusMsg(3, null), 'exit status 3');
    // No core dump for a signal whose default action is to terminate only.
    assert.equal(processStatusMsg(null, 'SIGKILL'), 'killed (Killed)');
    assert.match(processStatusMsg(null, 'SIGSEGV'), /^killed \(Segmentation fault\)(, core dumped)?$/);
  });
});

/** `, core dumped` as the monitor fixture's crashes report it: it runs with `ulimit -c 0`. */
const CORE_SUFFIX = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8').startsWith('|') ? ', core dumped' : '';

interface MonitorRun {
  dir: string;
  pid: number;
  exited: Promise<number | null>;
}

/** Starts the monitor fixture (with core dumps off, so crashes leave no core files behind). */
function startMonitor(plan: string, intervalMs = MONITOR_RESTART_INTERVAL_MS): MonitorRun {
  const dir = tmpdir();
  const child = spawn('sh', ['-c', 'ulimit -c 0 && exec "$0" "$@"', process.execPath, MONITOR_FIXTURE, dir, plan, String(intervalMs)],
    { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { dir, pid: child.pid!, exited };
}

interface FixtureEvent {
  what: string;
  pid: number;
  at: number;
}

function events(dir: string): FixtureEvent[] {
  const text = fs.existsSync(path.join(dir, 'events')) ? fs.readFileSync(path.join(dir, 'events'), 'utf8') : '';
  return text.split('\n').filter((l) => l).map((l) => {
    const [what, pid, at] = l.split(' ');
    return { what, pid: Number(pid), at: Number(at) };
  });
}

function starts(dir: string): FixtureEvent[] {
  return events(dir).filter((e) => e.what === 'start');
}

/** The monitor's log lines as [module, level, text]. */
function monitorLog(dir: string): string[][] {
  const file = path.join(dir, 'monitor.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l).map((l) => l.split('|').slice(2));
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), 'timed out');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('--monitor', () => {
  const monitors: MonitorRun[] = [];
  after(() => {
    for (const m of monitors) {
      for (const pid of [m.pid, ...starts(m.dir).map((e) => e.pid)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  function monitor(plan: string, intervalMs?: number): MonitorRun {
    const m = startMonitor(plan, intervalMs);
    monitors.push(m);
    return m;
  }

  test('a daemon that aborts is restarted once; SIGTERM to the monitor stops both', async () => {
    const m = monitor('abort,serve');
    await until(() => events(m.dir).filter((e) => e.what === 'ready').length === 2);
    const [first, second] = starts(m.dir);
    assert.ok(!alive(first.pid));
    const title = fs.readFileSync(`/proc/${m.pid}/cmdline`, 'utf8');
    assert.ok(title.startsWith(`ts-vswitchd: monitoring pid ${second.pid} (1 crashes: pid ${first.pid} died, killed (Aborted)`), title);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(starts(m.dir).length, 2, 'restarted more than once');
    process.kill(m.pid, 'SIGTERM');
    assert.equal(await m.exited, 0);
    assert.ok(events(m.dir).some((e) => e.what === 'stopped' && e.pid === second.pid), 'SIGTERM not passed on');
    assert.deepEqual(monitorLog(m.dir).filter(([module]) => module === 'daemon_unix(monitor)'), [
      ['daemon_unix(monitor)', 'ERR', `1 crashes: pid ${first.pid} died, killed (Aborted)${CORE_SUFFIX}, restarting`],
      ['daemon_unix(monitor)', 'INFO', `pid ${second.pid} died, exit status 0, exiting`],
    ]);
  });

  test('the process title says the daemon is healthy before any crash', async () => {
    const m = monitor('serve');
    await until(() => events(m.dir).some((e) => e.what === 'ready'));
    const [only] = starts(m.dir);
    assert.ok(fs.readFileSync(`/proc/${m.pid}/cmdline`, 'utf8').startsWith(`ts-vswitchd: monitoring pid ${only.pid} (healthy)`));
    process.kill(m.pid, 'SIGTERM');
    assert.equal(await m.exited, 0);
  });

  test('the log file stays closed while the monitor waits, and is reopened to log a death', async () => {
    const m = monitor('exit');
    assert.equal(await m.exited, 0);
    const vlogLines = monitorLog(m.dir).filter(([module]) => module === 'vlog(monitor)');
    assert.deepEqual(vlogLines, [
      ['vlog(monitor)', 'INFO', 'closing log file'],
      ['vlog(monitor)', 'INFO', `opened log file ${path.join(m.dir, 'monitor.log')}`],
    ]);
  });

  test('a daemon that exits on its own is not restarted; the monitor exits 0', async () => {
    const m = monitor('exit');
    assert.equal(await m.exited, 0);
    const [only, ...rest] = starts(m.dir);
    assert.deepEqual(rest, []);
    assert.deepEqual(monitorLog(m.dir).pop(), ['daemon_unix(monitor)', 'INFO', `pid ${only.pid} died, exit status 0, exiting`]);
  });

  test('a daemon killed by SIGKILL is not restarted, as OVS restarts only after error signals', async () => {
    const m = monitor('kill');
    assert.equal(await m.exited, 0);
    const [only, ...rest] = starts(m.dir);
    assert.deepEqual(rest, []);
    assert.deepEqual(monitorLog(m.dir).pop(), ['daemon_unix(monitor)', 'INFO', `pid ${only.pid} died, killed (Killed), exiting`]);
  });

  test('restarts come at most once per restart interval, with OVS\'s warning before a delayed one', async () => {
    const m = monitor('abort,abort,serve', 1500);
    await until(() => events(m.dir).filter((e) => e.what === 'ready').length === 3);
    const [first, second] = starts(m.dir);
    // The monitor's own timestamps: when it decided each restart.
    const restarts = fs.readFileSync(path.join(m.dir, 'monitor.log'), 'utf8').split('\n')
      .filter((l) => l.endsWith(', restarting')).map((l) => Date.parse(l.split('|')[0]));
    assert.equal(restarts.length, 2);
    assert.ok(restarts[1] - restarts[0] >= 1490, `second restart ${restarts[1] - restarts[0]} ms after the first`);
    process.kill(m.pid, 'SIGTERM');
    assert.equal(await m.exited, 0);
    const lines = monitorLog(m.dir).filter(([module]) => module === 'daemon_unix(monitor)');
    const crash2 = `2 crashes: pid ${second.pid} died, killed (Aborted)${CORE_SUFFIX}`;
    assert.deepEqual(lines.slice(0, 3), [
      ['daemon_unix(monitor)', 'ERR', `1 crashes: pid ${first.pid} died, killed (Aborted)${CORE_SUFFIX}, restarting`],
      ['daemon_unix(monitor)', 'WARN', `${crash2}, waiting until 1.5 seconds since last restart`],
      ['daemon_unix(monitor)', 'ERR', `${crash2}, restarting`],
    ]);
  });

  test('SIGTERM while a restart waits out the interval ends the monitor without a restart', async () => {
    const m = monitor('abort,abort,serve', 30_000);
    await until(() => monitorLog(m.dir).some(([, level]) => level === 'WARN'));
    process.kill(m.pid, 'SIGTERM');
    assert.equal(await m.exited, 0);
    assert.equal(starts(m.dir).length, 2);
  });

  test('a restarted daemon that fails before it is ready ends the monitor with its exit status', async () => {
    const m = monitor('abort,fail');
    assert.equal(await m.exited, 2);
    assert.equal(starts(m.dir).length, 2);
  });

  test('a first daemon killed before it is ready is fatal, with OVS\'s messages', async () => {
    const m = monitor('abort-early');
    assert.equal(await m.exited, 1);
    assert.deepEqual(monitorLog(m.dir).filter(([module]) => module === 'daemon_unix(monitor)'), [
      ['daemon_unix(monitor)', 'ERR', `fork child died before signaling startup (killed (Aborted)${CORE_SUFFIX})`],
      ['daemon_unix(monitor)', 'EMER', 'could not initiate process monitoring'],
    ]);
  });
});
