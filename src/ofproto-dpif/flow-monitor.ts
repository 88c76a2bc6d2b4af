/**
 * Flow monitors of one bridge: OVS 3.1's "ofmonitor" (ofproto/connmgr.c ofmonitor_create,
 * ofmonitor_report, ofmonitor_flush, ofmonitor_resume, and ofproto/ofproto.c
 * handle_flow_monitor_request/_cancel with its refresh-rule collection).
 *
 * A connection adds monitors with a flow monitor request (NXST_FLOW_MONITOR in OpenFlow 1.0–1.2,
 * ONFST_FLOW_MONITOR in 1.3, OFPMP_FLOW_MONITOR in 1.4+), each with an id unique on that
 * connection, a table (255 = all), out_port/out_group filters, a loose match and OFPFMF_* flags.
 * The switch answers with a reply listing the existing rules the new monitors select (if they ask
 * for OFPFMF_INITIAL), then sends one flow monitor reply (xid 0) per flow table change with the
 * added, removed (with reason) and modified rules the connection's monitors select. A change the
 * connection made itself is reported as one "abbreviated" update carrying the request's xid,
 * unless a selecting monitor has OFPFMF_ONLY_OWN (Nicira NXFMF_OWN: "own changes in full").
 *
 * When a connection's output backs up (more than 128 KiB queued after a flush), its updates are
 * paused: a "paused" notification goes out, and from then on only removals of rules added before
 * the pause are reported. Once its queue is empty again, the connection gets full updates for
 * every rule its monitors select that was added or modified meanwhile, then "resumed". OVS counts
 * only the monitor's own queued messages; here the socket's whole write queue
 * (`Vconn.pendingBytes`) is measured, polled every {@link RESUME_POLL_MS} ms while paused.
 *
 * Known differences from OVS, all in corner cases of multi-message transactions:
 * - a bundle's events are derived from its {@link FlowTablesChange}, which does not keep the
 *   order between pure additions and pure deletions, nor rules that a bundle both adds and
 *   removes (OVS reports those as added, then removed);
 * - an add that evicts a rule is reported as the eviction and the addition (OVS reports only the
 *   eviction).
 */
import { isDeepStrictEqual } from 'node:util';
import { OFPG_ANY, OFPP_ANY, OFPTT_ALL } from '../openflow/common';
import type { Ofconn } from '../openflow/connmgr';
import { OfpError } from '../openflow/ofp-errors';
import type { FlowMod } from '../openflow/ofp-flow';
import type { OfpMsg } from '../openflow/ofp-msgs';
import {
  decodeFlowMonitorCancel, decodeFlowMonitorRequest, encodeFlowMonitorPause, encodeFlowUpdates, FlowMonitorRequest,
  FlowUpdate, FullFlowUpdate, OFPFMF_ADD, OFPFMF_INITIAL, OFPFMF_INSTRUCTIONS, OFPFMF_MODIFY, OFPFMF_ONLY_OWN,
  OFPFMF_REMOVED,
} from '../openflow/ofp-monitor';
import { type Ofpact, ofpactsOutputToGroup, ofpactsOutputToPort } from '../openflow/ofpacts';
import { Hmap } from '../util/hmap';
import { hashInt } from '../util/ovs-hash';
import { isLooseMatch } from './classifier';
import { MAX_OPENFLOW_PRIORITY, type FlowTablesChange, type Rule, type RuleQuery } from './flow-table';

/** Queued bytes above which a connection's updates pause (OVS ofmonitor_flush: 128 KiB). */
export const MONITOR_PAUSE_BYTES = 128 * 1024;
/** How often a paused connection's queue is checked, ms (OVS checks every main-loop pass). */
export const RESUME_POLL_MS = 50;

/** Who made a flow table change: the connection and the xid of its request. */
export interface FlowMonitorOrigin {
  ofconn: Ofconn;
  /** xid of the flow_mod (or bundle) that caused the change: abbreviated updates carry it */
  xid: number;
  /** the flow_mods of the change, to tell an add that replaced a rule from a modify */
  flowMods?: readonly FlowMod[];
}

/** What the monitors need of the bridge. */
export interface FlowMonitorsEnv {
  /** the rules `q` selects, in reply order (FlowTables.queryRules) */
  queryRules(q: RuleQuery): Rule[];
  /** number of OpenFlow tables (a monitor of another table is OFPBRC_BAD_TABLE_ID) */
  nTables: number;
  warn(text: string): void;
}

/** One monitor (OVS `struct ofmonitor`). */
type Monitor = Omit<FlowMonitorRequest, 'command'>;

/** A connection's monitors and update state (OVS `ofconn` monitor members). */
interface MonitorConn {
  readonly ofconn: Ofconn;
  readonly monitors: Hmap<number, Monitor>;
  /** 0 while updates flow; while paused, the seqno taken when pausing */
  paused: number;
  /** updates of the current report, sent at flush */
  updates: FlowUpdate[];
  sentAbbrev: boolean;
  resumeTimer?: NodeJS.Timeout;
}

/** One flow table event (OVS ofmonitor_report's arguments). */
interface MonitorEvent {
  rule: Rule;
  event: 'added' | 'removed' | 'modified';
  /** OFPRR_* for removals */
  reason: number;
  /** the replaced rule's actions when a modify changed them (out_port also checks these) */
  oldOfpacts?: readonly Ofpact[];
}

/**
 * The flow monitors of every connection of one bridge.
 */
export class FlowMonitors {
  private readonly conns = new Map<Ofconn, MonitorConn>();
  /** OVS `monitor_seqno`: orders rule additions/modifications against pauses; 0 = never */
  private seqno = 1;
  /** OVS `rule->add_seqno` / `modify_seqno` (rules are immutable here, so kept aside) */
  private readonly ruleSeqnos = new WeakMap<Rule, { add: number; modify: number }>();

  constructor(private readonly env: FlowMonitorsEnv) {}

  /**
   * Handles a flow monitor request (OVS handle_flow_monitor_request): adds, modifies (OpenFlow
   * 1.4: replaces) or deletes (1.4: cancels) the monitors it lists, then answers with the initial
   * updates (event "initial", sent as NXFME_ADDED before 1.4) of the new monitors that asked for
   * them, in a reply with the request's xid (sent even when empty). On an error, the monitors
   * this request created are removed again and nothing is sent.
   * @throws OfpError OFPMOFC_MONITOR_EXISTS (duplicate id; NXBRC_FM_DUPLICATE_ID before 1.4),
   *         OFPMOFC_UNKNOWN_MONITOR (modify/delete of an unknown id), OFPBRC_BAD_TABLE_ID, and
   *         the decoding errors of {@link decodeFlowMonitorRequest}
   */
  handleRequest(c: Ofconn, msg: OfpMsg): void {
    const requests = decodeFlowMonitorRequest(msg);
    const st = this.conn(c);
    const created: Monitor[] = [];
    try {
      for (const rq of requests) {
        if (rq.tableId !== OFPTT_ALL && rq.tableId >= this.env.nTables) {
          throw new OfpError('OFPBRC_BAD_TABLE_ID', `flow monitor table ${rq.tableId}`);
        }
        const { command, ...m } = rq;
        if (command !== 'add') {
          if (!st.monitors.delete(rq.id)) throw new OfpError('OFPMOFC_UNKNOWN_MONITOR', `flow monitor ${rq.id}`);
          if (command === 'delete') continue;
        } else if (st.monitors.get(rq.id)) {
          throw new OfpError('OFPMOFC_MONITOR_EXISTS', `flow monitor ${rq.id}`);
        }
        st.monitors.insert(rq.id, m);
        created.push(m);
      }
    } catch (e) {
      for (const m of created) st.monitors.delete(m.id);
      this.forgetIfIdle(st);
      throw e;
    }
    this.forgetIfIdle(st);
    const rules = new Map<Rule, number>();
    for (const m of created) if (m.flags & OFPFMF_INITIAL) this.collectRefreshRules(m, 0, rules);
    c.send(...encodeFlowUpdates(refreshUpdates(rules), msg.version, msg.xid));
  }

  /**
   * Handles NXT_FLOW_MONITOR_CANCEL / ONFT13_FLOW_MONITOR_CANCEL (OVS handle_flow_monitor_cancel):
   * removes the monitor; nothing is sent on success.
   * @throws OfpError OFPMOFC_UNKNOWN_MONITOR (NXBRC_FM_BAD_ID before 1.4) when the connection has
   *         no monitor with that id
   */
  handleCancel(c: Ofconn, msg: OfpMsg): void {
    const id = decodeFlowMonitorCancel(msg);
    const st = this.conns.get(c);
    if (!st?.monitors.delete(id)) throw new OfpError('OFPMOFC_UNKNOWN_MONITOR', `flow monitor ${id}`);
    this.forgetIfIdle(st);
  }

  /**
   * Reports a flow table change to the monitors that select its rules and sends the resulting
   * updates, one flow monitor reply (xid 0) per connection (OVS ofmonitor_report for each event,
   * then ofmonitor_flush), pausing connections whose output backs up. Hidden rules (priority
   * above 65535) are never reported. An add replacing an identical rule is "added"; a modify is
   * "modified" only if it changed the actions or the cookie.
   * @param origin the connection and request that made the change, if any (own changes are
   *        abbreviated for monitors without OFPFMF_ONLY_OWN)
   */
  report(change: FlowTablesChange, origin?: FlowMonitorOrigin): void {
    if (!this.conns.size) return;
    for (const ev of changeEvents(change, origin?.flowMods)) this.reportEvent(ev, origin);
    this.flush();
  }

  /** Drops connection `c`'s monitors (it disconnected: OVS ofconn_destroy). */
  disconnected(c: Ofconn): void {
    const st = this.conns.get(c);
    if (!st) return;
    clearInterval(st.resumeTimer);
    this.conns.delete(c);
  }

  /** Stops the resume timers (the bridge is going away). */
  close(): void {
    for (const st of this.conns.values()) clearInterval(st.resumeTimer);
    this.conns.clear();
  }

  /** The number of monitors connection `c` has. */
  count(c: Ofconn): number {
    return this.conns.get(c)?.monitors.size ?? 0;
  }

  private conn(c: Ofconn): MonitorConn {
    let st = this.conns.get(c);
    if (!st) {
      st = { ofconn: c, monitors: new Hmap((id) => hashInt(id, 0)), paused: 0, updates: [], sentAbbrev: false };
      this.conns.set(c, st);
    }
    return st;
  }

  /** Forgets a connection without monitors, unless it is paused (its resume must still come). */
  private forgetIfIdle(st: MonitorConn): void {
    if (!st.monitors.size && !st.paused) this.conns.delete(st.ofconn);
  }

  /** OVS ofmonitor_report: queues `ev` as an update for every connection whose monitors select it. */
  private reportEvent(ev: MonitorEvent, origin?: FlowMonitorOrigin): void {
    const { rule } = ev;
    if (rule.priority > MAX_OPENFLOW_PRIORITY) return;
    let update: number;
    if (ev.event === 'added') {
      const s = this.seqno++;
      this.ruleSeqnos.set(rule, { add: s, modify: s });
      update = OFPFMF_ADD;
    } else if (ev.event === 'modified') {
      this.ruleSeqnos.set(rule, { add: this.ruleSeqnos.get(rule)?.add ?? 0, modify: this.seqno++ });
      update = OFPFMF_MODIFY;
    } else {
      update = OFPFMF_REMOVED;
    }
    for (const st of this.conns.values()) {
      // While paused, only removals of rules the controller was told about still go out.
      if (st.paused && (ev.event !== 'removed' || (this.ruleSeqnos.get(rule)?.add ?? 0) > st.paused)) continue;
      let flags = 0;
      for (const m of st.monitors.values()) {
        if (m.flags & update && (m.tableId === OFPTT_ALL || m.tableId === rule.tableId)
          && (hasOutPort(rule.ofpacts, m.outPort) || (ev.oldOfpacts !== undefined && ofpactsOutputToPort(ev.oldOfpacts, m.outPort)))
          && (m.outGroup === OFPG_ANY || ofpactsOutputToGroup(rule.ofpacts, m.outGroup))
          && isLooseMatch(rule.match, m.match)) {
          flags |= m.flags;
        }
      }
      if (!flags) continue;
      if (!st.updates.length) st.sentAbbrev = false;
      if (flags & OFPFMF_ONLY_OWN || st.ofconn !== origin?.ofconn || st.paused) {
        st.updates.push(fullUpdate(rule, ev.event, ev.event === 'removed' ? ev.reason : 0, flags));
      } else if (!st.sentAbbrev) {
        st.updates.push({ event: 'abbrev', xid: origin.xid });
        st.sentAbbrev = true;
      }
    }
  }

  /** OVS ofmonitor_flush: sends the queued updates; pauses a connection whose queue backed up. */
  private flush(): void {
    for (const st of this.conns.values()) {
      const c = st.ofconn;
      if (st.updates.length) {
        try {
          c.send(...encodeFlowUpdates(st.updates, c.version));
        } catch (e) {
          this.env.warn(`${c.name}: cannot send flow monitor updates: ${(e as Error).message}`);
        }
        st.updates = [];
      }
      if (!st.paused && c.vconn.pendingBytes > MONITOR_PAUSE_BYTES) {
        st.paused = this.seqno++;
        c.send(encodeFlowMonitorPause(true, c.version));
        st.resumeTimer = setInterval(() => this.mayResume(st), RESUME_POLL_MS);
        st.resumeTimer.unref();
      }
    }
  }

  /** OVS ofmonitor_run: resumes a paused connection once its queue is empty. */
  private mayResume(st: MonitorConn): void {
    if (st.ofconn.vconn.closed) return this.disconnected(st.ofconn);
    if (st.ofconn.vconn.pendingBytes) return;
    clearInterval(st.resumeTimer);
    st.resumeTimer = undefined;
    const rules = new Map<Rule, number>();
    for (const m of st.monitors.values()) this.collectRefreshRules(m, st.paused, rules);
    const c = st.ofconn;
    const msgs = rules.size ? encodeFlowUpdates(refreshUpdates(rules), c.version) : [];
    c.send(...msgs, encodeFlowMonitorPause(false, c.version));
    st.paused = 0;
    this.forgetIfIdle(st);
  }

  /**
   * OVS ofproto_collect_ofmonitor_refresh_rules: adds to `rules` (rule → OFPFMF_* flags) the
   * rules monitor `m` selects; with `seqno` 0 for an initial reply, else only those added or
   * modified after `seqno` (on resume) that `m` wants to hear about.
   */
  private collectRefreshRules(m: Monitor, seqno: number, rules: Map<Rule, number>): void {
    const q: RuleQuery = { tableId: m.tableId, match: m.match, cookie: 0n, cookieMask: 0n, outPort: m.outPort, outGroup: m.outGroup };
    for (const r of this.env.queryRules(q)) {
      let update = OFPFMF_INITIAL;
      if (seqno) {
        const s = this.ruleSeqnos.get(r);
        if (s && s.add > seqno) update = OFPFMF_ADD | OFPFMF_MODIFY;
        else if (s && s.modify > seqno) update = OFPFMF_MODIFY;
        else continue;
        if (!(m.flags & update)) continue;
      }
      rules.set(r, (rules.get(r) ?? 0) | update | (m.flags & OFPFMF_INSTRUCTIONS));
    }
  }
}

/** OVS `ofproto_rule_has_out_port`. */
function hasOutPort(ofpacts: readonly Ofpact[], port: number): boolean {
  return port === OFPP_ANY || ofpactsOutputToPort(ofpacts, port);
}

/** A full update describing `rule`; the actions only if the monitors asked for them. */
function fullUpdate(rule: Rule, event: FullFlowUpdate['event'], reason: number, flags: number): FullFlowUpdate {
  return {
    event, reason, priority: rule.priority, idleTimeout: rule.idleTimeout, hardTimeout: rule.hardTimeout,
    tableId: rule.tableId, cookie: rule.cookie, match: rule.match,
    ofpacts: flags & OFPFMF_INSTRUCTIONS ? rule.ofpacts : [],
  };
}

/** OVS ofmonitor_compose_refresh_updates: initial, else added, else modified. */
function refreshUpdates(rules: Map<Rule, number>): FlowUpdate[] {
  return [...rules].map(([r, flags]) => fullUpdate(r,
    flags & OFPFMF_INITIAL ? 'initial' : flags & OFPFMF_ADD ? 'added' : 'modified', 0, flags));
}

/**
 * The events of a change in the order OVS reports them (replace_rule_finish,
 * delete_flows_finish__, add_flow_finish): each removal in turn, a replacement as "added" (add)
 * or "modified" (modify, only if actions or cookie changed), and each pure addition before the
 * first replacement that follows it in `added`.
 */
function changeEvents(change: FlowTablesChange, flowMods?: readonly FlowMod[]): MonitorEvent[] {
  const replacements = new Set<Rule>();
  for (const rr of change.removed) if (rr.replacedBy) replacements.add(rr.replacedBy);
  const events: MonitorEvent[] = [];
  let next = 0;
  const addsBefore = (stop?: Rule): void => {
    for (; next < change.added.length && change.added[next] !== stop; next++) {
      const r = change.added[next];
      if (!replacements.has(r)) events.push({ rule: r, event: 'added', reason: 0 });
    }
  };
  for (const rr of change.removed) {
    const by = rr.replacedBy;
    if (!by) {
      events.push({ rule: rr.rule, event: 'removed', reason: rr.reason ?? 0 });
      continue;
    }
    addsBefore(by);
    if (change.added[next] === by) next++;
    if (replacedByAdd(by, flowMods)) {
      events.push({ rule: by, event: 'added', reason: 0 });
      continue;
    }
    const changedActions = !isDeepStrictEqual(by.ofpacts, rr.rule.ofpacts);
    if (changedActions || by.cookie !== rr.rule.cookie) {
      events.push({ rule: by, event: 'modified', reason: 0, oldOfpacts: changedActions ? rr.rule.ofpacts : undefined });
    }
  }
  addsBefore();
  return events;
}

/**
 * Whether `by` replaced a rule through an add (OVS reports "added") rather than a modify: the
 * flow_mods tell when those that can replace rules are all adds or all modifies; otherwise an add
 * is what makes a rule whose creation time is its installation time (a modify keeps the old
 * creation time), so a modify of a rule created in the same millisecond reads as an add.
 */
function replacedByAdd(by: Rule, flowMods?: readonly FlowMod[]): boolean {
  const replacing = flowMods?.filter((fm) => fm.command !== 'delete' && fm.command !== 'delete_strict') ?? [];
  const adds = replacing.filter((fm) => fm.command === 'add').length;
  if (replacing.length && adds === replacing.length) return true;
  if (replacing.length && adds === 0) return false;
  return by.createdMs === by.modifiedMs;
}
