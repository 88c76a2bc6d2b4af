/**
 * The OpenFlow flow tables of one bridge and the semantics of flow_mod on them, as OVS 3.1's
 * ofproto/ofproto.c implements them (add_flow_*, modify_flows_*, delete_flows_*,
 * collect_rules_loose/strict, the eviction code and ofproto-dpif's rule_expire):
 *
 * - tables 0..254 (ofproto-dpif's N_TABLES = 255); table 254 (TBL_INTERNAL) is hidden and
 *   read-only, for the bridge's own internal rules;
 * - add replaces a rule with identical match and priority, keeping its counters unless
 *   OFPUTIL_FF_RESET_COUNTS; CHECK_OVERLAP refuses an overlapping rule of equal priority
 *   (OFPFMFC_OVERLAP); a table at its flow limit evicts or refuses (OFPFMFC_TABLE_FULL);
 * - modify/modify_strict replace the actions (and maybe the cookie) of the rules they select,
 *   keeping timeouts, flags, importance, creation time and counters; a modify that selects
 *   nothing adds a rule when the flow_mod carries a new cookie and no cookie mask;
 * - delete/delete_strict with cookie/cookie_mask, out_port and out_group filters;
 * - flow and aggregate statistics with the same selection; idle and hard timeouts; per-rule and
 *   per-table counters; per-table configuration (OVSDB Flow_Table and OpenFlow table_mod).
 *
 * Every change happens in a transaction that makes its new rules visible, and its removed rules
 * invisible, in the next version of the tables at once (see ./classifier), and yields a
 * {@link FlowTablesChange}: the main thread ships its {@link FlowTablesDelta} to the workers'
 * {@link FlowTablesReplica}s as one message, so a worker applies a flow_mod (or a bundle) whole
 * between two batches and never translates against half of one.
 *
 * Times are milliseconds of the clock given to the constructor (OVS `time_msec()`); OpenFlow
 * timeouts and ages are seconds.
 */
import type { Match } from '../openflow/match';
import {
  OFPRR_DELETE, OFPRR_EVICTION, OFPRR_HARD_TIMEOUT, OFPRR_IDLE_TIMEOUT,
  OFPUTIL_FF_CHECK_OVERLAP, OFPUTIL_FF_NO_READONLY, OFPUTIL_FF_RESET_COUNTS,
  OFPUTIL_FF_SEND_FLOW_REM, OFPUTIL_FF_STATE, UINT64_MAX,
  type FlowMod, type FlowModCommand, type FlowRemoved, type FlowStats,
} from '../openflow/ofp-flow';
import { OfpError } from '../openflow/ofp-errors';
import {
  EVICTION_FLAGS_NONE, OFPTMPEF14_IMPORTANCE, OFPTMPEF14_LIFETIME, OFPTMPEF14_OTHER,
  OFPTR_VACANCY_DOWN, OFPTR_VACANCY_UP, type TableDesc, type TableMiss, type TableMod, type TableStatus,
} from '../openflow/ofp-table';
import { type Ofpact, ofpactsOutputToGroup, ofpactsOutputToPort } from '../openflow/ofpacts';
import { OFPG_ANY, OFPP_ANY, OFPTT_ALL, OFP_NO_BUFFER } from '../openflow/common';
import { Classifier, CLS_VERSION_MAX, clsMatchEqual, isLooseMatch, type ClsMatch } from './classifier';
import { clsPrefixFields, ofClassifierOptions } from './cls-fields';

/** ofproto-dpif's number of OpenFlow tables (ofproto/ofproto-dpif.h `N_TABLES`). */
export const N_TABLES = 255;
/** ofproto-dpif's hidden, read-only table of internal rules (`TBL_INTERNAL`). */
export const TBL_INTERNAL = N_TABLES - 1;
/** Rules above this priority are hidden from OpenFlow (in-band, fail-open: `rule_is_hidden`). */
export const MAX_OPENFLOW_PRIORITY = 0xffff;

/** A table's flow limit when none is configured (`UINT_MAX`). */
export const UINT_MAX = 0xffffffff;

/** The eviction criteria OVS reports and accepts (`OFPROTO_EVICTION_FLAGS`). */
export const OFPROTO_EVICTION_FLAGS = OFPTMPEF14_OTHER | OFPTMPEF14_IMPORTANCE | OFPTMPEF14_LIFETIME;

/** Eviction enabled through OVSDB `Flow_Table:overflow_policy=evict` (`EVICTION_CLIENT`). */
const EVICTION_CLIENT = 1 << 0;
/** Eviction enabled through an OpenFlow 1.4+ table_mod (`EVICTION_OPENFLOW`). */
const EVICTION_OPENFLOW = 1 << 1;

/**
 * One flow table entry. Identity fields never change once the rule is in a table (a modify
 * creates a new rule with a new id); the timeouts change only through
 * {@link FlowTables.reduceTimeouts}, the counters only through {@link FlowTables.creditStats}.
 */
export interface Rule {
  /** unique within its FlowTables, never reused; names the rule to workers and in stats credits */
  readonly id: number;
  readonly tableId: number;
  readonly match: Match;
  readonly priority: number;
  readonly cookie: bigint;
  /** eviction precedence (OpenFlow 1.4 `importance`): lower is evicted first */
  readonly importance: number;
  /** OFPUTIL_FF_* flags kept as state (OFPUTIL_FF_STATE) */
  readonly flags: number;
  /** never mutated (shared by the rules one modify creates) */
  readonly ofpacts: Ofpact[];
  /** when the rule (or the one it modified) was added: `duration` in flow stats */
  readonly createdMs: number;
  /** when this version of the rule was installed: the hard timeout runs from here */
  readonly modifiedMs: number;
  /** seconds, 0 = none */
  idleTimeout: number;
  hardTimeout: number;
  packetCount: bigint;
  byteCount: bigint;
  /** last time a packet hit the rule (initially `modifiedMs`): the idle timeout runs from here */
  usedMs: number;
}

/** A rule that left the tables. */
export interface RemovedRule {
  rule: Rule;
  /** OFPRR_* for a removal, undefined when `replacedBy` took its place (add/modify) */
  reason?: number;
  replacedBy?: Rule;
}

/** What one transaction (flow_mod, bundle, expiry, eviction) changed. */
export interface FlowTablesChange {
  /** the tables version in which the change is visible */
  version: number;
  /** rules that became visible, replacements included, in the order they were created */
  added: Rule[];
  /**
   * rules that stopped being visible: replaced ones (with `replacedBy`), removed ones (with a
   * reason), and rules both added and removed within the transaction (which `added` omits)
   */
  removed: RemovedRule[];
  /** OpenFlow 1.4 vacancy events the change triggered (OFPT_TABLE_STATUS to send) */
  tableStatus: TableStatus[];
  /** tables whose prefix-tracked fields (`Flow_Table.prefixes`) changed: [tableId, fields] */
  prefixes?: [number, string[]][];
}

/** A rule as workers hold it: plain, structured-cloneable data, no counters. */
export interface RuleSnapshot {
  id: number;
  tableId: number;
  priority: number;
  /** the match's flow and wildcard bytes (Buffers arrive as Uint8Arrays after postMessage) */
  match: { flow: Uint8Array; wc: Uint8Array };
  cookie: bigint;
  flags: number;
  importance: number;
  idleTimeout: number;
  hardTimeout: number;
  ofpacts: Ofpact[];
}

/** The message that brings a replica from one version to the next (or, if `full`, rebuilds it). */
export interface FlowTablesDelta {
  version: number;
  /** true: forget every rule first (initial sync) */
  full: boolean;
  /** ids of the rules to drop */
  removed: number[];
  added: RuleSnapshot[];
  /** tables whose prefix-tracked fields differ from before (full: from the default) */
  prefixes?: [number, string[]][];
}

/** The rule selection of flow stats/aggregate requests and of modify/delete (OVS `rule_criteria`). */
export interface RuleQuery {
  /** a table, or OFPTT_ALL (255) for every visible table */
  tableId: number;
  match: Match;
  cookie: bigint;
  cookieMask: bigint;
  /** 16-bit port; OFPP_ANY = no filter */
  outPort: number;
  /** OFPG_ANY = no filter */
  outGroup: number;
}

/** OVSDB `Flow_Table` settings of one table (ovs-vswitchd.conf.db(5)). */
export interface TableSettings {
  /** `name`; undefined or '' = unnamed */
  name?: string;
  /** `flow_limit`; undefined = unlimited (UINT_MAX) */
  flowLimit?: number;
  /** `overflow_policy`; default 'refuse' */
  overflowPolicy?: 'refuse' | 'evict';
  /**
   * `groups`, as a FLOW_LEN-byte mask of the (sub)fields that divide the table into eviction
   * groups; undefined = one group. The bridge converts the NXM subfield strings.
   */
  evictionGroupMask?: Uint8Array;
  /** `prefixes` field names (default ip_dst, ip_src), kept for the classifier's prefix tries */
  prefixes?: string[];
}

/** A table's current configuration and counters, as table stats/features/desc report them. */
export interface TableInfo {
  tableId: number;
  name?: string;
  /** rules in the table (table 0: without hidden rules), OpenFlow `active_count` */
  activeCount: number;
  lookupCount: bigint;
  matchedCount: bigint;
  /** `max_flows`: UINT_MAX when unlimited */
  flowLimit: number;
  /** eviction on via OVSDB or via OpenFlow */
  eviction: boolean;
  /** eviction turned on by an OpenFlow table_mod (what table-desc reports) */
  evictionOpenFlow: boolean;
  miss: TableMiss;
  prefixes: readonly string[];
  hidden: boolean;
  readonly: boolean;
}

/** Options of {@link FlowTables}. */
export interface FlowTablesOptions {
  /** number of tables; default N_TABLES (the last one is hidden and read-only) */
  nTables?: number;
  /** the clock, ms; default Date.now */
  now?: () => number;
  /**
   * Checks actions against the bridge (ports, groups, meters exist: OVS
   * `ofproto_check_ofpacts`) before a rule is added or modified.
   * @throws OfpError to refuse the flow_mod
   */
  checkOfpacts?: (ofpacts: Ofpact[]) => void;
}

/** Thrown by {@link FlowTables.flowMods}: flow_mod `index` failed and nothing was applied. */
export class FlowModsError extends Error {
  constructor(readonly index: number, readonly error: OfpError) {
    super(`flow_mod ${index}: ${error.message}`);
    this.name = 'FlowModsError';
  }
}

/** Longest table name OVS keeps (`OFP_MAX_TABLE_NAME_LEN`). */
const OFP_MAX_TABLE_NAME_LEN = 32;

/** The prefixes a table tracks unless configured (bridge.c `default_prefix_fields`). */
const DEFAULT_PREFIXES: readonly string[] = ['ip_dst', 'ip_src'];

interface OfTable {
  readonly id: number;
  readonly cls: Classifier<Rule>;
  nFlows: number;
  nHidden: number;
  name?: string;
  maxFlows: number;
  eviction: number;
  evictionGroupMask?: Uint8Array;
  prefixes: readonly string[];
  miss: TableMiss;
  hidden: boolean;
  readonly: boolean;
  vacancyDown: number;
  vacancyUp: number;
  /** the vacancy event armed next, 0 = vacancy events off (`vacancy_event`) */
  vacancyEvent: number;
  nMatched: bigint;
  nMissed: bigint;
  /** rules with a timeout: the expirable and the evictable ones */
  readonly timed: Set<Rule>;
}

/** One step of a transaction, enough to undo it or to report it. */
interface Op {
  /** rules taken out (replaced, evicted or deleted) */
  readonly old: Rule[];
  /** rules put in; when `replace`, new[i] replaces old[i] */
  readonly new: Rule[];
  /** old[i] is replaced by new[i] (add over an identical rule, modify) */
  readonly replace: boolean;
  /** the reason old rules leave when not replaced */
  readonly reason: number;
  /** replacements took over the old rules' counters (no OFPUTIL_FF_RESET_COUNTS) */
  readonly keepCounts: boolean;
}

/** Forwarding of a replaced rule's late statistics to its replacement (ofproto-dpif `new_rule`). */
interface Forward {
  to: Rule;
  counts: boolean;
  /** when the rule was replaced, Date.now() ms */
  atMs: number;
}

/** `calc_duration`: elapsed ms as OpenFlow's seconds + nanoseconds. */
function duration(fromMs: number, nowMs: number): { sec: number; nsec: number } {
  const ms = Math.max(0, nowMs - fromMs);
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };
}

/** `age_secs`: elapsed ms as seconds, clamped to 0..65535. */
function ageSecs(ms: number): number {
  return ms < 0 ? 0 : ms >= 0xffff * 1000 ? 0xffff : Math.floor(ms / 1000);
}

/** Returns true when a rule's cookie passes a cookie/mask filter (OpenFlow 1.1 §A.3.4.1). */
function cookieMatches(cookie: bigint, want: bigint, mask: bigint): boolean {
  return ((cookie ^ want) & mask) === 0n;
}

/** A rule's snapshot for workers. */
export function ruleSnapshot(r: Rule): RuleSnapshot {
  return {
    id: r.id, tableId: r.tableId, priority: r.priority, match: { flow: r.match.flow, wc: r.match.wc },
    cookie: r.cookie, flags: r.flags, importance: r.importance, idleTimeout: r.idleTimeout,
    hardTimeout: r.hardTimeout, ofpacts: r.ofpacts,
  };
}

/** The delta that carries `change` to the workers. */
export function flowTablesDelta(change: FlowTablesChange): FlowTablesDelta {
  return {
    version: change.version, full: false,
    removed: change.removed.map((r) => r.rule.id), added: change.added.map(ruleSnapshot),
    ...(change.prefixes ? { prefixes: change.prefixes } : {}),
  };
}

/**
 * Returns true when `removed` calls for a FLOW_REMOVED message: it left for a reason (not
 * replaced), asked for one (OFPFF_SEND_FLOW_REM) and is not hidden (OVS `rule_destroy_cb`).
 */
export function wantsFlowRemoved(removed: RemovedRule): boolean {
  return removed.reason !== undefined && (removed.rule.flags & OFPUTIL_FF_SEND_FLOW_REM) !== 0
    && removed.rule.priority <= MAX_OPENFLOW_PRIORITY;
}

/** The FLOW_REMOVED body for `removed` at `nowMs` (OVS `ofproto_rule_send_removed`). */
export function flowRemovedOf(removed: RemovedRule, nowMs: number): FlowRemoved {
  const r = removed.rule;
  const d = duration(r.createdMs, nowMs);
  return {
    match: r.match, cookie: r.cookie, priority: r.priority, reason: removed.reason ?? OFPRR_DELETE,
    tableId: r.tableId, durationSec: d.sec, durationNsec: d.nsec, idleTimeout: r.idleTimeout,
    hardTimeout: r.hardTimeout, packetCount: r.packetCount, byteCount: r.byteCount,
  };
}

/**
 * The flow tables of one bridge. All methods are synchronous and either complete or throw
 * without changing anything.
 */
export class FlowTables {
  private currentVersion = 0;
  private readonly tables: OfTable[] = [];
  private readonly byId = new Map<number, Rule>();
  private readonly byCookie = new Map<bigint, Set<Rule>>();
  private readonly forwards = new Map<number, Forward>();
  private nextId = 1;
  private readonly clock: () => number;
  private readonly checkOfpacts?: (ofpacts: Ofpact[]) => void;

  constructor(opts: FlowTablesOptions = {}) {
    const n = opts.nTables ?? N_TABLES;
    this.clock = opts.now ?? Date.now;
    this.checkOfpacts = opts.checkOfpacts;
    for (let id = 0; id < n; id++) {
      const internal = n === N_TABLES && id === TBL_INTERNAL;
      this.tables.push({
        id, cls: new Classifier<Rule>(ofClassifierOptions()), nFlows: 0, nHidden: 0, maxFlows: UINT_MAX, eviction: 0,
        prefixes: DEFAULT_PREFIXES, miss: 'default', hidden: internal, readonly: internal,
        vacancyDown: 0, vacancyUp: 0, vacancyEvent: 0, nMatched: 0n, nMissed: 0n, timed: new Set(),
      });
    }
  }

  /** The current version: bumped by every transaction that changed a rule. */
  get version(): number {
    return this.currentVersion;
  }

  /** Number of tables (`n_tables`). */
  get nTables(): number {
    return this.tables.length;
  }

  /** The live rule with this id, if any. */
  rule(id: number): Rule | undefined {
    return this.byId.get(id);
  }

  /** Number of rules in every table (hidden ones included). */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Every rule of table `tableId` (or of every table, hidden ones included, for OFPTT_ALL),
   * table by table, each in classifier iteration order (what `ovs-ofctl dump-flows` shows).
   */
  rules(tableId = OFPTT_ALL): Rule[] {
    if (tableId !== OFPTT_ALL) return this.tables[tableId]?.cls.rules() ?? [];
    return this.tables.flatMap((t) => t.cls.rules());
  }

  /**
   * The highest-priority rule of table `tableId` matching `flow`, OR-ing into `wc` the bits the
   * decision depended on (see ./classifier). Does not count in the table statistics.
   */
  lookup(tableId: number, flow: Uint8Array, wc?: Uint8Array): Rule | undefined {
    return this.tables[tableId]?.cls.lookup(flow, wc);
  }

  /**
   * Applies one flow_mod atomically (OVS `handle_flow_mod__`: init, start, version bump, finish).
   * @throws OfpError OFPBRC_BAD_TABLE_ID, OFPBRC_EPERM (read-only table), OFPBRC_BUFFER_UNKNOWN
   *         (add/modify with a buffer id: OVS buffers no packets), OFPFMFC_OVERLAP,
   *         OFPFMFC_TABLE_FULL, or whatever `checkOfpacts` throws; nothing changes then
   */
  flowMod(fm: FlowMod): FlowTablesChange {
    try {
      return this.flowMods([fm]);
    } catch (e) {
      throw e instanceof FlowModsError ? e.error : e;
    }
  }

  /**
   * Applies flow_mods as one transaction (an OpenFlow 1.4 atomic bundle commit): each sees the
   * effect of those before it, all become visible in one version, and if one fails none is
   * applied.
   * @throws FlowModsError naming the failing flow_mod and its OfpError
   */
  flowMods(fms: readonly FlowMod[]): FlowTablesChange {
    const version = this.version + 1;
    const now = this.clock();
    const ops: Op[] = [];
    for (let i = 0; i < fms.length; i++) {
      try {
        ops.push(this.start(fms[i], version, now));
      } catch (e) {
        for (const op of ops.reverse()) this.revert(op);
        if (e instanceof OfpError) throw new FlowModsError(i, e);
        throw e;
      }
    }
    return this.finish(ops, version);
  }

  /**
   * Removes the rules that `pick` selects with `reason` (OFPRR_GROUP_DELETE when their group
   * goes, OFPRR_METER_DELETE when their meter goes), in one transaction.
   */
  deleteRules(pick: (r: Rule) => boolean, reason: number): FlowTablesChange {
    const rules = [...this.byId.values()].filter(pick);
    const version = this.version + 1;
    return this.finish([this.deleteStart(rules, version, reason)], version);
  }

  /**
   * Removes every rule whose hard timeout (counted from `modifiedMs`) or idle timeout (counted
   * from `usedMs`) has passed at `nowMs`, hard first (ofproto-dpif `rule_expire`). Call it when
   * the statistics are fresh (after a revalidator dump), as OVS does. The caller sends
   * FLOW_REMOVED for those with {@link wantsFlowRemoved}.
   */
  expire(nowMs = this.clock()): FlowTablesChange {
    const hard: Rule[] = [];
    const idle: Rule[] = [];
    for (const t of this.tables) {
      for (const r of t.timed) {
        if (r.hardTimeout && nowMs > r.modifiedMs + r.hardTimeout * 1000) hard.push(r);
        else if (r.idleTimeout && nowMs > r.usedMs + r.idleTimeout * 1000) idle.push(r);
      }
    }
    const version = this.version + 1;
    return this.finish([
      this.deleteStart(hard, version, OFPRR_HARD_TIMEOUT),
      this.deleteStart(idle, version, OFPRR_IDLE_TIMEOUT),
    ], version);
  }

  /**
   * Lowers a rule's timeouts to at most `idleTimeout`/`hardTimeout` seconds, 0 meaning "leave"
   * (the `fin_timeout` action; OVS `ofproto_rule_reduce_timeouts`).
   * @returns false if the rule is gone
   */
  reduceTimeouts(ruleId: number, idleTimeout: number, hardTimeout: number): boolean {
    const r = this.byId.get(ruleId);
    if (!r) return false;
    const reduce = (max: number, cur: number): number => (max && (!cur || cur > max) ? max : cur);
    const table = this.tables[r.tableId];
    this.unindexTimed(table, r);
    r.idleTimeout = reduce(idleTimeout, r.idleTimeout);
    r.hardTimeout = reduce(hardTimeout, r.hardTimeout);
    this.indexTimed(table, r);
    return true;
  }

  /**
   * Credits datapath statistics to rule `ruleId`: packets and bytes are added, the last-used
   * time moves forward to `usedMs`. Credits for a rule replaced by add/modify go to its
   * replacement (the counters only if the replacement kept them), as ofproto-dpif forwards them,
   * until {@link forgetReplacedBefore} drops the forwarding.
   * @returns false if the rule is unknown (deleted), in which case nothing is credited
   */
  creditStats(ruleId: number, packets: bigint, bytes: bigint, usedMs: number): boolean {
    let r = this.byId.get(ruleId);
    let counts = true;
    for (let id = ruleId; !r;) {
      const f = this.forwards.get(id);
      if (!f) return false;
      counts &&= f.counts;
      id = f.to.id;
      r = this.byId.get(id);
    }
    if (counts) {
      r.packetCount += packets;
      r.byteCount += bytes;
    }
    if (usedMs > r.usedMs) r.usedMs = usedMs;
    return true;
  }

  /**
   * Drops the statistics forwarding of rules replaced before `beforeMs` (Date.now() ms): by then
   * the revalidators have re-translated every megaflow that went through them, so credits for
   * their ids no longer come (a straggler is dropped, as for a deleted rule).
   */
  forgetReplacedBefore(beforeMs: number): void {
    for (const [id, f] of this.forwards) if (f.atMs < beforeMs) this.forwards.delete(id);
  }

  /** Number of replaced rules whose statistics are still forwarded (for memory accounting and tests). */
  get forwardCount(): number {
    return this.forwards.size;
  }

  /** Counts lookups in table `tableId` done by translation: `matched` hits, `missed` misses. */
  creditTableStats(tableId: number, matched: bigint, missed: bigint): void {
    const t = this.tables[tableId];
    t.nMatched += matched;
    t.nMissed += missed;
  }

  /**
   * The rules a flow stats or aggregate request selects (OVS `collect_rules_loose`: loose match,
   * cookie, out_port, out_group; OFPTT_ALL = every visible table), table by table, each in
   * classifier iteration order (the order OVS replies in; see ./classifier).
   * @throws OfpError OFPBRC_BAD_TABLE_ID
   */
  queryRules(q: RuleQuery): Rule[] {
    return this.collect(q, undefined, true);
  }

  /**
   * Flow statistics of the rules `q` selects, at `nowMs` (OVS `handle_flow_stats_request`).
   * @throws OfpError OFPBRC_BAD_TABLE_ID
   */
  flowStats(q: RuleQuery, nowMs = this.clock()): FlowStats[] {
    return this.queryRules(q).map((r) => {
      const d = duration(r.createdMs, nowMs);
      return {
        tableId: r.tableId, durationSec: d.sec, durationNsec: d.nsec, idleAge: ageSecs(nowMs - r.usedMs),
        hardAge: ageSecs(nowMs - r.modifiedMs), priority: r.priority, idleTimeout: r.idleTimeout,
        hardTimeout: r.hardTimeout, flags: r.flags, importance: r.importance, cookie: r.cookie,
        packetCount: r.packetCount, byteCount: r.byteCount, match: r.match, ofpacts: r.ofpacts,
      };
    });
  }

  /**
   * Aggregate statistics of the rules `q` selects (OVS `handle_aggregate_stats_request`).
   * @throws OfpError OFPBRC_BAD_TABLE_ID
   */
  aggregateStats(q: RuleQuery): { packetCount: bigint; byteCount: bigint; flowCount: number } {
    let packetCount = 0n;
    let byteCount = 0n;
    const rules = this.queryRules(q);
    for (const r of rules) {
      packetCount += r.packetCount;
      byteCount += r.byteCount;
    }
    return { packetCount, byteCount, flowCount: rules.length };
  }

  /** Configuration and counters of every table, 0 first (hidden ones included: check `hidden`). */
  tableInfo(): TableInfo[] {
    return this.tables.map((t) => ({
      tableId: t.id, name: t.name, activeCount: t.id === 0 ? t.nFlows - t.nHidden : t.nFlows,
      lookupCount: t.nMatched + t.nMissed, matchedCount: t.nMatched, flowLimit: t.maxFlows,
      eviction: t.eviction !== 0, evictionOpenFlow: (t.eviction & EVICTION_OPENFLOW) !== 0, miss: t.miss,
      prefixes: t.prefixes, hidden: t.hidden, readonly: t.readonly,
    }));
  }

  /**
   * Applies OVSDB `Flow_Table` settings to table `tableId` (OVS `ofproto_configure_table`); a
   * read-only table takes only the name. Lowering the limit of a table with eviction on evicts
   * the excess at once; with eviction off the rules stay (new adds are refused).
   * @returns the evictions
   * @throws RangeError for a table that does not exist
   */
  configureTable(tableId: number, s: TableSettings): FlowTablesChange {
    const t = this.tables[tableId];
    if (!t) throw new RangeError(`no table ${tableId}`);
    t.name = s.name ? s.name.slice(0, OFP_MAX_TABLE_NAME_LEN) : undefined;
    const version = this.version + 1;
    if (t.readonly) return this.finish([], version);
    const prefixes = s.prefixes ?? DEFAULT_PREFIXES;
    const prefixesChanged = prefixes.join() !== t.prefixes.join();
    t.prefixes = prefixes;
    if (prefixesChanged) t.cls.setPrefixFields(clsPrefixFields(prefixes));
    t.eviction = s.overflowPolicy === 'evict' ? t.eviction | EVICTION_CLIENT : t.eviction & ~EVICTION_CLIENT;
    t.evictionGroupMask = s.evictionGroupMask;
    t.maxFlows = s.flowLimit ?? UINT_MAX;
    const victims: Rule[] = [];
    const chosen = new Set<Rule>();
    for (let excess = t.nFlows - t.maxFlows; excess > 0; excess--) {
      const r = this.chooseRuleToEvict(t, chosen);
      if (!r) break;
      chosen.add(r);
      victims.push(r);
    }
    const change = this.finish([this.deleteStart(victims, version, OFPRR_EVICTION)], version);
    if (prefixesChanged) change.prefixes = [[tableId, [...prefixes]]];
    return change;
  }

  /**
   * Applies an OpenFlow table_mod (OVS `table_mod`): the miss behaviour unless 'default', the
   * OpenFlow eviction switch unless 'default', the vacancy-event thresholds and switch unless
   * 'default'. OFPTT_ALL applies to every table that is neither hidden nor read-only.
   * @throws OfpError OFPTMFC_BAD_TABLE for a table that does not exist, OFPTMFC_BAD_CONFIG for
   *         eviction flags other than OFPROTO_EVICTION_FLAGS, OFPTMFC_EPERM for a read-only table
   */
  tableMod(tm: TableMod): void {
    if (tm.tableId !== OFPTT_ALL && tm.tableId >= this.tables.length) {
      throw new OfpError('OFPTMFC_BAD_TABLE', `table ${tm.tableId}`);
    }
    if (tm.evictionFlags !== EVICTION_FLAGS_NONE && tm.evictionFlags !== OFPROTO_EVICTION_FLAGS) {
      throw new OfpError('OFPTMFC_BAD_CONFIG', `eviction flags 0x${tm.evictionFlags.toString(16)}`);
    }
    if (tm.tableId !== OFPTT_ALL && this.tables[tm.tableId].readonly) {
      throw new OfpError('OFPTMFC_EPERM', `table ${tm.tableId} is read-only`);
    }
    const targets = tm.tableId === OFPTT_ALL ? this.tables.filter((t) => !t.hidden && !t.readonly) : [this.tables[tm.tableId]];
    for (const t of targets) {
      if (tm.miss !== 'default') t.miss = tm.miss;
      if (tm.eviction === 'on') t.eviction |= EVICTION_OPENFLOW;
      else if (tm.eviction === 'off') t.eviction &= ~EVICTION_OPENFLOW;
      if (tm.vacancy !== 'default') {
        t.vacancyDown = tm.tableVacancy.vacancyDown;
        t.vacancyUp = tm.tableVacancy.vacancyUp;
        if (tm.vacancy === 'off') t.vacancyEvent = 0;
        else if (!t.vacancyEvent) t.vacancyEvent = vacancy(t) < t.vacancyUp ? OFPTR_VACANCY_UP : OFPTR_VACANCY_DOWN;
      }
    }
  }

  /**
   * The OpenFlow 1.4 table description of table `tableId` (OVS `query_table_desc__`).
   * @throws RangeError for a table that does not exist
   */
  tableDesc(tableId: number): TableDesc {
    const t = this.tables[tableId];
    if (!t) throw new RangeError(`no table ${tableId}`);
    return {
      tableId, eviction: t.eviction & EVICTION_OPENFLOW ? 'on' : 'off', evictionFlags: OFPROTO_EVICTION_FLAGS,
      vacancy: t.vacancyEvent ? 'on' : 'off',
      tableVacancy: { vacancyDown: t.vacancyDown, vacancyUp: t.vacancyUp, vacancy: vacancy(t) },
    };
  }

  /** The delta that rebuilds a replica from nothing to the current version. */
  fullDelta(): FlowTablesDelta {
    const prefixes = this.tables.filter((t) => t.prefixes !== DEFAULT_PREFIXES).map((t): [number, string[]] => [t.id, [...t.prefixes]]);
    return { version: this.version, full: true, removed: [], added: this.rules().map(ruleSnapshot), ...(prefixes.length ? { prefixes } : {}) };
  }

  // --- transactions -----------------------------------------------------------------------

  private start(fm: FlowMod, version: number, now: number): Op {
    switch (fm.command) {
      case 'add':
        this.initAdd(fm);
        return this.addStart(fm, version, now, 'add');
      case 'modify':
      case 'modify_strict':
        this.initAdd(fm);
        return this.modifyStart(fm, version, now);
      case 'delete':
      case 'delete_strict': {
        const strict = fm.command === 'delete_strict' ? fm.priority : undefined;
        const rules = this.collect(fm, strict, (fm.flags & OFPUTIL_FF_NO_READONLY) !== 0);
        return this.deleteStart(rules, version, OFPRR_DELETE);
      }
      default:
        throw new OfpError('OFPFMFC_BAD_COMMAND', String((fm as { command: unknown }).command));
    }
  }

  /** `add_flow_init` checks and the buffer check of `ofproto_flow_mod_init`. */
  private initAdd(fm: FlowMod): void {
    const t = this.tables[fm.tableId === OFPTT_ALL ? 0 : fm.tableId];
    if (!t) throw new OfpError('OFPBRC_BAD_TABLE_ID', `table ${fm.tableId}`);
    if (t.readonly && !(fm.flags & OFPUTIL_FF_NO_READONLY)) {
      throw new OfpError('OFPBRC_EPERM', `table ${t.id} is read-only`);
    }
    if (fm.bufferId !== OFP_NO_BUFFER) throw new OfpError('OFPBRC_BUFFER_UNKNOWN', `buffer ${fm.bufferId}`);
  }

  /** `add_flow_start`: add, replacing an identical rule or evicting one from a full table. */
  private addStart(fm: FlowMod, version: number, now: number, command: FlowModCommand): Op {
    const t = this.tables[fm.tableId === OFPTT_ALL ? 0 : fm.tableId];
    this.checkOfpacts?.(fm.ofpacts);
    const identical = t.cls.findExactly(fm.match, fm.priority, version);
    if (identical) {
      // OVS sets modify_cookie here whatever the command: the new cookie wins if it is real.
      const r = this.newRule(fm, t.id, fm.match, fm.priority, now, identical, true, command);
      this.replaceStart(identical, r, version);
      return { old: [identical], new: [r], replace: true, reason: OFPRR_DELETE, keepCounts: keepsCounts(fm) };
    }
    if (fm.flags & OFPUTIL_FF_CHECK_OVERLAP && t.cls.overlaps(fm.match, fm.priority, version)) {
      throw new OfpError('OFPFMFC_OVERLAP', `priority ${fm.priority}`);
    }
    let evicted: Rule | undefined;
    if (t.nFlows >= t.maxFlows) {
      evicted = this.chooseRuleToEvict(t);
      if (!evicted) throw new OfpError('OFPFMFC_TABLE_FULL', `table ${t.id} holds ${t.nFlows} flows`);
    }
    const r = this.newRule(fm, t.id, fm.match, fm.priority, now);
    if (evicted) this.deleteRule(evicted, version);
    this.insertRule(r, version);
    return { old: evicted ? [evicted] : [], new: [r], replace: false, reason: OFPRR_EVICTION, keepCounts: false };
  }

  /** `modify_flows_start__`: replace each selected rule, or add when allowed and none matched. */
  private modifyStart(fm: FlowMod, version: number, now: number): Op {
    const strict = fm.command === 'modify_strict' ? fm.priority : undefined;
    const old = this.collect({ ...fm, outPort: OFPP_ANY, outGroup: OFPG_ANY }, strict,
      (fm.flags & OFPUTIL_FF_NO_READONLY) !== 0);
    if (old.length === 0) {
      const mayAdd = fm.newCookie !== UINT64_MAX && fm.cookieMask === 0n;
      return mayAdd ? this.addStart(fm, version, now, fm.command)
        : { old: [], new: [], replace: true, reason: OFPRR_DELETE, keepCounts: false };
    }
    this.checkOfpacts?.(fm.ofpacts);
    const added: Rule[] = [];
    for (const o of old) {
      const r = this.newRule(fm, o.tableId, o.match, o.priority, now, o, fm.modifyCookie, fm.command);
      this.replaceStart(o, r, version);
      added.push(r);
    }
    return { old, new: added, replace: true, reason: OFPRR_DELETE, keepCounts: keepsCounts(fm) };
  }

  /**
   * A new rule from `fm`, replacing `old` if given (`replace_rule_start` + ofproto-dpif
   * `rule_insert`): a modify keeps the old timeouts, importance, flags and creation time; the
   * cookie changes only if `modifyCookie` and the new cookie is a real, different one; counters
   * carry over unless OFPUTIL_FF_RESET_COUNTS, the last-used time always does.
   */
  private newRule(fm: FlowMod, tableId: number, match: Match, priority: number, now: number,
    old?: Rule, modifyCookie = false, command: FlowModCommand = 'add'): Rule {
    const keepOld = old !== undefined && command !== 'add';
    const changeCookie = modifyCookie && fm.newCookie !== UINT64_MAX && old !== undefined && fm.newCookie !== old.cookie;
    const keepCounts = old !== undefined && keepsCounts(fm);
    return {
      id: this.nextId++, tableId, match, priority,
      cookie: old && !changeCookie ? old.cookie : fm.newCookie,
      importance: keepOld ? old.importance : fm.importance,
      flags: keepOld ? old.flags : fm.flags & OFPUTIL_FF_STATE,
      ofpacts: fm.ofpacts,
      createdMs: keepOld ? old.createdMs : now,
      modifiedMs: now,
      idleTimeout: keepOld ? old.idleTimeout : fm.idleTimeout,
      hardTimeout: keepOld ? old.hardTimeout : fm.hardTimeout,
      packetCount: keepCounts ? old.packetCount : 0n,
      byteCount: keepCounts ? old.byteCount : 0n,
      usedMs: old ? old.usedMs : now,
    };
  }

  private replaceStart(old: Rule, r: Rule, version: number): void {
    const t = this.tables[old.tableId];
    t.cls.makeInvisible(old, version);
    this.unindex(t, old);
    this.index(t, r);
    t.cls.insert(r, version);
  }

  private insertRule(r: Rule, version: number): void {
    const t = this.tables[r.tableId];
    t.nFlows++;
    this.index(t, r);
    t.cls.insert(r, version);
  }

  private deleteRule(r: Rule, version: number): void {
    const t = this.tables[r.tableId];
    t.nFlows--;
    t.cls.makeInvisible(r, version);
    this.unindex(t, r);
  }

  private deleteStart(rules: Rule[], version: number, reason: number): Op {
    for (const r of rules) this.deleteRule(r, version);
    return { old: rules, new: [], replace: false, reason, keepCounts: false };
  }

  /** Undoes a started op (`*_revert`): new rules go, old rules come back. */
  private revert(op: Op): void {
    for (const r of op.new) {
      const t = this.tables[r.tableId];
      t.cls.remove(r);
      this.unindex(t, r);
      if (!op.replace) t.nFlows--;
    }
    for (const r of op.old) {
      const t = this.tables[r.tableId];
      this.index(t, r);
      t.cls.restoreVisibility(r);
      if (!op.replace) t.nFlows++;
    }
  }

  /**
   * Commits started ops: bump the version (unless nothing changed), drop the old rules for good,
   * report. A rule both added and removed within the transaction is reported as removed only.
   */
  private finish(ops: Op[], version: number): FlowTablesChange {
    if (ops.every((op) => op.old.length === 0 && op.new.length === 0)) {
      return { version: this.version, added: [], removed: [], tableStatus: [] };
    }
    this.currentVersion = version;
    const change: FlowTablesChange = { version, added: [], removed: [], tableStatus: [] };
    for (const op of ops) {
      // Vacancy is checked where OVS calls send_table_status(): after a pure add, and after
      // each rule a delete or eviction removed.
      if (!op.replace && op.old.length === 0) for (const r of op.new) this.tableStatus(r.tableId, change);
      op.old.forEach((r, i) => {
        this.tables[r.tableId].cls.remove(r);
        if (op.replace) {
          const by = op.new[i];
          this.forwards.set(r.id, { to: by, counts: op.keepCounts, atMs: Date.now() });
          change.removed.push({ rule: r, replacedBy: by });
        } else {
          change.removed.push({ rule: r, reason: op.reason });
          this.tableStatus(r.tableId, change);
        }
      });
    }
    for (const op of ops) for (const r of op.new) if (this.byId.get(r.id) === r) change.added.push(r);
    return change;
  }

  /**
   * `send_table_status`: when vacancy events are on and the table's vacancy crossed the armed
   * threshold, report it and arm the opposite one (OpenFlow 1.4 §7.4.5).
   */
  private tableStatus(tableId: number, change: FlowTablesChange): void {
    const t = this.tables[tableId];
    if (!t.vacancyEvent) return;
    const v = vacancy(t);
    const event = v < t.vacancyDown ? OFPTR_VACANCY_DOWN : v > t.vacancyUp ? OFPTR_VACANCY_UP : 0;
    if (event && event === t.vacancyEvent) {
      change.tableStatus.push({ reason: event, desc: this.tableDesc(tableId) });
      t.vacancyEvent = event === OFPTR_VACANCY_DOWN ? OFPTR_VACANCY_UP : OFPTR_VACANCY_DOWN;
    }
  }

  private index(t: OfTable, r: Rule): void {
    this.byId.set(r.id, r);
    let s = this.byCookie.get(r.cookie);
    if (!s) this.byCookie.set(r.cookie, (s = new Set()));
    s.add(r);
    if (r.priority > MAX_OPENFLOW_PRIORITY) t.nHidden++;
    this.indexTimed(t, r);
  }

  private unindex(t: OfTable, r: Rule): void {
    this.byId.delete(r.id);
    const s = this.byCookie.get(r.cookie);
    if (s?.delete(r) && s.size === 0) this.byCookie.delete(r.cookie);
    if (r.priority > MAX_OPENFLOW_PRIORITY) t.nHidden--;
    this.unindexTimed(t, r);
  }

  private indexTimed(t: OfTable, r: Rule): void {
    if (r.idleTimeout || r.hardTimeout) t.timed.add(r);
  }

  private unindexTimed(t: OfTable, r: Rule): void {
    t.timed.delete(r);
  }

  // --- selection ----------------------------------------------------------------------------

  /**
   * `collect_rules_loose` (strictPriority undefined) or `collect_rules_strict`: the live rules
   * selected by table, match, cookie, out_port and out_group. Hidden rules (priority above
   * 65535) are selected only by a strict query for their priority; rules of read-only tables only
   * when `includeReadonly`, and if they were all that matched the query fails with EPERM.
   * @throws OfpError OFPBRC_BAD_TABLE_ID, OFPBRC_EPERM
   */
  private collect(q: RuleQuery, strictPriority: number | undefined, includeReadonly: boolean): Rule[] {
    if (q.tableId !== OFPTT_ALL && q.tableId >= this.tables.length) {
      throw new OfpError('OFPBRC_BAD_TABLE_ID', `table ${q.tableId}`);
    }
    const includeHidden = strictPriority !== undefined && strictPriority > MAX_OPENFLOW_PRIORITY;
    let candidates: Rule[];
    if (q.cookieMask === UINT64_MAX) {
      // OVS answers an exact-cookie query from its cookie index, across all tables.
      const same = [...(this.byCookie.get(q.cookie) ?? [])];
      const hits = same.filter((r) => (strictPriority === undefined
        ? isLooseMatch(r.match, q.match) : r.priority === strictPriority && clsMatchEqual(r.match, q.match)));
      const byTable = new Map<number, Rule[]>();
      for (const r of hits) {
        const list = byTable.get(r.tableId);
        if (list) list.push(r);
        else byTable.set(r.tableId, [r]);
      }
      candidates = [];
      for (const id of [...byTable.keys()].sort((a, b) => a - b)) {
        candidates.push(...this.tables[id].cls.sortInIterationOrder(byTable.get(id)!));
      }
    } else {
      const tables = q.tableId === OFPTT_ALL ? this.tables.filter((t) => !t.hidden) : [this.tables[q.tableId]];
      candidates = [];
      for (const t of tables) {
        if (strictPriority === undefined) {
          candidates.push(...t.cls.rulesMatchingLoosely(q.match));
        } else {
          const r = t.cls.findExactly(q.match, strictPriority, CLS_VERSION_MAX);
          if (r) candidates.push(r);
        }
      }
    }
    let nReadonly = 0;
    const out: Rule[] = [];
    for (const r of candidates) {
      if ((q.tableId === r.tableId || q.tableId === OFPTT_ALL)
        && (q.outPort === OFPP_ANY || ofpactsOutputToPort(r.ofpacts, q.outPort))
        && (q.outGroup === OFPG_ANY || ofpactsOutputToGroup(r.ofpacts, q.outGroup))
        && cookieMatches(r.cookie, q.cookie, q.cookieMask)
        && (r.priority <= MAX_OPENFLOW_PRIORITY || includeHidden)) {
        if (!this.tables[r.tableId].readonly || includeReadonly) out.push(r);
        else nReadonly++;
      }
    }
    if (out.length === 0 && nReadonly > 0) throw new OfpError('OFPBRC_EPERM', 'only read-only rules match');
    return out;
  }

  // --- eviction -----------------------------------------------------------------------------

  /**
   * The rule to evict from `t`, or undefined if eviction is off or no rule can go
   * (ovs-vswitchd.conf.db(5) Flow_Table): among rules with a timeout, those of the largest
   * eviction group(s), lowest importance first, then the one that expires soonest.
   */
  private chooseRuleToEvict(t: OfTable, exclude?: Set<Rule>): Rule | undefined {
    if (!t.eviction) return undefined;
    const groups = new Map<string, Rule[]>();
    for (const r of t.timed) {
      if (exclude?.has(r)) continue;
      const key = t.evictionGroupMask ? groupKey(r.match, t.evictionGroupMask) : '';
      const g = groups.get(key);
      if (g) g.push(r);
      else groups.set(key, [r]);
    }
    let largest = 0;
    for (const g of groups.values()) largest = Math.max(largest, g.length);
    let best: Rule | undefined;
    for (const g of groups.values()) {
      if (g.length !== largest) continue;
      for (const r of g) {
        if (!best || r.importance < best.importance
          || (r.importance === best.importance && (expiration(r) < expiration(best)
            || (expiration(r) === expiration(best) && r.id < best.id)))) {
          best = r;
        }
      }
    }
    return best;
  }
}

/**
 * `oftable_vacancy`: free space in percent, 0 (full) to 100 (empty), truncated; a table without
 * a limit has UINT_MAX, so it reads 100 only when empty.
 */
function vacancy(t: OfTable): number {
  if (!t.maxFlows) return 100;
  if (t.nFlows >= t.maxFlows) return 0;
  return Math.floor(((t.maxFlows - t.nFlows) * 100) / t.maxFlows);
}

/** Whether a replacement takes over the replaced rule's counters. */
function keepsCounts(fm: FlowMod): boolean {
  return !(fm.flags & OFPUTIL_FF_RESET_COUNTS);
}

/** When a rule with a timeout expires, ms. */
function expiration(r: Rule): number {
  let at = Infinity;
  if (r.hardTimeout) at = r.modifiedMs + r.hardTimeout * 1000;
  if (r.idleTimeout) at = Math.min(at, r.usedMs + r.idleTimeout * 1000);
  return at;
}

/** The eviction group of a rule: its match's values under the group mask (unset fields are 0). */
function groupKey(m: ClsMatch, mask: Uint8Array): string {
  let key = '';
  for (let i = 0; i < mask.length; i++) if (mask[i]) key += `${i}:${m.flow[i] & mask[i]},`;
  return key;
}

/**
 * A worker's copy of a bridge's flow tables, kept in step by {@link FlowTablesDelta}s. A delta
 * is applied whole, between two lookups, so lookups see a flow_mod entirely or not at all.
 */
export class FlowTablesReplica {
  private appliedVersion = 0;
  private readonly tables = new Map<number, Classifier<RuleSnapshot>>();
  private readonly byId = new Map<number, RuleSnapshot>();
  /** prefix-tracked fields of the tables not using the default */
  private readonly prefixes = new Map<number, readonly string[]>();

  /**
   * Applies a delta: removals first, then additions (a replacement is both). Removed ids the
   * replica does not hold (rules added and removed within one transaction) are ignored.
   */
  apply(d: FlowTablesDelta): void {
    if (d.full) {
      this.tables.clear();
      this.byId.clear();
      this.prefixes.clear();
    }
    for (const [tableId, fields] of d.prefixes ?? []) {
      this.prefixes.set(tableId, fields);
      this.tables.get(tableId)?.setPrefixFields(clsPrefixFields(fields));
    }
    for (const id of d.removed) {
      const r = this.byId.get(id);
      if (!r) continue;
      this.byId.delete(id);
      this.tables.get(r.tableId)?.remove(r);
    }
    for (const r of d.added) {
      let cls = this.tables.get(r.tableId);
      if (!cls) this.tables.set(r.tableId, (cls = new Classifier<RuleSnapshot>(ofClassifierOptions(this.prefixes.get(r.tableId)))));
      cls.insert(r);
      this.byId.set(r.id, r);
    }
    this.appliedVersion = d.version;
  }

  /** The version of the last delta applied. */
  get version(): number {
    return this.appliedVersion;
  }

  /** The rule with this id, if present. */
  rule(id: number): RuleSnapshot | undefined {
    return this.byId.get(id);
  }

  /** Number of rules held. */
  get size(): number {
    return this.byId.size;
  }

  /** Like {@link FlowTables.lookup}, on the replica. */
  lookup(tableId: number, flow: Uint8Array, wc?: Uint8Array): RuleSnapshot | undefined {
    return this.tables.get(tableId)?.lookup(flow, wc);
  }
}
