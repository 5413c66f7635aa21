import { sql } from 'kysely';
import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError, badRequest, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { refreshAppFigures } from '../apps/app-figures.js';
import { resolvePerson } from '../apps/apps.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { recordEvents } from '../events/events.service.js';
import { applyCustomValues } from '../fields/custom-values.js';
import { loadCustomFields } from '../fields/fields.service.js';
import type { ListPage } from '../listing/list.types.js';
import { parseListRequest } from '../listing/list-params.js';
import { listPage } from '../listing/list-query.js';
import { contractProblems } from './contract-rules.js';
import { contractsList } from './contracts-list.js';
import { toMinorUnits } from './currencies.js';

/** The contract's ContractUpdate (every field optional), plus Sightline's custom field values. */
export interface ContractUpdate {
  name?: string;
  status?: string;
  startDate?: string | null;
  endDate?: string | null;
  renewalDate?: string | null;
  /** Annual cost in major units of the currency; stored as minor units, billed annually. */
  annualCost?: number | null;
  currency?: string | null;
  /** The owner's email or person id; null clears it. */
  owner?: string | null;
  customFields?: Record<string, unknown>;
}

export interface ContractInput extends ContractUpdate {
  appId: string;
  name: string;
}

export type ContractItem = Record<string, unknown>;

const DEFAULT_CURRENCY = 'USD';

/** Contracts: the contract's GET/PUT, plus native list, create and delete. */
export function createContractsService({ db, dialect }: { db: Db; dialect: Dialect }) {
  async function getItem(tenantId: string, id: string): Promise<ContractItem> {
    const custom = await loadCustomFields(db, tenantId, 'contracts');
    const request = parseListRequest({ sort: 'id', size: '1' }, contractsList, custom);
    const page = await listPage(
      db,
      dialect,
      { ...contractsList, where: [sql`c.id = ${id}`] },
      request,
      tenantId,
      custom,
    );
    const item = page.data[0];
    if (!item) throw notFound('Contract', id);
    return item;
  }

  async function requireApp(trx: Executor, tenantId: string, appId: string): Promise<void> {
    const app = await trx
      .selectFrom('apps')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', appId)
      .executeTakeFirst();
    if (!app) throw new AppError('bad_request', `appId: no app '${appId}' in this organization`);
  }

  async function write(actor: Actor, id: string | undefined, input: ContractUpdate & { appId?: string }) {
    const fields = await loadCustomFields(db, actor.tenantId, 'contracts');
    return db.transaction().execute(async (trx) => {
      const current = id
        ? await trx
            .selectFrom('contracts')
            .selectAll()
            .where('tenant_id', '=', actor.tenantId)
            .where('id', '=', id)
            .executeTakeFirst()
        : undefined;
      if (id && !current) throw notFound('Contract', id);
      const currency =
        input.currency !== undefined
          ? input.currency?.trim() || null
          : (current?.currency ?? (input.annualCost != null ? DEFAULT_CURRENCY : null));
      const terms = {
        status: input.status ?? current?.status ?? 'active',
        startDate: input.startDate !== undefined ? input.startDate : (current?.start_date ?? null),
        endDate: input.endDate !== undefined ? input.endDate : (current?.end_date ?? null),
        renewalDate: input.renewalDate !== undefined ? input.renewalDate : (current?.renewal_date ?? null),
        currency,
        annualCost: input.annualCost ?? null,
      };
      const problems = contractProblems(terms);
      // The cost is kept in minor units of its currency: another currency without the amount in it
      // would silently make 10.00 USD into 1000 JPY.
      if (
        current?.cost_minor != null &&
        input.annualCost === undefined &&
        currency !== null &&
        currency !== current.currency
      ) {
        problems.push({
          field: 'annualCost',
          problem: `is required when the currency changes (${current.currency ?? 'none'} → ${currency}): give the cost in ${currency}`,
        });
      }
      if (problems.length > 0) throw badRequest(problems);
      const name = input.name !== undefined ? input.name.trim() : current?.name;
      if (!name) throw new AppError('bad_request', 'name: must not be empty');
      if (input.appId !== undefined) await requireApp(trx, actor.tenantId, input.appId);
      const custom = applyCustomValues(fields, input.customFields, {
        current: parseJson<Record<string, unknown>>(current?.custom, {}),
        isCreate: !current,
      });
      const ownerId =
        input.owner === undefined
          ? (current?.owner_id ?? null)
          : input.owner === null
            ? null
            : await resolvePerson(trx, actor.tenantId, input.owner, 'owner');
      const cost =
        input.annualCost === undefined
          ? { cost_minor: current?.cost_minor ?? null, billing_period: current?.billing_period ?? null }
          : input.annualCost === null
            ? { cost_minor: null, billing_period: null }
            : {
                // Exact: contractProblems refused amounts finer than the currency's minor unit.
                cost_minor: toMinorUnits(input.annualCost, currency),
                billing_period: 'annual',
              };
      const now = nowIso();
      const values = {
        app_id: input.appId ?? current?.app_id ?? null,
        name,
        status: terms.status,
        start_date: terms.startDate,
        end_date: terms.endDate,
        renewal_date: terms.renewalDate,
        currency,
        ...cost,
        owner_id: ownerId,
        custom: toJson(custom),
        updated_at: now,
      };
      const contractId = id ?? newId('ctr');
      if (!current) {
        await trx
          .insertInto('contracts')
          .values({
            tenant_id: actor.tenantId,
            id: contractId,
            external_id: null,
            auto_renew: 0,
            notes: null,
            created_at: now,
            ...values,
          })
          .execute();
      } else {
        await trx
          .updateTable('contracts')
          .set(values)
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', contractId)
          .execute();
      }
      const action = current ? 'contract.updated' : 'contract.created';
      const details = { ...input, appId: values.app_id, name };
      await recordAudit(trx, actor, { action, targetType: 'contract', targetId: contractId, details });
      await recordEvents(trx, actor.tenantId, [
        { type: action, subjectType: 'contract', subjectId: contractId, payload: { contractId, ...details } },
      ]);
      await refreshAppFigures(
        trx,
        actor.tenantId,
        [values.app_id, current?.app_id].filter((a): a is string => !!a),
      );
      return contractId;
    });
  }

  return {
    async list(actor: Actor, query: Record<string, unknown>): Promise<ListPage> {
      requireAction(actor, 'contracts:read');
      const custom = await loadCustomFields(db, actor.tenantId, 'contracts');
      const request = parseListRequest(query, contractsList, custom);
      return listPage(db, dialect, contractsList, request, actor.tenantId, custom);
    },

    async get(actor: Actor, id: string): Promise<ContractItem> {
      requireAction(actor, 'contracts:read');
      return getItem(actor.tenantId, id);
    },

    /** Creates a contract of an app of the tenant; terms are checked as a whole (contractProblems). */
    async create(actor: Actor, input: ContractInput): Promise<ContractItem> {
      requireAction(actor, 'contracts:write');
      return getItem(actor.tenantId, await write(actor, undefined, input));
    },

    /** Applies the given fields, then checks the resulting terms as a whole. */
    async update(actor: Actor, id: string, input: ContractUpdate): Promise<ContractItem> {
      requireAction(actor, 'contracts:write');
      return getItem(actor.tenantId, await write(actor, id, input));
    },

    async delete(actor: Actor, id: string): Promise<void> {
      requireAction(actor, 'contracts:write');
      await db.transaction().execute(async (trx) => {
        const current = await trx
          .selectFrom('contracts')
          .select(['id', 'app_id', 'name'])
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .executeTakeFirst();
        if (!current) throw notFound('Contract', id);
        await trx
          .deleteFrom('contracts')
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        const details = { name: current.name, appId: current.app_id };
        await recordAudit(trx, actor, {
          action: 'contract.deleted',
          targetType: 'contract',
          targetId: id,
          details,
        });
        await recordEvents(trx, actor.tenantId, [
          {
            type: 'contract.deleted',
            subjectType: 'contract',
            subjectId: id,
            payload: { contractId: id, ...details },
          },
        ]);
        if (current.app_id) await refreshAppFigures(trx, actor.tenantId, [current.app_id]);
      });
    },
  };
}

export type ContractsService = ReturnType<typeof createContractsService>;
