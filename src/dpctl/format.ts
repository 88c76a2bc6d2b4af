/**
 * Text of datapath flows as `ovs-dpctl` prints them (OVS 3.1 lib/odp-util.c
 * `odp_flow_format()`, `odp_format_ufid()`, lib/dpif.c `dpif_flow_stats_format()`,
 * lib/packets.c `packet_format_tcp_flags()`, lib/dpctl.c `format_dpif_flow()`), on top of the
 * attribute formatters of `genl/flow-key.ts` and `genl/actions.ts`.
 */
import { formatUfid } from '../dpif-netlink/ufid';
import { formatFlowKeyBytes } from '../genl/flow-key';
import { formatActions, type OdpAction } from '../genl/actions';

/** odp port number → port name, for `--names`. */
export type PortNames = ReadonlyMap<number, string>;

/**
 * `odp_format_ufid()`: `ufid:` + the 128 bits as OVS's `struct uuid` prints them. OVS keeps a
 * UFID as four host-order (little-endian) u32 words and sends them to the kernel as raw memory,
 * so the text is word 0, word 1 split in two 16-bit halves, word 2 likewise, then word 3:
 * `ufid:%08x-%04x-%04x-%04x-%04x%08x`.
 * @param ufid the OVS_FLOW_ATTR_UFID payload (16 bytes)
 */
export function formatUfidText(ufid: Buffer): string {
  return formatUfid(ufid);
}

/**
 * `odp_ufid_from_string()`: when `s` starts with `ufid:`, parses the 36-character UUID after it.
 * @returns `{ n: 0 }` when `s` has no `ufid:` prefix; `{ n: -1 }` when the UUID is malformed;
 *   else the UFID bytes (as the kernel gets them) and `n`, the characters consumed
 */
export function parseUfidText(s: string): { n: number; ufid?: Buffer } {
  if (!s.startsWith('ufid:')) return { n: 0 };
  const u = s.slice(5, 41);
  const m = /^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})([0-9a-fA-F]{8})$/.exec(u);
  if (!m) return { n: -1 };
  const words = [parseInt(m[1], 16), parseInt(m[2] + m[3], 16), parseInt(m[4] + m[5], 16), parseInt(m[6], 16)];
  const ufid = Buffer.alloc(16);
  words.forEach((w, i) => ufid.writeUInt32LE(w >>> 0, i * 4));
  return { n: 41, ufid };
}

/** Flow statistics as the kernel reports them. */
export interface FlowStatsText {
  packets: bigint;
  bytes: bigint;
  /** OVS_FLOW_ATTR_USED: CLOCK_MONOTONIC milliseconds of the last hit; 0/undefined = never. */
  used?: bigint;
  /** OVS_FLOW_ATTR_TCP_FLAGS: TCP flags seen (0/undefined = none). */
  tcpFlags?: number;
}

/** CLOCK_MONOTONIC in milliseconds (OVS's `time_msec()`; libuv's hrtime is that clock). */
export function monotonicMs(): bigint {
  return process.hrtime.bigint() / 1_000_000n;
}

/** `packet_format_tcp_flags()`: `S`, `F`, `P`, `R`, `U`, `.`, `E`, `C`, `N`, `[200]`… */
export function formatTcpFlags(flags: number): string {
  if (!flags) return 'none';
  let s = '';
  const letters: [number, string][] = [
    [0x002, 'S'], [0x001, 'F'], [0x008, 'P'], [0x004, 'R'], [0x020, 'U'], [0x010, '.'],
    [0x040, 'E'], [0x080, 'C'], [0x100, 'N'], [0x200, '[200]'], [0x400, '[400]'], [0x800, '[800]'],
  ];
  for (const [bit, text] of letters) if (flags & bit) s += text;
  return s;
}

/**
 * `dpif_flow_stats_format()`: `packets:N, bytes:N, used:X.XXXs|never[, flags:…]`.
 * @param nowMs the current CLOCK_MONOTONIC time in ms (the kernel's `used` is on that clock)
 */
export function formatFlowStats(s: FlowStatsText, nowMs: bigint = monotonicMs()): string {
  let out = `packets:${s.packets}, bytes:${s.bytes}, used:`;
  out += s.used ? `${(Number(nowMs - s.used) / 1000).toFixed(3)}s` : 'never';
  if (s.tcpFlags) out += `, flags:${formatTcpFlags(s.tcpFlags)}`;
  return out;
}

/**
 * `odp_flow_format()`: the key's attributes, masked by `mask` when given (wildcarded ones left
 * out unless `verbose`), `<empty>` for an empty key, in_port as a port name when `portNames`
 * knows it (see `formatFlowKeyBytes()` of genl/flow-key).
 * @param key OVS_KEY_ATTR_* attributes
 * @param mask OVS_KEY_ATTR_* mask attributes; undefined or empty for none
 */
export function formatOdpFlow(key: Buffer, mask: Buffer | undefined, portNames: PortNames | undefined, verbose: boolean): string {
  return formatFlowKeyBytes(key, mask && mask.length ? mask : undefined, verbose, portNames);
}

/**
 * `format_odp_actions()`: `drop` for none; output ports as names when `portNames` knows them.
 */
export function formatOdpActions(actions: OdpAction[], portNames: PortNames | undefined): string {
  if (!portNames || actions.length === 0) return formatActions(actions);
  return actions
    .map((a) => (a.type === 'output' && portNames.has(a.port) ? (portNames.get(a.port) as string) : formatActions([a])))
    .join(',');
}

/** `print_human_size()`: ` (1.5 KiB)` etc. for 1024 bytes and more, else nothing. */
export function humanSize(value: bigint | undefined): string {
  if (value === undefined) return '';
  const v = Number(value);
  const units: [number, string][] = [[1024 ** 4, 'TiB'], [1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']];
  for (const [size, unit] of units) if (value >= BigInt(size)) return ` (${(v / size).toFixed(1)} ${unit})`;
  return '';
}
