// Pipelines over the real services and API on the in-memory engine: the calls the heroku CLI makes, in its order
// (reference: heroku-cli-and-api.md §3, §6; heroku-workflows.md §3), and promotion as a slug copy.
import { access } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { platform, type Platform } from '../support/platform.js';
import { pretendSlug } from '../support/slugs.js';

let p: Platform;
let staging: AppRecord;
let production: AppRecord;

interface Shape {
  id: string;
  [key: string]: unknown;
}

async function ok<T = Shape>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, status = 200): Promise<T> {
  const response = await p.request(method, url, body);
  expect(response.status, response.text).toBe(status);
  return response.body as T;
}

async function fails(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body: unknown, status: number, message: string | RegExp): Promise<void> {
  const response = await p.request(method, url, body);
  expect(response.status, response.text).toBe(status);
  expect((response.body as { message: string }).message).toMatch(message);
}

async function pipelineWithApps(): Promise<Shape> {
  const pipeline = await ok('POST', '/pipelines', { name: 'shop', generation: { name: 'cedar' }, owner: { id: '11111111-2222-4333-8444-555555555555', type: 'user' } }, 201);
  await ok('POST', '/pipeline-couplings', { app: staging.name, pipeline: pipeline.id, stage: 'staging' }, 201);
  await ok('POST', '/pipeline-couplings', { app: production.name, pipeline: pipeline.id, stage: 'production' }, 201);
  return pipeline;
}

/** Releases a slug on staging (with `processTypes`) and returns it. */
async function deployStaging(processTypes: Record<string, string> = { web: 'node server.js' }) {
  const slug = await pretendSlug(p, staging, processTypes);
  await p.services.releases.startPhase(p.services.releases.createFromApi(p.app(staging.name), { slug: slug.id }));
  return slug;
}

beforeEach(async () => {
  p = await platform();
  staging = await p.createApp('shop-staging');
  production = await p.createApp('shop-production');
});

afterEach(async () => {
  await p.services.pipelines.settled();
  await p.close();
});

describe('pipelines and couplings', () => {
  it('creates a pipeline as `pipelines:create` does, with cedar generation and the owner', async () => {
    const pipeline = await ok('POST', '/pipelines', { name: 'shop', generation: { name: 'cedar' }, owner: { id: 'u-1', type: 'user' } }, 201);
    expect(pipeline).toMatchObject({ name: 'shop', owner: { id: 'u-1', type: 'user' }, generation: { name: 'cedar' } });
    expect(await ok('GET', `/pipelines/${pipeline.id}`)).toEqual(pipeline);
    expect(await ok('GET', '/pipelines/shop')).toEqual(pipeline);
  });

  it('filters by ?eq[name]= as the CLI resolves names', async () => {
    await ok('POST', '/pipelines', { name: 'shop' }, 201);
    await ok('POST', '/pipelines', { name: 'blog' }, 201);
    expect((await ok<Shape[]>('GET', '/pipelines?eq[name]=shop')).map((x) => x['name'])).toEqual(['shop']);
    expect(await ok<Shape[]>('GET', '/pipelines?eq[name]=nope')).toEqual([]);
    expect((await ok<Shape[]>('GET', '/pipelines')).map((x) => x['name']).sort()).toEqual(['blog', 'shop']);
  });

  it('refuses bad and taken names, and unknown pipelines', async () => {
    await fails('POST', '/pipelines', { name: 'Shop!' }, 422, /^Name must start with a letter/);
    await fails('POST', '/pipelines', { name: 'ab' }, 422, /^Name must start with a letter/);
    await ok('POST', '/pipelines', { name: 'shop' }, 201);
    await fails('POST', '/pipelines', { name: 'shop' }, 422, 'Name is already taken');
    await fails('GET', '/pipelines/nope', undefined, 404, "Couldn't find that pipeline.");
    await fails('POST', '/pipelines', {}, 422, /name/);
  });

  it('couples apps at stages; GET /apps/{app}/pipeline-couplings is one object with the pipeline name, or 404', async () => {
    const pipeline = await pipelineWithApps();
    const coupling = await ok('GET', `/apps/${staging.name}/pipeline-couplings`);
    expect(coupling).toMatchObject({ app: { id: staging.id, name: staging.name }, pipeline: { id: pipeline.id, name: 'shop' }, stage: 'staging' });
    const other = await p.createApp('loner');
    await fails('GET', `/apps/${other.name}/pipeline-couplings`, undefined, 404, "Couldn't find that pipeline coupling.");
    const list = await ok<Shape[]>('GET', `/pipelines/${pipeline.id}/pipeline-couplings`);
    expect(list.map((c) => c['stage']).sort()).toEqual(['production', 'staging']);
  });

  it('refuses a bad stage, an app already in a pipeline, an unknown app', async () => {
    const pipeline = await pipelineWithApps();
    const other = await p.createApp('loner');
    await fails('POST', '/pipeline-couplings', { app: other.name, pipeline: pipeline.id, stage: 'qa' }, 422, /^Stage must be one of test, review, development, staging or production; got "qa"/);
    await fails('POST', '/pipeline-couplings', { app: staging.name, pipeline: pipeline.id, stage: 'staging' }, 422, 'shop-staging is already in the shop pipeline.');
    await fails('POST', '/pipeline-couplings', { app: 'ghost', pipeline: pipeline.id, stage: 'staging' }, 404, "Couldn't find that app.");
    expect(p.services.pipelines.allCouplings()).toHaveLength(2);
  });

  it('`pipelines:update` changes a stage; `pipelines:remove` deletes the coupling; the app stays', async () => {
    await pipelineWithApps();
    const coupling = await ok('GET', `/apps/${staging.name}/pipeline-couplings`);
    expect(await ok('PATCH', `/pipeline-couplings/${coupling.id}`, { stage: 'development' })).toMatchObject({ stage: 'development' });
    await fails('PATCH', `/pipeline-couplings/${coupling.id}`, { stage: 'prod' }, 422, /got "prod"/);
    await ok('DELETE', `/pipeline-couplings/${coupling.id}`);
    await fails('GET', `/apps/${staging.name}/pipeline-couplings`, undefined, 404, /pipeline coupling/);
    expect(p.app(staging.name).id).toBe(staging.id);
  });

  it('POST /filters/apps answers the apps of the given ids (Range `id ..; max=1000;`)', async () => {
    await pipelineWithApps();
    const response = await p.api.inject({
      method: 'POST',
      url: '/filters/apps',
      headers: { authorization: 'Bearer test-key-platform', range: 'id ..; max=1000;', accept: 'application/vnd.heroku+json; version=3.filters' },
      payload: { in: { id: [staging.id, production.id] } },
    });
    expect(response.statusCode).toBe(200);
    expect((JSON.parse(response.body) as Shape[]).map((a) => a['name']).sort()).toEqual(['shop-production', 'shop-staging']);
  });

  it('renames, and destroys a pipeline with a DELETE body; couplings go, apps stay', async () => {
    const pipeline = await pipelineWithApps();
    expect(await ok('PATCH', `/pipelines/${pipeline.id}`, { name: 'store' })).toMatchObject({ name: 'store' });
    await ok('DELETE', `/pipelines/${pipeline.id}`, { name: 'store' });
    await fails('GET', `/pipelines/${pipeline.id}`, undefined, 404, /pipeline/);
    expect(p.services.pipelines.allCouplings()).toEqual([]);
    expect(p.services.apps.list().map((a) => a.name).sort()).toEqual(['shop-production', 'shop-staging']);
  });

  it('destroying an app removes its coupling', async () => {
    const pipeline = await pipelineWithApps();
    p.services.apps.destroy(staging.name);
    expect((await ok<Shape[]>('GET', `/pipelines/${pipeline.id}/pipeline-couplings`)).map((c) => c['stage'])).toEqual(['production']);
  });
});

describe('promotion', () => {
  it('copies the SAME slug to the target as a new release with its own config; targets report succeeded', async () => {
    const pipeline = await pipelineWithApps();
    p.services.apps.updateConfigVars(staging.name, { WHERE: 'staging' });
    p.services.apps.updateConfigVars(production.name, { WHERE: 'production' });
    const slug = await deployStaging();
    const sourceRelease = p.services.releases.current(p.app(staging.name));
    const promotion = await ok(
      'POST',
      '/pipeline-promotions',
      { pipeline: { id: pipeline.id }, source: { app: { id: staging.id } }, targets: [{ app: { id: production.id } }] },
      201,
    );
    expect(promotion).toMatchObject({ pipeline: { id: pipeline.id }, source: { app: { id: staging.id }, release: { id: sourceRelease?.id } } });
    await p.services.pipelines.settled();
    const targets = await ok<Shape[]>('GET', `/pipeline-promotions/${promotion.id}/promotion-targets`);
    const release = p.services.releases.current(p.app(production.name));
    expect(targets).toEqual([
      { app: { id: production.id }, error_message: null, id: expect.any(String), pipeline_promotion: { id: promotion.id }, release: { id: release?.id }, status: 'succeeded' },
    ]);
    expect(release?.artifact).toEqual({ type: 'slug', id: slug.id });
    expect(release?.config['WHERE']).toBe('production');
    expect(release?.description).toBe(`Promote shop-staging v${sourceRelease?.version}`);
    expect(await ok('GET', `/pipeline-promotions/${promotion.id}`)).toMatchObject({ status: 'completed' });
    expect(p.lines(p.app(production.name))).toContain(`app[api]: Promote shop-staging v${sourceRelease?.version} by user dev@example.test`);
  });

  it("runs the target's release phase; a failing one fails the target and keeps its previous release", async () => {
    const pipeline = await pipelineWithApps();
    let ran: string | undefined;
    p.engine.script(
      (spec) => spec.labels.role === 'release',
      (proc) => {
        ran = proc.spec.labels.app;
        return proc.env['FAIL'] === '1' ? 1 : 0;
      },
    );
    await deployStaging({ web: 'node server.js', release: './migrate' });
    p.services.apps.updateConfigVars(production.name, { FAIL: '1' });
    const before = p.services.releases.current(p.app(production.name));
    const body = { pipeline: { id: pipeline.id }, source: { app: { id: staging.id } }, targets: [{ app: { id: production.id } }] };
    const promotion = await ok('POST', '/pipeline-promotions', body, 201);
    await p.services.pipelines.settled();
    expect(ran).toBe(production.id);
    const [target] = await ok<Shape[]>('GET', `/pipeline-promotions/${promotion.id}/promotion-targets`);
    expect(target).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^Release v\d+ command failed/) });
    expect(p.services.releases.current(p.app(production.name))?.id).toBe(before?.id);
  });

  it('destroying the source app keeps the promoted slug (record, blob and image) for the target', async () => {
    const pipeline = await pipelineWithApps();
    const slug = await deployStaging();
    const body = { pipeline: { id: pipeline.id }, source: { app: { id: staging.id } }, targets: [{ app: { id: production.id } }] };
    await ok('POST', '/pipeline-promotions', body, 201);
    await p.services.pipelines.settled();
    p.services.apps.destroy(staging.name);
    await p.services.events.settled();
    expect(p.eventErrors).toEqual([]);
    const kept = p.store.builds.getSlug(slug.id);
    expect(kept?.appId).toBe(production.id);
    await expect(access(slug.blobPath)).resolves.toBeUndefined();
    expect((await p.engine.listImages([`berth.slug=${slug.id}`])).map((i) => i.ref)).toEqual([slug.image]);
    expect(p.services.releases.current(p.app(production.name))?.artifact).toEqual({ type: 'slug', id: slug.id });
  });

  it('refuses: an app with no release, a target outside the pipeline, the source as target, no targets; nothing is made', async () => {
    const pipeline = await pipelineWithApps();
    const promote = (source: string, targets: string[]) => ({ pipeline: { id: pipeline.id }, source: { app: { id: source } }, targets: targets.map((id) => ({ app: { id } })) });
    await fails('POST', '/pipeline-promotions', promote(staging.id, [production.id]), 422, 'shop-staging has no release to promote: deploy it first.');
    await deployStaging();
    const loner = await p.createApp('loner');
    await fails('POST', '/pipeline-promotions', promote(staging.id, [loner.id]), 422, 'loner is not in the shop pipeline.');
    const other = await ok('POST', '/pipelines', { name: 'other' }, 201);
    await ok('POST', '/pipeline-couplings', { app: loner.name, pipeline: other.id, stage: 'production' }, 201);
    await fails('POST', '/pipeline-promotions', promote(staging.id, [production.id, loner.id]), 422, 'loner is not in the shop pipeline.');
    await fails('POST', '/pipeline-promotions', promote(staging.id, [staging.id]), 422, 'Cannot promote shop-staging to itself.');
    await fails('POST', '/pipeline-promotions', promote(staging.id, []), 422, 'A promotion needs at least one target app.');
    await fails('GET', '/pipeline-promotions/00000000-0000-4000-8000-000000000000', undefined, 404, "Couldn't find that pipeline promotion.");
    expect(p.services.releases.list(p.app(production.name)).map((r) => r.version)).toEqual([1, 2]);
  });
});
