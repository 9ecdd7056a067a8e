// The bundled Python buildpack, two buildpacks chained through `export`, and an app nothing detects.
import { existsSync } from 'node:fs';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort } from '../support/ports.js';
import { build, detect, fixtureCopy, FIXTURES, removeTemp, runOnce, startWeb, type BuildResult } from './harness.js';

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

async function get(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  return response.text();
}

describe('python buildpack: python-stdlib', () => {
  let result: BuildResult;

  it('builds with no network at all (stdlib-only requirements.txt)', async () => {
    result = keep(await build({ source: join(FIXTURES, 'python-stdlib'), buildpacks: ['python'], cacheDir: await cacheDir(), network: 'none' }));
    console.log(`python-stdlib build (no network): ${result.seconds.toFixed(1)} s`);
    expect(result.code, result.output).toBe(0);
    const headers = result.lines.filter((line) => line.startsWith('-----> '));
    expect(headers[0]).toBe('-----> Python app detected');
    expect(headers[1]).toBe('-----> Using Python 3.13 specified in .python-version');
    expect(headers).toContain('-----> Installing requirements with pip');
    expect(result.lines).toContain('       requirements.txt lists no packages; nothing to install');
    expect(result.releases[0]).toBe('addons: []\ndefault_process_types: {}\n');
    // The venv was made at /app/.heroku/python; in the slug it is a real directory, not the build-time symlink.
    expect(existsSync(join(result.slugDir, '.heroku/python/bin/pip'))).toBe(true);
    expect(await readlink(join(result.slugDir, '.heroku/python/bin/python3'))).toBe('/usr/bin/python3');
  });

  it('runs in the run image from the venv, and serves on $PORT', async () => {
    const once = await runOnce(result.slugDir, 'command -v python && pip --version && echo "PYTHONUNBUFFERED=$PYTHONUNBUFFERED"');
    expect(once.code, once.output).toBe(0);
    expect(once.output).toContain('/app/.heroku/python/bin/python\n');
    expect(once.output).toMatch(/pip \S+ from \/app\/\.heroku\/python\/lib\/python3\.13\/site-packages\/pip/);
    expect(once.output).toContain('PYTHONUNBUFFERED=true');
    const port = await freePort();
    const web = await startWeb(result.slugDir, 'python app.py', { PORT: String(port), GREETING: 'hi-python' });
    try {
      const body = await eventually(() => get(port), 30_000);
      expect(body).toContain('Hello from python-stdlib');
      expect(body).toContain('greeting=hi-python');
      expect(body).toContain('executable=/app/.heroku/python/bin/python');
    } finally {
      await web.stop();
    }
  });

  it('no version file: the stack Python, said so', async () => {
    const source = await fixtureCopy('python-stdlib', {});
    await rm(join(source, '.python-version'));
    temps.push(source);
    const plain = keep(await build({ source, buildpacks: ['python'], cacheDir: await cacheDir(), network: 'none' }));
    expect(plain.code, plain.output).toBe(0);
    expect(plain.lines.some((line) => /^-----> No Python version was specified\. Using the stack's Python 3\.13\.\d+$/.test(line))).toBe(true);
  });

  it('a Python the stack does not have is a clear error naming what it has', async () => {
    const source = await fixtureCopy('python-stdlib', { 'runtime.txt': 'python-3.12.7\n' });
    await rm(join(source, '.python-version'));
    temps.push(source);
    const wrong = keep(await build({ source, buildpacks: ['python'], cacheDir: await cacheDir(), network: 'none' }));
    expect(wrong.code).not.toBe(0);
    expect(wrong.lines).toContain(' !     Requested Python 3.12.7 (in runtime.txt) is not available on this stack.');
    expect(wrong.output).toMatch(/ !     The heroku-24 stack image has Python 3\.13\.\d+ only/);
    expect(wrong.lines).toContain(' !     Push rejected, failed to compile Python app.');
  });

  it('an unreachable package index is a clear error', async () => {
    const source = await fixtureCopy('python-stdlib', { 'requirements.txt': 'six==1.16.0\n' });
    temps.push(source);
    const offline = keep(await build({ source, buildpacks: ['python'], cacheDir: await cacheDir(), network: 'none' }));
    expect(offline.code).not.toBe(0);
    expect(offline.lines).toContain(' !     pip could not reach the Python package index (https://pypi.org/simple).');
    expect(offline.lines).toContain(' !     Push rejected, failed to compile Python app.');
  });
});

describe('multi-buildpack: nodejs then python', () => {
  it('the Python build and the Python web process both use the Node.js of the first buildpack', async () => {
    const result = keep(await build({ source: join(FIXTURES, 'multi-buildpack'), buildpacks: ['nodejs', 'python'], cacheDir: await cacheDir() }));
    expect(result.code, result.output).toBe(0);
    const headers = result.lines.filter((line) => line.startsWith('-----> '));
    expect(headers.indexOf('-----> Node.js app detected')).toBe(0);
    expect(headers.indexOf('-----> Build succeeded!')).toBeLessThan(headers.indexOf('-----> Python app detected'));
    expect(headers).toContain('-----> Running post-compile hook');
    const node = /Downloading and installing node (22\.\d+\.\d+)\.\.\./.exec(result.output)?.[1];
    expect(node).toBeDefined();
    expect(result.lines).toContain(`       multi-buildpack: node v${node} seen by the Python build`);
    // The last buildpack's bin/release gives the default process types.
    expect(result.releases[1]).toBe('addons: []\ndefault_process_types: {}\n');

    const port = await freePort();
    const web = await startWeb(result.slugDir, 'python app.py', { PORT: String(port) });
    try {
      const body = await eventually(() => get(port), 30_000);
      expect(body).toContain(`node=v${node}`);
      expect(body).toContain(`node_at_build=v${node}`);
    } finally {
      await web.stop();
    }
  });
});

describe('no-buildpack', () => {
  it('neither bundled buildpack detects it', async () => {
    for (const buildpack of ['nodejs', 'python']) {
      const result = await detect(buildpack, join(FIXTURES, 'no-buildpack'));
      expect(result.code, `${buildpack}: ${result.output}`).not.toBe(0);
    }
  });

  it('each detects its own fixtures and names its language', async () => {
    expect(await detect('nodejs', join(FIXTURES, 'node-basic'))).toEqual({ code: 0, output: 'Node.js\n' });
    expect(await detect('python', join(FIXTURES, 'python-stdlib'))).toEqual({ code: 0, output: 'Python\n' });
    expect((await detect('python', join(FIXTURES, 'node-basic'))).code).not.toBe(0);
  });
});
