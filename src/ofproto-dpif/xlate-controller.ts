/**
 * Sending packets to the controller as OVS 3.1 translates it (ofproto/ofproto-dpif-xlate.c
 * `xlate_controller_action()`, `put_controller_user_action()`, `finish_freezing__()` for
 * `controller(pause)`): the translation does not send anything itself. It freezes what the
 * packet-in needs (table, bridge, pipeline metadata, userdata, stack, conntracked; with `pause`
 * also the actions still to run and the action set) into a recirculation id of the shared pool
 * (recirc.ts), and emits `userspace(pid=P,controller(reason=R,dont_send=D,continuation=C,
 * recirc_id=N,rule_cookie=…,controller_id=I,max_len=M))` — wrapped in
 * `sample(sample=100%,actions(meter(K),userspace(…)))` when the action names a meter or the
 * bridge has the "controller" meter (OFPM13_CONTROLLER) installed in the datapath. The megaflow
 * is installed like any other; the kernel then sends an OVS_PACKET_CMD_ACTION upcall carrying
 * the cookie for every packet, and the handler turns it into the packet-in
 * (src/upcall/controller-upcall.ts).
 *
 * `dont_send` is set, as in OVS, when the translation may have no side effects and nothing
 * caches it (ofproto/trace): the datapath actions are then what a real translation gives, but
 * such a cookie never produces a packet-in. A paused translation without side effects emits no
 * action at all (OVS `finish_freezing__()`), though its state still takes an id.
 *
 * The Netlink pid of the action is OVS's `dpif_port_get_pid()`: in per-CPU dispatch mode the
 * kernel ignores it and OVS writes DPIF_NETLINK_PER_CPU_PID (2^32−1), the default here; in
 * per-vport mode udpif sets one handler's socket for every thread ({@link setThreadUpcallPid}).
 *
 * The ofproto uuid in the cookie (OVS: random per ofproto) is derived from the bridge name, so
 * every thread writes the same bytes and a revalidator's re-translation equals the handler's.
 */
import { createHash } from 'node:crypto';
import type { OdpAction } from '../genl/actions';
import { encodeControllerCookie } from '../genl/user-action-cookie';
import { OFPM13_CONTROLLER } from '../openflow/ofp-meter';
import { NX_CTLR_NO_METER, type Ofpact, type OfpactOf } from '../openflow/ofpacts';
import { FrozenState, frozenMetadataFromFlow, threadRecircPool } from './recirc';
import { commitOdpActions, type Ctx } from './xlate';

/** OVS `DPIF_NETLINK_PER_CPU_PID`: the pid of userspace actions in per-CPU dispatch mode. */
export const DPIF_NETLINK_PER_CPU_PID = 0xffffffff;

let upcallPid = DPIF_NETLINK_PER_CPU_PID;

/** The Netlink pid this thread's translations put in userspace actions. */
export function threadUpcallPid(): number {
  return upcallPid;
}

/**
 * Sets the pid userspace actions carry (per-vport dispatch: a handler's upcall socket; every
 * thread must use the same one, or revalidation would see changed actions).
 */
export function setThreadUpcallPid(pid: number): void {
  upcallPid = pid >>> 0;
}

const uuids = new Map<string, Buffer>();

/**
 * The 16-byte ofproto uuid of bridge `name` in controller cookies: an RFC 4122 version-5 style
 * (SHA-1) uuid of the name, the same in every thread.
 */
export function ofprotoUuid(name: string): Buffer {
  let u = uuids.get(name);
  if (!u) {
    u = createHash('sha1').update(`ts-vswitchd ofproto ${name}`).digest().subarray(0, 16);
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    uuids.set(name, u);
  }
  return u;
}

/** OVS `!xin->allow_side_effects && !xin->xcache`: a translation whose packet-ins must not be sent. */
function noSideEffects(ctx: Ctx): boolean {
  return !ctx.input.allowSideEffects && !ctx.input.xcache;
}

/** The frozen state of a controller action (OVS's `struct frozen_state` in xlate_controller_action()). */
function controllerState(ctx: Ctx, tableId: number, userdata?: Buffer): FrozenState {
  const state: FrozenState = {
    bridge: ctx.br.name,
    tableId,
    metadata: frozenMetadataFromFlow(ctx.flow),
    conntracked: ctx.conntracked,
  };
  if (ctx.wasMpls) state.wasMpls = true;
  if (ctx.stack.length) state.stack = Buffer.concat(ctx.stack);
  if (userdata?.length) state.userdata = Buffer.from(userdata);
  return state;
}

/** Allocates the id of `state`; on failure marks the translation failed (OVS XLATE_NO_RECIRCULATION_CONTEXT). */
function allocId(ctx: Ctx, state: FrozenState): number {
  const id = threadRecircPool().alloc(state);
  if (!id) {
    ctx.res.trace.push('Failed to allocate recirculation id');
    ctx.input.tracer?.report('error', 'Failed to allocate recirculation id');
    ctx.error = 'Failed to allocate recirculation id';
  }
  return id;
}

/** OVS `put_controller_user_action()`: the userspace action with the controller cookie. */
function controllerUserAction(ctx: Ctx, dontSend: boolean, continuation: boolean, recircId: number, maxLen: number,
  reason: number, controllerId: number): OdpAction {
  const userdata = encodeControllerCookie({
    ofprotoUuid: ofprotoUuid(ctx.br.name), dontSend, continuation, reason, recircId, ruleCookie: ctx.ruleCookie,
    controllerId, maxLen,
  });
  return { type: 'userspace', pid: threadUpcallPid(), userdata };
}

/**
 * OVS `xlate_controller_action()` after the commit and the explicit-miss reason: freezes the
 * state a packet-in needs and emits the controller userspace action (in a 100 % sample with the
 * datapath meter of the action's `meter_id`, else of the bridge's controller meter, if any).
 *
 * @param maxLen bytes of the packet to send (65535: all)
 * @param reason OVS's internal OFPR_* reason, already adjusted
 * @param meterId the action's OpenFlow meter (NX_CTLR_NO_METER: none)
 * @param userdata NXAST_CONTROLLER2 userdata (kept in the frozen state)
 */
export function composeControllerAction(ctx: Ctx, maxLen: number, reason: number, controllerId: number,
  meterId = NX_CTLR_NO_METER, userdata?: Buffer): void {
  const id = allocId(ctx, controllerState(ctx, ctx.tableId, userdata));
  if (!id) return;
  const dpMeter = (meterId !== NX_CTLR_NO_METER ? ctx.br.dpMeterId?.(meterId) : undefined) ?? ctx.br.dpMeterId?.(OFPM13_CONTROLLER);
  const act = controllerUserAction(ctx, noSideEffects(ctx), false, id, maxLen, reason, controllerId);
  if (dpMeter === undefined) ctx.res.actions.push(act);
  else ctx.res.actions.push({ type: 'sample', probability: 0xffffffff, actions: [{ type: 'meter', id: dpMeter }, act] });
}

/**
 * `controller(pause)` (OVS: `ctx->pause`, the freeze, then `finish_freezing()`): commits, freezes
 * the translation — table 0, the actions after the pause in the current list (`rest`), the
 * action set, the pause's userdata — and emits the controller userspace action with
 * `continuation=1`, unless the translation may have no side effects (then nothing is emitted).
 * The action set goes into the frozen state instead of running at the end of the pipeline; the
 * caller stops translating.
 *
 * Simplification: OVS also unrolls the remaining actions of the enclosing action lists (outer
 * resubmits) into the frozen actions; only the current list's are kept here.
 */
export function xlateControllerPause(ctx: Ctx, a: OfpactOf<'controller'>, rest: readonly Ofpact[]): void {
  commitOdpActions(ctx);
  const state = controllerState(ctx, 0, a.userdata);
  if (rest.length) state.ofpacts = [...rest];
  if (ctx.actionSet.length) state.actionSet = [...ctx.actionSet];
  ctx.actionSet = [];
  const id = allocId(ctx, state);
  if (!id || noSideEffects(ctx)) return;
  ctx.res.actions.push(controllerUserAction(ctx, false, true, id, a.maxLen, a.reason, a.controllerId));
}
