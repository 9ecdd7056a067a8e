// The teaching controls on the memory engine: each one is a real event on a running dyno (a signal through `kill -1`
// inside it, frozen processes, a memory-hungry process, a restart without $PORT, cycling), and the dyno manager answers
// with Heroku's lines, asserted verbatim. Heroku's own timings (60 s boot, 30 s grace, 20 s memory samples, the 20-minute
// cool-off) run under the lesson clock at a high speed: the lines keep Heroku's numbers.
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosService } from '../../src/chaos/index.js';
import { LessonClock } from '../../src/clock.js';
import type { DynoVitals } from '../../src/dynos/index.js';
import type { LifecycleTimings } from '../../src/dynos/lifecycle.js';
import { BerthError } from '../../src/errors.js';
import { loadSettings } from '../../src/settings.js';
import { world, type World } from '../dynos/world.js';

const HEROKU: LifecycleTimings = loadSettings({});
const WEB_UP = ['Starting process with command `node web.js`', 'State changed from starting to up'];

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** A world on Heroku's timings with the lesson clock at `speed`, a web dyno up, and the teaching controls. */
async function lesson(speed = 1000): Promise<{ w: World; chaos: ChaosService; clock: LessonClock; reported: string[]; sampled: DynoVitals[] }> {
  const clock = new LessonClock();
  clock.setSpeed(speed);
  const sampled: DynoVitals[] = [];
  const made = await world({ timings: HEROKU, clock, memorySampled: (_appId, vitals) => void sampled.push(vitals) });
  w = made;
  made.engine.script(/node web\.js/, async (p) => {
    await p.listen();
    await p.forever();
  });
  const reported: string[] = [];
  const chaos = new ChaosService({
    dynos: made.manager,
    clock,
    memorySampleSeconds: HEROKU.memorySampleSeconds,
    report: (error, what) => void reported.push(`${what}: ${String(error)}`),
  });
  await made.release({ web: 'node web.js' });
  await made.waitForLines('web.1', WEB_UP);
  return { w: made, chaos, clock, reported, sampled };
}

/** The memory engine's stand-in for frozen processes: SIGTERM stays pending (is not acted on); SIGKILL still kills. */
function freezable(w: World): void {
  w.engine.onExec(/kill -STOP -1/, (exec) => exec.container.trap('SIGTERM'));
}

describe('berth chaos crash', () => {
  it('SIGKILL by default: status 137, crashed, restarted at once (a first crash)', async () => {
    const { w, chaos } = await lesson();
    const from = w.lines('web.1').length;
    expect(await chaos.run(w.app, { kind: 'crash' })).toMatchObject({ kind: 'crash', dyno: 'web.1' });
    const lines = await w.waitForLines('web.1', ['Process exited with status 137', ...WEB_UP], from);
    expect(lines).toEqual(['Process exited with status 137', 'State changed from up to crashed', 'State changed from crashed to starting', ...WEB_UP]);
  });

  it('a chosen exit status: the main process itself exits with it (the program arrives on stdin, run privileged)', async () => {
    const { w, chaos } = await lesson();
    const told: Array<{ status: string; elf: string }> = [];
    w.engine.onExec(/berth-chaos-exit/, async (exec) => {
      const chunks: Buffer[] = [];
      for await (const chunk of exec.stdin) chunks.push(chunk as Buffer);
      told.push({ status: exec.cmd[4] ?? '', elf: Buffer.concat(chunks).subarray(1, 4).toString('latin1') });
      void exec.container.exit(Number(exec.cmd[4]));
    });
    const from = w.lines('web.1').length;
    expect(await chaos.run(w.app, { kind: 'crash', exitCode: 3 })).toMatchObject({ kind: 'crash', dyno: 'web.1' });
    expect(told).toEqual([{ status: '3', elf: 'ELF' }]);
    expect(await w.waitForLines('web.1', ['Process exited with status 3', ...WEB_UP], from)).toEqual([
      'Process exited with status 3',
      'State changed from up to crashed',
      'State changed from crashed to starting',
      ...WEB_UP,
    ]);
  });

  it('refuses an exit status out of 0..255, or one given with a signal; a helper that fails answers 409', async () => {
    const { w, chaos } = await lesson();
    const refused = async (request: Parameters<ChaosService['run']>[1]) => {
      const error = (await chaos.run(w.app, request).catch((e: unknown) => e)) as BerthError;
      return [error.status, error.message];
    };
    expect(await refused({ kind: 'crash', exitCode: 256 })).toEqual([422, 'Exit status must be a whole number from 0 to 255, got 256.']);
    expect(await refused({ kind: 'crash', exitCode: -1 })).toEqual([422, 'Exit status must be a whole number from 0 to 255, got -1.']);
    expect(await refused({ kind: 'crash', exitCode: 1, signal: 'SIGTERM' })).toEqual([
      422,
      'exit_code and signal cannot both be given: a signal leaves its own status.',
    ]);
    w.engine.onExec(/berth-chaos-exit/, () => 127);
    expect(await refused({ kind: 'crash', exitCode: 1 })).toEqual([
      409,
      "web.1's main process could not be made to exit (status 127): the image needs sh and cat, and the host a kernel.yama.ptrace_scope of 0 (or no Yama).",
    ]);
    expect(w.manager.dynos(w.app)[0]?.state).toBe('up');
  });

  it('a crashed dyno cannot be crashed again: 409 naming its state', async () => {
    const { w, chaos } = await lesson(1);
    w.engine.script(/node web\.js/, (p) => p.exit(1));
    const from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'crash' });
    // The restart at once crashes too (the script now exits 1): the second crash waits out the 20-minute cool-off.
    await w.waitForLines('web.1', ['Process exited with status 137', 'Process exited with status 1', 'State changed from starting to crashed'], from);
    const refused = (await chaos.run(w.app, { kind: 'crash' }).catch((error: unknown) => error)) as BerthError;
    expect([refused.status, refused.message]).toEqual([409, 'web.1 is crashed: chaos acts on a running dyno; try again once it is up.']);
  });
});

describe('berth chaos ignore-sigterm and hang', () => {
  it('ignore-sigterm: the restart ends in R12 with Heroku’s 30 seconds, then SIGKILL, then a fresh instance', async () => {
    const { w, chaos } = await lesson();
    freezable(w);
    const from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'ignore-sigterm' });
    const lines = await w.waitForLines('web.1', WEB_UP, from);
    expect(lines).toEqual([
      'Restarting',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Error R12 (Exit timeout) -> At least one process failed to exit within 30 seconds of SIGTERM',
      'Stopping remaining processes with SIGKILL',
      'Process exited with status 137',
      ...WEB_UP,
    ]);
  });

  it('hang: the dyno stays up (the router times its requests out); a later restart meets R12', async () => {
    const { w, chaos } = await lesson();
    freezable(w);
    const from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'hang' });
    expect(w.manager.dynos(w.app)[0]?.state).toBe('up');
    expect(w.lines('web.1').slice(from)).toEqual([]);
    await w.manager.restart(w.app, { name: 'web.1' });
    expect(await w.waitForLines('web.1', WEB_UP, from)).toContain(
      'Error R12 (Exit timeout) -> At least one process failed to exit within 30 seconds of SIGTERM',
    );
  });
});

describe('berth chaos memory', () => {
  it('R14 while above the quota, then R15 and SIGKILL past twice the quota, then crashed and restarted', async () => {
    const { w, chaos } = await lesson();
    w.engine.onExec(/berth-chaos-memory/, async (exec) => {
      const [first, more, hold] = exec.cmd.slice(4).map(Number) as [number, number, number];
      exec.container.memory(first);
      await new Promise((resolve) => setTimeout(resolve, hold * 1000));
      exec.container.memory(first + more);
      return 137;
    });
    const from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'memory' });
    const lines = await w.waitForLines('web.1', ['Error R14 (Memory quota exceeded)', 'Error R15 (Memory quota vastly exceeded)', ...WEB_UP], from);
    const r15 = lines.indexOf('Process running mem=1024M(200.0%)');
    expect(lines.slice(0, r15).length).toBeGreaterThanOrEqual(2);
    expect(new Set(lines.slice(0, r15))).toEqual(new Set(['Process running mem=640M(125.0%)', 'Error R14 (Memory quota exceeded)']));
    expect(lines.slice(r15)).toEqual([
      'Process running mem=1024M(200.0%)',
      'Error R15 (Memory quota vastly exceeded)',
      'Stopping process with SIGKILL',
      'Process exited with status 137',
      'State changed from up to crashed',
      'State changed from crashed to starting',
      ...WEB_UP,
    ]);
  });
});

describe('berth chaos no-bind and cycle', () => {
  it('no-bind: the next instance gets PORT=0, never binds $PORT: R10 with Heroku’s 60 seconds; the one after binds again', async () => {
    const { w, chaos } = await lesson();
    const from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'no-bind' });
    const lines = await w.waitForLines('web.1', ['Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch', ...WEB_UP], from);
    expect(lines).toEqual([
      'Restarting',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      'Starting process with command `node web.js`',
      'Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch',
      'Stopping process with SIGKILL',
      'Process exited with status 137',
      'State changed from starting to crashed',
      'State changed from crashed to starting',
      ...WEB_UP,
    ]);
  });

  it('cycle: daily cycling now', async () => {
    const { w, chaos } = await lesson();
    const from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'cycle' });
    expect(await w.waitForLines('web.1', WEB_UP, from)).toEqual([
      'Cycling',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      ...WEB_UP,
    ]);
  });
});

describe('the lesson clock', () => {
  it('speeding up shortens a cool-off already under way (the 20-minute wait after a second crash)', async () => {
    const { w, chaos, clock } = await lesson(1);
    w.engine.script(/node web\.js/, (p) => p.exit(1));
    const from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'crash' });
    await w.waitForLines('web.1', ['Process exited with status 1', 'State changed from starting to crashed'], from);
    w.engine.script(/node web\.js/, async (p) => {
      await p.listen();
      await p.forever();
    });
    const waiting = w.lines('web.1').length;
    expect(chaos.setClockSpeed(1000)).toBe(1000);
    expect(clock.speed).toBe(1000);
    // 1200 s at 1000× is 1.2 s of wall clock.
    expect(await w.waitForLines('web.1', ['State changed from crashed to starting', ...WEB_UP], waiting)).toEqual([
      'State changed from crashed to starting',
      ...WEB_UP,
    ]);
  });

  it('refuses a speed below 1 or above 1000', async () => {
    const { chaos } = await lesson();
    for (const speed of [0, 0.5, 1001, Number.NaN]) {
      expect(() => chaos.setClockSpeed(speed)).toThrow(`Clock speed must be a number from 1 to 1000, got ${speed}.`);
    }
  });
});

describe("the dashboard's dyno vitals (GET /berth/apps/{app}/dynos)", () => {
  it('memory against the quota from the R14 sampler, and a crashed dyno cool-off end', async () => {
    const { w, chaos, sampled } = await lesson();
    const web = await w.engine.started({ dyno: 'web.1' });
    web.memory(300 * 1024 * 1024);
    const before = w.manager.vitals(w.app)[0];
    expect(before).toMatchObject({ name: 'web.1', state: 'up', quotaMb: 512, r15Mb: 1024, cooloffUntil: undefined });
    await until(() => w.manager.vitals(w.app)[0]?.memoryMb === 300);
    // Each reading is pushed as it is taken (the dashboard's live stream), in the card's shape.
    expect(sampled.at(-1)).toMatchObject({ name: 'web.1', state: 'up', memoryMb: 300, quotaMb: 512, r15Mb: 1024 });
    // The first crash is restarted at once; the second waits out the cool-off, whose end the card shows.
    let from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'crash' });
    await w.waitForLines('web.1', ['Process exited with status 137', ...WEB_UP], from);
    from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'crash' });
    await w.waitForLines('web.1', ['State changed from up to crashed'], from);
    const crashed = w.manager.vitals(w.app)[0];
    expect(crashed?.state).toBe('crashed');
    expect(crashed?.memoryMb).toBeUndefined();
    expect(crashed?.cooloffUntil?.getTime()).toBeGreaterThan(Date.now() - 1);
  });
});

describe('what a stopped dyno wrote (berth doctor -a)', () => {
  it('the engine diff of each stopped instance, read before its container is removed; the next stop replaces it', async () => {
    const { w, chaos } = await lesson();
    expect(w.manager.diskWrites(w.app)).toEqual([]);
    const first = w.manager.teachable(w.app, 'web.1').containerId as string;
    w.engine.process(first)?.files.write('/app/uploads/avatar.png', 'png');
    const from = w.lines('web.1').length;
    await chaos.run(w.app, { kind: 'crash' });
    await w.waitForLines('web.1', ['Process exited with status 137', ...WEB_UP], from);
    const [written] = w.manager.diskWrites(w.app);
    expect(written?.dyno).toBe('web.1');
    expect(written?.paths).toEqual(expect.arrayContaining(['/app/uploads', '/app/uploads/avatar.png']));
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}
