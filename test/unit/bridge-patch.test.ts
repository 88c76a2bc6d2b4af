import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeLayer } from '../../src/bridge/bridge';
import type { OvsdbClient, OvsdbRow } from '../../src/bridge/ovsdb-client';
import type { DpifNetlink } from '../../src/dpif-netlink/dpif';
import { OFPP_LOCAL, type OfprotoConfig } from '../../src/ofproto-dpif/ofproto';
import { ODPP_NONE } from '../../src/ofproto-dpif/odp-flow';
import type { Udpif } from '../../src/upcall/udpif';
import type { VlogModule } from '../../src/util/vlog';

/**
 * The bridge layer over an in-memory database and datapath: br0 with pa (patch, peer pb,
 * ofport_request 5), br1 with pb (patch, peer pa, ofport_request 6), and the interfaces OVS
 * rejects or leaves without peer. Expected texts and values are what OVS 3.1 writes for the
 * same configuration (`ovs-vsctl list interface` on the reference).
 */
function setup(ifaces: Array<{ bridge: string; name: string; type?: string; options?: Record<string, string>; ofportRequest?: number }>) {
  const tables = new Map<string, Map<string, OvsdbRow>>();
  const t = (name: string) => {
    let m = tables.get(name);
    if (!m) tables.set(name, (m = new Map()));
    return m;
  };
  const bridges = [...new Set(ifaces.map((i) => i.bridge))];
  for (const br of bridges) {
    const all = [{ bridge: br, name: br, type: 'internal' as string | undefined, options: undefined as Record<string, string> | undefined, ofportRequest: undefined as number | undefined },
      ...ifaces.filter((i) => i.bridge === br)];
    const ports: string[] = [];
    for (const i of all) {
      const iu = `iface-${i.name}`;
      const row: OvsdbRow = { _uuid: iu, name: i.name, type: i.type ?? '', options: new Map(Object.entries(i.options ?? {})) } as OvsdbRow;
      if (i.ofportRequest !== undefined) row.ofport_request = i.ofportRequest;
      t('Interface').set(iu, row);
      t('Port').set(`port-${i.name}`, { _uuid: `port-${i.name}`, name: i.name, interfaces: [iu] } as OvsdbRow);
      ports.push(`port-${i.name}`);
    }
    t('Bridge').set(`br-${br}`, { _uuid: `br-${br}`, name: br, ports, other_config: new Map() } as OvsdbRow);
  }
  t('Open_vSwitch').set('ovs', { _uuid: 'ovs', bridges: bridges.map((b) => `br-${b}`), next_cfg: 1, cur_cfg: 0 } as OvsdbRow);
  const written = new Map<string, Record<string, unknown>>();
  const ovsdb = {
    tables,
    update: (table: string, uuid: string, row: Record<string, unknown>) => ({ table, uuid, row }),
    transact: async (ops: Array<{ table: string; uuid: string; row: Record<string, unknown> }>) => {
      for (const op of ops) {
        written.set(op.uuid, { ...written.get(op.uuid), ...op.row });
        Object.assign(tables.get(op.table)!.get(op.uuid)!, op.row);
      }
      return [];
    },
  } as unknown as OvsdbClient;
  let nextPort = 1;
  const vports: string[] = [];
  const dpif = {
    vportAdd: async (_dp: number, name: string) => {
      vports.push(name);
      return { portNo: nextPort++ };
    },
    vportDel: async () => undefined,
  } as unknown as DpifNetlink;
  let config: OfprotoConfig = { version: 0, bridges: [] };
  const udpif = {
    setMaxIdle: () => undefined,
    vportUpcallPids: () => [0],
    setConfig: (c: OfprotoConfig) => { config = c; },
    getConfig: () => config,
  } as unknown as Udpif;
  const quiet = { info: () => undefined, warn: () => undefined, err: () => undefined, dbg: () => undefined } as unknown as VlogModule;
  const layer = new BridgeLayer(ovsdb, dpif, 1, udpif, quiet);
  return { layer, written, vports, config: () => config };
}

test('patch ports: no vport, ofport_request honoured, peers joined both ways, ifindex 0 and a random local MAC', async () => {
  const s = setup([
    { bridge: 'br0', name: 'pa', type: 'patch', options: { peer: 'pb' }, ofportRequest: 5 },
    { bridge: 'br1', name: 'pb', type: 'patch', options: { peer: 'pa' }, ofportRequest: 6 },
  ]);
  await s.layer.reconfigure();
  assert.deepEqual(s.vports.sort(), ['br0', 'br1'], 'only the bridges\' internal ports are datapath ports');
  const br0 = s.config().bridges.find((b) => b.name === 'br0')!;
  const br1 = s.config().bridges.find((b) => b.name === 'br1')!;
  assert.deepEqual(br0.ports.find((p) => p.name === 'pa'), {
    name: 'pa', ofport: 5, odpPort: ODPP_NONE, patch: { peerName: 'pb', peer: { bridge: 'br1', ofport: 6 } },
    bundle: 'pa', addSeq: 1,
  });
  // The bridge's own port joined first (OVS's flood order follows the order ports joined).
  assert.equal(br0.ports.find((p) => p.name === 'br0')?.addSeq, 0);
  assert.deepEqual(br1.ports.find((p) => p.name === 'pb')?.patch, { peerName: 'pa', peer: { bridge: 'br0', ofport: 5 } });
  assert.equal(br0.ports.find((p) => p.name === 'br0')?.ofport, OFPP_LOCAL);
  const pa = s.written.get('iface-pa')!;
  assert.equal(pa.ofport, 5);
  assert.equal(pa.ifindex, 0);
  assert.match(String(pa.mac_in_use), /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/, 'locally administered unicast');
  assert.equal(pa.error, undefined, 'no error written for a joined patch port');
  assert.equal(s.written.get('ovs')?.cur_cfg, 1);
});

test('patch ports OVS rejects get ofport -1 and its error; one without usable peer keeps its ofport', async () => {
  const s = setup([
    { bridge: 'br0', name: 'pc', type: 'patch' },
    { bridge: 'br0', name: 'pe', type: 'patch', options: { peer: 'pe' } },
    { bridge: 'br0', name: 'pd', type: 'patch', options: { peer: 'nonexist' }, ofportRequest: 3 },
    { bridge: 'br0', name: 'pf', type: 'patch', options: { peer: 'pg' } },
    // pg names someone else: pf's peer exists but does not name it back
    { bridge: 'br0', name: 'pg', type: 'patch', options: { peer: 'px' } },
  ]);
  await s.layer.reconfigure();
  assert.deepEqual(s.written.get('iface-pc'), { ofport: -1, error: "pc: patch type requires valid 'peer' argument" });
  assert.deepEqual(s.written.get('iface-pe'), { ofport: -1, error: 'pe: patch peer must not be self' });
  const pd = s.written.get('iface-pd')!;
  assert.equal(pd.ofport, 3);
  assert.equal(pd.error, "No usable peer 'nonexist' exists in 'system' datapath.");
  assert.equal(s.written.get('iface-pf')!.error, "No usable peer 'pg' exists in 'system' datapath.");
  const br0 = s.config().bridges[0];
  assert.deepEqual(br0.ports.map((p) => p.name).sort(), ['br0', 'pd', 'pf', 'pg']);
  assert.equal(br0.ports.find((p) => p.name === 'pd')?.patch?.peer, undefined);
});

test('refreshWorkerSettings ships OpenFlow-side settings without a reconfiguration, and nothing when they did not change', async () => {
  const s = setup([{ bridge: 'br0', name: 'pa', type: 'patch', options: { peer: 'pb' }, ofportRequest: 5 },
    { bridge: 'br1', name: 'pb', type: 'patch', options: { peer: 'pa' }, ofportRequest: 6 }]);
  await s.layer.reconfigure();
  const before = s.config();
  s.layer.refreshWorkerSettings();
  assert.equal(s.config(), before, 'unchanged settings: no new configuration for the workers');
  // An OpenFlow connection and a port_mod on br0 (what BridgeOfproto.workerSettings reports).
  const ws = { fragHandling: 0, tableMiss: {}, packetInOnMiss: true, portConfig: { 5: 1 } as Record<number, number>, meters: {}, portState: {}, groups: [] };
  (s.layer.ofprotos as Map<string, unknown>).set('br0', { workerSettings: () => ws });
  const cfgWrites = s.written.size;
  s.layer.refreshWorkerSettings();
  const after = s.config();
  assert.equal(after.version, before.version + 1);
  const br0 = after.bridges.find((b) => b.name === 'br0')!;
  assert.equal(br0.packetInOnMiss, true);
  assert.equal(br0.ports.find((p) => p.name === 'pa')?.config, 1);
  assert.deepEqual(br0.ports.find((p) => p.name === 'pa')?.patch, { peerName: 'pb', peer: { bridge: 'br1', ofport: 6 } });
  assert.equal(before.bridges.find((b) => b.name === 'br0')!.ports.find((p) => p.name === 'pa')?.config, undefined, 'the shipped configuration was not modified');
  assert.equal(s.written.size, cfgWrites, 'nothing written to the database');
  // Back to no settings: the port config goes away again.
  ws.portConfig = {};
  s.layer.refreshWorkerSettings();
  assert.equal(s.config().bridges.find((b) => b.name === 'br0')!.ports.find((p) => p.name === 'pa')?.config, undefined);
});
