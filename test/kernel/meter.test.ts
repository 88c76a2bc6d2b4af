/**
 * The ovs_meter family on the real kernel: features, set, get, delete, and the typed error for a
 * meter that does not exist.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DpifNetlink } from '../../src/dpif-netlink/dpif';
import { NetlinkError } from '../../src/genl/netlink';
import { OVS_METER_BAND_TYPE_DROP } from '../../src/genl/openvswitch';
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
