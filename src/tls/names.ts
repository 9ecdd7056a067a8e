import { isIP } from 'node:net';

/** Longest host name we accept (RFC 1035: 253 characters without the trailing dot). */
const MAX_HOSTNAME = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Normalises a DNS host name (lowercase, no trailing dot) and returns it, or `undefined`
 * when it is not a plain host name: only letters, digits and hyphens, labels of 1-63
 * characters not starting or ending with a hyphen, 253 characters at most. IP literals
 * are not host names (see {@link normalizeIp}).
 */
export function normalizeHostname(raw: string): string | undefined {
  if (raw.length === 0 || raw.length > MAX_HOSTNAME + 1) return undefined;
  let name = raw.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0 || name.length > MAX_HOSTNAME) return undefined;
  if (isIP(name) !== 0) return undefined;
  const labels = name.split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) return undefined;
  }
  // The last label of a real name is never all digits (that would be an IPv4-ish literal).
  const last = labels[labels.length - 1];
  if (last === undefined || /^[0-9]+$/.test(last)) return undefined;
  return name;
}

/** Returns the IP literal (v4 or v6) unchanged when valid, else `undefined`. */
export function normalizeIp(raw: string): string | undefined {
  return isIP(raw) !== 0 ? raw.toLowerCase() : undefined;
}
