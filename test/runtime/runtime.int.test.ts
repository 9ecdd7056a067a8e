// The runtime seam on the real engine: run-to-completion, long-running containers on the host
// network, labels, removal.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/settings.js';
import { DockerRuntime, type Runtime } from '../../src/runtime/index.js';

const settings = loadSettings();
const APP = `rt-test-${process.pid}`;
let runtime: Runtime;

beforeAll(async () => {
  runtime = await DockerRuntime.connect(settings);
});

afterAll(async () => {
  if (runtime === undefined) return;
  for (const c of await runtime.listByLabel({ app: APP })) await runtime.remove(c.id);
});

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('Runtime on the real engine', () => {
  it('answers ping', async () => {
    expect(await runtime.ping()).toBe(true);
  });

  it('runs a container to completion, streams stdout and stderr, returns the exit code, removes it', async () => {
    const out = collect();
    const err = collect();
    const code = await runtime.run({
      image: settings.stackRunImage,
      cmd: ['bash', '-c', 'echo "hello $GREETING"; echo oops >&2; exit 3'],
      env: { GREETING: 'berth' },
      labels: { app: APP, role: 'run', dyno: 'run.1' },
      stdout: out.stream,
      stderr: err.stream,
    });
    expect(code).toBe(3);
    expect(out.text()).toBe('hello berth\n');
    expect(err.text()).toBe('oops\n');
    expect(await runtime.listByLabel({ app: APP })).toEqual([]);
  });

  it('starts a labelled container, lists it by label, stops and removes it', async () => {
    const id = await runtime.start({
      image: settings.stackRunImage,
      cmd: ['sleep', '300'],
      labels: { app: APP, role: 'dyno', dyno: 'web.1', release: 'v1' },
    });
    const listed = await runtime.listByLabel({ app: APP, role: 'dyno' });
    expect(listed.map((c) => c.id)).toEqual([id]);
    expect(listed[0]?.labels).toEqual({ app: APP, role: 'dyno', dyno: 'web.1', release: 'v1' });
    expect(listed[0]?.state).toBe('running');
    expect(await runtime.listByLabel({ app: APP, role: 'build' })).toEqual([]);
    await runtime.stop(id, 1);
    expect((await runtime.listByLabel({ app: APP }))[0]?.state).toBe('exited');
    await runtime.remove(id);
    await runtime.remove(id); // removing twice is fine
    expect(await runtime.listByLabel({ app: APP })).toEqual([]);
  });

  it('an aborted run kills and removes its container', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1000);
    const code = await runtime.run({
      image: settings.stackRunImage,
      cmd: ['sleep', '300'],
      labels: { app: APP, role: 'run' },
      signal: controller.signal,
    });
    expect(code).toBe(137);
    expect(await runtime.listByLabel({ app: APP })).toEqual([]);
  });
});
