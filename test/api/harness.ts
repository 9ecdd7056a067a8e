// Builds the real services over an in-memory store and an API instance driven with fastify's inject():
// every layer is the real one, only the socket is skipped, so these tests stay fast.
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { AppsService } from '../../src/apps/index.js';
import { EventBus, type EventName } from '../../src/events.js';
import { Logplex } from '../../src/logs/index.js';
import { ReleasesService } from '../../src/releases/index.js';
import { Store } from '../../src/store/index.js';

export const API_KEY = 'test-key-0123456789';

export interface Harness {
  api: FastifyInstance;
  store: Store;
  logplex: Logplex;
  events: EventBus;
  emitted: Array<{ event: EventName; payload: unknown }>;
  request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<{
    status: number;
    body: unknown;
    headers: Record<string, string | string[] | number | undefined>;
  }>;
  close(): Promise<void>;
}

export async function harness(options: { logHistoryLines?: number; configVarsMaxBytes?: number } = {}): Promise<Harness> {
  const store = new Store({ file: ':memory:', logHistoryLines: options.logHistoryLines ?? 1500 });
  const account = store.account.ensure('11111111-2222-4333-8444-555555555555', 'dev@example.test', 'Dev', '2026-01-01T00:00:00Z');
  const events = new EventBus((event, error) => {
    throw new Error(`listener for ${event} failed: ${String(error)}`);
  });
  const emitted: Harness['emitted'] = [];
  for (const event of ['release.current', 'dyno.changed', 'app.destroyed'] as const) {
    events.on(event, (payload) => void emitted.push({ event, payload }));
  }
  const logplex = new Logplex(store);
  const releases = new ReleasesService(store, logplex, events, () => account);
  const apps = new AppsService(store, releases, events, { stack: 'heroku-24', configVarsMaxBytes: options.configVarsMaxBytes ?? 65536 });
  const api = await buildApi(
    {
      apps,
      releases,
      account: () => account,
      shapes: () => ({ account, gitUrl: (a) => `https://127.0.0.1:5101/${a}.git`, webUrl: (a) => `http://${a}.localhost:5000/` }),
    },
    { apiKey: API_KEY, logger: pino({ level: 'silent' }) },
  );
  return {
    api,
    store,
    logplex,
    events,
    emitted,
    async request(method, url, body, headers = {}) {
      const response = await api.inject({
        method,
        url,
        headers: { authorization: `Bearer ${API_KEY}`, accept: 'application/vnd.heroku+json; version=3', ...headers },
        ...(body === undefined ? {} : typeof body === 'string' ? { payload: body, headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}`, ...headers } } : { payload: body as object }),
      });
      const text = response.body;
      return { status: response.statusCode, body: text === '' ? undefined : (JSON.parse(text) as unknown), headers: response.headers };
    },
    async close() {
      await api.close();
      await events.settled();
      store.close();
    },
  };
}
