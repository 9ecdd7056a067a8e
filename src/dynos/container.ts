// One dyno process in one container: started, its output pumped into logplex line by line as app[<dyno>], its exit
// reported once (after its last output), and where its ports are reached (its node's address: this machine's loopback
// on the single engine, another machine's address on a swarm). Stopping, R10, R12 and R15 belong to the dyno's state
// machine (lifecycle.ts).
import { connect } from 'node:net';
import type { Logplex } from '../logs/index.js';
import type { ContainerSpec, ContainerState, Runtime } from '../runtime/index.js';
import { awaitExit } from './exit-watch.js';
import { pumpLines } from './output-lines.js';

export interface DynoContainerDeps {
  readonly runtime: Pick<Runtime, 'start' | 'follow' | 'wait' | 'state' | 'remove' | 'nodeAddress'>;
  readonly logplex: Logplex;
  readonly appId: string;
  readonly dyno: string;
}

export class DynoContainer {
  readonly id: string;
  /** Where its `$PORT` is reached; undefined when the container was gone already (its watch then reports the end). */
  readonly node: string | undefined;
  readonly exited: Promise<ContainerState>;
  readonly #deps: DynoContainerDeps;

  private constructor(deps: DynoContainerDeps, id: string, node: string | undefined, exited: Promise<ContainerState>) {
    this.#deps = deps;
    this.id = id;
    this.node = node;
    this.exited = exited;
    // Whoever watches the container handles a failure; this marks it handled should nobody watch any more.
    exited.catch(() => undefined);
  }

  /** Starts a container, or adopts a running one (a restarted daemon) when `adopt` names it. */
  static async start(deps: DynoContainerDeps, spec: ContainerSpec, extraSink?: (chunk: string) => void): Promise<DynoContainer> {
    const id = await deps.runtime.start(spec);
    try {
      return await DynoContainer.#attach(deps, id, 0, extraSink);
    } catch (error) {
      // Nobody would watch it: it goes, and the launch fails.
      await deps.runtime.remove(id).catch(() => undefined);
      throw error;
    }
  }

  /** `sinceSeconds`: when the last daemon last heard from it; what it printed after that is read (and logged) now. */
  static async adopt(deps: DynoContainerDeps, id: string, sinceSeconds: number): Promise<DynoContainer> {
    const container = await DynoContainer.#attach(deps, id, sinceSeconds);
    if (container.node === undefined) throw new Error(`container ${id} is gone`);
    return container;
  }

  static async #attach(deps: DynoContainerDeps, id: string, since: number, extraSink?: (chunk: string) => void): Promise<DynoContainer> {
    const node = await deps.runtime.nodeAddress(id);
    const output = await deps.runtime.follow(id, since);
    const pumped = pumpLines(output, (line) => {
      deps.logplex.write(deps.appId, 'app', deps.dyno, line);
      extraSink?.(`${line}\n`);
    });
    const exited = awaitExit(deps.runtime, id).then(async (state) => {
      await pumped;
      return state;
    });
    return new DynoContainer(deps, id, node, exited);
  }

  /** True once something accepts connections on host:port (the dyno's node address and `$PORT`). */
  static probe(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host, port });
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
