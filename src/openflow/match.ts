/**
 * `Match`: a flow plus wildcards (OVS `struct match`), over the layout of ./meta-flow. Setting a
 * field follows OVS's `mf_set`/`mf_set_value`/`mf_set_wild` (lib/meta-flow.c, lib/match.c),
 * including the VLAN quirks: setting a PCP or a `dl_vlan` also matches the CFI ("tag present")
 * bit, `dl_vlan=0xffff` matches untagged frames only, and wildcarding the VID or the PCP drops
 * the whole TCI match when the other part is already wildcarded.
 *
 * Prerequisites follow `mf_are_prereqs_ok` (lib/meta-flow.c, lib/flow.h).
 */
import { ofp11PortToOfp10 } from './common';
import { OfpError } from './ofp-errors';
import {
  FLOW_LAYOUT, FLOW_LEN, MF_FIELDS, MfField, OFPHTN_ETHERTYPE, OFP10_VLAN_NONE, PT_ETH,
  VLAN_CFI, VLAN_PCP_MASK, VLAN_VID_MASK, mfGetValue, readSlot, writeSlot,
} from './meta-flow';

/** Ethertypes the prerequisites refer to. */
export const ETH_TYPE_IP = 0x0800;
export const ETH_TYPE_ARP = 0x0806;
export const ETH_TYPE_RARP = 0x8035;
export const ETH_TYPE_IPV6 = 0x86dd;
export const ETH_TYPE_MPLS = 0x8847;
export const ETH_TYPE_MPLS_MCAST = 0x8848;
export const ETH_TYPE_NSH = 0x894f;
/** `FLOW_DL_TYPE_NONE`: the dl_type OVS gives a frame without an Ethertype (802.2). */
export const FLOW_DL_TYPE_NONE = 0x05ff;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;
export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;

/** `nw_frag` bits. */
export const FLOW_NW_FRAG_ANY = 1;
export const FLOW_NW_FRAG_LATER = 2;
export const FLOW_NW_FRAG_MASK = 3;

/** `ct_state` bits (lib/packets.h CS_STATES). */
export const CS_NEW = 0x01;
export const CS_ESTABLISHED = 0x02;
export const CS_RELATED = 0x04;
export const CS_REPLY_DIR = 0x08;
export const CS_INVALID = 0x10;
export const CS_TRACKED = 0x20;
export const CS_SRC_NAT = 0x40;
export const CS_DST_NAT = 0x80;

const S = FLOW_LAYOUT;

/** Reads the `packet_type` of a flow. */
function packetType(flow: Buffer): number {
  return readSlot(flow, S.packet_type);
}

/**
 * The Ethertype of a flow (OVS `get_dl_type`): `dl_type` for an Ethernet packet, the ns_type of
 * an Ethertype-namespace `packet_type`, else FLOW_DL_TYPE_NONE.
 */
export function flowDlType(flow: Buffer): number {
  const pt = packetType(flow);
  if (pt === PT_ETH) return readSlot(flow, S.dl_type);
  if (pt >>> 16 === OFPHTN_ETHERTYPE) return pt & 0xffff;
  return FLOW_DL_TYPE_NONE;
}

function isIpAny(dlType: number): boolean {
  return dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6;
}

/**
 * Whether `flow` meets field `f`'s prerequisites (OVS `mf_are_prereqs_ok`). With `wc` (a match's
 * wildcards), conntrack validity is judged as for a match: some "valid" ct_state bit is set, or
 * the match requires +trk-inv; without it, as for a packet: +new, +est or +rpl.
 */
export function mfArePrereqsOk(f: MfField, flow: Buffer, wc?: Buffer): boolean {
  const dlType = flowDlType(flow);
  const proto = readSlot(flow, S.nw_proto);
  const notLater = (readSlot(flow, S.nw_frag) & FLOW_NW_FRAG_LATER) === 0;
  const isNd = (): boolean => dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6
    && readSlot(flow, S.tp_dst) === 0
    && [ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT].includes(readSlot(flow, S.tp_src));
  switch (f.prereq) {
    case 'NONE': return true;
    case 'ETHERNET': return packetType(flow) === PT_ETH;
    case 'ARP': return dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
    case 'IPV4': return dlType === ETH_TYPE_IP;
    case 'IPV6': return dlType === ETH_TYPE_IPV6;
    case 'IP_ANY': return isIpAny(dlType);
    case 'VLAN_VID': return packetType(flow) === PT_ETH && (readSlot(flow, S.vlan_tci) & VLAN_CFI) !== 0;
    case 'MPLS': return dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST;
    case 'NSH': return dlType === ETH_TYPE_NSH;
    case 'CT_VALID': {
      const state = readSlot(flow, S.ct_state);
      if (!wc) return (state & (CS_NEW | CS_ESTABLISHED | CS_REPLY_DIR)) !== 0;
      return (state & (CS_NEW | CS_ESTABLISHED | CS_RELATED | CS_REPLY_DIR | CS_SRC_NAT | CS_DST_NAT)) !== 0
        || ((state & CS_TRACKED) !== 0 && (readSlot(wc, S.ct_state) & CS_INVALID) !== 0
          && (state & CS_INVALID) === 0);
    }
    case 'TCP': return isIpAny(dlType) && proto === IPPROTO_TCP && notLater;
    case 'UDP': return isIpAny(dlType) && proto === IPPROTO_UDP && notLater;
    case 'SCTP': return isIpAny(dlType) && proto === IPPROTO_SCTP && notLater;
    case 'ICMPV4': return dlType === ETH_TYPE_IP && proto === IPPROTO_ICMP;
    case 'ICMPV6': return dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6;
    case 'ND': return isNd();
    case 'ND_SOLICIT': return isNd() && readSlot(flow, S.tp_src) === ND_NEIGHBOR_SOLICIT;
    case 'ND_ADVERT': return isNd() && readSlot(flow, S.tp_src) === ND_NEIGHBOR_ADVERT;
  }
}

function isAllOnes(b: Buffer): boolean {
  return b.every((x) => x === 0xff);
}

function isAllZeros(b: Buffer): boolean {
  return b.every((x) => x === 0);
}

/** OVS `struct match`: the flow values plus which bits of them matter. */
export class Match {
  /** Field values, FLOW_LEN bytes; bits whose `wc` bit is 0 are always 0. */
  readonly flow: Buffer;
  /** Wildcard mask, FLOW_LEN bytes: 1 = the bit must match, 0 = don't care. */
  readonly wc: Buffer;

  /** Wraps existing buffers (both FLOW_LEN bytes) or creates a catch-all match. */
  constructor(flow?: Buffer, wc?: Buffer) {
    this.flow = flow ?? Buffer.alloc(FLOW_LEN);
    this.wc = wc ?? Buffer.alloc(FLOW_LEN);
    if (this.flow.length !== FLOW_LEN || this.wc.length !== FLOW_LEN) {
      throw new Error(`Match buffers must be ${FLOW_LEN} bytes`);
    }
  }

  /** A match that matches every packet. */
  static catchall(): Match {
    return new Match();
  }

  /** A deep copy. */
  clone(): Match {
    return new Match(Buffer.from(this.flow), Buffer.from(this.wc));
  }

  /** Same values and same wildcards (OVS `match_equal`). */
  equals(o: Match): boolean {
    return this.flow.equals(o.flow) && this.wc.equals(o.wc);
  }

  /** True when nothing is matched (every wildcard bit 0). */
  isCatchall(): boolean {
    return isAllZeros(this.wc);
  }

  /** The value and mask of field `f` (OVS `mf_get_value` + `mf_get_mask`), `f.nBytes` each. */
  getField(f: MfField): { value: Buffer; mask: Buffer } {
    return { value: mfGetValue(f, this.flow), mask: mfGetValue(f, this.wc) };
  }

  /** True when no bit of field `f` is matched (OVS `mf_is_all_wild`). */
  isAllWild(f: MfField): boolean {
    if (f.view) return (readSlot(this.wc, f.storage) & f.view.mask) === 0;
    // A plain loop: this runs for every field of every rule a flow dump encodes.
    const { offset, len } = f.storage;
    for (let i = offset; i < offset + len; i++) if (this.wc[i] !== 0) return false;
    return true;
  }

  /** Whether this match meets `f`'s prerequisites (OVS `mf_are_match_prereqs_ok`). */
  prereqsOk(f: MfField): boolean {
    return mfArePrereqsOk(f, this.flow, this.wc);
  }

  /**
   * The fields this match constrains whose prerequisites it meets, in MF_FIELDS order. Fields
   * that are views of one slot all appear (e.g. `vlan_tci`, `vlan_vid` and `dl_vlan`).
   */
  fields(): MfField[] {
    return MF_FIELDS.filter((f) => !this.isAllWild(f) && this.prereqsOk(f));
  }

  /**
   * Matches field `f` against `value` under `mask` (OVS `mf_set`): no mask or an all-ones mask
   * matches exactly, an all-zeros mask wildcards the field, anything else is a bitwise match.
   * Bits of `value` outside `mask` are ignored. For the `mask_is_value` fields (ERSPAN, GTP-U)
   * the stored mask is the value itself, as OVS 3.1 stores it.
   * @param value, mask `f.nBytes` bytes each, network byte order
   * @throws OfpError OFPBMC_BAD_MASK for a partial mask on a field that is not maskable,
   *         OFPBMC_BAD_VALUE for an `in_port_oxm` that has no 16-bit counterpart
   */
  setField(f: MfField, value: Buffer, mask?: Buffer): void {
    if (value.length !== f.nBytes || (mask && mask.length !== f.nBytes)) {
      throw new Error(`${f.name}: value and mask must be ${f.nBytes} bytes`);
    }
    if (f.special === 'mask_is_value' && !(mask && isAllZeros(mask))) {
      // Reproduces match_set_tun_erspan_*_masked()/gtpu: what the reference stores and dumps.
      this.flow[f.storage.offset] = value[0] & (mask ? mask[0] : 0xff);
      this.wc[f.storage.offset] = value[0];
    } else if (!mask || isAllOnes(mask)) {
      this.setExact(f, value);
    } else if (isAllZeros(mask)) {
      this.setWild(f);
    } else if (!f.maskable) {
      throw new OfpError('OFPBMC_BAD_MASK', `${f.name} is not maskable`);
    } else if (f.name === 'ipv6_label' && (mask.readUInt32BE(0) & 0xfffff) === 0xfffff) {
      this.setExact(f, value);
    } else if (f.view) {
      const { mask: vm, shift } = f.view;
      const v = (value.readUIntBE(0, f.nBytes) << shift) & vm;
      const m = (mask.readUIntBE(0, f.nBytes) << shift) & vm;
      writeSlot(this.flow, f.storage, (readSlot(this.flow, f.storage) & ~vm) | (v & m));
      writeSlot(this.wc, f.storage, (readSlot(this.wc, f.storage) & ~vm) | m);
    } else {
      const { offset } = f.storage;
      for (let i = 0; i < f.nBytes; i++) {
        this.flow[offset + i] = value[i] & mask[i];
        this.wc[offset + i] = mask[i];
      }
    }
  }

  /** OVS `mf_set_value`. */
  private setExact(f: MfField, value: Buffer): void {
    const s = f.storage;
    if (f.special === 'ofp11_port') {
      const port = ofp11PortToOfp10(value.readUInt32BE(0));
      if (port === undefined) throw new OfpError('OFPBMC_BAD_VALUE', `${f.name} ${value.readUInt32BE(0)}`);
      writeSlot(this.flow, s, port);
      writeSlot(this.wc, s, 0xffff);
      return;
    }
    if (!f.view) {
      value.copy(this.flow, s.offset);
      this.wc.fill(0xff, s.offset, s.offset + s.len);
      return;
    }
    const { mask: vm, shift } = f.view;
    const v = value.readUIntBE(0, f.nBytes);
    if (f.special === 'dl_vlan' && v === OFP10_VLAN_NONE) {
      writeSlot(this.flow, s, 0);
      writeSlot(this.wc, s, 0xffff);
      return;
    }
    const extra = f.special === 'dl_vlan' || f.special === 'vlan_pcp' ? VLAN_CFI : 0;
    writeSlot(this.flow, s, (readSlot(this.flow, s) & ~vm) | ((v << shift) & vm) | extra);
    writeSlot(this.wc, s, readSlot(this.wc, s) | vm | extra);
  }

  /** OVS `mf_set_wild`. */
  private setWild(f: MfField): void {
    const s = f.storage;
    if (f.special === 'dl_vlan' || f.special === 'vlan_vid' || f.special === 'vlan_pcp') {
      // Keeping only the other half's bits: if that half is wildcarded too, the CFI bit goes
      // with it, so the match no longer cares whether there is a tag at all.
      const [clear, other] = f.special === 'vlan_pcp'
        ? [VLAN_PCP_MASK, VLAN_VID_MASK] : [VLAN_VID_MASK, VLAN_PCP_MASK];
      if (readSlot(this.wc, s) & other) {
        writeSlot(this.wc, s, readSlot(this.wc, s) & ~clear);
        writeSlot(this.flow, s, readSlot(this.flow, s) & ~clear);
      } else {
        writeSlot(this.wc, s, 0);
        writeSlot(this.flow, s, 0);
      }
      return;
    }
    if (f.view && f.special !== 'ofp11_port') {
      writeSlot(this.wc, s, readSlot(this.wc, s) & ~f.view.mask);
      writeSlot(this.flow, s, readSlot(this.flow, s) & ~f.view.mask);
      return;
    }
    this.wc.fill(0, s.offset, s.offset + s.len);
    this.flow.fill(0, s.offset, s.offset + s.len);
  }
}

/**
 * Checks that every field the match constrains has its prerequisites met. A slot shared by
 * several fields (`nw_src` for `ip_src` and `arp_spa`, `tp_src` for the L4 ports and ICMP type)
 * passes when any of them is satisfied.
 * @throws OfpError OFPBMC_BAD_PREREQ naming the first field whose prerequisites fail
 */
export function checkPrereqs(m: Match): void {
  for (const f of MF_FIELDS) {
    if (m.isAllWild(f) || m.prereqsOk(f)) continue;
    const ok = MF_FIELDS.some((g) => g.storage.offset === f.storage.offset
      && !m.isAllWild(g) && m.prereqsOk(g));
    if (!ok) throw new OfpError('OFPBMC_BAD_PREREQ', `${f.name} needs prerequisite ${f.prereq}`);
  }
}
