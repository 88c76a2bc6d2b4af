import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OFPP_LOCAL, OFPP_NORMAL } from '../../src/openflow/common';
import { parseMatch } from '../../src/openflow/match-format';
import type { Ofpact } from '../../src/openflow/ofpacts';
import type { RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { get, S } from '../../src/ofproto-dpif/flow';
import { BridgeConfig, OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { formatTraceNodes, ofprotoTrace } from '../../src/ofproto-dpif/trace';
import { ethFromHex, parseExactFlow, parseTraceActions, TraceCommands } from '../../src/unixctl/commands/trace';
import type { DaemonParts } from '../../src/unixctl/commands/parts';
import { UnixctlRegistry } from '../../src/unixctl/registry';

/**
 * Expected texts are `ovs-appctl ofproto/trace` output of OVS 3.1 (Debian) on the dummy
 * datapath: `ovs-vsctl add-br br0 -- set bridge br0 datapath_type=dummy` with dummy ports p1, p2
 * (ofport_request 1, 2); the dummy datapath numbers them br0=100, p1=1, p2=2, which the ports
 * below copy, so the texts compare whole. The bridge has OVS's default `priority=0,actions=NORMAL`
 * plus the rules of RULES (added with ovs-ofctl add-flow, texts in the comments).
 */
const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
];
const CONFIG: BridgeConfig = { name: 'br0', id: 1, macAgingS: 300, ports: PORTS };

const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const resubmit = (tableId: number): Ofpact => ({ type: 'resubmit', inPort: 0xfff8, tableId, withCtOrig: false } as Ofpact);

let nextId = 1;
function rule(match: string, ofpacts: Ofpact[], table = 0, cookie = 0n): RuleSnapshot {
  const p = parseMatch(match);
  return {
    id: nextId++, tableId: table, priority: p.priority ?? 0x8000, match: { flow: p.match.flow, wc: p.match.wc }, cookie,
    flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0, ofpacts,
  };
}

const RULES = (): RuleSnapshot[] => [
  rule('priority=0', [out(OFPP_NORMAL)]),
  // priority=10,tcp,actions=output:2
  rule('priority=10,tcp', [out(2)]),
  // priority=20,tcp,nw_src=10.0.0.2,actions=mod_nw_dst:1.2.3.4,resubmit(,1),output:1
  rule('priority=20,tcp,nw_src=10.0.0.2', [{ type: 'set_ipv4_dst', ipv4: 0x01020304 }, resubmit(1), out(1)]),
  // table=1,cookie=0x55,in_port=1,actions=2,resubmit(,2)
  rule('in_port=1', [out(2), resubmit(2)], 1, 0x55n),
];

/** The bridge with RULES, or with only its NORMAL rule (`normalOnly`). */
function bridge(normalOnly = false): OfprotoReplica {
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [CONFIG] });
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added: normalOnly ? RULES().slice(0, 1) : RULES() });
  return r;
}

function commands(r: OfprotoReplica): UnixctlRegistry {
  const parts = { udpif: { getConfig: () => ({ version: 1, bridges: [CONFIG] }) } } as unknown as DaemonParts;
  const registry = new UnixctlRegistry();
  new TraceCommands(() => parts, (name) => (name === 'br0' ? r.portOfOdp(1)?.bridge : undefined)).register(registry);
  return registry;
}

async function run(registry: UnixctlRegistry, cmd: string, ...args: string[]): Promise<string> {
  return registry.get(cmd)!.handler(args);
}

const RESUBMIT_TRACE = (flow: string, final: string) => `Flow: ${flow}

bridge("br0")
-------------
 0. tcp,nw_src=10.0.0.2, priority 20
    mod_nw_dst:1.2.3.4
    resubmit(,1)
     1. in_port=1, priority 32768, cookie 0x55
            output:2
            resubmit(,2)
         2. No match.
            drop
    output:1
     >> skipping output to input port

Final flow: ${final}
Megaflow: recirc_id=0,eth,tcp,in_port=1,nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_frag=no
Datapath actions: set(ipv4(dst=1.2.3.4)),2
`;

test('a bridge flow traces through resubmits with OVS indentation, cookies, misses and warnings (OVS 3.1)', async () => {
  const text = await run(commands(bridge()), 'ofproto/trace', 'br0', 'in_port=1,tcp,nw_dst=10.0.0.1,nw_src=10.0.0.2');
  const zero = 'tcp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=10.0.0.2';
  assert.equal(text, RESUBMIT_TRACE(`${zero},nw_dst=10.0.0.1,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0,tcp_flags=0`,
    `${zero},nw_dst=1.2.3.4,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0,tcp_flags=0`));
});

test('a datapath flow finds its bridge by the odp input port (OVS 3.1)', async () => {
  const key = 'in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),'
    + 'ipv4(src=10.0.0.2,dst=10.0.0.1,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=80)';
  const head = 'tcp,in_port=1,vlan_tci=0x0000,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.0.0.2';
  const tail = 'nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=8,tp_dst=80,tcp_flags=0';
  const expected = RESUBMIT_TRACE(`${head},nw_dst=10.0.0.1,${tail}`, `${head},nw_dst=1.2.3.4,${tail}`);
  const registry = commands(bridge());
  assert.equal(await run(registry, 'ofproto/trace', key), expected);
  assert.equal(await run(registry, 'ofproto/trace', 'ovs-system', key), expected);
});

test('port names in the flow, and the megaflow of a prefix-tracked lookup (OVS 3.1)', async () => {
  const text = await run(commands(bridge()), 'ofproto/trace', 'br0', 'in_port=p1,tcp,tp_dst=80');
  // nw_src=0.0.0.0/5: the ip_src trie tells that no nw_src rule can match with fewer bits.
  assert.equal(text, `Flow: tcp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=80,tcp_flags=0

bridge("br0")
-------------
 0. tcp, priority 10
    output:2

Final flow: unchanged
Megaflow: recirc_id=0,eth,tcp,in_port=1,nw_src=0.0.0.0/5,nw_frag=no
Datapath actions: 2
`);
});

test('NORMAL learns only with a packet (-generate), then forwards to the learned port (OVS 3.1)', async () => {
  // OVS's staged lookup keeps the tcp rules out of these megaflows; only NORMAL matters here.
  const r = bridge(true);
  const registry = commands(r);
  const flow1 = 'in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07';
  const normal = (flow: string, details: string[], megaflow: string, actions: string) => `Flow: ${flow}

bridge("br0")
-------------
 0. priority 0
    NORMAL
${details.map((d) => `     -> ${d}\n`).join('')}
Final flow: unchanged
Megaflow: ${megaflow}
Datapath actions: ${actions}
`;
  const f1 = 'in_port=1,vlan_tci=0x0000,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,dl_type=0x0000';
  const m1 = 'recirc_id=0,eth,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,dl_type=0x0000';
  // Without a packet nothing is learned.
  assert.equal(await run(registry, 'ofproto/trace', 'br0', flow1), normal(f1, ['no learned MAC for destination, flooding'], m1, '2,100'));
  assert.equal(await run(registry, 'ofproto/trace', 'br0', flow1, '-generate'),
    normal(f1, ['learned that 50:54:00:00:00:05 is on port p1 in VLAN 0', 'no learned MAC for destination, flooding'], m1, '2,100'));
  const f2 = 'in_port=2,vlan_tci=0x0000,dl_src=50:54:00:00:00:07,dl_dst=50:54:00:00:00:05,dl_type=0x0000';
  const m2 = 'recirc_id=0,eth,in_port=2,dl_src=50:54:00:00:00:07,dl_dst=50:54:00:00:00:05,dl_type=0x0000';
  assert.equal(await run(registry, 'ofproto/trace', 'br0', 'in_port=2,dl_src=50:54:00:00:00:07,dl_dst=50:54:00:00:00:05'),
    normal(f2, ['forwarding to learned port'], m2, '1'));
});

test('a tagged flow shows OVS\'s empty second VLAN header in the Flow line (OVS 3.1)', () => {
  const r = bridge(true);
  const t = ofprotoTrace(r.portOfOdp(1)!.bridge, { flow: parseExactFlow('in_port=1,dl_vlan=5,dl_vlan_pcp=3,ipv6,ipv6_src=::1'), nowMs: 0 });
  assert.equal(t.text.split('\n')[0], 'Flow: ipv6,in_port=1,dl_vlan=5,dl_vlan_pcp=3,vlan_tci1=0x0000,dl_src=00:00:00:00:00:00,'
    + 'dl_dst=00:00:00:00:00:00,ipv6_src=::1,ipv6_dst=::,ipv6_label=0x00000,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no');
  assert.match(t.text, /\nMegaflow: recirc_id=0,eth,ipv6,in_port=1,dl_vlan=5,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_frag=no\nDatapath actions: 2,100\n$/);
  assert.deepEqual(t.result.rules.length, 1);
});

test('trace-packet-out traces the given actions with no table 0 lookup (OVS 3.1)', async () => {
  const text = await run(commands(bridge()), 'ofproto/trace-packet-out', 'br0', 'in_port=1,udp',
    'mod_dl_src:00:00:00:00:00:aa,output:2,resubmit(,1)');
  const f = 'in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0';
  assert.equal(text, `Flow: udp,${f}

bridge("br0")
-------------
    mod_dl_src:00:00:00:00:00:aa
    output:2
    resubmit(,1)
 1. in_port=1, priority 32768, cookie 0x55
    output:2
    resubmit(,2)
 2. No match.
    drop

Final flow: udp,${f.replace('dl_src=00:00:00:00:00:00', 'dl_src=00:00:00:00:00:aa')}
Megaflow: recirc_id=0,eth,ip,in_port=1,dl_src=00:00:00:00:00:00,nw_frag=no
Datapath actions: set(eth(src=00:00:00:00:00:aa)),2,2
`);
  await assert.rejects(run(commands(bridge()), 'ofproto/trace-packet-out', 'br0', 'in_port=1,udp', 'bogus'), { message: 'unknown action bogus' });
});

test('argument errors read as OVS 3.1 prints them', async () => {
  const registry = commands(bridge());
  const err = (...args: string[]) => assert.rejects(run(registry, 'ofproto/trace', ...args.slice(1)), { message: args[0] });
  await err('Bad openflow flow syntax: tp_dst=80,tcp: prerequisites not met for setting tp_dst', 'br0', 'tp_dst=80,tcp');
  await err('Bad openflow flow syntax: in_port=1,foo=1: unknown field foo', 'br0', 'in_port=1,foo=1');
  await err('Bad openflow flow syntax: in_port=1,tcp,nw_src=10.0.0.0/8: bad value for nw_src (10.0.0.0/8: wildcards not allowed here)',
    'br0', 'in_port=1,tcp,nw_src=10.0.0.0/8');
  await err('br9: unknown bridge', 'br9', 'in_port=1');
  await err('syntax error at in_port=1,tcp (or the bridge name was omitted)', 'in_port=1,tcp');
  await err('Trailing garbage in packet data', 'br0', 'in_port=1', 'nothex');
  await err('--bogus: unknown option', 'br0', 'in_port=1', '--bogus');
});

test('exact flows: unset in_port is NONE, fields are set once, hex packets need a whole Ethernet header', () => {
  assert.equal(get(parseExactFlow('tcp'), S.in_port), 0xffff);
  assert.throws(() => parseExactFlow('tcp,udp'), { message: 'tcp,udp: Ethernet type set multiple times' });
  assert.throws(() => parseExactFlow('in_port=1,in_port=2'), { message: 'in_port=1,in_port=2: field in_port set multiple times' });
  assert.throws(() => ethFromHex('0011'), { message: 'Packet data too short for Ethernet' });
  assert.equal(ethFromHex('00 11 22 33 44 55 66 77 88 99 aa bb 08 00').length, 14);
  assert.deepEqual(parseTraceActions('2,drop,NORMAL').map((a) => a.type), ['output', 'output']);
});

test('trace nodes print with OVS oftrace_node_print_details() indentation', () => {
  assert.equal(formatTraceNodes([{ type: 'bridge', text: 'bridge("b")', subs: [
    { type: 'table', text: ' 0. priority 1', subs: [{ type: 'action', text: 'x', subs: [] }, { type: 'error', text: 'bad', subs: [] }] },
  ] }]), '\nbridge("b")\n-----------\n 0. priority 1\n    x\n     >>>> bad <<<<\n');
});
