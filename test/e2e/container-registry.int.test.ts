// The Container Registry flow without a registry (issue 15): `berth container:push -R web release` builds each
// Dockerfile.<type> on the engine through the API and releases nothing; `berth container:release web release` sends
// what `heroku container:release` sends (PATCH /apps/{app}/formation with docker_image per type), the release phase
// runs the release image, the router serves the web image and the real CLI's `heroku releases` shows `Deployed web
// (…)`. A second push of one changed file and a release of web alone serves the new code. A container app that never
// binds $PORT gets Heroku's R10 lines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, fixtureRepo, releases } from '../git/helpers.js';
import { logMark, SHORT_TIMINGS, waitForLines } from '../dynos/helpers.js';
import { BERTH_MAIN, runHeroku, sandboxedCliEnv, startTestDaemon, stripAnsi, type CliEnv, type TestDaemon } from '../support/daemon.js';

const APP = 'pushed';
const BOOT_TIMEOUT = 3;
let daemon: TestDaemon;
let env: CliEnv;

function berth(args: readonly string[], cwd: string) {
  const result = spawnSync(process.execPath, [BERTH_MAIN, ...args], { cwd, env: { ...env, ...daemon.berthEnv }, encoding: 'utf8', timeout: 300_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function viaRouter(app: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${app}.localhost:${daemon.ports.router}` }, timeout: 5000 },
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

async function serves(marker: string): Promise<string> {
  const deadline = Date.now() + 90_000;
  let last = '';
  while (Date.now() < deadline) {
    const answer = await viaRouter(APP).catch((error: unknown) => ({ status: 0, body: String(error) }));
    last = `${answer.status} ${answer.body}`;
    if (answer.status === 200 && answer.body.includes(marker)) return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the router never served ${marker}; last answer: ${last}`);
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS, BERTH_BOOT_TIMEOUT: String(BOOT_TIMEOUT), BERTH_CRASH_COOLOFF: '600' } });
  env = sandboxedCliEnv(daemon);
});

afterAll(async () => {
  for (const app of [APP, 'pushed-nobind', 'pushed-slug']) await api(daemon, `/apps/${app}`, { method: 'DELETE' }).catch(() => undefined);
  await daemon?.dispose();
});

describe('berth container:push and container:release', () => {
  let dir = '';

  it('container:push -R builds each Dockerfile.<type> on the engine and releases nothing', async () => {
    dir = await fixtureRepo(daemon, 'container-push', env);
    expect((await api(daemon, '/apps', { method: 'POST', body: { name: APP, stack: 'container' } })).status).toBe(201);
    const before = await releases(daemon, APP);
    const push = berth(['container:push', '-R', 'web', 'release', '-a', APP], dir);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toContain('=== Building web (Dockerfile.web)');
    expect(push.stdout).toMatch(/^Step 1\/\d+ : FROM heroku\/heroku:24$/m);
    expect(push.stdout).toContain('=== Pushing web (Dockerfile.web)');
    expect(push.stdout).toContain('=== Building release (Dockerfile.release)');
    expect(push.stdout).not.toContain('=== Fetching app code');
    expect(push.stdout).toContain("Your images have been successfully pushed. You can now release them with the 'container:release' command.");
    expect(await releases(daemon, APP)).toEqual(before);
    const manifest = await api<{ schemaVersion: number; config: { digest: string } }>(daemon, `/v2/${APP}/web/manifests/latest`);
    expect(manifest.status).toBe(200);
    expect(manifest.body.schemaVersion).toBe(2);
    expect(manifest.body.config.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('container:release runs the release image as the release phase, and the router serves the web image', async () => {
    const web = (await api<{ config: { digest: string } }>(daemon, `/v2/${APP}/web/manifests/latest`)).body.config.digest;
    const release = berth(['container:release', 'web', 'release', '-a', APP], dir);
    expect(release.code, release.stderr).toBe(0);
    expect(release.stderr).toContain(`Releasing images web,release to ${APP}... done`);
    expect(release.stdout).toContain('Running release command...');
    expect(release.stdout).toMatch(/^release image ran in release\.\d+$/m);
    const body = await serves('Hello from container-push one');
    expect(body).toContain('dyno=web.1');
    expect(body).toContain('cwd=/srv/web');

    const listed = await runHeroku(['releases', '-a', APP], env);
    expect(listed.code, listed.stderr).toBe(0);
    // The table may truncate descriptions to fit an 80-column terminal; --json has all of it.
    expect(stripAnsi(listed.stdout)).toMatch(/^\s*v\d+\s+Deployed web \(/m);
    const json = await runHeroku(['releases', '-a', APP, '--json'], env);
    const newest = (JSON.parse(json.stdout) as Array<{ description: string }>)[0];
    expect(newest?.description).toMatch(new RegExp(`^Deployed web \\(${web.slice('sha256:'.length, 'sha256:'.length + 12)}\\), release \\([0-9a-f]{12}\\)$`));
    const current = (await releases(daemon, APP)).at(-1) as unknown as { status: string; artifacts: Array<{ type: string }> };
    expect(current).toMatchObject({ status: 'succeeded', artifacts: [{ type: 'oci-image' }] });
    const app = (await api<{ stack: { name: string } }>(daemon, `/apps/${APP}`)).body;
    expect(app.stack.name).toBe('container');
  });

  it('a push of one changed file and a release of web alone serve the new code', async () => {
    const file = join(dir, 'app.py');
    writeFileSync(file, readFileSync(file, 'utf8').replace('VERSION = "one"', 'VERSION = "two"'));
    const push = berth(['container:push', 'web', '--recursive', '-a', APP], dir);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toContain("Your image has been successfully pushed. You can now release it with the 'container:release' command.");
    expect(push.stdout).toContain('Using cache');
    const release = berth(['container:release', 'web', '-a', APP], dir);
    expect(release.code, release.stderr).toBe(0);
    await serves('Hello from container-push two');
  });

  it('PATCH /formation with an image the app never got is refused, and the release stays', async () => {
    const before = await releases(daemon, APP);
    const answer = await api<{ id: string; message: string }>(daemon, `/apps/${APP}/formation`, {
      method: 'PATCH',
      body: { updates: [{ type: 'web', docker_image: `sha256:${'0'.repeat(64)}` }] },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.message).toContain(`No image sha256:${'0'.repeat(64)} of process type web was pushed to this app`);
    expect(await releases(daemon, APP)).toEqual(before);
  });

  it('container:push to an app not on the container stack fails with Heroku\'s words', async () => {
    expect((await api(daemon, '/apps', { method: 'POST', body: { name: 'pushed-slug' } })).status).toBe(201);
    const push = berth(['container:push', '-R', 'web', '-a', 'pushed-slug'], dir);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('This command is for Docker apps only. Switch stacks by running heroku stack:set container.');
  });

  it('a container web process that never binds $PORT gets R10', async () => {
    const nobind = mkdtempSync(join(daemon.rootDir, 'nobind-'));
    writeFileSync(join(nobind, 'Dockerfile'), 'FROM heroku/heroku:24\nCMD echo "container never binds on purpose" && sleep 600\n');
    const created = await api<{ id: string }>(daemon, '/apps', { method: 'POST', body: { name: 'pushed-nobind', stack: 'container' } });
    expect(created.status).toBe(201);
    const mark = logMark(daemon, created.body.id);
    expect(berth(['container:push', 'web', '-a', 'pushed-nobind'], nobind).code).toBe(0);
    const release = berth(['container:release', 'web', '-a', 'pushed-nobind'], nobind);
    expect(release.code, release.stderr).toBe(0);
    await waitForLines(
      daemon,
      created.body.id,
      [
        'app[web.1]: container never binds on purpose',
        `heroku[web.1]: Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${BOOT_TIMEOUT} seconds of launch`,
        'heroku[web.1]: Stopping process with SIGKILL',
        'heroku[web.1]: Process exited with status 137',
        'heroku[web.1]: State changed from starting to crashed',
      ],
      { afterSeq: mark, timeoutMs: 60_000 },
    );
  });
});
