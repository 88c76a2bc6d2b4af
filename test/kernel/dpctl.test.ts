/**
 * ts-dpctl against ovs-dpctl 3.1 on the real kernel datapath, and feature probing against
 * ovs-vswitchd 3.1's startup log.
 *
 * The differential test plays one script of ovs-dpctl command lines twice from the same clean
 * state: in pass 1 the real `ovs-dpctl` runs the commands that change the datapath, in pass 2
 * ours (`bin/ts-dpctl` through a symlink named `ovs-dpctl`, so messages carry the same program
 * name). For a changing command, pass 2 must print what pass 1 printed (stdout, stderr, exit
 * code) and leave the same datapath state (as the real `ovs-dpctl show` and `dump-flows -m`
 * describe it). Read-only commands run in both passes through both tools on the same state and
 * must print the same. Commands marked `rejected` must leave the state exactly as it was.
 *
 * Normalised before comparing, and only this: the time stamp of log lines, packet/byte/error
 * counters (`lookups:`, `masks: hit:… hit/pkt:…`, `cache:`, per-port statistics, flows'
 * `packets:`, `bytes:`) and `used:` times, all of which depend on stray packets and timing.
 * Flows are compared in the order the kernel dumps them when both tools read the same datapath;
 * across passes (two datapath instances, whose flow tables hash with different seeds) the
 * state snapshots compare as sorted lines.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { DpifNetlink } from '../../src/dpif-netlink/dpif';
import { formatFeatureLog, probeDatapathFeatures } from '../../src/dpif-netlink/features';
import {
  cleanupDatapath, collectLogs, makeTempDir, REPO_ROOT, removeDir, requireKernel, run, scaled, sh,
  startOvsdb, startReferenceVswitchd, type ShResult,
} from './lib/env';

requireKernel();

const OVS = 'ovs-dpctl';
/** Our tool under the name `ovs-dpctl` (OVS prints `program_name` in its messages). */
const shim = makeTempDir('tsv-dpctl-');
const OURS = path.join(shim, 'ovs-dpctl');
fs.symlinkSync(path.join(REPO_ROOT, 'bin', 'ts-dpctl'), OURS);

const UFID = 'ufid:11223344-5566-7788-99aa-bbccddeeff00';
const FLOWS_FILE = path.join(shim, 'flows.txt');
fs.writeFileSync(FLOWS_FILE, [
  '# comment line',
  'in_port(1),eth(),eth_type(0x0806),arp() 2',
  'add in_port(2),eth(),eth_type(0x0806),arp() 1',
  'modify in_port(2),eth(),eth_type(0x0806),arp() 7',
  'delete in_port(7),eth(),eth_type(0x0806),arp()',
  'in_port(1),bogus() 2',
  'in_port(3),eth(),eth_type(0x0806),arp()',
  '   ',
  'd in_port(2),eth(),eth_type(0x0806),arp()',
  '',
].join('\n'));

/** One command line of the script. */
interface Step {
  args: string[];
  /** Changes the datapath: run by one tool per pass. */
  rw?: boolean;
  /** A changing command that must fail without changing anything. */
  rejected?: boolean;
  /** Standard input. */
  input?: string;
  /** Compare the whole datapath state after this step across the passes. */
  checkpoint?: boolean;
}

const ro = (...args: string[]): Step => ({ args });
const rw = (...args: string[]): Step => ({ args, rw: true });
const rej = (...args: string[]): Step => ({ args, rw: true, rejected: true });
/** A read-only step after which the two passes' datapath states must agree. */
const check = (...args: string[]): Step => ({ args, checkpoint: true });

const ARP1 = 'in_port(1),eth(),eth_type(0x0806),arp()';
const ARP3 = 'in_port(3),eth(),eth_type(0x0806),arp()';

const SCRIPT: Step[] = [
  // No datapath yet.
  ro('dump-dps'), ro('show'), ro('dump-flows'), ro('del-flows'), ro('show', 'nodp'),
  // Command-line handling.
  ro(), ro('bogus'), ro('--bogus', 'show'), ro('-x', 'show'), ro('--stat', 'show'), ro('--n', 'show'),
  ro('-t', '0', 'show'), ro('--timeout'), ro('-V'), ro('--help'), ro('help'), ro('list-commands'), ro('-o'),
  ro('add-dp'), ro('del-dp', 'a', 'b'), ro('--read-only', 'add-flow', 'x', 'y'),
  // Datapaths.
  rw('add-dp', 'dp0'), rej('add-dp', 'dp0'), rw('add-dp', 'system@dp1'), ro('dump-dps'), ro('dump-flows'),
  check('show'), ro('cache-get-size'), rw('del-dp', 'system@dp1'), rej('del-dp', 'nodp'), rej('add-dp', 'foo@x'),
  // Ports.
  rw('add-if', 'dp0', 'va'), rw('add-if', 'dp0', 'vc,port_no=7'), rw('add-if', 'dp0', 'int0,type=internal'),
  rej('add-if', 'dp0', 'nosuch'), rej('add-if', 'dp0', 'va'), rej('add-if', 'nodp', 've'), rej('add-if', 'dp0', ','),
  rej('add-if', 'dp0', 'vx0,type=vxlan'), rej('add-if', 'dp0', 'vx0,type=vxlan,remote_ip=224.0.0.1'),
  rw('add-if', 'dp0', 'vx9,type=vxlan,remote_ip=10.0.0.9,dst_port=4999,foo=1,tos=3,exts=bad,ttl=5,csum=true,key=7'),
  rw('add-if', 'dp0', 'vx0,type=vxlan,remote_ip=10.0.0.1'),
  rw('add-if', 'dp0', 'gv0,type=geneve,remote_ip=10.0.0.2,dst_port=6082'),
  rw('add-if', 'dp0', 'gr0,type=gre,remote_ip=10.0.0.3'),
  rw('add-if', 'dp0', 'vx1,type=vxlan,remote_ip=flow,dst_port=4790,exts=gbp'),
  rw('add-if', 'dp0', 'vx2,type=vxlan,remote_ip=flow,dst_port=4790'),
  // A layer-3 GRE port wants a "gre" device where an L2 port made "gretap" under the same name.
  rw('add-if', 'dp0', 'gr1,type=gre,remote_ip=10.0.0.4,packet_type=legacy_l3'),
  rw('add-if', 'dp0', 'er0,type=erspan,remote_ip=10.0.0.5,erspan_ver=1,erspan_idx=0x10'),
  rej('add-if', 'dp0', 'er1,type=erspan,remote_ip=10.0.0.5,erspan_ver=3'),
  rw('add-if', 'dp0', 'ig0,type=ip6gre,remote_ip=fd00::1,packet_type=legacy_l2'),
  // ip6gre defaults to legacy_l2 as well: the device exists, the vport add fails, OVS tears the
  // device down and tries its own vport type, which the upstream kernel does not know.
  rw('add-if', 'dp0', 'ig1,type=ip6gre,remote_ip=fd00::1'),
  rw('add-if', 'dp0', 'bu0,type=bareudp,remote_ip=10.0.0.6,dst_port=6635,payload_type=mpls'),
  rej('add-if', 'dp0', 'bad0,type=bogus'), rw('add-if', 'dp0', 've,foo=bar,foo=baz'),
  check('show'), ro('-s', 'show'), ro('show', 'dp0', 'nodp'), ro('dump-dps'),
  rej('set-if', 'dp0', 'va,type=internal'), rej('set-if', 'dp0', 'va,port_no=9'), rw('set-if', 'dp0', 'va,port_no=1'),
  rw('set-if', 'dp0', 'va,foo=bar'), rej('set-if', 'dp0', 'nosuch,foo=bar'),
  rej('set-if', 'dp0', 'vxlan_sys_4789,dst_port=4791'), rw('set-if', 'dp0', 'vxlan_sys_4789,remote_ip=1.1.1.1'),
  rw('del-if', 'dp0', 've'), rej('del-if', 'dp0', 'nosuch'), rej('del-if', 'dp0', '99'),
  // Flows.
  rw('add-flow', ARP1, '2'), rej('add-flow', 'dp0', ARP1, '2'),
  rej('add-flow', 'dp0', 'in_port(2),eth(src=00:01:02:03:04:05,dst=00:01:02:03:04:06),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=1,dst=80)', '1,7'),
  rw('add-flow', 'dp0', `${UFID},in_port(7),eth(src=00:01:02:03:04:05/ff:ff:ff:00:00:00),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,frag=no)`, 'set(ipv4(ttl=4)),push_vlan(vid=10,pcp=3),1'),
  rw('add-flow', 'dp0', 'in_port(va),eth(),eth_type(0x86dd),ipv6(src=fe80::1,proto=17),udp(dst=53)', 'userspace(pid=1234)'),
  rw('add-flow', 'dp0', 'in_port(1),eth_type(0x0800),ipv4(src=1.2.3.4)', '2'),
  rej('add-flow', 'dp0', 'in_port(1),bogus(3)', '2'),
  rej('add-flow', 'dp0', 'in_port(1)', 'bogus'),
  rej('add-flow', 'dp0', 'ufid:zz', '1'),
  // A mask without its key (tcp() without ip proto 6): the kernel refuses it with EINVAL.
  rej('add-flow', 'dp0', 'in_port(9),eth(),eth_type(0x0800),ipv4(frag=no),tcp(dst=80)', '1'),
  // An action the kernel refuses (a VLAN tag without CFI).
  rej('add-flow', 'dp0', 'in_port(9),eth(),eth_type(0x0800),ipv4(frag=no)', 'push_vlan(vid=10,pcp=0,cfi=0)'),
  rw('add-flow', 'dp0', 'in_port(9),eth(),eth_type(0x0800),ipv4(frag=no)', 'set(ipv4(src=1.1.1.1))'),
  rej('add-flow', 'dp0', ARP1, '2', 'extra'),
  check('dump-flows'), ro('dump-flows', '-m'), ro('dump-flows', '--names'), ro('-m', '--no-names', 'dump-flows'),
  ro('dump-flows', 'dp0', 'filter=in_port=1'), ro('dump-flows', 'filter=ip,nw_src=10.1.2.3'), ro('dump-flows', 'filter=udp6,udp_dst=53'),
  ro('dump-flows', 'filter=bogus=1'), ro('dump-flows', 'filter=tp_src=1'), ro('dump-flows', 'dp0', 'type=ovs'),
  ro('dump-flows', 'nodp'), ro('dump-flows', 'dp0', 'pmd=1'), ro('dump-flows', 'pmd=x'),
  ro('get-flow', UFID), ro('get-flow', '-m', UFID), ro('get-flow', '--names', 'dp0', UFID),
  ro('get-flow', 'ufid:11223344-5566-7788-99aa-bbccddeeff01'), ro('get-flow', '1234'), ro('get-flow', 'ufid:zz'),
  rw('mod-flow', 'dp0', ARP1, '7'), rw('mod-flow', '-s', '--clear', 'dp0', ARP1, '7'), rej('mod-flow', 'dp0', ARP3, '7'),
  rw('mod-flow', '--may-create', 'dp0', ARP3, '7'),
  rw('del-flow', 'dp0', ARP1), rw('-s', 'del-flow', 'dp0', ARP3), rej('del-flow', 'dp0', ARP1),
  rw('del-flow', 'dp0', UFID), rej('del-flow', 'dp0', UFID), rej('del-flow', 'dp0', 'ufid:zz'), rej('del-flow', 'dp0', 'in_port(1),nope()'),
  rw('add-flows', 'dp0', FLOWS_FILE), check('dump-flows'), rw('mod-flows', 'dp0', FLOWS_FILE), rw('del-flows', 'dp0', FLOWS_FILE),
  rw('del-flows', 'dp0', '/nonexistent'), { args: ['add-flows', 'dp0', '-'], rw: true, input: `${ARP3} 2\n` },
  rw('del-flows', FLOWS_FILE), check('dump-flows'), rw('del-flows'), ro('dump-flows'),
  // Caches and what the kernel datapath lacks.
  ro('cache-get-size', 'dp0'), rw('cache-set-size', 'dp0', 'masks-cache', '32'), rw('cache-set-size', 'dp0', 'masks-cache', '33'),
  rej('cache-set-size', 'dp0', 'bogus', '32'), rej('cache-set-size', 'dp0', 'masks-cache', 'x'), ro('cache-get-size'),
  ro('offload-stats-show', 'dp0'), ro('ct-get-maxconns'), ro('ct-get-tcp-seq-chk', 'dp0'), rej('ipf-set-enabled', 'v4'),
  rej('ipf-set-min-frag', 'dp0', 'v9', '1'), ro('ipf-get-status'), ro('parse-actions', '1,2,push_vlan(vid=3,pcp=0)'),
  // Ports again, then datapaths.
  rw('del-if', 'dp0', 'va', '7', 'nosuch', 'vxlan_sys_4789'), check('show'), rw('del-if', 'dp0', 'int0'),
  rw('add-dp', 'dp2', 'int2,type=internal', 'nosuch2'), check('show'), ro('dump-flows'), ro('-s', 'show', 'dp2'),
  rw('del-dp', 'dp2'), rw('del-dp', 'dp0'), rej('del-dp', 'dp0'), check('dump-dps'),
];

/** Counters and times out; nothing else (see the module comment). */
function normalise(s: string): string {
  return s
    .replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|/gm, 'TIME|')
    .replace(/lookups: hit:\d+ missed:\d+ lost:\d+/g, 'lookups: hit:N missed:N lost:N')
    .replace(/masks: hit:\d+ total:(\d+) hit\/pkt:[\d.]+/g, 'masks: hit:N total:$1 hit/pkt:N')
    .replace(/cache: hit:\d+ hit-rate:[\d.]+%/g, 'cache: hit:N hit-rate:N%')
    .replace(/\b(packets|errors|dropped|overruns|frame|aborted|carrier|collisions|bytes):\d+( \([\d.]+ [KMGT]iB\))?/g, '$1:N')
    .replace(/used:(never|[\d.]+s)/g, 'used:T');
}

function tool(which: 'ovs' | 'ours', step: Step): Promise<ShResult> {
  return sh([which === 'ovs' ? OVS : OURS, ...step.args], { input: step.input, timeoutMs: scaled(60_000) });
}

function show(r: ShResult): string {
  return `code ${r.code}\n--- stdout\n${normalise(r.stdout)}--- stderr\n${normalise(r.stderr)}`;
}

/**
 * The datapath state as the real ovs-dpctl describes it, read in one shell (the guest is slow
 * at starting processes): datapaths, `show`, each datapath's `dump-flows -m` sorted (see the
 * module comment), and the tunnel devices OVS creates.
 */
async function snapshot(): Promise<string> {
  const script = [
    'ovs-dpctl dump-dps',
    'ovs-dpctl show',
    'for dp in $(ovs-dpctl dump-dps); do ovs-dpctl dump-flows -m "$dp" | sed "s|^|$dp |" | sort; done',
    'ip -o link show | grep -oE "(vxlan|genev|gre|erspan|ip6gre|udp)_sys[^:@]*" | sort | tr "\\n" " "',
  ].join('; echo ==; ');
  return normalise((await sh(['bash', '-c', script])).stdout);
}

/** A clean slate: no datapaths, no tunnel devices OVS created, fresh veth pairs (down). */
async function reset(): Promise<void> {
  await sh([
    'bash', '-c',
    'for dp in $(ovs-dpctl dump-dps); do ovs-dpctl del-dp "$dp"; done; '
    + 'for d in $(ip -o link show | grep -oE "(vxlan|genev|gre|erspan|ip6gre|udp)_sys[^:@]*"); do ip link del "$d"; done; '
    + 'for p in va:vb vc:vd ve:vf; do ip link del ${p%:*} 2>/dev/null; ip link add ${p%:*} type veth peer name ${p#*:}; '
    + 'echo 1 > /proc/sys/net/ipv6/conf/${p%:*}/disable_ipv6; done; true',
  ]);
}

/** Appends to `$OVSVM_OUT/dpctl-progress.txt`, which survives a guest that runs out of time. */
function progress(text: string): void {
  const out = process.env.OVSVM_OUT;
  if (out) fs.appendFileSync(path.join(out, 'dpctl-progress.txt'), `${text}\n`);
}

test('ts-dpctl prints and does what ovs-dpctl 3.1 does for the same datapath state', { timeout: scaled(3_600_000) }, async (t) => {
  const pass1: ShResult[] = [];
  const states1: string[] = [];
  const mismatches: string[] = [];
  const label = (i: number, step: Step) => `step ${i}: ${step.args.join(' ')}`;
  try {
    // Pass 1: the real ovs-dpctl changes the datapath; the state is recorded at each checkpoint.
    await reset();
    for (const [i, step] of SCRIPT.entries()) {
      if (step.rw) pass1.push(await tool('ovs', step));
      if (step.checkpoint) states1.push(await snapshot());
      progress(`pass 1 ${label(i, step)}`);
    }

    // Pass 2: ours changes it; read-only commands run through both tools on the same state.
    await reset();
    let k = 0;
    let c = 0;
    let known: string | undefined;
    for (const [i, step] of SCRIPT.entries()) {
      if (!step.rw) {
        const a = await tool('ovs', step);
        const b = await tool('ours', step);
        if (show(a) !== show(b)) mismatches.push(`${label(i, step)} (same state)\n=== ovs-dpctl\n${show(a)}=== ours\n${show(b)}`);
        progress(`pass 2 ${label(i, step)}: ${show(a) === show(b) ? 'same' : 'DIFFERENT'}`);
      } else {
        const before = step.rejected ? known ?? (await snapshot()) : undefined;
        const result = await tool('ours', step);
        const ref = pass1[k++];
        const same = show(ref) === show(result);
        if (!same) mismatches.push(`${label(i, step)}\n=== ovs-dpctl\n${show(ref)}=== ours\n${show(result)}`);
        progress(`pass 2 ${label(i, step)}: ${same ? 'same' : 'DIFFERENT'}`);
        known = undefined;
        if (step.rejected) {
          const after = await snapshot();
          known = after;
          assert.notEqual(result.code, 0, `${label(i, step)} must fail`);
          assert.equal(after, before, `${label(i, step)} was refused but changed the datapath`);
        }
      }
      if (step.checkpoint) {
        const state = known ?? (await snapshot());
        known = state;
        if (state !== states1[c]) mismatches.push(`${label(i, step)}: state differs\n=== after ovs-dpctl\n${states1[c]}\n=== after ours\n${state}`);
        c++;
      }
    }
  } finally {
    const out = process.env.OVSVM_OUT;
    if (out) fs.writeFileSync(path.join(out, 'dpctl-mismatches.txt'), mismatches.join('\n\n'));
    await reset();
    await sh(['bash', '-c', 'ip link del va; ip link del vc; ip link del ve; true']);
  }
  t.diagnostic(`${SCRIPT.length} steps, ${mismatches.length} mismatches`);
  assert.deepEqual(mismatches, [], mismatches.join('\n\n'));
});

test('feature probing finds what ovs-vswitchd 3.1 finds on this kernel and leaves no probe flow behind', { timeout: scaled(300_000) }, async () => {
  await cleanupDatapath();
  const ovsdb = await startOvsdb();
  let referenceLog = '';
  try {
    const daemon = await startReferenceVswitchd(ovsdb);
    try {
      await ovsdb.vsctl(['add-br', 'br0']);
    } finally {
      await daemon.stop();
      referenceLog = fs.readFileSync(daemon.logFile, 'utf8');
      collectLogs(ovsdb.logdir, 'dpctl-features-reference');
    }
  } finally {
    await ovsdb.destroy();
  }
  await run([OVS, 'del-flows', 'ovs-system']);
  const flowsBefore = await run([OVS, 'dump-flows', 'ovs-system']);

  const dpif = await DpifNetlink.open();
  try {
    const dp = await dpif.getDatapath('ovs-system');
    const f = await probeDatapathFeatures(dpif, dp.dpIfindex);
    // The 6.1 kernel supports every feature OVS 3.1 probes for except the userspace-only ND
    // extensions and the symmetric L4 hash (its enum ovs_hash_alg has OVS_HASH_ALG_L4 only).
    assert.deepEqual({ ...f, warnings: undefined }, {
      recirc: true, maxVlanHeaders: 2, maxMplsDepth: 3, maskedSetAction: true, trunc: true, ufid: true, clone: true,
      sampleNesting: 10, ctEventmask: true, ctClear: true, maxHashAlg: 0, checkPktLen: true, ctTimeout: true,
      ctZeroSnat: true, addMpls: true, ctState: true, ctZone: true, ctMark: true, ctLabel: true, ctStateNat: true,
      ctOrigTuple: true, ctOrigTuple6: true, ndExtensions: false, decTtl: true, perCpuDispatch: true, warnings: undefined,
    });
    assert.deepEqual(f.warnings, []);

    // The same lines, in the same order, as the reference logged while probing its datapath.
    const logged = referenceLog.split('\n')
      .map((l) => l.split('|'))
      .filter((p) => p.length >= 5 && p[2] === 'ofproto_dpif' && p.slice(4).join('|').startsWith('system@ovs-system: '))
      .map((p) => p.slice(2).join('|'));
    assert.deepEqual(formatFeatureLog('ovs-system', f), logged);
  } finally {
    dpif.close();
  }
  assert.equal(await run([OVS, 'dump-flows', 'ovs-system']), flowsBefore, 'probe flows were left in the datapath');
  await cleanupDatapath();
  removeDir(shim);
});
