import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { push } from '../src/cli/push.js';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { testDb } from './helpers/db.js';

// The CLI is transport-level; one store is enough.
describe.skipIf(testDb !== 'sqlite')('sightline CLI', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp();
    url = await t.app.listen();
  });
  afterAll(() => t.close());

  it('pushes a CSV file in pages through the HTTP API and reports the counts', async () => {
    const token = await createToken(t, 'integration');
    const created = await t.request({
      method: 'POST',
      url: '/api/instances',
      token: t.ownerToken,
      payload: { appName: 'Linear' },
    });
    const instance = created.json<{ data: { id: string } }>().data.id;
    const file = join(t.env.DATA_DIR ?? '', 'people.csv');
    const rows = ['id,email,name,role'];
    for (let i = 0; i < 2500; i++)
      rows.push(`u${i},person${i}@acme.com,Person ${i},${i % 2 ? 'admin' : 'member'}`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    const lines: string[] = [];
    const out = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
    const result = await push(
      { url, token, instance, entity: 'users', file, kind: 'snapshots', pageSize: 1000, progress: false },
      out,
    );
    expect(result.status).toBe('finished');
    expect(result.result?.entities.users).toMatchObject({ received: 2500, created: 2500 });
    expect(lines.join('')).toContain('uploaded 2500 records in 3 pages');
  });

  it('reports record errors by row and leaves nothing applied', async () => {
    const token = await createToken(t, 'integration');
    const created = await t.request({
      method: 'POST',
      url: '/api/instances',
      token: t.ownerToken,
      payload: { appName: 'Loom' },
    });
    const instance = created.json<{ data: { id: string } }>().data.id;
    const file = join(t.env.DATA_DIR ?? '', 'bad.csv');
    writeFileSync(file, 'id,email\nu1,ok@acme.com\nu2,not-an-email\n');
    await expect(
      push({
        url,
        token,
        instance,
        entity: 'users',
        file,
        kind: 'snapshots',
        pageSize: 1000,
        progress: false,
      }),
    ).rejects.toThrow(/422[\s\S]*data\/1\/email/);
  });

  it('creates a token from the command line that then authenticates', async () => {
    const secret = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'token', 'create', '--role', 'viewer', '--name', 'from-cli'],
      { env: { ...process.env, ...t.env, LOG_LEVEL: 'silent' }, encoding: 'utf8' },
    ).trim();
    expect(secret).toMatch(/^sl_[A-Za-z0-9_-]{43}$/);
    const me = await t.request({ method: 'GET', url: '/api/tenant', token: secret });
    expect(me.statusCode).toBe(200);
    const denied = await t.request({ method: 'GET', url: '/api/tokens', token: secret });
    expect(denied.statusCode).toBe(403);
  });

  it('creates an instance from the command line', () => {
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'instance', 'create', '--app', 'Okta'],
      {
        env: { ...process.env, ...t.env, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      },
    );
    expect(output.trim()).toMatch(/^ins_[0-9a-z]{26}$/);
  });
});
