/**
 * The shared recirculation id pool (recirc.ts): OVS's allocation order (from 1, the same frozen
 * state reusing its id), lookup, the sweep that frees ids no megaflow uses, and two
 * worker_threads allocating from and resolving in one pool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  deserializeFrozenState, FrozenState, frozenMetadataFromFlow, frozenMetadataToFlow, RECIRC_EXPIRE_MS, RECIRC_GRACE_MS,
  recircIdsOfActions, RecircPool, serializeFrozenState,
} from '../../src/ofproto-dpif/recirc';
import { get, newFlow, S, set } from '../../src/ofproto-dpif/flow';

const st = (tableId: number, inPort = 1, extra: Partial<FrozenState> = {}): FrozenState => {
  const flow = newFlow();
  set(flow, S.in_port, inPort);
  return { bridge: 'br0', tableId, metadata: frozenMetadataFromFlow(flow), conntracked: true, ...extra };
};

test('ids start at 1, equal states share one, different states get the next', () => {
  const p = new RecircPool(undefined, 16);
  assert.equal(p.alloc(st(1), 0), 1);
  assert.equal(p.alloc(st(1), 0), 1);
  assert.equal(p.alloc(st(2), 0), 2);
  assert.equal(p.alloc(st(1, 2), 0), 3, 'in_port is frozen metadata');
  assert.equal(p.alloc(st(1, 1, { conntracked: false }), 0), 4);
  assert.deepEqual(p.ids(), [1, 2, 3, 4]);
  assert.deepEqual(p.find(2, 0), st(2));
  assert.equal(p.find(5, 0), undefined);
  assert.equal(p.find(0, 0), undefined);
});

test('frozen states round-trip with ofpacts, buffers and bigints; metadata restores every slot', () => {
  const s = st(3, 7, { actionSet: [{ type: 'write_metadata', metadata: 5n, mask: 0xffn }], stack: Buffer.from([1, 2]) });
  assert.deepEqual(deserializeFrozenState(serializeFrozenState(s)), s);
  const flow = newFlow();
  set(flow, S.reg3, 0xdead);
  set(flow, S.in_port, 9);
  frozenMetadataToFlow(s.metadata, flow);
  assert.equal(get(flow, S.reg3), 0, 'a register zero at the freeze is zero again');
  assert.equal(get(flow, S.in_port), 7);
});

test('sweep: ids megaflows mention stay; others expire after the grace period, then are freed and not reused for their state', () => {
  const p = new RecircPool(undefined, 16);
  const a = p.alloc(st(1), 1000);
  const b = p.alloc(st(2), 1000);
  const t1 = 1000 + RECIRC_GRACE_MS + 100;
  assert.deepEqual(p.sweep([b], t1, t1), []);
  assert.deepEqual(p.ids(), [a, b], 'expiring ids can still be found');
  assert.ok(p.find(a, t1), 'a late upcall can still resume');
  assert.equal(p.alloc(st(1), t1), 3, 'an expiring state is not handed out again: a new id');
  assert.deepEqual(p.sweep([b, 3], t1 + RECIRC_EXPIRE_MS + 1, t1 + RECIRC_EXPIRE_MS + 1), [a]);
  assert.equal(p.find(a), undefined);
  assert.equal(p.alloc(st(2), t1 + 1000), b, 'a used id keeps its state');
});

test('an id whose slot is in use is skipped; a full pool fails to allocate', () => {
  const p = new RecircPool(undefined, 4);
  for (let i = 1; i <= 3; i++) assert.equal(p.alloc(st(i), 0), i);
  assert.equal(p.alloc(st(4), 0), 4);
  assert.equal(p.alloc(st(5), 0), 0, 'every slot in use: allocation fails');
});

test('recircIdsOfActions finds nested recirculations', () => {
  assert.deepEqual(recircIdsOfActions([
    { type: 'ct', zone: 1 }, { type: 'recirc', id: 1 },
    { type: 'clone', actions: [{ type: 'recirc', id: 2 }] },
    { type: 'check_pkt_len', pktLen: 100, ifGreater: [{ type: 'recirc', id: 3 }], ifLessEqual: [{ type: 'output', port: 1 }] },
  ]), [1, 2, 3]);
});

test('two worker_threads share one pool: ids allocated in one resolve in the other and the main thread', async () => {
  const p = new RecircPool(undefined, 256);
  const mod = path.join(__dirname, '../../src/ofproto-dpif/recirc.js');
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { RecircPool } = require(${JSON.stringify(mod)});
    const p = new RecircPool(workerData.buffer);
    const ids = [];
    for (let t = 0; t < 50; t++) ids.push(p.alloc({ bridge: 'br0', tableId: t, metadata: {}, conntracked: true }));
    const seen = workerData.peek ? p.find(workerData.peek) : undefined;
    parentPort.postMessage({ ids, seen });`;
  const runWorker = (peek?: number) => new Promise<{ ids: number[]; seen?: FrozenState }>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { buffer: p.buffer, peek } });
    w.once('message', resolve);
    w.once('error', reject);
  });
  const [x, y] = await Promise.all([runWorker(), runWorker()]);
  // Both allocate the same 50 states concurrently: each state gets exactly one id, shared.
  assert.deepEqual(x.ids, y.ids);
  assert.deepEqual([...x.ids].sort((m, n) => m - n), Array.from({ length: 50 }, (_, i) => i + 1));
  const z = await runWorker(x.ids[7]);
  assert.equal(z.seen?.tableId, 7, 'another worker finds the state');
  assert.equal(p.find(x.ids[49])?.tableId, 49, 'the main thread finds it');
  assert.equal(p.alloc({ bridge: 'br0', tableId: 50, metadata: {}, conntracked: true }), 51);
});
