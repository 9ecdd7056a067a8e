// Preboot on the memory engine: a new release's web dyno starts beside the old one, which keeps the router's traffic
// until the new one is up and the overlap has passed; only then does the old one get SIGTERM.
import { afterEach, describe, expect, it } from 'vitest';
import { LessonClock } from '../../src/clock.js';
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

describe('preboot across a daemon stop', () => {
  /** Web dynos of release v2 (GREETING=v2) bind their port only once `open` is called. */
  function gatedWorld(overlap: { seconds: number }): Promise<{ current: World; open: () => void }> {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    return world({ preboot: { enabled: () => true, get overlapSeconds() { return overlap.seconds; } } }).then((current) => {
      current.engine.script(/node web\.js/, async (p) => {
        if (p.env['GREETING'] === 'v2') await gate;
        await p.listen();
        await p.forever();
      });
      return { current, open };
    });
  }

  async function prebootUnderWay(current: World): Promise<void> {
    await current.release(PROCFILE);
    await current.waitForLines('web.1', [UP]);
    const v2 = await current.release(PROCFILE, { GREETING: 'v2' }, { announce: false });
    current.events.emit('release.current', { appId: current.app.id, appName: current.app.name, releaseId: v2.id, version: v2.version });
    await expect.poll(() => current.containers('web.1').then((c) => c.length)).toBe(2);
  }

  async function convergedOnV2(current: World): Promise<void> {
    await expect.poll(() => current.containers('web.1').then((c) => c.length)).toBe(1);
    await expect.poll(() => current.manager.dynos(current.app).map((d) => `${d.name}@v${d.releaseVersion}:${d.state}`)).toEqual(['web.1@v2:up']);
    await expect.poll(() => current.store.dynos.allDynos().map((d) => d.name)).toEqual(['web.1']);
    expect(current.engine.process({ dyno: 'web.1' })?.env['GREETING']).toBe('v2');
    expect(routedPorts(current)).toEqual([current.manager.dynos(current.app)[0]?.port]);
  }

  it('stopped while the new dyno boots: the next daemon keeps the old one serving until the new one is up, then stops it', async () => {
    const { current, open } = await gatedWorld({ seconds: 0 });
    w = current;
    await prebootUnderWay(current);
    await current.restartDaemon();
    // One web.1, the old one, with the traffic; the new one still boots beside it.
    expect(current.manager.dynos(current.app).map((d) => d.releaseVersion)).toEqual([1]);
    const [old] = current.manager.dynos(current.app);
    expect(routedPorts(current)).toEqual([old?.port]);
    expect(await current.containers('web.1')).toHaveLength(2);
    open();
    await convergedOnV2(current);
  });

  it('stopped during the overlap: the next daemon finishes the switch', async () => {
    const overlap = { seconds: 3600 };
    const { current, open } = await gatedWorld(overlap);
    w = current;
    open();
    await prebootUnderWay(current);
    await expect.poll(() => current.store.dynos.allDynos().filter((d) => d.state === 'up').length).toBe(2);
    overlap.seconds = 0;
    await current.restartDaemon();
    await convergedOnV2(current);
  });

  it("the new dyno's container gone with the daemon: the old one is restarted onto the new release, once", async () => {
    const { current, open } = await gatedWorld({ seconds: 0 });
    w = current;
    open();
    await current.release(PROCFILE);
    await current.waitForLines('web.1', [UP]);
    const [old] = current.manager.dynos(current.app);
    // Gated again: the new dyno of v2 never comes up before the daemon stops.
    current.engine.script(/node web\.js/, async (p) => {
      if (p.env['GREETING'] === 'v2') await new Promise(() => undefined);
      await p.listen();
      await p.forever();
    });
    const v2 = await current.release(PROCFILE, { GREETING: 'v2' }, { announce: false });
    current.events.emit('release.current', { appId: current.app.id, appName: current.app.name, releaseId: v2.id, version: v2.version });
    await expect.poll(() => current.containers('web.1').then((c) => c.length)).toBe(2);
    current.manager.detachAll();
    const [prebooted] = (await current.containers('web.1')).filter((id) => id !== old?.containerId);
    await current.engine.remove(prebooted ?? '');
    current.engine.script(/node web\.js/, async (p) => {
      await p.listen();
      await p.forever();
    });
    await current.restartDaemon();
    await convergedOnV2(current);
  });
});

describe('preboot and the lesson clock', () => {
  it('a new speed reaches the boot timeout of the dyno a preboot is booting', async () => {
    const clock = new LessonClock();
    const timings = { bootTimeoutSeconds: 3600, stopGraceSeconds: 0.3, crashCooloffSeconds: [0.3, 0.6], crashResetSeconds: 600, cycleSeconds: 36_000, memorySampleSeconds: 60 };
    const current = await world({ preboot: { enabled: () => true, overlapSeconds: 0 }, timings, clock });
    w = current;
    // The dynos of release v2 never bind their port: the preboot's new dyno stays `starting` until its boot timeout.
    current.engine.script(/node web\.js/, async (p) => {
      if (p.env['GREETING'] === 'v2') await new Promise(() => undefined);
      await p.listen();
      await p.forever();
    });
    await current.release(PROCFILE);
    await current.waitForLines('web.1', [UP]);
    const from = current.lines('web.1').length;
    const v2 = await current.release(PROCFILE, { GREETING: 'v2' }, { announce: false });
    current.events.emit('release.current', { appId: current.app.id, appName: current.app.name, releaseId: v2.id, version: v2.version });
    await current.waitForLines('web.1', ['Starting process with command `node web.js`'], from);
    // An hour of lesson time at 36 000 times the wall clock: a tenth of a second. Without the new speed it is an hour.
    clock.setSpeed(36_000);
    await current.waitForLines('web.1', ['Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 3600 seconds of launch'], from);
  });
});
