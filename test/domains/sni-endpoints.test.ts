// SNI endpoints (`certs:*`) and `PATCH /apps/{app}/domains/{id}` through the Platform API (inject), and the TLS
// context the router's HTTPS listener gets for a linked domain.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceChange } from '../../src/contracts/resources.js';
import { platform, type Platform } from '../support/platform.js';
import { selfSigned, type TestCertificate } from '../support/certificates.js';

let h: Platform;
let www: TestCertificate;
let other: TestCertificate;
let changes: ResourceChange[];

beforeAll(() => {
  www = selfSigned(['www.example.test', 'api.example.test']);
  other = selfSigned(['shop.example.test'], 'Other Org');
});

beforeEach(async () => {
  h = await platform();
  changes = [];
  h.services.events.on('resource.changed', (change) => void changes.push(change));
  expect((await h.request('POST', '/apps', { name: 'demo' })).status).toBe(201);
});

afterEach(async () => {
  await h.close();
});

type Endpoint = Record<string, unknown> & { id: string; name: string; domains: string[]; ssl_cert: Record<string, unknown> };
type DomainBody = Record<string, unknown> & { id: string; sni_endpoint: { id: string; name: string } | null; acm_status: string | null };

async function upload(cert: TestCertificate = www): Promise<Endpoint> {
  const reply = await h.request('POST', '/apps/demo/sni-endpoints', { certificate_chain: cert.certPem, private_key: cert.keyPem });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as Endpoint;
}

describe('SNI endpoints API', () => {
  it('takes a certificate and its key, and describes the certificate as Heroku does', async () => {
    const endpoint = await upload();
    expect(endpoint.name).toMatch(/^[a-z][a-z0-9-]{2,29}$/);
    expect(Object.keys(endpoint).sort()).toEqual(['app', 'certificate_chain', 'created_at', 'display_name', 'domains', 'id', 'name', 'ssl_cert', 'updated_at']);
    expect(endpoint).toMatchObject({ app: { name: 'demo' }, certificate_chain: www.certPem, display_name: null, domains: [] });
    expect(endpoint.ssl_cert).toMatchObject({
      acm: false,
      'ca_signed?': false,
      'self_signed?': true,
      cert_domains: ['www.example.test', 'api.example.test'],
      starts_at: '2026-01-01T00:00:00Z',
      expires_at: '2036-01-01T00:00:00Z',
      issuer: '/C=US/O=Example Test/CN=www.example.test',
      subject: '/C=US/O=Example Test/CN=www.example.test',
    });
    expect(JSON.stringify(endpoint)).not.toContain('PRIVATE KEY');
    const list = await h.request('GET', '/apps/demo/sni-endpoints');
    expect(list.status).toBe(200);
    expect((list.body as Endpoint[]).map((e) => e.name)).toEqual([endpoint.name]);
    expect(((await h.request('GET', `/apps/demo/sni-endpoints/${endpoint.name}`)).body as Endpoint).id).toBe(endpoint.id);
    expect(((await h.request('GET', `/apps/demo/sni-endpoints/${endpoint.id}`)).body as Endpoint).name).toBe(endpoint.name);
  });

  it('refuses a chain that is no PEM, a key that is none, and a key of another certificate', async () => {
    const cases: Array<[string, string, string]> = [
      ['not a certificate', www.keyPem, 'Certificate chain is invalid: it must hold one or more PEM-encoded certificates.'],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', www.keyPem, 'Certificate chain is invalid: it must hold one or more PEM-encoded certificates.'],
      [www.certPem, 'not a key', 'Private key is invalid: it must be a PEM-encoded private key without a passphrase.'],
      [www.certPem, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'Private key is invalid: it must be a PEM-encoded private key without a passphrase.'],
      [www.certPem, other.keyPem, "Private key doesn't match the certificate."],
    ];
    for (const [chain, key, message] of cases) {
      const reply = await h.request('POST', '/apps/demo/sni-endpoints', { certificate_chain: chain, private_key: key });
      expect(reply, message).toMatchObject({ status: 422, body: { id: 'invalid_params', message } });
    }
    const missing = await h.request('POST', '/apps/demo/sni-endpoints', { certificate_chain: www.certPem });
    expect(missing.status).toBe(422);
    expect((await h.request('GET', '/apps/demo/sni-endpoints')).body).toEqual([]);
    const endpoint = await upload();
    const badUpdate = await h.request('PATCH', `/apps/demo/sni-endpoints/${endpoint.name}`, { certificate_chain: www.certPem, private_key: other.keyPem });
    expect(badUpdate).toMatchObject({ status: 422, body: { message: "Private key doesn't match the certificate." } });
    expect(await h.request('GET', '/apps/demo/sni-endpoints/nope-1')).toMatchObject({
      status: 404,
      body: { id: 'not_found', message: "Couldn't find that SNI endpoint.", resource: 'sni-endpoint' },
    });
  });

  it('links a domain with PATCH /domains (and on create), serves it the certificate, and unlinks it on removal', async () => {
    const endpoint = await upload();
    const added = (await h.request('POST', '/apps/demo/domains', { hostname: 'www.example.test', sni_endpoint: null })).body as DomainBody;
    expect(added).toMatchObject({ sni_endpoint: null, acm_status: 'ok' });
    expect(h.services.domains.certificateFor('www.example.test')).toBeUndefined();

    const linked = await h.request('PATCH', '/apps/demo/domains/www.example.test', { sni_endpoint: endpoint.name });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ id: added.id, sni_endpoint: { id: endpoint.id, name: endpoint.name }, acm_status: null });
    expect(((await h.request('GET', `/apps/demo/sni-endpoints/${endpoint.name}`)).body as Endpoint).domains).toEqual([added.id]);
    expect(h.services.domains.certificateFor('www.example.test')).toBeDefined();

    const onCreate = (await h.request('POST', '/apps/demo/domains', { hostname: 'api.example.test', sni_endpoint: endpoint.id })).body as DomainBody;
    expect(onCreate.sni_endpoint).toEqual({ id: endpoint.id, name: endpoint.name });
    expect(h.services.domains.certificateFor('api.example.test')).toBeDefined();

    const unlinked = await h.request('PATCH', `/apps/demo/domains/${onCreate.id}`, { sni_endpoint: null });
    expect(unlinked.body).toMatchObject({ sni_endpoint: null, acm_status: 'ok' });
    expect(h.services.domains.certificateFor('api.example.test')).toBeUndefined();

    expect((await h.request('DELETE', `/apps/demo/sni-endpoints/${endpoint.name}`)).status).toBe(200);
    expect(((await h.request('GET', '/apps/demo/domains/www.example.test')).body as DomainBody).sni_endpoint).toBeNull();
    expect(h.services.domains.certificateFor('www.example.test')).toBeUndefined();
  });

  it('refuses to link the heroku domain, an unknown endpoint, or a body without sni_endpoint', async () => {
    const endpoint = await upload();
    expect(await h.request('PATCH', '/apps/demo/domains/demo.localhost', { sni_endpoint: endpoint.name })).toMatchObject({
      status: 422,
      body: { message: "demo.localhost is the app's default domain: its certificate is Berth's own and cannot be changed." },
    });
    await h.request('POST', '/apps/demo/domains', { hostname: 'www.example.test', sni_endpoint: null });
    expect((await h.request('PATCH', '/apps/demo/domains/www.example.test', { sni_endpoint: 'nope-1' })).status).toBe(404);
    expect((await h.request('PATCH', '/apps/demo/domains/www.example.test', {})).status).toBe(422);
    expect((await h.request('PATCH', '/apps/demo/domains/nope.example.test', { sni_endpoint: null })).status).toBe(404);
    expect((await h.request('POST', '/apps/demo/domains', { hostname: 'x.example.test', sni_endpoint: 'nope-1' })).status).toBe(404);
    expect((await h.request('GET', '/apps/demo/domains/x.example.test')).status).toBe(404);
  });

  it('refuses to link a domain the certificate does not cover, on PATCH and on create; a wildcard covers one label', async () => {
    const endpoint = await upload();
    await h.request('POST', '/apps/demo/domains', { hostname: 'shop.example.test', sni_endpoint: null });
    const message = `The certificate of SNI endpoint ${endpoint.name} does not cover shop.example.test: it is for www.example.test, api.example.test.`;
    expect(await h.request('PATCH', '/apps/demo/domains/shop.example.test', { sni_endpoint: endpoint.name })).toMatchObject({
      status: 422,
      body: { id: 'invalid_params', message },
    });
    expect(((await h.request('GET', '/apps/demo/domains/shop.example.test')).body as DomainBody).sni_endpoint).toBeNull();
    expect(await h.request('POST', '/apps/demo/domains', { hostname: 'WWW2.example.test', sni_endpoint: endpoint.id })).toMatchObject({ status: 422 });
    expect((await h.request('GET', '/apps/demo/domains/www2.example.test')).status).toBe(404);

    const wildcard = await upload(selfSigned(['*.example.test']));
    expect((await h.request('PATCH', '/apps/demo/domains/shop.example.test', { sni_endpoint: wildcard.name })).status).toBe(200);
    expect((await h.request('POST', '/apps/demo/domains', { hostname: 'a.b.example.test', sni_endpoint: wildcard.name })).status).toBe(422);
  });

  it('replaces the certificate with PATCH, keeping the name and the links', async () => {
    const endpoint = await upload();
    await h.request('POST', '/apps/demo/domains', { hostname: 'www.example.test', sni_endpoint: endpoint.name });
    const before = h.services.domains.certificateFor('www.example.test');
    const reply = await h.request('PATCH', `/apps/demo/sni-endpoints/${endpoint.name}`, { certificate_chain: other.certPem, private_key: other.keyPem });
    expect(reply.status).toBe(200);
    const updated = reply.body as Endpoint;
    expect(updated).toMatchObject({ id: endpoint.id, name: endpoint.name });
    expect(updated.ssl_cert['cert_domains']).toEqual(['shop.example.test']);
    expect(updated.domains).toHaveLength(1);
    expect(h.services.domains.certificateFor('www.example.test')).not.toBe(before);
  });

  it('announces each change as resource.changed for api:sni-endpoint webhooks', async () => {
    const endpoint = await upload();
    await h.request('PATCH', `/apps/demo/sni-endpoints/${endpoint.name}`, { certificate_chain: other.certPem, private_key: other.keyPem });
    await h.request('DELETE', `/apps/demo/sni-endpoints/${endpoint.name}`);
    await h.services.events.settled();
    const sni = changes.filter((c) => c.resource === 'sni-endpoint');
    expect(sni.map((c) => c.action)).toEqual(['create', 'update', 'destroy']);
  });

  it('answers ACM on for a new app; certs:auto:disable (DELETE) turns it off, certs:auto:enable back on, refresh is accepted', async () => {
    expect(((await h.request('GET', '/apps/demo')).body as { acm: boolean }).acm).toBe(true);
    expect(await h.request('PATCH', '/apps/demo/acm', { acm_refresh: true })).toMatchObject({ status: 200, body: { acm: true } });
    expect(await h.request('DELETE', '/apps/demo/acm')).toMatchObject({ status: 200, body: { name: 'demo', acm: false } });
    expect(((await h.request('GET', '/apps/demo')).body as { acm: boolean }).acm).toBe(false);
    expect(((await h.request('GET', '/apps')).body as Array<{ acm: boolean }>)[0]?.acm).toBe(false);
    expect(await h.request('POST', '/apps/demo/acm', {})).toMatchObject({ status: 200, body: { name: 'demo', acm: true } });
    expect(((await h.request('GET', '/apps/demo')).body as { acm: boolean }).acm).toBe(true);
    expect((await h.request('DELETE', '/apps/nope/acm')).status).toBe(404);
  });
});
