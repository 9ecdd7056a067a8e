// Issue 12 item 7: the formation lists a Procfile's `release` type at quantity 0, as Heroku does (`heroku
// releases:retry` needs it there); it cannot be scaled, and no formation dyno of it is ever started.
import { afterEach, describe, expect, it } from 'vitest';
import { EMAIL, world, type World } from './world.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const PROCFILE = { web: 'node web.js', worker: 'node worker.js', release: 'node migrate.js' };

async function deployed(): Promise<World> {
  w = await world();
  w.engine.script(/node web\.js/, async (p) => {
    await p.listen();
    await p.forever();
  });
  await w.release(PROCFILE);
  return w;
}

describe('the release process type in the formation', () => {
  it('is listed at quantity 0; the first Scaled to line names only the dyno types', async () => {
    const w = await deployed();
    expect(w.manager.formation(w.app).map((f) => [f.type, f.quantity, f.command])).toEqual([
      ['release', 0, 'node migrate.js'],
      ['web', 1, 'node web.js'],
      ['worker', 0, 'node worker.js'],
    ].sort());
    expect(w.lines().filter((l) => l.startsWith('app[api]'))).toEqual([`app[api]: Scaled to web@1:Basic worker@0:Basic by user ${EMAIL}`]);
  });

  it('scaling it is refused; its size may change; no release dyno ever runs in the formation', async () => {
    const w = await deployed();
    await expect(w.manager.scale(w.app, [{ type: 'release', quantity: 1 }])).rejects.toMatchObject({
      id: 'invalid_params',
      status: 422,
      code: 'formation_release_not_scalable',
    });
    const [sized] = await w.manager.scale(w.app, [{ type: 'release', size: 'Standard-2X' }]);
    expect(sized).toMatchObject({ type: 'release', quantity: 0, size: 'Standard-2X' });
    await w.manager.restart(w.app);
    await w.release(PROCFILE, { V: '2' });
    expect(w.manager.dynos(w.app).map((d) => d.name)).toEqual(['web.1']);
    expect(await w.engine.listByLabel({ app: w.app.id, dyno: 'release.1' })).toEqual([]);
    expect(w.manager.formationOf(w.app, 'release')).toMatchObject({ quantity: 0, size: 'Standard-2X' });
  });

  it('goes from the formation when the Procfile drops it', async () => {
    const w = await deployed();
    await w.release({ web: 'node web.js' });
    expect(w.manager.formation(w.app).map((f) => f.type)).toEqual(['web']);
  });
});
