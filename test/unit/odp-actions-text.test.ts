import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OdpAction, encodeActions, formatActions } from '../../src/genl/actions';
import { OdpActionsParseError, parseOdpActionBytes, parseOdpActions } from '../../src/genl/odp-actions-text';
import { OVS_ACTION_ATTR_SET_MASKED } from '../../src/genl/openvswitch';

function hex(...parts: string[]): string {
  return parts.join('').replace(/\s+/g, '');
}

function bytesOf(text: string, opts?: { portNames?: Map<string, number> }): string {
  return parseOdpActionBytes(text, opts).toString('hex');
}

/** The 48-byte all-zero cookie OVS sends when userspace() names neither a cookie nor userdata. */
const ZERO_COOKIE = '00'.repeat(48);

describe('parseOdpActions: the bytes ovs-dpctl sends', () => {
  const cases: [string, string][] = [
    ['1', hex('0800 0100 01000000')],
    ['1,2', hex('0800 0100 01000000', '0800 0100 02000000')],
    ['', ''],
    ['drop', ''],
    ['DROP', ''],
    ['userspace(pid=1)', hex('4000 0200', '0800 0100 01000000', '3400 0200', ZERO_COOKIE)],
    ['userspace(pid=0x10,userdata(0102030405))', hex('1800 0200', '0800 0100 10000000', '0c00 0200', '0102030405000000')],
    ['userspace(pid=1,userdata(01 02.03),actions)', hex('1c00 0200', '0800 0100 01000000', '0c00 0200', '0102030000000000', '0400 0400')],
    ['userspace(pid=1,userdata(),tunnel_out_port=2)', hex('2000 0200', '0800 0100 01000000', '0c00 0200', '0000000000000000', '0800 0300 02000000')],
    ['userspace(pid=1,sFlow(vid=10,pcp=3,output=2))',
      hex('4000 0200', '0800 0100 01000000', '3400 0200', '0100 0000', 'ffff0000', '00'.repeat(16), '700a 0000', '02000000', '00'.repeat(16))],
    ['userspace(pid=1,slow_path(cfm|0x40))',
      hex('4000 0200', '0800 0100 01000000', '3400 0200', '0200 0000', 'ffff0000', '00'.repeat(16), '0000 0000', '41000000', '00'.repeat(16))],
    ['userspace(pid=1,ipfix(output_port=5))',
      hex('4000 0200', '0800 0100 01000000', '3400 0200', '0400 0000', 'ffff0000', '00'.repeat(16), '05000000', '00'.repeat(20))],
    ['push_vlan(vid=10,pcp=0)', hex('0800 0400 8100 100a')],
    ['push_vlan(vid=10,pcp=0,cfi=0)', hex('0800 0400 8100 000a')],
    ['push_vlan(tpid=0x88a8,vid=100,pcp=3,cfi=1)', hex('0800 0400 88a8 7064')],
    ['pop_vlan,1', hex('0400 0500', '0800 0100 01000000')],
    ['sample(sample=50%,actions(1))', hex('1800 0600', '0800 0100 00000080', '0c00 0200', '0800 0100 01000000')],
    ['sample(sample=%,actions())', hex('1000 0600', '0800 0100 00000000', '0400 0200')],
    ['recirc(010)', hex('0800 0700 0a000000')],
    ['recirc(0x10)', hex('0800 0700 10000000')],
    ['trunc( 100)', hex('0800 0d00 64000000')],
    ['meter(7)', hex('0800 1300 07000000')],
    ['ct_clear', hex('0400 1000')],
    ['ct', hex('0400 0c00')],
    ['ct()', hex('0400 0c00')],
    ['ct(commit,zone=1,mark=0x1/0xff)', hex('1c00 0c00', '0400 0100', '0600 0200 0100 0000', '0c00 0300 01000000 ff000000')],
    ['ct(mark=5)', hex('1000 0c00', '0c00 0300 05000000 ffffffff')],
    ['ct(zone=0,mark=5/0)', hex('0400 0c00')],
    ['ct(force_commit,helper=ftp,timeout=t)', hex('1800 0c00', '0400 0700', '0800 0500 66747000', '0600 0900 7400 0000')],
    ['ct(commit,nat(src,random))', hex('1000 0c00', '0400 0100', '0800 0600', '0400 0100')],
    ['ct(nat(dst=10.0.0.1-10.0.0.1:80-80,persistent))', hex('2000 0c00', '1c00 0600', '0400 0200', '0800 0300 0a000001', '0600 0500 5000 0000', '0400 0700')],
    ['ct(nat(src=[::1]:5))', hex('2800 0c00', '2400 0600', '0400 0100', '1400 0300', '00000000000000000000000000000001', '0600 0500 0500 0000')],
    ['ct(commit,nat(src=10.0.0.1),zone=3)', hex('2000 0c00', '0400 0100', '0600 0200 0300 0000', '1000 0600', '0400 0100', '0800 0300 0a000001')],
    ['clone(1)', hex('0c00 1400', '0800 0100 01000000')],
    ['clone()', hex('0400 1400')],
    ['clone(drop)', hex('0400 1400')],
    ['check_pkt_len(size=100,gt(1),le(DROP))', hex('1c00 1500', '0600 0100 6400 0000', '0c00 0200 0800 0100 01000000', '0400 0300')],
    ['push_nsh(spi=0x5,si=3)', hex('2800 1100', '2400 1c00', '0c00 0100', '003f0103 00000503', '1400 0200', '00'.repeat(16))],
    ['push_nsh(mdtype=2,md2=0x010203)', hex('1c00 1100', '1800 1c00', '0c00 0100', '003f0203 000000ff', '0800 0300', '01020300')],
    ['pop_nsh()', hex('0400 1200')],
    ['add_mpls(label=10,tc=0,ttl=64,bos=1,eth_type=0x8847)', hex('0c00 1600', '0000a140 8847 0000')],
    ['set(skb_mark(5))', hex('0c00 0300', '0800 0f00 05000000')],
    ['set(skb_mark(5/0xffffffff))', hex('0c00 0300', '0800 0f00 05000000')],
    ['set(skb_mark(0x5/0xff))', hex('1000 0b00', '0c00 0f00 05000000 ff000000')],
    ['set(eth(dst=00:11:22:33:44:55)),2', hex('2000 0b00', '1c00 0400', '000000000000 001122334455', '000000000000 ffffffffffff', '0800 0100 02000000')],
    // Extensions: what OVS 3.1 prints but cannot parse.
    ['hash(l4(5))', hex('0c00 0800', '00000000 05000000')],
    ['hash(sym_l4(5))', hex('0c00 0800', '01000000 05000000')],
    ['push_mpls(label=10,tc=0,ttl=64,bos=1,eth_type=0x8847)', hex('0c00 0900', '0000a140 8847 0000')],
    ['pop_mpls(eth_type=0x800)', hex('0600 0a00', '0800 0000')],
    ['push_eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02)', hex('1000 0e00', '000000000001 000000000002')],
    ['pop_eth', hex('0400 0f00')],
    ['dec_ttl(le_1(1))', hex('1000 1700', '0c00 0100', '0800 0100 01000000')],
    ['dec_ttl(le_1(drop))', hex('0800 1700', '0400 0100')],
  ];
  for (const [text, h] of cases) {
    it(`${text || '(empty)'}`, () => assert.equal(bytesOf(text), h));
  }

  it('reads numbers as OVS does: %i takes 0x-hex, 0-octal and a sign, wrapping to 32 bits', () => {
    assert.deepStrictEqual(parseOdpActions('0x3,010,+5,-1'), [
      { type: 'output', port: 3 }, { type: 'output', port: 8 }, { type: 'output', port: 5 }, { type: 'output', port: 0xffffffff },
    ]);
    assert.deepStrictEqual(parseOdpActions(' \t1,\n2 ,, 3 '), [{ type: 'output', port: 1 }, { type: 'output', port: 2 }, { type: 'output', port: 3 }]);
  });

  it('turns a bare port name into output when names are given', () => {
    const portNames = new Map([['eth0', 5], ['br-int', 0]]);
    assert.deepStrictEqual(parseOdpActions('eth0,br-int,2', { portNames }), [{ type: 'output', port: 5 }, { type: 'output', port: 0 }, { type: 'output', port: 2 }]);
  });

  it('keeps a masked set whose value has bits outside its mask as OVS sends it (the kernel refuses it)', () => {
    const [a] = parseOdpActions('set(ipv4(src=1.2.3.4/255.255.255.0))');
    assert.equal(a.type, 'other');
    assert.equal((a as { attrType: number }).attrType, OVS_ACTION_ATTR_SET_MASKED);
  });

  it('sends set(tunnel(...)) as SET only when flags(...) make its mask longer than its value, as OVS does', () => {
    assert.equal(parseOdpActions('set(tunnel(tun_id=0x5,dst=2.2.2.2,ttl=64,flags(df|key)))')[0].type, 'set');
    assert.equal(parseOdpActionBytes('set(tunnel(tun_id=0x5,dst=2.2.2.2))').readUInt16LE(2), OVS_ACTION_ATTR_SET_MASKED);
  });

  it('sends nsh() keys the way the kernel expects them (OVS 3.1 cannot parse nsh() at all)', () => {
    assert.deepStrictEqual(parseOdpActions('set(nsh(mdtype=1,spi=0x20/0xffffff))'), [{
      type: 'set_masked',
      key: { nsh: { base: { flags: 0, ttl: 0, mdtype: 1, np: 0, spi: 0x20, si: 0 }, md1: [0, 0, 0, 0] } },
      mask: { nsh: { base: { flags: 0, ttl: 0, mdtype: 0xff, np: 0, spi: 0xffffff, si: 0 }, md1: [0, 0, 0, 0] } },
    }]);
  });
});

describe('parseOdpActions: errors like OVS, with a position', () => {
  const cases: [string, number, RegExp][] = [
    ['bogus', 0, /unknown action/],
    ['1x', 1, /expected "," between actions/],
    ['push_vlan(vid=1,pcp=0),bogus', 23, /unknown action/],
    ['drop,1', 0, /unknown action/],
    ['push_vlan(vid=4096,pcp=0)', 0, /vid must be 0-4095/],
    ['sample(sample=101%,actions(1))', 0, /unknown action/],
    ['ct(commit,force_commit)', 0, /only one of commit and force_commit/],
    ['ct(nat(src,dst))', 3, /only one of src and dst/],
    ['ct(nat(src=10.0.0.9-10.0.0.1))', 3, /range max below min/],
    ['ct(nat(src=1.2.3.4,hash,random))', 3, /only one of hash and random/],
    ['ct(helper=)', 10, /helper name must be 1-15 characters/],
    ['ct(helper=0123456789abcdef)', 10, /helper name must be 1-15 characters/],
    ['ct(commit,)', 10, /unknown ct option/],
    ['ct(zone=1', 0, /not closed/],
    ['userspace(pid=1,userdata(012))', 27, /pairs of hex digits/],
    ['userspace(pid=1,slow_path(foo))', 26, /unknown slow_path reason/],
    ['userspace(pid=1,foo)', 15, /syntax error in userspace/],
    ['push_nsh(mdtype=3)', 9, /mdtype must be 1 or 2/],
    ['set(foo(1))', 4, /in set\(\): unknown attribute/],
    ['set(eth(),ipv4())', 4, /exactly one key attribute/],
    ['clone(1', 7, /unknown action/],
    ['check_pkt_len(size=1,gt(1))', 25, /gt\(...\),le\(...\)/],
    ['tnl_pop(1)', 0, /userspace datapath/],
    ['lb_output(1)', 0, /userspace datapath/],
    ['1eth', 1, /expected ","/],
  ];
  for (const [text, position, re] of cases) {
    it(`${text} fails at ${position}`, () => {
      assert.throws(() => parseOdpActions(text), (e: unknown) => {
        assert.ok(e instanceof OdpActionsParseError);
        assert.equal(e.position, position, e.message);
        assert.match(e.reason, re);
        if (e.reason.startsWith('expected ","')) return true;
        assert.equal(e.errno, 22);
        assert.match(e.message, /^parsing actions: .* \(Invalid argument\)$/);
        return true;
      });
    });
  }

  it('reports trailing garbage after an action with OVS\'s errno: minus the action\'s length', () => {
    assert.throws(() => parseOdpActions('1x'), (e: unknown) => e instanceof OdpActionsParseError && e.errno === -1 && / \(End of file\)$/.test(e.message));
    assert.throws(() => parseOdpActions('2,pop_vlan2'), (e: unknown) => e instanceof OdpActionsParseError && e.errno === -8 && / \(Unknown error -8\)$/.test(e.message));
  });

  it('fails with E2BIG past 64 KiB of actions', () => {
    const text = new Array(8200).fill('1').join(',');
    assert.throws(() => parseOdpActions(text), (e: unknown) => e instanceof OdpActionsParseError && e.errno === 7 && /Argument list too long/.test(e.message));
  });

  it('fails past 31 levels of nesting, as OVS (MAX_ODP_NESTED)', () => {
    const nest = (n: number) => `${'clone('.repeat(n)}1${')'.repeat(n)}`;
    assert.equal(parseOdpActions(nest(30)).length, 1);
    assert.throws(() => parseOdpActions(nest(31)), /nesting too deep/);
  });
});

interface KernelGolden {
  input: string;
  installedBy: 'ovs-dpctl' | 'ts';
  ovsDpctl: string;
  hex: string;
}

const KERNEL: KernelGolden[] = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/actions.json'), 'utf8'));

describe('parseOdpActions: the bytes the kernel kept for ovs-dpctl', () => {
  // The kernel rewrites ct (it always adds ZONE), check_pkt_len (LESS_EQUAL first) and tunnel
  // sets (its attribute order); everything else it stores as ovs-dpctl sent it.
  const rewritten = /(^|[(,])ct($|[(,])|check_pkt_len|tunnel\(/;
  for (const k of KERNEL.filter((x) => x.installedBy === 'ovs-dpctl' && !rewritten.test(x.input))) {
    it(`${k.input || '(empty)'}`, () => assert.equal(bytesOf(k.input), k.hex));
  }
  for (const k of KERNEL.filter((x) => x.installedBy === 'ovs-dpctl' && rewritten.test(x.input))) {
    it(`${k.input}: prints as ovs-dpctl printed the kernel's version`, () => assert.equal(formatActions(parseOdpActions(k.input)), k.ovsDpctl));
  }
});

// ---------------------------------------------------------------------------------------------
// Property test: format → parse → format is a fixed point, and encodes to the same bytes

/** mulberry32: a small seeded PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(private readonly r: () => number) {}
  int(max: number): number {
    return Math.floor(this.r() * (max + 1));
  }
  u32(): number {
    return this.r() < 0.2 ? [0, 1, 0xffffffff][this.int(2)] : this.int(0xffffffff);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length - 1)];
  }
  bool(): boolean {
    return this.r() < 0.5;
  }
  mac(): string {
    return [...Array(6)].map(() => this.int(255).toString(16).padStart(2, '0')).join(':');
  }
  ip4(): string {
    return [...Array(4)].map(() => this.int(255)).join('.');
  }
  /** `n` random bytes; with `twoDigitFirst` the first is ≥ 0x10, so OVS's ds_put_hex() prints it with two digits. */
  bytes(n: number, twoDigitFirst = false): Buffer {
    const b = Buffer.from([...Array(n)].map(() => this.int(255)));
    if (twoDigitFirst && n) b[0] = 0x10 + this.int(0xef);
    return b;
  }

  /** Actions whose OVS text carries every bit of them (see the file comment of the parser for the exceptions). */
  actions(depth: number): OdpAction[] {
    return [...Array(this.int(depth > 2 ? 1 : 3))].map(() => this.action(depth));
  }

  action(depth: number): OdpAction {
    const kinds: Exclude<OdpAction['type'], 'other'>[] = ['output', 'userspace', 'set', 'set_masked', 'push_vlan', 'pop_vlan', 'recirc', 'hash',
      'push_mpls', 'pop_mpls', 'ct', 'trunc', 'push_eth', 'pop_eth', 'ct_clear', 'push_nsh', 'pop_nsh', 'meter', 'add_mpls',
      ...(depth < 3 ? (['sample', 'clone', 'check_pkt_len', 'dec_ttl'] as const) : [])];
    const k = this.pick(kinds);
    switch (k) {
      case 'output': return { type: 'output', port: this.u32() };
      case 'userspace': return {
        type: 'userspace', pid: this.u32(), userdata: this.bytes(this.pick([8, 12, 16, 40, 64])),
        ...(this.bool() ? { egressTunPort: this.u32() } : {}), ...(this.bool() ? { actions: true } : {}),
      };
      case 'set': return { type: 'set', key: this.pick([{ skbMark: this.u32() }, { priority: this.u32() }, { ethernet: { src: this.mac(), dst: this.mac() } }]) };
      case 'set_masked': {
        const m = this.ip4();
        return {
          type: 'set_masked',
          key: { ipv4: { src: '0.0.0.0', dst: m === '0.0.0.0' ? '0.0.0.0' : '10.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0 } },
          mask: { ipv4: { src: '0.0.0.0', dst: m === '0.0.0.0' ? '0.0.0.0' : '255.0.0.0', proto: 0, tos: 0, ttl: this.pick([0, 0xff]), frag: 0 } },
        };
      }
      case 'push_vlan': return { type: 'push_vlan', tpid: this.pick([0x8100, 0x88a8]), tci: this.int(0xffff) };
      case 'recirc': return { type: 'recirc', id: this.u32() };
      case 'hash': return { type: 'hash', alg: this.int(1), basis: this.u32() };
      case 'push_mpls': return { type: 'push_mpls', lse: this.u32(), ethertype: this.pick([0x8847, 0x8848]) };
      case 'pop_mpls': return { type: 'pop_mpls', ethertype: this.int(0xffff) };
      case 'add_mpls': return { type: 'add_mpls', lse: this.u32(), ethertype: 0x8847, tunFlags: 0 };
      case 'ct': {
        const a: OdpAction = { type: 'ct' };
        if (this.bool()) a.commit = true;
        else if (this.bool()) a.forceCommit = true;
        if (this.bool()) a.zone = 1 + this.int(0xfffe);
        if (this.bool()) a.mark = { value: this.u32(), mask: 1 + this.int(0xfffffffe) };
        if (this.bool()) a.labels = { value: this.bytes(16), mask: Buffer.from(this.bytes(16).fill(0xff, 0, 1)) };
        if (this.bool()) a.helper = this.pick(['ftp', 'tftp', 'sip']);
        if (this.bool()) a.timeout = this.pick(['t1', 'policy-2']);
        if (this.bool()) {
          const ip = this.bool();
          a.nat = ip
            ? { [this.pick(['src', 'dst'])]: true, ipMin: '10.0.0.1', ...(this.bool() ? { ipMax: '10.0.0.9' } : {}),
                ...(this.bool() ? { protoMin: 100, ...(this.bool() ? { protoMax: 200 } : {}) } : {}),
                ...(this.bool() ? { persistent: true } : {}), ...(this.bool() ? { protoHash: true } : this.bool() ? { protoRandom: true } : {}) }
            : this.pick([{}, { src: true }, { dst: true }]);
        }
        return a;
      }
      case 'trunc': return { type: 'trunc', maxLen: this.u32() };
      case 'push_eth': return { type: 'push_eth', src: this.mac(), dst: this.mac() };
      case 'push_nsh': {
        const base = { flags: this.int(3), ttl: this.int(63), mdtype: 1 + this.int(1), np: this.int(255), spi: this.int(0xffffff), si: this.int(255) };
        return base.mdtype === 1
          ? { type: 'push_nsh', key: { nsh: { base, md1: [this.u32(), this.u32(), this.u32(), this.u32()] } } }
          : { type: 'push_nsh', key: { nsh: { base, md2: this.bytes(4 * (1 + this.int(3)), true) } } };
      }
      case 'meter': return { type: 'meter', id: this.u32() };
      case 'sample': return { type: 'sample', probability: this.pick([0, 0xffffffff]), actions: this.actions(depth + 1) };
      case 'clone': return { type: 'clone', actions: this.actions(depth + 1) };
      case 'check_pkt_len': return { type: 'check_pkt_len', pktLen: 1 + this.int(0xfffe), ifGreater: this.actions(depth + 1), ifLessEqual: this.actions(depth + 1) };
      case 'dec_ttl': return { type: 'dec_ttl', actions: this.actions(depth + 1) };
      default: return { type: k } as OdpAction;
    }
  }
}

describe('parseOdpActions: property test against formatActions', () => {
  it('parses the text of 1000 random action lists back to the same bytes', () => {
    const g = new Gen(prng(20260101));
    for (let i = 0; i < 1000; i++) {
      const actions = g.actions(0);
      const bytes = encodeActions(actions).toString('hex');
      const text = formatActions(actions, { readableDecTtl: true });
      let back: OdpAction[];
      try {
        back = parseOdpActions(text);
      } catch (e) {
        assert.fail(`iteration ${i}: ${text}: ${(e as Error).message}`);
      }
      assert.equal(encodeActions(back).toString('hex'), bytes, `iteration ${i}: ${text}`);
      assert.equal(formatActions(back, { readableDecTtl: true }), text, `iteration ${i}`);
    }
  });

  it('never throws anything but OdpActionsParseError on mangled text', () => {
    const g = new Gen(prng(7));
    for (let i = 0; i < 1000; i++) {
      const text = formatActions(g.actions(0), { readableDecTtl: true });
      const at = g.int(text.length);
      const mangled = text.slice(0, at) + g.pick(['(', ')', ',', '=', '/', 'x', '0x', '-', ' ', '']) + text.slice(at + g.int(2));
      try {
        parseOdpActions(mangled);
      } catch (e) {
        assert.ok(e instanceof OdpActionsParseError, `${mangled}: ${(e as Error).stack}`);
      }
    }
  });
});
