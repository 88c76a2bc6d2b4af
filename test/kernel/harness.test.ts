/**
 * The kernel test harness itself: the guest (or host) has the modules, the OVS tools drive the
 * kernel datapath, namespaces and veth pairs carry traffic, and the helpers in lib/env.ts run
 * a private ovsdb-server and Debian's ovs-vswitchd end to end.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';

import {
  cleanupDatapath,
  collectLogs,
  requireKernel,
  listDatapaths,
  netnsPair,
  type NetnsPair,
  run,
  scaled,
  sh,
  startOvsdb,
  startReferenceVswitchd,
  type VswitchdHandle,
  pingEach,
} from './lib/env';

requireKernel();

test('the openvswitch and veth modules are loaded', () => {
  assert.ok(fs.existsSync('/sys/module/openvswitch'), '/sys/module/openvswitch is missing');
  assert.ok(fs.existsSync('/sys/module/veth'), '/sys/module/veth is missing');
});

test('ovs-dpctl adds, shows and deletes a kernel datapath', async () => {
  const dp = 'tsvharness0';
  await cleanupDatapath(dp);
  await run(['ovs-dpctl', 'add-dp', dp]);
  try {
    assert.match(await run(['ovs-dpctl', 'show', dp]), new RegExp(`^system@${dp}:`, 'm'));
    assert.ok((await listDatapaths()).includes(dp));
  } finally {
    await run(['ovs-dpctl', 'del-dp', dp]);
  }
  assert.ok(!(await listDatapaths()).includes(dp));
});

test('two namespaces joined directly by a veth pair ping each other', async () => {
  const setup = `
    set -e
    ip netns add tsvh-na; ip netns add tsvh-nb
    ip link add tsvh-va netns tsvh-na type veth peer name tsvh-vb netns tsvh-nb
    ip -n tsvh-na addr add 10.0.0.1/24 dev tsvh-va; ip -n tsvh-na link set tsvh-va up
    ip -n tsvh-nb addr add 10.0.0.2/24 dev tsvh-vb; ip -n tsvh-nb link set tsvh-vb up`;
  try {
    await sh('ip netns del tsvh-na; ip netns del tsvh-nb', {});
    await run(setup);
    const r = await sh(['ip', 'netns', 'exec', 'tsvh-na', 'ping', '-c', '1', '-W', '5', '10.0.0.2']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    await sh('ip netns del tsvh-na; ip netns del tsvh-nb');
  }
});

test('netnsPair builds a namespace reachable over its veth, and removes it', async () => {
  const p = await netnsPair('tsvh1', '192.0.2.1');
  try {
    assert.equal(p.hostIf, 'tsvh1');
    assert.equal(p.nsIf, 'tsvh1p');
    assert.equal(p.ip, '192.0.2.1/24');
    assert.match(p.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.equal((await p.exec('cat /proc/sys/net/ipv6/conf/tsvh1p/disable_ipv6', { check: true })).stdout.trim(), '1');
    // TEST-NET-1 in the root namespace, so a native host's own 10.0.0.0/24 is never shadowed.
    await run(['ip', 'addr', 'add', '192.0.2.254/24', 'dev', p.hostIf]);
    const r = await sh(['ping', '-c', '1', '-W', '5', p.addr]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    await p.cleanup();
  }
  assert.doesNotMatch(await run(['ip', 'netns', 'list']), /^tsvh1\b/m);
  assert.notEqual((await sh(['ip', 'link', 'show', 'tsvh1'])).code, 0, 'tsvh1 still exists');
});

test('startOvsdb serves a fresh database to ovs-vsctl --no-wait, across a restart', async () => {
  const db = await startOvsdb();
  try {
    await db.vsctl(['add-br', 'br0'], { noWait: true });
    assert.equal((await db.vsctl(['list-br'], { noWait: true })).stdout, 'br0\n');
    // The environment alone (OVS_RUNDIR) leads ovs-vsctl to the same server.
    assert.equal((await sh(['ovs-vsctl', '--no-wait', 'br-exists', 'br0'], { env: db.env })).code, 0);
    await db.restart();
    assert.equal((await db.vsctl(['list-br'], { noWait: true })).stdout, 'br0\n');
  } finally {
    await db.destroy();
  }
});

test(
  "Debian's ovs-vswitchd creates br0 in the kernel and switches between two namespaces",
  { timeout: scaled(180_000) },
  async () => {
    await cleanupDatapath();
    const db = await startOvsdb();
    let vs: VswitchdHandle | undefined;
    const pairs: NetnsPair[] = [];
    try {
      vs = await startReferenceVswitchd(db);
      // Without --no-wait: returns only once ovs-vswitchd has applied the change.
      await db.vsctl(['add-br', 'br0']);
      const show = await run(['ovs-dpctl', 'show']);
      assert.match(show, /^system@ovs-system:/m);
      assert.match(show, /port \d+: br0 \(internal\)/);

      pairs.push(await netnsPair('tsvh-a', '10.0.0.1'), await netnsPair('tsvh-b', '10.0.0.2'));
      await db.vsctl(['add-port', 'br0', 'tsvh-a', '--', 'add-port', 'br0', 'tsvh-b']);
      const ping = await pingEach(pairs[0], '10.0.0.2', 3);
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);
      assert.match(await run(['ovs-dpctl', 'dump-flows']), /in_port\(/);
    } finally {
      for (const p of pairs) await p.cleanup();
      await vs?.stop();
      collectLogs(db.dir, 'harness-reference-vswitchd');
      await db.destroy();
      await cleanupDatapath();
    }
  },
);
