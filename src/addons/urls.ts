// The URLs an attachment's config var carries, in Heroku's shapes: `postgres://user:pass@host:port/db` (the CLI's pg
// commands ignore other schemes) and `rediss://:pass@host:port` (every Key-Value Store plan requires TLS since
// December 2024; the same server also answers plain TCP on the port before the TLS one: `redis://:pass@127.0.0.1:<port - 1>`).
import type { AddonRecord } from '../store/index.js';

export function addonUrl(addon: Pick<AddonRecord, 'service' | 'username' | 'password' | 'port' | 'database'>): string {
  if (addon.service === 'heroku-redis') return `rediss://:${addon.password}@127.0.0.1:${addon.port + 1}`;
  return `postgres://${addon.username}:${addon.password}@127.0.0.1:${addon.port}/${addon.database}`;
}

