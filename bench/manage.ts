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
    await store.close();
    // Apps sorted by annual cost: the same first page, repeatedly (after a warm-up).
    for (let i = 0; i < 20; i++) await get(server, '/v1.1/apps?sort=-annualCost&size=100');
    const appsMs: number[] = [];
    for (let i = 0; i < 300; i++) appsMs.push((await get(server, '/v1.1/apps?sort=-annualCost&size=100')).ms);
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
    process.stdout.write(
      `\n${label}: demo ${summary.people} people, ${summary.apps} apps, ${summary.accounts} accounts (generated in ${seedS.toFixed(0)} s)\n` +
        `  GET /v1.1/apps?sort=-annualCost&size=100   p50 ${median(appsMs).toFixed(1)} ms  p99 ${percentile(appsMs, 99).toFixed(1)} ms  (300 requests)\n` +
        `  GET /v1.1/users?size=100&cursor=… (all)   p50 ${median(usersMs).toFixed(1)} ms  p99 ${percentile(usersMs, 99).toFixed(1)} ms  (${usersMs.length} pages, ${seen} users)\n`,
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
