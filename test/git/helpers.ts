// Helpers for tests that push with the real git to a real daemon (test/support/daemon.ts).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { gitRepoOf } from '../support/git-repo.js';

export interface GitResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stderr lines with git's sideband padding (trailing spaces) removed. */
  readonly lines: string[];
  readonly ms: number;
}

export function runGit(args: readonly string[], env: CliEnv, cwd: string, timeoutMs = 240_000): Promise<GitResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`git ${args.join(' ')} timed out\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stderr.split('\n').map((line) => line.replace(/\s+$/, ''));
      resolve({ code, stdout, stderr, lines, ms: performance.now() - started });
    });
  });
}

export async function git(args: readonly string[], env: CliEnv, cwd: string): Promise<string> {
  const result = await runGit(args, env, cwd);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
  return result.stdout.trim();
}

/** A git repo holding a copy of a fixture, one commit on `main`. */
export async function fixtureRepo(daemon: TestDaemon, fixture: string, env: CliEnv): Promise<string> {
  const dir = mkdtempSync(join(daemon.rootDir, `repo-${fixture.replaceAll('/', '-')}-`));
  cpSync(join(REPO_ROOT, 'fixtures', fixture), dir, { recursive: true });
  gitRepoOf(dir, { env, message: `${fixture} fixture` });
  return dir;
}

/** `https://127.0.0.1:<tls port>/<app>.git` */
export function httpsGitUrl(daemon: TestDaemon, app: string, key?: string): string {
  const auth = key === undefined ? '' : `berth:${key}@`;
  return `https://${auth}127.0.0.1:${daemon.ports.apiTls}/${app}.git`;
}

/** git options that trust the daemon's CA for its git host only. */
export function trustArgs(daemon: TestDaemon): string[] {
  return ['-c', `http.https://127.0.0.1:${daemon.ports.apiTls}/.sslCAInfo=${join(daemon.dataDir, 'tls', 'ca.pem')}`];
}

/** The Platform API with the daemon's key. */
export async function api<T>(daemon: TestDaemon, path: string, init: { method?: string; body?: unknown; range?: string } = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${daemon.apiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${daemon.apiKey}`,
      accept: 'application/vnd.heroku+json; version=3',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.range === undefined ? {} : { range: init.range }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export interface ReleaseBody {
  readonly version: number;
  readonly description: string;
  readonly status: string;
}

export async function releases(daemon: TestDaemon, app: string): Promise<ReleaseBody[]> {
  const { status, body } = await api<ReleaseBody[]>(daemon, `/apps/${app}/releases`, { range: 'version ..; order=asc, max=1000' });
  if (status !== 200 && status !== 206) throw new Error(`releases of ${app}: ${status}`);
  return body;
}

/** The `remote:` lines of a push, without the prefix. */
export function remoteLines(result: GitResult): string[] {
  return result.lines.filter((line) => line.startsWith('remote:')).map((line) => line.replace(/^remote: ?/, ''));
}

/** Asserts that `expected` lines appear in `lines` in this order (other lines may come between). */
export function inOrder(lines: readonly string[], expected: readonly string[]): string | undefined {
  let at = 0;
  for (const want of expected) {
    const found = lines.indexOf(want, at);
    if (found === -1) return `missing (in order) ${JSON.stringify(want)} after line ${at}:\n${lines.join('\n')}`;
    at = found + 1;
  }
  return undefined;
}
