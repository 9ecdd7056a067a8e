// The formation dynos this daemon runs, per app and by name. Formation, recovery, the routing snapshot and the
// API's dyno list all read the same set.
import type { DynoExecutor } from './executor.js';

export class DynoSet {
  readonly #byApp = new Map<string, Map<string, DynoExecutor>>();

  /** The app's dynos by name (an empty map is kept for it). */
  of(appId: string): Map<string, DynoExecutor> {
    let dynos = this.#byApp.get(appId);
    if (!dynos) {
      dynos = new Map();
      this.#byApp.set(appId, dynos);
    }
    return dynos;
  }

  list(appId: string): DynoExecutor[] {
    return [...(this.#byApp.get(appId)?.values() ?? [])];
  }

  /** Every dyno of every app. */
  all(): DynoExecutor[] {
    return [...this.#byApp.values()].flatMap((dynos) => [...dynos.values()]);
  }

  /** Takes the app's dynos out of the set (the app is going). */
  remove(appId: string): DynoExecutor[] {
    const dynos = this.list(appId);
    this.#byApp.delete(appId);
    return dynos;
  }
}
