import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { freshStoreEnv, skipPostgres } from './helpers/db.js';
import type { Obj } from './helpers/iam.js';
import { freePort, sleep } from './helpers/net.js';

/** The process ids of a process's children (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Obj;
}

/** One request on a connection of its own, so the cluster's round robin hands it to the next process. */
function once(port: number, method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text && res.headers['content-type']?.includes('json') ? JSON.parse(text) : text,
          }),
        );
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.end(payload);
  });
}

describe.skipIf(skipPostgres)('serve with HTTP_PROCESSES=2', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) {
      for (const pid of child.pid ? childrenOf(child.pid) : []) process.kill(pid, 'SIGKILL');
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('shares the port, the rate limits, token revocation and the job queue; replaces a dead process; stops on SIGTERM', async () => {
    const owner = `sl_${randomBytes(32).toString('base64url')}`;
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: {
        ...process.env,
        ...(await freshStoreEnv()),
        PORT: String(port),
        LOG_LEVEL: 'warn',
        HTTP_PROCESSES: '2',
        SIGHTLINE_ADMIN_TOKEN: owner,
        SIGHTLINE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        // Each token may make 6 requests a minute, whichever process answers them.
        RATE_LIMIT_MAX: '6',
        // The primary polls for jobs once a minute: a finish that completes in seconds was woken.
        JOBS_POLL_MS: '60000',
        SYNC_FINISH_WAIT_MS: '30000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    for (let i = 0; !output.includes('with 2 HTTP processes'); i++) {
      if (i > 600 || child.exitCode !== null) throw new Error(`server did not start: ${output}`);
      await sleep(50);
    }
    const pid = child.pid ?? 0;
    const httpPids = childrenOf(pid);
    expect(httpPids).toHaveLength(2);

    const newToken = async (role: string) => {
      const made = await once(port, 'POST', '/api/tokens', owner, { name: `t-${role}`, role });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      return { token: String(made.body.token), id: String(made.body.tokenInfo.id) };
    };

    // One budget across both processes: 6 of 10 requests pass (each process alone would pass 10).
    const limited = await newToken('viewer');
    const answers: Answer[] = [];
    for (let i = 0; i < 10; i++) answers.push(await once(port, 'GET', '/api/tenant', limited.token));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429, 429]);
    expect(Number(answers[6]?.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.stringify(answers[6]?.body)).toContain('Rate limit of 6 requests');

    // A token revoked through one process is refused by every process at once.
    const revoked = await newToken('viewer');
    expect((await once(port, 'GET', '/api/tenant', revoked.token)).status).toBe(200);
    expect((await once(port, 'DELETE', `/api/tokens/${revoked.id}`, owner)).status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await once(port, 'GET', '/api/tenant', revoked.token)).status).toBe(401);

    // A sync finished through an HTTP process is applied by the primary's job runner, woken at once.
    const syncer = await newToken('admin');
    const instance = await once(port, 'POST', '/api/instances', syncer.token, { appName: 'Processes' });
    expect(instance.status, JSON.stringify(instance.body)).toBe(201);
    const syncs = `/v2/integrations-sync/instances/${instance.body.data.id}/syncs`;
    const sync = (await once(port, 'POST', syncs, syncer.token)).body.data.id;
    const data = [{ id: 'u1', email: 'one@processes.test', name: 'One', role: 'member' }];
    const page = await once(port, 'POST', `${syncs}/${sync}/data/snapshots`, syncer.token, {
      entity: 'users',
      page: 1,
      data,
    });
    expect(page.status).toBeLessThan(300);
    const startedAt = Date.now();
    const finished = await once(port, 'POST', `${syncs}/${sync}/finish`, syncer.token);
    expect(finished.status, JSON.stringify(finished.body)).toBe(200);
    expect(finished.body.data.status).toBe('finished');
    expect(Date.now() - startedAt).toBeLessThan(20_000);

    // A killed HTTP process is replaced; the other one answers meanwhile. (A connection the primary
    // hands over in the instant before it sees the death is lost with the process.)
    const [victim] = httpPids;
    process.kill(victim ?? 0, 'SIGKILL');
    for (let i = 0; !output.includes('HTTP process exited; starting another'); i++) {
      if (i > 200) throw new Error(`the primary did not see the death: ${output}`);
      await sleep(10);
    }
    const reader = await newToken('viewer');
    for (let i = 0; i < 3; i++)
      expect((await once(port, 'GET', '/api/tenant', reader.token)).status).toBe(200);
    for (let i = 0; ; i++) {
      const now = childrenOf(pid);
      if (now.length === 2 && !now.includes(victim ?? 0)) break;
      if (i > 400) throw new Error(`no replacement process: ${now.join(', ')}\n${output}`);
      await sleep(50);
    }

    // SIGTERM to the primary stops the HTTP processes, then itself; all exit cleanly.
    const last = childrenOf(pid);
    await sleep(3000); // the replacement finishes starting
    child.kill('SIGTERM');
    expect(await exited, output).toMatchObject({ code: 0, signal: null });
    for (const httpPid of last) expect(() => process.kill(httpPid, 0)).toThrow();
  }, 120_000);
});
