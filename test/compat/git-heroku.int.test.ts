// The whole Heroku flow with the real CLI and the real git: `heroku create demo` inside a repo writes the `heroku`
// remote (https://$HEROKU_GIT_HOST/demo.git) and its `heroku git:credentials` helper; `git push heroku main` deploys.
// The sandbox HOME's git config trusts the local CA for the git host only, as a user would set it once.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { fixtureRepo, git, inOrder, remoteLines, runGit } from '../git/helpers.js';

let daemon: TestDaemon;
let guard: EgressGuard;
let env: CliEnv;

beforeAll(async () => {
  daemon = await startTestDaemon();
  guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('heroku CLI + git push', () => {
  it('heroku create demo in a repo, then git push heroku main with no prompt', async () => {
    const gitHost = `127.0.0.1:${daemon.ports.apiTls}`;
    const repo = await fixtureRepo(daemon, 'node-basic', env);
    const sha = await git(['rev-parse', 'HEAD'], env, repo);
    const created = await runHeroku(['create', 'demo'], env, { cwd: repo });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`https://${gitHost}/demo.git`);
    expect(await git(['remote', 'get-url', 'heroku'], env, repo)).toBe(`https://${gitHost}/demo.git`);
    expect(await git(['config', '--global', '--get', `credential.https://${gitHost}.helper`], env, repo)).toBe('!heroku git:credentials');

    execFileSync('git', ['config', '--global', `http.https://${gitHost}/.sslCAInfo`, join(daemon.dataDir, 'tls', 'ca.pem')], { env });
    const push = await runGit(['push', 'heroku', 'main'], env, repo);
    expect(push.code, push.stderr).toBe(0);
    expect(
      inOrder(remoteLines(push), [
        '-----> Building on the Heroku-24 stack',
        '-----> Launching...',
        '       Released v3',
        `       http://demo.localhost:${daemon.ports.router}/ deployed to Berth`,
        'Verifying deploy... done.',
      ]),
    ).toBeUndefined();
    expect(push.lines).toContain(`To https://${gitHost}/demo.git`);
    expect(push.lines).toContain(' * [new branch]      main -> main');

    const releases = await runHeroku(['releases', '-a', 'demo'], env, { cwd: repo });
    expect(releases.code, releases.stderr).toBe(0);
    expect(releases.stdout).toMatch(new RegExp(`v3\\s+Deploy ${sha.slice(0, 8)}`));
    // `heroku apps:info` inside the repo finds the app through the remote.
    const info = await runHeroku(['apps:info'], env, { cwd: repo });
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain('=== demo');
    expect(guard.attempts()).toBe('');
  });

  it('heroku git:remote -a demo -r other in a fresh clone, then git push other main', async () => {
    const repo = await fixtureRepo(daemon, 'node-basic', env);
    await git(['commit', '--quiet', '--allow-empty', '-m', 'another'], env, repo);
    const remote = await runHeroku(['git:remote', '-a', 'demo', '-r', 'other'], env, { cwd: repo });
    expect(remote.code, remote.stderr).toBe(0);
    const push = await runGit(['push', '--force', 'other', 'main'], env, repo);
    expect(push.code, push.stderr).toBe(0);
    expect(remoteLines(push)).toContain('       Released v4');
    expect(guard.attempts()).toBe('');
  });
});
