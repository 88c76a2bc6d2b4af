/**
 * udpif: the main thread's side of the upcall machinery. Starts the handler and revalidator
 * worker_threads, registers the handlers' netlink port ids with the datapath (per-CPU dispatch,
 * `OVS_DP_ATTR_PER_CPU_PIDS`, or per-vport `OVS_VPORT_ATTR_UPCALL_PID` on kernels without it),
 * ships configuration snapshots and flow table deltas to every worker, owns the MAC table they
 * share, and passes on what workers report: packets for the controller ('packet-in') and rule
 * statistics ('rule-stats').
 */
import { EventEmitter } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DatapathInfo, DpifNetlink } from '../dpif-netlink/dpif';
import type { OfprotoConfig } from '../ofproto-dpif/ofproto';
import type { FlowTablesDelta } from '../ofproto-dpif/flow-table';
import type { FinTimeoutEffect, LearnedFlow } from '../ofproto-dpif/xlate-learn';
import type { FromWorker, RuleCredit, TableCredit, ToWorker, WorkerInit, WorkerPacketIn } from './messages';
import type { VlogModule } from '../util/vlog';
import { vlogModule } from '../util/vlog';
import { MacTable } from '../ofproto-dpif/mac-learning';
import { SharedCoverage } from '../unixctl/coverage';
import { threadRecircPool } from '../ofproto-dpif/recirc';
import { setThreadUpcallPid } from '../ofproto-dpif/xlate-controller';

// Registered at load time: workers log under this module through the main thread.
const upcallLog = vlogModule('ofproto_dpif_upcall');

/** Default `other_config:max-idle`, ms (ovs-vswitchd.conf.db(5)). */
export const DEFAULT_MAX_IDLE_MS = 10000;

/** Settings of the upcall machinery, from `Open_vSwitch:other_config`. */
export interface UdpifSettings {
  /** number of handler threads (`n-handler-threads`); default: one per CPU */
  nHandlers: number;
  /** `max-idle`, ms */
  maxIdleMs: number;
}

/** What the revalidator's dumps have shown so far (`upcall/show`, `memory/show`). */
export interface RevalidatorStats {
  /** completed dump passes */
  dumps: number;
  /** flows in the last dump */
  flows: number;
  /** OVS's running average of flows per dump: (previous average + flows) / 2, truncated */
  avgFlows: number;
  /** most flows seen in one dump */
  maxFlows: number;
  /** flows the revalidator tracks (OVS: udpif keys) after the last dump */
  ukeys: number;
  /** duration of the last dump, ms */
  durationMs: number;
}

/**
 * A packet a translation sent to the controller (event 'packet-in'): the worker's report plus
 * the bridge. `reason` is OVS's internal OFPR_* value (OFPR_IMPLICIT_MISS for a table miss,
 * OFPR_EXPLICIT_MISS for a table-miss rule's controller action), `cookie` is 0 for a table miss
 * and all-ones when no rule was involved; the main thread truncates to `maxLen` and filters per
 * connection.
 */
export interface UdpifPacketIn extends WorkerPacketIn {
  bridge: string;
}

/**
 * The events a {@link Udpif} emits:
 * - 'packet-in' (pin: UdpifPacketIn), once per packet a controller action or table miss sends up;
 * - 'rule-stats' (bridge: string, credits: RuleCredit[], tables: TableCredit[]): counters to add to the bridge's rules
 *   ([rule id, packets, bytes, last used as Date.now() ms]) and to its tables' lookup counters
 *   ([table id, matched, missed]), batched by each worker at most every
 *   100 ms and at the end of each revalidator dump (before its 'dump-done').
 */
export interface UdpifEvents {
  'packet-in': [pin: UdpifPacketIn];
  'rule-stats': [bridge: string, credits: RuleCredit[], tables: TableCredit[]];
  /** learned flows and fin_timeout reductions a worker's translation produced */
  'xlate-effects': [bridge: string, learns: LearnedFlow[], finTimeouts: FinTimeoutEffect[]];
}

interface WorkerHandle {
  name: string;
  worker: Worker;
  portId: number;
  exited: Promise<void>;
}

/** The upcall machinery of one datapath. */
export class Udpif extends EventEmitter<UdpifEvents> {
  private handlers: WorkerHandle[] = [];
  private revalidator?: WorkerHandle;
  private config: OfprotoConfig = { version: 0, bridges: [] };
  /** messages posted before every worker was running, delivered in order once they are */
  private queued: ToWorker[] | undefined = [];
  private maxIdleMs = DEFAULT_MAX_IDLE_MS;
  /** the MAC table all workers share */
  readonly macTable = new MacTable();
  /** the recirculation ids all threads share: the main thread's own pool (packet-outs, traces) */
  readonly recircPool = threadRecircPool();
  private readonly dumpStats: RevalidatorStats = { dumps: 0, flows: 0, avgFlows: 0, maxFlows: 0, ukeys: 0, durationMs: 0 };
  private dumpWaiters: Array<{ after: number; resolve: () => void }> = [];

  constructor(
    private readonly dpif: DpifNetlink,
    private readonly dp: DatapathInfo,
    private readonly log: VlogModule = upcallLog,
    /** the coverage counters workers bump */
    readonly coverage: SharedCoverage = new SharedCoverage(),
  ) {
    super();
  }

  /** The default number of handlers: one per CPU, as the issue and OVS's per-CPU mode want. */
  static defaultHandlers(): number {
    return Math.max(1, os.cpus().length);
  }

  /** Netlink port ids of the handlers' upcall sockets, in handler order. */
  get handlerPids(): number[] {
    return this.handlers.map((h) => h.portId);
  }

  private spawn(file: string, name: string, init: WorkerInit): Promise<WorkerHandle> {
    const worker = new Worker(path.join(__dirname, file), { workerData: init, name });
    return new Promise((resolve, reject) => {
      let ready = false;
      const exited = new Promise<void>((res) => worker.once('exit', () => res()));
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready' && !ready) {
          ready = true;
          resolve({ name, worker, portId: m.portId, exited });
        } else this.onWorkerMessage(name, m);
      });
      worker.once('error', (e) => {
        this.log.err(`${name} failed: ${e.stack ?? e}`);
        if (!ready) reject(e);
      });
      worker.once('exit', (code) => {
        if (!ready) reject(new Error(`${name} exited with code ${code} before it was ready`));
        else if (code !== 0) this.log.err(`${name} exited with code ${code}`);
      });
    });
  }

  private onWorkerMessage(name: string, m: FromWorker): void {
    switch (m.type) {
      case 'log': {
        const lg = vlogModule(m.module);
        lg[m.level](m.text);
        break;
      }
      case 'dump-done': {
        if (m.deleted) this.log.dbg(`revalidator: ${m.flows} flows dumped in ${m.durationMs} ms, ${m.deleted} deleted`);
        const d = this.dumpStats;
        d.dumps++;
        d.flows = m.flows;
        d.maxFlows = Math.max(d.maxFlows, m.flows);
        d.avgFlows = Math.floor((d.avgFlows + m.flows) / 2);
        d.ukeys = m.ukeys;
        d.durationMs = m.durationMs;
        const due = this.dumpWaiters.filter((w) => d.dumps >= w.after);
        this.dumpWaiters = this.dumpWaiters.filter((w) => d.dumps < w.after);
        for (const w of due) w.resolve();
        break;
      }
      case 'packet-in':
        this.emit('packet-in', { ...m.pin, bridge: m.bridge });
        break;
      case 'rule-stats':
        this.emit('rule-stats', m.bridge, m.credits, m.tables);
        break;
      case 'xlate-effects':
        this.emit('xlate-effects', m.bridge, m.learns, m.finTimeouts);
        break;
      case 'ready':
        this.log.warn(`${name} said ready twice`);
        break;
    }
  }

  /**
   * Starts the workers and registers the handlers' sockets for upcalls.
   * With per-CPU dispatch, CPU i's upcalls go to handler i mod n.
   *
   * @param settings handler count and max-idle
   * @param config the initial configuration snapshot
   * @throws NetlinkError when the datapath refuses the PIDs
   */
  async start(settings: UdpifSettings, config: OfprotoConfig): Promise<void> {
    this.config = config;
    this.maxIdleMs = settings.maxIdleMs;
    const base = {
      families: this.dpif.families,
      dpIfindex: this.dp.dpIfindex,
      config,
      maxIdleMs: settings.maxIdleMs,
      rcvbufBytes: 4 << 20,
      macTable: this.macTable.buffer,
      coverage: this.coverage.buffer,
      recircPool: this.recircPool.buffer,
    };

    this.handlers = await Promise.all(
      Array.from({ length: settings.nHandlers }, (_, i) => this.spawn('handler.js', `handler${i + 1}`, { ...base, index: i })),
    );
    this.revalidator = await this.spawn('revalidator.js', 'revalidator1', { ...base, index: 0 });
    const queued = this.queued ?? [];
    this.queued = undefined;
    for (const m of queued) {
      if (m.type === 'config') this.config = m.config;
      this.postAll(m);
    }
    if (this.dp.perCpuDispatch) {
      const ncpu = os.cpus().length;
      const pids = Array.from({ length: ncpu }, (_, cpu) => this.handlers[cpu % this.handlers.length].portId);
      await this.dpif.setPerCpuPids(this.dp.dpIfindex, pids);
      this.log.info(`Datapath dispatch mode: per-cpu, ${this.handlers.length} handlers for ${ncpu} CPUs`);
    } else {
      this.log.info(`Datapath dispatch mode: per-vport, ${this.handlers.length} handlers`);
      // Controller userspace actions name one handler's socket, the same in every thread.
      if (this.handlers.length) {
        setThreadUpcallPid(this.handlers[0].portId);
        this.postAll({ type: 'upcall-pid', pid: this.handlers[0].portId });
      }
    }
  }

  /** The upcall PIDs a new vport should carry (per-vport dispatch), or [0] in per-CPU mode. */
  vportUpcallPids(): number[] {
    return this.dp.perCpuDispatch || this.handlers.length === 0 ? [0] : this.handlerPids;
  }

  private postAll(msg: ToWorker): void {
    if (this.queued) {
      this.queued.push(msg);
      return;
    }
    for (const h of this.handlers) h.worker.postMessage(msg);
    this.revalidator?.worker.postMessage(msg);
  }

  /** Ships a new configuration snapshot (bridges, ports, translation settings) to every worker. */
  setConfig(config: OfprotoConfig): void {
    this.config = config;
    this.postAll({ type: 'config', config });
  }

  /**
   * Ships a change of bridge `bridge`'s flow tables to every worker (handlers and revalidator),
   * in call order, after any configuration posted before it (post the configuration that creates
   * a bridge first). Workers apply it whole between two batches; revalidators then re-translate
   * their megaflows. Changes (and configurations) given before {@link start} has finished reach
   * the workers, in order, as soon as they all run.
   */
  applyFlowDelta(bridge: string, delta: FlowTablesDelta): void {
    this.postAll({ type: 'flow-delta', bridge, delta });
  }

  /** Current configuration snapshot. */
  getConfig(): OfprotoConfig {
    return this.config;
  }

  /** Changes `max-idle` (ms) for the revalidator. */
  setMaxIdle(ms: number): void {
    if (ms === this.maxIdleMs) return;
    this.maxIdleMs = ms;
    this.revalidator?.worker.postMessage({ type: 'settings', maxIdleMs: ms } satisfies ToWorker);
    this.log.info(`max-idle set to ${ms} ms`);
  }

  /** Number of handler threads running. */
  get nHandlers(): number {
    return this.handlers.length;
  }

  /** Number of revalidator threads running (0 or 1). */
  get nRevalidators(): number {
    return this.revalidator ? 1 : 0;
  }

  /** A copy of what the revalidator's dumps have shown so far. */
  revalidatorStats(): RevalidatorStats {
    return { ...this.dumpStats };
  }

  /**
   * Resolves once the revalidator has completed `n` more dump passes (`revalidator/wait` waits
   * for one; after {@link purge}, two guarantee a whole pass that began after the request).
   * Never resolves while no revalidator runs.
   */
  dumpsCompleted(n = 1): Promise<void> {
    return new Promise((resolve) => this.dumpWaiters.push({ after: this.dumpStats.dumps + n, resolve }));
  }

  /** Asks the revalidator to delete every datapath flow on its next pass. */
  purge(): void {
    this.revalidator?.worker.postMessage({ type: 'purge' } satisfies ToWorker);
  }

  /** Stops every worker (their sockets close; kernel flows stay). */
  async stop(): Promise<void> {
    const all = [...this.handlers, ...(this.revalidator ? [this.revalidator] : [])];
    for (const w of all) w.worker.postMessage({ type: 'exit' } satisfies ToWorker);
    await Promise.race([Promise.all(all.map((w) => w.exited)), new Promise((r) => setTimeout(r, 2000).unref())]);
    await Promise.all(all.map((w) => w.worker.terminate()));
    this.handlers = [];
    this.revalidator = undefined;
  }
}
