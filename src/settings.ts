// Every tunable of Berth, read once from BERTH_* environment variables.
// Defaults are Heroku's own values wherever Heroku has one; the rest are Berth's (DESIGN.md "Ports").
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';

export interface Settings {
  /** Where the store, the API key, the CA, slugs and caches live. */
  readonly dataDir: string;
  /** Every listener binds here; Berth never listens beyond loopback by default. */
  readonly bindHost: string;
  /**
   * Where a dyno on any node reaches this machine (the swarm manager's advertise address): the host of add-on URLs
   * (DATABASE_URL, REDIS_URL), which the add-on servers listen on besides 127.0.0.1. One machine: 127.0.0.1.
   */
  readonly advertiseAddress: string;
  readonly apiPort: number;
  readonly apiTlsPort: number;
  readonly rendezvousPort: number;
  readonly routerPort: number;
  readonly routerTlsPort: number;
  /** The single local account (`GET /account`, `by user <email>` in app[api] lines). */
  readonly accountEmail: string;
  readonly accountId: string;
  /** The Docker engine to use; unset means DOCKER_HOST or /var/run/docker.sock. */
  readonly dockerHost: string | undefined;
  /** Stack images for heroku-24 (DESIGN.md "Stack images"). */
  readonly stack: string;
  readonly stackRunImage: string;
  readonly stackBuildImage: string;
  /** Debian suite the offline stack images are bootstrapped from. */
  readonly stackSuite: string;
  /** Debian mirror for debootstrap; unset means the host's apt sources. */
  readonly debianMirror: string | undefined;
  /**
   * The npm registry every build uses unless the app sets its own NPM_CONFIG_REGISTRY config var: an offline mirror
   * or a company registry for all apps at once. Unset means npm's default (the public registry).
   */
  readonly npmRegistry: string | undefined;
  /** Lines of history logplex keeps per app (Heroku: 1,500). */
  readonly logHistoryLines: number;
  /** Maximum size of one config var value in bytes (Heroku caps the whole set at 64 kB). */
  readonly configVarsMaxBytes: number;
  /** The first push to an unknown app creates it (Dokku does this; Heroku does not). */
  readonly autoCreateApps: boolean;
  /** Build timeout: Heroku's compile limit is 25 minutes. */
  readonly buildTimeoutSeconds: number;
  /** Builds running at once across all apps; more wait for a slot (default: half the CPU cores, at least 2). */
  readonly buildsConcurrency: number;
  /** Memory of a build container in MiB (no swap beyond it); 0: no limit. */
  readonly buildMemoryMb: number;
  /** Processes and threads in a build container; 0: no limit. */
  readonly buildPidsLimit: number;
  /** Largest compressed slug (Heroku: 1 GB since 2026). */
  readonly slugMaxBytes: number;
  /** gzip level of slug tarballs: lower is faster, higher is smaller (1: builds are about 2-3 s faster than at 6). */
  readonly slugCompressionLevel: number;
  /** Largest source tarball, uncompressed (Heroku: 1 GB repo checkout). */
  readonly sourceMaxBytes: number;
  readonly sourceMaxEntries: number;
  /** A source blob is deleted this long after the last build that used it (a retry may still want it). */
  readonly sourceGraceSeconds: number;
  /** The most bytes of a build's or release command's own output kept in its output file; then a notice line. */
  readonly outputMaxBytes: number;
  /** R10: a web dyno must bind $PORT within this many seconds of launch (Heroku: 60). */
  readonly bootTimeoutSeconds: number;
  /** SIGTERM grace before R12 and SIGKILL (Heroku: 30). */
  readonly stopGraceSeconds: number;
  /** Crash cool-off ladder in seconds, after the first immediate restart (Heroku: 20, 40, 60, 180, 320 minutes). */
  readonly crashCooloffSeconds: readonly number[];
  /** A dyno up this long counts as started correctly: its cool-off ladder starts again. */
  readonly crashResetSeconds: number;
  /** Daily cycling period (Heroku: 24 h). */
  readonly cycleSeconds: number;
  /** How often dyno memory is sampled for R14/R15 (Heroku writes runtime metrics about every 20 s). */
  readonly memorySampleSeconds: number;
  /** Release-phase timeout (Heroku: 1 h). */
  readonly releasePhaseTimeoutSeconds: number;
  /** First and last port handed to dynos as $PORT (below the kernel's ephemeral range). */
  readonly dynoPortMin: number;
  readonly dynoPortMax: number;
  /** Retention: slugs of releases more than this many back... (Heroku: 20) */
  readonly retentionReleases: number;
  /** ...and older than this many days are deleted, their releases `expired` (Heroku: 30). */
  readonly retentionDays: number;
  /** Daemon log level for pino. */
  readonly logLevel: string;
  /** How `berth up` prints the daemon's log: `auto` (readable lines on a terminal, JSON otherwise), `json`, `pretty`. */
  readonly logFormat: LogFormat;
  /** A log session's URL answers 404 ("Log stream timed out") this long after its last stream closed. */
  readonly logSessionTtlSeconds: number;
  /** Lines buffered for a `logs --tail` client that does not read, then the oldest are dropped (L11). */
  readonly logTailBufferLines: number;
  /** Lines buffered per log drain, then the oldest are dropped (L10; Heroku: 1,024). */
  readonly logDrainBufferLines: number;
  /** Log drains per app (Heroku: 5). */
  readonly logDrainsPerApp: number;
  /** Preboot: once a new web dyno is up, the old one keeps serving this long before its SIGTERM (Heroku: ~2 min). */
  readonly prebootOverlapSeconds: number;
  /** App webhooks: how long one delivery attempt may take (Heroku does not publish its own). */
  readonly webhookAttemptTimeoutMs: number;
  /** App webhooks at level `sync`: the first retry's delay, doubled per attempt up to the cap (Heroku: hourly). */
  readonly webhookRetryBaseMs: number;
  readonly webhookRetryMaxMs: number;
  /** App webhooks at level `sync`: an event is retried this long after it happened (Heroku: 72 h). */
  readonly webhookRetryWindowSeconds: number;
  /** Router: H12, no first response byte within this many ms of forwarding (Heroku: 30 s). */
  readonly routerRequestTimeoutMs: number;
  /** Router: H15, a started response idle this long; also idle clients (Heroku: 55 s). */
  readonly routerIdleTimeoutMs: number;
  /** Router: H19, connecting to a dyno (Heroku: 5 s). */
  readonly routerConnectTimeoutMs: number;
  /** Router: H20, how long a request waits for a starting web dyno (Heroku: 75 s). */
  readonly routerBootTimeoutMs: number;
  /** Router: idle keep-alive connections to dynos (Router 2.0: 90 s). */
  readonly routerDynoKeepAliveMs: number;
  /** Router: idle keep-alive connections from clients. */
  readonly routerClientKeepAliveMs: number;
  /** Router: open client connections per listener (HTTP, HTTPS); more are refused; 0: no limit. */
  readonly routerMaxConnections: number;
  /** The image add-on servers (PostgreSQL, Redis) run from: the run image plus Debian's server packages. */
  readonly addonImage: string;
  /** First and last loopback port handed to add-on servers (between the dyno range and the ephemeral range). */
  readonly addonPortMin: number;
  readonly addonPortMax: number;
  /** How long a new or restarted add-on server may take to answer its first query. */
  readonly addonReadyTimeoutSeconds: number;
  /** The engine dynos run on (BERTH_RUNTIME): `docker`, the one engine; `swarm`, a Docker Swarm (README "Swarm runtime"). */
  readonly runtime: 'docker' | 'swarm';
  /** The swarm manager's engine; unset: the one `berth setup --swarm` starts (`<data>/swarm/manager/docker.sock`). */
  readonly swarmManager: string;
  /** The manager's advertise address (`berth setup --swarm` uses it; kept off 127.0.0.1:2377, a user's own swarm). */
  readonly swarmAddress: string;
  /** `host:port` of the registry Berth runs on the manager for every node to pull dyno images from. */
  readonly swarmRegistry: string;
  /** Node address → that node's engine (`127.0.0.101=unix:///...sock,...`), for signals, exec and memory readings. */
  readonly swarmEngines: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
type LogFormat = (typeof LOG_FORMATS)[number];

function logFormat(env: Env, name: string): LogFormat {
  const raw = str(env, name, 'auto');
  const format = LOG_FORMATS.find((f) => f === raw);
  if (format === undefined) throw new Error(`${name} must be one of ${LOG_FORMATS.join(', ')}, got "${raw}"`);
  return format;
}

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

/** A comma-separated list of non-negative integers, e.g. `BERTH_CRASH_COOLOFF=2,4,8`. */
function list(env: Env, name: string, fallback: readonly number[]): readonly number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new Error(`${name} must be a comma-separated list of whole seconds, got "${raw}"`);
  }
  return values;
}

/** An IPv4 address (add-on servers bind it, and URLs carry it without brackets). */
function ipv4(env: Env, name: string, fallback: string): string {
  const raw = str(env, name, fallback);
  const parts = raw.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`${name} must be an IPv4 address, got "${raw}"`);
  return raw;
}

function str(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

export function loadSettings(env: Env = process.env): Settings {
  return {
    dataDir: str(env, 'BERTH_DATA', join(homedir(), '.local', 'share', 'berth')),
    bindHost: str(env, 'BERTH_BIND_HOST', '127.0.0.1'),
    advertiseAddress: ipv4(env, 'BERTH_ADVERTISE_ADDRESS', '127.0.0.1'),
    apiPort: int(env, 'BERTH_API_PORT', 5100),
    apiTlsPort: int(env, 'BERTH_API_TLS_PORT', 5101),
    rendezvousPort: int(env, 'BERTH_RENDEZVOUS_PORT', 5102),
    routerPort: int(env, 'BERTH_ROUTER_PORT', 5000),
    routerTlsPort: int(env, 'BERTH_ROUTER_TLS_PORT', 5443),
    accountEmail: str(env, 'BERTH_ACCOUNT_EMAIL', 'developer@berth.localhost'),
    accountId: str(env, 'BERTH_ACCOUNT_ID', '5b1f1e2a-6c1d-4d8e-9b0a-000000000001'),
    dockerHost: env['BERTH_DOCKER_HOST'] || env['DOCKER_HOST'] || undefined,
    stack: 'heroku-24',
    stackRunImage: str(env, 'BERTH_STACK_RUN_IMAGE', 'berth/heroku-24:run'),
    stackBuildImage: str(env, 'BERTH_STACK_BUILD_IMAGE', 'berth/heroku-24:build'),
    stackSuite: str(env, 'BERTH_STACK_SUITE', 'trixie'),
    debianMirror: env['BERTH_DEBIAN_MIRROR'] || undefined,
    npmRegistry: env['BERTH_NPM_REGISTRY'] || undefined,
    logHistoryLines: int(env, 'BERTH_LOG_HISTORY_LINES', 1500),
    configVarsMaxBytes: int(env, 'BERTH_CONFIG_VARS_MAX_BYTES', 64 * 1024),
    autoCreateApps: bool(env, 'BERTH_AUTO_CREATE_APPS', true),
    buildTimeoutSeconds: int(env, 'BERTH_BUILD_TIMEOUT', 25 * 60),
    buildsConcurrency: Math.max(1, int(env, 'BERTH_BUILDS_CONCURRENCY', Math.max(2, Math.floor(availableParallelism() / 2)))),
    buildMemoryMb: int(env, 'BERTH_BUILD_MEMORY_MB', 4096),
    buildPidsLimit: int(env, 'BERTH_BUILD_PIDS_LIMIT', 4096),
    slugMaxBytes: int(env, 'BERTH_SLUG_MAX_BYTES', 1024 * 1024 * 1024),
    slugCompressionLevel: Math.min(9, int(env, 'BERTH_SLUG_COMPRESSION_LEVEL', 1)),
    sourceMaxBytes: int(env, 'BERTH_SOURCE_MAX_BYTES', 1024 * 1024 * 1024),
    sourceMaxEntries: int(env, 'BERTH_SOURCE_MAX_ENTRIES', 200_000),
    sourceGraceSeconds: int(env, 'BERTH_SOURCE_GRACE_SECONDS', 600),
    outputMaxBytes: int(env, 'BERTH_OUTPUT_MAX_BYTES', 64 * 1024 * 1024),
    bootTimeoutSeconds: int(env, 'BERTH_BOOT_TIMEOUT', 60),
    stopGraceSeconds: int(env, 'BERTH_STOP_GRACE', 30),
    crashCooloffSeconds: list(env, 'BERTH_CRASH_COOLOFF', [20, 40, 60, 180, 320].map((m) => m * 60)),
    crashResetSeconds: int(env, 'BERTH_CRASH_RESET', 600),
    cycleSeconds: int(env, 'BERTH_CYCLE_SECONDS', 24 * 60 * 60),
    memorySampleSeconds: int(env, 'BERTH_MEMORY_SAMPLE_SECONDS', 20),
    releasePhaseTimeoutSeconds: int(env, 'BERTH_RELEASE_TIMEOUT', 60 * 60),
    dynoPortMin: int(env, 'BERTH_DYNO_PORT_MIN', 20000),
    dynoPortMax: int(env, 'BERTH_DYNO_PORT_MAX', 29999),
    retentionReleases: int(env, 'BERTH_RETENTION_RELEASES', 20),
    retentionDays: int(env, 'BERTH_RETENTION_DAYS', 30),
    logLevel: str(env, 'BERTH_LOG_LEVEL', 'info'),
    logFormat: logFormat(env, 'BERTH_LOG_FORMAT'),
    logSessionTtlSeconds: int(env, 'BERTH_LOG_SESSION_TTL', 300),
    logTailBufferLines: int(env, 'BERTH_LOG_TAIL_BUFFER', 4096),
    logDrainBufferLines: int(env, 'BERTH_LOG_DRAIN_BUFFER', 1024),
    logDrainsPerApp: int(env, 'BERTH_LOG_DRAINS_PER_APP', 5),
    prebootOverlapSeconds: int(env, 'BERTH_PREBOOT_OVERLAP_SECONDS', 120),
    webhookAttemptTimeoutMs: int(env, 'BERTH_WEBHOOK_ATTEMPT_TIMEOUT_MS', 30_000),
    webhookRetryBaseMs: int(env, 'BERTH_WEBHOOK_RETRY_BASE_MS', 10_000),
    webhookRetryMaxMs: int(env, 'BERTH_WEBHOOK_RETRY_MAX_MS', 60 * 60 * 1000),
    webhookRetryWindowSeconds: int(env, 'BERTH_WEBHOOK_RETRY_WINDOW_SECONDS', 72 * 60 * 60),
    routerRequestTimeoutMs: int(env, 'BERTH_ROUTER_REQUEST_TIMEOUT_MS', 30_000),
    routerIdleTimeoutMs: int(env, 'BERTH_ROUTER_IDLE_TIMEOUT_MS', 55_000),
    routerConnectTimeoutMs: int(env, 'BERTH_ROUTER_CONNECT_TIMEOUT_MS', 5_000),
    routerBootTimeoutMs: int(env, 'BERTH_ROUTER_BOOT_TIMEOUT_MS', 75_000),
    routerDynoKeepAliveMs: int(env, 'BERTH_ROUTER_DYNO_KEEPALIVE_MS', 90_000),
    routerClientKeepAliveMs: int(env, 'BERTH_ROUTER_CLIENT_KEEPALIVE_MS', 90_000),
    routerMaxConnections: int(env, 'BERTH_ROUTER_MAX_CONNECTIONS', 10_000),
    addonImage: str(env, 'BERTH_ADDON_IMAGE', 'berth/heroku-24:addons'),
    addonPortMin: int(env, 'BERTH_ADDON_PORT_MIN', 30000),
    addonPortMax: int(env, 'BERTH_ADDON_PORT_MAX', 32767),
    addonReadyTimeoutSeconds: int(env, 'BERTH_ADDON_READY_TIMEOUT', 60),
    ...swarmSettings(env),
  };
}

function swarmSettings(env: Env): Pick<Settings, 'runtime' | 'swarmManager' | 'swarmAddress' | 'swarmRegistry' | 'swarmEngines'> {
  const runtime = str(env, 'BERTH_RUNTIME', 'docker');
  if (runtime !== 'docker' && runtime !== 'swarm') throw new Error(`BERTH_RUNTIME must be docker or swarm, got "${runtime}"`);
  const dataDir = str(env, 'BERTH_DATA', join(homedir(), '.local', 'share', 'berth'));
  const swarmManager = str(env, 'BERTH_SWARM_MANAGER', `unix://${join(dataDir, 'swarm', 'manager', 'docker.sock')}`);
  const swarmAddress = str(env, 'BERTH_SWARM_ADDRESS', '127.0.0.101');
  return {
    runtime,
    swarmManager,
    swarmAddress,
    swarmRegistry: str(env, 'BERTH_SWARM_REGISTRY', `${swarmAddress}:5000`),
    swarmEngines: str(env, 'BERTH_SWARM_ENGINES', `${swarmAddress}=${swarmManager}`),
  };
}

/** URLs derived from the settings, used by the CLI's `env` and `up` output and by the API's `web_url`. */
export function apiUrl(s: Settings): string {
  return `http://${s.bindHost}:${s.apiPort}`;
}
/** The same API over TLS (the local CA's certificate): where `berth env` points the heroku CLI, so its key never crosses loopback in cleartext. */
export function apiTlsUrl(s: Settings): string {
  return `https://${s.bindHost}:${s.apiTlsPort}`;
}
export function gitHost(s: Settings): string {
  return `${s.bindHost}:${s.apiTlsPort}`;
}
/** Where the API answers as Heroku's buildpack registry (the CLI's HEROKU_BUILDPACK_REGISTRY_URL). */
export const BUILDPACK_REGISTRY_PATH = '/buildpack-registry';
export function buildpackRegistryUrl(s: Settings): string {
  return `${apiUrl(s)}${BUILDPACK_REGISTRY_PATH}`;
}
export function webUrl(s: Settings, app: string): string {
  return `http://${app}.localhost:${s.routerPort}/`;
}

/** The stack of Docker deploys (`heroku stack:set container`): heroku.yml builds images instead of slugs. */
export const CONTAINER_STACK = 'container';
