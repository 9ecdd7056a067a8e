// The real `heroku` CLI (v11) driving the dyno manager and the release phase on the real engine: config:set
// (restarts), releases:output, rollback, ps, ps:scale, ps:restart, ps:stop, run:detached. The app is deployed
// through the Builds API (the CLI v11 has no builds command), then only the CLI acts; the log is read from the store.
// (`heroku run` attached needs the rendezvous, tested separately.)
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, type AppJson } from '../support/build.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import {
  appContainers,
  settledContainers,
  currentRelease,
  deploy,
  dynos,
  getFromDyno,
  logMark,
  readLog,
  reportDeadDaemon,
  SHORT_TIMINGS,
  waitForDynos,
  waitForLines,
  waitForRelease,
} from '../dynos/helpers.js';

let daemon: TestDaemon;
let guard: EgressGuard;
let env: CliEnv;
let app: AppJson;
let email: string;

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env);
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

function all(result: HerokuResult): string {
  return `${result.stdout}\n${result.stderr}`;
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  email = (await api<{ email: string }>(daemon, 'GET', '/account')).email;
  app = await createApp(daemon, 'cli');
  await deploy(daemon, app.name, fixture('lifecycle'));
  await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('heroku CLI: dynos and releases', () => {
  it('ps lists the formation grouped by command', async () => {
    const result = await heroku(['ps', '-a', app.name]);
    expectCode(result, 0);
    expect(result.stdout).toContain('=== web (Basic): python3 web.py (1)');
    expect(result.stdout).toMatch(/^web\.1: up \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d/m);
  });

  it('ps:scale with no arguments, then ps:scale web=2 worker+1', async () => {
    const show = await heroku(['ps:scale', '-a', app.name]);
    expectCode(show, 0);
    expect(show.stdout).toContain('web=1:Basic');
    expect(show.stdout).toContain('worker=0:Basic');
    const mark = logMark(daemon, app.id);
    const result = await heroku(['ps:scale', 'web=2', 'worker+1', '-a', app.name]);
    expectCode(result, 0);
    expect(all(result)).toMatch(/done, now running web at 2:Basic, worker at 1:Basic/);
    await waitForDynos(daemon, app.name, ['web.1', 'web.2', 'worker.1'], 'up', { exact: true });
    await waitForLines(daemon, app.id, [`app[api]: Scaled to web@2:Basic crasher@0:Basic hog@0:Basic stubborn@0:Basic worker@1:Basic by user ${email}`], {
      afterSeq: mark,
    });
    const ps = await heroku(['ps', '-a', app.name]);
    expect(ps.stdout).toContain('=== web (Basic): python3 web.py (2)');
    expect(ps.stdout).toContain('=== worker (Basic): python3 worker.py (1)');
    expect(ps.stdout).toMatch(/^web\.2: up /m);
    expect(ps.stdout).toMatch(/^worker\.1: up /m);
  });

  it('config:set restarts every dyno onto the new release, after its release phase', async () => {
    const mark = logMark(daemon, app.id);
    const result = await heroku(['config:set', 'GREETING=from-cli', '-a', app.name]);
    expectCode(result, 0);
    expect(all(result)).toMatch(/Setting GREETING and restarting (?:⬢ )?cli-[\w-]+\.\.\. done, v4/);
    expect(result.stdout).toContain('GREETING: from-cli');
    await waitForLines(
      daemon,
      app.id,
      [
        `app[api]: Set GREETING config vars by user ${email}`,
        `app[api]: Running release v4 commands by user ${email}`,
        `app[api]: Release v4 created by user ${email}`,
        'heroku[web.1]: Restarting',
        /^app\[web\.1\]: web\.py boot DYNO=web\.1 GREETING=from-cli /,
      ],
      { afterSeq: mark },
    );
    await waitForLines(daemon, app.id, ['heroku[web.2]: Restarting', 'heroku[worker.1]: Restarting'], { afterSeq: mark });
    await waitForDynos(daemon, app.name, ['web.1', 'web.2', 'worker.1'], 'up', { exact: true });
    expect(await getFromDyno(app.id, 'web.2')).toMatch(/^DYNO=web\.2 GREETING=from-cli /);
  });

  it('releases:output prints the release phase output of the current release', async () => {
    const result = await heroku(['releases:output', '-a', app.name]);
    expectCode(result, 0);
    expect(result.stdout).toMatch(/release\.py ran for release\.\d{4} GREETING=from-cli/);
    expect(result.stdout).toContain('release.py: done');
    const v3 = await heroku(['releases:output', 'v3', '-a', app.name]);
    expectCode(v3, 0);
    expect(v3.stdout).toMatch(/release\.py ran for release\.\d{4} GREETING=\(unset\)/);
  });

  it('rollback goes back to the previous eligible release: its config, its release phase, a restart', async () => {
    const mark = logMark(daemon, app.id);
    const result = await heroku(['rollback', '-a', app.name]);
    expectCode(result, 0);
    expect(all(result)).toMatch(/Rolling back (?:⬢ )?cli-[\w-]+ to v3\.\.\. done, v5/);
    expect(all(result)).toMatch(/Rollback affects code and config vars; it doesn't add or remove\s+(› +)?addons\./);
    expect(all(result)).toContain('To undo, run: heroku rollback v4');
    // The CLI streams the release command's output.
    expect(all(result)).toContain('Running release command...');
    expect(all(result)).toMatch(/release\.py ran for release\.\d{4} GREETING=\(unset\)/);
    const release = await currentRelease(daemon, app.name).catch(() => undefined);
    const v5 = release?.version === 5 ? release : await waitForRelease(daemon, app.name, '5');
    expect(v5).toMatchObject({ version: 5, description: 'Rollback to v3', status: 'succeeded', current: true });
    await waitForLines(
      daemon,
      app.id,
      [`app[api]: Rollback to v3 by user ${email}`, `app[api]: Release v5 created by user ${email}`, /^app\[web\.1\]: web\.py boot DYNO=web\.1 GREETING=\(unset\) /],
      { afterSeq: mark },
    );
    const config = await heroku(['config', '-a', app.name]);
    expect(config.stdout).not.toContain('GREETING');
  });

  it('ps:restart (all, one type, one dyno)', async () => {
    await waitForDynos(daemon, app.name, ['web.1', 'web.2', 'worker.1'], 'up', { exact: true });
    let mark = logMark(daemon, app.id);
    const everything = await heroku(['ps:restart', '-a', app.name]);
    expectCode(everything, 0);
    expect(all(everything)).toMatch(/Restarting all dynos on (?:⬢ )?cli-[\w-]+\.\.\. done/);
    for (const name of ['web.1', 'web.2', 'worker.1']) {
      await waitForLines(daemon, app.id, [`heroku[${name}]: Restarting`, `heroku[${name}]: State changed from starting to up`], { afterSeq: mark });
    }
    mark = logMark(daemon, app.id);
    const web = await heroku(['ps:restart', '-p', 'web', '-a', app.name]);
    expectCode(web, 0);
    await waitForLines(daemon, app.id, ['heroku[web.1]: Restarting', 'heroku[web.1]: State changed from starting to up'], { afterSeq: mark });
    await waitForLines(daemon, app.id, ['heroku[web.2]: Restarting', 'heroku[web.2]: State changed from starting to up'], { afterSeq: mark });
    expect(readLog(daemon, app.id, mark).lines.some((l) => l.startsWith('heroku[worker.1]'))).toBe(false);
    mark = logMark(daemon, app.id);
    const one = await heroku(['ps:restart', '-d', 'web.2', '-a', app.name]);
    expectCode(one, 0);
    await waitForLines(daemon, app.id, ['heroku[web.2]: Restarting', 'heroku[web.2]: State changed from starting to up'], { afterSeq: mark });
    expect(readLog(daemon, app.id, mark).lines.some((l) => /^heroku\[(web\.1|worker\.1)\]/.test(l))).toBe(false);
    // The deprecated argument form sends the type where a dyno name goes (DELETE /apps/{app}/dynos/web): all web dynos.
    mark = logMark(daemon, app.id);
    const typed = await heroku(['ps:restart', 'web', '-a', app.name]);
    expectCode(typed, 0);
    await waitForLines(daemon, app.id, ['heroku[web.1]: Restarting', 'heroku[web.1]: State changed from starting to up'], { afterSeq: mark });
    await waitForLines(daemon, app.id, ['heroku[web.2]: Restarting', 'heroku[web.2]: State changed from starting to up'], { afterSeq: mark });
    expect(readLog(daemon, app.id, mark).lines.some((l) => l.startsWith('heroku[worker.1]'))).toBe(false);
  });

  it('ps:stop web.1: it stops, and the dyno manager starts it again (Common Runtime)', async () => {
    await waitForDynos(daemon, app.name, ['web.1', 'web.2', 'worker.1'], 'up', { exact: true });
    const before = await settledContainers(app.id, 'web.1');
    const mark = logMark(daemon, app.id);
    const result = await heroku(['ps:stop', 'web.1', '-a', app.name]);
    expectCode(result, 0);
    expect(all(result)).toMatch(/Stopping (dyno )?web\.1.*\.\.\. done/);
    await waitForLines(
      daemon,
      app.id,
      ['heroku[web.1]: Stopping all processes with SIGTERM', 'heroku[web.1]: Process exited with status 143', 'heroku[web.1]: State changed from starting to up'],
      { afterSeq: mark },
    );
    const after = await settledContainers(app.id, 'web.1');
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });

  it('run:detached "echo hi": output in the log as app[run.N], then complete', async () => {
    const mark = logMark(daemon, app.id);
    const result = await heroku(['run:detached', 'echo hi', '-a', app.name]);
    expectCode(result, 0);
    const name = /run\.\d{4}/.exec(all(result))?.[0];
    expect(name, all(result)).toBeDefined();
    expect(all(result)).toMatch(/Running echo hi on (?:⬢ )?cli-[\w-]+\.\.\. done, run\.\d{4}/);
    expect(all(result)).toContain(`Run heroku logs --app ${app.name} --dyno ${name} to view the output.`);
    await waitForLines(
      daemon,
      app.id,
      [
        `app[api]: Starting process with command \`echo hi\` by user ${email}`,
        `heroku[${name}]: Starting process with command \`echo hi\``,
        `heroku[${name}]: State changed from starting to up`,
        `app[${name}]: hi`,
        `heroku[${name}]: Process exited with status 0`,
        `heroku[${name}]: State changed from up to complete`,
      ],
      { afterSeq: mark },
    );
    const logs = await heroku(['logs', '--dyno', name ?? '', '-a', app.name]);
    expectCode(logs, 0);
    expect(logs.stdout).toContain(`app[${name}]: hi`);
    expect((await dynos(daemon, app.name)).some((d) => d.name === name)).toBe(false);
  });

  it('ps:scale web=0 worker=0 stops everything', async () => {
    const result = await heroku(['ps:scale', 'web=0', 'worker=0', '-a', app.name]);
    expectCode(result, 0);
    expect(await dynos(daemon, app.name)).toEqual([]);
    expect(await appContainers(app.id)).toEqual([]);
    const ps = await heroku(['ps', '-a', app.name]);
    expectCode(ps, 0);
    expect(all(ps)).toMatch(/No dynos on (?:⬢ )?cli-/);
  });

  it('releases:retry runs the release phase again on a new release of the same slug; release cannot be scaled', async () => {
    const formation = await api<Array<{ type: string; quantity: number }>>(daemon, 'GET', `/apps/${app.name}/formation`);
    expect(formation.find((f) => f.type === 'release')).toMatchObject({ quantity: 0 });
    const before = await currentRelease(daemon, app.name);
    const result = await heroku(['releases:retry', '-a', app.name]);
    expectCode(result, 0);
    expect(all(result)).toMatch(new RegExp(`Retrying v${before.version} on (?:⬢ )?${app.name}\\.\\.\\. done, v${before.version + 1}`));
    expect(all(result)).toContain('Running release command...');
    expect(all(result)).toContain('release.py: done');
    const retried = await waitForRelease(daemon, app.name, String(before.version + 1));
    expect(retried).toMatchObject({ status: 'succeeded', current: true, description: `Retry of v${before.version}: ${before.description}` });
    const scale = await heroku(['ps:scale', 'release=1', '-a', app.name]);
    expect(scale.code).not.toBe(0);
    expect(all(scale)).toContain('Cannot scale the release process type');
  });

  it('no connection left the machine', () => {
    expect(guard.attempts()).toBe('');
  });
});
