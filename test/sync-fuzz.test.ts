import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createToken, startTestApp, type TestApp } from './helpers/app.js';
import { skipPostgres } from './helpers/db.js';
import { schemaFuzzer } from './helpers/schema-fuzz.js';

type Schema = Record<string, unknown>;

/**
 * Push-syncs of generated records (from the published record schemas, hostile values mixed in),
 * on both stores: a page is accepted or refused whole (400/422 naming the records), and every finish
 * applies what was accepted: the sync ends `finished`, never failed by the database.
 */
describe.skipIf(skipPostgres)('push-sync fuzz', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '1000000', SYNC_GUARD_MIN_ACTIVE: '1000000' });
    await t.app.queue.start();
    token = await createToken(t, 'integration');
  });
  afterAll(() => t.close());

  it('applies every accepted page of generated records; refuses the rest with 400 or 422', async () => {
    await t.app.server.ready();
    const schemas = (t.app.server.swagger() as { components?: { schemas?: Record<string, Schema> } })
      .components?.schemas;
    const records = Object.values(schemas ?? {})
      .map((schema) => ({ schema, title: String(schema.title ?? '') }))
      .filter(({ title }) => /^[a-z_]+\b/.test(title))
      .map(({ schema, title }) => ({
        schema,
        entity: title.split(/[ :]/)[0] ?? '',
        kind: title.includes('(snapshot)') ? 'snapshots' : 'facts',
      }));
    expect(records.map((r) => r.entity).sort()).toEqual([
      'activities',
      'applications',
      'contracts',
      'group_users',
      'groups',
      'roles',
      'transactions',
      'users',
    ]);
    const fuzz = schemaFuzzer(Number(process.env.FUZZ_SEED ?? 20261203), schemas ?? {});
    const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
      t.request({ method, url: `/v2${url}`, token, ...(payload ? { payload } : {}) });
    const base = `/integrations-sync/instances/${await createInstance(t, 'Fuzzed source')}/syncs`;
    const outcomes = { accepted: 0, refused: 0 };
    for (let round = 0; round < 4; round++) {
      const sync = (await call('POST', base)).json<{ data: { id: string } }>().data.id;
      const pages: Record<string, number> = {};
      for (const { schema, entity, kind } of records) {
        for (let n = 0; n < 6; n++) {
          // Ids from a small range, so records of one sync refer to each other and to earlier syncs'.
          const data = Array.from({ length: 1 + fuzz.int(5) }, () => {
            const record = fuzz.value(schema);
            if (record && typeof record === 'object' && !Array.isArray(record) && fuzz.random() < 0.8) {
              const fields = record as Record<string, unknown>;
              if ('id' in fields) fields.id = `r${fuzz.int(30)}`;
              if ('user_id' in fields) fields.user_id = `r${fuzz.int(30)}`;
              if ('group_id' in fields) fields.group_id = `r${fuzz.int(30)}`;
            }
            return record;
          });
          const key = `${kind}:${entity}`;
          const page = (pages[key] ?? 0) + 1;
          const res = await call('POST', `${base}/${sync}/data/${kind}`, { entity, page, data });
          const context = `${entity} ${JSON.stringify(data).slice(0, 400)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
          // 400: the envelope is wrong (a record that is not an object); 422: records break their schema.
          expect([200, 400, 422], context).toContain(res.statusCode);
          if (res.statusCode === 200) {
            pages[key] = page;
            outcomes.accepted++;
          } else outcomes.refused++;
        }
      }
      const finished = await call('POST', `${base}/${sync}/finish`);
      expect(finished.statusCode, finished.body).toBe(200);
      const body = finished.json<{ data: { status: string; failure_reason?: string } }>().data;
      expect(body, `round ${round}`).toMatchObject({ status: 'finished' });
    }
    expect(outcomes.accepted).toBeGreaterThan(20);
    expect(outcomes.refused).toBeGreaterThan(20);
  }, 120_000);
});
