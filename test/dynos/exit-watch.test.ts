// How a dyno's end is learned when the engine's wait fails (issue 11, item 5): inspect again, retry, then give up.
import { describe, expect, it } from 'vitest';
import { awaitExit, type ExitSource } from '../../src/dynos/exit-watch.js';
import { connectionReset, MemoryRuntime } from '../../src/runtime/index.js';

const OPTIONS = { tries: 3, pauseMs: 0 };

describe('awaitExit', () => {
  it('a wait that resets is retried; the exit is the process\'s own', async () => {
    const engine = new MemoryRuntime({ images: ['img'] });
    engine.script('img', async (p) => {
      await p.nextSignal();
      return 7;
    });
    const id = await engine.start({ image: 'img', cmd: ['run'], labels: { app: 'a', role: 'dyno', dyno: 'web.1', release: 'r' } });
    engine.failNext('wait');
    const exit = awaitExit(engine, id, OPTIONS);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await engine.signal(id, 'SIGHUP');
    expect(await exit).toEqual({ running: false, exitCode: 129, oomKilled: false });
  });

  it('when the wait fails but an inspect shows the container ended, that end is the answer', async () => {
    const calls: string[] = [];
    const engine: ExitSource = {
      wait: async () => {
        calls.push('wait');
        throw connectionReset();
      },
      state: async () => {
        calls.push('state');
        return { running: false, exitCode: 1, oomKilled: false };
      },
    };
    expect(await awaitExit(engine, 'c1', OPTIONS)).toEqual({ running: false, exitCode: 1, oomKilled: false });
    expect(calls).toEqual(['wait', 'state']);
  });

  it('gives up after the last try with the engine\'s error', async () => {
    let calls = 0;
    const engine: ExitSource = {
      wait: async () => {
        calls += 1;
        throw connectionReset();
      },
      state: async () => ({ running: true, exitCode: 0, oomKilled: false }),
    };
    await expect(awaitExit(engine, 'c1', OPTIONS)).rejects.toThrow('socket hang up');
    expect(calls).toBe(3);
  });
});
