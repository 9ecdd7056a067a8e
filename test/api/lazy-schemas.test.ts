// Route validators compile on a route's first request (src/api/lazy-schemas.ts), not when the API boots. A schema Ajv
// cannot compile (a typo'd keyword under strict mode) would then only fail when a client first calls its route: this
// compiles every route's schemas at once, so such a schema still fails the unit tests. Validation itself is unchanged
// (schemas.test.ts sends bad input to every route family, each validator compiling on that first request).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { compileAllSchemas } from '../../src/api/lazy-schemas.js';
import { platform, type Platform } from '../support/platform.js';

let p: Platform;
beforeEach(async () => {
  p = await platform();
});
afterEach(async () => {
  await p.close();
});

it('compiles no validator at boot, and every route schema compiles', async () => {
  await p.api.ready();
  expect(compileAllSchemas(p.api)).toBeGreaterThan(50);
  // All compiled now: nothing left for first requests.
  expect(compileAllSchemas(p.api)).toBe(0);
});

it('a route validates on its first request, then keeps validating with the compiled validator', async () => {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const bad = await p.request('POST', '/apps', { name: { first: 'x' } });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({ id: 'invalid_params', message: 'name must be a string or null.' });
  }
  // A good body passes the same validator.
  const created = await p.request('POST', '/apps', { name: 'demo' });
  expect(created.status).toBe(201);
});
