// The routing snapshot (DESIGN.md "The routing snapshot"): dynos/ publishes it, the router only reads it.
// Every value is immutable; a change publishes a whole new table, which the router swaps in at once.

export type DynoState = 'starting' | 'up' | 'crashed' | 'down' | 'idle';

export interface RoutedDyno {
  /** `web.1` */
  readonly name: string;
  readonly state: DynoState;
  /**
   * Where the dyno is reached: the address of the node its container runs on (127.0.0.1 on the single engine, a
   * swarm node's address otherwise); empty while it has no running instance.
   */
  readonly host: string;
  /** The dyno's `$PORT` on that host (0 while it has no running instance). */
  readonly port: number;
}

export interface AppRoute {
  readonly appId: string;
  readonly appName: string;
  /** Lower-case host names that reach this app: `<app>.localhost` and its custom domains. */
  readonly hosts: readonly string[];
  readonly maintenance: boolean;
  /** The formation's web quantity (0 means H14, "no web dynos running"). */
  readonly webQuantity: number;
  /** The web dynos, in every state, so the router can tell H10 (all crashed) from H20 (still starting). */
  readonly dynos: readonly RoutedDyno[];
  /** `http-session-affinity` is on: the router pins a client to a dyno with its `heroku-session-affinity` cookie. */
  readonly sessionAffinity?: boolean;
}

export interface RoutingTable {
  /** By lower-case host name, without port. */
  readonly byHost: ReadonlyMap<string, AppRoute>;
}

export interface RoutingSource {
  current(): RoutingTable;
  /** Called with each new table; returns an unsubscribe function. */
  subscribe(listener: (table: RoutingTable) => void): () => void;
}
