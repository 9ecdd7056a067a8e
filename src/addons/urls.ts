// The URLs an attachment's config var carries, in Heroku's shapes: `postgres://user:pass@host:port/db` (the CLI's pg
// commands ignore other schemes) and `rediss://:pass@host:port` (every Key-Value Store plan requires TLS since
// December 2024; the same server also answers plain TCP on the port before the TLS one: `redis://:pass@<host>:<port - 1>`).
// The host is the manager's advertise address (BERTH_ADVERTISE_ADDRESS, 127.0.0.1 by default), which a dyno on any
// node reaches and the add-on servers listen on.
import type { AddonRecord } from '../store/index.js';

export function addonUrl(addon: Pick<AddonRecord, 'service' | 'username' | 'password' | 'port' | 'database'>, host: string): string {
  if (addon.service === 'heroku-redis') return `rediss://:${addon.password}@${host}:${addon.port + 1}`;
  return `postgres://${addon.username}:${addon.password}@${host}:${addon.port}/${addon.database}`;
}

