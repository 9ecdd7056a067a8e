// Builds as the Platform API exposes them: created `pending`, run through the app's queue, streamed live on
// `output_stream_url`, and turned into a release (`Deploy <sha>`) when the slug compiler succeeds. A failed build
// leaves the app's slug and releases as they were.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { apiTimestamp } from '../clock.js';
import type { Account, AppRecord, BuildpackRef, BuildRecord, ConfigVars, ProcessImage, ProcessTypes, ReleaseArtifact, ReleaseRecord, SlugRecord } from '../contracts/records.js';
import type { SourceRef } from '../contracts/sources.js';
import { sameSecret } from '../credentials.js';
import { raise } from '../errors.js';
import type { EventBus } from '../events.js';
import { API_LINES, OutputStream, RELEASE_DESCRIPTIONS, replayFile, type Logplex } from '../logs/index.js';
import type { AppQueues, QueueTurn } from '../queue.js';
import type { Runtime } from '../runtime/index.js';
import { CONTAINER_STACK } from '../settings.js';
import { SourceFetchError, type SourcesService } from '../sources/index.js';
import type { Store } from '../store/index.js';
import type { SlugCompiler } from './compiler.js';
import type { HerokuManifest } from './heroku-yml.js';
import type { BuiltImages, ImageBuilder } from './image-builder.js';
import { APP_DESTROYED_LINE, BuildFailure, cancelledLine } from './failure.js';
import { BuildSlots } from './slots.js';
import { cacheVolume } from './workspace.js';

/** How long `berth doctor`'s advice may take at the end of a build before the deploy goes on without it. */
const ADVICE_BUDGET_MS = 5_000;

export interface BuildsOptions {
  readonly dataDir: string;
  readonly stack: string;
  readonly buildTimeoutSeconds: number;
  /** The most bytes of a build's own output kept in its output file (BERTH_OUTPUT_MAX_BYTES). */
  readonly outputMaxBytes: number;
  /** How many builds run at once across all apps (BERTH_BUILDS_CONCURRENCY); the rest wait for a slot. */
  readonly concurrency: number;
  readonly outputUrl: (buildId: string, secret: string) => string;
  readonly webUrl: (appName: string) => string;
}

/** What a build asks of releases/: the release of its slug, and that release's phase (in the build's turn). */
export interface BuildReleases {
  create(request: { app: AppRecord; description: string; config: ConfigVars; artifact: ReleaseArtifact }): ReleaseRecord;
  runPhase(release: ReleaseRecord): Promise<ReleaseRecord>;
}

/**
 * Advice on the pushed source and what its build learnt (`berth doctor`), as push output lines: warnings only, never a
 * reason to fail the build. The composition root passes doctor/'s SourceAdvisor.
 */
export interface BuildAdvisor {
  advise(sourceFile: string, facts: AdvisedFacts): Promise<readonly string[]>;
}

/** What a build learnt for the advice: a slug's size, or that it built images (the container stack), and the commands. */
type AdvisedFacts = { readonly slugBytes: number; readonly processTypes: ProcessTypes } | { readonly container: true; readonly processTypes: ProcessTypes };

export interface BuildsDeps {
  readonly store: Store;
  readonly logplex: Logplex;
  readonly releases: BuildReleases;
  readonly queues: AppQueues;
  readonly compiler: SlugCompiler;
  /** The container stack's builder (heroku.yml → images). */
  readonly imageBuilder: ImageBuilder;
  readonly sources: SourcesService;
  readonly runtime: Runtime;
  readonly account: () => Account;
  readonly logger: Logger;
  /** Builds made and finished are announced (app webhooks' `api:build`). */
  readonly events: EventBus;
  readonly advisor: BuildAdvisor;
}

export interface CreateBuildRequest {
  readonly source: SourceRef;
  readonly sourceVersion: string | null;
  readonly sourceChecksum: string | null;
  readonly buildpacks: readonly string[] | null;
  /** `berth container:push`: build this one Dockerfile as an image of `type`, without heroku.yml and without releasing. */
  readonly containerPush?: ContainerPush;
}

/** One process type's image as `berth container:push` sends it: paths relative to the source's root (its context). */
export interface ContainerPush {
  readonly type: string;
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
}

/** `Deploy 1a2b3c4d`: Heroku shows 8 hex digits of a commit, and other versions as they are. */
export function deployDescription(version: string | null, slugId: string): string {
  if (version && /^[0-9a-f]{9,40}$/i.test(version)) return RELEASE_DESCRIPTIONS.deploy(version.slice(0, 8));
  if (version) return RELEASE_DESCRIPTIONS.deploy(version);
  return RELEASE_DESCRIPTIONS.deploy(slugId.slice(0, 8));
}

export class BuildsService {
  readonly #deps: BuildsDeps;
  readonly #options: BuildsOptions;
  readonly #live = new Map<string, OutputStream>();
  readonly #running = new Set<Promise<void>>();
  /** Each pending build's stop switch (timeout, cancel, shutdown) and its run, from creation until its run ends. */
  readonly #pending = new Map<string, { readonly appId: string; readonly controller: AbortController; run?: Promise<void>; started: boolean }>();
  readonly #slots: BuildSlots;

  constructor(deps: BuildsDeps, options: BuildsOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#slots = new BuildSlots(options.concurrency);
  }

  #outputPath(appId: string, buildId: string): string {
    return join(this.#options.dataDir, 'builds', appId, `${buildId}.log`);
  }

  slugDir(appId: string): string {
    return join(this.#options.dataDir, 'slugs', appId);
  }

  /**
   * Records the build and starts it in the app's queue; answers at once, as Heroku does, with status pending. A push
   * passes its own turn of the queue (`within`): the build runs in it rather than behind it.
   */
  create(app: AppRecord, request: CreateBuildRequest, within?: QueueTurn): BuildRecord {
    const { store } = this.#deps;
    // Heroku's container:push checks the stack on its side (build_stack or stack); the API refuses it as well.
    if (request.containerPush !== undefined && app.buildStack !== CONTAINER_STACK && app.stack !== CONTAINER_STACK) {
      raise('container_stack_required', { app: app.name });
    }
    const user = this.#deps.account();
    const requested = request.buildpacks ?? store.builds.buildpackInstallations(app.id).map((bp) => bp.url);
    const build = store.transaction(() => {
      const record = store.builds.insert({
        id: randomUUID(),
        appId: app.id,
        createdAt: apiTimestamp(),
        sourceUrl: request.source.url,
        sourceVersion: request.sourceVersion,
        sourceChecksum: request.sourceChecksum,
        sourceVersionDescription: null,
        buildpacks: requested.length > 0 ? requested.map((url) => ({ url, name: url })) : null,
        outputSecret: randomBytes(24).toString('hex'),
        userId: user.id,
        userEmail: user.email,
        stack: app.buildStack,
      });
      // A container push is Heroku's registry push, which writes nothing to the app's log.
      if (request.containerPush === undefined) this.#deps.logplex.write(app.id, 'app', 'api', API_LINES.buildStarted(user.email));
      this.#changed(record, 'create');
      return record;
    });
    // Opened when the build gets its slot: a queued build holds its waiting lines in memory, not a file descriptor.
    const output = new OutputStream(this.#outputPath(app.id, build.id), { maxBytes: this.#options.outputMaxBytes, deferOpen: true });
    this.#live.set(build.id, output);
    this.#deps.sources.claim(request.source, app.id);
    const pending: { readonly appId: string; readonly controller: AbortController; run?: Promise<void>; started: boolean } = {
      appId: app.id,
      controller: new AbortController(),
      started: false,
    };
    this.#pending.set(build.id, pending);
    const run = this.#deps.queues
      .run(
        app.id,
        `build ${build.id}`,
        async () => {
          // Cancelled while it waited for its turn: already failed, its output already ended.
          if (pending.controller.signal.aborted) return;
          pending.started = true;
          await this.#run(app.id, build, request, requested, output, pending.controller);
        },
        () => output.line(`-----> Waiting for another build or change of ${app.name} to finish...`),
        within,
      )
      .catch((error: unknown) => this.#deps.logger.error({ err: error, build: build.id }, 'build crashed'))
      .finally(() => {
        this.#deps.sources.retire(request.source);
        this.#running.delete(run);
        this.#pending.delete(build.id);
        // Followers that started before the end keep their own reference; new ones replay the file.
        setTimeout(() => this.#live.delete(build.id), 60_000).unref();
      });
    this.#running.add(run);
    pending.run = run;
    return build;
  }

  /**
   * `DELETE /apps/{app}/builds/{id}` (`heroku builds:cancel`): a running build's container is removed and the build
   * fails with a line saying it was cancelled; one still waiting for its turn fails at once. Resolves with the failed
   * build once its turn of the app's queue is given up. A finished build cannot be cancelled.
   */
  async cancel(app: AppRecord, id: string): Promise<BuildRecord> {
    const build = this.get(app, id);
    const pending = this.#pending.get(build.id);
    if (build.status !== 'pending' || !pending || pending.controller.signal.aborted) {
      raise('build_not_cancellable', { id: build.id, status: build.status === 'pending' ? 'been cancelled' : build.status });
    }
    const failure = new BuildFailure([cancelledLine(this.#deps.account().email)]);
    pending.controller.abort(failure);
    if (pending.started) {
      await pending.run;
    } else {
      const output = this.#live.get(build.id);
      if (output) {
        this.#failed(app.id, build, output, failure);
        await output.end();
      }
    }
    return this.get(app, id);
  }

  async #run(
    appId: string,
    build: BuildRecord,
    request: CreateBuildRequest,
    buildpacks: readonly string[],
    output: OutputStream,
    controller: AbortController,
  ): Promise<void> {
    const { source, containerPush } = request;
    const { store, logplex, releases, compiler } = this.#deps;
    const limit = this.#options.buildTimeoutSeconds;
    // Heroku says `(25 minutes)`; a short limit set for tests is said in seconds rather than as `0 minutes`.
    const said = limit % 60 === 0 ? plural(limit / 60, 'minute') : plural(limit, 'second');
    let timer: NodeJS.Timeout | undefined;
    let releaseSlot: (() => void) | undefined;
    const sourceFile = join(this.#options.dataDir, 'builds', appId, `${build.id}.source`);
    let pendingRelease: ReleaseRecord | undefined;
    // Work a deploy leaves to finish in the background (the build container's removal).
    const cleanups: Promise<void>[] = [];
    try {
      // The time limit is for compiling: it starts once the build has a slot, not while it waits for one.
      releaseSlot = await this.#slots.acquire(controller.signal, (running) =>
        output.line(`-----> Waiting for a build slot (${plural(running, 'build')} running)...`),
      );
      output.open();
      timer = setTimeout(() => controller.abort(said), limit * 1000);
      const app = store.apps.getById(appId);
      if (!app) throw new BuildFailure(['The app was destroyed before its build started.']);
      await mkdir(join(this.#options.dataDir, 'builds', appId), { recursive: true });
      await this.#deps.sources.fetchTo(source, sourceFile);
      if (build.sourceChecksum) await verifyChecksum(sourceFile, build.sourceChecksum);
      await mkdir(this.slugDir(appId), { recursive: true });
      // Stopped before its build container existed (a cancel or shutdown during the fetch).
      if (controller.signal.aborted && controller.signal.reason instanceof BuildFailure) throw controller.signal.reason;
      if (containerPush !== undefined) {
        await this.#pushImage(app, build, sourceFile, containerPush, output, controller.signal);
      } else {
        const release =
          build.stack === CONTAINER_STACK
            ? await this.#deployImages(app, build, sourceFile, output, controller.signal)
            : await this.#deploySlug(app, build, sourceFile, buildpacks, output, controller.signal, cleanups);
        pendingRelease = release.status === 'pending' ? release : undefined;
      }
    } catch (error) {
      const failure =
        error instanceof BuildFailure
          ? error
          : error instanceof SourceFetchError
            ? new BuildFailure([error.message])
            : undefined;
      if (!failure) this.#deps.logger.error({ err: error, build: build.id }, 'build failed on a platform fault');
      this.#failed(appId, build, output, failure ?? new BuildFailure([`Build failed on an internal error: ${(error as Error).message}`]));
    } finally {
      clearTimeout(timer);
      releaseSlot?.();
      await rm(sourceFile, { force: true });
      await output.end();
      // The build container goes while the new release boots; the build is settled only once it is gone.
      await Promise.all(cleanups);
    }
    // The release phase runs after the build's output ends, still in this build's turn of the app's queue.
    if (pendingRelease) await releases.runPhase(pendingRelease);
  }

  /** The slug stacks: the slug compiler's slug, recorded, and the release that pins it (`Released vN`). */
  async #deploySlug(
    app: AppRecord,
    build: BuildRecord,
    sourceFile: string,
    buildpacks: readonly string[],
    output: OutputStream,
    signal: AbortSignal,
    cleanups: Promise<void>[],
  ): Promise<ReleaseRecord> {
    const { store, logplex, releases, compiler } = this.#deps;
    const appId = app.id;
    const compiled = await compiler.compile(
      {
        appId,
        appName: app.name,
        buildId: build.id,
        sourceFile,
        sourceVersion: build.sourceVersion,
        config: app.config,
        buildpacks,
        signal,
      },
      output.writable(),
    );
    cleanups.push(compiled.cleanup);
    const description = compiled.buildpacks[compiled.buildpacks.length - 1]?.language ?? null;
    const used: BuildpackRef[] = compiled.buildpacks.map((bp) => ({ url: bp.url, name: bp.name }));
    await this.#advise(build, sourceFile, { slugBytes: compiled.size, processTypes: compiled.processTypes }, output, signal);
    output.line('-----> Launching...');
    const release = store.transaction(() => {
      const current = store.apps.getById(appId);
      if (!current) throw new BuildFailure([APP_DESTROYED_LINE]);
      const slug: SlugRecord = store.builds.insertSlug({
        id: compiled.slugId,
        appId,
        createdAt: apiTimestamp(),
        checksum: compiled.checksum,
        size: compiled.size,
        processTypes: compiled.processTypes,
        commit: build.sourceVersion,
        commitDescription: null,
        stack: this.#options.stack,
        buildpackProvidedDescription: description,
        blobPath: compiled.blobPath,
        image: compiled.image,
      });
      store.apps.update(appId, { stack: build.stack, slugSize: slug.size, buildpackProvidedDescription: description }, apiTimestamp());
      const made = releases.create({
        app: current,
        description: deployDescription(build.sourceVersion, slug.id),
        config: current.config,
        artifact: { type: 'slug', id: slug.id },
      });
      store.builds.finish(build.id, { status: 'succeeded', slugId: slug.id, releaseId: made.id, buildpacks: used }, apiTimestamp());
      this.#finished(build.id);
      logplex.write(appId, 'app', 'api', API_LINES.buildSucceeded());
      return made;
    });
    const app2 = store.apps.getById(appId);
    if (release.status === 'pending') {
      output.line(' !     Release command declared: this new release will not be available until the command succeeds.');
    }
    output.line(`       Released v${release.version}`);
    output.line(`       ${this.#options.webUrl(app2?.name ?? '')} deployed to Berth`);
    return release;
  }

  /** The doctor's warnings about the source, in the push output; a fault in the doctor is logged, never the build's. */
  async #advise(
    build: BuildRecord,
    sourceFile: string,
    facts: AdvisedFacts,
    output: OutputStream,
    signal: AbortSignal,
  ): Promise<void> {
    const advice = this.#deps.advisor.advise(sourceFile, facts).catch((error: unknown) => {
      this.#deps.logger.warn({ err: error, build: build.id }, 'berth doctor failed on the source');
      return [];
    });
    // Advice never holds up a deploy: past its budget, or once the build is cancelled or timed out, it is skipped.
    const settled = new AbortController();
    const skipped = sleep(ADVICE_BUDGET_MS, [] as string[], { signal: AbortSignal.any([signal, settled.signal]) }).catch(() => [] as string[]);
    const lines = await Promise.race([advice, skipped]);
    settled.abort();
    for (const line of lines) output.line(line);
  }

  /**
   * The container stack: heroku.yml's images are built and recorded, and a release pins them (`Deploy <sha>`). The
   * push prints `Verifying deploy... done.` after this output, as Heroku's container builds end.
   */
  async #deployImages(app: AppRecord, build: BuildRecord, sourceFile: string, output: OutputStream, signal: AbortSignal): Promise<ReleaseRecord> {
    const { store, logplex, releases } = this.#deps;
    const built = await this.#buildImages(app, build, sourceFile, undefined, output, signal);
    const commands = Object.fromEntries(Object.entries(built.processes).map(([type, process]) => [type, process.command]));
    await this.#advise(build, sourceFile, { container: true, processTypes: commands }, output, signal);
    return store.transaction(() => {
      const current = store.apps.getById(app.id);
      if (!current) throw new BuildFailure([APP_DESTROYED_LINE]);
      store.images.insert({ id: built.imageId, appId: app.id, createdAt: apiTimestamp(), commit: build.sourceVersion, processes: built.processes });
      store.apps.update(app.id, { stack: CONTAINER_STACK, slugSize: null, buildpackProvidedDescription: null }, apiTimestamp());
      const made = releases.create({
        app: current,
        description: deployDescription(build.sourceVersion, built.imageId),
        config: current.config,
        artifact: { type: 'image', id: built.imageId },
      });
      store.builds.finish(build.id, { status: 'succeeded', releaseId: made.id, buildpacks: [] }, apiTimestamp());
      this.#finished(build.id);
      logplex.write(app.id, 'app', 'api', API_LINES.buildSucceeded());
      return made;
    });
  }

  /** The images of a heroku.yml (or of the one Dockerfile a container push names), a timeout said as such. */
  async #buildImages(
    app: AppRecord,
    build: BuildRecord,
    sourceFile: string,
    manifest: HerokuManifest | undefined,
    output: OutputStream,
    signal: AbortSignal,
  ): Promise<BuiltImages> {
    const job = { appId: app.id, buildId: build.id, sourceFile, workDir: `${sourceFile}.d`, signal, ...(manifest ? { manifest } : {}) };
    return this.#deps.imageBuilder.build(job, output.writable()).catch((error: unknown) => {
      if (!signal.aborted) throw error;
      const reason: unknown = signal.reason;
      throw reason instanceof BuildFailure ? reason : new BuildFailure([`Timed out building app (${String(reason)})`]);
    });
  }

  /**
   * `berth container:push`: the image is built and kept for the app (what Heroku's registry holds as
   * `<app>/<type>:latest`), and nothing is released: `container:release` releases it through the formation.
   */
  async #pushImage(app: AppRecord, build: BuildRecord, sourceFile: string, push: ContainerPush, output: OutputStream, signal: AbortSignal): Promise<void> {
    const { store } = this.#deps;
    const manifest: HerokuManifest = {
      docker: new Map([[push.type, { dockerfile: push.dockerfile, context: '.' }]]),
      buildArgs: push.buildArgs,
      release: undefined,
      run: new Map(),
    };
    const built = await this.#buildImages(app, build, sourceFile, manifest, output, signal);
    store.transaction(() => {
      if (!store.apps.getById(app.id)) throw new BuildFailure([APP_DESTROYED_LINE]);
      store.images.insert({ id: built.imageId, appId: app.id, createdAt: apiTimestamp(), commit: build.sourceVersion, processes: built.processes });
      store.builds.finish(build.id, { status: 'succeeded', buildpacks: [] }, apiTimestamp());
      this.#finished(build.id);
    });
  }

  /** The app's newest image of a process type, pushed or built from heroku.yml (Heroku's `<app>/<type>:latest`). */
  latestImage(app: AppRecord, type: string): ProcessImage {
    const image = this.#deps.store.images.latestOf(app.id, type)?.processes[type];
    if (image === undefined) raise('docker_manifest_unknown', { app: app.name, type });
    return image;
  }

  /** Announces a build made or finished, once committed. */
  #changed(build: BuildRecord, action: 'create' | 'update'): void {
    const previous = action === 'update' ? { status: 'pending' } : {};
    this.#deps.store.afterCommit(() => this.#deps.events.emit('resource.changed', { appId: build.appId, resource: 'build', build, action, previous }));
  }

  #finished(buildId: string): void {
    const build = this.#deps.store.builds.get(buildId);
    if (build !== undefined) this.#changed(build, 'update');
  }

  /** The end of a failed build's output (its `!` lines, `Push failed`), the build failed, and `Build failed` logged. */
  #failed(appId: string, build: BuildRecord, output: OutputStream, failure: BuildFailure): void {
    const { store, logplex } = this.#deps;
    for (const line of failure.lines) output.line(` !     ${line}`);
    for (const line of failure.raw) output.line(line);
    output.line();
    output.line(' !     Push failed');
    store.transaction(() => {
      if (!store.builds.get(build.id)) return;
      store.builds.finish(build.id, { status: 'failed' }, apiTimestamp());
      this.#finished(build.id);
      if (store.apps.getById(appId)) {
        logplex.write(appId, 'app', 'api', API_LINES.buildFailed(this.#options.outputUrl(build.id, build.outputSecret)));
      }
    });
  }

  list(app: AppRecord): BuildRecord[] {
    return this.#deps.store.builds.listByApp(app.id);
  }

  get(app: AppRecord, id: string): BuildRecord {
    const build = this.#deps.store.builds.get(id);
    if (!build || build.appId !== app.id) raise('build_not_found');
    return build;
  }

  /** Every byte of a build's output: live while it runs, replayed from its file afterwards. */
  output(buildId: string, secret: string, signal?: AbortSignal): AsyncIterable<Buffer> {
    const build = this.#deps.store.builds.get(buildId);
    if (!build || !sameSecret(build.outputSecret, secret)) raise('build_not_found');
    const live = this.#live.get(buildId);
    if (live) return live.follow(signal);
    return replayFile(this.#outputPath(build.appId, buildId));
  }

  slug(app: AppRecord, id: string): SlugRecord {
    const slug = this.#deps.store.builds.getSlug(id);
    if (!slug || slug.appId !== app.id) raise('slug_not_found');
    return slug;
  }

  buildpackInstallations(app: AppRecord): BuildpackRef[] {
    return this.#deps.store.builds.buildpackInstallations(app.id);
  }

  setBuildpackInstallations(app: AppRecord, updates: readonly string[]): BuildpackRef[] {
    const refs = updates.map((url) => ({ url, name: url }));
    this.#deps.store.transaction(() => this.#deps.store.builds.replaceBuildpackInstallations(app.id, refs));
    return refs;
  }

  /** `DELETE /apps/{app}/build-cache`: waits for the app's running build, then drops its cache volume. */
  async purgeCache(app: AppRecord): Promise<void> {
    await this.#deps.queues.run(app.id, 'build cache purge', () => this.#deps.runtime.removeVolume(cacheVolume(app.id)));
  }

  /** On start: builds a killed daemon left pending are failed, and their containers removed. */
  async recover(): Promise<void> {
    const { store, runtime } = this.#deps;
    for (const build of store.builds.listPending()) {
      store.transaction(() => {
        store.builds.finish(build.id, { status: 'failed' }, apiTimestamp());
        this.#deps.logplex.write(build.appId, 'app', 'api', API_LINES.buildFailed(this.#options.outputUrl(build.id, build.outputSecret)));
      });
      // Keep what the build printed before the daemon stopped (appended to, never read back: it may be huge), then
      // say why it ended.
      const output = new OutputStream(this.#outputPath(build.appId, build.id), { append: true });
      output.line(' !     The Berth daemon stopped during this build; it did not finish.');
      output.line();
      output.line(' !     Push failed');
      await output.end();
    }
    for (const container of await runtime.listByLabel({ role: 'build' })) await runtime.remove(container.id);
    // The grace timers of blobs died with the old daemon: blobs nobody uses now go after their hour.
    await this.#deps.sources.sweep();
    await this.#removeLeftovers();
  }

  /**
   * What a killed build made and no record knows of: its source copy (`builds/<app>/<id>.source`, removed when a
   * build ends), and a slug packed but never recorded (`slugs/<app>/<id>.tgz`, image `berth/slug:<id>`). No build
   * runs yet on start, so none of them is in use. Images are looked up per app of this instance: the engine may be
   * shared with other Berths.
   */
  async #removeLeftovers(): Promise<void> {
    const { store, runtime } = this.#deps;
    const builds = join(this.#options.dataDir, 'builds');
    for (const app of await readdir(builds).catch(() => [])) {
      for (const file of await readdir(join(builds, app)).catch(() => [])) {
        if (file.endsWith('.source')) await rm(join(builds, app, file), { force: true });
      }
    }
    const known = (appId: string, slugId: string | undefined) => slugId !== undefined && store.builds.getSlug(slugId)?.appId === appId;
    for (const app of store.apps.list()) {
      for (const file of await readdir(this.slugDir(app.id)).catch(() => [])) {
        if (!known(app.id, /^(.+)\.tgz$/.exec(file)?.[1])) await rm(join(this.slugDir(app.id), file), { force: true });
      }
      for (const image of await runtime.listImages([`berth.app=${app.id}`, 'berth.slug'])) {
        if (!known(app.id, image.labels['berth.slug'])) await runtime.removeImage(image.id);
      }
      // A container build's images recorded by no build (the daemon stopped between building and recording).
      for (const image of await runtime.listImages([`berth.app=${app.id}`, 'berth.image'])) {
        if (store.images.get(image.labels['berth.image'] ?? '')?.appId !== app.id) await runtime.removeImage(image.id);
      }
    }
  }

  /** app.destroyed: builds' containers, slug images and files, the cache volume, output logs. */
  async removeApp(appId: string): Promise<void> {
    const { runtime } = this.#deps;
    // A running build is stopped through its own signal, so a container it creates after the sweep below goes too
    // (removing containers by label alone misses one still being created). A build still waiting for its turn finds
    // the app gone when its turn comes, and says so.
    for (const pending of this.#pending.values()) {
      if (pending.appId === appId && pending.started && !pending.controller.signal.aborted) {
        pending.controller.abort(new BuildFailure([APP_DESTROYED_LINE]));
      }
    }
    for (const container of await runtime.listByLabel({ app: appId, role: 'build' })) await runtime.remove(container.id);
    // Dynos of the app are being stopped at the same time (another app.destroyed listener); an image still used by a
    // container can't be removed, so wait for them to go first.
    for (let waited = 0; waited < 120; waited++) {
      if ((await runtime.listByLabel({ app: appId })).length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // A slug another app runs (promoted through a pipeline) was handed to that app when this one was deleted: its
    // image and blob stay.
    const handedOver = (slugId: string | undefined) => slugId !== undefined && this.#deps.store.builds.getSlug(slugId) !== undefined;
    for (const image of await runtime.listImages([`berth.app=${appId}`])) {
      if (!handedOver(image.labels['berth.slug'])) await runtime.removeImage(image.id);
    }
    await runtime.removeVolume(cacheVolume(appId));
    const files: string[] = await readdir(this.slugDir(appId)).catch(() => []);
    const kept = files.filter((f) => handedOver(/^(.+)\.tgz$/.exec(f)?.[1]));
    if (kept.length === 0) await rm(this.slugDir(appId), { recursive: true, force: true });
    else for (const file of files) if (!kept.includes(file)) await rm(join(this.slugDir(appId), file), { recursive: true, force: true });
    await rm(join(this.#options.dataDir, 'builds', appId), { recursive: true, force: true });
    await this.#deps.sources.removeApp(appId);
  }

  /** Daemon shutdown: running builds stop now and fail with a line saying why, rather than hold the stop up. */
  async shutdown(): Promise<void> {
    for (const [buildId, pending] of this.#pending) {
      const failure = new BuildFailure(['The Berth daemon is stopping; this build was cancelled.']);
      pending.controller.abort(failure);
      const build = this.#deps.store.builds.get(buildId);
      const output = this.#live.get(buildId);
      if (pending.started || !build || !output) continue;
      // Still waiting for its turn: it fails now rather than run once the daemon is gone.
      this.#failed(build.appId, build, output, failure);
      await output.end();
    }
    await this.settled();
  }

  /** Resolves with the build once it has finished, its release phase included (an app setup waits for it). */
  async finished(app: AppRecord, id: string): Promise<BuildRecord> {
    await this.#pending.get(id)?.run;
    return this.get(app, id);
  }

  /** Resolves when every build started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}

/** `1 second`, `25 minutes`. */
function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

async function verifyChecksum(file: string, expected: string): Promise<void> {
  const match = /^SHA256:([0-9a-f]{64})$/i.exec(expected);
  if (!match) throw new BuildFailure([`The source checksum ${expected} is not of the form SHA256:<64 hex digits>.`]);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== match[1]?.toLowerCase()) {
    throw new BuildFailure([`The source does not match its checksum: expected ${expected}, got SHA256:${actual}.`]);
  }
}
