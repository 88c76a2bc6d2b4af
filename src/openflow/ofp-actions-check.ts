/**
 * Checking ofpacts against the flow they belong to (OVS lib/ofp-actions.c `ofpacts_check`,
 * `ofpacts_check_consistency` and the `check_*` functions, lib/learn.c `learn_check`,
 * lib/bundle.c `bundle_check`): output ports exist, goto_table goes forward, fields read or
 * written meet their prerequisites, and the actions are consistent with the match (no
 * mod_nw_src on a non-IP flow, …).
 *
 * Inconsistencies are hard errors only from OpenFlow 1.1 on: OpenFlow 1.0 switches silently
 * skip such actions, so OVS accepts them on OpenFlow 1.0 (and Nicira) connections.
 *
 * The checks track how the actions change the packet (VLAN push/pop, MPLS push/pop, encap,
 * decap) on a private copy of the match; the caller's match is never modified. They annotate
 * ofpacts, as OVS does: `flowHasVlan` of set_vlan_vid/pcp and set_field, `flowIpProto` of
 * set_l4_*_port, which the encoder consults.
 */
import { OFP10_VERSION, OFPP_IN_PORT, OFPP_LOCAL } from './common';
import { FLOW_LAYOUT, MfStorage, readSlot, writeSlot } from './meta-flow';
import {
  CS_ESTABLISHED, CS_INVALID, CS_NEW, CS_RELATED, CS_REPLY_DIR, CS_SRC_NAT, CS_DST_NAT, CS_TRACKED,
  ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST, ETH_TYPE_NSH, FLOW_NW_FRAG_LATER,
  IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, Match, flowDlType, mfArePrereqsOk,
} from './match';
import { OfpError } from './ofp-errors';
import {
  NX_CT_F_COMMIT, NX_LEARN_DST_LOAD, NX_LEARN_DST_MATCH, NX_LEARN_SRC_FIELD,
  NX_LEARN_SRC_IMMEDIATE, OFPHTN_ETHERTYPE, OFPM13_MAX, Ofpact, OfpactOf, PT_ETH, PT_NSH, PT_UNKNOWN,
  checkOutputPort,
} from './ofpacts';
import {
  bitwiseCopy, bitwiseOne, checkSubfield, fieldOf, isAllOnes, isAllZeros,
} from './ofp-actions-fields';
import { checkBundleMembers } from './ofp-actions-nx';

/** Where the ofpacts are used. */
export interface OfpactCheckContext {
  /** The flow's match (not modified). */
  match: Match;
  /** Output ports must be below this (reserved ports aside); OFPP_MAX when unknown. */
  maxPorts: number;
  /** The flow's table; 255 when none (packet-out), which lets goto_table go anywhere. */
  tableId: number;
  /** Number of tables; 255 means any table id is acceptable. */
  nTables: number;
  /**
   * The OpenFlow version of the connection the ofpacts came from. From OpenFlow 1.1 on, an
   * inconsistency between match and actions is an error (OVS `ofpacts_check_consistency`);
   * without a version, inconsistencies are only reported through the return value.
   */
  version?: number;
}

const S = FLOW_LAYOUT;
const VLAN_CFI = 0x1000;
const IPPORT_FTP = 21;
const IPPORT_TFTP = 69;

/** The checks' view of the packet: the match (a private copy) plus a second, inner VLAN tag. */
interface CheckState {
  m: Match;
  /** TCI of the second VLAN header (OVS `flow->vlans[1].tci`); matches carry only one. */
  innerTci: number;
  /** Set when the actions are inconsistent with the match (OVS `inconsistent_match`). */
  inconsistent: boolean;
  ctx: OfpactCheckContext;
}

function get(st: CheckState, slot: MfStorage): number {
  return readSlot(st.m.flow, slot);
}

function set(st: CheckState, slot: MfStorage, v: number): void {
  writeSlot(st.m.flow, slot, v);
}

function isIpAny(st: CheckState): boolean {
  const t = flowDlType(st.m.flow);
  return t === ETH_TYPE_IP || t === ETH_TYPE_IPV6;
}

function isMpls(dlType: number): boolean {
  return dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST;
}

/** OVS `is_ct_valid` as used for a match (with its wildcards). */
function isCtValidMatch(m: Match): boolean {
  const state = readSlot(m.flow, S.ct_state);
  return (state & (CS_NEW | CS_ESTABLISHED | CS_RELATED | CS_REPLY_DIR | CS_SRC_NAT | CS_DST_NAT)) !== 0
    || ((state & CS_TRACKED) !== 0 && (readSlot(m.wc, S.ct_state) & CS_INVALID) !== 0 && (state & CS_INVALID) === 0);
}

function inconsistentUnless(st: CheckState, ok: boolean): void {
  if (!ok) st.inconsistent = true;
}

/** Marks the first VLAN as present for later actions, remembering whether it was (OVS "temporarily mark"). */
function vlanSetter(a: { pushVlanIfNeeded: boolean; flowHasVlan?: boolean }, st: CheckState): void {
  const tci = get(st, S.vlan_tci);
  a.flowHasVlan = (tci & VLAN_CFI) !== 0;
  inconsistentUnless(st, a.flowHasVlan || a.pushVlanIfNeeded);
  set(st, S.vlan_tci, tci | VLAN_CFI);
}

function checkSetField(a: OfpactOf<'set_field'>, st: CheckState): void {
  const f = fieldOf(a.field);
  const tci = get(st, S.vlan_tci);
  if (!mfArePrereqsOk(f, st.m.flow) || (a.field === 'vlan_vid' && !(tci & VLAN_CFI))) {
    throw new OfpError('OFPBAC_MATCH_INCONSISTENT', `set_field ${a.field} lacks correct prerequisites`);
  }
  a.flowHasVlan = (tci & VLAN_CFI) !== 0;
  if (a.field === 'vlan_tci') set(st, S.vlan_tci, a.value.readUInt16BE(0));
}

function checkL4Port(a: OfpactOf<'set_l4_src_port' | 'set_l4_dst_port'>, st: CheckState): void {
  const proto = get(st, S.nw_proto);
  inconsistentUnless(st, isIpAny(st) && !(get(st, S.nw_frag) & FLOW_NW_FRAG_LATER)
    && (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP));
  a.flowIpProto = proto;
}

/** OVS `learn_check`: sources against the flow's match, destinations against the learned flow. */
function checkLearn(a: OfpactOf<'learn'>, st: CheckState): void {
  const learned = Match.catchall();
  for (const spec of a.specs) {
    if (spec.srcType === NX_LEARN_SRC_FIELD && spec.src) checkSubfield(spec.src, st.m, false);
    if (!spec.dst) continue;
    if (spec.dstType === NX_LEARN_DST_MATCH) {
      checkSubfield(spec.dst, learned, false);
      if (spec.srcType === NX_LEARN_SRC_IMMEDIATE && spec.imm) {
        const f = fieldOf(spec.dst.field);
        const { value, mask } = learned.getField(f);
        bitwiseCopy(spec.imm, 0, value, spec.dst.ofs, spec.dst.nBits);
        bitwiseOne(mask, spec.dst.ofs, spec.dst.nBits);
        // OVS's mf_set ignores a partial mask on a field that cannot be masked.
        if (f.maskable || isAllOnes(mask) || isAllZeros(mask)) learned.setField(f, value, mask);
      }
    } else if (spec.dstType === NX_LEARN_DST_LOAD) {
      checkSubfield(spec.dst, learned, true);
    }
  }
}

function checkCt(a: OfpactOf<'ct'>, st: CheckState): void {
  const proto = get(st, S.nw_proto);
  if (!isIpAny(st) || ((get(st, S.ct_state) & CS_INVALID) && (a.flags & NX_CT_F_COMMIT))
    || (a.alg === IPPORT_FTP && proto !== IPPROTO_TCP) || (a.alg === IPPORT_TFTP && proto !== IPPROTO_UDP)) {
    throw new OfpError('OFPBAC_MATCH_INCONSISTENT', 'ct action inconsistent with the match');
  }
  // As in OVS, a zone taken from a field ends the check: the nested actions go unchecked.
  if (a.zoneSrc) {
    checkSubfield(a.zoneSrc, st.m, false);
    return;
  }
  checkNested(a.actions, st, true);
}

/** Checks a nested action list on its own copy of the packet state (OVS `check_subactions`). */
function checkNested(ofpacts: readonly Ofpact[], st: CheckState, propagate: boolean): void {
  const sub: CheckState = { m: st.m.clone(), innerTci: st.innerTci, inconsistent: false, ctx: st.ctx };
  for (const a of ofpacts) checkOne(a, sub);
  if (propagate && sub.inconsistent) st.inconsistent = true;
}

type Checker = { [T in Ofpact['type']]: (a: OfpactOf<T>, st: CheckState) => void };

const NOTHING = (): void => undefined;

const CHECKS: Checker = {
  output: (a, st) => checkOutputPort(a.port, st.ctx.maxPorts),
  group: NOTHING,
  controller: NOTHING,
  enqueue: (a, st) => {
    if (a.port >= st.ctx.maxPorts && a.port !== OFPP_IN_PORT && a.port !== OFPP_LOCAL) {
      throw new OfpError('OFPBAC_BAD_OUT_PORT', `enqueue to port ${a.port}`);
    }
  },
  output_reg: (a, st) => checkSubfield(a.src, st.m, false),
  output_trunc: (a, st) => checkOutputPort(a.port, st.ctx.maxPorts),
  bundle: (a, st) => {
    if (a.dst) checkSubfield(a.dst, st.m, true);
    checkBundleMembers(a.members, st.ctx.maxPorts);
  },
  set_field: checkSetField,
  set_vlan_vid: vlanSetter,
  set_vlan_pcp: vlanSetter,
  strip_vlan: (_a, st) => {
    inconsistentUnless(st, (get(st, S.vlan_tci) & VLAN_CFI) !== 0);
    set(st, S.vlan_tci, st.innerTci);
    st.innerTci = 0;
  },
  push_vlan: (_a, st) => {
    if (st.innerTci & VLAN_CFI) throw new OfpError('OFPBAC_BAD_TAG', 'too many VLAN headers');
    st.innerTci = get(st, S.vlan_tci);
    set(st, S.vlan_tci, get(st, S.vlan_tci) | VLAN_CFI);
  },
  set_eth_src: NOTHING,
  set_eth_dst: NOTHING,
  set_ipv4_src: (_a, st) => inconsistentUnless(st, flowDlType(st.m.flow) === ETH_TYPE_IP),
  set_ipv4_dst: (_a, st) => inconsistentUnless(st, flowDlType(st.m.flow) === ETH_TYPE_IP),
  set_ip_dscp: (_a, st) => inconsistentUnless(st, isIpAny(st)),
  set_ip_ecn: (_a, st) => inconsistentUnless(st, isIpAny(st)),
  set_ip_ttl: (_a, st) => inconsistentUnless(st, isIpAny(st)),
  set_l4_src_port: checkL4Port,
  set_l4_dst_port: checkL4Port,
  reg_move: (a, st) => {
    checkSubfield(a.src, st.m, false);
    checkSubfield(a.dst, st.m, true);
  },
  stack_push: (a, st) => checkSubfield(a.subfield, st.m, false),
  stack_pop: (a, st) => checkSubfield(a.subfield, st.m, true),
  dec_ttl: (_a, st) => inconsistentUnless(st, isIpAny(st)),
  set_mpls_label: (_a, st) => inconsistentUnless(st, isMpls(flowDlType(st.m.flow))),
  set_mpls_tc: (_a, st) => inconsistentUnless(st, isMpls(flowDlType(st.m.flow))),
  set_mpls_ttl: (_a, st) => inconsistentUnless(st, isMpls(flowDlType(st.m.flow))),
  dec_mpls_ttl: (_a, st) => inconsistentUnless(st, isMpls(flowDlType(st.m.flow))),
  push_mpls: (a, st) => {
    inconsistentUnless(st, get(st, S.packet_type) === PT_ETH);
    set(st, S.dl_type, a.ethertype);
    // The MPLS payload is opaque: nothing can be assumed about the network protocol.
    set(st, S.nw_proto, 0);
  },
  pop_mpls: (a, st) => {
    inconsistentUnless(st, get(st, S.packet_type) === PT_ETH && isMpls(flowDlType(st.m.flow)));
    set(st, S.dl_type, a.ethertype);
  },
  dec_nsh_ttl: (_a, st) => inconsistentUnless(st, get(st, S.packet_type) === PT_NSH || get(st, S.dl_type) === ETH_TYPE_NSH),
  delete_field: (a) => {
    if (!a.field.startsWith('tun_metadata')) throw new OfpError('OFPBAC_BAD_ARGUMENT', `delete_field ${a.field}`);
  },
  encap: (a, st) => {
    set(st, S.packet_type, a.newPktType);
    if (a.newPktType >>> 16 === OFPHTN_ETHERTYPE) set(st, S.dl_type, a.newPktType & 0xffff);
    if (!isIpAny(st)) set(st, S.nw_proto, 0);
  },
  decap: (_a, st) => {
    if (get(st, S.packet_type) === PT_ETH) {
      set(st, S.packet_type, ((OFPHTN_ETHERTYPE << 16) | get(st, S.dl_type)) >>> 0);
    } else {
      // The packet type is known only after decapsulation: later header actions cannot rely on it.
      set(st, S.packet_type, PT_UNKNOWN);
      set(st, S.dl_type, 0xffff);
    }
  },
  set_tunnel: NOTHING,
  set_queue: NOTHING,
  pop_queue: NOTHING,
  fin_timeout: (_a, st) => inconsistentUnless(st, get(st, S.nw_proto) === IPPROTO_TCP),
  resubmit: (a, st) => {
    if (a.withCtOrig && !isCtValidMatch(st.m)) {
      throw new OfpError('OFPBAC_MATCH_INCONSISTENT', 'resubmit with ct needs a valid connection');
    }
  },
  learn: checkLearn,
  conjunction: NOTHING,
  multipath: (a, st) => checkSubfield(a.dst, st.m, true),
  note: NOTHING,
  exit: NOTHING,
  // OVS check_UNROLL_XLATE(): internal, nothing to check (never decoded from the wire).
  unroll_xlate: NOTHING,
  sample: NOTHING,
  ct: checkCt,
  ct_clear: NOTHING,
  nat: (a, st) => {
    const t = flowDlType(st.m.flow);
    if ((t !== ETH_TYPE_IP && t !== ETH_TYPE_IPV6) || (a.rangeAf === 'inet' && t !== ETH_TYPE_IP)
      || (a.rangeAf === 'inet6' && t !== ETH_TYPE_IPV6)) {
      throw new OfpError('OFPBAC_MATCH_INCONSISTENT', 'nat action inconsistent with the match');
    }
  },
  clone: (a, st) => checkNested(a.actions, st, true),
  check_pkt_larger: NOTHING,
  debug_recirc: NOTHING,
  debug_slow: NOTHING,
  meter: (a) => {
    if (a.meterId === 0 || a.meterId > OFPM13_MAX) throw new OfpError('OFPMMFC_INVALID_METER', `meter ${a.meterId}`);
  },
  clear_actions: NOTHING,
  // An action set's consistency cannot be judged, so its inconsistencies do not count.
  write_actions: (a, st) => checkNested(a.actions, st, false),
  write_metadata: NOTHING,
  goto_table: (a, st) => {
    const { tableId, nTables } = st.ctx;
    if ((tableId !== 255 && a.tableId <= tableId) || (nTables !== 255 && a.tableId >= nTables)) {
      throw new OfpError('OFPBIC_BAD_TABLE_ID', `goto_table:${a.tableId} from table ${tableId}`);
    }
  },
};

function checkOne(a: Ofpact, st: CheckState): void {
  (CHECKS[a.type] as (a: Ofpact, st: CheckState) => void)(a, st);
}

/**
 * Checks `ofpacts` against where they are used (OVS `ofpacts_check`, and with `ctx.version`
 * `ofpacts_check_consistency`), annotating them for encoding (`flowHasVlan`, `flowIpProto`).
 * @returns true when the ofpacts are consistent with the match; false when only an OpenFlow 1.0
 *          switch would take them (and `ctx.version` is absent or OpenFlow 1.0)
 * @throws OfpError OFPBAC_BAD_OUT_PORT, OFPBIC_BAD_TABLE_ID, OFPBAC_MATCH_INCONSISTENT (set_field,
 *         ct, nat, resubmit-ct prerequisites; any inconsistency from OpenFlow 1.1 on),
 *         OFPBAC_BAD_SET_LEN / OFPBAC_BAD_SET_ARGUMENT (subfields), OFPBAC_BAD_TAG (too many
 *         VLANs), OFPBAC_BAD_ARGUMENT (delete_field), OFPMMFC_INVALID_METER
 */
export function checkOfpacts(ofpacts: readonly Ofpact[], ctx: OfpactCheckContext): boolean {
  const st: CheckState = { m: ctx.match.clone(), innerTci: 0, inconsistent: false, ctx };
  for (const a of ofpacts) checkOne(a, st);
  if (st.inconsistent && ctx.version !== undefined && ctx.version !== OFP10_VERSION) {
    throw new OfpError('OFPBAC_MATCH_INCONSISTENT', 'actions are inconsistent with the match');
  }
  return !st.inconsistent;
}
