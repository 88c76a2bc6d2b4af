/**
 * OpenFlow meters installed in the kernel datapath's `ovs_meter` family, as OVS 3.1's
 * ofproto-dpif does (`meter_set`/`meter_get`/`meter_del` over `dpif_netlink_meter_*`):
 *
 * - datapath meter ids come from one pool per datapath (all bridges share it), lowest free id
 *   first from the last allocation on (OVS `id_pool_alloc_id()` on `backer->meter_ids`, sized by
 *   `OVS_METER_ATTR_MAX_METERS`);
 * - each OFPMBT13_DROP band becomes an `OVS_METER_BAND_TYPE_DROP` band with the OpenFlow rate,
 *   and as burst the OpenFlow burst size when OFPMF13_BURST is set, else the rate;
 *   OFPMF13_KBPS sets `OVS_METER_ATTR_KBPS`;
 * - a meter without a rate unit (or with both) is OFPMMFC_BAD_FLAGS, without bands
 *   OFPMMFC_OUT_OF_BANDS, with a zero rate OFPMMFC_BAD_RATE (OVS `dpif_meter_set()`);
 * - kernel errors become OpenFlow errors as OVS maps them (EFBIG/ENOMEM → OUT_OF_METERS, EBADF →
 *   BAD_FLAGS, EINVAL → OUT_OF_BANDS, ENODEV → BAD_BAND, EDOM → BAD_RATE, else UNKNOWN).
 */
import type { DpifNetlink } from '../dpif-netlink/dpif';
import { NetlinkError } from '../genl/netlink';
import { OfpError } from '../openflow/ofp-errors';
import { MeterConfig, OFPMBT13_DROP, OFPMF13_BURST, OFPMF13_KBPS, OFPMF13_PKTPS, OFPMF13_STATS } from '../openflow/ofp-meter';

/** `OVS_METER_BAND_TYPE_DROP` (linux/openvswitch.h). */
const OVS_METER_BAND_TYPE_DROP = 1;
/** OVS `DP_SUPPORTED_METER_FLAGS_MASK`. */
const DP_SUPPORTED_METER_FLAGS = OFPMF13_STATS | OFPMF13_PKTPS | OFPMF13_KBPS | OFPMF13_BURST;

/** A datapath meter's counters: what entered it, and what each band dropped. */
export interface DpMeterStats {
  packets: bigint;
  bytes: bigint;
  bands: Array<{ packets: bigint; bytes: bigint }>;
}

/** What a bridge's ofproto needs of the datapath's meters (implemented by {@link DpifMeters}). */
export interface DpMeters {
  /**
   * Installs `config` as datapath meter `dpId` (a modify), or as a newly allocated one.
   * @returns the datapath meter id
   * @throws OfpError OFPMMFC_* as OVS's meter_set() maps the failure
   */
  set(dpId: number | undefined, config: MeterConfig): Promise<number>;
  /** The meter's counters; undefined when the datapath has no such meter. */
  stats(dpId: number): Promise<DpMeterStats | undefined>;
  /** Deletes the datapath meter and frees its id; a meter already gone is not an error. */
  del(dpId: number): Promise<void>;
}

/** OVS `id_pool` semantics over [0, size). */
export class IdPool {
  private readonly used = new Set<number>();
  private nextFree = 0;
  constructor(readonly size: number) {}

  /** The next free id (see the module comment), or undefined when all are taken. */
  alloc(): number | undefined {
    let id: number | undefined;
    if (this.nextFree < this.size && !this.used.has(this.nextFree)) id = this.nextFree;
    else for (let i = 0; i < this.size; i++) if (!this.used.has(i)) { id = i; break; }
    if (id === undefined) return undefined;
    this.used.add(id);
    this.nextFree = id + 1 < this.size ? id + 1 : 0;
    return id;
  }

  /** Returns `id` to the pool. */
  free(id: number): void {
    if (!this.used.delete(id)) return;
    if (id < this.nextFree) this.nextFree = id;
  }
}

/** OVS meter_set()'s errno → OpenFlow error. */
function meterSetError(e: unknown): OfpError {
  if (e instanceof OfpError) return e;
  const code = e instanceof NetlinkError ? e.code : '';
  const name = code === 'EFBIG' || code === 'ENOMEM' ? 'OFPMMFC_OUT_OF_METERS'
    : code === 'EBADF' ? 'OFPMMFC_BAD_FLAGS'
      : code === 'EINVAL' ? 'OFPMMFC_OUT_OF_BANDS'
        : code === 'ENODEV' ? 'OFPMMFC_BAD_BAND'
          : code === 'EDOM' ? 'OFPMMFC_BAD_RATE' : 'OFPMMFC_UNKNOWN';
  return new OfpError(name, (e as Error).message);
}

/** The datapath's meters over `ovs_meter` (one instance per datapath, shared by its bridges). */
export class DpifMeters implements DpMeters {
  private readonly pool: IdPool;

  /**
   * @param maxMeters `OVS_METER_ATTR_MAX_METERS` of the datapath (0: no meters, every set fails
   *   with OFPMMFC_OUT_OF_METERS)
   * @param onError logs a failed delete (errno and context are in the message)
   */
  constructor(private readonly dpif: DpifNetlink, private readonly dpIfindex: number, maxMeters: number, private readonly onError: (text: string) => void) {
    this.pool = new IdPool(maxMeters);
  }

  async set(dpId: number | undefined, config: MeterConfig): Promise<number> {
    // OVS meter_set() allocates the id first and does not give it back when the set fails
    // (the next meter then gets the next id); kept, so datapath meter ids match OVS's.
    let id = dpId;
    if (id === undefined) {
      id = this.pool.alloc();
      if (id === undefined) throw new OfpError('OFPMMFC_OUT_OF_METERS');
    }
    // OVS dpif_meter_set(), then dpif_netlink_meter_set__().
    const unit = config.flags & (OFPMF13_KBPS | OFPMF13_PKTPS);
    if (!unit || unit === (OFPMF13_KBPS | OFPMF13_PKTPS)) throw new OfpError('OFPMMFC_BAD_FLAGS');
    if (!config.bands.length) throw new OfpError('OFPMMFC_OUT_OF_BANDS');
    if (config.bands.some((b) => b.rate === 0)) throw new OfpError('OFPMMFC_BAD_RATE');
    if (config.flags & ~DP_SUPPORTED_METER_FLAGS) throw new OfpError('OFPMMFC_BAD_FLAGS');
    if (config.bands.some((b) => b.type !== OFPMBT13_DROP)) throw new OfpError('OFPMMFC_BAD_BAND');
    const burst = (config.flags & OFPMF13_BURST) !== 0;
    try {
      await this.dpif.meterSet(this.dpIfindex, id, (config.flags & OFPMF13_KBPS) !== 0,
        config.bands.map((b) => ({ type: OVS_METER_BAND_TYPE_DROP, rate: b.rate, burst: burst ? b.burstSize : b.rate })));
    } catch (e) {
      throw meterSetError(e);
    }
    return id;
  }

  async stats(dpId: number): Promise<DpMeterStats | undefined> {
    try {
      const m = await this.dpif.meterGet(this.dpIfindex, dpId);
      return {
        packets: m.stats?.packets ?? 0n,
        bytes: m.stats?.bytes ?? 0n,
        bands: (m.bands ?? []).map((b) => ({ packets: b.stats?.packets ?? 0n, bytes: b.stats?.bytes ?? 0n })),
      };
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async del(dpId: number): Promise<void> {
    try {
      await this.dpif.meterDel(this.dpIfindex, dpId);
    } catch (e) {
      if (!(e instanceof NetlinkError && e.code === 'ENOENT')) this.onError(`deleting datapath meter ${dpId}: ${(e as Error).message}`);
    }
    this.pool.free(dpId);
  }
}
