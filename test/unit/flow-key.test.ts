import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OdpFlowKey, decodeFlowKey, encodeFlowKey, formatFlowKey } from '../../src/genl/flow-key';
import {
  OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4,
  OVS_KEY_ATTR_MPLS,
  OVS_KEY_ATTR_TUNNEL,
} from '../../src/genl/openvswitch';

/** Bytes from hex written with free spacing. Each nlattr is `nla_len(u16 LE) nla_type(u16 LE) payload pad`. */
function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

/** One golden attribute: object form and the exact bytes the uapi layout gives. */
interface Golden {
  what: string;
  key: OdpFlowKey;
  bytes: Buffer;
}

const GOLDEN: Golden[] = [
  {
    what: 'OVS_KEY_ATTR_PRIORITY: u32 host order',
    key: { priority: 7 },
    bytes: hex('0800 0200', '07000000'),
  },
  {
    what: 'OVS_KEY_ATTR_IN_PORT: u32 host order',
    key: { inPort: 2 },
    bytes: hex('0800 0300', '02000000'),
  },
  {
    what: 'OVS_KEY_ATTR_SKB_MARK: u32 host order',
    key: { skbMark: 0x12345678 },
    bytes: hex('0800 0f00', '78563412'),
  },
  {
    what: 'OVS_KEY_ATTR_RECIRC_ID: u32 host order',
    key: { recircId: 1 },
    bytes: hex('0800 1400', '01000000'),
  },
  {
    what: 'OVS_KEY_ATTR_DP_HASH: u32 host order',
    key: { dpHash: 0xdeadbeef },
    bytes: hex('0800 1300', 'efbeadde'),
  },
  {
    what: 'OVS_KEY_ATTR_ETHERNET: struct ovs_key_ethernet { u8 eth_src[6]; u8 eth_dst[6]; }',
    key: { ethernet: { src: '52:54:00:12:34:01', dst: '52:54:00:12:34:02' } },
    bytes: hex('1000 0400', '525400123401', '525400123402'),
  },
  {
    what: 'OVS_KEY_ATTR_VLAN: __be16 TCI, padded to 4',
    key: { vlan: 0x100a },
    bytes: hex('0600 0500', '100a', '0000'),
  },
  {
    what: 'OVS_KEY_ATTR_ETHERTYPE: __be16, padded to 4',
    key: { ethertype: 0x0800 },
    bytes: hex('0600 0600', '0800', '0000'),
  },
  {
    what: 'OVS_KEY_ATTR_IPV4: struct ovs_key_ipv4 { be32 src; be32 dst; u8 proto, tos, ttl, frag; }',
    key: { ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 0x10, ttl: 64, frag: 1 } },
    bytes: hex('1000 0700', '0a000001', '0a000002', '11', '10', '40', '01'),
  },
  {
    what: 'OVS_KEY_ATTR_IPV6: struct ovs_key_ipv6 { be32 src[4]; be32 dst[4]; be32 label; u8 proto, tclass, hlimit, frag; }',
    key: { ipv6: { src: 'fe80::1', dst: 'ff02::1:ff00:2', label: 0x12345, proto: 58, tclass: 0xb8, hlimit: 255, frag: 0 } },
    bytes: hex(
      '2c00 0800',
      'fe800000000000000000000000000001', // src
      'ff0200000000000000000001ff000002', // dst
      '00012345', // label, __be32
      '3a', 'b8', 'ff', '00', // proto, tclass, hlimit, frag
    ),
  },
  {
    what: 'OVS_KEY_ATTR_TCP: struct ovs_key_tcp { be16 src; be16 dst; }',
    key: { tcp: { src: 12345, dst: 80 } },
    bytes: hex('0800 0900', '3039', '0050'),
  },
  {
    what: 'OVS_KEY_ATTR_UDP: struct ovs_key_udp { be16 src; be16 dst; }',
    key: { udp: { src: 68, dst: 67 } },
    bytes: hex('0800 0a00', '0044', '0043'),
  },
  {
    what: 'OVS_KEY_ATTR_SCTP: struct ovs_key_sctp { be16 src; be16 dst; }',
    key: { sctp: { src: 5000, dst: 6000 } },
    bytes: hex('0800 1100', '1388', '1770'),
  },
  {
    what: 'OVS_KEY_ATTR_ICMP: struct ovs_key_icmp { u8 type; u8 code; }, padded to 4',
    key: { icmp: { type: 8, code: 0 } },
    bytes: hex('0600 0b00', '08', '00', '0000'),
  },
  {
    what: 'OVS_KEY_ATTR_ICMPV6: struct ovs_key_icmpv6 { u8 type; u8 code; }, padded to 4',
    key: { icmpv6: { type: 135, code: 0 } },
    bytes: hex('0600 0c00', '87', '00', '0000'),
  },
  {
    what: 'OVS_KEY_ATTR_ARP: struct ovs_key_arp { be32 sip; be32 tip; be16 op; u8 sha[6]; u8 tha[6]; } + 2 bytes tail padding (sizeof 24)',
    key: { arp: { sip: '10.0.0.1', tip: '10.0.0.2', op: 1, sha: '52:54:00:12:34:01', tha: '00:00:00:00:00:00' } },
    bytes: hex('1c00 0d00', '0a000001', '0a000002', '0001', '525400123401', '000000000000', '0000'),
  },
  {
    what: 'OVS_KEY_ATTR_ND: struct ovs_key_nd { be32 target[4]; u8 sll[6]; u8 tll[6]; }',
    key: { nd: { target: 'fe80::2', sll: '52:54:00:12:34:01', tll: '00:00:00:00:00:00' } },
    bytes: hex('2000 0e00', 'fe800000000000000000000000000002', '525400123401', '000000000000'),
  },
  {
    what: 'OVS_KEY_ATTR_TCP_FLAGS: __be16, padded to 4',
    key: { tcpFlags: 0x012 },
    bytes: hex('0600 1200', '0012', '0000'),
  },
  {
    what: 'OVS_KEY_ATTR_CT_STATE: u32 host order',
    key: { ctState: 0x21 },
    bytes: hex('0800 1600', '21000000'),
  },
  {
    what: 'OVS_KEY_ATTR_CT_ZONE: u16 host order, padded to 4',
    key: { ctZone: 5 },
    bytes: hex('0600 1700', '0500', '0000'),
  },
  {
    what: 'OVS_KEY_ATTR_CT_MARK: u32 host order',
    key: { ctMark: 0xabcd },
    bytes: hex('0800 1800', 'cdab0000'),
  },
  {
    what: 'OVS_KEY_ATTR_CT_LABELS: 16 raw bytes',
    key: { ctLabels: hex('0102030405060708090a0b0c0d0e0f10') },
    bytes: hex('1400 1900', '0102030405060708090a0b0c0d0e0f10'),
  },
  {
    what: 'OVS_KEY_ATTR_ENCAP: a VLAN-tagged frame (ETHERTYPE carries the TPID, ENCAP the inner headers)',
    key: {
      ethernet: { src: '52:54:00:12:34:01', dst: '52:54:00:12:34:02' },
      ethertype: 0x8100,
      vlan: 0x100a,
      encap: {
        ethertype: 0x0800,
        ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 0, ttl: 64, frag: 0 },
        udp: { src: 68, dst: 67 },
      },
    },
    bytes: hex(
      '1000 0400', '525400123401', '525400123402', // ETHERNET
      '0600 0600', '8100', '0000', // ETHERTYPE = TPID 0x8100
      '0600 0500', '100a', '0000', // VLAN: CFI | vid 10
      '2400 0100', // ENCAP, 32 bytes of nested attributes
      '0600 0600', '0800', '0000', //   ETHERTYPE
      '1000 0700', '0a000001', '0a000002', '11', '00', '40', '00', //   IPV4
      '0800 0a00', '0044', '0043', //   UDP
    ),
  },
];

describe('flow key codec: golden vectors from the uapi struct layouts', () => {
  for (const g of GOLDEN) {
    it(`encodes ${g.what}`, () => {
      assert.equal(encodeFlowKey(g.key).toString('hex'), g.bytes.toString('hex'));
    });
    it(`decodes ${g.what}`, () => {
      assert.deepStrictEqual(decodeFlowKey(g.bytes), g.key);
    });
    it(`re-encodes ${g.what} byte for byte`, () => {
      assert.equal(encodeFlowKey(decodeFlowKey(g.bytes)).toString('hex'), g.bytes.toString('hex'));
    });
  }
});

describe('flow key codec: canonical (kernel __ovs_nla_put_key) attribute order', () => {
  it('emits metadata, then L2, L3, L4 whatever the object property order', () => {
    const key: OdpFlowKey = {
      tcpFlags: 0x002,
      tcp: { src: 1, dst: 2 },
      ipv4: { src: '1.2.3.4', dst: '5.6.7.8', proto: 6, tos: 0, ttl: 1, frag: 0 },
      ethertype: 0x0800,
      ethernet: { src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' },
      ctState: 0, ctZone: 0, ctMark: 0,
      skbMark: 0, inPort: 1, priority: 0, dpHash: 0, recircId: 0,
    };
    const types = [];
    const b = encodeFlowKey(key);
    for (let off = 0; off < b.length; off += (b.readUInt16LE(off) + 3) & ~3) types.push(b.readUInt16LE(off + 2));
    // recirc_id 20, dp_hash 19, priority 2, in_port 3, skb_mark 15, ct_state 22, ct_zone 23,
    // ct_mark 24, ethernet 4, ethertype 6, ipv4 7, tcp 9, tcp_flags 18
    assert.deepStrictEqual(types, [20, 19, 2, 3, 15, 22, 23, 24, 4, 6, 7, 9, 18]);
  });

  it('slots unmodelled attributes in by their type and keeps them verbatim', () => {
    const tuple = hex('0a000001 0a000002 0008 0000 01 000000');
    const key: OdpFlowKey = {
      recircId: 0,
      inPort: 1,
      other: [
        { type: 40, data: hex('beef') },
        { type: OVS_KEY_ATTR_MPLS, data: hex('000141ff') },
        { type: OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, data: tuple },
        { type: OVS_KEY_ATTR_TUNNEL, data: hex('0c00 0000 0000000000000064') },
      ],
    };
    const bytes = hex(
      '0800 1400', '00000000', // RECIRC_ID
      '1000 1000', '0c00 0000 0000000000000064', // TUNNEL { OVS_TUNNEL_KEY_ATTR_ID be64 100 }
      '0800 0300', '01000000', // IN_PORT
      '1400 1a00', '0a000001 0a000002 0008 0000 01 000000', // CT_ORIG_TUPLE_IPV4 (16 bytes)
      '0800 1500', '000141ff', // MPLS
      '0600 2800', 'beef', '0000', // unknown type 40 last
    );
    assert.equal(encodeFlowKey(key).toString('hex'), bytes.toString('hex'));
    const decoded = decodeFlowKey(bytes);
    assert.equal(decoded.recircId, 0);
    assert.equal(decoded.inPort, 1);
    assert.deepStrictEqual(decoded.other?.map((o) => o.type), [OVS_KEY_ATTR_TUNNEL, OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, OVS_KEY_ATTR_MPLS, 40]);
    assert.equal(encodeFlowKey(decoded).toString('hex'), bytes.toString('hex'));
  });
});

describe('flow key codec: round trips decode(encode(x))', () => {
  const cases: [string, OdpFlowKey][] = [
    ['IPv4 TCP with tcp flags and metadata', {
      priority: 1, inPort: 4, skbMark: 0x10, recircId: 0, dpHash: 0,
      ethernet: { src: 'aa:bb:cc:dd:ee:ff', dst: '01:00:5e:00:00:01' },
      ethertype: 0x0800,
      ipv4: { src: '192.168.1.10', dst: '255.255.255.255', proto: 6, tos: 0xfc, ttl: 255, frag: 2 },
      tcp: { src: 65535, dst: 0 },
      tcpFlags: 0x0fff,
    }],
    ['VLAN with nested ENCAP (double tagged)', {
      inPort: 1,
      ethernet: { src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' },
      ethertype: 0x88a8,
      vlan: 0x3064,
      encap: {
        ethertype: 0x8100,
        vlan: 0x100a,
        encap: { ethertype: 0x0806, arp: { sip: '0.0.0.0', tip: '10.1.2.3', op: 2, sha: '00:00:00:00:00:01', tha: 'ff:ff:ff:ff:ff:ff' } },
      },
    }],
    ['VLAN tag with an empty ENCAP (truncated tag)', { ethertype: 0x8100, vlan: 0, encap: {} }],
    ['IPv6 ICMPv6 neighbour solicitation with ND', {
      ethertype: 0x86dd,
      ipv6: { src: '2001:db8::1:0:0:1', dst: '::ffff:10.0.0.1', label: 0xfffff, proto: 58, tclass: 0, hlimit: 1, frag: 1 },
      icmpv6: { type: 135, code: 0 },
      nd: { target: '::', sll: '00:00:00:00:00:00', tll: '12:34:56:78:9a:bc' },
    }],
    ['IPv6 UDP', { ipv6: { src: '::1', dst: '2001:db8:0:1:1:1:1:1', label: 0, proto: 17, tclass: 0, hlimit: 64, frag: 0 }, udp: { src: 546, dst: 547 } }],
    ['SCTP', { ipv4: { src: '1.1.1.1', dst: '2.2.2.2', proto: 132, tos: 0, ttl: 64, frag: 0 }, sctp: { src: 1, dst: 65535 } }],
    ['ICMP', { ipv4: { src: '1.1.1.1', dst: '2.2.2.2', proto: 1, tos: 0, ttl: 64, frag: 0 }, icmp: { type: 3, code: 4 } }],
    ['ARP', { ethertype: 0x0806, arp: { sip: '10.0.0.1', tip: '10.0.0.2', op: 1, sha: '52:54:00:12:34:01', tha: '00:00:00:00:00:00' } }],
    ['conntrack metadata', { ctState: 0xff, ctZone: 65535, ctMark: 0xffffffff, ctLabels: Buffer.alloc(16, 0xa5) }],
    ['an empty key', {}],
  ];
  for (const [name, key] of cases) {
    it(name, () => assert.deepStrictEqual(decodeFlowKey(encodeFlowKey(key)), key));
  }

  it('normalises IPv6 text to RFC 5952 and MACs to lowercase', () => {
    const k = decodeFlowKey(encodeFlowKey({
      ipv6: { src: 'FE80:0:0:0:0:0:0:1', dst: '2001:DB8:0:0:1:0:0:1', label: 0, proto: 0, tclass: 0, hlimit: 0, frag: 0 },
      nd: { target: '0:0:0:0:0:ffff:192.0.2.1', sll: 'AA:BB:CC:DD:EE:FF', tll: '00:00:00:00:00:00' },
    }));
    assert.equal(k.ipv6?.src, 'fe80::1');
    assert.equal(k.ipv6?.dst, '2001:db8::1:0:0:1');
    assert.equal(k.nd?.target, '::ffff:192.0.2.1');
    assert.equal(k.nd?.sll, 'aa:bb:cc:dd:ee:ff');
  });
});

describe('flow key codec: malformed input', () => {
  it('rejects an IPv4 attribute of the wrong size', () => {
    assert.throws(() => decodeFlowKey(hex('0e00 0700', '0a000001 0a000002 0600', '0000')),
      (e: unknown) => e instanceof RangeError && /OVS_KEY_ATTR_IPV4: payload is 10 bytes, expected 12/.test(e.message));
  });
  it('rejects a 2-byte IN_PORT', () => {
    assert.throws(() => decodeFlowKey(hex('0600 0300 0200 0000')), /OVS_KEY_ATTR_IN_PORT: payload is 2 bytes, expected 4/);
  });
  it('rejects a wrong-sized attribute inside ENCAP', () => {
    assert.throws(() => decodeFlowKey(hex('0c00 0100', '0800 0600 08000000')), /OVS_KEY_ATTR_ETHERTYPE: payload is 4 bytes, expected 2/);
  });
  it('rejects an ARP attribute without its tail padding (22 instead of 24 bytes)', () => {
    assert.throws(() => decodeFlowKey(hex('1a00 0d00', '00'.repeat(22), '0000')), RangeError);
  });
  it('rejects a duplicate attribute', () => {
    assert.throws(() => decodeFlowKey(hex('0800 0300 01000000', '0800 0300 02000000')), /duplicate OVS_KEY_ATTR_IN_PORT/);
  });
  it('rejects an attribute running past the buffer', () => {
    assert.throws(() => decodeFlowKey(hex('1000 0400 525400123401')), RangeError);
  });
  it('rejects bad addresses and out-of-range numbers on encode', () => {
    assert.throws(() => encodeFlowKey({ ethernet: { src: '52:54:00:12:34', dst: '00:00:00:00:00:00' } }), /OVS_KEY_ATTR_ETHERNET: invalid MAC/);
    assert.throws(() => encodeFlowKey({ ipv4: { src: '10.0.0.256', dst: '1.1.1.1', proto: 0, tos: 0, ttl: 0, frag: 0 } }), /invalid IPv4/);
    assert.throws(() => encodeFlowKey({ ipv6: { src: '1::2::3', dst: '::', label: 0, proto: 0, tclass: 0, hlimit: 0, frag: 0 } }), /invalid IPv6/);
    assert.throws(() => encodeFlowKey({ ipv6: { src: '1:2:3:4:5:6:7', dst: '::', label: 0, proto: 0, tclass: 0, hlimit: 0, frag: 0 } }), /invalid IPv6/);
    assert.throws(() => encodeFlowKey({ tcp: { src: 65536, dst: 0 } }), RangeError);
    assert.throws(() => encodeFlowKey({ ctLabels: Buffer.alloc(8) }), /OVS_KEY_ATTR_CT_LABELS: ctLabels must be 16 bytes/);
  });
});

describe('formatFlowKey: ovs-dpctl text', () => {
  const eth = { src: '52:54:00:12:34:01', dst: '52:54:00:12:34:02' };
  const ipv4 = { src: '10.0.0.1', dst: '10.0.0.2', proto: 1, tos: 0, ttl: 64, frag: 0 };
  const exactEth = { src: 'ff:ff:ff:ff:ff:ff', dst: 'ff:ff:ff:ff:ff:ff' };
  const fragOnly = { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0xff };

  it('prints an L2 megaflow as dump-flows does', () => {
    const key: OdpFlowKey = { recircId: 0, inPort: 2, ethernet: eth, ethertype: 0x0800, ipv4, icmp: { type: 8, code: 0 } };
    const mask: OdpFlowKey = { recircId: 0xffffffff, inPort: 0xffffffff, ethernet: exactEth, ethertype: 0xffff, ipv4: fragOnly };
    assert.equal(formatFlowKey(key, mask),
      'recirc_id(0),in_port(2),eth(src=52:54:00:12:34:01,dst=52:54:00:12:34:02),eth_type(0x0800),ipv4(frag=no)');
  });

  it('prints a VLAN megaflow with its ENCAP', () => {
    const key: OdpFlowKey = { inPort: 1, ethernet: eth, ethertype: 0x8100, vlan: 0x100a, encap: { ethertype: 0x0800, ipv4, icmp: { type: 8, code: 0 } } };
    const mask: OdpFlowKey = { inPort: 0xffffffff, ethernet: exactEth, ethertype: 0xffff, vlan: 0xffff, encap: { ethertype: 0xffff, ipv4: fragOnly } };
    assert.equal(formatFlowKey(key, mask),
      'in_port(1),eth(src=52:54:00:12:34:01,dst=52:54:00:12:34:02),eth_type(0x8100),vlan(vid=10,pcp=0),encap(eth_type(0x0800),ipv4(frag=no))');
  });

  it('prints partial masks with "/mask" and masked TCP flags as +/-', () => {
    const key: OdpFlowKey = {
      inPort: 3, ethernet: eth, ethertype: 0x0800,
      ipv4: { src: '10.0.0.5', dst: '10.0.0.2', proto: 6, tos: 0, ttl: 64, frag: 0 },
      tcp: { src: 12345, dst: 80 }, tcpFlags: 0x002,
    };
    const mask: OdpFlowKey = {
      inPort: 0xffffffff, ethernet: { src: '00:00:00:00:00:00', dst: 'ff:ff:ff:ff:ff:ff' }, ethertype: 0xffff,
      ipv4: { src: '255.255.255.0', dst: '255.255.255.255', proto: 0xff, tos: 0, ttl: 0, frag: 0xff },
      tcp: { src: 0, dst: 0xfff0 }, tcpFlags: 0x012,
    };
    assert.equal(formatFlowKey(key, mask),
      'in_port(3),eth(dst=52:54:00:12:34:02),eth_type(0x0800),ipv4(src=10.0.0.5/255.255.255.0,dst=10.0.0.2,proto=6,frag=no),tcp(dst=80/0xfff0),tcp_flags(+syn-ack)');
  });

  it('prints an all-wildcard Ethernet as eth() and omits wildcarded attributes', () => {
    const key: OdpFlowKey = {
      priority: 0, inPort: 1, skbMark: 0, ethernet: eth, ethertype: 0x0806,
      arp: { sip: '10.0.0.1', tip: '10.0.0.2', op: 1, sha: eth.src, tha: '00:00:00:00:00:00' },
    };
    const mask: OdpFlowKey = {
      priority: 0, inPort: 0xffffffff, skbMark: 0, ethernet: { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' }, ethertype: 0xffff,
      arp: { sip: '0.0.0.0', tip: '255.255.255.255', op: 0xffff, sha: '00:00:00:00:00:00', tha: '00:00:00:00:00:00' },
    };
    assert.equal(formatFlowKey(key, mask), 'in_port(1),eth(),eth_type(0x0806),arp(tip=10.0.0.2,op=1)');
  });

  it('prints conntrack state as flags and zone/mark as hex', () => {
    const key: OdpFlowKey = { recircId: 1, ctState: 0x22, ctZone: 5, ctMark: 0x10, ctLabels: Buffer.alloc(16) };
    const mask: OdpFlowKey = { recircId: 0xffffffff, ctState: 0x21, ctZone: 0xffff, ctMark: 0xf0, ctLabels: Buffer.alloc(16) };
    assert.equal(formatFlowKey(key, mask), 'recirc_id(0x1),ct_state(-new+trk),ct_zone(0x5),ct_mark(0x10/0xf0)');
    assert.equal(formatFlowKey({ ctState: 0x22 }, { ctState: 0xffffffff }), 'ct_state(est|trk)');
    // A mask of the 8 defined bits is not "exact" for a u32: every masked bit prints as +/-.
    assert.equal(formatFlowKey({ ctState: 0x22 }, { ctState: 0xff }), 'ct_state(-new+est-rel-rpl-inv+trk-snat-dnat)');
  });

  it('prints every field of an unmasked IPv6 key (odp_flow_key_format)', () => {
    const key: OdpFlowKey = {
      inPort: 1, ethernet: { src: '52:54:00:12:34:01', dst: '33:33:ff:00:00:02' }, ethertype: 0x86dd,
      ipv6: { src: 'fe80::1', dst: 'ff02::1:ff00:2', label: 0, proto: 58, tclass: 0, hlimit: 255, frag: 0 },
      icmpv6: { type: 135, code: 0 },
      nd: { target: 'fe80::2', sll: '52:54:00:12:34:01', tll: '00:00:00:00:00:00' },
    };
    assert.equal(formatFlowKey(key),
      'in_port(1),eth(src=52:54:00:12:34:01,dst=33:33:ff:00:00:02),eth_type(0x86dd),' +
      'ipv6(src=fe80::1,dst=ff02::1:ff00:2,label=0,proto=58,tclass=0,hlimit=255,frag=no),' +
      'icmpv6(type=135,code=0),nd(target=fe80::2,sll=52:54:00:12:34:01,tll=00:00:00:00:00:00)');
  });

  it('prints ct labels as one 128-bit host-order number and unknown attributes as hex', () => {
    assert.equal(formatFlowKey({ ctLabels: hex('0102030405060708090a0b0c0d0e0f10') }), 'ct_label(0x100f0e0d0c0b0a090807060504030201)');
    assert.equal(formatFlowKey({ other: [{ type: OVS_KEY_ATTR_MPLS, data: hex('000141ff') }] }), 'mpls(00 01 41 ff)');
  });

  it('prints a VLAN TCI without CFI and partially masked vid', () => {
    assert.equal(formatFlowKey({ vlan: 0x000a }, { vlan: 0x0ff0 }), 'vlan(vid=10/0xff0,cfi=0)');
  });
});
