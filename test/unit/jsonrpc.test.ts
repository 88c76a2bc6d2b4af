import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  JsonRpcClosedError,
  JsonRpcConnection,
  JsonRpcError,
  JsonStreamSplitter,
  openJsonRpc,
  OVSDB_PORT,
  parseRemote,
} from '../../src/bridge/jsonrpc';

/** Feeds `chunk` and returns the messages it completed. */
function feed(s: JsonStreamSplitter, chunk: Buffer): unknown[] {
  const out: unknown[] = [];
  s.push(chunk, (m) => out.push(m));
  return out;
}

describe('JSON stream splitter', () => {
  const messages = [
    { id: 1, method: 'echo', params: [] },
    { id: null, method: 'update', params: ['m', { T: { u: { new: { s: '}{ ] [ "quoted" \\ back' } } } }] },
    { result: [{ rows: [{ name: 'br-ä€😀' }] }], error: null, id: 7 },
  ];
  const wire = Buffer.from(messages.map((m) => JSON.stringify(m)).join(''));

  it('returns every message when several arrive in one chunk', () => {
    assert.deepEqual(feed(new JsonStreamSplitter(), wire), messages);
  });

  it('reassembles messages split at every possible byte boundary', () => {
    for (let cut = 1; cut < wire.length; cut++) {
      const s = new JsonStreamSplitter();
      const got = [...feed(s, wire.subarray(0, cut)), ...feed(s, wire.subarray(cut))];
      assert.deepEqual(got, messages, `split at byte ${cut}`);
      assert.equal(s.bufferedBytes, 0);
    }
  });

  it('reassembles a stream fed one byte at a time, including multi-byte UTF-8', () => {
    const s = new JsonStreamSplitter();
    const got: unknown[] = [];
    for (let i = 0; i < wire.length; i++) got.push(...feed(s, wire.subarray(i, i + 1)));
    assert.deepEqual(got, messages);
  });

  it('does not end a message at braces inside strings or after escaped quotes', () => {
    const text = '{"a":"}","b":"\\"}","c":"\\\\","d":{"e":["{"]}}';
    const s = new JsonStreamSplitter();
    assert.deepEqual(feed(s, Buffer.from(text.slice(0, 12))), []);
    assert.deepEqual(feed(s, Buffer.from(text.slice(12))), [{ a: '}', b: '"}', c: '\\', d: { e: ['{'] } }]);
  });

  it('skips whitespace between messages and holds back an incomplete tail', () => {
    const s = new JsonStreamSplitter();
    assert.deepEqual(feed(s, Buffer.from(' \n{"a":1}\r\n\t{"b":')), [{ a: 1 }]);
    assert.equal(s.bufferedBytes, 5);
    assert.deepEqual(feed(s, Buffer.from('2} ')), [{ b: 2 }]);
  });

  it('rejects a stream whose message does not start with "{", after delivering the messages before it', () => {
    const got: unknown[] = [];
    assert.throws(() => new JsonStreamSplitter().push(Buffer.from('{"a":1} x{"b":2}'), (m) => got.push(m)), SyntaxError);
    assert.deepEqual(got, [{ a: 1 }]);
    assert.throws(() => feed(new JsonStreamSplitter(), Buffer.from('[1]')), SyntaxError);
  });

  it('rejects a balanced but invalid JSON message', () => {
    assert.throws(() => feed(new JsonStreamSplitter(), Buffer.from('{"a":}')), /bad message/);
  });
});

describe('remote syntax', () => {
  it('accepts unix:PATH', () => {
    assert.deepEqual(parseRemote('unix:/var/run/openvswitch/db.sock'), { kind: 'unix', path: '/var/run/openvswitch/db.sock' });
  });

  it('accepts tcp:IP:PORT, bracketed IPv6, and defaults the port to 6640', () => {
    assert.deepEqual(parseRemote('tcp:127.0.0.1:6641'), { kind: 'tcp', host: '127.0.0.1', port: 6641 });
    assert.deepEqual(parseRemote('tcp:[::1]:6642'), { kind: 'tcp', host: '::1', port: 6642 });
    assert.deepEqual(parseRemote('tcp:[fe80::1]'), { kind: 'tcp', host: 'fe80::1', port: OVSDB_PORT });
    assert.deepEqual(parseRemote('tcp:10.0.0.1'), { kind: 'tcp', host: '10.0.0.1', port: 6640 });
  });

  it('rejects malformed, passive and ssl remotes with a message naming the remote', () => {
    const bad: [string, RegExp][] = [
      ['unix:', /socket path/],
      ['tcp:::1:6640', /brackets/],
      ['tcp:[::1', /missing "\]"/],
      ['tcp:[::1]x', /junk/],
      ['tcp:[nope]:1', /not an IPv6/],
      ['tcp::6640', /needs a host/],
      ['tcp:1.2.3.4:0', /out of range/],
      ['tcp:1.2.3.4:65536', /out of range/],
      ['tcp:1.2.3.4:http', /bad port/],
      ['punix:/tmp/x', /passive/],
      ['ptcp:6640', /passive/],
      ['ssl:1.2.3.4:6640', /ssl/],
      ['/var/run/db.sock', /unknown remote syntax/],
    ];
    for (const [remote, re] of bad) {
      assert.throws(() => parseRemote(remote), (err: Error) => re.test(err.message) && err.message.startsWith(remote), remote);
    }
  });
});

/** A raw peer on a Unix socket whose bytes the test scripts; hands each accepted socket to `onConn`. */
function rawPeer(onConn: (s: net.Socket) => void): Promise<{ remote: string; server: net.Server }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-vswitchd-jsonrpc-'));
  const sock = path.join(dir, 'peer.sock');
  const server = net.createServer(onConn);
  return new Promise((resolve) => server.listen(sock, () => resolve({ remote: `unix:${sock}`, server })));
}

function nextEvent<T extends unknown[]>(emitter: JsonRpcConnection, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T)));
}

describe('JSON-RPC connection', () => {
  let peerSocket: Promise<net.Socket>;
  let remote: string;
  let server: net.Server;
  let received: unknown[];
  let splitter: JsonStreamSplitter;
  let onMessage: (m: Record<string, unknown>) => void;

  before(async () => {
    let accept: (s: net.Socket) => void = () => undefined;
    peerSocket = new Promise((r) => (accept = r));
    ({ remote, server } = await rawPeer((s) => {
      splitter = new JsonStreamSplitter();
      received = [];
      s.on('data', (b: Buffer) => {
        splitter.push(b, (m) => {
          received.push(m);
          onMessage(m as Record<string, unknown>);
        });
      });
      accept(s);
    }));
  });

  after(() => {
    server.close();
    fs.rmSync(path.dirname(remote.slice('unix:'.length)), { recursive: true, force: true });
  });

  it('matches replies to requests by id, whatever order they come back in, and turns error replies into JsonRpcError', async () => {
    const conn = openJsonRpc(remote);
    const ids: unknown[] = [];
    onMessage = (m) => ids.push(m.id);
    const a = conn.request('first', [1]);
    const b = conn.request('second', [2]);
    const c = conn.request('third', [3]);
    const s = await peerSocket;
    while (ids.length < 3) await new Promise((r) => setTimeout(r, 5));
    // Reply out of order, two replies in one write, one split over two writes.
    s.write(JSON.stringify({ id: ids[1], result: 'two', error: null }) + JSON.stringify({ id: ids[2], result: null, error: { error: 'bad', details: 'why' } }));
    const last = JSON.stringify({ id: ids[0], result: { x: [1] }, error: null });
    s.write(last.slice(0, 9));
    setTimeout(() => s.write(last.slice(9)), 10);
    assert.equal(await b, 'two');
    await assert.rejects(c, (err: unknown) => err instanceof JsonRpcError && err.message === 'third: bad: why' && (err.error as { details: string }).details === 'why');
    assert.deepEqual(await a, { x: [1] });
    assert.deepEqual(received[0], { method: 'first', params: [1], id: ids[0] });
    conn.close();
  });

  it('answers echo requests with their params and delivers notifications', async () => {
    peerSocket = new Promise((r) => server.once('connection', r));
    const conn = openJsonRpc(remote);
    const s = await peerSocket;
    const echoed = new Promise<Record<string, unknown>>((r) => (onMessage = r));
    const notified = nextEvent<[string, unknown[]]>(conn, 'notification');
    s.write(JSON.stringify({ method: 'echo', params: ['ping', 3], id: 'e1' }) + JSON.stringify({ method: 'update', params: ['m', {}], id: null }));
    assert.deepEqual(await echoed, { result: ['ping', 3], error: null, id: 'e1' });
    assert.deepEqual(await notified, ['update', ['m', {}]]);
    conn.close();
  });

  it('closes on garbage from the peer, rejecting outstanding requests and reporting why', async () => {
    peerSocket = new Promise((r) => server.once('connection', r));
    onMessage = () => undefined;
    const conn = openJsonRpc(remote, { warn: () => undefined });
    const pending = conn.request('transact', []);
    const closed = nextEvent<[Error | undefined]>(conn, 'close');
    (await peerSocket).write('{"id":0,"result":[]}garbage');
    // The well-formed reply before the garbage is still delivered.
    assert.deepEqual(await pending, []);
    const [reason] = await closed;
    assert.ok(reason instanceof SyntaxError);
    assert.equal(conn.closed, true);
    await assert.rejects(conn.request('late', []), JsonRpcClosedError);
  });

  it('rejects requests made before the connection fails to come up', async () => {
    const conn = openJsonRpc(`unix:${path.join(os.tmpdir(), 'ts-vswitchd-no-such-dir', 'db.sock')}`);
    const closed = nextEvent<[Error | undefined]>(conn, 'close');
    await assert.rejects(conn.request('get_schema', ['Open_vSwitch']), (err: unknown) => err instanceof JsonRpcClosedError && /ENOENT/.test(err.message));
    const [reason] = await closed;
    assert.match(String(reason?.message), /ENOENT/);
  });

  it('rejects outstanding requests when the peer hangs up', async () => {
    peerSocket = new Promise((r) => server.once('connection', r));
    const conn = openJsonRpc(remote);
    const pending = conn.request('transact', []);
    (await peerSocket).end();
    await assert.rejects(pending, JsonRpcClosedError);
  });
});
