/**
 * The OpenFlow 1.1+ action set in translation (OpenFlow 1.3 §5.10, ovs-actions(7) "Action
 * Sets"): `write_actions` adds to it, `clear_actions` empties it, and when the pipeline ends (no
 * more goto_table) its actions run in OVS's order (`ofpacts_execute_action_set()`: the slot
 * actions, then every set/move in the order written, then the one final action: group over
 * output over resubmit over ct_clear over ct). The `actset_output` field follows it as OVS's
 * `xlate_write_actions__()` keeps it: the port of the last output written, OFPP_UNSET once a
 * group is in the set.
 */
import { OFPP_UNSET, ofp10PortToOfp11 } from '../openflow/common';
import { ofpactsExecuteActionSet, type Ofpact } from '../openflow/ofpacts';
import { formatOfpacts } from '../openflow/ofpacts-format';
import { S, set } from './flow';
import { type Ctx, doXlateActions } from './xlate';

/** OFPP_UNSET as `actset_output` stores it (an OpenFlow 1.1 port number). */
const ACTSET_OUTPUT_UNSET = ofp10PortToOfp11(OFPP_UNSET);

/**
 * OVS `xlate_write_actions()`: appends `actions` (a write_actions instruction's ofpacts) to the
 * action set and updates `actset_output`: the last output's port, unless the set holds a group,
 * which makes it OFPP_UNSET for good (until clear_actions).
 */
export function xlateWriteActions(ctx: Ctx, actions: readonly Ofpact[], traced = true): void {
  if (!ctx.actionSetHasGroup) {
    for (const a of actions) {
      if (a.type === 'output') {
        set(ctx.flow, S.actset_output, ofp10PortToOfp11(a.port));
      } else if (a.type === 'group') {
        set(ctx.flow, S.actset_output, ACTSET_OUTPUT_UNSET);
        ctx.actionSetHasGroup = true;
        break;
      }
    }
  }
  ctx.actionSet.push(...actions);
  ctx.res.trace.push(`action set is now: ${ctx.actionSet.map((a) => a.type).join(',') || 'empty'}`);
  if (traced) reportActionSet(ctx, 'is');
}

/** OVS `xlate_report_action_set()`: the trace's "action set is/was: …" detail. */
function reportActionSet(ctx: Ctx, verb: 'is' | 'was'): void {
  const tracer = ctx.input.tracer;
  if (!tracer) return;
  const list = ofpactsExecuteActionSet(ctx.actionSet);
  tracer.report('detail', list.length ? `action set ${verb}: ${formatOfpacts(list)}` : `action set ${verb} empty`);
}

/** OVS's OFPACT_CLEAR_ACTIONS: empties the action set; `actset_output` becomes OFPP_UNSET. */
export function xlateClearActions(ctx: Ctx): void {
  reportActionSet(ctx, 'was');
  ctx.actionSet = [];
  set(ctx.flow, S.actset_output, ACTSET_OUTPUT_UNSET);
  ctx.actionSetHasGroup = false;
}

/**
 * OVS `xlate_action_set()`: translates the action set's actions in action-set order (nothing
 * when it holds no final action) and empties it. Output to CONTROLLER from it has reason
 * OFPR_ACTION_SET. Called when the pipeline ends (and, by patch ports, clone and
 * check_pkt_larger, on their own saved action sets, as OVS does).
 */
export function xlateActionSet(ctx: Ctx): void {
  const list = ofpactsExecuteActionSet(ctx.actionSet);
  ctx.actionSet = [];
  if (!list.length) return;
  ctx.res.trace.push('executing action set');
  const old = ctx.inActionSet;
  ctx.inActionSet = true;
  const traceAt = ctx.input.tracer?.enter('table', '--. Executing action set:');
  doXlateActions(ctx, list);
  if (traceAt) ctx.input.tracer!.leave(traceAt);
  ctx.inActionSet = old;
}
