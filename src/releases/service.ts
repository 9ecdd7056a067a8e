// Releases as Heroku keeps them: numbered per app, each pinning an artifact and the config, one current.
// The release phase and rollback come with a later issue; this room already owns every release write.
import { apiTimestamp } from '../clock.js';
import { randomUUID } from 'node:crypto';
import type { Account, AppRecord, ConfigVars, ReleaseArtifact, ReleaseRecord } from '../contracts/records.js';
import { errors } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Logplex } from '../logs/index.js';
import type { Store } from '../store/index.js';

export interface NewReleaseRequest {
  app: AppRecord;
  description: string;
  config: ConfigVars;
  artifact?: ReleaseArtifact | null;
  addonPlanNames?: readonly string[];
}

export class ReleasesService {
  readonly #store: Store;
  readonly #logplex: Logplex;
  readonly #events: EventBus;
  readonly #account: () => Account;

  constructor(store: Store, logplex: Logplex, events: EventBus, account: () => Account) {
    this.#store = store;
    this.#logplex = logplex;
    this.#events = events;
    this.#account = account;
  }

  /**
   * Creates a release that takes effect at once (no release phase), with Heroku's two app[api] lines:
   * `<description> by user <email>` and `Release vN created by user <email>`.
   */
  create(request: NewReleaseRequest): ReleaseRecord {
    const user = this.#account();
    return this.#store.transaction(() => {
      const now = apiTimestamp();
      const previous = this.#store.releases.current(request.app.id);
      const release = this.#store.releases.insert({
        id: randomUUID(),
        appId: request.app.id,
        description: request.description,
        status: 'succeeded',
        createdAt: now,
        // A config change keeps running what the current release runs.
        artifact: request.artifact === undefined ? (previous?.artifact ?? null) : request.artifact,
        config: request.config,
        addonPlanNames: request.addonPlanNames ?? previous?.addonPlanNames ?? [],
        userId: user.id,
        userEmail: user.email,
        outputStreamUrl: null,
      });
      this.#store.releases.makeCurrent(request.app.id, release.id, now);
      this.#store.apps.update(request.app.id, { releasedAt: now }, now);
      this.#logplex.write(request.app.id, 'app', 'api', [
        `${request.description} by user ${user.email}`,
        `Release v${release.version} created by user ${user.email}`,
      ]);
      const current = this.#store.releases.getById(request.app.id, release.id) as ReleaseRecord;
      this.#store.afterCommit(() =>
        this.#events.emit('release.current', {
          appId: request.app.id,
          appName: request.app.name,
          releaseId: current.id,
          version: current.version,
        }),
      );
      return current;
    });
  }

  list(app: AppRecord): ReleaseRecord[] {
    return this.#store.releases.listByApp(app.id);
  }

  /** By UUID or by version number (`3` or `v3`, as the CLI may pass either). */
  get(app: AppRecord, idOrVersion: string): ReleaseRecord {
    const versionMatch = /^v?(\d+)$/.exec(idOrVersion);
    const release = versionMatch
      ? this.#store.releases.getByVersion(app.id, Number(versionMatch[1]))
      : this.#store.releases.getById(app.id, idOrVersion);
    if (!release) throw errors.notFound('release');
    return release;
  }

  current(app: AppRecord): ReleaseRecord | undefined {
    return this.#store.releases.current(app.id);
  }
}
