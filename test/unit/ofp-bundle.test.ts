import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError } from '../../src/openflow/ofp-errors';
import { decodeMsg, encodeMsg } from '../../src/openflow/ofp-msgs';
import type { OfpMsg } from '../../src/openflow/ofp-msgs';
import {
  OFPBCT_COMMIT_REPLY, OFPBCT_COMMIT_REQUEST, OFPBCT_OPEN_REPLY, OFPBCT_OPEN_REQUEST, OFPBF_ATOMIC, OFPBF_ORDERED,
  decodeBundleAdd, decodeBundleCtrl, encodeBundleAdd, encodeBundleCtrl,
} from '../../src/openflow/ofp-bundle';
import type { BundleCtrl } from '../../src/openflow/ofp-bundle';

interface Case { name: string; cmd: string; msgs: { dir: string; hex: string }[] }
const golden = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/ofp-bundle.json'), 'utf8')) as
  { cases: Case[]; bundleCtrl: { version: number; xid: number; args: BundleCtrl; hex: string; print: string }[] };

const caseMsgs = (name: string): OfpMsg[] =>
  golden.cases.find((c) => c.name === name)!.msgs.map((m) => decodeMsg(Buffer.from(m.hex, 'hex')));

function throwsOfp(fn: () => unknown, err: string): void {
  assert.throws(fn, (e: unknown) => e instanceof OfpError && e.err === err);
}

test('bundle control and add messages of ovs-ofctl (ONF 1.3 extension, OpenFlow 1.4/1.5) re-encode to the same bytes', () => {
  let n = 0;
  for (const c of golden.cases) {
    for (const m of caseMsgs(c.name)) {
      if (m.type === 'BUNDLE_CONTROL') {
        assert.deepEqual(encodeBundleCtrl(decodeBundleCtrl(m), m.version, m.xid), m.data, c.name);
      } else if (m.type === 'BUNDLE_ADD_MESSAGE') {
        const add = decodeBundleAdd(m);
        assert.deepEqual(encodeBundleAdd(add.bundleId, add.flags, add.msg, m.version), m.data, c.name);
      } else {
        continue;
      }
      n++;
    }
  }
  assert.equal(n, 26);
});

test('a bundle opens atomic and ordered, carries flow and group mods with the outer xid, and commits', () => {
  const msgs = caseMsgs('bundle-14');
  const ctrls = msgs.filter((m) => m.type === 'BUNDLE_CONTROL').map(decodeBundleCtrl);
  assert.deepEqual(ctrls.map((c) => c.type), [OFPBCT_OPEN_REQUEST, OFPBCT_OPEN_REPLY, OFPBCT_COMMIT_REQUEST, OFPBCT_COMMIT_REPLY]);
  assert.equal(ctrls[0].flags, OFPBF_ATOMIC | OFPBF_ORDERED);
  const adds = msgs.filter((m) => m.type === 'BUNDLE_ADD_MESSAGE');
  assert.deepEqual(adds.map((m) => decodeBundleAdd(m).msgType), ['FLOW_MOD', 'GROUP_MOD', 'FLOW_MOD']);
  for (const m of adds) assert.equal(decodeMsg(decodeBundleAdd(m).msg).xid, m.xid);
  assert.equal(caseMsgs('bundle-13')[0].raw, 'ONFT13_BUNDLE_CONTROL');
  assert.equal(caseMsgs('bundle-13')[2].raw, 'ONFT13_BUNDLE_ADD_MESSAGE');
});

test('bundle control replies are what ovs-ofctl ofp-print prints', () => {
  for (const p of golden.bundleCtrl) {
    const bytes = encodeBundleCtrl(p.args, p.version, p.xid);
    assert.equal(bytes.toString('hex'), p.hex, p.print);
    assert.deepEqual(decodeBundleCtrl(decodeMsg(bytes)), p.args);
  }
  throwsOfp(() => encodeBundleCtrl(golden.bundleCtrl[0].args, 3, 1), 'OFPBRC_BAD_VERSION');
});

test('bundled messages are checked as OVS does', () => {
  const add = caseMsgs('bundle-14').find((m) => m.type === 'BUNDLE_ADD_MESSAGE')!;
  const inner = decodeBundleAdd(add).msg;
  const wrap = (innerBytes: Buffer, xid = add.xid): OfpMsg =>
    decodeMsg(encodeMsg('OFPT14_BUNDLE_ADD_MESSAGE', 5, xid, Buffer.concat([Buffer.from('0000000000000003', 'hex'), innerBytes])));
  const changed = (at: number, bytes: number[]): Buffer => {
    const b = Buffer.from(inner);
    Buffer.from(bytes).copy(b, at);
    return b;
  };
  throwsOfp(() => decodeBundleAdd(wrap(changed(0, [4]))), 'OFPBFC_BAD_VERSION');
  throwsOfp(() => decodeBundleAdd(wrap(inner, add.xid + 1)), 'OFPBFC_MSG_BAD_XID');
  throwsOfp(() => decodeBundleAdd(wrap(changed(2, [0xff, 0]))), 'OFPBFC_MSG_BAD_LEN');
  throwsOfp(() => decodeBundleAdd(wrap(inner.subarray(0, 6))), 'OFPBFC_MSG_BAD_LEN');
  throwsOfp(() => decodeBundleAdd(wrap(changed(1, [99]))), 'OFPBFC_MSG_UNSUP');
  const barrier = encodeMsg('OFPT11_BARRIER_REQUEST', 5, add.xid, Buffer.alloc(0));
  throwsOfp(() => decodeBundleAdd(wrap(barrier)), 'OFPBFC_MSG_UNSUP');
  throwsOfp(() => decodeBundleCtrl(decodeMsg(barrier)), 'OFPBRC_BAD_TYPE');
  // Trailing bundle properties are ignored.
  assert.deepEqual(decodeBundleAdd(wrap(Buffer.concat([inner, Buffer.from('0001000800000000', 'hex')]))).msg, inner);
});
