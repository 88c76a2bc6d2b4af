/**
 * The revalidator: a worker_thread that dumps the kernel's megaflows (every max-idle/4, at most
 * 500 ms apart, and within 100 ms of a flow table or configuration change), deletes those
 * idle longer than `other_config:max-idle` (default 10 000 ms), and re-translates those whose
 * inputs may have changed (a new configuration or flow table version, a MAC table change, or new
 * packets, which also refresh the MAC entries they were learned from), deleting any whose
 * actions are no longer what translation gives, whose translation now needs bits the installed
 * mask leaves out, or that may not be installed any more (OVS's
 * `ofproto/ofproto-dpif-upcall.c` revalidate() semantics; a deleted flow is re-installed
 * correctly by the next upcall). What each flow matched since the previous dump is credited to
 * every rule its translation went through, deleted flows included.
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
import { flowFromOdpKey, odpMaskFromWildcards, wildcardsFromOdpMask } from '../ofproto-dpif/odp-flow';
import { OfprotoReplica } from '../ofproto-dpif/ofproto';
import { xlate, XlateResult } from '../ofproto-dpif/xlate';
import { MacTable } from '../ofproto-dpif/mac-learning';
import { RecircPool, recircIdsOfActions, setThreadRecircPool, threadRecircPool } from '../ofproto-dpif/recirc';
import { SharedCoverage } from '../unixctl/coverage';
import type { WorkerInit } from './messages';
import { RuleCredits } from './rule-credits';
import { applyToReplica, drainMessages, monotonicMs, post, workerLog } from './worker-util';

const ENOENT = 2;
/** Longest pause between dumps, ms (OVS dumps about twice a second under light load). */
const MAX_DUMP_INTERVAL_MS = 500;
/** The least time between two passes that flow table or configuration changes trigger. */
const MIN_CHANGE_INTERVAL_MS = 100;
const log = workerLog('ofproto_dpif_upcall');

/** What we remember about one kernel flow between dumps (OVS: a "ukey"). */
interface Ukey {
  firstSeenMs: number;
  packets: bigint;
  bytes: bigint;
  /** replica generation (configuration and flow tables) it was last translated against */
  generation: number;
  /** shared MAC table generation it was last translated against */
  macGen: number;
  /** the bridge and rules of its last translation, which its statistics are credited to */
  bridge?: string;
  rules?: number[];
  /** the table lookups of that translation (`XlateResult.tableLookups`) */
  tables?: number[];
  /** that translation's rules and lookups in bridges reached through patch ports */
  peers?: XlateResult['peers'];
}

/** True when `b` has a 1-bit where `a` has a 0 (OVS `flow_wildcards_has_extra(a, b)`). */
function hasExtra(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (b[i] & ~a[i]) return true;
  return false;
}

/** The revalidator's state. */
class Revalidator {
  readonly replica: OfprotoReplica;
  readonly ukeys = new Map<string, Ukey>();
  running = true;
  purgeRequested = false;
  /** a flow table or configuration change arrived since the last pass: revalidate soon */
  changed = false;
  maxIdleMs: number;
  readonly coverage: SharedCoverage;
  readonly credits = new RuleCredits();

  constructor(
    readonly init: WorkerInit,
    readonly chan: NativeChannel,
  ) {
    this.maxIdleMs = init.maxIdleMs;
    this.coverage = new SharedCoverage(init.coverage);
    this.replica = new OfprotoReplica(new MacTable(init.macTable));
    if (init.recircPool) setThreadRecircPool(new RecircPool(init.recircPool));
    this.replica.apply(init.config);
  }

  applyControl(): void {
    for (const m of drainMessages()) {
      switch (m.type) {
        case 'settings':
          this.maxIdleMs = m.maxIdleMs;
          break;
        case 'purge':
          this.purgeRequested = true;
          break;
        case 'exit':
          this.running = false;
          break;
        default:
          applyToReplica(this.replica, m);
          // OVS bumps reval_seq on a flow table or configuration change and its revalidators
          // start a pass at once; waiting for the timer left old megaflows forwarding by a
          // replaced rule for up to MAX_DUMP_INTERVAL_MS after the barrier reply.
          this.changed = true;
      }
    }
  }

  interval(): number {
    return Math.max(50, Math.min(MAX_DUMP_INTERVAL_MS, Math.floor(this.maxIdleMs / 4)));
  }

  /** Translates the flow `f` stands for; undefined when it has no key. */
  translate(f: FlowMessage, nowMs: number, mayLearn: boolean): { x: XlateResult; reason?: string } | undefined {
    if (!f.key) return undefined;
    const odpFlow = flowFromOdpKey(f.key, (odp) => this.replica.portOfOdp(odp)?.port.ofport ?? 0);
    const x = xlate((odp) => this.replica.portOfOdp(odp), odpFlow.odpInPort, {
      flow: odpFlow.flow, vlanTpid: odpFlow.vlanTpid, nowMs, mayLearn, allowSideEffects: mayLearn, tcpFlags: f.tcpFlags,
      xcache: true,
    });
    // OVS pushes a megaflow's new packets through its xlate cache: learned rules are refreshed.
    if (x.bridge && (x.learns || x.finTimeouts)) {
      post({ type: 'xlate-effects', bridge: x.bridge, learns: x.learns ?? [], finTimeouts: x.finTimeouts ?? [] });
    }
    this.coverage.add('xlate_actions');
    if (!x.bridge) return { x, reason: `input port ${odpFlow.odpInPort} left its bridge` };
    if (x.slow) return { x, reason: 'no megaflow may be installed for it now' };
    if (x.slowAction) return { x, reason: 'packets now need sets the datapath cannot do (slow path)' };
    const want = formatActions(x.actions);
    const have = formatActions(f.actions ?? []);
    if (want !== have) return { x, reason: `actions changed from ${have} to ${want}` };
    if (f.mask) {
      const installed = wildcardsFromOdpMask(f.mask, odpFlow);
      const needed = wildcardsFromOdpMask(odpMaskFromWildcards(odpFlow, x.wc), odpFlow);
      if (hasExtra(installed, needed)) return { x, reason: 'translation now needs a narrower mask' };
    }
    return { x };
  }

  /**
   * Whether `f` should be deleted now. A flow that saw new packets is re-translated with
   * learning on, which refreshes the MAC entry of its source in the shared table.
   */
  judge(f: FlowMessage, ufidHex: string, nowMs: number, wallMs: number, macGen: number): string | undefined {
    let uk = this.ukeys.get(ufidHex);
    if (!uk) {
      uk = { firstSeenMs: nowMs, packets: 0n, bytes: 0n, generation: -1, macGen };
      this.ukeys.set(ufidHex, uk);
    }
    const packets = f.stats?.packets ?? 0n;
    const bytes = f.stats?.bytes ?? 0n;
    const newPackets = packets > uk.packets;
    const usedMs = f.used !== undefined && f.used > 0n ? Number(f.used) : uk.firstSeenMs;
    let reason: string | undefined;
    if (this.purgeRequested) reason = 'purge';
    else if (nowMs - usedMs > this.maxIdleMs) reason = `idle for ${nowMs - usedMs} ms`;
    // What the flow matched since the last dump went through the rules of the translation that
    // installed it, as OVS pushes stats through the old translation's cache; deleted flows'
    // final counts are credited too.
    let creditTo = uk.bridge && uk.rules ? { bridge: uk.bridge, rules: uk.rules, tables: uk.tables ?? [], peers: uk.peers } : undefined;
    if (!uk.rules || (!reason && (newPackets || uk.generation !== this.replica.generation || uk.macGen !== macGen))) {
      const t = this.translate(f, usedMs, newPackets && !reason);
      if (t) {
        uk.bridge = t.x.bridge;
        uk.rules = t.x.rules;
        uk.tables = t.x.tableLookups;
        uk.peers = t.x.peers;
        reason ??= t.reason;
      }
      uk.generation = this.replica.generation;
      uk.macGen = macGen;
      if (!creditTo && uk.bridge && uk.rules) creditTo = { bridge: uk.bridge, rules: uk.rules, tables: uk.tables ?? [], peers: uk.peers };
    }
    if (newPackets && creditTo) {
      this.credits.add(creditTo.bridge, creditTo.rules, creditTo.tables, packets - uk.packets, bytes > uk.bytes ? bytes - uk.bytes : 0n, wallMs - (nowMs - usedMs));
      for (const p of creditTo.peers ?? []) {
        this.credits.add(p.bridge, p.rules, p.tableLookups, packets - uk.packets, bytes > uk.bytes ? bytes - uk.bytes : 0n, wallMs - (nowMs - usedMs));
      }
    }
    uk.packets = packets;
    uk.bytes = bytes;
    return reason;
  }

  pass(): void {
    // Until the main thread has sent a real configuration (version 0 is the empty one posted at
    // start), every adopted megaflow would translate to "no such bridge" and be deleted: a
    // restarted daemon must leave them forwarding until it knows its bridges.
    if (this.replica.version < 1) return;
    const t0 = monotonicMs();
    const seq = this.chan.nextSeq();
    const bodies = this.chan.dump(flowDumpRequest(this.init.families, seq, this.init.dpIfindex), seq, 'OVS_FLOW_CMD_GET dump');
    const nowMs = monotonicMs();
    const wallMs = Date.now();
    const seen = new Set<string>();
    const dels: Array<[number, Buffer]> = [];
    const why = new Map<number, string>();
    const macGen = this.replica.macTable.generation;
    const recircUsed: number[] = [];
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
      const reason = this.judge(f, ufidHex, nowMs, wallMs, macGen);
      if (reason) {
        const s = this.chan.nextSeq();
        dels.push([s, flowDelRequest(this.init.families, s, this.init.dpIfindex, f.ufid)]);
        why.set(s, `${formatUfid(f.ufid)}: ${reason}`);
        this.ukeys.delete(ufidHex);
      } else {
        // The recirculation ids a kept megaflow matches on or recirculates to stay allocated.
        if (f.key?.recircId) recircUsed.push(f.key.recircId);
        recircIdsOfActions(f.actions ?? [], recircUsed);
      }
    }
    threadRecircPool().sweep(recircUsed, t0);
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
    this.credits.flush(monotonicMs(), post, true);
    post({ type: 'dump-done', flows: bodies.length, deleted: dels.length, durationMs: monotonicMs() - t0, ukeys: this.ukeys.size });
  }
}

async function run(): Promise<void> {
  const init = workerData as WorkerInit;
  const chan = NativeChannel.open(8 << 20);
  const r = new Revalidator(init, chan);
  post({ type: 'ready', portId: chan.portId });
  let next = 0;
  let last = -Infinity;
  while (r.running) {
    r.applyControl();
    if (!r.running) break;
    const now = monotonicMs();
    // A change triggers a pass no sooner than MIN_CHANGE_INTERVAL_MS after the last one, so a
    // burst of flow_mods (or of learned flows) costs a few dumps a second, not one per message.
    if (now >= next || r.purgeRequested || (r.changed && now - last >= MIN_CHANGE_INTERVAL_MS)) {
      r.changed = false;
      last = now;
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
