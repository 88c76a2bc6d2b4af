/**
 * unixctl commands about bridges, their flow tables, MAC tables and datapath view, with the
 * output of OVS 3.1 for the same state (`vswitchd/bridge.c`, `ofproto/ofproto.c`,
 * `ofproto/ofproto-dpif.c`):
 *
 * - `bridge/dump-flows [--offload-stats] BRIDGE`: every rule, hidden ones included;
 * - `ofproto/list`, `dpif/dump-dps`, `dpif/show`, `dpif/dump-flows [-m] [--names|--no-names] BRIDGE`;
 * - `fdb/show BRIDGE`, `fdb/flush [BRIDGE]`, `fdb/stats-show BRIDGE`, `fdb/stats-clear [BRIDGE]`.
 *
 * Where ts-vswitchd differs (each also listed in test/kernel/appctl.test.ts):
 * - several bridges are listed by name, where OVS lists `ofproto/list` in hash-table order.
 */
import type { DpifNetlink } from '../../dpif-netlink/dpif';
import { formatFlowStats, formatOdpActions, formatUfidText } from '../../dpctl/format';
import { formatFlowKey } from '../../genl/flow-key';
import {
  OVS_VPORT_TYPE_GENEVE, OVS_VPORT_TYPE_GRE, OVS_VPORT_TYPE_INTERNAL, OVS_VPORT_TYPE_NETDEV, OVS_VPORT_TYPE_VXLAN,
} from '../../genl/openvswitch';
import { MAC_DEFAULT_MAX } from '../../ofproto-dpif/mac-learning';
import { BridgeConfig, OFPP_LOCAL, OfprotoConfig } from '../../ofproto-dpif/ofproto';
import { formatMatch } from '../../openflow/match-format';
import { formatOfpacts } from '../../openflow/ofpacts-format';
import { UnixctlError, UnixctlRegistry } from '../registry';
import { bridgesOf, DaemonParts, findBridge, monotonicMs, PartsGetter } from './parts';

/** How OVS names the datapath type of every bridge we serve (`dpif_name()` prefix). */
const DP_TYPE = 'system';

/**
 * The internal rules OVS adds to table 254 of every bridge (`add_internal_flows()`), as
 * `bridge/dump-flows` prints their match and actions. ts-vswitchd's translation has the same
 * behaviour built in (a packet with recirc_id 0 that no rule takes is dropped), so the bridge
 * shows the same rules; they never count packets.
 */
const HIDDEN_RULES = [
  'priority=2,recirc_id=0,actions=drop',
  'priority=0,reg0=0x1,actions=controller(reason=)',
  'priority=0,reg0=0x2,actions=drop',
  'priority=0,reg0=0x3,actions=drop',
];
/** The table OVS keeps its internal rules in (`TBL_INTERNAL`). */
const TBL_INTERNAL = 254;

/** `netdev_get_type()` of a port, from its vport type. */
const NETDEV_TYPES = new Map<number, string>([
  [OVS_VPORT_TYPE_NETDEV, 'system'],
  [OVS_VPORT_TYPE_INTERNAL, 'internal'],
  [OVS_VPORT_TYPE_GRE, 'gre'],
  [OVS_VPORT_TYPE_VXLAN, 'vxlan'],
  [OVS_VPORT_TYPE_GENEVE, 'geneve'],
]);

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** `ofputil_port_to_string()` without a port map: reserved ports by name, others as numbers. */
function ofportText(ofport: number): string {
  return ofport === OFPP_LOCAL ? 'LOCAL' : String(ofport);
}

function requireBridge(parts: DaemonParts, name: string, error: string): BridgeConfig {
  const br = findBridge(parts, name);
  if (!br) throw new UnixctlError(error);
  return br;
}

/** Names of the datapath's ports by odp port number (OVS's `portno_names`). */
async function portNames(dpif: DpifNetlink, dpIfindex: number): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const v of await dpif.vportDump(dpIfindex)) {
    if (v.portNo !== undefined && v.name !== undefined) names.set(v.portNo, v.name);
  }
  return names;
}

/**
 * The bridge and datapath commands. {@link OfprotoCommands.noteConfig} must see every new
 * configuration, so that rule durations count from when each bridge appeared.
 */
export class OfprotoCommands {
  /** Bridge id → when its rules were created (CLOCK_MONOTONIC ms). Ids are never reused. */
  private readonly created = new Map<number, number>();

  /**
   * @param clock CLOCK_MONOTONIC ms (MAC ages, hidden rules' durations)
   * @param wallClock wall-clock ms, the clock of the flow tables' rule times
   */
  constructor(private readonly parts: PartsGetter, private readonly clock: () => number = monotonicMs, private readonly wallClock: () => number = Date.now) {}

  /** Records when bridges first appear in `config` (call after every reconfiguration). */
  noteConfig(config: OfprotoConfig): void {
    const now = this.clock();
    const live = new Set<number>();
    for (const b of config.bridges) {
      live.add(b.id);
      if (!this.created.has(b.id)) this.created.set(b.id, now);
    }
    for (const id of [...this.created.keys()]) if (!live.has(id)) this.created.delete(id);
  }

  /**
   * Removes aged MAC entries of every bridge, counting them as expired (OVS does this
   * periodically; ts-vswitchd does it before the counts are read).
   */
  expireMacs(): void {
    const parts = this.parts();
    const aging = new Map(bridgesOf(parts).map((b) => [b.id, b.macAgingS * 1000]));
    parts.udpif?.macTable.expire(this.clock(), (id) => aging.get(id));
  }

  /** Rules each bridge shows in `bridge/dump-flows` (`memory/show` counts them), hidden ones included. */
  rulesOf(br: BridgeConfig): number {
    return (this.parts().ofprotos?.get(br.name)?.tables.size ?? 0) + HIDDEN_RULES.length;
  }

  /** Registers the commands in `registry`. */
  register(registry: UnixctlRegistry): void {
    registry.register('bridge/dump-flows', '[--offload-stats] bridge', 1, 2, (a) => this.dumpRules(a));
    registry.register('bridge/reconnect', '[bridge]', 0, 1, (a) => this.reconnect(a));
    registry.register('ofproto/list', '', 0, 0, () => this.list());
    registry.register('fdb/flush', '[bridge]', 0, 1, (a) => this.fdbFlush(a));
    registry.register('fdb/show', 'bridge', 1, 1, (a) => this.fdbShow(a[0]));
    registry.register('fdb/stats-clear', '[bridge]', 0, 1, (a) => this.fdbStatsClear(a));
    registry.register('fdb/stats-show', 'bridge', 1, 1, (a) => this.fdbStatsShow(a[0]));
    registry.register('dpif/dump-dps', '', 0, 0, () => this.dumpDps());
    registry.register('dpif/show', '', 0, 0, () => this.dpifShow());
    registry.register('dpif/dump-flows', '[-m] [--names | --no-names] bridge', 1, Infinity, (a) => this.dumpFlows(a));
  }

  /**
   * `bridge/dump-flows [--offload-stats] BRIDGE` (OVS `ofproto_get_all_flows()`): every rule of
   * every table, then the hidden internal rules of table 254, one per line as
   * `[table_id=N, ]duration=Ns, n_packets=N, n_bytes=N, [n_offload_packets=0, n_offload_bytes=0, ]MATCH,actions=ACTIONS`.
   */
  private dumpRules(args: string[]): string {
    const parts = this.parts();
    const br = requireBridge(parts, args[args.length - 1], 'Unknown bridge');
    const offload = args.slice(0, -1).includes('--offload-stats');
    const offloadText = offload ? 'n_offload_packets=0, n_offload_bytes=0, ' : '';
    const nowWall = this.wallClock();
    let out = '';
    for (const r of parts.ofprotos?.get(br.name)?.tables.rules() ?? []) {
      out += `${r.tableId ? `table_id=${r.tableId}, ` : ''}duration=${Math.floor((nowWall - r.createdMs) / 1000)}s, `
        + `n_packets=${r.packetCount}, n_bytes=${r.byteCount}, ${offloadText}`
        + `${formatMatch(r.match, r.priority)},actions=${formatOfpacts(r.ofpacts)}\n`;
    }
    const seconds = Math.floor((this.clock() - (this.created.get(br.id) ?? this.clock())) / 1000);
    for (const rule of HIDDEN_RULES) {
      out += `table_id=${TBL_INTERNAL}, duration=${seconds}s, n_packets=0, n_bytes=0, ${offloadText}${rule}\n`;
    }
    return out;
  }

  /**
   * `bridge/reconnect [BRIDGE]`: drops the OpenFlow connections of one bridge or of all, so
   * controllers reconnect (OVS `bridge_unixctl_reconnect`). No output.
   * @throws UnixctlError "Unknown bridge"
   */
  private reconnect(args: string[]): string {
    const parts = this.parts();
    const names = args.length ? [requireBridge(parts, args[0], 'Unknown bridge').name] : bridgesOf(parts).map((b) => b.name);
    for (const n of names) parts.ofprotos?.get(n)?.connmgr?.reconnect();
    return '';
  }

  /** `ofproto/list`: one bridge name per line. */
  private list(): string {
    return bridgesOf(this.parts()).map((b) => b.name).sort(byteOrder).map((n) => `${n}\n`).join('');
  }

  /** `fdb/flush [BRIDGE]`: forgets the learned MACs of one bridge or of all. */
  private fdbFlush(args: string[]): string {
    const parts = this.parts();
    const targets = args.length ? [requireBridge(parts, args[0], 'no such bridge')] : bridgesOf(parts);
    for (const br of targets) parts.udpif?.macTable.flushWhere(br.id, () => true);
    return 'table successfully flushed';
  }

  /** `fdb/show BRIDGE`: the MAC table, least recently used first, with ages in seconds. */
  private fdbShow(name: string): string {
    const parts = this.parts();
    const br = requireBridge(parts, name, 'no such bridge');
    const now = this.clock();
    const entries = parts.udpif?.macTable.lru(br.id, now, br.macAgingS * 1000) ?? [];
    let out = ' port  VLAN  MAC                Age\n';
    for (const e of entries) {
      // OVS ages entries in whole seconds of its coarse clock: now_s - learned_s.
      const age = Math.floor(now / 1000) - Math.floor(e.usedMs / 1000);
      out += `${ofportText(e.ofport).padStart(5)}  ${String(e.vlan).padStart(4)}  ${e.mac}  ${String(age).padStart(3)}\n`;
    }
    return out;
  }

  /** `fdb/stats-clear [BRIDGE]`: zeroes the learning totals of one bridge or of all. */
  private fdbStatsClear(args: string[]): string {
    const parts = this.parts();
    const targets = args.length ? [requireBridge(parts, args[0], 'no such bridge')] : bridgesOf(parts);
    for (const br of targets) parts.udpif?.macTable.clearStatistics(br.id);
    return 'statistics successfully cleared';
  }

  /** `fdb/stats-show BRIDGE`: current, static and total learning counts. */
  private fdbStatsShow(name: string): string {
    const parts = this.parts();
    const br = requireBridge(parts, name, 'no such bridge');
    const table = parts.udpif?.macTable;
    const now = this.clock();
    this.expireMacs();
    const current = table?.lru(br.id, now, br.macAgingS * 1000).length ?? 0;
    const s = table?.statistics(br.id) ?? { learned: 0, expired: 0, evicted: 0, moved: 0 };
    return `Statistics for bridge "${name}":\n`
      + `  Current/maximum MAC entries in the table: ${current}/${br.macTableSize ?? MAC_DEFAULT_MAX}\n`
      + '  Current static MAC entries in the table : 0\n'
      + `  Total number of learned MAC entries     : ${s.learned}\n`
      + `  Total number of expired MAC entries     : ${s.expired}\n`
      + `  Total number of evicted MAC entries     : ${s.evicted}\n`
      + `  Total number of port moved MAC entries  : ${s.moved}\n`;
  }

  /** `dpif/dump-dps`: `system@BRIDGE` per bridge, sorted. */
  private dumpDps(): string {
    return bridgesOf(this.parts()).map((b) => `${DP_TYPE}@${b.name}`).sort(byteOrder).map((n) => `${n}\n`).join('');
  }

  /**
   * `dpif/show`: the datapath's hit/missed counts, then each bridge (sorted) with its ports
   * (sorted by name) as `NAME OFPORT/ODPPORT: (TYPE)`.
   */
  private async dpifShow(): Promise<string> {
    const { dpif, dp, udpif } = this.parts();
    if (!dpif || !dp || !udpif) return '';
    const stats = (await dpif.getDatapath(dp.name)).stats;
    const types = new Map<string, number>();
    for (const v of await dpif.vportDump(dp.dpIfindex)) if (v.name !== undefined && v.type !== undefined) types.set(v.name, v.type);
    let out = `${DP_TYPE}@${dp.name}: hit:${stats?.hit ?? 0n} missed:${stats?.missed ?? 0n}\n`;
    const bridges = [...udpif.getConfig().bridges].sort((a, b) => byteOrder(`${DP_TYPE}@${a.name}`, `${DP_TYPE}@${b.name}`));
    for (const br of bridges) {
      out += `  ${br.name}:\n`;
      for (const p of [...br.ports].sort((a, b) => byteOrder(a.name, b.name))) {
        const type = types.get(p.name);
        if (p.patch) out += `    ${p.name} ${p.ofport}/none: (patch: peer=${p.patch.peerName})\n`;
        else out += `    ${p.name} ${p.ofport}/${p.odpPort}: (${(type !== undefined && NETDEV_TYPES.get(type)) || 'system'})\n`;
      }
    }
    return out;
  }

  /**
   * `dpif/dump-flows [-m] [--names|--no-names] BRIDGE`: the datapath's flows whose input port
   * belongs to BRIDGE, in the kernel's dump order, as `[ufid:… ]KEY, packets:N, bytes:N,
   * used:Xs, actions:…`. `-m` prints the UFID and every key field (wildcarded ones as
   * `value/0`); port names replace numbers with `--names`, which `-m` implies.
   */
  private async dumpFlows(args: string[]): Promise<string> {
    const parts = this.parts();
    const br = requireBridge(parts, args[args.length - 1], 'no such bridge');
    let verbose = false;
    let names: boolean | undefined;
    for (const a of args.slice(0, -1)) {
      if (a === '-m') verbose = true;
      else if (a === '--names') names = true;
      else if (a === '--no-names') names = false;
    }
    const { dpif, dp } = parts;
    if (!dpif || !dp) return '';
    const portNameMap = (names ?? verbose) ? await portNames(dpif, dp.dpIfindex) : undefined;
    const odpPorts = new Set(br.ports.map((p) => p.odpPort));
    let flows;
    try {
      flows = await dpif.flowDump(dp.dpIfindex);
    } catch (e) {
      throw new UnixctlError(`dpif/dump_flows failed: ${(e as Error).message}`);
    }
    const now = BigInt(this.clock());
    let out = '';
    for (const f of flows) {
      if (!f.key || f.key.inPort === undefined || !odpPorts.has(f.key.inPort)) continue;
      if (verbose && f.ufid) out += `${formatUfidText(f.ufid)} `;
      out += formatFlowKey(f.key, f.mask, { verbose, portNames: portNameMap });
      out += `, ${formatFlowStats({ packets: f.stats?.packets ?? 0n, bytes: f.stats?.bytes ?? 0n, used: f.used, tcpFlags: f.tcpFlags }, now)}`;
      out += `, actions:${formatOdpActions(f.actions ?? [], portNameMap)}\n`;
    }
    return out;
  }
}
