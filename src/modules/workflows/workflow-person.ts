import { sql } from 'kysely';
import { dialectOf, type Executor } from '../../platform/db/db.js';
import { compileFilter } from '../scim/filter/compile-sql.js';
import { parseFilter } from '../scim/filter/parse.js';
import { userAttributeMap } from '../scim/filter-maps.js';
import type { Resource } from '../scim/normalize.js';
import { userToScim } from '../scim/users.mapper.js';
import { usersRepo } from '../scim/users.repo.js';

/*
 * The person a workflow run is about, read as SCIM shows them but *including people deleted
 * through SCIM*: a SCIM DELETE deactivates the person (history kept) and emits `user.deactivated`,
 * and offboarding must still see them. The SCIM users service hides those people, so the
 * runner reads through the repo's read that includes them (same statement, same mapper) and checks
 * conditions with the same filter compiler.
 */

/** The person's SCIM record, deleted or not, or undefined when there is no such row. */
export async function findWorkflowPerson(
  db: Executor,
  tenantId: string,
  personId: string,
  baseUrl: string,
): Promise<Resource | undefined> {
  const person = await usersRepo.findIncludingDeleted(db, dialectOf(db), tenantId, personId);
  return person && userToScim(person, person.relations, baseUrl);
}

/** Whether the person (deleted or not) matches a SCIM filter, compiled to SQL as SCIM lists do. */
export async function matchesWorkflowCondition(
  db: Executor,
  tenantId: string,
  personId: string,
  condition: string,
): Promise<boolean> {
  const dialect = dialectOf(db);
  const where = compileFilter(parseFilter(condition), userAttributeMap(dialect), dialect);
  const { rows } = await sql<{ id: string }>`select p.id from people p
    where p.tenant_id = ${tenantId} and p.id = ${personId} and (${where})`.execute(db);
  return rows.length > 0;
}
