// The teaching controls, one entry each: what it does to a dyno, in a line (the CLI's help, the API's answer, the
// README's lesson). Each acts through a real event and leaves the Heroku lines to the dyno manager, which writes them
// exactly as it does when an app misbehaves on its own.

export const CHAOS_KINDS = {
  crash: 'the dyno\'s processes die of a signal (SIGKILL unless told), or its main process exits with a chosen status: "Process exited with status 137", then crashed and restarted',
  'ignore-sigterm': 'the dyno\'s processes freeze, so SIGTERM stays pending, and the dyno restarts: Error R12 (Exit timeout), then SIGKILL',
  memory: 'a process in the dyno takes memory above its quota (Error R14), then past twice the quota (Error R15, SIGKILL)',
  'no-bind': 'the dyno restarts with PORT=0, so its process binds a port the kernel picks, never $PORT: Error R10 (Boot timeout)',
  cycle: 'daily cycling, now: "Cycling", SIGTERM and a fresh instance',
  hang: 'the dyno\'s processes freeze: requests to it time out (H12 Request timeout); a restart then ends in R12',
  'slow-router': 'the router waits before forwarding each request to the app (35 seconds unless told; 0 ends it): past its 30 s, H12 Request timeout',
} as const;

export type ChaosKind = keyof typeof CHAOS_KINDS;

export function isChaosKind(kind: string): kind is ChaosKind {
  return Object.hasOwn(CHAOS_KINDS, kind);
}

/** The signals a crash may use and the exit status each leaves (128 + its number). */
export const CRASH_SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGKILL: 137, SIGTERM: 143 } as const;

export type CrashSignal = keyof typeof CRASH_SIGNALS;
