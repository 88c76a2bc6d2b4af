/**
 * An upcall handler: a worker_thread that owns one native netlink socket registered with the
 * datapath (per CPU, or per vport on older kernels). For each batch of `OVS_PACKET_CMD_MISS`
 * upcalls it translates the packet's flow through its bridge's OpenFlow tables, installs the
 * megaflow (`OVS_FLOW_CMD_NEW` with key, mask, actions and UFID) and executes the packet
 * (`OVS_PACKET_CMD_EXECUTE`), one batched send per receive batch (OVS's
 * `ofproto/ofproto-dpif-upcall.c` handler loop). Packets for the controller come back from the
 * kernel as `OVS_PACKET_CMD_ACTION` upcalls of the megaflow's userspace(controller) action and
 * are posted to the main thread as packet-ins (controller-upcall.ts). Each translated packet is
 * credited to every rule its translation went through.
 *
 * Configuration snapshots and flow table deltas from the main thread are applied between
 * batches, so a translation never sees half an update; the MAC table is shared by all threads
 * (see mac-learning.ts).
 */
import { workerData } from 'node:worker_threads';
import { NativeChannel } from '../dpif-netlink/channel';
import { executeRequest, flowPutRequest, OvsFamilies } from '../dpif-netlink/requests';
import { megaflowUfid } from '../dpif-netlink/ufid';
import { decodeGenlHeader, splitMessages } from '../genl/netlink';
import { decodePacketMessage } from '../genl/messages';
import { encodeFlowKey, formatFlowKey, OdpFlowKey } from '../genl/flow-key';
import { errnoName } from '../genl/netlink';
import { OVS_PACKET_CMD_ACTION, OVS_PACKET_CMD_MISS } from '../genl/openvswitch';
import { flowFromOdpKey, odpMaskFromWildcards } from '../ofproto-dpif/odp-flow';
import { OfprotoReplica } from '../ofproto-dpif/ofproto';
import { xlate } from '../ofproto-dpif/xlate';
import { odpExecuteWithHelp } from '../ofproto-dpif/odp-execute';
import { MacTable } from '../ofproto-dpif/mac-learning';
import { RecircPool, setThreadRecircPool } from '../ofproto-dpif/recirc';
import { SharedCoverage } from '../unixctl/coverage';
import type { WorkerInit } from './messages';
import { RuleCredits } from './rule-credits';
import { actionUpcallPacketIn, LogRateLimit } from './controller-upcall';
import { applyToReplica, drainMessages, monotonicMs, post, workerLog, yieldToEventLoop } from './worker-util';

/** How many datagrams one receive takes at most (OVS: UPCALL_MAX_BATCH = 64). */
const UPCALL_MAX_BATCH = 64;
/** How long one receive waits, ms: bounds the delay before control messages are applied. */
const RECV_TIMEOUT_MS = 100;

const EEXIST = 17;
const log = workerLog('ofproto_dpif_upcall');

/** One handler's state: its replica of ofproto and its two sockets. */
class Handler {
  readonly replica: OfprotoReplica;
  running = true;
  dpIfindex: number;
  families: OvsFamilies;
  upcallsHandled = 0;
  readonly coverage: SharedCoverage;
  readonly credits = new RuleCredits();
  /** unsupported actions already reported, per bridge */
  private readonly warned = new Set<string>();
  /** rate limit of the messages about action upcalls (OVS's upcall `rl`: 1 a minute, burst 5) */
  private readonly actionUpcallLog = new LogRateLimit(1, 5);

  constructor(
    init: WorkerInit,
    readonly upcalls: NativeChannel,
    readonly txn: NativeChannel,
  ) {
    this.replica = new OfprotoReplica(new MacTable(init.macTable));
    this.dpIfindex = init.dpIfindex;
    this.families = init.families;
    this.coverage = new SharedCoverage(init.coverage);
    if (init.recircPool) setThreadRecircPool(new RecircPool(init.recircPool));
    this.replica.apply(init.config);
  }

  applyControl(): void {
    for (const m of drainMessages()) {
      if (m.type === 'exit') this.running = false;
      else applyToReplica(this.replica, m);
    }
  }

  /** An OVS_PACKET_CMD_ACTION upcall: a packet-in from a userspace(controller) action (controller-upcall.ts). */
  handleActionUpcall(body: Buffer): void {
    let o;
    try {
      o = actionUpcallPacketIn(this.replica, decodePacketMessage(body));
    } catch (e) {
      o = { kind: 'drop', level: 'warn', text: `dropping malformed action upcall: ${(e as Error).message}` } as const;
    }
    this.upcallsHandled++;
    if (o.kind === 'packet-in') post({ type: 'packet-in', bridge: o.bridge, pin: o.pin });
    else if (o.kind === 'drop' && this.actionUpcallLog.allow()) log[o.level](o.text);
  }

  handleBatch(datagrams: Buffer[]): void {
    const requests: Array<[number, Buffer]> = [];
    const kinds = new Map<number, { put: boolean; key: OdpFlowKey; mask?: OdpFlowKey }>();
    const putsThisBatch = new Set<string>();
    const nowMs = monotonicMs();
    const wallMs = Date.now();
    for (const dgram of datagrams) {
      for (const m of splitMessages(dgram)) {
        if (m.type !== this.families.packet) continue;
        const { cmd, body } = decodeGenlHeader(m.payload);
        if (cmd === OVS_PACKET_CMD_ACTION) {
          this.handleActionUpcall(body);
          continue;
        }
        if (cmd !== OVS_PACKET_CMD_MISS) continue;
        let up;
        try {
          up = decodePacketMessage(body);
        } catch (e) {
          log.warn(`dropping malformed upcall: ${(e as Error).message}`);
          continue;
        }
        if (!up.key || !up.keyRaw || !up.packet) continue;
        this.upcallsHandled++;
        const odpFlow = flowFromOdpKey(up.key, (odp) => this.replica.portOfOdp(odp)?.port.ofport ?? 0);
        const x = xlate((odp) => this.replica.portOfOdp(odp), odpFlow.odpInPort, {
          flow: odpFlow.flow, vlanTpid: odpFlow.vlanTpid, nowMs, mayLearn: true, packet: up.packet, allowSideEffects: true,
        });
        this.coverage.add('xlate_actions');
        if (!x.bridge) {
          // Not cached: the port may be joining a bridge right now.
          log.dbg(`upcall on odp port ${odpFlow.odpInPort}, which no bridge owns yet: dropped`);
          continue;
        }
        this.credits.add(x.bridge, x.rules, x.tableLookups, 1n, BigInt(up.packet.length), wallMs);
        for (const p of x.peers ?? []) this.credits.add(p.bridge, p.rules, p.tableLookups, 1n, BigInt(up.packet.length), wallMs);
        for (const name of x.unsupported) {
          if (this.warned.has(`${x.bridge} ${name}`)) continue;
          this.warned.add(`${x.bridge} ${name}`);
          log.warn(`${x.bridge}: action ${name} is not supported yet, skipped in translation`);
        }
        if (x.learns || x.finTimeouts) {
          post({ type: 'xlate-effects', bridge: x.bridge, learns: x.learns ?? [], finTimeouts: x.finTimeouts ?? [] });
        }
        // x.packetIns reach the controllers through the userspace(controller) actions: the
        // execute below makes the kernel send them back as OVS_PACKET_CMD_ACTION upcalls.
        if (!x.slow && !x.slowAction) {
          const mask = odpMaskFromWildcards(odpFlow, x.wc);
          const maskRaw = encodeFlowKey(mask);
          const ufid = megaflowUfid(up.keyRaw, maskRaw);
          const ufidHex = ufid.toString('hex');
          if (!putsThisBatch.has(ufidHex)) {
            putsThisBatch.add(ufidHex);
            const seq = this.txn.nextSeq();
            kinds.set(seq, { put: true, key: up.key, mask });
            requests.push([seq, flowPutRequest(this.families, seq, { dpIfindex: this.dpIfindex, keyRaw: up.keyRaw, maskRaw, actions: x.actions, ufid })]);
          }
        }
        // SLOW_ACTION: the datapath cannot set ARP/ICMP/ND headers; those sets happen here.
        const executes = x.slowAction ? odpExecuteWithHelp(up.packet, x.actions) : [{ packet: up.packet, actions: x.actions }];
        for (const e of executes) {
          if (e.actions.length === 0) continue;
          const seq = this.txn.nextSeq();
          kinds.set(seq, { put: false, key: up.key });
          requests.push([seq, executeRequest(this.families, seq, { dpIfindex: this.dpIfindex, packet: e.packet, keyRaw: up.keyRaw, actions: e.actions, mru: up.mru })]);
        }
      }
    }
    if (requests.length === 0) return;
    let puts = 0;
    for (const k of kinds.values()) if (k.put) puts++;
    this.coverage.add('dpif_flow_put', puts);
    this.coverage.add('dpif_execute', requests.length - puts);
    const acks = this.txn.transactBatch(requests);
    for (const [seq] of requests) {
      const ack = acks.get(seq);
      const kind = kinds.get(seq);
      if (!kind || (ack && (ack.errno === 0 || (ack.errno === EEXIST && kind.put)))) continue;
      const what = `${kind.put ? 'OVS_FLOW_CMD_NEW' : 'OVS_PACKET_CMD_EXECUTE'} ${formatFlowKey(kind.key, kind.mask)}`;
      if (!ack) log.warn(`${what}: no answer from the kernel`);
      else log.warn(`${what}: failed: ${errnoName(ack.errno)}${ack.extack ? ` (kernel says: ${ack.extack})` : ''}`);
    }
  }
}
async function run(): Promise<void> {
  const init = workerData as WorkerInit;
  const upcalls = NativeChannel.open(init.rcvbufBytes);
  const txn = NativeChannel.open(1 << 20);
  const h = new Handler(init, upcalls, txn);
  post({ type: 'ready', portId: upcalls.portId });
  while (h.running) {
    h.applyControl();
    if (!h.running) break;
    let dgrams: Buffer[] = [];
    try {
      dgrams = upcalls.recv(UPCALL_MAX_BATCH, RECV_TIMEOUT_MS);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      log.warn(`handler ${init.index}: receiving upcalls failed: ${err.code ?? ''} ${err.message}`);
    }
    if (dgrams.length) {
      // A configuration posted while recv() blocked (a port that just joined a bridge, whose
      // cur_cfg ovs-vsctl may already have seen) must apply before these upcalls translate.
      h.applyControl();
      try {
        h.handleBatch(dgrams);
      } catch (e) {
        log.err(`handler ${init.index}: batch failed: ${(e as Error).stack ?? e}`);
      }
    }
    h.credits.flush(monotonicMs(), post);
    await yieldToEventLoop();
  }
  h.credits.flush(monotonicMs(), post, true);
  upcalls.close();
  txn.close();
}

run().catch((e) => {
  log.emer(`handler crashed: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
