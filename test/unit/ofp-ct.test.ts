import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCtFlush, decodeCtFlushZone, NXT_CT_ORIG_TUPLE, NXT_CT_REPLY_TUPLE, NXT_CT_ZONE_ID } from '../../src/openflow/ofp-ct';
import { OfpError } from '../../src/openflow/ofp-errors';
import { decodeMsg, encodeMsg, encodeProperty, encodePropU16 } from '../../src/openflow/ofp-msgs';

/** A nested tuple property holding one inner property (type 0: source address, 16 bytes). */
function tuple(type: number, src: Buffer): Buffer {
  return encodeProperty(type, encodeProperty(0, src));
}

test('NXT_CT_FLUSH_ZONE carries the zone after six zero bytes', () => {
  const body = Buffer.from('000000000000002a', 'hex');
  assert.deepEqual(decodeCtFlushZone(decodeMsg(encodeMsg('NXT_CT_FLUSH_ZONE', 4, 1, body))), { zone: 42, ipProto: 0 });
  assert.throws(() => decodeCtFlushZone(decodeMsg(encodeMsg('NXT_CT_FLUSH_ZONE', 4, 1, Buffer.from('000100000000002a', 'hex')))),
    (e: unknown) => e instanceof OfpError && e.err === 'NXBRC_MUST_BE_ZERO');
});

test('NXT_CT_FLUSH: the zone property; all-zero tuples (what ovs-ofctl sends without one) select nothing more', () => {
  const zero = Buffer.alloc(16);
  const addr = Buffer.from('00000000000000000000ffff0a000001', 'hex');
  const head = Buffer.from('1100000000000000', 'hex'); // ip_proto 17
  const msg = (...props: Buffer[]) => decodeMsg(encodeMsg('NXT_CT_FLUSH', 4, 1, Buffer.concat([head, ...props])));
  assert.deepEqual(decodeCtFlush(msg(encodePropU16(NXT_CT_ZONE_ID, 5), tuple(NXT_CT_ORIG_TUPLE, zero), tuple(NXT_CT_REPLY_TUPLE, zero))), { ipProto: 17, zone: 5 });
  const r = decodeCtFlush(msg(tuple(NXT_CT_ORIG_TUPLE, addr)));
  assert.equal(r.zone, undefined, 'no zone property: every zone');
  assert.ok(r.origTuple, 'a tuple with an address is kept');
  assert.equal(r.replyTuple, undefined);
  assert.throws(() => decodeCtFlush(decodeMsg(encodeMsg('NXT_CT_FLUSH', 4, 1, Buffer.from('1100000000000001', 'hex')))),
    (e: unknown) => e instanceof OfpError && e.err === 'NXBRC_MUST_BE_ZERO');
});
