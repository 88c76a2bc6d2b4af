import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { CommandLineExit, parseArgs, VswitchdOptions } from '../../src/cli';
import { dbdir, defaultDatabase, defaultUnixctlPath, logdir, rundir } from '../../src/util/dirs';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'ts-vswitchd');
const MAIN_FIXTURE = path.join(__dirname, 'fixtures', 'main-fixture.js');
const ENV_VARS = ['OVS_RUNDIR', 'OVS_LOGDIR', 'OVS_DBDIR', 'OVS_SYSCONFDIR'] as const;
const saved = Object.fromEntries(ENV_VARS.map((k) => [k, process.env[k]]));

function restoreEnv(): void {
  for (const k of ENV_VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
}

function clearEnv(): void {
  for (const k of ENV_VARS) delete process.env[k];
}

const BASE: VswitchdOptions = {
  database: 'unix:/var/run/openvswitch/db.sock',
  overwritePidfile: false,
  detach: false,
  noChdir: false,
  verbose: [],
  monitor: false,
  mlockall: false,
};

describe('parseArgs', () => {
  afterEach(restoreEnv);

  const cases: [string[], Partial<VswitchdOptions>][] = [
    [[], {}],
    [['unix:/run/db.sock'], { database: 'unix:/run/db.sock' }],
    [['--pidfile'], { pidfile: '/var/run/openvswitch/ovs-vswitchd.pid' }],
    // Like getopt's optional arguments, --pidfile takes a value only after "=".
    [['--pidfile', 'unix:/x'], { pidfile: '/var/run/openvswitch/ovs-vswitchd.pid', database: 'unix:/x' }],
    [['--pidfile=/run/vs.pid'], { pidfile: '/run/vs.pid' }],
    [['--pidfile=vs.pid'], { pidfile: '/var/run/openvswitch/vs.pid' }],
    [['--pidfile=/a.pid', '--pidfile=/b.pid'], { pidfile: '/b.pid' }],
    [['--overwrite-pidfile'], { overwritePidfile: true }],
    [['--detach'], { detach: true }],
    [['--no-chdir'], { noChdir: true }],
    [['--monitor'], { monitor: true }],
    [['--mlockall'], { mlockall: true }],
    [['--log-file'], { logFile: '/var/log/openvswitch/ovs-vswitchd.log' }],
    [['--log-file', 'tcp:127.0.0.1:6640'], { logFile: '/var/log/openvswitch/ovs-vswitchd.log', database: 'tcp:127.0.0.1:6640' }],
    [['--log-file=/tmp/vs.log'], { logFile: '/tmp/vs.log' }],
    [['--log-file=vs.log'], { logFile: path.resolve('vs.log') }],
    [['-v'], { verbose: ['dbg'] }],
    [['--verbose'], { verbose: ['dbg'] }],
    [['-vconsole:emer', '-v', 'unix:/x', '--verbose=file:info', '-vbridge:dbg'],
      { verbose: ['console:emer', 'dbg', 'file:info', 'bridge:dbg'], database: 'unix:/x' }],
    [['--verbose='], { verbose: [''] }],
    [['--unixctl=/run/ctl'], { unixctl: '/run/ctl' }],
    [['--unixctl', '/run/ctl', 'unix:/x'], { unixctl: '/run/ctl', database: 'unix:/x' }],
    [['--unixctl=vs.ctl'], { unixctl: '/var/run/openvswitch/vs.ctl' }],
    [['--unixctl=none'], { unixctl: 'none' }],
    [['--user', 'openvswitch:hugetlbfs'], { user: 'openvswitch:hugetlbfs' }],
    [['--user=openvswitch'], { user: 'openvswitch' }],
    [['--no-self-confinement', '--syslog-method=null', '--syslog-target=127.0.0.1:514'], {}],
    // Unambiguous prefixes of long options, as getopt_long accepts.
    [['--det', '--no-ch', '--overwrite', '--pid'],
      { detach: true, noChdir: true, overwritePidfile: true, pidfile: '/var/run/openvswitch/ovs-vswitchd.pid' }],
    // The operand may come anywhere; "--" ends the options.
    [['--detach', 'tcp:1.2.3.4:6640', '--monitor'], { detach: true, monitor: true, database: 'tcp:1.2.3.4:6640' }],
    [['--detach', '--', '--odd-name'], { detach: true, database: '--odd-name' }],
    [['-'], { database: '-' }],
    // What ovs-ctl runs.
    [['unix:/var/run/openvswitch/db.sock', '-vconsole:emer', '-vsyslog:err', '-vfile:info', '--mlockall',
      '--no-chdir', '--log-file=/var/log/openvswitch/ovs-vswitchd.log',
      '--pidfile=/var/run/openvswitch/ovs-vswitchd.pid', '--detach', '--monitor'],
    {
      verbose: ['console:emer', 'syslog:err', 'file:info'], mlockall: true, noChdir: true,
      logFile: '/var/log/openvswitch/ovs-vswitchd.log', pidfile: '/var/run/openvswitch/ovs-vswitchd.pid',
      detach: true, monitor: true,
    }],
  ];
  for (const [argv, expected] of cases) {
    test(`${JSON.stringify(argv)} parses like ovs-vswitchd`, () => {
      clearEnv();
      assert.deepEqual(parseArgs(argv), { ...BASE, ...expected });
    });
  }

  test('OVS_RUNDIR and OVS_LOGDIR move the defaults; empty values are ignored', () => {
    process.env.OVS_RUNDIR = '/tmp/run';
    process.env.OVS_LOGDIR = '/tmp/log';
    assert.deepEqual(parseArgs(['--pidfile', '--log-file', '--unixctl=c.ctl']), {
      ...BASE,
      database: 'unix:/tmp/run/db.sock',
      pidfile: '/tmp/run/ovs-vswitchd.pid',
      logFile: '/tmp/log/ovs-vswitchd.log',
      unixctl: '/tmp/run/c.ctl',
    });
    assert.equal(defaultUnixctlPath(1234), '/tmp/run/ovs-vswitchd.1234.ctl');
    process.env.OVS_RUNDIR = '';
    process.env.OVS_LOGDIR = '';
    assert.equal(rundir(), '/var/run/openvswitch');
    assert.equal(logdir(), '/var/log/openvswitch');
    assert.equal(defaultDatabase(), 'unix:/var/run/openvswitch/db.sock');
  });

  test('the database directory follows OVS_DBDIR, then OVS_SYSCONFDIR', () => {
    clearEnv();
    assert.equal(dbdir(), '/etc/openvswitch');
    process.env.OVS_SYSCONFDIR = '/opt/etc';
    assert.equal(dbdir(), '/opt/etc/openvswitch');
    process.env.OVS_DBDIR = '/srv/ovsdb';
    assert.equal(dbdir(), '/srv/ovsdb');
  });

  const errors: [string[], string][] = [
    [['--foo'], "unrecognized option '--foo'"],
    [['--foo=bar'], "unrecognized option '--foo=bar'"],
    [['-x'], "invalid option -- 'x'"],
    [['-vdbg', '-qx'], "invalid option -- 'q'"],
    [['--detach=yes'], "option '--detach' doesn't allow an argument"],
    [['--det=yes'], "option '--detach' doesn't allow an argument"],
    [['--unixctl'], "option '--unixctl' requires an argument"],
    [['--user'], "option '--user' requires an argument"],
    [['--p'], "option '--p' is ambiguous; possibilities: '--pidfile' '--private-key' '--peer-ca-cert'"],
    [['--ver'], "option '--ver' is ambiguous; possibilities: '--version' '--verbose'"],
    [['unix:/a', 'unix:/b'], 'at most one non-option argument accepted; use --help for usage'],
    [['--private-key=key.pem'], "option '--private-key' is not supported"],
    [['-p', 'key.pem'], "option '--private-key' is not supported"],
    [['-p'], "option requires an argument -- 'p'"],
    [['--enable-dummy'], "option '--enable-dummy' is not supported"],
    [['--syslog-method=carrier-pigeon'], "unsupported syslog method 'carrier-pigeon'"],
    // Errors are found in order: --help after a bad option does not save it.
    [['--foo', '--help'], "unrecognized option '--foo'"],
  ];
  for (const [argv, message] of errors) {
    test(`${JSON.stringify(argv)} is refused with "${message}" and exit code 1`, () => {
      assert.throws(() => parseArgs(argv), (e: unknown) => {
        assert.ok(e instanceof CommandLineExit);
        assert.equal(e.exitCode, 1);
        assert.equal(e.output, `ts-vswitchd: ${message}\n`);
        return true;
      });
    });
  }

  test('--help and --version stop parsing where they appear, with exit code 0', () => {
    for (const argv of [['--help'], ['-h'], ['--detach', '--help', '--foo'], ['-hx'], ['--he']]) {
      assert.throws(() => parseArgs(argv), (e: unknown) => {
        assert.ok(e instanceof CommandLineExit);
        assert.equal(e.exitCode, 0);
        assert.match(e.output, /^ts-vswitchd: .*\nusage: ts-vswitchd \[OPTIONS\] \[DATABASE\]\n/);
        return true;
      }, JSON.stringify(argv));
    }
    for (const argv of [['--version'], ['-V'], ['-Vx'], ['--vers']]) {
      assert.throws(() => parseArgs(argv), (e: unknown) => {
        assert.ok(e instanceof CommandLineExit);
        assert.equal(e.exitCode, 0);
        assert.equal(e.output, 'ts-vswitchd (Open vSwitch) 3.1.0\nts-vswitchd 0.1.0\n');
        return true;
      }, JSON.stringify(argv));
    }
  });
});

describe('the ts-vswitchd command', () => {
  function run(...args: string[]) {
    return spawnSync(BIN, args, { encoding: 'utf8' });
  }

  test('an unknown option prints getopt\'s message on stderr and exits 1', () => {
    const r = run('--foo');
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, "ts-vswitchd: unrecognized option '--foo'\n");
  });

  test('--version prints the version on stdout and exits 0', () => {
    const r = run('--version');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'ts-vswitchd (Open vSwitch) 3.1.0\nts-vswitchd 0.1.0\n');
    assert.equal(r.stderr, '');
  });

  test('--help describes the options with the defaults of the environment', () => {
    const r = spawnSync(BIN, ['--help'], { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: '/tmp/rd' } });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /\(default: "unix:\/tmp\/rd\/db\.sock"\)/);
    for (const option of ['--detach', '--no-chdir', '--pidfile[=FILE]', '--overwrite-pidfile', '--monitor',
      '--user', '-vSPEC', '--log-file[=FILE]', '--unixctl=SOCKET', '--mlockall', '--help', '--version']) {
      assert.ok(r.stdout.includes(option), option);
    }
  });
});

describe('main', () => {
  const toKill: number[] = [];
  const created: string[] = [];
  after(() => {
    for (const pid of toKill) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
  });

  function stateDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-vswitchd-main-'));
    created.push(dir);
    return dir;
  }

  function env(dir: string, mode?: string): NodeJS.ProcessEnv {
    return { ...process.env, FIXTURE_STATE: dir, FIXTURE_MODE: mode ?? '', OVS_RUNDIR: dir, OVS_LOGDIR: dir };
  }

  async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(check(), 'timed out');
  }

  /** The log file's lines as [module, level, text]. */
  function logEntries(file: string): string[][] {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l).map((l) => l.split('|').slice(2));
  }

  test('a -v spec naming no known module stops startup with OVS\'s message', () => {
    const dir = stateDir();
    const r = spawnSync(process.execPath, [MAIN_FIXTURE, '-vfake_daemon:file:dbg', '-vnosuch:dbg'],
      { encoding: 'utf8', env: env(dir) });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'ts-vswitchd: processing "nosuch:dbg": no destination, level, or module "nosuch"\n');
    assert.ok(!fs.existsSync(path.join(dir, 'ready')));
  });

  test('a log file that cannot be opened stops startup', () => {
    const dir = stateDir();
    const file = path.join(dir, 'missing', 'x.log');
    const r = spawnSync(process.execPath, [MAIN_FIXTURE, `--log-file=${file}`], { encoding: 'utf8', env: env(dir) });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\|vlog\|WARN\|failed to open .*x\.log for logging: No such file or directory\n$/);
  });

  test('a pidfile held by a live process stops startup', () => {
    const dir = stateDir();
    const pidfile = path.join(dir, 'ovs-vswitchd.pid');
    fs.writeFileSync(pidfile, `${process.pid}\n`);
    const r = spawnSync(process.execPath, [MAIN_FIXTURE, '--pidfile'], { encoding: 'utf8', env: env(dir) });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `ts-vswitchd: ${pidfile}: already running as pid ${process.pid}, aborting\n`);
    assert.equal(fs.readFileSync(pidfile, 'utf8'), `${process.pid}\n`);
  });

  test('a daemon that fails to start is reported on stderr and in the log, exit 1, pidfile removed', () => {
    const dir = stateDir();
    const r = spawnSync(process.execPath, [MAIN_FIXTURE, '--pidfile', '--log-file', '-vconsole:off'],
      { encoding: 'utf8', env: env(dir, 'fail') });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'ts-vswitchd: datapath unavailable\n');
    assert.deepEqual(logEntries(path.join(dir, 'ovs-vswitchd.log')).pop(), ['vswitchd', 'EMER', 'datapath unavailable']);
    assert.ok(!fs.existsSync(path.join(dir, 'ovs-vswitchd.pid')));
  });

  test('runs in the foreground with pidfile and log file, and stops cleanly on SIGTERM', async () => {
    const dir = stateDir();
    const child = spawn(process.execPath,
      [MAIN_FIXTURE, 'unix:/fake.sock', '--pidfile', '--log-file', '--mlockall', '-vconsole:off', '-vfake_daemon:file:dbg'],
      { env: env(dir), stdio: 'ignore' });
    toKill.push(child.pid!);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => fs.existsSync(path.join(dir, 'ready')));
    const pidfile = path.join(dir, 'ovs-vswitchd.pid');
    assert.equal(fs.readFileSync(pidfile, 'utf8'), `${child.pid}\n`);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!fs.existsSync(pidfile), 'pidfile left behind');
    assert.ok(fs.existsSync(path.join(dir, 'shutdown')), 'shutdown() not called');
    const entries = logEntries(path.join(dir, 'ovs-vswitchd.log'));
    assert.deepEqual(entries, [
      ['vlog', 'INFO', `opened log file ${path.join(dir, 'ovs-vswitchd.log')}`],
      ['vswitchd', 'INFO', 'mlockall not supported by ts-vswitchd; memory is not locked'],
      ['fake_daemon', 'INFO', 'fake daemon serving unix:/fake.sock'],
      ['vswitchd', 'WARN', 'terminating with signal 15 (Terminated)'],
    ]);
  });

  test('--detach returns once the daemon serves; the daemon owns the pidfile and runs from /', async () => {
    const dir = stateDir();
    const r = spawnSync(process.execPath, [MAIN_FIXTURE, '--detach', '--pidfile', '--log-file'],
      { encoding: 'utf8', env: env(dir), timeout: 10_000 });
    const ready = JSON.parse(fs.readFileSync(path.join(dir, 'ready'), 'utf8')) as { pid: number; cwd: string };
    toKill.push(ready.pid);
    assert.equal(r.status, 0);
    assert.notEqual(ready.pid, r.pid);
    const pidfile = path.join(dir, 'ovs-vswitchd.pid');
    assert.equal(fs.readFileSync(pidfile, 'utf8'), `${ready.pid}\n`);
    // Console lines written while starting reach the invoker; nothing after detaching.
    assert.match(r.stderr, /\|fake_daemon\|INFO\|fake daemon serving unix:/);
    await until(() => fs.readlinkSync(`/proc/${ready.pid}/cwd`) === '/');
    process.kill(ready.pid, 'SIGTERM');
    await until(() => !fs.existsSync(pidfile));
    assert.ok(fs.existsSync(path.join(dir, 'shutdown')));
  });

  function readyPid(dir: string): number {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'ready'), 'utf8')) as { pid: number }).pid;
  }

  /** The parent pid of a live process, from /proc. */
  function ppid(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  test('SIGHUP reopens the log file, so rotation works, and the daemon keeps running', async () => {
    const dir = stateDir();
    const log = path.join(dir, 'ovs-vswitchd.log');
    const child = spawn(process.execPath, [MAIN_FIXTURE, '--pidfile', '--log-file', '-vconsole:off'],
      { env: env(dir), stdio: 'ignore' });
    toKill.push(child.pid!);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => fs.existsSync(path.join(dir, 'ready')));
    fs.renameSync(log, `${log}.1`);
    child.kill('SIGHUP');
    await until(() => fs.existsSync(log));
    assert.ok(alive(child.pid!), 'SIGHUP ended the daemon');
    assert.deepEqual(logEntries(`${log}.1`).pop(), ['vlog', 'INFO', 'closing log file']);
    assert.deepEqual(logEntries(log), [['vlog', 'INFO', `opened log file ${log}`]]);
    // Later lines go to the new file only.
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.deepEqual(logEntries(log).pop(), ['vswitchd', 'WARN', 'terminating with signal 15 (Terminated)']);
    assert.deepEqual(logEntries(`${log}.1`).pop(), ['vlog', 'INFO', 'closing log file']);
  });

  test('SIGHUP without a log file changes nothing and does not stop the daemon', async () => {
    const dir = stateDir();
    const child = spawn(process.execPath, [MAIN_FIXTURE, '-vconsole:off'], { env: env(dir), stdio: 'ignore' });
    toKill.push(child.pid!);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => fs.existsSync(path.join(dir, 'ready')));
    child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(alive(child.pid!), 'SIGHUP ended the daemon');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  test('--monitor: the pidfile names the daemon; a crashed daemon comes back at most once per 10 s; '
    + 'SIGTERM to the monitor stops both', async () => {
    const dir = stateDir();
    const log = path.join(dir, 'ovs-vswitchd.log');
    const pidfile = path.join(dir, 'ovs-vswitchd.pid');
    const monitor = spawn('sh', ['-c', 'ulimit -c 0 && exec "$0" "$@"', process.execPath, MAIN_FIXTURE,
      '--monitor', '--pidfile', '--log-file', '-vconsole:off'], { env: env(dir), stdio: 'ignore' });
    toKill.push(monitor.pid!);
    const exited = new Promise<number | null>((resolve) => monitor.on('exit', (code) => resolve(code)));
    // The monitor closes its log file once it has seen the Nth daemon report ready (which each
    // writes `ready` before doing), so a kill after that is a crash, not a failed startup.
    const monitorSawReady = (n: number) => () => fs.existsSync(log)
      && logEntries(log).filter(([module, , text]) => module === 'vlog(monitor)' && text === 'closing log file').length === n;
    await until(monitorSawReady(1));
    const first = readyPid(dir);
    toKill.push(first);
    assert.notEqual(first, monitor.pid);
    assert.equal(ppid(first), monitor.pid, 'the daemon is the monitor\'s child');
    assert.equal(fs.readFileSync(pidfile, 'utf8'), `${first}\n`);

    process.kill(first, 'SIGSEGV');
    await until(monitorSawReady(2));
    const second = readyPid(dir);
    toKill.push(second);
    assert.notEqual(second, first);
    await until(() => fs.existsSync(pidfile) && fs.readFileSync(pidfile, 'utf8') === `${second}\n`);

    process.kill(second, 'SIGABRT');
    await until(monitorSawReady(3), 25_000);
    const third = readyPid(dir);
    toKill.push(third);
    // The monitor's own timestamps: when it decided each restart.
    const restarts = fs.readFileSync(log, 'utf8').split('\n')
      .filter((l) => l.endsWith(', restarting')).map((l) => Date.parse(l.split('|')[0]));
    assert.equal(restarts.length, 2);
    assert.ok(restarts[1] - restarts[0] >= 9990, `second restart ${restarts[1] - restarts[0]} ms after the first`);

    monitor.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!alive(third), 'the daemon outlived its monitor');
    assert.ok(!fs.existsSync(pidfile), 'pidfile left behind');
    assert.equal(fs.readFileSync(path.join(dir, 'shutdown'), 'utf8'), String(third));
    const monitorLines = logEntries(log).filter(([module]) => module === 'daemon_unix(monitor)');
    const crash2 = `2 crashes: pid ${second} died, killed (Aborted)`;
    assert.deepEqual(monitorLines.map(([, level, text]) => [level, text.replace(', core dumped', '')]), [
      ['ERR', `1 crashes: pid ${first} died, killed (Segmentation fault), restarting`],
      ['WARN', `${crash2}, waiting until 10 seconds since last restart`],
      ['ERR', `${crash2}, restarting`],
      ['INFO', `pid ${third} died, exit status 0, exiting`],
    ]);
  });

  test('--detach --monitor: returns once the daemon serves; the background process is its monitor', async () => {
    const dir = stateDir();
    const pidfile = path.join(dir, 'ovs-vswitchd.pid');
    const r = spawnSync(process.execPath, [MAIN_FIXTURE, '--detach', '--monitor', '--pidfile', '--log-file'],
      { encoding: 'utf8', env: env(dir), timeout: 30_000 });
    const daemon = readyPid(dir);
    toKill.push(daemon);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /\|fake_daemon\|INFO\|fake daemon serving unix:/);
    assert.equal(fs.readFileSync(pidfile, 'utf8'), `${daemon}\n`);
    const monitor = ppid(daemon);
    toKill.push(monitor);
    assert.notEqual(monitor, r.pid);
    assert.ok(fs.readFileSync(`/proc/${monitor}/cmdline`, 'utf8').startsWith(`ts-vswitchd: monitoring pid ${daemon} (healthy)`));
    await until(() => fs.readlinkSync(`/proc/${daemon}/cwd`) === '/');
    process.kill(monitor, 'SIGTERM');
    await until(() => !alive(monitor) && !alive(daemon));
    assert.ok(!fs.existsSync(pidfile), 'pidfile left behind');
    assert.ok(fs.existsSync(path.join(dir, 'shutdown')));
  });

  test('--detach --monitor passes on the exit status of a daemon that fails to start', () => {
    const dir = stateDir();
    const r = spawnSync(process.execPath, [MAIN_FIXTURE, '--detach', '--monitor', '--log-file', '-vconsole:off'],
      { encoding: 'utf8', env: env(dir, 'fail'), timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'ts-vswitchd: datapath unavailable\n');
  });
});
