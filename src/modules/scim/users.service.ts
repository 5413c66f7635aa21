import { isDeepStrictEqual } from 'node:util';
import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newUuid } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { type EventInput, recordEvents } from '../events/events.service.js';
import { iamRepo } from '../iam/iam.repo.js';
import { resolveActions } from '../iam/iam.service.js';
import { userAttributeMap, userSortColumns } from './filter-maps.js';
import { compileList, type ListRequest } from './list-params.js';
import { normalizeResource, type Resource } from './normalize.js';
import { applyPatch, readPatchOperations } from './patch.js';
import { customUserSchema, enterpriseSchema, sightlineUserSchema, userSchema } from './schemas.js';
import { scimError } from './scim-error.js';
import { touchGroupsOf, touchShowingNames } from './touch-versions.js';
import { uniqueTransaction } from './unique.js';
import { type PersonRow, primaryEmail, type UserWrite, userToScim, userWriteFrom } from './users.mapper.js';
import { type ScimPerson, usersRepo } from './users.repo.js';
import { checkIfMatch } from './versioning.js';

export const userSchemas = [userSchema, enterpriseSchema, sightlineUserSchema, customUserSchema];

export interface ListResult {
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  resources: Resource[];
}

/**
 * SCIM users: the directory's people as an IdP provisions them. Every write is one transaction
 * with its audit entry and events; `active=false` and DELETE deactivate (history kept).
 */
export function createScimUsersService({ db, dialect }: { db: Db; dialect: Dialect }) {
  const map = userAttributeMap(dialect);

  async function load(ex: Executor, tenantId: string, id: string): Promise<ScimPerson> {
    const person = await usersRepo.find(ex, dialect, tenantId, id);
    if (!person) throw new AppError('not_found', `User ${id} not found`);
    return person;
  }

  function present(person: ScimPerson, baseUrl: string): Resource {
    return userToScim(person, person.relations, baseUrl);
  }

  /** Applies a user write (create when `existing` is undefined) and returns the person's id. */
  async function write(
    trx: Executor,
    actor: Actor,
    existing: PersonRow | undefined,
    w: UserWrite,
    verb: string,
  ) {
    const tenantId = actor.tenantId;
    const now = nowIso();
    const holder = await usersRepo.findByUserName(trx, tenantId, w.userName);
    let id = existing?.id;
    let revived = false;
    if (holder && holder.id !== id) {
      if (existing || !holder.deleted_at)
        throw scimError('uniqueness', `userName '${w.userName}' is already taken`, 'conflict');
      id = holder.id; // a user deleted through SCIM and created again keeps its history
      revived = true;
    }
    if (w.managerId) {
      if (w.managerId === id)
        throw scimError('invalidValue', 'manager.value: a user cannot be their own manager');
      if (!(await usersRepo.exists(trx, tenantId, w.managerId)))
        throw scimError('invalidValue', `manager.value: no user ${w.managerId}`);
    }
    const email = primaryEmail(w.contacts);
    const columns = {
      external_id: w.externalId,
      user_name: w.userName,
      user_name_lc: w.userName.toLowerCase(),
      email,
      email_lc: email?.toLowerCase() ?? null,
      first_name: w.firstName,
      last_name: w.lastName,
      display_name: w.displayName ?? ([w.firstName, w.lastName].filter(Boolean).join(' ') || null),
      title: w.title,
      status: w.active ? 'active' : 'inactive',
      department: w.department,
      employee_number: w.employeeNumber,
      cost_center: w.costCenter,
      organization: w.organization,
      division: w.division,
      manager_id: w.managerId,
      updated_at: now,
    };
    const events: EventInput[] = [];
    const wasActive = existing ? existing.status === 'active' : false;
    if (!id || !existing) {
      if (revived && id) {
        const old = await trx
          .selectFrom('people')
          .select(['attributes', 'version'])
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('people')
          .set({
            ...columns,
            attributes: toJson({ ...parseJson<Record<string, unknown>>(old.attributes, {}), scim: w.extra }),
            version: old.version + 1,
            deleted_at: null,
            deactivated_at: w.active ? null : now,
          })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .execute();
        if (w.active)
          events.push({
            type: 'user.reactivated',
            subjectType: 'person',
            subjectId: id,
            payload: { id, userName: w.userName, email, source: 'scim' },
          });
      } else {
        id = newUuid();
        await trx
          .insertInto('people')
          .values({
            tenant_id: tenantId,
            id,
            ...columns,
            is_external: 0,
            source: 'scim',
            attributes: toJson({ scim: w.extra }),
            custom: toJson({}),
            version: 1,
            created_at: now,
            deactivated_at: w.active ? null : now,
            deleted_at: null,
          })
          .execute();
        events.push({
          type: 'user.created',
          subjectType: 'person',
          subjectId: id,
          payload: { id, userName: w.userName, email, active: w.active, source: 'scim' },
        });
      }
    } else {
      // Groups show each member's display name (or userName), reports their manager's: a change
      // to it changes them.
      if ((columns.display_name ?? columns.user_name) !== (existing.display_name ?? existing.user_name))
        await touchShowingNames(trx, tenantId, [id], now);
      const attributes = { ...parseJson<Record<string, unknown>>(existing.attributes, {}), scim: w.extra };
      await trx
        .updateTable('people')
        .set({
          ...columns,
          attributes: toJson(attributes),
          version: existing.version + 1,
          deactivated_at: w.active ? null : wasActive ? now : undefined,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      const payload = { id, userName: w.userName, email, source: 'scim' };
      if (wasActive && !w.active)
        events.push({ type: 'user.deactivated', subjectType: 'person', subjectId: id, payload });
      else if (!wasActive && w.active)
        events.push({ type: 'user.reactivated', subjectType: 'person', subjectId: id, payload });
      else events.push({ type: 'user.updated', subjectType: 'person', subjectId: id, payload });
    }
    if (!w.active) await revokeTokens(trx, tenantId, id, now);
    await usersRepo.replaceContacts(trx, tenantId, id, w.contacts);
    if (w.role !== undefined) await assignRole(trx, actor, id, w.role, now);
    await recordEvents(trx, tenantId, events);
    await recordAudit(trx, actor, {
      action: `scim.user.${verb}`,
      targetType: 'person',
      targetId: id,
      details: { userName: w.userName, active: w.active },
    });
    return id;
  }

  async function assignRole(
    trx: Executor,
    actor: Actor,
    personId: string,
    roleName: string | null,
    now: string,
  ) {
    const current = await usersRepo.findRoleName(trx, actor.tenantId, personId);
    if ((current ?? '').toLowerCase() === (roleName ?? '').toLowerCase()) return;
    if (roleName === null) return usersRepo.setRole(trx, actor.tenantId, personId, null, now);
    const role = await iamRepo.findRoleByName(trx, actor.tenantId, roleName);
    if (!role) throw scimError('invalidValue', `${sightlineUserSchema.id}:role: unknown role '${roleName}'`);
    const granted = await resolveActions(trx, actor.tenantId, { roleIds: [role.id], personId: null });
    const missing = [...granted].filter((a) => !actor.actions.has(a));
    if (missing.length > 0)
      throw new AppError(
        'forbidden',
        `Cannot grant role '${roleName}': it includes actions you do not hold (${missing.slice(0, 5).join(', ')})`,
      );
    await usersRepo.setRole(trx, actor.tenantId, personId, role.id, now);
  }

  const transact = uniqueTransaction(db, 'userName');

  return {
    async list(actor: Actor, request: ListRequest, baseUrl: string): Promise<ListResult> {
      requireAction(actor, 'scim:users:read');
      const q = compileList(request, map, userSortColumns, dialect);
      const { rows, total } = await usersRepo.list(db, dialect, actor.tenantId, q);
      return {
        totalResults: total,
        startIndex: q.startIndex,
        itemsPerPage: rows.length,
        resources: rows.map((person) => present(person, baseUrl)),
      };
    },

    async get(actor: Actor, id: string, baseUrl: string): Promise<Resource> {
      requireAction(actor, 'scim:users:read');
      return present(await load(db, actor.tenantId, id), baseUrl);
    },

    async create(actor: Actor, body: unknown, baseUrl: string): Promise<Resource> {
      requireAction(actor, 'scim:users:write');
      const w = userWriteFrom(normalizeResource(body, userSchemas));
      return transact(async (trx) => {
        const id = await write(trx, actor, undefined, w, 'created');
        return present(await load(trx, actor.tenantId, id), baseUrl);
      });
    },

    async replace(
      actor: Actor,
      id: string,
      body: unknown,
      ifMatch: string | undefined,
      baseUrl: string,
    ): Promise<Resource> {
      requireAction(actor, 'scim:users:write');
      const w = userWriteFrom(normalizeResource(body, userSchemas));
      return transact(async (trx) => {
        const existing = await load(trx, actor.tenantId, id);
        checkIfMatch(ifMatch, existing.version);
        await write(trx, actor, existing, w, 'replaced');
        return present(await load(trx, actor.tenantId, id), baseUrl);
      });
    },

    async patch(
      actor: Actor,
      id: string,
      body: unknown,
      ifMatch: string | undefined,
      baseUrl: string,
    ): Promise<Resource> {
      requireAction(actor, 'scim:users:write');
      const ops = readPatchOperations(body);
      return transact(async (trx) => {
        const existing = await load(trx, actor.tenantId, id);
        checkIfMatch(ifMatch, existing.version);
        const current = present(existing, baseUrl);
        if (ops.length === 0) return current;
        const before = normalizeResource(current, userSchemas);
        const patched = normalizeResource(applyPatch(before, ops, userSchemas, id), userSchemas);
        // A PATCH that changes nothing (removing an absent email, …) keeps the version.
        if (isDeepStrictEqual(patched, before)) return current;
        await write(trx, actor, existing, userWriteFrom(patched), 'patched');
        return present(await load(trx, actor.tenantId, id), baseUrl);
      });
    },

    /** Deactivates the person and hides them from SCIM; the row and its access history stay. */
    async remove(actor: Actor, id: string, ifMatch: string | undefined): Promise<void> {
      requireAction(actor, 'scim:users:write');
      await transact(async (trx) => {
        const existing = await load(trx, actor.tenantId, id);
        checkIfMatch(ifMatch, existing.version);
        const now = nowIso();
        await trx
          .updateTable('people')
          .set({
            status: 'inactive',
            deleted_at: now,
            deactivated_at: existing.status === 'active' ? now : undefined,
            version: existing.version + 1,
            updated_at: now,
          })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        await touchGroupsOf(trx, actor.tenantId, [id], now);
        await trx
          .deleteFrom('group_members')
          .where('tenant_id', '=', actor.tenantId)
          .where('person_id', '=', id)
          .execute();
        // Their reports no longer have a manager SCIM can show (GET of the manager answers 404).
        await trx
          .updateTable('people')
          .set((eb) => ({ manager_id: null, version: eb('version', '+', 1), updated_at: now }))
          .where('tenant_id', '=', actor.tenantId)
          .where('manager_id', '=', id)
          .where('id', '<>', id)
          .execute();
        await revokeTokens(trx, actor.tenantId, id, now);
        if (existing.status === 'active') {
          await recordEvents(trx, actor.tenantId, [
            {
              type: 'user.deactivated',
              subjectType: 'person',
              subjectId: id,
              payload: { id, userName: existing.user_name, source: 'scim', deleted: true },
            },
          ]);
        }
        await recordAudit(trx, actor, {
          action: 'scim.user.deleted',
          targetType: 'person',
          targetId: id,
          details: { userName: existing.user_name },
        });
      });
    },
  };
}

/** Ends a deactivated person's API tokens (their platform sessions). */
async function revokeTokens(trx: Executor, tenantId: string, personId: string, now: string): Promise<void> {
  await trx
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('tenant_id', '=', tenantId)
    .where('person_id', '=', personId)
    .where('revoked_at', 'is', null)
    .execute();
}

export type ScimUsersService = ReturnType<typeof createScimUsersService>;
