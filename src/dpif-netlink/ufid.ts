/**
 * Unique flow identifiers (UFIDs, `OVS_FLOW_ATTR_UFID`): 128 bits that name a megaflow in the
 * kernel so flows can be dumped, fetched and deleted without sending the key back. OVS derives a
 * UFID from the masked key; so do we, so that two handlers that miss on packets of the same
 * megaflow compute the same UFID (the second put answers EEXIST instead of adding a duplicate).
 */
import { createHash } from 'node:crypto';
import { encodeFlowKey, OdpFlowKey } from '../genl/flow-key';

/** Six colon-separated octets: never valid IPv6 text, which has eight groups or a `::`. */
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function maskBytes(v: Buffer, m: Buffer): Buffer {
  const out = Buffer.alloc(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] & (m[i] ?? 0);
  return out;
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.replace(/:/g, ''), 'hex');
}

function macText(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Parses IPv6 text (RFC 4291 §2.2 forms, including `::` and an embedded dotted quad). */
function ipv6Bytes(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string): number[] => {
    if (!s) return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const q = g.split('.').map(Number);
        out.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  const b = Buffer.alloc(16);
  all.forEach((g, i) => b.writeUInt16BE(g & 0xffff, i * 2));
  return b;
}

function ipv6Text(b: Buffer): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i).toString(16));
  return g.join(':');
}

function maskValue(v: unknown, m: unknown): unknown {
  if (typeof v === 'number' && typeof m === 'number') return (v & m) >>> 0;
  if (Buffer.isBuffer(v) && Buffer.isBuffer(m)) return maskBytes(v, m);
  if (typeof v === 'string' && typeof m === 'string') {
    if (MAC_RE.test(v)) return macText(maskBytes(macBytes(v), macBytes(m)));
    if (/^\d+\.\d+\.\d+\.\d+$/.test(v)) {
      const vb = Buffer.from(v.split('.').map(Number));
      const mb = Buffer.from(m.split('.').map(Number));
      return [...maskBytes(vb, mb)].join('.');
    }
    if (v.includes(':')) return ipv6Text(maskBytes(ipv6Bytes(v), ipv6Bytes(m)));
  }
  return v;
}

/**
 * Applies `mask` to `key` field by field: the megaflow's identity. Attributes (and members of
 * attributes) absent from the mask are dropped, as a zero mask would erase them. Masked IPv6
 * addresses come back in uncompressed text (stable, which is all identity needs).
 *
 * @param key decoded datapath flow key
 * @param mask decoded datapath mask of the same shape
 */
export function maskFlowKey(key: OdpFlowKey, mask: OdpFlowKey): OdpFlowKey {
  const out: Record<string, unknown> = {};
  for (const [name, mv] of Object.entries(mask)) {
    const kv = (key as Record<string, unknown>)[name];
    if (kv === undefined || mv === undefined || name === 'other') continue;
    if (name === 'encap') {
      out.encap = maskFlowKey(kv as OdpFlowKey, mv as OdpFlowKey);
    } else if (typeof kv === 'object' && !Buffer.isBuffer(kv)) {
      const sub: Record<string, unknown> = {};
      for (const [f, fm] of Object.entries(mv as Record<string, unknown>)) {
        sub[f] = maskValue((kv as Record<string, unknown>)[f], fm);
      }
      out[name] = sub;
    } else {
      out[name] = maskValue(kv, mv);
    }
  }
  return out as OdpFlowKey;
}

/**
 * The UFID of the megaflow (key, mask): MD5 over the encoded masked key followed by the encoded
 * mask. MD5 serves as a well-distributed 128-bit hash here, not for security.
 *
 * @returns 16 bytes
 */
export function megaflowUfid(key: OdpFlowKey, mask: OdpFlowKey): Buffer {
  const h = createHash('md5');
  h.update(encodeFlowKey(maskFlowKey(key, mask)));
  h.update(encodeFlowKey(mask));
  return h.digest();
}

/** UFID text as `ovs-dpctl dump-flows` prints it: `ufid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function formatUfid(ufid: Buffer): string {
  const h = ufid.toString('hex');
  return `ufid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
