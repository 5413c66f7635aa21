import { type SqlBool, sql } from 'kysely';
import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newUuid } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { recordEvents } from '../events/events.service.js';
import type { AttributeMap } from './filter/attributes.js';
import { compileFilter } from './filter/compile-sql.js';
import { parsePatchPath } from './filter/parse.js';
import { groupAttributeMap, groupSortColumns, memberDisplay } from './filter-maps.js';
import { groupToScim, memberIds } from './groups.mapper.js';
import { type GroupRow, groupsRepo } from './groups.repo.js';
import { compileList, type ListRequest } from './list-params.js';
import { normalizeResource, type Resource } from './normalize.js';
import { applyPatch, type PatchOperation, readPatchOperations } from './patch.js';
import { CORE_GROUP, groupSchema } from './schemas.js';
import { scimError } from './scim-error.js';
import { uniqueTransaction } from './unique.js';
import type { ListResult } from './users.service.js';
import { checkIfMatch } from './versioning.js';

/** Largest member list one request may carry. */
export const MAX_MEMBERS_PER_REQUEST = 10_000;

/** A member row as value filters see it: `members[value eq "…"]` compiles against `group_members m`. */
const memberMap: AttributeMap = {
  core: CORE_GROUP,
  schemas: {
    [CORE_GROUP]: {
      value: { kind: 'scalar', type: 'string', caseExact: true, column: sql.ref('m.person_id') },
      display: memberDisplay,
      type: { kind: 'scalar', type: 'string', caseExact: false, column: sql`'User'` },
    },
  },
};

type MemberChange =
  | { kind: 'add' | 'remove' | 'replace'; ids: string[] }
  | { kind: 'removeWhere'; filter: string | undefined };

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

  /**
   * Applies a member change as set operations, bumping the version of each person whose membership
   * it changes (their `groups` is part of their representation). Returns how many rows changed.
   */
  async function applyMembers(
    trx: Executor,
    tenantId: string,
    groupId: string,
    change: MemberChange,
    now: string,
  ) {
    if (change.kind === 'removeWhere') {
      const where = change.filter
        ? compileFilter(parsePatchPath(`members[${change.filter}]`).filter ?? never(), memberMap, dialect)
        : undefined;
      await groupsRepo.touchMembersWhere(trx, tenantId, groupId, where, now);
      return groupsRepo.removeMembersWhere(trx, tenantId, groupId, where);
    }
    if (change.kind !== 'remove') {
      const unknown = await groupsRepo.unknownPeople(trx, dialect, tenantId, change.ids);
      if (unknown.length > 0)
        throw scimError('invalidValue', `members: no user ${unknown.slice(0, 5).join(', ')}`);
    }
    if (change.kind === 'replace') {
      const leaving =
        change.ids.length > 0 ? sql<SqlBool>`not (${groupsRepo.memberIn(dialect, change.ids)})` : undefined;
      await groupsRepo.touchMembersWhere(trx, tenantId, groupId, leaving, now);
      await groupsRepo.touchJoining(trx, dialect, tenantId, groupId, change.ids, now);
      const removed = await groupsRepo.removeMembersWhere(trx, tenantId, groupId, undefined);
      return removed + (await groupsRepo.addMembers(trx, dialect, tenantId, groupId, change.ids, now));
    }
    if (change.kind === 'add') {
      await groupsRepo.touchJoining(trx, dialect, tenantId, groupId, change.ids, now);
      return groupsRepo.addMembers(trx, dialect, tenantId, groupId, change.ids, now);
    }
    if (change.ids.length === 0) return 0;
    await groupsRepo.touchMembersWhere(trx, tenantId, groupId, groupsRepo.memberIn(dialect, change.ids), now);
    return groupsRepo.removeMembers(trx, dialect, tenantId, groupId, change.ids);
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
        await applyMembers(trx, actor.tenantId, id, { kind: 'add', ids }, now);
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
        await applyMembers(trx, actor.tenantId, id, { kind: 'replace', ids }, now);
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
          changed += await applyMembers(trx, actor.tenantId, id, change, now);
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

function never(): never {
  throw scimError('invalidPath', 'members: a value filter is required');
}

/**
 * Separates member operations (`add members`, `remove members[value eq "…"]`, pathless values with
 * a `members` key) from the rest, keeping their order.
 */
function splitMemberOps(ops: PatchOperation[]): { memberChanges: MemberChange[]; others: PatchOperation[] } {
  const memberChanges: MemberChange[] = [];
  const others: PatchOperation[] = [];
  for (const op of ops) {
    const path = op.path;
    if (path === undefined) {
      const value = op.value as Record<string, unknown>;
      const key =
        typeof value === 'object' && value !== null
          ? Object.keys(value).find((k) => k.toLowerCase() === 'members')
          : undefined;
      if (key) {
        memberChanges.push({
          kind: op.op === 'replace' ? 'replace' : 'add',
          ids: memberIds(value[key], MAX_MEMBERS_PER_REQUEST),
        });
        const rest = { ...value };
        delete rest[key];
        if (Object.keys(rest).length > 0) others.push({ ...op, value: rest });
      } else {
        others.push(op);
      }
      continue;
    }
    const match = /^(?:urn:ietf:params:scim:schemas:core:2\.0:group:)?members(?:\[(.*)\])?(\.value)?$/is.exec(
      path,
    );
    if (!match) {
      if (/^(?:urn:ietf:params:scim:schemas:core:2\.0:group:)?members\b/i.test(path))
        throw scimError('invalidPath', `${path}: members can be changed as a whole or by a value filter`);
      others.push(op);
      continue;
    }
    const filter = match[1];
    if (op.op === 'remove') {
      if (filter !== undefined) memberChanges.push({ kind: 'removeWhere', filter });
      else if (op.value !== undefined)
        memberChanges.push({
          kind: 'remove',
          ids: memberIds(Array.isArray(op.value) ? op.value : [op.value], MAX_MEMBERS_PER_REQUEST),
        });
      else memberChanges.push({ kind: 'removeWhere', filter: undefined });
      continue;
    }
    if (filter !== undefined)
      throw scimError('invalidPath', `${path}: add or replace members without a value filter`);
    const values = Array.isArray(op.value) ? op.value : [op.value];
    memberChanges.push({
      kind: op.op === 'replace' ? 'replace' : 'add',
      ids: memberIds(values, MAX_MEMBERS_PER_REQUEST),
    });
  }
  return { memberChanges, others };
}

export type ScimGroupsService = ReturnType<typeof createScimGroupsService>;
