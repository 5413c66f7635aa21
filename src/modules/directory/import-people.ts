import { sql } from 'kysely';
import type { Executor } from '../../platform/db/db.js';
import { newUuid } from '../../platform/ids/ids.js';
import { recordEvents } from '../events/events.service.js';
import { touchShowingNames } from '../scim/touch-versions.js';

/** One directory person from a file import (already checked). */
export interface PersonImport {
  email: string;
  name?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  department?: string | undefined;
  title?: string | undefined;
  employeeNumber?: string | undefined;
  status?: 'active' | 'inactive' | undefined;
}

/**
 * Creates or updates directory people by email (their userName), set-based: one lookup and one
 * upsert per page. Given fields overwrite, absent ones are kept; SCIM-deleted people are left alone.
 * New people get their work email as a SCIM contact and a `user.created` event.
 */
export async function importPeople(trx: Executor, tenantId: string, rows: PersonImport[], now: string) {
  if (rows.length === 0) return { created: 0, updated: 0 };
  const byKey = new Map(rows.map((r) => [r.email.toLowerCase(), r]));
  const keys = [...byKey.keys()];
  const existing = await trx
    .selectFrom('people')
    .select(['id', 'user_name', 'user_name_lc', 'display_name', 'deleted_at'])
    .where('tenant_id', '=', tenantId)
    .where('user_name_lc', 'in', keys)
    .execute();
  const known = new Map(existing.map((p) => [p.user_name_lc, p]));
  const created: { id: string; email: string }[] = [];
  /** Existing people whose display name changes: SCIM shows it in their groups and their reports. */
  const renamed: string[] = [];
  const values = [];
  for (const [key, r] of byKey) {
    const current = known.get(key);
    if (current?.deleted_at) continue;
    const id = current?.id ?? newUuid();
    if (!current) created.push({ id, email: r.email });
    const display = r.name ?? ([r.firstName, r.lastName].filter(Boolean).join(' ') || null);
    if (current && display !== null && display !== (current.display_name ?? current.user_name))
      renamed.push(current.id);
    values.push(
      sql`(${tenantId}, ${id}, ${r.email}, ${key}, ${r.email}, ${key}, ${r.firstName ?? null}, ${r.lastName ?? null},
        ${display}, ${r.status ?? 'active'}, ${r.department ?? null}, ${r.title ?? null}, ${r.employeeNumber ?? null},
        0, 'import', '{}', '{}', 1, ${now}, ${now}, ${r.status === 'inactive' ? now : null})`,
    );
  }
  if (values.length === 0) return { created: 0, updated: 0 };
  await sql`insert into people (tenant_id, id, user_name, user_name_lc, email, email_lc, first_name, last_name,
      display_name, status, department, title, employee_number, is_external, source, attributes, custom, version,
      created_at, updated_at, deactivated_at)
    values ${sql.join(values)}
    on conflict (tenant_id, user_name_lc) do update set
      first_name = coalesce(excluded.first_name, people.first_name),
      last_name = coalesce(excluded.last_name, people.last_name),
      display_name = coalesce(excluded.display_name, people.display_name),
      department = coalesce(excluded.department, people.department),
      title = coalesce(excluded.title, people.title),
      employee_number = coalesce(excluded.employee_number, people.employee_number),
      status = excluded.status,
      deactivated_at = case when excluded.status = 'active' then null else coalesce(people.deactivated_at, excluded.updated_at) end,
      version = people.version + 1,
      updated_at = excluded.updated_at`.execute(trx);
  // Their groups' `members[].display` and their reports' `manager.displayName` change with them.
  if (renamed.length > 0) await touchShowingNames(trx, tenantId, renamed, now);
  if (created.length > 0) {
    await trx
      .insertInto('person_values')
      .values(
        created.map((p) => ({
          tenant_id: tenantId,
          person_id: p.id,
          attr: 'emails',
          position: 0,
          type: 'work',
          value: p.email,
          value_lc: p.email.toLowerCase(),
          display: null,
          is_primary: 1,
        })),
      )
      .execute();
    await recordEvents(
      trx,
      tenantId,
      created.map((p) => ({
        type: 'user.created',
        subjectType: 'person',
        subjectId: p.id,
        payload: { id: p.id, email: p.email, source: 'import' },
      })),
    );
  }
  return { created: created.length, updated: values.length - created.length };
}
