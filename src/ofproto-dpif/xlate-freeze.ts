/**
 * Freezing a translation in the middle of its actions and recirculating, as OVS 3.1's
 * ofproto-dpif-xlate.c does for a select group that selects by dp_hash
 * (`ctx_trigger_recirculate_with_hash()`, `freeze_unroll_actions()`, `finish_freezing()`,
 * `xlate_ofpact_unroll_xlate()`):
 *
 * 1. An action that needs something only the datapath can compute (here: the packet's dp_hash)
 *    triggers the freeze: `ctx.freezing` and `ctx.exit` are set (and `ctx.recircHash`, the
 *    `hash(alg, basis)` action to emit before `recirc`).
 * 2. Every action list being translated stops, and copies the action that triggered the freeze
 *    and those after it into `ctx.frozenActions` ({@link freezeUnrollActions}), innermost list
 *    first (then the rest of the resubmitting rule's actions, and so on outwards). Before an
 *    action that may send a packet-in or depends on the current table, an `unroll_xlate` records
 *    the table id and rule cookie it ran under.
 * 3. Where OVS finishes freezing — the end of the pipeline, the end of a group bucket, the end
 *    of a patch port's peer pipeline — {@link finishFreezing} commits pending header changes,
 *    stores the frozen state (table 0, the frozen actions, the action set, the pipeline
 *    metadata) under a recirculation id and emits `hash(…)` and `recirc(id)`.
 * 4. The recirculated packet's upcall resumes the state (xlate-ct.ts `xlateResume()`): it runs
 *    the frozen actions, `unroll_xlate` restoring the table id and cookie, and the group action
 *    now finds the packet's dp_hash and picks its bucket.
 */
import { formatActions } from '../genl/actions';
import type { OfpactOf, Ofpact } from '../openflow/ofpacts';
import { FrozenState, frozenMetadataFromFlow, threadRecircPool } from './recirc';
import { commitOdpActions, type Ctx } from './xlate';

/**
 * OVS `ctx_trigger_recirculate_with_hash()`: freezes translation here; the recirculation will
 * be preceded by `hash(alg, basis)` (OVS_ACTION_ATTR_HASH: `enum ovs_hash_alg`, 32-bit basis).
 */
export function triggerRecirculateWithHash(ctx: Ctx, alg: number, basis: number): void {
  ctx.exit = true;
  ctx.freezing = true;
  ctx.recircHash = { alg, basis };
}

/** OVS `freeze_put_unroll_xlate()`: an unroll_xlate unless the last one already says the same. */
function putUnrollXlate(ctx: Ctx): void {
  let last: OfpactOf<'unroll_xlate'> | undefined;
  for (let i = ctx.frozenActions.length - 1; i >= 0 && !last; i--) {
    const a = ctx.frozenActions[i];
    if (a.type === 'unroll_xlate') last = a;
  }
  if (!last || last.tableId !== ctx.tableId || last.cookie !== ctx.ruleCookie) {
    ctx.frozenActions.push({ type: 'unroll_xlate', tableId: ctx.tableId, cookie: ctx.ruleCookie });
  }
}

/**
 * OVS `freeze_unroll_actions()`: appends `actions` (the action that froze and the rest of its
 * list, or the rest of an outer list) to the frozen actions. goto_table becomes
 * `resubmit(,T)` and write_metadata a set_field of `metadata` (instructions cannot be frozen as
 * such); note and conjunction are dropped.
 */
export function freezeUnrollActions(ctx: Ctx, actions: readonly Ofpact[]): void {
  for (const a of actions) {
    switch (a.type) {
      case 'output_reg':
      case 'output_trunc':
      case 'group':
      case 'output':
      case 'controller':
      case 'dec_mpls_ttl':
      case 'dec_nsh_ttl':
      case 'dec_ttl':
        // These may send packet-ins, which carry the table id and cookie.
        putUnrollXlate(ctx);
        break;
      case 'resubmit':
        if (a.tableId === 255) putUnrollXlate(ctx);
        break;
      case 'goto_table':
        ctx.frozenActions.push({ type: 'resubmit', inPort: 0xfff8, tableId: a.tableId, withCtOrig: false } as Ofpact);
        continue;
      case 'write_metadata': {
        const value = Buffer.alloc(8);
        const mask = Buffer.alloc(8);
        value.writeBigUInt64BE(BigInt.asUintN(64, a.metadata));
        mask.writeBigUInt64BE(BigInt.asUintN(64, a.mask));
        ctx.frozenActions.push({ type: 'set_field', field: 'metadata', value, mask });
        continue;
      }
      case 'note':
      case 'conjunction':
        continue;
      default:
    }
    ctx.frozenActions.push(a);
  }
}

/** OVS `ctx_cancel_freeze()`. */
function cancelFreeze(ctx: Ctx): void {
  ctx.freezing = false;
  ctx.recircHash = undefined;
  ctx.frozenActions = [];
}

/**
 * OVS `finish_freezing()`: commits pending header changes, freezes the translation (resume in
 * table 0 with the frozen actions, the action set, the pipeline metadata, conntracked, was_mpls)
 * under a recirculation id from this thread's pool and emits `hash(…)` (when a select group
 * asked for one) and `recirc(id)`. An id that cannot be allocated fails translation, as OVS.
 */
export function finishFreezing(ctx: Ctx): void {
  commitOdpActions(ctx);
  const state: FrozenState = {
    bridge: ctx.br.name,
    tableId: 0,
    metadata: frozenMetadataFromFlow(ctx.flow),
    conntracked: ctx.conntracked,
  };
  if (ctx.wasMpls) state.wasMpls = true;
  if (ctx.frozenActions.length) state.ofpacts = [...ctx.frozenActions];
  if (ctx.actionSet.length) state.actionSet = [...ctx.actionSet];
  const id = threadRecircPool().alloc(state);
  if (!id) {
    ctx.res.trace.push('Failed to allocate recirculation id');
    ctx.input.tracer?.report('error', 'Failed to allocate recirculation id');
    ctx.error = 'Failed to allocate recirculation id';
  } else {
    if (ctx.recircHash) ctx.res.actions.push({ type: 'hash', alg: ctx.recircHash.alg, basis: ctx.recircHash.basis });
    ctx.res.actions.push({ type: 'recirc', id });
    ctx.res.trace.push(`frozen: ${formatActions(ctx.res.actions.slice(-2))}`);
  }
  cancelFreeze(ctx);
}

/**
 * OVS `xlate_ofpact_unroll_xlate()`: a resumed translation takes back the table id and rule
 * cookie its frozen actions ran under (for packet-ins and `resubmit(,)`).
 */
export function xlateUnrollXlate(ctx: Ctx, a: OfpactOf<'unroll_xlate'>): void {
  ctx.tableId = a.tableId;
  ctx.ruleCookie = a.cookie;
  ctx.input.tracer?.report('thaw', `restored state: table=${a.tableId}, cookie=${a.cookie ? `0x${a.cookie.toString(16)}` : '0'}`);
}
