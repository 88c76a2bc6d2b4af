/**
 * `ssl:` and `pssl:` controller connections against the real OVS 3.1 tools: the switch (a
 * BridgeOfproto without datapath, as bridge-ofproto.test.ts runs it) connects to
 * `ovs-testcontroller` over mutual TLS, and `ovs-ofctl` talks to the switch's `pssl:` listener.
 * Certificates come from a throwaway CA made with `openssl` per run; a second CA signs the
 * certificates that must be refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BridgeOfproto, BridgeOfprotoSettings } from '../../src/ofproto-dpif/bridge-ofproto';
import { OFPP_LOCAL } from '../../src/openflow/common';
import { Connmgr, ControllerSettings, parseTarget, SslConfig } from '../../src/openflow/connmgr';
import type { VlogModule } from '../../src/util/vlog';

const run = promisify(execFile);
const ALL_VERSIONS = 0x7e;
let pki: string;

/** Where the PEM files of `name` (a CA or a leaf) are. */
const key = (name: string): string => path.join(pki, `${name}-key.pem`);
const cert = (name: string): string => path.join(pki, `${name}-cert.pem`);

before(() => {
  pki = mkdtempSync(path.join(tmpdir(), 'tsv-pki-'));
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['caA', 'caB']) ssl('req', '-x509', ...ec, '-keyout', key(ca), '-out', cert(ca), '-days', '2', '-subj', `/CN=${ca}`);
  for (const [leaf, ca] of [['switch', 'caA'], ['ctl', 'caA'], ['rogue', 'caB']]) {
    ssl('req', ...ec, '-keyout', key(leaf), '-out', `${leaf}.csr`, '-subj', `/CN=${leaf}`);
    ssl('x509', '-req', '-in', `${leaf}.csr`, '-CA', cert(ca), '-CAkey', key(ca), '-CAcreateserial', '-out', cert(leaf), '-days', '2');
  }
});

after(() => rmSync(pki, { recursive: true, force: true }));

/** The switch's SSL row with its key pair signed by `ca` (and trusting caA unless told). */
function sslConfig(extra: Partial<SslConfig> = {}): SslConfig {
  return { privateKey: key('switch'), certificate: cert('switch'), caCert: cert('caA'), ...extra };
}

/** A log that keeps every line, by level. */
function recordingLog(): VlogModule & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (m: string): void => void lines.push(`${level}|${m}`);
  return { name: 'connmgr', lines, emer: at('EMER'), err: at('ERR'), warn: at('WARN'), info: at('INFO'), dbg: () => undefined, isDbgEnabled: () => false };
}

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Polls `cond` every 50 ms; fails after `ms` (a hang guard, not a timing assertion). */
async function waitFor(what: string, cond: () => boolean, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Switch {
  dir: string;
  ofproto: BridgeOfproto;
  log: ReturnType<typeof recordingLog>;
  close(): void;
}

/** A bridge br0 with controllers, its SSL row set before it starts connecting. */
async function startSwitch(controllers: ControllerSettings[], ssl?: SslConfig, settings: Partial<BridgeOfprotoSettings> = {}): Promise<Switch> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsv-ssl-'));
  const log = recordingLog();
  const ofproto = new BridgeOfproto('br0', {
    log,
    applyFlowDelta: () => undefined,
    portCounters: async () => undefined,
  }, { datapathId: 0x1234n, failMode: 'standalone', allowedVersions: ALL_VERSIONS, controllers, ...settings });
  ofproto.setPorts([
    { desc: { portNo: 1, name: 'p1', hwAddr: '02:00:00:00:00:01', config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0 }, odpPort: 2 },
    { desc: { portNo: OFPP_LOCAL, name: 'br0', hwAddr: '02:00:00:00:00:fe', config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0 }, odpPort: 1 },
  ]);
  ofproto.connmgr.setSslConfig(ssl);
  await ofproto.start(dir);
  return {
    dir, ofproto, log,
    close: () => {
      ofproto.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `ovs-testcontroller` on `pssl:PORT:127.0.0.1` as `leaf`, trusting `ca`, until stopped. */
async function startTestController(port: number, leaf: string, ca: string, ...opts: string[]): Promise<{ proc: ChildProcess; output: () => string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsv-tc-'));
  let output = '';
  const proc = spawn('ovs-testcontroller', [
    `--unixctl=${dir}/tc.ctl`, '-p', key(leaf), '-c', cert(leaf), '-C', cert(ca), ...opts, `pssl:${port}:127.0.0.1`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  proc.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  // Listening once a TCP connection is accepted (the TLS side of this probe just fails there).
  let up = false;
  await waitFor('ovs-testcontroller to listen', () => {
    const s = new Socket();
    s.once('connect', () => ((up = true), s.destroy()));
    s.once('error', () => s.destroy());
    s.connect(port, '127.0.0.1');
    return up;
  });
  return { proc, output: () => output };
}

async function ofctl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run('ovs-ofctl', args, { timeout: 10000 });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { stdout: x.stdout, stderr: x.stderr, code: x.code };
  }
}

/** Strips what changes from run to run: durations and ages. */
function stable(s: string): string {
  return s.replace(/duration=[0-9.]+s/g, 'duration=?').replace(/(idle|hard)_age=[0-9]+/g, '$1_age=?');
}

const controller = (target: string, extra: Partial<ControllerSettings> = {}): ControllerSettings =>
  ({ target, probeIntervalMs: 5000, maxBackoffMs: 1000, ...extra });

test('ssl: and pssl: targets parse like tcp: and ptcp:, port 6653 by default', () => {
  assert.deepEqual(parseTarget('ssl:10.0.0.1'), { kind: 'ssl', host: '10.0.0.1', port: 6653, passive: false });
  assert.deepEqual(parseTarget('ssl:[::1]:6634'), { kind: 'ssl', host: '::1', port: 6634, passive: false });
  assert.deepEqual(parseTarget('pssl:'), { kind: 'ssl', host: '0.0.0.0', port: 6653, passive: true });
  assert.deepEqual(parseTarget('pssl:6640:127.0.0.1'), { kind: 'ssl', host: '127.0.0.1', port: 6640, passive: true });
  assert.throws(() => parseTarget('ssl:'), /missing host/);
});

test('the switch connects to ovs-testcontroller over ssl: and the controller programs it', async () => {
  const port = await freePort();
  const flows = path.join(pki, 'with-flows.txt');
  writeFileSync(flows, 'priority=77,tcp,tp_dst=80,actions=drop\n');
  const tc = await startTestController(port, 'ctl', 'caA', `--with-flows=${flows}`);
  const target = `ssl:127.0.0.1:${port}`;
  const sw = await startSwitch([controller(target)], sslConfig());
  try {
    await waitFor('the controller connection', () => sw.ofproto.connmgr.controllerStatus().get(target)!.isConnected);
    const st = sw.ofproto.connmgr.controllerStatus().get(target)!;
    assert.equal(st.status.state, 'ACTIVE');
    assert.match(st.status.sec_since_connect, /^\d+$/);
    // ovs-testcontroller pushes its --with-flows file once the switch has answered its requests.
    let dump = '';
    const deadline = Date.now() + 15000;
    while (!/priority=77/.test(dump) && Date.now() < deadline) {
      dump = (await ofctl('dump-flows', `unix:${sw.dir}/br0.mgmt`)).stdout;
      if (!/priority=77/.test(dump)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(dump, /priority=77,tcp,tp_dst=80 actions=drop/, tc.output());
  } finally {
    sw.close();
    tc.proc.kill();
  }
});

test('a controller whose certificate another CA signed is refused, and Controller.status says why', async () => {
  const port = await freePort();
  const tc = await startTestController(port, 'rogue', 'caA');
  const target = `ssl:127.0.0.1:${port}`;
  const sw = await startSwitch([controller(target)], sslConfig());
  try {
    await waitFor('a failed attempt', () => sw.ofproto.connmgr.controllerStatus().get(target)!.status.last_error !== undefined);
    const st = sw.ofproto.connmgr.controllerStatus().get(target)!;
    assert.equal(st.isConnected, false);
    assert.equal(st.status.last_error, 'Protocol error');
    assert.equal(st.status.state, 'BACKOFF');
    assert.ok(sw.log.lines.some((l) => /^WARN\|ssl:127\.0\.0\.1:\d+: SSL_connect: /.test(l)), sw.log.lines.join('\n'));
  } finally {
    sw.close();
    tc.proc.kill();
  }
});

test('ovs-ofctl over pssl: sees the same flows as over the unix mgmt socket; a peer of another CA is refused', async () => {
  const port = await freePort();
  const sw = await startSwitch([controller(`pssl:${port}:127.0.0.1`)], sslConfig());
  try {
    const unix = `unix:${sw.dir}/br0.mgmt`;
    assert.equal((await ofctl('add-flow', unix, 'priority=5,udp,actions=output:1')).code, 0);
    const overUnix = await ofctl('dump-flows', unix);
    const tlsArgs = ['-p', key('ctl'), '-c', cert('ctl'), '-C', cert('caA')];
    const overSsl = await ofctl(...tlsArgs, 'dump-flows', `ssl:127.0.0.1:${port}`);
    assert.equal(overSsl.code, 0, overSsl.stderr);
    assert.match(overSsl.stdout, /priority=5,udp actions=output:1/);
    assert.equal(stable(overSsl.stdout), stable(overUnix.stdout));

    const rogue = await ofctl('-p', key('rogue'), '-c', cert('rogue'), '-C', cert('caA'), 'dump-flows', `ssl:127.0.0.1:${port}`);
    assert.notEqual(rogue.code, 0);
    assert.equal(rogue.stdout, '');
    assert.ok(sw.log.lines.some((l) => /^WARN\|pssl:\d+:127\.0\.0\.1: SSL_accept: certificate verify failed/.test(l)), sw.log.lines.join('\n'));
    // ovs-ofctl trusting another CA refuses the switch's certificate in turn.
    const distrust = await ofctl('-p', key('ctl'), '-c', cert('ctl'), '-C', cert('caB'), 'dump-flows', `ssl:127.0.0.1:${port}`);
    assert.notEqual(distrust.code, 0);
  } finally {
    sw.close();
  }
});

test('without an SSL row an ssl: controller fails as OVS does and keeps retrying', async () => {
  const lines: string[] = [];
  const mgr = new Connmgr({ handle: () => undefined }, {
    bridge: 'br0', allowedVersions: ALL_VERSIONS,
    warn: (t) => lines.push(`WARN|${t}`), info: (t) => lines.push(`INFO|${t}`), err: (t) => lines.push(`ERR|${t}`),
  });
  try {
    await mgr.setControllers([controller('ssl:127.0.0.1:9')]);
    const st = mgr.controllerStatus().get('ssl:127.0.0.1:9')!;
    assert.deepEqual({ ...st.status, sec_since_disconnect: undefined }, { state: 'BACKOFF', last_error: 'Protocol not available', sec_since_disconnect: undefined });
    assert.deepEqual(lines.slice(0, 3), [
      'ERR|Private key must be configured to use SSL',
      'ERR|Certificate must be configured to use SSL',
      'ERR|CA certificate must be configured to use SSL',
    ]);
    assert.match(lines[3], /^INFO\|ssl:127\.0\.0\.1:9: connection failed \(Protocol not available\); waiting 1 seconds before reconnect$/);
    // pssl: listens anyway (as OVS does); each accepted connection fails the same way.
    const port = await freePort();
    await mgr.setControllers([controller('ssl:127.0.0.1:9'), controller(`pssl:${port}:127.0.0.1`)]);
    lines.length = 0;
    const sock = new Socket();
    await new Promise<void>((resolve) => {
      sock.once('close', () => resolve());
      sock.once('error', () => undefined);
      sock.connect(port, '127.0.0.1');
    });
    assert.ok(lines.includes('ERR|Private key must be configured to use SSL'), lines.join('\n'));
    // A key that does not belong to the certificate is refused too.
    lines.length = 0;
    mgr.setSslConfig(sslConfig({ privateKey: key('ctl') }));
    await new Promise<void>((resolve) => mgr.once('status', resolve));
    assert.match(lines[0], /^ERR\|Private key does not match certificate public key: /);
  } finally {
    mgr.close();
  }
});

test('renewed certificate files take effect on the next connection attempt', async () => {
  const port = await freePort();
  const tc = await startTestController(port, 'ctl', 'caA');
  const files = mkdtempSync(path.join(tmpdir(), 'tsv-ssl-files-'));
  const mine = { privateKey: path.join(files, 'key.pem'), certificate: path.join(files, 'cert.pem'), caCert: cert('caA') };
  copyFileSync(key('rogue'), mine.privateKey);
  copyFileSync(cert('rogue'), mine.certificate);
  const target = `ssl:127.0.0.1:${port}`;
  const sw = await startSwitch([controller(target)], mine);
  try {
    await waitFor('a refused attempt', () => sw.ofproto.connmgr.controllerStatus().get(target)!.status.last_error !== undefined);
    assert.equal(sw.ofproto.connmgr.controllerStatus().get(target)!.isConnected, false);
    copyFileSync(cert('switch'), mine.certificate);
    copyFileSync(key('switch'), mine.privateKey);
    await waitFor('the connection with the new certificate', () => sw.ofproto.connmgr.controllerStatus().get(target)!.isConnected);
  } finally {
    sw.close();
    tc.proc.kill();
    rmSync(files, { recursive: true, force: true });
  }
});

test('bootstrap_ca_cert saves the CA the controller sends, then connects verified', async () => {
  const port = await freePort();
  const tc = await startTestController(port, 'ctl', 'caA', `--peer-ca-cert=${cert('caA')}`);
  const files = mkdtempSync(path.join(tmpdir(), 'tsv-ssl-boot-'));
  const caFile = path.join(files, 'cacert.pem');
  const target = `ssl:127.0.0.1:${port}`;
  const sw = await startSwitch([controller(target)], sslConfig({ caCert: caFile, bootstrapCaCert: true }));
  try {
    await waitFor('the connection after bootstrapping', () => sw.ofproto.connmgr.controllerStatus().get(target)!.isConnected);
    assert.ok(existsSync(caFile));
    assert.equal(new X509Certificate(readFileSync(caFile)).fingerprint256, new X509Certificate(readFileSync(cert('caA'))).fingerprint256);
    const info = sw.log.lines.filter((l) => l.startsWith('INFO|') && /CA cert/.test(l));
    assert.deepEqual(info.map((l) => l.replace(/\(fingerprint [0-9a-f:]+\)/, '(fingerprint …)')), [
      `INFO|successfully bootstrapped CA cert to ${caFile}`,
      `INFO|Trusting CA cert from ${caFile} (/CN=caA) (fingerprint …)`,
      'INFO|killing successful connection to retry using CA cert',
    ]);
  } finally {
    sw.close();
    tc.proc.kill();
    rmSync(files, { recursive: true, force: true });
  }
});
