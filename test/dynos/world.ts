// A dyno manager on the in-memory engine (no Docker): a store in memory, real logplex and events, an app, and
// releases whose slugs are images the memory engine knows. Scripts stand in for the Procfile's programs.
import { randomInt, randomUUID } from 'node:crypto';
import { apiTimestamp } from '../../src/clock.js';
import type { AppRecord, ConfigVars, ProcessTypes, ReleaseRecord } from '../../src/contracts/records.js';
import { DynoManager, type DynoManagerDeps } from '../../src/dynos/index.js';
import type { LifecycleTimings } from '../../src/dynos/lifecycle.js';
import { EventBus } from '../../src/events.js';
import { Logplex } from '../../src/logs/index.js';
import { AppQueues } from '../../src/queue.js';
import { MemoryRuntime } from '../../src/runtime/index.js';
import { Store } from '../../src/store/index.js';

export const EMAIL = 'dev@example.test';
export const MB = 1024 * 1024;

/** Short enough for a unit test; never asserted as durations. */
const FAST: LifecycleTimings = {
  bootTimeoutSeconds: 0.5,
  stopGraceSeconds: 0.3,
  crashCooloffSeconds: [0.3, 0.6],
  crashResetSeconds: 600,
  cycleSeconds: 3600,
  memorySampleSeconds: 0.1,
};

export interface World {
  readonly engine: MemoryRuntime;
  readonly store: Store;
  readonly events: EventBus;
  readonly app: AppRecord;
  manager: DynoManager;
  readonly eventErrors: string[];
  /** A new release of `processTypes` made current (as a deploy or config change does); `release.current` is told. */
  release(processTypes: ProcessTypes, config?: ConfigVars, options?: { announce?: boolean }): Promise<ReleaseRecord>;
  /** A second daemon on the same store and engine (after the first detached). */
  restartDaemon(): Promise<void>;
  /** `heroku[<dyno>]` messages of the app, in order (all `heroku`/`app` lines as `source[dyno]: msg` without a dyno). */
  lines(dyno?: string): string[];
  /** Waits until `dyno`'s heroku lines contain `expected` in order (after `from` lines). */
  waitForLines(dyno: string, expected: readonly string[], from?: number): Promise<string[]>;
  /** The app's containers that still exist. */
  containers(dyno?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function world(
  options: {
    timings?: LifecycleTimings;
    preboot?: DynoManagerDeps['preboot'];
    runtimeMetrics?: DynoManagerDeps['runtimeMetrics'];
    clock?: DynoManagerDeps['clock'];
    memorySampled?: DynoManagerDeps['memorySampled'];
  } = {},
): Promise<World> {
  const store = new Store({ file: ':memory:', logHistoryLines: 10_000 });
  const logplex = new Logplex(store);
  const eventErrors: string[] = [];
  const events = new EventBus((event, error) => void eventErrors.push(`${event}: ${(error as Error).stack ?? String(error)}`));
  const engine = new MemoryRuntime({ images: ['berth/heroku-24:run'] });
  const now = apiTimestamp();
  const app = store.apps.insert({ id: randomUUID(), name: `app-${randomInt(1e6)}`, createdAt: now, stack: 'heroku-24', region: 'us' });
  // A window of loopback ports of its own, so parallel test files do not probe the same ones.
  const base = 40000 + randomInt(0, 40) * 500;
  const make = () =>
    new DynoManager({
      runtime: engine,
      store,
      logplex,
      events,
      queues: new AppQueues(),
      trust: { env: {}, binds: [] },
      account: () => ({ id: 'u1', email: EMAIL, name: 'dev', createdAt: now }),
      timings: options.timings ?? FAST,
      ports: { min: base, max: base + 499 },
      releasePhaseTimeoutSeconds: 5,
      ...(options.preboot ? { preboot: options.preboot } : {}),
      ...(options.runtimeMetrics ? { runtimeMetrics: options.runtimeMetrics } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.memorySampled ? { memorySampled: options.memorySampled } : {}),
    });
  const read = (): { source: string; dyno: string; message: string }[] => {
    logplex.flush();
    return store.logs.read(app.id);
  };
  const w: World = {
    engine,
    store,
    events,
    app,
    manager: make(),
    eventErrors,
    async release(processTypes, config = {}, { announce = true } = {}) {
      const slugId = randomUUID();
      const image = `berth/slug:${slugId}`;
      engine.addImage(image);
      store.builds.insertSlug({
        id: slugId,
        appId: app.id,
        createdAt: now,
        checksum: 'SHA256:00',
        size: 1,
        processTypes,
        commit: null,
        commitDescription: null,
        stack: 'heroku-24',
        buildpackProvidedDescription: null,
        blobPath: '/nonexistent',
        image,
      });
      const release = store.releases.insert({
        id: randomUUID(),
        appId: app.id,
        description: 'Deploy',
        status: 'succeeded',
        createdAt: now,
        artifact: { type: 'slug', id: slugId },
        config,
        addonPlanNames: [],
        userId: 'u1',
        userEmail: EMAIL,
        outputStreamUrl: null,
      });
      store.releases.makeCurrent(app.id, release.id, now);
      if (announce) {
        events.emit('release.current', { appId: app.id, appName: app.name, releaseId: release.id, version: release.version });
        await events.settled();
      }
      return store.releases.getById(app.id, release.id) as ReleaseRecord;
    },
    async restartDaemon() {
      w.manager.detachAll();
      w.manager = make();
      await w.manager.recover();
    },
    lines(dyno) {
      const rows = read();
      if (dyno === undefined) return rows.map((r) => `${r.source}[${r.dyno}]: ${r.message}`);
      return rows.filter((r) => r.source === 'heroku' && r.dyno === dyno).map((r) => r.message);
    },
    async waitForLines(dyno, expected, from = 0) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const lines = w.lines(dyno).slice(from);
        if (containsInOrder(lines, expected)) return lines;
        if (Date.now() > deadline) throw new Error(`${dyno}: expected, in order:\n  ${expected.join('\n  ')}\ngot:\n  ${lines.join('\n  ')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async containers(dyno) {
      const list = await engine.listByLabel({ app: app.id, ...(dyno ? { dyno } : {}) });
      return list.filter((c) => c.state === 'running').map((c) => c.id);
    },
    async close() {
      w.manager.detachAll();
      for (const c of await engine.listByLabel({})) await engine.remove(c.id);
      await events.settled();
      store.close();
    },
  };
  return w;
}

function containsInOrder(lines: readonly string[], expected: readonly string[]): boolean {
  let i = 0;
  for (const line of lines) if (i < expected.length && line === expected[i]) i += 1;
  return i === expected.length;
}
