// The release phase and rollback on the real engine (reference heroku-runtime-behaviour.md §1.10, §4): a `release`
// process runs in a release.N dyno for each new release; success makes the release current and restarts the
// formation, failure leaves the previous release running; POST /releases {release} rolls slug and config back,
// {slug} releases a slug; a daemon killed during a release phase fails that release on start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, ApiError, createApp, fixture, readOutput, waitFor, type AppJson } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import {
  appContainers,
  settledContainers,
  currentRelease,
  deploy,
  dynos,
  fixtureCopy,
  getFromDyno,
  logMark,
  readLog,
  releases,
  reportDeadDaemon,
  SHORT_TIMINGS,
  waitForDynos,
  waitForLines,
  waitForRelease,
  type FullReleaseJson,
} from '../dynos/helpers.js';

let daemon: TestDaemon;
let app: AppJson;
let email: string;
let first: FullReleaseJson;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  email = (await api<{ email: string }>(daemon, 'GET', '/account')).email;
  app = await createApp(daemon, 'rel');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  if (daemon && app) await api(daemon, 'DELETE', `/apps/${app.name}`).catch(() => undefined);
  await daemon?.dispose();
});

function setConfig(vars: Record<string, string | null>): Promise<unknown> {
  return api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, vars);
}

const RELEASE_DYNO = /^heroku\[(release\.\d{4})\]: Starting process with command `python3 release\.py`$/;

describe('release phase', () => {
  it('success: Running release vN commands, release.N lines, complete, Release vN created, then the formation starts', async () => {
    await deploy(daemon, app.name, fixture('lifecycle'));
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    const { lines } = await waitForLines(daemon, app.id, [
      /^app\[api\]: Deploy [0-9a-f]{8} by user /,
      `app[api]: Running release v3 commands by user ${email}`,
      RELEASE_DYNO,
      /^heroku\[release\.\d{4}\]: State changed from starting to up$/,
      /^app\[release\.\d{4}\]: release\.py ran for release\.\d{4} GREETING=\(unset\)$/,
      /^heroku\[release\.\d{4}\]: Process exited with status 0$/,
      /^heroku\[release\.\d{4}\]: State changed from up to complete$/,
      `app[api]: Release v3 created by user ${email}`,
      'heroku[web.1]: Starting process with command `python3 web.py`',
      'heroku[web.1]: State changed from starting to up',
    ]);
    // One release dyno, with the same name throughout, and DYNO set to it.
    const name = lines.map((l) => RELEASE_DYNO.exec(l)?.[1]).find((n) => n !== undefined) ?? '';
    expect(lines.filter((l) => l.startsWith('heroku[release.')).every((l) => l.startsWith(`heroku[${name}]`))).toBe(true);
    expect(lines).toContain(`app[${name}]: release.py ran for ${name} GREETING=(unset)`);
    // Nothing of the formation starts before the release is created.
    const created = lines.indexOf(`app[api]: Release v3 created by user ${email}`);
    expect(lines.findIndex((l) => l.startsWith('heroku[web.1]'))).toBeGreaterThan(created);
    first = await currentRelease(daemon, app.name);
    expect(first).toMatchObject({ version: 3, status: 'succeeded', current: true, eligible_for_rollback: true });
    expect(first.output_stream_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/streams\/releases\//);
    const output = await readOutput(first.output_stream_url ?? '');
    expect(output).toContain(`release.py ran for ${name} GREETING=(unset)`);
    expect(output).toContain('release.py: done');
    // A finished release dyno is not a dyno any more, and its container is gone.
    expect((await dynos(daemon, app.name)).map((d) => d.name)).toEqual(['web.1']);
    expect(await appContainers(app.id, name)).toEqual([]);
  });

  it('a config change runs the phase too: the release is pending while it runs, then current, then the restart', async () => {
    const mark = logMark(daemon, app.id);
    await setConfig({ GREETING: 'two', RELEASE_SLEEP_SECONDS: '3' });
    const pending = (await releases(daemon, app.name)).at(-1) as FullReleaseJson;
    expect(pending).toMatchObject({ version: 4, status: 'pending', current: false, description: 'Set GREETING, RELEASE_SLEEP_SECONDS config vars' });
    // The live stream follows the phase to its end.
    const live = await readOutput(pending.output_stream_url ?? '');
    expect(live).toMatch(/release\.py ran for release\.\d{4} GREETING=two\n/);
    expect(live).toContain('release.py: done');
    const done = await waitForRelease(daemon, app.name, pending.id);
    expect(done).toMatchObject({ status: 'succeeded', current: true });
    await waitForLines(
      daemon,
      app.id,
      [
        `app[api]: Set GREETING, RELEASE_SLEEP_SECONDS config vars by user ${email}`,
        `app[api]: Running release v4 commands by user ${email}`,
        /^app\[release\.\d{4}\]: release\.py ran for release\.\d{4} GREETING=two$/,
        `app[api]: Release v4 created by user ${email}`,
        'heroku[web.1]: Restarting',
        /^app\[web\.1\]: web\.py boot DYNO=web\.1 GREETING=two MARKER=\(none\) /,
        'heroku[web.1]: State changed from starting to up',
      ],
      { afterSeq: mark },
    );
  });

  it('output_stream_url read before the phase started (queued behind another phase) follows the phase to its end', async () => {
    await setConfig({ RELEASE_SLEEP_SECONDS: '4' });
    const running = (await releases(daemon, app.name)).at(-1) as FullReleaseJson;
    await setConfig({ GREETING: 'queued' });
    const queued = (await releases(daemon, app.name)).at(-1) as FullReleaseJson;
    expect(queued.version).toBe(running.version + 1);
    expect(queued.status).toBe('pending');
    // Read at once: the phase of `queued` has not started yet (the first one sleeps 4 s in the app's queue).
    const output = await readOutput(queued.output_stream_url ?? '');
    expect(output).toMatch(/release\.py ran for release\.\d{4} GREETING=queued\n/);
    expect(output).toContain('release.py: done');
    expect((await waitForRelease(daemon, app.name, queued.id)).status).toBe('succeeded');
    expect((await waitForRelease(daemon, app.name, running.id)).status).toBe('succeeded');
    await setConfig({ GREETING: 'two', RELEASE_SLEEP_SECONDS: null });
    await waitForLines(daemon, app.id, [/^app\[web\.1\]: web\.py boot DYNO=web\.1 GREETING=two MARKER=\(none\) /], { afterSeq: logMark(daemon, app.id) });
  });

  it('failure: Release vN command failed, status failed, and the previous release keeps running (no restart)', async () => {
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    // The restart of the test before may still be removing web.1's old container.
    const before = await settledContainers(app.id, 'web.1');
    const previous = await currentRelease(daemon, app.name);
    const mark = logMark(daemon, app.id);
    await setConfig({ RELEASE_SHOULD_FAIL: '1', RELEASE_SLEEP_SECONDS: null });
    const pending = (await releases(daemon, app.name)).at(-1) as FullReleaseJson;
    expect(pending.version).toBe(previous.version + 1);
    const failed = await waitForRelease(daemon, app.name, pending.id);
    expect(failed).toMatchObject({ status: 'failed', current: false, eligible_for_rollback: false });
    await waitForLines(
      daemon,
      app.id,
      [
        `app[api]: Running release v${failed.version} commands by user ${email}`,
        /^app\[release\.\d{4}\]: release\.py: failing on purpose \(RELEASE_SHOULD_FAIL=1\)$/,
        /^heroku\[release\.\d{4}\]: Process exited with status 1$/,
        /^heroku\[release\.\d{4}\]: State changed from up to complete$/,
        `app[api]: Release v${failed.version} command failed by user ${email}`,
      ],
      { afterSeq: mark },
    );
    expect(await readOutput(failed.output_stream_url ?? '')).toContain('failing on purpose');
    // The formation was not touched: same container, no dyno-manager line, still on the previous release.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const lines = readLog(daemon, app.id, mark).lines;
    expect(lines.filter((l) => l.startsWith('heroku[web.'))).toEqual([]);
    expect(lines.some((l) => /Release v\d+ created/.test(l))).toBe(false);
    expect(await appContainers(app.id, 'web.1')).toEqual(before);
    expect((await currentRelease(daemon, app.name)).id).toBe(previous.id);
    expect((await dynos(daemon, app.name)).map((d) => [d.name, d.state, d.release.version])).toEqual([['web.1', 'up', previous.version]]);
    // A failed release is not a rollback target.
    const refused = await api(daemon, 'POST', `/apps/${app.name}/releases`, { release: failed.id }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(422);
    // Fixing the config releases again, and this time the formation restarts.
    const fixMark = logMark(daemon, app.id);
    await setConfig({ RELEASE_SHOULD_FAIL: null });
    await waitForLines(daemon, app.id, [/^app\[api\]: Release v\d+ created by user /, 'heroku[web.1]: Restarting', 'heroku[web.1]: State changed from starting to up'], {
      afterSeq: fixMark,
    });
  });

  it('rollback restores the slug and the config of the target release (Rollback to vN), through its own release phase', async () => {
    // A second slug (a marker file) and more config on top of the first release.
    await deploy(daemon, app.name, await fixtureCopy(daemon, 'lifecycle', { 'marker.txt': 'second-slug\n' }));
    await setConfig({ GREETING: 'three' });
    await waitForLines(daemon, app.id, [/^app\[web\.1\]: web\.py boot DYNO=web\.1 GREETING=three MARKER=second-slug /]);
    const latest = await currentRelease(daemon, app.name);
    expect(latest.slug?.id).not.toBe(first.slug?.id);
    const mark = logMark(daemon, app.id);
    const rollback = await api<FullReleaseJson>(daemon, 'POST', `/apps/${app.name}/releases`, { release: first.id });
    expect(rollback).toMatchObject({ description: `Rollback to v${first.version}`, version: latest.version + 1, status: 'pending' });
    expect(rollback.slug?.id).toBe(first.slug?.id);
    const done = await waitForRelease(daemon, app.name, rollback.id);
    expect(done).toMatchObject({ status: 'succeeded', current: true });
    await waitForLines(
      daemon,
      app.id,
      [
        `app[api]: Rollback to v${first.version} by user ${email}`,
        `app[api]: Running release v${rollback.version} commands by user ${email}`,
        /^app\[release\.\d{4}\]: release\.py ran for release\.\d{4} GREETING=\(unset\)$/,
        `app[api]: Release v${rollback.version} created by user ${email}`,
        'heroku[web.1]: Restarting',
        /^app\[web\.1\]: web\.py boot DYNO=web\.1 GREETING=\(unset\) MARKER=\(none\) /,
        'heroku[web.1]: State changed from starting to up',
      ],
      { afterSeq: mark },
    );
    // The app's config is the target's again, and so is the code the dyno runs.
    expect(await api(daemon, 'GET', `/apps/${app.name}/config-vars`)).toEqual(await api(daemon, 'GET', `/apps/${app.name}/releases/${first.id}/config-vars`));
    expect(await getFromDyno(app.id, 'web.1')).toMatch(/^DYNO=web\.1 GREETING=\(unset\) MARKER=\(none\) /);
    expect((await dynos(daemon, app.name)).find((d) => d.name === 'web.1')?.release.version).toBe(rollback.version);
  });

  it('POST /releases {slug} releases that slug with the current config', async () => {
    const withMarker = (await releases(daemon, app.name)).filter((r) => r.status === 'succeeded' && r.slug && r.slug.id !== first.slug?.id).at(-1);
    expect(withMarker).toBeDefined();
    const made = await api<FullReleaseJson>(daemon, 'POST', `/apps/${app.name}/releases`, { slug: withMarker?.slug?.id, description: 'Back to the marker' });
    expect(made).toMatchObject({ description: 'Back to the marker', status: 'pending' });
    expect((await waitForRelease(daemon, app.name, made.id)).status).toBe('succeeded');
    await waitForLines(daemon, app.id, [/^app\[web\.1\]: web\.py boot DYNO=web\.1 GREETING=\(unset\) MARKER=second-slug /]);
  });

  it('a daemon killed during a release phase: on start the release is failed and its container gone', async () => {
    const mark = logMark(daemon, app.id);
    await setConfig({ RELEASE_SLEEP_SECONDS: '120' });
    const pending = (await releases(daemon, app.name)).at(-1) as FullReleaseJson;
    expect(pending.status).toBe('pending');
    const { lines } = await waitForLines(daemon, app.id, [/^app\[release\.\d{4}\]: release\.py ran for /], { afterSeq: mark });
    const name = lines.map((l) => /^app\[(release\.\d{4})\]/.exec(l)?.[1]).find((n) => n !== undefined) ?? '';
    expect(await appContainers(app.id, name)).toHaveLength(1);
    await daemon.stop('SIGKILL');
    await daemon.restart();
    const after = await api<FullReleaseJson>(daemon, 'GET', `/apps/${app.name}/releases/${pending.id}`);
    expect(after).toMatchObject({ status: 'failed', current: false });
    await waitFor('the release container to be removed', async () => (await appContainers(app.id, name)).length === 0, 30_000);
    await waitForLines(daemon, app.id, [`app[api]: Release v${pending.version} command failed by user ${email}`], { afterSeq: mark });
    // The formation was adopted, not restarted onto the failed release.
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    expect((await dynos(daemon, app.name))[0]?.release.version).toBeLessThan(pending.version);
  });
});
