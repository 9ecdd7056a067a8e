// One formation dyno (`web.1`) over its life: instances come and go (restarts, crashes, cycling), the name stays.
// Every transition writes Heroku's `heroku[web.1]` line and updates the dyno's row, which the routing snapshot
// is built from. Operations on one slot run one at a time.
import { randomUUID } from 'node:crypto';
import { apiTimestamp } from '../clock.js';
import type { ConfigVars, DynoRecord } from '../contracts/records.js';
import type { DynoState } from '../contracts/routing.js';
import type { Logplex } from '../logs/index.js';
import type { ContainerState, ContainerTrust, Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import { DynoContainer } from './container.js';
import { displayCommand, launchSpec } from './launch.js';
import type { PortPool } from './ports.js';
import { dynoSize } from './sizes.js';

export interface SlotTimings {
  readonly bootTimeoutSeconds: number;
  readonly stopGraceSeconds: number;
  readonly crashCooloffSeconds: readonly number[];
  readonly crashResetSeconds: number;
  readonly cycleSeconds: number;
  readonly memorySampleSeconds: number;
}

export interface SlotDeps {
  readonly runtime: Runtime;
  readonly store: Store;
  readonly logplex: Logplex;
  readonly ports: PortPool;
  readonly trust: ContainerTrust;
  readonly timings: SlotTimings;
  /** Called after every state change (the routing snapshot is rebuilt). */
  readonly changed: (appId: string) => void;
}

/** What the slot runs: the release's slug image, its config, the formation's command and size. */
export interface SlotRelease {
  readonly releaseId: string;
  readonly version: number;
  readonly image: string;
  readonly config: ConfigVars;
  readonly command: string;
  readonly size: string;
}

export class DynoSlot {
  readonly appId: string;
  readonly name: string;
  readonly type: string;
  #record: DynoRecord;
  #release: SlotRelease;
  #instance: DynoContainer | undefined;
  #crashes = 0;
  #timers = new Set<NodeJS.Timeout>();
  #chain: Promise<unknown> = Promise.resolve();
  #retired = false;
  readonly #deps: SlotDeps;

  constructor(deps: SlotDeps, appId: string, name: string, release: SlotRelease, record?: DynoRecord) {
    this.#deps = deps;
    this.appId = appId;
    this.name = name;
    this.type = name.slice(0, name.lastIndexOf('.'));
    this.#release = release;
    const now = apiTimestamp();
    this.#record = record ?? {
      id: randomUUID(),
      appId,
      name,
      type: this.type,
      command: release.command,
      size: release.size,
      state: 'starting',
      releaseId: release.releaseId,
      releaseVersion: release.version,
      containerId: null,
      port: null,
      attachSecret: null,
      createdAt: now,
      updatedAt: now,
    };
    if (!record) deps.store.dynos.insertDyno(this.#record);
  }

  get record(): DynoRecord {
    return this.#record;
  }

  #say(line: string): void {
    this.#deps.logplex.write(this.appId, 'heroku', this.name, line);
  }

  #setState(state: DynoState, log = true): void {
    const previous = this.#record.state;
    if (log && previous !== state) this.#say(`State changed from ${previous} to ${state}`);
    this.#update({ state });
  }

  #update(changes: { state?: DynoState; containerId?: string | null; port?: number | null }): void {
    const now = apiTimestamp();
    this.#deps.store.dynos.updateDyno(this.#record.id, changes, now);
    this.#record = {
      ...this.#record,
      ...changes,
      updatedAt: now,
      releaseId: this.#release.releaseId,
      releaseVersion: this.#release.version,
      command: this.#release.command,
      size: this.#release.size,
    };
    this.#deps.changed(this.appId);
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #later(seconds: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      work();
    }, seconds * 1000);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Launches a fresh instance (state starting → up, or crashed). */
  boot(): Promise<void> {
    return this.#serial(() => this.#boot());
  }

  async #boot(): Promise<void> {
    if (this.#retired) return;
    const { runtime, logplex, ports, trust, timings } = this.#deps;
    const release = this.#release;
    const port = await ports.take();
    if (this.#record.state !== 'starting') this.#setState('starting');
    this.#say(`Starting process with command \`${displayCommand(release.command, port)}\``);
    const size = dynoSize(release.size);
    let instance: DynoContainer;
    try {
      instance = await DynoContainer.start(
        { runtime, logplex, appId: this.appId, dyno: this.name },
        launchSpec({
          image: release.image,
          appId: this.appId,
          releaseId: release.releaseId,
          dyno: this.name,
          role: 'dyno',
          command: release.command,
          config: release.config,
          port,
          memoryBytes: size.r15Mb * 1024 * 1024,
          pidsLimit: size.pidsLimit,
          trust,
        }),
      );
    } catch (error) {
      ports.release(port);
      this.#say(`Error launching process: ${(error as Error).message}`);
      this.#setState('crashed');
      return;
    }
    this.#instance = instance;
    this.#update({ containerId: instance.id, port });
    void instance.exited.then((state) => this.#serial(() => this.#onExit(instance, state)));
    this.#later(timings.cycleSeconds, () => void this.restart('Cycling'));
    if (this.type === 'web') void this.#awaitBind(instance, port);
    else this.#becameUp(instance);
  }

  async #awaitBind(instance: DynoContainer, port: number): Promise<void> {
    const deadline = Date.now() + this.#deps.timings.bootTimeoutSeconds * 1000;
    while (this.#instance === instance && !instance.stopping) {
      if (await DynoContainer.probe(port)) {
        if (this.#instance === instance && !instance.stopping) this.#becameUp(instance);
        return;
      }
      if (Date.now() >= deadline) {
        void this.#serial(async () => {
          if (this.#instance !== instance || instance.stopping) return;
          this.#say(
            `Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${this.#deps.timings.bootTimeoutSeconds} seconds of launch`,
          );
          this.#say('Stopping process with SIGKILL');
          const state = await instance.kill();
          await this.#onExit(instance, state);
        });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  #becameUp(instance: DynoContainer): void {
    if (this.#instance !== instance) return;
    this.#setState('up');
    this.#later(this.#deps.timings.crashResetSeconds, () => {
      if (this.#instance === instance && this.#record.state === 'up') this.#crashes = 0;
    });
    this.#sampleMemory(instance);
  }

  #sampleMemory(instance: DynoContainer): void {
    const size = dynoSize(this.#release.size);
    const sample = async () => {
      if (this.#instance !== instance || instance.stopping) return;
      const bytes = await this.#deps.runtime.memoryBytes(instance.id);
      if (bytes !== undefined && bytes > size.memoryMb * 1024 * 1024 && this.#instance === instance) {
        this.#say(memoryLine(bytes, size.memoryMb));
        this.#say('Error R14 (Memory quota exceeded)');
      }
      this.#later(this.#deps.timings.memorySampleSeconds, () => void sample());
    };
    this.#later(Math.min(1, this.#deps.timings.memorySampleSeconds), () => void sample());
  }

  /** The instance's process ended without being asked to: a crash, restarted on Heroku's schedule. */
  async #onExit(instance: DynoContainer, state: ContainerState): Promise<void> {
    if (this.#instance !== instance || instance.stopping) return;
    this.#instance = undefined;
    this.#clearTimers();
    if (state.oomKilled) {
      const size = dynoSize(this.#release.size);
      this.#say(memoryLine(size.r15Mb * 1024 * 1024, size.memoryMb));
      this.#say('Error R15 (Memory quota vastly exceeded)');
      this.#say('Stopping process with SIGKILL');
    }
    this.#say(`Process exited with status ${state.exitCode}`);
    await instance.remove();
    this.#deps.ports.release(this.#record.port);
    this.#update({ containerId: null, port: null });
    this.#setState('crashed');
    if (this.#retired) return;
    this.#crashes += 1;
    const wait = this.#crashes === 1 ? 0 : this.#cooloff(this.#crashes - 2);
    const relaunch = () =>
      void this.#serial(async () => {
        if (this.#retired || this.#record.state !== 'crashed') return;
        this.#setState('starting');
        await this.#boot();
      });
    if (wait === 0) relaunch();
    else this.#later(wait, relaunch);
  }

  #cooloff(index: number): number {
    const ladder = this.#deps.timings.crashCooloffSeconds;
    return ladder[Math.min(index, ladder.length - 1)] ?? 0;
  }

  /** A new release, a config change, `ps:restart` or daily cycling: `Restarting` (or `Cycling`), then a fresh instance. */
  restart(reason: 'Restarting' | 'Cycling' = 'Restarting', release?: SlotRelease): Promise<void> {
    return this.#serial(async () => {
      if (this.#retired) return;
      if (release) this.#release = release;
      // A restart resets the crash cool-off, as Heroku's policy says.
      this.#crashes = 0;
      this.#clearTimers();
      const instance = this.#instance;
      if (instance) {
        this.#say(reason);
        this.#setState('starting');
        await this.#stopInstance(instance);
      } else if (this.#record.state === 'crashed' || this.#record.state === 'down') {
        this.#setState('starting');
      }
      await this.#boot();
    });
  }

  /** Scale-down or app destruction: `State changed from up to down`, then the shutdown; the slot is finished. */
  retire(): Promise<void> {
    this.#retired = true;
    return this.#serial(async () => {
      this.#clearTimers();
      const instance = this.#instance;
      this.#setState('down');
      if (instance) await this.#stopInstance(instance);
      this.#deps.store.dynos.deleteDyno(this.#record.id);
      this.#deps.changed(this.appId);
    });
  }

  /** `ps:stop`: the instance stops; the dyno manager starts it again, as in the Common Runtime. */
  stopAndRestart(): Promise<void> {
    return this.restart('Restarting');
  }

  async #stopInstance(instance: DynoContainer): Promise<void> {
    this.#instance = undefined;
    const state = await instance.stop(this.#deps.timings.stopGraceSeconds, (line) => this.#say(line));
    this.#say(`Process exited with status ${state.exitCode}`);
    await instance.remove();
    this.#deps.ports.release(this.#record.port);
    this.#update({ containerId: null, port: null });
  }

  /** A daemon restart found this dyno's container still running: keep it, keep its port. */
  async adopt(containerId: string, port: number): Promise<void> {
    return this.#serial(async () => {
      const { runtime, logplex, ports } = this.#deps;
      ports.claim(port);
      const instance = await DynoContainer.adopt({ runtime, logplex, appId: this.appId, dyno: this.name }, containerId);
      this.#instance = instance;
      void instance.exited.then((state) => this.#serial(() => this.#onExit(instance, state)));
      this.#later(this.#deps.timings.cycleSeconds, () => void this.restart('Cycling'));
      if (this.#record.state === 'up') this.#sampleMemory(instance);
      else if (this.type === 'web') void this.#awaitBind(instance, port);
      else this.#becameUp(instance);
    });
  }

  /**
   * A daemon restart found this dyno's container gone (it died while no daemon watched it): it counts as a crash,
   * restarted at once, as a first crash is.
   */
  restartLost(): Promise<void> {
    return this.#serial(async () => {
      if (this.#retired) return;
      this.#update({ containerId: null, port: null });
      if (this.#record.state !== 'crashed') this.#setState('crashed');
      this.#crashes = 1;
      this.#setState('starting');
      await this.#boot();
    });
  }

  /** Daemon shutdown: leave the container running for the next daemon to adopt. */
  detach(): void {
    this.#retired = true;
    this.#clearTimers();
    this.#instance = undefined;
  }
}

/** `Process running mem=591M(115.5%)` */
function memoryLine(bytes: number, quotaMb: number): string {
  const mb = bytes / (1024 * 1024);
  return `Process running mem=${Math.round(mb)}M(${((mb / quotaMb) * 100).toFixed(1)}%)`;
}
