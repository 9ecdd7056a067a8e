// PATCH /account (the name), GET /account/rate-limits and the RateLimit-Remaining header on every answer.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './harness.js';

let h: Harness;

beforeEach(async () => {
  h = await harness();
});

afterEach(async () => {
  await h.close();
});

describe('the account', () => {
  it('PATCH /account renames it; GET /account and release users follow', async () => {
    const patched = await h.request('PATCH', '/account', { name: 'Pat Example', allow_tracking: false });
    expect(patched).toMatchObject({ status: 200, body: { name: 'Pat Example', email: 'dev@example.test' } });
    expect((await h.request('GET', '/account')).body).toMatchObject({ name: 'Pat Example' });
    expect((await h.request('PATCH', '/account', {})).body).toMatchObject({ name: 'Pat Example' });
  });

  it('answers its request budget, and RateLimit-Remaining on every answer, errors included', async () => {
    const limits = await h.request('GET', '/account/rate-limits');
    expect(limits).toMatchObject({ status: 200, body: { remaining: 4500 } });
    expect(limits.headers['ratelimit-remaining']).toBe('4500');
    const missing = await h.request('GET', '/apps/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['ratelimit-remaining']).toBe('4500');
  });
});
