import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newUuid } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { recordEvents } from '../events/events.service.js';
import { groupAttributeMap, groupSortColumns } from './filter-maps.js';
import { applyMemberChange, MAX_MEMBERS_PER_REQUEST, splitMemberOps } from './group-members.js';
import { groupToScim, memberIds } from './groups.mapper.js';
import { type GroupRow, groupsRepo } from './groups.repo.js';
import { compileList, type ListRequest } from './list-params.js';
import { normalizeResource, type Resource } from './normalize.js';
import { applyPatch, readPatchOperations } from './patch.js';
import { groupSchema } from './schemas.js';
import { scimError } from './scim-error.js';
import { uniqueTransaction } from './unique.js';
import type { ListResult } from './users.service.js';
import { checkIfMatch } from './versioning.js';

/**
 * SCIM groups. Membership changes are set operations in SQL (thousands of members per request),
 * never a load-modify-save of the whole group; other attributes go through the PATCH engine.
 */
export function createScimGroupsService({ db, dialect }: { db: Db; dialect: Dialect }) {
  const map = groupAttributeMap();

  async function load(ex: Executor, tenantId: string, id: string): Promise<GroupRow> {
    const row = await groupsRepo.find(ex, tenantId, id);
    if (!row) throw new AppError('not_found', `Group ${id} not found`);
    return row;
  }

  async function present(ex: Executor, tenantId: string, row: GroupRow, baseUrl: string, withMembers = true) {
    return groupToScim(
      row,
      withMembers ? await groupsRepo.members(ex, tenantId, [row.id]) : undefined,
      baseUrl,
    );
  }

  async function checkName(ex: Executor, tenantId: string, displayName: unknown, selfId: string | undefined) {
    if (typeof displayName !== 'string' || displayName.trim() === '')
      throw scimError('invalidValue', 'displayName: required, a non-empty string');
    if (displayName.length > 256) throw scimError('invalidValue', 'displayName: at most 256 characters');
    const holder = await groupsRepo.findByName(ex, tenantId, displayName.trim());
    if (holder && holder.id !== selfId)
      throw scimError('uniqueness', `displayName '${displayName}' is already taken`, 'conflict');
    return displayName.trim();
  }

  async function bump(
    trx: Executor,
    tenantId: string,
    row: GroupRow,
    set: { display_name?: string; external_id?: string | null },
    now: string,
  ) {
    await trx
      .updateTable('groups')
      .set({
        ...set,
        ...(set.display_name ? { display_name_lc: set.display_name.toLowerCase() } : {}),
        version: row.version + 1,
        updated_at: now,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', row.id)
      .execute();
  }

  const transact = uniqueTransaction(db, 'displayName');

  return {
    async list(actor: Actor, request: ListRequest, baseUrl: string): Promise<ListResult> {
      requireAction(actor, 'scim:groups:read');
      const q = compileList(request, map, groupSortColumns, dialect);
      const { rows, total } = await groupsRepo.list(db, actor.tenantId, q);
      const excluded = (request.excludedAttributes ?? '')
        .toLowerCase()
        .split(',')
        .map((s) => s.trim());
      const skipMembers =
        excluded.includes('members') ||
        (request.attributes !== undefined && !/members/i.test(request.attributes));
      const members = skipMembers
        ? []
        : await groupsRepo.members(
            db,
            actor.tenantId,
            rows.map((r) => r.id),
          );
      // Members by group in one pass (a page of large groups holds many thousands of members).
      const byGroup = new Map<string, typeof members>();
      for (const m of members) {
        const list = byGroup.get(m.group_id);
        if (list) list.push(m);
        else byGroup.set(m.group_id, [m]);
      }
      return {
        totalResults: total,
        startIndex: q.startIndex,
        itemsPerPage: rows.length,
        resources: rows.map((row) =>
          groupToScim(row, skipMembers ? undefined : (byGroup.get(row.id) ?? []), baseUrl),
        ),
      };
    },

    async get(actor: Actor, id: string, baseUrl: string, withMembers = true): Promise<Resource> {
      requireAction(actor, 'scim:groups:read');
      return present(db, actor.tenantId, await load(db, actor.tenantId, id), baseUrl, withMembers);
    },

    async create(actor: Actor, body: unknown, baseUrl: string): Promise<Resource> {
      requireAction(actor, 'scim:groups:write');
      const resource = normalizeResource(body, [groupSchema]);
      const ids = memberIds(resource.members, MAX_MEMBERS_PER_REQUEST);
      return transact(async (trx) => {
        const displayName = await checkName(trx, actor.tenantId, resource.displayName, undefined);
        const id = newUuid();
        const now = nowIso();
        await trx
          .insertInto('groups')
          .values({
            tenant_id: actor.tenantId,
            id,
            display_name: displayName,
            display_name_lc: displayName.toLowerCase(),
            external_id: typeof resource.externalId === 'string' ? resource.externalId : null,
            description: null,
            source: 'scim',
            version: 1,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await applyMemberChange(trx, dialect, actor.tenantId, id, { kind: 'add', ids }, now);
        await recordEvents(trx, actor.tenantId, [
          {
            type: 'group.created',
            subjectType: 'group',
            subjectId: id,
            payload: { id, displayName, members: ids.length },
          },
        ]);
        await recordAudit(trx, actor, {
          action: 'scim.group.created',
          targetType: 'group',
          targetId: id,
          details: { displayName, members: ids.length },
        });
        return present(trx, actor.tenantId, await load(trx, actor.tenantId, id), baseUrl);
      });
    },

    async replace(
      actor: Actor,
      id: string,
      body: unknown,
      ifMatch: string | undefined,
      baseUrl: string,
    ): Promise<Resource> {
      requireAction(actor, 'scim:groups:write');
      const resource = normalizeResource(body, [groupSchema]);
      const ids = memberIds(resource.members, MAX_MEMBERS_PER_REQUEST);
      return transact(async (trx) => {
        const row = await load(trx, actor.tenantId, id);
        checkIfMatch(ifMatch, row.version);
        const displayName = await checkName(trx, actor.tenantId, resource.displayName, id);
        const now = nowIso();
        await applyMemberChange(trx, dialect, actor.tenantId, id, { kind: 'replace', ids }, now);
        if (displayName !== row.display_name)
          await groupsRepo.touchMembersWhere(trx, actor.tenantId, id, undefined, now);
        await bump(
          trx,
          actor.tenantId,
          row,
          {
            display_name: displayName,
            external_id: typeof resource.externalId === 'string' ? resource.externalId : null,
          },
          now,
        );
        await recordEvents(trx, actor.tenantId, [
          { type: 'group.updated', subjectType: 'group', subjectId: id, payload: { id, displayName } },
        ]);
        await recordAudit(trx, actor, {
          action: 'scim.group.replaced',
          targetType: 'group',
          targetId: id,
          details: { displayName, members: ids.length },
        });
        return present(trx, actor.tenantId, await load(trx, actor.tenantId, id), baseUrl);
      });
    },

    /** PATCH: member operations run as SQL set operations, the rest through the PATCH engine. */
    async patch(
      actor: Actor,
      id: string,
      body: unknown,
      ifMatch: string | undefined,
      baseUrl: string,
      withResource: boolean,
    ) {
      requireAction(actor, 'scim:groups:write');
      const ops = readPatchOperations(body);
      const { memberChanges, others } = splitMemberOps(ops);
      return transact(async (trx) => {
        const row = await load(trx, actor.tenantId, id);
        checkIfMatch(ifMatch, row.version);
        if (ops.length === 0) return withResource ? present(trx, actor.tenantId, row, baseUrl) : undefined;
        const now = nowIso();
        let changed = 0;
        for (const change of memberChanges)
          changed += await applyMemberChange(trx, dialect, actor.tenantId, id, change, now);
        const current: Resource = {
          displayName: row.display_name,
          ...(row.external_id ? { externalId: row.external_id } : {}),
        };
        const patched =
          others.length > 0
            ? normalizeResource(applyPatch(current, others, [groupSchema], id), [groupSchema])
            : current;
        const displayName =
          patched.displayName !== row.display_name
            ? await checkName(trx, actor.tenantId, patched.displayName, id)
            : row.display_name;
        if (displayName !== row.display_name)
          await groupsRepo.touchMembersWhere(trx, actor.tenantId, id, undefined, now);
        const externalId = typeof patched.externalId === 'string' ? patched.externalId : null;
        // Adding present members, removing absent ones, setting the same name: nothing changed,
        // the version stays.
        if (changed === 0 && displayName === row.display_name && externalId === row.external_id)
          return withResource ? present(trx, actor.tenantId, row, baseUrl) : undefined;
        await bump(trx, actor.tenantId, row, { display_name: displayName, external_id: externalId }, now);
        await recordEvents(trx, actor.tenantId, [
          {
            type: 'group.updated',
            subjectType: 'group',
            subjectId: id,
            payload: { id, displayName, membersChanged: changed },
          },
        ]);
        await recordAudit(trx, actor, {
          action: 'scim.group.patched',
          targetType: 'group',
          targetId: id,
          details: { operations: ops.length, membersChanged: changed },
        });
        return withResource
          ? present(trx, actor.tenantId, await load(trx, actor.tenantId, id), baseUrl)
          : undefined;
      });
    },

    async remove(actor: Actor, id: string, ifMatch: string | undefined): Promise<void> {
      requireAction(actor, 'scim:groups:write');
      await transact(async (trx) => {
        const row = await load(trx, actor.tenantId, id);
        checkIfMatch(ifMatch, row.version);
        await groupsRepo.touchMembersWhere(trx, actor.tenantId, id, undefined, nowIso());
        await trx
          .deleteFrom('group_members')
          .where('tenant_id', '=', actor.tenantId)
          .where('group_id', '=', id)
          .execute();
        await trx
          .deleteFrom('iam_role_assignments')
          .where('tenant_id', '=', actor.tenantId)
          .where('principal_type', '=', 'group')
          .where('principal_id', '=', id)
          .execute();
        await trx.deleteFrom('groups').where('tenant_id', '=', actor.tenantId).where('id', '=', id).execute();
        await recordEvents(trx, actor.tenantId, [
          {
            type: 'group.deleted',
            subjectType: 'group',
            subjectId: id,
            payload: { id, displayName: row.display_name },
          },
        ]);
        await recordAudit(trx, actor, {
          action: 'scim.group.deleted',
          targetType: 'group',
          targetId: id,
          details: { displayName: row.display_name },
        });
      });
    },
  };
}

export type ScimGroupsService = ReturnType<typeof createScimGroupsService>;
