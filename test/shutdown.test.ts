import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/platform/db/db.js';
import { testDb } from './helpers/db.js';
import { freePort, sleep } from './helpers/net.js';
import { tempDir } from './helpers/temp-dir.js';

/** Resolves with the error code of a new TCP connection to the port ('connected' if it was accepted). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** A POST whose body arrives in two parts: in flight on the server until `finish()` sends the rest. */
function slowPost(port: number, path: string, token: string, body: string) {
  const bytes = Buffer.from(body);
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': bytes.length,
    },
  });
  let settled = false;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        settled = true;
        resolve({ status: res.statusCode ?? 0, body: text });
      });
    });
    req.on('error', (error) => {
      settled = true;
      reject(error);
    });
  });
  const half = Math.floor(bytes.length / 2);
  req.write(bytes.subarray(0, half));
  return {
    response,
    isSettled: () => settled,
    finish: () => req.end(bytes.subarray(half)),
  };
}

// One process start is slow enough; PostgreSQL shutdown runs the same App.close().
describe.skipIf(testDb === 'postgres')('graceful shutdown on SIGTERM', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  /** `sightline serve` in a child process, started and healthy. */
  async function serve(extraEnv: Record<string, string> = {}) {
    const dataDir = tempDir('sightline-shutdown');
    const token = `sl_${randomBytes(32).toString('base64url')}`;
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        SIGHTLINE_ADMIN_TOKEN: token,
        ALLOW_PRIVATE_WEBHOOK_URLS: 'true',
        JOBS_POLL_MS: '50',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    // Logs (JSON lines on stdout) and anything on stderr, together.
    const output = { text: '' };
    const collect = (chunk: Buffer) => {
      output.text += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (
        await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 400 || child.exitCode !== null) throw new Error(`server did not start: ${output.text}`);
      await sleep(50);
    }
    return { dataDir, token, port, url, child, output, exited };
  }

  it('finishes in-flight requests and jobs, refuses new connections, closes the database, exits 0', async () => {
    const { dataDir, token, port, url, child, output, exited } = await serve();
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return {
        status: r.status,
        body: (await r.json()) as { data: { id: string; status: string; phase: string } },
      };
    };

    // A sync whose finish (a job the finish request waits for) will be running at SIGTERM.
    const instance = (await call('POST', '/api/instances', { appName: 'Shutdown' })).body.data.id;
    const syncs = `/v2/integrations-sync/instances/${instance}/syncs`;
    const sync = (await call('POST', syncs)).body.data.id;
    for (let page = 1; page <= 10; page++) {
      const data = Array.from({ length: 1000 }, (_, i) => {
        const n = (page - 1) * 1000 + i;
        return { id: `u${n}`, email: `p${n}@shutdown.test`, name: `P ${n}`, role: 'member' };
      });
      const pushed = await call('POST', `${syncs}/${sync}/data/snapshots`, { entity: 'users', page, data });
      expect(pushed.status).toBeLessThan(300);
    }

    const slow = slowPost(
      port,
      '/api/instances',
      token,
      JSON.stringify({ appName: 'Arrived during shutdown' }),
    );
    let finishSettled = false;
    const finish = call('POST', `${syncs}/${sync}/finish`).finally(() => {
      finishSettled = true;
    });
    for (let i = 0; (await call('GET', `${syncs}/${sync}`)).body.data.phase === 'receiving'; i++) {
      if (i > 200) throw new Error('finish was never requested');
      await sleep(10);
    }

    expect(finishSettled, 'the finish request is in flight at SIGTERM').toBe(false);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    await sleep(300);
    expect(child.exitCode, 'still finishing in-flight work').toBeNull();
    expect(slow.isSettled()).toBe(false);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');

    slow.finish();
    const created = await slow.response;
    expect(created.status, created.body).toBe(201);
    const finished = await finish;
    expect(finishSettled).toBe(true);
    expect(finished.status).toBe(200);
    expect(finished.body.data.status).toBe('finished');

    const exit = await exited;
    expect(exit, output.text).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalledAt).toBeLessThan(10_000);

    // Closed cleanly: the WAL was checkpointed into the database and the data is all there.
    const wal = join(dataDir, 'sightline.db-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0, 'WAL checkpointed on close').toBe(true);
    const store = openStore({ dataDir });
    try {
      expect(await store.isReady()).toBe(true);
      const tenants = await store.db.selectFrom('tenants').select('slug').execute();
      expect(tenants.map((t) => t.slug)).toContain('default');
      const row = await store.db
        .selectFrom('syncs')
        .select('status')
        .where('id', '=', sync)
        .executeTakeFirst();
      expect(row?.status).toBe('finished');
      const apps = await store.db.selectFrom('apps').select('name').execute();
      expect(apps.map((a) => a.name)).toContain('Arrived during shutdown');
    } finally {
      await store.close();
    }
  }, 60_000);

  it('exits with 1 when in-flight work outlasts SHUTDOWN_GRACE_MS, and at once on a second signal', async () => {
    for (const second of [false, true]) {
      // The grace is long enough for the second signal to be what ends the process.
      const { token, port, child, output, exited } = await serve({
        SHUTDOWN_GRACE_MS: second ? '60000' : '500',
      });
      // A request that never completes holds the server's close() open.
      const stuck = slowPost(port, '/api/instances', token, JSON.stringify({ appName: 'Never sent' }));
      stuck.response.catch(() => undefined);
      await sleep(100);
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      await sleep(300);
      expect(child.exitCode, 'waiting for the in-flight request').toBeNull();
      if (second) child.kill('SIGINT');
      const exit = await exited;
      expect(exit, output.text).toMatchObject({ code: 1, signal: null });
      expect(exit.at - signalledAt).toBeLessThan(5_000);
      expect(output.text).toContain(
        second ? 'SIGINT received again' : 'in-flight work outlasted SHUTDOWN_GRACE_MS (500 ms)',
      );
    }
  }, 60_000);
});
