import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { JsonRpcClosedError } from '../../src/bridge/jsonrpc';
import { OvsdbClient, OvsdbError, OvsdbRow } from '../../src/bridge/ovsdb-client';
import { decodeDatum, defaultValue, encodeDatum, NamedUuid, OvsdbDatumError, UUID_ZERO } from '../../src/bridge/ovsdb-datum';
import { OvsdbColumnType, parseColumnType, parseDatabaseSchema } from '../../src/bridge/ovsdb-schema';
import { OvsdbServer, VSWITCH_SCHEMA } from './lib/ovsdb-server';

const execFileP = promisify(execFile);

const schema = parseDatabaseSchema(JSON.parse(fs.readFileSync(VSWITCH_SCHEMA, 'utf8')));
function typeOf(table: string, column: string): OvsdbColumnType {
  const c = schema.tables.get(table)?.columns.get(column);
  assert.ok(c, `${table}.${column} in schema`);
  return c.type;
}

const U1 = '6e4ed4b3-1f0b-4d2c-9e0a-3d1f6a7b8c9d';
const U2 = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';

describe('datum conversion with the vswitch schema', () => {
  it('turns a required scalar into its atom and an optional scalar into the atom or undefined', () => {
    assert.equal(decodeDatum(typeOf('Open_vSwitch', 'cur_cfg'), 7), 7);
    assert.equal(decodeDatum(typeOf('Interface', 'ofport'), ['set', []]), undefined);
    assert.equal(decodeDatum(typeOf('Interface', 'ofport'), 3), 3);
    assert.equal(decodeDatum(typeOf('Interface', 'ofport'), ['set', [3]]), 3);
    assert.equal(decodeDatum(typeOf('Bridge', 'datapath_id'), '0000aabbccddeeff'), '0000aabbccddeeff');
    assert.equal(decodeDatum(typeOf('Interface', 'ingress_policing_rate'), 0), 0);
  });

  it('turns sets into arrays (uuids as strings) and maps into Maps keyed by typed atoms', () => {
    assert.deepEqual(decodeDatum(typeOf('Bridge', 'ports'), ['uuid', U1]), [U1]);
    assert.deepEqual(decodeDatum(typeOf('Bridge', 'ports'), ['set', [['uuid', U1], ['uuid', U2]]]), [U1, U2]);
    assert.deepEqual(decodeDatum(typeOf('Port', 'trunks'), ['set', []]), []);
    assert.deepEqual(decodeDatum(typeOf('Interface', 'options'), ['map', [['key', '5'], ['remote_ip', '1.2.3.4']]]), new Map([['key', '5'], ['remote_ip', '1.2.3.4']]));
    assert.deepEqual(decodeDatum(typeOf('Bridge', 'flow_tables'), ['map', [[0, ['uuid', U1]]]]), new Map([[0, U1]]));
    assert.deepEqual(decodeDatum(typeOf('Interface', 'statistics'), ['map', []]), new Map());
  });

  it('rejects datums that do not fit the column type', () => {
    const bad: [OvsdbColumnType, unknown][] = [
      [typeOf('Open_vSwitch', 'cur_cfg'), 'x'],
      [typeOf('Open_vSwitch', 'cur_cfg'), 1.5],
      [typeOf('Open_vSwitch', 'cur_cfg'), ['set', []]],
      [typeOf('Interface', 'ofport'), ['set', [1, 2]]],
      [typeOf('Bridge', 'ports'), ['uuid', 'not-a-uuid']],
      [typeOf('Bridge', 'ports'), ['named-uuid', 'row1']],
      [typeOf('Interface', 'options'), ['set', []]],
      [typeOf('Interface', 'options'), ['map', [['k']]]],
      [typeOf('Interface', 'options'), ['map', [['k', 1]]]],
    ];
    for (const [type, json] of bad) assert.throws(() => decodeDatum(type, json), OvsdbDatumError, JSON.stringify(json));
  });

  it('encodes values back to the wire form, round-tripping what it decodes', () => {
    const cases: [string, string, unknown][] = [
      ['Open_vSwitch', 'cur_cfg', 7],
      ['Interface', 'ofport', ['set', []]],
      ['Interface', 'ofport', 5],
      ['Bridge', 'datapath_id', '0000aabbccddeeff'],
      ['Bridge', 'ports', ['set', [['uuid', U1], ['uuid', U2]]]],
      ['Port', 'trunks', ['set', [1, 2, 4094]]],
      ['Interface', 'options', ['map', [['key', '5']]]],
      ['Bridge', 'flow_tables', ['map', [[3, ['uuid', U2]]]]],
      ['Interface', 'link_speed', ['set', []]],
    ];
    for (const [table, column, json] of cases) {
      const type = typeOf(table, column);
      assert.deepEqual(encodeDatum(type, decodeDatum(type, json)), json, `${table}.${column}`);
    }
  });

  it('accepts named-uuids, plain objects for maps and a single atom for a set when writing', () => {
    assert.deepEqual(encodeDatum(typeOf('Bridge', 'ports'), new NamedUuid('newport')), ['set', [['named-uuid', 'newport']]]);
    assert.deepEqual(encodeDatum(typeOf('Interface', 'options'), { key: '5' }), ['map', [['key', '5']]]);
    assert.deepEqual(encodeDatum(typeOf('Bridge', 'flow_tables'), { '3': U1 }), ['map', [[3, ['uuid', U1]]]]);
    assert.deepEqual(encodeDatum(typeOf('Interface', 'ofport'), undefined), ['set', []]);
    assert.throws(() => new NamedUuid('1bad'), /uuid-name/);
  });

  it('refuses values of the wrong type or count', () => {
    const two = parseColumnType({ key: 'integer', min: 0, max: 2 }, 't');
    const bad: [OvsdbColumnType, unknown][] = [
      [typeOf('Open_vSwitch', 'cur_cfg'), undefined],
      [typeOf('Open_vSwitch', 'cur_cfg'), '3'],
      [typeOf('Open_vSwitch', 'cur_cfg'), 2 ** 60],
      [typeOf('Interface', 'ofport'), [1]],
      [typeOf('Bridge', 'ports'), ['nope']],
      [typeOf('Bridge', 'flow_tables'), { x: U1 }],
      [typeOf('Interface', 'options'), 'k=v'],
      [typeOf('Interface', 'options'), { k: 1 }],
      [two, [1, 2, 3]],
    ];
    for (const [type, value] of bad) {
      assert.throws(() => encodeDatum(type, value as never), OvsdbDatumError, JSON.stringify(value));
    }
  });

  it('gives missing columns the OVSDB default datum', () => {
    assert.equal(defaultValue(typeOf('Open_vSwitch', 'cur_cfg')), 0);
    assert.equal(defaultValue(typeOf('Interface', 'name')), '');
    assert.equal(defaultValue(typeOf('Interface', 'ofport')), undefined);
    assert.deepEqual(defaultValue(typeOf('Bridge', 'ports')), []);
    assert.deepEqual(defaultValue(typeOf('Interface', 'options')), new Map());
    assert.equal(defaultValue(parseColumnType('uuid', 't')), UUID_ZERO);
  });
});

const MONITORED = {
  Open_vSwitch: ['cur_cfg', 'next_cfg', 'bridges', 'other_config'],
  Bridge: ['name', 'ports', 'datapath_id', 'fail_mode', 'other_config'],
  Port: ['name', 'interfaces', 'tag', 'trunks'],
  Interface: ['name', 'type', 'ofport', 'ifindex', 'options', 'mtu_request', 'no_such_column'],
  No_Such_Table: ['x'],
};

/** Resolves once `pred` holds for the client's replica, checking now and after every update. */
function waitFor(client: OvsdbClient, pred: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('update', check);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    function check(): void {
      if (!pred()) return;
      clearTimeout(timer);
      client.off('update', check);
      resolve();
    }
    client.on('update', check);
  });
}

function rows(client: OvsdbClient, table: string): OvsdbRow[] {
  return [...(client.tables.get(table)?.values() ?? [])];
}

function byName(client: OvsdbClient, table: string, name: string): OvsdbRow | undefined {
  return rows(client, table).find((r) => r.name === name);
}

/** The server's view: `_uuid`s of every row of `table`, per ovs-vsctl. */
async function serverUuids(server: OvsdbServer, table: string): Promise<string[]> {
  const out = await server.vsctl('--bare', '--columns=_uuid', 'list', table);
  return out.split('\n').filter((l) => l !== '').sort();
}

describe('OvsdbClient against a real ovsdb-server', () => {
  let server: OvsdbServer;
  let client: OvsdbClient;
  const events: string[] = [];
  const warnings: string[] = [];

  before(async () => {
    server = await OvsdbServer.create();
    client = new OvsdbClient(server.remote, {
      tables: MONITORED,
      minBackoffMs: 20,
      maxBackoffMs: 200,
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    });
    client.on('connected', () => events.push('connected'));
    client.on('disconnected', () => events.push('disconnected'));
    client.on('update', (tables: Set<string>) => events.push(`update ${[...tables].sort().join(',')}`));
  });

  after(async () => {
    client.close();
    await server.dispose();
  });

  it('starts with an initial dump holding the Open_vSwitch root row, typed per the schema', async () => {
    await client.start();
    assert.deepEqual(events, ['connected', 'update Bridge,Interface,Open_vSwitch,Port']);
    assert.equal(client.connected, true);
    const root = rows(client, 'Open_vSwitch');
    assert.equal(root.length, 1);
    assert.equal(root[0]._uuid, await server.vsctl('get', 'Open_vSwitch', '.', '_uuid'));
    assert.equal(root[0].cur_cfg, 0);
    assert.deepEqual(root[0].bridges, []);
    assert.deepEqual(root[0].other_config, new Map());
    assert.equal(client.tables.get('Bridge')?.size, 0);
    assert.equal(client.tables.has('No_Such_Table'), false);
    assert.ok(warnings.some((w) => /no table No_Such_Table/.test(w)));
    assert.ok(warnings.some((w) => /no column no_such_column/.test(w)));
  });

  it('follows bridges, ports and interfaces added by ovs-vsctl, with sets and maps converted', async () => {
    await server.vsctl(
      'add-br', 'br0', '--', 'set', 'Bridge', 'br0', 'fail_mode=secure', 'other_config:hwaddr=02:00:00:00:00:01',
      '--', 'add-port', 'br0', 'p1', '--', 'set', 'Interface', 'p1', 'type=internal', 'options:key=5', 'mtu_request=1400',
      '--', 'set', 'Port', 'p1', 'tag=10', 'trunks=1,2',
    );
    await waitFor(client, () => byName(client, 'Interface', 'p1') !== undefined, 'Interface p1');
    const br = byName(client, 'Bridge', 'br0');
    const pBr = byName(client, 'Port', 'br0');
    const p1 = byName(client, 'Port', 'p1');
    const i1 = byName(client, 'Interface', 'p1');
    assert.ok(br && pBr && p1 && i1);
    assert.deepEqual(rows(client, 'Open_vSwitch')[0].bridges, [br._uuid]);
    assert.deepEqual([...(br.ports as string[])].sort(), [pBr._uuid, p1._uuid].sort());
    assert.equal(br.fail_mode, 'secure');
    assert.equal(br.datapath_id, undefined);
    assert.deepEqual(br.other_config, new Map([['hwaddr', '02:00:00:00:00:01']]));
    assert.deepEqual(p1.interfaces, [i1._uuid]);
    assert.equal(p1.tag, 10);
    assert.deepEqual(p1.trunks, [1, 2]);
    assert.equal(pBr.tag, undefined);
    assert.equal(i1.type, 'internal');
    assert.deepEqual(i1.options, new Map([['key', '5']]));
    assert.equal(i1.mtu_request, 1400);
    assert.equal(i1.ofport, undefined);
    assert.equal(i1.no_such_column, undefined);
    assert.equal(byName(client, 'Interface', 'br0')?.type, 'internal');
  });

  it('writes Interface.ofport/ifindex, Bridge.datapath_id and Open_vSwitch.cur_cfg so ovs-vsctl sees them', async () => {
    const root = rows(client, 'Open_vSwitch')[0];
    const i1 = byName(client, 'Interface', 'p1') as OvsdbRow;
    const br = byName(client, 'Bridge', 'br0') as OvsdbRow;
    const results = await client.transact([
      client.update('Interface', i1._uuid, { ofport: 5, ifindex: 42, options: { key: '6', remote_ip: '10.0.0.1' } }),
      client.update('Bridge', br._uuid, { datapath_id: '0000020000000001' }),
      client.update('Open_vSwitch', root._uuid, { cur_cfg: 3 }),
    ]);
    assert.deepEqual(results, [{ count: 1 }, { count: 1 }, { count: 1 }]);
    assert.equal(await server.vsctl('get', 'Interface', 'p1', 'ofport'), '5');
    assert.equal(await server.vsctl('get', 'Interface', 'p1', 'ifindex'), '42');
    assert.equal(await server.vsctl('get', 'Interface', 'p1', 'options'), '{key="6", remote_ip="10.0.0.1"}');
    assert.equal(await server.vsctl('get', 'Bridge', 'br0', 'datapath_id'), '"0000020000000001"');
    assert.equal(await server.vsctl('get', 'Open_vSwitch', '.', 'cur_cfg'), '3');
    await waitFor(client, () => rows(client, 'Open_vSwitch')[0].cur_cfg === 3 && byName(client, 'Interface', 'p1')?.ofport === 5, 'own write in replica');
    assert.equal(byName(client, 'Bridge', 'br0')?.datapath_id, '0000020000000001');

    await client.transact([client.update('Interface', i1._uuid, { ofport: undefined })]);
    assert.equal(await server.vsctl('get', 'Interface', 'p1', 'ofport'), '[]');
  });

  it('rejects a failing transaction with the ovsdb error and details', async () => {
    const i1 = byName(client, 'Interface', 'p1') as OvsdbRow;
    await assert.rejects(
      client.transact([{ op: 'comment', comment: 'x' }, { op: 'update', table: 'Interface', where: [], row: { nosuch: 1 } }]),
      (err: unknown) => err instanceof OvsdbError && err.error === 'unknown column' && err.opIndex === 1 && /nosuch/.test(String(err.details)),
    );
    // An op that succeeds but breaks referential integrity fails at commit: no op index.
    await assert.rejects(
      client.transact([{ op: 'insert', table: 'Port', row: { name: 'orphan' } }]),
      (err: unknown) => err instanceof OvsdbError && err.error === 'referential integrity violation' && err.opIndex === undefined,
    );
    assert.throws(() => client.update('Interface', i1._uuid, { nosuch: 1 }), /no column Interface.nosuch/);
    assert.throws(() => client.update('Interface', i1._uuid, { ofport: 'five' }), OvsdbDatumError);
    assert.throws(() => client.update('Interface', 'not-a-uuid', { ofport: 1 }), OvsdbDatumError);
    assert.throws(() => client.update('Interface', i1._uuid, { _uuid: U1 }), /cannot be written/);
    assert.equal(await server.vsctl('--columns=name', 'find', 'Port', 'name=orphan'), '');
  });

  it('survives the server being killed and restarted: disconnects, reconnects, replaces the replica, and follows new updates', async () => {
    const p1Port = byName(client, 'Port', 'p1') as OvsdbRow;
    events.length = 0;
    const disconnected = new Promise((r) => client.once('disconnected', r));
    // A transaction the server holds open (a "wait" that cannot be satisfied for 10 s) is in
    // flight when the server dies: it must reject, not hang.
    const inFlight = assert.rejects(
      client.transact([{ op: 'wait', timeout: 10000, table: 'Bridge', where: [], columns: ['name'], until: '==', rows: [{ name: 'never' }] }]),
      JsonRpcClosedError,
    );
    await new Promise((r) => setTimeout(r, 50));
    await server.kill('SIGKILL');
    await inFlight;
    await disconnected;
    assert.equal(client.connected, false);
    await assert.rejects(client.transact([]), JsonRpcClosedError);

    // While the server is down, change the database behind the client's back: detach port
    // p1 (garbage collection then deletes Port p1 and Interface p1) and change fail_mode.
    await execFileP('ovsdb-tool', [
      'transact', server.db,
      JSON.stringify(['Open_vSwitch',
        { op: 'mutate', table: 'Bridge', where: [['name', '==', 'br0']], mutations: [['ports', 'delete', ['set', [['uuid', p1Port._uuid]]]]] },
        { op: 'update', table: 'Bridge', where: [['name', '==', 'br0']], row: { fail_mode: 'standalone' } }]),
    ]);
    // Let a few reconnect attempts fail first.
    await new Promise((r) => setTimeout(r, 150));
    const reconnected = new Promise<void>((r) => client.once('connected', () => r()));
    await server.start();
    await reconnected;
    await waitFor(client, () => client.connected && events.at(-1)?.startsWith('update') === true, 'update after reconnect');
    assert.deepEqual(events, ['disconnected', 'connected', 'update Bridge,Interface,Open_vSwitch,Port']);
    assert.ok(warnings.some((w) => /connection attempt failed/.test(w)), 'reconnect attempts while the server was down');

    for (const table of ['Open_vSwitch', 'Bridge', 'Port', 'Interface']) {
      assert.deepEqual(rows(client, table).map((r) => r._uuid).sort(), await serverUuids(server, table), table);
    }
    assert.equal(byName(client, 'Port', 'p1'), undefined);
    assert.equal(byName(client, 'Interface', 'p1'), undefined);
    const br = byName(client, 'Bridge', 'br0') as OvsdbRow;
    assert.equal(br.fail_mode, 'standalone');
    // datapath_id is ephemeral: the restarted server forgot it, and so does the replica.
    assert.equal(br.datapath_id, undefined);

    await server.vsctl('add-br', 'br1');
    await waitFor(client, () => byName(client, 'Bridge', 'br1') !== undefined, 'br1 after reconnect');
    const root = rows(client, 'Open_vSwitch')[0];
    await client.transact([client.update('Open_vSwitch', root._uuid, { cur_cfg: 9 })]);
    assert.equal(await server.vsctl('get', 'Open_vSwitch', '.', 'cur_cfg'), '9');
  });
});

describe('OvsdbClient robustness', () => {
  it('logs and retries, without crashing, when the peer sends garbage', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-vswitchd-garbage-'));
    const sock = path.join(dir, 'db.sock');
    let connections = 0;
    const peer = net.createServer((s) => {
      connections++;
      s.end('{"id":0,"result":{"name":"Open_vSwitch","tables":{}},"error":null} not json');
    });
    await new Promise<void>((r) => peer.listen(sock, r));
    const warnings: string[] = [];
    const client = new OvsdbClient(`unix:${sock}`, { tables: { Bridge: [] }, minBackoffMs: 10, maxBackoffMs: 20, logger: { info: () => undefined, warn: (m) => warnings.push(m) } });
    const first = client.start();
    while (connections < 3) await new Promise((r) => setTimeout(r, 10));
    client.close();
    await assert.rejects(first, /closed before the first update/);
    peer.close();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.ok(warnings.some((w) => /expected "\{"/.test(w)), warnings.join('\n'));
    assert.equal(client.connected, false);
  });

  it('refuses bad remote syntax and transactions before connecting', async () => {
    assert.throws(() => new OvsdbClient('tcp:::1:6640', { tables: {} }), /brackets/);
    const client = new OvsdbClient('unix:/nonexistent/db.sock', { tables: {} });
    await assert.rejects(client.transact([]), JsonRpcClosedError);
    assert.throws(() => client.update('Bridge', U1, {}), /no schema yet/);
    void client.start();
    assert.throws(() => client.start(), /called twice/);
    client.close();
  });

  it('lets the process exit after close()', async () => {
    const server = await OvsdbServer.create();
    try {
      const script = `
        const { OvsdbClient } = require(${JSON.stringify(path.join(__dirname, '../../src/bridge/ovsdb-client.js'))});
        const c = new OvsdbClient(${JSON.stringify(server.remote)}, { tables: { Open_vSwitch: ['cur_cfg'] } });
        c.start().then(() => { console.log('rows', c.tables.get('Open_vSwitch').size); c.close(); });`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error('child did not exit within 3 s of close()'));
        }, 3000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      assert.equal(code, 0);
      assert.equal(out.trim(), 'rows 1');
    } finally {
      await server.dispose();
    }
  });
});
