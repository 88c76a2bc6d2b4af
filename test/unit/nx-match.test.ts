import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfpError } from '../../src/openflow/ofp-errors';
import {
  decodeNxMatch, decodeNxMatchCookie, decodeOxmMatch, encodeNxMatch, encodeOxmMatch, formatNxMatch,
  mfFieldByHeader, mfFieldByHeaderName, mfFieldByNxmHeader, mfHeaderFor, mfNxmHeader, nxPullEntry, nxPullHeader, nxPutHeader, parseNxMatch,
} from '../../src/openflow/nx-match';
import { MF_FIELDS, mfField } from '../../src/openflow/meta-flow';
import { Match } from '../../src/openflow/match';

interface Outcome { text?: string; hex?: string; error?: string }
interface GoldenCase { kind: 'nxm' | 'oxm'; version?: string; input: string; strict: Outcome; loose: Outcome }

const golden: { cases: GoldenCase[] } = JSON.parse(fs.readFileSync(
  path.join(__dirname, '../../../test/unit/golden/match-nxm-oxm.json'), 'utf8'));

const VERSIONS: Record<string, number> = { OpenFlow12: 3, OpenFlow13: 4, OpenFlow15: 6 };

/** Runs one golden case through our decoder and encoder the way `ovs-ofctl parse-nx-match` does. */
function runCase(c: GoldenCase, strict: boolean): Outcome {
  const raw = parseNxMatch(c.input);
  try {
    if (c.kind === 'nxm') {
      const { match, cookie, cookieMask } = decodeNxMatchCookie(raw, { strict });
      const body = encodeNxMatch(match, 0, { value: cookie, mask: cookieMask });
      const padded = Buffer.concat([body, Buffer.alloc((8 - (body.length % 8)) % 8)]);
      return { text: formatNxMatch(body), hex: padded.toString('hex') };
    }
    const wrapped = Buffer.alloc((4 + raw.length + 7) & ~7);
    wrapped.writeUInt16BE(1, 0);
    wrapped.writeUInt16BE(4 + raw.length, 2);
    raw.copy(wrapped, 4);
    const { match } = decodeOxmMatch(wrapped, 0, { strict });
    const out = encodeOxmMatch(match, VERSIONS[c.version!]);
    return { text: formatNxMatch(out.subarray(4, out.readUInt16BE(2))), hex: out.toString('hex') };
  } catch (err) {
    if (err instanceof OfpError) return { error: err.err };
    throw err;
  }
}

test('NXM/OXM decode + re-encode agrees with ovs-ofctl parse-nx-match/parse-oxm (strict and loose)', () => {
  const failures: string[] = [];
  for (const c of golden.cases) {
    for (const mode of ['strict', 'loose'] as const) {
      const got = runCase(c, mode === 'strict');
      const want = c[mode];
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        failures.push(`${c.kind} ${c.version ?? ''} ${mode} ${c.input}\n   got ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
      }
    }
  }
  assert.equal(failures.length, 0, `${failures.length} mismatches:\n${failures.slice(0, 40).join('\n')}`);
  assert.ok(golden.cases.length > 800);
});

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const isErr = (name: string) => (e: unknown): boolean => e instanceof OfpError && e.err === name;

test('code point choice per version: NXM first, standard OXM from its version, experimenter in between', () => {
  const pick = (field: string, v: number): string | undefined => mfHeaderFor(mfField(field), v)?.name;
  assert.equal(pick('eth_src', 0), 'NXM_OF_ETH_SRC');
  assert.equal(pick('eth_src', 3), 'OXM_OF_ETH_SRC');
  assert.equal(pick('tcp_flags', 3), 'NXM_NX_TCP_FLAGS');
  assert.equal(pick('tcp_flags', 4), 'ONFOXM_ET_TCP_FLAGS');
  assert.equal(pick('tcp_flags', 6), 'OXM_OF_TCP_FLAGS');
  assert.equal(pick('actset_output', 0), 'ONFOXM_ET_ACTSET_OUTPUT');
  assert.equal(pick('actset_output', 6), 'OXM_OF_ACTSET_OUTPUT');
  assert.equal(pick('dp_hash', 6), 'NXM_NX_DP_HASH');
  assert.equal(pick('xreg3', 0), 'OXM_OF_PKT_REG3');
  assert.equal(pick('skb_priority', 4), undefined);
  assert.equal(mfNxmHeader(mfField('reg0')), 0x00010004);
  assert.equal(mfNxmHeader(mfField('eth_src')), 0x00000406);
  assert.equal(mfNxmHeader(mfField('in_port_oxm')), 0x80000004);
  assert.equal(mfNxmHeader(mfField('tun_erspan_idx')), 0, 'experimenter-only fields have no 32-bit header');
  assert.equal(mfFieldByNxmHeader(0x00010004), mfField('reg0'));
  assert.equal(mfFieldByNxmHeader(0x00010108), mfField('reg0'), 'masked form names the field too');
  assert.equal(mfFieldByNxmHeader(0x00010005), undefined, 'wrong length');
  assert.equal(mfFieldByHeaderName('OXM_OF_PKT_REG2'), mfField('xreg2'));
  assert.equal(mfFieldByHeaderName('NXM_OF_VLAN_TCI'), mfField('vlan_tci'));
  assert.equal(mfFieldByHeaderName('vlan_tci'), undefined);
  assert.deepEqual(nxPutHeader(mfField('tcp_flags'), 4, true), hex('ffff5508 4f4e4600'));
  assert.deepEqual(nxPutHeader(mfField('nsh_c1'), 4, false), hex('ffff0c08 005ad650'));
  assert.throws(() => nxPutHeader(mfField('tun_ttl'), 4, false));
});

test('every code point decodes back to its field, masked (if maskable) and not', () => {
  for (const f of MF_FIELDS) {
    for (const h of f.headers) {
      for (const masked of f.maskable ? [false, true] : [false]) {
        const exp = h.oxmClass === 0xffff ? 4 : 0;
        const raw = Buffer.alloc(4 + exp);
        raw.writeUInt32BE(((h.oxmClass << 16) | (h.field << 9) | (masked ? 0x100 : 0)
          | ((masked ? 2 : 1) * f.nBytes + exp)) >>> 0, 0);
        if (exp) raw.writeUInt32BE(h.vendor >>> 0, 4);
        assert.equal(mfFieldByHeader(nxPullHeader(raw).header), f, `${h.name}${masked ? '_W' : ''}`);
      }
    }
  }
});

test('entry decoding errors as nx_pull_raw: truncation, wildcards, masks, values, duplicates, prerequisites', () => {
  const cases: Array<[string, string]> = [
    ['000002', 'OFPBMC_BAD_LEN'],
    ['00000002 00', 'OFPBMC_BAD_LEN'],
    ['ffff0003 00002320', 'OFPBMC_BAD_LEN'],
    ['ffff0402', 'OFPBMC_BAD_LEN'],
    ['00000304 0f00 f000', 'OFPBMC_BAD_WILDCARDS'],
    ['00000704 0800 0f00', 'OFPBMC_BAD_MASK'],
    ['80000004 0000ff00', 'OFPBMC_BAD_VALUE'],
    ['00000002 0001 00000002 0002', 'OFPBMC_DUP_FIELD'],
    ['00000c01 06', 'OFPBMC_BAD_PREREQ'],
    ['00000602 0800 00000602 0800', 'OFPBMC_DUP_FIELD'],
    ['7f000002 0001', 'OFPBMC_BAD_FIELD'],
    ['00000003 000100', 'OFPBMC_BAD_FIELD'],
  ];
  for (const [h, err] of cases) assert.throws(() => decodeNxMatch(hex(h)), isErr(err), h);
  assert.ok(decodeNxMatch(hex('7f000002 0001 00000002 0005'), { strict: false })
    .equals(decodeNxMatch(hex('00000002 0005'))), 'loose skips unknown fields');
  assert.ok(decodeNxMatch(hex('00000c01 06'), { strict: false }).prereqsOk(mfField('nw_proto')) === false,
    'loose does not check prerequisites');
});

test('NXM_NX_COOKIE: carried by NXM, duplicate rejected, unknown to OXM, appended by the encoder', () => {
  const body = hex('00000602 0800 00013d10 0000000000001234 000000000000ffff');
  const d = decodeNxMatchCookie(body);
  assert.equal(d.cookie, 0x1234n);
  assert.equal(d.cookieMask, 0xffffn);
  assert.equal(formatNxMatch(body), 'NXM_OF_ETH_TYPE(0800), NXM_NX_COOKIE_W(0000000000001234/000000000000ffff)');
  assert.deepEqual(encodeNxMatch(d.match, 0, { value: d.cookie, mask: d.cookieMask }), body);
  assert.deepEqual(encodeNxMatch(d.match, 0, { value: 5n, mask: 0xffffffffffffffffn }),
    hex('00000602 0800 00013c08 0000000000000005'));
  assert.throws(() => decodeNxMatchCookie(Buffer.concat([body, hex('00013c08 0000000000000001')])), isErr('OFPBMC_DUP_FIELD'));
  assert.throws(() => decodeNxMatch(body, { oxm: true }), isErr('OFPBMC_BAD_FIELD'));
  assert.ok(decodeNxMatch(body).equals(d.match));
});

test('pipeline-fields-only decoding (packet-in metadata) rejects packet header fields', () => {
  const meta = hex('00010004 00000001 80000004 00000003');
  const m = decodeNxMatch(meta, { pipelineFieldsOnly: true });
  assert.deepEqual(m.getField(mfField('in_port')).value, hex('0003'));
  assert.deepEqual(m.getField(mfField('reg0')).value, hex('00000001'));
  assert.throws(() => decodeNxMatch(hex('00000602 0800'), { pipelineFieldsOnly: true }),
    isErr('OFPBRC_PIPELINE_FIELDS_ONLY'));
});

test('catch-all encodes as nothing (NXM) and as a bare ofp_match header (OXM)', () => {
  assert.equal(encodeNxMatch(Match.catchall()).length, 0);
  assert.deepEqual(encodeOxmMatch(Match.catchall(), 4), hex('00010004 00000000'));
  assert.equal(formatNxMatch(Buffer.alloc(0)), '<any>');
  assert.ok(decodeOxmMatch(hex('00010004 00000000')).match.isCatchall());
});

test('nxPullEntry reads experimenter OXMs with their 4-byte experimenter id', () => {
  const e = nxPullEntry(hex('ffff5508 4f4e4600 0012 0fff'));
  assert.equal(e.field?.name, 'tcp_flags');
  assert.deepEqual(e.value, hex('0012'));
  assert.deepEqual(e.mask, hex('0fff'));
  assert.equal(e.length, 12);
  assert.ok(!e.unknown);
  assert.equal(formatNxMatch(hex('ffff5508 4f4e4600 0012 0fff 01')), 'ONFOXM_ET_TCP_FLAGS_W(0012/0fff), <1 invalid bytes>');
  assert.throws(() => parseNxMatch('NXM_OF_IN_PORT_W(0001/ffff)'), /unknown field/);
  assert.throws(() => parseNxMatch('NXM_OF_ETH_TYPE(08)'), /expected to read 2 bytes/);
});
