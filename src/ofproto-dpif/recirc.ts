/**
 * Recirculation ids and the frozen translation states they name (OVS's
 * ofproto/ofproto-dpif-rid.c). A translation that must continue after the datapath has done
 * something it cannot see in advance (`ct(table=N)`: the conntrack lookup) "freezes": it records
 * where and with what it must resume — the bridge, the table, the pipeline metadata (tunnel,
 * `metadata`, registers, `in_port`), the conntracked flag, the action set, the stack, the actions
 * still to run — and emits `recirc(id)`. The datapath then re-injects the packet with
 * `recirc_id = id` in its flow key; the upcall for it resumes translation from that state.
 *
 * Ids are allocated as OVS allocates them: from 1 upwards (`next_id++`), an id whose slot is in
 * use being skipped, and the same frozen state (compared whole) getting the id it already has.
 * Every thread allocates (handlers translating upcalls, the revalidator re-translating megaflows,
 * the main thread for packet-outs and ofproto/trace) and any handler may receive the
 * recirculated packet, so the pool lives in a `SharedArrayBuffer` that the main thread creates
 * and every worker attaches to (`WorkerInit.recircPool`), with a spinlock (`Atomics`) as the MAC
 * table in mac-learning.ts.
 *
 * Lifetime: OVS counts references from datapath flows (ukeys) and frees an id 250–500 ms after
 * the last one goes. Here an id is "referenced" while some megaflow matches on it or recirculates
 * to it: the revalidator reports the ids it saw in each dump ({@link RecircPool.sweep}); an id no
 * dump has mentioned for {@link RECIRC_GRACE_MS} since it was last allocated or looked up stops
 * being handed out for its state (a new translation of the same state gets a new id, as in OVS
 * after the last unref), and is forgotten {@link RECIRC_EXPIRE_MS} later (until then a late
 * upcall carrying it can still resume).
 *
 * Layout: Int32 header [lock, next_id, capacity, data bytes per slot]; `capacity` slots of Int32
 * [id, state (0 free, 1 active, 2 expiring), hash, data length]; one Float64 time per slot
 * (CLOCK_MONOTONIC ms: last use when active, expiry start when expiring); `capacity` ×
 * data bytes of serialized states. Id N lives in slot N mod capacity, so a lookup by id is one
 * probe; a lookup by state scans the slots' hashes.
 */
import { FLOW_LAYOUT } from '../openflow/meta-flow';
import type { OdpAction } from '../genl/actions';
import type { Ofpact } from '../openflow/ofpacts';
import { decodeControllerCookie } from '../genl/user-action-cookie';

/** Default number of slots: the most ids alive at once. */
export const RECIRC_POOL_SLOTS = 4096;
/**
 * Bytes a serialized frozen state may take: a select group's freeze keeps every action after it
 * (about 50 bytes each), so room for long action lists (untouched pages cost no memory).
 */
export const RECIRC_STATE_BYTES = 4096;
/** How long an id no datapath flow mentions keeps being handed out for its state, ms. */
export const RECIRC_GRACE_MS = 2000;
/** How long an expiring id can still be resumed from, ms (OVS: 250 to 500 ms). */
export const RECIRC_EXPIRE_MS = 500;

const HDR = 4;
const SLOT = 4;
const FREE = 0;
const ACTIVE = 1;
const EXPIRING = 2;

/**
 * A frozen translation (OVS `struct frozen_state`): what resuming needs. Two states are the
 * same id when all of this is equal.
 */
export interface FrozenState {
  /** the bridge to resume in (OVS: ofproto_uuid) */
  bridge: string;
  /** the table to look up in when there are no `ofpacts` to run */
  tableId: number;
  /**
   * frozen metadata (OVS `struct frozen_metadata`): the bytes of the tunnel slots, `metadata`,
   * the registers and `in_port` of the flow at the freeze, by slot name; absent slots are zero
   */
  metadata: Record<string, Buffer>;
  /** whether the resumed translation sees the ct_* fields of the recirculated packet */
  conntracked: boolean;
  /** OVS `was_mpls` */
  wasMpls?: boolean;
  /** the translation's stack of pushed values (OVS `stack`), opaque bytes */
  stack?: Buffer;
  /** mirrors already output to (OVS `mirrors`) */
  mirrors?: number;
  /** the OpenFlow 1.1+ action set at the freeze */
  actionSet?: Ofpact[];
  /** actions to run on resuming, instead of a table lookup */
  ofpacts?: Ofpact[];
  /** the controller action's userdata (NXAST_CONTROLLER2), for the packet-in it sends (xlate-controller.ts) */
  userdata?: Buffer;
}

/** The flow slots of OVS's `frozen_metadata`: tunnel, metadata, registers, in_port. */
export const FROZEN_METADATA_SLOTS: readonly string[] = Object.keys(FLOW_LAYOUT).filter(
  (n) => n.startsWith('tun_') || n === 'metadata' || n === 'in_port' || /^reg\d+$/.test(n),
);

/** OVS `frozen_metadata_from_flow()`: the non-zero frozen metadata slots of `flow`. */
export function frozenMetadataFromFlow(flow: Uint8Array): Record<string, Buffer> {
  const md: Record<string, Buffer> = {};
  for (const name of FROZEN_METADATA_SLOTS) {
    const s = FLOW_LAYOUT[name];
    const b = flow.subarray(s.offset, s.offset + s.len);
    if (b.some((x) => x !== 0)) md[name] = Buffer.from(b);
  }
  return md;
}

/** OVS `frozen_metadata_to_flow()`: writes every frozen metadata slot of `flow` (zero when absent). */
export function frozenMetadataToFlow(md: Record<string, Buffer>, flow: Uint8Array): void {
  for (const name of FROZEN_METADATA_SLOTS) {
    const s = FLOW_LAYOUT[name];
    flow.fill(0, s.offset, s.offset + s.len);
    const v = md[name];
    if (v) flow.set(v.subarray(0, s.len), s.offset);
  }
}

/** Plain JSON form of a value: Buffers as {$b: hex}, bigints as {$n: decimal}, keys sorted. */
function toPlain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $b: Buffer.from(v).toString('hex') };
  if (typeof v === 'bigint') return { $n: v.toString() };
  if (Array.isArray(v)) return v.map(toPlain);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) o[k] = toPlain(x);
    }
    return o;
  }
  return v;
}

function fromPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$b === 'string' && Object.keys(o).length === 1) return Buffer.from(o.$b, 'hex');
    if (typeof o.$n === 'string' && Object.keys(o).length === 1) return BigInt(o.$n);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) out[k] = fromPlain(o[k]);
    return out;
  }
  return v;
}

/**
 * The canonical bytes of a frozen state: equal states give equal bytes (empty optional parts
 * are left out, object keys sorted).
 */
export function serializeFrozenState(st: FrozenState): Buffer {
  const norm: FrozenState = {
    bridge: st.bridge, tableId: st.tableId, metadata: st.metadata, conntracked: st.conntracked,
    wasMpls: st.wasMpls || undefined, stack: st.stack?.length ? st.stack : undefined, mirrors: st.mirrors || undefined,
    actionSet: st.actionSet?.length ? st.actionSet : undefined, ofpacts: st.ofpacts?.length ? st.ofpacts : undefined,
    userdata: st.userdata?.length ? st.userdata : undefined,
  };
  return Buffer.from(JSON.stringify(toPlain(norm)), 'utf8');
}

/** The inverse of {@link serializeFrozenState}. @throws SyntaxError on bytes it did not produce */
export function deserializeFrozenState(b: Uint8Array): FrozenState {
  const st = fromPlain(JSON.parse(Buffer.from(b).toString('utf8'))) as FrozenState;
  st.metadata ??= {};
  return st;
}

/** FNV-1a over bytes. */
function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h | 0;
}

/** CLOCK_MONOTONIC ms (the same clock in every thread). */
function nowMs(): number {
  return Number(process.hrtime.bigint() / 1000000n);
}

/** The shared pool of recirculation ids (see the module comment). */
export class RecircPool {
  readonly buffer: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly times: Float64Array;
  private readonly data: Uint8Array;
  private readonly capacity: number;
  private readonly stateBytes: number;

  /**
   * @param buffer an existing pool's buffer (a worker attaching to the main thread's pool), or
   *   undefined to allocate a new one
   * @param slots slots when allocating: the most ids alive at once
   * @param stateBytes bytes per serialized state when allocating
   */
  constructor(buffer?: SharedArrayBuffer, slots = RECIRC_POOL_SLOTS, stateBytes = RECIRC_STATE_BYTES) {
    if (!buffer) {
      const words = HDR + slots * SLOT;
      const timesOff = Math.ceil((words * 4) / 8) * 8;
      buffer = new SharedArrayBuffer(timesOff + slots * 8 + slots * stateBytes);
      const h = new Int32Array(buffer, 0, HDR);
      h[1] = 1;
      h[2] = slots;
      h[3] = stateBytes;
    }
    this.buffer = buffer;
    const h = new Int32Array(buffer, 0, HDR);
    this.capacity = h[2];
    this.stateBytes = h[3];
    const words = HDR + this.capacity * SLOT;
    const timesOff = Math.ceil((words * 4) / 8) * 8;
    this.i32 = new Int32Array(buffer, 0, words);
    this.times = new Float64Array(buffer, timesOff, this.capacity);
    this.data = new Uint8Array(buffer, timesOff + this.capacity * 8, this.capacity * this.stateBytes);
  }

  private lock(): void {
    while (Atomics.compareExchange(this.i32, 0, 0, 1) !== 0) {
      // Critical sections are short; spinning is cheaper than sleeping.
    }
  }

  private unlock(): void {
    Atomics.store(this.i32, 0, 0);
  }

  private slotOf(id: number): number {
    return (id >>> 0) % this.capacity;
  }

  /**
   * OVS `recirc_alloc_id_ctx()`: the id of `state`, the existing one if an active id holds an
   * equal state, else the next free id (from 1 upwards; after 2^32−1, from 1025 on, as OVS).
   * @param now CLOCK_MONOTONIC ms (defaults to the clock)
   * @returns the id, or 0 when the state is too big to store or every slot is in use (OVS's
   *   "Failed to allocate recirculation id")
   */
  alloc(state: FrozenState, now = nowMs()): number {
    const bytes = serializeFrozenState(state);
    if (bytes.length > this.stateBytes) return 0;
    const hash = hashBytes(bytes);
    this.lock();
    try {
      const i32 = this.i32;
      for (let s = 0; s < this.capacity; s++) {
        const o = HDR + s * SLOT;
        if (i32[o + 1] !== ACTIVE || i32[o + 2] !== hash || i32[o + 3] !== bytes.length) continue;
        const d = s * this.stateBytes;
        if (Buffer.compare(this.data.subarray(d, d + bytes.length), bytes) !== 0) continue;
        this.times[s] = Math.max(this.times[s], now);
        return i32[o] >>> 0;
      }
      for (let tries = 0; tries < this.capacity; tries++) {
        let id = i32[1] >>> 0;
        i32[1] = (id + 1) | 0;
        if (id === 0) {
          id = 1025;
          i32[1] = 1026;
        }
        const s = this.slotOf(id);
        const o = HDR + s * SLOT;
        if (i32[o + 1] !== FREE) continue;
        i32[o] = id | 0;
        i32[o + 1] = ACTIVE;
        i32[o + 2] = hash;
        i32[o + 3] = bytes.length;
        this.times[s] = now;
        this.data.set(bytes, s * this.stateBytes);
        return id;
      }
      return 0;
    } finally {
      this.unlock();
    }
  }

  /**
   * OVS `recirc_id_node_find()`: the frozen state of `id`, active or expiring; undefined when
   * the id is unknown. Looking an active id up counts as a use.
   */
  find(id: number, now = nowMs()): FrozenState | undefined {
    if (!id) return undefined;
    let bytes: Buffer | undefined;
    this.lock();
    try {
      const s = this.slotOf(id);
      const o = HDR + s * SLOT;
      const st = this.i32[o + 1];
      if (st === FREE || this.i32[o] >>> 0 !== id >>> 0) return undefined;
      if (st === ACTIVE) this.times[s] = Math.max(this.times[s], now);
      const d = s * this.stateBytes;
      bytes = Buffer.from(this.data.subarray(d, d + this.i32[o + 3]));
    } finally {
      this.unlock();
    }
    return deserializeFrozenState(bytes);
  }

  /**
   * Garbage collection, run by the revalidator after each dump: `used` are the ids the dumped
   * megaflows match on or recirculate to (they count as used now); an active id unused since
   * before `passStartMs − RECIRC_GRACE_MS` starts expiring, an id expiring for longer than
   * RECIRC_EXPIRE_MS is freed.
   * @param passStartMs CLOCK_MONOTONIC ms when the dump began (anything allocated after it is kept)
   * @returns the ids freed
   */
  sweep(used: Iterable<number>, passStartMs: number, now = nowMs()): number[] {
    const freed: number[] = [];
    this.lock();
    try {
      const i32 = this.i32;
      for (const id of used) {
        const s = this.slotOf(id);
        const o = HDR + s * SLOT;
        if (i32[o + 1] === ACTIVE && i32[o] >>> 0 === id >>> 0) this.times[s] = Math.max(this.times[s], now);
      }
      for (let s = 0; s < this.capacity; s++) {
        const o = HDR + s * SLOT;
        if (i32[o + 1] === ACTIVE && this.times[s] < passStartMs - RECIRC_GRACE_MS) {
          i32[o + 1] = EXPIRING;
          this.times[s] = now;
        } else if (i32[o + 1] === EXPIRING && now - this.times[s] > RECIRC_EXPIRE_MS) {
          i32[o + 1] = FREE;
          freed.push(i32[o] >>> 0);
        }
      }
    } finally {
      this.unlock();
    }
    return freed;
  }

  /** The ids that are allocated (active or expiring), ascending. */
  ids(): number[] {
    const out: number[] = [];
    this.lock();
    try {
      for (let s = 0; s < this.capacity; s++) {
        const o = HDR + s * SLOT;
        if (this.i32[o + 1] !== FREE) out.push(this.i32[o] >>> 0);
      }
    } finally {
      this.unlock();
    }
    return out.sort((a, b) => a - b);
  }
}

let threadPool: RecircPool | undefined;

/**
 * The pool this thread's translations allocate from and resume with: the one given to
 * {@link setThreadRecircPool}, else a private one created on first use (the main thread's, which
 * `Udpif` shares with its workers).
 */
export function threadRecircPool(): RecircPool {
  threadPool ??= new RecircPool();
  return threadPool;
}

/** Makes `pool` this thread's pool (workers: `new RecircPool(init.recircPool)`; tests: a fresh one). */
export function setThreadRecircPool(pool: RecircPool): void {
  threadPool = pool;
}

/**
 * The recirculation ids datapath actions name (`recirc(id)` and the recirc_id of controller
 * userspace cookies, nested ones included): what a megaflow with these actions keeps alive.
 */
export function recircIdsOfActions(actions: readonly OdpAction[], out: number[] = []): number[] {
  for (const a of actions) {
    switch (a.type) {
      case 'recirc':
        out.push(a.id);
        break;
      case 'userspace': {
        // userspace(controller(recirc_id=N)): the packet-in's frozen state (xlate-controller.ts).
        const id = decodeControllerCookie(a.userdata)?.recircId;
        if (id) out.push(id);
        break;
      }
      case 'sample':
      case 'clone':
      case 'dec_ttl':
        recircIdsOfActions(a.actions, out);
        break;
      case 'check_pkt_len':
        recircIdsOfActions(a.ifGreater, out);
        recircIdsOfActions(a.ifLessEqual, out);
        break;
      default:
    }
  }
  return out;
}
