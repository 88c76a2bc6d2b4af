/**
 * The revalidator: a worker_thread that periodically dumps the kernel's megaflows, deletes those
 * idle longer than `other_config:max-idle` (default 10 000 ms), and re-translates those whose
 * inputs may have changed (a new configuration, a MAC table change, or new packets, which also
 * refresh the MAC entries they were learned from), deleting any whose actions are no longer what
 * translation gives (OVS's `ofproto/ofproto-dpif-upcall.c` revalidate() semantics; a deleted flow
 * is re-installed correctly by the next upcall).
 *
 * Idle time follows the kernel: `OVS_FLOW_ATTR_USED` is CLOCK_MONOTONIC ms of the last packet;
 * a flow that never matched a packet counts from when we first saw it in a dump.
 */
import { workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeChannel } from '../dpif-netlink/channel';
import { flowDelRequest, flowDumpRequest } from '../dpif-netlink/requests';
import { formatUfid } from '../dpif-netlink/ufid';
import { decodeFlowMessage, FlowMessage } from '../genl/messages';
import { formatActions } from '../genl/actions';
import { errnoName } from '../genl/netlink';
import { flowFromOdpKey } from '../ofproto-dpif/flow';
import { OfprotoReplica } from '../ofproto-dpif/ofproto';
import { xlate } from '../ofproto-dpif/xlate';
import { MacTable } from '../ofproto-dpif/mac-learning';
import { RuleStats } from '../ofproto-dpif/rule-stats';
import { SharedCoverage } from '../unixctl/coverage';
import type { WorkerInit } from './messages';
import { drainMessages, monotonicMs, post, workerLog } from './worker-util';

const ENOENT = 2;
/** Longest pause between dumps, ms (OVS dumps about twice a second under light load). */
const MAX_DUMP_INTERVAL_MS = 500;
const log = workerLog('ofproto_dpif_upcall');

/** What we remember about one kernel flow between dumps (OVS: a "ukey"). */
interface Ukey {
  firstSeenMs: number;
  packets: bigint;
  bytes: bigint;
  /** ofproto config version it was last translated against */
  version: number;
  /** shared MAC table generation it was last translated against */
  macGen: number;
}

/** The revalidator's state. */
class Revalidator {
  readonly replica: OfprotoReplica;
  readonly ukeys = new Map<string, Ukey>();
  running = true;
  purgeRequested = false;
  maxIdleMs: number;
  readonly coverage: SharedCoverage;
  readonly ruleStats: RuleStats;

  constructor(
    readonly init: WorkerInit,
    readonly chan: NativeChannel,
  ) {
    this.maxIdleMs = init.maxIdleMs;
    this.coverage = new SharedCoverage(init.coverage);
    this.ruleStats = new RuleStats(init.ruleStats);
    this.replica = new OfprotoReplica(new MacTable(init.macTable));
    this.replica.apply(init.config);
  }

  applyControl(): void {
    for (const m of drainMessages()) {
      switch (m.type) {
        case 'config':
          this.replica.apply(m.config);
          break;
        case 'settings':
          this.maxIdleMs = m.maxIdleMs;
          break;
        case 'purge':
          this.purgeRequested = true;
          break;
        case 'exit':
          this.running = false;
          break;
      }
    }
  }

  interval(): number {
    return Math.max(50, Math.min(MAX_DUMP_INTERVAL_MS, Math.floor(this.maxIdleMs / 4)));
  }

  /**
   * Whether `f` should be deleted now. A flow that saw new packets is re-translated with
   * learning on, which refreshes the MAC entry of its source in the shared table.
   */
  judge(f: FlowMessage, ufidHex: string, nowMs: number, macGen: number): string | undefined {
    let uk = this.ukeys.get(ufidHex);
    if (!uk) {
      uk = { firstSeenMs: nowMs, packets: 0n, bytes: 0n, version: this.replica.version, macGen };
      this.ukeys.set(ufidHex, uk);
    }
    // What the flow matched since the last dump goes to its bridge's rule, also when the flow is
    // about to be deleted (OVS pushes a deleted flow's final stats).
    const packets = f.stats?.packets ?? 0n;
    const bytes = f.stats?.bytes ?? 0n;
    const newPackets = packets > uk.packets;
    const bridge = f.key?.inPort !== undefined ? this.replica.portOfOdp(f.key.inPort)?.bridge : undefined;
    if (newPackets && bridge) this.ruleStats.credit(bridge.config.id, packets - uk.packets, bytes > uk.bytes ? bytes - uk.bytes : 0n);
    uk.packets = packets;
    uk.bytes = bytes;
    const usedMs = f.used !== undefined && f.used > 0n ? Number(f.used) : uk.firstSeenMs;
    if (this.purgeRequested) return 'purge';
    if (nowMs - usedMs > this.maxIdleMs) return `idle for ${nowMs - usedMs} ms`;
    if (!newPackets && uk.version === this.replica.version && uk.macGen === macGen) return undefined;
    uk.version = this.replica.version;
    uk.macGen = macGen;
    if (!f.key) return undefined;
    const flow = flowFromOdpKey(f.key, (odp) => this.replica.portOfOdp(odp)?.port.ofport ?? 0);
    const x = xlate(this.replica, { flow, nowMs: usedMs, mayLearn: newPackets });
    this.coverage.add('xlate_actions');
    const want = formatActions(x.actions);
    const have = formatActions(f.actions ?? []);
    if (!x.bridge) return `input port ${flow.odpInPort} left its bridge`;
    if (want !== have) return `actions changed from ${have} to ${want}`;
    return undefined;
  }

  pass(): void {
    const t0 = monotonicMs();
    const seq = this.chan.nextSeq();
    const bodies = this.chan.dump(flowDumpRequest(this.init.families, seq, this.init.dpIfindex), seq, 'OVS_FLOW_CMD_GET dump');
    const nowMs = monotonicMs();
    const seen = new Set<string>();
    const dels: Array<[number, Buffer]> = [];
    const why = new Map<number, string>();
    const macGen = this.replica.macTable.generation;
    for (const body of bodies) {
      let f: FlowMessage;
      try {
        f = decodeFlowMessage(body);
      } catch (e) {
        log.warn(`skipping undecodable dumped flow: ${(e as Error).message}`);
        continue;
      }
      if (!f.ufid) continue; // not ours (e.g. added by ovs-dpctl without a UFID): left alone
      const ufidHex = f.ufid.toString('hex');
      seen.add(ufidHex);
      const reason = this.judge(f, ufidHex, nowMs, macGen);
      if (reason) {
        const s = this.chan.nextSeq();
        dels.push([s, flowDelRequest(this.init.families, s, this.init.dpIfindex, f.ufid)]);
        why.set(s, `${formatUfid(f.ufid)}: ${reason}`);
        this.ukeys.delete(ufidHex);
      }
    }
    for (const k of [...this.ukeys.keys()]) if (!seen.has(k)) this.ukeys.delete(k);
    this.purgeRequested = false;
    if (dels.length) {
      this.coverage.add('dpif_flow_del', dels.length);
      const acks = this.chan.transactBatch(dels);
      for (const [s] of dels) {
        const ack = acks.get(s);
        if (!ack) log.warn(`deleting flow ${why.get(s)}: no answer from the kernel`);
        else if (ack.errno && ack.errno !== ENOENT) log.warn(`deleting flow ${why.get(s)}: ${errnoName(ack.errno)}`);
        else log.dbg(`deleted flow ${why.get(s)}`);
      }
    }
    post({ type: 'dump-done', flows: bodies.length, deleted: dels.length, durationMs: monotonicMs() - t0, ukeys: this.ukeys.size });
  }
}

async function run(): Promise<void> {
  const init = workerData as WorkerInit;
  const chan = NativeChannel.open(8 << 20);
  const r = new Revalidator(init, chan);
  post({ type: 'ready', portId: chan.portId });
  let next = 0;
  while (r.running) {
    r.applyControl();
    if (!r.running) break;
    const now = monotonicMs();
    if (now >= next || r.purgeRequested) {
      try {
        r.pass();
      } catch (e) {
        log.warn(`revalidator pass failed: ${(e as Error).message}`);
      }
      next = monotonicMs() + r.interval();
    }
    await sleep(Math.min(50, Math.max(1, next - monotonicMs())));
  }
  chan.close();
}

run().catch((e) => {
  log.emer(`revalidator crashed: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
