import { sql } from 'kysely';
import { parseJson, toJson } from '../../platform/db/json.js';
import { newId, newUuid } from '../../platform/ids/ids.js';
import { currencyDecimals, toMinorUnits } from '../contracts/currencies.js';
import { findOrCreateApp } from '../instances/instances.service.js';
import { touchGroups, touchPeople } from '../scim/touch-versions.js';
import { type ApplyContext, type EntityCounts, emptyCounts } from './apply-context.js';

type Rec = Record<string, unknown>;
const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

/** The sync's snapshot records of an entity, last page winning for a repeated id, in page order. */
async function readSnapshot(ctx: ApplyContext, entity: string, idOf: (r: Rec) => string): Promise<Rec[]> {
  const rows = await sql<{
    rec: unknown;
  }>`select ${ctx.h.recordText('rec')} as rec from ${ctx.h.pageRecords(ctx.tenantId, ctx.syncId, 'snapshot', entity)} as r
    order by page, pos`.execute(ctx.trx);
  const byId = new Map<string, Rec>();
  for (const row of rows.rows) {
    const rec = parseJson<Rec>(row.rec, {});
    byId.set(idOf(rec), rec);
  }
  return [...byId.values()];
}

/** Applications: apps upserted by name; new ones start as discovered. */
export async function applyApplications(ctx: ApplyContext): Promise<EntityCounts> {
  const records = await readSnapshot(ctx, 'applications', (r) => String(r.id));
  const counts = { ...emptyCounts(), received: records.length };
  for (const r of records) {
    const name = String(r.name);
    const existing = await ctx.trx
      .selectFrom('apps')
      .select(['id', 'category', 'url', 'description', 'owner_id'])
      .where('tenant_id', '=', ctx.tenantId)
      .where('name_lc', '=', name.trim().toLowerCase())
      .executeTakeFirst();
    const owner = r.owner_email
      ? await ctx.trx
          .selectFrom('people')
          .select('id')
          .where('tenant_id', '=', ctx.tenantId)
          .where('email_lc', '=', String(r.owner_email).toLowerCase())
          .executeTakeFirst()
      : undefined;
    if (r.owner_email && !owner)
      ctx.unresolved.push({ entity: 'applications', field: 'owner_email', value: String(r.owner_email) });
    const fields = {
      category: str(r.category) ?? existing?.category ?? null,
      url: str(r.url) ?? existing?.url ?? null,
      description: str(r.description) ?? existing?.description ?? null,
      owner_id: owner?.id ?? existing?.owner_id ?? null,
    };
    const appId = existing?.id ?? (await findOrCreateApp(ctx.trx, ctx.tenantId, name, 'sync'));
    const changed =
      !existing ||
      fields.category !== existing.category ||
      fields.url !== existing.url ||
      fields.description !== existing.description ||
      fields.owner_id !== existing.owner_id;
    if (changed) {
      await ctx.trx
        .updateTable('apps')
        .set({ ...fields, updated_at: ctx.now })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', appId)
        .execute();
    }
    if (!existing) counts.created++;
    else if (changed) counts.updated++;
    else counts.unchanged++;
  }
  return counts;
}

/** Roles of the instance's app; roles missing from the snapshot become inactive. */
export async function applyRoles(ctx: ApplyContext): Promise<EntityCounts> {
  const records = await readSnapshot(ctx, 'roles', (r) => String(r.id));
  const counts = { ...emptyCounts(), received: records.length };
  const existing = await ctx.trx
    .selectFrom('app_roles')
    .selectAll()
    .where('tenant_id', '=', ctx.tenantId)
    .where('instance_id', '=', ctx.instanceId)
    .execute();
  const byExternal = new Map(existing.map((r) => [r.external_id, r]));
  const seen = new Set<string>();
  for (const r of records) {
    const externalId = String(r.id);
    seen.add(externalId);
    const row = byExternal.get(externalId);
    const values = { name: String(r.name), description: str(r.description), status: 'active' };
    if (!row) {
      await ctx.trx
        .insertInto('app_roles')
        .values({
          tenant_id: ctx.tenantId,
          id: newId('rol'),
          app_id: ctx.appId,
          instance_id: ctx.instanceId,
          external_id: externalId,
          ...values,
          created_at: ctx.now,
          updated_at: ctx.now,
        })
        .execute();
      counts.created++;
    } else if (
      row.name !== values.name ||
      row.description !== values.description ||
      row.status !== 'active'
    ) {
      await ctx.trx
        .updateTable('app_roles')
        .set({ ...values, updated_at: ctx.now })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', row.id)
        .execute();
      if (row.status !== 'active') counts.reactivated++;
      counts.updated++;
    } else counts.unchanged++;
  }
  for (const row of existing) {
    if (seen.has(row.external_id) || row.status === 'inactive') continue;
    await ctx.trx
      .updateTable('app_roles')
      .set({ status: 'inactive', updated_at: ctx.now })
      .where('tenant_id', '=', ctx.tenantId)
      .where('id', '=', row.id)
      .execute();
    counts.deactivated++;
  }
  return counts;
}

/** Groups upserted by name; returns the map from the source's group ids to Sightline group ids. */
export async function applyGroups(ctx: ApplyContext, groupIds: Map<string, string>): Promise<EntityCounts> {
  const records = await readSnapshot(ctx, 'groups', (r) => String(r.id));
  const counts = { ...emptyCounts(), received: records.length };
  for (const r of records) {
    const name = String(r.name).trim();
    const existing = await ctx.trx
      .selectFrom('groups')
      .select(['id', 'description'])
      .where('tenant_id', '=', ctx.tenantId)
      .where('display_name_lc', '=', name.toLowerCase())
      .executeTakeFirst();
    if (existing) {
      groupIds.set(String(r.id), existing.id);
      if (str(r.description) !== null && str(r.description) !== existing.description) {
        await ctx.trx
          .updateTable('groups')
          .set({ description: str(r.description), updated_at: ctx.now, version: sql`version + 1` })
          .where('tenant_id', '=', ctx.tenantId)
          .where('id', '=', existing.id)
          .execute();
        counts.updated++;
      } else counts.unchanged++;
      continue;
    }
    const id = newUuid();
    await ctx.trx
      .insertInto('groups')
      .values({
        tenant_id: ctx.tenantId,
        id,
        display_name: name,
        display_name_lc: name.toLowerCase(),
        external_id: `${ctx.instanceId}:${String(r.id)}`,
        description: str(r.description),
        source: 'sync',
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
      })
      .execute();
    groupIds.set(String(r.id), id);
    counts.created++;
    if (!ctx.baseline)
      ctx.events.push({
        type: 'group.created',
        subjectType: 'group',
        subjectId: id,
        payload: { group_id: id, name, instance_id: ctx.instanceId },
      });
  }
  return counts;
}

/**
 * Memberships of the snapshot's groups: exactly the pairs sent. `group_id` is a groups.id of this
 * sync (or of an earlier one), `user_id` a users.id of this instance. Unknown ids are reported.
 */
export async function applyGroupUsers(
  ctx: ApplyContext,
  groupIds: Map<string, string>,
): Promise<EntityCounts> {
  const records = await readSnapshot(
    ctx,
    'group_users',
    (r) => `${String(r.group_id)}\u0000${String(r.user_id)}`,
  );
  const counts = { ...emptyCounts(), received: records.length };
  if (records.length === 0) return counts;
  const accounts = await ctx.trx
    .selectFrom('app_accounts')
    .select(['external_id', 'person_id'])
    .where('tenant_id', '=', ctx.tenantId)
    .where('instance_id', '=', ctx.instanceId)
    .execute();
  const personOf = new Map(accounts.map((a) => [a.external_id, a.person_id]));
  const wanted = new Map<string, Set<string>>();
  for (const r of records) {
    const sourceGroup = String(r.group_id);
    let groupId = groupIds.get(sourceGroup);
    if (!groupId) {
      const found = await ctx.trx
        .selectFrom('groups')
        .select('id')
        .where('tenant_id', '=', ctx.tenantId)
        .where('external_id', '=', `${ctx.instanceId}:${sourceGroup}`)
        .executeTakeFirst();
      groupId = found?.id;
    }
    const personId = personOf.get(String(r.user_id));
    if (!groupId) {
      ctx.unresolved.push({ entity: 'group_users', field: 'group_id', value: sourceGroup });
      counts.rejected++;
      continue;
    }
    if (!personId) {
      ctx.unresolved.push({ entity: 'group_users', field: 'user_id', value: String(r.user_id) });
      counts.rejected++;
      continue;
    }
    const set = wanted.get(groupId) ?? new Set<string>();
    set.add(personId);
    wanted.set(groupId, set);
  }
  for (const [groupId, people] of wanted) {
    const current = await ctx.trx
      .selectFrom('group_members')
      .select('person_id')
      .where('tenant_id', '=', ctx.tenantId)
      .where('group_id', '=', groupId)
      .execute();
    const have = new Set(current.map((c) => c.person_id));
    const add = [...people].filter((p) => !have.has(p));
    const remove = [...have].filter((p) => !people.has(p));
    for (let i = 0; i < add.length; i += 500) {
      await ctx.trx
        .insertInto('group_members')
        .values(
          add.slice(i, i + 500).map((person_id) => ({
            tenant_id: ctx.tenantId,
            group_id: groupId,
            person_id,
            created_at: ctx.now,
          })),
        )
        .execute();
    }
    if (remove.length > 0) {
      await ctx.trx
        .deleteFrom('group_members')
        .where('tenant_id', '=', ctx.tenantId)
        .where('group_id', '=', groupId)
        .where('person_id', 'in', remove)
        .execute();
    }
    // SCIM shows memberships on both sides (a group's members, a person's groups): the versions
    // (ETags) of the group and of each person who joined or left change with them.
    if (add.length > 0 || remove.length > 0) {
      await touchGroups(ctx.trx, ctx.tenantId, [groupId], ctx.now);
      await touchPeople(ctx.trx, ctx.tenantId, [...add, ...remove], ctx.now);
    }
    counts.created += add.length;
    counts.deactivated += remove.length;
    counts.unchanged += people.size - add.length;
    if ((add.length > 0 || remove.length > 0) && !ctx.baseline) {
      ctx.events.push({
        type: 'group.updated',
        subjectType: 'group',
        subjectId: groupId,
        payload: { group_id: groupId, added: add, removed: remove },
      });
    }
  }
  return counts;
}

/** Contracts upserted by the source's id; money becomes minor units. */
/**
 * A synced amount in minor units of its currency (JPY has none, KWD three): exact from its decimal
 * digits; an amount finer than the currency allows (a sync is not refused for it) is rounded.
 */
function syncedMinorUnits(amount: number, currency: string | null): number {
  try {
    return toMinorUnits(amount, currency);
  } catch {
    return Math.round(amount * 10 ** currencyDecimals(currency));
  }
}

export async function applyContracts(ctx: ApplyContext): Promise<EntityCounts> {
  const records = await readSnapshot(ctx, 'contracts', (r) => String(r.id));
  const counts = { ...emptyCounts(), received: records.length };
  for (const r of records) {
    const externalId = `${ctx.instanceId}:${String(r.id)}`;
    const appId = r.application
      ? await findOrCreateApp(ctx.trx, ctx.tenantId, String(r.application), 'sync')
      : ctx.appId;
    const values = {
      app_id: appId,
      name: String(r.name),
      status: str(r.status) ?? 'active',
      start_date: str(r.start_date),
      end_date: str(r.end_date),
      renewal_date: str(r.renewal_date),
      auto_renew: r.auto_renew === true ? 1 : 0,
      cost_minor: typeof r.amount === 'number' ? syncedMinorUnits(r.amount, str(r.currency)) : null,
      currency: str(r.currency),
      billing_period: str(r.billing_period),
    };
    const existing = await ctx.trx
      .selectFrom('contracts')
      .selectAll()
      .where('tenant_id', '=', ctx.tenantId)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    if (!existing) {
      await ctx.trx
        .insertInto('contracts')
        .values({
          tenant_id: ctx.tenantId,
          id: newId('ctr'),
          external_id: externalId,
          ...values,
          owner_id: null,
          notes: null,
          custom: toJson({}),
          created_at: ctx.now,
          updated_at: ctx.now,
        })
        .execute();
      counts.created++;
      continue;
    }
    const changed = (Object.keys(values) as (keyof typeof values)[]).some((k) => existing[k] !== values[k]);
    if (changed) {
      await ctx.trx
        .updateTable('contracts')
        .set({ ...values, updated_at: ctx.now })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', existing.id)
        .execute();
      counts.updated++;
    } else counts.unchanged++;
  }
  return counts;
}
