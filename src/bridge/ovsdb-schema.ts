/**
 * OVSDB database schemas (RFC 7047 §3.2), parsed from the JSON that `get_schema` returns, to
 * the depth the client needs: each column's type, so datums can be converted to and from
 * plain JavaScript values ({@link ./ovsdb-datum}). Constraints that only the server enforces
 * (`enum`, integer/real ranges, string lengths, `maxRows`, indexes) are not kept: the server
 * reports violations as transaction errors.
 */

/** RFC 7047 `<atomic-type>`. */
export type OvsdbAtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';

const ATOMIC_TYPES: ReadonlySet<string> = new Set(['integer', 'real', 'boolean', 'string', 'uuid']);

/** RFC 7047 `<base-type>`, reduced to the atomic type and, for uuids, the referenced table. */
export interface OvsdbBaseType {
  type: OvsdbAtomicType;
  /** For `uuid` atoms that reference rows: the table they point into. */
  refTable?: string;
}

/**
 * RFC 7047 `<type>`: a set of `min`..`max` atoms of `key`, or, when `value` is present, a map
 * from `key` atoms to `value` atoms. `max` is `Infinity` for `"unlimited"`.
 */
export interface OvsdbColumnType {
  key: OvsdbBaseType;
  value?: OvsdbBaseType;
  /** 0 or 1. */
  min: number;
  /** ≥ 1, or Infinity. */
  max: number;
}

/** RFC 7047 `<column-schema>`. */
export interface OvsdbColumnSchema {
  name: string;
  type: OvsdbColumnType;
  /** Not persisted by the server (e.g. `Bridge.datapath_id`). */
  ephemeral: boolean;
  /** False for columns that may only be set on insert. */
  mutable: boolean;
}

/** RFC 7047 `<table-schema>`; `columns` includes the implicit `_uuid` and `_version`. */
export interface OvsdbTableSchema {
  name: string;
  columns: Map<string, OvsdbColumnSchema>;
  isRoot: boolean;
}

/** RFC 7047 `<database-schema>`. */
export interface OvsdbDatabaseSchema {
  name: string;
  version: string;
  tables: Map<string, OvsdbTableSchema>;
}

/** The schema JSON does not follow RFC 7047 §3.2; `message` says where. */
export class OvsdbSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OvsdbSchemaError';
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function parseBaseType(json: unknown, where: string): OvsdbBaseType {
  if (typeof json === 'string') {
    if (!ATOMIC_TYPES.has(json)) throw new OvsdbSchemaError(`${where}: unknown atomic type "${json}"`);
    return { type: json as OvsdbAtomicType };
  }
  if (!isObject(json) || typeof json.type !== 'string' || !ATOMIC_TYPES.has(json.type)) {
    throw new OvsdbSchemaError(`${where}: base type must be an atomic type name or an object with one in "type"`);
  }
  const base: OvsdbBaseType = { type: json.type as OvsdbAtomicType };
  if (typeof json.refTable === 'string') base.refTable = json.refTable;
  return base;
}

/**
 * Parses an RFC 7047 `<type>`: an atomic type name (meaning exactly one atom), or
 * `{key, value?, min?, max?}` with `min` defaulting to 1 and `max` to 1.
 * @param where prefix for error messages (e.g. `"Bridge.ports"`)
 * @throws OvsdbSchemaError on anything else, or when min/max are out of range
 */
export function parseColumnType(json: unknown, where: string): OvsdbColumnType {
  if (typeof json === 'string') return { key: parseBaseType(json, where), min: 1, max: 1 };
  if (!isObject(json)) throw new OvsdbSchemaError(`${where}: type must be a string or an object`);
  const type: OvsdbColumnType = { key: parseBaseType(json.key, `${where} key`), min: 1, max: 1 };
  if (json.value !== undefined) type.value = parseBaseType(json.value, `${where} value`);
  if (json.min !== undefined) {
    if (json.min !== 0 && json.min !== 1) throw new OvsdbSchemaError(`${where}: min must be 0 or 1`);
    type.min = json.min;
  }
  if (json.max !== undefined) {
    if (json.max === 'unlimited') type.max = Infinity;
    else if (typeof json.max === 'number' && Number.isInteger(json.max) && json.max >= 1) type.max = json.max;
    else throw new OvsdbSchemaError(`${where}: max must be a positive integer or "unlimited"`);
  }
  if (type.min > type.max) throw new OvsdbSchemaError(`${where}: min exceeds max`);
  return type;
}

const IMPLICIT_UUID_TYPE: OvsdbColumnType = { key: { type: 'uuid' }, min: 1, max: 1 };

/**
 * Parses the result of a `get_schema` request.
 * @throws OvsdbSchemaError when the JSON is not a database schema
 */
export function parseDatabaseSchema(json: unknown): OvsdbDatabaseSchema {
  if (!isObject(json) || typeof json.name !== 'string' || !isObject(json.tables)) {
    throw new OvsdbSchemaError('database schema must be an object with "name" and "tables"');
  }
  const tables = new Map<string, OvsdbTableSchema>();
  for (const [tableName, tableJson] of Object.entries(json.tables)) {
    if (!isObject(tableJson) || !isObject(tableJson.columns)) {
      throw new OvsdbSchemaError(`table ${tableName}: must be an object with "columns"`);
    }
    const columns = new Map<string, OvsdbColumnSchema>();
    for (const name of ['_uuid', '_version']) {
      columns.set(name, { name, type: IMPLICIT_UUID_TYPE, ephemeral: false, mutable: false });
    }
    for (const [name, colJson] of Object.entries(tableJson.columns)) {
      const where = `${tableName}.${name}`;
      if (!isObject(colJson)) throw new OvsdbSchemaError(`${where}: column schema must be an object`);
      columns.set(name, {
        name,
        type: parseColumnType(colJson.type, where),
        ephemeral: colJson.ephemeral === true,
        mutable: colJson.mutable !== false,
      });
    }
    tables.set(tableName, { name: tableName, columns, isRoot: tableJson.isRoot === true });
  }
  return { name: json.name, version: typeof json.version === 'string' ? json.version : '', tables };
}
