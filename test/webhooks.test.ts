import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { recordEvents } from '../src/modules/events/events.service.js';
import { loadConfig } from '../src/platform/config/config.js';
import { encryptSecret } from '../src/platform/crypto/crypto.js';
import { createToken, startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { expectAuthRules } from './helpers/auth-rules.js';
import { expectContract } from './helpers/contract.js';
import { freshStoreEnv, skipPostgres } from './helpers/db.js';

const C = 'zluri-sync-v2.openapi.yaml';
const LIST = '/webhooks';
const ONE = '/webhooks/{webhook_id}';
/** Retries in milliseconds, so a test sees several attempts (production waits 5 s ... 10 h). */
const FAST_RETRIES = [30, 30, 30];

interface WebhookBody {
  id: string;
  url: string;
  events: string[];
  status: string;
  secret?: string;
}
interface DeliveryBody {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  response_status: number | null;
  last_error: string | null;
}

/** Like startTestApp, with the app's webhook retry schedule injected. */
async function startAppWithFastRetries(): Promise<TestApp> {
  const ownerToken = `sl_${randomBytes(32).toString('base64url')}`;
  const env: Record<string, string> = {
    ...(await freshStoreEnv()),
    SIGHTLINE_ADMIN_TOKEN: ownerToken,
    SIGHTLINE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    JOBS_POLL_MS: '50',
    ALLOW_PRIVATE_WEBHOOK_URLS: 'true',
  };
  const app = await createApp(loadConfig(env), { webhookRetryScheduleMs: FAST_RETRIES });
  return {
    app,
    ownerToken,
    env,
    async request({ token, ...options }) {
      const headers = { ...(options.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
      const response = await app.server.inject({ ...options, headers });
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        json: <T>() => JSON.parse(response.body) as T,
      };
    },
    close: () => app.close(),
  };
}

interface Receiver {
  url: string;
  requests: { headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/** A local webhook receiver; `respond` picks the status for the n-th request (1-based). */
async function startReceiver(
  respond: (n: number) => number | Promise<number> = () => 200,
): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', async () => {
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = await respond(requests.length);
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'boom');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function asHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
  );
}

describe.skipIf(skipPostgres)('webhooks (push-sync v2)', () => {
  let t: TestApp;
  let token: string;
  let otherTenantToken: string;
  const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, as = token) =>
    t.request({
      method,
      url: `/v2${url}`,
      token: as,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  beforeAll(async () => {
    t = await startAppWithFastRetries();
    token = await createToken(t, 'integration');
    const other = await t.request({
      method: 'POST',
      url: '/api/tenants',
      token: t.ownerToken,
      payload: { name: 'Other Co' },
    });
    expect(other.statusCode).toBe(201);
    otherTenantToken = other.json<{ ownerToken: string }>().ownerToken;
  });
  afterAll(() => t.close());

  it('applies the auth rules to every webhook route', async () => {
    expect(await expectAuthRules(t, { prefix: '/v2/webhooks' })).toBe(7);
    const anonymous = await t.request({ method: 'GET', url: '/v2/webhooks' });
    expect(anonymous.statusCode).toBe(401);
    expectContract(C, 'GET', LIST, anonymous);
  });

  it('creates, lists, gets, updates and deletes a webhook per the contract', async () => {
    const created = await api('POST', '/webhooks', {
      url: 'https://hooks.example.com/sightline',
      events: ['user.created', 'user.deactivated', 'user.created'],
    });
    expect(created.statusCode).toBe(201);
    expectContract(C, 'POST', LIST, created);
    const hook = created.json<{ data: WebhookBody }>().data;
    expect(hook).toMatchObject({
      url: 'https://hooks.example.com/sightline',
      events: ['user.created', 'user.deactivated'],
      status: 'active',
    });
    expect(hook.id).toMatch(/^whk_/);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const stored = await t.app.store.db
      .selectFrom('webhooks')
      .select('secret')
      .where('id', '=', hook.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret).not.toContain(hook.secret?.slice(6));

    const list = await api('GET', '/webhooks');
    expectContract(C, 'GET', LIST, list);
    expect(list.json<{ data: WebhookBody[] }>().data.map((w) => w.id)).toContain(hook.id);
    expect(list.body).not.toContain('whsec_');

    const got = await api('GET', `/webhooks/${hook.id}`);
    expect(got.statusCode).toBe(200);
    expectContract(C, 'GET', ONE, got);
    expect(got.json<{ data: WebhookBody }>().data).not.toHaveProperty('secret');

    const updated = await api('PUT', `/webhooks/${hook.id}`, { events: ['*'], status: 'inactive' });
    expect(updated.statusCode).toBe(200);
    expectContract(C, 'PUT', ONE, updated);
    expect(updated.json<{ data: WebhookBody }>().data).toMatchObject({ events: ['*'], status: 'inactive' });

    const deleted = await api('DELETE', `/webhooks/${hook.id}`);
    expect(deleted.statusCode).toBe(204);
    expectContract(C, 'DELETE', ONE, deleted);

    for (const [method, path, body] of [
      ['GET', ONE, undefined],
      ['PUT', ONE, { status: 'active' }],
      ['DELETE', ONE, undefined],
    ] as const) {
      const gone = await api(method, `/webhooks/${hook.id}`, body);
      expect(gone.statusCode, `${method} after delete`).toBe(404);
      expectContract(C, method, path, gone);
    }

    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select('action')
      .where('target_id', '=', hook.id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.deleted']);
  });

  it('answers 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ url: 'https://hooks.example.com/x', events: ['user.exploded'] }, /^events\/0: unknown event type/],
      [{ url: 'https://hooks.example.com/x', events: ['user.created', 'nope'] }, /^events\/1/],
      [{ url: 'https://hooks.example.com/x', events: [] }, /events/],
      [{ url: 'ftp://hooks.example.com/x', events: ['*'] }, /^url: scheme 'ftp'/],
      [{ url: 'not a url', events: ['*'] }, /url/],
      [{ events: ['*'] }, /url: is required/],
      [
        { url: 'https://hooks.example.com/x', events: ['*'], secret: 'mine' },
        /secret: is not an allowed field/,
      ],
    ];
    for (const [payload, message] of cases) {
      const response = await api('POST', '/webhooks', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expectContract(C, 'POST', LIST, response);
      expect(response.json<{ error: string; code: string }>()).toMatchObject({ code: 'bad_request' });
      expect(response.json<{ error: string }>().error).toMatch(message);
    }
    const created = await api('POST', '/webhooks', { url: 'https://hooks.example.com/y', events: ['*'] });
    const id = created.json<{ data: WebhookBody }>().data.id;
    for (const payload of [{}, { status: 'paused' }, { events: ['nope'] }, { url: 'gopher://x' }]) {
      const response = await api('PUT', `/webhooks/${id}`, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expectContract(C, 'PUT', ONE, response);
    }
    await api('DELETE', `/webhooks/${id}`);
  });

  it("answers 404 for another tenant's webhook and never lists it", async () => {
    const created = await api('POST', '/webhooks', { url: 'https://hooks.example.com/a', events: ['*'] });
    const id = created.json<{ data: WebhookBody }>().data.id;
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { status: 'inactive' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await api(method, `/webhooks/${id}`, body, otherTenantToken);
      expect(response.statusCode, method).toBe(404);
      expectContract(C, method, ONE, response);
    }
    const deliveries = await api('GET', `/webhooks/${id}/deliveries`, undefined, otherTenantToken);
    expect(deliveries.statusCode).toBe(404);
    const list = await api('GET', '/webhooks', undefined, otherTenantToken);
    expect(list.json<{ data: WebhookBody[] }>().data).toEqual([]);
    const still = await api('GET', `/webhooks/${id}`);
    expect(still.json<{ data: WebhookBody }>().data.status).toBe('active');
    await api('DELETE', `/webhooks/${id}`);
  });

  describe('delivery', () => {
    let deliveryToken: string;
    let tenantId: string;
    const receivers: Receiver[] = [];
    const hooks = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
      api(method, url, payload, deliveryToken);

    beforeAll(async () => {
      // A tenant of its own: the webhooks above (hooks.example.com) must not receive these events.
      const tenant = await t.request({
        method: 'POST',
        url: '/api/tenants',
        token: t.ownerToken,
        payload: { name: 'Delivery Co' },
      });
      deliveryToken = tenant.json<{ ownerToken: string }>().ownerToken;
      tenantId = (await t.app.services.tokens.authenticate(deliveryToken)).tenantId;
      await t.app.queue.start();
    });
    afterAll(async () => {
      for (const r of receivers) await r.close();
    });

    async function receiver(respond?: (n: number) => number | Promise<number>): Promise<Receiver> {
      const r = await startReceiver(respond);
      receivers.push(r);
      return r;
    }

    async function subscribe(url: string, events: string[]): Promise<WebhookBody> {
      const created = await hooks('POST', '/webhooks', { url, events });
      expect(created.statusCode).toBe(201);
      return created.json<{ data: WebhookBody }>().data;
    }

    async function emit(type: string, payload: Record<string, unknown>): Promise<string> {
      const [id] = await t.app.store.db
        .transaction()
        .execute((trx) =>
          recordEvents(trx, tenantId, [{ type, subjectType: 'person', subjectId: 'usr_1', payload }]),
        );
      await t.app.outbox.relay();
      if (!id) throw new Error('no event recorded');
      return id;
    }

    async function deliveriesOf(webhookId: string): Promise<DeliveryBody[]> {
      const response = await hooks('GET', `/webhooks/${webhookId}/deliveries`);
      expect(response.statusCode).toBe(200);
      return response.json<{ data: DeliveryBody[] }>().data;
    }

    const settled = (webhookId: string, status: string) =>
      waitFor(`a ${status} delivery`, async () => {
        const [latest] = await deliveriesOf(webhookId);
        return latest?.status === status ? latest : undefined;
      });

    it('POSTs a signed Standard Webhooks message; inactive webhooks receive nothing', async () => {
      const live = await receiver();
      const quiet = await receiver();
      const hook = await subscribe(live.url, ['user.created']);
      const inactive = await subscribe(quiet.url, ['*']);
      await hooks('PUT', `/webhooks/${inactive.id}`, { status: 'inactive' });
      const other = await subscribe(quiet.url, ['user.deactivated']);

      const eventId = await emit('user.created', { id: 'usr_1', email: 'ada@example.com' });
      const delivery = await settled(hook.id, 'succeeded');
      expect(delivery).toMatchObject({ event_id: eventId, attempts: 1, response_status: 200 });

      expect(live.requests).toHaveLength(1);
      const [request] = live.requests;
      if (!request || !hook.secret) throw new Error('no request');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['webhook-id']).toBe(eventId);
      const verified = new Webhook(hook.secret).verify(request.body, asHeaders(request.headers));
      expect(verified).toMatchObject({
        id: eventId,
        type: 'user.created',
        data: { id: 'usr_1', email: 'ada@example.com' },
      });
      expect(Date.parse((verified as { timestamp: string }).timestamp)).not.toBeNaN();

      expect(quiet.requests).toHaveLength(0);
      expect(await deliveriesOf(inactive.id)).toEqual([]);
      expect(await deliveriesOf(other.id)).toEqual([]);

      const events = await hooks('GET', '/webhooks/events?type=user.created&limit=5');
      expect(events.statusCode).toBe(200);
      expect(events.json<{ data: { id: string; type: string }[] }>().data[0]).toMatchObject({
        id: eventId,
        type: 'user.created',
      });
      await hooks('DELETE', `/webhooks/${hook.id}`);
      await hooks('DELETE', `/webhooks/${other.id}`);
      await hooks('DELETE', `/webhooks/${inactive.id}`);
    });

    it('retries on failure and logs the attempts: 500, 500, then 200', async () => {
      const flaky = await receiver((n) => (n <= 2 ? 500 : 200));
      const hook = await subscribe(flaky.url, ['user.updated']);
      const eventId = await emit('user.updated', { id: 'usr_1' });
      const delivery = await settled(hook.id, 'succeeded');
      expect(delivery).toMatchObject({ event_id: eventId, attempts: 3, response_status: 200 });
      expect(delivery.last_error).toMatch(/^HTTP 500/);
      expect(flaky.requests).toHaveLength(3);
      expect(new Set(flaky.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([eventId]));
      await hooks('DELETE', `/webhooks/${hook.id}`);
    });

    it('marks a delivery failed once the retry schedule is used up', async () => {
      const down = await receiver(() => 503);
      const hook = await subscribe(down.url, ['group.created']);
      await emit('group.created', { id: 'grp_1' });
      const delivery = await settled(hook.id, 'failed');
      expect(delivery).toMatchObject({ attempts: FAST_RETRIES.length + 1, response_status: 503 });
      expect(down.requests).toHaveLength(FAST_RETRIES.length + 1);
      await hooks('DELETE', `/webhooks/${hook.id}`);
    });

    it('cancels a delivery whose webhook was deactivated before the next attempt', async () => {
      let hookId = '';
      const r = await receiver(async () => {
        await hooks('PUT', `/webhooks/${hookId}`, { status: 'inactive' });
        return 500;
      });
      hookId = (await subscribe(r.url, ['sync.finished'])).id;
      await emit('sync.finished', { id: 'syn_1' });
      const delivery = await settled(hookId, 'cancelled');
      expect(delivery.attempts).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(r.requests).toHaveLength(1);
      await hooks('DELETE', `/webhooks/${hookId}`);
    });

    it('cancels a delivery whose webhook was deleted before the next attempt', async () => {
      let hookId = '';
      const r = await receiver(async () => {
        await hooks('DELETE', `/webhooks/${hookId}`);
        return 500;
      });
      hookId = (await subscribe(r.url, ['sync.failed'])).id;
      await emit('sync.failed', { id: 'syn_2' });
      const delivery = await waitFor('a cancelled delivery', () =>
        t.app.store.db
          .selectFrom('webhook_deliveries')
          .selectAll()
          .where('webhook_id', '=', hookId)
          .where('status', '=', 'cancelled')
          // The delete cancels at once; the in-flight attempt records its result just after.
          .where('attempts', '=', 1)
          .executeTakeFirst(),
      );
      // Cancelled by the delete, while the first attempt was in flight: that attempt is still counted.
      expect(delivery).toMatchObject({ attempts: 1, response_status: 500, next_attempt_at: null });
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(r.requests).toHaveLength(1);
    });

    it('does not duplicate deliveries when an event batch is relayed again', async () => {
      const r = await receiver();
      const hook = await subscribe(r.url, ['app_user.added']);
      const eventId = await emit('app_user.added', { id: 'acc_1' });
      await settled(hook.id, 'succeeded');
      // As if the relay crashed after the subscribers ran but before marking the batch dispatched.
      await t.app.store.db
        .updateTable('events')
        .set({ dispatched_at: null })
        .where('id', '=', eventId)
        .execute();
      expect(await t.app.outbox.relay()).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const deliveries = await deliveriesOf(hook.id);
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(r.requests).toHaveLength(1);
      const log = await hooks('GET', `/webhooks/${hook.id}/deliveries?limit=1`);
      expect(log.json<{ next_cursor: string | null }>().next_cursor).toBeNull();
      await hooks('DELETE', `/webhooks/${hook.id}`);
    });
  });
});

describe.skipIf(skipPostgres)('webhooks without ALLOW_PRIVATE_WEBHOOK_URLS', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp({ ALLOW_PRIVATE_WEBHOOK_URLS: 'false' });
    token = await createToken(t, 'integration');
  });
  afterAll(() => t.close());
  const post = (payload: unknown): Promise<TestResponse> =>
    t.request({ method: 'POST', url: '/v2/webhooks', token, payload: payload as object });

  it('refuses loopback, private, link-local and mapped addresses, naming url', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://0x7f000001/hook',
      'http://10.0.0.5/hook',
      'http://192.168.1.10/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00::1]/hook',
    ]) {
      const response = await post({ url, events: ['*'] });
      expect(response.statusCode, url).toBe(400);
      expectContract(C, 'POST', LIST, response);
      expect(response.json<{ error: string }>().error, url).toMatch(/^url: .*only public addresses/);
    }
    const accepted = await post({ url: 'https://93.184.215.14/hook', events: ['*'] });
    expect(accepted.statusCode).toBe(201);
    const id = accepted.json<{ data: WebhookBody }>().data.id;
    const moved = await t.request({
      method: 'PUT',
      url: `/v2/webhooks/${id}`,
      token,
      payload: { url: 'http://127.0.0.1/hook' },
    });
    expect(moved.statusCode).toBe(400);
    expect(moved.json<{ error: string }>().error).toMatch(/^url: /);
  });

  it('does not send to a private address at delivery time either', async () => {
    const r = await startReceiver();
    try {
      const actor = await t.app.services.tokens.authenticate(token);
      // A URL that passed the check once but points inside now (e.g. DNS changed since).
      await t.app.store.db
        .insertInto('webhooks')
        .values({
          tenant_id: actor.tenantId,
          id: 'whk_inside',
          url: r.url,
          description: null,
          events: JSON.stringify(['user.created']),
          status: 'active',
          secret: encryptSecret(t.app.config.encryptionKey, 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0'),
          created_by: null,
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
        })
        .execute();
      await t.app.store.db
        .transaction()
        .execute((trx) =>
          recordEvents(trx, actor.tenantId, [{ type: 'user.created', payload: { id: 'usr_9' } }]),
        );
      await t.app.outbox.relay();
      await t.app.queue.start();
      const delivery = await waitFor('a failed attempt', async () => {
        const response = await t.request({ method: 'GET', url: '/v2/webhooks/whk_inside/deliveries', token });
        const [latest] = response.json<{ data: DeliveryBody[] }>().data;
        return latest && latest.attempts >= 1 ? latest : undefined;
      });
      expect(delivery).toMatchObject({ status: 'pending', response_status: null });
      expect(delivery.last_error).toMatch(/loopback/);
      expect(r.requests).toHaveLength(0);
    } finally {
      await r.close();
    }
  });
});
