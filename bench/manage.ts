import { sql } from 'kysely';
import { generateDemo } from '../src/modules/demo/demo.service.js';
import { openStore } from '../src/platform/db/db.js';
import { type BenchServer, median, startPostgres, startServer } from './server.js';

const PEOPLE = 100_000;
const APPS = 2_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function get(
  server: BenchServer,
  path: string,
): Promise<{ ms: number; body: Record<string, unknown> }> {
  const started = performance.now();
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${text.slice(0, 300)}`);
  return { ms, body: JSON.parse(text) as Record<string, unknown> };
}

const rowsOf = (body: Record<string, unknown>) =>
  (Object.values(body).find((v) => Array.isArray(v)) as unknown[] | undefined) ?? [];

async function call(server: BenchServer, method: string, path: string, body?: unknown, raw?: Buffer) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      'content-type': raw ? 'text/csv' : 'application/json',
    },
    ...(raw ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * A CSV of an app's accounts through a signed upload URL and a mapped import into `appName`;
 * rows/s from mapping to completion. The accounts are those of `emails` (people of the directory),
 * or, without them, of `rows` new people (each created in the directory by the import).
 */
export async function csvImport(
  server: BenchServer,
  appName: string,
  rows: number,
  emails?: readonly string[],
) {
  const lines = ['Email,Name,Role,Last login'];
  for (let i = 0; i < rows; i++)
    lines.push(
      `${emails?.[i] ?? `import${i}@bench.example`},Person ${i},${i % 10 ? 'member' : 'admin'},2026-11-0${1 + (i % 9)}T08:00:00Z`,
    );
  const csv = Buffer.from(`${lines.join('\n')}\n`);
  const made = await call(server, 'GET', '/v1.1/files/url?name=accounts.csv');
  const url = new URL(String(made.url));
  const uploadStarted = performance.now();
  const put = await call(server, 'PUT', `${url.pathname}${url.search}`, undefined, csv);
  const uploadS = (performance.now() - uploadStarted) / 1000;
  const started = performance.now();
  await call(server, 'PUT', '/v1.1/parsings/manual', {
    fileId: put.fileId,
    appName,
    target: 'accounts',
    mappings: [
      { sourceColumn: 'Email', targetField: 'email' },
      { sourceColumn: 'Name', targetField: 'name' },
      { sourceColumn: 'Role', targetField: 'role' },
      { sourceColumn: 'Last login', targetField: 'lastUsedDate' },
    ],
  });
  for (;;) {
    const parsing = await call(server, 'GET', `/v1.1/parsings/${String(put.parsingId)}`);
    if (parsing.status === 'completed' || parsing.status === 'failed') {
      const importS = (performance.now() - started) / 1000;
      const imported = Number((parsing.result as { imported?: number } | null)?.imported ?? 0);
      if (parsing.status === 'failed') throw new Error(`import failed: ${String(parsing.failureReason)}`);
      return { rowsPerS: imported / importS, uploadS, importS, imported };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runOn(label: string, env: Record<string, string>, databaseUrl: string | undefined) {
  const server = await startServer({ MANAGE_USERS_RATE_LIMIT_MAX: '100000000', ...env });
  try {
    const store = openStore({ dataDir: server.dataDir, databaseUrl });
    const tenant = await store.db
      .selectFrom('tenants')
      .select('id')
      .where('is_system', '=', 1)
      .executeTakeFirstOrThrow();
    const seeded = performance.now();
    const summary = await generateDemo(store.db, tenant.id, { people: PEOPLE, apps: APPS, seed: 7 });
    const seedS = (performance.now() - seeded) / 1000;
    // An app's accounts are mostly the organization's people: the first import lists 100k of them.
    const emails = (
      await store.db
        .selectFrom('people')
        .select('email')
        .where('tenant_id', '=', tenant.id)
        .orderBy('id')
        .limit(100_000)
        .execute()
    ).map((p) => String(p.email));
    // Measure the steady state: on PostgreSQL, let vacuum finish what autovacuum would otherwise
    // be doing to the freshly loaded million rows during the measurement.
    if (databaseUrl) await sql`vacuum (analyze)`.execute(store.db);
    await store.close();
    // Apps sorted by annual cost: the same first page, repeatedly (after a warm-up).
    for (let i = 0; i < 20; i++) await get(server, '/v1.1/apps?sort=-annualCost&size=100');
    const appsMs: number[] = [];
    // 1,000 requests, as many as the users pages: a p99 of 300 was the third-slowest request alone.
    for (let i = 0; i < 1000; i++)
      appsMs.push((await get(server, '/v1.1/apps?sort=-annualCost&size=100')).ms);
    // Users: every page, following nextCursor to the end.
    const usersMs: number[] = [];
    let cursor: string | null = null;
    let seen = 0;
    do {
      const page: { ms: number; body: Record<string, unknown> } = await get(
        server,
        `/v1.1/users?size=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      usersMs.push(page.ms);
      seen += rowsOf(page.body).length;
      cursor = typeof page.body.nextCursor === 'string' ? page.body.nextCursor : null;
    } while (cursor);
    const importRate = await csvImport(server, 'Bench Import', emails.length, emails);
    const importNew = await csvImport(server, 'Bench Import (new people)', 100_000);
    process.stdout.write(
      `\n${label}: demo ${summary.people} people, ${summary.apps} apps, ${summary.accounts} accounts (generated in ${seedS.toFixed(0)} s)\n` +
        `  GET /v1.1/apps?sort=-annualCost&size=100   p50 ${median(appsMs).toFixed(1)} ms  p99 ${percentile(appsMs, 99).toFixed(1)} ms  (${appsMs.length} requests)\n` +
        `  GET /v1.1/users?size=100&cursor=… (all)   p50 ${median(usersMs).toFixed(1)} ms  p99 ${percentile(usersMs, 99).toFixed(1)} ms  (${usersMs.length} pages, ${seen} users)\n` +
        `  CSV import, ${importRate.imported} accounts of people     ${Math.round(importRate.rowsPerS)} rows/s  (upload ${importRate.uploadS.toFixed(1)} s, import ${importRate.importS.toFixed(1)} s)\n` +
        `  CSV import, 100k accounts of new people   ${Math.round(importNew.rowsPerS)} rows/s  (upload ${importNew.uploadS.toFixed(1)} s, import ${importNew.importS.toFixed(1)} s, ${importNew.imported} imported, each person created)\n`,
    );
  } finally {
    await server.stop();
  }
}

/** `npm run bench -- manage [--only sqlite|postgres]`: management list latency on a large demo tenant. */
export async function run(args: string[]): Promise<void> {
  const only = args[args.indexOf('--only') + 1];
  if (only !== 'postgres') await runOn('SQLite (embedded)', {}, undefined);
  if (only === 'sqlite') return;
  const pg = await startPostgres();
  if (!pg) {
    process.stdout.write('\nPostgreSQL binaries not found: skipping the PostgreSQL run\n');
    return;
  }
  try {
    await runOn('PostgreSQL 15', { DATABASE_URL: pg.url }, pg.url);
  } finally {
    pg.stop();
  }
}
