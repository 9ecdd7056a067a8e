// The real `heroku` CLI (v11) against a Berth daemon: domains:add, domains, domains:remove, maintenance:on/off, and
// what the router then serves. Output as observed from the CLI (reference: heroku-cli-and-api.md §3).
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressGuard } from '../support/egress.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';

let daemon: TestDaemon;
let env: CliEnv;

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env);
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

/** A request to the router on 127.0.0.1 with a Host header (this machine's resolver does not know *.localhost). */
function viaRouter(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  daemon = await startTestDaemon();
  const guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  expectCode(await heroku(['apps:create', 'dom']), 0);
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('heroku domains and maintenance against Berth', () => {
  it('domains:add prints the DNS target and the enqueued message', async () => {
    const result = await heroku(['domains:add', 'www.example.test', '-a', 'dom']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Adding (⬢ )?www\.example\.test to (⬢ )?dom\.\.\. done/);
    expect(result.stdout).toContain("Configure your app's DNS provider to point to the DNS Target dom.localhost.");
    expect(result.stdout).toContain('The domain www.example.test has been enqueued for addition');
  });

  it('domains lists the heroku domain and the custom one', async () => {
    const result = await heroku(['domains', '-a', 'dom']);
    expectCode(result, 0);
    expect(result.stdout).toMatch(/=== (⬢ )?dom Heroku Domain/);
    expect(result.stdout).toContain('dom.localhost');
    expect(result.stdout).toMatch(/=== (⬢ )?dom Custom Domains/);
    expect(result.stdout).toMatch(/www\.example\.test\s+CNAME\s+dom\.localhost/);
  });

  it('domains:remove removes it', async () => {
    expectCode(await heroku(['domains:remove', 'www.example.test', '-a', 'dom']), 0);
    const result = await heroku(['domains', '-a', 'dom']);
    expect(result.stdout).not.toContain('www.example.test');
  });

  it('maintenance:on / maintenance / maintenance:off', async () => {
    const on = await heroku(['maintenance:on', '-a', 'dom']);
    expectCode(on, 0);
    expect(on.stderr).toMatch(/Enabling maintenance mode for (⬢ )?dom\.\.\. done/);
    expect((await heroku(['maintenance', '-a', 'dom'])).stdout.trim()).toBe('on');
    const off = await heroku(['maintenance:off', '-a', 'dom']);
    expectCode(off, 0);
    expect(off.stderr).toMatch(/Disabling maintenance mode for (⬢ )?dom\.\.\. done/);
    expect((await heroku(['maintenance', '-a', 'dom'])).stdout.trim()).toBe('off');
  });

  it('the router answers an unknown host with the no-such-app page', async () => {
    const reply = await viaRouter('nope.localhost');
    expect(reply.status).toBe(404);
    expect(reply.body).toContain('There is no app configured at that hostname.');
  });

  it('maintenance:on makes the router answer H80 with the maintenance page', async () => {
    expectCode(await heroku(['maintenance:on', '-a', 'dom']), 0);
    const reply = await viaRouter('dom.localhost');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('Offline for Maintenance');
    expectCode(await heroku(['maintenance:off', '-a', 'dom']), 0);
  });

  it('a custom domain routes to the app', async () => {
    expectCode(await heroku(['domains:add', 'api.example.test', '-a', 'dom']), 0);
    // No web dyno yet: H14 from the app's route rather than the no-such-app 404.
    expect((await viaRouter('api.example.test')).status).toBe(503);
  });
});
