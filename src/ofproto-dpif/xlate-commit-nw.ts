/**
 * Committing ARP, ICMP and IPv6 Neighbor Discovery header changes to datapath set actions (OVS
 * lib/odp-util.c `commit_set_arp_action()`, `commit_set_icmp_action()`,
 * `commit_set_nd_extensions_action()`, `commit_set_nd_action()`), part of `commitOdpActions()`.
 *
 * The Linux datapath cannot set these headers (its `validate_set()` rejects OVS_KEY_ATTR_ARP,
 * ICMP, ICMPV6, ND and ND_EXTENSIONS), so OVS marks a translation that emits one SLOW_ACTION: the
 * megaflow is slow-pathed and every packet is executed "with help", the sets applied in
 * userspace (`XlateResult.slowAction`, see odp-execute.ts `odpExecuteWithHelp`). The actions and
 * the megaflow mask are nevertheless OVS's, which `ofproto/trace` shows:
 * - ARP and ND: a set of the whole key when every bit of it is written, else a masked set of the
 *   consulted bits of the members that changed, as for IPv4;
 * - ICMP/ICMPv6: never masked (OVS passes `use_masked=false`): the whole type/code key is set and
 *   both of its members join the megaflow;
 * - ND extensions (`nd_reserved`, `nd_options_type`): the key has padding, so the set is always
 *   masked.
 * Nothing is committed when nothing changed, nor for an L3 packet without a protocol (`nw_proto`
 * 0, which for ARP means opcode 0), as OVS's `commit_set_nw_action()`.
 */
import { formatIpv6 } from '../genl/addr';
import {
  bytes, ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, get, getIpv4, getMac, IPPROTO_ICMP, IPPROTO_ICMPV6, S, set,
} from './flow';
import { commitStruct, type Ctx, type Member } from './xlate';

const ARP_MEMBERS: Member[] = [{ slot: S.nw_src }, { slot: S.nw_dst }, { slot: S.nw_proto }, { slot: S.arp_sha }, { slot: S.arp_tha }];
const ND_MEMBERS: Member[] = [{ slot: S.nd_target }, { slot: S.arp_sha }, { slot: S.arp_tha }];
const ND_EXT_MEMBERS: Member[] = [{ slot: S.nd_reserved }, { slot: S.tcp_flags, writable: 0xff }];

/**
 * The ARP, ND extension and ND parts of OVS `commit_set_nw_action()` (IPv4 and IPv6 stay in
 * xlate.ts): call after the IPv6 commit, before the L4 ports. Sets `ctx.res.slowAction` when it
 * emits a set.
 */
export function commitSetNwExtra(ctx: Ctx): void {
  const { flow, base } = ctx;
  if (!get(flow, S.nw_proto)) return;
  const baseType = get(base, S.dl_type);
  if (baseType === ETH_TYPE_IPV6 && get(base, S.nw_proto) === IPPROTO_ICMPV6) {
    // OVS commits the extension attributes first, so the options they describe come out right.
    if (commitStruct(ctx, ND_EXT_MEMBERS, false, (b) => ({
      ndExtensions: { ndReserved: get(b, S.nd_reserved) >>> 0, ndOptionsType: get(b, S.tcp_flags) & 0xff },
    }))) ctx.res.slowAction = true;
    if (commitStruct(ctx, ND_MEMBERS, true, (b) => ({
      nd: { target: formatIpv6(Buffer.from(bytes(b, S.nd_target))), sll: getMac(b, S.arp_sha), tll: getMac(b, S.arp_tha) },
    }))) ctx.res.slowAction = true;
  } else if (baseType === ETH_TYPE_ARP) {
    // The opcode is 16 bits in the key, 8 in the flow: an exact 8-bit mask is an exact opcode.
    if (commitStruct(ctx, ARP_MEMBERS, true, (b, isMask) => {
      const op = get(b, S.nw_proto);
      return {
        arp: { sip: getIpv4(b, S.nw_src), tip: getIpv4(b, S.nw_dst), op: isMask && op === 0xff ? 0xffff : op, sha: getMac(b, S.arp_sha), tha: getMac(b, S.arp_tha) },
      };
    })) ctx.res.slowAction = true;
  }
}

/**
 * OVS `commit_set_icmp_action()`: for an ICMPv4 or ICMPv6 flow whose type or code changed, a set
 * of the whole `icmp`/`icmpv6` key (never masked); the megaflow then matches the type and code
 * (the low 8 bits of `tp_src`/`tp_dst`, where OVS keeps them). Sets `ctx.res.slowAction`.
 */
export function commitSetIcmp(ctx: Ctx): void {
  const { flow, base, wc } = ctx;
  const type = get(flow, S.dl_type);
  const proto = get(flow, S.nw_proto);
  const v4 = type === ETH_TYPE_IP && proto === IPPROTO_ICMP;
  if (!v4 && !(type === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6)) return;
  const icmpType = get(flow, S.tp_src) & 0xff;
  const icmpCode = get(flow, S.tp_dst) & 0xff;
  if (icmpType === (get(base, S.tp_src) & 0xff) && icmpCode === (get(base, S.tp_dst) & 0xff)) return;
  const key = { type: icmpType, code: icmpCode };
  ctx.res.actions.push({ type: 'set', key: v4 ? { icmp: key } : { icmpv6: key } });
  set(base, S.tp_src, icmpType);
  set(base, S.tp_dst, icmpCode);
  // put_icmp_key() of the all-ones mask: the 8-bit type and code, whatever was consulted before.
  set(wc, S.tp_src, 0xff);
  set(wc, S.tp_dst, 0xff);
  ctx.res.slowAction = true;
}
