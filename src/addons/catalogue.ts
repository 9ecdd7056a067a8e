// The add-on services Berth provisions and their plans, with Heroku's names, prices and the limits `pg:info` shows
// (advisory on this machine). Ids are stable UUIDs derived from the names, so clients may keep them across restarts.
import { createHash } from 'node:crypto';
import { uuidFromHex } from '../ids.js';

export type ServiceKind = 'postgresql' | 'redis';

export interface AddonPlan {
  readonly id: string;
  /** `essential-0` */
  readonly name: string;
  /** `Essential 0` */
  readonly humanName: string;
  readonly priceCents: number;
  /** Connections the plan allows (`pg:info` shows `0/20`; Postgres' max_connections is set to it). */
  readonly connections: number;
  /** `1 GB`, `25 MB`: what the plan promises, shown by `pg:info`/`redis:info`. */
  readonly storage: string;
  readonly isDefault: boolean;
}

export interface AddonService {
  readonly id: string;
  /** `heroku-postgresql` */
  readonly name: string;
  readonly humanName: string;
  readonly kind: ServiceKind;
  /** First attachment's name (`DATABASE`), and the prefix later ones get (`HEROKU_POSTGRESQL`) with a colour. */
  readonly primaryAttachment: string;
  readonly colorPrefix: string;
  /** The add-on name's prefix: `postgresql-<adjective>-<digits>`. */
  readonly namePrefix: string;
  readonly createdAt: string;
  readonly plans: readonly AddonPlan[];
}

/** A UUID (v5-shaped) from a name, so catalogue ids never change. */
function stableId(name: string): string {
  const hex = createHash('sha1').update(`berth-addon:${name}`).digest('hex');
  return uuidFromHex(hex, 5);
}

const plan = (service: string, name: string, humanName: string, priceCents: number, connections: number, storage: string, isDefault = false): AddonPlan => ({
  id: stableId(`${service}:${name}`),
  name,
  humanName,
  priceCents,
  connections,
  storage,
  isDefault,
});

// Prices as DC provisioning-heroku-postgres and heroku-redis give them; limits marked [U] in the reference.
export const SERVICES: readonly AddonService[] = [
  {
    id: stableId('heroku-postgresql'),
    name: 'heroku-postgresql',
    humanName: 'Heroku Postgres',
    kind: 'postgresql',
    primaryAttachment: 'DATABASE',
    colorPrefix: 'HEROKU_POSTGRESQL',
    namePrefix: 'postgresql',
    createdAt: '2012-01-01T00:00:00Z',
    plans: [
      plan('heroku-postgresql', 'essential-0', 'Essential 0', 500, 20, '1 GB', true),
      plan('heroku-postgresql', 'essential-1', 'Essential 1', 900, 20, '10 GB'),
      plan('heroku-postgresql', 'essential-2', 'Essential 2', 2000, 40, '32 GB'),
      plan('heroku-postgresql', 'mini', 'Mini', 500, 20, '10 GB'),
      plan('heroku-postgresql', 'basic', 'Basic', 900, 20, '10 GB'),
      plan('heroku-postgresql', 'standard-0', 'Standard 0', 5000, 120, '64 GB'),
      plan('heroku-postgresql', 'standard-1', 'Standard 1', 20000, 400, '256 GB'),
      plan('heroku-postgresql', 'premium-0', 'Premium 0', 20000, 120, '64 GB'),
    ],
  },
  {
    id: stableId('heroku-redis'),
    name: 'heroku-redis',
    humanName: 'Heroku Key-Value Store',
    kind: 'redis',
    primaryAttachment: 'REDIS',
    colorPrefix: 'HEROKU_REDIS',
    namePrefix: 'redis',
    createdAt: '2015-01-01T00:00:00Z',
    plans: [
      plan('heroku-redis', 'mini', 'Mini', 300, 20, '25 MB', true),
      plan('heroku-redis', 'premium-0', 'Premium 0', 1500, 40, '50 MB'),
      plan('heroku-redis', 'premium-1', 'Premium 1', 3000, 80, '100 MB'),
      plan('heroku-redis', 'premium-2', 'Premium 2', 6000, 200, '250 MB'),
    ],
  },
];

/** A service by name or id. */
export function findService(nameOrId: string): AddonService | undefined {
  const wanted = nameOrId.toLowerCase();
  return SERVICES.find((s) => s.name === wanted || s.id === wanted);
}

/** `heroku-postgresql:essential-0`, a bare `heroku-postgresql` (its default plan), or a plan id. */
export function findPlan(reference: string): { service: AddonService; plan: AddonPlan } | undefined {
  const wanted = reference.trim().toLowerCase();
  for (const service of SERVICES) {
    for (const p of service.plans) {
      if (p.id === wanted || `${service.name}:${p.name}` === wanted) return { service, plan: p };
    }
    if (service.name === wanted) {
      const fallback = service.plans.find((p) => p.isDefault) ?? service.plans[0];
      if (fallback !== undefined) return { service, plan: fallback };
    }
  }
  return undefined;
}

/** The plan of a stored add-on (stored plans always exist in the catalogue). */
export function planOf(serviceName: string, planName: string): { service: AddonService; plan: AddonPlan } {
  const found = findPlan(`${serviceName}:${planName}`);
  if (found === undefined) throw new Error(`add-on plan ${serviceName}:${planName} is not in the catalogue`);
  return found;
}
