/**
 * ofproto on the kernel datapath: the per-bridge state translation needs (ports with their
 * OpenFlow and datapath numbers, the flow table, the MAC table), and the plain-object
 * configuration snapshot the main thread ships to handler and revalidator workers
 * (DESIGN.md §4: "large tables shipped once, then deltas").
 *
 * One kernel datapath holds every bridge; each bridge maps its OpenFlow port numbers (ofport)
 * onto datapath port numbers (odp port).
 */
import { MacLearning, MacTable, MAC_DEFAULT_AGING_S } from './mac-learning';

/** OpenFlow's `OFPP_LOCAL`: the bridge's own internal port (OpenFlow 1.0 §5.2.1). */
export const OFPP_LOCAL = 0xfffe;
/** OpenFlow's `OFPP_NONE` in OpenFlow 1.0 numbering: "no port". */
export const OFPP_NONE = 0xffff;

/** One port of a bridge as workers see it. */
export interface PortConfig {
  name: string;
  /** OpenFlow port number (OFPP_LOCAL for the bridge's internal port) */
  ofport: number;
  /** datapath port number (`OVS_VPORT_ATTR_PORT_NO`) */
  odpPort: number;
}

/** One OpenFlow action the skeleton's tables can hold (ovs-actions(7)). */
export type OfAction = { type: 'normal' } | { type: 'drop' };

/** A flow table entry. The skeleton's only rule matches everything. */
export interface Rule {
  priority: number;
  actions: OfAction[];
}

/** One bridge as workers see it. */
export interface BridgeConfig {
  name: string;
  /** small integer naming the bridge in the shared MAC table; stable while the bridge exists */
  id: number;
  ports: PortConfig[];
  /** `other_config:mac-aging-time`, seconds */
  macAgingS: number;
  /** OpenFlow table 0, highest priority first */
  table0: Rule[];
}

/** The whole snapshot the main thread posts to workers on every reconfiguration. */
export interface OfprotoConfig {
  /** bumped on every change; revalidators re-translate megaflows when it moves */
  version: number;
  bridges: BridgeConfig[];
}

/** The default table 0 of a new bridge: `priority=0 actions=NORMAL`. */
export function defaultTable0(): Rule[] {
  return [{ priority: 0, actions: [{ type: 'normal' }] }];
}

/** A bridge replica inside a worker: its config plus its view of the shared MAC table. */
export class BridgeReplica {
  readonly byOfport = new Map<number, PortConfig>();
  readonly ml: MacLearning;

  constructor(public config: BridgeConfig, table: MacTable) {
    this.ml = new MacLearning(table, config.id, config.macAgingS * 1000);
    this.setConfig(config);
  }

  /**
   * Applies a new configuration; MAC entries on ports that went away are forgotten (every
   * replica does this; the flush is idempotent).
   */
  setConfig(config: BridgeConfig): void {
    const before = new Set(this.byOfport.keys());
    this.config = config;
    this.byOfport.clear();
    for (const p of config.ports) this.byOfport.set(p.ofport, p);
    const gone = [...before].filter((ofport) => !this.byOfport.has(ofport));
    if (gone.length) this.ml.table.flushWhere(config.id, (p) => gone.includes(p));
    this.ml.agingMs = config.macAgingS * 1000;
  }
}

/**
 * The replica of every bridge that a worker translates against, over the MAC table that all
 * threads share.
 */
export class OfprotoReplica {
  version = -1;
  readonly bridges = new Map<string, BridgeReplica>();
  private readonly byOdpPort = new Map<number, { bridge: BridgeReplica; port: PortConfig }>();

  /** @param macTable the shared MAC table (a new private one by default, for tests) */
  constructor(readonly macTable: MacTable = new MacTable(undefined, 1024)) {}

  /** Replaces the configuration with `config`. */
  apply(config: OfprotoConfig): void {
    this.version = config.version;
    const seen = new Set<string>();
    this.byOdpPort.clear();
    for (const bc of config.bridges) {
      seen.add(bc.name);
      let br = this.bridges.get(bc.name);
      if (br) br.setConfig(bc);
      else {
        br = new BridgeReplica(bc, this.macTable);
        this.bridges.set(bc.name, br);
      }
      for (const p of bc.ports) this.byOdpPort.set(p.odpPort, { bridge: br, port: p });
    }
    for (const [name, br] of [...this.bridges]) {
      if (seen.has(name)) continue;
      br.ml.flush();
      this.bridges.delete(name);
    }
  }

  /** Finds the bridge and port that own datapath port `odpPort`. */
  portOfOdp(odpPort: number): { bridge: BridgeReplica; port: PortConfig } | undefined {
    return this.byOdpPort.get(odpPort);
  }

}

/** Default bridge settings from `ovs-vswitchd.conf.db(5)`. */
export const BRIDGE_DEFAULTS = { macAgingS: MAC_DEFAULT_AGING_S };
