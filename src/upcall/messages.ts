/**
 * The messages exchanged between the main thread and the handler/revalidator workers
 * (DESIGN.md §4: structured messages with an explicit `type`). Everything here is a plain object
 * that survives `postMessage`'s structured clone.
 */
import type { OfprotoConfig } from '../ofproto-dpif/ofproto';
import type { OvsFamilies } from '../dpif-netlink/requests';

/** A vlog level a worker may log at. */
export type WorkerLogLevel = 'emer' | 'err' | 'warn' | 'info' | 'dbg';

/** Main thread → worker. */
export type ToWorker =
  /** a new configuration snapshot (ports, tables) */
  | { type: 'config'; config: OfprotoConfig }
  /** revalidator settings: `other_config:max-idle`, ms */
  | { type: 'settings'; maxIdleMs: number }
  /** revalidator: delete every datapath flow now (`revalidator/purge`) */
  | { type: 'purge' }
  /** stop the loop, close sockets, exit */
  | { type: 'exit' };

/** Worker → main thread. */
export type FromWorker =
  /** the worker's sockets are open; `portId` is the netlink port id its upcall socket owns */
  | { type: 'ready'; portId: number }
  /** a log line for the main thread's vlog */
  | { type: 'log'; module: string; level: WorkerLogLevel; text: string }
  /** revalidator: the result of one dump pass */
  | { type: 'dump-done'; flows: number; deleted: number; durationMs: number; ukeys: number };

/** What every worker receives as `workerData`. */
export interface WorkerInit {
  /** handler number, or 0 for the revalidator */
  index: number;
  families: OvsFamilies;
  dpIfindex: number;
  config: OfprotoConfig;
  /** revalidator: `other_config:max-idle`, ms */
  maxIdleMs: number;
  /** upcall socket receive buffer, bytes */
  rcvbufBytes: number;
  /** the MAC table every thread shares (`MacTable.buffer`) */
  macTable: SharedArrayBuffer;
  /** the coverage counters every thread bumps (`SharedCoverage.buffer`) */
  coverage: SharedArrayBuffer;
  /** the per-bridge rule counters every thread credits (`RuleStats.buffer`) */
  ruleStats: SharedArrayBuffer;
}
