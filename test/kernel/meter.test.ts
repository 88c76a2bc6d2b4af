/**
 * The ovs_meter family on the real kernel: features, set, get, delete, and the typed error for a
 * meter that does not exist.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DpifNetlink } from '../../src/dpif-netlink/dpif';
import { NetlinkError } from '../../src/genl/netlink';
import { OVS_METER_BAND_TYPE_DROP, OVS_UFID_F_OMIT_ACTIONS, OVS_UFID_F_OMIT_KEY, OVS_UFID_F_OMIT_MASK } from '../../src/genl/openvswitch';
import { cleanupDatapath, requireKernel } from './lib/env';

requireKernel();

test('meters: features, set, get, delete, and ENOENT for a missing meter', async () => {
  const name = 'tsvmeter0';
  await cleanupDatapath(name);
  const dpif = await DpifNetlink.open();
  try {
    const dp = await dpif.openDatapath(name, true);
    const f = await dpif.meterFeatures(dp.dpIfindex);
    assert.ok((f.maxMeters ?? 0) > 0, `max meters ${f.maxMeters}`);
    assert.ok((f.maxBands ?? 0) >= 1, `max bands ${f.maxBands}`);
    assert.ok(f.bands?.some((b) => b.type === OVS_METER_BAND_TYPE_DROP), 'drop bands supported');

    const set = await dpif.meterSet(dp.dpIfindex, 1, true, [{ type: OVS_METER_BAND_TYPE_DROP, rate: 1000, burst: 100 }]);
    assert.equal(set.id, 1);
    const got = await dpif.meterGet(dp.dpIfindex, 1);
    assert.equal(got.id, 1);
    assert.deepEqual(got.stats, { packets: 0n, bytes: 0n });
    assert.equal(got.bands?.length, 1);


    const del = await dpif.meterDel(dp.dpIfindex, 1);
    assert.equal(del.id, 1);
    await assert.rejects(dpif.meterGet(dp.dpIfindex, 1), (e: unknown) => e instanceof NetlinkError && e.code === 'ENOENT' && /OVS_METER_CMD_GET meter 1/.test(e.message));
  } finally {
    dpif.close();
    await cleanupDatapath(name);
  }
});

test('a terse flow dump (OVS_UFID_F_OMIT_*) names flows by UFID without key, mask or actions', async () => {
  const name = 'tsvterse0';
  await cleanupDatapath(name);
  const dpif = await DpifNetlink.open();
  try {
    const dp = await dpif.openDatapath(name, true);
    const ufid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    await dpif.flowPut(
      { dpIfindex: dp.dpIfindex, key: { inPort: 0, ethernet: { src: '0a:00:00:00:00:01', dst: '0a:00:00:00:00:02' }, ethertype: 0x0806, arp: { sip: '10.0.0.1', tip: '10.0.0.2', op: 1, sha: '0a:00:00:00:00:01', tha: '00:00:00:00:00:00' } }, actions: [], ufid },
      { create: true, modify: false },
    );
    const [full] = await dpif.flowDump(dp.dpIfindex);
    assert.ok(full.key && full.actions, 'a plain dump carries key and actions');
    const [terse] = await dpif.flowDump(dp.dpIfindex, OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_MASK | OVS_UFID_F_OMIT_ACTIONS);
    assert.deepEqual(terse.ufid, ufid);
    assert.equal(terse.key, undefined);
    assert.equal(terse.mask, undefined);
    assert.equal(terse.actions, undefined);
    // OVS_FLOW_ATTR_STATS comes only once the flow has matched packets (ovs_flow_cmd_fill_stats).
    assert.equal(terse.dpIfindex, dp.dpIfindex);
  } finally {
    dpif.close();
    await cleanupDatapath(name);
  }
});
