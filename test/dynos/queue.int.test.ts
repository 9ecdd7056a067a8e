// The formation is not queued behind a build: `ps:scale` during a build takes effect while the build still runs
// (Heroku scales at once; a build and its release phase can take minutes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, createBuild, finishedBuild, tarDirectory, uploadSource, type AppJson, type BuildJson } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { deploy, fixtureCopy, reportDeadDaemon, scale, SHORT_TIMINGS, waitForDynos } from './helpers.js';

let daemon: TestDaemon;
let app: AppJson;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  app = await createApp(daemon, 'queue');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('formation changes and builds', () => {
  it('ps:scale during a build (with a slow release phase) answers and runs the dyno before the build is done', async () => {
    const dir = await fixtureCopy(daemon, 'lifecycle');
    await deploy(daemon, app.name, dir);
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    // The next build's release phase sleeps, so the build holds the app's queue for a while.
    await api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, { RELEASE_SLEEP_SECONDS: '20' });
    const url = await uploadSource(daemon, await tarDirectory(await fixtureCopy(daemon, 'lifecycle', { 'marker.txt': 'two\n' })));
    const build = await createBuild(daemon, app.name, url);
    await scale(daemon, app.name, [{ type: 'worker', quantity: 1 }]);
    const during = await api<BuildJson>(daemon, 'GET', `/apps/${app.name}/builds/${build.id}`);
    const releases = await api<Array<{ status: string }>>(daemon, 'GET', `/apps/${app.name}/releases`);
    expect(during.status === 'pending' || releases.some((r) => r.status === 'pending')).toBe(true);
    await waitForDynos(daemon, app.name, ['worker.1'], 'up');
    await finishedBuild(daemon, app.name, build.id);
  });
});
