import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { skipPostgres } from './helpers/db.js';
import { schemaFuzzer } from './helpers/schema-fuzz.js';

type Schema = Record<string, unknown>;
interface Operation {
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

const ATTEMPTS = Number(process.env.FUZZ_ATTEMPTS ?? 10);
const METHOD_ORDER = ['post', 'get', 'put', 'patch', 'delete'];

/**
 * Every operation of every face, fed requests generated from its own OpenAPI schemas (with
 * hostile values mixed in), on both stores: none may answer 500. The owner token makes them reach
 * the handlers; ids from earlier answers are reused so they reach existing records.
 * FUZZ_SEED and FUZZ_ATTEMPTS run another or a longer sequence; FUZZ_DEBUG=1 prints the statuses.
 */
describe.skipIf(skipPostgres)('API fuzz: every operation, never a 500', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '1000000', MANAGE_USERS_RATE_LIMIT_MAX: '1000000' });
  });
  afterAll(() => t.close());

  it('answers generated and hostile requests to all operations without a server error', async () => {
    await t.app.server.ready();
    const doc = t.app.server.swagger() as {
      paths: Record<string, Record<string, Operation>>;
      components?: { schemas?: Record<string, Schema> };
    };
    const fuzz = schemaFuzzer(Number(process.env.FUZZ_SEED ?? 20261202), doc.components?.schemas ?? {});
    // The caller's own tenant and token stay: deleting them would end the run's access.
    const tenant = await t.request({ method: 'GET', url: '/api/tenant', token: t.ownerToken });
    const tokens = await t.request({ method: 'GET', url: '/api/tokens', token: t.ownerToken });
    const keep = new Set<string>();
    const collect = (body: unknown) => {
      const found = schemaFuzzer(0, {});
      found.learn(body);
      for (const id of found.ids) keep.add(id);
    };
    collect(tenant.json());
    collect(tokens.json());

    const operations = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })))
      .filter(({ method }) => METHOD_ORDER.includes(method))
      .sort((a, b) => METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method));
    expect(operations.length).toBeGreaterThan(150);

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (const { path, method, op } of operations) {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        let url = path;
        const query = new URLSearchParams();
        const headers: Record<string, string> = {};
        for (const p of op.parameters ?? []) {
          const raw =
            p.in === 'path' ? fuzz.pathValue(path, p.name, p.schema ?? {}) : fuzz.value(p.schema ?? {});
          const value = typeof raw === 'string' ? raw : JSON.stringify(raw);
          if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(value || 'x'));
          else if (p.in === 'query' && (p.required || fuzz.random() < 0.6)) query.set(p.name, value);
          else if (p.in === 'header' && fuzz.random() < 0.2 && !/[^\x20-\x7e]/.test(value))
            headers[p.name] = value;
        }
        const content = op.requestBody?.content ?? {};
        const type = ['application/json', 'application/scim+json'].find((c) => c in content);
        const body = type ? fuzz.value(content[type]?.schema ?? {}) : undefined;
        const qs = query.toString();
        const target = `${url}${qs ? `?${qs}` : ''}`;
        const res = await t.request({
          method: method.toUpperCase() as 'GET',
          url: target,
          token: t.ownerToken,
          headers: { ...headers, ...(type ? { 'content-type': type } : {}) },
          ...(type ? { payload: JSON.stringify(body) } : {}),
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500 && res.statusCode !== 503) {
          failures.push(
            `${method.toUpperCase()} ${target.slice(0, 200)} ${JSON.stringify(body)?.slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 200)}`,
          );
        }
        if (res.statusCode < 300 && res.body) {
          try {
            fuzz.learn(JSON.parse(res.body), path);
          } catch {
            // not JSON (a file, a redirect page)
          }
          fuzz.forget(keep);
        }
      }
    }
    console.log([...statuses].sort(), fuzz.ids.length);
    if (process.env.FUZZ_DEBUG) console.log([...statuses].sort());
    expect(failures.slice(0, 10), `${failures.length} server errors`).toEqual([]);
    // The run reached handlers (successes) and their checks (refusals), not only routing.
    const count = (from: number, to: number) =>
      [...statuses].filter(([s]) => s >= from && s < to).reduce((n, [, c]) => n + c, 0);
    expect(count(200, 300)).toBeGreaterThan(300);
    expect(count(400, 500)).toBeGreaterThan(300);
  }, 240_000);
});
