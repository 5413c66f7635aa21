import { toJson } from '../../platform/db/json.js';
import { newUuid } from '../../platform/ids/ids.js';
import { createBatchWriter } from './batch-writer.js';
import { isoDaysAgo } from './dates.js';
import type { DemoContext } from './demo.types.js';
import { departments } from './org-catalog.js';
import type { PlannedPerson } from './plan-people.js';

/**
 * Writes the planned people, one group per department and each person's membership in it.
 * Returns the people's ids in plan order, for everything that references a person.
 */
export async function writeDirectory(
  ctx: DemoContext,
  people: readonly PlannedPerson[],
): Promise<{ personIds: string[]; groups: number }> {
  const { trx, tenantId, createdAt, reference } = ctx;
  // Ids first: managers may come later in the plan than the people reporting to them.
  const personIds = people.map(() => newUuid());
  const emptyJson = toJson({});
  const peopleWriter = createBatchWriter(trx, 'people');
  for (const [i, p] of people.entries()) {
    const department = departments[p.department];
    const managerId = p.managerIndex === null ? null : (personIds[p.managerIndex] ?? null);
    await peopleWriter.add({
      tenant_id: tenantId,
      id: personIds[i] ?? newUuid(),
      external_id: p.employeeNumber,
      user_name: p.email,
      user_name_lc: p.email,
      email: p.email,
      email_lc: p.email,
      first_name: p.firstName,
      last_name: p.lastName,
      display_name: `${p.firstName} ${p.lastName}`,
      status: p.status,
      department: department?.name ?? null,
      title: p.title,
      employee_number: p.employeeNumber,
      cost_center: p.isExternal ? null : (department?.costCenter ?? null),
      organization: null,
      division: null,
      manager_id: managerId,
      is_external: p.isExternal ? 1 : 0,
      source: 'demo',
      attributes: emptyJson,
      custom: emptyJson,
      version: 1,
      created_at: createdAt,
      updated_at: createdAt,
      deactivated_at: p.deactivatedDaysAgo === null ? null : isoDaysAgo(reference, p.deactivatedDaysAgo),
    });
  }
  await peopleWriter.flush();

  const groupIds = departments.map(() => newUuid());
  const groupWriter = createBatchWriter(trx, 'groups');
  for (const [d, department] of departments.entries()) {
    await groupWriter.add({
      tenant_id: tenantId,
      id: groupIds[d] ?? newUuid(),
      display_name: department.name,
      display_name_lc: department.name.toLowerCase(),
      external_id: null,
      description: `Everyone in ${department.name}`,
      source: 'demo',
      version: 1,
      created_at: createdAt,
      updated_at: createdAt,
    });
  }
  await groupWriter.flush();

  const memberWriter = createBatchWriter(trx, 'group_members');
  for (const [i, p] of people.entries()) {
    const groupId = groupIds[p.department];
    const personId = personIds[i];
    if (!groupId || !personId) continue;
    await memberWriter.add({
      tenant_id: tenantId,
      group_id: groupId,
      person_id: personId,
      created_at: createdAt,
    });
  }
  await memberWriter.flush();
  return { personIds, groups: groupWriter.count };
}
