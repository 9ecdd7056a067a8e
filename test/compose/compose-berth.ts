// A Berth brought up from the repo's docker-compose.yml with Debian's docker-compose (installed with apt-get when
// missing, as `npm run bench` installs wrk), shaped as a TestDaemon so the usual helpers (the API, the sandboxed
// heroku CLI, git) drive it. Its own data dir, free loopback ports, its own compose project and image tag, so it
// runs beside the test daemons of other files; dispose() takes it down with `down -v --rmi all`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BERTH_MAIN, REPO_ROOT, assertBuilt, freeLoopbackPort, parseExportLines, type DaemonPorts, type StopResult, type TestDaemon } from '../support/daemon.js';
import { docker, waitFor } from '../support/build.js';
import { recordTestInstance } from '../support/leftovers.js';
import { TEST_NPM_REGISTRY_ENV } from '../support/npm-registry.js';
import { DockerRuntime } from '../../src/runtime/index.js';
import { loadSettings } from '../../src/settings.js';

const run = promisify(execFile);

export interface ComposeBerth extends TestDaemon {
  /** The compose project (`-p`), so its container is `<project>_berth_1`. */
  readonly project: string;
  /** The tag of the daemon image this Berth built (BERTH_COMPOSE_IMAGE). */
  readonly image: string;
  /** Runs `docker-compose <args>` for this project (with its environment); resolves with stdout and stderr. */
  compose(args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
}

/** Debian's docker-compose 1.29, installed from apt when the machine has none. */
async function ensureDockerCompose(): Promise<void> {
  const found = await run('sh', ['-c', 'command -v docker-compose']).then(() => true, () => false);
  if (found) return;
  const apt = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-q'], { env: apt, maxBuffer: 64 * 1024 * 1024 });
  await run('apt-get', ['install', '-y', '-q', 'docker-compose'], { env: apt, maxBuffer: 64 * 1024 * 1024 });
}

/** The environment docker-compose sees: the host's, minus Berth's and Heroku's own variables and proxies, plus ours. */
function composeEnv(extra: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(HEROKU_|BERTH_)/.test(name) || /^(https?|all|no)_proxy$/i.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

async function apiAnswers(apiUrl: string): Promise<boolean> {
  try {
    // Any HTTP answer (401 without a key) means the API listens.
    await (await fetch(`${apiUrl}/account`, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export async function startComposeBerth(): Promise<ComposeBerth> {
  assertBuilt();
  await ensureDockerCompose();
  // The image's build context: this checkout's dist/, buildpacks/, production node_modules and Node.js binary.
  await run(join(REPO_ROOT, 'compose', 'prepare'), [], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });

  const rootDir = mkdtempSync(join(tmpdir(), 'berth-compose-'));
  const dataDir = join(rootDir, 'data');
  mkdirSync(dataDir);
  recordTestInstance(dataDir);
  const free = new Set<number>();
  while (free.size < 5) free.add(await freeLoopbackPort());
  const [api = 0, apiTls = 0, rendezvous = 0, router = 0, routerTls = 0] = [...free];
  const ports: DaemonPorts = { api, apiTls, rendezvous, router, routerTls };
  const berthEnv = {
    BERTH_DATA: dataDir,
    BERTH_API_PORT: String(api),
    BERTH_API_TLS_PORT: String(apiTls),
    BERTH_RENDEZVOUS_PORT: String(rendezvous),
    BERTH_ROUTER_PORT: String(router),
    BERTH_ROUTER_TLS_PORT: String(routerTls),
    // Builds fetch npm packages (and Node.js) from the integration tier's loopback registry (test/global-setup.ts).
    ...(process.env[TEST_NPM_REGISTRY_ENV] === undefined ? {} : { BERTH_NPM_REGISTRY: process.env[TEST_NPM_REGISTRY_ENV] }),
  };
  const project = `berth-compose-${process.pid}`;
  const image = `berth/daemon:compose-test-${process.pid}`;
  // docker-compose gives up on an engine call after 60 s; removing an 800 MB image on a busy machine can take longer.
  const env = composeEnv({ ...berthEnv, BERTH_COMPOSE_IMAGE: image, COMPOSE_HTTP_TIMEOUT: '600' });
  const compose = async (args: readonly string[]) => {
    const { stdout, stderr } = await run('docker-compose', ['-p', project, ...args], { cwd: REPO_ROOT, env, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr };
  };
  const apiUrl = `http://127.0.0.1:${api}`;

  let output = '';
  let logs: ChildProcess | undefined;
  const follow = () => {
    logs?.kill();
    const child = spawn('docker-compose', ['-p', project, 'logs', '--no-color', '--follow'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    logs = child;
  };
  const ready = async () => {
    await waitFor(`the API of the compose Berth at ${apiUrl}\n${output}`, () => apiAnswers(apiUrl), 180_000);
    follow();
  };
  let pid: number | undefined;
  const inspectPid = async () => {
    const id = (await compose(['ps', '-q', 'berth'])).stdout.trim();
    const value = id === '' ? 0 : Number(await docker(['inspect', '--format', '{{.State.Pid}}', id]));
    pid = value > 0 ? value : undefined;
  };
  let disposed = false;
  let exported: Record<string, string> = {};

  const berth: ComposeBerth = {
    project,
    image,
    compose,
    apiUrl,
    apiTlsUrl: `https://127.0.0.1:${apiTls}`,
    get apiKey() {
      return exported['HEROKU_API_KEY'] ?? '';
    },
    dataDir,
    rootDir,
    ports,
    get env() {
      return exported;
    },
    berthEnv,
    pid: () => pid,
    output: () => output,
    async stop(signal) {
      const id = (await compose(['ps', '-q', 'berth'])).stdout.trim();
      await compose(signal === undefined || signal === 'SIGTERM' ? ['stop', '-t', '60'] : ['kill', '-s', signal]);
      await waitFor('the daemon container to stop', async () => (await docker(['inspect', '--format', '{{.State.Running}}', id])) === 'false');
      const code = Number(await docker(['inspect', '--format', '{{.State.ExitCode}}', id]));
      pid = undefined;
      const result: StopResult = { code, signal: null };
      return result;
    },
    async restart() {
      await compose(['restart', '-t', '60', 'berth']);
      await ready();
      await inspectPid();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      logs?.kill();
      await compose(['down', '--volumes', '--rmi', 'all', '--timeout', '60']).catch(() => undefined);
      // What a failed test left (an app not destroyed: its dynos, add-on server, slug images, volumes).
      await DockerRuntime.at({ dockerHost: loadSettings().dockerHost, dataDir })
        .purgeInstance()
        .catch(() => undefined);
      // The data dir's files belong to root (the daemon ran as root in its container).
      if (existsSync(rootDir)) rmSync(rootDir, { recursive: true, force: true });
    },
  };

  try {
    await compose(['up', '--detach', '--build']);
    await ready();
    await inspectPid();
    // The host's own `berth env` reads the API key and CA from the data dir the container shares.
    const { stdout } = await run(process.execPath, [BERTH_MAIN, 'env'], { env: composeEnv(berthEnv) });
    exported = parseExportLines(stdout);
    return berth;
  } catch (error) {
    await berth.dispose();
    throw error;
  }
}
