// Heroku CI from a git push, with the real git on the real engine: `git push <remote of a pipeline app>
// HEAD:ci/feature-x` starts a test run of the pushed commit (app.json's environments.test), streams scripts.test-setup
// and scripts.test as `remote:` lines, and exits 0 when the run succeeds; a failing test makes the push fail, and the
// ref stays where it was. Two builds, python-stdlib (no package index).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureCopy, reportDeadDaemon, SHORT_TIMINGS } from '../dynos/helpers.js';
import { api, git, httpsGitUrl, inOrder, remoteLines, runGit, trustArgs } from '../git/helpers.js';
import { gitRepoOf } from '../support/git-repo.js';
import { sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';

let daemon: TestDaemon;
let env: CliEnv;

interface RunJson {
  number: number;
  status: string;
  commit_branch: string;
  commit_message: string;
  commit_sha: string;
}

function appJson(exit: number): string {
  const test = `python3 -c "import sys; print('ok 1 - runs on', '$HEROKU_TEST_RUN_BRANCH'); sys.exit(${exit})"`;
  return JSON.stringify({ environments: { test: { scripts: { 'test-setup': 'echo preparing CI=$CI', test } } } });
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  env = sandboxedCliEnv(daemon);
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('Heroku CI from a git push', () => {
  it('a ci/ branch runs the tests: the push passes with them and fails with them', async () => {
    expect((await api(daemon, '/apps', { method: 'POST', body: { name: 'shop-staging' } })).status).toBe(201);
    const repo = await fixtureCopy(daemon, 'python-stdlib', { 'app.json': appJson(0) });
    const sha = gitRepoOf(repo, { env, message: 'Tests that pass' });
    const remote = httpsGitUrl(daemon, 'shop-staging', daemon.apiKey);

    // Outside a pipeline a ci/ branch is like any other branch: refused.
    const refused = await runGit([...trustArgs(daemon), 'push', remote, 'HEAD:ci/feature-x'], env, repo);
    expect(refused.code).toBe(1);
    expect(remoteLines(refused)).toContain(' !     Push rejected: only the main or master branch deploys, and you pushed ci/feature-x.');

    expect((await api(daemon, '/pipelines', { method: 'POST', body: { name: 'shop' } })).status).toBe(201);
    expect((await api(daemon, '/pipeline-couplings', { method: 'POST', body: { app: 'shop-staging', pipeline: 'shop', stage: 'staging' } })).status).toBe(201);
    const passed = await runGit([...trustArgs(daemon), 'push', remote, 'HEAD:ci/feature-x'], env, repo);
    expect(passed.code, passed.stderr).toBe(0);
    expect(
      inOrder(remoteLines(passed), [
        'Compressing source files... done.',
        `-----> Test run #1 of pipeline shop: feature-x at ${sha.slice(0, 7)} (app.json environments.test)`,
        'preparing CI=true',
        'ok 1 - runs on feature-x',
        '-----> Test run #1 succeeded',
      ]),
    ).toBeUndefined();
    expect(passed.lines).toContain(' * [new branch]      HEAD -> ci/feature-x');
    const runs = await api<RunJson[]>(daemon, '/pipelines/shop/test-runs');
    expect(runs.body).toEqual([expect.objectContaining({ number: 1, status: 'succeeded', commit_branch: 'feature-x', commit_message: 'Tests that pass', commit_sha: sha })]);
    // The push deployed nothing: shop-staging has no release of that commit.
    expect((await api<unknown[]>(daemon, '/apps/shop-staging/builds')).body).toEqual([]);

    await writeFile(join(repo, 'app.json'), appJson(3));
    await git(['commit', '--quiet', '-am', 'Tests that fail'], env, repo);
    const failed = await runGit([...trustArgs(daemon), 'push', remote, 'HEAD:ci/feature-x'], env, repo);
    expect(failed.code).toBe(1);
    expect(
      inOrder(remoteLines(failed), [
        '-----> Test run #2 of pipeline shop: feature-x at ' + (await git(['rev-parse', '--short=7', 'HEAD'], env, repo)).trim() + ' (app.json environments.test)',
        'preparing CI=true',
        'ok 1 - runs on feature-x',
        ' !     Test run #2 failed (exit status 3)',
        ' !     Push failed',
      ]),
    ).toBeUndefined();
    expect(remoteLines(failed)).toContain('!\tPush rejected to shop-staging.');
    const second = await api<RunJson>(daemon, '/pipelines/shop/test-runs/2');
    expect(second.body).toMatchObject({ status: 'failed', commit_message: 'Tests that fail' });
    // The refused push left ci/feature-x at the passing commit; the test apps are gone.
    expect((await git([...trustArgs(daemon), 'ls-remote', remote, 'refs/heads/ci/feature-x'], env, repo)).split(/\s/)[0]).toBe(sha);
    expect((await api<Array<{ name: string }>>(daemon, '/apps')).body.map((a) => a.name)).toEqual(['shop-staging']);
  });
});
