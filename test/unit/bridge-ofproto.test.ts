/**
 * The OpenFlow switch of one bridge (connection manager + flow tables + message handling)
 * driven by the real `ovs-ofctl` over its `punix:` mgmt socket, without a datapath: the flow
 * table changes it would ship to the upcall workers are collected instead. Raw-socket tests
 * check the protocol edges (negotiation failure, malformed messages, the connection surviving).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BridgeOfproto, BridgeOfprotoSettings, FAIL_OPEN_PRIORITY } from '../../src/ofproto-dpif/bridge-ofproto';
import { FLOW_LEN } from '../../src/openflow/meta-flow';
import type { FlowTablesDelta } from '../../src/ofproto-dpif/flow-table';
import { OFPP_LOCAL } from '../../src/openflow/common';
import { vlogModule } from '../../src/util/vlog';

const run = promisify(execFile);
const log = vlogModule('connmgr');
const ALL_VERSIONS = 0x7e;

interface Harness {
  dir: string;
  sock: string;
  ofproto: BridgeOfproto;
  deltas: FlowTablesDelta[];
  close(): void;
}

async function startSwitch(settings: Partial<BridgeOfprotoSettings> = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsv-ofproto-'));
  const deltas: FlowTablesDelta[] = [];
  const ofproto = new BridgeOfproto('br0', {
    log,
    applyFlowDelta: (_b, d) => deltas.push(d),
    portCounters: async () => ({ rxPackets: 1n, txPackets: 2n, rxBytes: 3n, txBytes: 4n }),
  }, { datapathId: 0x1234n, failMode: 'standalone', allowedVersions: ALL_VERSIONS, controllers: [], ...settings });
  ofproto.setPorts([
    { desc: port(1, 'p1', '02:00:00:00:00:01'), odpPort: 2 },
    { desc: port(OFPP_LOCAL, 'br0', '02:00:00:00:00:fe'), odpPort: 1 },
  ]);
  await ofproto.start(dir);
  return {
    dir, sock: `unix:${dir}/br0.mgmt`, ofproto, deltas,
    close: () => {
      ofproto.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function port(portNo: number, name: string, hwAddr: string) {
  return { portNo, name, hwAddr, config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0 };
}

async function ofctl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run('ovs-ofctl', args, { timeout: 10000 });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { stdout: x.stdout, stderr: x.stderr, code: x.code };
  }
}

/** Strips what changes from run to run: durations and ages. */
function stable(s: string): string {
  return s.replace(/duration=[0-9.]+s/g, 'duration=?').replace(/(idle|hard)_age=[0-9]+/g, '$1_age=?');
}

test('a new standalone bridge without controllers has priority=0 actions=NORMAL (connmgr_flushed)', async () => {
  const h = await startSwitch();
  try {
    const r = await ofctl('dump-flows', h.sock);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(stable(r.stdout), 'NXST_FLOW reply (xid=0x4):\n cookie=0x0, duration=?, table=0, n_packets=0, n_bytes=0, idle_age=?, priority=0 actions=NORMAL\n');
    assert.equal(h.deltas[0].full, true);
    assert.equal(h.deltas.at(-1)!.added.length, 1);
  } finally {
    h.close();
  }
});

test('a secure bridge starts with no flows', async () => {
  const h = await startSwitch({ failMode: 'secure' });
  try {
    const r = await ofctl('-O', 'OpenFlow13', 'dump-flows', h.sock);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'OFPST_FLOW reply (OF1.3) (xid=0x2):\n');
  } finally {
    h.close();
  }
});

test('add-flow, mod-flows and del-flows through ovs-ofctl change the tables and reach the workers', async () => {
  const h = await startSwitch({ failMode: 'secure' });
  try {
    for (const v of ['OpenFlow10', 'OpenFlow13', 'OpenFlow15']) {
      const add = await ofctl('-O', v, 'add-flow', h.sock, 'priority=100,ip,nw_src=10.0.0.0/8,actions=output:1');
      assert.equal(add.code, 0, `${v}: ${add.stderr}`);
    }
    const dump = await ofctl('-O', 'OpenFlow13', 'dump-flows', h.sock);
    assert.equal(stable(dump.stdout), 'OFPST_FLOW reply (OF1.3) (xid=0x2):\n cookie=0x0, duration=?, table=0, n_packets=0, n_bytes=0, priority=100,ip,nw_src=10.0.0.0/8 actions=output:1\n');
    const mod = await ofctl('mod-flows', h.sock, 'ip,actions=drop');
    assert.equal(mod.code, 0, mod.stderr);
    assert.match((await ofctl('dump-flows', h.sock)).stdout, /priority=100,ip,nw_src=10\.0\.0\.0\/8 actions=drop/);
    const del = await ofctl('del-flows', h.sock);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await ofctl('dump-flows', h.sock)).stdout, 'NXST_FLOW reply (xid=0x4):\n');
    const last = h.deltas.at(-1)!;
    assert.equal(last.removed.length, 1);
  } finally {
    h.close();
  }
});

test('show lists the ports and the datapath id', async () => {
  const h = await startSwitch();
  try {
    const r = await ofctl('show', h.sock);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^OFPT_FEATURES_REPLY \(xid=0x2\): dpid:0000000000001234\n/);
    assert.match(r.stdout, / 1\(p1\): addr:02:00:00:00:00:01\n/);
    assert.match(r.stdout, / LOCAL\(br0\): addr:02:00:00:00:00:fe\n/);
  } finally {
    h.close();
  }
});

test('a flow_mod the switch refuses gets the OpenFlow error and the connection lives on', async () => {
  const h = await startSwitch();
  try {
    const r = await ofctl('-O', 'OpenFlow13', 'add-flow', h.sock, 'table=0,actions=group:7');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /OFPBAC_BAD_OUT_GROUP/);
  } finally {
    h.close();
  }
});

/** Opens a raw connection, sends a HELLO of `version`, and collects what comes back. */
async function raw(sockPath: string, hello: Buffer): Promise<{ sock: Socket; rx: Buffer[]; closed: Promise<void> }> {
  const sock = createConnection(sockPath);
  const rx: Buffer[] = [];
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  sock.on('data', (d) => rx.push(d));
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  sock.write(hello);
  return { sock, rx, closed };
}

const hello = (version: number): Buffer => Buffer.from([version, 0, 0, 8, 0, 0, 0, 1]);

function messages(rx: Buffer[]): Buffer[] {
  const all = Buffer.concat(rx);
  const out: Buffer[] = [];
  for (let o = 0; o + 8 <= all.length; o += all.readUInt16BE(o + 2)) out.push(all.subarray(o, o + all.readUInt16BE(o + 2)));
  return out;
}

async function settle(ms = 200): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

test('an unknown message type is answered with OFPBRC_BAD_TYPE and an echo still works after', async () => {
  const h = await startSwitch();
  try {
    const c = await raw(`${h.dir}/br0.mgmt`, hello(4));
    c.sock.write(Buffer.from([4, 0xee, 0, 8, 0, 0, 0, 9]));
    c.sock.write(Buffer.from([4, 2, 0, 8, 0, 0, 0, 10]));
    await settle();
    const msgs = messages(c.rx);
    const err = msgs.find((m) => m[1] === 1)!;
    assert.ok(err, 'an OFPT_ERROR came back');
    assert.equal(err.readUInt32BE(4), 9);
    assert.deepEqual([err.readUInt16BE(8), err.readUInt16BE(10)], [1, 1]);
    assert.ok(msgs.some((m) => m[1] === 3 && m.readUInt32BE(4) === 10), 'ECHO_REPLY for xid 10');
    c.sock.destroy();
  } finally {
    h.close();
  }
});

test('a HELLO without a common version gets HELLO_FAILED/INCOMPATIBLE and the connection closes', async () => {
  const h = await startSwitch({ allowedVersions: 1 << 4 });
  try {
    const c = await raw(`${h.dir}/br0.mgmt`, hello(1));
    await c.closed;
    const err = messages(c.rx).find((m) => m[1] === 1)!;
    assert.deepEqual([err.readUInt16BE(8), err.readUInt16BE(10)], [0, 0]);
    assert.match(err.subarray(12).toString(), /no common versions/);
  } finally {
    h.close();
  }
});

test('a message of another version than negotiated gets OFPBRC_BAD_VERSION', async () => {
  const h = await startSwitch();
  try {
    const c = await raw(`${h.dir}/br0.mgmt`, hello(4));
    c.sock.write(Buffer.from([1, 5, 0, 8, 0, 0, 0, 3]));
    await settle();
    const err = messages(c.rx).find((m) => m[1] === 1)!;
    assert.equal(err[0], 1, 'the error is in the offending message version');
    assert.deepEqual([err.readUInt16BE(8), err.readUInt16BE(10)], [1, 0]);
    c.sock.destroy();
  } finally {
    h.close();
  }
});

test('a header with a length below 8 closes the connection', async () => {
  const h = await startSwitch();
  try {
    const c = await raw(`${h.dir}/br0.mgmt`, hello(4));
    c.sock.write(Buffer.from([4, 2, 0, 4, 0, 0, 0, 3]));
    await c.closed;
  } finally {
    h.close();
  }
});

test('fail-open: a standalone bridge whose controller stays unreachable for 3 probe intervals switches NORMAL through a hidden rule, until a controller is admitted', async () => {
  // A controller endpoint that accepts nothing for now: connections are refused.
  const dir = mkdtempSync(path.join(tmpdir(), 'tsv-failopen-'));
  const ctl = path.join(dir, 'ctl.sock');
  const h = await startSwitch({ controllers: [{ target: `unix:${ctl}`, probeIntervalMs: 1000, maxBackoffMs: 1000 }] });
  const hidden = (): boolean => h.ofproto.tables.lookup(0, Buffer.alloc(FLOW_LEN))?.priority === FAIL_OPEN_PRIORITY;
  const until = async (cond: () => boolean, what: string): Promise<void> => {
    for (let i = 0; i < 100 && !cond(); i++) await settle(100);
    assert.ok(cond(), what);
  };
  let server: Server | undefined;
  try {
    assert.equal(hidden(), false, 'no fail-open rule while the controller may still connect');
    assert.equal((await ofctl('dump-flows', h.sock)).stdout, 'NXST_FLOW reply (xid=0x4):\n', 'a bridge with controllers has no default NORMAL rule');
    await until(hidden, 'after 3 s without a controller the hidden fail-open rule is there');
    assert.equal((await ofctl('dump-flows', h.sock)).stdout, 'NXST_FLOW reply (xid=0x4):\n', 'the fail-open rule is hidden from dump-flows');
    // A controller comes: HELLO alone does not admit the switch; a real request does.
    server = createServer((s) => {
      s.write(Buffer.from([1, 0, 0, 8, 0, 0, 0, 1]));
      setTimeout(() => s.write(Buffer.from([1, 18, 0, 8, 0, 0, 0, 2])), 300); // OFPT_BARRIER_REQUEST (OF1.0)
    });
    await new Promise<void>((r) => server!.listen(ctl, r));
    await until(() => !hidden(), 'the admitted controller ends fail-open mode and its rule goes');
  } finally {
    server?.close();
    h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
