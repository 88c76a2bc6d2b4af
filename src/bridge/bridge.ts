/**
 * The bridge layer: reconciles the kernel datapath and ofproto with the configuration in the
 * `Open_vSwitch` database (`ovs-vswitchd.conf.db(5)`), as OVS's `vswitchd/bridge.c` does.
 *
 * On every database update it computes the wanted set of bridges and interfaces, creates and
 * deletes vports so the datapath matches (an internal vport named as each bridge, a netdev vport
 * per system interface), assigns OpenFlow port numbers, ships the new snapshot to the upcall
 * workers, and writes back what `ovs-vsctl` waits for and shows: `Interface.ofport`, `ifindex`,
 * `mac_in_use`, `error`, `Bridge.datapath_id`, and finally `Open_vSwitch.cur_cfg = next_cfg`.
 *
 * Existing vports are adopted, never re-created, so a daemon restart or an ovsdb-server restart
 * leaves ports (and the kernel flows through them) untouched.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { DpifNetlink } from '../dpif-netlink/dpif';
import type { VportMessage } from '../genl/messages';
import { OVS_VPORT_TYPE_INTERNAL, OVS_VPORT_TYPE_NETDEV } from '../genl/openvswitch';
import { NetlinkError } from '../genl/netlink';
import { BridgeConfig, OFPP_LOCAL, OfprotoConfig, PortConfig } from '../ofproto-dpif/ofproto';
import { ODPP_NONE } from '../ofproto-dpif/odp-flow';
import { macAgingTimeS, macTableSize } from '../ofproto-dpif/mac-learning';
import { resolvePortVlan, type PortVlanConfig } from '../ofproto-dpif/xlate-normal';
import type { Udpif } from '../upcall/udpif';
import { DEFAULT_MAX_IDLE_MS } from '../upcall/udpif';
import type { VlogModule } from '../util/vlog';
import { ethtoolGset } from '../genl/native';
import { DEFAULT_MAX_BACKOFF_MS, DEFAULT_PROBE_INTERVAL_MS, ControllerSettings, ControllerStatus, SslConfig } from '../openflow/connmgr';
import { OFP10_VERSION, OFP15_VERSION, VERSION_NAMES } from '../openflow/common';
import { featuresToKbps, OFPUTIL_PC_PORT_DOWN, OFPUTIL_PS_LINK_DOWN, OFPUTIL_PS_LIVE, PortDesc } from '../openflow/ofp-port';
import { BridgeOfproto, BridgeOfprotoEnv, BridgeOfprotoSettings } from '../ofproto-dpif/bridge-ofproto';
import type { TableSettings } from '../ofproto-dpif/flow-table';
import { CLS_MAX_TRIES } from '../ofproto-dpif/classifier';
import { clsPrefixField } from '../ofproto-dpif/cls-fields';
import { FLOW_LEN } from '../openflow/meta-flow';
import { parseSubfield, subfieldMask } from '../openflow/ofp-actions-fields';
import { decodeEthtoolFeatures, readNetdevState } from '../util/netdev-sysfs';
import type { OvsdbClient, OvsdbRow } from './ovsdb-client';
import type { OvsdbValue } from './ovsdb-datum';

/** Highest ofport OVS assigns automatically (`ofp_port_t` below OFPP_MAX = 0xff00). */
const OFPP_MAX = 0xff00;

/** The tables and columns the bridge layer monitors. */
export const BRIDGE_MONITORED_TABLES: Record<string, string[]> = {
  Open_vSwitch: ['bridges', 'next_cfg', 'cur_cfg', 'other_config', 'ssl'],
  SSL: ['private_key', 'certificate', 'ca_cert', 'bootstrap_ca_cert'],
  Bridge: ['name', 'ports', 'datapath_type', 'datapath_id', 'other_config', 'fail_mode', 'protocols', 'controller', 'flow_tables', 'flood_vlans'],
  Flow_Table: ['name', 'flow_limit', 'overflow_policy', 'groups', 'prefixes'],
  Port: ['name', 'interfaces', 'tag', 'trunks', 'cvlans', 'vlan_mode', 'other_config'],
  Controller: ['target', 'inactivity_probe', 'max_backoff', 'controller_rate_limit', 'controller_burst_limit', 'connection_mode', 'is_connected', 'role', 'status'],
  Interface: ['name', 'type', 'options', 'ofport', 'ofport_request', 'ifindex', 'mac_in_use', 'error'],
};

/** One interface the database asks for. */
interface WantedIface {
  uuid: string;
  name: string;
  /** `Interface.type` ("" means system) */
  type: string;
  bridge: string;
  dbOfport?: number;
  ofportRequest?: number;
  /** `Interface.options` */
  options?: OvsdbValue;
  /** the VLAN configuration of its Port (NORMAL) */
  vlan: PortVlanConfig;
}

/** One bridge the database asks for. */
interface WantedBridge {
  uuid: string;
  name: string;
  ifaces: WantedIface[];
  row: OvsdbRow;
}

function scalarNum(v: OvsdbValue): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function scalarStr(v: OvsdbValue): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function uuidSet(v: OvsdbValue): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

function intSet(v: OvsdbValue): number[] {
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return typeof v === 'number' ? [v] : [];
}

/** A Port row's VLAN configuration, resolved as OVS's bridge.c `port_configure()` does. */
function portVlanOf(port: OvsdbRow): PortVlanConfig {
  return resolvePortVlan({
    name: scalarStr(port.name) ?? '',
    tag: scalarNum(port.tag),
    trunks: intSet(port.trunks),
    cvlans: intSet(port.cvlans),
    vlanMode: scalarStr(port.vlan_mode),
    qinqEthtype: mapGet(port.other_config, 'qinq-ethtype'),
    priorityTags: mapGet(port.other_config, 'priority-tags'),
  });
}

function mapGet(v: OvsdbValue, key: string): string | undefined {
  if (v instanceof Map) {
    const x = v.get(key);
    return typeof x === 'string' ? x : undefined;
  }
  return undefined;
}

/** Reads a netdev's ifindex and MAC from sysfs; undefined when it does not exist (yet). */
function netdevInfo(name: string): { ifindex: number; mac: string } | undefined {
  try {
    const ifindex = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
    const mac = readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim();
    return { ifindex, mac };
  } catch {
    return undefined;
  }
}

/** The OVSDB datapath type we serve: the kernel datapath ("" or "system"). */
function isKernelDatapath(type: string | undefined): boolean {
  return type === undefined || type === '' || type === 'system';
}

/** The vport type for an `Interface.type`, or undefined when the skeleton cannot create it. */
function vportTypeFor(ifaceType: string): number | undefined {
  if (ifaceType === '' || ifaceType === 'system') return OVS_VPORT_TYPE_NETDEV;
  if (ifaceType === 'internal') return OVS_VPORT_TYPE_INTERNAL;
  return undefined;
}

/** Reconciles datapath + ofproto with the database. */
export class BridgeLayer {
  /** kernel vports by name (port 0, the datapath's own, excluded) */
  private readonly vports = new Map<string, { portNo: number; type: number }>();
  /** assigned ofports: `${bridge}\0${iface}` → ofport */
  private readonly ofports = new Map<string, number>();
  /**
   * when each port joined its bridge: `${bridge}\0${iface}` → sequence number. OVS floods in the
   * order of its per-bridge port tables, which follows the order the ports were added
   * ({@link PortConfig.addSeq}).
   */
  private readonly portSeqs = new Map<string, number>();
  private nextPortSeq = 0;
  /** per-interface error text from the last reconfiguration */
  private readonly errors = new Map<string, string>();
  /** patch ports (by name) whose configuration is valid, with their `options:peer` */
  private readonly patches = new Map<string, string>();
  /** per-interface error text of ports that work nonetheless (a patch port without usable peer) */
  private readonly portWarnings = new Map<string, string>();
  /** each patch port's Ethernet address (OVS gives a vport netdev a random one) */
  private readonly patchMacs = new Map<string, string>();
  private configVersion = 0;
  /** bridge name → its id in the shared MAC table (never reused) */
  private readonly bridgeIds = new Map<string, number>();
  private nextBridgeId = 1;
  private lastConfigJson = '';
  private running: Promise<void> | undefined;
  private again = false;
  /** each bridge's OpenFlow switch */
  readonly ofprotos = new Map<string, BridgeOfproto>();
  /** bridges whose OpenFlow switch listens already */
  private readonly serving = new Set<string>();

  constructor(
    private readonly ovsdb: OvsdbClient,
    private readonly dpif: DpifNetlink,
    private readonly dpIfindex: number,
    private readonly udpif: Udpif,
    private readonly log: VlogModule,
    /** what each bridge's OpenFlow switch needs from the daemon; undefined: no OpenFlow (unit tests) */
    private readonly ofprotoEnv?: { rundir: string; env: BridgeOfprotoEnv },
  ) {}

  /** Closes every bridge's OpenFlow connections. */
  close(): void {
    for (const o of this.ofprotos.values()) o.close();
    this.ofprotos.clear();
    this.serving.clear();
  }

  /**
   * Adopts the vports already in the datapath (from a previous run), so reconfiguration keeps
   * them instead of re-creating them.
   */
  adoptVports(existing: VportMessage[]): void {
    for (const v of existing) {
      if (v.portNo === undefined || v.portNo === 0 || !v.name || v.type === undefined) continue;
      this.vports.set(v.name, { portNo: v.portNo, type: v.type });
    }
    if (this.vports.size) this.log.info(`adopted ${this.vports.size} existing vports: ${[...this.vports.keys()].join(', ')}`);
  }

  /** Requests a reconfiguration; concurrent requests coalesce into one more run. */
  reconfigure(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.reconfigureOnce();
        } catch (e) {
          this.log.err(`reconfiguration failed: ${(e as Error).stack ?? e}`);
        }
      } while (this.again);
      this.running = undefined;
    })();
    return this.running;
  }

  /** The `Open_vSwitch` row, if the database has one. */
  private ovsRow(): OvsdbRow | undefined {
    const t = this.ovsdb.tables.get('Open_vSwitch');
    return t ? [...t.values()][0] : undefined;
  }

  /** `other_config:max-idle` in ms (default 10000). */
  maxIdleMs(): number {
    const v = Number(mapGet(this.ovsRow()?.other_config, 'max-idle'));
    return Number.isFinite(v) && v >= 100 ? v : DEFAULT_MAX_IDLE_MS;
  }

  /** `other_config:n-handler-threads`, when set to a positive integer. */
  nHandlerThreads(): number | undefined {
    const v = Number(mapGet(this.ovsRow()?.other_config, 'n-handler-threads'));
    return Number.isInteger(v) && v > 0 ? v : undefined;
  }

  private wanted(): WantedBridge[] {
    const ovs = this.ovsRow();
    if (!ovs) return [];
    const bridges = this.ovsdb.tables.get('Bridge') ?? new Map();
    const ports = this.ovsdb.tables.get('Port') ?? new Map();
    const ifaces = this.ovsdb.tables.get('Interface') ?? new Map();
    const out: WantedBridge[] = [];
    for (const bu of uuidSet(ovs.bridges)) {
      const br = bridges.get(bu);
      const name = br && scalarStr(br.name);
      if (!br || !name) continue;
      if (!isKernelDatapath(scalarStr(br.datapath_type))) {
        this.log.warn(`${name}: datapath_type "${scalarStr(br.datapath_type)}" is not supported; only the kernel datapath ("system") is`);
        continue;
      }
      const wb: WantedBridge = { uuid: bu, name, ifaces: [], row: br };
      for (const pu of uuidSet(br.ports)) {
        const port = ports.get(pu);
        if (!port) continue;
        const vlan = portVlanOf(port);
        for (const iu of uuidSet(port.interfaces)) {
          const ir = ifaces.get(iu);
          const iname = ir && scalarStr(ir.name);
          if (!ir || !iname) continue;
          wb.ifaces.push({
            uuid: iu,
            name: iname,
            type: scalarStr(ir.type) ?? '',
            bridge: name,
            dbOfport: scalarNum(ir.ofport),
            ofportRequest: scalarNum(ir.ofport_request),
            options: ir.options,
            vlan,
          });
        }
      }
      out.push(wb);
    }
    return out;
  }

  private async reconfigureOnce(): Promise<void> {
    const ovs = this.ovsRow();
    if (!ovs) return;
    const nextCfg = scalarNum(ovs.next_cfg) ?? 0;
    const bridges = this.wanted();
    this.udpif.setMaxIdle(this.maxIdleMs());

    // Which vports should exist, with which type.
    const want = new Map<string, { iface: WantedIface; type: number }>();
    this.errors.clear();
    this.patches.clear();
    this.portWarnings.clear();
    for (const b of bridges) {
      for (const i of b.ifaces) {
        if (i.type === 'patch') {
          const err = patchConfigError(i.name, i.options);
          if (err) this.errors.set(i.uuid, err);
          else if (want.has(i.name) || this.patches.has(i.name)) this.errors.set(i.uuid, `${i.name} is configured more than once; ignoring the duplicate`);
          else this.patches.set(i.name, mapGet(i.options, 'peer')!);
          continue;
        }
        const type = vportTypeFor(i.type);
        if (type === undefined) {
          this.errors.set(i.uuid, `could not add network device ${i.name} to ofproto (Operation not supported): interface type "${i.type}" is not supported yet`);
          continue;
        }
        if (want.has(i.name) || this.patches.has(i.name)) {
          this.errors.set(i.uuid, `${i.name} is configured more than once; ignoring the duplicate`);
          continue;
        }
        want.set(i.name, { iface: i, type });
      }
    }

    for (const [name, v] of [...this.vports]) {
      const w = want.get(name);
      if (w && w.type === v.type) continue;
      try {
        await this.dpif.vportDel(this.dpIfindex, v.portNo, name);
        this.log.info(`${name}: deleted datapath port ${v.portNo}`);
      } catch (e) {
        if (!(e instanceof NetlinkError && e.code === 'ENODEV')) {
          this.log.err(`${name}: could not delete datapath port ${v.portNo}: ${(e as Error).message}`);
          continue;
        }
      }
      this.vports.delete(name);
    }

    for (const [name, w] of want) {
      if (this.vports.has(name)) continue;
      try {
        const v = await this.dpif.vportAdd(this.dpIfindex, name, w.type, this.udpif.vportUpcallPids());
        this.vports.set(name, { portNo: v.portNo ?? -1, type: w.type });
        this.log.info(`${w.iface.bridge}: added ${w.type === OVS_VPORT_TYPE_INTERNAL ? 'internal' : 'system'} interface ${name} on port ${v.portNo}`);
      } catch (e) {
        const why = e instanceof NetlinkError ? `${e.message}` : String(e);
        const errno = e instanceof NetlinkError ? e.code : '';
        this.errors.set(w.iface.uuid, `could not open network device ${name} (${errno === 'ENODEV' ? 'No such device' : why})`);
        this.log.warn(`${w.iface.bridge}: could not add ${name}: ${why}`);
      }
    }

    // OpenFlow port numbers: the bridge's own interface is LOCAL; a port keeps the number it
    // has; a new one takes its ofport_request, else the number the database remembers from an
    // earlier run, else the lowest free number (ovs-vswitchd.conf.db(5) "ofport").
    const config: OfprotoConfig = { version: this.configVersion, bridges: [] };
    const liveKeys = new Set<string>();
    for (const b of bridges) {
      const members = b.ifaces.filter((i) => (i.type === 'patch' || this.vports.has(i.name)) && !this.errors.has(i.uuid));
      const keyOf = (i: WantedIface): string => `${b.name}\0${i.name}`;
      const used = new Set<number>();
      for (const i of members) {
        const k = keyOf(i);
        liveKeys.add(k);
        if (i.name === b.name) this.ofports.set(k, OFPP_LOCAL);
        const o = this.ofports.get(k);
        if (o !== undefined) used.add(o);
      }
      for (const i of members) {
        const k = keyOf(i);
        if (this.ofports.has(k)) continue;
        const wish = [i.ofportRequest, i.dbOfport].find((c) => c !== undefined && c >= 1 && c < OFPP_MAX && !used.has(c));
        let ofport = wish ?? 1;
        while (wish === undefined && used.has(ofport)) ofport++;
        used.add(ofport);
        this.ofports.set(k, ofport);
      }
      // Ports new in this reconfiguration join after the others: the bridge's own port first,
      // then by OpenFlow port number.
      const fresh = members.filter((i) => !this.portSeqs.has(keyOf(i)))
        .sort((x, y) => (x.name === b.name ? -1 : y.name === b.name ? 1 : this.ofports.get(keyOf(x))! - this.ofports.get(keyOf(y))!));
      for (const i of fresh) this.portSeqs.set(keyOf(i), this.nextPortSeq++);
      const ports: PortConfig[] = members.map((i) => (i.type === 'patch'
        ? { name: i.name, ofport: this.ofports.get(keyOf(i))!, odpPort: ODPP_NONE, patch: { peerName: this.patches.get(i.name)! }, ...i.vlan }
        : { name: i.name, ofport: this.ofports.get(keyOf(i))!, odpPort: this.vports.get(i.name)!.portNo, ...i.vlan }));
      for (const [n, i] of members.entries()) ports[n].addSeq = this.portSeqs.get(keyOf(i));
      ports.sort((a, z) => a.ofport - z.ofport);
      const other = b.row.other_config;
      let id = this.bridgeIds.get(b.name);
      if (id === undefined) this.bridgeIds.set(b.name, (id = this.nextBridgeId++));
      const bc: BridgeConfig = {
        name: b.name,
        id,
        ports,
        macAgingS: macAgingTimeS(mapGet(other, 'mac-aging-time')),
        macTableSize: macTableSize(mapGet(other, 'mac-table-size')),
      };
      const floodVlans = [...new Set(intSet(b.row.flood_vlans))].filter((v) => v >= 0 && v <= 4095).sort((x, y) => x - y);
      if (floodVlans.length) bc.floodVlans = floodVlans;
      this.applyWorkerSettings(bc);
      config.bridges.push(bc);
    }
    for (const k of [...this.ofports.keys()]) if (!liveKeys.has(k)) this.ofports.delete(k);
    for (const k of [...this.portSeqs.keys()]) if (!liveKeys.has(k)) this.portSeqs.delete(k);
    this.linkPatchPeers(bridges, config);
    for (const name of [...this.bridgeIds.keys()]) if (!bridges.some((b) => b.name === name)) this.bridgeIds.delete(name);

    // A new bridge's OpenFlow tables (with their default flows) must reach the workers before
    // the bridge does: a revalidator that saw the bridge with empty tables would delete the
    // megaflows a restarted daemon adopts.
    if (this.ofprotoEnv) this.createOfprotos(bridges);

    this.shipConfig(config);

    if (this.ofprotoEnv) await this.reconcileOfprotos(bridges, config);
    await this.writeBack(bridges, nextCfg);
  }

  /**
   * Copies bridge `bc.name`'s OpenFlow-side settings ({@link BridgeOfproto.workerSettings}:
   * fragment handling, table-miss, packet-in on miss, datapath meters, port_mod config, port
   * state, groups) into `bc`, replacing what it held.
   */
  private applyWorkerSettings(bc: BridgeConfig): void {
    delete bc.fragHandling;
    delete bc.tableMiss;
    delete bc.meters;
    delete bc.groups;
    for (const p of bc.ports) {
      delete p.config;
      delete p.state;
    }
    const ws = this.ofprotos.get(bc.name)?.workerSettings();
    if (!ws) {
      bc.packetInOnMiss = false;
      return;
    }
    bc.fragHandling = ws.fragHandling;
    bc.tableMiss = ws.tableMiss;
    bc.packetInOnMiss = ws.packetInOnMiss;
    if (Object.keys(ws.meters).length) bc.meters = ws.meters;
    for (const p of bc.ports) if (ws.portConfig[p.ofport]) p.config = ws.portConfig[p.ofport];
    for (const p of bc.ports) if (ws.portState[p.ofport]) p.state = ws.portState[p.ofport];
    if (ws.groups.length) bc.groups = ws.groups;
  }

  /** Ships `config` to the workers (with the next version) unless it equals what they have. */
  private shipConfig(config: OfprotoConfig): void {
    // Groups hold bigints (selection_method_param, ofpact fields), which JSON cannot show as is.
    const json = JSON.stringify(config.bridges, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
    if (json === this.lastConfigJson) return;
    this.lastConfigJson = json;
    config.version = ++this.configVersion;
    this.udpif.setConfig(config);
  }

  /**
   * What an OpenFlow message or connection changed (a group, meter, port_mod, table_mod,
   * SET_CONFIG, or the connections that decide packet-ins on a table miss) reaches the workers:
   * the workers' configuration is rebuilt from the current one with every bridge's
   * {@link applyWorkerSettings} and shipped if it differs. No database, netdev or vport work:
   * `ovs-ofctl` connects and disconnects for every command, and a full reconfiguration each time
   * was needless work (the ofctl corpus in the guest: 156 s before, 131 s after; OVS 83 s).
   */
  refreshWorkerSettings(): void {
    const cur = this.udpif.getConfig();
    const config: OfprotoConfig = {
      version: cur.version,
      bridges: cur.bridges.map((bc) => ({ ...bc, ports: bc.ports.map((p) => ({ ...p })) })),
    };
    for (const bc of config.bridges) this.applyWorkerSettings(bc);
    this.shipConfig(config);
  }

  /**
   * Joins each valid patch port to its peer: the port named by its `options:peer`, in any
   * bridge, when that port is a patch port naming it back (OVS `ofport_update_peer()`). A port
   * left without one keeps its ofport but reports OVS's error text.
   */
  private linkPatchPeers(bridges: WantedBridge[], config: OfprotoConfig): void {
    const byName = new Map<string, { bridge: string; port: PortConfig }>();
    for (const bc of config.bridges) for (const p of bc.ports) byName.set(p.name, { bridge: bc.name, port: p });
    for (const bc of config.bridges) {
      for (const p of bc.ports) {
        if (!p.patch) continue;
        const other = byName.get(p.patch.peerName);
        if (other?.port.patch?.peerName === p.name) {
          p.patch.peer = { bridge: other.bridge, ofport: other.port.ofport };
          continue;
        }
        const iface = bridges.find((b) => b.name === bc.name)?.ifaces.find((i) => i.name === p.name);
        if (iface) this.portWarnings.set(iface.uuid, `No usable peer '${p.patch.peerName}' exists in 'system' datapath.`);
      }
    }
  }

  /** A patch port's Ethernet address: random, locally administered, kept while the daemon runs. */
  private patchMac(name: string): string {
    let mac = this.patchMacs.get(name);
    if (!mac) {
      const b = randomBytes(6);
      b[0] = (b[0] & 0xfe) | 0x02;
      mac = [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
      this.patchMacs.set(name, mac);
    }
    return mac;
  }

  /** Creates, configures and deletes each bridge's OpenFlow switch, and tells it its ports. */
  private async reconcileOfprotos(bridges: WantedBridge[], config: OfprotoConfig): Promise<void> {
    const { rundir } = this.ofprotoEnv!;
    for (const [name, o] of [...this.ofprotos]) {
      if (bridges.some((b) => b.name === name)) continue;
      o.close();
      this.ofprotos.delete(name);
      this.serving.delete(name);
    }
    for (const b of bridges) {
      const bc = config.bridges.find((x) => x.name === b.name);
      const o = this.ofprotos.get(b.name);
      if (!bc || !o) continue;
      if (!this.serving.has(b.name)) {
        this.serving.add(b.name);
        try {
          await o.start(rundir);
        } catch (e) {
          this.log.err(`${b.name}: cannot serve OpenFlow: ${(e as Error).message}`);
        }
      } else {
        await o.configure(this.ofprotoSettings(b));
      }
      this.refreshPortDescs(o, bc);
    }
  }

  /** Tells a bridge's OpenFlow switch its ports as the kernel sees them now (PORT_STATUS for changes). */
  private refreshPortDescs(o: BridgeOfproto, bc: BridgeConfig): void {
    const features = ethtoolGset(bc.ports.map((p) => p.name)).map(decodeEthtoolFeatures);
    o.setPorts(bc.ports.map((p, i) => ({
      desc: p.patch ? patchPortDesc(p.name, p.ofport, this.patchMac(p.name)) : portDesc(p.name, p.ofport, features[i]),
      odpPort: p.odpPort,
    })));
  }

  /**
   * Re-reads every bridge's port descriptions from the kernel (link state, MAC, features), e.g.
   * after a port_mod changed a netdev's administrative state; connections get OFPT_PORT_STATUS
   * for what changed (OVS `port_run()` noticing a netdev change).
   */
  refreshPorts(): void {
    for (const bc of this.udpif.getConfig().bridges) {
      const o = this.ofprotos.get(bc.name);
      if (o && this.serving.has(bc.name)) this.refreshPortDescs(o, bc);
    }
  }

  /** Creates the OpenFlow switch of each bridge that has none yet (its tables go to the workers). */
  private createOfprotos(bridges: WantedBridge[]): void {
    for (const b of bridges) {
      if (!this.ofprotos.has(b.name)) this.ofprotos.set(b.name, new BridgeOfproto(b.name, this.ofprotoEnv!.env, this.ofprotoSettings(b)));
    }
  }

  /** A bridge's OpenFlow settings from its row (ovs-vswitchd.conf.db(5) Bridge, Controller). */
  private ofprotoSettings(b: WantedBridge): BridgeOfprotoSettings {
    const dpid = mapGet(b.row.other_config, 'datapath-id') ?? this.datapathId(b.name) ?? '0';
    let allowed = 0;
    const protos = Array.isArray(b.row.protocols) ? b.row.protocols : typeof b.row.protocols === 'string' ? [b.row.protocols] : [];
    for (let v = OFP10_VERSION; v <= OFP15_VERSION; v++) if (protos.includes(VERSION_NAMES[v])) allowed |= 1 << v;
    if (!allowed) for (let v = OFP10_VERSION; v <= OFP15_VERSION; v++) allowed |= 1 << v;
    const ctlRows = this.ovsdb.tables.get('Controller') ?? new Map();
    const controllers: ControllerSettings[] = [];
    for (const cu of uuidSet(b.row.controller)) {
      const c = ctlRows.get(cu);
      const target = c && scalarStr(c.target);
      if (!c || !target || target === 'none') continue;
      const probe = scalarNum(c.inactivity_probe);
      const backoff = scalarNum(c.max_backoff);
      const mode = scalarStr(c.connection_mode);
      controllers.push({
        target,
        probeIntervalMs: probe === undefined ? DEFAULT_PROBE_INTERVAL_MS : probe,
        maxBackoffMs: backoff === undefined ? DEFAULT_MAX_BACKOFF_MS : backoff,
        controllerRateLimit: scalarNum(c.controller_rate_limit),
        controllerBurstLimit: scalarNum(c.controller_burst_limit),
        connectionMode: mode === 'in-band' || mode === 'out-of-band' ? mode : undefined,
      });
    }
    return {
      datapathId: BigInt(`0x${/^[0-9a-fA-F]{1,16}$/.test(dpid) ? dpid : '0'}`),
      failMode: scalarStr(b.row.fail_mode) === 'secure' ? 'secure' : 'standalone',
      allowedVersions: allowed,
      controllers,
      tables: this.flowTableSettings(b),
      ssl: this.sslConfig(),
    };
  }

  /** The `SSL` row the `Open_vSwitch` row names, for `ssl:`/`pssl:` connections (undefined: none). */
  private sslConfig(): SslConfig | undefined {
    const ovs = this.ovsRow();
    const uuid = ovs && uuidSet(ovs.ssl)[0];
    const row = uuid ? this.ovsdb.tables.get('SSL')?.get(uuid) : undefined;
    if (!row) return undefined;
    return {
      privateKey: scalarStr(row.private_key) ?? '',
      certificate: scalarStr(row.certificate) ?? '',
      caCert: scalarStr(row.ca_cert) ?? '',
      bootstrapCaCert: row.bootstrap_ca_cert === true,
    };
  }

  /**
   * `Bridge.flow_tables` → per-table settings (ovs-vswitchd.conf.db(5) Flow_Table): name,
   * flow_limit, overflow_policy, groups (subfields dividing the table into eviction groups) and
   * prefixes. A `groups` or `prefixes` entry that does not parse is logged and left out, as OVS does.
   */
  private flowTableSettings(b: WantedBridge): Map<number, TableSettings> {
    const out = new Map<number, TableSettings>();
    const rows = this.ovsdb.tables.get('Flow_Table') ?? new Map();
    if (!(b.row.flow_tables instanceof Map)) return out;
    for (const [k, v] of b.row.flow_tables) {
      const row = typeof v === 'string' ? rows.get(v) : undefined;
      if (typeof k !== 'number' || !row) continue;
      const t: TableSettings = {};
      const name = scalarStr(row.name);
      if (name) t.name = name;
      const limit = scalarNum(row.flow_limit);
      if (limit !== undefined) t.flowLimit = limit;
      if (scalarStr(row.overflow_policy) === 'evict') t.overflowPolicy = 'evict';
      const groups = uuidSet(row.groups);
      if (groups.length) {
        const mask = Buffer.alloc(FLOW_LEN);
        for (const g of groups) {
          try {
            const m = subfieldMask(parseSubfield(g));
            for (let i = 0; i < FLOW_LEN; i++) mask[i] |= m[i];
          } catch (e) {
            this.log.warn(`${b.name}: table ${k}: ignoring eviction group ${g}: ${(e as Error).message}`);
          }
        }
        t.evictionGroupMask = mask;
      }
      const prefixes = this.prefixFields(b.name, k, uuidSet(row.prefixes));
      if (prefixes) t.prefixes = prefixes;
      out.set(k, t);
    }
    return out;
  }

  /**
   * `Flow_Table.prefixes` of table `tableId` → the fields to track, as bridge.c does: "none"
   * tracks nothing; unknown or incompatible fields, and those beyond CLS_MAX_TRIES (3), are
   * logged and left out; when no field is left (and "none" was not given) the default
   * (ip_dst, ip_src) applies and undefined is returned. Otherwise logs the fields in use.
   */
  private prefixFields(bridge: string, tableId: number, names: readonly string[]): string[] | undefined {
    const fields: string[] = [];
    let useDefault = true;
    for (const name of names) {
      if (name === 'none') {
        useDefault = false;
        fields.length = 0;
        break;
      }
      const f = clsPrefixField(name);
      if (typeof f === 'string') {
        this.log.warn(`bridge ${bridge}: 'prefixes' with ${f}`);
      } else if (fields.length >= CLS_MAX_TRIES) {
        this.log.warn(`bridge ${bridge}: 'prefixes' with too many fields, field not used: ${name}`);
      } else {
        useDefault = false;
        fields.push(f.name);
      }
    }
    if (useDefault) return undefined;
    this.log.info(`bridge ${bridge} table ${tableId}: Prefix lookup with: ${fields.join(',') || 'none'}.`);
    return fields;
  }

  /** Writes ofport/ifindex/mac_in_use/error, datapath_id and cur_cfg — only what changed. */
  private async writeBack(bridges: WantedBridge[], nextCfg: number): Promise<void> {
    const ops: object[] = [];
    const ifaceRows = this.ovsdb.tables.get('Interface') ?? new Map();
    for (const b of bridges) {
      for (const i of b.ifaces) {
        const cur = ifaceRows.get(i.uuid);
        if (!cur) continue;
        const row: Record<string, number | string | string[]> = {};
        const hardErr = this.errors.get(i.uuid);
        const err = hardErr ?? this.portWarnings.get(i.uuid);
        const ofport = hardErr ? -1 : (this.ofports.get(`${b.name}\0${i.name}`) ?? -1);
        if (scalarNum(cur.ofport) !== ofport) row.ofport = ofport;
        const info = hardErr ? undefined : i.type === 'patch' ? { ifindex: 0, mac: this.patchMac(i.name) } : netdevInfo(i.name);
        if (info) {
          if (scalarNum(cur.ifindex) !== info.ifindex) row.ifindex = info.ifindex;
          if (scalarStr(cur.mac_in_use) !== info.mac) row.mac_in_use = info.mac;
        }
        if (scalarStr(cur.error) !== err) row.error = err === undefined ? [] : err;
        if (Object.keys(row).length) ops.push(this.ovsdb.update('Interface', i.uuid, row));
      }
      const dpid = mapGet(b.row.other_config, 'datapath-id') ?? this.datapathId(b.name);
      if (dpid && scalarStr(b.row.datapath_id) !== dpid) ops.push(this.ovsdb.update('Bridge', b.uuid, { datapath_id: dpid }));
    }
    ops.push(...this.controllerStatusOps(bridges));
    const ovs = this.ovsRow();
    if (ovs && scalarNum(ovs.cur_cfg) !== nextCfg) ops.push(this.ovsdb.update('Open_vSwitch', ovs._uuid, { cur_cfg: nextCfg }));
    if (ops.length === 0) return;
    try {
      await this.ovsdb.transact(ops);
    } catch (e) {
      this.log.warn(`writing status to the database failed: ${(e as Error).message}`);
    }
  }

  /** `Controller.is_connected`, `role` and `status` updates for what changed. */
  private controllerStatusOps(bridges: WantedBridge[]): object[] {
    const ops: object[] = [];
    const ctlRows = this.ovsdb.tables.get('Controller') ?? new Map();
    for (const b of bridges) {
      const status = this.ofprotos.get(b.name)?.connmgr.controllerStatus() ?? new Map<string, ControllerStatus>();
      for (const cu of uuidSet(b.row.controller)) {
        const c = ctlRows.get(cu);
        const st = c && status.get(scalarStr(c.target) ?? '');
        if (!c || !st) continue;
        const row: Record<string, unknown> = {};
        if (c.is_connected !== st.isConnected) row.is_connected = st.isConnected;
        if (scalarStr(c.role) !== st.role) row.role = st.role;
        // Keys that move with time or traffic alone (connection ages, packet-in counters) are
        // written along with other changes, not on their own.
        const stable = (m: Record<string, unknown>): string => JSON.stringify(Object.entries(m).filter(([k]) => !k.startsWith('sec_since_') && !k.startsWith('packet-in-')));
        const cur = c.status instanceof Map ? Object.fromEntries(c.status) : {};
        if (stable(cur) !== stable(st.status)) row.status = new Map(Object.entries(st.status));
        if (Object.keys(row).length) ops.push(this.ovsdb.update('Controller', cu, row as never));
      }
    }
    return ops;
  }

  /** The datapath ID OVS would show: 16 hex digits, the bridge's MAC with 0000 in front. */
  private datapathId(bridge: string): string | undefined {
    const info = netdevInfo(bridge);
    return info ? `0000${info.mac.replace(/:/g, '')}` : undefined;
  }
}

/**
 * The OpenFlow description of port `name` (ofport `ofport`) from the kernel's view of its
 * netdev: MAC, administrative state (OFPPC_PORT_DOWN), carrier (OFPPS_LINK_DOWN), link features
 * and speeds (kbps) as OVS derives them.
 */
function portDesc(name: string, ofport: number, f: { current: number; advertised: number; supported: number; peer: number }): PortDesc {
  const st = readNetdevState(name);
  return {
    portNo: ofport,
    hwAddr: st?.mac ?? '00:00:00:00:00:00',
    name,
    config: st && !st.up ? OFPUTIL_PC_PORT_DOWN : 0,
    state: !st || !st.carrier ? OFPUTIL_PS_LINK_DOWN : OFPUTIL_PS_LIVE,
    curr: f.current,
    advertised: f.advertised,
    supported: f.supported,
    peer: f.peer,
    currSpeed: featuresToKbps(f.current),
    maxSpeed: featuresToKbps(f.supported),
  };
}


/**
 * The configuration error OVS reports for a patch interface (lib/netdev-vport.c
 * `set_patch_config()`), or undefined when `options` are valid: a `peer` naming another
 * interface and nothing else.
 */
export function patchConfigError(name: string, options: OvsdbValue | undefined): string | undefined {
  const peer = mapGet(options, 'peer');
  if (peer === undefined) return `${name}: patch type requires valid 'peer' argument`;
  if (options instanceof Map && options.size > 1) return `${name}: patch type takes only a 'peer' argument`;
  if (peer === name) return `${name}: patch peer must not be self`;
  return undefined;
}

/**
 * The OpenFlow description of patch port `name`: its (random) address, no link features, and
 * always live, as OVS shows a patch port (netdev-vport has no carrier to lose).
 */
function patchPortDesc(name: string, ofport: number, mac: string): PortDesc {
  return {
    portNo: ofport, hwAddr: mac, name, config: 0, state: OFPUTIL_PS_LIVE,
    curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0,
  };
}
