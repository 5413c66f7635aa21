import type { GroupRow, MemberRow } from './groups.repo.js';
import type { Resource } from './normalize.js';
import { CORE_GROUP } from './schemas.js';
import { scimError } from './scim-error.js';

/** The SCIM representation of a group (RFC 7643 §4.2). `members` undefined: not loaded (excluded). */
export function groupToScim(row: GroupRow, members: MemberRow[] | undefined, baseUrl: string): Resource {
  const out: Resource = { schemas: [CORE_GROUP], id: row.id };
  if (row.external_id) out.externalId = row.external_id;
  out.displayName = row.display_name;
  if (members) {
    out.members = members.map((m) => ({
      value: m.person_id,
      $ref: `${baseUrl}/Users/${m.person_id}`,
      ...(m.display ? { display: m.display } : {}),
      type: 'User',
    }));
  }
  out.meta = {
    resourceType: 'Group',
    created: row.created_at,
    lastModified: row.updated_at,
    location: `${baseUrl}/Groups/${row.id}`,
    version: `W/"${row.version}"`,
  };
  return out;
}

/** Member ids of a canonical `members` value, de-duplicated; at most `max`. */
export function memberIds(value: unknown, max: number): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw scimError('invalidValue', 'members: expected an array of {value}');
  if (value.length > max)
    throw scimError('invalidValue', `members: at most ${max} members per request, got ${value.length}`);
  const ids = new Set<string>();
  value.forEach((m, i) => {
    const id = typeof m === 'object' && m !== null ? (m as Record<string, unknown>).value : undefined;
    if (typeof id !== 'string' || id.trim() === '')
      throw scimError('invalidValue', `members[${i}].value: required, a user id`);
    ids.add(id.trim());
  });
  return [...ids];
}
