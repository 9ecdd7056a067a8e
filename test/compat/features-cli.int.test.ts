// The real `heroku` CLI (v11) with app and account features on a real daemon: features, features:info,
// features:enable/disable, labs, labs:info, labs:enable/disable; and runtime-dyno-metadata's variables in the web
// dyno and in a one-off of a real deploy; access, access:add, access:remove (collaborators).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { api, buildDirectory, createApp, docker, fakeCommit, fixture, slugPath, type AppJson } from '../support/build.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import { appContainers, dynos, getFromDyno, logMark, reportDeadDaemon, SHORT_TIMINGS, waitForDynos, waitForLines, waitForRelease } from '../dynos/helpers.js';

let daemon: TestDaemon;
let guard: EgressGuard;
let env: CliEnv;
let app: AppJson;
let email: string;
/** The slug of the deploy below, released again on another app through the slug upload path. */
let deployedSlug: string | undefined;

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env);
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  email = (await api<{ email: string }>(daemon, 'GET', '/account')).email;
  app = await createApp(daemon, 'feat');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('heroku CLI: features and labs', () => {
  it('features lists the general features, padded and sorted', async () => {
    const result = await heroku(['features', '-a', app.name]);
    expectCode(result, 0);
    expect(result.stdout).toContain(`=== App Features ${app.name}`);
    expect(result.stdout).toContain('[ ] http-session-affinity  Enable session affinity for all requests');
    expect(result.stdout).toContain('[ ] preboot                Provide seamless web dyno deploys');
    expect(result.stdout).not.toContain('runtime-dyno-metadata');
  });

  it('features:enable, features:info, enabling twice, features:disable', async () => {
    const enabled = await heroku(['features:enable', 'preboot', '-a', app.name]);
    expectCode(enabled, 0);
    expect(enabled.stderr).toContain(`Enabling preboot for ${app.name}... done`);
    expect((await heroku(['features', '-a', app.name])).stdout).toContain('[+] preboot');
    const again = await heroku(['features:enable', 'preboot', '-a', app.name]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('preboot is already enabled.');
    const info = await heroku(['features:info', 'preboot', '-a', app.name]);
    expectCode(info, 0);
    expect(info.stdout).toContain('=== preboot');
    expect(info.stdout).toMatch(/Description:\s+Provide seamless web dyno deploys/);
    expect(info.stdout).toMatch(/Enabled:\s+true/);
    expectCode(await heroku(['features:disable', 'preboot', '-a', app.name]), 0);
    expect((await heroku(['features', '-a', app.name])).stdout).toContain('[ ] preboot');
    const unknown = await heroku(['features:info', 'warp-drive', '-a', app.name]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("Couldn't find that feature.");
  });

  it('labs lists user and app features; labs:enable turns on runtime-dyno-metadata for the app', async () => {
    const labs = await heroku(['labs', '-a', app.name]);
    expectCode(labs, 0);
    expect(labs.stdout).toContain(`=== User Features ${email}`);
    expect(labs.stdout).toContain('dashboard-repositories-api');
    expect(labs.stdout).toContain(`=== App Features ${app.name}`);
    expect(labs.stdout).toMatch(/\[ \] runtime-dyno-metadata\s+Provide dyno metadata in environment variables/);
    const enabled = await heroku(['labs:enable', 'runtime-dyno-metadata', '-a', app.name]);
    expectCode(enabled, 0);
    expect(enabled.stderr).toContain(`Enabling runtime-dyno-metadata for ${app.name}... done`);
    const info = await heroku(['labs:info', 'runtime-dyno-metadata', '-a', app.name]);
    expectCode(info, 0);
    expect(info.stdout).toMatch(/Enabled:\s+true/);
    const account = await heroku(['labs:enable', 'dashboard-repositories-api']);
    expectCode(account, 0);
    expect(account.stderr).toContain(`Enabling dashboard-repositories-api for ${email}... done`);
    expectCode(await heroku(['labs:disable', 'dashboard-repositories-api']), 0);
  });

  it('with runtime-dyno-metadata on, the web dyno and a one-off see the app, release, dyno and slug', async () => {
    const commit = fakeCommit('features-cli');
    const run = await buildDirectory(daemon, app.name, fixture('lifecycle'), { version: commit });
    expect(run.build.status, run.output).toBe('succeeded');
    deployedSlug = run.build.slug?.id;
    if (run.build.release) await waitForRelease(daemon, app.name, run.build.release.id);
    await waitForDynos(daemon, app.name, ['web.1'], 'up');
    const [web] = (await dynos(daemon, app.name)).filter((d) => d.name === 'web.1');
    const [container] = await appContainers(app.id, 'web.1');
    const webEnv = JSON.parse(await docker(['inspect', '--format', '{{json .Config.Env}}', container ?? ''])) as string[];
    expect(webEnv).toContain(`HEROKU_DYNO_ID=${web?.id ?? ''}`);
    expect(webEnv).toContain(`HEROKU_APP_ID=${app.id}`);

    const mark = logMark(daemon, app.id);
    expectCode(await heroku(['run:detached', 'env | grep ^HEROKU_ | sort', '-a', app.name]), 0);
    const log = await waitForLines(daemon, app.id, [/^app\[run\.\d+\]: HEROKU_SLUG_DESCRIPTION=/], { afterSeq: mark });
    const vars = Object.fromEntries(
      log.lines.filter((l) => /^app\[run\.\d+\]: HEROKU_/.test(l)).map((l) => l.replace(/^app\[run\.\d+\]: /, '').split(/=(.*)/s).slice(0, 2)),
    ) as Record<string, string>;
    expect(vars).toMatchObject({
      HEROKU_APP_ID: app.id,
      HEROKU_APP_NAME: app.name,
      HEROKU_RELEASE_VERSION: 'v3',
      HEROKU_SLUG_COMMIT: commit,
      HEROKU_SLUG_DESCRIPTION: `Deploy ${commit.slice(0, 8)}`,
    });
    expect(vars['HEROKU_RELEASE_CREATED_AT']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(vars['HEROKU_DYNO_ID']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(vars['HEROKU_DYNO_ID']).not.toBe(web?.id);
  });
});

describe('a slug built elsewhere, uploaded and released (POST /slugs, PUT blob, POST /releases {slug})', () => {
  it('runs the uploaded slug in a web dyno', async () => {
    expect(deployedSlug).toBeDefined();
    const other = await createApp(daemon, 'slugged');
    const slug = await api<{ id: string; blob: { method: string; url: string } }>(daemon, 'POST', `/apps/${other.name}/slugs`, {
      process_types: { web: 'python3 web.py' },
      commit: fakeCommit('elsewhere'),
    });
    expect(slug.blob.method).toBe('put');
    const tgz = await readFile(slugPath(daemon, app.id, deployedSlug ?? ''));
    const put = await fetch(slug.blob.url, { method: 'PUT', body: tgz, headers: { 'content-type': '' } });
    expect(put.status).toBe(200);
    const release = await api<{ id: string; version: number }>(daemon, 'POST', `/apps/${other.name}/releases`, { slug: slug.id, description: 'Deploy from CI' });
    await waitForRelease(daemon, other.name, release.id);
    await waitForDynos(daemon, other.name, ['web.1'], 'up');
    expect(await getFromDyno(other.id, 'web.1')).toContain('web.1');
  });
});

describe('heroku CLI: access (collaborators)', () => {
  it('access lists the owner; access:add and access:remove manage a collaborator', async () => {
    const owner = await heroku(['access', '-a', app.name]);
    expectCode(owner, 0);
    expect(owner.stdout).toMatch(new RegExp(`${email.replace(/\./g, '\\.')}\\s+owner`));
    const added = await heroku(['access:add', 'pat@example.test', '-a', app.name]);
    expectCode(added, 0);
    expect(added.stderr).toContain(`Adding pat@example.test access to the app ${app.name}... done`);
    const list = await heroku(['access', '-a', app.name]);
    expect(list.stdout).toMatch(/pat@example\.test\s+collaborator/);
    const again = await heroku(['access:add', 'pat@example.test', '-a', app.name]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`pat@example.test is already a collaborator on ${app.name}.`);
    const removed = await heroku(['access:remove', 'pat@example.test', '-a', app.name]);
    expectCode(removed, 0);
    expect(removed.stderr).toContain(`Removing pat@example.test access from the app ${app.name}... done`);
    expect((await heroku(['access', '-a', app.name])).stdout).not.toContain('pat@example.test');
  });
});

describe('heroku CLI: apps:diff', () => {
  it('lists the slug checksum, config vars, buildpacks and features that differ between two apps', async () => {
    const other = await createApp(daemon, 'diffed');
    expectCode(await heroku(['config:set', 'ONLY_HERE=yes', '-a', other.name]), 0);
    expectCode(await heroku(['buildpacks:set', 'heroku/python', '-a', other.name]), 0);
    expectCode(await heroku(['labs:enable', 'nodejs-language-metrics', '-a', other.name]), 0);
    const checksum = (await api<{ checksum: string }>(daemon, 'GET', `/apps/${app.name}/slugs/${deployedSlug ?? ''}`)).checksum;
    const result = await heroku(['apps:diff', app.name, other.name]);
    expectCode(result, 0);
    const rows = result.stdout.split('\n').map((line) => line.trim().split(/\s{2,}/));
    expect(rows).toContainEqual([app.name, 'property', other.name]);
    expect(rows).toContainEqual([`${checksum.slice(0, 56)}...`, 'slug (checksum)']);
    expect(rows).toContainEqual(['config (ONLY_HERE)', 'yes']);
    // The registry name is stored as its URL, as Heroku stores it (shown truncated).
    expect(rows).toContainEqual(['buildpack (0)', expect.stringMatching(/^https:\/\/buildpack-registry\.s3\.amazonaws\.com\/buildpacks\/h/)]);
    expect(rows).toContainEqual(['disabled', 'feature (nodejs-language-metrics)', 'enabled']);
    // An app compared with itself differs in nothing.
    const same = await heroku(['apps:diff', app.name, app.name]);
    expectCode(same, 0);
    expect(same.stdout).not.toContain('config (');
  });
});
