// berth doctor on a real push: a stdlib Python app with no pinned Python version builds, releases and serves, and its
// push output carries the doctor's warning and fix as `remote:  !     ...` lines. `berth doctor --json` says the same
// of the directory before the push.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERTH_MAIN, sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { api, fixtureRepo, inOrder, releases, remoteLines, runGit } from '../git/helpers.js';

let daemon: TestDaemon;
let env: CliEnv;
const APP = 'advised';

beforeAll(async () => {
  daemon = await startTestDaemon();
  env = sandboxedCliEnv(daemon);
});

afterAll(async () => {
  await daemon?.dispose();
});

function berth(args: readonly string[], cwd: string) {
  const result = spawnSync(process.execPath, [BERTH_MAIN, ...args], { cwd, env: { ...env, ...daemon.berthEnv }, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('berth doctor on a push', () => {
  it('prints the finding as a warning and the push still deploys', async () => {
    expect((await api(daemon, '/apps', { method: 'POST', body: { name: APP } })).status).toBe(201);
    const repo = await fixtureRepo(daemon, 'doctor/python-version-unpinned', env);

    const checked = berth(['doctor', '--json', '.'], repo);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toEqual({
      findings: [
        {
          check: 'python-version-unpinned',
          message: 'No Python version was specified: the buildpack picks its default, which changes over time',
          fix: "Create a .python-version file in the root of your app containing a Python version like '3.13'",
        },
      ],
    });

    expect(berth(['git:remote', '-a', APP], repo).code).toBe(0);
    const push = await runGit(['push', 'local', 'main'], env, repo);
    expect(push.code, push.stderr).toBe(0);
    expect(push.lines).toContain("remote:  !     No Python version was specified: the buildpack picks its default, which changes over time");
    expect(
      inOrder(remoteLines(push), [
        '-----> Python app detected',
        '-----> berth doctor: 1 thing Heroku would mind (the build goes on)',
        ' !     No Python version was specified: the buildpack picks its default, which changes over time',
        " !     Fix: Create a .python-version file in the root of your app containing a Python version like '3.13'",
        '-----> Launching...',
        '       Released v3',
        '',
        'Verifying deploy... done.',
      ]),
    ).toBeUndefined();
    expect((await releases(daemon, APP)).at(-1)).toMatchObject({ version: 3, status: 'succeeded' });
  });
});
