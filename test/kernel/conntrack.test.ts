/**
 * The ctnetlink client (src/dpif-netlink/conntrack.ts) against the kernel's connection tracker,
 * without ovs-vswitchd: a datapath made with `ovs-dpctl add-dp` joins two namespaces; flows
 * whose actions are `ct(commit,zone=5),2` (port 1 → 2) and `ct(commit,zone=7),1` (2 → 1) make
 * the datapath commit connections in zones 5 and 7. Then ctDump must show them, ctFlushTuple
 * must delete one connection by its original tuple, flush() with a partial match the matching
 * ones, ctFlushZone(5) only zone 5's, ctFlush() everything. When OVSVM_OUT is set, one raw dump reply is saved there (ct-dump.hex) for the
 * unit test's golden decode.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RawNetlinkSocket } from 'netlink/dist/raw';

import {
  AF_INET, ConntrackSocket, encodeCtDump, NETLINK_NETFILTER, type CtEntry,
} from '../../src/dpif-netlink/conntrack';
import { NLMSG_DONE, NLMSG_ERROR, splitMessages } from '../../src/genl/netlink';
import { cleanupDatapath, netnsPair, requireKernel, run, scaled, sh, waitFor, type NetnsPair } from './lib/env';

requireKernel();

const DP = 'ctdp0';
const A = '10.0.5.1';
const B = '10.0.5.2';

/** Our test's connections: both ends in 10.0.5.0/24. */
const ours = (es: CtEntry[]): CtEntry[] => es.filter((e) => [A, B].includes(e.orig.src) && [A, B].includes(e.orig.dst));

/** Saves the raw datagrams of one ctnetlink dump as hex lines (one datagram per line). */
async function recordDump(file: string): Promise<void> {
  const sock = new RawNetlinkSocket(NETLINK_NETFILTER, { recvBufferSize: 1 << 20, sendBufferSize: 1 << 16 });
  try {
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('ctnetlink dump did not finish')), scaled(10_000));
      sock.on('message', (msg: Buffer) => {
        lines.push(msg.toString('hex'));
        if (splitMessages(msg).some((m) => m.type === NLMSG_DONE || m.type === NLMSG_ERROR)) {
          clearTimeout(timer);
          resolve();
        }
      });
      sock.send(encodeCtDump(1, sock.address().port), { port: 0 });
    });
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
  } finally {
    sock.close();
  }
}

test('ctnetlink: dump, flush one tuple, flush a zone, flush all', { timeout: scaled(120_000) }, async () => {
  await cleanupDatapath(DP);
  await sh('modprobe nf_conntrack_netlink');
  const pairs: NetnsPair[] = [];
  const ct = ConntrackSocket.open();
  try {
    pairs.push(await netnsPair('ctns1', A), await netnsPair('ctns2', B));
    await run(['ovs-dpctl', 'add-dp', DP, 'ctns1', 'ctns2']);
    const flows: Array<[string, string]> = [
      ['in_port(1),eth(),eth_type(0x0806),arp()', '2'],
      ['in_port(2),eth(),eth_type(0x0806),arp()', '1'],
      ['in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)', 'ct(commit,zone=5),2'],
      ['in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)', 'ct(commit,zone=7),1'],
    ];
    for (const [key, actions] of flows) await run(['ovs-dpctl', 'add-flow', DP, key, actions]);

    await ct.ctFlush();
    // ICMP echo requests open connections (their replies, in the other zone, do not); a UDP
    // datagram from ns1 opens a zone-5 connection with ports.
    await pairs[0].exec(['ping', '-c1', '-W2', B], { check: true });
    await pairs[1].exec(['ping', '-c1', '-W2', A], { check: true });
    await pairs[0].exec('echo hi > /dev/udp/10.0.5.2/5555', { check: true });
    await pairs[1].exec('echo hi > /dev/udp/10.0.5.1/6666', { check: true });

    const all = await waitFor(async () => {
      const es = ours(await ct.ctDump());
      return es.length >= 4 ? es : undefined;
    }, scaled(10_000));
    const z5 = all.filter((e) => e.zone === 5);
    const z7 = all.filter((e) => e.zone === 7);
    const icmp5 = z5.find((e) => e.orig.ipProto === 1);
    const udp5 = z5.find((e) => e.orig.ipProto === 17);
    const icmp7 = z7.find((e) => e.orig.ipProto === 1);
    const udp7 = z7.find((e) => e.orig.ipProto === 17);
    assert.ok(icmp5 && udp5 && icmp7 && udp7, `expected ICMP+UDP in zones 5 and 7, got ${JSON.stringify(all)}`);
    assert.deepEqual([icmp5.family, icmp5.orig.src, icmp5.orig.dst, icmp5.orig.icmpType, icmp5.reply?.src], [AF_INET, A, B, 8, B]);
    assert.deepEqual([icmp7.orig.src, icmp7.orig.dst], [B, A]);
    assert.equal(udp5.orig.dstPort, 5555);
    assert.ok(udp5.orig.srcPort && udp5.orig.srcPort > 0);
    assert.equal(udp5.reply?.srcPort, 5555);
    assert.ok(all.every((e) => e.zone === 5 || e.zone === 7), 'only zones 5 and 7');
    // The zone filter of ctDump.
    assert.deepEqual(ours(await ct.ctDump(7)).map((e) => e.zone), z7.map(() => 7));

    if (fs.existsSync('/proc/net/nf_conntrack')) {
      const proc = fs.readFileSync('/proc/net/nf_conntrack', 'utf8');
      assert.match(proc, new RegExp(`src=${A} dst=${B} .*zone=5`));
      assert.match(proc, new RegExp(`src=${B} dst=${A} .*zone=7`));
    }
    if (process.env.OVSVM_OUT) await recordDump(path.join(process.env.OVSVM_OUT, 'ct-dump.hex'));

    // One connection by its original 5-tuple (nl_ct_flush_tuple); a second time it is gone.
    await ct.ctFlushTuple(5, udp5.orig);
    let now = ours(await ct.ctDump());
    assert.ok(!now.some((e) => e.zone === 5 && e.orig.ipProto === 17), 'UDP connection flushed');
    assert.ok(now.some((e) => e.zone === 5 && e.orig.ipProto === 1), 'zone 5 ICMP kept');
    await assert.rejects(ct.ctFlushTuple(5, udp5.orig), { name: 'NetlinkError', code: 'ENOENT' });

    // ct-flush with a partial match, any zone (ct_dpif_flush_tuple's dump-and-compare path).
    await ct.flush(undefined, { ipProto: 17, orig: { dstPort: 6666 } });
    now = ours(await ct.ctDump());
    assert.ok(!now.some((e) => e.orig.ipProto === 17), 'zone 7 UDP connection flushed by match');
    assert.equal(now.length, 2, 'both ICMP connections kept');

    await ct.ctFlushZone(5);
    now = ours(await ct.ctDump());
    assert.equal(now.filter((e) => e.zone === 5).length, 0, 'zone 5 flushed');
    assert.deepEqual(now.map((e) => [e.zone, e.orig.ipProto]), [[7, 1]], 'zone 7 kept');
    // Flushing an empty zone is fine.
    await ct.ctFlushZone(5);

    await ct.ctFlush();
    assert.deepEqual(ours(await ct.ctDump()), []);
  } finally {
    ct.close();
    await cleanupDatapath(DP).catch(() => false);
    for (const p of pairs) await p.cleanup();
  }
});
