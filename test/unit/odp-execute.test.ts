import { test } from 'node:test';
import assert from 'node:assert/strict';
import { odpExecuteActions } from '../../src/ofproto-dpif/odp-execute';
import { flowExtract } from '../../src/ofproto-dpif/flow-extract';
import { get, getIpv4, getMac, S } from '../../src/ofproto-dpif/flow';

function csum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** CRC32c, bit by bit (RFC 3309), as SCTP stores it. */
function crc32c(b: Uint8Array): number {
  let crc = 0xffffffff;
  for (const x of b) {
    crc ^= x;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  const v = ~crc >>> 0;
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

const ETH = Buffer.from('505400000007505400000005', 'hex');

function ipv4(proto: number, l4: Buffer): Buffer {
  const ip = Buffer.from('45000000000040004000000001020304c0a80002', 'hex');
  ip.writeUInt16BE(20 + l4.length, 2);
  ip[9] = proto;
  ip.writeUInt16BE(csum(ip), 10);
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, proto]), Buffer.from([l4.length >> 8, l4.length & 0xff])]);
  if (proto === 6) l4.writeUInt16BE(csum(Buffer.concat([pseudo, l4])), 16);
  if (proto === 17) l4.writeUInt16BE(csum(Buffer.concat([pseudo, l4])) || 0xffff, 6);
  if (proto === 132) {
    l4.writeUInt32BE(0, 8);
    l4.writeUInt32BE(crc32c(l4), 8);
  }
  return Buffer.concat([ETH, Buffer.from([0x08, 0x00]), ip, l4]);
}

function l4Valid(p: Buffer, proto: number): boolean {
  const ip = p.subarray(14, 34);
  const l4 = p.subarray(34);
  if (proto === 132) {
    const copy = Buffer.from(l4);
    const stored = copy.readUInt32BE(8);
    copy.writeUInt32BE(0, 8);
    return crc32c(copy) === stored;
  }
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, proto]), Buffer.from([l4.length >> 8, l4.length & 0xff])]);
  return csum(Buffer.concat([pseudo, l4])) === 0;
}

const TCP = () => Buffer.from('04d2005000000001000000005018ffff00000000' + '68656c6c6f', 'hex');

test('a masked IPv4 set rewrites the addresses and TTL and keeps the IP and TCP checksums right', () => {
  const p = ipv4(6, TCP());
  const q = odpExecuteActions(p, [{
    type: 'set_masked',
    key: { ipv4: { src: '10.9.8.7', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 5, frag: 0 } },
    mask: { ipv4: { src: '255.255.255.255', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 255, frag: 0 } },
  }]);
  const f = flowExtract(q);
  assert.equal(getIpv4(f, S.nw_src), '10.9.8.7');
  assert.equal(getIpv4(f, S.nw_dst), '192.168.0.2', 'unmasked bits stay');
  assert.equal(get(f, S.nw_ttl), 5);
  assert.equal(csum(q.subarray(14, 34)), 0);
  assert.ok(l4Valid(q, 6));
  assert.ok(l4Valid(p, 6), 'the input is not modified');
  assert.equal(getIpv4(flowExtract(p), S.nw_src), '1.2.3.4');
});

test('TCP and UDP port sets fix their checksums; a UDP checksum of zero stays zero', () => {
  const t = odpExecuteActions(ipv4(6, TCP()), [{ type: 'set', key: { tcp: { src: 1, dst: 2 } } }]);
  assert.deepEqual([get(flowExtract(t), S.tp_src), get(flowExtract(t), S.tp_dst)], [1, 2]);
  assert.ok(l4Valid(t, 6));
  const udp = Buffer.from('0035003500100000' + '0102030405060708', 'hex');
  const u = odpExecuteActions(ipv4(17, udp), [{ type: 'set_masked', key: { udp: { src: 0, dst: 9999 } }, mask: { udp: { src: 0, dst: 0xffff } } }]);
  assert.equal(get(flowExtract(u), S.tp_dst), 9999);
  assert.ok(l4Valid(u, 17));
  const noCsum = ipv4(17, Buffer.from(udp));
  noCsum.writeUInt16BE(0, 40);
  const v = odpExecuteActions(noCsum, [{ type: 'set', key: { udp: { src: 7, dst: 8 } } }]);
  assert.equal(v.readUInt16BE(40), 0);
});

test('an SCTP port set recomputes the CRC32c', () => {
  const sctp = Buffer.from('1388177000000001000000000100000c00000000', 'hex');
  const p = ipv4(132, sctp);
  assert.ok(l4Valid(p, 132), 'fixture');
  const q = odpExecuteActions(p, [{ type: 'set', key: { sctp: { src: 1, dst: 2 } } }]);
  assert.equal(get(flowExtract(q), S.tp_dst), 2);
  assert.ok(l4Valid(q, 132));
});

test('Ethernet sets, push_vlan (TCI written without CFI) and pop_vlan', () => {
  const p = ipv4(6, TCP());
  const q = odpExecuteActions(p, [
    { type: 'set_masked', key: { ethernet: { src: '02:00:00:00:00:01', dst: '00:00:00:00:00:00' } }, mask: { ethernet: { src: 'ff:ff:ff:ff:ff:ff', dst: '00:00:00:00:00:00' } } },
    { type: 'push_vlan', tpid: 0x88a8, tci: 0x1000 | 0x2005 },
    { type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | 7 },
  ]);
  assert.equal(getMac(flowExtract(q), S.dl_src), '02:00:00:00:00:01');
  assert.equal(getMac(flowExtract(q), S.dl_dst), '50:54:00:00:00:07');
  assert.equal(q.toString('hex', 12, 20), '8100000788a82005');
  const r = odpExecuteActions(q, [{ type: 'pop_vlan' }, { type: 'pop_vlan' }, { type: 'output', port: 3 }]);
  assert.deepEqual(r, Buffer.concat([Buffer.from('505400000007020000000001', 'hex'), p.subarray(12)]));
});

test('an IPv6 set changes addresses with the TCP checksum, and traffic class, label and hop limit', () => {
  const tcp = TCP();
  const ip6 = Buffer.alloc(40);
  ip6.writeUInt32BE(0x60000000, 0);
  ip6.writeUInt16BE(tcp.length, 4);
  ip6[6] = 6;
  ip6[7] = 64;
  Buffer.from('20010db8000000000000000000000001', 'hex').copy(ip6, 8);
  Buffer.from('20010db8000000000000000000000002', 'hex').copy(ip6, 24);
  const pseudo = (ip: Buffer, l4: Buffer) => Buffer.concat([ip.subarray(8, 40), Buffer.from([0, 0, l4.length >> 8, l4.length & 0xff, 0, 0, 0, 6])]);
  tcp.writeUInt16BE(csum(Buffer.concat([pseudo(ip6, tcp), tcp])), 16);
  const p = Buffer.concat([ETH, Buffer.from([0x86, 0xdd]), ip6, tcp]);
  const q = odpExecuteActions(p, [{
    type: 'set_masked',
    key: { ipv6: { src: '::', dst: '2001:db8::99', label: 0x12345, proto: 0, tclass: 0x20, hlimit: 9, frag: 0 } },
    mask: { ipv6: { src: '::', dst: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', label: 0xfffff, proto: 0, tclass: 0xfc, hlimit: 0xff, frag: 0 } },
  }]);
  const f = flowExtract(q);
  assert.equal(get(f, S.ipv6_label), 0x12345);
  assert.equal(get(f, S.nw_tos), 0x20);
  assert.equal(get(f, S.nw_ttl), 9);
  assert.equal(q.toString('hex', 38, 54), '20010db8000000000000000000000099');
  const ip = q.subarray(14, 54);
  const l4 = q.subarray(54);
  assert.equal(csum(Buffer.concat([pseudo(ip, l4), l4])), 0);
});
