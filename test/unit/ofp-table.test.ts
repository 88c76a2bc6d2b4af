import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError } from '../../src/openflow/ofp-errors';
import { decodeMsg, encodeMsg } from '../../src/openflow/ofp-msgs';
import type { OfpMsg } from '../../src/openflow/ofp-msgs';
import { encodeProp } from '../../src/openflow/ofp-flow';
import {
  ALL_OFPACT_FEATURES, EVICTION_FLAGS_NONE, OFPTMPEF14_IMPORTANCE,
  decodeTableDescReply, decodeTableFeatures, decodeTableMod, decodeTableStatsReply, decodeTableStatus,
  defaultTableFeatures, encodeTableDescReply, encodeTableFeaturesEntry, encodeTableFeaturesReply,
  encodeTableFeaturesRequest, encodeTableMod, encodeTableStatsReply, encodeTableStatus, ofpactBitmapFromOpenflow,
  ofpactBitmapToOpenflow, oxmMatchableFields,
} from '../../src/openflow/ofp-table';
import type { TableFeatures, TableMod, TableStatus } from '../../src/openflow/ofp-table';

interface Msg { dir: string; hex: string }
interface Digest {
  name: string; request: string; replies: { length: number; sha256: string }[];
  counters?: { tableId: number; activeCount: number; lookupCount: string; matchedCount: string }[];
  nTables?: number; table0?: string;
}
const golden = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/ofp-table.json'), 'utf8')) as {
  cases: { name: string; msgs: Msg[] }[]; digests: Digest[]; setName15: Msg[];
  tableStatus: { version: number; args: TableStatus; hex: string; print: string }[];
};

const msgOf = (hex: string): OfpMsg => decodeMsg(Buffer.from(hex, 'hex'));
const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');
const caseMsgs = (name: string): OfpMsg[] => golden.cases.find((c) => c.name === name)!.msgs.map((m) => msgOf(m.hex));
const tableModOf = (name: string): OfpMsg => caseMsgs(name).find((m) => m.type === 'TABLE_MOD')!;

function throwsOfp(fn: () => unknown, err: string): void {
  assert.throws(fn, (e: unknown) => e instanceof OfpError && e.err === err);
}

/** The features OVS advertises for table `i` of a 254-table bridge (next tables i+1..253). */
const ovsFeatures = (i: number): TableFeatures =>
  defaultTableFeatures(i, Array.from({ length: 253 - i }, (_, j) => i + 1 + j));

test('table_mods ovs-ofctl mod-table sends re-encode to the same bytes', () => {
  const names = golden.cases.filter((c) => c.name.startsWith('tm-') && c.name !== 'tm-desc-after-14').map((c) => c.name);
  assert.equal(names.length, 7);
  for (const name of names) {
    const msg = tableModOf(name);
    assert.deepEqual(encodeTableMod(decodeTableMod(msg), msg.version, msg.xid), msg.data, name);
  }
});

test('table_mod: miss config in 1.1/1.2, eviction and vacancy with properties in 1.4+', () => {
  assert.equal(decodeTableMod(tableModOf('tm-drop-11')).miss, 'drop');
  assert.deepEqual(decodeTableMod(tableModOf('tm-continue-12')), {
    tableId: 1, miss: 'continue', eviction: 'default', evictionFlags: EVICTION_FLAGS_NONE, vacancy: 'default',
    tableVacancy: { vacancyDown: 0, vacancyUp: 0, vacancy: 0 },
  });
  assert.equal(decodeTableMod(tableModOf('tm-controller-12')).tableId, 255);
  const evict = decodeTableMod(tableModOf('tm-evict-14'));
  assert.deepEqual([evict.eviction, evict.vacancy], ['on', 'off']);
  const vac = decodeTableMod(tableModOf('tm-vacancy-14'));
  assert.equal(vac.vacancy, 'on');
  assert.equal(vac.evictionFlags, 7);
  assert.deepEqual(vac.tableVacancy, { vacancyDown: 20, vacancyUp: 80, vacancy: 0 });
  assert.equal(decodeTableMod(tableModOf('tm-noevict-15')).eviction, 'off');
});

test('table_mod vacancy property errors are OFPBPC_BAD_VALUE / OFPBPC_BAD_LEN, unknown properties OFPBRC_BAD_TYPE', () => {
  const base: TableMod = decodeTableMod(tableModOf('tm-vacancy-14'));
  const withProps = (props: Buffer[]): OfpMsg => {
    const head = decodeMsg(encodeTableMod({ ...base, evictionFlags: EVICTION_FLAGS_NONE, vacancy: 'off' }, 5, 1)).body;
    return decodeMsg(encodeMsg('OFPT14_TABLE_MOD', 5, 1, Buffer.concat([head, ...props])));
  };
  const vacancy = (down: number, up: number, cur: number) => encodeProp(3, Buffer.from([down, up, cur, 0]));
  throwsOfp(() => decodeTableMod(withProps([vacancy(90, 10, 0)])), 'OFPBPC_BAD_VALUE');
  throwsOfp(() => decodeTableMod(withProps([vacancy(10, 101, 0)])), 'OFPBPC_BAD_VALUE');
  throwsOfp(() => decodeTableMod(withProps([vacancy(10, 20, 5)])), 'OFPBPC_BAD_VALUE');
  throwsOfp(() => decodeTableMod(withProps([encodeProp(3, Buffer.from([1, 2]))])), 'OFPBPC_BAD_LEN');
  throwsOfp(() => decodeTableMod(withProps([encodeProp(9, Buffer.alloc(4))])), 'OFPBRC_BAD_TYPE');
  assert.deepEqual(decodeTableMod(withProps([vacancy(10, 20, 0)])).tableVacancy, { vacancyDown: 10, vacancyUp: 20, vacancy: 0 });
  throwsOfp(() => encodeTableMod(base, 1, 1), 'OFPBRC_BAD_VERSION');
});

test('table description replies re-encode to the same bytes', () => {
  for (const name of ['dump-table-desc-14', 'dump-table-desc-15', 'tm-desc-after-14']) {
    const [req, reply] = caseMsgs(name);
    const descs = decodeTableDescReply(reply);
    assert.equal(descs.length, 254, name);
    assert.deepEqual(descs[0], {
      tableId: 0, eviction: 'off', evictionFlags: 7, vacancy: 'off', tableVacancy: { vacancyDown: 0, vacancyUp: 0, vacancy: 0 },
    });
    assert.deepEqual(encodeTableDescReply(req, descs), [reply.data], name);
  }
});

test('table status is what ovs-ofctl ofp-print prints, and decodes back', () => {
  assert.equal(golden.tableStatus.length, 2);
  for (const p of golden.tableStatus) {
    const bytes = encodeTableStatus(p.args, p.version);
    assert.equal(bytes.toString('hex'), p.hex, p.print);
    assert.deepEqual(decodeTableStatus(decodeMsg(bytes)), p.args);
  }
  assert.equal(golden.tableStatus[0].args.desc.evictionFlags, OFPTMPEF14_IMPORTANCE);
  assert.match(golden.tableStatus[0].print, /vacancy_down=10% vacancy_up=90% vacancy=55%/);
  const bad = Buffer.from(golden.tableStatus[0].hex, 'hex');
  bad[8] = 7;
  throwsOfp(() => decodeTableStatus(decodeMsg(bad)), 'OFPBPC_BAD_VALUE');
  throwsOfp(() => encodeTableStatus(golden.tableStatus[0].args, 4), 'OFPBRC_BAD_VERSION');
});

test('table stats replies of every version match the reference switch byte for byte', () => {
  const digests = golden.digests.filter((d) => d.name.startsWith('dump-tables-'));
  assert.equal(digests.length, 6);
  for (const d of digests) {
    const counters = new Map(d.counters!.map((c) => [c.tableId, c]));
    const tables = Array.from({ length: d.nTables! }, (_, i) => ({
      stats: {
        tableId: i, activeCount: counters.get(i)?.activeCount ?? 0,
        lookupCount: BigInt(counters.get(i)?.lookupCount ?? 0), matchedCount: BigInt(counters.get(i)?.matchedCount ?? 0),
      },
      features: ovsFeatures(i),
    }));
    const out = encodeTableStatsReply(msgOf(d.request), tables);
    assert.deepEqual(out.map((b) => ({ length: b.length, sha256: sha(b) })), d.replies, d.name);
    const back = decodeTableStatsReply(decodeMsg(out[0]));
    assert.deepEqual(back.slice(0, 3).map((t) => t.stats.activeCount), [4, 3, 2]);
  }
});

test('OpenFlow 1.0 table stats report the OpenFlow 1.0 fields as matchable', () => {
  const req = msgOf(golden.digests.find((d) => d.name === 'dump-tables-10')!.request);
  const out = encodeTableStatsReply(req, [{ stats: { tableId: 0, activeCount: 1, lookupCount: 2n, matchedCount: 3n }, features: ovsFeatures(0) }]);
  const [row] = decodeTableStatsReply(decodeMsg(out[0]));
  assert.deepEqual(row.stats, { tableId: 0, activeCount: 1, lookupCount: 2n, matchedCount: 3n });
  assert.deepEqual(row.features.match, ['in_port', 'eth_src', 'eth_dst', 'eth_type', 'vlan_vid', 'vlan_pcp', 'ip_src', 'ip_dst',
    'nw_proto', 'ip_dscp', 'tcp_src', 'tcp_dst']);
  assert.equal(row.features.maxEntries, 1000000);
});

test('the 2.4 MB table features reply (OpenFlow 1.3-1.5) matches the reference byte for byte, split alike', () => {
  for (const d of golden.digests.filter((x) => x.name.startsWith('dump-table-features-'))) {
    const out = encodeTableFeaturesReply(msgOf(d.request), Array.from({ length: 254 }, (_, i) => ovsFeatures(i)));
    assert.deepEqual(out.map((b) => ({ length: b.length, sha256: sha(b) })), d.replies, d.name);
  }
});

test('a table features entry decodes to fields, ofpacts, instructions and next tables', () => {
  const d = golden.digests.find((x) => x.name === 'dump-table-features-13')!;
  const req = msgOf(d.request);
  const reply = decodeMsg(encodeMsg('OFPST13_TABLE_FEATURES_REPLY', 4, req.xid, Buffer.from(d.table0!, 'hex')));
  for (const loose of [true, false]) {
    const [tf] = decodeTableFeatures(reply, loose);
    assert.equal(tf.tableId, 0);
    assert.equal(tf.maxEntries, 1000000);
    assert.equal(tf.metadataMatch, 0xffffffffffffffffn);
    assert.deepEqual(tf.nonmiss.next, Array.from({ length: 253 }, (_, i) => i + 1));
    assert.deepEqual(tf.nonmiss.instructions, ['meter', 'apply_actions', 'clear_actions', 'write_actions', 'write_metadata', 'goto_table']);
    assert.deepEqual(tf.nonmiss.apply.ofpacts, ['output', 'strip_vlan', 'set_mpls_ttl', 'dec_mpls_ttl', 'push_vlan',
      'push_mpls', 'pop_mpls', 'set_queue', 'group', 'mod_nw_ttl', 'dec_ttl', 'set_field']);
    assert.ok(tf.match.includes('tun_metadata63'));
    assert.ok(tf.mask.includes('ip_src') && !tf.mask.includes('ip_dscp'));
    assert.deepEqual(tf.wildcard, tf.match);
    assert.deepEqual(encodeTableFeaturesEntry(tf, 4), Buffer.from(d.table0!, 'hex'));
  }
  assert.deepEqual(ovsFeatures(0).match, oxmMatchableFields());
});

/** An OpenFlow 1.3 table features request whose one entry carries `props` verbatim. */
function featuresRequest(props: Buffer[], opts: { version?: number; tableId?: number; command?: number } = {}): OfpMsg {
  const version = opts.version ?? 4;
  const head = encodeTableFeaturesEntry({ ...ovsFeatures(opts.tableId ?? 3), anyProperties: false, command: opts.command ?? 0 }, version);
  const entry = Buffer.concat([head, ...props]);
  entry.writeUInt16BE(entry.length, 0);
  return decodeMsg(encodeMsg('OFPST13_TABLE_FEATURES_REQUEST', version, 1, entry));
}

/** The eight required properties of a minimal entry. */
const required = (): Buffer[] => [0, 2, 4, 6, 8, 10, 12, 14].map((t) => encodeProp(t, Buffer.alloc(0)));

test('table features requests are strict: unknown, duplicate or missing properties and bad tables are refused', () => {
  assert.equal(decodeTableFeatures(featuresRequest(required()), false)[0].tableId, 3);
  throwsOfp(() => decodeTableFeatures(featuresRequest([...required(), encodeProp(20, Buffer.alloc(0))]), false), 'OFPBPC_BAD_TYPE');
  assert.equal(decodeTableFeatures(featuresRequest([...required(), encodeProp(20, Buffer.alloc(0))]), true).length, 1);
  throwsOfp(() => decodeTableFeatures(featuresRequest([...required(), encodeProp(0, Buffer.alloc(0))]), false), 'OFPTFFC_BAD_FEATURES');
  throwsOfp(() => decodeTableFeatures(featuresRequest(required().slice(1)), false), 'OFPTFFC_BAD_FEATURES');
  // OpenFlow 1.3 needs the properties even when it sends none; 1.5 does not.
  throwsOfp(() => decodeTableFeatures(featuresRequest([]), false), 'OFPTFFC_BAD_FEATURES');
  assert.equal(decodeTableFeatures(featuresRequest([], { version: 6 }), false)[0].anyProperties, false);
  throwsOfp(() => decodeTableFeatures(featuresRequest(required(), { tableId: 255 }), false), 'OFPTFFC_BAD_TABLE');
  throwsOfp(() => decodeTableFeatures(featuresRequest([], { version: 6, command: 9 }), false), 'OFPTFFC_BAD_COMMAND');
  const nextAll = [...required().slice(0, 1), encodeProp(2, Buffer.from([255])), ...required().slice(2)];
  throwsOfp(() => decodeTableFeatures(featuresRequest(nextAll), false), 'OFPBPC_BAD_VALUE');
  const unknownField = [...required().slice(0, 4), encodeProp(8, Buffer.from('7fff0004', 'hex')), ...required().slice(5)];
  throwsOfp(() => decodeTableFeatures(featuresRequest(unknownField), false), 'OFPBMC_BAD_FIELD');
  assert.deepEqual(decodeTableFeatures(featuresRequest(unknownField), true)[0].match, []);
  const maskedWildcard = [...required().slice(0, 5), encodeProp(10, Buffer.from('8000070c', 'hex')), ...required().slice(6)];
  throwsOfp(() => decodeTableFeatures(featuresRequest(maskedWildcard), false), 'OFPBMC_BAD_MASK');
  const msg = featuresRequest(required());
  throwsOfp(() => decodeTableFeatures({ ...msg, body: msg.body.subarray(0, 60) }, false), 'OFPBPC_BAD_LEN');
});

test('miss features that are absent copy the regular ones; maskable fields count as matchable and wildcardable', () => {
  const props = required();
  props[0] = encodeProp(0, Buffer.from('00040004', 'hex')); // apply_actions
  props[4] = encodeProp(8, Buffer.from('8000070c', 'hex')); // eth_dst, masked
  const [tf] = decodeTableFeatures(featuresRequest(props), false);
  assert.deepEqual(tf.miss.instructions, ['apply_actions']);
  assert.deepEqual([tf.match, tf.mask, tf.wildcard], [['eth_dst'], ['eth_dst'], ['eth_dst']]);
});

test('the table name request "mod-table br0 3 name:bar" sends in OpenFlow 1.5 decodes strictly', () => {
  const [tf] = decodeTableFeatures(msgOf(golden.setName15[0].hex), false);
  assert.deepEqual([tf.tableId, tf.name, tf.command, tf.anyProperties], [3, 'bar', 1, false]);
  assert.deepEqual(encodeTableFeaturesRequest(6, 5, [tf]), msgOf(golden.setName15[0].hex).data);
  throwsOfp(() => encodeTableFeaturesRequest(3, 1), 'OFPBRC_BAD_VERSION');
});

test('ofpact bitmaps follow each version\'s OFPAT numbering', () => {
  assert.equal(ofpactBitmapToOpenflow(['output', 'enqueue', 'set_field'], 1), (1 << 0) | (1 << 11));
  assert.equal(ofpactBitmapToOpenflow(['output', 'enqueue', 'set_field'], 4), (1 << 0) | (1 << 25));
  assert.equal(ofpactBitmapToOpenflow(['mod_nw_ecn', 'strip_vlan'], 2), (1 << 8) | (1 << 18));
  assert.deepEqual(ofpactBitmapFromOpenflow(0xfff, 1), ['output', 'set_vlan_vid', 'set_vlan_pcp', 'strip_vlan', 'mod_dl_src',
    'mod_dl_dst', 'mod_nw_src', 'mod_nw_dst', 'mod_nw_tos', 'mod_tp_src', 'mod_tp_dst', 'enqueue']);
  assert.deepEqual(ofpactBitmapFromOpenflow(ofpactBitmapToOpenflow(ALL_OFPACT_FEATURES, 3), 3).length, 12);
});
