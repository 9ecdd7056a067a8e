// Removing a named volume on the real engine while a container that mounts it is on its way out: on app.destroyed the
// dynos room removes every container of the app (an add-on server too) while the add-ons room removes the same server
// and then its volume, so the volume's removal must wait for the container to go, not fail with the engine's 409.
// A container that stays keeps the volume, and the removal fails.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime, type ContainerSpec } from '../../src/runtime/index.js';
import { loadSettings } from '../../src/settings.js';

const unique = `volumes-${process.pid}-${randomBytes(3).toString('hex')}`;
let runtime: DockerRuntime;
let image: string;

const sleeper = (volume: string): ContainerSpec => ({
  image,
  cmd: ['sleep', 'infinity'],
  labels: { app: unique, role: 'dyno', dyno: 'web.1' },
  init: true,
  binds: [`${volume}:/data`],
});

beforeAll(async () => {
  const settings = loadSettings();
  runtime = await DockerRuntime.connect(settings);
  image = settings.stackRunImage;
});

afterAll(async () => {
  for (const container of await runtime.listByLabel({ app: unique })) await runtime.remove(container.id);
  for (const volume of await runtime.listVolumes([`berth.app=${unique}`])) await runtime.removeVolume(volume).catch(() => undefined);
});

describe('DockerRuntime.removeVolume', () => {
  it('waits for a container that mounts the volume and is being removed meanwhile', async () => {
    const volume = `berth-${unique}-going`;
    await runtime.ensureVolume(volume, { 'berth.app': unique });
    const container = await runtime.start(sleeper(volume));
    // The other room's removal starts after ours has been refused at least once.
    const other = new Promise<void>((resolve, reject) => setTimeout(() => runtime.remove(container).then(resolve, reject), 1000));
    await runtime.removeVolume(volume);
    await other;
    expect(await runtime.listVolumes([`berth.app=${unique}`])).toEqual([]);
  });

  it('fails when the container stays', async () => {
    const volume = `berth-${unique}-kept`;
    await runtime.ensureVolume(volume, { 'berth.app': unique });
    const container = await runtime.start(sleeper(volume));
    await expect(runtime.removeVolume(volume)).rejects.toThrow(/in use/);
    expect(await runtime.listVolumes([`berth.app=${unique}`])).toEqual([volume]);
    await runtime.remove(container);
  }, 60_000);
});
