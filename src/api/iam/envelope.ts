import type { IamAction, IamResource, IamResourceType } from '../../modules/iam/iam-catalog.service.js';
import type { IamPermission, IamRole } from '../../modules/iam/iam-roles.service.js';

type Obj = Record<string, unknown>;
const SCHEMA = 'urn:ietf:params:scim:schemas:sightline:iam:2.0';

const segments: Record<string, string> = {
  Action: 'actions',
  ResourceType: 'resource-types',
  Resource: 'resources',
  Permission: 'permissions',
  Role: 'roles',
  User: 'users',
  Group: 'groups',
};

/** Drops null/undefined values: the contract types these fields as strings, never null. */
function clean(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

/** The StackSpot item envelope: `{attributes, externalID, id, meta, schemas}`. */
export function toIamResource(
  kind: string,
  id: string,
  attributes: Obj,
  dates: { created: string; lastModified: string },
  options: { externalId?: string | null; version?: string } = {},
): Obj {
  return {
    attributes: clean(attributes),
    externalID: options.externalId ? { value: options.externalId } : {},
    id,
    meta: clean({
      created: dates.created,
      lastModified: dates.lastModified,
      location: `/iam/v1/${segments[kind] ?? kind.toLowerCase()}/${id}`,
      resourceType: kind,
      version: options.version,
    }),
    schemas: [`${SCHEMA}:${kind}`],
  };
}

/** The list envelope: `{resources, totalResults}`. */
export function toIamList(items: Obj[], totalResults = items.length): Obj {
  return { resources: items, totalResults };
}

const dates = (x: { createdAt: string; updatedAt: string }) => ({
  created: x.createdAt,
  lastModified: x.updatedAt,
});

export function actionAttributes(a: IamAction): Obj {
  return clean({ active: true, created_at: a.createdAt, description: a.description, id: a.id, name: a.name });
}

export function actionItem(a: IamAction): Obj {
  return toIamResource('Action', a.id, { ...actionAttributes(a), builtin: a.isBuiltin }, dates(a));
}

function typeAttributes(t: IamResourceType): Obj {
  return {
    actions: t.actions.map(actionAttributes),
    description: t.description,
    name: t.name,
    slug: t.name,
    builtin: t.isBuiltin,
  };
}

export function resourceTypeItem(t: IamResourceType): Obj {
  return toIamResource(
    'ResourceType',
    t.id,
    {
      ...typeAttributes(t),
      resources: t.resources.map((r) =>
        clean({ created_at: r.createdAt, description: r.description, id: r.id, name: r.name, slug: r.slug }),
      ),
    },
    dates(t),
  );
}

export function resourceItem(r: IamResource): Obj {
  return toIamResource(
    'Resource',
    r.id,
    {
      description: r.description,
      name: r.name,
      slug: r.slug,
      type: clean({
        ...typeAttributes(r.type),
        builtin: undefined,
        id: r.type.id,
        created_at: r.type.createdAt,
      }),
    },
    dates(r),
  );
}

/** Statements grouped per resource, as the contract shows them: `{actions: [ActionItem], resource: ResourceItem}`. */
function statements(p: IamPermission): Obj[] {
  const byResource = new Map<
    string,
    { resource: IamPermission['statements'][number]['resource']; actions: Obj[] }
  >();
  for (const s of p.statements) {
    const key = s.resource === '*' ? '*' : s.resource.id;
    const entry = byResource.get(key) ?? { resource: s.resource, actions: [] };
    const id = s.actionId ?? s.action;
    entry.actions.push(
      toIamResource(
        'Action',
        id,
        { id, name: s.action, active: true },
        { created: p.createdAt, lastModified: p.updatedAt },
      ),
    );
    byResource.set(key, entry);
  }
  return [...byResource.values()].map((e) => ({
    actions: e.actions,
    resource:
      e.resource === '*'
        ? toIamResource(
            'Resource',
            '*',
            { name: '*', slug: '*', description: 'Every resource' },
            { created: p.createdAt, lastModified: p.updatedAt },
          )
        : toIamResource(
            'Resource',
            e.resource.id,
            { name: e.resource.name },
            { created: p.createdAt, lastModified: p.updatedAt },
          ),
  }));
}

export function permissionAttributes(p: IamPermission): Obj {
  return clean({
    created_at: p.createdAt,
    description: p.description,
    id: p.id,
    name: p.name,
    statements: statements(p),
    builtin: p.isBuiltin,
  });
}

export function permissionItem(p: IamPermission): Obj {
  return toIamResource('Permission', p.id, permissionAttributes(p), dates(p));
}

export function roleItem(r: IamRole): Obj {
  return toIamResource(
    'Role',
    r.id,
    {
      claim_mapper: r.claimMapper,
      created_at: r.createdAt,
      description: r.description,
      id: r.id,
      member_count: r.memberCount,
      members: r.members,
      name: r.name,
      permissions: r.permissions.map(permissionAttributes),
      builtin: r.isBuiltin,
    },
    dates(r),
  );
}
