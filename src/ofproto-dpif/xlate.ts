/**
 * xlate: translation of a packet's flow through a bridge's OpenFlow tables into datapath actions,
 * recording in a wildcard mask every bit a table lookup or an action consulted, so the megaflow
 * installed for it is right for every packet it matches and otherwise as wide as possible
 * (OVS's ofproto/ofproto-dpif-xlate.c `xlate_actions()` semantics).
 *
 * The pipeline starts with a lookup in table 0 (or, for a PACKET_OUT, with its actions). A table
 * miss follows OVS's `rule_dpif_lookup_from_table()`: the table's miss configuration
 * (`table_mod`: 'continue' goes on to the next table, 'drop' drops, 'controller' sends to the
 * controller) and, for 'default', OpenFlow 1.0–1.2 behaviour: the packet goes to the controller
 * with OVS's internal reason OFPR_IMPLICIT_MISS when the bridge says connections want that
 * (`BridgeConfig.packetInOnMiss`, default true; the main thread filters per connection), else
 * it is dropped. Fragments follow the bridge's `frag` handling (OFPC_FRAG_NORMAL: lookups see
 * L4 ports as zero; OFPC_FRAG_DROP: dropped; OFPC_FRAG_NX_MATCH: as they are).
 *
 * Actions translated (ovs-actions(7)): output to a port (to a patch port: translation goes on in
 * the peer bridge, xlate-patch.ts), IN_PORT, LOCAL, NORMAL, FLOOD, ALL, CONTROLLER (with max_len), TABLE; drop (no actions); resubmit (port and/or table);
 * goto_table; write_metadata; set_field/load and move on Ethernet, VLAN, IPv4, IPv6, L4 port
 * fields, ICMP type/code, ARP and ND fields (which the Linux datapath cannot set: SLOW_ACTION,
 * xlate-commit-nw.ts), pkt_mark, in_port, metadata and registers (registers and metadata are userspace-only;
 * packet fields are committed as OVS_ACTION_ATTR_SET_MASKED, or SET when every bit of the
 * datapath struct is set, before the next output, exactly as OVS's `commit_odp_actions()`);
 * mod_dl_src/dst, mod_nw_src/dst/tos/ecn/ttl, mod_tp_src/dst; push_vlan, pop_vlan/strip_vlan,
 * mod_vlan_vid, mod_vlan_pcp; dec_ttl (on expiry the packet goes to the controllers it names with
 * OFPR_INVALID_TTL and the current action list stops); meter (OVS_ACTION_ATTR_METER with the
 * datapath meter the OpenFlow meter is installed as, nothing without one); note; exit; conjunction
 * (a no-op if executed: the classifier never returns such rules, see ./classifier); controller (reason,
 * controller id, userdata, meter_id; `pause` freezes with continuation=1: xlate-controller.ts); group (all,
 * indirect, select, fast_failover: xlate-group.ts; select by dp_hash freezes translation and
 * recirculates with hash(), xlate-freeze.ts); write_actions and clear_actions, with the action set
 * executed when the pipeline ends and `actset_output` maintained (xlate-actset.ts); ct (commit, force,
 * zone, exec of ct_mark/ct_label, alg, nat, `table=` through recirculation), resubmit(,T,ct), ct_clear (see
 * xlate-ct.ts; a flow with a recirc_id resumes its frozen translation, recirc.ts); learn (the
 * learned flow_mods go to the main thread: xlate-learn.ts); push_mpls, pop_mpls,
 * set_mpls_label/tc/ttl, dec_mpls_ttl and set_field on mpls_label/tc/ttl (xlate-mpls.ts); clone,
 * check_pkt_larger, output:reg, output_trunc, enqueue, set_queue, pop_queue, fin_timeout, stack
 * push/pop, multipath, bundle and bundle_load (xlate-misc.ts).
 *
 * Sending to the controller (controller action, output:CONTROLLER, table miss, dec_ttl and
 * dec_mpls_ttl expiry) emits `userspace(controller(…))` with a frozen state, as OVS 3.1, and the
 * megaflow is installed (xlate-controller.ts). Other actions are skipped and named in
 * `XlateResult.unsupported`: NSH, encap/decap, tunnels, sample, recirculation after pop_mpls;
 * set_field on fields this list does not name.
 *
 * NORMAL (xlate-normal.ts) is OVS's VLAN-aware MAC-learning switch: access / trunk / native /
 * dot1q-tunnel ports, flood_vlans, learning per VLAN in the shared MAC table, flooding in the
 * order the ports joined the bridge (OVS's bundle list); mirrors, bonds and multicast snooping
 * are not supported. FLOOD and ALL go out in the iteration order of OVS's xport hash map
 * (`floodOrder`).
 */
import type { OdpAction } from '../genl/actions';
import type { OdpFlowKey } from '../genl/flow-key';
import { OFPP_ALL, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_NONE, OFPP_NORMAL, OFPP_TABLE, OFPP_UNSET, ofp10PortToOfp11 } from '../openflow/common';
import { MfField, mfFieldByName, mfGetValue, mfSetValue } from '../openflow/meta-flow';
import { bitwiseCopy, bitwiseOne } from '../openflow/ofp-actions-fields';
import { OFPUTIL_PC_NO_FLOOD, OFPUTIL_PC_NO_FWD, OFPUTIL_PC_NO_PACKET_IN, OFPUTIL_PC_NO_RECV } from '../openflow/ofp-port';
import {
  OFPC_FRAG_NORMAL, OFPC_FRAG_NX_MATCH, OFPR_ACTION, OFPR_ACTION_SET, OFPR_EXPLICIT_MISS, OFPR_GROUP, OFPR_IMPLICIT_MISS,
  OFPR_INVALID_TTL, OFPR_PACKET_OUT,
} from '../openflow/ofp-switch';
import type { TableMiss } from '../openflow/ofp-table';
import type { GroupDesc } from '../openflow/ofp-group';
import type { MfSubfield, Ofpact, OfpactOf } from '../openflow/ofpacts';
import { encodeActions } from '../genl/actions';
import { encodeFlowKey } from '../genl/flow-key';
import { formatIpv6 } from '../genl/addr';
import {
  bytes, ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_NSH, ETH_TYPE_RARP, ETH_TYPE_VLAN_8021Q, ethTypeMpls,
  FLOW_NW_FRAG_ANY, FLOW_NW_FRAG_LATER, FLOW_NW_FRAG_MASK, get, getIpv4, getMac, IPPROTO_ICMP, IPPROTO_ICMPV6,
  IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, isIpAny, isZero, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, newFlow, PT_ETH,
  S, set, VLAN_CFI, VLAN_PCP_MASK, VLAN_PCP_SHIFT, VLAN_VID_MASK, wcExact, wcOr,
} from './flow';
import { MacLearnEvent, MacLearning } from './mac-learning';
import { odpExecuteActions, odpExecuteWithHelp } from './odp-execute';
import { odpKeyFromFlow, ODPP_NONE } from './odp-flow';
import type { FinTimeoutEffect, LearnedFlow } from './xlate-learn';
import { commitMpls, decMplsTtl, MPLS_LABEL_MASK, MPLS_LABEL_SHIFT, MPLS_TC_MASK, MPLS_TC_SHIFT, MPLS_TTL_MASK, popMpls, pushMpls, setMplsBits } from './xlate-mpls';
import {
  xlateBundle, xlateCheckPktLarger, xlateClone, xlateEnqueue, xlateMultipath, xlateFinTimeout, xlateLearn, xlateOutputReg, xlateOutputTrunc, xlatePopQueue,
  xlateSetQueue, xlateStackPop, xlateStackPush,
} from './xlate-misc';
import type { XlateTracer } from './trace';
import type { PatchPeer } from './ofproto';
import { patchPortOutput } from './xlate-patch';
import { xlateGroupAction } from './xlate-group';
import { xlateActionSet, xlateClearActions, xlateWriteActions } from './xlate-actset';
import type { FrozenState } from './recirc';
import { composeConntrack, composeCtClear, CS_TRACKED, xlateRecirculated, XlateRecirc, xlateTableCtOrig } from './xlate-ct';
import { finishFreezing, freezeUnrollActions, xlateUnrollXlate } from './xlate-freeze';
import { type PortVlanConfig, xlateNormal } from './xlate-normal';
import { commitSetIcmp, commitSetNwExtra } from './xlate-commit-nw';
import { Hmap } from '../util/hmap';
import { hashInt } from '../util/ovs-hash';
import { composeControllerAction, xlateControllerPause } from './xlate-controller';

/** What translation needs of a rule: `FlowTables`' `Rule` and the replicas' `RuleSnapshot` both fit. */
export interface XlateRule {
  readonly id: number;
  readonly tableId: number;
  readonly priority: number;
  readonly cookie: bigint;
  readonly match: { readonly flow: Uint8Array; readonly wc: Uint8Array };
  readonly ofpacts: readonly Ofpact[];
}

/**
 * A bridge's OpenFlow tables as translation reads them (`FlowTables` on the main thread,
 * `FlowTablesReplica` in workers): the highest-priority rule of a table matching `flow`, with the
 * bits the answer depended on OR-ed into `wc`.
 */
export interface XlateTables {
  lookup(tableId: number, flow: Uint8Array, wc?: Uint8Array): XlateRule | undefined;
}

/** A port of the bridge as translation sees it, with its bundle's VLAN configuration (NORMAL). */
export interface XlatePort extends PortVlanConfig {
  name: string;
  /** OpenFlow port number (OFPP_LOCAL for the bridge's internal port) */
  ofport: number;
  /** datapath port number */
  odpPort: number;
  /** OFPUTIL_PC_* bits (port_mod): NO_RECV, NO_FLOOD, NO_FWD, NO_PACKET_IN are honoured */
  config?: number;
  /** the link is down (OFPPS_LINK_DOWN): bundle members that are down are not chosen */
  linkDown?: boolean;
  /** set for a patch port: output continues in the peer bridge (xlate-patch.ts) */
  patch?: PatchPeer;
  /** when the port joined its bridge ({@link PortConfig.addSeq}): fixes the flood order */
  addSeq?: number;
  /** OFPUTIL_PS_* bits; LINK_DOWN makes the port not live for group buckets (default 0: live) */
  state?: number;
}

/** The bridge a translation runs in. */
export interface XlateBridge {
  readonly name: string;
  readonly tables: XlateTables;
  /** ports by OpenFlow port number */
  readonly ports: ReadonlyMap<number, XlatePort>;
  /** the bridge's view of the shared MAC table (NORMAL) */
  readonly ml: MacLearning;
  /** a table's miss behaviour (OpenFlow table_mod), 'default' unless configured */
  tableMiss(tableId: number): TableMiss;
  /** OFPC_FRAG_* fragment handling (OpenFlow set_config); OFPC_FRAG_NORMAL by default */
  readonly fragHandling: number;
  /**
   * Whether a table miss under the 'default' configuration goes to the controller (OVS
   * `connmgr_wants_packet_in_on_miss()`: some OpenFlow 1.0–1.2 controller with id 0 is connected)
   */
  readonly packetInOnMiss: boolean;
  /**
   * the datapath meter id (`OVS_METER_ATTR_ID`) of an OpenFlow meter, undefined when the meter
   * has none (no datapath meters: the meter action then does nothing, as in OVS)
   */
  dpMeterId?(meterId: number): number | undefined;
  /**
   * the skb priority of an OpenFlow queue (OVS `dpif_queue_to_priority()`), undefined when the
   * queue has none; absent: the Linux datapath's mapping (see xlate-misc.ts `queueToPriority`)
   */
  queueToPriority?(queueId: number): number | undefined;
  /** another bridge of the same datapath, by name: where a patch port's peer lives */
  bridge?(name: string): XlateBridge | undefined;
  /** the OpenFlow group `groupId` (group_mod), undefined when there is none */
  group?(groupId: number): GroupDesc | undefined;
  /**
   * the best `enum ovs_hash_alg` the datapath's hash action supports (OVS
   * `support.max_hash_alg`, "Max dp_hash algorithm"); absent: OVS_HASH_ALG_L4, which every
   * datapath has (the Linux datapath supports no more)
   */
  readonly maxHashAlg?: number;
}

/** One packet the translation sends to the controller. */
export interface XlatePacketIn {
  /** the packet as it was at the controller action (earlier header changes applied); absent when translating without a packet */
  packet?: Buffer;
  /** length of `packet`, bytes */
  totalLen: number;
  /** OpenFlow input port */
  inPort: number;
  /** OVS's internal OFPR_* reason (ofp-switch.ts): OFPR_IMPLICIT_MISS for a table miss */
  reason: number;
  /** the table whose rule (or miss) sent it */
  tableId: number;
  /** that rule's cookie; 0 for a table miss, all-ones when there is no rule (PACKET_OUT) */
  cookie: bigint;
  /** the rule that sent it, absent for a table miss and PACKET_OUT */
  ruleId?: number;
  /** flow bytes at the controller action, for the packet-in's metadata (in_port, registers, …) */
  flow: Buffer;
  /** bytes of the packet the controller asked for (65535 = all) */
  maxLen: number;
  controllerId: number;
  /** NXAST_CONTROLLER2 userdata */
  userdata?: Buffer;
  /** the controller action asked to pause (translation stopped there) */
  pause?: boolean;
  /** the bridge whose controllers get it, when not the bridge the packet entered (patch ports) */
  bridge?: string;
}

/** The outcome of translating one flow. */
export interface XlateResult {
  /** datapath actions; [] means drop */
  actions: OdpAction[];
  /** FLOW_LEN bytes, 1 = the megaflow must match this bit */
  wc: Buffer;
  /**
   * MAC table entries the translation learned or refreshed (in the shared table, for traces);
   * `changed` is true for a new entry or a move, false for a refresh of a known one.
   */
  learned: Array<MacLearnEvent & { changed: boolean }>;
  /** the bridge the packet entered, when known */
  bridge?: string;
  /** ids of the rules the translation went through, in order (a rule met twice appears twice) */
  rules: number[];
  /**
   * rules and table lookups in other bridges the packet reached through patch ports, to credit
   * to those bridges (`rules` and `tableLookups` hold only the input bridge's)
   */
  peers?: Array<{ bridge: string; rules: number[]; tableLookups: number[] }>;
  /**
   * the OpenFlow table lookups it did, in order, each `tableId << 1 | 1` when a rule matched and
   * `tableId << 1` on a miss: what table stats' lookup/matched counters are credited with (OVS
   * `rule_dpif_lookup_from_table()` with stats)
   */
  tableLookups: number[];
  /**
   * packets sent to the controller, for tests and logs: the controllers get them from the
   * userspace(controller) actions in `actions`, through the handler (as OVS)
   */
  packetIns: XlatePacketIn[];
  /** true when no megaflow may be installed (an unknown recirculation id): execute only */
  slow: boolean;
  /**
   * OVS SLOW_ACTION: the actions set ARP, ICMP or ND headers, which the Linux datapath cannot
   * do (xlate-commit-nw.ts): install no megaflow, execute each packet with the sets applied in
   * userspace (odp-execute.ts `odpExecuteWithHelp`)
   */
  slowAction?: boolean;
  /** names of the ofpacts skipped because translation does not support them (see module comment) */
  unsupported: string[];
  /** human-readable trace of decisions, for debug logs */
  trace: string[];
  /** flows learn actions learned (only with `XlateInput.allowSideEffects`), for the main thread to apply */
  learns?: LearnedFlow[];
  /** rules whose timeouts fin_timeout lowers (only with `XlateInput.allowSideEffects`) */
  finTimeouts?: FinTimeoutEffect[];
  /** the recirculations (`recirc(id)`) the translation set up, in order (xlate-ct.ts) */
  recircs?: XlateRecirc[];
}

/** Inputs to one translation. */
export interface XlateInput {
  /** the packet's flow bytes (not modified); `in_port` is the OpenFlow input port */
  flow: Uint8Array;
  /** TPID of the packet's 802.1Q header (0x8100 or 0x88a8), 0 or absent when untagged */
  vlanTpid?: number;
  /** CLOCK_MONOTONIC milliseconds, for MAC aging */
  nowMs: number;
  /**
   * Whether this translation may change the MAC table: true for upcalls and for revalidating a
   * megaflow that saw new packets (which refreshes its source MAC, as OVS does); false for
   * revalidating an idle one.
   */
  mayLearn: boolean;
  /** the packet's bytes, for the packets the translation sends to the controller */
  packet?: Uint8Array;
  /** PACKET_OUT: translate these actions instead of looking up table 0 */
  ofpacts?: readonly Ofpact[];
  /**
   * Whether learn and fin_timeout may take effect (OVS `xin->allow_side_effects`): true for
   * upcalls and packet-outs, and for revalidating a megaflow that saw new packets
   */
  allowSideEffects?: boolean;
  /** TCP flags seen (fin_timeout); absent: the flow's own `tcp_flags` */
  tcpFlags?: number;
  /** ofproto/trace: receives every lookup, action and decision (src/ofproto-dpif/trace.ts) */
  tracer?: XlateTracer;
  /**
   * A datapath flow caches this translation (OVS `xin->xcache`: revalidation, packet-outs): with
   * it, or with `allowSideEffects`, controller actions emit dont_send=0 (xlate-controller.ts)
   */
  xcache?: boolean;
}

/** OVS's limits on recursion (ofproto-dpif-xlate.c MAX_DEPTH, MAX_RESUBMITS). */
const MAX_DEPTH = 64;
const MAX_RESUBMITS = MAX_DEPTH * MAX_DEPTH;
/** ofproto-dpif's table count and its hidden internal table (skipped by lookups). */
const N_TABLES = 255;
const TBL_INTERNAL = N_TABLES - 1;
/** OVS_BE64_MAX: the cookie of "no rule". */
const NO_COOKIE = 0xffffffffffffffffn;
/** The packet-in length that means "the whole packet" (OFPCML_NO_BUFFER). */
const UINT16_MAX = 0xffff;

/** A VLAN header as translation tracks it (OVS `union flow_vlan_hdr`). */
interface VlanHdr {
  tpid: number;
  tci: number;
}

/**
 * What a table lookup found: a rule, or one of OVS's internal rules (the miss rule that sends to
 * the controller, the drop rules for no packet-in and for fragments).
 */
type Lookup = { rule: XlateRule } | { internal: 'miss' | 'drop' };

/** The state of one translation (OVS `struct xlate_ctx`). */
export class Ctx {
  readonly flow: Buffer;
  /** the packet as the datapath will have it after the actions emitted so far */
  readonly base: Buffer;
  readonly wc = newFlow();
  /** TPID of the tag whose TCI is `flow`'s vlan_tci (0 when untagged), and the tag behind it */
  flowTpid: number;
  flowInner?: VlanHdr;
  /** the same for `base` */
  baseTpid: number;
  baseInner?: VlanHdr;
  readonly res: XlateResult;
  tableId = 0;
  rule?: XlateRule;
  ruleCookie = NO_COOKIE;
  depth = 0;
  resubmits = 0;
  exit = false;
  error?: string;
  /** the packet at the point `packetAt` actions had been applied, for packet-ins */
  packetAt = 0;
  packetNow?: Buffer;
  /** a pop_mpls left a non-MPLS packet whose L3 the datapath has not parsed (OVS `was_mpls`) */
  wasMpls = false;
  /** the action being translated is the last of the whole translation (OVS `is_last_action`) */
  isLast = true;
  /** the register stack of stack_push/stack_pop (OVS `ctx->stack`), each entry ceil(n_bits/8) bytes */
  stack: Buffer[] = [];
  /** the OpenFlow 1.1+ action set (write_actions), executed when the pipeline ends */
  actionSet: Ofpact[] = [];
  /** the action set holds a group (actset_output stays OFPP_UNSET) */
  actionSetHasGroup = false;
  /** translating the action set (output:CONTROLLER has reason OFPR_ACTION_SET) */
  inActionSet = false;
  /** translating a group bucket's own actions (output:CONTROLLER has reason OFPR_GROUP) */
  groupBucketAction = false;
  /** OVS `conntracked`: the ct_* fields of `flow` are valid (ct_clear has something to clear) */
  conntracked = false;
  /** OVS `ct_nat_action`: the nat() inside the ct action being translated */
  ctNatAction?: OfpactOf<'nat'>;
  /** the frozen state this translation resumed from (OVS `xin->frozen_state`) */
  frozen?: FrozenState;
  /** OVS `freezing`: translation stops and resumes after a recirculation (xlate-freeze.ts) */
  freezing = false;
  /** OVS `frozen_actions`: what the resumed translation runs (xlate-freeze.ts) */
  frozenActions: Ofpact[] = [];
  /** OVS `recirc_update_dp_hash`, `dp_hash_alg`, `dp_hash_basis`: hash(alg, basis) before the recirc */
  recircHash?: { alg: number; basis: number };

  constructor(public br: XlateBridge, readonly input: XlateInput, readonly inPacketOut: boolean) {
    this.flow = Buffer.from(input.flow);
    this.base = Buffer.from(input.flow);
    this.flowTpid = this.baseTpid = get(this.flow, S.vlan_tci) & VLAN_CFI ? input.vlanTpid || ETH_TYPE_VLAN_8021Q : 0;
    this.packetNow = input.packet ? Buffer.from(input.packet) : undefined;
    set(this.flow, S.actset_output, ofp10PortToOfp11(OFPP_UNSET));
    this.res = {
      actions: [], wc: this.wc, learned: [], bridge: br.name, rules: [], tableLookups: [], packetIns: [], slow: false,
      unsupported: [], trace: [],
    };
  }

  get inPort(): number {
    return get(this.flow, S.in_port);
  }
}

// ---------------------------------------------------------------------------------------------
// Prerequisites, consulting the bits they test (OVS `mf_are_prereqs_ok()` with a `wc`)

function isIpProto(ctx: Ctx, proto: number): boolean {
  if (!isIpAny(ctx.flow)) return false;
  wcExact(ctx.wc, S.nw_proto);
  return get(ctx.flow, S.nw_proto) === proto;
}

function isNd(ctx: Ctx): boolean {
  if (get(ctx.flow, S.dl_type) !== ETH_TYPE_IPV6) return false;
  wcExact(ctx.wc, S.nw_proto);
  if (get(ctx.flow, S.nw_proto) !== IPPROTO_ICMPV6) return false;
  wcExact(ctx.wc, S.tp_dst);
  if (get(ctx.flow, S.tp_dst) !== 0) return false;
  wcExact(ctx.wc, S.tp_src);
  const t = get(ctx.flow, S.tp_src);
  return t === ND_NEIGHBOR_SOLICIT || t === ND_NEIGHBOR_ADVERT;
}

/**
 * OVS `mf_are_prereqs_ok()` with a `wc`: whether the flow meets field `f`'s prerequisites
 * (ovs-fields(7)), un-wildcarding in `ctx.wc` every bit the answer consulted.
 */
export function prereqsOk(ctx: Ctx, f: MfField): boolean {
  const flow = ctx.flow;
  const type = get(flow, S.dl_type);
  const notLater = !(get(flow, S.nw_frag) & FLOW_NW_FRAG_LATER);
  switch (f.prereq) {
    case 'NONE': return true;
    case 'ETHERNET':
      wcExact(ctx.wc, S.packet_type);
      return get(flow, S.packet_type) === PT_ETH;
    case 'VLAN_VID':
      wcExact(ctx.wc, S.packet_type);
      if (get(flow, S.packet_type) !== PT_ETH) return false;
      wcOr(ctx.wc, S.vlan_tci, VLAN_CFI);
      return (get(flow, S.vlan_tci) & VLAN_CFI) !== 0;
    case 'ARP': return type === ETH_TYPE_ARP || type === ETH_TYPE_RARP;
    case 'IPV4': return type === ETH_TYPE_IP;
    case 'IPV6': return type === ETH_TYPE_IPV6;
    case 'IP_ANY': return isIpAny(flow);
    case 'MPLS': return ethTypeMpls(type);
    case 'NSH': return type === ETH_TYPE_NSH;
    case 'CT_VALID': return false;
    case 'TCP': return isIpProto(ctx, IPPROTO_TCP) && notLater;
    case 'UDP': return isIpProto(ctx, IPPROTO_UDP) && notLater;
    case 'SCTP': return isIpProto(ctx, IPPROTO_SCTP) && notLater;
    case 'ICMPV4':
      if (type !== ETH_TYPE_IP) return false;
      wcExact(ctx.wc, S.nw_proto);
      return get(flow, S.nw_proto) === IPPROTO_ICMP;
    case 'ICMPV6':
      if (type !== ETH_TYPE_IPV6) return false;
      wcExact(ctx.wc, S.nw_proto);
      return get(flow, S.nw_proto) === IPPROTO_ICMPV6;
    case 'ND': return isNd(ctx);
    case 'ND_SOLICIT': return isNd(ctx) && get(flow, S.tp_src) === ND_NEIGHBOR_SOLICIT;
    case 'ND_ADVERT': return isNd(ctx) && get(flow, S.tp_src) === ND_NEIGHBOR_ADVERT;
  }
}

/**
 * Fields translation can write: the packet fields `commitOdpActions` carries to the datapath,
 * and the metadata that lives only in userspace.
 */
const WRITABLE = new Set([
  'eth_src', 'eth_dst', 'vlan_tci', 'dl_vlan', 'vlan_vid', 'dl_vlan_pcp', 'vlan_pcp',
  'ip_src', 'ip_dst', 'ipv6_src', 'ipv6_dst', 'ipv6_label', 'nw_tos', 'ip_dscp', 'nw_ecn', 'nw_ttl',
  'tcp_src', 'tcp_dst', 'udp_src', 'udp_dst', 'sctp_src', 'sctp_dst', 'pkt_mark', 'in_port', 'in_port_oxm',
  'icmp_type', 'icmp_code', 'icmpv6_type', 'icmpv6_code', 'arp_op', 'arp_spa', 'arp_tpa', 'arp_sha', 'arp_tha',
  'nd_target', 'nd_sll', 'nd_tll', 'nd_reserved', 'nd_options_type',
  'mpls_label', 'mpls_tc', 'mpls_ttl',
  'metadata', ...Array.from({ length: 16 }, (_, i) => `reg${i}`), ...Array.from({ length: 8 }, (_, i) => `xreg${i}`),
  ...Array.from({ length: 4 }, (_, i) => `xxreg${i}`), 'ct_mark', 'ct_label',
]);

/**
 * OVS `mf_set_mask_l3_prereqs()`: set_field on one of these L3 fields of an IP packet also fixes
 * nw_proto (MFF_IP_DSCP is `nw_tos`; the OXM `ip_dscp`, MFF_IP_DSCP_SHIFTED, is not listed), and
 * on an ARP field of an ARP (not RARP) packet the opcode.
 */
const L3_FIELDS = new Set(['ip_src', 'ip_dst', 'ipv6_src', 'ipv6_dst', 'ipv6_label', 'nw_tos', 'nw_ecn', 'nw_ttl']);
const ARP_FIELDS = new Set(['arp_op', 'arp_spa', 'arp_tpa', 'arp_sha', 'arp_tha']);

/** OVS `mf_mask_field_masked()`: un-wildcards the bits of `f` that `mask` covers. */
export function maskFieldMasked(ctx: Ctx, f: MfField, mask: Buffer): void {
  let m = mask;
  if (f.special === 'dl_vlan') {
    // An all-ones dl_vlan would read as OFP10_VLAN_NONE; only the VID bits are meant.
    m = Buffer.alloc(2);
    m.writeUInt16BE(mask.readUInt16BE(0) & VLAN_VID_MASK);
  }
  const cur = mfGetValue(f, ctx.wc);
  for (let i = 0; i < f.nBytes; i++) cur[i] |= m[i];
  mfSetValue(f, ctx.wc, cur);
}

/** OVS `mf_set_flow_value_masked()`. */
function setFlowValueMasked(flow: Buffer, f: MfField, value: Buffer, mask: Buffer): void {
  const cur = mfGetValue(f, flow);
  for (let i = 0; i < f.nBytes; i++) cur[i] = (cur[i] & ~mask[i]) | (value[i] & mask[i]);
  mfSetValue(f, flow, cur);
}

// ---------------------------------------------------------------------------------------------
// Committing header changes to datapath actions (OVS `commit_odp_actions()`)

/** One member of a datapath key struct: its slot and the bits of it the struct carries. */
export interface Member {
  slot: typeof S.dl_src;
  /** the bits that can be set (undefined = the whole slot) */
  writable?: number;
}

function slotEqual(a: Uint8Array, b: Uint8Array, slot: typeof S.dl_src): boolean {
  for (let i = slot.offset; i < slot.offset + slot.len; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * OVS `commit()`: if some member differs between `flow` and `base`, emits a set of the struct,
 * masked to the consulted bits of the members that differ (SET when that mask is exact over the
 * whole struct), and brings `base` up to date.
 * @param members the writable members of the struct
 * @param exactWhole false for structs with members translation never writes (IPv4/IPv6 proto
 *   and frag), whose mask therefore is never exact
 * @param build builds the struct's key attribute from a flow-layout buffer (values, or the mask
 *   when `isMask`)
 * @returns whether it emitted a set
 */
export function commitStruct(ctx: Ctx, members: Member[], exactWhole: boolean,
  build: (b: Uint8Array, isMask: boolean) => OdpFlowKey): boolean {
  const mask = newFlow();
  let differ = false;
  let exact = exactWhole;
  for (const m of members) {
    if (m.slot.len <= 4) {
      const wcv = get(ctx.wc, m.slot);
      const bits = m.writable === undefined ? wcv : wcv & m.writable;
      if (!slotEqual(ctx.flow, ctx.base, m.slot)) {
        differ = true;
        set(mask, m.slot, bits);
      }
      const full = m.writable ?? (m.slot.len === 4 ? 0xffffffff : (1 << (8 * m.slot.len)) - 1);
      if ((get(mask, m.slot) >>> 0) !== (full >>> 0)) exact = false;
    } else {
      if (!slotEqual(ctx.flow, ctx.base, m.slot)) {
        differ = true;
        mask.set(bytes(ctx.wc, m.slot), m.slot.offset);
      }
      if (!bytes(mask, m.slot).every((x) => x === 0xff)) exact = false;
    }
  }
  if (!differ) return false;
  if (exact) ctx.res.actions.push({ type: 'set', key: build(ctx.flow, false) });
  else ctx.res.actions.push({ type: 'set_masked', key: build(ctx.flow, false), mask: build(mask, true) });
  for (const m of members) ctx.base.set(bytes(ctx.flow, m.slot), m.slot.offset);
  return true;
}

const ETH_MEMBERS: Member[] = [{ slot: S.dl_src }, { slot: S.dl_dst }];
const IPV4_MEMBERS: Member[] = [{ slot: S.nw_src }, { slot: S.nw_dst }, { slot: S.nw_tos }, { slot: S.nw_ttl }];
const IPV6_MEMBERS: Member[] = [
  { slot: S.ipv6_src }, { slot: S.ipv6_dst }, { slot: S.ipv6_label, writable: 0xfffff }, { slot: S.nw_tos }, { slot: S.nw_ttl },
];
const TP_MEMBERS: Member[] = [{ slot: S.tp_src }, { slot: S.tp_dst }];

function ipv6Text(b: Uint8Array, slot: typeof S.ipv6_src): string {
  return formatIpv6(Buffer.from(bytes(b, slot)));
}

/**
 * OVS `commit_odp_actions()`: emits the datapath set actions (SET_MASKED, or SET when every bit of a
 * key struct is written) that turn `ctx.base` (the packet as the datapath has it) into `ctx.flow`,
 * then makes `base` equal to `flow` for the committed fields; un-wildcards what it compared.
 */
export function commitOdpActions(ctx: Ctx): void {
  const { flow, base } = ctx;
  if (get(flow, S.packet_type) === PT_ETH && get(base, S.packet_type) === PT_ETH) {
    commitStruct(ctx, ETH_MEMBERS, true, (b) => ({ ethernet: { src: getMac(b, S.dl_src), dst: getMac(b, S.dl_dst) } }));
  }
  // As OVS: a packet that stops being MPLS loses its label before L3/L4 changes are committed.
  const mplsFirst = ethTypeMpls(get(base, S.dl_type)) && !ethTypeMpls(get(flow, S.dl_type));
  if (mplsFirst) commitMpls(ctx);
  const proto = get(flow, S.nw_proto);
  const baseType = get(base, S.dl_type);
  if (proto && baseType === ETH_TYPE_IP) {
    // nw_proto and frag are part of the struct but never writable, so the mask is never exact.
    commitStruct(ctx, IPV4_MEMBERS, false, (b) => ({
      ipv4: { src: getIpv4(b, S.nw_src), dst: getIpv4(b, S.nw_dst), proto: 0, tos: get(b, S.nw_tos), ttl: get(b, S.nw_ttl), frag: 0 },
    }));
  } else if (proto && baseType === ETH_TYPE_IPV6) {
    commitStruct(ctx, IPV6_MEMBERS, false, (b) => ({
      ipv6: {
        src: ipv6Text(b, S.ipv6_src), dst: ipv6Text(b, S.ipv6_dst), label: get(b, S.ipv6_label) & 0xfffff, proto: 0,
        tclass: get(b, S.nw_tos), hlimit: get(b, S.nw_ttl), frag: 0,
      },
    }));
  }
  commitSetNwExtra(ctx);
  if (proto && (baseType === ETH_TYPE_IP || baseType === ETH_TYPE_IPV6)) {
    const tp = (b: Uint8Array) => ({ src: get(b, S.tp_src), dst: get(b, S.tp_dst) });
    if (proto === IPPROTO_TCP) commitStruct(ctx, TP_MEMBERS, true, (b) => ({ tcp: tp(b) }));
    else if (proto === IPPROTO_UDP) commitStruct(ctx, TP_MEMBERS, true, (b) => ({ udp: tp(b) }));
    else if (proto === IPPROTO_SCTP) commitStruct(ctx, TP_MEMBERS, true, (b) => ({ sctp: tp(b) }));
  }
  commitSetIcmp(ctx);
  if (!mplsFirst) commitMpls(ctx);
  commitVlan(ctx);
  commitStruct(ctx, [{ slot: S.skb_priority }], true, (b) => ({ priority: get(b, S.skb_priority) }));
  commitStruct(ctx, [{ slot: S.pkt_mark }], true, (b) => ({ skbMark: get(b, S.pkt_mark) }));
}

/** The VLAN headers of the flow (or base), outermost first, as far as their CFI bits say. */
function vlanStack(tci: number, tpid: number, inner: VlanHdr | undefined): VlanHdr[] {
  if (!(tci & VLAN_CFI)) return [];
  const out = [{ tpid, tci }];
  if (inner && inner.tci & VLAN_CFI) out.push(inner);
  return out;
}

/** OVS `commit_vlan_action()`: pop the base's headers that differ, push the flow's. */
function commitVlan(ctx: Ctx): void {
  const fv = vlanStack(get(ctx.flow, S.vlan_tci), ctx.flowTpid, ctx.flowInner);
  const bv = vlanStack(get(ctx.base, S.vlan_tci), ctx.baseTpid, ctx.baseInner);
  let bn = bv.length - 1;
  let fn = fv.length - 1;
  while (bn >= 0 && fn >= 0 && bv[bn].tpid === fv[fn].tpid && bv[bn].tci === fv[fn].tci) {
    bn--;
    fn--;
  }
  for (; bn >= 0; bn--) {
    ctx.res.actions.push({ type: 'pop_vlan' });
    if (bn === 0) wcExact(ctx.wc, S.vlan_tci);
  }
  for (; fn >= 0; fn--) ctx.res.actions.push({ type: 'push_vlan', tpid: fv[fn].tpid || ETH_TYPE_VLAN_8021Q, tci: fv[fn].tci });
  set(ctx.base, S.vlan_tci, get(ctx.flow, S.vlan_tci));
  ctx.baseTpid = ctx.flowTpid;
  ctx.baseInner = ctx.flowInner && { ...ctx.flowInner };
}

// ---------------------------------------------------------------------------------------------
// Output

/** OVS `compose_output_action()`: commit the header changes, then output to `ofport`. */
export function composeOutput(ctx: Ctx, ofport: number): void {
  const port = ctx.br.ports.get(ofport);
  if (!port) {
    ctx.res.trace.push(`output to nonexistent port ${ofport}: skipped`);
    ctx.input.tracer?.report('warn', 'Nonexistent output port');
    return;
  }
  if ((port.config ?? 0) & OFPUTIL_PC_NO_FWD) {
    ctx.res.trace.push(`port ${ofport} has OFPPC_NO_FWD: skipped`);
    ctx.input.tracer?.report('detail', 'OFPPC_NO_FWD set, skipping output');
    return;
  }
  if (port.patch) {
    patchPortOutput(ctx, port, port.patch);
    return;
  }
  commitOdpActions(ctx);
  ctx.res.actions.push({ type: 'output', port: port.odpPort });
}

/**
 * Ports in the order they joined the bridge ({@link XlatePort.addSeq}), then by datapath port:
 * the order OVS adds them to its per-bridge tables (the bundle list NORMAL floods in).
 */
export function portsInAddOrder(ports: Iterable<XlatePort>): XlatePort[] {
  const seq = (p: XlatePort): number => p.addSeq ?? Number.MAX_SAFE_INTEGER;
  return [...ports].sort((a, b) => seq(a) - seq(b) || a.odpPort - b.odpPort);
}

const floodOrders = new WeakMap<ReadonlyMap<number, XlatePort>, { from: XlatePort[]; order: XlatePort[] }>();

/**
 * The order FLOOD and ALL output in: OVS walks the bridge's xport hash map (keyed by
 * `hash_ofp_port()`, i.e. `hash_int(ofport, 0)`), whose iteration order follows from the keys and
 * the order they were inserted in (util/hmap.ts), that is the order the ports joined the bridge.
 * Cached per port map (a replica refills the same map with new port objects).
 */
function floodOrder(br: XlateBridge): XlatePort[] {
  const now = [...br.ports.values()];
  const cached = floodOrders.get(br.ports);
  if (cached && cached.from.length === now.length && cached.from.every((p, i) => p === now[i])) return cached.order;
  const xports = new Hmap<number, XlatePort>((ofport) => hashInt(ofport, 0));
  for (const p of portsInAddOrder(now)) xports.insert(p.ofport, p);
  const order = xports.values();
  floodOrders.set(br.ports, { from: now, order });
  return order;
}

/** OVS `flood_packets()`: FLOOD (ports without NO_FLOOD) or ALL, never the input port. */
function flood(ctx: Ctx, all: boolean): void {
  const inPort = ctx.inPort;
  for (const p of floodOrder(ctx.br)) {
    if (p.ofport === inPort) continue;
    if (all || !((p.config ?? 0) & OFPUTIL_PC_NO_FLOOD)) composeOutput(ctx, p.ofport);
  }
}

/** OVS `xlate_output_action()`. */
export function xlateOutput(ctx: Ctx, port: number, maxLen: number): void {
  switch (port) {
    case OFPP_IN_PORT:
      composeOutput(ctx, ctx.inPort);
      return;
    case OFPP_TABLE:
      xlateTable(ctx, ctx.inPort, 0, true, true);
      return;
    case OFPP_NORMAL:
      xlateNormal(ctx);
      return;
    case OFPP_FLOOD:
      flood(ctx, false);
      return;
    case OFPP_ALL:
      flood(ctx, true);
      return;
    case OFPP_CONTROLLER:
      xlateController(ctx, maxLen, ctx.inPacketOut ? OFPR_PACKET_OUT : ctx.groupBucketAction ? OFPR_GROUP
        : ctx.inActionSet ? OFPR_ACTION_SET : OFPR_ACTION, 0);
      return;
    case OFPP_NONE:
      return;
    default:
      if (port !== ctx.inPort) composeOutput(ctx, port);
      else {
        ctx.res.trace.push('skipping output to input port');
        ctx.input.tracer?.report('warn', 'skipping output to input port');
      }
  }
}

/**
 * OVS `xlate_controller_action()`: commit, record the packet-in (`res.packetIns`, with the
 * packet as the datapath has it now) and, unless pausing (the caller then freezes:
 * `xlateControllerPause`), emit the userspace(controller) action (xlate-controller.ts). A
 * controller action of a table-miss rule (priority 0, matching everything) is an explicit miss.
 */
export function xlateController(ctx: Ctx, maxLen: number, reason: number, controllerId: number,
  userdata?: Buffer, pause?: boolean, meterId?: number): void {
  commitOdpActions(ctx);
  if (!pause && reason === OFPR_ACTION && ctx.rule && isTableMissRule(ctx.rule)) reason = OFPR_EXPLICIT_MISS;
  let packet: Buffer | undefined;
  if (ctx.packetNow) {
    ctx.packetNow = odpExecuteActions(ctx.packetNow, ctx.res.actions.slice(ctx.packetAt));
    ctx.packetAt = ctx.res.actions.length;
    packet = ctx.packetNow;
  }
  const pin: XlatePacketIn = {
    totalLen: packet?.length ?? 0,
    inPort: ctx.inPort,
    reason,
    tableId: ctx.tableId,
    cookie: ctx.ruleCookie,
    flow: Buffer.from(ctx.flow),
    maxLen,
    controllerId,
  };
  if (packet) pin.packet = packet;
  if (ctx.rule) pin.ruleId = ctx.rule.id;
  if (userdata?.length) pin.userdata = userdata;
  if (pause) pin.pause = true;
  if (ctx.br.name !== ctx.res.bridge) pin.bridge = ctx.br.name;
  ctx.res.packetIns.push(pin);
  // The packet-in itself comes from the datapath's userspace action (xlate-controller.ts).
  if (!pause) composeControllerAction(ctx, maxLen, reason, controllerId, meterId, userdata);
  ctx.res.trace.push(`sending to controller ${controllerId} (reason ${reason}, max_len ${maxLen})`);
}

/** OVS `rule_is_table_miss()`: priority 0 and a match on nothing. */
export function isTableMissRule(r: XlateRule): boolean {
  return r.priority === 0 && r.match.wc.every((b) => b === 0);
}

// ---------------------------------------------------------------------------------------------
// Tables

/**
 * OVS `rule_dpif_lookup_from_table()`: looks `flow` up from table `tableId` on, as if it came in
 * on `inPort`, following the tables' miss configuration; on a miss, the miss rule (packet-in) or
 * a drop. Sets `ctx.tableId` to the table where the search ended.
 */
export function lookupFromTable(ctx: Ctx, tableId: number, inPort: number, mayPacketIn: boolean, honorMiss: boolean): Lookup {
  const { flow, wc, br } = ctx;
  const oldTpSrc = get(flow, S.tp_src);
  const oldTpDst = get(flow, S.tp_dst);
  const oldInPort = get(flow, S.in_port);
  if (get(flow, S.nw_frag) & FLOW_NW_FRAG_ANY && br.fragHandling !== OFPC_FRAG_NX_MATCH) {
    if (br.fragHandling !== OFPC_FRAG_NORMAL) return { internal: 'drop' };
    set(flow, S.tp_src, 0);
    set(flow, S.tp_dst, 0);
  }
  set(flow, S.in_port, inPort);
  let miss: TableMiss = 'continue';
  let found: XlateRule | undefined;
  for (let id = tableId; id < N_TABLES; id++) {
    if (id === TBL_INTERNAL) continue;
    ctx.tableId = id;
    found = br.tables.lookup(id, flow, wc);
    ctx.res.tableLookups.push((id << 1) | (found ? 1 : 0));
    if (found) break;
    if (honorMiss) {
      miss = br.tableMiss(id);
      if (miss === 'continue') continue;
    }
    break;
  }
  set(flow, S.tp_src, oldTpSrc);
  set(flow, S.tp_dst, oldTpDst);
  set(flow, S.in_port, oldInPort);
  if (found) return { rule: found };
  if (mayPacketIn) {
    if (miss === 'continue' || miss === 'controller') {
      const port = br.ports.get(oldInPort);
      if (port && !((port.config ?? 0) & OFPUTIL_PC_NO_PACKET_IN)) return { internal: 'miss' };
    } else if (miss === 'default' && br.packetInOnMiss) {
      return { internal: 'miss' };
    }
  }
  return { internal: 'drop' };
}

/** Runs the actions of what a lookup found (OVS `xlate_recursively()` and the miss rules). */
export function xlateFound(ctx: Ctx, found: Lookup, deepens: boolean, reportTableId = ctx.tableId): void {
  const tracer = ctx.input.tracer;
  const traceAt = tracer?.table(reportTableId, 'rule' in found ? found.rule : found.internal === 'miss' ? 'miss'
    : get(ctx.flow, S.nw_frag) & FLOW_NW_FRAG_ANY && ctx.br.fragHandling !== OFPC_FRAG_NORMAL
      && ctx.br.fragHandling !== OFPC_FRAG_NX_MATCH ? 'drop_frags' : 'drop');
  const oldRule = ctx.rule;
  const oldCookie = ctx.ruleCookie;
  ctx.resubmits++;
  if (deepens) ctx.depth++;
  if ('rule' in found) {
    ctx.rule = found.rule;
    ctx.ruleCookie = found.rule.cookie;
    ctx.res.rules.push(found.rule.id);
    ctx.res.trace.push(`table ${ctx.tableId}: rule ${found.rule.id} (priority ${found.rule.priority})`);
    const oldGroupBucketAction = ctx.groupBucketAction;
    ctx.groupBucketAction = false;
    doXlateActions(ctx, found.rule.ofpacts);
    ctx.groupBucketAction = oldGroupBucketAction;
  } else {
    ctx.rule = undefined;
    ctx.ruleCookie = 0n;
    ctx.res.trace.push(`table ${ctx.tableId}: no match, ${found.internal === 'miss' ? 'to the controller' : 'drop'}`);
    // The actions of OVS's internal miss and drop rules, as the trace prints them.
    tracer?.report('action', found.internal === 'miss' ? 'controller(reason=)' : 'drop');
    if (found.internal === 'miss') xlateController(ctx, UINT16_MAX, OFPR_IMPLICIT_MISS, 0);
  }
  if (deepens) ctx.depth--;
  ctx.rule = oldRule;
  ctx.ruleCookie = oldCookie;
  if (traceAt) tracer!.leave(traceAt);
}

/** OVS `xlate_resubmit_resource_check()`. */
export function resourceCheck(ctx: Ctx): boolean {
  if (ctx.depth >= MAX_DEPTH) ctx.error = `over max translation depth ${MAX_DEPTH}`;
  else if (ctx.resubmits >= MAX_RESUBMITS) ctx.error = `over ${MAX_RESUBMITS} resubmit actions`;
  else return true;
  ctx.input.tracer?.report('error', ctx.error);
  return false;
}

/** OVS `xlate_table_action()`: resubmit, goto_table, output:TABLE. */
export function xlateTable(ctx: Ctx, inPort: number, tableId: number, mayPacketIn: boolean, honorMiss: boolean): void {
  if (!resourceCheck(ctx)) return;
  const oldTable = ctx.tableId;
  const found = lookupFromTable(ctx, tableId, inPort, mayPacketIn, honorMiss);
  xlateFound(ctx, found, tableId <= oldTable, tableId);
  ctx.tableId = oldTable;
}

// ---------------------------------------------------------------------------------------------
// Actions

/** OVS `mf_subfield_copy()` for move: both fields' prerequisites, their bits un-wildcarded. */
function xlateRegMove(ctx: Ctx, a: OfpactOf<'reg_move'>): void {
  const src = mfFieldByName(a.src.field);
  const dst = mfFieldByName(a.dst.field);
  if (!src || !dst || !WRITABLE.has(dst.name)) {
    ctx.res.unsupported.push(`move to ${a.dst.field}`);
    return;
  }
  if (!prereqsOk(ctx, dst) || !prereqsOk(ctx, src)) return;
  for (const [f, sf] of [[src, a.src], [dst, a.dst]] as Array<[MfField, MfSubfield]>) {
    const m = Buffer.alloc(f.nBytes);
    bitwiseOne(m, sf.ofs, sf.nBits);
    maskFieldMasked(ctx, f, m);
  }
  const srcValue = mfGetValue(src, ctx.flow);
  const dstValue = mfGetValue(dst, ctx.flow);
  bitwiseCopy(srcValue, a.src.ofs, dstValue, a.dst.ofs, a.src.nBits);
  mfSetValue(dst, ctx.flow, dstValue);
  trackVlanWrite(ctx, dst);
}

/** A write into the VLAN fields of an untagged flow tags it with the default TPID. */
function trackVlanWrite(ctx: Ctx, f: MfField): void {
  if (f.storage.offset === S.vlan_tci.offset && get(ctx.flow, S.vlan_tci) & VLAN_CFI && !ctx.flowTpid) {
    ctx.flowTpid = ETH_TYPE_VLAN_8021Q;
  }
}

function xlateSetField(ctx: Ctx, a: OfpactOf<'set_field'>): void {
  const f = mfFieldByName(a.field);
  if (!f || !WRITABLE.has(f.name)) {
    ctx.res.unsupported.push(`set_field ${a.field}`);
    return;
  }
  if (!prereqsOk(ctx, f)) {
    ctx.res.trace.push(`unmet prerequisites for ${f.name}, set_field ignored`);
    return;
  }
  if (isIpAny(ctx.flow) && L3_FIELDS.has(f.name)) wcExact(ctx.wc, S.nw_proto);
  else if (get(ctx.flow, S.dl_type) === ETH_TYPE_ARP && ARP_FIELDS.has(f.name)) wcExact(ctx.wc, S.nw_proto);
  maskFieldMasked(ctx, f, a.mask);
  setFlowValueMasked(ctx.flow, f, a.value, a.mask);
  trackVlanWrite(ctx, f);
}

/** `flow_pop_vlan()`. */
function popVlan(ctx: Ctx): void {
  const tci = get(ctx.flow, S.vlan_tci);
  if (!(tci & VLAN_CFI)) return;
  const inner = ctx.flowInner;
  if (inner && inner.tci & VLAN_CFI) {
    set(ctx.flow, S.vlan_tci, inner.tci);
    ctx.flowTpid = inner.tpid;
  } else {
    set(ctx.flow, S.vlan_tci, 0);
    ctx.flowTpid = 0;
  }
  ctx.flowInner = undefined;
}

/** `flow_push_vlan_uninit()` then the new header's TPID and a bare tag-present TCI. */
function pushVlan(ctx: Ctx, tpid: number): void {
  const tci = get(ctx.flow, S.vlan_tci);
  if (tci & VLAN_CFI) wcExact(ctx.wc, S.vlan_tci);
  ctx.flowInner = tci & VLAN_CFI ? { tpid: ctx.flowTpid, tci } : undefined;
  set(ctx.flow, S.vlan_tci, VLAN_CFI);
  ctx.flowTpid = tpid;
}

/** mod_vlan_vid / mod_vlan_pcp (OVS `OFPACT_SET_VLAN_VID` / `_PCP`). */
function setVlanBits(ctx: Ctx, bits: number, value: number, pushIfNeeded: boolean): void {
  wcOr(ctx.wc, S.vlan_tci, bits | VLAN_CFI);
  const tci = get(ctx.flow, S.vlan_tci);
  if (!(tci & VLAN_CFI) && !pushIfNeeded) return;
  if (!ctx.flowTpid) ctx.flowTpid = ETH_TYPE_VLAN_8021Q;
  set(ctx.flow, S.vlan_tci, (tci & ~bits) | value | VLAN_CFI);
}

/** OVS `compose_dec_ttl()`: true when the TTL expired (the action list stops). */
function decTtl(ctx: Ctx, cntIds: readonly number[]): boolean {
  wcExact(ctx.wc, S.nw_ttl);
  wcExact(ctx.wc, S.nw_proto);
  if (!isIpAny(ctx.flow)) return false;
  const ttl = get(ctx.flow, S.nw_ttl);
  if (ttl > 1) {
    set(ctx.flow, S.nw_ttl, ttl - 1);
    return false;
  }
  for (const id of cntIds) xlateController(ctx, UINT16_MAX, OFPR_INVALID_TTL, id);
  ctx.res.trace.push(`IPv${get(ctx.flow, S.dl_type) === ETH_TYPE_IP ? 4 : 6} decrement TTL exception`);
  ctx.input.tracer?.report('warn', `IPv${get(ctx.flow, S.dl_type) === ETH_TYPE_IP ? 4 : 6} decrement TTL exception`);
  return true;
}

/** Sets an IP field of an IP packet, un-wildcarding it and nw_proto (the mod_nw_* actions). */
function setIpField(ctx: Ctx, slot: typeof S.nw_tos, bits: number, value: number, ipv4Only: boolean): void {
  if (ipv4Only ? get(ctx.flow, S.dl_type) !== ETH_TYPE_IP : !isIpAny(ctx.flow)) return;
  wcExact(ctx.wc, S.nw_proto);
  wcOr(ctx.wc, slot, bits);
  set(ctx.flow, slot, ((get(ctx.flow, slot) & ~bits) | (value & bits)) >>> 0);
}

/** Actions that need no L3 parse after pop_mpls (OVS `recirc_for_mpls()`'s exceptions). */
const NO_RECIRC_AFTER_MPLS = new Set(['output', 'output_trunc', 'enqueue', 'output_reg', 'set_vlan_vid', 'set_vlan_pcp',
  'set_eth_src', 'set_eth_dst', 'set_tunnel', 'set_queue', 'group']);

/** Whether OVS would recirculate before `a` on a packet that was MPLS (`recirc_for_mpls()`). */
function needsRecircAfterMpls(a: Ofpact): boolean {
  if (NO_RECIRC_AFTER_MPLS.has(a.type)) return false;
  if (a.type === 'set_field') {
    const f = mfFieldByName(a.field);
    // mf_is_l3_or_higher(): the fields from ipv4_src on, i.e. those with an L3 or L4 prerequisite.
    return !f || !['NONE', 'ETHERNET', 'VLAN_VID', 'MPLS'].includes(f.prereq);
  }
  return true;
}

/** OVS `do_xlate_actions()`. */
export function doXlateActions(ctx: Ctx, ofpacts: readonly Ofpact[]): void {
  const { flow, wc } = ctx;
  const parentLast = ctx.isLast;
  try {
    doXlateActions__(ctx, ofpacts, parentLast, flow, wc);
  } finally {
    ctx.isLast = parentLast;
  }
}

function doXlateActions__(ctx: Ctx, ofpacts: readonly Ofpact[], parentLast: boolean, flow: Buffer, wc: Buffer): void {
  if (!ofpacts.length) ctx.input.tracer?.report('action', 'drop');
  for (let i = 0; i < ofpacts.length; i++) {
    const a = ofpacts[i];
    if (ctx.error) break;
    if (ctx.exit) {
      // OVS: a freeze in an action this list called keeps the rest of this list for later.
      if (ctx.freezing) freezeUnrollActions(ctx, ofpacts.slice(i));
      break;
    }
    ctx.input.tracer?.ofpact(a);
    // OVS `is_last_action`: the last action of a list that is itself last, with no action set to run.
    const last = parentLast && a === ofpacts[ofpacts.length - 1] && !ctx.actionSet.length;
    ctx.isLast = last;
    if (ctx.wasMpls && needsRecircAfterMpls(a)) {
      // OVS freezes and recirculates here (recirc_for_mpls); not done yet: stop.
      ctx.res.unsupported.push(`${a.type} after pop_mpls (recirculation)`);
      ctx.exit = true;
      break;
    }
    switch (a.type) {
      case 'output':
        xlateOutput(ctx, a.port, a.maxLen);
        break;
      case 'controller':
        xlateController(ctx, a.maxLen, a.reason, a.controllerId, a.userdata, a.pause, a.meterId);
        if (a.pause) {
          xlateControllerPause(ctx, a, ofpacts.slice(ofpacts.indexOf(a) + 1));
          ctx.exit = true;
        }
        break;
      case 'set_vlan_vid':
        setVlanBits(ctx, VLAN_VID_MASK, a.vlanVid & VLAN_VID_MASK, a.pushVlanIfNeeded);
        break;
      case 'set_vlan_pcp':
        setVlanBits(ctx, VLAN_PCP_MASK, (a.vlanPcp << VLAN_PCP_SHIFT) & VLAN_PCP_MASK, a.pushVlanIfNeeded);
        break;
      case 'strip_vlan':
        popVlan(ctx);
        break;
      case 'push_vlan':
        pushVlan(ctx, a.ethertype);
        break;
      case 'set_eth_src':
        wcExact(wc, S.dl_src);
        flow.set(a.mac, S.dl_src.offset);
        break;
      case 'set_eth_dst':
        wcExact(wc, S.dl_dst);
        flow.set(a.mac, S.dl_dst.offset);
        break;
      case 'set_ipv4_src':
        setIpField(ctx, S.nw_src, 0xffffffff, a.ipv4, true);
        break;
      case 'set_ipv4_dst':
        setIpField(ctx, S.nw_dst, 0xffffffff, a.ipv4, true);
        break;
      case 'set_ip_dscp':
        setIpField(ctx, S.nw_tos, 0xfc, a.dscp, false);
        break;
      case 'set_ip_ecn':
        setIpField(ctx, S.nw_tos, 0x03, a.ecn, false);
        break;
      case 'set_ip_ttl':
        setIpField(ctx, S.nw_ttl, 0xff, a.ttl, false);
        break;
      case 'set_l4_src_port':
      case 'set_l4_dst_port':
        if (isIpAny(flow) && !(get(flow, S.nw_frag) & FLOW_NW_FRAG_LATER)) {
          const slot = a.type === 'set_l4_src_port' ? S.tp_src : S.tp_dst;
          wcExact(wc, S.nw_proto);
          wcExact(wc, slot);
          set(flow, slot, a.port);
        }
        break;
      case 'resubmit': {
        // A resubmit from an ordinary rule never sends table misses to the controller.
        const inPort = a.inPort === OFPP_IN_PORT ? ctx.inPort : a.inPort;
        if (a.withCtOrig) xlateTableCtOrig(ctx, inPort, a.tableId === 255 ? ctx.tableId : a.tableId);
        else xlateTable(ctx, inPort, a.tableId === 255 ? ctx.tableId : a.tableId, false, false);
        break;
      }
      case 'goto_table':
        xlateTable(ctx, ctx.inPort, a.tableId, true, true);
        break;
      case 'reg_move':
        xlateRegMove(ctx, a);
        break;
      case 'set_field':
        xlateSetField(ctx, a);
        break;
      case 'dec_ttl':
        if (decTtl(ctx, a.cntIds)) return;
        break;
      case 'note':
        break;
      case 'ct':
        composeConntrack(ctx, a);
        break;
      case 'ct_clear':
        composeCtClear(ctx);
        break;
      case 'nat':
        // Translated by the ct action it is nested in.
        ctx.ctNatAction = a;
        break;
      case 'conjunction':
        // OVS: a no-op if ever executed (packet-out); the classifier never returns such a rule.
        ctx.res.trace.push('executing no-op conjunction action');
        break;
      case 'unroll_xlate':
        xlateUnrollXlate(ctx, a);
        break;
      case 'exit':
        ctx.exit = true;
        break;
      case 'meter': {
        // OVS xlate_meter_action(): the datapath meter, in place (no commit of pending sets).
        const id = ctx.br.dpMeterId?.(a.meterId);
        if (id !== undefined) ctx.res.actions.push({ type: 'meter', id });
        break;
      }
      case 'group':
        // A missing group ends this action list (not the pipeline), as in OVS.
        if (xlateGroupAction(ctx, a.groupId)) return;
        break;
      case 'write_actions':
        xlateWriteActions(ctx, a.actions);
        break;
      case 'clear_actions':
        xlateClearActions(ctx);
        break;
      case 'write_metadata': {
        const md = Buffer.from(bytes(flow, S.metadata)).readBigUInt64BE(0);
        const v = (md & ~a.mask) | (a.metadata & a.mask);
        flow.writeBigUInt64BE(v & 0xffffffffffffffffn, S.metadata.offset);
        break;
      }
      case 'learn':
        xlateLearn(ctx, a);
        break;
      case 'push_mpls':
        pushMpls(ctx, a.ethertype);
        break;
      case 'pop_mpls':
        popMpls(ctx, a.ethertype);
        break;
      case 'set_mpls_label':
        setMplsBits(ctx, MPLS_LABEL_MASK, a.label << MPLS_LABEL_SHIFT);
        break;
      case 'set_mpls_tc':
        setMplsBits(ctx, MPLS_TC_MASK, a.tc << MPLS_TC_SHIFT);
        break;
      case 'set_mpls_ttl':
        setMplsBits(ctx, MPLS_TTL_MASK, a.ttl);
        break;
      case 'dec_mpls_ttl':
        if (decMplsTtl(ctx)) return;
        break;
      case 'clone':
        xlateClone(ctx, a, last);
        break;
      case 'check_pkt_larger':
        xlateCheckPktLarger(ctx, a, ofpacts.slice(ofpacts.indexOf(a) + 1));
        return;
      case 'output_reg':
        xlateOutputReg(ctx, a);
        break;
      case 'output_trunc':
        xlateOutputTrunc(ctx, a);
        break;
      case 'enqueue':
        xlateEnqueue(ctx, a);
        break;
      case 'set_queue':
        xlateSetQueue(ctx, a.queueId);
        break;
      case 'pop_queue':
        xlatePopQueue(ctx);
        break;
      case 'fin_timeout':
        xlateFinTimeout(ctx, a);
        break;
      case 'stack_push':
        xlateStackPush(ctx, a.subfield);
        break;
      case 'stack_pop':
        xlateStackPop(ctx, a.subfield);
        break;
      case 'multipath':
        xlateMultipath(ctx, a);
        break;
      case 'bundle':
        xlateBundle(ctx, a);
        break;
      default:
        ctx.res.unsupported.push(a.type);
        ctx.res.trace.push(`action ${a.type} is not supported yet: skipped`);
    }
    // OVS: the action that froze translation, and those after it, run after recirculation.
    if (!ctx.error && ctx.exit && ctx.freezing && !ctx.frozenActions.length) {
      freezeUnrollActions(ctx, ofpacts.slice(i));
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The translation

/** OVS `xlate_wc_init()`: the fields every translation consults. */
export function wcInit(ctx: Ctx): void {
  const { flow, wc } = ctx;
  wcExact(wc, S.packet_type);
  wcExact(wc, S.in_port);
  wcExact(wc, S.dl_type);
  if (isIpAny(flow)) wcOr(wc, S.nw_frag, FLOW_NW_FRAG_MASK);
  wcExact(wc, S.recirc_id);
}

/**
 * OVS `xlate_wc_finish()`: drop what the datapath cannot or need not match: metadata and
 * registers, header bits of headers the packet does not have, ICMP type/code bits above 8,
 * ports of later fragments; match the tag-present bit whenever the TCI is matched.
 */
function wcFinish(ctx: Ctx): void {
  const { wc } = ctx;
  const orig = ctx.input.flow;
  wc.fill(0, S.metadata.offset, S.metadata.offset + S.metadata.len);
  for (let i = 0; i < 16; i++) wc.fill(0, S[`reg${i}`].offset, S[`reg${i}`].offset + 4);
  wc.fill(0, S.actset_output.offset, S.actset_output.offset + S.actset_output.len);
  wc.fill(0, S.conj_id.offset, S.conj_id.offset + S.conj_id.len);
  if (get(orig, S.packet_type) !== PT_ETH) {
    wc.fill(0, S.dl_src.offset, S.dl_src.offset + 6);
    wc.fill(0, S.dl_dst.offset, S.dl_dst.offset + 6);
  }
  const type = get(orig, S.dl_type);
  const proto = get(orig, S.nw_proto);
  if ((type === ETH_TYPE_IP && proto === IPPROTO_ICMP) || (type === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6)) {
    set(wc, S.tp_src, get(wc, S.tp_src) & 0xff);
    set(wc, S.tp_dst, get(wc, S.tp_dst) & 0xff);
  }
  if (get(wc, S.vlan_tci)) wcOr(wc, S.vlan_tci, VLAN_CFI);
  if (get(orig, S.nw_frag) & FLOW_NW_FRAG_LATER) {
    set(wc, S.tp_src, 0);
    set(wc, S.tp_dst, 0);
  }
  if (!ethTypeMpls(type)) set(wc, S.mpls_lse, 0);
  if (!(get(orig, S.vlan_tci) & VLAN_CFI)) set(wc, S.vlan_tci, 0);
  const tunnel = !isZero(orig, S.tun_dst) || !isZero(orig, S.tun_src) || !isZero(orig, S.tun_ipv6_dst)
    || !isZero(orig, S.tun_ipv6_src);
  if (!tunnel) wc.fill(0, S.tun_id.offset, S.tun_gtpu_msgtype.offset + S.tun_gtpu_msgtype.len);
}

/**
 * Translates a packet's flow through bridge `br`: from table 0 or, for a PACKET_OUT, through
 * `input.ofpacts`. A flow whose recirc_id is not 0 resumes the frozen translation of that id
 * (xlate-ct.ts `xlateResume()`; an unknown id drops the packet with `slow` set: no megaflow).
 *
 * @returns datapath actions, the megaflow wildcards, the rules met, packet-ins, MAC learning
 *   side effects; on a translation error (recursion too deep) the actions are empty
 */
export function xlateBridge(br: XlateBridge, input: XlateInput): XlateResult {
  const recircId = get(input.flow, S.recirc_id);
  if (recircId && !input.ofpacts) return xlateRecirculated(br, input, recircId);
  const ctx = new Ctx(br, input, input.ofpacts !== undefined);
  wcInit(ctx);
  input.tracer?.enter('bridge', `bridge("${br.name}")`);
  if (get(ctx.flow, S.ct_state) & CS_TRACKED) ctx.conntracked = true;
  const inPort = br.ports.get(ctx.inPort);
  if (inPort && (inPort.config ?? 0) & OFPUTIL_PC_NO_RECV) {
    ctx.res.trace.push(`port ${inPort.ofport} has OFPPC_NO_RECV: drop`);
  } else if (input.ofpacts) {
    doXlateActions(ctx, input.ofpacts);
  } else {
    const found = lookupFromTable(ctx, 0, ctx.inPort, true, true);
    xlateFound(ctx, found, false);
    input.tracer?.reenterLastTable();
  }
  return xlateFinish(ctx);
}

/** The end of every translation: {@link wcFinish}, and a failed translation dropping. */
export function xlateFinish(ctx: Ctx): XlateResult {
  // OVS xlate_actions(): the action set runs once the pipeline has ended, unless it froze.
  if (!ctx.error && !ctx.freezing) xlateActionSet(ctx);
  if (!ctx.error && ctx.freezing) finishFreezing(ctx);
  wcFinish(ctx);
  ctx.input.tracer?.finish(ctx.flow, ctx.error);
  if (ctx.error) {
    // As OVS: a failed translation installs a drop flow and sends nothing to the controller.
    ctx.res.trace.push(`translation failed: ${ctx.error}`);
    ctx.res.actions = [];
    ctx.res.packetIns = [];
    ctx.res.slow = false;
    ctx.res.slowAction = undefined;
  }
  return ctx.res;
}

/** A bridge the worker knows and the port a datapath port number belongs to. */
export interface XlateOwner {
  bridge: XlateBridge;
  port: XlatePort;
}

/**
 * Translates a datapath packet: finds the bridge that owns the datapath input port and runs
 * {@link xlateBridge}. A packet from a port no bridge owns is dropped, with `in_port` in the
 * mask so the drop megaflow covers only that port.
 *
 * @param portOfOdp the bridge and port of a datapath port number
 * @param odpInPort the datapath input port of the packet
 */
export function xlate(portOfOdp: (odpPort: number) => XlateOwner | undefined, odpInPort: number, input: XlateInput): XlateResult {
  const owner = odpInPort === ODPP_NONE ? undefined : portOfOdp(odpInPort);
  if (owner) return xlateBridge(owner.bridge, input);
  const wc = newFlow();
  wcExact(wc, S.packet_type);
  wcExact(wc, S.in_port);
  wcExact(wc, S.dl_type);
  wcExact(wc, S.recirc_id);
  if (isIpAny(input.flow)) wcOr(wc, S.nw_frag, FLOW_NW_FRAG_MASK);
  return {
    actions: [], wc, learned: [], rules: [], tableLookups: [], packetIns: [], slow: false, unsupported: [],
    trace: [`odp port ${odpInPort} belongs to no bridge: drop`],
  };
}

/** What {@link xlatePacketOut} gives the main thread. */
export interface PacketOutResult {
  /** encoded `OVS_PACKET_ATTR_ACTIONS` payload (src/genl/actions.ts) */
  odpActions: Buffer;
  /** encoded `OVS_PACKET_ATTR_KEY` payload for `OVS_PACKET_CMD_EXECUTE` */
  odpKey: Buffer;
  /**
   * the packets the actions send to the controller (reason OFPR_PACKET_OUT for output:CONTROLLER),
   * for logs and tests: executing `odpActions` makes the kernel send them up to a handler
   */
  packetIns: XlatePacketIn[];
  /** MAC entries NORMAL learned (packet-outs learn, as in OVS) */
  learned: XlateResult['learned'];
  /** rules the packet went through, to credit with it (see {@link XlateResult.rules}) */
  rules: number[];
  /** table lookups to credit (see {@link XlateResult.tableLookups}) */
  tableLookups: number[];
  /** rules and lookups in bridges reached through patch ports (see {@link XlateResult.peers}) */
  peers?: XlateResult['peers'];
  /** ofpacts skipped as unsupported */
  unsupported: string[];
  trace: string[];
  /** flows learned, for the caller to apply ({@link XlateResult.learns}) */
  learns?: LearnedFlow[];
  /** fin_timeout reductions, for the caller to apply */
  finTimeouts?: FinTimeoutEffect[];
  /**
   * SLOW_ACTION ({@link XlateResult.slowAction}): execute these instead of `odpActions`, in
   * order, each packet with its actions (the ARP/ICMP/ND sets already applied in userspace)
   */
  helped?: Array<{ packet: Buffer; odpActions: Buffer }>;
}

/**
 * PACKET_OUT (OVS `ofproto_dpif_execute_actions()` via `xlate_actions()` with `ofpacts`):
 * translates `ofpacts` for the packet whose headers are `flow` in bridge `br`, on the main thread.
 *
 * @param br the bridge: its tables (`FlowTables` fits {@link XlateTables}), ports by ofport,
 *   MAC table view (`new MacLearning(udpif.macTable, bridgeId, agingMs)`), miss and frag settings
 * @param flow the packet's flow bytes, from `flowExtract(packet, inPort)` (in_port = the
 *   packet-out's in_port, OFPP_CONTROLLER or OFPP_NONE allowed)
 * @param packet the packet bytes (for packet-ins)
 * @param ofpacts the packet-out's actions
 * @param nowMs CLOCK_MONOTONIC ms (MAC aging)
 * @returns the datapath actions and key to execute the packet with (execute only if the actions
 *   are non-empty), and the packet-ins to send
 * @throws RangeError from the key/action encoders on malformed values (none expected)
 */
export function xlatePacketOut(br: XlateBridge, flow: Buffer, packet: Uint8Array, ofpacts: readonly Ofpact[], nowMs: number): PacketOutResult {
  const x = xlateBridge(br, { flow, nowMs, mayLearn: true, packet, ofpacts, allowSideEffects: true, xcache: true });
  const inPort = br.ports.get(get(flow, S.in_port));
  const key = odpKeyFromFlow({ flow, odpInPort: inPort ? inPort.odpPort : ODPP_NONE, vlanTpid: 0 });
  return {
    odpActions: encodeActions(x.actions),
    odpKey: encodeFlowKey(key),
    packetIns: x.packetIns,
    learned: x.learned,
    rules: x.rules,
    tableLookups: x.tableLookups,
    peers: x.peers,
    unsupported: x.unsupported,
    trace: x.trace,
    learns: x.learns,
    finTimeouts: x.finTimeouts,
    ...(x.slowAction ? { helped: odpExecuteWithHelp(packet, x.actions).map((e) => ({ packet: e.packet, odpActions: encodeActions(e.actions) })) } : {}),
  };
}
