import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError, OfpErrName, decodeErrorMsg, encodeErrorMsg } from '../../src/openflow/ofp-errors';
import { decodeMsg, encodeProperty } from '../../src/openflow/ofp-msgs';
import { Match } from '../../src/openflow/match';
import { mfField } from '../../src/openflow/meta-flow';
import {
  COOKIE_NONE, Continuation, NXCPT_ACTIONS, decodeContinuation, decodePacketIn, decodePacketOut, decodeResume,
  encodeContinuation, encodePacketIn, encodePacketInReason, encodePacketOut, encodeResume,
} from '../../src/openflow/ofp-packet';
import {
  OFPR_ACTION, OFPR_ACTION_SET, OFPR_EXPLICIT_MISS, OFPR_GROUP, OFPR_IMPLICIT_MISS, OFPR_INVALID_TTL, OFPR_NO_MATCH,
  OFPR_PACKET_OUT, PacketInFormat,
} from '../../src/openflow/ofp-switch';

interface Exchange { v: number; note: string; req: string; replies: string[] }
const golden: {
  packetIns: { v: number; fmt: PacketInFormat; pkt: string; msgs: string[] }[];
  pause: { v: number; packetIn: string; resume: Exchange; badResume: Exchange; staleResume: Exchange }[];
  packetOuts: string[];
  packetOutErrors: Exchange[];
} = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/ofp-session.json'), 'utf8'));

const hex = (s: string) => Buffer.from(s, 'hex');
const throwsOfp = (fn: () => unknown, err: OfpErrName) =>
  assert.throws(fn, (e: unknown) => e instanceof OfpError && e.err === err, err);

function inPort(port: number): Match {
  const m = Match.catchall();
  m.setField(mfField('in_port'), Buffer.from([port >> 8, port & 0xff]));
  return m;
}

test('packet-ins re-encode byte for byte in every version and format the reference sends', () => {
  let n = 0;
  for (const c of golden.packetIns) {
    for (const h of c.msgs) {
      const m = decodeMsg(hex(h));
      const d = decodePacketIn(m);
      const again = encodePacketIn({
        version: m.version, format: c.fmt, packet: d.packet, totalLen: d.totalLen, bufferId: d.bufferId, reason: d.reason,
        tableId: d.tableId, cookie: d.cookie === COOKIE_NONE ? 0n : d.cookie, match: d.match, userdata: d.userdata,
        continuation: d.continuation,
      });
      assert.equal(again.toString('hex'), h, `${c.fmt} v${c.v} ${c.pkt}`);
      n++;
    }
  }
  assert.equal(n, 54);
});

test('packet-in metadata, table and userdata come through NXT_PACKET_IN2', () => {
  const c = golden.packetIns.find((x) => x.fmt === 'nxt_packet_in2' && x.v === 4 && x.pkt === 'tcp')!;
  const d = decodePacketIn(decodeMsg(hex(c.msgs[0])));
  assert.equal(d.tableId, 3);
  assert.equal(d.reason, OFPR_NO_MATCH);
  assert.deepEqual(d.userdata, Buffer.from([1, 2, 3, 4, 5]));
  assert.equal(d.match.getField(mfField('in_port')).value.readUInt16BE(0), 1);
  assert.equal(d.packet.length, 118);
  const icmp = decodePacketIn(decodeMsg(hex(golden.packetIns.find((x) => x.fmt === 'standard' && x.v === 4 && x.pkt === 'icmp')!.msgs[0])));
  assert.equal(icmp.match.getField(mfField('reg0')).value.readUInt32BE(0), 5);
});

test('internal packet-in reasons map to each version as OVS maps them', () => {
  const table: [number, number[]][] = [
    [OFPR_NO_MATCH, [0, 0, 0, 0, 0, 0]],
    [OFPR_ACTION, [1, 1, 1, 1, 1, 1]],
    [OFPR_INVALID_TTL, [2, 2, 2, 2, 2, 2]],
    [OFPR_ACTION_SET, [1, 1, 1, 1, 3, 3]],
    [OFPR_GROUP, [1, 1, 1, 1, 4, 4]],
    [OFPR_PACKET_OUT, [1, 1, 1, 1, 5, 5]],
    [OFPR_EXPLICIT_MISS, [1, 1, 1, 0, 0, 0]],
    [OFPR_IMPLICIT_MISS, [0, 0, 0, 0, 0, 0]],
  ];
  for (const [reason, wire] of table) {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((v) => encodePacketInReason(reason, v)), wire, `reason ${reason}`);
  }
});

test('NXT_PACKET_IN2 reports a truncated packet with its full length', () => {
  const pin = encodePacketIn({
    version: 4, format: 'nxt_packet_in2', packet: Buffer.alloc(64, 7), totalLen: 1500, reason: OFPR_ACTION,
    tableId: 2, cookie: COOKIE_NONE, match: inPort(3),
  });
  const d = decodePacketIn(decodeMsg(pin));
  assert.equal(d.totalLen, 1500);
  assert.equal(d.packet.length, 64);
  assert.equal(d.cookie, COOKIE_NONE);
  assert.equal(d.tableId, 2);
});

test('malformed NXT_PACKET_IN2 and NXT_RESUME are rejected', () => {
  const base = { version: 4, packet: Buffer.alloc(20, 1), reason: 0, tableId: 0, cookie: 0n, match: inPort(1) };
  const noPacket = decodeMsg(encodeResume({ ...base, packet: Buffer.alloc(0) }, 1));
  throwsOfp(() => decodeResume(noPacket), 'OFPBRC_BAD_LEN');
  const shortFull = decodeMsg(encodeResume({ ...base, totalLen: 10 }, 1));
  throwsOfp(() => decodeResume(shortFull), 'OFPBRC_BAD_LEN');
  const unknownCont = decodeMsg(encodeResume({ ...base, continuation: encodeProperty(0x8010, Buffer.alloc(4)) }, 1));
  throwsOfp(() => decodeResume(unknownCont), 'OFPBPC_BAD_TYPE');
  assert.equal(decodeContinuation(4, encodeProperty(0x8010, Buffer.alloc(4)), true).actions.length, 0);
  const hugeStack = decodeMsg(encodeResume({ ...base, continuation: encodeProperty(0x8001, Buffer.alloc(129)) }, 1));
  throwsOfp(() => decodeResume(hugeStack), 'OFPBPC_BAD_LEN');
});

test('continuations round-trip: stack order, rule groups and action set', () => {
  const c: Continuation = {
    bridge: Buffer.alloc(16, 0xab), stack: [Buffer.from([1]), Buffer.from([2, 2])], mirrors: 3, conntracked: true,
    actions: [
      { tableId: 0, cookie: 0n, ofpacts: [{ type: 'output', port: 2, maxLen: 0 }] },
      { tableId: 4, cookie: 0x88n, ofpacts: [{ type: 'output', port: 1, maxLen: 0 }] },
    ],
    actionSet: [{ type: 'output', port: 5, maxLen: 0 }], odpPort: 9,
  } as Continuation;
  const enc = encodeContinuation(1, c);
  assert.deepEqual(decodeContinuation(1, enc), c);
  const firstStack = enc.indexOf(Buffer.from([0x80, 0x01]));
  assert.equal(enc[firstStack + 4], 2, 'the top of the stack goes first');
  const back = decodeContinuation(1, Buffer.concat([enc, encodeProperty(NXCPT_ACTIONS, Buffer.alloc(4))]));
  assert.deepEqual(back.actions[2], { tableId: 4, cookie: 0x88n, ofpacts: [] });
});

test('NXT_RESUME of a paused pipeline: decoder errors match the reference', () => {
  for (const p of golden.pause) {
    const pin = decodePacketIn(decodeMsg(hex(p.packetIn)));
    assert.ok(pin.continuation.length > 0);
    for (const x of [p.resume, p.badResume, p.staleResume]) {
      const req = hex(x.req);
      let mine: OfpErrName | undefined;
      try {
        decodeResume(decodeMsg(req));
      } catch (e) {
        assert.ok(e instanceof OfpError);
        mine = e.err;
      }
      const reply = x.replies[0] ? hex(x.replies[0]) : undefined;
      if (!mine) {
        assert.ok(!reply || decodeErrorMsg(reply).err === 'NXR_STALE', `v${p.v}`);
      } else {
        assert.deepEqual(encodeErrorMsg(mine, p.v, req.readUInt32BE(4), req), reply, `v${p.v} ${mine}`);
      }
    }
  }
  const v1 = golden.pause.find((p) => p.v === 1)!;
  const cont = decodeResume(decodeMsg(hex(v1.resume.req))).continuation;
  assert.equal(cont.stack.length, 1);
  assert.deepEqual(cont.actions.map((g) => [g.tableId, g.cookie]), [[0, 0n], [4, 0x88n]]);
  assert.equal(cont.odpPort, 1);
  const pin = decodePacketIn(decodeMsg(hex(v1.packetIn)));
  assert.deepEqual(encodeContinuation(1, decodeContinuation(1, pin.continuation)), pin.continuation);
});

test('packet-outs from ovs-ofctl decode and re-encode byte for byte', () => {
  const ports = new Set<number>();
  for (const h of golden.packetOuts) {
    const m = decodeMsg(hex(h));
    const po = decodePacketOut(m);
    assert.equal(po.packet.length, 42);
    assert.ok(po.ofpacts.length > 0);
    ports.add(po.inPort);
    assert.equal(encodePacketOut(po, m.version, m.xid).toString('hex'), h);
  }
  assert.deepEqual([...ports].sort(), [1, 0xfffd, 0xfffe]);
  assert.equal(golden.packetOuts.length, 18);
});

test('malformed packet-outs get the errors the reference sends', () => {
  let checked = 0;
  for (const x of golden.packetOutErrors) {
    const req = hex(x.req);
    let mine: OfpErrName | undefined;
    try {
      decodePacketOut(decodeMsg(req));
    } catch (e) {
      assert.ok(e instanceof OfpError);
      mine = e.err;
    }
    const reply = hex(x.replies[0]);
    if (!mine) {
      assert.equal(decodeErrorMsg(reply).err, 'OFPBRC_BUFFER_UNKNOWN', x.note);
      continue;
    }
    assert.deepEqual(encodeErrorMsg(mine, x.v, req.readUInt32BE(4), req), reply, x.note);
    checked++;
  }
  assert.equal(checked, 10);
});

test('a buffered packet-out carries no packet', () => {
  const po = { bufferId: 7, match: inPort(1), ofpacts: [{ type: 'output', port: 2, maxLen: 0 }], packet: Buffer.alloc(10) } as Parameters<typeof encodePacketOut>[0];
  const back = decodePacketOut(decodeMsg(encodePacketOut(po, 4, 1)));
  assert.equal(back.bufferId, 7);
  assert.equal(back.packet.length, 0);
});
