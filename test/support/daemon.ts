// A real Berth daemon for one test file, run as a child process (`node dist/cli/main.js up --no-setup`) so tests
// can stop and restart it. Fresh temp BERTH_DATA, free loopback ports, and helpers that run the real `heroku` CLI
// in a sandbox pointed at it (reference: heroku-cli-and-api.md §0).
import { freePort } from './ports.js';
import { recordTestInstance } from './leftovers.js';
import { TEST_NPM_REGISTRY_ENV } from './npm-registry.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerRuntime } from '../../src/runtime/index.js';
import { loadSettings } from '../../src/settings.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BERTH_MAIN = join(REPO_ROOT, 'dist', 'cli', 'main.js');
export const HEROKU_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'heroku');

export interface DaemonPorts {
  readonly api: number;
  readonly apiTls: number;
  readonly rendezvous: number;
  readonly router: number;
  readonly routerTls: number;
}

export interface StopResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface TestDaemon {
  /** `http://127.0.0.1:<api port>` */
  readonly apiUrl: string;
  /** `https://127.0.0.1:<api tls port>` (also the git host) */
  readonly apiTlsUrl: string;
  readonly apiKey: string;
  readonly dataDir: string;
  /** A temp dir owned by this daemon (dataDir and sandbox homes live under it); removed by dispose(). */
  readonly rootDir: string;
  readonly ports: DaemonPorts;
  /** The `berth env` lines as a map (HEROKU_HOST, HEROKU_API_KEY, NODE_EXTRA_CA_CERTS, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** The BERTH_* variables the daemon runs with. */
  readonly berthEnv: Readonly<Record<string, string>>;
  /** PID of the current daemon process, undefined when stopped. */
  pid(): number | undefined;
  /** Everything the daemon processes printed so far (stdout and stderr, across restarts). */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`). Resolves with how it exited. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<StopResult>;
  /** Stops it if running, then starts it again on the same data dir and ports; refreshes env/apiKey. */
  restart(): Promise<void>;
  /** Stops it and removes rootDir. */
  dispose(): Promise<void>;
}

export interface StartDaemonOptions {
  /** Extra BERTH_* (or other) variables for the daemon. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for the API to answer. */
  readonly readyTimeoutMs?: number;
}

/** A loopback port nobody listens on right now (the kernel picks it). */
export const freeLoopbackPort = freePort;

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freeLoopbackPort());
  return [...ports];
}

/** The node flags main.js's shebang gives (`#!/usr/bin/env -S node --flag ...`): the daemon runs as `berth up` would. */
function shebangFlags(): string[] {
  const words = (readFileSync(BERTH_MAIN, 'utf8').split('\n')[0] ?? '').split(/\s+/);
  const node = words.indexOf('node');
  return node === -1 ? [] : words.slice(node + 1);
}

export function assertBuilt(): void {
  if (!existsSync(BERTH_MAIN)) {
    throw new Error(`${BERTH_MAIN} does not exist: run \`npm run build\` first (\`npm test\` does it in pretest).`);
  }
  if (!existsSync(HEROKU_BIN)) {
    throw new Error(`${HEROKU_BIN} does not exist: run \`npm install\` (the heroku CLI is a devDependency).`);
  }
}

/** Parses `export NAME='value'` lines as printed by `berth env`. */
export function parseExportLines(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, name = '', raw = ''] = match;
    const value = raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2 ? raw.slice(1, -1).replaceAll(`'\\''`, "'") : raw;
    vars[name] = value;
  }
  return vars;
}

/** Host variables a daemon child inherits; everything Heroku-, proxy- or Berth-specific is dropped. */
function baseChildEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(HEROKU_|BERTH_)/.test(name)) continue;
    if (/^(https?|all|no)_proxy$/i.test(name)) continue;
    env[name] = value;
  }
  return env;
}

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], env: Record<string, string>, cwd: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function waitForApi(apiUrl: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`berth up exited (${child.exitCode ?? child.signalCode}) before the API answered:\n${output()}`);
    }
    try {
      // Any HTTP answer (401 without a key) means the API listens.
      const response = await fetch(`${apiUrl}/account`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`the Berth API at ${apiUrl} did not answer within ${timeoutMs} ms (${String(lastError)}):\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Daemons still running when the test process exits (a crash, a missing afterAll) are killed with it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startTestDaemon(options: StartDaemonOptions = {}): Promise<TestDaemon> {
  assertBuilt();
  const rootDir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  const dataDir = join(rootDir, 'data');
  recordTestInstance(dataDir);
  const [api = 0, apiTls = 0, rendezvous = 0, router = 0, routerTls = 0] = await distinctFreePorts(5);
  const ports: DaemonPorts = { api, apiTls, rendezvous, router, routerTls };
  const berthEnv: Record<string, string> = {
    BERTH_DATA: dataDir,
    BERTH_BIND_HOST: '127.0.0.1',
    BERTH_API_PORT: String(api),
    BERTH_API_TLS_PORT: String(apiTls),
    BERTH_RENDEZVOUS_PORT: String(rendezvous),
    BERTH_ROUTER_PORT: String(router),
    BERTH_ROUTER_TLS_PORT: String(routerTls),
    // Builds fetch npm packages from the integration tier's loopback registry (test/global-setup.ts).
    ...(process.env[TEST_NPM_REGISTRY_ENV] === undefined ? {} : { BERTH_NPM_REGISTRY: process.env[TEST_NPM_REGISTRY_ENV] }),
    ...options.env,
  };
  const childEnv = { ...baseChildEnv(), ...berthEnv };
  const apiUrl = `http://127.0.0.1:${api}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;

  let log = '';
  const append = (chunk: string) => {
    log += chunk;
    if (log.length > 1_000_000) log = log.slice(-500_000);
  };
  let child: ChildProcess | undefined;
  let exited: Promise<StopResult> | undefined;
  let cliEnv: Record<string, string> = {};

  const spawnDaemon = async (): Promise<void> => {
    const proc = spawn(process.execPath, [...shebangFlags(), BERTH_MAIN, 'up', '--no-setup'], { env: childEnv, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    live.add(proc);
    exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        resolve({ code, signal });
      }),
    );
    proc.stdout?.setEncoding('utf8').on('data', append);
    proc.stderr?.setEncoding('utf8').on('data', append);
    await waitForApi(apiUrl, proc, () => log, readyTimeoutMs);
    const envRun = await run(process.execPath, [BERTH_MAIN, 'env'], childEnv, REPO_ROOT, 30_000);
    if (envRun.code !== 0) throw new Error(`berth env failed (${envRun.code}): ${envRun.stderr}`);
    cliEnv = parseExportLines(envRun.stdout);
    if (!cliEnv['HEROKU_API_KEY']) throw new Error(`berth env printed no HEROKU_API_KEY:\n${envRun.stdout}`);
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<StopResult> => {
    const proc = child;
    const done = exited;
    if (!proc || !done) return { code: null, signal: null };
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    try {
      return await done;
    } finally {
      clearTimeout(timer);
      child = undefined;
      exited = undefined;
    }
  };

  try {
    await spawnDaemon();
  } catch (error) {
    await stop('SIGKILL');
    await rm(rootDir, { recursive: true, force: true });
    throw error;
  }

  const daemon: TestDaemon = {
    apiUrl,
    apiTlsUrl: `https://127.0.0.1:${apiTls}`,
    get apiKey() {
      return cliEnv['HEROKU_API_KEY'] ?? '';
    },
    dataDir,
    rootDir,
    ports,
    get env() {
      return cliEnv;
    },
    berthEnv,
    pid: () => child?.pid,
    output: () => log,
    stop,
    async restart() {
      await stop();
      await spawnDaemon();
    },
    async dispose() {
      await stop();
      // A stopped daemon leaves its dynos running for the next one to adopt, and its slug images, build caches and
      // add-on volumes for the next one to use; a test's daemon has no next one.
      await purgeInstance(dataDir);
      await rm(rootDir, { recursive: true, force: true });
    },
  };
  return daemon;
}

export type CliEnv = Record<string, string>;

let sandboxCounter = 0;

/**
 * The environment the heroku CLI runs in: only PATH from the host (node_modules/.bin first, so git's
 * `!heroku git:credentials` helper resolves), the `berth env` variables, a temp HOME with XDG dirs and the ToS
 * marker, no proxies, no host CA variables except through the daemon's NODE_EXTRA_CA_CERTS bundle.
 */
/** Runs the real heroku CLI in `env` with `input` on its stdin (a pipe, not a terminal: `heroku run --no-tty` ends it with EOT). */
export function herokuWithInput(env: CliEnv, args: readonly string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(HEROKU_BIN, args, { env: { FORCE_COLOR: '0', NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

export function sandboxedCliEnv(daemon: TestDaemon, extra: Readonly<Record<string, string>> = {}): CliEnv {
  sandboxCounter += 1;
  const home = mkdtempSync(join(daemon.rootDir, `home-${sandboxCounter}-`));
  const xdgCache = join(home, '.cache');
  const xdgData = join(home, '.local', 'share');
  const xdgConfig = join(home, '.config');
  for (const dir of [xdgData, xdgConfig, join(xdgCache, 'heroku')]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(xdgCache, 'heroku', 'terms-of-service'), '');
  const binDir = join(REPO_ROOT, 'node_modules', '.bin');
  return {
    PATH: `${binDir}:${process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin'}`,
    LANG: 'C.UTF-8',
    ...daemon.env,
    HOME: home,
    XDG_CACHE_HOME: xdgCache,
    XDG_DATA_HOME: xdgData,
    XDG_CONFIG_HOME: xdgConfig,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    HEROKU_NOTIFICATIONS: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Berth Test',
    GIT_AUTHOR_EMAIL: 'test@berth.localhost',
    GIT_COMMITTER_NAME: 'Berth Test',
    GIT_COMMITTER_EMAIL: 'test@berth.localhost',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    ...extra,
  };
}

export interface HerokuResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export interface RunHerokuOptions {
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Runs the real `heroku` CLI (node_modules/.bin/heroku) with exactly `env`; output has ANSI codes removed. */
export async function runHeroku(args: readonly string[], env: CliEnv, options: RunHerokuOptions = {}): Promise<HerokuResult> {
  assertBuilt();
  const cwd = options.cwd ?? env['HOME'] ?? tmpdir();
  const result = await run(HEROKU_BIN, args, { FORCE_COLOR: '0', NO_COLOR: '1', ...env }, cwd, options.timeoutMs ?? 120_000);
  return { code: result.code, stdout: stripAnsi(result.stdout), stderr: stripAnsi(result.stderr) };
}

/** Removes every container, image and volume of the Berth instance on `dataDir` (its `berth.instance` label). */
async function purgeInstance(dataDir: string): Promise<void> {
  await DockerRuntime.at({ dockerHost: loadSettings().dockerHost, dataDir })
    .purgeInstance()
    .catch(() => undefined);
}
