import { sql } from 'kysely';
import type { Db } from '../../platform/db/db.js';
import { nowIso, parseJson } from '../../platform/db/json.js';
import { AppError, badRequest, type FieldProblem, notFound } from '../../platform/errors/app-error.js';
import { refreshAppFigures } from '../apps/app-figures.js';
import { recordAudit } from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import type { DemoContext, DemoOptions, DemoSummary } from './demo.types.js';
import { defaultDemoDomain } from './org-catalog.js';
import { createAccessPlanner } from './plan-access.js';
import { planApps } from './plan-apps.js';
import { managersByDepartment, planPeople } from './plan-people.js';
import { createRandom } from './random.js';
import { writeAccess } from './write-access.js';
import { writeApps } from './write-apps.js';
import { writeDirectory } from './write-directory.js';
import { writeSpend } from './write-spend.js';

export type { DemoOptions, DemoSummary } from './demo.types.js';

const defaults = { seed: 42, people: 500, apps: 60, accessPerPerson: 10 };
/** Upper bounds that keep a typo from filling the disk. */
const limits = { people: 1_000_000, apps: 20_000, accessPerPerson: 100 };

function resolveOptions(options: DemoOptions) {
  const resolved = {
    seed: options.seed ?? defaults.seed,
    people: options.people ?? defaults.people,
    apps: options.apps ?? defaults.apps,
    accessPerPerson: options.accessPerPerson ?? defaults.accessPerPerson,
  };
  const problems: FieldProblem[] = [];
  if (!Number.isSafeInteger(resolved.seed)) problems.push({ field: 'seed', problem: 'must be an integer' });
  const ranges = [
    ['people', 1, limits.people],
    ['apps', 1, limits.apps],
    ['accessPerPerson', 0, limits.accessPerPerson],
  ] as const;
  for (const [field, min, max] of ranges) {
    const value = resolved[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push({ field, problem: `must be an integer from ${min} to ${max}` });
    }
  }
  if (problems.length > 0) throw badRequest(problems);
  return resolved;
}

/**
 * Fills one tenant with a deterministic demo organization: people with managers and department
 * groups, apps with instances, accounts, licenses, contracts, a year of charges and recent logins.
 * The same seed and `now` give the same data (ids aside). Everything is written in one
 * transaction, in batches; throws `conflict` when the tenant already has people.
 */
export async function generateDemo(
  db: Db,
  tenantId: string,
  options: DemoOptions = {},
): Promise<DemoSummary> {
  const { seed, people: peopleCount, apps: appCount, accessPerPerson } = resolveOptions(options);
  const reference = (options.now ?? new Date()).getTime();
  const random = createRandom(seed);
  const summary = await db.transaction().execute(async (trx) => {
    const createdAt = nowIso();
    // Touching the tenant row locks it: two concurrent runs on PostgreSQL cannot both see no people.
    const tenant = await trx
      .updateTable('tenants')
      .set({ updated_at: createdAt })
      .where('id', '=', tenantId)
      .returning('domains')
      .executeTakeFirst();
    if (!tenant) throw notFound('Tenant', tenantId);
    const existing = await trx
      .selectFrom('people')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .limit(1)
      .executeTakeFirst();
    if (existing) {
      throw new AppError(
        'conflict',
        'The tenant already has people: demo data is only added to an empty tenant',
      );
    }
    const domain = parseJson<string[]>(tenant.domains, [])[0] ?? defaultDemoDomain;

    // Each part draws from its own stream: asking for more apps leaves the people unchanged.
    const people = planPeople(random.fork('people'), peopleCount, domain);
    const apps = planApps(random.fork('apps'), appCount, managersByDepartment(people));
    const ctx: DemoContext = { trx, tenantId, createdAt, reference };
    const { personIds, groups } = await writeDirectory(ctx, people);
    const written = await writeApps(ctx, apps, personIds);
    const access = await writeAccess(ctx, {
      people,
      personIds,
      apps,
      written,
      planAccounts: createAccessPlanner(random.fork('access'), apps, accessPerPerson),
      expected: peopleCount * accessPerPerson * 1.1,
    });
    const spend = await writeSpend(ctx, random.fork('spend'), { apps, written, seatsUsed: access.seatsUsed });
    await refreshAppFigures(trx, tenantId);
    const summary: DemoSummary = {
      people: people.length,
      groups,
      apps: apps.length,
      accounts: access.accounts,
      ...spend,
      activities: access.activities,
    };
    await recordAudit(trx, systemActor(tenantId, 'demo'), {
      action: 'demo.generated',
      targetType: 'tenant',
      targetId: tenantId,
      details: { seed, accessPerPerson, reference: new Date(reference).toISOString(), ...summary },
    });
    return summary;
  });
  // A bulk load leaves the planner's statistics stale: refresh them so the first queries plan well.
  await sql`analyze`.execute(db);
  return summary;
}

/** Like generateDemo, but a tenant that already has people is left alone (returns undefined). */
export async function generateDemoIfEmpty(
  db: Db,
  tenantId: string,
  options: DemoOptions = {},
): Promise<DemoSummary | undefined> {
  try {
    return await generateDemo(db, tenantId, options);
  } catch (error) {
    if (error instanceof AppError && error.code === 'conflict') return undefined;
    throw error;
  }
}
