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

/** Heroku splits a dyno line longer than this many bytes into chunks of at most this many bytes (DC-limits). */
export const MAX_LINE_BYTES = 10_000;

/**
 * Splits `message` into pieces of at most `maxBytes` UTF-8 bytes, as logplex submits an over-long line: each piece
 * its own log line. A cut never falls inside a character, so a piece may be up to 3 bytes short.
 */
export function splitMessage(message: string, maxBytes: number = MAX_LINE_BYTES): string[] {
  // Every UTF-16 unit is at most 3 bytes in UTF-8: short strings need no encoding at all.
  if (message.length * 3 <= maxBytes) return [message];
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= maxBytes) return [message];
  const pieces: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + maxBytes, bytes.length);
    // Back up over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
    if (end < bytes.length) {
      let cut = end;
      while (cut > start && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
      if (cut > start) end = cut;
    }
    pieces.push(bytes.toString('utf8', start, end));
    start = end;
  }
  return pieces;
}

/**
 * The syslog PRI logplex puts on a line, as seen in real drains: the router `<158>` (local3.info), the dyno manager
 * and logplex `<134>` (local0.info), the API `<133>` (local0.notice), app output `<190>` (local7.info).
 */
export function syslogPriority(line: LogLine): number {
  if (line.source === 'heroku') return line.dyno === 'router' ? 158 : 134;
  return line.dyno === 'api' ? 133 : 190;
}

/**
 * One RFC 5424 message as logplex frames it. HTTPS drains: `<PRI>1 TS host app web.1 - MSG` (HOSTNAME `host`, no
 * structured-data field). Syslog drains: `<PRI>1 TS d.<token> app web.1 - - MSG` (the token in HOSTNAME).
 */
export function rfc5424Message(line: LogLine, kind: 'http' | 'syslog', token = ''): string {
  const head = `<${syslogPriority(line)}>1 ${line.ts}`;
  return kind === 'http'
    ? `${head} host ${line.source} ${line.dyno} - ${line.message}`
    : `${head} ${token} ${line.source} ${line.dyno} - - ${line.message}`;
}

/** RFC 6587 octet counting: `<byte length> <message>`. */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}
