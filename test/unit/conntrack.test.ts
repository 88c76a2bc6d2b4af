/**
 * ctnetlink encoding and decoding (src/dpif-netlink/conntrack.ts): request bytes as OVS 3.1's
 * lib/netlink-conntrack.c builds them (checked by hand against <linux/netfilter/nfnetlink*.h>),
 * and the decode of a dump reply recorded from a real kernel (test/kernel/conntrack.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  AF_INET, AF_INET6, ctEntryMatches, ctMatchIsZero, decodeCtEntry, encodeCtDeleteEntry, encodeCtDeleteTuple, encodeCtDump,
  encodeCtFlush, IPCTNL_MSG_CT_NEW, NFNL_SUBSYS_CTNETLINK, type CtEntry,
} from '../../src/dpif-netlink/conntrack';
import { splitMessages } from '../../src/genl/netlink';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('flush all: IPCTNL_MSG_CT_DELETE, AF_UNSPEC, no attributes', () => {
  assert.equal(encodeCtFlush(1, 0x1234).toString('hex'), hex(`
    14000000 0201 0500 01000000 34120000
    00 00 0000`).toString('hex'));
});

test('dump: IPCTNL_MSG_CT_GET with NLM_F_REQUEST|NLM_F_ACK|NLM_F_DUMP', () => {
  assert.equal(encodeCtDump(7, 0x1234).toString('hex'), hex(`
    14000000 0101 0503 07000000 34120000
    00 00 0000`).toString('hex'));
});

const UDP_ORIG = `
    1400 0100  0800 0100 0a000001  0800 0200 0a000002
    1c00 0200  0500 0100 11 000000  0600 0200 04d2 0000  0600 0300 15b3 0000`;

test('delete by tuple (nl_ct_flush_tuple): family, CTA_ZONE be16, CTA_TUPLE_ORIG nest', () => {
  const msg = encodeCtDeleteTuple(5, { l3Type: AF_INET, ipProto: 17, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1234, dstPort: 5555 }, 3, 0x1234);
  assert.equal(msg.toString('hex'), hex(`
    50000000 0201 0500 03000000 34120000
    02 00 0000
    0600 1200 0005 0000
    3400 0100 ${UDP_ORIG}`).toString('hex'));
});

test('delete by tuple: ICMP uses id/type/code, IPv6 16-byte addresses; other protocols refused', () => {
  const icmp = encodeCtDeleteTuple(0, { l3Type: AF_INET, ipProto: 1, src: '1.2.3.4', dst: '5.6.7.8', icmpId: 0x99, icmpType: 8, icmpCode: 0 }, 1, 0);
  assert.equal(icmp.subarray(28).toString('hex'), hex(`
    3c00 0100
    1400 0100  0800 0100 01020304  0800 0200 05060708
    2400 0200  0500 0100 01 000000  0600 0400 0099 0000  0500 0500 08 000000  0500 0600 00 000000`).toString('hex'));
  const v6 = encodeCtDeleteTuple(1, { l3Type: AF_INET6, ipProto: 6, src: 'fe80::1', dst: '::2', srcPort: 1, dstPort: 2 }, 1, 0);
  assert.equal(v6[16], AF_INET6);
  assert.equal(v6.subarray(32, 40).toString('hex'), '2c000100' + '14000300');
  assert.equal(v6.subarray(40, 56).toString('hex'), 'fe800000000000000000000000000001');
  assert.throws(() => encodeCtDeleteTuple(0, { l3Type: AF_INET, ipProto: 47, src: '1.2.3.4', dst: '5.6.7.8' }, 1, 0), RangeError);
  assert.throws(() => encodeCtDeleteTuple(0, { l3Type: 7, ipProto: 6, src: '1.2.3.4', dst: '5.6.7.8' }, 1, 0), RangeError);
});

test('zone flush delete (nl_ct_flush_zone): entry family, CTA_ZONE, dumped orig tuple verbatim, CTA_ID', () => {
  const e: CtEntry = {
    family: AF_INET, zone: 0, id: 0xdeadbeef, origRaw: hex(UDP_ORIG),
    orig: { l3Type: AF_INET, ipProto: 17, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1234, dstPort: 5555 },
  };
  assert.equal(encodeCtDeleteEntry(e, 9, 0x1234).toString('hex'), hex(`
    58000000 0201 0500 09000000 34120000
    02 00 0000
    0600 1200 0000 0000
    3400 0100 ${UDP_ORIG}
    0800 0c00 deadbeef`).toString('hex'));
});

test('decode: IPCTNL_MSG_CT_NEW entry with zone, tuples, id, status, timeout, mark', () => {
  // An entry as the kernel sends it (nested attributes carry NLA_F_NESTED, 0x8000).
  const payload = hex(`
    02 00 0000
    3400 0180 ${UDP_ORIG.replace('1400 0100', '1400 0180').replace('1c00 0200', '1c00 0280')}
    3400 0280
      1400 0180  0800 0100 0a000002  0800 0200 0a000001
      1c00 0280  0500 0100 11 000000  0600 0200 15b3 0000  0600 0300 04d2 0000
    0800 0300 00000188
    0800 0700 0000001e
    0800 0800 0000002a
    0800 0c00 deadbeef
    0600 1200 0007 0000`);
  const e = decodeCtEntry(payload);
  assert.ok(e);
  assert.deepEqual({ ...e, origRaw: undefined }, {
    family: AF_INET, zone: 7, id: 0xdeadbeef, status: 0x188, timeout: 30, mark: 42, origRaw: undefined,
    orig: { l3Type: AF_INET, ipProto: 17, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1234, dstPort: 5555 },
    reply: { l3Type: AF_INET, ipProto: 17, src: '10.0.0.2', dst: '10.0.0.1', srcPort: 5555, dstPort: 1234 },
  });
  // Echoed verbatim in a zone-flush delete (flag bits included, as OVS copies the payload).
  assert.equal(e.origRaw.length, 48);
  // No CTA_ZONE: zone 0. No CTA_TUPLE_ORIG: skipped.
  assert.equal(decodeCtEntry(hex(`02000000 3400 0100 ${UDP_ORIG}`))?.zone, 0);
  assert.equal(decodeCtEntry(hex('02000000 0800 0c00 00000001')), undefined);
  assert.throws(() => decodeCtEntry(hex('0200')), RangeError);
});

test('ct-flush match semantics (ofp_ct_match_is_zero, ct_dpif_entry_cmp)', () => {
  const e: CtEntry = {
    family: AF_INET, zone: 5, origRaw: Buffer.alloc(0),
    orig: { l3Type: AF_INET, ipProto: 17, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1234, dstPort: 5555 },
    reply: { l3Type: AF_INET, ipProto: 17, src: '10.0.0.2', dst: '10.0.0.1', srcPort: 5555, dstPort: 1234 },
  };
  assert.ok(ctMatchIsZero(undefined));
  assert.ok(ctMatchIsZero({ orig: { src: '0.0.0.0' }, reply: {} }));
  assert.ok(!ctMatchIsZero({ ipProto: 17 }));
  assert.ok(ctEntryMatches(e, { ipProto: 17, orig: { dstPort: 5555 } }));
  assert.ok(ctEntryMatches(e, { reply: { src: '10.0.0.2' } }));
  assert.ok(!ctEntryMatches(e, { ipProto: 6 }));
  assert.ok(!ctEntryMatches(e, { l3Type: AF_INET6 }));
  assert.ok(!ctEntryMatches(e, { orig: { src: '10.0.0.9' } }));
  assert.ok(!ctEntryMatches(e, { reply: { dstPort: 1 } }));
});

/** One ctnetlink dump reply recorded in the QEMU guest (Linux 6.1): three entries, then NLMSG_DONE. */
const RECORDED_DUMP = [
  [
    'bc000000000102000100000096004008020000003c00018014000180080001000a000501080002000a00050224000280',
    '05000100010000000600040000c30000050005000800000005000600000000003c00028014000180080001000a000502',
    '080002000a0005012400028005000100010000000600040000c300000500050000000000050006000000000006001200',
    '000500000800030000000008080008000000000008000c00fea6b0fd08000b0000000001080007000000001bbc000000',
    '000102000100000096004008020000003c00018014000180080001000a000502080002000a0005012400028005000100',
    '010000000600040000c40000050005000800000005000600000000003c00028014000180080001000a00050108000200',
    '0a0005022400028005000100010000000600040000c40000050005000000000005000600000000000600120000070000',
    '0800030000000008080008000000000008000c0043ff183408000b0000000001080007000000001bac00000000010200',
    '0100000096004008020000003400018014000180080001000a000501080002000a0005021c0002800500010011000000',
    '06000200c18e00000600030015b300003400028014000180080001000a000502080002000a0005011c00028005000100',
    '110000000600020015b3000006000300c18e000006001200000500000800030000000008080008000000000008000c00',
    '5d68481d08000b0000000001080007000000001d',
  ].join(''),
  [
    '1400000003000200010000009600400800000000',
  ].join(''),
];

test('decode: a dump reply recorded from the kernel', () => {
  const msgs = RECORDED_DUMP.flatMap((h) => splitMessages(Buffer.from(h, 'hex')));
  assert.deepEqual(msgs.map((m) => m.type), [0x100, 0x100, 0x100, 3]);
  assert.ok(msgs.slice(0, 3).every((m) => m.type === ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)));
  const es = msgs.slice(0, 3).map((m) => decodeCtEntry(m.payload));
  const brief = es.map((e) => e && [e.family, e.zone, e.orig.ipProto, e.orig.src, e.orig.dst, e.orig.srcPort ?? e.orig.icmpId, e.orig.dstPort ?? e.orig.icmpType, e.reply?.src]);
  assert.deepEqual(brief, [
    [AF_INET, 5, 1, '10.0.5.1', '10.0.5.2', 0xc3, 8, '10.0.5.2'],
    [AF_INET, 7, 1, '10.0.5.2', '10.0.5.1', 0xc4, 8, '10.0.5.1'],
    [AF_INET, 5, 17, '10.0.5.1', '10.0.5.2', 0xc18e, 5555, '10.0.5.2'],
  ]);
  assert.deepEqual(es.map((e) => e?.id), [0xfea6b0fd, 0x43ff1834, 0x5d68481d]);
  assert.deepEqual(es.map((e) => e?.timeout), [27, 27, 29]);
  assert.equal(es[0]?.reply?.icmpType, 0);
  // Re-encoding the zone-5 UDP entry's delete as nl_ct_flush_zone() would.
  const del = encodeCtDeleteEntry(es[2] as CtEntry, 1, 0);
  assert.equal(del.readUInt16LE(4), 0x102);
  assert.ok(del.includes(msgs[2].payload.subarray(8, 8 + 48)), 'dumped CTA_TUPLE_ORIG payload copied verbatim');
});
