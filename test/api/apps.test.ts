import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, harness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

type Json = Record<string, unknown>;

describe('apps', () => {
  it('creates an app with the Platform API shape', async () => {
    const res = await h.request('POST', '/apps', { name: 'demo' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'demo',
      web_url: 'http://demo.localhost:5000/',
      git_url: 'https://127.0.0.1:5101/demo.git',
      stack: { name: 'heroku-24' },
      build_stack: { name: 'heroku-24' },
      region: { name: 'us' },
      owner: { email: 'dev@example.test' },
      maintenance: false,
      repo_size: null,
      generation: { name: 'cedar' },
    });
    expect((res.body as Json)['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('generates a name when none is given', async () => {
    const res = await h.request('POST', '/apps', {});
    expect(res.status).toBe(201);
    expect((res.body as Json)['name']).toMatch(/^[a-z]+-[a-z]+-\d{5}$/);
  });

  it('creates an app from an empty body (heroku apps:create without a name sends {} or nothing)', async () => {
    const res = await h.request('POST', '/apps', '');
    expect(res.status).toBe(201);
  });

  it('answers 422 for a taken name, and keeps the first app whole', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    const res = await h.request('POST', '/apps', { name: 'demo' });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ id: 'invalid_params', message: 'Name is already taken' });
    expect(((await h.request('GET', '/apps')).body as Json[]).length).toBe(1);
  });

  it('answers 422 for an invalid name and writes nothing', async () => {
    const res = await h.request('POST', '/apps', { name: 'Not_Valid' });
    expect(res.status).toBe(422);
    expect((res.body as Json)['id']).toBe('invalid_params');
    expect((await h.request('GET', '/apps')).body).toEqual([]);
  });

  it('answers 404 in Heroku shape for an unknown app', async () => {
    const res = await h.request('GET', '/apps/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ id: 'not_found', message: "Couldn't find that app.", resource: 'app' });
  });

  it('finds an app by name or by id', async () => {
    const created = (await h.request('POST', '/apps', { name: 'demo' })).body as Json;
    expect(((await h.request('GET', `/apps/${String(created['id'])}`)).body as Json)['name']).toBe('demo');
  });

  it('lists apps at /apps and /users/~/apps', async () => {
    await h.request('POST', '/apps', { name: 'one' });
    await h.request('POST', '/apps', { name: 'two' });
    for (const url of ['/apps', '/users/~/apps']) {
      const res = await h.request('GET', url);
      expect(res.status).toBe(200);
      expect((res.body as Json[]).map((a) => a['name']).sort()).toEqual(['one', 'two']);
    }
  });

  it('pages apps by name with 206 and Next-Range, and 200 without it on the last page', async () => {
    for (const name of ['app-a', 'app-b', 'app-c']) await h.request('POST', '/apps', { name });
    const first = await h.request('GET', '/apps', undefined, { range: 'name ..; max=2' });
    expect(first.status).toBe(206);
    expect((first.body as Json[]).map((a) => a['name'])).toEqual(['app-a', 'app-b']);
    expect(first.headers['next-range']).toBe('name ]app-b..; max=2');
    const last = await h.request('GET', '/apps', undefined, { range: String(first.headers['next-range']) });
    expect(last.status).toBe(200);
    expect((last.body as Json[]).map((a) => a['name'])).toEqual(['app-c']);
    expect(last.headers['next-range']).toBeUndefined();
  });

  it('renames an app and toggles maintenance', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    const res = await h.request('PATCH', '/apps/demo', { name: 'renamed', maintenance: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'renamed', maintenance: true, web_url: 'http://renamed.localhost:5000/' });
    expect((await h.request('GET', '/apps/demo')).status).toBe(404);
    // routing.changed: the dyno manager rebuilds the snapshot the router serves from.
    await h.events.settled();
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.emitted.filter((e) => e.event === 'routing.changed').map((e) => (e.payload as Json)['appName'])).toEqual(['renamed']);
    expect(h.routing.current().byHost.get('demo.localhost')).toBeUndefined();
    expect(h.routing.current().byHost.get('renamed.localhost')).toMatchObject({ appName: 'renamed', maintenance: true });
  });

  it('stack:set container (PATCH build_stack): a never-deployed app is on it at once; unknown stacks are refused', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    const res = await h.request('PATCH', '/apps/demo', { build_stack: 'container' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ build_stack: { name: 'container' }, stack: { name: 'container' } });
    expect((await h.request('GET', '/apps/demo')).body).toMatchObject({ build_stack: { name: 'container' }, stack: { name: 'container' } });
    expect((await h.request('PATCH', '/apps/demo', { build_stack: { name: 'heroku-24' } })).body).toMatchObject({ stack: { name: 'heroku-24' } });
    expect(await h.request('PATCH', '/apps/demo', { build_stack: 'cedar-14' })).toMatchObject({
      status: 422,
      body: { id: 'invalid_params', message: 'Stack cedar-14 is not available in Berth; it runs heroku-24 and container.' },
    });
  });

  it('stack:set on a deployed app changes build_stack only: the next deploy moves the app', async () => {
    const app = (await h.request('POST', '/apps', { name: 'demo' })).body as Json;
    // A deployed release pins an artifact.
    h.store.releases.insert({
      id: '99999999-0000-4000-8000-000000000001', appId: String(app['id']), description: 'Deploy 1', status: 'succeeded',
      createdAt: '2026-01-01T00:00:00Z', artifact: { type: 'slug', id: 's1' }, config: {}, addonPlanNames: [],
      userId: 'u', userEmail: 'dev@example.test', outputStreamUrl: null,
    });
    h.store.releases.makeCurrent(String(app['id']), '99999999-0000-4000-8000-000000000001', '2026-01-01T00:00:00Z');
    expect((await h.request('PATCH', '/apps/demo', { build_stack: 'container' })).body).toMatchObject({
      build_stack: { name: 'container' },
      stack: { name: 'heroku-24' },
    });
  });

  it('rejects a rename to an invalid or taken name', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    await h.request('POST', '/apps', { name: 'other' });
    expect((await h.request('PATCH', '/apps/demo', { name: 'other' })).body).toEqual({ id: 'invalid_params', message: 'Name is already taken' });
    expect((await h.request('PATCH', '/apps/demo', { name: 'X' })).status).toBe(422);
    expect((await h.request('PATCH', '/apps/demo', { maintenance: 'yes' })).status).toBe(422);
  });

  it('destroys an app with everything of it and announces app.destroyed', async () => {
    const created = (await h.request('POST', '/apps', { name: 'demo' })).body as Json;
    await h.request('PATCH', '/apps/demo/config-vars', { A: '1' });
    const res = await h.request('DELETE', '/apps/demo');
    expect(res.status).toBe(200);
    expect((res.body as Json)['name']).toBe('demo');
    await h.events.settled();
    expect(h.emitted.filter((e) => e.event === 'app.destroyed')).toEqual([
      { event: 'app.destroyed', payload: { appId: created['id'], appName: 'demo' } },
    ]);
    expect(h.store.releases.listByApp(String(created['id']))).toEqual([]);
    expect(h.store.logs.read(String(created['id']))).toEqual([]);
    expect((await h.request('GET', '/apps/demo')).status).toBe(404);
  });

  it('answers an empty add-on list, the owner as the only collaborator, and 404 for an unknown app', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    expect((await h.request('GET', '/apps/demo/addons')).body).toEqual([]);
    expect((await h.request('GET', '/apps/demo/collaborators')).body).toMatchObject([{ role: 'owner', user: { email: 'dev@example.test' } }]);
    expect((await h.request('GET', '/apps/nope/addons')).status).toBe(404);
  });
});

describe('the account', () => {
  it('answers GET /account and /users/~', async () => {
    for (const url of ['/account', '/users/~']) {
      const res = await h.request('GET', url);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ email: 'dev@example.test', id: '11111111-2222-4333-8444-555555555555', verified: true });
    }
  });
});

describe('authentication and bad requests', () => {
  it('accepts Bearer and Basic with the key as password and any user', async () => {
    for (const authorization of [
      `Bearer ${API_KEY}`,
      `Basic ${Buffer.from(`:${API_KEY}`).toString('base64')}`,
      `Basic ${Buffer.from(`heroku:${API_KEY}`).toString('base64')}`,
    ]) {
      expect((await h.request('GET', '/account', undefined, { authorization })).status).toBe(200);
    }
  });

  it.each([[''], ['Bearer wrong'], [`Basic ${Buffer.from('heroku:wrong').toString('base64')}`], ['Token abc'], ['Basic !!!']])(
    'answers 401 unauthorized for %j',
    async (authorization) => {
      const res = await h.request('GET', '/apps', undefined, { authorization });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ id: 'unauthorized', message: 'Invalid credentials provided.' });
      expect(res.headers['request-id']).toBeDefined();
    },
  );

  it('answers 400 for malformed JSON and writes nothing', async () => {
    const res = await h.request('POST', '/apps', '{"name": "demo"');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ id: 'bad_request' });
    expect((await h.request('GET', '/apps')).body).toEqual([]);
  });

  it("answers Heroku's 404 for an unknown route", async () => {
    const res = await h.request('GET', '/no/such/thing');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ id: 'not_found' });
  });

  it('answers 416 for a Range on a field that cannot be sorted on', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    const res = await h.request('GET', '/apps/demo/releases', undefined, { range: 'color ..' });
    expect(res.status).toBe(416);
    expect(res.body).toMatchObject({ id: 'requested_range_not_satisfiable' });
  });

  it('ignores a Range header on a non-list endpoint (heroku-client sends one on every call)', async () => {
    const res = await h.request('POST', '/apps', { name: 'demo' }, { range: 'id ..; max=1000' });
    expect(res.status).toBe(201);
  });
});
