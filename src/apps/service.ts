// Apps and their config vars. Creating an app gives it Heroku's first two releases; a config change makes a
// release that pins the new config. Each change is one store transaction.
import { apiTimestamp } from '../clock.js';
import { randomUUID } from 'node:crypto';
import type { AppRecord, ConfigVars, ReleaseArtifact, ReleaseRecord } from '../contracts/records.js';
import { errors } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Store } from '../store/index.js';
import { applyConfigChange, describeConfigChange, parseConfigPatch } from './config-vars.js';
import { generateAppName, validateAppName } from './names.js';

export const REGIONS = ['us', 'eu'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CreateAppRequest {
  name?: unknown;
  region?: unknown;
  stack?: unknown;
}

export interface UpdateAppRequest {
  name?: unknown;
  maintenance?: unknown;
  build_stack?: unknown;
}

export interface AppsOptions {
  stack: string;
  configVarsMaxBytes: number;
}

/** What apps/ asks of releases/: a new app's first two releases; a config change's release and its phase. */
export interface AppReleases {
  create(request: { app: AppRecord; description: string; config: ConfigVars; artifact?: ReleaseArtifact | null }): ReleaseRecord;
  startPhase(release: ReleaseRecord): Promise<ReleaseRecord>;
}

export class AppsService {
  readonly #store: Store;
  readonly #releases: AppReleases;
  readonly #events: EventBus;
  readonly #options: AppsOptions;

  constructor(store: Store, releases: AppReleases, events: EventBus, options: AppsOptions) {
    this.#store = store;
    this.#releases = releases;
    this.#events = events;
    this.#options = options;
  }

  create(request: CreateAppRequest): AppRecord {
    const region = this.#region(request.region);
    const stack = this.#stack(request.stack);
    return this.#store.transaction(() => {
      const name =
        request.name === undefined || request.name === null
          ? generateAppName((n) => this.#store.apps.nameTaken(n))
          : validateAppName(request.name);
      if (this.#store.apps.nameTaken(name)) throw errors.invalidParams('Name is already taken');
      const app = this.#store.apps.insert({ id: randomUUID(), name, createdAt: apiTimestamp(), stack, region });
      this.#releases.create({ app, description: 'Initial release', config: {}, artifact: null });
      this.#releases.create({ app, description: 'Enable Logplex', config: {}, artifact: null });
      return this.get(app.id);
    });
  }

  list(): AppRecord[] {
    return this.#store.apps.list();
  }

  /** By name or by UUID, as every `/apps/{app}` path allows. */
  get(nameOrId: string): AppRecord {
    const app = UUID.test(nameOrId) ? this.#store.apps.getById(nameOrId.toLowerCase()) : this.#store.apps.getByName(nameOrId);
    if (!app) throw errors.notFound('app');
    return app;
  }

  exists(name: string): boolean {
    return this.#store.apps.nameTaken(name);
  }

  update(nameOrId: string, request: UpdateAppRequest): AppRecord {
    return this.#store.transaction(() => {
      const app = this.get(nameOrId);
      const changes: { name?: string; maintenance?: boolean; buildStack?: string } = {};
      if (request.name !== undefined && request.name !== app.name) {
        const name = validateAppName(request.name);
        if (this.#store.apps.nameTaken(name)) throw errors.invalidParams('Name is already taken');
        changes.name = name;
      }
      if (request.maintenance !== undefined) {
        if (typeof request.maintenance !== 'boolean') throw errors.invalidParams('Maintenance must be true or false.');
        changes.maintenance = request.maintenance;
      }
      if (request.build_stack !== undefined) changes.buildStack = this.#stack(request.build_stack);
      const updated = this.#store.apps.update(app.id, changes, apiTimestamp());
      // A rename or a maintenance switch changes what the router serves.
      if (changes.name !== undefined || changes.maintenance !== undefined) {
        this.#store.afterCommit(() => this.#events.emit('routing.changed', { appId: updated.id, appName: updated.name }));
      }
      return updated;
    });
  }

  destroy(nameOrId: string): AppRecord {
    return this.#store.transaction(() => {
      const app = this.get(nameOrId);
      this.#store.apps.delete(app.id);
      this.#store.afterCommit(() => this.#events.emit('app.destroyed', { appId: app.id, appName: app.name }));
      return app;
    });
  }

  configVars(nameOrId: string): ConfigVars {
    return this.get(nameOrId).config;
  }

  /** Applies a PATCH of config vars (`null` removes) and makes the release that pins them; answers the full map. */
  updateConfigVars(nameOrId: string, body: unknown): ConfigVars {
    const change = parseConfigPatch(body);
    return this.#store.transaction(() => {
      const app = this.get(nameOrId);
      if (Object.keys(change.set).length === 0 && change.unset.length === 0) return app.config;
      const config = applyConfigChange(app.config, change, this.#options.configVarsMaxBytes);
      const updated = this.#store.apps.update(app.id, { config }, apiTimestamp());
      const release = this.#releases.create({ app: updated, description: describeConfigChange(change), config });
      // The release phase, if the slug has one, runs in the app's queue; the API answers now, as Heroku does.
      this.#store.afterCommit(() => void this.#releases.startPhase(release).catch(() => undefined));
      return config;
    });
  }

  #region(value: unknown): string {
    if (value === undefined || value === null) return 'us';
    if (typeof value === 'string' && (REGIONS as readonly string[]).includes(value)) return value;
    throw errors.notFound('region');
  }

  #stack(value: unknown): string {
    if (value === undefined || value === null) return this.#options.stack;
    const name = typeof value === 'string' ? value : (value as { name?: unknown }).name;
    if (name === this.#options.stack) return this.#options.stack;
    throw errors.invalidParams(`Stack ${String(name)} is not available in Berth; it runs ${this.#options.stack}.`);
  }
}
