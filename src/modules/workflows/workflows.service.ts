import { encryptSecret } from '../../platform/crypto/crypto.js';
import type { Db } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { AppError, badRequest, type FieldProblem, notFound } from '../../platform/errors/app-error.js';
import { parseHttpUrl, type Resolver, UnsafeUrlError, vetUrl } from '../../platform/http/safe-fetch.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction, systemActor } from '../auth/actor.js';
import type { ScimGroupsService } from '../scim/groups.service.js';
import type { ScimUsersService } from '../scim/users.service.js';
import { generateWebhookSecret } from '../webhooks/signing.js';
import {
  actionTypes,
  type Workflow,
  type WorkflowAction,
  type WorkflowInput,
  workflowTriggers,
} from './workflows.types.js';

const MAX_ACTIONS = 20;
const MAX_NAME = 200;
const MAX_CONDITION = 2000;
const MAX_URL = 2048;

export interface WorkflowsServiceDeps {
  db: Db;
  encryptionKey: Buffer;
  allowPrivateUrls: boolean;
  scimUsers: ScimUsersService;
  scimGroups: ScimGroupsService;
  resolver?: Resolver;
}

type Row = {
  id: string;
  name: string;
  description: string | null;
  trigger: string;
  condition: string | null;
  actions: unknown;
  enabled: number;
  created_at: string;
  updated_at: string;
};

export function presentWorkflow(r: Row): Workflow {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    trigger: r.trigger,
    condition: r.condition,
    actions: parseJson<WorkflowAction[]>(r.actions, []),
    enabled: r.enabled === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : undefined);

/**
 * Workflows: when an event about a person happens (a new hire provisioned, someone deactivated),
 * run ordered actions for that person — add to or remove from groups, call an outside system.
 * Definitions are checked whole before anything is stored; every change is audited.
 */
export function createWorkflowsService(deps: WorkflowsServiceDeps) {
  const { db } = deps;

  /** Every problem of a definition at once, each naming its field (`actions[1].groupId`). */
  async function check(
    input: WorkflowInput,
    tenantId: string,
    partial: boolean,
  ): Promise<Partial<Omit<Workflow, 'id' | 'createdAt' | 'updatedAt'>>> {
    const problems: FieldProblem[] = [];
    const out: Partial<Omit<Workflow, 'id' | 'createdAt' | 'updatedAt'>> = {};
    const system = systemActor(tenantId, 'workflow check');
    if (!partial || input.name !== undefined) {
      const name = str(input.name);
      if (!name || name.length > MAX_NAME)
        problems.push({ field: 'name', problem: `required, 1 to ${MAX_NAME} characters` });
      else out.name = name;
    }
    if (input.description !== undefined) {
      if (input.description !== null && typeof input.description !== 'string')
        problems.push({ field: 'description', problem: 'must be a string or null' });
      else out.description = str(input.description) || null;
    }
    if (!partial || input.trigger !== undefined) {
      const trigger = str(input.trigger);
      if (!trigger || !(workflowTriggers as readonly string[]).includes(trigger))
        problems.push({ field: 'trigger', problem: `must be one of ${workflowTriggers.join(', ')}` });
      else out.trigger = trigger;
    }
    if (input.condition !== undefined) {
      const condition = input.condition === null ? null : str(input.condition);
      if (condition === undefined || (condition !== null && condition.length > MAX_CONDITION))
        problems.push({
          field: 'condition',
          problem: `must be a SCIM filter of at most ${MAX_CONDITION} characters, or null`,
        });
      else if (condition) {
        // Compiled against the directory now, so a bad attribute is a 400 here, not a failed run later.
        try {
          await deps.scimUsers.list(system, { filter: condition, count: 0 }, '');
          out.condition = condition;
        } catch (error) {
          problems.push({
            field: 'condition',
            problem: error instanceof Error ? error.message : 'invalid filter',
          });
        }
      } else out.condition = null;
    }
    if (!partial || input.actions !== undefined) {
      const actions = Array.isArray(input.actions) ? input.actions : undefined;
      if (!actions || actions.length === 0 || actions.length > MAX_ACTIONS)
        problems.push({ field: 'actions', problem: `must list 1 to ${MAX_ACTIONS} actions` });
      else out.actions = await checkActions(actions, system, problems);
    }
    if (input.enabled !== undefined) {
      if (typeof input.enabled !== 'boolean')
        problems.push({ field: 'enabled', problem: 'must be a boolean' });
      else out.enabled = input.enabled;
    }
    if (problems.length > 0) throw badRequest(problems);
    return out;
  }

  async function checkActions(raw: unknown[], system: Actor, problems: FieldProblem[]) {
    const actions: WorkflowAction[] = [];
    for (const [i, a] of raw.entries()) {
      const action = typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : {};
      const type = str(action.type);
      if (type === 'add_to_group' || type === 'remove_from_group') {
        const groupId = str(action.groupId);
        if (!groupId) {
          problems.push({ field: `actions[${i}].groupId`, problem: 'required' });
          continue;
        }
        if (!(type === 'remove_from_group' && groupId === '*')) {
          const found = await deps.scimGroups.get(system, groupId, '', false).catch(() => undefined);
          if (!found) {
            problems.push({ field: `actions[${i}].groupId`, problem: `no group '${groupId}'` });
            continue;
          }
        }
        actions.push({ type, groupId });
      } else if (type === 'http_request') {
        const url = await checkUrl(str(action.url) ?? '', `actions[${i}].url`, problems);
        if (url) actions.push({ type, url });
      } else {
        problems.push({ field: `actions[${i}].type`, problem: `must be one of ${actionTypes.join(', ')}` });
      }
    }
    return actions;
  }

  async function checkUrl(url: string, field: string, problems: FieldProblem[]): Promise<string | undefined> {
    if (!url || url.length > MAX_URL) {
      problems.push({ field, problem: `required, an http(s) URL of at most ${MAX_URL} characters` });
      return undefined;
    }
    try {
      if (deps.allowPrivateUrls) return parseHttpUrl(url).toString();
      return (await vetUrl(url, deps.resolver ? { resolver: deps.resolver } : {})).url.toString();
    } catch (error) {
      problems.push({
        field,
        problem: error instanceof UnsafeUrlError ? error.message : 'is not a valid URL',
      });
      return undefined;
    }
  }

  async function load(tenantId: string, id: string): Promise<Workflow> {
    const row = await db
      .selectFrom('workflows')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Workflow', id);
    return presentWorkflow(row);
  }

  const nameTaken = (name: string) =>
    new AppError('conflict', `name: a workflow named '${name}' already exists`, { field: 'name' });

  return {
    async list(actor: Actor): Promise<Workflow[]> {
      requireAction(actor, 'workflows:read');
      const rows = await db
        .selectFrom('workflows')
        .selectAll()
        .where('tenant_id', '=', actor.tenantId)
        .orderBy('name_lc')
        .execute();
      return rows.map(presentWorkflow);
    },

    async get(actor: Actor, id: string): Promise<Workflow> {
      requireAction(actor, 'workflows:read');
      return load(actor.tenantId, id);
    },

    /** Creates a workflow; the secret that signs its HTTP requests is returned this once. */
    async create(actor: Actor, input: WorkflowInput): Promise<{ workflow: Workflow; secret: string }> {
      requireAction(actor, 'workflows:write');
      const w = await check(input, actor.tenantId, false);
      const name = w.name ?? '';
      const id = newId('wfl');
      const secret = generateWebhookSecret();
      const now = nowIso();
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('workflows')
            .values({
              tenant_id: actor.tenantId,
              id,
              name,
              name_lc: name.toLowerCase(),
              description: w.description ?? null,
              trigger: w.trigger ?? '',
              condition: w.condition ?? null,
              actions: toJson(w.actions ?? []),
              secret: encryptSecret(deps.encryptionKey, secret),
              enabled: w.enabled === false ? 0 : 1,
              created_by: actor.id,
              created_at: now,
              updated_at: now,
            })
            .execute();
          await recordAudit(trx, actor, {
            action: 'workflow.created',
            targetType: 'workflow',
            targetId: id,
            details: { name, trigger: w.trigger, actions: (w.actions ?? []).map((a) => a.type) },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken(name);
        throw error;
      }
      return { workflow: await load(actor.tenantId, id), secret };
    },

    /** Changes the fields given (enable/disable, rename, new actions, …); the rest stay. */
    async update(actor: Actor, id: string, input: WorkflowInput): Promise<Workflow> {
      requireAction(actor, 'workflows:write');
      const current = await load(actor.tenantId, id);
      const w = await check(input, actor.tenantId, true);
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .updateTable('workflows')
            .set({
              ...(w.name !== undefined ? { name: w.name, name_lc: w.name.toLowerCase() } : {}),
              ...(w.description !== undefined ? { description: w.description } : {}),
              ...(w.trigger !== undefined ? { trigger: w.trigger } : {}),
              ...(w.condition !== undefined ? { condition: w.condition } : {}),
              ...(w.actions !== undefined ? { actions: toJson(w.actions) } : {}),
              ...(w.enabled !== undefined ? { enabled: w.enabled ? 1 : 0 } : {}),
              updated_at: nowIso(),
            })
            .where('tenant_id', '=', actor.tenantId)
            .where('id', '=', id)
            .execute();
          await recordAudit(trx, actor, {
            action: 'workflow.updated',
            targetType: 'workflow',
            targetId: id,
            details: { name: current.name, changed: Object.keys(w) },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken(w.name ?? current.name);
        throw error;
      }
      return load(actor.tenantId, id);
    },

    /** Deletes a workflow; its past executions stay listed, runs not started yet are skipped. */
    async remove(actor: Actor, id: string): Promise<void> {
      requireAction(actor, 'workflows:write');
      const current = await load(actor.tenantId, id);
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('workflows')
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'workflow.deleted',
          targetType: 'workflow',
          targetId: id,
          details: { name: current.name },
        });
      });
    },
  };
}

export type WorkflowsService = ReturnType<typeof createWorkflowsService>;
