import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { MacTable, MacLearning, macIsMulticast } from '../../src/ofproto-dpif/mac-learning';

const A = '0a:00:00:00:00:01';
const B = '0a:00:00:00:00:02';

test('an entry is learned, refreshed without a change, and moved with one', () => {
  const t = new MacTable(undefined, 64);
  const g0 = t.generation;
  assert.equal(t.learn(1, 0, A, 3, 1000, 300_000), true);
  assert.equal(t.generation, g0 + 1);
  assert.equal(t.learn(1, 0, A, 3, 2000, 300_000), false, 'refresh');
  assert.equal(t.generation, g0 + 1, 'a refresh does not bump the generation');
  assert.equal(t.learn(1, 0, A, 4, 3000, 300_000), true, 'move');
  assert.equal(t.lookup(1, 0, A, 3000, 300_000), 4);
});

test('entries are per bridge and per VLAN, and MAC text survives the round trip', () => {
  const t = new MacTable(undefined, 64);
  t.learn(1, 10, 'fe:dc:ba:98:76:54', 2, 0, 1000);
  assert.equal(t.lookup(1, 10, 'fe:dc:ba:98:76:54', 0, 1000), 2);
  assert.equal(t.lookup(1, 11, 'fe:dc:ba:98:76:54', 0, 1000), undefined);
  assert.equal(t.lookup(2, 10, 'fe:dc:ba:98:76:54', 0, 1000), undefined);
  assert.deepEqual(t.entries(1, 0, 1000), [{ vlan: 10, mac: 'fe:dc:ba:98:76:54', ofport: 2, ageS: 0 }]);
});

test('entries older than the aging time are absent and their slots are reused', () => {
  const t = new MacTable(undefined, 64);
  const ml = new MacLearning(t, 1, 1000);
  ml.learn(0, A, 1, 0);
  assert.equal(ml.lookup(0, A, 1000), 1);
  assert.equal(ml.lookup(0, A, 1001), undefined);
  assert.equal(ml.learn(0, A, 1, 5000), true, 're-learning an aged entry is a change');
});

test('flushing a port or a bridge forgets exactly those entries', () => {
  const t = new MacTable(undefined, 64);
  const br1 = new MacLearning(t, 1);
  const br2 = new MacLearning(t, 2);
  br1.learn(0, A, 1, 0);
  br1.learn(0, B, 2, 0);
  br2.learn(0, A, 1, 0);
  br1.flushPort(1);
  assert.equal(br1.lookup(0, A, 0), undefined);
  assert.equal(br1.lookup(0, B, 0), 2);
  assert.equal(br2.lookup(0, A, 0), 1);
  br1.flush();
  assert.equal(br1.size(0), 0);
  assert.equal(br2.size(0), 1);
});

test('a full table evicts the least recently used entry', () => {
  const t = new MacTable(undefined, 8);
  for (let i = 0; i < 8; i++) t.learn(1, 0, `0a:00:00:00:00:${i.toString(16).padStart(2, '0')}`, 1, i, 1e9);
  t.learn(1, 0, '0b:00:00:00:00:00', 2, 100, 1e9);
  assert.equal(t.lookup(1, 0, '0b:00:00:00:00:00', 100, 1e9), 2);
  assert.equal(t.entries(1, 100, 1e9).length, 8);
  assert.equal(t.lookup(1, 0, '0a:00:00:00:00:00', 100, 1e9), undefined, 'the oldest went');
});

test('what a worker thread learns is visible to the main thread at once', async () => {
  const t = new MacTable(undefined, 64);
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { MacTable } = require(workerData.mod);
    new MacTable(workerData.buf).learn(1, 0, '${A}', 7, 0, 1000);
    parentPort.postMessage('done');`;
  const w = new Worker(code, { eval: true, workerData: { buf: t.buffer, mod: require.resolve('../../src/ofproto-dpif/mac-learning') } });
  await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await w.terminate();
  assert.equal(t.lookup(1, 0, A, 0, 1000), 7);
});

test('multicast addresses are recognised by the I/G bit', () => {
  assert.equal(macIsMulticast('01:00:5e:00:00:01'), true);
  assert.equal(macIsMulticast('ff:ff:ff:ff:ff:ff'), true);
  assert.equal(macIsMulticast('0a:00:00:00:00:01'), false);
});
