// Heroku CI on the real engine, read with the real `heroku` CLI (v11): a passing and a failing test run, created
// through the API (`ci:run` needs kolkrabbi.heroku.com, out of reach offline), then `heroku ci`, `ci:info` (which
// streams the node's https URLs with node:https, trusting the local CA) and `ci:last` (reference: heroku-workflows.md
// §4), and ci:config (the pipeline's test config vars); then a run with no scripts.test, whose buildpack's
// bin/test-compile and bin/test run (Heroku CI's buildpack contract), its TAP output read into test cases. Three
// builds, one per run.
import { chmod, cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, fixture, tarDirectory, uploadSource, waitFor } from '../support/build.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import { reportDeadDaemon, SHORT_TIMINGS } from '../dynos/helpers.js';

interface RunJson {
  id: string;
  number: number;
  status: string;
  message: string | null;
}

const SHA = 'b9e982a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7';
let daemon: TestDaemon;
let guard: EgressGuard;
let env: CliEnv;
let apps: number;

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env);
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

/** The python-stdlib fixture with an app.json whose test script exits with `exit`. */
async function testRun(exit: number): Promise<RunJson> {
  const dir = await mkdtemp(join(daemon.rootDir, 'ci-'));
  await cp(fixture('python-stdlib'), dir, { recursive: true });
  const test = `python3 -c "import sys; print('ok 1 - runs on', '$HEROKU_TEST_RUN_BRANCH'); sys.exit(${exit})"`;
  await writeFile(join(dir, 'app.json'), JSON.stringify({ environments: { test: { scripts: { 'test-setup': 'echo preparing CI=$CI TOKEN=$TOKEN', test } } } }));
  return startAndWait(dir);
}

/** A buildpack on this machine with bin/compile, bin/test-compile and a bin/test that prints TAP. */
async function testingBuildpack(): Promise<string> {
  const dir = await mkdtemp(join(daemon.rootDir, 'buildpack-'));
  await mkdir(join(dir, 'bin'));
  const scripts: Record<string, string> = {
    detect: 'echo Testing',
    compile: 'echo "       compiled for production"; echo compile > "$1/compiled-by"',
    'test-compile': 'echo "       compiled for tests"; echo test-compile > "$1/compiled-by"',
    test: [
      'echo "ok 1 - built by $(cat "$1/compiled-by")"',
      'echo "ok 2 - ENV_DIR has CI=$(cat "$2/CI")"',
      'echo "not ok 3 - flaky # TODO later"',
      'echo "1..3"',
    ].join('\n'),
  };
  for (const [name, body] of Object.entries(scripts)) {
    await writeFile(join(dir, 'bin', name), `#!/usr/bin/env bash\n${body}\n`);
    await chmod(join(dir, 'bin', name), 0o755);
  }
  return dir;
}

async function startAndWait(dir: string): Promise<RunJson> {
  const url = await uploadSource(daemon, await tarDirectory(dir));
  const created = await api<RunJson>(daemon, 'POST', '/test-runs', {
    commit_branch: 'main',
    commit_message: 'Add tests',
    commit_sha: SHA,
    pipeline: 'shop',
    source_blob_url: url,
  });
  let run = created;
  await waitFor('the test run to finish', async () => {
    run = await api<RunJson>(daemon, 'GET', `/test-runs/${created.id}`);
    return ['succeeded', 'failed', 'errored'].includes(run.status);
  }, 600_000);
  return run;
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  await api(daemon, 'POST', '/pipelines', { name: 'shop' });
  apps = (await api<unknown[]>(daemon, 'GET', '/apps')).length;
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('Heroku CI with the heroku CLI', () => {
  it('ci:config:set TOKEN=abc, then ci:config shows it', async () => {
    const set = await heroku(['ci:config:set', 'TOKEN=abc', '-p', 'shop']);
    expectCode(set, 0);
    expect(set.stderr).toMatch(/Setting TOKEN\.\.\. done/);
    const show = await heroku(['ci:config', '-p', 'shop']);
    expectCode(show, 0);
    expect(show.stdout).toContain('=== shop test config vars');
    expect(show.stdout).toMatch(/^TOKEN: abc$/m);
  });

  it('a passing run succeeds, and its throwaway app is gone', async () => {
    const run = await testRun(0);
    expect(run, JSON.stringify(run)).toMatchObject({ number: 1, status: 'succeeded' });
    expect(await api<unknown[]>(daemon, 'GET', '/apps')).toHaveLength(apps);
  });

  it('a failing run fails', async () => {
    expect(await testRun(3)).toMatchObject({ number: 2, status: 'failed' });
  });

  it('heroku ci -p shop lists both', async () => {
    const result = await heroku(['ci', '-p', 'shop']);
    expectCode(result, 0);
    expect(result.stdout).toContain('=== Showing latest test runs for the shop pipeline');
    expect(result.stdout).toMatch(/✓\s+1\s+main\s+b9e982a\s+succeeded/);
    expect(result.stdout).toMatch(/✗\s+2\s+main\s+b9e982a\s+failed/);
  });

  it('heroku ci:info 1 streams the setup and test output and ends with the run line', async () => {
    const result = await heroku(['ci:info', '1', '-p', 'shop']);
    expectCode(result, 0);
    expect(result.stdout).toContain('preparing CI=true TOKEN=abc');
    expect(result.stdout).toContain('ok 1 - runs on main');
    expect(result.stdout).toMatch(/✓ #1 main:b9e982a succeeded/);
  });

  it('heroku ci:last exits with the failing node exit code', async () => {
    const result = await heroku(['ci:last', '-p', 'shop']);
    expectCode(result, 3);
    expect(result.stdout).toMatch(/✗ #2 main:b9e982a failed/);
  });

  it('ci:config:unset TOKEN', async () => {
    const result = await heroku(['ci:config:unset', 'TOKEN', '-p', 'shop']);
    expectCode(result, 0);
    expect(await api(daemon, 'GET', '/pipelines/shop/stage/test/config-vars')).toEqual({});
  });

  it('with no scripts.test, the buildpack\'s bin/test-compile builds and its bin/test runs; TAP becomes test cases', async () => {
    const dir = await mkdtemp(join(daemon.rootDir, 'ci-bp-'));
    await writeFile(join(dir, 'README'), 'tested by its buildpack\n');
    await writeFile(join(dir, 'app.json'), JSON.stringify({ buildpacks: [{ url: await testingBuildpack() }] }));
    const run = await startAndWait(dir);
    expect(run, JSON.stringify(run)).toMatchObject({ number: 3, status: 'succeeded' });
    const cases = await api<Array<{ number: number; description: string; passed: boolean; directive: string }>>(daemon, 'GET', `/test-runs/${run.id}/test-cases`);
    expect(cases.map((c) => [c.number, c.description, c.passed, c.directive])).toEqual([
      [1, 'built by test-compile', true, ''],
      [2, 'ENV_DIR has CI=true', true, ''],
      [3, 'flaky', false, 'TODO later'],
    ]);
    const info = await heroku(['ci:info', '3', '-p', 'shop']);
    expectCode(info, 0);
    expect(info.stdout).toContain('ok 1 - built by test-compile');
    expect(info.stdout).toMatch(/✓ #3 main:b9e982a succeeded/);
  });

  it('no connection left the machine', () => {
    expect(guard.attempts()).toBe('');
  });
});
