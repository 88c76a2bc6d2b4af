import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xlate } from '../../src/ofproto-dpif/xlate';
import { OfprotoReplica, OFPP_LOCAL, OfprotoConfig } from '../../src/ofproto-dpif/ofproto';
import { flowFromOdpKey, odpMaskFromWildcards } from '../../src/ofproto-dpif/odp-flow';
import { VLAN_CFI } from '../../src/ofproto-dpif/flow';
import { FLOW_LEN } from '../../src/openflow/meta-flow';
import { OFPP_NORMAL } from '../../src/openflow/common';
import { formatFlowKey, type OdpFlowKey } from '../../src/genl/flow-key';

const A = '0a:00:00:00:00:01';
const B = '0a:00:00:00:00:02';
const BCAST = 'ff:ff:ff:ff:ff:ff';

/**
 * br0 with the default table of a new bridge (`priority=0 actions=NORMAL`, what the main thread
 * installs as OVS's connmgr_flushed() does): LOCAL on odp 1, v1 (ofport 1) on odp 2, v2
 * (ofport 2) on odp 3, v3 (ofport 3) on odp 4.
 */
function replica(): OfprotoReplica {
  const config: OfprotoConfig = {
    version: 1,
    bridges: [
      {
        name: 'br0',
        id: 1,
        macAgingS: 300,
        ports: [
          { name: 'br0', ofport: OFPP_LOCAL, odpPort: 1 },
          { name: 'v1', ofport: 1, odpPort: 2 },
          { name: 'v2', ofport: 2, odpPort: 3 },
          { name: 'v3', ofport: 3, odpPort: 4 },
        ],
      },
    ],
  };
  const r = new OfprotoReplica();
  r.apply(config);
  r.applyFlowDelta('br0', {
    version: 1, full: true, removed: [],
    added: [{
      id: 1, tableId: 0, priority: 0, match: { flow: new Uint8Array(FLOW_LEN), wc: new Uint8Array(FLOW_LEN) },
      cookie: 0n, flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0,
      ofpacts: [{ type: 'output', port: OFPP_NORMAL, maxLen: 0 }],
    }],
  });
  return r;
}

function ipv4Key(inPort: number, src: string, dst: string): OdpFlowKey {
  return {
    recircId: 0,
    inPort,
    ethernet: { src, dst },
    ethertype: 0x0800,
    ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 1, tos: 0, ttl: 64, frag: 0 },
    icmp: { type: 8, code: 0 },
  };
}

function run(r: OfprotoReplica, key: OdpFlowKey, nowMs = 1000, mayLearn = true) {
  const f = flowFromOdpKey(key, (odp) => r.portOfOdp(odp)?.port.ofport ?? 0);
  const x = xlate((odp) => r.portOfOdp(odp), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs, mayLearn });
  return { ...x, mask: odpMaskFromWildcards(f, x.wc) };
}

/** The megaflow as `ovs-dpctl dump-flows` prints it (only un-wildcarded fields). */
function megaflow(key: OdpFlowKey, mask: OdpFlowKey): string {
  return formatFlowKey(key, mask);
}

test('NORMAL floods a broadcast to every port but the input port, LOCAL included, in datapath port order', () => {
  const r = replica();
  const x = run(r, { recircId: 0, inPort: 2, ethernet: { src: A, dst: BCAST }, ethertype: 0x0806 });
  assert.deepEqual(x.actions, [
    { type: 'output', port: 1 },
    { type: 'output', port: 3 },
    { type: 'output', port: 4 },
  ]);
  assert.equal(x.bridge, 'br0');
  assert.deepEqual(x.rules, [1], 'the packet went through the NORMAL rule');
});

test('NORMAL learns the source MAC and then forwards to the learned port only', () => {
  const r = replica();
  const first = run(r, ipv4Key(2, A, B));
  assert.deepEqual(first.learned.map((l) => [l.mac, l.ofport, l.changed]), [[A, 1, true]]);
  assert.equal(first.actions.length, 3, 'unknown destination floods');
  const reply = run(r, ipv4Key(3, B, A));
  assert.deepEqual(reply.actions, [{ type: 'output', port: 2 }]);
  const again = run(r, ipv4Key(2, A, B));
  assert.deepEqual(again.actions, [{ type: 'output', port: 3 }]);
  assert.deepEqual(again.learned.map((l) => l.changed), [false], 'a known MAC is refreshed, not changed');
});

test('NORMAL drops a frame whose destination was learned on the input port', () => {
  const r = replica();
  run(r, ipv4Key(2, B, A));
  const x = run(r, ipv4Key(2, A, B));
  assert.deepEqual(x.actions, []);
});

test('NORMAL never learns a multicast source and drops IEEE reserved destinations', () => {
  const r = replica();
  const x = run(r, { recircId: 0, inPort: 2, ethernet: { src: '01:00:5e:00:00:01', dst: BCAST }, ethertype: 0x0800 });
  assert.deepEqual(x.learned, []);
  const stp = run(r, { recircId: 0, inPort: 2, ethernet: { src: A, dst: '01:80:c2:00:00:00' } });
  assert.deepEqual(stp.actions, []);
});

test('learning is per VLAN', () => {
  const r = replica();
  const tagged = (inPort: number, src: string, dst: string, vid: number): OdpFlowKey => ({
    recircId: 0,
    inPort,
    ethernet: { src, dst },
    vlan: VLAN_CFI | vid,
    ethertype: 0x8100,
    encap: { ethertype: 0x0800, ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 0, ttl: 64, frag: 0 } },
  });
  run(r, tagged(2, A, B, 10));
  assert.equal(run(r, tagged(3, B, A, 10)).actions.length, 1, 'same VLAN: learned');
  assert.equal(run(r, tagged(3, B, A, 20)).actions.length, 3, 'other VLAN: flood');
});

test('revalidation (mayLearn=false) does not touch the MAC table', () => {
  const r = replica();
  const x = run(r, ipv4Key(2, A, B), 1000, false);
  assert.deepEqual(x.learned, []);
  assert.equal(r.bridges.get('br0')!.ml.size(1000), 0);
});

test('a packet from a port no bridge owns is dropped', () => {
  const r = replica();
  const x = run(r, ipv4Key(99, A, B));
  assert.deepEqual(x.actions, []);
  assert.equal(x.bridge, undefined);
});

test('MAC entries age out after mac-aging-time', () => {
  const r = replica();
  run(r, ipv4Key(2, A, B), 1000);
  assert.equal(run(r, ipv4Key(3, B, A), 1000 + 299_000).actions.length, 1);
  assert.equal(run(r, ipv4Key(3, B, A), 1000 + 301_000 + 299_000).actions.length, 3);
});

test('removing a port forgets the MACs learned on it', () => {
  const r = replica();
  run(r, ipv4Key(2, A, B));
  const cfg = { version: 2, bridges: [{ ...r.bridges.get('br0')!.config, ports: r.bridges.get('br0')!.config.ports.filter((p) => p.name !== 'v1') }] };
  r.apply(cfg);
  assert.equal(r.bridges.get('br0')!.ml.lookup(0, A, 1000), undefined);
});

test('the megaflow mask of an L2 decision covers in_port, MACs, ethertype and IP frag only', () => {
  const r = replica();
  const key = ipv4Key(2, A, B);
  const x = run(r, key);
  assert.equal(megaflow(key, x.mask), `recirc_id(0),in_port(2),eth(src=${A},dst=${B}),eth_type(0x0800),ipv4(frag=no)`);
  assert.equal(x.mask.inPort, 0xffffffff);
  assert.deepEqual(x.mask.ipv4, { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0xff });
});

const arpKey = (dst: string, op: number, sip: string, tip: string): OdpFlowKey => ({
  recircId: 0,
  inPort: 2,
  ethernet: { src: A, dst },
  ethertype: 0x0806,
  arp: { sip, tip, op, sha: A, tha: '00:00:00:00:00:00' },
});

test('a broadcast ARP request un-wildcards the opcode and both addresses (gratuitous-ARP check), as OVS', () => {
  const r = replica();
  const key = arpKey(BCAST, 1, '10.0.0.1', '10.0.0.2');
  const { mask } = run(r, key);
  assert.deepEqual(mask.arp, { sip: '255.255.255.255', tip: '255.255.255.255', op: 0xff, sha: '00:00:00:00:00:00', tha: '00:00:00:00:00:00' });
  assert.equal(mask.ethertype, 0xffff);
  assert.equal(megaflow(key, mask), `recirc_id(0),in_port(2),eth(src=${A},dst=${BCAST}),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.2,op=1/0xff)`, 'as the kernel dumps it');
});

test('a broadcast ARP reply un-wildcards only the opcode; a unicast ARP nothing of ARP', () => {
  const r = replica();
  const reply = arpKey(BCAST, 2, '10.0.0.1', '10.0.0.1');
  assert.deepEqual(run(r, reply).mask.arp, { sip: '0.0.0.0', tip: '0.0.0.0', op: 0xff, sha: '00:00:00:00:00:00', tha: '00:00:00:00:00:00' });
  const unicast = arpKey(B, 2, '10.0.0.1', '10.0.0.2');
  assert.deepEqual(run(r, unicast).mask.arp, { sip: '0.0.0.0', tip: '0.0.0.0', op: 0, sha: '00:00:00:00:00:00', tha: '00:00:00:00:00:00' });
  assert.equal(megaflow(unicast, run(r, unicast).mask), `recirc_id(0),in_port(2),eth(src=${A},dst=${B}),eth_type(0x0806)`);
});

test('the mask of a tagged frame matches the VID with CFI and the inner ethertype', () => {
  const r = replica();
  const key: OdpFlowKey = {
    recircId: 0,
    inPort: 2,
    ethernet: { src: A, dst: B },
    vlan: VLAN_CFI | 10,
    ethertype: 0x8100,
    encap: { ethertype: 0x0800, ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 0, ttl: 64, frag: 0 } },
  };
  const { mask } = run(r, key);
  assert.equal(mask.vlan, 0x1fff);
  assert.equal(mask.ethertype, 0xffff);
  assert.deepEqual(mask.encap?.ethertype, 0xffff);
  assert.deepEqual(mask.encap?.ipv4, { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0xff });
  assert.equal(megaflow(key, mask), `recirc_id(0),in_port(2),eth(src=${A},dst=${B}),eth_type(0x8100),vlan(vid=10),encap(eth_type(0x0800),ipv4(frag=no))`);
});
