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

const OUTPUT_MAX_BYTES = 1024 * 1024;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { BERTH_OUTPUT_MAX_BYTES: String(OUTPUT_MAX_BYTES) } });
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

describe('build output is capped (BERTH_OUTPUT_MAX_BYTES)', () => {
  it('a build printing 3 MiB keeps 1 MiB, a notice, and the platform lines after it', async () => {
    const buildpack = await mkdtemp(join(daemon.rootDir, 'loud-bp-'));
    await mkdir(join(buildpack, 'bin'));
    const scripts: Record<string, string> = {
      detect: '#!/usr/bin/env bash\necho Loud\n',
      compile: '#!/usr/bin/env bash\nhead -c 3145728 /dev/zero | tr "\\0" x | fold -w 99\nprintf "#!/bin/sh\\necho serving\\n" > "$1/serve"; chmod +x "$1/serve"\n',
      release: "#!/usr/bin/env bash\nprintf 'default_process_types:\\n  web: ./serve\\n'\n",
    };
    for (const [name, text] of Object.entries(scripts)) {
      await writeFile(join(buildpack, 'bin', name), text);
      await chmod(join(buildpack, 'bin', name), 0o755);
    }
    const run = await buildDirectory(daemon, app.name, await source({}), { buildpacks: [{ url: buildpack }] });
    if (run.build.status !== 'succeeded') throw new Error(`build ${run.build.status}:\n${run.output.slice(-4000)}`);
    expect(Buffer.byteLength(run.output)).toBeLessThan(OUTPUT_MAX_BYTES + 4096);
    expect(run.lines).toContain(' !     Output truncated after 1 MiB (BERTH_OUTPUT_MAX_BYTES); the rest is not kept.');
    expect(run.lines.some((line) => /^ {7}Released v\d+$/.test(line))).toBe(true);
  });
});
