import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import {
  buildScript,
  CorpusError,
  normaliseOutcome,
  normaliseOutput,
  parseCorpus,
  readOutcomes,
  splitWords,
  writeCorpusFiles,
} from '../kernel/lib/ofctl-corpus';

const CORPUS_FILE = path.join(__dirname, '../../../test/kernel/corpus/ofctl.txt');

test('words split as a shell splits them, quotes removed and nothing expanded', () => {
  assert.deepEqual(splitWords(`  -O OpenFlow13   add-flow $BR 'actions=resubmit(,1)'`), ['-O', 'OpenFlow13', 'add-flow', '$BR', 'actions=resubmit(,1)']);
  assert.deepEqual(splitWords(`a"b c"d 'e"f' "g\\"h\\\\i\\n" j\\ k`), ['ab cd', 'e"f', 'g"h\\i\\n', 'j k']);
  assert.deepEqual(splitWords(`'' x`), ['', 'x']);
  assert.deepEqual(splitWords(''), []);
  assert.throws(() => splitWords(`'open`), /unterminated single quote/);
  assert.throws(() => splitWords(`"open`), /unterminated double quote/);
  assert.throws(() => splitWords('end\\'), /trailing backslash/);
});

test('a corpus parses into groups, invocations with stable ids, files and standard input', () => {
  const corpus = parseCorpus([
    '# comment',
    '== first the first group',
    'show $BR',
    '  # indented comment',
    'dump-flows $BR',
    'dump-flows $BR',
    '@file flows',
    '# kept: a comment inside a file',
    'priority=1,actions=drop',
    '@end',
    '== second',
    'dump-flows $BR',
    'add-flows $BR @flows',
    'add-flow $BR - < @flows',
    '',
  ].join('\n'));
  assert.deepEqual(corpus.groups, [
    { name: 'first', title: 'the first group', line: 2 },
    { name: 'second', title: '', line: 11 },
  ]);
  assert.deepEqual(corpus.invocations, [
    { id: 'first: show $BR', group: 'first', line: 3, args: ['show', '$BR'] },
    { id: 'first: dump-flows $BR', group: 'first', line: 5, args: ['dump-flows', '$BR'] },
    { id: 'first: dump-flows $BR #2', group: 'first', line: 6, args: ['dump-flows', '$BR'] },
    { id: 'second: dump-flows $BR', group: 'second', line: 12, args: ['dump-flows', '$BR'] },
    { id: 'second: add-flows $BR @flows', group: 'second', line: 13, args: ['add-flows', '$BR', '@flows'] },
    { id: 'second: add-flow $BR - < @flows', group: 'second', line: 14, args: ['add-flow', '$BR', '-'], stdin: 'flows' },
  ]);
  assert.deepEqual([...corpus.files], [['flows', '# kept: a comment inside a file\npriority=1,actions=drop\n']]);
});

test('malformed corpora are refused with the line at fault', () => {
  const bad: [string, RegExp][] = [
    ['show $BR', /line 1: invocation before the first group/],
    ['== a\n== a', /line 2: group "a" defined twice/],
    ['== Bad_Name', /line 1: bad group name/],
    ['== a\n@file f\nx', /line 2: @file f has no @end/],
    ['== a\n@file f\n@end\n@file f\n@end', /line 4: file "f" defined twice/],
    ['== a\n@end', /line 2: @end without @file/],
    ['== a\nadd-flows $BR @nope', /line 2: no @file named "nope"/],
    ['== a\nadd-flow $BR - < file', /line 2: standard input must be a corpus file/],
    ["== a\nadd-flow $BR 'x", /line 2: unterminated single quote/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseCorpus(text), (e: unknown) => e instanceof CorpusError && message.test(e.message), text);
  }
});

test('the script runs each invocation once, quoted, with the bridge and file paths substituted', () => {
  const corpus = parseCorpus("== g\nshow $BR\nadd-flow $BR 'actions=note:it'\\''s'\nadd-flows $BR @f\nadd-flow $BR - < @f\n@file f\nx\n@end\n");
  const script = buildScript(corpus, { bridge: 'br9', fileDir: '/files', outDir: '/out dir', timeoutS: 7 });
  const lines = script.trimEnd().split('\n');
  assert.equal(lines[1], `O='/out dir'`);
  assert.match(lines[2], /^r\(\) \{ .*'ovs-ofctl' --timeout=7 -vtimeval:off -vcoverage:off "\$@" <"\$in" >"\$O\/\$n\.out" 2>"\$O\/\$n\.err"; echo \$\? >"\$O\/\$n\.rc"; echo "\$t \$EPOCHREALTIME" >"\$O\/\$n\.time"; \}$/);
  assert.deepEqual(lines.slice(3), [
    `r 0 '/dev/null' 'show' 'br9'`,
    `r 1 '/dev/null' 'add-flow' 'br9' 'actions=note:it'\\''s'`,
    `r 2 '/dev/null' 'add-flows' 'br9' '/files/f'`,
    `r 3 '/files/f' 'add-flow' 'br9' '-'`,
  ]);
  assert.match(buildScript(corpus, { bridge: 'b', fileDir: '/f', outDir: '/o', timeoutS: 1, program: '/x/ofctl' }), /'\/x\/ofctl' --timeout=1 /);
});

test('outcomes are read back per invocation; one without an exit status did not complete', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ofctl-corpus-'));
  try {
    const corpus = parseCorpus('== g\nx\ny\nz\n');
    writeCorpusFiles(parseCorpus('== g\n@file a\nline\n@end\n'), dir);
    assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'line\n');
    fs.writeFileSync(path.join(dir, '0.out'), 'hello\n');
    fs.writeFileSync(path.join(dir, '0.err'), '');
    fs.writeFileSync(path.join(dir, '0.rc'), '0\n');
    fs.writeFileSync(path.join(dir, '1.out'), '');
    fs.writeFileSync(path.join(dir, '1.err'), 'ovs-ofctl: bad\n');
    fs.writeFileSync(path.join(dir, '1.rc'), '1\n');
    fs.writeFileSync(path.join(dir, '2.out'), 'partial');
    assert.deepEqual(readOutcomes(dir, corpus.invocations.length), [
      { stdout: 'hello\n', stderr: '', code: 0 },
      { stdout: '', stderr: 'ovs-ofctl: bad\n', code: 1 },
      undefined,
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('durations, flow ages, the datapath id, the internal port MAC and log time stamps are normalised', () => {
  const flows = [
    'NXST_FLOW reply (xid=0x4):',
    ' cookie=0x0, duration=12.345s, table=0, n_packets=0, n_bytes=0, idle_age=12, hard_age=3, priority=1 actions=drop',
    ' cookie=0x0, duration=5s, table=0, n_packets=3, n_bytes=180, idle_timeout=30, hard_timeout=60, idle_age=0, priority=2 actions=drop',
  ].join('\n');
  assert.equal(normaliseOutput(flows), [
    'NXST_FLOW reply (xid=0x4):',
    ' cookie=0x0, duration=?s, table=0, n_packets=0, n_bytes=0, idle_age=?, priority=1 actions=drop',
    ' cookie=0x0, duration=?s, table=0, n_packets=3, n_bytes=180, idle_timeout=30, hard_timeout=60, idle_age=?, priority=2 actions=drop',
  ].join('\n'));
  assert.equal(normaliseOutput('meter:1 flow_count:0 packet_in_count:0 byte_in_count:0 duration:0.011s bands:'), 'meter:1 flow_count:0 packet_in_count:0 byte_in_count:0 duration:?s bands:');
  assert.equal(normaliseOutput(' group_id=1,duration=4.500s,ref_count=0'), ' group_id=1,duration=?s,ref_count=0');
  assert.equal(normaliseOutput('           duration=218.850s\n'), '           duration=?s\n');
  const show = [
    'OFPT_FEATURES_REPLY (xid=0x2): dpid:0000fe5ef37f874f',
    ' 1(p1): addr:02:0f:00:00:00:01',
    ' LOCAL(br0): addr:fe:5e:f3:7f:87:4f',
  ].join('\n');
  assert.equal(normaliseOutput(show), ['OFPT_FEATURES_REPLY (xid=0x2): dpid:?', ' 1(p1): addr:02:0f:00:00:00:01', ' LOCAL(br0): addr:?'].join('\n'));
  assert.equal(
    normaliseOutput('2026-11-22T01:13:49Z|00001|ofp_match|INFO|normalization changed ofp_match, details:\novs-ofctl: x\n'),
    'TIME|00001|ofp_match|INFO|normalization changed ofp_match, details:\novs-ofctl: x\n',
  );
  assert.deepEqual(normaliseOutcome({ stdout: 'duration=1s', stderr: 'idle_age=3', code: 2 }), { stdout: 'duration=?s', stderr: 'idle_age=?', code: 2 });
});

test('nothing but durations, ages, the datapath id, the internal port MAC and time stamps is normalised', () => {
  const untouched = [
    ' cookie=0xabcd, table=1, n_packets=7, n_bytes=420, idle_timeout=3000, hard_timeout=6000, importance=7, priority=13,tcp,tp_dst=22 actions=drop',
    ' 2(p2): addr:aa:55:aa:55:00:10',
    '  port  1: rx pkts=3, bytes=190, drop=?, errs=?, frame=?, over=?, crc=?',
    'OFPST_AGGREGATE reply (OF1.3) (xid=0x6): packet_count=1 byte_count=106 flow_count=1',
    'actions=learn(table=1,idle_timeout=60,hard_timeout=120),fin_timeout(idle_timeout=10,hard_timeout=20)',
    ' dl_src=00:11:22:33:44:55,arp_sha=00:11:22:33:44:55 xid=0x2 meter=1 kbps burst_size=3000',
    '00000000  01 04 00 40 00 00 00 08-00 00 23 20 00 00 00 0d |...@......# ....|',
    'ovs-ofctl: talking to unix:/tmp/tsv-ofctl/ovs/run/br0.mgmt (Protocol error)',
  ].join('\n');
  assert.equal(normaliseOutput(untouched), untouched);
});

test('the corpus parses, has at least 320 invocations, and covers every command and protocol version', () => {
  const corpus = parseCorpus(fs.readFileSync(CORPUS_FILE, 'utf8'));
  assert.ok(corpus.invocations.length >= 320, `${corpus.invocations.length} invocations`);
  assert.equal(new Set(corpus.invocations.map((i) => i.id)).size, corpus.invocations.length);
  for (const g of corpus.groups) assert.ok(corpus.invocations.some((i) => i.group === g.name), `group ${g.name} is empty`);

  const options = new Set(['--strict', '--bundle', '--readd', '--may-create', '--names', '--no-stats', '--rsort']);
  const command = (args: string[]): string => {
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '-O' || args[i] === '-F') i++;
      else if (!args[i].startsWith('-') || args[i] === '-') return args[i];
      else assert.ok(options.has(args[i]) || /^--r?sort=/.test(args[i]), `unexpected option ${args[i]}`);
    }
    return '';
  };
  const commands = new Set(corpus.invocations.map((i) => command(i.args)));
  for (const c of [
    'show', 'dump-desc', 'dump-tables', 'dump-table-features', 'dump-ports', 'dump-ports-desc', 'mod-port', 'dump-flows',
    'dump-aggregate', 'add-flow', 'add-flows', 'mod-flows', 'del-flows', 'replace-flows', 'diff-flows', 'packet-out',
    'dump-groups', 'add-group', 'mod-group', 'del-groups', 'dump-group-stats', 'add-meter', 'dump-meters', 'meter-stats', 'bundle',
  ]) {
    assert.ok(commands.has(c), `no ${c}`);
  }
  const dumps = corpus.invocations.filter((i) => command(i.args) === 'dump-flows');
  assert.ok(corpus.invocations.some((i) => i.args.includes('--bundle')), 'no --bundle');
  assert.ok(dumps.some((i) => i.args.some((a) => /^--r?sort/.test(a))), 'no sorted dump-flows');
  assert.ok(dumps.some((i) => i.args.indexOf('$BR') < i.args.length - 1), 'no filtered dump-flows');
  for (const c of ['show', 'dump-tables', 'dump-ports', 'dump-ports-desc', 'dump-flows', 'dump-groups', 'add-flow', 'mod-flows', 'del-flows', 'packet-out']) {
    const version = (args: string[]): string => (args.includes('-O') ? args[args.indexOf('-O') + 1] : 'OpenFlow10');
    const versions = new Set(corpus.invocations.filter((i) => command(i.args) === c).map((i) => version(i.args)));
    for (const v of ['OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14', 'OpenFlow15']) {
      assert.ok(versions.has(v), `${c} never runs under ${v}`);
    }
  }
});
