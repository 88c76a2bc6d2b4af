/**
 * Test helper: a real `ovsdb-server` (Debian's openvswitch-switch) serving a fresh
 * `vswitch.ovsschema` database from a temporary directory, on a Unix socket.
 *
 * The database is initialised as `ovs-ctl` does (`ovs-vsctl init`), so it holds the
 * Open_vSwitch root row. Layout: DIR/conf.db, DIR/db.sock (the remote is `unix:DIR/db.sock`), DIR/ovsdb.ctl,
 * DIR/ovsdb.pid, DIR/ovsdb.log. The server runs in the foreground as a child of the test
 * process; {@link OvsdbServer.dispose} kills it and removes the directory.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Schema installed by openvswitch-common. */
export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** One ovsdb-server instance on a temporary database. */
export class OvsdbServer {
  private child: ChildProcess | undefined;

  private constructor(readonly dir: string) {}

  /** Path of the database file. */
  get db(): string {
    return path.join(this.dir, 'conf.db');
  }

  /** Path of the Unix socket the server listens on. */
  get socketPath(): string {
    return path.join(this.dir, 'db.sock');
  }

  /** The active remote for clients: `unix:DIR/db.sock`. */
  get remote(): string {
    return `unix:${this.socketPath}`;
  }

  /**
   * Creates the temp dir and database, starts the server and creates the root row.
   * @throws Error when ovsdb-tool fails or the server does not accept connections within 5 s
   */
  static async create(): Promise<OvsdbServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-vswitchd-ovsdb-'));
    const server = new OvsdbServer(dir);
    await execFileP('ovsdb-tool', ['create', server.db, VSWITCH_SCHEMA]);
    await server.start();
    // As ovs-ctl's init_db does: create the Open_vSwitch root row.
    await server.vsctl('init');
    return server;
  }

  /** Starts ovsdb-server on the existing database and waits until its socket accepts connections. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error('ovsdb-server already running');
    const d = this.dir;
    const child = spawn(
      'ovsdb-server',
      [
        this.db,
        `--remote=punix:${this.socketPath}`,
        `--unixctl=${path.join(d, 'ovsdb.ctl')}`,
        `--pidfile=${path.join(d, 'ovsdb.pid')}`,
        '--no-chdir',
        `--log-file=${path.join(d, 'ovsdb.log')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    this.child = child;
    const deadline = Date.now() + 5000;
    while (!(await canConnect(this.socketPath))) {
      if (child.exitCode !== null) throw new Error(`ovsdb-server exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`ovsdb-server did not come up: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Kills the server with `signal` (SIGKILL simulates a crash: the socket file and pidfile stay
   * behind) and waits for it to exit.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  /**
   * Runs `ovs-vsctl --db=REMOTE --no-wait ARGS…` (no ovs-vswitchd runs, so never wait for one).
   * @returns stdout with the trailing newline removed
   * @throws Error with ovs-vsctl's stderr when it exits non-zero
   */
  async vsctl(...args: string[]): Promise<string> {
    const { stdout } = await execFileP('ovs-vsctl', [`--db=${this.remote}`, '--no-wait', '--timeout=5', ...args]);
    return stdout.replace(/\n$/, '');
  }

  /** Stops the server and removes the temporary directory. */
  async dispose(): Promise<void> {
    await this.kill('SIGTERM');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path: socketPath });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
