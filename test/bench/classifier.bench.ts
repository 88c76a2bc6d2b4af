/**
 * Classifier benchmark, on the host: inserting, looking up and removing TSV_BENCH_RULES (default
 * 100 000) OpenFlow rules of three realistic shapes, spread over many subtables:
 *
 * - L3 routes: `ip,in_port=P,nw_dst=A/len` with prefix lengths 8..32 (25 masks);
 * - 5-tuples: `tcp,in_port=P,nw_src=S,nw_dst=D,tp_src=X,tp_dst=Y` (1 mask);
 * - L2: `in_port=P,dl_vlan=V,dl_dst=M` (1 mask);
 * plus a priority-0 catch-all. Priorities are random (route priorities follow prefix length).
 *
 * Lookups are of flows built from a random rule's match (hits) and of random flows that mostly
 * miss every specific rule (misses, which probe every subtable), with and without collecting
 * the megaflow wildcards.
 *
 * Run: `node dist/test/bench/classifier.bench.js`. Rates are medians of timed rounds (./measure).
 * Nothing is asserted.
 */
import { Match } from '../../src/openflow/match';
import { FLOW_LEN, mfField } from '../../src/openflow/meta-flow';
import { Classifier } from '../../src/ofproto-dpif/classifier';
import { grouped, lastResult, measureRate, printTable, timeMs } from './measure';

interface BenchRule { match: Match; priority: number }

const N = Number(process.env.TSV_BENCH_RULES ?? 100_000);

let seed = 12345;
function rnd(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
}
const int = (n: number): number => Math.floor(rnd() * n);

function u(n: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b.writeUIntBE(n, 0, bytes);
  return b;
}

function set(m: Match, name: string, value: number, bytes: number, mask?: number): void {
  m.setField(mfField(name), u(value, bytes), mask === undefined ? undefined : u(mask, bytes));
}

function makeRule(i: number): BenchRule {
  const m = new Match();
  const kind = i % 3;
  set(m, 'in_port', 1 + int(16), 2);
  if (kind === 0) {
    const len = 8 + int(25);
    set(m, 'eth_type', 0x0800, 2);
    const mask = len === 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
    set(m, 'ip_dst', (int(0x100000000) & mask) >>> 0, 4, mask);
    return { match: m, priority: 1000 + len };
  }
  if (kind === 1) {
    set(m, 'eth_type', 0x0800, 2);
    set(m, 'nw_proto', 6, 1);
    set(m, 'ip_src', int(0x100000000), 4);
    set(m, 'ip_dst', int(0x100000000), 4);
    set(m, 'tcp_src', int(0x10000), 2);
    set(m, 'tcp_dst', int(0x10000), 2);
    return { match: m, priority: 2000 + int(1000) };
  }
  set(m, 'dl_vlan', int(4096), 2);
  m.setField(mfField('eth_dst'), Buffer.from([0x0a, 0, int(256), int(256), int(256), int(256)]));
  return { match: m, priority: 500 + int(100) };
}

async function main(): Promise<void> {
  const rules = Array.from({ length: N }, (_, i) => makeRule(i));
  rules.push({ match: new Match(), priority: 0 });
  const cls = new Classifier<BenchRule>();
  const ins = await timeMs(() => { for (const r of rules) cls.insert(r); });
  const subtables = cls.subtableCount;

  const hits = Array.from({ length: 4096 }, () => Buffer.from(rules[int(N)].match.flow));
  const misses = Array.from({ length: 4096 }, () => {
    const f = Buffer.from(rules[int(N)].match.flow);
    for (let k = 0; k < 8; k++) f[int(FLOW_LEN)] ^= 1 << int(8);
    return f;
  });
  const wc = Buffer.alloc(FLOW_LEN);
  let h = 0;
  let mi = 0;
  const rows: string[][] = [];
  const row = (name: string, op: () => unknown): void => {
    const r = measureRate(op);
    rows.push([name, grouped(r.opsPerSec), grouped(r.nsPerOp)]);
  };
  row('lookup hit', () => cls.lookup(hits[h++ & 4095]));
  row('lookup hit + wc', () => { wc.fill(0); return cls.lookup(hits[h++ & 4095], wc); });
  row('lookup miss', () => cls.lookup(misses[mi++ & 4095]));
  row('lookup miss + wc', () => { wc.fill(0); return cls.lookup(misses[mi++ & 4095], wc); });
  row('findExactly', () => { const r = rules[h++ % N]; return cls.findExactly(r.match, r.priority); });
  const rem = await timeMs(() => { for (const r of rules) cls.remove(r); });
  void lastResult();

  printTable(`classifier: ${grouped(N + 1)} rules in ${subtables} subtables, FLOW_LEN ${FLOW_LEN}`, ['operation', 'ops/s', 'ns/op'], [
    ['insert (all rules)', grouped((N + 1) / (ins.ms / 1000)), grouped((ins.ms * 1e6) / (N + 1))],
    ...rows,
    ['remove (all rules)', grouped((N + 1) / (rem.ms / 1000)), grouped((rem.ms * 1e6) / (N + 1))],
  ]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
