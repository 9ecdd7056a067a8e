// The closed catalogue of notifications between rooms (DESIGN.md "Wiring"). Commands are direct calls;
// only these facts are broadcast, each with one payload type.
import { EventEmitter } from 'node:events';
import type { ResourceChange } from './contracts/resources.js';

export interface EventPayloads {
  /** A release became the app's current one: dynos restart onto it. */
  'release.current': { appId: string; appName: string; releaseId: string; version: number };
  /**
   * What the router serves of an app changed outside dynos/ (a rename, the maintenance switch, a custom domain):
   * dynos/ rebuilds the routing snapshot. Dyno state changes need no event: dynos/ publishes the snapshot itself.
   */
  'routing.changed': { appId: string; appName: string };
  /** An app is gone from the store: every room removes what it owns of it. */
  'app.destroyed': { appId: string; appName: string };
  /**
   * One of an app's Platform API resources (app, build, release, formation, domain) was created, updated or
   * destroyed, or a dyno changed state: what app webhooks deliver. Emitted after the change is committed.
   */
  'resource.changed': ResourceChange;
}

export type EventName = keyof EventPayloads;
export type Listener<E extends EventName> = (payload: EventPayloads[E]) => void | Promise<void>;

export class EventBus {
  readonly #emitter = new EventEmitter();
  readonly #pending = new Set<Promise<void>>();
  readonly #onError: (event: EventName, error: unknown) => void;

  constructor(onError: (event: EventName, error: unknown) => void) {
    this.#onError = onError;
    this.#emitter.setMaxListeners(50);
  }

  on<E extends EventName>(event: E, listener: Listener<E>): void {
    this.#emitter.on(event, (payload: EventPayloads[E]) => {
      // Listeners may be async; a failing one must not stop the others or crash the daemon.
      const run = Promise.resolve()
        .then(() => listener(payload))
        .catch((error: unknown) => this.#onError(event, error));
      this.#pending.add(run);
      void run.finally(() => this.#pending.delete(run));
    });
  }

  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    this.#emitter.emit(event, payload);
  }

  /** Resolves once every listener started so far has finished (tests and shutdown use it). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
