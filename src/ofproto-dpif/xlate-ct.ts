/**
 * Translation of the connection tracking actions (ovs-actions(7) "ct", "ct_clear", "nat") and of
 * recirculation: freezing a translation into a recirculation id and resuming ("thawing") it
 * when the recirculated packet comes back up, as OVS 3.1's ofproto-dpif-xlate.c
 * (`compose_conntrack_action()`, `put_ct_*()`, `compose_ct_clear_action()`,
 * `compose_recirculate_and_fork()`, `finish_freezing__()`, the thaw in `xlate_actions()`).
 *
 * `ct(...)` commits pending header changes, translates its nested `exec(...)` actions (which may
 * only set ct_mark and ct_label) and `nat(...)`, and emits OVS_ACTION_ATTR_CT with zone, commit or
 * force_commit, mark and labels (value and mask: the bits the nested actions set), helper and
 * NAT. With `table=N` it then forks: a frozen state (bridge, table N, the pipeline metadata,
 * conntracked) gets a recirculation id from the shared pool (recirc.ts) and `recirc(id)` follows;
 * the rest of the current action list goes on translating for the packet as it was. Either way
 * the ct_* fields are then cleared in the flow: they exist only in the `table=` call chain.
 *
 * A translation of a packet whose `recirc_id` is not 0 resumes the frozen state of that id
 * ({@link xlateResume}): the ct_* fields of the recirculated packet (from its kernel flow key)
 * stay visible when the state is conntracked, the metadata is restored, and lookup starts in the
 * frozen table. An unknown id drops the packet without installing a megaflow (OVS installs
 * none without a reference to the recirculation context).
 *
 * Not done: OVS_CT_ATTR_EVENTMASK (OVS adds it on kernels that support it; neither OVS's
 * printer nor the forwarding shows it) and OVS_CT_ATTR_TIMEOUT (zone timeout policies are not
 * configured from OVSDB yet).
 */
import type { OdpAction, OdpCtAction, OdpCtNat } from '../genl/actions';
import { formatIpv6 } from '../genl/addr';
import { mfFieldByName, mfGetValue, MfField } from '../openflow/meta-flow';
import { bitwiseGet, bitwiseOne } from '../openflow/ofp-actions-fields';
import {
  NX_CT_F_COMMIT, NX_CT_F_FORCE, NX_CT_RECIRC_NONE, NX_NAT_F_DST, NX_NAT_F_PERSISTENT, NX_NAT_F_PROTO_HASH,
  NX_NAT_F_PROTO_RANDOM, NX_NAT_F_SRC, OfpactOf,
} from '../openflow/ofpacts';
import { formatOfpacts } from '../openflow/ofpacts-format';
import { bytes, get, isIpAny, S, set } from './flow';
import { xlateWriteActions } from './xlate-actset';
import { FrozenState, frozenMetadataFromFlow, frozenMetadataToFlow, threadRecircPool } from './recirc';
import {
  commitOdpActions, Ctx, doXlateActions, lookupFromTable, maskFieldMasked, resourceCheck, xlateFinish, xlateFound, XlateBridge,
  XlateInput, XlateResult, wcInit,
} from './xlate';

/** ct_state bits (ovs-fields(7) "ct_state"): new connection. */
export const CS_NEW = 0x01;
/** ct_state bits: the packet has been through conntrack. */
export const CS_TRACKED = 0x20;

/** The well-known ports of the ALGs OVS can name (`alg=ftp`, `alg=tftp`). */
const IPPORT_FTP = 21;
const IPPORT_TFTP = 69;

/** One recirculation a translation set up (OVS `xout->recircs` plus the trace's recirc node). */
export interface XlateRecirc {
  /** the recirculation id in `recirc(id)` */
  id: number;
  /** the table the recirculated packet resumes in */
  tableId: number;
  /** for `ct(table=)`: the conntrack zone (the trace's resumed flow gets it as ct_zone) */
  zone: number;
  /**
   * the flow at the fork with recirc_id = id and ct_zone = zone (what OVS's ofproto/trace
   * resumes: set ct_state, by default trk|new, and translate it with {@link xlateBridge})
   */
  flow: Buffer;
  /** the ct action's nat(), for a trace's NAT simulation */
  nat?: OfpactOf<'nat'>;
}

/** OVS `mf_is_frozen_metadata()`: tunnel fields, metadata, in_port and the registers. */
function isFrozenMetadata(f: MfField): boolean {
  return /^(tun_|metadata$|in_port|x{0,2}reg\d+$)/.test(f.name);
}

/** The kernel's ct_labels bytes (a little-endian 128-bit value) from the big-endian flow slot. */
function labelsWire(b: Uint8Array): Buffer {
  return Buffer.from(b).reverse();
}

/** OVS `flow_clear_conntrack()`: zeroes every ct_* field of `flow`. */
export function flowClearConntrack(flow: Buffer): void {
  for (const n of ['ct_state', 'ct_zone', 'ct_mark', 'ct_label', 'ct_nw_proto', 'ct_nw_src', 'ct_nw_dst', 'ct_ipv6_src',
    'ct_ipv6_dst', 'ct_tp_src', 'ct_tp_dst']) {
    flow.fill(0, S[n].offset, S[n].offset + S[n].len);
  }
}

/** OVS `put_ct_nat()`: the OVS_CT_ATTR_NAT of a nat() action. */
function ctNat(ofn: OfpactOf<'nat'>): OdpCtNat {
  const nat: OdpCtNat = {};
  if (!(ofn.flags & (NX_NAT_F_SRC | NX_NAT_F_DST))) return nat;
  if (ofn.flags & NX_NAT_F_SRC) nat.src = true;
  else nat.dst = true;
  if (ofn.flags & NX_NAT_F_PERSISTENT) nat.persistent = true;
  if (ofn.flags & NX_NAT_F_PROTO_HASH) nat.protoHash = true;
  else if (ofn.flags & NX_NAT_F_PROTO_RANDOM) nat.protoRandom = true;
  if (ofn.rangeAf === 'inet') {
    nat.ipMin = Array.from(ofn.addrMin.subarray(0, 4)).join('.');
    if (ofn.addrMax.readUInt32BE(0) > ofn.addrMin.readUInt32BE(0)) nat.ipMax = Array.from(ofn.addrMax.subarray(0, 4)).join('.');
  } else if (ofn.rangeAf === 'inet6') {
    nat.ipMin = formatIpv6(ofn.addrMin);
    if (ofn.addrMax.some((x) => x !== 0) && Buffer.compare(ofn.addrMax, ofn.addrMin) > 0) nat.ipMax = formatIpv6(ofn.addrMax);
  }
  if (ofn.rangeAf !== 'unspec' && ofn.protoMin) {
    nat.protoMin = ofn.protoMin;
    if (ofn.protoMax && ofn.protoMax > ofn.protoMin) nat.protoMax = ofn.protoMax;
  }
  return nat;
}

/**
 * OVS `compose_conntrack_action()`: the `ct` action (ovs-actions(7) "The ct action"). Emits
 * OVS_ACTION_ATTR_CT after committing pending header changes; with `table=` forks a
 * recirculation ({@link composeRecirculateAndFork}); finally clears the ct_* fields.
 * Un-wildcards the zone's source subfield (unless resuming and it is frozen metadata, which the
 * recirculation id already pins down); ct_mark/ct_label bits set by `exec()` go into the action,
 * not into the megaflow.
 */
export function composeConntrack(ctx: Ctx, a: OfpactOf<'ct'>): void {
  let zone = a.zoneImm;
  if (a.zoneSrc) {
    const f = mfFieldByName(a.zoneSrc.field);
    if (f) {
      zone = Number(bitwiseGet(mfGetValue(f, ctx.flow), a.zoneSrc.ofs, a.zoneSrc.nBits)) & 0xffff;
      if (!(ctx.frozen && isFrozenMetadata(f))) {
        const m = Buffer.alloc(f.nBytes);
        bitwiseOne(m, a.zoneSrc.ofs, a.zoneSrc.nBits);
        maskFieldMasked(ctx, f, m);
      }
    }
  }
  const wc = ctx.wc;
  const oldMark = get(wc, S.ct_mark);
  const oldLabel = Buffer.from(bytes(wc, S.ct_label));
  commitOdpActions(ctx);

  // The nested actions fill in the mark, labels and NAT.
  ctx.ctNatAction = undefined;
  set(wc, S.ct_mark, 0);
  wc.fill(0, S.ct_label.offset, S.ct_label.offset + S.ct_label.len);
  doXlateActions(ctx, a.actions);

  const ct: OdpCtAction = {};
  if (a.flags & NX_CT_F_COMMIT) {
    if (a.flags & NX_CT_F_FORCE) ct.forceCommit = true;
    else ct.commit = true;
  }
  ct.zone = zone;
  const markMask = get(wc, S.ct_mark) >>> 0;
  if (markMask) ct.mark = { value: (get(ctx.flow, S.ct_mark) & markMask) >>> 0, mask: markMask };
  const labelMask = Buffer.from(bytes(wc, S.ct_label));
  if (labelMask.some((x) => x !== 0)) {
    const value = Buffer.from(bytes(ctx.flow, S.ct_label)).map((x, i) => x & labelMask[i]);
    ct.labels = { value: labelsWire(value), mask: labelsWire(labelMask) };
  }
  if (a.alg === IPPORT_FTP) ct.helper = 'ftp';
  else if (a.alg === IPPORT_TFTP) ct.helper = 'tftp';
  else if (a.alg) ctx.res.trace.push(`cannot serialize ct_helper ${a.alg}`);
  if (ctx.ctNatAction) ct.nat = ctNat(ctx.ctNatAction);
  ctx.res.actions.push({ type: 'ct', ...ct } as OdpAction);

  set(wc, S.ct_mark, oldMark);
  wc.set(oldLabel, S.ct_label.offset);

  if (a.recircTable !== NX_CT_RECIRC_NONE) {
    ctx.conntracked = true;
    composeRecirculateAndFork(ctx, a.recircTable, zone);
  }
  ctx.ctNatAction = undefined;
  // The ct_* fields exist only in the 'table=' call chain.
  flowClearConntrack(ctx.flow);
  ctx.res.trace.push('Sets the packet to an untracked state, and clears all the conntrack fields.');
  ctx.input.tracer?.report('detail', 'Sets the packet to an untracked state, and clears all the conntrack fields.');
  ctx.conntracked = false;
}

/**
 * OVS `compose_ct_clear_action()` behind `ct_clear`: only a packet that has been through
 * conntrack in this translation (or came up tracked) has anything to clear.
 */
export function composeCtClear(ctx: Ctx): void {
  if (!ctx.conntracked) return;
  ctx.conntracked = false;
  flowClearConntrack(ctx.flow);
  ctx.res.actions.push({ type: 'ct_clear' });
}

/**
 * OVS `finish_freezing__()` for `compose_recirculate_and_fork()`: freezes the translation to
 * resume in table `tableId` of this bridge, allocates its id and emits `recirc(id)`. The current
 * translation continues with the next action.
 */
export function composeRecirculateAndFork(ctx: Ctx, tableId: number, zone: number): void {
  const state: FrozenState = {
    bridge: ctx.br.name,
    tableId,
    metadata: frozenMetadataFromFlow(ctx.flow),
    conntracked: ctx.conntracked,
  };
  // OVS finish_freezing__(): the action set so far goes with the frozen state.
  if (ctx.actionSet.length) state.actionSet = [...ctx.actionSet];
  const id = threadRecircPool().alloc(state);
  if (!id) {
    ctx.res.trace.push('Failed to allocate recirculation id');
    ctx.error = 'Failed to allocate recirculation id';
    return;
  }
  ctx.res.actions.push({ type: 'recirc', id });
  const flow = Buffer.from(ctx.flow);
  set(flow, S.recirc_id, id);
  set(flow, S.ct_zone, zone);
  const rec: XlateRecirc = { id, tableId, zone, flow };
  if (ctx.ctNatAction) rec.nat = ctx.ctNatAction;
  (ctx.res.recircs ??= []).push(rec);
  ctx.res.trace.push(`A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table ${tableId}.`);
  ctx.input.tracer?.report('detail', `A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table ${tableId}.`);
}

/** The ct_* slots OVS `tuple_swap_flow()` exchanges with the packet's own, for IPv4 and IPv6. */
const TUPLE_SWAP4: ReadonlyArray<[string, string]> = [['nw_proto', 'ct_nw_proto'], ['nw_src', 'ct_nw_src'], ['nw_dst', 'ct_nw_dst'],
  ['tp_src', 'ct_tp_src'], ['tp_dst', 'ct_tp_dst']];
const TUPLE_SWAP6: ReadonlyArray<[string, string]> = [['nw_proto', 'ct_nw_proto'], ['ipv6_src', 'ct_ipv6_src'],
  ['ipv6_dst', 'ct_ipv6_dst'], ['tp_src', 'ct_tp_src'], ['tp_dst', 'ct_tp_dst']];

/** OVS `tuple_swap()`: exchanges the packet's 5-tuple with the conntrack original tuple, in flow and mask. */
function tupleSwap(ctx: Ctx): void {
  const pairs = get(ctx.flow, S.dl_type) === 0x0800 ? TUPLE_SWAP4 : TUPLE_SWAP6;
  for (const b of [ctx.flow, ctx.wc]) {
    for (const [x, y] of pairs) {
      const a = Buffer.from(bytes(b, S[x]));
      b.set(bytes(b, S[y]), S[x].offset);
      b.set(a, S[y].offset);
    }
  }
}

/**
 * `resubmit(PORT,TABLE,ct)` (ovs-actions(7) "The resubmit action"; OVS `xlate_table_action()`
 * with `with_ct_orig`): the lookup sees the conntrack original direction 5-tuple in place of the
 * packet's (in the flow and in the mask, so the megaflow matches on the ct_* fields consulted);
 * the found rule's actions see the packet's own headers again. A packet that is not IP or has no
 * conntrack tuple (ct_nw_proto 0) reports OVS's error and the resubmit does nothing.
 */
export function xlateTableCtOrig(ctx: Ctx, inPort: number, tableId: number): void {
  if (!resourceCheck(ctx)) return;
  if (!get(ctx.flow, S.ct_nw_proto) || !isIpAny(ctx.flow)) {
    ctx.res.trace.push('resubmit(ct) with non-tracked or non-IP packet!');
    ctx.input.tracer?.report('error', 'resubmit(ct) with non-tracked or non-IP packet!');
    return;
  }
  const oldTable = ctx.tableId;
  tupleSwap(ctx);
  const found = lookupFromTable(ctx, tableId, inPort, false, false);
  tupleSwap(ctx);
  xlateFound(ctx, found, tableId <= oldTable, tableId);
  ctx.tableId = oldTable;
}

/**
 * Resumes a frozen translation (OVS `xlate_actions()` with `xin->frozen_state`): the
 * recirculated packet's flow `input.flow` (recirc_id ≠ 0, ct_* fields as the datapath reports
 * them) continues in `br` — the state's bridge — from the state's table (or its frozen actions),
 * with the frozen metadata restored; when the state is not conntracked the ct_* fields are
 * cleared first. ofproto/trace uses it (through {@link xlateBridge}, which calls it for any flow
 * with a recirc_id) for the "resume conntrack" sections.
 *
 * @param br the bridge named by `state.bridge`
 * @param state the frozen state of the flow's recirc_id ({@link RecircPool.find})
 * @param input as for {@link xlateBridge}; `ofpacts` must be absent
 * @returns the translation, as from {@link xlateBridge}; the megaflow matches the recirc_id
 */
export function xlateResume(br: XlateBridge, state: FrozenState, input: XlateInput): XlateResult {
  const ctx = new Ctx(br, input, false);
  ctx.frozen = state;
  wcInit(ctx);
  const tracer = input.tracer;
  const thawAt = tracer?.enter('thaw', 'thaw');
  ctx.res.trace.push(`thaw: Resuming from table ${state.tableId}`);
  tracer?.report('thaw', `Resuming from table ${state.tableId}`);
  ctx.conntracked = state.conntracked;
  if (!state.conntracked) flowClearConntrack(ctx.flow);
  frozenMetadataToFlow(state.metadata, ctx.flow);
  if (state.actionSet?.length) tracer?.report('thaw', `Restoring action set: ${formatOfpacts(state.actionSet)}`);
  if (state.ofpacts?.length) tracer?.report('thaw', `Restoring actions: ${formatOfpacts(state.ofpacts)}`);
  if (thawAt) tracer!.leave(thawAt);
  if (state.actionSet?.length) xlateWriteActions(ctx, state.actionSet, false);
  if (state.ofpacts?.length) {
    doXlateActions(ctx, state.ofpacts);
  } else {
    const found = lookupFromTable(ctx, state.tableId, ctx.inPort, true, true);
    xlateFound(ctx, found, false);
    tracer?.reenterLastTable();
  }
  return xlateFinish(ctx);
}

/**
 * The entry for a flow with a non-zero recirc_id: finds its frozen state in this thread's pool
 * and resumes it ({@link xlateResume}). Without a state (unknown or freed id) or with a state of
 * another bridge, the packet is dropped and, as in OVS, no megaflow is installed (`slow`).
 */
export function xlateRecirculated(br: XlateBridge, input: XlateInput, recircId: number): XlateResult {
  const state = threadRecircPool().find(recircId);
  input.tracer?.enter('bridge', `bridge("${br.name}")`);
  // OVS: the packet comes up on the input bridge's port; the state names the bridge to resume in
  // (another one when the freeze happened behind a patch port).
  const resumeBr = state && (state.bridge === br.name ? br : br.bridge?.(state.bridge));
  if (state && resumeBr) return xlateResume(resumeBr, state, input);
  const ctx = new Ctx(br, input, false);
  wcInit(ctx);
  if (state) input.tracer?.enter('thaw', 'thaw');
  ctx.error = state
    ? 'Frozen bridge no longer exists.'
    : `Recirculation context not found for ID ${recircId.toString(16)}`;
  input.tracer?.report('error', ctx.error);
  const res = xlateFinish(ctx);
  res.slow = true;
  return res;
}
