/**
 * Flow monitors (OVS "ofmonitor"): NXST_FLOW_MONITOR, ONFST_FLOW_MONITOR and OFPMP_FLOW_MONITOR
 * served by the bridge's OpenFlow switch. The real `ovs-ofctl monitor` and raw connections replay
 * sequences recorded against the reference ovs-vswitchd 3.1 (test/unit/golden/flow-monitor.json)
 * and must see the same thing; pause/resume and disconnects are checked on real sockets and on
 * the module alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BridgeOfproto } from '../../src/ofproto-dpif/bridge-ofproto';
import { FlowMonitors, MONITOR_PAUSE_BYTES } from '../../src/ofproto-dpif/flow-monitor';
import { FlowTables } from '../../src/ofproto-dpif/flow-table';
import { OFP10_VERSION, OFP14_VERSION, OFPG_ANY, OFPP_ANY, OFPP_LOCAL, OFPTT_ALL, OFP_NO_BUFFER } from '../../src/openflow/common';
import type { Ofconn } from '../../src/openflow/connmgr';
import { Match } from '../../src/openflow/match';
import { parseMatch } from '../../src/openflow/match-format';
import { decodeErrorMsg, OfpError } from '../../src/openflow/ofp-errors';
import { encodeFlowMod, FlowMod } from '../../src/openflow/ofp-flow';
import {
  decodeFlowUpdates, encodeFlowMonitorRequest, FlowMonitorRequest, FlowUpdate, OFPFMF_ADD, OFPFMF_INITIAL,
  OFPFMF_INSTRUCTIONS, OFPFMF_MODIFY, OFPFMF_REMOVED,
} from '../../src/openflow/ofp-monitor';
import { decodeMsg, OfpMsg } from '../../src/openflow/ofp-msgs';
import type { Ofpact } from '../../src/openflow/ofpacts';
import { encodeBarrierRequest } from '../../src/openflow/ofp-switch';
import { vlogModule } from '../../src/util/vlog';

const run = promisify(execFile);
const log = vlogModule('connmgr');

interface Golden {
  ofctl: { setup: string[][]; monitors: string[][]; steps: (string[] | { sleepMs: number })[]; expected: { stdout: string; stderr: string }[] };
  raw: { version: number; exchanges: { note: string; send: string[]; expected: string[] }[] }[];
}
const golden = JSON.parse(readFileSync(path.join(__dirname, '../../../test/unit/golden/flow-monitor.json'), 'utf8')) as Golden;

/** A failure to notice a hang, not a timing assertion. */
const HANG_MS = 20000;
const BARRIER_XID = 0xb0b0;

interface Harness {
  dir: string;
  mgmt: string;
  ofproto: BridgeOfproto;
  close(): void;
}

/** A secure bridge br0 (no default flow) with ports p1=1, p2=2 and LOCAL, as the reference had. */
async function startSwitch(): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsv-monitor-'));
  const ofproto = new BridgeOfproto('br0', { log, applyFlowDelta: () => undefined, portCounters: async () => undefined },
    { datapathId: 0x1234n, failMode: 'secure', allowedVersions: 0x7e, controllers: [] });
  const port = (portNo: number, name: string) => ({
    desc: { portNo, name, hwAddr: `02:00:00:00:00:${(portNo & 0xff).toString(16).padStart(2, '0')}`, config: 0, state: 4, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0 },
    odpPort: portNo & 0xff,
  });
  ofproto.setPorts([port(OFPP_LOCAL, 'br0'), port(1, 'p1'), port(2, 'p2')]);
  await ofproto.start(dir);
  return {
    dir, mgmt: `${dir}/br0.mgmt`, ofproto,
    close: () => {
      ofproto.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > HANG_MS) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw OpenFlow connection that negotiates exactly `version` and splits what it receives into messages. */
class RawConn {
  readonly msgs: Buffer[] = [];
  private rx = Buffer.alloc(0);
  private constructor(readonly sock: Socket, readonly version: number) {
    sock.on('data', (d: Buffer) => {
      this.rx = Buffer.concat([this.rx, d]);
      while (this.rx.length >= 8 && this.rx.length >= this.rx.readUInt16BE(2)) {
        const m = Buffer.from(this.rx.subarray(0, this.rx.readUInt16BE(2)));
        this.rx = this.rx.subarray(m.length);
        if (m[1] !== 0 && m[1] !== 2 && m[1] !== 3) this.msgs.push(m); // not HELLO, ECHO
      }
    });
  }

  static async open(sockPath: string, version: number): Promise<RawConn> {
    const sock = createConnection(sockPath);
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    sock.write(Buffer.from([version, 0, 0, 8, 0, 0, 0, 0]));
    return new RawConn(sock, version);
  }

  /** Sends `msgs` and a barrier; returns what came back before the barrier reply. */
  async exchange(msgs: Buffer[]): Promise<Buffer[]> {
    const from = this.msgs.length;
    for (const m of msgs) this.sock.write(m);
    this.sock.write(encodeBarrierRequest(this.version, BARRIER_XID));
    const isBarrier = (m: Buffer): boolean => m.readUInt32BE(4) === BARRIER_XID && decodeMsg(m).type === 'BARRIER_REPLY';
    await until('the barrier reply', () => this.msgs.slice(from).some(isBarrier));
    const got = this.msgs.slice(from);
    return got.slice(0, got.findIndex(isBarrier));
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Names a message for failure output: raw type, xid, and its updates or error. */
function describe(hex: string): string {
  const m = decodeMsg(Buffer.from(hex, 'hex'));
  if (m.type === 'ERROR') return `${m.raw} xid=${m.xid} ${decodeErrorMsg(m.data).err}`;
  if (m.type === 'FLOW_MONITOR_STATS_REPLY') return `${m.raw} xid=${m.xid} ${decodeFlowUpdates(m).map((u) => u.event).join(',')}`;
  return `${m.raw} xid=${m.xid}`;
}

test('ovs-ofctl monitor (OpenFlow 1.0, 1.2, 1.3, 1.4, 1.5; filters and flags) prints what it prints against OVS for a scripted sequence of changes', async () => {
  const h = await startSwitch();
  const env = { ...process.env, OVS_RUNDIR: h.dir };
  const arg = (args: string[]): string[] => args.map((a) => a.replace('$S', `unix:${h.mgmt}`));
  const ofctl = async (args: string[]): Promise<void> => {
    await run('ovs-ofctl', arg(args), { env, timeout: 10000 });
  };
  const mons: { p: ChildProcess; stdout: string; stderr: string }[] = [];
  // ovs-ofctl prints the updates it gets after its requests' replies to stderr; killing it adds a warning.
  const updates = (s: string): string => s.split('\n').filter((l) => !/fatal_signal/.test(l)).join('\n');
  try {
    for (const s of golden.ofctl.setup) await ofctl(s);
    for (const args of golden.ofctl.monitors) {
      const m = { p: spawn('ovs-ofctl', arg(args), { env }), stdout: '', stderr: '' };
      m.p.stdout!.on('data', (d) => { m.stdout += d; });
      m.p.stderr!.on('data', (d) => { m.stderr += d; });
      mons.push(m);
    }
    const watches = golden.ofctl.monitors.map((a) => a.filter((s) => s.startsWith('watch:')).length);
    await until('the initial replies', () => mons.every((m, i) => (m.stdout.match(/reply/g) ?? []).length >= watches[i]));
    for (const s of golden.ofctl.steps) {
      if (Array.isArray(s)) await ofctl(s);
      else await new Promise((r) => setTimeout(r, s.sleepMs));
    }
    await until('every update', () => mons.every((m, i) => updates(m.stderr).length >= golden.ofctl.expected[i].stderr.length));
  } finally {
    for (const m of mons) m.p.kill();
    await Promise.all(mons.map((m) => new Promise((r) => (m.p.exitCode !== null ? r(null) : m.p.once('exit', r)))));
    h.close();
  }
  mons.forEach((m, i) => {
    const name = golden.ofctl.monitors[i].join(' ');
    assert.equal(m.stdout, golden.ofctl.expected[i].stdout, `${name}: replies`);
    assert.equal(updates(m.stderr), golden.ofctl.expected[i].stderr, `${name}: updates`);
  });
});

for (const sc of golden.raw) {
  test(`a raw OpenFlow ${sc.version} controller gets the reference's replies: duplicate ids, own changes abbreviated or full, cancel`, async () => {
    const h = await startSwitch();
    const c = await RawConn.open(h.mgmt, sc.version);
    try {
      for (const e of sc.exchanges) {
        const got = (await c.exchange(e.send.map((x) => Buffer.from(x, 'hex')))).map((b) => b.toString('hex'));
        assert.deepEqual(got.map(describe), e.expected.map(describe), e.note);
        assert.deepEqual(got, e.expected, e.note);
      }
    } finally {
      c.close();
      h.close();
    }
  });
}

function flowMod(o: Partial<FlowMod> & { text?: string; actions?: Ofpact[] }): FlowMod {
  return {
    command: 'add', match: o.text ? parseMatch(o.text).match : Match.catchall(), priority: 0x8000, cookie: 0n, cookieMask: 0n,
    newCookie: 0n, tableId: 0, idleTimeout: 0, hardTimeout: 0, importance: 0, flags: 0, bufferId: OFP_NO_BUFFER,
    outPort: OFPP_ANY, outGroup: OFPG_ANY, ofpacts: o.actions ?? [], modifyCookie: false, ...o,
  };
}

const output = (port: number): Ofpact[] => [{ type: 'output', port, maxLen: 0 } as Ofpact];

function monitorRequest(id: number, flags: number, more: Partial<FlowMonitorRequest> = {}): FlowMonitorRequest {
  return { id, command: 'add', flags, outPort: OFPP_ANY, outGroup: OFPG_ANY, tableId: OFPTT_ALL, match: Match.catchall(), ...more };
}

const nwSrc = (i: number): string => `ip,nw_src=10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;

test('a monitor whose connection stops reading is paused, gets only removals of flows it knew, then a refresh and "resumed"', async () => {
  const h = await startSwitch();
  const a = await RawConn.open(h.mgmt, OFP10_VERSION);
  const b = await RawConn.open(h.mgmt, OFP10_VERSION);
  const N = 4000;
  try {
    const flags = OFPFMF_ADD | OFPFMF_REMOVED | OFPFMF_MODIFY | OFPFMF_INSTRUCTIONS;
    await a.exchange([encodeFlowMonitorRequest([monitorRequest(1, flags)], OFP10_VERSION, 1)]);
    a.sock.pause();
    const adds = Array.from({ length: N }, (_, i) => encodeFlowMod(flowMod({ text: nwSrc(i), priority: 10, actions: output(1) }), OFP10_VERSION, 100 + i));
    assert.deepEqual(await b.exchange(adds), []);
    // Added before the pause: its removal still goes out. Added and removed while paused: never reported.
    const del = (text: string, xid: number) => encodeFlowMod(flowMod({ command: 'delete_strict', text, priority: 10 }), OFP10_VERSION, xid);
    const transient = encodeFlowMod(flowMod({ text: 'arp', priority: 10 }), OFP10_VERSION, 9);
    assert.deepEqual(await b.exchange([del(nwSrc(0), 7), transient, del('arp', 10)]), []);
    const pendingWhilePaused = [...h.ofproto.connmgr.connections()].reduce((n, c) => n + c.vconn.pendingBytes, 0);
    assert.ok(pendingWhilePaused > MONITOR_PAUSE_BYTES, `the monitor's output backed up (${pendingWhilePaused} bytes)`);
    a.sock.resume();
    const isType = (t: string) => (m: Buffer) => decodeMsg(m).type === t;
    await until('FLOW_MONITOR_RESUMED', () => a.msgs.some(isType('FLOW_MONITOR_RESUMED')));
    const paused = a.msgs.findIndex(isType('FLOW_MONITOR_PAUSED'));
    const resumed = a.msgs.findIndex(isType('FLOW_MONITOR_RESUMED'));
    assert.ok(paused > 0 && paused < resumed, 'updates, then paused, then resumed');
    assert.equal(a.msgs.filter(isType('FLOW_MONITOR_PAUSED')).length, 1);
    const updatesOf = (ms: Buffer[]): FlowUpdate[] => ms.map((m) => decodeMsg(m)).filter((m) => m.type === 'FLOW_MONITOR_STATS_REPLY').flatMap((m) => decodeFlowUpdates(m as OfpMsg));
    const before = updatesOf(a.msgs.slice(1, paused));
    const after = updatesOf(a.msgs.slice(paused + 1, resumed));
    const flowOf = (u: FlowUpdate): string => ('match' in u ? u.match.flow.toString('hex') : u.event);
    const first = parseMatch(nwSrc(0)).match.flow.toString('hex');
    assert.ok(before.every((u) => u.event === 'added'), 'only additions before the pause');
    assert.ok(before.length > 0 && before.length < N, `some additions went out before the pause (${before.length})`);
    assert.equal(flowOf(before[0]), first, 'the first addition is the first flow');
    assert.deepEqual(after.filter((u) => u.event === 'removed').map(flowOf), [first], 'the removal of the flow added before the pause');
    const refreshed = after.filter((u) => u.event === 'added');
    assert.equal(before.length + refreshed.length, N, 'each flow reported added exactly once');
    assert.equal(new Set([...before, ...refreshed].map(flowOf)).size, N);
    assert.ok(!refreshed.some((u) => flowOf(u) === parseMatch('arp').match.flow.toString('hex')), 'the transient flow is not reported');
    // After resuming, updates flow again.
    const late = await b.exchange([encodeFlowMod(flowMod({ text: 'udp', priority: 11 }), OFP10_VERSION, 11)]);
    assert.deepEqual(late, []);
    await until('the update after resuming', () => updatesOf(a.msgs.slice(resumed + 1)).length === 1);
  } finally {
    a.close();
    b.close();
    h.close();
  }
});

test('a connection\'s monitors go away when it disconnects', async () => {
  const h = await startSwitch();
  const a = await RawConn.open(h.mgmt, OFP14_VERSION);
  try {
    await a.exchange([encodeFlowMonitorRequest([monitorRequest(1, OFPFMF_ADD), monitorRequest(2, OFPFMF_REMOVED)], OFP14_VERSION, 1)]);
    const [c] = h.ofproto.connmgr.connections();
    assert.equal(h.ofproto.monitors.count(c), 2);
    a.close();
    await until('the disconnect', () => [...h.ofproto.connmgr.connections()].length === 0);
    assert.equal(h.ofproto.monitors.count(c), 0);
  } finally {
    h.close();
  }
});

/** A connection stand-in: records what is sent; `pendingBytes` is set by the test. */
function fakeConn(version: number): { c: Ofconn; sent: OfpMsg[]; vconn: { pendingBytes: number; closed: boolean } } {
  const sent: OfpMsg[] = [];
  const vconn = { pendingBytes: 0, closed: false };
  const c = { version, name: 'fake', vconn, send: (...m: Buffer[]) => sent.push(...m.map((b) => decodeMsg(b))) } as unknown as Ofconn;
  return { c, sent, vconn };
}

/** Applies `fm` to `tables` and reports it as a flow_mod from connection `by` with xid 1. */
function apply(monitors: FlowMonitors, tables: FlowTables, by: Ofconn, fm: FlowMod, xid = 1): void {
  monitors.report(tables.flowMod(fm), { ofconn: by, xid, flowMods: [fm] });
}

function events(msgs: OfpMsg[]): string[] {
  return msgs.flatMap((m) => (m.type === 'FLOW_MONITOR_STATS_REPLY'
    ? decodeFlowUpdates(m).map((u) => (u.event === 'abbrev' ? `abbrev:${u.xid}` : 'priority' in u ? `${u.event}:${u.priority}` : u.event))
    : [m.type]));
}

test('while paused only removals of flows added before the pause go out; resuming refreshes added and modified flows', async () => {
  const tables = new FlowTables();
  const monitors = new FlowMonitors({ queryRules: (q) => tables.queryRules(q), nTables: tables.nTables, warn: () => undefined });
  const { c, sent, vconn } = fakeConn(OFP14_VERSION);
  const other = fakeConn(OFP14_VERSION).c;
  const all = OFPFMF_INITIAL | OFPFMF_ADD | OFPFMF_REMOVED | OFPFMF_MODIFY;
  try {
    apply(monitors, tables, other, flowMod({ text: 'ip', priority: 1 }));
    monitors.handleRequest(c, decodeMsg(encodeFlowMonitorRequest([monitorRequest(1, all)], OFP14_VERSION, 5)));
    assert.deepEqual(events(sent.splice(0)), ['initial:1']);
    vconn.pendingBytes = MONITOR_PAUSE_BYTES + 1;
    apply(monitors, tables, other, flowMod({ text: 'tcp', priority: 2 }));
    assert.deepEqual(events(sent.splice(0)), ['added:2', 'paused']);
    apply(monitors, tables, other, flowMod({ text: 'udp', priority: 3 }));
    apply(monitors, tables, other, flowMod({ command: 'modify_strict', text: 'ip', priority: 1, actions: output(2) }));
    apply(monitors, tables, other, flowMod({ text: 'arp', priority: 4 }));
    apply(monitors, tables, other, flowMod({ command: 'delete', text: 'arp' }));
    assert.deepEqual(events(sent.splice(0)), [], 'no additions, modifications or removals of new flows while paused');
    apply(monitors, tables, other, flowMod({ command: 'delete', text: 'tcp' }));
    assert.deepEqual(events(sent.splice(0)), ['removed:2']);
    vconn.pendingBytes = 0;
    await until('resumed', () => sent.length > 0);
    assert.deepEqual(events(sent.splice(0)).sort(), ['added:3', 'modified:1', 'resumed'].sort());
    apply(monitors, tables, c, flowMod({ text: 'sctp', priority: 5 }), 77);
    assert.deepEqual(events(sent.splice(0)), ['abbrev:77'], 'own changes are abbreviated again once resumed');
  } finally {
    monitors.close();
  }
});

test('monitor requests: unknown table, and a modify that only changes the cookie or nothing', () => {
  const tables = new FlowTables({ nTables: 4 });
  const monitors = new FlowMonitors({ queryRules: (q) => tables.queryRules(q), nTables: tables.nTables, warn: () => undefined });
  const { c, sent } = fakeConn(OFP14_VERSION);
  const other = fakeConn(OFP14_VERSION).c;
  assert.throws(() => monitors.handleRequest(c, decodeMsg(encodeFlowMonitorRequest([monitorRequest(1, OFPFMF_ADD, { tableId: 4 })], OFP14_VERSION, 1))),
    (e: OfpError) => e.err === 'OFPBRC_BAD_TABLE_ID');
  assert.equal(monitors.count(c), 0);
  monitors.handleRequest(c, decodeMsg(encodeFlowMonitorRequest([monitorRequest(1, OFPFMF_ADD | OFPFMF_MODIFY, { tableId: 3 })], OFP14_VERSION, 2)));
  sent.splice(0);
  apply(monitors, tables, other, flowMod({ text: 'ip', priority: 1, tableId: 3 }));
  apply(monitors, tables, other, flowMod({ command: 'modify', text: 'ip', tableId: 3 }));
  apply(monitors, tables, other, flowMod({ command: 'modify', text: 'ip', tableId: 3, newCookie: 9n, modifyCookie: true }));
  apply(monitors, tables, other, flowMod({ text: 'ip', priority: 1, tableId: 2 }));
  assert.deepEqual(events(sent), ['added:1', 'modified:1'], 'unchanged modify: nothing; cookie change: modified; other table: nothing');
  monitors.close();
});

test('a bundle mixing adds, modifies and deletes reports each rule once, with the event of the flow_mod that touched it', () => {
  let now = 1000;
  const tables = new FlowTables({ now: () => now });
  const monitors = new FlowMonitors({ queryRules: (q) => tables.queryRules(q), nTables: tables.nTables, warn: () => undefined });
  const { c, sent } = fakeConn(OFP14_VERSION);
  const other = fakeConn(OFP14_VERSION).c;
  monitors.handleRequest(c, decodeMsg(encodeFlowMonitorRequest([monitorRequest(1, OFPFMF_ADD | OFPFMF_REMOVED | OFPFMF_MODIFY)], OFP14_VERSION, 1)));
  for (const [text, priority] of [['ip', 1], ['arp', 2], ['udp', 3]] as const) apply(monitors, tables, other, flowMod({ text, priority }));
  sent.splice(0);
  now = 2000;
  const fms = [
    flowMod({ text: 'tcp', priority: 4 }),
    flowMod({ text: 'udp', priority: 3, actions: output(1) }),
    flowMod({ command: 'modify_strict', text: 'ip', priority: 1, actions: output(2) }),
    flowMod({ command: 'delete', text: 'arp' }),
  ];
  monitors.report(tables.flowMods(fms), { ofconn: other, xid: 2, flowMods: fms });
  // OVS reports in flow_mod order (added:4, added:3, modified:1, removed:2); a FlowTablesChange
  // keeps the order of removals and of additions, not between pure additions and removals.
  assert.deepEqual(events(sent).sort(), ['added:3', 'added:4', 'modified:1', 'removed:2']);
  assert.ok(events(sent).indexOf('added:4') < events(sent).indexOf('added:3'), 'a pure addition goes before the replacement that follows it');
  monitors.close();
});
