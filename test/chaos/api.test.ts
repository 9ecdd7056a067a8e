// The teaching controls' API under /berth/: authenticated like the Platform API, Heroku-shaped errors for bad input.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { platform, type Platform } from '../support/platform.js';

let p: Platform;
beforeEach(async () => {
  p = await platform();
});
afterEach(async () => {
  await p.close();
});

describe('POST /berth/apps/{app}/chaos/{kind}', () => {
  it('refuses an unknown kind and an unknown signal with invalid_params', async () => {
    const app = await p.createApp();
    const kind = await p.request('POST', `/berth/apps/${app.name}/chaos/explode`, {});
    expect([kind.status, kind.body]).toEqual([
      422,
      { id: 'invalid_params', message: 'kind must be one of crash, ignore-sigterm, memory, no-bind, cycle, hang, slow-router.' },
    ]);
    const signal = await p.request('POST', `/berth/apps/${app.name}/chaos/crash`, { signal: 'SIGSEGV' });
    expect([signal.status, signal.body]).toEqual([422, { id: 'invalid_params', message: 'signal must be one of SIGHUP, SIGINT, SIGKILL, SIGTERM.' }]);
  });

  it('answers not_found for an app without that dyno, and for an unknown app', async () => {
    const app = await p.createApp();
    const dyno = await p.request('POST', `/berth/apps/${app.name}/chaos/crash`, { dyno: 'web.1' });
    expect([dyno.status, dyno.body]).toEqual([404, { id: 'not_found', message: "Couldn't find that process.", resource: 'dyno' }]);
    expect((await p.request('POST', '/berth/apps/nope/chaos/crash')).status).toBe(404);
  });

  it('needs the API key', async () => {
    const app = await p.createApp();
    const answer = await p.api.inject({ method: 'POST', url: `/berth/apps/${app.name}/chaos/crash` });
    expect(answer.statusCode).toBe(401);
    expect((await p.api.inject({ method: 'PUT', url: '/berth/clock', payload: { speed: 60 } })).statusCode).toBe(401);
  });
});

describe('/berth/clock', () => {
  it('reads and sets the lesson clock; refuses a speed out of range', async () => {
    expect((await p.request('GET', '/berth/clock')).body).toEqual({ speed: 1 });
    expect((await p.request('PUT', '/berth/clock', { speed: 60 })).body).toEqual({ speed: 60 });
    expect((await p.request('GET', '/berth/clock')).body).toEqual({ speed: 60 });
    const refused = await p.request('PUT', '/berth/clock', { speed: 5000 });
    expect([refused.status, refused.body]).toEqual([422, { id: 'invalid_params', message: 'Clock speed must be a number from 1 to 1000, got 5000.' }]);
  });
});

describe('GET /berth/apps/{app}/dynos', () => {
  it('answers the cards of an app with no dynos as an empty list; not_found for an unknown app; needs the API key', async () => {
    const app = await p.createApp();
    expect(await p.request('GET', `/berth/apps/${app.name}/dynos`)).toMatchObject({ status: 200, body: [] });
    expect((await p.request('GET', '/berth/apps/nope/dynos')).status).toBe(404);
    expect((await p.api.inject({ method: 'GET', url: `/berth/apps/${app.name}/dynos` })).statusCode).toBe(401);
  });

  it('slow-router: a destroyed app leaves no delay behind', async () => {
    const app = await p.createApp();
    expect((await p.request('POST', `/berth/apps/${app.name}/chaos/slow-router`, { seconds: 40 })).status).toBe(202);
    expect(p.services.chaos.routerDelayMs(app.id)).toBe(40_000);
    expect((await p.request('DELETE', `/apps/${app.name}`)).status).toBe(200);
    await p.services.events.settled();
    expect(p.services.chaos.routerDelayMs(app.id)).toBe(0);
  });
});
