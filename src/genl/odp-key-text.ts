/**
 * Parser of the ODP flow key/match text: what `ovs-dpctl add-flow`, `mod-flow` and `del-flow`
 * accept (ovs-dpctl(8)), with the semantics of Open vSwitch 3.1's `odp_flow_from_string()`
 * (lib/odp-util.c), e.g.
 * `in_port(1),eth(src=00:01:02:03:04:05/ff:ff:ff:00:00:00),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6,frag=no),tcp(dst=80)`.
 *
 * Semantics, as OVS: attributes come in any order, separated by commas, spaces or nothing;
 * every attribute named gets a key and a mask attribute; a field not named is zero in the key
 * and wildcarded (zero) in the mask; a field named without `/mask` is exact. Numbers are C
 * integers (decimal, 0x hex, 0 octal, a leading sign) truncated to the field's width, as OVS's
 * `ovs_scan()` stores them; fields may repeat (the last wins). The key is then built like OVS
 * builds its netlink buffer and decoded with ./flow-key, so `key` and `mask` are canonical
 * {@link OdpFlowKey} objects.
 *
 * Beyond OVS 3.1 (so that everything {@link formatFlowKey} prints parses back): `nsh(ttl=…)`,
 * `ct_tuple6(src_port=…,dst_port=…)` (OVS prints these names but only parses `tp_src`/`tp_dst`),
 * and `keyN(hh hh …/hh hh …)` for attributes OVS 3.1 prints by number (IPv6 extension headers
 * are `key32`). Refused although OVS parses it: `gtpu(…)` inside `tunnel(…)`, an OVS-userspace
 * option whose attribute number the kernel uses for IPV4_INFO_BRIDGE; and duplicate attributes,
 * which OVS passes on for the kernel to refuse.
 */
import { attr } from './nlattr';
import {
  decodeFlowKey,
  ODP_FLAG_NAMES,
  ODP_STRUCT_LAYOUTS,
  OdpFlowKey,
  OdpStructLayout,
  writeOdpField,
} from './flow-key';
import {
  OVS_KEY_ATTR_CT_LABELS,
  OVS_KEY_ATTR_CT_MARK,
  OVS_KEY_ATTR_CT_STATE,
  OVS_KEY_ATTR_CT_ZONE,
  OVS_KEY_ATTR_DP_HASH,
  OVS_KEY_ATTR_ENCAP,
  OVS_KEY_ATTR_ETHERTYPE,
  OVS_KEY_ATTR_IN_PORT,
  OVS_KEY_ATTR_MPLS,
  OVS_KEY_ATTR_NSH,
  OVS_KEY_ATTR_PRIORITY,
  OVS_KEY_ATTR_RECIRC_ID,
  OVS_KEY_ATTR_SKB_MARK,
  OVS_KEY_ATTR_TCP_FLAGS,
  OVS_KEY_ATTR_TUNNEL,
  OVS_KEY_ATTR_VLAN,
  OVS_NSH_KEY_ATTR_BASE,
  OVS_NSH_KEY_ATTR_MD1,
  OVS_TUNNEL_KEY_ATTR_CSUM,
  OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT,
  OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS,
  OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS,
  OVS_TUNNEL_KEY_ATTR_ID,
  OVS_TUNNEL_KEY_ATTR_IPV4_DST,
  OVS_TUNNEL_KEY_ATTR_IPV4_SRC,
  OVS_TUNNEL_KEY_ATTR_IPV6_DST,
  OVS_TUNNEL_KEY_ATTR_IPV6_SRC,
  OVS_TUNNEL_KEY_ATTR_OAM,
  OVS_TUNNEL_KEY_ATTR_TOS,
  OVS_TUNNEL_KEY_ATTR_TP_DST,
  OVS_TUNNEL_KEY_ATTR_TP_SRC,
  OVS_TUNNEL_KEY_ATTR_TTL,
  OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS,
  OVS_VXLAN_EXT_GBP,
} from './openvswitch';

/**
 * A syntax error in ODP key text. `message` is OVS's wording, `syntax error at <text from the
 * failing top-level attribute on>` (ovs-dpctl prints it as `parsing flow key (…)`);
 * `position` is that attribute's offset. `reason` and `reasonPosition` say more precisely
 * what failed where (OVS does not).
 */
export class OdpParseError extends SyntaxError {
  override readonly name = 'OdpParseError';
  /** errno OVS returns with it: EINVAL, or E2BIG for an attribute over 64 KiB. */
  readonly errno: 'EINVAL' | 'E2BIG';
  constructor(
    message: string,
    /** Offset (UTF-16 code units) of the top-level attribute (or UFID) that failed. */
    readonly position: number,
    /** What went wrong, e.g. `invalid IPv4 address`. */
    readonly reason: string,
    /** Offset where the scanner gave up. */
    readonly reasonPosition: number,
    errno: 'EINVAL' | 'E2BIG' = 'EINVAL',
  ) {
    super(message);
    this.errno = errno;
  }
}

/** Options of {@link parseOdpFlowKey}. */
export interface ParseOdpFlowKeyOptions {
  /**
   * Port name → odp port number, for `in_port(NAME)` (ovs-dpctl fills it from the datapath's
   * vports; the local port is named after the datapath). Numbers are accepted regardless.
   */
  portNames?: ReadonlyMap<string, number>;
}

/** The result of {@link parseOdpFlowKey}. */
export interface ParsedOdpFlowKey {
  /** The flow key. */
  key: OdpFlowKey;
  /** Its mask: one attribute per key attribute, zero where a field was not named. */
  mask: OdpFlowKey;
  /**
   * A leading `ufid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, as the 16 OVS_FLOW_ATTR_UFID bytes
   * OVS sends: the UUID's four 32-bit parts in host (little-endian) order.
   */
  ufid?: Buffer;
}

/** Internal failure: unwound to the top level, which reports OVS's message. */
class Fail extends Error {
  constructor(readonly reason: string, readonly at: number, readonly errno: 'EINVAL' | 'E2BIG' = 'EINVAL') {
    super(reason);
  }
}

/** OVS's MAX_ODP_NESTED: nesting depth of encap() at which parsing fails. */
const MAX_ODP_NESTED = 32;
/** NL_ATTR_MAX-ish bound of nl_attr_oversized(): a payload must fit nla_len (u16). */
const NLA_PAYLOAD_MAX = 0xffff - 4;
const DELIMITERS = ', \t\r\n';
const SPACE = ' \t\n\v\f\r';

/** One parsed attribute: key and mask, each a complete netlink attribute. */
interface KeyMask {
  key: Buffer;
  mask: Buffer;
}

function hexit(c: string | undefined): number {
  return c === undefined ? -1 : '0123456789abcdef'.indexOf(c.toLowerCase());
}

/**
 * The scanner: one instance per parse, over the whole text, so positions are absolute.
 * Scanning methods return the offset after what they consumed, or throw {@link Fail}.
 */
class Scanner {
  depth = 0;
  constructor(readonly s: string, readonly portNames: ReadonlyMap<string, number> | undefined) {}

  at(pos: number, lit: string): boolean {
    return this.s.startsWith(lit, pos);
  }

  fail(reason: string, at: number): never {
    throw new Fail(reason, at);
  }

  expect(pos: number, lit: string, what: string): number {
    if (!this.at(pos, lit)) this.fail(`expected "${lit}" ${what}`, pos);
    return pos + lit.length;
  }

  /**
   * `ovs_scan()`'s integer conversion: leading white space, optional sign, base 16 after "0x",
   * else base 8 after "0" (base 0) or `base`; the value truncated to `bits` (two's complement).
   * @returns undefined when there is no digit
   */
  int(pos: number, base: 0 | 10 | 16, bits: number): { v: bigint; end: number } | undefined {
    let p = pos;
    while (p < this.s.length && SPACE.includes(this.s[p])) p++;
    const neg = this.s[p] === '-';
    if (this.s[p] === '-' || this.s[p] === '+') p++;
    let b: number = base;
    if ((b === 0 || b === 16) && this.s[p] === '0' && (this.s[p + 1] === 'x' || this.s[p + 1] === 'X')) {
      b = 16;
      p += 2;
    } else if (b === 0) {
      b = this.s[p] === '0' ? 8 : 10;
    }
    let v = 0n;
    let n = 0;
    for (;;) {
      const d = hexit(this.s[p]);
      if (d < 0 || d >= b) break;
      v = v * BigInt(b) + BigInt(d);
      n++;
      p++;
    }
    if (!n) return undefined;
    return { v: BigInt.asUintN(bits, neg ? -v : v), end: p };
  }

  /** A `%i`-style number with an optional `/mask` (full mask when absent), as scan_u8/16/32/64. */
  numMask(pos: number, bits: number, what: string, withMask = true): { v: bigint; m: bigint; end: number } {
    const k = this.int(pos, 0, bits);
    if (!k) this.fail(`expected a number for ${what}`, pos);
    if (withMask && this.s[k.end] === '/') {
      const m = this.int(k.end + 1, 0, bits);
      if (m) return { v: k.v, m: m.v, end: m.end };
    }
    return { v: k.v, m: BigInt.asUintN(bits, -1n), end: k.end };
  }

  /** ETH_ADDR_SCAN_FMT: six `%hhx` separated by ':'. */
  macAt(pos: number): { b: Buffer; end: number } | undefined {
    const b = Buffer.alloc(6);
    let p = pos;
    for (let i = 0; i < 6; i++) {
      if (i) {
        if (this.s[p] !== ':') return undefined;
        p++;
      }
      const x = this.int(p, 16, 8);
      if (!x) return undefined;
      b[i] = Number(x.v);
      p = x.end;
    }
    return { b, end: p };
  }

  /** IP_SCAN_FMT: four `%hhu` separated by '.'. */
  ipv4At(pos: number): { b: Buffer; end: number } | undefined {
    const b = Buffer.alloc(4);
    let p = pos;
    for (let i = 0; i < 4; i++) {
      if (i) {
        if (this.s[p] !== '.') return undefined;
        p++;
      }
      const x = this.int(p, 10, 8);
      if (!x) return undefined;
      b[i] = Number(x.v);
      p = x.end;
    }
    return { b, end: p };
  }

  /** IPV6_SCAN_FMT (`%46[0-9a-fA-F:.]`) then inet_pton(AF_INET6). */
  ipv6At(pos: number): { b: Buffer; end: number } | undefined {
    let p = pos;
    while (p < this.s.length && p - pos < 46 && /[0-9a-fA-F:.]/.test(this.s[p])) p++;
    if (p === pos) return undefined;
    const b = Buffer.alloc(16);
    try {
      writeOdpField('ipv6', this.s.slice(pos, p), b, 0);
    } catch {
      return undefined;
    }
    return { b, end: p };
  }

  /** An address with an optional `/mask` of the same kind (full mask when absent or unparsable). */
  addrMask(pos: number, kind: 'mac' | 'ipv4' | 'ipv6', what: string): { v: Buffer; m: Buffer; end: number } {
    const scan = (p: number) => (kind === 'mac' ? this.macAt(p) : kind === 'ipv4' ? this.ipv4At(p) : this.ipv6At(p));
    const k = scan(pos);
    if (!k) this.fail(`invalid ${kind === 'mac' ? 'Ethernet' : kind === 'ipv4' ? 'IPv4' : 'IPv6'} address for ${what}`, pos);
    if (this.s[k.end] === '/') {
      const m = scan(k.end + 1);
      if (m) return { v: k.b, m: m.b, end: m.end };
    }
    return { v: k.b, m: Buffer.alloc(k.b.length, 0xff), end: k.end };
  }

  /**
   * parse_int_string(): "0x" + hex digits (white space between them allowed, value
   * right-aligned in `width` bytes), or a C integer (strtoull) of at most 64 bits.
   */
  intString(pos: number, width: number, what: string): { b: Buffer; end: number } {
    const b = Buffer.alloc(width);
    if (this.at(pos, '0x') || this.at(pos, '0X')) {
      let p = pos + 2;
      const digits: number[] = [];
      for (;;) {
        while (p < this.s.length && ' \t\r\n'.includes(this.s[p])) p++;
        const d = hexit(this.s[p]);
        if (d < 0) break;
        if (d !== 0 || digits.length) {
          if (Math.ceil((digits.length + 1) / 2) > width) this.fail(`${what} is wider than ${width} bytes`, pos);
          digits.push(d);
        }
        p++;
      }
      let idx = width;
      for (let i = digits.length - 1; i >= 0; i -= 2) b[--idx] = digits[i] + (i > 0 ? digits[i - 1] << 4 : 0);
      return { b, end: p };
    }
    const x = this.int(pos, 0, 128);
    if (!x || x.v >> 64n) this.fail(`expected a number for ${what}`, pos);
    let v = x.v;
    for (let i = width - 1; i >= 0; i--) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    if (v) this.fail(`${what} is wider than ${width} bytes`, pos);
    return { b, end: x.end };
  }

  /**
   * parse_flags(): `name|name|…` or numbers (unmasked: mask all ones), `+name-name…` (masked),
   * or `value/mask` numbers; names from `names`, bits outside `allowed` refused.
   */
  flags(pos: number, names: Readonly<Record<number, string>>, allowed: number, end: string, what: string): { v: number; m: number; end: number } {
    const nv = this.int(pos, 0, 32);
    const nm = nv && this.s[nv.end] === '/' ? this.int(nv.end + 1, 0, 32) : undefined;
    if (nv && nm) {
      if (Number(nv.v) & ~allowed || Number(nm.v) & ~allowed) this.fail(`unknown ${what} flag(s)`, pos);
      return { v: Number(nv.v), m: Number(nm.v), end: nm.end };
    }
    const bits = Object.keys(names).map(Number).sort((a, b) => a - b);
    let p = pos;
    if (this.s[p] === '+' || this.s[p] === '-') {
      let v = 0;
      let m = 0;
      while (this.s[p] !== end) {
        const set = this.s[p] === '+';
        if (this.s[p] !== '+' && this.s[p] !== '-') this.fail(`${what} flags must be preceded by '+' (for SET) or '-' (NOT SET)`, p);
        p++;
        const bit = bits.find((b) => this.at(p, names[b]) && ['+', '-', end].includes(this.s[p + names[b].length]));
        if (bit === undefined) this.fail(`unknown ${what} flag(s)`, p);
        if (m & bit) this.fail(`each ${what} flag can be specified only once`, p);
        if (!(bit & allowed)) this.fail(`unknown ${what} flag(s)`, p);
        if (set) v |= bit;
        m |= bit;
        p += names[bit].length;
      }
      return { v: v >>> 0, m: m >>> 0, end: p };
    }
    let v = 0;
    while (this.s[p] !== end) {
      const x = this.int(p, 0, 64);
      if (x) {
        if (x.v & ~BigInt(allowed)) this.fail(`unknown ${what} flag(s)`, p);
        v |= Number(x.v);
        p = x.end + (this.s[x.end] === '|' ? 1 : 0);
        continue;
      }
      const bit = bits.find((b) => this.at(p, names[b]) && ['|', end].includes(this.s[p + names[b].length]));
      if (bit === undefined || !(bit & allowed)) this.fail(`unknown ${what} flag(s)`, p);
      v |= bit;
      p += names[bit].length + (this.s[p + names[bit].length] === '|' ? 1 : 0);
    }
    return { v: v >>> 0, m: 0xffffffff, end: p };
  }

  /**
   * SCAN_BEGIN … SCAN_FINISH: `name=value` fields separated by commas up to ')', any order,
   * repeats allowed, a trailing comma tolerated. `field` returns the end offset of a field it
   * recognises at `pos`, or undefined.
   */
  fieldList(pos: number, what: string, field: (pos: number) => number | undefined): number {
    let p = pos;
    for (;;) {
      const end = field(p);
      if (end === undefined) {
        if (this.s[p] !== ')') this.fail(`unknown field or missing ")" in ${what}(…)`, p);
        return p + 1;
      }
      p = end;
      if (this.s[p] === ',') p++;
      else if (this.s[p] === ')') return p + 1;
      else this.fail(`expected "," or ")" in ${what}(…)`, p);
    }
  }
}

function u32le(v: bigint): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(Number(v));
  return b;
}

function u16le(v: bigint): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(Number(v));
  return b;
}

function be16(v: bigint | number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(Number(v));
  return b;
}

function nested(type: number, parts: Buffer[], at: number): Buffer {
  const payload = Buffer.concat(parts);
  if (payload.length > NLA_PAYLOAD_MAX) throw new Fail('attribute too large', at, 'E2BIG');
  return attr(type, payload);
}

/** `name(number[/mask])` attributes: scanned width and payload writer. */
const SINGLES: [string, number, number, (v: bigint) => Buffer][] = [
  ['skb_priority(', OVS_KEY_ATTR_PRIORITY, 32, u32le],
  ['skb_mark(', OVS_KEY_ATTR_SKB_MARK, 32, u32le],
  ['dp_hash(', OVS_KEY_ATTR_DP_HASH, 32, u32le],
  ['ct_zone(', OVS_KEY_ATTR_CT_ZONE, 16, u16le],
  ['ct_mark(', OVS_KEY_ATTR_CT_MARK, 32, u32le],
  ['eth_type(', OVS_KEY_ATTR_ETHERTYPE, 16, be16],
];

/** Struct attributes by their text name, from the codec's layouts. */
const STRUCTS = new Map<string, OdpStructLayout>([...ODP_STRUCT_LAYOUTS.values()].map((l) => [`${l.name}(`, l]));

/** Scans one struct member (`scan_eth`, `scan_ipv4`, `scan_u8`, `scan_frag`, …) into key and mask buffers. */
function scanField(sc: Scanner, pos: number, l: OdpStructLayout, x: OdpStructLayout['fields'][number], key: Buffer, mask: Buffer): number {
  const what = `${l.name}(${x.text}=…)`;
  if (x.kind === 'mac' || x.kind === 'ipv4' || x.kind === 'ipv6') {
    const r = sc.addrMask(pos, x.kind, what);
    r.v.copy(key, x.offset);
    r.m.copy(mask, x.offset);
    return r.end;
  }
  if (x.style === 'frag') {
    const m = /^[a-z]{1,7}/.exec(sc.s.slice(pos));
    const i = m ? ['no', 'first', 'later'].indexOf(m[0]) : -1;
    if (!m || i < 0) sc.fail(`frag must be no, first or later`, pos);
    key[x.offset] = i;
    mask[x.offset] = 0xff;
    return pos + m[0].length;
  }
  if (x.style === 'label') {
    // scan_ipv6_label(): an int that must fit the 20-bit label; a bad mask is ignored.
    const k = sc.int(pos, 0, 32);
    if (!k || k.v & ~0xfffffn) sc.fail('IPv6 flow label must be a 20-bit number', pos);
    key.writeUInt32BE(Number(k.v), x.offset);
    if (sc.s[k.end] === '/') {
      const m = sc.int(k.end + 1, 0, 32);
      if (m && !(m.v & ~0xfffffn)) {
        mask.writeUInt32BE(Number(m.v), x.offset);
        return m.end;
      }
    }
    mask.writeUInt32BE(0xfffff, x.offset);
    return k.end;
  }
  const bits = x.kind === 'u8' ? 8 : x.kind === 'be16' ? 16 : 32;
  const r = sc.numMask(pos, bits, what);
  writeOdpField(x.kind, Number(r.v), key, x.offset);
  writeOdpField(x.kind, Number(r.m), mask, x.offset);
  return r.end;
}

function parseStruct(sc: Scanner, start: number, l: OdpStructLayout): { km: KeyMask; end: number } {
  const key = Buffer.alloc(l.size);
  const mask = Buffer.alloc(l.size);
  const end = sc.fieldList(start + l.name.length + 1, l.name, (p) => {
    for (const x of l.fields) {
      for (const name of [x.text, ...(x.aliases ?? [])]) {
        if (sc.at(p, `${name}=`)) return scanField(sc, p + name.length + 1, l, x, key, mask);
      }
    }
    return undefined;
  });
  return { km: { key: attr(l.type, key), mask: attr(l.type, mask) }, end };
}

/** vlan(vid=…,pcp=…,cfi=…): bitfields of the TCI, key and mask starting with CFI set. */
function parseVlan(sc: Scanner, start: number): { km: KeyMask; end: number } {
  let key = 0x1000;
  let mask = 0x1000;
  const fields: [string, number, number][] = [['vid=', 12, 0], ['pcp=', 3, 13], ['cfi=', 1, 12]];
  const end = sc.fieldList(start + 'vlan('.length, 'vlan', (p) => {
    const f = fields.find(([n]) => sc.at(p, n));
    if (!f) return undefined;
    const [name, bits, shift] = f;
    const field = ((1 << bits) - 1) << shift;
    const k = sc.int(p + name.length, 0, 16);
    if (!k || k.v >> BigInt(bits)) sc.fail(`vlan ${name.slice(0, -1)} must fit in ${bits} bits`, p + name.length);
    key = (key & ~field) | (Number(k.v) << shift);
    if (sc.s[k.end] === '/') {
      const m = sc.int(k.end + 1, 0, 16);
      if (m) {
        if (m.v >> BigInt(bits)) sc.fail(`vlan ${name.slice(0, -1)} mask must fit in ${bits} bits`, k.end + 1);
        mask = (mask & ~field) | (Number(m.v) << shift);
        return m.end;
      }
    }
    mask |= field;
    return k.end;
  });
  return { km: { key: attr(OVS_KEY_ATTR_VLAN, be16(key)), mask: attr(OVS_KEY_ATTR_VLAN, be16(mask)) }, end };
}

/** mpls(label=…,tc=…,ttl=…,bos=…[,label=…]…): a field seen twice starts the next LSE, at most 3. */
function parseMpls(sc: Scanner, start: number): { km: KeyMask; end: number } {
  const fields: [string, number, number][] = [['label=', 20, 12], ['tc=', 3, 9], ['ttl=', 8, 0], ['bos=', 1, 8]];
  const keys = [0, 0, 0];
  const masks = [0, 0, 0];
  let idx = 0;
  let seen = 0;
  const end = sc.fieldList(start + 'mpls('.length, 'mpls', (p) => {
    const i = fields.findIndex(([n]) => sc.at(p, n));
    if (i < 0) return undefined;
    if (seen & (1 << i)) {
      seen = 0;
      if (++idx === 3) sc.fail('more than 3 MPLS label stack entries', p);
    }
    const [name, bits, shift] = fields[i];
    const field = (((1 << bits) - 1) << shift) >>> 0;
    const k = sc.int(p + name.length, 0, 32);
    if (!k || k.v >> BigInt(bits)) sc.fail(`mpls ${name.slice(0, -1)} must fit in ${bits} bits`, p + name.length);
    keys[idx] = ((keys[idx] & ~field) | (Number(k.v) << shift)) >>> 0;
    seen |= 1 << i;
    if (sc.s[k.end] === '/') {
      const m = sc.int(k.end + 1, 0, 32);
      if (m) {
        if (m.v >> BigInt(bits)) sc.fail(`mpls ${name.slice(0, -1)} mask must fit in ${bits} bits`, k.end + 1);
        masks[idx] = ((masks[idx] & ~field) | (Number(m.v) << shift)) >>> 0;
        return m.end;
      }
    }
    masks[idx] = (masks[idx] | field) >>> 0;
    return k.end;
  });
  const words = (ws: number[]) => Buffer.concat(ws.slice(0, idx + 1).map((w) => { const b = Buffer.alloc(4); b.writeUInt32BE(w); return b; }));
  return { km: { key: attr(OVS_KEY_ATTR_MPLS, words(keys)), mask: attr(OVS_KEY_ATTR_MPLS, words(masks)) }, end };
}

/** scan_geneve(): `{class=…,type=…,len=…,0xDATA[/0xMASK]}`… then ')'; at most 252 bytes. */
function scanGeneve(sc: Scanner, pos: number): { key: Buffer; mask: Buffer; end: number } {
  const keys: Buffer[] = [];
  const masks: Buffer[] = [];
  let remain = 252;
  let p = pos;
  while (sc.s[p] === '{' && remain >= 4) {
    p++;
    remain -= 4;
    const k = Buffer.alloc(4);
    const m = Buffer.alloc(4, 0xff);
    let dataLen = 0;
    if (sc.at(p, 'class=')) {
      const r = sc.numMask(p + 6, 16, 'geneve class');
      k.writeUInt16BE(Number(r.v), 0);
      m.writeUInt16BE(Number(r.m), 0);
      p = r.end;
    } else {
      m.writeUInt16BE(0, 0);
    }
    if (sc.s[p] === ',') p++;
    if (sc.at(p, 'type=')) {
      const r = sc.numMask(p + 5, 8, 'geneve type');
      k[2] = Number(r.v);
      m[2] = Number(r.m);
      p = r.end;
    } else {
      m[2] = 0;
    }
    if (sc.s[p] === ',') p++;
    if (sc.at(p, 'len=')) {
      const r = sc.numMask(p + 4, 8, 'geneve len');
      const len = Number(r.v);
      if (len > 124 || len % 4 || len > remain) sc.fail('geneve len must be a multiple of 4 up to 124 that fits in 252 bytes of options', p + 4);
      k[3] = len / 4;
      m[3] = Number(r.m) & 0x1f;
      dataLen = len;
      p = r.end;
    } else {
      // OVS clears the type mask here instead of the length mask (kept, as OVS does).
      m[2] = 0;
      m[3] = 0x1f;
    }
    let kd: Buffer = Buffer.alloc(dataLen);
    let md: Buffer = Buffer.alloc(dataLen, 0xff);
    if (sc.s[p] === ',') {
      const r = sc.intString(p + 1, dataLen, 'geneve option data');
      kd = r.b;
      p = r.end;
    }
    if (sc.s[p] === '/') {
      const r = sc.intString(p + 1, dataLen, 'geneve option data mask');
      md = r.b;
      p = r.end;
    }
    m[3] &= 0x1f;
    if (sc.s[p] !== '}') sc.fail('expected "}" after a geneve option', p);
    p++;
    keys.push(k, kd);
    masks.push(m, md);
    remain -= dataLen;
  }
  if (sc.s[p] !== ')') sc.fail('expected ")" after geneve options', p);
  return { key: Buffer.concat(keys), mask: Buffer.concat(masks), end: p + 1 };
}

/** scan_vxlan_gbp(): `[id=…][,][flags=…]))`; the word is `flags << 16 | id`. */
function scanVxlanGbp(sc: Scanner, pos: number): { key: number; mask: number; end: number } {
  let p = pos;
  let id = 0;
  let idMask = 0;
  let flags = 0;
  let flagsMask = 0;
  if (sc.at(p, 'id=')) {
    const r = sc.numMask(p + 3, 16, 'vxlan gbp id');
    id = Number(r.v);
    idMask = Number(r.m);
    p = r.end;
  }
  if (sc.s[p] === ',') p++;
  if (sc.at(p, 'flags=')) {
    const r = sc.numMask(p + 6, 8, 'vxlan gbp flags');
    flags = Number(r.v);
    flagsMask = Number(r.m);
    p = r.end;
  }
  if (!sc.at(p, '))')) sc.fail('expected "))" after vxlan(gbp(…', p);
  return { key: ((flags << 16) | id) >>> 0, mask: ((flagsMask << 16) | idMask) >>> 0, end: p + 2 };
}

/**
 * scan_erspan_metadata(): `ver=1[,idx=…])` or `ver=2[,dir=…][,hwid=…])`. Like OVS, the mask
 * starts all ones (so its version and unnamed bits stay exact) and only idx, dir and hwid take
 * the given masks; dir and hwid are stored in their 1- and 4-bit fields.
 */
function scanErspan(sc: Scanner, pos: number): { key: Buffer; mask: Buffer; end: number } {
  const key = Buffer.alloc(12);
  const mask = Buffer.alloc(12, 0xff);
  let p = pos;
  let ver = 0;
  if (sc.at(p, 'ver=')) {
    const r = sc.numMask(p + 4, 8, 'erspan ver');
    ver = Number(r.v);
    p = r.end;
  }
  if (sc.s[p] === ',') p++;
  if (ver === 1) {
    let idx = 0;
    let idxMask = 0;
    if (sc.at(p, 'idx=')) {
      const r = sc.numMask(p + 4, 32, 'erspan idx');
      idx = Number(r.v);
      idxMask = Number(r.m);
      p = r.end;
    }
    if (sc.s[p] === ')') {
      p++;
      key.writeUInt32LE(1, 0);
      key.writeUInt32BE(idx, 4);
      mask.writeUInt32BE(idxMask, 4);
    }
    return { key, mask, end: p };
  }
  if (ver === 2) {
    let dir = 0;
    let dirMask = 0;
    let hwid = 0;
    let hwidMask = 0;
    if (sc.at(p, 'dir=')) {
      const r = sc.numMask(p + 4, 8, 'erspan dir');
      dir = Number(r.v);
      dirMask = Number(r.m);
      p = r.end;
    }
    if (sc.s[p] === ',') p++;
    if (sc.at(p, 'hwid=')) {
      const r = sc.numMask(p + 5, 8, 'erspan hwid');
      hwid = Number(r.v);
      hwidMask = Number(r.m);
      p = r.end;
    }
    if (sc.s[p] === ')') {
      p++;
      key.writeUInt32LE(2, 0);
      key[11] = (key[11] & 0x07) | ((dir & 1) << 3) | ((hwid & 0xf) << 4);
      mask[11] = (mask[11] & 0x07) | ((dirMask & 1) << 3) | ((hwidMask & 0xf) << 4);
    }
    return { key, mask, end: p };
  }
  return sc.fail('erspan ver must be 1 or 2', pos);
}

/** tunnel(…): SCAN_BEGIN_NESTED; every named field puts a key and a mask attribute. */
function parseTunnel(sc: Scanner, start: number): { km: KeyMask; end: number } {
  const keys: Buffer[] = [];
  const masks: Buffer[] = [];
  const put = (type: number, k: Buffer, m: Buffer) => {
    keys.push(attr(type, k));
    masks.push(attr(type, m));
  };
  const num = (p: number, bits: number, type: number, what: string, write: (v: bigint) => Buffer) => {
    const r = sc.numMask(p, bits, what);
    put(type, write(r.v), write(r.m));
    return r.end;
  };
  const addr = (p: number, kind: 'ipv4' | 'ipv6', type: number, what: string) => {
    const r = sc.addrMask(p, kind, what);
    put(type, r.v, r.m);
    return r.end;
  };
  const u8 = (v: bigint) => Buffer.from([Number(v)]);
  const be64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(v); return b; };
  const end = sc.fieldList(start + 'tunnel('.length, 'tunnel', (p) => {
    if (sc.at(p, 'tun_id=')) return num(p + 7, 64, OVS_TUNNEL_KEY_ATTR_ID, 'tun_id', be64);
    if (sc.at(p, 'src=')) return addr(p + 4, 'ipv4', OVS_TUNNEL_KEY_ATTR_IPV4_SRC, 'tunnel src');
    if (sc.at(p, 'dst=')) return addr(p + 4, 'ipv4', OVS_TUNNEL_KEY_ATTR_IPV4_DST, 'tunnel dst');
    if (sc.at(p, 'ipv6_src=')) return addr(p + 9, 'ipv6', OVS_TUNNEL_KEY_ATTR_IPV6_SRC, 'tunnel ipv6_src');
    if (sc.at(p, 'ipv6_dst=')) return addr(p + 9, 'ipv6', OVS_TUNNEL_KEY_ATTR_IPV6_DST, 'tunnel ipv6_dst');
    if (sc.at(p, 'tos=')) return num(p + 4, 8, OVS_TUNNEL_KEY_ATTR_TOS, 'tunnel tos', u8);
    if (sc.at(p, 'ttl=')) return num(p + 4, 8, OVS_TUNNEL_KEY_ATTR_TTL, 'tunnel ttl', u8);
    if (sc.at(p, 'tp_src=')) return num(p + 7, 16, OVS_TUNNEL_KEY_ATTR_TP_SRC, 'tunnel tp_src', be16);
    if (sc.at(p, 'tp_dst=')) return num(p + 7, 16, OVS_TUNNEL_KEY_ATTR_TP_DST, 'tunnel tp_dst', be16);
    if (sc.at(p, 'erspan(')) {
      const r = scanErspan(sc, p + 7);
      put(OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS, r.key, r.mask);
      return r.end;
    }
    if (sc.at(p, 'vxlan(gbp(')) {
      const r = scanVxlanGbp(sc, p + 10);
      const gbp = (v: number) => attr(OVS_VXLAN_EXT_GBP, u32le(BigInt(v)));
      if (r.key) keys.push(attr(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, gbp(r.key)));
      if (r.mask) masks.push(attr(OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS, gbp(r.mask)));
      return r.end;
    }
    if (sc.at(p, 'geneve(')) {
      const r = scanGeneve(sc, p + 7);
      put(OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS, r.key, r.mask);
      return r.end;
    }
    if (sc.at(p, 'gtpu(')) sc.fail('gtpu() is an OVS userspace tunnel option the kernel datapath does not have', p);
    if (sc.at(p, 'flags(')) {
      const r = sc.flags(p + 6, ODP_FLAG_NAMES.tunnel, 0xf, ')', 'tunnel');
      if (sc.s[r.end] !== ')') sc.fail('expected ")" after tunnel flags', r.end);
      // The "key" bit is the ID attribute's presence, not an attribute of its own.
      const flagAttrs = (v: number) => [[0x2, OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT], [0x4, OVS_TUNNEL_KEY_ATTR_CSUM], [0x1, OVS_TUNNEL_KEY_ATTR_OAM]]
        .filter(([bit]) => v & bit).map(([, type]) => attr(type));
      keys.push(...flagAttrs(r.v));
      masks.push(...flagAttrs(r.m));
      return r.end + 1;
    }
    return undefined;
  });
  return { km: { key: nested(OVS_KEY_ATTR_TUNNEL, keys, start), mask: nested(OVS_KEY_ATTR_TUNNEL, masks, start) }, end };
}

/** nsh(…): base fields and MD1 contexts; the key gets MD1 only for mdtype 1, the mask always. */
function parseNsh(sc: Scanner, start: number): { km: KeyMask; end: number } {
  const key = Buffer.alloc(24);
  const mask = Buffer.alloc(24);
  let spi = 0;
  let spiMask = 0;
  let si = 0;
  let siMask = 0;
  const u8At = (off: number, what: string) => (p: number) => {
    const r = sc.numMask(p, 8, what);
    key[off] = Number(r.v);
    mask[off] = Number(r.m);
    return r.end;
  };
  const fields: [string, (p: number) => number][] = [
    ['flags=', u8At(0, 'nsh flags')],
    ['ttl=', u8At(1, 'nsh ttl')],
    ['mdtype=', u8At(2, 'nsh mdtype')],
    ['np=', u8At(3, 'nsh np')],
    ['spi=', (p) => { const r = sc.numMask(p, 32, 'nsh spi'); spi = Number(r.v); spiMask = Number(r.m); return r.end; }],
    ['si=', (p) => { const r = sc.numMask(p, 8, 'nsh si'); si = Number(r.v); siMask = Number(r.m); return r.end; }],
    ...[1, 2, 3, 4].map((i): [string, (p: number) => number] => [`c${i}=`, (p) => {
      const r = sc.numMask(p, 32, `nsh c${i}`);
      key.writeUInt32BE(Number(r.v), 4 + i * 4);
      mask.writeUInt32BE(Number(r.m), 4 + i * 4);
      return r.end;
    }]),
  ];
  const end = sc.fieldList(start + 'nsh('.length, 'nsh', (p) => {
    const fl = fields.find(([n]) => sc.at(p, n));
    return fl && fl[1](p + fl[0].length);
  });
  key.writeUInt32BE(((spi << 8) | si) >>> 0, 4);
  mask.writeUInt32BE(((spiMask << 8) | siMask) >>> 0, 4);
  const base = (b: Buffer) => attr(OVS_NSH_KEY_ATTR_BASE, b.subarray(0, 8));
  const md1 = (b: Buffer) => attr(OVS_NSH_KEY_ATTR_MD1, b.subarray(8, 24));
  return {
    km: {
      key: nested(OVS_KEY_ATTR_NSH, key[2] === 1 ? [base(key), md1(key)] : [base(key)], start),
      mask: nested(OVS_KEY_ATTR_NSH, [base(mask), md1(mask)], start),
    },
    end,
  };
}

/** keyN(hh hh …[/hh hh …]): the raw form OVS prints for attribute types it does not know. */
function parseRaw(sc: Scanner, start: number, type: number, nameLen: number): { km: KeyMask; end: number } {
  let p = start + nameLen;
  const bytes = (): Buffer => {
    const out: number[] = [];
    for (;;) {
      const m = /^[0-9a-fA-F]{2}/.exec(sc.s.slice(p, p + 2));
      if (!m) break;
      out.push(parseInt(m[0], 16));
      p += 2;
      if (sc.s[p] === ' ' && /^[0-9a-fA-F]{2}/.test(sc.s.slice(p + 1, p + 3))) p++;
    }
    return Buffer.from(out);
  };
  const key = bytes();
  let mask: Buffer = Buffer.alloc(key.length, 0xff);
  if (sc.s[p] === '/') {
    p++;
    mask = bytes();
    if (mask.length !== key.length) sc.fail(`key${type} mask must be as long as its value`, p);
  }
  if (sc.s[p] !== ')') sc.fail(`expected ")" after key${type}(…`, p);
  return { km: { key: attr(type, key), mask: attr(type, mask) }, end: p + 1 };
}

/** parse_odp_key_mask_attr__(): one attribute at `start`. */
function parseAttr(sc: Scanner, start: number): { km: KeyMask; end: number } {
  if (++sc.depth >= MAX_ODP_NESTED) sc.fail(`encap() nested ${MAX_ODP_NESTED} deep`, start);
  try {
    return parseAttr__(sc, start);
  } finally {
    sc.depth--;
  }
}

function parseAttr__(sc: Scanner, start: number): { km: KeyMask; end: number } {
  const close = (p: number, what: string) => {
    if (sc.s[p] !== ')') sc.fail(`expected ")" after ${what}`, p);
    return p + 1;
  };
  for (const [name, type, bits, write] of SINGLES) {
    if (!sc.at(start, name)) continue;
    const r = sc.numMask(start + name.length, bits, name.slice(0, -1));
    return { km: { key: attr(type, write(r.v)), mask: attr(type, write(r.m)) }, end: close(r.end, name.slice(0, -1)) };
  }
  if (sc.at(start, 'recirc_id(')) {
    // SCAN_SINGLE_FULLY_MASKED: no "/mask" accepted.
    const r = sc.numMask(start + 10, 32, 'recirc_id', false);
    return { km: { key: attr(OVS_KEY_ATTR_RECIRC_ID, u32le(r.v)), mask: attr(OVS_KEY_ATTR_RECIRC_ID, u32le(0xffffffffn)) }, end: close(r.end, 'recirc_id') };
  }
  if (sc.at(start, 'ct_state(')) {
    const r = sc.flags(start + 9, ODP_FLAG_NAMES.ctState, 0xff, ')', 'ct_state');
    if (r.end === start + 9) sc.fail('ct_state() needs flags', r.end);
    return { km: { key: attr(OVS_KEY_ATTR_CT_STATE, u32le(BigInt(r.v))), mask: attr(OVS_KEY_ATTR_CT_STATE, u32le(BigInt(r.m))) }, end: close(r.end, 'ct_state') };
  }
  if (sc.at(start, 'ct_label(')) {
    const k = sc.intString(start + 9, 16, 'ct_label');
    let m: { b: Buffer; end: number } = { b: Buffer.alloc(16, 0xff), end: k.end };
    if (sc.s[k.end] === '/') m = sc.intString(k.end + 1, 16, 'ct_label mask');
    // The 128-bit number is stored host (little-endian) order.
    const le = (b: Buffer) => Buffer.from(b).reverse();
    return { km: { key: attr(OVS_KEY_ATTR_CT_LABELS, le(k.b)), mask: attr(OVS_KEY_ATTR_CT_LABELS, le(m.b)) }, end: close(m.end, 'ct_label') };
  }
  if (sc.at(start, 'tunnel(')) return parseTunnel(sc, start);
  if (sc.at(start, 'in_port(')) {
    const p = start + 8;
    const r = sc.int(p, 0, 32);
    if (r) {
      let m = 0xffffffffn;
      let end = r.end;
      if (sc.s[end] === '/') {
        const x = sc.int(end + 1, 0, 32);
        if (x) {
          m = x.v;
          end = x.end;
        }
      }
      return { km: { key: attr(OVS_KEY_ATTR_IN_PORT, u32le(r.v)), mask: attr(OVS_KEY_ATTR_IN_PORT, u32le(m)) }, end: close(end, 'in_port') };
    }
    const close2 = sc.s.indexOf(')', p);
    const name = sc.s.slice(p, close2 < 0 ? undefined : close2);
    const port = sc.portNames?.get(name);
    if (port === undefined) sc.fail(`unknown port "${name}"`, p);
    return { km: { key: attr(OVS_KEY_ATTR_IN_PORT, u32le(BigInt(port))), mask: attr(OVS_KEY_ATTR_IN_PORT, u32le(0xffffffffn)) }, end: close(p + name.length, 'in_port') };
  }
  if (sc.at(start, 'vlan(')) return parseVlan(sc, start);
  if (sc.at(start, 'mpls(')) return parseMpls(sc, start);
  if (sc.at(start, 'tcp_flags(')) {
    const r = sc.flags(start + 10, ODP_FLAG_NAMES.tcpFlags, 0x0fff, ')', 'TCP');
    if (r.end === start + 10) sc.fail('tcp_flags() needs flags', r.end);
    return { km: { key: attr(OVS_KEY_ATTR_TCP_FLAGS, be16(r.v & 0xffff)), mask: attr(OVS_KEY_ATTR_TCP_FLAGS, be16(r.m & 0xffff)) }, end: close(r.end, 'tcp_flags') };
  }
  for (const [name, l] of STRUCTS) if (sc.at(start, name)) return parseStruct(sc, start, l);
  if (sc.at(start, 'nsh(')) return parseNsh(sc, start);
  if (sc.at(start, 'encap(')) {
    const keys: Buffer[] = [];
    const masks: Buffer[] = [];
    let p = start + 6;
    for (;;) {
      while (p < sc.s.length && DELIMITERS.includes(sc.s[p])) p++;
      if (p >= sc.s.length) sc.fail('unterminated encap(', p);
      if (sc.s[p] === ')') break;
      const r = parseAttr(sc, p);
      keys.push(r.km.key);
      masks.push(r.km.mask);
      p = r.end;
    }
    return { km: { key: nested(OVS_KEY_ATTR_ENCAP, keys, start), mask: nested(OVS_KEY_ATTR_ENCAP, masks, start) }, end: p + 1 };
  }
  const raw = /^key(\d+)\(/.exec(sc.s.slice(start, start + 12));
  if (raw && Number(raw[1]) <= 0xffff) return parseRaw(sc, start, Number(raw[1]), raw[0].length);
  return sc.fail('unknown attribute', start);
}

/** `ufid:` + a UUID (36 characters) → the 16 bytes OVS puts in OVS_FLOW_ATTR_UFID; undefined if malformed. */
function uuidBytes(s: string): Buffer | undefined {
  const m = /^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})([0-9a-fA-F]{8})/.exec(s);
  if (!m) return undefined;
  const parts = [m[1], m[2] + m[3], m[4] + m[5], m[6]].map((h) => parseInt(h, 16));
  const b = Buffer.alloc(16);
  parts.forEach((x, i) => b.writeUInt32LE(x >>> 0, i * 4));
  return b;
}

/** The result of {@link parseOdpFlowKeyBytes}. */
export interface ParsedOdpFlowKeyBytes {
  /** OVS_KEY_ATTR_* attributes in text order, as OVS builds the OVS_FLOW_ATTR_KEY payload. */
  key: Buffer;
  /** The matching mask attributes (OVS_FLOW_ATTR_MASK payload). */
  mask: Buffer;
  /** A leading UFID, as in {@link ParsedOdpFlowKey}. */
  ufid?: Buffer;
}

/**
 * Parses ODP flow key/match text into the netlink attribute bytes OVS would send: attributes in
 * text order, duplicates kept (the kernel refuses them with EINVAL).
 * @param text see {@link parseOdpFlowKey}
 * @param options port names for `in_port(NAME)`
 * @throws OdpParseError as {@link parseOdpFlowKey}, except for duplicates
 */
export function parseOdpFlowKeyBytes(text: string, options: ParseOdpFlowKeyOptions = {}): ParsedOdpFlowKeyBytes {
  const sc = new Scanner(text, options.portNames);
  const keys: Buffer[] = [];
  const masks: Buffer[] = [];
  let ufid: Buffer | undefined;
  let p = 0;
  for (;;) {
    while (p < text.length && DELIMITERS.includes(text[p])) p++;
    if (p >= text.length) break;
    let attrStart = p;
    try {
      if (text.startsWith('ufid:', p)) {
        const u = uuidBytes(text.slice(p + 5));
        if (!u) throw new Fail('malformed UFID (expected ufid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)', p + 5);
        p += 5 + 36;
        if (attrStart === 0) {
          // ovs-dpctl takes a leading UFID off before parsing the rest (delimiters skipped).
          ufid = u;
          continue;
        }
        // Elsewhere odp_flow_from_string() skips it and one space; an attribute must follow.
        if (text[p] === ' ') p++;
        attrStart = p;
      }
      const r = parseAttr(sc, p);
      keys.push(r.km.key);
      masks.push(r.km.mask);
      p = r.end;
      const size = (bufs: Buffer[]) => bufs.reduce((n, b) => n + b.length, 0);
      if (size(keys) > NLA_PAYLOAD_MAX || size(masks) > NLA_PAYLOAD_MAX) throw new Fail('key too large', attrStart, 'E2BIG');
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      throw new OdpParseError(`syntax error at ${text.slice(attrStart)}`, attrStart, e.reason, e.at, e.errno);
    }
  }
  const key = Buffer.concat(keys);
  const mask = Buffer.concat(masks);
  return ufid ? { key, mask, ufid } : { key, mask };
}

/**
 * Parses ODP flow key/match text into a key and a mask (see the module comment for the syntax
 * and semantics). A leading `ufid:UUID` is returned as `ufid`; UFIDs elsewhere are checked and
 * skipped, as OVS does.
 * @param text e.g. `ufid:…,recirc_id(0),in_port(1),eth_type(0x0800),ipv4(frag=no)`
 * @param options port names for `in_port(NAME)`
 * @returns key and mask objects; both are `{}` for empty text
 * @throws OdpParseError `syntax error at …` (OVS's wording) with the failing attribute's
 *   position, a precise `reason` and `reasonPosition`; for a duplicate attribute the position
 *   is 0 and the reason names it
 */
export function parseOdpFlowKey(text: string, options: ParseOdpFlowKeyOptions = {}): ParsedOdpFlowKey {
  const bytes = parseOdpFlowKeyBytes(text, options);
  const decode = (b: Buffer, what: string): OdpFlowKey => {
    try {
      return decodeFlowKey(b);
    } catch (e) {
      throw new OdpParseError(`syntax error at ${text}`, 0, `${what}: ${(e as Error).message}`, 0);
    }
  };
  const key = decode(bytes.key, 'key');
  const mask = decode(bytes.mask, 'mask');
  return bytes.ufid ? { key, mask, ufid: bytes.ufid } : { key, mask };
}
