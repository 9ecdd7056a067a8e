// `berth setup`: everything the daemon needs on this machine, each step idempotent and safe to run concurrently.
import type { Progress } from '../contracts/progress.js';
import { ensureEngine } from '../host/index.js';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { copyImages, DockerRuntime, ensureLocalSwarm, ensureRegistryPackage, enginesSetting } from '../runtime/index.js';
import type { Settings } from '../settings.js';
import { ensureAddonImage, ensureStackImages } from '../stack/index.js';
import { ensureCa, ensureCaBundle } from '../tls/index.js';

export async function setup(settings: Settings, progress: Progress): Promise<void> {
  const runtime = DockerRuntime.at(settings);
  await ensureEngine(settings, runtime, progress);
  await ensureStackImages(settings, runtime, progress);
  // The add-on servers' image (PostgreSQL, Redis), so the first addons:create does not wait for apt.
  await ensureAddonImage(settings, runtime, progress);
  const done = progress.step('Local certificate authority');
  const ca = await ensureCa(settings.dataDir);
  await ensureCaBundle(settings.dataDir, ca);
  done(ca.certPath);
}

/** A port nobody listens on at `host` right now (the kernel picks it). */
function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** `127.0.0.101` + 1 → `127.0.0.102`. */
function nextAddress(address: string, step: number): string {
  const parts = address.split('.').map(Number);
  const last = (parts[3] ?? 0) + step;
  if (parts.length !== 4 || last > 254) throw new Error(`No worker address after ${address}: set BERTH_SWARM_ADDRESS lower`);
  return [...parts.slice(0, 3), last].join('.');
}

/**
 * `berth setup --swarm`: a Docker Swarm beside the user's engine (never in it), for BERTH_RUNTIME=swarm. On this
 * machine: a manager dockerd (advertising BERTH_SWARM_ADDRESS, 127.0.0.101 unless set) and `workers` worker dockerds
 * on the next loopback addresses, all under `<data>/swarm`; then the stack and add-on images copied to the manager
 * through a registry. A BERTH_SWARM_MANAGER of the user's own is left as it is. Returns the environment to run with.
 */
export async function setupSwarm(settings: Settings, progress: Progress, workers: number): Promise<Record<string, string>> {
  const dir = join(settings.dataDir, 'swarm');
  const local = `unix://${join(dir, 'manager', 'docker.sock')}`;
  if (settings.swarmManager !== local) {
    progress.info(`BERTH_SWARM_MANAGER names a swarm of your own (${settings.swarmManager}): Berth prepares nothing on it.`);
    return { BERTH_RUNTIME: 'swarm', BERTH_SWARM_MANAGER: settings.swarmManager };
  }
  const started = progress.step(`Starting a swarm beside the Docker engine (manager ${settings.swarmAddress}${workers > 0 ? `, ${workers} worker${workers > 1 ? 's' : ''}` : ''})`);
  const swarm = await ensureLocalSwarm({
    dir,
    managerAddress: settings.swarmAddress,
    workerAddresses: Array.from({ length: workers }, (_, i) => nextAddress(settings.swarmAddress, i + 1)),
  });
  started(swarm.manager.socketPath);
  await ensureRegistryPackage();
  const copying = progress.step('Copying the stack images to the swarm manager through a registry');
  const main = DockerRuntime.at(settings).socketPath;
  const copied =
    main === undefined
      ? []
      : await copyImages({
          fromSocket: main,
          toSocket: swarm.manager.socketPath,
          registryDir: join(dir, 'setup-registry'),
          registryAddress: `${swarm.manager.address}:${await freePortOn(swarm.manager.address)}`,
          refs: [settings.stackRunImage, settings.stackBuildImage, settings.addonImage],
        });
  copying(copied.length === 0 ? 'already there' : copied.join(', '));
  return { BERTH_RUNTIME: 'swarm', BERTH_SWARM_ADDRESS: swarm.manager.address, BERTH_SWARM_ENGINES: enginesSetting(swarm) };
}
