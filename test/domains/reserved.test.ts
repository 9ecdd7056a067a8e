// A custom domain may not be `<name>.localhost` of an app that does not exist yet: once that app is created, the
// name would route to the wrong app (issue 11, low).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../api/harness.js';

let h: Harness;

beforeEach(async () => {
  h = await harness();
  expect((await h.request('POST', '/apps', { name: 'demo' })).status).toBe(201);
});

afterEach(async () => {
  await h.close();
});

describe('app-shaped custom domains', () => {
  it('refuses <name>.localhost of a later app, and that app still gets its own name', async () => {
    const reply = await h.request('POST', '/apps/demo/domains', { hostname: 'later.localhost', sni_endpoint: null });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({ id: 'invalid_params', message: 'later.localhost is reserved for the app named later.' });
    expect((await h.request('POST', '/apps', { name: 'later' })).status).toBe(201);
    const domains = (await h.request('GET', '/apps/demo/domains')).body as Array<{ hostname: string }>;
    expect(domains.map((d) => d.hostname)).toEqual(['demo.localhost']);
  });

  it('still accepts deeper names under .localhost', async () => {
    expect((await h.request('POST', '/apps/demo/domains', { hostname: 'www.demo.localhost', sni_endpoint: null })).status).toBe(201);
  });
});
