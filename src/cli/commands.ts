// The thin `berth` commands for people without the heroku CLI: each is a few Platform API calls with the local key,
// printing what the heroku CLI prints for the same command where that is short.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { loadSettings, type Settings } from '../settings.js';
import { ApiClient, type AppInfo } from './client.js';
import { appOfGitUrl, configureRemote, credentialsCommand, DEFAULT_REMOTE, gitRemoteCommand, inGitRepo } from './git-remote.js';

const exec = promisify(execFile);
const HEX = '⬢';

/** `-a`, else BERTH_APP or HEROKU_APP, else the app of a git remote on one of Berth's git hosts (`local` first). */
export async function resolveApp(settings: Settings, option: string | undefined, cwd: string = process.cwd()): Promise<string> {
  const fromEnv = option ?? process.env['BERTH_APP'] ?? process.env['HEROKU_APP'];
  if (fromEnv) return fromEnv;
  let remotes: Array<[string, string]> = [];
  try {
    const { stdout } = await exec('git', ['remote', '-v'], { cwd });
    remotes = stdout
      .split('\n')
      .map((line) => line.split(/\s+/))
      .filter((parts): parts is [string, string, ...string[]] => parts.length >= 2 && parts[0] !== undefined && parts[1] !== undefined)
      .map(([name, url]) => [name, url]);
  } catch {
    // not a git repo
  }
  const apps = remotes
    .sort(([a], [b]) => (a === DEFAULT_REMOTE ? -1 : b === DEFAULT_REMOTE ? 1 : 0))
    .map(([, url]) => appOfGitUrl(settings, url))
    .filter((name): name is string => name !== undefined);
  const [first] = apps;
  if (first) return first;
  throw new Error('Missing required flag app: pass -a <app>, or run this inside a git repo with a Berth remote.');
}

interface ReleaseInfo {
  readonly version: number;
}

async function latestRelease(client: ApiClient, app: string): Promise<number | undefined> {
  const releases = await client.request<ReleaseInfo[]>(`/apps/${encodeURIComponent(app)}/releases`, {
    headers: { range: 'version ..; order=desc, max=1' },
  });
  return releases[0]?.version;
}

interface DynoInfo {
  readonly name: string;
  readonly type: string;
  readonly command: string;
  readonly size: string;
  readonly state: string;
  readonly updated_at: string;
}

function age(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}

/** `heroku ps` style: a header per process type, then one line per dyno. */
export function formatPs(dynos: readonly DynoInfo[], now: number = Date.now()): string {
  if (dynos.length === 0) return 'No dynos on this app';
  const lines: string[] = [];
  const types = [...new Set(dynos.map((d) => d.type))].sort((a, b) => (a === 'web' ? -1 : b === 'web' ? 1 : a.localeCompare(b)));
  for (const type of types) {
    const group = dynos.filter((d) => d.type === type).sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    const first = group[0];
    if (!first) continue;
    if (lines.length > 0) lines.push('');
    lines.push(`=== ${type} (${first.size}): ${first.command} (${group.length})`);
    lines.push('');
    for (const dyno of group) lines.push(`${dyno.name}: ${dyno.state} ${dyno.updated_at.replace('T', ' ').replace(/Z$/, '')} (~ ${age(dyno.updated_at, now)} ago)`);
  }
  return lines.join('\n');
}

/** `KEY=value` arguments; the value may contain `=`. */
export function parseConfigArgs(args: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new Error(`${arg} is invalid. Must be in the format FOO=bar.`);
    vars[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  if (Object.keys(vars).length === 0) throw new Error('Usage: berth config:set KEY1=VALUE1 [KEY2=VALUE2 ...] -a <app>');
  return vars;
}

/**
 * Log sessions stream Server-Sent Events (what heroku CLI v11 reads); the lines are the `data:` fields. A plain-text
 * stream (no `data:` fields at all) passes through as it is.
 */
export function sseDataWriter(out: { write(text: string): unknown }): { write(chunk: Uint8Array | string): boolean } {
  let pending = '';
  let sse: boolean | undefined;
  return {
    write(chunk) {
      pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.replace(/\r$/, '');
        if (sse === undefined && line !== '') sse = /^(data|id|event|retry):|^:/.test(line);
        if (sse === false) out.write(`${line}\n`);
        else if (line.startsWith('data:')) out.write(`${line.slice(line.startsWith('data: ') ? 6 : 5)}\n`);
      }
      return true;
    },
  };
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function status(text: string): void {
  process.stderr.write(text);
}

export function registerGitCommands(program: Command): void {
  program
    .command('git:remote')
    .description('add (or update) a git remote for an app, trusted and with credentials for that URL only, so `git push local main` deploys')
    .requiredOption('-a, --app <app>', 'app to point the remote at')
    .option('-r, --remote <name>', 'name of the git remote', DEFAULT_REMOTE)
    .action(async (options: { app: string; remote: string }) => {
      const settings = loadSettings();
      print(await gitRemoteCommand(settings, await ApiClient.fromSettings(settings), options.app, options.remote, process.cwd()));
    });

  program
    .command('git:credentials')
    .description("git credential helper for Berth's git host (git runs it; prints username and the API key)")
    .argument('[operation]', 'get, store or erase (git passes it)', 'get')
    .option('--host <host>', "the git host it answers for (default: this Berth's)")
    .action(async (operation: string, options: { host?: string }) => {
      const chunks: Buffer[] = [];
      if (!process.stdin.isTTY) for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      process.stdout.write(await credentialsCommand(loadSettings(), operation, Buffer.concat(chunks).toString('utf8'), options.host));
    });
}

export function registerClientCommands(program: Command): void {
  program
    .command('apps:create')
    .description('create an app (and, inside a git repo, its `local` remote)')
    .argument('[name]', 'app name (a generated one when omitted)')
    .option('-r, --remote <name>', 'git remote to add when run inside a git repo', DEFAULT_REMOTE)
    .option('--no-remote', 'do not add a git remote')
    .action(async (name: string | undefined, options: { remote: string | false }) => {
      const settings = loadSettings();
      const client = await ApiClient.fromSettings(settings);
      status(`Creating ${name ? `${HEX} ${name}` : 'app'}... `);
      const app = await client.request<AppInfo>('/apps', { method: 'POST', body: name ? { name } : {} });
      status(name ? 'done\n' : `done, ${HEX} ${app.name}\n`);
      let gitUrl = app.git_url;
      if (options.remote !== false && (await inGitRepo(process.cwd()))) gitUrl = await configureRemote(settings, app.name, options.remote, process.cwd());
      print(`${app.web_url} | ${gitUrl}`);
    });

  program
    .command('open')
    .description("print the app's URL (open it in a browser)")
    .option('-a, --app <app>', 'app name')
    .action(async (options: { app?: string }) => {
      const settings = loadSettings();
      const app = await (await ApiClient.fromSettings(settings)).request<AppInfo>(`/apps/${encodeURIComponent(await resolveApp(settings, options.app))}`);
      print(app.web_url);
    });

  program
    .command('logs')
    .description("show the app's logs (--tail to follow)")
    .option('-a, --app <app>', 'app name')
    .option('-n, --num <lines>', 'number of lines to show', '100')
    .option('-t, --tail', 'keep streaming new lines')
    .option('-s, --source <source>', 'only lines from this source (app, heroku)')
    .option('-d, --dyno <dyno>', 'only lines from this dyno or process type (web, web.1)')
    .action(async (options: { app?: string; num: string; tail?: boolean; source?: string; dyno?: string }) => {
      const settings = loadSettings();
      const client = await ApiClient.fromSettings(settings);
      const app = await resolveApp(settings, options.app);
      const session = await client.request<{ logplex_url: string }>(`/apps/${encodeURIComponent(app)}/log-sessions`, {
        method: 'POST',
        body: { lines: Number(options.num), tail: options.tail === true, source: options.source, dyno: options.dyno },
      });
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      await client.stream(session.logplex_url, sseDataWriter(process.stdout), abort.signal).catch((error: unknown) => {
        if (!abort.signal.aborted) throw error;
      });
    });

  program
    .command('ps')
    .description("list the app's dynos")
    .option('-a, --app <app>', 'app name')
    .action(async (options: { app?: string }) => {
      const settings = loadSettings();
      const app = await resolveApp(settings, options.app);
      const dynos = await (await ApiClient.fromSettings(settings)).request<DynoInfo[]>(`/apps/${encodeURIComponent(app)}/dynos`);
      print(formatPs(dynos));
    });

  program
    .command('config:set')
    .description('set config vars (restarts the app onto a new release)')
    .argument('<vars...>', 'KEY=value pairs')
    .option('-a, --app <app>', 'app name')
    .action(async (args: string[], options: { app?: string }) => {
      const settings = loadSettings();
      const client = await ApiClient.fromSettings(settings);
      const app = await resolveApp(settings, options.app);
      const vars = parseConfigArgs(args);
      const names = Object.keys(vars);
      status(`Setting ${names.join(', ')} and restarting ${HEX} ${app}... `);
      const config = await client.request<Record<string, string | null>>(`/apps/${encodeURIComponent(app)}/config-vars`, { method: 'PATCH', body: vars });
      const version = await latestRelease(client, app);
      status(version === undefined ? 'done\n' : `done, v${version}\n`);
      for (const name of names) print(`${name}: ${config[name] ?? ''}`);
    });
}
