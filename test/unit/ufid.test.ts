import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskFlowKey, megaflowUfid, formatUfid } from '../../src/dpif-netlink/ufid';
import type { OdpFlowKey } from '../../src/genl/flow-key';

const key = (ipSrc: string, ttl: number): OdpFlowKey => ({
  recircId: 0,
  inPort: 2,
  ethernet: { src: '0a:00:00:00:00:01', dst: '0a:00:00:00:00:02' },
  ethertype: 0x0800,
  ipv4: { src: ipSrc, dst: '10.0.0.2', proto: 1, tos: 0, ttl, frag: 0 },
  icmp: { type: 8, code: 0 },
});
const l2Mask: OdpFlowKey = {
  recircId: 0xffffffff,
  inPort: 0xffffffff,
  ethernet: { src: 'ff:ff:ff:ff:ff:ff', dst: 'ff:ff:ff:ff:ff:ff' },
  ethertype: 0xffff,
  ipv4: { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0xff },
};

test('packets of one megaflow get one UFID, whatever their wildcarded fields', () => {
  assert.deepEqual(megaflowUfid(key('10.0.0.1', 64), l2Mask), megaflowUfid(key('10.9.9.9', 3), l2Mask));
  assert.equal(megaflowUfid(key('10.0.0.1', 64), l2Mask).length, 16);
});

test('a different mask or a different matched value gives a different UFID', () => {
  const exactSrc = { ...l2Mask, ipv4: { ...l2Mask.ipv4!, src: '255.255.255.255' } };
  assert.notDeepEqual(megaflowUfid(key('10.0.0.1', 64), l2Mask), megaflowUfid(key('10.0.0.1', 64), exactSrc));
  const other = { ...key('10.0.0.1', 64), inPort: 3 };
  assert.notDeepEqual(megaflowUfid(key('10.0.0.1', 64), l2Mask), megaflowUfid(other, l2Mask));
});

test('masking keeps only masked bits, drops attributes the mask lacks, and masks IPv6', () => {
  const m = maskFlowKey(key('10.1.2.3', 64), { ...l2Mask, ipv4: { ...l2Mask.ipv4!, src: '255.255.0.0' } });
  assert.equal(m.ipv4!.src, '10.1.0.0');
  assert.equal(m.ipv4!.ttl, 0);
  assert.equal(m.icmp, undefined);
  const v6 = maskFlowKey(
    { ipv6: { src: '2001:db8::1', dst: 'fe80::1', label: 5, proto: 58, tclass: 0, hlimit: 64, frag: 0 } },
    { ipv6: { src: 'ffff:ffff::', dst: '::', label: 0, proto: 0xff, tclass: 0, hlimit: 0, frag: 0xff } },
  );
  assert.equal(v6.ipv6!.src, '2001:db8:0:0:0:0:0:0');
  assert.equal(v6.ipv6!.dst, '0:0:0:0:0:0:0:0');
  assert.equal(v6.ipv6!.proto, 58);
});

test('UFIDs print as ovs-dpctl prints them', () => {
  assert.equal(formatUfid(Buffer.from('00112233445566778899aabbccddeeff', 'hex')), 'ufid:00112233-4455-6677-8899-aabbccddeeff');
});

test('an IPv6 address that is 17 characters long is masked as IPv6, not as a MAC', () => {
  const k: OdpFlowKey = { ethertype: 0x86dd, ipv6: { src: 'fe80::e0cb:3ff:fe6', dst: 'ff02::1:ff00:1', label: 0, proto: 58, tclass: 0, hlimit: 255, frag: 0 } };
  const m: OdpFlowKey = { ethertype: 0xffff, ipv6: { src: '::', dst: '::', label: 0, proto: 0, tclass: 0, hlimit: 0, frag: 0xff } };
  assert.equal(maskFlowKey(k, m).ipv6!.src, '0:0:0:0:0:0:0:0');
  assert.equal(megaflowUfid(k, m).length, 16);
});
