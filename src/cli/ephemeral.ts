// `berth up --ephemeral`: a throwaway Berth for a test suite in any language. It takes a temp data dir and free
// loopback ports, runs with the `fast` timing preset unless told otherwise, prints ONE JSON line on stdout when the API
// answers, and removes everything it made (containers, slug images, build-cache volumes, the data dir) when its stdin
// closes or on SIGTERM/SIGINT. A reaper process outlives it to do the same if the daemon itself is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startDaemon, type Daemon } from '../daemon.js';
import { DockerRuntime } from '../runtime/index.js';
import { apiTlsUrl, apiUrl, gitHost, loadSettings, type Env, type Settings } from '../settings.js';
import { purge } from './ephemeral-purge.js';
import { cliEnvironment } from './environment.js';
import { reservePortWindow, type PortWindow } from './port-window.js';
import type { ReadyLine } from '../contracts/ephemeral.js';

/** Timing presets: `heroku` is Heroku's own values (the settings' defaults); `fast` is for tests. */
export const TIMING_PRESETS = {
  heroku: {},
  fast: {
    // R10 after 10 s instead of 60; R12 after 2 s of SIGTERM grace instead of 30.
    BERTH_BOOT_TIMEOUT: '10',
    BERTH_STOP_GRACE: '2',
    // A crashed dyno comes back after 1, 2, 4 s instead of 20 minutes and more; up 30 s counts as started correctly.
    BERTH_CRASH_COOLOFF: '1,2,4',
    BERTH_CRASH_RESET: '30',
    // R14/R15 show within seconds.
    BERTH_MEMORY_SAMPLE_SECONDS: '2',
    // H20 after 15 s instead of 75.
    BERTH_ROUTER_BOOT_TIMEOUT_MS: '15000',
    BERTH_RELEASE_TIMEOUT: '300',
    BERTH_BUILD_TIMEOUT: '600',
    // A test reads API answers, not the daemon's chatter.
    BERTH_LOG_LEVEL: 'warn',
  },
} as const satisfies Record<string, Readonly<Record<string, string>>>;

export type TimingPreset = keyof typeof TIMING_PRESETS;

export function isTimingPreset(name: string): name is TimingPreset {
  return Object.hasOwn(TIMING_PRESETS, name);
}

const PORT_SETTINGS = ['BERTH_API_PORT', 'BERTH_API_TLS_PORT', 'BERTH_RENDEZVOUS_PORT', 'BERTH_ROUTER_PORT', 'BERTH_ROUTER_TLS_PORT'] as const;


function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * The settings of a throwaway Berth: the preset, then whatever BERTH_* the caller set (every setting stays
 * overridable but BERTH_RUNTIME), then the temp data dir (always: it is deleted at the end) and free ports for those
 * not set; always on the single engine.
 */
export async function ephemeralSettings(env: Env, timing: TimingPreset, dataDir: string, window?: PortWindow): Promise<Settings> {
  const ports: Record<string, string> = {};
  const taken = new Set<string>();
  for (const name of PORT_SETTINGS) {
    const given = env[name];
    if (given !== undefined && given !== '') continue;
    let port = String(await freePort());
    while (taken.has(port)) port = String(await freePort());
    taken.add(port);
    ports[name] = port;
  }
  // The dyno and add-on port ranges of its window (port-window.ts), unless the caller set its own.
  const ranges = Object.fromEntries(Object.entries(window?.settings ?? {}).filter(([name]) => env[name] === undefined || env[name] === ''));
  // Always the single engine: `berth setup --swarm` has users export BERTH_RUNTIME=swarm, and a throwaway Berth must
  // neither start the swarm's registry on its fixed address nor leave services on the swarm.
  return loadSettings({ ...TIMING_PRESETS[timing], ...env, ...ranges, ...ports, BERTH_DATA: dataDir, BERTH_RUNTIME: 'docker' });
}

/** The one line a test harness waits for. */
export async function readyLine(daemon: Daemon): Promise<ReadyLine> {
  const s = daemon.settings;
  return {
    api_url: apiUrl(s),
    api_tls_url: apiTlsUrl(s),
    git_host: gitHost(s),
    router_url: `http://{app}.localhost:${s.routerPort}`,
    ports: { api: s.apiPort, api_tls: s.apiTlsPort, rendezvous: s.rendezvousPort, router: s.routerPort, router_tls: s.routerTlsPort },
    api_key: daemon.apiKey,
    data_dir: s.dataDir,
    env: Object.fromEntries(await cliEnvironment(s)),
    pid: process.pid,
  };
}

/**
 * The local CA of throwaway Berths is made once per machine and copied into each one's data dir: making a CA key is
 * about a third of a second of CPU, a third of a throwaway Berth's whole start. So is the key its certificates carry
 * (`leaf-key.pem`, another RSA key). Everything else (API key, data, containers, ports) stays each Berth's own; a test
 * trusting one Berth's CA bundle trusts its siblings on loopback too.
 */
const CA_FILES = ['ca.pem', 'ca-key.pem'] as const;
const LEAF_KEY = 'leaf-key.pem';

function caCacheDir(env: Env): string {
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'berth', 'ephemeral-ca');
}

/** Copies the cached CA (and leaf key, when cached) into the data dir; false when the cache lacks any of them. */
async function seedCa(cache: string, dataDir: string): Promise<boolean> {
  const tls = join(dataDir, 'tls');
  await mkdir(tls, { recursive: true, mode: 0o700 });
  try {
    for (const file of CA_FILES) await copyFile(join(cache, file), join(tls, file));
    await chmod(join(tls, 'ca-key.pem'), 0o600);
  } catch {
    for (const file of CA_FILES) await rename(join(tls, file), join(tls, `${file}.partial`)).catch(() => undefined);
    return false;
  }
  // A cache from before leaf keys were kept: the CA still serves, the daemon makes the leaf key (and it is cached).
  try {
    await copyFile(join(cache, LEAF_KEY), join(tls, LEAF_KEY));
    await chmod(join(tls, LEAF_KEY), 0o600);
    return true;
  } catch {
    await rm(join(tls, LEAF_KEY), { force: true });
    return false;
  }
}

/** Keeps the CA and leaf key this Berth made for the next ones (each file written aside, then renamed: racing Berths are fine). */
async function cacheCa(cache: string, dataDir: string): Promise<void> {
  await mkdir(cache, { recursive: true, mode: 0o700 });
  // The CA key after its certificate: a cache with a key has its certificate. The leaf key needs neither.
  for (const file of [...CA_FILES, LEAF_KEY]) {
    const aside = join(cache, `${file}.${process.pid}`);
    await copyFile(join(dataDir, 'tls', file), aside);
    await chmod(aside, 0o600);
    await rename(aside, join(cache, file));
  }
}

/** A test's Berth never builds the stack images (minutes): they are set up once per machine by `berth setup`. */
async function requireStackImages(settings: Settings): Promise<void> {
  const runtime = await DockerRuntime.connect(settings);
  for (const image of [settings.stackRunImage, settings.stackBuildImage]) {
    if (!(await runtime.imageExists(image))) throw new Error(`The stack image ${image} is missing: run \`berth setup\` once on this machine first.`);
  }
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/**
 * The reaper: a detached process whose stdin is a pipe from this one. When this process ends however it ends (even
 * SIGKILL), the pipe closes and the reaper purges. Started once the daemon is up, just before the ready line.
 */
function startReaper(dataDir: string): ChildProcess {
  const script = fileURLToPath(new URL('./reap.js', import.meta.url));
  const reaper = spawn(process.execPath, [script, dataDir], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: process.env });
  reaper.on('error', () => undefined);
  reaper.stdin?.on('error', () => undefined);
  reaper.unref();
  return reaper;
}

export async function runEphemeral(timing: TimingPreset, env: Env = process.env): Promise<void> {
  // Listening from the start: SIGTERM during the start (a harness's timeout) must still end in a purge, and with no
  // listener it would kill at once, leaving the data dir behind.
  let requested: string | undefined;
  let onStop = (why: string): void => {
    requested ??= why;
  };
  process.once('SIGINT', () => onStop('SIGINT'));
  process.once('SIGTERM', () => onStop('SIGTERM'));
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-ephemeral-'));
  const cache = caCacheDir(env);
  const seeded = await seedCa(cache, dataDir);
  let daemon: Daemon | undefined;
  let settings: Settings | undefined;
  try {
    // Held until this process ends: the kernel gives the window back then, however it ends.
    const window = await reservePortWindow();
    // Another process may take a probed port before the daemon binds it (a busy CI machine): probe again.
    for (let attempt = 1; daemon === undefined; attempt += 1) {
      settings = await ephemeralSettings(env, timing, dataDir, window);
      const logger = pino({ level: settings.logLevel, base: { name: 'berth' } }, pino.destination(2));
      // The stack images are checked while the daemon starts (both mostly wait on the engine); a missing one still
      // fails the start, with the same message, and the daemon that came up meanwhile is closed.
      const [images, started] = await Promise.allSettled([attempt === 1 ? requireStackImages(settings) : undefined, startDaemon(settings, { logger })]);
      if (images.status === 'rejected') {
        if (started.status === 'fulfilled') await started.value.close();
        throw images.reason;
      }
      if (started.status === 'fulfilled') daemon = started.value;
      else if (!isAddressInUse(started.reason) || attempt >= 5) throw started.reason;
    }
  } catch (error) {
    await purge(settings ?? { dockerHost: undefined, dataDir }).catch(() => undefined);
    throw error;
  }
  const running = daemon;
  if (!seeded) await cacheCa(cache, dataDir).catch((error: unknown) => running.logger.warn({ err: error }, 'could not cache the local CA for the next throwaway Berth'));
  process.on('unhandledRejection', (reason) => running.logger.error({ err: reason }, 'unhandled promise rejection'));
  let reaper: ChildProcess | undefined;
  let stopping = false;
  // The ready line writes the CA bundle into the data dir: a stop meanwhile waits for it before removing the dir.
  let writing: Promise<unknown> = Promise.resolve();
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    running.logger.info({ why }, 'stopping the ephemeral Berth');
    running
      .close()
      .catch((error: unknown) => running.logger.error({ err: error }, 'shutdown failed'))
      .then(() => writing.catch(() => undefined))
      .then(() => purge(running.settings))
      .then(
        () => {
          reaper?.kill();
          process.exit(0);
        },
        (error: unknown) => {
          running.logger.error({ err: error }, 'removing what the Berth made failed; its reaper will try again');
          process.exit(1);
        },
      );
  };
  onStop = stop;
  if (requested !== undefined) {
    stop(requested);
    return;
  }
  // The harness (a test worker, a pytest fixture) holds our stdin: when it ends, even killed, the pipe closes.
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.on('close', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin closed'));
  process.stdin.resume();
  const pending = readyLine(running);
  writing = pending;
  const line = await pending;
  if (stopping) return;
  // The reaper before the line: a harness may kill us the moment it reads it. Spawning costs a few ms; the reaper's
  // own start runs while the harness already works.
  reaper = startReaper(dataDir);
  process.stdout.on('error', () => undefined);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
