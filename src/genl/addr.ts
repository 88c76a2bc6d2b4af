/**
 * IPv6 address text, as glibc's inet_pton/inet_ntop read and write it (which is what OVS reads and
 * prints): one copy for the flow-key and action codecs.
 */

/**
 * Parses IPv6 text as glibc's inet_pton(AF_INET6) does: 1-4 hex digits per group, one "::",
 * an optional dotted-quad tail (no leading zeros in its octets).
 * @returns the 16 network-order bytes, or undefined when the text is not an IPv6 address
 */
export function parseIpv6(s: string): Buffer | undefined {
  let text = s;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  if (text.includes('.', lastColon)) {
    const parts = text.slice(lastColon + 1).split('.');
    if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255)) return undefined;
    tail.push((Number(parts[0]) << 8) | Number(parts[1]), (Number(parts[2]) << 8) | Number(parts[3]));
    // "…::1.2.3.4" keeps its "::"; in "a:…:f:1.2.3.4" the last ':' only separates the tail.
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const words = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  const b = Buffer.alloc(16);
  words.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}

/** IPv6 text as glibc's inet_ntop(AF_INET6) prints it (which is what OVS prints). */
export function formatIpv6(b: Buffer, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(b.readUInt16BE(off + i * 2));
  let base = -1;
  let len = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > len) {
      base = i;
      len = j - i;
    }
    i = j;
  }
  if (len < 2) base = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (base >= 0 && i >= base && i < base + len) {
      if (i === base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && base === 0 && (len === 6 || (len === 5 && w[5] === 0xffff))) {
      out += `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
      return out;
    }
    out += w[i].toString(16);
  }
  if (base >= 0 && base + len === 8) out += ':';
  return out;
}
