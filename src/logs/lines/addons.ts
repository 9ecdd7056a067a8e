// Berth's words for what happens to an add-on's server under a running app. Heroku writes its data services' lines as
// `app[heroku-postgres]` / `app[heroku-redis]` with a `source=<ATTACHMENT> addon=<name>` prefix (its metrics lines);
// these lines take that source and prefix. The sentences are Berth's own: Heroku does not document lines for a
// server that stops and comes back (its HA failover says nothing in the app's log), so these are [U], documented in
// README "Add-ons".

/** The log source (`dyno` field) of an add-on's lines: `heroku-postgres`, `heroku-redis`. */
export const addonLogSource = (kind: 'postgresql' | 'redis'): string => (kind === 'postgresql' ? 'heroku-postgres' : 'heroku-redis');

const prefix = (attachment: string, addon: string): string => `source=${attachment} addon=${addon}`;

export const ADDON_LINES = {
  /** Berth noticed the server stopped on its own (killed, crashed): `exit_status` as the engine reports it. */
  serverStopped: (attachment: string, addon: string, exitCode: number): string =>
    `${prefix(attachment, addon)} The server stopped unexpectedly (exit status ${exitCode}); starting it again on its data`,
  /** The restarted server answers queries again; the app's connections may reconnect. */
  serverAvailable: (attachment: string, addon: string): string => `${prefix(attachment, addon)} The server is available again with its data`,
  /** Stopped too often in one daemon run: left down until the daemon next starts. */
  serverDown: (attachment: string, addon: string, restarts: number): string =>
    `${prefix(attachment, addon)} The server stopped ${restarts} times; it stays down until Berth restarts`,
  /** `addons:upgrade`: the server is restarted with the new plan's connection limit. */
  planChanged: (attachment: string, addon: string, from: string, to: string, connections: number): string =>
    `${prefix(attachment, addon)} Plan changed from ${from} to ${to}: the server restarts with a limit of ${connections} connections`,
} as const;
