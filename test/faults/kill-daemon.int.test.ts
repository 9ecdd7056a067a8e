// Fault injection (issue 11, "Must show"): the daemon is killed with SIGKILL during a build, during a release phase,
// during a deploy's restart (dynos inside their SIGTERM grace) and during a scale-up; after each restart nothing the
// user made is lost and nothing the daemon made is leaked:
// - every app, release, config var and log line (as `heroku logs` reads them) from before the kill is still there;
// - the build or release phase the kill cut short is `failed`, with a line that says so;
// - every dyno of `GET /dynos` runs the current release (API and engine agree), answers on its own port, and the app
//   answers through the router;
// - the engine holds no container of the app beyond its formation, no two dynos share a port, and the data dir holds
//   no temp files (source copies, `.part` uploads, slug or buildpack temp files) and no stray source blob or slug.
// Add-ons do not exist in Berth yet, so there are none to check; when they do, add them to `snapshot()`.
//
// One daemon and one app (a copy of fixtures/lifecycle, Python stdlib only: no package index) go through the four
// kills in order. Its `graceful.py` web process takes BOOT_SLEEP seconds to bind (a kill lands while dynos start)
// and, on SIGTERM, keeps serving for LINGER_ON_TERM seconds, longer than BERTH_STOP_GRACE (a kill lands inside the
// grace). A sleeping custom buildpack makes a build that surely runs when it is killed.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join, relative } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  containersWithLabels,
  createApp,
  createBuild,
  docker,
  expectLinesInOrder,
  outputLines,
  readOutput,
  tarDirectory,
  uploadSource,
  waitFor,
  type AppJson,
  type BuildJson,
} from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import {
  containerPort,
  currentRelease,
  deploy,
  dynos,
  fixtureCopy,
  logMark,
  readLog,
  releases,
  reportDeadDaemon,
  scale,
  SHORT_TIMINGS,
  waitForDynos,
  waitForLines,
  waitForRelease,
  type FullReleaseJson,
} from '../dynos/helpers.js';
import { openLogSession, readSse } from '../logs/support.js';

const STOP_GRACE = 8;

let daemon: TestDaemon;
let app: AppJson;
let email: string;
/** Source blob ids uploaded through POST /sources: the only blobs the data dir may hold. */
const uploaded = new Set<string>();

const GRACEFUL_PY = `"""web.py, but it takes BOOT_SLEEP seconds to bind, and SIGTERM starts a drain of LINGER_ON_TERM seconds (0: exit
at once) while it keeps serving."""
import os
import signal
import threading
import time

import web
from http.server import HTTPServer


def on_term(signum, frame):
    linger = float(os.environ.get("LINGER_ON_TERM", "0"))
    print(f"graceful.py: SIGTERM, draining for {linger:g} s", flush=True)
    threading.Timer(linger, lambda: os._exit(0)).start()


signal.signal(signal.SIGTERM, on_term)
print(f"web.py boot {web.describe()}", flush=True)
time.sleep(float(os.environ.get("BOOT_SLEEP", "0")))
HTTPServer(("", int(os.environ["PORT"])), web.Handler).serve_forever()
`;

const PROCFILE = 'web: python3 graceful.py\nworker: python3 worker.py\nrelease: python3 release.py\n';

// A buildpack whose compile sleeps as long as the source's `sleep` file says.
const SLEEPY_DETECT = '#!/usr/bin/env bash\necho Sleepy\n';
const SLEEPY_COMPILE = '#!/usr/bin/env bash\necho "-----> Sleepy compile started"\nsleep "$(cat "$1/sleep")"\necho "-----> Sleepy compile done"\n';

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS, BERTH_STOP_GRACE: String(STOP_GRACE) } });
  email = (await api<{ email: string }>(daemon, 'GET', '/account')).email;
  app = await createApp(daemon, 'faults');
  // Dynos take a moment to bind, so a kill can land while they start.
  await releaseConfig({ SECRET: 'one', GREETING: 'first', BOOT_SLEEP: '8' });
  await deployTracked(await appSource('slug-1'));
  await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
}, 240_000);

afterAll(async () => {
  await reportDeadDaemon(daemon);
  // Destroying the app removes its slug images from the shared engine too.
  if (daemon && app) await api(daemon, 'DELETE', `/apps/${app.name}`).catch(() => undefined);
  await daemon?.dispose();
});

/** The app's tree: fixtures/lifecycle with graceful.py and a marker that tells its slugs apart. */
function appSource(marker: string, extra: Readonly<Record<string, string>> = {}): Promise<string> {
  return fixtureCopy(daemon, 'lifecycle', { 'graceful.py': GRACEFUL_PY, Procfile: PROCFILE, 'marker.txt': `${marker}\n`, ...extra });
}

function setConfig(vars: Record<string, string | null>): Promise<unknown> {
  return api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, vars);
}

/** Sets config vars and waits for the release they make to succeed (its phase run, the restart begun). */
async function releaseConfig(vars: Record<string, string | null>): Promise<void> {
  await setConfig(vars);
  const made = (await releases(daemon, app.name)).at(-1) as FullReleaseJson;
  expect((await waitForRelease(daemon, app.name, made.id)).status).toBe('succeeded');
}

/** Source blob id of a get_url (`.../sources/<id>/<secret>`). */
function blobId(url: string): string {
  const match = /\/sources\/([0-9a-f-]{36})/.exec(url);
  if (!match?.[1]) throw new Error(`not a source blob URL: ${url}`);
  return match[1];
}

async function upload(dir: string): Promise<string> {
  const url = await uploadSource(daemon, await tarDirectory(dir));
  uploaded.add(blobId(url));
  return url;
}

async function deployTracked(dir: string): Promise<void> {
  const run = await deploy(daemon, app.name, dir);
  uploaded.add(blobId(run.build.source_blob.url));
}

// ---- what must survive a kill -----------------------------------------------------------------------------------

interface Snapshot {
  readonly apps: unknown;
  readonly app: unknown;
  readonly config: Record<string, string>;
  readonly releases: Record<string, unknown>[];
  readonly builds: Record<string, unknown>[];
  readonly formation: unknown;
  readonly log: string[];
}

/** Every line `heroku logs -n 1500` shows (history only). */
async function logLines(): Promise<string[]> {
  const url = await openLogSession(daemon.apiUrl, daemon.apiKey, app.name, { lines: 1500, tail: false });
  const read = await readSse(url, { timeoutMs: 30_000 });
  expect(read.status).toBe(200);
  expect(read.ended).toBe(true);
  return read.lines;
}

async function snapshot(): Promise<Snapshot> {
  return {
    apps: (await api<AppJson[]>(daemon, 'GET', '/apps')).map((a) => a.id),
    app: await api(daemon, 'GET', `/apps/${app.name}`),
    config: await api<Record<string, string>>(daemon, 'GET', `/apps/${app.name}/config-vars`),
    releases: await api<Record<string, unknown>[]>(daemon, 'GET', `/apps/${app.name}/releases`),
    builds: await api<Record<string, unknown>[]>(daemon, 'GET', `/apps/${app.name}/builds`),
    formation: await api(daemon, 'GET', `/apps/${app.name}/formation`),
    log: await logLines(),
  };
}

/** Without the fields a recovery may legitimately change: the status (and times) of what was pending. */
function settledView(records: Record<string, unknown>[], pendingIds: ReadonlySet<string>): unknown[] {
  return records.map((record) => {
    if (!pendingIds.has(String(record['id']))) return record;
    const { status: _status, updated_at: _updated, current: _current, ...rest } = record;
    return rest;
  });
}

/** Nothing from before the kill is lost: same apps, app, config, formation; same releases, builds and log lines. */
async function expectNothingLost(before: Snapshot): Promise<Snapshot> {
  const after = await snapshot();
  expect(after.apps).toEqual(before.apps);
  expect(after.app).toEqual(before.app);
  expect(after.config).toEqual(before.config);
  expect(after.formation).toEqual(before.formation);
  const pending = new Set([...before.releases, ...before.builds].filter((r) => r['status'] === 'pending').map((r) => String(r['id'])));
  expect(settledView(after.releases.slice(0, before.releases.length), pending)).toEqual(settledView(before.releases, pending));
  expect(settledView(after.builds.slice(0, before.builds.length), pending)).toEqual(settledView(before.builds, pending));
  // The log as `heroku logs` read it before the kill is the start of the log read now (timestamps included).
  expect(after.log.length).toBeGreaterThanOrEqual(before.log.length);
  expect(after.log.slice(0, before.log.length)).toEqual(before.log);
  return after;
}

// ---- what must run, and nothing more --------------------------------------------------------------------------

const engine = new Docker();

interface DynoContainer {
  readonly id: string;
  readonly dyno: string;
  readonly release: string;
  readonly state: string;
}

async function appContainers(): Promise<DynoContainer[]> {
  const list = await engine.listContainers({ all: true, filters: { label: [`berth.app=${app.id}`] } });
  return list.map((c) => ({ id: c.Id, dyno: c.Labels['berth.dyno'] ?? '', release: c.Labels['berth.release'] ?? '', state: c.State }));
}

function getThroughRouter(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${app.name}.localhost` }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('router request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The formation runs `web=<web> worker=<worker>` on the current release: GET /dynos, the engine's containers and each
 * web dyno's own answer agree; one container per dyno (no build or release container left), each on its own port, and
 * the router answers with the current slug and config.
 */
async function expectFormationOnCurrentRelease(
  size: { web: number; worker?: number },
  expected: { marker: string; greeting: string },
): Promise<void> {
  const names = [
    ...Array.from({ length: size.web }, (_, i) => `web.${i + 1}`),
    ...Array.from({ length: size.worker ?? 0 }, (_, i) => `worker.${i + 1}`),
  ].sort();
  const quantity = names.length;
  const current = await currentRelease(daemon, app.name);
  // Recovery may still be restarting dynos adopted on an older release: wait for it to settle.
  let listed = await waitForDynos(daemon, app.name, names, 'up', { exact: true, timeoutMs: 90_000 });
  await waitFor(
    `every dyno on v${current.version} (${JSON.stringify(listed.map((d) => `${d.name}@v${d.release.version}`))})`,
    async () => {
      listed = await dynos(daemon, app.name);
      return listed.length === quantity && listed.every((d) => d.state === 'up' && d.release.version === current.version);
    },
    90_000,
  );
  expect(listed.map((d) => [d.name, d.state, d.release.id, d.release.version]).sort()).toEqual(names.map((n) => [n, 'up', current.id, current.version]));

  // The engine: exactly one container per dyno, all running the current release, none from builds or release phases.
  let containers: DynoContainer[] = [];
  await waitFor(
    'the engine to hold only the formation',
    async () => {
      containers = await appContainers();
      return containers.length === quantity;
    },
    60_000,
  ).catch(() => undefined);
  expect(containers.map((c) => [c.dyno, c.state, c.release]).sort()).toEqual(names.map((n) => [n, 'running', current.id]));

  // Each dyno's own port: distinct, and what answers there is that dyno on this release's slug and config.
  const ports = new Map<string, number>();
  for (const c of containers) ports.set(c.dyno, await containerPort(c.id));
  expect(new Set(ports.values()).size).toBe(quantity);
  for (const [dyno, port] of ports) {
    if (!dyno.startsWith('web.')) continue;
    const answer = await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) })).text();
    expect(answer.trim()).toBe(`DYNO=${dyno} GREETING=${expected.greeting} MARKER=${expected.marker} PORT=${port}`);
  }

  // The router sends the app's traffic to these dynos.
  for (let i = 0; i < size.web * 2; i++) {
    const { status, body } = await getThroughRouter();
    expect(status).toBe(200);
    expect(body).toMatch(new RegExp(`^DYNO=web\\.[1-${size.web}] GREETING=${expected.greeting} MARKER=${expected.marker} `));
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(daemon.dataDir, join(e.parentPath, e.name)));
}

/**
 * The data dir holds what the store knows and nothing half-made: build and release output logs, the slugs of the
 * app's builds, the uploaded source blobs (deleting them after their build is issue 11 item 8), no temp files.
 */
async function expectNoLeakedFiles(): Promise<void> {
  const builds = await api<BuildJson[]>(daemon, 'GET', `/apps/${app.name}/builds`);
  const rels = await releases(daemon, app.name);
  const slugIds = new Set(builds.flatMap((b) => (b.slug ? [b.slug.id] : [])));
  const allowed = new Set<string>([
    ...builds.map((b) => `builds/${app.id}/${b.id}.log`),
    ...rels.map((r) => `releases/${app.id}/${r.id}.log`),
    ...[...slugIds].map((id) => `slugs/${app.id}/${id}.tgz`),
    ...[...uploaded].map((id) => `sources/${id}.tgz`),
  ]);
  const files = [
    ...(await filesUnder(join(daemon.dataDir, 'builds'))),
    ...(await filesUnder(join(daemon.dataDir, 'releases'))),
    ...(await filesUnder(join(daemon.dataDir, 'slugs'))),
    ...(await filesUnder(join(daemon.dataDir, 'sources'))),
  ];
  expect(files.filter((f) => !allowed.has(f)).sort()).toEqual([]);
  // Slug images: only those of recorded slugs.
  expect((await slugImages()).filter((id) => !slugIds.has(id))).toEqual([]);
  // Buildpack downloads and other temp files anywhere else in the data dir.
  const everything = await filesUnder(daemon.dataDir);
  expect(everything.filter((f) => /\.(part|tmp|source)$|\.tmp\//.test(f))).toEqual([]);
}

/** The app's slug images (`berth/slug:<slug id>`), by slug id. */
async function slugImages(): Promise<string[]> {
  const images = await engine.listImages({ filters: { label: [`berth.app=${app.id}`, 'berth.slug'] } });
  return images.map((image) => image.Labels['berth.slug'] ?? '').sort();
}

/**
 * What a build killed between packing its slug and recording it leaves: `slugs/<app>/<id>.tgz` and an image
 * `berth/slug:<id>` labelled as the compiler labels it. Returns the slug id.
 */
async function plantUnrecordedSlug(): Promise<string> {
  const slugId = randomUUID();
  await mkdir(join(daemon.dataDir, 'slugs', app.id), { recursive: true });
  await writeFile(join(daemon.dataDir, 'slugs', app.id, `${slugId}.tgz`), 'half a slug');
  const container = await docker(['create', 'berth/heroku-24:run', 'true']);
  try {
    await docker(['commit', '--change', `LABEL berth.app=${app.id} berth.slug=${slugId}`, container, `berth/slug:${slugId}`]);
  } finally {
    await docker(['rm', container]);
  }
  expect(await slugImages()).toContain(slugId);
  return slugId;
}

async function killAndRestart(): Promise<void> {
  const stopped = await daemon.stop('SIGKILL');
  expect(stopped.signal).toBe('SIGKILL');
  await daemon.restart();
}

// ---- the four kills ---------------------------------------------------------------------------------------------

describe('kill -9 the daemon, restart it: nothing lost, nothing leaked', () => {
  it('during a build (its container compiling): the build fails with a line saying why', async () => {
    const scratch = await appSource('never', { sleep: '300\n' });
    const buildpack = await mkdtemp(join(daemon.rootDir, 'sleepy-'));
    await mkdir(join(buildpack, 'bin'));
    await writeFile(join(buildpack, 'bin/detect'), SLEEPY_DETECT, { mode: 0o755 });
    await writeFile(join(buildpack, 'bin/compile'), SLEEPY_COMPILE, { mode: 0o755 });
    const build = await createBuild(daemon, app.name, await upload(scratch), { buildpacks: [{ url: buildpack }] });
    await waitFor(
      'the sleepy compile to run in the build container',
      async () => {
        const [id] = await containersWithLabels({ 'berth.app': app.id, 'berth.role': 'build' });
        return id !== undefined && (await docker(['top', id]).catch(() => '')).includes('sleep 300');
      },
      120_000,
    );
    const before = await snapshot();
    const stopped = await daemon.stop('SIGKILL');
    expect(stopped.signal).toBe('SIGKILL');
    // A build killed a moment later, in its slug phase, would also leave a packed slug no record knows: its file and
    // its image. The kill cannot be timed that finely, so put them there as the compiler names them.
    const strayImage = await plantUnrecordedSlug();
    await daemon.restart();

    const after = await api<BuildJson>(daemon, 'GET', `/apps/${app.name}/builds/${build.id}`);
    expect(after).toMatchObject({ status: 'failed', release: null, slug: null });
    expectLinesInOrder(outputLines(await readOutput(after.output_stream_url)), [
      '-----> Sleepy compile started',
      ' !     The Berth daemon stopped during this build; it did not finish.',
      ' !     Push failed',
    ]);
    await waitForLines(daemon, app.id, [/^app\[api\]: Build failed -- check your build output: /], { afterSeq: 0 });
    await expectNothingLost(before);
    await expectFormationOnCurrentRelease({ web: 1 }, { marker: 'slug-1', greeting: 'first' });
    await expectNoLeakedFiles();
    expect(await slugImages()).not.toContain(strayImage);
  });

  it('during a release phase: the release fails with "command failed", the formation stays on the previous one', async () => {
    const previous = await currentRelease(daemon, app.name);
    const mark = logMark(daemon, app.id);
    await setConfig({ SECRET: 'two', RELEASE_SLEEP_SECONDS: '120' });
    const pending = (await releases(daemon, app.name)).at(-1) as FullReleaseJson;
    expect(pending).toMatchObject({ version: previous.version + 1, status: 'pending' });
    await waitForLines(daemon, app.id, [/^app\[release\.\d{4}\]: release\.py ran for release\.\d{4} /], { afterSeq: mark });
    const before = await snapshot();
    await killAndRestart();

    const failed = await api<FullReleaseJson>(daemon, 'GET', `/apps/${app.name}/releases/${pending.id}`);
    expect(failed).toMatchObject({ status: 'failed', current: false });
    // Its output keeps what the phase printed, then says why it ended.
    expectLinesInOrder(outputLines(await readOutput(failed.output_stream_url ?? '')), [
      /^release\.py ran for release\.\d{4} GREETING=first$/,
      ' !     The Berth daemon stopped during this release phase; it did not finish.',
    ]);
    await waitForLines(daemon, app.id, [`app[api]: Release v${pending.version} command failed by user ${email}`], { afterSeq: mark });
    expect((await currentRelease(daemon, app.name)).id).toBe(previous.id);
    await expectNothingLost(before);
    await expectFormationOnCurrentRelease({ web: 1 }, { marker: 'slug-1', greeting: 'first' });
    await expectNoLeakedFiles();

    // The next release phase runs and succeeds (nothing holds the app's queue).
    await releaseConfig({ RELEASE_SLEEP_SECONDS: null, GREETING: 'second' });
    await expectFormationOnCurrentRelease({ web: 1 }, { marker: 'slug-1', greeting: 'second' });
  });

  it("during a deploy's restart (web.1 draining in its SIGTERM grace): web.1 comes back on the new release", async () => {
    // The running dyno drains for longer than the grace, so the kill lands while the daemon waits it out.
    await releaseConfig({ LINGER_ON_TERM: String(STOP_GRACE * 4) });
    await expectFormationOnCurrentRelease({ web: 1 }, { marker: 'slug-1', greeting: 'second' });
    const mark = logMark(daemon, app.id);
    await deployTracked(await appSource('slug-2'));
    await waitForLines(daemon, app.id, ['heroku[web.1]: Restarting', /^app\[web\.1\]: graceful\.py: SIGTERM, draining for \d+ s$/], { afterSeq: mark });
    const before = await snapshot();
    await killAndRestart();

    await expectNothingLost(before);
    await expectFormationOnCurrentRelease({ web: 1 }, { marker: 'slug-2', greeting: 'second' });
    await expectNoLeakedFiles();
  });

  it('during a scale-up (web=3 worker=1, dynos starting): all on the current release, each on its own port', async () => {
    const mark = logMark(daemon, app.id);
    await scale(daemon, app.name, [
      { type: 'web', quantity: 3 },
      { type: 'worker', quantity: 1 },
    ]);
    const before = await snapshot();
    await waitForLines(daemon, app.id, [/^heroku\[web\.[23]\]: Starting process with command /], { afterSeq: mark });
    // The kill lands while a new dyno is starting (it sleeps BOOT_SLEEP before it binds).
    expect((await dynos(daemon, app.name)).filter((d) => d.state === 'starting').map((d) => d.name)).not.toEqual([]);
    await killAndRestart();

    await expectNothingLost(before);
    await expectFormationOnCurrentRelease({ web: 3, worker: 1 }, { marker: 'slug-2', greeting: 'second' });
    await expectNoLeakedFiles();
    // The worker was adopted, not restarted: its ticks (one a second, numbered) went on while no daemon listened, and
    // the log has every one of them, in order: what it printed while the daemon was down is not lost either. The
    // adopter replays from the time of the newest stored line; a line printed within the clock skew between the
    // daemon and the engine around the kill can come twice (a known limit: the replay is by time, not by line).
    await waitForLines(daemon, app.id, [/^app\[worker\.1\]: worker tick 6 /], { afterSeq: mark });
    const ticks = readLog(daemon, app.id, mark).lines.flatMap((l) => /^app\[worker\.1\]: worker tick (\d+) /.exec(l)?.[1] ?? []).map(Number);
    const distinct = [...new Set(ticks)];
    expect(distinct).toEqual(Array.from({ length: distinct.length }, (_, i) => i + 1));
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
    expect(ticks.length - distinct.length).toBeLessThanOrEqual(1);
  });
});
