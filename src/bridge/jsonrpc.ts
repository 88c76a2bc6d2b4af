/**
 * JSON-RPC 1.0 over a stream socket, the way OVSDB uses it (RFC 7047 §4, OVS `lib/jsonrpc.c`):
 * messages are JSON objects written back to back with no delimiter, requests carry an `id`
 * that the reply echoes, notifications carry `id: null`, and either side may send `echo`
 * requests that the other must answer with the same params (a liveness probe).
 *
 * This module knows nothing of OVSDB methods; {@link ./ovsdb-client} builds on it.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';

/** Default OVSDB TCP port (IANA-assigned, `OVSDB_PORT` in OVS). */
export const OVSDB_PORT = 6640;

/** Where an active remote points: a Unix domain socket or a TCP endpoint. */
export type JsonRpcRemote =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number };

/**
 * Parses an active remote in OVS syntax (`ovsdb-server(1)`, `ovs-vswitchd(8)` "DATABASE"):
 * `unix:PATH` or `tcp:HOST[:PORT]`, where HOST is an IPv4 address, a host name, or an IPv6
 * address in brackets (`tcp:[::1]:6640`); PORT defaults to {@link OVSDB_PORT}.
 * @throws Error naming the remote when the syntax is wrong, or when it is a passive
 *   (`punix:`, `ptcp:`, `pssl:`) or SSL remote, which a client cannot use
 */
export function parseRemote(remote: string): JsonRpcRemote {
  const colon = remote.indexOf(':');
  const method = colon < 0 ? '' : remote.slice(0, colon);
  const rest = remote.slice(colon + 1);
  switch (method) {
    case 'unix':
      if (rest === '') throw new Error(`${remote}: unix remote needs a socket path ("unix:PATH")`);
      return { kind: 'unix', path: rest };
    case 'tcp':
      return parseTcp(remote, rest);
    case 'ssl':
      throw new Error(`${remote}: ssl remotes are not supported`);
    case 'punix':
    case 'ptcp':
    case 'pssl':
      throw new Error(`${remote}: passive remote cannot be used to connect to a database`);
    default:
      throw new Error(`${remote}: unknown remote syntax (expected "unix:PATH" or "tcp:IP[:PORT]")`);
  }
}

function parseTcp(remote: string, rest: string): JsonRpcRemote {
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new Error(`${remote}: missing "]" after IPv6 address`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new Error(`${remote}: junk after IPv6 address`);
    portText = after === '' ? undefined : after.slice(1);
    if (!net.isIPv6(host)) throw new Error(`${remote}: "${host}" is not an IPv6 address`);
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) throw new Error(`${remote}: IPv6 addresses must be written in brackets ("tcp:[ADDR]:PORT")`);
    host = parts[0];
    portText = parts[1];
  }
  if (host === '') throw new Error(`${remote}: tcp remote needs a host ("tcp:IP[:PORT]")`);
  let port = OVSDB_PORT;
  if (portText !== undefined) {
    if (!/^[0-9]+$/.test(portText)) throw new Error(`${remote}: bad port "${portText}"`);
    port = Number(portText);
    if (port < 1 || port > 65535) throw new Error(`${remote}: port ${port} out of range 1..65535`);
  }
  return { kind: 'tcp', host, port };
}

const BYTE_LBRACE = 0x7b;
const BYTE_RBRACE = 0x7d;
const BYTE_LBRACKET = 0x5b;
const BYTE_RBRACKET = 0x5d;
const BYTE_QUOTE = 0x22;
const BYTE_BACKSLASH = 0x5c;

function isJsonWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * Splits a byte stream of concatenated JSON objects into parsed values, incrementally.
 *
 * It tracks only nesting depth and whether it is inside a string (and after a backslash
 * there), so a brace or quote inside a string does not end a message and a message may be
 * split across any number of chunks, at any byte (UTF-8 sequences included: the bytes of a
 * message are decoded only once it is complete). Whitespace between messages is skipped.
 *
 * After {@link push} throws, the stream is out of sync: discard the splitter (and the
 * connection). Messages completed before the bad byte have been delivered by then, so a
 * reply followed by garbage in the same chunk is not lost.
 */
export class JsonStreamSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Bytes of the message in progress from earlier chunks. */
  private pending: Buffer[] = [];

  /**
   * Feeds one chunk, calling `onMessage` for each message it completes, in order.
   * @throws SyntaxError when a message does not start with `{`, or a completed message is not
   *   valid JSON (after delivering the messages before it); whatever `onMessage` throws
   */
  push(chunk: Buffer, onMessage: (msg: unknown) => void): void {
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.depth === 0) {
        if (isJsonWhitespace(b)) continue;
        if (b !== BYTE_LBRACE) {
          throw new SyntaxError(`JSON-RPC stream: expected "{" to start a message, got byte 0x${b.toString(16).padStart(2, '0')}`);
        }
        this.depth = 1;
        start = i;
      } else if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BYTE_BACKSLASH) this.escaped = true;
        else if (b === BYTE_QUOTE) this.inString = false;
      } else if (b === BYTE_QUOTE) {
        this.inString = true;
      } else if (b === BYTE_LBRACE || b === BYTE_LBRACKET) {
        this.depth++;
      } else if (b === BYTE_RBRACE || b === BYTE_RBRACKET) {
        this.depth--;
        if (this.depth === 0) {
          this.pending.push(chunk.subarray(start, i + 1));
          const text = Buffer.concat(this.pending).toString('utf8');
          this.pending = [];
          start = -1;
          let msg: unknown;
          try {
            msg = JSON.parse(text);
          } catch (err) {
            throw new SyntaxError(`JSON-RPC stream: bad message (${(err as Error).message}): ${text.slice(0, 200)}`);
          }
          onMessage(msg);
        }
      }
    }
    if (this.depth > 0 && start >= 0) this.pending.push(chunk.subarray(start));
  }

  /** Bytes of an incomplete message held back, waiting for more input. */
  get bufferedBytes(): number {
    return this.pending.reduce((n, b) => n + b.length, 0);
  }
}

/**
 * An error reply (`"error"` not null) to a JSON-RPC request.
 * `error` holds the reply's `error` member verbatim: for OVSDB an object
 * `{ error: string, details?: string }` (RFC 7047 §3.1), sometimes a bare string.
 */
export class JsonRpcError extends Error {
  constructor(readonly method: string, readonly error: unknown) {
    super(`${method}: ${describeRpcError(error)}`);
    this.name = 'JsonRpcError';
  }
}

function describeRpcError(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error !== null && typeof error === 'object') {
    const e = error as { error?: unknown; details?: unknown };
    if (typeof e.error === 'string') return typeof e.details === 'string' ? `${e.error}: ${e.details}` : e.error;
  }
  return JSON.stringify(error);
}

/** The connection ended (or never came up) before the request was answered. */
export class JsonRpcClosedError extends Error {
  constructor(readonly method: string, readonly reason: string) {
    super(`${method}: connection closed before reply (${reason})`);
    this.name = 'JsonRpcClosedError';
  }
}

/** Sink for diagnostics; `debug` is optional (traces every message when given). */
export interface JsonRpcLogger {
  warn(msg: string): void;
  debug?(msg: string): void;
}

interface PendingRequest {
  method: string;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

/**
 * One JSON-RPC session on one socket. Created connecting (see {@link openJsonRpc}); requests
 * made before the socket is up are queued by the socket and sent once it is.
 *
 * Events:
 * - `'notification'(method: string, params: unknown)`: a message with `id: null`.
 * - `'close'(reason: Error | undefined)`: emitted once, when the socket has gone (connect
 *   failure, peer hang-up, protocol error, or {@link close}); every outstanding request has
 *   been rejected with {@link JsonRpcClosedError} by then. `reason` is undefined for a clean
 *   {@link close} and for an orderly hang-up by the peer.
 *
 * Requests from the peer: `echo` is answered with its own params, as RFC 7047 §4.1.11
 * requires; any other method gets an `"unknown method"` error reply.
 *
 * A `'notification'` listener that throws closes the connection, with its exception as the
 * `'close'` reason.
 */
export class JsonRpcConnection extends EventEmitter {
  private readonly splitter = new JsonStreamSplitter();
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 0;
  private closeReason: Error | undefined;
  private isClosed = false;

  /**
   * @param socket a connected or connecting stream socket; the connection owns it from here on
   * @param name how the peer is named in errors and logs (usually the remote string)
   */
  constructor(private readonly socket: net.Socket, readonly name: string, private readonly logger?: JsonRpcLogger) {
    super();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closeReason ??= err;
    });
    socket.on('close', () => this.finish());
  }

  /** True once the socket is gone; no further messages are sent or received. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Sends a request and waits for its reply.
   * @returns the reply's `result`
   * @throws JsonRpcError when the reply carries an error; JsonRpcClosedError when the
   *   connection is or becomes closed before the reply
   */
  request(method: string, params: unknown[]): Promise<unknown> {
    if (this.isClosed) return Promise.reject(new JsonRpcClosedError(method, this.describeClose()));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.send({ method, params, id });
    });
  }

  /** Sends a notification (`id: null`); silently a no-op once closed, like a lost datagram. */
  notify(method: string, params: unknown[]): void {
    if (!this.isClosed) this.send({ method, params, id: null });
  }

  /** Closes the socket at once; outstanding requests are rejected. Idempotent. */
  close(): void {
    this.socket.destroy();
    this.finish();
  }

  private send(msg: object): void {
    const text = JSON.stringify(msg);
    this.logger?.debug?.(`${this.name}: send ${text.length > 500 ? text.slice(0, 500) + '…' : text}`);
    this.socket.write(text);
  }

  private onData(chunk: Buffer): void {
    try {
      this.splitter.push(chunk, (msg) => {
        if (!this.isClosed) this.dispatch(msg);
      });
    } catch (err) {
      if (!this.isClosed) this.abort(err as Error);
    }
  }

  /** @param msg a parsed message: always an object, as the splitter only accepts those */
  private dispatch(msg: unknown): void {
    const m = msg as { method?: unknown; params?: unknown; id?: unknown; result?: unknown; error?: unknown };
    if (typeof m.method === 'string') {
      const params = Array.isArray(m.params) ? m.params : [];
      if (m.id === null || m.id === undefined) {
        this.emit('notification', m.method, params);
      } else if (m.method === 'echo') {
        this.send({ result: params, error: null, id: m.id });
      } else {
        this.logger?.warn(`${this.name}: received unexpected "${m.method}" request`);
        this.send({ result: null, error: 'unknown method', id: m.id });
      }
      return;
    }
    const req = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
    if (req === undefined) {
      this.logger?.warn(`${this.name}: reply to unknown request id ${JSON.stringify(m.id)}`);
      return;
    }
    this.pending.delete(m.id as number);
    if (m.error !== null && m.error !== undefined) req.reject(new JsonRpcError(req.method, m.error));
    else req.resolve(m.result);
  }

  private abort(reason: Error): void {
    this.logger?.warn(`${this.name}: ${reason.message}, closing connection`);
    this.closeReason ??= reason;
    this.socket.destroy();
    this.finish();
  }

  private describeClose(): string {
    return this.closeReason?.message ?? 'connection closed';
  }

  private finish(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const reason = this.describeClose();
    for (const req of this.pending.values()) req.reject(new JsonRpcClosedError(req.method, reason));
    this.pending.clear();
    this.emit('close', this.closeReason);
  }
}

/**
 * Starts connecting to `remote` (syntax of {@link parseRemote}) and returns the connection at
 * once; a connect failure surfaces as a `'close'` event with the socket error as reason and as
 * rejection of any request already made.
 * @throws Error for bad remote syntax (synchronously)
 */
export function openJsonRpc(remote: string, logger?: JsonRpcLogger): JsonRpcConnection {
  const r = parseRemote(remote);
  const socket = r.kind === 'unix' ? net.connect({ path: r.path }) : net.connect({ host: r.host, port: r.port });
  if (r.kind === 'tcp') socket.setNoDelay(true);
  return new JsonRpcConnection(socket, remote, logger);
}
