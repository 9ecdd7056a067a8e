// The life of one formation dyno (`web.1`) as a pure state machine: `transition(dyno, event)` returns the next dyno and
// the effects to carry out, as data. No I/O, no timers, no clock: time arrives as `timer` events, the engine's answers
// as events too. It owns Heroku's rules (reference heroku-runtime-behaviour.md §1): the states, the crash cool-off
// (first crash restarted at once, then the ladder; reset after a while up, and by any restart), R10, R12, R14, R15,
// daily cycling, restarts, scale-down, adoption after a daemon restart and a container lost while no daemon watched.
import type { ConfigVars, DynoChanges } from '../contracts/records.js';
import type { DynoState } from '../contracts/routing.js';
import { DYNO_LINES } from '../logs/index.js';
import type { Settings } from '../settings.js';
import { processLaunch, type Artifact } from './artifact.js';
import { displayCommand } from './launch.js';
import { dynoSize } from './sizes.js';

/** What a dyno runs: the release's artifact and config, the formation's command and size. */
export interface Workload {
  readonly releaseId: string;
  readonly version: number;
  readonly artifact: Artifact;
  readonly config: ConfigVars;
  readonly command: string;
  readonly size: string;
}

/** The dyno timings are Berth's settings of the same names (Heroku's values by default; tests shorten them). */
export type LifecycleTimings = Pick<
  Settings,
  'bootTimeoutSeconds' | 'stopGraceSeconds' | 'crashCooloffSeconds' | 'crashResetSeconds' | 'cycleSeconds' | 'memorySampleSeconds'
>;

/** How often a starting web dyno's `$PORT` is tried. */
const PROBE_SECONDS = 0.1;

export type TimerName = 'probe' | 'boot' | 'grace' | 'cooloff' | 'crashReset' | 'cycle' | 'memory';
const TIMERS: readonly TimerName[] = ['probe', 'boot', 'grace', 'cooloff', 'crashReset', 'cycle', 'memory'];

export type RestartReason = 'Restarting' | 'Cycling';

/** The dyno's process, from the engine's side. */
type Process =
  | { readonly kind: 'none' }
  /** A `$PORT` is being taken. */
  | { readonly kind: 'allocating' }
  /** The container is being started. */
  | { readonly kind: 'launching'; readonly port: number }
  | { readonly kind: 'running'; readonly containerId: string; readonly port: number }
  /** SIGTERM (a graceful stop) or SIGKILL (R10, R12) was sent; its exit is awaited. */
  | { readonly kind: 'stopping'; readonly containerId: string; readonly port: number; readonly signal: 'SIGTERM' | 'SIGKILL' };

/** What follows a stop once the process has exited. */
type AfterStop = 'relaunch' | 'crash' | 'retire';

export interface Dyno {
  /** `web.1` */
  readonly name: string;
  /** Web dynos must bind `$PORT` (R10); other types are up once launched. */
  readonly web: boolean;
  /** What the API, `heroku ps` and the router see. */
  readonly state: DynoState;
  readonly process: Process;
  readonly workload: Workload;
  /** Crashes since the cool-off ladder was last reset. */
  readonly crashes: number;
  readonly after: AfterStop;
  /** A restart asked for while a launch was under way: it happens once the launch settles. */
  readonly pendingRestart: RestartReason | null;
  /** Retired (scale-down, app destroyed) or detached (daemon shutdown): every further event is ignored. */
  readonly finished: boolean;
  readonly timings: LifecycleTimings;
}


export type DynoEvent =
  /** A new dyno: launch its first instance. */
  | { readonly kind: 'boot' }
  | { readonly kind: 'portAllocated'; readonly port: number }
  | { readonly kind: 'launched'; readonly containerId: string }
  | { readonly kind: 'launchFailed'; readonly message: string }
  | { readonly kind: 'probed'; readonly containerId: string; readonly bound: boolean }
  | { readonly kind: 'memory'; readonly containerId: string; readonly bytes: number | undefined }
  | { readonly kind: 'exited'; readonly containerId: string; readonly exitCode: number; readonly oomKilled: boolean }
  /** The engine could not tell how the container ended, even after inspecting it again and retrying. */
  | { readonly kind: 'vanished'; readonly containerId: string }
  /** SIGKILL could not be sent. */
  | { readonly kind: 'killFailed'; readonly containerId: string }
  | { readonly kind: 'timer'; readonly timer: TimerName }
  /** A new release, a config change, `ps:restart`, `ps:stop`, a size change. */
  | { readonly kind: 'restart'; readonly reason: RestartReason; readonly workload?: Workload }
  /** Scale-down or app destruction. */
  | { readonly kind: 'retire' }
  /** A restarted daemon found the dyno's container still running. */
  | { readonly kind: 'adopt'; readonly containerId: string; readonly port: number }
  /** A restarted daemon found the dyno's container gone: it died while no daemon watched. */
  | { readonly kind: 'lost' }
  /** Daemon shutdown: the container keeps running for the next daemon to adopt. */
  | { readonly kind: 'detach' };

export type DynoEffect =
  /** A `heroku[<dyno>]` line. */
  | { readonly kind: 'log'; readonly line: string }
  | { readonly kind: 'persist'; readonly changes: DynoChanges }
  /** The dyno's state or port changed: the routing snapshot is rebuilt. */
  | { readonly kind: 'publish' }
  /** Take a `$PORT`: answers `portAllocated` or `launchFailed`. */
  | { readonly kind: 'allocatePort' }
  /** Start the container: answers `launched` or `launchFailed`. */
  | { readonly kind: 'launch'; readonly port: number; readonly workload: Workload }
  /** Await the container's exit: answers `exited` or `vanished`. */
  | { readonly kind: 'watch'; readonly containerId: string }
  /** Is something listening on `$PORT`? Answers `probed`. */
  | { readonly kind: 'probe'; readonly containerId: string; readonly port: number }
  /** Answers `memory`. */
  | { readonly kind: 'sampleMemory'; readonly containerId: string }
  /** SIGTERM to every process of the dyno. */
  | { readonly kind: 'stop'; readonly containerId: string }
  /** SIGKILL; a failure answers `killFailed`. */
  | { readonly kind: 'kill'; readonly containerId: string }
  | { readonly kind: 'removeContainer'; readonly containerId: string }
  | { readonly kind: 'releasePort'; readonly port: number }
  | { readonly kind: 'schedule'; readonly timer: TimerName; readonly seconds: number }
  | { readonly kind: 'cancel'; readonly timer: TimerName }
  /** The dyno is retired: its row goes. */
  | { readonly kind: 'forget' };

export interface Transition {
  readonly dyno: Dyno;
  readonly effects: readonly DynoEffect[];
}

export interface NewDyno {
  readonly name: string;
  readonly workload: Workload;
  readonly timings: LifecycleTimings;
  /** The state from the dyno's row, for one a restarted daemon finds (default `starting`). */
  readonly state?: DynoState;
}

export function newDyno(spec: NewDyno): Dyno {
  return {
    name: spec.name,
    web: spec.name.slice(0, spec.name.lastIndexOf('.')) === 'web',
    state: spec.state ?? 'starting',
    process: { kind: 'none' },
    workload: spec.workload,
    crashes: 0,
    after: 'relaunch',
    pendingRestart: null,
    finished: false,
    timings: spec.timings,
  };
}

/** Whether nothing is in flight: no port being taken, no container starting or stopping. */
export function settled(dyno: Dyno): boolean {
  const kind = dyno.process.kind;
  return dyno.finished || kind === 'none' || kind === 'running';
}

/** The cool-off before the restart after crash number `crashes` (the first is restarted at once). */
export function cooloffSeconds(timings: LifecycleTimings, crashes: number): number {
  if (crashes <= 1) return 0;
  const ladder = timings.crashCooloffSeconds;
  return ladder[Math.min(crashes - 2, ladder.length - 1)] ?? 0;
}

export function transition(dyno: Dyno, event: DynoEvent): Transition {
  const step = new Step(dyno);
  if (!dyno.finished) step.handle(event);
  else if (event.kind === 'portAllocated') step.effect({ kind: 'releasePort', port: event.port });
  return step.result();
}

/** One transition being worked out: the dyno as it becomes, and the effects so far. */
class Step {
  dyno: Dyno;
  readonly #effects: DynoEffect[] = [];
  #changes: DynoChanges = {};
  #forget = false;

  constructor(dyno: Dyno) {
    this.dyno = dyno;
  }

  result(): Transition {
    const effects = [...this.#effects];
    if (Object.keys(this.#changes).length > 0) effects.push({ kind: 'persist', changes: this.#changes }, { kind: 'publish' });
    if (this.#forget) effects.push({ kind: 'forget' }, { kind: 'publish' });
    return { dyno: this.dyno, effects };
  }

  effect(effect: DynoEffect): void {
    this.#effects.push(effect);
  }

  #log(line: string): void {
    this.effect({ kind: 'log', line });
  }

  #set(changes: Partial<Dyno>): void {
    this.dyno = { ...this.dyno, ...changes };
  }

  #persist(changes: DynoChanges): void {
    this.#changes = { ...this.#changes, ...changes };
  }

  #state(to: DynoState): void {
    if (this.dyno.state === to) return;
    this.#log(DYNO_LINES.stateChanged(this.dyno.state, to));
    this.#set({ state: to });
    this.#persist({ state: to });
  }

  #schedule(timer: TimerName, seconds: number): void {
    this.effect({ kind: 'schedule', timer, seconds });
  }

  #cancel(...timers: TimerName[]): void {
    for (const timer of timers) this.effect({ kind: 'cancel', timer });
  }

  /** The container this event speaks of is the dyno's current one. */
  #current(containerId: string): boolean {
    const p = this.dyno.process;
    return (p.kind === 'running' || p.kind === 'stopping') && p.containerId === containerId;
  }

  handle(event: DynoEvent): void {
    switch (event.kind) {
      case 'boot':
        if (this.dyno.process.kind === 'none') this.#launchNext();
        return;
      case 'portAllocated':
        return this.#portAllocated(event.port);
      case 'launched':
        return this.#launched(event.containerId);
      case 'launchFailed':
        return this.#launchFailed(event.message);
      case 'probed':
        return this.#probed(event.containerId, event.bound);
      case 'memory':
        return this.#memory(event.containerId, event.bytes);
      case 'exited':
        if (!this.#current(event.containerId)) return;
        return this.#exited(event.exitCode, event.oomKilled);
      case 'vanished':
        if (!this.#current(event.containerId)) return;
        return this.#vanished(event.containerId);
      case 'killFailed':
        // Removing the container by force ends it too; its watch then reports the end.
        if (this.#current(event.containerId)) this.effect({ kind: 'removeContainer', containerId: event.containerId });
        return;
      case 'timer':
        return this.#timer(event.timer);
      case 'restart':
        return this.#restart(event.reason, event.workload);
      case 'retire':
        return this.#retire();
      case 'adopt':
        return this.#adopt(event.containerId, event.port);
      case 'lost':
        return this.#lost();
      case 'detach':
        this.#cancel(...TIMERS);
        this.#set({ finished: true });
        return;
    }
  }

  /** State `starting` already; a fresh instance begins with its port. */
  #launchNext(): void {
    this.#set({ process: { kind: 'allocating' } });
    this.effect({ kind: 'allocatePort' });
  }

  #portAllocated(port: number): void {
    if (this.dyno.process.kind !== 'allocating' || this.dyno.state === 'down') {
      this.effect({ kind: 'releasePort', port });
      if (this.dyno.process.kind === 'allocating') this.#finish();
      return;
    }
    const workload = this.dyno.workload;
    const type = this.dyno.name.slice(0, this.dyno.name.lastIndexOf('.'));
    this.#log(DYNO_LINES.starting(displayCommand(workload.command, port, processLaunch(workload.artifact, type).entrypoint)));
    this.#set({ process: { kind: 'launching', port } });
    this.effect({ kind: 'launch', port, workload });
  }

  #launched(containerId: string): void {
    const p = this.dyno.process;
    if (p.kind !== 'launching') {
      // Not ours to run (cannot happen in order; harmless if it does).
      this.effect({ kind: 'kill', containerId });
      this.effect({ kind: 'removeContainer', containerId });
      return;
    }
    const { workload, timings } = this.dyno;
    this.#set({ process: { kind: 'running', containerId, port: p.port } });
    // The row says what this instance runs: after a daemon restart, recovery rebuilds the dyno from it.
    this.#persist({
      containerId,
      port: p.port,
      releaseId: workload.releaseId,
      releaseVersion: workload.version,
      command: workload.command,
      size: workload.size,
    });
    this.effect({ kind: 'watch', containerId });
    if (this.dyno.state === 'down') return this.#stopGracefully('retire');
    this.#schedule('cycle', timings.cycleSeconds);
    const pending = this.dyno.pendingRestart;
    if (pending) {
      this.#set({ pendingRestart: null });
      this.#log(pending);
      return this.#stopGracefully('relaunch');
    }
    if (this.dyno.web) {
      this.#schedule('boot', timings.bootTimeoutSeconds);
      this.effect({ kind: 'probe', containerId, port: p.port });
    } else {
      this.#becomeUp();
    }
  }

  #launchFailed(message: string): void {
    const p = this.dyno.process;
    if (p.kind !== 'allocating' && p.kind !== 'launching') return;
    if (p.kind === 'launching') this.effect({ kind: 'releasePort', port: p.port });
    this.#set({ process: { kind: 'none' } });
    this.#log(DYNO_LINES.launchFailed(message));
    if (this.dyno.state === 'down') return this.#finish();
    if (this.dyno.pendingRestart) {
      // A restart was asked for meanwhile: it starts again at once, with a fresh ladder.
      this.#set({ pendingRestart: null, crashes: 0 });
      this.#state('crashed');
      this.#state('starting');
      return this.#launchNext();
    }
    this.#crash();
  }

  #probed(containerId: string, bound: boolean): void {
    const p = this.dyno.process;
    if (p.kind !== 'running' || p.containerId !== containerId || this.dyno.state !== 'starting') return;
    if (bound) this.#becomeUp();
    else this.#schedule('probe', PROBE_SECONDS);
  }

  #becomeUp(): void {
    const { timings } = this.dyno;
    this.#cancel('boot', 'probe');
    this.#state('up');
    this.#schedule('crashReset', timings.crashResetSeconds);
    this.#schedule('memory', Math.min(1, timings.memorySampleSeconds));
  }

  #memory(containerId: string, bytes: number | undefined): void {
    const p = this.dyno.process;
    if (p.kind !== 'running' || p.containerId !== containerId) return;
    const size = dynoSize(this.dyno.workload.size);
    if (bytes !== undefined && bytes > size.memoryMb * 1024 * 1024) {
      this.#log(DYNO_LINES.memory(bytes, size.memoryMb));
      this.#log(DYNO_LINES.r14);
    }
    this.#schedule('memory', this.dyno.timings.memorySampleSeconds);
  }

  #exited(exitCode: number, oomKilled: boolean): void {
    const p = this.dyno.process;
    if (p.kind === 'running' && oomKilled) {
      // The container's limit sits at the R15 threshold: the kernel killed it there.
      const size = dynoSize(this.dyno.workload.size);
      this.#log(DYNO_LINES.memory(size.r15Mb * 1024 * 1024, size.memoryMb));
      this.#log(DYNO_LINES.r15);
      this.#log(DYNO_LINES.sigkill);
    }
    this.#log(DYNO_LINES.exited(exitCode));
    this.#gone();
  }

  #vanished(containerId: string): void {
    // Make sure it is really gone before its port is given to another dyno.
    this.effect({ kind: 'kill', containerId });
    this.#gone();
  }

  /** The current instance has ended: clean up after it, then what its stop was for (or a crash). */
  #gone(): void {
    const p = this.dyno.process;
    if (p.kind !== 'running' && p.kind !== 'stopping') return;
    this.#cancel('grace', 'boot', 'probe', 'memory', 'crashReset', 'cycle');
    this.effect({ kind: 'removeContainer', containerId: p.containerId });
    this.effect({ kind: 'releasePort', port: p.port });
    this.#persist({ containerId: null, port: null });
    this.#set({ process: { kind: 'none' } });
    const after = p.kind === 'stopping' ? this.dyno.after : 'crash';
    if (after === 'retire') return this.#finish();
    if (after === 'relaunch') {
      this.#state('starting');
      return this.#launchNext();
    }
    this.#crash();
  }

  /** Any end the dyno did not ask for: crashed, then restarted at once the first time, later after the cool-off. */
  #crash(): void {
    this.#state('crashed');
    const crashes = this.dyno.crashes + 1;
    this.#set({ crashes });
    const wait = cooloffSeconds(this.dyno.timings, crashes);
    if (wait > 0) return this.#schedule('cooloff', wait);
    this.#state('starting');
    this.#launchNext();
  }

  #timer(timer: TimerName): void {
    const { process: p, state, timings } = this.dyno;
    switch (timer) {
      case 'probe':
        if (p.kind === 'running' && state === 'starting') this.effect({ kind: 'probe', containerId: p.containerId, port: p.port });
        return;
      case 'boot':
        if (p.kind !== 'running' || state !== 'starting') return;
        this.#cancel('probe');
        this.#log(DYNO_LINES.r10(timings.bootTimeoutSeconds));
        this.#log(DYNO_LINES.sigkill);
        this.#set({ process: { ...p, kind: 'stopping', signal: 'SIGKILL' }, after: 'crash' });
        this.effect({ kind: 'kill', containerId: p.containerId });
        return;
      case 'grace':
        if (p.kind !== 'stopping' || p.signal !== 'SIGTERM') return;
        this.#log(DYNO_LINES.r12(timings.stopGraceSeconds));
        this.#log(DYNO_LINES.sigkillRemaining);
        this.#set({ process: { ...p, signal: 'SIGKILL' } });
        this.effect({ kind: 'kill', containerId: p.containerId });
        return;
      case 'cooloff':
        if (state !== 'crashed' || p.kind !== 'none') return;
        this.#state('starting');
        this.#launchNext();
        return;
      case 'crashReset':
        if (state === 'up') this.#set({ crashes: 0 });
        return;
      case 'cycle':
        return this.#restart('Cycling', undefined);
      case 'memory':
        if (p.kind === 'running' && state === 'up') this.effect({ kind: 'sampleMemory', containerId: p.containerId });
        return;
    }
  }

  #stopGracefully(after: AfterStop): void {
    const p = this.dyno.process;
    if (p.kind !== 'running') return;
    this.#cancel('boot', 'probe', 'memory', 'crashReset', 'cycle');
    this.#log(DYNO_LINES.sigterm);
    this.#set({ process: { ...p, kind: 'stopping', signal: 'SIGTERM' }, after });
    this.effect({ kind: 'stop', containerId: p.containerId });
    this.#schedule('grace', this.dyno.timings.stopGraceSeconds);
  }

  #restart(reason: RestartReason, workload: Workload | undefined): void {
    if (this.dyno.state === 'down') return;
    // A restart resets the crash cool-off, as Heroku's policy says.
    this.#set({ crashes: 0, ...(workload ? { workload } : {}) });
    this.#cancel('cooloff');
    const p = this.dyno.process;
    switch (p.kind) {
      case 'running':
        this.#log(reason);
        this.#state('starting');
        return this.#stopGracefully('relaunch');
      case 'stopping':
        // Already on its way out (R10, R12): it comes back instead of crashing.
        this.#set({ after: 'relaunch' });
        return;
      case 'allocating':
      case 'launching':
        this.#set({ pendingRestart: reason });
        return;
      case 'none':
        this.#state('starting');
        return this.#launchNext();
    }
  }

  #retire(): void {
    this.#cancel(...TIMERS.filter((t) => t !== 'grace'));
    this.#set({ pendingRestart: null });
    this.#state('down');
    const p = this.dyno.process;
    if (p.kind === 'running') return this.#stopGracefully('retire');
    if (p.kind === 'stopping') return this.#set({ after: 'retire' });
    // A launch under way is stopped once it settles (portAllocated, launched or launchFailed).
    if (p.kind === 'none') this.#finish();
  }

  #finish(): void {
    this.#cancel(...TIMERS);
    this.#set({ finished: true, process: { kind: 'none' } });
    this.#forget = true;
  }

  #adopt(containerId: string, port: number): void {
    if (this.dyno.process.kind !== 'none') return;
    const { timings } = this.dyno;
    this.#set({ process: { kind: 'running', containerId, port } });
    this.effect({ kind: 'watch', containerId });
    this.#schedule('cycle', timings.cycleSeconds);
    if (this.dyno.state === 'up') {
      this.#schedule('crashReset', timings.crashResetSeconds);
      this.#schedule('memory', Math.min(1, timings.memorySampleSeconds));
      return;
    }
    this.#state('starting');
    if (this.dyno.web) {
      this.#schedule('boot', timings.bootTimeoutSeconds);
      this.effect({ kind: 'probe', containerId, port });
    } else {
      this.#becomeUp();
    }
  }

  #lost(): void {
    if (this.dyno.process.kind !== 'none') return;
    this.#persist({ containerId: null, port: null });
    // It counts as a crash, restarted at once as a first crash is; the next one waits out the cool-off.
    this.#state('crashed');
    this.#set({ crashes: 1 });
    this.#state('starting');
    this.#launchNext();
  }
}
