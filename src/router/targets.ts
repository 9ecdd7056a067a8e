// What the router derives from each routing snapshot, once per snapshot (STYLE.md "Router hot path"): per host, the
// app's route and its `up` web dynos with their keep-alive pools. A request then costs one Map lookup and a random pick.
import type { Pool } from 'undici';
import type { AppRoute, RoutingTable } from '../contracts/routing.js';
import { affinityValue } from './affinity.js';

export interface Backend {
  /** `web.1` */
  readonly name: string;
  readonly port: number;
  readonly pool: Pool;
  /** Its `heroku-session-affinity` value, only when the app has session affinity on. */
  readonly affinity: string | undefined;
}

export interface Target {
  readonly route: AppRoute;
  /** The `up` web dynos. */
  readonly up: readonly Backend[];
  /** No dyno is up but one may come: a dyno is `starting` (or the formation's dynos are not there yet). */
  readonly waiting: boolean;
}

export interface PoolOptions {
  readonly connectMs: number;
  readonly requestMs: number;
  readonly idleMs: number;
  readonly keepAliveMs: number;
}

/** `undefined`: dispatch to a dyno; `wait`: park until a dyno is up (H20 after the boot timeout); else the code. */
export type Decision = undefined | 'wait' | 'H80' | 'H14' | 'H10';

export function decide(target: Target): Decision {
  const route = target.route;
  if (route.maintenance) return 'H80';
  if (route.webQuantity === 0) return 'H14';
  if (target.up.length > 0) return undefined;
  return target.waiting ? 'wait' : 'H10';
}

export function pick(up: readonly Backend[]): Backend {
  return (up.length === 1 ? up[0] : up[Math.floor(Math.random() * up.length)]) as Backend;
}

/** With session affinity: the up dyno the client's cookie value names, else one at random. */
export function pickPinned(up: readonly Backend[], requested: string): Backend {
  if (requested !== '') {
    for (const backend of up) if (backend.affinity === requested) return backend;
  }
  return pick(up);
}

/**
 * Pools by dyno port, kept across snapshots while the port stays `up`; a port belongs to one dyno instance.
 *
 * undici is loaded when a dyno is first up, not when the router starts: loading it is about 100 ms of CPU, a tenth of
 * a throwaway Berth's start (`startBerth()`), spent before any app has a dyno. Until it is there (a blink after the
 * first dyno is up), that dyno counts as still booting, so its requests wait as for a booting dyno; `onLoaded` then
 * has the router build its targets again.
 */
export class Pools {
  readonly #byPort = new Map<number, Pool>();
  readonly #options: PoolOptions;
  readonly #onLoaded: (error?: unknown) => void;
  #Pool: typeof Pool | undefined;
  #loading = false;
  #destroyed = false;

  constructor(options: PoolOptions, onLoaded: (error?: unknown) => void) {
    this.#options = options;
    this.#onLoaded = onLoaded;
  }

  #load(): void {
    if (this.#loading) return;
    this.#loading = true;
    import('./undici.js').then(
      ({ Pool }) => {
        this.#Pool = Pool;
        if (!this.#destroyed) this.#onLoaded();
      },
      (error: unknown) => {
        this.#loading = false;
        this.#onLoaded(error);
      },
    );
  }

  /** The dyno's pool; undefined while undici is still loading. */
  #pool(port: number): Pool | undefined {
    let pool = this.#byPort.get(port);
    if (pool === undefined) {
      const PoolClass = this.#Pool;
      if (PoolClass === undefined) {
        this.#load();
        return undefined;
      }
      const o = this.#options;
      pool = new PoolClass(`http://127.0.0.1:${port}`, {
        connect: { timeout: o.connectMs },
        headersTimeout: o.requestMs,
        bodyTimeout: o.idleMs,
        // Router 2.0 keeps idle connections to dynos for 90 s; a shorter Keep-Alive hint from the dyno still wins,
        // which spares the H13s Heroku warns about when an app's own idle timeout is shorter.
        keepAliveTimeout: o.keepAliveMs,
        keepAliveMaxTimeout: o.keepAliveMs,
        pipelining: 1,
      });
      this.#byPort.set(port, pool);
    }
    return pool;
  }

  /** Builds the host map of a snapshot and closes the pools of ports that are no longer up (after their requests). */
  targets(table: RoutingTable): Map<string, Target> {
    const byApp = new Map<string, Target>();
    const byHost = new Map<string, Target>();
    const live = new Set<number>();
    for (const [host, route] of table.byHost) {
      let target = byApp.get(route.appId);
      if (target === undefined) {
        const up: Backend[] = [];
        let waiting = route.dynos.length === 0;
        for (const dyno of route.dynos) {
          const pool = dyno.state === 'up' ? this.#pool(dyno.port) : undefined;
          if (pool !== undefined) {
            const affinity = route.sessionAffinity === true ? affinityValue(route.appId, dyno.name, dyno.port) : undefined;
            up.push({ name: dyno.name, port: dyno.port, pool, affinity });
            live.add(dyno.port);
          } else if (dyno.state === 'up' || dyno.state === 'starting') {
            waiting = true;
          }
        }
        target = { route, up, waiting };
        byApp.set(route.appId, target);
      }
      byHost.set(host, target);
    }
    for (const [port, pool] of this.#byPort) {
      if (live.has(port)) continue;
      this.#byPort.delete(port);
      pool.close().catch(() => undefined);
    }
    return byHost;
  }

  /** Requests in flight or queued to dynos, and open connections (tests check nothing leaks). */
  stats(): { running: number; queued: number; connected: number } {
    let running = 0;
    let queued = 0;
    let connected = 0;
    for (const pool of this.#byPort.values()) {
      running += pool.stats.running;
      queued += pool.stats.queued;
      connected += pool.stats.connected;
    }
    return { running, queued, connected };
  }

  async destroy(): Promise<void> {
    this.#destroyed = true;
    const pools = [...this.#byPort.values()];
    this.#byPort.clear();
    await Promise.allSettled(pools.map((pool) => pool.destroy()));
  }
}
