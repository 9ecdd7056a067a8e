// Runs the bundled buildpacks directly, the way the slug compiler does (DESIGN.md "Builds as on Heroku"), without
// the daemon: a container of the build image on the host network, the app at /tmp/build_<id>, a per-app cache at
// /tmp/cache, config vars one file each in /tmp/env, writable buildpack copies at /tmp/buildpacks/<n>-<name>, an
// empty /app, the host-wide Node.js download cache volume, and the host CA bundle. Then the compiled build dir is
// copied out and run at /app in a container of the run image, after the .profile.d scripts, as a dyno would be.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TEST_NPM_REGISTRY_ENV } from '../support/npm-registry.js';

const run = promisify(execFile);

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILDPACKS = join(ROOT, 'buildpacks');
export const FIXTURES = join(ROOT, 'fixtures');
export const BUILD_IMAGE = process.env['BERTH_STACK_BUILD_IMAGE'] ?? 'berth/heroku-24:build';
export const RUN_IMAGE = process.env['BERTH_STACK_RUN_IMAGE'] ?? 'berth/heroku-24:run';
/** The same volume name the slug compiler mounts, so tests and real builds share downloads. */
export const NODE_DIST_VOLUME = 'berth-node-dist';
const NODE_DIST_CACHE = '/var/cache/berth/node';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const LABEL = 'berth.test=buildpacks';

/** The CA variables the platform sets when the host has a bundle (DESIGN.md "Host CA bundle"). */
function caArgs(): string[] {
  if (!existsSync(CA_BUNDLE)) return [];
  const vars = ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'PIP_CERT', 'GIT_SSL_CAINFO'];
  return ['-v', `${CA_BUNDLE}:${CA_BUNDLE}:ro`, ...vars.flatMap((name) => ['-e', `${name}=${CA_BUNDLE}`])];
}

export async function docker(args: readonly string[]): Promise<string> {
  const { stdout } = await run('docker', [...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Exit code and combined output of a command in a container (never throws on a non-zero exit). */
function dockerStream(args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('docker', [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, output }));
  });
}

export interface BuildOptions {
  /** Directory of the app's source (usually a fixture). */
  readonly source: string;
  /** Bundled buildpack names, in order (`nodejs`, `python`). */
  readonly buildpacks: readonly string[];
  /** Host directory used as the app's CACHE_DIR (kept between builds of one app). */
  readonly cacheDir: string;
  /** Config vars, written one file each into ENV_DIR. */
  readonly config?: Readonly<Record<string, string>>;
  /** `none` proves a build needs no network at all. */
  readonly network?: 'host' | 'none';
  readonly distVolume?: string;
}

export interface BuildResult {
  readonly code: number;
  /** What the user sees: the platform's detect line, then each buildpack's compile output. */
  readonly output: string;
  readonly lines: string[];
  /** The compiled build dir, copied out (only when the build succeeded). */
  readonly slugDir: string;
  /** Each buildpack's bin/release YAML, in order. */
  readonly releases: string[];
  readonly seconds: number;
}

// Inside the build container: detect, compile (after sourcing the earlier buildpacks' export files) and release
// for each buildpack in order, with the platform's own lines around them.
const DRIVER = `
set -uo pipefail
build_dir=$1; shift
exports=()
for bp in "$@"; do
  if ! name=$("$bp/bin/detect" "$build_dir"); then
    echo "-----> App not compatible with buildpack: $(basename "$bp")"
    exit 1
  fi
  echo "-----> $name app detected"
  if ! bash -c 'bp=$1 dir=$2; shift 2; for f in "$@"; do [ -f "$f" ] && . "$f"; done; exec "$bp/bin/compile" "$dir" /tmp/cache /tmp/env' compile "$bp" "$build_dir" "\${exports[@]}" 2>&1; then
    echo " !     Push rejected, failed to compile $name app."
    exit 1
  fi
  "$bp/bin/release" "$build_dir" > "/tmp/release-$(basename "$bp").yml" || exit 1
  exports+=("$bp/export")
done
`;

export async function build(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const buildDir = `/tmp/build_${id}`;
  await mkdir(options.cacheDir, { recursive: true });
  const container = (
    await docker([
      'create',
      '--label', LABEL,
      '--network', options.network ?? 'host',
      '-v', `${options.cacheDir}:/tmp/cache`,
      '-v', `${options.distVolume ?? NODE_DIST_VOLUME}:${NODE_DIST_CACHE}`,
      ...caArgs(),
      '-e', 'STACK=heroku-24',
      '-e', 'SOURCE_VERSION=',
      '-e', 'HOME=/app',
      '-e', `REQUEST_ID=${id}`,
      '-e', `BERTH_NODE_DIST_CACHE=${NODE_DIST_CACHE}`,
      '-e', 'CURL_CONNECT_TIMEOUT=30',
      '-e', 'CURL_TIMEOUT=180',
      // npm packages from the integration tier's loopback registry (test/global-setup.ts), as a daemon's builds get it.
      ...(process.env[TEST_NPM_REGISTRY_ENV] === undefined ? [] : ['-e', `NPM_CONFIG_REGISTRY=${process.env[TEST_NPM_REGISTRY_ENV]}`]),
      BUILD_IMAGE,
      'sleep', 'infinity',
    ])
  ).trim();
  const work = await mkdtemp(join(tmpdir(), 'berth-bp-'));
  try {
    await docker(['start', container]);
    await docker(['exec', container, 'mkdir', '-p', buildDir, '/tmp/env', '/tmp/buildpacks', '/app']);
    await docker(['cp', `${options.source}/.`, `${container}:${buildDir}`]);
    const envDir = join(work, 'env');
    await mkdir(envDir);
    for (const [name, value] of Object.entries(options.config ?? {})) await writeFile(join(envDir, name), value);
    await docker(['cp', `${envDir}/.`, `${container}:/tmp/env`]);
    const paths = options.buildpacks.map((name, index) => `/tmp/buildpacks/${index + 1}-${name}`);
    for (const [index, name] of options.buildpacks.entries()) {
      await docker(['cp', join(BUILDPACKS, name), `${container}:${paths[index]}`]);
    }
    const { code, output } = await dockerStream([
      'exec', container, 'bash', '-c', DRIVER, 'driver', buildDir, ...paths,
    ]);
    const releases: string[] = [];
    const slugDir = join(work, 'app');
    if (code === 0) {
      for (const path of paths) {
        releases.push(await docker(['exec', container, 'cat', `/tmp/release-${path.split('/').pop()}.yml`]));
      }
      await docker(['cp', `${container}:${buildDir}`, slugDir]);
    }
    return { code, output, lines: output.split('\n'), slugDir, releases, seconds: (Date.now() - started) / 1000 };
  } finally {
    await docker(['rm', '-f', container]).catch(() => undefined);
  }
}

const PROFILE = 'for f in /app/.profile.d/*.sh; do [ -f "$f" ] && . "$f"; done; [ -f /app/.profile ] && . /app/.profile; ';

function runArgs(slugDir: string, env: Readonly<Record<string, string>>): string[] {
  return [
    '--label', LABEL, '--network', 'host', '-v', `${slugDir}:/app`, '-w', '/app',
    '-e', 'HOME=/app', ...caArgs(), ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    RUN_IMAGE,
  ];
}

/** A one-off command in the run image with the slug at /app, after .profile.d (as `heroku run` does). */
export async function runOnce(slugDir: string, command: string, env: Readonly<Record<string, string>> = {}): Promise<{ code: number; output: string }> {
  return dockerStream(['run', '--rm', ...runArgs(slugDir, env), 'bash', '-c', `${PROFILE}${command}`]);
}

/** Starts a web process in the run image on the host network; returns a stop function. */
export async function startWeb(slugDir: string, command: string, env: Readonly<Record<string, string>>): Promise<{ container: string; stop: () => Promise<void> }> {
  const container = (await docker(['run', '-d', ...runArgs(slugDir, env), 'bash', '-c', `${PROFILE}exec ${command}`])).trim();
  return { container, stop: async () => void (await docker(['rm', '-f', container]).catch(() => undefined)) };
}

/** Copy of a fixture in a temp dir, for variants a test makes on the fly. */
export async function fixtureCopy(name: string, changes: Readonly<Record<string, string>>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-fixture-${name}-`));
  await cp(join(FIXTURES, name), dir, { recursive: true });
  for (const [file, text] of Object.entries(changes)) await writeFile(join(dir, file), text);
  return dir;
}

/** bin/detect of one bundled buildpack against a source dir. */
export async function detect(buildpack: string, source: string): Promise<{ code: number; output: string }> {
  return dockerStream([
    'run', '--rm', '--label', LABEL, '--network', 'none',
    '-v', `${source}:/tmp/build_detect:ro`, '-v', `${join(BUILDPACKS, buildpack)}:/tmp/buildpacks/1-${buildpack}:ro`,
    BUILD_IMAGE, `/tmp/buildpacks/1-${buildpack}/bin/detect`, '/tmp/build_detect',
  ]);
}

export async function removeTemp(...dirs: string[]): Promise<void> {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}

export async function readSlugFile(slugDir: string, path: string): Promise<string> {
  return readFile(join(slugDir, path), 'utf8');
}
