// The routing snapshot (DESIGN.md "The routing snapshot"): per app, an immutable value of its hosts, maintenance, web
// quantity and each web dyno's name, state, node address and port. The router swaps it in; it never asks anything per request.
import type { AppRoute, RoutingSource, RoutingTable } from '../contracts/routing.js';
import type { Store } from '../store/index.js';
import type { DynoSet } from './dyno-set.js';

export interface RoutingDeps {
  readonly store: Pick<Store, 'apps' | 'dynos'>;
  readonly dynos: DynoSet;
  /** Host names of an app beyond `<app>.localhost` (custom domains). */
  readonly extraHosts?: (appId: string) => readonly string[];
  /** Whether the app has `http-session-affinity` on (features/, through the composition root). */
  readonly sessionAffinity?: (appId: string) => boolean;
}

export class RoutingPublisher implements RoutingSource {
  readonly #deps: RoutingDeps;
  #table: RoutingTable = { byHost: new Map() };
  readonly #listeners = new Set<(table: RoutingTable) => void>();
  #queued = false;

  constructor(deps: RoutingDeps) {
    this.#deps = deps;
  }

  current(): RoutingTable {
    return this.#table;
  }

  subscribe(listener: (table: RoutingTable) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A dyno of the app changed state or port: the table is rebuilt. */
  dynoChanged(_appId: string): void {
    this.republish();
  }

  /** Rebuilds the table soon; many changes in one tick make one table. */
  republish(): void {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      this.#table = this.#build();
      for (const listener of this.#listeners) listener(this.#table);
    });
  }

  #build(): RoutingTable {
    const { store, dynos, extraHosts, sessionAffinity } = this.#deps;
    const byHost = new Map<string, AppRoute>();
    for (const app of store.apps.list()) {
      const web = store.dynos.formation(app.id).find((f) => f.type === 'web');
      const hosts = [`${app.name}.localhost`, ...(extraHosts?.(app.id) ?? [])].map((h) => h.toLowerCase());
      const route: AppRoute = {
        appId: app.id,
        appName: app.name,
        hosts,
        maintenance: app.maintenance,
        webQuantity: web?.quantity ?? 0,
        dynos: dynos
          .list(app.id)
          .filter((dyno) => dyno.type === 'web')
          .map((dyno) => ({ name: dyno.name, state: dyno.record.state, host: dyno.host ?? '', port: dyno.record.port ?? 0 })),
        ...(sessionAffinity?.(app.id) === true ? { sessionAffinity: true } : {}),
      };
      for (const host of hosts) byHost.set(host, route);
    }
    return { byHost };
  }
}
