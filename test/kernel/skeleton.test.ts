/**
 * The walking skeleton end to end on the real kernel datapath (issue #2's acceptance): the real
 * ovsdb-server and ovs-vsctl configure ts-vswitchd, which creates vports in openvswitch.ko;
 * namespaces ping each other through br0 because our handlers installed the megaflows; the real
 * ovs-dpctl reads them back; the revalidator expires them; del-port and an ovsdb-server restart
 * behave as with OVS.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
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
  sleep,
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
  return out.split('\n').filter((l) => l.startsWith('recirc_id') || l.includes('in_port('));
}

/** Ifindex of a netdev in the root namespace. */
async function ifindex(name: string): Promise<number> {
  return Number((await run(`cat /sys/class/net/${name}/ifindex`)).trim());
}

describe('walking skeleton on openvswitch.ko', { timeout: scaled(600_000) }, () => {
  let ovsdb: OvsdbHandle;
  let vswitchd: VswitchdHandle;
  const pairs: NetnsPair[] = [];
  let ns1: NetnsPair;
  let ns2: NetnsPair;

  before(async () => {
    await cleanupDatapath();
    ovsdb = await startOvsdb();
    vswitchd = await startOurVswitchd(ovsdb);
    ns1 = await netnsPair('tsvs1', '10.0.0.1');
    ns2 = await netnsPair('tsvs2', '10.0.0.2');
    pairs.push(ns1, ns2);
  });

  after(async () => {
    collectLogs(ovsdb?.dir, 'skeleton');
    await vswitchd?.stop();
    for (const p of pairs) await p.cleanup();
    await cleanupDatapath();
    await ovsdb?.destroy();
  });

  test('ovs-vsctl add-br and add-port return (no --no-wait) and ports get ofports', async () => {
    const t0 = Date.now();
    // ovs-vsctl's own --timeout makes "returns within N s" a hard failure, not a hang.
    await ovsdb.vsctl(['add-br', 'br0'], { timeoutS: Math.ceil(scaled(5000) / 1000) });
    await ovsdb.vsctl(['add-port', 'br0', ns1.hostIf], { timeoutS: Math.ceil(scaled(5000) / 1000) });
    await ovsdb.vsctl(['add-port', 'br0', ns2.hostIf], { timeoutS: Math.ceil(scaled(5000) / 1000) });
    console.log(`# add-br + 2 add-port took ${Date.now() - t0} ms`);
    for (const p of [ns1, ns2]) {
      const ofport = Number((await ovsdb.vsctl(['get', 'Interface', p.hostIf, 'ofport'])).stdout.trim());
      assert.ok(ofport > 0, `${p.hostIf} ofport ${ofport}`);
      const dbIfindex = Number((await ovsdb.vsctl(['get', 'Interface', p.hostIf, 'ifindex'])).stdout.trim());
      assert.equal(dbIfindex, await ifindex(p.hostIf));
    }
    assert.equal((await ovsdb.vsctl(['get', 'Interface', 'br0', 'ofport'])).stdout.trim(), '65534');
    assert.match((await ovsdb.vsctl(['get', 'Bridge', 'br0', 'datapath_id'])).stdout.trim(), /^"[0-9a-f]{16}"$/);
  });

  test('ovs-dpctl show lists ovs-system with br0 (internal) and both ports', async () => {
    const show = await run(['ovs-dpctl', 'show']);
    assert.match(show, /^system@ovs-system:/m);
    assert.match(show, /port \d+: br0 \(internal\)/);
    assert.match(show, new RegExp(`port \\d+: ${ns1.hostIf}\\n`));
    assert.match(show, new RegExp(`port \\d+: ${ns2.hostIf}\\n`));
  });

  test('a ping crosses br0 with 0% loss, over megaflows our handlers installed', async () => {
    const ping = await pingEach(ns1, ns2.addr, 5);
    if (ping.code !== 0) {
      // The datapath's lost counter tells a dropped upcall from a dropped execute; our log names failures.
      const show = await run(['ovs-dpctl', 'show']);
      const warnings = fs.readFileSync(vswitchd.logFile, 'utf8').split('\n').filter((l) => /\|(WARN|ERR|EMER)\|/.test(l));
      assert.fail(`${ping.stdout}${ping.stderr}\n${show}\n${warnings.join('\n')}`);
    }
    assert.match(ping.stdout, / 0% packet loss/);
    const flows = await dumpFlows();
    const icmp = flows.filter((l) => l.includes('eth_type(0x0800)'));
    assert.ok(icmp.length >= 2, `expected IPv4 megaflows both ways, got:\n${flows.join('\n')}`);
    for (const l of icmp) {
      // NORMAL consulted in_port, the MACs, the ethertype and the fragment bit: nothing else.
      assert.match(l, /eth\(src=[0-9a-f:]{17},dst=[0-9a-f:]{17}\)/);
      assert.match(l, /ipv4\(frag=no\)/, l);
      assert.doesNotMatch(l, /ipv4\([^)]*src=/, `an L2 megaflow must not match IP addresses: ${l}`);
      assert.doesNotMatch(l, /icmp\(/, `an L2 megaflow must not match ICMP fields: ${l}`);
    }
    const toNs2 = icmp.find((l) => l.includes(`dst=${ns2.mac}`));
    assert.ok(toNs2 && !/actions:.*,/.test(toNs2), `the learned flow to ${ns2.mac} outputs to one port: ${toNs2}`);
  });

  test('with max-idle=2000 the flows are gone within 4 s of the last packet', async () => {
    await ovsdb.vsctl(['set', 'Open_vSwitch', '.', 'other_config:max-idle=2000']);
    const ping = await ns1.exec(['ping', '-c', '2', '-i', '0.2', ns2.addr]);
    assert.equal(ping.code, 0, ping.stdout);
    const t0 = Date.now();
    // The ping's own (IPv4) megaflows: a neighbour probe of the namespaces' kernels (an ARP
    // exchange a few seconds after an earlier ping) can install ARP megaflows meanwhile, and
    // those start their own idle time.
    const ipv4Flows = async (): Promise<string[]> => (await dumpFlows()).filter((l) => l.includes('eth_type(0x0800)'));
    assert.ok((await ipv4Flows()).length > 0, 'flows present right after the ping');
    await waitFor(async () => (await ipv4Flows()).length === 0, 6000, { intervalMs: 100, what: "the ping's megaflows to expire" });
    const took = Date.now() - t0;
    console.log(`# flows expired ${took} ms after the last packet (max-idle 2000 ms)`);
    assert.ok(took <= 4000, `flows expired after ${took} ms, more than max-idle + 2 s`);
  });

  test('an ovsdb-server restart removes no vport and no flow, and the daemon reconnects', async () => {
    await ovsdb.vsctl(['set', 'Open_vSwitch', '.', 'other_config:max-idle=60000']);
    const ping = await ns1.exec(['ping', '-c', '3', '-i', '0.2', ns2.addr]);
    assert.equal(ping.code, 0, ping.stdout);
    const flowsBefore = (await dumpFlows()).map((l) => l.replace(/, packets:.*actions:/, ' actions:')).sort();
    const ports = async (): Promise<string[]> => (await run(['ovs-dpctl', 'show'])).split('\n').filter((l) => /^\s+port \d+:/.test(l));
    const portsBefore = await ports();
    const ifindexBefore = [await ifindex('br0'), await ifindex(ns1.hostIf), await ifindex(ns2.hostIf)];
    await ovsdb.restart();
    await sleep(scaled(1000));
    assert.deepEqual(await ports(), portsBefore, 'vports unchanged');
    const flowsAfter = (await dumpFlows()).map((l) => l.replace(/, packets:.*actions:/, ' actions:')).sort();
    // Neighbour probes may add ARP megaflows meanwhile; none of the earlier ones may go.
    for (const f of flowsBefore) assert.ok(flowsAfter.includes(f), `flow removed across the restart: ${f}`);
    assert.deepEqual([await ifindex('br0'), await ifindex(ns1.hostIf), await ifindex(ns2.hostIf)], ifindexBefore);
    // A change that only a reconnected daemon can acknowledge (no --no-wait).
    const ns3 = await netnsPair('tsvs3', '10.0.0.3');
    pairs.push(ns3);
    await ovsdb.vsctl(['add-port', 'br0', ns3.hostIf], { timeoutS: Math.ceil(scaled(10_000) / 1000) });
    assert.ok(Number((await ovsdb.vsctl(['get', 'Interface', ns3.hostIf, 'ofport'])).stdout.trim()) > 0);
    const ping3 = await ns3.exec(['ping', '-c', '2', '-i', '0.2', ns1.addr]);
    assert.equal(ping3.code, 0, ping3.stdout);
  });

  test('a daemon restart keeps vports, ofports and flows, and established traffic flows while it is down', async () => {
    const ping0 = await ns1.exec(['ping', '-c', '2', '-i', '0.2', ns2.addr]);
    assert.equal(ping0.code, 0, ping0.stdout);
    const ports = async (): Promise<string[]> => (await run(['ovs-dpctl', 'show'])).split('\n').filter((l) => /^\s+port \d+:/.test(l));
    const ofports = async (): Promise<string[]> =>
      Promise.all([ns1.hostIf, ns2.hostIf, 'br0'].map(async (n) => (await ovsdb.vsctl(['get', 'Interface', n, 'ofport'])).stdout.trim()));
    const before = { ports: await ports(), ofports: await ofports(), ifindex: [await ifindex('br0'), await ifindex(ns1.hostIf)] };
    await vswitchd.stop();
    const down = await ns1.exec(['ping', '-c', '3', '-i', '0.2', ns2.addr]);
    assert.equal(down.code, 0, `existing megaflows forward while no daemon runs: ${down.stdout}`);
    vswitchd = await startOurVswitchd(ovsdb);
    assert.deepEqual(await ports(), before.ports);
    assert.deepEqual(await ofports(), before.ofports);
    assert.deepEqual([await ifindex('br0'), await ifindex(ns1.hostIf)], before.ifindex, 'no vport was deleted and re-created');
    const up = await ns1.exec(['ping', '-c', '3', '-i', '0.2', ns2.addr]);
    assert.equal(up.code, 0, up.stdout);
  });

  test('del-port removes the vport and the traffic through it stops', async () => {
    await ovsdb.vsctl(['del-port', 'br0', ns2.hostIf]);
    const show = await run(['ovs-dpctl', 'show']);
    assert.doesNotMatch(show, new RegExp(`: ${ns2.hostIf}\\n`));
    assert.match(show, new RegExp(`: ${ns1.hostIf}\\n`));
    const ping = await ns1.exec(['ping', '-c', '2', '-i', '0.2', '-W', '1', ns2.addr]);
    assert.notEqual(ping.code, 0, 'no path to a deleted port');
  });

  test('del-br removes the bridge\'s vports', async () => {
    await ovsdb.vsctl(['del-br', 'br0']);
    const show = await run(['ovs-dpctl', 'show']);
    assert.doesNotMatch(show, /: br0 \(internal\)/);
    assert.doesNotMatch(show, new RegExp(`: ${ns1.hostIf}\\n`));
  });
});

describe('per-vport upcall dispatch', { timeout: scaled(300_000) }, () => {
  test('with per-CPU dispatch turned off, upcalls reach the handlers through the vports\' PIDs', async () => {
    await cleanupDatapath();
    const ovsdb = await startOvsdb();
    const pairs: NetnsPair[] = [];
    const d = await startOurVswitchd(ovsdb, [], { env: { TS_VSWITCHD_DISPATCH_MODE: 'per-vport' } });
    try {
      await ovsdb.vsctl(['add-br', 'br0']);
      for (const i of [1, 2]) {
        const p = await netnsPair(`tsvv${i}`, `10.0.2.${i}`);
        pairs.push(p);
        await ovsdb.vsctl(['add-port', 'br0', p.hostIf]);
      }
      const ping = await pingEach(pairs[0], pairs[1].addr, 3);
      assert.equal(ping.code, 0, ping.stdout);
      const log = await run(['cat', d.logFile]);
      assert.match(log, /Datapath dispatch mode: per-vport/);
      assert.ok((await dumpFlows()).some((l) => l.includes('eth_type(0x0800)')), 'megaflows installed');
    } finally {
      collectLogs(ovsdb.dir, 'per-vport');
      await d.stop();
      for (const p of pairs) await p.cleanup();
      await cleanupDatapath();
      await ovsdb.destroy();
    }
  });
});
