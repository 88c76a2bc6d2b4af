/**
 * The messages exchanged between the main thread and the handler/revalidator workers
 * (DESIGN.md §4: structured messages with an explicit `type`). Everything here is a plain object
 * that survives `postMessage`'s structured clone (Buffers arrive as Uint8Arrays).
 */
import type { OfprotoConfig } from '../ofproto-dpif/ofproto';
import type { FlowTablesDelta } from '../ofproto-dpif/flow-table';
import type { OvsFamilies } from '../dpif-netlink/requests';
import type { FinTimeoutEffect, LearnedFlow } from '../ofproto-dpif/xlate-learn';

/** A vlog level a worker may log at. */
export type WorkerLogLevel = 'emer' | 'err' | 'warn' | 'info' | 'dbg';

/** One rule's counters to add: [rule id, packets, bytes, last used (Date.now() ms)]. */
export type RuleCredit = [ruleId: number, packets: bigint, bytes: bigint, usedMs: number];

/** One OpenFlow table's lookup counters to add: [table id, lookups that matched, lookups that missed]. */
export type TableCredit = [tableId: number, matched: bigint, missed: bigint];

/** A packet a translation sent to the controller, as a handler reports it. */
export interface WorkerPacketIn {
  /** the packet at the controller action */
  packet: Uint8Array;
  /** its length, bytes */
  totalLen: number;
  /** OpenFlow input port */
  inPort: number;
  /** OVS's internal OFPR_* reason (ofp-switch.ts) */
  reason: number;
  tableId: number;
  cookie: bigint;
  ruleId?: number;
  /** flow bytes at the controller action (metadata for the packet-in match) */
  flow: Uint8Array;
  maxLen: number;
  controllerId: number;
  userdata?: Uint8Array;
  pause?: boolean;
}

/** Main thread → worker. */
export type ToWorker =
  /** a new configuration snapshot (bridges, ports, translation settings) */
  | { type: 'config'; config: OfprotoConfig }
  /** a change to one bridge's flow tables, applied whole between two batches */
  | { type: 'flow-delta'; bridge: string; delta: FlowTablesDelta }
  /** revalidator settings: `other_config:max-idle`, ms */
  | { type: 'settings'; maxIdleMs: number }
  /** revalidator: delete every datapath flow now (`revalidator/purge`) */
  | { type: 'purge' }
  /** per-vport dispatch: the pid userspace actions carry (xlate-controller.ts `setThreadUpcallPid`) */
  | { type: 'upcall-pid'; pid: number }
  /** stop the loop, close sockets, exit */
  | { type: 'exit' };

/** Worker → main thread. */
export type FromWorker =
  /** the worker's sockets are open; `portId` is the netlink port id its upcall socket owns */
  | { type: 'ready'; portId: number }
  /** a log line for the main thread's vlog */
  | { type: 'log'; module: string; level: WorkerLogLevel; text: string }
  /** revalidator: the result of one dump pass */
  | { type: 'dump-done'; flows: number; deleted: number; durationMs: number; ukeys: number }
  /** handler: a packet for the controller */
  | { type: 'packet-in'; bridge: string; pin: WorkerPacketIn }
  /** counters to add to rules, per bridge, batched */
  | { type: 'rule-stats'; bridge: string; credits: RuleCredit[]; tables: TableCredit[] }
  /** a translation's side effects for the main thread: learned flows, fin_timeout reductions */
  | { type: 'xlate-effects'; bridge: string; learns: LearnedFlow[]; finTimeouts: FinTimeoutEffect[] };

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
  /** the recirculation id pool every thread shares (`RecircPool.buffer`, recirc.ts) */
  recircPool?: SharedArrayBuffer;
}
