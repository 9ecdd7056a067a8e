// App and account features through the Platform API (inject), and runtime-dyno-metadata's variables in a dyno on the
// in-memory engine.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { platform, type Platform } from '../support/platform.js';
import { pretendSlug } from '../support/slugs.js';

let p: Platform;
let app: AppRecord;

beforeEach(async () => {
  p = await platform();
  app = await p.createApp('featured');
});

afterEach(async () => {
  await p.close();
});

type FeatureJson = { name: string; enabled: boolean; state: string; id: string; description: string };

describe('app features', () => {
  it('lists Heroku features with the schema fields: general ones for `features`, the rest for `labs`', async () => {
    const list = await p.request('GET', '/apps/featured/features');
    expect(list.status).toBe(200);
    const features = list.body as FeatureJson[];
    expect(features.filter((f) => f.state === 'general').map((f) => f.name).sort()).toEqual(['http-session-affinity', 'preboot', 'spaces-dns-discovery']);
    expect(features.map((f) => f.name)).toContain('runtime-dyno-metadata');
    expect(features.map((f) => f.name)).toContain('log-runtime-metrics');
    expect(features.every((f) => f.enabled === false)).toBe(true);
    expect(Object.keys(features[0] as object).sort()).toEqual(
      ['created_at', 'description', 'display_name', 'doc_url', 'enabled', 'feedback_email', 'id', 'name', 'state', 'updated_at'],
    );
    expect(features.find((f) => f.name === 'preboot')?.description).toBe('Provide seamless web dyno deploys');
  });

  it('PATCH enables and disables one, by name or id; other apps are not touched', async () => {
    const other = await p.createApp('other');
    const enabled = await p.request('PATCH', '/apps/featured/features/runtime-dyno-metadata', { enabled: true });
    expect(enabled).toMatchObject({ status: 200, body: { name: 'runtime-dyno-metadata', enabled: true } });
    const byId = (enabled.body as FeatureJson).id;
    expect((await p.request('GET', `/apps/featured/features/${byId}`)).body).toMatchObject({ enabled: true });
    expect((await p.request('GET', `/apps/${other.name}/features/runtime-dyno-metadata`)).body).toMatchObject({ enabled: false });
    await p.request('PATCH', `/apps/featured/features/${byId}`, { enabled: false });
    expect((await p.request('GET', '/apps/featured/features/runtime-dyno-metadata')).body).toMatchObject({ enabled: false });
  });

  it('answers 404 for an unknown feature and 422 for a body without enabled', async () => {
    expect(await p.request('GET', '/apps/featured/features/warp-drive')).toMatchObject({
      status: 404,
      body: { id: 'not_found', message: "Couldn't find that feature.", resource: 'feature' },
    });
    expect(await p.request('PATCH', '/apps/featured/features/preboot', {})).toMatchObject({ status: 422, body: { id: 'invalid_params' } });
    expect(await p.request('GET', '/account/features/preboot')).toMatchObject({ status: 404 });
  });

  it('account features list, enable and read back', async () => {
    const list = (await p.request('GET', '/account/features')).body as FeatureJson[];
    expect(list.map((f) => f.name)).toContain('dashboard-repositories-api');
    await p.request('PATCH', '/account/features/dashboard-repositories-api', { enabled: true });
    expect((await p.request('GET', '/account/features/dashboard-repositories-api')).body).toMatchObject({ enabled: true });
  });
});

describe('runtime-dyno-metadata', () => {
  async function deployed(): Promise<Record<string, string>> {
    const slug = await pretendSlug(p, app, { web: 'node web.js' });
    const release = p.services.releases.create({ app, description: 'Deploy 58d1fdd0', config: {}, artifact: { type: 'slug', id: slug.id } });
    await p.services.events.settled();
    for (let i = 0; i < 200 && p.engine.process({ dyno: 'web.1' }) === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    const env = p.engine.process({ dyno: 'web.1' })?.env ?? {};
    expect(release.version).toBe(3);
    return env;
  }

  it('puts the app, dyno, release and slug in the environment of dynos of an app that has it on', async () => {
    await p.request('PATCH', '/apps/featured/features/runtime-dyno-metadata', { enabled: true });
    const env = await deployed();
    const [dyno] = p.services.dynos.dynos(app);
    const release = p.services.releases.get(app, '3');
    expect(env).toMatchObject({
      HEROKU_APP_ID: app.id,
      HEROKU_APP_NAME: 'featured',
      HEROKU_APP_DEFAULT_DOMAIN_NAME: 'featured.localhost',
      HEROKU_DYNO_ID: dyno?.id,
      HEROKU_RELEASE_CREATED_AT: release.createdAt,
      HEROKU_RELEASE_VERSION: 'v3',
      HEROKU_SLUG_DESCRIPTION: 'Deploy 58d1fdd0',
    });
    expect(env['HEROKU_SLUG_COMMIT']).toBe('');
  });

  it('adds nothing while it is off', async () => {
    const env = await deployed();
    expect(Object.keys(env).filter((k) => k.startsWith('HEROKU_'))).toEqual([]);
    expect(env['DYNO']).toBe('web.1');
  });
});
