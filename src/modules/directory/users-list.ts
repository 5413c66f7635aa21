import { type RawBuilder, sql } from 'kysely';
import type { Db, Dialect } from '../../platform/db/db.js';
import { parseJson } from '../../platform/db/json.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { loadCustomFields } from '../fields/fields.service.js';
import type { ListDefinition, ListPage } from '../listing/list.types.js';
import { parseListRequest } from '../listing/list-params.js';
import { listPage } from '../listing/list-query.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The statuses people are stored with (SCIM writes active/inactive; sources also send suspended). */
export const personStatuses = ['active', 'inactive', 'suspended'] as const;

/**
 * External: an email outside the tenant's domains (subdomains count as inside). A tenant without
 * domains keeps the flag its sources stored. Domains are validated hostnames: no LIKE wildcards.
 */
export function isExternalExpr(domains: string[]): RawBuilder<number> {
  if (domains.length === 0) return sql`p.is_external`;
  const inside = sql.join(
    domains.flatMap((d) => [sql`p.email_lc like ${`%@${d}`}`, sql`p.email_lc like ${`%.${d}`}`]),
    sql` or `,
  );
  return sql`(case when p.email_lc is null then p.is_external when (${inside}) then 0 else 1 end)`;
}

/** The users list over the directory's people (SCIM-deleted people excluded). */
export function usersList(domains: string[]): ListDefinition {
  const isExternal = isExternalExpr(domains);
  return {
    from: sql`people p`,
    tenantColumn: 'p.tenant_id',
    idColumn: 'p.id',
    customColumn: 'p.custom',
    where: [sql`p.deleted_at is null`],
    defaultSort: 'id',
    fields: {
      id: { select: sql.ref('p.id'), sort: true },
      email: {
        select: sql.ref('p.email'),
        sort: sql`coalesce(p.email_lc, '')`,
        filter: 'text_ci',
        filterExpr: sql.ref('p.email_lc'),
        present: (v) => (typeof v === 'string' && EMAIL.test(v) ? v : undefined),
      },
      firstName: { select: sql.ref('p.first_name'), sort: sql`coalesce(p.first_name, '')`, filter: 'text' },
      lastName: { select: sql.ref('p.last_name'), sort: sql`coalesce(p.last_name, '')`, filter: 'text' },
      status: { select: sql.ref('p.status'), sort: true, filter: 'enum', values: personStatuses },
      department: { select: sql.ref('p.department'), sort: sql`coalesce(p.department, '')`, filter: 'text' },
      isExternal: { select: isExternal, filter: 'boolean', present: (v) => Number(v) === 1 },
      appsCount: {
        select: sql`(select count(distinct aa.app_id) from app_accounts aa
          where aa.tenant_id = p.tenant_id and aa.person_id = p.id and aa.status = 'active')`,
        present: Number,
      },
      createdAt: { select: sql.ref('p.created_at'), sort: true },
    },
  };
}

/** `/users` of the management face: one page of the tenant's people. */
export function createUsersList({ db, dialect }: { db: Db; dialect: Dialect }) {
  return {
    async list(actor: Actor, query: Record<string, unknown>): Promise<ListPage> {
      requireAction(actor, 'users:read');
      const tenant = await db
        .selectFrom('tenants')
        .select('domains')
        .where('id', '=', actor.tenantId)
        .executeTakeFirst();
      const def = usersList(parseJson<string[]>(tenant?.domains, []));
      const custom = await loadCustomFields(db, actor.tenantId, 'users');
      return listPage(db, dialect, def, parseListRequest(query, def, custom), actor.tenantId, custom);
    },
  };
}

export type UsersList = ReturnType<typeof createUsersList>;
