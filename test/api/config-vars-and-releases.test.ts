import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatLogLine } from '../../src/logs/index.js';
import { harness, type Harness } from './harness.js';

let h: Harness;
let appId: string;
beforeEach(async () => {
  h = await harness();
  appId = String(((await h.request('POST', '/apps', { name: 'demo' })).body as Record<string, unknown>)['id']);
});
afterEach(async () => {
  await h.close();
});

type Json = Record<string, unknown>;
const apiLines = () =>
  h.store.logs
    .read(appId)
    .map((line) => formatLogLine(line))
    .map((text) => text.replace(/^\S+ /, ''));

describe('releases of a new app', () => {
  it('are v1 Initial release and v2 Enable Logplex, v2 current', async () => {
    const res = await h.request('GET', '/apps/demo/releases');
    expect(res.status).toBe(200);
    const releases = res.body as Json[];
    expect(releases.map((r) => [r['version'], r['description'], r['status'], r['current']])).toEqual([
      [1, 'Initial release', 'succeeded', false],
      [2, 'Enable Logplex', 'succeeded', true],
    ]);
    expect(releases[1]).toMatchObject({
      app: { name: 'demo', id: appId },
      user: { email: 'dev@example.test' },
      slug: null,
      output_stream_url: null,
      eligible_for_rollback: true,
      addon_plan_names: [],
    });
  });

  it("write Heroku's app[api] lines", () => {
    expect(apiLines()).toEqual([
      'app[api]: Initial release by user dev@example.test',
      'app[api]: Release v1 created by user dev@example.test',
      'app[api]: Enable Logplex by user dev@example.test',
      'app[api]: Release v2 created by user dev@example.test',
    ]);
  });
});

describe('config vars', () => {
  it('sets vars, answers the full map, and makes a release pinning them', async () => {
    const res = await h.request('PATCH', '/apps/demo/config-vars', { FOO: 'bar', BAZ: 'qux' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ FOO: 'bar', BAZ: 'qux' });
    expect((await h.request('GET', '/apps/demo/config-vars')).body).toEqual({ FOO: 'bar', BAZ: 'qux' });
    const v3 = (await h.request('GET', '/apps/demo/releases/3')).body as Json;
    expect(v3).toMatchObject({ version: 3, description: 'Set FOO, BAZ config vars', current: true });
    expect(apiLines().slice(-2)).toEqual([
      'app[api]: Set FOO, BAZ config vars by user dev@example.test',
      'app[api]: Release v3 created by user dev@example.test',
    ]);
  });

  it('removes a var with null, and the older release keeps its own config', async () => {
    await h.request('PATCH', '/apps/demo/config-vars', { A: '1', B: '2' });
    const res = await h.request('PATCH', '/apps/demo/config-vars', { A: null });
    expect(res.body).toEqual({ B: '2' });
    expect(((await h.request('GET', '/apps/demo/releases/v4')).body as Json)['description']).toBe('Remove A config vars');
    expect((await h.request('GET', '/apps/demo/releases/3/config-vars')).body).toEqual({ A: '1', B: '2' });
    expect((await h.request('GET', '/apps/demo/releases/4/config-vars')).body).toEqual({ B: '2' });
  });

  it('announces release.current for each new release', async () => {
    await h.request('PATCH', '/apps/demo/config-vars', { A: '1' });
    await h.events.settled();
    expect(h.emitted.filter((e) => e.event === 'release.current').map((e) => (e.payload as Json)['version'])).toEqual([1, 2, 3]);
  });

  it('makes no release for an empty patch', async () => {
    await h.request('PATCH', '/apps/demo/config-vars', {});
    expect(((await h.request('GET', '/apps/demo/releases')).body as Json[]).length).toBe(2);
  });

  it.each([
    [{ 'BAD-NAME': 'x' }],
    [{ GOOD: 'x', '9LIVES': 'y' }],
    [{ A: { nested: true } }],
    [['A']],
  ])('answers 422 for %j and changes nothing', async (body) => {
    const res = await h.request('PATCH', '/apps/demo/config-vars', body);
    expect(res.status).toBe(422);
    expect((res.body as Json)['id']).toBe('invalid_params');
    expect((await h.request('GET', '/apps/demo/config-vars')).body).toEqual({});
    expect(((await h.request('GET', '/apps/demo/releases')).body as Json[]).length).toBe(2);
  });

  it('answers 422 for oversized values and changes nothing', async () => {
    const res = await h.request('PATCH', '/apps/demo/config-vars', { BIG: 'x'.repeat(70 * 1024) });
    expect(res.status).toBe(422);
    expect((await h.request('GET', '/apps/demo/config-vars')).body).toEqual({});
    expect(apiLines()).toHaveLength(4);
  });
});

describe('release lookups', () => {
  it('finds a release by id, by version and by vN', async () => {
    const list = (await h.request('GET', '/apps/demo/releases')).body as Json[];
    const id = String(list[0]?.['id']);
    for (const ref of [id, '1', 'v1']) {
      expect(((await h.request('GET', `/apps/demo/releases/${ref}`)).body as Json)['version']).toBe(1);
    }
  });

  it('answers 404 for an unknown release', async () => {
    const res = await h.request('GET', '/apps/demo/releases/99');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ id: 'not_found', message: "Couldn't find that release.", resource: 'release' });
  });

  it('pages releases newest first as `heroku releases` asks', async () => {
    for (let i = 0; i < 5; i++) await h.request('PATCH', '/apps/demo/config-vars', { N: String(i) });
    const res = await h.request('GET', '/apps/demo/releases', undefined, { range: 'version ..; max=3, order=desc' });
    expect(res.status).toBe(206);
    expect((res.body as Json[]).map((r) => r['version'])).toEqual([7, 6, 5]);
    const latest = await h.request('GET', '/apps/demo/releases', undefined, { range: 'version ..; order=desc,max=1' });
    expect((latest.body as Json[]).map((r) => r['version'])).toEqual([7]);
  });
});
