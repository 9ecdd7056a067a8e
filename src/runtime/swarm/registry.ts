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
/** Pause before restarting a registry that exited, so a registry that cannot start does not spin. */
const RESTART_DELAY_MS = 1000;

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
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const launch = (): void => {
    const proc = spawn(BINARY, ['serve', configFile], { stdio: 'ignore' });
    child = proc;
    if (proc.pid !== undefined) void writeFile(pidFile, `${proc.pid}\n`).catch(() => undefined);
    exited = new Promise<void>((resolve) => {
      proc.on('error', () => resolve());
      proc.on('exit', (code) => {
        resolve();
        if (stopping) return;
        options.onRestart?.(code);
        setTimeout(() => {
          if (!stopping) launch();
        }, RESTART_DELAY_MS).unref();
      });
    });
  };
  launch();
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answers(options.address))) {
    if (Date.now() > deadline) {
      stopping = true;
      child?.kill('SIGTERM');
      throw new Error(`docker-registry did not answer at http://${options.address}/v2/ within ${READY_TIMEOUT_MS / 1000}s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
