import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  OdpAction,
  decodeActions,
  encodeActions,
  formatActionBytes,
  formatActions,
  formatIpv6,
  parseIpv6,
} from '../../src/genl/actions';
import { parseOdpActions } from '../../src/genl/odp-actions-text';
import { OVS_ACTION_ATTR_CT, OVS_ACTION_ATTR_SET_MASKED, OVS_ACTION_ATTR_USERSPACE } from '../../src/genl/openvswitch';

/** Bytes from hex written with free spacing. Each nlattr is `nla_len(u16 LE) nla_type(u16 LE) payload pad`. */
function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

interface Golden {
  what: string;
  action: OdpAction;
  bytes: Buffer;
  /** What ovs-dpctl 3.1 prints for these bytes. */
  text: string;
}

/** Golden vectors written from the uapi layouts (<linux/openvswitch.h>, 6.1). */
const GOLDEN: Golden[] = [
  {
    what: 'OVS_ACTION_ATTR_OUTPUT: u32 port, host order',
    action: { type: 'output', port: 3 },
    bytes: hex('0800 0100', '03000000'),
    text: '3',
  },
  {
    what: 'OVS_ACTION_ATTR_USERSPACE: nested PID, USERDATA, EGRESS_TUN_PORT, ACTIONS flag',
    action: { type: 'userspace', pid: 1234, userdata: hex('0102030405060708'), egressTunPort: 4, actions: true },
    bytes: hex(
      '2400 0200', // USERSPACE, 32 bytes nested
      '0800 0100', 'd2040000', //   OVS_USERSPACE_ATTR_PID u32 1234
      '0c00 0200', '0102030405060708', //   OVS_USERSPACE_ATTR_USERDATA
      '0800 0300', '04000000', //   OVS_USERSPACE_ATTR_EGRESS_TUN_PORT u32 4
      '0400 0400', //   OVS_USERSPACE_ATTR_ACTIONS flag
    ),
    text: 'userspace(pid=1234,userdata(0102030405060708),actions,tunnel_out_port=4)',
  },
  {
    what: 'OVS_ACTION_ATTR_USERSPACE with only the pid',
    action: { type: 'userspace', pid: 7 },
    bytes: hex('0c00 0200', '0800 0100', '07000000'),
    text: 'userspace(pid=7)',
  },
  {
    what: 'OVS_ACTION_ATTR_SET: one nested key attribute (skb_mark)',
    action: { type: 'set', key: { skbMark: 5 } },
    bytes: hex('0c00 0300', '0800 0f00', '05000000'),
    text: 'set(skb_mark(0x5))',
  },
  {
    what: 'OVS_ACTION_ATTR_SET: one nested key attribute (ethernet)',
    action: { type: 'set', key: { ethernet: { src: '52:54:00:12:34:01', dst: '52:54:00:12:34:02' } } },
    bytes: hex('1400 0300', '1000 0400', '525400123401', '525400123402'),
    text: 'set(eth(src=52:54:00:12:34:01,dst=52:54:00:12:34:02))',
  },
  {
    what: 'OVS_ACTION_ATTR_SET of OVS_KEY_ATTR_TUNNEL: nested ID (__be64), IPV4_DST, TTL',
    action: { type: 'set', key: { tunnel: { id: 5n, ipv4Dst: '2.2.2.2', ttl: 64 } } },
    bytes: hex('2400 0300', '2000 1000', '0c00 0000', '0000000000000005', '0800 0200', '02020202', '0500 0400', '40', '000000'),
    text: 'set(tunnel(tun_id=0x5,dst=2.2.2.2,ttl=64,flags(key)))',
  },
  {
    what: 'OVS_ACTION_ATTR_PUSH_VLAN: struct ovs_action_push_vlan { be16 vlan_tpid; be16 vlan_tci; }',
    action: { type: 'push_vlan', tpid: 0x8100, tci: 0x100a },
    bytes: hex('0800 0400', '8100', '100a'),
    text: 'push_vlan(vid=10,pcp=0)',
  },
  {
    what: 'OVS_ACTION_ATTR_POP_VLAN: no payload',
    action: { type: 'pop_vlan' },
    bytes: hex('0400 0500'),
    text: 'pop_vlan',
  },
  {
    what: 'OVS_ACTION_ATTR_SAMPLE: nested PROBABILITY u32 and ACTIONS',
    action: { type: 'sample', probability: 0x7fffffff, actions: [{ type: 'output', port: 1 }] },
    bytes: hex('1800 0600', '0800 0100', 'ffffff7f', '0c00 0200', '0800 0100 01000000'),
    text: 'sample(sample=50.0%,actions(1))',
  },
  {
    what: 'OVS_ACTION_ATTR_RECIRC: u32 id',
    action: { type: 'recirc', id: 1 },
    bytes: hex('0800 0700', '01000000'),
    text: 'recirc(0x1)',
  },
  {
    what: 'OVS_ACTION_ATTR_HASH: struct ovs_action_hash { u32 hash_alg; u32 hash_basis; }',
    action: { type: 'hash', alg: 0, basis: 5 },
    bytes: hex('0c00 0800', '00000000', '05000000'),
    text: 'hash(l4(5))',
  },
  {
    what: 'OVS_ACTION_ATTR_PUSH_MPLS: struct ovs_action_push_mpls { be32 mpls_lse; be16 mpls_ethertype; } + 2 bytes tail padding',
    action: { type: 'push_mpls', lse: (10 << 12) | (1 << 8) | 64, ethertype: 0x8847 },
    bytes: hex('0c00 0900', '0000a140', '8847', '0000'),
    text: 'push_mpls(label=10,tc=0,ttl=64,bos=1,eth_type=0x8847)',
  },
  {
    what: 'OVS_ACTION_ATTR_POP_MPLS: be16 ethertype',
    action: { type: 'pop_mpls', ethertype: 0x0800 },
    bytes: hex('0600 0a00', '0800', '0000'),
    text: 'pop_mpls(eth_type=0x800)',
  },
  {
    what: 'OVS_ACTION_ATTR_SET_MASKED: struct ovs_key_ipv4 value then struct ovs_key_ipv4 mask in one attribute',
    action: {
      type: 'set_masked',
      key: { ipv4: { src: '0.0.0.0', dst: '10.0.0.9', proto: 0, tos: 0, ttl: 0, frag: 0 } },
      mask: { ipv4: { src: '0.0.0.0', dst: '255.255.255.255', proto: 0, tos: 0, ttl: 0, frag: 0 } },
    },
    bytes: hex(
      '2000 0b00', // SET_MASKED
      '1c00 0700', //   IPV4, 24 bytes: value + mask
      '00000000', '0a000009', '00', '00', '00', '00', //   value
      '00000000', 'ffffffff', '00', '00', '00', '00', //   mask
    ),
    text: 'set(ipv4(dst=10.0.0.9))',
  },
  {
    what: 'OVS_ACTION_ATTR_SET_MASKED on ethernet dst',
    action: {
      type: 'set_masked',
      key: { ethernet: { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:02' } },
      mask: { ethernet: { src: '00:00:00:00:00:00', dst: 'ff:ff:ff:ff:ff:ff' } },
    },
    bytes: hex('2000 0b00', '1c00 0400', '000000000000', '000000000002', '000000000000', 'ffffffffffff'),
    text: 'set(eth(dst=00:00:00:00:00:02))',
  },
  {
    what: 'OVS_ACTION_ATTR_SET_MASKED on the nested NSH key: value then mask inside each NSH sub-attribute',
    action: {
      type: 'set_masked',
      key: { nsh: { base: { flags: 0, ttl: 0, mdtype: 0, np: 0, spi: 0x20, si: 5 } } },
      mask: { nsh: { base: { flags: 0, ttl: 0, mdtype: 0, np: 0, spi: 0xffffff, si: 0xff } } },
    },
    bytes: hex('1c00 0b00', '1800 1c00', '1400 0100', '00000000', '00002005', '00000000', 'ffffffff'),
    text: 'set(nsh(spi=0x20,si=5,c1=0x0,c2=0x0,c3=0x0,c4=0x0))',
  },
  {
    what: 'OVS_ACTION_ATTR_CT: nested COMMIT, ZONE u16, MARK {u32 value; u32 mask}, LABELS 16+16 bytes, HELPER, TIMEOUT, NAT',
    action: {
      type: 'ct', commit: true, zone: 1, mark: { value: 1, mask: 0xff },
      labels: { value: hex('01', '00'.repeat(15)), mask: hex('ff', '00'.repeat(15)) },
      helper: 'ftp', timeout: 'tp1',
      nat: { src: true, ipMin: '10.0.0.1', ipMax: '10.0.0.9', protoMin: 100, protoMax: 200, protoRandom: true },
    },
    bytes: hex(
      '7c00 0c00', // CT, 120 bytes nested
      '0400 0100', // COMMIT
      '0600 0200', '0100', '0000', // ZONE 1
      '0c00 0300', '01000000', 'ff000000', // MARK
      '2400 0400', '01', '00'.repeat(15), 'ff', '00'.repeat(15), // LABELS
      '0800 0500', '66747000', // HELPER "ftp\0"
      '0800 0900', '74703100', // TIMEOUT "tp1\0"
      '2c00 0600', // NAT
      '0400 0100', // SRC
      '0800 0300', '0a000001', // IP_MIN
      '0800 0400', '0a000009', // IP_MAX
      '0600 0500', '6400', '0000', // PROTO_MIN u16 100
      '0600 0600', 'c800', '0000', // PROTO_MAX u16 200
      '0400 0900', // PROTO_RANDOM
    ),
    text: 'ct(commit,zone=1,mark=0x1/0xff,label=0x1/0xff,helper=ftp,timeout=tp1,nat(src=10.0.0.1-10.0.0.9:100-200,random))',
  },
  {
    what: 'OVS_ACTION_ATTR_CT as the kernel dumps a bare ct: ZONE 0 only',
    action: { type: 'ct', zone: 0 },
    bytes: hex('0c00 0c00', '0600 0200', '0000', '0000'),
    text: 'ct',
  },
  {
    what: 'OVS_ACTION_ATTR_CT with FORCE_COMMIT, EVENTMASK u32 and an IPv6 DST NAT',
    action: { type: 'ct', forceCommit: true, eventmask: 0x1f, nat: { dst: true, ipMin: 'fe80::1', protoMin: 80, persistent: true, protoHash: true } },
    bytes: hex(
      '3c00 0c00',
      '0400 0700',
      '0800 0800', '1f000000',
      '2c00 0600', '0400 0200', '1400 0300', 'fe800000000000000000000000000001', '0600 0500', '5000', '0000', '0400 0700', '0400 0800',
    ),
    text: 'ct(force_commit,nat(dst=[fe80::1]:80,persistent,hash))',
  },
  {
    what: 'OVS_ACTION_ATTR_TRUNC: struct ovs_action_trunc { u32 max_len; }',
    action: { type: 'trunc', maxLen: 100 },
    bytes: hex('0800 0d00', '64000000'),
    text: 'trunc(100)',
  },
  {
    what: 'OVS_ACTION_ATTR_PUSH_ETH: struct ovs_action_push_eth { struct ovs_key_ethernet addresses; }',
    action: { type: 'push_eth', src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' },
    bytes: hex('1000 0e00', '000000000001', '000000000002'),
    text: 'push_eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02)',
  },
  {
    what: 'OVS_ACTION_ATTR_POP_ETH: no payload',
    action: { type: 'pop_eth' },
    bytes: hex('0400 0f00'),
    text: 'pop_eth',
  },
  {
    what: 'OVS_ACTION_ATTR_CT_CLEAR: no payload',
    action: { type: 'ct_clear' },
    bytes: hex('0400 1000'),
    text: 'ct_clear',
  },
  {
    what: 'OVS_ACTION_ATTR_PUSH_NSH: one nested OVS_KEY_ATTR_NSH { BASE, MD1 }',
    action: { type: 'push_nsh', key: { nsh: { base: { flags: 0, ttl: 63, mdtype: 1, np: 3, spi: 0x10, si: 255 }, md1: [1, 2, 3, 4] } } },
    bytes: hex('2800 1100', '2400 1c00', '0c00 0100', '003f0103', '000010ff', '1400 0200', '00000001', '00000002', '00000003', '00000004'),
    text: 'push_nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x10,si=255,c1=0x1,c2=0x2,c3=0x3,c4=0x4)',
  },
  {
    what: 'OVS_ACTION_ATTR_POP_NSH: no payload',
    action: { type: 'pop_nsh' },
    bytes: hex('0400 1200'),
    text: 'pop_nsh()',
  },
  {
    what: 'OVS_ACTION_ATTR_METER: u32 meter id',
    action: { type: 'meter', id: 5 },
    bytes: hex('0800 1300', '05000000'),
    text: 'meter(5)',
  },
  {
    what: 'OVS_ACTION_ATTR_CLONE: the nested actions directly',
    action: { type: 'clone', actions: [{ type: 'pop_vlan' }, { type: 'output', port: 1 }] },
    bytes: hex('1000 1400', '0400 0500', '0800 0100 01000000'),
    text: 'clone(pop_vlan,1)',
  },
  {
    what: 'OVS_ACTION_ATTR_CHECK_PKT_LEN: PKT_LEN u16, then ACTIONS_IF_LESS_EQUAL, then ACTIONS_IF_GREATER (kernel order)',
    action: { type: 'check_pkt_len', pktLen: 100, ifGreater: [{ type: 'output', port: 1 }], ifLessEqual: [{ type: 'output', port: 2 }] },
    bytes: hex('2400 1500', '0600 0100', '6400', '0000', '0c00 0300', '0800 0100 02000000', '0c00 0200', '0800 0100 01000000'),
    text: 'check_pkt_len(size=100,gt(1),le(2))',
  },
  {
    what: 'OVS_ACTION_ATTR_ADD_MPLS: struct ovs_action_add_mpls { be32 mpls_lse; be16 mpls_ethertype; u16 tun_flags; }',
    action: { type: 'add_mpls', lse: (10 << 12) | (1 << 8) | 64, ethertype: 0x8847, tunFlags: 1 },
    bytes: hex('0c00 1600', '0000a140', '8847', '0100'),
    text: 'add_mpls(label=10,tc=0,ttl=64,bos=1,eth_type=0x8847)',
  },
  {
    what: 'OVS_ACTION_ATTR_DEC_TTL: nested OVS_DEC_TTL_ATTR_ACTION',
    action: { type: 'dec_ttl', actions: [{ type: 'output', port: 1 }] },
    bytes: hex('1000 1700', '0c00 0100', '0800 0100 01000000'),
    text: 'tnl_push(tnl_port(65548),header(size=1,type=0,eth(dst=00:00:00:00:00:00,src=00:00:00:00:00:00,dl_type=0x0000),ipv6(src=::,dst=::,label=0,proto=0,tclass=0x0,hlimit=0),),out_port(65544))',
  },
  {
    what: 'an unknown action type kept verbatim',
    action: { type: 'other', attrType: 30, data: hex('05000000') },
    bytes: hex('0800 1e00', '05000000'),
    text: 'bad length 4, expected -1 for: action30(05 00 00 00)',
  },
];

describe('action codec: golden vectors from the uapi layouts', () => {
  for (const g of GOLDEN) {
    it(`encodes ${g.what}`, () => assert.equal(encodeActions([g.action]).toString('hex'), g.bytes.toString('hex')));
    it(`decodes ${g.what}`, () => assert.deepStrictEqual(decodeActions(g.bytes), [g.action]));
    it(`prints ${g.what} as ovs-dpctl does`, () => assert.equal(formatActionBytes(g.bytes), g.text));
  }

  it('encodes a list in order and an empty list as no bytes', () => {
    assert.equal(encodeActions([{ type: 'pop_vlan' }, { type: 'output', port: 2 }]).toString('hex'), hex('0400 0500', '0800 0100 02000000').toString('hex'));
    assert.equal(encodeActions([]).length, 0);
    assert.deepStrictEqual(decodeActions(Buffer.alloc(0)), []);
  });
});

interface KernelGolden {
  key: string;
  input: string;
  installedBy: 'ovs-dpctl' | 'ts';
  ovsDpctl: string;
  hex: string;
}

/** Action buffers dumped from openvswitch.ko (6.1) and what ovs-dpctl 3.1 printed for them (test/kernel/odp-actions.test.ts). */
const KERNEL: KernelGolden[] = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/actions.json'), 'utf8'));

/** Printed texts that do not parse back to the same actions, and why. */
const LOSSY = new Map<RegExp, string>([
  [/slow_path\(\w+,/, "OVS prints slow_path reasons joined by ',' but parses them joined by '|'"],
  [/md2=0x[0-9a-f]*/, 'OVS prints md2 without its leading zero bytes'],
  [/^tnl_push|,tnl_push|\(tnl_push/, 'OVS 3.1 prints the kernel DEC_TTL as its userspace TUNNEL_PUSH'],
]);

describe('action codec: bytes captured from the kernel', () => {
  it('has a capture for every action the 6.1 kernel accepts', () => {
    const types = new Set(KERNEL.flatMap((k) => decodeActions(Buffer.from(k.hex, 'hex')).map((a) => a.type)));
    for (const t of ['output', 'userspace', 'set', 'push_vlan', 'pop_vlan', 'sample', 'recirc', 'hash', 'push_mpls', 'pop_mpls', 'set_masked',
      'ct', 'trunc', 'push_eth', 'pop_eth', 'ct_clear', 'push_nsh', 'pop_nsh', 'meter', 'clone', 'check_pkt_len', 'add_mpls', 'dec_ttl']) {
      assert.ok(types.has(t as OdpAction['type']), `no capture decodes to ${t}`);
    }
    assert.ok(!types.has('other'), 'a kernel capture decoded to other');
  });

  for (const k of KERNEL) {
    const bytes = Buffer.from(k.hex, 'hex');
    it(`decodes and re-encodes byte for byte: ${k.input || '(empty)'}`, () => {
      assert.equal(encodeActions(decodeActions(bytes)).toString('hex'), k.hex);
    });
    it(`prints what ovs-dpctl printed: ${k.input || '(empty)'}`, () => {
      assert.equal(formatActionBytes(bytes), k.ovsDpctl);
      assert.equal(formatActions(decodeActions(bytes)), k.ovsDpctl);
    });
    const lossy = [...LOSSY].find(([re]) => re.test(k.ovsDpctl));
    if (!lossy) {
      it(`parses ovs-dpctl's text back to the same text: ${k.ovsDpctl}`, () => {
        assert.equal(formatActions(parseOdpActions(k.ovsDpctl)), k.ovsDpctl);
      });
    }
  }
});

describe('action codec: round trips and kernel rules', () => {
  it('round-trips every golden action in one list', () => {
    const list: OdpAction[] = GOLDEN.map((g) => g.action);
    assert.deepStrictEqual(decodeActions(encodeActions(list)), list);
  });

  it('round-trips nested actions several levels deep', () => {
    const a: OdpAction[] = [{
      type: 'clone',
      actions: [{
        type: 'check_pkt_len', pktLen: 1500,
        ifGreater: [{ type: 'sample', probability: 1, actions: [{ type: 'dec_ttl', actions: [{ type: 'userspace', pid: 9 }] }] }],
        ifLessEqual: [],
      }],
    }];
    assert.deepStrictEqual(decodeActions(encodeActions(a)), a);
  });

  it('clears value bits outside the set_masked mask, as the kernel requires', () => {
    const a: OdpAction = {
      type: 'set_masked',
      key: { ipv4: { src: '10.1.2.3', dst: '10.0.0.9', proto: 6, tos: 0, ttl: 9, frag: 0 } },
      mask: { ipv4: { src: '255.255.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0 } },
    };
    assert.deepStrictEqual(decodeActions(encodeActions([a])), [{
      type: 'set_masked',
      key: { ipv4: { src: '10.1.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0 } },
      mask: a.mask,
    }]);
  });

  it('keeps a set_masked whose value has bits outside its mask verbatim (the kernel refuses it)', () => {
    const bytes = hex('1000 0b00', '0c00 0f00', '15000000', '0f000000');
    assert.equal(encodeActions(decodeActions(hex('1000 0b00', '0c00 0f00', '05000000', 'ff000000'))).toString('hex'), '10000b000c000f0005000000ff000000');
    assert.deepStrictEqual(decodeActions(bytes), [{ type: 'other', attrType: OVS_ACTION_ATTR_SET_MASKED, data: bytes.subarray(4) }]);
  });

  it('keeps a set_masked on an NSH sub-attribute of the wrong size verbatim', () => {
    const bytes = hex('1000 0b00', '0c00 1c00', '0800 0100 01020304');
    assert.deepStrictEqual(decodeActions(bytes), [{ type: 'other', attrType: OVS_ACTION_ATTR_SET_MASKED, data: bytes.subarray(4) }]);
  });

  it('keeps nested actions it cannot re-encode exactly verbatim: duplicate or unknown sub-attributes', () => {
    const dupZone = hex('1400 0c00', '0600 0200 0100 0000', '0600 0200 0200 0000');
    assert.deepStrictEqual(decodeActions(dupZone), [{ type: 'other', attrType: OVS_ACTION_ATTR_CT, data: dupZone.subarray(4) }]);
    const unknownUserspaceAttr = hex('1000 0200', '0800 0100 07000000', '0400 0900');
    assert.deepStrictEqual(decodeActions(unknownUserspaceAttr), [{ type: 'other', attrType: OVS_ACTION_ATTR_USERSPACE, data: unknownUserspaceAttr.subarray(4) }]);
  });

  it('accepts sub-attributes in any order and writes them in the kernel order', () => {
    // check_pkt_len as OVS's parser writes it: GREATER before LESS_EQUAL.
    const ovsOrder = hex('2400 1500', '0600 0100', '6400', '0000', '0c00 0200', '0800 0100 01000000', '0c00 0300', '0800 0100 02000000');
    assert.equal(encodeActions(decodeActions(ovsOrder)).toString('hex'), GOLDEN.find((g) => g.action.type === 'check_pkt_len')!.bytes.toString('hex'));
  });

  it('decodes a tunnel set in text order only with canonical: true', () => {
    // TTL before IPV4_DST: OVS's parser keeps the order of the text.
    const textOrder = hex('1c00 0300', '1800 1000', '0500 0400', '40', '000000', '0800 0200', '02020202', '0400 0500');
    assert.equal(decodeActions(textOrder)[0].type, 'other');
    assert.deepStrictEqual(decodeActions(textOrder, { canonical: true }), [{ type: 'set', key: { tunnel: { ipv4Dst: '2.2.2.2', ttl: 64, dontFragment: true } } }]);
  });

  it('rejects set actions that are not exactly one key attribute', () => {
    assert.throws(() => encodeActions([{ type: 'set', key: { skbMark: 1, priority: 2 } }]), /OVS_ACTION_ATTR_SET: set must hold exactly one key attribute, got 2/);
    assert.throws(() => encodeActions([{ type: 'set', key: {} }]), /exactly one key attribute, got 0/);
    assert.throws(() => encodeActions([{ type: 'set_masked', key: { skbMark: 1 }, mask: { priority: 1 } }]), /differ in type or size/);
    assert.throws(() => encodeActions([{ type: 'push_nsh', key: { skbMark: 1 } }]), /push_nsh key must be OVS_KEY_ATTR_NSH/);
  });

  it('rejects malformed arguments with the uapi name', () => {
    assert.throws(() => encodeActions([{ type: 'ct', helper: 'x'.repeat(16) }]), /OVS_ACTION_ATTR_CT: OVS_CT_ATTR_HELPER must be 1-15 bytes/);
    assert.throws(() => encodeActions([{ type: 'ct', labels: { value: Buffer.alloc(4), mask: Buffer.alloc(16) } }]), /OVS_CT_ATTR_LABELS value and mask must be 16 bytes/);
    assert.throws(() => encodeActions([{ type: 'ct', nat: { src: true, ipMin: '10.0.0.300' } }]), /invalid IPv4 address "10.0.0.300"/);
    assert.throws(() => encodeActions([{ type: 'push_eth', src: 'zz', dst: '00:00:00:00:00:00' }]), /OVS_ACTION_ATTR_PUSH_ETH: invalid MAC address "zz"/);
  });

  it('rejects wrong-sized fixed actions', () => {
    assert.throws(() => decodeActions(hex('0600 0100 0300 0000')), /OVS_ACTION_ATTR_OUTPUT: payload is 2 bytes, expected 4/);
    assert.throws(() => decodeActions(hex('0800 0500 00000000')), /OVS_ACTION_ATTR_POP_VLAN: payload is 4 bytes, expected 0/);
    assert.throws(() => decodeActions(hex('0600 0400 8100 0000')), /OVS_ACTION_ATTR_PUSH_VLAN: payload is 2 bytes, expected 4/);
    assert.throws(() => decodeActions(hex('0a00 0900 0000a140 8847 0000')), /OVS_ACTION_ATTR_PUSH_MPLS: payload is 6 bytes, expected 8/);
    assert.throws(() => decodeActions(hex('0800 0200 0400 0400')), /OVS_USERSPACE_ATTR_PID missing/);
  });
});

describe('formatActions: OVS 3.1 text, quirks included', () => {
  const cases: [string, OdpAction[] | Buffer, string][] = [
    ['drop for no actions', [], 'drop'],
    ['ports as numbers', [{ type: 'output', port: 2 }, { type: 'output', port: 3 }], '2,3'],
    ['push_vlan with its TPID unless 802.1Q', [{ type: 'push_vlan', tpid: 0x88a8, tci: 0x7064 }], 'push_vlan(tpid=0x88a8,vid=100,pcp=3)'],
    ['push_vlan without CFI as cfi=0', [{ type: 'push_vlan', tpid: 0x8100, tci: 0x000a }], 'push_vlan(vid=10,pcp=0,cfi=0)'],
    ['recirc(0) without 0x', [{ type: 'recirc', id: 0 }], 'recirc(0)'],
    ['hash with the userspace sym_l4 algorithm', [{ type: 'hash', alg: 1, basis: 2 }], 'hash(sym_l4(2))'],
    ['hash with an unknown algorithm', [{ type: 'hash', alg: 7, basis: 2 }], 'hash(Unknown hash algorithm(7))'],
    ['sample percentages with one decimal', [{ type: 'sample', probability: 0x1f9adbb9, actions: [] }], 'sample(sample=12.3%,actions(drop))'],
    ['sample rounding half to even on the exact value', [{ type: 'sample', probability: 0xffffffff, actions: [{ type: 'output', port: 1 }] }], 'sample(sample=100.0%,actions(1))'],
    ['nested empty lists as drop', [{ type: 'check_pkt_len', pktLen: 9, ifGreater: [], ifLessEqual: [] }], 'check_pkt_len(size=9,gt(drop),le(drop))'],
    ['ct without interesting options as ct', [{ type: 'ct', zone: 0, eventmask: 5 }], 'ct'],
    ['ct mark with %#x', [{ type: 'ct', mark: { value: 0, mask: 0 } }], 'ct(mark=0/0)'],
    ['nat without src/dst as nat', [{ type: 'ct', commit: true, nat: {} }], 'ct(commit,nat)'],
    ['nat IPv6 range without ports unbracketed', [{ type: 'ct', nat: { src: true, ipMin: 'fe80::1', ipMax: 'fe80::9' } }], 'ct(nat(src=fe80::1-fe80::9))'],
    ['nat IPv6 range with ports bracketed', [{ type: 'ct', nat: { src: true, ipMin: '::ffff:1.2.3.4', ipMax: '::ffff:1.2.3.9', protoMin: 1, protoMax: 2 } }], 'ct(nat(src=[::ffff:1.2.3.4]-[::ffff:1.2.3.9]:1-2))'],
    ['nat options without src/dst as an error', [{ type: 'ct', nat: { persistent: true } }], 'ct(nat(error: options allowed only with "src" or "dst"))'],
    ['nat with both src and dst as an error', [{ type: 'ct', nat: { src: true, dst: true } }], 'ct(nat(error: Only one of "src" or "dst" may be present.))'],
    ['nat range max below min as an error', [{ type: 'ct', nat: { dst: true, ipMin: '10.0.0.9', ipMax: '10.0.0.1' } }], 'ct(nat(range error))'],
    ['nat ports without an address as an error', [{ type: 'ct', nat: { dst: true, protoMin: 5 } }], 'ct(nat(error: proto but no IP.))'],
    ['userspace cookie of unknown type as userdata', [{ type: 'userspace', pid: 1, userdata: Buffer.alloc(48, 0x66) }], `userspace(pid=1,userdata(${'66'.repeat(48)}))`],
    ['userspace slow_path with unknown bits', [{ type: 'userspace', pid: 1, userdata: cookie(2, (c) => c.writeUInt32LE(0x81, 28)) }], 'userspace(pid=1,slow_path(cfm,0x80))'],
    ['userspace ipfix', [{ type: 'userspace', pid: 1, userdata: cookie(4, (c) => c.writeUInt32LE(5, 24)) }], 'userspace(pid=1,ipfix(output_port=5))'],
    ['dec_ttl as OVS 3.1 misreads it, reading on into the next action', [{ type: 'dec_ttl', actions: [{ type: 'output', port: 4 }] }, { type: 'output', port: 1 }],
      'tnl_push(tnl_port(65548),header(size=4,type=65544,eth(dst=01:00:00:00:00:00,src=00:00:00:00:00:00,dl_type=0x0000),ipv6(src=::,dst=::,label=0,proto=0,tclass=0x0,hlimit=0),),out_port(65544)),1'],
    ['a VXLAN header when the bytes say type 4', hex('4600 1700', '01000000', '02000000', '32000000', '04000000', 'aabbccddeeff', '112233445566', '0800',
      '4500', '0000', '0000', '4000', '4011', '0000', '0a000001', '0a000002', '3039', '12b5', '0000', '0000', '08000000', '00000a00', '0000'),
      'tnl_push(tnl_port(1),header(size=50,type=4,eth(dst=aa:bb:cc:dd:ee:ff,src=11:22:33:44:55:66,dl_type=0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=0x4000),udp(src=12345,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0xa)),out_port(2))'],
    ['an unknown kernel action with OVS 3.1 numbering (24 = tnl_pop)', hex('0800 1800', '03000000'), 'tnl_pop(3)'],
    ['OVS 3.1 drop and lb_output', hex('0800 1900', '00000000', '0800 1a00', '02000000'), 'drop,lb_output(2)'],
    ['a fixed-size action of the wrong size', hex('0600 0100', '0300', '0000'), 'bad length 2, expected 4 for: action1(03 00)'],
    ['action 0', hex('0400 0000'), 'bad length 0, expected -1 for: action0'],
    ['malformed trailing bytes', hex('0800 0100', '01000000', 'ffff'), '1,***2 leftover bytes*** (ffff)'],
    ['only malformed bytes', hex('0200 0100'), '<empty>,***4 leftover bytes*** (02000100)'],
    ['a userspace action without pid', hex('0800 0200', '0400 0400'), 'userspace(error)'],
    ['a sample without probability', hex('0800 0600', '0400 0200'), 'sample(error)'],
    ['a ct with a malformed zone', hex('0c00 0c00', '0800 0200', '01000000'), 'ct(error)'],
    ['a set_masked NSH with MD2 as nothing at all', hex('1000 0b00', '0c00 1c00', '0800 0300', '0102', '0304'), ''],
  ];
  for (const [what, input, text] of cases) {
    it(`prints ${what}: ${text}`, () => assert.equal(Buffer.isBuffer(input) ? formatActionBytes(input) : formatActions(input), text));
  }

  it('prints dec_ttl readably on request', () => {
    const a: OdpAction[] = [{ type: 'clone', actions: [{ type: 'dec_ttl', actions: [] }, { type: 'output', port: 2 }] }];
    assert.equal(formatActions(a, { readableDecTtl: true }), 'clone(dec_ttl(le_1(drop)),2)');
  });
});

/** A 48-byte user_action_cookie of `type` with ofp_in_port OFPP_NONE. */
function cookie(type: number, fill: (c: Buffer) => void): Buffer {
  const c = Buffer.alloc(48);
  c.writeUInt16LE(type, 0);
  c.writeUInt32LE(0xffff, 4);
  fill(c);
  return c;
}

describe('IPv6 text as glibc prints and parses it', () => {
  const cases: [string, string][] = [
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    ['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
    ['00000000000000000000000001020304', '::1.2.3.4'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000100020003000400050006', '2001:db8:1:2:3:4:5:6'],
    ['00010000000000020000000000000003', '1:0:0:2::3'],
    ['00010000000000020000000000030004', '1::2:0:0:3:4'],
  ];
  for (const [h, text] of cases) {
    it(`${text}`, () => {
      assert.equal(formatIpv6(Buffer.from(h, 'hex')), text);
      assert.equal(parseIpv6(text)?.toString('hex'), h);
    });
  }
  it('refuses what inet_pton refuses', () => {
    for (const bad of ['1.2.3.4', ':1::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '::1.2.3.04', '1:2:3:4:5:6:7::8', 'g::1']) {
      assert.equal(parseIpv6(bad), undefined, bad);
    }
  });
});
