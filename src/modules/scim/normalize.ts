import { type AttributeDef, findAttribute, findSubAttribute, type SchemaDef } from './schemas.js';
import { scimError } from './scim-error.js';

/** A SCIM resource as JSON: core attributes at the top, extension attributes under their URN. */
export type Resource = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Coerces one value to an attribute's type, accepting only the quirks real clients need: booleans
 * as "True"/"False", a plain string for a single-valued complex attribute whose `value` it is
 * (Entra's `manager`), a single object for a multi-valued attribute. Null means absent. Any other
 * JSON type (a number for a string, a string for a list of emails) is `invalidValue` naming the
 * attribute: converting it would store something the client did not mean (RFC 7644 §3.12).
 */
export function coerceValue(def: AttributeDef, value: unknown, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (def.multiValued) {
    const items = Array.isArray(value) ? value : [value];
    const out = items
      .map((item, i) => coerceSingle(def, item, `${where}[${i}]`))
      .filter((item) => item !== undefined);
    return out;
  }
  if (Array.isArray(value)) {
    if (value.length === 1) return coerceSingle(def, value[0], where);
    throw scimError('invalidValue', `${where}: expected a single value, got an array`);
  }
  return coerceSingle(def, value, where);
}

function coerceSingle(def: AttributeDef, value: unknown, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (def.type) {
    case 'complex': {
      if (!isObject(value)) {
        const valueDef = def.subAttributes && findSubAttribute(def, 'value');
        if (valueDef && !def.multiValued && typeof value === 'string') return { value };
        throw scimError('invalidValue', `${where}: expected an object, got ${JSON.stringify(value)}`);
      }
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(value)) {
        const subDef = findSubAttribute(def, key);
        if (!subDef) continue; // unknown sub-attributes are ignored (RFC 7644 §3.3)
        const coerced = coerceSingle(subDef, sub, `${where}.${subDef.name}`);
        if (coerced !== undefined) out[subDef.name] = coerced;
      }
      return Object.keys(out).length === 0 ? undefined : out;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw scimError('invalidValue', `${where}: expected a boolean, got ${JSON.stringify(value)}`);
    case 'integer':
    case 'decimal':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      throw scimError('invalidValue', `${where}: expected a number, got ${JSON.stringify(value)}`);
    case 'dateTime':
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
      throw scimError('invalidValue', `${where}: expected an ISO-8601 date-time`);
    default:
      if (typeof value === 'string') return value;
      throw scimError('invalidValue', `${where}: expected a string, got ${JSON.stringify(value)}`);
  }
}

/** Splits `urn:…:enterprise:2.0:User:employeeNumber` into its schema and the attribute path. */
export function splitUrn(key: string, schemas: SchemaDef[]): { schema: SchemaDef; path: string } | undefined {
  const lc = key.toLowerCase();
  for (const schema of schemas) {
    const id = schema.id.toLowerCase();
    if (lc === id) return { schema, path: '' };
    if (lc.startsWith(`${id}:`)) return { schema, path: key.slice(id.length + 1) };
  }
  return undefined;
}

/**
 * A client's resource body in canonical form: attribute names as the schema spells them, values
 * coerced, nulls and unknown attributes dropped, read-only attributes ignored (RFC 7643 §2.2).
 * `schemas[0]` is the core schema; extensions are the rest.
 */
export function normalizeResource(body: unknown, schemas: SchemaDef[]): Resource {
  if (!isObject(body)) throw scimError('invalidSyntax', 'The request body must be a JSON object');
  const [core, ...extensions] = schemas;
  if (!core) throw new Error('normalizeResource needs the core schema');
  const out: Resource = {};
  for (const [key, value] of Object.entries(body)) {
    const lc = key.toLowerCase();
    if (lc === 'schemas' || lc === 'id' || lc === 'meta') continue;
    if (lc === 'externalid') {
      if (value !== null && value !== undefined) {
        if (typeof value !== 'string')
          throw scimError('invalidValue', `externalId: expected a string, got ${JSON.stringify(value)}`);
        out.externalId = value;
      }
      continue;
    }
    const urn = splitUrn(key, extensions);
    if (urn) {
      const ext = (out[urn.schema.id] as Resource | undefined) ?? {};
      if (urn.path === '') {
        if (value === null || value === undefined) continue;
        if (!isObject(value)) throw scimError('invalidValue', `${urn.schema.id}: expected an object`);
        Object.assign(ext, normalizeAttributes(value, urn.schema, urn.schema.id));
      } else {
        Object.assign(ext, normalizeAttributes({ [urn.path]: value }, urn.schema, urn.schema.id));
      }
      if (Object.keys(ext).length > 0) out[urn.schema.id] = ext;
      continue;
    }
    const coreUrn = splitUrn(key, [core]);
    Object.assign(out, normalizeAttributes({ [coreUrn ? coreUrn.path : key]: value }, core, ''));
  }
  return out;
}

function normalizeAttributes(values: Record<string, unknown>, schema: SchemaDef, prefix: string): Resource {
  const out: Resource = {};
  for (const [key, value] of Object.entries(values)) {
    const def = findAttribute(schema, key);
    if (!def || def.mutability === 'readOnly') continue;
    const coerced = coerceValue(def, value, prefix ? `${prefix}:${def.name}` : def.name);
    if (coerced !== undefined) out[def.name] = coerced;
  }
  return out;
}
