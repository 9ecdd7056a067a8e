// `berth git:remote` and `berth git:credentials`: a git remote that works with no prompt, whatever the user's TLS setup.
// The remote is the API's plain-HTTP listener on loopback (`http://127.0.0.1:5100/<app>.git`, which serves smart HTTP
// as the https git host does): no certificate to verify, so a `GIT_SSL_CAINFO` pointing at another bundle (common on
// corporate machines) cannot break the push, and nothing leaves the machine. The credential helper is set for that
// URL only, as the heroku CLI scopes `heroku git:credentials` to its git host (reference: heroku-cli-and-api.md §2).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureApiKey } from '../credentials.js';
import { apiUrl, gitHost, type Settings } from '../settings.js';
import type { ApiClient, AppInfo } from './client.js';

const exec = promisify(execFile);

export const DEFAULT_REMOTE = 'local';

/** The URL `berth git:remote` writes: the API's loopback HTTP listener. */
export function gitUrl(settings: Settings, app: string): string {
  return `${apiUrl(settings)}/${app}.git`;
}

/** `host:port` of the remote's URL, what git sends the credential helper as `host`. */
function remoteHost(settings: Settings): string {
  return new URL(apiUrl(settings)).host;
}

/** The app a URL of Berth's names: the remote `berth git:remote` writes, or the heroku CLI's https one. */
export function appOfGitUrl(settings: Settings, url: string): string | undefined {
  for (const prefix of [`${apiUrl(settings)}/`, `https://${gitHost(settings)}/`]) {
    if (!url.startsWith(prefix) || !url.endsWith('.git')) continue;
    const name = url.slice(prefix.length, -'.git'.length);
    if (name !== '' && !name.includes('/')) return name;
  }
  return undefined;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The helper line: absolute node and CLI paths plus the data dir, so it works from any shell, PATH or not. */
export function credentialHelper(settings: Settings, script: string = fileURLToPath(new URL('./credential-helper.js', import.meta.url))): string {
  return `!BERTH_DATA=${shellQuote(settings.dataDir)} ${shellQuote(process.execPath)} ${shellQuote(script)} --host ${shellQuote(remoteHost(settings))}`;
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

/** Adds or updates the remote and scopes the credential helper to its URL, in the repo's own config. */
export async function configureRemote(settings: Settings, app: string, remote: string, cwd: string): Promise<string> {
  if (!(await inGitRepo(cwd))) throw new Error('Not a git repository: run this inside your app\'s git checkout (or `git init` first).');
  const url = gitUrl(settings, app);
  const existing = await git(['remote', 'get-url', remote], cwd).catch(() => undefined);
  if (existing === undefined) await git(['remote', 'add', remote, url], cwd);
  else if (existing !== url) await git(['remote', 'set-url', remote, url], cwd);
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

/**
 * `get` answers with the API key for Berth's git hosts: the one `host` names (the helper line passes the remote's, so it
 * works whatever BERTH_* settings the shell running git has), else the remote's loopback http host and the heroku CLI's
 * https one. `store` and `erase` do nothing, as the heroku CLI's.
 */
export async function credentialsCommand(settings: Settings, operation: string, input: string, host?: string): Promise<string> {
  if (operation !== 'get') return '';
  const request = parseCredentialRequest(input);
  const ours = host === undefined ? [`http://${remoteHost(settings)}`, `https://${gitHost(settings)}`] : [`http://${host}`, `https://${host}`];
  if (!ours.includes(`${request['protocol']}://${request['host']}`)) return '';
  const key = await ensureApiKey(settings.dataDir);
  return `username=berth\npassword=${key}\n`;
}
