/**
 * learn, check_pkt_larger and clone through the kernel datapath, against Debian's ovs-vswitchd
 * and ours with the same script in one boot:
 *
 * br0 (fail_mode=secure) with two namespaces on ofports 1 and 2. Table 0 learns, for every
 * packet, a table-1 rule "dl_dst=<its source MAC> → output:<its input port>" and resubmits to
 * table 1, whose catch-all floods. Five pings from ns1 to ns2 (static neighbours, so only the
 * echo requests and replies flow): the first request floods and teaches ns1's MAC; the first
 * reply teaches ns2's and goes out by the learned rule.
 *
 * Checked for each daemon: every ping is answered; table 1 holds exactly the two learned rules
 * (the same text for both daemons, counters aside); the reply megaflow outputs to port 1 by the
 * learned rule. Then ICMP from ns2 goes through `check_pkt_larger(200)->reg0[0]` and a clone with
 * output_trunc: pings of 100 and 400 bytes both get through, and the datapath actions of the
 * request megaflows are the same text for both daemons (check_pkt_len and clone accepted by the
 * kernel).
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
  pingReceived: number;
  /** table 1's rules, counters and durations removed, sorted */
  learned: string[];
  /** the datapath actions of the megaflow of ns2's echo replies */
  replyActions: string;
  bigPing: number;
  smallPing: number;
  /** datapath actions of the ICMP echo request megaflows of the second phase, sorted */
  cplActions: string[];
  /** for failure messages: the first ping's output, the datapath flows and OpenFlow rules after it */
  diag: string;
}

const strip = (flows: string): string[] => flows.split('\n').filter((l) => / table=1, /.test(l))
  .map((l) => l.replace(/ (duration|n_packets|n_bytes|idle_age|hard_age)=[^, ]+,?/g, '').trim()).sort();

async function scenario(which: Which): Promise<Outcome> {
  const opts = { names: ['tsvl1', 'tsvl2'] as [string, string], addrs: ['10.0.12.1', '10.0.12.2'] as [string, string], logName: 'xlate-learn', staticNeighbours: true };
  return withTwoPortSwitch(which, opts, async ({ ns1, ns2, ofctl }) => {
    await ofctl('add-flow', 'br0', 'table=0,priority=10,actions=learn(table=1,priority=100,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,1)');
    await ofctl('add-flow', 'br0', 'table=1,priority=0,actions=flood');
    const ping = await ns1.exec(['ping', '-c', '5', '-i', '0.2', '-W', '1', ns2.addr], { check: false });
    const pingReceived = Number(/(\d+) received/.exec(ping.stdout)?.[1] ?? -1);
    let learned: string[] = [];
    await waitFor(async () => {
      learned = strip(await ofctl('dump-flows', 'br0'));
      return learned.length >= 3 ? true : undefined;
    }, scaled(10_000), { intervalMs: 200, what: `${which}: learned rules` }).catch(() => undefined);
    // The namespaces' MACs are random per run: name them.
    learned = learned.map((l) => l.replaceAll(ns1.mac, '<ns1>').replaceAll(ns2.mac, '<ns2>')).sort();
    const dump = await run(['ovs-dpctl', 'dump-flows']);
    const reply = dump.split('\n').find((l) => l.includes(`eth(src=${ns2.mac}`) && l.includes('eth_type(0x0800)'));
    const replyActions = reply?.split('actions:')[1]?.trim() ?? `no reply megaflow in:\n${dump}`;
    const diag = `${ping.stdout}\n${dump}\n${await ofctl('dump-flows', 'br0')}`;

    // Phase 2: ICMP from port 2 through check_pkt_larger and a clone that truncates.
    await ofctl('add-flow', 'br0', 'table=0,priority=20,icmp,in_port=2,actions=check_pkt_larger(200)->NXM_NX_REG0[0],resubmit(,2)');
    await ofctl('add-flow', 'br0', 'table=2,priority=10,reg0=1,actions=clone(output(port=1,max_len=128)),note:00');
    await ofctl('add-flow', 'br0', 'table=2,priority=0,actions=output:1');
    await run(['ovs-dpctl', 'del-flows']);
    const small = await ns2.exec(['ping', '-c', '2', '-i', '0.2', '-W', '1', '-s', '100', ns1.addr], { check: false });
    const big = await ns2.exec(['ping', '-c', '2', '-i', '0.2', '-W', '1', '-s', '400', ns1.addr], { check: false });
    const dump2 = await run(['ovs-dpctl', 'dump-flows']);
    // ns2's requests by their datapath input port: the reference's megaflow does not match eth_src
    // (the priority-20 rule wins before the learn rule is consulted).
    const ns2Odp = new RegExp(`port (\\d+): ${ns2.hostIf}\\b`).exec(await run(['ovs-dpctl', 'show']))?.[1];
    const cplActions = dump2.split('\n').filter((l) => l.includes(`in_port(${ns2Odp})`) && l.includes('eth_type(0x0800)'))
      .map((l) => l.split('actions:')[1]?.trim() ?? '').sort();
    return {
      pingReceived, learned, replyActions, cplActions, diag,
      smallPing: Number(/(\d+) received/.exec(small.stdout)?.[1] ?? -1),
      bigPing: Number(/(\d+) received/.exec(big.stdout)?.[1] ?? -1),
    };
  });
}

function check(which: string, o: Outcome): void {
  assert.equal(o.pingReceived, 5, `${which}: every ping answered\n${o.diag}`);
  assert.equal(o.learned.filter((l) => /priority=100,dl_dst=/.test(l)).length, 2, `${which}: two learned rules:\n${o.learned.join('\n')}`);
  assert.match(o.replyActions, /^\d+$/, `${which}: replies go out by the learned rule to one port`);
  assert.equal(o.smallPing, 2, `${which}: small pings pass the le branch`);
  // A 400-byte ping is larger than 200: the clone truncates a copy to port 1 and the original is
  // dropped, so ns1 gets a 128-byte fragment of the request and does not answer.
  assert.equal(o.bigPing, 0, `${which}: large pings are truncated copies only`);
  assert.ok(o.cplActions.some((a) => a.startsWith('check_pkt_len(')), `${which}: ${o.cplActions.join(' | ')}`);
}

describe('learn, check_pkt_larger and clone in the kernel datapath', { timeout: scaled(300_000) }, () => {
  let reference: Outcome | undefined;

  test("against Debian's ovs-vswitchd (the scenario itself is sound)", async () => {
    reference = await scenario('reference');
    check('reference', reference);
  });

  test('against ts-vswitchd: the same learned rules and datapath actions', async () => {
    const ours = await scenario('ts-vswitchd');
    check('ts-vswitchd', ours);
    assert.ok(reference, 'the reference run must come first');
    const norm = (ls: string[]) => ls.map((l) => l.replace(/cookie=0x0, /, ''));
    assert.deepEqual(norm(ours.learned), norm(reference.learned));
    assert.equal(ours.replyActions, reference.replyActions);
    assert.deepEqual(ours.cplActions, reference.cplActions);
  });
});
