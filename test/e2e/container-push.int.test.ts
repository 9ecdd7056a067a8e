// The container stack end to end (issue 15): `heroku stack:set container` with the real CLI, `git push` of a
// heroku.yml app (a multi-stage Dockerfile FROM heroku/heroku:24 with a target per process type, build args from
// build.config, a release phase), the router serving it with PORT, DYNO and config vars, `heroku run` in its image,
// a second deploy, rollback, a build whose FROM cannot be had failing at once while the old release serves, and
// rollback across stacks (image release → slug release → image release).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERTH_MAIN, herokuWithInput, runHeroku, sandboxedCliEnv, startTestDaemon, stripAnsi, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { api, fixtureRepo, git, releases, remoteLines, runGit } from '../git/helpers.js';

let daemon: TestDaemon;
let env: CliEnv;
let appId = '';
const APP = 'boxed';

function berth(args: readonly string[], cwd: string) {
  const result = spawnSync(process.execPath, [BERTH_MAIN, ...args], { cwd, env: { ...env, ...daemon.berthEnv }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function viaRouter(timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${APP}.localhost:${daemon.ports.router}` }, timeout: timeoutMs },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end();
  });
}

async function serves(predicate: (body: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await viaRouter();
      last = `${response.status} ${response.body}`;
      if (response.status === 200 && predicate(response.body)) return response.body;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the router never served what was expected; last answer: ${last}`);
}

beforeAll(async () => {
  daemon = await startTestDaemon();
  env = sandboxedCliEnv(daemon);
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('container stack: heroku.yml push to serving', () => {
  let repo = '';

  it('heroku stack:set container moves a new app at once; apps:info shows it', async () => {
    repo = await fixtureRepo(daemon, 'container-python', env);
    expect(berth(['apps:create', APP], repo).code).toBe(0);
    appId = (await api<{ id: string }>(daemon, `/apps/${APP}`)).body.id;
    const set = await runHeroku(['stack:set', 'container', '-a', APP], env);
    expect(set.code, set.stderr).toBe(0);
    expect(stripAnsi(set.stderr)).toContain('Setting stack to container... done');
    expect(`${set.stdout}${set.stderr}`).not.toContain('You will need to redeploy');
    const info = await runHeroku(['apps:info', '-a', APP], env);
    expect(info.code, info.stderr).toBe(0);
    expect(stripAnsi(info.stdout)).toMatch(/Stack:\s+container/);
  });

  it('git push builds each process type from heroku.yml and releases after the release phase', async () => {
    const push = await runGit(['push', 'local', 'main'], env, repo);
    expect(push.code, push.stderr).toBe(0);
    const lines = remoteLines(push);
    const text = lines.join('\n');
    expect(lines).toContain('=== Fetching app code');
    expect(lines).toContain('=== Building web (Dockerfile)');
    expect(lines).toContain('=== Building worker (Dockerfile)');
    expect(text).toMatch(/^Sending build context to Docker daemon {2}\d/m);
    expect(text).toMatch(/^Step 1\/\d+ : FROM heroku\/heroku:24 AS base$/m);
    expect(text).toMatch(/^Successfully built [0-9a-f]{12}$/m);
    expect(lines).toContain('=== Pushing web (Dockerfile)');
    expect(lines.indexOf('=== Pushing web (Dockerfile)')).toBeGreaterThan(lines.indexOf('=== Building worker (Dockerfile)'));
    expect(lines).toContain('Verifying deploy... done.');
    expect(lines).toContain('Running release command...');
    expect(text).toMatch(/^release phase ran in release\.\d+$/m);
    expect(lines).toContain('Waiting for release.... done.');

    const app = (await api<{ stack: { name: string }; build_stack: { name: string } }>(daemon, `/apps/${APP}`)).body;
    expect(app.stack.name).toBe('container');
    const current = (await releases(daemon, APP)).at(-1) as unknown as { status: string; artifacts: Array<{ type: string }>; slug: unknown };
    expect(current).toMatchObject({ status: 'succeeded', artifacts: [{ type: 'oci-image' }], slug: null });
    const formation = (await api<Array<{ type: string; quantity: number; command: string }>>(daemon, `/apps/${APP}/formation`)).body;
    expect(formation.map((f) => [f.type, f.quantity, f.command]).sort()).toEqual([
      ['release', 0, 'python3 release.py'],
      ['web', 1, 'python3 app.py'],
      ['worker', 0, 'python3 worker.py'],
    ]);
  });

  it('the web dyno serves through the router with PORT, DYNO, config vars and build args, in the image WORKDIR', async () => {
    const set = berth(['config:set', 'GREETING=ahoy', '-a', APP], repo);
    expect(set.code, set.stderr).toBe(0);
    const body = await serves((b) => b.includes('greeting=ahoy'), 90_000);
    expect(body).toContain('Hello from container-python one');
    expect(body).toContain('dyno=web.1');
    expect(body).toMatch(/^port=2\d{4}$/m);
    expect(body).toContain('built_with=heroku-yml-config');
    expect(body).toContain('cwd=/srv/app');
  });

  it('heroku run runs a one-off dyno in the web image', async () => {
    const run = await herokuWithInput(env, ['run', '-a', APP, '--no-tty', '--exit-code', '--', 'echo "one-off in $(pwd) as $DYNO"'], '');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/one-off in \/srv\/app as run\.\d+/);
  });

  it('a second deploy serves the new code; rollback serves the first again', async () => {
    const before = (await releases(daemon, APP)).at(-1)?.version ?? 0;
    const file = join(repo, 'app.py');
    writeFileSync(file, readFileSync(file, 'utf8').replace('VERSION = "one"', 'VERSION = "two"'));
    await git(['commit', '--quiet', '-am', 'two'], env, repo);
    const push = await runGit(['push', 'local', 'main'], env, repo);
    expect(push.code, push.stderr).toBe(0);
    await serves((b) => b.includes('container-python two'), 90_000);

    const rolled = await runHeroku(['rollback', `v${before}`, '-a', APP], env);
    expect(rolled.code, rolled.stderr).toBe(0);
    await serves((b) => b.includes('container-python one') && b.includes('greeting=ahoy'), 90_000);
  });

  it('a FROM the engine cannot have fails at once, and the previous release keeps serving', async () => {
    const before = await releases(daemon, APP);
    writeFileSync(join(repo, 'Dockerfile'), readFileSync(join(repo, 'Dockerfile'), 'utf8').replace('FROM heroku/heroku:24 AS base', 'FROM example.invalid/nothing:1 AS base'));
    await git(['commit', '--quiet', '-am', 'unavailable base image'], env, repo);
    const push = await runGit(['push', 'local', 'main'], env, repo);
    expect(push.code).toBe(1);
    const text = remoteLines(push).join('\n');
    expect(text).toContain('=!= Dockerfile: FROM example.invalid/nothing:1: the image is not on this machine, and Berth builds offline (it cannot pull).');
    expect(text).toContain('docker load');
    expect(push.stderr).toContain('pre-receive hook declined');
    expect(await releases(daemon, APP)).toEqual(before);
    await serves((b) => b.includes('container-python one'), 10_000);
  });

  it('rollback crosses stacks: a slug deploy after stack:set heroku-24, back to the image release, and again', async () => {
    const imageVersion = (await releases(daemon, APP)).at(-1)?.version ?? 0;
    const set = await runHeroku(['stack:set', 'heroku-24', '-a', APP], env);
    expect(set.code, set.stderr).toBe(0);
    // The app runs images until a deploy on the new stack: the CLI says so from `stack` != `build_stack`.
    expect(`${set.stdout}${set.stderr}`).toMatch(new RegExp(`You will need to redeploy (⬢ )?${APP} for the change to take effect\\.`));
    const python = await fixtureRepo(daemon, 'python-stdlib', env);
    expect(berth(['git:remote', '-a', APP], python).code).toBe(0);
    const push = await runGit(['push', '--force', 'local', 'main'], env, python);
    expect(push.code, push.stderr).toBe(0);
    expect(remoteLines(push)).toContain('-----> Building on the Heroku-24 stack');
    await serves((b) => b.includes('Hello from python-stdlib'), 90_000);
    expect((await api<{ stack: { name: string } }>(daemon, `/apps/${APP}`)).body.stack.name).toBe('heroku-24');
    const slugVersion = (await releases(daemon, APP)).at(-1)?.version ?? 0;

    expect((await runHeroku(['rollback', `v${imageVersion}`, '-a', APP], env)).code).toBe(0);
    await serves((b) => b.includes('Hello from container-python'), 90_000);
    expect((await runHeroku(['rollback', `v${slugVersion}`, '-a', APP], env)).code).toBe(0);
    await serves((b) => b.includes('Hello from python-stdlib'), 90_000);
  });

  it('heroku create --manifest makes a container app with heroku.yml setup.config and setup.addons', async () => {
    const dir = await fixtureRepo(daemon, 'container-python', env);
    const setupSection = 'setup:\n  addons:\n    - plan: heroku-postgresql\n      as: DATABASE\n  config:\n    GREETING: from-setup\n    WORKERS: 2\n';
    writeFileSync(join(dir, 'heroku.yml'), `${setupSection}${readFileSync(join(dir, 'heroku.yml'), 'utf8')}`);
    const created = await runHeroku(['apps:create', 'boxed-manifest', '--manifest'], env, { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/Creating (⬢ )?boxed-manifest\.\.\. done, stack is container/);
    const app = (await api<{ stack: { name: string } }>(daemon, '/apps/boxed-manifest')).body;
    expect(app.stack.name).toBe('container');
    expect(created.stderr).toMatch(/Adding heroku-postgresql\.\.\. done/);
    const config = (await api<Record<string, string>>(daemon, '/apps/boxed-manifest/config-vars')).body;
    expect(config).toMatchObject({ GREETING: 'from-setup', WORKERS: '2' });
    expect(config['DATABASE_URL']).toMatch(/^postgres:\/\/\w+:\w+@127\.0\.0\.1:\d+\/\w+$/);
    expect((await api(daemon, '/apps/boxed-manifest', { method: 'DELETE' })).status).toBe(200);
  });

  it('apps:destroy removes the built images', async () => {
    expect((await api(daemon, `/apps/${APP}`, { method: 'DELETE' })).status).toBe(200);
    const deadline = Date.now() + 60_000;
    const images = () => spawnSync('docker', ['images', '-q', '--filter', `label=berth.app=${appId}`], { encoding: 'utf8' }).stdout.trim();
    while (Date.now() < deadline && images() !== '') await new Promise((resolve) => setTimeout(resolve, 500));
    expect(images()).toBe('');
  });
});
