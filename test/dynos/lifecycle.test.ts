// The dyno state machine on its own (no engine, no timers): every sequence of reference heroku-runtime-behaviour.md
// §1.2 as the lines it writes, verbatim, and the effects it asks for: the crash cool-off ladder, R10, R12, R14, R15,
// cycling, restarts, scale-down, adoption after a daemon restart and a container lost meanwhile.
import { describe, expect, it } from 'vitest';
import {
  cooloffSeconds,
  newDyno,
  settled,
  transition,
  type Dyno,
  type DynoEffect,
  type DynoEvent,
  type LifecycleTimings,
  type TimerName,
  type Workload,
} from '../../src/dynos/lifecycle.js';

const HEROKU: LifecycleTimings = {
  bootTimeoutSeconds: 60,
  stopGraceSeconds: 30,
  crashCooloffSeconds: [20, 40, 60, 180, 320].map((m) => m * 60),
  crashResetSeconds: 600,
  cycleSeconds: 86_400,
  memorySampleSeconds: 20,
};

function workload(version = 1, command = 'npm start', size = 'Basic'): Workload {
  return {
    releaseId: `release-${version}`,
    version,
    artifact: { kind: 'slug', slugId: `slug-${version}`, image: `berth/slug:${version}`, processTypes: { web: command } },
    config: { VERSION: String(version) },
    command,
    size,
  };
}

/** Drives one dyno: sends events, keeps the lines, the effects and the timers it has scheduled. */
class Sim {
  dyno: Dyno;
  lines: string[] = [];
  effects: DynoEffect[] = [];
  readonly timers = new Map<TimerName, number>();
  #containers = 0;

  constructor(name: string, options: { workload?: Workload; timings?: LifecycleTimings; state?: Dyno['state'] } = {}) {
    this.dyno = newDyno({
      name,
      workload: options.workload ?? workload(),
      timings: options.timings ?? HEROKU,
      ...(options.state ? { state: options.state } : {}),
    });
  }

  send(event: DynoEvent): this {
    const { dyno, effects } = transition(this.dyno, event);
    this.dyno = dyno;
    for (const effect of effects) {
      this.effects.push(effect);
      if (effect.kind === 'log') this.lines.push(effect.line);
      if (effect.kind === 'schedule') this.timers.set(effect.timer, effect.seconds);
      if (effect.kind === 'cancel') this.timers.delete(effect.timer);
    }
    return this;
  }

  /** Lines and effects from here on only. */
  mark(): this {
    this.lines = [];
    this.effects = [];
    return this;
  }

  of<K extends DynoEffect['kind']>(kind: K): Extract<DynoEffect, { kind: K }>[] {
    return this.effects.filter((e): e is Extract<DynoEffect, { kind: K }> => e.kind === kind);
  }

  fire(timer: TimerName): this {
    expect(this.timers.has(timer), `timer ${timer} is scheduled`).toBe(true);
    this.timers.delete(timer);
    return this.send({ kind: 'timer', timer });
  }

  get containerId(): string {
    const p = this.dyno.process;
    if (p.kind !== 'running' && p.kind !== 'stopping') throw new Error(`no container (${p.kind})`);
    return p.containerId;
  }

  /** Answers the port and the launch the machine asked for. */
  launch(port = 20000 + this.#containers): this {
    expect(this.dyno.process.kind).toBe('allocating');
    this.send({ kind: 'portAllocated', port });
    expect(this.dyno.process.kind).toBe('launching');
    this.#containers += 1;
    return this.send({ kind: 'launched', containerId: `c${this.#containers}` });
  }

  bind(): this {
    return this.send({ kind: 'probed', containerId: this.containerId, bound: true });
  }

  exit(exitCode: number, oomKilled = false): this {
    return this.send({ kind: 'exited', containerId: this.containerId, exitCode, oomKilled });
  }

  /** A web dyno up (or any other type, which is up once launched). */
  up(): this {
    this.send({ kind: 'boot' }).launch();
    if (this.dyno.web) this.bind();
    expect(this.dyno.state).toBe('up');
    return this;
  }
}

describe('the dyno state machine: Heroku\'s sequences, line by line', () => {
  it('A. scale up: a web dyno starts, binds $PORT, is up', () => {
    const sim = new Sim('web.1').send({ kind: 'boot' });
    expect(sim.of('allocatePort')).toHaveLength(1);
    sim.launch(20001);
    expect(sim.of('launch')[0]).toMatchObject({ port: 20001, workload: { command: 'npm start', artifact: { image: 'berth/slug:1' } } });
    expect(sim.of('watch')).toEqual([{ kind: 'watch', containerId: 'c1' }]);
    expect(sim.of('probe')).toEqual([{ kind: 'probe', containerId: 'c1', port: 20001 }]);
    expect(sim.dyno.state).toBe('starting');
    sim.send({ kind: 'probed', containerId: 'c1', bound: false });
    expect(sim.timers.get('probe')).toBeGreaterThan(0);
    sim.fire('probe').bind();
    expect(sim.lines).toEqual(['Starting process with command `npm start`', 'State changed from starting to up']);
    expect(sim.dyno.state).toBe('up');
    expect(sim.timers.has('boot')).toBe(false);
    expect(sim.timers.get('cycle')).toBe(86_400);
    expect(settled(sim.dyno)).toBe(true);
  });

  it('the command is logged with $PORT substituted; a worker is up once launched, without a probe', () => {
    const web = new Sim('web.1', { workload: workload(1, 'bundle exec puma -p $PORT -e production') }).send({ kind: 'boot' }).launch(48278);
    expect(web.lines).toEqual(['Starting process with command `bundle exec puma -p 48278 -e production`']);
    const worker = new Sim('worker.1', { workload: workload(1, 'node worker.js') }).send({ kind: 'boot' }).launch();
    expect(worker.lines).toEqual(['Starting process with command `node worker.js`', 'State changed from starting to up']);
    expect(worker.of('probe')).toEqual([]);
    expect(worker.timers.has('boot')).toBe(false);
  });

  it('B. a new release: Restarting, SIGTERM, 143, a fresh instance on the new release, and the row says so', () => {
    const sim = new Sim('web.1').up().mark();
    sim.send({ kind: 'restart', reason: 'Restarting', workload: workload(2, 'npm start') });
    expect(sim.of('stop')).toEqual([{ kind: 'stop', containerId: 'c1' }]);
    expect(sim.timers.get('grace')).toBe(30);
    expect(settled(sim.dyno)).toBe(false);
    sim.exit(143);
    expect(sim.of('removeContainer')).toEqual([{ kind: 'removeContainer', containerId: 'c1' }]);
    expect(sim.of('releasePort')).toEqual([{ kind: 'releasePort', port: 20000 }]);
    sim.launch().bind();
    expect(sim.lines).toEqual([
      'Restarting',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      'Starting process with command `npm start`',
      'State changed from starting to up',
    ]);
    expect(sim.of('launch')[0]?.workload.releaseId).toBe('release-2');
    const persisted = Object.assign({}, ...sim.of('persist').map((p) => p.changes));
    expect(persisted).toMatchObject({ releaseId: 'release-2', releaseVersion: 2, command: 'npm start', size: 'Basic', containerId: 'c2', state: 'up' });
    expect(sim.of('publish').length).toBeGreaterThan(0);
  });

  it('C. daily cycling: the same as B, first line Cycling; the cycle is scheduled again for the new instance', () => {
    const sim = new Sim('worker.1', { workload: workload(1, 'node worker.js') }).up().mark();
    sim.fire('cycle').exit(143).launch();
    expect(sim.lines).toEqual([
      'Cycling',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      'Starting process with command `node worker.js`',
      'State changed from starting to up',
    ]);
    expect(sim.timers.get('cycle')).toBe(86_400);
  });

  it('D. crash loop: the first restart is immediate, the next waits the cool-off; a new release restarts at once', () => {
    const sim = new Sim('web.1', { workload: workload(1, 'node server.js') }).send({ kind: 'boot' }).launch().mark();
    sim.exit(1);
    expect(sim.of('allocatePort')).toHaveLength(1);
    sim.launch().exit(1);
    expect(sim.lines).toEqual([
      'Process exited with status 1',
      'State changed from starting to crashed',
      'State changed from crashed to starting',
      'Starting process with command `node server.js`',
      'Process exited with status 1',
      'State changed from starting to crashed',
    ]);
    expect(sim.dyno.state).toBe('crashed');
    expect(sim.dyno.process.kind).toBe('none');
    expect(sim.timers.get('cooloff')).toBe(20 * 60);
    expect(settled(sim.dyno)).toBe(true);
    sim.mark().send({ kind: 'restart', reason: 'Restarting', workload: workload(12, 'node server.js') });
    expect(sim.lines).toEqual(['State changed from crashed to starting']);
    expect(sim.timers.has('cooloff')).toBe(false);
    // The ladder starts again: the next crash is restarted at once.
    sim.launch().mark().exit(1);
    expect(sim.lines.at(-1)).toBe('State changed from crashed to starting');
  });

  it('the cool-off ladder: 20, 40, 60, 180, 320 minutes, then every 320', () => {
    const sim = new Sim('worker.1').send({ kind: 'boot' }).launch().exit(1).launch().exit(1);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      waits.push(sim.timers.get('cooloff') ?? -1);
      sim.mark().fire('cooloff');
      expect(sim.lines).toEqual(['State changed from crashed to starting']);
      sim.launch().exit(1);
    }
    expect(waits.map((s) => s / 60)).toEqual([20, 40, 60, 180, 320, 320, 320]);
    expect([1, 2, 3, 7].map((n) => cooloffSeconds(HEROKU, n) / 60)).toEqual([0, 20, 40, 320]);
  });

  it('up for crashResetSeconds, the ladder starts again; a shorter stay up does not reset it', () => {
    const sim = new Sim('worker.1').up().exit(1).launch();
    expect(sim.timers.get('crashReset')).toBe(600);
    sim.fire('crashReset').mark().exit(1);
    expect(sim.lines).toEqual(['Process exited with status 1', 'State changed from up to crashed', 'State changed from crashed to starting']);
    sim.launch().mark().exit(1);
    expect(sim.lines).toEqual(['Process exited with status 1', 'State changed from up to crashed']);
    expect(sim.timers.get('cooloff')).toBe(20 * 60);
  });

  it('E. R10: a web process that never binds is killed; 137; crashed, then restarted at once', () => {
    const sim = new Sim('web.1').send({ kind: 'boot' }).launch();
    expect(sim.timers.get('boot')).toBe(60);
    sim.fire('boot');
    expect(sim.of('kill')).toEqual([{ kind: 'kill', containerId: 'c1' }]);
    expect(sim.timers.has('probe')).toBe(false);
    // A late probe answer changes nothing.
    sim.send({ kind: 'probed', containerId: 'c1', bound: true }).exit(137);
    expect(sim.lines).toEqual([
      'Starting process with command `npm start`',
      'Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch',
      'Stopping process with SIGKILL',
      'Process exited with status 137',
      'State changed from starting to crashed',
      'State changed from crashed to starting',
    ]);
  });

  it('R10 names the configured boot timeout; workers have none', () => {
    const sim = new Sim('web.1', { timings: { ...HEROKU, bootTimeoutSeconds: 3 } }).send({ kind: 'boot' }).launch().fire('boot');
    expect(sim.lines).toContain('Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 3 seconds of launch');
  });

  it('F. R12: a process that ignores SIGTERM is killed after the grace', () => {
    const sim = new Sim('web.1').up().mark().send({ kind: 'restart', reason: 'Restarting' }).fire('grace');
    expect(sim.of('kill')).toEqual([{ kind: 'kill', containerId: 'c1' }]);
    sim.exit(137).launch();
    expect(sim.lines).toEqual([
      'Restarting',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Error R12 (Exit timeout) -> At least one process failed to exit within 30 seconds of SIGTERM',
      'Stopping remaining processes with SIGKILL',
      'Process exited with status 137',
      'Starting process with command `npm start`',
    ]);
  });

  it('G. scale to zero: a crashed dyno goes crashed → down at once; a running one up → down, SIGTERM, 143', () => {
    const crashed = new Sim('web.1').up().exit(1).launch().exit(1).mark().send({ kind: 'retire' });
    expect(crashed.lines).toEqual(['State changed from crashed to down']);
    expect(crashed.of('forget')).toHaveLength(1);
    expect(crashed.timers.size).toBe(0);
    expect(crashed.dyno.finished).toBe(true);

    const up = new Sim('worker.1').up().mark().send({ kind: 'retire' });
    expect(up.of('forget')).toEqual([]);
    up.exit(143);
    expect(up.lines).toEqual(['State changed from up to down', 'Stopping all processes with SIGTERM', 'Process exited with status 143']);
    expect(up.of('forget')).toHaveLength(1);
    expect(up.of('releasePort')).toHaveLength(1);
    expect(up.of('allocatePort')).toEqual([]);
    // A retired dyno ignores everything after.
    up.mark().send({ kind: 'restart', reason: 'Restarting' }).send({ kind: 'timer', timer: 'cooloff' });
    expect(up.effects).toEqual([]);
  });

  it('scale-down during R12: the stop goes on with SIGKILL and no restart', () => {
    const sim = new Sim('worker.1').up().mark().send({ kind: 'retire' }).fire('grace').exit(137);
    expect(sim.lines).toEqual([
      'State changed from up to down',
      'Stopping all processes with SIGTERM',
      'Error R12 (Exit timeout) -> At least one process failed to exit within 30 seconds of SIGTERM',
      'Stopping remaining processes with SIGKILL',
      'Process exited with status 137',
    ]);
    expect(sim.of('forget')).toHaveLength(1);
  });

  it('R14: memory above the quota writes the sample and R14 and the dyno keeps running; below, nothing', () => {
    const sim = new Sim('web.1').up().mark();
    expect(sim.timers.get('memory')).toBe(1);
    sim.fire('memory');
    expect(sim.of('sampleMemory')).toEqual([{ kind: 'sampleMemory', containerId: 'c1' }]);
    sim.send({ kind: 'memory', containerId: 'c1', bytes: 300 * 1024 * 1024 });
    expect(sim.lines).toEqual([]);
    expect(sim.timers.get('memory')).toBe(20);
    sim.fire('memory').send({ kind: 'memory', containerId: 'c1', bytes: 591 * 1024 * 1024 });
    sim.fire('memory').send({ kind: 'memory', containerId: 'c1', bytes: undefined });
    expect(sim.lines).toEqual(['Process running mem=591M(115.4%)', 'Error R14 (Memory quota exceeded)']);
    expect(sim.dyno.state).toBe('up');
  });

  it('R15: killed at twice the quota, then crashed and restarted', () => {
    const sim = new Sim('worker.1').up().mark().exit(137, true);
    expect(sim.lines).toEqual([
      'Process running mem=1024M(200.0%)',
      'Error R15 (Memory quota vastly exceeded)',
      'Stopping process with SIGKILL',
      'Process exited with status 137',
      'State changed from up to crashed',
      'State changed from crashed to starting',
    ]);
    const big = new Sim('worker.1', { workload: workload(1, 'x', 'Standard-2X') }).up().mark().exit(137, true);
    expect(big.lines[0]).toBe('Process running mem=2048M(200.0%)');
  });

  it('restart while the dyno is starting (its container still launching): the launch finishes, then the restart', () => {
    const sim = new Sim('web.1').send({ kind: 'boot' }).send({ kind: 'portAllocated', port: 20000 });
    sim.send({ kind: 'restart', reason: 'Restarting', workload: workload(2) });
    expect(sim.lines).toEqual(['Starting process with command `npm start`']);
    sim.send({ kind: 'launched', containerId: 'c1' });
    expect(sim.of('probe')).toEqual([]);
    sim.exit(143).launch().bind();
    expect(sim.lines).toEqual([
      'Starting process with command `npm start`',
      'Restarting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      'Starting process with command `npm start`',
      'State changed from starting to up',
    ]);
    expect(sim.of('launch').map((l) => l.workload.version)).toEqual([1, 2]);
  });

  it('restart of a web dyno not yet bound: no state line, SIGTERM, and a fresh instance', () => {
    const sim = new Sim('web.1').send({ kind: 'boot' }).launch().mark().send({ kind: 'restart', reason: 'Restarting' });
    expect(sim.timers.has('boot')).toBe(false);
    sim.exit(143).launch();
    expect(sim.lines).toEqual([
      'Restarting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      'Starting process with command `npm start`',
    ]);
  });

  it('restart during an R10 kill: the dyno comes back instead of crashing', () => {
    const sim = new Sim('web.1').send({ kind: 'boot' }).launch().fire('boot').mark().send({ kind: 'restart', reason: 'Restarting' }).exit(137).launch();
    expect(sim.lines).toEqual(['Process exited with status 137', 'Starting process with command `npm start`']);
    expect(sim.dyno.crashes).toBe(0);
  });

  it('scale-down while the port is being taken: the port goes back and nothing is launched', () => {
    const sim = new Sim('web.1').send({ kind: 'boot' }).send({ kind: 'retire' }).send({ kind: 'portAllocated', port: 20005 });
    expect(sim.lines).toEqual(['State changed from starting to down']);
    expect(sim.of('launch')).toEqual([]);
    expect(sim.of('releasePort')).toEqual([{ kind: 'releasePort', port: 20005 }]);
    expect(sim.of('forget')).toHaveLength(1);
  });

  it('scale-down while the container is launching: it is stopped once it runs', () => {
    const sim = new Sim('worker.1').send({ kind: 'boot' }).send({ kind: 'portAllocated', port: 20000 }).send({ kind: 'retire' });
    sim.send({ kind: 'launched', containerId: 'c1' }).exit(143);
    expect(sim.lines).toEqual([
      'Starting process with command `npm start`',
      'State changed from starting to down',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
    ]);
    expect(sim.of('forget')).toHaveLength(1);
  });

  it('a launch the engine refuses is a crash: its line, crashed, the immediate restart, then the cool-off', () => {
    const sim = new Sim('worker.1').send({ kind: 'boot' }).send({ kind: 'portAllocated', port: 20000 });
    sim.send({ kind: 'launchFailed', message: 'no such image' });
    expect(sim.of('releasePort')).toEqual([{ kind: 'releasePort', port: 20000 }]);
    sim.send({ kind: 'launchFailed', message: 'no free dyno port' });
    expect(sim.lines).toEqual([
      'Starting process with command `npm start`',
      'Error launching process: no such image',
      'State changed from starting to crashed',
      'State changed from crashed to starting',
      'Error launching process: no free dyno port',
      'State changed from starting to crashed',
    ]);
    expect(sim.timers.get('cooloff')).toBe(20 * 60);
  });

  it('events about a container that is no longer the current one change nothing', () => {
    const sim = new Sim('web.1').up().send({ kind: 'restart', reason: 'Restarting' }).exit(143).launch().bind().mark();
    sim.send({ kind: 'exited', containerId: 'c1', exitCode: 0, oomKilled: false });
    sim.send({ kind: 'memory', containerId: 'c1', bytes: 900 * 1024 * 1024 });
    sim.send({ kind: 'probed', containerId: 'c1', bound: true });
    expect(sim.effects).toEqual([]);
  });

  it('a container whose end the engine cannot tell is killed, removed, and counts as a crash', () => {
    const sim = new Sim('worker.1').up().mark().send({ kind: 'vanished', containerId: 'c1' });
    expect(sim.of('kill')).toEqual([{ kind: 'kill', containerId: 'c1' }]);
    expect(sim.of('removeContainer')).toEqual([{ kind: 'removeContainer', containerId: 'c1' }]);
    expect(sim.of('releasePort')).toEqual([{ kind: 'releasePort', port: 20000 }]);
    expect(sim.lines).toEqual(['State changed from up to crashed', 'State changed from crashed to starting']);
  });

  it('SIGKILL that fails: the container is removed by force', () => {
    const sim = new Sim('web.1').send({ kind: 'boot' }).launch().fire('boot').mark().send({ kind: 'killFailed', containerId: 'c1' });
    expect(sim.effects).toEqual([{ kind: 'removeContainer', containerId: 'c1' }]);
  });

  it('adoption after a daemon restart: an up dyno is watched and sampled again, with no line', () => {
    const sim = new Sim('web.1', { state: 'up' }).send({ kind: 'adopt', containerId: 'old', port: 20100 });
    expect(sim.lines).toEqual([]);
    expect(sim.of('watch')).toEqual([{ kind: 'watch', containerId: 'old' }]);
    expect(sim.of('persist')).toEqual([]);
    expect([...sim.timers.keys()].sort()).toEqual(['crashReset', 'cycle', 'memory']);
    sim.send({ kind: 'restart', reason: 'Restarting' }).exit(143);
    expect(sim.of('releasePort')).toEqual([{ kind: 'releasePort', port: 20100 }]);
  });

  it('adoption of a web dyno still starting: it is probed again, with a fresh boot timeout', () => {
    const sim = new Sim('web.1', { state: 'starting' }).send({ kind: 'adopt', containerId: 'old', port: 20100 });
    expect(sim.of('probe')).toEqual([{ kind: 'probe', containerId: 'old', port: 20100 }]);
    expect(sim.timers.get('boot')).toBe(60);
    sim.send({ kind: 'probed', containerId: 'old', bound: true });
    expect(sim.lines).toEqual(['State changed from starting to up']);
  });

  it('a container lost while no daemon watched: crashed, restarted at once; the next crash waits the cool-off', () => {
    const sim = new Sim('web.1', { state: 'up' }).send({ kind: 'lost' });
    expect(sim.lines).toEqual(['State changed from up to crashed', 'State changed from crashed to starting']);
    expect(sim.of('persist')[0]?.changes).toMatchObject({ containerId: null, port: null });
    sim.launch().mark().exit(1);
    expect(sim.lines).toEqual(['Process exited with status 1', 'State changed from starting to crashed']);
    expect(sim.timers.get('cooloff')).toBe(20 * 60);
  });

  it('detach (daemon shutdown): every timer is cancelled and nothing more happens; the container is left alone', () => {
    const sim = new Sim('web.1').up().mark().send({ kind: 'detach' });
    expect(sim.timers.size).toBe(0);
    expect(sim.of('stop')).toEqual([]);
    expect(sim.of('removeContainer')).toEqual([]);
    sim.mark().exit(1);
    expect(sim.effects).toEqual([]);
  });

  it('a port that arrives after detach is given back', () => {
    const sim = new Sim('web.1').send({ kind: 'boot' }).send({ kind: 'detach' }).mark().send({ kind: 'portAllocated', port: 20009 });
    expect(sim.effects).toEqual([{ kind: 'releasePort', port: 20009 }]);
  });
});
