/**
 * NORMAL: the MAC-learning, VLAN-aware switch of `ovs-vswitchd.conf.db(5)` ("VLAN
 * Configuration" of the Port table), as OVS 3.1's `xlate_normal()` in
 * ofproto/ofproto-dpif-xlate.c runs it.
 *
 * Every port belongs to a bundle (the OVSDB Port; several interfaces make a bond, whose member
 * choice is out of scope here: the first member carries the traffic) with a VLAN mode:
 * - access (`tag`): carries one VLAN, untagged; tagged input (other than priority tags) drops;
 * - trunk (`trunks`, empty = all): carries tagged VLANs as they are; untagged input is VLAN 0;
 * - native-tagged / native-untagged (`tag` + `trunks`): a trunk whose untagged input belongs to
 *   the native VLAN `tag`, sent out tagged / untagged;
 * - dot1q-tunnel (`tag`, `cvlans`, `other_config:qinq-ethtype`): pushes an outer S-tag (802.1ad
 *   by default) on everything it receives (customer VLANs restricted to `cvlans` when set) and
 *   pops it on output.
 *
 * Input whose VLAN the port does not carry drops. The packet's VLAN inside the bridge decides
 * learning (per VLAN and port, except on `Bridge.flood_vlans`), lookup, and which ports a flood
 * reaches; on output the tags are rewritten for the output port and committed as push/pop
 * datapath actions (`commitOdpActions`), so the megaflow matches the whole TCI whenever a tag
 * is popped, exactly as in OVS. Mirrors, bonds, multicast snooping and `forward-bpdu` are not
 * implemented; IEEE reserved destinations always drop.
 */
import { OFPP_CONTROLLER, OFPP_NONE } from '../openflow/common';
import { OFPUTIL_PC_NO_FLOOD } from '../openflow/ofp-port';
import {
  bytes, ETH_TYPE_ARP, ETH_TYPE_VLAN_8021AD, ETH_TYPE_VLAN_8021Q, ethTypeVlan, get, getMac, S, set, VLAN_CFI,
  VLAN_PCP_MASK, VLAN_VID_MASK, wcExact, wcOr,
} from './flow';
import { macIsMulticast } from './mac-learning';
import { composeOutput, type Ctx, portsInAddOrder, type XlatePort } from './xlate';

/** `Port.vlan_mode` (ovs-vswitchd.conf.db(5)). */
export type PortVlanMode = 'access' | 'trunk' | 'native-tagged' | 'native-untagged' | 'dot1q-tunnel';

/** `Port.other_config:priority-tags`. */
export type PortPriorityTags = 'never' | 'if-nonzero' | 'always';

/**
 * The VLAN configuration of the bundle (OVSDB Port) an interface belongs to, resolved as OVS's
 * `port_configure()` and `bundle_set()` resolve it (see {@link resolvePortVlan}). Every field is
 * optional: a port without them is a trunk of all VLANs in a bundle of its own.
 */
export interface PortVlanConfig {
  /** name of the OVSDB Port (bundle) the interface belongs to; absent: the interface's name */
  bundle?: string;
  /** resolved mode; absent: trunk */
  vlanMode?: PortVlanMode;
  /** the access / native / S-VLAN (OVS `bundle->vlan`); ignored for trunks */
  tag?: number;
  /**
   * VLANs a trunk or native port carries (sorted); absent: all (for a native port whose `tag` is
   * not 0: all but VLAN 0, as OVS's `bundle_set()` forces)
   */
  trunks?: number[];
  /** customer VLANs a dot1q-tunnel port accepts (sorted); absent: all */
  cvlans?: number[];
  /** TPID of the S-tag a dot1q-tunnel port pushes: 0x88a8 (default) or 0x8100 */
  qinqEthtype?: number;
  /** `other_config:priority-tags`; absent: never */
  priorityTags?: PortPriorityTags;
}

/** A Port row's VLAN columns, as the bridge layer reads them from OVSDB. */
export interface PortVlanColumns {
  name: string;
  tag?: number;
  trunks?: readonly number[];
  cvlans?: readonly number[];
  vlanMode?: string;
  /** `other_config:qinq-ethtype` */
  qinqEthtype?: string;
  /** `other_config:priority-tags` */
  priorityTags?: string;
}

const sortedVlans = (v: readonly number[]): number[] => [...new Set(v.filter((x) => x >= 0 && x <= 4095))].sort((a, b) => a - b);

/**
 * Resolves a Port row's VLAN columns into what NORMAL uses, as OVS: vswitchd/bridge.c
 * `port_configure()` (no `vlan_mode`: access when `tag` is set, else trunk; an unknown mode is a
 * trunk; `qinq-ethtype` "802.1q" or 802.1ad; `priority-tags` "true"/"if-nonzero", "always" or
 * never) then ofproto-dpif.c `bundle_set()` (trunks ignored by access ports; native modes
 * always carry their native VLAN and never VLAN 0; a non-trunk without a valid tag uses VLAN 0).
 * @returns the config; fields that keep their default are left out, so a plain port gives `{ bundle }`
 */
export function resolvePortVlan(c: PortVlanColumns): PortVlanConfig {
  const out: PortVlanConfig = { bundle: c.name };
  const known: PortVlanMode[] = ['access', 'trunk', 'native-tagged', 'native-untagged', 'dot1q-tunnel'];
  const hasTag = c.tag !== undefined && c.tag >= 0 && c.tag <= 4095;
  let mode: PortVlanMode;
  if (c.vlanMode) mode = known.includes(c.vlanMode as PortVlanMode) ? (c.vlanMode as PortVlanMode) : 'trunk';
  else mode = hasTag ? 'access' : 'trunk';
  if (mode !== 'trunk') {
    out.vlanMode = mode;
    out.tag = hasTag ? c.tag! : 0;
  }
  if (mode === 'trunk' && c.trunks?.length) out.trunks = sortedVlans(c.trunks);
  if (mode === 'native-tagged' || mode === 'native-untagged') {
    const tag = out.tag!;
    // OVS forces trunking the native VLAN and prohibits VLAN 0 (for absent trunks, trunksVlan()
    // knows).
    if (c.trunks?.length) {
      const trunks = sortedVlans(c.trunks);
      out.trunks = tag !== 0 && (!trunks.includes(tag) || trunks.includes(0)) ? sortedVlans([...trunks.filter((v) => v !== 0), tag]) : trunks;
    }
  }
  if (mode === 'dot1q-tunnel' && c.cvlans?.length) out.cvlans = sortedVlans(c.cvlans);
  if (c.qinqEthtype === '802.1q') out.qinqEthtype = ETH_TYPE_VLAN_8021Q;
  if (c.priorityTags === 'true' || c.priorityTags === 'if-nonzero') out.priorityTags = 'if-nonzero';
  else if (c.priorityTags === 'always') out.priorityTags = 'always';
  return out;
}

/** True when two ports' VLAN settings differ in a way that affects MAC learning (OVS `bundle_set()` need_flush). */
export function portVlanChanged(a: PortVlanConfig, b: PortVlanConfig): boolean {
  return a.vlanMode !== b.vlanMode || a.tag !== b.tag || (a.qinqEthtype ?? 0) !== (b.qinqEthtype ?? 0)
    || (a.priorityTags ?? 'never') !== (b.priorityTags ?? 'never')
    || String(a.trunks ?? '') !== String(b.trunks ?? '') || String(a.cvlans ?? '') !== String(b.cvlans ?? '');
}

/**
 * Reports a NORMAL decision to `ofproto/trace` (OVS `xlate_report()`), when the translation is
 * traced: `XlateInput.tracer` (src/ofproto-dpif/trace.ts, whose node types these are), read
 * structurally so this file does not depend on the tracer.
 */
function report(ctx: Ctx, type: 'detail' | 'warn' | 'error', text: string): void {
  (ctx.input as { tracer?: { report(type: string, text: string): unknown } }).tracer?.report(type, text);
}

// ---------------------------------------------------------------------------------------------
// Bundles

/** A bundle as NORMAL sees it (OVS `struct xbundle`). */
interface XBundle {
  name: string;
  mode: PortVlanMode;
  vlan: number;
  trunks?: ReadonlySet<number>;
  cvlans?: ReadonlySet<number>;
  qinqEthtype: number;
  priorityTags: PortPriorityTags;
  /** member ports, in datapath port order */
  members: XlatePort[];
  floodable: boolean;
}

/** OVS `ofpp_none_bundle`: packets from the controller, a trunk of every VLAN. */
const NONE_BUNDLE: XBundle = {
  name: 'OFPP_NONE', mode: 'trunk', vlan: 0, qinqEthtype: ETH_TYPE_VLAN_8021AD, priorityTags: 'never', members: [], floodable: true,
};

const vlanSets = new WeakMap<readonly number[], ReadonlySet<number>>();
function vlanSet(v: readonly number[] | undefined): ReadonlySet<number> | undefined {
  if (!v) return undefined;
  let s = vlanSets.get(v);
  if (!s) vlanSets.set(v, (s = new Set(v)));
  return s;
}

/** Bundles built from a ports map, with the port objects they were built from. */
const bundleCache = new WeakMap<ReadonlyMap<number, XlatePort>, { from: XlatePort[]; bundles: Map<string, XBundle> }>();

/** The bridge's bundles by name, in flood order (the lowest datapath port of each first). */
function bundlesOf(ports: ReadonlyMap<number, XlatePort>): Map<string, XBundle> {
  const cached = bundleCache.get(ports);
  // A replica refills the same map on reconfiguration, with new port objects.
  if (cached && cached.from.length === ports.size) {
    let i = 0;
    let same = true;
    for (const p of ports.values()) if (p !== cached.from[i++]) same = false;
    if (same) return cached.bundles;
  }
  const out = new Map<string, XBundle>();
  // OVS keeps the bundles in a list in the order they were added; NORMAL floods in that order.
  for (const p of portsInAddOrder(ports.values())) {
    const name = p.bundle ?? p.name;
    let b = out.get(name);
    if (!b) {
      b = {
        name, mode: p.vlanMode ?? 'trunk', vlan: p.tag ?? 0, trunks: vlanSet(p.trunks), cvlans: vlanSet(p.cvlans),
        qinqEthtype: p.qinqEthtype ?? ETH_TYPE_VLAN_8021AD, priorityTags: p.priorityTags ?? 'never', members: [], floodable: true,
      };
      out.set(name, b);
    }
    b.members.push(p);
    if ((p.config ?? 0) & OFPUTIL_PC_NO_FLOOD) b.floodable = false;
  }
  bundleCache.set(ports, { from: [...ports.values()], bundles: out });
  return out;
}

function bundleOfPort(ctx: Ctx, ofport: number): XBundle | undefined {
  const p = ctx.br.ports.get(ofport);
  return p && bundlesOf(ctx.br.ports).get(p.bundle ?? p.name);
}

// ---------------------------------------------------------------------------------------------
// VLAN headers (OVS `struct xvlan`)

/** One VLAN header: TPID, VID, and PCP in its TCI bit position. */
interface XVlanHdr {
  tpid: number;
  vid: number;
  pcp: number;
}
/** The outer and inner VLAN headers; an absent header is all zeros. */
type XVlan = [XVlanHdr, XVlanHdr];

const noHdr = (): XVlanHdr => ({ tpid: 0, vid: 0, pcp: 0 });

/** OVS `xvlan_extract()`: the flow's VLAN headers. */
function xvlanExtract(ctx: Ctx): XVlan {
  const x: XVlan = [noHdr(), noHdr()];
  const tci = get(ctx.flow, S.vlan_tci);
  if (!(tci & VLAN_CFI)) return x;
  x[0] = { tpid: ctx.flowTpid || ETH_TYPE_VLAN_8021Q, vid: tci & VLAN_VID_MASK, pcp: tci & VLAN_PCP_MASK };
  const inner = ctx.flowInner;
  if (inner && inner.tci & VLAN_CFI && ethTypeVlan(inner.tpid)) {
    x[1] = { tpid: inner.tpid, vid: inner.tci & VLAN_VID_MASK, pcp: inner.tci & VLAN_PCP_MASK };
  }
  return x;
}

/** OVS `xvlan_put()`: writes `x` into the flow (a header with a zero TCI is absent unless priority tags are "always"). */
function xvlanPut(ctx: Ctx, x: XVlan, priorityTags: PortPriorityTags): void {
  const tcis = x.map((h) => {
    let tci = h.vid | (h.pcp & VLAN_PCP_MASK);
    if (tci || (priorityTags === 'always' && h.tpid)) tci |= VLAN_CFI;
    return tci;
  });
  set(ctx.flow, S.vlan_tci, tcis[0]);
  ctx.flowTpid = tcis[0] & VLAN_CFI ? x[0].tpid || ETH_TYPE_VLAN_8021Q : 0;
  ctx.flowInner = tcis[0] & VLAN_CFI && tcis[1] & VLAN_CFI ? { tpid: x[1].tpid || ETH_TYPE_VLAN_8021Q, tci: tcis[1] } : undefined;
}

/** OVS `xbundle_trunks_vlan()` (absent trunks of a native port with a tag: all but VLAN 0). */
function trunksVlan(b: XBundle, vid: number): boolean {
  if (b.mode === 'access') return false;
  if (b.trunks) return b.trunks.has(vid);
  return !(vid === 0 && b.mode !== 'trunk' && b.mode !== 'dot1q-tunnel' && b.vlan !== 0);
}

/** OVS `xbundle_includes_vlan()`: whether output bundle `b` carries a packet in `x`. */
function includesVlan(b: XBundle, x: XVlan): boolean {
  switch (b.mode) {
    case 'access': return x[0].vid === b.vlan && x[1].vid === 0;
    case 'dot1q-tunnel': return x[0].vid === b.vlan && (!b.cvlans || b.cvlans.has(x[1].vid));
    default: return trunksVlan(b, x[0].vid);
  }
}

/** OVS `xlate_report_error()` for an input VLAN check. */
function vlanError(ctx: Ctx, text: string): void {
  ctx.res.trace.push(text);
  report(ctx, 'error', text);
}

/** OVS `input_vid_is_valid()`: may a packet with outer VID `vid` (0: untagged) enter on `b`? */
function inputVidIsValid(ctx: Ctx, vid: number, b: XBundle): boolean {
  if (b === NONE_BUNDLE) return true;
  switch (b.mode) {
    case 'access':
      if (vid) {
        vlanError(ctx, `dropping VLAN ${vid} tagged packet received on port ${b.name} configured as VLAN ${b.vlan} access port`);
        return false;
      }
      return true;
    case 'dot1q-tunnel':
      if (b.cvlans && !b.cvlans.has(vid)) {
        vlanError(ctx, `dropping VLAN ${vid} packet received on dot1q-tunnel port ${b.name} that excludes this VLAN`);
        return false;
      }
      return true;
    default:
      if (!vid && b.mode !== 'trunk') return true; // the native VLAN
      if (!trunksVlan(b, vid)) {
        vlanError(ctx, `dropping VLAN ${vid} packet received on port ${b.name} not configured for trunking VLAN ${vid}`);
        return false;
      }
      return true;
  }
}

/** OVS `xvlan_input_translate()`: the packet's VLANs inside the bridge. */
function inputTranslate(b: XBundle, x: XVlan): XVlan {
  const out: XVlan = [{ ...x[0] }, { ...x[1] }];
  switch (b.mode) {
    case 'access':
      return [{ tpid: x[0].tpid || ETH_TYPE_VLAN_8021Q, vid: b.vlan, pcp: x[0].pcp }, noHdr()];
    case 'native-tagged':
    case 'native-untagged':
      if (!x[0].vid) out[0] = { tpid: x[0].tpid || ETH_TYPE_VLAN_8021Q, vid: b.vlan, pcp: x[0].pcp };
      return out;
    case 'dot1q-tunnel':
      return [{ tpid: b.qinqEthtype, vid: b.vlan, pcp: 0 }, { ...x[0] }];
    default:
      return out;
  }
}

/** OVS `xvlan_output_translate()`: the VLANs a packet in `x` leaves bundle `b` with. */
function outputTranslate(b: XBundle, x: XVlan): XVlan {
  const pop = (): XVlan => [{ ...x[1] }, noHdr()];
  switch (b.mode) {
    case 'access': return [noHdr(), noHdr()];
    case 'native-untagged': return x[0].vid === b.vlan ? pop() : [{ ...x[0] }, { ...x[1] }];
    case 'dot1q-tunnel': return pop();
    default: return [{ ...x[0] }, { ...x[1] }];
  }
}

/** OVS `output_normal()`: out of bundle `b` with its VLAN tagging, the flow's VLANs restored afterwards. */
function outputNormal(ctx: Ctx, b: XBundle, x: XVlan): void {
  const port = b.members[0];
  if (!port) return;
  const out = outputTranslate(b, x);
  if (b.priorityTags !== 'never') out[0].pcp = get(ctx.flow, S.vlan_tci) & VLAN_PCP_MASK;
  const saved = { tci: get(ctx.flow, S.vlan_tci), tpid: ctx.flowTpid, inner: ctx.flowInner };
  xvlanPut(ctx, out, b.priorityTags);
  composeOutput(ctx, port.ofport);
  set(ctx.flow, S.vlan_tci, saved.tci);
  ctx.flowTpid = saved.tpid;
  ctx.flowInner = saved.inner;
}

/** OVS `xlate_normal_flood()`: every other floodable bundle that carries the VLAN. */
function floodNormal(ctx: Ctx, inBundle: XBundle, x: XVlan): void {
  for (const b of bundlesOf(ctx.br.ports).values()) {
    if (b !== inBundle && b.name !== inBundle.name && includesVlan(b, x) && b.floodable) outputNormal(ctx, b, x);
  }
}

// ---------------------------------------------------------------------------------------------
// NORMAL

/** ARP opcodes (RFC 826). */
const ARP_OP_REQUEST = 1;
const ARP_OP_REPLY = 2;

/** `eth_addr_is_reserved`: 01:80:c2:00:00:0x, the IEEE 802.1D reserved group addresses. */
function macIsReserved(mac: string): boolean {
  return mac.startsWith('01:80:c2:00:00:0');
}

/**
 * OVS `is_gratuitous_arp()`: a broadcast ARP reply, or a broadcast request whose sender and
 * target addresses are equal, consulting the opcode of any broadcast ARP and the addresses of a
 * request. (OVS uses the answer to lock MAC entries against bonds; there are no bonds here, but
 * the megaflow covers the same fields.)
 */
function isGratuitousArp(ctx: Ctx): boolean {
  const { flow, wc } = ctx;
  if (get(flow, S.dl_type) !== ETH_TYPE_ARP) return false;
  wcExact(wc, S.dl_dst);
  if (getMac(flow, S.dl_dst) !== 'ff:ff:ff:ff:ff:ff') return false;
  wcExact(wc, S.nw_proto);
  const op = get(flow, S.nw_proto);
  if (op === ARP_OP_REPLY) return true;
  if (op !== ARP_OP_REQUEST) return false;
  wcExact(wc, S.nw_src);
  wcExact(wc, S.nw_dst);
  return Buffer.compare(bytes(flow, S.nw_src), bytes(flow, S.nw_dst)) === 0;
}

/**
 * The NORMAL action (OVS `xlate_normal()`): check the input VLAN, learn the source MAC in the
 * packet's VLAN, then forward to the learned port of the destination or flood the VLAN, tagging
 * per output port. Un-wildcards dl_src, dl_dst, the VID and CFI bits (and whatever the VLAN
 * commits and the gratuitous-ARP check consult). A packet from the controller (in_port
 * CONTROLLER or NONE) enters on a trunk of all VLANs and is not learned.
 * @param ctx the translation context (xlate.ts `Ctx`); the datapath actions go to `ctx.res`
 */
export function xlateNormal(ctx: Ctx): void {
  const { flow, wc, br, res } = ctx;
  wcExact(wc, S.dl_src);
  wcExact(wc, S.dl_dst);
  wcOr(wc, S.vlan_tci, VLAN_VID_MASK | VLAN_CFI);
  const inPort = ctx.inPort;
  const inBundle = bundleOfPort(ctx, inPort) ?? (inPort === OFPP_CONTROLLER || inPort === OFPP_NONE ? NONE_BUNDLE : undefined);
  if (!inBundle) {
    res.trace.push('NORMAL: no input bundle, dropping');
    report(ctx, 'warn', 'no input bundle, dropping');
    return;
  }
  if (ethTypeVlan(get(flow, S.dl_type)) && !(get(flow, S.vlan_tci) & VLAN_CFI)) {
    res.trace.push('NORMAL: partial VLAN tag, dropping');
    report(ctx, 'warn', 'partial VLAN tag, dropping');
    return;
  }
  const inXvlan = xvlanExtract(ctx);
  if (!inputVidIsValid(ctx, inXvlan[0].vid, inBundle)) {
    res.trace.push('NORMAL: disallowed VLAN VID for this input port, dropping');
    report(ctx, 'warn', 'disallowed VLAN VID for this input port, dropping');
    return;
  }
  const xvlan = inputTranslate(inBundle, inXvlan);
  const vlan = xvlan[0].vid;
  const dlDst = getMac(flow, S.dl_dst);
  const dlSrc = getMac(flow, S.dl_src);
  if (macIsReserved(dlDst)) {
    res.trace.push(`NORMAL: dl_dst ${dlDst} is an IEEE reserved group address: drop`);
    report(ctx, 'detail', 'packet has reserved destination MAC, dropping');
    return;
  }
  isGratuitousArp(ctx);
  if (ctx.input.mayLearn && inBundle !== NONE_BUNDLE && br.ml.mayLearn(dlSrc, vlan)) {
    const nowMs = ctx.input.nowMs;
    const changed = br.ml.learn(vlan, dlSrc, inPort, nowMs);
    res.learned.push({ bridge: br.name, vlan, mac: dlSrc, ofport: inPort, usedMs: nowMs, changed });
    if (changed) {
      res.trace.push(`NORMAL: learned that ${dlSrc} is on port ${inBundle.name} in VLAN ${vlan}`);
      report(ctx, 'detail', `learned that ${dlSrc} is on port ${inBundle.name} in VLAN ${vlan}`);
    }
  }
  const learned = macIsMulticast(dlDst) ? undefined : br.ml.lookup(vlan, dlDst, ctx.input.nowMs);
  if (learned === undefined) {
    res.trace.push(`NORMAL: no learned MAC for destination ${dlDst} in VLAN ${vlan}, flooding`);
    report(ctx, 'detail', 'no learned MAC for destination, flooding');
    floodNormal(ctx, inBundle, xvlan);
    return;
  }
  const outBundle = bundleOfPort(ctx, learned);
  if (!outBundle) {
    res.trace.push('NORMAL: learned port is unknown, dropping');
    report(ctx, 'warn', 'learned port is unknown, dropping');
  } else if (outBundle === inBundle) {
    res.trace.push('NORMAL: learned port is input port, dropping');
    report(ctx, 'detail', 'learned port is input port, dropping');
  } else {
    res.trace.push(`NORMAL: forwarding to learned port ${outBundle.name}`);
    report(ctx, 'detail', 'forwarding to learned port');
    outputNormal(ctx, outBundle, xvlan);
  }
}
