// App setups driven by heroku-client@3 against Berth on the real engine: app.json with a generated secret, a config
// var, a Postgres add-on on a real server, a postdeploy script run once in a one-off dyno, and formation web: 2; then a bad manifest refused up front
// (reference: heroku-workflows.md §1, §2); and a review app made, served and deleted (§3.4). Two builds.
import { request } from 'node:http';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Heroku from 'heroku-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, tarDirectory, uploadSource, waitFor } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { reportDeadDaemon, SHORT_TIMINGS, waitForDynos } from '../dynos/helpers.js';

interface SetupJson {
  id: string;
  status: string;
  failure_message: string | null;
  app: { id: string; name: string } | null;
  build: { id: string; status: string; output_stream_url: string } | null;
  manifest_errors: string[];
  postdeploy: { output: string; exit_code: number } | null;
  resolved_success_url: string | null;
}

let daemon: TestDaemon;
let heroku: Heroku;

/** A copy of the python-stdlib fixture with this app.json, uploaded as a source blob. */
async function sourceWith(appJson: unknown): Promise<string> {
  const dir = await mkdtemp(join(daemon.rootDir, 'setup-'));
  await cp(fixture('python-stdlib'), dir, { recursive: true });
  await writeFile(join(dir, 'app.json'), JSON.stringify(appJson, null, 2));
  return uploadSource(daemon, await tarDirectory(dir));
}

function viaRouter(app: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${app}.localhost:${daemon.ports.router}` }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  heroku = new Heroku({ token: daemon.apiKey, host: daemon.apiUrl });
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('app setups with heroku-client', () => {
  it('sets up an app from app.json: generated secret, build, postdeploy once, formation web: 2', async () => {
    const url = await sourceWith({
      name: 'Setup demo',
      success_url: '/',
      env: { SECRET_KEY: { generator: 'secret' }, GREETING: { value: 'from-app-json' } },
      addons: ['heroku-postgresql:essential-0'],
      scripts: { postdeploy: `python3 -c "import os; print('postdeploy ran, key length', len(os.environ['SECRET_KEY']), 'database', os.environ['DATABASE_URL'].split(':')[0])"` },
      formation: { web: { quantity: 2, size: 'basic' } },
    });
    const created = await heroku.post<SetupJson>('/app-setups', { body: { source_blob: { url, version: 'v1' }, app: { name: 'setup-demo' } } });
    expect(created).toMatchObject({ status: 'pending', app: { name: 'setup-demo' }, manifest_errors: [] });
    let done: SetupJson = created;
    await waitFor('the setup to finish', async () => {
      done = await heroku.get<SetupJson>(`/app-setups/${created.id}`);
      return done.status !== 'pending';
    }, 600_000);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'succeeded',
      failure_message: null,
      build: { status: 'succeeded' },
      postdeploy: { exit_code: 0 },
      resolved_success_url: `http://setup-demo.localhost:${daemon.ports.router}/`,
    });
    expect(done.postdeploy?.output).toContain('postdeploy ran, key length 64 database postgres');
    const addons = await heroku.get<Array<{ addon_service: { name: string }; state: string }>>('/apps/setup-demo/addons');
    expect(addons).toMatchObject([{ addon_service: { name: 'heroku-postgresql' }, state: 'provisioned' }]);
    const config = await heroku.get<Record<string, string>>('/apps/setup-demo/config-vars');
    expect(config['SECRET_KEY']).toMatch(/^[0-9a-f]{64}$/);
    await waitForDynos(daemon, 'setup-demo', ['web.1', 'web.2'], 'up', { exact: true });
    expect(await viaRouter('setup-demo')).toContain('greeting=from-app-json');
  });

  it('a review app: made from a branch with environments.review, served by the router, then deleted with pr-predestroy', async () => {
    const pipeline = await heroku.post<{ id: string }>('/pipelines', { body: { name: 'shop' } });
    const url = await sourceWith({
      env: { GREETING: 'from-production' },
      environments: { review: { env: { GREETING: 'from-review' }, scripts: { 'pr-predestroy': 'echo predestroy' } } },
    });
    const created = await heroku.post<{ id: string; status: string }>('/review-apps', { body: { branch: 'feature/login', pipeline: pipeline.id, source_blob: { url } } });
    expect(created.status).toBe('creating');
    let review = created;
    await waitFor('the review app to be created', async () => {
      review = await heroku.get<{ id: string; status: string }>(`/review-apps/${created.id}`);
      return review.status !== 'creating';
    }, 600_000);
    expect(review.status).toBe('created');
    const coupling = await heroku.get<{ stage: string; app: { name: string } }>('/apps/shop-feature-login/pipeline-couplings');
    expect(coupling).toMatchObject({ stage: 'review', app: { name: 'shop-feature-login' } });
    await waitForDynos(daemon, 'shop-feature-login', ['web.1'], 'up');
    expect(await viaRouter('shop-feature-login')).toContain('greeting=from-review');
    await heroku.delete(`/review-apps/${created.id}`);
    await waitFor('the review app to be deleted', async () => (await heroku.get<{ status: string }>(`/review-apps/${created.id}`)).status === 'deleted', 120_000);
    const apps = await heroku.get<Array<{ name: string }>>('/apps');
    expect(apps.map((a) => a.name)).not.toContain('shop-feature-login');
  });

  it('a bad manifest fails at once with manifest_errors naming the fields; no app is made', async () => {
    const url = await sourceWith({ env: { SECRET_KEY: { generator: 'uuid' }, TOKEN: { description: 'needed' } } });
    const created = await heroku.post<SetupJson>('/app-setups', { body: { source_blob: { url }, app: { name: 'never-made' } } });
    expect(created).toMatchObject({
      status: 'failed',
      failure_message: 'invalid app.json',
      app: null,
      manifest_errors: ['env.SECRET_KEY.generator: must be "secret"'],
    });
    const apps = await heroku.get<Array<{ name: string }>>('/apps');
    expect(apps.map((a) => a.name)).not.toContain('never-made');
  });

  it('an add-on plan Heroku does not have fails the setup naming it; no app is left', async () => {
    const url = await sourceWith({ addons: ['heroku-postgresql:no-such-plan'] });
    const created = await heroku.post<SetupJson>('/app-setups', { body: { source_blob: { url }, app: { name: 'no-plan-app' } } });
    let done: SetupJson = created;
    await waitFor('the setup to fail', async () => {
      done = await heroku.get<SetupJson>(`/app-setups/${created.id}`);
      return done.status !== 'pending';
    }, 120_000);
    expect(done.status).toBe('failed');
    expect(done.failure_message).toContain('heroku-postgresql:no-such-plan');
    const apps = await heroku.get<Array<{ name: string }>>('/apps');
    expect(apps.map((a) => a.name)).not.toContain('no-plan-app');
  });
});
