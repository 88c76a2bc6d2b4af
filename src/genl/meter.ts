/**
 * The `ovs_meter` Generic Netlink family's message bodies (`OVS_METER_CMD_*`): `struct ovs_header`
 * then `OVS_METER_ATTR_*` attributes, per `<linux/openvswitch.h>` (kernel 6.1) and the kernel's
 * `net/openvswitch/meter.c` for which attributes each command carries:
 *
 * - FEATURES → `MAX_METERS`, `MAX_BANDS`, and `BANDS` listing the supported band types;
 * - SET (`ID`, optional `KBPS`, `BANDS`) → the meter's `ID`, `STATS`, `BANDS` (stats only);
 * - GET/DEL (`ID`) → `ID`, `STATS`, `USED`, `BANDS` (stats only).
 *
 * Each band is a nested attribute whose own type the kernel ignores (senders use
 * `OVS_BAND_ATTR_UNSPEC`), holding `OVS_BAND_ATTR_TYPE`, `RATE`, `BURST` (u32, host order) and, in
 * replies, `STATS`. `STATS` is `struct ovs_flow_stats` (two u64, host order); `USED` is a u64 of
 * CLOCK_MONOTONIC milliseconds (preceded by an `OVS_METER_ATTR_PAD` where alignment needs one).
 */
import { attr, attrFlag, attrU32, parseAttrs } from './nlattr';
import {
  OVS_BAND_ATTR_BURST,
  OVS_BAND_ATTR_RATE,
  OVS_BAND_ATTR_STATS,
  OVS_BAND_ATTR_TYPE,
  OVS_BAND_ATTR_UNSPEC,
  OVS_HEADER_SIZE,
  OVS_METER_ATTR_BANDS,
  OVS_METER_ATTR_CLEAR,
  OVS_METER_ATTR_ID,
  OVS_METER_ATTR_KBPS,
  OVS_METER_ATTR_MAX_BANDS,
  OVS_METER_ATTR_MAX_METERS,
  OVS_METER_ATTR_STATS,
  OVS_METER_ATTR_USED,
} from './openvswitch';

/** `struct ovs_flow_stats`: packets and bytes. */
export interface MeterStats {
  packets: bigint;
  bytes: bigint;
}

/** One meter band (`OVS_BAND_ATTR_*`). */
export interface MeterBand {
  /** `OVS_METER_BAND_TYPE_*` (1 = drop) */
  type?: number;
  /** rate in the meter's unit: kbit/s with `kbps`, else packets/s */
  rate?: number;
  /** burst size in the same unit */
  burst?: number;
  /** packets/bytes that exceeded this band (replies only) */
  stats?: MeterStats;
}

/** An `OVS_METER_CMD_*` message body. */
export interface MeterMessage {
  dpIfindex: number;
  /** `OVS_METER_ATTR_ID` */
  id?: number;
  /** `OVS_METER_ATTR_KBPS` flag: rates in kbit/s instead of packets/s */
  kbps?: boolean;
  stats?: MeterStats;
  bands?: MeterBand[];
  /** `OVS_METER_ATTR_USED`: CLOCK_MONOTONIC ms of last use */
  used?: bigint;
  /** `OVS_METER_ATTR_CLEAR` flag */
  clear?: boolean;
  /** `OVS_METER_ATTR_MAX_METERS` (FEATURES replies) */
  maxMeters?: number;
  /** `OVS_METER_ATTR_MAX_BANDS` (FEATURES replies) */
  maxBands?: number;
}

function decodeStats(b: Buffer, what: string): MeterStats {
  if (b.length !== 16) throw new RangeError(`${what}: struct ovs_flow_stats is 16 bytes, got ${b.length}`);
  return { packets: b.readBigUInt64LE(0), bytes: b.readBigUInt64LE(8) };
}

function u32(b: Buffer, what: string): number {
  if (b.length !== 4) throw new RangeError(`${what}: u32 attribute of ${b.length} bytes`);
  return b.readUInt32LE(0);
}

/**
 * Encodes a meter message body: `struct ovs_header` then the attributes present in `m`, in
 * ascending attribute order (stats and used are reply-only and are not sent).
 */
export function encodeMeterMessage(m: MeterMessage): Buffer {
  const parts: Buffer[] = [];
  const hdr = Buffer.alloc(OVS_HEADER_SIZE);
  hdr.writeInt32LE(m.dpIfindex, 0);
  parts.push(hdr);
  if (m.id !== undefined) parts.push(attrU32(OVS_METER_ATTR_ID, m.id));
  if (m.kbps) parts.push(attrFlag(OVS_METER_ATTR_KBPS));
  if (m.bands) {
    parts.push(
      attr(
        OVS_METER_ATTR_BANDS,
        m.bands.map((b) =>
          attr(OVS_BAND_ATTR_UNSPEC, [
            ...(b.type !== undefined ? [attrU32(OVS_BAND_ATTR_TYPE, b.type)] : []),
            ...(b.rate !== undefined ? [attrU32(OVS_BAND_ATTR_RATE, b.rate)] : []),
            ...(b.burst !== undefined ? [attrU32(OVS_BAND_ATTR_BURST, b.burst)] : []),
          ]),
        ),
      ),
    );
  }
  if (m.clear) parts.push(attrFlag(OVS_METER_ATTR_CLEAR));
  return Buffer.concat(parts);
}

/**
 * Decodes a meter message body (a kernel reply). Unknown attributes (and `OVS_METER_ATTR_PAD`)
 * are ignored.
 * @throws RangeError on a truncated header, malformed attributes or wrong-sized values
 */
export function decodeMeterMessage(body: Buffer): MeterMessage {
  if (body.length < OVS_HEADER_SIZE) throw new RangeError(`ovs_meter message of ${body.length} bytes has no ovs_header`);
  const m: MeterMessage = { dpIfindex: body.readInt32LE(0) };
  for (const a of parseAttrs(body.subarray(OVS_HEADER_SIZE))) {
    switch (a.type) {
      case OVS_METER_ATTR_ID:
        m.id = u32(a.data, 'OVS_METER_ATTR_ID');
        break;
      case OVS_METER_ATTR_KBPS:
        m.kbps = true;
        break;
      case OVS_METER_ATTR_STATS:
        m.stats = decodeStats(a.data, 'OVS_METER_ATTR_STATS');
        break;
      case OVS_METER_ATTR_USED:
        if (a.data.length !== 8) throw new RangeError(`OVS_METER_ATTR_USED: u64 attribute of ${a.data.length} bytes`);
        m.used = a.data.readBigUInt64LE(0);
        break;
      case OVS_METER_ATTR_CLEAR:
        m.clear = true;
        break;
      case OVS_METER_ATTR_MAX_METERS:
        m.maxMeters = u32(a.data, 'OVS_METER_ATTR_MAX_METERS');
        break;
      case OVS_METER_ATTR_MAX_BANDS:
        m.maxBands = u32(a.data, 'OVS_METER_ATTR_MAX_BANDS');
        break;
      case OVS_METER_ATTR_BANDS:
        m.bands = parseAttrs(a.data).map((nb) => {
          const band: MeterBand = {};
          for (const f of parseAttrs(nb.data)) {
            if (f.type === OVS_BAND_ATTR_TYPE) band.type = u32(f.data, 'OVS_BAND_ATTR_TYPE');
            else if (f.type === OVS_BAND_ATTR_RATE) band.rate = u32(f.data, 'OVS_BAND_ATTR_RATE');
            else if (f.type === OVS_BAND_ATTR_BURST) band.burst = u32(f.data, 'OVS_BAND_ATTR_BURST');
            else if (f.type === OVS_BAND_ATTR_STATS) band.stats = decodeStats(f.data, 'OVS_BAND_ATTR_STATS');
          }
          return band;
        });
        break;
    }
  }
  return m;
}
