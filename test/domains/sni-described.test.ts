// An SNI endpoint's certificate is read (parsed, its chain walked to the roots) once, when it is uploaded or replaced,
// not on every read of the endpoint: lists, gets, domain links and webhook payloads share that description.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readCertificate } from '../../src/domains/certificate.js';
import { selfSigned } from '../support/certificates.js';
import { platform, type Platform } from '../support/platform.js';

vi.mock('../../src/domains/certificate.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/domains/certificate.js')>();
  return { ...original, readCertificate: vi.fn(original.readCertificate) };
});

let h: Platform;

beforeEach(async () => {
  h = await platform();
  expect((await h.request('POST', '/apps', { name: 'demo' })).status).toBe(201);
});

afterEach(async () => {
  await h.close();
});

type Endpoint = { id: string; name: string; ssl_cert: { cert_domains: string[] } };

describe('SNI endpoint certificates', () => {
  it('are read once on upload and on replacement, not on each read', async () => {
    const www = selfSigned(['www.example.test']);
    const reads = vi.mocked(readCertificate);
    reads.mockClear();
    const endpoint = (await h.request('POST', '/apps/demo/sni-endpoints', { certificate_chain: www.certPem, private_key: www.keyPem })).body as Endpoint;
    expect(reads).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 3; i++) {
      expect((await h.request('GET', `/apps/demo/sni-endpoints/${endpoint.id}`)).status).toBe(200);
      expect((await h.request('GET', '/apps/demo/sni-endpoints')).status).toBe(200);
    }
    expect((await h.request('POST', '/apps/demo/domains', { hostname: 'www.example.test', sni_endpoint: endpoint.name })).status).toBe(201);
    expect(reads).toHaveBeenCalledTimes(1);

    // Replaced (within the second it was made: updated_at may not move), every read says the new certificate.
    const shop = selfSigned(['shop.example.test']);
    const patched = await h.request('PATCH', `/apps/demo/sni-endpoints/${endpoint.id}`, { certificate_chain: shop.certPem, private_key: shop.keyPem });
    expect(patched.status).toBe(200);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(((await h.request('GET', `/apps/demo/sni-endpoints/${endpoint.name}`)).body as Endpoint).ssl_cert.cert_domains).toEqual(['shop.example.test']);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('go with their app when it is destroyed', async () => {
    const www = selfSigned(['www.example.test']);
    expect((await h.request('POST', '/apps/demo/sni-endpoints', { certificate_chain: www.certPem, private_key: www.keyPem })).status).toBe(201);
    expect(h.services.domains.sniEndpoints.describedCount).toBe(1);
    expect((await h.request('DELETE', '/apps/demo')).status).toBe(200);
    await h.services.events.settled();
    expect(h.services.domains.sniEndpoints.describedCount).toBe(0);
  });
});
