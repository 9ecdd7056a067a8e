// Deploying to a test's Berth the two ways Heroku offers: a source tarball through the Build API (what `heroku
// builds:create` and deploy tools do), and `git push` over HTTPS (what a developer does).
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ensureApp, type Api } from './api.js';

const exec = promisify(execFile);

export interface Build {
  readonly id: string;
  readonly status: 'pending' | 'succeeded' | 'failed';
  readonly output_stream_url: string;
  readonly release: { readonly id: string } | null;
  readonly slug: { readonly id: string } | null;
}

export interface Release {
  readonly id: string;
  readonly version: number;
  readonly description: string;
  readonly status: string;
  readonly current: boolean;
  readonly slug: { readonly id: string } | null;
  readonly output_stream_url: string | null;
}

export interface DeployResult {
  /** The build as the API shows it once it ended. */
  readonly build: Build;
  /** The release the build made; undefined when the build failed (the app keeps serving its previous release). */
  readonly release: Release | undefined;
  /** Heroku's build output, as `heroku builds:create` streams it. */
  readonly output: string;
}

export interface PushResult {
  /** git's exit code: 0 when the push (build and release) succeeded. */
  readonly code: number;
  /** What git printed, `remote:` lines and all. */
  readonly output: string;
  /** The app's current release after the push. */
  readonly release: Release | undefined;
}

async function tarball(source: string | Uint8Array): Promise<Uint8Array> {
  if (typeof source !== 'string') return source;
  if ((await stat(source)).isFile()) return readFile(source);
  // A directory: its files as a source tarball, without the git metadata Heroku never sees either.
  const { stdout } = await exec('tar', ['-czf', '-', '--exclude=./.git', '-C', source, '.'], { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 });
  return stdout;
}

async function currentRelease(api: Api, app: string): Promise<Release | undefined> {
  const releases = await api.request<Release[]>('GET', `/apps/${encodeURIComponent(app)}/releases`, undefined, { range: 'version ..; order=desc, max=1' });
  return releases[0];
}

/** Uploads `source` (a directory, a .tgz path or its bytes), builds it, and resolves once the build ended. */
export async function deploy(api: Api, source: string | Uint8Array, app: string): Promise<DeployResult> {
  await ensureApp(api, app);
  const blob = await api.request<{ source_blob: { get_url: string; put_url: string } }>('POST', '/sources');
  const upload = await fetch(blob.source_blob.put_url, { method: 'PUT', body: await tarball(source) });
  if (!upload.ok) throw new Error(`uploading the source answered ${upload.status}: ${await upload.text()}`);
  const created = await api.request<Build>('POST', `/apps/${encodeURIComponent(app)}/builds`, { source_blob: { url: blob.source_blob.get_url } });
  // The stream ends when the build does (release phase included).
  const output = await (await fetch(created.output_stream_url)).text();
  let build = await api.request<Build>('GET', `/apps/${encodeURIComponent(app)}/builds/${created.id}`);
  while (build.status === 'pending') {
    await new Promise((resolve) => setTimeout(resolve, 100));
    build = await api.request<Build>('GET', `/apps/${encodeURIComponent(app)}/builds/${created.id}`);
  }
  const release =
    build.release === null ? undefined : await api.request<Release>('GET', `/apps/${encodeURIComponent(app)}/releases/${build.release.id}`);
  return { build, release, output };
}

export interface GitTarget {
  readonly gitHost: string;
  readonly apiKey: string;
  /** The CA bundle git must trust for the HTTPS git host. */
  readonly caBundle: string;
}

/** `git push` of `branch` (default: what is checked out) of the repo in `dir` to the app's `main`. */
export async function push(api: Api, target: GitTarget, dir: string, app: string, branch = 'HEAD'): Promise<PushResult> {
  await ensureApp(api, app);
  const auth = Buffer.from(`heroku:${target.apiKey}`).toString('base64');
  const url = `https://${target.gitHost}/${encodeURIComponent(app)}.git`;
  const args = ['-c', `http.extraHeader=Authorization: Basic ${auth}`, 'push', url, `${branch}:refs/heads/main`];
  // GIT_SSL_CAINFO wins over any http.sslCAInfo, and CI hosts often set it to the system bundle.
  const env = { ...process.env, GIT_SSL_CAINFO: target.caBundle, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };
  let code = 0;
  let output = '';
  try {
    const result = await exec('git', args, { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
    output = result.stdout + result.stderr;
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    code = failed.code;
    output = (failed.stdout ?? '') + (failed.stderr ?? '');
  }
  return { code, output, release: await currentRelease(api, app) };
}
