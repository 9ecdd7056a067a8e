// Session affinity (the `http-session-affinity` feature, reference heroku-workflows.md §6.5): the router gives a new
// client a `heroku-session-affinity` cookie naming a dyno, and routes its later requests to that dyno while it is up;
// when it is gone, the client gets an updated cookie for the dyno that answered. The value is opaque, as Heroku's is.
// Only apps with the feature on pay for any of this: the cookie is looked for and values are made for them alone.
import { createHash } from 'node:crypto';

export const AFFINITY_COOKIE = 'heroku-session-affinity';
const PREFIX = `${AFFINITY_COOKIE}=`;
/** Heroku's cookie lasts a day [U: attributes as seen on real responses, `Version=1 ... Max-Age=86400; Path=/`]. */
const MAX_AGE_SECONDS = 86_400;

/** A dyno instance's cookie value: stable for its life (its port belongs to it alone), meaningless to the client. */
export function affinityValue(appId: string, dynoName: string, port: number): string {
  return createHash('sha256').update(`${appId}\0${dynoName}\0${port}`).digest('base64url').slice(0, 27);
}

/** The client's `heroku-session-affinity` value, or '' (flat raw header list: name, value, ...). */
export function requestedAffinity(rawHeaders: readonly string[]): string {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== 6 || name.toLowerCase() !== 'cookie') continue;
    const value = rawHeaders[i + 1] as string;
    // The cookie's name starts the header or follows `;`/space: `xheroku-session-affinity=` is another cookie.
    let at = value.indexOf(PREFIX);
    while (at > 0 && value[at - 1] !== ' ' && value[at - 1] !== ';') at = value.indexOf(PREFIX, at + 1);
    if (at === -1) continue;
    const start = at + PREFIX.length;
    const end = value.indexOf(';', start);
    return value.slice(start, end === -1 ? value.length : end).trim();
  }
  return '';
}

export function affinitySetCookie(value: string, now: number = Date.now()): string {
  const expires = new Date(now + MAX_AGE_SECONDS * 1000).toUTCString();
  return `${PREFIX}${value}; Version=1; Expires=${expires}; Max-Age=${MAX_AGE_SECONDS}; Path=/; HttpOnly`;
}
