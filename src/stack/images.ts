// ensureStackImages: the heroku-24 run and build images exist after it, built offline if needed
// (DESIGN.md "Stack images"). describeStack: what the stack is made of, for `berth setup` and tests.
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from '../host/index.js';
import type { ImageInfo, Runtime } from '../runtime/index.js';
import type { Progress } from '../contracts/progress.js';
import type { Settings } from '../settings.js';
import { addBuildPackages, bootstrapRun, checkHost, ensureDebootstrap } from './bootstrap.js';
import { CommandLog, produce, run } from './exec.js';
import { hostMirror } from './mirror.js';

export type StackSettings = Pick<Settings, 'dataDir' | 'stack' | 'stackRunImage' | 'stackBuildImage' | 'stackSuite' | 'debianMirror'>;

export interface StackImage {
  readonly ref: string;
  readonly id: string;
  readonly sizeBytes: number;
  readonly created: string;
  /** True when Berth built it offline (it carries Berth's stack labels). */
  readonly builtByBerth: boolean;
}

export interface StackDescription {
  readonly stack: string;
  readonly run: StackImage | undefined;
  readonly build: StackImage | undefined;
}

/** Image labels of the images Berth builds, so `describeStack` can tell them from others. */
export const STACK_LABEL = 'berth.stack';

export async function describeStack(settings: StackSettings, runtime: Runtime): Promise<StackDescription> {
  const [runInfo, buildInfo] = await Promise.all([runtime.imageInfo(settings.stackRunImage), runtime.imageInfo(settings.stackBuildImage)]);
  return { stack: settings.stack, run: toStackImage(runInfo), build: toStackImage(buildInfo) };
}

function toStackImage(info: ImageInfo | undefined): StackImage | undefined {
  if (info === undefined) return undefined;
  return { ref: info.ref, id: info.id, sizeBytes: info.sizeBytes, created: info.created, builtByBerth: info.labels[STACK_LABEL] !== undefined };
}

/** Makes sure both stack images exist, building the missing ones offline with debootstrap. */
export async function ensureStackImages(settings: StackSettings, runtime: Runtime, progress: Progress): Promise<StackDescription> {
  const missing = async (): Promise<{ run: boolean; build: boolean }> => ({
    run: !(await runtime.imageExists(settings.stackRunImage)),
    build: !(await runtime.imageExists(settings.stackBuildImage)),
  });
  let need = await missing();
  if (!need.run && !need.build) return describeStack(settings, runtime);

  const lock = join(settings.dataDir, 'stack.lock');
  await withFileLock(
    lock,
    { timeoutMs: 30 * 60_000, onWait: (pid) => progress.info(`Waiting for another Berth process (pid ${pid ?? '?'}) that is building the stack images`) },
    async () => {
      need = await missing();
      if (!need.run && !need.build) return;
      for (const [ref, isMissing] of [[settings.stackRunImage, need.run], [settings.stackBuildImage, need.build]] as const) {
        if (isMissing && !ref.startsWith('berth/')) {
          throw new Error(`Stack image ${ref} is not in the engine and Berth only builds its own berth/* images. Load or pull ${ref}, or unset the BERTH_STACK_*_IMAGE setting.`);
        }
      }
      // A fresh run image implies a fresh build image: the two must share package versions
      // (a venv built in one runs in the other).
      await buildImages(settings, runtime, progress, { run: need.run, build: need.run || need.build });
    },
  );
  return describeStack(settings, runtime);
}

async function buildImages(settings: StackSettings, runtime: Runtime, progress: Progress, want: { run: boolean; build: boolean }): Promise<void> {
  await checkHost();
  const tmpRoot = join(settings.dataDir, 'tmp');
  await mkdir(tmpRoot, { recursive: true });
  const log = new CommandLog(join(settings.dataDir, 'stack-build.log'));
  log.write(`\n==== ${new Date().toISOString()} building ${settings.stack} stack images\n`);
  // Trees left by a build that was killed (we hold the lock, so nobody else is using them).
  for (const name of await readdir(tmpRoot)) {
    if (name.startsWith('stack-')) await removeTree(join(tmpRoot, name), log);
  }
  const work = await mkdtemp(join(tmpRoot, 'stack-'));
  const rootfs = join(work, 'rootfs');
  try {
    await step(progress, 'Installing debootstrap', () => ensureDebootstrap(log));
    const mirror = settings.debianMirror ?? (await hostMirror());
    await step(progress, `Bootstrapping Debian ${settings.stackSuite} minbase with the run packages (mirror ${mirror})`, () =>
      bootstrapRun(rootfs, settings.stackSuite, mirror, log),
    );
    if (want.run) {
      await step(progress, `Importing ${settings.stackRunImage}`, () => importTree(runtime, rootfs, settings.stackRunImage, changes(settings, 'run'), log));
    }
    if (want.build) {
      await step(progress, 'Adding the build packages', () => addBuildPackages(rootfs, log));
      await step(progress, `Importing ${settings.stackBuildImage}`, () => importTree(runtime, rootfs, settings.stackBuildImage, changes(settings, 'build'), log));
    }
  } finally {
    await removeTree(work, log);
    await log.close();
  }
}

function changes(settings: StackSettings, role: 'run' | 'build'): string[] {
  return [
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV LANG=C.UTF-8',
    'WORKDIR /app',
    'CMD ["/bin/bash"]',
    `LABEL ${STACK_LABEL}=${settings.stack} ${STACK_LABEL}.role=${role} ${STACK_LABEL}.suite=${settings.stackSuite}`,
  ];
}

/** tar the tree straight into `docker import`, without what only the host or apt's cache needs. */
async function importTree(runtime: Runtime, rootfs: string, ref: string, imageChanges: string[], log: CommandLog): Promise<void> {
  const excludes = [
    './proc/*', './sys/*', './dev/*', './tmp/*',
    './var/lib/apt/lists/*', './var/cache/apt/*.bin', './var/cache/apt/archives/*.deb',
    // Docker provides these per container.
    './etc/resolv.conf', './etc/hostname',
  ];
  const tar = produce('tar', ['-C', rootfs, '--numeric-owner', '--one-file-system', ...excludes.map((e) => `--exclude=${e}`), '-cf', '-', '.'], log);
  // Both must succeed: an import that accepted a truncated tar would be a broken image.
  const results = await Promise.allSettled([runtime.importRootfs(tar.stdout, ref, { changes: imageChanges }), tar.done]);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) {
    await runtime.removeImage(ref).catch(() => undefined);
    const reason: unknown = failure.reason;
    throw new Error(`Importing ${ref} failed: ${reason instanceof Error ? reason.message : String(reason)}\nLog: ${log.path}`);
  }
}

/** Unmounts anything debootstrap left mounted under the tree, then deletes it without crossing filesystems. */
async function removeTree(dir: string, log: CommandLog): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8').catch(() => ''))
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) await run('umount', ['-l', mountPoint], log).catch(() => undefined);
  await run('rm', ['-rf', '--one-file-system', dir], log);
}

async function step(progress: Progress, title: string, fn: () => Promise<void>): Promise<void> {
  const done = progress.step(title);
  try {
    await fn();
  } catch (err) {
    done('failed');
    throw err;
  }
  done();
}
