// `berth setup`: everything the daemon needs on this machine, each step idempotent and safe to run concurrently.
import type { Progress } from '../contracts/progress.js';
import { ensureEngine } from '../host/index.js';
import { DockerRuntime } from '../runtime/index.js';
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
