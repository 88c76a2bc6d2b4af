/**
 * The bridge, MAC table and memory commands over a fake daemon (no kernel): `fdb/*`,
 * `bridge/dump-flows`, `ofproto/list`, `dpif/dump-dps`, `memory/show`, with the texts OVS 3.1
 * prints for the same state (reference lines captured from Debian's ovs-vswitchd in the VM),
 * and the MAC table's learning statistics behind `fdb/stats-show`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { registerMemoryCommand } from '../../src/unixctl/commands/core';
import { OfprotoCommands } from '../../src/unixctl/commands/ofproto';
import type { DaemonParts } from '../../src/unixctl/commands/parts';
import { UnixctlRegistry } from '../../src/unixctl/registry';
import { MacTable, MAC_DEFAULT_MAX } from '../../src/ofproto-dpif/mac-learning';
import { BridgeConfig, OFPP_LOCAL, OfprotoConfig } from '../../src/ofproto-dpif/ofproto';
import { FlowTables } from '../../src/ofproto-dpif/flow-table';
import { Match } from '../../src/openflow/match';
import type { Udpif } from '../../src/upcall/udpif';

const A = '0a:00:00:00:01:01';
const B = '0a:00:00:00:01:02';

function bridge(name: string, id: number): BridgeConfig {
  return {
    name,
    id,
    ports: [
      { name, ofport: OFPP_LOCAL, odpPort: 1 },
      { name: 'tsvd1', ofport: 1, odpPort: 2 },
      { name: 'tsvd2', ofport: 2, odpPort: 3 },
    ],
    macAgingS: 300,
  };
}

/** A daemon with bridges `br0` (id 1) and `br1` (id 2), a clock we move by hand. */
function fixture() {
  let now = 1_000_000;
  const config: OfprotoConfig = { version: 1, bridges: [bridge('br1', 2), bridge('br0', 1)] };
  const macTable = new MacTable(undefined, 1024);
  const udpif = {
    getConfig: () => config,
    macTable,
    nHandlers: 4,
    nRevalidators: 1,
    revalidatorStats: () => ({ dumps: 3, flows: 5, avgFlows: 4, maxFlows: 5, ukeys: 5, durationMs: 2 }),
  } as unknown as Udpif;
  const reconnected: string[] = [];
  // Each bridge's tables hold what a standalone bridge without controllers starts with.
  const ofprotos = new Map(['br0', 'br1'].map((name) => {
    const tables = new FlowTables({ now: () => now });
    tables.flowMod({
      command: 'add', match: Match.catchall(), priority: 0, cookie: 0n, cookieMask: 0n, newCookie: 0n, tableId: 0,
      idleTimeout: 0, hardTimeout: 0, importance: 0, flags: 0, bufferId: 0xffffffff, outPort: 0xffff,
      outGroup: 0xffffffff, ofpacts: [{ type: 'output', port: 0xfffa, maxLen: 0 }], modifyCookie: false,
    });
    return [name, { tables, connmgr: { reconnect: () => reconnected.push(name) } }];
  }));
  const parts: DaemonParts = { udpif, ofprotos };
  const ofproto = new OfprotoCommands(() => parts, () => now, () => now);
  ofproto.noteConfig(config);
  const registry = new UnixctlRegistry();
  ofproto.register(registry);
  registerMemoryCommand(registry, () => parts, (b) => ofproto.rulesOf(b));
  const run = async (...words: string[]) => registry.execute(words[0], words.slice(1));
  return { run, macTable, ofprotos, parts, reconnected, advance: (ms: number) => (now += ms), now: () => now };
}

describe('fdb commands', () => {
  test('fdb/show lists entries least recently used first, with ports, VLANs and ages', async () => {
    const f = fixture();
    f.macTable.learn(1, 0, B, 2, f.now() - 7000, 300_000);
    f.macTable.learn(1, 0, A, 1, f.now() - 5000, 300_000);
    f.macTable.learn(1, 10, A, OFPP_LOCAL, f.now(), 300_000);
    f.macTable.learn(2, 0, A, 1, f.now(), 300_000);
    assert.deepEqual(await f.run('fdb/show', 'br0'), {
      ok: true,
      text: ' port  VLAN  MAC                Age\n'
        + `    2     0  ${B}    7\n`
        + `    1     0  ${A}    5\n`
        + `LOCAL    10  ${A}    0\n`,
    });
    assert.deepEqual(await f.run('fdb/show', 'nobr'), { ok: false, text: 'no such bridge\n' });
  });

  test('fdb/stats-show counts learned, moved, expired and evicted entries per bridge', async () => {
    const f = fixture();
    const aging = 300_000;
    f.macTable.learn(1, 0, A, 1, f.now(), aging);
    f.macTable.learn(1, 0, B, 2, f.now(), aging);
    f.macTable.learn(1, 0, B, 2, f.now() + 1, aging); // refresh: nothing new
    f.macTable.learn(1, 0, B, 1, f.now() + 2, aging); // moved
    f.macTable.learn(2, 0, A, 1, f.now(), aging); // other bridge
    assert.deepEqual(await f.run('fdb/stats-show', 'br0'), {
      ok: true,
      text: 'Statistics for bridge "br0":\n'
        + `  Current/maximum MAC entries in the table: 2/${MAC_DEFAULT_MAX}\n`
        + '  Current static MAC entries in the table : 0\n'
        + '  Total number of learned MAC entries     : 2\n'
        + '  Total number of expired MAC entries     : 0\n'
        + '  Total number of evicted MAC entries     : 0\n'
        + '  Total number of port moved MAC entries  : 1\n',
    });
    f.advance(aging + 1000);
    const after = (await f.run('fdb/stats-show', 'br0')).text;
    assert.match(after, /entries in the table: 0\//);
    assert.match(after, /expired MAC entries {5}: 2\n/, 'aged entries count as expired once the table is read');
    assert.deepEqual(await f.run('fdb/stats-clear', 'br0'), { ok: true, text: 'statistics successfully cleared\n' });
    assert.match((await f.run('fdb/stats-show', 'br0')).text, /learned MAC entries {5}: 0\n.*\n.*\n.*moved MAC entries {2}: 0\n/s);
    assert.match((await f.run('fdb/stats-show', 'br1')).text, /learned MAC entries {5}: 1\n/, 'br1 kept its counts');
  });

  test('fdb/flush empties one bridge, or all without an argument', async () => {
    const f = fixture();
    f.macTable.learn(1, 0, A, 1, f.now(), 300_000);
    f.macTable.learn(2, 0, A, 1, f.now(), 300_000);
    assert.deepEqual(await f.run('fdb/flush', 'br0'), { ok: true, text: 'table successfully flushed\n' });
    assert.equal(f.macTable.lru(1, f.now(), 300_000).length, 0);
    assert.equal(f.macTable.lru(2, f.now(), 300_000).length, 1);
    await f.run('fdb/flush');
    assert.equal(f.macTable.lru(2, f.now(), 300_000).length, 0);
    assert.deepEqual(await f.run('fdb/flush', 'nobr'), { ok: false, text: 'no such bridge\n' });
  });
});

describe('MAC table statistics', () => {
  test('an entry evicted for lack of room counts as evicted for its own bridge', () => {
    const t = new MacTable(undefined, 4);
    for (let i = 0; i < 4; i++) t.learn(7, 0, `0a:00:00:00:00:0${i}`, 1, 1000 + i, 300_000);
    t.learn(8, 0, '0a:00:00:00:00:09', 1, 2000, 300_000);
    assert.deepEqual(t.statistics(7), { learned: 4, expired: 0, evicted: 1, moved: 0 });
    assert.deepEqual(t.statistics(8), { learned: 1, expired: 0, evicted: 0, moved: 0 });
    assert.deepEqual(t.statistics(), { learned: 5, expired: 0, evicted: 1, moved: 0 });
  });

  test('re-learning an aged entry counts it as expired and learned again', () => {
    const t = new MacTable(undefined, 16);
    t.learn(1, 0, A, 1, 0, 1000);
    t.learn(1, 0, A, 1, 5000, 1000);
    assert.deepEqual(t.statistics(1), { learned: 2, expired: 1, evicted: 0, moved: 0 });
  });

  test('workers attached to the buffer share the counts', () => {
    const t = new MacTable(undefined, 16);
    new MacTable(t.buffer).learn(3, 0, A, 1, 0, 1000);
    assert.equal(t.statistics(3).learned, 1);
  });
});

describe('bridge and datapath listings', () => {
  test('bridge/dump-flows shows table 0 with the bridge\'s counts, then the hidden table-254 rules', async () => {
    const f = fixture();
    const tables = f.ofprotos.get('br0')!.tables;
    tables.creditStats(tables.rules()[0].id, 10n, 756n, f.now());
    f.advance(12_500);
    const rules = [
      'duration=12s, n_packets=10, n_bytes=756, priority=0,actions=NORMAL',
      'table_id=254, duration=12s, n_packets=0, n_bytes=0, priority=2,recirc_id=0,actions=drop',
      'table_id=254, duration=12s, n_packets=0, n_bytes=0, priority=0,reg0=0x1,actions=controller(reason=)',
      'table_id=254, duration=12s, n_packets=0, n_bytes=0, priority=0,reg0=0x2,actions=drop',
      'table_id=254, duration=12s, n_packets=0, n_bytes=0, priority=0,reg0=0x3,actions=drop',
    ];
    assert.deepEqual(await f.run('bridge/dump-flows', 'br0'), { ok: true, text: `${rules.join('\n')}\n` });
    const offload = (await f.run('bridge/dump-flows', '--offload-stats', 'br0')).text.split('\n')[0];
    assert.equal(offload, 'duration=12s, n_packets=10, n_bytes=756, n_offload_packets=0, n_offload_bytes=0, priority=0,actions=NORMAL');
    assert.deepEqual(await f.run('bridge/dump-flows', 'nobr'), { ok: false, text: 'Unknown bridge\n' });
  });

  test('bridge/reconnect drops the connections of one bridge, or of every bridge', async () => {
    const f = fixture();
    assert.deepEqual(await f.run('bridge/reconnect', 'br1'), { ok: true, text: '' });
    assert.deepEqual(f.reconnected, ['br1']);
    assert.deepEqual(await f.run('bridge/reconnect'), { ok: true, text: '' });
    assert.deepEqual(f.reconnected.slice(1).sort(), ['br0', 'br1']);
    assert.deepEqual(await f.run('bridge/reconnect', 'nobr'), { ok: false, text: 'Unknown bridge\n' });
  });

  test('ofproto/list and dpif/dump-dps name every bridge, sorted', async () => {
    const f = fixture();
    assert.deepEqual(await f.run('ofproto/list'), { ok: true, text: 'br0\nbr1\n' });
    assert.deepEqual(await f.run('dpif/dump-dps'), { ok: true, text: 'system@br0\nsystem@br1\n' });
  });

  test('without a datapath, the datapath views are empty', async () => {
    const f = fixture();
    assert.deepEqual(await f.run('dpif/show'), { ok: true, text: '' });
    assert.deepEqual(await f.run('dpif/dump-flows', 'br0'), { ok: true, text: '' });
    assert.deepEqual(await f.run('dpif/dump-flows', '-m', 'nobr'), { ok: false, text: 'no such bridge\n' });
  });

  test('memory/show: sorted name:count pairs, zero counts left out', async () => {
    const f = fixture();
    assert.deepEqual(await f.run('memory/show'), { ok: true, text: 'handlers:4 ports:6 revalidators:1 rules:10 udpif keys:5\n' });
    f.parts.udpif = undefined;
    assert.deepEqual(await f.run('memory/show'), { ok: true, text: '' });
  });
});
