/**
 * The handler's side of packet-ins (OVS 3.1 ofproto/ofproto-dpif-upcall.c: `classify_upcall()`
 * and `upcall_receive()` for DPIF_UC_ACTION, `process_upcall()`'s CONTROLLER_UPCALL): an
 * OVS_PACKET_CMD_ACTION upcall carries, as OVS_PACKET_ATTR_USERDATA, the cookie of the
 * `userspace(controller(…))` action that sent it (src/genl/user-action-cookie.ts). The cookie
 * names the bridge (its ofproto uuid) and the recirculation id of the frozen state
 * (xlate-controller.ts); the packet-in gets the packet as the upcall carries it, the cookie's
 * reason, rule cookie, controller id and max_len, the state's table id and userdata, and the
 * flow metadata of the upcall's flow with the frozen metadata written over it (conntrack fields
 * cleared unless the state is conntracked).
 */
import type { PacketMessage } from '../genl/messages';
import { USER_ACTION_COOKIE_CONTROLLER, USER_ACTION_COOKIE_SIZE } from '../genl/actions';
import { decodeControllerCookie } from '../genl/user-action-cookie';
import { get, S } from '../ofproto-dpif/flow';
import { flowFromOdpKey } from '../ofproto-dpif/odp-flow';
import { frozenMetadataToFlow, RecircPool, threadRecircPool } from '../ofproto-dpif/recirc';
import { flowClearConntrack } from '../ofproto-dpif/xlate-ct';
import { ofprotoUuid } from '../ofproto-dpif/xlate-controller';
import type { OfprotoReplica } from '../ofproto-dpif/ofproto';
import type { WorkerPacketIn } from './messages';

/** What one action upcall comes to. */
export type ActionUpcallOutcome =
  /** a packet-in for bridge `bridge`'s controllers */
  | { kind: 'packet-in'; bridge: string; pin: WorkerPacketIn }
  /** nothing to do: dont_send, or recirc_id 0 (OVS drops those silently) */
  | { kind: 'ignore' }
  /** dropped, with OVS's message: `level` warn (bad cookie, unknown recirculation id) or info (unknown bridge) */
  | { kind: 'drop'; level: 'warn' | 'info'; text: string };

/**
 * Turns an OVS_PACKET_CMD_ACTION upcall into a packet-in (see the module comment).
 *
 * @param replica the worker's bridges (the cookie's uuid is matched against their names' uuids)
 * @param up the decoded upcall; `packet` and `key` are needed, `userdata` is the cookie
 * @param pool where recirculation ids are looked up (this thread's by default)
 * @returns the packet-in, or why there is none
 */
export function actionUpcallPacketIn(replica: OfprotoReplica, up: PacketMessage, pool: RecircPool = threadRecircPool()): ActionUpcallOutcome {
  if (!up.userdata) return { kind: 'drop', level: 'warn', text: 'action upcall missing cookie' };
  if (up.userdata.length !== USER_ACTION_COOKIE_SIZE) {
    return { kind: 'drop', level: 'warn', text: `action upcall cookie has unexpected size ${up.userdata.length}` };
  }
  const cookie = decodeControllerCookie(up.userdata);
  if (!cookie) {
    const type = up.userdata.readUInt16LE(0);
    // sFlow, slow path, flow sample and IPFIX cookies are valid but never emitted here.
    return { kind: 'drop', level: 'warn', text: type >= 1 && type < USER_ACTION_COOKIE_CONTROLLER
      ? `action upcall with unsupported cookie type ${type}` : `invalid user cookie of type ${type} and size ${up.userdata.length}` };
  }
  const bridge = [...replica.bridges.keys()].find((name) => ofprotoUuid(name).equals(cookie.ofprotoUuid));
  if (bridge === undefined) return { kind: 'drop', level: 'info', text: 'upcall could not find ofproto' };
  if (cookie.dontSend || !cookie.recircId) return { kind: 'ignore' };
  const state = pool.find(cookie.recircId);
  if (!state) {
    return { kind: 'drop', level: 'warn', text: `controller upcall: recirculation context not found for ID ${cookie.recircId.toString(16)}` };
  }
  if (!up.packet || !up.key) return { kind: 'drop', level: 'warn', text: 'action upcall without packet or flow key' };
  // OVS: not the upcall flow as it is, which may be more specific than where the controller
  // action ran: its conntrack fields only if the state says so, and the frozen metadata.
  const flow = flowFromOdpKey(up.key, (odp) => replica.portOfOdp(odp)?.port.ofport ?? 0).flow;
  if (!state.conntracked) flowClearConntrack(flow);
  frozenMetadataToFlow(state.metadata, flow);
  const pin: WorkerPacketIn = {
    packet: up.packet,
    totalLen: up.packet.length,
    inPort: get(flow, S.in_port),
    reason: cookie.reason,
    tableId: state.tableId,
    cookie: cookie.ruleCookie,
    flow,
    maxLen: cookie.maxLen,
    controllerId: cookie.controllerId,
  };
  if (state.userdata?.length) pin.userdata = state.userdata;
  if (cookie.continuation) pin.pause = true;
  return { kind: 'packet-in', bridge, pin };
}

/**
 * A token bucket for log lines (OVS `VLOG_RATE_LIMIT_INIT(rate, burst)`): `allow()` is true for
 * at most `burst` lines at once and `perMinute` a minute after that.
 */
export class LogRateLimit {
  private tokens: number;
  private last: number;

  constructor(private readonly perMinute = 5, private readonly burst = 5, now = Date.now()) {
    this.tokens = burst;
    this.last = now;
  }

  /** Whether a line may be logged now (consumes a token). */
  allow(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perMinute) / 60000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
