// Review apps from branches with the real git on the real engine: a pipeline app with review apps enabled; `git push
// <its remote> feature-x` makes shop-feature-x from app.json's environments.review (postdeploy once), which serves
// through the router; after a daemon restart, `git push <remote> :feature-x` runs pr-predestroy (its scripts are in
// the store) and destroys the app, once git has deleted the ref: a deletion git refuses destroys nothing. One build, python-stdlib (no package index).
import { request } from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureCopy, reportDeadDaemon, SHORT_TIMINGS, waitForDynos } from '../dynos/helpers.js';
import { api, httpsGitUrl, inOrder, remoteLines, runGit, trustArgs } from '../git/helpers.js';
import { gitRepoOf } from '../support/git-repo.js';
import { sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';

let daemon: TestDaemon;
let env: CliEnv;

const APP_JSON = {
  env: { GREETING: 'from-production' },
  scripts: { postdeploy: 'echo seeded the review database', 'pr-predestroy': 'echo dropping the review database' },
  environments: { review: { env: { GREETING: 'from-review' } } },
};

function viaRouter(app: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${app}.localhost:${daemon.ports.router}` }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  env = sandboxedCliEnv(daemon);
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('review apps from git branches', () => {
  it('a pushed branch makes a review app that serves; deleting the branch destroys it', async () => {
    expect((await api(daemon, '/apps', { method: 'POST', body: { name: 'shop-staging' } })).status).toBe(201);
    expect((await api(daemon, '/pipelines', { method: 'POST', body: { name: 'shop' } })).status).toBe(201);
    expect((await api(daemon, '/pipeline-couplings', { method: 'POST', body: { app: 'shop-staging', pipeline: 'shop', stage: 'staging' } })).status).toBe(201);
    const repo = await fixtureCopy(daemon, 'python-stdlib', { 'app.json': JSON.stringify(APP_JSON, null, 2) });
    gitRepoOf(repo, { branch: 'feature-x', env });
    const remote = httpsGitUrl(daemon, 'shop-staging', daemon.apiKey);

    // Before review apps are enabled: today's refusal.
    const refused = await runGit([...trustArgs(daemon), 'push', remote, 'feature-x'], env, repo);
    expect(refused.code).toBe(1);
    expect(remoteLines(refused)).toContain(' !     Push rejected: only the main or master branch deploys, and you pushed feature-x.');

    expect((await api(daemon, '/pipelines/shop/review-app-config', { method: 'POST', body: { repo: 'local/shop' } })).status).toBe(200);
    const pushed = await runGit([...trustArgs(daemon), 'push', remote, 'feature-x'], env, repo);
    expect(pushed.code, pushed.stderr).toBe(0);
    const url = `http://shop-feature-x.localhost:${daemon.ports.router}/`;
    expect(
      inOrder(remoteLines(pushed), [
        'Compressing source files... done.',
        '-----> Creating review app shop-feature-x of pipeline shop from feature-x',
        '-----> Building on the Heroku-24 stack',
        `       ${url} deployed to Berth`,
        'Verifying deploy... done.',
        '-----> Running scripts.postdeploy of shop-feature-x',
        'seeded the review database',
        `-----> Review app shop-feature-x is up: ${url}`,
      ]),
    ).toBeUndefined();
    expect(pushed.lines).toContain(' * [new branch]      feature-x -> feature-x');
    const review = await api<{ status: string; branch: string }>(daemon, '/apps/shop-feature-x/review-app');
    expect(review.body).toMatchObject({ status: 'created', branch: 'feature-x' });
    const setup = await api<{ postdeploy: { output: string; exit_code: number } }>(daemon, `/app-setups/${(review.body as unknown as { app_setup: { id: string } }).app_setup.id}`);
    expect(setup.body.postdeploy).toMatchObject({ exit_code: 0, output: expect.stringContaining('seeded the review database') });
    await waitForDynos(daemon, 'shop-feature-x', ['web.1'], 'up');
    expect(await viaRouter('shop-feature-x')).toMatchObject({ status: 200, body: expect.stringContaining('greeting=from-review') });

    // The review app and its scripts outlive the daemon.
    await daemon.restart();
    expect((await api<{ status: string }>(daemon, '/apps/shop-feature-x/review-app')).body.status).toBe('created');
    // git refuses the deletion after the pre-receive hook accepted it (the ref is locked): nothing is destroyed.
    const staging = await api<{ id: string }>(daemon, '/apps/shop-staging');
    const lock = join(daemon.dataDir, 'repos', `${staging.body.id}.git`, 'refs', 'heads', 'feature-x.lock');
    await writeFile(lock, '');
    const refusedDelete = await runGit([...trustArgs(daemon), 'push', remote, ':feature-x'], env, repo);
    await rm(lock);
    expect(refusedDelete.code).toBe(1);
    expect(refusedDelete.lines).toContain(' ! [remote rejected] feature-x (failed to update ref)');
    expect(remoteLines(refusedDelete)).not.toContain('-----> Running scripts.pr-predestroy of shop-feature-x');
    expect((await api<{ status: string }>(daemon, '/apps/shop-feature-x/review-app')).body.status).toBe('created');

    const deleted = await runGit([...trustArgs(daemon), 'push', remote, ':feature-x'], env, repo);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(
      inOrder(remoteLines(deleted), [
        '-----> Running scripts.pr-predestroy of shop-feature-x',
        'dropping the review database',
        '-----> Review app shop-feature-x of feature-x destroyed',
      ]),
    ).toBeUndefined();
    expect(deleted.lines).toContain(' - [deleted]         feature-x');
    expect((await api(daemon, '/apps/shop-feature-x')).status).toBe(404);
    expect((await api<unknown[]>(daemon, '/pipelines/shop/review-apps')).body).toEqual([]);
    expect((await viaRouter('shop-feature-x')).status).toBe(404);
  });
});
