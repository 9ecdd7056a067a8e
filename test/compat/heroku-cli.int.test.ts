// The real `heroku` CLI (v11) against a Berth daemon, in a sandbox that lets nothing leave the machine.
// Expected output was observed from the CLI itself (reference: heroku-cli-and-api.md §0, §1, §3).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import { gitRepoOf } from '../support/git-repo.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';

let daemon: TestDaemon;
let guard: EgressGuard;
let env: CliEnv;
let email: string;

function heroku(args: string[], options: { cwd?: string; env?: CliEnv } = {}): Promise<HerokuResult> {
  return runHeroku(args, options.env ?? env, options.cwd === undefined ? {} : { cwd: options.cwd });
}

/** Fails with the CLI's own output, which is what one needs to see when a command misbehaves. */
function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

function lines(text: string): string[] {
  return text.split('\n').map((line) => line.trimEnd());
}

function gitRepo(): string {
  const dir = mkdtempSync(join(daemon.rootDir, 'repo-'));
  gitRepoOf(dir, { env });
  return dir;
}

function remotes(dir: string): string {
  return execFileSync('git', ['remote', '-v'], { cwd: dir, env, encoding: 'utf8' });
}

function gitRemoteUrl(dir: string, name: string): string | undefined {
  const result = spawnSync('git', ['remote', 'get-url', name], { cwd: dir, env, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

beforeAll(async () => {
  daemon = await startTestDaemon();
  guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  const response = await fetch(`${daemon.apiUrl}/account`, { headers: { Authorization: `Bearer ${daemon.apiKey}` } });
  expect(response.status).toBe(200);
  email = ((await response.json()) as { email: string }).email;
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('heroku CLI v11 against Berth', () => {
  it('the egress preload really records and denies a non-loopback connection', () => {
    const probe = mkdtempSync(join(daemon.rootDir, 'probe-'));
    const probeGuard = egressGuard(probe);
    const script = `require('node:net').connect(443, '192.0.2.1').on('error', (e) => { console.log(e.message); process.exit(0); })`;
    const out = execFileSync(process.execPath, ['-e', script], { env: { ...env, ...probeGuard.env }, encoding: 'utf8' });
    expect(out).toContain('denied');
    expect(probeGuard.attempts()).toContain('connect 192.0.2.1:443');
  });

  it('the preload catches the CLI itself when the sandbox is incomplete (no HEROKU_PARTICLEBOARD_URL)', async () => {
    const probeGuard = egressGuard(mkdtempSync(join(daemon.rootDir, 'probe-cli-')));
    const { HEROKU_PARTICLEBOARD_URL: _omitted, ...incomplete } = env;
    const result = await heroku(['auth:whoami'], { env: { ...incomplete, ...probeGuard.env } });
    expectCode(result, 0);
    expect(probeGuard.attempts()).toMatch(/particleboard\.heroku\.com/);
  });

  it('apps:create demo', async () => {
    const result = await heroku(['apps:create', 'demo']);
    expectCode(result, 0);
    // The CLI prints the progress line on stderr and the URLs on stdout.
    expect(result.stderr).toMatch(/Creating (⬢ )?demo\.\.\. done/);
    expect(lines(result.stdout)).toContain(`http://demo.localhost:${daemon.ports.router}/ | https://127.0.0.1:${daemon.ports.apiTls}/demo.git`);
    // The ToS marker file suppresses the one-time warning; nothing else should warn.
    expect(result.stderr).not.toContain('Warning');
  });

  it('apps lists demo', async () => {
    const result = await heroku(['apps']);
    expectCode(result, 0);
    expect(lines(result.stdout)).toContain(`=== ${email} Apps`);
    expect(lines(result.stdout)).toContain('demo');
  });

  it('apps:info -a demo', async () => {
    const result = await heroku(['apps:info', '-a', 'demo']);
    expectCode(result, 0);
    const out = lines(result.stdout);
    expect(out).toContain('=== demo');
    expect(result.stdout).toMatch(new RegExp(`^Git URL:\\s+https://127\\.0\\.0\\.1:${daemon.ports.apiTls}/demo\\.git$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^Web URL:\\s+http://demo\\.localhost:${daemon.ports.router}/$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^Owner:\\s+${email.replaceAll('.', '\\.')}$`, 'm'));
    expect(result.stdout).toMatch(/^Region:\s+us$/m);
    expect(result.stdout).toMatch(/^Stack:\s+heroku-24$/m);
    expect(result.stdout).toMatch(/^Repo Size:\s+0 B$/m);
  });

  it('config:set A=1 B=2', async () => {
    const result = await heroku(['config:set', 'A=1', 'B=2', '-a', 'demo']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Setting A, B and restarting (⬢ )?demo\.\.\. done, v3/);
    expect(lines(result.stdout)).toEqual(expect.arrayContaining(['A: 1', 'B: 2']));
  });

  it('config', async () => {
    const result = await heroku(['config', '-a', 'demo']);
    expectCode(result, 0);
    const out = lines(result.stdout);
    expect(out).toContain('=== demo Config Vars');
    expect(out).toEqual(expect.arrayContaining(['A: 1', 'B: 2']));
  });

  it('config:unset A', async () => {
    const result = await heroku(['config:unset', 'A', '-a', 'demo']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Unsetting A and restarting (⬢ )?demo\.\.\. done, v4/);
    const config = await heroku(['config', '-a', 'demo']);
    expect(lines(config.stdout)).toContain('B: 2');
    expect(config.stdout).not.toMatch(/^A:/m);
  });

  it('releases', async () => {
    const result = await heroku(['releases', '-a', 'demo']);
    expectCode(result, 0);
    expect(lines(result.stdout)).toContain('=== demo Releases - Current: v4');
    const who = email.replaceAll('.', '\\.');
    const row = (version: string, description: string) =>
      new RegExp(`^\\s*${version}\\s+${description}\\s+${who}\\s+\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2} \\+0000`, 'm');
    expect(result.stdout).toMatch(row('v4', 'Remove A config vars'));
    expect(result.stdout).toMatch(row('v3', 'Set A, B config vars'));
    expect(result.stdout).toMatch(row('v2', 'Enable Logplex'));
    expect(result.stdout).toMatch(row('v1', 'Initial release'));
    // Newest first.
    const order = ['v4', 'v3', 'v2', 'v1'].map((v) => result.stdout.search(new RegExp(`^\\s*${v}\\s`, 'm')));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('releases:info v3', async () => {
    const result = await heroku(['releases:info', 'v3', '-a', 'demo']);
    expectCode(result, 0);
    const out = lines(result.stdout);
    expect(out).toContain('=== Release v3');
    expect(result.stdout).toMatch(/^Change:\s+Set A, B config vars$/m);
    expect(result.stdout).toMatch(new RegExp(`^By:\\s+${email.replaceAll('.', '\\.')}$`, 'm'));
    expect(result.stdout).toMatch(/^Eligible for Rollback\?:\s+Yes$/m);
    expect(result.stdout).toMatch(/^When:\s+\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/m);
    expect(out).toContain('=== v3 Config vars');
    expect(out).toEqual(expect.arrayContaining(['A: 1', 'B: 2']));
  });

  it('auth:whoami prints the account email', async () => {
    const result = await heroku(['auth:whoami']);
    expectCode(result, 0);
    expect(lines(result.stdout)).toContain(email);
  });

  it('git:remote -a demo in a git repo sets the https remote', async () => {
    const dir = gitRepo();
    const result = await heroku(['git:remote', '-a', 'demo'], { cwd: dir });
    expectCode(result, 0);
    const url = `https://127.0.0.1:${daemon.ports.apiTls}/demo.git`;
    expect(result.stdout + result.stderr).toContain(`set git remote heroku to ${url}`);
    expect(gitRemoteUrl(dir, 'heroku')).toBe(url);
  });

  it("buildpacks:add heroku/nodejs asks Berth's registry (HEROKU_BUILDPACK_REGISTRY_URL from berth env) and pins the bundled buildpack", async () => {
    expect(env['HEROKU_BUILDPACK_REGISTRY_URL']).toBe(`${daemon.apiUrl}/buildpack-registry`);
    const added = await heroku(['buildpacks:add', 'heroku/nodejs', '-a', 'demo']);
    expectCode(added, 0);
    expect(added.stdout, added.stdout).toMatch(/^Buildpack added\. Next release on (⬢ )?demo will use heroku\/nodejs\.$/m);
    const list = await heroku(['buildpacks', '-a', 'demo']);
    expectCode(list, 0);
    expect(lines(list.stdout)).toContain('heroku/nodejs');
  });

  it('regions, apps:stacks and access read the catalogue Berth has', async () => {
    const regions = await heroku(['regions']);
    expectCode(regions, 0);
    expect(regions.stdout).toMatch(/^\s*us\s+United States\s+Common Runtime\s*$/m);
    expect(regions.stdout).toMatch(/^\s*eu\s+Europe\s+Common Runtime\s*$/m);
    const stacks = await heroku(['apps:stacks', '-a', 'demo']);
    expectCode(stacks, 0);
    expect(stacks.stdout).toMatch(/^\* heroku-24$/m);
    const access = await heroku(['access', '-a', 'demo']);
    expectCode(access, 0);
    expect(access.stdout).toMatch(new RegExp(`${email.replaceAll('.', '\\.')}\\s+owner`));
  });

  it('apps:destroy, then apps:info fails with not_found', async () => {
    const destroy = await heroku(['apps:destroy', '-a', 'demo', '--confirm', 'demo']);
    expectCode(destroy, 0);
    expect(destroy.stderr).toMatch(/Destroying (⬢ )?demo \(including all add-ons\)\.\.\. done/);

    const info = await heroku(['apps:info', '-a', 'demo']);
    expectCode(info, 2);
    expect(info.stderr).toContain(' ›   Error: Couldn\'t find that app.');
    expect(info.stderr).toContain(' ›   Error ID: not_found');

    const apps = await heroku(['apps']);
    expectCode(apps, 0);
    expect(lines(apps.stdout)).not.toContain('demo');
  });

  it('a duplicate apps:create fails with "Name is already taken"', async () => {
    expectCode(await heroku(['apps:create', 'demo2']), 0);
    const again = await heroku(['apps:create', 'demo2']);
    expectCode(again, 2);
    expect(again.stderr).toContain(' ›   Error: Name is already taken');
    expect(again.stderr).toContain(' ›   Error ID: invalid_params');
  });

  it('apps:create inside a git repo adds the heroku remote; apps:destroy removes it', async () => {
    const dir = gitRepo();
    const result = await heroku(['apps:create', 'gitapp'], { cwd: dir });
    expectCode(result, 0);
    const url = `https://127.0.0.1:${daemon.ports.apiTls}/gitapp.git`;
    expect(gitRemoteUrl(dir, 'heroku')).toBe(url);
    expect(remotes(dir)).toContain(`heroku\t${url} (push)`);
    // With the remote in place, -a is not needed.
    const info = await heroku(['apps:info'], { cwd: dir });
    expectCode(info, 0);
    expect(lines(info.stdout)).toContain('=== gitapp');

    const destroy = await heroku(['apps:destroy', '--confirm', 'gitapp'], { cwd: dir });
    expectCode(destroy, 0);
    expect(gitRemoteUrl(dir, 'heroku')).toBeUndefined();
  });

  it('apps:create without a name gets a generated one', async () => {
    const result = await heroku(['apps:create']);
    expectCode(result, 0);
    const match = new RegExp(`^http://([a-z][a-z0-9-]+)\\.localhost:${daemon.ports.router}/ \\| https://127\\.0\\.0\\.1:${daemon.ports.apiTls}/([a-z][a-z0-9-]+)\\.git$`, 'm').exec(
      result.stdout,
    );
    expect(match, result.stdout).not.toBeNull();
    expect(match?.[1]).toBe(match?.[2]);
  });

  it('a wrong HEROKU_API_KEY is reported as invalid', async () => {
    const result = await heroku(['apps'], { env: { ...env, HEROKU_API_KEY: 'not-the-key' } });
    expect(result.code).not.toBe(0);
    expect(result.stderr.replace(/\s+/g, ' ')).toContain('The token provided to HEROKU_API_KEY is invalid');
  });

  it('the CLI wrote the git credential helper only into the sandbox HOME', async () => {
    const gitconfig = await readFile(join(env['HOME'] ?? '', '.gitconfig'), 'utf8');
    expect(gitconfig).toContain(`[credential "https://127.0.0.1:${daemon.ports.apiTls}"]`);
    expect(gitconfig).toContain('helper = !heroku git:credentials');
  });

  it('the HTTPS API works too: NODE_EXTRA_CA_CERTS (the berth env bundle) trusts the local CA', async () => {
    const bundle = await readFile(env['NODE_EXTRA_CA_CERTS'] ?? '', 'utf8');
    const localCa = await readFile(join(daemon.dataDir, 'tls', 'ca.pem'), 'utf8');
    expect(bundle).toContain(localCa.trim());
    // The host's extra CAs are kept in the bundle (this process runs with the host's NODE_EXTRA_CA_CERTS).
    const hostExtra = process.env['NODE_EXTRA_CA_CERTS'];
    if (hostExtra && existsSync(hostExtra)) {
      const firstHostCert = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(await readFile(hostExtra, 'utf8'))?.[0];
      if (firstHostCert) expect(bundle).toContain(firstHostCert);
    }
    const tls = { ...env, HEROKU_HOST: daemon.apiTlsUrl, HEROKU_PARTICLEBOARD_URL: daemon.apiTlsUrl };
    const result = await heroku(['auth:whoami'], { env: tls });
    expectCode(result, 0);
    expect(lines(result.stdout)).toContain(email);
  });

  it('apps lists more than one page (205 apps: 206 + Next-Range, followed by the CLI)', async () => {
    const names = Array.from({ length: 205 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(
        names.slice(i, i + 20).map(async (name) => {
          const response = await fetch(`${daemon.apiUrl}/apps`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${daemon.apiKey}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ name }),
          });
          expect(response.status, await response.text()).toBe(201);
        }),
      );
    }
    const firstPage = await fetch(`${daemon.apiUrl}/users/~/apps`, { headers: { Authorization: `Bearer ${daemon.apiKey}` } });
    expect(firstPage.status).toBe(206);
    expect(firstPage.headers.get('next-range')).toMatch(/^id \]\S+\.\.; max=200$/);
    expect(((await firstPage.json()) as unknown[]).length).toBe(200);

    const result = await heroku(['apps']);
    expectCode(result, 0);
    const listed = lines(result.stdout).filter((line) => line.startsWith('bulk-'));
    expect(listed.sort()).toEqual(names);
  });

  it('no connection left the machine during any of the commands above', () => {
    expect(guard.attempts()).toBe('');
  });
});
