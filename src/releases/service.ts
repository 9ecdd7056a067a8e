// Releases as Heroku keeps them: numbered per app, each pinning an artifact and the config, one current. A release
// whose slug declares a `release` process runs the release phase first: it stays `pending` while the command runs,
// becomes current when it succeeds, and `failed` (the previous release keeps running) when it does not.
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { apiTimestamp } from '../clock.js';
import type { Account, AppRecord, ConfigVars, ProcessImage, ReleaseArtifact, ReleaseRecord } from '../contracts/records.js';
import { raise } from '../errors.js';
import type { EventBus } from '../events.js';
import { sameSecret } from '../credentials.js';
import { API_LINES, OutputStream, RELEASE_DESCRIPTIONS, replayFile, type Logplex } from '../logs/index.js';
import type { AppQueues } from '../queue.js';
import { CONTAINER_STACK } from '../settings.js';
import type { Store } from '../store/index.js';

/** `POST /apps/{app}/releases`: a slug to release, or a release (id or version) to roll back to. */
export interface ReleaseRequest {
  readonly slug?: string | undefined;
  readonly release?: string | undefined;
  readonly description?: string | undefined;
}

export interface NewReleaseRequest {
  app: AppRecord;
  description: string;
  config: ConfigVars;
  artifact?: ReleaseArtifact | null;
  addonPlanNames?: readonly string[];
}

/** Runs a release command in a release dyno; resolves true on exit status 0. dynos/ implements it (DynoManager). */
export interface ReleasePhaseRunner {
  runReleasePhase(release: ReleaseRecord, command: string, sink: (text: string) => void): Promise<boolean>;
}

export interface ReleasesDeps {
  readonly store: Store;
  readonly logplex: Logplex;
  readonly events: EventBus;
  readonly queues: AppQueues;
  readonly releasePhase: ReleasePhaseRunner;
  readonly account: () => Account;
}

export interface ReleasesOptions {
  readonly dataDir: string;
  /** The most bytes of a release command's output kept in its output file (BERTH_OUTPUT_MAX_BYTES). */
  readonly outputMaxBytes?: number;
  readonly outputUrl: (releaseId: string, secret: string) => string;
}

export class ReleasesService {
  readonly #store: Store;
  readonly #logplex: Logplex;
  readonly #events: EventBus;
  readonly #account: () => Account;
  readonly #options: ReleasesOptions;
  readonly #queues: AppQueues;
  readonly #runner: ReleasePhaseRunner;
  readonly #live = new Map<string, OutputStream>();

  constructor(deps: ReleasesDeps, options: ReleasesOptions) {
    this.#store = deps.store;
    this.#logplex = deps.logplex;
    this.#events = deps.events;
    this.#account = deps.account;
    this.#queues = deps.queues;
    this.#runner = deps.releasePhase;
    this.#options = options;
  }

  /** The `release` command of the artifact, if its slug (Procfile) or its images (heroku.yml `release`) declare one. */
  #releaseCommand(artifact: ReleaseArtifact | null): string | undefined {
    if (artifact?.type === 'image') return this.#store.images.get(artifact.id)?.processes['release']?.command;
    if (artifact?.type !== 'slug') return undefined;
    return this.#store.builds.getSlug(artifact.id)?.processTypes['release'];
  }

  /**
   * Creates a release with Heroku's app[api] lines. Without a release phase it takes effect at once
   * (`Release vN created by user <email>`); with one it is `pending` (`Running release vN commands by user <email>`)
   * until `runPhase` finishes it.
   */
  create(request: NewReleaseRequest): ReleaseRecord {
    const user = this.#account();
    return this.#store.transaction(() => {
      const now = apiTimestamp();
      // A config change keeps the code of the newest release: the current one, or a deploy whose release phase is
      // still running (basing it on the current one would silently undo that deploy).
      const previous = this.#store.releases.newestLive(request.app.id);
      const artifact = request.artifact === undefined ? (previous?.artifact ?? null) : request.artifact;
      const command = this.#releaseCommand(artifact);
      const id = randomUUID();
      const release = this.#store.releases.insert({
        id,
        appId: request.app.id,
        description: request.description,
        status: command === undefined ? 'succeeded' : 'pending',
        createdAt: now,
        artifact,
        config: request.config,
        addonPlanNames: request.addonPlanNames ?? previous?.addonPlanNames ?? [],
        userId: user.id,
        userEmail: user.email,
        outputStreamUrl: command === undefined ? null : this.#options.outputUrl(id, randomBytes(24).toString('hex')),
      });
      this.#logplex.write(request.app.id, 'app', 'api', API_LINES.release(request.description, user.email));
      const made = command === undefined ? this.#makeCurrent(request.app, release) : release;
      if (command !== undefined) {
        this.#logplex.write(request.app.id, 'app', 'api', API_LINES.releasePhaseRunning(release.version, user.email));
      }
      this.#changed(made, 'create');
      return made;
    });
  }

  /** Announces a release made or a pending one finished (app webhooks' `api:release`), once committed. */
  #changed(release: ReleaseRecord, action: 'create' | 'update'): void {
    const previous = action === 'update' ? { status: 'pending' } : {};
    this.#store.afterCommit(() => this.#events.emit('resource.changed', { appId: release.appId, resource: 'release', release, action, previous }));
  }

  #makeCurrent(app: AppRecord, release: ReleaseRecord): ReleaseRecord {
    const user = this.#account();
    const now = apiTimestamp();
    this.#store.releases.makeCurrent(app.id, release.id, now);
    this.#store.apps.update(app.id, { releasedAt: now }, now);
    this.#logplex.write(app.id, 'app', 'api', API_LINES.releaseCreated(release.version, user.email));
    const current = this.#store.releases.getById(app.id, release.id) as ReleaseRecord;
    this.#store.afterCommit(() =>
      this.#events.emit('release.current', { appId: app.id, appName: app.name, releaseId: current.id, version: current.version }),
    );
    return current;
  }

  #outputPath(release: ReleaseRecord): string {
    return join(this.#options.dataDir, 'releases', release.appId, `${release.id}.log`);
  }

  /** Runs a pending release's phase now (the caller holds the app's queue). Resolves with the final record. */
  async runPhase(release: ReleaseRecord): Promise<ReleaseRecord> {
    const command = this.#releaseCommand(release.artifact);
    if (release.status !== 'pending' || command === undefined) return release;
    const output = this.#liveOutput(release);
    let ok = false;
    try {
      ok = await this.#runner.runReleasePhase(release, command, (text) => output.write(text));
    } catch {
      ok = false;
    } finally {
      await output.end();
      setTimeout(() => this.#live.delete(release.id), 60_000).unref();
    }
    const user = this.#account();
    return this.#store.transaction(() => {
      const app = this.#store.apps.getById(release.appId);
      if (!app) return release;
      if (ok) {
        const current = this.#makeCurrent(app, release);
        this.#changed(current, 'update');
        return current;
      }
      this.#store.releases.setStatus(app.id, release.id, 'failed', apiTimestamp());
      this.#logplex.write(app.id, 'app', 'api', API_LINES.releasePhaseFailed(release.version, user.email));
      const failed = this.#store.releases.getById(app.id, release.id) as ReleaseRecord;
      this.#changed(failed, 'update');
      return failed;
    });
  }

  /**
   * The live output of a pending release. A follower may come before the phase starts (the CLI GETs
   * output_stream_url right after POST /releases, while the phase waits its turn in the app's queue): it gets the
   * stream the phase will write, rather than an empty replay of a file that does not exist yet.
   */
  #liveOutput(release: ReleaseRecord): OutputStream {
    let output = this.#live.get(release.id);
    if (!output) {
      output = new OutputStream(this.#outputPath(release), { maxBytes: this.#options?.outputMaxBytes });
      this.#live.set(release.id, output);
    }
    return output;
  }

  /** Runs a pending release's phase in the app's queue, after whatever is queued before it. */
  startPhase(release: ReleaseRecord): Promise<ReleaseRecord> {
    if (release.status !== 'pending') return Promise.resolve(release);
    return this.#queues.run(release.appId, `release v${release.version}`, () => this.runPhase(release));
  }

  /** A release's output: live while the phase runs, replayed afterwards. */
  output(app: AppRecord, releaseId: string, secret: string, signal?: AbortSignal): AsyncIterable<Buffer> {
    const release = this.#store.releases.getById(app.id, releaseId);
    const url = release?.outputStreamUrl;
    if (!release || !url || !sameSecret(url.slice(url.lastIndexOf('/') + 1), secret)) raise('release_not_found');
    const live = this.#live.get(releaseId) ?? (release.status === 'pending' && this.#runner ? this.#liveOutput(release) : undefined);
    if (live) return followOnceOpen(live, signal);
    return replayFile(this.#outputPath(release));
  }

  /** A release phase's output for a git push, which follows it without the URL's secret. */
  followPhase(releaseId: string, signal?: AbortSignal): AsyncIterable<Buffer> {
    const release = this.#store.releases.byIdAnyApp(releaseId);
    if (!release) return replayFile('');
    const live = this.#live.get(releaseId) ?? (release.status === 'pending' && this.#runner ? this.#liveOutput(release) : undefined);
    return live ? followOnceOpen(live, signal) : replayFile(this.#outputPath(release));
  }

  /** Looks a release up by id, for output streams. */
  byId(releaseId: string): ReleaseRecord | undefined {
    return this.#store.releases.byIdAnyApp(releaseId);
  }

  /**
   * `POST /apps/{app}/releases`: `{slug}` releases a slug with the current config; `{release}` rolls back to that
   * release's slug and config (`Rollback to v3`).
   */
  createFromApi(app: AppRecord, body: ReleaseRequest): ReleaseRecord {
    if (body.release !== undefined) {
      const target = this.get(app, body.release);
      if (target.status === 'expired') raise('release_expired', { version: target.version });
      if (target.status !== 'succeeded') raise('release_not_succeeded', { version: target.version });
      return this.#store.transaction(() => {
        const updated = this.#store.apps.update(app.id, { config: target.config }, apiTimestamp());
        return this.create({ app: updated, description: RELEASE_DESCRIPTIONS.rollback(target.version), config: target.config, artifact: target.artifact });
      });
    }
    if (body.slug !== undefined) {
      const slug = this.#store.builds.getSlug(body.slug);
      if (!slug || slug.appId !== app.id) raise('slug_not_found');
      if (slug.image === null) raise('slug_not_uploaded', { slug: slug.id });
      const description = body.description !== undefined && body.description !== '' ? body.description : RELEASE_DESCRIPTIONS.deploy(slug.id.slice(0, 8));
      return this.create({ app, description, config: app.config, artifact: { type: 'slug', id: slug.id } });
    }
    raise('release_target_missing');
  }

  /**
   * `PATCH /apps/{app}/formation` with `docker_image` (`heroku container:release web worker`): a release whose images
   * are those of the current one (when it runs images) with each named type's image replaced by the app's image of
   * that id, or removed (`docker_image: null`, `container:rm`). Its release phase runs when it has a `release` image
   * (the caller starts it). Only for apps on the container stack.
   */
  releaseImages(app: AppRecord, updates: ReadonlyArray<{ readonly type: string; readonly dockerImage: string | null }>): ReleaseRecord {
    if (app.buildStack !== CONTAINER_STACK && app.stack !== CONTAINER_STACK) raise('container_stack_required', { app: app.name });
    return this.#store.transaction(() => {
      const previous = this.#store.releases.newestLive(app.id);
      const base = previous?.artifact?.type === 'image' ? (this.#store.images.get(previous.artifact.id)?.processes ?? {}) : {};
      const processes: Record<string, ProcessImage> = { ...base };
      const deployed: Array<[string, string]> = [];
      const removed: string[] = [];
      for (const { type, dockerImage } of updates) {
        if (dockerImage === null) {
          delete processes[type];
          removed.push(type);
          continue;
        }
        const image = this.#store.images.withEngineImage(app.id, type, dockerImage)?.processes[type];
        if (image === undefined) raise('docker_image_not_found', { type, image: dockerImage });
        processes[type] = image;
        deployed.push([type, image.imageId]);
      }
      if (Object.keys(processes).length === 0) raise('docker_release_empty');
      const now = apiTimestamp();
      const image = this.#store.images.insert({ id: randomUUID(), appId: app.id, createdAt: now, commit: null, processes });
      const updated = this.#store.apps.update(app.id, { stack: CONTAINER_STACK, slugSize: null, buildpackProvidedDescription: null }, now);
      return this.create({ app: updated, description: RELEASE_DESCRIPTIONS.dockerDeploy(deployed, removed), config: updated.config, artifact: { type: 'image', id: image.id } });
    });
  }

  /**
   * A pipeline promotion: a new release of `target` that runs the SAME slug as `source` (never a rebuild) with the
   * target's own config vars and add-ons. Its release phase, if the slug declares one, runs as for any release
   * (`startPhase`). The source must be a succeeded release with a slug.
   */
  promote(target: AppRecord, sourceApp: AppRecord, source: ReleaseRecord): ReleaseRecord {
    if (source.artifact?.type !== 'slug') raise('promotion_source_not_released', { app: sourceApp.name });
    const slug = this.#store.builds.getSlug(source.artifact.id);
    if (!slug) raise('promotion_source_not_released', { app: sourceApp.name });
    const description = RELEASE_DESCRIPTIONS.promote(sourceApp.name, source.version, slug.commit);
    return this.create({ app: target, description, config: target.config, artifact: source.artifact });
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
    if (!release) raise('release_not_found');
    return release;
  }

  current(app: AppRecord): ReleaseRecord | undefined {
    return this.#store.releases.current(app.id);
  }

  /**
   * On start: release phases a killed daemon left pending are failed (their containers are the dyno manager's), and
   * their output says why after what they printed (appended: the output is not read back into memory).
   */
  async recover(): Promise<void> {
    const user = this.#account();
    for (const release of this.#store.releases.listPending()) {
      this.#store.transaction(() => {
        this.#store.releases.setStatus(release.appId, release.id, 'failed', apiTimestamp());
        this.#logplex.write(release.appId, 'app', 'api', API_LINES.releasePhaseFailed(release.version, user.email));
      });
      if (release.outputStreamUrl === null) continue;
      const path = this.#outputPath(release);
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, ' !     The Berth daemon stopped during this release phase; it did not finish.\n');
    }
  }
}

/**
 * OutputStream opens its file asynchronously, so a follow() right after it was made meets ENOENT (a 500 on
 * output_stream_url): wait until the file is there first (bounded; follow() reports whatever happens after).
 */
async function* followOnceOpen(output: OutputStream, signal?: AbortSignal): AsyncGenerator<Buffer> {
  for (let tries = 0; tries < 200; tries++) {
    if (await stat(output.path).then(() => true, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  yield* output.follow(signal);
}
