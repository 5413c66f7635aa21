import { Agent, request } from 'undici';
import { type BenchServer, median, startPostgres, startServer } from './server.js';

const PAGE = 1000;

export async function call(
  server: BenchServer,
  agent: Agent,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
) {
  const response = await request(`${server.url}${path}`, {
    method,
    dispatcher: agent,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300)
    throw new Error(`${method} ${path}: ${response.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text) as {
    data: { id: string; status: string; result?: unknown; failure_reason?: string };
  };
}

interface Snapshot {
  count: number;
  record(i: number): Record<string, unknown>;
}

/** Pushes a users snapshot through HTTP in 1000-record pages (4 in flight); returns timings. */
export async function pushSnapshot(
  server: BenchServer,
  agent: Agent,
  instanceId: string,
  snapshot: Snapshot,
) {
  const base = `/v2/integrations-sync/instances/${instanceId}/syncs`;
  const sync = await call(server, agent, 'POST', base);
  const pages = Math.ceil(snapshot.count / PAGE);
  const pageMs: number[] = [];
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let page = next++; page < pages; page = next++) {
      const data = [];
      for (let i = page * PAGE; i < Math.min(snapshot.count, (page + 1) * PAGE); i++)
        data.push(snapshot.record(i));
      const t0 = performance.now();
      await call(server, agent, 'POST', `${base}/${sync.data.id}/data/snapshots`, {
        entity: 'users',
        page: page + 1,
        data,
      });
      pageMs.push(performance.now() - t0);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const uploadS = (performance.now() - started) / 1000;
  const f0 = performance.now();
  const finished = await call(server, agent, 'POST', `${base}/${sync.data.id}/finish`);
  const finishS = (performance.now() - f0) / 1000;
  if (finished.data.status !== 'finished')
    throw new Error(`finish: ${JSON.stringify(finished.data).slice(0, 500)}`);
  return {
    uploadS,
    finishS,
    recordsPerS: snapshot.count / uploadS,
    pageMedianMs: median(pageMs),
    result: finished.data.result,
  };
}

const roles = ['member', 'admin', 'viewer'];
const licenses = ['pro', 'enterprise', 'free'];

export function users(count: number, people: number, variant: 'first' | 'second'): Snapshot {
  // Second snapshot: 2% changed, 1% missing, 1% new (relative to the first).
  const missing = variant === 'second' ? Math.floor(count * 0.01) : 0;
  const added = variant === 'second' ? Math.floor(count * 0.01) : 0;
  return {
    count: count - missing + added,
    record(i) {
      const n = i < count - missing ? i + missing : count + (i - (count - missing));
      const changed = variant === 'second' && n % 50 === 7;
      return {
        id: `acc-${n}`,
        email: `person${n % people}@bench.example`,
        name: `Person ${n % people}`,
        status: 'active',
        role: changed ? 'owner' : roles[n % 3],
        license: licenses[n % 3],
        department: `Dept ${n % 20}`,
        last_used_at: '2026-11-01T10:00:00.000Z',
      };
    },
  };
}

async function runOn(
  label: string,
  env: Record<string, string>,
  scale: { people: number; accounts: number },
) {
  const server = await startServer(env);
  const agent = new Agent({ connections: 8, pipelining: 1 });
  try {
    const directory = await call(server, agent, 'POST', '/api/instances', { appName: 'Directory' });
    const bigApp = await call(server, agent, 'POST', '/api/instances', { appName: 'Big App' });
    const dir = await pushSnapshot(
      server,
      agent,
      directory.data.id,
      users(scale.people, scale.people, 'first'),
    );
    const first = await pushSnapshot(
      server,
      agent,
      bigApp.data.id,
      users(scale.accounts, scale.people, 'first'),
    );
    const second = await pushSnapshot(
      server,
      agent,
      bigApp.data.id,
      users(scale.accounts, scale.people, 'second'),
    );
    const totalRecords = scale.people + 2 * scale.accounts;
    const totalUpload = dir.uploadS + first.uploadS + second.uploadS;
    const rows = [
      ['directory users', scale.people, dir],
      ['accounts (baseline)', scale.accounts, first],
      ['accounts (2% changed, 1% missing, 1% new)', scale.accounts, second],
    ] as const;
    process.stdout.write(`\n${label}\n`);
    for (const [name, n, r] of rows) {
      process.stdout.write(
        `  ${name.padEnd(44)} ${String(n).padStart(8)} rec  upload ${Math.round(r.recordsPerS).toString().padStart(7)} rec/s  page median ${r.pageMedianMs.toFixed(1)} ms  finish ${r.finishS.toFixed(2)} s\n`,
      );
    }
    process.stdout.write(
      `  upload overall: ${Math.round(totalRecords / totalUpload)} rec/s; server peak RSS ${server.peakRssMb()} MB (sampled: anon ${server.peakBreakdown().anonMb} MB, file ${server.peakBreakdown().fileMb} MB)\n`,
    );
    process.stdout.write(
      `  second snapshot result: ${JSON.stringify((second.result as { entities: unknown }).entities)}\n`,
    );
  } finally {
    await agent.close();
    await server.stop();
  }
}

/** `npm run bench -- ingest [--accounts N] [--people N] [--only sqlite|postgres]` */
export async function run(args: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const scale = { people: Number(arg('people') ?? 100_000), accounts: Number(arg('accounts') ?? 1_000_000) };
  const only = arg('only');
  process.stdout.write(
    `push ${scale.people} users + ${scale.accounts} app accounts twice, 1000-record pages, 4 in flight\n`,
  );
  if (only !== 'postgres') await runOn('SQLite (embedded)', {}, scale);
  if (only !== 'sqlite') {
    const pg = await startPostgres();
    if (!pg) {
      process.stdout.write('\nPostgreSQL binaries not found: skipping the PostgreSQL run\n');
      return;
    }
    try {
      await runOn('PostgreSQL 15', { DATABASE_URL: pg.url }, scale);
    } finally {
      pg.stop();
    }
  }
}
