/**
 * What the classifier (./classifier) needs to know of the OpenFlow flow layout
 * (src/openflow/meta-flow.ts) to wildcard like OVS 3.1's lib/classifier.c: the lookup stage of
 * every flow byte, where the L4 ports and `conj_id` are, which fields can have prefix tries
 * (`Flow_Table.prefixes`), and a rule's conjunctions.
 */
import { FLOW_LAYOUT, FLOW_LEN, OFPHTN_ETHERTYPE, PT_ETH, mfFieldByName } from '../openflow/meta-flow';
import type { Ofpact } from '../openflow/ofpacts';
import type { ClassifierOptions, ClsConjunction, ClsLayout, ClsPrefixField } from './classifier';

/**
 * The slots of OVS's L2, L3 and L4 lookup stages (`struct flow` between `dl_dst`, `nw_src`,
 * `nd_target` and its end: `FLOW_SEGMENT_*_ENDS_AT`); every other slot is metadata (stage 0).
 */
const STAGE_SLOTS: readonly (readonly string[])[] = [
  ['dl_dst', 'dl_src', 'dl_type', 'vlan_tci', 'mpls_lse'],
  ['nw_src', 'nw_dst', 'ct_nw_src', 'ct_nw_dst', 'ipv6_src', 'ipv6_dst', 'ct_ipv6_src', 'ct_ipv6_dst',
    'ipv6_label', 'nw_frag', 'nw_tos', 'nw_ttl', 'nw_proto'],
  ['nd_target', 'arp_sha', 'arp_tha', 'tcp_flags', 'tp_src', 'tp_dst', 'ct_tp_src', 'ct_tp_dst', 'nd_reserved',
    'nsh_flags', 'nsh_ttl', 'nsh_mdtype', 'nsh_np', 'nsh_path_hdr', 'nsh_c1', 'nsh_c2', 'nsh_c3', 'nsh_c4'],
];

/** The classifier layout of OpenFlow flows: OVS's four stages metadata, L2, L3, L4. */
export const OF_CLS_LAYOUT: ClsLayout = (() => {
  const stageOfByte = new Uint8Array(FLOW_LEN);
  STAGE_SLOTS.forEach((slots, i) => {
    for (const name of slots) {
      const s = FLOW_LAYOUT[name];
      stageOfByte.fill(i + 1, s.offset, s.offset + s.len);
    }
  });
  if (FLOW_LAYOUT.tp_dst.offset !== FLOW_LAYOUT.tp_src.offset + 2) throw new Error('cls-fields: tp_src/tp_dst not adjacent');
  if (FLOW_LAYOUT.conj_id.offset % 4) throw new Error('cls-fields: conj_id not 4-aligned');
  return { stageOfByte, nStages: 4, portsOffset: FLOW_LAYOUT.tp_src.offset, conjIdOffset: FLOW_LAYOUT.conj_id.offset };
})();

/** The fields OVS can track prefixes of ("Prefix lookup member" in meta-flow.h). */
const PREFIX_FIELDS = new Set([
  'tun_id', 'tun_src', 'tun_dst', 'tun_ipv6_src', 'tun_ipv6_dst', 'ct_nw_src', 'ct_nw_dst',
  'ct_ipv6_src', 'ct_ipv6_dst', 'ip_src', 'ip_dst', 'ipv6_src', 'ipv6_dst',
]);

/** The prefixes a table tracks unless configured (ofproto.c / bridge.c `default_prefix_fields`). */
export const DEFAULT_PREFIX_FIELDS: readonly string[] = ['ip_dst', 'ip_src'];

const CS_NEW = 0x01;
const CS_ESTABLISHED = 0x02;
const CS_REPLY_DIR = 0x08;

function be16(b: Uint8Array, ofs: number): number {
  return (b[ofs] << 8) | b[ofs + 1];
}

/** OVS `get_dl_type` on flow bytes. */
function dlType(flow: Uint8Array): number {
  const pt = FLOW_LAYOUT.packet_type.offset;
  const ns = be16(flow, pt);
  const type = be16(flow, pt + 2);
  if (ns === 0 && type === PT_ETH) return be16(flow, FLOW_LAYOUT.dl_type.offset);
  return ns === OFPHTN_ETHERTYPE ? type : -1;
}

/** A packet's prerequisite test for a prefix field (`mf_are_prereqs_ok` with no wildcards). */
function prereqOf(prereq: string): (flow: Uint8Array) => boolean {
  switch (prereq) {
    case 'IPV4': return (f) => dlType(f) === 0x0800;
    case 'IPV6': return (f) => dlType(f) === 0x86dd;
    case 'CT_VALID': return (f) => (f[FLOW_LAYOUT.ct_state.offset + 3] & (CS_NEW | CS_ESTABLISHED | CS_REPLY_DIR)) !== 0;
    default: return () => true;
  }
}

/**
 * The prefix field named `name` (a field name or its alias, e.g. `nw_dst`), or a reason it
 * cannot be one (bridge.c's "unknown field" / "incompatible field").
 */
export function clsPrefixField(name: string): ClsPrefixField | string {
  const f = mfFieldByName(name);
  if (!f) return `unknown field: ${name}`;
  if (!PREFIX_FIELDS.has(f.name)) return `incompatible field: ${name}`;
  return { name: f.name, offset: f.storage.offset, nBits: f.nBits, prereqsOk: prereqOf(f.prereq) };
}

/** The valid prefix fields among `names` (invalid ones are left out, as bridge.c does). */
export function clsPrefixFields(names: readonly string[]): ClsPrefixField[] {
  const out: ClsPrefixField[] = [];
  for (const n of names) {
    const f = clsPrefixField(n);
    if (typeof f !== 'string') out.push(f);
  }
  return out;
}

/** The conjunctions among a rule's actions, if any (OVS ofproto.c `get_conjunctions`). */
export function conjunctionsOf(ofpacts: readonly Ofpact[]): ClsConjunction[] | undefined {
  let out: ClsConjunction[] | undefined;
  for (const a of ofpacts) {
    if (a.type === 'conjunction') (out ??= []).push({ id: a.id, clause: a.clause, nClauses: a.nClauses });
  }
  return out;
}

/**
 * Classifier options for an OpenFlow table: OVS's staged lookup, prefix tries on `prefixes`
 * (field names; default {@link DEFAULT_PREFIX_FIELDS}) and conjunctions from the rules' actions.
 */
export function ofClassifierOptions<R extends { readonly ofpacts: readonly Ofpact[] }>(
  prefixes: readonly string[] = DEFAULT_PREFIX_FIELDS,
): ClassifierOptions<R> {
  return { layout: OF_CLS_LAYOUT, prefixes: clsPrefixFields(prefixes), conjunctions: (r) => conjunctionsOf(r.ofpacts) };
}
