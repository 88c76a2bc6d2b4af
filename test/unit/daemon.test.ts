import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { isDetachedChild, readPidfile, removePidfile, writePidfile } from '../../src/util/daemon';

const FIXTURE = path.join(__dirname, 'fixtures', 'detach-fixture.js');

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
    assert.equal(isDetachedChild(), false);
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
    assert.equal(run.stderr, 'fixture: child not ready (killed (SIGKILL))\n');
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
