/**
 * Patch ports on openvswitch.ko: two bridges joined by `type=patch` interfaces (`options:peer`
 * naming each other), a veth namespace on each. A ping crosses from one bridge to the other;
 * the patch ports have no datapath port, so each direction is one megaflow whose actions output
 * straight to the other bridge's port, as with OVS (`patch_port_output()`). Also what OVS
 * writes for patch interfaces (ofport, ifindex 0, error for a peer that is not there) and shows
 * in `dpif/show`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  cleanupDatapath,
  collectLogs,
  netnsPair,
  type NetnsPair,
  type OvsdbHandle,
  requireKernel,
  run,
  scaled,
  startOurVswitchd,
  startOvsdb,
  type VswitchdHandle,
  waitFor,
  pingEach,
} from './lib/env';

requireKernel();

/** `ovs-dpctl dump-flows` lines (one per megaflow). */
async function dumpFlows(): Promise<string[]> {
  const out = await run(['ovs-dpctl', 'dump-flows', 'system@ovs-system']);
  return out.split('\n').filter((l) => l.includes('in_port('));
}

/** Datapath port number of `name` from `ovs-dpctl show`. */
async function odpPort(name: string): Promise<number> {
  const m = new RegExp(`port (\\d+): ${name}\\b`).exec(await run(['ovs-dpctl', 'show']));
  assert.ok(m, `${name} in ovs-dpctl show`);
  return Number(m[1]);
}

describe('patch ports on openvswitch.ko', { timeout: scaled(600_000) }, () => {
  let ovsdb: OvsdbHandle;
  let vswitchd: VswitchdHandle;
  const pairs: NetnsPair[] = [];
  let ns1: NetnsPair;
  let ns2: NetnsPair;

  before(async () => {
    await cleanupDatapath();
    ovsdb = await startOvsdb();
    vswitchd = await startOurVswitchd(ovsdb);
    ns1 = await netnsPair('tsvp1', '10.0.0.1');
    ns2 = await netnsPair('tsvp2', '10.0.0.2');
    pairs.push(ns1, ns2);
    const t = ['--timeout', String(Math.ceil(scaled(10_000) / 1000))];
    await ovsdb.vsctl([...t, 'add-br', 'br0', '--', 'add-port', 'br0', ns1.hostIf, '--', 'set', 'Interface', ns1.hostIf, 'ofport_request=1']);
    await ovsdb.vsctl([...t, 'add-br', 'br1', '--', 'add-port', 'br1', ns2.hostIf, '--', 'set', 'Interface', ns2.hostIf, 'ofport_request=1']);
    await ovsdb.vsctl([...t,
      'add-port', 'br0', 'patch01', '--', 'set', 'Interface', 'patch01', 'type=patch', 'options:peer=patch10', 'ofport_request=5', '--',
      'add-port', 'br1', 'patch10', '--', 'set', 'Interface', 'patch10', 'type=patch', 'options:peer=patch01', 'ofport_request=6']);
  });

  after(async () => {
    collectLogs(ovsdb?.dir, 'patch');
    await vswitchd?.stop();
    for (const p of pairs) await p.cleanup();
    await cleanupDatapath();
    await ovsdb?.destroy();
  });

  test('patch interfaces get their ofport_request, ifindex 0, a MAC, no error, and no datapath port', async () => {
    for (const [name, ofport] of [['patch01', '5'], ['patch10', '6']]) {
      const get = async (col: string): Promise<string> => (await ovsdb.vsctl(['get', 'Interface', name, col])).stdout.trim();
      assert.equal(await get('ofport'), ofport);
      assert.equal(await get('ifindex'), '0');
      assert.match(await get('mac_in_use'), /^"[0-9a-f]{2}(:[0-9a-f]{2}){5}"$/);
      assert.equal(await get('error'), '[]');
    }
    assert.doesNotMatch(await run(['ovs-dpctl', 'show']), /patch01|patch10/);
    const show = (await vswitchd.appctl(['dpif/show'])).stdout;
    assert.match(show, /^ {4}patch01 5\/none: \(patch: peer=patch10\)$/m);
    assert.match(show, /^ {4}patch10 6\/none: \(patch: peer=patch01\)$/m);
  });

  test('a ping crosses the patch with 0% loss; one megaflow per direction outputs to the other bridge\'s port', async () => {
    // Under TCG a handler's first upcall can take seconds (a cold worker isolate), longer than
    // the 3 s the kernel gives ARP resolution: resolve the neighbour first, then count losses.
    await waitFor(async () => (await ns1.exec(['ping', '-c', '1', '-W', String(Math.ceil(scaled(2000) / 1000)), ns2.addr])).code === 0,
      scaled(30_000), { intervalMs: 500, what: `${ns2.addr} to answer a ping through the patch` });
    const ping = await pingEach(ns1, ns2.addr, 5);
    if (ping.code !== 0) {
      const fdb = async (br: string): Promise<string> => (await vswitchd.appctl(['fdb/show', br])).stdout;
      const arp = (await ns1.exec(['ip', 'neigh'])).stdout;
      assert.fail(`${ping.stdout}${ping.stderr}\nflows:\n${(await dumpFlows()).join('\n')}\nbr0:\n${await fdb('br0')}br1:\n${await fdb('br1')}neigh: ${arp}`);
    }
    assert.match(ping.stdout, / 0% packet loss/);
    const p1 = await odpPort(ns1.hostIf);
    const p2 = await odpPort(ns2.hostIf);
    const flows = await dumpFlows();
    const icmp = flows.filter((l) => l.includes('eth_type(0x0800)'));
    const there = icmp.filter((l) => l.includes(`in_port(${p1})`) && l.includes(`dst=${ns2.mac}`));
    const back = icmp.filter((l) => l.includes(`in_port(${p2})`) && l.includes(`dst=${ns1.mac}`));
    assert.equal(there.length, 1, `one megaflow ${ns1.hostIf} -> ${ns2.mac}:\n${flows.join('\n')}`);
    assert.equal(back.length, 1, `one megaflow ${ns2.hostIf} -> ${ns1.mac}:\n${flows.join('\n')}`);
    assert.match(there[0], new RegExp(`actions:${p2}$`));
    assert.match(back[0], new RegExp(`actions:${p1}$`));
  });

  test('the MAC tables of both bridges learn across the patch', async () => {
    const fdb0 = (await vswitchd.appctl(['fdb/show', 'br0'])).stdout;
    const fdb1 = (await vswitchd.appctl(['fdb/show', 'br1'])).stdout;
    assert.match(fdb0, new RegExp(`^\\s+5\\s+0\\s+${ns2.mac}\\s`, 'm'), fdb0);
    assert.match(fdb1, new RegExp(`^\\s+6\\s+0\\s+${ns1.mac}\\s`, 'm'), fdb1);
  });

  test('a patch port whose peer does not exist keeps its ofport and reports OVS\'s error', async () => {
    await ovsdb.vsctl(['add-port', 'br0', 'patch02', '--', 'set', 'Interface', 'patch02', 'type=patch', 'options:peer=nowhere']);
    assert.notEqual((await ovsdb.vsctl(['get', 'Interface', 'patch02', 'ofport'])).stdout.trim(), '-1');
    assert.equal((await ovsdb.vsctl(['get', 'Interface', 'patch02', 'error'])).stdout.trim(), '"No usable peer \'nowhere\' exists in \'system\' datapath."');
    // ovs-vsctl reports the interface's error (and still exits 0, as with OVS).
    const bad = await ovsdb.vsctl(['add-port', 'br0', 'patch03', '--', 'set', 'Interface', 'patch03', 'type=patch']);
    assert.match(bad.stderr, /Error detected while setting up 'patch03'/);
    assert.equal((await ovsdb.vsctl(['get', 'Interface', 'patch03', 'error'])).stdout.trim(), '"patch03: patch type requires valid \'peer\' argument"');
    assert.equal((await ovsdb.vsctl(['get', 'Interface', 'patch03', 'ofport'])).stdout.trim(), '-1');
  });
});
