/**
 * Differential test of `ovs-ofctl` against the reference: the corpus test/kernel/corpus/ofctl.txt
 * (every ovs-ofctl command that talks to a switch, every match field and action, each under the
 * OpenFlow versions it applies to, and invalid inputs; format in lib/ofctl-corpus.ts) runs
 * against Debian's ovs-vswitchd 3.1 and then against ts-vswitchd, in the same guest and from the
 * same starting point, and each invocation's stdout, stderr and exit status must be identical.
 *
 * The switch, the same for both daemons: a private ovsdb-server in a fixed directory (so that
 * paths printed in messages agree), bridge br0 with ports p1 and p2 (ofport_request 1 and 2),
 * veth ends with fixed MAC addresses whose peers sit in network namespaces with IPv6 disabled
 * (nothing but the corpus's own packet-outs crosses them), and the internal port br0, left down.
 * The whole corpus runs as one bash script per daemon (see `buildScript`), one ovs-ofctl process
 * per invocation, each with ovs-ofctl's own poll-interval warnings turned off (they report the
 * machine's load). The corpus avoids outputs whose order OVS draws at random (see its header),
 * so two runs of the reference agree.
 *
 * Normalised in both outputs before comparing, and nothing else (`normaliseOutput`):
 * - durations: `duration=…s` of flows, ports, groups and queues, `duration:…s` of meters;
 * - flow ages: `idle_age=N`, and `hard_age=N, ` removed (printed only when it differs from the
 *   duration's whole seconds, so its presence depends on timing);
 * - the datapath id (`dpid:` + 16 hex digits), which derives from the internal port's MAC;
 * - the MAC address of the internal port (`LOCAL(br0): addr:…`), which the kernel makes up;
 * - the time stamp that starts ovs-ofctl's own log lines on stderr (its clock, not the switch's).
 *
 * The summary line `ofctl corpus: N/M identical` counts identical invocations. Invocations that
 * cannot match yet are listed in {@link KNOWN_DIFFERENCES} by id (`GROUP: LINE`, see
 * `Invocation.id`) with the reason; an entry that matches, or names no invocation, fails the
 * test, so the list only shrinks. The full side-by-side outputs of every difference go to
 * `$OVSVM_OUT/ofctl-corpus-differences.txt`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import {
  cleanupDatapath,
  collectLogs,
  netnsPair,
  type NetnsPair,
  REPO_ROOT,
  removeDir,
  requireKernel,
  scaled,
  sh,
  startOurVswitchd,
  startOvsdb,
  startReferenceVswitchd,
  type VswitchdHandle,
} from './lib/env';
import { buildScript, normaliseOutcome, type Outcome, parseCorpus, readOutcomes, slowestInvocations, writeCorpusFiles } from './lib/ofctl-corpus';

requireKernel();

/**
 * Invocations whose output cannot match the reference yet: invocation id → reason. Every entry
 * must still differ (else remove it) and name an invocation of the corpus.
 */
const TLV = 'tun_metadata0..63 are not in the field table yet (Geneve option matching, issue #6): flows naming them are refused with OFPBMC_BAD_FIELD where OVS accepts them or answers NXFMFC_INVALID_TLV_FIELD';
const KNOWN_DIFFERENCES: Record<string, string> = {
  "match-tlv: add-flow $BR 'priority=401,tun_metadata0=0x1234,actions=drop'": TLV,
  "match-tlv: -O OpenFlow13 add-flow $BR 'priority=402,tun_metadata1=0x5/0xff,tun_metadata2=0x1,actions=drop'": TLV,
  "match-tlv: add-flow $BR 'priority=403,tun_metadata5=1,actions=drop'": TLV,
  'match-tlv: --rsort dump-flows $BR': `${TLV} (so the table holds none of those flows)`,
  "match-tlv: del-tlv-map $BR '{class=0xffff,type=0,len=4}->tun_metadata0'": `${TLV}; OVS refuses to unmap an option a flow uses (NXTTMFC_INVALID_TLV_DEL), and no flow uses it here`,
  "actions-modify: -O OpenFlow15 add-flow $BR 'priority=17,actions=delete_field:tun_metadata0,output:1'": TLV,
};

type Which = 'reference' | 'ts-vswitchd';

const CORPUS = parseCorpus(fs.readFileSync(path.join(REPO_ROOT, 'test', 'kernel', 'corpus', 'ofctl.txt'), 'utf8'));
/** Fixed, so that file and socket paths printed by ovs-ofctl are the same in both runs. */
const ROOT = path.join(os.tmpdir(), 'tsv-ofctl');
/** The two switch ports: name, ofport, MAC of the bridge end, namespace, address. */
const PORTS = [
  { name: 'p1', ofport: 1, mac: '02:0f:00:00:00:01', ns: 'tsvof1', ip: '10.0.3.1' },
  { name: 'p2', ofport: 2, mac: '02:0f:00:00:00:02', ns: 'tsvof2', ip: '10.0.3.2' },
] as const;

/** Sets up the switch with one daemon, plays the corpus, and returns each invocation's outcome. */
async function playCorpus(which: Which): Promise<(Outcome | undefined)[]> {
  await cleanupDatapath();
  removeDir(ROOT);
  const fileDir = path.join(ROOT, 'files');
  const outDir = path.join(ROOT, 'out');
  fs.mkdirSync(fileDir, { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });
  const ovsdb = await startOvsdb(path.join(ROOT, 'ovs'));
  const pairs: NetnsPair[] = [];
  let daemon: VswitchdHandle | undefined;
  try {
    daemon = which === 'reference' ? await startReferenceVswitchd(ovsdb) : await startOurVswitchd(ovsdb);
    await ovsdb.vsctl(['add-br', 'br0']);
    // Flow_Table rows for the corpus's flow-table group.
    await ovsdb.vsctl([
      '--', '--id=@acl', 'create', 'Flow_Table', 'name=acl', 'flow_limit=3', 'overflow_policy=evict', 'groups="NXM_OF_IN_PORT[]"',
      '--', '--id=@small', 'create', 'Flow_Table', 'name=small', 'flow_limit=1',
      '--', 'set', 'Bridge', 'br0', 'flow_tables:200=@acl', 'flow_tables:201=@small',
    ]);
    for (const p of PORTS) {
      const pair = await netnsPair(p.ns, p.ip, { hostIf: p.name, nsIf: `${p.ns}p`, mac: `0a:0f:00:00:00:0${p.ofport}` });
      pairs.push(pair);
      await sh(['ip', 'link', 'set', p.name, 'address', p.mac], { check: true });
      await ovsdb.vsctl(['add-port', 'br0', p.name, '--', 'set', 'Interface', p.name, `ofport_request=${p.ofport}`]);
    }
    writeCorpusFiles(CORPUS, fileDir);
    const script = path.join(ROOT, 'corpus.sh');
    const timeoutS = Math.round(scaled(10_000) / 1000);
    fs.writeFileSync(script, buildScript(CORPUS, { bridge: 'br0', fileDir, outDir, timeoutS }));
    const started = Date.now();
    await sh(['bash', script], { env: ovsdb.env, timeoutMs: scaled(240_000) });
    console.log(`# ${which}: ${CORPUS.invocations.length} invocations in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const [n, sec] of slowestInvocations(outDir, CORPUS.invocations.length)) console.log(`#   ${sec.toFixed(2)} s: ${CORPUS.invocations[n].id}`);
    return readOutcomes(outDir, CORPUS.invocations.length);
  } finally {
    collectLogs(ovsdb.dir, `ofctl-${which}`);
    await daemon?.stop();
    for (const p of pairs) await p.cleanup();
    await cleanupDatapath();
    await ovsdb.destroy();
    removeDir(ROOT);
  }
}

function render(o: Outcome | undefined): string {
  if (!o) return '(did not complete)\n';
  return `exit ${o.code}\n--- stdout\n${o.stdout}--- stderr\n${o.stderr}`;
}

test('ovs-ofctl: every corpus invocation prints and exits as against Debian\'s ovs-vswitchd', { timeout: scaled(600_000) }, async () => {
  const ref = (await playCorpus('reference')).map((o) => o && normaliseOutcome(o));
  const ours = (await playCorpus('ts-vswitchd')).map((o) => o && normaliseOutcome(o));

  const ids = new Set(CORPUS.invocations.map((inv) => inv.id));
  const failures: string[] = [];
  const report: string[] = [];
  let identical = 0;
  for (const [i, inv] of CORPUS.invocations.entries()) {
    const [r, o] = [ref[i], ours[i]];
    assert.ok(r, `the reference did not complete "${inv.id}" (line ${inv.line})`);
    const same = o !== undefined && r.stdout === o.stdout && r.stderr === o.stderr && r.code === o.code;
    if (same) identical++;
    else report.push(`### ${inv.id} (line ${inv.line})\n=== reference\n${render(r)}=== ts-vswitchd\n${render(o)}`);
    const known = KNOWN_DIFFERENCES[inv.id];
    if (known !== undefined && same) failures.push(`${inv.id}: listed as a known difference (${known}) but matches now; remove it`);
    if (known === undefined && !same) failures.push(`${inv.id} (line ${inv.line}) differs`);
  }
  for (const id of Object.keys(KNOWN_DIFFERENCES)) {
    if (!ids.has(id)) failures.push(`${id}: listed as a known difference but no corpus invocation has this id`);
  }

  console.log(`# ofctl corpus: ${identical}/${CORPUS.invocations.length} identical`);
  const out = process.env.OVSVM_OUT;
  if (out) fs.writeFileSync(path.join(out, 'ofctl-corpus-differences.txt'), report.join('\n'));
  for (const r of report.slice(0, 20)) console.log(`# ${r.replace(/\n/g, '\n# ')}`);
  if (report.length > 20) console.log(`# … ${report.length - 20} more differences${out ? ` in ${out}/ofctl-corpus-differences.txt` : ''}`);
  assert.deepEqual(failures, []);
});
