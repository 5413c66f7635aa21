import { type Expression, type SqlBool, sql } from 'kysely';
import type { Dialect, Executor } from '../../platform/db/db.js';
import type { AttributeMap } from './filter/attributes.js';
import { compileFilter } from './filter/compile-sql.js';
import { parsePatchPath } from './filter/parse.js';
import { memberDisplay } from './filter-maps.js';
import { memberIds } from './groups.mapper.js';
import { groupsRepo } from './groups.repo.js';
import type { PatchOperation } from './patch.js';
import { CORE_GROUP } from './schemas.js';
import { scimError } from './scim-error.js';

/*
 * Group membership changes: which operations of a PATCH change members, and how each change runs
 * as set operations in SQL (never a load-modify-save of the whole group).
 */

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

export type MemberChange =
  | { kind: 'add' | 'remove' | 'replace'; ids: string[] }
  | { kind: 'removeWhere'; filter: string | undefined };

/**
 * Applies a member change as set operations, bumping the version of each person whose membership
 * it changes (their `groups` is part of their representation). Returns how many rows changed.
 */
export async function applyMemberChange(
  trx: Executor,
  dialect: Dialect,
  tenantId: string,
  groupId: string,
  change: MemberChange,
  now: string,
): Promise<number> {
  const removeWhere = async (where: Expression<SqlBool> | undefined) => {
    await groupsRepo.touchMembersWhere(trx, tenantId, groupId, where, now);
    return groupsRepo.removeMembersWhere(trx, tenantId, groupId, where);
  };
  if (change.kind === 'removeWhere')
    return removeWhere(
      change.filter
        ? compileFilter(parsePatchPath(`members[${change.filter}]`).filter ?? never(), memberMap, dialect)
        : undefined,
    );
  if (change.kind === 'remove')
    return change.ids.length === 0 ? 0 : removeWhere(groupsRepo.memberIn(dialect, change.ids));
  const unknown = await groupsRepo.unknownPeople(trx, dialect, tenantId, change.ids);
  if (unknown.length > 0)
    throw scimError('invalidValue', `members: no user ${unknown.slice(0, 5).join(', ')}`);
  if (change.kind === 'replace') {
    const leaving =
      change.ids.length > 0 ? sql<SqlBool>`not (${groupsRepo.memberIn(dialect, change.ids)})` : undefined;
    await groupsRepo.touchMembersWhere(trx, tenantId, groupId, leaving, now);
    await groupsRepo.touchJoining(trx, dialect, tenantId, groupId, change.ids, now);
    const removed = await groupsRepo.removeMembersWhere(trx, tenantId, groupId, undefined);
    return removed + (await groupsRepo.addMembers(trx, dialect, tenantId, groupId, change.ids, now));
  }
  await groupsRepo.touchJoining(trx, dialect, tenantId, groupId, change.ids, now);
  return groupsRepo.addMembers(trx, dialect, tenantId, groupId, change.ids, now);
}

function never(): never {
  throw scimError('invalidPath', 'members: a value filter is required');
}

/**
 * Separates member operations (`add members`, `remove members[value eq "…"]`, pathless values with
 * a `members` key) from the rest, keeping their order.
 */
export function splitMemberOps(ops: PatchOperation[]): {
  memberChanges: MemberChange[];
  others: PatchOperation[];
} {
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
