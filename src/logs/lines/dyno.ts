// Heroku's words for dynos (reference heroku-runtime-behaviour.md §1.2, §1.9, §1.10): every `heroku[<dyno>]` line the
// dyno manager writes (its `app[api]` lines, `Scaled to` and one-off runs, are in api.ts). Verbatim; where a number
// appears in Heroku's text (60 s boot, 30 s grace) it is the setting Berth runs with.

/** The states a dyno's log line names: the API's states plus the log-only `complete` of one-off and release dynos. */
export type LoggedDynoState = 'starting' | 'up' | 'crashed' | 'down' | 'idle' | 'complete';

export const DYNO_LINES = {
  /** Every state transition. */
  stateChanged: (from: LoggedDynoState, to: LoggedDynoState): string => `State changed from ${from} to ${to}`,
  /** Process launch; the command with `$PORT` already substituted. No colon after "command" (real logs since 2013). */
  starting: (command: string): string => `Starting process with command \`${command}\``,
  /** A restart for a new release, a config change or `ps:restart`. */
  restarting: 'Restarting',
  /** Daily cycling. */
  cycling: 'Cycling',
  /** Graceful stop: restart, scale-down, cycling. */
  sigterm: 'Stopping all processes with SIGTERM',
  /** The main process ended: 0, 1, 143 (SIGTERM), 137 (SIGKILL). */
  exited: (status: number): string => `Process exited with status ${status}`,
  /** R10: a web dyno did not bind `$PORT` in time. */
  r10: (seconds: number): string => `Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${seconds} seconds of launch`,
  /** After R10 and R15. */
  sigkill: 'Stopping process with SIGKILL',
  /** R12: the grace after SIGTERM ran out. */
  r12: (seconds: number): string => `Error R12 (Exit timeout) -> At least one process failed to exit within ${seconds} seconds of SIGTERM`,
  /** Follows the modern R12 line. */
  sigkillRemaining: 'Stopping remaining processes with SIGKILL',
  /** Before R14 and R15: `Process running mem=591M(115.5%)`. */
  memory: (bytes: number, quotaMb: number): string => {
    const mb = bytes / (1024 * 1024);
    return `Process running mem=${Math.round(mb)}M(${((mb / quotaMb) * 100).toFixed(1)}%)`;
  },
  /** Memory above the quota; the dyno keeps running. */
  r14: 'Error R14 (Memory quota exceeded)',
  /** Memory above the R15 threshold; SIGKILL follows. */
  r15: 'Error R15 (Memory quota vastly exceeded)',
  /** `log-runtime-metrics`, every sample: the dyno's load averages. */
  loadSample: (source: string, dyno: string, avg1m: number, avg5m: number, avg15m: number): string =>
    `source=${source} dyno=${dyno} sample#load_avg_1m=${avg1m.toFixed(2)} sample#load_avg_5m=${avg5m.toFixed(2)} sample#load_avg_15m=${avg15m.toFixed(2)}`,
  /** `log-runtime-metrics`, every sample: the dyno's memory, in MB (2 decimals) and pages. */
  memorySample: (source: string, dyno: string, m: { totalMb: number; rssMb: number; cacheMb: number; swapMb: number; pagesIn: number; pagesOut: number; quotaMb: number }): string =>
    `source=${source} dyno=${dyno} sample#memory_total=${m.totalMb.toFixed(2)}MB sample#memory_rss=${m.rssMb.toFixed(2)}MB ` +
    `sample#memory_cache=${m.cacheMb.toFixed(2)}MB sample#memory_swap=${m.swapMb.toFixed(2)}MB sample#memory_pgpgin=${m.pagesIn}pages ` +
    `sample#memory_pgpgout=${m.pagesOut}pages sample#memory_quota=${m.quotaMb.toFixed(2)}MB`,
  /** An attached one-off before the CLI connects. */
  awaitingClient: 'Awaiting client',
  /** `heroku run` could not attach. */
  r13: 'Error R13 (Attach error) -> Failed to attach to process',
  /** Berth's own (Heroku has no such line): the engine refused to start the container. */
  launchFailed: (message: string): string => `Error launching process: ${message}`,
} as const;
