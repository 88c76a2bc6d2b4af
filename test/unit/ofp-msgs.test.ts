import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError, encodeErrorMsg } from '../../src/openflow/ofp-errors';
import {
  MultipartAssembler, OFPMPF_REQ_MORE, OFPSF_REPLY_MORE, OfpRaw, decodeMsg, decodeRawPartial, encodeMsg, encodeMsgHeader, encodeMultipartReply,
  isStatsReply, isStatsRequest, ofpRawFor, ofpRawInVersion, ofpRawName, ofpTypeOfRaw, rawReplyFor,
} from '../../src/openflow/ofp-msgs';

const golden: { cases: [string, number, string][] } = JSON.parse(fs.readFileSync(
  path.join(__dirname, '../../../test/unit/golden/ofp-msgs.json'), 'utf8'));

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeError(buf: Buffer): string | undefined {
  try {
    decodeMsg(buf);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof OfpError, String(e));
    return e.err;
  }
}

test('identifies and length-checks messages exactly as ovs-ofctl ofp-print does', () => {
  assert.ok(golden.cases.length > 3000);
  for (const [header, bodyLen, expect] of golden.cases) {
    const buf = Buffer.concat([hex(header), Buffer.alloc(bodyLen)]);
    let got: string;
    try {
      got = ofpRawName(decodeMsg(buf).raw);
    } catch (e) {
      got = e instanceof OfpError ? e.err : String(e);
    }
    assert.equal(got, expect, `${header} + ${bodyLen} zero bytes`);
  }
});

test('a FEATURES_REQUEST decodes with its version, xid and empty body', () => {
  const msg = decodeMsg(hex('04 05 00 08 12 34 56 78'));
  assert.equal(msg.raw, 'OFPT_FEATURES_REQUEST');
  assert.equal(msg.type, 'FEATURES_REQUEST');
  assert.equal(msg.version, 4);
  assert.equal(msg.xid, 0x12345678);
  assert.equal(msg.body.length, 0);
  assert.equal(msg.flags, 0);
});

test('a Nicira stats request in OpenFlow 1.0 strips the 24-byte nicira10_stats_msg header', () => {
  const buf = hex('01 10 00 28 00 00 00 07 ff ff 00 00 00 00 23 20 00 00 00 00 00 00 00 00'
    + 'ff ff 00 00 ff 00 00 00 00 00 00 00 00 00 00 00');
  const msg = decodeMsg(buf);
  assert.equal(msg.raw, 'NXST_FLOW_REQUEST');
  assert.equal(msg.type, 'FLOW_STATS_REQUEST');
  assert.equal(msg.body.length, 16);
  assert.equal(ofpRawName(msg.raw), 'NXST_FLOW request');
});

test('multipart flags are reported for OpenFlow 1.3 replies', () => {
  const msg = decodeMsg(hex('04 13 00 10 00 00 00 01 00 0d 00 01 00 00 00 00'));
  assert.equal(msg.raw, 'OFPST11_PORT_DESC_REPLY');
  assert.equal(msg.flags, OFPSF_REPLY_MORE);
});

test('the length field must match the buffer', () => {
  assert.equal(decodeError(hex('04 05 00 10 00 00 00 01')), 'OFPBRC_BAD_LEN');
  assert.equal(decodeError(hex('04 05 00 08 00 00 00')), 'OFPBRC_BAD_LEN');
  assert.equal(decodeError(Buffer.alloc(0)), 'OFPBRC_BAD_LEN');
});

test('unknown types, stats, vendors and subtypes get the errors OVS sends', () => {
  assert.equal(decodeError(hex('04 63 00 08 00 00 00 01')), 'OFPBRC_BAD_TYPE');
  assert.equal(decodeError(hex('07 05 00 08 00 00 00 01')), 'OFPBRC_BAD_TYPE');
  assert.equal(decodeError(hex('04 12 00 10 00 00 00 01 00 ff 00 00 00 00 00 00')), 'OFPBRC_BAD_STAT');
  assert.equal(decodeError(hex('04 04 00 10 00 00 00 01 00 00 23 21 00 00 00 00')), 'OFPBRC_BAD_VENDOR');
  assert.equal(decodeError(hex('04 04 00 10 00 00 00 01 00 00 23 20 00 00 27 0f')), 'OFPBRC_BAD_SUBTYPE');
  assert.equal(decodeError(hex('01 10 00 18 00 00 00 01 ff ff 00 00 4f 4e 46 00 00 00 07 4e 00 00 00 00')), 'OFPBRC_BAD_VENDOR');
});

test('HELLO, ERROR and ECHO decode in versions newer than OpenFlow 1.5', () => {
  assert.equal(decodeMsg(hex('09 00 00 08 00 00 00 01')).raw, 'OFPT_HELLO');
  assert.equal(decodeMsg(hex('ff 02 00 0a 00 00 00 01 ab cd')).body.toString('hex'), 'abcd');
  assert.equal(decodeError(hex('00 00 00 08 00 00 00 01')), 'OFPBRC_BAD_TYPE');
});

test('encodeMsg and decodeMsg are inverse for every raw message in every version', () => {
  const raws = new Set<OfpRaw>();
  for (const [header, bodyLen, expect] of golden.cases) {
    if (expect.startsWith('OFPBRC_')) continue;
    const msg = decodeMsg(Buffer.concat([hex(header), Buffer.alloc(bodyLen)]));
    raws.add(msg.raw);
    const again = encodeMsg(msg.raw, msg.version, msg.xid, msg.body, msg.flags);
    assert.deepEqual(again, msg.data, msg.raw);
  }
  assert.equal(raws.size, 161);
});

test('every stats request has a reply in the same family and version', () => {
  for (const [header, bodyLen, expect] of golden.cases) {
    if (expect.startsWith('OFPBRC_')) continue;
    const buf = Buffer.concat([hex(header), Buffer.alloc(bodyLen)]);
    const msg = decodeMsg(buf);
    if (!isStatsRequest(msg.version, buf[1])) continue;
    const reply = rawReplyFor(msg);
    assert.ok(ofpRawInVersion(reply, msg.version), reply);
    const replyHeader = encodeMsgHeader(reply, msg.version, msg.xid, 0);
    assert.ok(isStatsReply(replyHeader[0], replyHeader[1]));
    assert.deepEqual(replyHeader.subarray(8, 10), msg.data.subarray(8, 10));
    assert.deepEqual(replyHeader.subarray(12), msg.data.subarray(12, replyHeader.length));
  }
  assert.equal(rawReplyFor({ raw: 'NXST_FLOW_REQUEST', version: 1 }), 'NXST_FLOW_REPLY');
  assert.equal(rawReplyFor({ raw: 'OFPST11_FLOW_REQUEST', version: 4 }), 'OFPST13_FLOW_REPLY');
  assert.equal(rawReplyFor({ raw: 'OFPST11_FLOW_REQUEST', version: 6 }), 'OFPST15_FLOW_REPLY');
  assert.equal(rawReplyFor({ raw: 'OFPST10_PORT_DESC_REQUEST', version: 5 }), 'OFPST14_PORT_DESC_REPLY');
  assert.equal(rawReplyFor({ raw: 'OFPST14_QUEUE_DESC_REQUEST', version: 5 }), 'OFPST14_QUEUE_DESC_REPLY');
});

test('non-stats requests map to the reply of their version and family', () => {
  const cases: [OfpRaw, number, OfpRaw][] = [
    ['OFPT_FEATURES_REQUEST', 1, 'OFPT10_FEATURES_REPLY'],
    ['OFPT_FEATURES_REQUEST', 3, 'OFPT11_FEATURES_REPLY'],
    ['OFPT_FEATURES_REQUEST', 4, 'OFPT13_FEATURES_REPLY'],
    ['OFPT_ECHO_REQUEST', 4, 'OFPT_ECHO_REPLY'],
    ['OFPT_GET_CONFIG_REQUEST', 6, 'OFPT_GET_CONFIG_REPLY'],
    ['OFPT10_BARRIER_REQUEST', 1, 'OFPT10_BARRIER_REPLY'],
    ['OFPT11_BARRIER_REQUEST', 4, 'OFPT11_BARRIER_REPLY'],
    ['NXT_ROLE_REQUEST', 1, 'NXT_ROLE_REPLY'],
    ['OFPT12_ROLE_REQUEST', 4, 'OFPT12_ROLE_REPLY'],
    ['OFPT13_GET_ASYNC_REQUEST', 4, 'OFPT13_GET_ASYNC_REPLY'],
    ['OFPT14_GET_ASYNC_REQUEST', 5, 'OFPT14_GET_ASYNC_REPLY'],
    ['OFPT11_QUEUE_GET_CONFIG_REQUEST', 4, 'OFPT11_QUEUE_GET_CONFIG_REPLY'],
    ['NXT_TLV_TABLE_REQUEST', 4, 'NXT_TLV_TABLE_REPLY'],
  ];
  for (const [raw, version, reply] of cases) assert.equal(rawReplyFor({ raw, version }), reply, raw);
  assert.throws(() => rawReplyFor({ raw: 'OFPT11_FLOW_MOD', version: 4 }), RangeError);
});

test('header layouts match the OpenFlow and Nicira headers', () => {
  assert.equal(encodeMsgHeader('NXT_FLOW_MOD_TABLE_ID', 1, 5, 8).toString('hex'), '010400180000000500002320' + '0000000f');
  assert.equal(encodeMsgHeader('OFPST10_FLOW_REPLY', 1, 5, 0, 1).toString('hex'), '0111000c0000000500010001');
  assert.equal(encodeMsgHeader('OFPST13_FLOW_REPLY', 4, 5, 0).toString('hex'), '041300100000000500010000' + '00000000');
  assert.equal(encodeMsgHeader('NXST_FLOW_REPLY', 1, 5, 0).toString('hex'),
    '0111001800000005ffff00000000232000000000' + '00000000');
  assert.equal(encodeMsgHeader('ONFST13_FLOW_MONITOR_REPLY', 4, 5, 0).toString('hex'),
    '0413001800000005ffff0000000000004f4e46000000074e');
  assert.throws(() => encodeMsgHeader('OFPT13_FEATURES_REPLY', 1, 0, 0), RangeError);
  assert.throws(() => encodeMsgHeader('OFPT_ECHO_REPLY', 4, 0, 0xfff8), RangeError);
});

test('multipart replies split at 65535 bytes with OFPSF_REPLY_MORE on all but the last', () => {
  const items = Array.from({ length: 1000 }, (_, i) => Buffer.alloc(200, i & 0xff));
  const parts = encodeMultipartReply('OFPST13_FLOW_REPLY', 4, 9, items);
  assert.equal(parts.length, 4);
  let body = Buffer.alloc(0);
  parts.forEach((p, i) => {
    assert.ok(p.length <= 0xffff);
    const msg = decodeMsg(p);
    assert.equal(msg.xid, 9);
    assert.equal(msg.flags, i < parts.length - 1 ? OFPSF_REPLY_MORE : 0);
    assert.equal(msg.body.length % 200, 0);
    body = Buffer.concat([body, msg.body]);
  });
  assert.deepEqual(body, Buffer.concat(items));
  assert.equal(parts[0].length, 16 + 200 * Math.floor((0xffff - 16) / 200));
  const empty = encodeMultipartReply('OFPST10_FLOW_REPLY', 1, 3, []);
  assert.equal(empty.length, 1);
  assert.equal(empty[0].toString('hex'), '0111000c0000000300010000');
  assert.throws(() => encodeMultipartReply('OFPT_ECHO_REPLY', 4, 0, []), RangeError);
  assert.throws(() => encodeMultipartReply('OFPST13_FLOW_REPLY', 4, 0, [Buffer.alloc(0xffff)]), RangeError);
});

test('partial decoding identifies a cut-short message', () => {
  assert.equal(decodeRawPartial(hex('04 0e 00 60 00 00 00 01')), 'OFPT11_FLOW_MOD');
  assert.throws(() => decodeRawPartial(hex('04 04 00 60 00 00 00 01')), (e: unknown) => e instanceof OfpError && e.err === 'OFPBRC_BAD_LEN');
});

test('abstract types, names and per-version raws', () => {
  assert.equal(ofpTypeOfRaw('NXT_PACKET_IN2'), 'PACKET_IN');
  assert.equal(ofpRawName('OFPT10_FEATURES_REPLY'), 'OFPT_FEATURES_REPLY');
  assert.equal(ofpRawName('ONFT13_ROLE_STATUS'), 'ONFT_ROLE_STATUS');
  assert.equal(ofpRawName('OFPST_DESC_REPLY'), 'OFPST_DESC reply');
  assert.equal(ofpRawFor('PACKET_IN', 4), 'OFPT13_PACKET_IN');
  assert.equal(ofpRawFor('PACKET_IN', 1), 'OFPT10_PACKET_IN');
  assert.equal(ofpRawFor('ROLE_STATUS', 4), 'ONFT13_ROLE_STATUS');
  assert.equal(ofpRawFor('ROLE_STATUS', 5), 'OFPT14_ROLE_STATUS');
  assert.equal(ofpRawFor('SET_FLOW_FORMAT', 1), 'NXT_SET_FLOW_FORMAT');
  assert.equal(ofpRawFor('SET_FLOW_FORMAT', 4), undefined);
  assert.equal(ofpRawFor('BARRIER_REQUEST', 1), 'OFPT10_BARRIER_REQUEST');
  assert.equal(ofpRawFor('BARRIER_REQUEST', 6), 'OFPT11_BARRIER_REQUEST');
});

test('multipart requests are reassembled and rejected as the reference does', () => {
  const session: { multipart: { note: string; sent: string[]; got: string[] }[] } = JSON.parse(fs.readFileSync(
    path.join(__dirname, '../../../test/unit/golden/ofp-session.json'), 'utf8'));
  const asm = new MultipartAssembler();
  for (const x of session.multipart) {
    let out: Buffer[] = [];
    let error: Buffer | undefined;
    for (const h of x.sent) {
      const b = hex(h);
      try {
        out = asm.execute(b, 0);
      } catch (e) {
        assert.ok(e instanceof OfpError);
        error = encodeErrorMsg(e.err, b[0], b.readUInt32BE(4), b);
      }
    }
    if (x.note === 'timeout') {
      assert.equal(asm.nextTimeout(), 1000);
      assert.equal(asm.run(999), undefined);
      error = asm.run(1000);
      assert.equal(asm.nextTimeout(), Infinity);
    }
    if (error) {
      assert.equal(error.toString('hex'), x.got[0], x.note);
    } else {
      assert.equal(out.length, 1, x.note);
      const reply = decodeMsg(hex(x.got[0]));
      assert.equal(rawReplyFor(decodeMsg(out[0])), reply.raw, x.note);
    }
  }
});

test('the assembler passes other messages through and keeps parts in order', () => {
  const asm = new MultipartAssembler();
  const echo = hex('0402000800000001');
  assert.deepEqual(asm.execute(echo, 0), [echo]);
  const part = (body: number, more: boolean) => encodeMsg('OFPST13_TABLE_FEATURES_REQUEST', 4, 9, Buffer.alloc(body), more ? OFPMPF_REQ_MORE : 0);
  assert.deepEqual(asm.execute(part(8, true), 0), []);
  assert.deepEqual(asm.execute(part(0, true), 0), []);
  const done = asm.execute(part(16, false), 0);
  assert.deepEqual(done.map((b) => b.length), [24, 32]);
  assert.deepEqual(asm.execute(part(0, false), 5), [part(0, false)]);
  asm.execute(part(8, true), 0);
  asm.clear();
  assert.equal(asm.run(10_000), undefined);
});
