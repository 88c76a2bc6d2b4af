import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { OFPP_LOCAL } from '../../src/openflow/common';
import { Match } from '../../src/openflow/match';
import { formatMatch } from '../../src/openflow/match-format';
import { parseSubfield } from '../../src/openflow/ofp-actions-fields';
import type { Ofpact } from '../../src/openflow/ofpacts';
import { flowFromOdpKey } from '../../src/ofproto-dpif/odp-flow';
import { OfprotoReplica, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { xlate } from '../../src/ofproto-dpif/xlate';

/**
 * multipath and bundle against OVS 3.1 (x86-64 Debian build, dummy datapath; bridge br0 with
 * dummy ports p1..p3 = ofport and datapath port 1..3, LOCAL = datapath port 100). For each row,
 * `ovs-ofctl add-flow br0 'in_port=1,actions=ACTIONS'`, then `ovs-appctl ofproto/trace
 * ovs-dummy PROBE` gave the "Megaflow:" and "Datapath actions:" lines: the link or member OVS's
 * hash picked shows in the pkt_mark or the output port.
 */
const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
  { name: 'p3', ofport: 3, odpPort: 3 },
];
const ETH = 'eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07)';
const PROBES = [
  `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.1.2.3,dst=192.168.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=80)`,
  'in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x0800),ipv4(src=10.9.9.9,dst=172.16.0.1,proto=17,tos=0,ttl=64,frag=no),udp(src=5353,dst=53)',
  'in_port(1),eth(src=02:00:00:00:00:01,dst=ff:ff:ff:ff:ff:ff),eth_type(0x8100),vlan(vid=7,pcp=0),encap(eth_type(0x0800),ipv4(src=1.2.3.4,dst=4.3.2.1,proto=6,tos=0,ttl=64,frag=no),tcp(src=1234,dst=4321))',
  `in_port(1),${ETH},eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::99,label=0,proto=6,tclass=0,hlimit=64,frag=no),tcp(src=40000,dst=443)`,
  `in_port(1),${ETH},eth_type(0x0806),arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=50:54:00:00:00:05,tha=00:00:00:00:00:00)`,
];

const FIELDS = ['eth_src', 'symmetric_l4', 'symmetric_l3l4', 'symmetric_l3l4+udp', 'nw_src', 'nw_dst', 'symmetric_l3'];
const MP_ALGS = ['modulo_n', 'hash_threshold', 'hrw', 'iter_hash'];
const BD_ALGS = ['active_backup', 'hrw'];
const port = (s: string): number => (s === 'LOCAL' ? OFPP_LOCAL : Number(s));

/** The ovs-ofctl text of the few actions these rows use, as ofpacts. */
function parseActions(text: string): Ofpact[] {
  const out: Ofpact[] = [];
  for (const m of text.matchAll(/(multipath|bundle_load|bundle)\(([^)]*)\)|move:([^,]+)->([^,]+)|output:(\w+)/g)) {
    if (m[1] === 'multipath') {
      const [f, basis, alg, n, arg, dst] = m[2].split(',');
      out.push({ type: 'multipath', fields: FIELDS.indexOf(f), basis: Number(basis), algorithm: MP_ALGS.indexOf(alg),
        maxLink: Number(n) - 1, arg: Number(arg), dst: parseSubfield(dst) });
    } else if (m[1]) {
      const [args, members] = m[2].split(',members:');
      const a = args.split(',');
      out.push({ type: 'bundle', fields: FIELDS.indexOf(a[0]), basis: Number(a[1]), algorithm: BD_ALGS.indexOf(a[2]),
        dst: m[1] === 'bundle_load' ? parseSubfield(a[4]) : undefined, members: members.split(',').map(port) });
    } else if (m[3]) {
      out.push({ type: 'reg_move', src: parseSubfield(m[3]), dst: parseSubfield(m[4]) });
    } else {
      out.push({ type: 'output', port: port(m[5]), maxLen: 0 });
    }
  }
  return out;
}

function run(actions: string, probe: number): { megaflow: string; dp: string } {
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [{ name: 'br0', id: 1, macAgingS: 300, ports: PORTS }] });
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added: [{
    id: 1, tableId: 0, priority: 0x8000, match: { flow: Match.catchall().flow, wc: Match.catchall().wc }, cookie: 0n,
    flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0, ofpacts: parseActions(actions),
  }] });
  const f = flowFromOdpKey(parseOdpFlowKey(PROBES[probe]).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 0, mayLearn: false });
  assert.deepEqual(x.unsupported, []);
  const masked = Buffer.from(f.flow.map((b, i) => b & x.wc[i]));
  return { megaflow: formatMatch(new Match(masked, Buffer.from(x.wc))), dp: formatActions(x.actions) };
}

/**
 * [actions, probe, OVS megaflow, OVS datapath actions]. The rule matches everything (OVS's had
 * in_port=1, which the megaflow has anyway).
 */
const GOLDEN: Array<[string, number, string, string]> = [
  ['multipath(eth_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(eth_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(eth_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=02:00:00:00:00:01,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(eth_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(eth_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(eth_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(eth_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(eth_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=02:00:00:00:00:01,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(eth_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(eth_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(eth_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(eth_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(eth_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=02:00:00:00:00:01,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(eth_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(eth_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(eth_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(eth_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(eth_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,dl_src=02:00:00:00:00:01,nw_frag=no', '2'],
  ['multipath(eth_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(eth_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_vlan=7,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', '2'],
  ['multipath(symmetric_l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_vlan=7,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_vlan=7,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', '2'],
  ['multipath(symmetric_l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_vlan=7,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l3l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', '2'],
  ['multipath(symmetric_l3l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l3l4,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no,tp_src=5353,tp_dst=53', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no,tp_src=5353,tp_dst=53', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no,tp_src=5353,tp_dst=53', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', '2'],
  ['multipath(symmetric_l3l4+udp,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no,tp_src=5353,tp_dst=53', '2'],
  ['multipath(symmetric_l3l4+udp,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l3l4+udp,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(nw_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(nw_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(nw_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_frag=no', '2'],
  ['multipath(nw_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(nw_src,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(nw_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(nw_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(nw_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(nw_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(nw_src,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(nw_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(nw_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(nw_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_frag=no', '2'],
  ['multipath(nw_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,nw_frag=no', '2'],
  ['multipath(nw_src,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(nw_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(nw_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(nw_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(nw_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,nw_frag=no', '2'],
  ['multipath(nw_src,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(nw_dst,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=192.168.0.2,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(nw_dst,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(nw_dst,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=4.3.2.1,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(nw_dst,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db8::99,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(nw_dst,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(nw_dst,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=192.168.0.2,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(nw_dst,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(nw_dst,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=4.3.2.1,nw_frag=no', '2'],
  ['multipath(nw_dst,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db8::99,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(nw_dst,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(nw_dst,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=192.168.0.2,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(nw_dst,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(nw_dst,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=4.3.2.1,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(nw_dst,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db8::99,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(nw_dst,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(nw_dst,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=192.168.0.2,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(nw_dst,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(nw_dst,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_dst=4.3.2.1,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(nw_dst,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db8::99,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(nw_dst,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(symmetric_l3,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no', '2'],
  ['multipath(symmetric_l3,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no', '2'],
  ['multipath(symmetric_l3,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l3,50,modulo_n,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(symmetric_l3,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', '2'],
  ['multipath(symmetric_l3,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l3,50,hash_threshold,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l3,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l3,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3,50,hrw,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', '2'],
  ['multipath(symmetric_l3,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l3,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x3/0xf)),2'],
  ['multipath(symmetric_l3,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no', 'set(skb_mark(0x4/0xf)),2'],
  ['multipath(symmetric_l3,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no', '2'],
  ['multipath(symmetric_l3,50,iter_hash,5,0,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1', 'set(skb_mark(0x1/0xf)),2'],
  ['bundle(eth_src,7,hrw,ofport,members:2,3,LOCAL)', 0, 'recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', '3'],
  ['bundle(eth_src,7,hrw,ofport,members:2,3,LOCAL)', 1, 'recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no', '3'],
  ['bundle(eth_src,7,hrw,ofport,members:2,3,LOCAL)', 2, 'recirc_id=0,eth,ip,in_port=1,dl_src=02:00:00:00:00:01,nw_frag=no', '3'],
  ['bundle(eth_src,7,hrw,ofport,members:2,3,LOCAL)', 3, 'recirc_id=0,eth,ipv6,in_port=1,dl_src=50:54:00:00:00:05,nw_frag=no', '3'],
  ['bundle(eth_src,7,hrw,ofport,members:2,3,LOCAL)', 4, 'recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05', '3'],
  ['bundle(symmetric_l4,7,hrw,ofport,members:2,3,LOCAL)', 0, 'recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', '100'],
  ['bundle(symmetric_l4,7,hrw,ofport,members:2,3,LOCAL)', 1, 'recirc_id=0,eth,udp,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', '3'],
  ['bundle(symmetric_l4,7,hrw,ofport,members:2,3,LOCAL)', 2, 'recirc_id=0,eth,tcp,in_port=1,dl_vlan=7,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', '100'],
  ['bundle(symmetric_l4,7,hrw,ofport,members:2,3,LOCAL)', 3, 'recirc_id=0,eth,tcp6,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', '100'],
  ['bundle(symmetric_l4,7,hrw,ofport,members:2,3,LOCAL)', 4, 'recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07', '2'],
  ['bundle(symmetric_l3l4,7,hrw,ofport,members:2,3,LOCAL)', 0, 'recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', '3'],
  ['bundle(symmetric_l3l4,7,hrw,ofport,members:2,3,LOCAL)', 1, 'recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', '3'],
  ['bundle(symmetric_l3l4,7,hrw,ofport,members:2,3,LOCAL)', 2, 'recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', '100'],
  ['bundle(symmetric_l3l4,7,hrw,ofport,members:2,3,LOCAL)', 3, 'recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', '100'],
  ['bundle(symmetric_l3l4,7,hrw,ofport,members:2,3,LOCAL)', 4, 'recirc_id=0,eth,arp,in_port=1', '3'],
  ['bundle(symmetric_l3l4+udp,7,hrw,ofport,members:2,3,LOCAL)', 0, 'recirc_id=0,eth,tcp,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', '3'],
  ['bundle(symmetric_l3l4+udp,7,hrw,ofport,members:2,3,LOCAL)', 1, 'recirc_id=0,eth,udp,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no,tp_src=5353,tp_dst=53', '3'],
  ['bundle(symmetric_l3l4+udp,7,hrw,ofport,members:2,3,LOCAL)', 2, 'recirc_id=0,eth,tcp,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', '100'],
  ['bundle(symmetric_l3l4+udp,7,hrw,ofport,members:2,3,LOCAL)', 3, 'recirc_id=0,eth,tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', '100'],
  ['bundle(symmetric_l3l4+udp,7,hrw,ofport,members:2,3,LOCAL)', 4, 'recirc_id=0,eth,arp,in_port=1', '3'],
  ['bundle(nw_src,7,hrw,ofport,members:2,3,LOCAL)', 0, 'recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_frag=no', '3'],
  ['bundle(nw_src,7,hrw,ofport,members:2,3,LOCAL)', 1, 'recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_frag=no', '100'],
  ['bundle(nw_src,7,hrw,ofport,members:2,3,LOCAL)', 2, 'recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_frag=no', '2'],
  ['bundle(nw_src,7,hrw,ofport,members:2,3,LOCAL)', 3, 'recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,nw_frag=no', '100'],
  ['bundle(nw_src,7,hrw,ofport,members:2,3,LOCAL)', 4, 'recirc_id=0,eth,arp,in_port=1', '3'],
  ['bundle(nw_dst,7,hrw,ofport,members:2,3,LOCAL)', 0, 'recirc_id=0,eth,ip,in_port=1,nw_dst=192.168.0.2,nw_frag=no', '3'],
  ['bundle(nw_dst,7,hrw,ofport,members:2,3,LOCAL)', 1, 'recirc_id=0,eth,ip,in_port=1,nw_dst=172.16.0.1,nw_frag=no', '2'],
  ['bundle(nw_dst,7,hrw,ofport,members:2,3,LOCAL)', 2, 'recirc_id=0,eth,ip,in_port=1,nw_dst=4.3.2.1,nw_frag=no', '2'],
  ['bundle(nw_dst,7,hrw,ofport,members:2,3,LOCAL)', 3, 'recirc_id=0,eth,ipv6,in_port=1,ipv6_dst=2001:db8::99,nw_frag=no', '2'],
  ['bundle(nw_dst,7,hrw,ofport,members:2,3,LOCAL)', 4, 'recirc_id=0,eth,arp,in_port=1', '3'],
  ['bundle(symmetric_l3,7,hrw,ofport,members:2,3,LOCAL)', 0, 'recirc_id=0,eth,ip,in_port=1,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no', '100'],
  ['bundle(symmetric_l3,7,hrw,ofport,members:2,3,LOCAL)', 1, 'recirc_id=0,eth,ip,in_port=1,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', '2'],
  ['bundle(symmetric_l3,7,hrw,ofport,members:2,3,LOCAL)', 2, 'recirc_id=0,eth,ip,in_port=1,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no', '100'],
  ['bundle(symmetric_l3,7,hrw,ofport,members:2,3,LOCAL)', 3, 'recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no', '100'],
  ['bundle(symmetric_l3,7,hrw,ofport,members:2,3,LOCAL)', 4, 'recirc_id=0,eth,arp,in_port=1', '3'],
  ['multipath(symmetric_l4,0,iter_hash,3,8,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 0, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l4,0,iter_hash,3,8,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 1, 'pkt_mark=0/0xf,recirc_id=0,eth,udp,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l4,0,iter_hash,3,8,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 2, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp,in_port=1,dl_vlan=7,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x2/0xf)),2'],
  ['multipath(symmetric_l4,0,iter_hash,3,8,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 3, 'pkt_mark=0/0xf,recirc_id=0,eth,tcp6,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x1/0xf)),2'],
  ['multipath(symmetric_l4,0,iter_hash,3,8,NXM_NX_REG0[0..3]),move:NXM_NX_REG0[0..3]->NXM_NX_PKT_MARK[0..3],output:2', 4, 'pkt_mark=0/0xf,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07', '2'],
  ['multipath(symmetric_l4,1000,hrw,100,0,NXM_NX_REG0[0..7]),move:NXM_NX_REG0[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 0, 'pkt_mark=0/0xff,recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x3a/0xff)),2'],
  ['multipath(symmetric_l4,1000,hrw,100,0,NXM_NX_REG0[0..7]),move:NXM_NX_REG0[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 1, 'pkt_mark=0/0xff,recirc_id=0,eth,udp,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x5b/0xff)),2'],
  ['multipath(symmetric_l4,1000,hrw,100,0,NXM_NX_REG0[0..7]),move:NXM_NX_REG0[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 2, 'pkt_mark=0/0xff,recirc_id=0,eth,tcp,in_port=1,dl_vlan=7,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x3b/0xff)),2'],
  ['multipath(symmetric_l4,1000,hrw,100,0,NXM_NX_REG0[0..7]),move:NXM_NX_REG0[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 3, 'pkt_mark=0/0xff,recirc_id=0,eth,tcp6,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x59/0xff)),2'],
  ['multipath(symmetric_l4,1000,hrw,100,0,NXM_NX_REG0[0..7]),move:NXM_NX_REG0[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 4, 'pkt_mark=0/0xff,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07', 'set(skb_mark(0x3f/0xff)),2'],
  ['bundle(eth_src,0,active_backup,ofport,members:5,3,2)', 0, 'recirc_id=0,eth,ip,in_port=1,nw_frag=no', '3'],
  ['bundle(eth_src,0,active_backup,ofport,members:5,3,2)', 1, 'recirc_id=0,eth,ip,in_port=1,nw_frag=no', '3'],
  ['bundle(eth_src,0,active_backup,ofport,members:5,3,2)', 2, 'recirc_id=0,eth,ip,in_port=1,nw_frag=no', '3'],
  ['bundle(eth_src,0,active_backup,ofport,members:5,3,2)', 3, 'recirc_id=0,eth,ipv6,in_port=1,nw_frag=no', '3'],
  ['bundle(eth_src,0,active_backup,ofport,members:5,3,2)', 4, 'recirc_id=0,eth,arp,in_port=1', '3'],
  ['bundle_load(symmetric_l4,0,hrw,ofport,NXM_NX_REG1[0..15],members:2,3,1),move:NXM_NX_REG1[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 0, 'pkt_mark=0/0xff,recirc_id=0,eth,tcp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=10.1.2.3,nw_dst=192.168.0.2,nw_frag=no,tp_src=8,tp_dst=80', 'set(skb_mark(0x1/0xff)),2'],
  ['bundle_load(symmetric_l4,0,hrw,ofport,NXM_NX_REG1[0..15],members:2,3,1),move:NXM_NX_REG1[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 1, 'pkt_mark=0/0xff,recirc_id=0,eth,udp,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_src=10.9.9.9,nw_dst=172.16.0.1,nw_frag=no', 'set(skb_mark(0x3/0xff)),2'],
  ['bundle_load(symmetric_l4,0,hrw,ofport,NXM_NX_REG1[0..15],members:2,3,1),move:NXM_NX_REG1[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 2, 'pkt_mark=0/0xff,recirc_id=0,eth,tcp,in_port=1,dl_vlan=7,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=1.2.3.4,nw_dst=4.3.2.1,nw_frag=no,tp_src=1234,tp_dst=4321', 'set(skb_mark(0x3/0xff)),2'],
  ['bundle_load(symmetric_l4,0,hrw,ofport,NXM_NX_REG1[0..15],members:2,3,1),move:NXM_NX_REG1[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 3, 'pkt_mark=0/0xff,recirc_id=0,eth,tcp6,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::99,nw_frag=no,tp_src=40000,tp_dst=443', 'set(skb_mark(0x1/0xff)),2'],
  ['bundle_load(symmetric_l4,0,hrw,ofport,NXM_NX_REG1[0..15],members:2,3,1),move:NXM_NX_REG1[0..7]->NXM_NX_PKT_MARK[0..7],output:2', 4, 'pkt_mark=0/0xff,recirc_id=0,eth,arp,in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07', 'set(skb_mark(0x3/0xff)),2'],
  ['bundle(nw_src,0,hrw,ofport,members:3)', 0, 'recirc_id=0,eth,ip,in_port=1,nw_frag=no', '3'],
  ['bundle(nw_src,0,hrw,ofport,members:3)', 1, 'recirc_id=0,eth,ip,in_port=1,nw_frag=no', '3'],
  ['bundle(nw_src,0,hrw,ofport,members:3)', 2, 'recirc_id=0,eth,ip,in_port=1,nw_frag=no', '3'],
  ['bundle(nw_src,0,hrw,ofport,members:3)', 3, 'recirc_id=0,eth,ipv6,in_port=1,nw_frag=no', '3'],
  ['bundle(nw_src,0,hrw,ofport,members:3)', 4, 'recirc_id=0,eth,arp,in_port=1', '3'],
];

for (const [actions, probe, megaflow, dp] of GOLDEN) {
  test(`${actions} on probe ${probe} (OVS trace)`, () => {
    const t = run(actions, probe);
    assert.equal(t.dp, dp);
    assert.equal(t.megaflow, megaflow);
  });
}
