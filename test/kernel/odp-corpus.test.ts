/**
 * The ODP flow corpus (test/kernel/corpus/odp-flows.txt) against the real openvswitch.ko, the
 * real `ovs-dpctl` (Debian's OVS 3.1) and our `bin/ts-dpctl`:
 *
 * (a) every accepted corpus flow is installed with the real `ovs-dpctl add-flows`; the real
 *     `ovs-dpctl dump-flows` and `ts-dpctl dump-flows` must print the same lines;
 * (b) the same flows, plus the `#ts-only` ones, are installed with `ts-dpctl add-flows` in a
 *     fresh datapath; both tools must again print the same lines, and the flows of the corpus
 *     proper must print exactly as in (a) (so ts-dpctl's parser and encoder built what
 *     ovs-dpctl's did);
 * (c) the kernel's OVS_FLOW_CMD_GET replies for every flow (key, mask, actions, UFID bytes) and
 *     the line `ovs-dpctl dump-flows` printed for it must equal test/unit/golden/corpus-flows.json,
 *     which test/unit/corpus-golden.test.ts checks our codec against. `TSV_UPDATE_GOLDEN=1`
 *     rewrites that file from this run instead (then commit it);
 * plus: each `#rejected` line is still refused by ovs-dpctl with the recorded message, and
 * ts-dpctl (invoked under the name `ovs-dpctl`) prints the same; each `#ts-only` line is still
 * one that ovs-dpctl 3.1 cannot parse.
 *
 * Normalised in dumps: packet/byte counters, `used:` and `flags:` (no traffic crosses these
 * flows, so they are 0/never anyway). Differences that remain must be listed in
 * {@link KNOWN_DIFFERENCES} (dumps) or {@link KNOWN_REJECTION_DIFFERENCES} (refused lines) with
 * their reason; an entry that no longer matches anything fails too.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { DpifNetlink } from '../../src/dpif-netlink/dpif';
import { encodeFlowMessage } from '../../src/genl/messages';
import { attrMap } from '../../src/genl/nlattr';
import {
  OVS_FLOW_ATTR_ACTIONS,
  OVS_FLOW_ATTR_KEY,
  OVS_FLOW_ATTR_MASK,
  OVS_FLOW_ATTR_UFID,
  OVS_FLOW_CMD_GET,
  OVS_FLOW_VERSION,
  OVS_HEADER_SIZE,
  OVS_KEY_ATTR_IN_PORT,
} from '../../src/genl/openvswitch';
import { makeTempDir, removeDir, REPO_ROOT, requireKernel, run, scaled, sh, type ShResult } from './lib/env';

requireKernel();

/** The corpus. */
const CORPUS = path.join(REPO_ROOT, 'test', 'kernel', 'corpus', 'odp-flows.txt');
/** The golden replies (see test/unit/corpus-golden.test.ts). */
const GOLDEN = path.join(REPO_ROOT, 'test', 'unit', 'golden', 'corpus-flows.json');
const TS_DPCTL = path.join(REPO_ROOT, 'bin', 'ts-dpctl');
const DP = 'tsvcorpus';

/** One flow of the corpus. */
interface CorpusFlow {
  /** 1-based line number in odp-flows.txt. */
  line: number;
  /** `ovs`: a plain `KEY<TAB>ACTIONS` line; `ts-only`: a `#ts-only<TAB>KEY<TAB>ACTIONS` line. */
  kind: 'ovs' | 'ts-only';
  key: string;
  actions: string;
}

/** A `#rejected<TAB>KEY<TAB>ACTIONS<TAB>MESSAGE<TAB>KERNEL LOG` line. */
interface RejectedFlow {
  line: number;
  key: string;
  actions: string;
  /** The last line ovs-dpctl printed on standard error. (KERNEL LOG, the fifth field, is documentation.) */
  message: string;
}

/** A `#ts-rejected<TAB>KEY<TAB>ACTIONS<TAB>MESSAGE` line. */
interface TsRejectedFlow {
  line: number;
  key: string;
  actions: string;
  /** The last line ts-dpctl printed on standard error (as `ovs-dpctl`). */
  message: string;
}

/** Parses odp-flows.txt (its format is described at the top of the file). */
function readCorpus(file = CORPUS): { flows: CorpusFlow[]; rejected: RejectedFlow[]; tsRejected: TsRejectedFlow[] } {
  const flows: CorpusFlow[] = [];
  const rejected: RejectedFlow[] = [];
  const tsRejected: TsRejectedFlow[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const line = i + 1;
      const f = text.split('\t');
      if (f[0] === '#ts-only') {
        assert.equal(f.length, 3, `${file}:${line}: #ts-only<TAB>KEY<TAB>ACTIONS`);
        flows.push({ line, kind: 'ts-only', key: f[1], actions: f[2] });
      } else if (f[0] === '#rejected') {
        assert.equal(f.length, 5, `${file}:${line}: #rejected<TAB>KEY<TAB>ACTIONS<TAB>MESSAGE<TAB>KERNEL LOG`);
        rejected.push({ line, key: f[1], actions: f[2], message: f[3] });
      } else if (f[0] === '#ts-rejected') {
        assert.equal(f.length, 4, `${file}:${line}: #ts-rejected<TAB>KEY<TAB>ACTIONS<TAB>MESSAGE`);
        tsRejected.push({ line, key: f[1], actions: f[2], message: f[3] });
      } else if (!text.startsWith('#') && text.trim() !== '') {
        assert.equal(f.length, 2, `${file}:${line}: KEY<TAB>ACTIONS`);
        flows.push({ line, kind: 'ovs', key: f[0], actions: f[1] });
      }
    });
  return { flows, rejected, tsRejected };
}

/**
 * Differences between `ovs-dpctl dump-flows` and `ts-dpctl dump-flows` that are artefacts of
 * the tool versions, keyed by a substring of the ovs-dpctl line, with the reason.
 */
const KNOWN_DIFFERENCES: ReadonlyMap<string, string> = new Map([
  [
    'in_port(909),',
    'OVS 3.1 reads the 6.1 kernel\'s OVS_ACTION_ATTR_DEC_TTL (23) as its own userspace-only ' +
      'OVS_ACTION_ATTR_TUNNEL_PUSH and prints a tnl_push(...) from struct ovs_action_push_tnl; this ' +
      'dec_ttl is the last action and shorter than that struct, so OVS prints heap bytes from past ' +
      'the end of the action list (ts-dpctl prints zeros there). For in_port(908) the bytes it reads ' +
      'are the following actions, and ts-dpctl reproduces OVS\'s line exactly.',
  ],
]);

/** A dump line without its statistics (`packets:…, bytes:…, used:…[, flags:…]`). */
function normaliseDumpLine(l: string): string {
  return l.replace(/, packets:\d+, bytes:\d+, used:[^,]+(, flags:[^,]+)?, actions:/, ', actions:');
}

function dumpLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(normaliseDumpLine)
    .sort();
}

/** The odp port in a key text or dump line (`in_port(N)`), or -1 when it has none. */
function inPortOf(text: string): number {
  const m = /(?:^|[,)])in_port\((\d+)/.exec(text);
  return m ? Number(m[1]) : -1;
}

/** Compares two sorted dumps; returns the differences not explained by KNOWN_DIFFERENCES. */
function compareDumps(ovs: string[], ours: string[], used: Set<string>): string[] {
  const onlyOvs = ovs.filter((l) => !ours.includes(l));
  const onlyOurs = ours.filter((l) => !ovs.includes(l));
  const unexplained: string[] = [];
  for (const l of onlyOvs) {
    const k = [...KNOWN_DIFFERENCES.keys()].find((s) => l.includes(s));
    if (k) used.add(k);
    else unexplained.push(`ovs-dpctl only: ${l}`);
  }
  for (const l of onlyOurs) {
    const port = inPortOf(l);
    const k = [...KNOWN_DIFFERENCES.keys()].find((s) => l.includes(s) || (port >= 0 && s === `in_port(${port}),`));
    if (k) used.add(k);
    else unexplained.push(`ts-dpctl only:  ${l}`);
  }
  return unexplained;
}

/**
 * `#rejected` lines that ts-dpctl treats differently from ovs-dpctl on purpose, by in_port, with
 * the reason (both refuse them, or the kernel's result is the same, but the messages differ).
 */
const KNOWN_REJECTION_DIFFERENCES: ReadonlyMap<number, string> = new Map([
  [165, 'gtpu(): ts-dpctl refuses it while parsing (src/genl/odp-key-text.ts: OVS-userspace tunnel metadata whose attribute number is the kernel\'s IPV4_INFO_BRIDGE); ovs-dpctl sends it and prints the kernel\'s EINVAL'],
  [192, '"drop": ts-dpctl installs an empty action list, the kernel\'s drop (src/genl/odp-actions-text.ts); ovs-dpctl 3.1 sends its userspace-only OVS_ACTION_ATTR_DROP and gets EINVAL'],
  [340, 'lb_output(): ts-dpctl refuses this userspace-datapath action while parsing (src/genl/odp-actions-text.ts); ovs-dpctl sends it and gets EINVAL'],
  [341, 'tnl_pop(): ts-dpctl refuses this userspace-datapath action while parsing (src/genl/odp-actions-text.ts); ovs-dpctl sends it and gets EINVAL'],
]);

/** A tool under test: the real ovs-dpctl, or ours run under the name `ovs-dpctl`. */
interface Tool {
  name: string;
  exec(args: readonly string[], opts?: { timeoutMs?: number }): Promise<ShResult>;
}

const OVS: Tool = {
  name: 'ovs-dpctl',
  exec: (args, opts = {}) => sh(['ovs-dpctl', ...args], { timeoutMs: opts.timeoutMs ?? scaled(120_000) }),
};

/** Entry of the golden file: one flow as the kernel returned it. */
interface GoldenFlow {
  /** 1-based line in odp-flows.txt. */
  line: number;
  kind: 'ovs' | 'ts-only';
  /** The corpus line's key and actions text. */
  key: string;
  actions: string;
  /** OVS_FLOW_ATTR_KEY, OVS_FLOW_ATTR_MASK, OVS_FLOW_ATTR_ACTIONS payloads, hex. */
  keyHex: string;
  maskHex: string;
  actionsHex: string;
  /** OVS_FLOW_ATTR_UFID payload, hex, when the flow has one. */
  ufidHex?: string;
  /** The line the real `ovs-dpctl dump-flows` printed for this flow (no traffic: counters 0). */
  dpctl: string;
}

/** The golden file. */
interface GoldenFile {
  comment: string;
  kernel: string;
  ovsDpctl: string;
  flows: GoldenFlow[];
}

/** The flow bodies of a full OVS_FLOW_CMD_GET dump of `dpName`, keyed by odp in_port (-1: none). */
async function rawDumpByPort(dpName: string): Promise<Map<number, Buffer>> {
  const dpif = await DpifNetlink.open();
  try {
    const dpIfindex = (await dpif.getDatapath(dpName)).dpIfindex;
    const bodies = await dpif.sock.dump(dpif.families.flow, OVS_FLOW_CMD_GET, OVS_FLOW_VERSION, encodeFlowMessage({ dpIfindex }), `OVS_FLOW_CMD_GET dump of ${dpName}`);
    const byPort = new Map<number, Buffer>();
    for (const b of bodies) {
      const key = attrMap(b.subarray(OVS_HEADER_SIZE)).get(OVS_FLOW_ATTR_KEY) ?? Buffer.alloc(0);
      const inPort = attrMap(key).get(OVS_KEY_ATTR_IN_PORT);
      const port = inPort ? inPort.readUInt32LE(0) : -1;
      assert.ok(!byPort.has(port), `two kernel flows with in_port ${port}`);
      byPort.set(port, Buffer.from(b));
    }
    return byPort;
  } finally {
    dpif.close();
  }
}

/** Golden entries for `flows` from the kernel's replies and ovs-dpctl's lines of one datapath. */
function goldenEntries(flows: CorpusFlow[], raw: Map<number, Buffer>, dpctlLines: string[]): GoldenFlow[] {
  const textByPort = new Map(dpctlLines.map((l) => [inPortOf(l), l]));
  return flows.flatMap((f) => {
    const port = inPortOf(f.key);
    const body = raw.get(port);
    const text = textByPort.get(port);
    // A flow that is missing here fails the test that installed it, and (c) by count.
    if (!body || !text) return [];
    const a = attrMap(body.subarray(OVS_HEADER_SIZE));
    const hex = (t: number): string => (a.get(t) ?? Buffer.alloc(0)).toString('hex');
    const e: GoldenFlow = {
      line: f.line,
      kind: f.kind,
      key: f.key,
      actions: f.actions,
      keyHex: hex(OVS_FLOW_ATTR_KEY),
      maskHex: hex(OVS_FLOW_ATTR_MASK),
      actionsHex: hex(OVS_FLOW_ATTR_ACTIONS),
      dpctl: text,
    };
    if (a.has(OVS_FLOW_ATTR_UFID)) e.ufidHex = hex(OVS_FLOW_ATTR_UFID);
    return [e];
  });
}

async function freshDatapath(tool: Tool): Promise<void> {
  await OVS.exec(['del-dp', DP]);
  const r = await tool.exec(['add-dp', DP, 'tsvc1,type=internal', 'tsvc2,type=internal', 'tsvc3,type=internal']);
  assert.equal(r.code, 0, `${tool.name} add-dp: ${r.stderr}`);
}

/** Standard error without the timestamp and sequence number of vlog lines (they differ per run). */
function errorLines(stderr: string): string {
  return stderr.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+\|/gm, '').trimEnd();
}

/** Standard error less vlog INFO lines (`dpif_netlink|INFO|Datapath dispatch mode: …`). */
function problems(stderr: string): string {
  return errorLines(stderr)
    .split('\n')
    .filter((l) => l && !/^[a-z_]+\|INFO\|/.test(l))
    .join('\n');
}

describe('ODP flow corpus: real ovs-dpctl and ts-dpctl on openvswitch.ko', { timeout: scaled(1_800_000) }, () => {
  const { flows, rejected, tsRejected } = readCorpus();
  const ovsFlows = flows.filter((f) => f.kind === 'ovs');
  const tsOnly = flows.filter((f) => f.kind === 'ts-only');
  const usedDifferences = new Set<string>();
  const usedRejectionDifferences = new Set<number>();
  let tmp: string;
  let ours: Tool;
  let dumpA: string[] = [];
  const golden: GoldenFlow[] = [];

  before(async () => {
    assert.ok(fs.existsSync(TS_DPCTL), `${TS_DPCTL} is missing`);
    tmp = makeTempDir('tsv-corpus-');
    // Invoked as `ovs-dpctl`, ts-dpctl prints that program name, so messages compare byte for byte.
    const bindir = path.join(tmp, 'bin');
    fs.mkdirSync(bindir);
    fs.symlinkSync(TS_DPCTL, path.join(bindir, 'ovs-dpctl'));
    ours = {
      name: 'ts-dpctl',
      exec: (args, opts = {}) => sh([process.execPath, path.join(bindir, 'ovs-dpctl'), ...args], { timeoutMs: opts.timeoutMs ?? scaled(120_000) }),
    };
  });

  after(async () => {
    await OVS.exec(['del-dp', DP]);
    if (tmp) removeDir(tmp);
  });

  test('the corpus covers at least 200 flows, each with its own in_port (no two flows overlap)', () => {
    assert.ok(ovsFlows.length >= 200, `${ovsFlows.length} flows`);
    const ports = flows.map((f) => inPortOf(f.key));
    assert.equal(new Set(ports).size, ports.length, 'in_port values repeat');
  });

  test('(a) flows added by ovs-dpctl add-flows: ts-dpctl dump-flows prints what ovs-dpctl dump-flows prints', async () => {
    await freshDatapath(OVS);
    const add = await OVS.exec(['add-flows', DP, CORPUS], { timeoutMs: scaled(300_000) });
    assert.equal(add.code, 0, add.stderr);
    assert.equal(problems(add.stderr), '', 'ovs-dpctl refused corpus lines');
    const ovsOut = await OVS.exec(['dump-flows', DP]);
    const oursOut = await ours.exec(['dump-flows', DP]);
    assert.equal(ovsOut.code, 0, ovsOut.stderr);
    dumpA = dumpLines(ovsOut.stdout);
    assert.equal(dumpA.length, ovsFlows.length, 'ovs-dpctl dumps one line per corpus flow');
    const oursA = dumpLines(oursOut.stdout);
    const diff = compareDumps(dumpA, oursA, usedDifferences);
    console.log(`# (a) ${dumpA.length} flows: ${dumpA.length - diff.length} lines identical, ${diff.length} unexplained differences`);
    assert.deepEqual(
      { exit: oursOut.code, stderr: problems(oursOut.stderr), unexplained: diff },
      { exit: 0, stderr: problems(ovsOut.stderr), unexplained: [] },
    );
    golden.push(...goldenEntries(ovsFlows, await rawDumpByPort(DP), ovsOut.stdout.split('\n').filter((l) => l)));
  });

  test('(b) flows added by ts-dpctl add-flows: both tools dump them alike, and as ovs-dpctl installed them', async () => {
    await freshDatapath(ours);
    const file = path.join(tmp, 'flows.txt');
    fs.writeFileSync(file, flows.map((f) => `${f.key}\t${f.actions}\n`).join(''));
    const add = await ours.exec(['add-flows', DP, file], { timeoutMs: scaled(300_000) });
    const ovsOut = await OVS.exec(['dump-flows', DP]);
    const oursOut = await ours.exec(['dump-flows', DP]);
    assert.equal(ovsOut.code, 0, ovsOut.stderr);
    const ovsB = dumpLines(ovsOut.stdout);
    const oursB = dumpLines(oursOut.stdout);
    const diff = compareDumps(ovsB, oursB, usedDifferences);
    console.log(`# (b) ${ovsB.length} of ${flows.length} flows installed: ${ovsB.length - diff.length} lines identical, ${diff.length} unexplained differences`);
    const tsOnlyPorts = new Set(tsOnly.map((f) => inPortOf(f.key)));
    const asA = ovsB.filter((l) => !tsOnlyPorts.has(inPortOf(l)));
    golden.push(...goldenEntries(tsOnly, await rawDumpByPort(DP), ovsOut.stdout.split('\n').filter((l) => l)));
    assert.deepEqual(
      {
        addFlows: { exit: add.code, stderr: problems(add.stderr) },
        dumpFlows: { exit: oursOut.code, stderr: problems(oursOut.stderr), unexplained: diff },
        notAsOvsDpctlInstalledThem: { missing: dumpA.filter((l) => !asA.includes(l)), extra: asA.filter((l) => !dumpA.includes(l)) },
      },
      {
        addFlows: { exit: 0, stderr: '' },
        dumpFlows: { exit: 0, stderr: problems(ovsOut.stderr), unexplained: [] },
        notAsOvsDpctlInstalledThem: { missing: [], extra: [] },
      },
    );
    assert.equal(ovsB.length, flows.length, 'one flow per corpus line, #ts-only ones included');
  });


  test('(c) the kernel replies for the corpus are test/unit/golden/corpus-flows.json', async () => {
    golden.sort((x, y) => x.line - y.line);
    const captured: GoldenFile = {
      comment:
        'OVS_FLOW_CMD_GET replies of openvswitch.ko for test/kernel/corpus/odp-flows.txt (payloads in hex) and the line the real ovs-dpctl dump-flows printed for each; written by test/kernel/odp-corpus.test.ts with TSV_UPDATE_GOLDEN=1',
      kernel: (await run(['uname', '-r'])).trim(),
      ovsDpctl: (await run(['ovs-dpctl', '--version'])).split('\n')[0].trim(),
      flows: golden,
    };
    if (process.env.TSV_UPDATE_GOLDEN === '1') {
      const text = `${JSON.stringify(captured, null, 1)}\n`;
      fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
      fs.writeFileSync(GOLDEN, text);
      console.log(`# wrote ${GOLDEN} (${golden.length} flows)`);
      if (process.env.KERNEL_HARNESS === 'vm' && process.env.OVSVM_OUT) {
        // The guest's writes to the repository land in a throw-away overlay: hand a copy out.
        const out = path.join(process.env.OVSVM_OUT, path.basename(GOLDEN));
        fs.writeFileSync(out, text);
        console.log(`# guest run: copy ${out} to ${GOLDEN} on the host`);
      }
    }
    assert.deepEqual(
      flows.filter((f) => !golden.some((g) => g.line === f.line)).map((f) => `line ${f.line}`),
      [],
      'every corpus flow captured in (a) and (b)',
    );
    const committed = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as GoldenFile;
    assert.equal(committed.kernel, captured.kernel, 'golden file from another kernel: rerun with TSV_UPDATE_GOLDEN=1');
    // The line OVS 3.1 prints for a KNOWN_DIFFERENCES flow contains bytes it reads out of bounds.
    const stable = (e: GoldenFlow | undefined): GoldenFlow | undefined =>
      e && [...KNOWN_DIFFERENCES.keys()].some((k) => e.dpctl.includes(k)) ? { ...e, dpctl: e.dpctl.replace(/,type=.*$/, '') } : e;
    const byLine = new Map(committed.flows.map((e) => [e.line, e]));
    for (const e of captured.flows) assert.deepEqual(stable(byLine.get(e.line)), stable(e), `line ${e.line}`);
    assert.equal(committed.flows.length, captured.flows.length);
  });

  test('#rejected lines: ovs-dpctl still refuses each with the recorded message, and ts-dpctl prints the same', async () => {
    await freshDatapath(OVS);
    // One process per line: each tool rate-limits its dpif WARN lines (5 per burst), so only
    // per-line runs print one for every line.
    const unexplained: string[] = [];
    const stale: string[] = [];
    for (const r of rejected) {
      const o = await OVS.exec(['add-flow', DP, r.key, r.actions]);
      const t = await ours.exec(['add-flow', DP, r.key, r.actions]);
      const oErr = errorLines(o.stderr);
      if (o.code === 0 || oErr.split('\n').pop() !== r.message) stale.push(`line ${r.line}: ovs-dpctl exit ${o.code}: ${oErr}`);
      if (t.code === o.code && errorLines(t.stderr) === oErr) continue;
      if (KNOWN_REJECTION_DIFFERENCES.has(inPortOf(r.key))) usedRejectionDifferences.add(inPortOf(r.key));
      else unexplained.push(`line ${r.line}: ovs-dpctl exit ${o.code}: ${oErr}\n  ts-dpctl exit ${t.code}: ${errorLines(t.stderr)}`);
    }
    const installed = dumpLines((await OVS.exec(['dump-flows', DP])).stdout).filter((l) => !KNOWN_REJECTION_DIFFERENCES.has(inPortOf(l)));
    assert.deepEqual({ stale, unexplained, installed }, { stale: [], unexplained: [], installed: [] });
  });

  test('#ts-rejected lines: the kernel still refuses what ts-dpctl builds for them', async () => {
    await freshDatapath(OVS);
    const file = path.join(tmp, 'ts-rejected.txt');
    fs.writeFileSync(file, tsRejected.map((r) => `${r.key}\t${r.actions}\n`).join(''));
    const t = await ours.exec(['add-flows', DP, file]);
    const messages = errorLines(t.stderr).split('\n').filter((l) => l.startsWith('ovs-dpctl: '));
    assert.deepEqual(messages, tsRejected.map((r) => r.message));
  });

  test('#ts-only lines: ovs-dpctl 3.1 cannot parse them', async () => {
    await freshDatapath(OVS);
    const file = path.join(tmp, 'ts-only.txt');
    fs.writeFileSync(file, tsOnly.map((f) => `${f.key}\t${f.actions}\n`).join(''));
    const o = await OVS.exec(['add-flows', DP, file]);
    const messages = errorLines(o.stderr).split('\n').filter((l) => l.startsWith('ovs-dpctl: '));
    assert.equal(messages.length, tsOnly.length, errorLines(o.stderr));
    for (const m of messages) assert.match(m, /^ovs-dpctl: parsing (flow key \(syntax error at .*\)|actions) \(Invalid argument\)$/);
    assert.deepEqual(dumpLines((await OVS.exec(['dump-flows', DP])).stdout), []);
  });

  test('every known difference still occurs', () => {
    assert.deepEqual(
      [...[...KNOWN_DIFFERENCES.keys()].filter((k) => !usedDifferences.has(k)), ...[...KNOWN_REJECTION_DIFFERENCES.keys()].filter((p) => !usedRejectionDifferences.has(p)).map((p) => `in_port(${p})`)],
      [],
    );
  });
});
