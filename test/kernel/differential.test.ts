/**
 * Differential test against the reference: the same script runs against Debian's ovs-vswitchd
 * and against ts-vswitchd in the same guest, and what the real OVS tools print must agree.
 *
 * Normalised, and why: packet/byte counters and `used:` times (they depend on timing), the
 * `lookups`/`masks`/`cache` statistics lines of `ovs-dpctl show` (same reason). MAC addresses of
 * the namespace ends are fixed by the script, so megaflow keys compare as they are.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  cleanupDatapath,
  collectLogs,
  netnsPair,
  type NetnsPair,
  requireKernel,
  run,
  scaled,
  sleep,
  startOurVswitchd,
  startOvsdb,
  startReferenceVswitchd,
  pingEach,
} from './lib/env';

requireKernel();

/** What one run of the script leaves for comparison. */
interface Observed {
  ofports: string[];
  ports: string[];
  flows: string[];
  ping: string;
}

async function scenario(which: 'reference' | 'ts-vswitchd'): Promise<Observed> {
  await cleanupDatapath();
  const ovsdb = await startOvsdb();
  const pairs: NetnsPair[] = [];
  const daemon = which === 'reference' ? await startReferenceVswitchd(ovsdb) : await startOurVswitchd(ovsdb);
  try {
    await ovsdb.vsctl(['add-br', 'br0']);
    for (const i of [1, 2]) {
      const p = await netnsPair(`tsvd${i}`, `10.0.1.${i}`, { mac: `0a:00:00:00:01:0${i}` });
      pairs.push(p);
      await ovsdb.vsctl(['add-port', 'br0', p.hostIf]);
    }
    const ofports = [];
    for (const name of ['br0', 'tsvd1', 'tsvd2']) ofports.push(`${name}=${(await ovsdb.vsctl(['get', 'Interface', name, 'ofport'])).stdout.trim()}`);
    const ping = await pingEach(pairs[0], pairs[1].addr, 3, 0.3);
    await sleep(300);
    const show = await run(['ovs-dpctl', 'show']);
    const dump = await run(['ovs-dpctl', 'dump-flows']);
    return {
      ofports,
      ports: show.split('\n').filter((l) => /^\s+port \d+:/.test(l)),
      flows: dump
        .split('\n')
        .filter((l) => l.includes('in_port('))
        .map((l) => l.replace(/, packets:\d+, bytes:\d+, used:[^,]+,/, ','))
        .sort(),
      ping: /(\d+)% packet loss/.exec(ping.stdout)?.[0] ?? ping.stdout,
    };
  } finally {
    collectLogs(ovsdb.dir, `differential-${which}`);
    await daemon.stop();
    for (const p of pairs) await p.cleanup();
    await cleanupDatapath();
    await ovsdb.destroy();
  }
}

test('L2 learning on br0: ofports, vports and megaflows match the reference', { timeout: scaled(300_000) }, async () => {
  const ref = await scenario('reference');
  const ours = await scenario('ts-vswitchd');
  console.log(`# reference megaflows:\n${ref.flows.map((f) => `#   ${f}`).join('\n')}`);
  assert.equal(ref.ping, '0% packet loss', 'the reference forwards');
  assert.equal(ours.ping, '0% packet loss');
  assert.deepEqual(ours.ofports, ref.ofports);
  assert.deepEqual(ours.ports, ref.ports);
  assert.deepEqual(ours.flows, ref.flows);
});
