// Builds every service over a store and an engine: the daemon's wiring, shared with the API tests so they exercise
// exactly the objects the daemon serves.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { resourceShape, type ApiServices } from './api/index.js';
import { AddonsService, type AddonsDeps } from './addons/index.js';
import { AccountService, AppsService, CollaboratorsService } from './apps/index.js';
import { BuildsService, ImageBuilder, SlugCompiler, SlugUploads } from './builds/index.js';
import { SourceAdvisor } from './doctor/index.js';
import { ChaosService } from './chaos/index.js';
import { vitalsJson } from './dashboard/index.js';
import { LessonClock } from './clock.js';
import { registryBlobUrl } from './buildpacks/index.js';
import { DynoManager, Rendezvous } from './dynos/index.js';
import type { Account } from './contracts/records.js';
import { APP_DOMAIN_SUFFIX, DomainsService } from './domains/index.js';
import { FeaturesService, HTTP_SESSION_AFFINITY, LOG_RUNTIME_METRICS, PREBOOT, RUNTIME_DYNO_METADATA } from './features/index.js';
import { EventBus } from './events.js';
import { GitService, INTERNAL_PUSH_PATH } from './git/index.js';
import { drainTrust, LogDrains, Logplex, LogSessions } from './logs/index.js';
import { AppQueues } from './queue.js';
import { PipelinesService, ReviewAppsService, TestRunsService } from './pipelines/index.js';
import { ReleasesService } from './releases/index.js';
import { SetupsService } from './setups/index.js';
import { hostTrust, type Runtime } from './runtime/index.js';
import { gitHost, webUrl, type Settings } from './settings.js';
import { SourcesService } from './sources/index.js';
import type { Store } from './store/index.js';
import { WebhooksService } from './webhooks/index.js';

export interface Services extends ApiServices {
  readonly events: EventBus;
  readonly logplex: Logplex;
  readonly queues: AppQueues;
  readonly rendezvous: Rendezvous;
  readonly git: GitService;
}

export interface ServiceDeps {
  readonly settings: Settings;
  readonly store: Store;
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** Where the daemon answers over HTTP (`http://127.0.0.1:5100`), for blob and stream URLs. */
  readonly publicUrl: string;
  readonly onEventError?: (event: string, error: unknown) => void;
  /**
   * How add-on servers are made ready: the image, the local CA's certificate, the readiness probe. The daemon passes
   * the real ones; without them (API tests on the in-memory engine that do not provision) provisioning fails clearly.
   */
  readonly addonServers?: Pick<AddonsDeps, 'ensureImage' | 'certificate' | 'ready'>;
}

const NO_ADDON_SERVERS: Pick<AddonsDeps, 'ensureImage' | 'certificate' | 'ready'> = {
  ensureImage: () => Promise.reject(new Error('add-on servers are not wired in this process')),
  certificate: () => {
    throw new Error('add-on servers are not wired in this process');
  },
  ready: () => Promise.resolve(),
};

export function createServices(deps: ServiceDeps): Services {
  const { settings, store, runtime, logger } = deps;
  store.account.ensure(settings.accountId, settings.accountEmail, 'Berth Developer', new Date().toISOString().slice(0, 19) + 'Z');
  const accounts = new AccountService(store);
  // Read from the store each time: `PATCH /account` may rename it.
  const account = (): Account => accounts.current();
  const events = new EventBus(deps.onEventError ?? ((event, error) => logger.error({ err: error, event }, 'event listener failed')));
  const logplex = new Logplex(store);
  const queues = new AppQueues();
  const logSessions = new LogSessions(logplex, {
    url: (id, secret) => `${deps.publicUrl}/streams/logs/${id}/${secret}`,
    ttlMs: settings.logSessionTtlSeconds * 1000,
    tailBufferMessages: settings.logTailBufferLines,
  });
  const logDrains = new LogDrains(store, logplex, {
    maxPerApp: settings.logDrainsPerApp,
    bufferMessages: settings.logDrainBufferLines,
    ca: drainTrust([join(settings.dataDir, 'tls', 'ca.pem')]),
    onError: (error) => logger.debug({ err: error }, 'log drain delivery failed'),
  });
  logDrains.start();
  events.on('app.destroyed', ({ appId }) => {
    logSessions.removeApp(appId);
    logDrains.removeApp(appId);
  });
  const urls = {
    sourceBlob: (id: string, secret: string) => `${deps.publicUrl}/sources/${id}/${secret}`,
    buildOutput: (buildId: string, secret: string) => `${deps.publicUrl}/streams/builds/${buildId}/${secret}`,
    releaseOutput: (releaseId: string, secret: string) => `${deps.publicUrl}/streams/releases/${releaseId}/${secret}`,
    rendezvous: (secret: string) => `rendezvous://${settings.bindHost}:${settings.rendezvousPort}/${secret}`,
    // The CLI's ci commands read test output with node:https only (reference: heroku-workflows.md §4.2).
    testOutput: (runId: string, secret: string, phase: 'setup' | 'output') => `https://${gitHost(settings)}/streams/test-runs/${runId}/${secret}/${phase}`,
    // `pg:backups:download` fetches with node:https only (reference heroku-addons-and-data §3).
    backup: (id: string, secret: string) => `https://${gitHost(settings)}/backups/${id}/${secret}`,
  };
  // Each service is made after everything it calls, and gets it through its constructor: no setters, no closures
  // over services made later. What flows the other way (a custom domain or a maintenance switch changing what the
  // router serves) is an event.
  const rendezvous = new Rendezvous();
  const domains = new DomainsService(store, events);
  events.on('app.destroyed', ({ appId }) => domains.forgetApp(appId));
  const features = new FeaturesService(store, account().createdAt, events);
  // The lesson clock (`berth clock --speed`): the dynos' timers follow it; the teaching controls set it.
  const clock = new LessonClock();
  const dynos = new DynoManager({
    clock,
    extraHosts: (appId) => domains.customHostnames(appId),
    sessionAffinity: (appId) => features.enabled(appId, HTTP_SESSION_AFFINITY),
    preboot: { enabled: (appId) => features.enabled(appId, PREBOOT), overlapSeconds: settings.prebootOverlapSeconds },
    runtimeMetrics: (appId) => features.enabled(appId, LOG_RUNTIME_METRICS),
    // The dashboard's cards hear each memory reading as it is taken, on their app's live log stream.
    memorySampled: (appId, vitals) => logSessions.pushVitals(appId, vitalsJson(vitals)),
    metadata: {
      enabled: (appId) => features.enabled(appId, RUNTIME_DYNO_METADATA),
      defaultDomain: (appName) => `${appName}${APP_DOMAIN_SUFFIX}`,
    },
    rendezvous,
    runtime,
    store,
    logplex,
    events,
    queues,
    trust: hostTrust(),
    account,
    // The dyno timings are the settings of the same names.
    timings: settings,
    ports: { min: settings.dynoPortMin, max: settings.dynoPortMax },
    releasePhaseTimeoutSeconds: settings.releasePhaseTimeoutSeconds,
    report: (error, what) => logger.warn({ err: error, module: 'dynos' }, what),
  });
  events.on('routing.changed', () => dynos.republish());
  const releases = new ReleasesService(
    { store, logplex, events, queues, releasePhase: dynos, account },
    { dataDir: settings.dataDir, outputMaxBytes: settings.outputMaxBytes, outputUrl: urls.releaseOutput },
  );
  const apps = new AppsService(store, releases, events, { stack: settings.stack, configVarsMaxBytes: settings.configVarsMaxBytes });
  const sources = new SourcesService(store, {
    dataDir: settings.dataDir,
    maxBytes: settings.sourceMaxBytes,
    graceSeconds: settings.sourceGraceSeconds,
    ownPrefixes: () => [`${deps.publicUrl}/sources/`, `https://${gitHost(settings)}/sources/`],
  });
  const compiler = new SlugCompiler({
    runtime,
    stack: settings.stack,
    buildImage: settings.stackBuildImage,
    runImage: settings.stackRunImage,
    trust: hostTrust(),
    npmRegistry: settings.npmRegistry,
    buildpackCacheDir: join(settings.dataDir, 'buildpacks'),
    slugDir: join(settings.dataDir, 'slugs'),
    slugMaxBytes: settings.slugMaxBytes,
    compressionLevel: settings.slugCompressionLevel,
    containerLimits: {
      memoryBytes: settings.buildMemoryMb > 0 ? settings.buildMemoryMb * 1024 * 1024 : undefined,
      pidsLimit: settings.buildPidsLimit > 0 ? settings.buildPidsLimit : undefined,
    },
    sourceLimits: { maxBytes: settings.sourceMaxBytes, maxEntries: settings.sourceMaxEntries },
  });
  // heroku.yml's `FROM heroku/heroku:24` (and `-build`) build on Berth's own stack images when the engine has no such image.
  const imageBuilder = new ImageBuilder({
    runtime,
    stackImages: { 'heroku/heroku:24': settings.stackRunImage, 'heroku/heroku:24-build': settings.stackBuildImage },
    sourceLimits: { maxBytes: settings.sourceMaxBytes, maxEntries: settings.sourceMaxEntries },
    ...(settings.buildMemoryMb > 0 ? { memoryBytes: settings.buildMemoryMb * 1024 * 1024 } : {}),
  });
  const builds = new BuildsService(
    {
      store,
      logplex,
      releases,
      queues,
      compiler,
      imageBuilder,
      sources,
      runtime,
      events,
      account,
      logger: logger.child({ module: 'build' }),
      advisor: new SourceAdvisor(),
    },
    {
      dataDir: settings.dataDir,
      stack: settings.stack,
      buildTimeoutSeconds: settings.buildTimeoutSeconds,
      outputMaxBytes: settings.outputMaxBytes,
      concurrency: settings.buildsConcurrency,
      outputUrl: urls.buildOutput,
      webUrl: (app) => webUrl(settings, app),
    },
  );
  events.on('app.destroyed', ({ appId }) => builds.removeApp(appId));
  const addons = new AddonsService(
    { store, runtime, apps, logplex, events, ...(deps.addonServers ?? NO_ADDON_SERVERS), report: (error, what) => logger.warn({ err: error, module: 'addons' }, what) },
    {
      image: settings.addonImage,
      dataDir: settings.dataDir,
      ports: { min: settings.addonPortMin, max: settings.addonPortMax },
      advertiseAddress: settings.advertiseAddress,
    },
  );
  events.on('app.destroyed', ({ appId }) => addons.removeApp(appId));
  const shapeContext = () => ({
    account: account(),
    gitUrl: (app: string) => `https://${gitHost(settings)}/${app}.git`,
    webUrl: (app: string) => webUrl(settings, app),
    acm: (appId: string) => domains.acmEnabled(appId),
  });
  const webhooks = new WebhooksService(
    { store, account, shape: (change, app) => resourceShape(change, app, shapeContext(), urls.buildOutput) },
    {
      attemptTimeoutMs: settings.webhookAttemptTimeoutMs,
      retryBaseMs: settings.webhookRetryBaseMs,
      retryMaxMs: settings.webhookRetryMaxMs,
      retryWindowMs: settings.webhookRetryWindowSeconds * 1000,
    },
  );
  events.on('resource.changed', (change) => webhooks.notify(change));
  const setups = new SetupsService({
    store,
    apps,
    builds,
    dynos,
    sources: {
      reference: (url) => sources.reference(url),
      readManifests: (url) => sources.readManifests(url, { maxBytes: settings.sourceMaxBytes, maxEntries: settings.sourceMaxEntries }),
    },
    // app.json's add-ons, on the add-ons room's real servers; `as` names the attachment, `options` go as its config.
    addons: {
      provisionAddon: async (app, addon) => {
        await addons.create(app.id, { plan: addon.plan, attachment: addon.as === undefined ? null : { name: addon.as }, config: addon.options ?? null });
      },
    },
    report: (error, what) => logger.warn({ err: error, module: 'setups' }, what),
  });
  const pipelines = new PipelinesService({
    store,
    apps,
    releases,
    account,
    report: (error, what) => logger.warn({ err: error, module: 'pipelines' }, what),
  });
  const testRuns = new TestRunsService({
    store,
    pipelines,
    apps,
    setups,
    dynos,
    report: (error, what) => logger.warn({ err: error, module: 'ci' }, what),
  });
  const reviewApps = new ReviewAppsService({
    store,
    pipelines,
    apps,
    setups,
    dynos,
    // `reviewapps:create` (source_blob "resolve") takes the branch from a pipeline app's git repo; git is made below.
    branches: {
      head: (appId, branch) => git.repos.branchHead(appId, branch),
      source: (appId, branch) => git.branchSource(appId, branch),
    },
    report: (error, what) => logger.warn({ err: error, module: 'review-apps' }, what),
  });
  // A push of another branch to a pipeline app with review apps enabled makes or updates that branch's review app.
  const git = new GitService(
    {
      apps,
      sources,
      builds,
      releases,
      queues,
      sourceBlobUrl: urls.sourceBlob,
      webUrl: (appName) => webUrl(settings, appName),
      // ReviewAppsService is what git/'s GitReviewApps asks for, method for method.
      reviewApps,
      // A `ci/<branch>` pushed to an app of a pipeline is a test run of the pushed commit.
      testRuns: {
        pipelineOf: (appId) => testRuns.pipelineOfApp(appId),
        start: (pipelineId, branch, commit, url, signal) => {
          const { run, output, finished } = testRuns.fromPush(pipelineId, branch, commit, url, signal);
          return { number: run.number, output, finished };
        },
      },
      logger: logger.child({ module: 'git' }),
    },
    {
      dataDir: settings.dataDir,
      autoCreateApps: settings.autoCreateApps,
      // The hook's token goes over TLS (the API's HTTPS listener), never in cleartext on the shared loopback.
      internalUrl: `https://${gitHost(settings)}${INTERNAL_PUSH_PATH}`,
      caFile: join(settings.dataDir, 'tls', 'ca.pem'),
    },
  );
  events.on('app.destroyed', ({ appId }) => git.removeApp(appId));
  const chaos = new ChaosService({
    dynos,
    clock,
    memorySampleSeconds: settings.memorySampleSeconds,
    report: (error, what) => logger.warn({ err: error, module: 'chaos' }, what),
  });
  events.on('app.destroyed', ({ appId }) => chaos.removeApp(appId));
  return {
    chaos,
    pipelines,
    testRuns,
    reviewApps,
    setups,
    git,
    addons,
    apps,
    releases,
    builds,
    dynos,
    domains,
    rendezvous,
    sources,
    events,
    logplex,
    logSessions,
    logDrains,
    webhooks,
    features,
    collaborators: new CollaboratorsService(store, account, events),
    accounts,
    slugUploads: new SlugUploads({
      store,
      runtime,
      runImage: settings.stackRunImage,
      stack: settings.stack,
      dataDir: settings.dataDir,
      maxBytes: settings.slugMaxBytes,
      blobUrl: (slugId, secret) => `${deps.publicUrl}/slugs/${slugId}/${secret}`,
    }),
    queues,
    urls,
    account,
    platform: { stack: settings.stack, registryBlobUrl },
    shapes: shapeContext,
  };
}
