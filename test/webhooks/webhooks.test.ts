// App webhooks through the Platform API (inject) with a loopback receiver: subscriptions, signed deliveries with
// Heroku's body and headers, retries of `sync` webhooks, recorded deliveries and events, and Heroku-shaped errors.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { platform, type Platform } from '../support/platform.js';
import { pretendSlug } from '../support/slugs.js';
import { receiver, signatureOf, type Receiver } from './receiver.js';

let p: Platform;
let hook: Receiver;

beforeEach(async () => {
  p = await platform({ BERTH_WEBHOOK_RETRY_BASE_MS: '20', BERTH_WEBHOOK_ATTEMPT_TIMEOUT_MS: '2000' });
  hook = await receiver();
  await p.createApp('hooked');
});

afterEach(async () => {
  p.services.webhooks.close();
  await hook.close();
  await p.close();
});

type Json = Record<string, unknown>;
const SECRET = 'a'.repeat(60);

async function subscribe(body: Json): Promise<Json> {
  const added = await p.request('POST', '/apps/hooked/webhooks', body);
  expect(added.status, added.text).toBe(201);
  return added.body as Json;
}

/** Every event announced so far has been recorded and its first attempts made. */
async function delivered(): Promise<void> {
  await p.services.events.settled();
  await p.services.webhooks.idle();
}

describe('app webhooks', () => {
  it('answer the schema fields, never the secret; a secret Berth makes comes once in Heroku-Webhook-Secret', async () => {
    const given = await p.request('POST', '/apps/hooked/webhooks', { include: ['api:release'], level: 'notify', url: hook.url, secret: SECRET });
    expect(given.headers['heroku-webhook-secret']).toBeUndefined();
    expect(Object.keys(given.body as Json).sort()).toEqual(['app', 'created_at', 'id', 'include', 'level', 'updated_at', 'url']);
    const made = await p.request('POST', '/apps/hooked/webhooks', { include: [' api:build ', 'dyno'], level: 'sync', url: hook.url });
    expect(made.headers['heroku-webhook-secret']).toMatch(/^[0-9a-f]{60}$/);
    expect(made.body).toMatchObject({ include: ['api:build', 'dyno'], level: 'sync', url: hook.url, app: { name: 'hooked' } });
    const id = (made.body as Json)['id'] as string;

    const list = await p.request('GET', '/apps/hooked/webhooks');
    expect((list.body as Json[]).map((w) => w['level']).sort()).toEqual(['notify', 'sync']);
    const patched = await p.request('PATCH', `/apps/hooked/webhooks/${id}`, { include: ['api:app'], level: 'notify', url: `${hook.url}/2` });
    expect(patched.body).toMatchObject({ id, include: ['api:app'], level: 'notify', url: `${hook.url}/2` });
    expect((await p.request('GET', `/apps/hooked/webhooks/${id}`)).body).toMatchObject({ include: ['api:app'] });
    expect((await p.request('DELETE', `/apps/hooked/webhooks/${id}`)).status).toBe(200);
    expect(await p.request('GET', `/apps/hooked/webhooks/${id}`)).toMatchObject({
      status: 404,
      body: { id: 'not_found', message: "Couldn't find that webhook.", resource: 'webhook' },
    });
  });

  it('refuses an unknown entity, a URL that is not http(s), a missing level', async () => {
    expect(await p.request('POST', '/apps/hooked/webhooks', { include: ['api:nope'], level: 'notify', url: hook.url })).toMatchObject({
      status: 422,
      body: { id: 'invalid_params', message: 'Include api:nope is not a supported entity.' },
    });
    expect(await p.request('POST', '/apps/hooked/webhooks', { include: ['api:app'], level: 'notify', url: 'file:///etc/passwd' })).toMatchObject({
      status: 422,
      body: { message: 'Url file:///etc/passwd is not a valid http or https URL.' },
    });
    expect(await p.request('POST', '/apps/hooked/webhooks', { include: [], level: 'notify', url: hook.url })).toMatchObject({ status: 422 });
    expect(await p.request('POST', '/apps/hooked/webhooks', { include: ['api:app'], url: hook.url })).toMatchObject({ status: 422, body: { id: 'invalid_params' } });
    expect(await p.request('POST', '/apps/hooked/webhooks', { include: ['api:app'], level: 'sometimes', url: hook.url })).toMatchObject({ status: 422 });
  });

  it('POST a signed api:release event with Heroku body and headers, and record the delivery and the event', async () => {
    const webhook = await subscribe({ include: ['api:release'], level: 'notify', url: hook.url, secret: SECRET, authorization: 'Bearer s3cret' });
    p.services.apps.updateConfigVars('hooked', { GREETING: 'hello' });
    await delivered();
    expect(hook.received).toHaveLength(1);
    const [got] = hook.received;
    if (got === undefined) throw new Error('no delivery');
    expect(got.headers['heroku-webhook-hmac-sha256']).toBe(signatureOf(SECRET, got.raw));
    expect(got.headers['authorization']).toBe('Bearer s3cret');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['heroku-webhook-sent-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const body = got.body;
    expect(body).toMatchObject({
      action: 'create',
      resource: 'release',
      actor: { email: 'dev@example.test' },
      previous_data: {},
      version: 'application/vnd.heroku+json; version=3',
      data: { version: 3, description: 'Set GREETING config vars', status: 'succeeded', app: { name: 'hooked' } },
    });
    const meta = body['webhook_metadata'] as { event: Json; delivery: Json; webhook: Json; attempt: Json };
    expect(meta.event).toEqual({ id: body['id'], include: 'api:release' });
    expect(meta.webhook).toEqual({ id: webhook['id'] });
    expect(got.headers['heroku-webhook-id']).toBe(meta.delivery['id']);

    const deliveries = await p.request('GET', '/apps/hooked/webhook-deliveries');
    expect(deliveries.body).toEqual([
      expect.objectContaining({
        id: meta.delivery['id'],
        event: { id: body['id'], include: 'api:release' },
        webhook: { id: webhook['id'], level: 'notify' },
        status: 'succeeded',
        num_attempts: 1,
        next_attempt_at: null,
        last_attempt: expect.objectContaining({ id: meta.attempt['id'], code: 204, error_class: null, status: 'succeeded' }),
      }),
    ]);
    const events = await p.request('GET', '/apps/hooked/webhook-events');
    expect(events.body).toEqual([expect.objectContaining({ id: body['id'], include: 'api:release' })]);
    const event = await p.request('GET', `/apps/hooked/webhook-events/${String(body['id'])}`);
    expect((event.body as { payload: Json }).payload).toMatchObject({ action: 'create', resource: 'release', published_at: expect.any(String) });
  });

  it('only delivers what a webhook includes (api:app and api:domain here, not the release a config change makes)', async () => {
    await subscribe({ include: ['api:app', 'api:domain'], level: 'notify', url: hook.url, secret: SECRET });
    p.services.apps.updateConfigVars('hooked', { A: '1' });
    p.services.apps.update('hooked', { maintenance: true });
    p.services.domains.add(p.app('hooked'), 'www.hooked.test');
    await delivered();
    expect(hook.received.map((r) => `${r.body.resource}:${r.body.action}`)).toEqual(['app:update', 'domain:create']);
    expect(hook.received[0]?.body).toMatchObject({ previous_data: { maintenance: false }, data: { maintenance: true } });
    expect(hook.received[1]?.body.data).toMatchObject({ hostname: 'www.hooked.test', kind: 'custom' });
  });

  it('retry a sync delivery that failed until the receiver takes it', async () => {
    hook.answer((n) => (n <= 2 ? 503 : 200));
    await subscribe({ include: ['api:release'], level: 'sync', url: hook.url, secret: SECRET });
    p.services.apps.updateConfigVars('hooked', { A: '1' });
    await hook.waitFor(3);
    await delivered();
    const [delivery] = (await p.request('GET', '/apps/hooked/webhook-deliveries')).body as Json[];
    expect(delivery).toMatchObject({ status: 'succeeded', num_attempts: 3, last_attempt: { code: 200, status: 'succeeded' } });
    // Every attempt of one delivery carries the same delivery id and a new attempt id.
    const metas = hook.received.map((r) => r.body['webhook_metadata'] as { delivery: Json; attempt: Json });
    expect(new Set(metas.map((m) => m.delivery['id'])).size).toBe(1);
    expect(new Set(metas.map((m) => m.attempt['id'])).size).toBe(3);

    const filtered = await p.request('GET', '/apps/hooked/webhook-deliveries?eq[status]=failed');
    expect(filtered.body).toEqual([]);
  });

  it('records a receiver that is down as a failed delivery naming the error, and the action goes on', async () => {
    const down = hook.url;
    await hook.close();
    await subscribe({ include: ['api:release'], level: 'notify', url: down, secret: SECRET });
    p.services.apps.updateConfigVars('hooked', { A: '1' });
    await delivered();
    const [delivery] = (await p.request('GET', '/apps/hooked/webhook-deliveries?eq[status]=failed')).body as Json[];
    expect(delivery).toMatchObject({ status: 'failed', num_attempts: 1, last_attempt: { code: null, error_class: 'ECONNREFUSED', status: 'failed' } });
    expect(p.app('hooked').config).toEqual({ A: '1' });
    hook = await receiver();
  });

  it('never makes the action wait for a slow receiver', async () => {
    hook.answer(() => 'hold');
    await subscribe({ include: ['api:release'], level: 'notify', url: hook.url, secret: SECRET });
    const changed = await p.request('PATCH', '/apps/hooked/config-vars', { A: '1' });
    expect(changed.status).toBe(200);
    await hook.waitFor(1);
    // The receiver holds the first delivery open; the next change still answers, and its delivery waits its turn.
    expect((await p.request('PATCH', '/apps/hooked/config-vars', { B: '2' })).status).toBe(200);
    await p.services.events.settled();
    const deliveries = (await p.request('GET', '/apps/hooked/webhook-deliveries')).body as Json[];
    expect(deliveries.map((d) => d['status'])).toEqual(['pending', 'pending']);
  });

  it('deliver a one-off dyno\'s life as dyno events: create (starting), update (up), destroy', async () => {
    await subscribe({ include: ['dyno'], level: 'notify', url: hook.url, secret: SECRET });
    const app = p.app('hooked');
    const slug = await pretendSlug(p, app, { worker: 'node worker.js' });
    p.services.releases.create({ app, description: 'Deploy', config: {}, artifact: { type: 'slug', id: slug.id } });
    await p.services.events.settled();
    const run = p.services.dynos.runOneOff(app, { command: 'echo hi', attach: false, env: {} });
    await hook.waitFor(3);
    const seen = hook.received.map((r) => `${String(r.body.data['name'])}:${r.body.action}:${String(r.body.data['state'])}`);
    expect(seen).toEqual([`${run.name}:create:starting`, `${run.name}:update:up`, `${run.name}:destroy:up`]);
    expect(hook.received[0]?.body.data).toMatchObject({ app: { name: 'hooked' }, command: 'echo hi', release: { version: 3 } });
  });

  it('deliver api:dyno once, as create, for a dyno the API created (heroku run), not for its state changes', async () => {
    await subscribe({ include: ['api:dyno'], level: 'notify', url: hook.url, secret: SECRET });
    const app = p.app('hooked');
    const slug = await pretendSlug(p, app, { worker: 'node worker.js' });
    p.services.releases.create({ app, description: 'Deploy', config: {}, artifact: { type: 'slug', id: slug.id } });
    await p.services.events.settled();
    const made = await p.request('POST', '/apps/hooked/dynos', { command: 'echo hi', attach: false });
    expect(made.status, made.text).toBe(201);
    const name = (made.body as Json)['name'];
    await hook.waitFor(1);
    // The one-off's whole life (starting, up, gone) passes; none of it is an api:dyno event.
    while (((await p.request('GET', '/apps/hooked/dynos')).body as Json[]).length > 0) await new Promise((r) => setTimeout(r, 10));
    await delivered();
    expect(hook.received.map((r) => [r.body.resource, r.body.action, (r.body['webhook_metadata'] as { event: Json }).event['include']])).toEqual([
      ['dyno', 'create', 'api:dyno'],
    ]);
    expect(hook.received[0]?.body.data).toMatchObject({ name, command: 'echo hi', app: { name: 'hooked' } });
  });

  it('answer Heroku-shaped 404s for unknown deliveries and events', async () => {
    expect(await p.request('GET', '/apps/hooked/webhook-deliveries/01234567-89ab-4cde-8f01-23456789abcd')).toMatchObject({
      status: 404,
      body: { id: 'not_found', resource: 'webhook-delivery' },
    });
    expect(await p.request('GET', '/apps/hooked/webhook-events/01234567-89ab-4cde-8f01-23456789abcd')).toMatchObject({ status: 404 });
  });
});
