// One dyno process in one container: started, its output pumped into logplex line by line as app[<dyno>], its exit
// reported once. Stopping follows Heroku: SIGTERM to every process, the grace period, then R12 and SIGKILL.
import { connect } from 'node:net';
import type { Logplex } from '../logs/index.js';
import type { ContainerSpec, ContainerState, Runtime } from '../runtime/index.js';
import { pumpLines } from './output-lines.js';

export interface DynoContainerDeps {
  readonly runtime: Runtime;
  readonly logplex: Logplex;
  readonly appId: string;
  readonly dyno: string;
}

export class DynoContainer {
  readonly id: string;
  readonly exited: Promise<ContainerState>;
  #stopping = false;
  readonly #deps: DynoContainerDeps;

  private constructor(deps: DynoContainerDeps, id: string, exited: Promise<ContainerState>) {
    this.#deps = deps;
    this.id = id;
    this.exited = exited;
  }

  /** Starts a container, or adopts a running one (a restarted daemon) when `adopt` names it. */
  static async start(deps: DynoContainerDeps, spec: ContainerSpec, extraSink?: (chunk: string) => void): Promise<DynoContainer> {
    const id = await deps.runtime.start(spec);
    return DynoContainer.#attach(deps, id, 0, extraSink);
  }

  static async adopt(deps: DynoContainerDeps, id: string): Promise<DynoContainer> {
    return DynoContainer.#attach(deps, id, Math.floor(Date.now() / 1000));
  }

  static async #attach(deps: DynoContainerDeps, id: string, since: number, extraSink?: (chunk: string) => void): Promise<DynoContainer> {
    const output = await deps.runtime.follow(id, since);
    const pumped = pumpLines(output, (line) => {
      deps.logplex.write(deps.appId, 'app', deps.dyno, line);
      extraSink?.(`${line}\n`);
    });
    const exited = deps.runtime.wait(id).then(async (state) => {
      await pumped;
      return state;
    });
    return new DynoContainer(deps, id, exited);
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** True once something accepts connections on 127.0.0.1:port. */
  static probe(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.setTimeout(1000);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
  }

  /**
   * SIGTERM to all processes; after `graceSeconds` without an exit, R12 and SIGKILL. Resolves with the exit once the
   * container is gone. `heroku` lines go through `say`.
   */
  async stop(graceSeconds: number, say: (line: string) => void): Promise<ContainerState> {
    this.#stopping = true;
    say('Stopping all processes with SIGTERM');
    // Every process in the dyno gets SIGTERM, not only the first (Heroku's shutdown); the init passes it on too.
    await this.#deps.runtime.exec(this.id, { cmd: ['bash', '-c', 'kill -TERM -1 2>/dev/null; true'] }).catch(() => undefined);
    await this.#deps.runtime.signal(this.id, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceSeconds * 1000);
    });
    const first = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') {
      say(`Error R12 (Exit timeout) -> At least one process failed to exit within ${graceSeconds} seconds of SIGTERM`);
      say('Stopping remaining processes with SIGKILL');
      await this.#deps.runtime.signal(this.id, 'SIGKILL');
    }
    const state = await this.exited;
    return state;
  }

  /** SIGKILL without a shutdown (R10): the exit is then handled as a crash. */
  async kill(): Promise<ContainerState> {
    await this.#deps.runtime.signal(this.id, 'SIGKILL');
    return this.exited;
  }

  async remove(): Promise<void> {
    await this.#deps.runtime.remove(this.id);
  }
}
