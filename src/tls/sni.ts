import { createSecureContext, type SecureContext } from 'node:tls';
import type { IssuedCertificate, LocalCa } from './ca.js';
import { normalizeHostname, normalizeIp } from './names.js';

export type SniCallback = (
  servername: string,
  cb: (err: Error | null, ctx?: SecureContext) => void,
) => void;

export interface SniOptions {
  /**
   * Names (DNS names or IP literals) of the default certificate, served to clients that send
   * no SNI (e.g. connections to an IP address). Default: `['localhost', '127.0.0.1', '::1']`.
   */
  fallbackHosts?: string[];
  /** Bound on cached per-name contexts (least recently used evicted). Default 1000. */
  maxEntries?: number;
  /**
   * Further restricts which (already validated, lowercased) names get a certificate, e.g. only
   * names the router serves. Default: every valid host name.
   */
  allow?: (servername: string) => boolean;
  /**
   * A certificate of the user's own for a (validated, lowercased) name, served instead of one from the local CA
   * (an SNI endpoint's); undefined lets the CA mint one. Asked on every handshake: keep it a lookup.
   */
  own?: (servername: string) => SecureContext | undefined;
}

export interface SniHandler {
  /** Pass as `SNICallback` to `tls.createServer` / `https.createServer`. */
  readonly SNICallback: SniCallback;
  /** The default certificate (for `fallbackHosts`): pass as the server's `cert` and `key`. */
  readonly fallback: IssuedCertificate;
  /** The context for a name, minting it if needed; `undefined` for a rejected name. */
  contextFor(servername: string): SecureContext | undefined;
  /** Number of cached contexts (for tests and metrics). */
  readonly size: number;
}

const DEFAULT_FALLBACK_HOSTS = ['localhost', '127.0.0.1', '::1'];
const DEFAULT_MAX_ENTRIES = 1000;

function splitHosts(hosts: string[]): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const host of hosts) {
    if (normalizeIp(host) !== undefined) ipAddresses.push(host);
    else dnsNames.push(host);
  }
  return { dnsNames, ipAddresses };
}

/**
 * Mints one certificate per server name on demand (Node rejects `*.localhost` wildcards) and
 * caches its SecureContext in a bounded LRU map. Names are lowercased and must be plain host
 * names (letters, digits, hyphens, dots; ≤ 253 chars) or IP literals; anything else is
 * rejected with an error, which makes Node abort that handshake.
 */
export function createSniHandler(ca: LocalCa, opts: SniOptions = {}): SniHandler {
  const maxEntries = Math.max(1, opts.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const fallbackHosts = opts.fallbackHosts ?? DEFAULT_FALLBACK_HOSTS;
  const fallback = ca.issue({ ...splitHosts(fallbackHosts) });
  const cache = new Map<string, SecureContext>();

  function contextFor(servername: string): SecureContext | undefined {
    const ip = normalizeIp(servername);
    const name = ip ?? normalizeHostname(servername);
    if (name === undefined) return undefined;
    const own = opts.own?.(name);
    if (own !== undefined) return own;
    if (opts.allow !== undefined && !opts.allow(name)) return undefined;
    const hit = cache.get(name);
    if (hit !== undefined) {
      cache.delete(name);
      cache.set(name, hit);
      return hit;
    }
    const issued = ca.issue(ip !== undefined ? { ipAddresses: [ip] } : { dnsNames: [name] });
    const ctx = createSecureContext({ cert: issued.certPem, key: issued.keyPem });
    cache.set(name, ctx);
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next();
      if (oldest.done === true) break;
      cache.delete(oldest.value);
    }
    return ctx;
  }

  const SNICallback: SniCallback = (servername, cb) => {
    let ctx: SecureContext | undefined;
    try {
      ctx = contextFor(servername);
    } catch (err) {
      cb(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (ctx === undefined) {
      cb(new Error(`tls: refusing server name ${JSON.stringify(servername.slice(0, 80))}`));
      return;
    }
    cb(null, ctx);
  };

  return {
    SNICallback,
    fallback,
    contextFor,
    get size() {
      return cache.size;
    },
  };
}

/** Just the SNICallback of {@link createSniHandler}. */
export function createSniCallback(ca: LocalCa, opts: SniOptions = {}): SniCallback {
  return createSniHandler(ca, opts).SNICallback;
}
