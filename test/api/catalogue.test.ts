// Routes the heroku CLI calls for its catalogue (apps:stacks, regions, ps:type, access, apps:info), the buildpack
// registry answer behind `heroku buildpacks:add heroku/nodejs`, and `apps:create --addons`.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_KEY, harness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await h.close();
});

type Json = Record<string, unknown>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('stacks', () => {
  it('GET /stacks lists heroku-24, the default, with the id apps carry, and the container stack', async () => {
    const app = (await h.request('POST', '/apps', { name: 'demo' })).body as { stack: { id: string } };
    const res = await h.request('GET', '/stacks');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { created_at: expect.stringMatching(/Z$/), default: true, id: app.stack.id, name: 'heroku-24', state: 'public', updated_at: expect.stringMatching(/Z$/) },
      { created_at: expect.stringMatching(/Z$/), default: false, id: expect.stringMatching(UUID), name: 'container', state: 'public', updated_at: expect.stringMatching(/Z$/) },
    ]);
    expect((await h.request('GET', '/stacks/container')).body).toMatchObject({ name: 'container', default: false });
    expect((await h.request('GET', '/stacks/heroku-24')).body).toMatchObject({ name: 'heroku-24', default: true });
    expect((await h.request('GET', `/stacks/${app.stack.id}`)).body).toMatchObject({ name: 'heroku-24' });
    expect(await h.request('GET', '/stacks/heroku-18')).toMatchObject({
      status: 404,
      body: { id: 'not_found', message: "Couldn't find that stack.", resource: 'stack' },
    });
  });

  it('GET /apps/{app}/available-stacks: the same list, 404 for an unknown app', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    expect((await h.request('GET', '/apps/demo/available-stacks')).body).toEqual((await h.request('GET', '/stacks')).body);
    expect((await h.request('GET', '/apps/nope/available-stacks')).status).toBe(404);
  });
});

describe('regions', () => {
  it('GET /regions: us and eu, common runtime, with the ids apps carry', async () => {
    const app = (await h.request('POST', '/apps', { name: 'demo', region: 'eu' })).body as { region: { id: string } };
    const res = await h.request('GET', '/regions');
    expect(res.status).toBe(200);
    const regions = res.body as Json[];
    expect(regions.map((r) => r['name'])).toEqual(['us', 'eu']);
    expect(regions[1]).toEqual({
      country: 'Ireland',
      created_at: expect.stringMatching(/Z$/),
      description: 'Europe',
      id: app.region.id,
      locale: 'Dublin',
      name: 'eu',
      private_capable: false,
      provider: { name: 'amazon-web-services', region: 'eu-west-1' },
      updated_at: expect.stringMatching(/Z$/),
    });
    expect((await h.request('GET', '/regions/us')).body).toMatchObject({ name: 'us', description: 'United States' });
    expect((await h.request('GET', '/regions/mars')).body).toEqual({ id: 'not_found', message: "Couldn't find that region.", resource: 'region' });
  });
});

describe('dyno sizes', () => {
  it('GET /dyno-sizes: the sizes Berth enforces, memory in GB, no cost', async () => {
    const res = await h.request('GET', '/dyno-sizes');
    expect(res.status).toBe(200);
    const sizes = res.body as Json[];
    expect(sizes.map((s) => String(s['name'])).sort()).toEqual(['Basic', 'Eco', 'Performance-L', 'Performance-M', 'Standard-1X', 'Standard-2X']);
    expect(sizes.find((s) => s['name'] === 'Standard-2X')).toEqual({
      architecture: 'amd64',
      compute: 1,
      cost: null,
      dedicated: false,
      precise_dyno_units: 2,
      generation: { id: expect.stringMatching(UUID), name: 'cedar' },
      id: expect.stringMatching(UUID),
      memory: 1,
      name: 'Standard-2X',
      private_space_only: false,
    });
    const basic = sizes.find((s) => s['name'] === 'Basic') as Json;
    expect((await h.request('GET', '/dyno-sizes/basic')).body).toEqual(basic);
    expect((await h.request('GET', `/dyno-sizes/${String(basic['id'])}`)).body).toEqual(basic);
    expect((await h.request('GET', '/dyno-sizes/private-l')).body).toEqual({ id: 'not_found', message: "Couldn't find that dyno size.", resource: 'dyno-size' });
  });

  it('GET /apps/{app}/available-dyno-sizes: every size', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    expect((await h.request('GET', '/apps/demo/available-dyno-sizes')).body).toEqual((await h.request('GET', '/dyno-sizes')).body);
    expect((await h.request('GET', '/apps/nope/available-dyno-sizes')).status).toBe(404);
  });
});

describe('account rate limits', () => {
  it('GET /account/rate-limits: Heroku\'s hourly budget, never spent', async () => {
    expect(await h.request('GET', '/account/rate-limits')).toMatchObject({ status: 200, body: { remaining: 4500 } });
  });
});

describe('collaborators', () => {
  it('the account owns the app and is listed as its owner', async () => {
    const app = (await h.request('POST', '/apps', { name: 'demo' })).body as { id: string; created_at: string };
    const res = await h.request('GET', '/apps/demo/collaborators');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        app: { id: app.id, name: 'demo' },
        created_at: app.created_at,
        id: expect.stringMatching(UUID),
        permissions: [],
        role: 'owner',
        updated_at: app.created_at,
        user: { email: 'dev@example.test', federated: false, id: '11111111-2222-4333-8444-555555555555' },
      },
    ]);
    const [owner] = res.body as Json[];
    expect((await h.request('GET', '/apps/demo/collaborators/dev@example.test')).body).toEqual(owner);
    expect((await h.request('GET', '/apps/demo/collaborators/someone@example.test')).body).toEqual({
      id: 'not_found',
      message: "Couldn't find that collaborator.",
      resource: 'collaborator',
    });
  });

  it('adds a collaborator by email (listed with the owner, by email), refuses a repeat or a bad email, removes it, never the owner', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    const added = await h.request('POST', '/apps/demo/collaborators', { user: 'Pat@Example.test', silent: false });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ role: 'collaborator', permissions: [], app: { name: 'demo' }, user: { email: 'pat@example.test', federated: false } });
    const list = (await h.request('GET', '/apps/demo/collaborators')).body as Array<{ role: string; user: { email: string } }>;
    expect(list.map((c) => [c.role, c.user.email])).toEqual([['owner', 'dev@example.test'], ['collaborator', 'pat@example.test']]);
    expect(await h.request('POST', '/apps/demo/collaborators', { user: 'pat@example.test' })).toMatchObject({
      status: 422,
      body: { id: 'invalid_params', message: 'pat@example.test is already a collaborator on demo.' },
    });
    expect(await h.request('POST', '/apps/demo/collaborators', { user: 'not an email' })).toMatchObject({
      status: 422,
      body: { message: 'not an email is not a valid email address.' },
    });
    expect(await h.request('DELETE', '/apps/demo/collaborators/dev@example.test')).toMatchObject({ status: 422 });
    expect(await h.request('DELETE', '/apps/demo/collaborators/pat@example.test')).toMatchObject({ status: 200, body: { user: { email: 'pat@example.test' } } });
    expect(((await h.request('GET', '/apps/demo/collaborators')).body as unknown[]).length).toBe(1);
  });
});

describe('the buildpack registry', () => {
  it("answers the CLI's GET /buildpacks/heroku%2Fnodejs with Heroku's blob URL, without a key", async () => {
    const res = await h.api.inject({ method: 'GET', url: '/buildpack-registry/buildpacks/heroku%2Fnodejs', headers: { accept: 'application/vnd.heroku+json; version=3.buildpack-registry' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ blob_url: 'https://buildpack-registry.s3.amazonaws.com/buildpacks/heroku/nodejs.tgz', name: 'nodejs', namespace: 'heroku' });
    const plain = await h.api.inject({ method: 'GET', url: '/buildpack-registry/buildpacks/heroku/python' });
    expect(plain.json()).toMatchObject({ blob_url: 'https://buildpack-registry.s3.amazonaws.com/buildpacks/heroku/python.tgz' });
  });

  it('knows only the bundled buildpacks', async () => {
    const res = await h.api.inject({ method: 'GET', url: '/buildpack-registry/buildpacks/heroku%2Fruby' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ id: 'not_found', message: "Couldn't find that buildpack.", resource: 'buildpack' });
  });

  it('its blob URL is one the app accepts as a buildpack and names as heroku/nodejs', async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    const url = 'https://buildpack-registry.s3.amazonaws.com/buildpacks/heroku/nodejs.tgz';
    const res = await h.api.inject({
      method: 'PUT',
      url: '/apps/demo/buildpack-installations',
      headers: { authorization: `Bearer ${API_KEY}`, accept: 'application/vnd.heroku+json; version=3' },
      payload: { updates: [{ buildpack: url }] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([{ buildpack: { url, name: expect.any(String) }, ordinal: 0 }]);
  });
});

describe('apps:create --addons', () => {
  it("POST /apps/{app}/addons answers Heroku's error for a plan or service it does not have, and changes nothing", async () => {
    await h.request('POST', '/apps', { name: 'demo' });
    const releases = (await h.request('GET', '/apps/demo/releases')).body;
    // `heroku apps:create --addons x` sends the plan as a string; `addons:create` as {name}.
    for (const plan of ['heroku-postgresql:nope-9', { name: 'heroku-postgresql:nope-9' }, 'nosuch-service', { name: 'nosuch-service:mini' }]) {
      const res = await h.request('POST', '/apps/demo/addons', { plan });
      const name = typeof plan === 'string' ? plan : plan.name;
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ id: 'invalid_params', message: `Couldn't find either the add-on service or the add-on plan of "${name}".` });
    }
    expect((await h.request('GET', '/apps/demo/addons')).body).toEqual([]);
    expect((await h.request('GET', '/apps/demo/releases')).body).toEqual(releases);
    expect((await h.request('POST', '/apps/nope/addons', { plan: 'x' })).status).toBe(404);
    expect((await h.request('POST', '/apps/demo/addons', {})).body).toMatchObject({ id: 'invalid_params' });
  });

  it('an app is created whole or not at all: a failure inside the create leaves no app, release, log line or event', async () => {
    const insert = h.store.releases.insert.bind(h.store.releases);
    let calls = 0;
    let appId = '';
    vi.spyOn(h.store.releases, 'insert').mockImplementation((...args) => {
      calls += 1;
      appId = args[0].appId;
      if (calls === 2) throw new Error('disk full');
      return insert(...args);
    });
    const res = await h.request('POST', '/apps', { name: 'demo' });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ id: 'internal_server_error' });
    expect((await h.request('GET', '/apps')).body).toEqual([]);
    expect((await h.request('GET', '/apps/demo')).status).toBe(404);
    expect(h.emitted).toEqual([]);
    h.logplex.flush();
    expect(appId).toMatch(UUID);
    expect(h.logplex.history(appId)).toEqual([]);

    vi.restoreAllMocks();
    const again = await h.request('POST', '/apps', { name: 'demo' });
    expect(again.status).toBe(201);
    expect(((await h.request('GET', '/apps/demo/releases')).body as Json[]).map((r) => r['version'])).toEqual([1, 2]);
  });
});
