// Every Berth service on the in-memory engine (no Docker), with a data dir of its own: builds write their source,
// output and slug files there, so a build runs end to end, only its container is scripted (build-container.ts).
// `request` drives the Platform API with fastify's inject(), as test/api/harness.ts does.
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import type { AppRecord } from '../../src/contracts/records.js';
import { MemoryRuntime } from '../../src/runtime/index.js';
import { createServices, type Services } from '../../src/services.js';
import { loadSettings, type Settings } from '../../src/settings.js';
import { Store } from '../../src/store/index.js';

export const API_KEY = 'test-key-platform';
export const EMAIL = 'dev@example.test';
export const BUILD_IMAGE = 'berth/heroku-24:build';
export const RUN_IMAGE = 'berth/heroku-24:run';
export const ADDON_IMAGE = 'berth/heroku-24:addons';

export interface Platform {
  readonly engine: MemoryRuntime;
  readonly store: Store;
  readonly services: Services;
  readonly settings: Settings;
  readonly api: FastifyInstance;
  readonly dataDir: string;
  /** Failures of event listeners (app.destroyed, release.current): a test that expects none checks it is empty. */
  readonly eventErrors: string[];
  createApp(name?: string): Promise<AppRecord>;
  app(name: string): AppRecord;
  /** `source[dyno]: message` lines of the app's log, in order. */
  lines(app: AppRecord): string[];
  request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, body?: unknown): Promise<{ status: number; body: unknown; text: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** `env`: BERTH_* settings for this platform (a short build timeout, retention counts). */
export async function platform(env: Record<string, string> = {}): Promise<Platform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-platform-'));
  const store = new Store({ file: ':memory:', logHistoryLines: 10_000 });
  // A window of dyno ports of its own, so parallel test files do not bind the same ones.
  const base = 30000 + randomInt(0, 40) * 200;
  const settings = loadSettings({
    BERTH_DATA: dataDir,
    BERTH_ACCOUNT_EMAIL: EMAIL,
    BERTH_ACCOUNT_ID: '11111111-2222-4333-8444-555555555555',
    BERTH_DYNO_PORT_MIN: String(base),
    BERTH_DYNO_PORT_MAX: String(base + 199),
    ...env,
  });
  const engine = new MemoryRuntime({ images: [BUILD_IMAGE, RUN_IMAGE, ADDON_IMAGE] });
  // Add-on servers run until stopped; their readiness is taken for granted (the integration tier has real ones).
  engine.script((spec) => spec.labels.role === 'addon', (proc) => proc.forever());
  // Dynos of a deployed slug run until stopped (a test scripts them otherwise).
  engine.script((spec) => spec.labels.role === 'dyno', (proc) => proc.forever());
  const eventErrors: string[] = [];
  const services = createServices({
    settings,
    store,
    runtime: engine,
    logger: pino({ level: 'silent' }),
    publicUrl: 'http://127.0.0.1:5100',
    onEventError: (event, error) => void eventErrors.push(`${event}: ${(error as Error).message}`),
    addonServers: { ensureImage: async () => undefined, certificate: () => ({ certPem: 'cert', keyPem: 'key' }), ready: async () => undefined },
  });
  const api = await buildApi(services, { apiKey: API_KEY, logger: pino({ level: 'silent' }) });
  // Fastify compiles every route's schemas when it first boots (an inject, or close): tests that never call the API
  // skip that cost.
  let apiUsed = false;
  const p: Platform = {
    engine,
    store,
    services,
    settings,
    get api() {
      apiUsed = true;
      return api;
    },
    dataDir,
    eventErrors,
    async createApp(name = `app-${randomInt(1e6)}`) {
      return services.apps.create({ name });
    },
    app(name) {
      return services.apps.get(name);
    },
    lines(app) {
      services.logplex.flush();
      return store.logs.read(app.id).map((r) => `${r.source}[${r.dyno}]: ${r.message}`);
    },
    async request(method, url, body) {
      apiUsed = true;
      const response = await api.inject({
        method,
        url,
        headers: { authorization: `Bearer ${API_KEY}`, accept: 'application/vnd.heroku+json; version=3' },
        ...(body === undefined ? {} : Buffer.isBuffer(body) ? { payload: body } : { payload: body as object }),
      });
      const text = response.body;
      let parsed: unknown = undefined;
      try {
        parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
      } catch {
        parsed = undefined;
      }
      return { status: response.statusCode, body: parsed, text, headers: response.headers };
    },
    async close() {
      await services.builds.settled();
      services.dynos.detachAll();
      services.addons.detachAll();
      for (const c of await engine.listByLabel({})) await engine.remove(c.id);
      if (apiUsed) await api.close();
      await services.events.settled();
      store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return p;
}
