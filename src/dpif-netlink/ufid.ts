/**
 * Unique flow identifiers (UFIDs, `OVS_FLOW_ATTR_UFID`): 128 bits that name a megaflow in the
 * kernel so flows can be dumped, fetched and deleted without sending the key back. OVS derives a
 * UFID from the masked key; so do we, so that two handlers that miss on packets of the same
 * megaflow compute the same UFID (the second put answers EEXIST instead of adding a duplicate).
 */
import { createHash } from 'node:crypto';
import { maskFlowKeyBytes } from '../genl/flow-key';

/**
 * The UFID of the megaflow (key, mask): MD5 over the masked key (the kernel's own masking,
 * attribute by attribute) followed by the mask. MD5 serves as a well-distributed 128-bit hash
 * here, not for security.
 *
 * @param key `OVS_KEY_ATTR_*` attributes (e.g. an upcall's raw key)
 * @param mask `OVS_KEY_ATTR_*` mask attributes
 * @returns 16 bytes
 * @throws RangeError on malformed attributes
 */
export function megaflowUfid(key: Buffer, mask: Buffer): Buffer {
  return createHash('md5').update(maskFlowKeyBytes(key, mask)).update(mask).digest();
}

/**
 * UFID text as `ovs-dpctl dump-flows` prints it, `ufid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`: OVS
 * reads the 16 bytes as four host-order (little-endian here) 32-bit words.
 */
export function formatUfid(ufid: Buffer): string {
  const w = [0, 4, 8, 12].map((o) => ufid.readUInt32LE(o));
  const h = (n: number, d: number): string => n.toString(16).padStart(d, '0');
  return `ufid:${h(w[0], 8)}-${h(w[1] >>> 16, 4)}-${h(w[1] & 0xffff, 4)}-${h(w[2] >>> 16, 4)}-${h(w[2] & 0xffff, 4)}${h(w[3], 8)}`;
}
