// API authentication: `Authorization: Bearer <key>` (the heroku CLI) or HTTP Basic with the key as the password
// and any user name (heroku-client sends `:<key>`, git sends `heroku:<key>`).
import { timingSafeEqual } from 'node:crypto';

export function credentialFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space === -1) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

export function isAuthorized(header: string | undefined, apiKey: string): boolean {
  const given = credentialFrom(header);
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(apiKey);
  return a.length === b.length && timingSafeEqual(a, b);
}
