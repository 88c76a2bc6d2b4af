/**
 * The unixctl server: the control socket `ovs-appctl` talks to (OVS's `lib/unixctl.c` server
 * side over `lib/jsonrpc.c`).
 *
 * Wire format: JSON-RPC 1.0 over a Unix stream socket, messages written back to back with no
 * delimiter. A request is `{"method":"vlog/set","params":["dbg"],"id":0}`; the reply is
 * `{"id":0,"result":"TEXT","error":null}` on success or `{"id":0,"result":null,"error":"TEXT"}`
 * on failure, where TEXT is empty or ends with a newline. A connection runs one request at a
 * time, in order (later requests wait, as OVS stops reading while one is in progress).
 *
 * A connection that sends something other than a well-formed request (invalid JSON, a
 * notification, a reply, a message with unknown members or non-array params) is closed, as
 * OVS closes it; the reason is logged at WARN.
 *
 * The socket file is created with mode 0770 after removing any stale file of the same name, and
 * removed again by {@link UnixctlServer.close} (or at process exit if close was never called).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { dirname } from 'node:path';
import { JsonStreamSplitter } from '../bridge/jsonrpc';
import { strerror, vlogModule } from '../util/vlog';
import type { Coverage } from './coverage';
import { UnixctlRegistry } from './registry';

const log = vlogModule('unixctl');

/** Members a JSON-RPC message may have (`jsonrpc_msg_from_json()`). */
const MESSAGE_MEMBERS = new Set(['method', 'params', 'result', 'error', 'id']);

/** Options of {@link UnixctlServer.listen}. */
export interface UnixctlServerOptions {
  /** The text `version` answers (OVS: `ovs_get_program_version()`), e.g. `ts-vswitchd (Open vSwitch) 3.1.0`. */
  version: string;
  /** Where `unixctl_received` / `unixctl_replied` are counted, if anywhere. */
  coverage?: Coverage;
}

/** Why a message was refused; the connection is closed after logging it. */
function invalidReason(msg: unknown): string | undefined {
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return 'message is not a JSON object';
  const m = msg as Record<string, unknown>;
  const extra = Object.keys(m).find((k) => !MESSAGE_MEMBERS.has(k));
  if (extra !== undefined) return `message has unexpected member "${extra}"`;
  if (m.method !== undefined && typeof m.method !== 'string') return 'method is not a JSON string';
  const present = (k: string) => m[k] !== undefined && m[k] !== null;
  if (present('params') && !Array.isArray(m.params)) return '"params" must be JSON array';
  const type = present('result') ? 'reply' : present('error') ? 'error' : present('id') ? 'request' : 'notification';
  if (type !== 'request') return `received unexpected ${type} message`;
  if (!present('method')) return 'request must have "method"';
  if (!present('params')) return 'request must have "params"';
  return undefined;
}

/** One client connection. */
class Connection {
  private readonly splitter = new JsonStreamSplitter();
  /** Requests received and not yet answered, oldest first. */
  private readonly queue: Array<{ method: string; params: unknown[]; id: unknown }> = [];
  private busy = false;
  private dead = false;

  constructor(
    readonly socket: net.Socket,
    readonly name: string,
    private readonly server: UnixctlServer,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => log.dbg(`${name}: ${strerror(e)}`));
    socket.on('close', () => {
      this.dead = true;
      server.forget(this);
    });
  }

  private onData(chunk: Buffer): void {
    try {
      this.splitter.push(chunk, (msg) => {
        const why = invalidReason(msg);
        if (why !== undefined) throw new Error(why);
        const m = msg as { method: string; params: unknown[]; id: unknown };
        this.queue.push({ method: m.method, params: m.params, id: m.id });
      });
    } catch (e) {
      log.warn(`${this.name}: ${(e as Error).message}, closing connection`);
      this.socket.destroy();
      this.dead = true;
      return;
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let req = this.queue.shift(); req && !this.dead; req = this.queue.shift()) {
        await this.server.answer(this, req.method, req.params, req.id);
      }
    } finally {
      this.busy = false;
    }
  }

  /** Sends one reply; a socket that has gone away is ignored (the request is simply lost). */
  send(reply: object): void {
    if (!this.dead && this.socket.writable) this.socket.write(JSON.stringify(reply));
  }

  /** Ends the connection after pending writes; resolves once it is closed. */
  end(timeoutMs: number): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, timeoutMs);
      t.unref();
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.socket.end();
    });
  }
}

/** A listening unixctl server. */
export class UnixctlServer {
  private readonly conns = new Set<Connection>();
  private nextConn = 0;
  private closed = false;
  private readonly unlinkAtExit = (): void => this.unlink();

  private constructor(
    /** Absolute path of the socket. */
    readonly path: string,
    readonly registry: UnixctlRegistry,
    private readonly listener: net.Server,
    private readonly coverage: Coverage | undefined,
    /** Inode of the socket file we created. */
    private readonly ino: number,
  ) {
    process.on('exit', this.unlinkAtExit);
  }

  /**
   * Creates the socket at `path` and starts serving `registry`. Registers `list-commands` and
   * `version`, as OVS's server does when it is created.
   * @param path absolute socket path (see `dirs.defaultUnixctlPath()`)
   * @throws Error `PATH: could not initialize control socket (REASON)`, OVS's wording, when the
   *   stale file cannot be removed or the socket cannot be bound
   */
  static async listen(path: string, registry: UnixctlRegistry, opts: UnixctlServerOptions): Promise<UnixctlServer> {
    const fail = (e: unknown): Error => new Error(`${path}: could not initialize control socket (${strerror(e)})`, { cause: e });
    try {
      // Node reports bind() in a missing directory as EACCES; OVS says ENOENT.
      fs.accessSync(dirname(path));
      fs.unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || (e as NodeJS.ErrnoException).path !== path) throw fail(e);
    }
    const listener = net.createServer();
    await new Promise<void>((resolve, reject) => {
      listener.once('error', (e) => reject(fail(e)));
      listener.listen(path, () => resolve());
    });
    let ino: number;
    try {
      fs.chmodSync(path, 0o770);
      ino = fs.statSync(path).ino;
    } catch (e) {
      listener.close();
      throw fail(e);
    }
    const server = new UnixctlServer(path, registry, listener, opts.coverage, ino);
    listener.on('connection', (socket) => server.accept(socket));
    listener.on('error', (e) => log.warn(`${path}: accept failed: ${strerror(e)}`));
    registry.register('list-commands', '', 0, 0, () => registry.listCommands());
    registry.register('version', '', 0, 0, () => opts.version);
    return server;
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.conns.add(new Connection(socket, `unix#${this.nextConn++}`, this));
  }

  /** @internal called by a connection that closed */
  forget(conn: Connection): void {
    this.conns.delete(conn);
  }

  /** @internal runs one request of `conn` and sends its reply */
  async answer(conn: Connection, method: string, params: unknown[], id: unknown): Promise<void> {
    this.coverage?.add('unixctl_received');
    const idText = JSON.stringify(id);
    if (log.isDbgEnabled()) log.dbg(`received request ${method}${JSON.stringify(params)}, id=${idText}`);
    const outcome = await this.registry.execute(method, params);
    if (outcome.bug !== undefined) {
      const e = outcome.bug;
      log.err(`"${method}" failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    this.coverage?.add('unixctl_replied');
    if (log.isDbgEnabled()) log.dbg(`replying with ${outcome.ok ? 'success' : 'error'}, id=${idText}: "${outcome.text}"`);
    conn.send(outcome.ok ? { id, result: outcome.text, error: null } : { id, result: null, error: outcome.text });
  }

  /**
   * Stops listening, ends every connection (replies already written are delivered first; at
   * most `timeoutMs` is spent waiting for each) and removes the socket file. Idempotent.
   */
  async close(timeoutMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The listener's close callback only runs once every connection is gone.
    const listenerClosed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    await Promise.all([...this.conns].map((c) => c.end(timeoutMs)));
    await listenerClosed;
    this.unlink();
    process.off('exit', this.unlinkAtExit);
  }

  private unlink(): void {
    try {
      // Only our own socket: a newer daemon may have replaced the file meanwhile.
      if (fs.statSync(this.path).ino === this.ino) fs.unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }
}
