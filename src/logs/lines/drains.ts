// Heroku's logplex error codes (heroku-runtime-behaviour.md, L-codes): the lines logplex writes as `heroku[logplex]`
// when it drops lines. Only the codes Berth's logplex can produce are listed: L10 (a drain's buffer overflowed) and
// L11 (a tail session's buffer overflowed).

type LogplexCode = 'L10' | 'L11';

/** Each code's description, as it appears in parentheses in the line. */
const LOGPLEX_CODES: Readonly<Record<LogplexCode, string>> = {
  L10: 'output buffer overflow',
  L11: 'Tail buffer overflow',
};

/** A time as the L-code lines write it: `2013-04-17T19:04:46+00:00`. */
function secondsTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

/** `Error L10 (output buffer overflow): 500 messages dropped since 2013-04-17T19:04:46+00:00.` */
export function l10Message(dropped: number, sinceMs: number): string {
  return `Error L10 (${LOGPLEX_CODES.L10}): ${dropped} messages dropped since ${secondsTimestamp(sinceMs)}.`;
}

/** `Error L11 (Tail buffer overflow) -> This tail session dropped 1101 messages since 2011-05-03T17:35:00+00:00.` */
export function l11Message(dropped: number, sinceMs: number): string {
  return `Error L11 (${LOGPLEX_CODES.L11}) -> This tail session dropped ${dropped} messages since ${secondsTimestamp(sinceMs)}.`;
}
