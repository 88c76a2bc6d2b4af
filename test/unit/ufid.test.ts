import { test } from 'node:test';
import assert from 'node:assert/strict';
import { megaflowUfid, formatUfid } from '../../src/dpif-netlink/ufid';
import { encodeFlowKey, type OdpFlowKey } from '../../src/genl/flow-key';

const key = (ipSrc: string, ttl: number): Buffer =>
  encodeFlowKey({
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
  const m = encodeFlowKey(l2Mask);
  assert.deepEqual(megaflowUfid(key('10.0.0.1', 64), m), megaflowUfid(key('10.9.9.9', 3), m));
  assert.equal(megaflowUfid(key('10.0.0.1', 64), m).length, 16);
});

test('a different mask or a different matched value gives a different UFID', () => {
  const m = encodeFlowKey(l2Mask);
  const exactSrc = encodeFlowKey({ ...l2Mask, ipv4: { ...l2Mask.ipv4!, src: '255.255.255.255' } });
  assert.notDeepEqual(megaflowUfid(key('10.0.0.1', 64), m), megaflowUfid(key('10.0.0.1', 64), exactSrc));
  assert.notDeepEqual(megaflowUfid(key('10.0.0.1', 64), exactSrc), megaflowUfid(key('10.0.0.2', 64), exactSrc));
});

test('keys of every shape hash, MPLS label stacks and IPv6 included', () => {
  const mpls = encodeFlowKey({ inPort: 1, ethernet: { src: '0a:00:00:00:00:01', dst: '0a:00:00:00:00:02' }, ethertype: 0x8847, mpls: [{ label: 100, tc: 0, ttl: 64, bos: 1 }] } as OdpFlowKey);
  const mplsMask = encodeFlowKey({ inPort: 0xffffffff, ethertype: 0xffff, mpls: [{ label: 0xfffff, tc: 0, ttl: 0, bos: 1 }] } as OdpFlowKey);
  assert.equal(megaflowUfid(mpls, mplsMask).length, 16);
  const v6 = encodeFlowKey({ ethertype: 0x86dd, ipv6: { src: 'fe80::e0cb:3ff:fe6', dst: 'ff02::1:ff00:1', label: 0, proto: 58, tclass: 0, hlimit: 255, frag: 0 }, icmpv6: { type: 135, code: 0 } } as OdpFlowKey);
  const v6Mask = encodeFlowKey({ ethertype: 0xffff, ipv6: { src: '::', dst: '::', label: 0, proto: 0, tclass: 0, hlimit: 0, frag: 0xff } });
  assert.equal(megaflowUfid(v6, v6Mask).length, 16);
});

test('UFIDs print as ovs-dpctl prints them: four host-order 32-bit words', () => {
  assert.equal(formatUfid(Buffer.from('00112233445566778899aabbccddeeff', 'hex')), 'ufid:33221100-7766-5544-bbaa-9988ffeeddcc');
});
