// Named volumes on dockerode (build caches).
import type Docker from 'dockerode';
import { ignoring, statusOf } from './errors.js';

export async function ensureVolume(docker: Docker, name: string, labels: Readonly<Record<string, string>>): Promise<void> {
  try {
    await docker.getVolume(name).inspect();
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    await docker.createVolume({ Name: name, Labels: { ...labels } });
  }
}

export async function removeVolume(docker: Docker, name: string): Promise<void> {
  await ignoring([404], () => docker.getVolume(name).remove({ force: true }));
}

export async function listVolumes(docker: Docker, labels: readonly string[]): Promise<string[]> {
  const result = await docker.listVolumes({ filters: { label: [...labels] } });
  return (result.Volumes ?? []).map((v) => v.Name);
}
