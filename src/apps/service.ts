// Apps and their config vars. Creating an app gives it Heroku's first two releases; a config change makes a
// release that pins the new config. Each change is one store transaction.
import { apiTimestamp } from '../clock.js';
import { randomUUID } from 'node:crypto';
import type { AppRecord, ConfigVars, ReleaseArtifact, ReleaseRecord } from '../contracts/records.js';
import { raise } from '../errors.js';
import type { EventBus } from '../events.js';
import { RELEASE_DESCRIPTIONS } from '../logs/index.js';
import { CONTAINER_STACK } from '../settings.js';
import type { Store } from '../store/index.js';
import { applyConfigChange, describeConfigChange, parseConfigPatch, type ConfigPatch } from './config-vars.js';
import { generateAppName, validateAppName } from './names.js';

export const REGIONS = ['us', 'eu'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A stack by name, or `{name}` as the schema also allows. */
export type StackRef = string | { readonly name?: string | undefined };

export interface CreateAppRequest {
  readonly name?: string | null | undefined;
  readonly region?: string | null | undefined;
  readonly stack?: StackRef | null | undefined;
}

export interface UpdateAppRequest {
  readonly name?: string | undefined;
  readonly maintenance?: boolean | undefined;
  readonly build_stack?: StackRef | undefined;
}

/** What an attachment does to its app's config vars (add-ons/ asks for it). */
export interface AddonConfigChange {
  /** `update`: the provider changed the add-on (a plan change); `addon` is then the service (`heroku-postgresql`). */
  readonly kind: 'attach' | 'detach' | 'update';
  /** `DATABASE` */
  readonly attachment: string;
  /** `postgresql-flat-02648` */
  readonly addon: string;
  readonly set: Readonly<Record<string, string>>;
  readonly unset: readonly string[];
  readonly addonPlanNames: readonly string[];
}

export interface AppsOptions {
  stack: string;
  configVarsMaxBytes: number;
}

/** What apps/ asks of releases/: a new app's first two releases; a config change's release and its phase. */
export interface AppReleases {
  create(request: { app: AppRecord; description: string; config: ConfigVars; artifact?: ReleaseArtifact | null; addonPlanNames?: readonly string[] }): ReleaseRecord;
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
      if (this.#store.apps.nameTaken(name)) raise('app_name_taken');
      const app = this.#store.apps.insert({ id: randomUUID(), name, createdAt: apiTimestamp(), stack, region });
      this.#releases.create({ app, description: RELEASE_DESCRIPTIONS.initial, config: {}, artifact: null });
      this.#releases.create({ app, description: RELEASE_DESCRIPTIONS.logplex, config: {}, artifact: null });
      const made = this.get(app.id);
      this.#store.afterCommit(() => this.#events.emit('resource.changed', { appId: made.id, resource: 'app', app: made, action: 'create' }));
      return made;
    });
  }

  list(): AppRecord[] {
    return this.#store.apps.list();
  }

  /** By name or by UUID, as every `/apps/{app}` path allows. */
  get(nameOrId: string): AppRecord {
    const app = UUID.test(nameOrId) ? this.#store.apps.getById(nameOrId.toLowerCase()) : this.#store.apps.getByName(nameOrId);
    if (!app) raise('app_not_found');
    return app;
  }

  /** The app renamed away from `name` (its most recent holder), for the git remotes still naming it. */
  formerlyNamed(name: string): AppRecord | undefined {
    return this.#store.apps.getByFormerName(name);
  }

  exists(name: string): boolean {
    return this.#store.apps.nameTaken(name);
  }

  update(nameOrId: string, request: UpdateAppRequest): AppRecord {
    return this.#store.transaction(() => {
      const app = this.get(nameOrId);
      const changes: { name?: string; maintenance?: boolean; buildStack?: string; stack?: string } = {};
      if (request.name !== undefined && request.name !== app.name) {
        const name = validateAppName(request.name);
        if (this.#store.apps.nameTaken(name)) raise('app_name_taken');
        changes.name = name;
      }
      if (request.maintenance !== undefined) changes.maintenance = request.maintenance;
      if (request.build_stack !== undefined) {
        changes.buildStack = this.#stack(request.build_stack);
        // An app that never deployed has nothing built on its old stack: it is on the new one at once (the CLI then
        // says nothing about redeploying). Otherwise the next deploy moves it.
        if (this.#store.releases.current(app.id)?.artifact == null) changes.stack = changes.buildStack;
      }
      const updated = this.#store.apps.update(app.id, changes, apiTimestamp());
      if (changes.name !== undefined) this.#store.apps.recordFormerName(app.name, app.id);
      const previous = {
        ...(changes.name !== undefined ? { name: app.name } : {}),
        ...(changes.maintenance !== undefined && changes.maintenance !== app.maintenance ? { maintenance: app.maintenance } : {}),
        ...(changes.buildStack !== undefined && changes.buildStack !== app.buildStack ? { build_stack: { name: app.buildStack } } : {}),
      };
      if (Object.keys(previous).length > 0) {
        this.#store.afterCommit(() => this.#events.emit('resource.changed', { appId: updated.id, resource: 'app', app: updated, action: 'update', previous }));
      }
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
  updateConfigVars(nameOrId: string, vars: ConfigPatch): ConfigVars {
    const change = parseConfigPatch(vars);
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

  /**
   * An add-on attached to the app (or its attachment removed): its config vars change in a release described as
   * Heroku does (`Attach DATABASE (@ref:postgresql-flat-02648)`), and the dynos restart onto it. `addonPlanNames` are
   * the plans attached afterwards (the release's `addon_plan_names`).
   */
  changeAddonConfig(appId: string, change: AddonConfigChange): ReleaseRecord {
    return this.#store.transaction(() => {
      const app = this.get(appId);
      const config = applyConfigChange(app.config, { set: change.set, unset: change.unset }, this.#options.configVarsMaxBytes);
      const updated = this.#store.apps.update(app.id, { config }, apiTimestamp());
      const description =
        change.kind === 'attach'
          ? RELEASE_DESCRIPTIONS.addonAttach(change.attachment, change.addon)
          : change.kind === 'detach'
            ? RELEASE_DESCRIPTIONS.addonDetach(change.attachment, change.addon)
            : RELEASE_DESCRIPTIONS.addonUpdate(change.attachment, change.addon);
      const release = this.#releases.create({ app: updated, description, config, addonPlanNames: change.addonPlanNames });
      this.#store.afterCommit(() => void this.#releases.startPhase(release).catch(() => undefined));
      return release;
    });
  }

  #region(value: string | null | undefined): string {
    if (value === undefined || value === null) return 'us';
    if ((REGIONS as readonly string[]).includes(value)) return value;
    raise('region_not_found');
  }

  #stack(value: StackRef | null | undefined): string {
    if (value === undefined || value === null) return this.#options.stack;
    const name = typeof value === 'string' ? value : value.name;
    if (name === this.#options.stack || name === CONTAINER_STACK) return name;
    raise('stack_unavailable', { stack: String(name), available: `${this.#options.stack} and ${CONTAINER_STACK}` });
  }
}
