/**
 * An OpenFlow message fuzzer for the switch's connection manager (issue #4): seed messages of
 * every kind for OpenFlow 1.0–1.5 taken from the golden captures of OVS 3.1, deterministic
 * mutations of them, a raw OpenFlow client that talks to a `punix:` socket, and the checks a
 * fuzz run applies to what the switch sends back.
 *
 * Framing is kept honest: a mutant whose `ofp_header.length` matches its bytes ("framed") can be
 * pipelined on a long-lived connection; one whose length does not ("unframed") desynchronises
 * the stream (OVS and we close on a length below 8 and otherwise wait for the missing bytes or
 * read the excess as the next message), so it goes alone on a short-lived connection.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection, Socket } from 'node:net';
import path from 'node:path';
import { OFP_HEADER_LEN, OFPG_ALL, OFPG_ANY, OFPG_MAX, OFPP_ANY, OFP_NO_BUFFER, OFPTT_ALL, OFP13_VERSION } from '../../../src/openflow/common';
import { parseMatch } from '../../../src/openflow/match-format';
import { Match } from '../../../src/openflow/match';
import { decodeErrorMsg, NX_VENDOR_ID, OFPT_ERROR, OfpError, ONF_VENDOR_ID } from '../../../src/openflow/ofp-errors';
import { decodeAggregateStatsReply, decodeFlowRemoved, decodeFlowStatsReply, encodeFlowMod, FlowMod } from '../../../src/openflow/ofp-flow';
import { decodeGroupDescReply, decodeGroupFeaturesReply, decodeGroupStatsReply, emptyGroupProps, encodeGroupMod, OFPG15_BUCKET_ALL } from '../../../src/openflow/ofp-group';
import {
  decodeMeterConfigReply, decodeMeterFeaturesReply, decodeMeterStatsReply, encodeMeterMod, OFPM13_ALL, OFPMBT13_DROP,
  OFPMF13_BURST, OFPMF13_KBPS, OFPMF13_PKTPS, OFPMF13_STATS,
} from '../../../src/openflow/ofp-meter';
import { decodeFlowUpdates } from '../../../src/openflow/ofp-monitor';
import {
  decodeMsg, encodeMsg, isStatsReply, isStatsRequest, OFPT_VENDOR, OfpMsg, OfpType,
} from '../../../src/openflow/ofp-msgs';
import { decodePacketIn } from '../../../src/openflow/ofp-packet';
import { decodePorts, decodePortStatsReply, decodePortStatus, decodeQueueGetConfigReply, decodeQueueStatsReply } from '../../../src/openflow/ofp-port';
import {
  decodeDescReply, decodeFeaturesReply, decodeGetConfigReply, decodeRoleMessage, encodeBarrierRequest, encodeEchoRequest,
  encodeHello, encodeRoleRequest, encodeSetConfig, OFPCR12_ROLE_EQUAL,
} from '../../../src/openflow/ofp-switch';
import { decodeTableDescReply, decodeTableFeatures, decodeTableStatsReply } from '../../../src/openflow/ofp-table';
import { NXTTMC_CLEAR } from '../../../src/openflow/ofp-tlv';
import type { Ofconn } from '../../../src/openflow/connmgr';
import type { BridgeOfproto } from '../../../src/ofproto-dpif/bridge-ofproto';
import type { VlogModule } from '../../../src/util/vlog';

const OFPT_HELLO = 0;
const OFPT_ECHO_REPLY = 3;
/** ONF extension 2301: OpenFlow 1.3's bundle add message (ONFT13_BUNDLE_ADD_MESSAGE). */
const ONFT13_BUNDLE_ADD_MESSAGE = 2301;
/** OpenFlow 1.4+ OFPT_BUNDLE_ADD_MESSAGE. */
const OFPT14_BUNDLE_ADD_MESSAGE = 34;
/** OpenFlow 1.1+ OFPIT11_APPLY_ACTIONS instruction type. */
const OFPIT11_APPLY_ACTIONS = 4;
/** Seeds larger than this are left out: they slow the run and add no new structure. */
const MAX_SEED_LEN = 4096;

/**
 * A small deterministic PRNG (mulberry32): the same 32-bit seed always yields the same
 * sequence, so a failing fuzz run can be replayed from the seed it prints.
 */
export class Prng {
  private s: number;

  /** @param seed any 32-bit integer */
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n); n ≥ 1. */
  below(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** An integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(a: readonly T[]): T {
    return a[this.below(a.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

/** Seed messages of one OpenFlow version: captured messages, and flow_mods wrapping action sets. */
export interface SeedPool {
  /** whole messages captured between ovs-ofctl and OVS 3.1 (both directions), or from ofp-print */
  msgs: Buffer[];
  /** flow_mods (add, catch-all or prerequisite match) carrying the golden action/instruction vectors */
  flowMods: Buffer[];
}

/** True when `b` is one whole OpenFlow 1.0–1.5 message (`ofp_header.length` = its size). */
function isWholeMsg(b: Buffer): boolean {
  return b.length >= OFP_HEADER_LEN && b[0] >= 1 && b[0] <= 6 && b.readUInt16BE(2) === b.length;
}

/**
 * Loads the seed messages, keyed by `ofp_header.version` 1..6, from the golden files of
 * `goldenDir` (test/unit/golden):
 * - every hex string in ofp-{session,flow,group,meter,table,bundle,monitor}.json that is a whole
 *   message of versions 1–6 (requests and replies, as OVS 3.1 and ovs-ofctl sent them), and the
 *   ofp-msgs.json cases (`[header hex, zero body bytes, name]`) that OVS decodes as a message;
 * - for each action/instruction vector of ofp-actions-{roundtrip,vectors,malformed}.json, an
 *   add flow_mod in its version (NXT_FLOW_MOD for the NXM protocol) whose match is the case's
 *   match text, or catch-all, and whose actions are the vector's bytes (wrapped in an
 *   Apply-Actions instruction in OpenFlow 1.1+ when they are actions).
 * Duplicates and messages over 4096 bytes are dropped.
 * @throws Error when a golden file is missing or not JSON
 */
export function loadSeeds(goldenDir: string): Map<number, SeedPool> {
  const pools = new Map<number, SeedPool>();
  for (let v = 1; v <= 6; v++) pools.set(v, { msgs: [], flowMods: [] });
  const seen = new Set<string>();
  const add = (b: Buffer, kind: keyof SeedPool): void => {
    if (!isWholeMsg(b) || b.length > MAX_SEED_LEN) return;
    const key = b.toString('hex');
    if (seen.has(key)) return;
    seen.add(key);
    pools.get(b[0])![kind].push(b);
  };
  const read = (f: string): unknown => JSON.parse(readFileSync(path.join(goldenDir, f), 'utf8'));
  const msgs = read('ofp-msgs.json') as { cases: [string, number, string][] };
  for (const [hdr, bodyLen, name] of msgs.cases) {
    if (/^(OFPT|OFPST|NXT|NXST|ONFT|ONFST)_/.test(name)) add(Buffer.concat([Buffer.from(hdr, 'hex'), Buffer.alloc(bodyLen)]), 'msgs');
  }
  const walk = (o: unknown): void => {
    if (typeof o === 'string') {
      if (o.length >= 16 && /^([0-9a-f]{2})+$/.test(o)) add(Buffer.from(o, 'hex'), 'msgs');
    } else if (Array.isArray(o)) {
      o.forEach(walk);
    } else if (o && typeof o === 'object') {
      Object.values(o).forEach(walk);
    }
  };
  for (const f of ['ofp-session.json', 'ofp-flow.json', 'ofp-group.json', 'ofp-meter.json', 'ofp-table.json', 'ofp-bundle.json', 'ofp-monitor.json']) walk(read(f));
  for (const f of ['ofp-actions-roundtrip.json', 'ofp-actions-vectors.json', 'ofp-actions-malformed.json']) {
    const j = read(f) as { cases: { version: number; kind: string; hex: string; match?: string; protocol?: string }[] };
    for (const c of j.cases) add(actionsFlowMod(c.version, c.kind === 'instructions', Buffer.from(c.hex, 'hex'), c.match ?? '', c.protocol?.startsWith('NXM') ?? false), 'flowMods');
  }
  return pools;
}

/**
 * An add flow_mod of `version` (priority 0x8000, no timeouts, table 0) with the match `matchText`
 * (catch-all when it is empty or does not parse) and `ofpacts` bytes: OpenFlow 1.0 / NXM actions
 * as they are; in 1.1+ instructions as they are, actions inside an Apply-Actions instruction.
 */
function actionsFlowMod(version: number, instructions: boolean, ofpacts: Buffer, matchText: string, nxm: boolean): Buffer {
  let match = Match.catchall();
  try {
    if (matchText) match = parseMatch(matchText).match;
  } catch {
    // a match our parser does not know keeps the catch-all: the actions are what matters here
  }
  const fm: FlowMod = {
    command: 'add', match, priority: 0x8000, cookie: 0n, cookieMask: 0n, newCookie: 0n, tableId: 0,
    idleTimeout: 0, hardTimeout: 0, importance: 0, flags: 0, bufferId: OFP_NO_BUFFER, outPort: OFPP_ANY,
    outGroup: OFPG_ANY, ofpacts: [], modifyCookie: false,
  };
  let head: Buffer;
  try {
    head = encodeFlowMod(fm, version, 0, nxm && version === 1);
  } catch {
    head = encodeFlowMod({ ...fm, match: Match.catchall() }, version, 0, nxm && version === 1);
  }
  let tail = ofpacts;
  if (version >= 2 && !instructions) {
    const ins = Buffer.alloc(8);
    ins.writeUInt16BE(OFPIT11_APPLY_ACTIONS, 0);
    ins.writeUInt16BE(8 + ofpacts.length, 2);
    tail = Buffer.concat([ins, ofpacts]);
  }
  const msg = Buffer.concat([head, tail]);
  msg.writeUInt16BE(Math.min(msg.length, 0xffff), 2);
  return msg;
}

/** One mutated message. */
export interface Mutant {
  buf: Buffer;
  /** the mutations applied, in order (for failure reports) */
  ops: string[];
  /** `ofp_header.length` equals the byte count (≥ 8): the message can be pipelined */
  framed: boolean;
}

/** Offsets (≥ 8, even) of 16-bit words that look like a length: 4 ≤ value ≤ bytes left + 8. */
function lengthCandidates(b: Buffer): number[] {
  const out: number[] = [];
  for (let o = OFP_HEADER_LEN; o + 2 <= b.length; o += 2) {
    const v = b.readUInt16BE(o);
    if (v >= 4 && v <= b.length - o + 8) out.push(o);
  }
  return out;
}

function junk(rng: Prng, n: number, self: Buffer): Buffer {
  switch (rng.below(4)) {
    case 0: return Buffer.alloc(n);
    case 1: return Buffer.alloc(n, 0xff);
    case 2: {
      const at = rng.below(Math.max(1, self.length - n));
      const b = Buffer.from(self.subarray(at, at + n));
      return b.length === n ? b : Buffer.concat([b, Buffer.alloc(n - b.length)]);
    }
    default: return rng.bytes(n);
  }
}

/** A byte value to set: 0, 0xff, a neighbour of the old value, or random. */
function byteValue(rng: Prng, old: number): number {
  switch (rng.below(4)) {
    case 0: return 0;
    case 1: return 0xff;
    case 2: return (old + (rng.chance(0.5) ? 1 : 0xff)) & 0xff;
    default: return rng.below(256);
  }
}

/** A new value for a 16-bit length field holding `v` at offset `o` of a `len`-byte message. */
function lengthValue(rng: Prng, v: number, o: number, len: number): number {
  const choices = [v + 1, v - 1, v + 4, v - 4, v + 8, v - 8, 0, 4, 8, 0xffff, len - o, len - o + 8, rng.below(0x10000)];
  return rng.pick(choices) & 0xffff;
}

/**
 * Mutations and their weights: mostly value edits that keep the message's size (so the switch's
 * decoders get past the length checks), some that change its structure.
 */
const MUTATIONS: readonly [string, number][] = [
  ['bitflip', 3], ['byteset', 4], ['inner-length', 3], ['subtype', 1], ['version', 0.5], ['type', 0.5],
  ['truncate', 1], ['extend', 1], ['insert', 1], ['delete', 1], ['splice', 1],
];
const MUTATION_WEIGHT = MUTATIONS.reduce((a, [, w]) => a + w, 0);

function pickMutation(rng: Prng): string {
  let x = (rng.u32() / 0x100000000) * MUTATION_WEIGHT;
  for (const [op, w] of MUTATIONS) if ((x -= w) < 0) return op;
  return MUTATIONS[0][0];
}

/**
 * Mutates a copy of `seed` with 1–3 of: bit flips, byte sets (0, 0xff, ±1, random), truncation
 * (to ≥ 8 bytes), extension with junk (zeros, 0xff, random, a copy of its own bytes), junk
 * inserted or bytes deleted in the middle, edits of a 16-bit word that looks like an inner length
 * (match, action, instruction, property, bucket and band lengths all are), version / type /
 * stats-type / vendor-subtype swaps, and splicing with another message of `pool`. The header
 * length is then set to the new size, except for a share `unframedShare` of mutants that get a
 * wrong `ofp_header.length` instead ("header-length").
 * @param seed a whole message (≥ 8 bytes); not modified
 * @param pool messages to splice with (non-empty)
 * @returns the mutant, at most 65535 bytes
 */
export function mutate(rng: Prng, seed: Buffer, pool: readonly Buffer[], unframedShare = 0.04): Mutant {
  let b = Buffer.from(seed);
  const ops: string[] = [];
  const n = 1 + (rng.chance(0.3) ? 1 + (rng.chance(0.3) ? 1 : 0) : 0);
  for (let k = 0; k < n; k++) {
    const op = pickMutation(rng);
    ops.push(op);
    switch (op) {
      case 'bitflip':
        for (let i = rng.range(1, 4); i > 0; i--) {
          const at = rng.below(b.length);
          if (at !== 2 && at !== 3) b[at] ^= 1 << rng.below(8);
        }
        break;
      case 'byteset':
        for (let i = rng.range(1, 4); i > 0; i--) {
          const at = OFP_HEADER_LEN + rng.below(Math.max(1, b.length - OFP_HEADER_LEN));
          if (at < b.length) b[at] = byteValue(rng, b[at]);
        }
        break;
      case 'truncate':
        if (b.length > OFP_HEADER_LEN) b = b.subarray(0, rng.range(OFP_HEADER_LEN, b.length - 1));
        break;
      case 'extend':
        b = Buffer.concat([b, junk(rng, rng.range(1, 64), b)]);
        break;
      case 'insert': {
        const at = rng.range(OFP_HEADER_LEN, b.length);
        b = Buffer.concat([b.subarray(0, at), junk(rng, rng.pick([1, 2, 4, 8, rng.range(1, 32)]), b), b.subarray(at)]);
        break;
      }
      case 'delete': {
        if (b.length <= OFP_HEADER_LEN) break;
        const at = rng.range(OFP_HEADER_LEN, b.length - 1);
        const len = Math.min(b.length - at, rng.pick([1, 2, 4, 8, rng.range(1, 32)]));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      }
      case 'inner-length': {
        const c = lengthCandidates(b);
        if (!c.length) break;
        const o = rng.pick(c);
        b.writeUInt16BE(lengthValue(rng, b.readUInt16BE(o), o, b.length), o);
        break;
      }
      case 'version':
        b[0] = rng.chance(0.9) ? rng.range(1, 6) : rng.below(256);
        break;
      case 'type':
        b[1] = rng.chance(0.9) ? rng.below(36) : rng.below(256);
        break;
      case 'subtype': {
        const stats = isStatsRequest(b[0], b[1]) || isStatsReply(b[0], b[1]);
        if (stats && b.length >= 12) {
          b.writeUInt16BE(rng.chance(0.9) ? rng.below(25) : rng.pick([0xffff, rng.below(0x10000)]), 8);
        } else if (b[1] === OFPT_VENDOR && b.length >= 16) {
          if (rng.chance(0.25)) b.writeUInt32BE(rng.pick([NX_VENDOR_ID, ONF_VENDOR_ID, rng.u32()]), 8);
          else b.writeUInt32BE(rng.chance(0.8) ? rng.below(40) : rng.pick([ONFT13_BUNDLE_ADD_MESSAGE, 2300, 2302, rng.u32()]), 12);
        } else {
          b[1] = rng.below(36);
        }
        break;
      }
      case 'splice': {
        const other = rng.pick(pool);
        const i = rng.range(OFP_HEADER_LEN, b.length);
        const j = rng.range(Math.min(OFP_HEADER_LEN, other.length), other.length);
        b = Buffer.concat([b.subarray(0, i), other.subarray(j)]);
        break;
      }
    }
  }
  if (b.length > 0xffff) b = b.subarray(0, 0xffff);
  b = Buffer.from(b);
  if (rng.chance(unframedShare)) {
    ops.push('header-length');
    b.writeUInt16BE(rng.pick([rng.below(OFP_HEADER_LEN), b.length - rng.range(1, 8), b.length + rng.range(1, 64), 0xffff, rng.below(0x10000)]) & 0xffff, 2);
  } else {
    b.writeUInt16BE(b.length, 2);
  }
  return { buf: b, ops, framed: b.readUInt16BE(2) === b.length };
}

/**
 * Gives a framed message the xid `xid`; a bundled message whose xid equalled its bundle-add's
 * gets it too (OVS rejects a different inner xid with OFPBFC_MSG_BAD_XID, which would hide the
 * rest of the bundle-add handling).
 */
export function setXid(b: Buffer, xid: number): void {
  const old = b.readUInt32BE(4);
  b.writeUInt32BE(xid >>> 0, 4);
  let inner = -1;
  if (b[0] >= 5 && b[1] === OFPT14_BUNDLE_ADD_MESSAGE) inner = 16;
  else if (b[1] === OFPT_VENDOR && b.length >= 16 && b.readUInt32BE(8) === ONF_VENDOR_ID && b.readUInt32BE(12) === ONFT13_BUNDLE_ADD_MESSAGE) inner = 24;
  if (inner >= 0 && b.length >= inner + OFP_HEADER_LEN && b.readUInt32BE(inner + 4) === old) b.writeUInt32BE(xid >>> 0, inner + 4);
}

/** What `checkReply` knows about the connection a message came on and the request it answers. */
export interface ReplyContext {
  /** the connection's negotiated version */
  negotiated: number;
  /** the version byte of the request with the reply's xid, when there is one */
  requestVersion?: number;
  /** false on a desynchronised (short-lived) connection, where xids mean nothing */
  xidsKnown: boolean;
  /**
   * digests of large messages whose body already decoded: the switch sends the same multi-part
   * table features reply (2.4 MB over 254 tables) again and again, decoding it once suffices
   */
  decoded?: Set<string>;
}

/**
 * Checks one message the switch sent after HELLO, as a controller would need it:
 * - `ofp_header.length` = its size (≥ 8);
 * - its version is the negotiated one, except OFPT_ERROR and ECHO_REPLY answering a message of
 *   another version, which use that version (OpenFlow 1.0 for an unknown one, as OVS's
 *   ofperr_encode_reply);
 * - on a synchronised connection, its xid is one the peer sent, or 0 (asynchronous messages);
 * - it decodes with `decodeMsg`, its body with our decoder for its type (features, config, desc,
 *   role, flow_removed, port_status, packet_in and the flow/aggregate/group/meter/port/queue/table
 *   statistics replies), and an OFPT_ERROR in a known version answering a message of that
 *   version carries an error code that version defines.
 * @returns a description of the first problem, or undefined when the message is fine
 */
export function checkReply(m: Buffer, ctx: ReplyContext): string | undefined {
  if (m.length < OFP_HEADER_LEN || m.readUInt16BE(2) !== m.length) return `bad length ${m.length >= 4 ? m.readUInt16BE(2) : '?'} for ${m.length} bytes`;
  const v = m[0];
  const t = m[1];
  const rv = ctx.requestVersion;
  const okVersions = new Set([ctx.negotiated]);
  if ((t === OFPT_ERROR || t === OFPT_ECHO_REPLY) && rv !== undefined) okVersions.add(rv >= 1 && rv <= 6 ? rv : t === OFPT_ERROR ? 1 : rv);
  if (!ctx.xidsKnown && (t === OFPT_ERROR || t === OFPT_ECHO_REPLY)) return decodesOrWhy(m, ctx.decoded);
  if (!okVersions.has(v)) return `version 0x${v.toString(16)} (negotiated 0x${ctx.negotiated.toString(16)}, request 0x${rv?.toString(16) ?? 'none'})`;
  if (ctx.xidsKnown && rv === undefined && m.readUInt32BE(4) !== 0) return `xid 0x${m.readUInt32BE(4).toString(16)} answers nothing we sent`;
  const why = decodesOrWhy(m, ctx.decoded);
  if (why) return why;
  if (t === OFPT_ERROR && v >= 1 && v <= 6 && (rv === undefined || rv === v)) {
    const e = decodeErrorMsg(m);
    if (!e.err) return `error type ${e.type} code ${e.code} vendor 0x${e.vendor.toString(16)} is undefined in version 0x${v.toString(16)}`;
  }
  return undefined;
}

/** The body decoders of the messages a switch sends, by type (a controller's view of them). */
const BODY_DECODERS: Partial<Record<OfpType, (m: OfpMsg) => unknown>> = {
  FEATURES_REPLY: decodeFeaturesReply,
  GET_CONFIG_REPLY: decodeGetConfigReply,
  DESC_STATS_REPLY: decodeDescReply,
  ROLE_REPLY: decodeRoleMessage,
  FLOW_REMOVED: decodeFlowRemoved,
  FLOW_STATS_REPLY: decodeFlowStatsReply,
  AGGREGATE_STATS_REPLY: decodeAggregateStatsReply,
  GROUP_DESC_STATS_REPLY: decodeGroupDescReply,
  GROUP_STATS_REPLY: decodeGroupStatsReply,
  GROUP_FEATURES_STATS_REPLY: decodeGroupFeaturesReply,
  METER_CONFIG_STATS_REPLY: decodeMeterConfigReply,
  METER_STATS_REPLY: decodeMeterStatsReply,
  METER_FEATURES_STATS_REPLY: decodeMeterFeaturesReply,
  PORT_STATUS: decodePortStatus,
  PORT_DESC_STATS_REPLY: (m) => decodePorts(m.version, m.body),
  PORT_STATS_REPLY: decodePortStatsReply,
  QUEUE_STATS_REPLY: decodeQueueStatsReply,
  QUEUE_GET_CONFIG_REPLY: decodeQueueGetConfigReply,
  TABLE_DESC_REPLY: decodeTableDescReply,
  TABLE_STATS_REPLY: decodeTableStatsReply,
  TABLE_FEATURES_STATS_REPLY: (m) => decodeTableFeatures(m, false),
  // In OpenFlow 1.1 and 1.2, OVS 3.1 (ofputil_append_flow_update) writes a flow's ofpacts with
  // ofpacts_put_openflow_actions(), which puts instructions (goto_table, write_metadata,
  // write_actions, clear_actions) among the actions, where no decoder accepts them; the switch
  // copies that, so only the other versions' updates must decode.
  FLOW_MONITOR_STATS_REPLY: (m) => (m.version === 2 || m.version === 3 ? undefined : decodeFlowUpdates(m)),
  PACKET_IN: (m) => decodePacketIn(m, false),
};

function decodesOrWhy(m: Buffer, decoded?: Set<string>): string | undefined {
  if (m[1] === OFPT_HELLO) return undefined;
  let digest: string | undefined;
  if (decoded && m.length >= 4096) {
    // the xid differs between otherwise identical replies
    digest = createHash('sha1').update(m.subarray(0, 4)).update(m.subarray(8)).digest('hex');
    if (decoded.has(digest)) return undefined;
  }
  let msg: OfpMsg;
  try {
    msg = decodeMsg(m);
  } catch (e) {
    return `does not decode: ${(e as Error).message}`;
  }
  try {
    BODY_DECODERS[msg.type]?.(msg);
    if (digest) decoded!.add(digest);
    return undefined;
  } catch (e) {
    return `${msg.raw} body does not decode: ${(e as Error).message}`;
  }
}

/**
 * A raw OpenFlow client on a unix socket: sends HELLO with a version bitmap, frames what comes
 * back, and lets the caller wait for the reply carrying a given xid.
 */
export class OfpClient {
  /** the negotiated version (highest common one), 0 before HELLO or when none */
  version = 0;
  /** set once the socket is gone */
  isClosed = false;
  /** resolves when the socket is gone */
  readonly closed: Promise<void>;
  /** a framing problem in what the switch sent (length below 8), if any */
  framingError?: string;
  /** every message after the switch's HELLO, in order */
  onMessage: (m: Buffer) => void = () => undefined;
  private rx: Buffer = Buffer.alloc(0);
  /** requests waiting for a reply, by xid: settled by the reply, or rejected when the socket closes */
  private readonly waiters = new Map<number, { resolve: (m: Buffer) => void; reject: (e: Error) => void }>();
  private helloSeen?: () => void;

  private constructor(readonly sock: Socket, private readonly bitmap: number) {
    this.closed = new Promise((resolve) => sock.on('close', () => {
      this.isClosed = true;
      for (const [xid, w] of this.waiters) w.reject(new Error(`connection closed while waiting for xid 0x${xid.toString(16)}`));
      this.waiters.clear();
      resolve();
    }));
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => this.onData(d));
  }

  /**
   * Connects to `sockPath`, sends HELLO for `bitmap` (bit N = version N) and waits up to
   * `timeoutMs` for the switch's; with `ownHello` false, sends nothing and does not wait.
   * @throws Error when the connection fails or the HELLO does not come in time
   */
  static async connect(sockPath: string, bitmap: number, timeoutMs: number, ownHello = true): Promise<OfpClient> {
    const sock = createConnection(sockPath);
    const c = new OfpClient(sock, bitmap);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    if (!ownHello) return c;
    const seen = new Promise<void>((resolve) => (c.helloSeen = resolve));
    sock.write(encodeHello(bitmap));
    await withTimeout(seen, timeoutMs, `no HELLO from ${sockPath}`);
    return c;
  }

  /** Writes bytes as they are. */
  send(b: Buffer): void {
    if (!this.isClosed) this.sock.write(b);
  }

  /**
   * Sends `msg` and waits up to `timeoutMs` for the first message carrying `xid`.
   * @throws Error on timeout (the switch hangs) or when the connection closes first
   */
  async request(msg: Buffer, xid: number, timeoutMs: number): Promise<Buffer> {
    if (this.isClosed) throw new Error(`connection closed before sending xid 0x${xid.toString(16)}`);
    const reply = new Promise<Buffer>((resolve, reject) => this.waiters.set(xid, { resolve, reject }));
    this.send(msg);
    try {
      return await withTimeout(reply, timeoutMs, `no reply to xid 0x${xid.toString(16)} within ${timeoutMs} ms`);
    } finally {
      this.waiters.delete(xid);
    }
  }

  /** Half-closes (or destroys) the socket and waits up to `timeoutMs` for the switch to close it. */
  async close(timeoutMs: number, destroy = false): Promise<void> {
    if (destroy) this.sock.destroy();
    else this.sock.end();
    await withTimeout(this.closed, timeoutMs, 'the switch did not close the connection');
  }

  private onData(d: Buffer): void {
    this.rx = this.rx.length ? Buffer.concat([this.rx, d]) : d;
    let off = 0;
    while (this.rx.length - off >= OFP_HEADER_LEN) {
      const len = this.rx.readUInt16BE(off + 2);
      if (len < OFP_HEADER_LEN) {
        this.framingError ??= `message with length ${len}: ${this.rx.subarray(off, off + 16).toString('hex')}`;
        this.sock.destroy();
        return;
      }
      if (this.rx.length - off < len) break;
      const m = Buffer.from(this.rx.subarray(off, off + len));
      off += len;
      if (this.version === 0 && m[1] === OFPT_HELLO) {
        const common = (this.bitmap & helloBitmap(m)) >>> 0;
        this.version = common ? 31 - Math.clz32(common) : 0;
        this.helloSeen?.();
        continue;
      }
      this.waiters.get(m.readUInt32BE(4))?.resolve(m);
      this.onMessage(m);
    }
    this.rx = off === this.rx.length ? Buffer.alloc(0) : this.rx.subarray(off);
  }
}

/** The versions a HELLO announces: its bitmap element, else 1 through the header's version. */
function helloBitmap(m: Buffer): number {
  if (m.length >= 16 && m.readUInt16BE(8) === 1 && m.readUInt16BE(10) >= 8) return m.readUInt32BE(12);
  return m[0] >= 31 ? 0x7fffffff : ((1 << (m[0] + 1)) - 2);
}

/**
 * Resolves like `p`, or rejects with Error(`what`) after `ms` milliseconds.
 * @throws Error(what) on timeout
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a fuzz run is given. */
export interface FuzzSettings {
  /** the switch's unix socket (e.g. `<rundir>/br0.mgmt`) */
  sockPath: string;
  /** PRNG seed; printed with every problem so the run can be replayed */
  seed: number;
  /** seed messages by version */
  pools: Map<number, SeedPool>;
  /** framed mutants pipelined between two barriers */
  batchSize: number;
  /** how long a barrier, echo, HELLO or close may take before the switch counts as hung, ms */
  hangTimeoutMs: number;
  /** batches after which the long-lived connection is replaced (resets its per-connection state) */
  reconnectEvery: number;
  /** short-lived connections open at once for unframed mutants */
  shortConcurrency: number;
  /** share of mutants with a wrong `ofp_header.length` */
  unframedShare: number;
  /** share of mutants that are mutated HELLOs, each sent first on a connection of its own */
  helloShare: number;
  /** where the messages of a batch that hangs the switch are written, one hex per line */
  dumpDir: string;
}

/** A mutant for a short-lived connection: a HELLO in place of ours, or sent after ours; written in pieces cut at `cuts`. */
interface ShortCase {
  m: Mutant;
  hello: boolean;
  cuts: number[];
}

/** What a fuzz run saw. */
export interface FuzzReport {
  /** mutants sent, by version */
  byVersion: Record<number, number>;
  /** mutants pipelined on long-lived connections */
  framed: number;
  /** mutants with a wrong header length, each sent alone on a short-lived connection */
  unframed: number;
  /** mutated HELLOs, each opening a short-lived connection */
  hellos: number;
  batches: number;
  /** messages the switch sent on fuzzed connections, errors among them, OFPBRC_EPERM errors among those */
  replies: number;
  errors: number;
  eperm: number;
  /** error replies by error name ('?' for codes the version does not define) */
  errorNames: Record<string, number>;
  /** every problem found (at most `MAX_PROBLEMS` kept), each naming the seed and the message */
  problems: string[];
  nProblems: number;
}

const MAX_PROBLEMS = 50;
const MAX_DECODED = 2000;
const CONTROL_XID = 0x80000000;

/**
 * Drives a fuzz run against one switch: a control connection (resets the switch's state and
 * recreates the groups 3, 5, 0xffffff00 and meters 1, 2 that the golden action vectors refer
 * to), one observer connection per version 1.0–1.5 that asks for asynchronous messages
 * (miss_send_len 0xffff: flow_removed, port_status) and must keep answering, and per fuzzed
 * version a long-lived connection for framed mutants plus short-lived ones for unframed mutants.
 *
 * Problems recorded (see `FuzzReport.problems`): a reply failing `checkReply`, a framing error
 * in what the switch sends, a barrier/echo/HELLO/close that times out (hang), a long-lived
 * connection the switch closes, a reset message the switch refuses.
 */
export class FuzzRunner {
  readonly report: FuzzReport = { byVersion: {}, framed: 0, unframed: 0, hellos: 0, batches: 0, replies: 0, errors: 0, eperm: 0, errorNames: {}, problems: [], nProblems: 0 };
  private readonly rng: Prng;
  private xid = 1;
  private ctlXid = CONTROL_XID;
  private control?: OfpClient;
  private readonly observers: OfpClient[] = [];
  /**
   * framed messages sent on the long-lived connection, by xid, for as long as it lives: an error
   * for a bundled message may come batches later, at the commit, with the bundle-add's xid
   */
  private readonly inflight = new Map<number, Buffer>();
  private conn?: OfpClient;
  private connBatches = 0;
  private where = '';
  /** digests of large replies already decoded (at most MAX_DECODED) */
  private readonly decoded = new Set<string>();

  constructor(readonly settings: FuzzSettings) {
    this.rng = new Prng(settings.seed);
  }

  /** Records a problem with the replay information. */
  problem(text: string): void {
    this.report.nProblems++;
    if (this.report.problems.length < MAX_PROBLEMS) this.report.problems.push(`[seed 0x${this.settings.seed.toString(16)} ${this.where}] ${text}`);
  }

  /**
   * Opens the control and observer connections and resets the switch.
   * @throws Error when a connection cannot be opened or does not negotiate
   */
  async start(): Promise<void> {
    this.control = await this.watched(0x7e, 'control');
    for (let v = 1; v <= 6; v++) {
      const o = await this.watched(1 << v, `observer 0x${v.toString(16)}`);
      if (o.version !== v) throw new Error(`observer negotiated 0x${o.version.toString(16)} instead of 0x${v.toString(16)}`);
      o.send(encodeSetConfig(v, this.nextCtlXid(), { frag: 0, missSendLen: 0xffff }));
      this.observers.push(o);
    }
    await this.reset();
  }

  /** Closes every connection this runner opened and waits for the switch to close them. */
  async stop(): Promise<void> {
    await this.closeFuzzConnection();
    const all = [this.control, ...this.observers].filter((c): c is OfpClient => !!c);
    this.control = undefined;
    this.observers.length = 0;
    await Promise.all(all.map((c) => c.close(this.settings.hangTimeoutMs).catch((e: Error) => this.problem(`closing: ${e.message}`))));
  }

  /**
   * Empties the switch's tables, groups, meters and TLV map through the control connection,
   * recreates the groups and meters the golden actions use, and checks that every observer
   * still answers an echo.
   */
  async reset(): Promise<void> {
    if (this.decoded.size > MAX_DECODED) this.decoded.clear();
    const c = this.control!;
    const v = c.version;
    const catchall: FlowMod = {
      command: 'delete', match: Match.catchall(), priority: 0, cookie: 0n, cookieMask: 0n, newCookie: 0n, tableId: OFPTT_ALL,
      idleTimeout: 0, hardTimeout: 0, importance: 0, flags: 0, bufferId: OFP_NO_BUFFER, outPort: OFPP_ANY, outGroup: OFPG_ANY,
      ofpacts: [], modifyCookie: false,
    };
    const group = (command: 'delete' | 'add', groupId: number): Buffer => encodeGroupMod({ command, type: 'all', groupId, commandBucketId: OFPG15_BUCKET_ALL, buckets: [], props: emptyGroupProps() }, v, this.nextCtlXid());
    const msgs = [
      encodeFlowMod(catchall, v, this.nextCtlXid()),
      group('delete', OFPG_ALL),
      encodeMsg('NXT_TLV_TABLE_MOD', v, this.nextCtlXid(), Buffer.from([0, NXTTMC_CLEAR, 0, 0, 0, 0, 0, 0])),
      group('add', 3), group('add', 5), group('add', OFPG_MAX),
    ];
    if (v >= OFP13_VERSION) {
      msgs.push(
        encodeMeterMod({ command: 'delete', meter: { meterId: OFPM13_ALL, flags: 0, bands: [] } }, v, this.nextCtlXid()),
        encodeMeterMod({ command: 'add', meter: { meterId: 1, flags: OFPMF13_KBPS | OFPMF13_BURST | OFPMF13_STATS, bands: [{ type: OFPMBT13_DROP, rate: 1000, burstSize: 100, precLevel: 0 }] } }, v, this.nextCtlXid()),
        encodeMeterMod({ command: 'add', meter: { meterId: 2, flags: OFPMF13_PKTPS | OFPMF13_STATS, bands: [{ type: OFPMBT13_DROP, rate: 50, burstSize: 0, precLevel: 0 }] } }, v, this.nextCtlXid()),
      );
    }
    c.send(Buffer.concat(msgs));
    await this.barrier(c, 'reset');
    await Promise.all(this.observers.map(async (o) => {
      const xid = this.nextCtlXid();
      const r = await o.request(encodeEchoRequest(o.version, xid), xid, this.settings.hangTimeoutMs).catch((e: Error) => this.problem(`observer 0x${o.version.toString(16)}: ${e.message}`));
      if (r && r[1] !== OFPT_ECHO_REPLY) this.problem(`observer 0x${o.version.toString(16)} answered an echo with type ${r[1]}: ${r.toString('hex')}`);
    }));
  }

  /**
   * Sends `count` mutants of version `version`'s seeds: framed ones in batches on the long-lived
   * connection (each batch followed by a barrier and an echo that must be answered), unframed
   * ones alone on short-lived connections.
   */
  async run(version: number, count: number): Promise<void> {
    const pool = this.settings.pools.get(version)!;
    const all = [...pool.msgs, ...pool.flowMods];
    for (let sent = 0; sent < count;) {
      const n = Math.min(this.settings.batchSize, count - sent);
      const framed: Buffer[] = [];
      const short: ShortCase[] = [];
      for (let i = 0; i < n; i++) {
        if (this.rng.chance(this.settings.helloShare)) {
          // A mutated HELLO in place of ours, on a connection of its own.
          const hello = encodeHello(this.rng.chance(0.5) ? 1 << version : ((this.rng.u32() & (this.rng.chance(0.8) ? 0xfe : 0xfffffffe)) >>> 0) || 0x7e);
          short.push(this.shortCase(mutate(this.rng, hello, all, this.settings.unframedShare), true));
          continue;
        }
        const src = pool.flowMods.length && this.rng.chance(0.4) ? pool.flowMods : pool.msgs;
        const m = mutate(this.rng, this.rng.pick(src), all, this.settings.unframedShare);
        if (m.framed) framed.push(m.buf);
        else short.push(this.shortCase(m, false));
      }
      sent += n;
      this.report.byVersion[version] = (this.report.byVersion[version] ?? 0) + n;
      this.where = `version 0x${version.toString(16)} batch ${this.report.batches}`;
      await this.runBatch(version, framed);
      await this.runShort(version, short);
      this.report.batches++;
    }
  }

  /** A short-lived connection's mutant, written in 1–3 pieces (the switch must reassemble them). */
  private shortCase(m: Mutant, hello: boolean): ShortCase {
    const cuts = Array.from({ length: this.rng.below(3) }, () => this.rng.below(m.buf.length)).sort((a, b) => a - b);
    return { m, hello, cuts };
  }

  /**
   * Sends `framed` (whole messages of any kind, each getting a fresh xid) pipelined on the
   * long-lived connection of `version`, then a barrier and an echo that must be answered.
   */
  async runBatch(version: number, framed: Buffer[]): Promise<void> {
    if (this.conn && (this.conn.isClosed || this.connBatches >= this.settings.reconnectEvery || this.conn.version !== version)) {
      await this.closeFuzzConnection();
    }
    if (!this.conn) {
      this.conn = await this.watched(1 << version, 'fuzz', this.inflight);
      this.connBatches = 0;
    }
    const c = this.conn;
    this.connBatches++;
    const role = this.nextCtlXid();
    const out = [encodeRoleRequest(version, role, { role: OFPCR12_ROLE_EQUAL })];
    this.inflight.set(role, out[0]);
    for (const b of framed) {
      const xid = this.xid++;
      if (this.xid >= CONTROL_XID) this.xid = 1;
      setXid(b, xid);
      this.inflight.set(xid, b);
      out.push(b);
    }
    c.send(Buffer.concat(out));
    this.report.framed += framed.length;
    const ok = await this.barrier(c, 'batch');
    if (!ok) {
      const file = path.join(this.settings.dumpDir, `ofp-fuzz-${this.settings.seed.toString(16)}-v${version}-b${this.report.batches}.hex`);
      writeFileSync(file, framed.map((b) => b.toString('hex')).join('\n') + '\n');
      this.problem(`the batch's messages (one hex per line) are in ${file}`);
      c.sock.destroy();
    }
    if (c.isClosed) this.problem('the switch closed the long-lived connection');
  }

  /** Closes the long-lived connection (its per-connection state in the switch goes with it). */
  async closeFuzzConnection(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c && !c.isClosed) await c.close(this.settings.hangTimeoutMs).catch((e: Error) => this.problem(e.message));
    this.inflight.clear();
  }

  /** A barrier then an echo on `c`; both must be answered in time. Returns false on a hang. */
  private async barrier(c: OfpClient, what: string): Promise<boolean> {
    const bx = this.nextCtlXid();
    const ex = this.nextCtlXid();
    const t = this.settings.hangTimeoutMs;
    try {
      const [b, e] = await Promise.all([
        c.request(encodeBarrierRequest(c.version, bx), bx, t),
        c.request(encodeEchoRequest(c.version, ex, Buffer.from('fuzz')), ex, t),
      ]);
      if (decodeMsg(b).type !== 'BARRIER_REPLY') this.problem(`${what}: barrier answered with ${b.toString('hex')}`);
      if (e[1] !== OFPT_ECHO_REPLY || !e.subarray(8).equals(Buffer.from('fuzz'))) this.problem(`${what}: echo answered with ${e.toString('hex')}`);
      return true;
    } catch (err) {
      this.problem(`${what}: ${(err as Error).message} (hang?)`);
      return false;
    }
  }

  private async runShort(version: number, cases: ShortCase[]): Promise<void> {
    const queue = [...cases];
    const one = async ({ m, hello, cuts }: ShortCase): Promise<void> => {
      const tag = `${hello ? 'hello' : 'unframed'} ${m.ops.join('+')} ${m.buf.toString('hex').slice(0, 512)}`;
      let c: OfpClient;
      try {
        c = await OfpClient.connect(this.settings.sockPath, 1 << version, this.settings.hangTimeoutMs, !hello);
      } catch (e) {
        this.problem(`short-lived connection: ${(e as Error).message}`);
        return;
      }
      c.onMessage = (r) => this.checkMsg(r, { negotiated: version, xidsKnown: false, decoded: this.decoded }, tag);
      for (const [i, at] of [0, ...cuts].entries()) {
        c.send(m.buf.subarray(at, cuts[i] ?? m.buf.length));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await c.close(this.settings.hangTimeoutMs).catch((e: Error) => this.problem(`${e.message}: ${tag}`));
      if (c.framingError) this.problem(`framing: ${c.framingError}: ${tag}`);
      if (hello) this.report.hellos++;
      else this.report.unframed++;
    };
    const workers = Array.from({ length: this.settings.shortConcurrency }, async () => {
      for (let k = queue.shift(); k; k = queue.shift()) await one(k);
    });
    await Promise.all(workers);
  }

  /** Opens a connection whose every message is checked; `requests` maps xids to what was sent. */
  private async watched(bitmap: number, name: string, requests?: Map<number, Buffer>): Promise<OfpClient> {
    const c = await OfpClient.connect(this.settings.sockPath, bitmap, this.settings.hangTimeoutMs);
    c.onMessage = (m) => {
      const xid = m.readUInt32BE(4);
      const req = requests?.get(xid);
      const ours = xid >= CONTROL_XID;
      const ctx: ReplyContext = { negotiated: c.version, requestVersion: req ? req[0] : ours ? c.version : undefined, xidsKnown: true, decoded: this.decoded };
      if (ours && m[1] === OFPT_ERROR) this.problem(`${name}: error reply to our own message: ${m.toString('hex').slice(0, 512)}`);
      this.checkMsg(m, ctx, req ? `${name} request ${req.toString('hex').slice(0, 512)}` : name);
    };
    void c.closed.then(() => {
      if (c.framingError) this.problem(`${name}: framing: ${c.framingError}`);
    });
    return c;
  }

  private checkMsg(m: Buffer, ctx: ReplyContext, tag: string): void {
    this.report.replies++;
    if (m[1] === OFPT_ERROR) {
      this.report.errors++;
      try {
        const err = decodeErrorMsg(m).err ?? '?';
        this.report.errorNames[err] = (this.report.errorNames[err] ?? 0) + 1;
        if (err === 'OFPBRC_EPERM') this.report.eperm++;
      } catch {
        // checkReply reports it
      }
    }
    const why = checkReply(m, ctx);
    if (why) this.problem(`${why}: reply ${m.toString('hex').slice(0, 256)} to ${tag}`);
  }

  private nextCtlXid(): number {
    return this.ctlXid++ >>> 0;
  }
}

/**
 * Collects the evidence of a bug in the switch while it runs in this process:
 * - `log`, to give the switch as its vlog module: records every err/emer line, and warn lines
 *   of a handler exception (connmgr's "failed to handle …", answered with OFPBRC_EPERM) or of an
 *   encoder exception ("cannot send …"); other lines (protocol warnings) are only counted;
 * - `attach(ofproto)` wraps the switch's message handler (behaviour unchanged) to record the
 *   exact message and stack of any exception other than an OfpError;
 * - `install()` records uncaught exceptions and unhandled rejections of the process until
 *   `uninstall()`.
 */
export class BugWatch {
  readonly bugs: string[] = [];
  nWarnings = 0;
  readonly log: VlogModule;
  private readonly onUncaught = (e: unknown): void => this.bug(`uncaught exception: ${(e as Error)?.stack ?? e}`);
  private readonly onRejection = (e: unknown): void => this.bug(`unhandled rejection: ${(e as Error)?.stack ?? e}`);

  constructor() {
    const bugLine = /failed to handle|cannot send/;
    this.log = {
      name: 'connmgr',
      emer: (m) => this.bug(`EMER log: ${m}`),
      err: (m) => this.bug(`ERR log: ${m}`),
      warn: (m) => {
        this.nWarnings++;
        if (bugLine.test(m)) this.bug(`WARN log: ${m}`);
      },
      info: () => undefined,
      dbg: () => undefined,
      isDbgEnabled: () => false,
    };
  }

  /** Wraps `ofproto.handle` so that a non-OpenFlow exception is recorded with its message. */
  attach(ofproto: BridgeOfproto): void {
    const handle = ofproto.handle.bind(ofproto);
    ofproto.handle = async (c: Ofconn, msg: OfpMsg): Promise<void> => {
      try {
        await handle(c, msg);
      } catch (e) {
        if (!(e instanceof OfpError)) this.bug(`handler exception for ${msg.raw} (version 0x${msg.version.toString(16)}) ${msg.data.toString('hex')}: ${(e as Error)?.stack ?? e}`);
        throw e;
      }
    };
  }

  /** Starts recording the process's uncaught exceptions and unhandled rejections. */
  install(): void {
    process.on('uncaughtException', this.onUncaught);
    process.on('unhandledRejection', this.onRejection);
  }

  /** Stops recording them. */
  uninstall(): void {
    process.off('uncaughtException', this.onUncaught);
    process.off('unhandledRejection', this.onRejection);
  }

  private bug(text: string): void {
    if (this.bugs.length < MAX_PROBLEMS) this.bugs.push(text);
  }
}
