/**
 * Packet-in rate limiting (`controller_rate_limit` / `controller_burst_limit`) as OVS 3.1's
 * ofproto/pinsched.c and lib/token-bucket.c do it, driven by a fake clock; and an Ofconn that
 * sends its packet-ins through the schedulers, with Node's mock timers.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { AddressInfo, createServer, Socket } from 'node:net';
import { Connmgr, Ofconn } from '../../src/openflow/connmgr';
import { Pinsched, TokenBucket } from '../../src/openflow/pinsched';
import type { Vconn } from '../../src/openflow/vconn';

/** A scheduler on a clock the test moves by hand. */
function sched(rate: number, burst: number, random = () => 0.5): { ps: Pinsched<string>; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  return { ps: new Pinsched<string>(rate, burst, () => clock.t, random), clock };
}

test('a token bucket starts full, refills at its rate per millisecond and caps at its burst', () => {
  let now = 0;
  const tb = new TokenBucket(2, 10, () => now);
  assert.equal(tb.withdraw(10), true);
  assert.equal(tb.withdraw(1), false);
  assert.equal(tb.waitMs(4), 3); // 4 tokens at 2/ms: last fill + 2 + 1
  now += 2;
  assert.equal(tb.withdraw(4), true);
  now += 1000;
  assert.equal(tb.withdraw(11), false);
  assert.equal(tb.tokens, 10);
});

test('limits default as OVS: rate 1000/s, burst a quarter of the rate, at least 1', () => {
  assert.deepEqual(new Pinsched(0, 0).limits, { rate: 1000, burst: 250 });
  assert.deepEqual(new Pinsched(100, 0).limits, { rate: 100, burst: 25 });
  assert.deepEqual(new Pinsched(3, 0).limits, { rate: 3, burst: 1 });
  assert.deepEqual(new Pinsched(100, 40).limits, { rate: 100, burst: 40 });
});

test('packet-ins within the burst bypass the queues; the next one is queued', () => {
  const { ps } = sched(100, 25);
  for (let i = 0; i < 25; i++) assert.equal(ps.send(1, `p${i}`), `p${i}`);
  assert.equal(ps.send(1, 'late'), undefined);
  assert.deepEqual(ps.stats(), { nQueued: 1, nNormal: 25, nLimited: 1, nQueueDropped: 0 });
  assert.deepEqual(ps.run(), []);
});

test('queued packet-ins leave as tokens arrive, one per 1/rate seconds', () => {
  const { ps, clock } = sched(100, 25);
  for (let i = 0; i < 25; i++) ps.send(1, 'burst');
  ps.send(1, 'a');
  ps.send(1, 'b');
  assert.equal(ps.waitMs(), 11); // 1000 tokens at 100/ms: 10 ms, +1 as token_bucket_wait()
  clock.t += 10;
  assert.deepEqual(ps.run(), ['a']);
  clock.t += 5;
  assert.deepEqual(ps.run(), []);
  clock.t += 5;
  assert.deepEqual(ps.run(), ['b']);
  assert.equal(ps.waitMs(), undefined);
});

test('a new packet-in queues behind queued ones even when a token is available', () => {
  const { ps, clock } = sched(100, 25);
  for (let i = 0; i < 25; i++) ps.send(1, 'burst');
  ps.send(1, 'first');
  clock.t += 10;
  assert.equal(ps.send(1, 'second'), undefined);
  assert.deepEqual(ps.run(), ['first']);
});

test('queues are served round robin among ingress ports', () => {
  const { ps, clock } = sched(100, 25);
  for (let i = 0; i < 25; i++) ps.send(9, 'burst');
  for (const p of ['a1', 'a2', 'a3']) ps.send(1, p);
  for (const p of ['b1', 'b2']) ps.send(2, p);
  ps.send(3, 'c1');
  clock.t += 60;
  assert.deepEqual(ps.run(), ['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  assert.equal(ps.stats().nQueued, 0);
});

test('the queues hold at most burst packet-ins: the oldest of the longest queue is dropped', () => {
  const { ps, clock } = sched(100, 4);
  for (let i = 0; i < 4; i++) ps.send(9, 'burst');
  ps.send(1, 'a1');
  ps.send(1, 'a2');
  ps.send(1, 'a3');
  ps.send(2, 'b1');
  ps.send(2, 'b2'); // full (4 queued): port 1 is longest, a1 goes
  assert.deepEqual(ps.stats(), { nQueued: 4, nNormal: 4, nLimited: 5, nQueueDropped: 1 });
  clock.t += 1000;
  assert.deepEqual(ps.run(), ['a2', 'b1', 'a3', 'b2']);
});

test('between equally long queues the dropped packet-in is chosen at random', () => {
  // When port 2 ties with port 1 it replaces it as the choice if floor(random() * 2) = 0.
  for (const [random, dropped] of [[0.9, 'a1'], [0.1, 'b1']] as const) {
    const { ps, clock } = sched(100, 4, () => random);
    for (let i = 0; i < 4; i++) ps.send(9, 'burst');
    for (const [port, p] of [[1, 'a1'], [2, 'b1'], [1, 'a2'], [2, 'b2'], [3, 'c1']] as const) ps.send(port, p);
    clock.t += 1000;
    const out = ps.run();
    assert.deepEqual(out.sort(), ['a1', 'a2', 'b1', 'b2', 'c1'].filter((p) => p !== dropped));
  }
});

test('run() releases at most 50 packet-ins at a time', () => {
  const { ps, clock } = sched(1000, 200);
  for (let i = 0; i < 200; i++) ps.send(1, 'burst');
  for (let i = 0; i < 120; i++) ps.send(i % 3, `q${i}`);
  clock.t += 1000;
  assert.equal(ps.run().length, 50);
  assert.equal(ps.waitMs(), 0);
  assert.equal(ps.run().length, 50);
  assert.equal(ps.run().length, 20);
});

test('lowering the burst drops the packet-ins queued beyond it', () => {
  const { ps } = sched(100, 10);
  for (let i = 0; i < 10; i++) ps.send(9, 'burst');
  for (let i = 0; i < 8; i++) ps.send(1, `q${i}`);
  ps.setLimits(100, 3);
  assert.deepEqual(ps.stats(), { nQueued: 3, nNormal: 10, nLimited: 8, nQueueDropped: 5 });
  assert.deepEqual(ps.limits, { rate: 100, burst: 3 });
});

/** An Ofconn over a stand-in for its Vconn that records what is sent. */
function fakeOfconn(): { ofconn: Ofconn; sent: string[] } {
  const sent: string[] = [];
  const vconn = Object.assign(new EventEmitter(), {
    version: 4, closed: false, connected: true, opts: { name: 'br0<->tcp:test' },
    send: (b: Buffer) => sent.push(b.toString()),
  });
  return { ofconn: new Ofconn(vconn as unknown as Vconn, 'primary', 'tcp:test'), sent };
}

test('an Ofconn without a rate limit sends packet-ins at once', () => {
  const { ofconn, sent } = fakeOfconn();
  for (let i = 0; i < 300; i++) ofconn.sendPacketIn(Buffer.from(`p${i}`), 1, true);
  assert.equal(sent.length, 300);
  assert.equal(ofconn.pinschedStats(), undefined);
});

test('a rate-limited Ofconn sends queued packet-ins later, on its own timer', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 5_000_000 });
  try {
    const { ofconn, sent } = fakeOfconn();
    ofconn.setRateLimit(100, 25);
    for (let i = 0; i < 30; i++) ofconn.sendPacketIn(Buffer.from(`m${i}`), 1, true);
    ofconn.sendPacketIn(Buffer.from('action'), 2, false); // the action scheduler has its own bucket
    assert.equal(sent.length, 26);
    assert.deepEqual(ofconn.pinschedStats()!.miss, { nQueued: 5, nNormal: 25, nLimited: 5, nQueueDropped: 0 });
    mock.timers.tick(11);
    assert.deepEqual(sent.slice(26), ['m25']);
    mock.timers.tick(40);
    assert.deepEqual(sent.slice(26), ['m25', 'm26', 'm27', 'm28', 'm29']);
    ofconn.setRateLimit(undefined);
    assert.equal(ofconn.pinschedStats(), undefined);
  } finally {
    mock.timers.reset();
  }
});

test('Controller.status reports the packet-in counters of a rate-limited controller', async () => {
  const port = await freePort();
  const target = `ptcp:${port}:127.0.0.1`;
  let ofconn: Ofconn | undefined;
  const mgr = new Connmgr({ handle: () => undefined, connected: (c) => (ofconn = c) }, { bridge: 'br0', allowedVersions: 0x10, warn: () => undefined, info: () => undefined });
  const sock = new Socket();
  try {
    await mgr.setControllers([{ target, probeIntervalMs: 0, maxBackoffMs: 1000, controllerRateLimit: 100, controllerBurstLimit: 25 }]);
    assert.equal(mgr.controllerStatus().get(target)!.status['packet-in-miss-backlog'], undefined);
    sock.connect(port, '127.0.0.1', () => sock.write(Buffer.from('0400000800000001', 'hex')));
    while (!ofconn) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 30; i++) ofconn.sendPacketIn(Buffer.from('0400000800000002', 'hex'), 1, true);
    const st = mgr.controllerStatus().get(target)!;
    assert.equal(st.isConnected, true);
    assert.deepEqual(
      Object.fromEntries(Object.entries(st.status).filter(([k]) => k.startsWith('packet-in-'))),
      {
        'packet-in-action-backlog': '0', 'packet-in-action-bypassed': '0', 'packet-in-action-queued': '0', 'packet-in-action-dropped': '0',
        'packet-in-miss-backlog': '5', 'packet-in-miss-bypassed': '25', 'packet-in-miss-queued': '5', 'packet-in-miss-dropped': '0',
      },
    );
    // Removing the limit (ovs-vsctl clear Controller … controller_rate_limit) removes the keys.
    await mgr.setControllers([{ target, probeIntervalMs: 0, maxBackoffMs: 1000 }]);
    assert.equal(mgr.controllerStatus().get(target)!.status['packet-in-miss-backlog'], undefined);
  } finally {
    sock.destroy();
    mgr.close();
  }
});

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}
