/**
 * OVS's flow hashes for multipath and bundle (lib/flow.c `flow_hash_fields()` /
 * `flow_mask_hash_fields()`), over OVS's hash primitives (src/util/ovs-hash.ts). The values
 * must equal OVS's bit for bit, so that a multipath or bundle picks the same link: the byte
 * layouts below are those of the C structs OVS hashes, read as little-endian words as an x86-64
 * host reads them.
 */
import {
  NX_HASH_FIELDS_ETH_SRC, NX_HASH_FIELDS_NW_DST, NX_HASH_FIELDS_NW_SRC, NX_HASH_FIELDS_SYMMETRIC_L3, NX_HASH_FIELDS_SYMMETRIC_L3L4,
  NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP, NX_HASH_FIELDS_SYMMETRIC_L4,
} from '../openflow/ofpacts';
import {
  bytes, ETH_TYPE_IP, ETH_TYPE_IPV6, FLOW_NW_FRAG_MASK, get, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, isIpAny, PT_ETH, S,
  VLAN_CFI, VLAN_VID_MASK, wcExact, wcOr,
} from './flow';
import { hashAdd, hashFinish, hashInt, jhashBytes } from '../util/ovs-hash';

/** OVS `hash_add64()` of the 8 bytes at `b[o]`, read as a little-endian 64-bit word. */
function hashAdd64(hash: number, b: Uint8Array, o: number): number {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return hashAdd(hashAdd(hash, buf.readUInt32LE(o)), buf.readUInt32LE(o + 4));
}

/** The TCIs of the flow's VLAN headers (OVS `flow->vlans[0..1].tci`): outer, then inner (0 if none). */
export type VlanTcis = readonly [number, number];

function xorBytes(flow: Uint8Array, a: typeof S.nw_src, b: typeof S.nw_src, out: Buffer, at: number): void {
  for (let i = 0; i < a.len; i++) out[at + i] = flow[a.offset + i] ^ flow[b.offset + i];
}

/** OVS `flow_hash_symmetric_l4()`: jhash of a 32-byte struct (addresses, type, VID, ports, MACs, proto). */
function hashSymmetricL4(flow: Uint8Array, tcis: VlanTcis, basis: number): number {
  const f = Buffer.alloc(32);
  const type = get(flow, S.dl_type);
  xorBytes(flow, S.dl_src, S.dl_dst, f, 22);
  f.writeUInt16BE(((tcis[0] ^ tcis[1]) & VLAN_VID_MASK) >>> 0, 18);
  f.writeUInt16BE(type, 16);
  if (type === ETH_TYPE_IP || type === ETH_TYPE_IPV6) {
    if (type === ETH_TYPE_IP) xorBytes(flow, S.nw_src, S.nw_dst, f, 0);
    else xorBytes(flow, S.ipv6_src, S.ipv6_dst, f, 0);
    const proto = get(flow, S.nw_proto);
    f[28] = proto;
    if (proto === IPPROTO_TCP || proto === IPPROTO_SCTP) xorBytes(flow, S.tp_src, S.tp_dst, f, 20);
  }
  return jhashBytes(f, basis);
}

/** OVS `flow_hash_symmetric_l2()`. */
function hashSymmetricL2(flow: Uint8Array, tcis: VlanTcis, basis: number): number {
  if (get(flow, S.packet_type) !== PT_ETH) return 0;
  const f = Buffer.alloc(12);
  f.writeUInt16BE(get(flow, S.dl_type), 0);
  f.writeUInt16BE(((tcis[0] ^ tcis[1]) & VLAN_VID_MASK) >>> 0, 2);
  xorBytes(flow, S.dl_src, S.dl_dst, f, 4);
  let h = basis;
  for (let i = 0; i < 12; i += 4) h = hashAdd(h, f.readUInt32LE(i));
  return hashFinish(h, basis);
}

/** OVS `flow_hash_symmetric_l3l4()`. */
function hashSymmetricL3L4(flow: Uint8Array, tcis: VlanTcis, basis: number, incUdp: boolean): number {
  let h = basis;
  const type = get(flow, S.dl_type);
  if (type === ETH_TYPE_IP) {
    const x = Buffer.alloc(4);
    xorBytes(flow, S.nw_src, S.nw_dst, x, 0);
    h = hashAdd(h, x.readUInt32LE(0));
  } else if (type === ETH_TYPE_IPV6) {
    const x = Buffer.alloc(16);
    xorBytes(flow, S.ipv6_src, S.ipv6_dst, x, 0);
    h = hashAdd64(h, x, 0);
    h = hashAdd64(h, x, 8);
  } else {
    return hashSymmetricL2(flow, tcis, basis);
  }
  const proto = get(flow, S.nw_proto);
  h = hashAdd(h, proto);
  if (!(get(flow, S.nw_frag) & FLOW_NW_FRAG_MASK)
    && (proto === IPPROTO_TCP || proto === IPPROTO_SCTP || (incUdp && proto === IPPROTO_UDP))) {
    const x = Buffer.alloc(2);
    xorBytes(flow, S.tp_src, S.tp_dst, x, 0);
    h = hashAdd(h, x.readUInt16LE(0));
  }
  return hashFinish(h, basis);
}

/** OVS `flow_hash_symmetric_l3()`: jhash of a 20-byte struct (address XOR, Ethertype). */
function hashSymmetricL3(flow: Uint8Array, basis: number): number {
  const f = Buffer.alloc(20);
  const type = get(flow, S.dl_type);
  f.writeUInt16BE(type, 16);
  if (type === ETH_TYPE_IP) xorBytes(flow, S.nw_src, S.nw_dst, f, 0);
  else if (type === ETH_TYPE_IPV6) xorBytes(flow, S.ipv6_src, S.ipv6_dst, f, 0);
  return jhashBytes(f, basis);
}

/**
 * OVS `flow_hash_fields()`: the hash multipath and bundle select with.
 * @param flow FLOW_LEN bytes
 * @param tcis the outer and inner VLAN TCIs (0 when absent)
 * @param fields NX_HASH_FIELDS_*
 * @param basis 16-bit basis
 * @returns an unsigned 32-bit hash
 */
export function flowHashFields(flow: Uint8Array, tcis: VlanTcis, fields: number, basis: number): number {
  const type = get(flow, S.dl_type);
  switch (fields) {
    case NX_HASH_FIELDS_ETH_SRC: return jhashBytes(bytes(flow, S.dl_src), basis);
    case NX_HASH_FIELDS_SYMMETRIC_L4: return hashSymmetricL4(flow, tcis, basis);
    case NX_HASH_FIELDS_SYMMETRIC_L3L4: return hashSymmetricL3L4(flow, tcis, basis, false);
    case NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP: return hashSymmetricL3L4(flow, tcis, basis, true);
    case NX_HASH_FIELDS_NW_SRC:
      if (type === ETH_TYPE_IP) return jhashBytes(bytes(flow, S.nw_src), basis);
      return type === ETH_TYPE_IPV6 ? jhashBytes(bytes(flow, S.ipv6_src), basis) : basis;
    case NX_HASH_FIELDS_NW_DST:
      if (type === ETH_TYPE_IP) return jhashBytes(bytes(flow, S.nw_dst), basis);
      return type === ETH_TYPE_IPV6 ? jhashBytes(bytes(flow, S.ipv6_dst), basis) : basis;
    case NX_HASH_FIELDS_SYMMETRIC_L3: return hashSymmetricL3(flow, basis);
    default: throw new RangeError(`unknown nx_hash_fields ${fields}`);
  }
}

/**
 * OVS `flow_mask_hash_fields()`: un-wildcards in `wc` what {@link flowHashFields} reads for
 * `fields` (the VLAN bits of the one TCI the flow holds; OVS masks both of its VLAN headers).
 */
export function flowMaskHashFields(flow: Uint8Array, wc: Uint8Array, fields: number): void {
  const type = get(flow, S.dl_type);
  const proto = get(flow, S.nw_proto);
  const l3 = (src: boolean, dst: boolean): boolean => {
    if (type === ETH_TYPE_IP) {
      if (src) wcExact(wc, S.nw_src);
      if (dst) wcExact(wc, S.nw_dst);
    } else if (type === ETH_TYPE_IPV6) {
      if (src) wcExact(wc, S.ipv6_src);
      if (dst) wcExact(wc, S.ipv6_dst);
    } else {
      return false;
    }
    return true;
  };
  switch (fields) {
    case NX_HASH_FIELDS_ETH_SRC:
      wcExact(wc, S.dl_src);
      break;
    case NX_HASH_FIELDS_SYMMETRIC_L4:
      wcExact(wc, S.dl_src);
      wcExact(wc, S.dl_dst);
      l3(true, true);
      if (isIpAny(flow)) {
        wcExact(wc, S.nw_proto);
        // flow_unwildcard_tp_ports(): the ports, except for UDP (not hashed).
        if (proto !== IPPROTO_UDP) {
          const m = proto === IPPROTO_ICMP ? 0xff : 0xffff;
          wcOr(wc, S.tp_src, m);
          wcOr(wc, S.tp_dst, m);
        }
      }
      wcOr(wc, S.vlan_tci, VLAN_VID_MASK | VLAN_CFI);
      break;
    case NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP:
    case NX_HASH_FIELDS_SYMMETRIC_L3L4:
      if (fields === NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP && isIpAny(flow) && proto === IPPROTO_UDP
        && !(get(flow, S.nw_frag) & FLOW_NW_FRAG_MASK)) {
        wcExact(wc, S.tp_src);
        wcExact(wc, S.tp_dst);
      }
      if (!l3(true, true)) break;
      wcExact(wc, S.nw_proto);
      if ((proto === IPPROTO_TCP || proto === IPPROTO_SCTP) && !(get(flow, S.nw_frag) & FLOW_NW_FRAG_MASK)) {
        wcExact(wc, S.tp_src);
        wcExact(wc, S.tp_dst);
      }
      break;
    case NX_HASH_FIELDS_NW_SRC:
      l3(true, false);
      break;
    case NX_HASH_FIELDS_NW_DST:
      l3(false, true);
      break;
    case NX_HASH_FIELDS_SYMMETRIC_L3:
      l3(true, true);
      break;
    default:
      throw new RangeError(`unknown nx_hash_fields ${fields}`);
  }
}

/** OVS `hash_2words()`, which is `hash_int()`. */
export const hash2Words = hashInt;
