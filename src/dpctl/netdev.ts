/**
 * The network devices `ovs-dpctl` opens: what OVS 3.1's netdev layer (lib/netdev.c,
 * lib/netdev-linux.c, lib/netdev-vport.c) does for the types a kernel datapath takes — `system`
 * and `internal` devices and the `geneve`, `gre`, `vxlan`, `erspan`, `ip6erspan`, `ip6gre` and
 * `bareudp` tunnels — reproduced as far as it shows: which names and types open, the tunnel
 * configuration (`options:*` as ovs-vswitchd.conf.db(5) documents them) with OVS's validation and
 * messages, the name of the datapath port a tunnel becomes (`vxlan_sys_4789`), the
 * configuration `show` prints, statistics, and bringing a device up.
 *
 * A registry lives for one command, like the netdevs of one `ovs-dpctl` process: opening a name
 * twice yields the same device, and the VXLAN destination-port bookkeeping that refuses mixing
 * GBP and non-GBP tunnels on one port spans the devices opened so far.
 */
import { isIPv4, isIPv6 } from 'net';
import { NetlinkError } from '../genl/netlink';
import { StringHmap } from './hash';
import type { DpctlOutput } from './output';
import { strerror } from './strerror';
import type { LinkOps, LinkStats64 } from './rtnl';

/** `ENODEV`, `EINVAL`, … as numbers (Linux). */
export const ERRNO = {
  ENOENT: 2, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, EOPNOTSUPP: 95, EAFNOSUPPORT: 97,
} as const;

/** Tunnel types and the datapath-port name prefix of each (`dpif_port` of OVS's vport classes). */
export const TUNNEL_DPIF_PREFIX: Readonly<Record<string, string>> = {
  geneve: 'genev_sys',
  gre: 'gre_sys',
  vxlan: 'vxlan_sys',
  lisp: 'lisp_sys',
  stt: 'stt_sys',
  erspan: 'erspan_sys',
  ip6erspan: 'ip6erspan_sys',
  ip6gre: 'ip6gre_sys',
  gtpu: 'gtpu_sys',
  bareudp: 'udp_sys',
};

/** Tunnel types this implementation opens (the others of {@link TUNNEL_DPIF_PREFIX} are refused). */
const SUPPORTED_TUNNELS = new Set(['geneve', 'gre', 'vxlan', 'erspan', 'ip6erspan', 'ip6gre', 'bareudp']);

/** Default UDP destination ports (OVS's `*_DST_PORT`). */
const DEFAULT_DST_PORT: Readonly<Record<string, number>> = { geneve: 6081, vxlan: 4789, lisp: 4341, stt: 7471, gtpu: 2152 };

/** Types whose datapath port name carries the UDP port (`netdev_vport_needs_dst_port()`). */
const NEEDS_DST_PORT = new Set(['geneve', 'vxlan', 'lisp', 'stt', 'gtpu', 'bareudp']);

/** `DEFAULT_TTL` of lib/netdev.h. */
const DEFAULT_TTL = 64;

/** Bit number of VXLAN Group Based Policy in a tunnel's `exts` (uapi `OVS_VXLAN_EXT_GBP`). */
export const OVS_VXLAN_EXT_GBP = 1;
/** Bit number of VXLAN-GPE in `exts` (OVS's own `OVS_VXLAN_EXT_GPE`; not in the 6.1 uapi). */
export const OVS_VXLAN_EXT_GPE = 8;
/** Bit number of bareudp multiprotocol mode in `exts` (OVS's `OVS_BAREUDP_EXT_MULTIPROTO_MODE`). */
export const OVS_BAREUDP_EXT_MULTIPROTO_MODE = 1;

/** `enum netdev_pt_mode`. */
export type PtMode = 'ptap' | 'legacy_l2' | 'legacy_l3';

/** `struct netdev_tunnel_config`, the members OVS's set/get_tunnel_config use. */
export interface TunnelConfig {
  /** UDP destination port, host order; 0 = none. */
  dstPort: number;
  /** remote_ip as text (IPv6, or IPv4 for a v4-mapped address); undefined = unset. */
  ipDst?: string;
  ipDstFlow: boolean;
  ipSrc?: string;
  ipSrcFlow: boolean;
  inKey: bigint; inKeyPresent: boolean; inKeyFlow: boolean;
  outKey: bigint; outKeyPresent: boolean; outKeyFlow: boolean;
  ttl: number; ttlInherit: boolean;
  tos: number; tosInherit: boolean;
  csum: boolean;
  setSeq: boolean;
  dontFragment: boolean;
  exts: number;
  ptMode: PtMode;
  egressPktMark: number; setEgressPktMark: boolean;
  erspanIdx: number; erspanIdxFlow: boolean;
  erspanVer: number; erspanVerFlow: boolean;
  erspanDir: number; erspanDirFlow: boolean;
  erspanHwid: number; erspanHwidFlow: boolean;
  payloadEthertype: number;
}

function zeroTunnelConfig(): TunnelConfig {
  return {
    dstPort: 0, ipDstFlow: false, ipSrcFlow: false,
    inKey: 0n, inKeyPresent: false, inKeyFlow: false, outKey: 0n, outKeyPresent: false, outKeyFlow: false,
    ttl: 0, ttlInherit: false, tos: 0, tosInherit: false, csum: false, setSeq: false, dontFragment: false,
    exts: 0, ptMode: 'ptap', egressPktMark: 0, setEgressPktMark: false,
    erspanIdx: 0, erspanIdxFlow: false, erspanVer: 0, erspanVerFlow: false, erspanDir: 0, erspanDirFlow: false,
    erspanHwid: 0, erspanHwidFlow: false, payloadEthertype: 0,
  };
}

/** The counters of `struct netdev_stats` dpctl prints; `undefined` is OVS's "unknown" (UINT64_MAX, printed "?"). */
export interface NetdevStats {
  rxPackets?: bigint; txPackets?: bigint; rxBytes?: bigint; txBytes?: bigint;
  rxErrors?: bigint; txErrors?: bigint; rxDropped?: bigint; txDropped?: bigint;
  rxOverErrors?: bigint; rxFrameErrors?: bigint; txAbortedErrors?: bigint; txCarrierErrors?: bigint;
  collisions?: bigint;
}

/** An error with an errno and, for configuration errors, OVS's verbose text. */
export interface NetdevResult {
  /** 0 on success. */
  error: number;
  /** The message OVS hands back through `errp`, when it has one. */
  message?: string;
}

/** An opened network device. */
export class Netdev {
  /** Tunnel configuration; undefined for `system` and `internal`. */
  tnl?: TunnelConfig;

  constructor(readonly name: string, readonly type: string) {}

  /** A tunnel type (has a vport class with a `dpif_port` prefix). */
  get isTunnel(): boolean {
    return this.tnl !== undefined;
  }

  /**
   * The name of the datapath port this device becomes (`netdev_vport_get_dpif_port()`):
   * the device's own name for non-tunnels, `<prefix>_<dst_port>` for UDP tunnels,
   * `<prefix>` for the others (e.g. `gre_sys`).
   */
  dpifPortName(): string {
    const prefix = TUNNEL_DPIF_PREFIX[this.type];
    if (!prefix || !this.tnl) return this.name;
    return NEEDS_DST_PORT.has(this.type) ? `${prefix}_${this.tnl.dstPort}` : prefix;
  }
}

/** Splits `s` like C's `strtok_r(s, delims)` would, token by token (empty tokens never appear). */
export function strtok(s: string, delims: string): { token: string; rest: string } | undefined {
  let i = 0;
  while (i < s.length && delims.includes(s[i])) i++;
  if (i >= s.length) return undefined;
  let j = i;
  while (j < s.length && !delims.includes(s[j])) j++;
  return { token: s.slice(i, j), rest: j < s.length ? s.slice(j + 1) : '' };
}

/** C's `atoi()`: optional spaces and sign, then decimal digits; 0 when none; wraps like int. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  return Number(BigInt.asIntN(32, BigInt(m[1])));
}

/**
 * C's `strtol(s, &end, base)` for base 0, 10 or 16: the value and the index where parsing
 * stopped (0 when no digits were found, as `end == s` in C).
 */
export function strtol(s: string, base: 0 | 10 | 16): { value: number; end: number } {
  let i = 0;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i])) i++;
  let sign = 1;
  if (s[i] === '+' || s[i] === '-') {
    if (s[i] === '-') sign = -1;
    i++;
  }
  let radix: number = base;
  const hexPrefix = s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '');
  if (base === 0) radix = hexPrefix ? 16 : s[i] === '0' ? 8 : 10;
  if (radix === 16 && hexPrefix) i += 2;
  const digit = radix === 16 ? /[0-9a-fA-F]/ : radix === 8 ? /[0-7]/ : /[0-9]/;
  const start = i;
  let value = 0;
  while (i < s.length && digit.test(s[i])) value = value * radix + parseInt(s[i++], radix);
  if (i === start) return { value: 0, end: 0 };
  return { value: sign * value, end: i };
}

/** C's `strtoull(s, NULL, 0)` as a u64 (negative values wrap). */
function strtoull0(s: string): bigint {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(s) as RegExpExecArray;
  if (!m[2]) return 0n;
  let v: bigint;
  if (/^0[xX]/.test(m[2])) v = BigInt(m[2]);
  else if (m[2].startsWith('0') && m[2].length > 1) v = BigInt(`0o${m[2].slice(1)}`);
  else v = BigInt(m[2]);
  return BigInt.asUintN(64, m[1] === '-' ? -v : v);
}

/** C's `strtoul(s, NULL, 10)` truncated to u32. */
function strtoul10(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number(BigInt.asUintN(32, BigInt(m[1]))) : 0;
}

function parseTunnelIp(out: DpctlOutput, value: string, acceptMcast: boolean):
  { err: 0 | 'ENOENT' | 'EINVAL'; flow?: boolean; addr?: string; proto: number } {
  if (value === 'flow') return { err: 0, flow: true, proto: 0 };
  if (value.includes(':')) {
    if (!isIPv6(value) || value.includes('%')) {
      out.log('socket_util', 'ERR', `"${value}" is not a valid IPv6 address`);
      return { err: 'ENOENT', proto: 0 };
    }
    const firstGroup = value.startsWith(':') ? 0 : parseInt(value.split(':')[0], 16);
    if (!acceptMcast && firstGroup >> 8 === 0xff) return { err: 'EINVAL', proto: 0 };
    return { err: 0, addr: value, proto: 0x86dd };
  }
  if (!isIPv4(value)) {
    out.log('socket_util', 'ERR', `"${value}" is not a valid IP address`);
    return { err: 'ENOENT', proto: 0 };
  }
  if (!acceptMcast && (Number(value.split('.')[0]) & 0xf0) === 0xe0) return { err: 'EINVAL', proto: 0 };
  return { err: 0, addr: value, proto: 0x0800 };
}

function supportedLayers(type: string, cfg: TunnelConfig): { l2: boolean; l3: boolean } {
  if (type === 'lisp' || type === 'gtpu' || type === 'bareudp') return { l2: false, l3: true };
  if (type === 'gre' || (type === 'vxlan' && cfg.exts & (1 << OVS_VXLAN_EXT_GPE))) return { l2: true, l3: true };
  return { l2: true, l3: false };
}

function defaultPtMode(layers: { l2: boolean; l3: boolean }): PtMode {
  return layers.l3 && !layers.l2 ? 'legacy_l3' : 'legacy_l2';
}

/** One configuration key/value list in `struct smap` iteration order. */
export type Smap = StringHmap<string>;

/** The netdevs one dpctl command has opened, and the state they share. */
export class NetdevRegistry {
  private readonly devs = new Map<string, Netdev>();
  /** `global_cfg_tracker` of the vxlan class: "dst_port_<port>[_gbp]" → number of devices. */
  private readonly vxlanTracker = new Map<string, number>();

  constructor(private readonly out: DpctlOutput, private readonly rtnl: () => LinkOps) {}

  /** A device opened earlier under `name`, if any (`netdev_from_name()`). */
  lookup(name: string): Netdev | undefined {
    return this.devs.get(name);
  }

  /**
   * Opens `name` as `type` (`netdev_open()`): an open device of another type is EEXIST; a
   * `system` device must exist (ENODEV); `internal` devices need not exist yet; an unknown type
   * logs a warning and fails with EAFNOSUPPORT.
   * @returns the device, or the errno
   */
  async open(name: string, type: string): Promise<Netdev | number> {
    if (name === '') return ERRNO.EINVAL;
    const t = type || 'system';
    const existing = this.devs.get(name);
    if (existing) return existing.type === t ? existing : ERRNO.EEXIST;
    if (t !== 'system' && t !== 'internal' && !SUPPORTED_TUNNELS.has(t)) {
      this.out.log('netdev', 'WARN', `could not create netdev ${name} of unknown type ${t}`);
      return ERRNO.EAFNOSUPPORT;
    }
    const dev = new Netdev(name, t);
    if (t === 'system' || t === 'internal') {
      if (name === 'default' || name === 'all') {
        this.out.log('netdev_linux', 'WARN', `${name}: Linux forbids network device with this name`);
        return ERRNO.EINVAL;
      }
      if (t === 'system') {
        try {
          await this.rtnl().getLink(name);
        } catch (e) {
          if (e instanceof NetlinkError && e.code === 'ENODEV') return ERRNO.ENODEV;
          throw e;
        }
      }
    } else {
      this.constructTunnel(dev);
    }
    this.devs.set(name, dev);
    return dev;
  }

  /** `netdev_vport_construct()`: a UDP port from the name (`vxlan_sys_4790`) or the default. */
  private constructTunnel(dev: Netdev): void {
    const cfg = zeroTunnelConfig();
    const prefix = TUNNEL_DPIF_PREFIX[dev.type];
    let port = 0;
    if (dev.name.length > prefix.length + 1 && dev.name.startsWith(prefix)) port = atoi(dev.name.slice(prefix.length + 1)) & 0xffff;
    if (dev.type === 'bareudp') cfg.dstPort = port;
    else if (DEFAULT_DST_PORT[dev.type] !== undefined) cfg.dstPort = port || DEFAULT_DST_PORT[dev.type];
    cfg.dontFragment = true;
    cfg.ttl = DEFAULT_TTL;
    dev.tnl = cfg;
    if (dev.type === 'vxlan') this.updateVxlanTracker(undefined, cfg);
  }

  private vxlanKey(port: number, gbp: boolean): string {
    return `dst_port_${port}${gbp ? '_gbp' : ''}`;
  }

  /** `update_vxlan_global_cfg()`. */
  private updateVxlanTracker(oldCfg: TunnelConfig | undefined, newCfg: TunnelConfig | undefined): void {
    if (oldCfg && newCfg && oldCfg.dstPort === newCfg.dstPort && oldCfg.exts === newCfg.exts) return;
    if (oldCfg) {
      const k = this.vxlanKey(oldCfg.dstPort, (oldCfg.exts & (1 << OVS_VXLAN_EXT_GBP)) !== 0);
      const count = this.vxlanTracker.get(k) ?? 0;
      if (count > 1) this.vxlanTracker.set(k, count - 1);
      else this.vxlanTracker.delete(k);
    }
    if (newCfg) {
      const k = this.vxlanKey(newCfg.dstPort, (newCfg.exts & (1 << OVS_VXLAN_EXT_GBP)) !== 0);
      this.vxlanTracker.set(k, (this.vxlanTracker.get(k) ?? 0) + 1);
    }
  }

  /** `is_concomitant_vxlan_tunnel_present()`. */
  private vxlanConflict(dev: Netdev, cfg: TunnelConfig): boolean {
    if (dev.type !== 'vxlan' || !dev.tnl) return false;
    const cur = dev.tnl;
    const gbp = (c: TunnelConfig) => (c.exts & (1 << OVS_VXLAN_EXT_GBP)) !== 0;
    if (cur.dstPort === cfg.dstPort && gbp(cur) === gbp(cfg)) {
      if (cur.dstPort === DEFAULT_DST_PORT.vxlan) return (this.vxlanTracker.get(this.vxlanKey(cfg.dstPort, !gbp(cfg))) ?? 0) > 0;
      return false;
    }
    if (cur.dstPort === cfg.dstPort) return (this.vxlanTracker.get(this.vxlanKey(cur.dstPort, gbp(cur))) ?? 0) > 1;
    return (this.vxlanTracker.get(this.vxlanKey(cfg.dstPort, !gbp(cfg))) ?? 0) > 0;
  }

  /**
   * `netdev_set_config()`: tunnels validate and take `args` (`set_tunnel_config()`, warnings
   * logged as OVS logs them); other types take no arguments and warn when given some.
   * @param wantMessage the caller passes `errp` (set-if does, add-if does not)
   */
  setConfig(dev: Netdev, args: Smap, wantMessage: boolean): NetdevResult {
    if (!dev.tnl) {
      if (args.size > 0) {
        const msg = `${dev.name}: arguments provided to device that is not configurable`;
        this.out.log('netdev', 'WARN', msg);
        return wantMessage ? { error: 0, message: msg } : { error: 0 };
      }
      return { error: 0 };
    }
    const r = this.setTunnelConfig(dev, args);
    if (!r.error) return { error: 0 };
    // VLOG_WARN_BUF: logged always; handed back through errp unless the tunnel code gave its own text.
    const msg = `${dev.name}: could not set configuration (${strerror(r.error)})`;
    this.out.log('netdev', 'WARN', msg);
    if (!wantMessage) return { error: r.error };
    return { error: r.error, message: r.message ?? msg };
  }

  /** `set_tunnel_config()` of lib/netdev-vport.c. */
  private setTunnelConfig(dev: Netdev, args: Smap): NetdevResult {
    const name = dev.name;
    const type = dev.type;
    const errors: string[] = [];
    const hasCsum = /gre|geneve|stt|vxlan/.test(type);
    const hasSeq = type.includes('gre');
    const cfg = zeroTunnelConfig();
    if (DEFAULT_DST_PORT[type] !== undefined) cfg.dstPort = DEFAULT_DST_PORT[type];
    const needsDstPort = NEEDS_DST_PORT.has(type);
    cfg.dontFragment = true;
    let dstProto = 0;
    let srcProto = 0;
    const finish = (err: number): NetdevResult => {
      if (errors.length) {
        const text = errors.join('\n');
        this.out.log('netdev_vport', 'WARN', text);
        if (err) return { error: err, message: text };
      }
      return { error: err };
    };

    for (const [key, value] of args.entries()) {
      if (key === 'remote_ip') {
        const r = parseTunnelIp(this.out, value, false);
        if (r.err === 'ENOENT') errors.push(`${name}: bad ${type} 'remote_ip'`);
        else if (r.err === 'EINVAL') {
          errors.push(`${name}: multicast remote_ip=${value} not allowed`);
          return finish(ERRNO.EINVAL);
        } else {
          cfg.ipDstFlow = r.flow ?? false;
          if (r.addr) cfg.ipDst = r.addr;
          dstProto = r.proto;
        }
      } else if (key === 'local_ip') {
        const r = parseTunnelIp(this.out, value, true);
        if (r.err === 'ENOENT') errors.push(`${name}: bad ${type} 'local_ip'`);
        else if (r.err === 0) {
          cfg.ipSrcFlow = r.flow ?? false;
          if (r.addr) cfg.ipSrc = r.addr;
          srcProto = r.proto;
        }
      } else if (key === 'tos') {
        if (value === 'inherit') cfg.tosInherit = true;
        else {
          const t = strtol(value, 0);
          if (t.end === value.length && t.value === (t.value & 0xfc)) cfg.tos = t.value;
          else errors.push(`${name}: invalid TOS ${value}`);
        }
      } else if (key === 'ttl') {
        if (value === 'inherit') cfg.ttlInherit = true;
        else cfg.ttl = atoi(value) & 0xff;
      } else if (key === 'dst_port' && needsDstPort) {
        cfg.dstPort = atoi(value) & 0xffff;
      } else if (key === 'csum' && hasCsum) {
        if (value === 'true') cfg.csum = true;
      } else if (key === 'seq' && hasSeq) {
        if (value === 'true') cfg.setSeq = true;
      } else if (key === 'df_default') {
        if (value === 'false') cfg.dontFragment = false;
      } else if (key === 'key' || key === 'in_key' || key === 'out_key' || key === 'packet_type') {
        // Handled below.
      } else if (key === 'exts' && type === 'vxlan') {
        cfg.exts = 0;
        let rest: string = value;
        for (let t = strtok(rest, ','); t; t = strtok(rest, ',')) {
          rest = t.rest;
          if (t.token === 'gbp') cfg.exts |= 1 << OVS_VXLAN_EXT_GBP;
          else if (t.token === 'gpe') cfg.exts |= 1 << OVS_VXLAN_EXT_GPE;
          else errors.push(`${name}: unknown extension '${t.token}'`);
        }
      } else if (key === 'egress_pkt_mark') {
        cfg.egressPktMark = strtoul10(value);
        cfg.setEgressPktMark = true;
      } else if (key === 'erspan_idx') {
        if (value === 'flow') cfg.erspanIdxFlow = true;
        else {
          cfg.erspanIdxFlow = false;
          cfg.erspanIdx = strtol(value, 16).value >>> 0;
          if (cfg.erspanIdx & ~0xfffff) {
            errors.push(`${name}: invalid erspan index: ${value}`);
            return finish(ERRNO.EINVAL);
          }
        }
      } else if (key === 'erspan_ver') {
        if (value === 'flow') {
          cfg.erspanVerFlow = cfg.erspanIdxFlow = cfg.erspanDirFlow = cfg.erspanHwidFlow = true;
        } else {
          cfg.erspanVerFlow = false;
          cfg.erspanVer = atoi(value) & 0xff;
          if (cfg.erspanVer !== 1 && cfg.erspanVer !== 2) {
            errors.push(`${name}: invalid erspan version: ${value}`);
            return finish(ERRNO.EINVAL);
          }
        }
      } else if (key === 'erspan_dir') {
        if (value === 'flow') cfg.erspanDirFlow = true;
        else {
          cfg.erspanDirFlow = false;
          cfg.erspanDir = atoi(value) & 0xff;
          if (cfg.erspanDir !== 0 && cfg.erspanDir !== 1) {
            errors.push(`${name}: invalid erspan direction: ${value}`);
            return finish(ERRNO.EINVAL);
          }
        }
      } else if (key === 'erspan_hwid') {
        if (value === 'flow') cfg.erspanHwidFlow = true;
        else {
          cfg.erspanHwidFlow = false;
          cfg.erspanHwid = strtol(value, 16).value & 0xff;
          if (cfg.erspanHwid & ~0x3f) {
            errors.push(`${name}: invalid erspan hardware ID: ${value}`);
            return finish(ERRNO.EINVAL);
          }
        }
      } else if (key === 'payload_type') {
        if (value === 'mpls') {
          cfg.payloadEthertype = 0x8847;
          cfg.exts |= 1 << OVS_BAREUDP_EXT_MULTIPROTO_MODE;
        } else if (value === 'ip') {
          cfg.payloadEthertype = 0x0800;
          cfg.exts |= 1 << OVS_BAREUDP_EXT_MULTIPROTO_MODE;
        } else {
          const t = strtol(value, 10);
          if (t.end === 0 || t.end !== value.length || t.value < 0 || t.value > 0xffff) return finish(ERRNO.EINVAL);
          cfg.payloadEthertype = t.value;
        }
      } else if (key === 'remote_cert' || key === 'remote_name' || key === 'psk') {
        // IPsec settings read by ovs-monitor-ipsec, not by the datapath.
      } else {
        errors.push(`${name}: unknown ${type} argument '${key}'`);
      }
    }

    const layers = supportedLayers(type, cfg);
    const fullType = type !== 'vxlan' ? type : cfg.exts & (1 << OVS_VXLAN_EXT_GPE) ? 'VXLAN-GPE' : 'VXLAN (without GPE)';
    const pt = args.get('packet_type');
    if (pt === undefined) cfg.ptMode = defaultPtMode(layers);
    else if (pt === 'legacy_l2') {
      cfg.ptMode = 'legacy_l2';
      if (!layers.l2) {
        errors.push(`${name}: legacy_l2 configured on ${fullType} tunnel that cannot carry L2 traffic`);
        return finish(ERRNO.EINVAL);
      }
    } else if (pt === 'legacy_l3') {
      cfg.ptMode = 'legacy_l3';
      if (!layers.l3) {
        errors.push(`${name}: legacy_l3 configured on ${fullType} tunnel that cannot carry L3 traffic`);
        return finish(ERRNO.EINVAL);
      }
    } else if (pt === 'ptap') cfg.ptMode = 'ptap';
    else {
      errors.push(`${name}: unknown packet_type '${pt}'`);
      return finish(ERRNO.EINVAL);
    }

    if (cfg.ipDst === undefined && !cfg.ipDstFlow) {
      errors.push(`${name}: ${type} type requires valid 'remote_ip' argument`);
      return finish(ERRNO.EINVAL);
    }
    if (cfg.ipSrcFlow && !cfg.ipDstFlow) {
      errors.push(`${name}: ${type} type requires 'remote_ip=flow' with 'local_ip=flow'`);
      return finish(ERRNO.EINVAL);
    }
    if (srcProto && dstProto && srcProto !== dstProto) {
      errors.push(`${name}: 'remote_ip' and 'local_ip' has to be of the same address family`);
      return finish(ERRNO.EINVAL);
    }
    if (!cfg.ttl) cfg.ttl = DEFAULT_TTL;

    const parseKey = (which: string): { v: bigint; present: boolean; flow: boolean } => {
      const s = args.get(which) ?? args.get('key');
      if (s === undefined) return { v: 0n, present: false, flow: false };
      if (s === 'flow') return { v: 0n, present: true, flow: true };
      return { v: strtoull0(s), present: true, flow: false };
    };
    const ik = parseKey('in_key');
    cfg.inKey = ik.v; cfg.inKeyPresent = ik.present; cfg.inKeyFlow = ik.flow;
    const ok = parseKey('out_key');
    cfg.outKey = ok.v; cfg.outKeyPresent = ok.present; cfg.outKeyFlow = ok.flow;

    if (this.vxlanConflict(dev, cfg)) {
      errors.push(`${name}: VXLAN-GBP, and non-VXLAN-GBP tunnels can't be configured on the same dst_port`);
      return finish(ERRNO.EEXIST);
    }
    if (type === 'vxlan') this.updateVxlanTracker(dev.tnl, cfg);
    dev.tnl = cfg;
    return finish(0);
  }

  /**
   * `netdev_get_config()`: nothing for `system`/`internal`; for tunnels the options that
   * differ from the defaults, in `get_tunnel_config()`'s insertion order.
   */
  getConfig(dev: Netdev): Smap {
    const m: Smap = new StringHmap<string>();
    const c = dev.tnl;
    if (!c) return m;
    if (c.ipDst !== undefined) m.insert('remote_ip', c.ipDst);
    else if (c.ipDstFlow) m.insert('remote_ip', 'flow');
    if (c.ipSrc !== undefined) m.insert('local_ip', c.ipSrc);
    else if (c.ipSrcFlow) m.insert('local_ip', 'flow');
    if (c.inKeyFlow && c.outKeyFlow) m.insert('key', 'flow');
    else if (c.inKeyPresent && c.outKeyPresent && c.inKey === c.outKey) m.insert('key', c.inKey.toString());
    else {
      if (c.inKeyFlow) m.insert('in_key', 'flow');
      else if (c.inKeyPresent) m.insert('in_key', c.inKey.toString());
      if (c.outKeyFlow) m.insert('out_key', 'flow');
      else if (c.outKeyPresent) m.insert('out_key', c.outKey.toString());
    }
    if (c.ttlInherit) m.insert('ttl', 'inherit');
    else if (c.ttl !== DEFAULT_TTL) m.insert('ttl', String(c.ttl));
    if (c.tosInherit) m.insert('tos', 'inherit');
    else if (c.tos) m.insert('tos', `0x${c.tos.toString(16)}`);
    if (c.dstPort) {
      const def = DEFAULT_DST_PORT[dev.type];
      if ((def !== undefined && c.dstPort !== def) || dev.type === 'bareudp') m.insert('dst_port', String(c.dstPort));
    }
    if (c.csum) m.insert('csum', 'true');
    if (c.setSeq) m.insert('seq', 'true');
    if (c.ptMode !== defaultPtMode(supportedLayers(dev.type, c))) m.insert('packet_type', c.ptMode);
    if (!c.dontFragment) m.insert('df_default', 'false');
    if (c.setEgressPktMark) m.insert('egress_pkt_mark', String(c.egressPktMark));
    if (dev.type === 'erspan' || dev.type === 'ip6erspan') {
      if (c.erspanVerFlow) {
        for (const k of ['erspan_ver', 'erspan_idx', 'erspan_dir', 'erspan_hwid']) m.insert(k, 'flow');
      } else {
        m.insert('erspan_ver', String(c.erspanVer));
        if (c.erspanVer === 1) {
          m.insert('erspan_idx', c.erspanIdxFlow ? 'flow' : `0x${c.erspanIdx.toString(16)}`);
        } else if (c.erspanVer === 2) {
          m.insert('erspan_dir', c.erspanDirFlow ? 'flow' : String(c.erspanDir));
          m.insert('erspan_hwid', c.erspanHwidFlow ? 'flow' : `0x${c.erspanHwid.toString(16)}`);
        }
      }
    }
    return m;
  }

  /**
   * Brings a device up (`netdev_turn_flags_on(NETDEV_UP)`): IFF_UP on the kernel device for
   * `system`/`internal`; nothing for tunnels (their vport class keeps no flags).
   * @returns 0 or the errno
   */
  async turnUp(dev: Netdev): Promise<number> {
    if (dev.tnl) return 0;
    try {
      const link = await this.rtnl().getLink(dev.name);
      if (!(link.flags & 1)) await this.rtnl().setFlags(link.ifindex, 1, 1);
      return 0;
    } catch (e) {
      if (e instanceof NetlinkError) return e.errno;
      throw e;
    }
  }

  /**
   * Statistics as `netdev_get_stats()` reports them for the device's type: tunnels only count
   * packets and bytes sent by userspace (always 0 here), the rest unknown; `internal` devices
   * report their vport's counters; `system` devices the vport's counters completed with the
   * kernel device's error details (or the kernel device's counters when the vport has none).
   * @param vportStats the vport's `struct ovs_vport_stats`, when the datapath has one by this name
   */
  async stats(dev: Netdev, vportStats: VportCounters | undefined): Promise<NetdevStats> {
    if (dev.tnl) return { rxPackets: 0n, txPackets: 0n, rxBytes: 0n, txBytes: 0n };
    const fromVport = (v: VportCounters): NetdevStats => ({
      rxPackets: v.rxPackets, txPackets: v.txPackets, rxBytes: v.rxBytes, txBytes: v.txBytes,
      rxErrors: v.rxErrors, txErrors: v.txErrors, rxDropped: v.rxDropped, txDropped: v.txDropped,
      rxOverErrors: 0n, rxFrameErrors: 0n, txAbortedErrors: 0n, txCarrierErrors: 0n, collisions: 0n,
    });
    if (dev.type === 'internal') return vportStats ? fromVport(vportStats) : {};
    let link: LinkStats64 | undefined;
    try {
      link = (await this.rtnl().getLink(dev.name)).stats;
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
    }
    if (!link) return vportStats ? fromVport(vportStats) : {};
    if (!vportStats) {
      return {
        rxPackets: link.rxPackets, txPackets: link.txPackets, rxBytes: link.rxBytes, txBytes: link.txBytes,
        rxErrors: link.rxErrors, txErrors: link.txErrors, rxDropped: link.rxDropped, txDropped: link.txDropped,
        rxOverErrors: link.rxOverErrors, rxFrameErrors: link.rxFrameErrors, txAbortedErrors: link.txAbortedErrors,
        txCarrierErrors: link.txCarrierErrors, collisions: link.collisions,
      };
    }
    const s = fromVport(vportStats);
    s.collisions = link.collisions;
    s.rxOverErrors = link.rxOverErrors;
    s.rxFrameErrors = link.rxFrameErrors;
    s.txAbortedErrors = link.txAbortedErrors;
    s.txCarrierErrors = link.txCarrierErrors;
    return s;
  }
}

/** `struct ovs_vport_stats`, as `VportMessage.stats` decodes it. */
export interface VportCounters {
  rxPackets: bigint; txPackets: bigint; rxBytes: bigint; txBytes: bigint;
  rxErrors: bigint; txErrors: bigint; rxDropped: bigint; txDropped: bigint;
}
