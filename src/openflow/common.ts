/**
 * What every OpenFlow module shares: protocol version numbers and the reserved port numbers.
 *
 * Port numbers are held internally in OpenFlow 1.0's 16-bit space, as OVS does (`ofp_port_t`):
 * physical ports 1..0xfeff, reserved ports 0xfff8..0xffff. OpenFlow 1.1+ carries 32-bit port
 * numbers on the wire, where the reserved ports are 0xfffffff8..0xffffffff (OpenFlow 1.1 §A.2.1);
 * `ofp11PortToOfp10`/`ofp10PortToOfp11` convert (0xffffff00..0xffffffff ↔ 0xff00..0xffff).
 */

/** `ofp_header.version` values (OpenFlow 1.0 §A.1 … 1.5 §7.1). */
export const OFP10_VERSION = 0x01;
export const OFP11_VERSION = 0x02;
export const OFP12_VERSION = 0x03;
export const OFP13_VERSION = 0x04;
export const OFP14_VERSION = 0x05;
export const OFP15_VERSION = 0x06;

/** The versions this switch speaks, lowest first. */
export const SUPPORTED_VERSIONS = [OFP10_VERSION, OFP11_VERSION, OFP12_VERSION, OFP13_VERSION,
  OFP14_VERSION, OFP15_VERSION] as const;

/** Version names as `ovs-ofctl -O` and `Bridge.protocols` spell them. */
export const VERSION_NAMES: Record<number, string> = {
  [OFP10_VERSION]: 'OpenFlow10', [OFP11_VERSION]: 'OpenFlow11', [OFP12_VERSION]: 'OpenFlow12',
  [OFP13_VERSION]: 'OpenFlow13', [OFP14_VERSION]: 'OpenFlow14', [OFP15_VERSION]: 'OpenFlow15',
};

/** `ofp_header` is 8 bytes: version, type, length (network order), xid (OpenFlow 1.0 §5.1). */
export const OFP_HEADER_LEN = 8;

/** Reserved ports, 16-bit numbering (OpenFlow 1.0 §5.2.1 `enum ofp_port`). */
export const OFPP_MAX = 0xff00;
export const OFPP_UNSET = 0xfff7;
export const OFPP_IN_PORT = 0xfff8;
export const OFPP_TABLE = 0xfff9;
export const OFPP_NORMAL = 0xfffa;
export const OFPP_FLOOD = 0xfffb;
export const OFPP_ALL = 0xfffc;
export const OFPP_CONTROLLER = 0xfffd;
export const OFPP_LOCAL = 0xfffe;
export const OFPP_NONE = 0xffff;
/** OpenFlow 1.1+'s name for "no port" (`OFPP_ANY` = 0xffffffff on the wire). */
export const OFPP_ANY = OFPP_NONE;

/** Offset between 32-bit OpenFlow 1.1+ reserved/high ports and their 16-bit counterparts. */
const OFPP11_OFFSET = 0xffff0000;
/** The first 32-bit port number that maps onto the 16-bit reserved range (OFPP11_MAX). */
export const OFPP11_MAX = 0xffffff00;

/** `OFPG_ANY` / `OFPG_ALL`: "any group" and "all groups" (OpenFlow 1.1 §A.3.5). */
export const OFPG_MAX = 0xffffff00;
export const OFPG_ALL = 0xfffffffc;
export const OFPG_ANY = 0xffffffff;

/** `OFPTT_ALL`: all tables (OpenFlow 1.1 §A.3.4.1). */
export const OFPTT_ALL = 0xff;
/** `OFP_NO_BUFFER` (OpenFlow 1.2+; 0xffffffff is also "no buffer" in 1.0/1.1). */
export const OFP_NO_BUFFER = 0xffffffff;

/**
 * Converts a 32-bit OpenFlow 1.1+ port number to the internal 16-bit number.
 * @returns the 16-bit port, or `undefined` if the number has no 16-bit counterpart (between
 *          0xff00 and 0xfffffeff), which callers answer with OFPBAC_BAD_OUT_PORT/OFPBRC_BAD_PORT.
 */
export function ofp11PortToOfp10(port: number): number | undefined {
  if (port < OFPP_MAX) return port;
  if (port >= OFPP11_MAX) return port - OFPP11_OFFSET;
  return undefined;
}

/** Converts an internal 16-bit port number to OpenFlow 1.1+'s 32-bit numbering. */
export function ofp10PortToOfp11(port: number): number {
  return port < OFPP_MAX ? port : (port + OFPP11_OFFSET) >>> 0;
}

/** Reserved port names as `ovs-ofctl` prints and parses them (ovs-fields(7) "in_port"). */
export const RESERVED_PORT_NAMES: Record<number, string> = {
  [OFPP_IN_PORT]: 'IN_PORT', [OFPP_TABLE]: 'TABLE', [OFPP_NORMAL]: 'NORMAL',
  [OFPP_FLOOD]: 'FLOOD', [OFPP_ALL]: 'ALL', [OFPP_CONTROLLER]: 'CONTROLLER',
  [OFPP_LOCAL]: 'LOCAL', [OFPP_NONE]: 'ANY', [OFPP_UNSET]: 'UNSET',
};
