import type { FilterNode } from './filter/ast.js';
import { evaluateFilter } from './filter/evaluate.js';
import { parsePatchPath } from './filter/parse.js';
import { coerceValue, type Resource, splitUrn } from './normalize.js';
import { type AttributeDef, findAttribute, findSubAttribute, type SchemaDef } from './schemas.js';
import { scimError } from './scim-error.js';

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string | undefined;
  value: unknown;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a PatchOp body (RFC 7644 §3.5.2) into operations, accepting what real clients send:
 * capitalised ops (`Replace`), an empty list (a no-op). Anything malformed is `invalidSyntax`.
 */
export function readPatchOperations(body: unknown, maxOperations = 1000): PatchOperation[] {
  if (!isObject(body)) throw scimError('invalidSyntax', 'The PATCH body must be a JSON object');
  const ops = body.Operations ?? body.operations;
  if (!Array.isArray(ops)) throw scimError('invalidSyntax', 'Operations: required, an array of operations');
  if (ops.length > maxOperations)
    throw scimError('tooMany', `Operations: at most ${maxOperations} operations per request`);
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw scimError('invalidSyntax', `Operations[${i}]: expected an object`);
    const op = typeof raw.op === 'string' ? raw.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw scimError('invalidSyntax', `Operations[${i}].op: must be add, replace or remove`);
    const path = raw.path;
    if (path !== undefined && path !== null && (typeof path !== 'string' || path.trim() === ''))
      throw scimError('invalidPath', `Operations[${i}].path: must be a non-empty string`);
    if (op !== 'remove' && raw.value === undefined)
      throw scimError('invalidValue', `Operations[${i}].value: required for ${op}`);
    if (op === 'remove' && (path === undefined || path === null))
      throw scimError('noTarget', `Operations[${i}]: remove needs a path`);
    return { op, path: typeof path === 'string' ? path.trim() : undefined, value: raw.value };
  });
}

/**
 * Applies operations to a canonical resource (a copy is returned; the input is untouched).
 * `schemas[0]` is the core schema. Paths and value keys resolve case-insensitively; values are
 * coerced to the attribute's type. Read-only attributes are `mutability` errors, except a pathless
 * value's `id` equal to `selfId` (Entra sends the group's own id with a rename) and its `schemas`
 * and `meta`, which are ignored.
 */
export function applyPatch(
  resource: Resource,
  ops: PatchOperation[],
  schemas: SchemaDef[],
  selfId: string,
): Resource {
  const out = structuredClone(resource);
  for (const op of ops) {
    if (op.path === undefined) {
      if (!isObject(op.value))
        throw scimError('invalidValue', `${op.op} without a path needs an object value`);
      for (const [key, value] of Object.entries(op.value)) {
        if (/^id$/i.test(key) && value !== selfId)
          throw scimError('mutability', 'id: attribute is read-only');
        if (/^(schemas|id|meta)$/i.test(key)) continue;
        const urn = splitUrn(key, schemas.slice(1));
        if (urn && urn.path === '' && isObject(value)) {
          for (const [sub, v] of Object.entries(value))
            applyAt(out, { ...op, path: `${urn.schema.id}:${sub}`, value: v }, schemas);
        } else {
          applyAt(out, { ...op, path: key, value }, schemas);
        }
      }
      continue;
    }
    applyAt(out, op, schemas);
  }
  return out;
}

interface Target {
  container: Obj;
  def: AttributeDef;
  filter: FilterNode | undefined;
  sub: AttributeDef | undefined;
}

function resolveTarget(resource: Resource, path: string, schemas: SchemaDef[]): Target {
  const [core, ...extensions] = schemas;
  if (!core) throw new Error('applyPatch needs the core schema');
  const urn = splitUrn(path, extensions) ?? splitUrn(path, [core]);
  const schema = urn?.schema ?? core;
  const rest = urn ? urn.path : path;
  if (rest === '') throw scimError('invalidPath', `${path}: names a schema, not an attribute`);
  if (/^(id|meta|schemas)(\.|$)/i.test(rest))
    throw scimError('mutability', `${path}: attribute is read-only`);
  if (schema === core && /^externalid$/i.test(rest)) {
    return { container: resource, def: EXTERNAL_ID, filter: undefined, sub: undefined };
  }
  const parsed = parsePatchPath(rest);
  const def = findAttribute(schema, parsed.path.attribute);
  if (!def)
    throw scimError('invalidPath', `${path}: no attribute '${parsed.path.attribute}' in ${schema.id}`);
  const subName = parsed.subAttribute ?? parsed.path.subAttribute;
  const sub = subName ? findSubAttribute(def, subName) : undefined;
  if (subName && !sub)
    throw scimError('invalidPath', `${path}: '${def.name}' has no sub-attribute '${subName}'`);
  if (parsed.filter && !def.multiValued)
    throw scimError('invalidPath', `${path}: '${def.name}' is not multi-valued`);
  if (def.mutability === 'readOnly' || sub?.mutability === 'readOnly')
    throw scimError('mutability', `${path}: attribute is read-only`);
  let container = resource;
  if (schema !== core) {
    const ext = isObject(resource[schema.id]) ? (resource[schema.id] as Obj) : {};
    resource[schema.id] = ext;
    container = ext;
  }
  return { container, def, filter: parsed.filter, sub };
}

const EXTERNAL_ID: AttributeDef = {
  name: 'externalId',
  type: 'string',
  multiValued: false,
  description: 'Identifier from the provisioning client',
  required: false,
  caseExact: true,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
};

function applyAt(resource: Resource, op: PatchOperation, schemas: SchemaDef[]): void {
  const path = op.path ?? '';
  const { container, def, filter, sub } = resolveTarget(resource, path, schemas);
  const name = def.name;
  if (def.multiValued) {
    applyMulti(container, def, filter, sub, op, path);
    return;
  }
  if (sub) {
    const current = isObject(container[name]) ? (container[name] as Obj) : {};
    if (op.op === 'remove') delete current[sub.name];
    else {
      const v = coerceValue(sub, op.value, path);
      if (v === undefined) delete current[sub.name];
      else current[sub.name] = v;
    }
    if (Object.keys(current).length === 0) delete container[name];
    else container[name] = current;
    return;
  }
  // RFC 7644 §3.5.2.2: removing (or unassigning) a required attribute is a mutability error.
  const removal = op.op === 'remove' || op.value === null;
  if (removal && def.required)
    throw scimError('mutability', `${path}: required attribute, it cannot be removed`);
  if (op.op === 'remove') {
    delete container[name];
    return;
  }
  const v = coerceValue(def, op.value, path);
  if (v === undefined) delete container[name];
  else if (def.type === 'complex' && op.op === 'add' && isObject(container[name]) && isObject(v))
    container[name] = { ...(container[name] as Obj), ...v };
  else if (def.type === 'complex' && op.op === 'replace' && isObject(container[name]) && isObject(v))
    container[name] = { ...(container[name] as Obj), ...v };
  else container[name] = v;
}

function applyMulti(
  container: Obj,
  def: AttributeDef,
  filter: FilterNode | undefined,
  sub: AttributeDef | undefined,
  op: PatchOperation,
  path: string,
): void {
  const name = def.name;
  const list = (Array.isArray(container[name]) ? (container[name] as unknown[]) : []).filter(isObject);
  const matches = (e: Obj) => (filter ? evaluateFilter(filter, e) : true);
  let next: Obj[];
  if (op.op === 'remove') {
    if (!filter && !sub && op.value !== undefined) {
      // Entra and others: `remove members` with the values to remove.
      const values = (coerceValue(def, op.value, path) as Obj[]).map((e) =>
        String(e.value ?? '').toLowerCase(),
      );
      next = list.filter((e) => !values.includes(String(e.value ?? '').toLowerCase()));
    } else if (sub) {
      next = list.map((e) => {
        if (!matches(e)) return e;
        const copy = { ...e };
        delete copy[sub.name];
        return copy;
      });
    } else {
      next = list.filter((e) => !matches(e));
    }
  } else if (sub || filter) {
    const hit = list.some(matches);
    const patchValue = sub ? { [sub.name]: op.value } : op.value;
    const coerced = coerceValue({ ...def, multiValued: false }, patchValue, path) as Obj | undefined;
    if (!hit) {
      if (!filter) throw scimError('noTarget', `${path}: no value to change`);
      const seed = seedOf(filter);
      if (!seed) throw scimError('noTarget', `${path}: no value matches the filter`);
      const element = coerceValue({ ...def, multiValued: false }, seed, path) as Obj | undefined;
      next = [...list, { ...(element ?? {}), ...(coerced ?? {}) }];
    } else {
      next = list.map((e) => (matches(e) ? { ...e, ...(coerced ?? {}) } : e));
    }
  } else {
    const values = (coerceValue(def, op.value, path) as Obj[] | undefined) ?? [];
    next = op.op === 'replace' ? values : mergeElements(list, values);
  }
  // One primary at most: the last one set wins.
  const primaries = next.filter((e) => e.primary === true);
  if (primaries.length > 1) {
    const keep = primaries[primaries.length - 1];
    next = next.map((e) => (e.primary === true && e !== keep ? { ...e, primary: false } : e));
  }
  if (next.length === 0) delete container[name];
  else container[name] = next;
}

/** Adds elements not already present (same value and type): `add` never duplicates. */
function mergeElements(list: Obj[], values: Obj[]): Obj[] {
  const key = (e: Obj) => `${String(e.value ?? '').toLowerCase()}|${String(e.type ?? '').toLowerCase()}`;
  const seen = new Set(list.map(key));
  const out = [...list];
  for (const v of values) {
    if (seen.has(key(v))) continue;
    seen.add(key(v));
    out.push(v);
  }
  return out;
}

/**
 * The element an add/replace creates when its value filter matches nothing: only for
 * `type eq "…"`, optionally `and primary eq true` (Entra's `emails[type eq "work"].value` on a user
 * without a work email). Any other filter names an element that is not there: undefined, which
 * the caller answers with `noTarget` (RFC 7644 §3.5.2.3).
 */
function seedOf(filter: FilterNode): Obj | undefined {
  const terms = filter.kind === 'and' ? [filter.left, filter.right] : [filter];
  let type: string | undefined;
  let primary = false;
  for (const term of terms) {
    if (term.kind !== 'compare' || term.op !== 'eq' || term.path.subAttribute) return undefined;
    const name = term.path.attribute.toLowerCase();
    if (name === 'type' && typeof term.value === 'string' && type === undefined) type = term.value;
    else if (name === 'primary' && term.value === true && !primary) primary = true;
    else return undefined;
  }
  if (type === undefined) return undefined;
  return primary ? { type, primary: true } : { type };
}
