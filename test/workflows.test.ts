import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Obj = Record<string, any>;
const SCIM = 'application/scim+json';

/** A local HTTP receiver; `respond` picks the status of the n-th request (1-based). */
async function receiver(respond: (n: number) => number = () => 200) {
  const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(respond(requests.length)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('workflows: onboarding and offboarding', () => {
  let t: TestApp;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    t = await startTestApp({ SIGHTLINE_PUBLIC_URL: 'https://sightline.example/' }, undefined, {
      workflowBackoffMs: 50,
      workflowRetryLimit: 2,
    });
    await t.app.queue.start();
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await t.close();
  });

  const json = (res: TestResponse, status = 200): Obj => {
    expect(res.statusCode, res.body).toBe(status);
    return res.json<Obj>();
  };
  const api = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    token = t.ownerToken,
  ) => t.request({ method, url, token, ...(payload === undefined ? {} : { payload: payload as object }) });
  const scim = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    t.request({
      method,
      url: `/scim/v2${url}`,
      token: t.ownerToken,
      headers: { 'content-type': SCIM },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const addMember = async (groupId: string, personId: string) =>
    json(
      await scim('PATCH', `/Groups/${groupId}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: [{ value: personId }] }],
      }),
      200,
    );
  const group = async (displayName: string) =>
    json(
      await scim('POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName,
      }),
      201,
    ).id as string;
  const user = async (userName: string, title: string) =>
    json(
      await scim('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        title,
        emails: [{ value: userName, primary: true }],
      }),
      201,
    ).id as string;
  const groupsOf = async (personId: string) =>
    (
      await t.app.store.db
        .selectFrom('group_members')
        .select('group_id')
        .where('person_id', '=', personId)
        .execute()
    ).map((r) => r.group_id);
  /** The executions of one person (of one workflow, if given), once none is pending or running. */
  async function settled(userId: string, count: number, workflowId?: string): Promise<Obj[]> {
    const only = workflowId ? `&workflowId=${workflowId}` : '';
    // pg-boss retries after whole seconds (1 s, 2 s, …): allow for a few.
    for (let i = 0; i < 600; i++) {
      await t.app.outbox.relay();
      const res = await api(
        'GET',
        `/v1.1/workflows/actionExecutions?userId=${userId}${only}&sort=id&size=100`,
      );
      const rows = json(res).data as Obj[];
      if (rows.length >= count && rows.every((r) => r.status !== 'pending' && r.status !== 'running')) {
        expectContract('torii-v1.openapi.yaml', 'get', '/workflows/actionExecutions', res);
        return rows;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`executions of ${userId} did not settle`);
  }

  it('onboarding: a new engineer joins the group and an outside system hears of it, signed', async () => {
    const hook = await receiver();
    closers.push(hook.close);
    const engineering = await group('Engineering');
    const created = json(
      await api('POST', '/api/workflows', {
        name: 'Engineer onboarding',
        trigger: 'user.created',
        condition: 'title eq "Engineer"',
        actions: [
          { type: 'add_to_group', groupId: engineering },
          { type: 'http_request', url: hook.url },
        ],
      }),
      201,
    );
    expect(created.secret).toMatch(/^whsec_/);
    const ada = await user('ada@acme.test', 'Engineer');
    const runs = await settled(ada, 2);
    expect(runs.map((r) => [r.actionType, r.status])).toEqual([
      ['add_to_group', 'completed'],
      ['http_request', 'completed'],
    ]);
    expect(runs[0]).toMatchObject({
      workflowId: created.workflow.id,
      eventType: 'user.created',
      attempts: 1,
    });
    expect(runs[0]?.completedAt).toEqual(expect.any(String));
    expect(await groupsOf(ada)).toEqual([engineering]);
    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    const headers = Object.fromEntries(
      Object.entries(request?.headers ?? {}).map(([k, v]) => [k, String(v)]),
    );
    const message = new Webhook(created.secret).verify(request?.body ?? '', headers) as Obj;
    expect(message).toMatchObject({
      type: 'workflow.action',
      data: {
        workflow: { id: created.workflow.id, name: 'Engineer onboarding' },
        event: { type: 'user.created' },
        user: { id: ada, userName: 'ada@acme.test', title: 'Engineer' },
      },
    });
    // The group change was made by the workflow and audited as such.
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_name'])
      .where('target_id', '=', engineering)
      .where('actor_name', 'like', 'workflow %')
      .execute();
    expect(audit.length).toBeGreaterThan(0);

    // Someone the condition does not match: the run is skipped, nothing changes.
    const bob = await user('bob@acme.test', 'Sales');
    const skipped = await settled(bob, 2);
    expect(skipped.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(skipped[0]?.error).toBe('condition not met');
    expect(await groupsOf(bob)).toEqual([]);
    expect(hook.requests).toHaveLength(1);
  });

  it('offboarding: a deactivated person leaves every group', async () => {
    const a = await group('Offboard A');
    const b = await group('Offboard B');
    const cleo = await user('cleo@acme.test', 'Analyst');
    for (const g of [a, b])
      json(
        await scim('PATCH', `/Groups/${g}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: 'members', value: [{ value: cleo }] }],
        }),
        200,
      );
    expect((await groupsOf(cleo)).sort()).toEqual([a, b].sort());
    json(
      await api('POST', '/api/workflows', {
        name: 'Offboarding',
        trigger: 'user.deactivated',
        actions: [{ type: 'remove_from_group', groupId: '*' }],
      }),
      201,
    );
    json(
      await scim('PATCH', `/Users/${cleo}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { active: false } }],
      }),
      200,
    );
    const runs = (await settled(cleo, 1)).filter((r) => r.eventType === 'user.deactivated');
    expect(runs.map((r) => r.status)).toEqual(['completed']);
    expect(await groupsOf(cleo)).toEqual([]);
  });

  it('offboarding runs for a SCIM DELETE as for active=false: the deleted person is still found', async () => {
    const hook = await receiver();
    closers.push(hook.close);
    const g = await group('Leavers group');
    const finn = await user('finn@acme.test', 'Leaver');
    await addMember(g, finn);
    const created = json(
      await api('POST', '/api/workflows', {
        name: 'Leaver offboarding',
        trigger: 'user.deactivated',
        // The condition is evaluated on the deleted person too.
        condition: 'title eq "Leaver"',
        actions: [
          { type: 'remove_from_group', groupId: '*' },
          { type: 'http_request', url: hook.url },
        ],
      }),
      201,
    );
    expect((await scim('DELETE', `/Users/${finn}`)).statusCode).toBe(204);
    const runs = await settled(finn, 2, created.workflow.id);
    expect(runs.map((r) => [r.actionType, r.status, r.error ?? null])).toEqual([
      // The DELETE already removed the memberships: nothing left to remove is a success.
      ['remove_from_group', 'completed', null],
      ['http_request', 'completed', null],
    ]);
    expect(await groupsOf(finn)).toEqual([]);
    expect(hook.requests).toHaveLength(1);
    const message = new Webhook(created.secret).verify(
      hook.requests[0]?.body ?? '',
      Object.fromEntries(Object.entries(hook.requests[0]?.headers ?? {}).map(([k, v]) => [k, String(v)])),
    ) as Obj;
    expect(message.data.event).toMatchObject({ type: 'user.deactivated', payload: { deleted: true } });
    expect(message.data.user).toMatchObject({
      id: finn,
      userName: 'finn@acme.test',
      title: 'Leaver',
      active: false,
      emails: [{ value: 'finn@acme.test', primary: true }],
      // Relative: the runner has no public URL to make it absolute with.
      meta: { resourceType: 'User', location: `https://sightline.example/scim/v2/Users/${finn}` },
    });
    expect(message.data.user.groups).toBeUndefined();
  });

  it('http_request after remove_from_group posts the person as that action left them', async () => {
    const hook = await receiver();
    closers.push(hook.close);
    const [x, y] = [await group('Mover X'), await group('Mover Y')];
    const gus = await user('gus@acme.test', 'Analyst');
    await addMember(x, gus);
    await addMember(y, gus);
    const created = json(
      await api('POST', '/api/workflows', {
        name: 'Mover cleanup',
        trigger: 'user.updated',
        condition: 'title eq "Mover"',
        actions: [
          { type: 'remove_from_group', groupId: '*' },
          { type: 'http_request', url: hook.url },
        ],
      }),
      201,
    );
    json(
      await scim('PATCH', `/Users/${gus}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'title', value: 'Mover' }],
      }),
      200,
    );
    const runs = await settled(gus, 2, created.workflow.id);
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(await groupsOf(gus)).toEqual([]);
    expect(hook.requests).toHaveLength(1);
    const message = JSON.parse(hook.requests[0]?.body ?? '{}') as Obj;
    expect(message.data.user).toMatchObject({ id: gus, title: 'Mover', active: true });
    expect(message.data.user.groups).toBeUndefined();
  });

  it('a failing action is retried, then marked failed; the actions after it are skipped', async () => {
    const flaky = await receiver((n) => (n === 1 ? 503 : 200));
    const down = await receiver(() => 500);
    closers.push(flaky.close, down.close);
    const after = await group('After failure');
    json(
      await api('POST', '/api/workflows', {
        name: 'Flaky then down',
        trigger: 'user.created',
        condition: 'title eq "Contractor"',
        actions: [
          { type: 'http_request', url: flaky.url },
          { type: 'http_request', url: down.url },
          { type: 'add_to_group', groupId: after },
        ],
      }),
      201,
    );
    const dee = await user('dee@acme.test', 'Contractor');
    const runs = (await settled(dee, 3)).filter((r) => r.workflowId !== undefined);
    const mine = runs.filter((r) => r.actionType !== 'add_to_group' || r.status !== 'completed');
    expect(mine.map((r) => [r.actionType, r.status])).toEqual(
      expect.arrayContaining([
        ['http_request', 'completed'],
        ['http_request', 'failed'],
        ['add_to_group', 'skipped'],
      ]),
    );
    const failed = runs.find((r) => r.status === 'failed');
    expect(failed).toMatchObject({ attempts: 3, error: expect.stringContaining('HTTP 500') });
    expect(flaky.requests).toHaveLength(2);
    expect(down.requests).toHaveLength(3);
    expect(await groupsOf(dee)).not.toContain(after);
  });

  it('checks a definition whole: 400s naming each field, 409 for a taken name, audited changes', async () => {
    const bad = await api('POST', '/api/workflows', {
      name: '',
      trigger: 'user.exploded',
      condition: 'noSuchAttribute eq "x"',
      actions: [
        { type: 'teleport' },
        { type: 'add_to_group', groupId: 'missing' },
        { type: 'http_request', url: 'ftp://x' },
      ],
    });
    expect(bad.statusCode).toBe(400);
    const problems = bad.json<Obj>().error.details.problems.map((p: Obj) => p.field);
    expect(problems).toEqual([
      'name',
      'trigger',
      'condition',
      'actions[0].type',
      'actions[1].groupId',
      'actions[2].url',
    ]);
    const ok = json(
      await api('POST', '/api/workflows', {
        name: 'Checked',
        trigger: 'user.reactivated',
        actions: [{ type: 'remove_from_group', groupId: '*' }],
      }),
      201,
    );
    const id = ok.workflow.id;
    expect(
      (
        await api('POST', '/api/workflows', {
          name: 'checked',
          trigger: 'user.created',
          actions: [{ type: 'remove_from_group', groupId: '*' }],
        })
      ).statusCode,
    ).toBe(409);
    expect(json(await api('PATCH', `/api/workflows/${id}`, { enabled: false })).enabled).toBe(false);
    expect((await api('PATCH', `/api/workflows/${id}`, { actions: [] })).statusCode).toBe(400);
    expect(json(await api('GET', '/api/workflows')).workflows.map((w: Obj) => w.name)).toContain('Checked');
    expect((await api('DELETE', `/api/workflows/${id}`)).statusCode).toBe(204);
    expect((await api('GET', `/api/workflows/${id}`)).statusCode).toBe(404);
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select('action')
      .where('target_id', '=', id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['workflow.created', 'workflow.updated', 'workflow.deleted']);
  });

  it('a disabled workflow does not run; another tenant sees neither workflows nor executions', async () => {
    const other = json(
      await api('POST', '/api/tenants', { name: 'Workflows Two', slug: 'workflows-two' }),
      201,
    );
    expect(json(await api('GET', '/api/workflows', undefined, other.ownerToken)).workflows).toEqual([]);
    expect(
      json(await api('GET', '/v1.0/workflows/actionExecutions', undefined, other.ownerToken)).data,
    ).toEqual([]);
    const mine = json(await api('GET', '/api/workflows')).workflows[0];
    expect((await api('GET', `/api/workflows/${mine.id}`, undefined, other.ownerToken)).statusCode).toBe(404);
    const quiet = json(
      await api('POST', '/api/workflows', {
        name: 'Quiet',
        trigger: 'user.created',
        condition: 'title eq "Quiet"',
        enabled: false,
        actions: [{ type: 'remove_from_group', groupId: '*' }],
      }),
      201,
    );
    const eve = await user('eve@acme.test', 'Quiet');
    await t.app.outbox.relay();
    const runs = json(
      await api('GET', `/v1.1/workflows/actionExecutions?workflowId=${quiet.workflow.id}`),
    ).data;
    expect(runs).toEqual([]);
    expect(eve).toEqual(expect.any(String));
  });

  it("an app account turning inactive in a push-sync does not offboard the person (only the person's own deactivation does)", async () => {
    const wiki = await group('Wiki editors');
    const dana = await user('dana@acme.test', 'Writer');
    await addMember(wiki, dana);
    const offboarding = json(
      await api('POST', '/api/workflows', {
        name: 'Offboard Dana',
        trigger: 'user.deactivated',
        condition: 'userName eq "dana@acme.test"',
        actions: [{ type: 'remove_from_group', groupId: '*' }],
      }),
      201,
    ).workflow.id as string;
    // The control: an account change that does start a workflow, so the outbox has surely been read.
    const roles = json(
      await api('POST', '/api/workflows', {
        name: 'Dana role change',
        trigger: 'app_user.role_changed',
        condition: 'userName eq "dana@acme.test"',
        actions: [{ type: 'add_to_group', groupId: wiki }],
      }),
      201,
    ).workflow.id as string;
    const integration = json(
      await api('POST', '/api/tokens', { name: 'wiki sync', role: 'integration' }),
      201,
    ).token as string;
    const instance = json(await api('POST', '/api/instances', { appName: 'Wiki Tool' }), 201).data.id;
    const push = async (status: string, role: string) => {
      const base = `/v2/integrations-sync/instances/${instance}/syncs`;
      const sync = json(await api('POST', base, undefined, integration), 201).data.id;
      json(
        await api(
          'POST',
          `${base}/${sync}/data/snapshots`,
          { entity: 'users', page: 1, data: [{ id: 'w1', email: 'dana@acme.test', status, role }] },
          integration,
        ),
      );
      expect(json(await api('POST', `${base}/${sync}/finish`, undefined, integration)).data.status).toBe(
        'finished',
      );
    };
    await push('active', 'editor');
    await push('inactive', 'viewer');
    const runs = await settled(dana, 1, roles);
    expect(runs.map((r) => [r.actionType, r.status])).toEqual([['add_to_group', 'completed']]);
    const offboarded = json(
      await api('GET', `/v1.1/workflows/actionExecutions?userId=${dana}&workflowId=${offboarding}&size=100`),
    ).data;
    expect(offboarded).toEqual([]);
    expect(await groupsOf(dana)).toEqual([wiki]);
    for (const id of [offboarding, roles])
      json(await api('PATCH', `/api/workflows/${id}`, { enabled: false }));
  });
});
