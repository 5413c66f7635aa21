import type { Db } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction, systemActor } from '../auth/actor.js';
import { generateToken, insertToken } from '../auth/tokens.service.js';
import { seedBuiltinIam } from '../iam/iam.service.js';

export interface Tenant {
  id: string;
  name: string;
  slug: string;
  domains: string[];
  isSystem: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface TenantInput {
  name: string;
  slug?: string;
  /** Email domains of the organization; people outside them are external. */
  domains?: string[];
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function toTenant(r: {
  id: string;
  name: string;
  slug: string;
  domains: unknown;
  is_system: number;
  created_at: string;
  updated_at: string;
}): Tenant {
  return {
    id: r.id,
    name: r.name,
    slug: r.slug,
    domains: parseJson(r.domains, []),
    isSystem: r.is_system === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'tenant'
  );
}

function validateDomains(domains: string[]): string[] {
  const normalized = domains.map((d) => d.trim().toLowerCase());
  const bad = normalized.findIndex((d) => !DOMAIN.test(d));
  if (bad >= 0) throw new AppError('bad_request', `domains/${bad}: '${domains[bad]}' is not a domain name`);
  return [...new Set(normalized)];
}

/** Tenants: the organizations this server holds, each fully isolated from the others. */
export function createTenantsService({ db }: { db: Db }) {
  /**
   * Inserts a tenant with its owner token (`ownerSecret`, else a new one); `creator`, when given, is
   * audited in its own tenant in the same transaction.
   */
  async function insertTenant(
    input: TenantInput,
    {
      isSystem,
      ownerSecret,
      creator,
    }: { isSystem: boolean; ownerSecret?: string | undefined; creator?: Actor },
  ) {
    const slug = input.slug ?? slugify(input.name);
    if (!SLUG.test(slug))
      throw new AppError('bad_request', `slug: '${slug}' must be lower-case letters, digits and dashes`);
    const domains = validateDomains(input.domains ?? []);
    return db.transaction().execute(async (trx) => {
      const taken = await trx.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirst();
      if (taken) throw new AppError('conflict', `slug: a tenant '${slug}' already exists`);
      const now = nowIso();
      const id = newId('ten');
      await trx
        .insertInto('tenants')
        .values({
          id,
          name: input.name,
          slug,
          domains: toJson(domains),
          is_system: isSystem ? 1 : 0,
          settings: toJson({}),
          created_at: now,
          updated_at: now,
        })
        .execute();
      const roles = await seedBuiltinIam(trx, id);
      const token = ownerSecret ?? generateToken();
      const ownerRole = roles.owner;
      if (!ownerRole) throw new AppError('internal', 'owner role missing after seeding');
      const tokenId = await insertToken(trx, id, {
        name: 'owner',
        roleId: ownerRole,
        plaintext: token,
        createdBy: null,
      });
      await recordAudit(trx, systemActor(id), {
        action: 'tenant.created',
        targetType: 'tenant',
        targetId: id,
        details: { name: input.name, slug, ownerTokenId: tokenId },
      });
      if (creator)
        await recordAudit(trx, creator, {
          action: 'tenant.created',
          targetType: 'tenant',
          targetId: id,
          details: { name: input.name, slug },
        });
      const row = await trx.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return { tenant: toTenant(row), ownerToken: token };
    });
  }

  return {
    /**
     * On first start, creates the system tenant and its owner token (the given secret, else a new
     * one, returned so the caller can print it once). Every start brings built-in IAM rows current.
     */
    async bootstrap(adminToken?: string): Promise<{ tenant: Tenant; createdToken?: string }> {
      const existing = await db
        .selectFrom('tenants')
        .selectAll()
        .where('is_system', '=', 1)
        .executeTakeFirst();
      if (existing) {
        const tenants = await db.selectFrom('tenants').select('id').execute();
        for (const t of tenants) await db.transaction().execute((trx) => seedBuiltinIam(trx, t.id));
        return { tenant: toTenant(existing) };
      }
      const { tenant, ownerToken } = await insertTenant(
        { name: 'Default', slug: 'default' },
        { isSystem: true, ownerSecret: adminToken },
      );
      return adminToken ? { tenant } : { tenant, createdToken: ownerToken };
    },

    /** Creates a tenant with its built-in roles and an owner token (returned once). System tenant only. */
    async create(actor: Actor, input: TenantInput): Promise<{ tenant: Tenant; ownerToken: string }> {
      requireAction(actor, 'tenants:admin');
      await requireSystemTenant(actor);
      return insertTenant(input, { isSystem: false, creator: actor });
    },

    async list(actor: Actor): Promise<Tenant[]> {
      requireAction(actor, 'tenants:admin');
      await requireSystemTenant(actor);
      return (await db.selectFrom('tenants').selectAll().orderBy('id').execute()).map(toTenant);
    },

    async getCurrent(actor: Actor): Promise<Tenant> {
      requireAction(actor, 'tenants:read');
      const row = await db
        .selectFrom('tenants')
        .selectAll()
        .where('id', '=', actor.tenantId)
        .executeTakeFirst();
      if (!row) throw notFound('Tenant', actor.tenantId);
      return toTenant(row);
    },

    async updateCurrent(actor: Actor, input: Partial<TenantInput>): Promise<Tenant> {
      requireAction(actor, 'tenants:write');
      const changes: { name?: string; domains?: string } = {};
      if (input.name !== undefined) changes.name = input.name;
      if (input.domains !== undefined) changes.domains = toJson(validateDomains(input.domains));
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('tenants')
          .set({ ...changes, updated_at: nowIso() })
          .where('id', '=', actor.tenantId)
          .execute();
        await recordAudit(trx, actor, {
          action: 'tenant.updated',
          targetType: 'tenant',
          targetId: actor.tenantId,
          details: { ...input },
        });
      });
      return this.getCurrent(actor);
    },

    /** Finds a tenant by slug or id (CLI). */
    async find(slugOrId: string): Promise<Tenant | undefined> {
      const row = await db
        .selectFrom('tenants')
        .selectAll()
        .where((eb) => eb.or([eb('slug', '=', slugOrId), eb('id', '=', slugOrId)]))
        .executeTakeFirst();
      return row ? toTenant(row) : undefined;
    },
  };

  async function requireSystemTenant(actor: Actor): Promise<void> {
    const row = await db
      .selectFrom('tenants')
      .select('is_system')
      .where('id', '=', actor.tenantId)
      .executeTakeFirst();
    if (row?.is_system !== 1) {
      throw new AppError('forbidden', "Missing permission for action 'tenants:admin' (system tenant only)", {
        action: 'tenants:admin',
      });
    }
  }
}

export type TenantsService = ReturnType<typeof createTenantsService>;
