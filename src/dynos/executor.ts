// Runs one formation dyno's state machine (lifecycle.ts): feeds it the engine's answers, the timers and the probes as
// events, and carries out its effects through the runtime port. Events are handled one at a time, synchronously, so
// a dyno's transitions never interleave; every effect that waits on the engine reports back as an event, its failure
// included, so no promise is dropped.
import { randomUUID } from 'node:crypto';
import { apiTimestamp, type LessonClock } from '../clock.js';
import type { DynoChanges, DynoRecord } from '../contracts/records.js';
import type { Logplex } from '../logs/index.js';
import type { ContainerTrust, ExecSpec, Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import { DynoContainer } from './container.js';
import { processLaunch } from './artifact.js';
import { launchSpec } from './launch.js';
import {
  newDyno,
  settled,
  transition,
  type Dyno,
  type DynoEffect,
  type DynoEvent,
  type LifecycleTimings,
  type RestartReason,
  type TimerName,
  type Workload,
} from './lifecycle.js';
import type { PortPool } from './ports.js';
import { LoadAverage, runtimeMetricsLines } from './runtime-metrics.js';
import { dynoSize, type DynoSize } from './sizes.js';

/** What of the engine a formation dyno uses. */
type DynoEngine = Pick<Runtime, 'start' | 'follow' | 'wait' | 'state' | 'signal' | 'exec' | 'remove' | 'memoryBytes' | 'usage' | 'nodeAddress' | 'changes'>;

/** The most paths of a stopped instance's diff a dyno keeps (`berth doctor -a` shows a few). */
const MAX_WRITTEN_PATHS = 500;
/** How long a container's removal waits for its diff (`berth doctor`'s advice): an engine that never answers must not keep it. */
const WRITES_READ_MS = 2000;

export interface ExecutorDeps {
  readonly runtime: DynoEngine;
  readonly store: Pick<Store, 'dynos' | 'apps'>;
  readonly logplex: Logplex;
  readonly ports: PortPool;
  readonly trust: ContainerTrust;
  readonly timings: LifecycleTimings;
  /** After every change of state or port (the routing snapshot is rebuilt). */
  readonly changed: (appId: string) => void;
  /** Variables beyond the config vars a dyno starts with (dyno metadata, when the app has it on). */
  readonly extraEnv?: (dyno: DynoRecord, workload: Workload) => Readonly<Record<string, string>>;
  /** A dyno was made (`previous` null), changed state, or was forgotten (`gone`): app webhooks' `dyno` events. */
  readonly stateChanged?: (dyno: DynoRecord, previous: DynoRecord['state'] | null, gone?: boolean) => void;
  /** Whether the app has `log-runtime-metrics` on: each memory sample then writes Heroku's metrics lines. */
  readonly runtimeMetrics?: (appId: string) => boolean;
  /** Whether something accepts connections on host:port, the dyno's node address and port (default: a TCP connect). */
  readonly probe?: (host: string, port: number) => Promise<boolean>;
  /** An engine call failed where the dyno carries on regardless (the daemon's log hears of it). */
  readonly report?: (error: unknown, what: string) => void;
  /** The lesson clock: the dyno's timers run `speed` times faster (default: the wall clock). */
  readonly clock?: LessonClock;
  /** Each memory reading of the R14 sampler, as the dashboard's card shows it (pushed to its live stream). */
  readonly memorySampled?: (appId: string, vitals: DynoVitals) => void;
}

/**
 * A formation dyno as the teaching controls (chaos/) drive it: every control is a real event on the running instance
 * (a signal, a process run inside it, a restart), and the state machine answers with Heroku's lines as it would.
 */
export interface TeachableDyno {
  readonly name: string;
  readonly state: DynoRecord['state'];
  /** The running instance's container, if one runs. */
  readonly containerId: string | undefined;
  /** Its size's memory quota (R14 above it) and R15 threshold (the container's limit). */
  readonly quota: Pick<DynoSize, 'memoryMb' | 'r15Mb'>;
  /** `ps:restart` of this dyno: `Restarting`, SIGTERM, a fresh instance; resolves once the new instance runs. */
  restart(): Promise<void>;
  /** Runs a command inside the running instance; resolves with its exit status (once it ends). */
  exec(cmd: readonly string[], options?: Pick<ExecSpec, 'stdin'>): Promise<number>;
  /** Daily cycling, now: `Cycling`, SIGTERM, a fresh instance. */
  cycle(): Promise<void>;
  /** Restarts the dyno with `PORT=0` in its next instance's environment: it binds a port of the kernel's choosing, never `$PORT` (R10). */
  restartUnbound(): Promise<void>;
}

/**
 * What the dyno's last stopped instance wrote to its filesystem (the engine's diff of the container, taken before it is
 * removed): paths added or changed, parent directories included. Heroku discards them at every restart.
 */
export interface DiskWrites {
  readonly dyno: string;
  readonly stoppedAt: Date;
  readonly paths: readonly string[];
}

/** What the dashboard's dyno card shows beyond the API's dyno: memory against the quota, and the cool-off's end. */
export interface DynoVitals {
  readonly name: string;
  readonly state: DynoRecord['state'];
  /** The running instance's memory at the R14 sampler's last reading; undefined before one (or with no instance). */
  readonly memoryMb: number | undefined;
  readonly quotaMb: number;
  readonly r15Mb: number;
  /** A crashed dyno waiting out its cool-off: when the dyno manager starts it again (wall clock, lesson clock applied). */
  readonly cooloffUntil: Date | undefined;
}

export class DynoExecutor implements TeachableDyno {
  readonly appId: string;
  readonly name: string;
  readonly type: string;
  #dyno: Dyno;
  #record: DynoRecord;
  readonly #deps: ExecutorDeps;
  /** Each pending timer, and when it fires on the wall clock (to stretch or shrink it when the lesson clock changes). */
  readonly #timers = new Map<TimerName, { handle: NodeJS.Timeout; due: number }>();
  /** The next instance gets `PORT=0` (the chaos control that stops a dyno binding `$PORT`). */
  #unboundNext = false;
  readonly #containers = new Map<string, DynoContainer>();
  /** Removals under way: a port is given back only once its container is gone. */
  readonly #removals = new Set<Promise<void>>();
  #waiters: (() => void)[] = [];
  /** The running container's load averages (`log-runtime-metrics`), begun afresh with each new container. */
  #load: { containerId: string; average: LoadAverage } | undefined;
  #upWaiters: ((up: boolean) => void)[] = [];
  /** The last stopped instance's diff (undefined before one stopped). */
  #written: DiskWrites | undefined;
  /** The R14 sampler's last reading, and of which container (a new instance starts unread). */
  #memory: { containerId: string; bytes: number } | undefined;

  constructor(deps: ExecutorDeps, appId: string, name: string, workload: Workload, record?: DynoRecord) {
    this.#deps = deps;
    this.appId = appId;
    this.name = name;
    this.type = name.slice(0, name.lastIndexOf('.'));
    this.#dyno = newDyno({ name, workload, timings: deps.timings, ...(record ? { state: record.state } : {}) });
    const now = apiTimestamp();
    this.#record = record ?? {
      id: randomUUID(),
      appId,
      name,
      type: this.type,
      command: workload.command,
      size: workload.size,
      state: 'starting',
      releaseId: workload.releaseId,
      releaseVersion: workload.version,
      containerId: null,
      port: null,
      attachSecret: null,
      createdAt: now,
      updatedAt: now,
    };
    if (!record) {
      deps.store.dynos.insertDyno(this.#record);
      deps.stateChanged?.(this.#record, null);
    }
  }

  /** The dyno's row as the API shows it. */
  get record(): DynoRecord {
    return this.#record;
  }

  /** What the dyno runs (or will run once its restart is through). */
  get workload(): Workload {
    return this.#dyno.workload;
  }

  get state(): DynoRecord['state'] {
    return this.#record.state;
  }

  get quota(): DynoSize {
    return dynoSize(this.#dyno.workload.size);
  }

  get vitals(): DynoVitals {
    const { memoryMb, r15Mb } = this.quota;
    const id = this.containerId;
    const bytes = id !== undefined && this.#memory?.containerId === id ? this.#memory.bytes : undefined;
    const cooloff = this.#timers.get('cooloff');
    return {
      name: this.name,
      state: this.#record.state,
      memoryMb: bytes === undefined ? undefined : Math.round((bytes / 1024 / 1024) * 10) / 10,
      quotaMb: memoryMb,
      r15Mb,
      cooloffUntil: cooloff === undefined ? undefined : new Date(cooloff.due),
    };
  }

  /** What the last stopped instance wrote (`berth doctor -a`), if one has stopped since the daemon started. */
  get written(): DiskWrites | undefined {
    return this.#written;
  }

  /** The container's diff, read before it is removed; the engine failing here costs only the advice. */
  async #readWrites(containerId: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), WRITES_READ_MS);
    });
    const read = this.#deps.runtime.changes(containerId).catch((error: unknown) => {
      this.#report(error, `reading ${this.name}'s filesystem changes`);
      return [];
    });
    const changes = await Promise.race([read, late]).finally(() => clearTimeout(timer));
    // Not read in time: the last advice stays as it was rather than claim this instance wrote nothing.
    if (changes === undefined) return;
    const paths = changes.filter((change) => change.kind !== 'deleted').map((change) => change.path);
    this.#written = { dyno: this.name, stoppedAt: new Date(), paths: paths.slice(0, MAX_WRITTEN_PATHS) };
  }

  get containerId(): string | undefined {
    const p = this.#dyno.process;
    return p.kind === 'running' || p.kind === 'stopping' ? p.containerId : undefined;
  }

  /** Where the running instance's `$PORT` is reached: the address of the node its container runs on. */
  get host(): string | undefined {
    const id = this.containerId;
    return id === undefined ? undefined : this.#containers.get(id)?.node;
  }

  exec(cmd: readonly string[], options: Pick<ExecSpec, 'stdin'> = {}): Promise<number> {
    const id = this.containerId;
    return id === undefined ? Promise.resolve(-1) : this.#deps.runtime.exec(id, { ...options, cmd });
  }

  cycle(): Promise<void> {
    return this.restart('Cycling');
  }

  restartUnbound(): Promise<void> {
    this.#unboundNext = true;
    return this.restart('Restarting');
  }

  /** The lesson clock changed speed: every pending timer keeps its lesson time left, in the new wall-clock time. */
  clockChanged(previous: number, speed: number): void {
    const now = Date.now();
    for (const [timer, { due }] of [...this.#timers]) {
      this.#arm(timer, (Math.max(0, due - now) * previous) / speed);
    }
  }

  /** Launches the first instance; resolves once it runs (or crashed). */
  boot(): Promise<void> {
    return this.#send({ kind: 'boot' });
  }

  /** `Restarting` (a release, a config change, `ps:restart`) or `Cycling`; resolves once the new instance runs. */
  restart(reason: RestartReason = 'Restarting', workload?: Workload): Promise<void> {
    return this.#send({ kind: 'restart', reason, ...(workload ? { workload } : {}) });
  }

  /** Resolves true once the dyno is `up`, false if it crashes, stops or is forgotten first (preboot waits on it). */
  untilUp(): Promise<boolean> {
    if (this.#record.state === 'up') return Promise.resolve(true);
    return new Promise((resolve) => this.#upWaiters.push(resolve));
  }

  #wakeUpWaiters(up: boolean): void {
    const waiters = this.#upWaiters;
    this.#upWaiters = [];
    for (const waiter of waiters) waiter(up);
  }

  /** Scale-down or app destruction; resolves once the container is gone and the row deleted. */
  retire(): Promise<void> {
    return this.#send({ kind: 'retire' });
  }

  /** A restarted daemon found the dyno's container still running: keep it and its port, pump its output again. */
  async adopt(containerId: string, port: number): Promise<void> {
    this.#deps.ports.claim(port);
    let container: DynoContainer;
    try {
      container = await DynoContainer.adopt(this.#context(), containerId, this.#lastHeard());
    } catch (error) {
      this.#report(error, `adopting ${this.name}`);
      await this.#deps.runtime.remove(containerId).catch((e: unknown) => this.#report(e, `removing ${this.name}`));
      this.#deps.ports.release(port);
      return this.lost();
    }
    this.#containers.set(containerId, container);
    return this.#send({ kind: 'adopt', containerId, port });
  }

  /** A restarted daemon found the dyno's container gone: a crash, restarted at once. */
  lost(): Promise<void> {
    return this.#send({ kind: 'lost' });
  }

  /** Daemon shutdown: the container keeps running for the next daemon to adopt. */
  detach(): void {
    void this.#send({ kind: 'detach' });
    // Whoever waits for it to come up (a preboot) hears no more from this daemon.
    this.#wakeUpWaiters(false);
  }

  #send(event: DynoEvent): Promise<void> {
    const done = new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#dispatch(event);
    return done;
  }

  #dispatch(event: DynoEvent): void {
    try {
      const { dyno, effects } = transition(this.#dyno, event);
      this.#dyno = dyno;
      for (const effect of effects) this.#apply(effect);
    } catch (error) {
      this.#report(error, `${this.name}: ${event.kind}`);
    }
    if (settled(this.#dyno)) {
      const waiters = this.#waiters;
      this.#waiters = [];
      // The removal effect only starts the engine call: a retired dyno's caller (`ps:scale web=0`, the formation API)
      // is promised its container is gone, so the answer waits for the removals under way.
      const removals = [...this.#removals];
      if (removals.length === 0) for (const resolve of waiters) resolve();
      else void Promise.allSettled(removals).then(() => waiters.forEach((resolve) => resolve()));
    }
  }

  /** Runs `work`; its answer (or its failure) comes back as an event. */
  /** A `log-runtime-metrics` sample: the engine's usage, written as Heroku's lines; answers the memory R14 checks. */
  async #sampleMetrics(containerId: string): Promise<number | undefined> {
    const usage = await this.#deps.runtime.usage(containerId);
    if (usage === undefined) return undefined;
    if (this.#load?.containerId !== containerId) this.#load = { containerId, average: new LoadAverage() };
    const load = this.#load.average.sample(usage.cpuSeconds, Date.now());
    const quotaMb = dynoSize(this.#dyno.workload.size).memoryMb;
    for (const line of runtimeMetricsLines(this.appId, this.name, this.#record.id, usage, load, quotaMb)) {
      this.#deps.logplex.write(this.appId, 'heroku', this.name, line);
    }
    return usage.memoryBytes;
  }

  #answer<T>(work: () => Promise<T>, onDone: (value: T) => DynoEvent, onFailure: (error: unknown) => DynoEvent): void {
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => this.#dispatch(onDone(value)),
      (error: unknown) => this.#dispatch(onFailure(error)),
    );
  }

  #apply(effect: DynoEffect): void {
    const { runtime, ports } = this.#deps;
    switch (effect.kind) {
      case 'log':
        return this.#deps.logplex.write(this.appId, 'heroku', this.name, effect.line);
      case 'persist':
        return this.#persist(effect.changes);
      case 'publish':
        return this.#deps.changed(this.appId);
      case 'allocatePort':
        return this.#answer(
          () => ports.take(),
          (port) => ({ kind: 'portAllocated', port }),
          (error) => ({ kind: 'launchFailed', message: messageOf(error) }),
        );
      case 'launch':
        return this.#answer(
          () => this.#launch(effect.port, effect.workload),
          (containerId) => ({ kind: 'launched', containerId }),
          (error) => ({ kind: 'launchFailed', message: messageOf(error) }),
        );
      case 'watch': {
        const container = this.#containers.get(effect.containerId);
        const containerId = effect.containerId;
        return this.#answer(
          () => container?.exited ?? Promise.reject(new Error(`no container ${containerId} to watch`)),
          (state) => ({ kind: 'exited', containerId, exitCode: state.exitCode, oomKilled: state.oomKilled }),
          (error) => {
            this.#report(error, `watching ${this.name}`);
            return { kind: 'vanished', containerId };
          },
        );
      }
      case 'probe': {
        const probe = this.#deps.probe ?? DynoContainer.probe;
        const { containerId, port } = effect;
        // A container gone before its node was known has nowhere to be reached; its watch reports the end.
        const host = this.#containers.get(containerId)?.node;
        return this.#answer(
          () => (host === undefined ? Promise.resolve(false) : probe(host, port)),
          (bound) => ({ kind: 'probed', containerId, bound }),
          () => ({ kind: 'probed', containerId, bound: false }),
        );
      }
      case 'sampleMemory': {
        const { containerId } = effect;
        const metrics = this.#deps.runtimeMetrics?.(this.appId) === true;
        return this.#answer(
          () => (metrics ? this.#sampleMetrics(containerId) : runtime.memoryBytes(containerId)),
          (bytes) => {
            if (bytes !== undefined) {
              this.#memory = { containerId, bytes };
              this.#deps.memorySampled?.(this.appId, this.vitals);
            }
            return { kind: 'memory', containerId, bytes };
          },
          () => ({ kind: 'memory', containerId, bytes: undefined }),
        );
      }
      case 'stop':
        return void this.#stop(effect.containerId);
      case 'kill': {
        const { containerId } = effect;
        runtime.signal(containerId, 'SIGKILL').then(
          () => undefined,
          (error: unknown) => {
            this.#report(error, `SIGKILL to ${this.name}`);
            this.#dispatch({ kind: 'killFailed', containerId });
          },
        );
        return;
      }
      case 'removeContainer': {
        this.#containers.delete(effect.containerId);
        const removal = this.#readWrites(effect.containerId)
          .then(() => runtime.remove(effect.containerId))
          .catch((error: unknown) => this.#report(error, `removing ${this.name}'s container`))
          .finally(() => this.#removals.delete(removal));
        this.#removals.add(removal);
        return;
      }
      case 'releasePort': {
        const port = effect.port;
        void Promise.allSettled([...this.#removals]).finally(() => ports.release(port));
        return;
      }
      case 'schedule':
        return this.#arm(effect.timer, this.#deps.clock?.ms(effect.seconds) ?? effect.seconds * 1000);
      case 'cancel':
        return this.#cancel(effect.timer);
      case 'forget':
        this.#deps.store.dynos.deleteDyno(this.#record.id);
        this.#deps.stateChanged?.(this.#record, this.#record.state, true);
        this.#wakeUpWaiters(false);
        return;
    }
  }

  #arm(timer: TimerName, ms: number): void {
    this.#cancel(timer);
    const handle = setTimeout(() => {
      this.#timers.delete(timer);
      this.#dispatch({ kind: 'timer', timer });
    }, ms);
    handle.unref();
    this.#timers.set(timer, { handle, due: Date.now() + ms });
  }

  #cancel(timer: TimerName): void {
    const pending = this.#timers.get(timer);
    if (pending) clearTimeout(pending.handle);
    this.#timers.delete(timer);
  }

  #persist(changes: DynoChanges): void {
    const now = apiTimestamp();
    this.#deps.store.dynos.updateDyno(this.#record.id, changes, now);
    const before = this.#record.state;
    this.#record = { ...this.#record, ...changes, updatedAt: now };
    if (this.#record.state !== before) {
      this.#deps.stateChanged?.(this.#record, before);
      if (this.#record.state !== 'starting') this.#wakeUpWaiters(this.#record.state === 'up');
    }
  }

  /**
   * When a daemon last heard from this dyno, in seconds: its newest stored line, else its row's last change. A dyno
   * keeps printing while no daemon runs; an adopter reads its output from here, so those lines are not lost (and the
   * lines stored before are not logged twice).
   */
  #lastHeard(): number {
    const [last] = this.#deps.logplex.history(this.appId, { source: 'app', dyno: this.name, lines: 1 });
    return Date.parse(last?.ts ?? this.#record.updatedAt) / 1000;
  }

  #context() {
    return { runtime: this.#deps.runtime, logplex: this.#deps.logplex, appId: this.appId, dyno: this.name };
  }

  async #launch(port: number, workload: Workload): Promise<string> {
    // `PORT=0`: the process binds wherever the kernel says, so `$PORT` (still probed) never answers.
    const unbound = this.#unboundNext;
    this.#unboundNext = false;
    const container = await DynoContainer.start(
      this.#context(),
      launchSpec({
        ...processLaunch(workload.artifact, this.type),
        appId: this.appId,
        appName: this.#deps.store.apps.getById(this.appId)?.name ?? this.appId,
        releaseId: workload.releaseId,
        dyno: this.name,
        role: 'dyno',
        command: workload.command,
        config: workload.config,
        port: unbound ? 0 : port,
        memoryBytes: dynoSize(workload.size).r15Mb * 1024 * 1024,
        pidsLimit: dynoSize(workload.size).pidsLimit,
        trust: this.#deps.trust,
        ...(this.#deps.extraEnv ? { extraEnv: this.#deps.extraEnv(this.#record, workload) } : {}),
      }),
    );
    this.#containers.set(container.id, container);
    return container.id;
  }

  /** SIGTERM to every process of the dyno, not only the first (Heroku's shutdown); the init passes it on too. */
  async #stop(containerId: string): Promise<void> {
    const { runtime } = this.#deps;
    await runtime
      .exec(containerId, { cmd: ['bash', '-c', 'kill -TERM -1 2>/dev/null; true'] })
      .catch((error: unknown) => this.#report(error, `SIGTERM in ${this.name}`));
    // A failed SIGTERM leaves the grace timer to end it with R12 and SIGKILL.
    await runtime.signal(containerId, 'SIGTERM').catch((error: unknown) => this.#report(error, `SIGTERM to ${this.name}`));
  }

  #report(error: unknown, what: string): void {
    this.#deps.report?.(error, what);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
