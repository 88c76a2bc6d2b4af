import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError, OfpErrName, decodeErrorMsg, encodeErrorMsg } from '../../src/openflow/ofp-errors';
import { OfpMsg, decodeMsg, encodeMsg, encodeProperty, encodePropU32 } from '../../src/openflow/ofp-msgs';
import {
  OAM_PACKET_IN, OAM_PORT_STATUS, OFPCR12_ROLE_PRIMARY, OFPCR12_ROLE_SECONDARY, OFPCRR_CONFIG, OFPR_EXPLICIT_MISS,
  OFPR_IMPLICIT_MISS, OFPUTIL_C_GROUP_STATS, OFPUTIL_C_STP, asyncConfigDefault, decodeDescReply, decodeFeaturesReply,
  decodeFlowModTableId, decodeGetConfigReply, decodeHello, decodeRequestForward, decodeRoleMessage, decodeRoleStatus,
  decodeSetAsync, decodeSetConfig, decodeSetControllerId, decodeSetFlowFormat, decodeSetPacketInFormat, encodeBarrierReply,
  encodeDescReply, encodeEchoReply, encodeFeaturesReply, encodeFlowModTableId, encodeGetAsyncReply, encodeGetConfigReply,
  encodeHello, encodeRequestForward, encodeRoleReply, encodeRoleRequest, encodeRoleStatus, encodeSetAsync,
  encodeSetControllerId, encodeSetFlowFormat, encodeSetPacketInFormat, negotiateVersion, versionBitmapText,
  versionsToBitmap,
} from '../../src/openflow/ofp-switch';

interface Exchange { v: number; note: string; req: string; replies: string[] }
const golden: { session: Exchange[] } = JSON.parse(fs.readFileSync(
  path.join(__dirname, '../../../test/unit/golden/ofp-session.json'), 'utf8'));

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const msg = (s: string | Buffer) => decodeMsg(typeof s === 'string' ? hex(s) : s);
const throwsOfp = (fn: () => unknown, err: OfpErrName) =>
  assert.throws(fn, (e: unknown) => e instanceof OfpError && e.err === err, err);

/** The switch-level request decoders, as ofproto calls them. */
const DECODERS: Partial<Record<string, (m: OfpMsg) => unknown>> = {
  SET_CONFIG: decodeSetConfig,
  ROLE_REQUEST: decodeRoleMessage,
  SET_FLOW_FORMAT: decodeSetFlowFormat,
  SET_PACKET_IN_FORMAT: decodeSetPacketInFormat,
  SET_CONTROLLER_ID: decodeSetControllerId,
  SET_ASYNC_CONFIG: (m) => decodeSetAsync(m, asyncConfigDefault(m.version)),
  FLOW_MOD_TABLE_ID: decodeFlowModTableId,
};

test('HELLO encodes as ovs-ofctl encode-hello does', () => {
  const cases: [number, string][] = [
    [0x02, '0100000800000001'],
    [0x12, '04000010000000010001000800000012'],
    [0x1e, '0400000800000001'],
    [0x7e, '0600000800000001'],
    [0x52, '06000010000000010001000800000052'],
    [0x40, '06000010000000010001000800000040'],
  ];
  for (const [bitmap, expect] of cases) assert.equal(encodeHello(bitmap, 1).toString('hex'), expect, `0x${bitmap.toString(16)}`);
});

test('HELLO decoding follows the version bitmap and flags data it cannot use', () => {
  assert.deepEqual(decodeHello(hex('0400000800000001')), { version: 4, xid: 1, versions: 0x1e, understood: true });
  assert.deepEqual(decodeHello(hex('06000010000000010001000800000052')), { version: 6, xid: 1, versions: 0x52, understood: true });
  const unknownElem = decodeHello(hex('04000018000000010002000800000012 000100080000001e'));
  assert.equal(unknownElem.versions, 0x1e);
  assert.equal(unknownElem.understood, false);
  const onlyVersionZero = decodeHello(hex('04000010000000010001000800000001'));
  assert.equal(onlyVersionZero.versions, 0x1e);
  assert.equal(onlyVersionZero.understood, false);
  const truncated = decodeHello(hex('0400000c0000000100010010'));
  assert.equal(truncated.versions, 0x1e);
  assert.equal(truncated.understood, false);
  assert.equal(decodeHello(hex('0900000800000000')).versions, 0x3fe);
});

test('version negotiation picks the highest common version', () => {
  const hello = decodeHello(encodeHello(0x52));
  assert.equal(negotiateVersion([1, 4], hello), 4);
  assert.equal(negotiateVersion(0x7e, hello), 6);
  assert.equal(negotiateVersion([2, 3, 5], hello), undefined);
  assert.equal(versionsToBitmap([1, 4, 6]), 0x52);
});

test('version bitmaps are described as vconn does', () => {
  assert.equal(versionBitmapText(0), 'no versions');
  assert.equal(versionBitmapText(0x10), 'version 0x04');
  assert.equal(versionBitmapText(0x1e), 'version 0x04 and earlier');
  assert.equal(versionBitmapText(0x52), 'versions 0x01, 0x04, 0x06');
});

test('switch-level request decoders raise the errors the reference sends', () => {
  const semantic = new Set(['OFPRRFC_STALE', 'OFPPMFC_BAD_PORT', 'OFPPMFC_BAD_HW_ADDR']);
  let checked = 0;
  for (const x of golden.session) {
    const req = hex(x.req);
    let mine: OfpErrName | undefined;
    try {
      const m = decodeMsg(req);
      const decode = DECODERS[m.type];
      if (!decode) continue;
      decode(m);
    } catch (e) {
      assert.ok(e instanceof OfpError);
      mine = e.err;
    }
    const errReply = x.replies.map(hex).find((b) => b[1] === 1);
    if (!mine) {
      assert.ok(!errReply || semantic.has(decodeErrorMsg(errReply).err!), `${x.note} v${x.v}`);
      continue;
    }
    assert.ok(errReply, `${x.note} v${x.v}: reference accepted what we reject (${mine})`);
    assert.deepEqual(encodeErrorMsg(mine, x.v, req.readUInt32BE(4), req), errReply, `${x.note} v${x.v}`);
    checked++;
  }
  assert.ok(checked >= 30, `only ${checked} error cases`);
});

test('switch-level replies re-encode byte for byte from their decoded content', () => {
  const seen = new Set<string>();
  for (const x of golden.session) {
    let req: OfpMsg;
    try {
      req = decodeMsg(hex(x.req));
    } catch {
      continue;
    }
    for (const r of x.replies) {
      const reply = msg(r);
      let again: Buffer | undefined;
      switch (reply.type) {
        case 'ECHO_REPLY': again = encodeEchoReply(req); break;
        case 'BARRIER_REPLY': again = encodeBarrierReply(req); break;
        case 'GET_CONFIG_REPLY': again = encodeGetConfigReply(req, decodeGetConfigReply(reply)); break;
        case 'ROLE_REPLY': again = encodeRoleReply(req, decodeRoleMessage(reply)); break;
        case 'GET_ASYNC_REPLY': again = encodeGetAsyncReply(req, decodeSetAsync(reply, asyncConfigDefault(reply.version), true)); break;
        case 'FEATURES_REPLY': again = encodeFeaturesReply(reply.version, reply.xid, decodeFeaturesReply(reply)); break;
        case 'DESC_STATS_REPLY': again = encodeDescReply(req, decodeDescReply(reply)); break;
        default: continue;
      }
      assert.equal(again.toString('hex'), r, `${x.note} v${x.v}`);
      seen.add(`${reply.raw}/${reply.version}`);
    }
  }
  for (const raw of ['OFPT10_FEATURES_REPLY/1', 'OFPT11_FEATURES_REPLY/3', 'OFPT13_FEATURES_REPLY/6', 'OFPT13_GET_ASYNC_REPLY/4',
    'OFPT14_GET_ASYNC_REPLY/5', 'OFPT12_ROLE_REPLY/4', 'NXT_ROLE_REPLY/1', 'OFPST_DESC_REPLY/5', 'OFPT_ECHO_REPLY/2']) {
    assert.ok(seen.has(raw), raw);
  }
});

test('FEATURES_REPLY carries the version-specific capability bits and ports', () => {
  const f = decodeFeaturesReply(msg(golden.session.find((x) => x.v === 1 && x.note === 'features')!.replies[0]));
  assert.equal(f.datapathId, 0xaabbccddeeffn);
  assert.equal(f.nTables, 254);
  assert.equal(f.actions, 0xfff);
  assert.deepEqual(f.ports.map((p) => p.name).sort(), ['br0', 'p1', 'p2']);
  const withStp = msg(encodeFeaturesReply(1, 7, { ...f, capabilities: f.capabilities | OFPUTIL_C_STP | OFPUTIL_C_GROUP_STATS }));
  assert.equal(withStp.body.readUInt32BE(16) & 0x18, 0x08);
  const of13 = msg(encodeFeaturesReply(4, 7, { ...f, capabilities: OFPUTIL_C_GROUP_STATS | OFPUTIL_C_STP, auxiliaryId: 3 }));
  assert.equal(of13.body.readUInt32BE(16), 0x08);
  assert.equal(of13.body.length, 24);
  assert.equal(decodeFeaturesReply(of13).auxiliaryId, 3);
  assert.deepEqual(decodeFeaturesReply(of13).ports, []);
});

test('FEATURES_REPLY drops the ports that do not fit in 65535 bytes', () => {
  const port = { portNo: 1, hwAddr: '00:00:00:00:00:01', name: 'p', config: 0, state: 0, curr: 0, advertised: 0,
    supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0 };
  const ports = Array.from({ length: 2000 }, (_, i) => ({ ...port, portNo: i + 1 }));
  const b = encodeFeaturesReply(1, 0, { datapathId: 1n, nBuffers: 0, nTables: 1, auxiliaryId: 0, capabilities: 0, actions: 0, ports });
  assert.equal(b.length, 32 + 48 * Math.floor((0xffff - 32) / 48));
});

test('SET_CONFIG rejects undefined flags; OpenFlow 1.3 has no invalid_ttl flag', () => {
  throwsOfp(() => decodeSetConfig(msg('0409000c000000010004ffff')), 'OFPSCFC_BAD_FLAGS');
  assert.deepEqual(decodeSetConfig(msg('0209000c000000010006ffff')), { frag: 2, invalidTtlToController: true, missSendLen: 0xffff });
  assert.deepEqual(decodeGetConfigReply(msg('0408000c00000001000f0080')), { frag: 3, missSendLen: 0x80 });
});

test('role messages map Nicira roles onto OpenFlow 1.2 roles', () => {
  assert.deepEqual(decodeRoleMessage(msg(encodeRoleRequest(1, 1, { role: OFPCR12_ROLE_SECONDARY }))), { role: OFPCR12_ROLE_SECONDARY });
  assert.equal(encodeRoleRequest(1, 1, { role: OFPCR12_ROLE_PRIMARY }).readUInt32BE(16), 1);
  const req = msg(encodeRoleRequest(4, 9, { role: 0, generationId: 77n }));
  assert.deepEqual(decodeRoleMessage(req), { role: 0 });
  const reply = msg(encodeRoleReply(req, { role: OFPCR12_ROLE_PRIMARY }));
  assert.equal(reply.raw, 'OFPT12_ROLE_REPLY');
  assert.deepEqual(decodeRoleMessage(reply), { role: OFPCR12_ROLE_PRIMARY });
  assert.equal(reply.body.readBigUInt64BE(8), 0xffffffffffffffffn);
});

test('ROLE_STATUS exists from OpenFlow 1.3 (ONF extension) and 1.4 (standard)', () => {
  const rs = { role: OFPCR12_ROLE_SECONDARY, reason: OFPCRR_CONFIG, generationId: 5n };
  assert.equal(encodeRoleStatus(3, rs), undefined);
  const onf = msg(encodeRoleStatus(4, rs)!);
  assert.equal(onf.raw, 'ONFT13_ROLE_STATUS');
  assert.deepEqual(decodeRoleStatus(onf), rs);
  assert.equal(msg(encodeRoleStatus(5, rs)!).raw, 'OFPT14_ROLE_STATUS');
  const bad = encodeRoleStatus(5, rs)!;
  bad.writeUInt32BE(4, 8);
  throwsOfp(() => decodeRoleStatus(msg(bad)), 'OFPRRFC_BAD_ROLE');
});

test('async config: defaults, legacy masks, and strict property decoding', () => {
  const d13 = asyncConfigDefault(4);
  assert.equal(d13.primary[OAM_PACKET_IN], 0x7b);
  assert.equal(asyncConfigDefault(3).primary[OAM_PACKET_IN], 0xfb);
  assert.equal(d13.secondary[OAM_PORT_STATUS], 7);
  const legacy = decodeSetAsync(msg(encodeMsg('NXT_SET_ASYNC_CONFIG', 1, 1, hex('ffffffff 00000001 00000007 00000007 0000000f 00000000'))), d13);
  assert.equal(legacy.primary[OAM_PACKET_IN], 0x07 | (1 << OFPR_EXPLICIT_MISS) | (1 << OFPR_IMPLICIT_MISS));
  assert.equal(legacy.secondary[OAM_PACKET_IN], 1 | (1 << OFPR_EXPLICIT_MISS) | (1 << OFPR_IMPLICIT_MISS));
  const props = (...p: Buffer[]) => msg(encodeMsg('OFPT14_SET_ASYNC', 5, 1, Buffer.concat(p)));
  throwsOfp(() => decodeSetAsync(props(encodePropU32(1, 0x40)), d13), 'OFPACFC_INVALID');
  throwsOfp(() => decodeSetAsync(props(encodePropU32(12, 1)), d13), 'OFPACFC_UNSUPPORTED');
  throwsOfp(() => decodeSetAsync(props(encodeProperty(0, Buffer.alloc(4), { experimenter: 0x2320, expType: 1 })), d13), 'OFPBPC_BAD_EXP_TYPE');
  throwsOfp(() => decodeSetAsync(props(encodeProperty(1, Buffer.alloc(2))), d13), 'OFPBPC_BAD_LEN');
  assert.equal(decodeSetAsync(props(encodePropU32(1, 0x40)), d13, true).primary[OAM_PACKET_IN], 0);
  const updated = decodeSetAsync(props(encodePropU32(3, 5)), d13);
  assert.equal(updated.primary[OAM_PORT_STATUS], 5);
  assert.equal(updated.primary[OAM_PACKET_IN], d13.primary[OAM_PACKET_IN]);
  for (const v of [1, 4, 5]) {
    const again = decodeSetAsync(msg(encodeSetAsync(v, 1, d13)), asyncConfigDefault(v));
    assert.equal(again.primary[OAM_PORT_STATUS], 7, `v${v}`);
  }
});

test('Nicira session settings decode and reject bad values as OVS does', () => {
  assert.equal(decodeSetFlowFormat(msg(encodeSetFlowFormat(1, 'nxm'))), 'nxm');
  assert.equal(decodeSetFlowFormat(msg(encodeSetFlowFormat(1, 'openflow10'))), 'openflow10');
  assert.equal(decodeFlowModTableId(msg(encodeFlowModTableId(1, 1, true))), true);
  assert.equal(decodeFlowModTableId(msg(encodeFlowModTableId(4, 1, false))), false);
  assert.equal(decodeSetPacketInFormat(msg(encodeSetPacketInFormat(4, 1, 'nxt_packet_in2'))), 'nxt_packet_in2');
  assert.equal(decodeSetControllerId(msg(encodeSetControllerId(4, 1, 513))), 513);
  const badFormat = encodeSetPacketInFormat(4, 1, 'standard');
  badFormat.writeUInt32BE(9, 16);
  throwsOfp(() => decodeSetPacketInFormat(msg(badFormat)), 'OFPBRC_EPERM');
});

test('REQUESTFORWARD wraps a group or meter mod per version and validates it on the way back', () => {
  const groupMod = encodeMsg('OFPT11_GROUP_MOD', 4, 0x55, hex('0000 00 00 00000001'));
  const fwd = msg(encodeRequestForward(4, groupMod));
  assert.equal(fwd.raw, 'ONFT13_REQUESTFORWARD');
  assert.equal(fwd.xid, 0);
  assert.equal(decodeRequestForward(fwd).xid, 0x55);
  assert.equal(msg(encodeRequestForward(1, encodeMsg('NXT_GROUP_MOD', 1, 1, Buffer.alloc(16)))).raw, 'NXT_REQUESTFORWARD');
  assert.equal(msg(encodeRequestForward(5, encodeMsg('OFPT11_GROUP_MOD', 5, 1, Buffer.alloc(8)))).raw, 'OFPT14_REQUESTFORWARD');
  throwsOfp(() => decodeRequestForward(msg(encodeRequestForward(4, encodeMsg('OFPT11_GROUP_MOD', 3, 1, Buffer.alloc(8))))), 'OFPBRC_BAD_VERSION');
  throwsOfp(() => decodeRequestForward(msg(encodeRequestForward(4, encodeMsg('OFPT11_BARRIER_REQUEST', 4, 1, Buffer.alloc(0))))), 'OFPBFC_MSG_UNSUP');
  const cut = encodeRequestForward(4, groupMod);
  cut.writeUInt16BE(0x40, 18);
  throwsOfp(() => decodeRequestForward(msg(cut)), 'OFPBFC_MSG_BAD_LEN');
});
