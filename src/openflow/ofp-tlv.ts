/**
 * Nicira's tunnel-option TLV table messages (`NXT_TLV_TABLE_MOD`, `NXT_TLV_TABLE_REQUEST`,
 * `NXT_TLV_TABLE_REPLY`; OVS include/openflow/nicira-ext.h `struct nx_tlv_table_mod`,
 * `struct nx_tlv_table_reply`, `struct nx_tlv_map`): the mapping of Geneve option
 * (class, type, length) to the match fields `tun_metadata0`..`tun_metadata63`.
 */
import { OfpError } from './ofp-errors';
import { encodeMsg, OfpMsg, rawReplyFor } from './ofp-msgs';

/** `enum nx_tlv_table_mod_command`. */
export const NXTTMC_ADD = 0;
export const NXTTMC_DELETE = 1;
export const NXTTMC_CLEAR = 2;

/** Number of `tun_metadata<N>` fields (OVS TUN_METADATA_NUM_OPTS). */
export const TUN_METADATA_NUM_OPTS = 64;
/** Total option space, bytes (OVS TUN_METADATA_TOT_OPT_SIZE). */
export const TUN_METADATA_TOT_OPT_SIZE = 256;
/** Largest single option, bytes (OVS TLV_MAX_OPT_SIZE). */
export const TLV_MAX_OPT_SIZE = 124;

/** One mapping (`struct nx_tlv_map`, 8 bytes). */
export interface TlvMap {
  optionClass: number;
  optionType: number;
  /** bytes, a multiple of 4, at most 124 */
  optionLen: number;
  /** N of `tun_metadata<N>` */
  index: number;
}

/** A decoded NXT_TLV_TABLE_MOD. */
export interface TlvTableMod {
  command: number;
  mappings: TlvMap[];
}

/**
 * Decodes NXT_TLV_TABLE_MOD (OVS ofputil_decode_tlv_table_mod).
 * @throws OfpError NXTTMFC_BAD_COMMAND (command > CLEAR), NXTTMFC_BAD_OPT_LEN (length not a
 *         multiple of 4 or above 124), NXTTMFC_BAD_FIELD_IDX (index ≥ 64)
 */
export function decodeTlvTableMod(msg: OfpMsg): TlvTableMod {
  const b = msg.body;
  const command = b.readUInt16BE(0);
  if (command > NXTTMC_CLEAR) throw new OfpError('NXTTMFC_BAD_COMMAND', `tlv table mod command (${command}) is out of range`);
  const mappings: TlvMap[] = [];
  for (let o = 8; o + 8 <= b.length; o += 8) {
    const m = { optionClass: b.readUInt16BE(o), optionType: b[o + 2], optionLen: b[o + 3], index: b.readUInt16BE(o + 4) };
    if (m.optionLen % 4 || m.optionLen > TLV_MAX_OPT_SIZE) throw new OfpError('NXTTMFC_BAD_OPT_LEN', `tlv table option length (${m.optionLen}) is not a valid option size`);
    if (m.index >= TUN_METADATA_NUM_OPTS) throw new OfpError('NXTTMFC_BAD_FIELD_IDX', `tlv table field index (${m.index}) is too large (max ${TUN_METADATA_NUM_OPTS - 1})`);
    mappings.push(m);
  }
  return { command, mappings };
}

/** Encodes NXT_TLV_TABLE_REPLY answering `request` with `mappings` (index order). */
export function encodeTlvTableReply(request: OfpMsg, mappings: readonly TlvMap[]): Buffer {
  const body = Buffer.alloc(16 + 8 * mappings.length);
  body.writeUInt32BE(TUN_METADATA_TOT_OPT_SIZE, 0);
  body.writeUInt16BE(TUN_METADATA_NUM_OPTS, 4);
  mappings.forEach((m, i) => {
    const o = 16 + 8 * i;
    body.writeUInt16BE(m.optionClass, o);
    body[o + 2] = m.optionType;
    body[o + 3] = m.optionLen;
    body.writeUInt16BE(m.index, o + 4);
  });
  return encodeMsg(rawReplyFor(request), request.version, request.xid, body);
}

/**
 * One bridge's TLV table (OVS lib/tun-metadata.c `struct tun_table`): which option each
 * `tun_metadata<N>` holds and how much of the 256-byte option space is allocated.
 */
export class TlvTable {
  private readonly entries = new Map<number, TlvMap>();

  /** The mappings in index order, as NXT_TLV_TABLE_REPLY lists them. */
  mappings(): TlvMap[] {
    return [...this.entries.values()].sort((a, z) => a.index - z.index);
  }

  /**
   * Applies a table mod atomically (OVS tun_metadata_table_mod): ADD maps each index, DELETE
   * unmaps each index, CLEAR unmaps all.
   * @throws OfpError NXTTMFC_ALREADY_MAPPED (index in use), NXTTMFC_DUP_ENTRY (class/type
   *         already mapped), NXTTMFC_TABLE_FULL (option space exhausted); nothing changes then
   */
  apply(ttm: TlvTableMod): void {
    if (ttm.command === NXTTMC_CLEAR) {
      this.entries.clear();
      return;
    }
    if (ttm.command === NXTTMC_DELETE) {
      for (const m of ttm.mappings) this.entries.delete(m.index);
      return;
    }
    const next = new Map(this.entries);
    let used = [...next.values()].reduce((n, m) => n + m.optionLen, 0);
    for (const m of ttm.mappings) {
      if (next.has(m.index)) throw new OfpError('NXTTMFC_ALREADY_MAPPED');
      if ([...next.values()].some((x) => x.optionClass === m.optionClass && x.optionType === m.optionType)) throw new OfpError('NXTTMFC_DUP_ENTRY');
      used += m.optionLen;
      if (used > TUN_METADATA_TOT_OPT_SIZE) throw new OfpError('NXTTMFC_TABLE_FULL');
      next.set(m.index, m);
    }
    this.entries.clear();
    for (const [k, v] of next) this.entries.set(k, v);
  }
}
