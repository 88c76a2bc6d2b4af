/**
 * Output to a patch port (`Interface type=patch, options:peer=…`, ovs-vswitchd.conf.db(5)): a
 * patch port has no datapath port; a packet sent to it enters the peer bridge through the peer
 * port and is translated there, within the same megaflow, so the datapath actions output
 * directly to the ports of the other bridge (OVS ofproto-dpif-xlate.c `patch_port_output()`).
 */
import { OFPUTIL_PC_NO_RECV } from '../openflow/ofp-port';
import { bytes, S, set } from './flow';
import type { PatchPeer } from './ofproto';
import { Ctx, XlatePort, xlateTable } from './xlate';
import { finishFreezing } from './xlate-freeze';

/** The `struct flow` members OVS's `flow_clear_conntrack()` zeroes. */
const CT_SLOTS = [
  'ct_state', 'ct_zone', 'ct_mark', 'ct_label', 'ct_nw_proto', 'ct_nw_src', 'ct_nw_dst', 'ct_ipv6_src', 'ct_ipv6_dst',
  'ct_tp_src', 'ct_tp_dst',
].map((n) => S[n]);

/** The span of the flow layout holding the tunnel metadata (`struct flow_tnl`). */
const TUN_START = S.tun_id.offset;
const TUN_END = S.tun_gtpu_msgtype.offset + S.tun_gtpu_msgtype.len;

/**
 * OVS `patch_port_output()`: translates the packet in the bridge of `patch`'s peer as if it had
 * arrived there on the peer port, then comes back to the sending bridge with its flow as it
 * was, so the rest of the sending bridge's actions see none of the peer's changes.
 *
 * In the peer bridge: `in_port` is the peer port; metadata, registers, tunnel metadata,
 * conntrack state and `actset_output` start cleared (tunnel bits the peer consults are not
 * kept in the megaflow); the peer's table 0 is looked up as on packet input (table-miss
 * handling, packet-ins to the peer's controllers), one translation depth deeper, so a loop of
 * patch ports ends at OVS's recursion limits. A peer port with OFPPC_NO_RECV drops. The
 * datapath actions the peer emits stay (header changes are committed there; the sending
 * bridge re-commits its own values before its next output). Exit and errors in the peer do
 * not propagate back. The peer's rules and table lookups are recorded in `res.peers` for
 * crediting to that bridge.
 *
 * A patch port without a usable peer (missing, or not naming this port back) drops, with no
 * datapath action: its datapath port is ODPP_NONE.
 *
 * @param ctx the translation, in the sending bridge; its `br` is switched to the peer meanwhile
 * @param port the patch port output goes to, in `ctx.br`
 * @param patch its peer
 */
export function patchPortOutput(ctx: Ctx, port: XlatePort, patch: PatchPeer): void {
  const { res } = ctx;
  const peer = patch.peer;
  const peerBr = peer && ctx.br.bridge?.(peer.bridge);
  const peerPort = peerBr?.ports.get(peer!.ofport);
  if (!peer || !peerBr || !peerPort) {
    res.trace.push(`output to patch port ${port.name} (peer ${patch.peerName}) without a usable peer: dropped`);
    return;
  }
  const inBr = ctx.br;
  const oldFlow = Buffer.from(ctx.flow);
  const oldTpid = ctx.flowTpid;
  const oldInner = ctx.flowInner;
  const oldTunWc = Buffer.from(ctx.wc.subarray(TUN_START, TUN_END));
  const oldRules = res.rules;
  const oldLookups = res.tableLookups;

  const flow = ctx.flow;
  set(flow, S.in_port, peer.ofport);
  flow.fill(0, S.metadata.offset, S.metadata.offset + S.metadata.len);
  flow.fill(0, TUN_START, TUN_END);
  ctx.wc.fill(0, TUN_START, TUN_END);
  for (let i = 0; i < 16; i++) flow.fill(0, S[`reg${i}`].offset, S[`reg${i}`].offset + S[`reg${i}`].len);
  flow.set(bytes(ctx.input.flow, S.actset_output), S.actset_output.offset);
  for (const slot of CT_SLOTS) flow.fill(0, slot.offset, slot.offset + slot.len);

  ctx.br = peerBr;
  res.rules = [];
  res.tableLookups = [];
  res.trace.push(`output to patch port ${port.name}: bridge ${peerBr.name}, in_port ${peer.ofport}`);
  const prev = ctx.input.tracer?.enter('bridge', `bridge("${peerBr.name}")`);
  if ((peerPort.config ?? 0) & OFPUTIL_PC_NO_RECV) {
    res.trace.push(`port ${peer.ofport} has OFPPC_NO_RECV: drop`);
  } else {
    xlateTable(ctx, peer.ofport, 0, true, true);
    // OVS patch_port_output(): a freeze in the peer's pipeline recirculates from there.
    if (ctx.freezing) finishFreezing(ctx);
  }
  if (prev) ctx.input.tracer!.leave(prev);
  if (res.rules.length || res.tableLookups.length) {
    (res.peers ??= []).push({ bridge: peerBr.name, rules: res.rules, tableLookups: res.tableLookups });
  }

  res.rules = oldRules;
  res.tableLookups = oldLookups;
  ctx.br = inBr;
  flow.set(oldFlow);
  ctx.flowTpid = oldTpid;
  ctx.flowInner = oldInner;
  ctx.wc.set(oldTunWc, TUN_START);
  if (ctx.error) res.trace.push(`bridge ${peerBr.name}: ${ctx.error} (not propagated)`);
  ctx.exit = false;
  ctx.error = undefined;
}
