// Global bounds on builds (issue 11): a queued build holds no open file, builds across all apps share a few slots
// (BERTH_BUILDS_CONCURRENCY) and say so when they wait for one, and every build container has a memory and a PID
// limit. On the memory engine with the build container scripted (test/support/build-container.ts).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cancelledLine } from '../../src/builds/failure.js';
import type { BuildRecord } from '../../src/contracts/records.js';
import { scriptBuildpacks, type FakeBuildpack } from '../support/build-container.js';
import { outputOf, startBuild } from '../support/builds.js';
import { EMAIL, platform, type Platform } from '../support/platform.js';

const NODE_APP = { 'package.json': '{"name":"demo"}', Procfile: 'web: node server.js\n' };
const nodejs: FakeBuildpack = { detect: (files, dir) => (files.read(`${dir}/package.json`) ? 'Node.js' : false) };

function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Waits (no timing asserted) until `ready()` holds. */
async function until(ready: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3000 && !(await ready()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

/** The first chunk a follower of the build's output_stream_url reads, as text. */
async function firstChunk(p: Platform, build: BuildRecord): Promise<string> {
  const iterator = p.services.builds.output(build.id, build.outputSecret)[Symbol.asyncIterator]();
  const first = await iterator.next();
  await iterator.return?.();
  return first.done === true ? '' : first.value.toString('utf8');
}

/** Everything a follower started now reads, until the build's output ends. */
async function follow(p: Platform, build: BuildRecord): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of p.services.builds.output(build.id, build.outputSecret)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
}

let p: Platform;

afterEach(async () => {
  await p.close();
});

describe('queued builds', () => {
  it('hold no open file: only the running build has its output file, yet every follower sees its waiting line', async () => {
    p = await platform({ BERTH_BUILDS_CONCURRENCY: '4' });
    const app = await p.createApp();
    const hold = gate();
    scriptBuildpacks(p.engine, { nodejs: { ...nodejs, compile: () => hold.opened } });
    const running = await startBuild(p, app, NODE_APP);
    await p.engine.started({ app: app.id, role: 'build' });
    const before = await openFds();
    const queued: BuildRecord[] = [];
    for (let i = 0; i < 40; i++) queued.push(await startBuild(p, app, NODE_APP));
    for (const build of queued) {
      expect(await firstChunk(p, build)).toBe(`-----> Waiting for another build or change of ${app.name} to finish...\n`);
    }
    // Forty queued builds with a follower each did not leave forty files open (today's code: one each).
    expect((await openFds()) - before).toBeLessThan(20);
    const logs = (await readdir(join(p.dataDir, 'builds', app.id))).filter((file) => file.endsWith('.log'));
    expect(logs).toEqual([`${running.id}.log`]);
    // A follower of a queued build sees the waiting line, then the build's own output once it runs.
    const followed = follow(p, queued[0] as BuildRecord);
    hold.open();
    await p.services.builds.settled();
    const lines = await followed;
    expect(lines.slice(0, 2)).toEqual([`-----> Waiting for another build or change of ${app.name} to finish...`, '-----> Building on the Heroku-24 stack']);
    expect(lines.at(-1)).toBe(`       http://${app.name}.localhost:5000/ deployed to Berth`);
    expect(lines).toEqual(await outputOf(p, queued[0] as BuildRecord));
    expect(p.services.builds.list(app).every((build) => build.status === 'succeeded')).toBe(true);
  });

  it('a queued build cancelled before it ran still leaves its output for a later replay', async () => {
    p = await platform();
    const app = await p.createApp();
    const hold = gate();
    scriptBuildpacks(p.engine, { nodejs: { ...nodejs, compile: () => hold.opened } });
    await startBuild(p, app, NODE_APP);
    const queued = await startBuild(p, app, NODE_APP);
    await p.services.builds.cancel(app, queued.id);
    hold.open();
    await p.services.builds.settled();
    expect(await outputOf(p, queued)).toEqual([
      `-----> Waiting for another build or change of ${app.name} to finish...`,
      ` !     ${cancelledLine(EMAIL)}`,
      '',
      ' !     Push failed',
    ]);
  });
});

describe('build slots across apps (BERTH_BUILDS_CONCURRENCY)', () => {
  it('a third build waits for a slot, says so, and runs once one of the two running builds finishes', async () => {
    p = await platform({ BERTH_BUILDS_CONCURRENCY: '2' });
    const apps = [await p.createApp(), await p.createApp(), await p.createApp()];
    const holds = new Map(apps.map((app) => [app.id, gate()]));
    const compiling: string[] = [];
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: async (step) => {
          const appId = step.exec.container.spec.labels.app ?? '';
          compiling.push(appId);
          await holds.get(appId)?.opened;
        },
      },
    });
    const [a, b, c] = apps as [(typeof apps)[0], (typeof apps)[0], (typeof apps)[0]];
    const first = await startBuild(p, a, NODE_APP);
    await until(() => compiling.length === 1);
    await startBuild(p, b, NODE_APP);
    await until(() => compiling.length === 2);
    const third = await startBuild(p, c, NODE_APP);
    expect(await firstChunk(p, third)).toBe('-----> Waiting for a build slot (2 builds running)...\n');
    // It holds no build container and has not started while both slots are taken.
    expect((await p.engine.listByLabel({ role: 'build' })).length).toBe(2);
    expect(compiling).toEqual([a.id, b.id]);
    expect(p.services.builds.get(c, third.id).status).toBe('pending');

    holds.get(a.id)?.open();
    await until(() => compiling.length === 3);
    expect(compiling).toEqual([a.id, b.id, c.id]);
    expect(p.services.builds.get(a, first.id).status).toBe('succeeded');
    holds.get(b.id)?.open();
    holds.get(c.id)?.open();
    await p.services.builds.settled();
    const output = await outputOf(p, third);
    expect(output.slice(0, 2)).toEqual(['-----> Waiting for a build slot (2 builds running)...', '-----> Building on the Heroku-24 stack']);
    expect(p.services.builds.get(c, third.id).status).toBe('succeeded');
  });

  it('a build cancelled while it waits for a slot fails at once and never runs', async () => {
    p = await platform({ BERTH_BUILDS_CONCURRENCY: '1' });
    const [a, b] = [await p.createApp(), await p.createApp()];
    const hold = gate();
    const compiled: string[] = [];
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: async (step) => {
          compiled.push(step.exec.container.spec.labels.app ?? '');
          await hold.opened;
        },
      },
    });
    await startBuild(p, a, NODE_APP);
    await until(() => compiled.length === 1);
    const waiting = await startBuild(p, b, NODE_APP);
    expect(await firstChunk(p, waiting)).toBe('-----> Waiting for a build slot (1 build running)...\n');
    const cancelled = await p.services.builds.cancel(b, waiting.id);
    expect(cancelled.status).toBe('failed');
    expect(await outputOf(p, waiting)).toEqual([
      '-----> Waiting for a build slot (1 build running)...',
      ` !     ${cancelledLine(EMAIL)}`,
      '',
      ' !     Push failed',
    ]);
    hold.open();
    await p.services.builds.settled();
    expect(compiled).toEqual([a.id]);
    // The slot it waited for is not lost: the next build runs.
    const next = await startBuild(p, b, NODE_APP);
    await p.services.builds.settled();
    expect(p.services.builds.get(b, next.id).status).toBe('succeeded');
  });
});

describe('build container limits', () => {
  async function buildContainerSpec(env: Record<string, string>): Promise<{ memoryBytes?: number; pidsLimit?: number }> {
    p = await platform(env);
    const app = await p.createApp();
    let seen: { memoryBytes?: number; pidsLimit?: number } = {};
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: (step) => {
          const { memoryBytes, pidsLimit } = step.exec.container.spec;
          seen = { memoryBytes, pidsLimit };
        },
      },
    });
    await startBuild(p, app, NODE_APP);
    await p.services.builds.settled();
    return seen;
  }

  it('caps memory at 4096 MiB and processes at 4096 by default', async () => {
    expect(await buildContainerSpec({})).toEqual({ memoryBytes: 4096 * 1024 * 1024, pidsLimit: 4096 });
  });

  it('takes BERTH_BUILD_MEMORY_MB and BERTH_BUILD_PIDS_LIMIT; 0 is no limit', async () => {
    expect(await buildContainerSpec({ BERTH_BUILD_MEMORY_MB: '1024', BERTH_BUILD_PIDS_LIMIT: '300' })).toEqual({ memoryBytes: 1024 * 1024 * 1024, pidsLimit: 300 });
    await p.close();
    expect(await buildContainerSpec({ BERTH_BUILD_MEMORY_MB: '0', BERTH_BUILD_PIDS_LIMIT: '0' })).toEqual({ memoryBytes: undefined, pidsLimit: undefined });
  });
});
