import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError } from '../../src/openflow/ofp-errors';
import { decodeMsg, encodeMsg } from '../../src/openflow/ofp-msgs';
import type { OfpMsg } from '../../src/openflow/ofp-msgs';
import {
  OFPM13_ALL, OFPMBT13_DROP, OFPMBT13_DSCP_REMARK, OFPMF13_BURST, OFPMF13_KBPS, OFPMF13_PKTPS, OFPMF13_STATS,
  decodeMeterConfigReply, decodeMeterFeaturesReply, decodeMeterMod, decodeMeterRequest, decodeMeterStatsReply,
  encodeMeterConfigReply, encodeMeterFeaturesReply, encodeMeterMod, encodeMeterRequest, encodeMeterStatsReply,
} from '../../src/openflow/ofp-meter';
import type { MeterStats } from '../../src/openflow/ofp-meter';

interface Case { name: string; cmd: string; msgs: { dir: string; hex: string }[] }
const golden = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/ofp-meter.json'), 'utf8')) as { cases: Case[] };

const caseMsgs = (name: string): OfpMsg[] =>
  golden.cases.find((c) => c.name === name)!.msgs.map((m) => decodeMsg(Buffer.from(m.hex, 'hex')));
const meterModMsg = (name: string): OfpMsg => caseMsgs(name).find((m) => m.type === 'METER_MOD')!;

function throwsOfp(fn: () => unknown, err: string): void {
  assert.throws(fn, (e: unknown) => e instanceof OfpError && e.err === err);
}

test('every meter_mod ovs-ofctl sends (OpenFlow 1.3-1.5) re-encodes to the same bytes', () => {
  const names = golden.cases.filter((c) => c.name.startsWith('mm-')).map((c) => c.name);
  assert.equal(names.length, 15);
  for (const name of names) {
    const m = meterModMsg(name);
    assert.deepEqual(encodeMeterMod(decodeMeterMod(m), m.version, m.xid), m.data, name);
  }
});

test('meter_mod: flags and drop / dscp_remark bands; a delete has neither', () => {
  assert.deepEqual(decodeMeterMod(meterModMsg('mm-add-13')), {
    command: 'add',
    meter: {
      meterId: 5, flags: OFPMF13_KBPS | OFPMF13_BURST | OFPMF13_STATS,
      bands: [
        { type: OFPMBT13_DROP, rate: 100, burstSize: 10, precLevel: 0 },
        { type: OFPMBT13_DSCP_REMARK, rate: 200, burstSize: 20, precLevel: 2 },
      ],
    },
  });
  assert.equal(decodeMeterMod(meterModMsg('mm-add2-14')).meter.flags, OFPMF13_PKTPS);
  assert.equal(decodeMeterMod(meterModMsg('mm-mod-15')).command, 'modify');
  assert.deepEqual(decodeMeterMod(meterModMsg('mm-delall-13')), { command: 'delete', meter: { meterId: OFPM13_ALL, flags: 0, bands: [] } });
});

test('meter_mod errors: command, kbps with pktps, band type and band length', () => {
  const hex = meterModMsg('mm-add-13').data;
  const bodyAt = 8;
  const variant = (at: number, bytes: number[]): OfpMsg => {
    const b = Buffer.from(hex);
    Buffer.from(bytes).copy(b, bodyAt + at);
    return decodeMsg(b);
  };
  throwsOfp(() => decodeMeterMod(variant(0, [0, 3])), 'OFPMMFC_BAD_COMMAND');
  throwsOfp(() => decodeMeterMod(variant(2, [0, OFPMF13_KBPS | OFPMF13_PKTPS])), 'OFPMMFC_BAD_FLAGS');
  throwsOfp(() => decodeMeterMod(variant(8, [0, 3])), 'OFPMMFC_BAD_BAND');
  throwsOfp(() => decodeMeterMod(variant(10, [0, 24])), 'OFPBRC_BAD_LEN');
  const msg = meterModMsg('mm-add-13');
  throwsOfp(() => decodeMeterMod(decodeMsg(encodeMsg('OFPT13_METER_MOD', 4, 1, msg.body.subarray(0, msg.body.length - 4)))), 'OFPBRC_BAD_LEN');
  // A delete ignores whatever follows.
  assert.equal(decodeMeterMod(variant(0, [0, 2])).meter.bands.length, 0);
  throwsOfp(() => encodeMeterMod(decodeMeterMod(msg), 3, 1), 'OFPBRC_BAD_VERSION');
});

test('meter configuration, statistics and features requests and replies re-encode to the same bytes', () => {
  let n = 0;
  for (const c of golden.cases.filter((x) => !x.name.startsWith('mm-'))) {
    const [req, reply] = caseMsgs(c.name);
    if (req.type === 'METER_CONFIG_STATS_REQUEST') {
      assert.deepEqual(encodeMeterRequest(req.version, req.xid, 'config', decodeMeterRequest(req)), req.data);
      const configs = decodeMeterConfigReply(reply);
      assert.deepEqual(configs.map((m) => m.meterId), [1, 2]);
      assert.deepEqual(encodeMeterConfigReply(req, configs), [reply.data], c.name);
    } else if (req.type === 'METER_STATS_REQUEST') {
      assert.equal(decodeMeterRequest(req), OFPM13_ALL);
      assert.deepEqual(encodeMeterRequest(req.version, req.xid, 'stats', OFPM13_ALL), req.data);
      const stats = decodeMeterStatsReply(reply);
      assert.deepEqual(stats.map((m) => m.bands.length), [1, 1]);
      assert.deepEqual(encodeMeterStatsReply(req, stats), [reply.data], c.name);
    } else {
      assert.deepEqual(encodeMeterRequest(req.version, req.xid, 'features'), req.data);
      const f = decodeMeterFeaturesReply(reply);
      assert.ok(f.maxMeters > 0 && f.bandTypes & (1 << OFPMBT13_DROP));
      assert.deepEqual(encodeMeterFeaturesReply(req, f), reply.data, c.name);
    }
    n++;
  }
  assert.equal(n, 9);
});

test('meter configuration from the reference: meter 1 kbps burst stats drop 1000/100', () => {
  const reply = caseMsgs('dump-meters-14')[1];
  assert.deepEqual(decodeMeterConfigReply(reply)[0], {
    meterId: 1, flags: OFPMF13_KBPS | OFPMF13_BURST | OFPMF13_STATS,
    bands: [{ type: OFPMBT13_DROP, rate: 1000, burstSize: 100, precLevel: 0 }],
  });
});

test('meter statistics with a truncated band list are OFPBRC_BAD_LEN; many meters split into several replies', () => {
  const [req, reply] = caseMsgs('meter-stats-13');
  const b = Buffer.from(reply.data);
  b.writeUInt16BE(44, 8 + 8 + 4);
  throwsOfp(() => decodeMeterStatsReply(decodeMsg(b)), 'OFPBRC_BAD_LEN');
  const one: MeterStats = { meterId: 1, flowCount: 2, packetInCount: 3n, byteInCount: 4n, durationSec: 5, durationNsec: 6, bands: [{ packetCount: 7n, byteCount: 8n }] };
  const out = encodeMeterStatsReply(req, Array.from({ length: 2000 }, (_, i) => ({ ...one, meterId: i })));
  assert.ok(out.length > 1 && out.every((m) => m.length <= 0xffff));
  assert.equal(out.flatMap((m) => decodeMeterStatsReply(decodeMsg(m))).length, 2000);
});
