/**
 * Datapath feature probing, as OVS 3.1's `check_support()` (ofproto/ofproto-dpif.c) does it at
 * startup: each feature is tried for real, either as a probe flow (`dpif_probe_feature()`:
 * `OVS_FLOW_CMD_NEW` with OVS_FLOW_ATTR_PROBE, fetched back, then deleted) or by executing
 * actions on a dummy packet (`OVS_PACKET_CMD_EXECUTE` with OVS_PACKET_ATTR_PROBE). Probe flows
 * are deleted again, so the datapath ends as it started. Keys are built as OVS's
 * `odp_flow_key_from_flow()` builds them from a zeroed `struct flow` with the one field under
 * test set (in_port 0, all-zero Ethernet addresses).
 *
 * {@link formatFeatureLog} gives the lines OVS logs about the results, in OVS's order.
 */
import { randomBytes } from 'crypto';
import { attr, attrFlag, attrString, attrU16, attrU32 } from '../genl/nlattr';
import { NetlinkError } from '../genl/netlink';
import type { OdpAction } from '../genl/actions';
import {
  OVS_ACTION_ATTR_ADD_MPLS, OVS_ACTION_ATTR_CHECK_PKT_LEN, OVS_ACTION_ATTR_CLONE, OVS_ACTION_ATTR_CT,
  OVS_ACTION_ATTR_CT_CLEAR, OVS_ACTION_ATTR_DEC_TTL, OVS_ACTION_ATTR_HASH, OVS_ACTION_ATTR_OUTPUT,
  OVS_ACTION_ATTR_SAMPLE, OVS_ACTION_ATTR_SET_MASKED, OVS_ACTION_ATTR_TRUNC,
  OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, OVS_CHECK_PKT_LEN_ATTR_PKT_LEN,
  OVS_CT_ATTR_EVENTMASK, OVS_CT_ATTR_TIMEOUT, OVS_DEC_TTL_ATTR_ACTION, OVS_DP_CMD_GET, OVS_DP_F_DISPATCH_UPCALL_PER_CPU,
  OVS_KEY_ATTR_CT_LABELS, OVS_KEY_ATTR_CT_MARK, OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6,
  OVS_KEY_ATTR_CT_STATE, OVS_KEY_ATTR_CT_ZONE, OVS_KEY_ATTR_DP_HASH, OVS_KEY_ATTR_ENCAP, OVS_KEY_ATTR_ETHERNET,
  OVS_KEY_ATTR_ETHERTYPE, OVS_KEY_ATTR_IN_PORT, OVS_KEY_ATTR_IPV4, OVS_KEY_ATTR_IPV6, OVS_KEY_ATTR_MPLS,
  OVS_KEY_ATTR_ND_EXTENSIONS, OVS_KEY_ATTR_PRIORITY, OVS_KEY_ATTR_RECIRC_ID, OVS_KEY_ATTR_SKB_MARK, OVS_KEY_ATTR_VLAN,
  OVS_SAMPLE_ATTR_ACTIONS, OVS_SAMPLE_ATTR_PROBABILITY,
} from '../genl/openvswitch';
import type { DpifNetlink } from './dpif';
// glibc's wording of errno values, as OVS logs them (kept with the dpctl text formatters).
import { strerror } from '../dpctl/strerror';

/** What the datapath supports (OVS's `struct dpif_backer_support`, plus dispatch mode and dec_ttl). */
export interface DatapathFeatures {
  /** OVS_KEY_ATTR_RECIRC_ID / DP_HASH in keys (recirculation). */
  recirc: boolean;
  /** 802.1Q headers a key may carry (0-2). */
  maxVlanHeaders: number;
  /** MPLS labels a key may carry (0-3). */
  maxMplsDepth: number;
  /** OVS_ACTION_ATTR_SET_MASKED. */
  maskedSetAction: boolean;
  /** OVS_ACTION_ATTR_TRUNC. */
  trunc: boolean;
  /** OVS_FLOW_ATTR_UFID. */
  ufid: boolean;
  /** OVS_ACTION_ATTR_CLONE. */
  clone: boolean;
  /** Nesting depth of OVS_ACTION_ATTR_SAMPLE accepted (3-10). */
  sampleNesting: number;
  /** OVS_CT_ATTR_EVENTMASK in ct(). */
  ctEventmask: boolean;
  /** OVS_ACTION_ATTR_CT_CLEAR. */
  ctClear: boolean;
  /** Highest OVS_ACTION_ATTR_HASH algorithm (0 = L4 only, 1 = symmetric L4). */
  maxHashAlg: number;
  /** OVS_ACTION_ATTR_CHECK_PKT_LEN. */
  checkPktLen: boolean;
  /** OVS_CT_ATTR_TIMEOUT (conntrack timeout policies). */
  ctTimeout: boolean;
  /** All-zero SNAT (Linux always; not probed, as in OVS). */
  ctZeroSnat: boolean;
  /** OVS_ACTION_ATTR_ADD_MPLS. */
  addMpls: boolean;
  /** OVS_KEY_ATTR_CT_STATE. */
  ctState: boolean;
  /** OVS_KEY_ATTR_CT_ZONE. */
  ctZone: boolean;
  /** OVS_KEY_ATTR_CT_MARK. */
  ctMark: boolean;
  /** OVS_KEY_ATTR_CT_LABELS. */
  ctLabel: boolean;
  /** NAT bits (OVS_CS_F_SRC_NAT/DST_NAT) in ct_state. */
  ctStateNat: boolean;
  /** OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4. */
  ctOrigTuple: boolean;
  /** OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6. */
  ctOrigTuple6: boolean;
  /** Masked set of OVS_KEY_ATTR_ND_EXTENSIONS (userspace datapath only). */
  ndExtensions: boolean;
  /** OVS_ACTION_ATTR_DEC_TTL (probed here; OVS 3.1 does not probe or log it). */
  decTtl: boolean;
  /** Upcalls dispatched per CPU (OVS_DP_F_DISPATCH_UPCALL_PER_CPU set on the datapath). */
  perCpuDispatch: boolean;
  /** Warnings met while probing (`dpif|WARN|…`), in order: a probe failing other than with EINVAL/EOVERFLOW, a probe flow that could not be deleted. */
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Keys, actions and packets of the probes

const u32 = attrU32;
const ZERO_ETH = attr(OVS_KEY_ATTR_ETHERNET, Buffer.alloc(12));
const ZERO_IPV4 = attr(OVS_KEY_ATTR_IPV4, Buffer.alloc(12));
const ZERO_IPV6 = attr(OVS_KEY_ATTR_IPV6, Buffer.alloc(40));

function be16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return attr(type, b);
}

/** Metadata part of a key: priority 0, skb_mark 0, then `ct` attributes, then recirc, in_port 0. */
function meta(ct: Buffer[] = [], recirc: Buffer[] = []): Buffer[] {
  return [u32(OVS_KEY_ATTR_PRIORITY, 0), u32(OVS_KEY_ATTR_SKB_MARK, 0), ...ct, ...recirc, u32(OVS_KEY_ATTR_IN_PORT, 0)];
}

/** A key for a zeroed flow with Ethertype `dlType` (none below 0x600, as OVS encodes it). */
function key(parts: { ct?: Buffer[]; recirc?: Buffer[]; dlType?: number; l3?: Buffer[] } = {}): Buffer {
  const out = [...meta(parts.ct, parts.recirc), ZERO_ETH];
  if (parts.dlType !== undefined && parts.dlType >= 0x600) out.push(be16(OVS_KEY_ATTR_ETHERTYPE, parts.dlType));
  out.push(...(parts.l3 ?? []));
  return Buffer.concat(out);
}

/** Key of `check_max_vlan_headers()` with `n` tags (TPID 0x8100, TCI VID 1 + CFI) over IPv4. */
function vlanKey(n: number): Buffer {
  let inner = Buffer.concat([be16(OVS_KEY_ATTR_ETHERTYPE, 0x0800), ZERO_IPV4]);
  for (let i = 0; i < n; i++) inner = Buffer.concat([be16(OVS_KEY_ATTR_ETHERTYPE, 0x8100), be16(OVS_KEY_ATTR_VLAN, 0x1001), attr(OVS_KEY_ATTR_ENCAP, inner)]);
  return Buffer.concat([...meta(), ZERO_ETH, inner]);
}

/** Key of `check_max_mpls_depth()`: `n` labels, the last with bottom-of-stack set. */
function mplsKey(n: number): Buffer {
  const lses = Buffer.alloc(4 * n);
  lses.writeUInt32BE(0x100, 4 * (n - 1));
  return Buffer.concat([...meta(), ZERO_ETH, be16(OVS_KEY_ATTR_ETHERTYPE, 0x8847), attr(OVS_KEY_ATTR_MPLS, lses)]);
}

const raw = (attrType: number, data: Buffer | Buffer[] = Buffer.alloc(0)): OdpAction => ({ type: 'other', attrType, data: Array.isArray(data) ? Buffer.concat(data) : data });

/** The payload of `add_sample_actions()`'s outer sample: `n` nested samples (probability 100%) around output(1). */
function samplePayload(n: number): Buffer {
  const inner = n === 1 ? u32(OVS_ACTION_ATTR_OUTPUT, 1) : attr(OVS_ACTION_ATTR_SAMPLE, samplePayload(n - 1));
  return Buffer.concat([attr(OVS_SAMPLE_ATTR_ACTIONS, inner), u32(OVS_SAMPLE_ATTR_PROBABILITY, 0xffffffff)]);
}

/** A masked set (`commit_masked_set_action()`) of key attribute `type`: `size` bytes of 0x53 under a 0x7f mask. */
function maskedSet(type: number, size: number): OdpAction {
  return raw(OVS_ACTION_ATTR_SET_MASKED, attr(type, [Buffer.alloc(size, 0x53), Buffer.alloc(size, 0x7f)]));
}

/** The 14-byte all-zero Ethernet frame with Ethertype 0x1234 OVS executes action probes on. */
function dummyEthernet(): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt16BE(0x1234, 12);
  return b;
}

/** Internet checksum of `b`. */
function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The UDP packet of the conntrack probes (`flow_compose()` of a flow with TTL 64, UDP,
 * 127.255.255.255 → 127.255.255.255, ports 0): 64 bytes of L4 payload area, as OVS composes it,
 * so it never matches a real connection.
 */
function dummyUdp(): Buffer {
  const payload = Buffer.alloc(64 - 14 - 20 - 8);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(8 + payload.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + udp.length + payload.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  ip.writeUInt32BE(0x7fffffff, 12);
  ip.writeUInt32BE(0x7fffffff, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, udp, payload]);
}

// ---------------------------------------------------------------------------------------------
// The probes

class Prober {
  readonly warnings: string[] = [];

  constructor(private readonly dpif: DpifNetlink, private readonly dpIfindex: number, private readonly dpName: string) {}

  /** `dpif_probe_feature()`: put (create or modify, PROBE), get back, delete. */
  async flow(name: string, keyRaw: Buffer, actions: OdpAction[] = [], ufid?: Buffer): Promise<boolean> {
    try {
      await this.dpif.flowPut({ dpIfindex: this.dpIfindex, keyRaw, actions, ...(ufid ? { ufid } : {}) }, { create: true, modify: true, probe: true });
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      if (e.code !== 'EINVAL' && e.code !== 'EOVERFLOW') this.warnings.push(`dpif|WARN|${this.dpName}: ${name} flow probe failed (${strerror(e.errno)})`);
      return false;
    }
    let ok = false;
    try {
      const got = await this.dpif.flowGet({ dpIfindex: this.dpIfindex, keyRaw, ...(ufid ? { ufid } : {}) });
      ok = !ufid || (got.ufid !== undefined && got.ufid.equals(ufid));
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
    }
    try {
      await this.dpif.flowDel({ dpIfindex: this.dpIfindex, keyRaw, ...(ufid ? { ufid } : {}) });
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      this.warnings.push(`dpif|WARN|${this.dpName}: failed to delete ${name} feature probe flow`);
    }
    return ok;
  }

  /** `dpif_execute()` of `actions` on `packet` with OVS_PACKET_ATTR_PROBE. */
  async execute(actions: OdpAction[], packet: Buffer): Promise<boolean> {
    try {
      await this.dpif.packetExecute({ dpIfindex: this.dpIfindex, packet, keyRaw: Buffer.concat(meta()), actions, probe: true });
      return true;
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      return false;
    }
  }
}

/**
 * Probes what datapath `dpIfindex` supports, the way ovs-vswitchd 3.1 does at startup, and
 * removes every probe flow again.
 * @param dpif an open {@link DpifNetlink}
 * @param dpIfindex the datapath's ifindex
 * @throws NetlinkError when the datapath cannot be queried at all (e.g. ENODEV)
 */
export async function probeDatapathFeatures(dpif: DpifNetlink, dpIfindex: number): Promise<DatapathFeatures> {
  const dp = await dpif.dpTransact(OVS_DP_CMD_GET, { dpIfindex }, `OVS_DP_CMD_GET ifindex ${dpIfindex}`);
  const p = new Prober(dpif, dpIfindex, `system@${dp.name ?? ''}`);
  const eth = dummyEthernet();
  const udp = dummyUdp();
  const zero = key();
  const ipv4Key = key({ dlType: 0x0800, l3: [ZERO_IPV4] });

  const recirc = await p.flow('recirculation', key({ recirc: [u32(OVS_KEY_ATTR_RECIRC_ID, 1), u32(OVS_KEY_ATTR_DP_HASH, 1)] }));
  let maxVlanHeaders = 0;
  while (maxVlanHeaders < 2 && (await p.flow('VLAN', vlanKey(maxVlanHeaders + 1)))) maxVlanHeaders++;
  let maxMplsDepth = 0;
  while (maxMplsDepth < 3 && (await p.flow('MPLS', mplsKey(maxMplsDepth + 1)))) maxMplsDepth++;
  const maskedSetAction = await p.execute([maskedSet(OVS_KEY_ATTR_ETHERNET, 12)], eth);
  const trunc = await p.execute([raw(OVS_ACTION_ATTR_TRUNC, Buffer.from([15, 0, 0, 0])), raw(OVS_ACTION_ATTR_OUTPUT, Buffer.from([1, 0, 0, 0]))], eth);
  const ufid = await p.flow('UFID', key({ dlType: 0x1234 }), [], randomBytes(16));
  const clone = await p.execute([raw(OVS_ACTION_ATTR_CLONE)], eth);
  let sampleNesting = 3;
  while (sampleNesting < 10) {
    if (!(await p.flow('Sample action nesting', zero, [raw(OVS_ACTION_ATTR_SAMPLE, samplePayload(sampleNesting))]))) break;
    sampleNesting++;
  }
  const ctEventmask = await p.execute([raw(OVS_ACTION_ATTR_CT, u32(OVS_CT_ATTR_EVENTMASK, 0xffffffff))], udp);
  const ctClear = await p.flow('ct_clear', zero, [raw(OVS_ACTION_ATTR_CT_CLEAR)]);
  const hashAlg1 = Buffer.alloc(8);
  hashAlg1.writeUInt32LE(1, 0);
  const maxHashAlg = (await p.flow('Max dp_hash algorithm', zero, [raw(OVS_ACTION_ATTR_HASH, hashAlg1)])) ? 1 : 0;
  const checkPktLen = await p.flow('check_pkt_len', zero, [raw(OVS_ACTION_ATTR_CHECK_PKT_LEN, [
    attrU16(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, 100), attrFlag(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER), attrFlag(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL),
  ])]);
  const ctTimeout = await p.execute([raw(OVS_ACTION_ATTR_CT, attrString(OVS_CT_ATTR_TIMEOUT, 'ovs_test_tp'))], udp);
  const addMplsArg = Buffer.alloc(8);
  addMplsArg.writeUInt16BE(0x8847, 4);
  const addMpls = await p.flow('add_mpls', zero, [raw(OVS_ACTION_ATTR_ADD_MPLS, addMplsArg)]);

  const ipKey = (ct: Buffer) => key({ ct: [ct], dlType: 0x0800, l3: [ZERO_IPV4] });
  const ctState = await p.flow('ct_state', ipKey(u32(OVS_KEY_ATTR_CT_STATE, 0x01)));
  const zone = Buffer.alloc(2);
  zone.writeUInt16LE(1);
  const ctZone = await p.flow('ct_zone', ipKey(attr(OVS_KEY_ATTR_CT_ZONE, zone)));
  const ctMark = await p.flow('ct_mark', ipKey(u32(OVS_KEY_ATTR_CT_MARK, 1)));
  const labels = Buffer.alloc(16);
  labels[0] = 1;
  const ctLabel = await p.flow('ct_label', ipKey(attr(OVS_KEY_ATTR_CT_LABELS, labels)));
  const ctStateNat = await p.flow('ct_state_nat', ipKey(u32(OVS_KEY_ATTR_CT_STATE, 0x60)));
  const tuple4 = Buffer.alloc(16);
  tuple4[12] = 1;
  const ctOrigTuple = await p.flow('ct_orig_tuple', ipKey(attr(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, tuple4)));
  const tuple6 = Buffer.alloc(40);
  tuple6[36] = 1;
  const ctOrigTuple6 = await p.flow('ct_orig_tuple6', key({ ct: [attr(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, tuple6)], dlType: 0x86dd, l3: [ZERO_IPV6] }));
  const ndExtensions = await p.execute([maskedSet(OVS_KEY_ATTR_ND_EXTENSIONS, 8)], eth);
  const decTtl = await p.flow('dec_ttl', ipv4Key, [raw(OVS_ACTION_ATTR_DEC_TTL, attr(OVS_DEC_TTL_ATTR_ACTION))]);

  return {
    recirc, maxVlanHeaders, maxMplsDepth, maskedSetAction, trunc, ufid, clone, sampleNesting, ctEventmask, ctClear,
    maxHashAlg, checkPktLen, ctTimeout, ctZeroSnat: true, addMpls, ctState, ctZone, ctMark, ctLabel, ctStateNat,
    ctOrigTuple, ctOrigTuple6, ndExtensions, decTtl,
    perCpuDispatch: ((dp.userFeatures ?? 0) & OVS_DP_F_DISPATCH_UPCALL_PER_CPU) !== 0,
    warnings: p.warnings,
  };
}

/**
 * The log lines OVS 3.1 writes about the probed features, in its order, as
 * `module|LEVEL|text` (the caller adds time and sequence number), e.g.
 * `ofproto_dpif|INFO|system@ovs-system: Datapath supports recirculation`. Probe warnings
 * (`dpif|WARN|…`) come first, as they happen during probing. dec_ttl and the dispatch mode are
 * not reported here: OVS 3.1 logs neither among these lines.
 * @param dpName datapath name without type, e.g. `ovs-system`
 */
export function formatFeatureLog(dpName: string, f: DatapathFeatures): string[] {
  const n = `system@${dpName}`;
  const info = (text: string) => `ofproto_dpif|INFO|${n}: ${text}`;
  const sup = (ok: boolean, what: string) => info(`Datapath ${ok ? 'supports' : 'does not support'} ${what}`);
  const lines = [...f.warnings];
  lines.push(sup(f.recirc, 'recirculation'));
  lines.push(info(`VLAN header stack length probed as ${f.maxVlanHeaders}`));
  lines.push(info(`MPLS label stack length probed as ${f.maxMplsDepth}`));
  if (!f.maskedSetAction) lines.push(info('datapath does not support masked set action feature.'));
  lines.push(sup(f.trunc, 'truncate action'));
  lines.push(sup(f.ufid, 'unique flow ids'));
  lines.push(sup(f.clone, 'clone action'));
  lines.push(info(`Max sample nesting level probed as ${f.sampleNesting}`));
  lines.push(sup(f.ctEventmask, 'eventmask in conntrack action'));
  lines.push(sup(f.ctClear, 'ct_clear action'));
  lines.push(info(`Max dp_hash algorithm probed to be ${f.maxHashAlg}`));
  lines.push(sup(f.checkPktLen, 'check_pkt_len action'));
  lines.push(sup(f.ctTimeout, 'timeout policy in conntrack action'));
  lines.push(sup(f.ctZeroSnat, 'ct_zero_snat'));
  lines.push(sup(f.addMpls, 'add_mpls action'));
  lines.push(sup(f.ctState, 'ct_state'));
  lines.push(sup(f.ctZone, 'ct_zone'));
  lines.push(sup(f.ctMark, 'ct_mark'));
  lines.push(sup(f.ctLabel, 'ct_label'));
  lines.push(sup(f.ctStateNat, 'ct_state_nat'));
  lines.push(sup(f.ctOrigTuple, 'ct_orig_tuple'));
  lines.push(sup(f.ctOrigTuple6, 'ct_orig_tuple6'));
  lines.push(sup(f.ndExtensions, 'IPv6 ND Extensions'));
  return lines;
}
