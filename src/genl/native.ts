/**
 * Typed loader for the native addon (`native/`, Rust, Node-API): Generic Netlink sockets that a
 * handler worker can block on with a timeout and read or write in batches, which Node's own
 * sockets cannot do. The addon knows netlink(7), not Open vSwitch; framing lives in
 * `./netlink`.
 *
 * The addon is context-aware: it may be loaded in the main thread and in any number of
 * `worker_threads`, each getting its own instance. Its functions block the calling thread
 * (only `recvBatch` for long: up to its timeout), so call them from workers.
 *
 * Errors thrown by the system calls are `Error`s shaped like Node's own system errors
 * ({@link SyscallError}); bad arguments throw `TypeError`/`RangeError`.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Name the addon is built under (`napi.binaryName` in `native/package.json`). */
const BINARY_NAME = 'ts_vswitchd_native';

/** An `Error` from a failed system call in the addon. */
export interface SyscallError extends Error {
  /** Positive errno, as in `os.constants.errno`. */
  errno: number;
  /** Symbolic errno, e.g. `'ENOBUFS'`. */
  code: string;
  /** The failed call: `'socket'`, `'bind'`, `'poll'`, `'recvmmsg'`, `'sendmmsg'`, `'setsockopt'`, `'close'`, … */
  syscall: string;
}

/** A socket opened by {@link open}. */
export interface NativeSocket {
  /** The file descriptor (close it with {@link close}). */
  fd: number;
  /** The netlink port id the kernel assigned (`nl_pid`): what `OVS_VPORT_ATTR_UPCALL_PID` / `OVS_DP_ATTR_PER_CPU_PIDS` take. */
  portId: number;
}

interface Addon {
  open(rcvbufBytes: number): NativeSocket;
  recvBatch(fd: number, maxDatagrams: number, timeoutMs: number): Buffer[];
  sendBatch(fd: number, msgs: Buffer[]): number;
  close(fd: number): void;
  enableExtAck(portId: number, protocol?: number): boolean;
  lockFile(fd: number): void;
  ethtoolGset(names: Buffer[]): Buffer[];
}

/**
 * Largest datagram {@link recvBatch} receives whole, in bytes (128 KiB: an upcall's packet
 * attribute and a slow-path action list can each reach 64 KiB). Mirrors `DATAGRAM_MAX` in
 * `native/src/sys.rs`.
 */
export const DATAGRAM_MAX = 128 * 1024;

/** Most datagrams one {@link recvBatch} call takes (the kernel's `UIO_MAXIOV`). */
export const BATCH_MAX = 1024;

/**
 * The addon file napi-rs built for this platform in `dir`:
 * `ts_vswitchd_native.<platform>-<arch>[-<abi>].node`, e.g. `….linux-x64-gnu.node`.
 */
function findBinary(dir: string): string | undefined {
  const prefix = `${BINARY_NAME}.${process.platform}-${process.arch}`;
  const libc = isMusl() ? 'musl' : 'gnu';
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.node'));
  } catch {
    return undefined;
  }
  const abi = (f: string): string => f.slice(prefix.length, -'.node'.length);
  const file = files.find((f) => abi(f).includes(libc)) ?? files.find((f) => abi(f) === '');
  return file && path.join(dir, file);
}

function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}

/**
 * The project root: the nearest ancestor of this file holding `native/Cargo.toml`
 * (`dist/src/genl` → three levels up when compiled, `src/genl` → two when run from source).
 */
function projectRoot(): string | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'native', 'Cargo.toml'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

let addon: Addon | undefined;

/**
 * Loads the addon once per thread.
 * @throws Error naming the expected file when the addon has not been built
 */
function load(): Addon {
  if (addon) return addon;
  const dir = path.join(projectRoot() ?? path.resolve(__dirname, '..', '..', '..'), 'native');
  const file = findBinary(dir);
  if (!file) {
    throw new Error(
      `native addon not built: no ${BINARY_NAME}.${process.platform}-${process.arch}*.node in ${dir}; ` +
        'run `npm run build:native` (needs cargo and rustc)',
    );
  }
  addon = require(file) as Addon;
  return addon;
}

/**
 * Opens a Generic Netlink socket: `socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC)`,
 * bound with `nl_pid` 0 so the kernel assigns the port id (read back with getsockname(2)).
 * Sets the receive buffer (`SO_RCVBUFFORCE`, falling back to `SO_RCVBUF`, which the kernel caps
 * at `net.core.rmem_max`; the kernel doubles the value for bookkeeping) and turns on
 * `NETLINK_EXT_ACK` and `NETLINK_CAP_ACK` where supported (netlink(7)), so error replies carry
 * the kernel's text and echo only the request's header.
 * @param rcvbufBytes receive buffer size in bytes; 0 keeps the system default
 * @throws SyscallError from socket/bind/getsockname/setsockopt(SO_RCVBUF)
 */
export function open(rcvbufBytes: number): NativeSocket {
  return load().open(rcvbufBytes);
}

/**
 * Waits up to `timeoutMs` for the socket to become readable (poll(2)), then receives up to
 * `maxDatagrams` datagrams that are already queued, without blocking (recvmmsg(2),
 * `MSG_DONTWAIT`). Each returned Buffer is one datagram, which may hold several netlink
 * messages (split them with `splitMessages`). Blocks the calling thread.
 * @param fd socket from {@link open}
 * @param maxDatagrams 1 … {@link BATCH_MAX}
 * @param timeoutMs how long to wait for the first datagram, in milliseconds; 0 does not wait,
 *   a negative value waits forever
 * @returns the datagrams in arrival order; `[]` when the timeout expired
 * @throws SyscallError `ENOBUFS` (syscall `recvmmsg`) when the kernel dropped messages because
 *   the receive buffer was full and nothing was received in this call (datagrams received
 *   before the overrun are returned first; the next call reports it); `EMSGSIZE` when a datagram
 *   exceeded {@link DATAGRAM_MAX} and was truncated (reported on the next call if other
 *   datagrams came with it); any other poll/recvmmsg error
 */
export function recvBatch(fd: number, maxDatagrams: number, timeoutMs: number): Buffer[] {
  return load().recvBatch(fd, maxDatagrams, timeoutMs);
}

/**
 * Sends each buffer as one datagram to the kernel (`nl_pid` 0) with sendmmsg(2). Each buffer
 * should hold whole netlink messages (e.g. from `encodeGenlMessage`).
 * @returns how many were sent: all, or fewer when a send failed after at least one succeeded
 *   (resend the rest to see the error)
 * @throws SyscallError (syscall `sendmmsg`) when the first datagram cannot be sent, e.g.
 *   `ENOBUFS`, `EMSGSIZE` (larger than `SO_SNDBUF`), `EBADF`
 */
export function sendBatch(fd: number, msgs: Buffer[]): number {
  return load().sendBatch(fd, msgs);
}

/**
 * Closes a socket from {@link open} (close(2)).
 * @throws SyscallError `EBADF` when `fd` is not open
 */
export function close(fd: number): void {
  load().close(fd);
}

/**
 * Turns on `NETLINK_EXT_ACK` and `NETLINK_CAP_ACK` (netlink(7); Linux ≥ 4.12) on a netlink
 * socket this process opened elsewhere and whose descriptor we cannot see (node-netlink's):
 * scans the process's descriptors (`/proc/self/fd`) for the socket of `protocol` bound to
 * `portId`.
 * @param portId the socket's `nl_pid`
 * @param protocol netlink protocol; default `NETLINK_GENERIC` (16)
 * @returns whether the socket was found
 * @throws SyscallError (syscall `setsockopt`) when the kernel refuses the options
 */
export function enableExtAck(portId: number, protocol?: number): boolean {
  return protocol === undefined ? load().enableExtAck(portId) : load().enableExtAck(portId, protocol);
}

/**
 * Takes a write lock on the whole file open at `fd` (fcntl(2) `F_SETLK`/`F_WRLCK`). The lock is
 * the process's while it keeps the file open and closes no descriptor of it (POSIX record locks).
 * @throws Error with `errno`/`code` (`EAGAIN`/`EACCES` when another process holds a lock)
 */
export function lockFile(fd: number): void {
  load().lockFile(fd);
}

/**
 * Reads each device's link settings with the `ETHTOOL_GSET` ioctl (linux/ethtool.h).
 * @param names device names (each shorter than IFNAMSIZ = 16 bytes)
 * @returns per name, the 44-byte `struct ethtool_cmd` in host byte order, or an empty Buffer
 *          when the driver does not answer (no ethtool support, no such device)
 * @throws Error with `errno`/`code` when no socket can be opened for the ioctl
 */
export function ethtoolGset(names: string[]): Buffer[] {
  return load().ethtoolGset(names.map((n) => Buffer.from(n)));
}
