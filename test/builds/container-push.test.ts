// `berth container:push` and image releases through the formation, on the memory engine: a push builds one
// Dockerfile as one type's image and releases nothing; the newest image of a type is what the registry route answers;
// PATCH /formation's docker_image makes a release of those images (`Deployed web (…)`), keeping the other types'
// images, running the release phase of a `release` image; bad input is refused with the releases as they were. And
// what every Dockerfile build gets: the build memory limit (a step killed under it says so) and Berth's
// heroku/heroku:24 tag following a rebuilt stack image.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { BerthError } from '../../src/errors.js';
import { sweepRetention } from '../../src/releases/index.js';
import { buildArgs, findDockerfiles, selectJobs } from '../../src/cli/container.js';
import { build } from '../support/builds.js';
import { platform, RUN_IMAGE, type Platform } from '../support/platform.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WEB = 'FROM heroku/heroku:24\nWORKDIR /srv\nCMD python3 app.py\n';
const RELEASE = 'FROM heroku/heroku:24\nCMD ./migrate\n';

let p: Platform;
let app: AppRecord;

beforeEach(async () => {
  p = await platform();
  const created = await p.createApp();
  app = p.services.apps.update(created.name, { build_stack: 'container' });
});
afterEach(async () => {
  await p.close();
});

async function push(type: string, dockerfile: string, files: Record<string, string>) {
  return build(p, app, files, { containerPush: { type, dockerfile, buildArgs: {} } });
}

function errorOf(run: () => unknown): BerthError {
  try {
    run();
  } catch (error) {
    if (error instanceof BerthError) return error;
    throw error;
  }
  throw new Error('expected a BerthError');
}

describe('a container push', () => {
  it('builds one Dockerfile as the image of its type and releases nothing', async () => {
    const before = p.store.releases.listByApp(app.id).length;
    const { build: done, output } = await push('web', 'sub/Dockerfile.web', { 'sub/Dockerfile.web': WEB, 'app.py': '' });
    expect(done.status, output.join('\n')).toBe('succeeded');
    expect(done.releaseId).toBeNull();
    expect(output).not.toContain('=== Fetching app code');
    expect(output[0]).toBe('=== Building web (sub/Dockerfile.web)');
    expect(output).toContain('=== Pushing web (sub/Dockerfile.web)');
    expect(p.store.releases.listByApp(app.id)).toHaveLength(before);
    const image = p.services.builds.latestImage(p.app(app.name), 'web');
    expect(image).toMatchObject({ command: 'python3 app.py', imageId: expect.stringMatching(/^sha256:/) });
    expect(p.lines(app).some((line) => line.includes('Build started'))).toBe(false);
  });

  it('is refused for an app not on the container stack', async () => {
    const other = await p.createApp();
    const error = errorOf(() =>
      p.services.builds.create(other, {
        source: { kind: 'file', path: '/nothing', url: 'file:///nothing' },
        sourceVersion: null,
        sourceChecksum: null,
        buildpacks: null,
        containerPush: { type: 'web', dockerfile: 'Dockerfile', buildArgs: {} },
      }),
    );
    expect(error.code).toBe('container_stack_required');
  });

  it('of a type with no image yet: the registry route has nothing', () => {
    expect(errorOf(() => p.services.builds.latestImage(p.app(app.name), 'worker')).code).toBe('docker_manifest_unknown');
  });
});

describe('an image release through the formation', () => {
  it('releases the pushed images, runs the release phase, and a later release of web keeps the release image', async () => {
    p.engine.script((spec) => spec.labels.role === 'release', () => 0);
    await push('web', 'Dockerfile.web', { 'Dockerfile.web': WEB });
    await push('release', 'Dockerfile.release', { 'Dockerfile.release': RELEASE });
    const web = p.services.builds.latestImage(p.app(app.name), 'web');
    const migrate = p.services.builds.latestImage(p.app(app.name), 'release');
    const release = p.services.releases.releaseImages(p.app(app.name), [
      { type: 'web', dockerImage: web.imageId },
      { type: 'release', dockerImage: migrate.imageId },
    ]);
    expect(release.status).toBe('pending');
    expect(release.description).toBe(`Deployed web (${web.imageId.slice(7, 19)}), release (${migrate.imageId.slice(7, 19)})`);
    expect(p.app(app.name).stack).toBe('container');
    const done = await p.services.releases.startPhase(release);
    expect(done.status).toBe('succeeded');
    await p.services.events.settled();
    expect(p.store.dynos.formation(app.id).map((f) => [f.type, f.quantity, f.command]).sort()).toEqual([
      ['release', 0, './migrate'],
      ['web', 1, 'python3 app.py'],
    ]);

    await push('web', 'Dockerfile.web', { 'Dockerfile.web': WEB.replace('app.py', 'app2.py') });
    const web2 = p.services.builds.latestImage(p.app(app.name), 'web');
    const second = p.services.releases.releaseImages(p.app(app.name), [{ type: 'web', dockerImage: web2.imageId }]);
    expect(second.description).toBe(`Deployed web (${web2.imageId.slice(7, 19)})`);
    const pinned = p.store.images.get(second.artifact?.id ?? '');
    expect(pinned?.processes['release']?.imageId).toBe(migrate.imageId);
    expect(pinned?.processes['web']?.command).toBe('python3 app2.py');
  });

  it('retention removes an expired release\'s images, but not one a staying release still runs', async () => {
    p.engine.script((spec) => spec.labels.role === 'release', () => 0);
    await push('web', 'Dockerfile.web', { 'Dockerfile.web': WEB });
    await push('release', 'Dockerfile.release', { 'Dockerfile.release': RELEASE });
    const web = p.services.builds.latestImage(p.app(app.name), 'web');
    const migrate = p.services.builds.latestImage(p.app(app.name), 'release');
    await p.services.releases.startPhase(
      p.services.releases.releaseImages(p.app(app.name), [
        { type: 'web', dockerImage: web.imageId },
        { type: 'release', dockerImage: migrate.imageId },
      ]),
    );
    await push('web', 'Dockerfile.web', { 'Dockerfile.web': WEB.replace('app.py', 'app2.py') });
    const web2 = p.services.builds.latestImage(p.app(app.name), 'web');
    await p.services.releases.startPhase(p.services.releases.releaseImages(p.app(app.name), [{ type: 'web', dockerImage: web2.imageId }]));

    const expired = await sweepRetention(p.store, p.engine, { keepReleases: 1, keepDays: 0 }, new Date(Date.now() + 86_400_000));
    expect(expired).toBeGreaterThan(0);
    expect(await p.engine.imageInfo(web.image)).toBeUndefined();
    // The current release still runs the release image it kept from the expired one, and the new web image.
    expect(await p.engine.imageInfo(migrate.image)).toBeDefined();
    expect(await p.engine.imageInfo(web2.image)).toBeDefined();
  });

  it('refuses an image the app never got, a non-container app, and removing every type; the releases stay', async () => {
    await push('web', 'Dockerfile.web', { 'Dockerfile.web': WEB });
    const before = p.store.releases.listByApp(app.id);
    const fresh = p.app(app.name);
    expect(errorOf(() => p.services.releases.releaseImages(fresh, [{ type: 'web', dockerImage: `sha256:${'0'.repeat(64)}` }])).code).toBe('docker_image_not_found');
    const web = p.services.builds.latestImage(fresh, 'web');
    // The web image is not a worker image: a type is released only from its own pushes.
    expect(errorOf(() => p.services.releases.releaseImages(fresh, [{ type: 'worker', dockerImage: web.imageId }])).code).toBe('docker_image_not_found');
    expect(errorOf(() => p.services.releases.releaseImages(fresh, [{ type: 'web', dockerImage: null }])).code).toBe('docker_release_empty');
    const slugApp = await p.createApp();
    expect(errorOf(() => p.services.releases.releaseImages(slugApp, [{ type: 'web', dockerImage: web.imageId }])).code).toBe('container_stack_required');
    expect(p.store.releases.listByApp(app.id)).toEqual(before);
  });
});

describe('the API of container pushes and image releases', () => {
  it('GET /v2/{app}/{type}/manifests/latest answers a schema-2 manifest; PATCH /formation with docker_image releases it', async () => {
    await push('web', 'Dockerfile.web', { 'Dockerfile.web': WEB });
    const manifest = await p.request('GET', `/v2/${app.name}/web/manifests/latest`);
    expect(manifest.status).toBe(200);
    const digest = (manifest.body as { config: { digest: string } }).config.digest;
    expect(manifest.body).toMatchObject({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { digest: expect.stringMatching(/^sha256:/) } });
    expect((await p.request('GET', `/v2/${app.name}/worker/manifests/latest`)).status).toBe(404);

    const patched = await p.request('PATCH', `/apps/${app.name}/formation`, { updates: [{ type: 'web', docker_image: digest }] });
    expect(patched.status).toBe(200);
    expect(p.store.releases.current(app.id)?.description).toBe(`Deployed web (${digest.slice(7, 19)})`);
  });

  it('refuses a docker_image that is no image id, and a container_push of a path outside the source', async () => {
    const bad = await p.request('PATCH', `/apps/${app.name}/formation`, { updates: [{ type: 'web', docker_image: 'web:latest' }] });
    expect(bad.status).toBe(422);
    expect((bad.body as { id: string }).id).toBe('invalid_params');
    const outside = await p.request('POST', `/apps/${app.name}/builds`, {
      source_blob: { url: 'http://127.0.0.1:1/nothing' },
      container_push: { type: 'web', dockerfile: '../Dockerfile' },
    });
    expect(outside.status).toBe(422);
    expect((outside.body as { message: string }).message).toContain('dockerfile');
    const badType = await p.request('POST', `/apps/${app.name}/builds`, {
      source_blob: { url: 'http://127.0.0.1:1/nothing' },
      container_push: { type: 'web worker', dockerfile: 'Dockerfile' },
    });
    expect(badType.status).toBe(422);
  });
});

describe('Dockerfile builds', () => {
  it('a step killed (137) under the build memory limit says it most likely ran out of memory', async () => {
    const { build: done, output } = await push('web', 'Dockerfile', { Dockerfile: 'FROM heroku/heroku:24\nRUN exit 137\nCMD true\n' });
    expect(done.status).toBe('failed');
    expect(output).toContain("The command '/bin/sh -c exit 137' returned a non-zero code: 137");
    expect(output).toContainEqual(expect.stringMatching(/^=!= The build of web was killed, most likely for running out of its \d+ MB of memory \(BERTH_BUILD_MEMORY_MB\)\.$/));
    const other = await push('web', 'Dockerfile', { Dockerfile: 'FROM heroku/heroku:24\nRUN exit 3\nCMD true\n' });
    expect(other.output.join('\n')).not.toContain('most likely for running out');
  });

  it("Berth's heroku/heroku:24 tag follows a rebuilt stack image; one the user loaded is used as it is", async () => {
    p.engine.addImage('heroku/heroku:24', { labels: { 'berth.stack': 'heroku-24' } });
    const stack = await p.engine.imageInfo(RUN_IMAGE);
    await push('web', 'Dockerfile', { Dockerfile: WEB });
    expect((await p.engine.imageInfo('heroku/heroku:24'))?.id).toBe(stack?.id);

    const loaded = p.engine.addImage('heroku/heroku:24', { labels: { vendor: 'heroku' } });
    await push('web', 'Dockerfile', { Dockerfile: WEB });
    expect((await p.engine.imageInfo('heroku/heroku:24'))?.id).toBe(loaded.id);
  });
});

describe('berth container:push finds Dockerfiles as the heroku CLI does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-dockerfiles-'));
  writeFileSync(join(dir, 'Dockerfile'), '');
  writeFileSync(join(dir, 'Dockerfile.web'), '');
  mkdirSync(join(dir, 'worker'));
  writeFileSync(join(dir, 'worker', 'Dockerfile.worker'), '');
  mkdirSync(join(dir, 'deep', 'er'), { recursive: true });
  writeFileSync(join(dir, 'deep', 'er', 'Dockerfile.web'), '');
  const warnings: string[] = [];
  const warn = (text: string) => warnings.push(text);

  it('without --recursive: ./Dockerfile as the one type named', () => {
    expect(selectJobs(findDockerfiles(dir, false), ['web'], false, warn)).toEqual([{ type: 'web', dockerfile: join(dir, 'Dockerfile') }]);
    expect(() => selectJobs(findDockerfiles(dir, false), [], false, warn)).toThrow('Requires either --recursive or one or more process types');
    expect(() => selectJobs(findDockerfiles(dir, false), ['web', 'worker'], false, warn)).toThrow('Requires exactly one target process type, or --recursive option');
  });

  it('with --recursive: each Dockerfile.<type> below, the nearest winning; a missing one warned about', () => {
    expect(selectJobs(findDockerfiles(dir, true), ['web', 'worker', 'clock'], true, warn)).toEqual([
      { type: 'web', dockerfile: join(dir, 'Dockerfile.web') },
      { type: 'worker', dockerfile: join(dir, 'worker', 'Dockerfile.worker') },
    ]);
    expect(warnings).toContain('Dockerfile.clock not found');
    expect(selectJobs(findDockerfiles(dir, true), [], true, warn).map((job) => job.type).sort()).toEqual(['web', 'worker']);
  });

  it('--arg as build args', () => {
    expect(buildArgs('ENV=live,HTTPS=on,EMPTY=')).toEqual({ ENV: 'live', HTTPS: 'on', EMPTY: '' });
    expect(buildArgs(undefined)).toEqual({});
    expect(() => buildArgs('nonsense')).toThrow('--arg nonsense is invalid');
  });
});
