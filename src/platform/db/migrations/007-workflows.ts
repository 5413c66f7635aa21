import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * Workflows (a trigger event, an optional condition on the person, ordered actions) and the
 * executions of their actions: one row per (workflow, event, action), which makes the fan-out of
 * a re-relayed event a no-op.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = dialect === 'postgres' ? 'jsonb' : 'text';
  await db.schema
    .createTable('workflows')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_lc', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('condition', 'text')
    .addColumn('actions', json as 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflows_pk', ['tenant_id', 'id'])
    .addUniqueConstraint('workflows_tenant_id_name_lc_uq', ['tenant_id', 'name_lc'])
    .execute();
  await db.schema
    .createIndex('workflows_tenant_id_trigger_ix')
    .on('workflows')
    .columns(['tenant_id', 'trigger'])
    .execute();
  await db.schema
    .createTable('workflow_action_executions')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('action_index', 'integer', (c) => c.notNull())
    .addColumn('action_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addPrimaryKeyConstraint('workflow_action_executions_pk', ['tenant_id', 'id'])
    .addUniqueConstraint('workflow_action_executions_run_uq', [
      'tenant_id',
      'workflow_id',
      'event_id',
      'action_index',
    ])
    .execute();
  await db.schema
    .createIndex('workflow_action_executions_tenant_id_created_at_ix')
    .on('workflow_action_executions')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
}
