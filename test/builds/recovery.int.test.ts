// A daemon killed (SIGKILL) in the middle of a build: on restart the build is failed and says why, its container
// is gone, and the app's queue is free for the next build.
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import {
  api,
  containersWithLabels,
  createApp,
  createBuild,
  docker,
  expectLinesInOrder,
  finishedBuild,
  outputLines,
  readOutput,
  runBuild,
  tarDirectory,
  uploadSource,
  waitFor,
  type BuildJson,
  type ReleaseJson,
} from '../support/build.js';

let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await startTestDaemon();
});

afterAll(async () => {
  await daemon?.dispose();
});

async function writeTree(dir: string, files: Readonly<Record<string, string>>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, content);
    if (content.startsWith('#!')) await chmod(file, 0o755);
  }
  return dir;
}

it('SIGKILL mid-build: after restart the build is failed, its container gone, and a new build succeeds', async () => {
  const scratch = await mkdtemp(join(daemon.rootDir, 'recovery-'));
  const buildpack = await writeTree(join(scratch, 'buildpack'), {
    'bin/detect': '#!/usr/bin/env bash\necho Custom\n',
    'bin/compile': '#!/usr/bin/env bash\necho "-----> Custom compile started"\nif [ -f "$1/sleep" ]; then sleep "$(cat "$1/sleep")"; fi\necho "-----> Custom compile done"\n',
  });
  const slowSource = await writeTree(join(scratch, 'slow'), { sleep: '300\n', 'Procfile': 'web: sleep infinity\n' });
  const fastSource = await writeTree(join(scratch, 'fast'), { 'Procfile': 'web: sleep infinity\n' });

  const app = await createApp(daemon, 'killed');
  const url = await uploadSource(daemon, await tarDirectory(slowSource));
  const build = await createBuild(daemon, app.name, url, { buildpacks: [{ url: buildpack }] });

  // Wait until the buildpack's compile is running inside the build container (seen from the engine, not the
  // output stream, so this test does not depend on when the stream is first read).
  let containers: string[] = [];
  await waitFor(
    'the buildpack to be compiling in the build container',
    async () => {
      containers = await containersWithLabels({ 'berth.app': app.id, 'berth.role': 'build' });
      if (containers.length !== 1) return false;
      const top = await docker(['top', containers[0] ?? '']).catch(() => '');
      return top.includes('sleep 300');
    },
    120_000,
  ).catch(async (error: unknown) => {
    const now = await api<BuildJson>(daemon, 'GET', `/apps/${app.name}/builds/${build.id}`);
    const output = now.status === 'pending' ? '(still running)' : await readOutput(now.output_stream_url);
    throw new Error(`${(error as Error).message}; build ${now.status}, containers ${JSON.stringify(containers)}:\n${output}`);
  });

  const stopped = await daemon.stop('SIGKILL');
  expect(stopped.signal).toBe('SIGKILL');
  // The daemon is gone; its build container is not (nothing removed it yet).
  expect(await containersWithLabels({ 'berth.app': app.id, 'berth.role': 'build' })).toEqual(containers);

  await daemon.restart();

  const after = await api<BuildJson>(daemon, 'GET', `/apps/${app.name}/builds/${build.id}`);
  expect(after.status).toBe('failed');
  expect(after.release).toBeNull();
  expect(after.slug).toBeNull();
  await waitFor('the killed build\'s container to be removed', async () => (await containersWithLabels({ 'berth.app': app.id, 'berth.role': 'build' })).length === 0, 60_000);

  // Its output keeps what was printed and says why it ended.
  const replay = outputLines(await readOutput(after.output_stream_url));
  expectLinesInOrder(replay, [
    '-----> Building on the Heroku-24 stack',
    '-----> Custom compile started',
    ' !     The Berth daemon stopped during this build; it did not finish.',
    ' !     Push failed',
  ]);
  expect(replay).not.toContain('-----> Custom compile done');

  // The app's queue is free: a new build starts at once (no "Waiting") and succeeds.
  const next = await runBuild(daemon, app.name, await uploadSource(daemon, await tarDirectory(fastSource)), { buildpacks: [{ url: buildpack }] });
  if (next.build.status !== 'succeeded') throw new Error(`build ${next.build.status}:\n${next.output}`);
  expect(next.output).not.toContain('Waiting for another build');
  expect(next.lines).toContain('       Released v3');
  const releases = await api<ReleaseJson[]>(daemon, 'GET', `/apps/${app.name}/releases`);
  expect(releases.map((r) => r.version)).toEqual([1, 2, 3]);
  expect((await finishedBuild(daemon, app.name, next.build.id)).status).toBe('succeeded');
  // Its build container goes too (removed while the new release boots).
  await waitFor('the new build\'s container to be removed', async () => (await containersWithLabels({ 'berth.app': app.id, 'berth.role': 'build' })).length === 0, 60_000);
});
