/**
 * OpenFlow groups in the kernel datapath, against Debian's ovs-vswitchd and ours with the same
 * script in one boot:
 *
 * br0 (fail_mode=secure) with two namespaces on ofports 1 and 2; ICMP from port 1 goes through
 * group 1 (`type=all`, one bucket `output:2`), ICMP from port 2 (the echo replies) through group
 * 2 (`type=select` without selection_method, two buckets `output:1`: OVS 3.1 selects by dp_hash,
 * `hash(l4(0)),recirc(N)` then a second pass matching `recirc_id(N),dp_hash(H/0xf)`), everything
 * else is forwarded by in_port.
 *
 * Checked for each daemon:
 * - pings pass, and the ICMP echo request megaflow outputs to port 2's datapath port: the group
 *   reached the upcall handlers (the same action text for both daemons);
 * - the echo replies' megaflows through the select group are the reference's (recirculation ids
 *   and dp_hash values normalised: the hash and recirc pass, and the dp_hash-masked resumed pass);
 * - after `mod-group` empties group 1 (no buckets: drop), the existing megaflow is revalidated to
 *   drop, and new pings die: the group_mod reached the workers and moved their configuration.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  requireKernel,
  run,
  scaled,
  waitFor,
  type Which,
  withTwoPortSwitch,
} from './lib/env';

requireKernel();

interface Outcome {
  /** datapath actions of the ICMP echo request megaflow, through the group */
  icmpActions: string;
  received: number;
  /** the same after the group lost its bucket */
  icmpActionsAfter: string;
  receivedAfter: number;
  /** the echo replies' megaflows (select group 2), normalised, distinct and sorted */
  selectFlows: string[];
}

/** A dump-flows line without statistics, recirculation ids and dp_hash values. */
function normaliseSelectFlow(line: string): string {
  const [key, actions] = [line.split(', packets:')[0], line.split('actions:')[1] ?? ''];
  return `${key} actions:${actions}`.replace(/recirc_id\(0x[0-9a-f]+\)/g, 'recirc_id(N)').replace(/recirc\(0x[0-9a-f]+\)/g, 'recirc(N)')
    .replace(/dp_hash\(0x[0-9a-f]+\//g, 'dp_hash(H/').trim();
}

async function groupScenario(which: Which): Promise<Outcome> {
  const opts = { names: ['tsvm1', 'tsvm2'] as [string, string], addrs: ['10.0.12.1', '10.0.12.2'] as [string, string], logName: 'ofproto-group', ofVersion: 'OpenFlow13', staticNeighbours: true };
  return withTwoPortSwitch(which, opts, async ({ ns1, ns2, ofctl }) => {
    // The echo requests' megaflow: from ns1's datapath port, IPv4 protocol 1 (the rule matches no ICMP type).
    const show = await run(['ovs-dpctl', 'show']);
    const ns1Port = Number(new RegExp(`port (\\d+): ${ns1.hostIf}\\b`).exec(show)?.[1] ?? -1);
    const icmpLine = async (): Promise<string | undefined> => (await run(['ovs-dpctl', 'dump-flows'])).split('\n')
      .find((l) => l.includes(`in_port(${ns1Port})`) && l.includes('proto=1,'));
    await ofctl('add-group', 'br0', 'group_id=1,type=all,bucket=output:2');
    await ofctl('add-flow', 'br0', 'priority=10,icmp,in_port=1,actions=group:1');
    await ofctl('add-group', 'br0', 'group_id=2,type=select,bucket=output:1,bucket=output:1');
    await ofctl('add-flow', 'br0', 'priority=10,icmp,in_port=2,actions=group:2');
    await ofctl('add-flow', 'br0', 'priority=5,in_port=1,actions=output:2');
    await ofctl('add-flow', 'br0', 'priority=5,in_port=2,actions=output:1');
    const ping = async (): Promise<number> => {
      const r = await ns1.exec(['ping', '-c', '3', '-i', '0.2', '-W', '1', ns2.addr], { check: false });
      return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? -1);
    };
    const ns2Port = Number(new RegExp(`port (\\d+): ${ns2.hostIf}\\b`).exec(show)?.[1] ?? -1);
    // The first upcalls can take seconds in a TCG guest: wait for one reply before counting.
    await waitFor(async () => (await ns1.exec(['ping', '-c', '1', '-W', '2', ns2.addr], { check: false })).stdout.includes(' 0% packet loss') || undefined,
      scaled(30_000), { intervalMs: 500, what: `${which}: a first ping through the group` }).catch(() => undefined);
    const received = await ping();
    const before = await icmpLine();
    const dump = await run(['ovs-dpctl', 'dump-flows']);
    // The hash pass matches the ICMP rule (proto=1); the resumed pass matches only recirc_id and dp_hash.
    const selectFlows = dump.split('\n')
      .filter((l) => l.includes(`in_port(${ns2Port})`) && (l.includes('proto=1,') || l.includes('recirc_id(0x')))
      .map(normaliseSelectFlow);
    // Pings of different ICMP ids may hash to different dp_hash values: one line per shape.
    const selectShapes = [...new Set(selectFlows)].sort();
    await ofctl('mod-group', 'br0', 'group_id=1,type=all');
    // Revalidation turns the existing megaflow into a drop (or removes it).
    const after = await waitFor(async () => {
      const l = await icmpLine();
      return !l || /actions:drop/.test(l) ? l ?? 'gone' : undefined;
    }, scaled(10_000), { intervalMs: 200, what: `${which}: ICMP megaflow revalidated after mod-group` }).catch(async () => `not revalidated: ${await icmpLine()}`);
    const receivedAfter = await ping();
    return {
      icmpActions: before?.split('actions:')[1]?.trim() ?? `no ICMP request megaflow from port ${ns1Port} in:\n${dump}`,
      received,
      icmpActionsAfter: after.split('actions:')[1]?.trim() ?? after,
      receivedAfter,
      selectFlows: selectShapes,
    };
  });
}

function check(which: string, o: Outcome): void {
  assert.equal(o.received, 3, `${which}: pings pass through the group`);
  assert.match(o.icmpActions, /^\d+$/, `${which}: the echo request megaflow outputs to one port`);
  assert.ok(o.icmpActionsAfter === 'drop' || o.icmpActionsAfter === 'gone', `${which}: after mod-group: ${o.icmpActionsAfter}`);
  assert.equal(o.receivedAfter, 0, `${which}: no pings pass the empty group`);
}

describe('OpenFlow groups run in the kernel datapath, and a group_mod revalidates megaflows', { timeout: scaled(300_000) }, () => {
  let reference: Outcome | undefined;

  test("against Debian's ovs-vswitchd (the scenario itself is sound)", async () => {
    reference = await groupScenario('reference');
    check('reference', reference);
  });

  test('against ts-vswitchd: the same datapath actions through the group, and the group_mod takes effect', async () => {
    const ours = await groupScenario('ts-vswitchd');
    check('ts-vswitchd', ours);
    assert.ok(reference, 'the reference run must come first');
    assert.equal(ours.icmpActions, reference.icmpActions);
    assert.ok(reference.selectFlows.some((l) => l.includes('dp_hash(H/0xf)')), `reference: a dp_hash pass in ${reference.selectFlows.join('; ')}`);
    assert.deepEqual(ours.selectFlows, reference.selectFlows);
  });
});
