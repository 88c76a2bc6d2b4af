import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeDpMessage,
  decodeFlowMessage,
  decodePacketMessage,
  decodeVportMessage,
  encodeDpMessage,
  encodeFlowMessage,
  encodePacketMessage,
  encodeVportMessage,
  FlowMessage,
  PacketMessage,
} from '../../src/genl/messages';
import { encodeFlowKey, formatFlowKey } from '../../src/genl/flow-key';
import {
  OVS_DP_F_DISPATCH_UPCALL_PER_CPU,
  OVS_DP_F_UNALIGNED,
  OVS_DP_F_VPORT_PIDS,
  OVS_PACKET_CMD_MISS,
  OVS_PACKET_HASH_L4_BIT,
  OVS_PACKET_HASH_SW_BIT,
  OVS_UFID_F_OMIT_ACTIONS,
  OVS_UFID_F_OMIT_KEY,
  OVS_UFID_F_OMIT_MASK,
  OVS_VPORT_TYPE_INTERNAL,
  OVS_VPORT_TYPE_NETDEV,
} from '../../src/genl/openvswitch';

/** Bytes from hex written with free spacing. Each nlattr is `nla_len(u16 LE) nla_type(u16 LE) payload pad`. */
function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

const FEATURES = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS | OVS_DP_F_DISPATCH_UPCALL_PER_CPU;
const UFID = hex('00112233445566778899aabbccddeeff');
const TERSE = OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_MASK | OVS_UFID_F_OMIT_ACTIONS;

/** A 42-byte ICMP echo request 10.0.0.1 → 10.0.0.2, 52:54:00:12:34:01 → 52:54:00:12:34:02. */
const FRAME = hex(
  '525400123402 525400123401 0800', // Ethernet
  '4500 001c 1234 4000 4001 14ab 0a000001 0a000002', // IPv4, checksum 0x14ab
  '0800 f7fd 0001 0001', // ICMP echo request
);
const ETH = { src: '52:54:00:12:34:01', dst: '52:54:00:12:34:02' };
const IPV4 = { src: '10.0.0.1', dst: '10.0.0.2', proto: 1, tos: 0, ttl: 64, frag: 0 };

describe('ovs_datapath messages', () => {
  it('encodes OVS_DP_CMD_NEW with name, upcall pid and user features', () => {
    const bytes = hex(
      '00000000', // struct ovs_header { int dp_ifindex = 0 }
      '0f00 0100', '6f76732d73797374656d 00', '00', // OVS_DP_ATTR_NAME "ovs-system\0", 1 byte pad
      '0800 0200', 'd2040000', // OVS_DP_ATTR_UPCALL_PID u32 1234
      '0800 0500', '0b000000', // OVS_DP_ATTR_USER_FEATURES UNALIGNED|VPORT_PIDS|DISPATCH_UPCALL_PER_CPU
    );
    const m = { dpIfindex: 0, name: 'ovs-system', upcallPid: 1234, userFeatures: FEATURES };
    assert.equal(encodeDpMessage(m).toString('hex'), bytes.toString('hex'));
    assert.deepStrictEqual(decodeDpMessage(bytes), m);
  });

  it('encodes OVS_DP_CMD_GET by name', () => {
    const bytes = hex('00000000', '0f00 0100', '6f76732d73797374656d 00', '00');
    assert.equal(encodeDpMessage({ dpIfindex: 0, name: 'ovs-system' }).toString('hex'), bytes.toString('hex'));
  });

  it('encodes OVS_DP_CMD_SET with per-CPU upcall pids', () => {
    const bytes = hex(
      '07000000', // dp_ifindex 7
      '0800 0500', '0b000000', // OVS_DP_ATTR_USER_FEATURES
      '1400 0800', 'e9030000 ea030000 eb030000 ec030000', // OVS_DP_ATTR_PER_CPU_PIDS u32[4]: 1001..1004
    );
    const m = { dpIfindex: 7, userFeatures: FEATURES, perCpuPids: [1001, 1002, 1003, 1004] };
    assert.equal(encodeDpMessage(m).toString('hex'), bytes.toString('hex'));
    assert.deepStrictEqual(decodeDpMessage(bytes), m);
  });

  it('decodes a datapath notification with stats and megaflow stats', () => {
    const bytes = hex(
      '07000000',
      '0f00 0100', '6f76732d73797374656d 00', '00', // NAME
      '2400 0300', // OVS_DP_ATTR_STATS: struct ovs_dp_stats
      '6400000000000000', // n_hit 100
      '0500000000000000', // n_missed 5
      '0000000000000000', // n_lost 0
      '0300000000000000', // n_flows 3
      '2400 0400', // OVS_DP_ATTR_MEGAFLOW_STATS: struct ovs_dp_megaflow_stats
      'c800000000000000', // n_mask_hit 200
      '02000000', // n_masks 2
      '00000000', // pad0
      '9600000000000000', // n_cache_hit 150
      '0000000000000000', // pad1
      '0800 0500', '0b000000', // USER_FEATURES
      '0800 0700', '00010000', // OVS_DP_ATTR_MASKS_CACHE_SIZE 256
    );
    const m = decodeDpMessage(bytes);
    assert.deepStrictEqual(m, {
      dpIfindex: 7,
      name: 'ovs-system',
      stats: { hit: 100n, missed: 5n, lost: 0n, flows: 3n },
      megaflowStats: { maskHit: 200n, masks: 2, cacheHit: 150n },
      userFeatures: FEATURES,
      masksCacheSize: 256,
    });
    assert.equal(encodeDpMessage(m).toString('hex'), bytes.toString('hex'));
  });

  it('ignores the kernel\'s zero-length OVS_DP_ATTR_PAD and rejects wrong-sized stats', () => {
    assert.deepStrictEqual(decodeDpMessage(hex('01000000', '0400 0600', '0800 0200 01000000')), { dpIfindex: 1, upcallPid: 1 });
    assert.throws(() => decodeDpMessage(hex('01000000', '0c00 0300', '0000000000000000')), /OVS_DP_ATTR_STATS: payload is 8 bytes, expected 32/);
    assert.throws(() => decodeDpMessage(hex('01000000', '0a00 0800', '010000000200', '0000')), /OVS_DP_ATTR_PER_CPU_PIDS: payload is 6 bytes, not a multiple of 4/);
    assert.throws(() => decodeDpMessage(hex('0100')), /shorter than struct ovs_header/);
  });
});

describe('ovs_vport messages', () => {
  it('encodes OVS_VPORT_CMD_NEW for an internal port "br0"', () => {
    const bytes = hex(
      '07000000', // dp_ifindex 7
      '0800 0200', '02000000', // OVS_VPORT_ATTR_TYPE OVS_VPORT_TYPE_INTERNAL
      '0800 0300', '62723000', // OVS_VPORT_ATTR_NAME "br0\0"
      '0800 0500', 'd2040000', // OVS_VPORT_ATTR_UPCALL_PID u32[1]: 1234
    );
    const m = { dpIfindex: 7, type: OVS_VPORT_TYPE_INTERNAL, name: 'br0', upcallPids: [1234] };
    assert.equal(encodeVportMessage(m).toString('hex'), bytes.toString('hex'));
    assert.deepStrictEqual(decodeVportMessage(bytes), m);
  });

  it('encodes OVS_VPORT_CMD_NEW for a netdev "v1" with an upcall pid array', () => {
    const bytes = hex(
      '07000000',
      '0800 0200', '01000000', // TYPE OVS_VPORT_TYPE_NETDEV
      '0700 0300', '763100', '00', // NAME "v1\0", 1 byte pad
      '0c00 0500', 'd2040000 d3040000', // UPCALL_PID u32[2]: 1234, 1235
    );
    const m = { dpIfindex: 7, type: OVS_VPORT_TYPE_NETDEV, name: 'v1', upcallPids: [1234, 1235] };
    assert.equal(encodeVportMessage(m).toString('hex'), bytes.toString('hex'));
    assert.deepStrictEqual(decodeVportMessage(bytes), m);
  });

  it('decodes a vport reply in the kernel\'s attribute order', () => {
    const bytes = hex(
      '07000000',
      '0800 0100', '03000000', // PORT_NO 3
      '0800 0200', '01000000', // TYPE NETDEV
      '0700 0300', '763100', '00', // NAME "v1"
      '0800 0800', '0c000000', // IFINDEX 12
      '4400 0600', // STATS: struct ovs_vport_stats, 8 x u64
      '0a00000000000000', '1400000000000000', // rx_packets 10, tx_packets 20
      'e803000000000000', 'd007000000000000', // rx_bytes 1000, tx_bytes 2000
      '0000000000000000', '0000000000000000', // rx_errors, tx_errors
      '0100000000000000', '0200000000000000', // rx_dropped 1, tx_dropped 2
      '0800 0500', 'd2040000', // UPCALL_PID [1234]
      '0800 0900', 'ffffffff', // NETNSID -1 (s32)
    );
    const m = decodeVportMessage(bytes);
    assert.deepStrictEqual(m, {
      dpIfindex: 7, portNo: 3, type: OVS_VPORT_TYPE_NETDEV, name: 'v1', ifindex: 12, upcallPids: [1234], netnsid: -1,
      stats: { rxPackets: 10n, txPackets: 20n, rxBytes: 1000n, txBytes: 2000n, rxErrors: 0n, txErrors: 0n, rxDropped: 1n, txDropped: 2n },
    });
    assert.deepStrictEqual(decodeVportMessage(encodeVportMessage(m)), m);
  });

  it('carries OVS_VPORT_ATTR_OPTIONS verbatim', () => {
    const options = hex('0600 0100 12b5 0000'); // OVS_TUNNEL_ATTR_DST_PORT u16 46354
    const bytes = encodeVportMessage({ dpIfindex: 7, type: 4, name: 'vx', options });
    assert.deepStrictEqual(decodeVportMessage(bytes).options, options);
  });
});

describe('ovs_flow messages', () => {
  const key = { recircId: 0, inPort: 2, ethernet: ETH, ethertype: 0x0800, ipv4: IPV4, icmp: { type: 8, code: 0 } };
  const mask = {
    recircId: 0xffffffff, inPort: 0xffffffff, ethernet: { src: 'ff:ff:ff:ff:ff:ff', dst: 'ff:ff:ff:ff:ff:ff' }, ethertype: 0xffff,
    ipv4: { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0xff },
  };
  const FLOW_NEW = hex(
    '07000000', // dp_ifindex 7
    '4400 0100', // OVS_FLOW_ATTR_KEY, 64 bytes
    '0800 1400', '00000000', //   RECIRC_ID 0
    '0800 0300', '02000000', //   IN_PORT 2
    '1000 0400', '525400123401 525400123402', //   ETHERNET
    '0600 0600', '0800 0000', //   ETHERTYPE 0x0800
    '1000 0700', '0a000001 0a000002 01 00 40 00', //   IPV4 (the kernel expects ICMP below since proto=1)
    '0600 0b00', '0800 0000', //   ICMP type 8 code 0
    '0c00 0200', // OVS_FLOW_ATTR_ACTIONS
    '0800 0100', '03000000', //   OUTPUT 3
    '3c00 0700', // OVS_FLOW_ATTR_MASK, 56 bytes
    '0800 1400', 'ffffffff', //   RECIRC_ID exact
    '0800 0300', 'ffffffff', //   IN_PORT exact
    '1000 0400', 'ffffffffffff ffffffffffff', //   ETHERNET exact
    '0600 0600', 'ffff 0000', //   ETHERTYPE exact
    '1000 0700', '00000000 00000000 00 00 00 ff', //   IPV4: frag only
    '1400 0900', '00112233445566778899aabbccddeeff', // OVS_FLOW_ATTR_UFID
  );

  it('encodes OVS_FLOW_CMD_NEW for an L2 megaflow → output 3', () => {
    const m: FlowMessage = { dpIfindex: 7, key, mask, actions: [{ type: 'output', port: 3 }], ufid: UFID };
    assert.equal(encodeFlowMessage(m).toString('hex'), FLOW_NEW.toString('hex'));
    const d = decodeFlowMessage(FLOW_NEW);
    assert.deepStrictEqual(d, { ...m, keyRaw: FLOW_NEW.subarray(8, 8 + 64) });
    assert.equal(encodeFlowMessage(d).toString('hex'), FLOW_NEW.toString('hex'));
    assert.equal(formatFlowKey(d.key!, d.mask),
      'recirc_id(0),in_port(2),eth(src=52:54:00:12:34:01,dst=52:54:00:12:34:02),eth_type(0x0800),ipv4(frag=no)');
  });

  it('writes keyRaw verbatim instead of key', () => {
    const raw = hex('0800 0300 05000000');
    const bytes = encodeFlowMessage({ dpIfindex: 1, key: { inPort: 9 }, keyRaw: raw });
    assert.equal(bytes.toString('hex'), hex('01000000', '0c00 0100', '0800 0300 05000000').toString('hex'));
  });

  it('encodes an empty action list as an empty OVS_FLOW_ATTR_ACTIONS (drop)', () => {
    const bytes = encodeFlowMessage({ dpIfindex: 1, actions: [] });
    assert.equal(bytes.toString('hex'), hex('01000000', '0400 0200').toString('hex'));
    assert.deepStrictEqual(decodeFlowMessage(bytes).actions, []);
  });

  it('encodes OVS_FLOW_CMD_DEL by UFID with terse flags', () => {
    const bytes = hex(
      '07000000',
      '1400 0900', '00112233445566778899aabbccddeeff', // UFID
      '0800 0a00', '07000000', // UFID_FLAGS OMIT_KEY|OMIT_MASK|OMIT_ACTIONS
    );
    const m = { dpIfindex: 7, ufid: UFID, ufidFlags: TERSE };
    assert.equal(encodeFlowMessage(m).toString('hex'), bytes.toString('hex'));
    assert.deepStrictEqual(decodeFlowMessage(bytes), m);
  });

  it('encodes an OVS_FLOW_CMD_GET dump request with UFID flags', () => {
    const bytes = hex('07000000', '0800 0a00', '07000000');
    assert.equal(encodeFlowMessage({ dpIfindex: 7, ufidFlags: TERSE }).toString('hex'), bytes.toString('hex'));
  });

  it('encodes OVS_FLOW_CMD_SET with CLEAR and PROBE flags', () => {
    const bytes = hex('07000000', '0400 0600', '0400 0800', '1400 0900', '00112233445566778899aabbccddeeff');
    const m = { dpIfindex: 7, clear: true, probe: true, ufid: UFID };
    assert.equal(encodeFlowMessage(m).toString('hex'), bytes.toString('hex'));
    assert.deepStrictEqual(decodeFlowMessage(bytes), m);
  });

  it('decodes a terse dump reply (kernel order: UFID, USED, STATS, TCP_FLAGS)', () => {
    const bytes = hex(
      '07000000',
      '1400 0900', '00112233445566778899aabbccddeeff', // UFID
      '0c00 0500', '15cd5b0700000000', // USED u64 123456789 ms
      '1400 0300', '0a00000000000000', 'd403000000000000', // STATS: struct ovs_flow_stats { n_packets 10; n_bytes 980; }
      '0500 0400', '12', '000000', // TCP_FLAGS u8 0x12, padded
    );
    assert.deepStrictEqual(decodeFlowMessage(bytes), {
      dpIfindex: 7, ufid: UFID, used: 123456789n, stats: { packets: 10n, bytes: 980n }, tcpFlags: 0x12,
    });
  });

  it('rejects a UFID longer than 16 bytes and wrong-sized attributes', () => {
    assert.throws(() => encodeFlowMessage({ dpIfindex: 1, ufid: Buffer.alloc(17) }), /OVS_FLOW_ATTR_UFID must be 1-16 bytes, got 17/);
    assert.throws(() => decodeFlowMessage(hex('01000000', '0800 0500', '01000000')), /OVS_FLOW_ATTR_USED: payload is 4 bytes, expected 8/);
    assert.throws(() => decodeFlowMessage(hex('01000000', '0c00 0100', '0600 0300 0200 0000')), /OVS_KEY_ATTR_IN_PORT: payload is 2 bytes/);
  });
});

describe('ovs_packet messages', () => {
  it('encodes OVS_PACKET_CMD_EXECUTE with packet, metadata key and actions', () => {
    const bytes = hex(
      '07000000', // dp_ifindex 7
      '2e00 0100', FRAME.toString('hex'), '0000', // OVS_PACKET_ATTR_PACKET, 42 bytes + 2 pad
      '1c00 0200', // OVS_PACKET_ATTR_KEY, 24 bytes
      '0800 0200', '00000000', //   PRIORITY 0
      '0800 0300', '02000000', //   IN_PORT 2
      '0800 0f00', '00000000', //   SKB_MARK 0
      '0c00 0300', '0800 0100', '03000000', // OVS_PACKET_ATTR_ACTIONS: OUTPUT 3
    );
    const m: PacketMessage = {
      dpIfindex: 7, packet: FRAME, key: { priority: 0, inPort: 2, skbMark: 0 }, actions: [{ type: 'output', port: 3 }],
    };
    assert.equal(encodePacketMessage(m).toString('hex'), bytes.toString('hex'));
    const d = decodePacketMessage(bytes);
    assert.deepStrictEqual(d, { ...m, keyRaw: bytes.subarray(56, 80) });
  });

  it('encodes MRU (u16), LEN (u32), HASH (u64) and PROBE', () => {
    const bytes = hex(
      '01000000',
      '0400 0800', // PROBE
      '0600 0900', 'dc05', '0000', // MRU 1500
      '0800 0a00', '00040000', // LEN 1024
      '0c00 0b00', '34125a5a 03000000', // HASH 0x5a5a1234 | SW_BIT | L4_BIT
    );
    const m = { dpIfindex: 1, probe: true, mru: 1500, len: 1024, hash: 0x5a5a1234 + OVS_PACKET_HASH_SW_BIT + OVS_PACKET_HASH_L4_BIT };
    assert.equal(encodePacketMessage(m).toString('hex'), bytes.toString('hex'));
    assert.deepStrictEqual(decodePacketMessage(bytes), m);
  });

  // A MISS upcall as queue_userspace_packet() builds it: KEY first (kernel key order), then
  // HASH, then PACKET last and unpadded (OVS_DP_F_UNALIGNED).
  const CT_TUPLE = hex('0a000001 0a000002 0008 0000 01 000000');
  const UPCALL_KEY = hex(
    '0800 1400', '01000000', // RECIRC_ID 1
    '0800 1300', '00000000', // DP_HASH 0
    '0800 0200', '00000000', // PRIORITY 0
    '0800 0300', '02000000', // IN_PORT 2
    '0800 0f00', '00000000', // SKB_MARK 0
    '0800 1600', '21000000', // CT_STATE trk|new
    '0600 1700', '0000 0000', // CT_ZONE 0
    '0800 1800', '00000000', // CT_MARK 0
    '1400 1900', '00000000000000000000000000000000', // CT_LABELS
    '1400 1a00', CT_TUPLE.toString('hex'), // CT_ORIG_TUPLE_IPV4 { src, dst, src_port=htons(8) (icmp type), dst_port=0, proto=1 } + 3 pad
    '1000 0400', '525400123401 525400123402', // ETHERNET
    '0600 0600', '0800 0000', // ETHERTYPE
    '1000 0700', '0a000001 0a000002 01 00 40 00', // IPV4
    '0600 0b00', '0800 0000', // ICMP echo request
  );
  const MISS = hex(
    '07000000',
    '9c00 0200', UPCALL_KEY.toString('hex'), // OVS_PACKET_ATTR_KEY, 152 bytes
    '0c00 0b00', '34125a5a 03000000', // OVS_PACKET_ATTR_HASH
    '2e00 0100', FRAME.toString('hex'), // OVS_PACKET_ATTR_PACKET, 42 bytes, no trailing pad
  );

  it('decodes a realistic MISS upcall', () => {
    const d = decodePacketMessage(MISS, OVS_PACKET_CMD_MISS);
    assert.deepStrictEqual(d, {
      dpIfindex: 7,
      cmd: OVS_PACKET_CMD_MISS,
      packet: FRAME,
      keyRaw: UPCALL_KEY,
      key: {
        recircId: 1, dpHash: 0, priority: 0, inPort: 2, skbMark: 0,
        ctState: 0x21, ctZone: 0, ctMark: 0, ctLabels: Buffer.alloc(16),
        ctOrigTupleIpv4: { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 8, dstPort: 0, proto: 1 },
        ethernet: ETH, ethertype: 0x0800, ipv4: IPV4, icmp: { type: 8, code: 0 },
      },
      hash: 0x35a5a1234,
    });
    assert.equal(d.packet!.length, 42);
  });

  it('re-encodes the upcall key byte for byte (canonical order is the kernel\'s)', () => {
    const d = decodePacketMessage(MISS);
    assert.equal(encodeFlowKey(d.key!).toString('hex'), UPCALL_KEY.toString('hex'));
  });

  it('formats the upcall key as OVS logs it', () => {
    const d = decodePacketMessage(MISS);
    assert.equal(formatFlowKey(d.key!),
      'recirc_id(0x1),dp_hash(0),skb_priority(0),in_port(2),skb_mark(0),ct_state(0x21),ct_zone(0),ct_mark(0),ct_label(0),' +
      'ct_tuple4(src=10.0.0.1,dst=10.0.0.2,proto=1,tp_src=8,tp_dst=0),' +
      'eth(src=52:54:00:12:34:01,dst=52:54:00:12:34:02),eth_type(0x0800),' +
      'ipv4(src=10.0.0.1,dst=10.0.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)');
  });

  it('builds an EXECUTE from the upcall reusing the raw key', () => {
    const d = decodePacketMessage(MISS);
    const exec = encodePacketMessage({ dpIfindex: d.dpIfindex, packet: d.packet, keyRaw: d.keyRaw, actions: [{ type: 'output', port: 3 }] });
    const back = decodePacketMessage(exec);
    assert.deepStrictEqual(back.keyRaw, UPCALL_KEY);
    assert.deepStrictEqual(back.packet, FRAME);
    assert.deepStrictEqual(back.actions, [{ type: 'output', port: 3 }]);
  });

  it('rejects wrong-sized packet attributes', () => {
    assert.throws(() => decodePacketMessage(hex('01000000', '0800 0900', 'dc050000')), /OVS_PACKET_ATTR_MRU: payload is 4 bytes, expected 2/);
    assert.throws(() => decodePacketMessage(hex('01000000', '0800 0b00', '01000000')), /OVS_PACKET_ATTR_HASH: payload is 4 bytes, expected 8/);
  });
});
