// Issue 12 item 11: `DELETE /apps/{app}/builds/{id}` (`heroku builds:cancel`). A running build's container is
// stopped, the build fails with a line saying it was cancelled and the app's queue moves on; a build still waiting
// for its turn fails at once; a finished build cannot be cancelled (Heroku's error shape).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, ApiError, type AppJson, type BuildJson, classicBuildpack, createApp, createBuild, fixture, outputLines, readOutput, tarDirectory, uploadSource, waitFor } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { appContainers } from '../dynos/helpers.js';

let daemon: TestDaemon;
let app: AppJson;
let email: string;

/** Follows an output stream: `text()` is what arrived so far, `all` the whole of it once the build ends. */
function follow(url: string): { text: () => string; all: Promise<string> } {
  let text = '';
  const all = (async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(600_000) });
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    return text;
  })();
  return { text: () => text, all };
}

beforeAll(async () => {
  daemon = await startTestDaemon();
  app = await createApp(daemon, 'cxl');
  email = (await api<{ email: string }>(daemon, 'GET', '/account')).email;
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('builds:cancel', () => {
  it('cancels a running build and the one queued behind it; the queue is free; a finished build is refused', async () => {
    const root = mkdtempSync(join(daemon.rootDir, 'bp-'));
    const sleepy = classicBuildpack(root, 'Sleepy', 'echo "-----> Compiling forever"\nsleep 600');
    const quick = classicBuildpack(root, 'Quick', 'echo "-----> Compiled at once"');
    const source = await uploadSource(daemon, await tarDirectory(fixture('python-stdlib')));

    const running = await createBuild(daemon, app.name, source, { buildpacks: [{ url: sleepy }] });
    const runningOutput = follow(running.output_stream_url);
    const queued = await createBuild(daemon, app.name, source, { buildpacks: [{ url: quick }] });
    const queuedOutput = readOutput(queued.output_stream_url);
    await waitFor('the sleepy compile to start', () => runningOutput.text().includes('-----> Compiling forever'), 300_000);

    // The queued one first: it fails at once, without waiting for the running build's turn to end.
    const cancelledQueued = await api<BuildJson>(daemon, 'DELETE', `/apps/${app.name}/builds/${queued.id}`);
    expect(cancelledQueued).toMatchObject({ id: queued.id, status: 'failed' });
    expect(outputLines(await queuedOutput)).toEqual(expect.arrayContaining([` !     Build cancelled by user ${email}.`, ' !     Push failed']));
    expect((await api<BuildJson>(daemon, 'GET', `/apps/${app.name}/builds/${running.id}`)).status).toBe('pending');

    const cancelled = await api<BuildJson>(daemon, 'DELETE', `/apps/${app.name}/builds/${running.id}`);
    expect(cancelled).toMatchObject({ id: running.id, status: 'failed', release: null, slug: null });
    const lines = outputLines(await runningOutput.all);
    expect(lines).toContain('-----> Compiling forever');
    const at = lines.indexOf(` !     Build cancelled by user ${email}.`);
    expect(at, lines.join('\n')).toBeGreaterThan(lines.indexOf('-----> Compiling forever'));
    expect(lines.slice(at)).toContain(' !     Push failed');
    expect(await appContainers(app.id)).toEqual([]);

    // The queue is free: the next build runs at once and succeeds.
    const next = await createBuild(daemon, app.name, source, { buildpacks: [{ url: quick }] });
    await readOutput(next.output_stream_url);
    const done = await api<BuildJson>(daemon, 'GET', `/apps/${app.name}/builds/${next.id}`);
    expect(done.status).toBe('succeeded');

    // Finished builds (succeeded or failed) cannot be cancelled.
    for (const [id, status] of [
      [next.id, 'succeeded'],
      [running.id, 'failed'],
    ] as const) {
      const refused = await api(daemon, 'DELETE', `/apps/${app.name}/builds/${id}`).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).status).toBe(422);
      expect(JSON.parse((refused as ApiError).body)).toEqual({
        id: 'invalid_params',
        message: `Build ${id} has already ${status}: only a pending build can be cancelled.`,
      });
    }
  });
});
