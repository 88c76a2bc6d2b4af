/**
 * The `group` action in translation, as OVS 3.1's ofproto-dpif-xlate.c does it
 * (`xlate_group_action()`, ovs-actions(7) "The group action", OpenFlow 1.3 §5.6):
 *
 * - all: every bucket; indirect: its one bucket; each bucket's actions run as an action set
 *   (`ofpacts_execute_action_set()`: one final action) on a copy of the flow, so header changes
 *   in one bucket do not leak into the next bucket nor into the actions after the group.
 * - fast_failover: the first live bucket. select: one live bucket by the group's selection
 *   method (below). A bucket is live (OVS `bucket_is_alive()`) when it watches nothing, or its
 *   watch_port exists and is up (no OFPPS_LINK_DOWN, no OFPPC_PORT_DOWN), or its watch_group has
 *   a live bucket (recursively, at most 128 links). In a select group a bucket of weight 0 is
 *   never live. Liveness consults no packet field: nothing is un-wildcarded for it (a port or
 *   group change moves the configuration version, which revalidates every megaflow).
 * - Selection methods (OVS `group_set_selection_method()`, `pick_select_group()`):
 *   `hash` with fields: `hash_bytes()` of each field's masked value in field-id order, basis
 *   `hash_uint64(selection_method_param)`, un-wildcarding exactly those masked bits;
 *   the default (no method, or `dp_hash` without a usable hash table, or `hash` without
 *   fields): `flow_hash_symmetric_l4()` with the fields `flow_mask_hash_fields()` un-wildcards
 *   for NX_HASH_FIELDS_SYMMETRIC_L4. Both pick the live bucket of highest score
 *   `(hash_int(bucket_id, hash) & 0xffff) * weight` (the last one on a tie).
 *   `dp_hash`: OVS 3.1 uses it for the default method too whenever the weights fit a table of
 *   at most 256 hash values (Webster's method); a packet whose `dp_hash` is set (after
 *   recirculation) picks the first live bucket from its masked hash on, un-wildcarding the mask
 *   bits of `dp_hash`. A packet without one freezes translation (xlate-freeze.ts): the datapath
 *   actions end in `hash(alg, basis),recirc(id)` (sym_l4 for the default method when the
 *   datapath has it, else l4), and the recirculated packet resumes at the group action.
 *
 * A group that does not exist ends the current action list, not the pipeline, as in OVS 3.1.
 * Group and bucket statistics are not kept.
 */
import { OFPG_ANY, OFPP_ANY, OFPP_CONTROLLER } from '../openflow/common';
import { MfField, mfFieldByName, mfGetValue } from '../openflow/meta-flow';
import type { Bucket, GroupDesc } from '../openflow/ofp-group';
import { OFPUTIL_PC_PORT_DOWN, OFPUTIL_PS_LINK_DOWN } from '../openflow/ofp-port';
import { ofpactsExecuteActionSet } from '../openflow/ofpacts';
import { hashBytes, hashInt, hashUint64, jhashBytes } from '../util/ovs-hash';
import {
  ETH_TYPE_IP, ETH_TYPE_IPV6, get, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, isIpAny, S, VLAN_CFI,
  VLAN_VID_MASK, wcExact, wcOr,
} from './flow';
import { type Ctx, doXlateActions, maskFieldMasked, prereqsOk, resourceCheck } from './xlate';
import { finishFreezing, triggerRecirculateWithHash } from './xlate-freeze';

/** OVS's limit on watch_group chains (ofproto-dpif-xlate.c MAX_LIVENESS_RECURSION). */
export const MAX_LIVENESS_RECURSION = 128;
/** OVS's largest dp_hash table (ofproto-dpif.c MAX_SELECT_GROUP_HASH_VALUES). */
export const MAX_SELECT_GROUP_HASH_VALUES = 256;
/** `enum ovs_hash_alg` (uapi openvswitch.h). */
export const OVS_HASH_ALG_L4 = 0;
export const OVS_HASH_ALG_SYM_L4 = 1;

/** A select group's resolved selection method (OVS `struct group_dpif` selection fields). */
export type SelectionMethod =
  | { method: 'default' }
  | { method: 'hash' }
  /** `hashMap[dp_hash & hashMask]` is the bucket for a hash value */
  | { method: 'dp_hash'; hashAlg: number; hashBasis: number; hashMask: number; hashMap: Bucket[] };

/**
 * OVS `group_setup_dp_hash_table()`: spreads `n_hash` hash values (a power of two, at least 16,
 * enough for the smallest non-zero weight to get one) over the buckets by Webster's method.
 * @param maxHash the most hash values allowed (0: only MAX_SELECT_GROUP_HASH_VALUES applies)
 * @returns the table, or undefined when the group has no buckets, no weight, or needs too many
 */
export function groupSetupDpHashTable(buckets: readonly Bucket[], maxHash: number): { hashMask: number; hashMap: Bucket[] } | undefined {
  if (!buckets.length) return undefined;
  let total = 0;
  let minWeight = 0xffff;
  for (const b of buckets) {
    if (b.weight > 0 && b.weight < minWeight) minWeight = b.weight;
    total += b.weight;
  }
  if (total === 0) return undefined;
  const minSlots = Math.ceil(total / minWeight);
  let pow2 = 1;
  while (pow2 < minSlots) pow2 *= 2;
  const nHash = Math.max(16, pow2);
  if (nHash > MAX_SELECT_GROUP_HASH_VALUES || (maxHash !== 0 && nHash > maxHash)) return undefined;
  const webster = buckets.map((bucket) => ({ bucket, divisor: 1, value: bucket.weight }));
  const hashMap: Bucket[] = [];
  for (let hash = 0; hash < nHash; hash++) {
    let winner = webster[0];
    for (let i = 1; i < webster.length; i++) if (webster[i].value > winner.value) winner = webster[i];
    winner.divisor += 2;
    winner.value = winner.bucket.weight / winner.divisor;
    hashMap.push(winner.bucket);
  }
  return { hashMask: nHash - 1, hashMap };
}

/** Selection methods by group description, computed once per description a replica holds. */
const selectionCache = new WeakMap<GroupDesc, SelectionMethod>();

/** OVS `group_set_selection_method()` for a select group. */
export function groupSelectionMethod(g: GroupDesc): SelectionMethod {
  let sel = selectionCache.get(g);
  if (sel) return sel;
  const props = g.props;
  const method = props?.selectionMethod ?? '';
  sel = { method: 'default' };
  if (method === '') {
    const t = groupSetupDpHashTable(g.buckets, 256);
    if (t) sel = { method: 'dp_hash', hashAlg: OVS_HASH_ALG_SYM_L4, hashBasis: 0, ...t };
  } else if (method === 'dp_hash') {
    const t = groupSetupDpHashTable(g.buckets, 0);
    if (t) {
      const param = BigInt(props.selectionMethodParam);
      let hashAlg = Number(param >> 32n);
      if (hashAlg > OVS_HASH_ALG_SYM_L4) hashAlg = OVS_HASH_ALG_L4;
      sel = { method: 'dp_hash', hashAlg, hashBasis: Number(param & 0xffffffffn), ...t };
    }
  } else if (method === 'hash' && props.fields.length) {
    sel = { method: 'hash' };
  }
  selectionCache.set(g, sel);
  return sel;
}

// ---------------------------------------------------------------------------------------------
// Liveness

/** OVS `odp_port_is_alive()`: the port exists and may be enabled (carrier up, not down). */
function portIsAlive(ctx: Ctx, ofport: number): boolean {
  const p = ctx.br.ports.get(ofport);
  return !!p && !((p.state ?? 0) & OFPUTIL_PS_LINK_DOWN) && !((p.config ?? 0) & OFPUTIL_PC_PORT_DOWN);
}

/** OVS `group_is_alive()`: the group exists and has a live bucket. */
function groupIsAlive(ctx: Ctx, groupId: number, depth: number): boolean {
  const g = ctx.br.group?.(groupId);
  return !!g && groupFirstLiveBucket(ctx, g, depth) !== undefined;
}

/**
 * OVS `bucket_is_alive()`: whether `bucket` of `group` may be used (see the module comment).
 * A watch_port of CONTROLLER is never live here (OVS: some controller connected and admitted;
 * the workers do not know connection state).
 */
export function bucketIsAlive(ctx: Ctx, group: GroupDesc, bucket: Bucket, depth: number): boolean {
  if (depth >= MAX_LIVENESS_RECURSION) {
    ctx.res.trace.push(`bucket chaining exceeded ${MAX_LIVENESS_RECURSION} links`);
    return false;
  }
  if (group.type === 'select' && bucket.weight === 0) return false;
  const watchesPort = bucket.watchPort !== OFPP_ANY;
  const watchesGroup = bucket.watchGroup !== OFPG_ANY;
  return (!watchesPort && !watchesGroup)
    || (watchesPort && bucket.watchPort !== OFPP_CONTROLLER && portIsAlive(ctx, bucket.watchPort))
    || (watchesGroup && groupIsAlive(ctx, bucket.watchGroup, depth + 1));
}

/** OVS `group_first_live_bucket()`. */
function groupFirstLiveBucket(ctx: Ctx, group: GroupDesc, depth: number): Bucket | undefined {
  for (const b of group.buckets) {
    if (bucketIsAlive(ctx, group, b, depth)) return b;
    ctx.res.trace.push(`bucket ${b.bucketId}: not live`);
  }
  return undefined;
}

/** OVS `group_best_live_bucket()`: highest `(hash_int(bucket_id, basis) & 0xffff) * weight`, last on ties. */
function groupBestLiveBucket(ctx: Ctx, group: GroupDesc, basis: number): Bucket | undefined {
  let best: Bucket | undefined;
  let bestScore = 0;
  for (const b of group.buckets) {
    if (!bucketIsAlive(ctx, group, b, 0)) {
      ctx.res.trace.push(`bucket ${b.bucketId}: not live`);
      continue;
    }
    const score = (hashInt(b.bucketId, basis) & 0xffff) * b.weight;
    ctx.res.trace.push(`bucket ${b.bucketId}: score ${score}`);
    ctx.input.tracer?.report('detail', `bucket ${b.bucketId}: score ${score >>> 0}`);
    if (score >= bestScore) {
      best = b;
      bestScore = score;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Hashes

/**
 * OVS `flow_hash_symmetric_l4(flow, basis)`: jhash of a 32-byte struct holding the XOR of the
 * addresses (IPv4 or IPv6, Ethernet), the Ethertype, the XOR of the VLAN VIDs, the IP protocol
 * and, for TCP and SCTP, the XOR of the ports; all in network byte order as in `struct flow`.
 */
export function flowHashSymmetricL4(ctx: Ctx, basis: number): number {
  const f = ctx.flow;
  const fields = Buffer.alloc(32);
  for (let i = 0; i < 6; i++) fields[22 + i] = f[S.dl_src.offset + i] ^ f[S.dl_dst.offset + i];
  let vid = get(f, S.vlan_tci) & VLAN_VID_MASK;
  if (ctx.flowInner) vid ^= ctx.flowInner.tci & VLAN_VID_MASK;
  fields.writeUInt16BE(vid, 18);
  const type = get(f, S.dl_type);
  fields.writeUInt16BE(type, 16);
  let proto = -1;
  if (type === ETH_TYPE_IP) {
    for (let i = 0; i < 4; i++) fields[i] = f[S.nw_src.offset + i] ^ f[S.nw_dst.offset + i];
    proto = get(f, S.nw_proto);
  } else if (type === ETH_TYPE_IPV6) {
    for (let i = 0; i < 16; i++) fields[i] = f[S.ipv6_src.offset + i] ^ f[S.ipv6_dst.offset + i];
    proto = get(f, S.nw_proto);
  }
  if (proto >= 0) {
    fields[28] = proto;
    if (proto === IPPROTO_TCP || proto === IPPROTO_SCTP) fields.writeUInt16BE(get(f, S.tp_src) ^ get(f, S.tp_dst), 20);
  }
  return jhashBytes(fields, basis);
}

/** OVS `flow_mask_hash_fields(flow, wc, NX_HASH_FIELDS_SYMMETRIC_L4)`. */
export function flowMaskHashFieldsSymmetricL4(ctx: Ctx): void {
  const { flow, wc } = ctx;
  wcExact(wc, S.dl_src);
  wcExact(wc, S.dl_dst);
  const type = get(flow, S.dl_type);
  if (type === ETH_TYPE_IP) {
    wcExact(wc, S.nw_src);
    wcExact(wc, S.nw_dst);
  } else if (type === ETH_TYPE_IPV6) {
    wcExact(wc, S.ipv6_src);
    wcExact(wc, S.ipv6_dst);
  }
  if (isIpAny(flow)) {
    wcExact(wc, S.nw_proto);
    const proto = get(flow, S.nw_proto);
    // UDP ports are not hashed; ICMP's type and code are 8 bits (flow_unwildcard_tp_ports()).
    if (proto !== IPPROTO_UDP) {
      const bits = proto === IPPROTO_ICMP ? 0xff : 0xffff;
      wcOr(wc, S.tp_src, bits);
      wcOr(wc, S.tp_dst, bits);
    }
  }
  // Both VLAN headers' VID and CFI; the flow layout keeps only the outer one's mask.
  wcOr(wc, S.vlan_tci, VLAN_VID_MASK | VLAN_CFI);
}

/** OVS `pick_default_select_group()`. */
function pickDefaultSelectGroup(ctx: Ctx, group: GroupDesc): Bucket | undefined {
  flowMaskHashFieldsSymmetricL4(ctx);
  return groupBestLiveBucket(ctx, group, flowHashSymmetricL4(ctx, 0));
}

/**
 * OVS `pick_hash_fields_select_group()`: hashes each field of the group's `fields` (in field-id
 * order) whose prerequisites the flow meets, masked by the field's mask, into a basis that
 * starts as `hash_uint64(selection_method_param)`; un-wildcards the masked bits.
 */
function pickHashFieldsSelectGroup(ctx: Ctx, group: GroupDesc): Bucket | undefined {
  let basis = hashUint64(BigInt.asUintN(64, BigInt(group.props.selectionMethodParam)));
  const fields: Array<{ f: MfField; mask: Buffer }> = [];
  for (const x of group.props.fields) {
    const f = mfFieldByName(x.field);
    if (f) fields.push({ f, mask: Buffer.from(x.value) });
  }
  fields.sort((a, b) => a.f.id - b.f.id);
  for (const { f, mask } of fields) {
    if (!prereqsOk(ctx, f)) continue;
    const value = mfGetValue(f, ctx.flow);
    for (let j = 0; j < f.nBytes; j++) value[j] &= mask[j] ?? 0;
    basis = hashBytes(value, basis);
    maskFieldMasked(ctx, f, mask);
  }
  return groupBestLiveBucket(ctx, group, basis);
}

/**
 * OVS `pick_dp_hash_select_group()`: with the packet's dp_hash, the first live bucket of the
 * hash table from its masked value on; without one (0: not computed yet), translation freezes
 * to have the datapath compute it with `hash(alg, basis)` (an algorithm the datapath lacks
 * becomes OVS_HASH_ALG_L4) and returns undefined.
 */
function pickDpHashSelectGroup(ctx: Ctx, group: GroupDesc, sel: Extract<SelectionMethod, { method: 'dp_hash' }>): Bucket | undefined {
  const dpHash = get(ctx.flow, S.dp_hash);
  // 0 means "not computed": every computed dp_hash is non-zero, so no need to match the field.
  if (!dpHash) {
    const alg = sel.hashAlg > (ctx.br.maxHashAlg ?? OVS_HASH_ALG_L4) ? OVS_HASH_ALG_L4 : sel.hashAlg;
    triggerRecirculateWithHash(ctx, alg, sel.hashBasis);
    return undefined;
  }
  wcOr(ctx.wc, S.dp_hash, sel.hashMask);
  for (let i = 0; i <= sel.hashMask; i++) {
    const b = sel.hashMap[(dpHash + i) & sel.hashMask];
    if (bucketIsAlive(ctx, group, b, 0)) return b;
  }
  return undefined;
}

/** OVS `pick_select_group()`. */
function pickSelectGroup(ctx: Ctx, group: GroupDesc): Bucket | undefined {
  const sel = groupSelectionMethod(group);
  switch (sel.method) {
    case 'default': return pickDefaultSelectGroup(ctx, group);
    case 'hash': return pickHashFieldsSelectGroup(ctx, group);
    case 'dp_hash': return pickDpHashSelectGroup(ctx, group, sel);
  }
}

// ---------------------------------------------------------------------------------------------
// Translation

/**
 * OVS `xlate_group_bucket()`: the bucket's actions, as an action set, one level deeper, on a
 * copy of the flow (restored afterwards, with the VLAN stack translation tracks); an `exit` in
 * the bucket does not end the actions after the group.
 */
function xlateGroupBucket(ctx: Ctx, bucket: Bucket): void {
  ctx.res.trace.push(`bucket ${bucket.bucketId}`);
  const traceAt = ctx.input.tracer?.enter('bucket', `bucket ${bucket.bucketId}`);
  const list = ofpactsExecuteActionSet(bucket.ofpacts);
  const oldFlow = Buffer.from(ctx.flow);
  const oldTpid = ctx.flowTpid;
  const oldInner = ctx.flowInner && { ...ctx.flowInner };
  const oldGroupBucketAction = ctx.groupBucketAction;
  ctx.depth++;
  ctx.groupBucketAction = true;
  doXlateActions(ctx, list);
  ctx.groupBucketAction = oldGroupBucketAction;
  ctx.depth--;
  // OVS: a freeze inside the bucket recirculates with the bucket's remaining actions.
  if (ctx.freezing) finishFreezing(ctx);
  oldFlow.copy(ctx.flow);
  ctx.flowTpid = oldTpid;
  ctx.flowInner = oldInner;
  ctx.exit = false;
  if (traceAt) ctx.input.tracer!.leave(traceAt);
}

/**
 * OVS `xlate_group_action()`: translates the group action for group `groupId` (see the module
 * comment). Subject to the resubmit resource limits (depth, count), which end translation with
 * an error as a resubmit would.
 * @returns true when the group does not exist (the caller ends its action list)
 */
export function xlateGroupAction(ctx: Ctx, groupId: number): boolean {
  if (!resourceCheck(ctx)) return false;
  const group = ctx.br.group?.(groupId);
  if (!group) {
    ctx.res.trace.push(`output to nonexistent group ${groupId}`);
    return true;
  }
  if (group.type === 'all' || group.type === 'indirect') {
    for (const b of group.buckets) xlateGroupBucket(ctx, b);
    return false;
  }
  const bucket = group.type === 'select' ? pickSelectGroup(ctx, group) : groupFirstLiveBucket(ctx, group, 0);
  if (bucket) {
    ctx.res.trace.push(`using bucket ${bucket.bucketId}`);
    ctx.input.tracer?.report('detail', `using bucket ${bucket.bucketId}`);
    xlateGroupBucket(ctx, bucket);
  } else {
    ctx.res.trace.push('no live bucket');
    ctx.input.tracer?.report('detail', 'no live bucket');
  }
  return false;
}
