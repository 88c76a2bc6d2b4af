import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import {
  OFP10_VERSION, OFP11_VERSION, OFP12_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION, OFPP_CONTROLLER,
  OFPP_IN_PORT, OFPP_MAX,
} from '../../src/openflow/common';
import { parseMatch } from '../../src/openflow/match-format';
import { Match } from '../../src/openflow/match';
import { OfpError } from '../../src/openflow/ofp-errors';
import {
  checkOfpacts, decodeActions, decodeInstructions, encodeActions, encodeInstructions,
} from '../../src/openflow/ofp-actions';
import {
  ALL_OVS_INSTRUCTIONS, LearnSpec, Ofpact, ofpactsExecuteActionSet, ofpactsGetMeter, ofpactsOutputToGroup,
  ofpactsOutputToPort, verifyOfpacts,
} from '../../src/openflow/ofpacts';
import { formatOfpacts } from '../../src/openflow/ofpacts-format';

const GOLDEN = path.join(__dirname, '../../../test/unit/golden');
const VERSIONS = [OFP10_VERSION, OFP11_VERSION, OFP12_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION];

interface WireCase {
  version: number; kind: 'actions' | 'instructions'; hex: string; tableId?: number;
  text?: string; reencoded?: string; error?: string; actions?: string; match?: string; note?: string;
}

function golden<T>(name: string): { cases: T[] } {
  return JSON.parse(fs.readFileSync(path.join(GOLDEN, name), 'utf8'));
}

function errName(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof OfpError) return e.err;
    throw e;
  }
  return 'no error';
}

/**
 * What `ovs-ofctl parse-actions|parse-instructions` does with a case: decode, for instructions
 * also check against a catch-all match, then format and re-encode.
 */
function parseLikeOvsOfctl(c: WireCase): { text: string; reencoded: string } | { error: string } {
  try {
    const buf = Buffer.from(c.hex, 'hex');
    const ofpacts = c.kind === 'actions' ? decodeActions(c.version, buf) : decodeInstructions(c.version, buf);
    if (c.kind === 'instructions') {
      checkOfpacts(ofpacts, {
        match: Match.catchall(), maxPorts: OFPP_MAX, tableId: c.tableId ?? 0, nTables: 255, version: c.version,
      });
    }
    const out = c.kind === 'actions' ? encodeActions(c.version, ofpacts) : encodeInstructions(c.version, ofpacts);
    return { text: formatOfpacts(ofpacts), reencoded: out.toString('hex') };
  } catch (e) {
    if (e instanceof OfpError) return { error: e.err };
    throw e;
  }
}

function checkWireCases(file: string, select: (c: WireCase) => boolean, label: (c: WireCase) => string): void {
  for (const c of golden<WireCase>(file).cases.filter(select)) {
    const want = c.error ? { error: c.error } : { text: c.text, reencoded: c.reencoded };
    assert.deepEqual(parseLikeOvsOfctl(c), want, `${label(c)} (version ${c.version}, ${c.hex})`);
  }
}

for (const v of VERSIONS) {
  test(`what ovs-ofctl sends for 240 action texts in OpenFlow 1.${v - 1} decodes, prints and re-encodes as in OVS`, () => {
    checkWireCases('ofp-actions-roundtrip.json', (c) => c.version === v, (c) => `${c.match},actions=${c.actions}`);
  });
  test(`hand-made and malformed OpenFlow 1.${v - 1} actions and instructions get OVS's verdict`, () => {
    checkWireCases('ofp-actions-malformed.json', (c) => c.version === v, (c) => c.note ?? '');
  });
}

test('the OpenFlow 1.0-1.5 vectors of OVS tests/ofp-actions.at get the same verdicts, except tun_metadata', () => {
  // Tunnel metadata fields are not in the field table (meta-flow.ts), so delete_field of one is
  // unknown here.
  const tunMetadata = (c: WireCase): boolean => c.text?.includes('tun_metadata') === true;
  checkWireCases('ofp-actions-vectors.json', (c) => !tunMetadata(c), (c) => c.text ?? c.error ?? '');
  const skipped = golden<WireCase>('ofp-actions-vectors.json').cases.filter(tunMetadata);
  assert.equal(skipped.length, 1);
  assert.equal(errName(() => decodeActions(OFP10_VERSION, Buffer.from(skipped[0].hex, 'hex'))), 'OFPBMC_BAD_FIELD');
});

interface CrossCase {
  addVersion: number; match: string; actions: string; addError?: string;
  dumped?: Record<string, string | { decodeError: string }>;
}

/** The flow's instructions as the switch receives them in OpenFlow `version`. */
function flowModInstructions(version: number, c: WireCase): Buffer {
  const hex = Buffer.from(c.hex, 'hex');
  if (version === OFP10_VERSION || c.kind === 'instructions' || !hex.length) return hex;
  const apply = Buffer.alloc(8);
  apply.writeUInt16BE(4, 0);
  apply.writeUInt16BE(8 + hex.length, 2);
  return Buffer.concat([apply, hex]);
}

for (const a of VERSIONS) {
  test(`flows added with OpenFlow 1.${a - 1} dump in every version as from an OVS switch`, () => {
    const rt = golden<WireCase>('ofp-actions-roundtrip.json').cases;
    const cases = golden<CrossCase>('ofp-actions-cross.json').cases.filter((c) => c.addVersion === a);
    assert.ok(cases.length > 200);
    for (const c of cases) {
      const wire = rt.find((r) => r.version === a && r.match === c.match && r.actions === c.actions) as WireCase;
      const label = `${c.match},actions=${c.actions}`;
      // The switch decodes the flow_mod's instructions and checks them against the match.
      const check = (): Ofpact[] => {
        const ofpacts = decodeInstructions(a, flowModInstructions(a, wire));
        checkOfpacts(ofpacts, { match: parseMatch(c.match).match, maxPorts: OFPP_MAX, tableId: 0, nTables: 255, version: a });
        return ofpacts;
      };
      if (c.addError) {
        assert.equal(errName(check), c.addError, label);
        continue;
      }
      const ofpacts = check();
      for (const b of VERSIONS) {
        // ...and encodes them into the flow stats reply of each version, which ovs-ofctl decodes.
        const reply = encodeInstructions(b, ofpacts);
        let shown: string | { decodeError: string };
        try {
          shown = formatOfpacts(decodeInstructions(b, reply));
        } catch (e) {
          if (!(e instanceof OfpError)) throw e;
          shown = { decodeError: e.err };
        }
        assert.deepEqual(shown, c.dumped?.[b], `${label} dumped in version ${b}`);
      }
    }
  });
}

const out = (port: number, maxLen = 0): Ofpact => ({ type: 'output', port, maxLen });

test('encodeInstructions puts runs of actions in one Apply-Actions and instructions in OVS order', () => {
  const ofpacts: Ofpact[] = [
    { type: 'meter', meterId: 7 }, out(1), out(2),
    { type: 'clear_actions' }, { type: 'write_actions', actions: [out(3)] },
    { type: 'write_metadata', metadata: 0x12n, mask: 0xffn }, { type: 'goto_table', tableId: 4 },
  ];
  const hex = encodeInstructions(OFP13_VERSION, ofpacts).toString('hex');
  assert.equal(hex, [
    '0006000800000007',
    '00040028' + '00000000' + '00000010000000010000000000000000' + '00000010000000020000000000000000',
    '0005000800000000',
    '00030018' + '00000000' + '00000010000000030000000000000000',
    '00020018' + '00000000' + '0000000000000012' + '00000000000000ff',
    '0001000804000000',
  ].join(''));
  assert.deepEqual(decodeInstructions(OFP13_VERSION, Buffer.from(hex, 'hex')), ofpacts);
});

test('an Apply-Actions whose actions encode to nothing is left out', () => {
  // OpenFlow 1.1/1.2 have no meter; push_vlan alone has no OpenFlow 1.0 form.
  assert.equal(encodeInstructions(OFP11_VERSION, [{ type: 'meter', meterId: 1 }]).length, 0);
  assert.equal(encodeActions(OFP10_VERSION, [{ type: 'push_vlan', ethertype: 0x8100 }]).length, 0);
  assert.equal(encodeInstructions(OFP13_VERSION, [{ type: 'write_actions', actions: [] }]).length, 0);
});

test('meter is an instruction in OpenFlow 1.3/1.4 and an action from 1.5 on', () => {
  const m: Ofpact[] = [{ type: 'meter', meterId: 5 }, out(1)];
  assert.equal(encodeInstructions(OFP14_VERSION, m).subarray(0, 8).toString('hex'), '0006000800000005');
  assert.equal(encodeInstructions(OFP15_VERSION, m).toString('hex'),
    '00040020' + '00000000' + '001d000800000005' + '00000010000000010000000000000000');
  assert.equal(errName(() => decodeInstructions(OFP15_VERSION, Buffer.from('0006000800000005', 'hex'))), 'OFPBIC_UNKNOWN_INST');
  assert.equal(errName(() => decodeActions(OFP13_VERSION, Buffer.from('001d000800000005', 'hex'))), 'OFPBAC_BAD_TYPE');
});

test('a partial set_field is reg_load before OpenFlow 1.5 and a masked set_field from 1.5 on', () => {
  const sf: Ofpact = {
    type: 'set_field', field: 'reg1', value: Buffer.from('00000305', 'hex'), mask: Buffer.from('00000f0f', 'hex'),
  };
  const loads = encodeActions(OFP13_VERSION, [sf]);
  assert.equal(formatOfpacts(decodeActions(OFP13_VERSION, loads)), 'load:0x5->NXM_NX_REG1[0..3],load:0x3->NXM_NX_REG1[8..11]');
  const masked = encodeActions(OFP15_VERSION, [sf]);
  assert.equal(masked.toString('hex'), '0019001000010308000003050000' + '0f0f');
  assert.equal(formatOfpacts(decodeActions(OFP15_VERSION, masked)), 'set_field:0x305/0xf0f->reg1');
});

test('a whole-field set_field of a 20-bit field loads only its 20 bits', () => {
  const sf: Ofpact = { type: 'set_field', field: 'mpls_label', value: Buffer.from('0000000a', 'hex'), mask: Buffer.alloc(4, 0xff) };
  const wire = encodeActions(OFP10_VERSION, [sf]);
  assert.equal(wire.toString('hex'), 'ffff00180000232000070013' + '80004404' + '000000000000000a');
  assert.equal(formatOfpacts(decodeActions(OFP10_VERSION, wire)), 'load:0xa->OXM_OF_MPLS_LABEL[]');
});

test('enqueue becomes set_queue, output and pop_queue after OpenFlow 1.0', () => {
  const wire = encodeActions(OFP13_VERSION, [{ type: 'enqueue', port: 123, queue: 456 }]);
  assert.equal(formatOfpacts(decodeActions(OFP13_VERSION, wire)), 'set_queue:456,output:123,pop_queue');
  assert.equal(formatOfpacts(decodeActions(OFP10_VERSION, encodeActions(OFP10_VERSION, [{ type: 'enqueue', port: 123, queue: 456 }]))),
    'enqueue:123:456');
});

test('debug actions decode only when allowed (ovs-vswitchd --enable-dummy)', () => {
  const recirc = Buffer.from('ffff00100000232000ff000000000000', 'hex');
  assert.equal(errName(() => decodeActions(OFP13_VERSION, recirc)), 'OFPBAC_BAD_VENDOR_TYPE');
  const ofpacts = decodeActions(OFP13_VERSION, recirc, { allowDebug: true });
  assert.deepEqual(ofpacts, [{ type: 'debug_recirc' }]);
  assert.deepEqual(encodeActions(OFP13_VERSION, ofpacts), recirc);
});

/** Turns the Uint8Arrays of a structured clone back into Buffers. */
function rebuffer(x: unknown): unknown {
  if (x instanceof Uint8Array) return Buffer.from(x);
  if (Array.isArray(x)) return x.map(rebuffer);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, rebuffer(v)]));
  return x;
}

test('decoded ofpacts are plain data that survive structured cloning', () => {
  const rt = golden<WireCase>('ofp-actions-roundtrip.json').cases.filter((c) => c.version === OFP13_VERSION && c.text);
  for (const c of rt) {
    const buf = Buffer.from(c.hex, 'hex');
    const ofpacts = c.kind === 'actions' ? decodeActions(c.version, buf) : decodeInstructions(c.version, buf);
    // Buffers come back as plain Uint8Arrays; everything else is unchanged.
    assert.deepEqual(rebuffer(structuredClone(ofpacts)), ofpacts, c.actions);
  }
});

test('ofpactsOutputToPort finds outputs, enqueues and controller actions, nested ones too', () => {
  const ofpacts: Ofpact[] = [
    { type: 'clone', actions: [out(3)] },
    { type: 'enqueue', port: 4, queue: 1 },
    { type: 'controller', maxLen: 0xffff, controllerId: 1, reason: 1, pause: false, userdata: Buffer.alloc(0), meterId: 0 },
    { type: 'write_actions', actions: [out(5)] },
  ];
  for (const p of [3, 4, 5, OFPP_CONTROLLER]) assert.ok(ofpactsOutputToPort(ofpacts, p), `port ${p}`);
  assert.ok(!ofpactsOutputToPort(ofpacts, 6));
  assert.ok(!ofpactsOutputToPort([{ type: 'output_reg', src: { field: 'reg0', ofs: 0, nBits: 16 }, maxLen: 0 }], 0));
});

test('ofpactsOutputToGroup finds group actions, nested ones too', () => {
  const ofpacts: Ofpact[] = [
    { type: 'ct', flags: 1, zoneImm: 0, alg: 0, recircTable: 255, actions: [] },
    { type: 'write_actions', actions: [{ type: 'group', groupId: 9 }] },
  ];
  assert.ok(ofpactsOutputToGroup(ofpacts, 9));
  assert.ok(!ofpactsOutputToGroup(ofpacts, 8));
});

test('ofpactsGetMeter finds the meter that leads the ofpacts, 0 without one', () => {
  assert.equal(ofpactsGetMeter([{ type: 'meter', meterId: 3 }, out(1)]), 3);
  assert.equal(ofpactsGetMeter([out(1)]), 0);
  assert.equal(ofpactsGetMeter([{ type: 'goto_table', tableId: 1 }, { type: 'meter', meterId: 3 }]), 0);
});

test('the action set executes slot actions, then set/move actions, then the strongest final action', () => {
  const set: Ofpact[] = [
    out(1), { type: 'set_queue', queueId: 2 }, { type: 'push_vlan', ethertype: 0x8100 },
    { type: 'strip_vlan' }, { type: 'group', groupId: 4 }, { type: 'set_queue', queueId: 3 },
    { type: 'push_vlan', ethertype: 0x88a8 },
  ];
  assert.equal(formatOfpacts(ofpactsExecuteActionSet(set)), 'strip_vlan,push_vlan:0x88a8,set_queue:2,set_queue:3,group:4');
  assert.deepEqual(ofpactsExecuteActionSet([{ type: 'set_queue', queueId: 2 }]), []);
});

test('verifyOfpacts enforces instruction order, conjunction exclusivity and ct nesting', () => {
  const v = (o: Ofpact[], allowed = ALL_OVS_INSTRUCTIONS): string => errName(() => verifyOfpacts(o, OFP13_VERSION, allowed));
  assert.equal(v([{ type: 'goto_table', tableId: 1 }, out(1)]), 'OFPBAC_UNSUPPORTED_ORDER');
  assert.equal(v([{ type: 'clear_actions' }, { type: 'clear_actions' }]), 'OFPBAC_UNSUPPORTED_ORDER');
  assert.equal(v([out(1), out(2), { type: 'goto_table', tableId: 1 }]), 'no error');
  assert.equal(v([{ type: 'goto_table', tableId: 1 }], 1 << 1), 'OFPBIC_UNSUP_INST');
  assert.equal(v([{ type: 'conjunction', id: 1, clause: 0, nClauses: 2 }, out(1)]), 'NXBAC_BAD_CONJUNCTION');
  assert.equal(v([{ type: 'nat', flags: 0, rangeAf: 'unspec', addrMin: Buffer.alloc(0), addrMax: Buffer.alloc(0), protoMin: 0, protoMax: 0 }]),
    'OFPBAC_BAD_SET_ARGUMENT');
  const ctMark: Ofpact = { type: 'set_field', field: 'ct_mark', value: Buffer.from('00000001', 'hex'), mask: Buffer.alloc(4, 0xff) };
  assert.equal(v([ctMark]), 'OFPBAC_BAD_SET_ARGUMENT');
  assert.equal(errName(() => verifyOfpacts([ctMark], OFP13_VERSION, 2, 'ct')), 'no error');
  assert.equal(errName(() => verifyOfpacts([out(1)], OFP13_VERSION, 2, 'ct')), 'OFPBAC_BAD_ARGUMENT');
});

const catchall = (): Match => Match.catchall();
const ctx = (match: Match, extra: Partial<Parameters<typeof checkOfpacts>[1]> = {}): Parameters<typeof checkOfpacts>[1] =>
  ({ match, maxPorts: 10, tableId: 3, nTables: 20, ...extra });

test('checkOfpacts rejects output ports at or above maxPorts but not reserved ports', () => {
  assert.equal(errName(() => checkOfpacts([out(10)], ctx(catchall()))), 'OFPBAC_BAD_OUT_PORT');
  assert.equal(errName(() => checkOfpacts([out(9), out(OFPP_IN_PORT), out(OFPP_CONTROLLER, 64)], ctx(catchall()))), 'no error');
  assert.equal(errName(() => checkOfpacts([{ type: 'bundle', algorithm: 1, fields: 0, basis: 0, members: [1, 12] }], ctx(catchall()))),
    'OFPBAC_BAD_OUT_PORT');
  assert.equal(errName(() => checkOfpacts([{ type: 'enqueue', port: 11, queue: 1 }], ctx(catchall()))), 'OFPBAC_BAD_OUT_PORT');
});

test('checkOfpacts lets goto_table go only forward and within the tables', () => {
  const g = (t: number, extra = {}): string => errName(() => checkOfpacts([{ type: 'goto_table', tableId: t }], ctx(catchall(), extra)));
  assert.equal(g(3), 'OFPBIC_BAD_TABLE_ID');
  assert.equal(g(2), 'OFPBIC_BAD_TABLE_ID');
  assert.equal(g(4), 'no error');
  assert.equal(g(20), 'OFPBIC_BAD_TABLE_ID');
  assert.equal(g(0, { tableId: 255 }), 'no error');
  assert.equal(g(200, { nTables: 255 }), 'no error');
});

test('checkOfpacts requires set_field prerequisites in the match', () => {
  const ipSrc: Ofpact = { type: 'set_field', field: 'ip_src', value: Buffer.from('0a000001', 'hex'), mask: Buffer.alloc(4, 0xff) };
  assert.equal(errName(() => checkOfpacts([ipSrc], ctx(catchall()))), 'OFPBAC_MATCH_INCONSISTENT');
  assert.equal(errName(() => checkOfpacts([ipSrc], ctx(parseMatch('ip').match))), 'no error');
  // push_mpls makes the packet MPLS, so a later IP field has no prerequisites any more.
  assert.equal(errName(() => checkOfpacts([{ type: 'push_mpls', ethertype: 0x8847 }, ipSrc], ctx(parseMatch('ip').match))),
    'OFPBAC_MATCH_INCONSISTENT');
  const vid: Ofpact = { type: 'set_field', field: 'vlan_vid', value: Buffer.from('1005', 'hex'), mask: Buffer.alloc(2, 0xff) };
  assert.equal(errName(() => checkOfpacts([vid], ctx(catchall()))), 'OFPBAC_MATCH_INCONSISTENT');
  assert.equal(errName(() => checkOfpacts([{ type: 'push_vlan', ethertype: 0x8100 }, vid], ctx(catchall()))), 'no error');
});

test('inconsistent actions pass on OpenFlow 1.0 and fail from OpenFlow 1.1 on', () => {
  const modNwSrc: Ofpact[] = [{ type: 'set_ipv4_src', ipv4: 0x01020304 }];
  assert.equal(checkOfpacts(modNwSrc, ctx(catchall())), false);
  assert.equal(checkOfpacts(modNwSrc, ctx(catchall(), { version: OFP10_VERSION })), false);
  assert.equal(errName(() => checkOfpacts(modNwSrc, ctx(catchall(), { version: OFP11_VERSION }))), 'OFPBAC_MATCH_INCONSISTENT');
  assert.equal(checkOfpacts(modNwSrc, ctx(parseMatch('ip').match, { version: OFP13_VERSION })), true);
  // An action set's inconsistencies do not count.
  assert.equal(checkOfpacts([{ type: 'write_actions', actions: modNwSrc }], ctx(catchall(), { version: OFP13_VERSION })), true);
  // A clone's do.
  assert.equal(checkOfpacts([{ type: 'clone', actions: modNwSrc }], ctx(catchall())), false);
});

test('checkOfpacts annotates VLAN and L4 actions from the match and leaves the match alone', () => {
  const match = parseMatch('dl_vlan=5,tcp').match;
  const before = match.clone();
  const ofpacts: Ofpact[] = [
    { type: 'set_vlan_vid', vlanVid: 7, pushVlanIfNeeded: true },
    { type: 'set_l4_dst_port', port: 80 },
    { type: 'strip_vlan' },
    { type: 'set_vlan_pcp', vlanPcp: 1, pushVlanIfNeeded: true },
  ];
  checkOfpacts(ofpacts, ctx(match));
  assert.ok(match.equals(before));
  assert.deepEqual(ofpacts.map((a) => ('flowHasVlan' in a ? a.flowHasVlan : 'flowIpProto' in a ? a.flowIpProto : '-')),
    [true, 6, '-', false]);
  assert.equal(formatOfpacts(decodeInstructions(OFP13_VERSION, encodeInstructions(OFP13_VERSION, ofpacts))),
    'set_field:4103->vlan_vid,set_field:80->tcp_dst,pop_vlan,push_vlan:0x8100,set_field:1->vlan_pcp');
});

test('checkOfpacts allows two VLAN pushes but not three', () => {
  const push: Ofpact = { type: 'push_vlan', ethertype: 0x8100 };
  assert.equal(errName(() => checkOfpacts([push, push], ctx(catchall()))), 'no error');
  assert.equal(errName(() => checkOfpacts([push, push, push], ctx(catchall()))), 'OFPBAC_BAD_TAG');
  assert.equal(errName(() => checkOfpacts([push, push], ctx(parseMatch('dl_vlan=1').match))), 'OFPBAC_BAD_TAG');
});

test('checkOfpacts checks learn sources against the flow and destinations against the learned flow', () => {
  const learn = (specs: LearnSpec[]): Ofpact[] => [{
    type: 'learn', idleTimeout: 0, hardTimeout: 0, priority: 0x8000, tableId: 1, flags: 0, cookie: 0n,
    finIdleTimeout: 0, finHardTimeout: 0, limit: 0, specs,
  }];
  const tcpSrc = { srcType: 0, dstType: 0, nBits: 16, src: { field: 'tcp_src', ofs: 0, nBits: 16 }, dst: { field: 'tcp_dst', ofs: 0, nBits: 16 } };
  assert.equal(errName(() => checkOfpacts(learn([tcpSrc]), ctx(catchall()))), 'OFPBAC_MATCH_INCONSISTENT');
  // The source is fine on a TCP flow, but the learned flow must match TCP itself first.
  assert.equal(errName(() => checkOfpacts(learn([tcpSrc]), ctx(parseMatch('tcp').match))), 'OFPBAC_MATCH_INCONSISTENT');
  const imm = (field: string, hex: string): LearnSpec => ({
    srcType: 1 << 13, dstType: 0, nBits: hex.length * 4, imm: Buffer.from(hex, 'hex'),
    dst: { field, ofs: 0, nBits: hex.length * 4 },
  });
  assert.equal(errName(() => checkOfpacts(learn([imm('eth_type', '0800'), imm('nw_proto', '06'), tcpSrc]),
    ctx(parseMatch('tcp').match))), 'no error');
});

test('checkOfpacts rejects meter 0 and meters above OFPM13_MAX', () => {
  assert.equal(errName(() => checkOfpacts([{ type: 'meter', meterId: 0 }], ctx(catchall()))), 'OFPMMFC_INVALID_METER');
  assert.equal(errName(() => checkOfpacts([{ type: 'meter', meterId: 0xffff0001 }], ctx(catchall()))), 'OFPMMFC_INVALID_METER');
  assert.equal(errName(() => checkOfpacts([{ type: 'meter', meterId: 0xffff0000 }], ctx(catchall()))), 'no error');
});

test('checkOfpacts requires an IP flow for ct and nat, and TCP for the FTP helper', () => {
  const ct = (alg: number, actions: Ofpact[] = []): Ofpact[] =>
    [{ type: 'ct', flags: 1, zoneImm: 0, alg, recircTable: 255, actions }];
  assert.equal(errName(() => checkOfpacts(ct(0), ctx(catchall()))), 'OFPBAC_MATCH_INCONSISTENT');
  assert.equal(errName(() => checkOfpacts(ct(0), ctx(parseMatch('ipv6').match))), 'no error');
  assert.equal(errName(() => checkOfpacts(ct(21), ctx(parseMatch('udp').match))), 'OFPBAC_MATCH_INCONSISTENT');
  const nat4: Ofpact = {
    type: 'nat', flags: 1, rangeAf: 'inet', addrMin: Buffer.from('0a000001', 'hex'), addrMax: Buffer.alloc(4), protoMin: 0, protoMax: 0,
  };
  assert.equal(errName(() => checkOfpacts(ct(0, [nat4]), ctx(parseMatch('ipv6').match))), 'OFPBAC_MATCH_INCONSISTENT');
});
