/**
 * Translation of the ovs-actions(7) actions that nest or redirect output: clone,
 * check_pkt_larger, output:reg (`output(port=field[])`), output_trunc (`output(port=…,max_len=…)`),
 * enqueue / set_queue / pop_queue, fin_timeout, stack push/pop, multipath, bundle/bundle_load,
 * and learn's translation-side half, as OVS 3.1's ofproto-dpif-xlate.c does them, megaflow wildcarding included.
 */
import { OFPP_ALL, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_NONE, OFPP_NORMAL, OFPP_TABLE } from '../openflow/common';
import { mfField, mfGetValue, mfSetValue } from '../openflow/meta-flow';
import { bitwiseCopy, bitwiseGet, bitwiseOne, bitwisePut } from '../openflow/ofp-actions-fields';
import { OFPUTIL_PC_PORT_DOWN } from '../openflow/ofp-port';
import {
  NX_BD_ALG_ACTIVE_BACKUP, NX_MP_ALG_HASH_THRESHOLD, NX_MP_ALG_HRW, NX_MP_ALG_ITER_HASH, NX_MP_ALG_MODULO_N,
  MfSubfield, Ofpact, OfpactOf,
} from '../openflow/ofpacts';
import { flowHashFields, flowMaskHashFields, hash2Words, VlanTcis } from './flow-hash';
import type { OdpAction } from '../genl/actions';
import { get, IPPROTO_TCP, S, set, wcExact } from './flow';
import type { Ctx } from './xlate';
import { commitOdpActions, composeOutput, doXlateActions, xlateOutput } from './xlate';
import { learnExecute, learnMask, learnResultDst } from './xlate-learn';

/** TCP flag bits fin_timeout looks at (RFC 793). */
const TCP_FIN = 0x01;
const TCP_RST = 0x04;

/** The translation state a nested action list must not leak (OVS saves these around clone and check_pkt_larger). */
interface Saved {
  flow: Buffer;
  flowTpid: number;
  flowInner: Ctx['flowInner'];
  wasMpls: boolean;
  stack: Buffer[];
}

function saveFlow(ctx: Ctx): Saved {
  return {
    flow: Buffer.from(ctx.flow), flowTpid: ctx.flowTpid, flowInner: ctx.flowInner && { ...ctx.flowInner },
    wasMpls: ctx.wasMpls, stack: ctx.stack.slice(),
  };
}

function restoreFlow(ctx: Ctx, s: Saved): void {
  s.flow.copy(ctx.flow);
  ctx.flowTpid = s.flowTpid;
  ctx.flowInner = s.flowInner && { ...s.flowInner };
  ctx.stack = s.stack;
}

interface SavedBase {
  base: Buffer;
  baseTpid: number;
  baseInner: Ctx['baseInner'];
}

function saveBase(ctx: Ctx): SavedBase {
  return { base: Buffer.from(ctx.base), baseTpid: ctx.baseTpid, baseInner: ctx.baseInner && { ...ctx.baseInner } };
}

function restoreBase(ctx: Ctx, s: SavedBase): void {
  s.base.copy(ctx.base);
  ctx.baseTpid = s.baseTpid;
  ctx.baseInner = s.baseInner && { ...s.baseInner };
}

/**
 * Translates `ofpacts` into a nested datapath action list (the body of OVS_ACTION_ATTR_CLONE
 * or of a check_pkt_len branch) as the last actions of that list.
 */
function nested(ctx: Ctx, ofpacts: readonly Ofpact[]): OdpAction[] {
  const outer = ctx.res.actions;
  const outerAt = ctx.packetAt;
  const outerLast = ctx.isLast;
  ctx.res.actions = [];
  ctx.packetAt = 0;
  ctx.isLast = true;
  try {
    doXlateActions(ctx, ofpacts);
    return ctx.res.actions;
  } finally {
    ctx.res.actions = outer;
    ctx.packetAt = outerAt;
    ctx.isLast = outerLast;
  }
}

/** OVS `reversible_actions()`: actions whose effects translation can undo without a datapath clone. */
const IRREVERSIBLE = new Set(['ct', 'meter', 'nat', 'output_trunc', 'encap', 'decap', 'dec_nsh_ttl']);

/**
 * OVS `clone_xlate_actions()`: reversible actions (or a clone that is the translation's last
 * action) are translated inline; otherwise pending changes are committed and the actions go in
 * an OVS_ACTION_ATTR_CLONE (left out when empty). Either way the flow, the register stack and
 * `was_mpls` come back as they were; the datapath view (`base`) too, for a datapath clone.
 */
export function xlateClone(ctx: Ctx, a: OfpactOf<'clone'>, last: boolean): void {
  const saved = saveFlow(ctx);
  if (last || a.actions.every((x) => !IRREVERSIBLE.has(x.type))) {
    const outerLast = ctx.isLast;
    ctx.isLast = last;
    doXlateActions(ctx, a.actions);
    ctx.isLast = outerLast;
  } else {
    commitOdpActions(ctx);
    const base = saveBase(ctx);
    const actions = nested(ctx, a.actions);
    if (actions.length) ctx.res.actions.push({ type: 'clone', actions });
    restoreBase(ctx, base);
    ctx.wasMpls = saved.wasMpls;
  }
  restoreFlow(ctx, saved);
}

/** Writes `value` (0 or 1) into subfield `dst` of the flow (OVS `mf_write_subfield_flow`). */
function writeSubfieldFlow(flow: Buffer, dst: MfSubfield, value: number): void {
  const f = mfField(dst.field);
  const v = mfGetValue(f, flow);
  const src = Buffer.alloc(16);
  src[15] = value;
  bitwiseCopy(src, 0, v, dst.ofs, dst.nBits);
  mfSetValue(f, flow, v);
}

/**
 * OVS `xlate_check_pkt_larger()` with a datapath that has OVS_ACTION_ATTR_CHECK_PKT_LEN: commits,
 * then translates the rest of the current action list twice, once with `dst` = 1 (packets longer
 * than `pktLen`) and once with `dst` = 0, into the two branches. The caller stops its list.
 * @param rest the actions after check_pkt_larger in the current list
 */
export function xlateCheckPktLarger(ctx: Ctx, a: OfpactOf<'check_pkt_larger'>, rest: readonly Ofpact[]): void {
  const saved = saveFlow(ctx);
  commitOdpActions(ctx);
  const base = saveBase(ctx);
  const outerExit = ctx.exit;

  writeSubfieldFlow(ctx.flow, a.dst, 1);
  const ifGreater = nested(ctx, rest);
  restoreBase(ctx, base);
  restoreFlow(ctx, saved);
  ctx.wasMpls = saved.wasMpls;
  ctx.exit = false;

  writeSubfieldFlow(ctx.flow, a.dst, 0);
  const ifLessEqual = nested(ctx, rest);
  ctx.res.actions.push({ type: 'check_pkt_len', pktLen: a.pktLen, ifGreater, ifLessEqual });
  restoreBase(ctx, base);
  restoreFlow(ctx, saved);
  ctx.wasMpls = saved.wasMpls;
  ctx.exit = outerExit;
}

/** OVS `xlate_output_reg_action()`: output to the port a subfield holds, the subfield un-wildcarded. */
export function xlateOutputReg(ctx: Ctx, a: OfpactOf<'output_reg'>): void {
  const f = mfField(a.src.field);
  const port = bitwiseGet(mfGetValue(f, ctx.flow), a.src.ofs, a.src.nBits);
  if (port > 0xffffn) {
    ctx.res.trace.push(`output port ${port} is out of range`);
    return;
  }
  const m = mfGetValue(f, ctx.wc);
  bitwiseOne(m, a.src.ofs, a.src.nBits);
  mfSetValue(f, ctx.wc, m);
  ctx.res.trace.push(`output port is ${port}`);
  xlateOutput(ctx, Number(port), a.maxLen);
}

/**
 * OVS `xlate_output_trunc_action()`: OVS_ACTION_ATTR_TRUNC then the output, for a real port
 * other than the input port; the special ports are refused (warning), a port the bridge does
 * not have (or IN_PORT, which names none) is a translation error as in OVS.
 */
export function xlateOutputTrunc(ctx: Ctx, a: OfpactOf<'output_trunc'>): void {
  switch (a.port) {
    case OFPP_TABLE: case OFPP_NORMAL: case OFPP_FLOOD: case OFPP_ALL: case OFPP_CONTROLLER: case OFPP_NONE:
      ctx.res.trace.push(`output_trunc does not support port ${a.port}`);
      return;
  }
  if (a.port === ctx.inPort) {
    ctx.res.trace.push('skipping output to input port');
    return;
  }
  if (!ctx.br.ports.has(a.port)) {
    ctx.error = `output_trunc does not support port ${a.port}`;
    return;
  }
  ctx.res.actions.push({ type: 'trunc', maxLen: a.maxLen });
  xlateOutput(ctx, a.port, 0);
}

/**
 * The skb priority of an OpenFlow queue (OVS `dpif_queue_to_priority()`): the bridge's mapping
 * when it has one, else the Linux datapath's `TC_H_MAKE(1 << 16, queue + 1)` for queues below
 * 0xf000 (dpif-netlink), undefined for the others.
 */
export function queueToPriority(ctx: Ctx, queueId: number): number | undefined {
  if (ctx.br.queueToPriority) return ctx.br.queueToPriority(queueId);
  return queueId < 0xf000 ? ((1 << 16) | ((queueId + 1) & 0xffff)) >>> 0 : undefined;
}

/**
 * OVS OFPACT_ENQUEUE (`xlate_enqueue_action()`): skb_priority un-wildcarded; output to the port
 * with the queue's priority for that output only; a queue without a priority is a plain output.
 */
export function xlateEnqueue(ctx: Ctx, a: OfpactOf<'enqueue'>): void {
  wcExact(ctx.wc, S.skb_priority);
  const priority = queueToPriority(ctx, a.queue);
  if (priority === undefined) {
    xlateOutput(ctx, a.port, 0);
    return;
  }
  let port = a.port;
  if (port === OFPP_IN_PORT) port = ctx.inPort;
  else if (port === ctx.inPort) return;
  const old = get(ctx.flow, S.skb_priority);
  set(ctx.flow, S.skb_priority, priority);
  composeOutput(ctx, port);
  set(ctx.flow, S.skb_priority, old);
}

/** OFPACT_SET_QUEUE: skb_priority un-wildcarded, then the queue's priority when it has one. */
export function xlateSetQueue(ctx: Ctx, queueId: number): void {
  wcExact(ctx.wc, S.skb_priority);
  const priority = queueToPriority(ctx, queueId);
  if (priority !== undefined) set(ctx.flow, S.skb_priority, priority);
}

/** OFPACT_POP_QUEUE: back to the packet's original skb_priority. */
export function xlatePopQueue(ctx: Ctx): void {
  wcExact(ctx.wc, S.skb_priority);
  set(ctx.flow, S.skb_priority, get(ctx.input.flow, S.skb_priority));
}

/**
 * OFPACT_FIN_TIMEOUT: nw_proto un-wildcarded (not the TCP flags: OVS reads them from the packet
 * or the flow's statistics, not from the flow); with side effects allowed and a FIN or RST seen,
 * the current rule's timeouts are to be lowered (recorded in `XlateResult.finTimeouts`).
 */
export function xlateFinTimeout(ctx: Ctx, a: OfpactOf<'fin_timeout'>): void {
  wcExact(ctx.wc, S.nw_proto);
  if (!ctx.rule || !ctx.input.allowSideEffects) return;
  const tcpFlags = ctx.input.tcpFlags ?? (get(ctx.input.flow, S.nw_proto) === IPPROTO_TCP ? get(ctx.input.flow, S.tcp_flags) : 0);
  if (!(tcpFlags & (TCP_FIN | TCP_RST))) return;
  (ctx.res.finTimeouts ??= []).push({ bridge: ctx.br.name, ruleId: ctx.rule.id, idleTimeout: a.finIdleTimeout, hardTimeout: a.finHardTimeout });
}

/**
 * OVS `xlate_learn_action()`: the source fields are un-wildcarded; with side effects allowed the
 * learned flow is recorded in `XlateResult.learns` for the main thread; `result_dst` gets 1.
 */
export function xlateLearn(ctx: Ctx, a: OfpactOf<'learn'>): void {
  learnMask(a, ctx.wc);
  if (!ctx.input.allowSideEffects) {
    ctx.res.trace.push('suppressing side effects, so learn action ignored');
    return;
  }
  const lf = learnExecute(a, ctx.flow);
  lf.bridge = ctx.br.name;
  if (ctx.rule) lf.fromRule = ctx.rule.id;
  (ctx.res.learns ??= []).push(lf);
  ctx.res.trace.push(`learn: table=${lf.tableId} priority=${lf.priority}`);
  const dst = learnResultDst(a);
  if (dst) {
    const f = mfField(dst.field);
    const m = mfGetValue(f, ctx.wc);
    bitwiseOne(m, dst.ofs, dst.nBits);
    mfSetValue(f, ctx.wc, m);
    writeSubfieldFlow(ctx.flow, dst, 1);
  }
}

/** OVS `nxm_execute_stack_push()`: the subfield's bits (un-wildcarded) onto the register stack. */
export function xlateStackPush(ctx: Ctx, sf: MfSubfield): void {
  const f = mfField(sf.field);
  const m = mfGetValue(f, ctx.wc);
  bitwiseOne(m, sf.ofs, sf.nBits);
  mfSetValue(f, ctx.wc, m);
  const v = Buffer.alloc(16);
  bitwiseCopy(mfGetValue(f, ctx.flow), sf.ofs, v, 0, sf.nBits);
  ctx.stack.push(v.subarray(16 - Math.ceil(sf.nBits / 8)));
}

/** OVS `nxm_execute_stack_pop()`: the top of the stack into the subfield (un-wildcarded); nothing on underflow. */
export function xlateStackPop(ctx: Ctx, sf: MfSubfield): void {
  const top = ctx.stack.pop();
  if (!top) {
    ctx.res.trace.push('stack underflow');
    return;
  }
  const f = mfField(sf.field);
  const m = mfGetValue(f, ctx.wc);
  bitwiseOne(m, sf.ofs, sf.nBits);
  mfSetValue(f, ctx.wc, m);
  const src = Buffer.alloc(16);
  top.copy(src, 16 - top.length);
  const v = mfGetValue(f, ctx.flow);
  bitwiseCopy(src, 0, v, sf.ofs, sf.nBits);
  mfSetValue(f, ctx.flow, v);
}

/** OVS `nxm_reg_load()`: `value` into subfield `dst`, its bits un-wildcarded. */
function regLoad(ctx: Ctx, dst: MfSubfield, value: number): void {
  const f = mfField(dst.field);
  const m = mfGetValue(f, ctx.wc);
  bitwiseOne(m, dst.ofs, dst.nBits);
  mfSetValue(f, ctx.wc, m);
  const v = mfGetValue(f, ctx.flow);
  bitwisePut(BigInt(value), v, dst.ofs, dst.nBits);
  mfSetValue(f, ctx.flow, v);
}

/** The flow's outer and inner VLAN TCIs, as OVS's `flow->vlans[]`. */
function vlanTcis(ctx: Ctx): VlanTcis {
  return [get(ctx.flow, S.vlan_tci), ctx.flowInner?.tci ?? 0];
}

/** lib/multipath.c `algorithm_iter_hash()`. */
function iterHash(hash: number, nLinks: number, modulo: number): number {
  if (modulo < nLinks || Math.floor(modulo / 2) > nLinks) {
    let x = nLinks - 1;
    x |= x >> 1; x |= x >> 2; x |= x >> 4; x |= x >> 8;
    modulo = x + 1;
  }
  let link: number;
  let i = 0;
  do link = hash2Words(hash, i++) % modulo; while (link >= nLinks);
  return link;
}

/** lib/multipath.c `multipath_algorithm()`: the link (0..nLinks-1) for `hash`. */
export function multipathAlgorithm(hash: number, algorithm: number, nLinks: number, arg: number): number {
  switch (algorithm) {
    case NX_MP_ALG_MODULO_N:
      return hash % nLinks;
    case NX_MP_ALG_HASH_THRESHOLD:
      return nLinks === 1 ? 0 : Math.floor(hash / (Math.floor(0xffffffff / nLinks) + 1));
    case NX_MP_ALG_HRW: {
      if (nLinks > 64) return iterHash(hash, nLinks, 0);
      let best = 0;
      let bestWeight = hash2Words(hash, 0);
      for (let link = 1; link < nLinks; link++) {
        const w = hash2Words(hash, link);
        if (w > bestWeight) {
          best = link;
          bestWeight = w;
        }
      }
      return best;
    }
    case NX_MP_ALG_ITER_HASH:
      return iterHash(hash, nLinks, arg);
    default:
      throw new RangeError(`unknown multipath algorithm ${algorithm}`);
  }
}

/**
 * OVS `multipath_execute()`: hashes the fields, picks a link among `max_link + 1` with the
 * algorithm, un-wildcards the hashed fields and loads the link into `dst`.
 */
export function xlateMultipath(ctx: Ctx, a: OfpactOf<'multipath'>): void {
  const hash = flowHashFields(ctx.flow, vlanTcis(ctx), a.fields, a.basis);
  const link = multipathAlgorithm(hash, a.algorithm, a.maxLink + 1, a.arg) & 0xffff;
  flowMaskHashFields(ctx.flow, ctx.wc, a.fields);
  regLoad(ctx, a.dst, link);
}

/**
 * OVS `member_enabled_cb()`: the special ports count as live, CONTROLLER never; a real port when
 * the bridge has it and it is up (not OFPPC_PORT_DOWN, no link-down state).
 */
function memberEnabled(ctx: Ctx, port: number): boolean {
  switch (port) {
    case OFPP_IN_PORT: case OFPP_TABLE: case OFPP_NORMAL: case OFPP_FLOOD: case OFPP_ALL: case OFPP_NONE:
      return true;
    case OFPP_CONTROLLER:
      return false;
  }
  const p = ctx.br.ports.get(port);
  return p !== undefined && !((p.config ?? 0) & OFPUTIL_PC_PORT_DOWN) && !p.linkDown;
}

/**
 * OVS `xlate_bundle_action()` / lib/bundle.c `bundle_execute()`: active_backup takes the first
 * live member; hrw the live member with the highest `hash_2words(index, flow hash)` (hashed
 * fields un-wildcarded when there is more than one member). bundle outputs to it, bundle_load
 * loads its number (OFPP_NONE when none is live) into `dst`.
 */
export function xlateBundle(ctx: Ctx, a: OfpactOf<'bundle'>): void {
  let port = OFPP_NONE;
  if (a.algorithm === NX_BD_ALG_ACTIVE_BACKUP) {
    port = a.members.find((m) => memberEnabled(ctx, m)) ?? OFPP_NONE;
  } else {
    if (a.members.length > 1) flowMaskHashFields(ctx.flow, ctx.wc, a.fields);
    const flowHash = flowHashFields(ctx.flow, vlanTcis(ctx), a.fields, a.basis);
    let bestHash = 0;
    let best = -1;
    a.members.forEach((m, i) => {
      if (!memberEnabled(ctx, m)) return;
      const h = hash2Words(i, flowHash);
      if (best < 0 || h > bestHash) {
        bestHash = h;
        best = i;
      }
    });
    if (best >= 0) port = a.members[best];
  }
  if (a.dst) regLoad(ctx, a.dst, port);
  else xlateOutput(ctx, port, 0);
}
