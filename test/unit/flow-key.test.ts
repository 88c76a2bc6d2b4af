import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  OdpFlowKey,
  applyFlowMask,
  decodeFlowKey,
  decodeTunnelKey,
  encodeFlowKey,
  encodeTunnelKey,
  flowKeyAttrSize,
  formatFlowKey,
  formatFlowKeyBytes,
  formatKeyAttr,
  formatVlanTci,
  maskFlowKeyBytes,
} from '../../src/genl/flow-key';
import { attr } from '../../src/genl/nlattr';
import {
  OVS_KEY_ATTR_ARP,
  OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4,
  OVS_KEY_ATTR_ENCAP,
  OVS_KEY_ATTR_ETHERNET,
  OVS_KEY_ATTR_IN_PORT,
  OVS_KEY_ATTR_IPV4,
  OVS_KEY_ATTR_IPV6,
  OVS_KEY_ATTR_MPLS,
  OVS_KEY_ATTR_NSH,
  OVS_KEY_ATTR_TCP_FLAGS,
  OVS_KEY_ATTR_TUNNEL,
  OVS_KEY_ATTR_TUNNEL_INFO,
  OVS_KEY_ATTR_UNSPEC,
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
  { what: 'OVS_KEY_ATTR_PRIORITY: u32 host order', key: { priority: 7 }, bytes: hex('0800 0200', '07000000') },
  { what: 'OVS_KEY_ATTR_IN_PORT: u32 host order', key: { inPort: 2 }, bytes: hex('0800 0300', '02000000') },
  { what: 'OVS_KEY_ATTR_SKB_MARK: u32 host order', key: { skbMark: 0x12345678 }, bytes: hex('0800 0f00', '78563412') },
  { what: 'OVS_KEY_ATTR_RECIRC_ID: u32 host order', key: { recircId: 1 }, bytes: hex('0800 1400', '01000000') },
  { what: 'OVS_KEY_ATTR_DP_HASH: u32 host order', key: { dpHash: 0xdeadbeef }, bytes: hex('0800 1300', 'efbeadde') },
  {
    what: 'OVS_KEY_ATTR_ETHERNET: struct ovs_key_ethernet { u8 eth_src[6]; u8 eth_dst[6]; }',
    key: { ethernet: { src: '52:54:00:12:34:01', dst: '52:54:00:12:34:02' } },
    bytes: hex('1000 0400', '525400123401', '525400123402'),
  },
  { what: 'OVS_KEY_ATTR_VLAN: __be16 TCI, padded to 4', key: { vlan: 0x100a }, bytes: hex('0600 0500', '100a', '0000') },
  { what: 'OVS_KEY_ATTR_ETHERTYPE: __be16, padded to 4', key: { ethertype: 0x0800 }, bytes: hex('0600 0600', '0800', '0000') },
  {
    what: 'OVS_KEY_ATTR_IPV4: struct ovs_key_ipv4 { be32 src; be32 dst; u8 proto, tos, ttl, frag; }',
    key: { ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 0x10, ttl: 64, frag: 1 } },
    bytes: hex('1000 0700', '0a000001', '0a000002', '11', '10', '40', '01'),
  },
  {
    what: 'OVS_KEY_ATTR_IPV6: struct ovs_key_ipv6 { be32 src[4]; be32 dst[4]; be32 label; u8 proto, tclass, hlimit, frag; }',
    key: { ipv6: { src: 'fe80::1', dst: 'ff02::1:ff00:2', label: 0x12345, proto: 58, tclass: 0xb8, hlimit: 255, frag: 0 } },
    bytes: hex('2c00 0800', 'fe800000000000000000000000000001', 'ff0200000000000000000001ff000002', '00012345', '3a', 'b8', 'ff', '00'),
  },
  {
    what: 'OVS_KEY_ATTR_IPV6_EXTHDRS: struct ovs_key_ipv6_exthdrs { u16 hdrs; } host order, padded to 4',
    key: { ipv6Exthdrs: 0x0104 },
    bytes: hex('0600 2000', '0401', '0000'),
  },
  { what: 'OVS_KEY_ATTR_TCP: struct ovs_key_tcp { be16 src; be16 dst; }', key: { tcp: { src: 12345, dst: 80 } }, bytes: hex('0800 0900', '3039', '0050') },
  { what: 'OVS_KEY_ATTR_UDP: struct ovs_key_udp { be16 src; be16 dst; }', key: { udp: { src: 68, dst: 67 } }, bytes: hex('0800 0a00', '0044', '0043') },
  { what: 'OVS_KEY_ATTR_SCTP: struct ovs_key_sctp { be16 src; be16 dst; }', key: { sctp: { src: 5000, dst: 6000 } }, bytes: hex('0800 1100', '1388', '1770') },
  { what: 'OVS_KEY_ATTR_ICMP: struct ovs_key_icmp { u8 type; u8 code; }, padded to 4', key: { icmp: { type: 8, code: 0 } }, bytes: hex('0600 0b00', '08', '00', '0000') },
  { what: 'OVS_KEY_ATTR_ICMPV6: struct ovs_key_icmpv6 { u8 type; u8 code; }, padded to 4', key: { icmpv6: { type: 135, code: 0 } }, bytes: hex('0600 0c00', '87', '00', '0000') },
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
    what: 'OVS_KEY_ATTR_ND_EXTENSIONS: struct ovs_key_nd_extensions { be32 nd_reserved; u8 nd_options_type; } (sizeof 8)',
    key: { ndExtensions: { ndReserved: 0x20000000, ndOptionsType: 2 } },
    bytes: hex('0c00 1e00', '20000000', '02', '000000'),
  },
  { what: 'OVS_KEY_ATTR_TCP_FLAGS: __be16, padded to 4', key: { tcpFlags: 0x012 }, bytes: hex('0600 1200', '0012', '0000') },
  { what: 'OVS_KEY_ATTR_CT_STATE: u32 host order', key: { ctState: 0x21 }, bytes: hex('0800 1600', '21000000') },
  { what: 'OVS_KEY_ATTR_CT_ZONE: u16 host order, padded to 4', key: { ctZone: 5 }, bytes: hex('0600 1700', '0500', '0000') },
  { what: 'OVS_KEY_ATTR_CT_MARK: u32 host order', key: { ctMark: 0xabcd }, bytes: hex('0800 1800', 'cdab0000') },
  {
    what: 'OVS_KEY_ATTR_CT_LABELS: 16 raw bytes',
    key: { ctLabels: hex('0102030405060708090a0b0c0d0e0f10') },
    bytes: hex('1400 1900', '0102030405060708090a0b0c0d0e0f10'),
  },
  {
    what: 'OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4: struct ovs_key_ct_tuple_ipv4 { be32 src, dst; be16 src_port, dst_port; u8 proto; } + 3 padding',
    key: { ctOrigTupleIpv4: { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1024, dstPort: 80, proto: 6 } },
    bytes: hex('1400 1a00', '0a000001', '0a000002', '0400', '0050', '06', '000000'),
  },
  {
    what: 'OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6: struct ovs_key_ct_tuple_ipv6 { be32 src[4], dst[4]; be16 src_port, dst_port; u8 proto; } + 3 padding',
    key: { ctOrigTupleIpv6: { src: '2001:db8::1', dst: '2001:db8::2', srcPort: 1024, dstPort: 80, proto: 17 } },
    bytes: hex('2c00 1b00', '20010db8000000000000000000000001', '20010db8000000000000000000000002', '0400', '0050', '11', '000000'),
  },
  {
    what: 'OVS_KEY_ATTR_PACKET_TYPE: __be32 ns << 16 | ns_type',
    key: { packetType: { ns: 1, id: 0x0800 } },
    bytes: hex('0800 1d00', '0001', '0800'),
  },
  {
    what: 'OVS_KEY_ATTR_MPLS: array of struct ovs_key_mpls { __be32 lse; } (label 20 | tc 3 | bos 1 | ttl 8 bits)',
    key: { mpls: [{ label: 100, tc: 3, ttl: 64, bos: 0 }, { label: 200, tc: 1, ttl: 63, bos: 1 }] },
    bytes: hex('0c00 1500', '00064640', '000c833f'),
  },
  {
    what: 'OVS_KEY_ATTR_TUNNEL: nested IPv4 tunnel attributes in __ip_tun_to_nlattr() order, flags as empty attributes',
    key: {
      tunnel: {
        id: 0x2an, ipv4Src: '192.168.1.1', ipv4Dst: '192.168.1.2', tos: 0x10, ttl: 64,
        dontFragment: true, csum: true, tpSrc: 12345, tpDst: 4789, oam: true,
      },
    },
    bytes: hex(
      '4c00 1000',
      '0c00 0000', '000000000000002a', // ID, __be64
      '0800 0100', 'c0a80101', // IPV4_SRC
      '0800 0200', 'c0a80102', // IPV4_DST
      '0500 0300', '10', '000000', // TOS
      '0500 0400', '40', '000000', // TTL
      '0400 0500', // DONT_FRAGMENT
      '0400 0600', // CSUM
      '0600 0900', '3039', '0000', // TP_SRC
      '0600 0a00', '12b5', '0000', // TP_DST
      '0400 0700', // OAM
    ),
  },
  {
    what: 'OVS_KEY_ATTR_TUNNEL: IPv6 addresses and Geneve option TLVs (class be16, type, r1 r2 r3 length:5, data)',
    key: {
      tunnel: {
        ipv6Src: '2001:db8::1', ipv6Dst: '2001:db8::2', ttl: 64,
        geneve: [
          { class: 0x0102, type: 0x80, length: 1, reserved: 0, data: hex('a0b0c0d0') },
          { class: 0xffff, type: 0x01, length: 0, reserved: 5, data: hex('') },
        ],
      },
    },
    bytes: hex(
      '4400 1000',
      '1400 0c00', '20010db8000000000000000000000001', // IPV6_SRC
      '1400 0d00', '20010db8000000000000000000000002', // IPV6_DST
      '0500 0400', '40', '000000', // TTL
      '1000 0800', '0102 80 01 a0b0c0d0', 'ffff 01 a0', // GENEVE_OPTS, 12 bytes
    ),
  },
  {
    what: 'OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS: nested OVS_VXLAN_EXT_GBP u32 host order (flags << 16 | id)',
    key: { tunnel: { ipv4Dst: '1.1.1.1', ttl: 1, vxlan: { gbp: 0x1000a } } },
    bytes: hex('2000 1000', '0800 0200', '01010101', '0500 0400', '01', '000000', '0c00 0b00', '0800 0100', '0a000100'),
  },
  {
    what: 'OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS version 1: struct erspan_metadata { int version; __be32 index; … } (12 bytes)',
    key: { tunnel: { erspan: { version: 1, index: 7 } } },
    bytes: hex('1400 1000', '1000 0f00', '01000000', '00000007', '00000000'),
  },
  {
    what: 'OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS version 2: struct erspan_md2 with its little-endian bitfields',
    key: { tunnel: { erspan: { version: 2, md2: { timestamp: 0x01020304, sgt: 0x0506, hwid: 0x17, ft: 3, p: 1, o: 1, gra: 2, dir: 1 } } } },
    // byte 10: hwid_upper 1 | ft 3 << 2 | p << 7 = 0x8d; byte 11: o | gra 2 << 1 | dir << 3 | hwid 7 << 4 = 0x7d
    bytes: hex('1400 1000', '1000 0f00', '02000000', '01020304', '0506', '8d', '7d'),
  },
  {
    what: 'OVS_TUNNEL_KEY_ATTR_PAD before the 64-bit ID, and OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE (flag)',
    key: { tunnel: { pad: hex(''), id: 1n, ipv4InfoBridge: true } },
    bytes: hex('1800 1000', '0400 0e00', '0c00 0000', '0000000000000001', '0400 1000'),
  },
  {
    what: 'OVS_KEY_ATTR_NSH: nested BASE (struct ovs_nsh_key_base, path_hdr = spi << 8 | si) and MD1 (4 × __be32)',
    key: { nsh: { base: { flags: 0, ttl: 63, mdtype: 1, np: 3, spi: 0x123, si: 255 }, md1: [1, 2, 3, 4] } },
    bytes: hex('2400 1c00', '0c00 0100', '00 3f 01 03', '000123ff', '1400 0200', '00000001', '00000002', '00000003', '00000004'),
  },
  {
    what: 'OVS_KEY_ATTR_NSH with MD type 2 metadata (OVS_NSH_KEY_ATTR_MD2, verbatim TLVs)',
    key: { nsh: { base: { flags: 2, ttl: 1, mdtype: 2, np: 1, spi: 0xffffff, si: 0 }, md2: hex('0001 02 01 deadbeef') } },
    bytes: hex('1c00 1c00', '0c00 0100', '02 01 02 01', 'ffffff00', '0c00 0300', '0001 02 01 deadbeef'),
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
  {
    what: 'QinQ: OVS_KEY_ATTR_ENCAP nested in OVS_KEY_ATTR_ENCAP (0x88a8 outside 0x8100)',
    key: { ethertype: 0x88a8, vlan: 0x1064, encap: { ethertype: 0x8100, vlan: 0x300a, encap: { ethertype: 0x0806 } } },
    bytes: hex(
      '0600 0600', '88a8', '0000', '0600 0500', '1064', '0000',
      '2000 0100', '0600 0600', '8100', '0000', '0600 0500', '300a', '0000',
      '0c00 0100', '0600 0600', '0806', '0000',
    ),
  },
];

describe('flow key codec: golden vectors from the uapi struct layouts', () => {
  for (const g of GOLDEN) {
    it(`encodes ${g.what}`, () => assert.equal(encodeFlowKey(g.key).toString('hex'), g.bytes.toString('hex')));
    it(`decodes ${g.what}`, () => assert.deepStrictEqual(decodeFlowKey(g.bytes), g.key));
    it(`re-encodes ${g.what} byte for byte`, () => {
      assert.equal(encodeFlowKey(decodeFlowKey(g.bytes)).toString('hex'), g.bytes.toString('hex'));
    });
  }

  it('exposes the tunnel codec on its own for OVS_PACKET_ATTR_EGRESS_TUN_KEY and set(tunnel(…))', () => {
    const t = { id: 5n, ipv4Dst: '1.1.1.1', ttl: 64, dontFragment: true };
    const payload = encodeTunnelKey(t);
    assert.equal(payload.toString('hex'), hex('0c00 0000 0000000000000005', '0800 0200 01010101', '0500 0400 40000000', '0400 0500').toString('hex'));
    assert.deepStrictEqual(decodeTunnelKey(payload), t);
    assert.deepStrictEqual(decodeFlowKey(attr(OVS_KEY_ATTR_TUNNEL, payload)), { tunnel: t });
  });

  it('reports the fixed payload sizes set-masked actions split on', () => {
    assert.equal(flowKeyAttrSize(OVS_KEY_ATTR_IPV4), 12);
    assert.equal(flowKeyAttrSize(OVS_KEY_ATTR_ARP), 24);
    assert.equal(flowKeyAttrSize(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4), 16);
    assert.equal(flowKeyAttrSize(OVS_KEY_ATTR_MPLS), undefined);
    assert.equal(flowKeyAttrSize(OVS_KEY_ATTR_TUNNEL), undefined);
    assert.equal(flowKeyAttrSize(OVS_KEY_ATTR_ENCAP), undefined);
    assert.equal(flowKeyAttrSize(OVS_KEY_ATTR_TUNNEL_INFO), undefined);
  });
});

/** The kernel vectors: test/kernel/odp-key.test.ts with TSV_CAPTURE_GOLDEN=1 (see the file's `source`). */
interface KernelFlow {
  added: string;
  via: string;
  dumpFlows: string;
  dumpFlowsVerbose: string;
  key: string;
  mask: string;
}
const KERNEL: { portNames: Record<string, string>; flows: KernelFlow[] } = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/flow-keys.json'), 'utf8'),
);
const KERNEL_PORTS = new Map(Object.entries(KERNEL.portNames).map(([n, name]) => [Number(n), name]));

describe('flow keys and masks captured from the 6.1 kernel, with ovs-dpctl 3.1 text', () => {
  it('has vectors for every attribute the kernel accepts', () => {
    const types = new Set<number>();
    const walk = (b: Buffer) => {
      for (let off = 0; off < b.length; off += (b.readUInt16LE(off) + 3) & ~3) {
        const t = b.readUInt16LE(off + 2);
        types.add(t);
        if (t === OVS_KEY_ATTR_ENCAP) walk(b.subarray(off + 4, off + b.readUInt16LE(off)));
      }
    };
    for (const f of KERNEL.flows) walk(Buffer.from(f.key, 'hex'));
    const expected = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 32];
    assert.deepStrictEqual([...types].sort((a, b) => a - b), expected);
    assert.ok(KERNEL.flows.length >= 60);
  });
  for (const f of KERNEL.flows) {
    it(f.added, () => {
      const key = Buffer.from(f.key, 'hex');
      const mask = Buffer.from(f.mask, 'hex');
      const k = decodeFlowKey(key);
      const m = decodeFlowKey(mask);
      assert.equal(encodeFlowKey(k).toString('hex'), f.key, 'key re-encodes byte for byte');
      assert.equal(encodeFlowKey(m).toString('hex'), f.mask, 'mask re-encodes byte for byte');
      assert.equal(formatFlowKeyBytes(key, mask), f.dumpFlows, 'dump-flows');
      assert.equal(formatFlowKeyBytes(key, mask, true, KERNEL_PORTS), f.dumpFlowsVerbose, 'dump-flows -m');
      assert.equal(formatFlowKey(k, m), f.dumpFlows, 'from the decoded objects');
      assert.deepStrictEqual(decodeFlowKey(encodeFlowKey(k)), k, 'decode(encode(x))');
    });
  }
});

describe('flow key codec: canonical (kernel __ovs_nla_put_key) attribute order', () => {
  it('emits metadata, then L2, L3, L4 whatever the object property order', () => {
    const key: OdpFlowKey = {
      tcpFlags: 0x002,
      tcp: { src: 1, dst: 2 },
      ipv6Exthdrs: 0,
      ipv6: { src: '::1', dst: '::2', label: 0, proto: 6, tclass: 0, hlimit: 1, frag: 0 },
      ethertype: 0x86dd,
      ethernet: { src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' },
      ctOrigTupleIpv6: { src: '::1', dst: '::2', srcPort: 1, dstPort: 2, proto: 6 },
      ctLabels: Buffer.alloc(16), ctState: 0, ctZone: 0, ctMark: 0,
      skbMark: 0, inPort: 1, tunnel: { ipv4Dst: '1.1.1.1', ttl: 1 }, priority: 0, dpHash: 0, recircId: 0,
    };
    const types = [];
    const b = encodeFlowKey(key);
    for (let off = 0; off < b.length; off += (b.readUInt16LE(off) + 3) & ~3) types.push(b.readUInt16LE(off + 2));
    // recirc_id dp_hash priority tunnel in_port skb_mark ct_state ct_zone ct_mark ct_labels
    // ct_tuple6 ethernet ethertype ipv6 exthdrs tcp tcp_flags
    assert.deepStrictEqual(types, [20, 19, 2, 16, 3, 15, 22, 23, 24, 25, 27, 4, 6, 8, 32, 9, 18]);
  });

  it('keeps unmodelled attributes verbatim and slots them in by type (unknown types last)', () => {
    const key: OdpFlowKey = {
      recircId: 0,
      inPort: 1,
      other: [
        { type: 40, data: hex('beef') },
        { type: OVS_KEY_ATTR_TUNNEL_INFO, data: hex('01020304') },
        { type: OVS_KEY_ATTR_UNSPEC, data: hex('') },
      ],
    };
    const bytes = hex(
      '0800 1400', '00000000', // RECIRC_ID
      '0800 0300', '01000000', // IN_PORT
      '0400 0000', // UNSPEC
      '0800 1f00', '01020304', // TUNNEL_INFO
      '0600 2800', 'beef', '0000', // unknown type 40
    );
    assert.equal(encodeFlowKey(key).toString('hex'), bytes.toString('hex'));
    const decoded = decodeFlowKey(bytes);
    assert.deepStrictEqual(decoded.other?.map((o) => o.type), [OVS_KEY_ATTR_UNSPEC, OVS_KEY_ATTR_TUNNEL_INFO, 40]);
    assert.equal(encodeFlowKey(decoded).toString('hex'), bytes.toString('hex'));
  });

  it('keeps unknown tunnel, VXLAN and NSH sub-attributes in their own `other`', () => {
    const bytes = hex('2000 1000', '0800 0200 01010101', '0c00 0b00', '0500 0200 07 000000', '0600 1100 abcd 0000');
    const k = decodeFlowKey(bytes);
    assert.deepStrictEqual(k, { tunnel: { ipv4Dst: '1.1.1.1', vxlan: { other: [{ type: 2, data: hex('07') }] }, other: [{ type: 17, data: hex('abcd') }] } });
    assert.equal(encodeFlowKey(k).toString('hex'), bytes.toString('hex'));
    const nsh = hex('0c00 1c00', '0800 0400 01020304');
    assert.deepStrictEqual(decodeFlowKey(nsh), { nsh: { other: [{ type: 4, data: hex('01020304') }] } });
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
    ['VLAN tag with an empty ENCAP (truncated tag)', { ethertype: 0x8100, vlan: 0, encap: {} }],
    ['IPv6 ICMPv6 neighbour solicitation with ND and extensions', {
      ethertype: 0x86dd,
      ipv6: { src: '2001:db8::1:0:0:1', dst: '::ffff:10.0.0.1', label: 0xfffff, proto: 58, tclass: 0, hlimit: 1, frag: 1 },
      ipv6Exthdrs: 0xffff,
      icmpv6: { type: 135, code: 0 },
      nd: { target: '::', sll: '00:00:00:00:00:00', tll: '12:34:56:78:9a:bc' },
      ndExtensions: { ndReserved: 0xffffffff, ndOptionsType: 255 },
    }],
    ['SCTP', { ipv4: { src: '1.1.1.1', dst: '2.2.2.2', proto: 132, tos: 0, ttl: 64, frag: 0 }, sctp: { src: 1, dst: 65535 } }],
    ['ICMP', { ipv4: { src: '1.1.1.1', dst: '2.2.2.2', proto: 1, tos: 0, ttl: 64, frag: 0 }, icmp: { type: 3, code: 4 } }],
    ['conntrack metadata', { ctState: 0xff, ctZone: 65535, ctMark: 0xffffffff, ctLabels: Buffer.alloc(16, 0xa5) }],
    ['MPLS stack of three, all bits set', { mpls: [0, 1, 2].map(() => ({ label: 0xfffff, tc: 7, ttl: 255, bos: 1 })) }],
    ['a tunnel mask (flags true = mask bit set, Geneve length field 0x1f)', {
      tunnel: {
        id: 0xffffffffffffffffn, ipv4Src: '255.255.255.255', ipv4Dst: '255.255.255.0', tos: 0xff, ttl: 0xff,
        dontFragment: true, csum: true, oam: true, tpSrc: 0xffff, tpDst: 0,
        geneve: [{ class: 0xffff, type: 0xff, length: 0x1f, reserved: 0, data: hex('ffffffff') }],
      },
    }],
    ['ERSPAN v1 mask as OVS builds it (version all ones, v2 bytes all ones)', {
      tunnel: { erspan: { version: 0xffffffff, md2: { timestamp: 0xffffffff, sgt: 0xffff, hwid: 0x3f, ft: 0x1f, p: 1, o: 1, gra: 3, dir: 1 } } },
    }],
    ['packet type', { packetType: { ns: 0xffff, id: 0xffff } }],
    ['an empty key', {}],
  ];
  for (const [name, key] of cases) {
    it(name, () => assert.deepStrictEqual(decodeFlowKey(encodeFlowKey(key)), key));
  }

  it('normalises IPv6 text as inet_ntop() writes it and MACs to lowercase', () => {
    const k = decodeFlowKey(encodeFlowKey({
      ipv6: { src: 'FE80:0:0:0:0:0:0:1', dst: '2001:DB8:0:0:1:0:0:1', label: 0, proto: 0, tclass: 0, hlimit: 0, frag: 0 },
      nd: { target: '0:0:0:0:0:ffff:192.0.2.1', sll: 'AA:BB:CC:DD:EE:FF', tll: '0:1:2:3:4:5' },
    }));
    assert.equal(k.ipv6?.src, 'fe80::1');
    assert.equal(k.ipv6?.dst, '2001:db8::1:0:0:1');
    assert.equal(k.nd?.target, '::ffff:192.0.2.1');
    assert.equal(k.nd?.sll, 'aa:bb:cc:dd:ee:ff');
    assert.equal(k.nd?.tll, '00:01:02:03:04:05');
    const text = (a: string) => decodeFlowKey(encodeFlowKey({ tunnel: { ipv6Src: a } })).tunnel?.ipv6Src;
    assert.equal(text('::2:3'), '::0.2.0.3', 'first 96 bits zero: IPv4-compatible form');
    assert.equal(text('::ffff:0:0'), '::ffff:0.0.0.0');
    assert.equal(text('1:0:0:2:0:0:0:3'), '1:0:0:2::3', 'the longer zero run');
    assert.equal(text('1:0:0:2:3:0:0:4'), '1::2:3:0:0:4', 'the first of equal runs');
    assert.equal(text('1:0:2:3:4:5:6:7'), '1:0:2:3:4:5:6:7', 'a single zero group stays');
    assert.equal(text('::'), '::');
    assert.equal(text('1::'), '1::');
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
  it('rejects a wrong-sized attribute inside ENCAP and inside TUNNEL', () => {
    assert.throws(() => decodeFlowKey(hex('0c00 0100', '0800 0600 08000000')), /OVS_KEY_ATTR_ETHERTYPE: payload is 4 bytes, expected 2/);
    assert.throws(() => decodeFlowKey(hex('0c00 1000', '0800 0400 40000000')), /OVS_TUNNEL_KEY_ATTR_TTL: payload is 4 bytes, expected 1/);
    assert.throws(() => decodeFlowKey(hex('0c00 1000', '0800 0500 00000000')), /OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT: payload is 4 bytes, expected 0/);
  });
  it('rejects an ARP attribute without its tail padding (22 instead of 24 bytes)', () => {
    assert.throws(() => decodeFlowKey(hex('1a00 0d00', '00'.repeat(22), '0000')), RangeError);
  });
  it('rejects MPLS not a multiple of 4 bytes and Geneve options ending in a partial header', () => {
    assert.throws(() => decodeFlowKey(hex('0900 1500', '0001410100', '000000')), /OVS_KEY_ATTR_MPLS: payload is 5 bytes, not a multiple of 4/);
    assert.throws(() => decodeFlowKey(hex('1000 1000', '0a00 0800', '0102 80 00 ffff', '0000')), /OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS: 2 trailing bytes/);
  });
  it('rejects a duplicate attribute', () => {
    assert.throws(() => decodeFlowKey(hex('0800 0300 01000000', '0800 0300 02000000')), /duplicate OVS_KEY_ATTR_IN_PORT/);
  });
  it('rejects an attribute running past the buffer', () => {
    assert.throws(() => decodeFlowKey(hex('1000 0400 525400123401')), RangeError);
  });
  it('rejects bad addresses and out-of-range numbers on encode, naming the attribute', () => {
    assert.throws(() => encodeFlowKey({ ethernet: { src: '52:54:00:12:34', dst: '00:00:00:00:00:00' } }), /OVS_KEY_ATTR_ETHERNET: invalid MAC/);
    assert.throws(() => encodeFlowKey({ ipv4: { src: '10.0.0.256', dst: '1.1.1.1', proto: 0, tos: 0, ttl: 0, frag: 0 } }), /invalid IPv4/);
    assert.throws(() => encodeFlowKey({ ipv6: { src: '1::2::3', dst: '::', label: 0, proto: 0, tclass: 0, hlimit: 0, frag: 0 } }), /invalid IPv6/);
    assert.throws(() => encodeFlowKey({ ipv6: { src: '1:2:3:4:5:6:7', dst: '::', label: 0, proto: 0, tclass: 0, hlimit: 0, frag: 0 } }), /invalid IPv6/);
    assert.throws(() => encodeFlowKey({ tcp: { src: 65536, dst: 0 } }), RangeError);
    assert.throws(() => encodeFlowKey({ ctLabels: Buffer.alloc(8) }), /OVS_KEY_ATTR_CT_LABELS: ctLabels must be 16 bytes/);
    assert.throws(() => encodeFlowKey({ mpls: [{ label: 1 << 20, tc: 0, ttl: 0, bos: 0 }] }), /OVS_KEY_ATTR_MPLS: MPLS entry 0 out of range/);
    assert.throws(() => encodeFlowKey({ tunnel: { ipv4Dst: '1.1.1' } }), /OVS_TUNNEL_KEY_ATTR_IPV4_DST: invalid IPv4/);
    assert.throws(() => encodeFlowKey({ tunnel: { geneve: [{ class: 1, type: 1, length: 32, reserved: 0, data: hex('') }] } }), /Geneve option 0: length is 5 bits/);
    assert.throws(() => encodeFlowKey({ nsh: { md1: [1, 2, 3] } }), /OVS_NSH_KEY_ATTR_MD1: md1 has 4 context words/);
    assert.throws(() => encodeFlowKey({ nsh: { base: { flags: 0, ttl: 0, mdtype: 1, np: 0, spi: 1 << 24, si: 0 } } }), /NSH spi is 24 bits/);
  });
});

describe('formatFlowKey: ovs-dpctl 3.1 text', () => {
  const eth = { src: '52:54:00:12:34:01', dst: '52:54:00:12:34:02' };
  const ipv4 = { src: '10.0.0.1', dst: '10.0.0.2', proto: 1, tos: 0, ttl: 64, frag: 0 };
  const exactEth = { src: 'ff:ff:ff:ff:ff:ff', dst: 'ff:ff:ff:ff:ff:ff' };
  const fragOnly = { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0xff };

  it('prints a VLAN megaflow with its ENCAP', () => {
    const key: OdpFlowKey = { inPort: 1, ethernet: eth, ethertype: 0x8100, vlan: 0x100a, encap: { ethertype: 0x0800, ipv4, icmp: { type: 8, code: 0 } } };
    const mask: OdpFlowKey = { inPort: 0xffffffff, ethernet: exactEth, ethertype: 0xffff, vlan: 0xffff, encap: { ethertype: 0xffff, ipv4: fragOnly } };
    assert.equal(formatFlowKey(key, mask),
      'in_port(1),eth(src=52:54:00:12:34:01,dst=52:54:00:12:34:02),eth_type(0x8100),vlan(vid=10,pcp=0),encap(eth_type(0x0800),ipv4(frag=no))');
  });

  it('prints conntrack state as flags (+/- when partially masked, numbers when verbose)', () => {
    const key: OdpFlowKey = { recircId: 1, ctState: 0x22, ctZone: 5, ctMark: 0x10, ctLabels: Buffer.alloc(16) };
    const mask: OdpFlowKey = { recircId: 0xffffffff, ctState: 0x21, ctZone: 0xffff, ctMark: 0xf0, ctLabels: Buffer.alloc(16) };
    assert.equal(formatFlowKey(key, mask), 'recirc_id(0x1),ct_state(-new+trk),ct_zone(0x5),ct_mark(0x10/0xf0)');
    assert.equal(formatFlowKey(key, mask, { verbose: true }), 'recirc_id(0x1),ct_state(0x22/0x21),ct_zone(0x5),ct_mark(0x10/0xf0),ct_label(0/0)');
    assert.equal(formatFlowKey({ ctState: 0x22 }, { ctState: 0xffffffff }), 'ct_state(est|trk)');
    assert.equal(formatFlowKey({ ctState: 0x122 }, { ctState: 0xffffffff }), 'ct_state(est|trk|0x100)');
    assert.equal(formatFlowKey({ ctState: 0x22 }, { ctState: 0xff }), 'ct_state(-new+est-rel-rpl-inv+trk-snat-dnat)');
    assert.equal(formatFlowKey({ ctState: 0x100 }, { ctState: 0x100 }), 'ct_state(+[Unknown])');
  });

  it('prints ct labels as one 128-bit host-order number', () => {
    assert.equal(formatFlowKey({ ctLabels: hex('0102030405060708090a0b0c0d0e0f10') }), 'ct_label(0x100f0e0d0c0b0a090807060504030201)');
  });

  it('prints a VLAN TCI without CFI and a partially masked vid', () => {
    assert.equal(formatFlowKey({ vlan: 0x000a }, { vlan: 0x0ff0 }), 'vlan(vid=10/0xff0,cfi=0)');
    assert.equal(formatVlanTci(0x2000, 0xffff, false), 'vid=0,pcp=1,cfi=0');
    assert.equal(formatVlanTci(0x2000, 0xf000, false), 'pcp=1,cfi=0');
    assert.equal(formatVlanTci(0x1000, 0xffff, true), 'vid=0,pcp=0');
  });

  it('prints OVS_KEY_ATTR_IPV6_EXTHDRS as OVS 3.1 does: by number, always with its mask', () => {
    assert.equal(formatFlowKey({ ipv6Exthdrs: 0 }, { ipv6Exthdrs: 0 }), 'key32(00 00/00 00)');
    assert.equal(formatFlowKey({ ipv6Exthdrs: 0x0104 }, { ipv6Exthdrs: 0xffff }), 'key32(04 01/ff ff)');
    assert.equal(formatFlowKey({ ipv6Exthdrs: 0x0104 }), 'key32(04 01)');
  });

  it('prints the tunnel flags from the ID and flag attributes of key and mask', () => {
    const key: OdpFlowKey = { tunnel: { id: 0x2an, ipv4Dst: '1.1.1.1', ttl: 64, csum: true } };
    assert.equal(formatFlowKey(key, { tunnel: { id: 0xffffffffffffffffn, ipv4Dst: '255.255.255.255', ttl: 0xff, dontFragment: true, csum: true } }),
      'tunnel(tun_id=0x2a,dst=1.1.1.1,ttl=64,flags(-df+csum+key))');
    assert.equal(formatFlowKey(key, { tunnel: { id: 0xffn, ttl: 0, dontFragment: true, csum: true, oam: true } }),
      'tunnel(tun_id=0x2a/0xff,flags(csum|key))');
    assert.equal(formatFlowKey(key, { tunnel: { ttl: 0 } }, { verbose: true }),
      'tunnel(tun_id=0x2a/0,dst=1.1.1.1/0.0.0.0,ttl=64/0,flags(+key))');
    // Without a mask (set actions, unmasked keys) OVS prints tun_id only when verbose.
    assert.equal(formatFlowKey(key, undefined, { verbose: false }), 'tunnel(dst=1.1.1.1,ttl=64,flags(csum|key))');
    assert.equal(formatFlowKey(key), 'tunnel(tun_id=0x2a,dst=1.1.1.1,ttl=64,flags(csum|key))');
  });

  it('prints tunnel options: geneve TLVs, vxlan gbp and erspan, with OVS\'s mask forms', () => {
    const geneve = { class: 0x102, type: 0x80, length: 1, reserved: 0, data: hex('a0b0c0d0') };
    assert.equal(formatFlowKey({ tunnel: { geneve: [geneve] } }, { tunnel: { geneve: [{ class: 0xffff, type: 0xff, length: 0x1f, reserved: 0, data: hex('ffff0000') }] } }),
      'tunnel(geneve({class=0x102,type=0x80,len=4,0xa0b0c0d0/0xffff0000}))');
    assert.equal(formatFlowKey({ tunnel: { geneve: [geneve] } }, { tunnel: { geneve: [{ class: 0xff00, type: 0, length: 0x1f, reserved: 0, data: hex('00000000') }] } }),
      'tunnel(geneve({class=0x102/0xff00,len=4}))');
    assert.equal(formatFlowKey({ tunnel: { geneve: [{ ...geneve, length: 2 }] } }), 'tunnel(geneve(opt len 12 greater than remaining 8),flags(0))');
    assert.equal(formatFlowKey({ tunnel: { vxlan: { gbp: 0x1000a } } }, { tunnel: { vxlan: { gbp: 0xff } } }), 'tunnel(vxlan(gbp(id=10/0xff)))');
    assert.equal(formatFlowKey({ tunnel: { erspan: { version: 1, index: 7 } } }), 'tunnel(erspan(ver=1,idx=0x7),flags(0))');
    assert.equal(formatFlowKey({ tunnel: { erspan: { version: 1, index: 7 } } }, { tunnel: { erspan: { version: 0xffffffff, index: 0xffffffff } } }),
      'tunnel(erspan(ver=1,idx=0x7/0xffffffff))', 'a v1 index always shows its mask');
    const md2 = { timestamp: 0, sgt: 0, hwid: 0x17, ft: 0, p: 0, o: 0, gra: 0, dir: 1 };
    assert.equal(formatFlowKey({ tunnel: { erspan: { version: 2, md2 } } }), 'tunnel(erspan(ver=2,dir=1,hwid=0x7),flags(0))', 'hwid shows its low 4 bits');
  });

  it('prints the kernel\'s IPV4_INFO_BRIDGE flag (OVS 3.1\'s GTP-U number) as an unknown tunnel attribute', () => {
    assert.equal(formatFlowKey({ tunnel: { ipv4Dst: '1.1.1.1', ipv4InfoBridge: true } }), 'tunnel(key16(),dst=1.1.1.1,flags(0))');
    assert.equal(formatFlowKey({ tunnel: { other: [{ type: 16, data: hex('3001') }] } }), 'tunnel(gtpu(flags=0x30,msgtype=1),flags(0))');
    assert.equal(formatFlowKey({ tunnel: { other: [{ type: 20, data: hex('01') }] } }), 'tunnel(key20(01),flags(0))');
  });

  it('prints NSH with and without a mask', () => {
    const nsh = { base: { flags: 0, ttl: 63, mdtype: 1, np: 3, spi: 0x123, si: 255 }, md1: [1, 2, 3, 4] };
    assert.equal(formatFlowKey({ nsh }), 'nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x123,si=255,c1=0x1,c2=0x2,c3=0x3,c4=0x4)');
    assert.equal(formatFlowKey({ nsh: { base: { ...nsh.base, mdtype: 2 } } }), 'nsh(flags=0,ttl=63,mdtype=2,np=3,spi=0x123,si=255)');
    assert.equal(formatFlowKey({ nsh }, { nsh: { base: { flags: 0, ttl: 0, mdtype: 0xff, np: 0, spi: 0xffffff, si: 0x0f }, md1: [0, 0xffff0000, 0, 0] } }),
      'nsh(mdtype=1,spi=0x123,si=0xff/0x0f,c2=0x2/0xffff0000)');
    // A mask without MD1 counts as all ones there, as in OVS (context words print, zero).
    assert.equal(formatFlowKey({ nsh: { base: nsh.base } }, { nsh: { base: { flags: 0, ttl: 0, mdtype: 0, np: 0, spi: 0, si: 0 } } }),
      'nsh(c1=0x0,c2=0x0,c3=0x0,c4=0x0)');
  });

  it('prints MPLS, exact and masked', () => {
    const mpls = [{ label: 100, tc: 3, ttl: 64, bos: 1 }];
    assert.equal(formatFlowKey({ mpls }, { mpls: [{ label: 0xfffff, tc: 7, ttl: 0xff, bos: 1 }] }), 'mpls(label=100,tc=3,ttl=64,bos=1)');
    assert.equal(formatFlowKey({ mpls }, { mpls: [{ label: 0xff, tc: 0, ttl: 0, bos: 1 }] }), 'mpls(label=100/0xff,tc=3/0,ttl=64/0x0,bos=1/1)');
  });

  it('prints packet_type and nd_ext (OVS userspace attributes) as OVS does', () => {
    assert.equal(formatFlowKey({ packetType: { ns: 1, id: 0x800 } }, { packetType: { ns: 0xffff, id: 0 } }), 'packet_type(ns=1)');
    assert.equal(formatFlowKey({ ndExtensions: { ndReserved: 0, ndOptionsType: 3 } }, { ndExtensions: { ndReserved: 0xff, ndOptionsType: 0 } }),
      'nd_ext(nd_reserved=0x0)', 'nd_reserved prints whatever its mask');
  });

  it('hides an all-wildcard Ethernet only when packet_type says the packet is not Ethernet', () => {
    const key: OdpFlowKey = { packetType: { ns: 1, id: 0x800 }, ethernet: { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' } };
    const wildEth = { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' };
    assert.equal(formatFlowKey(key, { packetType: { ns: 0xffff, id: 0xffff }, ethernet: wildEth }), 'packet_type(ns=1,id=0x800)');
    assert.equal(formatFlowKey(key, { packetType: { ns: 0, id: 0 }, ethernet: wildEth }), 'eth()');
  });

  it('appends eth_type(0/mask) when only the mask has an ethertype', () => {
    assert.equal(formatFlowKey({ inPort: 1 }, { inPort: 0xffffffff, ethertype: 0 }), 'in_port(1),eth_type(0/0x0000)');
  });

  it('prints in_port by name (--names) only when exactly matched', () => {
    const names = new Map([[1, 'eth0']]);
    assert.equal(formatFlowKey({ inPort: 1 }, { inPort: 0xffffffff }, { portNames: names }), 'in_port(eth0)');
    assert.equal(formatFlowKey({ inPort: 1 }, { inPort: 0xffff }, { portNames: names }), 'in_port(1/0xffff)');
    assert.equal(formatFlowKey({ inPort: 2 }, { inPort: 0xffffffff }, { portNames: names }), 'in_port(2)');
  });

  it('prints an IPv4 frag partial mask as OVS\'s error text', () => {
    assert.equal(formatFlowKey({ ipv4: { ...ipv4, frag: 1 } }, { ipv4: { ...fragOnly, frag: 0x0f } }), 'ipv4(error: partial mask not supported for frag (0xf))');
  });
});

describe('formatFlowKeyBytes: OVS 3.1\'s output for malformed attributes', () => {
  it('prints <empty> for no attributes', () => {
    assert.equal(formatFlowKeyBytes(Buffer.alloc(0)), '<empty>');
    assert.equal(formatFlowKeyBytes(Buffer.alloc(0), Buffer.alloc(0)), '<empty>');
  });
  it('prints a wrong-sized attribute as hex with the expected length', () => {
    assert.equal(formatFlowKeyBytes(hex('0600 0300 0200 0000')), '(bad key length 2, expected 4)(02 00)');
    assert.equal(formatFlowKeyBytes(hex('0800 0300 02000000'), hex('0600 0300 ffff 0000')),
      '02 00 00 00/(bad mask length 2, expected 4)(ff ff)');
    assert.equal(formatKeyAttr(OVS_KEY_ATTR_TCP_FLAGS, hex('00'), undefined, false), '(bad key length 1, expected 2)(00)');
  });
  it('prints leftover bytes after the last whole attribute', () => {
    assert.equal(formatFlowKeyBytes(hex('0800 0300 01000000', '010203')), 'in_port(1),***3 leftover bytes*** (010203)');
    assert.equal(formatFlowKeyBytes(hex('ff00 0300')), '<empty>,***4 leftover bytes*** (ff000300)');
  });
  it('leaves the parenthesis open after a bad MPLS length, as OVS does', () => {
    assert.equal(formatFlowKeyBytes(hex('0900 1500', '0001410100', '000000')), 'mpls((bad key length 5)');
  });
  it('prints unknown and kernel-internal attribute types as hex, with their mask', () => {
    assert.equal(formatFlowKeyBytes(attr(40, hex('beef')), attr(40, hex('ffff'))), 'key40(be ef/ff ff)');
    assert.equal(formatFlowKeyBytes(attr(OVS_KEY_ATTR_UNSPEC, hex(''))), 'unspec()');
    assert.equal(formatFlowKeyBytes(attr(OVS_KEY_ATTR_TUNNEL_INFO, hex(''))), '<error: kernel-only tunnel_info>()');
  });
  it('formats one attribute for set actions (format_odp_key_attr)', () => {
    assert.equal(formatKeyAttr(OVS_KEY_ATTR_TUNNEL, encodeTunnelKey({ id: 5n, ipv4Dst: '1.1.1.1', ttl: 64, dontFragment: true }), undefined, true),
      'tunnel(tun_id=0x5,dst=1.1.1.1,ttl=64,flags(df|key))');
    assert.equal(formatKeyAttr(OVS_KEY_ATTR_ETHERNET, hex('525400123401 000000000000'), hex('ffffffffffff 000000000000'), false),
      'eth(src=52:54:00:12:34:01)');
    assert.equal(formatKeyAttr(OVS_KEY_ATTR_IN_PORT, hex('01000000'), undefined, false, new Map([[1, 'p1']])), 'in_port(p1)');
    assert.equal(formatKeyAttr(OVS_KEY_ATTR_NSH, encodeFlowKey({ nsh: { base: { flags: 0, ttl: 1, mdtype: 2, np: 1, spi: 1, si: 2 } } }).subarray(4), undefined, false),
      'nsh(flags=0,ttl=1,mdtype=2,np=1,spi=0x1,si=2)');
    assert.equal(formatKeyAttr(OVS_KEY_ATTR_IPV6, Buffer.alloc(40), undefined, false),
      'ipv6(src=::,dst=::,label=0,proto=0,tclass=0,hlimit=0,frag=no)');
  });
});

describe('applyFlowMask: a megaflow\'s identity, key AND mask as the kernel keeps it', () => {
  it('masks every byte, recursing into ENCAP, TUNNEL (and VXLAN_OPTS) and NSH, and drops what the mask lacks', () => {
    const key: OdpFlowKey = {
      inPort: 3, skbMark: 7,
      tunnel: { id: 0x1234n, ipv4Dst: '10.1.2.3', ttl: 64, dontFragment: true, csum: true, vxlan: { gbp: 0x1000a } },
      ethertype: 0x8100, vlan: 0x300a,
      encap: { ethertype: 0x8847, mpls: [{ label: 0x12345, tc: 5, ttl: 64, bos: 1 }] },
      nsh: { base: { flags: 1, ttl: 2, mdtype: 1, np: 3, spi: 0x123456, si: 9 }, md1: [1, 2, 3, 4] },
    };
    const mask: OdpFlowKey = {
      inPort: 0xffffffff,
      tunnel: { id: 0xff00n, ipv4Dst: '255.255.0.0', ttl: 0, dontFragment: true, vxlan: { gbp: 0xff } },
      ethertype: 0xffff, vlan: 0x1fff,
      encap: { ethertype: 0xffff, mpls: [{ label: 0xff, tc: 7, ttl: 0, bos: 1 }] },
      nsh: { base: { flags: 0, ttl: 0, mdtype: 0xff, np: 0, spi: 0xffff, si: 0 }, md1: [0, 0xff, 0, 0] },
    };
    assert.deepStrictEqual(applyFlowMask(key, mask), {
      inPort: 3,
      tunnel: { id: 0x1200n, ipv4Dst: '10.1.0.0', ttl: 0, dontFragment: true, vxlan: { gbp: 0xa } },
      ethertype: 0x8100, vlan: 0x100a,
      encap: { ethertype: 0x8847, mpls: [{ label: 0x45, tc: 5, ttl: 0, bos: 1 }] },
      nsh: { base: { flags: 0, ttl: 0, mdtype: 1, np: 0, spi: 0x3456, si: 0 }, md1: [0, 2, 0, 0] },
    });
  });

  it('walks the kernel\'s own keys and masks: idempotent, and a mask masked by itself is itself', () => {
    for (const f of KERNEL.flows) {
      const key = Buffer.from(f.key, 'hex');
      const mask = Buffer.from(f.mask, 'hex');
      const once = maskFlowKeyBytes(key, mask);
      assert.equal(maskFlowKeyBytes(once, mask).toString('hex'), once.toString('hex'), f.added);
      assert.equal(maskFlowKeyBytes(mask, mask).toString('hex'), f.mask, f.added);
    }
  });

  it('clears the bits a kernel dump shows as "value/mask" (the kernel dumps UFID-less flows unmasked)', () => {
    const f = KERNEL.flows.find((x) => x.dumpFlows.includes('dst=10.1.2.3/255.255.0.255')) as KernelFlow;
    const masked = maskFlowKeyBytes(Buffer.from(f.key, 'hex'), Buffer.from(f.mask, 'hex'));
    assert.match(formatFlowKeyBytes(masked, Buffer.from(f.mask, 'hex')), /dst=10\.1\.0\.3\/255\.255\.0\.255/);
  });
});
