/**
 * The unixctl server and registry, driven by Debian's real `ovs-appctl` (and by a raw socket
 * for what ovs-appctl never sends): the JSON-RPC framing, OVS's error texts and exit codes, the
 * `list-commands` layout, and the vlog and coverage commands. No kernel is needed: the server
 * runs standalone in this process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { registerCoverageCommands, registerVlogCommands } from '../../src/unixctl/commands/core';
import { Coverage, coverageHash, ovsHashInt, ovsHashString, SharedCoverage } from '../../src/unixctl/coverage';
import { replyBody, UnixctlError, UnixctlRegistry } from '../../src/unixctl/registry';
import { UnixctlServer } from '../../src/unixctl/server';
import { vlogModule, vlogOpenFile } from '../../src/util/vlog';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-vswitchd-unixctl-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface AppctlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `ovs-appctl -t SOCKET ARGS…` (asynchronously: the server answers from this process). */
function appctl(socket: string, ...args: string[]): Promise<AppctlResult> {
  return new Promise((resolve) => {
    execFile('ovs-appctl', ['-t', socket, '--timeout=10', ...args], { env: { ...process.env, OVS_RUNDIR: dir } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

/** Sends `payload` on a fresh connection and collects everything the server writes until it closes or `waitMs` passes. */
function rawExchange(socket: string, payload: string[], waitMs = 300): Promise<{ data: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const c = net.connect(socket);
    let data = '';
    let closedByServer = false;
    c.on('data', (b) => {
      data += b.toString();
    });
    c.on('end', () => {
      closedByServer = true;
    });
    c.on('connect', () => {
      for (const p of payload) c.write(p);
    });
    setTimeout(() => {
      c.destroy();
      resolve({ data, closedByServer });
    }, waitMs);
  });
}

describe('unixctl server against ovs-appctl', () => {
  const socket = path.join(dir, 'test.ctl');
  const coverage = new Coverage();
  let server: UnixctlServer;
  let slowRelease: (() => void) | undefined;

  before(async () => {
    const registry = new UnixctlRegistry();
    registry.register('exit', '[--cleanup]', 0, 1, (args) => `exit with ${JSON.stringify(args)}`);
    registry.register('fdb/show', 'bridge', 1, 1, ([br]) => {
      if (br !== 'br0') throw new UnixctlError('no such bridge');
      return ' port  VLAN  MAC                Age';
    });
    registry.register('echo/args', null, 0, Infinity, (args) => args.join('|'));
    registry.register('empty/reply', '', 0, 0, () => '');
    registry.register('slow/reply', '', 0, 0, () => new Promise<string>((resolve) => {
      slowRelease = () => resolve('slow');
    }));
    registry.register('buggy/handler', '', 0, 0, () => {
      throw new TypeError('boom');
    });
    registerVlogCommands(registry);
    registerCoverageCommands(registry, coverage);
    server = await UnixctlServer.listen(socket, registry, { version: 'ts-vswitchd (Open vSwitch) 3.1.0', coverage });
  });
  after(() => server.close());

  test('the socket is created with mode 0770, replacing a stale file', async () => {
    assert.equal(fs.statSync(socket).mode & 0o777, 0o770);
    const stale = path.join(dir, 'stale.ctl');
    fs.writeFileSync(stale, 'left over');
    const s2 = await UnixctlServer.listen(stale, new UnixctlRegistry(), { version: 'v' });
    assert.ok(fs.statSync(stale).isSocket());
    await s2.close();
    assert.equal(fs.existsSync(stale), false, 'close() removes the socket file');
  });

  test('an unusable path fails with OVS\'s "could not initialize control socket"', async () => {
    const bad = path.join(dir, 'no-such-dir', 'x.ctl');
    await assert.rejects(UnixctlServer.listen(bad, new UnixctlRegistry(), { version: 'v' }), {
      message: `${bad}: could not initialize control socket (No such file or directory)`,
    });
  });

  test('list-commands lists visible commands in byte order, names padded to 23 columns', async () => {
    const r = await appctl(socket, 'list-commands');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, [
      'The available commands are:',
      '  buggy/handler           ',
      '  coverage/read-counter   COUNTER',
      '  coverage/show           ',
      '  empty/reply             ',
      '  exit                    [--cleanup]',
      '  fdb/show                bridge',
      '  list-commands           ',
      '  slow/reply              ',
      '  version                 ',
      '  vlog/close              ',
      '  vlog/list               ',
      '  vlog/reopen             ',
      '  vlog/set                {spec | PATTERN:destination:pattern}',
      '',
    ].join('\n'), 'echo/args is hidden (null usage)');
  });

  test('version answers the program version with a newline', async () => {
    assert.deepEqual(await appctl(socket, 'version'), { stdout: 'ts-vswitchd (Open vSwitch) 3.1.0\n', stderr: '', code: 0 });
  });

  test('an unknown command is an error: OVS\'s text on stderr, exit status 2', async () => {
    assert.deepEqual(await appctl(socket, 'help'), {
      stdout: '',
      stderr: `"help" is not a valid command (use "list-commands" to see a list of valid commands)\novs-appctl: ${socket}: server returned an error\n`,
      code: 2,
    });
  });

  test('too many and too few arguments are refused before the handler runs', async () => {
    assert.deepEqual(await appctl(socket, 'exit', 'a', 'b'), {
      stdout: '',
      stderr: `"exit" command takes at most 1 arguments\novs-appctl: ${socket}: server returned an error\n`,
      code: 2,
    });
    assert.deepEqual(await appctl(socket, 'fdb/show'), {
      stdout: '',
      stderr: `"fdb/show" command requires at least 1 arguments\novs-appctl: ${socket}: server returned an error\n`,
      code: 2,
    });
    assert.deepEqual(await appctl(socket, 'version', 'x'), {
      stdout: '',
      stderr: `"version" command takes at most 0 arguments\novs-appctl: ${socket}: server returned an error\n`,
      code: 2,
    });
  });

  test('arguments reach the handler in order; a handler error is an error reply', async () => {
    assert.equal((await appctl(socket, 'exit', '--cleanup')).stdout, 'exit with ["--cleanup"]\n');
    assert.equal((await appctl(socket, 'echo/args', 'a b', '', 'ü')).stdout, 'a b||ü\n');
    assert.deepEqual(await appctl(socket, 'fdb/show', 'br9'), {
      stdout: '', stderr: `no such bridge\novs-appctl: ${socket}: server returned an error\n`, code: 2,
    });
  });

  test('an empty reply prints nothing; a non-empty one always ends with a newline', async () => {
    assert.deepEqual(await appctl(socket, 'empty/reply'), { stdout: '', stderr: '', code: 0 });
    assert.equal((await appctl(socket, 'fdb/show', 'br0')).stdout, ' port  VLAN  MAC                Age\n');
    assert.equal(replyBody('x'), 'x\n');
    assert.equal(replyBody('x\n'), 'x\n');
    assert.equal(replyBody(''), '');
  });

  test('an exception that is not a UnixctlError still gets an error reply', async () => {
    const r = await appctl(socket, 'buggy/handler');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `boom\novs-appctl: ${socket}: server returned an error\n`);
  });

  test('vlog/set applies specs in order and stops at the first bad one with its message', async () => {
    vlogModule('unixctl_test_mod');
    assert.equal((await appctl(socket, 'vlog/set', 'unixctl_test_mod:file:warn', 'unixctl_test_mod:console:off')).code, 0);
    const list = (await appctl(socket, 'vlog/list')).stdout;
    assert.match(list, /^ {17}console {4}syslog {4}file\n {17}-{7} {4}-{6} {4}-{6}\n/);
    assert.match(list, /\nunixctl_test_mod {3}OFF {7}INFO {7}WARN\n/);
    const bad = await appctl(socket, 'vlog/set', 'unixctl_test_mod:dbg', 'nonesuch', 'unixctl_test_mod:emer');
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, `no destination, level, or module "nonesuch"\novs-appctl: ${socket}: server returned an error\n`);
    assert.match((await appctl(socket, 'vlog/list')).stdout, /\nunixctl_test_mod {3}DBG {8}DBG {8}DBG\n/, 'the spec before the bad one applied');
  });

  test('vlog/reopen without a log file, then with one; vlog/close', async () => {
    const none = await appctl(socket, 'vlog/reopen');
    assert.equal(none.stderr, `Logging to file not configured\novs-appctl: ${socket}: server returned an error\n`);
    const log = path.join(dir, 'vswitchd.log');
    vlogOpenFile(log);
    fs.renameSync(log, `${log}.1`);
    assert.deepEqual(await appctl(socket, 'vlog/reopen'), { stdout: '', stderr: '', code: 0 });
    assert.ok(fs.existsSync(log), 'reopen created the file again under its name');
    assert.deepEqual(await appctl(socket, 'vlog/close'), { stdout: '', stderr: '', code: 0 });
  });

  test('coverage/show counts control requests in OVS\'s layout; read-counter reads one', async () => {
    const r = await appctl(socket, 'coverage/show');
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^Event coverage, avg rate over last: 5 seconds, last minute, last hour, {2}hash=[0-9a-f]{8}:$/);
    assert.match(r.stdout, /\nunixctl_received {9} {0,2}\d+\.\d\/sec +\d+\.\d{3}\/sec +\d+\.\d{4}\/sec {3}total: \d+\n/);
    assert.match(r.stdout, /\n4 events never hit\n$/);
    const n = Number((await appctl(socket, 'coverage/read-counter', 'unixctl_received')).stdout);
    assert.ok(n > 10, `unixctl_received is ${n}`);
    const missing = await appctl(socket, 'coverage/read-counter', 'nonesuch');
    assert.equal(missing.stderr, `No such counter\novs-appctl: ${socket}: server returned an error\n`);
  });

  test('a connection runs its requests one at a time, in order', async () => {
    const slow = JSON.stringify({ method: 'slow/reply', params: [], id: 1 });
    const fast = JSON.stringify({ method: 'version', params: [], id: 2 });
    const pending = rawExchange(socket, [slow + fast], 400);
    await new Promise((r) => setTimeout(r, 200));
    slowRelease!();
    const { data } = await pending;
    assert.equal(data, '{"id":1,"result":"slow\\n","error":null}{"id":2,"result":"ts-vswitchd (Open vSwitch) 3.1.0\\n","error":null}');
  });

  test('requests split across writes and packed into one write are both understood', async () => {
    const a = JSON.stringify({ method: 'echo/args', params: ['{"}', '\\'], id: 'a' });
    const b = JSON.stringify({ id: 7, params: ['x'], method: 'fdb/show' });
    const { data } = await rawExchange(socket, [a.slice(0, 9), a.slice(9) + b.slice(0, 3), b.slice(3)]);
    assert.equal(data, '{"id":"a","result":"{\\"}|\\\\\\n","error":null}{"id":7,"result":null,"error":"no such bridge\\n"}');
  });

  test('a non-string argument is refused with OVS\'s text', async () => {
    const { data } = await rawExchange(socket, [JSON.stringify({ method: 'echo/args', params: ['a', 3], id: 1 })]);
    assert.equal(data, '{"id":1,"result":null,"error":"\\"echo/args\\" command has non-string argument\\n"}');
  });

  test('anything but a well-formed request closes the connection without a reply', async () => {
    for (const bad of [
      '{"method":"version","params":[],"id":null}',
      '{"method":"version","params":[]}',
      '{"method":"version","id":1}',
      '{"method":"version","params":"x","id":1}',
      '{"method":"version","params":[],"id":1,"extra":0}',
      '{"result":"x","error":null,"id":1}',
      '{"method":1,"params":[],"id":1}',
      '[1]',
      '{"method": nope}',
    ]) {
      const { data, closedByServer } = await rawExchange(socket, [bad], 200);
      assert.equal(data, '', bad);
      assert.equal(closedByServer, true, bad);
    }
  });

  test('close() ends open connections and removes the socket', async () => {
    const registry = new UnixctlRegistry();
    const p = path.join(dir, 'closing.ctl');
    const s = await UnixctlServer.listen(p, registry, { version: 'v' });
    const c = net.connect(p);
    await new Promise((r) => c.once('connect', r));
    const ended = new Promise((r) => c.once('end', r));
    await s.close();
    await ended;
    c.destroy();
    assert.equal(fs.existsSync(p), false);
  });
});

describe('registry', () => {
  test('registering a name twice with the same handler is a no-op, with another is an error', () => {
    const r = new UnixctlRegistry();
    const h = () => '';
    r.register('a/b', '', 0, 0, h);
    r.register('a/b', 'ignored', 1, 1, h);
    assert.equal(r.get('a/b')!.usage, '');
    assert.throws(() => r.register('a/b', '', 0, 0, () => 'x'), /already registered/);
    assert.throws(() => r.register('c', '', 2, 1, h), /bad argument bounds/);
  });

  test('hidden commands run but are not listed', async () => {
    const r = new UnixctlRegistry();
    r.register('shown', 'ARG', 1, 1, ([a]) => a);
    r.register('hidden', null, 0, 0, () => 'h');
    assert.equal(r.listCommands(), 'The available commands are:\n  shown                   ARG\n');
    assert.deepEqual(await r.execute('hidden', []), { ok: true, text: 'h\n' });
  });
});

describe('coverage', () => {
  test('the header hash is OVS\'s coverage_hash (vector from ovs-vswitchd 3.1 on this host)', () => {
    // Totals shown by Debian's ovs-vswitchd 3.1.0 under `coverage/show`, with its header hash.
    const shown: Record<string, number> = {
      bridge_reconfigure: 1, cmap_expand: 10, miniflow_malloc: 11, hmap_pathological: 1, hmap_expand: 498,
      txn_unchanged: 2, txn_incomplete: 2, txn_success: 2, poll_create_node: 164, seq_change: 51,
      pstream_open: 1, stream_open: 1, unixctl_received: 2, unixctl_replied: 2, util_xalloc: 8272,
      netlink_received: 10, netlink_recv_jumbo: 4, netlink_sent: 9,
    };
    const counters = Object.entries(shown).map(([name, total]) => ({ name, total }));
    for (let i = 0; i < 133; i++) counters.push({ name: `never_hit_${i}`, total: 0 });
    assert.equal(coverageHash(counters).toString(16).padStart(8, '0'), '258ae40c');
    // The groups of that vector start at ranks 0, 1, 2…, so hash_int and hash_string both took part.
    assert.notEqual(ovsHashInt(0, 0), ovsHashString('', 0));
  });

  test('rates: the last 5 s, the minute and the hour, from samples every 5 s', () => {
    const shared = new SharedCoverage();
    const c = new Coverage(shared);
    let t = 0;
    c.run(t);
    shared.add('dpif_flow_put', 10);
    t += 5000;
    c.run(t);
    shared.add('dpif_flow_put', 5);
    t += 10000; // two intervals: 5 events spread as 2 and 3
    c.run(t);
    const line = c.show().split('\n').find((l) => l.startsWith('dpif_flow_put'))!;
    assert.equal(line, 'dpif_flow_put              0.6/sec     0.250/sec        0.0042/sec   total: 15');
  });

  test('shared counters are seen across threads through the buffer', () => {
    const a = new SharedCoverage();
    const b = new SharedCoverage(a.buffer);
    b.add('xlate_actions', 3);
    a.add('xlate_actions');
    assert.equal(a.read('xlate_actions'), 4);
    const c = new Coverage(a);
    c.register('derived', () => 7);
    assert.equal(c.readCounter('derived'), 7);
    assert.equal(c.readCounter('xlate_actions'), 4);
    assert.equal(c.readCounter('nonesuch'), undefined);
    assert.throws(() => c.register('derived', () => 0), /registered twice/);
  });
});
