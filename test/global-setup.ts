// Integration tests need the Docker engine and the stack images. `npm test`'s pretest runs
// `berth setup`; this does the same again (a no-op when both are there), so `vitest run` alone works too.
import { loadSettings } from '../src/settings.js';
import { ensureEngine, Runtime } from '../src/runtime/index.js';
import { ensureStackImages } from '../src/stack/index.js';
import { consoleProgress } from './support/progress.js';

export default async function setup(): Promise<void> {
  const settings = loadSettings();
  const progress = consoleProgress();
  await ensureEngine(settings, progress);
  const runtime = await Runtime.connect(settings);
  await ensureStackImages(settings, runtime, progress);
}
