// issue 11, item 3: what a build reads into the daemon's memory has a cap (1 MiB): a huge Procfile, `.buildpacks`
// or bin/detect output fails the build with a clear line instead of growing the daemon. `.buildpacks` written by
// whoever pushes may not name paths on this machine.
import { chmod, cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDirectory, createApp, fixture, type AppJson, type BuildRun } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';

let daemon: TestDaemon;
let app: AppJson;
let counter = 0;

async function source(extra: Readonly<Record<string, string>>): Promise<string> {
  counter += 1;
  const dir = join(daemon.rootDir, `src-${counter}`);
  await cp(fixture('python-stdlib'), dir, { recursive: true });
  for (const [file, content] of Object.entries(extra)) await writeFile(join(dir, file), content);
  return dir;
}

function expectFailedWith(run: BuildRun, line: string): void {
  if (run.build.status !== 'failed') throw new Error(`build ${run.build.status}, expected failed:\n${run.output.slice(-4000)}`);
  expect(run.lines).toContain(line);
  expect(run.lines.filter((l) => l !== '').at(-1)).toBe(' !     Push failed');
}

/** 2 MiB of comment lines: valid, and twice the cap. */
const HUGE = `${'# padding padding padding padding padding padding padding padding padding padding padding padding\n'.repeat(21_000)}`;

beforeAll(async () => {
  daemon = await startTestDaemon();
  app = await createApp(daemon, 'caps');
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('build captures are capped at 1 MiB', () => {
  it('a 2 MiB Procfile fails the build', async () => {
    const run = await buildDirectory(daemon, app.name, await source({ Procfile: `${HUGE}web: python3 web.py\n` }));
    expectFailedWith(run, ' !     The Procfile is too large: a build reads at most 1 MiB of it.');
  });

  it('a 2 MiB .buildpacks fails the build', async () => {
    const run = await buildDirectory(daemon, app.name, await source({ '.buildpacks': `${HUGE}heroku/python\n` }));
    expectFailedWith(run, ' !     The .buildpacks file is too large: a build reads at most 1 MiB of it.');
  });

  it('bin/detect printing 2 MiB fails the build', async () => {
    const buildpack = await mkdtemp(join(daemon.rootDir, 'chatty-bp-'));
    await mkdir(join(buildpack, 'bin'));
    await writeFile(join(buildpack, 'bin', 'detect'), '#!/usr/bin/env bash\nhead -c 2097152 /dev/zero | tr "\\0" x\necho\n');
    await writeFile(join(buildpack, 'bin', 'compile'), '#!/usr/bin/env bash\nexit 0\n');
    await chmod(join(buildpack, 'bin', 'detect'), 0o755);
    await chmod(join(buildpack, 'bin', 'compile'), 0o755);
    const run = await buildDirectory(daemon, app.name, await source({}), { buildpacks: [{ url: buildpack }] });
    expectFailedWith(run, ` !     The output of ${buildpack}'s bin/detect is too large: a build reads at most 1 MiB of it.`);
  });

  it('.buildpacks naming a path on this machine fails the build', async () => {
    const run = await buildDirectory(daemon, app.name, await source({ '.buildpacks': '/etc\n' }));
    expectFailedWith(
      run,
      ' !     Buildpack /etc in .buildpacks is not allowed: a source may not name a path or file:// URL on this machine. Name heroku/nodejs, heroku/python or a remote URL.',
    );
  });
});
