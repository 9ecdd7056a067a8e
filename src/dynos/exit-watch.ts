// How a dyno's container ended. The engine's wait can fail without the container having ended (a connection reset):
// then the container is inspected again and the wait retried; only when the engine still cannot tell does the end
// count as unknown, and the dyno's state machine treats the container as gone (issue 11, item 5).
import type { ContainerState, Runtime } from '../runtime/index.js';

export type ExitSource = Pick<Runtime, 'wait' | 'state'>;

export interface ExitWatchOptions {
  readonly tries: number;
  readonly pauseMs: number;
}

const DEFAULTS: ExitWatchOptions = { tries: 3, pauseMs: 1000 };

/** Resolves with the container's end; rejects with the engine's last error once every try failed. */
export async function awaitExit(engine: ExitSource, id: string, options: ExitWatchOptions = DEFAULTS): Promise<ContainerState> {
  let failure: unknown;
  for (let attempt = 0; attempt < options.tries; attempt++) {
    try {
      return await engine.wait(id);
    } catch (error) {
      failure = error;
    }
    try {
      const state = await engine.state(id);
      if (!state.running) return state;
    } catch (error) {
      failure = error;
    }
    if (attempt + 1 < options.tries) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  throw failure;
}
