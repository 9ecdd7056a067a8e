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

/** Tries of a removal the engine refuses because the volume is in use (409), 250 ms apart. */
const IN_USE_TRIES = 40;

export async function removeVolume(docker: Docker, name: string): Promise<void> {
  // A container using it may still be on its way out: on app.destroyed the dynos room removes every container of the
  // app (an add-on server too) while the add-ons room removes the same server, whose own remove then answers 409
  // ("removal in progress") at once, before the engine has let go of the volume. A container that stays is an error.
  for (let tries = 1; ; tries += 1) {
    try {
      await ignoring([404], () => docker.getVolume(name).remove({ force: true }));
      return;
    } catch (err) {
      if (statusOf(err) !== 409 || tries >= IN_USE_TRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export async function listVolumes(docker: Docker, labels: readonly string[]): Promise<string[]> {
  const result = await docker.listVolumes({ filters: { label: [...labels] } });
  return (result.Volumes ?? []).map((v) => v.Name);
}
