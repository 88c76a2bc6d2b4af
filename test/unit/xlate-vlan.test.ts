/**
 * NORMAL with VLANs against OVS 3.1: test/unit/golden/xlate-vlan.json holds `ofproto/trace`
 * runs of the reference (dummy datapath) on a bridge with access, trunk, native-tagged,
 * native-untagged and dot1q-tunnel ports, with flood_vlans, qinq-ethtype, cvlans and
 * priority-tags changes in between, learning where the trace was run with `-generate`.
 *
 * Each trace must give OVS's `Megaflow:` line exactly, and the same datapath actions: exactly
 * when at most one port is output to, otherwise the same packet (tag stack) on every output
 * port, because OVS floods in the order of its bundle list (a hash of pointers) and
 * ts-vswitchd in datapath port order, which changes where the pushes and pops fall.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { xlateBridge } from '../../src/ofproto-dpif/xlate';
import { OfprotoReplica, type OfprotoConfig, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { resolvePortVlan, type PortVlanColumns } from '../../src/ofproto-dpif/xlate-normal';
import { macAgingTimeS, macTableSize, MacTable } from '../../src/ofproto-dpif/mac-learning';
import { FLOW_LEN } from '../../src/openflow/meta-flow';
import { OFPP_NORMAL } from '../../src/openflow/common';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import { Match } from '../../src/openflow/match';
import { formatActions } from '../../src/genl/actions';
import { OFPUTIL_PC_NO_FLOOD } from '../../src/openflow/ofp-port';

type Step =
  | { flush: true }
  | { vsctl: string }
  | { trace: string; generate: boolean; megaflow: string; actions: string };

interface Golden {
  ports: Array<PortVlanColumns & { ofport: number; odpPort: number }>;
  scenarios: Step[][];
}

const GOLDEN: Golden = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/xlate-vlan.json'), 'utf8'));

/** The bridge of the golden file, its Port columns editable as `ovs-vsctl` would. */
class Bridge {
  readonly replica = new OfprotoReplica();
  readonly columns = new Map(GOLDEN.ports.map((p) => [p.name, { ...p, otherConfig: new Map<string, string>() }]));
  floodVlans?: number[];
  /** ofports with OFPPC_NO_FLOOD (port_mod) */
  readonly noFlood = new Set<number>();
  private version = 0;

  constructor() {
    this.apply();
    this.replica.applyFlowDelta('br0', {
      version: 1, full: true, removed: [],
      added: [{
        id: 1, tableId: 0, priority: 0, match: { flow: new Uint8Array(FLOW_LEN), wc: new Uint8Array(FLOW_LEN) },
        cookie: 0n, flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0,
        ofpacts: [{ type: 'output', port: OFPP_NORMAL, maxLen: 0 }],
      }],
    });
  }

  apply(): void {
    const ports: PortConfig[] = [...this.columns.values()].map((c) => ({
      name: c.name, ofport: c.ofport, odpPort: c.odpPort, config: this.noFlood.has(c.ofport) ? OFPUTIL_PC_NO_FLOOD : 0,
      ...resolvePortVlan({ ...c, qinqEthtype: c.otherConfig.get('qinq-ethtype'), priorityTags: c.otherConfig.get('priority-tags') }),
    }));
    const config: OfprotoConfig = { version: ++this.version, bridges: [{ name: 'br0', id: 1, macAgingS: 300, ports, floodVlans: this.floodVlans }] };
    this.replica.apply(config);
  }

  /** The few `ovs-vsctl` commands the golden file uses. */
  vsctl(cmd: string): void {
    const words = cmd.split(' ');
    if (cmd === 'set bridge br0 flood_vlans=10') this.floodVlans = [10];
    else if (cmd === 'clear bridge br0 flood_vlans') this.floodVlans = undefined;
    else if (words[0] === 'set' && words[1] === 'port') {
      const c = this.columns.get(words[2])!;
      for (const kv of words.slice(3)) {
        const [k, v] = kv.split('=');
        if (k.startsWith('other_config:')) c.otherConfig.set(k.slice('other_config:'.length), v);
        else if (k === 'cvlans') c.cvlans = v.split(',').map(Number);
        else throw new Error(`unknown column ${k}`);
      }
    } else throw new Error(`unknown command ${cmd}`);
    this.apply();
  }

  trace(flowText: string, generate: boolean): { megaflow: string; actions: string } {
    const { match } = parseMatch(flowText);
    const flow = Buffer.from(match.flow);
    const x = xlateBridge(this.replica.bridges.get('br0')!, { flow, nowMs: 1000, mayLearn: generate });
    const actions = x.actions.length ? formatActions(x.actions) : 'drop';
    return { megaflow: formatMatch(new Match(flow, x.wc)), actions };
  }
}

/** Splits datapath actions text at its top-level commas. */
function actionTokens(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** The tag stack (outermost first) each output port receives, for a packet with input tags `initial`. */
function packetsOut(text: string, initial: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (text === 'drop') return out;
  const stack = [...initial];
  for (const a of actionTokens(text)) {
    const push = /^push_vlan\((?:tpid=(0x[0-9a-f]+),)?vid=(\d+),pcp=(\d+)\)$/.exec(a);
    if (push) stack.unshift(`${push[1] ?? '0x8100'}:${push[2]}:${push[3]}`);
    else if (a === 'pop_vlan') stack.shift();
    else if (/^\d+$/.test(a)) out.set(a, stack.join('/') || 'untagged');
    else throw new Error(`unexpected action ${a} in ${text}`);
  }
  return out;
}

function inputTags(flowText: string): string[] {
  const vid = /dl_vlan=(\d+)/.exec(flowText);
  if (!vid) return [];
  return [`0x8100:${vid[1]}:${/dl_vlan_pcp=(\d+)/.exec(flowText)?.[1] ?? 0}`];
}

GOLDEN.scenarios.forEach((steps, n) => {
  test(`NORMAL with access, trunk, native and dot1q-tunnel ports gives OVS's megaflows and tagging (scenario ${n + 1})`, () => {
    const br = new Bridge();
    for (const step of steps) {
      if ('flush' in step) br.replica.bridges.get('br0')!.ml.flush();
      else if ('vsctl' in step) br.vsctl(step.vsctl);
      else {
        const ours = br.trace(step.trace, step.generate);
        const what = `${step.trace}${step.generate ? ' -generate' : ''}`;
        assert.equal(ours.megaflow, step.megaflow, `megaflow of ${what}`);
        const ref = packetsOut(step.actions, inputTags(step.trace));
        if (ref.size <= 1) assert.equal(ours.actions, step.actions, `datapath actions of ${what}`);
        else assert.deepEqual(packetsOut(ours.actions, inputTags(step.trace)), ref, `packets out of ${what}: ours ${ours.actions}, OVS ${step.actions}`);
      }
    }
  });
});

test('Port VLAN columns resolve as OVS bridge.c and bundle_set() resolve them', () => {
  assert.deepEqual(resolvePortVlan({ name: 'p', tag: 10, trunks: [20] }), { bundle: 'p', vlanMode: 'access', tag: 10 }, 'a tag without vlan_mode is an access port; its trunks are ignored');
  assert.deepEqual(resolvePortVlan({ name: 'p', trunks: [20, 10, 20] }), { bundle: 'p', trunks: [10, 20] });
  assert.deepEqual(resolvePortVlan({ name: 'p', vlanMode: 'bogus', tag: 5 }), { bundle: 'p' }, 'an unknown mode is a trunk');
  assert.deepEqual(resolvePortVlan({ name: 'p', vlanMode: 'native-untagged', tag: 10, trunks: [0, 20] }),
    { bundle: 'p', vlanMode: 'native-untagged', tag: 10, trunks: [10, 20] }, 'the native VLAN is forced in and VLAN 0 out');
  assert.deepEqual(resolvePortVlan({ name: 'p', vlanMode: 'access' }), { bundle: 'p', vlanMode: 'access', tag: 0 });
  assert.deepEqual(resolvePortVlan({ name: 'p', vlanMode: 'dot1q-tunnel', tag: 100, cvlans: [6, 5], qinqEthtype: '802.1q', priorityTags: 'true' }),
    { bundle: 'p', vlanMode: 'dot1q-tunnel', tag: 100, cvlans: [5, 6], qinqEthtype: 0x8100, priorityTags: 'if-nonzero' });
});

test('mac-aging-time and mac-table-size are normalised as OVS does', () => {
  assert.equal(macAgingTimeS(undefined), 300);
  assert.equal(macAgingTimeS('0'), 300);
  assert.equal(macAgingTimeS('1'), 15);
  assert.equal(macAgingTimeS('60'), 60);
  assert.equal(macAgingTimeS('99999'), 3600);
  assert.equal(macAgingTimeS('x'), 300);
  assert.equal(macTableSize(undefined), 8192);
  assert.equal(macTableSize('3'), 10);
  assert.equal(macTableSize('50000'), 50000);
});

test('a full bridge evicts the least recently used MAC of the port holding the most entries', () => {
  const t = new MacTable(undefined, 1024);
  // port 1 holds three entries, port 2 one; the limit is 4.
  t.learn(1, 0, '0a:00:00:00:01:01', 1, 10, 300_000, 4);
  t.learn(1, 0, '0a:00:00:00:02:01', 2, 5, 300_000, 4);
  t.learn(1, 0, '0a:00:00:00:01:02', 1, 20, 300_000, 4);
  t.learn(1, 0, '0a:00:00:00:01:03', 1, 30, 300_000, 4);
  t.learn(2, 0, '0a:00:00:00:09:09', 1, 1, 300_000, 4);
  assert.equal(t.learn(1, 0, '0a:00:00:00:03:01', 3, 40, 300_000, 4), true);
  const macs = t.entries(1, 40, 300_000).map((e) => e.mac).sort();
  assert.deepEqual(macs, ['0a:00:00:00:01:02', '0a:00:00:00:01:03', '0a:00:00:00:02:01', '0a:00:00:00:03:01']);
  assert.equal(t.statistics(1).evicted, 1);
  assert.equal(t.entries(2, 40, 300_000).length, 1, 'another bridge keeps its entries');
  t.flushWhere(1, () => true);
  for (let i = 0; i < 4; i++) t.learn(1, 0, `0a:00:00:00:04:0${i}`, 1, 50 + i, 300_000, 4);
  assert.equal(t.statistics(1).evicted, 1, 'a flush frees room: no eviction below the limit');
});

test('flood_vlans: no learning and no lookup on those VLANs; changing them flushes the bridge', () => {
  const br = new Bridge();
  br.trace('in_port=3,dl_vlan=20,dl_src=0a:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff', true);
  br.trace('in_port=3,dl_vlan=10,dl_src=0a:00:00:00:00:02,dl_dst=ff:ff:ff:ff:ff:ff', true);
  const ml = br.replica.bridges.get('br0')!.ml;
  assert.equal(ml.size(1000), 2);
  br.vsctl('set bridge br0 flood_vlans=10');
  assert.equal(ml.size(1000), 0, 'a new flood_vlans set flushes the MAC table, as OVS set_flood_vlans()');
  br.trace('in_port=3,dl_vlan=10,dl_src=0a:00:00:00:00:02,dl_dst=ff:ff:ff:ff:ff:ff', true);
  assert.equal(ml.size(1000), 0);
  br.trace('in_port=3,dl_vlan=20,dl_src=0a:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff', true);
  assert.deepEqual(ml.dump(1000).map((e) => [e.vlan, e.ofport]), [[20, 3]]);
});

test('changing a port\'s VLAN settings forgets the MACs learned on it only', () => {
  const br = new Bridge();
  br.trace('in_port=7,dl_vlan=5,dl_src=0a:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff', true);
  br.trace('in_port=3,dl_vlan=100,dl_src=0a:00:00:00:00:02,dl_dst=ff:ff:ff:ff:ff:ff', true);
  const ml = br.replica.bridges.get('br0')!.ml;
  assert.deepEqual(ml.dump(1000).map((e) => [e.vlan, e.ofport]).sort(), [[100, 3], [100, 7]]);
  br.vsctl('set port p7 cvlans=5,6');
  assert.deepEqual(ml.dump(1000).map((e) => [e.vlan, e.ofport]), [[100, 3]]);
});

test('NORMAL floods no bundle with OFPPC_NO_FLOOD, but still forwards to a MAC learned on it (OVS bundle->floodable)', () => {
  const br = new Bridge();
  br.noFlood.add(3);
  br.apply();
  const flood = br.trace('in_port=1,dl_src=0a:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff', true);
  assert.equal(packetsOut(flood.actions, []).has('3'), false, flood.actions);
  assert.equal(packetsOut(flood.actions, []).get('4'), '0x8100:10:0');
  br.trace('in_port=3,dl_vlan=10,dl_src=0a:00:00:00:00:02,dl_dst=0a:00:00:00:00:01', true);
  assert.equal(br.trace('in_port=1,dl_src=0a:00:00:00:00:01,dl_dst=0a:00:00:00:00:02', false).actions, 'push_vlan(vid=10,pcp=0),3');
});
