import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { scim, userBody } from './helpers/scim.js';
import { tempDir } from './helpers/temp-dir.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

/**
 * Okta's SCIM 2.0 SPEC test (Runscope export converted for newman; see
 * test/fixtures/okta-scim/README.md for its origin and licence), run with `npx newman` against a
 * listening server. Every assertion must pass.
 */
describe('Okta SCIM 2.0 SPEC test (newman)', () => {
  let t: TestApp;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ PORT: '0' });
    baseUrl = await t.app.listen();
    token = await createToken(t, 'provisioning');
    // The suite reads the first user of the list: it must have a name, an email and `active`.
    const res = await scim(t, token, 'POST', '/Users', userBody('first.user@example.com'));
    expect(res.statusCode).toBe(201);
  });
  afterAll(() => t.close());

  it('passes 100%', async () => {
    const report = join(tempDir('sightline-newman'), 'report.json');
    const collection = join(root, 'test/fixtures/okta-scim/okta-spec.postman_collection.json');
    const result = await run(
      'npx',
      [
        '--no-install',
        'newman',
        'run',
        collection,
        '--env-var',
        `SCIMBaseURL=${baseUrl}/scim/v2`,
        '--env-var',
        `auth=Bearer ${token}`,
        '--reporters',
        'cli,json',
        '--reporter-json-export',
        report,
      ],
      { cwd: root, timeout: 120_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => error);
    const summary = JSON.parse(readFileSync(report, 'utf8')) as {
      run: {
        stats: { assertions: { total: number; failed: number }; requests: { total: number } };
        failures: unknown[];
      };
    };
    const output = `${(result as { stdout?: string }).stdout ?? ''}`;
    expect(summary.run.failures, output).toEqual([]);
    expect(summary.run.stats.requests.total).toBe(12);
    expect(summary.run.stats.assertions.total).toBe(53);
    expect(summary.run.stats.assertions.failed).toBe(0);
  }, 150_000);
});
