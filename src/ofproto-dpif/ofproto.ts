/**
 * ofproto on the kernel datapath as the upcall workers hold it: the plain-object configuration
 * the main thread ships (bridges, their ports with OpenFlow and datapath numbers, the settings
 * translation reads) and each bridge's replica of its OpenFlow tables, kept in step by
 * `FlowTablesDelta`s (DESIGN.md §4: "large tables shipped once, then deltas").
 *
 * One kernel datapath holds every bridge; each bridge maps its OpenFlow port numbers (ofport)
 * onto datapath port numbers (odp port).
 */
import type { TableMiss } from '../openflow/ofp-table';
import type { GroupDesc } from '../openflow/ofp-group';
import { OFPC_FRAG_NORMAL } from '../openflow/ofp-switch';
import { FlowTablesDelta, FlowTablesReplica } from './flow-table';
import { MacLearning, MacTable, MAC_DEFAULT_AGING_S, MAC_DEFAULT_MAX } from './mac-learning';
import { portVlanChanged, type PortVlanConfig } from './xlate-normal';
import type { XlateBridge, XlateOwner } from './xlate';

/** OpenFlow's `OFPP_LOCAL`: the bridge's own internal port (OpenFlow 1.0 §5.2.1). */
export const OFPP_LOCAL = 0xfffe;
/** OpenFlow's `OFPP_NONE` in OpenFlow 1.0 numbering: "no port". */
export const OFPP_NONE = 0xffff;

/**
 * One port (interface) of a bridge as workers see it, with the VLAN configuration of the OVSDB
 * Port (bundle) it belongs to: every interface of a bundle carries the same.
 */
export interface PortConfig extends PortVlanConfig {
  name: string;
  /** OpenFlow port number (OFPP_LOCAL for the bridge's internal port) */
  ofport: number;
  /** datapath port number (`OVS_VPORT_ATTR_PORT_NO`) */
  odpPort: number;
  /** OFPUTIL_PC_* bits set by port_mod (NO_RECV, NO_FLOOD, NO_FWD, NO_PACKET_IN); default 0 */
  config?: number;
  /** OFPUTIL_PS_* bits (LINK_DOWN: not live for fast_failover/select buckets); default 0 */
  state?: number;
  /**
   * A patch port (`Interface type=patch`): it has no datapath port (`odpPort` is ODPP_NONE);
   * `peerName` is its `options:peer`, `peer` the port it is joined to when that port names this
   * one back (OVS `ofport_update_peer()`)
   */
  patch?: PatchPeer;
  /**
   * when the port joined its bridge (smaller: earlier; the bridge's own port first). OVS floods
   * in the order of its per-bridge port tables, which follows this order (xlate `floodOrder`,
   * xlate-normal bundles); absent: after every port that has one, by datapath port
   */
  addSeq?: number;
}

/** What a patch port is joined to (see {@link PortConfig.patch}). */
export interface PatchPeer {
  /** `options:peer`: the name of the other end */
  peerName: string;
  /** the other end, absent while it does not exist or does not name this port back */
  peer?: { bridge: string; ofport: number };
}

/** One bridge as workers see it. Its flow tables arrive separately, as deltas. */
export interface BridgeConfig {
  name: string;
  /** small integer naming the bridge in the shared MAC table; never reused for another bridge */
  id: number;
  ports: PortConfig[];
  /** `other_config:mac-aging-time`, seconds */
  macAgingS: number;
  /** `other_config:mac-table-size`: most MAC entries of the bridge; default 8192 */
  macTableSize?: number;
  /** `Bridge.flood_vlans`: VLANs flooded without MAC learning (sorted); default none */
  floodVlans?: number[];
  /** OFPC_FRAG_* fragment handling (OpenFlow set_config); default OFPC_FRAG_NORMAL */
  fragHandling?: number;
  /** table_mod miss configuration of the tables that have one other than 'default' */
  tableMiss?: Record<number, TableMiss>;
  /**
   * Whether a table miss under the 'default' configuration sends a packet-in (OVS
   * `connmgr_wants_packet_in_on_miss()`); default true, leaving the choice per connection to the
   * main thread
   */
  packetInOnMiss?: boolean;
  /** the datapath's best dp_hash algorithm (XlateBridge.maxHashAlg); absent: OVS_HASH_ALG_L4 */
  maxHashAlg?: number;
  /** OpenFlow meter id → datapath meter id, for the meters installed in the datapath */
  meters?: Record<number, number>;
  /** the bridge's OpenFlow groups (group_mod), for the group action */
  groups?: GroupDesc[];
}

/** The whole snapshot the main thread posts to workers on every reconfiguration. */
export interface OfprotoConfig {
  /** bumped on every change; revalidators re-translate megaflows when it moves */
  version: number;
  bridges: BridgeConfig[];
}

/** A bridge replica inside a worker: its config, its flow tables, its view of the MAC table. */
export class BridgeReplica implements XlateBridge {
  readonly ports = new Map<number, PortConfig>();
  readonly ml: MacLearning;
  readonly tables = new FlowTablesReplica();
  private readonly groups = new Map<number, GroupDesc>();

  /**
   * @param bridges finds another bridge of the same replica (the peer of a patch port)
   */
  constructor(public config: BridgeConfig, table: MacTable, private readonly bridges?: (name: string) => BridgeReplica | undefined) {
    this.ml = macLearningFor(table, config);
    this.setConfig(config);
  }

  get name(): string {
    return this.config.name;
  }

  get fragHandling(): number {
    return this.config.fragHandling ?? OFPC_FRAG_NORMAL;
  }

  get packetInOnMiss(): boolean {
    return this.config.packetInOnMiss ?? true;
  }

  get maxHashAlg(): number | undefined {
    return this.config.maxHashAlg;
  }

  tableMiss(tableId: number): TableMiss {
    return this.config.tableMiss?.[tableId] ?? 'default';
  }

  dpMeterId(meterId: number): number | undefined {
    return this.config.meters?.[meterId];
  }

  /** Another bridge of the same replica, by name (a patch port's peer bridge). */
  bridge(name: string): BridgeReplica | undefined {
    return this.bridges?.(name);
  }

  /** The OpenFlow group `groupId`, undefined when there is none. */
  group(groupId: number): GroupDesc | undefined {
    return this.groups.get(groupId);
  }

  /**
   * Applies a new configuration; MAC entries on ports that went away are forgotten (every
   * replica does this; the flush is idempotent).
   */
  setConfig(config: BridgeConfig): void {
    const before = new Map(this.ports);
    const floodBefore = String(this.ml.floodVlans.size ? [...this.ml.floodVlans] : '');
    this.config = config;
    this.ports.clear();
    for (const p of config.ports) this.ports.set(p.ofport, p);
    this.groups.clear();
    for (const g of config.groups ?? []) this.groups.set(g.groupId, g);
    // As OVS's bundle_set(): a port whose VLAN settings changed forgets its MACs, like one that went away.
    const gone = [...before].filter(([ofport, p]) => !this.ports.has(ofport) || portVlanChanged(p, this.ports.get(ofport)!)).map(([o]) => o);
    if (gone.length) this.ml.table.flushWhere(config.id, (p) => gone.includes(p));
    this.ml.agingMs = config.macAgingS * 1000;
    this.ml.maxEntries = config.macTableSize ?? MAC_DEFAULT_MAX;
    this.ml.floodVlans = new Set(config.floodVlans ?? []);
    // As OVS's set_flood_vlans(): a new set of flood VLANs flushes the bridge's table.
    if (String(config.floodVlans ?? '') !== floodBefore) this.ml.flush();
  }
}

/**
 * The replica of every bridge that a worker translates against, over the MAC table that all
 * threads share.
 */
export class OfprotoReplica {
  /** the configuration version last applied */
  version = -1;
  /**
   * Bumped by every configuration and every flow table delta: a megaflow translated at an older
   * generation may be stale
   */
  generation = 0;
  readonly bridges = new Map<string, BridgeReplica>();
  /** deltas for bridges no configuration has created yet, applied when one does */
  private readonly pending = new Map<string, FlowTablesDelta[]>();
  private readonly byOdpPort = new Map<number, XlateOwner & { bridge: BridgeReplica; port: PortConfig }>();

  /** @param macTable the shared MAC table (a new private one by default, for tests) */
  constructor(readonly macTable: MacTable = new MacTable(undefined, 1024)) {}

  /**
   * Replaces the configuration with `config`. A bridge whose id changed is a new bridge: it
   * starts with empty tables.
   */
  apply(config: OfprotoConfig): void {
    this.version = config.version;
    this.generation++;
    const seen = new Set<string>();
    this.byOdpPort.clear();
    for (const bc of config.bridges) {
      seen.add(bc.name);
      let br = this.bridges.get(bc.name);
      if (br && br.config.id !== bc.id) {
        br.ml.flush();
        br = undefined;
      }
      if (br) br.setConfig(bc);
      else {
        br = new BridgeReplica(bc, this.macTable, (name) => this.bridges.get(name));
        this.bridges.set(bc.name, br);
        for (const d of this.pending.get(bc.name) ?? []) br.tables.apply(d);
        this.pending.delete(bc.name);
      }
      for (const p of bc.ports) if (!p.patch) this.byOdpPort.set(p.odpPort, { bridge: br, port: p });
    }
    for (const [name, br] of [...this.bridges]) {
      if (seen.has(name)) continue;
      br.ml.flush();
      this.bridges.delete(name);
    }
  }

  /**
   * Applies a flow table delta to bridge `bridge`'s replica. A delta for a bridge no
   * configuration has created yet is kept until one does (a `full` delta replaces those kept).
   * @returns false when the delta was kept for later
   */
  applyFlowDelta(bridge: string, delta: FlowTablesDelta): boolean {
    const br = this.bridges.get(bridge);
    if (!br) {
      const kept = delta.full ? [] : this.pending.get(bridge) ?? [];
      kept.push(delta);
      this.pending.set(bridge, kept);
      return false;
    }
    br.tables.apply(delta);
    this.generation++;
    return true;
  }

  /** Finds the bridge and port that own datapath port `odpPort`. */
  portOfOdp(odpPort: number): { bridge: BridgeReplica; port: PortConfig } | undefined {
    return this.byOdpPort.get(odpPort);
  }
}

/**
 * A bridge's view of the shared MAC table with its configured aging time, size limit and flood
 * VLANs (for the main thread's packet-outs as for the workers' replicas).
 */
export function macLearningFor(table: MacTable, config: BridgeConfig): MacLearning {
  const ml = new MacLearning(table, config.id, config.macAgingS * 1000);
  ml.maxEntries = config.macTableSize ?? MAC_DEFAULT_MAX;
  ml.floodVlans = new Set(config.floodVlans ?? []);
  return ml;
}

/** Default bridge settings from `ovs-vswitchd.conf.db(5)`. */
export const BRIDGE_DEFAULTS = { macAgingS: MAC_DEFAULT_AGING_S };
