// The entities beyond builds, releases, formation and dynos that app webhooks deliver: `api:addon`,
// `api:addon-attachment`, `api:domain`, `api:sni-endpoint`, `api:collaborator`. Each change of such a resource is
// delivered with Heroku's body: `resource`, `action`, and `data` as the resource's own endpoint answers it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selfSigned } from '../support/certificates.js';
import { platform, type Platform } from '../support/platform.js';
import { receiver, type Received, type Receiver } from './receiver.js';

let p: Platform;
let hook: Receiver;

beforeEach(async () => {
  p = await platform({ BERTH_WEBHOOK_ATTEMPT_TIMEOUT_MS: '5000' });
  hook = await receiver();
  await p.createApp('hooked');
  await p.createApp('other');
});

afterEach(async () => {
  p.services.webhooks.close();
  await hook.close();
  await p.close();
});

type Json = Record<string, unknown>;

async function subscribe(app: string, include: string[]): Promise<void> {
  const added = await p.request('POST', `/apps/${app}/webhooks`, { include, level: 'notify', url: hook.url });
  expect(added.status, added.text).toBe(201);
}

/** What was delivered so far, as `include resource action`. */
async function delivered(): Promise<Received[]> {
  await p.services.events.settled();
  await p.services.webhooks.idle();
  return hook.received;
}

function summary(received: readonly Received[]): string[] {
  return received.map((r) => {
    const meta = (r.body as unknown as { webhook_metadata: { event: { include: string } } }).webhook_metadata;
    return `${meta.event.include} ${r.body.resource} ${r.body.action}`;
  });
}

describe('webhook events of add-ons, attachments, domains, SNI endpoints and collaborators', () => {
  it('api:addon and api:addon-attachment: provision, plan change, attach elsewhere, detach, destroy', async () => {
    await subscribe('hooked', ['api:addon', 'api:addon-attachment']);
    await subscribe('other', ['api:addon-attachment']);
    const created = await p.request('POST', '/apps/hooked/addons', { plan: 'heroku-postgresql:essential-0' });
    expect(created.status, created.text).toBe(201);
    const addon = created.body as Json & { id: string; name: string };
    expect((await p.request('PATCH', `/apps/hooked/addons/${addon.name}`, { plan: 'heroku-postgresql:essential-1' })).status).toBe(200);
    const shared = await p.request('POST', '/addon-attachments', { addon: { name: addon.name }, app: { name: 'other' }, name: 'SHARED' });
    expect(shared.status, shared.text).toBe(201);
    const attachmentId = (shared.body as { id: string }).id;
    expect((await p.request('DELETE', `/addon-attachments/${attachmentId}`)).status).toBe(200);
    expect((await p.request('DELETE', `/apps/hooked/addons/${addon.name}`)).status).toBe(200);
    const all = await delivered();
    // Each subscription gets its own events in order (two subscriptions' deliveries interleave).
    const appOf = (r: Received) => ((r.body.data['app'] as { name: string }).name);
    const received = all.filter((r) => appOf(r) === 'hooked');
    const elsewhere = all.filter((r) => appOf(r) === 'other');
    expect(summary(received)).toEqual([
      'api:addon addon create',
      'api:addon-attachment addon-attachment create',
      'api:addon addon update',
      'api:addon-attachment addon-attachment destroy',
      'api:addon addon destroy',
    ]);
    expect(summary(elsewhere)).toEqual(['api:addon-attachment addon-attachment create', 'api:addon-attachment addon-attachment destroy']);
    // `data` is the add-on as GET /apps/{app}/addons/{addon} answers it.
    const [create, attach, update] = received;
    expect(create?.body.data).toMatchObject({ id: addon.id, name: addon.name, state: 'provisioned', plan: { name: 'heroku-postgresql:essential-0' }, app: { name: 'hooked' } });
    expect(Object.keys(create?.body.data ?? {}).sort()).toEqual(Object.keys(addon).sort());
    expect(attach?.body.data).toMatchObject({ name: 'DATABASE', addon: { id: addon.id, name: addon.name }, app: { name: 'hooked' }, config_vars: ['DATABASE_URL'] });
    expect(update?.body.data).toMatchObject({ plan: { name: 'heroku-postgresql:essential-1' } });
    expect(update?.body['previous_data']).toEqual({ plan: { id: expect.any(String) as string, name: 'heroku-postgresql:essential-0' } });
    // The shared attachment's events went to the app it gives the config var to.
    expect(elsewhere[0]?.body.data).toMatchObject({ name: 'SHARED', app: { name: 'other' } });
    expect(received.at(-1)?.body.data).toMatchObject({ id: addon.id, state: 'deprovisioned' });
  });

  it('api:domain and api:sni-endpoint: add, remove; upload, update, remove a certificate', async () => {
    await subscribe('hooked', ['api:domain', 'api:sni-endpoint']);
    const first = selfSigned(['www.example.test']);
    const second = selfSigned(['www.example.test'], 'Renewed');
    const endpoint = (await p.request('POST', '/apps/hooked/sni-endpoints', { certificate_chain: first.certPem, private_key: first.keyPem })).body as Json & { name: string };
    expect((await p.request('POST', '/apps/hooked/domains', { hostname: 'www.example.test', sni_endpoint: endpoint.name })).status).toBe(201);
    await p.request('PATCH', `/apps/hooked/sni-endpoints/${endpoint.name}`, { certificate_chain: second.certPem, private_key: second.keyPem });
    await p.request('DELETE', '/apps/hooked/domains/www.example.test');
    await p.request('DELETE', `/apps/hooked/sni-endpoints/${endpoint.name}`);
    const received = await delivered();
    expect(summary(received)).toEqual([
      'api:sni-endpoint sni-endpoint create',
      'api:domain domain create',
      'api:sni-endpoint sni-endpoint update',
      'api:domain domain destroy',
      'api:sni-endpoint sni-endpoint destroy',
    ]);
    expect(received[0]?.body.data).toMatchObject({ name: endpoint.name, ssl_cert: { cert_domains: ['www.example.test'] } });
    expect(received[1]?.body.data).toMatchObject({ hostname: 'www.example.test', sni_endpoint: { name: endpoint.name } });
    expect(received[2]?.body.data).toMatchObject({ ssl_cert: { subject: '/C=US/O=Renewed/CN=www.example.test' } });
    expect(received.some((r) => r.raw.includes('PRIVATE KEY'))).toBe(false);
  });

  it('api:collaborator: access:add and access:remove', async () => {
    await subscribe('hooked', ['api:collaborator']);
    expect((await p.request('POST', '/apps/hooked/collaborators', { user: 'friend@example.test' })).status).toBe(201);
    expect((await p.request('DELETE', '/apps/hooked/collaborators/friend@example.test')).status).toBe(200);
    const received = await delivered();
    expect(summary(received)).toEqual(['api:collaborator collaborator create', 'api:collaborator collaborator destroy']);
    expect(received[0]?.body.data).toMatchObject({ role: 'collaborator', user: { email: 'friend@example.test' }, app: { name: 'hooked' } });
  });

  it('records nothing for an app whose webhooks do not include the entity', async () => {
    await subscribe('hooked', ['api:release']);
    await p.request('POST', '/apps/hooked/collaborators', { user: 'friend@example.test' });
    await p.request('POST', '/apps/hooked/domains', { hostname: 'www.example.test', sni_endpoint: null });
    expect(await delivered()).toEqual([]);
    expect((await p.request('GET', '/apps/hooked/webhook-events')).body).toEqual([]);
  });
});
