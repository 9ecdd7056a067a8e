// Domains through the Platform API (inject) and the service the dyno manager reads for the routing snapshot.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainsService, herokuDomainId } from '../../src/domains/index.js';
import { EventBus } from '../../src/events.js';
import { Store } from '../../src/store/index.js';
import { harness, type Harness } from '../api/harness.js';

let h: Harness;

beforeEach(async () => {
  h = await harness();
  expect((await h.request('POST', '/apps', { name: 'demo' })).status).toBe(201);
});

afterEach(async () => {
  await h.close();
});

type DomainBody = Record<string, unknown> & { id: string; hostname: string; kind: string };

describe('domains API', () => {
  it('lists the heroku domain first, with the schema\'s fields, and 200 on the last page', async () => {
    const added = await h.request('POST', '/apps/demo/domains', { hostname: 'WWW.Example.test', sni_endpoint: null });
    expect(added.status).toBe(201);
    const domain = added.body as DomainBody;
    expect(domain).toMatchObject({
      // Served a certificate from the local CA: Berth's ACM.
      acm_status: 'ok',
      acm_status_reason: null,
      cname: 'demo.localhost',
      hostname: 'www.example.test',
      kind: 'custom',
      sni_endpoint: null,
      status: 'succeeded',
    });
    expect(Object.keys(domain).sort()).toEqual(
      ['acm_status', 'acm_status_reason', 'app', 'cname', 'created_at', 'hostname', 'id', 'kind', 'sni_endpoint', 'status', 'updated_at'],
    );
    await h.request('POST', '/apps/demo/domains', { hostname: 'api.example.test', sni_endpoint: null });
    const list = await h.request('GET', '/apps/demo/domains', undefined, { range: 'id ..; max=1000;' });
    expect(list.status).toBe(200);
    expect(list.headers['next-range']).toBeUndefined();
    const domains = list.body as DomainBody[];
    expect(domains.map((d) => d.kind)).toEqual(['heroku', 'custom', 'custom']);
    expect(domains[0]).toMatchObject({ hostname: 'demo.localhost', cname: null, status: 'none', app: { name: 'demo' } });
    const page = await h.request('GET', '/apps/demo/domains', undefined, { range: 'id ..; max=2' });
    expect(page.status).toBe(206);
    expect(page.headers['next-range']).toBeDefined();
  });

  it('gets and deletes a domain by id or hostname', async () => {
    const { id } = (await h.request('POST', '/apps/demo/domains', { hostname: 'www.example.test', sni_endpoint: null })).body as DomainBody;
    expect(((await h.request('GET', `/apps/demo/domains/${id}`)).body as DomainBody).hostname).toBe('www.example.test');
    expect(((await h.request('GET', '/apps/demo/domains/www.example.test')).body as DomainBody).id).toBe(id);
    expect((await h.request('DELETE', '/apps/demo/domains/www.example.test')).status).toBe(200);
    const missing = await h.request('GET', `/apps/demo/domains/${id}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ id: 'not_found', message: "Couldn't find that domain.", resource: 'domain' });
    expect((await h.request('DELETE', '/apps/demo/domains/demo.localhost')).status).toBe(422);
  });

  it('refuses invalid, duplicate and taken host names', async () => {
    expect((await h.request('POST', '/apps', { name: 'other' })).status).toBe(201);
    await h.request('POST', '/apps/demo/domains', { hostname: 'www.example.test', sni_endpoint: null });
    for (const hostname of ['www.example.test', 'bad_name!', '', '*.example.test', 'other.localhost']) {
      const reply = await h.request('POST', '/apps/demo/domains', { hostname, sni_endpoint: null });
      expect(reply.status, hostname).toBe(422);
      expect((reply.body as { id: string }).id).toBe('invalid_params');
    }
    expect((await h.request('POST', '/apps/other/domains', { hostname: 'www.example.test', sni_endpoint: null })).body).toEqual({
      id: 'invalid_params',
      message: 'www.example.test is currently in use by another app.',
    });
    expect((await h.request('GET', '/apps/nope/domains')).status).toBe(404);
  });

  it('has no SNI endpoints until the user uploads one (certificates come from the local CA)', async () => {
    const reply = await h.request('GET', '/apps/demo/sni-endpoints');
    expect(reply).toMatchObject({ status: 200, body: [] });
  });
});

describe('DomainsService', () => {
  it('gives the dyno manager the app\'s custom hosts and announces each change as routing.changed', async () => {
    const store = new Store({ file: ':memory:', logHistoryLines: 10 });
    const events = new EventBus((_event, error) => {
      throw error;
    });
    const changed: string[] = [];
    events.on('routing.changed', ({ appName }) => void changed.push(appName));
    const domains = new DomainsService(store, events);
    const app = store.apps.insert({ id: 'app-1', name: 'demo', createdAt: '2026-01-01T00:00:00Z', stack: 'heroku-24', region: 'us' });
    expect(domains.customHostnames(app.id)).toEqual([]);
    domains.add(app, 'www.example.test');
    expect(domains.customHostnames(app.id)).toEqual(['www.example.test']);
    expect(domains.list(app).map((d) => d.hostname)).toEqual(['demo.localhost', 'www.example.test']);
    expect(domains.list(app)[0]?.id).toBe(herokuDomainId('app-1'));
    domains.remove(app, 'www.example.test');
    await events.settled();
    expect(changed).toEqual(['demo', 'demo']);
    store.apps.delete(app.id);
    expect(domains.customHostnames(app.id)).toEqual([]);
    store.close();
  });
});
