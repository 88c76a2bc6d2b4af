/**
 * `ofproto/trace` and `ofproto/trace-packet-out` (ovs-vswitchd(8) "OFPROTO COMMANDS", OVS 3.1
 * `ofproto/ofproto-dpif-trace.c`):
 *
 *   ofproto/trace [dpname] odp_flow [OPTIONS] [-generate|packet]
 *   ofproto/trace bridge br_flow [OPTIONS] [-generate|packet]
 *   ofproto/trace-packet-out [-consistent] {[dpname] odp_flow | bridge br_flow} [OPTIONS] [-generate|packet] actions
 *
 * OPTIONS: `--names`/`-names`, `--l7 HEX`, `--l7-len N`, `--ct-next CT_STATE` (repeatable: the
 * ct_state of each conntrack recirculation the trace follows, in order; trk|new once they run
 * out). Every recirculation pass is traced after the first, as OVS does. The trace runs on the main
 * thread against the bridge's live tables; nothing is executed and no statistics are credited.
 * With a packet (`-generate` or hex bytes) translation may learn MACs, as OVS's does.
 *
 * Where ts-vswitchd differs: trace-packet-out parses a subset of the action syntax (see
 * {@link parseTraceActions}); `-consistent` is accepted but consistency is not checked.
 */
import { parseOdpFlowKey } from '../../genl/odp-key-text';
import { OFPP_ALL, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_LOCAL, OFPP_NONE, OFPP_NORMAL, OFPP_TABLE } from '../../openflow/common';
import { mfArePrereqsOk } from '../../openflow/match';
import { mfParseValue, parseCtState, parseOfpPort, PROTOCOLS, keyValues } from '../../openflow/match-format';
import { mfFieldByName, mfGetValue, mfSetValue } from '../../openflow/meta-flow';
import type { Ofpact } from '../../openflow/ofpacts';
import { OFPR_ACTION } from '../../openflow/ofp-switch';
import { flowExtract } from '../../ofproto-dpif/flow-extract';
import { newFlow, S, set } from '../../ofproto-dpif/flow';
import { flowFromOdpKey } from '../../ofproto-dpif/odp-flow';
import { ofprotoTrace } from '../../ofproto-dpif/trace';
import type { XlateBridge } from '../../ofproto-dpif/xlate';
import { UnixctlError, UnixctlRegistry } from '../registry';
import { bridgesOf, DaemonParts, monotonicMs, PartsGetter } from './parts';

/** The datapath type every bridge has here (OVS `dpif_backer` type). */
const DP_TYPE = 'system';
/** `ETH_HEADER_LEN`. */
const ETH_HEADER_LEN = 14;

/**
 * OVS `eth_from_hex()`: hex digits (whitespace allowed between bytes) into a frame.
 * @throws Error "Trailing garbage in packet data" or "Packet data too short for Ethernet"
 */
export function ethFromHex(s: string): Buffer {
  const bytes: number[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (!/^[0-9a-fA-F]{2}/.test(s.slice(i, i + 2))) break;
    bytes.push(parseInt(s.slice(i, i + 2), 16));
    i += 2;
  }
  if (i < s.length) throw new Error('Trailing garbage in packet data');
  if (bytes.length < ETH_HEADER_LEN) throw new Error('Packet data too short for Ethernet');
  return Buffer.from(bytes);
}

/**
 * OVS `parse_ofp_exact_flow()`: a flow in ovs-ofctl match syntax where every field not given is
 * zero (in_port, when not given, is OFPP_NONE). No masks; each field once, after its
 * prerequisites; port names through `portByName`.
 * @param text e.g. `in_port=1,tcp,nw_src=10.0.0.1,tp_dst=80`
 * @returns FLOW_LEN bytes
 * @throws Error with OVS's message: `TEXT: unknown field F`, `TEXT: prerequisites not met for
 *   setting F`, `TEXT: field F set multiple times`, `TEXT: bad value for F (…)`,
 *   `TEXT: Ethernet type set multiple times`, `TEXT: network protocol set multiple times`
 */
export function parseExactFlow(text: string, portByName: (name: string) => number | undefined = () => undefined): Buffer {
  const flow = newFlow();
  for (const [key, value] of keyValues(text)) {
    const proto = PROTOCOLS[key];
    if (proto) {
      if (mfGetValue(mfFieldByName('eth_type')!, flow).readUInt16BE(0)) throw new Error(`${text}: Ethernet type set multiple times`);
      set(flow, S.dl_type, proto[0]);
      if (proto[1]) {
        if (flow[S.nw_proto.offset]) throw new Error(`${text}: network protocol set multiple times`);
        set(flow, S.nw_proto, proto[1]);
      }
      continue;
    }
    const f = mfFieldByName(key);
    if (!f) throw new Error(`${text}: unknown field ${key}`);
    if (!mfArePrereqsOk(f, flow)) throw new Error(`${text}: prerequisites not met for setting ${key}`);
    if (mfGetValue(f, flow).some((b) => b !== 0)) throw new Error(`${text}: field ${key} set multiple times`);
    let v = value;
    if ((f.format === 'ofp_port' || f.format === 'ofp11_port') && parseOfpPort(v) === undefined) {
      const n = portByName(v);
      if (n !== undefined) v = String(n);
    }
    let parsed;
    try {
      parsed = mfParseValue(f, v);
    } catch (e) {
      throw new Error(`${text}: bad value for ${key} (${(e as Error).message})`);
    }
    if (parsed.mask.some((b) => b !== 0xff) && f.format !== 'frag') {
      throw new Error(`${text}: bad value for ${key} (${v}: wildcards not allowed here)`);
    }
    mfSetValue(f, flow, parsed.value);
  }
  if (!flow.readUInt16BE(S.in_port.offset)) set(flow, S.in_port, OFPP_NONE);
  return flow;
}

/** Reserved port names the action parser knows (OVS `ofputil_port_from_string`). */
const PORT_ACTIONS: Record<string, number> = {
  in_port: OFPP_IN_PORT, table: OFPP_TABLE, normal: OFPP_NORMAL, flood: OFPP_FLOOD, all: OFPP_ALL,
  local: OFPP_LOCAL, controller: OFPP_CONTROLLER, none: OFPP_NONE,
};

function parseMacBytes(s: string): Buffer {
  const p = s.split(':');
  if (p.length !== 6 || p.some((x) => !/^[0-9a-f]{1,2}$/i.test(x))) throw new Error(`${s}: invalid Ethernet address`);
  return Buffer.from(p.map((x) => parseInt(x, 16)));
}

function parseIpv4Number(s: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) throw new Error(`${s}: invalid IP address`);
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

function parseU(s: string, max: number, what: string): number {
  const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n >= 0 && n <= max)) throw new Error(`invalid ${what} "${s}"`);
  return n;
}

/**
 * The subset of ovs-actions(7) text that trace-packet-out takes here: output (`N`, `output:N`,
 * port names, `in_port`, `local`, `normal`, `flood`, `all`, `controller`, `table`), `drop`,
 * `resubmit(PORT,TABLE)`/`resubmit:PORT`, `mod_dl_src/dst`, `mod_nw_src/dst/tos/ttl`,
 * `mod_tp_src/dst`, `mod_vlan_vid/pcp`, `strip_vlan`, `push_vlan`, `dec_ttl`, `exit`.
 * @throws Error `unknown action X` (OVS's wording) for anything else or a bad argument
 */
export function parseTraceActions(text: string, portByName: (name: string) => number | undefined = () => undefined): Ofpact[] {
  const out: Ofpact[] = [];
  const port = (s: string): number => {
    const p = parseOfpPort(s) ?? portByName(s);
    if (p === undefined) throw new Error(`${s}: output to unknown port`);
    return p;
  };
  for (const [rawKey, arg] of keyValues(text)) {
    const key = rawKey.toLowerCase();
    if (key === 'drop') continue;
    if (/^\d+$/.test(key) && !arg) out.push({ type: 'output', port: port(key), maxLen: 0 });
    else if (key === 'output') out.push({ type: 'output', port: port(arg), maxLen: 0 });
    else if (key === 'controller') {
      out.push({ type: 'controller', maxLen: 0xffff, controllerId: 0, reason: OFPR_ACTION, pause: false } as Ofpact);
    } else if (key in PORT_ACTIONS && !arg) out.push({ type: 'output', port: PORT_ACTIONS[key], maxLen: 0 });
    else if (key === 'resubmit') {
      const [p, t] = arg.split(',');
      out.push({
        type: 'resubmit', inPort: p ? port(p) : OFPP_IN_PORT, tableId: t ? parseU(t, 254, 'table') : 255, withCtOrig: false,
      } as Ofpact);
    } else if (key === 'mod_dl_src' || key === 'mod_dl_dst') {
      out.push({ type: key === 'mod_dl_src' ? 'set_eth_src' : 'set_eth_dst', mac: parseMacBytes(arg) });
    } else if (key === 'mod_nw_src' || key === 'mod_nw_dst') {
      out.push({ type: key === 'mod_nw_src' ? 'set_ipv4_src' : 'set_ipv4_dst', ipv4: parseIpv4Number(arg) });
    } else if (key === 'mod_nw_tos') out.push({ type: 'set_ip_dscp', dscp: parseU(arg, 255, 'tos') & 0xfc });
    else if (key === 'mod_nw_ttl') out.push({ type: 'set_ip_ttl', ttl: parseU(arg, 255, 'ttl') });
    else if (key === 'mod_tp_src' || key === 'mod_tp_dst') {
      out.push({ type: key === 'mod_tp_src' ? 'set_l4_src_port' : 'set_l4_dst_port', port: parseU(arg, 0xffff, 'port') });
    } else if (key === 'mod_vlan_vid') out.push({ type: 'set_vlan_vid', vlanVid: parseU(arg, 4095, 'vlan id'), pushVlanIfNeeded: true });
    else if (key === 'mod_vlan_pcp') out.push({ type: 'set_vlan_pcp', vlanPcp: parseU(arg, 7, 'vlan pcp'), pushVlanIfNeeded: true });
    else if (key === 'strip_vlan') out.push({ type: 'strip_vlan' });
    else if (key === 'push_vlan') out.push({ type: 'push_vlan', ethertype: parseU(arg, 0xffff, 'ethertype') });
    else if (key === 'dec_ttl' && !arg) out.push({ type: 'dec_ttl', cntIds: [0] });
    else if (key === 'exit') out.push({ type: 'exit' });
    else if (portByName(rawKey) !== undefined && !arg) out.push({ type: 'output', port: portByName(rawKey)!, maxLen: 0 });
    else throw new Error(`unknown action ${rawKey}`);
  }
  return out;
}

/** `ofproto/trace` options and arguments (OVS `parse_flow_and_packet()`'s first pass). */
interface TraceArgs {
  args: string[];
  generate: boolean;
  names: boolean;
  consistent: boolean;
  /** `--ct-next` ct_state values, in order: one per conntrack recirculation the trace follows */
  ctNext: number[];
}

function parseOptions(argv: string[], allowConsistent: boolean): TraceArgs {
  const r: TraceArgs = { args: [], generate: false, names: false, consistent: false, ctNext: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-generate' || a === '--generate') r.generate = true;
    else if (a === '--l7' || a === '--l7-len' || a === '--ct-next') {
      if (i + 1 >= argv.length) throw new UnixctlError(`Missing argument for option ${a}`);
      const v = argv[++i];
      if (a === '--ct-next') {
        try {
          r.ctNext.push(parseCtState(v));
        } catch (e) {
          throw new UnixctlError((e as Error).message);
        }
      }
    } else if (allowConsistent && (a === '-consistent' || a === '--consistent')) r.consistent = true;
    else if (a === '-names' || a === '--names') r.names = true;
    else if (a.startsWith('-')) throw new UnixctlError(`${a}: unknown option`);
    else if (r.args.length >= 3) throw new UnixctlError('too many arguments');
    else r.args.push(a);
  }
  return r;
}

/** What {@link TraceCommands.resolve} found: the bridge, the flow and the packet. */
interface Resolved {
  br: XlateBridge;
  flow: Buffer;
  vlanTpid: number;
  packet?: Buffer;
  portByName: (name: string) => number | undefined;
}

/**
 * The trace commands. `xlateBridge(name)` gives the bridge's translation view on the main thread
 * (live tables, ports, MAC table), as PACKET_OUT uses.
 */
export class TraceCommands {
  constructor(private readonly parts: PartsGetter, private readonly xlateBridge: (name: string) => XlateBridge | undefined) {}

  /** Registers `ofproto/trace` and `ofproto/trace-packet-out` in `registry`. */
  register(registry: UnixctlRegistry): void {
    registry.register('ofproto/trace', '{[dp_name] odp_flow | bridge br_flow} [OPTIONS...] [-generate|packet]', 1, Infinity,
      (a) => this.trace(a));
    registry.register('ofproto/trace-packet-out',
      '[-consistent] {[dp_name] odp_flow | bridge br_flow} [OPTIONS...] [-generate|packet] actions', 2, Infinity,
      (a) => this.tracePacketOut(a));
  }

  private async trace(argv: string[]): Promise<string> {
    const opts = parseOptions(argv, false);
    const r = await this.resolve(opts);
    return ofprotoTrace(r.br, {
      flow: r.flow, vlanTpid: r.vlanTpid, packet: r.packet, hasPacket: opts.generate, nowMs: monotonicMs(), ctNext: opts.ctNext,
    }).text;
  }

  private async tracePacketOut(argv: string[]): Promise<string> {
    const actionsText = argv[argv.length - 1];
    const opts = parseOptions(argv.slice(0, -1), true);
    const r = await this.resolve(opts);
    let ofpacts: Ofpact[];
    try {
      ofpacts = parseTraceActions(actionsText, r.portByName);
    } catch (e) {
      throw new UnixctlError((e as Error).message);
    }
    return ofprotoTrace(r.br, {
      flow: r.flow, vlanTpid: r.vlanTpid, packet: r.packet, hasPacket: opts.generate, ofpacts, nowMs: monotonicMs(),
      ctNext: opts.ctNext,
    }).text;
  }

  /** Datapath port names → numbers (OVS's `port_names` simap). */
  private async odpPortNames(parts: DaemonParts): Promise<Map<string, number>> {
    const names = new Map<string, number>();
    for (const b of bridgesOf(parts)) for (const p of b.ports) names.set(p.name, p.odpPort);
    if (parts.dp) names.set(parts.dp.name, 0);
    return names;
  }

  /**
   * OVS `parse_flow_and_packet()`: the packet (a trailing hex argument), then the flow, first
   * as a datapath flow (`[dpname] odp_flow`), else as `bridge br_flow`.
   * @throws UnixctlError with OVS's messages
   */
  private async resolve(opts: TraceArgs): Promise<Resolved> {
    const args = [...opts.args];
    let packet: Buffer | undefined;
    if (!opts.generate && args.length > 1) {
      try {
        packet = ethFromHex(args[args.length - 1]);
        args.pop();
      } catch (e) {
        if (args.length > 2) throw new UnixctlError((e as Error).message);
      }
    }
    const parts = this.parts();
    let backer = false;
    if (args.length === 2) backer = (args[0].startsWith('ovs-') ? args[0].slice(4) : args[0]) === DP_TYPE;
    else if (args.length === 1) backer = true;
    else throw new UnixctlError('Syntax error');
    const flowText = args[args.length - 1];
    let odpError: string | undefined;
    let parsed;
    try {
      parsed = parseOdpFlowKey(flowText, { portNames: await this.odpPortNames(parts) });
      if (parsed.key.inPort === undefined && !Object.keys(parsed.key).length) throw new Error('syntax error');
    } catch (e) {
      odpError = (e as Error).message;
    }
    let r: Resolved;
    if (odpError === undefined && parsed) {
      if (!backer) throw new UnixctlError('Cannot find the datapath');
      const odpIn = parsed.key.inPort;
      const owner = bridgesOf(parts).find((b) => b.ports.some((p) => p.odpPort === odpIn));
      const br = owner && this.xlateBridge(owner.name);
      if (!owner || !br) throw new UnixctlError('no OpenFlow port for datapath port');
      const f = flowFromOdpKey(parsed.key, (o) => owner.ports.find((p) => p.odpPort === o)?.ofport ?? 0);
      r = { br, flow: f.flow, vlanTpid: f.vlanTpid, portByName: portLookup(br) };
    } else if (args.length !== 2) {
      throw new UnixctlError(`${odpError} (or the bridge name was omitted)`);
    } else {
      const br = this.xlateBridge(args[0]);
      if (!br) throw new UnixctlError(`${args[0]}: unknown bridge`);
      const portByName = portLookup(br);
      let flow: Buffer;
      try {
        flow = parseExactFlow(flowText, portByName);
      } catch (e) {
        throw new UnixctlError(`Bad openflow flow syntax: ${(e as Error).message}`);
      }
      r = { br, flow, vlanTpid: 0, portByName };
    }
    if (packet) {
      // OVS pkt_metadata_from_flow() then flow_extract(): the packet's headers, the flow's metadata.
      const extracted = flowExtract(packet, r.flow.readUInt16BE(S.in_port.offset));
      for (const slot of ['recirc_id', 'dp_hash', 'skb_priority', 'pkt_mark', 'ct_state', 'ct_zone', 'ct_mark', 'ct_label',
        'tun_id', 'tun_src', 'tun_dst', 'tun_ipv6_src', 'tun_ipv6_dst', 'tun_flags', 'tun_tos', 'tun_ttl']) {
        const s = S[slot];
        r.flow.copy(extracted, s.offset, s.offset, s.offset + s.len);
      }
      r.flow = extracted;
      r.packet = packet;
    }
    return r;
  }
}

/** A bridge's port names → OpenFlow port numbers. */
function portLookup(br: XlateBridge): (name: string) => number | undefined {
  return (name) => [...br.ports.values()].find((p) => p.name === name)?.ofport;
}
