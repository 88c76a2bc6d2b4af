import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CTRL_ATTR_FAMILY_NAME,
  CTRL_CMD_GETFAMILY,
  CTRL_VERSION,
  decodeCtrlFamily,
  decodeGenlHeader,
  encodeGenlMessage,
  errnoName,
  GENL_ID_CTRL,
  NetlinkError,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  parseNlmsgDone,
  parseNlmsgerr,
  splitMessages,
} from '../../src/genl/netlink';
import { attr, attrString, attrU16, attrU32 } from '../../src/genl/nlattr';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('a CTRL_CMD_GETFAMILY request for "nlctrl" has the uapi byte layout', () => {
  const msg = encodeGenlMessage({
    type: GENL_ID_CTRL,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    seq: 1,
    pid: 0,
    cmd: CTRL_CMD_GETFAMILY,
    version: CTRL_VERSION,
    payload: attrString(CTRL_ATTR_FAMILY_NAME, 'nlctrl'),
  });
  // struct nlmsghdr: len 32, type 0x10 (GENL_ID_CTRL), flags REQUEST|ACK, seq 1, pid 0;
  // struct genlmsghdr: cmd 3, version 1, reserved 0;
  // struct nlattr: len 11, type 2 (CTRL_ATTR_FAMILY_NAME), "nlctrl\0", 1 byte of padding.
  assert.deepEqual(
    msg,
    hex(`20000000 1000 0500 01000000 00000000
         03 01 0000
         0b00 0200 6e6c6374726c00 00`),
  );
});

test('nlmsg_len excludes the final padding while the buffer is padded to 4 bytes', () => {
  const msg = encodeGenlMessage({ type: 0x20, flags: 0, seq: 0xffffffff, pid: 0x80000001, cmd: 1, version: 2, payload: Buffer.from([0xaa]) });
  assert.equal(msg.length, 24);
  assert.equal(msg.readUInt32LE(0), 21);
  assert.equal(msg.readUInt32LE(8), 0xffffffff);
  assert.equal(msg.readUInt32LE(12), 0x80000001);
});

test('a datagram holding several messages splits into each, honouring alignment', () => {
  // Two CTRL_CMD_NEWFAMILY parts (the first with an unaligned nlmsg_len of 25) and NLMSG_DONE,
  // as a dump reply arrives: all NLM_F_MULTI, same seq.
  const datagram = hex(`
    19000000 1000 0200 07000000 2a000000  01 02 0000  0500 0200 61 000000
    1c000000 1000 0200 07000000 2a000000  01 02 0000  0600 0100 1100 0000
    14000000 0300 0200 07000000 2a000000  00000000`);
  const msgs = splitMessages(datagram);
  assert.equal(msgs.length, 3);
  assert.deepEqual(
    msgs.map((m) => [m.type, m.flags, m.seq, m.pid, m.payload.length]),
    [
      [GENL_ID_CTRL, NLM_F_MULTI, 7, 42, 9],
      [GENL_ID_CTRL, NLM_F_MULTI, 7, 42, 12],
      [NLMSG_DONE, NLM_F_MULTI, 7, 42, 4],
    ],
  );
  const first = decodeGenlHeader(msgs[0].payload);
  assert.equal(first.cmd, 1);
  assert.equal(first.version, 2);
  assert.deepEqual(first.body, hex('0500 0200 61'));
  assert.equal(decodeGenlHeader(msgs[1].payload).body.readUInt16LE(4), 0x11);
  assert.deepEqual(parseNlmsgDone(msgs[2].payload, msgs[2].flags), { errno: 0 });
});

test('a message whose nlmsg_len runs past the datagram is rejected', () => {
  assert.throws(() => splitMessages(hex('40000000 1000 0000 01000000 00000000 0000')), RangeError);
  assert.throws(() => splitMessages(hex('08000000 1000 0000 01000000 00000000')), RangeError);
});

test('an ACK (error 0) with the request echoed and no TLVs parses as errno 0', () => {
  const payload = hex(`00000000  20000000 1000 0500 01000000 00000000  03010000 0b000200 6e6c6374726c0000`);
  assert.deepEqual(parseNlmsgerr(payload, 0), { errno: 0 });
});

test('a capped error without extack TLVs gives the errno only (captured from Linux 6.18)', () => {
  // Reply to CTRL_CMD_GETFAMILY "ovs_datapath" on a host without openvswitch.ko, socket with
  // NETLINK_CAP_ACK: error -ENOENT, the request's 16-byte header, nothing else.
  const datagram = hex('2400000002000001030000001e200000feffffff28000000100005000300000000000000');
  const [m] = splitMessages(datagram);
  assert.equal(m.type, NLMSG_ERROR);
  assert.equal(m.flags, NLM_F_CAPPED);
  assert.deepEqual(parseNlmsgerr(m.payload, m.flags), { errno: 2 });
});

test('a capped error with extack TLVs gives the kernel text and offset (captured from Linux 6.18)', () => {
  // Reply to CTRL_CMD_GETFAMILY with a 27-character family name: -EINVAL, the request header,
  // then NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS (20: the name attribute) and NLMSGERR_ATTR_POLICY.
  const datagram = hex(
    '6800000002000003010000001e200000eaffffff3400000010000500010000000000000027000100417474726962757465206661696c' +
      '656420706f6c6963792076616c69646174696f6e0000080002001400000014000480080007000f000000080001000c000000',
  );
  const [m] = splitMessages(datagram);
  assert.equal(m.flags, NLM_F_CAPPED | NLM_F_ACK_TLVS);
  assert.deepEqual(parseNlmsgerr(m.payload, m.flags), {
    errno: 22,
    extackMsg: 'Attribute failed policy validation',
    extackOffset: 20,
  });
});

test('an uncapped error with extack TLVs skips the whole echoed request to find them', () => {
  const request = encodeGenlMessage({ type: 0x1b, flags: 5, seq: 9, pid: 0, cmd: 1, version: 1, payload: attrU32(3, 7) });
  const payload = Buffer.concat([
    hex('edffffff'), // -ENODEV
    request,
    attrString(1, 'no such vport'),
    attrU32(2, 20),
  ]);
  assert.deepEqual(parseNlmsgerr(payload, NLM_F_ACK_TLVS), { errno: 19, extackMsg: 'no such vport', extackOffset: 20 });
});

test('NLMSG_DONE carrying a negative error reports the failed dump', () => {
  const payload = Buffer.concat([hex('f4ffffff'), attrString(1, 'dump failed')]);
  assert.deepEqual(parseNlmsgDone(payload, NLM_F_MULTI | NLM_F_ACK_TLVS), { errno: 12, extackMsg: 'dump failed' });
});

test('NetlinkError names the errno, the context and the kernel text', () => {
  const e = new NetlinkError(19, 'OVS_VPORT_CMD_NEW br0', 'device not found');
  assert.ok(e instanceof Error);
  assert.equal(e.errno, 19);
  assert.equal(e.code, 'ENODEV');
  assert.equal(e.context, 'OVS_VPORT_CMD_NEW br0');
  assert.equal(e.extack, 'device not found');
  assert.equal(e.message, 'OVS_VPORT_CMD_NEW br0: No such device (ENODEV); kernel says: "device not found"');
  assert.equal(new NetlinkError(2, 'x').message, 'x: No such file or directory (ENOENT)');
});

test('errno names follow the kernel, preferring EOPNOTSUPP over its alias', () => {
  assert.equal(errnoName(95), 'EOPNOTSUPP');
  assert.equal(errnoName(105), 'ENOBUFS');
  assert.equal(errnoName(11), 'EAGAIN');
  assert.equal(errnoName(4000), 'E4000');
});

test('a CTRL_CMD_NEWFAMILY body decodes to id, version, maxattr and multicast groups', () => {
  const body = Buffer.concat([
    attrString(2, 'ovs_vport'),
    attrU16(1, 0x1d),
    attrU32(3, 1),
    attrU32(4, 4),
    attrU32(5, 9),
    attr(7, [attr(1, [attrU32(2, 7), attrString(1, 'ovs_vport')])]),
  ]);
  const f = decodeCtrlFamily(body);
  assert.deepEqual(f, {
    name: 'ovs_vport',
    id: 0x1d,
    version: 1,
    hdrSize: 4,
    maxAttr: 9,
    mcastGroups: new Map([['ovs_vport', 7]]),
  });
  assert.throws(() => decodeCtrlFamily(attrString(2, 'x')), RangeError);
});
