// `berth git:remote` and `berth git:credentials`: a git remote on Berth's https git host that works with no prompt.
// The local CA is trusted for that URL only (`http.<url>.sslCAInfo`) and a credential helper is set for that URL
// only, as the heroku CLI scopes `heroku git:credentials` to its git host (reference: heroku-cli-and-api.md §2).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureApiKey } from '../credentials.js';
import { gitHost, type Settings } from '../settings.js';
import type { ApiClient, AppInfo } from './client.js';

const exec = promisify(execFile);

export const DEFAULT_REMOTE = 'local';

export function gitUrl(settings: Settings, app: string): string {
  return `https://${gitHost(settings)}/${app}.git`;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The helper line: absolute node and CLI paths plus the data dir, so it works from any shell, PATH or not. */
export function credentialHelper(settings: Settings, script: string = fileURLToPath(new URL('./credential-helper.js', import.meta.url))): string {
  return `!BERTH_DATA=${shellQuote(settings.dataDir)} ${shellQuote(process.execPath)} ${shellQuote(script)} --host ${shellQuote(gitHost(settings))}`;
}

async function git(args: readonly string[], cwd: string): Promise<string> {
  const { stdout } = await exec('git', [...args], { cwd });
  return stdout.trim();
}

export async function inGitRepo(cwd: string): Promise<boolean> {
  try {
    return (await git(['rev-parse', '--is-inside-work-tree'], cwd)) === 'true';
  } catch {
    return false;
  }
}

/** Adds or updates the remote and scopes the CA and credentials to its URL, in the repo's own config. */
export async function configureRemote(settings: Settings, app: string, remote: string, cwd: string): Promise<string> {
  if (!(await inGitRepo(cwd))) throw new Error('Not a git repository: run this inside your app\'s git checkout (or `git init` first).');
  const url = gitUrl(settings, app);
  const existing = await git(['remote', 'get-url', remote], cwd).catch(() => undefined);
  if (existing === undefined) await git(['remote', 'add', remote, url], cwd);
  else if (existing !== url) await git(['remote', 'set-url', remote, url], cwd);
  // Imported here so the credential helper, which shares this module, starts without the TLS code.
  const { ensureCa } = await import('../tls/index.js');
  await ensureCa(settings.dataDir);
  await git(['config', `http.${url}.sslCAInfo`, join(settings.dataDir, 'tls', 'ca.pem')], cwd);
  await git(['config', `credential.${url}.helper`, credentialHelper(settings)], cwd);
  return url;
}

export async function gitRemoteCommand(settings: Settings, client: ApiClient, app: string, remote: string, cwd: string): Promise<string> {
  const info = await client.request<AppInfo>(`/apps/${encodeURIComponent(app)}`);
  const url = await configureRemote(settings, info.name, remote, cwd);
  return `set git remote ${remote} to ${url}`;
}

/** Parses git's credential protocol (`key=value` lines up to a blank line). */
export function parseCredentialRequest(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    fields[line.slice(0, eq)] = line.slice(eq + 1).replace(/\r$/, '');
  }
  return fields;
}

/** `get` answers with the API key for Berth's https git host; `store` and `erase` do nothing, as the heroku CLI's. */
export async function credentialsCommand(settings: Settings, operation: string, input: string, host: string = gitHost(settings)): Promise<string> {
  if (operation !== 'get') return '';
  const request = parseCredentialRequest(input);
  if (request['protocol'] !== 'https') return '';
  if (request['host'] !== undefined && request['host'] !== host) return '';
  const key = await ensureApiKey(settings.dataDir);
  return `username=berth\npassword=${key}\n`;
}
