/**
 * Kernel flow-dump benchmark: installs TSV_BENCH_FLOWS (default 100 000) megaflows in a fresh
 * datapath of the real openvswitch.ko, then dumps them all with our dumper and with the real
 * `ovs-dpctl dump-flows`, and prints the times side by side.
 *
 * Needs root and the module: `bench/run.sh` runs it in one guest boot through
 * `test/harness/kernel.sh` (natively where the host has the module).
 *
 * Flows: `recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(src=10.x.y.z,dst=10.255.0.1,proto=6,
 * frag=no),tcp(dst=80),tcp_flags(0/0)` with a distinct source address each and a 16-byte UFID,
 * actions `2`; installed with batched `OVS_FLOW_CMD_NEW` requests (`flowPutRequest`) on a native
 * socket, 1 000 per `sendmmsg`, every ACK checked.
 *
 * Rows (each the median of TSV_BENCH_DUMP_RUNS runs, default 3):
 * - `ts: netlink dump`: one OVS_FLOW_CMD_GET dump on a native socket (NativeChannel.dump) until
 *   NLMSG_DONE — the kernel's work plus receiving;
 * - `ts: dump + decode`: the same, then decodeFlowMessage() of every reply;
 * - `ts: dump + text`: the same, then the `ovs-dpctl dump-flows` line of every flow, built from
 *   the reply's bytes (what a dpctl prints), joined into one string;
 * - `bin/ts-dpctl dump-flows`: our command end to end (process start included), stdout to a file,
 *   when bin/ts-dpctl exists;
 * - `ovs-dpctl dump-flows`: Debian's OVS 3.1 tool, stdout to a file.
 * The last column is the row's time divided by ovs-dpctl's (below 1: faster than ovs-dpctl).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { DpifNetlink } from '../../src/dpif-netlink/dpif';
import { NativeChannel } from '../../src/dpif-netlink/channel';
import { flowDumpRequest, flowPutRequest } from '../../src/dpif-netlink/requests';
import { decodeFlowMessage } from '../../src/genl/messages';
import { encodeFlowKey, formatFlowKeyBytes, type OdpFlowKey } from '../../src/genl/flow-key';
import { formatActionBytes, type OdpAction } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { attrMap } from '../../src/genl/nlattr';
import {
  OVS_FLOW_ATTR_ACTIONS,
  OVS_FLOW_ATTR_KEY,
  OVS_FLOW_ATTR_MASK,
  OVS_FLOW_ATTR_STATS,
  OVS_FLOW_ATTR_USED,
  OVS_HEADER_SIZE,
} from '../../src/genl/openvswitch';
import { formatFlowStats, monotonicMs } from '../../src/dpctl/format';
import { grouped, printTable, timeMs } from './measure';

const DP = 'tsvbench';
const FLOWS = Number(process.env.TSV_BENCH_FLOWS ?? 100_000);
const RUNS = Number(process.env.TSV_BENCH_DUMP_RUNS ?? 3);
const BATCH = 1000;
const REPO = path.resolve(__dirname, '..', '..', '..');
const TS_DPCTL = path.join(REPO, 'bin', 'ts-dpctl');
const TEMPLATE = 'recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.0,dst=10.255.0.1,proto=6,frag=no),tcp(dst=80),tcp_flags(0/0)';
const ACTIONS: OdpAction[] = [{ type: 'output', port: 2 }];

function sh(argv: string[], check = true): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The i-th flow key: the template with source address 10.(i>>16).(i>>8).(i) (i < 2^24). */
function keyFor(template: OdpFlowKey, i: number): OdpFlowKey {
  const ipv4 = template.ipv4 as NonNullable<OdpFlowKey['ipv4']>;
  return { ...template, ipv4: { ...ipv4, src: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}` } };
}

/** A 16-byte UFID unique per flow. */
function ufidFor(i: number): Buffer {
  const u = Buffer.from('00000000b0b0b0b0c0c0c0c0d0d0d0d0', 'hex');
  u.writeUInt32LE(i);
  return u;
}

/** Installs FLOWS flows with batched flow puts; returns the time taken. */
function install(chan: NativeChannel, dpif: DpifNetlink, dpIfindex: number): number {
  const { key: template, mask } = parseOdpFlowKey(TEMPLATE);
  const maskRaw = encodeFlowKey(mask);
  const t0 = process.hrtime.bigint();
  for (let base = 0; base < FLOWS; base += BATCH) {
    const reqs: Array<[number, Buffer]> = [];
    for (let i = base; i < Math.min(FLOWS, base + BATCH); i++) {
      const seq = chan.nextSeq();
      reqs.push([seq, flowPutRequest(dpif.families, seq, { dpIfindex, keyRaw: encodeFlowKey(keyFor(template, i)), maskRaw, actions: ACTIONS, ufid: ufidFor(i) })]);
    }
    const acks = chan.transactBatch(reqs, 60_000);
    for (const [seq] of reqs) {
      const a = acks.get(seq);
      if (!a) throw new Error(`flow put seq ${seq}: no ACK`);
      if (a.errno) throw new Error(`flow put seq ${seq}: errno ${a.errno}${a.extack ? ` (${a.extack})` : ''}`);
    }
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** The `ovs-dpctl dump-flows` line of one dump reply body, from its bytes. */
function dumpLine(body: Buffer, nowMs: bigint): string {
  const a = attrMap(body.subarray(OVS_HEADER_SIZE));
  const stats = a.get(OVS_FLOW_ATTR_STATS);
  const used = a.get(OVS_FLOW_ATTR_USED);
  const statsText = formatFlowStats(
    {
      packets: stats ? stats.readBigUInt64LE(0) : 0n,
      bytes: stats ? stats.readBigUInt64LE(8) : 0n,
      used: used ? used.readBigUInt64LE(0) : undefined,
    },
    nowMs,
  );
  const actions = a.get(OVS_FLOW_ATTR_ACTIONS) ?? Buffer.alloc(0);
  return `${formatFlowKeyBytes(a.get(OVS_FLOW_ATTR_KEY) ?? Buffer.alloc(0), a.get(OVS_FLOW_ATTR_MASK), false)}, ${statsText}, actions:${formatActionBytes(actions)}`;
}

/** Runs a dump-flows command with stdout to a file; returns its wall time and line count. */
function timeCommand(argv: string[], outFile: string): { ms: number; lines: number } {
  const fd = fs.openSync(outFile, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', fd, 'pipe'], maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.closeSync(fd);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const text = fs.readFileSync(outFile, 'utf8');
  return { ms, lines: text.split('\n').filter((l) => l).length };
}

async function main(): Promise<void> {
  sh(['ovs-dpctl', 'del-dp', DP], false);
  sh(['ovs-dpctl', 'add-dp', DP]);
  const dpif = await DpifNetlink.open();
  const chan = NativeChannel.open(32 << 20);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-bench-'));
  try {
    const dpIfindex = (await dpif.getDatapath(DP)).dpIfindex;
    const installMs = install(chan, dpif, dpIfindex);
    console.log(`# installed ${grouped(FLOWS)} flows in ${grouped(installMs)} ms (${grouped((FLOWS / installMs) * 1000)} flows/s, batched flow puts)`);

    const results = new Map<string, { ms: number[]; flows: number }>();
    const record = (name: string, ms: number, flows: number): void => {
      const r = results.get(name) ?? { ms: [], flows };
      r.ms.push(ms);
      r.flows = flows;
      results.set(name, r);
    };
    for (let run = 0; run < RUNS; run++) {
      const seq = chan.nextSeq();
      const dumped = await timeMs(() => chan.dump(flowDumpRequest(dpif.families, seq, dpIfindex), seq, 'OVS_FLOW_CMD_GET dump', 600_000));
      const bodies = dumped.value;
      const decoded = await timeMs(() => bodies.map(decodeFlowMessage));
      const texted = await timeMs(() => {
        const now = monotonicMs();
        return bodies.map((b) => dumpLine(b, now)).join('\n');
      });
      record('ts: netlink dump', dumped.ms, bodies.length);
      record('ts: dump + decode', dumped.ms + decoded.ms, decoded.value.length);
      record('ts: dump + text', dumped.ms + texted.ms, texted.value.split('\n').length);
      if (fs.existsSync(TS_DPCTL)) {
        const t = timeCommand([process.execPath, TS_DPCTL, 'dump-flows', `system@${DP}`], path.join(tmp, 'ts-dpctl.txt'));
        record('bin/ts-dpctl dump-flows', t.ms, t.lines);
      }
      const o = timeCommand(['ovs-dpctl', 'dump-flows', `system@${DP}`], path.join(tmp, 'ovs-dpctl.txt'));
      record('ovs-dpctl dump-flows', o.ms, o.lines);
    }

    const ref = median((results.get('ovs-dpctl dump-flows') as { ms: number[] }).ms);
    const rows = [...results].map(([name, r]) => {
      const ms = median(r.ms);
      return [name, grouped(r.flows), grouped(ms), grouped(Math.min(...r.ms)), grouped((r.flows / ms) * 1000), `${(ms / ref).toFixed(2)}x`];
    });
    printTable(
      `Full dump of ${grouped(FLOWS)} kernel flows (kernel ${os.release()}, ${os.cpus().length} CPUs, median of ${RUNS} runs; ${process.env.KERNEL_HARNESS === 'vm' ? 'emulated QEMU guest: compare ratios, not absolute times' : 'native'})`,
      ['dumper', 'flows', 'ms', 'best ms', 'flows/s', 'vs ovs-dpctl'],
      rows,
    );
    if (!fs.existsSync(TS_DPCTL)) console.log('# bin/ts-dpctl not present: its row is missing');
  } finally {
    chan.close();
    dpif.close();
    sh(['ovs-dpctl', 'del-dp', DP], false);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`dump.bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
