// Builds the real services over an in-memory store and an API instance driven with fastify's inject():
// every layer is the real one, only the socket is skipped, so these tests stay fast.
import pino from 'pino';
import type { RoutingSource } from '../../src/contracts/routing.js';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import type { EventBus, EventName } from '../../src/events.js';
import type { Logplex } from '../../src/logs/index.js';
import { MemoryRuntime } from '../../src/runtime/index.js';
import { createServices } from '../../src/services.js';
import { loadSettings } from '../../src/settings.js';
import { Store } from '../../src/store/index.js';

export const API_KEY = 'test-key-0123456789';

export interface Harness {
  api: FastifyInstance;
  store: Store;
  logplex: Logplex;
  events: EventBus;
  emitted: Array<{ event: EventName; payload: unknown }>;
  /** The routing snapshot the router would hold (the dyno manager's). */
  routing: RoutingSource;
  request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<{
    status: number;
    body: unknown;
    headers: Record<string, string | string[] | number | undefined>;
  }>;
  close(): Promise<void>;
}

export async function harness(options: { logHistoryLines?: number; configVarsMaxBytes?: number } = {}): Promise<Harness> {
  const store = new Store({ file: ':memory:', logHistoryLines: options.logHistoryLines ?? 1500 });
  const settings = loadSettings({
    BERTH_DATA: '/nonexistent/berth-api-tests',
    BERTH_ACCOUNT_EMAIL: 'dev@example.test',
    BERTH_ACCOUNT_ID: '11111111-2222-4333-8444-555555555555',
    BERTH_CONFIG_VARS_MAX_BYTES: String(options.configVarsMaxBytes ?? 65536),
  });
  // The in-memory engine: these tests are about the API and the store, and never need Docker.
  const runtime = new MemoryRuntime();
  const eventErrors: string[] = [];
  const services = createServices({
    settings,
    store,
    runtime,
    logger: pino({ level: 'silent' }),
    publicUrl: 'http://127.0.0.1:5100',
    // The memory engine answers everything app.destroyed asks of it, so a failing listener is a real failure.
    onEventError: (event, error) => void eventErrors.push(`${event}: ${(error as Error).message}`),
  });
  const { events, logplex } = services;
  const emitted: Harness['emitted'] = [];
  for (const event of ['release.current', 'routing.changed', 'app.destroyed'] as const) {
    events.on(event, (payload) => void emitted.push({ event, payload }));
  }
  const api = await buildApi(services, { apiKey: API_KEY, logger: pino({ level: 'silent' }) });
  return {
    api,
    store,
    logplex,
    events,
    emitted,
    routing: services.dynos,
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
      if (eventErrors.length > 0) throw new Error(`event listeners failed:\n${eventErrors.join('\n')}`);
    },
  };
}
