// Issue 12 item 9: containers are named after what they are, so `docker ps` tells them apart: berth-<app>-web.1-<hex>,
// berth-<app>-release.NNNN-<hex>, berth-<app>-run.NNNN-<hex>, berth-<app>-build-<build id>-<hex>; each instance's
// name is its own (a restarted dyno's new container does not clash with the old one). Labels stay what Berth reads.
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/builds/workspace.js';
import { MemoryRuntime } from '../../src/runtime/index.js';
import { world, type World } from './world.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('container names', () => {
  it('dynos, restarts, the release phase and one-offs', async () => {
    w = await world();
    w.engine.script(/node web\.js/, async (p) => {
      await p.listen();
      await p.forever();
    });
    w.engine.script(/migrate/, () => 0);
    const release = await w.release({ web: 'node web.js', release: 'migrate' });
    const app = escape(w.app.name);
    const [first] = await w.engine.listByLabel({ app: w.app.id, dyno: 'web.1' });
    expect(first?.name).toMatch(new RegExp(`^berth-${app}-web\\.1-[0-9a-f]{6}$`));
    expect(first?.labels).toMatchObject({ app: w.app.id, role: 'dyno', dyno: 'web.1' });
    await w.manager.restart(w.app, { name: 'web.1' });
    const after = (await w.engine.listByLabel({ app: w.app.id, dyno: 'web.1' })).filter((c) => c.state === 'running');
    expect(after).toHaveLength(1);
    expect(after[0]?.name).toMatch(new RegExp(`^berth-${app}-web\\.1-[0-9a-f]{6}$`));
    expect(after[0]?.name).not.toBe(first?.name);

    const names: string[] = [];
    const start = w.engine.start.bind(w.engine);
    w.engine.start = async (spec) => {
      names.push(spec.name ?? '');
      return start(spec);
    };
    expect(await w.manager.runReleasePhase(release, 'migrate', () => undefined)).toBe(true);
    expect(names.at(-1)).toMatch(new RegExp(`^berth-${app}-release\\.\\d{4}-[0-9a-f]{6}$`));
  });

  it('the build container', async () => {
    const runtime = new MemoryRuntime({ images: ['berth/heroku-24:build'] });
    const workspace = await Workspace.open({ runtime, image: 'berth/heroku-24:build', appId: 'app-id', appName: 'shop', buildId: '0123456789abcdef', binds: [] });
    const [container] = await runtime.listByLabel({ app: 'app-id', role: 'build' });
    expect(container?.name).toMatch(/^berth-shop-build-01234567-[0-9a-f]{6}$/);
    await workspace.close();
  });
});
