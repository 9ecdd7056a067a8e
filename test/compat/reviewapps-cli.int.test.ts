// The real `heroku` CLI (v11) enabling and disabling review apps on a Berth pipeline: with the account feature
// dashboard-repositories-api on, reviewapps:enable/disable read the repo from `GET /pipelines/{id}/repo` instead of
// kolkrabbi.heroku.com, then POST, PATCH or DELETE /pipelines/{id}/review-app-config (reference: heroku-workflows.md
// §3.4); reviewapps:create makes one from a branch of a pipeline app's repo (GET /pipelines/{id}/repo/branches/{b},
// then POST /review-apps with source_blob "resolve"): two builds. A branch push making one is
// test/pipelines/review-push.int.test.ts.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/build.js';
import { fixtureRepo, git, httpsGitUrl, runGit, trustArgs } from '../git/helpers.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import { reportDeadDaemon } from '../dynos/helpers.js';

let daemon: TestDaemon;
let guard: EgressGuard;
let env: CliEnv;

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env);
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

beforeAll(async () => {
  daemon = await startTestDaemon();
  guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  await api(daemon, 'POST', '/pipelines', { name: 'shop' });
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('heroku CLI: reviewapps', () => {
  it('labs:enable dashboard-repositories-api, then reviewapps:enable -p shop enables review apps', async () => {
    expectCode(await heroku(['labs:enable', 'dashboard-repositories-api']), 0);
    const result = await heroku(['reviewapps:enable', '-p', 'shop']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Configuring pipeline\.\.\. done/);
    expect(await api(daemon, 'GET', '/pipelines/shop/review-app-config')).toMatchObject({ automatic_review_apps: false, repo: { id: null } });
  });

  it('reviewapps:enable --autodeploy --autodestroy patches the config', async () => {
    const result = await heroku(['reviewapps:enable', '-p', 'shop', '--autodeploy', '--autodestroy']);
    expectCode(result, 0);
    expect(result.stdout).toContain('Enabling auto deployment...');
    expect(await api(daemon, 'GET', '/pipelines/shop/review-app-config')).toMatchObject({ automatic_review_apps: true, destroy_stale_apps: true });
  });

  it('reviewapps:disable -p shop disables them', async () => {
    const result = await heroku(['reviewapps:disable', '-p', 'shop']);
    expectCode(result, 0);
    const response = await fetch(`${daemon.apiUrl}/pipelines/shop/review-app-config`, { headers: { authorization: `Bearer ${daemon.apiKey}`, accept: 'application/vnd.heroku+json; version=3' } });
    expect(response.status).toBe(404);
  });

  it('reviewapps:create -p shop -b main --wait makes a review app from the branch in shop-staging’s git repo', async () => {
    await api(daemon, 'POST', '/apps', { name: 'shop-staging' });
    await api(daemon, 'POST', '/pipeline-couplings', { app: 'shop-staging', pipeline: 'shop', stage: 'staging' });
    const missing = await heroku(['reviewapps:create', '-p', 'shop', '-b', 'main']);
    expect(missing.code).not.toBe(0);
    // The CLI wraps its error lines (` ›   ` before each).
    expect(missing.stderr.replace(/[\s›]+/g, ' ')).toContain("The branch main doesn't exist. Make sure the branch is correct and try again.");
    // The branch gets into the app's repo the ordinary way: a push (one build).
    const repo = await fixtureRepo(daemon, 'python-stdlib', env);
    const pushed = await runGit([...trustArgs(daemon), 'push', httpsGitUrl(daemon, 'shop-staging', daemon.apiKey), 'main'], env, repo);
    expect(pushed.code, pushed.stderr).toBe(0);
    const result = await heroku(['reviewapps:create', '-p', 'shop', '-b', 'main', '--wait', '--wait-interval', '1']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Creating review app from main/);
    const sha = (await git(['rev-parse', 'HEAD'], env, repo)).trim();
    expect(await api(daemon, 'GET', '/apps/shop-main/review-app')).toMatchObject({ status: 'created', branch: 'main' });
    const builds = await api<Array<{ status: string; source_blob: { version: string } }>>(daemon, 'GET', '/apps/shop-main/builds');
    expect(builds).toEqual([expect.objectContaining({ status: 'succeeded', source_blob: expect.objectContaining({ version: sha }) })]);
  });

  it('no connection left the machine', () => {
    expect(guard.attempts()).toBe('');
  });
});
