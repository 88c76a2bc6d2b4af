import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  formatVlogLine, vlogClose, vlogList, vlogModule, vlogOnChange, vlogOpenFile, vlogReopen,
  vlogSetSpec, vlogSnapshot, VlogSnapshot,
} from '../../src/util/vlog';

// vlog's state is per thread and these tests share it, so they run in order and each uses its
// own module names.

const VLOG_JS = path.join(__dirname, '..', '..', 'src', 'util', 'vlog.js');
const CONSOLE_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|(\d{5})\|([^|]+)\|([A-Z]+)\|(.*)$/;
const FILE_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|(\d{5})\|([^|]+)\|([A-Z]+)\|(.*)$/;

const created: string[] = [];
after(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpfile(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-vswitchd-vlog-'));
  created.push(dir);
  return path.join(dir, name);
}

/** Runs `fn` and returns what it wrote to stderr (which is then not printed). */
function stderrOf(fn: () => void): string {
  const original = process.stderr.write;
  let out = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stderr.write = original;
  }
  return out;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** The parsed lines of a log file that mention `module`: [seq, level, text]. */
function fileEntries(file: string, module: string): [number, string, string][] {
  return lines(fs.readFileSync(file, 'utf8'))
    .map((l) => {
      const m = FILE_LINE.exec(l);
      assert.ok(m, `not a vlog file line: ${l}`);
      return m;
    })
    .filter((m) => m[2] === module)
    .map((m) => [Number(m[1]), m[3], m[4]]);
}

test('vlog/reopen before any log file was opened is refused as OVS refuses it', () => {
  assert.throws(() => vlogReopen(), { message: 'Logging to file not configured' });
});

test('lines have OVS\'s default file and console shapes', () => {
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 7));
  assert.equal(formatVlogLine('file', t, 42, 'bridge', 'INFO', 'text'),
    '2026-01-01T00:00:00.007Z|00042|bridge|INFO|text');
  assert.equal(formatVlogLine('console', t, 42, 'bridge', 'INFO', 'text'),
    '2026-01-01T00:00:00Z|00042|bridge|INFO|text');
  assert.equal(formatVlogLine('file', t, 123456, 'ofproto_dpif_upcall', 'WARN', 'x\n\n', 'handler3'),
    '2026-01-01T00:00:00.007Z|123456|ofproto_dpif_upcall(handler3)|WARN|x');
});

test('a new module logs info and more severe messages to the console, not dbg', () => {
  const log = vlogModule('t_console');
  const out = stderrOf(() => {
    log.dbg('hidden');
    log.info('hello');
    log.warn('careful');
    log.err('broken');
    log.emer('dying');
  });
  const parsed = lines(out).map((l) => CONSOLE_LINE.exec(l));
  assert.deepEqual(parsed.map((m) => m && [m[2], m[3], m[4]]), [
    ['t_console', 'INFO', 'hello'],
    ['t_console', 'WARN', 'careful'],
    ['t_console', 'ERR', 'broken'],
    ['t_console', 'EMER', 'dying'],
  ]);
  assert.equal(log.isDbgEnabled(), false);
  assert.equal(vlogModule('T_CONSOLE').name, 't_console', 'module names are case-insensitive');
});

test('levels apply per module and per destination; the file logs only once opened', () => {
  const a = vlogModule('t_levels_a');
  const b = vlogModule('t_levels_b');
  const file = tmpfile('levels.log');
  vlogSetSpec('t_levels_a:file:dbg');
  assert.equal(a.isDbgEnabled(), false, 'file levels count only while a file is open');
  vlogSetSpec('t_levels_a:console:warn');
  const out = stderrOf(() => {
    vlogOpenFile(file);
    a.dbg('a dbg');
    a.info('a info');
    a.warn('a warn');
    b.dbg('b dbg');
    b.info('b info');
  });
  assert.equal(a.isDbgEnabled(), true);
  assert.equal(b.isDbgEnabled(), false);
  const consoleText = lines(out).map((l) => CONSOLE_LINE.exec(l)![4]);
  assert.deepEqual(consoleText, [`opened log file ${file}`, 'a warn', 'b info']);
  assert.deepEqual(fileEntries(file, 't_levels_a').map((e) => e[2]), ['a dbg', 'a info', 'a warn']);
  assert.deepEqual(fileEntries(file, 't_levels_b').map((e) => e[2]), ['b info']);
  assert.deepEqual(fileEntries(file, 'vlog').map((e) => e[1] + ' ' + e[2]), [`INFO opened log file ${file}`]);
});

test('sequence numbers count messages any destination (even syslog) accepts, once each', () => {
  const m = vlogModule('t_seq');
  const file = tmpfile('seq.log');
  stderrOf(() => vlogOpenFile(file));
  vlogSetSpec('t_seq:console:off');
  vlogSetSpec('t_seq:syslog:info');
  vlogSetSpec('t_seq:file:warn');
  m.warn('one');
  m.info('syslog only, still counted');
  m.dbg('dropped everywhere, not counted');
  m.warn('three');
  const seqs = fileEntries(file, 't_seq').map((e) => e[0]);
  assert.equal(seqs.length, 2);
  assert.equal(seqs[1] - seqs[0], 2);
  const c = vlogModule('t_seq_console');
  const out = stderrOf(() => {
    c.info('x');
    c.info('y');
  });
  const [x, y] = lines(out).map((l) => Number(CONSOLE_LINE.exec(l)![1]));
  assert.equal(x, seqs[1] + 1);
  assert.equal(y, x + 1);
  assert.deepEqual(fileEntries(file, 't_seq_console').map((e) => e[0]), [x, y], 'console and file share the number');
});

test('vlogSetSpec accepts OVS\'s spec forms, case-insensitively, in any word order', () => {
  vlogModule('t_spec');
  const levels = () => vlogSnapshot().modules.t_spec;
  vlogSetSpec('t_spec:console:dbg');
  assert.deepEqual(levels(), { console: 'dbg', syslog: 'info', file: 'info' });
  vlogSetSpec('FILE WARN T_Spec');
  assert.deepEqual(levels(), { console: 'dbg', syslog: 'info', file: 'warn' });
  vlogSetSpec('t_spec,syslog,off');
  assert.deepEqual(levels(), { console: 'dbg', syslog: 'off', file: 'warn' });
  vlogSetSpec('t_spec:emer');
  assert.deepEqual(levels(), { console: 'emer', syslog: 'emer', file: 'emer' });
  vlogSetSpec('t_spec:ANY:err');
  assert.deepEqual(levels(), { console: 'err', syslog: 'err', file: 'err' });
  vlogSetSpec('t_spec');
  assert.deepEqual(levels(), { console: 'dbg', syslog: 'dbg', file: 'dbg' }, 'no level means dbg');
  vlogSetSpec('FACILITY:local3');
  assert.deepEqual(levels(), { console: 'dbg', syslog: 'dbg', file: 'dbg' }, 'FACILITY leaves levels alone');
});

test('vlogSetSpec rejects bad specs with OVS\'s messages and changes nothing', () => {
  vlogModule('t_bad1');
  vlogModule('t_bad2');
  const before = vlogSnapshot();
  const cases: [string, string][] = [
    ['nosuchmodule:dbg', 'no destination, level, or module "nosuchmodule"'],
    ['console:file', 'cannot specify multiple destinations'],
    ['info:dbg', 'cannot specify multiple levels'],
    ['t_bad1:t_bad2', 'cannot specify multiple modules'],
    ['PATTERN', 'missing destination'],
    ['PATTERN:printer:%m', 'unknown destination "printer"'],
    ['PATTERN:file:%D{%H:%M:%S}|%m', 'custom log patterns are not supported by ts-vswitchd'],
    ['FACILITY:bogus', 'invalid facility'],
    ['FACILITY', 'invalid facility'],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => vlogSetSpec(spec), { message }, spec);
  }
  assert.deepEqual(vlogSnapshot(), before);
});

test('a spec without a module also sets modules registered afterwards (as if all existed, as in OVS)', () => {
  vlogSetSpec('syslog:err');
  const late = vlogModule('t_late');
  assert.deepEqual(vlogSnapshot().modules.t_late, { console: 'info', syslog: 'err', file: 'info' });
  assert.equal(vlogSnapshot().modules.t_console.syslog, 'err');
  vlogSetSpec('');
  assert.deepEqual(vlogSnapshot().modules.t_late, { console: 'dbg', syslog: 'dbg', file: 'dbg' }, 'empty spec = -v');
  assert.equal(late.isDbgEnabled(), true);
  vlogSetSpec('info');
  vlogSetSpec('console:off');
  assert.deepEqual(vlogSnapshot().defaults, { console: 'off', syslog: 'info', file: 'info' });
  vlogSetSpec('console:info');
});

test('vlog/list has OVS\'s header and one sorted, aligned line per module', () => {
  vlogModule('t_list_b');
  vlogModule('t_list_a');
  vlogSetSpec('t_list_a:console:off');
  vlogSetSpec('t_list_a:syslog:emer');
  vlogSetSpec('t_list_a:file:dbg');
  vlogSetSpec('t_list_b:console:warn');
  vlogSetSpec('t_list_b:syslog:err');
  vlogSetSpec('t_list_b:file:info');
  vlogModule('a_very_long_module_name');
  const out = vlogList();
  const all = out.split('\n');
  assert.equal(all[0], '                 console    syslog    file');
  assert.equal(all[1], '                 -------    ------    ------');
  assert.equal(all[all.length - 1], '', 'ends with a newline');
  const body = all.slice(2, -1);
  assert.deepEqual(body, [...body].sort());
  assert.ok(body.includes('t_list_a           OFF       EMER        DBG'));
  assert.ok(body.includes('t_list_b          WARN        ERR       INFO'));
  assert.ok(body.includes('a_very_long_module_name  INFO       INFO       INFO'));
  assert.ok(body.includes('vlog              INFO       INFO       INFO'));
  assert.equal(body.length, Object.keys(vlogSnapshot().modules).length);
});

test('vlog/reopen follows a rotated file; vlog/close stops file logging until reopened', () => {
  const m = vlogModule('t_rotate');
  vlogSetSpec('t_rotate:console:off');
  const file = tmpfile('rotate.log');
  stderrOf(() => vlogOpenFile(file));
  m.info('before rotation');
  fs.renameSync(file, `${file}.1`);
  stderrOf(() => vlogReopen());
  m.info('after rotation');
  vlogClose();
  m.info('while closed');
  stderrOf(() => vlogReopen());
  m.info('after reopen');
  const old = lines(fs.readFileSync(`${file}.1`, 'utf8')).map((l) => FILE_LINE.exec(l)![4]);
  assert.deepEqual(old.slice(-2), ['before rotation', 'closing log file']);
  const cur = lines(fs.readFileSync(file, 'utf8')).map((l) => FILE_LINE.exec(l)![4]);
  assert.deepEqual(cur, [`opened log file ${file}`, 'after rotation', `opened log file ${file}`, 'after reopen']);
});

test('reopening the file already open is a no-op', () => {
  const file = tmpfile('same.log');
  stderrOf(() => vlogOpenFile(file));
  const size = fs.statSync(file).size;
  stderrOf(() => vlogOpenFile(file));
  assert.equal(fs.statSync(file).size, size);
});

test('a log file that cannot be opened is reported and the current one kept', () => {
  const m = vlogModule('t_openfail');
  vlogSetSpec('t_openfail:console:off');
  const good = tmpfile('good.log');
  stderrOf(() => vlogOpenFile(good));
  const bad = path.join(path.dirname(good), 'missing', 'x.log');
  const out = stderrOf(() => {
    assert.throws(() => vlogOpenFile(bad), {
      message: `failed to open ${bad} for logging: No such file or directory`,
    });
  });
  assert.match(out, /\|vlog\|WARN\|failed to open .* for logging: No such file or directory\n$/);
  m.info('still here');
  assert.deepEqual(fileEntries(good, 't_openfail').map((e) => e[2]), ['still here']);
});

test('vlogOnChange delivers a snapshot after each configuration change', () => {
  vlogModule('t_change');
  const seen: VlogSnapshot[] = [];
  const off = vlogOnChange((s) => seen.push(s));
  vlogSetSpec('t_change:file:dbg');
  off();
  vlogSetSpec('t_change:file:info');
  assert.equal(seen.length, 1);
  assert.equal(seen[0].modules.t_change.file, 'dbg');
});

test('a worker thread configured from a snapshot writes the shared file with its own numbering and name', async () => {
  vlogModule('t_worker');
  vlogSetSpec('t_worker:console:off');
  vlogSetSpec('t_worker:file:dbg');
  const file = tmpfile('worker.log');
  stderrOf(() => vlogOpenFile(file));
  const snapshot: VlogSnapshot = { ...vlogSnapshot(), subprogram: 'handler1' };
  assert.equal(snapshot.logFile, file);
  const code = `
    const { workerData } = require('node:worker_threads');
    const v = require(workerData.vlog);
    v.vlogConfigure(workerData.snapshot);
    const log = v.vlogModule('t_worker');
    log.dbg('from worker');
    log.info('again');
  `;
  const worker = new Worker(code, { eval: true, workerData: { vlog: VLOG_JS, snapshot } });
  await new Promise((resolve, reject) => {
    worker.on('exit', resolve);
    worker.on('error', reject);
  });
  vlogModule('t_worker').info('from main');
  const raw = lines(fs.readFileSync(file, 'utf8')).map((l) => FILE_LINE.exec(l)!);
  const fromWorker = raw.filter((m) => m[2] === 't_worker(handler1)').map((m) => [Number(m[1]), m[3], m[4]]);
  assert.deepEqual(fromWorker, [[1, 'DBG', 'from worker'], [2, 'INFO', 'again']]);
  assert.deepEqual(raw.filter((m) => m[2] === 't_worker').map((m) => m[4]), ['from main']);
});

test('vlogFatal logs EMER to the file, prints "ts-vswitchd: MESSAGE" on stderr and exits 1', () => {
  const file = tmpfile('fatal.log');
  const script = `
    const v = require(${JSON.stringify(VLOG_JS)});
    v.vlogOpenFile(${JSON.stringify(file)});
    v.vlogFatal(v.vlogModule('t_fatal'), 'cannot go on');
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  const err = lines(r.stderr);
  assert.equal(err[err.length - 1], 'ts-vswitchd: cannot go on');
  assert.ok(!r.stderr.includes('|EMER|'), 'the console does not repeat the message');
  assert.deepEqual(fileEntries(file, 't_fatal').map((e) => [e[1], e[2]]), [['EMER', 'cannot go on']]);
});
