/**
 * An OVSDB client that follows one database on a real `ovsdb-server` (RFC 7047): it fetches
 * the schema, monitors a chosen set of tables and columns, keeps an in-memory replica of them,
 * writes back with `transact`, and reconnects with exponential backoff when the server goes
 * away — the part of OVS's `lib/ovsdb-idl.c` + `lib/reconnect.c` that `ovs-vswitchd`'s bridge
 * layer relies on, without change tracking: consumers reconcile against the whole replica on
 * every `'update'`.
 */
import { EventEmitter } from 'node:events';
import { JsonRpcClosedError, JsonRpcConnection, JsonRpcError, openJsonRpc, parseRemote } from './jsonrpc';
import { decodeDatum, defaultValue, encodeDatum, OvsdbDatumError, OvsdbValue, OvsdbWriteValue } from './ovsdb-datum';
import { OvsdbColumnSchema, OvsdbDatabaseSchema, parseDatabaseSchema } from './ovsdb-schema';

/** Where the client reports connection events and protocol trouble. */
export interface OvsdbLogger {
  info(msg: string): void;
  warn(msg: string): void;
  debug?(msg: string): void;
}

/** One replicated row: its UUID plus the monitored columns in replica form (see ovsdb-datum). */
export interface OvsdbRow {
  _uuid: string;
  [column: string]: OvsdbValue;
}

/** A replica: table name → row UUID → row. */
export type OvsdbReplica = Map<string, Map<string, OvsdbRow>>;

/** Options of {@link OvsdbClient}. */
export interface OvsdbClientOptions {
  /** Database to follow; default `"Open_vSwitch"`. */
  database?: string;
  /**
   * Table name → columns to monitor. An empty list monitors every column of the table.
   * Tables or columns absent from the server's schema are skipped with a warning (as OVS's
   * IDL does, so a newer client works against an older schema); their values then read as
   * `undefined`.
   */
  tables: Record<string, string[]>;
  /** Default: discard all messages. */
  logger?: OvsdbLogger;
  /** First reconnect delay after a failed attempt, in ms; default 100, doubled per failure. */
  minBackoffMs?: number;
  /** Cap on the reconnect delay, in ms; default 8000 (OVS `RECONNECT_DEFAULT_MAX_BACKOFF`). */
  maxBackoffMs?: number;
}

/**
 * A transaction failed on the server. `error` and `details` are the members of the failing
 * operation's result (RFC 7047 §5.2, e.g. `"constraint violation"`, `"unknown column"`,
 * `"referential integrity violation"`); `opIndex` is the index of the failing operation in
 * the ops array, or undefined when the commit itself failed or the whole request was refused.
 */
export class OvsdbError extends Error {
  constructor(readonly error: string, readonly details: string | undefined, readonly opIndex: number | undefined) {
    super(`${opIndex === undefined ? 'transaction' : `transaction operation ${opIndex}`}: ${error}${details ? `: ${details}` : ''}`);
    this.name = 'OvsdbError';
  }
}

/** The monitor id this client uses on every connection (RFC 7047 §4.1.5 `<json-value>`). */
const MONITOR_ID = 'ts-vswitchd';

const silentLogger: OvsdbLogger = { info: () => undefined, warn: () => undefined };

/** What is monitored in one table: the columns whose values the replica holds. */
interface MonitoredTable {
  columns: Map<string, OvsdbColumnSchema>;
}

type RowChange = { table: string; uuid: string; row: OvsdbRow | undefined };

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Typed listeners for the events documented on {@link OvsdbClient}. */
export interface OvsdbClient {
  on(event: 'connected', listener: () => void): this;
  on(event: 'update', listener: (tables: Set<string>) => void): this;
  on(event: 'disconnected', listener: (reason: Error | undefined) => void): this;
  once(event: 'connected', listener: () => void): this;
  once(event: 'update', listener: (tables: Set<string>) => void): this;
  once(event: 'disconnected', listener: (reason: Error | undefined) => void): this;
}

/**
 * Client for one OVSDB database, replicating the monitored tables.
 *
 * Events:
 * - `'connected'()`: a session is up (schema fetched, monitor accepted); an `'update'` follows.
 * - `'update'(tables: Set<string>)`: the replica changed; `tables` names the tables touched.
 *   The first update of each session carries the full initial dump and names every monitored
 *   table: the replica has been replaced, not merged, so consumers reconcile from scratch.
 * - `'disconnected'(reason: Error | undefined)`: an established session ended other than by
 *   {@link close}. The replica keeps its last contents until the next session replaces them.
 *
 * Listener exceptions are caught and logged (a consumer bug must not kill the session).
 */
export class OvsdbClient extends EventEmitter {
  /** The database followed. */
  readonly database: string;
  /**
   * The replica. The Map object itself stays the same for the client's lifetime; the per-table
   * maps and row objects are replaced, never mutated, when updates arrive, so a reference held
   * across an `'update'` is a consistent snapshot. Treat everything in it as read-only.
   */
  readonly tables: OvsdbReplica = new Map();

  private readonly logger: OvsdbLogger;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private currentSchema: OvsdbDatabaseSchema | undefined;
  private monitored = new Map<string, MonitoredTable>();
  private conn: JsonRpcConnection | undefined;
  private isConnected = false;
  private started = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private firstUpdate: { resolve(): void; reject(err: Error): void } | undefined;

  /**
   * @param remote active remote in OVS syntax: `unix:PATH` or `tcp:IP[:PORT]`
   * @throws Error on bad remote syntax
   */
  constructor(readonly remote: string, private readonly opts: OvsdbClientOptions) {
    super();
    parseRemote(remote);
    this.database = opts.database ?? 'Open_vSwitch';
    this.logger = opts.logger ?? silentLogger;
    this.minBackoffMs = opts.minBackoffMs ?? 100;
    this.maxBackoffMs = Math.max(opts.maxBackoffMs ?? 8000, this.minBackoffMs);
  }

  /** The schema of the current (or last) session; undefined before the first connection. */
  get schema(): OvsdbDatabaseSchema | undefined {
    return this.currentSchema;
  }

  /** True while a session is established and monitoring. */
  get connected(): boolean {
    return this.isConnected;
  }

  /**
   * Starts connecting; keeps reconnecting until {@link close}.
   * @returns a promise that resolves once the first initial dump is in the replica (after the
   *   first `'update'`), and rejects if {@link close} comes first. Not awaiting it is safe.
   * @throws Error when called twice
   */
  start(): Promise<void> {
    if (this.started) throw new Error('OvsdbClient.start() called twice');
    this.started = true;
    const first = new Promise<void>((resolve, reject) => {
      this.firstUpdate = { resolve, reject };
    });
    first.catch(() => undefined);
    void this.run();
    return first;
  }

  /**
   * Stops reconnecting and closes the connection; outstanding transactions reject with
   * JsonRpcClosedError. No event is emitted. Idempotent; nothing is left holding the event
   * loop open.
   */
  close(): void {
    this.stopped = true;
    this.wake?.();
    this.conn?.close();
    this.firstUpdate?.reject(new Error(`${this.remote}: client closed before the first update`));
    this.firstUpdate = undefined;
  }

  /**
   * Runs a transaction on the followed database (RFC 7047 §4.1.3).
   * @param ops RFC 7047 §5.2 operations, e.g. from {@link update}
   * @returns the per-operation results (an `insert` result holds `uuid: ["uuid", …]`)
   * @throws OvsdbError when an operation or the commit failed, or the server refused the
   *   request; JsonRpcClosedError when not connected or the connection drops before the reply
   */
  async transact(ops: object[]): Promise<object[]> {
    const conn = this.conn;
    if (conn === undefined || !this.isConnected) throw new JsonRpcClosedError('transact', 'not connected');
    let result: unknown;
    try {
      result = await conn.request('transact', [this.database, ...ops]);
    } catch (err) {
      if (err instanceof JsonRpcError) {
        const e = isObject(err.error) ? err.error : { error: err.error };
        throw new OvsdbError(String(e.error), typeof e.details === 'string' ? e.details : undefined, undefined);
      }
      throw err;
    }
    if (!Array.isArray(result)) throw new OvsdbError('malformed reply', `transact result is ${JSON.stringify(result)}`, undefined);
    for (let i = 0; i < result.length; i++) {
      const r: unknown = result[i];
      if (isObject(r) && r.error !== undefined && r.error !== null) {
        throw new OvsdbError(String(r.error), typeof r.details === 'string' ? r.details : undefined, i < ops.length ? i : undefined);
      }
    }
    return result as object[];
  }

  /**
   * Converts a JS value to the datum JSON of `table.column`, per the current schema (for
   * hand-built `where`, `mutate` or `insert` ops).
   * @throws Error when there is no schema yet or the table/column is unknown; OvsdbDatumError
   *   when the value does not fit the column type
   */
  datum(table: string, column: string, value: OvsdbWriteValue): unknown {
    const col = this.columnSchema(table, column);
    return encodeDatum(col.type, value, `${table}.${column}`);
  }

  /**
   * Builds an `update` operation that sets `row`'s columns on the row `uuid` of `table`,
   * e.g. `client.update('Interface', uuid, { ofport: 5 })`.
   * @param row column → value in the forms ovsdb-datum's `encodeDatum` accepts
   * @throws as {@link datum}; Error for `_uuid`/`_version`, which cannot be written
   */
  update(table: string, uuid: string, row: Record<string, OvsdbWriteValue>): object {
    const encoded: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) {
      if (column === '_uuid' || column === '_version') throw new Error(`${table}.${column} cannot be written`);
      encoded[column] = this.datum(table, column, value);
    }
    return { op: 'update', table, where: [['_uuid', '==', this.datum(table, '_uuid', uuid)]], row: encoded };
  }

  private columnSchema(table: string, column: string): OvsdbColumnSchema {
    const schema = this.currentSchema;
    if (schema === undefined) throw new Error(`${this.remote}: no schema yet (not connected)`);
    const t = schema.tables.get(table);
    if (t === undefined) throw new Error(`${this.database}: no table ${table}`);
    const c = t.columns.get(column);
    if (c === undefined) throw new Error(`${this.database}: no column ${table}.${column}`);
    return c;
  }

  private emitSafely(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.logger.warn(`${this.remote}: '${event}' listener threw: ${(err as Error).stack ?? String(err)}`);
    }
  }

  /** The reconnect loop (OVS `reconnect.c` in spirit): immediate retry after an established session, then exponential backoff. */
  private async run(): Promise<void> {
    let backoff = 0;
    while (!this.stopped) {
      if (backoff > 0) {
        this.logger.info(`${this.remote}: waiting ${backoff} ms before reconnect`);
        await this.sleep(backoff);
        if (this.stopped) break;
      }
      let established = false;
      try {
        established = await this.session();
      } catch (err) {
        this.logger.warn(`${this.remote}: session failed unexpectedly: ${(err as Error).stack ?? String(err)}`);
      }
      backoff = established ? 0 : backoff === 0 ? this.minBackoffMs : Math.min(backoff * 2, this.maxBackoffMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /**
   * One connection: get_schema, monitor, then follow updates until it closes.
   * @returns whether the session got established (monitor accepted and dump applied)
   */
  private async session(): Promise<boolean> {
    this.logger.debug?.(`${this.remote}: connecting...`);
    const conn = openJsonRpc(this.remote, this.logger);
    this.conn = conn;
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
    /** Updates that arrive before the monitor reply has been processed, applied right after the dump. */
    let early: unknown[] | undefined = [];
    conn.on('notification', (method: string, params: unknown[]) => {
      if (early !== undefined && method === 'update') early.push(params);
      else this.onNotification(conn, method, params);
    });
    try {
      const schema = parseDatabaseSchema(await conn.request('get_schema', [this.database]));
      const monitored = this.planMonitor(schema);
      const requests: Record<string, unknown> = {};
      for (const [table, m] of monitored) {
        requests[table] = {
          columns: [...m.columns.keys()],
          select: { initial: true, insert: true, delete: true, modify: true },
        };
      }
      const initial = await conn.request('monitor', [this.database, MONITOR_ID, requests]);
      const replica: OvsdbReplica = new Map();
      for (const table of monitored.keys()) replica.set(table, new Map());
      applyChanges(replica, decodeTableUpdates(initial, replica, monitored));
      for (const params of early) applyChanges(replica, this.decodeUpdateNotification(params, replica, monitored));
      early = undefined;

      this.currentSchema = schema;
      this.monitored = monitored;
      this.tables.clear();
      for (const [table, rows] of replica) this.tables.set(table, rows);
      this.isConnected = true;
    } catch (err) {
      if (!this.stopped) this.logger.warn(`${this.remote}: connection attempt failed (${(err as Error).message})`);
      conn.close();
      await closed;
      if (this.conn === conn) this.conn = undefined;
      return false;
    }
    this.logger.info(`${this.remote}: connected`);
    this.emitSafely('connected');
    this.emitSafely('update', new Set(this.monitored.keys()));
    this.firstUpdate?.resolve();
    this.firstUpdate = undefined;

    const reason = await closed;
    this.isConnected = false;
    if (this.conn === conn) this.conn = undefined;
    if (!this.stopped) {
      this.logger.warn(`${this.remote}: connection dropped${reason ? ` (${reason.message})` : ''}`);
      this.emitSafely('disconnected', reason);
    }
    return true;
  }

  /** Resolves the requested tables/columns against the server's schema, warning about what it lacks. */
  private planMonitor(schema: OvsdbDatabaseSchema): Map<string, MonitoredTable> {
    const plan = new Map<string, MonitoredTable>();
    for (const [table, wanted] of Object.entries(this.opts.tables)) {
      const t = schema.tables.get(table);
      if (t === undefined) {
        this.logger.warn(`${this.remote}: database ${this.database} has no table ${table}, not monitoring it`);
        continue;
      }
      const names = wanted.length > 0 ? wanted : [...t.columns.keys()];
      const columns = new Map<string, OvsdbColumnSchema>();
      for (const name of names) {
        if (name === '_uuid') continue;
        const c = t.columns.get(name);
        if (c === undefined) this.logger.warn(`${this.remote}: table ${table} has no column ${name}, not monitoring it`);
        else if (wanted.length > 0 || name !== '_version') columns.set(name, c);
      }
      plan.set(table, { columns });
    }
    return plan;
  }

  private decodeUpdateNotification(params: unknown, replica: OvsdbReplica, monitored: Map<string, MonitoredTable>): RowChange[] {
    if (!Array.isArray(params) || params.length !== 2) throw new OvsdbDatumError('update notification: params must be [monitor-id, table-updates]');
    if (params[0] !== MONITOR_ID) throw new OvsdbDatumError(`update notification for unknown monitor ${JSON.stringify(params[0])}`);
    return decodeTableUpdates(params[1], replica, monitored);
  }

  private onNotification(conn: JsonRpcConnection, method: string, params: unknown[]): void {
    if (conn !== this.conn) return;
    if (method !== 'update') {
      this.logger.debug?.(`${this.remote}: ignoring "${method}" notification`);
      return;
    }
    let changes: RowChange[];
    try {
      changes = this.decodeUpdateNotification(params, this.tables, this.monitored);
    } catch (err) {
      this.logger.warn(`${this.remote}: bad update from server (${(err as Error).message}), reconnecting`);
      conn.close();
      return;
    }
    const touched = applyChanges(this.tables, changes);
    if (touched.size > 0) this.emitSafely('update', touched);
  }
}

/**
 * Decodes RFC 7047 §4.1.6 `<table-updates>` against `replica` (for modifies, whose `new` is
 * merged over the existing row) without changing it.
 * @throws OvsdbDatumError on anything malformed, an unmonitored table, or an unknown column
 */
function decodeTableUpdates(json: unknown, replica: OvsdbReplica, monitored: Map<string, MonitoredTable>): RowChange[] {
  if (!isObject(json)) throw new OvsdbDatumError('table-updates must be an object');
  const changes: RowChange[] = [];
  for (const [table, rowUpdates] of Object.entries(json)) {
    const m = monitored.get(table);
    if (m === undefined) throw new OvsdbDatumError(`update for unmonitored table ${table}`);
    if (!isObject(rowUpdates)) throw new OvsdbDatumError(`${table}: table-update must be an object`);
    const rows = replica.get(table) as Map<string, OvsdbRow>;
    for (const [uuid, rowUpdate] of Object.entries(rowUpdates)) {
      if (!isObject(rowUpdate)) throw new OvsdbDatumError(`${table} ${uuid}: row-update must be an object`);
      const next = rowUpdate.new;
      if (next === undefined) {
        changes.push({ table, uuid, row: undefined });
        continue;
      }
      if (!isObject(next)) throw new OvsdbDatumError(`${table} ${uuid}: "new" must be an object`);
      const existing = rows.get(uuid);
      const row: OvsdbRow = existing !== undefined ? { ...existing } : { _uuid: uuid };
      if (existing === undefined) for (const c of m.columns.values()) row[c.name] = defaultValue(c.type);
      for (const [column, datum] of Object.entries(next)) {
        const c = m.columns.get(column);
        if (c === undefined) throw new OvsdbDatumError(`${table} ${uuid}: update for unmonitored column ${column}`);
        row[column] = decodeDatum(c.type, datum, `${table}.${column}`);
      }
      changes.push({ table, uuid, row });
    }
  }
  return changes;
}

/**
 * Applies decoded row changes, replacing (not mutating) each touched table's row map.
 * @returns the names of the tables touched
 */
function applyChanges(replica: OvsdbReplica, changes: RowChange[]): Set<string> {
  const copies = new Map<string, Map<string, OvsdbRow>>();
  for (const { table, uuid, row } of changes) {
    let rows = copies.get(table);
    if (rows === undefined) {
      rows = new Map(replica.get(table));
      copies.set(table, rows);
    }
    if (row === undefined) rows.delete(uuid);
    else rows.set(uuid, row);
  }
  for (const [table, rows] of copies) replica.set(table, rows);
  return new Set(copies.keys());
}
