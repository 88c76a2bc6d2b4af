/**
 * The connection manager of one bridge: every OpenFlow connection the bridge has, as OVS 3.1's
 * `ofproto/connmgr.c` keeps them.
 *
 * - Service connections: the `punix:<rundir>/<bridge>.mgmt` socket `ovs-ofctl` talks to, always
 *   present, and any other passive target the caller adds as a service. They get no asynchronous
 *   messages unless they set a nonzero miss_send_len (OVS: "service connections don't get
 *   asynchronous messages unless they have explicitly asked for them").
 * - Primary connections: the bridge's `Controller` rows — active (`tcp:`, `unix:`) with
 *   exponential reconnect backoff up to `max_backoff`, or passive (`ptcp:`, `punix:`).
 *
 * Each connection's messages are decoded and handed to the `OfconnHandler` one at a time, in
 * arrival order (a later message, BARRIER included, is not handled until the earlier one's
 * handler has finished). A message that cannot be decoded is answered with OFPT_ERROR carrying
 * the abstract error's type/code for the connection's version, and the connection lives on.
 * ECHO_REQUEST is answered here. Inactivity probing follows rconn: after `probeIntervalS` of
 * silence an ECHO_REQUEST is sent, after as long again without any message the connection drops.
 */
import { EventEmitter } from 'node:events';
import { existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, Server, Socket } from 'node:net';
import { OFP10_VERSION } from './common';
import { encodeErrorMsg, OfpError } from './ofp-errors';
import { decodeMsg, encodeMsg, OfpMsg } from './ofp-msgs';
import { AsyncConfig, OFP_DEFAULT_MISS_SEND_LEN, PacketInFormat } from './ofp-switch';
import { Vconn } from './vconn';

/** The default OpenFlow port for `tcp:`/`ptcp:` targets (IANA 6653). */
export const OFP_PORT = 6653;
/** `Controller.max_backoff` default, ms (ovs-vswitchd.conf.db(5)). */
export const DEFAULT_MAX_BACKOFF_MS = 8000;
/** `Controller.inactivity_probe` default, ms (ovs-vswitchd.conf.db(5)). */
export const DEFAULT_PROBE_INTERVAL_MS = 5000;

/** OpenFlow 1.2+ controller roles (`enum ofp12_controller_role`). */
export type OfconnRole = 'equal' | 'primary' | 'secondary';

/** Flow formats a connection may select with NXT_SET_FLOW_FORMAT (OpenFlow 1.0 only). */
export type FlowFormat = 'openflow10' | 'nxm';


/** The per-connection state OpenFlow handlers read and change (OVS `struct ofconn`). */
export class Ofconn {
  /** `OFCONN_PRIMARY` (a Controller) or `OFCONN_SERVICE` (ovs-ofctl's mgmt socket) */
  readonly type: 'primary' | 'service';
  role: OfconnRole = 'equal';
  flowFormat: FlowFormat = 'openflow10';
  /** NXT_FLOW_MOD_TABLE_ID: OpenFlow 1.0 flow_mods carry a table id in the command's high byte */
  tableIdExt = false;
  packetInFormat: PacketInFormat = 'standard';
  /** bytes of a missed packet to send in a packet-in (0 = none to service connections) */
  missSendLen: number;
  controllerId = 0;
  /** `OFPC_FRAG_*` handling chosen with SET_CONFIG */
  fragHandling = 0;
  /** asynchronous message masks chosen with SET_ASYNC (undefined = the version's defaults) */
  asyncConfig?: AsyncConfig;
  /** per-connection data other modules attach (bundles, flow monitors), by module name */
  readonly ext = new Map<string, unknown>();

  constructor(readonly vconn: Vconn, type: 'primary' | 'service', readonly target: string) {
    this.type = type;
    this.missSendLen = type === 'primary' ? OFP_DEFAULT_MISS_SEND_LEN : 0;
  }

  /** The negotiated OpenFlow version (`ofp_header.version`). */
  get version(): number {
    return this.vconn.version;
  }

  /** The connection's log name. */
  get name(): string {
    return this.vconn.opts.name;
  }

  /** Sends one or more complete OpenFlow messages. */
  send(...msgs: Buffer[]): void {
    for (const m of msgs) this.vconn.send(m);
  }

  /** Answers `request` with an OFPT_ERROR for `err` in the request's version and xid. */
  sendError(request: { version: number; xid: number; data: Buffer }, err: OfpError): void {
    this.vconn.send(encodeErrorMsg(err.err, request.version, request.xid, request.data));
  }
}

/** What the bridge's ofproto does with a connection's decoded messages. */
export interface OfconnHandler {
  /**
   * Handles one message. Throwing (or rejecting with) an `OfpError` sends that error back to the
   * connection; any other exception is a bug: it is logged with its stack and answered with
   * OFPBRC_EPERM so the peer is not left waiting. Either way the connection stays up.
   */
  handle(ofconn: Ofconn, msg: OfpMsg): void | Promise<void>;
  /** A connection finished its HELLO exchange. */
  connected?(ofconn: Ofconn): void;
  /** A connection is gone. */
  disconnected?(ofconn: Ofconn): void;
}

/** A controller target's configuration (a `Controller` row). */
export interface ControllerSettings {
  /** `Controller.target`, e.g. "tcp:127.0.0.1:6653", "punix:/run/c.sock" */
  target: string;
  /** inactivity probe interval, ms; 0 disables probing */
  probeIntervalMs: number;
  /** maximum reconnect backoff for active targets, ms */
  maxBackoffMs: number;
}

/** The connection status OVS writes into `Controller.is_connected`, `role` and `status`. */
export interface ControllerStatus {
  isConnected: boolean;
  role: 'other' | 'master' | 'slave';
  /** `Controller.status` keys: state, sec_since_connect, sec_since_disconnect, last_error */
  status: Record<string, string>;
}

/** A parsed connection target (ovs-vswitchd.conf.db(5) "Controller" → "target"). */
export type Target =
  | { kind: 'tcp'; host: string; port: number; passive: boolean }
  | { kind: 'unix'; path: string; passive: boolean };

/**
 * Parses a connection target: `tcp:IP[:PORT]`, `unix:FILE`, `ptcp:[PORT][:IP]`, `punix:FILE`.
 * IPv6 addresses go in brackets (`tcp:[::1]:6653`).
 * @throws Error naming the target when the method is unknown or unsupported here (`ssl:`,
 *         `pssl:` need the SSL table, which this daemon does not implement)
 */
export function parseTarget(target: string): Target {
  const colon = target.indexOf(':');
  const method = colon < 0 ? target : target.slice(0, colon);
  const rest = colon < 0 ? '' : target.slice(colon + 1);
  const hostPort = (s: string): { host: string; port: string } => {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(s);
    if (m) return { host: m[1], port: m[2] ?? '' };
    const i = s.lastIndexOf(':');
    return i < 0 ? { host: s, port: '' } : { host: s.slice(0, i), port: s.slice(i + 1) };
  };
  const portNum = (p: string): number => {
    if (p === '') return OFP_PORT;
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${target}: bad port number "${p}"`);
    return n;
  };
  switch (method) {
    case 'tcp': {
      const { host, port } = hostPort(rest);
      if (!host) throw new Error(`${target}: missing host`);
      return { kind: 'tcp', host, port: portNum(port), passive: false };
    }
    case 'ptcp': {
      // ptcp:[PORT][:IP] — the port comes first.
      const i = rest.indexOf(':');
      const port = i < 0 ? rest : rest.slice(0, i);
      let host = i < 0 ? '' : rest.slice(i + 1);
      if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
      return { kind: 'tcp', host: host || '0.0.0.0', port: portNum(port), passive: true };
    }
    case 'unix':
    case 'punix':
      if (!rest) throw new Error(`${target}: missing file name`);
      return { kind: 'unix', path: rest, passive: method === 'punix' };
    case 'ssl':
    case 'pssl':
      throw new Error(`${target}: SSL connections are not supported by ts-vswitchd`);
    default:
      throw new Error(`${target}: unknown connection method "${method}"`);
  }
}

/** Options every connection of one connection manager shares. */
export interface ConnmgrOptions {
  /** bridge name, for connection names in logs */
  bridge: string;
  /** allowed OpenFlow versions (bitmap, bit N = version N), from `Bridge.protocols` */
  allowedVersions: number;
  warn: (text: string) => void;
  info: (text: string) => void;
}

/** One passive endpoint (mgmt socket or ptcp:/punix: controller). */
class Ofservice {
  readonly conns = new Set<Ofconn>();
  private nextId = 1;
  constructor(readonly target: string, readonly type: 'primary' | 'service', readonly server: Server, readonly settings: ControllerSettings, private readonly unixPath?: string) {}

  /** A name for the n-th accepted connection, as OVS logs them ("br0<->unix#3"). */
  connName(bridge: string, t: Target): string {
    return `${bridge}<->${t.kind}#${this.nextId++}`;
  }

  close(): void {
    this.server.close();
    if (this.unixPath) try { unlinkSync(this.unixPath); } catch { /* already gone */ }
    for (const c of this.conns) c.vconn.close('service removed');
  }
}

/** One active controller connection with its reconnect state machine (OVS rconn). */
class ActiveController {
  ofconn?: Ofconn;
  backoffMs = 0;
  timer?: NodeJS.Timeout;
  lastError = '';
  connectedAt?: number;
  disconnectedAt?: number;
  stopped = false;
  constructor(readonly settings: ControllerSettings, readonly target: Target) {}
}

/** The connection manager of one bridge. */
export class Connmgr extends EventEmitter {
  private readonly services = new Map<string, Ofservice>();
  private readonly actives = new Map<string, ActiveController>();
  private readonly queues = new WeakMap<Ofconn, Promise<void>>();

  constructor(private readonly handler: OfconnHandler, private readonly opts: ConnmgrOptions) {
    super();
  }

  /** Every connection that has completed HELLO, primary and service. */
  *connections(): Iterable<Ofconn> {
    for (const s of this.services.values()) for (const c of s.conns) if (c.vconn.connected) yield c;
    for (const a of this.actives.values()) if (a.ofconn?.vconn.connected) yield a.ofconn;
  }

  /** True when at least one primary (controller) connection is up. */
  hasPrimaryConnection(): boolean {
    for (const c of this.connections()) if (c.type === 'primary') return true;
    return false;
  }

  /** Changes the allowed versions for new connections (existing ones keep theirs, as OVS). */
  setAllowedVersions(bitmap: number): void {
    this.opts.allowedVersions = bitmap;
  }

  /**
   * Starts listening on a passive target (`punix:`/`ptcp:`) as a service or primary endpoint.
   * A stale unix socket file is replaced.
   * @throws Error when the target cannot be parsed or bound (EADDRINUSE, EACCES, …)
   */
  async addService(target: string, type: 'primary' | 'service', settings: ControllerSettings): Promise<void> {
    if (this.services.has(target)) return;
    const t = parseTarget(target);
    if (!t.passive) throw new Error(`${target}: not a passive target`);
    const server = createServer({ allowHalfOpen: false });
    let unixPath: string | undefined;
    if (t.kind === 'unix') {
      unixPath = t.path;
      if (existsSync(t.path)) unlinkSync(t.path);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (t.kind === 'unix') server.listen(t.path, () => resolve());
      else server.listen(t.port, t.host, () => resolve());
    });
    server.on('error', (e) => this.opts.warn(`${target}: ${e.message}`));
    const svc = new Ofservice(target, type, server, settings, unixPath);
    server.on('connection', (sock: Socket) => {
      const name = svc.connName(this.opts.bridge, t);
      const ofconn = this.attach(sock, type, target, name, settings.probeIntervalMs);
      svc.conns.add(ofconn);
      ofconn.vconn.on('close', () => svc.conns.delete(ofconn));
    });
    this.services.set(target, svc);
  }

  /** Stops a passive target and drops its connections. */
  removeService(target: string): void {
    const s = this.services.get(target);
    if (!s) return;
    s.close();
    this.services.delete(target);
  }

  /**
   * Makes the set of controllers exactly `controllers` (OVS `connmgr_set_controllers`): passive
   * ones become primary services, active ones connect with reconnect backoff. Targets that
   * disappear are disconnected; unchanged ones keep their connections.
   */
  async setControllers(controllers: ControllerSettings[]): Promise<void> {
    const want = new Map(controllers.map((c) => [c.target, c]));
    for (const [target, s] of [...this.services]) if (s.type === 'primary' && !want.has(target)) this.removeService(target);
    for (const [target, a] of [...this.actives]) {
      if (want.has(target)) continue;
      a.stopped = true;
      clearTimeout(a.timer);
      a.ofconn?.vconn.close('controller removed');
      this.actives.delete(target);
    }
    for (const c of controllers) {
      let t: Target;
      try {
        t = parseTarget(c.target);
      } catch (e) {
        this.opts.warn(`${this.opts.bridge}: ${(e as Error).message}`);
        continue;
      }
      if (t.passive) {
        try {
          await this.addService(c.target, 'primary', c);
        } catch (e) {
          this.opts.warn(`${c.target}: listen failed: ${(e as Error).message}`);
        }
      } else if (!this.actives.has(c.target)) {
        const a = new ActiveController(c, t);
        this.actives.set(c.target, a);
        this.connectActive(a);
      }
    }
  }

  /** The status of every configured controller target, for the `Controller` table. */
  controllerStatus(): Map<string, ControllerStatus> {
    const now = Date.now();
    const out = new Map<string, ControllerStatus>();
    const roleName = (c?: Ofconn): ControllerStatus['role'] => (!c || c.role === 'equal' ? 'other' : c.role === 'primary' ? 'master' : 'slave');
    for (const a of this.actives.values()) {
      const up = !!a.ofconn?.vconn.connected;
      const status: Record<string, string> = { state: up ? 'ACTIVE' : a.timer ? 'BACKOFF' : 'CONNECTING' };
      if (a.connectedAt !== undefined) status.sec_since_connect = String(Math.floor((now - a.connectedAt) / 1000));
      if (a.disconnectedAt !== undefined) status.sec_since_disconnect = String(Math.floor((now - a.disconnectedAt) / 1000));
      if (a.lastError) status.last_error = a.lastError;
      out.set(a.settings.target, { isConnected: up, role: roleName(up ? a.ofconn : undefined), status });
    }
    for (const s of this.services.values()) {
      if (s.type !== 'primary') continue;
      const conns = [...s.conns].filter((c) => c.vconn.connected);
      out.set(s.target, { isConnected: conns.length > 0, role: roleName(conns[0]), status: { state: conns.length ? 'ACTIVE' : 'LISTENING' } });
    }
    return out;
  }

  /**
   * Drops every connection, as `ovs-appctl bridge/reconnect` does (OVS `connmgr_reconnect()`):
   * active controllers reconnect after their backoff, peers of passive ones must connect again.
   */
  reconnect(): void {
    for (const c of [...this.connections()]) {
      this.opts.info(`${c.name}: disconnecting`);
      c.vconn.close('reconnect requested');
    }
  }

  /** Closes every listener and connection. */
  close(): void {
    for (const t of [...this.services.keys()]) this.removeService(t);
    for (const a of this.actives.values()) {
      a.stopped = true;
      clearTimeout(a.timer);
      a.ofconn?.vconn.close('shutting down');
    }
    this.actives.clear();
  }

  private connectActive(a: ActiveController): void {
    if (a.stopped) return;
    a.timer = undefined;
    const t = a.target;
    const sock = t.kind === 'unix' ? createConnection(t.path) : createConnection(t.port, t.host);
    let opened = false;
    const failed = (why: string): void => {
      if (a.stopped) return;
      a.lastError = why;
      a.disconnectedAt = Date.now();
      a.ofconn = undefined;
      // rconn: the first retry after 1 s, doubling up to max_backoff.
      a.backoffMs = Math.min(Math.max(a.backoffMs * 2, 1000), Math.max(a.settings.maxBackoffMs, 1000));
      this.opts.info(`${a.settings.target}: ${opened ? 'connection dropped' : 'connection failed'} (${why}); waiting ${a.backoffMs / 1000} seconds before reconnect`);
      a.timer = setTimeout(() => this.connectActive(a), a.backoffMs);
      this.emit('status');
    };
    sock.once('error', (e: NodeJS.ErrnoException) => {
      if (!opened) failed(e.code === 'ECONNREFUSED' ? 'Connection refused' : e.message);
    });
    sock.once('connect', () => {
      opened = true;
      const ofconn = this.attach(sock, 'primary', a.settings.target, `${this.opts.bridge}<->${a.settings.target}`, a.settings.probeIntervalMs);
      a.ofconn = ofconn;
      ofconn.vconn.once('connected', () => {
        a.backoffMs = 0;
        a.connectedAt = Date.now();
        this.opts.info(`${this.opts.bridge}<->${a.settings.target}: connected`);
        this.emit('status');
      });
      ofconn.vconn.once('close', (why: string) => failed(why));
    });
  }

  /** Wraps a socket into a Vconn + Ofconn and wires message dispatch and probing. */
  private attach(sock: Socket, type: 'primary' | 'service', target: string, name: string, probeIntervalMs: number): Ofconn {
    const vconn = new Vconn(sock, { name, allowedVersions: this.opts.allowedVersions, warn: this.opts.warn });
    const ofconn = new Ofconn(vconn, type, target);
    this.queues.set(ofconn, Promise.resolve());
    let lastRx = Date.now();
    let probeSent = false;
    const probe = probeIntervalMs > 0
      ? setInterval(() => {
          const idle = Date.now() - lastRx;
          if (probeSent && idle >= 2 * probeIntervalMs) {
            this.opts.warn(`${name}: no response to inactivity probe after ${(idle / 1000).toFixed(0)} seconds, disconnecting`);
            vconn.close('inactivity probe timeout');
          } else if (!probeSent && idle >= probeIntervalMs && vconn.connected) {
            probeSent = true;
            vconn.send(encodeMsg('OFPT_ECHO_REQUEST', vconn.version, 0, Buffer.alloc(0)));
          }
        }, Math.max(250, Math.min(1000, probeIntervalMs / 2)))
      : undefined;
    vconn.on('connected', () => this.handler.connected?.(ofconn));
    vconn.on('message', (buf: Buffer) => {
      lastRx = Date.now();
      probeSent = false;
      this.enqueue(ofconn, buf);
    });
    vconn.on('close', () => {
      if (probe) clearInterval(probe);
      this.handler.disconnected?.(ofconn);
      this.emit('status');
    });
    return ofconn;
  }

  /** Handles `buf` after everything received before it on the same connection. */
  private enqueue(ofconn: Ofconn, buf: Buffer): void {
    const prev = this.queues.get(ofconn) ?? Promise.resolve();
    const next = prev.then(() => this.dispatch(ofconn, buf));
    this.queues.set(ofconn, next);
  }

  private async dispatch(ofconn: Ofconn, buf: Buffer): Promise<void> {
    if (ofconn.vconn.closed) return;
    let msg: OfpMsg | undefined;
    try {
      msg = decodeMsg(buf);
      if (msg.type === 'ECHO_REQUEST') {
        ofconn.send(encodeMsg('OFPT_ECHO_REPLY', msg.version, msg.xid, msg.body));
        return;
      }
      if (msg.type === 'ECHO_REPLY' || msg.type === 'HELLO') return;
      await this.handler.handle(ofconn, msg);
    } catch (e) {
      const req = { version: buf[0] || OFP10_VERSION, xid: buf.readUInt32BE(4), data: buf };
      if (e instanceof OfpError) {
        ofconn.sendError(req, e);
      } else {
        this.opts.warn(`${ofconn.name}: failed to handle ${msg?.raw ?? 'message'}: ${(e as Error).stack ?? e}`);
        ofconn.sendError(req, new OfpError('OFPBRC_EPERM', (e as Error).message));
      }
    }
  }
}
