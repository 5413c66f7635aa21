import type { AttrPath, CompareOp, CompareValue, FilterNode } from './ast.js';
import { parseDateTime } from './compile-scalar.js';
import { describePath, invalidFilter } from './resolve.js';

/** How `evaluateFilter` compares strings: case-insensitive unless `caseExact(path)` says otherwise. */
export interface EvaluateOptions {
  caseExact?: ((path: AttrPath) => boolean) | undefined;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * Whether ONE in-memory JSON value (a resource, or an element of a multi-valued attribute such as
 * `{type: "work", value: "a@x.com"}`) satisfies a filter, with the SQL compiler's semantics:
 * case-insensitive names, a missing value is `ne` anything and fails every other comparison, a
 * multi-valued attribute matches when any element does. Operators that make no sense for the
 * literal (`gt true`, `co 5`) are invalidFilter.
 */
export function evaluateFilter(node: FilterNode, element: unknown, options: EvaluateOptions = {}): boolean {
  return evaluate(node, element, options, true);
}

function evaluate(
  node: FilterNode,
  element: unknown,
  options: EvaluateOptions,
  allowValuePath: boolean,
): boolean {
  switch (node.kind) {
    case 'and':
      return (
        evaluate(node.left, element, options, allowValuePath) &&
        evaluate(node.right, element, options, allowValuePath)
      );
    case 'or':
      return (
        evaluate(node.left, element, options, allowValuePath) ||
        evaluate(node.right, element, options, allowValuePath)
      );
    case 'not':
      return !evaluate(node.filter, element, options, allowValuePath);
    case 'present': {
      const top = read(scope(element, node.path), node.path.attribute);
      const sub = node.path.subAttribute;
      if (sub === undefined) return isPresent(top);
      return (Array.isArray(top) ? top : [top]).some((item) => isPresent(read(item, sub)));
    }
    case 'compare':
      return compare(valuesAt(element, node.path), node, options);
    case 'valuePath': {
      if (!allowValuePath)
        throw invalidFilter(`Nested value filter on '${describePath(node.path)}' is not allowed`);
      const container = read(scope(element, node.path), node.path.attribute);
      const items = Array.isArray(container) ? container : container === undefined ? [] : [container];
      return items.some((item) => evaluate(node.filter, item, options, false));
    }
  }
}

/** The object the path's attribute lives in: the extension object when URN-qualified and present. */
function scope(element: unknown, path: AttrPath): unknown {
  if (path.schema === undefined) return element;
  const extension = read(element, path.schema);
  return isObject(extension) ? extension : element;
}

/** Case-insensitive own-property read. */
function read(value: unknown, key: string): unknown {
  if (!isObject(value)) return undefined;
  if (Object.hasOwn(value, key)) return value[key];
  const lower = key.toLowerCase();
  const found = Object.keys(value).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : value[found];
}

/**
 * The values a path names, flattened: `emails.value` over an array of emails gives each value; an
 * array of objects named without a sub-attribute gives their `value`s (RFC 7643 default).
 * `undefined` entries stand for "missing" so `ne` can match them.
 */
function valuesAt(element: unknown, path: AttrPath): unknown[] {
  const top = read(scope(element, path), path.attribute);
  const sub = path.subAttribute;
  if (!Array.isArray(top)) return [sub === undefined ? top : read(top, sub)];
  if (sub !== undefined) return top.map((item) => read(item, sub));
  return top.map((item) => (isObject(item) ? read(item, 'value') : item));
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

function compare(
  values: unknown[],
  node: Extract<FilterNode, { kind: 'compare' }>,
  options: EvaluateOptions,
): boolean {
  const { op, value } = node;
  if (value === null) {
    if (op === 'eq') return !values.some(isPresent);
    if (op === 'ne') return values.some(isPresent);
    throw invalidFilter(`Operator '${op}' cannot compare '${describePath(node.path)}' with null`);
  }
  if (typeof value === 'boolean' && op !== 'eq' && op !== 'ne')
    throw invalidFilter(`Operator '${op}' is not supported for the boolean ${value}`);
  if (typeof value === 'number' && (op === 'co' || op === 'sw' || op === 'ew'))
    throw invalidFilter(`Operator '${op}' is not supported for the number ${value}`);
  const caseExact = options.caseExact?.(node.path) ?? false;
  // Array values (`emails`) match when any element does; an empty list has nothing to be unequal.
  return values.some((actual) => compareOne(actual, op, value, caseExact));
}

function compareOne(
  actual: unknown,
  op: CompareOp,
  expected: Exclude<CompareValue, null>,
  caseExact: boolean,
) {
  if (actual === undefined || actual === null) return op === 'ne';
  if (typeof expected === 'boolean' || typeof actual === 'boolean') {
    const left = toBoolean(actual);
    const right = toBoolean(expected);
    if (op === 'eq') return left !== undefined && left === right;
    return op === 'ne' && left !== right;
  }
  if (typeof expected === 'number' && typeof actual === 'number') return ordering(op, actual - expected);
  if (typeof actual === 'object' || typeof actual === 'boolean') return op === 'ne';
  let left = String(actual);
  let right = String(expected);
  if (ISO_DATE.test(left) && ISO_DATE.test(right) && op !== 'co' && op !== 'sw' && op !== 'ew') {
    const a = parseDateTime(left);
    const b = parseDateTime(right);
    if (a && b) return ordering(op, a.getTime() - b.getTime());
  }
  if (!caseExact) {
    left = left.toLowerCase();
    right = right.toLowerCase();
  }
  if (op === 'co') return left.includes(right);
  if (op === 'sw') return left.startsWith(right);
  if (op === 'ew') return left.endsWith(right);
  return ordering(op, left < right ? -1 : left > right ? 1 : 0);
}

/** A boolean, or `"true"`/`"false"` in any case, as a boolean; anything else is undefined. */
function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** Applies an ordering operator to a three-way comparison result. */
function ordering(op: CompareOp, diff: number): boolean {
  if (op === 'eq') return diff === 0;
  if (op === 'ne') return diff !== 0;
  if (op === 'gt') return diff > 0;
  if (op === 'ge') return diff >= 0;
  if (op === 'lt') return diff < 0;
  if (op === 'le') return diff <= 0;
  return false;
}
