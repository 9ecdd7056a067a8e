// Both heroku-24 stack images on the real engine: a container from each, on the host network,
// serves HTTP on a loopback port that the test reaches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/settings.js';
import { DockerRuntime, type Runtime } from '../../src/runtime/index.js';
import { describeStack } from '../../src/stack/index.js';
import { eventually, freePort } from '../support/ports.js';
import { PassThrough } from 'node:stream';

const settings = loadSettings();
const APP = `stack-test-${process.pid}`;
let runtime: Runtime;

beforeAll(async () => {
  runtime = await DockerRuntime.connect(settings);
});

afterAll(async () => {
  if (runtime === undefined) return;
  for (const c of await runtime.listByLabel({ app: APP })) await runtime.remove(c.id);
});

describe('heroku-24 stack images', () => {
  it('both exist and are described', async () => {
    const stack = await describeStack(settings, runtime);
    expect(stack.stack).toBe('heroku-24');
    expect(stack.run?.id).toMatch(/^sha256:/);
    expect(stack.build?.id).toMatch(/^sha256:/);
  });

  for (const which of ['run', 'build'] as const) {
    it(`a container from the ${which} image serves HTTP on the host's loopback`, async () => {
      const image = which === 'run' ? settings.stackRunImage : settings.stackBuildImage;
      const port = await freePort();
      const id = await runtime.start({
        image,
        cmd: ['bash', '-c', 'mkdir -p /srv && cd /srv && echo "hello from $STACK_ROLE" > index.html && exec python3 -m http.server "$PORT" --bind 127.0.0.1'],
        env: { PORT: String(port), STACK_ROLE: which },
        labels: { app: APP, role: 'dyno', dyno: `${which}.1` },
      });
      try {
        const response = await eventually(() => fetch(`http://127.0.0.1:${port}/index.html`));
        expect(response.status).toBe(200);
        expect(await response.text()).toBe(`hello from ${which}\n`);
      } finally {
        await runtime.remove(id);
      }
      expect(await runtime.listByLabel({ app: APP })).toEqual([]);
    });
  }

  it('a venv made in the build image runs in the run image', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    const dir = `/tmp/berth-venv-test-${process.pid}`;
    const { mkdir, rm } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    try {
      const built = await runtime.run({
        image: settings.stackBuildImage,
        cmd: ['bash', '-c', 'python3 -m venv /app/.venv && /app/.venv/bin/python -c "import ssl, sqlite3; print(1)"'],
        binds: [`${dir}:/app`],
        labels: { app: APP, role: 'build' },
        stdout: out,
      });
      expect(built).toBe(0);
      const ran = await runtime.run({
        image: settings.stackRunImage,
        cmd: ['/app/.venv/bin/python', '-c', 'import sys, ssl; print(sys.version_info[:2] >= (3, 12), ssl.OPENSSL_VERSION.startswith("OpenSSL"))'],
        binds: [`${dir}:/app`],
        labels: { app: APP, role: 'run' },
        stdout: out,
      });
      expect(ran).toBe(0);
      expect(text).toBe('1\nTrue True\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the build image has compilers and git; the run image does not have gcc', async () => {
    const sink = new PassThrough().resume();
    expect(
      await runtime.run({ image: settings.stackBuildImage, cmd: ['bash', '-c', 'gcc --version && git --version && pkg-config --exists openssl'], labels: { app: APP, role: 'build' }, stdout: sink }),
    ).toBe(0);
    expect(await runtime.run({ image: settings.stackRunImage, cmd: ['bash', '-c', 'command -v gcc'], labels: { app: APP, role: 'run' }, stdout: sink })).not.toBe(0);
  });
});
