// The composition root: settings, store, services, servers, wiring, shutdown.
import { apiTimestamp } from './clock.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApi, type ApiServices } from './api/index.js';
import { AppsService } from './apps/index.js';
import type { Account } from './contracts/records.js';
import { ensureApiKey } from './credentials.js';
import { EventBus } from './events.js';
import { Logplex } from './logs/index.js';
import { ReleasesService } from './releases/index.js';
import { apiUrl, gitHost, webUrl, type Settings } from './settings.js';
import { Store } from './store/index.js';
import { ensureCa } from './tls/index.js';

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

export interface DaemonOptions {
  logger?: Logger;
}

export async function startDaemon(settings: Settings, options: DaemonOptions = {}): Promise<Daemon> {
  const logger = options.logger ?? pino({ level: settings.logLevel, base: { name: 'berth' } });
  await mkdir(settings.dataDir, { recursive: true, mode: 0o700 });
  const apiKey = await ensureApiKey(settings.dataDir);
  const ca = await ensureCa(settings.dataDir);

  const store = new Store({ file: join(settings.dataDir, 'berth.db'), logHistoryLines: settings.logHistoryLines });
  const account: Account = store.account.ensure(settings.accountId, settings.accountEmail, 'Berth Developer', apiTimestamp());
  const events = new EventBus((event, error) => logger.error({ err: error, event }, 'event listener failed'));
  const logplex = new Logplex(store);
  const releases = new ReleasesService(store, logplex, events, () => account);
  const apps = new AppsService(store, releases, events, {
    stack: settings.stack,
    configVarsMaxBytes: settings.configVarsMaxBytes,
  });

  const services: ApiServices = {
    apps,
    releases,
    account: () => account,
    shapes: () => ({
      account,
      gitUrl: (app) => `https://${gitHost(settings)}/${app}.git`,
      webUrl: (app) => webUrl(settings, app),
    }),
  };

  const servers: FastifyInstance[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(servers.map((server) => server.close()));
    await events.settled();
    store.close();
  };
  try {
    const http = await buildApi(services, { apiKey, logger });
    servers.push(http);
    await http.listen({ host: settings.bindHost, port: settings.apiPort });
    const tlsCert = ca.issue({ ipAddresses: [...new Set([settings.bindHost, '127.0.0.1'])], dnsNames: ['localhost'] });
    const https = await buildApi(services, { apiKey, logger, https: { key: tlsCert.keyPem, cert: tlsCert.certPem } });
    servers.push(https);
    await https.listen({ host: settings.bindHost, port: settings.apiTlsPort });
  } catch (error) {
    await close();
    throw error;
  }

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
