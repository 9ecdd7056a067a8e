// Makes sure a Docker engine answers, installing and starting Debian's docker.io when none does
// (DESIGN.md "What this machine offers"). The dockerd Berth starts outlives Berth: later commands
// and the daemon reuse it; only `.ci/run` stops it (the dockerd whose pid is in the data dir).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { access, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from '../contracts/progress.js';
import type { Settings } from '../settings.js';
import { withFileLock } from './lock.js';

/** The engine as this room needs to know it; the Docker runtime is one (`DockerRuntime.at(settings)`). */
export interface LocalEngine {
  /** Where it listens, for messages (`unix:///var/run/docker.sock`). */
  readonly where: string;
  /** The unix socket Berth would start dockerd on; undefined for a remote engine, which Berth cannot start. */
  readonly socketPath: string | undefined;
  /** True when the engine answers within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
}

const START_TIMEOUT_MS = 60_000;

function engineFiles(settings: Pick<Settings, 'dataDir'>): { log: string; pid: string; lock: string } {
  return {
    log: join(settings.dataDir, 'dockerd.log'),
    pid: join(settings.dataDir, 'dockerd.pid'),
    lock: join(settings.dataDir, 'engine.lock'),
  };
}

/** Makes sure `engine` answers, installing and starting a local one if needed. */
export async function ensureEngine(settings: Pick<Settings, 'dataDir'>, engine: LocalEngine, progress: Progress): Promise<void> {
  if (await engine.ping()) return;

  const socketPath = engine.socketPath;
  if (socketPath === undefined) {
    throw new Error(`The Docker engine at ${engine.where} does not answer. Start it, or unset BERTH_DOCKER_HOST/DOCKER_HOST to let Berth start a local one.`);
  }
  const files = engineFiles(settings);
  await withFileLock(
    files.lock,
    { timeoutMs: 10 * 60_000, onWait: (pid) => progress.info(`Waiting for another Berth process (pid ${pid ?? '?'}) that is preparing the Docker engine`) },
    async () => {
      // Someone else may have started it while we waited for the lock.
      if (await engine.ping()) return;
      await checkCanInstall();
      if (!(await which('dockerd'))) await installDockerIo(progress);
      await startDockerd(socketPath, files, engine, progress);
    },
  );
}

async function checkCanInstall(): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const isDebian = await exists('/etc/debian_version');
  if (isRoot && isDebian && (await which('apt-get'))) return;
  const why = !isDebian ? 'this is not a Debian-like system' : 'Berth is not running as root';
  throw new Error(
    `No Docker engine answers at /var/run/docker.sock, and Berth cannot install one because ${why}. ` +
      'Install and start Docker (on Debian/Ubuntu: `apt-get install docker.io`, then start `dockerd`), ' +
      'or point BERTH_DOCKER_HOST at a running engine.',
  );
}

async function installDockerIo(progress: Progress): Promise<void> {
  const done = progress.step('Installing Docker engine (apt-get install docker.io)');
  // Without an init system, the package's postinst would try to start dockerd with the default bridge
  // network. A policy-rc.d that denies service starts stops that; we start dockerd ourselves.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !(await exists(policy));
  if (ownPolicy) await writeFile(policy, '#!/bin/sh\n# written by berth while installing docker.io\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await exec('apt-get', ['update', '-q'], env);
    await exec('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'docker.io'], env);
  } catch (err) {
    done('failed');
    throw err;
  } finally {
    if (ownPolicy) await rm(policy, { force: true });
  }
  if (!(await which('dockerd'))) {
    done('failed');
    throw new Error('apt-get install docker.io finished but no dockerd is on PATH');
  }
  done();
}

async function startDockerd(socketPath: string, files: ReturnType<typeof engineFiles>, engine: LocalEngine, progress: Progress): Promise<void> {
  const done = progress.step('Starting Docker engine (dockerd --bridge=none --iptables=false)');
  await mkdir(join(files.pid, '..'), { recursive: true });

  const running = await runningDockerdPid(files.pid);
  if (running === undefined) {
    await rm(files.pid, { force: true });
    // A socket left by a dead dockerd makes the new one fail to listen.
    if (await exists(socketPath)) await rm(socketPath, { force: true });
    const log = openSync(files.log, 'a');
    try {
      const child = spawn(
        'dockerd',
        ['--bridge=none', '--iptables=false', '--ip6tables=false', `--pidfile=${files.pid}`, `--host=unix://${socketPath}`],
        { detached: true, stdio: ['ignore', log, log] },
      );
      child.on('error', () => undefined);
      child.unref();
    } finally {
      closeSync(log);
    }
  }

  const deadline = Date.now() + START_TIMEOUT_MS;
  let sawPid = false;
  while (Date.now() < deadline) {
    if (await engine.ping(1000)) {
      done();
      return;
    }
    const pid = await runningDockerdPid(files.pid);
    if (pid !== undefined) sawPid = true;
    // dockerd writes its pid file early and removes it when it exits: gone after seen means it died.
    if (sawPid && pid === undefined) break;
    await sleep(250);
  }
  done('failed');
  throw new Error(`dockerd did not answer on ${engine.where} within ${START_TIMEOUT_MS / 1000} s. Last lines of ${files.log}:\n${await tail(files.log, 20)}`);
}

/** The pid in our pid file, if that process is alive and is a dockerd (pids get reused). */
async function runningDockerdPid(pidFile: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(pidFile, 'utf8')).trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
    return comm === 'dockerd' ? pid : undefined;
  } catch {
    return pid;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (dead, not yet reaped) still accepts signal 0; its state in /proc is Z.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0) !== 'Z';
  } catch {
    return true;
  }
}

async function tail(path: string, lines: number): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function which(cmd: string): Promise<boolean> {
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    try {
      const s = await stat(join(dir, cmd));
      if (s.isFile() && (s.mode & 0o111) !== 0) return true;
    } catch {
      // not in this dir
    }
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to completion; on failure the error quotes the end of its output. */
function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${output.trimEnd().split('\n').slice(-20).join('\n')}`));
    });
  });
}
