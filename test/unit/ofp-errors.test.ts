import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  OFPERR_NAMES, OfpError, OfpErrName, decodeErrorMsg, encodeErrorMsg, isOfpErrName, ofpErrorCode,
  ofpErrorFromCode,
} from '../../src/openflow/ofp-errors';

interface Golden {
  names: string[];
  printError: Record<string, string[]>;
  encodeErrorReply: Record<string, Record<string, string>>;
}
const golden: Golden = JSON.parse(fs.readFileSync(
  path.join(__dirname, '../../../test/unit/golden/ofp-errors.json'), 'utf8'));

const VERSION_LABELS: Record<number, string> = {
  1: 'OpenFlow 1.0', 2: 'OpenFlow 1.1', 3: 'OpenFlow 1.2', 4: 'OpenFlow 1.3', 5: 'OpenFlow 1.4', 6: 'OpenFlow 1.5',
};

test('the error names are exactly OVS enum ofperr, in order', () => {
  assert.deepEqual([...OFPERR_NAMES], golden.names);
  assert.equal(OFPERR_NAMES.length, 198);
});

test('per-version codes match ovs-ofctl print-error for every error', () => {
  for (const name of OFPERR_NAMES) {
    const lines: string[] = [];
    for (let v = 1; v <= 6; v++) {
      const c = ofpErrorCode(name, v);
      if (!c) continue;
      const vendor = 'vendor' in c ? `0x${c.vendor.toString(16)}` : '0';
      lines.push(`${VERSION_LABELS[v]}: vendor ${vendor}, type ${c.type}, code ${c.code}`);
    }
    assert.deepEqual(lines, golden.printError[name], name);
  }
});

test('error replies match ovs-ofctl encode-error-reply byte for byte, in every version', () => {
  for (const name of OFPERR_NAMES) {
    for (const [v, hex] of Object.entries(golden.encodeErrorReply[name])) {
      const request = Buffer.from(`${Number(v).toString(16).padStart(2, '0')}02000812345678`, 'hex');
      const reply = encodeErrorMsg(name, Number(v), 0x12345678, request);
      assert.equal(reply.toString('hex'), hex, `${name} in version ${v}`);
    }
  }
});

test('a duplicated wire code decodes to the first name that claims it', () => {
  assert.equal(ofpErrorFromCode(2, 0, 3, 5), 'OFPBIC_BAD_EXPERIMENTER');
  assert.equal(ofpErrorFromCode(3, 0, 3, 6), 'OFPBIC_BAD_EXP_TYPE');
  assert.equal(ofpErrorFromCode(1, 0, 1, 5), 'OFPBRC_EPERM');
  assert.equal(ofpErrorFromCode(3, 0, 1, 10), 'OFPBRC_IS_SECONDARY');
});

test('decoding an encoded error gives back its name in every version that can express it', () => {
  const data = Buffer.from('0102000811111111', 'hex');
  for (const name of OFPERR_NAMES) {
    for (let v = 1; v <= 6; v++) {
      if (!ofpErrorCode(name, v)) continue;
      const d = decodeErrorMsg(encodeErrorMsg(name, v, 7, data));
      const first = ofpErrorFromCode(v, d.vendor, d.type, d.code);
      assert.equal(d.err, first, `${name} v${v}`);
      assert.deepEqual(ofpErrorCode(d.err as OfpErrName, v), ofpErrorCode(name, v));
      assert.deepEqual(d.data, data);
      assert.equal(d.xid, 7);
    }
  }
});

test('decodes the OFPBIC experimenter error that ovs-ofctl ofp-print names OFPBIC_BAD_EXPERIMENTER', () => {
  const d = decodeErrorMsg(Buffer.from('0201001455555555000300050102000811111111', 'hex'));
  assert.equal(d.err, 'OFPBIC_BAD_EXPERIMENTER');
  assert.equal(d.data.toString('hex'), '0102000811111111');
});

test('decodes NXET_VENDOR and OFPET12_EXPERIMENTER layouts', () => {
  const nx = decodeErrorMsg(Buffer.from('0101001c12345678b0c20000000023200001020101000008' + '12345678', 'hex'));
  assert.equal(nx.err, 'OFPRRFC_BAD_ROLE');
  assert.equal(nx.vendor, 0x2320);
  const onf = decodeErrorMsg(Buffer.from('0401001812345678ffff0a284f4e46000400000812345678', 'hex'));
  assert.equal(onf.err, 'OFPBIC_DUP_INST');
  assert.equal(onf.type, 2600);
  assert.equal(onf.code, 0);
});

test('an unassigned code or unknown version decodes without a name', () => {
  const d = decodeErrorMsg(Buffer.from('0401000c0000000100630001', 'hex'));
  assert.equal(d.err, undefined);
  assert.equal(d.type, 0x63);
  const odd = Buffer.from('07010010000000010001000100000000', 'hex');
  assert.equal(decodeErrorMsg(odd).err, undefined);
});

test('malformed error messages are rejected with OFPBRC_BAD_LEN or OFPBRC_BAD_TYPE', () => {
  const bad = (hex: string, err: OfpErrName) =>
    assert.throws(() => decodeErrorMsg(Buffer.from(hex, 'hex')), (e: unknown) => e instanceof OfpError && e.err === err);
  bad('0101000a000000010001', 'OFPBRC_BAD_LEN');
  bad('0101000c0000000100010001ff', 'OFPBRC_BAD_LEN');
  bad('0101001000000001b0c2000000002320', 'OFPBRC_BAD_LEN');
  bad('0401000c00000001ffff0001', 'OFPBRC_BAD_LEN');
  bad('0102000c0000000100010001', 'OFPBRC_BAD_TYPE');
});

test('the echoed data is cut so the error fits in 65535 bytes', () => {
  const big = Buffer.alloc(70000, 0xab);
  const reply = encodeErrorMsg('OFPBRC_BAD_LEN', 4, 1, big);
  assert.equal(reply.length, 0xffff);
  assert.equal(reply.readUInt16BE(2), 0xffff);
  const nx = encodeErrorMsg('NXBRC_MUST_BE_ZERO', 1, 1, big);
  assert.equal(nx.length, 0xffff);
});

test('OfpError carries the abstract name and a readable message', () => {
  const e = new OfpError('OFPBMC_BAD_PREREQ', 'ip_src needs eth_type=0x0800');
  assert.equal(e.err, 'OFPBMC_BAD_PREREQ');
  assert.equal(e.message, 'OFPBMC_BAD_PREREQ: ip_src needs eth_type=0x0800');
  assert.equal(new OfpError('OFPBRC_EPERM').message, 'OFPBRC_EPERM');
  assert.ok(e instanceof Error);
  assert.ok(isOfpErrName('OFPHFC_INCOMPATIBLE'));
  assert.ok(!isOfpErrName('OFPERR_OFPHFC_INCOMPATIBLE'));
});
