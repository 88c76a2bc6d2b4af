/**
 * The daemon's wiring (OVS's `vswitchd/ovs-vswitchd.c` main): open the kernel datapath, follow
 * the database, start the upcall handlers and the revalidator, and reconcile on every change.
 *
 * The control socket for `ovs-appctl` comes up first, before the datapath and the database
 * (as in OVS), at `--unixctl=SOCKET` or `<rundir>/ovs-vswitchd.<pid>.ctl`; `--unixctl=none`
 * runs without one. Its commands answer as OVS does without bridges until the parts they
 * consult exist.
 *
 * Stopping (SIGTERM, SIGINT or `ovs-appctl exit`; SIGHUP only reopens the log file)
 * stops the workers and closes the sockets but leaves the datapath, its vports and its flows in
 * the kernel, so traffic keeps flowing on existing megaflows and a restarted daemon adopts them.
 * `ovs-appctl exit --cleanup` deletes the datapath (and with it every vport and flow) first.
 */
import type { FinTimeoutEffect, LearnedFlow } from './ofproto-dpif/xlate-learn';
import { formatFeatureLog, probeDatapathFeatures } from './dpif-netlink/features';
import { versionText, type VswitchdOptions } from './cli';
import { BridgeLayer, BRIDGE_MONITORED_TABLES } from './bridge/bridge';
import { OvsdbClient } from './bridge/ovsdb-client';
import { DpifNetlink } from './dpif-netlink/dpif';
import type { MacLearningStats } from './ofproto-dpif/mac-learning';
import { Udpif } from './upcall/udpif';
import { addTableLookups } from './upcall/rule-credits';
import type { TableCredit } from './upcall/messages';
import { DpifMeters } from './ofproto-dpif/dp-meters';
import { ConntrackSocket } from './dpif-netlink/conntrack';
import { IFF_UP, RtnlSocket } from './dpctl/rtnl';
import { readNetdevState } from './util/netdev-sysfs';
import { Coverage } from './unixctl/coverage';
import { registerCoverageCommands, registerMemoryCommand, registerVlogCommands } from './unixctl/commands/core';
import { registerDpctlCommands } from './unixctl/commands/dpctl';
import { OfprotoCommands } from './unixctl/commands/ofproto';
import { DaemonParts, monotonicMs } from './unixctl/commands/parts';
import { registerUpcallCommands } from './unixctl/commands/upcall';
import { TraceCommands } from './unixctl/commands/trace';
import { UnixctlRegistry } from './unixctl/registry';
import { UnixctlServer } from './unixctl/server';
import { defaultUnixctlPath, rundir } from './util/dirs';
import type { Ofpact } from './openflow/ofpacts';
import { flowExtract } from './ofproto-dpif/flow-extract';
import { macLearningFor } from './ofproto-dpif/ofproto';
import { XlateBridge, xlatePacketOut } from './ofproto-dpif/xlate';
import { vlogModule, VlogModule } from './util/vlog';

// Registered at load time so `-v`/`vlog/set` know these modules before the daemon starts.
const dpifLog = vlogModule('dpif_netlink');
vlogModule('ofproto_dpif'); // feature-probe lines are logged under OVS's module name
const ovsdbLog = vlogModule('ovsdb_idl');
const bridgeLog = vlogModule('bridge');
const connmgrLog = vlogModule('connmgr');

/** What is up so far; filled in as startup proceeds so a signal mid-startup can undo it. */
interface Running {
  stopping: boolean;
  dpif?: DpifNetlink;
  ovsdb?: OvsdbClient;
  udpif?: Udpif;
  bridge?: BridgeLayer;
  /** Coverage counters, sampled from startup on. */
  coverage: Coverage;
  unixctl?: UnixctlServer;
  /** rtnetlink socket for port_mod's administrative up/down, opened on first use */
  rtnl?: RtnlSocket;
  /** conntrack netlink socket for NXT_CT_FLUSH(_ZONE), opened on first use */
  conntrack?: ConntrackSocket;
  /** What unixctl commands see: each part once it is up. */
  parts: DaemonParts;
}

let running: Running | undefined;

/**
 * Probes what the datapath supports and logs it as OVS does at startup
 * (`ofproto_dpif|INFO|system@ovs-system: Datapath supports recirculation`, …). A failed probe is
 * logged and does not stop the daemon: the skeleton's translation needs none of these features.
 */
async function logDatapathFeatures(dpif: DpifNetlink, dpIfindex: number, name: string): Promise<void> {
  try {
    const f = await probeDatapathFeatures(dpif, dpIfindex);
    for (const line of formatFeatureLog(`system@${name}`, f)) {
      const [module, level, ...text] = line.split('|');
      const lg = vlogModule(module);
      const fn = level === 'WARN' ? lg.warn : level === 'ERR' ? lg.err : level === 'DBG' ? lg.dbg : lg.info;
      fn.call(lg, text.join('|'));
    }
  } catch (e) {
    dpifLog.warn(`probing datapath features failed: ${(e as Error).message}`);
  }
}

/** Thrown inside startup when shutdown() was called meanwhile. */
class StartupAborted extends Error {}

function check(r: Running): void {
  if (r.stopping) throw new StartupAborted('shut down during startup');
}

/**
 * Starts the daemon and resolves once it serves: the datapath is open, the first database
 * contents are applied and the handlers are registered for upcalls. It keeps running afterwards
 * until {@link shutdown}.
 *
 * @param opts the parsed command line (`DATABASE` is the ovsdb-server remote)
 * @param log the `vswitchd` module's logger
 * @throws NetlinkError when the kernel module is missing (ENOENT resolving `ovs_datapath`) or the
 *   datapath cannot be created; Error when the database remote is malformed
 */
export async function runVswitchd(opts: VswitchdOptions, log: VlogModule): Promise<void> {
  const r: Running = { stopping: false, parts: {}, coverage: new Coverage() };
  running = r;
  try {
    await start(r, opts, log);
  } catch (e) {
    if (e instanceof StartupAborted) return;
    throw e;
  }
}

/**
 * Creates the unixctl registry with every command, and the server unless `--unixctl=none`.
 * @throws Error `PATH: could not initialize control socket (REASON)`
 */
async function startUnixctl(r: Running, opts: VswitchdOptions, log: VlogModule, ofproto: OfprotoCommands): Promise<void> {
  const coverage = r.coverage;
  coverage.start(monotonicMs);
  const registry = new UnixctlRegistry();
  const parts = (): DaemonParts => r.parts;
  registry.register('exit', '[--cleanup]', 0, 1, (args) => {
    // After the reply has gone out, as OVS leaves its main loop after answering.
    const cleanup = args.length === 1 && args[0] === '--cleanup';
    setImmediate(() => void exitDaemon(cleanup, log));
    return '';
  });
  registerVlogCommands(registry);
  registerCoverageCommands(registry, coverage);
  registerMemoryCommand(registry, parts, (b) => ofproto.rulesOf(b));
  ofproto.register(registry);
  new TraceCommands(parts, (br) => r.parts.xlateBridge?.(br)).register(registry);
  registerUpcallCommands(registry, parts);
  await registerDpctlCommands(registry, parts);
  if (opts.unixctl === 'none') return;
  r.unixctl = await UnixctlServer.listen(opts.unixctl ?? defaultUnixctlPath(), registry, { version: versionText(), coverage });
}

/** `ovs-appctl exit [--cleanup]`: shuts down (deleting the datapath with `cleanup`), then exits. */
async function exitDaemon(cleanup: boolean, log: VlogModule): Promise<void> {
  try {
    await shutdown({ cleanup });
  } catch (e) {
    log.err(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  process.exit(0);
}

async function start(r: Running, opts: VswitchdOptions, log: VlogModule): Promise<void> {
  const ofproto = new OfprotoCommands(() => r.parts);
  await startUnixctl(r, opts, log, ofproto);
  check(r);
  const dpif = await DpifNetlink.open();
  r.dpif = dpif;
  check(r);
  const dp = await dpif.openDatapath(undefined, true, process.env.TS_VSWITCHD_DISPATCH_MODE !== 'per-vport');
  r.parts.dpif = dpif;
  r.parts.dp = dp;
  dpifLog.info(`${dp.created ? 'created' : 'opened existing'} datapath ${dp.name} (dp_ifindex ${dp.dpIfindex}, user features 0x${dp.userFeatures.toString(16)})`);
  dpifLog.info(`Datapath dispatch mode: ${dp.perCpuDispatch ? 'per-cpu' : 'per-vport'}`);
  await logDatapathFeatures(dpif, dp.dpIfindex, dp.name);
  const existing = await dpif.vportDump(dp.dpIfindex);
  check(r);

  const ovsdb = new OvsdbClient(opts.database, {
    tables: BRIDGE_MONITORED_TABLES,
    logger: { info: (m) => ovsdbLog.info(m), warn: (m) => ovsdbLog.warn(m), debug: (m) => ovsdbLog.dbg(m) },
  });
  r.ovsdb = ovsdb;
  r.parts.ovsdb = ovsdb;
  const udpif = new Udpif(dpif, dp, undefined, r.coverage.shared);
  r.udpif = udpif;
  // The MAC table's totals, under OVS's names; aged entries are expired before being counted.
  const macTotal = (key: keyof MacLearningStats) => () => {
    if (key === 'expired') ofproto.expireMacs();
    return udpif.macTable.statistics()[key];
  };
  for (const key of ['learned', 'expired', 'evicted', 'moved'] as const) r.coverage.register(`mac_learning_${key}`, macTotal(key));
  let reconfigure = (): Promise<void> => Promise.resolve();
  const mf = await meterFeatures(dpif, dp.dpIfindex);
  const bridge: BridgeLayer = new BridgeLayer(ovsdb, dpif, dp.dpIfindex, udpif, bridgeLog, {
    rundir: rundir(),
    env: {
      log: connmgrLog,
      applyFlowDelta: (br, delta) => udpif.applyFlowDelta(br, delta),
      portCounters: async (odpPort) => (await dpif.vportGetByNumber(dp.dpIfindex, odpPort)).stats,
      settingsChanged: () => {
        r.bridge?.refreshWorkerSettings();
        ofproto.noteConfig(udpif.getConfig());
      },
      statusChanged: () => void reconfigure(),
      packetOut: (br, packet, inPort, ofpacts): Promise<void> => executePacketOut(dpif, dp.dpIfindex, udpif, bridge, br, packet, inPort, ofpacts),
      meterFeatures: mf,
      meters: mf ? new DpifMeters(dpif, dp.dpIfindex, mf.maxMeters, (t) => dpifLog.warn(t)) : undefined,
      ctFlush: async (req) => {
        if (req.origTuple || req.replyTuple) {
          connmgrLog.warn('ct-flush by connection tuple is not supported yet: nothing flushed');
          return;
        }
        r.conntrack ??= ConntrackSocket.open();
        await r.conntrack.flush(req.zone);
      },
      setPortUp: async (name, up) => {
        const st = readNetdevState(name);
        try {
          if (!st) throw new Error('no such device');
          r.rtnl ??= RtnlSocket.open();
          await r.rtnl.setFlags(st.ifindex, up ? IFF_UP : 0, IFF_UP);
        } catch (e) {
          connmgrLog.warn(`${name}: cannot turn the device ${up ? 'up' : 'down'}: ${(e as Error).message}`);
        }
        bridge.refreshPorts();
      },
    },
  });
  r.bridge = bridge;
  r.parts.ofprotos = bridge.ofprotos;
  r.parts.xlateBridge = (br) => mainXlateBridge(udpif, bridge, br);
  udpif.on('rule-stats', (br, credits, tables) => bridge.ofprotos.get(br)?.creditRules(credits, tables));
  udpif.on('packet-in', (pin) => bridge.ofprotos.get(pin.bridge)?.sendPacketIn(pin));
  udpif.on('xlate-effects', (br, learns, fins) => applyXlateEffects(bridge, br, learns, fins));
  bridge.adoptVports(existing);

  ovsdb.on('connected', () => log.info(`${opts.database}: connected`));
  ovsdb.on('disconnected', (e?: Error) => log.warn(`${opts.database}: connection dropped${e ? ` (${e.message})` : ''}; reconnecting`));
  await ovsdb.start();
  check(r);
  await udpif.start({ nHandlers: bridge.nHandlerThreads() ?? Udpif.defaultHandlers(), maxIdleMs: bridge.maxIdleMs() }, { version: 0, bridges: [] });
  check(r);
  if (!dp.perCpuDispatch) {
    // Per-vport dispatch: vports from an earlier run (and the datapath's own port 0) still name
    // that run's sockets.
    for (const v of existing) {
      if (v.portNo !== undefined) await dpif.vportSetUpcallPids(dp.dpIfindex, v.portNo, udpif.vportUpcallPids());
    }
  }
  r.parts.udpif = udpif;
  reconfigure = (): Promise<void> => bridge.reconfigure().then(() => ofproto.noteConfig(udpif.getConfig()));
  ovsdb.on('update', () => void reconfigure());
  await reconfigure();
  check(r);
  log.info('ts-vswitchd ready');
}

/** The kernel's meter limits (`OVS_METER_CMD_FEATURES`), or undefined when it has no meters. */
async function meterFeatures(dpif: DpifNetlink, dpIfindex: number): Promise<{ maxMeters: number; maxBands: number } | undefined> {
  try {
    const f = await dpif.meterFeatures(dpIfindex);
    return f.maxMeters !== undefined && f.maxBands !== undefined ? { maxMeters: f.maxMeters, maxBands: f.maxBands } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Bridge `br` as translation on the main thread sees it (PACKET_OUT, ofproto/trace): its live
 * tables, its ports with their port_mod config, its view of the shared MAC table, its miss, frag
 * and meter settings, and the other bridges (patch ports lead into them). Undefined when the
 * bridge is not configured.
 */
function mainXlateBridge(udpif: Udpif, bridge: BridgeLayer, br: string): XlateBridge | undefined {
  const o = bridge.ofprotos.get(br);
  const bc = udpif.getConfig().bridges.find((b) => b.name === br);
  if (!o || !bc) return undefined;
  const ws = o.workerSettings();
  return {
    name: br,
    tables: o.tables,
    ports: new Map(bc.ports.map((p) => [p.ofport, { ...p, config: ws.portConfig[p.ofport] ?? 0, state: ws.portState[p.ofport] ?? 0 }])),
    ml: macLearningFor(udpif.macTable, bc),
    tableMiss: (t) => ws.tableMiss[t] ?? 'default',
    fragHandling: ws.fragHandling,
    packetInOnMiss: ws.packetInOnMiss,
    dpMeterId: (id) => ws.meters[id],
    bridge: (name) => mainXlateBridge(udpif, bridge, name),
    group: (id) => ws.groups.find((g) => g.groupId === id),
  };
}

/**
 * Applies a translation's learned flows and fin_timeout reductions, each to the bridge it names
 * (a learn or fin_timeout reached through a patch port belongs to the peer bridge), `br` (the
 * translation's input bridge) for learned flows that name none.
 */
function applyXlateEffects(bridge: BridgeLayer, br: string, learns: readonly LearnedFlow[], fins: readonly FinTimeoutEffect[]): void {
  const names = new Set<string>([...learns.map((l) => l.bridge ?? br), ...fins.map((f) => f.bridge)]);
  for (const name of names) {
    bridge.ofprotos.get(name)?.applyXlateEffects(learns.filter((l) => (l.bridge ?? br) === name), fins.filter((f) => f.bridge === name));
  }
}

/**
 * Executes a PACKET_OUT on bridge `br` (OVS `ofproto_dpif_execute_actions()`): translates the
 * actions against the bridge's tables, ports and MAC table on the main thread, runs the result
 * on the packet in the kernel (`OVS_PACKET_CMD_EXECUTE`); packet-ins come back through the
 * handlers (userspace(controller) actions).
 * @throws NetlinkError when the kernel refuses the execute
 */
async function executePacketOut(dpif: DpifNetlink, dpIfindex: number, udpif: Udpif, bridge: BridgeLayer, br: string,
  packet: Buffer, inPort: number, ofpacts: Ofpact[]): Promise<void> {
  const o = bridge.ofprotos.get(br);
  const xb = mainXlateBridge(udpif, bridge, br);
  if (!o || !xb) return;
  const r = xlatePacketOut(xb, flowExtract(packet, inPort), packet, ofpacts, monotonicMs());
  if (r.helped) {
    for (const e of r.helped) await dpif.packetExecute({ dpIfindex, packet: e.packet, keyRaw: r.odpKey, actionsRaw: e.odpActions });
  } else if (r.odpActions.length) await dpif.packetExecute({ dpIfindex, packet, keyRaw: r.odpKey, actionsRaw: r.odpActions });
  // As OVS (xlate with resubmit_stats): the packet counts in the rules and tables it went through.
  const now = Date.now();
  const tables = new Map<number, TableCredit>();
  addTableLookups(tables, r.tableLookups, 1n);
  o.creditRules(r.rules.map((id) => [id, 1n, BigInt(packet.length), now] as const), [...tables.values()]);
  applyXlateEffects(bridge, br, r.learns ?? [], r.finTimeouts ?? []);
  for (const p of r.peers ?? []) {
    const peerTables = new Map<number, TableCredit>();
    addTableLookups(peerTables, p.tableLookups, 1n);
    bridge.ofprotos.get(p.bridge)?.creditRules(p.rules.map((id) => [id, 1n, BigInt(packet.length), now] as const), [...peerTables.values()]);
  }
  // r.packetIns reach the controllers as in OVS: the kernel runs the userspace(controller)
  // actions and a handler turns the OVS_PACKET_CMD_ACTION upcalls into packet-ins.
}

/**
 * Stops the daemon: workers stop, sockets close, the datapath and its ports and flows stay
 * unless `opts.cleanup` asks to delete the datapath. Safe to call when not running, and during
 * startup (which then stops where it is and resolves).
 * @param opts.cleanup delete the datapath, and with it every vport and flow (`exit --cleanup`)
 * @throws NetlinkError when the datapath cannot be deleted (everything else is stopped by then)
 */
export async function shutdown(opts: { cleanup?: boolean } = {}): Promise<void> {
  const r = running;
  running = undefined;
  if (!r) return;
  r.stopping = true;
  const dp = r.parts.dp;
  r.parts = {};
  r.ovsdb?.close();
  r.bridge?.close();
  await r.udpif?.stop();
  try {
    if (opts.cleanup && r.dpif) {
      const name = dp?.name;
      await r.dpif.deleteDatapath(name);
      dpifLog.info(`deleted datapath ${name ?? 'ovs-system'}`);
    }
  } finally {
    r.dpif?.close();
    r.rtnl?.close();
    r.conntrack?.close();
    r.coverage.stop();
    await r.unixctl?.close();
  }
}
