/**
 * The connection manager of one bridge: every OpenFlow connection the bridge has, as OVS 3.1's
 * `ofproto/connmgr.c` keeps them.
 *
 * - Service connections: the `punix:<rundir>/<bridge>.mgmt` socket `ovs-ofctl` talks to, always
 *   present, and any other passive target the caller adds as a service. They get no asynchronous
 *   messages unless they set a nonzero miss_send_len (OVS: "service connections don't get
 *   asynchronous messages unless they have explicitly asked for them").
 * - Primary connections: the bridge's `Controller` rows — active (`tcp:`, `ssl:`, `unix:`) with
 *   exponential reconnect backoff up to `max_backoff`, or passive (`ptcp:`, `pssl:`, `punix:`).
 *
 * Each connection's messages are decoded and handed to the `OfconnHandler` one at a time, in
 * arrival order (a later message, BARRIER included, is not handled until the earlier one's
 * handler has finished). A message that cannot be decoded is answered with OFPT_ERROR carrying
 * the abstract error's type/code for the connection's version, and the connection lives on.
 * ECHO_REQUEST is answered here. Inactivity probing follows rconn: after `probeIntervalS` of
 * silence an ECHO_REQUEST is sent, after as long again without any message the connection drops.
 *
 * SSL (`ssl:`/`pssl:`) follows OVS's `lib/stream-ssl.c`: the files named by the `SSL` row
 * ({@link SslConfig}) are read whenever a connection is made or accepted (re-read when their
 * modification time changes), both sides must present a certificate signed by `ca_cert`
 * (mutual TLS; host names are not checked), and a missing setting fails every attempt with
 * OVS's error ("Private key must be configured to use SSL", …) and the reconnect backoff.
 *
 * Packet-ins to a primary connection with `controller_rate_limit` go through two packet-in
 * schedulers (table misses, controller actions; see pinsched.ts), as `connmgr_send_async_msg()`.
 */
import { X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, isIP, Server, Socket } from 'node:net';
import * as tls from 'node:tls';
import { getSystemErrorMap } from 'node:util';
import { OFP10_VERSION } from './common';
import { encodeErrorMsg, OfpError } from './ofp-errors';
import { decodeMsg, encodeMsg, OfpMsg } from './ofp-msgs';
import { AsyncConfig, OFP_DEFAULT_MISS_SEND_LEN, PacketInFormat } from './ofp-switch';
import { Pinsched, PinschedStats } from './pinsched';
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

  /** packet-in schedulers [controller actions, table misses] while rate limited (OVS `ofconn->schedulers`) */
  private schedulers?: [Pinsched<Buffer>, Pinsched<Buffer>];
  private pinTimer?: NodeJS.Timeout;

  /** Sends one or more complete OpenFlow messages. */
  send(...msgs: Buffer[]): void {
    for (const m of msgs) this.vconn.send(m);
  }

  /**
   * Sends an encoded packet-in (OVS `connmgr_send_async_msg()` → `pinsched_send()`): at once
   * without a rate limit, else through the scheduler for its kind, which may queue it per
   * ingress port or drop the oldest queued one.
   * @param msg one complete OFPT_PACKET_IN / NXT_PACKET_IN2 message
   * @param inPort the packet's OpenFlow ingress port (`in_port`), the queue it waits in
   * @param isMiss true for table misses (OFPR_NO_MATCH, OFPR_EXPLICIT_MISS, OFPR_IMPLICIT_MISS)
   */
  sendPacketIn(msg: Buffer, inPort: number, isMiss = false): void {
    const ps = this.schedulers?.[isMiss ? 1 : 0];
    if (!ps) {
      this.send(msg);
      return;
    }
    const now = ps.send(inPort, msg);
    if (now) this.send(now);
    else this.armPinsched();
  }

  /**
   * Sets packet-in rate limiting (OVS `ofconn_set_rate_limit()`), from `Controller`
   * `controller_rate_limit` / `controller_burst_limit`.
   * @param rate packet-ins per second; undefined or ≤ 0 removes the limit, dropping what is queued
   * @param burst packet-ins sent back to back and most queued; undefined or ≤ 0: rate / 4
   */
  setRateLimit(rate?: number, burst?: number): void {
    if (rate && rate > 0) {
      if (!this.schedulers) this.schedulers = [new Pinsched(rate, burst ?? 0), new Pinsched(rate, burst ?? 0)];
      else for (const ps of this.schedulers) ps.setLimits(rate, burst ?? 0);
      this.armPinsched();
    } else {
      this.schedulers = undefined;
      clearTimeout(this.pinTimer);
      this.pinTimer = undefined;
    }
  }

  /** The schedulers' counters while rate limited (`pinsched_get_stats()`), else undefined. */
  pinschedStats(): { action: PinschedStats; miss: PinschedStats } | undefined {
    return this.schedulers && { action: this.schedulers[0].stats(), miss: this.schedulers[1].stats() };
  }

  /** Wakes up when a queued packet-in may go (OVS `pinsched_wait()` + `pinsched_run()` in `ofconn_run()`). */
  private armPinsched(): void {
    if (this.pinTimer || !this.schedulers || this.vconn.closed) return;
    const waits = this.schedulers.map((ps) => ps.waitMs()).filter((w): w is number => w !== undefined);
    if (!waits.length) return;
    this.pinTimer = setTimeout(() => {
      this.pinTimer = undefined;
      for (const ps of this.schedulers ?? []) for (const m of ps.run()) this.send(m);
      this.armPinsched();
    }, Math.min(...waits));
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
  /**
   * `Controller.controller_rate_limit`: packet-ins per second this controller receives at most
   * (the schema allows ≥ 100); undefined or 0: unlimited
   */
  controllerRateLimit?: number;
  /**
   * `Controller.controller_burst_limit`: packet-ins sent back to back after a quiet period, and
   * the most queued (schema: ≥ 25); undefined: a quarter of the rate limit. Needs a rate limit.
   */
  controllerBurstLimit?: number;
  /**
   * `Controller.connection_mode` (`Bridge` default: in-band). Accepted and ignored: this daemon
   * installs no in-band hidden flows, so every controller is reached out of band.
   */
  connectionMode?: 'in-band' | 'out-of-band';
}

/** The connection status OVS writes into `Controller.is_connected`, `role` and `status`. */
export interface ControllerStatus {
  isConnected: boolean;
  role: 'other' | 'master' | 'slave';
  /**
   * `Controller.status` keys: state, sec_since_connect, sec_since_disconnect, last_error, and
   * with a rate limit packet-in-{action,miss}-{backlog,bypassed,queued,dropped}
   */
  status: Record<string, string>;
}

/** A parsed connection target (ovs-vswitchd.conf.db(5) "Controller" → "target"). */
export type Target =
  | { kind: 'tcp' | 'ssl'; host: string; port: number; passive: boolean }
  | { kind: 'unix'; path: string; passive: boolean };

/**
 * Parses a connection target: `tcp:IP[:PORT]`, `ssl:IP[:PORT]`, `unix:FILE`,
 * `ptcp:[PORT][:IP]`, `pssl:[PORT][:IP]`, `punix:FILE`. The port defaults to 6653; IPv6
 * addresses go in brackets (`tcp:[::1]:6653`).
 * @throws Error naming the target when the method is unknown, the host is missing or the port is bad
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
    case 'tcp':
    case 'ssl': {
      const { host, port } = hostPort(rest);
      if (!host) throw new Error(`${target}: missing host`);
      return { kind: method, host, port: portNum(port), passive: false };
    }
    case 'ptcp':
    case 'pssl': {
      // ptcp:[PORT][:IP] — the port comes first.
      const i = rest.indexOf(':');
      const port = i < 0 ? rest : rest.slice(0, i);
      let host = i < 0 ? '' : rest.slice(i + 1);
      if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
      return { kind: method === 'ptcp' ? 'tcp' : 'ssl', host: host || '0.0.0.0', port: portNum(port), passive: true };
    }
    case 'unix':
    case 'punix':
      if (!rest) throw new Error(`${target}: missing file name`);
      return { kind: 'unix', path: rest, passive: method === 'punix' };
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
  /** errors (OVS logs SSL configuration problems at ERR); `warn` when absent */
  err?: (text: string) => void;
}

/**
 * The `SSL` row (ovs-vswitchd.conf.db(5) "SSL"): names of PEM files. OVS 3.1 has no columns for
 * protocols and ciphers; it takes them from ovs-vswitchd's `--ssl-protocols` and `--ssl-ciphers`.
 */
export interface SslConfig {
  /** `SSL.private_key`: this switch's private key */
  privateKey: string;
  /** `SSL.certificate`: the certificate of that key, signed by a CA the peers trust */
  certificate: string;
  /** `SSL.ca_cert`: the CA certificate(s) a peer's certificate must be signed by; "none" disables the check */
  caCert: string;
  /** `SSL.bootstrap_ca_cert`: while `caCert` does not exist, take the CA from the first peer's chain and save it there */
  bootstrapCaCert?: boolean;
  /** allowed versions, words of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 separated by commas or spaces (`--ssl-protocols`) */
  protocols?: string;
  /** OpenSSL cipher list for TLSv1.2 and earlier (`--ssl-ciphers`); default "HIGH:!aNULL:!MD5" as OVS */
  ciphers?: string;
}

/** OVS's default `--ssl-ciphers`. */
const SSL_DEFAULT_CIPHERS = 'HIGH:!aNULL:!MD5';
const SSL_PROTOCOLS: readonly tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** What a connection needs from the SSL configuration as it is now. */
interface SslState {
  /** identifies the configuration and the files' versions: same stamp, same context */
  stamp: string;
  options: tls.SecureContextOptions;
  context: tls.SecureContext;
  /** peer certificates must verify against ca_cert (false for ca_cert "none") */
  verify: boolean;
  /** ca_cert does not exist yet and is to be bootstrapped from the peer */
  bootstrap: boolean;
}

/** The text `ovs_strerror()` gives for a system error (e.g. "Connection refused"), else the message. */
function errnoText(e: NodeJS.ErrnoException): string {
  const entry = typeof e.errno === 'number' ? getSystemErrorMap().get(e.errno) : undefined;
  return entry ? entry[1].charAt(0).toUpperCase() + entry[1].slice(1) : e.message;
}

/**
 * An OpenSSL error as OVS prints `ERR_error_string()` ("error:0A000418:SSL routines::tlsv1 alert
 * unknown ca"); certificate verification errors keep Node's text ("self-signed certificate …").
 */
function sslErrorText(e: Error & { library?: string; reason?: string }): string {
  const code = /error:([0-9A-F]{8}):/.exec(e.message)?.[1];
  return code && e.library && e.reason ? `error:${code}:${e.library}::${e.reason}` : e.message.trim();
}

/** `ovs_strerror(ENOPROTOOPT)`: an SSL connection attempt without a usable configuration. */
const ENOPROTOOPT_TEXT = 'Protocol not available';
/** `ovs_strerror(EPROTO)`: an SSL handshake that failed or was refused. */
const EPROTO_TEXT = 'Protocol error';

/** The SSL configuration and its loaded files (the global state of OVS's stream-ssl.c). */
class StreamSsl {
  private cfg?: SslConfig;
  private cached?: SslState;

  constructor(private readonly log: { err: (t: string) => void; warn: (t: string) => void; info: (t: string) => void }) {}

  set(cfg: SslConfig | undefined): void {
    this.cfg = cfg;
  }

  /**
   * The configuration with its files read, re-read only when a name or a file's modification
   * time changes; undefined (after logging why, as `new_ssl_stream()` does) when unusable.
   */
  load(): SslState | undefined {
    const c = this.cfg;
    const missing: string[] = [];
    if (!c?.privateKey) missing.push('Private key must be configured to use SSL');
    if (!c?.certificate) missing.push('Certificate must be configured to use SSL');
    if (!c?.caCert) missing.push('CA certificate must be configured to use SSL');
    if (!c || missing.length) {
      for (const m of missing) this.log.err(m);
      return undefined;
    }
    const verify = c.caCert !== 'none';
    const bootstrap = verify && !!c.bootstrapCaCert && !existsSync(c.caCert);
    const version = (f: string): string => {
      try {
        const st = statSync(f);
        return `${st.mtimeMs}/${st.size}`;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code ?? 'error';
      }
    };
    const stamp = JSON.stringify([c, version(c.privateKey), version(c.certificate), verify && !bootstrap ? version(c.caCert) : '', bootstrap]);
    if (this.cached?.stamp === stamp) return this.cached;

    const read = (file: string, fail: string[]): Buffer | undefined => {
      try {
        return readFileSync(file);
      } catch (e) {
        for (const f of fail) this.log.err(f.replace('%s', `${file}: ${errnoText(e as NodeJS.ErrnoException)}`));
        return undefined;
      }
    };
    const key = read(c.privateKey, ['SSL_use_PrivateKey_file: %s', 'Private key must be configured to use SSL']);
    const cert = read(c.certificate, ['SSL_use_certificate_file: %s', 'Certificate must be configured to use SSL']);
    const ca = verify && !bootstrap ? read(c.caCert, ['failed to load client certificates from %s']) : undefined;
    if (!key || !cert || (verify && !bootstrap && !ca)) return undefined;

    const options: tls.SecureContextOptions = { key, cert, ca, ciphers: c.ciphers ?? SSL_DEFAULT_CIPHERS, ...this.protocols(c.protocols) };
    let context: tls.SecureContext;
    try {
      context = tls.createSecureContext(options);
    } catch (e) {
      const msg = (e as Error).message;
      this.log.err(/key values mismatch/.test(msg) ? `Private key does not match certificate public key: ${msg}` : `SSL_CTX: ${msg}`);
      return undefined;
    }
    if (!verify && (!this.cached || this.cached.verify)) this.log.warn('Peer certificate validation disabled (this is a security risk)');
    this.cached = { stamp, options, context, verify, bootstrap };
    return this.cached;
  }

  /**
   * `stream_ssl_set_protocols()`: the range of versions a protocol list allows (Node takes a
   * range, so a list with a gap allows the versions in between too). An invalid list is logged
   * and ignored, leaving Node's default range.
   */
  private protocols(list: string | undefined): { minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion } {
    if (list === undefined) return {};
    const words = list.split(/[ ,\t]+/).filter((w) => w);
    if (!words.length) {
      this.log.err('SSL protocol settings invalid');
      return {};
    }
    const idx: number[] = [];
    for (const w of words) {
      const i = SSL_PROTOCOLS.findIndex((p) => p.toLowerCase() === w.toLowerCase());
      if (i < 0) {
        this.log.err(`${w}: SSL protocol not recognized`);
        return {};
      }
      idx.push(i);
    }
    return { minVersion: SSL_PROTOCOLS[Math.min(...idx)], maxVersion: SSL_PROTOCOLS[Math.max(...idx)] };
  }

  /**
   * `do_ca_cert_bootstrap()`: saves the self-signed certificate at the end of the peer's chain
   * as ca_cert (created exclusively, mode 0444). The caller drops the connection either way,
   * so the next one is verified against the saved CA.
   */
  bootstrapCaCert(sock: tls.TLSSocket): void {
    const file = this.cfg!.caCert;
    let cert = sock.getPeerCertificate(true);
    if (!cert?.raw) {
      this.log.err('could not bootstrap CA cert: no certificate presented by peer');
      return;
    }
    let n = 1;
    while (cert.issuerCertificate?.raw && cert.issuerCertificate.fingerprint256 !== cert.fingerprint256) {
      cert = cert.issuerCertificate;
      n++;
    }
    const x = new X509Certificate(cert.raw);
    if (!x.checkIssued(x) || !x.verify(x.publicKey)) {
      this.log.err('could not bootstrap CA cert: obtained certificate is not self-signed');
      if (n < 2) this.log.err('only one certificate was received, so probably the peer is not configured to send its CA certificate');
      return;
    }
    try {
      writeFileSync(file, x.toString(), { flag: 'wx', mode: 0o444 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') this.log.info(`reading CA cert ${file} created by another process`);
      else this.log.err(`could not bootstrap CA cert: creating ${file} failed: ${errnoText(e as NodeJS.ErrnoException)}`);
      return;
    }
    this.log.info(`successfully bootstrapped CA cert to ${file}`);
    const subject = '/' + x.subject.split('\n').join('/');
    this.log.info(`Trusting CA cert from ${file} (${subject}) (fingerprint ${x.fingerprint.toLowerCase()})`);
    this.log.info('killing successful connection to retry using CA cert');
  }
}

/** One passive endpoint (mgmt socket or ptcp:/pssl:/punix: controller). */
class Ofservice {
  readonly conns = new Set<Ofconn>();
  private nextId = 1;
  /** pssl: the TLS side of accepted sockets, and the SSL state it was last set up with */
  tls?: tls.Server;
  ssl?: SslState;
  constructor(readonly target: string, readonly type: 'primary' | 'service', readonly server: Server, public settings: ControllerSettings, private readonly unixPath?: string) {}

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
  /**
   * rconn's `last_admitted`: when the controller last showed it accepted the switch (a message
   * other than HELLO, ECHO or FEATURES_REQUEST on the current connection), initially creation
   */
  lastAdmittedMs = Date.now();
  /** the current connection has been admitted */
  admitted = false;
  stopped = false;
  constructor(public settings: ControllerSettings, readonly target: Target) {}
}

/** The connection manager of one bridge. */
export class Connmgr extends EventEmitter {
  private readonly services = new Map<string, Ofservice>();
  private readonly actives = new Map<string, ActiveController>();
  private readonly queues = new WeakMap<Ofconn, Promise<void>>();
  private readonly ssl: StreamSsl;

  constructor(private readonly handler: OfconnHandler, private readonly opts: ConnmgrOptions) {
    super();
    this.ssl = new StreamSsl({ err: (t) => (opts.err ?? opts.warn)(t), warn: (t) => opts.warn(t), info: (t) => opts.info(t) });
  }

  /**
   * Sets the SSL configuration `ssl:`/`pssl:` connections use (the `SSL` row; undefined when
   * there is none). Existing connections keep theirs; the next connection made or accepted
   * reads the files, as OVS re-reads them when they change.
   */
  setSslConfig(cfg: SslConfig | undefined): void {
    this.ssl.set(cfg);
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
   * Starts listening on a passive target (`punix:`/`ptcp:`/`pssl:`) as a service or primary
   * endpoint. A stale unix socket file is replaced. `pssl:` listens even without an SSL
   * configuration (each accepted connection then fails, as in OVS).
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
    const accept = (sock: Socket): void => {
      const name = svc.connName(this.opts.bridge, t);
      const ofconn = this.attach(sock, type, target, name, svc.settings);
      svc.conns.add(ofconn);
      ofconn.vconn.on('close', () => svc.conns.delete(ofconn));
    };
    server.on('connection', (sock: Socket) => (t.kind === 'ssl' ? this.acceptSsl(svc, sock, accept) : accept(sock)));
    this.services.set(target, svc);
  }

  /** Runs the server side of the TLS handshake on an accepted `pssl:` socket, then `accept`s it if the peer verifies. */
  private acceptSsl(svc: Ofservice, sock: Socket, accept: (sock: Socket) => void): void {
    const ssl = this.ssl.load();
    if (!ssl) {
      sock.destroy();
      return;
    }
    if (!svc.tls) {
      // Never listens: accepted sockets are handed to it (Node's documented 'connection' injection).
      const server = tls.createServer({ requestCert: true, rejectUnauthorized: false });
      server.on('tlsClientError', (e) => this.opts.warn(`${svc.target}: SSL_accept: ${sslErrorText(e)}`));
      server.on('secureConnection', (ts: tls.TLSSocket) => {
        const st = svc.ssl!;
        if (st.bootstrap) {
          this.ssl.bootstrapCaCert(ts);
          ts.destroy();
        } else if (st.verify && !ts.authorized) {
          this.opts.warn(`${svc.target}: SSL_accept: certificate verify failed (${ts.authorizationError})`);
          ts.destroy();
        } else {
          accept(ts);
        }
      });
      svc.tls = server;
    }
    if (svc.ssl?.stamp !== ssl.stamp) svc.tls.setSecureContext(ssl.options);
    svc.ssl = ssl;
    svc.tls.emit('connection', sock);
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
      const svc = this.services.get(c.target);
      const active = this.actives.get(c.target);
      if (svc) {
        if (svc.type !== 'primary') continue;
        // OVS ofconn_reconfigure(): new limits apply to the live connections too.
        svc.settings = c;
        for (const o of svc.conns) o.setRateLimit(c.controllerRateLimit, c.controllerBurstLimit);
      } else if (active) {
        active.settings = c;
        active.ofconn?.setRateLimit(c.controllerRateLimit, c.controllerBurstLimit);
      } else if (t.passive) {
        try {
          await this.addService(c.target, 'primary', c);
        } catch (e) {
          this.opts.warn(`${c.target}: listen failed: ${(e as Error).message}`);
        }
      } else {
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
      pinschedStatus(status, a.ofconn);
      out.set(a.settings.target, { isConnected: up, role: roleName(up ? a.ofconn : undefined), status });
    }
    for (const s of this.services.values()) {
      if (s.type !== 'primary') continue;
      const conns = [...s.conns].filter((c) => c.vconn.connected);
      const status: Record<string, string> = { state: conns.length ? 'ACTIVE' : 'LISTENING' };
      pinschedStatus(status, conns[0]);
      out.set(s.target, { isConnected: conns.length > 0, role: roleName(conns[0]), status });
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
    let opened = false;
    let done = false;
    const failed = (why: string): void => {
      if (a.stopped || done) return;
      done = true;
      a.lastError = why;
      a.disconnectedAt = Date.now();
      if (a.admitted) a.lastAdmittedMs = a.disconnectedAt;
      a.admitted = false;
      a.ofconn = undefined;
      // rconn: the first retry after 1 s, doubling up to max_backoff.
      a.backoffMs = Math.min(Math.max(a.backoffMs * 2, 1000), Math.max(a.settings.maxBackoffMs, 1000));
      this.opts.info(`${a.settings.target}: ${opened ? 'connection dropped' : 'connection failed'} (${why}); waiting ${a.backoffMs / 1000} seconds before reconnect`);
      a.timer = setTimeout(() => this.connectActive(a), a.backoffMs);
      this.emit('status');
    };
    let sock: Socket;
    let ssl: SslState | undefined;
    if (t.kind === 'ssl') {
      ssl = this.ssl.load();
      if (!ssl) {
        failed(ENOPROTOOPT_TEXT);
        return;
      }
      sock = tls.connect({
        host: t.host, port: t.port, secureContext: ssl.context,
        // While bootstrapping there is no CA to verify against yet; OVS never checks host names.
        rejectUnauthorized: ssl.verify && !ssl.bootstrap, checkServerIdentity: () => undefined,
        // SNI carries host names only, never addresses (RFC 6066 §3, OVS get_server_name()).
        servername: isIP(t.host) ? undefined : t.host,
      });
    } else {
      sock = t.kind === 'unix' ? createConnection(t.path) : createConnection(t.port, t.host);
    }
    // An SSL error (one without errno) is EPROTO to rconn, as stream-ssl.c reports it; with
    // TLSv1.3 the server's verdict on our certificate arrives after the handshake, hence `opened`.
    let sslError = false;
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const isSsl = !!ssl && typeof e.errno !== 'number';
      if (isSsl) this.opts.warn(`${a.settings.target}: ${opened ? 'SSL_read' : 'SSL_connect'}: ${sslErrorText(e)}`);
      if (opened) {
        sslError ||= isSsl;
        return;
      }
      sock.destroy();
      failed(isSsl ? EPROTO_TEXT : errnoText(e));
    });
    sock.once(ssl ? 'secureConnect' : 'connect', () => {
      if (ssl?.bootstrap) {
        this.ssl.bootstrapCaCert(sock as tls.TLSSocket);
        sock.destroy();
        failed(EPROTO_TEXT);
        return;
      }
      opened = true;
      const ofconn = this.attach(sock, 'primary', a.settings.target, `${this.opts.bridge}<->${a.settings.target}`, a.settings);
      a.ofconn = ofconn;
      ofconn.vconn.once('connected', () => {
        a.backoffMs = 0;
        a.connectedAt = Date.now();
        this.opts.info(`${this.opts.bridge}<->${a.settings.target}: connected`);
        this.emit('status');
      });
      ofconn.vconn.once('close', (why: string) => failed(sslError ? EPROTO_TEXT : why));
    });
  }

  /** rconn admission: a primary connection's controller sent a real request. */
  private noteAdmitted(ofconn: Ofconn): void {
    for (const a of this.actives.values()) {
      if (a.ofconn !== ofconn) continue;
      a.lastAdmittedMs = Date.now();
      if (!a.admitted) {
        a.admitted = true;
        this.emit('admitted');
      }
    }
  }

  /**
   * OVS `connmgr_failure_duration()`: seconds since the least-recently-failing active controller
   * was last admitted (0 when one is admitted now, or when there are no active controllers).
   */
  failureDurationS(now = Date.now()): number {
    let min = Infinity;
    for (const a of this.actives.values()) min = Math.min(min, a.admitted ? 0 : Math.floor((now - a.lastAdmittedMs) / 1000));
    return min === Infinity ? 0 : min;
  }

  /** OVS `connmgr_is_any_controller_admitted()`. */
  isAnyControllerAdmitted(): boolean {
    for (const a of this.actives.values()) if (a.admitted) return true;
    return false;
  }

  /** OVS `connmgr_get_max_probe_interval()`, seconds: the longest inactivity probe of the active controllers. */
  maxProbeIntervalS(): number {
    let max = 0;
    for (const a of this.actives.values()) max = Math.max(max, Math.floor(a.settings.probeIntervalMs / 1000));
    return max;
  }

  /** Wraps a socket into a Vconn + Ofconn and wires message dispatch, probing and (primary only) rate limiting. */
  private attach(sock: Socket, type: 'primary' | 'service', target: string, name: string, settings: ControllerSettings): Ofconn {
    const probeIntervalMs = settings.probeIntervalMs;
    const vconn = new Vconn(sock, { name, allowedVersions: this.opts.allowedVersions, warn: this.opts.warn });
    const ofconn = new Ofconn(vconn, type, target);
    if (type === 'primary') ofconn.setRateLimit(settings.controllerRateLimit, settings.controllerBurstLimit);
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
      // OVS ofconn_destroy(): queued packet-ins go with the connection.
      ofconn.setRateLimit(undefined);
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
      if (msg.type === 'ECHO_REPLY') return;
      // A HELLO after version negotiation is an error, as in OVS (handle_openflow__ has no case for it).
      if (msg.type === 'HELLO') throw new OfpError('OFPBRC_BAD_TYPE', 'HELLO after negotiation');
      if (ofconn.type === 'primary' && msg.type !== 'FEATURES_REQUEST') this.noteAdmitted(ofconn);
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

/** Adds the packet-in scheduler counters of `ofconn` to a `Controller.status` map (`connmgr_get_controller_info()`). */
function pinschedStatus(status: Record<string, string>, ofconn: Ofconn | undefined): void {
  const stats = ofconn?.pinschedStats();
  if (!stats) return;
  for (const [kind, st] of Object.entries(stats)) {
    status[`packet-in-${kind}-backlog`] = String(st.nQueued);
    status[`packet-in-${kind}-bypassed`] = String(st.nNormal);
    status[`packet-in-${kind}-queued`] = String(st.nLimited);
    status[`packet-in-${kind}-dropped`] = String(st.nQueueDropped);
  }
}
