import type { Executor } from '../../platform/db/db.js';

/*
 * Version bumps for SCIM resources whose representation changes without a write of their own
 * (a person's `groups` when a sync moves them, a group's `members[].display` when a member is
 * renamed, a person's role when the role is renamed, …): their `meta.version` (ETag) must change
 * with it. Lists of ids go in chunks.
 */

const CHUNK = 500;

function chunks(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(ids.slice(i, i + CHUNK));
  return out;
}

/** A bump of the tenant's people (the caller says which): next version, changed now. */
function bumpPeople(ex: Executor, tenantId: string, now: string) {
  return ex
    .updateTable('people')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
    .where('tenant_id', '=', tenantId);
}

/** A bump of the tenant's groups (the caller says which): next version, changed now. */
function bumpGroups(ex: Executor, tenantId: string, now: string) {
  return ex
    .updateTable('groups')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
    .where('tenant_id', '=', tenantId);
}

/** Bumps the version of these people. */
export async function touchPeople(ex: Executor, tenantId: string, ids: readonly string[], now: string) {
  for (const part of chunks(ids)) await bumpPeople(ex, tenantId, now).where('id', 'in', part).execute();
}

/** Bumps the version of these groups. */
export async function touchGroups(ex: Executor, tenantId: string, ids: readonly string[], now: string) {
  for (const part of chunks(ids)) await bumpGroups(ex, tenantId, now).where('id', 'in', part).execute();
}

/** Bumps the version of the groups these people are members of (their `members[].display`). */
export async function touchGroupsOf(
  ex: Executor,
  tenantId: string,
  personIds: readonly string[],
  now: string,
) {
  for (const part of chunks(personIds)) {
    await bumpGroups(ex, tenantId, now)
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('group_members')
          .select('group_id')
          .where('tenant_id', '=', tenantId)
          .where('person_id', 'in', part),
      )
      .execute();
  }
}

/**
 * Bumps what shows these people's display name (else userName): their groups' `members[].display`
 * and their direct reports' `manager.displayName`. For people whose display name changed.
 */
export async function touchShowingNames(
  ex: Executor,
  tenantId: string,
  personIds: readonly string[],
  now: string,
) {
  await touchGroupsOf(ex, tenantId, personIds, now);
  for (const part of chunks(personIds))
    await bumpPeople(ex, tenantId, now).where('manager_id', 'in', part).execute();
}

/** Bumps the people holding a role directly (its name is their SCIM role): renamed, or deleted next. */
export async function touchRoleHolders(ex: Executor, tenantId: string, roleId: string, now: string) {
  await bumpPeople(ex, tenantId, now)
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('iam_role_assignments')
        .select('principal_id')
        .where('tenant_id', '=', tenantId)
        .where('role_id', '=', roleId)
        .where('principal_type', '=', 'person'),
    )
    .execute();
}
