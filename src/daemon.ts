// The composition root: settings, store, services, servers, wiring, shutdown.
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { waitReady } from './addons/index.js';
import { buildApi } from './api/index.js';
import { ensureApiKey } from './credentials.js';
import type { EventBus } from './events.js';
import type { Logplex } from './logs/index.js';
import { DockerRuntime, SwarmRuntime, type Runtime } from './runtime/index.js';
import { createServices } from './services.js';
import { sweepRetention } from './releases/index.js';
import { DashboardSessions } from './dashboard/index.js';
import { apiTlsUrl, apiUrl, gitHost, type Settings } from './settings.js';
import { Store } from './store/index.js';
import { createSniHandler, ensureCa } from './tls/index.js';
import { ensureAddonImage } from './stack/index.js';
import { Router } from './router/index.js';

export interface Daemon {
  readonly settings: Settings;
  readonly apiUrl: string;
  readonly apiTlsUrl: string;
  readonly apiKey: string;
  readonly store: Store;
  readonly events: EventBus;
  readonly logplex: Logplex;
  readonly logger: Logger;
  close(): Promise<void>;
}

function listenOn(server: HttpsServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, ends idle keep-alive connections, resolves once the busy ones are done (as Fastify's close does). */
function closeServer(server: HttpsServer | undefined): Promise<void> {
  if (server === undefined || !server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** The engine port BERTH_RUNTIME names: the one Docker engine, or a swarm (with the registry Berth runs for it). */
async function connectRuntime(settings: Settings, logger: Logger): Promise<Runtime & { close?: () => Promise<void> }> {
  if (settings.runtime === 'docker') return DockerRuntime.connect(settings);
  const registryLog = logger.child({ module: 'registry' });
  return SwarmRuntime.start(settings, (code) => registryLog.warn({ code }, 'docker-registry exited; starting it again'));
}

export interface DaemonOptions {
  logger?: Logger;
}

export async function startDaemon(settings: Settings, options: DaemonOptions = {}): Promise<Daemon> {
  const logger = options.logger ?? pino({ level: settings.logLevel, base: { name: 'berth' } });
  // The engine answers its ping while the key, the CA and the store are read (its failure still comes after theirs).
  const connecting = connectRuntime(settings, logger);
  connecting.catch(() => undefined);
  // A start that fails once the runtime may be connected closes it: the swarm's registry must not outlive the daemon.
  const abandon = async (error: unknown): Promise<never> => {
    await connecting.then(
      (connected) => connected.close?.(),
      () => undefined,
    );
    throw error;
  };
  const { apiKey, ca, store } = await (async () => {
    await mkdir(settings.dataDir, { recursive: true, mode: 0o700 });
    const key = await ensureApiKey(settings.dataDir);
    const authority = await ensureCa(settings.dataDir);
    return { apiKey: key, ca: authority, store: new Store({ file: join(settings.dataDir, 'berth.db'), logHistoryLines: settings.logHistoryLines }) };
  })().catch(abandon);
  const runtime = await connecting.catch((error: unknown) => {
    store.close();
    throw error;
  });
  const addonLog = logger.child({ module: 'addons' });
  const addonServers = {
    // Built on first use when `berth setup` has not built it yet; its progress goes to the daemon's log.
    ensureImage: () =>
      ensureAddonImage(settings, runtime, {
        step: (title: string) => {
          addonLog.info(title);
          return (outcome?: string) => addonLog.info({ outcome: outcome ?? 'done' }, title);
        },
        info: (message: string) => addonLog.info(message),
      }),
    // Dynos on other nodes reach the servers at the advertise address, and verify it (rediss://).
    certificate: () => ca.issue({ ipAddresses: [...new Set(['127.0.0.1', settings.advertiseAddress])], dnsNames: ['localhost'] }),
    ready: (addon: Parameters<typeof waitReady>[0], service: { kind: Parameters<typeof waitReady>[1] }) =>
      waitReady(addon, service.kind, settings.addonReadyTimeoutSeconds * 1000, async () => addon.containerId !== null && (await runtime.state(addon.containerId)).running),
  };
  const services = createServices({ settings, store, runtime, logger, publicUrl: apiUrl(settings), addonServers });
  const { events, logplex } = services;
  // One set of dashboard sessions for both API ports: a link printed for one works on the other.
  // Links point at the HTTPS port: the page posts the API key and holds a session worth as much.
  const dashboard = { sessions: new DashboardSessions(() => apiKey), publicUrl: apiTlsUrl(settings) };
  // The API's routes are set up (CPU) while recovery waits on the engine; nothing listens before both are done.
  const building = buildApi(services, { apiKey, logger, git: services.git, dashboard });
  building.catch(() => undefined);
  try {
    await services.builds.recover();
    await services.releases.recover();
    await services.dynos.recover();
    services.webhooks.resume();
    services.setups.recover();
    services.testRuns.recover();
    services.reviewApps.recover();
    await services.addons.recover();
  } catch (error) {
    await abandon(error);
  }
  const retention = { keepReleases: settings.retentionReleases, keepDays: settings.retentionDays };
  const sweep = () => {
    // Review apps of pipelines with destroy_stale_apps, not deployed for stale_days days, go in the same hourly sweep.
    try {
      services.reviewApps.destroyStale();
    } catch (error) {
      logger.error({ err: error }, 'stale review apps sweep failed');
    }
    return sweepRetention(store, runtime, retention).catch((error: unknown) => logger.error({ err: error }, 'retention sweep failed'));
  };
  // The first sweep runs once the daemon is up: a restarted daemon need not wait for it, a throwaway one has nothing to sweep.
  let firstSweep: Promise<unknown> = Promise.resolve();
  const sweeper = setInterval(() => void sweep(), 60 * 60 * 1000);
  sweeper.unref();

  const router = new Router({
    source: services.dynos,
    logplex,
    logger: logger.child({ module: 'router' }),
    maxConnections: settings.routerMaxConnections > 0 ? settings.routerMaxConnections : undefined,
    delayMs: (appId) => services.chaos.routerDelayMs(appId),
    timeouts: {
      requestMs: settings.routerRequestTimeoutMs,
      idleMs: settings.routerIdleTimeoutMs,
      connectMs: settings.routerConnectTimeoutMs,
      bootMs: settings.routerBootTimeoutMs,
      dynoKeepAliveMs: settings.routerDynoKeepAliveMs,
      clientKeepAliveMs: settings.routerClientKeepAliveMs,
    },
  });
  // H12 and H20 follow the lesson clock (`berth clock --speed`), as the dynos' timers do.
  router.setLessonSpeed(services.chaos.clockSpeed);
  const stopClock = services.chaos.onClockChange((speed) => router.setLessonSpeed(speed));
  const servers: FastifyInstance[] = [];
  let apiTls: HttpsServer | undefined;
  const close = async (): Promise<void> => {
    clearInterval(sweeper);
    await firstSweep;
    stopClock();
    // Open log streams would keep the HTTP servers from closing.
    services.logSessions.close();
    await Promise.allSettled([...servers.map((server) => server.close()), closeServer(apiTls), services.rendezvous.close()]);
    // Before the store closes: the router flushes its last lines into logplex.
    await router.close();
    await services.builds.shutdown();
    // Dynos keep running: the next daemon adopts them (DESIGN.md "Recovery on start").
    services.dynos.detachAll();
    // Add-on servers keep running too, with their data.
    services.addons.detachAll();
    await events.settled();
    services.logDrains.close();
    services.webhooks.close();
    logplex.flush();
    store.close();
    // The swarm's registry stops with the daemon (its services keep running, as dynos do).
    await runtime.close?.();
  };
  try {
    const http = await building;
    servers.push(http);
    await http.listen({ host: settings.bindHost, port: settings.apiPort });
    const tlsCert = ca.issue({ ipAddresses: [...new Set([settings.bindHost, '127.0.0.1'])], dnsNames: ['localhost'] });
    // The HTTPS port (API and git) is answered by the same Fastify instance: a second instance would compile every
    // route's schemas again, a third of the daemon's start-up CPU.
    apiTls = createHttpsServer({ key: tlsCert.keyPem, cert: tlsCert.certPem }, (request, response) => http.routing(request, response));
    // Fastify's own server settings, not node:https's defaults (whose 300 s requestTimeout would cut a long git push).
    apiTls.keepAliveTimeout = http.server.keepAliveTimeout;
    apiTls.requestTimeout = http.server.requestTimeout;
    apiTls.headersTimeout = http.server.headersTimeout;
    apiTls.timeout = http.server.timeout;
    apiTls.maxRequestsPerSocket = http.server.maxRequestsPerSocket;
    await listenOn(apiTls, settings.bindHost, settings.apiTlsPort);
    // After listening, an error of the server (not of one connection) is logged, not thrown at the daemon.
    apiTls.on('error', (error) => logger.error({ err: error }, 'the HTTPS API server failed'));
    await router.listen({ host: settings.bindHost, port: settings.routerPort });
    // One certificate per host name, minted by the local CA on first use (Node rejects `*.localhost` wildcards).
    // A certificate is minted (about 20 ms of this thread) only for a name the router serves, never for any name a
    // client makes up.
    // A custom domain linked to an SNI endpoint (`certs:add`, `domains:update --cert`) gets the user's certificate.
    const sni = createSniHandler(ca, { allow: (name) => router.routes(name), own: (name) => services.domains.certificateFor(name) });
    const routerTls = { cert: sni.fallback.certPem, key: sni.fallback.keyPem, SNICallback: sni.SNICallback };
    await router.listen({ host: settings.bindHost, port: settings.routerTlsPort, tls: routerTls });
    // `heroku run` verifies this certificate against NODE_EXTRA_CA_CERTS (the local CA), by IP.
    await services.rendezvous.listen(settings.bindHost, settings.rendezvousPort, { key: tlsCert.keyPem, cert: tlsCert.certPem });
  } catch (error) {
    await close();
    throw error;
  }

  firstSweep = sweep();
  logger.info({ api: apiUrl(settings), git: gitHost(settings) }, 'berth daemon started');
  return {
    settings,
    apiUrl: apiUrl(settings),
    apiTlsUrl: `https://${gitHost(settings)}`,
    apiKey,
    store,
    events,
    logplex,
    logger,
    close,
  };
}
