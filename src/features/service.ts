// App and account features (Platform API `app-feature`, `account-feature`): the catalogue, each switched on or off
// per app or for the account. Switching one restarts nothing, as on Heroku: dynos read it when they next start.
import { createHash } from 'node:crypto';
import { uuidFromHex } from '../ids.js';
import { raise } from '../errors.js';
import type { AppRecord } from '../contracts/records.js';
import type { FeatureSwitch, Store } from '../store/index.js';
import { ACCOUNT_FEATURES, APP_FEATURES, HTTP_SESSION_AFFINITY, type FeatureDefinition } from './catalogue.js';
import type { EventBus } from '../events.js';
import { apiTimestamp } from '../clock.js';

export interface Feature extends FeatureDefinition {
  readonly id: string;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A stable id per feature name: Heroku's features have fixed ids; `features:info` accepts a name or an id. */
function featureId(name: string): string {
  const hash = createHash('sha256').update(`feature:${name}`).digest('hex');
  return uuidFromHex(hash, 4);
}

export class FeaturesService {
  readonly #store: Store;
  /** When the catalogue's features were "made" (a feature never switched answers this). */
  readonly #epoch: string;
  readonly #events: EventBus;

  constructor(store: Store, epoch: string, events: EventBus) {
    this.#store = store;
    this.#epoch = epoch;
    this.#events = events;
  }

  appFeatures(app: AppRecord): Feature[] {
    return this.#list(APP_FEATURES, this.#store.features.switches(app.id), app.createdAt);
  }

  appFeature(app: AppRecord, nameOrId: string): Feature {
    return find(this.appFeatures(app), nameOrId);
  }

  setAppFeature(app: AppRecord, nameOrId: string, enabled: boolean): Feature {
    const feature = this.appFeature(app, nameOrId);
    this.#store.features.set(app.id, feature.name, enabled, apiTimestamp());
    // Session affinity is the router's: it takes effect at once, through the routing snapshot.
    if (feature.name === HTTP_SESSION_AFFINITY) this.#events.emit('routing.changed', { appId: app.id, appName: app.name });
    return this.appFeature(app, feature.name);
  }

  accountFeatures(): Feature[] {
    return this.#list(ACCOUNT_FEATURES, this.#store.features.switches(null), this.#epoch);
  }

  accountFeature(nameOrId: string): Feature {
    return find(this.accountFeatures(), nameOrId);
  }

  setAccountFeature(nameOrId: string, enabled: boolean): Feature {
    const feature = this.accountFeature(nameOrId);
    this.#store.features.set(null, feature.name, enabled, apiTimestamp());
    return this.accountFeature(feature.name);
  }

  /** Whether the app has the feature on (dynos/ asks at launch, through the composition root). */
  enabled(appId: string, name: string): boolean {
    return this.#store.features.enabled(appId, name);
  }

  #list(catalogue: readonly FeatureDefinition[], switches: readonly FeatureSwitch[], since: string): Feature[] {
    const byName = new Map(switches.map((s) => [s.name, s]));
    return catalogue.map((definition) => {
      const switched = byName.get(definition.name);
      return {
        ...definition,
        id: featureId(definition.name),
        enabled: switched?.enabled ?? false,
        createdAt: switched?.createdAt ?? since,
        updatedAt: switched?.updatedAt ?? since,
      };
    });
  }
}

function find(features: readonly Feature[], nameOrId: string): Feature {
  const wanted = nameOrId.toLowerCase();
  const found = features.find((f) => f.name === wanted || f.id === wanted);
  if (found === undefined) raise('feature_not_found');
  return found;
}
