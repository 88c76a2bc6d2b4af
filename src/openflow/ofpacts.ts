/**
 * The ofpact model: OVS's abstract actions (include/openvswitch/ofp-actions.h `struct ofpact_*`),
 * one form per action whatever OpenFlow version or extension it came in as. OpenFlow 1.1+
 * instructions are ofpacts too (`meter`, `clear_actions`, `write_actions`, `write_metadata`,
 * `goto_table`), kept in instruction order, as OVS keeps them.
 *
 * Ofpacts are plain data (structured-cloneable: no classes, no functions; Buffers and bigints
 * are fine). Ports are internal 16-bit numbers (./common). Fields are named by their
 * ovs-fields(7) name (`MfField.name` of ./meta-flow).
 *
 * `raw` remembers which wire action an ofpact was decoded from (or, for text, which spelling
 * was used) where OVS sends it back the same way ("action reproduction"); it holds OVS's
 * `enum ofp_raw_action_type` name. Absent means "no preference". A few ofpacts carry
 * annotations that {@link checkOfpacts} fills in from the flow's match (`flowHasVlan`,
 * `flowIpProto`); the encoder consults them, as OVS's does.
 *
 * This module also holds what works on ofpacts alone: the instruction classification and order
 * rules (OVS `ofpacts_verify`), the output-port/group filters and the meter lookup.
 */
import {
  OFP15_VERSION, OFPP_ALL, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_LOCAL, OFPP_NORMAL, OFPP_TABLE,
} from './common';
import { OfpError } from './ofp-errors';

/** A bit range of a field (OVS `struct mf_subfield`): bits `ofs`..`ofs + nBits - 1`, bit 0 = LSB. */
export interface MfSubfield {
  field: string;
  ofs: number;
  nBits: number;
}

/** `OFPR_*` packet-in reasons: ofp-switch.ts defines them with the async masks that use them. */
export { OFPR_NO_MATCH, OFPR_ACTION, OFPR_INVALID_TTL, OFPR_ACTION_SET, OFPR_GROUP, OFPR_PACKET_OUT } from './ofp-switch';

/** `NX_CTLR_NO_METER`: controller action without a meter. */
export const NX_CTLR_NO_METER = 0;

/** `enum nx_hash_fields` (nicira-ext.h). */
export const NX_HASH_FIELDS_ETH_SRC = 0;
export const NX_HASH_FIELDS_SYMMETRIC_L4 = 1;
export const NX_HASH_FIELDS_SYMMETRIC_L3L4 = 2;
export const NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP = 3;
export const NX_HASH_FIELDS_NW_SRC = 4;
export const NX_HASH_FIELDS_NW_DST = 5;
export const NX_HASH_FIELDS_SYMMETRIC_L3 = 6;

/** `enum nx_bd_algorithm`. */
export const NX_BD_ALG_ACTIVE_BACKUP = 0;
export const NX_BD_ALG_HRW = 1;

/** `enum nx_mp_algorithm`. */
export const NX_MP_ALG_MODULO_N = 0;
export const NX_MP_ALG_HASH_THRESHOLD = 1;
export const NX_MP_ALG_HRW = 2;
export const NX_MP_ALG_ITER_HASH = 3;

/** `enum nx_conntrack_flags`. */
export const NX_CT_F_COMMIT = 1 << 0;
export const NX_CT_F_FORCE = 1 << 1;
/** `NX_CT_RECIRC_NONE`: ct without recirculation. */
export const NX_CT_RECIRC_NONE = 0xff;

/** `enum nx_nat_flags`. */
export const NX_NAT_F_SRC = 1 << 0;
export const NX_NAT_F_DST = 1 << 1;
export const NX_NAT_F_PERSISTENT = 1 << 2;
export const NX_NAT_F_PROTO_HASH = 1 << 3;
export const NX_NAT_F_PROTO_RANDOM = 1 << 4;
export const NX_NAT_F_MASK = 0x1f;

/** `enum nx_learn_flags`. */
export const NX_LEARN_F_SEND_FLOW_REM = 1 << 0;
export const NX_LEARN_F_DELETE_LEARNED = 1 << 1;
export const NX_LEARN_F_WRITE_RESULT = 1 << 2;

/** flow_mod_spec header bits of a learn action (ofp-actions.h). */
export const NX_LEARN_N_BITS_MASK = 0x3ff;
export const NX_LEARN_SRC_FIELD = 0 << 13;
export const NX_LEARN_SRC_IMMEDIATE = 1 << 13;
export const NX_LEARN_SRC_MASK = 1 << 13;
export const NX_LEARN_DST_MATCH = 0 << 11;
export const NX_LEARN_DST_LOAD = 1 << 11;
export const NX_LEARN_DST_OUTPUT = 2 << 11;
export const NX_LEARN_DST_RESERVED = 3 << 11;
export const NX_LEARN_DST_MASK = 3 << 11;

/** `enum nx_action_sample_direction`. */
export const NX_ACTION_SAMPLE_DEFAULT = 0;
export const NX_ACTION_SAMPLE_INGRESS = 1;
export const NX_ACTION_SAMPLE_EGRESS = 2;

/** `OFPM13_MAX`: the highest meter id a flow may name. */
export const OFPM13_MAX = 0xffff0000;

/** `PACKET_TYPE(ns, type)` values used by encap/decap (lib/packets.h). */
export const OFPHTN_ONF = 0;
export const OFPHTN_ETHERTYPE = 1;
export const PT_ETH = 0x00000000;
export const PT_USE_NEXT_PROTO = 0x0000fffe;
export const PT_NSH = 0x0001894f;
export const PT_MPLS = 0x00018847;
export const PT_MPLS_MC = 0x00018848;
export const PT_UNKNOWN = 0xffffffff;

/** Encap property classes and NSH property types (ofp-ed-props.h). */
export const OFPPPC_NSH = 4;
export const OFPPPT_PROP_NSH_MDTYPE = 1;
export const OFPPPT_PROP_NSH_TLV = 2;

/** An encap property (OVS `struct ofpact_ed_prop_*`); only NSH properties exist. */
export type EncapProp =
  | { propClass: typeof OFPPPC_NSH; type: typeof OFPPPT_PROP_NSH_MDTYPE; mdType: number }
  | {
    propClass: typeof OFPPPC_NSH; type: typeof OFPPPT_PROP_NSH_TLV; tlvClass: number; tlvType: number;
    /** `tlv_len`: significant bytes of `data`. */
    tlvLen: number;
    /** The value as on the wire: `tlvLen` bytes padded to a multiple of 8 (padding kept as received). */
    data: Buffer;
  };

/** One flow_mod_spec of a learn action (OVS `struct ofpact_learn_spec`). */
export interface LearnSpec {
  /** NX_LEARN_SRC_FIELD or NX_LEARN_SRC_IMMEDIATE. */
  srcType: number;
  /** NX_LEARN_DST_MATCH, NX_LEARN_DST_LOAD or NX_LEARN_DST_OUTPUT. */
  dstType: number;
  nBits: number;
  /** Source subfield (NX_LEARN_SRC_FIELD). */
  src?: MfSubfield;
  /** Destination subfield (NX_LEARN_DST_MATCH and NX_LEARN_DST_LOAD). */
  dst?: MfSubfield;
  /** Immediate value (NX_LEARN_SRC_IMMEDIATE): ceil(nBits / 8) bytes, network order. */
  imm?: Buffer;
}

/** Address family of a NAT range (OVS `range_af`). */
export type NatRangeAf = 'unspec' | 'inet' | 'inet6';

/**
 * An OVS abstract action. `type` is the lower-case `OFPACT_*` name. Numeric fields are host
 * integers; 64-bit values are bigints.
 */
export type Ofpact =
  /** Output to `port`; `maxLen` bytes to the controller when `port` is CONTROLLER. */
  | { type: 'output'; port: number; maxLen: number }
  | { type: 'group'; groupId: number }
  /** Send to the controller with extra parameters (NXAST_CONTROLLER/CONTROLLER2). */
  | {
    type: 'controller'; maxLen: number; controllerId: number; reason: number; pause: boolean;
    userdata: Buffer; meterId: number; raw?: 'NXAST_RAW_CONTROLLER' | 'NXAST_RAW_CONTROLLER2';
  }
  | { type: 'enqueue'; port: number; queue: number }
  | { type: 'output_reg'; src: MfSubfield; maxLen: number; raw?: 'NXAST_RAW_OUTPUT_REG' | 'NXAST_RAW_OUTPUT_REG2' }
  | { type: 'output_trunc'; port: number; maxLen: number }
  /** `dst` present: bundle_load. */
  | { type: 'bundle'; algorithm: number; fields: number; basis: number; dst?: MfSubfield; members: number[] }
  /**
   * Sets the bits of `field` that are 1 in `mask` to `value` (both `nBytes` of the field).
   * `raw` NXAST_RAW_REG_LOAD / NXAST_RAW_REG_LOAD2: came in as (and goes back as) reg_load.
   */
  | {
    type: 'set_field'; field: string; value: Buffer; mask: Buffer;
    raw?: 'NXAST_RAW_REG_LOAD' | 'NXAST_RAW_REG_LOAD2'; flowHasVlan?: boolean;
  }
  /** `pushVlanIfNeeded`: OpenFlow 1.0 semantics (mod_vlan_vid). */
  | { type: 'set_vlan_vid'; vlanVid: number; pushVlanIfNeeded: boolean; flowHasVlan?: boolean }
  | { type: 'set_vlan_pcp'; vlanPcp: number; pushVlanIfNeeded: boolean; flowHasVlan?: boolean }
  | { type: 'strip_vlan'; raw?: 'OFPAT_RAW10_STRIP_VLAN' | 'OFPAT_RAW11_POP_VLAN' }
  | { type: 'push_vlan'; ethertype: number }
  /** `mac`: 6 bytes. */
  | { type: 'set_eth_src' | 'set_eth_dst'; mac: Buffer }
  /** `ipv4`: host-order 32-bit address. */
  | { type: 'set_ipv4_src' | 'set_ipv4_dst'; ipv4: number }
  /** `dscp`: DSCP in the high 6 bits (TOS byte form). */
  | { type: 'set_ip_dscp'; dscp: number }
  | { type: 'set_ip_ecn'; ecn: number }
  | { type: 'set_ip_ttl'; ttl: number }
  | { type: 'set_l4_src_port' | 'set_l4_dst_port'; port: number; flowIpProto?: number }
  | { type: 'reg_move'; src: MfSubfield; dst: MfSubfield; raw?: 'NXAST_RAW_REG_MOVE' | 'ONFACT_RAW13_COPY_FIELD' }
  | { type: 'stack_push' | 'stack_pop'; subfield: MfSubfield }
  /** Decrement TTL; packet-ins go to each controller id of `cntIds`. */
  | { type: 'dec_ttl'; cntIds: number[]; raw?: 'NXAST_RAW_DEC_TTL_CNT_IDS' }
  | { type: 'set_mpls_label'; label: number }
  | { type: 'set_mpls_tc'; tc: number }
  | { type: 'set_mpls_ttl'; ttl: number }
  | { type: 'dec_mpls_ttl' }
  | { type: 'push_mpls' | 'pop_mpls'; ethertype: number }
  | { type: 'dec_nsh_ttl' }
  | { type: 'delete_field'; field: string }
  | { type: 'encap'; newPktType: number; hdrSize: number; props: EncapProp[] }
  | { type: 'decap'; newPktType: number }
  | { type: 'set_tunnel'; tunId: bigint; raw?: 'NXAST_RAW_SET_TUNNEL' | 'NXAST_RAW_SET_TUNNEL64' }
  | { type: 'set_queue'; queueId: number }
  | { type: 'pop_queue' }
  /** Timeouts in seconds; 0 = unchanged. */
  | { type: 'fin_timeout'; finIdleTimeout: number; finHardTimeout: number }
  /** `inPort` IN_PORT = keep, `tableId` 255 = current table. */
  | {
    type: 'resubmit'; inPort: number; tableId: number; withCtOrig: boolean;
    raw?: 'NXAST_RAW_RESUBMIT' | 'NXAST_RAW_RESUBMIT_TABLE' | 'NXAST_RAW_RESUBMIT_TABLE_CT';
  }
  | {
    type: 'learn'; idleTimeout: number; hardTimeout: number; priority: number; tableId: number;
    flags: number; cookie: bigint; finIdleTimeout: number; finHardTimeout: number; limit: number;
    resultDst?: MfSubfield; specs: LearnSpec[]; raw?: 'NXAST_RAW_LEARN' | 'NXAST_RAW_LEARN2';
  }
  /** `clause` is 0-based (text shows clause + 1). */
  | { type: 'conjunction'; id: number; clause: number; nClauses: number }
  | { type: 'multipath'; fields: number; basis: number; algorithm: number; maxLink: number; arg: number; dst: MfSubfield }
  | { type: 'note'; data: Buffer }
  | { type: 'exit' }
  /**
   * OVS's internal OFPACT_UNROLL_XLATE (never on the wire): in frozen actions, restores the table
   * id and rule cookie the following actions ran under before the freeze
   */
  | { type: 'unroll_xlate'; tableId: number; cookie: bigint }
  | {
    type: 'sample'; probability: number; collectorSetId: number; obsDomainId: number;
    obsPointId: number; samplingPort: number; direction: number;
    raw?: 'NXAST_RAW_SAMPLE' | 'NXAST_RAW_SAMPLE2' | 'NXAST_RAW_SAMPLE3';
  }
  /** `zoneSrc` present: zone from a field, else `zoneImm`. `recircTable` 255: none. */
  | {
    type: 'ct'; flags: number; zoneImm: number; zoneSrc?: MfSubfield; alg: number;
    recircTable: number; actions: Ofpact[];
  }
  | { type: 'ct_clear' }
  /**
   * `addrMin`/`addrMax`: 4 (inet) or 16 (inet6) bytes, all zeros when absent; empty for unspec.
   * `protoMin`/`protoMax`: 0 when absent.
   */
  | {
    type: 'nat'; flags: number; rangeAf: NatRangeAf; addrMin: Buffer; addrMax: Buffer;
    protoMin: number; protoMax: number;
  }
  | { type: 'clone'; actions: Ofpact[] }
  | { type: 'check_pkt_larger'; pktLen: number; dst: MfSubfield }
  | { type: 'debug_recirc' }
  | { type: 'debug_slow' }
  | { type: 'meter'; meterId: number }
  | { type: 'clear_actions' }
  | { type: 'write_actions'; actions: Ofpact[] }
  | { type: 'write_metadata'; metadata: bigint; mask: bigint }
  | { type: 'goto_table'; tableId: number };

/**
 * Checks that `port` may be output to on a switch with ports below `maxPorts` (OVS
 * `ofpact_check_output_port`): the reserved ports IN_PORT, TABLE, NORMAL, FLOOD, ALL,
 * CONTROLLER and LOCAL always; a physical port below `maxPorts`; never ANY/NONE.
 * @throws OfpError OFPBAC_BAD_OUT_PORT
 */
export function checkOutputPort(port: number, maxPorts: number): void {
  if (OUTPUT_RESERVED_PORTS.has(port) || port < maxPorts) return;
  throw new OfpError('OFPBAC_BAD_OUT_PORT', `bad output port ${port}`);
}

const OUTPUT_RESERVED_PORTS = new Set([
  OFPP_IN_PORT, OFPP_TABLE, OFPP_NORMAL, OFPP_FLOOD, OFPP_ALL, OFPP_CONTROLLER, OFPP_LOCAL,
]);

/** The ofpact variant with type `T`. */
export type OfpactOf<T extends Ofpact['type']> = Ofpact & { type: T };

/**
 * OVS's instruction classes (`enum ovs_instruction_type`), in the order instructions execute
 * and must appear: meter, apply_actions, clear_actions, write_actions, write_metadata, goto_table.
 */
export const OVSINST_OFPIT13_METER = 0;
export const OVSINST_OFPIT11_APPLY_ACTIONS = 1;
export const OVSINST_OFPIT11_CLEAR_ACTIONS = 2;
export const OVSINST_OFPIT11_WRITE_ACTIONS = 3;
export const OVSINST_OFPIT11_WRITE_METADATA = 4;
export const OVSINST_OFPIT11_GOTO_TABLE = 5;
export const N_OVS_INSTRUCTIONS = 6;

/** Instruction names, by OVSINST_* value (OVS `ovs_instruction_name_from_type`). */
export const OVS_INSTRUCTION_NAMES = [
  'meter', 'apply_actions', 'clear_actions', 'write_actions', 'write_metadata', 'goto_table',
] as const;

/** Bitmap of every instruction class. */
export const ALL_OVS_INSTRUCTIONS = (1 << N_OVS_INSTRUCTIONS) - 1;

/**
 * The instruction an ofpact belongs to in OpenFlow `version` (OVS
 * `ovs_instruction_type_from_ofpact_type`): meter is an instruction before OpenFlow 1.5 and an
 * action from then on.
 */
export function ovsInstructionType(type: Ofpact['type'], version: number): number {
  switch (type) {
    case 'meter': return version >= OFP15_VERSION ? OVSINST_OFPIT11_APPLY_ACTIONS : OVSINST_OFPIT13_METER;
    case 'clear_actions': return OVSINST_OFPIT11_CLEAR_ACTIONS;
    case 'write_actions': return OVSINST_OFPIT11_WRITE_ACTIONS;
    case 'write_metadata': return OVSINST_OFPIT11_WRITE_METADATA;
    case 'goto_table': return OVSINST_OFPIT11_GOTO_TABLE;
    default: return OVSINST_OFPIT11_APPLY_ACTIONS;
  }
}

/** The ofpacts nested directly in `a` (clone, ct, write_actions), else none. */
export function nestedOfpacts(a: Ofpact): readonly Ofpact[] {
  return a.type === 'clone' || a.type === 'ct' || a.type === 'write_actions' ? a.actions : [];
}

/** Every ofpact of `ofpacts`, nested ones right after their container (OFPACT_FOR_EACH_FLATTENED). */
export function* flattenOfpacts(ofpacts: readonly Ofpact[]): Generator<Ofpact> {
  for (const a of ofpacts) {
    yield a;
    yield* flattenOfpacts(nestedOfpacts(a));
  }
}

/**
 * Whether any ofpact, nested ones included, outputs to `port` (OVS `ofpacts_output_to_port`):
 * output and enqueue to that port, and controller actions for CONTROLLER. This is the
 * `out_port` filter of flow_mod deletes and flow stats requests.
 * @param port internal 16-bit port number
 */
export function ofpactsOutputToPort(ofpacts: readonly Ofpact[], port: number): boolean {
  for (const a of flattenOfpacts(ofpacts)) {
    if ((a.type === 'output' || a.type === 'enqueue') && a.port === port) return true;
    if (a.type === 'controller' && port === OFPP_CONTROLLER) return true;
  }
  return false;
}

/** Whether any group action, nested ones included, names `groupId` (OVS `ofpacts_output_to_group`). */
export function ofpactsOutputToGroup(ofpacts: readonly Ofpact[], groupId: number): boolean {
  for (const a of flattenOfpacts(ofpacts)) {
    if (a.type === 'group' && a.groupId === groupId) return true;
  }
  return false;
}

/**
 * The meter of a flow's ofpacts, 0 if none (OVS `ofpacts_get_meter`): a meter can only come
 * first, before any action, so the search stops at the first ofpact of a later instruction.
 */
export function ofpactsGetMeter(ofpacts: readonly Ofpact[]): number {
  for (const a of ofpacts) {
    if (a.type === 'meter') return a.meterId;
    if (ovsInstructionType(a.type, 0) > OVSINST_OFPIT13_METER) break;
  }
  return 0;
}

/** The field an ofpact writes, if it writes a field (OVS `ofpact_get_mf_dst`). */
export function ofpactDstField(a: Ofpact): string | undefined {
  if (a.type === 'set_field') return a.field;
  if (a.type === 'reg_move') return a.dst.field;
  return undefined;
}

/** OVS's action names (`ofpact_name`), used in error details. */
export function ofpactName(type: Ofpact['type']): string {
  return OFPACT_NAMES[type];
}

const OFPACT_NAMES: Record<Ofpact['type'], string> = {
  output: 'output', group: 'group', controller: 'controller', enqueue: 'enqueue',
  output_reg: 'output_reg', output_trunc: 'output_trunc', bundle: 'bundle',
  set_field: 'set_field', set_vlan_vid: 'set_vlan_vid', set_vlan_pcp: 'set_vlan_pcp',
  strip_vlan: 'strip_vlan', push_vlan: 'push_vlan', set_eth_src: 'mod_dl_src',
  set_eth_dst: 'mod_dl_dst', set_ipv4_src: 'mod_nw_src', set_ipv4_dst: 'mod_nw_dst',
  set_ip_dscp: 'mod_nw_tos', set_ip_ecn: 'mod_nw_ecn', set_ip_ttl: 'mod_nw_ttl',
  set_l4_src_port: 'mod_tp_src', set_l4_dst_port: 'mod_tp_dst', reg_move: 'move',
  stack_push: 'push', stack_pop: 'pop', dec_ttl: 'dec_ttl', set_mpls_label: 'set_mpls_label',
  set_mpls_tc: 'set_mpls_tc', set_mpls_ttl: 'set_mpls_ttl', dec_mpls_ttl: 'dec_mpls_ttl',
  push_mpls: 'push_mpls', pop_mpls: 'pop_mpls', dec_nsh_ttl: 'dec_nsh_ttl',
  delete_field: 'delete_field', encap: 'encap', decap: 'decap', set_tunnel: 'set_tunnel',
  set_queue: 'set_queue', pop_queue: 'pop_queue', fin_timeout: 'fin_timeout',
  resubmit: 'resubmit', learn: 'learn', conjunction: 'conjunction', multipath: 'multipath',
  note: 'note', exit: 'exit', unroll_xlate: 'unroll_xlate', sample: 'sample', ct: 'ct', ct_clear: 'ct_clear', nat: 'nat',
  clone: 'clone', check_pkt_larger: 'check_pkt_larger', debug_recirc: 'debug_recirc',
  debug_slow: 'debug_slow', meter: 'meter', clear_actions: 'clear_actions',
  write_actions: 'write_actions', write_metadata: 'write_metadata', goto_table: 'goto_table',
};

const CT_FIELDS = new Set(['ct_mark', 'ct_label']);

/**
 * Checks the nesting rules of one ofpact (OVS `ofpacts_verify_nested`): only ct may write the
 * conntrack fields, nat lives only inside ct, ct nests nothing but writes to ct_mark/ct_label,
 * and meter is never nested.
 * @param outer the enclosing ofpact type, undefined at the top level
 * @throws OfpError OFPBAC_BAD_SET_ARGUMENT or OFPBAC_BAD_ARGUMENT
 */
function verifyNested(a: Ofpact, outer: Ofpact['type'] | undefined): void {
  const field = ofpactDstField(a);
  if (field !== undefined && CT_FIELDS.has(field) && outer !== 'ct') {
    throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', 'cannot set CT fields outside of ct action');
  }
  if (a.type === 'nat') {
    if (outer !== 'ct') throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', 'Cannot have NAT action outside of "ct" action');
    return;
  }
  if (outer === undefined) return;
  if (outer === 'ct') {
    if (field === undefined) {
      throw new OfpError('OFPBAC_BAD_ARGUMENT', `ct action doesn't support nested action ${ofpactName(a.type)}`);
    }
    if (!CT_FIELDS.has(field)) {
      throw new OfpError('OFPBAC_BAD_ARGUMENT', `ct action doesn't support nested modification of ${field}`);
    }
  }
  if (a.type === 'meter') {
    throw new OfpError('OFPBAC_BAD_ARGUMENT', `${ofpactName(outer)} action doesn't support nested action meter`);
  }
}

/**
 * Checks that `ofpacts` are in a legal order and use only allowed instructions (OVS
 * `ofpacts_verify`): conjunction goes only with note; instructions appear at most once each, in
 * OVSINST order (apply_actions may repeat); nesting rules per {@link verifyNested}.
 * @param version the OpenFlow version (meter is an action from OpenFlow 1.5 on)
 * @param allowed bitmap of allowed OVSINST_* classes
 * @param outer the enclosing ofpact type for nested lists, undefined at the top level
 * @throws OfpError NXBAC_BAD_CONJUNCTION, OFPBAC_UNSUPPORTED_ORDER, OFPBIC_UNSUP_INST, or a
 *         nesting error
 */
export function verifyOfpacts(ofpacts: readonly Ofpact[], version: number, allowed: number,
  outer?: Ofpact['type']): void {
  let inst = OVSINST_OFPIT13_METER;
  for (let i = 0; i < ofpacts.length; i++) {
    const a = ofpacts[i];
    if (a.type === 'conjunction') {
      const other = ofpacts.find((b) => b.type !== 'conjunction' && b.type !== 'note');
      if (other) {
        throw new OfpError('NXBAC_BAD_CONJUNCTION', '"conjunction" actions may be used along with '
          + `"note" but not any other kind of action (such as the "${ofpactName(other.type)}" action used here)`);
      }
      return;
    }
    verifyNested(a, outer);
    const next = ovsInstructionType(a.type, version);
    if (i > 0 && (inst === OVSINST_OFPIT11_APPLY_ACTIONS ? next < inst : next <= inst)) {
      throw new OfpError('OFPBAC_UNSUPPORTED_ORDER', next === inst
        ? `duplicate ${OVS_INSTRUCTION_NAMES[inst]} instruction not allowed, for OpenFlow 1.1+ compatibility`
        : `invalid instruction ordering: ${OVS_INSTRUCTION_NAMES[next]} must appear before `
          + `${OVS_INSTRUCTION_NAMES[inst]}, for OpenFlow 1.1+ compatibility`);
    }
    if (!((1 << next) & allowed)) {
      throw new OfpError('OFPBIC_UNSUP_INST', `${OVS_INSTRUCTION_NAMES[next]} instruction not allowed here`);
    }
    inst = next;
  }
}

/**
 * Action-set slots (OVS `ACTION_SET_ORDER`): of each, only the last one written executes, in
 * this order, before the set/move ofpacts and the final action.
 */
const ACTION_SET_ORDER: ReadonlyArray<Ofpact['type']> = [
  'strip_vlan', 'pop_mpls', 'decap', 'encap', 'push_mpls', 'push_vlan', 'dec_ttl', 'dec_mpls_ttl', 'dec_nsh_ttl',
];

/** Final actions, lowest priority first (OVS `ACTION_SET_FINAL_PRIORITY`): the highest present wins. */
const ACTION_SET_FINAL: ReadonlyArray<Ofpact['type']> = ['ct', 'ct_clear', 'resubmit', 'output', 'group'];

/** Ofpacts an action set applies in the order written (OVS `ACTION_SLOT_SET_OR_MOVE`). */
const ACTION_SET_SET_OR_MOVE = new Set<Ofpact['type']>([
  'set_field', 'reg_move', 'set_eth_dst', 'set_eth_src', 'set_ip_dscp', 'set_ip_ecn', 'set_ip_ttl',
  'set_ipv4_dst', 'set_ipv4_src', 'set_l4_dst_port', 'set_l4_src_port', 'set_mpls_label', 'set_mpls_tc',
  'set_mpls_ttl', 'set_queue', 'set_tunnel', 'set_vlan_pcp', 'set_vlan_vid',
]);

/** Whether an ofpact may be written to the action set (OVS `ofpact_is_allowed_in_actions_set`). */
export function isAllowedInActionSet(a: Ofpact): boolean {
  return ACTION_SET_ORDER.includes(a.type) || ACTION_SET_FINAL.includes(a.type) || ACTION_SET_SET_OR_MOVE.has(a.type);
}

/**
 * The actions an OpenFlow 1.1+ action set executes (OVS `ofpacts_execute_action_set`): nothing
 * unless it holds a final action (ct, ct_clear, resubmit, output, group); then the last of each
 * slot in slot order, every set/move in the order written, and the final action of highest
 * priority (the last one written among equals).
 */
export function ofpactsExecuteActionSet(actionSet: readonly Ofpact[]): Ofpact[] {
  const slots: Array<Ofpact | undefined> = [];
  const setOrMove: Ofpact[] = [];
  let final: Ofpact | undefined;
  let finalClass = -1;
  for (const a of actionSet) {
    const slot = ACTION_SET_ORDER.indexOf(a.type);
    const fin = ACTION_SET_FINAL.indexOf(a.type);
    if (slot >= 0) {
      slots[slot] = a;
    } else if (fin >= 0) {
      if (fin >= finalClass) {
        final = a;
        finalClass = fin;
      }
    } else if (ACTION_SET_SET_OR_MOVE.has(a.type)) {
      setOrMove.push(a);
    }
  }
  if (!final) return [];
  return [...slots.filter((a): a is Ofpact => a !== undefined), ...setOrMove, final];
}
