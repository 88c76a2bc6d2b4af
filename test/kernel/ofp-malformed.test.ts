/**
 * Differential test of malformed OpenFlow messages against the reference (issue #4): the corpus
 * of lib/ofp-probe.ts (≈2000 cases for OpenFlow 1.0–1.5: truncated messages of every major type,
 * bad inner lengths, unknown types/experimenters/fields/actions, unsatisfied prerequisites, bad
 * ports/tables/groups/meters, bad header versions, messages near 64 KiB, bundle and multipart
 * sequences) is played by a raw client on `<rundir>/br0.mgmt`, one fresh connection per case,
 * against Debian's ovs-vswitchd 3.1 and then against ts-vswitchd, in the same guest and from the
 * same starting point. Per case, both switches must send the same messages, byte for byte, before
 * answering the marker ECHO_REQUEST that follows the case, and must leave the connection in the
 * same state (`up`: the echo was answered; `closed`: the switch dropped the connection, as OVS
 * does for an `ofp_header.length` below 8). An OFPT_ERROR carries the request's xid and up to 64
 * bytes of it, so equal bytes mean the same error type/code for the same message.
 *
 * The switch, the same for both daemons: a private ovsdb-server in a fixed directory, bridge br0
 * with `other-config:datapath-id=0000aabbccddeeff` (so the datapath id in replies agrees), ports
 * p1 and p2 (ofport_request 1 and 2) on veth ends with fixed MAC addresses whose peers sit in
 * network namespaces with IPv6 disabled, and the internal port br0, left down. The kernel
 * datapath is deleted before and after each daemon.
 *
 * The one field that must differ, zeroed in both replies before comparing (`normaliseReply`):
 * the MAC address of the internal port br0 (LOCAL), which the kernel makes up when the port is
 * created, wherever it appears (port descriptions).
 *
 * The summary line `malformed corpus: N/M identical` counts identical cases. Cases that cannot
 * match yet are listed in {@link KNOWN_DIFFERENCES} by id with what each switch answers; an entry
 * that matches, or names no case, fails the test, so the list only shrinks. Every difference, in
 * full hex side by side, goes to `$OVSVM_OUT/ofp-malformed-differences.txt`.
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
import { buildMalformedCorpus, describeReply, type MalformedCase, normaliseReply, probeCorpus, type ProbeResult } from './lib/ofp-probe';

requireKernel();

const TABLE_FEATURES = 'table-features request with a malformed table entry: OVS parses it and answers OFPBPC_BAD_LEN, we refuse every non-empty request with OFPTFFC_EPERM';
const TABLE_FEATURES_SET = 'table-features request setting table 0 without properties: OVS answers NXBRC_UNENCODABLE_ERROR, we answer OFPTFFC_EPERM';
const MP_SPLIT = 'port stats with OFPMPF_REQ_MORE, then a desc request with the same xid: OVS answers OFPBRC_BAD_STAT (type changed mid-request) and drops both, we answer each as a separate request (port stats and desc replies)';
const MONITOR_ERROR = 'OVS builds flow-monitor errors from the request body, not its header (handle_flow_monitor_request calls ofconn_send_error(ofconn, b->data, …) after the header was pulled): version 1, xid 0, no request data (or NXBRC_UNENCODABLE_ERROR); we send the error with the request\'s version, xid and first 64 bytes';
const MONITOR_COMMAND = 'flow monitor request with command 7: OVS does not check the command and sends an empty reply, we answer OFPMOFC_BAD_COMMAND';
const EVICTION_FLAGS = 'table_mod eviction property with undefined flags 0xff: OVS accepts it, we answer OFPTMFC_BAD_CONFIG';
const BUNDLE_FLAGS = 'bundle control replies: OVS always sends flags 0 (reply.flags = 0 in handle_bundle_control), we echo the request\'s flags';
const BUNDLE_TYPE = 'bundle control of undefined type 9: OVS has no default case and sends a reply with an uninitialised type (0 observed), we answer OFPBFC_BAD_TYPE';
const BUNDLE_REMOVE = `a failed open or close removes the bundle in OVS (ofp_bundle_open/ofp_bundle_close call ofp_bundle_remove__), so its discard answers OFPBFC_BAD_ID; we keep the bundle and discard it; also: ${BUNDLE_FLAGS}`;
const BUNDLE_COMMIT = `a failed commit: OVS's error for the failing message carries the BUNDLE_ADD that added it (its xid and first 64 bytes), ours the inner flow_mod; also: ${BUNDLE_FLAGS}`;
const BUNDLE_PORT_MOD = 'port_mod of a missing port in a bundle: OVS checks it when it is added (OFPPMFC_BAD_PORT to the BUNDLE_ADD) and then answers OFPBFC_MSG_FAILED to the commit; we accept the add and answer OFPPMFC_BAD_PORT to the commit';
const RESUME = 'NXT_RESUME is answered OFPBRC_BAD_TYPE (not handled by our connection manager); OVS decodes it and answers OFPBRC_BAD_LEN / OFPBPC_BAD_TYPE / OFPBPC_BAD_LEN / NXR_STALE';
const PACKET_OUT_EMPTY = 'packet_out with no packet and no buffer: OVS answers nothing; we hand the kernel an empty packet, OVS_PACKET_CMD_EXECUTE fails with ERANGE, and we answer OFPBRC_EPERM';
const PACKET_OUT_PREREQ = 'packet_out of an ARP packet with set_field tcp_dst: OVS checks the actions against the packet\'s headers and answers OFPBAC_MATCH_INCONSISTENT, we accept it';
const WRITE_METADATA_OF10 = 'NXAST_WRITE_METADATA in an OpenFlow 1.0 flow_mod';

/**
 * Cases whose answers cannot match the reference yet: case id → what differs (OVS's answer vs
 * ours). Every entry must still differ (else remove it) and name a case of the corpus.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  ...Object.fromEntries(['of13', 'of14', 'of15'].flatMap((v) => [
    [`${v}/flow_mod/oxm-nxm-tun_metadata32`, 'NXM_NX field 72 is tun_metadata32: OVS answers NXFMFC_INVALID_TLV_FIELD (no Geneve option mapped), we answer OFPBMC_BAD_FIELD (tun_metadata0..63 are not in the field table yet, issue #6)'],
    [`${v}/flow_mod/set_field-unknown-field`, 'set_field of undefined OXM basic field 60: OVS answers OFPBAC_BAD_SET_LEN, we answer OFPBAC_BAD_SET_TYPE'],
    [`${v}/packet_out/no-data`, PACKET_OUT_EMPTY],
    [`${v}/packet_out/set_field-prereq`, PACKET_OUT_PREREQ],
    [`${v}/multipart/table-features-bad-len`, TABLE_FEATURES],
    [`${v}/multipart/table-features-short-entry`, TABLE_FEATURES],
    [`${v}/multipart/split-type-change`, MP_SPLIT],
    [`${v}/bundle_ctrl/unknown-type`, BUNDLE_TYPE],
    [`${v}/bundle_ctrl/bad-flags`, BUNDLE_FLAGS],
    [`${v}/bundle_ctrl/open-twice`, BUNDLE_REMOVE],
    [`${v}/bundle_ctrl/close-twice`, BUNDLE_REMOVE],
    [`${v}/bundle_ctrl/flags-mismatch`, BUNDLE_FLAGS],
    [`${v}/bundle_add/flags-mismatch`, BUNDLE_FLAGS],
    [`${v}/bundle_add/inner-bad-prereq`, BUNDLE_FLAGS],
    [`${v}/bundle_add/commit-fails`, BUNDLE_COMMIT],
    [`${v}/bundle_add/inner-port_mod`, BUNDLE_PORT_MOD],
    [`${v}/nx_flow_mod/table-id-in-command`, 'NXT_FLOW_MOD whose command has 0x05 in its high byte, NXT_FLOW_MOD_TABLE_ID off: OVS takes the low byte as the command and ignores the table id (adds the flow), we answer OFPFMFC_BAD_COMMAND'],
  ])),
  ...Object.fromEntries(['of10', 'of13', 'of14', 'of15'].flatMap((v) =>
    ['empty', 'no-packet', 'prop-len-past-end', 'unknown-prop', 'packet-only'].map((k) => [`${v}/nx_resume/${k}`, RESUME]),
  )),
  ...Object.fromEntries(['of14', 'of15'].flatMap((v) => [
    [`${v}/multipart/flow-monitor/cut-32`, `${MONITOR_ERROR}; OVS's is NXBRC_UNENCODABLE_ERROR, ours OFPBMC_BAD_LEN`],
    [`${v}/multipart/flow-monitor-bad-command`, MONITOR_COMMAND],
    [`${v}/multipart/flow-monitor-bad-flags`, MONITOR_ERROR],
    [`${v}/multipart/flow-monitor-bad-match`, MONITOR_ERROR],
    [`${v}/table_mod/prop-eviction-flags`, EVICTION_FLAGS],
  ])),
  'of13/multipart/table-features-set': TABLE_FEATURES_SET,
  'of14/multipart/table-features-set': TABLE_FEATURES_SET,
  'of10/nx_flow_monitor/bad': `truncated NXST_FLOW_MONITOR: ${MONITOR_ERROR}`,
  'of10/packet_out/no-data': PACKET_OUT_EMPTY,
  'of10/seed/actions/write-metadata-as-an-action': `${WRITE_METADATA_OF10}: OVS accepts the flow, we answer OFPBIC_UNSUP_INST`,
  'of10/seed/instructions/write-metadata-then-output': `${WRITE_METADATA_OF10}, followed by an action: OVS answers NXBRC_UNENCODABLE_ERROR (its OFPBAC_UNSUPPORTED_ORDER has no OpenFlow 1.0 code), we answer OFPBIC_UNSUP_INST`,
  'of10/seed/instructions/two-write-metadata': `two of ${WRITE_METADATA_OF10}: OVS answers NXBRC_UNENCODABLE_ERROR (OFPBAC_UNSUPPORTED_ORDER has no OpenFlow 1.0 code), we answer OFPBIC_UNSUP_INST`,
};

type Which = 'reference' | 'ts-vswitchd';

/** Fixed, so that both runs see the same paths. */
const ROOT = path.join(os.tmpdir(), 'tsv-malformed');
/** The two switch ports: name, ofport, MAC of the bridge end, namespace, address. */
const PORTS = [
  { name: 'p1', ofport: 1, mac: '02:0f:00:00:00:01', ns: 'tsvmf1', ip: '10.0.5.1' },
  { name: 'p2', ofport: 2, mac: '02:0f:00:00:00:02', ns: 'tsvmf2', ip: '10.0.5.2' },
] as const;
const DATAPATH_ID = '0000aabbccddeeff';

const CORPUS: MalformedCase[] = buildMalformedCorpus({ p1Mac: PORTS[0].mac }, path.join(REPO_ROOT, 'test', 'unit', 'golden'));

/** What one daemon answered: per-case results and the MAC of its LOCAL port. */
interface Played {
  results: ProbeResult[];
  localMac: string;
}

/** Sets up the switch with one daemon, plays the corpus, and returns what it answered. */
async function playCorpus(which: Which): Promise<Played> {
  await cleanupDatapath();
  removeDir(ROOT);
  const ovsdb = await startOvsdb(path.join(ROOT, 'ovs'));
  const pairs: NetnsPair[] = [];
  let daemon: VswitchdHandle | undefined;
  try {
    daemon = which === 'reference' ? await startReferenceVswitchd(ovsdb) : await startOurVswitchd(ovsdb);
    await ovsdb.vsctl(['add-br', 'br0', '--', 'set', 'Bridge', 'br0', `other-config:datapath-id=${DATAPATH_ID}`]);
    for (const p of PORTS) {
      const pair = await netnsPair(p.ns, p.ip, { hostIf: p.name, nsIf: `${p.ns}p`, mac: `0a:0f:00:00:00:0${p.ofport}` });
      pairs.push(pair);
      await sh(['ip', 'link', 'set', p.name, 'address', p.mac], { check: true });
      await ovsdb.vsctl(['add-port', 'br0', p.name, '--', 'set', 'Interface', p.name, `ofport_request=${p.ofport}`]);
    }
    const localMac = fs.readFileSync('/sys/class/net/br0/address', 'utf8').trim();
    const started = Date.now();
    const results = await probeCorpus(path.join(ovsdb.rundir, 'br0.mgmt'), CORPUS, { timeoutMs: scaled(10_000) });
    console.log(`# ${which}: ${CORPUS.length} cases in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { results, localMac };
  } finally {
    collectLogs(ovsdb.dir, `ofp-malformed-${which}`);
    await daemon?.stop();
    for (const p of pairs) await p.cleanup();
    await cleanupDatapath();
    await ovsdb.destroy();
    removeDir(ROOT);
  }
}

/** `hex` cut to its first 512 bytes (long echo payloads, actions and multipart replies). */
function clip(hex: string): string {
  return hex.length <= 1024 ? hex : `${hex.slice(0, 1024)}…(${hex.length / 2} bytes)`;
}

function render(r: ProbeResult): string {
  return `${r.outcome}\n${r.replies.map((h) => `  ${describeReply(h)}: ${clip(h)}\n`).join('')}`;
}

test('malformed OpenFlow messages: every corpus case is answered as by Debian\'s ovs-vswitchd', { timeout: scaled(600_000) }, async () => {
  const ref = await playCorpus('reference');
  const ours = await playCorpus('ts-vswitchd');

  const failures: string[] = [];
  const report: string[] = [];
  let identical = 0;
  for (const [i, c] of CORPUS.entries()) {
    const [r, o] = [ref.results[i], ours.results[i]];
    assert.notEqual(r.outcome, 'timeout', `the reference did not answer the marker echo after ${c.id}: a corpus bug`);
    const rn = r.replies.map((h) => normaliseReply(h, ref.localMac));
    const on = o.replies.map((h) => normaliseReply(h, ours.localMac));
    const same = r.outcome === o.outcome && rn.length === on.length && rn.every((h, k) => h === on[k]);
    if (same) identical++;
    else {
      report.push(`### ${c.id}: ${c.description}\nsent: ${c.msgs.map((m) => clip(m.toString('hex'))).join(' ')}\n=== reference: ${render(r)}=== ts-vswitchd: ${render(o)}`);
    }
    const known = KNOWN_DIFFERENCES[c.id];
    if (known !== undefined && same) failures.push(`${c.id}: listed as a known difference (${known}) but matches now; remove it`);
    if (known === undefined && !same) failures.push(`${c.id} differs`);
  }
  const ids = new Set(CORPUS.map((c) => c.id));
  for (const id of Object.keys(KNOWN_DIFFERENCES)) {
    if (!ids.has(id)) failures.push(`${id}: listed as a known difference but no corpus case has this id`);
  }

  console.log(`# malformed corpus: ${identical}/${CORPUS.length} identical`);
  const out = process.env.OVSVM_OUT;
  if (out) fs.writeFileSync(path.join(out, 'ofp-malformed-differences.txt'), report.join('\n'));
  for (const r of report.slice(0, 20)) console.log(`# ${r.replace(/\n/g, '\n# ')}`);
  if (report.length > 20) console.log(`# … ${report.length - 20} more differences${out ? ` in ${out}/ofp-malformed-differences.txt` : ''}`);
  assert.deepEqual(failures, []);
});
