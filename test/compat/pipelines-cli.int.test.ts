// The real `heroku` CLI (v11) driving pipelines against Berth: create, add, list, info, apps:info, promote (to the
// next stage and with -t), update, rename, remove, destroy. One build (staging); promotions copy its slug, and the
// production app's release phase and web dyno run it with production's config (reference: heroku-cli-and-api.md §3,
// heroku-workflows.md §3, heroku-runtime-behaviour.md §4.3).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, fixture, type AppJson } from '../support/build.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import { currentRelease, deploy, getFromDyno, reportDeadDaemon, SHORT_TIMINGS, waitForDynos } from '../dynos/helpers.js';

let daemon: TestDaemon;
let guard: EgressGuard;
let env: CliEnv;
let email: string;
let staging: AppJson;
let production: AppJson;
let loner: AppJson;

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env);
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

function lines(text: string): string[] {
  return text.split('\n').map((line) => line.trim());
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  email = (await api<{ email: string }>(daemon, 'GET', '/account')).email;
  staging = await api<AppJson>(daemon, 'POST', '/apps', { name: 'shop-staging' });
  production = await api<AppJson>(daemon, 'POST', '/apps', { name: 'shop-prod' });
  loner = await api<AppJson>(daemon, 'POST', '/apps', { name: 'loner' });
  await api(daemon, 'PATCH', `/apps/${staging.name}/config-vars`, { GREETING: 'from-staging' });
  await api(daemon, 'PATCH', `/apps/${production.name}/config-vars`, { GREETING: 'from-production' });
  await deploy(daemon, staging.name, fixture('lifecycle'));
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('heroku CLI: pipelines', () => {
  it('pipelines:create shop -a shop-staging -s staging', async () => {
    const result = await heroku(['pipelines:create', 'shop', '-a', staging.name, '-s', 'staging']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Creating shop pipeline\.\.\. done/);
    expect(result.stderr).toMatch(/Adding (⬢ )?shop-staging to shop pipeline as staging\.\.\. done/);
  });

  it('pipelines:add shop -a shop-prod -s production', async () => {
    const result = await heroku(['pipelines:add', 'shop', '-a', production.name, '-s', 'production']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Adding (⬢ )?shop-prod to shop pipeline as production\.\.\. done/);
  });

  it('pipelines lists it', async () => {
    const result = await heroku(['pipelines']);
    expectCode(result, 0);
    expect(lines(result.stdout)).toEqual(expect.arrayContaining(['=== My Pipelines', 'shop']));
  });

  it('pipelines:info shop shows the owner and the apps by stage', async () => {
    const result = await heroku(['pipelines:info', 'shop']);
    expectCode(result, 0);
    const out = lines(result.stdout);
    expect(out).toEqual(expect.arrayContaining(['=== shop', `owner: ${email}`]));
    expect(result.stdout).toMatch(/(⬢ )?shop-staging\s+staging/);
    expect(result.stdout).toMatch(/(⬢ )?shop-prod\s+production/);
    expect(result.stdout.indexOf('shop-staging')).toBeLessThan(result.stdout.indexOf('shop-prod'));
  });

  it('apps:info shows the pipeline and stage', async () => {
    const result = await heroku(['apps:info', '-a', production.name]);
    expectCode(result, 0);
    expect(result.stdout).toMatch(/^Pipeline:\s+shop - production$/m);
    const alone = await heroku(['apps:info', '-a', loner.name]);
    expectCode(alone, 0);
    expect(alone.stdout).not.toMatch(/^Pipeline:/m);
  });

  it("pipelines:promote -a shop-staging copies the slug; production's release phase and dyno run it with production's config", async () => {
    const source = await currentRelease(daemon, staging.name);
    const result = await heroku(['pipelines:promote', '-a', staging.name]);
    expectCode(result, 0);
    const out = lines(result.stdout);
    expect(out).toEqual(
      expect.arrayContaining([
        'Fetching app info...',
        'Fetching apps from shop...',
        'Starting promotion to production...',
        'Waiting for promotion to complete...',
        'Running release command...',
        'release.py: done',
        'Promotion successful',
      ]),
    );
    // The release phase ran on production, with production's config.
    expect(result.stdout).toMatch(/^release\.py ran for release\.\d+ GREETING=from-production$/m);
    expect(result.stdout).toMatch(/^shop-prod: succeeded$/m);
    const promoted = await currentRelease(daemon, production.name);
    expect(promoted.slug?.id).toBe(source.slug?.id);
    expect(promoted.description).toBe(`Promote shop-staging v${source.version}`);
    const [web] = await waitForDynos(daemon, production.name, ['web.1'], 'up');
    expect(web).toBeDefined();
    expect(await getFromDyno(production.id, 'web.1')).toContain('GREETING=from-production');
  });

  it('pipelines:promote -t loner: an app outside the pipeline is not a target', async () => {
    const result = await heroku(['pipelines:promote', '-a', staging.name, '-t', loner.name]);
    expect(result.code).not.toBe(0);
    const releases = await api<unknown[]>(daemon, 'GET', `/apps/${loner.name}/releases`);
    expect(releases).toHaveLength(2);
  });

  it('pipelines:update -a shop-prod -s development, then promote -t shop-prod promotes to any stage', async () => {
    const update = await heroku(['pipelines:update', '-a', production.name, '-s', 'development']);
    expectCode(update, 0);
    expect(update.stderr).toMatch(/Changing (⬢ )?shop-prod to development\.\.\. done/);
    const result = await heroku(['pipelines:promote', '-a', staging.name, '-t', production.name]);
    expectCode(result, 0);
    expect(lines(result.stdout)).toEqual(expect.arrayContaining([`Starting promotion to apps: ${production.name}...`, 'Promotion successful']));
  });

  it('promoting from the last stage fails in the CLI before any call', async () => {
    await heroku(['pipelines:update', '-a', production.name, '-s', 'production']);
    const result = await heroku(['pipelines:promote', '-a', production.name]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Cannot promote shop-prod from 'production' stage/);
  });

  it('pipelines:rename shop store', async () => {
    const result = await heroku(['pipelines:rename', 'shop', 'store']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Renaming shop pipeline to store\.\.\. done/);
  });

  it('pipelines:remove -a shop-prod', async () => {
    const result = await heroku(['pipelines:remove', '-a', production.name]);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Removing (⬢ )?shop-prod\.\.\. done/);
    const info = await heroku(['apps:info', '-a', production.name]);
    expect(info.stdout).not.toMatch(/^Pipeline:/m);
  });

  it('pipelines:destroy store; the apps stay', async () => {
    const result = await heroku(['pipelines:destroy', 'store']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Destroying store pipeline\.\.\. done/);
    const list = await heroku(['pipelines']);
    expect(lines(list.stdout)).not.toContain('store');
    expect((await api<AppJson>(daemon, 'GET', `/apps/${staging.name}`)).id).toBe(staging.id);
  });

  it('pipelines:info of an unknown pipeline says so', async () => {
    const result = await heroku(['pipelines:info', 'nope']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Pipeline not found/);
  });

  it('no connection left the machine', () => {
    expect(guard.attempts()).toBe('');
  });
});
