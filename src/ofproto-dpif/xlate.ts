/**
 * xlate: translation of a packet (a `Flow`) through a bridge's OpenFlow pipeline into datapath
 * actions, recording in `FlowWildcards` every field that a lookup or an action consulted, so the
 * megaflow installed for it is correct for every packet it matches and otherwise as wide as
 * possible (OVS's `ofproto/ofproto-dpif-xlate.c` semantics).
 *
 * The skeleton's pipeline is table 0 with `priority=0 actions=NORMAL`; NORMAL is the MAC-learning
 * L2 switch of `ovs-vswitchd.conf.db(5)`: learn the source MAC per (VLAN, port), forward to the
 * learned port, flood otherwise, never back out of the input port.
 */
import type { OdpAction } from '../genl/actions';
import { ETH_TYPE_ARP, Flow, FlowWildcards, MAC_EXACT, VLAN_VID_MASK, isIpAny } from './flow';
import { MacLearnEvent, macIsMulticast } from './mac-learning';
import { BridgeReplica, OfprotoReplica, OfAction } from './ofproto';

/** The outcome of translating one flow. */
export interface XlateResult {
  /** datapath actions; [] means drop */
  actions: OdpAction[];
  /** the fields consulted */
  wc: FlowWildcards;
  /**
   * MAC table entries the translation learned or refreshed (in the shared table, for traces);
   * `changed` is true for a new entry or a move, false for a refresh of a known one.
   */
  learned: Array<MacLearnEvent & { changed: boolean }>;
  /** the bridge the packet entered, when known */
  bridge?: string;
  /** human-readable trace of decisions, for debug logs */
  trace: string[];
}

/** Inputs to one translation. */
export interface XlateInput {
  flow: Flow;
  /** CLOCK_MONOTONIC milliseconds, for MAC aging */
  nowMs: number;
  /**
   * Whether this translation may change the MAC table: true for upcalls and for revalidating a
   * megaflow that saw new packets (which refreshes its source MAC, as OVS does); false for
   * revalidating an idle one.
   */
  mayLearn: boolean;
}

/** ARP opcodes (RFC 826). */
const ARP_OP_REQUEST = 1;
const ARP_OP_REPLY = 2;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

/**
 * Whether the frame is a gratuitous ARP (a broadcast ARP reply, or a broadcast request whose
 * sender and target addresses are equal), consulting — and so un-wildcarding — exactly the
 * fields OVS's NORMAL looks at to tell: the opcode for any broadcast ARP, and the sender and
 * target addresses for a request. OVS uses the answer to protect MAC entries on bonds; the
 * skeleton has no bonds, but the megaflow must cover the same fields as the reference's.
 */
function isGratuitousArp(flow: Flow, wc: FlowWildcards): boolean {
  if (flow.dlType !== ETH_TYPE_ARP || flow.dlDst !== BROADCAST) return false;
  wc.nwProto = 0xff;
  if (flow.nwProto === ARP_OP_REPLY) return true;
  if (flow.nwProto !== ARP_OP_REQUEST) return false;
  wc.nwSrc = '255.255.255.255';
  wc.nwDst = '255.255.255.255';
  return flow.nwSrc === flow.nwDst;
}

/** `eth_addr_is_reserved`: 01:80:c2:00:00:0x, the IEEE 802.1D reserved group addresses. */
function macIsReserved(mac: string): boolean {
  return mac.startsWith('01:80:c2:00:00:0');
}

/**
 * Translates `input.flow` through the bridge that owns its input port.
 * A packet from a port no bridge owns is dropped (with `in_port` in the mask, so the drop
 * megaflow covers only that port).
 *
 * @param ofproto the worker's replica of every bridge
 * @returns datapath actions, consulted fields, and MAC learning side effects
 */
export function xlate(ofproto: OfprotoReplica, input: XlateInput): XlateResult {
  const { flow } = input;
  const res: XlateResult = {
    actions: [],
    wc: { recircId: 0xffffffff, inPort: 0xffffffff, dlType: 0xffff },
    learned: [],
    trace: [],
  };
  if (isIpAny(flow)) res.wc.nwFrag = 0xff;
  const owner = ofproto.portOfOdp(flow.odpInPort);
  if (!owner) {
    res.trace.push(`odp port ${flow.odpInPort} belongs to no bridge: drop`);
    return res;
  }
  res.bridge = owner.bridge.config.name;
  const rule = owner.bridge.config.table0[0];
  if (!rule) {
    res.trace.push('no matching rule in table 0: drop');
    return res;
  }
  for (const act of rule.actions) xlateAction(owner.bridge, act, input, res);
  return res;
}

function xlateAction(br: BridgeReplica, act: OfAction, input: XlateInput, res: XlateResult): void {
  switch (act.type) {
    case 'normal':
      xlateNormal(br, input, res);
      return;
    case 'drop':
      return;
  }
}

function outputTo(br: BridgeReplica, ofport: number, res: XlateResult): void {
  const p = br.byOfport.get(ofport);
  if (p) res.actions.push({ type: 'output', port: p.odpPort });
}

/**
 * NORMAL: as OVS's `xlate_normal()` for a bridge whose ports are all VLAN trunks (no `tag`,
 * `trunks` or `vlan_mode` yet): frames keep their tags; learning and lookup are per VLAN.
 */
function xlateNormal(br: BridgeReplica, input: XlateInput, res: XlateResult): void {
  const { flow, nowMs } = input;
  const wc = res.wc;
  wc.dlSrc = MAC_EXACT;
  wc.dlDst = MAC_EXACT;
  wc.vlanTci = VLAN_VID_MASK;
  const vlan = flow.vlanTci & VLAN_VID_MASK;

  if (macIsReserved(flow.dlDst)) {
    res.trace.push(`dl_dst ${flow.dlDst} is an IEEE reserved group address: drop`);
    return;
  }

  isGratuitousArp(flow, wc);
  if (input.mayLearn && !macIsMulticast(flow.dlSrc)) {
    const changed = br.ml.learn(vlan, flow.dlSrc, flow.inPort, nowMs);
    res.learned.push({ bridge: br.config.name, vlan, mac: flow.dlSrc, ofport: flow.inPort, usedMs: nowMs, changed });
    if (changed) res.trace.push(`learned that ${flow.dlSrc} is on port ${flow.inPort} in VLAN ${vlan}`);
  }

  if (!macIsMulticast(flow.dlDst)) {
    const port = br.ml.lookup(vlan, flow.dlDst, nowMs);
    if (port !== undefined && br.byOfport.has(port)) {
      if (port === flow.inPort) {
        res.trace.push(`learned port ${port} is the input port: drop`);
        return;
      }
      res.trace.push(`forwarding to learned port ${port}`);
      outputTo(br, port, res);
      return;
    }
    res.trace.push(`no learned MAC for destination ${flow.dlDst}, flooding`);
  } else {
    res.trace.push(`multicast/broadcast destination ${flow.dlDst}, flooding`);
  }
  // Flood in the order ports joined the datapath (odp port order), as OVS walks its bundles.
  const ports = [...br.byOfport.values()].sort((a, b) => a.odpPort - b.odpPort);
  for (const p of ports) if (p.ofport !== flow.inPort) res.actions.push({ type: 'output', port: p.odpPort });
}
