import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/platform/db/db.js';
import { newUuid } from '../src/platform/ids/ids.js';
import { type BenchServer, freePort, median, startPostgres, startServer } from './server.js';

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Cannon = (options: Record<string, unknown>) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;

/** CPU time (user + system) of a process and its children so far, in ms, from /proc (10 ms ticks). */
function cpuMsOf(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
    const own = (Number(fields[11]) + Number(fields[12])) * 10;
    return children.reduce((sum, child) => sum + (cpuMsOf(Number(child)) ?? 0), own);
  } catch {
    return undefined; // not Linux
  }
}

const USERS = 100_000;
const GROUPS = 1_000;

/** 100k people with a work email and 1k groups, written straight into the server's database. */
export async function seed(server: BenchServer, databaseUrl: string | undefined) {
  const store = openStore({ dataDir: server.dataDir, databaseUrl });
  const { db } = store;
  const tenant = await db
    .selectFrom('tenants')
    .select('id')
    .where('is_system', '=', 1)
    .executeTakeFirstOrThrow();
  const now = new Date().toISOString();
  const people: { id: string; userName: string }[] = [];
  for (let i = 0; i < USERS; i++) people.push({ id: newUuid(), userName: `person${i}@bench.example` });
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < people.length; i += 500) {
      const chunk = people.slice(i, i + 500);
      await trx
        .insertInto('people')
        .values(
          chunk.map((p, j) => ({
            tenant_id: tenant.id,
            id: p.id,
            external_id: null,
            user_name: p.userName,
            user_name_lc: p.userName,
            email: p.userName,
            email_lc: p.userName,
            first_name: `Given${i + j}`,
            last_name: `Family${i + j}`,
            display_name: `Given${i + j} Family${i + j}`,
            status: 'active',
            department: `Dept ${(i + j) % 40}`,
            title: null,
            employee_number: String(i + j),
            cost_center: null,
            organization: null,
            division: null,
            manager_id: null,
            is_external: 0,
            source: 'bench',
            attributes: '{}',
            custom: '{}',
            version: 1,
            created_at: now,
            updated_at: now,
            deactivated_at: null,
          })),
        )
        .execute();
      await trx
        .insertInto('person_values')
        .values(
          chunk.map((p) => ({
            tenant_id: tenant.id,
            person_id: p.id,
            attr: 'emails',
            position: 0,
            type: 'work',
            value: p.userName,
            value_lc: p.userName,
            display: null,
            is_primary: 1,
          })),
        )
        .execute();
    }
    for (let g = 0; g < GROUPS; g += 500) {
      await trx
        .insertInto('groups')
        .values(
          Array.from({ length: Math.min(500, GROUPS - g) }, (_, k) => ({
            tenant_id: tenant.id,
            id: newUuid(),
            display_name: `Group ${g + k}`,
            display_name_lc: `group ${g + k}`,
            external_id: null,
            description: null,
            source: 'bench',
            version: 1,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
    }
  });
  await store.close();
  return people;
}

async function json(server: BenchServer, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** autocannon from this process against a server process: filter by a random existing userName. */
function filterLoad(url: string, token: string, userNames: string[]): Promise<CannonResult> {
  let n = 0;
  return autocannon({
    url,
    connections: 20,
    duration: 10,
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        setupRequest: (request: { path: string }) => {
          const userName = userNames[(n++ * 7919) % userNames.length] ?? '';
          request.path = `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;
          return request;
        },
      },
    ],
  });
}

async function runOn(label: string, env: Record<string, string>, databaseUrl: string | undefined) {
  const server = await startServer(env);
  try {
    const people = await seed(server, databaseUrl);
    const created = await json(server, server.token, 'POST', '/api/tokens', {
      name: 'bench',
      role: 'provisioning',
    });
    const token = String(created.token);
    const userNames = people.map((p) => p.userName);
    // Warm up, then measure.
    await filterLoad(server.url, token, userNames.slice(0, 1000)).catch(() => undefined);
    // CPU per request of the server process and of this (load-generating) process: on a machine
    // with few cores the two share them, which bounds the rate more than latency does.
    const serverCpu = cpuMsOf(server.process.pid);
    const cannonCpu = process.cpuUsage();
    const load = await filterLoad(server.url, token, userNames);
    const serverCpuMs = (cpuMsOf(server.process.pid) ?? Number.NaN) - (serverCpu ?? Number.NaN);
    const { user, system } = process.cpuUsage(cannonCpu);
    const perRequestUs = (ms: number) => ((ms * 1000) / Math.max(1, load.requests.total)).toFixed(0);
    const sample = await fetch(
      `${server.url}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userNames[5] ?? ''}"`)}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    const answerBytes = (await sample.arrayBuffer()).byteLength;
    const patchMs: number[] = [];
    for (let round = 0; round < 5; round++) {
      const group = await json(server, token, 'POST', '/scim/v2/Groups', { displayName: `Bench ${round}` });
      const members = people.slice(round * 1000, round * 1000 + 1000).map((p) => ({ value: p.id }));
      const started = performance.now();
      await json(server, token, 'PATCH', `/scim/v2/Groups/${String(group.id)}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: members }],
      });
      patchMs.push(performance.now() - started);
    }
    process.stdout.write(
      `\n${label}: ${USERS} users, ${GROUPS} groups\n` +
        `  GET /Users?filter=userName eq "…"  ${Math.round(load.requests.average)} req/s  p50 ${load.latency.p50} ms  p99 ${load.latency.p99} ms  (${load.requests.total} requests, ${load.non2xx} non-2xx, ${load.errors} errors)\n` +
        `    CPU per request: server ${perRequestUs(serverCpuMs)} µs, autocannon ${perRequestUs((user + system) / 1000)} µs\n` +
        `  PATCH add 1,000 members            median ${median(patchMs).toFixed(1)} ms  (5 runs: ${patchMs.map((m) => m.toFixed(0)).join(', ')})\n`,
    );
    return { load, people, answerBytes };
  } finally {
    await server.stop();
  }
}

/** Spawns a bench server script (`tsx`) on a free port and resolves once it prints its first line. */
async function spawnReference(script: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(port), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return { url: `http://127.0.0.1:${port}`, child };
}

/** The same load against node:http answering a fixed body of Sightline's size (ceiling-server.ts). */
async function runCeiling(answerBytes: number, userNames: string[]): Promise<CannonResult> {
  const { url, child } = await spawnReference('bench/ceiling-server.ts', [String(answerBytes)]);
  try {
    await filterLoad(url, 'any', userNames.slice(0, 1000)).catch(() => undefined);
    return await filterLoad(url, 'any', userNames);
  } finally {
    child.kill('SIGTERM');
  }
}

async function runScimmy(people: { id: string; userName: string }[]): Promise<CannonResult> {
  const file = join(tmpdir(), `scimmy-users-${process.pid}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      people.map((p, i) => ({
        id: p.id,
        userName: p.userName,
        name: { givenName: `Given${i}`, familyName: `Family${i}` },
        emails: [{ value: p.userName, type: 'work', primary: true }],
        active: true,
      })),
    ),
  );
  const { url, child } = await spawnReference('bench/scimmy-server.ts', [file]);
  try {
    return await filterLoad(
      url,
      'any',
      people.map((p) => p.userName),
    );
  } finally {
    child.kill('SIGTERM');
  }
}

/** `npm run bench -- scim [--only sqlite|postgres]`: SCIM filter throughput, group PATCH, vs SCIMMY. */
export async function run(args: string[]): Promise<void> {
  const only = args[args.indexOf('--only') + 1];
  let sqlite: CannonResult | undefined;
  let people: { id: string; userName: string }[] = [];
  let answerBytes = 0;
  // One HTTP process, then HTTP_PROCESSES=2 (a primary running jobs and two processes answering).
  const runs = [1, 2].map((n) => ({
    n,
    env: (n === 1 ? {} : { HTTP_PROCESSES: String(n) }) as Record<string, string>,
    suffix: n === 1 ? '' : `, ${n} HTTP processes`,
  }));
  let sqliteMulti: CannonResult | undefined;
  if (only !== 'postgres') {
    for (const { n, env, suffix } of runs) {
      const result = await runOn(`SQLite (embedded)${suffix}`, env, undefined);
      if (n === 1) ({ load: sqlite, people, answerBytes } = result);
      else sqliteMulti = result.load;
    }
    // The same with a page cache that holds the directory (README: SQLITE_CACHE_MB).
    await runOn(
      'SQLite (embedded), 2 HTTP processes, SQLITE_CACHE_MB=64',
      {
        HTTP_PROCESSES: '2',
        SQLITE_CACHE_MB: '64',
      },
      undefined,
    );
  }
  if (only !== 'sqlite') {
    for (const { env, suffix } of runs) {
      // A fresh cluster for each run: the seed writes straight into an empty database.
      const pg = await startPostgres();
      if (!pg) {
        process.stdout.write('\nPostgreSQL binaries not found: skipping the PostgreSQL runs\n');
        break;
      }
      try {
        const result = await runOn(`PostgreSQL 15${suffix}`, { DATABASE_URL: pg.url, ...env }, pg.url);
        if (!sqlite) ({ people, answerBytes } = result);
      } finally {
        pg.stop();
      }
    }
  }
  const ceiling = await runCeiling(
    answerBytes,
    people.map((p) => p.userName),
  );
  process.stdout.write(
    `\nCeiling (node:http answering a fixed ${answerBytes}-byte body, no work; same load): ${Math.round(ceiling.requests.average)} req/s  p50 ${ceiling.latency.p50} ms  p99 ${ceiling.latency.p99} ms\n`,
  );
  if (sqlite && ceiling.requests.average > 0) {
    process.stdout.write(
      `share of the ceiling, Sightline (SQLite): ${((100 * sqlite.requests.average) / ceiling.requests.average).toFixed(0)}%` +
        (sqliteMulti
          ? `; with 2 HTTP processes: ${((100 * sqliteMulti.requests.average) / ceiling.requests.average).toFixed(0)}%`
          : '') +
        '\n',
    );
  }
  const scimmy = await runScimmy(people);
  process.stdout.write(
    `\nSCIMMY (scimmy + scimmy-routers, in memory, same ${USERS} users): ${Math.round(scimmy.requests.average)} req/s  p50 ${scimmy.latency.p50} ms  p99 ${scimmy.latency.p99} ms  (${scimmy.non2xx} non-2xx)\n`,
  );
  if (sqlite && scimmy.requests.average > 0) {
    process.stdout.write(
      `ratio Sightline (SQLite) / SCIMMY: ${(sqlite.requests.average / scimmy.requests.average).toFixed(1)}×\n`,
    );
  }
}
