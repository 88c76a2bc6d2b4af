import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMeterMessage, encodeMeterMessage } from '../../src/genl/meter';

const hex = (...parts: string[]): Buffer => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');

test('OVS_METER_CMD_SET: id, kbps flag and one drop band, laid out as the uapi says', () => {
  const bytes = encodeMeterMessage({ dpIfindex: 7, id: 1, kbps: true, bands: [{ type: 1, rate: 1000, burst: 100 }] });
  assert.deepEqual(
    bytes,
    hex(
      '07000000', //                         struct ovs_header { dp_ifindex = 7 }
      '0800 0100', '01000000', //            OVS_METER_ATTR_ID = 1
      '0400 0200', //                         OVS_METER_ATTR_KBPS (flag)
      '2000 0400', //                         OVS_METER_ATTR_BANDS, 32 bytes
      '1c00 0000', //                           band (OVS_BAND_ATTR_UNSPEC), 28 bytes
      '0800 0100', '01000000', //                OVS_BAND_ATTR_TYPE = OVS_METER_BAND_TYPE_DROP
      '0800 0200', 'e8030000', //                OVS_BAND_ATTR_RATE = 1000
      '0800 0300', '64000000', //                OVS_BAND_ATTR_BURST = 100
    ),
  );
});

test('a GET reply decodes id, stats, used (after its pad) and per-band stats', () => {
  const body = hex(
    '07000000',
    '0800 0100', '05000000', //                                   ID 5
    '1400 0300', '0a00000000000000', '4006000000000000', //        STATS 10 packets, 1600 bytes
    '0400 0900', //                                                PAD
    '0c00 0500', 'e803000000000000', //                            USED 1000 ms
    '1c00 0400', '1800 0000', '1400 0400', '0200000000000000', '8000000000000000', // BANDS: [{STATS 2, 128}]
  );
  assert.deepEqual(decodeMeterMessage(body), {
    dpIfindex: 7,
    id: 5,
    stats: { packets: 10n, bytes: 1600n },
    used: 1000n,
    bands: [{ stats: { packets: 2n, bytes: 128n } }],
  });
});

test('a FEATURES reply gives the limits and the band types', () => {
  const body = hex('00000000', '0800 0700', '00020000', '0800 0800', '01000000', '1000 0400', '0c00 0000', '0800 0100', '01000000');
  assert.deepEqual(decodeMeterMessage(body), { dpIfindex: 0, maxMeters: 512, maxBands: 1, bands: [{ type: 1 }] });
});

test('encode then decode gives back the request', () => {
  const m = { dpIfindex: 3, id: 9, kbps: true, bands: [{ type: 1, rate: 5, burst: 6 }, { type: 1, rate: 50, burst: 60 }] };
  assert.deepEqual(decodeMeterMessage(encodeMeterMessage(m)), m);
});

test('wrong-sized values and a missing header are refused', () => {
  assert.throws(() => decodeMeterMessage(Buffer.alloc(2)), RangeError);
  assert.throws(() => decodeMeterMessage(hex('00000000', '0600 0100', '0100', '0000')), RangeError);
});
