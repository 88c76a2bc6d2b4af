import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OdpAction, decodeActions, encodeActions, formatActions } from '../../src/genl/actions';
import { OVS_ACTION_ATTR_CT, OVS_ACTION_ATTR_METER, OVS_ACTION_ATTR_SET_MASKED } from '../../src/genl/openvswitch';

/** Bytes from hex written with free spacing. Each nlattr is `nla_len(u16 LE) nla_type(u16 LE) payload pad`. */
function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

interface Golden {
  what: string;
  action: OdpAction;
  bytes: Buffer;
}

const GOLDEN: Golden[] = [
  {
    what: 'OVS_ACTION_ATTR_OUTPUT: u32 port, host order',
    action: { type: 'output', port: 3 },
    bytes: hex('0800 0100', '03000000'),
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
  },
  {
    what: 'OVS_ACTION_ATTR_USERSPACE with only the pid',
    action: { type: 'userspace', pid: 7 },
    bytes: hex('0c00 0200', '0800 0100', '07000000'),
  },
  {
    what: 'OVS_ACTION_ATTR_PUSH_VLAN: struct ovs_action_push_vlan { be16 vlan_tpid; be16 vlan_tci; }',
    action: { type: 'push_vlan', tpid: 0x8100, tci: 0x100a },
    bytes: hex('0800 0400', '8100', '100a'),
  },
  {
    what: 'OVS_ACTION_ATTR_POP_VLAN: no payload',
    action: { type: 'pop_vlan' },
    bytes: hex('0400 0500'),
  },
  {
    what: 'OVS_ACTION_ATTR_RECIRC: u32 id',
    action: { type: 'recirc', id: 1 },
    bytes: hex('0800 0700', '01000000'),
  },
  {
    what: 'OVS_ACTION_ATTR_SET: one nested key attribute (skb_mark)',
    action: { type: 'set', key: { skbMark: 5 } },
    bytes: hex('0c00 0300', '0800 0f00', '05000000'),
  },
  {
    what: 'OVS_ACTION_ATTR_SET: one nested key attribute (ethernet)',
    action: { type: 'set', key: { ethernet: { src: '52:54:00:12:34:01', dst: '52:54:00:12:34:02' } } },
    bytes: hex('1400 0300', '1000 0400', '525400123401', '525400123402'),
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
  },
  {
    what: 'OVS_ACTION_ATTR_SET_MASKED on ethernet dst',
    action: {
      type: 'set_masked',
      key: { ethernet: { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:02' } },
      mask: { ethernet: { src: '00:00:00:00:00:00', dst: 'ff:ff:ff:ff:ff:ff' } },
    },
    bytes: hex('2000 0b00', '1c00 0400', '000000000000', '000000000002', '000000000000', 'ffffffffffff'),
  },
  {
    what: 'OVS_ACTION_ATTR_TRUNC: struct ovs_action_trunc { u32 max_len; }',
    action: { type: 'trunc', maxLen: 100 },
    bytes: hex('0800 0d00', '64000000'),
  },
  {
    what: 'OVS_ACTION_ATTR_CT_CLEAR: no payload',
    action: { type: 'ct_clear' },
    bytes: hex('0400 1000'),
  },
  {
    what: 'an unmodelled OVS_ACTION_ATTR_METER kept verbatim',
    action: { type: 'other', attrType: OVS_ACTION_ATTR_METER, data: hex('05000000') },
    bytes: hex('0800 1300', '05000000'),
  },
  {
    what: 'an unmodelled nested OVS_ACTION_ATTR_CT { COMMIT, ZONE u16 5 } kept verbatim',
    action: { type: 'other', attrType: OVS_ACTION_ATTR_CT, data: hex('0400 0100', '0600 0200 0500 0000') },
    bytes: hex('1000 0c00', '0400 0100', '0600 0200', '0500', '0000'),
  },
];

describe('action codec: golden vectors', () => {
  for (const g of GOLDEN) {
    it(`encodes ${g.what}`, () => assert.equal(encodeActions([g.action]).toString('hex'), g.bytes.toString('hex')));
    it(`decodes ${g.what}`, () => assert.deepStrictEqual(decodeActions(g.bytes), [g.action]));
    it(`re-encodes ${g.what} byte for byte`, () => {
      assert.equal(encodeActions(decodeActions(g.bytes)).toString('hex'), g.bytes.toString('hex'));
    });
  }

  it('encodes a list in order and an empty list as no bytes', () => {
    assert.equal(encodeActions([{ type: 'pop_vlan' }, { type: 'output', port: 2 }]).toString('hex'), hex('0400 0500', '0800 0100 02000000').toString('hex'));
    assert.equal(encodeActions([]).length, 0);
    assert.deepStrictEqual(decodeActions(Buffer.alloc(0)), []);
  });
});

describe('action codec: round trips and kernel rules', () => {
  it('round-trips every modelled action in one list', () => {
    const list: OdpAction[] = GOLDEN.map((g) => g.action);
    assert.deepStrictEqual(decodeActions(encodeActions(list)), list);
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

  it('keeps a set_masked on an attribute it cannot split (nested NSH) verbatim', () => {
    const bytes = hex('1000 0b00', '0c00 1c00', '0800 0100 01020304');
    assert.deepStrictEqual(decodeActions(bytes), [{ type: 'other', attrType: OVS_ACTION_ATTR_SET_MASKED, data: bytes.subarray(4) }]);
  });

  it('rejects set actions that are not exactly one key attribute', () => {
    assert.throws(() => encodeActions([{ type: 'set', key: { skbMark: 1, priority: 2 } }]), /OVS_ACTION_ATTR_SET: set must hold exactly one key attribute, got 2/);
    assert.throws(() => encodeActions([{ type: 'set', key: {} }]), /exactly one key attribute, got 0/);
    assert.throws(() => encodeActions([{ type: 'set_masked', key: { skbMark: 1 }, mask: { priority: 1 } }]), /differ in type or size/);
  });

  it('rejects wrong-sized fixed actions', () => {
    assert.throws(() => decodeActions(hex('0600 0100 0300 0000')), /OVS_ACTION_ATTR_OUTPUT: payload is 2 bytes, expected 4/);
    assert.throws(() => decodeActions(hex('0800 0500 00000000')), /OVS_ACTION_ATTR_POP_VLAN: payload is 4 bytes, expected 0/);
    assert.throws(() => decodeActions(hex('0600 0400 8100 0000')), /OVS_ACTION_ATTR_PUSH_VLAN: payload is 2 bytes, expected 4/);
    assert.throws(() => decodeActions(hex('0800 0200 0400 0400')), /OVS_USERSPACE_ATTR_PID missing/);
  });
});

describe('formatActions: ovs-dpctl text', () => {
  const cases: [OdpAction[], string][] = [
    [[], 'drop'],
    [[{ type: 'output', port: 2 }, { type: 'output', port: 3 }], '2,3'],
    [[{ type: 'push_vlan', tpid: 0x8100, tci: 0x100a }, { type: 'output', port: 1 }], 'push_vlan(vid=10,pcp=0),1'],
    [[{ type: 'push_vlan', tpid: 0x88a8, tci: 0x7064 }], 'push_vlan(tpid=0x88a8,vid=100,pcp=3)'],
    [[{ type: 'pop_vlan' }, { type: 'output', port: 2 }], 'pop_vlan,2'],
    [[{ type: 'recirc', id: 1 }], 'recirc(0x1)'],
    [[{ type: 'recirc', id: 0 }], 'recirc(0)'],
    [[{ type: 'userspace', pid: 1234, userdata: hex('0102030405060708'), egressTunPort: 4, actions: true }],
      'userspace(pid=1234,userdata(0102030405060708),actions,tunnel_out_port=4)'],
    [[{ type: 'set', key: { skbMark: 5 } }], 'set(skb_mark(0x5))'],
    [[{ type: 'set', key: { ethernet: { src: '52:54:00:12:34:01', dst: '52:54:00:12:34:02' } } }],
      'set(eth(src=52:54:00:12:34:01,dst=52:54:00:12:34:02))'],
    [[{ type: 'set', key: { ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 6, tos: 0, ttl: 64, frag: 0 } } }],
      'set(ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no))'],
    [[{ type: 'set_masked', key: { ipv4: { src: '0.0.0.0', dst: '10.0.0.9', proto: 0, tos: 0, ttl: 0, frag: 0 } },
      mask: { ipv4: { src: '0.0.0.0', dst: '255.255.255.255', proto: 0, tos: 0, ttl: 0, frag: 0 } } }, { type: 'output', port: 2 }],
    'set(ipv4(dst=10.0.0.9)),2'],
    [[{ type: 'set_masked', key: { tcp: { src: 0, dst: 8080 } }, mask: { tcp: { src: 0, dst: 0xffff } } }], 'set(tcp(dst=8080))'],
    [[{ type: 'trunc', maxLen: 100 }, { type: 'output', port: 1 }], 'trunc(100),1'],
    [[{ type: 'ct_clear' }, { type: 'recirc', id: 2 }], 'ct_clear,recirc(0x2)'],
    [[{ type: 'other', attrType: OVS_ACTION_ATTR_METER, data: hex('05000000') }, { type: 'output', port: 1 }], 'action19(05 00 00 00),1'],
  ];
  for (const [actions, text] of cases) {
    it(`prints ${text}`, () => assert.equal(formatActions(actions), text));
  }
});
