import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DomainEvent, recordEvents } from '../src/modules/events/events.service.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { skipPostgres, testDb } from './helpers/db.js';

describe.skipIf(skipPostgres)(`outbox of domain events (${testDb})`, () => {
  let t: TestApp;
  let tenantId: string;
  /** What the subscriber was handed, per test (the relay is shared: keep only this test's types). */
  let received: DomainEvent[] = [];
  let failNext = 0;

  beforeAll(async () => {
    t = await startTestApp();
    tenantId = (await t.app.services.tenants.find('default'))?.id ?? '';
    t.app.outbox.subscribe(async (events) => {
      if (failNext > 0) {
        failNext -= 1;
        throw new Error('subscriber is down');
      }
      received.push(...events.filter((e) => e.type.startsWith('test.')));
    });
  });
  afterAll(() => t.close());

  const eventRows = (type: string) =>
    t.app.store.db
      .selectFrom('events')
      .select(['id', 'dispatched_at'])
      .where('tenant_id', '=', tenantId)
      .where('type', '=', type)
      .orderBy('id')
      .execute();

  it('writes no event when the transaction of the change rolls back', async () => {
    await expect(
      t.app.store.db.transaction().execute(async (trx) => {
        await recordEvents(trx, tenantId, [{ type: 'test.rolled_back', payload: { n: 1 } }]);
        expect(
          await trx.selectFrom('events').select('id').where('type', '=', 'test.rolled_back').execute(),
        ).toHaveLength(1);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await eventRows('test.rolled_back')).toEqual([]);
  });

  it('hands committed events to subscribers in order, then marks them dispatched', async () => {
    received = [];
    const ids = await t.app.store.db.transaction().execute((trx) =>
      recordEvents(trx, tenantId, [
        { type: 'test.committed', subjectType: 'user', subjectId: 'usr_1', payload: { n: 1 } },
        { type: 'test.committed', payload: { n: 2 } },
      ]),
    );
    expect((await eventRows('test.committed')).map((r) => r.dispatched_at)).toEqual([null, null]);

    expect(await t.app.outbox.relay()).toBeGreaterThanOrEqual(2);
    expect(received.map((e) => e.id)).toEqual(ids);
    expect(received[0]).toMatchObject({
      tenantId,
      type: 'test.committed',
      subjectType: 'user',
      subjectId: 'usr_1',
      payload: { n: 1 },
    });
    expect(received[1]).toMatchObject({ subjectType: null, subjectId: null, payload: { n: 2 } });
    expect((await eventRows('test.committed')).every((r) => r.dispatched_at !== null)).toBe(true);

    // Nothing is handed over twice once dispatched.
    received = [];
    await t.app.outbox.relay();
    expect(received).toEqual([]);
  });

  it('leaves events pending when a subscriber throws, and hands them over again (at-least-once)', async () => {
    received = [];
    const ids = await recordEvents(t.app.store.db, tenantId, [{ type: 'test.retried', payload: {} }]);
    failNext = 1;
    await t.app.outbox.relay();
    expect(received).toEqual([]);
    expect((await eventRows('test.retried')).map((r) => r.dispatched_at)).toEqual([null]);

    await t.app.outbox.relay();
    expect(received.map((e) => e.id)).toEqual(ids);
    expect((await eventRows('test.retried'))[0]?.dispatched_at).toBeTruthy();
  });

  it('drains more than one batch, across tenants, and concurrent relays hand each event over once', async () => {
    received = [];
    const many = Array.from({ length: 450 }, (_, n) => ({ type: 'test.bulk', payload: { n } }));
    await recordEvents(t.app.store.db, tenantId, many);
    await recordEvents(t.app.store.db, 'ten_other', [{ type: 'test.bulk', payload: { n: 450 } }]);
    await Promise.all([t.app.outbox.relay(), t.app.outbox.relay()]);
    expect(received).toHaveLength(451);
    expect(new Set(received.map((e) => e.id)).size).toBe(451);
    expect(received.map((e) => e.payload.n)).toEqual(Array.from({ length: 451 }, (_, n) => n));
    expect((await eventRows('test.bulk')).filter((r) => r.dispatched_at === null)).toEqual([]);
    const other = await t.app.store.db
      .selectFrom('events')
      .select('dispatched_at')
      .where('tenant_id', '=', 'ten_other')
      .executeTakeFirstOrThrow();
    expect(other.dispatched_at).toBeTruthy();
  });
});
