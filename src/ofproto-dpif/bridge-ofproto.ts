/**
 * One bridge's OpenFlow switch on the main thread (OVS's `struct ofproto` and
 * `handle_openflow()` in ofproto/ofproto.c): its ports as OpenFlow describes them, its flow
 * tables, groups and meters, and its connection manager. Every OpenFlow message any connection
 * sends is handled here; what the datapath must see (rules) goes to the upcall workers as
 * `FlowTablesDelta`s before the next message of that connection is handled, so a BARRIER_REPLY
 * is only sent once the workers have the change queued (DESIGN.md §1 "A flow_mod").
 *
 * Default flows follow OVS's `connmgr_flushed()`: a bridge in fail_mode standalone with no
 * controller gets `priority=0 actions=NORMAL` when it is created and whenever its controllers
 * or fail mode change; `ovs-ofctl del-flows` removes it for good.
 */
import { OFPG_ANY, OFPG_MAX, OFPP_ANY, OFPP_LOCAL, OFPP_MAX, OFPP_NONE, OFPP_NORMAL, OFP_NO_BUFFER, OFP10_VERSION, OFP13_VERSION } from '../openflow/common';
import { Connmgr, ControllerSettings, Ofconn, SslConfig } from '../openflow/connmgr';
import { Match } from '../openflow/match';
import { OfpError } from '../openflow/ofp-errors';
import {
  decodeFlowMod, decodeFlowStatsRequest, encodeAggregateStatsReply, encodeFlowRemoved, encodeFlowStatsReply, FlowMod,
  OFPRR_DELETE,
} from '../openflow/ofp-flow';
import { decodeBundleAdd, decodeBundleCtrl, encodeBundleCtrl, OFPBCT_CLOSE_REPLY, OFPBCT_CLOSE_REQUEST, OFPBCT_COMMIT_REPLY, OFPBCT_COMMIT_REQUEST, OFPBCT_DISCARD_REPLY, OFPBCT_DISCARD_REQUEST, OFPBCT_OPEN_REPLY, OFPBCT_OPEN_REQUEST } from '../openflow/ofp-bundle';
import {
  decodeGroupDescRequest, decodeGroupMod, decodeGroupStatsRequest, encodeGroupDescReply, encodeGroupFeaturesReply,
  encodeGroupStatsReply, Bucket, GroupDesc, OFPG15_BUCKET_ALL, OFPG15_BUCKET_FIRST, OFPG15_BUCKET_LAST, OFPG15_BUCKET_MAX,
} from '../openflow/ofp-group';
import {
  decodeMeterMod, decodeMeterRequest, encodeMeterConfigReply, encodeMeterFeaturesReply, encodeMeterStatsReply, MeterConfig,
  OFPM13_ALL, OFPM13_CONTROLLER, OFPM13_MAX, OFPM13_SLOWPATH, OFPMBT13_DROP, OFPMF13_BURST, OFPMF13_KBPS, OFPMF13_PKTPS, OFPMF13_STATS,
} from '../openflow/ofp-meter';
import { decodeMsg, encodeMultipartReply, OfpMsg, rawReplyFor } from '../openflow/ofp-msgs';
import { COOKIE_NONE, decodePacketOut, encodePacketIn } from '../openflow/ofp-packet';
import { MF_FIELDS, mfField, mfGetValue, mfIsPipelineField } from '../openflow/meta-flow';
import {
  decodePortDescRequest, decodePortMod, decodePortStatsRequest, decodeQueueGetConfigRequest, decodeQueueStatsRequest,
  encodePortDescReply, encodePortStatsReply, encodePortStatus, encodeQueueGetConfigReply, encodeQueueStatsReply,
  OFPPR_ADD, OFPPR_DELETE, OFPPR_MODIFY, OFPUTIL_PC_PORT_DOWN, PortDesc, PortStats,
  OFPQ_ALL, STATS_UNKNOWN,
} from '../openflow/ofp-port';
import {
  asyncConfigDefault, decodeFlowModTableId, decodeRoleMessage, decodeSetAsync, decodeSetConfig, decodeSetControllerId,
  decodeSetFlowFormat, decodeSetPacketInFormat, encodeBarrierReply, encodeDescReply, encodeFeaturesReply,
  encodeGetAsyncReply, encodeGetConfigReply, encodeRoleReply, OAM_FLOW_REMOVED, OAM_PORT_STATUS, OFPCR12_ROLE_EQUAL,
  OFPCR12_ROLE_NOCHANGE, OFPCR12_ROLE_PRIMARY, OFPCR12_ROLE_SECONDARY, OFPUTIL_C_ARP_MATCH_IP, OFPUTIL_C_FLOW_STATS,
  OFPUTIL_C_GROUP_STATS, OFPUTIL_C_PORT_STATS, OFPUTIL_C_QUEUE_STATS, OFPUTIL_C_TABLE_STATS, OFPUTIL_C_BUNDLES,
  OFPC_FRAG_NORMAL, OFPC_FRAG_REASM, OAM_PACKET_IN, OFPR_EXPLICIT_MISS, OFPR_IMPLICIT_MISS, OFPR_NO_MATCH,
} from '../openflow/ofp-switch';
import { ALL_OFPACT_FEATURES, TableFeatures, TableMiss, decodeTableMod, defaultTableFeatures, encodeTableDescReply, encodeTableFeaturesEntry, encodeTableStatsReply } from '../openflow/ofp-table';
import { decodeTlvTableMod, encodeTlvTableReply, TlvTable } from '../openflow/ofp-tlv';
import { hashInt } from '../util/ovs-hash';
import { Hmap } from '../util/hmap';
import { flattenOfpacts, Ofpact } from '../openflow/ofpacts';
import { checkOfpacts as checkActions } from '../openflow/ofp-actions';
import { FlowTables, FlowTablesChange, flowRemovedOf, flowTablesDelta, FlowTablesDelta, FlowModsError, TableSettings, wantsFlowRemoved } from './flow-table';
import { applyLearnedFlow, FinTimeoutEffect, LearnedFlow, reviveLearnedFlow } from './xlate-learn';
import { FlowMonitorOrigin, FlowMonitors } from './flow-monitor';
import type { VlogModule } from '../util/vlog';
import type { DpMeters } from './dp-meters';
import { CtFlushRequest, decodeCtFlush, decodeCtFlushZone } from '../openflow/ofp-ct';

/** One port as the bridge knows it. */
export interface OfprotoPort {
  /** the OpenFlow description (16-bit internal port number, name, MAC, config/state, features) */
  desc: PortDesc;
  /** datapath port number */
  odpPort: number;
  /** when the port was added, ms (port stats `duration`) */
  createdMs: number;
}

/** Kernel counters of one port, for port stats (OVS `netdev_stats`), any unknown = undefined. */
export interface PortCounters {
  rxPackets: bigint; txPackets: bigint; rxBytes: bigint; txBytes: bigint;
  rxDropped?: bigint; txDropped?: bigint; rxErrors?: bigint; txErrors?: bigint;
}

/** A packet that translation sends to the controllers (from a handler or a packet-out). */
export interface PacketInEvent {
  /** the packet as it was when the controller action ran */
  packet: Uint8Array;
  /** its length before any truncation, bytes */
  totalLen: number;
  /** OVS's internal reason: OFPR_ACTION, OFPR_EXPLICIT_MISS (table-miss rule), OFPR_IMPLICIT_MISS (no rule), … */
  reason: number;
  tableId: number;
  /** the rule's cookie: 0 for a table miss (OVS's miss rule has cookie 0), 2^64-1 without any rule (packet-out) */
  cookie: bigint;
  /** the flow at the controller action (FLOW_LEN bytes): the pipeline fields become the packet-in's match */
  flow: Uint8Array;
  /** bytes of the packet to send (OFPCML_NO_BUFFER = 0xffff: all); misses use each connection's miss_send_len */
  maxLen: number;
  /** `controller(id=N)`: only connections with that controller id get it */
  controllerId: number;
  userdata?: Uint8Array;
}

/** `max_len` meaning "send the whole packet" (OFPCML_NO_BUFFER, OpenFlow 1.2+ §7.2.5). */
const OFPCML_NO_BUFFER = 0xffff;

/** What the bridge needs from the rest of the daemon. */
export interface BridgeOfprotoEnv {
  log: VlogModule;
  /** ships a flow table change to the upcall workers, in order */
  applyFlowDelta(bridge: string, delta: FlowTablesDelta): void;
  /** the kernel's counters of datapath port `odpPort` */
  portCounters(odpPort: number): Promise<PortCounters | undefined>;
  /**
   * sets a port's netdev administratively up or down (OFPPC_PORT_DOWN through PORT_MOD) and
   * refreshes the ports' descriptions; failures are the env's to log (OVS ignores them too)
   */
  setPortUp?(name: string, up: boolean): Promise<void>;
  /** the datapath's meter limits (OVS `dpif_meter_get_features`); DEFAULT_METER_FEATURES when absent */
  meterFeatures?: { maxMeters: number; maxBands: number };
  /** the datapath's meters; without them meters exist only in OpenFlow (no rate limiting) */
  meters?: DpMeters;
  /** flushes the kernel's conntrack entries a NXT_CT_FLUSH(_ZONE) selects */
  ctFlush?(req: CtFlushRequest): Promise<void>;
  /** the worker settings of {@link BridgeOfproto.workerSettings} may have changed */
  settingsChanged?(): void;
  /** a controller connection's status changed: `Controller.is_connected`/`role`/`status` to write */
  statusChanged?(): void;
  /** executes a PACKET_OUT: translation and the datapath execute are the daemon's business */
  packetOut?(bridge: string, packet: Buffer, inPort: number, ofpacts: Ofpact[]): Promise<void>;
}

/** Settings from the bridge's OVSDB row. */
export interface BridgeOfprotoSettings {
  datapathId: bigint;
  failMode: 'standalone' | 'secure';
  /** allowed versions bitmap (`Bridge.protocols`) */
  allowedVersions: number;
  controllers: ControllerSettings[];
  /** `Bridge.flow_tables`: the `Flow_Table` settings of the tables that have a row; others get the defaults */
  tables?: ReadonlyMap<number, TableSettings>;
  /** the `SSL` row, for `ssl:`/`pssl:` controllers */
  ssl?: SslConfig;
}

/** One group and its counters. */
interface Group {
  desc: GroupDesc;
  createdMs: number;
}

/** One meter and its counters. */
interface Meter {
  config: MeterConfig;
  createdMs: number;
  /** the datapath meter it is installed as, when the datapath has meters */
  dpId?: number;
}

/** An open OpenFlow bundle (OpenFlow 1.4 §7.3.9 / ONF extension 230). */
interface Bundle {
  flags: number;
  closed: boolean;
  msgs: OfpMsg[];
}

const BUNDLES = 'bundles';
/** How often timeouts are checked (OVS checks once per main-loop pass; 1 s granularity suffices for seconds). */
const EXPIRY_INTERVAL_MS = 1000;
/**
 * How long a replaced rule's counters are forwarded to its replacement: long enough for the
 * revalidators to re-translate every megaflow that went through it (a few passes), ms.
 */
const FORWARD_KEEP_MS = 10_000;
/** OVS `FAIL_OPEN_PRIORITY`: the fail-open NORMAL rule sits above every OpenFlow priority (hidden). */
export const FAIL_OPEN_PRIORITY = 0xf0f0f0;

/**
 * The OpenFlow switch of one bridge.
 */
export class BridgeOfproto {
  readonly tables: FlowTables;
  readonly monitors: FlowMonitors;
  readonly connmgr: Connmgr;
  readonly ports = new Map<number, OfprotoPort>();
  /** port numbers in `ofproto->ports` order (hash_ofp_port = hash_int(port, 0)) */
  private readonly portOrder = new Hmap<number, number>((no) => hashInt(no, 0));
  private readonly tlv = new TlvTable();
  private readonly groups = new Map<number, Group>();
  /**
   * Group ids in the order OVS's `ofproto->groups` cmap visits them: for the few groups a
   * bridge usually has (one cmap bucket), slot order, a new group taking the first free slot.
   */
  private readonly groupSlots: (number | undefined)[] = [];
  private readonly meters = new Map<number, Meter>();
  private settings: BridgeOfprotoSettings;
  /** the Flow_Table settings last applied, as JSON */
  private tablesKey?: string;
  /** table features and their encodings per version (see featuresCache) */
  private featuresCached?: { key: string; features: TableFeatures[]; entries: Map<number, Buffer[]> };
  /** fail-open mode is on (OVS `fail_open_is_active()`) */
  private failOpenActive = false;
  private failOpenLastDisconnS = 0;
  private fragHandling = OFPC_FRAG_NORMAL;
  private readonly expiryTimer: NodeJS.Timeout;
  private generationId?: bigint;
  private readonly meterFeatures: typeof DEFAULT_METER_FEATURES;

  constructor(readonly name: string, private readonly env: BridgeOfprotoEnv, settings: BridgeOfprotoSettings) {
    this.settings = settings;
    this.meterFeatures = { ...DEFAULT_METER_FEATURES, ...env.meterFeatures };
    this.tables = new FlowTables({ checkOfpacts: (ofpacts) => this.checkOfpacts(ofpacts) });
    this.monitors = new FlowMonitors({ queryRules: (q) => this.tables.queryRules(q), nTables: this.tables.nTables, warn: (t) => env.log.warn(t) });
    this.connmgr = new Connmgr(
      {
        handle: (c, m) => this.handle(c, m),
        connected: () => env.settingsChanged?.(),
        disconnected: (c) => this.disconnected(c),
      },
      { bridge: name, allowedVersions: settings.allowedVersions, warn: (t) => env.log.warn(t), info: (t) => env.log.info(t), err: (t) => env.log.err(t) },
    );
    // Controller connection state goes to the database (Controller.is_connected, status).
    this.connmgr.on('status', () => env.statusChanged?.());
    this.expiryTimer = setInterval(() => {
      this.expire();
      this.failOpenRun();
    }, EXPIRY_INTERVAL_MS);
    this.connmgr.on('admitted', () => this.failOpenRecover());
    this.expiryTimer.unref();
    this.configureTables(settings.tables);
    this.env.applyFlowDelta(name, this.tables.fullDelta());
    this.flushed();
  }

  /**
   * Applies `Flow_Table` settings to every table (OVS `bridge_configure_tables()`), when they
   * changed; rules a lowered flow_limit evicts are removed (FLOW_REMOVED with OFPRR_EVICTION).
   */
  private configureTables(tables: ReadonlyMap<number, TableSettings> = new Map()): void {
    const key = JSON.stringify([...tables].map(([id, t]) => [id, { ...t, evictionGroupMask: t.evictionGroupMask && Buffer.from(t.evictionGroupMask).toString('hex') }]));
    if (key === this.tablesKey) return;
    this.tablesKey = key;
    for (let id = 0; id < this.tables.nTables; id++) this.publish(this.tables.configureTable(id, tables.get(id) ?? {}));
  }

  /**
   * Starts serving `punix:<rundir>/<bridge>.mgmt` (what `ovs-ofctl <bridge>` connects to) and the
   * configured controllers.
   * @throws Error when the mgmt socket cannot be bound
   */
  async start(rundir: string): Promise<void> {
    if (this.settings.ssl) this.connmgr.setSslConfig(this.settings.ssl);
    await this.connmgr.addService(`punix:${rundir}/${this.name}.mgmt`, 'service', { target: 'mgmt', probeIntervalMs: 0, maxBackoffMs: 0 });
    await this.connmgr.setControllers(this.settings.controllers);
  }

  /** Applies new OVSDB settings; controller or fail-mode changes re-create the default flows as OVS does. */
  async configure(s: BridgeOfprotoSettings): Promise<void> {
    const hadControllers = this.settings.controllers.length > 0;
    const oldFail = this.settings.failMode;
    this.settings = s;
    // OVS update_fail_open(): fail-open exists only for standalone bridges with controllers.
    if (!s.controllers.length || s.failMode !== 'standalone') this.failOpenRecover();
    this.configureTables(s.tables);
    this.connmgr.setSslConfig(s.ssl);
    this.connmgr.setAllowedVersions(s.allowedVersions);
    await this.connmgr.setControllers(s.controllers);
    if (hadControllers !== s.controllers.length > 0 || (oldFail !== s.failMode && !s.controllers.length)) {
      this.flushFlows();
    }
  }

  /**
   * What the upcall workers must know of this bridge's OpenFlow state besides its rules
   * (`BridgeConfig` fields): fragment handling, table-miss configuration, whether a default
   * table miss goes to a controller (OVS `connmgr_wants_packet_in_on_miss()`: some connection
   * with controller id 0 speaks OpenFlow 1.0–1.2), and each port's OpenFlow config bits.
   */
  workerSettings(): { fragHandling: number; tableMiss: Record<number, TableMiss>; packetInOnMiss: boolean; portConfig: Record<number, number>; meters: Record<number, number>; portState: Record<number, number>; groups: GroupDesc[] } {
    const tableMiss: Record<number, TableMiss> = {};
    for (const t of this.tables.tableInfo()) if (t.miss !== 'default') tableMiss[t.tableId] = t.miss;
    let packetInOnMiss = false;
    for (const c of this.connmgr.connections()) if (c.controllerId === 0 && c.version < OFP13_VERSION) packetInOnMiss = true;
    const portConfig: Record<number, number> = {};
    for (const [no, p] of this.ports) if (p.desc.config) portConfig[no] = p.desc.config;
    const meters: Record<number, number> = {};
    for (const [id, m] of this.meters) if (m.dpId !== undefined) meters[id] = m.dpId;
    // Port state (link down) and groups: what the group action's bucket liveness and selection read.
    const portState: Record<number, number> = {};
    for (const [no, p] of this.ports) if (p.desc.state) portState[no] = p.desc.state;
    const groups = this.orderedGroups().map((g) => g.desc);
    return { fragHandling: this.fragHandling, tableMiss, packetInOnMiss, portConfig, meters, portState, groups };
  }

  /** Stops every connection and timer. */
  close(): void {
    clearInterval(this.expiryTimer);
    this.monitors.close();
    this.connmgr.close();
  }

  /** OVS `ofproto_flush_flows()` + `connmgr_flushed()`: removes every rule, then re-adds the defaults. */
  private flushFlows(): void {
    this.publish(this.tables.deleteRules(() => true, OFPRR_DELETE), false);
    this.flushed();
  }

  /**
   * OVS `connmgr_flushed()`: standalone without controllers gets `priority=0 actions=NORMAL`;
   * in fail-open mode, the hidden fail-open rule comes back (`fail_open_flushed()`).
   */
  private flushed(): void {
    if (this.failOpenActive) return this.addNormalFlow(FAIL_OPEN_PRIORITY);
    if (this.settings.controllers.length || this.settings.failMode !== 'standalone') return;
    this.addNormalFlow(0);
  }

  /** Adds a table-0 catch-all `actions=NORMAL` rule at `priority`. */
  private addNormalFlow(priority: number): void {
    const fm: FlowMod = {
      command: 'add', match: Match.catchall(), priority, cookie: 0n, cookieMask: 0n, newCookie: 0n, tableId: 0,
      idleTimeout: 0, hardTimeout: 0, importance: 0, flags: 0, bufferId: OFP_NO_BUFFER, outPort: OFPP_ANY,
      outGroup: OFPG_ANY, ofpacts: [{ type: 'output', port: OFPP_NORMAL, maxLen: 0 } as Ofpact], modifyCookie: false,
    };
    this.publish(this.tables.flowMod(fm));
  }

  /**
   * OVS `fail_open_run()`: a standalone bridge whose controllers have all been unreachable (not
   * admitted) for three probe intervals fails open: its flows are flushed and a hidden rule sends
   * everything to NORMAL, so the bridge keeps switching. Runs every second.
   */
  private failOpenRun(): void {
    if (this.settings.failMode !== 'standalone' || !this.settings.controllers.length) {
      if (this.failOpenActive) this.failOpenRecover();
      return;
    }
    const disconnS = this.connmgr.failureDurationS();
    if (disconnS <= 0 || disconnS < this.connmgr.maxProbeIntervalS() * 3) return;
    if (!this.failOpenActive) {
      this.env.log.warn(`Could not connect to controller (or switch failed controller's post-connection admission control policy) for ${disconnS} seconds, failing open`);
      this.failOpenLastDisconnS = disconnS;
      this.failOpenActive = true;
      this.flushFlows();
    } else if (disconnS > this.failOpenLastDisconnS + 60) {
      this.env.log.info(`Still in fail-open mode after ${disconnS} seconds disconnected from controller`);
      this.failOpenLastDisconnS = disconnS;
    }
  }

  /** OVS `fail_open_recover()`: a controller was admitted (or fail-open no longer applies). */
  private failOpenRecover(): void {
    if (!this.failOpenActive) return;
    this.env.log.warn('No longer in fail-open mode');
    this.failOpenActive = false;
    this.failOpenLastDisconnS = 0;
    this.publish(this.tables.deleteRules((r) => r.tableId === 0 && r.priority === FAIL_OPEN_PRIORITY, OFPRR_DELETE), false);
  }

  // ------------------------------------------------------------------------------------------
  // Ports
  // ------------------------------------------------------------------------------------------

  /**
   * Makes the port set exactly `ports`, sending PORT_STATUS (add/delete/modify) to every
   * connection that wants it.
   */
  setPorts(ports: { desc: PortDesc; odpPort: number }[]): void {
    const now = Date.now();
    const seen = new Set<number>();
    for (const p of ports) {
      seen.add(p.desc.portNo);
      const old = this.ports.get(p.desc.portNo);
      if (!old) {
        this.ports.set(p.desc.portNo, { desc: p.desc, odpPort: p.odpPort, createdMs: now });
        this.portOrder.insert(p.desc.portNo, p.desc.portNo);
        this.sendPortStatus(OFPPR_ADD, p.desc);
      } else {
        // The netdev decides PORT_DOWN; the other config bits are OpenFlow's own (port_mod).
        const desc = { ...p.desc, config: (p.desc.config & OFPUTIL_PC_PORT_DOWN) | (old.desc.config & ~OFPUTIL_PC_PORT_DOWN) };
        if (JSON.stringify(old.desc) === JSON.stringify(desc) && old.odpPort === p.odpPort) continue;
        // Link state decides group bucket liveness in the workers (OVS REV_PORT_TOGGLED).
        if (old.desc.state !== desc.state) this.env.settingsChanged?.();
        old.desc = desc;
        old.odpPort = p.odpPort;
        this.sendPortStatus(OFPPR_MODIFY, desc);
      }
    }
    for (const [no, p] of [...this.ports]) {
      if (seen.has(no)) continue;
      this.ports.delete(no);
      this.portOrder.delete(no);
      this.sendPortStatus(OFPPR_DELETE, p.desc);
    }
  }

  private sendPortStatus(reason: number, desc: PortDesc): void {
    for (const c of this.connmgr.connections()) {
      if (!this.wantsAsync(c, OAM_PORT_STATUS, reason)) continue;
      c.send(encodePortStatus(c.version, { reason, desc: desc }));
    }
  }

  /** The ports in OVS's `ofproto->ports` hmap order (port stats and queue replies walk it). */
  private hmapPorts(): OfprotoPort[] {
    return this.portOrder.values().map((no) => this.ports.get(no)!);
  }

  // ------------------------------------------------------------------------------------------
  // Asynchronous messages
  // ------------------------------------------------------------------------------------------

  /** OVS `ofconn_receives_async_msg()`. */
  private wantsAsync(c: Ofconn, oam: number, reason: number): boolean {
    if (c.type === 'service' && !c.missSendLen) return false;
    const ac = c.asyncConfig ?? asyncConfigDefault(c.version);
    const masks = c.role === 'secondary' ? ac.secondary : ac.primary;
    return (masks[oam] & (1 << reason)) !== 0;
  }

  /**
   * Publishes a flow table change: to the workers, and as FLOW_REMOVED to the connections that
   * want it (not to `origin`'s own deletes? OVS sends them to everyone who asked, origin included),
   * and to the flow monitors (`origin`: who made it, for abbreviated updates).
   */
  private publish(change: FlowTablesChange, notify = true, origin?: FlowMonitorOrigin): void {
    if (!change.added.length && !change.removed.length && !change.prefixes) return;
    this.env.applyFlowDelta(this.name, flowTablesDelta(change));
    if (!notify) return;
    this.monitors.report(change, origin);
    const now = Date.now();
    for (const r of change.removed) {
      if (!wantsFlowRemoved(r)) continue;
      const fr = flowRemovedOf(r, now);
      for (const c of this.connmgr.connections()) {
        if (!this.wantsAsync(c, OAM_FLOW_REMOVED, fr.reason)) continue;
        try {
          c.send(encodeFlowRemoved(fr, c.version, c.version === OFP10_VERSION && c.flowFormat === 'nxm'));
        } catch (e) {
          this.env.log.warn(`${c.name}: cannot send flow_removed: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Removes rules whose idle or hard timeout passed. */
  private expire(): void {
    this.publish(this.tables.expire());
    this.tables.forgetReplacedBefore(Date.now() - FORWARD_KEEP_MS);
  }

  /**
   * Credits datapath-derived counters to rules and tables (from the revalidators, handlers and
   * packet-outs).
   * @param credits [rule id, packets, bytes, last-used Date.now() ms]
   * @param tables [table id, lookups that matched, lookups that missed]
   */
  creditRules(credits: ReadonlyArray<readonly [number, bigint, bigint, number]>, tables: ReadonlyArray<readonly [number, bigint, bigint]> = []): void {
    for (const [id, p, b, used] of credits) this.tables.creditStats(id, p, b, used);
    for (const [id, matched, missed] of tables) this.tables.creditTableStats(id, matched, missed);
  }

  /**
   * Applies a translation's side effects (from a handler, a revalidator or a packet-out): each
   * learned flow as OVS's `ofproto_flow_mod_learn()` does (xlate-learn.ts `applyLearnedFlow`),
   * published to the workers as any flow_mod; each fin_timeout lowers its rule's timeouts. A
   * learned flow_mod the tables refuse is logged and dropped, as OVS logs a failed learn.
   */
  applyXlateEffects(learns: readonly LearnedFlow[], finTimeouts: readonly FinTimeoutEffect[]): void {
    for (const raw of learns) {
      const lf = reviveLearnedFlow(raw);
      try {
        const { change } = applyLearnedFlow(this.tables, lf, Date.now());
        if (change) this.publish(change);
      } catch (e) {
        this.env.log.warn(`${this.name}: LEARN action execution failed (${(e as Error).message})`);
      }
    }
    for (const f of finTimeouts) this.tables.reduceTimeouts(f.ruleId, f.idleTimeout, f.hardTimeout);
  }

  /**
   * Sends a packet-in to every connection that wants it (OVS `connmgr_send_async_msg` for
   * OAM_PACKET_IN): by role and async config, matching controller id, in the connection's
   * version and packet-in format, truncated to the action's max_len or, for a miss, to the
   * connection's miss_send_len.
   */
  sendPacketIn(ev: PacketInEvent): void {
    const flow = Buffer.from(ev.flow.buffer, ev.flow.byteOffset, ev.flow.byteLength);
    const match = Match.catchall();
    for (const f of MF_FIELDS) {
      if (!mfIsPipelineField(f)) continue;
      const v = mfGetValue(f, flow);
      if (f.name === 'in_port' || v.some((b) => b !== 0)) match.setField(f, v);
    }
    const miss = ev.reason === OFPR_EXPLICIT_MISS || ev.reason === OFPR_IMPLICIT_MISS || ev.reason === OFPR_NO_MATCH;
    const inPort = mfGetValue(mfField('in_port'), flow).readUInt16BE(0);
    for (const c of this.connmgr.connections()) {
      if (c.controllerId !== ev.controllerId || !this.wantsAsync(c, OAM_PACKET_IN, ev.reason)) continue;
      const maxLen = miss ? c.missSendLen : ev.maxLen;
      const len = maxLen === OFPCML_NO_BUFFER ? ev.packet.length : Math.min(maxLen, ev.packet.length);
      try {
        // Through the connection's packet-in scheduler (controller_rate_limit/burst_limit).
        c.sendPacketIn(encodePacketIn({
          version: c.version, format: c.packetInFormat, packet: Buffer.from(ev.packet.subarray(0, len)),
          totalLen: ev.totalLen, reason: ev.reason, tableId: ev.tableId, cookie: ev.cookie ?? COOKIE_NONE, match,
          userdata: ev.userdata ? Buffer.from(ev.userdata) : undefined,
        }), inPort, miss);
      } catch (e) {
        this.env.log.warn(`${c.name}: cannot send packet-in: ${(e as Error).message}`);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Checks
  // ------------------------------------------------------------------------------------------

  /** OVS `ofproto_check_ofpacts()`: output ports, groups and meters must exist. */
  private checkOfpacts(ofpacts: readonly Ofpact[]): void {
    for (const a of flattenOfpacts(ofpacts)) {
      if (a.type === 'group' && !this.groups.has(a.groupId)) {
        throw new OfpError('OFPBAC_BAD_OUT_GROUP', `group ${a.groupId} does not exist`);
      }
      if (a.type === 'meter' && !this.meters.has(a.meterId)) {
        throw new OfpError('OFPMMFC_INVALID_METER', `meter ${a.meterId} does not exist`);
      }
    }
  }

  /**
   * Decodes a flow_mod as OVS's `ofputil_decode_flow_mod` does, consistency check of the
   * actions against the match included (which also prepares the actions for re-encoding).
   */
  private decodeFlowMod(c: Ofconn, msg: OfpMsg): FlowMod {
    const fm = decodeFlowMod(msg, c.tableIdExt);
    checkActions(fm.ofpacts, { match: fm.match, maxPorts: OFPP_MAX, tableId: fm.tableId, nTables: this.tables.nTables, version: msg.version });
    return fm;
  }

  private rejectSecondary(c: Ofconn): void {
    if (c.role === 'secondary') throw new OfpError('OFPBRC_IS_SECONDARY');
  }

  // ------------------------------------------------------------------------------------------
  // Dispatch
  // ------------------------------------------------------------------------------------------

  private disconnected(c: Ofconn): void {
    c.ext.delete(BUNDLES);
    this.monitors.disconnected(c);
    this.env.settingsChanged?.();
  }

  /**
   * Handles one message of connection `c` (OVS `handle_single_part_openflow`).
   * @throws OfpError for the connmgr to answer with
   */
  async handle(c: Ofconn, msg: OfpMsg): Promise<void> {
    switch (msg.type) {
      case 'FEATURES_REQUEST': return this.handleFeatures(c, msg);
      case 'GET_CONFIG_REQUEST':
        c.send(encodeGetConfigReply(msg, { frag: this.fragHandling, missSendLen: c.missSendLen, invalidTtlToController: false }));
        return;
      case 'SET_CONFIG': {
        const cfg = decodeSetConfig(msg);
        // The kernel datapath cannot reassemble (OVS ofproto_set_frag_handling refuses it).
        if (c.role !== 'secondary' && cfg.frag !== OFPC_FRAG_REASM && cfg.frag !== this.fragHandling) {
          this.fragHandling = cfg.frag;
          this.env.settingsChanged?.();
        }
        c.missSendLen = cfg.missSendLen;
        return;
      }
      case 'BARRIER_REQUEST':
        c.send(encodeBarrierReply(msg));
        return;
      case 'DESC_STATS_REQUEST':
        c.send(encodeDescReply(msg, { mfrDesc: 'Nicira, Inc.', hwDesc: 'Open vSwitch', swDesc: '3.1.0', serialNum: 'None', dpDesc: 'None' }));
        return;
      case 'FLOW_MOD': {
        this.rejectSecondary(c);
        const fm = this.decodeFlowMod(c, msg);
        checkHiddenFields(fm);
        this.publish(this.tables.flowMod(fm), true, { ofconn: c, xid: msg.xid, flowMods: [fm] });
        return;
      }
      case 'FLOW_STATS_REQUEST': {
        const r = decodeFlowStatsRequest(msg);
        const stats = this.tables.flowStats({ tableId: r.tableId, match: r.match, cookie: r.cookie, cookieMask: r.cookieMask, outPort: r.outPort, outGroup: r.outGroup });
        c.send(...encodeFlowStatsReply(msg, stats));
        return;
      }
      case 'AGGREGATE_STATS_REQUEST': {
        const r = decodeFlowStatsRequest(msg);
        const a = this.tables.aggregateStats({ tableId: r.tableId, match: r.match, cookie: r.cookie, cookieMask: r.cookieMask, outPort: r.outPort, outGroup: r.outGroup });
        c.send(encodeAggregateStatsReply(msg, a));
        return;
      }
      case 'TABLE_STATS_REQUEST': return this.handleTableStats(c, msg);
      case 'TABLE_FEATURES_STATS_REQUEST': {
        if (msg.body.length) throw new OfpError('OFPTFFC_EPERM', 'table features cannot be changed');
        // ovs-ofctl asks for these (~2.4 MB) before most flow commands: encode once per version
        // until the tables' names or limits change.
        const cache = this.featuresCache();
        let entries = cache.entries.get(msg.version);
        if (!entries) cache.entries.set(msg.version, (entries = cache.features.map((tf) => encodeTableFeaturesEntry(tf, msg.version))));
        c.send(...encodeMultipartReply(rawReplyFor(msg), msg.version, msg.xid, entries));
        return;
      }
      case 'TABLE_DESC_REQUEST': {
        const descs = this.tables.tableInfo().filter((t) => !t.hidden).map((t) => this.tables.tableDesc(t.tableId));
        c.send(...encodeTableDescReply(msg, descs));
        return;
      }
      case 'TABLE_MOD': {
        this.rejectSecondary(c);
        this.tables.tableMod(decodeTableMod(msg));
        this.env.settingsChanged?.();
        return;
      }
      case 'PORT_DESC_STATS_REQUEST': {
        const { portNo } = decodePortDescRequest(msg);
        const ports = this.hmapPorts().filter((p) => portNo === OFPP_ANY || p.desc.portNo === portNo).map((p) => p.desc);
        c.send(...encodePortDescReply(msg, ports));
        return;
      }
      case 'PORT_STATS_REQUEST': return this.handlePortStats(c, msg);
      case 'PORT_MOD': return this.handlePortMod(c, msg);
      case 'QUEUE_STATS_REQUEST': {
        const { portNo, queueId } = decodeQueueStatsRequest(msg);
        if (portNo !== OFPP_ANY && !this.ports.has(portNo)) throw new OfpError('OFPQOFC_BAD_PORT');
        // No QoS is configured on any port, so no port has a queue to report (OVS: OFPQOFC_BAD_QUEUE
        // for a queue asked for by number).
        if (queueId !== OFPQ_ALL) throw new OfpError('OFPQOFC_BAD_QUEUE');
        c.send(...encodeQueueStatsReply(msg, []));
        return;
      }
      case 'QUEUE_GET_CONFIG_REQUEST': {
        const { portNo } = decodeQueueGetConfigRequest(msg);
        if (portNo !== OFPP_ANY && !this.ports.has(portNo)) throw new OfpError('OFPQOFC_BAD_PORT');
        c.send(...encodeQueueGetConfigReply(msg, portNo, []));
        return;
      }
      case 'ROLE_REQUEST': return this.handleRole(c, msg);
      case 'SET_FLOW_FORMAT':
        c.flowFormat = decodeSetFlowFormat(msg);
        return;
      case 'FLOW_MOD_TABLE_ID':
        c.tableIdExt = decodeFlowModTableId(msg);
        return;
      case 'SET_PACKET_IN_FORMAT':
        c.packetInFormat = decodeSetPacketInFormat(msg);
        return;
      case 'SET_CONTROLLER_ID':
        c.controllerId = decodeSetControllerId(msg);
        this.env.settingsChanged?.();
        return;
      case 'GET_ASYNC_REQUEST':
        c.send(encodeGetAsyncReply(msg, c.asyncConfig ?? asyncConfigDefault(c.version)));
        return;
      case 'SET_ASYNC_CONFIG':
        c.asyncConfig = decodeSetAsync(msg, c.asyncConfig ?? asyncConfigDefault(c.version));
        return;
      case 'FLOW_AGE':
        return;
      case 'GROUP_MOD': return this.handleGroupMod(c, msg);
      case 'GROUP_STATS_REQUEST': {
        const id = decodeGroupStatsRequest(msg);
        const now = Date.now();
        const stats = this.orderedGroups().filter((g) => id === 0xfffffffc || g.desc.groupId === id).map((g) => {
          const d = now - g.createdMs;
          return { groupId: g.desc.groupId, refCount: this.groupRefCount(g.desc.groupId), packetCount: 0n, byteCount: 0n, durationSec: Math.floor(d / 1000), durationNsec: (d % 1000) * 1e6, bucketStats: g.desc.buckets.map(() => ({ packetCount: 0n, byteCount: 0n })) };
        });
        c.send(...encodeGroupStatsReply(msg, stats));
        return;
      }
      case 'GROUP_DESC_STATS_REQUEST': {
        const id = decodeGroupDescRequest(msg);
        const descs = this.orderedGroups().filter((g) => id === 0xfffffffc || g.desc.groupId === id).map((g) => g.desc);
        c.send(...encodeGroupDescReply(msg, descs));
        return;
      }
      case 'GROUP_FEATURES_STATS_REQUEST':
        c.send(encodeGroupFeaturesReply(msg, GROUP_FEATURES));
        return;
      case 'METER_MOD': return this.handleMeterMod(c, msg);
      case 'METER_STATS_REQUEST':
      case 'METER_CONFIG_STATS_REQUEST': {
        const id = decodeMeterRequest(msg);
        if (id !== OFPM13_ALL && !this.meters.has(id)) throw new OfpError('OFPMMFC_UNKNOWN_METER');
        const sel = [...this.meters.values()].filter((m) => id === OFPM13_ALL || m.config.meterId === id).sort((a, z) => a.config.meterId - z.config.meterId);
        if (msg.type === 'METER_CONFIG_STATS_REQUEST') {
          c.send(...encodeMeterConfigReply(msg, sel.map((m) => m.config)));
        } else {
          // OVS handle_meter_request(): the counters come from the datapath meter.
          const dp = await Promise.all(sel.map((m) => (m.dpId !== undefined && this.env.meters ? this.env.meters.stats(m.dpId) : undefined)));
          const now = Date.now();
          c.send(...encodeMeterStatsReply(msg, sel.map((m, i) => {
            const d = now - m.createdMs;
            const st = dp[i];
            return {
              meterId: m.config.meterId, flowCount: this.meterRefCount(m.config.meterId),
              packetInCount: st?.packets ?? 0n, byteInCount: st?.bytes ?? 0n,
              durationSec: Math.floor(d / 1000), durationNsec: (d % 1000) * 1e6,
              bands: m.config.bands.map((_, b) => ({ packetCount: st?.bands[b]?.packets ?? 0n, byteCount: st?.bands[b]?.bytes ?? 0n })),
            };
          })));
        }
        return;
      }
      case 'METER_FEATURES_STATS_REQUEST':
        c.send(encodeMeterFeaturesReply(msg, this.meterFeatures));
        return;
      case 'BUNDLE_CONTROL': return this.handleBundleControl(c, msg);
      case 'BUNDLE_ADD_MESSAGE': return this.handleBundleAdd(c, msg);
      case 'PACKET_OUT': return this.handlePacketOut(c, msg);
      case 'NXT_TLV_TABLE_REQUEST':
        c.send(encodeTlvTableReply(msg, this.tlv.mappings()));
        return;
      case 'NXT_TLV_TABLE_MOD':
        this.rejectSecondary(c);
        this.tlv.apply(decodeTlvTableMod(msg));
        return;
      case 'FLOW_MONITOR_STATS_REQUEST': return this.monitors.handleRequest(c, msg);
      case 'FLOW_MONITOR_CANCEL': return this.monitors.handleCancel(c, msg);
      case 'IPFIX_BRIDGE_STATS_REQUEST':
      case 'IPFIX_FLOW_STATS_REQUEST':
        throw new OfpError('NXST_NOT_CONFIGURED');
      case 'CT_FLUSH_ZONE':
      case 'CT_FLUSH': {
        const req = msg.type === 'CT_FLUSH' ? decodeCtFlush(msg) : decodeCtFlushZone(msg);
        if (!this.env.ctFlush) throw new OfpError('OFPBRC_BAD_TYPE', 'no conntrack flush without a datapath');
        // OVS handle_nxt_ct_flush(): the flush's own failure is logged, never answered.
        try {
          await this.env.ctFlush(req);
        } catch (e) {
          this.env.log.warn(`${this.name}: conntrack flush failed: ${(e as Error).message}`);
        }
        return;
      }
      default:
        throw new OfpError('OFPBRC_BAD_TYPE', `${msg.raw} is not handled by ts-vswitchd`);
    }
  }

  private handleFeatures(c: Ofconn, msg: OfpMsg): void {
    const caps = OFPUTIL_C_FLOW_STATS | OFPUTIL_C_TABLE_STATS | OFPUTIL_C_PORT_STATS | OFPUTIL_C_QUEUE_STATS
      | OFPUTIL_C_ARP_MATCH_IP | OFPUTIL_C_GROUP_STATS | OFPUTIL_C_BUNDLES;
    c.send(encodeFeaturesReply(msg.version, msg.xid, {
      datapathId: this.settings.datapathId, nBuffers: 0, nTables: 254, auxiliaryId: 0, capabilities: caps,
      actions: 0xfff, ports: msg.version < OFP13_VERSION ? this.hmapPorts().map((p) => p.desc) : [],
    }));
  }

  private tableFeatures(): TableFeatures[] {
    return this.featuresCache().features;
  }

  /** The visible tables' features, and their encodings by version, rebuilt when a name or limit changes. */
  private featuresCache(): { features: TableFeatures[]; entries: Map<number, Buffer[]> } {
    const infos = this.tables.tableInfo().filter((t) => !t.hidden);
    const key = JSON.stringify(infos.map((t) => [t.tableId, t.name ?? '', t.flowLimit]));
    if (this.featuresCached?.key !== key) {
      const features = infos.map((t) => defaultTableFeatures(t.tableId, infos.filter((n) => n.tableId > t.tableId).map((n) => n.tableId), t.name ?? '', t.flowLimit >= 0xffffffff ? DEFAULT_MAX_ENTRIES : t.flowLimit));
      this.featuresCached = { key, features, entries: new Map() };
    }
    return this.featuresCached;
  }

  private handleTableStats(c: Ofconn, msg: OfpMsg): void {
    const infos = this.tables.tableInfo().filter((t) => !t.hidden);
    const features = this.tableFeatures();
    c.send(...encodeTableStatsReply(msg, infos.map((t, i) => ({
      stats: { tableId: t.tableId, activeCount: t.activeCount, lookupCount: t.lookupCount, matchedCount: t.matchedCount },
      features: features[i],
    }))));
  }

  private async handlePortStats(c: Ofconn, msg: OfpMsg): Promise<void> {
    const { portNo } = decodePortStatsRequest(msg);
    const now = Date.now();
    const sel = this.hmapPorts().filter((p) => portNo === OFPP_ANY || portNo === OFPP_NONE || p.desc.portNo === portNo);
    const stats: PortStats[] = [];
    for (const p of sel) {
      const k = await this.env.portCounters(p.odpPort).catch(() => undefined);
      const d = now - p.createdMs;
      const u = (v: bigint | undefined): bigint => (v === undefined ? STATS_UNKNOWN : v);
      stats.push({
        portNo: p.desc.portNo, durationSec: Math.floor(d / 1000), durationNsec: (d % 1000) * 1e6,
        rxPackets: u(k?.rxPackets), txPackets: u(k?.txPackets), rxBytes: u(k?.rxBytes), txBytes: u(k?.txBytes),
        rxDropped: u(k?.rxDropped), txDropped: u(k?.txDropped), rxErrors: u(k?.rxErrors), txErrors: u(k?.txErrors),
        // The kernel's link statistics carry these too; on the netdevs a bridge has they are 0.
        rxFrameErrors: k ? 0n : STATS_UNKNOWN, rxOverErrors: k ? 0n : STATS_UNKNOWN, rxCrcErrors: k ? 0n : STATS_UNKNOWN,
        collisions: k ? 0n : STATS_UNKNOWN,
      } as PortStats);
    }
    c.send(...encodePortStatsReply(msg, stats));
  }

  private async handlePortMod(c: Ofconn, msg: OfpMsg): Promise<void> {
    this.rejectSecondary(c);
    const pm = decodePortMod(msg);
    const p = this.ports.get(pm.portNo);
    if (!p) throw new OfpError('OFPPMFC_BAD_PORT');
    if (p.desc.hwAddr !== pm.hwAddr) throw new OfpError('OFPPMFC_BAD_HW_ADDR');
    const config = (p.desc.config & ~pm.mask) | (pm.config & pm.mask);
    if (config !== p.desc.config) {
      const downChanged = (config ^ p.desc.config) & OFPUTIL_PC_PORT_DOWN;
      p.desc = { ...p.desc, config };
      this.sendPortStatus(OFPPR_MODIFY, p.desc);
      this.env.settingsChanged?.();
      // OVS update_port_config(): the netdev follows OFPPC_PORT_DOWN; its link state change comes
      // back through setPorts() as a second PORT_STATUS, before the next message is handled.
      if (downChanged) await this.env.setPortUp?.(p.desc.name, !(config & OFPUTIL_PC_PORT_DOWN));
    }
  }

  private handleRole(c: Ofconn, msg: OfpMsg): void {
    const rr = decodeRoleMessage(msg);
    if (rr.role !== OFPCR12_ROLE_NOCHANGE) {
      if (rr.role !== OFPCR12_ROLE_EQUAL && rr.generationId !== undefined) {
        if (this.generationId !== undefined && BigInt.asIntN(64, rr.generationId - this.generationId) < 0n) {
          throw new OfpError('OFPRRFC_STALE');
        }
        this.generationId = rr.generationId;
      }
      if (rr.role === OFPCR12_ROLE_PRIMARY) {
        for (const o of this.connmgr.connections()) if (o !== c && o.role === 'primary') o.role = 'secondary';
      }
      c.role = rr.role === OFPCR12_ROLE_PRIMARY ? 'primary' : rr.role === OFPCR12_ROLE_SECONDARY ? 'secondary' : 'equal';
    }
    const role = c.role === 'primary' ? OFPCR12_ROLE_PRIMARY : c.role === 'secondary' ? OFPCR12_ROLE_SECONDARY : OFPCR12_ROLE_EQUAL;
    c.send(encodeRoleReply(msg, { role, generationId: this.generationId }));
  }

  private addGroupSlot(id: number): void {
    const free = this.groupSlots.indexOf(undefined);
    if (free < 0) this.groupSlots.push(id);
    else this.groupSlots[free] = id;
  }

  private removeGroupSlot(id: number): void {
    const i = this.groupSlots.indexOf(id);
    if (i >= 0) this.groupSlots[i] = undefined;
  }

  /** Groups in cmap iteration order. */
  private orderedGroups(): Group[] {
    return this.groupSlots.filter((id): id is number => id !== undefined).map((id) => this.groups.get(id)!);
  }

  private groupRefCount(groupId: number): number {
    return this.tables.rules().filter((r) => hasOfpact(r.ofpacts, (a) => a.type === 'group' && a.groupId === groupId)).length;
  }

  private meterRefCount(meterId: number): number {
    return this.tables.rules().filter((r) => hasOfpact(r.ofpacts, (a) => a.type === 'meter' && a.meterId === meterId)).length;
  }

  private handleGroupMod(c: Ofconn, msg: OfpMsg): void {
    this.rejectSecondary(c);
    const gm = decodeGroupMod(msg);
    const id = gm.groupId;
    const exists = this.groups.has(id);
    switch (gm.command) {
      case 'add':
        // OVS init_group(): the reserved ids cannot name a group.
        if (id > OFPG_MAX) throw new OfpError('OFPGMFC_INVALID_GROUP');
        if (exists) throw new OfpError('OFPGMFC_GROUP_EXISTS');
        this.addGroupSlot(id);
        this.groups.set(id, { desc: { type: gm.type, groupId: id, buckets: gm.buckets, props: gm.props }, createdMs: Date.now() });
        this.env.settingsChanged?.();
        return;
      case 'modify':
      case 'add_or_mod':
        if (!exists && gm.command === 'modify') throw new OfpError('OFPGMFC_UNKNOWN_GROUP');
        if (id > OFPG_MAX) throw new OfpError('OFPGMFC_INVALID_GROUP');
        if (!exists) this.addGroupSlot(id);
        this.groups.set(id, { desc: { type: gm.type, groupId: id, buckets: gm.buckets, props: gm.props }, createdMs: this.groups.get(id)?.createdMs ?? Date.now() });
        this.env.settingsChanged?.();
        return;
      case 'delete': {
        const ids = id === 0xfffffffc ? this.orderedGroups().map((g) => g.desc.groupId) : [id];
        for (const g of ids) {
          if (!this.groups.delete(g)) continue;
          this.removeGroupSlot(g);
          this.publish(this.tables.deleteRules((r) => hasOfpact(r.ofpacts, (a) => a.type === 'group' && a.groupId === g), 3));
        }
        this.env.settingsChanged?.();
        return;
      }
      default: {
        const g = this.groups.get(id);
        if (!g) throw new OfpError('OFPGMFC_UNKNOWN_GROUP');
        g.desc = { ...g.desc, buckets: gm.command === 'insert_bucket' ? insertBuckets(g.desc.buckets, gm.buckets, gm.commandBucketId) : removeBuckets(g.desc.buckets, gm.commandBucketId) };
        this.env.settingsChanged?.();
      }
    }
  }

  private async handleMeterMod(c: Ofconn, msg: OfpMsg): Promise<void> {
    this.rejectSecondary(c);
    const mm = decodeMeterMod(msg);
    const id = mm.meter.meterId;
    if (mm.command !== 'delete') {
      // OVS handle_meter_mod: 0 and the reserved ids other than slowpath/controller are invalid.
      if (id === 0 || (id > OFPM13_MAX && id !== OFPM13_SLOWPATH && id !== OFPM13_CONTROLLER)) throw new OfpError('OFPMMFC_INVALID_METER');
      if (mm.meter.bands.length > this.meterFeatures.maxBands) throw new OfpError('OFPMMFC_OUT_OF_BANDS');
      for (const b of mm.meter.bands) if (b.type !== OFPMBT13_DROP) throw new OfpError('OFPMMFC_BAD_BAND');
    }
    switch (mm.command) {
      case 'add':
      case 'add': {
        if (this.meters.has(id)) throw new OfpError('OFPMMFC_METER_EXISTS');
        // Held while the datapath meter is created, so that a concurrent add sees it exists.
        const m: Meter = { config: mm.meter, createdMs: Date.now() };
        this.meters.set(id, m);
        try {
          if (this.env.meters) m.dpId = await this.env.meters.set(undefined, mm.meter);
        } catch (e) {
          this.meters.delete(id);
          throw e;
        }
        this.env.settingsChanged?.();
        return;
      }
      case 'modify': {
        const m = this.meters.get(id);
        if (!m) throw new OfpError('OFPMMFC_UNKNOWN_METER');
        if (this.env.meters) m.dpId = await this.env.meters.set(m.dpId, mm.meter);
        m.config = mm.meter;
        return;
      }
      case 'delete': {
        const ids = id === OFPM13_ALL ? [...this.meters.keys()] : [id];
        const gone: number[] = [];
        for (const mid of ids) {
          const m = this.meters.get(mid);
          if (!m) continue;
          this.meters.delete(mid);
          if (m.dpId !== undefined) gone.push(m.dpId);
          this.publish(this.tables.deleteRules((r) => hasOfpact(r.ofpacts, (a) => a.type === 'meter' && a.meterId === mid), 4));
        }
        if (gone.length) {
          this.env.settingsChanged?.();
          for (const dpId of gone) await this.env.meters?.del(dpId);
        }
      }
    }
  }

  private bundles(c: Ofconn): Map<number, Bundle> {
    let b = c.ext.get(BUNDLES) as Map<number, Bundle> | undefined;
    if (!b) c.ext.set(BUNDLES, (b = new Map()));
    return b;
  }

  private async handleBundleControl(c: Ofconn, msg: OfpMsg): Promise<void> {
    const bc = decodeBundleCtrl(msg);
    const bundles = this.bundles(c);
    const b = bundles.get(bc.bundleId);
    const reply = (type: number): void => c.send(encodeBundleCtrl({ bundleId: bc.bundleId, type, flags: bc.flags }, msg.version, msg.xid));
    switch (bc.type) {
      case OFPBCT_OPEN_REQUEST:
        if (b) throw new OfpError('OFPBFC_BAD_ID');
        bundles.set(bc.bundleId, { flags: bc.flags, closed: false, msgs: [] });
        return reply(OFPBCT_OPEN_REPLY);
      case OFPBCT_CLOSE_REQUEST:
        if (!b) throw new OfpError('OFPBFC_BAD_ID');
        if (b.closed) throw new OfpError('OFPBFC_BUNDLE_CLOSED');
        if (b.flags !== bc.flags) throw new OfpError('OFPBFC_BAD_FLAGS');
        b.closed = true;
        return reply(OFPBCT_CLOSE_REPLY);
      case OFPBCT_COMMIT_REQUEST: {
        if (!b) throw new OfpError('OFPBFC_BAD_ID');
        if (b.flags !== bc.flags) throw new OfpError('OFPBFC_BAD_FLAGS');
        bundles.delete(bc.bundleId);
        await this.commitBundle(c, b);
        return reply(OFPBCT_COMMIT_REPLY);
      }
      case OFPBCT_DISCARD_REQUEST:
        if (!b) throw new OfpError('OFPBFC_BAD_ID');
        bundles.delete(bc.bundleId);
        return reply(OFPBCT_DISCARD_REPLY);
      default:
        throw new OfpError('OFPBFC_BAD_TYPE');
    }
  }

  private handleBundleAdd(c: Ofconn, msg: OfpMsg): void {
    const ba = decodeBundleAdd(msg);
    const bundles = this.bundles(c);
    let b = bundles.get(ba.bundleId);
    if (!b) {
      b = { flags: ba.flags, closed: false, msgs: [] };
      bundles.set(ba.bundleId, b);
    } else if (b.closed) {
      bundles.delete(ba.bundleId);
      throw new OfpError('OFPBFC_BUNDLE_CLOSED');
    } else if (b.flags !== ba.flags) {
      bundles.delete(ba.bundleId);
      throw new OfpError('OFPBFC_BAD_FLAGS');
    }
    const inner = decodeMsg(ba.msg);
    if (inner.type !== 'FLOW_MOD' && inner.type !== 'GROUP_MOD' && inner.type !== 'PORT_MOD' && inner.type !== 'PACKET_OUT') {
      throw new OfpError('OFPBFC_MSG_UNSUP');
    }
    if (inner.type === 'FLOW_MOD') this.decodeFlowMod(c, inner);
    b.msgs.push(inner);
  }

  /**
   * Applies a committed bundle (OVS `do_bundle_commit`): its group mods, then its flow mods as
   * one atomic table transaction, then its port mods and packet-outs. If any group or flow mod
   * fails, the groups are restored and nothing of the bundle stays; the failing message gets
   * its own error and the commit fails with OFPBFC_MSG_FAILED.
   */
  private async commitBundle(c: Ofconn, b: Bundle): Promise<void> {
    this.rejectSecondary(c);
    const savedGroups = new Map(this.groups);
    const savedSlots = [...this.groupSlots];
    const fail = (bad: OfpMsg, err: OfpError): never => {
      this.groups.clear();
      for (const [k, v] of savedGroups) this.groups.set(k, v);
      this.groupSlots.splice(0, this.groupSlots.length, ...savedSlots);
      c.sendError(bad, err);
      throw new OfpError('OFPBFC_MSG_FAILED');
    };
    for (const m of b.msgs.filter((x) => x.type === 'GROUP_MOD')) {
      try {
        this.handleGroupMod(c, m);
      } catch (e) {
        if (e instanceof OfpError) fail(m, e);
        throw e;
      }
    }
    const flowMsgs = b.msgs.filter((m) => m.type === 'FLOW_MOD');
    const fms = flowMsgs.map((m) => this.decodeFlowMod(c, m));
    try {
      fms.forEach(checkHiddenFields);
      this.publish(this.tables.flowMods(fms), true, flowMsgs.length ? { ofconn: c, xid: flowMsgs[0].xid, flowMods: fms } : undefined);
    } catch (e) {
      if (e instanceof FlowModsError) fail(flowMsgs[e.index], e.error);
      if (e instanceof OfpError) fail(flowMsgs[0], e);
      throw e;
    }
    for (const m of b.msgs) {
      if (m.type === 'PORT_MOD') await this.handlePortMod(c, m);
      else if (m.type === 'PACKET_OUT') await this.handlePacketOut(c, m);
    }
  }

  private async handlePacketOut(c: Ofconn, msg: OfpMsg): Promise<void> {
    this.rejectSecondary(c);
    const po = decodePacketOut(msg);
    if (po.bufferId !== OFP_NO_BUFFER) throw new OfpError('OFPBRC_BUFFER_UNKNOWN');
    const inPort = po.inPort;
    if (inPort !== OFPP_LOCAL && inPort !== 0xfffd && inPort !== OFPP_NONE && inPort >= OFPP_MAX) throw new OfpError('OFPBRC_BAD_PORT');
    this.checkOfpacts(po.ofpacts);
    await this.env.packetOut?.(this.name, po.packet, inPort, po.ofpacts);
  }
}

/**
 * OpenFlow 1.5 OFPGC_INSERT_BUCKET (OVS `copy_buckets_for_insert_bucket`): the new buckets go
 * first (OFPG15_BUCKET_FIRST), last (OFPG15_BUCKET_LAST) or right after bucket `at`.
 * @throws OfpError OFPGMFC_UNKNOWN_BUCKET (no bucket `at`), OFPGMFC_BUCKET_EXISTS (duplicate id)
 */
function insertBuckets(old: readonly Bucket[], add: readonly Bucket[], at: number): Bucket[] {
  let out: Bucket[];
  if (at === OFPG15_BUCKET_FIRST) out = [...add, ...old];
  else if (at === OFPG15_BUCKET_LAST) out = [...old, ...add];
  else {
    const i = old.findIndex((b) => b.bucketId === at);
    if (at > OFPG15_BUCKET_MAX || i < 0) throw new OfpError('OFPGMFC_UNKNOWN_BUCKET');
    out = [...old.slice(0, i + 1), ...add, ...old.slice(i + 1)];
  }
  if (new Set(out.map((b) => b.bucketId)).size !== out.length) throw new OfpError('OFPGMFC_BUCKET_EXISTS');
  return out;
}

/**
 * OpenFlow 1.5 OFPGC_REMOVE_BUCKET (OVS `copy_buckets_for_remove_bucket`): all, the first, the
 * last, or the bucket with id `which`.
 * @throws OfpError OFPGMFC_UNKNOWN_BUCKET when bucket `which` does not exist
 */
function removeBuckets(old: readonly Bucket[], which: number): Bucket[] {
  if (which === OFPG15_BUCKET_ALL) return [];
  if (which === OFPG15_BUCKET_FIRST) return old.slice(1);
  if (which === OFPG15_BUCKET_LAST) return old.slice(0, -1);
  if (!old.some((b) => b.bucketId === which)) throw new OfpError('OFPGMFC_UNKNOWN_BUCKET');
  return old.filter((b) => b.bucketId !== which);
}

const RECIRC_ID = mfField('recirc_id');
const DP_HASH = mfField('dp_hash');

/**
 * OVS `add_flow_init`: controllers may not match on the hidden fields `recirc_id` (other than
 * exactly 0) and `dp_hash`.
 * @throws OfpError OFPBRC_EPERM
 */
function checkHiddenFields(fm: FlowMod): void {
  if (fm.command !== 'add' && fm.command !== 'modify' && fm.command !== 'modify_strict') return;
  const r = fm.match.getField(RECIRC_ID);
  const h = fm.match.getField(DP_HASH);
  const recircDefault = r.value.readUInt32BE(0) === 0 && (r.mask.readUInt32BE(0) === 0 || r.mask.readUInt32BE(0) === 0xffffffff);
  if (!recircDefault || h.value.readUInt32BE(0) !== 0 || h.mask.readUInt32BE(0) !== 0) {
    throw new OfpError('OFPBRC_EPERM', 'only internal flows can set non-default values to hidden fields');
  }
}

/** True when `pred` holds for some ofpact of `ofpacts`, nested lists included. */
function hasOfpact(ofpacts: readonly Ofpact[], pred: (a: Ofpact) => boolean): boolean {
  for (const a of flattenOfpacts(ofpacts)) if (pred(a)) return true;
  return false;
}

/** OVS 3.1's group features (ofproto-dpif `group_get_features`): every type, 0xffffff00 groups. */
const GROUP_FEATURES = {
  types: 0xf, capabilities: 0x7, maxGroups: [0xffffff00, 0xffffff00, 0xffffff00, 0xffffff00],
  ofpacts: [0, 1, 2, 3].map(() => [...ALL_OFPACT_FEATURES]),
};

/** OVS's `max_entries` in table features when no flow_limit is set (ofproto `query_tables`). */
const DEFAULT_MAX_ENTRIES = 1000000;

/**
 * Meter features when the datapath cannot be asked (OVS's dpif-netdev values); a bridge on the
 * kernel datapath reports the kernel's maxima (`OVS_METER_CMD_FEATURES`), as OVS does.
 */
export const DEFAULT_METER_FEATURES = {
  maxMeters: 262144, bandTypes: 1 << OFPMBT13_DROP, capabilities: OFPMF13_KBPS | OFPMF13_PKTPS | OFPMF13_BURST | OFPMF13_STATS,
  maxBands: 8, maxColor: 0,
};
