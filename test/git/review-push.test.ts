// Review apps from branches, as the pre-receive hook drives GitService on the memory engine: pushing another branch
// than main/master to a pipeline app with review apps enabled makes (then updates) `<pipeline>-<branch slug>` from
// app.json's environments.review; deleting the branch destroys it after pr-predestroy, once git has deleted the ref
// (the post-receive hook's call), never when git refuses the deletion. Elsewhere such pushes keep
// today's refusal. Also the review-app-config API and the scripts outliving a restart.
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { ReviewAppsService } from '../../src/pipelines/index.js';
import { SetupsService } from '../../src/setups/index.js';
import { scriptBuildpacks, sourceTarball } from '../support/build-container.js';
import { gitRepoOf } from '../support/git-repo.js';
import { platform, type Platform } from '../support/platform.js';

const ZERO = '0'.repeat(40);
const SHA = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const APP_JSON = {
  env: { MODE: 'production' },
  scripts: { postdeploy: 'seed', 'pr-predestroy': 'cleanup' },
  environments: { review: { env: { MODE: 'review' }, formation: { worker: { quantity: 1 } } } },
};
const SOURCE = { 'package.json': '{}', Procfile: 'worker: node worker.js\n', 'app.json': JSON.stringify(APP_JSON) };

let p: Platform;
let staging: AppRecord;
const ran: string[] = [];

beforeEach(async () => {
  ran.length = 0;
  p = await platform();
  staging = await p.createApp('shop-staging');
  scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js' } });
  p.engine.script((spec) => spec.labels.role === 'run', (proc) => {
    ran.push(`${proc.spec.cmd.at(-1)} ${proc.env['HEROKU_APP_NAME']} ${proc.env['MODE']}`);
    if (proc.spec.cmd.at(-1) === 'cleanup') proc.print(`dropped ${proc.env['HEROKU_APP_NAME']}`);
    if (proc.spec.cmd.at(-1) === 'seed') proc.print('seeded');
    return 0;
  });
  await p.request('POST', '/pipelines', { name: 'shop' });
  await p.request('POST', '/pipeline-couplings', { app: staging.name, pipeline: 'shop', stage: 'staging' });
});
afterEach(async () => {
  await p.services.reviewApps.settled();
  await p.services.setups.settled();
  await p.close();
});

async function enable(): Promise<void> {
  expect((await p.request('POST', '/pipelines/shop/review-app-config', { repo: 'local/shop' })).status).toBe(200);
}

/**
 * One push of `ref` to `app` (`delete`: the branch is deleted): the hooks' transcript and whether it was accepted.
 * `refusedByGit`: git refuses the ref update after the pre-receive hook accepted it, so post-receive never runs.
 */
async function push(
  app: AppRecord,
  ref: string,
  options: { delete?: boolean; files?: Record<string, string>; refusedByGit?: boolean } = {},
): Promise<{ lines: string[]; accepted: boolean | undefined }> {
  const session = p.services.git.beginPush(app);
  const token = session.env['BERTH_PUSH_TOKEN'];
  const refText = options.delete ? `${SHA} ${ZERO} ${ref}\n` : `${ZERO} ${SHA} ${ref}\n`;
  const plan = await p.services.git.plan(token, refText);
  let text = plan.lines.map((line) => `${line}\n`).join('');
  let accepted: boolean | undefined = plan.ok ? (plan.archive === null ? true : undefined) : false;
  if (plan.ok && plan.archive !== null) {
    await p.services.git.deploy(token, Readable.from(await sourceTarball(options.files ?? SOURCE)), {
      write: (chunk) => void (text += chunk),
      end: (ok) => {
        accepted = ok;
        session.end();
      },
      signal: new AbortController().signal,
    });
  }
  // The post-receive hook (a push that deployed has nothing left for it; its session ends with its build).
  if (plan.ok && plan.archive === null && !options.refusedByGit) text += (await p.services.git.received(token, refText)).lines.map((line) => `${line}\n`).join('');
  session.end();
  await p.services.builds.settled();
  return { lines: text.split('\n').slice(0, -1), accepted: options.refusedByGit ? false : accepted };
}

describe('a push of another branch to a pipeline app with review apps enabled', () => {
  it('makes <pipeline>-<branch slug> from environments.review, then updates it; deleting the branch destroys it', async () => {
    await enable();
    const first = await push(staging, 'refs/heads/feature/Login');
    expect(first.accepted).toBe(true);
    expect(first.lines.slice(0, 4)).toEqual(['Compressing source files... done.', 'Building source:', '', '-----> Creating review app shop-feature-login of pipeline shop from feature/Login']);
    expect(first.lines).toContain('       http://shop-feature-login.localhost:5000/ deployed to Berth');
    expect(first.lines.slice(-3)).toEqual([
      '-----> Running scripts.postdeploy of shop-feature-login',
      'seeded',
      '-----> Review app shop-feature-login is up: http://shop-feature-login.localhost:5000/',
    ]);
    const review = p.app('shop-feature-login');
    expect(p.services.apps.configVars(review.name)).toMatchObject({ MODE: 'review', HEROKU_APP_NAME: 'shop-feature-login', HEROKU_BRANCH: 'feature/Login' });
    expect((await p.request('GET', `/apps/${review.name}/pipeline-couplings`)).body).toMatchObject({ stage: 'review', pipeline: { name: 'shop' } });
    expect((await p.request('GET', `/apps/${review.name}/review-app`)).body).toMatchObject({ status: 'created', branch: 'feature/Login' });
    expect(p.services.dynos.formation(review).map((f) => [f.type, f.quantity])).toContainEqual(['worker', 1]);
    expect(ran).toEqual(['seed shop-feature-login review']);
    // The parent got nothing.
    expect(p.services.builds.list(staging)).toEqual([]);

    const second = await push(staging, 'refs/heads/feature/Login');
    expect(second.accepted).toBe(true);
    expect(second.lines[3]).toBe('-----> Deploying feature/Login to its review app shop-feature-login');
    expect(second.lines.at(-1)).toBe('-----> Review app shop-feature-login is up: http://shop-feature-login.localhost:5000/');
    expect(p.services.builds.list(review)).toHaveLength(2);
    // postdeploy runs on the first deploy only.
    expect(ran).toEqual(['seed shop-feature-login review']);

    // git refuses the deletion after the pre-receive hook (a locked ref): the review app stays, pr-predestroy unrun.
    expect(await push(staging, 'refs/heads/feature/Login', { delete: true, refusedByGit: true })).toEqual({ lines: [], accepted: false });
    expect(ran).toEqual(['seed shop-feature-login review']);
    expect((await p.request('GET', '/apps/shop-feature-login/review-app')).body).toMatchObject({ status: 'created' });

    const gone = await push(staging, 'refs/heads/feature/Login', { delete: true });
    expect(gone).toEqual({
      lines: ['-----> Running scripts.pr-predestroy of shop-feature-login', 'dropped shop-feature-login', '-----> Review app shop-feature-login of feature/Login destroyed'],
      accepted: true,
    });
    expect(ran).toEqual(['seed shop-feature-login review', 'cleanup shop-feature-login review']);
    expect(p.services.apps.list().map((a) => a.name)).not.toContain('shop-feature-login');
    expect((await p.request('GET', '/pipelines/shop/review-apps')).body).toEqual([]);
    expect(await push(staging, 'refs/heads/feature/Login', { delete: true })).toEqual({ lines: ['-----> feature/Login has no review app: nothing to destroy'], accepted: true });
  });

  it('names review apps with base_name when the config has one', async () => {
    await enable();
    expect((await p.request('PATCH', '/pipelines/shop/review-app-config', { base_name: 'rv' })).body).toMatchObject({ base_name: 'rv' });
    expect((await push(staging, 'refs/heads/x1')).accepted).toBe(true);
    expect(p.app('rv-x1').name).toBe('rv-x1');
  });

  it('refuses a branch that cannot name an app, a bad app.json, and a name another app holds; nothing is made', async () => {
    await enable();
    expect(await push(staging, 'refs/heads/___')).toEqual({
      lines: [' !     Push rejected: the branch ___ cannot name a review app (it needs a letter or a digit).', ' !     Rename the branch and push again.'],
      accepted: false,
    });
    const bad = await push(staging, 'refs/heads/bad', { files: { ...SOURCE, 'app.json': '{"env": 3}' } });
    expect(bad.accepted).toBe(false);
    expect(bad.lines).toContain(' !     The review app could not be made: invalid app.json; env: must be an object');
    await p.createApp('shop-taken');
    const taken = await push(staging, 'refs/heads/taken');
    expect(taken.accepted).toBe(false);
    expect(taken.lines).toContain(' !     The review app could not be made: Name is already taken');
    expect(p.services.apps.list().map((a) => a.name).sort()).toEqual(['shop-staging', 'shop-taken']);
  });
});

describe('a push of another branch keeps today’s refusal', () => {
  const refusal = [' !     Push rejected: only the main or master branch deploys, and you pushed feature.', ' !     To deploy it, run: git push <remote> feature:main'];

  it('to a pipeline app while review apps are disabled, and after they are disabled again', async () => {
    expect(await push(staging, 'refs/heads/feature')).toEqual({ lines: refusal, accepted: false });
    await enable();
    expect((await p.request('DELETE', '/pipelines/shop/review-app-config')).status).toBe(200);
    expect(await push(staging, 'refs/heads/feature')).toEqual({ lines: refusal, accepted: false });
    expect(await push(staging, 'refs/heads/feature', { delete: true })).toEqual({ lines: [' !     Push rejected: deleting the branch feature is not allowed.'], accepted: false });
  });

  it('to an app outside any pipeline, and to a review app itself', async () => {
    await enable();
    expect(await push(await p.createApp('loner'), 'refs/heads/feature')).toEqual({ lines: refusal, accepted: false });
    await push(staging, 'refs/heads/one');
    expect(await push(p.app('shop-one'), 'refs/heads/feature')).toEqual({ lines: refusal, accepted: false });
  });

  it('with main and another branch in one push', async () => {
    await enable();
    const session = p.services.git.beginPush(staging);
    const plan = await p.services.git.plan(session.env['BERTH_PUSH_TOKEN'], `${ZERO} ${SHA} refs/heads/main\n${ZERO} ${SHA} refs/heads/feature\n`);
    session.end();
    expect(plan).toEqual({ ok: false, lines: [' !     Push rejected: push one branch at a time (each other branch than main or master is a review app).'], archive: null });
  });
});

describe('review-app-config', () => {
  it('is 404 until enabled; POST enables, PATCH changes, DELETE disables; bad values are refused', async () => {
    expect((await p.request('GET', '/pipelines/shop/review-app-config')).body).toMatchObject({ id: 'not_found', message: 'Review apps are not enabled for this pipeline.' });
    const pipeline = p.services.pipelines.get('shop');
    const enabled = await p.request('POST', `/pipelines/${pipeline.id}/review-app-config`, { repo: 'local/shop', pipeline: pipeline.id, wait_for_ci: true });
    expect(enabled.body).toEqual({
      automatic_review_apps: false,
      base_name: null,
      deploy_target: null,
      destroy_stale_apps: false,
      pipeline_id: pipeline.id,
      repo: { id: null },
      stale_days: 5,
      wait_for_ci: true,
    });
    const patched = await p.request('PATCH', '/pipelines/shop/review-app-config', { automatic_review_apps: true, stale_days: 10 });
    expect(patched.body).toMatchObject({ automatic_review_apps: true, stale_days: 10, wait_for_ci: true });
    expect((await p.request('GET', '/pipelines/shop/review-app-config')).body).toEqual(patched.body);
    expect(await p.request('PATCH', '/pipelines/shop/review-app-config', { base_name: '9lives' })).toMatchObject({
      status: 422,
      body: { message: 'base_name 9lives must start with a letter, be 2 to 28 characters long and can only contain lowercase letters, digits, and dashes.' },
    });
    expect((await p.request('PATCH', '/pipelines/shop/review-app-config', { stale_days: 0 })).status).toBe(422);
    expect((await p.request('POST', '/pipelines/shop/review-app-config', { deploy_target: { id: 'us', type: 'galaxy' } })).status).toBe(422);
    expect((await p.request('DELETE', '/pipelines/shop/review-app-config')).status).toBe(200);
    expect((await p.request('GET', '/pipelines/shop/review-app-config')).status).toBe(404);
    expect((await p.request('PATCH', '/pipelines/shop/review-app-config', { stale_days: 3 })).status).toBe(404);
    expect((await p.request('GET', '/pipelines/nope/review-app-config')).status).toBe(404);
  });

  it('GET /pipelines/{id}/repo names the repo given on enabling, else local/<pipeline> (reviewapps:enable reads it)', async () => {
    expect((await p.request('GET', '/pipelines/shop/repo')).body).toEqual({ full_name: 'local/shop' });
    await enable();
    expect((await p.request('GET', '/pipelines/shop/repo')).body).toEqual({ full_name: 'local/shop' });
    await p.request('POST', '/pipelines/shop/review-app-config', { repo: 'acme/shop' });
    expect((await p.request('GET', '/pipelines/shop/repo')).body).toEqual({ full_name: 'acme/shop' });
    expect((await p.request('GET', '/pipelines/nope/repo')).status).toBe(404);
  });
});

describe('after a restart', () => {
  it('a review app made before it still runs its pr-predestroy when deleted (the scripts are in the store)', async () => {
    await enable();
    await push(staging, 'refs/heads/keep');
    await p.services.reviewApps.settled();
    // A second daemon's services over the same store: nothing of the first one's memory.
    const report = (): void => undefined;
    const { store, services } = p;
    const setups = new SetupsService({ store, apps: services.apps, builds: services.builds, dynos: services.dynos, sources: { reference: () => { throw new Error('unused'); }, readManifests: async () => ({ appJson: undefined, herokuYml: undefined }) }, report });
    const reviewApps = new ReviewAppsService({ store, pipelines: services.pipelines, apps: services.apps, setups, dynos: services.dynos, report });
    const review = reviewApps.byApp('shop-keep');
    reviewApps.delete(review.id);
    await reviewApps.settled();
    expect(ran).toEqual(['seed shop-keep review', 'cleanup shop-keep review']);
    expect(reviewApps.get(review.id).status).toBe('deleted');
  });
});

describe('destroy_stale_apps', () => {
  const DAY = 24 * 60 * 60 * 1000;

  it('deletes review apps not deployed for stale_days days (pr-predestroy first), only where it is on', async () => {
    await enable();
    expect((await push(staging, 'refs/heads/old')).accepted).toBe(true);
    const released = Date.parse(p.app('shop-old').releasedAt ?? '');
    expect(released).not.toBeNaN();
    // Off by default: even a year later nothing goes.
    expect(p.services.reviewApps.destroyStale(new Date(released + 365 * DAY))).toEqual([]);
    expect((await p.request('PATCH', '/pipelines/shop/review-app-config', { destroy_stale_apps: true, stale_days: 3 })).body).toMatchObject({
      destroy_stale_apps: true,
      stale_days: 3,
    });
    // Two days on the fake clock: still fresh.
    expect(p.services.reviewApps.destroyStale(new Date(released + 2 * DAY))).toEqual([]);
    // Three days without a deploy: deleted, as a DELETE /review-apps/{id} would.
    const stale = p.services.reviewApps.destroyStale(new Date(released + 3 * DAY + 1000));
    expect(stale).toEqual([expect.objectContaining({ branch: 'old', status: 'deleting' })]);
    await p.services.reviewApps.settled();
    expect(ran).toEqual(['seed shop-old review', 'cleanup shop-old review']);
    expect(p.services.apps.list().map((a) => a.name)).toEqual(['shop-staging']);
    expect((await p.request('GET', '/pipelines/shop/review-apps')).body).toEqual([]);
    // Deleted ones are not deleted again.
    expect(p.services.reviewApps.destroyStale(new Date(released + 30 * DAY))).toEqual([]);
  });

  it('counts from the last deploy: a later push of the branch keeps its review app', async () => {
    // A fake clock for Date only (timers stay real): the second push lands two days after the first.
    const start = Date.parse('2026-06-01T12:00:00Z');
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    try {
      await enable();
      await p.request('PATCH', '/pipelines/shop/review-app-config', { destroy_stale_apps: true, stale_days: 2 });
      expect((await push(staging, 'refs/heads/busy')).accepted).toBe(true);
      vi.setSystemTime(start + 2 * DAY - 60_000);
      expect((await push(staging, 'refs/heads/busy')).accepted).toBe(true);
      // Two days after the first deploy, not after the last: it stays.
      expect(p.services.reviewApps.destroyStale(new Date(start + 3 * DAY))).toEqual([]);
      expect(p.services.reviewApps.destroyStale(new Date(start + 4 * DAY))).toEqual([expect.objectContaining({ branch: 'busy' })]);
      await p.services.reviewApps.settled();
      expect(p.services.apps.list().map((a) => a.name)).toEqual(['shop-staging']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('reviewapps:create (source_blob "resolve")', () => {
  it('makes the review app from the branch head in a pipeline app’s git repo; an unknown branch is 404', async () => {
    await enable();
    // A branch in shop-staging's repo, as a push leaves it (fetched into the bare repo: no hook runs).
    const work = await mkdtemp(join(p.dataDir, 'work-'));
    const sha = gitRepoOf(work, { branch: 'feature/Login', files: SOURCE, message: 'login' });
    const bare = await p.services.git.repos.ensure(staging.id);
    execFileSync('git', ['fetch', '--quiet', work, 'feature/Login:refs/heads/feature/Login'], { cwd: bare });

    expect(await p.request('GET', `/pipelines/shop/repo/branches/${encodeURIComponent('feature/Login')}`)).toMatchObject({
      status: 200,
      body: { name: 'feature/Login', commit: { sha } },
    });
    const missing = await p.request('GET', '/pipelines/shop/repo/branches/nope');
    expect(missing).toMatchObject({ status: 404, body: { id: 'not_found', message: 'No app of the shop pipeline has the branch nope in its git repo.' } });
    const refused = await p.request('POST', '/review-apps', { branch: 'nope', pipeline: 'shop', source_blob: { url: 'resolve', version: null } });
    expect(refused.status).toBe(404);

    const made = await p.request('POST', '/review-apps', { branch: 'feature/Login', pipeline: 'shop', source_blob: { url: 'resolve', version: null } });
    expect(made, JSON.stringify(made.body)).toMatchObject({ status: 201, body: { branch: 'feature/Login', status: 'creating' } });
    await p.services.reviewApps.settled();
    await p.services.setups.settled();
    expect((await p.request('GET', '/apps/shop-feature-login/review-app')).body).toMatchObject({ status: 'created' });
    expect(p.services.builds.list(p.app('shop-feature-login'))).toEqual([expect.objectContaining({ status: 'succeeded', sourceVersion: sha })]);
    expect(ran).toEqual(['seed shop-feature-login review']);
    expect(p.services.apps.list().map((a) => a.name).sort()).toEqual(['shop-feature-login', 'shop-staging']);
  });
});

describe('a push of ci/<branch> to a pipeline app', () => {
  it('is a test run: errored when test-setup fails, and the push is refused', async () => {
    const files = { ...SOURCE, 'app.json': JSON.stringify({ environments: { test: { scripts: { 'test-setup': 'prepare', test: 'tests' } } } }) };
    p.engine.script((spec) => spec.labels.role === 'run' && spec.cmd.at(-1) === 'prepare', (proc) => {
      proc.print('no database');
      return 4;
    });
    const pushed = await push(staging, 'refs/heads/ci/feature-x', { files });
    await p.services.testRuns.settled();
    expect(pushed.accepted).toBe(false);
    expect(pushed.lines).toContain(`-----> Test run #1 of pipeline shop: feature-x at ${SHA.slice(0, 7)} (app.json environments.test)`);
    expect(pushed.lines).toContain(' !     Test run #1 errored (exit status 4): scripts.test-setup exited with status 4.');
    expect((await p.request('GET', '/pipelines/shop/test-runs/1')).body).toMatchObject({ status: 'errored', commit_branch: 'feature-x', commit_sha: SHA });
    expect(p.services.builds.list(staging)).toEqual([]);
  });
});
