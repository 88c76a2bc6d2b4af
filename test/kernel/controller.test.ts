/**
 * A real OpenFlow controller drives the switch (issue #4's acceptance): Debian's
 * `ovs-testcontroller` (a MAC-learning controller that answers packet-ins with flow_mods and
 * packet-outs) connects to br0 in fail_mode=secure, and two namespaces ping each other through
 * it. The same script runs against Debian's ovs-vswitchd first, so a failure against ours is
 * ours, not the test's. Also checked: the Controller row's is_connected as `ovs-vsctl` shows it,
 * and that a secure bridge without a controller passes nothing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';

import {
  run,
  requireKernel,
  scaled,
  waitFor,
  type Which,
  withTwoPortSwitch,
} from './lib/env';

requireKernel();

const CONTROLLER_PORT = 6699;

/** Starts ovs-testcontroller listening on 127.0.0.1:CONTROLLER_PORT. */
function startTestController(): ChildProcess {
  const child = spawn('ovs-testcontroller', [`ptcp:${CONTROLLER_PORT}:127.0.0.1`, '-vconsole:warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
  return child;
}

/**
 * Sets up br0 (secure) with two namespaces on `which` daemon, checks that nothing passes without
 * a controller, connects ovs-testcontroller, and returns the ping result through it.
 */
async function pingThroughController(which: Which): Promise<{ before: number; ping: { code: number; stdout: string }; connected: string }> {
  const opts = { names: ['tsvc1', 'tsvc2'] as [string, string], addrs: ['10.0.9.1', '10.0.9.2'] as [string, string], logName: 'controller', ofportRequest: false };
  return withTwoPortSwitch(which, opts, async ({ ovsdb, ns1, ns2 }) => {
    const before = (await ns1.exec(['ping', '-c', '1', '-W', '1', ns2.addr])).code;
    const controller = startTestController();
    try {
      await ovsdb.vsctl(['set-controller', 'br0', `tcp:127.0.0.1:${CONTROLLER_PORT}`]);
      const connected = await waitFor(async () => {
        const v = (await ovsdb.vsctl(['get', 'Controller', 'br0', 'is_connected'])).stdout.trim();
        return v === 'true' ? v : undefined;
      }, scaled(20_000), { intervalMs: 250, what: `${which}: Controller is_connected` });
      // The first packets go up as packet-ins; the controller learns and installs flows.
      const wait = String(Math.ceil(scaled(2000) / 1000));
      let ping = await ns1.exec(['ping', '-c', '3', '-i', '0.3', '-W', wait, ns2.addr]);
      for (let i = 0; i < 3 && ping.code !== 0; i++) ping = await ns1.exec(['ping', '-c', '3', '-i', '0.3', '-W', wait, ns2.addr]);
      return { before, ping, connected };
    } finally {
      controller.kill('SIGTERM');
    }
  });
}

describe('ovs-testcontroller drives br0 in fail_mode=secure', { timeout: scaled(300_000) }, () => {
  after(async () => {
    await run(['pkill', '-f', 'ovs-testcontroller']).catch(() => undefined);
  });

  test('against Debian\'s ovs-vswitchd (the test itself is sound)', async () => {
    const r = await pingThroughController('reference');
    assert.notEqual(r.before, 0, 'a secure bridge without a controller passes no traffic');
    assert.equal(r.connected, 'true');
    assert.equal(r.ping.code, 0, r.ping.stdout);
  });

  test('against ts-vswitchd: packet-ins reach the controller, its flows and packet-outs make the ping pass', async () => {
    const r = await pingThroughController('ts-vswitchd');
    assert.notEqual(r.before, 0, 'a secure bridge without a controller passes no traffic');
    assert.equal(r.connected, 'true');
    assert.equal(r.ping.code, 0, r.ping.stdout);
  });
});
