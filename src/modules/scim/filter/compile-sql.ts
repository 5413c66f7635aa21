import { type Expression, type SqlBool, sql } from 'kysely';
import type { AttrPath, CompareOp, CompareValue, FilterNode } from './ast.js';
import type { AttributeMap, ScalarAttribute } from './attributes.js';
import { compareScalar, type SqlDialect } from './compile-scalar.js';
import {
  describePath,
  findSubAttribute,
  invalidFilter,
  type ResolvedAttribute,
  resolveAttribute,
} from './resolve.js';

export type { SqlDialect } from './compile-scalar.js';

type Resolver = (path: AttrPath) => ResolvedAttribute;

/**
 * Compiles a filter into one SQL boolean expression over the map's columns (never evaluated in
 * memory). NULLs follow SCIM: `ne` and `not (…)` match rows where the value is missing. Unknown
 * attributes, wrong literal types and unsupported operators are invalidFilter.
 */
export function compileFilter(node: FilterNode, map: AttributeMap, dialect: SqlDialect): Expression<SqlBool> {
  return compileNode(node, (path) => resolveAttribute(map, path), dialect, true);
}

function compileNode(
  node: FilterNode,
  resolve: Resolver,
  dialect: SqlDialect,
  allowValuePath: boolean,
): Expression<SqlBool> {
  switch (node.kind) {
    case 'and':
      return sql<SqlBool>`(${compileNode(node.left, resolve, dialect, allowValuePath)} and ${compileNode(node.right, resolve, dialect, allowValuePath)})`;
    case 'or':
      return sql<SqlBool>`(${compileNode(node.left, resolve, dialect, allowValuePath)} or ${compileNode(node.right, resolve, dialect, allowValuePath)})`;
    case 'not':
      return not(compileNode(node.filter, resolve, dialect, allowValuePath));
    case 'present':
      return present(resolve(node.path));
    case 'compare':
      return compare(resolve(node.path), node.op, node.value, dialect);
    case 'valuePath':
      if (!allowValuePath)
        throw invalidFilter(`Nested value filter on '${describePath(node.path)}' is not allowed`);
      return valuePath(node, resolve(node.path), dialect);
  }
}

/** `not (f)`: true when f is false or unknown (NULL), on both dialects. */
function not(inner: Expression<SqlBool>): Expression<SqlBool> {
  return sql<SqlBool>`(not coalesce((${inner}), false))`;
}

/** `emails[type eq "work" and value co "x"]`: one EXISTS, so both conditions hold on the same element. */
function valuePath(
  node: Extract<FilterNode, { kind: 'valuePath' }>,
  resolved: ResolvedAttribute,
  dialect: SqlDialect,
): Expression<SqlBool> {
  if (resolved.kind === 'scalar')
    throw invalidFilter(`Attribute '${resolved.name}' cannot take a value filter`);
  const parent = resolved.attribute;
  const inner: Resolver = (path) => {
    const name = `${resolved.name}.${describePath(path)}`;
    const sub =
      path.schema === undefined && path.subAttribute === undefined
        ? findSubAttribute(parent, path.attribute)
        : undefined;
    if (!sub) throw invalidFilter(`Unknown attribute '${name}' in filter`);
    return { kind: 'scalar', name, attribute: sub };
  };
  const predicate = compileNode(node.filter, inner, dialect, false);
  return parent.kind === 'multi' ? parent.exists(predicate) : predicate;
}

/** `pr`: the attribute has a non-empty value (a multi-valued one at least one element). */
function present(resolved: ResolvedAttribute): Expression<SqlBool> {
  if (resolved.kind === 'scalar') return scalarPresent(resolved.attribute);
  if (resolved.kind === 'multi')
    return resolved.attribute.exists(resolved.sub ? scalarPresent(resolved.sub) : undefined);
  if (resolved.sub) return scalarPresent(resolved.sub);
  const subs = Object.values(resolved.attribute.subAttributes).map(scalarPresent);
  if (subs.length === 0) return sql<SqlBool>`(1 = 0)`;
  return sql<SqlBool>`(${sql.join(subs, sql` or `)})`;
}

function scalarPresent(attribute: ScalarAttribute): Expression<SqlBool> {
  if (attribute.present) return sql<SqlBool>`(${attribute.present})`;
  const isText = attribute.type === 'string' || attribute.type === 'reference' || attribute.type === 'binary';
  return isText
    ? sql<SqlBool>`(${attribute.column} is not null and ${attribute.column} <> '')`
    : sql<SqlBool>`(${attribute.column} is not null)`;
}

function compare(
  resolved: ResolvedAttribute,
  op: CompareOp,
  value: CompareValue,
  dialect: SqlDialect,
): Expression<SqlBool> {
  if (value === null) {
    // RFC 7644 §3.4.2.2: `eq null` is "not present", `ne null` is "present".
    if (op === 'eq') return not(present(resolved));
    if (op === 'ne') return present(resolved);
    throw invalidFilter(`Operator '${op}' cannot compare '${resolved.name}' with null`);
  }
  if (resolved.kind === 'scalar') return compareScalar(resolved.attribute, resolved.name, op, value, dialect);
  if (resolved.kind === 'complex') {
    if (!resolved.sub)
      throw invalidFilter(
        `Attribute '${resolved.name}' is complex: name a sub-attribute, e.g. '${resolved.name}.value'`,
      );
    return compareScalar(resolved.sub, resolved.name, op, value, dialect);
  }
  const multi = resolved.attribute;
  const sub = resolved.sub ?? findSubAttribute(multi, multi.defaultSubAttribute);
  if (!sub) throw invalidFilter(`Attribute '${resolved.name}' needs a sub-attribute`);
  return multi.exists(compareScalar(sub, resolved.name, op, value, dialect));
}
