import { toJson } from '../../platform/db/json.js';
import { newId } from '../../platform/ids/ids.js';
import { createBatchWriter } from './batch-writer.js';
import { isoDaysAgo } from './dates.js';
import type { DemoContext } from './demo.types.js';
import type { PlannedApp } from './plan-apps.js';

export interface WrittenApp {
  id: string;
  instanceId: string;
  ownerId: string | null;
}

/**
 * Writes the planned apps, each with one custom integration and one active instance (the source
 * its accounts, licenses and charges come from, as if pushed through the sync API).
 */
export async function writeApps(
  ctx: DemoContext,
  apps: readonly PlannedApp[],
  personIds: readonly string[],
): Promise<WrittenApp[]> {
  const { trx, tenantId, createdAt, reference } = ctx;
  const written: WrittenApp[] = apps.map((app) => ({
    id: newId('app'),
    instanceId: newId('ins'),
    ownerId: personIds[app.ownerIndex] ?? null,
  }));
  const appWriter = createBatchWriter(trx, 'apps');
  const integrationWriter = createBatchWriter(trx, 'integrations');
  const instanceWriter = createBatchWriter(trx, 'instances');
  const emptyObject = toJson({});
  const emptyList = toJson([]);
  for (const [i, app] of apps.entries()) {
    const ids = written[i];
    if (!ids) continue;
    await appWriter.add({
      tenant_id: tenantId,
      id: ids.id,
      name: app.name,
      name_lc: app.name.toLowerCase(),
      state: app.state,
      category: app.category,
      url: app.url,
      description: app.description,
      vendor: app.vendor,
      owner_id: ids.ownerId,
      source: 'demo',
      custom: emptyObject,
      created_at: createdAt,
      updated_at: createdAt,
      closed_at: app.closedDaysAgo === null ? null : isoDaysAgo(reference, app.closedDaysAgo),
    });
    const integrationId = newId('int');
    await integrationWriter.add({
      tenant_id: tenantId,
      id: integrationId,
      key: 'custom',
      name: app.name,
      app_id: ids.id,
      created_at: createdAt,
    });
    await instanceWriter.add({
      tenant_id: tenantId,
      id: ids.instanceId,
      integration_id: integrationId,
      app_id: ids.id,
      name: app.name,
      status: 'active',
      notification_emails: emptyList,
      settings: emptyObject,
      secrets: null,
      created_at: createdAt,
      updated_at: createdAt,
    });
  }
  await appWriter.flush();
  await integrationWriter.flush();
  await instanceWriter.flush();
  return written;
}
