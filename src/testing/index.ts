// `berth/testing`: a throwaway Berth for a test suite. `startBerth()` runs `berth up --ephemeral` (its own temp data
// dir, free loopback ports, the `fast` timing preset) on the machine's engine and stack images, and hands back what a
// test needs: the API URL and key, the `berth env` variables, a configured heroku-client, the router, deploys by
// tarball and by git, dyno-state waits, logs. `stop()`, or the test process ending in any way, removes everything.
import { createRequire } from 'node:module';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import { apiOf } from './api.js';
import { deploy, push, type DeployResult, type PushResult } from './deploy.js';
import { spawnEphemeral, type Timing } from './ephemeral.js';

export { BerthApiError } from './api.js';
export type { Build, DeployResult, PushResult, Release } from './deploy.js';
export type { Timing } from './ephemeral.js';

export interface StartBerthOptions {
  /** `fast` (default): short boot timeout, SIGTERM grace, crash cool-off and sampling; `heroku`: Heroku's values. */
  readonly timing?: Timing;
  /** Any BERTH_* setting (README "Settings"), e.g. `{ BERTH_BOOT_TIMEOUT: 30 }`; wins over the timing preset. */
  readonly settings?: Readonly<Record<string, string | number>>;
  /** How long to wait for the Berth to answer (default 60 s; it takes about a second). */
  readonly readyTimeoutMs?: number;
}

/** The part of heroku-client@3 a test uses (the package ships no types). */
export interface HerokuClient {
  get<T = unknown>(path: string, options?: Readonly<Record<string, unknown>>): Promise<T>;
  post<T = unknown>(path: string, options?: Readonly<Record<string, unknown>>): Promise<T>;
  patch<T = unknown>(path: string, options?: Readonly<Record<string, unknown>>): Promise<T>;
  put<T = unknown>(path: string, options?: Readonly<Record<string, unknown>>): Promise<T>;
  delete<T = unknown>(path: string, options?: Readonly<Record<string, unknown>>): Promise<T>;
  request<T = unknown>(options: Readonly<Record<string, unknown>> & { readonly path: string; readonly method?: string }): Promise<T>;
}

export interface Dyno {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly state: string;
  readonly command: string;
  readonly size: string;
  readonly release: { readonly id: string; readonly version: number };
  readonly updated_at: string;
}

export interface WaitOptions {
  readonly timeoutMs?: number;
}

export interface LogFilter {
  /** Only lines of this source: `app`, `heroku`, `router`... */
  readonly source?: string;
  /** Only lines of this dyno or process type: `web`, `web.1`, `router`, `api`. */
  readonly dyno?: string;
  /** Only lines containing this text, or matching this pattern. */
  readonly match?: string | RegExp;
}

export interface Berth {
  /** `http://127.0.0.1:<port>`: the Platform API v3 (HTTPS and git: `apiTlsUrl`). */
  readonly apiUrl: string;
  readonly apiTlsUrl: string;
  /** `127.0.0.1:<port>`: HEROKU_GIT_HOST. */
  readonly gitHost: string;
  readonly apiKey: string;
  readonly ports: { readonly api: number; readonly apiTls: number; readonly rendezvous: number; readonly router: number; readonly routerTls: number };
  /** The daemon's process id (`berth up --ephemeral`). */
  readonly pid: number;
  /** The temp data dir (removed by stop()). */
  readonly dataDir: string;
  /** The `berth env` variables: pass them to a child process running the real `heroku` CLI or a deploy tool. */
  readonly env: Readonly<Record<string, string>>;
  /** heroku-client configured for this Berth (an optional peer dependency: install heroku-client to use it). */
  readonly heroku: HerokuClient;
  /** `http://<app>.localhost:<router port><path>`. */
  routerUrl(app: string, path?: string): string;
  /** A request through the router to `app` (`*.localhost` resolves to loopback whatever the host's resolver says). */
  fetch(app: string, path?: string, init?: RequestInit): Promise<Response>;
  /** Builds a directory, a .tgz path or tarball bytes on `app` (created when missing) through the Build API. */
  deploy(source: string | Uint8Array, options: { readonly app: string }): Promise<DeployResult>;
  /** `git push` of `branch` (default: what is checked out) of the repo in `dir` to `app` (created when missing). */
  push(dir: string, options: { readonly app: string; readonly branch?: string }): Promise<PushResult>;
  /** Polls the app's dynos until `predicate` holds (default: every web dyno up); resolves with them. */
  waitFor(app: string, predicate?: (dynos: readonly Dyno[]) => boolean, options?: WaitOptions): Promise<Dyno[]>;
  /** The app's log history (up to 1,500 lines), filtered. */
  logs(app: string, filter?: LogFilter): Promise<string[]>;
  /** Everything the daemon wrote to stderr (warnings and errors, for a failing test's message). */
  output(): string;
  /** Stops the Berth and removes its containers, slug images, build caches, data dir; frees its ports. */
  stop(): Promise<void>;
}

type HerokuConstructor = new (options: { token: string; host: string }) => HerokuClient;

/** heroku-client, when the test suite has it installed (an optional peer dependency of berth). */
function loadHerokuClient(): HerokuConstructor | undefined {
  try {
    return createRequire(import.meta.url)('heroku-client') as HerokuConstructor;
  } catch {
    return undefined;
  }
}

function missingHerokuClient(): HerokuClient {
  const fail = (): never => {
    throw new Error('berth.heroku needs the heroku-client package: npm install --save-dev heroku-client');
  };
  return { get: fail, post: fail, patch: fail, put: fail, delete: fail, request: fail };
}

type LookupCallback = (error: Error | null, address: string | Array<{ address: string; family: number }>, family?: number) => void;

/** net.connect's `lookup` answering 127.0.0.1 for every name (with `all`, as a list: Node's happy eyeballs asks so). */
function loopbackLookup(_host: string, options: { all?: boolean }, callback: LookupCallback): void {
  if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}

const allWebUp = (dynos: readonly Dyno[]): boolean => dynos.some((d) => d.type === 'web') && dynos.filter((d) => d.type === 'web').every((d) => d.state === 'up');

/** SSE `data:` fields (what a log session streams), or plain lines. */
function logLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const sse = lines.some((line) => line.startsWith('data:'));
  const out = sse ? lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(line.startsWith('data: ') ? 6 : 5)) : lines;
  return out.filter((line) => line !== '');
}

export async function startBerth(options: StartBerthOptions = {}): Promise<Berth> {
  const child = await spawnEphemeral({
    timing: options.timing ?? 'fast',
    settings: options.settings ?? {},
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
  });
  const { ready } = child;
  const api = apiOf(ready.api_url, ready.api_key);
  const Heroku = loadHerokuClient();
  const heroku = Heroku === undefined ? missingHerokuClient() : new Heroku({ token: ready.api_key, host: ready.api_url });
  // Every `<app>.localhost` is this machine's loopback (RFC 6761), whether or not the host's resolver knows it.
  const loopback = new Agent({ connect: { lookup: loopbackLookup } });
  const routerUrl = (app: string, path = '/'): string => `${ready.router_url.replace('{app}', app)}${path.startsWith('/') ? path : `/${path}`}`;
  const caBundle = ready.env['NODE_EXTRA_CA_CERTS'] ?? '';
  let stopped: Promise<void> | undefined;

  return {
    apiUrl: ready.api_url,
    apiTlsUrl: ready.api_tls_url,
    gitHost: ready.git_host,
    apiKey: ready.api_key,
    ports: { api: ready.ports.api, apiTls: ready.ports.api_tls, rendezvous: ready.ports.rendezvous, router: ready.ports.router, routerTls: ready.ports.router_tls },
    pid: ready.pid,
    dataDir: ready.data_dir,
    env: ready.env,
    heroku,
    routerUrl,
    fetch: (app, path = '/', init = {}) => undiciFetch(routerUrl(app, path), { ...init, dispatcher: loopback }),
    deploy: (source, { app }) => deploy(api, source, app),
    push: (dir, { app, branch }) => push(api, { gitHost: ready.git_host, apiKey: ready.api_key, caBundle }, dir, app, branch),
    async waitFor(app, predicate = allWebUp, { timeoutMs = 60_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const dynos = await api.request<Dyno[]>('GET', `/apps/${encodeURIComponent(app)}/dynos`);
        if (predicate(dynos)) return dynos;
        if (Date.now() > deadline) {
          throw new Error(`${app}'s dynos never matched within ${timeoutMs} ms; last: ${dynos.map((d) => `${d.name}=${d.state}`).join(', ') || 'no dynos'}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async logs(app, filter = {}) {
      const session = await api.request<{ logplex_url: string }>('POST', `/apps/${encodeURIComponent(app)}/log-sessions`, {
        lines: 1500,
        tail: false,
        ...(filter.source === undefined ? {} : { source: filter.source }),
        ...(filter.dyno === undefined ? {} : { dyno: filter.dyno }),
      });
      const lines = logLines(await (await fetch(session.logplex_url)).text());
      const { match } = filter;
      if (match === undefined) return lines;
      return lines.filter((line) => (typeof match === 'string' ? line.includes(match) : match.test(line)));
    },
    output: () => child.output(),
    stop() {
      stopped ??= child.stop().finally(() => loopback.close());
      return stopped;
    },
  };
}
