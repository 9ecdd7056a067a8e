// Helpers for the dyno-manager and release-phase integration tests: deploy a fixture through the Builds API, read
// the app's log from the daemon's store (read-only), wait for lines and dyno states, find a dyno's container.
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  api,
  appLogLines,
  buildDirectory,
  containersWithLabels,
  docker,
  expectLinesInOrder,
  fixture,
  waitFor,
  type AppJson,
  type BuildRun,
  type LogRow,
} from '../support/build.js';
import type { TestDaemon } from '../support/daemon.js';

export interface DynoJson {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly state: string;
  readonly command: string;
  readonly size: string;
  readonly release: { readonly id: string; readonly version: number };
}

export interface FormationJson {
  readonly type: string;
  readonly quantity: number;
  readonly size: string;
  readonly command: string;
}

export interface FullReleaseJson {
  readonly id: string;
  readonly version: number;
  readonly description: string;
  readonly status: string;
  readonly current: boolean;
  readonly slug: { readonly id: string } | null;
  readonly output_stream_url: string | null;
  readonly eligible_for_rollback: boolean;
}

/** Timings short enough for tests; none of them is ever asserted as a duration. */
export const SHORT_TIMINGS: Readonly<Record<string, string>> = {
  BERTH_BOOT_TIMEOUT: '20',
  BERTH_STOP_GRACE: '3',
  BERTH_CRASH_COOLOFF: '4,6',
  BERTH_CRASH_RESET: '600',
  BERTH_MEMORY_SAMPLE_SECONDS: '1',
  BERTH_RELEASE_TIMEOUT: '120',
};

/** `heroku[web.1]: State changed ...` as `heroku logs` shows a line (without the timestamp). */
export function render(row: LogRow): string {
  return `${row.source}[${row.dyno}]: ${row.message}`;
}

export interface AppLog {
  readonly rows: LogRow[];
  readonly lines: string[];
}

export function readLog(daemon: TestDaemon, appId: string, afterSeq = 0): AppLog {
  const rows = appLogLines(daemon, appId).filter((row) => row.seq > afterSeq);
  return { rows, lines: rows.map(render) };
}

/** The seq of the last line so far: later reads can start after it. */
export function logMark(daemon: TestDaemon, appId: string): number {
  return appLogLines(daemon, appId).at(-1)?.seq ?? 0;
}

/** Waits until every expected line is in the log (after `afterSeq`), in order; returns the lines read. */
export async function waitForLines(
  daemon: TestDaemon,
  appId: string,
  expected: ReadonlyArray<string | RegExp>,
  options: { afterSeq?: number; timeoutMs?: number } = {},
): Promise<AppLog> {
  let last: AppLog = { rows: [], lines: [] };
  try {
    await waitFor(
      `log lines ${expected.map(String).join(' | ')}`,
      () => {
        last = readLog(daemon, appId, options.afterSeq ?? 0);
        try {
          expectLinesInOrder(last.lines, expected);
          return true;
        } catch {
          return false;
        }
      },
      options.timeoutMs ?? 90_000,
    );
  } catch {
    // Fail with the log itself, which is what one needs to see.
    expectLinesInOrder(readLog(daemon, appId, options.afterSeq ?? 0).lines, expected);
  }
  return last;
}

/** Deploys a directory through the Builds API and expects the build to succeed. */
export async function deploy(daemon: TestDaemon, app: string, dir: string): Promise<BuildRun> {
  const run = await buildDirectory(daemon, app, dir);
  expect(run.build.status, run.output).toBe('succeeded');
  // The release phase runs after the build's output ends: wait for the release to leave `pending`, so that a
  // config change made next is based on this release (see the report: a config release made while a deploy's
  // release is pending carries the previous slug).
  if (run.build.release) await waitForRelease(daemon, app, run.build.release.id);
  return run;
}

/** A copy of a fixture with extra files (e.g. a marker, to make a different slug). */
export async function fixtureCopy(daemon: TestDaemon, name: string, extra: Readonly<Record<string, string>> = {}): Promise<string> {
  const dir = await mkdtemp(join(daemon.rootDir, `${name}-`));
  await cp(fixture(name), dir, { recursive: true });
  for (const [file, content] of Object.entries(extra)) await writeFile(join(dir, file), content);
  return dir;
}

export function dynos(daemon: TestDaemon, app: string): Promise<DynoJson[]> {
  return api<DynoJson[]>(daemon, 'GET', `/apps/${app}/dynos`);
}

export function formation(daemon: TestDaemon, app: string): Promise<FormationJson[]> {
  return api<FormationJson[]>(daemon, 'GET', `/apps/${app}/formation`);
}

export function scale(daemon: TestDaemon, app: string, updates: ReadonlyArray<{ type: string; quantity?: string | number; size?: string }>) {
  return api<FormationJson[]>(daemon, 'PATCH', `/apps/${app}/formation`, { updates });
}

export function releases(daemon: TestDaemon, app: string): Promise<FullReleaseJson[]> {
  return api<FullReleaseJson[]>(daemon, 'GET', `/apps/${app}/releases`);
}

export async function currentRelease(daemon: TestDaemon, app: string): Promise<FullReleaseJson> {
  const current = (await releases(daemon, app)).find((r) => r.current);
  if (!current) throw new Error(`${app} has no current release`);
  return current;
}

/** Waits until the named dynos are all in `state` (and GET /dynos lists exactly `names` when `exact`). */
export async function waitForDynos(
  daemon: TestDaemon,
  app: string,
  names: readonly string[],
  state: string,
  options: { exact?: boolean; timeoutMs?: number } = {},
): Promise<DynoJson[]> {
  let last: DynoJson[] = [];
  await waitFor(
    `${names.join(', ')} ${state} (last: ${JSON.stringify(last.map((d) => `${d.name}=${d.state}`))})`,
    async () => {
      last = await dynos(daemon, app);
      const wanted = names.every((name) => last.find((d) => d.name === name)?.state === state);
      const exact = !options.exact || last.map((d) => d.name).sort().join() === [...names].sort().join();
      return wanted && exact;
    },
    options.timeoutMs ?? 90_000,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; dynos: ${JSON.stringify(last.map((d) => `${d.name}=${d.state}`))}`);
  });
  return last;
}

export async function waitForRelease(daemon: TestDaemon, app: string, id: string, timeoutMs = 120_000): Promise<FullReleaseJson> {
  let release: FullReleaseJson | undefined;
  await waitFor(
    `release ${id} to leave pending`,
    async () => {
      release = await api<FullReleaseJson>(daemon, 'GET', `/apps/${app}/releases/${id}`);
      return release.status !== 'pending';
    },
    timeoutMs,
  );
  return release as FullReleaseJson;
}

/**
 * The app's dyno containers (formation, one-off and release dynos: label berth.app=<id>), optionally one dyno's. A
 * build's container is not one of them: it is removed in the background while the new release boots.
 */
export async function appContainers(appId: string, dyno?: string): Promise<string[]> {
  const filters = ['--filter', `label=berth.app=${appId}`, ...(dyno === undefined ? [] : ['--filter', `label=berth.dyno=${dyno}`])];
  const out = await docker(['ps', '-a', ...filters, '--format', '{{.ID}} {{.Label "berth.role"}}']);
  return out
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith(' build'))
    .map((line) => line.split(' ')[0] ?? '');
}

/**
 * The dyno's containers once there are `count` of them. A stopped instance's container goes a moment after its exit
 * line (the engine's diff of it is read first, for `berth doctor -a`), so a count right after the lines may still see it.
 */
export async function settledContainers(appId: string, dyno: string, count = 1): Promise<string[]> {
  let ids: string[] = [];
  await waitFor(`${count} container(s) of ${dyno}`, async () => (ids = await appContainers(appId, dyno)).length === count, 30_000);
  return ids;
}

/** The $PORT a dyno's container was given, from `docker inspect`. */
export async function containerPort(containerId: string): Promise<number> {
  const env = JSON.parse(await docker(['inspect', '--format', '{{json .Config.Env}}', containerId])) as string[];
  const port = env.find((entry) => entry.startsWith('PORT='));
  if (!port) throw new Error(`container ${containerId} has no PORT`);
  return Number(port.slice('PORT='.length));
}

/** GET http://127.0.0.1:<port of the dyno's container>/ (no router involved). */
export async function getFromDyno(appId: string, dyno: string): Promise<string> {
  const [id] = await appContainers(appId, dyno);
  if (!id) throw new Error(`no container for ${dyno}`);
  const port = await containerPort(id);
  const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
  return response.text();
}

/** When a test daemon died, its output is what explains it: call from afterAll. */
export async function reportDeadDaemon(daemon: TestDaemon | undefined): Promise<void> {
  if (!daemon) return;
  const alive = await fetch(`${daemon.apiUrl}/account`, { signal: AbortSignal.timeout(3000) }).then(
    () => true,
    () => false,
  );
  if (!alive) console.error(`the berth daemon does not answer; its output:\n${daemon.output().slice(-8000)}`);
}
