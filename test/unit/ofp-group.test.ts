import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError } from '../../src/openflow/ofp-errors';
import { decodeMsg } from '../../src/openflow/ofp-msgs';
import type { OfpMsg } from '../../src/openflow/ofp-msgs';
import {
  OFPG15_BUCKET_ALL, OFPG15_BUCKET_FIRST, OFPG15_BUCKET_MAX,
  decodeGroupDescReply, decodeGroupDescRequest, decodeGroupFeaturesReply, decodeGroupMod, decodeGroupStatsReply,
  decodeGroupStatsRequest, emptyGroupProps, encodeGroupDescReply, encodeGroupDescRequest, encodeGroupFeaturesReply,
  encodeGroupFeaturesRequest, encodeGroupMod, encodeGroupStatsReply, encodeGroupStatsRequest,
} from '../../src/openflow/ofp-group';
import type { Bucket, GroupMod } from '../../src/openflow/ofp-group';

interface Case { name: string; cmd: string; msgs: { dir: string; hex: string }[] }
const golden = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/ofp-group.json'), 'utf8')) as { cases: Case[] };

const caseMsgs = (name: string): OfpMsg[] =>
  golden.cases.find((c) => c.name === name)!.msgs.map((m) => decodeMsg(Buffer.from(m.hex, 'hex')));
const groupModMsg = (name: string): OfpMsg => caseMsgs(name).find((m) => m.type === 'GROUP_MOD')!;
const groupMod = (name: string): GroupMod => decodeGroupMod(groupModMsg(name));

function throwsOfp(fn: () => unknown, err: string): void {
  assert.throws(fn, (e: unknown) => e instanceof OfpError && e.err === err);
}

/** Decoding `gm` as encoded for `version` must fail with `err`. */
const refuses = (gm: GroupMod, version: number, err: string): void =>
  throwsOfp(() => decodeGroupMod(decodeMsg(encodeGroupMod(gm, version, 1))), err);

const output = () => groupMod('gm-add-indirect-13').buckets[0].ofpacts;
const bucket = (b: Partial<Bucket> = {}): Bucket =>
  ({ weight: 0, watchPort: 0xffff, watchGroup: 0xffffffff, bucketId: OFPG15_BUCKET_MAX + 1, ofpacts: output(), ...b });
const mod = (g: Partial<GroupMod>): GroupMod => ({
  command: 'add', type: 'all', groupId: 5, commandBucketId: OFPG15_BUCKET_ALL, buckets: [bucket()], props: emptyGroupProps(), ...g,
});

test('every group_mod ovs-ofctl sends (1.1-1.4, 1.5 and NXT_GROUP_MOD in 1.0) re-encodes to the same bytes', () => {
  let n = 0;
  for (const c of golden.cases.filter((x) => x.name.startsWith('gm-'))) {
    for (const m of caseMsgs(c.name).filter((x) => x.type === 'GROUP_MOD')) {
      assert.deepEqual(encodeGroupMod(decodeGroupMod(m), m.version, m.xid), m.data, c.name);
      n++;
    }
  }
  assert.equal(n, 48);
});

test('group_mod buckets: weights, watch port and group, numbering before 1.5', () => {
  const select = groupMod('gm-add-select-13');
  assert.deepEqual([select.command, select.type, select.groupId], ['add', 'select', 10]);
  assert.deepEqual(select.buckets.map((b) => [b.weight, b.bucketId]), [[5, 0], [7, 1]]);
  const ff = groupMod('gm-add-ff-15');
  assert.deepEqual(ff.buckets.map((b) => [b.watchPort, b.watchGroup]), [[1, 0xffffffff], [0xffff, 10]]);
  assert.equal(groupMod('gm-mod-12').command, 'modify');
  assert.deepEqual([groupMod('gm-delall-14').command, groupMod('gm-delall-14').groupId], ['delete', 0xfffffffc]);
  assert.equal(groupMod('gm-addormod-15').command, 'add_or_mod');
});

test('the selection method property: hash with fields and masks, dp_hash with a parameter', () => {
  for (const v of [10, 15]) {
    const hash = groupMod(`gm-add-hash-${v}`);
    assert.equal(hash.props.selectionMethod, 'hash');
    assert.deepEqual(hash.props.fields.map((f) => [f.field, f.value.toString('hex')]),
      [['eth_dst', 'ffffffffffff'], ['ip_dst', 'ffff0000'], ['tcp_dst', 'ffff']]);
    // The bucket without an id got the lowest one no later bucket uses.
    assert.deepEqual(hash.buckets.map((b) => [b.bucketId, b.weight]), [[3, 1], [0, 2]]);
    const dp = groupMod(`gm-add-dphash-${v}`);
    assert.deepEqual([dp.props.selectionMethod, dp.props.selectionMethodParam, dp.props.fields], ['dp_hash', 7n, []]);
  }
});

test('OpenFlow 1.5 bucket commands carry the command bucket id', () => {
  const ins = groupMod('gm-insert-15');
  assert.deepEqual([ins.command, ins.commandBucketId, ins.buckets[0].bucketId], ['insert_bucket', OFPG15_BUCKET_FIRST, 9]);
  assert.deepEqual([groupMod('gm-remove-10').command, groupMod('gm-remove-10').commandBucketId], ['remove_bucket', 3]);
  assert.equal(groupMod('gm-removeall-15').commandBucketId, OFPG15_BUCKET_ALL);
  throwsOfp(() => encodeGroupMod(ins, 4, 1), 'OFPGMFC_BAD_COMMAND');
});

test('bucket ids are assigned like OVS: lowest id unused by later buckets and earlier assignments', () => {
  const gm = mod({ buckets: [bucket(), bucket({ bucketId: 0 }), bucket()] });
  assert.deepEqual(decodeGroupMod(decodeMsg(encodeGroupMod(gm, 6, 1))).buckets.map((b) => b.bucketId), [1, 0, 2]);
});

test('group_mod consistency errors are OVS\'s', () => {
  refuses(mod({ type: 'indirect', buckets: [bucket(), bucket()] }), 4, 'OFPGMFC_INVALID_GROUP');
  refuses(mod({ type: 'ff', buckets: [bucket()] }), 4, 'OFPGMFC_INVALID_GROUP');
  refuses(mod({ buckets: [bucket({ weight: 3 })] }), 4, 'OFPGMFC_INVALID_GROUP');
  refuses(mod({ buckets: [bucket({ watchPort: 1 })] }), 6, 'OFPGMFC_WATCH_UNSUPPORTED');
  refuses(mod({ command: 'delete', buckets: [bucket()] }), 4, 'OFPGMFC_INVALID_GROUP');
  assert.equal(decodeGroupMod(decodeMsg(encodeGroupMod(mod({ command: 'delete', buckets: [bucket()] }), 3, 1))).buckets.length, 1);
  refuses(mod({ command: 'remove_bucket', commandBucketId: 2, buckets: [bucket()] }), 6, 'OFPGMFC_BAD_BUCKET');
  refuses(mod({ commandBucketId: 2 }), 6, 'OFPGMFC_BAD_BUCKET');
  refuses(mod({ buckets: [bucket({ bucketId: 4 }), bucket({ bucketId: 4 })] }), 6, 'OFPGMFC_BAD_BUCKET');
  const badType = Buffer.from(encodeGroupMod(mod({}), 4, 1));
  badType[10] = 9;
  throwsOfp(() => decodeGroupMod(decodeMsg(badType)), 'OFPGMFC_BAD_TYPE');
  const badCommand = Buffer.from(encodeGroupMod(mod({}), 4, 1));
  badCommand.writeUInt16BE(9, 8);
  throwsOfp(() => decodeGroupMod(decodeMsg(badCommand)), 'OFPGMFC_BAD_COMMAND');
  const shortBucket = Buffer.from(encodeGroupMod(mod({}), 4, 1));
  shortBucket.writeUInt16BE(8, 16);
  throwsOfp(() => decodeGroupMod(decodeMsg(shortBucket)), 'OFPGMFC_BAD_BUCKET');
});

test('selection method properties are checked: select groups, add/modify, known methods, fields only for hash', () => {
  const hash = groupMod('gm-add-hash-15');
  refuses({ ...hash, type: 'all', buckets: [bucket()] }, 6, 'OFPBPC_BAD_VALUE');
  refuses({ ...hash, command: 'delete', buckets: [] }, 6, 'OFPBPC_BAD_VALUE');
  refuses({ ...hash, props: { ...hash.props, selectionMethod: 'rr' } }, 6, 'OFPBPC_BAD_VALUE');
  refuses({ ...hash, props: { ...hash.props, selectionMethod: 'dp_hash' } }, 6, 'OFPBPC_BAD_VALUE');
});

test('group description, statistics and features replies re-encode to the same bytes in every version', () => {
  let n = 0;
  for (const c of golden.cases.filter((x) => x.name.startsWith('dump-group'))) {
    const msgs = caseMsgs(c.name);
    for (let i = 0; i < msgs.length; i++) {
      const req = msgs[i];
      const reply = msgs[i + 1];
      if (req.type === 'GROUP_DESC_STATS_REQUEST') {
        assert.deepEqual(encodeGroupDescRequest(req.version, req.xid, decodeGroupDescRequest(req)), req.data, c.name);
        assert.deepEqual(encodeGroupDescReply(req, decodeGroupDescReply(reply)), [reply.data], c.name);
      } else if (req.type === 'GROUP_STATS_REQUEST') {
        assert.deepEqual(encodeGroupStatsRequest(req.version, req.xid, decodeGroupStatsRequest(req)), req.data, c.name);
        assert.deepEqual(encodeGroupStatsReply(req, decodeGroupStatsReply(reply)), [reply.data], c.name);
      } else if (req.type === 'GROUP_FEATURES_STATS_REQUEST') {
        assert.deepEqual(encodeGroupFeaturesRequest(req.version, req.xid), req.data, c.name);
        assert.deepEqual(encodeGroupFeaturesReply(req, decodeGroupFeaturesReply(reply)), reply.data, c.name);
      } else {
        continue;
      }
      n++;
    }
  }
  assert.equal(n, 18);
});

test('group descriptions carry the selection method in OpenFlow 1.0 (NXST) and 1.5 only', () => {
  for (const [v, hasProps] of [[10, true], [13, false], [15, true]] as const) {
    const reply = caseMsgs(`dump-groups-${v}`).find((m) => m.type === 'GROUP_DESC_STATS_REPLY')!;
    const g2 = decodeGroupDescReply(reply).find((g) => g.groupId === 2)!;
    assert.equal(g2.type, 'select');
    assert.deepEqual(g2.buckets.map((b) => b.weight), [10, 20]);
    assert.deepEqual(g2.props.fields.map((f) => f.field), hasProps ? ['ip_src', 'nw_proto'] : [], `OF${v}`);
    assert.deepEqual(g2.buckets.map((b) => b.bucketId), hasProps ? [5, 6] : [0, 1]);
  }
});

test('group statistics carry a duration except in OpenFlow 1.1/1.2; features list each type\'s actions', () => {
  const stats11 = decodeGroupStatsReply(caseMsgs('dump-group-stats-11').find((m) => m.type === 'GROUP_STATS_REPLY')!);
  assert.equal(stats11[0].durationSec, 0xffffffff);
  assert.equal(stats11.find((g) => g.groupId === 2)!.bucketStats.length, 2);
  const stats13 = decodeGroupStatsReply(caseMsgs('dump-group-stats-13').find((m) => m.type === 'GROUP_STATS_REPLY')!);
  assert.notEqual(stats13[0].durationSec, 0xffffffff);
  const f = decodeGroupFeaturesReply(caseMsgs('dump-group-features-10').find((m) => m.type === 'GROUP_FEATURES_STATS_REPLY')!);
  assert.deepEqual([f.types, f.capabilities, f.maxGroups[0]], [0xf, 0x7, 0xffffff00]);
  assert.ok(f.ofpacts[1].includes('enqueue') && f.ofpacts[1].includes('mod_tp_dst'));
});
