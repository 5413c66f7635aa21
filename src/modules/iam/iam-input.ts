import type { Executor } from '../../platform/db/db.js';
import { AppError } from '../../platform/errors/app-error.js';

/** Fields of IAM request bodies, read loosely (the face validates types) and named in errors. */
export type Obj = Record<string, unknown>;

const NAME = /^[a-z0-9][a-z0-9_.:-]{0,127}$/;

/** A trimmed string field; `null` when absent and optional. Errors name the field. */
export function text(v: unknown, field: string, required: boolean): string | null {
  if (v === undefined || v === null) {
    if (required) throw new AppError('bad_request', `${field}: required`);
    return null;
  }
  if (typeof v !== 'string') throw new AppError('bad_request', `${field}: expected a string`);
  if (required && v.trim() === '') throw new AppError('bad_request', `${field}: must not be empty`);
  if (v.length > 1000) throw new AppError('bad_request', `${field}: at most 1000 characters`);
  return v.trim();
}

/** A machine name (actions, resource types, slugs): lower-case letters, digits and `_ . : -`. */
export function machineName(v: unknown, field = 'name'): string {
  const value = text(v, field, true) ?? '';
  if (!NAME.test(value))
    throw new AppError(
      'bad_request',
      `${field}: '${value}' must be lower-case letters, digits and _ . : - (≤ 128)`,
    );
  return value;
}

/** Built-in rows are read-only: 400 `mutability` (RFC 7644: the target cannot be modified). */
export function builtinGuard(isBuiltin: boolean | number, what: string): void {
  if (isBuiltin)
    throw new AppError('bad_request', `${what} is built-in: it can be read, not changed or deleted`, {
      scimType: 'mutability',
    });
}

/** Names are unique per tenant: 409 `uniqueness` when another row holds it. */
export async function uniqueName(
  ex: Executor,
  table: 'iam_actions' | 'iam_resource_types' | 'iam_roles' | 'iam_permissions',
  tenantId: string,
  value: string,
  selfId?: string,
): Promise<void> {
  const holder = await ex
    .selectFrom(table)
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', value)
    .executeTakeFirst();
  if (holder && holder.id !== selfId)
    throw new AppError('conflict', `name: '${value}' already exists`, { scimType: 'uniqueness' });
}
