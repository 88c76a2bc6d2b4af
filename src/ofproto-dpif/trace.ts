/**
 * ofproto/trace: runs one translation with a tracer and prints it as OVS 3.1's
 * `ofproto/ofproto-dpif-trace.c` does:
 *
 * ```
 * Flow: tcp,in_port=1,vlan_tci=0x0000,dl_src=…,tcp_flags=0
 *
 * bridge("br0")
 * -------------
 *  0. tcp,nw_src=10.0.0.2, priority 20
 *     resubmit(,1)
 *      1. in_port=1, priority 32768, cookie 0x55
 *             output:2
 *
 * Final flow: unchanged
 * Megaflow: recirc_id=0,eth,tcp,in_port=1,nw_src=10.0.0.2,nw_frag=no
 * Datapath actions: 2
 * ```
 *
 * The trace is a tree of nodes (OVS `struct oftrace_node`): a bridge holds the table lookups made
 * in it, a table lookup holds the actions of the rule it found and the lookups those actions made
 * (resubmit, goto_table), and every node may carry details, warnings and errors. Translation
 * reports into the tree through {@link XlateTracer} (`XlateInput.tracer`); translation without a
 * tracer does no formatting at all.
 */
import { formatActions } from '../genl/actions';
import { formatIpv6 } from '../genl/addr';
import { Match } from '../openflow/match';
import { formatCtState, formatMatch } from '../openflow/match-format';
import { FLOW_LEN } from '../openflow/meta-flow';
import { formatOfpact } from '../openflow/ofpacts-format';
import { NX_NAT_F_DST, NX_NAT_F_SRC, type Ofpact, type OfpactOf } from '../openflow/ofpacts';
import {
  ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_NSH, ETH_TYPE_RARP, ethTypeMpls, FLOW_NW_FRAG_LATER,
  FLOW_NW_FRAG_MASK, bytes, get, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, isZero,
  ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, PT_ETH, S, set, wcExact, wcOr,
} from './flow';
import { CS_NEW, CS_TRACKED, type XlateRecirc } from './xlate-ct';
import { xlateBridge, type XlateBridge, type XlateResult, type XlateRule } from './xlate';

/** OVS `enum oftrace_node_type`. */
export type OftNodeType = 'bridge' | 'table' | 'thaw' | 'action' | 'detail' | 'warn' | 'error' | 'bucket';

/** One node of a trace (OVS `struct oftrace_node`). */
export interface OftNode {
  type: OftNodeType;
  text: string;
  /** nodes nested under this one */
  subs: OftNode[];
}

/** What a table lookup found, as the trace names it (OVS's internal rules by their role). */
export type TracedLookup = XlateRule | 'miss' | 'drop' | 'drop_frags';

/** IPPROTO_IGMP (RFC 1112): flow_format shows its ports too. */
const IPPROTO_IGMP = 2;

/**
 * Collects the events of one translation into a tree of {@link OftNode}s (OVS `xin->trace`).
 * Translation calls {@link XlateTracer.report} for details, warnings and errors,
 * {@link XlateTracer.enter}/{@link XlateTracer.leave} around what nests (a bridge, a table
 * lookup), {@link XlateTracer.ofpact} for each action it executes, and
 * {@link XlateTracer.finish} once with the flow as translation left it.
 */
export class XlateTracer {
  /** the top-level nodes */
  readonly root: OftNode[] = [];
  /** where new nodes go */
  private cur: OftNode[] = this.root;
  /** the flow at the end of translation (set by {@link finish}) */
  finalFlow?: Buffer;
  /** the translation error (OVS `xlate_strerror()` text), if translation failed */
  error?: string;

  /** Appends a node where reports go now; returns the list of its sub-nodes. */
  report(type: OftNodeType, text: string): OftNode[] {
    const node: OftNode = { type, text, subs: [] };
    this.cur.push(node);
    return node.subs;
  }

  /** Appends a node and sends later reports into it; returns what to give {@link leave}. */
  enter(type: OftNodeType, text: string): OftNode[] {
    const prev = this.cur;
    this.cur = this.report(type, text);
    return prev;
  }

  /** Sends reports where they went before the matching {@link enter}. */
  leave(prev: OftNode[]): void {
    this.cur = prev;
  }

  /**
   * Reports a table lookup and nests what follows in it (OVS `xlate_report_table()`):
   * `NN. MATCH, priority P[, cookie 0xC]` for a rule, OVS's texts for its internal rules.
   * @returns what to give {@link leave} once the rule's actions are done
   */
  table(tableId: number, found: TracedLookup): OftNode[] {
    let text = `${String(tableId).padStart(2)}. `;
    if (found === 'miss') text += 'No match, and a "packet-in" is called for.';
    else if (found === 'drop') text += 'No match.';
    else if (found === 'drop_frags') text += 'Packets are IP fragments and the fragment handling mode is "drop".';
    else {
      const m = formatMatch(new Match(Buffer.from(found.match.flow), Buffer.from(found.match.wc)));
      text += `${m}${m ? ', ' : ''}priority ${found.priority}`;
      if (found.cookie) text += `, cookie 0x${found.cookie.toString(16)}`;
    }
    return this.enter('table', text);
  }

  /**
   * Sends later reports back into the last table lookup reported here (OVS's top-level lookup
   * in `xlate_actions()` leaves `xin->trace` in the rule's node: what follows the pipeline, the
   * action set's execution, nests there).
   */
  reenterLastTable(): void {
    const last = this.cur[this.cur.length - 1];
    if (last?.type === 'table') this.cur = last.subs;
  }

  /** Reports one action about to be executed, as ovs-ofctl prints it. */
  ofpact(a: Ofpact): void {
    this.report('action', formatOfpact(a));
  }

  /** Records the end of translation: the final flow and the error, if any. */
  finish(flow: Buffer, error?: string): void {
    this.finalFlow = Buffer.from(flow);
    if (error) this.error = error;
  }
}

/** OVS `oftrace_node_type_is_terminal()`. */
function isTerminal(type: OftNodeType): boolean {
  return type !== 'bridge' && type !== 'table' && type !== 'thaw';
}

/**
 * Prints trace nodes as OVS `oftrace_node_print_details()`: four spaces per level, one more
 * level for a node that is not the last of its list or is terminal; bridges underlined.
 */
export function formatTraceNodes(nodes: readonly OftNode[], level = 0): string {
  let out = '';
  nodes.forEach((n, i) => {
    if (n.type === 'bridge') out += '\n';
    const more = i < nodes.length - 1 || isTerminal(n.type) ? 1 : 0;
    const indent = ' '.repeat((level + more) * 4);
    switch (n.type) {
      case 'detail': out += `${indent} -> ${n.text}\n`; break;
      case 'warn': out += `${indent} >> ${n.text}\n`; break;
      case 'error': out += `${indent} >>>> ${n.text} <<<<\n`; break;
      case 'bridge': out += `${indent}${n.text}\n${indent}${'-'.repeat(n.text.length)}\n`; break;
      default: out += `${indent}${n.text}\n`;
    }
    out += formatTraceNodes(n.subs, level + 2 * more);
  });
  return out;
}

/**
 * OVS `flow_wildcards_init_for_packet()` plus `match_wc_init()`'s registers and metadata: the
 * fields that mean something for a packet like `flow`.
 */
function wcForPacket(flow: Buffer): Buffer {
  const wc = Buffer.alloc(FLOW_LEN);
  const exact = (...names: string[]): void => { for (const n of names) wcExact(wc, S[n]); };
  const tunnel = !isZero(flow, S.tun_dst) || !isZero(flow, S.tun_ipv6_dst);
  if (tunnel) {
    if (get(flow, S.tun_flags) & 0x8) exact('tun_id');
    exact('tun_src', 'tun_dst', 'tun_ipv6_src', 'tun_ipv6_dst', 'tun_flags', 'tun_tos', 'tun_ttl', 'tun_gbp_id',
      'tun_gbp_flags', 'tun_erspan_ver', 'tun_erspan_idx', 'tun_erspan_dir', 'tun_erspan_hwid', 'tun_gtpu_flags',
      'tun_gtpu_msgtype');
  } else if (!isZero(flow, S.tun_id)) exact('tun_id');
  // OVS's ct_state is 8 bits wide: its full mask prints as flags (new|trk), not +new-est….
  set(wc, S.ct_state, 0xff);
  exact('skb_priority', 'pkt_mark', 'ct_zone', 'ct_mark', 'ct_label', 'recirc_id', 'dp_hash', 'in_port',
    'packet_type', 'metadata', ...Array.from({ length: 16 }, (_, i) => `reg${i}`));
  let dlType: number;
  if (get(flow, S.packet_type) === PT_ETH) {
    exact('dl_dst', 'dl_src', 'dl_type', 'vlan_tci');
    dlType = get(flow, S.dl_type);
  } else {
    dlType = get(flow, S.packet_type) & 0xffff;
  }
  const proto = get(flow, S.nw_proto);
  if (dlType === ETH_TYPE_IP) {
    exact('nw_src', 'nw_dst', 'ct_nw_src', 'ct_nw_dst');
  } else if (dlType === ETH_TYPE_IPV6) {
    exact('ipv6_src', 'ipv6_dst', 'ipv6_label');
    const tpSrc = get(flow, S.tp_src);
    // OVS is_nd() with a wc: the bits it tests join the mask.
    if (proto === IPPROTO_ICMPV6) exact('tp_dst', 'tp_src');
    if (proto === IPPROTO_ICMPV6 && get(flow, S.tp_dst) === 0 && (tpSrc === ND_NEIGHBOR_SOLICIT || tpSrc === ND_NEIGHBOR_ADVERT)) {
      exact('arp_sha', 'arp_tha', 'nd_target');
    } else {
      exact('ct_ipv6_src', 'ct_ipv6_dst');
    }
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    exact('nw_src', 'nw_dst', 'nw_proto', 'arp_sha', 'arp_tha');
    return wc;
  } else if (ethTypeMpls(dlType)) {
    exact('mpls_lse');
    return wc;
  } else if (dlType === ETH_TYPE_NSH) {
    exact('nsh_flags', 'nsh_ttl', 'nsh_mdtype', 'nsh_np', 'nsh_path_hdr', 'nsh_c1', 'nsh_c2', 'nsh_c3', 'nsh_c4');
  } else {
    return wc;
  }
  wcOr(wc, S.nw_frag, FLOW_NW_FRAG_MASK);
  exact('nw_tos', 'nw_ttl', 'nw_proto', 'ct_nw_proto', 'ct_tp_src', 'ct_tp_dst');
  if (!(get(flow, S.nw_frag) & FLOW_NW_FRAG_LATER)
    && [IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_IGMP].includes(proto)) {
    exact('tp_src', 'tp_dst');
    if (proto === IPPROTO_TCP) exact('tcp_flags');
  }
  return wc;
}

/** `flow` with only the bits of `wc` (OVS `match_init()`), as a Match. */
function maskedMatch(flow: Uint8Array, wc: Uint8Array): Match {
  return new Match(Buffer.from(flow.map((b, i) => b & wc[i])), Buffer.from(wc));
}

/**
 * Formats a packet's flow as OVS `flow_format()`: every field that means something for the
 * packet, except context fields (in_port, skb_priority, pkt_mark, recirc_id, dp_hash, conntrack,
 * registers, metadata) that are zero.
 * @param flow FLOW_LEN bytes
 */
export function flowFormat(flow: Buffer): string {
  const wc = wcForPacket(flow);
  const unmaskIfZero = (...names: string[]): void => {
    for (const n of names) if (isZero(flow, S[n])) wc.fill(0, S[n].offset, S[n].offset + S[n].len);
  };
  const unmask = (...names: string[]): void => { for (const n of names) wc.fill(0, S[n].offset, S[n].offset + S[n].len); };
  unmaskIfZero('in_port', 'skb_priority', 'pkt_mark', 'recirc_id', 'dp_hash', 'ct_state', 'ct_zone', 'ct_mark', 'ct_label',
    'metadata', ...Array.from({ length: 16 }, (_, i) => `reg${i}`));
  // OVS is_ct_valid(): ct_state has +trk without +inv.
  const ctState = get(flow, S.ct_state);
  if (!(ctState & 0x20 && !(ctState & 0x10)) || !get(flow, S.ct_nw_proto)) {
    unmask('ct_nw_proto', 'ct_tp_src', 'ct_tp_dst');
    const t = get(flow, S.dl_type);
    if (t === ETH_TYPE_IP) unmask('ct_nw_src', 'ct_nw_dst');
    else if (t === ETH_TYPE_IPV6) unmask('ct_ipv6_src', 'ct_ipv6_dst');
  }
  const text = formatMatch(maskedMatch(flow, wc));
  // OVS's flow has two VLAN headers and shows the second (empty) one after a tag.
  return get(flow, S.vlan_tci) && get(flow, S.packet_type) === PT_ETH ? text.replace(',dl_src=', ',vlan_tci1=0x0000,dl_src=') : text;
}

/** OVS `xlate_strerror()` for the errors translation reports. */
function xlateStrerror(error: string): string {
  if (error.startsWith('over max translation depth')) return 'Recursion too deep';
  if (error.startsWith('Recirculation context not found')) return 'No recirculation context';
  if (error.startsWith('Frozen bridge')) return 'Bridge not found';
  if (error.includes('resubmit actions')) return 'Too many resubmits';
  return error;
}

/** What to trace. */
export interface TraceRequest {
  /** the flow (FLOW_LEN bytes), in_port the OpenFlow port */
  flow: Buffer;
  /** TPID of the outer VLAN header (0x8100 when absent and tagged) */
  vlanTpid?: number;
  /**
   * the packet, when one was given or generated: translation may then have side effects (MAC
   * learning), as OVS's `xin->allow_side_effects = packet != NULL`
   */
  packet?: Uint8Array;
  /** whether there is a packet even though its bytes are not built (`-generate`) */
  hasPacket?: boolean;
  /** ofproto/trace-packet-out: the actions to trace instead of a table 0 lookup */
  ofpacts?: readonly Ofpact[];
  /** CLOCK_MONOTONIC ms (MAC aging) */
  nowMs: number;
  /** names of datapath ports, for `Datapath actions:` with `--names` */
  odpPortNames?: ReadonlyMap<number, string>;
  /** `--ct-next` ct_state values, one per conntrack recirculation followed, in order */
  ctNext?: readonly number[];
}

/** The text and the translation of one trace. */
export interface TraceOutput {
  text: string;
  /** the translation of the first pass */
  result: XlateResult;
  /** the translations of every pass: the first, then one per recirculation followed */
  passes: XlateResult[];
}

/** Whether two flows are equal apart from `actset_output` (xlate starts it at OFPP_UNSET, as OVS). */
function sameButActset(a: Buffer, b: Uint8Array): boolean {
  const { offset, len } = S.actset_output;
  return a.subarray(0, offset).equals(b.subarray(0, offset)) && a.subarray(offset + len).equals(b.subarray(offset + len));
}

/**
 * OVS `ofproto_trace__()`: one translation of `flow` with a tracer, formatted: `Flow:`, the trace
 * tree, `Final flow:`, `Megaflow:`, `Datapath actions:` (no newline after it, as OVS) and, on a
 * failed translation, `Translation failed (…), packet is dropped.`.
 */
function tracePass(br: XlateBridge, flow: Buffer, req: TraceRequest, ofpacts?: readonly Ofpact[]): { text: string; result: XlateResult } {
  const tracer = new XlateTracer();
  const mayLearn = req.packet !== undefined || req.hasPacket === true;
  const result = xlateBridge(br, {
    flow, vlanTpid: req.vlanTpid, nowMs: req.nowMs, mayLearn, packet: req.packet, ofpacts, tracer,
    // OVS xlate_in_init(): side effects with a packet (controller cookies then say dont_send=0;
    // nothing is executed, so no packet-in is sent either way).
    allowSideEffects: mayLearn,
  });
  let text = `Flow: ${flowFormat(flow)}\n`;
  text += formatTraceNodes(tracer.root);
  const final = tracer.finalFlow;
  text += `\nFinal flow: ${!final || sameButActset(final, flow) ? 'unchanged' : flowFormat(final)}\n`;
  text += `Megaflow: ${formatMatch(maskedMatch(flow, result.wc))}\n`;
  text += `Datapath actions: ${formatOdpActionsNamed(result, req.odpPortNames)}`;
  if (tracer.error) text += `\nTranslation failed (${xlateStrerror(tracer.error)}), packet is dropped.\n`;
  else if (result.slowAction) text += '\nThis flow is handled by the userspace slow path because it:\n  - Uses action(s) not supported by datapath.\n';
  return { text, result };
}

/** OVS `oftrace_print_ip_flow()`: the addresses and ports NAT may change, for address family `af`. */
function ipFlowText(flow: Buffer, af: OfpactOf<'nat'>['rangeAf']): string {
  const ports = (which: 'src' | 'dst'): string => String(get(flow, which === 'src' ? S.tp_src : S.tp_dst));
  if (af === 'inet') {
    const ip = (slot: typeof S.nw_src): string => Array.from(bytes(flow, slot)).join('.');
    return `nw_src=${ip(S.nw_src)},tp_src=${ports('src')},nw_dst=${ip(S.nw_dst)},tp_dst=${ports('dst')}\n`;
  }
  if (af === 'inet6') {
    const ip = (slot: typeof S.ipv6_src): string => `[${formatIpv6(Buffer.from(bytes(flow, slot)))}]`;
    return `ipv6_src=${ip(S.ipv6_src)},tp_src=${ports('src')},ipv6_dst=${ip(S.ipv6_dst)},tp_dst=${ports('dst')}\n`;
  }
  return '\n';
}

/**
 * OVS `ofproto_trace_recirc_node()`: the banner before a recirculated pass, and the flow that
 * pass starts from. A conntrack recirculation resumes with the next `--ct-next` state (consumed
 * from `ctNext`), by default trk|new; a ct with nat() has the packet translated to the first
 * address and port of its range ("Replacing src/dst IP/ports to simulate NAT").
 */
function recircBanner(rec: XlateRecirc, ctNext: number[]): { text: string; flow: Buffer } {
  const flow = Buffer.from(rec.flow);
  let text = `\n\n${'='.repeat(79)}\nrecirc(0x${rec.id.toString(16)})`;
  let ctState = CS_TRACKED | CS_NEW;
  if (ctNext.length) {
    ctState = ctNext.shift()!;
    text += ` - resume conntrack with ct_state=${formatCtState(ctState)}`;
  } else {
    text += ' - resume conntrack with default ct_state=trk|new (use --ct-next to customize)';
  }
  set(flow, S.ct_state, ctState);
  text += '\n';
  const ofn = rec.nat;
  if (ofn) {
    text += `Replacing src/dst IP/ports to simulate NAT:\n Initial flow: ${ipFlowText(flow, ofn.rangeAf)}`;
    for (const [flag, which] of [[NX_NAT_F_SRC, 'src'], [NX_NAT_F_DST, 'dst']] as const) {
      if (!(ofn.flags & flag)) continue;
      if (ofn.rangeAf === 'inet') flow.set(ofn.addrMin.subarray(0, 4), which === 'src' ? S.nw_src.offset : S.nw_dst.offset);
      else if (ofn.rangeAf === 'inet6') flow.set(ofn.addrMin.subarray(0, 16), which === 'src' ? S.ipv6_src.offset : S.ipv6_dst.offset);
      if (ofn.rangeAf !== 'unspec' && ofn.protoMin) set(flow, which === 'src' ? S.tp_src : S.tp_dst, ofn.protoMin);
    }
    text += ` Modified flow: ${ipFlowText(flow, ofn.rangeAf)}`;
  }
  text += `${'='.repeat(79)}\n\n`;
  return { text, flow };
}

/**
 * OVS `ofproto_trace()`: translates `req.flow` in bridge `br` with a tracer and formats the
 * result ({@link tracePass}), then follows every recirculation the translation forked for
 * conntrack (`ct(table=N)`), in the order they were set up, each pass's own forks queued after
 * the others: a banner ({@link recircBanner}) and the trace of the recirculated packet resuming
 * its frozen state, as a handler resumes a recirculated upcall. Nothing is executed and no rule
 * or table statistics are credited (the caller must not credit the results' `rules`); MAC
 * learning happens only with a packet, as in OVS.
 *
 * Where ts-vswitchd differs: trace-packet-out's actions are not given to the recirculated passes
 * (OVS reports "Recirculation conflict (actions)!" there).
 */
export function ofprotoTrace(br: XlateBridge, req: TraceRequest): TraceOutput {
  const ctNext = [...(req.ctNext ?? [])];
  const first = tracePass(br, req.flow, req, req.ofpacts);
  let text = first.text;
  const passes = [first.result];
  const queue = [...(first.result.recircs ?? [])];
  for (let rec = queue.shift(); rec; rec = queue.shift()) {
    const banner = recircBanner(rec, ctNext);
    const pass = tracePass(br, banner.flow, req);
    text += banner.text + pass.text;
    passes.push(pass.result);
    queue.push(...(pass.result.recircs ?? []));
  }
  if (!text.endsWith('\n')) text += '\n';
  return { text, result: first.result, passes };
}

function formatOdpActionsNamed(r: XlateResult, names?: ReadonlyMap<number, string>): string {
  if (!names || !r.actions.length) return formatActions(r.actions);
  return r.actions.map((a) => (a.type === 'output' && names.has(a.port) ? names.get(a.port) as string : formatActions([a]))).join(',');
}
