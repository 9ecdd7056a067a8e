import type { LogLine } from '../contracts/records.js';

/** Logplex's line format: `2026-11-26T06:33:52.203117+00:00 app[web.1]: message` (RFC 5424 time, microseconds). */
export function formatLogLine(line: LogLine): string {
  return `${line.ts} ${line.source}[${line.dyno}]: ${line.message}`;
}

let lastMicros = 0;

/**
 * Now, as logplex writes it: microsecond precision and `+00:00`. Each call is strictly later than the previous
 * one, so lines written in one millisecond keep their order when sorted by time.
 */
export function logTimestamp(now: number = performance.timeOrigin + performance.now()): string {
  let micros = Math.floor(now * 1000);
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  const iso = new Date(Math.floor(micros / 1000)).toISOString(); // 2026-11-26T06:33:52.203Z
  const fraction = String(micros % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 19)}.${fraction}+00:00`;
}
