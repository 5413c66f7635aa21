import { toJson } from '../../platform/db/json.js';
import { newId } from '../../platform/ids/ids.js';
import { createBatchWriter } from './batch-writer.js';
import type { DemoContext } from './demo.types.js';
import type { PlannedApp } from './plan-apps.js';
import { planSpend } from './plan-spend.js';
import type { Random } from './random.js';
import type { WrittenApp } from './write-apps.js';

/** Writes each app's license pool, contracts and monthly charges; returns the row counts. */
export async function writeSpend(
  ctx: DemoContext,
  random: Random,
  input: { apps: readonly PlannedApp[]; written: readonly WrittenApp[]; seatsUsed: Int32Array },
): Promise<{ licenses: number; contracts: number; transactions: number }> {
  const { trx, tenantId, createdAt, reference } = ctx;
  const licenseWriter = createBatchWriter(trx, 'licenses');
  const contractWriter = createBatchWriter(trx, 'contracts');
  const transactionWriter = createBatchWriter(trx, 'transactions');
  const emptyJson = toJson({});
  for (const [a, app] of input.apps.entries()) {
    const ids = input.written[a];
    if (!ids) continue;
    const spend = planSpend(random, app, input.seatsUsed[a] ?? 0, reference);
    if (spend.license) {
      await licenseWriter.add({
        tenant_id: tenantId,
        id: newId('lic'),
        app_id: ids.id,
        instance_id: ids.instanceId,
        external_id: null,
        name: spend.license.name,
        total: spend.license.total,
        used: spend.license.used,
        price_per_unit_minor: spend.license.priceMinor,
        currency: app.currency,
        created_at: createdAt,
        updated_at: createdAt,
      });
    }
    for (const c of spend.contracts) {
      await contractWriter.add({
        tenant_id: tenantId,
        id: newId('ctr'),
        app_id: ids.id,
        external_id: null,
        name: c.name,
        status: c.status,
        start_date: c.startDate,
        end_date: c.endDate,
        renewal_date: c.renewalDate,
        auto_renew: c.autoRenew ? 1 : 0,
        cost_minor: c.costMinor,
        currency: app.currency,
        billing_period: c.billingPeriod,
        owner_id: ids.ownerId,
        notes: null,
        custom: emptyJson,
        created_at: createdAt,
        updated_at: createdAt,
      });
    }
    for (const t of spend.transactions) {
      await transactionWriter.add({
        tenant_id: tenantId,
        id: newId('txn'),
        app_id: ids.id,
        instance_id: ids.instanceId,
        external_id: `inv-${t.occurredOn}`,
        occurred_on: t.occurredOn,
        amount_minor: t.amountMinor,
        currency: app.currency,
        description: t.description,
        vendor: app.vendor,
        payment_method: t.paymentMethod,
        created_at: createdAt,
      });
    }
  }
  await licenseWriter.flush();
  await contractWriter.flush();
  await transactionWriter.flush();
  return {
    licenses: licenseWriter.count,
    contracts: contractWriter.count,
    transactions: transactionWriter.count,
  };
}
