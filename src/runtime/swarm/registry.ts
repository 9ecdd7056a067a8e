// The registry every swarm node pulls dyno images from: Debian's `docker-registry` (distribution 2.8), started and
// supervised by Berth on the manager. Its config and storage live in one directory (the data dir's `registry/`);
// it listens on loopback or the swarm's advertise address, where Docker speaks plain HTTP to it without any
// `insecure-registries` setting only for 127.0.0.0/8 (on other addresses every node's engine must list it).
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';

const BINARY = '/usr/bin/docker-registry';
const READY_TIMEOUT_MS = 30_000;
/** Pause before restarting a registry that exited, doubled at each quick exit up to the ceiling, so one that cannot start does not spin. */
const RESTART_DELAY_MS = 1000;
const RESTART_DELAY_MAX_MS = 60_000;
/** A registry that ran this long before exiting counts as healthy: the next restart waits the first pause again. */
const HEALTHY_RUN_MS = 60_000;
/** How long after its start the registry must still run, having answered, to count as ours and ready. */
const SETTLE_MS = 1000;

/** The pause before the restart that follows `quickExits` exits in a row, each soon after its start. */
export function restartDelay(quickExits: number): number {
  return Math.min(RESTART_DELAY_MS * 2 ** Math.max(0, quickExits - 1), RESTART_DELAY_MAX_MS);
}

export interface RegistryOptions {
  /** Holds `config.yml`, `registry.log` and the image storage (`data/`). */
  readonly dir: string;
  /** `host:port` it listens on. */
  readonly address: string;
  /** Told when it exited unexpectedly and is started again. */
  readonly onRestart?: (code: number | null) => void;
}

export interface SupervisedRegistry {
  readonly address: string;
  /** The registry process running now (a new one after each restart). */
  pid(): number | undefined;
  /** Stops it and its supervision; resolves once the process is gone. */
  stop(): Promise<void>;
}

function config(dir: string, address: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: false',
    'http:',
    `  addr: ${address}`,
    '',
  ].join('\n');
}

/** Installs Debian's docker-registry package when it is missing (root on Debian only, as the engine's install). */
export async function ensureRegistryPackage(): Promise<void> {
  if (await access(BINARY).then(() => true, () => false)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', 'docker-registry']]) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('apt-get', args, { env, stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`apt-get ${args.join(' ')} exited with ${code}`))));
    });
  }
}

/** True when the registry answers its API root (`GET /v2/`). */
function answers(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`http://${address}/v2/`, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Stops a registry a previous supervisor left running on this directory (a daemon killed before it could stop it):
 * its pid is in `registry.pid`, and it is ours only if it serves this directory's config.
 */
async function stopLeftover(pidFile: string, configFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(configFile)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')) !== ''; i++) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Starts the registry, restarts it whenever it exits until `stop()`, and resolves once it answers. */
export async function startRegistry(options: RegistryOptions): Promise<SupervisedRegistry> {
  await ensureRegistryPackage();
  await mkdir(join(options.dir, 'data'), { recursive: true, mode: 0o700 });
  const configFile = join(options.dir, 'config.yml');
  const pidFile = join(options.dir, 'registry.pid');
  await stopLeftover(pidFile, configFile);
  await writeFile(configFile, config(options.dir, options.address));
  let stopping = false;
  let ready = false;
  let quickExits = 0;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  /** Set when the first process exits before the registry is ready: start-up fails rather than restarting. */
  let failedStart: string | undefined;
  const launch = (): void => {
    const proc = spawn(BINARY, ['serve', configFile], { stdio: 'ignore' });
    const startedAt = Date.now();
    child = proc;
    if (proc.pid !== undefined) void writeFile(pidFile, `${proc.pid}\n`).catch(() => undefined);
    exited = new Promise<void>((resolve) => {
      proc.on('error', (error) => {
        if (!ready) failedStart = error.message;
        resolve();
      });
      proc.on('exit', (code) => {
        resolve();
        if (stopping) return;
        if (!ready) {
          failedStart = `exited with ${String(code)}`;
          return;
        }
        options.onRestart?.(code);
        quickExits = Date.now() - startedAt >= HEALTHY_RUN_MS ? 1 : quickExits + 1;
        setTimeout(() => {
          if (!stopping) launch();
        }, restartDelay(quickExits)).unref();
      });
    });
  };
  const launchedAt = Date.now();
  const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null && failedStart === undefined;
  launch();
  const deadline = Date.now() + READY_TIMEOUT_MS;
  // Ready only when the address answers while our own process still runs: another registry on the address answers
  // too, and ours then exits (the address is taken).
  for (;;) {
    if (failedStart !== undefined) {
      stopping = true;
      await rm(pidFile, { force: true });
      throw new Error(`docker-registry ${failedStart} before it answered at http://${options.address}/v2/ (is the address taken?)`);
    }
    if ((await answers(options.address)) && alive()) {
      // Ours fails to bind a taken address within moments of its start: it must outlive that window after the answer.
      await new Promise((resolve) => setTimeout(resolve, Math.max(200, SETTLE_MS - (Date.now() - launchedAt))));
      if (alive()) break;
      continue;
    }
    if (Date.now() > deadline) {
      stopping = true;
      child?.kill('SIGTERM');
      throw new Error(`docker-registry did not answer at http://${options.address}/v2/ within ${READY_TIMEOUT_MS / 1000}s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  ready = true;
  return {
    address: options.address,
    pid: () => child?.pid,
    async stop() {
      stopping = true;
      child?.kill('SIGTERM');
      await exited;
      await rm(pidFile, { force: true });
    },
  };
}
