// App setups over the real services and API on the in-memory engine (build container scripted): app.json → app,
// config vars (generated secrets, required checks), build, release, postdeploy in a one-off dyno, formation; and
// every way one fails, in Heroku's shape (reference: heroku-workflows.md §2).
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptBuildpacks, sourceTarball } from '../support/build-container.js';
import { platform, type Platform } from '../support/platform.js';

let p: Platform;

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

const PROCFILE = 'web: node server.js\nworker: node worker.js\n';

async function blob(files: Record<string, string>): Promise<string> {
  const path = join(p.dataDir, `source-${randomUUID()}.tgz`);
  await writeFile(path, await sourceTarball({ 'package.json': '{}', Procfile: PROCFILE, ...files }));
  return pathToFileURL(path).href;
}

async function setup(body: Record<string, unknown>): Promise<SetupJson> {
  const response = await p.request('POST', '/app-setups', body);
  expect(response.status, response.text).toBe(201);
  return response.body as SetupJson;
}

async function settled(id: string): Promise<SetupJson> {
  await p.services.setups.settled();
  const response = await p.request('GET', `/app-setups/${id}`);
  expect(response.status, response.text).toBe(200);
  return response.body as SetupJson;
}

beforeEach(async () => {
  p = await platform();
  scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js' } });
  p.engine.script((spec) => spec.labels.role === 'run', (proc) => {
    if (proc.spec.cmd.at(-1)?.includes('seed')) {
      proc.print(`seeded with ${proc.env['SECRET_KEY']?.length ?? 0}-char key`);
      return proc.env['SEED_FAIL'] === '1' ? 3 : 0;
    }
    return 0;
  });
});

afterEach(async () => {
  await p.services.setups.settled();
  await p.close();
});

describe('app setups', () => {
  it('sets an app up from app.json: env with a generated secret and overrides, build, postdeploy once, formation', async () => {
    const appJson = {
      name: 'Demo',
      success_url: '/welcome',
      env: {
        SECRET_KEY: { generator: 'secret' },
        GREETING: { value: 'hello' },
        REQUIRED_ONE: { description: 'given as an override' },
        OPTIONAL: { required: false },
      },
      scripts: { postdeploy: 'node seed.js' },
      formation: { web: { quantity: 2, size: 'standard-1x' }, worker: { quantity: 1 } },
      'x-kept': true,
    };
    const created = await setup({
      source_blob: { url: await blob({ 'app.json': JSON.stringify(appJson) }), version: 'v1' },
      app: { name: 'demo-setup' },
      overrides: { env: { REQUIRED_ONE: 'given', EXTRA: 'x' } },
    });
    expect(created).toMatchObject({ status: 'pending', app: { name: 'demo-setup' }, failure_message: null, manifest_errors: [], postdeploy: null });
    const done = await settled(created.id);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'succeeded',
      failure_message: null,
      build: { status: 'succeeded' },
      postdeploy: { output: 'seeded with 64-char key\n', exit_code: 0 },
      resolved_success_url: 'http://demo-setup.localhost:5000/welcome',
    });
    expect(done.build?.output_stream_url).toMatch(/^http:\/\/127\.0\.0\.1:5100\/streams\/builds\//);
    const config = p.services.apps.configVars('demo-setup');
    expect(config['SECRET_KEY']).toMatch(/^[0-9a-f]{64}$/);
    expect(config).toMatchObject({ GREETING: 'hello', REQUIRED_ONE: 'given', EXTRA: 'x' });
    expect(config).not.toHaveProperty('OPTIONAL');
    const formation = p.services.dynos.formation(p.app('demo-setup'));
    expect(formation.map((f) => [f.type, f.quantity, f.size]).sort()).toEqual([
      ['web', 2, 'Standard-1X'],
      ['worker', 1, 'Basic'],
    ]);
    expect(p.lines(p.app('demo-setup')).filter((l) => l.startsWith('heroku[run.') && l.includes('Starting process with command `node seed.js`'))).toHaveLength(1);
  });

  it('bad app.json: failed with every problem in manifest_errors, and no app made', async () => {
    const before = p.services.apps.list().length;
    const bad = { env: { SECRET_KEY: { generator: 'uuid' } }, formation: { web: { quantity: -1 } } };
    const created = await setup({ source_blob: { url: await blob({ 'app.json': JSON.stringify(bad) }) }, app: { name: 'never-made' } });
    expect(created).toMatchObject({
      status: 'failed',
      failure_message: 'invalid app.json',
      app: null,
      build: null,
      manifest_errors: ['env.SECRET_KEY.generator: must be "secret"', 'formation.web.quantity: must be a whole number, 0 or more'],
    });
    expect((await settled(created.id)).status).toBe('failed');
    expect(p.services.apps.list()).toHaveLength(before);
  });

  it('app.json that is not JSON, and a required var without a value, are manifest errors', async () => {
    const notJson = await setup({ source_blob: { url: await blob({ 'app.json': '{"env": ' }) } });
    expect(notJson.manifest_errors[0]).toMatch(/^app\.json: is not valid JSON/);
    const missing = await setup({ source_blob: { url: await blob({ 'app.json': JSON.stringify({ env: { API_TOKEN: { description: 'x' } } }) }) } });
    expect(missing).toMatchObject({ status: 'failed', failure_message: 'invalid app.json', manifest_errors: ['config var API_TOKEN is required'], app: null });
  });

  it('an add-on plan Heroku does not have: failed, naming the add-on, no app left', async () => {
    const appJson = { addons: [{ plan: 'heroku-postgresql:no-such-plan', as: 'DATABASE' }] };
    const created = await setup({ source_blob: { url: await blob({ 'app.json': JSON.stringify(appJson) }) }, app: { name: 'with-addons' } });
    const done = await settled(created.id);
    expect(done.status).toBe('failed');
    expect(done.failure_message).toContain('heroku-postgresql:no-such-plan');
    expect(p.services.apps.list().map((a) => a.name)).not.toContain('with-addons');
  });

  it('a failing postdeploy fails the setup with its output and exit code; the app stays', async () => {
    const appJson = { env: { SEED_FAIL: '1' }, scripts: { postdeploy: 'node seed.js' } };
    const created = await setup({ source_blob: { url: await blob({ 'app.json': JSON.stringify(appJson) }) }, app: { name: 'seed-fails' } });
    const done = await settled(created.id);
    expect(done).toMatchObject({
      status: 'failed',
      failure_message: 'The postdeploy script exited with status 3.',
      postdeploy: { output: 'seeded with 0-char key\n', exit_code: 3 },
      app: { name: 'seed-fails' },
    });
  });

  it('a failing build fails the setup and keeps the app with its build', async () => {
    scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js', compile: () => 1 } });
    const created = await setup({ source_blob: { url: await blob({}) }, app: { name: 'build-fails' } });
    const done = await settled(created.id);
    expect(done).toMatchObject({ status: 'failed', failure_message: 'The build failed; its output is at build.output_stream_url.', build: { status: 'failed' } });
    expect(done.app?.name).toBe('build-fails');
  });

  it("a container-stack app also gets heroku.yml's setup: config vars under app.json's env, and its add-ons", async () => {
    const yml = (setupSection: string) => `setup:\n${setupSection}build:\n  docker:\n    web: Dockerfile\n`;
    const files = (setupSection: string, appJson: object = { stack: 'container', env: { GREETING: 'from-app-json' } }) => ({
      'app.json': JSON.stringify(appJson),
      'heroku.yml': yml(setupSection),
      Dockerfile: 'FROM heroku/heroku:24\nCMD ["true"]\n',
    });
    const made = await setup({ source_blob: { url: await blob(files('  config:\n    GREETING: from-yml\n    WORKERS: 2\n')) }, app: { name: 'boxed-setup' } });
    await settled(made.id);
    // Set before the build (whatever the build does on the memory engine), app.json's value winning.
    expect(p.services.apps.get('boxed-setup').config).toEqual({ GREETING: 'from-app-json', WORKERS: '2' });

    // heroku.yml's add-ons are provisioned: a plan Heroku does not have fails the setup, naming it, and no app stays.
    const addon = await setup({ source_blob: { url: await blob(files('  addons:\n    - plan: heroku-postgresql:no-such-plan\n      as: DATABASE\n')) }, app: { name: 'boxed-addon' } });
    expect((await settled(addon.id)).failure_message).toContain('heroku-postgresql:no-such-plan');
    expect(p.services.apps.list().map((a) => a.name)).not.toContain('boxed-addon');

    const bad = await setup({ source_blob: { url: await blob(files('  config: [1]\n')) }, app: { name: 'boxed-bad' } });
    expect(bad).toMatchObject({ status: 'failed', manifest_errors: ['heroku.yml: setup.config must be a map of config vars'] });
    expect(p.services.apps.list().map((a) => a.name)).not.toContain('boxed-bad');

    // A slug-stack app's heroku.yml is not read.
    const slug = await setup({ source_blob: { url: await blob(files('  config: [1]\n', { env: { GREETING: 'x' } })) }, app: { name: 'slug-app' } });
    expect(slug.status).not.toBe('failed');
  });

  it('a tarball without app.json is set up as a plain app', async () => {
    const created = await setup({ source_blob: { url: await blob({}) } });
    expect((await settled(created.id)).status).toBe('succeeded');
  });

  it('refuses a source blob that cannot be read, a taken app name, and an unknown setup', async () => {
    const unreadable = await setup({ source_blob: { url: pathToFileURL(join(p.dataDir, 'nope.tgz')).href } });
    expect(unreadable).toMatchObject({ status: 'failed', app: null });
    expect(unreadable.failure_message).toMatch(/^The source blob could not be read: /);
    await p.createApp('taken-name');
    const taken = await p.request('POST', '/app-setups', { source_blob: { url: await blob({}) }, app: { name: 'taken-name' } });
    expect([taken.status, (taken.body as { message: string }).message]).toEqual([422, 'Name is already taken']);
    const missing = await p.request('POST', '/app-setups', { app: { name: 'x' } });
    expect(missing.status).toBe(422);
    const unknown = await p.request('GET', `/app-setups/${randomUUID()}`);
    expect([unknown.status, (unknown.body as { message: string }).message]).toEqual([404, "Couldn't find that app setup."]);
  });

  it('pipeline_coupling (as pipelines:setup sends it) couples the new app; a bad pipeline or stage makes nothing', async () => {
    const pipeline = (await p.request('POST', '/pipelines', { name: 'shop' })).body as { id: string };
    const created = await setup({ source_blob: { url: await blob({}) }, app: { name: 'shop-staging' }, pipeline_coupling: { pipeline: pipeline.id, stage: 'staging' } });
    expect((await p.request('GET', '/apps/shop-staging/pipeline-couplings')).body).toMatchObject({ stage: 'staging', pipeline: { id: pipeline.id } });
    await settled(created.id);
    const bad = await p.request('POST', '/app-setups', { source_blob: { url: await blob({}) }, app: { name: 'shop-x' }, pipeline_coupling: { pipeline: pipeline.id, stage: 'qa' } });
    expect(bad.status).toBe(422);
    const missing = await p.request('POST', '/app-setups', { source_blob: { url: await blob({}) }, app: { name: 'shop-y' }, pipeline_coupling: { pipeline: 'nope', stage: 'staging' } });
    expect(missing.status).toBe(404);
    expect(p.services.apps.list().map((a) => a.name)).not.toContain('shop-x');
    expect(p.services.apps.list().map((a) => a.name)).not.toContain('shop-y');
  });
});
