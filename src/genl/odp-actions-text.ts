/**
 * Parser for the ODP action text `ovs-dpctl add-flow` takes ("1,2", "push_vlan(vid=10,pcp=0),3",
 * "set(ipv4(dst=10.0.0.9))", "ct(commit,zone=1,nat(src=10.0.0.1))", …), behaving like OVS 3.1's
 * `odp_actions_from_string()` (lib/odp-util.c): the same syntax, the same number scanning
 * (`ovs_scan()`: `%i` takes decimal, 0x-hex, 0-octal and a sign; values wrap to the field's
 * width), and the same bytes for the same text. The key inside `set(…)` is parsed by
 * ./odp-key-text (OVS's `parse_odp_key_mask_attr()`); SET becomes SET_MASKED by OVS's rule:
 * when the mask has the value's size and is not all ones.
 *
 * Text is turned into the attribute bytes OVS would send, then decoded with
 * {@link decodeActions} (`canonical`); actions the codec cannot model exactly (e.g. a masked set
 * whose value has bits outside its mask, which the kernel rejects) come back as `other` with
 * OVS's bytes.
 *
 * Deliberate differences from OVS 3.1:
 * - `drop` yields no actions (the kernel's drop). OVS 3.1 sends its userspace-only
 *   OVS_ACTION_ATTR_DROP (type 25), which the 6.1 kernel rejects with EINVAL.
 * - The userspace-datapath actions `tnl_push(…)`, `tnl_pop(…)` and `lb_output(…)` are refused:
 *   the kernel datapath has no such actions (it rejects them with EINVAL).
 * - Accepted in addition, in the syntax OVS prints them, so that what {@link formatActions}
 *   prints parses back: `hash(l4(N))`, `hash(sym_l4(N))`, `push_mpls(…)`, `pop_mpls(…)`,
 *   `push_eth(src=…,dst=…)`, `pop_eth`, `dec_ttl(le_1(…))`, `recirc(0x…)` (OVS scans the id
 *   as decimal only), and `drop` as an empty nested list (`clone(drop)`,
 *   `sample(…,actions(drop))`).
 * - `set(nsh(…))`: OVS 3.1 cannot parse nsh() at all; here a masked one carries value then mask
 *   inside each NSH sub-attribute, as the kernel expects.
 */
import { attr, parseAttrs } from './nlattr';
import { OdpParseError, parseOdpFlowKeyBytes } from './odp-key-text';
import {
  OdpAction,
  formatActions,
  SLOW_PATH_REASONS,
  USER_ACTION_COOKIE_CONTROLLER,
  USER_ACTION_COOKIE_FLOW_SAMPLE,
  USER_ACTION_COOKIE_IPFIX,
  USER_ACTION_COOKIE_SFLOW,
  USER_ACTION_COOKIE_SIZE,
  USER_ACTION_COOKIE_SLOW_PATH,
  USER_ACTION_COOKIE_UNION,
  decodeActions,
  parseIpv6,
} from './actions';
import {
  OVS_ACTION_ATTR_ADD_MPLS,
  OVS_ACTION_ATTR_CHECK_PKT_LEN,
  OVS_ACTION_ATTR_CLONE,
  OVS_ACTION_ATTR_CT,
  OVS_ACTION_ATTR_CT_CLEAR,
  OVS_ACTION_ATTR_DEC_TTL,
  OVS_ACTION_ATTR_HASH,
  OVS_ACTION_ATTR_METER,
  OVS_ACTION_ATTR_OUTPUT,
  OVS_ACTION_ATTR_POP_ETH,
  OVS_ACTION_ATTR_POP_MPLS,
  OVS_ACTION_ATTR_POP_NSH,
  OVS_ACTION_ATTR_POP_VLAN,
  OVS_ACTION_ATTR_PUSH_ETH,
  OVS_ACTION_ATTR_PUSH_MPLS,
  OVS_ACTION_ATTR_PUSH_NSH,
  OVS_ACTION_ATTR_PUSH_VLAN,
  OVS_ACTION_ATTR_RECIRC,
  OVS_ACTION_ATTR_SAMPLE,
  OVS_ACTION_ATTR_SET,
  OVS_ACTION_ATTR_SET_MASKED,
  OVS_ACTION_ATTR_TRUNC,
  OVS_ACTION_ATTR_USERSPACE,
  OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER,
  OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL,
  OVS_CHECK_PKT_LEN_ATTR_PKT_LEN,
  OVS_CT_ATTR_COMMIT,
  OVS_CT_ATTR_FORCE_COMMIT,
  OVS_CT_ATTR_HELPER,
  OVS_CT_ATTR_LABELS,
  OVS_CT_ATTR_MARK,
  OVS_CT_ATTR_NAT,
  OVS_CT_ATTR_TIMEOUT,
  OVS_CT_ATTR_ZONE,
  OVS_DEC_TTL_ATTR_ACTION,
  OVS_KEY_ATTR_NSH,
  OVS_NAT_ATTR_DST,
  OVS_NAT_ATTR_IP_MAX,
  OVS_NAT_ATTR_IP_MIN,
  OVS_NAT_ATTR_PERSISTENT,
  OVS_NAT_ATTR_PROTO_HASH,
  OVS_NAT_ATTR_PROTO_MAX,
  OVS_NAT_ATTR_PROTO_MIN,
  OVS_NAT_ATTR_PROTO_RANDOM,
  OVS_NAT_ATTR_SRC,
  OVS_NSH_KEY_ATTR_BASE,
  OVS_NSH_KEY_ATTR_MD1,
  OVS_NSH_KEY_ATTR_MD2,
  OVS_SAMPLE_ATTR_ACTIONS,
  OVS_SAMPLE_ATTR_PROBABILITY,
  OVS_USERSPACE_ATTR_ACTIONS,
  OVS_USERSPACE_ATTR_EGRESS_TUN_PORT,
  OVS_USERSPACE_ATTR_PID,
  OVS_USERSPACE_ATTR_USERDATA,
} from './openvswitch';

/** errno values OVS's parser returns. */
const EINVAL = 22;
const E2BIG = 7;

/** OVS's MAX_ODP_NESTED: nesting depth (actions and key attributes together) at which parsing fails. */
const MAX_ODP_NESTED = 32;

const DELIMITERS = ', \t\r\n';
const DELIMITERS_END = ', \t\r\n)';

/** A parse failure, located in the text. */
export class OdpActionsParseError extends Error {
  /**
   * @param text the whole text given to the parser
   * @param position 0-based offset where parsing failed (the action, key attribute or option)
   * @param errno what OVS's parser returns: EINVAL (22) for syntax errors, E2BIG (7) when the
   *   actions exceed 64 KiB, and, when an action parses but is followed by something other than
   *   a delimiter, minus that action's length (OVS's quirk: ovs-dpctl then reports -1 as "End
   *   of file" and -N as "Unknown error -N")
   * @param reason what was wrong there
   */
  constructor(
    readonly text: string,
    readonly position: number,
    readonly errno: number,
    readonly reason: string,
  ) {
    const at = text.slice(position);
    super(`parsing actions: ${reason} at "${at.length > 60 ? `${at.slice(0, 60)}...` : at}" (offset ${position}) (${strerror(errno)})`);
    this.name = 'OdpActionsParseError';
  }
}

/** ovs_strerror() of the codes the parser returns. */
function strerror(errno: number): string {
  if (errno === EINVAL) return 'Invalid argument';
  if (errno === E2BIG) return 'Argument list too long';
  return errno === -1 ? 'End of file' : `Unknown error ${errno}`;
}

/** Internal failure carrying a position; turned into {@link OdpActionsParseError} at the top. */
class Fail extends Error {
  constructor(
    readonly pos: number,
    readonly reason: string,
    readonly errno = EINVAL,
  ) {
    super(reason);
  }
}

/** Options of {@link parseOdpActions}. */
export interface ParseOdpActionsOptions {
  /** Port name → odp port number, so that a bare name means output to that port (as `ovs-dpctl --names`). */
  portNames?: Map<string, number>;
}

interface Ctx {
  s: string;
  portNames?: Map<string, number>;
  depth: number;
}

// ---------------------------------------------------------------------------------------------
// ovs_scan(): a small scanf with OVS's integer semantics

type ScanValue = number | bigint | string;

const SPACES = ' \t\n\v\f\r';

function skipSpaces(s: string, p: number): number {
  while (p < s.length && SPACES.includes(s[p])) p++;
  return p;
}

function hexit(c: string | undefined): number {
  if (c === undefined) return -1;
  const v = parseInt(c, 16);
  return Number.isNaN(v) ? -1 : v;
}

const U64 = (1n << 64n) - 1n;

/** scan_int(): sign, optional 0x (base 0/16), digits; wraps modulo 2^64; undefined without digits. */
function scanInt(s: string, p: number, base: number, width: number): { value: bigint; end: number } | undefined {
  const start = p;
  const negative = s[p] === '-';
  if (s[p] === '-' || s[p] === '+') p++;
  if ((base === 0 || base === 16) && s[p] === '0' && (s[p + 1] === 'x' || s[p + 1] === 'X')) {
    base = 16;
    p += 2;
  } else if (base === 0) {
    base = s[p] === '0' ? 8 : 10;
  }
  if (p - start >= width) return undefined;
  let value = 0n;
  let digits = 0;
  while (p - start < width) {
    const d = hexit(s[p]);
    if (d < 0 || d >= base) break;
    value = (value * BigInt(base) + BigInt(d)) & U64;
    digits++;
    p++;
  }
  if (!digits) return undefined;
  return { value: negative ? (-value) & U64 : value, end: p };
}

/** A `[...]` scan set: the characters it accepts. */
function scanSet(spec: string): (c: string) => boolean {
  const complemented = spec.startsWith('^');
  const body = complemented ? spec.slice(1) : spec;
  const ranges: [number, number][] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i + 1] === '-' && i + 2 < body.length && body.charCodeAt(i + 2) > body.charCodeAt(i)) {
      ranges.push([body.charCodeAt(i), body.charCodeAt(i + 2)]);
      i += 2;
    } else {
      ranges.push([body.charCodeAt(i), body.charCodeAt(i)]);
    }
  }
  return (c) => ranges.some(([a, b]) => c.charCodeAt(0) >= a && c.charCodeAt(0) <= b) !== complemented;
}

/**
 * ovs_scan(s + p, fmt): literal characters match exactly, whitespace in `fmt` skips any, and
 * conversions `%[hh|h|l|ll]{d,i,u,x,o}`, `%lf`, `%N[set]` skip leading spaces first.
 * Integers come back truncated to their C width, unsigned (number; bigint for 64-bit).
 * @returns the values and the position after the match, or undefined when it does not match
 */
function scan(s: string, p: number, fmt: string): { v: ScanValue[]; end: number } | undefined {
  const v: ScanValue[] = [];
  for (let f = 0; f < fmt.length; ) {
    const c = fmt[f++];
    if (SPACES.includes(c)) {
      p = skipSpaces(s, p);
      continue;
    }
    if (c !== '%') {
      if (s[p] !== c) return undefined;
      p++;
      continue;
    }
    if (fmt[f] === '%') {
      if (s[p++] !== '%') return undefined;
      f++;
      continue;
    }
    let width = 0;
    while (fmt[f] >= '0' && fmt[f] <= '9') width = width * 10 + Number(fmt[f++]);
    if (!width) width = Infinity;
    let bits = 32;
    if (fmt.startsWith('hh', f)) [bits, f] = [8, f + 2];
    else if (fmt[f] === 'h') [bits, f] = [16, f + 1];
    else if (fmt.startsWith('ll', f)) [bits, f] = [64, f + 2];
    else if (fmt[f] === 'l') [bits, f] = [64, f + 1];
    const conv = fmt[f++];
    if (conv !== '[') p = skipSpaces(s, p);
    if ('diuxo'.includes(conv)) {
      const base = conv === 'i' ? 0 : conv === 'x' ? 16 : conv === 'o' ? 8 : 10;
      const r = scanInt(s, p, base, width);
      if (!r) return undefined;
      const t = r.value & ((1n << BigInt(bits)) - 1n);
      v.push(bits === 64 ? t : Number(t));
      p = r.end;
    } else if (conv === 'f') {
      const m = /^[+-]?\d*(\.\d*)?([eE][+-]?\d*)?/.exec(s.slice(p))!;
      const text = m[0];
      const value = text === '' ? 0 : Number(text);
      if (Number.isNaN(value)) return undefined;
      v.push(value);
      p += text.length;
    } else if (conv === '[') {
      const close = fmt.indexOf(']', f + 1);
      const accept = scanSet(fmt.slice(f, close));
      f = close + 1;
      let n = 0;
      while (p + n < s.length && n < width && accept(s[p + n])) n++;
      if (!n) return undefined;
      v.push(s.slice(p, p + n));
      p += n;
    } else {
      throw new Error(`scan: unsupported conversion %${conv}`);
    }
  }
  return { v, end: p };
}

function num(v: ScanValue): number {
  return v as number;
}

function spanOf(s: string, p: number, chars: string): number {
  let n = 0;
  while (p + n < s.length && chars.includes(s[p + n])) n++;
  return n;
}

function cspanOf(s: string, p: number, chars: string): number {
  let n = 0;
  while (p + n < s.length && !chars.includes(s[p + n])) n++;
  return n;
}

/** ofpbuf_put_hex(): pairs of hex digits, skipping " .\t\r\n" between pairs. */
function putHex(s: string, p: number): { bytes: Buffer; end: number } {
  const out: number[] = [];
  for (;;) {
    p += spanOf(s, p, ' .\t\r\n');
    const hi = hexit(s[p]);
    const lo = hexit(s[p + 1]);
    if (hi < 0 || lo < 0) return { bytes: Buffer.from(out), end: p };
    out.push(hi * 16 + lo);
    p += 2;
  }
}

/** parse_int_string(): 0x-hex of any length (right-justified, whitespace allowed between hexits) or a ≤64-bit integer, into `width` bytes. */
function parseIntString(s: string, p: number, width: number): { bytes: Buffer; end: number } | undefined {
  const out = Buffer.alloc(width);
  if (s.startsWith('0x', p) || s.startsWith('0X', p)) {
    p += 2;
    const hexits: number[] = [];
    for (;;) {
      p += spanOf(s, p, ' \t\r\n');
      const h = hexit(s[p]);
      if (h < 0) break;
      if (h !== 0 || hexits.length) {
        if (Math.ceil((hexits.length + 1) / 2) > width) return undefined;
        hexits.push(h);
      }
      p++;
    }
    let idx = width;
    for (let i = hexits.length - 1; i >= 0; i -= 2) {
      out[--idx] = hexits[i] + (i > 0 ? hexits[i - 1] << 4 : 0);
    }
    return { bytes: out, end: p };
  }
  // strtoull(s, &tail, 0): optional spaces and sign, then 0x/0/decimal digits.
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s.slice(p));
  if (!m) return undefined;
  let value = BigInt(m[2].startsWith('0') && m[2].length > 1 && !/^0[xX]/.test(m[2]) ? `0o${m[2].slice(1)}` : m[2]);
  if (value > U64) return undefined;
  if (m[1] === '-') value = (-value) & U64;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  if (value) return undefined;
  return { bytes: out, end: p + m[0].length };
}

// ---------------------------------------------------------------------------------------------
// parse_flags()

interface FlagsResult {
  flags: number;
  mask: number;
  /** Characters consumed, not counting the terminating `end` character. */
  n: number;
}

/**
 * OVS's parse_flags(): "%i/%i" or "+name-name" (only when a mask is wanted), else names and
 * numbers separated by '|' up to `end`; unknown or disallowed flags fail.
 */
function parseFlags(
  s: string,
  p: number,
  name: (bit: number) => string | undefined,
  end: string,
  allowed: number,
  wantMask: boolean,
): FlagsResult | undefined {
  if (wantMask) {
    const r = scan(s, p, '%i/%i');
    if (r && r.end > p) {
      const [f, m] = [num(r.v[0]), num(r.v[1])];
      if ((f & ~allowed) >>> 0 || (m & ~allowed) >>> 0) return undefined;
      return { flags: f, mask: m, n: r.end - p };
    }
  }
  let n = 0;
  if (wantMask && (s[p] === '+' || s[p] === '-')) {
    let flags = 0;
    let mask = 0;
    while (s[p + n] !== end) {
      const set = s[p + n] === '+';
      if (!set && s[p + n] !== '-') return undefined;
      n++;
      let found = 0;
      let len = 0;
      for (let bit = 1; bit; bit = (bit << 1) >>> 0) {
        const fname = name(bit);
        if (!fname) continue;
        const after = s[p + n + fname.length];
        if (!s.startsWith(fname, p + n) || (after !== '+' && after !== '-' && after !== end)) continue;
        if (mask & bit || !(bit & allowed)) return undefined;
        if (set) flags = (flags | bit) >>> 0;
        mask = (mask | bit) >>> 0;
        found = bit;
        len = fname.length;
        break;
      }
      if (!found) return undefined;
      n += len;
    }
    return { flags, mask, n };
  }
  let result = 0;
  while (s[p + n] !== end) {
    const r = scan(s, p + n, '%lli');
    if (r) {
      // C: flags (64-bit) & ~allowed (32-bit): bits above 31 are not checked, then dropped.
      const f = Number((r.v[0] as bigint) & 0xffffffffn);
      if ((f & ~allowed) >>> 0) return undefined;
      n = r.end - p + (s[r.end] === '|' ? 1 : 0);
      result = (result | f) >>> 0;
      continue;
    }
    let found = false;
    for (let bit = 1; bit; bit = (bit << 1) >>> 0) {
      const fname = name(bit);
      if (!fname) continue;
      const after = s[p + n + fname.length];
      if (s.startsWith(fname, p + n) && (after === '|' || after === end)) {
        if (!(bit & allowed)) return undefined;
        result = (result | bit) >>> 0;
        n += fname.length + (after === '|' ? 1 : 0);
        found = true;
        break;
      }
    }
    if (!found) return undefined;
  }
  return { flags: result, mask: 0xffffffff, n };
}


/** scan_u128(): parse_int_string() into 16 bytes, then "/mask" or an all-ones mask; both host-order u128s. */
function scanU128(s: string, p: number): { value: Buffer; mask: Buffer; end: number } | undefined {
  const r = parseIntString(s, p, 16);
  if (!r) return undefined;
  let mask = Buffer.alloc(16, 0xff);
  let end = r.end;
  if (s[end] === '/') {
    const rm = parseIntString(s, end + 1, 16);
    if (!rm) return undefined;
    mask = Buffer.from(rm.bytes).reverse();
    end = rm.end;
  }
  return { value: Buffer.from(r.bytes).reverse(), mask, end };
}

function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Actions (parse_odp_action__)

function u16le(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v & 0xffff);
  return b;
}

/** An action parser: undefined when its syntax does not start at p (the next one is tried). */
type ActionParser = (c: Ctx, p: number) => { end: number; bytes: Buffer } | undefined;

function parseAction(c: Ctx, p: number): { end: number; bytes: Buffer } {
  if (++c.depth >= MAX_ODP_NESTED) throw new Fail(p, 'nesting too deep');
  try {
    for (const parser of ACTION_PARSERS) {
      const r = parser(c, p);
      if (r) return r;
    }
    throw new Fail(p, 'unknown action');
  } finally {
    c.depth--;
  }
}

/**
 * parse_action_list(): actions separated by delimiters up to (not including) ')'. A lone
 * "drop" (what OVS prints for an empty nested list, e.g. "clone(drop)") is accepted as an
 * extension.
 */
function parseActionList(c: Ctx, p: number): { end: number; bytes: Buffer } {
  if (c.s.startsWith('drop)', p)) return { end: p + 4, bytes: Buffer.alloc(0) };
  const parts: Buffer[] = [];
  for (;;) {
    p += spanOf(c.s, p, DELIMITERS);
    if (c.s[p] === ')') break;
    const r = parseAction(c, p);
    parts.push(r.bytes);
    p = r.end;
  }
  return { end: p, bytes: Buffer.concat(parts) };
}

function fixed(type: number, payload: Buffer, end: number): { end: number; bytes: Buffer } {
  return { end, bytes: attr(type, payload) };
}

/** A parser for `fmt`; `build` turns the scanned values into the payload (or throws Fail). */
function simple(fmt: string, type: number, build: (v: ScanValue[]) => Buffer): ActionParser {
  return (c, p) => {
    const r = scan(c.s, p, fmt);
    return r && fixed(type, build(r.v), r.end);
  };
}

function be16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}

/** MPLS LSE as OVS composes it from scanned fields (no masking of tc/ttl/bos, as in C). */
function mplsLse(label: number, tc: number, ttl: number, bos: number): number {
  return ((label << 12) | (tc << 9) | ttl | (bos << 8)) >>> 0;
}

const parseOutput: ActionParser = simple('%i', OVS_ACTION_ATTR_OUTPUT, (v) => u32le(num(v[0])));

const parseUserspaceOnly: ActionParser = (c, p) => {
  for (const name of ['lb_output(', 'tnl_pop(', 'tnl_push(']) {
    if (c.s.startsWith(name, p)) {
      throw new Fail(p, `${name.slice(0, -1)} is an action of OVS's userspace datapath; the kernel datapath has no such action`);
    }
  }
  return undefined;
};

const parseTrunc = simple('trunc(%i)', OVS_ACTION_ATTR_TRUNC, (v) => u32le(num(v[0])));

const parsePortName: ActionParser = (c, p) => {
  if (!c.portNames) return undefined;
  const len = cspanOf(c.s, p, DELIMITERS);
  const port = c.portNames.get(c.s.slice(p, p + len));
  return port === undefined ? undefined : fixed(OVS_ACTION_ATTR_OUTPUT, u32le(port), p + len);
};

// OVS scans the id as decimal only, so its own "recirc(0x1)" does not parse back; hex is accepted
// here as an extension, tried only after OVS's syntax fails.
const parseRecirc: ActionParser = (c, p) => {
  const r = scan(c.s, p, 'recirc(%u)') ?? scan(c.s, p, 'recirc(0x%x)');
  return r && fixed(OVS_ACTION_ATTR_RECIRC, u32le(num(r.v[0])), r.end);
};

/** OVS's `struct user_action_cookie` with ofp_in_port = OFPP_NONE (0xffff) and a zero ofproto uuid. */
function cookie(type: number): Buffer {
  const b = Buffer.alloc(USER_ACTION_COOKIE_SIZE);
  b.writeUInt16LE(type, 0);
  b.writeUInt32LE(0xffff, 4);
  return b;
}

const U = USER_ACTION_COOKIE_UNION;

const parseUserspace: ActionParser = (c, p) => {
  const s = c.s;
  if (!s.startsWith('userspace(', p)) return undefined;
  const head = scan(s, p, 'userspace(pid=%i');
  if (!head) throw new Fail(p, 'userspace needs pid=N');
  const pid = num(head.v[0]);
  let q = head.end;
  // Without a cookie or userdata OVS still sends a cookie: 48 zero bytes.
  let userdata: Buffer = Buffer.alloc(USER_ACTION_COOKIE_SIZE);
  let r: ReturnType<typeof scan>;
  if ((r = scan(s, q, ',sFlow(vid=%i,pcp=%i,output=%i)'))) {
    let tci = (num(r.v[0]) | (num(r.v[1]) << 13)) & 0xffff;
    if (tci) tci |= 0x1000;
    userdata = cookie(USER_ACTION_COOKIE_SFLOW);
    userdata.writeUInt16BE(tci, U);
    userdata.writeUInt32LE(num(r.v[2]), U + 4);
    q = r.end;
  } else if ((r = scan(s, q, ',slow_path('))) {
    q = r.end;
    const f = parseFlags(s, q, (bit) => SLOW_PATH_REASONS[Math.log2(bit)], ')', 0x7f, false);
    if (!f || s[q + f.n] !== ')') throw new Fail(q, 'unknown slow_path reason');
    userdata = cookie(USER_ACTION_COOKIE_SLOW_PATH);
    userdata.writeUInt32LE(f.flags, U + 4);
    q += f.n + 1;
  } else if ((r = scan(s, q, ',flow_sample(probability=%i,collector_set_id=%i,obs_domain_id=%i,obs_point_id=%i,output_port=%i'))) {
    q = r.end;
    userdata = cookie(USER_ACTION_COOKIE_FLOW_SAMPLE);
    userdata.writeUInt16LE(num(r.v[0]) & 0xffff, U);
    [4, 8, 12, 16].forEach((off, i) => userdata.writeUInt32LE(num(r!.v[i + 1]), U + off));
    let dir = 0;
    if (s.startsWith(',ingress', q)) [dir, q] = [1, q + 8];
    else if (s.startsWith(',egress', q)) [dir, q] = [2, q + 7];
    userdata.writeUInt32LE(dir, U + 20);
    if (s[q] !== ')') throw new Fail(q, 'syntax error in flow_sample');
    q++;
  } else if ((r = scan(s, q, ',ipfix(output_port=%i)'))) {
    userdata = cookie(USER_ACTION_COOKIE_IPFIX);
    userdata.writeUInt32LE(num(r.v[0]), U);
    q = r.end;
  } else if ((r = scan(s, q, ',controller(reason=%hu,dont_send=%hhu,continuation=%hhu,recirc_id=%u,rule_cookie=%llx,controller_id=%hu,max_len=%hu)'))) {
    userdata = cookie(USER_ACTION_COOKIE_CONTROLLER);
    userdata[U] = num(r.v[1]) ? 1 : 0;
    userdata[U + 1] = num(r.v[2]) ? 1 : 0;
    userdata.writeUInt16LE(num(r.v[0]), U + 2);
    userdata.writeUInt32LE(num(r.v[3]), U + 4);
    userdata.writeBigUInt64BE(r.v[4] as bigint, U + 8);
    userdata.writeUInt16LE(num(r.v[5]), U + 16);
    userdata.writeUInt16LE(num(r.v[6]), U + 18);
    q = r.end;
  } else if (s.startsWith(',userdata(', q)) {
    const h = putHex(s, q + ',userdata('.length);
    if (s[h.end] !== ')') throw new Fail(h.end, 'userdata must be pairs of hex digits');
    userdata = h.bytes;
    q = h.end + 1;
  }
  let includeActions = false;
  if (s.startsWith(',actions', q)) [includeActions, q] = [true, q + 8];
  let tunnelOutPort: number | undefined;
  if ((r = scan(s, q, ',tunnel_out_port=%i)'))) {
    tunnelOutPort = num(r.v[0]);
    q = r.end;
  } else if (s[q] === ')') {
    q++;
  } else {
    throw new Fail(q, 'syntax error in userspace');
  }
  // At least 8 bytes of userdata, for kernels before Linux 3.10 (OVS's odp_put_userspace_action()).
  const padded = Buffer.alloc(Math.max(8, userdata.length));
  userdata.copy(padded);
  const nested = [
    attr(OVS_USERSPACE_ATTR_PID, u32le(pid)),
    attr(OVS_USERSPACE_ATTR_USERDATA, padded),
    ...(tunnelOutPort !== undefined ? [attr(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, u32le(tunnelOutPort))] : []),
    ...(includeActions ? [attr(OVS_USERSPACE_ATTR_ACTIONS)] : []),
  ];
  return fixed(OVS_ACTION_ATTR_USERSPACE, Buffer.concat(nested), q);
};

/**
 * set(KEY): one key attribute in ./odp-key-text syntax, sent as SET, or as SET_MASKED (value,
 * then mask) when the mask has the value's size but is not all ones — OVS's rule, under which a
 * tunnel() with flags(…) stays a SET because its mask carries more flag attributes.
 */
const parseSet: ActionParser = (c, p) => {
  const s = c.s;
  if (!s.startsWith('set(', p)) return undefined;
  const start = p + 4;
  let depth = 1;
  let q = start;
  for (; q < s.length && depth; q++) {
    if (s[q] === '(') depth++;
    else if (s[q] === ')') depth--;
  }
  if (depth) throw new Fail(p, 'set(...) not closed');
  const inner = s.slice(start, q - 1);
  if (!inner || DELIMITERS.includes(inner[0]) || DELIMITERS.includes(inner[inner.length - 1]) || inner.startsWith('ufid:')) {
    throw new Fail(start, 'set takes exactly one key attribute');
  }
  if (c.depth + 1 >= MAX_ODP_NESTED) throw new Fail(start, 'nesting too deep');
  let parsed: { key: Buffer; mask: Buffer };
  try {
    parsed = parseOdpFlowKeyBytes(inner, { portNames: c.portNames });
  } catch (e) {
    if (!(e instanceof OdpParseError)) throw e;
    throw new Fail(start + e.reasonPosition, `in set(): ${e.reason}`, e.errno === 'E2BIG' ? E2BIG : EINVAL);
  }
  const keyLen = parsed.key.length >= 4 ? parsed.key.readUInt16LE(0) : 0;
  if (keyLen < 4 || ((keyLen + 3) & ~3) !== parsed.key.length) throw new Fail(start, 'set takes exactly one key attribute');
  const type = parsed.key.readUInt16LE(2);
  const keyPayload = parsed.key.subarray(4, keyLen);
  const maskPayload = parsed.mask.subarray(4, parsed.mask.readUInt16LE(0));
  if (type === OVS_KEY_ATTR_NSH) {
    // OVS 3.1 cannot parse nsh() at all (its parser rejects the text after a successful scan).
    // Here it becomes what the kernel expects: SET_MASKED with value then mask inside each NSH
    // sub-attribute, or SET when every mask bit is set or the mask holds other sub-attributes.
    const ks = parseAttrs(keyPayload);
    const ms = parseAttrs(maskPayload);
    const aligned = ks.length === ms.length && ks.every((k, i) => k.type === ms[i].type && k.data.length === ms[i].data.length);
    if (aligned && ms.some((m) => !m.data.every((x) => x === 0xff))) {
      return fixed(OVS_ACTION_ATTR_SET_MASKED, attr(type, ks.map((k, i) => attr(k.type, [k.data, ms[i].data]))), q);
    }
    return fixed(OVS_ACTION_ATTR_SET, parsed.key, q);
  }
  if (maskPayload.length === keyPayload.length && !maskPayload.every((x) => x === 0xff)) {
    return fixed(OVS_ACTION_ATTR_SET_MASKED, attr(type, [keyPayload, maskPayload]), q);
  }
  return fixed(OVS_ACTION_ATTR_SET, parsed.key, q);
};

const parsePushVlan: ActionParser = (c, p) => {
  const forms: [string, (v: ScanValue[]) => [number, number, number, number]][] = [
    ['push_vlan(vid=%i,pcp=%i)', (v) => [0x8100, num(v[0]), num(v[1]), 1]],
    ['push_vlan(vid=%i,pcp=%i,cfi=%i)', (v) => [0x8100, num(v[0]), num(v[1]), num(v[2])]],
    ['push_vlan(tpid=%i,vid=%i,pcp=%i)', (v) => [num(v[0]), num(v[1]), num(v[2]), 1]],
    ['push_vlan(tpid=%i,vid=%i,pcp=%i,cfi=%i)', (v) => [num(v[0]), num(v[1]), num(v[2]), num(v[3])]],
  ];
  for (const [fmt, pick] of forms) {
    const r = scan(c.s, p, fmt);
    if (!r) continue;
    const [tpid, vid, pcp, cfi] = pick(r.v);
    if (vid & ~0xfff || pcp & ~7) throw new Fail(p, 'vid must be 0-4095 and pcp 0-7');
    const b = Buffer.alloc(4);
    b.writeUInt16BE(tpid & 0xffff, 0);
    b.writeUInt16BE(vid | (pcp << 13) | (cfi ? 0x1000 : 0), 2);
    return fixed(OVS_ACTION_ATTR_PUSH_VLAN, b, r.end);
  }
  return undefined;
};

function keyword(word: string, type: number): ActionParser {
  return (c, p) => (c.s.startsWith(word, p) ? fixed(type, Buffer.alloc(0), p + word.length) : undefined);
}

const parseMeter = simple('meter(%lli)', OVS_ACTION_ATTR_METER, (v) => u32le(Number((v[0] as bigint) & 0xffffffffn)));

const parseSample: ActionParser = (c, p) => {
  const r = scan(c.s, p, 'sample(sample=%lf%%,actions(');
  if (!r) return undefined;
  const pct = r.v[0] as number;
  if (!(pct >= 0 && pct <= 100)) return undefined;
  const probability = Math.floor(0xffffffff * (pct / 100.0) + 0.5);
  const list = parseActionList(c, r.end);
  if (c.s[list.end + 1] !== ')') throw new Fail(list.end + 1, 'sample(...) not closed');
  const payload = Buffer.concat([
    attr(OVS_SAMPLE_ATTR_PROBABILITY, u32le(probability <= 0 ? 0 : probability >= 0xffffffff ? 0xffffffff : probability)),
    attr(OVS_SAMPLE_ATTR_ACTIONS, list.bytes),
  ]);
  return fixed(OVS_ACTION_ATTR_SAMPLE, payload, list.end + 2);
};

const parseClone: ActionParser = (c, p) => {
  if (!c.s.startsWith('clone(', p)) return undefined;
  const list = parseActionList(c, p + 6);
  return fixed(OVS_ACTION_ATTR_CLONE, list.bytes, list.end + 1);
};

const parsePushNsh: ActionParser = (c, p) => {
  const s = c.s;
  if (!s.startsWith('push_nsh(', p)) return undefined;
  let q = p + 'push_nsh('.length;
  let [flags, ttl, mdtype, np, spi, si] = [0, 63, 1, 3, 0, 255];
  const context = Buffer.alloc(16);
  let md2 = Buffer.alloc(0);
  for (;;) {
    q += spanOf(s, q, DELIMITERS);
    if (s[q] === ')') break;
    let r: ReturnType<typeof scan>;
    if ((r = scan(s, q, 'flags=%hhi'))) flags = num(r.v[0]);
    else if ((r = scan(s, q, 'ttl=%hhi'))) ttl = num(r.v[0]);
    else if ((r = scan(s, q, 'mdtype=%hhi'))) {
      mdtype = num(r.v[0]);
      if (mdtype !== 1 && mdtype !== 2) throw new Fail(q, 'mdtype must be 1 or 2');
      if (mdtype === 2) md2 = Buffer.alloc(0);
    } else if ((r = scan(s, q, 'np=%hhi'))) np = num(r.v[0]);
    else if ((r = scan(s, q, 'spi=0x%x'))) spi = num(r.v[0]);
    else if ((r = scan(s, q, 'si=%hhi'))) si = num(r.v[0]);
    else if (mdtype === 1 && (r = scan(s, q, 'c%1[1234]=0x%x'))) context.writeUInt32BE(num(r.v[1]), (Number(r.v[0]) - 1) * 4);
    else if (mdtype === 2 && (r = scan(s, q, 'md2=0x%511[0-9a-fA-F]')) && Math.floor((r.end - p) / 2) <= 244) {
      const h = putHex(r.v[0] as string, 0).bytes;
      md2 = Buffer.concat([h, Buffer.alloc((4 - (h.length % 4)) % 4)]);
    } else throw new Fail(q, 'unknown push_nsh field');
    q = r.end;
  }
  const base = Buffer.alloc(8);
  [base[0], base[1], base[2], base[3]] = [flags, ttl, mdtype, np];
  base.writeUInt32BE(((spi << 8) | si) >>> 0, 4);
  const subs = [attr(OVS_NSH_KEY_ATTR_BASE, base)];
  if (mdtype === 1) subs.push(attr(OVS_NSH_KEY_ATTR_MD1, context));
  else if (md2.length) subs.push(attr(OVS_NSH_KEY_ATTR_MD2, md2));
  return fixed(OVS_ACTION_ATTR_PUSH_NSH, attr(OVS_KEY_ATTR_NSH, subs), q + 1);
};

const parsePopNsh: ActionParser = (c, p) => (c.s.startsWith('pop_nsh()', p) ? fixed(OVS_ACTION_ATTR_POP_NSH, Buffer.alloc(0), p + 9) : undefined);

const parseCheckPktLen: ActionParser = (c, p) => {
  const s = c.s;
  const r = scan(s, p, 'check_pkt_len(size=%hi,gt(');
  if (!r) return undefined;
  const branch = (q: number): { end: number; bytes: Buffer } => {
    if (s.slice(q, q + 4).toLowerCase() === 'drop') return { end: q + 4, bytes: Buffer.alloc(0) };
    return parseActionList(c, q);
  };
  const gt = branch(r.end);
  const mid = scan(s, gt.end, '),le(');
  if (!mid) throw new Fail(gt.end, 'check_pkt_len needs gt(...),le(...)');
  const le = branch(mid.end);
  if (s[le.end + 1] !== ')') throw new Fail(le.end + 1, 'check_pkt_len(...) not closed');
  const payload = Buffer.concat([
    attr(OVS_CHECK_PKT_LEN_ATTR_PKT_LEN, u16le(num(r.v[0]))),
    attr(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER, gt.bytes),
    attr(OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, le.bytes),
  ]);
  return fixed(OVS_ACTION_ATTR_CHECK_PKT_LEN, payload, le.end + 2);
};

interface NatParams {
  snat: boolean;
  dnat: boolean;
  addrLen: number;
  min: Buffer;
  max: Buffer;
  protoMin: number;
  protoMax: number;
  persistent: boolean;
  hash: boolean;
  random: boolean;
}

/** One address of a NAT range: dotted quad, or IPv6 bare or in brackets. */
function scanNatAddr(c: Ctx, p: number, v4: boolean | undefined): { end: number; bytes: Buffer; v4: boolean } | undefined {
  if (v4 !== false) {
    const r = scan(c.s, p, '%hhu.%hhu.%hhu.%hhu');
    if (r) return { end: r.end, bytes: Buffer.from(r.v.map(num)), v4: true };
    if (v4) return undefined;
  }
  const r = scan(c.s, p, '%46[0123456789abcdefABCDEF:.]') ?? scan(c.s, p, '[%46[0123456789abcdefABCDEF:.]]');
  const b = r && parseIpv6(r.v[0] as string);
  return r && b ? { end: r.end, bytes: b, v4: false } : undefined;
}

/** scan_ct_nat_range(): "=addr[-addr][:port[-port]]". */
function scanNatRange(c: Ctx, p: number, n: NatParams): number {
  if (c.s[p] !== '=') return p;
  p++;
  const min = scanNatAddr(c, p, undefined);
  if (!min) throw new Fail(p, 'bad NAT address');
  n.addrLen = min.bytes.length;
  min.bytes.copy(n.min);
  p = min.end;
  if (c.s[p] === '-') {
    const max = scanNatAddr(c, p + 1, min.v4);
    if (!max) throw new Fail(p + 1, 'bad NAT address range');
    max.bytes.copy(n.max);
    p = max.end;
  }
  const port = scan(c.s, p, ':%hu');
  if (port) {
    n.protoMin = num(port.v[0]);
    p = port.end;
    if (c.s[p] === '-') {
      const pm = scan(c.s, p + 1, '%hu');
      if (!pm) throw new Fail(p + 1, 'bad NAT port range');
      n.protoMax = num(pm.v[0]);
      p = pm.end;
    }
  }
  return p;
}

/** scan_ct_nat(): "nat" or "nat(src|dst[=range],persistent,hash,random)"; undefined when not at "nat". */
function scanNat(c: Ctx, p: number): { end: number; nat: NatParams } | undefined {
  const s = c.s;
  if (!s.startsWith('nat', p)) return undefined;
  const n: NatParams = {
    snat: false, dnat: false, addrLen: 0, min: Buffer.alloc(16), max: Buffer.alloc(16),
    protoMin: 0, protoMax: 0, persistent: false, hash: false, random: false,
  };
  let q = p + 3;
  if (s[q] !== '(') return { end: q, nat: n };
  q++;
  const end = s.indexOf(')', q);
  if (end < 0) throw new Fail(p, 'nat(...) not closed');
  while (q < end) {
    q += spanOf(s, q, DELIMITERS);
    if (s.startsWith('src', q)) [q, n.snat] = [scanNatRange(c, q + 3, n), true];
    else if (s.startsWith('dst', q)) [q, n.dnat] = [scanNatRange(c, q + 3, n), true];
    else if (s.startsWith('persistent', q)) [q, n.persistent] = [q + 10, true];
    else if (s.startsWith('hash', q)) [q, n.hash] = [q + 4, true];
    else if (s.startsWith('random', q)) [q, n.random] = [q + 6, true];
    else throw new Fail(q, 'unknown nat option');
  }
  if (n.snat && n.dnat) throw new Fail(p, 'nat takes only one of src and dst');
  const len = n.addrLen;
  if ((len && !n.max.subarray(0, len).every((b) => b === 0) && Buffer.compare(n.max.subarray(0, len), n.min.subarray(0, len)) < 0) ||
      (n.protoMax && n.protoMax < n.protoMin)) {
    throw new Fail(p, 'nat range max below min');
  }
  if (n.hash && n.random) throw new Fail(p, 'nat takes only one of hash and random');
  return { end: q + 1, nat: n };
}

/** nl_msg_put_ct_nat(): flags and ranges only with src/dst, and options only with an address. */
function natBytes(n: NatParams): Buffer {
  const parts: Buffer[] = [];
  if (n.snat) parts.push(attr(OVS_NAT_ATTR_SRC));
  else if (n.dnat) parts.push(attr(OVS_NAT_ATTR_DST));
  else return attr(OVS_CT_ATTR_NAT);
  const len = n.addrLen;
  if (len) {
    const min = n.min.subarray(0, len);
    const max = n.max.subarray(0, len);
    parts.push(attr(OVS_NAT_ATTR_IP_MIN, min));
    if (Buffer.compare(max, min) > 0) parts.push(attr(OVS_NAT_ATTR_IP_MAX, max));
    if (n.protoMin) {
      parts.push(attr(OVS_NAT_ATTR_PROTO_MIN, u16le(n.protoMin)));
      if (n.protoMax && n.protoMax > n.protoMin) parts.push(attr(OVS_NAT_ATTR_PROTO_MAX, u16le(n.protoMax)));
    }
    if (n.persistent) parts.push(attr(OVS_NAT_ATTR_PERSISTENT));
    if (n.hash) parts.push(attr(OVS_NAT_ATTR_PROTO_HASH));
    if (n.random) parts.push(attr(OVS_NAT_ATTR_PROTO_RANDOM));
  }
  return attr(OVS_CT_ATTR_NAT, parts);
}

/** parse_conntrack_action(): "ct" or "ct(commit,force_commit,zone=N,mark=V[/M],label=V[/M],helper=S,timeout=S,nat…)". */
const parseCt: ActionParser = (c, p) => {
  const s = c.s;
  if (!s.startsWith('ct', p)) return undefined;
  let q = p + 2;
  let [commit, force, zone] = [false, false, 0];
  const mark = { value: 0, mask: 0 };
  const label: { value: Buffer; mask: Buffer } = { value: Buffer.alloc(16), mask: Buffer.alloc(16) };
  let helper: string | undefined;
  let timeout: string | undefined;
  let nat: NatParams | undefined;
  if (s[q] === '(') {
    q++;
    let end = s.indexOf(')', q);
    if (end < 0) throw new Fail(p, 'ct(...) not closed');
    while (q < end) {
      q += spanOf(s, q, DELIMITERS);
      let r: ReturnType<typeof scan>;
      if (s.startsWith('commit', q)) [commit, q] = [true, q + 6];
      else if (s.startsWith('force_commit', q)) [force, q] = [true, q + 12];
      else if ((r = scan(s, q, 'zone=%hu'))) [zone, q] = [num(r.v[0]), r.end];
      else if ((r = scan(s, q, 'mark=%x'))) {
        [mark.value, q] = [num(r.v[0]), r.end];
        const m = scan(s, q, '/%x');
        if (m) [mark.mask, q] = [num(m.v[0]), m.end];
        else mark.mask = 0xffffffff;
      } else if (s.startsWith('label=', q)) {
        const r2 = scanU128(s, q + 6);
        if (!r2) throw new Fail(q, 'bad ct label');
        [label.value, label.mask, q] = [r2.value, r2.mask, r2.end];
      } else if (s.startsWith('helper=', q) || s.startsWith('timeout=', q)) {
        const isHelper = s.startsWith('helper=', q);
        q += isHelper ? 7 : 8;
        const len = cspanOf(s, q, DELIMITERS_END);
        if (!len || len > (isHelper ? 15 : 31)) throw new Fail(q, `ct ${isHelper ? 'helper' : 'timeout'} name must be 1-${isHelper ? 15 : 31} characters`);
        if (isHelper) helper = s.slice(q, q + len);
        else timeout = s.slice(q, q + len);
        q += len;
      } else {
        const r2 = scanNat(c, q);
        if (!r2) throw new Fail(q, 'unknown ct option');
        [nat, q] = [r2.nat, r2.end];
        // The ')' found first may have closed nat(...): find the real end again.
        end = s.indexOf(')', q);
        if (end < 0) throw new Fail(p, 'ct(...) not closed');
      }
    }
    q++;
  }
  if (commit && force) throw new Fail(p, 'ct takes only one of commit and force_commit');
  const str = (t: number, v: string) => attr(t, [Buffer.from(v, 'utf8'), Buffer.alloc(1)]);
  const parts = [
    ...(commit ? [attr(OVS_CT_ATTR_COMMIT)] : force ? [attr(OVS_CT_ATTR_FORCE_COMMIT)] : []),
    ...(zone ? [attr(OVS_CT_ATTR_ZONE, u16le(zone))] : []),
    ...(mark.mask ? [attr(OVS_CT_ATTR_MARK, [u32le(mark.value), u32le(mark.mask)])] : []),
    ...(label.mask.some((b) => b !== 0) ? [attr(OVS_CT_ATTR_LABELS, [label.value, label.mask])] : []),
    ...(helper !== undefined ? [str(OVS_CT_ATTR_HELPER, helper)] : []),
    ...(timeout !== undefined ? [str(OVS_CT_ATTR_TIMEOUT, timeout)] : []),
    ...(nat ? [natBytes(nat)] : []),
  ];
  return fixed(OVS_ACTION_ATTR_CT, Buffer.concat(parts), q);
};

/** be32 LSE, be16 ethertype, then 2 zero bytes (push_mpls tail padding; add_mpls tun_flags 0). */
function mplsPayload(v: ScanValue[]): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(mplsLse(num(v[0]), num(v[1]), num(v[2]), num(v[3])), 0);
  b.writeUInt16BE(num(v[4]), 4);
  return b;
}

const parseAddMpls = simple('add_mpls(label=%i,tc=%hhd,ttl=%hhd,bos=%hhd,eth_type=0x%hx)', OVS_ACTION_ATTR_ADD_MPLS, mplsPayload);

// Extensions: the text OVS 3.1 prints for these actions, which its own parser does not accept.
const parseHash: ActionParser = (c, p) => {
  const r = scan(c.s, p, 'hash(l4(%u))') ?? scan(c.s, p, 'hash(sym_l4(%u))');
  if (!r) return undefined;
  const alg = c.s.startsWith('hash(l4(', p) ? 0 : 1;
  return fixed(OVS_ACTION_ATTR_HASH, Buffer.concat([u32le(alg), u32le(num(r.v[0]))]), r.end);
};
const parsePushMpls = simple('push_mpls(label=%i,tc=%hhd,ttl=%hhd,bos=%hhd,eth_type=0x%hx)', OVS_ACTION_ATTR_PUSH_MPLS, mplsPayload);
const parsePopMpls = simple('pop_mpls(eth_type=0x%hx)', OVS_ACTION_ATTR_POP_MPLS, (v) => be16(num(v[0])));
const parsePushEth: ActionParser = (c, p) => {
  const mac = '%hhx:%hhx:%hhx:%hhx:%hhx:%hhx';
  const r = scan(c.s, p, `push_eth(src=${mac},dst=${mac})`) ?? scan(c.s, p, `push_eth(src=${mac},dst=${mac},type=%i)`);
  return r && fixed(OVS_ACTION_ATTR_PUSH_ETH, Buffer.from(r.v.slice(0, 12).map(num)), r.end);
};
const parseDecTtl: ActionParser = (c, p) => {
  if (!c.s.startsWith('dec_ttl(le_1(', p)) return undefined;
  const list = parseActionList(c, p + 'dec_ttl(le_1('.length);
  if (c.s[list.end + 1] !== ')') throw new Fail(list.end + 1, 'dec_ttl(...) not closed');
  return fixed(OVS_ACTION_ATTR_DEC_TTL, attr(OVS_DEC_TTL_ATTR_ACTION, list.bytes), list.end + 2);
};

/** parse_odp_action__()'s order (the first parser that recognizes its syntax wins), then the extensions. */
const ACTION_PARSERS: ActionParser[] = [
  parseOutput,
  parseUserspaceOnly,
  parseTrunc,
  parsePortName,
  parseRecirc,
  parseUserspace,
  parseSet,
  parsePushVlan,
  keyword('pop_vlan', OVS_ACTION_ATTR_POP_VLAN),
  parseMeter,
  parseSample,
  parseClone,
  parsePushNsh,
  parsePopNsh,
  keyword('ct_clear', OVS_ACTION_ATTR_CT_CLEAR),
  parseCheckPktLen,
  parseCt,
  parseAddMpls,
  parseHash,
  parsePushMpls,
  parsePopMpls,
  parsePushEth,
  keyword('pop_eth', OVS_ACTION_ATTR_POP_ETH),
  parseDecTtl,
];

/** OVS's limit: the actions must fit in one netlink attribute. */
const MAX_ACTIONS_SIZE = 0xffff;

/**
 * Parses ODP action text into the `OVS_ACTION_ATTR_*` bytes OVS 3.1's
 * `odp_actions_from_string()` builds for it (see the module comment for the differences).
 * @param text e.g. "push_vlan(vid=10,pcp=0),3"; "" and "drop" give no bytes
 * @param opts.portNames names usable as output ports
 * @throws OdpActionsParseError with the offset of the action that failed
 */
export function parseOdpActionBytes(text: string, opts: ParseOdpActionsOptions = {}): Buffer {
  if (text.toLowerCase() === 'drop') return Buffer.alloc(0);
  const c: Ctx = { s: text, portNames: opts.portNames, depth: 0 };
  const parts: Buffer[] = [];
  let size = 0;
  let p = 0;
  try {
    for (;;) {
      p += spanOf(text, p, DELIMITERS);
      if (p >= text.length) break;
      const r = parseAction(c, p);
      size += r.bytes.length;
      if (size > MAX_ACTIONS_SIZE) throw new Fail(p, 'actions too long', E2BIG);
      if (r.end < text.length && !DELIMITERS.includes(text[r.end])) throw new Fail(r.end, 'expected "," between actions', -(r.end - p));
      parts.push(r.bytes);
      p = r.end;
    }
  } catch (e) {
    if (e instanceof Fail) throw new OdpActionsParseError(text, e.pos, e.errno, e.reason);
    throw e;
  }
  return Buffer.concat(parts);
}

/**
 * Parses ODP action text as `ovs-dpctl add-flow` does (OVS 3.1 `odp_actions_from_string()`):
 * "1,2", "drop", "push_vlan(vid=10,pcp=0),3", "set(ipv4(src=1.2.3.4/255.255.255.0))",
 * "ct(commit,zone=1,nat(src=10.0.0.1-10.0.0.9:100-200,random))", "recirc(1)", … The result
 * encodes ({@link encodeActions}) to the bytes OVS would send, canonicalized to the kernel's
 * sub-attribute order; see the module comment for the differences from OVS.
 * @param text the actions; "" and "drop" mean drop (no actions)
 * @param opts.portNames names usable as output ports
 * @returns the actions in order
 * @throws OdpActionsParseError with the offset of the action that failed, errno and reason
 */
export function parseOdpActions(text: string, opts: ParseOdpActionsOptions = {}): OdpAction[] {
  return decodeActions(parseOdpActionBytes(text, opts), { canonical: true });
}
