// One dyno process in one container: started, its output pumped into logplex line by line as app[<dyno>], its exit
// reported once (after its last output). Stopping, R10, R12 and R15 belong to the dyno's state machine (lifecycle.ts).
import { connect } from 'node:net';
import type { Logplex } from '../logs/index.js';
import type { ContainerSpec, ContainerState, Runtime } from '../runtime/index.js';
import { awaitExit } from './exit-watch.js';
import { pumpLines } from './output-lines.js';

export interface DynoContainerDeps {
  readonly runtime: Pick<Runtime, 'start' | 'follow' | 'wait' | 'state' | 'remove'>;
  readonly logplex: Logplex;
  readonly appId: string;
  readonly dyno: string;
}

export class DynoContainer {
  readonly id: string;
  readonly exited: Promise<ContainerState>;
  readonly #deps: DynoContainerDeps;

  private constructor(deps: DynoContainerDeps, id: string, exited: Promise<ContainerState>) {
    this.#deps = deps;
    this.id = id;
    this.exited = exited;
    // Whoever watches the container handles a failure; this marks it handled should nobody watch any more.
    exited.catch(() => undefined);
  }

  /** Starts a container, or adopts a running one (a restarted daemon) when `adopt` names it. */
  static async start(deps: DynoContainerDeps, spec: ContainerSpec, extraSink?: (chunk: string) => void): Promise<DynoContainer> {
    const id = await deps.runtime.start(spec);
    return DynoContainer.#attach(deps, id, 0, extraSink);
  }

  /** `sinceSeconds`: when the last daemon last heard from it; what it printed after that is read (and logged) now. */
  static async adopt(deps: DynoContainerDeps, id: string, sinceSeconds: number): Promise<DynoContainer> {
    return DynoContainer.#attach(deps, id, sinceSeconds);
  }

  static async #attach(deps: DynoContainerDeps, id: string, since: number, extraSink?: (chunk: string) => void): Promise<DynoContainer> {
    const output = await deps.runtime.follow(id, since);
    const pumped = pumpLines(output, (line) => {
      deps.logplex.write(deps.appId, 'app', deps.dyno, line);
      extraSink?.(`${line}\n`);
    });
    const exited = awaitExit(deps.runtime, id).then(async (state) => {
      await pumped;
      return state;
    });
    return new DynoContainer(deps, id, exited);
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

  async remove(): Promise<void> {
    await this.#deps.runtime.remove(this.id);
  }
}
