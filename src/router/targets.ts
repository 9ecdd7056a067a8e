// What the router derives from each routing snapshot, once per snapshot (STYLE.md "Router hot path"): per host, the
// app's route and its `up` web dynos with their keep-alive pools. A request then costs one Map lookup and a random pick.
import type { Pool } from 'undici';
import type { AppRoute, RoutingTable } from '../contracts/routing.js';
import { affinityValue } from './affinity.js';

export interface Backend {
  /** `web.1` */
  readonly name: string;
  /** The dyno's node address and `$PORT`. */
  readonly host: string;
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
 * Pools by dyno address (`host:port`), kept across snapshots while the address stays `up`; an address belongs to one
 * dyno instance (ports are unique across the whole Berth, whichever node a dyno runs on).
 *
 * undici is loaded when a dyno is first up, not when the router starts: loading it is about 100 ms of CPU, a tenth of
 * a throwaway Berth's start (`startBerth()`), spent before any app has a dyno. Until it is there (a blink after the
 * first dyno is up), that dyno counts as still booting, so its requests wait as for a booting dyno; `onLoaded` then
 * has the router build its targets again.
 */
export class Pools {
  readonly #byAddress = new Map<string, Pool>();
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
  #pool(address: string): Pool | undefined {
    let pool = this.#byAddress.get(address);
    if (pool === undefined) {
      const PoolClass = this.#Pool;
      if (PoolClass === undefined) {
        this.#load();
        return undefined;
      }
      const o = this.#options;
      pool = new PoolClass(`http://${address}`, {
        connect: { timeout: o.connectMs },
        headersTimeout: o.requestMs,
        bodyTimeout: o.idleMs,
        // Router 2.0 keeps idle connections to dynos for 90 s; a shorter Keep-Alive hint from the dyno still wins,
        // which spares the H13s Heroku warns about when an app's own idle timeout is shorter.
        keepAliveTimeout: o.keepAliveMs,
        keepAliveMaxTimeout: o.keepAliveMs,
        pipelining: 1,
      });
      this.#byAddress.set(address, pool);
    }
    return pool;
  }

  /** Builds the host map of a snapshot and closes the pools of addresses no longer up (after their requests). */
  targets(table: RoutingTable): Map<string, Target> {
    const byApp = new Map<string, Target>();
    const byHost = new Map<string, Target>();
    const live = new Set<string>();
    for (const [host, route] of table.byHost) {
      let target = byApp.get(route.appId);
      if (target === undefined) {
        const up: Backend[] = [];
        let waiting = route.dynos.length === 0;
        for (const dyno of route.dynos) {
          // An IPv6 node address would need brackets in a URL; nodes advertise IPv4 addresses.
          const address = `${dyno.host}:${dyno.port}`;
          const pool = dyno.state === 'up' ? this.#pool(address) : undefined;
          if (pool !== undefined) {
            const affinity = route.sessionAffinity === true ? affinityValue(route.appId, dyno.name, dyno.port) : undefined;
            up.push({ name: dyno.name, host: dyno.host, port: dyno.port, pool, affinity });
            live.add(address);
          } else if (dyno.state === 'up' || dyno.state === 'starting') {
            waiting = true;
          }
        }
        target = { route, up, waiting };
        byApp.set(route.appId, target);
      }
      byHost.set(host, target);
    }
    for (const [address, pool] of this.#byAddress) {
      if (live.has(address)) continue;
      this.#byAddress.delete(address);
      pool.close().catch(() => undefined);
    }
    return byHost;
  }

  /** Requests in flight or queued to dynos, and open connections (tests check nothing leaks). */
  stats(): { running: number; queued: number; connected: number } {
    let running = 0;
    let queued = 0;
    let connected = 0;
    for (const pool of this.#byAddress.values()) {
      running += pool.stats.running;
      queued += pool.stats.queued;
      connected += pool.stats.connected;
    }
    return { running, queued, connected };
  }

  async destroy(): Promise<void> {
    this.#destroyed = true;
    const pools = [...this.#byAddress.values()];
    this.#byAddress.clear();
    await Promise.allSettled(pools.map((pool) => pool.destroy()));
  }
}
