import { AppError } from '../../platform/errors/app-error.js';

export interface IamPatchOp {
  op: 'add' | 'replace' | 'remove';
  /** The attribute the operation targets; undefined for a pathless operation (value is an object). */
  attribute: string | undefined;
  value: unknown;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads an IAM PATCH body as StackSpot sends it: `Operations` (or `operations`), `op` in any case,
 * `path` as a string or as `{attributePath: {attributeName}}`. Errors name the operation and field.
 */
export function readIamPatch(body: unknown): IamPatchOp[] {
  if (!isObject(body)) throw new AppError('bad_request', 'body: expected a PatchOp object');
  const ops = body.Operations ?? body.operations;
  if (!Array.isArray(ops)) throw new AppError('bad_request', 'Operations: required, an array');
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw new AppError('bad_request', `Operations[${i}]: expected an object`);
    const op = typeof raw.op === 'string' ? raw.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw new AppError('bad_request', `Operations[${i}].op: must be add, replace or remove`);
    const attribute = pathName(raw.path, i);
    if (attribute === undefined && !isObject(raw.value))
      throw new AppError('bad_request', `Operations[${i}].value: an object is required without a path`);
    if (op === 'remove' && attribute === undefined)
      throw new AppError('bad_request', `Operations[${i}].path: remove needs a path`);
    return { op, attribute, value: raw.value };
  });
}

function pathName(path: unknown, i: number): string | undefined {
  if (path === undefined || path === null) return undefined;
  if (typeof path === 'string' && path.trim()) return path.trim();
  if (
    isObject(path) &&
    isObject(path.attributePath) &&
    typeof path.attributePath.attributeName === 'string'
  ) {
    return path.attributePath.attributeName;
  }
  throw new AppError('bad_request', `Operations[${i}].path: expected an attribute name`);
}

/**
 * StackSpot's samples send a path together with a value object that repeats the attribute
 * (`path: {attributePath: {attributeName: 'permissions'}}, value: {permissions: [...]}`): take the
 * attribute's entry when the value is such an object.
 */
function unwrap(attribute: string, value: unknown): unknown {
  if (!isObject(value)) return value;
  const key = Object.keys(value).find((k) => k.toLowerCase() === attribute.toLowerCase());
  return key === undefined ? value : value[key];
}

/**
 * Folds scalar operations into a partial update: `replace`/`add` set fields, `remove` clears them.
 * `listFields` get `{add, remove, replace}` sets instead (role permissions, role members).
 */
export function foldPatch(
  ops: IamPatchOp[],
  allowed: readonly string[],
  listFields: readonly string[] = [],
): { set: Obj; lists: Record<string, { add: unknown[]; remove: unknown[]; replace?: unknown[] }> } {
  const set: Obj = {};
  const lists: Record<string, { add: unknown[]; remove: unknown[]; replace?: unknown[] }> = {};
  const apply = (op: IamPatchOp['op'], field: string, value: unknown) => {
    const name = allowed.find((a) => a.toLowerCase() === field.toLowerCase());
    if (!name) throw new AppError('bad_request', `path: unknown or read-only attribute '${field}'`);
    if (listFields.includes(name)) {
      const entry = lists[name] ?? { add: [], remove: [] };
      lists[name] = entry;
      const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
      if (op === 'replace') entry.replace = values;
      else if (op === 'add') entry.add.push(...values);
      else if (values.length === 0) entry.replace = [];
      else entry.remove.push(...values);
      return;
    }
    set[name] = op === 'remove' ? null : value;
  };
  for (const op of ops) {
    if (op.attribute === undefined) {
      for (const [key, value] of Object.entries(op.value as Obj)) {
        if (key === 'id' || key === 'schemas' || key === 'meta') continue;
        apply(op.op, key, value);
      }
    } else {
      apply(op.op, op.attribute, unwrap(op.attribute, op.value));
    }
  }
  return { set, lists };
}
