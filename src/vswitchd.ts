/**
 * The daemon's wiring (OVS's `vswitchd/ovs-vswitchd.c` main): open the kernel datapath, follow
 * the database, start the upcall handlers and the revalidator, and reconcile on every change.
 *
 * Stopping (SIGTERM, SIGINT) stops the workers and closes the sockets but leaves the datapath,
 * its vports and its flows in the kernel, so traffic keeps flowing on existing megaflows and a
 * restarted daemon adopts them.
 */
import type { VswitchdOptions } from './cli';
import { BridgeLayer, BRIDGE_MONITORED_TABLES } from './bridge/bridge';
import { OvsdbClient } from './bridge/ovsdb-client';
import { DpifNetlink } from './dpif-netlink/dpif';
import { Udpif } from './upcall/udpif';
import { vlogModule, VlogModule } from './util/vlog';

// Registered at load time so `-v`/`vlog/set` know these modules before the daemon starts.
const dpifLog = vlogModule('dpif_netlink');
const ovsdbLog = vlogModule('ovsdb_idl');
const bridgeLog = vlogModule('bridge');

/** What is up so far; filled in as startup proceeds so a signal mid-startup can undo it. */
interface Running {
  stopping: boolean;
  dpif?: DpifNetlink;
  ovsdb?: OvsdbClient;
  udpif?: Udpif;
}

let running: Running | undefined;

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
  const r: Running = { stopping: false };
  running = r;
  try {
    await start(r, opts, log);
  } catch (e) {
    if (e instanceof StartupAborted) return;
    throw e;
  }
}

async function start(r: Running, opts: VswitchdOptions, log: VlogModule): Promise<void> {
  const dpif = await DpifNetlink.open();
  r.dpif = dpif;
  check(r);
  const dp = await dpif.openDatapath(undefined, true, process.env.TS_VSWITCHD_DISPATCH_MODE !== 'per-vport');
  dpifLog.info(`${dp.created ? 'created' : 'opened existing'} datapath ${dp.name} (dp_ifindex ${dp.dpIfindex}, user features 0x${dp.userFeatures.toString(16)})`);
  dpifLog.info(`Datapath dispatch mode: ${dp.perCpuDispatch ? 'per-cpu' : 'per-vport'}`);
  const existing = await dpif.vportDump(dp.dpIfindex);
  check(r);

  const ovsdb = new OvsdbClient(opts.database, {
    tables: BRIDGE_MONITORED_TABLES,
    logger: { info: (m) => ovsdbLog.info(m), warn: (m) => ovsdbLog.warn(m), debug: (m) => ovsdbLog.dbg(m) },
  });
  r.ovsdb = ovsdb;
  const udpif = new Udpif(dpif, dp);
  r.udpif = udpif;
  const bridge = new BridgeLayer(ovsdb, dpif, dp.dpIfindex, udpif, bridgeLog);
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
  ovsdb.on('update', () => void bridge.reconfigure());
  await bridge.reconfigure();
  check(r);
  log.info('ts-vswitchd ready');
}

/**
 * Stops the daemon: workers stop, sockets close, the datapath and its ports and flows stay.
 * Safe to call when not running, and during startup (which then stops where it is and
 * resolves).
 */
export async function shutdown(): Promise<void> {
  const r = running;
  running = undefined;
  if (!r) return;
  r.stopping = true;
  r.ovsdb?.close();
  await r.udpif?.stop();
  r.dpif?.close();
}
