import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import type { DpifNetlink } from '../../src/dpif-netlink/dpif';
import { NetlinkError } from '../../src/genl/netlink';
import { DpifMeters, IdPool } from '../../src/ofproto-dpif/dp-meters';
import { OfpError } from '../../src/openflow/ofp-errors';
import { OFPMBT13_DROP, OFPMF13_BURST, OFPMF13_KBPS, OFPMF13_PKTPS, OFPMF13_STATS } from '../../src/openflow/ofp-meter';

test('IdPool hands out ids as OVS id_pool does: next after the last, lowest freed below it first', () => {
  const p = new IdPool(4);
  assert.deepEqual([p.alloc(), p.alloc(), p.alloc()], [0, 1, 2]);
  p.free(1);
  assert.equal(p.alloc(), 1);
  assert.equal(p.alloc(), 3);
  assert.equal(p.alloc(), undefined, 'full');
  p.free(2);
  p.free(0);
  assert.equal(p.alloc(), 0);
  assert.equal(p.alloc(), 2);
});

function fakeDpif(fail?: string): { dpif: DpifNetlink; calls: unknown[] } {
  const calls: unknown[] = [];
  const dpif = {
    meterSet: async (dp: number, id: number, kbps: boolean, bands: unknown) => {
      calls.push(['set', dp, id, kbps, bands]);
      if (fail) throw new NetlinkError((os.constants.errno as Record<string, number>)[fail], `OVS_METER_CMD_SET meter ${id}`);
      return {};
    },
    meterGet: async (dp: number, id: number) => {
      calls.push(['get', dp, id]);
      if (id === 9) throw new NetlinkError(os.constants.errno.ENOENT, 'OVS_METER_CMD_GET meter 9');
      return { dpIfindex: dp, id, stats: { packets: 10n, bytes: 980n }, bands: [{ stats: { packets: 7n, bytes: 686n } }] };
    },
    meterDel: async (dp: number, id: number) => {
      calls.push(['del', dp, id]);
      return {};
    },
  } as unknown as DpifNetlink;
  return { dpif, calls };
}

test('DpifMeters installs drop bands with OVS burst rules, reads stats, frees ids', async () => {
  const { dpif, calls } = fakeDpif();
  const m = new DpifMeters(dpif, 7, 100, () => undefined);
  const band = { type: OFPMBT13_DROP, rate: 1000, burstSize: 50, precLevel: 0 };
  assert.equal(await m.set(undefined, { meterId: 1, flags: OFPMF13_KBPS, bands: [band] }), 0);
  assert.equal(await m.set(undefined, { meterId: 2, flags: OFPMF13_PKTPS | OFPMF13_BURST | OFPMF13_STATS, bands: [band] }), 1);
  assert.equal(await m.set(0, { meterId: 1, flags: OFPMF13_KBPS, bands: [band] }), 0, 'modify keeps the id');
  assert.deepEqual(calls.slice(0, 2), [
    ['set', 7, 0, true, [{ type: 1, rate: 1000, burst: 1000 }]],
    ['set', 7, 1, false, [{ type: 1, rate: 1000, burst: 50 }]],
  ]);
  assert.deepEqual(await m.stats(0), { packets: 10n, bytes: 980n, bands: [{ packets: 7n, bytes: 686n }] });
  assert.equal(await m.stats(9), undefined, 'ENOENT: no such meter');
  await m.del(0);
  assert.equal(await m.set(undefined, { meterId: 3, flags: OFPMF13_KBPS, bands: [band] }), 0, 'a freed id is reused');
});

test('DpifMeters maps kernel errors to OpenFlow meter_mod errors as OVS meter_set() does', async () => {
  const band = { type: OFPMBT13_DROP, rate: 1, burstSize: 0, precLevel: 0 };
  for (const [errno, name] of [['EFBIG', 'OFPMMFC_OUT_OF_METERS'], ['ENOMEM', 'OFPMMFC_OUT_OF_METERS'], ['EINVAL', 'OFPMMFC_OUT_OF_BANDS'], ['EDOM', 'OFPMMFC_BAD_RATE'], ['EIO', 'OFPMMFC_UNKNOWN']] as const) {
    const m = new DpifMeters(fakeDpif(errno).dpif, 7, 100, () => undefined);
    await assert.rejects(m.set(undefined, { meterId: 1, flags: OFPMF13_KBPS, bands: [band] }), (e: unknown) => e instanceof OfpError && e.err === name, errno);
  }
  const full = new DpifMeters(fakeDpif().dpif, 7, 0, () => undefined);
  await assert.rejects(full.set(undefined, { meterId: 1, flags: OFPMF13_KBPS, bands: [band] }), (e: unknown) => e instanceof OfpError && e.err === 'OFPMMFC_OUT_OF_METERS');
  const m = new DpifMeters(fakeDpif().dpif, 7, 8, () => undefined);
  const fails = async (flags: number, bands: typeof band[], err: string): Promise<void> => {
    await assert.rejects(m.set(undefined, { meterId: 1, flags, bands }), (e: unknown) => e instanceof OfpError && e.err === err, err);
  };
  await fails(0, [band], 'OFPMMFC_BAD_FLAGS'); // no rate unit (OVS dpif_meter_set)
  await fails(OFPMF13_KBPS | OFPMF13_PKTPS, [band], 'OFPMMFC_BAD_FLAGS');
  await fails(OFPMF13_KBPS, [], 'OFPMMFC_OUT_OF_BANDS');
  await fails(OFPMF13_KBPS, [{ ...band, rate: 0 }], 'OFPMMFC_BAD_RATE');
  await fails(OFPMF13_KBPS | (1 << 7), [band], 'OFPMMFC_BAD_FLAGS');
  await fails(OFPMF13_KBPS, [{ ...band, type: 2 }], 'OFPMMFC_BAD_BAND');
  assert.equal(await m.set(undefined, { meterId: 1, flags: OFPMF13_KBPS, bands: [band] }), 6, 'as OVS, each failed set kept the id it was given');
});
