/**
 * OpenFlow meters in the kernel datapath, and the counters traffic moves, against Debian's
 * ovs-vswitchd and ours with the same script in one boot:
 *
 * br0 (fail_mode=secure) with two namespaces on ofports 1 and 2; meter 1 (pktps, burst, one drop
 * band of 1 packet/s, burst 1); ICMP from port 1 goes `meter:1,output:2`, everything else is
 * forwarded by in_port. Ten pings at 10/s then mostly die in the meter.
 *
 * Checked for each daemon:
 * - the datapath flow of the ICMP requests carries the datapath meter: `meter(0),<port>`, the same
 *   action text for both daemons (the first datapath meter id is 0 in OVS's id pool);
 * - meter-stats: the meter saw the 10 requests (`packet_in_count=10`), its band dropped most of
 *   them (the rate allows ≤ 3 in the 1 s the pings last), and replies equal passes;
 * - flow and table counters agree with each other: each rule's n_packets is the packets that hit
 *   it (10 for the ICMP rule), and table 0's lookups = matched = the sum of its rules' packets
 *   (every packet is one table-0 lookup that matches);
 * - deleting the meter removes the rule that uses it, and the datapath meter goes with it.
 * Counts that depend on timing (how many requests pass the meter) are not compared between the
 * daemons, only bounded.
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
  /** datapath actions of the ICMP echo request megaflow */
  icmpActions: string;
  meterStats: string;
  flows: string;
  tables: string;
  pingReceived: number;
  afterDelete: { flows: string; meterStats: string };
}

async function meterScenario(which: Which): Promise<Outcome> {
  const opts = { names: ['tsvm1', 'tsvm2'] as [string, string], addrs: ['10.0.11.1', '10.0.11.2'] as [string, string], logName: 'ofproto-meter', ofVersion: 'OpenFlow13', staticNeighbours: true };
  return withTwoPortSwitch(which, opts, async ({ ns1, ns2, ofctl }) => {
    await ofctl('add-meter', 'br0', 'meter=1,pktps,burst,band=type=drop,rate=1,burst_size=1');
    await ofctl('add-flow', 'br0', 'priority=10,icmp,in_port=1,icmp_type=8,actions=meter:1,output:2');
    await ofctl('add-flow', 'br0', 'priority=5,in_port=1,actions=output:2');
    await ofctl('add-flow', 'br0', 'priority=5,in_port=2,actions=output:1');
    const ping = await ns1.exec(['ping', '-c', '10', '-i', '0.1', '-W', '1', ns2.addr], { check: false });
    const received = Number(/(\d+) received/.exec(ping.stdout)?.[1] ?? -1);
    const dump = await run(['ovs-dpctl', 'dump-flows']);
    const icmpLine = dump.split('\n').find((l) => l.includes('icmp(type=8'));
    // Counters reach OpenFlow through the revalidators: wait until the rules have every packet
    // (the requests, and a reply per request received) and the tables have caught up with them;
    // then check() asserts on the last reading.
    let flows = '';
    let tables = '';
    await waitFor(async () => {
      flows = await ofctl('dump-flows', 'br0');
      tables = await ofctl('dump-tables', 'br0');
      const sum = [...flows.matchAll(/n_packets=(\d+),/g)].reduce((a, x) => a + Number(x[1]), 0);
      const lookups = Number(/table 0[^:\n]*:\n\s+active=\d+, lookup=(\d+)/.exec(tables)?.[1] ?? -1);
      return sum >= 10 + received && lookups >= sum ? true : undefined;
    }, scaled(15_000), { intervalMs: 250, what: `${which}: rule and table counters` }).catch(() => undefined);
    const out: Outcome = {
      icmpActions: icmpLine?.split('actions:')[1]?.trim() ?? `no ICMP request megaflow in:\n${dump}`,
      meterStats: await ofctl('meter-stats', 'br0'),
      flows,
      tables,
      pingReceived: received,
      afterDelete: { flows: '', meterStats: '' },
    };
    await ofctl('del-meter', 'br0', 'meter=1');
    out.afterDelete = { flows: await ofctl('dump-flows', 'br0'), meterStats: await ofctl('meter-stats', 'br0') };
    return out;
  });
}

/** Asserts what must hold for either daemon; returns the parsed counters for comparison. */
function check(which: string, o: Outcome): void {
  const m = /packet_in_count:(\d+) byte_in_count:(\d+) duration:[\d.]+s bands:\n0: packet_count:(\d+) byte_count:(\d+)/.exec(o.meterStats);
  assert.ok(m, `${which}: meter-stats:\n${o.meterStats}`);
  const [inCount, dropped] = [Number(m[1]), Number(m[3])];
  assert.equal(inCount, 10, `${which}: the meter saw every echo request`);
  assert.ok(dropped >= 7 && dropped <= 10, `${which}: 1 packet/s with burst 1 passes at most 3 of 10 pings in 1 s (dropped ${dropped})`);
  assert.equal(o.pingReceived, 10 - dropped, `${which}: replies = requests that passed the meter`);
  const rules = [...o.flows.matchAll(/n_packets=(\d+),/g)].map((x) => Number(x[1]));
  const sum = rules.reduce((a, b) => a + b, 0);
  const t0 = /table 0[^:\n]*:\n\s+active=\d+, lookup=(\d+), matched=(\d+)/.exec(o.tables);
  assert.ok(t0, `${which}: dump-tables:\n${o.tables}`);
  assert.equal(Number(t0[2]), Number(t0[1]), `${which}: every table-0 lookup matched a rule\n${o.tables}`);
  assert.equal(sum, 10 + (10 - dropped), `${which}: the rules saw the requests and the replies\n${o.flows}`);
  assert.equal(Number(t0[1]), sum, `${which}: one table-0 lookup per packet\n${o.flows}\n${o.tables}`);
  assert.doesNotMatch(o.afterDelete.flows, /meter:1/, `${which}: deleting the meter deletes the rule that uses it`);
  assert.doesNotMatch(o.afterDelete.meterStats, /meter:1/, `${which}: the meter is gone`);
}

describe('OpenFlow meters run in the kernel datapath, and traffic moves rule, table and meter counters', { timeout: scaled(300_000) }, () => {
  let reference: Outcome | undefined;

  test("against Debian's ovs-vswitchd (the scenario itself is sound)", async () => {
    reference = await meterScenario('reference');
    check('reference', reference);
  });

  test('against ts-vswitchd: the same datapath meter action, and counters that add up', async () => {
    const ours = await meterScenario('ts-vswitchd');
    check('ts-vswitchd', ours);
    assert.ok(reference, 'the reference run must come first');
    assert.equal(ours.icmpActions, reference.icmpActions);
    assert.match(ours.icmpActions, /^meter\(0\),\d+$/);
  });
});
