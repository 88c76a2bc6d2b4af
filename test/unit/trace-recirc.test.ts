/**
 * ofproto/trace following recirculation (src/ofproto-dpif/trace.ts `ofprotoTrace()`,
 * `--ct-next`) and `resubmit(,T,ct)`. Expected texts are `ovs-appctl ofproto/trace` output of
 * OVS 3.1 (Debian) on the dummy datapath: bridge br0 (odp port 100) with dummy ports p1, p2
 * (ofport and odp port 1, 2), the rules of each case added with `ovs-ofctl add-flows` (texts in
 * the comments). Recirculation ids are renumbered as a fresh daemon allocates them (each test
 * starts a fresh pool).
 */
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { OFPP_LOCAL } from '../../src/openflow/common';
import { parseMatch } from '../../src/openflow/match-format';
import { NX_CT_F_COMMIT, NX_NAT_F_DST, NX_NAT_F_SRC, type MfSubfield, type Ofpact } from '../../src/openflow/ofpacts';
import type { RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import type { Bucket, GroupDesc } from '../../src/openflow/ofp-group';
import { OFPG_ANY, OFPP_ANY } from '../../src/openflow/common';
import { BridgeConfig, OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { RecircPool, setThreadRecircPool } from '../../src/ofproto-dpif/recirc';
import { TraceCommands } from '../../src/unixctl/commands/trace';
import type { DaemonParts } from '../../src/unixctl/commands/parts';
import { UnixctlRegistry } from '../../src/unixctl/registry';

const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
];
const CONFIG: BridgeConfig = { name: 'br0', id: 1, macAgingS: 300, ports: PORTS };

interface RuleSpec { table?: number; match: string; ofpacts: Ofpact[] }

let nextId = 1;
/** ofproto/trace in a br0 holding `rules`; returns the command's text (or throws its error). */
async function trace(rules: RuleSpec[], ...args: string[]): Promise<string> {
  return traceWithGroups(rules, [], ...args);
}

async function traceWithGroups(rules: RuleSpec[], groups: GroupDesc[], ...args: string[]): Promise<string> {
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [{ ...CONFIG, groups }] });
  const added: RuleSnapshot[] = rules.map((x) => {
    const p = parseMatch(x.match);
    return {
      id: nextId++, tableId: x.table ?? 0, priority: p.priority ?? 0x8000, match: { flow: p.match.flow, wc: p.match.wc },
      cookie: 0n, flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0, ofpacts: x.ofpacts,
    };
  });
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added });
  const parts = { udpif: { getConfig: () => ({ version: 1, bridges: [CONFIG] }) } } as unknown as DaemonParts;
  const registry = new UnixctlRegistry();
  new TraceCommands(() => parts, (name) => (name === 'br0' ? r.portOfOdp(1)?.bridge : undefined)).register(registry);
  return registry.get('ofproto/trace')!.handler(['br0', ...args]);
}

const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const ct = (o: { flags?: number; zone?: number; zoneSrc?: MfSubfield; table?: number; actions?: Ofpact[] }): Ofpact => ({
  type: 'ct', flags: o.flags ?? 0, zoneImm: o.zone ?? 0, zoneSrc: o.zoneSrc, alg: 0, recircTable: o.table ?? 255,
  actions: o.actions ?? [],
});
const ip4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number));
const ip6 = (last: number): Buffer => Buffer.from([0xfe, 0x80, ...Array(13).fill(0), last]);
const nat = (flags: number, af: 'inet' | 'inet6', min: Buffer, max: Buffer, pmin = 0, pmax = 0): Ofpact => ({
  type: 'nat', flags, rangeAf: af, addrMin: min, addrMax: max, protoMin: pmin, protoMax: pmax,
});
const resubmitCt = (tableId: number): Ofpact => ({ type: 'resubmit', inPort: 0xfff8, tableId, withCtOrig: true } as Ofpact);

const GRPALL = `Flow: ip,in_port=2,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no

bridge("br0")
-------------
 0. ip,in_port=2, priority 32768
    group:2
    bucket 0
            output:1
    bucket 1
            output:2
             >> skipping output to input port
    output:1

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=2,nw_frag=no
Datapath actions: 1,1
`;

beforeEach(() => setThreadRecircPool(new RecircPool(undefined, 64)));

const CTFLAG = `Flow: ip,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no

bridge("br0")
-------------
 0. ct_state=-trk,ip, priority 32768
    ct(table=1)
    drop
     -> A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 1.
     -> Sets the packet to an untracked state, and clears all the conntrack fields.

Final flow: unchanged
Megaflow: recirc_id=0,ct_state=-trk,eth,ip,in_port=1,nw_frag=no
Datapath actions: ct,recirc(0x1)

===============================================================================
recirc(0x1) - resume conntrack with default ct_state=trk|new (use --ct-next to customize)
===============================================================================

Flow: recirc_id=0x1,ct_state=new|trk,eth,ip,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no

bridge("br0")
-------------
    thaw
        Resuming from table 1
 1. ct_state=-inv+trk,ip, priority 32768
    resubmit(,2,ct)
     >>>> resubmit(ct) with non-tracked or non-IP packet! <<<<

Final flow: unchanged
Megaflow: recirc_id=0x1,ct_state=-inv+trk,eth,ip,in_port=1,nw_frag=no
Datapath actions: drop
`;

const CTORIG = `Flow: ct_state=est|trk,ct_nw_src=1.1.1.1,ct_nw_dst=2.2.2.2,ct_nw_proto=6,ct_tp_src=10,ct_tp_dst=20,tcp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=3.3.3.3,nw_dst=0.0.0.0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0,tcp_flags=0

bridge("br0")
-------------
 0. ct_state=-inv+trk,ip, priority 32768
    resubmit(,1,ct)
 1. tcp,nw_src=1.1.1.1,tp_dst=20, priority 32768
    output:2

Final flow: unchanged
Megaflow: recirc_id=0,ct_state=-inv+trk,ct_nw_src=1.1.1.1,ct_nw_proto=6,ct_tp_dst=20,eth,ip,in_port=1,nw_frag=no
Datapath actions: 2
`;

const NESTED = `Flow: tcp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=1000,tp_dst=80,tcp_flags=0

bridge("br0")
-------------
 0. ip, priority 32768
    load:0x5->NXM_NX_REG0[]
    ct(table=1,zone=NXM_NX_REG0[0..15])
    drop
     -> A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 1.
     -> Sets the packet to an untracked state, and clears all the conntrack fields.
    write_actions(output:2)
     -> action set is: output:2
--. Executing action set:
    output:2

Final flow: tcp,reg0=0x5,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=1000,tp_dst=80,tcp_flags=0
Megaflow: recirc_id=0,eth,ip,in_port=1,nw_frag=no
Datapath actions: ct(zone=5),recirc(0x1),2

===============================================================================
recirc(0x1) - resume conntrack with ct_state=new|trk
===============================================================================

Flow: recirc_id=0x1,ct_state=new|trk,ct_zone=5,eth,tcp,reg0=0x5,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=1000,tp_dst=80,tcp_flags=0

bridge("br0")
-------------
    thaw
        Resuming from table 1
 1. ct_state=+new+trk,ip, priority 32768
    ct(commit,table=2,zone=9,nat(dst=10.0.0.9:80))
    nat(dst=10.0.0.9:80)
     -> A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 2.
     -> Sets the packet to an untracked state, and clears all the conntrack fields.

Final flow: recirc_id=0x1,eth,tcp,reg0=0x5,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=1000,tp_dst=80,tcp_flags=0
Megaflow: recirc_id=0x1,ct_state=+new+trk,eth,ip,in_port=1,nw_frag=no
Datapath actions: ct(commit,zone=9,nat(dst=10.0.0.9:80)),recirc(0x2)

===============================================================================
recirc(0x2) - resume conntrack with default ct_state=trk|new (use --ct-next to customize)
Replacing src/dst IP/ports to simulate NAT:
 Initial flow: nw_src=10.0.0.1,tp_src=1000,nw_dst=10.0.0.2,tp_dst=80
 Modified flow: nw_src=10.0.0.1,tp_src=1000,nw_dst=10.0.0.9,tp_dst=80
===============================================================================

Flow: recirc_id=0x2,ct_state=new|trk,ct_zone=9,eth,tcp,reg0=0x5,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=10.0.0.1,nw_dst=10.0.0.9,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=1000,tp_dst=80,tcp_flags=0

bridge("br0")
-------------
    thaw
        Resuming from table 2
 2. ip, priority 32768
    ct(commit,table=3,nat(src=10.1.1.1-10.1.1.5))
    nat(src=10.1.1.1-10.1.1.5)
     -> A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 3.
     -> Sets the packet to an untracked state, and clears all the conntrack fields.

Final flow: recirc_id=0x2,eth,tcp,reg0=0x5,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=10.0.0.1,nw_dst=10.0.0.9,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=1000,tp_dst=80,tcp_flags=0
Megaflow: recirc_id=0x2,eth,ip,in_port=1,nw_frag=no
Datapath actions: ct(commit,nat(src=10.1.1.1-10.1.1.5)),recirc(0x3)

===============================================================================
recirc(0x3) - resume conntrack with default ct_state=trk|new (use --ct-next to customize)
Replacing src/dst IP/ports to simulate NAT:
 Initial flow: nw_src=10.0.0.1,tp_src=1000,nw_dst=10.0.0.9,tp_dst=80
 Modified flow: nw_src=10.1.1.1,tp_src=1000,nw_dst=10.0.0.9,tp_dst=80
===============================================================================

Flow: recirc_id=0x3,ct_state=new|trk,eth,tcp,reg0=0x5,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=10.1.1.1,nw_dst=10.0.0.9,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=1000,tp_dst=80,tcp_flags=0

bridge("br0")
-------------
    thaw
        Resuming from table 3
 3. priority 32768
    drop

Final flow: unchanged
Megaflow: recirc_id=0x3,eth,ip,in_port=1,nw_frag=no
Datapath actions: drop
`;

const NAT6 = `Flow: tcp6,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,ipv6_src=::1,ipv6_dst=::,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=5,tp_dst=0,tcp_flags=0

bridge("br0")
-------------
 0. ipv6, priority 32768
    ct(commit,table=1,nat(src=[fe80::1]-[fe80::5]:1000-2000))
    nat(src=[fe80::1]-[fe80::5]:1000-2000)
     -> A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 1.
     -> Sets the packet to an untracked state, and clears all the conntrack fields.

Final flow: unchanged
Megaflow: recirc_id=0,eth,ipv6,in_port=1,nw_frag=no
Datapath actions: ct(commit,nat(src=[fe80::1]-[fe80::5]:1000-2000)),recirc(0x1)

===============================================================================
recirc(0x1) - resume conntrack with default ct_state=trk|new (use --ct-next to customize)
Replacing src/dst IP/ports to simulate NAT:
 Initial flow: ipv6_src=[::1],tp_src=5,ipv6_dst=[::],tp_dst=0
 Modified flow: ipv6_src=[fe80::1],tp_src=1000,ipv6_dst=[::],tp_dst=0
===============================================================================

Flow: recirc_id=0x1,ct_state=new|trk,eth,tcp6,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,ipv6_src=fe80::1,ipv6_dst=::,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=1000,tp_dst=0,tcp_flags=0

bridge("br0")
-------------
    thaw
        Resuming from table 1
 1. priority 32768
    output:2

Final flow: unchanged
Megaflow: recirc_id=0x1,eth,ipv6,in_port=1,nw_frag=no
Datapath actions: 2
`;

const TWONEXT = `Flow: udp,in_port=2,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0

bridge("br0")
-------------
 0. ip, priority 32768
    ct(table=2)
    drop
     -> A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 2.
     -> Sets the packet to an untracked state, and clears all the conntrack fields.

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=2,nw_frag=no
Datapath actions: ct,recirc(0x1)

===============================================================================
recirc(0x1) - resume conntrack with ct_state=est|trk
===============================================================================

Flow: recirc_id=0x1,ct_state=est|trk,eth,udp,in_port=2,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0

bridge("br0")
-------------
    thaw
        Resuming from table 2
 2. ct_state=+est+trk,ip, priority 32768
    ct(table=3)
    drop
     -> A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 3.
     -> Sets the packet to an untracked state, and clears all the conntrack fields.

Final flow: recirc_id=0x1,eth,udp,in_port=2,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0
Megaflow: recirc_id=0x1,ct_state=+est+trk,eth,ip,in_port=2,nw_frag=no
Datapath actions: ct,recirc(0x2)

===============================================================================
recirc(0x2) - resume conntrack with ct_state=rpl|trk
===============================================================================

Flow: recirc_id=0x2,ct_state=rpl|trk,eth,udp,in_port=2,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0

bridge("br0")
-------------
    thaw
        Resuming from table 3
 3. ct_state=+rpl+trk,ip, priority 32768
    output:1

Final flow: unchanged
Megaflow: recirc_id=0x2,ct_state=+rpl+trk,eth,ip,in_port=2,nw_frag=no
Datapath actions: 1
`;

test('a ct(table=) recirculation is traced as a second pass with ct_state=trk|new; resubmit(ct) needs a ct tuple (OVS 3.1)', async () => {
  // table=0,ip,ct_state=-trk,actions=ct(table=1)
  // table=1,ip,ct_state=+trk-inv,actions=resubmit(,2,ct)
  // table=2,actions=output:2
  const text = await trace([
    { match: 'ip,ct_state=-trk', ofpacts: [ct({ table: 1 })] },
    { table: 1, match: 'ip,ct_state=+trk-inv', ofpacts: [resubmitCt(2)] },
    { table: 2, match: '', ofpacts: [out(2)] },
  ], 'in_port=1,ip');
  assert.equal(text, CTFLAG);
});

test('resubmit(ct) looks up with the conntrack original tuple and un-wildcards the ct_* fields it matched (OVS 3.1)', async () => {
  // table=0,ct_state=+trk-inv,ip,actions=resubmit(,1,ct)
  // table=1,tcp,nw_src=1.1.1.1,tp_dst=20,actions=output:2
  const text = await trace([
    { match: 'ct_state=+trk-inv,ip', ofpacts: [resubmitCt(1)] },
    { table: 1, match: 'tcp,nw_src=1.1.1.1,tp_dst=20', ofpacts: [out(2)] },
  ], 'in_port=1,ct_state=est|trk,ct_nw_proto=6,ct_nw_src=1.1.1.1,ct_nw_dst=2.2.2.2,ct_tp_src=10,ct_tp_dst=20,tcp,nw_src=3.3.3.3');
  assert.equal(text, CTORIG);
});

test('nested recirculations: --ct-next for the first, the default after; zone from a register; NAT simulated (OVS 3.1)', async () => {
  // table=0,ip,actions=load:0x5->NXM_NX_REG0[],ct(table=1,zone=NXM_NX_REG0[0..15]),write_actions(output:2)
  // table=1,ip,ct_state=+new+trk,actions=ct(commit,table=2,zone=9,nat(dst=10.0.0.9:80))
  // table=1,ip,ct_state=+est+trk,actions=write_actions(output:1)
  // table=2,ip,actions=ct(commit,table=3,nat(src=10.1.1.1-10.1.1.5))
  // table=3,actions=drop
  const text = await trace([
    {
      match: 'ip',
      ofpacts: [
        { type: 'set_field', field: 'reg0', value: Buffer.from([0, 0, 0, 5]), mask: Buffer.alloc(4, 0xff), raw: 'NXAST_RAW_REG_LOAD' },
        ct({ table: 1, zoneSrc: { field: 'reg0', ofs: 0, nBits: 16 } }),
        { type: 'write_actions', actions: [out(2)] },
      ],
    },
    { table: 1, match: 'ip,ct_state=+new+trk', ofpacts: [ct({ flags: NX_CT_F_COMMIT, table: 2, zone: 9, actions: [nat(NX_NAT_F_DST, 'inet', ip4('10.0.0.9'), Buffer.alloc(4), 80)] })] },
    { table: 1, match: 'ip,ct_state=+est+trk', ofpacts: [{ type: 'write_actions', actions: [out(1)] }] },
    { table: 2, match: 'ip', ofpacts: [ct({ flags: NX_CT_F_COMMIT, table: 3, actions: [nat(NX_NAT_F_SRC, 'inet', ip4('10.1.1.1'), ip4('10.1.1.5'))] })] },
    { table: 3, match: '', ofpacts: [] },
  ], '--ct-next', 'trk,new', 'in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_src=1000,tp_dst=80');
  assert.equal(text, NESTED);
});

test('IPv6 NAT is simulated on the bracketed addresses and the port (OVS 3.1)', async () => {
  // table=0,ipv6,actions=ct(commit,table=1,nat(src=[fe80::1]-[fe80::5]:1000-2000))
  // table=1,actions=output:2
  const text = await trace([
    { match: 'ipv6', ofpacts: [ct({ flags: NX_CT_F_COMMIT, table: 1, actions: [nat(NX_NAT_F_SRC, 'inet6', ip6(1), ip6(5), 1000, 2000)] })] },
    { table: 1, match: '', ofpacts: [out(2)] },
  ], 'in_port=1,tcp6,ipv6_src=::1,tp_src=5');
  assert.equal(text, NAT6);
});

test('each --ct-next is used by one conntrack pass, in order (OVS 3.1)', async () => {
  // table=0,ip,actions=ct(table=2)
  // table=2,ct_state=+est+trk,ip,actions=ct(table=3)
  // table=2,ct_state=+new+trk,ip,actions=output:2
  // table=3,ct_state=+rpl+trk,ip,actions=output:1
  const text = await trace([
    { match: 'ip', ofpacts: [ct({ table: 2 })] },
    { table: 2, match: 'ct_state=+est+trk,ip', ofpacts: [ct({ table: 3 })] },
    { table: 2, match: 'ct_state=+new+trk,ip', ofpacts: [out(2)] },
    { table: 3, match: 'ct_state=+rpl+trk,ip', ofpacts: [out(1)] },
  ], '--ct-next', 'trk est', '--ct-next', 'trk,rpl', 'in_port=2,udp');
  assert.equal(text, TWONEXT);
});

test('a recirc_id with no frozen state fails translation as OVS 3.1 reports it', async () => {
  const text = await trace([], 'in_port=1,udp,recirc_id=0x77');
  assert.equal(text, `Flow: recirc_id=0x77,eth,udp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=0

bridge("br0")
-------------
     >>>> Recirculation context not found for ID 77 <<<<

Final flow: unchanged
Megaflow: recirc_id=0x77,eth,ip,in_port=1,nw_frag=no
Datapath actions: drop
Translation failed (No recirculation context), packet is dropped.
`);
});

test('--ct-next errors read as OVS 3.1 prints them', async () => {
  await assert.rejects(trace([], '--ct-next', 'trk,foo', 'in_port=1,tcp'), { message: 'foo: unknown connection tracking state flag' });
  await assert.rejects(trace([], '--ct-next', 'new,est', 'in_port=1,tcp'), {
    message: 'new|est: invalid connection state: If "trk" is unset, no other flags are set\n'
      + 'new|est: invalid connection state: "new" and "est" are mutually exclusive\n',
  });
});

test('group buckets, scores and the chosen bucket are traced as OVS 3.1 prints them', async () => {
  // group_id=1,type=select,selection_method=hash,fields(ip_src),bucket=bucket_id:0,actions=output:1,bucket=bucket_id:1,actions=output:2
  // group_id=2,type=all,bucket=bucket_id:0,actions=output:1,bucket=bucket_id:1,actions=output:2
  // table=0,in_port=1,ip,actions=group:1
  // table=0,in_port=2,ip,actions=group:2,output:1
  const bucket = (bucketId: number, port: number): Bucket => ({ weight: 1, watchPort: OFPP_ANY, watchGroup: OFPG_ANY, bucketId, ofpacts: [out(port)] });
  const groups: GroupDesc[] = [
    { groupId: 1, type: 'select', buckets: [bucket(0, 1), bucket(1, 2)], props: { selectionMethod: 'hash', selectionMethodParam: 0n, fields: [{ field: 'ip_src', value: Buffer.alloc(4, 0xff) }] } },
    { groupId: 2, type: 'all', buckets: [bucket(0, 1), bucket(1, 2)], props: { selectionMethod: '', selectionMethodParam: 0n, fields: [] } },
  ];
  const rules: RuleSpec[] = [
    { match: 'in_port=1,ip', ofpacts: [{ type: 'group', groupId: 1 } as Ofpact] },
    { match: 'in_port=2,ip', ofpacts: [{ type: 'group', groupId: 2 } as Ofpact, out(1)] },
  ];
  const head = (flow: string) => `Flow: ${flow},vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,`;
  assert.equal(await traceWithGroups(rules, groups, 'in_port=1,ip,nw_src=1.1.1.1'), `${head('ip,in_port=1')}nw_src=1.1.1.1,nw_dst=0.0.0.0,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no

bridge("br0")
-------------
 0. ip,in_port=1, priority 32768
    group:1
     -> bucket 0: score 55545
     -> bucket 1: score 24117
     -> using bucket 0
    bucket 0
            output:1
             >> skipping output to input port

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=1,nw_src=1.1.1.1,nw_frag=no
Datapath actions: drop
`);
  assert.equal(await traceWithGroups(rules, groups, 'in_port=2,ip'), GRPALL);
});
