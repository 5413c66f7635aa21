import { toJson } from '../../platform/db/json.js';
import { newId } from '../../platform/ids/ids.js';
import { collectAccounts, orderByApp, readAccount } from './account-columns.js';
import { createBatchWriter } from './batch-writer.js';
import { isoDaysAgo } from './dates.js';
import type { DemoContext } from './demo.types.js';
import type { PlannedAccount } from './plan-access.js';
import type { PlannedApp } from './plan-apps.js';
import type { PlannedPerson } from './plan-people.js';
import type { WrittenApp } from './write-apps.js';

export interface WrittenAccess {
  accounts: number;
  activities: number;
  /** Per app, active accounts holding its paid plan: the seats in use. */
  seatsUsed: Int32Array;
}

/**
 * Writes every person's app accounts and the login events of recent use. Accounts are planned
 * person by person into compact columns, then written app by app, one batch of rows at a time.
 */
export async function writeAccess(
  ctx: DemoContext,
  input: {
    people: readonly PlannedPerson[];
    personIds: readonly string[];
    apps: readonly PlannedApp[];
    written: readonly WrittenApp[];
    planAccounts: (person: PlannedPerson) => PlannedAccount[];
    /** Roughly how many accounts to expect, to size the columns once. */
    expected: number;
  },
): Promise<WrittenAccess> {
  const { trx, tenantId, createdAt, reference } = ctx;
  const { people, personIds, apps, written, planAccounts } = input;
  const seatsUsed = new Int32Array(apps.length);
  const accountWriter = createBatchWriter(trx, 'app_accounts');
  const activityWriter = createBatchWriter(trx, 'activities');
  const emptyJson = toJson({});
  const loginDetails = toJson({ result: 'success' });
  const columns = collectAccounts(people, apps, planAccounts, input.expected);
  for (const i of orderByApp(columns, apps.length)) {
    const account = readAccount(columns, i, apps);
    const person = people[account.person];
    const app = apps[account.app];
    const ids = written[account.app];
    if (!person || !app || !ids) continue;
    const personId = personIds[account.person] ?? null;
    // One id per person in every app it uses, unique within each instance as the sync API requires.
    const externalId = `U${(account.person + 1).toString(36).toUpperCase().padStart(6, '0')}`;
    const lastUsedAt =
      account.lastUsedDaysAgo === null ? null : isoDaysAgo(reference, account.lastUsedDaysAgo);
    await accountWriter.add({
      tenant_id: tenantId,
      id: newId('acc'),
      app_id: ids.id,
      instance_id: ids.instanceId,
      person_id: personId,
      external_id: externalId,
      email: person.email,
      email_lc: person.email,
      name: `${person.firstName} ${person.lastName}`,
      status: account.status,
      role: account.role,
      license: account.license,
      last_used_at: lastUsedAt,
      first_seen_at: isoDaysAgo(reference, account.firstSeenDaysAgo),
      attributes: emptyJson,
      created_at: createdAt,
      updated_at: createdAt,
      deactivated_at:
        account.deactivatedDaysAgo === null ? null : isoDaysAgo(reference, account.deactivatedDaysAgo),
    });
    if (account.status === 'active' && app.priceMinor > 0 && account.license === app.plan) {
      seatsUsed[account.app] = (seatsUsed[account.app] ?? 0) + 1;
    }
    if (account.hasLogin && lastUsedAt) {
      await activityWriter.add({
        tenant_id: tenantId,
        id: newId('act'),
        person_id: personId,
        app_id: ids.id,
        instance_id: ids.instanceId,
        external_id: `login-${externalId}`,
        occurred_at: lastUsedAt,
        activity_type: 'login',
        details: loginDetails,
        created_at: createdAt,
      });
    }
  }
  await accountWriter.flush();
  await activityWriter.flush();
  return { accounts: accountWriter.count, activities: activityWriter.count, seatsUsed };
}
