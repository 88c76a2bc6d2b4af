import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { OFPP_LOCAL } from '../../src/openflow/common';
import { Match } from '../../src/openflow/match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import type { Ofpact } from '../../src/openflow/ofpacts';
import type { RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { flowFromOdpKey } from '../../src/ofproto-dpif/odp-flow';
import { OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { xlate, type XlateResult } from '../../src/ofproto-dpif/xlate';
import { RecircPool, setThreadRecircPool } from '../../src/ofproto-dpif/recirc';

/**
 * Golden vectors from OVS 3.1 on the dummy datapath: `ovs-vsctl add-br br0 -- set bridge br0
 * datapath_type=dummy` with dummy ports p1..p3 (ofport 1..3 = datapath ports 1..3), rules added
 * with `ovs-ofctl add-flows` (each case's comment gives the text), then `ovs-appctl ofproto/trace
 * ovs-dummy KEY`: the "Megaflow:" and "Datapath actions:" lines.
 */
const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
  { name: 'p3', ofport: 3, odpPort: 3 },
];

let nextRuleId = 1;

function bridge(rules: Array<{ table?: number; priority?: number; match: string; ofpacts: Ofpact[] }>): OfprotoReplica {
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [{ name: 'br0', id: 1, macAgingS: 300, ports: PORTS }] });
  const added: RuleSnapshot[] = rules.map((x) => {
    const { match } = parseMatch(x.match);
    return {
      id: nextRuleId++, tableId: x.table ?? 0, priority: x.priority ?? 0x8000, match: { flow: match.flow, wc: match.wc },
      cookie: 0n, flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0, ofpacts: x.ofpacts,
    };
  });
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added });
  return r;
}

function trace(r: OfprotoReplica, odp: string, allowSideEffects = false): XlateResult & { megaflow: string; dp: string } {
  const f = flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 1000, mayLearn: false, allowSideEffects });
  const masked = Buffer.from(f.flow.map((b, i) => b & x.wc[i]));
  return { ...x, megaflow: formatMatch(new Match(masked, Buffer.from(x.wc))), dp: formatActions(x.actions) };
}

const ETH = 'eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07)';
/** The probe of most cases: TCP with DSCP 8, TTL 64 and FIN set. */
const TCP4 = `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.1.2.3,dst=192.168.0.2,proto=6,tos=0x20,ttl=64,frag=no),tcp(src=8,dst=80),tcp_flags(fin)`;
const MPLS = `in_port(1),${ETH},eth_type(0x8847),mpls(label=100,tc=3,ttl=20,bos=1)`;

const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const mac = (m: string) => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));
const be = (v: number, n: number) => {
  const b = Buffer.alloc(n);
  b.writeUIntBE(v, 0, n);
  return b;
};

// ---------------------------------------------------------------------------------------------
// MPLS

test('push_mpls takes TC and TTL from the IP header (un-wildcarded), set_field mpls_label rides in the push (OVS trace)', () => {
  // in_port=1,tcp,actions=push_mpls:0x8847,set_field:10->mpls_label,output:2
  const r = bridge([{ match: 'in_port=1,tcp', ofpacts: [
    { type: 'push_mpls', ethertype: 0x8847 }, { type: 'set_field', field: 'mpls_label', value: be(10, 4), mask: be(0xfffff, 4) }, out(2),
  ] }]);
  const t = trace(r, TCP4);
  assert.equal(t.dp, 'push_mpls(label=10,tc=0,ttl=64,bos=1,eth_type=0x8847),2');
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,nw_tos=32,nw_ttl=64,nw_frag=no');
  assert.deepEqual(t.unsupported, []);
});

test('pending L3 sets are committed before push_mpls; later MPLS changes are SETs (OVS trace)', () => {
  // in_port=1,tcp,actions=mod_nw_dst:1.2.3.4,push_mpls:0x8848,output:2,dec_mpls_ttl,set_mpls_tc:5,output:3
  const r = bridge([{ match: 'in_port=1,tcp', ofpacts: [
    { type: 'set_ipv4_dst', ipv4: 0x01020304 }, { type: 'push_mpls', ethertype: 0x8848 }, out(2), { type: 'dec_mpls_ttl' },
    { type: 'set_mpls_tc', tc: 5 }, out(3),
  ] }]);
  const t = trace(r, TCP4);
  assert.equal(t.dp, 'set(ipv4(dst=1.2.3.4)),push_mpls(label=0,tc=0,ttl=64,bos=1,eth_type=0x8848),2,set(mpls(label=0,tc=5,ttl=63,bos=1)),3');
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,nw_dst=192.168.0.2,nw_tos=32,nw_ttl=64,nw_frag=no');
});

test('pop_mpls consults the bottom-of-stack bit (OVS trace)', () => {
  // in_port=1,mpls,actions=pop_mpls:0x0800,output:2
  const r = bridge([{ match: 'in_port=1,mpls', ofpacts: [{ type: 'pop_mpls', ethertype: 0x0800 }, out(2)] }]);
  const t = trace(r, MPLS);
  assert.equal(t.dp, 'pop_mpls(eth_type=0x800),2');
  assert.equal(t.megaflow, 'recirc_id=0,eth,mpls,in_port=1,mpls_bos=1');
});

test('set_mpls_ttl, dec_mpls_ttl and an Ethernet change between outputs (OVS trace)', () => {
  // in_port=1,mpls,actions=set_mpls_ttl:7,output:2,dec_mpls_ttl,mod_dl_src:00:00:00:00:00:01,output:3
  const r = bridge([{ match: 'in_port=1,mpls', ofpacts: [
    { type: 'set_mpls_ttl', ttl: 7 }, out(2), { type: 'dec_mpls_ttl' }, { type: 'set_eth_src', mac: mac('00:00:00:00:00:01') }, out(3),
  ] }]);
  const t = trace(r, MPLS);
  assert.equal(t.dp, 'set(mpls(label=100,tc=3,ttl=7,bos=1)),2,set(eth(src=00:00:00:00:00:01)),set(mpls(label=100,tc=3,ttl=6,bos=1)),3');
  assert.equal(t.megaflow, 'recirc_id=0,eth,mpls,in_port=1,dl_src=50:54:00:00:00:05,mpls_ttl=20');
});

test('dec_mpls_ttl at TTL 1 sends to the controller and stops; on a non-MPLS packet it stops too (OVS trace)', () => {
  // in_port=1,mpls,actions=set_mpls_ttl:1,output:2,dec_mpls_ttl,output:3
  const r = bridge([{ match: 'in_port=1,mpls', ofpacts: [{ type: 'set_mpls_ttl', ttl: 1 }, out(2), { type: 'dec_mpls_ttl' }, out(3)] }]);
  setThreadRecircPool(new RecircPool());
  const t = trace(r, MPLS);
  assert.equal(t.dp, 'set(mpls(label=100,tc=3,ttl=1,bos=1)),2,userspace(pid=4294967295,controller(reason=2,dont_send=1,'
    + 'continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))');
  assert.equal(t.packetIns.length, 1);
  assert.equal(t.packetIns[0].reason, 2);
  assert.equal(t.megaflow, 'recirc_id=0,eth,mpls,in_port=1,mpls_ttl=20');
  // in_port=1,actions=dec_mpls_ttl,output:3
  const r2 = bridge([{ match: 'in_port=1', ofpacts: [{ type: 'dec_mpls_ttl' }, out(3)] }]);
  const t2 = trace(r2, TCP4);
  assert.equal(t2.dp, 'drop');
  assert.equal(t2.megaflow, 'recirc_id=0,eth,ip,in_port=1,nw_frag=no');
});

// ---------------------------------------------------------------------------------------------
// clone, check_pkt_larger

test('clone of reversible actions is inlined and its changes undone (OVS trace)', () => {
  // in_port=1,actions=clone(mod_dl_src:00:00:00:00:00:01,output:2),output:3
  const r = bridge([{ match: 'in_port=1', ofpacts: [
    { type: 'clone', actions: [{ type: 'set_eth_src', mac: mac('00:00:00:00:00:01') }, out(2)] }, out(3),
  ] }]);
  const t = trace(r, TCP4);
  assert.equal(t.dp, 'set(eth(src=00:00:00:00:00:01)),2,set(eth(src=50:54:00:00:00:05)),3');
  assert.equal(t.megaflow, 'recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no');
});

test('clone with output_trunc needs a datapath clone, unless it is the last action (OVS trace)', () => {
  const body: Ofpact[] = [{ type: 'set_ipv4_dst', ipv4: 0x01020304 }, { type: 'output_trunc', port: 2, maxLen: 100 }];
  // in_port=1,actions=clone(mod_nw_dst:1.2.3.4,output(port=2,max_len=100)),output:3
  const t = trace(bridge([{ match: 'in_port=1', ofpacts: [{ type: 'clone', actions: body }, out(3)] }]), TCP4);
  assert.equal(t.dp, 'clone(trunc(100),set(ipv4(dst=1.2.3.4)),2),3');
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,nw_dst=192.168.0.2,nw_frag=no');
  // in_port=1,actions=output:3,clone(mod_nw_dst:1.2.3.4,output(port=2,max_len=100))
  const t2 = trace(bridge([{ match: 'in_port=1', ofpacts: [out(3), { type: 'clone', actions: body }] }]), TCP4);
  assert.equal(t2.dp, '3,trunc(100),set(ipv4(dst=1.2.3.4)),2');
  assert.equal(t2.megaflow, 'recirc_id=0,eth,tcp,in_port=1,nw_dst=192.168.0.2,nw_frag=no');
});

test('check_pkt_larger translates the rest of its action list once per branch (OVS trace)', () => {
  // table=0,in_port=1,actions=mod_dl_dst:00:00:00:00:00:09,check_pkt_larger(100)->NXM_NX_REG0[0],resubmit(,1),output:3
  // table=1,ip,reg0=0x1/0x1,actions=mod_nw_ttl:5,output:2
  // table=1,priority=0,actions=output:LOCAL
  const r = bridge([
    { match: 'in_port=1', ofpacts: [
      { type: 'set_eth_dst', mac: mac('00:00:00:00:00:09') },
      { type: 'check_pkt_larger', pktLen: 100, dst: { field: 'reg0', ofs: 0, nBits: 1 } },
      { type: 'resubmit', inPort: 0xfff8, tableId: 1, withCtOrig: false }, out(3),
    ] },
    { table: 1, match: 'ip,reg0=0x1/0x1', ofpacts: [{ type: 'set_ip_ttl', ttl: 5 }, out(2)] },
    { table: 1, priority: 0, match: '', ofpacts: [out(OFPP_LOCAL)] },
  ]);
  const t = trace(r, TCP4);
  assert.equal(t.dp, 'set(eth(dst=00:00:00:00:00:09)),check_pkt_len(size=100,gt(set(ipv4(ttl=5)),2,3),le(100,3))');
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,dl_dst=50:54:00:00:00:07,nw_ttl=64,nw_frag=no');
  // table=0,in_port=1,actions=resubmit(,1),output:3 / table=1,actions=check_pkt_larger(1500)->NXM_NX_REG0[0],output:2
  const r2 = bridge([
    { match: 'in_port=1', ofpacts: [{ type: 'resubmit', inPort: 0xfff8, tableId: 1, withCtOrig: false }, out(3)] },
    { table: 1, match: '', ofpacts: [{ type: 'check_pkt_larger', pktLen: 1500, dst: { field: 'reg0', ofs: 0, nBits: 1 } }, out(2)] },
  ]);
  const t2 = trace(r2, TCP4);
  assert.equal(t2.dp, 'check_pkt_len(size=1500,gt(2),le(2)),3');
  assert.equal(t2.megaflow, 'recirc_id=0,eth,ip,in_port=1,nw_frag=no');
});

// ---------------------------------------------------------------------------------------------
// output:reg, output_trunc, queues, fin_timeout, stack

test('output:reg un-wildcards the subfield it reads (OVS trace)', () => {
  // in_port=1,tcp,actions=load:2->NXM_NX_REG1[16..31],output:NXM_NX_REG1[16..31],move:NXM_OF_TCP_SRC[0..3]->NXM_NX_REG2[0..3],output:NXM_NX_REG2[0..3]
  const r = bridge([{ match: 'in_port=1,tcp', ofpacts: [
    { type: 'set_field', field: 'reg1', value: be(0x20000, 4), mask: be(0xffff0000, 4) },
    { type: 'output_reg', src: { field: 'reg1', ofs: 16, nBits: 16 }, maxLen: 0 },
    { type: 'reg_move', src: { field: 'tcp_src', ofs: 0, nBits: 4 }, dst: { field: 'reg2', ofs: 0, nBits: 4 } },
    { type: 'output_reg', src: { field: 'reg2', ofs: 0, nBits: 4 }, maxLen: 0 },
  ] }]);
  const t = trace(r, TCP4);
  assert.equal(t.dp, '2');
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,nw_frag=no,tp_src=0x8/0xf');
});

test('output_trunc: trunc goes before the commit of pending sets (OVS trace)', () => {
  // in_port=1,actions=mod_nw_dst:1.2.3.4,output(port=2,max_len=100),output:3
  const r = bridge([{ match: 'in_port=1', ofpacts: [
    { type: 'set_ipv4_dst', ipv4: 0x01020304 }, { type: 'output_trunc', port: 2, maxLen: 100 }, out(3),
  ] }]);
  const t = trace(r, TCP4);
  assert.equal(t.dp, 'trunc(100),set(ipv4(dst=1.2.3.4)),2,3');
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,nw_dst=192.168.0.2,nw_frag=no');
});

test('enqueue, set_queue and pop_queue set skb_priority around outputs (OVS trace, kernel queue mapping)', () => {
  // in_port=1,actions=enqueue:2:5,output:3,set_queue:7,output:2,pop_queue,output:3
  // The dummy datapath maps queue q to priority q; the Linux datapath (dpif-netlink) to
  // TC_H_MAKE(1 << 16, q + 1): 0x10006 and 0x10008 here. OVS's lines with the dummy mapping:
  //   set(skb_priority(0x5)),2,set(skb_priority(0)),3,set(skb_priority(0x7)),2,set(skb_priority(0)),3
  const r = bridge([{ match: 'in_port=1', ofpacts: [
    { type: 'enqueue', port: 2, queue: 5 }, out(3), { type: 'set_queue', queueId: 7 }, out(2), { type: 'pop_queue' }, out(3),
  ] }]);
  const t = trace(r, TCP4);
  assert.equal(t.dp, 'set(skb_priority(0x10006)),2,set(skb_priority(0)),3,set(skb_priority(0x10008)),2,set(skb_priority(0)),3');
  assert.equal(t.megaflow, 'recirc_id=0,skb_priority=0,eth,ip,in_port=1,nw_frag=no');
});

test('fin_timeout consults nw_proto only; with side effects and a FIN it lowers the rule timeouts (OVS trace)', () => {
  // in_port=1,actions=fin_timeout(idle_timeout=5),output:2
  const r = bridge([{ match: 'in_port=1', ofpacts: [{ type: 'fin_timeout', finIdleTimeout: 5, finHardTimeout: 0 }, out(2)] }]);
  const t = trace(r, TCP4);
  assert.equal(t.dp, '2');
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,nw_frag=no');
  assert.equal(t.finTimeouts, undefined, 'no side effects in a trace');
  const t2 = trace(r, TCP4, true);
  assert.deepEqual(t2.finTimeouts, [{ bridge: 'br0', ruleId: t2.rules[0], idleTimeout: 5, hardTimeout: 0 }]);
  const t3 = trace(r, TCP4.replace('tcp_flags(fin)', 'tcp_flags(ack)'), true);
  assert.equal(t3.finTimeouts, undefined, 'no FIN or RST: nothing to lower');
});

test('stack push/pop move subfields through the stack, un-wildcarding both ends (OVS trace)', () => {
  // in_port=1,tcp,actions=push:NXM_OF_TCP_SRC[],push:NXM_OF_ETH_DST[0..7],pop:NXM_NX_REG0[0..7],pop:NXM_OF_ETH_SRC[32..47],output:2
  const r = bridge([{ match: 'in_port=1,tcp', ofpacts: [
    { type: 'stack_push', subfield: { field: 'tcp_src', ofs: 0, nBits: 16 } },
    { type: 'stack_push', subfield: { field: 'eth_dst', ofs: 0, nBits: 8 } },
    { type: 'stack_pop', subfield: { field: 'reg0', ofs: 0, nBits: 8 } },
    { type: 'stack_pop', subfield: { field: 'eth_src', ofs: 32, nBits: 16 } }, out(2),
  ] }]);
  const t = trace(r, TCP4);
  assert.equal(t.dp, 'set(eth(src=00:08:00:00:00:00/ff:ff:00:00:00:00)),2');
  assert.equal(t.megaflow, 'recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:00/ff:ff:00:00:00:00,dl_dst=00:00:00:00:00:07/00:00:00:00:00:ff,nw_frag=no,tp_src=8');
});

test('check_pkt_larger into a table whose clone truncates: clone nested in the gt branch (OVS trace)', () => {
  // table=0,priority=20,icmp,in_port=2,actions=check_pkt_larger(200)->NXM_NX_REG0[0],resubmit(,2)
  // table=2,priority=10,reg0=1,actions=clone(output(port=1,max_len=128)),note:00
  // table=2,priority=0,actions=output:1
  const r = bridge([
    { priority: 20, match: 'icmp,in_port=2', ofpacts: [
      { type: 'check_pkt_larger', pktLen: 200, dst: { field: 'reg0', ofs: 0, nBits: 1 } },
      { type: 'resubmit', inPort: 0xfff8, tableId: 2, withCtOrig: false },
    ] },
    { table: 2, priority: 10, match: 'reg0=1', ofpacts: [
      { type: 'clone', actions: [{ type: 'output_trunc', port: 1, maxLen: 128 }] }, { type: 'note', data: Buffer.alloc(6) },
    ] },
    { table: 2, priority: 0, match: '', ofpacts: [out(1)] },
  ]);
  const t = trace(r, `in_port(2),${ETH},eth_type(0x0800),ipv4(src=10.1.2.3,dst=192.168.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)`);
  assert.equal(t.dp, 'check_pkt_len(size=200,gt(clone(trunc(128),1)),le(1))');
  assert.equal(t.megaflow, 'recirc_id=0,eth,icmp,in_port=2,nw_frag=no');
});
