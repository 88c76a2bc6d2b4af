import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError, OfpErrName, decodeErrorMsg, encodeErrorMsg } from '../../src/openflow/ofp-errors';
import { OfpMsg, decodeMsg, encodeMsg, encodePropU32 } from '../../src/openflow/ofp-msgs';
import {
  NETDEV_F_10GB_FD, NETDEV_F_1GB_FD, NETDEV_F_AUTONEG, NETDEV_F_COPPER, NETDEV_F_PAUSE_ASYM, OFPPR_MODIFY, OFPQ_ALL,
  OFPUTIL_PC_NO_FLOOD, OFPUTIL_PC_NO_FWD, OFPUTIL_PC_NO_STP, OFPUTIL_PC_PORT_DOWN, OFPUTIL_PS_LIVE, OFPUTIL_PS_STP_FORWARD,
  PortDesc, PortStats, QUEUE_RATE_NONE, STATS_UNKNOWN, decodePort, decodePortDescRequest, decodePortMod, decodePorts,
  decodePortStatsReply, decodePortStatsRequest, decodePortStatus, decodeQueueGetConfigReply,
  decodeQueueGetConfigRequest, decodeQueueStatsReply, decodeQueueStatsRequest, encodePort, encodePortDescReply,
  encodePortDescRequest, encodePortMod, encodePortStatsReply, encodePortStatsRequest, encodePortStatus,
  encodeQueueGetConfigReply, encodeQueueGetConfigRequest, encodeQueueStatsReply, encodeQueueStatsRequest,
  macFromString, macToString,
} from '../../src/openflow/ofp-port';

interface Exchange { v: number; note: string; req: string; replies: string[] }
const golden: { session: Exchange[]; portStatus: Record<string, string[]> } = JSON.parse(fs.readFileSync(
  path.join(__dirname, '../../../test/unit/golden/ofp-session.json'), 'utf8'));

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const msg = (s: string | Buffer) => decodeMsg(typeof s === 'string' ? hex(s) : s);
const throwsOfp = (fn: () => unknown, err: OfpErrName) =>
  assert.throws(fn, (e: unknown) => e instanceof OfpError && e.err === err, err);

const DECODERS: Partial<Record<string, (m: OfpMsg) => unknown>> = {
  PORT_MOD: (m) => decodePortMod(m),
  PORT_STATS_REQUEST: decodePortStatsRequest,
  QUEUE_STATS_REQUEST: decodeQueueStatsRequest,
  QUEUE_GET_CONFIG_REQUEST: decodeQueueGetConfigRequest,
  PORT_DESC_STATS_REQUEST: decodePortDescRequest,
};

const samplePort: PortDesc = {
  portNo: 7, hwAddr: '02:00:00:00:00:07', name: 'veth-with-a-long-name', config: OFPUTIL_PC_PORT_DOWN | OFPUTIL_PC_NO_FLOOD,
  state: OFPUTIL_PS_LIVE | OFPUTIL_PS_STP_FORWARD, curr: NETDEV_F_10GB_FD | NETDEV_F_COPPER,
  advertised: NETDEV_F_1GB_FD | NETDEV_F_AUTONEG, supported: NETDEV_F_10GB_FD | NETDEV_F_PAUSE_ASYM, peer: 0,
  currSpeed: 10_000_000, maxSpeed: 10_000_000,
};

test('port request decoders raise the errors the reference sends', () => {
  const semantic = new Set(['OFPPMFC_BAD_PORT', 'OFPPMFC_BAD_HW_ADDR']);
  let checked = 0;
  for (const x of golden.session) {
    const req = hex(x.req);
    let m: OfpMsg;
    try {
      m = decodeMsg(req);
    } catch {
      continue;
    }
    const decode = DECODERS[m.type];
    if (!decode) continue;
    let mine: OfpErrName | undefined;
    try {
      decode(m);
    } catch (e) {
      assert.ok(e instanceof OfpError);
      mine = e.err;
    }
    const errReply = x.replies.map(hex).find((b) => b[1] === 1);
    if (!mine) {
      assert.ok(!errReply || semantic.has(decodeErrorMsg(errReply).err!), `${x.note} v${x.v}`);
    } else {
      assert.ok(errReply, `${x.note} v${x.v}`);
      assert.deepEqual(encodeErrorMsg(mine, x.v, req.readUInt32BE(4), req), errReply, `${x.note} v${x.v}`);
      checked++;
    }
  }
  assert.ok(checked >= 6, `only ${checked} error cases`);
});

test('port replies captured from the reference re-encode byte for byte', () => {
  const seen = new Set<string>();
  for (const x of golden.session) {
    if (!x.replies.length || hex(x.replies[0])[1] === 1) continue;
    const req = decodeMsg(hex(x.req));
    for (const r of x.replies) {
      const reply = msg(r);
      let again: Buffer[];
      switch (reply.type) {
        case 'PORT_DESC_STATS_REPLY': again = encodePortDescReply(req, decodePorts(reply.version, reply.body)); break;
        case 'PORT_STATS_REPLY': again = encodePortStatsReply(req, decodePortStatsReply(reply)); break;
        case 'QUEUE_STATS_REPLY': again = encodeQueueStatsReply(req, decodeQueueStatsReply(reply)); break;
        case 'QUEUE_GET_CONFIG_REPLY':
          again = encodeQueueGetConfigReply(req, decodeQueueGetConfigRequest(req).portNo, decodeQueueGetConfigReply(reply));
          break;
        default: continue;
      }
      assert.equal(again.length, 1);
      assert.equal(again[0].toString('hex'), r, `${x.note} v${x.v}`);
      seen.add(`${reply.raw}/${reply.version}`);
    }
  }
  for (const key of ['OFPST10_PORT_DESC_REPLY/1', 'OFPST11_PORT_DESC_REPLY/4', 'OFPST14_PORT_DESC_REPLY/6', 'OFPST10_PORT_REPLY/1',
    'OFPST11_PORT_REPLY/3', 'OFPST13_PORT_REPLY/4', 'OFPST14_PORT_REPLY/5', 'OFPT10_QUEUE_GET_CONFIG_REPLY/1',
    'OFPT11_QUEUE_GET_CONFIG_REPLY/4', 'OFPST14_QUEUE_DESC_REPLY/6', 'OFPST13_QUEUE_REPLY/4']) {
    assert.ok(seen.has(key), key);
  }
});

test('PORT_STATUS messages captured from the reference decode and re-encode in every version', () => {
  const reasons: number[] = [];
  for (const [v, msgs] of Object.entries(golden.portStatus)) {
    assert.equal(msgs.length, 3, `v${v}`);
    for (const h of msgs) {
      const m = msg(h);
      const ps = decodePortStatus(m);
      assert.equal(ps.desc.name, 'p3');
      assert.equal(ps.desc.portNo, 3);
      assert.equal(encodePortStatus(m.version, ps).toString('hex'), h);
      reasons.push(ps.reason);
    }
  }
  assert.deepEqual(reasons.slice(0, 3), [0, 2, 1]);
  const modified = decodePortStatus(msg(golden.portStatus['1'][1]));
  assert.equal(modified.reason, OFPPR_MODIFY);
  assert.equal(modified.desc.config & OFPUTIL_PC_NO_FLOOD, OFPUTIL_PC_NO_FLOOD);
});

test('port descriptions keep only what each version can carry', () => {
  const p10 = decodePort(1, encodePort(1, samplePort), 0)!;
  assert.equal(p10.length, 48);
  assert.equal(p10.port.name, 'veth-with-a-lon');
  assert.equal(p10.port.config, OFPUTIL_PC_PORT_DOWN | OFPUTIL_PC_NO_FLOOD);
  assert.equal(p10.port.state, OFPUTIL_PS_STP_FORWARD);
  assert.equal(p10.port.curr, NETDEV_F_10GB_FD | NETDEV_F_COPPER);
  assert.equal(p10.port.supported, NETDEV_F_10GB_FD | NETDEV_F_PAUSE_ASYM);
  assert.equal(p10.port.currSpeed, 10_000_000);
  assert.equal(encodePort(1, samplePort).readUInt32BE(32), 0x40 | (NETDEV_F_COPPER >> 4));
  const p11 = decodePort(3, encodePort(3, samplePort), 0)!;
  assert.equal(p11.length, 64);
  assert.equal(p11.port.config, OFPUTIL_PC_PORT_DOWN);
  assert.equal(p11.port.state, OFPUTIL_PS_LIVE);
  const p14 = decodePort(5, encodePort(5, samplePort), 0)!;
  assert.equal(p14.length, 72);
  assert.deepEqual(p14.port, { ...p11.port });
  assert.equal(decodePort(5, Buffer.alloc(0), 0), undefined);
  assert.equal(decodePort(4, Buffer.alloc(63), 0), undefined);
});

test('malformed port descriptions and port numbers are rejected with OVS errors', () => {
  const p14 = encodePort(5, samplePort);
  throwsOfp(() => decodePort(5, p14.subarray(0, 39), 0), 'OFPBRC_BAD_LEN');
  const longLen = Buffer.from(p14);
  longLen.writeUInt16BE(80, 4);
  throwsOfp(() => decodePort(5, longLen, 0), 'OFPBRC_BAD_LEN');
  const badEth = Buffer.from(p14);
  badEth.writeUInt16BE(28, 42);
  throwsOfp(() => decodePort(5, badEth, 0), 'OFPBPC_BAD_LEN');
  const badNo = encodePort(4, samplePort);
  badNo.writeUInt32BE(0x10000, 0);
  throwsOfp(() => decodePort(4, badNo, 0), 'OFPBAC_BAD_OUT_PORT');
  const ps = encodePortStatus(4, { reason: 0, desc: samplePort });
  ps[8] = 3;
  throwsOfp(() => decodePortStatus(msg(ps)), 'NXBRC_BAD_REASON');
});

test('PORT_MOD masks config by mask and carries advertise per version', () => {
  const pm = { portNo: 3, hwAddr: 'aa:55:aa:55:00:0f', config: OFPUTIL_PC_NO_FWD | OFPUTIL_PC_NO_STP, mask: OFPUTIL_PC_NO_FWD | OFPUTIL_PC_NO_STP,
    advertise: NETDEV_F_1GB_FD | NETDEV_F_AUTONEG };
  assert.deepEqual(decodePortMod(msg(encodePortMod(pm, 1, 1))), pm);
  for (const v of [2, 4, 5, 6]) {
    assert.deepEqual(decodePortMod(msg(encodePortMod(pm, v, 1))), { ...pm, config: OFPUTIL_PC_NO_FWD, mask: OFPUTIL_PC_NO_FWD }, `v${v}`);
  }
  const unmasked = decodePortMod(msg(encodePortMod({ ...pm, mask: 0 }, 1, 1)));
  assert.equal(unmasked.config, 0);
  assert.equal(encodePortMod({ ...pm, advertise: 0 }, 5, 1).length, 8 + 24);
  const withUnknown = msg(encodeMsg('OFPT14_PORT_MOD', 5, 1, Buffer.concat([encodePortMod(pm, 5, 1).subarray(8, 32), encodePropU32(7, 1)])));
  throwsOfp(() => decodePortMod(withUnknown), 'OFPBPC_BAD_TYPE');
  assert.equal(decodePortMod(withUnknown, true).portNo, 3);
  const shortEth = msg(encodeMsg('OFPT14_PORT_MOD', 5, 1, Buffer.concat([encodePortMod(pm, 5, 1).subarray(8, 32), hex('0000000600000000')])));
  throwsOfp(() => decodePortMod(shortEth), 'OFPBPC_BAD_LEN');
});

test('port and queue statistics round-trip in every version', () => {
  const stats: PortStats = {
    portNo: 2, durationSec: 12, durationNsec: 500, rxPackets: 1n, txPackets: 2n, rxBytes: 3n, txBytes: 4n, rxDropped: 5n,
    txDropped: 6n, rxErrors: 7n, txErrors: 8n, rxFrameErrors: 9n, rxOverErrors: 10n, rxCrcErrors: 11n, collisions: 12n,
  };
  for (const v of [1, 2, 3, 4, 5, 6]) {
    const req = msg(encodePortStatsRequest(v, 3, 2));
    assert.equal(decodePortStatsRequest(req).portNo, 2);
    const [reply] = encodePortStatsReply(req, [stats]);
    const back = decodePortStatsReply(msg(reply))[0];
    const expectDuration = v >= 4 ? { durationSec: 12, durationNsec: 500 } : { durationSec: 0xffffffff, durationNsec: 0xffffffff };
    const { rfc2819, ...plain } = back;
    assert.deepEqual(plain, { ...stats, ...expectDuration }, `v${v}`);
    if (v >= 5) assert.equal(rfc2819!.rx1To64Packets, STATS_UNKNOWN);
  }
  const custom = { ...stats, rfc2819: { rx1To64Packets: 99n }, custom: [{ name: 'rx_q0_bytes', value: 42n }] };
  const back = decodePortStatsReply(msg(encodePortStatsReply(msg(encodePortStatsRequest(5, 1, 2)), [custom])[0]))[0];
  assert.equal(back.rfc2819!.rx1To64Packets, 99n);
  assert.equal(back.rfc2819!.txBroadcastPackets, STATS_UNKNOWN);
  assert.deepEqual(back.custom, [{ name: 'rx_q0_bytes', value: 42n }]);
  const q = { portNo: 1, queueId: 3, txBytes: 10n, txPackets: 1n, txErrors: 0n, durationSec: 4, durationNsec: 5 };
  for (const v of [1, 3, 4, 6]) {
    const req = msg(encodeQueueStatsRequest(v, 1, 0xffff, OFPQ_ALL));
    assert.deepEqual(decodeQueueStatsRequest(req), { portNo: 0xffff, queueId: OFPQ_ALL });
    const back1 = decodeQueueStatsReply(msg(encodeQueueStatsReply(req, [q])[0]))[0];
    assert.deepEqual(back1, v >= 4 ? q : { ...q, durationSec: 0xffffffff, durationNsec: 0xffffffff }, `v${v}`);
  }
  assert.equal(encodeQueueStatsRequest(1, 1, 0xffff, 1).readUInt16BE(12), 0xfffc);
});

test('port stats replies split into several messages past 65535 bytes', () => {
  const s: PortStats = {
    portNo: 1, durationSec: 0, durationNsec: 0, rxPackets: 0n, txPackets: 0n, rxBytes: 0n, txBytes: 0n, rxDropped: 0n,
    txDropped: 0n, rxErrors: 0n, txErrors: 0n, rxFrameErrors: 0n, rxOverErrors: 0n, rxCrcErrors: 0n, collisions: 0n,
  };
  const parts = encodePortStatsReply(msg(encodePortStatsRequest(5, 1, 0xffff)), Array.from({ length: 500 }, (_, i) => ({ ...s, portNo: i + 1 })));
  assert.equal(parts.length, 3);
  assert.deepEqual(parts.map((p) => decodeMsg(p).flags), [1, 1, 0]);
  assert.equal(parts.flatMap((p) => decodePortStatsReply(decodeMsg(p))).length, 500);
});

test('queue configuration requests and replies per version', () => {
  throwsOfp(() => decodeQueueGetConfigRequest(msg(encodeQueueGetConfigRequest(1, 1, 0xfffe))), 'OFPQOFC_BAD_PORT');
  throwsOfp(() => decodeQueueGetConfigRequest(msg(encodeQueueGetConfigRequest(1, 1, 0xffff))), 'OFPQOFC_BAD_PORT');
  assert.deepEqual(decodeQueueGetConfigRequest(msg(encodeQueueGetConfigRequest(4, 1, 0xffff))), { portNo: 0xffff, queueId: OFPQ_ALL });
  throwsOfp(() => decodeQueueGetConfigRequest(msg(encodeQueueGetConfigRequest(4, 1, 0xfffe))), 'OFPQOFC_BAD_PORT');
  assert.deepEqual(decodeQueueGetConfigRequest(msg(encodeQueueGetConfigRequest(5, 1, 0xfffe, 7))), { portNo: 0xfffe, queueId: 7 });
  const queues = [{ portNo: 2, queueId: 1, minRate: 100, maxRate: QUEUE_RATE_NONE }, { portNo: 2, queueId: 2, minRate: QUEUE_RATE_NONE, maxRate: 900 }];
  for (const v of [1, 2, 3, 4, 5]) {
    const req = msg(encodeQueueGetConfigRequest(v, 1, 2));
    const replies = encodeQueueGetConfigReply(req, 2, queues);
    assert.equal(replies.length, 1);
    assert.deepEqual(decodeQueueGetConfigReply(msg(replies[0])), queues, `v${v}`);
  }
  const bad = encodeQueueGetConfigReply(msg(encodeQueueGetConfigRequest(1, 1, 2)), 2, queues)[0];
  bad.writeUInt16BE(12, 20);
  throwsOfp(() => decodeQueueGetConfigReply(msg(bad)), 'OFPBRC_BAD_LEN');
});

test('port description requests: OpenFlow 1.5 names a port', () => {
  assert.deepEqual(decodePortDescRequest(msg(encodePortDescRequest(4, 1))), { portNo: 0xffff });
  assert.deepEqual(decodePortDescRequest(msg(encodePortDescRequest(6, 1, 5))), { portNo: 5 });
  const bad = encodePortDescRequest(6, 1, 5);
  bad.writeUInt32BE(0xfff00000, 16);
  throwsOfp(() => decodePortDescRequest(msg(bad)), 'OFPBAC_BAD_OUT_PORT');
});

test('MAC addresses convert between text and bytes', () => {
  assert.equal(macToString(macFromString('AA:5:aa:55:00:0f')), 'aa:05:aa:55:00:0f');
  assert.throws(() => macFromString('aa:bb'), RangeError);
});

test('a port stats reply with a cut-short or mis-sized entry is rejected', () => {
  const reply = encodePortStatsReply(msg(encodePortStatsRequest(5, 1, 1)), [])[0];
  const withTail = Buffer.concat([reply, Buffer.alloc(8)]);
  withTail.writeUInt16BE(withTail.length, 2);
  throwsOfp(() => decodePortStatsReply(msg(withTail)), 'OFPBRC_BAD_LEN');
  const entry = encodePortStatsReply(msg(encodePortStatsRequest(5, 1, 1)), [{
    portNo: 1, durationSec: 0, durationNsec: 0, rxPackets: 0n, txPackets: 0n, rxBytes: 0n, txBytes: 0n, rxDropped: 0n,
    txDropped: 0n, rxErrors: 0n, txErrors: 0n, rxFrameErrors: 0n, rxOverErrors: 0n, rxCrcErrors: 0n, collisions: 0n,
  }])[0];
  entry.writeUInt16BE(0x7000, 16);
  throwsOfp(() => decodePortStatsReply(msg(entry)), 'OFPBRC_BAD_LEN');
});
