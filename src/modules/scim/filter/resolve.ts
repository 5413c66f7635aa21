import { AppError } from '../../../platform/errors/app-error.js';
import type { AttrPath } from './ast.js';
import type {
  Attribute,
  AttributeMap,
  ComplexAttribute,
  MultiAttribute,
  ScalarAttribute,
} from './attributes.js';

/** An attribute path resolved against an AttributeMap; `name` is the path as written (for messages). */
export type ResolvedAttribute =
  | { kind: 'scalar'; name: string; attribute: ScalarAttribute }
  | { kind: 'multi'; name: string; attribute: MultiAttribute; sub: ScalarAttribute | undefined }
  | { kind: 'complex'; name: string; attribute: ComplexAttribute; sub: ScalarAttribute | undefined };

/** An invalidFilter AppError (400). */
export function invalidFilter(message: string): AppError {
  return new AppError('bad_request', message, { scimType: 'invalidFilter' });
}

/** The path as the client wrote it, for error messages. */
export function describePath(path: AttrPath): string {
  const name = path.subAttribute === undefined ? path.attribute : `${path.attribute}.${path.subAttribute}`;
  return path.schema === undefined ? name : `${path.schema}:${name}`;
}

/**
 * Finds what a path names: case-insensitive; a URN-qualified path looks only in that schema (URN
 * compared case-insensitively), an unqualified one in the core schema, then in the others. An
 * unknown attribute or sub-attribute, or a sub-attribute of a scalar, is invalidFilter naming it.
 */
export function resolveAttribute(map: AttributeMap, path: AttrPath): ResolvedAttribute {
  const name = describePath(path);
  const attribute = findAttribute(map, path);
  if (!attribute) throw invalidFilter(`Unknown attribute '${name}' in filter`);
  if (attribute.kind === 'scalar') {
    if (path.subAttribute !== undefined)
      throw invalidFilter(`Attribute '${path.attribute}' has no sub-attribute '${path.subAttribute}'`);
    return { kind: 'scalar', name, attribute };
  }
  let sub: ScalarAttribute | undefined;
  if (path.subAttribute !== undefined) {
    sub = findSubAttribute(attribute, path.subAttribute);
    if (!sub) throw invalidFilter(`Unknown attribute '${name}' in filter`);
  }
  return attribute.kind === 'multi'
    ? { kind: 'multi', name, attribute, sub }
    : { kind: 'complex', name, attribute, sub };
}

/** The sub-attribute of a multi-valued or complex attribute by case-insensitive name, or undefined. */
export function findSubAttribute(
  attribute: MultiAttribute | ComplexAttribute,
  name: string,
): ScalarAttribute | undefined {
  return lookup(attribute.subAttributes, name.toLowerCase());
}

function findAttribute(map: AttributeMap, path: AttrPath): Attribute | undefined {
  const key = path.attribute.toLowerCase();
  if (path.schema !== undefined) {
    const urn = path.schema.toLowerCase();
    const schema = Object.entries(map.schemas).find(([id]) => id.toLowerCase() === urn)?.[1];
    return schema ? lookup(schema, key) : undefined;
  }
  const core = lookup(map.schemas, map.core);
  const inCore = core ? lookup(core, key) : undefined;
  if (inCore) return inCore;
  for (const [id, schema] of Object.entries(map.schemas)) {
    if (id === map.core) continue;
    const found = lookup(schema, key);
    if (found) return found;
  }
  return undefined;
}

/** Own-property lookup, so `constructor` or `__proto__` never resolve to Object.prototype members. */
function lookup<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
