/**
 * Ofpacts as `ovs-ofctl` prints them (OVS lib/ofp-actions.c `ofpacts_format` and the
 * `format_*` functions, lib/learn.c `learn_format`, lib/bundle.c `bundle_format`,
 * lib/multipath.c `multipath_format`, lib/nx-match.c `nxm_format_reg_move`), without colors,
 * port names or table names: "output:2,NORMAL", "set_field:10.0.0.1->ip_src",
 * "load:0x5->NXM_NX_REG0[0..3]", "drop" for none.
 */
import { formatIpv6 } from '../genl/addr';
import { OFPP_CONTROLLER, OFPP_IN_PORT, OFPP_MAX, OFPP_NONE } from './common';
import { mfFormatValue, formatOfpPort } from './match-format';
import {
  EncapProp, NX_ACTION_SAMPLE_EGRESS, NX_ACTION_SAMPLE_INGRESS, NX_CT_F_COMMIT, NX_CT_F_FORCE,
  NX_CT_RECIRC_NONE, NX_CTLR_NO_METER, NX_LEARN_DST_LOAD, NX_LEARN_DST_MATCH, NX_LEARN_DST_OUTPUT,
  NX_LEARN_F_DELETE_LEARNED, NX_LEARN_F_SEND_FLOW_REM, NX_LEARN_F_WRITE_RESULT, NX_LEARN_SRC_FIELD,
  NX_LEARN_SRC_IMMEDIATE, NX_NAT_F_DST, NX_NAT_F_PERSISTENT, NX_NAT_F_PROTO_HASH, NX_NAT_F_PROTO_RANDOM,
  NX_NAT_F_SRC, OFPPPT_PROP_NSH_MDTYPE, OFPR_ACTION, Ofpact, OfpactOf, PT_ETH, PT_MPLS, PT_MPLS_MC,
  PT_NSH, PT_USE_NEXT_PROTO,
} from './ofpacts';
import { fieldOf, formatSubfield } from './ofp-actions-fields';
import { loadSegments } from './ofp-actions-std';

const OFP_DEFAULT_PRIORITY = 0x8000;
const OFP_FLOW_PERMANENT = 0;
const IPPORT_FTP = 21;
const IPPORT_TFTP = 69;

/** C's `%#x`: "0" for zero, else "0x…". */
function hexAlt(v: number | bigint): string {
  return v === 0 || v === 0n ? '0' : `0x${v.toString(16)}`;
}

/** OVS `ds_put_hex`: bytes as one big-endian hex number without leading zeros, "0" if all zero. */
function putHex(b: Buffer): string {
  const hex = b.toString('hex').replace(/^0+/, '');
  return hex ? `0x${hex}` : '0';
}

/** OVS `format_hex_arg`: "01.02.03". */
function hexArg(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('.');
}

function ipv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
}

function mac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Drops one trailing comma (OVS `ds_chomp(s, ',')`). */
function chomp(s: string): string {
  return s.endsWith(',') ? s.slice(0, -1) : s;
}

/** `flow_hash_fields_to_str`. */
const HASH_FIELDS = ['eth_src', 'symmetric_l4', 'symmetric_l3l4', 'symmetric_l3l4+udp', 'nw_src', 'nw_dst', 'symmetric_l3'];
const BUNDLE_ALGORITHMS = ['active_backup', 'hrw'];
const MULTIPATH_ALGORITHMS = ['modulo_n', 'hash_threshold', 'hrw', 'iter_hash'];
/** `ofputil_packet_in_reason_to_string` (the two miss reasons print as empty strings). */
const PACKET_IN_REASONS = ['no_match', 'action', 'invalid_ttl', 'action_set', 'group', 'packet_out', '', ''];

function reasonName(reason: number): string {
  return PACKET_IN_REASONS[reason] ?? String(reason);
}

function formatController(a: OfpactOf<'controller'>): string {
  if (a.reason === OFPR_ACTION && !a.controllerId && !a.userdata.length && !a.pause && a.meterId === NX_CTLR_NO_METER) {
    return `CONTROLLER:${a.maxLen}`;
  }
  let s = 'controller(';
  if (a.reason !== OFPR_ACTION) s += `reason=${reasonName(a.reason)},`;
  if (a.maxLen !== 0xffff) s += `max_len=${a.maxLen},`;
  if (a.controllerId) s += `id=${a.controllerId},`;
  if (a.userdata.length) s += `userdata=${hexArg(a.userdata)},`;
  if (a.pause) s += 'pause,';
  if (a.meterId !== NX_CTLR_NO_METER) s += `meter_id=${a.meterId},`;
  return `${chomp(s)})`;
}

function formatSetField(a: OfpactOf<'set_field'>): string {
  if (a.raw === 'NXAST_RAW_REG_LOAD') {
    return loadSegments(a).map((seg) => `load:${hexAlt(seg.value)}->`
      + formatSubfield({ field: a.field, ofs: seg.ofs, nBits: seg.nBits })).join(',');
  }
  return `set_field:${mfFormatValue(fieldOf(a.field), a.value, a.mask)}->${fieldOf(a.field).name}`;
}

function formatResubmit(a: OfpactOf<'resubmit'>): string {
  if (a.inPort !== OFPP_IN_PORT && a.tableId === 255) return `resubmit:${formatOfpPort(a.inPort)}`;
  return `resubmit(${a.inPort !== OFPP_IN_PORT ? formatOfpPort(a.inPort) : ''},`
    + `${a.tableId !== 255 ? a.tableId : ''}${a.withCtOrig ? ',ct' : ''})`;
}

function formatLearn(a: OfpactOf<'learn'>): string {
  let s = `learn(table=${a.tableId}`;
  if (a.idleTimeout !== OFP_FLOW_PERMANENT) s += `,idle_timeout=${a.idleTimeout}`;
  if (a.hardTimeout !== OFP_FLOW_PERMANENT) s += `,hard_timeout=${a.hardTimeout}`;
  if (a.finIdleTimeout) s += `,fin_idle_timeout=${a.finIdleTimeout}`;
  if (a.finHardTimeout) s += `,fin_hard_timeout=${a.finHardTimeout}`;
  if (a.priority !== OFP_DEFAULT_PRIORITY) s += `,priority=${a.priority}`;
  if (a.flags & NX_LEARN_F_SEND_FLOW_REM) s += ',send_flow_rem';
  if (a.flags & NX_LEARN_F_DELETE_LEARNED) s += ',delete_learned';
  if (a.cookie !== 0n) s += `,cookie=${hexAlt(a.cookie)}`;
  if (a.limit) s += `,limit=${a.limit}`;
  if ((a.flags & NX_LEARN_F_WRITE_RESULT) && a.resultDst) s += `,result_dst=${formatSubfield(a.resultDst)}`;
  for (const spec of a.specs) {
    const imm = spec.imm ?? Buffer.alloc(0);
    s += ',';
    switch (spec.srcType | spec.dstType) {
      case NX_LEARN_SRC_IMMEDIATE | NX_LEARN_DST_MATCH: {
        const dst = spec.dst as NonNullable<typeof spec.dst>;
        const f = fieldOf(dst.field);
        if (dst.ofs === 0 && dst.nBits === f.nBits) {
          const value = Buffer.alloc(f.nBytes);
          imm.copy(value, f.nBytes - imm.length);
          s += `${f.name}=${mfFormatValue(f, value)}`;
        } else {
          s += `${formatSubfield(dst)}=${putHex(imm)}`;
        }
        break;
      }
      case NX_LEARN_SRC_FIELD | NX_LEARN_DST_MATCH: {
        const src = spec.src as NonNullable<typeof spec.src>;
        const dst = spec.dst as NonNullable<typeof spec.dst>;
        s += formatSubfield(dst);
        if (src.field !== dst.field || src.ofs !== dst.ofs) s += `=${formatSubfield(src)}`;
        break;
      }
      case NX_LEARN_SRC_IMMEDIATE | NX_LEARN_DST_LOAD:
        s += `load:${putHex(imm)}->${formatSubfield(spec.dst as NonNullable<typeof spec.dst>)}`;
        break;
      case NX_LEARN_SRC_FIELD | NX_LEARN_DST_LOAD:
        s += `load:${formatSubfield(spec.src as NonNullable<typeof spec.src>)}->`
          + formatSubfield(spec.dst as NonNullable<typeof spec.dst>);
        break;
      case NX_LEARN_SRC_FIELD | NX_LEARN_DST_OUTPUT:
        s += `output:${formatSubfield(spec.src as NonNullable<typeof spec.src>)}`;
        break;
      default:
        break;
    }
  }
  return `${s})`;
}

/** OVS `format_NAT`. */
function formatNat(a: OfpactOf<'nat'>): string {
  if (!(a.flags & (NX_NAT_F_SRC | NX_NAT_F_DST))) return 'nat';
  let s = `nat(${a.flags & NX_NAT_F_SRC ? 'src' : 'dst'}`;
  if (a.rangeAf !== 'unspec') {
    s += '=';
    const maxSet = a.addrMax.some((x) => x !== 0) && !a.addrMax.equals(a.addrMin);
    if (a.rangeAf === 'inet') {
      s += ipv4(a.addrMin.readUInt32BE(0));
      if (maxSet) s += `-${ipv4(a.addrMax.readUInt32BE(0))}`;
    } else {
      const v6 = (b: Buffer): string => (a.protoMin ? `[${formatIpv6(b)}]` : formatIpv6(b));
      s += v6(a.addrMin);
      if (maxSet) s += `-${v6(a.addrMax)}`;
    }
    if (a.protoMin) {
      s += `:${a.protoMin}`;
      if (a.protoMax && a.protoMax !== a.protoMin) s += `-${a.protoMax}`;
    }
    s += ',';
    if (a.flags & NX_NAT_F_PERSISTENT) s += 'persistent,';
    if (a.flags & NX_NAT_F_PROTO_HASH) s += 'hash,';
    if (a.flags & NX_NAT_F_PROTO_RANDOM) s += 'random,';
  }
  return `${chomp(s)})`;
}

function formatCt(a: OfpactOf<'ct'>): string {
  let s = 'ct(';
  if (a.flags & NX_CT_F_COMMIT) s += 'commit,';
  if (a.flags & NX_CT_F_FORCE) s += 'force,';
  if (a.recircTable !== NX_CT_RECIRC_NONE) s += `table=${a.recircTable},`;
  if (a.zoneSrc) s += `zone=${formatSubfield(a.zoneSrc)},`;
  else if (a.zoneImm) s += `zone=${a.zoneImm},`;
  let rest = a.actions;
  if (rest.length && rest[0].type === 'nat') {
    s += `${formatNat(rest[0])},`;
    rest = rest.slice(1);
  }
  if (rest.length) s += `exec(${formatOfpacts(rest)}),`;
  if (a.alg === IPPORT_FTP) s += 'alg=ftp,';
  else if (a.alg === IPPORT_TFTP) s += 'alg=tftp,';
  else if (a.alg) s += `alg=${a.alg},`;
  return `${chomp(s)})`;
}

const ENCAP_HEADERS: Record<number, string> = {
  [PT_ETH]: 'ethernet', [PT_NSH]: 'nsh', [PT_MPLS]: 'mpls', [PT_MPLS_MC]: 'mpls_mc',
};

function formatEncapProp(p: EncapProp): string {
  if (p.type === OFPPPT_PROP_NSH_MDTYPE) return `md_type=${p.mdType}`;
  return `tlv(0x${p.tlvClass.toString(16).padStart(4, '0')},${p.tlvType},${putHex(p.data.subarray(0, p.tlvLen))})`;
}

function formatSample(a: OfpactOf<'sample'>): string {
  let s = `sample(probability=${a.probability},collector_set_id=${a.collectorSetId}`
    + `,obs_domain_id=${a.obsDomainId},obs_point_id=${a.obsPointId}`;
  if (a.samplingPort !== OFPP_NONE) s += `,sampling_port=${formatOfpPort(a.samplingPort)}`;
  if (a.direction === NX_ACTION_SAMPLE_INGRESS) s += ',ingress';
  else if (a.direction === NX_ACTION_SAMPLE_EGRESS) s += ',egress';
  return `${s})`;
}

type Formatter = { [T in Ofpact['type']]: (a: OfpactOf<T>) => string };

const FORMATS: Formatter = {
  output: (a) => (a.port < OFPP_MAX ? 'output:' : '') + formatOfpPort(a.port)
    + (a.port === OFPP_CONTROLLER ? `:${a.maxLen}` : ''),
  group: (a) => `group:${a.groupId}`,
  controller: formatController,
  enqueue: (a) => `enqueue:${formatOfpPort(a.port)}:${a.queue}`,
  output_reg: (a) => `output:${formatSubfield(a.src)}`,
  output_trunc: (a) => `output(port=${formatOfpPort(a.port)},max_len=${a.maxLen})`,
  bundle: (a) => `${a.dst ? 'bundle_load' : 'bundle'}(${HASH_FIELDS[a.fields] ?? '<unknown>'},${a.basis},`
    + `${BUNDLE_ALGORITHMS[a.algorithm] ?? '<unknown>'},ofport,${a.dst ? `${formatSubfield(a.dst)},` : ''}`
    + `members:${a.members.map(formatOfpPort).join(',')})`,
  set_field: formatSetField,
  set_vlan_vid: (a) => `${a.pushVlanIfNeeded ? 'mod_vlan_vid' : 'set_vlan_vid'}:${a.vlanVid}`,
  set_vlan_pcp: (a) => `${a.pushVlanIfNeeded ? 'mod_vlan_pcp' : 'set_vlan_pcp'}:${a.vlanPcp}`,
  strip_vlan: (a) => (a.raw === 'OFPAT_RAW11_POP_VLAN' ? 'pop_vlan' : 'strip_vlan'),
  push_vlan: (a) => `push_vlan:${hexAlt(a.ethertype)}`,
  set_eth_src: (a) => `mod_dl_src:${mac(a.mac)}`,
  set_eth_dst: (a) => `mod_dl_dst:${mac(a.mac)}`,
  set_ipv4_src: (a) => `mod_nw_src:${ipv4(a.ipv4)}`,
  set_ipv4_dst: (a) => `mod_nw_dst:${ipv4(a.ipv4)}`,
  set_ip_dscp: (a) => `mod_nw_tos:${a.dscp}`,
  set_ip_ecn: (a) => `mod_nw_ecn:${a.ecn}`,
  set_ip_ttl: (a) => `mod_nw_ttl:${a.ttl}`,
  set_l4_src_port: (a) => `mod_tp_src:${a.port}`,
  set_l4_dst_port: (a) => `mod_tp_dst:${a.port}`,
  reg_move: (a) => `move:${formatSubfield(a.src)}->${formatSubfield(a.dst)}`,
  stack_push: (a) => `push:${formatSubfield(a.subfield)}`,
  stack_pop: (a) => `pop:${formatSubfield(a.subfield)}`,
  dec_ttl: (a) => (a.raw === 'NXAST_RAW_DEC_TTL_CNT_IDS' ? `dec_ttl(${a.cntIds.join(',')})` : 'dec_ttl'),
  set_mpls_label: (a) => `set_mpls_label(${a.label})`,
  set_mpls_tc: (a) => `set_mpls_tc(${a.tc})`,
  set_mpls_ttl: (a) => `set_mpls_ttl(${a.ttl})`,
  dec_mpls_ttl: () => 'dec_mpls_ttl',
  push_mpls: (a) => `push_mpls:0x${a.ethertype.toString(16).padStart(4, '0')}`,
  pop_mpls: (a) => `pop_mpls:0x${a.ethertype.toString(16).padStart(4, '0')}`,
  dec_nsh_ttl: () => 'dec_nsh_ttl',
  delete_field: (a) => `delete_field:${a.field}`,
  encap: (a) => `encap(${ENCAP_HEADERS[a.newPktType] ?? 'UNKNOWN'}`
    + `${a.props.length ? `(${a.props.map(formatEncapProp).join(',')})` : ''})`,
  decap: (a) => `decap(${a.newPktType !== PT_USE_NEXT_PROTO
    ? `packet_type(ns=${a.newPktType >>> 16},type=${hexAlt(a.newPktType & 0xffff)})` : ''})`,
  set_tunnel: (a) => `set_tunnel${a.tunId > 0xffffffffn || a.raw === 'NXAST_RAW_SET_TUNNEL64' ? '64' : ''}:${hexAlt(a.tunId)}`,
  set_queue: (a) => `set_queue:${a.queueId}`,
  pop_queue: () => 'pop_queue',
  fin_timeout: (a) => `fin_timeout(${chomp((a.finIdleTimeout ? `idle_timeout=${a.finIdleTimeout},` : '')
    + (a.finHardTimeout ? `hard_timeout=${a.finHardTimeout},` : ''))})`,
  resubmit: formatResubmit,
  learn: formatLearn,
  conjunction: (a) => `conjunction(${a.id},${a.clause + 1}/${a.nClauses})`,
  multipath: (a) => `multipath(${HASH_FIELDS[a.fields] ?? '<unknown>'},${a.basis},`
    + `${MULTIPATH_ALGORITHMS[a.algorithm] ?? '<unknown>'},${a.maxLink + 1},${a.arg},${formatSubfield(a.dst)})`,
  note: (a) => `note:${hexArg(a.data)}`,
  exit: () => 'exit',
  unroll_xlate: (a) => `unroll_xlate(table=${a.tableId}, cookie=${a.cookie})`,
  sample: formatSample,
  ct: formatCt,
  ct_clear: () => 'ct_clear',
  nat: formatNat,
  clone: (a) => `clone(${formatOfpacts(a.actions)})`,
  check_pkt_larger: (a) => `check_pkt_larger(${a.pktLen})->${formatSubfield(a.dst)}`,
  debug_recirc: () => 'debug_recirc',
  debug_slow: () => 'debug_slow',
  meter: (a) => `meter:${a.meterId}`,
  clear_actions: () => 'clear_actions',
  write_actions: (a) => `write_actions(${formatOfpacts(a.actions)})`,
  write_metadata: (a) => `write_metadata:${hexAlt(a.metadata)}${a.mask !== 0xffffffffffffffffn ? `/${hexAlt(a.mask)}` : ''}`,
  goto_table: (a) => `goto_table:${a.tableId}`,
};

/** One ofpact as ovs-ofctl prints it. */
export function formatOfpact(a: Ofpact): string {
  return (FORMATS[a.type] as (a: Ofpact) => string)(a);
}

/**
 * Ofpacts as ovs-ofctl prints them after "actions=" (OVS `ofpacts_format`): comma-separated,
 * "drop" when there are none.
 */
export function formatOfpacts(ofpacts: readonly Ofpact[]): string {
  return ofpacts.length ? ofpacts.map(formatOfpact).join(',') : 'drop';
}
