// The router panel's numbers, read from the app's log stream (the router's `heroku[router]` lines carry the status and
// the H-code): nothing is added to the router's request path. Counts run from the lines the page has seen; the rate is
// the router lines that arrived in the last RATE_WINDOW_MS.

const ROUTER_LINE = / heroku\[router\]: (.*)$/;
export const RATE_WINDOW_MS = 10_000;

export interface RouterStats {
  /** Arrival times (ms) of router lines in the rate window. */
  readonly arrivals: readonly number[];
  readonly statuses: Readonly<Record<string, number>>;
  readonly codes: Readonly<Record<string, number>>;
}

export const NO_ROUTER_STATS: RouterStats = { arrivals: [], statuses: {}, codes: {} };

/** The stats with `line` counted, if it is a router line (else the same object). */
export function countRouterLine(stats: RouterStats, line: string, now: number): RouterStats {
  const message = ROUTER_LINE.exec(line)?.[1];
  if (message === undefined) return stats;
  const status = /(?:^| )status=(\d+)/.exec(message)?.[1];
  const code = /(?:^| )code=(H\d+)/.exec(message)?.[1];
  return {
    arrivals: [...stats.arrivals.filter((at) => now - at < RATE_WINDOW_MS), now],
    statuses: status === undefined ? stats.statuses : { ...stats.statuses, [status]: (stats.statuses[status] ?? 0) + 1 },
    codes: code === undefined ? stats.codes : { ...stats.codes, [code]: (stats.codes[code] ?? 0) + 1 },
  };
}

/** Requests per second over the rate window, as of `now`. */
export function requestRate(stats: RouterStats, now: number): number {
  return stats.arrivals.filter((at) => now - at < RATE_WINDOW_MS).length / (RATE_WINDOW_MS / 1000);
}
