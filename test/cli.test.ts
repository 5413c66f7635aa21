import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PushOptions, push } from '../src/cli/push.js';
import { createInstance, createToken, startTestApp, type TestApp } from './helpers/app.js';
import { testDb } from './helpers/db.js';

// The CLI is transport-level; one store is enough.
describe.skipIf(testDb !== 'sqlite')('sightline CLI', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp({ PORT: '0' }); // any free port: 8080 may be taken (npm start)
    url = await t.app.listen();
  });
  afterAll(() => t.close());

  /** Runs the CLI without blocking this process, whose server the command may be calling. */
  const cli = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', ...args],
        { env: { ...process.env, ...t.env, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 },
        (error, stdout, stderr) => resolve({ status: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  const newInstance = (appName: string) => createInstance(t, appName);
  const fileOf = (name: string, content: string) => {
    const file = join(t.env.DATA_DIR ?? '', name);
    writeFileSync(file, content);
    return file;
  };
  const pushOptions = (options: Pick<PushOptions, 'token' | 'instance' | 'file'> & Partial<PushOptions>) => ({
    url,
    entity: 'users',
    kind: 'snapshots' as const,
    pageSize: 1000,
    progress: false,
    ...options,
  });
  const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

  it('pushes a CSV file in pages through the HTTP API and reports the counts', async () => {
    const token = await createToken(t, 'integration');
    const instance = await createInstance(t, 'Linear');
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

  it('reports record errors by row; a refused page ends its sync or names it and the admin cancel', async () => {
    const token = await createToken(t, 'integration');
    const instance = await newInstance('Loom');
    const bad = fileOf('bad.csv', 'id,email\nu1,ok@acme.com\nu2,not-an-email\n');
    const good = fileOf('good.csv', 'id,email\nu1,ok@acme.com\n');
    // The integration token cannot end the sync: the error names it and the admin endpoint that can.
    const failure = await push(pushOptions({ token, instance, file: bad })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    const message = failure instanceof Error ? failure.message : '';
    expect(message).toMatch(/422[\s\S]*data\/1\/email/);
    const syncId = /sync (\S+) is left running and holds instance/.exec(message)?.[1] ?? '';
    expect(message).toContain(`an admin frees it with POST /api/syncs/${syncId}/cancel`);
    const left = await t.request({
      method: 'GET',
      url: `/v2/integrations-sync/instances/${instance}/syncs/${syncId}`,
      token,
    });
    expect(left.json<{ data: { status: string } }>().data.status).toBe('running');
    const cancelled = await t.request({
      method: 'POST',
      url: `/api/syncs/${syncId}/cancel`,
      token: t.ownerToken,
    });
    expect(cancelled.statusCode).toBe(200);
    expect((await push(pushOptions({ token, instance, file: good }), quiet)).status).toBe('finished');
    // A token holding sync:approve ends its own sync: the instance is free for the next push.
    await expect(push(pushOptions({ token: t.ownerToken, instance, file: bad }))).rejects.toThrow(
      /422[\s\S]*sync \S+ was cancelled; nothing was applied/,
    );
    expect((await push(pushOptions({ token, instance, file: good }), quiet)).status).toBe('finished');
  });

  it('checks the entity and reads the whole file before it creates a sync', async () => {
    const token = await createToken(t, 'integration');
    const instance = await newInstance('Notion');
    const failures: [Partial<PushOptions> & { file: string }, RegExp][] = [
      [
        { file: fileOf('w.csv', 'id,name\nw1,W\n'), entity: 'widgets' },
        /unknown --entity 'widgets': snapshot entities are users, applications, .*\(with --facts: activities, transactions\)/,
      ],
      [
        { file: fileOf('f.csv', 'id,email\nu1,a@b.co\n'), kind: 'facts' },
        /--facts takes --entity activities or transactions, not 'users'/,
      ],
      [{ file: fileOf('broken.json', '[{"id": "u1" "email": "a@b.co"}]') }, /broken\.json: not valid JSON/],
      [
        { file: fileOf('late.ndjson', '{"id":"u1","email":"a@b.co"}\n{oops\n') },
        /late\.ndjson:2: not valid JSON/,
      ],
      [
        { file: fileOf('object.json', '{"id": "u1", "email": "a@b.co"}') },
        /object\.json: expected a JSON array/,
      ],
      [{ file: join(t.env.DATA_DIR ?? '', 'missing.csv') }, /cannot read .*missing\.csv: no such file/],
    ];
    // A good first page then a broken line: the old push had uploaded page 1 and left the sync.
    const late = [...Array.from({ length: 3 }, (_, i) => `{"id":"u${i}","email":"u${i}@b.co"}`), '{oops'];
    failures.push([{ file: fileOf('late2.ndjson', `${late.join('\n')}\n`), pageSize: 2 }, /late2\.ndjson:4/]);
    for (const [options, error] of failures)
      await expect(push(pushOptions({ token, instance, ...options }))).rejects.toThrow(error);
    // No sync was left running: the next push is not answered 409.
    const good = fileOf('fine.csv', 'id,email\nu1,ok@acme.com\n');
    expect((await push(pushOptions({ token, instance, file: good }), quiet)).status).toBe('finished');
  });

  it('answers a missing file in one line, exit code 1, and creates no sync', async () => {
    const token = await createToken(t, 'integration');
    const instance = await newInstance('Figma');
    const missing = join(t.env.DATA_DIR ?? '', 'nonexistent.csv');
    const result = await cli([
      'push',
      '--instance',
      instance,
      '--entity',
      'users',
      '--url',
      url,
      '--token',
      token,
      missing,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`cannot read ${missing}: no such file\n`);
    const good = fileOf('figma.csv', 'id,email\nu1,ok@acme.com\n');
    expect((await push(pushOptions({ token, instance, file: good }), quiet)).status).toBe('finished');
  });

  it('token create refuses an empty name and an expiry that is not a zoned ISO 8601 date-time', async () => {
    for (const args of [
      ['--name', ''],
      ['--expires-at', 'yesterday'],
      ['--expires-at', '2027-01-01'],
      ['--expires-at', '2027-01-01T00:00:00'],
      ['--expires-at', '2027-02-30T00:00:00Z'],
    ]) {
      const result = await cli(['token', 'create', '--role', 'viewer', ...args]);
      expect(result.status, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        args[0] === '--name'
          ? /'--name <name>' argument '' is invalid\. the name must not be empty/
          : /'--expires-at <iso>' argument .* is invalid\. expected an ISO 8601 date-time with a time zone/,
      );
    }
    const created = await cli([
      'token',
      'create',
      '--role',
      'viewer',
      '--name',
      'zoned',
      '--expires-at',
      '2030-01-01T09:00:00+02:00',
    ]);
    expect(created.status).toBe(0);
    const tokens = await t.request({ method: 'GET', url: '/api/tokens', token: t.ownerToken });
    const listed = tokens.json<{ tokens: { name: string; expiresAt: string | null }[] }>().tokens;
    expect(listed.find((x) => x.name === 'zoned')?.expiresAt).toBe('2030-01-01T07:00:00.000Z');
    const names = listed.map((x) => x.name);
    expect(names).not.toContain('');
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
