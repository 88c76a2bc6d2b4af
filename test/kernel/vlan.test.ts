/**
 * NORMAL with VLANs on the kernel datapath: br0 has access ports on VLAN 10 (10.0.10.1) and
 * VLAN 20 (10.0.20.1, and 10.0.10.3: VLAN 10's subnet on the wrong VLAN), and a trunk
 * (trunks=10,20) to a namespace with 802.1Q subinterfaces (10.0.10.2 on VID 10, 10.0.20.2 on VID
 * 20). Pings within a VLAN pass, across VLANs fail (ARP from VLAN 10 never reaches VLAN 20); the
 * trunk's subinterface counters show that each VLAN's frames arrive tagged with its own VID and
 * never with the other's (static neighbours keep ARP off those counters). The same script
 * runs against Debian's ovs-vswitchd first, so a failure against ours is ours.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  cleanupDatapath, collectLogs, netnsPair, type NetnsPair, type OvsdbHandle, requireKernel, scaled, startOurVswitchd,
  startOvsdb, startReferenceVswitchd, type VswitchdHandle,
} from './lib/env';

requireKernel();

interface VlanRun {
  /** ping exit codes by name */
  ping: Record<string, number>;
  /** packets received on the trunk namespace's VLAN subinterfaces after each step */
  rx: Record<string, { v10: number; v20: number }>;
}

async function rxPackets(ns: NetnsPair, ifname: string): Promise<number> {
  const r = await ns.exec(['ip', '-s', '-j', 'link', 'show', ifname], { check: true });
  return (JSON.parse(r.stdout) as Array<{ stats64: { rx: { packets: number } } }>)[0].stats64.rx.packets;
}

async function vlanScenario(which: 'reference' | 'ts-vswitchd'): Promise<VlanRun> {
  await cleanupDatapath();
  const ovsdb: OvsdbHandle = await startOvsdb();
  let vswitchd: VswitchdHandle | undefined;
  const pairs: NetnsPair[] = [];
  try {
    vswitchd = which === 'reference' ? await startReferenceVswitchd(ovsdb) : await startOurVswitchd(ovsdb);
    const a10 = await netnsPair('tsva10', '10.0.10.1');
    const a20 = await netnsPair('tsva20', '10.0.20.1');
    const x20 = await netnsPair('tsvx20', '10.0.10.3');
    const trunk = await netnsPair('tsvt', '10.0.30.2');
    pairs.push(a10, a20, x20, trunk);
    for (const vid of [10, 20]) {
      const sub = `${trunk.nsIf}.${vid}`;
      await trunk.exec(['ip', 'link', 'add', 'link', trunk.nsIf, 'name', sub, 'type', 'vlan', 'id', String(vid)], { check: true });
      await trunk.exec(['ip', 'addr', 'add', `10.0.${vid}.2/24`, 'dev', sub], { check: true });
      await trunk.exec(['ip', 'link', 'set', sub, 'up'], { check: true });
    }
    // Static neighbours between each access host and the trunk: no ARP (nor the kernel's
    // unicast ARP probes seconds later), so the trunk's counters see only the pings' frames.
    for (const [host, vid] of [[a10, 10], [a20, 20]] as const) {
      await host.exec(['ip', 'neigh', 'replace', `10.0.${vid}.2`, 'lladdr', trunk.mac, 'dev', host.nsIf, 'nud', 'permanent'], { check: true });
      await trunk.exec(['ip', 'neigh', 'replace', host.addr, 'lladdr', host.mac, 'dev', `${trunk.nsIf}.${vid}`, 'nud', 'permanent'], { check: true });
    }
    await ovsdb.vsctl(['add-br', 'br0']);
    await ovsdb.vsctl(['add-port', 'br0', a10.hostIf, 'tag=10']);
    await ovsdb.vsctl(['add-port', 'br0', a20.hostIf, 'tag=20']);
    await ovsdb.vsctl(['add-port', 'br0', x20.hostIf, 'tag=20']);
    await ovsdb.vsctl(['add-port', 'br0', trunk.hostIf, 'trunks=10,20']);
    const counters = async () => ({ v10: await rxPackets(trunk, `${trunk.nsIf}.10`), v20: await rxPackets(trunk, `${trunk.nsIf}.20`) });
    const wait = String(Math.ceil(scaled(2000) / 1000));
    const ping = async (from: NetnsPair, to: string) => {
      let r = await from.exec(['ping', '-c', '3', '-i', '0.3', '-W', wait, to]);
      // The first run may lose a packet to the upcall of a new megaflow on a slow guest.
      if (r.code !== 0) r = await from.exec(['ping', '-c', '3', '-i', '0.3', '-W', wait, to]);
      return r.code;
    };
    const out: VlanRun = { ping: {}, rx: {} };
    out.rx.start = await counters();
    out.ping.vlan10 = await ping(a10, '10.0.10.2');
    out.rx.vlan10 = await counters();
    out.ping.vlan20 = await ping(a20, '10.0.20.2');
    out.rx.vlan20 = await counters();
    out.ping.across = await a10.exec(['ping', '-c', '2', '-i', '0.3', '-W', '1', '10.0.10.3']).then((r) => r.code);
    return out;
  } finally {
    collectLogs(ovsdb.dir, `vlan-${which}`);
    await vswitchd?.stop();
    for (const p of pairs) await p.cleanup();
    await cleanupDatapath();
    await ovsdb.destroy();
  }
}

function check(r: VlanRun): void {
  assert.equal(r.ping.vlan10, 0, 'an access port on VLAN 10 reaches the trunk\'s VLAN 10 subinterface');
  assert.equal(r.ping.vlan20, 0, 'an access port on VLAN 20 reaches the trunk\'s VLAN 20 subinterface');
  assert.notEqual(r.ping.across, 0, 'VLAN 10 does not reach a host of its subnet on VLAN 20');
  assert.ok(r.rx.vlan10.v10 > r.rx.start.v10, 'VLAN 10 traffic arrives on the trunk tagged with VID 10');
  assert.equal(r.rx.vlan10.v20, r.rx.start.v20, 'and none of it with VID 20');
  assert.ok(r.rx.vlan20.v20 > r.rx.vlan10.v20, 'VLAN 20 traffic arrives on the trunk tagged with VID 20');
  assert.equal(r.rx.vlan20.v10, r.rx.vlan10.v10, 'and none of it with VID 10');
}

describe('NORMAL: access ports on VLANs 10 and 20, a trunk to 802.1Q subinterfaces', { timeout: scaled(300_000) }, () => {
  test('against Debian\'s ovs-vswitchd (the test itself is sound)', async () => {
    check(await vlanScenario('reference'));
  });

  test('against ts-vswitchd: pings within a VLAN pass, across VLANs fail, the trunk carries the right tags', async () => {
    check(await vlanScenario('ts-vswitchd'));
  });
});
