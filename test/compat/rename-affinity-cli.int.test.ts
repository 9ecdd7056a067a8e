// The real heroku CLI and git on one deployed app with two web dynos: `features:enable http-session-affinity` pins a
// client to one dyno through the router's cookie; `apps:rename` inside the repo updates the `heroku` remote, the
// router serves the new host name (the old one gets the no-such-app page) and the next `git push heroku main` deploys;
// `berth git:remote`'s `local` remote, left naming the old app, pushes to the renamed one.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import { BERTH_MAIN, runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';
import { fixtureRepo, git, remoteLines, runGit } from '../git/helpers.js';
import { reportDeadDaemon, SHORT_TIMINGS, waitForDynos } from '../dynos/helpers.js';

let daemon: TestDaemon;
let guard: EgressGuard;
let env: CliEnv;
let repo: string;

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env, { cwd: repo });
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

interface Reply {
  status: number;
  body: string;
  setCookie: string[];
}

function viaRouter(host: string, cookie?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host, ...(cookie === undefined ? {} : { cookie }) };
    const req = request({ host: '127.0.0.1', port: daemon.ports.router, path: '/', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, setCookie: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  repo = await fixtureRepo(daemon, 'router-probe', env);
  expectCode(await heroku(['create', 'before']), 0);
  const gitHost = `127.0.0.1:${daemon.ports.apiTls}`;
  execFileSync('git', ['config', '--global', `http.https://${gitHost}/.sslCAInfo`, join(daemon.dataDir, 'tls', 'ca.pem')], { env });
  const push = await runGit(['push', 'heroku', 'main'], env, repo);
  expect(push.code, push.stderr).toBe(0);
  // `berth git:remote`'s loopback remote, which `apps:rename` (rewriting only Heroku's https URL) leaves as it is.
  const local = spawnSync(process.execPath, [BERTH_MAIN, 'git:remote', '-a', 'before'], { cwd: repo, env: { ...env, ...daemon.berthEnv }, encoding: 'utf8' });
  expect(local.status, local.stderr).toBe(0);
  expectCode(await heroku(['ps:scale', 'web=2', '-a', 'before']), 0);
  await waitForDynos(daemon, 'before', ['web.1', 'web.2'], 'up');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('http-session-affinity on two web dynos', () => {
  it('pins a client to the dyno its cookie names; without the feature there is no cookie', async () => {
    expect((await viaRouter('before.localhost')).setCookie).toEqual([]);
    expectCode(await heroku(['features:enable', 'http-session-affinity', '-a', 'before']), 0);
    const first = await viaRouter('before.localhost');
    expect(first.status).toBe(200);
    const cookie = first.setCookie.find((c) => c.startsWith('heroku-session-affinity='));
    expect(cookie, JSON.stringify(first.setCookie)).toBeDefined();
    const pair = (cookie as string).split(';')[0] as string;
    const answers = new Set<string>();
    for (let i = 0; i < 12; i++) answers.add((await viaRouter('before.localhost', pair)).body);
    expect([...answers]).toEqual([first.body]);
    expectCode(await heroku(['features:disable', 'http-session-affinity', '-a', 'before']), 0);
    expect((await viaRouter('before.localhost')).setCookie).toEqual([]);
  });
});

describe('apps:rename', () => {
  it('updates the heroku remote; the router serves the new name and not the old; git push deploys', async () => {
    const renamed = await heroku(['apps:rename', 'after', '-a', 'before']);
    expectCode(renamed, 0);
    expect(renamed.stdout).toContain('Git remote heroku updated');
    expect(await git(['remote', 'get-url', 'heroku'], env, repo)).toBe(`https://127.0.0.1:${daemon.ports.apiTls}/after.git`);
    const served = await viaRouter('after.localhost');
    expect(served.status).toBe(200);
    const old = await viaRouter('before.localhost');
    expect(old.status).toBe(404);
    expect(old.body).toContain('There is no app configured at that hostname.');

    await git(['commit', '--quiet', '--allow-empty', '-m', 'after the rename'], env, repo);
    const push = await runGit(['push', 'heroku', 'main'], env, repo);
    expect(push.code, push.stderr).toBe(0);
    expect(remoteLines(push)).toContain(`       http://after.localhost:${daemon.ports.router}/ deployed to Berth`);
    expect(push.lines).toContain(`To https://127.0.0.1:${daemon.ports.apiTls}/after.git`);
    // No app was made under the old name by the push.
    expectCode(await heroku(['apps:info', '-a', 'after']), 0);
    expect((await heroku(['apps:info', '-a', 'before'])).code).not.toBe(0);

    // The `local` remote still names `before`: its push deploys `after`, and creates no app called `before`.
    expect(await git(['remote', 'get-url', 'local'], env, repo)).toBe(`http://127.0.0.1:${daemon.ports.api}/before.git`);
    await git(['commit', '--quiet', '--allow-empty', '-m', 'through the old remote'], env, repo);
    const viaOld = await runGit(['push', 'local', 'main'], env, repo);
    expect(viaOld.code, viaOld.stderr).toBe(0);
    expect(remoteLines(viaOld)).toContain(`       http://after.localhost:${daemon.ports.router}/ deployed to Berth`);
    expect((await heroku(['apps:info', '-a', 'before'])).code).not.toBe(0);
    expect(guard.attempts()).toBe('');
  });
});
