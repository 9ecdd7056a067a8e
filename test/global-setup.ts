// Integration tests need the Docker engine, the stack images and the add-on image. `npm test`'s pretest runs
// `berth setup`; this does the same again (a no-op when both are there), so `vitest run` alone works too.
import { loadSettings } from '../src/settings.js';
import { ensureEngine } from '../src/host/index.js';
import { DockerRuntime } from '../src/runtime/index.js';
import { ensureAddonImage, ensureStackImages } from '../src/stack/index.js';
import { consoleProgress } from './support/progress.js';

export default async function setup(): Promise<void> {
  const settings = loadSettings();
  const progress = consoleProgress();
  const runtime = DockerRuntime.at(settings);
  await ensureEngine(settings, runtime, progress);
  await ensureStackImages(settings, runtime, progress);
  // Add-on servers (PostgreSQL, Redis) run from one image built once for every test file.
  await ensureAddonImage(settings, runtime, progress);
}
