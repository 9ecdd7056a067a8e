// End to end (issue 7): `git push local main`, then the router serves the app; config:set restarts it with the new
// value; rollback restores the old one; logs show the lifecycle; a failed build leaves the previous release
// serving; apps:destroy leaves no repo, container or image. Everything goes through the real git, the `berth` CLI,
// the daemon, Docker and the router.
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERTH_MAIN, sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { api, fixtureRepo, git, releases, remoteLines, runGit } from '../git/helpers.js';

let daemon: TestDaemon;
let env: CliEnv;
let appId = '';
const APP = 'e2e';

function berth(args: readonly string[], cwd: string) {
  const result = spawnSync(process.execPath, [BERTH_MAIN, ...args], { cwd, env: { ...env, ...daemon.berthEnv }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** GET / through the router with the app's Host header (fetch may not set Host; node:http does). */
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

/** GET / through the router until `predicate(body)` holds (a restart takes a moment). */
async function serves(predicate: (body: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await viaRouter();
      last = `${response.status} ${response.body}`;
      if (response.status === 200 && predicate(last)) return last;
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

describe('git push to serving', () => {
  let repo = '';

  it('apps:create + git push local main of node-npm-deps: the router answers with the app', async () => {
    repo = await fixtureRepo(daemon, 'node-npm-deps', env);
    const created = berth(['apps:create', APP], repo);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe(`http://${APP}.localhost:${daemon.ports.router}/ | http://127.0.0.1:${daemon.ports.api}/${APP}.git`);
    appId = (await api<{ id: string }>(daemon, `/apps/${APP}`)).body.id;
    const push = await runGit(['push', 'local', 'main'], env, repo);
    expect(push.code, push.stderr).toBe(0);
    expect(remoteLines(push)).toContain('Verifying deploy... done.');
    // The very first request after the push: the router holds it until web.1 is up (never "no such app").
    const first = await viaRouter(90_000);
    expect(first.status, first.body).toBe(200);
    expect(first.body).toContain('Hello from node-npm-deps');
    expect(first.body).toContain('ms(90000)=2m');
  });

  it('config:set restarts onto the new value, rollback restores the old one', async () => {
    const basic = await fixtureRepo(daemon, 'node-basic', env);
    expect(berth(['git:remote', '-a', APP], basic).code).toBe(0);
    const push = await runGit(['push', '--force', 'local', 'main'], env, basic);
    expect(push.code, push.stderr).toBe(0);
    // The first request after a second push already gets the new code: the restarting dyno holds it until it is up.
    const first = await viaRouter(90_000);
    expect(first.status, first.body).toBe(200);
    expect(first.body).toContain('Hello from node-basic');
    const before = (await releases(daemon, APP)).at(-1)?.version ?? 0;

    const set = berth(['config:set', 'GREETING=ahoy', '-a', APP], basic);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain(`Setting GREETING and restarting ⬢ ${APP}... done, v${before + 1}`);
    expect(set.stdout.trim()).toBe('GREETING: ahoy');
    await serves((body) => body.includes('greeting=ahoy'));

    const list = await releases(daemon, APP);
    const target = list.find((r) => r.version === before);
    expect(target).toBeDefined();
    const rolled = await api(daemon, `/apps/${APP}/releases`, { method: 'POST', body: { release: String(before) } });
    expect([200, 201]).toContain(rolled.status);
    await serves((body) => !body.includes('greeting=ahoy'));
  });

  it('a failed build leaves the previous release serving', async () => {
    const before = await releases(daemon, APP);
    const broken = await fixtureRepo(daemon, 'build-fails', env);
    expect(berth(['git:remote', '-a', APP], broken).code).toBe(0);
    const push = await runGit(['push', '--force', 'local', 'main'], env, broken);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('pre-receive hook declined');
    expect(await releases(daemon, APP)).toEqual(before);
    await serves((body) => body.includes('Hello from node-basic'), 10_000);
  });

  it('logs show the lifecycle', async () => {
    const logs = berth(['logs', '-a', APP, '-n', '1500'], daemon.rootDir);
    expect(logs.code, logs.stderr).toBe(0);
    for (const pattern of [
      /app\[api\]: Build started by user/,
      /app\[api\]: Deploy [0-9a-f]{8} by user/,
      /app\[api\]: Set GREETING config vars by user/,
      /app\[api\]: Rollback to v\d+ by user/,
      /app\[api\]: Build failed -- check your build output/,
      /heroku\[web\.1\]: State changed from starting to up/,
    ]) {
      expect(logs.stdout).toMatch(pattern);
    }
  });

  it('apps:destroy leaves no repo, container or image behind', async () => {
    expect((await api(daemon, `/apps/${APP}`, { method: 'DELETE' })).status).toBe(200);
    const repoDir = join(daemon.dataDir, 'repos', `${appId}.git`);
    const deadline = Date.now() + 60_000;
    const leftovers = () => {
      const containers = spawnSync('docker', ['ps', '-aq', '--filter', `label=berth.app=${appId}`], { encoding: 'utf8' }).stdout.trim();
      const images = spawnSync('docker', ['images', '-q', '--filter', `label=berth.app=${appId}`], { encoding: 'utf8' }).stdout.trim();
      return { repo: existsSync(repoDir), containers, images };
    };
    let state = leftovers();
    while (Date.now() < deadline && (state.repo || state.containers !== '' || state.images !== '')) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      state = leftovers();
    }
    expect(state).toEqual({ repo: false, containers: '', images: '' });
  });
});
