// `berth watch [dir] -a app`: the edit-and-see loop. chokidar watches the app's directory; once changes settle, the
// directory goes up as a source tarball and builds through the Build API (the same build path as a push): Heroku's
// build output, then the new release's first log lines. Files that .gitignore or .slugignore name never trigger a
// build (.gitignore'd ones are not sent either, as git would not send them; the build drops .slugignore'd ones). A
// failed build leaves the last release serving, and says so. A change during a build queues one more build, not one
// per file. Ctrl-C stops watching and leaves the app as it is.
import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createGzip } from 'node:zlib';
import chokidar from 'chokidar';
import ignore, { type Ignore } from 'ignore';
import { pack } from 'tar-fs';
import type { ApiClient } from './client.js';
import { sseDataWriter } from './commands.js';

interface Out {
  write(text: string): unknown;
}

export interface WatchOptions {
  readonly dir: string;
  readonly app: string;
  /** Quiet time after the last change before a build starts. */
  readonly settleMs: number;
  readonly out: Out;
  readonly signal: AbortSignal;
}

interface BuildJson {
  readonly id: string;
  readonly status: string;
  readonly output_stream_url: string;
  readonly release: { readonly id: string } | null;
}

interface ReleaseJson {
  readonly version: number;
}

function rules(dir: string, file: string): string {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return '';
  }
}

/** What never triggers a build: .git, and what .gitignore or .slugignore name (re-read when they change). */
function ignoredBy(dir: string): { triggers: Ignore; sent: Ignore } {
  const sent = ignore().add('.git').add(rules(dir, '.gitignore'));
  const triggers = ignore().add('.git').add(rules(dir, '.gitignore')).add(rules(dir, '.slugignore'));
  return { triggers, sent };
}

function relativePath(dir: string, path: string): string {
  return relative(dir, path).split(sep).join('/');
}

/** The directory as a gzipped tarball, without .git and what .gitignore names. */
async function sourceTarball(dir: string, sent: Ignore): Promise<Buffer> {
  const tar = pack(dir, {
    ignore: (name: string) => {
      const path = relativePath(dir, name);
      return path !== '' && sent.ignores(path);
    },
  }) as unknown as Readable;
  return buffer(tar.pipe(createGzip()));
}

async function currentVersion(client: ApiClient, app: string): Promise<number | undefined> {
  const releases = await client.request<ReleaseJson[]>(`/apps/${encodeURIComponent(app)}/releases`, { headers: { range: 'version ..; order=desc, max=1' } });
  return releases[0]?.version;
}

/** The new release's first log lines: until a dyno is up on it, or a few seconds. */
async function firstLogLines(client: ApiClient, app: string, out: Out, signal: AbortSignal): Promise<void> {
  const session = await client.request<{ logplex_url: string }>(`/apps/${encodeURIComponent(app)}/log-sessions`, {
    method: 'POST',
    body: { lines: 10, tail: true },
  });
  const done = new AbortController();
  const timer = setTimeout(() => done.abort(), 10_000);
  const stop = () => done.abort();
  signal.addEventListener('abort', stop, { once: true });
  const lines = sseDataWriter({
    write(text: string) {
      out.write(text);
      if (text.includes('State changed from starting to up') || text.includes('State changed from starting to crashed')) done.abort();
    },
  });
  try {
    await client.stream(session.logplex_url, { write: (chunk) => lines.write(chunk) }, done.signal);
  } catch (error) {
    if (!done.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
}

/** One build of the directory, its output streamed to `out`. Resolves with whether it succeeded. */
async function buildOnce(client: ApiClient, options: WatchOptions): Promise<boolean> {
  const { app, out } = options;
  const dir = resolve(options.dir);
  const before = await currentVersion(client, app);
  const blob = await client.request<{ source_blob: { get_url: string; put_url: string } }>('/sources', { method: 'POST' });
  const upload = await fetch(blob.source_blob.put_url, { method: 'PUT', body: await sourceTarball(dir, ignoredBy(dir).sent) });
  if (!upload.ok) throw new Error(`uploading the source answered ${upload.status}`);
  const build = await client.request<BuildJson>(`/apps/${encodeURIComponent(app)}/builds`, { method: 'POST', body: { source_blob: { url: blob.source_blob.get_url } } });
  await client.stream(build.output_stream_url, { write: (chunk) => out.write(Buffer.from(chunk).toString('utf8')) }, options.signal);
  let finished = await client.request<BuildJson>(`/apps/${encodeURIComponent(app)}/builds/${build.id}`);
  while (finished.status === 'pending') {
    await new Promise((done) => setTimeout(done, 100));
    finished = await client.request<BuildJson>(`/apps/${encodeURIComponent(app)}/builds/${build.id}`);
  }
  if (finished.status !== 'succeeded') {
    out.write(` !     Build failed: ${before === undefined ? 'the app has no release yet' : `v${before} is still serving`}. Watching for the next change.\n`);
    return false;
  }
  await firstLogLines(client, app, out, options.signal);
  return true;
}

/** Watches until `options.signal` aborts. */
export async function watch(client: ApiClient, options: WatchOptions): Promise<void> {
  const dir = resolve(options.dir);
  const { out, signal } = options;
  let ignored = ignoredBy(dir);
  let timer: NodeJS.Timeout | undefined;
  let building: Promise<void> | undefined;
  let queued = false;

  const run = (): void => {
    if (signal.aborted) return;
    if (building) {
      // One more build after this one, however many files change meanwhile.
      queued = true;
      return;
    }
    out.write(`\nChange detected: building ${options.app}...\n`);
    building = buildOnce(client, options)
      .then(
        () => undefined,
        (error: unknown) => {
          if (!signal.aborted) out.write(` !     ${error instanceof Error ? error.message : String(error)}\n`);
        },
      )
      .finally(() => {
        building = undefined;
        if (queued) {
          queued = false;
          run();
        }
      });
  };

  const watcher = chokidar.watch(dir, {
    ignoreInitial: true,
    ignored: (path: string) => {
      const rel = relativePath(dir, path);
      return rel !== '' && !rel.startsWith('..') && ignored.triggers.ignores(rel);
    },
  });
  watcher.on('all', (_event, path) => {
    const rel = relativePath(dir, path);
    if (rel === '.gitignore' || rel === '.slugignore') ignored = ignoredBy(dir);
    clearTimeout(timer);
    timer = setTimeout(run, options.settleMs);
  });
  await new Promise<void>((ready) => watcher.once('ready', () => ready()));
  out.write(`Watching ${dir} for changes to ${options.app} (Ctrl-C to stop)\n`);
  await new Promise<void>((stopped) => {
    if (signal.aborted) stopped();
    signal.addEventListener('abort', () => stopped(), { once: true });
  });
  clearTimeout(timer);
  await watcher.close();
  await building;
}
