// What the integration tier leaves on the shared engine. Every test daemon records its Berth instance (the
// `berth.instance` label its runtime puts on containers, slug images and app volumes) in a file the global setup
// names; at the end of the run, whatever still carries one of those labels was left by a test (a daemon not
// disposed, a killed worker, a purge that missed something). The global teardown names it and removes it, so CI
// stops what it started. Only test instances are touched: a developer's own Berth on the same engine is not.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';

const REGISTRY_ENV = 'BERTH_TEST_INSTANCES_FILE';

/** The runtime's instance label for a data dir (src/runtime/docker: the first 12 hex digits of its SHA-256). */
const instanceOf = (dataDir: string): string => createHash('sha256').update(dataDir).digest('hex').slice(0, 12);

/** Called by every test daemon; a no-op outside the integration tier's global setup. */
export function recordTestInstance(dataDir: string): void {
  const file = process.env[REGISTRY_ENV];
  if (file !== undefined) appendFileSync(file, `${instanceOf(dataDir)}\n`);
}

/** Where test daemons record their instances for this run (inherited by the test workers). */
export function recordInstancesIn(file: string): void {
  process.env[REGISTRY_ENV] = file;
}

/** Removes every container, image and volume of the recorded test instances; returns how many there were. */
export async function sweepLeftovers(file: string, docker: Docker = new Docker()): Promise<{ containers: number; images: number; volumes: number }> {
  const instances = existsSync(file) ? new Set(readFileSync(file, 'utf8').split('\n').filter((line) => line !== '')) : new Set<string>();
  const ours = (labels: Record<string, string> | null | undefined): boolean => instances.has(labels?.['berth.instance'] ?? '');
  const scope = { label: ['berth.instance'] };
  const [containerList, imageList, volumeList] = await Promise.all([
    docker.listContainers({ all: true, filters: scope }),
    docker.listImages({ filters: scope }),
    docker.listVolumes({ filters: scope }),
  ]);
  const containers = containerList.filter((c) => ours(c.Labels)).map((c) => c.Id);
  const images = imageList.filter((i) => ours(i.Labels)).map((i) => i.Id);
  const volumes = (volumeList.Volumes ?? []).filter((v) => ours(v.Labels)).map((v) => v.Name);
  // Containers first: an image a container uses cannot go, nor a volume one mounts.
  await Promise.all(containers.map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
  for (const id of images) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
  for (const name of volumes) await docker.getVolume(name).remove({ force: true }).catch(() => undefined);
  return { containers: containers.length, images: images.length, volumes: volumes.length };
}
