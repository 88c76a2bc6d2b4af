/**
 * The native addon against this host's kernel: Generic Netlink is always there (the
 * controller, "nlctrl"); openvswitch.ko need not be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { constants as osConstants } from 'os';
import * as native from '../../src/genl/native';
import type { SyscallError } from '../../src/genl/native';
import {
  CTRL_ATTR_FAMILY_NAME,
  CTRL_CMD_GETFAMILY,
  CTRL_VERSION,
  decodeCtrlFamily,
  decodeGenlHeader,
  encodeGenlMessage,
  GENL_ID_CTRL,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  parseNlmsgerr,
  splitMessages,
} from '../../src/genl/netlink';
import type { RawNlMsg } from '../../src/genl/netlink';
import { attrString } from '../../src/genl/nlattr';

function getFamily(seq: number, name: string, flags = NLM_F_REQUEST | NLM_F_ACK): Buffer {
  return encodeGenlMessage({
    type: GENL_ID_CTRL,
    flags,
    seq,
    pid: 0,
    cmd: CTRL_CMD_GETFAMILY,
    version: CTRL_VERSION,
    payload: attrString(CTRL_ATTR_FAMILY_NAME, name),
  });
}

function dumpFamilies(seq: number): Buffer {
  return encodeGenlMessage({
    type: GENL_ID_CTRL,
    flags: NLM_F_REQUEST | NLM_F_DUMP,
    seq,
    pid: 0,
    cmd: CTRL_CMD_GETFAMILY,
    version: CTRL_VERSION,
    payload: Buffer.alloc(0),
  });
}

/** Receives until `count` messages arrived or nothing more comes within 1 s. */
function receive(fd: number, count: number): RawNlMsg[] {
  const out: RawNlMsg[] = [];
  while (out.length < count) {
    const dgrams = native.recvBatch(fd, 16, 1000);
    if (dgrams.length === 0) break;
    for (const d of dgrams) out.push(...splitMessages(d));
  }
  return out;
}

function withSocket(rcvbuf: number, body: (s: native.NativeSocket) => void): void {
  const s = native.open(rcvbuf);
  try {
    body(s);
  } finally {
    native.close(s.fd);
  }
}

test('a GETFAMILY request sent with sendBatch is answered on the port id open() reported', () => {
  withSocket(1 << 20, (s) => {
    assert.ok(Number.isInteger(s.fd) && s.fd > 2);
    assert.ok(Number.isInteger(s.portId) && s.portId !== 0);
    assert.equal(native.sendBatch(s.fd, [getFamily(77, 'nlctrl')]), 1);
    const [reply, ack] = receive(s.fd, 2);
    assert.equal(reply.type, GENL_ID_CTRL);
    assert.equal(reply.seq, 77);
    assert.equal(reply.pid, s.portId, 'the kernel addresses the reply to our kernel-assigned port id');
    const fam = decodeCtrlFamily(decodeGenlHeader(reply.payload).body);
    assert.equal(fam.name, 'nlctrl');
    assert.equal(fam.id, GENL_ID_CTRL);
    assert.equal(ack.type, NLMSG_ERROR);
    assert.equal(ack.seq, 77);
    assert.equal(ack.flags & NLM_F_CAPPED, NLM_F_CAPPED, 'NETLINK_CAP_ACK is on: the ACK echoes only the header');
    assert.equal(ack.payload.length, 4 + 16);
    assert.equal(parseNlmsgerr(ack.payload, ack.flags).errno, 0);
  });
});

test('error replies on a native socket carry extended-ACK text', () => {
  withSocket(0, (s) => {
    native.sendBatch(s.fd, [getFamily(5, 'a-family-name-longer-than-GENL_NAMSIZ')]);
    const [err] = receive(s.fd, 1);
    assert.equal(err.type, NLMSG_ERROR);
    assert.equal(err.flags & NLM_F_ACK_TLVS, NLM_F_ACK_TLVS);
    const e = parseNlmsgerr(err.payload, err.flags);
    assert.equal(e.errno, osConstants.errno.EINVAL);
    assert.match(e.extackMsg ?? '', /policy/);
  });
});

test('sendBatch sends each buffer as its own request and recvBatch returns them in a batch', () => {
  withSocket(1 << 20, (s) => {
    const seqs = [11, 12, 13];
    assert.equal(native.sendBatch(s.fd, seqs.map((q) => getFamily(q, 'nlctrl'))), 3);
    const msgs = receive(s.fd, 6);
    assert.deepEqual(
      msgs.map((m) => [m.seq, m.type]),
      [
        [11, GENL_ID_CTRL],
        [11, NLMSG_ERROR],
        [12, GENL_ID_CTRL],
        [12, NLMSG_ERROR],
        [13, GENL_ID_CTRL],
        [13, NLMSG_ERROR],
      ],
    );
  });
});

test('recvBatch returns no datagrams when nothing arrives within the timeout', () => {
  withSocket(0, (s) => {
    const t0 = process.hrtime.bigint();
    const got = native.recvBatch(s.fd, 8, 150);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.deepEqual(got, []);
    assert.ok(ms >= 145 && ms < 1000, `waited ${ms} ms for a 150 ms timeout`);
    const t1 = process.hrtime.bigint();
    assert.deepEqual(native.recvBatch(s.fd, 8, 0), []);
    assert.ok(Number(process.hrtime.bigint() - t1) / 1e6 < 50, 'a zero timeout does not wait');
  });
});

test('recvBatch returns at most maxDatagrams and leaves the rest queued', () => {
  withSocket(1 << 20, (s) => {
    native.sendBatch(s.fd, [getFamily(1, 'nlctrl'), getFamily(2, 'nlctrl')]);
    // Each request yields two datagrams (reply, ACK); wait until all four are queued.
    const first = native.recvBatch(s.fd, 3, 1000);
    assert.ok(first.length >= 1 && first.length <= 3);
    const rest = receive(s.fd, 4 - first.length);
    assert.equal(first.length + rest.length, 4);
  });
});

test('a receive-buffer overrun throws ENOBUFS with errno, code and syscall; queued replies survive', () => {
  // The smallest receive buffer the kernel allows holds about one reply; the rest overrun it.
  withSocket(1, (s) => {
    const n = 32;
    native.sendBatch(
      s.fd,
      Array.from({ length: n }, (_, i) => getFamily(i + 1, 'nlctrl')),
    );
    let err: SyscallError | undefined;
    try {
      native.recvBatch(s.fd, 64, 1000);
    } catch (e) {
      err = e as SyscallError;
    }
    assert.ok(err, 'recvBatch reported the overrun');
    assert.equal(err.errno, osConstants.errno.ENOBUFS);
    assert.equal(err.code, 'ENOBUFS');
    assert.equal(err.syscall, 'recvmmsg');
    const after = native.recvBatch(s.fd, 64, 1000);
    assert.ok(after.length >= 1 && after.length < 2 * n, `${after.length} datagrams were still queued`);
  });
});

test('the kernel refuses a second dump while one is running on the socket (why dumps are serialised)', () => {
  withSocket(1 << 20, (s) => {
    native.sendBatch(s.fd, [dumpFamilies(1), dumpFamilies(2)]);
    const msgs = receive(s.fd, Number.MAX_SAFE_INTEGER);
    const second = msgs.filter((m) => m.seq === 2);
    assert.equal(second.length, 1);
    assert.equal(second[0].type, NLMSG_ERROR);
    assert.equal(parseNlmsgerr(second[0].payload, second[0].flags).errno, osConstants.errno.EBUSY);
    const first = msgs.filter((m) => m.seq === 1);
    assert.ok(first.length > 1);
    assert.equal(first[first.length - 1].type, NLMSG_DONE);
  });
});

test('system-call failures and bad arguments throw typed errors', () => {
  const s = native.open(0);
  native.close(s.fd);
  assert.throws(
    () => native.recvBatch(s.fd, 1, 0),
    (e: SyscallError) => e.errno === osConstants.errno.EBADF && e.code === 'EBADF' && e.syscall === 'poll',
  );
  assert.throws(
    () => native.sendBatch(s.fd, [getFamily(1, 'nlctrl')]),
    (e: SyscallError) => e.code === 'EBADF' && e.syscall === 'sendmmsg' && /EBADF/.test(e.message),
  );
  assert.throws(() => native.close(s.fd), (e: SyscallError) => e.code === 'EBADF' && e.syscall === 'close');
  assert.throws(() => native.recvBatch(0, 0, 0), RangeError);
  assert.throws(() => native.recvBatch(0, 2000, 0), RangeError);
  assert.throws(() => native.sendBatch(0, [new Uint8Array(4) as Buffer, 'x' as unknown as Buffer]), TypeError);
  assert.throws(() => native.open('big' as unknown as number), TypeError);
});

test('enableExtAck finds a netlink socket by port id and reports an unknown one', () => {
  withSocket(0, (s) => {
    assert.equal(native.enableExtAck(s.portId), true);
    assert.equal(native.enableExtAck(s.portId, 0 /* NETLINK_ROUTE */), false, 'the protocol must match too');
  });
  assert.equal(native.enableExtAck(0x7ffffff0), false);
});

test('the addon loads inside a worker thread and its sockets work there', async () => {
  const nativePath = path.join(__dirname, '..', '..', 'src', 'genl', 'native.js');
  const netlinkPath = path.join(__dirname, '..', '..', 'src', 'genl', 'netlink.js');
  const code = `
    const { parentPort, workerData } = require('worker_threads');
    const native = require(workerData.nativePath);
    const nl = require(workerData.netlinkPath);
    const s = native.open(1 << 20);
    native.sendBatch(s.fd, [Buffer.from(workerData.request)]);
    const msgs = [];
    while (msgs.length < 2) {
      const d = native.recvBatch(s.fd, 8, 2000);
      if (d.length === 0) break;
      for (const x of d) msgs.push(...nl.splitMessages(x));
    }
    native.close(s.fd);
    const fam = nl.decodeCtrlFamily(nl.decodeGenlHeader(msgs[0].payload).body);
    parentPort.postMessage({ portId: s.portId, replyPid: msgs[0].pid, name: fam.name, id: fam.id, ack: msgs[1].type });
  `;
  const worker = new Worker(code, { eval: true, workerData: { nativePath, netlinkPath, request: getFamily(3, 'nlctrl') } });
  const result = await new Promise<{ portId: number; replyPid: number; name: string; id: number; ack: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  assert.equal(result.name, 'nlctrl');
  assert.equal(result.id, GENL_ID_CTRL);
  assert.equal(result.replyPid, result.portId);
  assert.equal(result.ack, NLMSG_ERROR);
});
