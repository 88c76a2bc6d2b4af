/**
 * The netdev layer of ts-dpctl: device types, tunnel options and their validation, the datapath
 * port names of tunnels, and OVS's string-map iteration order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetlinkError } from '../../src/genl/netlink';
import { ERRNO, Netdev, NetdevRegistry, atoi, strtok, strtol } from '../../src/dpctl/netdev';
import { DpctlOutput } from '../../src/dpctl/output';
import { StringHmap, hashString, ssetOrder } from '../../src/dpctl/hash';
import type { LinkInfo, LinkOps } from '../../src/dpctl/rtnl';
import { decodeTunnelOptions, encodeTunnelOptions } from '../../src/dpif-netlink/dpif';

/** Links that exist, for `system` devices; everything else is ENODEV. */
function fakeLinks(names: string[]): LinkOps {
  const get = async (name: string): Promise<LinkInfo> => {
    if (!names.includes(name)) throw new NetlinkError(19, `RTM_GETLINK ${name}`);
    return { ifindex: 5, flags: 0, name };
  };
  const nope = async (): Promise<never> => {
    throw new Error('unexpected link change in a unit test');
  };
  return { getLink: get, createLink: nope, deleteLink: nope, setMtu: nope, setFlags: nope, close: () => undefined };
}

function registry(links: string[] = []): { reg: NetdevRegistry; out: DpctlOutput } {
  const out = new DpctlOutput('ovs-dpctl', undefined, () => new Date('2026-01-02T03:04:05Z'));
  return { reg: new NetdevRegistry(out, () => fakeLinks(links)), out };
}

function smap(pairs: [string, string][]): StringHmap<string> {
  const m = new StringHmap<string>();
  for (const [k, v] of pairs) m.insert(k, v);
  return m;
}

async function open(reg: NetdevRegistry, name: string, type: string): Promise<Netdev> {
  const d = await reg.open(name, type);
  assert.ok(d instanceof Netdev, `${name} ${type} opens (got ${String(d)})`);
  return d;
}

test('system devices must exist; internal ones need not; unknown types are refused with a warning', async () => {
  const { reg, out } = registry(['va']);
  assert.ok((await reg.open('va', 'system')) instanceof Netdev);
  assert.equal(await reg.open('nosuch', 'system'), ERRNO.ENODEV);
  assert.ok((await reg.open('int0', 'internal')) instanceof Netdev);
  assert.equal(await reg.open('bad0', 'bogus'), ERRNO.EAFNOSUPPORT);
  assert.equal(await reg.open('', 'system'), ERRNO.EINVAL);
  assert.equal(await reg.open('va', 'internal'), ERRNO.EEXIST, 'a name open as another type');
  assert.equal(out.stderr, '2026-01-02T03:04:05Z|00001|netdev|WARN|could not create netdev bad0 of unknown type bogus\n');
});

test('tunnels become datapath ports named after their class and UDP port', async () => {
  const { reg } = registry();
  const vx = await open(reg, 'vx0', 'vxlan');
  assert.equal(vx.dpifPortName(), 'vxlan_sys_4789');
  const gv = await open(reg, 'gv0', 'geneve');
  assert.equal(reg.setConfig(gv, smap([['remote_ip', '10.0.0.2'], ['dst_port', '6082']]), true).error, 0);
  assert.equal(gv.dpifPortName(), 'genev_sys_6082');
  const gr = await open(reg, 'gr0', 'gre');
  assert.equal(gr.dpifPortName(), 'gre_sys');
});

test('a tunnel opened by its datapath port name takes the UDP port from the name and shows OVS defaults', async () => {
  const { reg } = registry();
  const vx = await open(reg, 'vxlan_sys_4790', 'vxlan');
  assert.deepEqual(reg.getConfig(vx).entries().sort(), [['dst_port', '4790'], ['packet_type', 'ptap']]);
  const gr = await open(reg, 'gre_sys', 'gre');
  assert.deepEqual(reg.getConfig(gr).entries(), [['packet_type', 'ptap']]);
  const gv = await open(reg, 'genev_sys_6081', 'geneve');
  assert.deepEqual(reg.getConfig(gv).entries(), [['packet_type', 'ptap']]);
});

test('tunnel configuration is validated with OVS messages, logged by netdev_vport and netdev', async () => {
  const { reg, out } = registry();
  const vx = await open(reg, 'vx0', 'vxlan');
  const r = reg.setConfig(vx, smap([]), true);
  assert.deepEqual(r, { error: ERRNO.EINVAL, message: "vx0: vxlan type requires valid 'remote_ip' argument" });
  assert.equal(out.stderr,
    "2026-01-02T03:04:05Z|00001|netdev_vport|WARN|vx0: vxlan type requires valid 'remote_ip' argument\n"
    + '2026-01-02T03:04:05Z|00002|netdev|WARN|vx0: could not set configuration (Invalid argument)\n');
  // add-if passes no errp: the same logs, no message back.
  assert.deepEqual(reg.setConfig(vx, smap([]), false), { error: ERRNO.EINVAL });
});

test('non-fatal tunnel option errors are logged and the configuration still applies', async () => {
  const { reg, out } = registry();
  const vx = await open(reg, 'vx9', 'vxlan');
  const args = smap([['remote_ip', '10.0.0.9'], ['foo', '1'], ['tos', '3'], ['exts', 'gbp,bad'], ['ttl', '5']]);
  assert.deepEqual(reg.setConfig(vx, args, true), { error: 0 });
  const lines = out.stderr.replace(/^[^|]*\|\d+\|netdev_vport\|WARN\|/, '').trimEnd().split('\n').sort();
  assert.deepEqual(lines, ["vx9: invalid TOS 3", "vx9: unknown extension 'bad'", "vx9: unknown vxlan argument 'foo'"]);
  assert.deepEqual(reg.getConfig(vx).entries().sort(), [['remote_ip', '10.0.0.9'], ['ttl', '5']]);
  assert.equal(vx.tnl?.exts, 1 << 1, 'GBP');
});

test('multicast and malformed remote_ip values', async () => {
  const { reg, out } = registry();
  const vx = await open(reg, 'vx0', 'vxlan');
  assert.deepEqual(reg.setConfig(vx, smap([['remote_ip', '224.0.0.1']]), true), { error: ERRNO.EINVAL, message: 'vx0: multicast remote_ip=224.0.0.1 not allowed' });
  const gv = await open(reg, 'gv0', 'geneve');
  const r = reg.setConfig(gv, smap([['remote_ip', 'not-an-ip']]), true);
  assert.equal(r.error, ERRNO.EINVAL);
  assert.equal(r.message, "gv0: bad geneve 'remote_ip'\ngv0: geneve type requires valid 'remote_ip' argument");
  assert.match(out.stderr, /\|socket_util\|ERR\|"not-an-ip" is not a valid IP address\n/);
});

test('VXLAN-GBP and plain VXLAN cannot share a UDP port', async () => {
  const { reg } = registry();
  await open(reg, 'vxlan_sys_4790', 'vxlan');
  const vx2 = await open(reg, 'vx2', 'vxlan');
  const r = reg.setConfig(vx2, smap([['remote_ip', 'flow'], ['dst_port', '4790'], ['exts', 'gbp']]), true);
  assert.equal(r.error, ERRNO.EEXIST);
  assert.equal(r.message, "vx2: VXLAN-GBP, and non-VXLAN-GBP tunnels can't be configured on the same dst_port");
});

test('packet_type must suit the tunnel type', async () => {
  const { reg } = registry();
  const vx = await open(reg, 'vx0', 'vxlan');
  assert.equal(reg.setConfig(vx, smap([['remote_ip', '1.1.1.1'], ['packet_type', 'legacy_l3']]), true).message,
    'vx0: legacy_l3 configured on VXLAN (without GPE) tunnel that cannot carry L3 traffic');
  const gr = await open(reg, 'gr0', 'gre');
  assert.equal(reg.setConfig(gr, smap([['remote_ip', '1.1.1.1'], ['packet_type', 'legacy_l3']]), true).error, 0);
  assert.deepEqual(reg.getConfig(gr).entries().sort(), [['packet_type', 'legacy_l3'], ['remote_ip', '1.1.1.1']]);
});

test('devices that take no options warn when given some', async () => {
  const { reg, out } = registry(['va']);
  const va = await open(reg, 'va', 'system');
  assert.deepEqual(reg.setConfig(va, smap([['foo', 'bar']]), true), { error: 0, message: 'va: arguments provided to device that is not configurable' });
  assert.deepEqual(reg.setConfig(va, smap([]), true), { error: 0 });
  assert.match(out.stderr, /\|00001\|netdev\|WARN\|va: arguments provided to device that is not configurable\n$/);
});

test('C string helpers behave like strtok_r, atoi and strtol', () => {
  assert.deepEqual(strtok(',,va,,type=x', ','), { token: 'va', rest: ',type=x' });
  assert.equal(strtok(',,,', ','), undefined);
  assert.deepEqual(strtok('=5', '='), { token: '5', rest: '' });
  assert.equal(atoi(' 12abc'), 12);
  assert.equal(atoi('-1'), -1);
  assert.equal(atoi('x'), 0);
  assert.equal(atoi('4294967297'), 1, 'wraps like a 32-bit int');
  assert.deepEqual(strtol('0x1c', 0), { value: 28, end: 4 });
  assert.deepEqual(strtol('010', 0), { value: 8, end: 3 });
  assert.deepEqual(strtol('12z', 10), { value: 12, end: 2 });
  assert.deepEqual(strtol('zz', 0), { value: 0, end: 0 });
  assert.deepEqual(strtol('ff', 16), { value: 255, end: 2 });
});

test('string sets iterate in OVS hash order (dp2 before dp0, as ovs-dpctl lists them)', () => {
  assert.deepEqual(ssetOrder(['dp0', 'dp2']), ['dp2', 'dp0']);
  assert.deepEqual(ssetOrder(['dp2', 'dp0']), ['dp2', 'dp0']);
  assert.deepEqual(ssetOrder(['a', 'a']), ['a']);
  assert.equal(hashString(''), hashString('', 0));
  assert.notEqual(hashString('dp0'), hashString('dp1'));
});

test('a string map keeps its slots when keys are replaced or removed', () => {
  const m = smap([['a', '1'], ['b', '2'], ['c', '3']]);
  const order = m.entries().map(([k]) => k);
  m.set('b', '9');
  assert.deepEqual(m.entries().map(([k]) => k), order);
  assert.equal(m.get('b'), '9');
  assert.equal(m.delete('a'), true);
  assert.equal(m.delete('a'), false);
  assert.deepEqual(m.entries().map(([k]) => k), order.filter((k) => k !== 'a'));
  assert.equal(m.size, 2);
});

test('compat tunnel vports carry OVS_TUNNEL_ATTR_DST_PORT and a nest of extension flags', () => {
  const b = encodeTunnelOptions({ dstPort: 4789, exts: 1 << 1 });
  assert.equal(b?.toString('hex'), '06000100b5120000' + '0800020004000100');
  assert.deepEqual(decodeTunnelOptions(b as Buffer), { dstPort: 4789, exts: 2 });
  assert.equal(encodeTunnelOptions({}), undefined, 'no options attribute when there is nothing to say');
  assert.equal(encodeTunnelOptions({ dstPort: 0, exts: 0 }), undefined);
});
