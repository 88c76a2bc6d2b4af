/**
 * Conversion between OVSDB datums in their JSON wire form (RFC 7047 §5.1) and plain
 * JavaScript values, driven by the column's schema type.
 *
 * Value representation (the "replica" form, what {@link decodeDatum} returns):
 *
 * | column type                              | JS value                                |
 * |------------------------------------------|-----------------------------------------|
 * | scalar, `min 1 max 1`                    | the atom                                |
 * | optional scalar, `min 0 max 1`           | the atom, or `undefined` when empty     |
 * | set, `max > 1` (incl. `"unlimited"`)     | `OvsdbAtom[]` (possibly empty)          |
 * | map (has `value`), any min/max           | `Map<OvsdbAtom, OvsdbAtom>` (possibly empty) |
 *
 * Atoms: `integer` and `real` → `number` (integers are exact up to 2^53, as JSON parsers give
 * them), `boolean` → `boolean`, `string` → `string`, `uuid` → its 36-character text
 * (`["uuid","…"]` on the wire). Maps are `Map`s rather than objects because OVS has maps with
 * integer keys (`Bridge.flow_tables`, `QoS.queues`).
 *
 * For writes ({@link encodeDatum}) the same forms are accepted, plus: a {@link NamedUuid} for
 * a uuid atom (a row inserted earlier in the same transaction, `["named-uuid", name]`), a
 * plain object with string keys for a map (keys are parsed per the key type), and a single
 * atom for a set.
 */
import type { OvsdbBaseType, OvsdbColumnType } from './ovsdb-schema';

/** One atom as it appears in the replica (uuids as their text). */
export type OvsdbAtom = number | boolean | string;

/** A column's value in the replica; see the module comment for which form a column takes. */
export type OvsdbValue = OvsdbAtom | OvsdbAtom[] | Map<OvsdbAtom, OvsdbAtom> | undefined;

/**
 * The symbolic name of a row inserted by an earlier `insert` op of the same transaction
 * (its `uuid-name`); encodes as `["named-uuid", name]`.
 */
export class NamedUuid {
  /** @throws Error unless `name` is an RFC 7047 `<id>` (`[_a-zA-Z][_a-zA-Z0-9]*`) */
  constructor(readonly name: string) {
    if (!/^[_a-zA-Z][_a-zA-Z0-9]*$/.test(name)) throw new Error(`"${name}" is not a valid uuid-name`);
  }
}

/** An atom accepted by {@link encodeDatum}. */
export type OvsdbWriteAtom = OvsdbAtom | NamedUuid;

/** A value accepted by {@link encodeDatum}. */
export type OvsdbWriteValue =
  | OvsdbWriteAtom
  | OvsdbWriteAtom[]
  | ReadonlyMap<OvsdbWriteAtom, OvsdbWriteAtom>
  | Record<string, OvsdbWriteAtom>
  | undefined;

/** A datum that does not fit its column type; `message` names what was wrong. */
export class OvsdbDatumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OvsdbDatumError';
  }
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The all-zeros UUID, the default value of a `uuid` atom (RFC 7047 §5.1 `<atom>`). */
export const UUID_ZERO = '00000000-0000-0000-0000-000000000000';

/** What shape a column's JS value takes: see the table in the module comment. */
export type OvsdbColumnKind = 'scalar' | 'set' | 'map';

/** Classifies a column type into the three JS value shapes. */
export function columnKind(type: OvsdbColumnType): OvsdbColumnKind {
  if (type.value !== undefined) return 'map';
  return type.max === 1 ? 'scalar' : 'set';
}

function decodeAtom(base: OvsdbBaseType, json: unknown, where: string): OvsdbAtom {
  switch (base.type) {
    case 'integer':
      if (typeof json === 'number' && Number.isInteger(json)) return json;
      break;
    case 'real':
      if (typeof json === 'number') return json;
      break;
    case 'boolean':
      if (typeof json === 'boolean') return json;
      break;
    case 'string':
      if (typeof json === 'string') return json;
      break;
    case 'uuid':
      if (Array.isArray(json) && json.length === 2 && json[0] === 'uuid' && typeof json[1] === 'string' && UUID_RE.test(json[1])) {
        return json[1];
      }
      if (Array.isArray(json) && json[0] === 'named-uuid') {
        throw new OvsdbDatumError(`${where}: named-uuid is only valid inside a transaction`);
      }
      break;
  }
  throw new OvsdbDatumError(`${where}: ${JSON.stringify(json)} is not a ${base.type} atom`);
}

/**
 * Converts a datum from the wire to its replica form.
 * @param type the column's type from the schema
 * @param json the datum: a bare atom, `["set", [atom, …]]` or `["map", [[key, value], …]]`
 * @param where prefix for error messages (e.g. `"Interface.ofport"`)
 * @throws OvsdbDatumError when the datum does not match `type` (wrong atom type, a map for a
 *   set or the reverse, more than one atom for a scalar, none for a required scalar)
 */
export function decodeDatum(type: OvsdbColumnType, json: unknown, where = 'datum'): OvsdbValue {
  const kind = columnKind(type);
  if (kind === 'map') {
    if (!Array.isArray(json) || json.length !== 2 || json[0] !== 'map' || !Array.isArray(json[1])) {
      throw new OvsdbDatumError(`${where}: expected ["map", […]], got ${JSON.stringify(json)}`);
    }
    const map = new Map<OvsdbAtom, OvsdbAtom>();
    for (const pair of json[1] as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new OvsdbDatumError(`${where}: map pair must be [key, value]`);
      map.set(decodeAtom(type.key, pair[0], `${where} key`), decodeAtom(type.value as OvsdbBaseType, pair[1], `${where} value`));
    }
    return map;
  }
  let atoms: unknown[];
  if (Array.isArray(json) && json[0] === 'set') {
    if (json.length !== 2 || !Array.isArray(json[1])) throw new OvsdbDatumError(`${where}: expected ["set", […]]`);
    atoms = json[1];
  } else {
    atoms = [json];
  }
  const values = atoms.map((a) => decodeAtom(type.key, a, where));
  if (kind === 'set') return values;
  if (values.length > 1) throw new OvsdbDatumError(`${where}: ${values.length} atoms for a scalar column`);
  if (values.length === 0 && type.min === 1) throw new OvsdbDatumError(`${where}: empty datum for a required column`);
  return values[0];
}

/**
 * The value a column has when the server did not send it: OVSDB's default datum (RFC 7047
 * §5.1: the empty set, or for a required scalar the default atom `0`, `0.0`, `false`, `""` or
 * the all-zeros UUID), in replica form.
 */
export function defaultValue(type: OvsdbColumnType): OvsdbValue {
  switch (columnKind(type)) {
    case 'map':
      return new Map();
    case 'set':
      return [];
    case 'scalar':
      if (type.min === 0) return undefined;
      switch (type.key.type) {
        case 'integer':
        case 'real':
          return 0;
        case 'boolean':
          return false;
        case 'string':
          return '';
        case 'uuid':
          return UUID_ZERO;
      }
  }
}

function encodeAtom(base: OvsdbBaseType, value: unknown, where: string): unknown {
  switch (base.type) {
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      break;
    case 'real':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'uuid':
      if (value instanceof NamedUuid) return ['named-uuid', value.name];
      if (typeof value === 'string' && UUID_RE.test(value)) return ['uuid', value];
      break;
  }
  throw new OvsdbDatumError(`${where}: ${describe(value)} is not a valid ${base.type} atom`);
}

function describe(value: unknown): string {
  if (value instanceof NamedUuid) return `named-uuid ${value.name}`;
  if (value instanceof Map) return 'a Map';
  return JSON.stringify(value) ?? String(value);
}

/** Parses an object key (always a string) into an atom of the map's key type. */
function atomFromKey(base: OvsdbBaseType, key: string, where: string): OvsdbAtom {
  switch (base.type) {
    case 'integer':
    case 'real': {
      const n = key.trim() === '' ? NaN : Number(key);
      if (Number.isNaN(n)) throw new OvsdbDatumError(`${where}: key "${key}" is not a number`);
      return n;
    }
    case 'boolean':
      if (key === 'true' || key === 'false') return key === 'true';
      throw new OvsdbDatumError(`${where}: key "${key}" is not a boolean`);
    default:
      return key;
  }
}

/**
 * Converts a JS value to the datum JSON for a column, for use in `insert`, `update`,
 * `mutate` and `where` clauses.
 * @param type the column's type from the schema
 * @param value see the module comment for the accepted forms; `undefined` is the empty set
 *   and is accepted only where the column allows zero atoms
 * @param where prefix for error messages
 * @returns a bare atom for a required scalar, otherwise `["set", […]]` or `["map", […]]`
 * @throws OvsdbDatumError when the value does not fit the column: wrong JS type, an
 *   invalid uuid string, more atoms than `max`, fewer than `min`
 */
export function encodeDatum(type: OvsdbColumnType, value: OvsdbWriteValue, where = 'datum'): unknown {
  const kind = columnKind(type);
  let count: number;
  let out: unknown;
  if (kind === 'map') {
    let entries: [unknown, unknown][];
    if (value === undefined) entries = [];
    else if (value instanceof Map) entries = [...value.entries()];
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof NamedUuid)) {
      entries = Object.entries(value).map(([k, v]) => [atomFromKey(type.key, k, `${where} key`), v]);
    } else {
      throw new OvsdbDatumError(`${where}: map column needs a Map or an object, got ${describe(value)}`);
    }
    const valueType = type.value as OvsdbBaseType;
    out = ['map', entries.map(([k, v]) => [encodeAtom(type.key, k, `${where} key`), encodeAtom(valueType, v, `${where} value`)])];
    count = entries.length;
  } else if (kind === 'set') {
    const atoms = value === undefined ? [] : Array.isArray(value) ? value : [value];
    out = ['set', atoms.map((a) => encodeAtom(type.key, a, where))];
    count = atoms.length;
  } else {
    if (Array.isArray(value)) throw new OvsdbDatumError(`${where}: scalar column needs a single atom, got an array`);
    count = value === undefined ? 0 : 1;
    out = value === undefined ? ['set', []] : encodeAtom(type.key, value, where);
  }
  if (count < type.min) throw new OvsdbDatumError(`${where}: column requires at least ${type.min} value(s)`);
  if (count > type.max) throw new OvsdbDatumError(`${where}: ${count} values exceed the column's maximum of ${type.max}`);
  return out;
}
