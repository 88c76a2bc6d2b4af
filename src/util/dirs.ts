/**
 * Open vSwitch's well-known directories and the default file names derived from them, as
 * `lib/dirs.c` computes them: each directory comes from an environment variable when it is set
 * and non-empty, otherwise from the build-time default of Debian's openvswitch packages.
 *
 * Unlike OVS, which caches each value on first use, every function here reads the environment at
 * call time, so tests (and a parent that edits `process.env` before spawning) see the change.
 *
 * The file names keep OVS's program name, `ovs-vswitchd`, because the tools locate the daemon by
 * it: `ovs-appctl -t ovs-vswitchd` reads `<rundir>/ovs-vswitchd.pid` and then connects to
 * `<rundir>/ovs-vswitchd.<pid>.ctl`.
 */
import * as path from 'path';

/** Our own name, used to prefix messages on stderr (`ts-vswitchd: …`), as OVS prefixes its own. */
export const PROGRAM_NAME = 'ts-vswitchd';

/** The program name OVS's tools use to find our pidfile, control socket and log file. */
export const OVS_PROGRAM_NAME = 'ovs-vswitchd';

function fromEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value ? value : fallback;
}

/** Runtime directory (pidfiles, control sockets): `$OVS_RUNDIR`, else `/var/run/openvswitch`. */
export function rundir(): string {
  return fromEnv('OVS_RUNDIR', '/var/run/openvswitch');
}

/** Log directory: `$OVS_LOGDIR`, else `/var/log/openvswitch`. */
export function logdir(): string {
  return fromEnv('OVS_LOGDIR', '/var/log/openvswitch');
}

/**
 * Database directory: `$OVS_DBDIR`, else `$OVS_SYSCONFDIR/openvswitch` when `OVS_SYSCONFDIR` is
 * set (as `ovs_dbdir()` does), else `/etc/openvswitch`.
 */
export function dbdir(): string {
  const dbdirEnv = process.env.OVS_DBDIR;
  if (dbdirEnv) return dbdirEnv;
  const sysconfdir = process.env.OVS_SYSCONFDIR;
  return sysconfdir ? `${sysconfdir}/openvswitch` : '/etc/openvswitch';
}

/** The OVSDB remote used when no `DATABASE` argument is given: `unix:<rundir>/db.sock`. */
export function defaultDatabase(): string {
  return `unix:${rundir()}/db.sock`;
}

/** The pidfile used by a bare `--pidfile`: `<rundir>/ovs-vswitchd.pid`. */
export function defaultPidfile(): string {
  return `${rundir()}/${OVS_PROGRAM_NAME}.pid`;
}

/** The log file used by a bare `--log-file`: `<logdir>/ovs-vswitchd.log`. */
export function defaultLogFile(): string {
  return `${logdir()}/${OVS_PROGRAM_NAME}.log`;
}

/**
 * The control socket used when `--unixctl` is absent: `<rundir>/ovs-vswitchd.<pid>.ctl`, the
 * name `ovs-appctl -t ovs-vswitchd` derives from the pidfile.
 * @param pid process id; defaults to this process
 */
export function defaultUnixctlPath(pid: number = process.pid): string {
  return `${rundir()}/${OVS_PROGRAM_NAME}.${pid}.ctl`;
}

/**
 * Makes `name` absolute the way OVS's `abs_file_name()` does: an absolute name is kept, a relative
 * one is taken relative to `dir` (used for `--pidfile=FILE` and `--unixctl=SOCKET`, whose relative
 * names live in the rundir).
 */
export function absFileName(dir: string, name: string): string {
  return path.isAbsolute(name) ? name : path.join(dir, name);
}
