// Preboot on the memory engine: a new release's web dyno starts beside the old one, which keeps the router's traffic
// until the new one is up and the overlap has passed; only then does the old one get SIGTERM.
import { afterEach, describe, expect, it } from 'vitest';
import { world, type World } from './world.js';

let w: World | undefined;
afterEach(async () => {
  const done = w;
  w = undefined;
  await done?.close();
  expect(done?.eventErrors ?? []).toEqual([]);
});

const PROCFILE = { web: 'node web.js' };
const UP = 'State changed from starting to up';

function routedPorts(w: World): (number | null)[] {
  return (w.manager.current().byHost.get(`${w.app.name}.localhost`)?.dynos ?? []).map((d) => d.port);
}

describe('preboot', () => {
  it('starts the new web dyno first; the old one serves until the new one is up, then gets SIGTERM', async () => {
    let prebootOn = true;
    w = await world({ preboot: { enabled: () => prebootOn, overlapSeconds: 1 } });
    const current = w;
    current.engine.script(/node web\.js/, async (p) => {
      await p.listen();
      await p.forever();
    });
    await current.release(PROCFILE);
    await current.waitForLines('web.1', [UP]);
    const [first] = current.manager.dynos(current.app);
    const from = current.lines('web.1').length;

    // Announced without waiting for the listeners (world.release would wait until the whole preboot is through).
    const v2 = await current.release(PROCFILE, { GREETING: 'v2' }, { announce: false });
    current.events.emit('release.current', { appId: current.app.id, appName: current.app.name, releaseId: v2.id, version: v2.version });
    // The new dyno came up while the old one still runs and still has the router's traffic.
    await current.waitForLines('web.1', ['Starting process with command `node web.js`', UP], from);
    expect(await current.containers('web.1')).toHaveLength(2);
    expect(routedPorts(current)).toEqual([first?.port]);
    expect(current.manager.dynos(current.app).map((d) => d.releaseVersion)).toEqual([1]);

    const lines = await current.waitForLines('web.1', [UP, 'Stopping all processes with SIGTERM', 'Process exited with status 143'], from);
    expect(lines).not.toContain('Restarting');
    await expect.poll(() => current.containers('web.1').then((c) => c.length)).toBe(1);
    const [next] = current.manager.dynos(current.app);
    expect(next).toMatchObject({ name: 'web.1', state: 'up', releaseVersion: 2 });
    expect(next?.id).not.toBe(first?.id);
    expect(routedPorts(current)).toEqual([next?.port]);
    expect(current.engine.process({ dyno: 'web.1' })?.env['GREETING']).toBe('v2');

    // Off again: the next release restarts in place, as without the feature.
    prebootOn = false;
    const before = current.lines('web.1').length;
    await current.release(PROCFILE, { GREETING: 'v3' });
    await current.waitForLines('web.1', ['Restarting', 'Stopping all processes with SIGTERM', UP], before);
  });
});
