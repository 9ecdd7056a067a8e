// Removing what one throwaway Berth made: its own module so the reaper (reap.ts) loads only this and the runtime,
// not the daemon.
import { rm } from 'node:fs/promises';
import { DockerRuntime } from '../runtime/index.js';
import type { Settings } from '../settings.js';

/** Removes what the Berth on `settings.dataDir` made on the engine, then the data dir itself. Safe to run twice. */
export async function purge(settings: Pick<Settings, 'dockerHost' | 'dataDir'>): Promise<void> {
  try {
    await DockerRuntime.at(settings).purgeInstance();
  } finally {
    await rm(settings.dataDir, { recursive: true, force: true });
  }
}
