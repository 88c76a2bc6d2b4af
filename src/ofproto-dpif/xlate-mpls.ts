/**
 * MPLS in translation (ovs-actions(7) "push_mpls", "pop_mpls", "set_mpls_label/tc/ttl",
 * "dec_mpls_ttl"; OVS ofproto-dpif-xlate.c `compose_mpls_*`, lib/flow.c `flow_push_mpls()` /
 * `flow_pop_mpls()`, lib/odp-util.c `commit_mpls_action()`).
 *
 * The flow carries one label stack entry (`mpls_lse`, the outermost), as the datapath keys
 * this daemon builds do; OVS keeps three. So a push onto a packet that already has a label, or a
 * pop of a label that is not the bottom of the stack, cannot be represented: translation fails
 * for that packet as OVS's does when its own stack is full (XLATE_TOO_MANY_MPLS_LABELS: drop).
 *
 * After a pop to a non-MPLS Ethertype, OVS recirculates before anything that needs the L3
 * header the datapath has not parsed (`was_mpls` → freeze). Recirculation belongs to the
 * conntrack/recirculation code; here translation stops at that point (named in `unsupported`).
 */
import type { Ctx } from './xlate';
import { commitOdpActions, xlateController } from './xlate';
import { ETH_TYPE_IPV6, ethTypeMpls, get, isIpAny, S, set, wcOr } from './flow';
import { OFPR_INVALID_TTL } from '../openflow/ofp-switch';

/** `struct ovs_key_mpls` bits (lib/packets.h MPLS_*_MASK/SHIFT). */
export const MPLS_LABEL_MASK = 0xfffff000;
export const MPLS_LABEL_SHIFT = 12;
export const MPLS_TC_MASK = 0x00000e00;
export const MPLS_TC_SHIFT = 9;
export const MPLS_BOS_MASK = 0x00000100;
export const MPLS_TTL_MASK = 0x000000ff;
/** IP_DSCP_MASK. */
const IP_DSCP_MASK = 0xfc;

/** OVS `flow_count_mpls_labels()` over the one LSE the flow holds (BOS consulted). */
export function countMplsLabels(flow: Uint8Array, wc?: Uint8Array): number {
  if (!ethTypeMpls(get(flow, S.dl_type))) return 0;
  if (wc) wcOr(wc, S.mpls_lse, MPLS_BOS_MASK);
  return get(flow, S.mpls_lse) ? 1 : 0;
}

/** The slots `flow_push_mpls()` clears: L3, L4 and the conntrack original tuple (OVS clears from `nw_src` on). */
const CLEARED_ON_PUSH = ['nw_src', 'nw_dst', 'ipv6_src', 'ipv6_dst', 'ipv6_label', 'nw_frag', 'nw_tos', 'nw_ttl', 'nw_proto',
  'nd_target', 'arp_sha', 'arp_tha', 'tcp_flags', 'tp_src', 'tp_dst', 'nd_reserved', 'nsh_flags', 'nsh_ttl', 'nsh_mdtype',
  'nsh_np', 'nsh_path_hdr', 'nsh_c1', 'nsh_c2', 'nsh_c3', 'nsh_c4', 'ct_nw_src', 'ct_nw_dst', 'ct_ipv6_src', 'ct_ipv6_dst',
  'ct_tp_src', 'ct_tp_dst'];

/**
 * OVS `compose_mpls_push_action()`: commits pending header changes, then gives the flow a label
 * stack entry (label 0, or 2 for IPv6; TC from the DSCP and TTL from the IP TTL, un-wildcarding
 * them; TTL 64 otherwise) and Ethertype `ethertype`, clearing L3 and L4.
 */
export function pushMpls(ctx: Ctx, ethertype: number): void {
  const { flow, wc } = ctx;
  const n = countMplsLabels(flow, wc);
  if (n) {
    ctx.res.unsupported.push('push_mpls onto a labelled packet');
    ctx.error = 'too many MPLS labels';
    return;
  }
  commitOdpActions(ctx);
  let label = 0;
  let tc = 0;
  let ttl = 64;
  if (get(flow, S.dl_type) === ETH_TYPE_IPV6) label = 2;
  if (isIpAny(flow)) {
    tc = (get(flow, S.nw_tos) & IP_DSCP_MASK) >> 2;
    wcOr(wc, S.nw_tos, IP_DSCP_MASK);
    wcOr(wc, S.nw_ttl, 0xff);
    if (get(flow, S.nw_ttl)) ttl = get(flow, S.nw_ttl);
  }
  set(flow, S.mpls_lse, ((label << MPLS_LABEL_SHIFT) | ((tc & 7) << MPLS_TC_SHIFT) | MPLS_BOS_MASK | ttl) >>> 0);
  for (const name of CLEARED_ON_PUSH) flow.fill(0, S[name].offset, S[name].offset + S[name].len);
  set(flow, S.dl_type, ethertype);
}

/** OVS `compose_mpls_pop_action()`: the outermost LSE goes, the Ethertype becomes `ethertype`. */
export function popMpls(ctx: Ctx, ethertype: number): void {
  const { flow, wc } = ctx;
  const n = countMplsLabels(flow, wc);
  if (!n) return;
  if (!(get(flow, S.mpls_lse) & MPLS_BOS_MASK)) {
    // OVS would shift the inner entries up; the flow does not hold them.
    ctx.res.unsupported.push('pop_mpls of a label that is not the bottom of the stack');
    ctx.error = 'too many MPLS labels';
    ctx.res.actions.length = 0;
    return;
  }
  set(flow, S.mpls_lse, 0);
  set(flow, S.dl_type, ethertype);
  if (!ethTypeMpls(ethertype)) ctx.wasMpls = true;
}

/** set_mpls_label / set_mpls_tc / set_mpls_ttl: the bits of the outermost LSE, on MPLS packets only. */
export function setMplsBits(ctx: Ctx, mask: number, value: number): void {
  if (!ethTypeMpls(get(ctx.flow, S.dl_type))) return;
  wcOr(ctx.wc, S.mpls_lse, mask);
  set(ctx.flow, S.mpls_lse, ((get(ctx.flow, S.mpls_lse) & ~mask) | (value & mask)) >>> 0);
}

/**
 * OVS `compose_dec_mpls_ttl_action()`. Returns true when the current action list stops: on TTL
 * expiry (after a packet-in with OFPR_INVALID_TTL to controller 0) and, as in OVS, whenever the
 * packet is not MPLS.
 */
export function decMplsTtl(ctx: Ctx): boolean {
  const { flow } = ctx;
  if (ethTypeMpls(get(flow, S.dl_type))) {
    const lse = get(flow, S.mpls_lse);
    const ttl = lse & MPLS_TTL_MASK;
    wcOr(ctx.wc, S.mpls_lse, MPLS_TTL_MASK);
    if (ttl > 1) {
      set(flow, S.mpls_lse, ((lse & ~MPLS_TTL_MASK) | (ttl - 1)) >>> 0);
      return false;
    }
    xlateController(ctx, 0xffff, OFPR_INVALID_TTL, 0);
  }
  ctx.res.trace.push('MPLS decrement TTL exception');
  return true;
}

/**
 * OVS `commit_mpls_action()` for a one-entry stack: pop the base's entry the flow lost, push the
 * flow's new one, or SET the entry when both have one and it changed. Brings `base` up to date.
 */
export function commitMpls(ctx: Ctx): void {
  const { flow, base } = ctx;
  const flowN = countMplsLabels(flow);
  const baseN = countMplsLabels(base);
  const flowLse = get(flow, S.mpls_lse);
  if (baseN && flowN) {
    if (get(base, S.mpls_lse) !== flowLse) {
      ctx.res.actions.push({ type: 'set', key: { mpls: [lseFields(flowLse)] } });
      set(base, S.mpls_lse, flowLse);
    }
  } else if (baseN) {
    ctx.res.actions.push({ type: 'pop_mpls', ethertype: get(flow, S.dl_type) });
    set(base, S.mpls_lse, 0);
    set(base, S.dl_type, get(flow, S.dl_type));
  } else if (flowN) {
    ctx.res.actions.push({ type: 'push_mpls', lse: flowLse, ethertype: get(flow, S.dl_type) });
    // OVS keeps the base's L3 (a patch port or bucket may restore it), only the type changes.
    set(base, S.mpls_lse, flowLse);
    set(base, S.dl_type, get(flow, S.dl_type));
  }
}

/** A raw LSE as the datapath key's MPLS entry. */
function lseFields(lse: number): { label: number; tc: number; ttl: number; bos: number } {
  return { label: lse >>> MPLS_LABEL_SHIFT, tc: (lse >>> MPLS_TC_SHIFT) & 7, bos: (lse >>> 8) & 1, ttl: lse & 0xff };
}
