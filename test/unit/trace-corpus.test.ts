import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { parseMatch } from '../../src/openflow/match-format';
import {
  baseTopology,
  normaliseTraceLines,
  parseTraceCorpus,
  sameResult,
  TraceCorpusError,
  traceLines,
  type ScenarioResult,
} from '../kernel/lib/trace-corpus';

const CORPUS_FILE = path.join(__dirname, '../../../test/kernel/corpus/trace.txt');

test('the ofproto/trace corpus parses: ≥ 200 scenarios with unique ids, each with probes and flows or groups', () => {
  const c = parseTraceCorpus(fs.readFileSync(CORPUS_FILE, 'utf8'));
  assert.ok(c.scenarios.length >= 200, `only ${c.scenarios.length} scenarios`);
  assert.equal(new Set(c.scenarios.map((s) => s.id)).size, c.scenarios.length);
  for (const s of c.scenarios) {
    assert.ok(s.probes.length >= 1 && s.probes.length <= 4, `${s.id}: ${s.probes.length} probes`);
    for (const p of s.probes) assert.ok(p.args.length > 0 && p.args.every((a) => a !== ''), `${s.id} line ${p.line}`);
  }
  // Every group's setup is undone by its teardown (the next group starts from the base topology).
  for (const g of c.groups) assert.equal(g.setup.length > 0, g.teardown.length > 0, `group ${g.name}: setup without teardown or vice versa`);
  // Coverage the issue asks for: each of these actions appears in some flow or group.
  const text = c.scenarios.flatMap((s) => [...s.flows, ...s.groups]).join('\n');
  for (const a of [
    'output:', 'in_port', 'local', 'flood', 'all', 'normal', 'controller', 'drop', 'set_field:', 'load:', 'move:',
    'push_vlan', 'pop_vlan', 'mod_vlan_vid', 'dec_ttl', 'resubmit', 'goto_table', 'write_metadata', 'write_actions',
    'clear_actions', 'type=all', 'type=select', 'type=indirect', 'type=fast_failover', 'learn(', 'conjunction(',
    'multipath(', 'bundle(', 'clone(', 'ct(', 'ct_clear', 'nat(', 'check_pkt_larger', 'push_mpls', 'pop_mpls',
    'set_mpls_label', 'enqueue', 'set_queue', 'exit', 'note:', 'fin_timeout', 'output:NXM_NX_REG', 'tcp_flags',
    'ip_frag', 'ipv6', 'arp', 'icmp',
  ]) {
    assert.ok(text.includes(a), `no scenario uses ${a}`);
  }
  assert.ok(c.scenarios.some((s) => s.probes.some((p) => p.args.includes('-generate'))), 'no -generate probe');
});

test('no probe starts with a flow that two overlapping rules of one table and priority both match (OVS leaves their order undefined)', () => {
  // OVS's classifier sorts subtables of equal priority unstably: the reference's answer to such a
  // probe changes between runs (regs/reg-partial-match did). Conjunctive rules share priorities on purpose.
  const c = parseTraceCorpus(fs.readFileSync(CORPUS_FILE, 'utf8'));
  const ties: string[] = [];
  for (const s of c.scenarios) {
    const rules = s.flows.flatMap((f) => {
      const at = f.indexOf('actions=');
      if (/conjunction\(|conj_id=/.test(f)) return [];
      let table = 0;
      const fields = f.slice(0, at).replace(/,$/, '').split(',').filter((x) => {
        const t = /^table=(\d+)$/.exec(x);
        if (t) table = Number(t[1]);
        return !t && x !== '' && !/^(cookie|idle_timeout|hard_timeout|importance|send_flow_rem|check_overlap)/.test(x);
      });
      const p = parseMatch(fields.join(','));
      return [{ text: f, table, priority: p.priority ?? 0x8000, m: p.match }];
    });
    for (const probe of s.probes) {
      const flow = parseMatch(probe.args.filter((a) => !a.startsWith('-')).slice(-1)[0]).match.flow;
      const hit = rules.filter((r) => r.m.flow.every((v, k) => ((v ^ flow[k]) & r.m.wc[k]) === 0));
      for (const [i, a] of hit.entries()) {
        for (const b of hit.slice(i + 1)) if (a.table === b.table && a.priority === b.priority) ties.push(`${s.id} line ${probe.line}: ${a.text} | ${b.text}`);
      }
    }
  }
  assert.deepEqual(ties, []);
});

test('corpus syntax: groups, setup/teardown, scenarios with versions, groups, flows and probes', () => {
  const c = parseTraceCorpus(
    [
      '# comment',
      '== g1 first group',
      "setup vsctl set port p1 tag=10 -- set bridge br0 'other_config:x=y'",
      'teardown vsctl clear port p1 tag',
      ':: a OpenFlow13',
      'group group_id=1,type=all,bucket=output:2',
      'table=0,actions=group:1',
      '  trace -generate in_port=1,tcp  ',
      ':: b',
      'trace in_port=2',
    ].join('\n'),
  );
  assert.deepEqual(c.groups, [
    {
      name: 'g1',
      title: 'first group',
      line: 2,
      setup: [{ tool: 'vsctl', args: ['set', 'port', 'p1', 'tag=10', '--', 'set', 'bridge', 'br0', 'other_config:x=y'], line: 3 }],
      teardown: [{ tool: 'vsctl', args: ['clear', 'port', 'p1', 'tag'], line: 4 }],
    },
  ]);
  assert.deepEqual(c.scenarios, [
    {
      id: 'g1/a', group: 'g1', line: 5, version: 'OpenFlow13',
      groups: ['group_id=1,type=all,bucket=output:2'], flows: ['table=0,actions=group:1'],
      probes: [{ args: ['-generate', 'in_port=1,tcp'], line: 8 }],
    },
    { id: 'g1/b', group: 'g1', line: 9, version: undefined, groups: [], flows: [], probes: [{ args: ['in_port=2'], line: 10 }] },
  ]);
});

test('corpus errors name the line', () => {
  const bad: [string, RegExp][] = [
    [':: a\ntrace x', /line 1: line outside any group/],
    ['== g\n:: a\nactions=drop', /line 2: scenario g\/a has no probes/],
    ['== g\n:: a\ntrace x\n:: a\ntrace y', /line 4: duplicate scenario g\/a/],
    ['== g\n== g', /line 2: duplicate group g/],
    ['== g\n:: a OpenFlow16\ntrace x', /line 2: expected/],
    ['== g\n:: a\ntrace x\nsetup vsctl x', /line 4: setup after the group's first scenario/],
    ['== g\nactions=drop', /line 2: flow, group or trace line outside a scenario/],
    ["== g\nsetup vsctl 'x", /line 2: unterminated single quote/],
  ];
  for (const [text, re] of bad) assert.throws(() => parseTraceCorpus(text), (e: Error) => e instanceof TraceCorpusError && re.test(e.message), text);
});

test('traceLines keeps every Megaflow and Datapath actions line in order', () => {
  const out = [
    'Flow: udp,in_port=1',
    'Megaflow: recirc_id=0,eth,udp,in_port=1,nw_frag=no',
    'Datapath actions: ct,recirc(0x1)',
    '',
    'Flow: recirc_id=0x1,ct_state=new|trk,eth,udp,in_port=1',
    'Megaflow: recirc_id=0x1,eth,ip,in_port=1,nw_frag=no',
    'Datapath actions: drop',
  ].join('\n');
  assert.deepEqual(traceLines(out), [
    'Megaflow: recirc_id=0,eth,udp,in_port=1,nw_frag=no',
    'Datapath actions: ct,recirc(0x1)',
    'Megaflow: recirc_id=0x1,eth,ip,in_port=1,nw_frag=no',
    'Datapath actions: drop',
  ]);
});

test('normaliseTraceLines renumbers recirculation ids by first appearance and hides userspace pids only', () => {
  assert.deepEqual(
    normaliseTraceLines([
      'Megaflow: recirc_id=0,eth,ip,in_port=1,nw_frag=no',
      'Datapath actions: userspace(pid=3210,controller(reason=1,dont_send=1,continuation=0,recirc_id=17,rule_cookie=0,controller_id=0,max_len=65535)),ct,recirc(0x1a)',
      'Megaflow: recirc_id=0x1a,ct_state=+new+trk,eth,ip,in_port=1',
      'Datapath actions: 2,recirc(0x11)',
    ]),
    [
      'Megaflow: recirc_id=0,eth,ip,in_port=1,nw_frag=no',
      'Datapath actions: userspace(pid=<pid>,controller(reason=1,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535)),ct,recirc(0x2)',
      'Megaflow: recirc_id=0x2,ct_state=+new+trk,eth,ip,in_port=1',
      'Datapath actions: 2,recirc(0x1)',
    ],
  );
  // Port numbers are never touched.
  assert.deepEqual(normaliseTraceLines(['Datapath actions: 3,4,set(ipv4(dst=10.0.0.1)),7']), ['Datapath actions: 3,4,set(ipv4(dst=10.0.0.1)),7']);
});

test('sameResult compares success and compared lines of every probe, and whether loading failed', () => {
  const base: ScenarioResult = { id: 'g/a', loadErrors: [], probes: [{ args: ['in_port=1'], ok: true, output: 'x', lines: ['Megaflow: m', 'Datapath actions: 2'] }] };
  assert.ok(sameResult(base, { ...base, probes: [{ ...base.probes[0], output: 'other full text' }] }));
  assert.ok(!sameResult(base, { ...base, probes: [{ ...base.probes[0], lines: ['Megaflow: m', 'Datapath actions: 3'] }] }));
  assert.ok(!sameResult(base, { ...base, probes: [{ ...base.probes[0], ok: false }] }));
  assert.ok(!sameResult(base, { ...base, loadErrors: ['replace-flows exited 1'] }));
  assert.ok(!sameResult(base, { ...base, probes: [] }));
});

test('the base topology creates every port in its own ovs-vsctl call, in a fixed order', () => {
  const t = baseTopology();
  assert.deepEqual(t[0], ['add-br', 'br0']);
  assert.deepEqual(t[1], ['add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=internal', 'ofport_request=1']);
  assert.equal(t.length, 1 + 6 + 1 + 2 + 1);
  assert.deepEqual(baseTopology('dummy')[0], ['add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=dummy']);
});
