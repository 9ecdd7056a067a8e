// `berth container:push` and `berth container:release`: what `heroku container:push`/`container:release` do, for a
// Berth the heroku CLI cannot reach for them (it builds the registry host as `registry.<HEROKU_HOST>`, which a local
// `https://127.0.0.1:5101` cannot be). The Dockerfiles are found as the heroku CLI finds them (lib/container/
// docker-helper.js): `./Dockerfile` for one process type, or each `Dockerfile.<type>` below the directory with
// `--recursive`, the nearest first. Each one's build context (its directory, or `--context-path`) goes up as a source
// blob and is built on Berth's engine through the Build API (`container_push`), offline by the same FROM rules as
// heroku.yml builds; nothing is released. `container:release` reads each type's newest image id where the heroku CLI
// reads the registry (`GET /v2/<app>/<type>/manifests/latest`) and sends what the heroku CLI sends:
// `PATCH /apps/<app>/formation` `{updates: [{type, docker_image}]}` (variant `3.docker-releases`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createGzip } from 'node:zlib';
import type { Command } from 'commander';
import ignore from 'ignore';
import { pack } from 'tar-fs';
import { loadSettings } from '../settings.js';
import { ApiClient } from './client.js';
import { resolveApp } from './commands.js';

interface Out {
  write(text: string): unknown;
}

/** One Dockerfile to build, as the heroku CLI's getJobs makes them. */
interface PushJob {
  readonly type: string;
  /** Absolute. */
  readonly dockerfile: string;
}

const DOCKERFILE = /\bDockerfile(.\w*)?$/;

/** Every file under `dir` (dot directories skipped, as glob skips them), as paths relative to `dir`. */
function walk(dir: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory() && !entry.name.startsWith('.')) found.push(...walk(dir, rel));
    else if (entry.isFile()) found.push(rel);
  }
  return found;
}

/**
 * The Dockerfiles of a push, grouped by process type, nearest first and `Dockerfile` before `Dockerfile.<type>`:
 * without `recursive` only `./Dockerfile` (type `standard`, which the one type named replaces); with it each
 * `Dockerfile.<type>` below `cwd`.
 */
export function findDockerfiles(cwd: string, recursive: boolean): Map<string, string[]> {
  const names = recursive
    ? walk(cwd).filter((file) => /(^|\/)Dockerfile\.\w+$/.test(file))
    : readdirSync(cwd).filter((file) => file === 'Dockerfile' && statSync(join(cwd, file)).isFile());
  const jobs = names
    .map((file) => ({ file, match: DOCKERFILE.exec(file) }))
    .filter((job): job is { file: string; match: RegExpExecArray } => job.match !== null)
    .map(({ file, match }) => ({
      type: (match[1] ?? '.standard').slice(1),
      dockerfile: join(cwd, file),
      depth: file.split('/').length,
      postfix: file.endsWith('/Dockerfile') || file === 'Dockerfile' ? 0 : 1,
    }))
    .sort((a, b) => a.depth - b.depth || a.postfix - b.postfix);
  const grouped = new Map<string, string[]>();
  for (const job of jobs) grouped.set(job.type, [...(grouped.get(job.type) ?? []), job.dockerfile]);
  return grouped;
}

/** Which Dockerfiles to build for the types named (heroku CLI: selectJobs); the nearest of several wins, said once. */
export function selectJobs(found: ReadonlyMap<string, readonly string[]>, types: readonly string[], recursive: boolean, warn: (text: string) => void): PushJob[] {
  if (types.length === 0 && !recursive) throw new Error('Requires either --recursive or one or more process types');
  if (types.length > 1 && !recursive) throw new Error('Requires exactly one target process type, or --recursive option');
  if (!recursive) {
    const [standard] = found.get('standard') ?? [];
    return standard === undefined ? [] : [{ type: types[0] as string, dockerfile: standard }];
  }
  const jobs: PushJob[] = [];
  for (const type of types.length > 0 ? types : [...found.keys()]) {
    const [nearest, ...others] = found.get(type) ?? [];
    if (nearest === undefined) {
      warn(`Dockerfile.${type} not found`);
      continue;
    }
    if (others.length > 0) warn(`Found multiple Dockerfiles with process type ${type}: pushing ${nearest}`);
    jobs.push({ type, dockerfile: nearest });
  }
  return jobs;
}

/** `--arg ENV=live,HTTPS=on` as build args (split on `,`, as the heroku CLI does). */
export function buildArgs(arg: string | undefined): Record<string, string> {
  const args: Record<string, string> = {};
  for (const pair of (arg ?? '').split(',')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--arg ${pair} is invalid. Must be in the format NAME=value.`);
    args[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return args;
}

/** The context directory as a gzipped tarball, without what its `.dockerignore` names (the Dockerfile always goes). */
async function contextTarball(dir: string, dockerfile: string): Promise<Buffer> {
  const rules = (() => {
    try {
      return readFileSync(join(dir, '.dockerignore'), 'utf8');
    } catch {
      return '';
    }
  })();
  const ignored = ignore().add(rules);
  const tar = pack(dir, {
    ignore: (name: string) => {
      const path = relative(dir, name).split(sep).join('/');
      return path !== '' && path !== dockerfile && path !== '.dockerignore' && ignored.ignores(path);
    },
  }) as unknown as Readable;
  return buffer(tar.pipe(createGzip()));
}

interface AppJson {
  readonly name: string;
  readonly stack: { readonly name: string } | null;
  readonly build_stack: { readonly name: string } | null;
}

/** The heroku CLI's ensureContainerStack for push and release. */
async function ensureContainerStack(client: ApiClient, app: string): Promise<void> {
  const info = await client.request<AppJson>(`/apps/${encodeURIComponent(app)}`);
  if (info.build_stack?.name === 'container' || info.stack?.name === 'container') return;
  throw new Error(
    `This command is for Docker apps only. Switch stacks by running heroku stack:set container. Or, to deploy ⬢ ${info.name} with ${info.stack?.name ?? ''}, run git push heroku main instead.`,
  );
}

interface BuildJson {
  readonly id: string;
  readonly status: string;
  readonly output_stream_url: string;
}

interface PushOptions {
  readonly app: string;
  readonly types: readonly string[];
  readonly recursive: boolean;
  readonly arg?: string | undefined;
  readonly contextPath?: string | undefined;
  readonly cwd: string;
  readonly out: Out;
  readonly err: Out;
}

/** Builds each Dockerfile on Berth's engine, streaming the build's output; throws when one fails. */
async function containerPush(client: ApiClient, options: PushOptions): Promise<void> {
  const { app, out } = options;
  const args = buildArgs(options.arg);
  await ensureContainerStack(client, app);
  const jobs = selectJobs(findDockerfiles(options.cwd, options.recursive), options.types, options.recursive, (text) => options.err.write(` ›   Warning: ${text}\n`));
  if (jobs.length === 0) throw new Error('No images to push');
  for (const job of jobs) {
    const context = options.contextPath === undefined ? dirname(job.dockerfile) : resolve(options.cwd, options.contextPath);
    const dockerfile = relative(context, job.dockerfile).split(sep).join('/');
    if (dockerfile.startsWith('../')) throw new Error(`${job.dockerfile} is outside the build context ${context}: Berth sends only the context, so the Dockerfile must be in it.`);
    const blob = await client.request<{ source_blob: { get_url: string; put_url: string } }>('/sources', { method: 'POST' });
    const upload = await fetch(blob.source_blob.put_url, { method: 'PUT', body: await contextTarball(context, dockerfile) });
    if (!upload.ok) throw new Error(`uploading the build context answered ${upload.status}`);
    const build = await client.request<BuildJson>(`/apps/${encodeURIComponent(app)}/builds`, {
      method: 'POST',
      body: { source_blob: { url: blob.source_blob.get_url }, container_push: { type: job.type, dockerfile, build_args: args } },
    });
    await client.stream(build.output_stream_url, { write: (chunk) => out.write(Buffer.from(chunk).toString('utf8')) });
    let finished = await client.request<BuildJson>(`/apps/${encodeURIComponent(app)}/builds/${build.id}`);
    while (finished.status === 'pending') {
      await new Promise((done) => setTimeout(done, 100));
      finished = await client.request<BuildJson>(`/apps/${encodeURIComponent(app)}/builds/${build.id}`);
    }
    if (finished.status !== 'succeeded') throw new Error(`The build of ${job.type} (${job.dockerfile}) failed; nothing was pushed for it.`);
  }
  const plural = jobs.length !== 1;
  out.write(`Your image${plural ? 's have' : ' has'} been successfully pushed. You can now release ${plural ? 'them' : 'it'} with the 'container:release' command.\n`);
}

interface ReleaseJson {
  readonly id: string;
  readonly version: number;
  readonly status: string;
  readonly output_stream_url: string | null;
}

async function newestRelease(client: ApiClient, app: string): Promise<ReleaseJson | undefined> {
  const releases = await client.request<ReleaseJson[]>(`/apps/${encodeURIComponent(app)}/releases`, { headers: { range: 'version ..; max=1, order=desc' } });
  return releases[0];
}

/** `heroku container:release`'s sequence against Berth; throws `Error: release command failed` as it does. */
async function containerRelease(client: ApiClient, options: { app: string; types: readonly string[]; out: Out; err: Out }): Promise<void> {
  const { app, types, out, err } = options;
  if (types.length === 0) throw new Error('Error: Requires one or more process types');
  await ensureContainerStack(client, app);
  const updates: Array<{ type: string; docker_image: string }> = [];
  for (const type of types) {
    const manifest = await client.request<{ config: { digest: string } }>(`/v2/${encodeURIComponent(app)}/${encodeURIComponent(type)}/manifests/latest`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    updates.push({ type, docker_image: manifest.config.digest });
  }
  const before = await newestRelease(client, app);
  err.write(`Releasing images ${types.join(',')} to ${app}... `);
  await client
    .request(`/apps/${encodeURIComponent(app)}/formation`, {
      method: 'PATCH',
      body: { updates },
      headers: { accept: 'application/vnd.heroku+json; version=3.docker-releases' },
    })
    .catch((error: unknown) => {
      // The heroku CLI's spinner ends with `!` before the error.
      err.write('!\n');
      throw error;
    });
  err.write('done\n');
  const release = await newestRelease(client, app);
  if (release === undefined || release.id === before?.id) return;
  if (release.status === 'failed') throw new Error('Error: release command failed');
  if (release.status === 'pending' && release.output_stream_url !== null) {
    out.write('Running release command...\n');
    await client.stream(release.output_stream_url, { write: (chunk) => out.write(Buffer.from(chunk).toString('utf8')) });
    const finished = await client.request<ReleaseJson>(`/apps/${encodeURIComponent(app)}/releases/${release.id}`);
    if (finished.status === 'failed') throw new Error('Error: release command failed');
  }
}

export function registerContainerCommands(program: Command): void {
  program
    .command('container:push')
    .description("build Dockerfiles on Berth's engine as images of process types (release them with container:release)")
    .argument('[types...]', 'process types (with ./Dockerfile: exactly one)')
    .option('-a, --app <app>', 'app name')
    .option('-R, --recursive', 'push Dockerfile.<type> found in the directory and below')
    .option('--arg <args>', 'build-time variables: NAME=value,NAME2=value2')
    .option('--context-path <path>', 'path to use as build context (default: the Dockerfile directory)')
    .action(async (types: string[], options: { app?: string; recursive?: boolean; arg?: string; contextPath?: string }) => {
      const settings = loadSettings();
      await containerPush(await ApiClient.fromSettings(settings), {
        app: await resolveApp(settings, options.app),
        types,
        recursive: options.recursive === true,
        arg: options.arg,
        contextPath: options.contextPath,
        cwd: process.cwd(),
        out: process.stdout,
        err: process.stderr,
      });
    });

  program
    .command('container:release')
    .description('release the images last pushed (or built) for process types')
    .argument('[types...]', 'process types to release')
    .option('-a, --app <app>', 'app name')
    .action(async (types: string[], options: { app?: string }) => {
      const settings = loadSettings();
      await containerRelease(await ApiClient.fromSettings(settings), { app: await resolveApp(settings, options.app), types, out: process.stdout, err: process.stderr });
    });
}
