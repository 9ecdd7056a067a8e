// Runs builds through the real BuildsService on a Platform (platform.ts) and reads back what a user sees: the
// build record and every line of its output stream.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AppRecord, BuildRecord } from '../../src/contracts/records.js';
import type { ContainerPush } from '../../src/builds/index.js';
import type { QueueTurn } from '../../src/queue.js';
import { sourceTarball } from './build-container.js';
import type { Platform } from './platform.js';

export interface BuildOptions {
  readonly version?: string | null;
  readonly checksum?: string | null;
  readonly buildpacks?: readonly string[] | null;
  readonly within?: QueueTurn;
  /** `berth container:push`: one Dockerfile as one type's image, nothing released. */
  readonly containerPush?: ContainerPush;
}

/** Starts a build of `files` (answered at once, pending), as POST /apps/{app}/builds does. */
export async function startBuild(p: Platform, app: AppRecord, files: Readonly<Record<string, string>> | Buffer, options: BuildOptions = {}): Promise<BuildRecord> {
  const path = join(p.dataDir, `source-${randomUUID()}.tgz`);
  await writeFile(path, Buffer.isBuffer(files) ? files : await sourceTarball(files));
  return p.services.builds.create(
    app,
    {
      source: { kind: 'file', path, url: pathToFileURL(path).href },
      sourceVersion: options.version === undefined ? 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0' : options.version,
      sourceChecksum: options.checksum ?? null,
      buildpacks: options.buildpacks ?? null,
      ...(options.containerPush ? { containerPush: options.containerPush } : {}),
    },
    options.within,
  );
}

/** The build's whole output, once it has ended, as lines. */
export async function outputOf(p: Platform, build: BuildRecord): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of p.services.builds.output(build.id, build.outputSecret)) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined);
}

/** A build run to its end: the final record and its output lines. */
export async function build(p: Platform, app: AppRecord, files: Readonly<Record<string, string>> | Buffer, options: BuildOptions = {}): Promise<{ build: BuildRecord; output: string[] }> {
  const started = await startBuild(p, app, files, options);
  await p.services.builds.settled();
  const finished = p.services.builds.get(p.app(app.name), started.id);
  return { build: finished, output: await outputOf(p, finished) };
}
