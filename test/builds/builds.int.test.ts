// The Builds API end to end on the real engine, through a real daemon (a child process): every fixture built,
// Heroku's output asserted line by line, slugs, releases, the cache, failures, bad input and cleanup.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort, startTestDaemon, type TestDaemon } from '../support/daemon.js';
import {
  api,
  ApiError,
  appLogLines,
  buildDirectory,
  containersWithLabels,
  craftTarball,
  docker,
  createApp,
  createBuild,
  expectLinesInOrder,
  fakeCommit,
  fixture,
  followBuild,
  imageExists,
  outputLines,
  runBuild,
  sha256,
  slugEntries,
  slugFile,
  slugPath,
  tarDirectory,
  uploadSource,
  volumeExists,
  waitFor,
  type AppJson,
  type BuildRun,
  type ReleaseJson,
  type SlugJson,
} from '../support/build.js';

// Small enough that a test can go over it, large enough for every fixture.
const SOURCE_MAX_BYTES = 1024 * 1024;

let daemon: TestDaemon;
let scratch: string;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { BERTH_SOURCE_MAX_BYTES: String(SOURCE_MAX_BYTES) } });
  scratch = await mkdtemp(join(daemon.rootDir, 'scratch-'));
});

afterAll(async () => {
  // The daemon's own log, for when something here fails.
  if (!daemon) return;
  const pid = daemon.pid();
  const exit = await daemon.stop();
  await writeFile(join(tmpdir(), 'berth-builds-int-daemon.log'), `${daemon.output()}\n[pid ${pid} exit ${JSON.stringify(exit)}]\n`);
  await daemon.dispose();
});

const releases = (app: string) => api<ReleaseJson[]>(daemon, 'GET', `/apps/${app}/releases`);
const slugOf = (app: string, id: string) => api<SlugJson>(daemon, 'GET', `/apps/${app}/slugs/${id}`);

function expectSucceeded(run: BuildRun): void {
  if (run.build.status !== 'succeeded') throw new Error(`build ${run.build.status}, expected succeeded:\n${run.output}`);
}

function expectFailed(run: BuildRun): void {
  if (run.build.status !== 'failed') throw new Error(`build ${run.build.status}, expected failed:\n${run.output}`);
  expect(run.build.release).toBeNull();
  expect(run.build.slug).toBeNull();
  expect(run.lines.filter((line) => line !== '').at(-1)).toBe(' !     Push failed');
}

let dirCounter = 0;

/** A directory of files (path → content; a content starting with `#!` is made executable). */
async function makeDir(files: Readonly<Record<string, string>>): Promise<string> {
  dirCounter += 1;
  const dir = join(scratch, `dir-${dirCounter}`);
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, content);
    if (content.startsWith('#!')) await chmod(file, 0o755);
  }
  return dir;
}

/**
 * A tiny classic buildpack that needs no network: detects `Custom`, says whether its cache held a marker, sleeps as
 * long as the app's `sleep` file says, and releases `web: ./serve` as its default process type.
 */
function customBuildpack(overrides: Readonly<Record<string, string>> = {}): Promise<string> {
  return makeDir({
    'bin/detect': '#!/usr/bin/env bash\necho Custom\n',
    'bin/compile': [
      '#!/usr/bin/env bash',
      'set -eu',
      'build=$1 cache=$2 env=$3',
      'echo "-----> Custom compile ran"',
      'if [ -f "$cache/custom-marker" ]; then echo "       custom cache restored"; else echo "       custom cache empty"; fi',
      'touch "$cache/custom-marker"',
      'if [ -f "$env/GREETING" ]; then echo "       GREETING=$(cat "$env/GREETING")"; fi',
      'if [ -f "$build/sleep" ]; then sleep "$(cat "$build/sleep")"; fi',
      'printf "#!/bin/sh\\necho serving\\n" > "$build/serve"; chmod +x "$build/serve"',
      '',
    ].join('\n'),
    'bin/release': "#!/usr/bin/env bash\nprintf 'default_process_types:\\n  web: ./serve\\n'\n",
    ...overrides,
  });
}

describe('fixtures built on the real engine', () => {
  let basic: AppJson;
  let basicRun: BuildRun;
  const basicCommit = fakeCommit('node-basic');

  it('node-basic: succeeds with Heroku output, a v3 Deploy release pinning its slug, the slug tgz, image and app[api] lines', async () => {
    basic = await createApp(daemon, 'basic');
    basicRun = await buildDirectory(daemon, basic.name, fixture('node-basic'), { version: basicCommit });
    // The CLI follows output_stream_url the moment the build is created; the rest is checked either way.
    expect.soft(basicRun.streamError).toBeUndefined();
    expectSucceeded(basicRun);
    expectLinesInOrder(basicRun.lines, [
      '-----> Building on the Heroku-24 stack',
      '-----> Determining which buildpack to use for this app',
      '-----> Node.js app detected',
      '-----> Discovering process types',
      '       Procfile declares types -> web',
      '-----> Compressing...',
      /^ {7}Done: \d+(\.\d)?M$/,
      '-----> Launching...',
      '       Released v3',
      `       http://${basic.name}.localhost:${daemon.ports.router}/ deployed to Berth`,
    ]);
    expect(basicRun.lines[0]).toBe('-----> Building on the Heroku-24 stack');

    const { build } = basicRun;
    expect(build.release?.id).toBeTruthy();
    expect(build.slug?.id).toBeTruthy();
    expect(build.buildpacks).toEqual([{ url: 'heroku/nodejs', name: 'heroku/nodejs' }]);
    expect(build.source_blob.version).toBe(basicCommit);

    const list = await releases(basic.name);
    expect(list.map((r) => r.version)).toEqual([1, 2, 3]);
    const v3 = list[2] as ReleaseJson;
    expect(v3.description).toBe(`Deploy ${basicCommit.slice(0, 8)}`);
    expect(v3.description).toMatch(/^Deploy [0-9a-f]{8}$/);
    expect(v3.id).toBe(build.release?.id);
    expect(v3.slug?.id).toBe(build.slug?.id);
    expect(v3.current).toBe(true);

    const slug = await slugOf(basic.name, build.slug?.id ?? '');
    expect(slug.process_types).toEqual({ web: 'node server.js' });
    expect(slug.checksum).toMatch(/^SHA256:[0-9a-f]{64}$/);
    expect(slug.stack.name).toBe('heroku-24');
    expect(slug.commit).toBe(basicCommit);
    expect(slug.buildpack_provided_description).toBe('Node.js');

    const tgz = slugPath(daemon, basic.id, slug.id);
    const entries = await slugEntries(tgz);
    expect(entries).toContain('./app/server.js');
    expect(entries).toContain('./app/Procfile');
    expect(entries.every((entry) => entry.startsWith('./app/') || entry === './app')).toBe(true);
    expect(entries.filter((entry) => /(^|\/)\.git(\/|$)/.test(entry))).toEqual([]);
    expect(entries.some((entry) => entry.startsWith('./app/.heroku/node/bin/node'))).toBe(true);
    expect(entries.some((entry) => entry.startsWith('./app/.profile.d/'))).toBe(true);

    expect(await imageExists(`berth/slug:${slug.id}`)).toBe(true);
    const labels = JSON.parse(await docker(['image', 'inspect', `berth/slug:${slug.id}`, '--format', '{{json .Config.Labels}}'])) as Record<string, string>;
    expect(labels['berth.app']).toBe(basic.id);
    expect(labels['berth.slug']).toBe(slug.id);
    // The build container does not outlive its build (it is removed while the new release boots).
    await waitFor('the build container to be removed', async () => (await containersWithLabels({ 'berth.app': basic.id, 'berth.role': 'build' })).length === 0, 60_000);

    const apiLines = appLogLines(daemon, basic.id)
      .filter((row) => row.source === 'app' && row.dyno === 'api')
      .map((row) => row.message);
    const email = 'developer@berth.localhost';
    expectLinesInOrder(apiLines, [
      `Build started by user ${email}`,
      new RegExp(`^Deploy ${basicCommit.slice(0, 8)} by user ${email.replace(/\./g, '\\.')}$`),
      `Release v3 created by user ${email}`,
      'Build succeeded',
    ]);
  });

  it('the output stream answers at once after POST /builds, for every build, and replays after the end', async () => {
    // Builds that fail fast (no buildpack detects) so the stream is followed from its very first byte many times.
    const app = await createApp(daemon, 'stream');
    const url = await uploadSource(daemon, await tarDirectory(fixture('no-buildpack')));
    const failures: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const run = await runBuild(daemon, app.name, url);
      if (run.streamError) failures.push(run.streamError);
      expect(run.output).toContain('No default language could be detected for this app.');
      const replay = await fetch(run.build.output_stream_url);
      expect(replay.status).toBe(200);
      expect(await replay.text()).toBe(run.output);
    }
    expect(failures).toEqual([]);
  });

  it('build-fails on an app with a release: buildpack output, then the Node.js failure lines; v3 and its slug untouched', async () => {
    const before = await releases(basic.name);
    const run = await buildDirectory(daemon, basic.name, fixture('build-fails'), { version: fakeCommit('build-fails') });
    expectFailed(run);
    expectLinesInOrder(run.lines, [
      '-----> Building on the Heroku-24 stack',
      '-----> Node.js app detected',
      /build-fails: deliberate build failure \(fixture\)/,
      ' !     Push rejected, failed to compile Node.js app.',
      ' !     Push failed',
    ]);
    expect(run.output).not.toContain('-----> Launching...');
    const after = await releases(basic.name);
    expect(after).toEqual(before);
    expect(after.find((r) => r.current)?.version).toBe(3);
    const app = await api<{ slug_size: number | null }>(daemon, 'GET', `/apps/${basic.name}`);
    expect(app.slug_size).toBeGreaterThan(0);
    expect(existsSync(slugPath(daemon, basic.id, basicRun.build.slug?.id ?? ''))).toBe(true);
    expect(await imageExists(`berth/slug:${basicRun.build.slug?.id}`)).toBe(true);
    const slugFiles = await readdir(join(daemon.dataDir, 'slugs', basic.id));
    expect(slugFiles).toEqual([`${basicRun.build.slug?.id}.tgz`]);
    const apiLines = appLogLines(daemon, basic.id).map((row) => row.message);
    expect(apiLines.at(-1)).toMatch(/^Build failed -- check your build output: http:\/\/127\.0\.0\.1:\d+\/streams\/builds\//);
  });

  it('explicit buildpacks [heroku/python] on a Node.js app: App not compatible with buildpack', async () => {
    const run = await buildDirectory(daemon, basic.name, fixture('node-basic'), { buildpacks: [{ url: 'heroku/python' }] });
    expectFailed(run);
    expectLinesInOrder(run.lines, [
      '-----> Building on the Heroku-24 stack',
      '-----> Using buildpack: heroku/python',
      '-----> App not compatible with buildpack: heroku/python',
      ' !     Push failed',
    ]);
    expect((await releases(basic.name)).length).toBe(3);
  });

  describe('node-npm-deps and the build cache', () => {
    let app: AppJson;
    let url: string;

    it('first build: ms in the slug, the kleur devDependency pruned, nothing restored from the cache', async () => {
      app = await createApp(daemon, 'deps');
      url = await uploadSource(daemon, await tarDirectory(fixture('node-npm-deps')));
      const run = await runBuild(daemon, app.name, url, { version: fakeCommit('deps-1') });
      expectSucceeded(run);
      expectLinesInOrder(run.lines, ['-----> Node.js app detected', '-----> Restoring cache', '       - npm cache (not cached - skipping)', '-----> Caching build', '       - npm cache']);
      const slug = await slugOf(app.name, run.build.slug?.id ?? '');
      expect(slug.process_types).toEqual({ web: 'npm start' });
      const entries = await slugEntries(slugPath(daemon, app.id, slug.id));
      expect(entries).toContain('./app/node_modules/ms/package.json');
      expect(entries.filter((entry) => entry.includes('node_modules/kleur'))).toEqual([]);
      expect(await volumeExists(`berth-cache-${app.id}`)).toBe(true);
    });

    it('second build restores the npm cache (asserted from the output)', async () => {
      const run = await runBuild(daemon, app.name, url, { version: fakeCommit('deps-2') });
      expectSucceeded(run);
      const [restoring = -1] = expectLinesInOrder(run.lines, ['-----> Restoring cache', '       - npm cache', '-----> Installing dependencies']);
      expect(run.lines.slice(restoring).find((line) => line.includes('npm cache'))).toBe('       - npm cache');
      expect(run.output).not.toContain('not cached - skipping');
      expect(run.lines).toContain('       Released v4');
    });

    it('DELETE build-cache, then a rebuild shows the cache was not restored', async () => {
      const response = await fetch(`${daemon.apiUrl}/apps/${app.name}/build-cache`, {
        method: 'DELETE',
        headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${daemon.apiKey}` },
      });
      expect(response.status).toBe(202);
      expect(await volumeExists(`berth-cache-${app.id}`)).toBe(false);
      const run = await runBuild(daemon, app.name, url, { version: fakeCommit('deps-3') });
      expectSucceeded(run);
      expectLinesInOrder(run.lines, ['-----> Restoring cache', '       - npm cache (not cached - skipping)']);
    });
  });

  it('python-stdlib: Python detected, a venv in the slug, web from the Procfile', async () => {
    const app = await createApp(daemon, 'py');
    const run = await buildDirectory(daemon, app.name, fixture('python-stdlib'), { version: fakeCommit('py') });
    expectSucceeded(run);
    expectLinesInOrder(run.lines, [
      '-----> Building on the Heroku-24 stack',
      '-----> Determining which buildpack to use for this app',
      '-----> Python app detected',
      '-----> Discovering process types',
      '       Procfile declares types -> web',
      '-----> Compressing...',
      /^ {7}Done: /,
      '-----> Launching...',
      '       Released v3',
    ]);
    // The Node.js buildpack, tried first, said no: its reason is not the app's business (Heroku shows none).
    expect(run.output).not.toContain('no package.json');
    const slug = await slugOf(app.name, run.build.slug?.id ?? '');
    expect(slug.process_types).toEqual({ web: 'python app.py' });
    expect(slug.buildpack_provided_description).toBe('Python');
    const entries = await slugEntries(slugPath(daemon, app.id, slug.id));
    expect(entries).toContain('./app/app.py');
    expect(entries.some((entry) => entry.startsWith('./app/.heroku/python/'))).toBe(true);
  });

  it('multi-buildpack: .buildpacks lists both, both detected and compiled in order', async () => {
    const app = await createApp(daemon, 'multi');
    const run = await buildDirectory(daemon, app.name, fixture('multi-buildpack'), { version: fakeCommit('multi') });
    expectSucceeded(run);
    expectLinesInOrder(run.lines, [
      '-----> Building on the Heroku-24 stack',
      '-----> Using buildpacks:',
      '       1. heroku/nodejs',
      '       2. heroku/python',
      '-----> Node.js app detected',
      '-----> Python app detected',
      '-----> Discovering process types',
      '-----> Compressing...',
      '       Released v3',
    ]);
    expect(run.output).not.toContain('Determining which buildpack to use');
    expect(run.build.buildpacks?.map((bp) => bp.name)).toEqual(['heroku/nodejs', 'heroku/python']);
    const slug = await slugOf(app.name, run.build.slug?.id ?? '');
    expect(slug.buildpack_provided_description).toBe('Python');
    const entries = await slugEntries(slugPath(daemon, app.id, slug.id));
    expect(entries.some((entry) => entry.startsWith('./app/.heroku/node/'))).toBe(true);
    expect(entries.some((entry) => entry.startsWith('./app/.heroku/python/'))).toBe(true);
  });

  it('no-buildpack: Heroku\'s "No default language could be detected" failure', async () => {
    const app = await createApp(daemon, 'nolang');
    const run = await buildDirectory(daemon, app.name, fixture('no-buildpack'));
    expectFailed(run);
    expectLinesInOrder(run.lines, [
      '-----> Building on the Heroku-24 stack',
      '-----> Determining which buildpack to use for this app',
      ' !     No default language could be detected for this app.',
      /HINT: This occurs when Heroku cannot detect the buildpack to use for this application automatically\./,
      /See https:\/\/devcenter\.heroku\.com\/articles\/buildpacks/,
      ' !     Push failed',
    ]);
    expect((await releases(app.name)).length).toBe(2);
  });
});

describe('buildpack references', () => {
  it('a local buildpack without bin/compile: a clear error', async () => {
    const app = await createApp(daemon, 'nocompile');
    const buildpack = await makeDir({ 'bin/detect': '#!/usr/bin/env bash\necho Custom\n' });
    const run = await buildDirectory(daemon, app.name, await makeDir({ 'hello.txt': 'hi\n' }), { buildpacks: [{ url: buildpack }] });
    expectFailed(run);
    expect(run.output).toContain(` !     Buildpack ${buildpack} has no bin/compile; it is not a classic Heroku buildpack.`);
  });

  it('a local buildpack whose bin/compile is not executable: a clear error', async () => {
    const app = await createApp(daemon, 'noexec');
    const buildpack = await customBuildpack({ 'bin/compile': 'echo never runs\n' });
    const run = await buildDirectory(daemon, app.name, await makeDir({ 'hello.txt': 'hi\n' }), { buildpacks: [{ url: buildpack }] });
    expectFailed(run);
    expect(run.output).toContain(` !     Buildpack ${buildpack}: bin/compile is not executable (chmod +x bin/compile).`);
  });

  it('a local buildpack works, with its default process types and file:// too', async () => {
    const app = await createApp(daemon, 'custom');
    const buildpack = await customBuildpack();
    const source = await makeDir({ 'hello.txt': 'hi\n' });
    const run = await buildDirectory(daemon, app.name, source, { buildpacks: [{ url: `file://${buildpack}` }] });
    expectSucceeded(run);
    expectLinesInOrder(run.lines, [
      `-----> Using buildpack: file://${buildpack}`,
      '-----> Custom app detected',
      '-----> Custom compile ran',
      '       custom cache empty',
      '-----> Discovering process types',
      '       Procfile declares types -> (none)',
      '       Default types for buildpack -> web',
      '       Released v3',
    ]);
    const slug = await slugOf(app.name, run.build.slug?.id ?? '');
    expect(slug.process_types).toEqual({ web: './serve' });
  });

  it('BUILDPACK_URL config var is honoured', async () => {
    const app = await createApp(daemon, 'bpurl');
    const buildpack = await customBuildpack();
    await api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, { BUILDPACK_URL: buildpack, GREETING: 'hello-from-config' });
    const run = await buildDirectory(daemon, app.name, await makeDir({ 'hello.txt': 'hi\n' }));
    expectSucceeded(run);
    expectLinesInOrder(run.lines, [`-----> Using buildpack: ${buildpack}`, '-----> Custom app detected', '-----> Custom compile ran', '       GREETING=hello-from-config']);
    expect(run.output).not.toContain('Determining which buildpack');
  });

  it('buildpack-installations PUT/GET, honoured by the next build', async () => {
    const app = await createApp(daemon, 'bpinst');
    const buildpack = await customBuildpack();
    const put = await api<unknown[]>(daemon, 'PUT', `/apps/${app.name}/buildpack-installations`, { updates: [{ buildpack }] });
    expect(put).toEqual([{ buildpack: { url: buildpack, name: buildpack }, ordinal: 0 }]);
    const got = await api<unknown[]>(daemon, 'GET', `/apps/${app.name}/buildpack-installations`);
    expect(got).toEqual(put);
    // The app's own list wins over the .buildpacks file in the source.
    const run = await buildDirectory(daemon, app.name, await makeDir({ 'hello.txt': 'hi\n', '.buildpacks': 'heroku/python\n' }));
    expectSucceeded(run);
    expectLinesInOrder(run.lines, [`-----> Using buildpack: ${buildpack}`, '-----> Custom compile ran']);
    expect(run.build.buildpacks).toEqual([{ url: buildpack, name: buildpack }]);
  });

  it('an unreachable buildpack URL: a clear failure', async () => {
    const app = await createApp(daemon, 'bpdown');
    // A loopback port nobody listens on: refused at once, and never an outside address.
    const url = `https://127.0.0.1:${await freeLoopbackPort()}/buildpack.tgz`;
    const run = await buildDirectory(daemon, app.name, await makeDir({ 'hello.txt': 'hi\n' }), { buildpacks: [{ url }] });
    expectFailed(run);
    expect(run.lines).toContain(` !     Could not fetch buildpack ${url}: ECONNREFUSED. Is the machine offline?`);
  });

  it('bad bin/release YAML: a clear failure', async () => {
    const app = await createApp(daemon, 'badyaml');
    const buildpack = await customBuildpack({ 'bin/release': "#!/usr/bin/env bash\nprintf 'default_process_types: [web: {\\n'\n" });
    const run = await buildDirectory(daemon, app.name, await makeDir({ 'hello.txt': 'hi\n' }), { buildpacks: [{ url: buildpack }] });
    expectFailed(run);
    expect(run.output).toContain(` !     Buildpack ${buildpack}: bin/release printed invalid YAML`);
    expect((await releases(app.name)).length).toBe(2);
  });

  it('a Procfile declaring a type twice: a clear failure', async () => {
    const app = await createApp(daemon, 'dupproc');
    const buildpack = await customBuildpack();
    const source = await makeDir({ Procfile: 'web: ./serve\nworker: sleep 1\nweb: ./other\n' });
    const run = await buildDirectory(daemon, app.name, source, { buildpacks: [{ url: buildpack }] });
    expectFailed(run);
    expect(run.output).toContain(' !     Procfile line 3: process type web is declared twice');
  });
});

describe('sources', () => {
  it('the PUT with an empty Content-Type (the heroku-builds plugin sends one, for S3) is accepted', async () => {
    const url = await uploadSource(daemon, await tarDirectory(fixture('no-buildpack')), '');
    expect(url).toMatch(/\/sources\//);
  });

  it('an unreachable source URL: a clear failure', async () => {
    const app = await createApp(daemon, 'srcdown');
    const url = `https://127.0.0.1:${await freeLoopbackPort()}/source.tgz`;
    const run = await runBuild(daemon, app.name, url);
    expectFailed(run);
    expect(run.lines).toContain(` !     The source ${url} could not be downloaded: ECONNREFUSED. Is the machine offline?`);
  });

  it('a checksum mismatch fails the build; the right checksum builds', async () => {
    const app = await createApp(daemon, 'checksum');
    const buildpack = await customBuildpack();
    const tarball = await tarDirectory(await makeDir({ 'hello.txt': 'hi\n' }));
    const url = await uploadSource(daemon, tarball);
    const wrong = `SHA256:${'0'.repeat(64)}`;
    const bad = await runBuild(daemon, app.name, url, { checksum: wrong, buildpacks: [{ url: buildpack }] });
    expectFailed(bad);
    expect(bad.output).toContain(` !     The source does not match its checksum: expected ${wrong}, got ${sha256(tarball)}.`);
    const good = await runBuild(daemon, app.name, url, { checksum: sha256(tarball), buildpacks: [{ url: buildpack }] });
    expectSucceeded(good);
  });

  it('.slugignore is honoured and .git never reaches the slug', async () => {
    const app = await createApp(daemon, 'slugignore');
    const buildpack = await customBuildpack();
    const source = await makeDir({
      '.slugignore': '# not in the slug\nsecret.txt\ndocs/\n*.log\n',
      'secret.txt': 'nope\n',
      'docs/guide.md': 'nope\n',
      'debug.log': 'nope\n',
      'keep.txt': 'yes\n',
      'lib/keep.js': 'yes\n',
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.git/config': '[core]\n',
    });
    const run = await buildDirectory(daemon, app.name, source, { buildpacks: [{ url: buildpack }] });
    expectSucceeded(run);
    const tgz = slugPath(daemon, app.id, run.build.slug?.id ?? '');
    const entries = await slugEntries(tgz);
    expect(entries).toContain('./app/keep.txt');
    expect(entries).toContain('./app/lib/keep.js');
    expect(entries).toContain('./app/serve');
    for (const gone of ['secret.txt', 'docs', 'docs/guide.md', 'debug.log', '.git', '.git/HEAD']) {
      expect(entries.filter((entry) => entry.replace(/\/$/, '') === `./app/${gone}`)).toEqual([]);
    }
    expect(await slugFile(tgz, './app/keep.txt')).toBe('yes\n');
  });

  describe('malicious tarballs through the real API', () => {
    const marker = `berth-escape-${randomBytes(6).toString('hex')}`;
    const outside = () => [join(tmpdir(), marker), join(daemon.rootDir, marker), join(daemon.dataDir, marker), join(daemon.dataDir, 'builds', marker), `/${marker}`];
    const ok = { header: { name: 'index.txt' }, content: 'fine\n' };
    const cases: ReadonlyArray<{ name: string; entries: Parameters<typeof craftTarball>[0]; message: RegExp }> = [
      {
        name: 'a ../ path',
        entries: [ok, { header: { name: `../../${marker}` }, content: 'x' }],
        message: / ! {5}Source archive has a path that leaves the app directory: \.\.\/\.\.\/berth-escape-/,
      },
      {
        name: 'a ../ path in the middle',
        entries: [ok, { header: { name: `lib/../../${marker}` }, content: 'x' }],
        message: / ! {5}Source archive has a path that leaves the app directory: lib\/\.\.\/\.\.\/berth-escape-/,
      },
      {
        name: 'an absolute path',
        entries: [ok, { header: { name: `/tmp/${marker}` }, content: 'x' }],
        message: / ! {5}Source archive has an absolute path: \/tmp\/berth-escape-/,
      },
      {
        name: 'a symlink out of the tree',
        entries: [ok, { header: { name: 'escape', type: 'symlink', linkname: '../../../tmp' } }, { header: { name: `escape/${marker}` }, content: 'x' }],
        message: / ! {5}Source archive has a symlink that points outside the app directory: escape -> \.\.\/\.\.\/\.\.\/tmp/,
      },
      {
        name: 'a symlink to an absolute path',
        entries: [ok, { header: { name: 'etc', type: 'symlink', linkname: '/etc' } }],
        message: / ! {5}Source archive has a symlink to an absolute path: etc -> \/etc/,
      },
      {
        name: 'a hardlink out of the tree',
        entries: [ok, { header: { name: 'passwd', type: 'link', linkname: '../../etc/passwd' } }],
        message: / ! {5}Source archive has a hardlink that points outside the app directory: passwd -> \.\.\/\.\.\/etc\/passwd/,
      },
      {
        name: 'a device file',
        entries: [ok, { header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 } }],
        message: / ! {5}Source archive has a character-device entry, which apps cannot contain: null/,
      },
      {
        name: 'a FIFO',
        entries: [ok, { header: { name: 'pipe', type: 'fifo' } }],
        message: / ! {5}Source archive has a fifo entry, which apps cannot contain: pipe/,
      },
      {
        name: 'more bytes than the limit once unpacked (a gzip bomb)',
        entries: [ok, { header: { name: 'zeros.bin' }, content: Buffer.alloc(SOURCE_MAX_BYTES + 4096) }],
        message: / ! {5}Source archive is larger than 1\.0M uncompressed/,
      },
    ];

    for (const testCase of cases) {
      it(`${testCase.name}: build failed with a clear line, nothing written outside`, async () => {
        const app = await createApp(daemon, 'evil');
        const tarball = await craftTarball(testCase.entries);
        const url = await uploadSource(daemon, tarball);
        const run = await runBuild(daemon, app.name, url, { buildpacks: [{ url: await customBuildpack() }] });
        expectFailed(run);
        expect(run.output).toMatch(testCase.message);
        expect(run.output).not.toContain('Custom compile ran');
        for (const path of outside()) expect(existsSync(path), path).toBe(false);
        expect(await containersWithLabels({ 'berth.app': app.id, 'berth.role': 'build' })).toEqual([]);
        expect(existsSync(join(daemon.dataDir, 'slugs', app.id)) ? await readdir(join(daemon.dataDir, 'slugs', app.id)) : []).toEqual([]);
        expect((await releases(app.name)).length).toBe(2);
      });
    }

    it('an upload over the limit is refused at the PUT', async () => {
      const error = await uploadSource(daemon, randomBytes(SOURCE_MAX_BYTES + 65_536)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(413);
    });
  });
});

describe('the app queue', () => {
  it('two builds at once on one app: the second says it waits, both succeed, versions in order', async () => {
    const app = await createApp(daemon, 'queue');
    const buildpack = await customBuildpack();
    const slow = await uploadSource(daemon, await tarDirectory(await makeDir({ sleep: '3\n', 'which.txt': 'first\n' })));
    const fast = await uploadSource(daemon, await tarDirectory(await makeDir({ 'which.txt': 'second\n' })));
    const first = await createBuild(daemon, app.name, slow, { buildpacks: [{ url: buildpack }], version: fakeCommit('q1') });
    const second = await createBuild(daemon, app.name, fast, { buildpacks: [{ url: buildpack }], version: fakeCommit('q2') });
    expect(second.status).toBe('pending');
    const [a, b] = await Promise.all([followBuild(daemon, app.name, first), followBuild(daemon, app.name, second)]);
    expectSucceeded(a);
    expectSucceeded(b);
    expect(a.output).not.toContain('Waiting for another build');
    expect(b.lines[0]).toBe(`-----> Waiting for another build or change of ${app.name} to finish...`);
    expectLinesInOrder(b.lines, [/Waiting for another build/, '-----> Building on the Heroku-24 stack', '       Released v4']);
    expect(a.lines).toContain('       Released v3');
    const list = await releases(app.name);
    expect(list.map((r) => [r.version, r.description])).toEqual([
      [1, 'Initial release'],
      [2, 'Enable Logplex'],
      [3, `Deploy ${fakeCommit('q1').slice(0, 8)}`],
      [4, `Deploy ${fakeCommit('q2').slice(0, 8)}`],
    ]);
    expect(list.find((r) => r.current)?.version).toBe(4);
    expect(b.lines).toContain('       custom cache restored');
  });
});

describe('destroying the app', () => {
  it('removes its slugs dir, slug images, cache volume and build containers (even a running build\'s)', async () => {
    const app = await createApp(daemon, 'doomed');
    const buildpack = await customBuildpack();
    const done = await buildDirectory(daemon, app.name, await makeDir({ 'hello.txt': 'hi\n' }), { buildpacks: [{ url: buildpack }] });
    expectSucceeded(done);
    const slugId = done.build.slug?.id ?? '';
    expect(existsSync(slugPath(daemon, app.id, slugId))).toBe(true);
    expect(await imageExists(`berth/slug:${slugId}`)).toBe(true);
    expect(await volumeExists(`berth-cache-${app.id}`)).toBe(true);

    // A second build that is still compiling when the app goes.
    const url = await uploadSource(daemon, await tarDirectory(await makeDir({ sleep: '120\n' })));
    const running = await createBuild(daemon, app.name, url, { buildpacks: [{ url: buildpack }] });
    // This build's own container (the first build's may still be going: it is removed while the release boots).
    await waitFor('the running build container', async () => (await containersWithLabels({ 'berth.app': app.id, 'berth.role': 'build', 'berth.release': running.id })).length > 0);
    const output = fetch(running.output_stream_url).then((r) => r.text());
    await api(daemon, 'DELETE', `/apps/${app.name}`);

    await waitFor('the build containers to go', async () => (await containersWithLabels({ 'berth.app': app.id, 'berth.role': 'build' })).length === 0);
    await waitFor('the slug images to go', async () => (await docker(['images', '-q', '--filter', `label=berth.app=${app.id}`])) === '');
    await waitFor('the cache volume to go', async () => !(await volumeExists(`berth-cache-${app.id}`)));
    await waitFor('the slugs dir to go', () => !existsSync(join(daemon.dataDir, 'slugs', app.id)));
    expect(await imageExists(`berth/slug:${slugId}`)).toBe(false);
    // The interrupted build ends (its output stream closes) rather than hang.
    const text = await output;
    expect(outputLines(text).filter((line) => line !== '').at(-1)).toBe(' !     Push failed');
    // Nothing comes back once the interrupted build has unwound.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await containersWithLabels({ 'berth.app': app.id })).toEqual([]);
    expect(await volumeExists(`berth-cache-${app.id}`)).toBe(false);
    expect(existsSync(join(daemon.dataDir, 'slugs', app.id))).toBe(false);
    await expect(api(daemon, 'GET', `/apps/${app.name}`)).rejects.toMatchObject({ status: 404 });
  });
});
