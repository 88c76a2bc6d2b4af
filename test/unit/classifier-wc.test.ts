import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { OFPG_ANY, OFPP_ANY, OFPP_LOCAL, OFP_NO_BUFFER } from '../../src/openflow/common';
import type { FlowMod } from '../../src/openflow/ofp-flow';
import { Match } from '../../src/openflow/match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import type { Ofpact } from '../../src/openflow/ofpacts';
import { FlowTables, flowTablesDelta, FlowTablesReplica, type FlowTablesDelta, type RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { flowFromOdpKey } from '../../src/ofproto-dpif/odp-flow';
import { OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { xlate } from '../../src/ofproto-dpif/xlate';

/**
 * Megaflows shaped by the classifier: staged lookup, prefix tries, the ports trie and
 * conjunctive matches (OVS lib/classifier.c). Every expectation was recorded from OVS 3.1 on a
 * dummy datapath: `ovs-vsctl add-br br0 -- set bridge br0 datapath_type=dummy fail-mode=secure`
 * with dummy ports p1..p3 (ofport_request 1..3; datapath ports br0=100, p1=1, p2=2, p3=3),
 * `ovs-ofctl add-flows br0` of each case's rules (given as ovs-ofctl text), then
 * `ovs-appctl ofproto/trace ovs-dummy KEY`: its `Megaflow:` and `Datapath actions:` lines.
 */
const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
  { name: 'p3', ofport: 3, odpPort: 3 },
];

const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const conj = (id: number, k: number, n: number): Ofpact => ({ type: 'conjunction', id, clause: k - 1, nClauses: n });

let nextRuleId = 1;

/** A replica of br0 holding `rules` ([ovs-ofctl match text with priority, actions]) in table 0. */
function bridge(rules: [string, Ofpact[]][], prefixes?: string[]): OfprotoReplica {
  const r = new OfprotoReplica();
  // fail-mode=secure without controllers: a table miss drops (no packet-in on miss).
  r.apply({ version: 1, bridges: [{ name: 'br0', id: 1, macAgingS: 300, ports: PORTS, packetInOnMiss: false }] });
  const added = rules.map(([text, ofpacts]): RuleSnapshot => {
    const { match, priority } = parseMatch(text);
    return {
      id: nextRuleId++, tableId: 0, priority: priority ?? 0x8000, match: { flow: match.flow, wc: match.wc },
      cookie: 0n, flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0, ofpacts,
    };
  });
  const delta: FlowTablesDelta = { version: 1, full: true, removed: [], added };
  if (prefixes) delta.prefixes = [[0, prefixes]];
  r.applyFlowDelta('br0', delta);
  return r;
}

/** `ofproto/trace`'s Megaflow and Datapath actions lines for the datapath flow key `odp`. */
function trace(r: OfprotoReplica, odp: string): [string, string] {
  const f = flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 1000, mayLearn: false });
  const masked = Buffer.from(f.flow.map((b, i) => b & x.wc[i]));
  return [formatMatch(new Match(masked, Buffer.from(x.wc))), formatActions(x.actions) || 'drop'];
}

const ETH = 'eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07)';
const TCP4 = (inPort: number, src: string, dst: string, sport: number, dport: number) =>
  `in_port(${inPort}),${ETH},eth_type(0x0800),ipv4(src=${src},dst=${dst},proto=6,tos=0,ttl=64,frag=no),tcp(src=${sport},dst=${dport})`;
const UDP6 = (dst: string) =>
  `in_port(1),${ETH},eth_type(0x86dd),ipv6(src=2001:db8::1,dst=${dst},label=0,proto=17,tclass=0,hlimit=64,frag=no),udp(src=1,dst=2)`;

/** Runs `cases` ([key, expected megaflow, expected datapath actions]) against `r`. */
function check(r: OfprotoReplica, cases: [string, string, string][]): void {
  for (const [key, megaflow, actions] of cases) {
    assert.deepEqual(trace(r, key), [megaflow, actions], key);
  }
}

test('ip_dst prefix trie: 10.0.0.0/8 and 10.1.0.0/16 un-wildcard only the bits that rule them out', () => {
  // priority=10,ip,nw_dst=10.0.0.0/8,actions=output:2
  // priority=20,ip,nw_dst=10.1.0.0/16,actions=output:3
  const r = bridge([['priority=10,ip,nw_dst=10.0.0.0/8', [out(2)]], ['priority=20,ip,nw_dst=10.1.0.0/16', [out(3)]]]);
  check(r, [
    [TCP4(1, '10.1.2.3', '11.0.0.1', 8, 80), 'recirc_id=0,eth,ip,in_port=1,nw_dst=11.0.0.0/8,nw_frag=no', 'drop'],
    [TCP4(1, '10.1.2.3', '10.2.0.1', 8, 80), 'recirc_id=0,eth,ip,in_port=1,nw_dst=10.2.0.0/15,nw_frag=no', '2'],
    [TCP4(1, '10.1.2.3', '10.1.0.1', 8, 80), 'recirc_id=0,eth,ip,in_port=1,nw_dst=10.1.0.0/16,nw_frag=no', '3'],
  ]);
});

test('Flow_Table prefixes: without an ip_dst trie the whole /16 is matched; an ipv6_dst trie narrows IPv6', () => {
  // ovs-vsctl -- --id=@ft create Flow_Table prefixes=ipv6_dst -- set bridge br0 flow_tables:0=@ft
  const v4 = bridge([['priority=10,ip,nw_dst=10.0.0.0/8', [out(2)]], ['priority=20,ip,nw_dst=10.1.0.0/16', [out(3)]]], ['ipv6_dst']);
  check(v4, [[TCP4(1, '10.1.2.3', '11.0.0.1', 8, 80), 'recirc_id=0,eth,ip,in_port=1,nw_dst=11.0.0.0/16,nw_frag=no', 'drop']]);
  // priority=10,ipv6,ipv6_dst=2001:db8::/32,actions=output:2
  // priority=20,ipv6,ipv6_dst=2001:db8:1::/48,actions=output:3
  const rules: [string, Ofpact[]][] = [
    ['priority=10,ipv6,ipv6_dst=2001:db8::/32', [out(2)]], ['priority=20,ipv6,ipv6_dst=2001:db8:1::/48', [out(3)]],
  ];
  check(bridge(rules, ['ipv6_dst']), [
    [UDP6('2001:db9::2'), 'recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db9::/32,nw_frag=no', 'drop'],
    [UDP6('2001:db8:2::2'), 'recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db8:2::/47,nw_frag=no', '2'],
    [UDP6('2001:db8:1::2'), 'recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db8:1::/48,nw_frag=no', '3'],
  ]);
  // The default prefixes (ip_dst, ip_src) have no IPv6 trie: the /48 subtable's whole mask.
  check(bridge(rules), [
    [UDP6('2001:db9::2'), 'recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db9::/48,nw_frag=no', 'drop'],
    [UDP6('2001:db8:2::2'), 'recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db8:2::/48,nw_frag=no', '2'],
  ]);
});

test('an L4 rule whose nw_src does not match: the trie stops it at L3; a port miss uses the ports trie', () => {
  // priority=100,tcp,nw_src=10.0.0.0/24,tp_dst=80,actions=output:2
  // priority=1,actions=output:3
  const r = bridge([['priority=100,tcp,nw_src=10.0.0.0/24,tp_dst=80', [out(2)]], ['priority=1', [out(3)]]]);
  check(r, [
    [TCP4(1, '10.1.2.3', '192.168.0.2', 8, 80), 'recirc_id=0,eth,ip,in_port=1,nw_src=10.1.0.0/16,nw_frag=no', '3'],
    [TCP4(1, '10.0.0.3', '192.168.0.2', 8, 80), 'recirc_id=0,eth,tcp,in_port=1,nw_src=10.0.0.0/24,nw_frag=no,tp_dst=80', '2'],
    [TCP4(1, '10.0.0.3', '192.168.0.2', 8, 22), 'recirc_id=0,eth,tcp,in_port=1,nw_src=10.0.0.0/24,nw_frag=no,tp_dst=0x0/0xffc0', '3'],
  ]);
});

test('staged lookup: a miss in the metadata or L2 stage leaves L3 and L4 wildcarded', () => {
  // priority=100,in_port=2,tcp,tp_dst=80,actions=output:1
  // priority=90,dl_src=50:54:00:00:00:09,tcp,tp_dst=80,actions=output:1
  // priority=1,actions=output:3
  const r = bridge([
    ['priority=100,in_port=2,tcp,tp_dst=80', [out(1)]], ['priority=90,dl_src=50:54:00:00:00:09,tcp,tp_dst=80', [out(1)]],
    ['priority=1', [out(3)]],
  ]);
  check(r, [
    [TCP4(1, '10.1.2.3', '192.168.0.2', 8, 80), 'recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', '3'],
    [TCP4(2, '10.1.2.3', '192.168.0.2', 8, 80), 'recirc_id=0,eth,tcp,in_port=2,nw_frag=no,tp_dst=80', '1'],
    [TCP4(2, '10.1.2.3', '192.168.0.2', 8, 22), 'recirc_id=0,eth,tcp,in_port=2,dl_src=50:54:00:00:00:05,nw_frag=no,tp_dst=0x0/0xffc0', '3'],
  ]);
});

test('ports trie: only the leading port bits that tell the packet from every rule of the subtable', () => {
  // priority=100,tcp,tp_dst=80,actions=output:1
  // priority=100,tcp,tp_dst=443,actions=output:1
  // priority=100,tcp,tp_src=1024,tp_dst=53,actions=output:2
  // priority=1,actions=output:3
  const r = bridge([
    ['priority=100,tcp,tp_dst=80', [out(1)]], ['priority=100,tcp,tp_dst=443', [out(1)]],
    ['priority=100,tcp,tp_src=1024,tp_dst=53', [out(2)]], ['priority=1', [out(3)]],
  ]);
  check(r, [
    [TCP4(1, '10.1.2.3', '192.168.0.2', 8, 22), 'recirc_id=0,eth,tcp,in_port=1,nw_frag=no,tp_src=0x0/0xfc00,tp_dst=0x0/0xffc0', '3'],
    [TCP4(1, '10.1.2.3', '192.168.0.2', 8, 443), 'recirc_id=0,eth,tcp,in_port=1,nw_frag=no,tp_dst=443', 'drop'],
    [TCP4(1, '10.1.2.3', '192.168.0.2', 1024, 54), 'recirc_id=0,eth,tcp,in_port=1,nw_frag=no,tp_src=1024,tp_dst=0x36/0xfffe', '3'],
  ]);
});

test('priority order with overlapping masks: higher subtables first, early exit, tries on both addresses', () => {
  // priority=200,ip,nw_src=10.1.2.0/24,actions=output:2
  // priority=100,ip,nw_dst=192.168.0.0/16,actions=output:3
  // priority=50,ip,actions=output:1
  const r = bridge([
    ['priority=200,ip,nw_src=10.1.2.0/24', [out(2)]], ['priority=100,ip,nw_dst=192.168.0.0/16', [out(3)]],
    ['priority=50,ip', [out(1)]],
  ]);
  check(r, [
    [TCP4(1, '10.1.2.3', '192.168.0.2', 8, 80), 'recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.0/24,nw_frag=no', '2'],
    [TCP4(1, '10.1.3.3', '192.168.0.2', 8, 80), 'recirc_id=0,eth,ip,in_port=1,nw_src=10.1.3.0/24,nw_dst=192.168.0.0/16,nw_frag=no', '3'],
    [TCP4(1, '10.1.3.3', '172.16.0.2', 8, 80), 'recirc_id=0,eth,ip,in_port=1,nw_src=10.1.3.0/24,nw_dst=128.0.0.0/2,nw_frag=no', 'drop'],
  ]);
});

test('conjunctive match: both dimensions select conj_id=7; one alone falls to the lower rule', () => {
  // priority=100,ip,nw_src=10.1.2.3,actions=conjunction(7,1/2)
  // priority=100,ip,nw_src=10.1.2.4,actions=conjunction(7,1/2)
  // priority=100,tcp,tp_dst=80,actions=conjunction(7,2/2)
  // priority=100,tcp,tp_dst=443,actions=conjunction(7,2/2)
  // conj_id=7,ip,actions=output:2
  // priority=1,actions=output:3
  const r = bridge([
    ['priority=100,ip,nw_src=10.1.2.3', [conj(7, 1, 2)]], ['priority=100,ip,nw_src=10.1.2.4', [conj(7, 1, 2)]],
    ['priority=100,tcp,tp_dst=80', [conj(7, 2, 2)]], ['priority=100,tcp,tp_dst=443', [conj(7, 2, 2)]],
    ['conj_id=7,ip', [out(2)]], ['priority=1', [out(3)]],
  ]);
  check(r, [
    [TCP4(1, '10.1.2.3', '192.168.0.2', 8, 80), 'recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_frag=no,tp_dst=80', '2'],
    [TCP4(1, '10.1.2.3', '192.168.0.2', 8, 22), 'recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_frag=no,tp_dst=0x0/0xffc0', '3'],
    [TCP4(1, '10.1.2.5', '192.168.0.2', 8, 443), 'recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.5,nw_frag=no,tp_dst=443', '3'],
    [TCP4(1, '10.9.2.5', '192.168.0.2', 8, 22), 'recirc_id=0,eth,tcp,in_port=1,nw_src=10.8.0.0/13,nw_frag=no,tp_dst=0x0/0xffc0', '3'],
  ]);
});

test('Flow_Table prefixes reach the main-thread tables and, through deltas, the worker replicas', () => {
  const ft = new FlowTables();
  const rules: [string, Ofpact[]][] = [['priority=10,ip,nw_dst=10.0.0.0/8', [out(2)]], ['priority=20,ip,nw_dst=10.1.0.0/16', [out(3)]]];
  ft.flowMods(rules.map(([text, ofpacts]) => {
    const { match, priority } = parseMatch(text);
    const fm: FlowMod = {
      command: 'add', match, priority: priority ?? 0x8000, cookie: 0n, cookieMask: 0n, newCookie: 0n, tableId: 0,
      idleTimeout: 0, hardTimeout: 0, importance: 0, flags: 0, bufferId: OFP_NO_BUFFER, outPort: OFPP_ANY,
      outGroup: OFPG_ANY, ofpacts, modifyCookie: false,
    };
    return fm;
  }));
  const f = parseMatch('ip,nw_dst=11.0.0.1').match.flow;
  const wcOf = (lookup: (wc: Uint8Array) => unknown): string => {
    const wc = Buffer.alloc(f.length);
    lookup(wc);
    return formatMatch(new Match(Buffer.from(f.map((b, i) => b & wc[i])), wc));
  };
  assert.equal(wcOf((wc) => ft.lookup(0, f, wc)), 'ip,nw_dst=11.0.0.0/8', 'default prefixes: ip_dst, ip_src');
  const replica = new FlowTablesReplica();
  replica.apply(ft.fullDelta());
  assert.equal(wcOf((wc) => replica.lookup(0, f, wc)), 'ip,nw_dst=11.0.0.0/8');

  const change = ft.configureTable(0, { prefixes: ['ipv6_dst'] });
  assert.deepEqual(change.prefixes, [[0, ['ipv6_dst']]]);
  assert.equal(wcOf((wc) => ft.lookup(0, f, wc)), 'ip,nw_dst=11.0.0.0/16', 'no ip_dst trie any more');
  replica.apply(flowTablesDelta(change));
  assert.equal(wcOf((wc) => replica.lookup(0, f, wc)), 'ip,nw_dst=11.0.0.0/16', 'the delta carried the prefixes');
  const fresh = new FlowTablesReplica();
  fresh.apply(ft.fullDelta());
  assert.equal(wcOf((wc) => fresh.lookup(0, f, wc)), 'ip,nw_dst=11.0.0.0/16', 'a full delta carries them too');
  assert.equal(ft.configureTable(0, { prefixes: ['ipv6_dst'] }).prefixes, undefined, 'unchanged: nothing to send');
  assert.deepEqual(ft.configureTable(0, {}).prefixes, [[0, ['ip_dst', 'ip_src']]], 'back to the default');
});
