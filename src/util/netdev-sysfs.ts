/**
 * What the kernel says about a network device through sysfs (`/sys/class/net/<name>/…`,
 * Documentation/ABI/testing/sysfs-class-net): ifindex, MAC, administrative and link state,
 * speed and duplex. OpenFlow port descriptions and port status messages are built from it, as
 * OVS's netdev-linux builds them from ioctls and rtnetlink.
 */
import { readFileSync } from 'node:fs';

/** `IFF_UP` in `/sys/class/net/<dev>/flags` (linux/if.h). */
const IFF_UP = 0x1;

/** One network device's state. */
export interface NetdevState {
  ifindex: number;
  /** "aa:bb:cc:dd:ee:ff" */
  mac: string;
  /** administratively up (`IFF_UP`) */
  up: boolean;
  /** carrier present; false when the device is down or has no link */
  carrier: boolean;
  /** link speed, Mb/s; undefined when the driver does not report one */
  speedMbps?: number;
  /** true for full duplex; undefined when unknown */
  fullDuplex?: boolean;
  mtu: number;
}

function readSys(name: string, attr: string): string | undefined {
  try {
    return readFileSync(`/sys/class/net/${name}/${attr}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Reads device `name`'s state from sysfs.
 * @returns undefined when the device does not exist
 */
export function readNetdevState(name: string): NetdevState | undefined {
  const ifindex = Number(readSys(name, 'ifindex'));
  if (!Number.isInteger(ifindex) || ifindex <= 0) return undefined;
  const flags = Number(readSys(name, 'flags') ?? '0');
  const speed = Number(readSys(name, 'speed'));
  const duplex = readSys(name, 'duplex');
  return {
    ifindex,
    mac: readSys(name, 'address') ?? '00:00:00:00:00:00',
    up: (flags & IFF_UP) !== 0,
    carrier: readSys(name, 'carrier') === '1',
    speedMbps: Number.isFinite(speed) && speed > 0 ? speed : undefined,
    fullDuplex: duplex === 'full' ? true : duplex === 'half' ? false : undefined,
    mtu: Number(readSys(name, 'mtu') ?? '0'),
  };
}

/** OpenFlow-style port feature bits as OVS's `enum netdev_features` numbers them. */
export const NETDEV_F = {
  '10MB_HD': 1 << 0, '10MB_FD': 1 << 1, '100MB_HD': 1 << 2, '100MB_FD': 1 << 3,
  '1GB_HD': 1 << 4, '1GB_FD': 1 << 5, '10GB_FD': 1 << 6, '40GB_FD': 1 << 7, '100GB_FD': 1 << 8,
  '1TB_FD': 1 << 9, OTHER: 1 << 10, COPPER: 1 << 11, FIBER: 1 << 12, AUTONEG: 1 << 13,
  PAUSE: 1 << 14, PAUSE_ASYM: 1 << 15,
} as const;

/** A device's link features (OVS `netdev_get_features`), NETDEV_F bits; 0 when unknown. */
export interface NetdevFeatures {
  current: number;
  advertised: number;
  supported: number;
  peer: number;
}

/** ethtool `SUPPORTED_*`/`ADVERTISED_*` bit → NETDEV_F bit (linux/ethtool.h, legacy u32 masks). */
const ETHTOOL_LINK_BITS: ReadonlyArray<[number, number]> = [
  [1 << 0, NETDEV_F['10MB_HD']], [1 << 1, NETDEV_F['10MB_FD']],
  [1 << 2, NETDEV_F['100MB_HD']], [1 << 3, NETDEV_F['100MB_FD']],
  [1 << 4, NETDEV_F['1GB_HD']], [1 << 5, NETDEV_F['1GB_FD']], [1 << 17, NETDEV_F['1GB_FD']],
  [1 << 12, NETDEV_F['10GB_FD']], [1 << 18, NETDEV_F['10GB_FD']], [1 << 19, NETDEV_F['10GB_FD']],
  [1 << 20, NETDEV_F['10GB_FD']], [1 << 23, NETDEV_F['40GB_FD']], [1 << 24, NETDEV_F['40GB_FD']],
  [1 << 25, NETDEV_F['40GB_FD']], [1 << 26, NETDEV_F['40GB_FD']],
  [1 << 6, NETDEV_F.AUTONEG], [1 << 7, NETDEV_F.COPPER], [1 << 10, NETDEV_F.FIBER],
  [1 << 13, NETDEV_F.PAUSE], [1 << 14, NETDEV_F.PAUSE_ASYM],
];

/** `struct ethtool_cmd.port` values that mean copper and fibre (linux/ethtool.h PORT_*). */
const PORT_TP = 0x00, PORT_FIBRE = 0x03;

function linkBits(mask: number): number {
  let f = 0;
  for (const [bit, nf] of ETHTOOL_LINK_BITS) if (mask & bit) f |= nf;
  return f >>> 0;
}

/**
 * Decodes a 44-byte `struct ethtool_cmd` (host byte order, as `ethtoolGset` returns it) into
 * port features the way OVS 3.1's netdev-linux does: supported/advertised from the link mode
 * masks; current from speed (Mb/s) and duplex (0 for a speed OVS has no bit for), plus COPPER
 * or FIBER from `port` and AUTONEG when autonegotiation is on. OVS never fills in the peer's
 * features, so neither do we.
 * @returns all-zero features for an empty buffer (no ethtool support)
 */
export function decodeEthtoolFeatures(cmd: Buffer): NetdevFeatures {
  if (cmd.length < 44) return { current: 0, advertised: 0, supported: 0, peer: 0 };
  const supported = linkBits(cmd.readUInt32LE(4));
  const advertised = linkBits(cmd.readUInt32LE(8));
  const speed = cmd.readUInt16LE(12) | (cmd.readUInt16LE(28) << 16);
  const full = cmd[14] === 1;
  const port = cmd[15];
  const autoneg = cmd[18] === 1;
  let current = 0;
  if (speed === 10) current = full ? NETDEV_F['10MB_FD'] : NETDEV_F['10MB_HD'];
  else if (speed === 100) current = full ? NETDEV_F['100MB_FD'] : NETDEV_F['100MB_HD'];
  else if (speed === 1000) current = full ? NETDEV_F['1GB_FD'] : NETDEV_F['1GB_HD'];
  else if (speed === 10000) current = NETDEV_F['10GB_FD'];
  else if (speed === 40000) current = NETDEV_F['40GB_FD'];
  else if (speed === 100000) current = NETDEV_F['100GB_FD'];
  else if (speed === 1000000) current = NETDEV_F['1TB_FD'];
  if (port === PORT_TP) current |= NETDEV_F.COPPER;
  else if (port === PORT_FIBRE) current |= NETDEV_F.FIBER;
  if (autoneg) current |= NETDEV_F.AUTONEG;
  return { current: current >>> 0, advertised, supported, peer: 0 };
}
