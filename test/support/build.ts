// The Builds API flow as the heroku CLI's builds plugin drives it, against a test daemon: tar a directory,
// `POST /sources`, PUT the tarball to its put_url with no auth, `POST /apps/{app}/builds`, read
// `output_stream_url` to its end, then fetch the finished build record. Plus what the tests look at afterwards:
// crafted (malicious) tarballs, slug tarball listings, the store's log lines read-only, and docker queries.
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import type { TestDaemon } from './daemon.js';
import { REPO_ROOT } from './daemon.js';

const run = promisify(execFile);

export const FIXTURES = join(REPO_ROOT, 'fixtures');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path} → ${status} ${body}`);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/** A Platform API call with the daemon's key; throws ApiError on a non-2xx answer. */
export async function api<T>(daemon: TestDaemon, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${daemon.apiUrl}${path}`, {
    method,
    headers: {
      Accept: 'application/vnd.heroku+json; version=3',
      Authorization: `Bearer ${daemon.apiKey}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new ApiError(method, path, response.status, text);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export interface AppJson {
  readonly id: string;
  readonly name: string;
  readonly web_url: string;
}

export interface BuildJson {
  readonly id: string;
  readonly status: 'pending' | 'succeeded' | 'failed';
  readonly output_stream_url: string;
  readonly source_blob: { readonly url: string; readonly version: string | null; readonly checksum: string | null };
  readonly buildpacks: ReadonlyArray<{ readonly url: string; readonly name: string }> | null;
  readonly release: { readonly id: string } | null;
  readonly slug: { readonly id: string } | null;
  readonly app: { readonly id: string };
}

export interface SlugJson {
  readonly id: string;
  readonly checksum: string;
  readonly size: number;
  readonly process_types: Readonly<Record<string, string>>;
  readonly commit: string | null;
  readonly stack: { readonly name: string };
  readonly buildpack_provided_description: string | null;
  readonly blob: { readonly url: string } | null;
}

export interface ReleaseJson {
  readonly id: string;
  readonly version: number;
  readonly description: string;
  readonly current: boolean;
  readonly slug: { readonly id: string } | null;
  readonly status: string;
}

let appCounter = 0;

/** A fresh app with a unique, valid name. */
export async function createApp(daemon: TestDaemon, prefix = 'bld'): Promise<AppJson> {
  appCounter += 1;
  const name = `${prefix}-${process.pid.toString(36)}-${appCounter}`.toLowerCase().slice(0, 30);
  return api<AppJson>(daemon, 'POST', '/apps', { name });
}

/** A gzipped tarball of a directory, entries `./...`, as `heroku builds:create` makes one. */
export async function tarDirectory(dir: string): Promise<Buffer> {
  const { stdout } = await run('tar', ['-czf', '-', '-C', dir, '.'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 });
  return stdout;
}

export function sha256(data: Buffer): string {
  return `SHA256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * `POST /sources`, then PUT the tarball to put_url with no auth. `contentType` undefined sends no Content-Type
 * header (as got does in the heroku CLI); `''` sends an empty one (as the heroku-builds plugin does for S3).
 */
export async function uploadSource(daemon: TestDaemon, tarball: Buffer, contentType?: string): Promise<string> {
  const { source_blob } = await api<{ source_blob: { get_url: string; put_url: string } }>(daemon, 'POST', '/sources');
  const response = await fetch(source_blob.put_url, {
    method: 'PUT',
    body: tarball,
    ...(contentType === undefined ? {} : { headers: { 'Content-Type': contentType } }),
  });
  const text = await response.text();
  if (!response.ok) throw new ApiError('PUT', source_blob.put_url, response.status, text);
  return source_blob.get_url;
}

export interface CreateBuildOptions {
  readonly version?: string | null;
  readonly checksum?: string | null;
  readonly buildpacks?: ReadonlyArray<{ url: string }>;
}

export function createBuild(daemon: TestDaemon, app: string, url: string, options: CreateBuildOptions = {}): Promise<BuildJson> {
  return api<BuildJson>(daemon, 'POST', `/apps/${app}/builds`, {
    source_blob: { url, version: options.version ?? null, ...(options.checksum ? { checksum: options.checksum } : {}) },
    ...(options.buildpacks ? { buildpacks: options.buildpacks } : {}),
  });
}

/** The whole output stream: a plain GET with no auth, live until the build ends. */
export async function readOutput(url: string, timeoutMs = 600_000): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`GET ${url} → ${response.status} ${await response.text()}`);
  return response.text();
}

/** Polls the build record until it is no longer pending. */
export async function finishedBuild(daemon: TestDaemon, app: string, id: string, timeoutMs = 120_000): Promise<BuildJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const build = await api<BuildJson>(daemon, 'GET', `/apps/${app}/builds/${id}`);
    if (build.status !== 'pending') return build;
    if (Date.now() > deadline) throw new Error(`build ${id} still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface BuildRun {
  readonly build: BuildJson;
  readonly output: string;
  readonly lines: string[];
  /**
   * Set when the GET of output_stream_url made right after the build was created did not answer 200 (the output
   * was then read again once the build had finished). Tests that are about the stream assert it is undefined.
   */
  readonly streamError: string | undefined;
}

export function outputLines(output: string): string[] {
  return output.replace(/\r\n/g, '\n').split('\n');
}

/**
 * Creates a build of a source URL, follows its output stream at once (as the CLI does) to the end, and returns the
 * final record.
 */
export async function runBuild(daemon: TestDaemon, app: string, url: string, options: CreateBuildOptions = {}): Promise<BuildRun> {
  const created = await createBuild(daemon, app, url, options);
  return followBuild(daemon, app, created);
}

export async function followBuild(daemon: TestDaemon, app: string, created: BuildJson): Promise<BuildRun> {
  const response = await fetch(created.output_stream_url, { signal: AbortSignal.timeout(900_000) });
  let output = await response.text();
  let streamError: string | undefined;
  if (!response.ok) {
    streamError = `GET output_stream_url right after POST /builds → ${response.status} ${output}`;
    await finishedBuild(daemon, app, created.id, 900_000);
    output = await readOutput(created.output_stream_url);
  }
  const build = await finishedBuild(daemon, app, created.id);
  return { build, output, lines: outputLines(output), streamError };
}

/** Tar, upload and build a directory in one go. */
export async function buildDirectory(daemon: TestDaemon, app: string, dir: string, options: CreateBuildOptions = {}): Promise<BuildRun> {
  const url = await uploadSource(daemon, await tarDirectory(dir));
  return runBuild(daemon, app, url, options);
}

/** A 40-hex fake commit for source_blob.version. */
export function fakeCommit(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/**
 * Index of each expected line in `lines`, in order (a string must equal the line, a RegExp match it); throws with
 * the whole output when one is missing or out of order.
 */
export function expectLinesInOrder(lines: readonly string[], expected: ReadonlyArray<string | RegExp>): number[] {
  const found: number[] = [];
  let from = 0;
  for (const want of expected) {
    const index = lines.findIndex((line, i) => i >= from && (typeof want === 'string' ? line === want : want.test(line)));
    if (index === -1) {
      throw new Error(`expected line ${String(want)} after line ${from} of the output:\n${lines.map((l, i) => `${String(i).padStart(3)}| ${l}`).join('\n')}`);
    }
    found.push(index);
    from = index + 1;
  }
  return found;
}

export interface CraftedEntry {
  readonly header: Partial<Header> & { readonly name: string };
  readonly content?: string | Buffer;
}

/** A gzipped tarball made entry by entry (tar-stream writes names as given: `../`, `/etc/...`, devices). */
export async function craftTarball(entries: readonly CraftedEntry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    tar.on('end', () => resolve());
    tar.on('error', reject);
  });
  for (const { header, content } of entries) {
    await new Promise<void>((resolve, reject) => {
      const body = content === undefined ? Buffer.alloc(0) : typeof content === 'string' ? Buffer.from(content) : content;
      const mode = header.type === 'directory' ? 0o755 : 0o644;
      tar.entry({ mode, ...header, size: body.length }, body, (error) => (error ? reject(error) : resolve()));
    });
  }
  tar.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** The entries of a slug `.tgz`, as `tar -tzf` lists them. */
export async function slugEntries(file: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', file], { maxBuffer: 256 * 1024 * 1024 });
  return stdout.split('\n').filter((line) => line !== '');
}

/** One file of a slug `.tgz`. */
export async function slugFile(file: string, entry: string): Promise<string> {
  const { stdout } = await run('tar', ['-xzOf', file, entry], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export function slugPath(daemon: TestDaemon, appId: string, slugId: string): string {
  return join(daemon.dataDir, 'slugs', appId, `${slugId}.tgz`);
}

export interface LogRow {
  readonly seq: number;
  readonly source: string;
  readonly dyno: string;
  readonly message: string;
}

/** The app's log lines from the daemon's store, opened read-only. */
export function appLogLines(daemon: TestDaemon, appId: string): LogRow[] {
  const db = new Database(join(daemon.dataDir, 'berth.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, source, dyno, message FROM log_lines WHERE app_id = ? ORDER BY seq').all(appId) as LogRow[];
  } finally {
    db.close();
  }
}

export async function docker(args: readonly string[]): Promise<string> {
  const { stdout } = await run('docker', [...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** IDs of containers (running or not) carrying every label given. */
export async function containersWithLabels(labels: Readonly<Record<string, string>>): Promise<string[]> {
  const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  const out = await docker(['ps', '-aq', ...filters]);
  return out === '' ? [] : out.split('\n');
}

export async function imageExists(ref: string): Promise<boolean> {
  try {
    await docker(['image', 'inspect', ref, '--format', '{{.Id}}']);
    return true;
  } catch {
    return false;
  }
}

export async function volumeExists(name: string): Promise<boolean> {
  try {
    await docker(['volume', 'inspect', name]);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `check` returns true, or fails with `what`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A classic buildpack (bin/detect, bin/compile, bin/release) under `root`, named `name`, whose compile runs `compile`. */
export function classicBuildpack(root: string, name: string, compile: string): string {
  const dir = join(root, `${name.toLowerCase()}-buildpack`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const scripts: Record<string, string> = {
    detect: `#!/usr/bin/env bash\necho ${name}\n`,
    compile: `#!/usr/bin/env bash\n${compile}\n`,
    release: '#!/usr/bin/env bash\necho "--- {}"\n',
  };
  for (const [file, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, 'bin', file), body);
    chmodSync(join(dir, 'bin', file), 0o755);
  }
  return dir;
}
