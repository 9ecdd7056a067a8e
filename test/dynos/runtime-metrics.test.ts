// `log-runtime-metrics` on the memory engine: while the app has it on, every memory sample of a dyno writes Heroku's
// two lines (load averages, memory) as heroku[web.1], from the engine's usage of the dyno's container; off, none.
import { afterEach, describe, expect, it } from 'vitest';
import { LoadAverage } from '../../src/dynos/runtime-metrics.js';
import { MB, world, type World } from './world.js';

let w: World | undefined;
afterEach(async () => {
  const done = w;
  w = undefined;
  await done?.close();
  expect(done?.eventErrors ?? []).toEqual([]);
});

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe('log-runtime-metrics', () => {
  it("writes the load and memory lines of each sample, with the dyno's id and its size's quota", async () => {
    let on = true;
    w = await world({ runtimeMetrics: () => on });
    const current = w;
    current.engine.script(/node web\.js/, async (p) => {
      p.memory(130 * MB);
      await p.listen();
      await p.forever();
    });
    await current.release({ web: 'node web.js' });
    const [web] = current.manager.dynos(current.app);
    const dyno = `heroku.${current.app.id}.${web?.id ?? ''}`;
    const memory = `source=web.1 dyno=${dyno} sample#memory_total=130.00MB sample#memory_rss=130.00MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB sample#memory_pgpgin=0pages sample#memory_pgpgout=0pages sample#memory_quota=512.00MB`;
    await expect.poll(() => current.lines('web.1').filter((line) => line === memory).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const load = current.lines('web.1').find((line) => line.includes('sample#load_avg_1m'));
    expect(load).toMatch(new RegExp(`^source=web\\.1 dyno=heroku\\.${current.app.id}\\.${UUID} sample#load_avg_1m=\\d+\\.\\d\\d sample#load_avg_5m=\\d+\\.\\d\\d sample#load_avg_15m=\\d+\\.\\d\\d$`));
    // The memory line follows its load line.
    const lines = current.lines('web.1');
    expect(lines[lines.indexOf(memory) - 1]).toMatch(/sample#load_avg_1m=/);

    // Off: the samples go on (R14 still counts) but write nothing.
    on = false;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const quiet = current.lines('web.1').length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(current.lines('web.1').slice(quiet).filter((line) => line.includes('sample#'))).toEqual([]);
  });

  it('without the feature no dyno writes metrics', async () => {
    w = await world();
    const current = w;
    current.engine.script(/node web\.js/, async (p) => {
      p.memory(100 * MB);
      await p.listen();
      await p.forever();
    });
    await current.release({ web: 'node web.js' });
    await current.waitForLines('web.1', ['State changed from starting to up']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(current.lines('web.1').filter((line) => line.includes('sample#'))).toEqual([]);
  });
});

describe('LoadAverage', () => {
  it('averages the CPU kept busy: one core busy for a minute reads about 0.63 over 1 minute, less over 5 and 15', () => {
    const load = new LoadAverage();
    expect(load.sample(0, 0)).toEqual([0, 0, 0]);
    let reading: readonly [number, number, number] = [0, 0, 0];
    for (let s = 20; s <= 60; s += 20) reading = load.sample(s, s * 1000);
    expect(reading[0]).toBeCloseTo(1 - Math.exp(-1), 5);
    expect(reading[1]).toBeCloseTo(1 - Math.exp(-60 / 300), 5);
    expect(reading[2]).toBeCloseTo(1 - Math.exp(-60 / 900), 5);
    // Idle afterwards: the averages decay.
    expect(load.sample(60, 80_000)[0]).toBeLessThan(reading[0]);
  });
});
