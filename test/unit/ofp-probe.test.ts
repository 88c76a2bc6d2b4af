/**
 * The malformed-message corpus and raw OpenFlow client of test/kernel/lib/ofp-probe.ts, checked
 * on their own and against our standalone OpenFlow switch (BridgeOfproto on a punix: mgmt socket,
 * no datapath): the corpus is deterministic and well formed where it means to be, the client
 * records what the switch says and whether it hung up, and our switch keeps every connection
 * open except after a too-short `ofp_header.length`, as OVS does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { BridgeOfproto } from '../../src/ofproto-dpif/bridge-ofproto';
import { OFPP_LOCAL } from '../../src/openflow/common';
import { vlogModule } from '../../src/util/vlog';
import { buildMalformedCorpus, describeReply, type MalformedCase, markerXid, normaliseReply, probeCase, probeCorpus } from '../kernel/lib/ofp-probe';

const GOLDEN = path.join(__dirname, '../../../test/unit/golden');
const P1_MAC = '02:0f:00:00:00:01';
const corpus = (): MalformedCase[] => buildMalformedCorpus({ p1Mac: P1_MAC }, GOLDEN);

function port(portNo: number, name: string, hwAddr: string) {
  return { portNo, name, hwAddr, config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0 };
}

/** Our switch on `<tmp>/br0.mgmt` with ports p1 (MAC {@link P1_MAC}), p2 and LOCAL. */
async function startSwitch(): Promise<{ sock: string; close(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsv-probe-'));
  const ofproto = new BridgeOfproto('br0', {
    log: vlogModule('connmgr'),
    applyFlowDelta: () => undefined,
    portCounters: async () => ({ rxPackets: 0n, txPackets: 0n, rxBytes: 0n, txBytes: 0n }),
  }, { datapathId: 0xaabbccddeeffn, failMode: 'standalone', allowedVersions: 0x7e, controllers: [] });
  ofproto.setPorts([
    { desc: port(1, 'p1', P1_MAC), odpPort: 2 },
    { desc: port(2, 'p2', '02:0f:00:00:00:02'), odpPort: 3 },
    { desc: port(OFPP_LOCAL, 'br0', '02:0f:00:00:00:fe'), odpPort: 1 },
  ]);
  await ofproto.start(dir);
  return {
    sock: path.join(dir, 'br0.mgmt'),
    close: () => {
      ofproto.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('the corpus is deterministic, large, covers OpenFlow 1.0/1.3/1.4/1.5, has unique ids and isolates connection-state changes', () => {
  const a = corpus();
  const b = corpus();
  assert.deepEqual(a, b);
  assert.ok(a.length >= 300, `${a.length} cases`);
  assert.equal(new Set(a.map((c) => c.id)).size, a.length);
  for (const v of [1, 4, 5, 6]) assert.ok(a.filter((c) => c.version === v).length >= 100, `version ${v}`);
  for (const c of a) {
    assert.match(c.id, new RegExp(`^of1${c.version - 1}/[a-z0-9_]+/`), c.id);
    assert.ok(c.description.length > 0 && c.msgs.length > 0, c.id);
  }
  const isolated = (id: string): boolean => a.find((c) => c.id === id)!.isolated;
  for (const id of ['of13/role/bad-role', 'of14/bundle_add/base', 'of10/nx_role/bad-role', 'of15/multipart/split-type-change', 'of13/set_async/long']) assert.ok(isolated(id), id);
  for (const id of ['of13/flow_mod/base', 'of10/header/unknown-type-37', 'of15/oversize/echo-65535']) assert.ok(!isolated(id), id);
  const families = new Set(a.map((c) => c.id.split('/')[1]));
  for (const f of ['flow_mod', 'packet_out', 'port_mod', 'group_mod', 'meter_mod', 'multipart', 'set_config', 'role', 'set_async', 'bundle_ctrl', 'bundle_add', 'nx_flow_mod', 'seed', 'oversize', 'version']) {
    assert.ok(families.has(f), f);
  }
});

test('every corpus message says its own length, except the too-short-header cases, and fits in 64 KiB', () => {
  for (const c of corpus()) {
    for (const m of c.msgs) {
      assert.ok(m.length >= 8 && m.length <= 65535, `${c.id}: ${m.length} bytes`);
      if (/\/header\/length-\d+$/.test(c.id)) assert.ok(m.readUInt16BE(2) < 8, c.id);
      else assert.equal(m.readUInt16BE(2), m.length, c.id);
    }
  }
});

test('message K of case I carries xid 0x100 + 16 I + K, except where a case reuses an xid on purpose', () => {
  corpus().forEach((c, i) => {
    c.msgs.forEach((m, k) => {
      if (c.id.endsWith('/multipart/split-type-change') && k === 1) assert.equal(m.readUInt32BE(4), 0x100 + 16 * i, c.id);
      else assert.equal(m.readUInt32BE(4), 0x100 + 16 * i + k, c.id);
    });
  });
});

test('a bundle add carries its own xid in the inner message (unless the case tests a mismatch)', () => {
  const cases = corpus().filter((c) => c.id.includes('/bundle_add/') && c.msgs.length > 1);
  assert.ok(cases.length >= 12);
  for (const c of cases) {
    for (const m of c.msgs) {
      const add = m[1] === 34 ? 16 : m[1] === 4 && m.readUInt32BE(8) === 0x4f4e4600 && m.readUInt32BE(12) === 2301 ? 24 : 0;
      if (!add || m.length < add + 8) continue;
      const inner = m.readUInt32BE(add + 4);
      if (c.id.endsWith('/bad-xid')) assert.notEqual(inner, m.readUInt32BE(4), c.id);
      else assert.equal(inner, m.readUInt32BE(4), c.id);
    }
  }
});

test('the probe records an error reply, an echo of 64 KiB, silence, and a dropped connection', async () => {
  const sw = await startSwitch();
  try {
    const all = corpus();
    const pick = (id: string): [MalformedCase, number] => {
      const i = all.findIndex((c) => c.id === id);
      assert.ok(i >= 0, id);
      return [all[i], i];
    };
    const [unknown, ui] = pick('of13/header/unknown-type-37');
    const r1 = await probeCase(sw.sock, unknown, ui);
    assert.equal(r1.outcome, 'up');
    const req = unknown.msgs[0];
    const err = Buffer.concat([Buffer.from([4, 1, 0, 12 + req.length]), req.subarray(4, 8), Buffer.from('00010001', 'hex'), req]);
    assert.deepEqual(r1.replies, [err.toString('hex')]);
    assert.equal(describeReply(r1.replies[0]), 'OFPT_ERROR OFPBRC_BAD_TYPE');

    const [echo, ei] = pick('of15/oversize/echo-65535');
    const r2 = await probeCase(sw.sock, echo, ei);
    assert.equal(r2.outcome, 'up');
    assert.equal(r2.replies.length, 1);
    const reply = Buffer.from(r2.replies[0], 'hex');
    assert.equal(reply.length, 65535);
    assert.deepEqual([reply[0], reply[1]], [6, 3]);
    assert.deepEqual(reply.subarray(4), echo.msgs[0].subarray(4));

    const [base, bi] = pick('of13/flow_mod/base');
    assert.deepEqual(await probeCase(sw.sock, base, bi), { id: base.id, replies: [], outcome: 'up' });

    const [short, si] = pick('of10/header/length-7');
    assert.deepEqual(await probeCase(sw.sock, short, si), { id: short.id, replies: [], outcome: 'closed' });
  } finally {
    sw.close();
  }
});

test('our switch answers the whole corpus and keeps every connection up except after a too-short header', { timeout: 120_000 }, async () => {
  const sw = await startSwitch();
  try {
    const all = corpus();
    const results = await probeCorpus(sw.sock, all, { timeoutMs: 10_000 });
    assert.equal(results.length, all.length);
    const closed = results.filter((r) => r.outcome !== 'up').map((r) => `${r.id}: ${r.outcome}`);
    assert.deepEqual(closed, all.filter((c) => /\/header\/length-\d+$/.test(c.id)).map((c) => `${c.id}: closed`));
    results.forEach((r, i) => {
      for (const h of r.replies) {
        const m = Buffer.from(h, 'hex');
        assert.equal(m.readUInt16BE(2), m.length, r.id);
        assert.notEqual(m.readUInt32BE(4), markerXid(i), `${r.id}: the marker echo is not a reply`);
      }
    });
  } finally {
    sw.close();
  }
});

test('normalisation zeroes the LOCAL MAC at byte boundaries only, and nothing without one', () => {
  const mac = '02:0f:00:00:00:fe';
  assert.equal(normaliseReply('aa020f000000febb', mac), 'aa000000000000bb');
  assert.equal(normaliseReply('a020f000000feb', mac), 'a020f000000feb');
  assert.equal(normaliseReply('020f000000fe020f000000fe', mac), '0'.repeat(24));
  assert.equal(normaliseReply('020f000000fe'), '020f000000fe');
});

test('replies are summarised by OVS error name or by type and length', () => {
  assert.equal(describeReply('0401001400000001000100010400000800000001'), 'OFPT_ERROR OFPBRC_BAD_TYPE');
  assert.equal(describeReply('0101001400000000b0c200000000232000010209'), 'OFPT_ERROR NXBRC_UNENCODABLE_ERROR');
  assert.equal(describeReply('0415000800000001'), 'type 21 v4 (8 bytes)');
});
