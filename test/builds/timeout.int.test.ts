// Build timeout (issue 3): a compile that runs past BERTH_BUILD_TIMEOUT is killed, the build fails with a line that
// says so, its container is gone, and the app's queue is free for the next build.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppJson, buildDirectory, classicBuildpack, createApp, fixture, outputLines } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { appContainers } from '../dynos/helpers.js';

let daemon: TestDaemon;
let app: AppJson;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { BERTH_BUILD_TIMEOUT: '4' } });
  app = await createApp(daemon, 'tmo');
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('build timeout', () => {
  it('kills a compile that runs past the limit and fails the build with a line that says so', async () => {
    const root = mkdtempSync(join(daemon.rootDir, 'bp-'));
    const sleepy = classicBuildpack(root, 'Sleepy', 'echo "-----> Compiling forever"\nsleep 600');
    const run = await buildDirectory(daemon, app.name, fixture('python-stdlib'), { buildpacks: [{ url: sleepy }] });
    expect(run.build.status).toBe('failed');
    const lines = outputLines(run.output);
    expect(lines).toContain('-----> Compiling forever');
    expect(lines, run.output).toContain(' !     Timed out compiling Sleepy app (4 seconds)');
    expect(lines).toContain(' !     Push failed');
    expect(await appContainers(app.id)).toEqual([]);

    // The queue is free: the next build runs and succeeds. Its compile is instant, so the 4 s limit cannot catch it
    // on a loaded machine (a real buildpack's compile can take longer than that).
    const quick = classicBuildpack(root, 'Quick', 'echo "-----> Compiled at once"');
    const next = await buildDirectory(daemon, app.name, fixture('python-stdlib'), { buildpacks: [{ url: quick }] });
    expect(next.build.status, next.output).toBe('succeeded');
    expect(outputLines(next.output)).toContain('-----> Compiled at once');
  });
});
