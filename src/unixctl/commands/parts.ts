/**
 * What unixctl commands may consult: the daemon's parts, filled in as startup proceeds. The
 * server starts before any of them exists (as OVS's does, so `ovs-appctl exit` works while the
 * daemon waits for its database), so every command must cope with absent parts; it then answers
 * as OVS does when it has no datapath or bridges (no output, `no such bridge`, …).
 */
import type { OvsdbClient } from '../../bridge/ovsdb-client';
import type { DatapathInfo, DpifNetlink } from '../../dpif-netlink/dpif';
import type { BridgeConfig } from '../../ofproto-dpif/ofproto';
import type { Udpif } from '../../upcall/udpif';
import type { FlowTables } from '../../ofproto-dpif/flow-table';
import type { XlateBridge } from '../../ofproto-dpif/xlate';

/** The daemon's parts; each is set once it is up. */
export interface DaemonParts {
  /** The control socket of the datapath interface. */
  dpif?: DpifNetlink;
  /** The datapath every bridge lives in. */
  dp?: DatapathInfo;
  /** The upcall machinery (handlers, revalidator, MAC table, counters). */
  udpif?: Udpif;
  /** The database client and its replica. */
  ovsdb?: OvsdbClient;
  /** Each bridge's OpenFlow tables and connections (the main thread's ofproto), by bridge name. */
  ofprotos?: ReadonlyMap<string, { readonly tables: FlowTables; readonly connmgr?: { reconnect(): void } }>;
  /** A bridge as translation on the main thread sees it (ofproto/trace), by bridge name. */
  xlateBridge?: (name: string) => XlateBridge | undefined;
}

/** Returns the daemon's parts as they are now. */
export type PartsGetter = () => DaemonParts;

/** The bridges as ofproto has them (configured in the datapath), in configuration order. */
export function bridgesOf(parts: DaemonParts): BridgeConfig[] {
  return parts.udpif?.getConfig().bridges ?? [];
}

/** The bridge named `name`, if it is configured. */
export function findBridge(parts: DaemonParts, name: string): BridgeConfig | undefined {
  return bridgesOf(parts).find((b) => b.name === name);
}

/** CLOCK_MONOTONIC in ms: the clock of the kernel's flow `used` times and of MAC entry ages. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000000n);
}
