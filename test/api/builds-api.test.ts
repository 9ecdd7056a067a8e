// The Builds, Sources and Slugs API as the heroku CLI's builds plugin drives it, through fastify inject() on the
// memory engine: the fields the CLI reads (status, output_stream_url, source_blob, release, slug, buildpacks).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { cacheVolume } from '../../src/builds/workspace.js';
import { localBuildpack, scriptBuildpacks, sourceTarball } from '../support/build-container.js';
import { API_KEY, platform, type Platform } from '../support/platform.js';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const NODE_APP = { 'package.json': '{}', Procfile: 'web: node server.js\nworker: node worker.js\n' };

interface BuildBody {
  id: string;
  status: string;
  output_stream_url: string;
  release: { id: string } | null;
  slug: { id: string } | null;
  buildpacks: Array<{ url: string; name: string }> | null;
  source_blob: { url: string; version: string | null; checksum: string | null; version_description: string | null };
}

let p: Platform;
let app: AppRecord;

beforeEach(async () => {
  p = await platform();
  app = await p.createApp();
  scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js', release: 'default_process_types:\n  web: npm start\n' }, python: { detect: false } });
});
afterEach(async () => {
  await p.close();
});

/** POST /sources, then the PUT to put_url the CLI sends with no auth and `Content-Type: ''`. */
async function upload(files: Record<string, string>): Promise<string> {
  const created = await p.request('POST', '/sources');
  expect(created.status).toBe(201);
  const blob = (created.body as { source_blob: { get_url: string; put_url: string } }).source_blob;
  expect(blob.get_url).toBe(blob.put_url);
  const put = await p.api.inject({ method: 'PUT', url: new URL(blob.put_url).pathname, headers: { 'content-type': '' }, payload: await sourceTarball(files) });
  expect(put.statusCode).toBe(200);
  return blob.get_url;
}

async function createBuild(body: Record<string, unknown>): Promise<BuildBody> {
  const response = await p.request('POST', `/apps/${app.name}/builds`, body);
  expect(response.status, response.text).toBe(201);
  return response.body as BuildBody;
}

async function stream(url: string): Promise<{ status: number; text: string }> {
  const response = await p.api.inject({ method: 'GET', url: new URL(url).pathname });
  return { status: response.statusCode, text: response.body };
}

describe('POST /apps/{app}/builds', () => {
  it('answers 201, pending, with the fields the CLI reads', async () => {
    const url = await upload(NODE_APP);
    const build = await createBuild({ source_blob: { url, version: 'a1b2c3d4e5f6' } });
    expect(build).toMatchObject({
      app: { id: app.id },
      status: 'pending',
      release: null,
      slug: null,
      buildpacks: null,
      stack: 'heroku-24',
      source_blob: { url, version: 'a1b2c3d4e5f6', checksum: null, version_description: null },
      user: { email: 'dev@example.test' },
    });
    expect(build.id).toMatch(ID);
    expect((build as unknown as { created_at: string }).created_at).toMatch(TIME);
    expect(build.output_stream_url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:5100/streams/builds/${build.id}/[0-9a-f]{48}$`));
  });

  it('the output stream has the whole build; the finished build links its release and slug', async () => {
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP), version: 'a1b2c3d4e5f6' } });
    const output = await stream(build.output_stream_url);
    expect(output.status).toBe(200);
    expect(output.text).toContain('-----> Node.js app detected\n');
    expect(output.text).toContain('       Released v3\n');
    await p.services.builds.settled();
    const done = (await p.request('GET', `/apps/${app.name}/builds/${build.id}`)).body as BuildBody;
    expect(done.status).toBe('succeeded');
    expect(done.release?.id).toMatch(ID);
    expect(done.slug?.id).toMatch(ID);
    expect(done.buildpacks).toEqual([{ url: 'heroku/nodejs', name: 'heroku/nodejs' }]);
    const release = (await p.request('GET', `/apps/${app.name}/releases/3`)).body;
    expect(release).toMatchObject({ id: done.release?.id, description: 'Deploy a1b2c3d4', slug: { id: done.slug?.id }, current: true });
  });

  it('a follower that comes mid-build gets what was printed, then the rest live, and the stream ends with the build', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const inCompile = new Promise<void>((resolve) => (reached = resolve));
    scriptBuildpacks(p.engine, {
      nodejs: {
        detect: 'Node.js',
        compile: async (step) => {
          step.print('-----> before the follower');
          reached();
          await held;
          step.print('-----> after the follower');
        },
      },
    });
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP) } });
    await inCompile;
    const following = stream(build.output_stream_url);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const { text } = await following;
    expect(text.indexOf('-----> before the follower')).toBeGreaterThan(-1);
    expect(text.indexOf('-----> after the follower')).toBeGreaterThan(text.indexOf('-----> before the follower'));
    expect(text.endsWith('deployed to Berth\n')).toBe(true);
  });

  it('GET /apps/{app} after a deploy: slug_size, buildpack_provided_description and released_at (apps:info)', async () => {
    const before = (await p.request('GET', `/apps/${app.name}`)).body as Record<string, unknown>;
    expect(before).toMatchObject({ slug_size: null, buildpack_provided_description: null });
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP) } });
    await p.services.builds.settled();
    const done = (await p.request('GET', `/apps/${app.name}/builds/${build.id}`)).body as BuildBody;
    const slug = (await p.request('GET', `/apps/${app.name}/slugs/${done.slug?.id}`)).body as { size: number };
    const after = (await p.request('GET', `/apps/${app.name}`)).body as Record<string, unknown>;
    expect(after).toMatchObject({ slug_size: slug.size, buildpack_provided_description: 'Node.js' });
    expect(after['released_at']).toMatch(TIME);
  });

  it('a failed build leaves the app’s slug_size and description as they were', async () => {
    scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js', compile: () => 1 } });
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP) } });
    await p.services.builds.settled();
    expect(((await p.request('GET', `/apps/${app.name}/builds/${build.id}`)).body as BuildBody).status).toBe('failed');
    expect((await p.request('GET', `/apps/${app.name}`)).body).toMatchObject({ slug_size: null, buildpack_provided_description: null });
  });

  it('an output stream with the wrong secret is a 404', async () => {
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP) } });
    const response = await stream(build.output_stream_url.replace(/[0-9a-f]{48}$/, '0'.repeat(48)));
    expect(response.status).toBe(404);
    await p.services.builds.settled();
  });

  it('takes buildpacks as the CLI sends them ({url} or {name}) and shows them on the build', async () => {
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP) }, buildpacks: [{ url: 'heroku/nodejs' }, { name: 'heroku/python' }] });
    expect(build.buildpacks).toEqual([
      { url: 'heroku/nodejs', name: 'heroku/nodejs' },
      { url: 'heroku/python', name: 'heroku/python' },
    ]);
    await p.services.builds.settled();
  });

  it('a local buildpack path is used as given and named by its path', async () => {
    const dir = await localBuildpack(p.dataDir, 'my-nodejs');
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP) }, buildpacks: [{ url: dir }] });
    const output = await stream(build.output_stream_url);
    expect(output.text).toContain(`-----> Using buildpack: ${dir}\n`);
    await p.services.builds.settled();
    expect(((await p.request('GET', `/apps/${app.name}/builds/${build.id}`)).body as BuildBody).status).toBe('succeeded');
  });

  it('an empty version (no git repo) is null', async () => {
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP), version: '' } });
    expect(build.source_blob.version).toBeNull();
    await p.services.builds.settled();
  });

  it('a source blob that was never uploaded fails the build, saying so', async () => {
    const created = (await p.request('POST', '/sources')).body as { source_blob: { get_url: string } };
    const build = await createBuild({ source_blob: { url: created.source_blob.get_url } });
    const output = await stream(build.output_stream_url);
    expect(output.text).toContain(` !     The source blob ${created.source_blob.get_url} does not exist or was never uploaded.\n`);
    await p.services.builds.settled();
    expect(((await p.request('GET', `/apps/${app.name}/builds/${build.id}`)).body as BuildBody).status).toBe('failed');
  });
});

describe('reading builds and slugs', () => {
  it('GET /builds lists the app’s builds; a build of another app is a 404 in Heroku’s shape', async () => {
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP) } });
    await p.services.builds.settled();
    const list = (await p.request('GET', `/apps/${app.name}/builds`)).body as BuildBody[];
    expect(list.map((b) => b.id)).toEqual([build.id]);
    const other = await p.createApp();
    const missing = await p.request('GET', `/apps/${other.name}/builds/${build.id}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ id: 'not_found', resource: 'build' });
  });

  it('GET /builds followed by Next-Range, as the CLI does, lists every build once (several share a second)', async () => {
    for (let i = 0; i < 3; i++) await createBuild({ source_blob: { url: await upload(NODE_APP) } });
    await p.services.builds.settled();
    const ids: string[] = [];
    let range: string | undefined = 'created_at ..; max=1';
    for (let pages = 0; range !== undefined && pages < 10; pages++) {
      const page: { statusCode: number; headers: Record<string, unknown>; body: string } = await p.api.inject({
        method: 'GET',
        url: `/apps/${app.name}/builds`,
        headers: { authorization: `Bearer ${API_KEY}`, accept: 'application/vnd.heroku+json; version=3', range },
      });
      expect(page.statusCode).toBe(page.headers['next-range'] === undefined ? 200 : 206);
      ids.push(...(JSON.parse(page.body) as BuildBody[]).map((b) => b.id));
      range = page.headers['next-range'] === undefined ? undefined : String(page.headers['next-range']);
    }
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });

  it('GET /slugs/{id}: process types, checksum, size, commit, stack, description, blob', async () => {
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP), version: 'a1b2c3d4e5f6' } });
    await p.services.builds.settled();
    const done = (await p.request('GET', `/apps/${app.name}/builds/${build.id}`)).body as BuildBody;
    const slug = (await p.request('GET', `/apps/${app.name}/slugs/${done.slug?.id}`)).body as Record<string, unknown>;
    expect(slug).toMatchObject({
      id: done.slug?.id,
      process_types: { web: 'node server.js', worker: 'node worker.js' },
      commit: 'a1b2c3d4e5f6',
      stack: { name: 'heroku-24' },
      buildpack_provided_description: 'Node.js',
      blob: { method: 'get' },
    });
    expect(slug['checksum']).toMatch(/^SHA256:[0-9a-f]{64}$/);
    expect(slug['size']).toBeGreaterThan(0);
  });

  it('a slug id that is not the app’s is a 404', async () => {
    const response = await p.request('GET', `/apps/${app.name}/slugs/00000000-0000-4000-8000-000000000000`);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ id: 'not_found', resource: 'slug' });
  });
});

describe('buildpack installations and the build cache', () => {
  it('PUT sets the app’s buildpacks in order; GET answers them with ordinals', async () => {
    const put = await p.request('PUT', `/apps/${app.name}/buildpack-installations`, { updates: [{ buildpack: 'heroku/python' }, { buildpack: 'heroku/nodejs' }] });
    expect(put.status).toBe(200);
    const expected = [
      { buildpack: { url: 'heroku/python', name: 'heroku/python' }, ordinal: 0 },
      { buildpack: { url: 'heroku/nodejs', name: 'heroku/nodejs' }, ordinal: 1 },
    ];
    expect(put.body).toEqual(expected);
    expect((await p.request('GET', `/apps/${app.name}/buildpack-installations`)).body).toEqual(expected);
  });

  it('a build without buildpacks uses the installations, and shows them', async () => {
    await p.request('PUT', `/apps/${app.name}/buildpack-installations`, { updates: [{ buildpack: 'heroku/nodejs' }] });
    const build = await createBuild({ source_blob: { url: await upload(NODE_APP) } });
    expect(build.buildpacks).toEqual([{ url: 'heroku/nodejs', name: 'heroku/nodejs' }]);
    await p.services.builds.settled();
  });

  it('DELETE /build-cache answers 202 and removes the app’s cache volume', async () => {
    await createBuild({ source_blob: { url: await upload(NODE_APP) } });
    await p.services.builds.settled();
    expect(await p.engine.listVolumes([`berth.app=${app.id}`])).toEqual([cacheVolume(app.id)]);
    const response = await p.request('DELETE', `/apps/${app.name}/build-cache`);
    expect(response.status).toBe(202);
    expect(await p.engine.listVolumes([`berth.app=${app.id}`])).toEqual([]);
  });

  it('sources need the API key to create; their blob URLs need none but the secret', async () => {
    const unauthorised = await p.api.inject({ method: 'POST', url: '/sources' });
    expect(unauthorised.statusCode).toBe(401);
    const url = await upload(NODE_APP);
    const get = await p.api.inject({ method: 'GET', url: new URL(url).pathname });
    expect(get.statusCode).toBe(200);
    expect(get.rawPayload.equals(await sourceTarball(NODE_APP))).toBe(true);
    const wrong = await p.api.inject({ method: 'GET', url: new URL(url).pathname.replace(/[^/]+$/, 'nope') });
    expect(wrong.statusCode).toBe(404);
  });
});
