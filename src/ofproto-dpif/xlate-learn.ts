/**
 * The `learn` action (ovs-actions(7) "The learn action"): translation builds the flow_mod the
 * action describes from the packet's current flow (OVS lib/learn.c `learn_execute()`), and
 * un-wildcards every source field the specs read (`learn_mask()`), so a megaflow that carries
 * the learn stands only for packets that would learn the very same flow.
 *
 * Translation never applies the flow_mod itself: it records it in `XlateResult.learns` when the
 * translation may have side effects (OVS `xin->allow_side_effects`: upcalls, packet-outs, and
 * revalidations of megaflows that saw new packets, which is how OVS's xlate cache refreshes a
 * learned rule). The main thread applies it with {@link applyLearnedFlow} (handlers post it as a
 * `xlate-effects` message), which publishes the new rule to the workers as any flow_mod does.
 * A translation with a learn is therefore never "slow": the megaflow is installed, and the
 * revalidator's re-translation keeps the learned rule fresh while packets hit it.
 *
 * `limit=` is checked by the main thread when it applies the flow_mod (rules of the table with
 * the learn's cookie); `result_dst=` is written as OVS writes it for a translation without a
 * main-thread answer: 1 ("learned") unless the limit is already known to be reached, which
 * workers cannot know, so they write 1.
 */
import { OFPP_ALL, OFPP_FLOOD, OFPP_IN_PORT, OFPP_LOCAL, OFPP_MAX, OFPP_NONE, OFPG_ANY, OFP_NO_BUFFER } from '../openflow/common';
import { Match } from '../openflow/match';
import { mfField, mfGetValue, mfSetValue, MfField, PT_ETH } from '../openflow/meta-flow';
import { bitwiseCopy, bitwiseOne } from '../openflow/ofp-actions-fields';
import { FlowMod, OFPUTIL_FF_SEND_FLOW_REM } from '../openflow/ofp-flow';
import { formatOfpacts } from '../openflow/ofpacts-format';
import {
  NX_LEARN_DST_LOAD, NX_LEARN_DST_MATCH, NX_LEARN_DST_OUTPUT, NX_LEARN_F_SEND_FLOW_REM, NX_LEARN_F_WRITE_RESULT, NX_LEARN_SRC_FIELD,
  LearnSpec, Ofpact, OfpactOf,
} from '../openflow/ofpacts';
import type { FlowTables, FlowTablesChange, Rule } from './flow-table';
import { S, wcExact } from './flow';

/** A flow_mod produced by a learn action, in a form that survives postMessage. */
export interface LearnedFlow {
  /** the bridge whose tables get the flow: where the learn action ran (a patch peer's, maybe); set by xlate */
  bridge?: string;
  tableId: number;
  priority: number;
  /** the learned match: FLOW_LEN bytes of values and of wildcards (1 = matched) */
  match: { flow: Uint8Array; wc: Uint8Array };
  /** the learn's `cookie=` (the new cookie of the flow_mod) */
  cookie: bigint;
  /** seconds, 0 = permanent */
  idleTimeout: number;
  hardTimeout: number;
  /** OFPUTIL_FF_SEND_FLOW_REM when the learn says `send_flow_rem` */
  flags: number;
  ofpacts: Ofpact[];
  /** the learn's `limit=`, 0 = none */
  limit: number;
  /** the learning rule's id, for the log */
  fromRule?: number;
}

/** A fin_timeout that must lower a rule's timeouts (OVS `xlate_fin_timeout__()`). */
export interface FinTimeoutEffect {
  /** the bridge whose rule it is (translation may have continued in a patch port's peer) */
  bridge: string;
  ruleId: number;
  /** seconds, 0 = leave alone */
  idleTimeout: number;
  hardTimeout: number;
}

/** The union of 8-byte-aligned subvalues OVS's `union mf_subvalue` stands for: 128 bytes, big-endian. */
const SUBVALUE_LEN = 128;

/** OVS `mf_read_subfield()`: the subfield's bits, right-aligned in a 128-byte big-endian buffer. */
function readSubfield(f: MfField, ofs: number, nBits: number, flow: Buffer): Buffer {
  const out = Buffer.alloc(SUBVALUE_LEN);
  bitwiseCopy(mfGetValue(f, flow), ofs, out, 0, nBits);
  return out;
}

/** Immediate `imm` (ceil(nBits/8) bytes, network order) right-aligned in a subvalue. */
function immSubvalue(imm: Buffer): Buffer {
  const out = Buffer.alloc(SUBVALUE_LEN);
  imm.copy(out, SUBVALUE_LEN - Math.min(imm.length, SUBVALUE_LEN), Math.max(0, imm.length - SUBVALUE_LEN));
  return out;
}

/**
 * OVS `learn_mask()`: un-wildcards, in `wc` (FLOW_LEN bytes), the bits of every source field the
 * learn's specs read. No prerequisite is consulted (as OVS).
 */
export function learnMask(learn: OfpactOf<'learn'>, wc: Buffer): void {
  for (const spec of learn.specs) {
    if (spec.srcType !== NX_LEARN_SRC_FIELD || !spec.src) continue;
    const f = mfField(spec.src.field);
    const m = mfGetValue(f, wc);
    bitwiseOne(m, spec.src.ofs, spec.src.nBits);
    mfSetValue(f, wc, m);
  }
}

/** OVS `mf_write_subfield()` into a match, plus `match_add_ethernet_prereq()`. */
function matchSubfield(match: Match, spec: LearnSpec, value: Buffer): void {
  const f = mfField(spec.dst!.field);
  const { value: v, mask: m } = match.getField(f);
  bitwiseCopy(value, 0, v, spec.dst!.ofs, spec.nBits);
  bitwiseOne(m, spec.dst!.ofs, spec.nBits);
  match.setField(f, v, m);
  if (f.prereq !== 'NONE' && match.wc.readUInt32BE(S.packet_type.offset) === 0) {
    // match_set_default_packet_type(): Ethernet.
    match.flow.writeUInt32BE(PT_ETH, S.packet_type.offset);
    wcExact(match.wc, S.packet_type);
  }
}

/**
 * OVS `learn_execute()`: the flow_mod a learn action makes from `flow` (FLOW_LEN bytes, the
 * packet's flow as translation has it at the action).
 * @returns the learned flow (match, actions, timeouts, cookie, table, priority)
 * @throws Error from the meta-flow layer on an unknown field name (checked when the learn was decoded)
 */
export function learnExecute(learn: OfpactOf<'learn'>, flow: Buffer): LearnedFlow {
  const match = new Match();
  const ofpacts: Ofpact[] = [];
  if (learn.finIdleTimeout || learn.finHardTimeout) {
    ofpacts.push({ type: 'fin_timeout', finIdleTimeout: learn.finIdleTimeout, finHardTimeout: learn.finHardTimeout });
  }
  for (const spec of learn.specs) {
    const value = spec.srcType === NX_LEARN_SRC_FIELD
      ? readSubfield(mfField(spec.src!.field), spec.src!.ofs, spec.nBits, flow)
      : immSubvalue(spec.imm ?? Buffer.alloc(0));
    // `value` holds the bits right-aligned: bit 0 of the subvalue is its last bit.
    const aligned = Buffer.alloc(SUBVALUE_LEN);
    bitwiseCopy(value, 0, aligned, 0, spec.nBits);
    switch (spec.dstType) {
      case NX_LEARN_DST_MATCH:
        matchSubfield(match, spec, aligned);
        break;
      case NX_LEARN_DST_LOAD: {
        const f = mfField(spec.dst!.field);
        const v = Buffer.alloc(f.nBytes);
        const m = Buffer.alloc(f.nBytes);
        bitwiseCopy(aligned, 0, v, spec.dst!.ofs, spec.nBits);
        bitwiseOne(m, spec.dst!.ofs, spec.nBits);
        ofpacts.push({ type: 'set_field', field: f.name, value: v, mask: m, raw: 'NXAST_RAW_REG_LOAD' });
        break;
      }
      case NX_LEARN_DST_OUTPUT: {
        const high = aligned.subarray(0, SUBVALUE_LEN - 2);
        if (spec.nBits <= 16 || high.every((b) => b === 0)) {
          const port = aligned.readUInt16BE(SUBVALUE_LEN - 2);
          if (port < OFPP_MAX || port === OFPP_IN_PORT || port === OFPP_FLOOD || port === OFPP_LOCAL || port === OFPP_ALL) {
            ofpacts.push({ type: 'output', port, maxLen: 0 });
          }
        }
        break;
      }
    }
  }
  return {
    tableId: learn.tableId, priority: learn.priority, match: { flow: match.flow, wc: match.wc }, cookie: learn.cookie,
    idleTimeout: learn.idleTimeout, hardTimeout: learn.hardTimeout,
    flags: learn.flags & NX_LEARN_F_SEND_FLOW_REM ? OFPUTIL_FF_SEND_FLOW_REM : 0, ofpacts, limit: learn.limit,
  };
}

/** Whether the learn writes its result (`result_dst=`), and where. */
export function learnResultDst(learn: OfpactOf<'learn'>): OfpactOf<'learn'>['resultDst'] | undefined {
  return learn.flags & NX_LEARN_F_WRITE_RESULT ? learn.resultDst : undefined;
}

/** The OFPFC_MODIFY_STRICT flow_mod `learn_execute()` hands to ofproto. */
export function learnedFlowMod(lf: LearnedFlow): FlowMod {
  return {
    command: 'modify_strict', match: new Match(Buffer.from(lf.match.flow), Buffer.from(lf.match.wc)), priority: lf.priority,
    cookie: 0n, cookieMask: 0n, newCookie: lf.cookie, tableId: lf.tableId, idleTimeout: lf.idleTimeout,
    hardTimeout: lf.hardTimeout, importance: 0, flags: lf.flags, bufferId: OFP_NO_BUFFER, outPort: OFPP_NONE,
    outGroup: OFPG_ANY, ofpacts: lf.ofpacts, modifyCookie: lf.cookie !== 0xffffffffffffffffn,
  };
}

/** The rule a learned flow would be: same table, priority and match (OVS `classifier_find_minimatch_exactly`). */
function findLearned(tables: FlowTables, fm: FlowMod): Rule | undefined {
  return tables.queryRules({
    tableId: fm.tableId, match: fm.match, cookie: 0n, cookieMask: 0n, outPort: OFPP_NONE, outGroup: OFPG_ANY,
  }).find((r) => r.priority === fm.priority && r.match.equals(fm.match));
}

/**
 * Equality of two action lists (OVS `ofpacts_equal`), by their canonical ovs-ofctl text: the
 * rule's copy may carry annotations the flow_mod checks added (raw encodings, prerequisites).
 */
function ofpactsEqual(a: readonly Ofpact[], b: readonly Ofpact[]): boolean {
  return formatOfpacts(a) === formatOfpacts(b);
}

/**
 * Applies a learned flow on the main thread (OVS `ofproto_flow_mod_init_for_learn()` +
 * `ofproto_flow_mod_learn()`): an identical rule (same match, priority, timeouts, flags,
 * cookie and actions) is only refreshed (its hard timeout restarts: OVS sets `modified`);
 * otherwise, unless `limit` rules with the learn's cookie are already in the table, the
 * OFPFC_MODIFY_STRICT flow_mod is applied (adding the rule when none matches strictly).
 *
 * @param tables the bridge's flow tables
 * @param nowMs the tables' clock, ms
 * @returns the change to publish (undefined when only a refresh happened or the limit was
 *   reached), and whether the learn succeeded (false only for the limit)
 * @throws OfpError as {@link FlowTables.flowMod} (e.g. OFPBRC_BAD_TABLE_ID, OFPFMFC_TABLE_FULL)
 */
export function applyLearnedFlow(tables: FlowTables, lf: LearnedFlow, nowMs: number): { change?: FlowTablesChange; learned: boolean } {
  const fm = learnedFlowMod(lf);
  const old = findLearned(tables, fm);
  if (old && old.idleTimeout === fm.idleTimeout && old.hardTimeout === fm.hardTimeout && old.importance === 0
    && old.flags === fm.flags && (!fm.modifyCookie || fm.newCookie === old.cookie) && ofpactsEqual(old.ofpacts, fm.ofpacts)) {
    (old as { modifiedMs: number }).modifiedMs = nowMs;
    return { learned: true };
  }
  if (lf.limit) {
    const n = tables.queryRules({
      tableId: lf.tableId, match: Match.catchall(), cookie: lf.cookie, cookieMask: 0xffffffffffffffffn,
      outPort: OFPP_NONE, outGroup: OFPG_ANY,
    }).length;
    if (n >= lf.limit) return { learned: false };
  }
  return { change: tables.flowMod(fm), learned: true };
}

/**
 * A learned flow as it arrives from a worker (`postMessage` turns Buffers into Uint8Arrays),
 * with its match and its set_field values and masks made Buffers again.
 */
export function reviveLearnedFlow(lf: LearnedFlow): LearnedFlow {
  const buf = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  return {
    ...lf,
    match: { flow: buf(lf.match.flow), wc: buf(lf.match.wc) },
    ofpacts: lf.ofpacts.map((a) => (a.type === 'set_field' ? { ...a, value: buf(a.value), mask: buf(a.mask) } : a)),
  };
}
