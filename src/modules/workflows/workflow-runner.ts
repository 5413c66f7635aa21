import { decryptSecret } from '../../platform/crypto/crypto.js';
import type { Db } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { safeFetch } from '../../platform/http/safe-fetch.js';
import { newId } from '../../platform/ids/ids.js';
import type { JobQueue } from '../../platform/jobs/jobs.js';
import type { Logger } from '../../platform/log/log.js';
import { type Actor, systemActor } from '../auth/actor.js';
import { type DomainEvent, getEvent } from '../events/events.service.js';
import type { EventSubscriber } from '../events/outbox-relay.js';
import type { ScimGroupsService } from '../scim/groups.service.js';
import type { Resource } from '../scim/normalize.js';
import { signDelivery } from '../webhooks/signing.js';
import { findWorkflowPerson, matchesWorkflowCondition } from './workflow-person.js';
import { presentWorkflow } from './workflows.service.js';
import { type Workflow, type WorkflowAction, workflowTriggers } from './workflows.types.js';

export const RUN_JOB = 'workflow.run';
/** Retries of a failing action (the run's job retries, with backoff) before it is marked failed. */
const DEFAULT_RETRY_LIMIT = 3;
const MAX_ERROR = 500;
const INSERT_CHUNK = 500;
const triggers: ReadonlySet<string> = new Set(workflowTriggers);

/** Actions that send or evaluate the person's record (not just their id). */
function readsPerson(action: WorkflowAction): boolean {
  return action.type === 'http_request' || (action.type === 'remove_from_group' && action.groupId === '*');
}

interface RunJob {
  workflowId: string;
  eventId: string;
}

export interface WorkflowRunnerDeps {
  db: Db;
  queue: JobQueue;
  log: Logger;
  encryptionKey: Buffer;
  allowPrivateUrls: boolean;
  /**
   * The server's public URL (SIGHTLINE_PUBLIC_URL): the `$ref` and `meta.location` of the person's
   * record are absolute under it, else paths on this server (`/scim/v2/Users/…`).
   */
  publicUrl?: string | undefined;
  scimGroups: ScimGroupsService;
  backoffMs?: number;
  retryLimit?: number;
}

/**
 * Whether an event can start a workflow: a trigger type, about a person. A push-sync reports an
 * app account turning inactive or active as `user.deactivated` / `user.reactivated` too (Zluri's
 * vocabulary, subject `app_user`): those are about one account, not the person, and must not run
 * the person's offboarding or onboarding (`app_user.*` triggers are for account changes).
 */
function startsWorkflows(event: DomainEvent): boolean {
  if (!triggers.has(event.type)) return false;
  if (event.type.startsWith('user.') && event.subjectType === 'app_user') return false;
  return personOf(event) !== undefined;
}

/** The person an event is about: the subject of `user.*` events, the account's person otherwise. */
export function personOf(event: DomainEvent): string | undefined {
  if (event.subjectType === 'person' || event.subjectType === 'user') return event.subjectId ?? undefined;
  const id = event.payload.user_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Runs workflows: `fanOut` (an outbox subscriber) records one execution per action of every
 * enabled workflow an event triggers, idempotently, and queues one run per (workflow, event);
 * the run performs the actions in order as the workflow's system actor, so what they change is
 * audited and emits its own events.
 */
export function createWorkflowRunner(deps: WorkflowRunnerDeps) {
  const { db, queue, log } = deps;
  const retryLimit = deps.retryLimit ?? DEFAULT_RETRY_LIMIT;
  const personBaseUrl = `${deps.publicUrl?.replace(/\/+$/, '') ?? ''}/scim/v2`;

  const fanOut: EventSubscriber = async (events) => {
    const byTenant = new Map<string, DomainEvent[]>();
    for (const event of events) {
      if (!startsWorkflows(event)) continue;
      byTenant.set(event.tenantId, [...(byTenant.get(event.tenantId) ?? []), event]);
    }
    for (const [tenantId, tenantEvents] of byTenant) {
      const workflows = (
        await db
          .selectFrom('workflows')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('enabled', '=', 1)
          .where('trigger', 'in', [...new Set(tenantEvents.map((e) => e.type))])
          .execute()
      ).map(presentWorkflow);
      if (workflows.length === 0) continue;
      const runs: (RunJob & { actions: number })[] = [];
      const rows = [];
      const now = nowIso();
      for (const event of tenantEvents) {
        for (const workflow of workflows) {
          if (workflow.trigger !== event.type) continue;
          runs.push({ workflowId: workflow.id, eventId: event.id, actions: workflow.actions.length });
          for (const [index, action] of workflow.actions.entries())
            rows.push({
              tenant_id: tenantId,
              id: newId('wfx'),
              workflow_id: workflow.id,
              event_id: event.id,
              event_type: event.type,
              person_id: personOf(event) ?? '',
              action_index: index,
              action_type: action.type,
              status: 'pending',
              attempts: 0,
              error: null,
              created_at: now,
              completed_at: null,
            });
        }
      }
      for (let i = 0; i < rows.length; i += INSERT_CHUNK)
        await db
          .insertInto('workflow_action_executions')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .onConflict((oc) =>
            oc.columns(['tenant_id', 'workflow_id', 'event_id', 'action_index']).doNothing(),
          )
          .execute();
      // Each action has its own budget of retries; the run's job may need all of them.
      for (const { actions, ...run } of runs)
        await queue.enqueue(tenantId, RUN_JOB, run, {
          singletonKey: `${run.workflowId}:${run.eventId}`,
          retryLimit: actions * retryLimit,
        });
    }
  };

  async function settle(
    tenantId: string,
    ids: string[],
    set: { status: string; error?: string | null; attempts?: number },
  ) {
    if (ids.length === 0) return;
    await db
      .updateTable('workflow_action_executions')
      .set({
        status: set.status,
        ...(set.error !== undefined ? { error: set.error?.slice(0, MAX_ERROR) ?? null } : {}),
        ...(set.attempts !== undefined ? { attempts: set.attempts } : {}),
        ...(set.status === 'running' || set.status === 'pending' ? {} : { completed_at: nowIso() }),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
  }

  async function perform(
    actor: Actor,
    workflow: Workflow,
    action: WorkflowAction,
    event: DomainEvent,
    person: Resource,
    executionId: string,
  ): Promise<void> {
    const personId = String(person.id);
    const remove = (groupId: string) =>
      deps.scimGroups.patch(
        actor,
        groupId,
        {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'remove', path: `members[value eq "${personId}"]` }],
        },
        undefined,
        '',
        false,
      );
    if (action.type === 'add_to_group') {
      await deps.scimGroups.patch(
        actor,
        action.groupId,
        {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: 'members', value: [{ value: personId }] }],
        },
        undefined,
        '',
        false,
      );
    } else if (action.type === 'remove_from_group') {
      const groups =
        action.groupId === '*'
          ? ((person.groups as { value: string }[] | undefined) ?? []).map((g) => g.value)
          : [action.groupId];
      for (const groupId of groups) await remove(groupId);
    } else {
      const row = await db
        .selectFrom('workflows')
        .select('secret')
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', workflow.id)
        .executeTakeFirstOrThrow();
      const { body, headers } = signDelivery(decryptSecret(deps.encryptionKey, row.secret), {
        id: executionId,
        type: 'workflow.action',
        timestamp: new Date().toISOString(),
        data: {
          workflow: { id: workflow.id, name: workflow.name },
          event: { id: event.id, type: event.type, createdAt: event.createdAt, payload: event.payload },
          user: person,
        },
      });
      const res = await safeFetch(action.url, {
        method: 'POST',
        headers,
        body,
        allowPrivate: deps.allowPrivateUrls,
      });
      if (res.status < 200 || res.status >= 300)
        throw new Error(`HTTP ${res.status} from ${new URL(action.url).origin}`);
    }
  }

  async function run(payload: RunJob, context: { tenantId: string }) {
    const { tenantId } = context;
    const executions = await db
      .selectFrom('workflow_action_executions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('workflow_id', '=', payload.workflowId)
      .where('event_id', '=', payload.eventId)
      .orderBy('action_index')
      .execute();
    const open = executions.filter((e) => e.status === 'pending' || e.status === 'running');
    if (open.length === 0) return; // done already (at-least-once delivery)
    const openIds = open.map((e) => e.id);
    const row = await db
      .selectFrom('workflows')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', payload.workflowId)
      .executeTakeFirst();
    const event = await getEvent(db, tenantId, payload.eventId);
    if (!row || !event)
      return settle(tenantId, openIds, {
        status: 'skipped',
        error: row ? 'event no longer kept' : 'workflow deleted',
      });
    const workflow = presentWorkflow(row);
    const actor = systemActor(tenantId, `workflow ${workflow.name}`);
    const personId = open[0]?.person_id ?? '';
    // Deleted people included: a SCIM DELETE deactivates and must run offboarding like active=false.
    const readPerson = () => findWorkflowPerson(db, tenantId, personId, personBaseUrl);
    let person = await readPerson();
    if (!person)
      return settle(tenantId, openIds, { status: 'skipped', error: `person ${personId} not found` });
    if (workflow.condition && !(await matchesWorkflowCondition(db, tenantId, personId, workflow.condition)))
      return settle(tenantId, openIds, { status: 'skipped', error: 'condition not met' });
    for (const [i, execution] of open.entries()) {
      const action = workflow.actions[execution.action_index];
      if (!action || action.type !== execution.action_type) {
        await settle(tenantId, [execution.id], {
          status: 'skipped',
          error: 'the workflow’s actions changed',
        });
        continue;
      }
      const attempts = execution.attempts + 1;
      await settle(tenantId, [execution.id], { status: 'running', attempts });
      try {
        // The person as the earlier actions left them (e.g. without the groups just removed).
        if (i > 0 && readsPerson(action)) person = (await readPerson()) ?? person;
        await perform(actor, workflow, action, event, person, execution.id);
        await settle(tenantId, [execution.id], { status: 'completed', error: null });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (attempts <= retryLimit) {
          await settle(tenantId, [execution.id], { status: 'pending', error: message });
          throw error; // the queue retries the run from this action
        }
        log.warn(
          { err: error, workflowId: workflow.id, executionId: execution.id },
          'workflow action failed',
        );
        await settle(tenantId, [execution.id], { status: 'failed', error: message });
        await settle(
          tenantId,
          open.slice(i + 1).map((e) => e.id),
          { status: 'skipped', error: 'an earlier action failed' },
        );
        return;
      }
    }
  }

  return {
    fanOut,
    register() {
      queue.register<RunJob>({
        name: RUN_JOB,
        retryLimit,
        backoffMs: deps.backoffMs ?? 2000,
        handler: (payload, context) => run(payload, context),
      });
    },
  };
}
