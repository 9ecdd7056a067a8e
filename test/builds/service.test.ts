// The build service's orchestration on the memory engine: source → detect → compile → release → slug → release,
// with the build container scripted (test/support/build-container.ts). Asserts what a user sees: the build's status,
// its output in Heroku's words, the release and slug it makes, and what a failure leaves as it was.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { NO_LANGUAGE_HINT } from '../../src/builds/detect.js';
import { cacheVolume } from '../../src/builds/workspace.js';
import { checksumOf, scriptBuildpacks, sourceTarball, type FakeBuildpack } from '../support/build-container.js';
import { build, outputOf, startBuild } from '../support/builds.js';
import { EMAIL, platform, type Platform } from '../support/platform.js';
import { pretendSlug } from '../support/slugs.js';

const SHA = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const NODE_APP = { 'package.json': '{"name":"demo","engines":{"node":"24.x"}}', 'server.js': 'require("http")', Procfile: 'worker: node server.js\n' };

const nodejs: FakeBuildpack = {
  detect: (files, dir) => (files.read(`${dir}/package.json`) ? 'Node.js' : false),
  release: '---\ndefault_process_types:\n  web: npm start\n',
};
const python: FakeBuildpack = { detect: (files, dir) => (files.read(`${dir}/requirements.txt`) ? 'Python' : false) };

function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

let p: Platform;
let app: AppRecord;

async function open(env: Record<string, string> = {}): Promise<void> {
  p = await platform(env);
  app = await p.createApp();
}

beforeEach(async () => {
  await open();
});
afterEach(async () => {
  await p.close();
});

/** The app's `app[api]` lines. */
function apiLines(): string[] {
  return p.lines(app).filter((line) => line.startsWith('app[api]: ')).map((line) => line.slice('app[api]: '.length));
}

describe('a build that succeeds', () => {
  it('goes pending → succeeded and prints the slug compiler’s lines in Heroku’s words', async () => {
    scriptBuildpacks(p.engine, { nodejs, python });
    const { build: done, output } = await build(p, app, NODE_APP);
    expect(done.status).toBe('succeeded');
    expect(output).toEqual([
      '-----> Building on the Heroku-24 stack',
      '-----> Determining which buildpack to use for this app',
      '-----> Node.js app detected',
      '       compiled',
      '-----> Discovering process types',
      '       Procfile declares types -> worker',
      '       Default types for buildpack -> web',
      '-----> Compressing...',
      expect.stringMatching(/^       Done: \d+\.\dM$/),
      '-----> Launching...',
      '       Released v3',
      `       http://${app.name}.localhost:5000/ deployed to Berth`,
    ]);
  });

  it('is answered pending at once, before anything has run', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const started = await startBuild(p, app, NODE_APP);
    expect(started.status).toBe('pending');
    expect(started.releaseId).toBeNull();
    expect(started.slugId).toBeNull();
    await p.services.builds.settled();
    expect(p.services.builds.get(app, started.id).status).toBe('succeeded');
  });

  it('makes release v3 `Deploy <8 hex digits>`, current, with the app’s config and the new slug', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    p.services.apps.updateConfigVars(app.name, { GREETING: 'hi' });
    const { build: done } = await build(p, app, NODE_APP);
    const release = p.services.releases.current(p.app(app.name));
    expect(release).toMatchObject({ version: 4, description: 'Deploy a1b2c3d4', status: 'succeeded', current: true, config: { GREETING: 'hi' } });
    expect(release?.id).toBe(done.releaseId);
    expect(release?.artifact).toEqual({ type: 'slug', id: done.slugId });
  });

  it('records the slug: process types (Procfile over buildpack defaults), commit, stack, description, checksum of its blob', async () => {
    scriptBuildpacks(p.engine, { nodejs: { ...nodejs, release: 'default_process_types:\n  web: npm start\n  worker: default worker\n' } });
    const { build: done } = await build(p, app, NODE_APP);
    const slug = p.services.builds.slug(app, done.slugId ?? '');
    expect(slug.processTypes).toEqual({ web: 'npm start', worker: 'node server.js' });
    expect(slug).toMatchObject({ commit: SHA, stack: 'heroku-24', buildpackProvidedDescription: 'Node.js' });
    const blob = await readFile(slug.blobPath);
    expect(slug.checksum).toBe(checksumOf(blob));
    expect(slug.size).toBe((await stat(slug.blobPath)).size);
    expect(p.app(app.name).slugSize).toBe(slug.size);
  });

  it('without a Procfile: Procfile declares types -> (none), and the buildpack’s defaults are the process types', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const { build: done, output } = await build(p, app, { 'package.json': '{}' });
    expect(output).toContain('       Procfile declares types -> (none)');
    expect(output).toContain('       Default types for buildpack -> web');
    expect(p.services.builds.slug(app, done.slugId ?? '').processTypes).toEqual({ web: 'npm start' });
  });

  it('commits a slug image with the app under /app, without .git, labelled with the app and slug', async () => {
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: (step) => {
          step.files.write(`${step.buildDir}/node_modules/dep/index.js`, 'module.exports = 1');
          step.print('-----> Installing dependencies');
        },
      },
    });
    const { build: done } = await build(p, app, { ...NODE_APP, '.git/HEAD': 'ref: refs/heads/main\n' });
    const slug = p.services.builds.slug(app, done.slugId ?? '');
    const info = await p.engine.imageInfo(slug.image ?? '');
    expect(info?.labels).toMatchObject({ 'berth.app': app.id, 'berth.slug': slug.id });
    // A container of the slug image sees what the build put in /app.
    const id = await p.engine.create({ image: slug.image ?? '', cmd: ['true'], labels: { app: app.id, role: 'run' } });
    const tar = await p.engine.getArchive(id, '/app');
    const names: string[] = [];
    const { extract } = await import('tar-stream');
    const reader = extract();
    reader.on('entry', (header, body, next) => {
      names.push(header.name);
      body.on('end', next);
      body.resume();
    });
    await new Promise<void>((resolve, reject) => {
      reader.on('finish', resolve);
      reader.on('error', reject);
      tar.pipe(reader as unknown as NodeJS.WritableStream);
    });
    await p.engine.remove(id);
    expect(names).toEqual(expect.arrayContaining(['app/package.json', 'app/Procfile', 'app/node_modules/dep/index.js']));
    expect(names.some((name) => name.includes('.git'))).toBe(false);
  });

  it('records the buildpack that built it on the build, and writes Build started / Build succeeded / the release lines', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const { build: done } = await build(p, app, NODE_APP);
    expect(done.buildpacks).toEqual([{ url: 'heroku/nodejs', name: 'heroku/nodejs' }]);
    const lines = apiLines();
    expect(lines.filter((line) => !line.startsWith('Scaled to')).slice(-4)).toEqual([
      `Build started by user ${EMAIL}`,
      `Deploy a1b2c3d4 by user ${EMAIL}`,
      `Release v3 created by user ${EMAIL}`,
      'Build succeeded',
    ]);
    // The first deploy with a web process type scales web to 1, as on Heroku.
    expect(lines).toContain(`Scaled to web@1:Basic worker@0:Basic by user ${EMAIL}`);
  });

  it('removes its build containers (the workspace and the slug’s) when it ends', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    await build(p, app, NODE_APP);
    expect(await p.engine.listByLabel({ app: app.id, role: 'build' })).toEqual([]);
  });

  it('gives bin/compile Heroku’s environment and the config vars as files in ENV_DIR', async () => {
    p.services.apps.updateConfigVars(app.name, { DATABASE_URL: 'postgres://db' });
    let seen: Record<string, string | undefined> = {};
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: (step) => {
          seen = { STACK: step.env['STACK'], SOURCE_VERSION: step.env['SOURCE_VERSION'], HOME: step.env['HOME'], env: step.files.read('/tmp/env/DATABASE_URL')?.toString() };
        },
      },
    });
    await build(p, app, NODE_APP);
    expect(seen).toEqual({ STACK: 'heroku-24', SOURCE_VERSION: SHA, HOME: '/app', env: 'postgres://db' });
  });

  it('gives every build BERTH_NPM_REGISTRY as NPM_CONFIG_REGISTRY, under the app\'s own config var of that name', async () => {
    await p.close();
    await open({ BERTH_NPM_REGISTRY: 'http://127.0.0.1:4873' });
    p.services.apps.updateConfigVars(app.name, { NPM_CONFIG_REGISTRY: 'http://127.0.0.1:4874' });
    let seen: Record<string, string | undefined> = {};
    scriptBuildpacks(p.engine, {
      nodejs: { ...nodejs, compile: (step) => void (seen = { env: step.env['NPM_CONFIG_REGISTRY'], app: step.files.read('/tmp/env/NPM_CONFIG_REGISTRY')?.toString() }) },
    });
    await build(p, app, NODE_APP);
    // The buildpack exports ENV_DIR over its environment, so the app's registry is the one npm uses.
    expect(seen).toEqual({ env: 'http://127.0.0.1:4873', app: 'http://127.0.0.1:4874' });
  });

  it('passes what bin/compile prints on stderr into the output too', async () => {
    scriptBuildpacks(p.engine, { nodejs: { ...nodejs, compile: (step) => void step.exec.printError('npm WARN deprecated') } });
    const { output } = await build(p, app, NODE_APP);
    expect(output).toContain('npm WARN deprecated');
  });

  it('describes a version that is not a commit as given, and no version by the slug id', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    await build(p, app, NODE_APP, { version: '0.0.1-SNAPSHOT' });
    expect(p.services.releases.current(p.app(app.name))?.description).toBe('Deploy 0.0.1-SNAPSHOT');
    const { build: second } = await build(p, app, NODE_APP, { version: null });
    expect(p.services.releases.current(p.app(app.name))?.description).toBe(`Deploy ${second.slugId?.slice(0, 8)}`);
  });
});

describe('choosing buildpacks', () => {
  it('explicit buildpacks: Using buildpacks, each detected, the later one’s language announced before its compile', async () => {
    scriptBuildpacks(p.engine, { nodejs, python: { detect: 'Python' } });
    const { build: done, output } = await build(p, app, NODE_APP, { buildpacks: ['heroku/nodejs', 'heroku/python'] });
    expect(done.status).toBe('succeeded');
    expect(output.slice(0, 7)).toEqual([
      '-----> Building on the Heroku-24 stack',
      '-----> Using buildpacks:',
      '       1. heroku/nodejs',
      '       2. heroku/python',
      '-----> Node.js app detected',
      '       compiled',
      '-----> Python app detected',
    ]);
    expect(done.buildpacks).toEqual([
      { url: 'heroku/nodejs', name: 'heroku/nodejs' },
      { url: 'heroku/python', name: 'heroku/python' },
    ]);
    // The app's description is the last buildpack's language, as on Heroku.
    expect(p.services.builds.slug(app, done.slugId ?? '').buildpackProvidedDescription).toBe('Python');
  });

  it('one explicit buildpack: Using buildpack: <name>', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const { output } = await build(p, app, NODE_APP, { buildpacks: ['https://github.com/heroku/heroku-buildpack-nodejs'] });
    expect(output[1]).toBe('-----> Using buildpack: heroku/nodejs');
  });

  it('the app’s buildpack installations are used when the build names none', async () => {
    scriptBuildpacks(p.engine, { python: { detect: 'Python' } });
    p.services.builds.setBuildpackInstallations(app, ['heroku/python']);
    const { build: done, output } = await build(p, app, NODE_APP);
    expect(output[1]).toBe('-----> Using buildpack: heroku/python');
    expect(done.buildpacks).toEqual([{ url: 'heroku/python', name: 'heroku/python' }]);
  });

  it('a `.buildpacks` file in the source lists them (comments and blank lines skipped)', async () => {
    scriptBuildpacks(p.engine, { nodejs, python: { detect: 'Python' } });
    const { output } = await build(p, app, { ...NODE_APP, '.buildpacks': '# ours\nheroku/python\n\n' });
    expect(output[1]).toBe('-----> Using buildpack: heroku/python');
  });

  it('the BUILDPACK_URL config var names one', async () => {
    scriptBuildpacks(p.engine, { nodejs, python: { detect: 'Python' } });
    p.services.apps.updateConfigVars(app.name, { BUILDPACK_URL: 'heroku/python' });
    const { output } = await build(p, app, NODE_APP);
    expect(output[1]).toBe('-----> Using buildpack: heroku/python');
  });

  it('an explicit buildpack that does not detect the app: App not compatible, the build fails', async () => {
    scriptBuildpacks(p.engine, { nodejs, python });
    const { build: done, output } = await build(p, app, NODE_APP, { buildpacks: ['heroku/python'] });
    expect(done.status).toBe('failed');
    expect(output.slice(-4)).toEqual([
      '-----> App not compatible with buildpack: heroku/python',
      ' !     Push rejected, failed to detect app with buildpack heroku/python.',
      '',
      ' !     Push failed',
    ]);
  });

  it('no bundled buildpack detects the app: No default language, with Heroku’s hint', async () => {
    scriptBuildpacks(p.engine, { nodejs, python });
    const { build: done, output } = await build(p, app, { 'index.html': '<p>hi</p>' });
    expect(done.status).toBe('failed');
    expect(output.slice(-5)).toEqual([' !     No default language could be detected for this app.', ...NO_LANGUAGE_HINT, '', ' !     Push failed']);
  });

  it('a buildpack reference Berth does not know fails the build, naming it', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const { build: done, output } = await build(p, app, NODE_APP, { buildpacks: ['heroku/ruby'] });
    expect(done.status).toBe('failed');
    expect(output).toContain('-----> Buildpack heroku/ruby is not known here: use heroku/nodejs, heroku/python, a local path, or an https tarball or git URL.');
    expect(output.at(-1)).toBe(' !     Push failed');
  });
});

describe('a build that fails', () => {
  it('compile exits 1: Push rejected, failed to compile <Language> app; failed; no release, no slug', async () => {
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: (step) => {
          step.print('-----> Installing dependencies');
          step.print('       npm ERR! missing script: build');
          return 1;
        },
      },
    });
    const before = p.services.releases.list(app).length;
    const { build: done, output } = await build(p, app, NODE_APP);
    expect(done).toMatchObject({ status: 'failed', releaseId: null, slugId: null });
    expect(output.slice(-5)).toEqual([
      '-----> Installing dependencies',
      '       npm ERR! missing script: build',
      ' !     Push rejected, failed to compile Node.js app.',
      '',
      ' !     Push failed',
    ]);
    expect(p.services.releases.list(app)).toHaveLength(before);
    expect(p.services.releases.current(p.app(app.name))?.version).toBe(2);
  });

  it('writes Build failed with a link to the build output to the app log', async () => {
    scriptBuildpacks(p.engine, { nodejs: { ...nodejs, compile: () => 1 } });
    const { build: done } = await build(p, app, NODE_APP);
    expect(apiLines().at(-1)).toBe(`Build failed -- check your build output: http://127.0.0.1:5100/streams/builds/${done.id}/${done.outputSecret}`);
  });

  it('a failed deploy leaves the previous release current and its slug in place', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const { build: first } = await build(p, app, NODE_APP);
    scriptBuildpacks(p.engine, { nodejs: { ...nodejs, compile: () => 2 } });
    await build(p, app, NODE_APP);
    const current = p.services.releases.current(p.app(app.name));
    expect(current?.id).toBe(first.releaseId);
    expect(await p.engine.imageExists(p.services.builds.slug(app, first.slugId ?? '').image ?? '')).toBe(true);
  });

  it('bin/release printing invalid YAML fails the build, naming the buildpack', async () => {
    scriptBuildpacks(p.engine, { nodejs: { ...nodejs, release: 'default_process_types: [web\n' } });
    const { build: done, output } = await build(p, app, NODE_APP);
    expect(done.status).toBe('failed');
    expect(output.find((line) => line.startsWith(' !     Buildpack heroku/nodejs: bin/release printed invalid YAML'))).toBeDefined();
  });

  it('bin/release exiting non-zero fails the build with its status', async () => {
    scriptBuildpacks(p.engine, { nodejs: { ...nodejs, releaseExit: 2 } });
    const { output } = await build(p, app, NODE_APP);
    expect(output).toContain(' !     Buildpack heroku/nodejs: bin/release exited with status 2.');
  });

  it('a Procfile that is not `<type>: <command>` fails the build, naming the line', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const { build: done, output } = await build(p, app, { ...NODE_APP, Procfile: 'web node server.js\n' });
    expect(done.status).toBe('failed');
    expect(output).toContain(' !     Procfile line 1 is not `<process type>: <command>`: "web node server.js"');
  });

  it('a source that does not match its checksum fails before anything runs', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const wrong = `SHA256:${'0'.repeat(64)}`;
    const { build: done, output } = await build(p, app, NODE_APP, { checksum: wrong });
    expect(done.status).toBe('failed');
    expect(output[0]).toMatch(new RegExp(`^ !     The source does not match its checksum: expected ${wrong}, got SHA256:[0-9a-f]{64}\\.$`));
    expect(output).not.toContain('-----> Building on the Heroku-24 stack');
  });

  it('a checksum of the right form passes; one of another form is refused', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const tarball = await sourceTarball(NODE_APP);
    expect((await build(p, app, tarball, { checksum: checksumOf(tarball) })).build.status).toBe('succeeded');
    const { output } = await build(p, app, tarball, { checksum: 'MD5:abc' });
    expect(output[0]).toBe(' !     The source checksum MD5:abc is not of the form SHA256:<64 hex digits>.');
  });

  it('a source that is not a tarball fails with the archive’s complaint', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    const { build: done, output } = await build(p, app, Buffer.from('this is not a tarball'));
    expect(done.status).toBe('failed');
    expect(output[0]).toMatch(/^ !     \S/);
    expect(output.at(-1)).toBe(' !     Push failed');
    expect(await p.engine.listByLabel({ app: app.id, role: 'build' })).toEqual([]);
  });

  it('a source URL that cannot be fetched fails the build, naming it', async () => {
    const started = p.services.builds.create(app, {
      source: { kind: 'url', url: 'ftp://example.test/app.tgz' },
      sourceVersion: null,
      sourceChecksum: null,
      buildpacks: null,
    });
    await p.services.builds.settled();
    const output = await outputOf(p, started);
    expect(p.services.builds.get(app, started.id).status).toBe('failed');
    expect(output[0]).toBe(' !     Unsupported source URL scheme ftp: (use http, https or file).');
  });

  it('an engine fault is a platform error, said as such, and the build fails', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    p.engine.failNext('start');
    const { build: done, output } = await build(p, app, NODE_APP);
    expect(done.status).toBe('failed');
    expect(output).toContain(' !     Build failed on an internal error: socket hang up');
  });

  it('a slug over the size limit: Compiled slug size … is too large; no slug image or file is left', async () => {
    await p.close();
    await open({ BERTH_SLUG_MAX_BYTES: '10' });
    scriptBuildpacks(p.engine, { nodejs });
    const { build: done, output } = await build(p, app, NODE_APP);
    expect(done.status).toBe('failed');
    expect(output.slice(-4)).toEqual([
      ' !     Compiled slug size: 0.0M is too large (max is 0.0M).',
      ' !     See: http://devcenter.heroku.com/articles/slug-size',
      '',
      ' !     Push failed',
    ]);
    expect(await p.engine.listImages([`berth.app=${app.id}`])).toEqual([]);
  });
});

describe('timeouts and cancellation', () => {
  it('a compile past the build timeout is stopped: Timed out compiling <Language> app; the container is gone', async () => {
    await p.close();
    await open({ BERTH_BUILD_TIMEOUT: '1' });
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: async (step) => {
          step.print('-----> Installing dependencies');
          // Hangs: only its container's end (the exec dies with it, exit 137) stops it.
          return new Promise<never>(() => undefined);
        },
      },
    });
    const { build: done, output } = await build(p, app, NODE_APP);
    expect(done.status).toBe('failed');
    expect(output.slice(-3)).toEqual([' !     Timed out compiling Node.js app (1 second)', '', ' !     Push failed']);
    expect(await p.engine.listByLabel({ app: app.id, role: 'build' })).toEqual([]);
  });

  it('a daemon stopping mid-build cancels it, saying so', async () => {
    const hold = gate();
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: async () => {
          hold.open();
          // Hangs: only its container's end (the exec dies with it, exit 137) stops it.
          return new Promise<never>(() => undefined);
        },
      },
    });
    const started = await startBuild(p, app, NODE_APP);
    await hold.opened;
    await p.services.builds.shutdown();
    expect(p.services.builds.get(app, started.id).status).toBe('failed');
    expect((await outputOf(p, started)).slice(-3)).toEqual([' !     The Berth daemon is stopping; this build was cancelled.', '', ' !     Push failed']);
  });
});

describe('after a daemon restart', () => {
  it('a build left pending is failed: its output keeps what it printed, then says the daemon stopped', async () => {
    const { apiTimestamp } = await import('../../src/clock.js');
    const { mkdir, writeFile } = await import('node:fs/promises');
    const left = p.store.builds.insert({
      id: '0b0b0b0b-0000-4000-8000-000000000000',
      appId: app.id,
      createdAt: apiTimestamp(),
      sourceUrl: 'file:///nowhere.tgz',
      sourceVersion: null,
      sourceChecksum: null,
      sourceVersionDescription: null,
      buildpacks: null,
      outputSecret: 'c'.repeat(48),
      userId: 'u1',
      userEmail: EMAIL,
      stack: 'heroku-24',
    });
    await mkdir(join(p.dataDir, 'builds', app.id), { recursive: true });
    await writeFile(join(p.dataDir, 'builds', app.id, `${left.id}.log`), '-----> Building on the Heroku-24 stack\n-----> Node.js app detected\n');
    // The killed daemon's build container is still there.
    await p.engine.start({ image: 'berth/heroku-24:build', cmd: ['sleep', 'infinity'], labels: { app: app.id, role: 'build', release: left.id } });
    await p.services.builds.recover();
    expect(p.services.builds.get(app, left.id).status).toBe('failed');
    expect(await outputOf(p, left)).toEqual([
      '-----> Building on the Heroku-24 stack',
      '-----> Node.js app detected',
      ' !     The Berth daemon stopped during this build; it did not finish.',
      '',
      ' !     Push failed',
    ]);
    expect(await p.engine.listByLabel({ role: 'build' })).toEqual([]);
    expect(apiLines().at(-1)).toBe(`Build failed -- check your build output: http://127.0.0.1:5100/streams/builds/${left.id}/${'c'.repeat(48)}`);
  });
});

describe('the app’s queue', () => {
  it('two builds of one app run one after the other; the second says it waits', async () => {
    const events: string[] = [];
    const first = gate();
    const firstCompiling = gate();
    let n = 0;
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: async () => {
          const mine = ++n;
          events.push(`start ${mine}`);
          if (mine === 1) {
            firstCompiling.open();
            await first.opened;
          }
          events.push(`end ${mine}`);
        },
      },
    });
    const a = await startBuild(p, app, NODE_APP);
    const b = await startBuild(p, app, NODE_APP);
    await firstCompiling.opened;
    expect(events).toEqual(['start 1']);
    first.open();
    await p.services.builds.settled();
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    expect((await outputOf(p, b))[0]).toBe(`-----> Waiting for another build or change of ${app.name} to finish...`);
    expect((await outputOf(p, a))[0]).toBe('-----> Building on the Heroku-24 stack');
    // Each made its own release, in order.
    expect(p.services.builds.get(app, a.id).releaseId).toBe(p.services.releases.get(app, '3').id);
    expect(p.services.builds.get(app, b.id).releaseId).toBe(p.services.releases.get(app, '4').id);
  });

  it('a build started in a push’s turn runs in it at once; a build from outside waits for the turn to end', async () => {
    scriptBuildpacks(p.engine, { nodejs });
    let outside: Awaited<ReturnType<typeof startBuild>> | undefined;
    let insideId = '';
    await p.services.queues.run(app.id, 'push', async (turn) => {
      const inside = await startBuild(p, app, NODE_APP, { within: turn });
      insideId = inside.id;
      outside = await startBuild(p, app, NODE_APP);
    });
    await p.services.builds.settled();
    const inside = p.services.builds.get(app, insideId);
    expect((await outputOf(p, inside))[0]).toBe('-----> Building on the Heroku-24 stack');
    expect((await outputOf(p, outside as NonNullable<typeof outside>))[0]).toBe(`-----> Waiting for another build or change of ${app.name} to finish...`);
    expect(inside.releaseId).toBe(p.services.releases.get(app, '3').id);
  });

  it('a build of another app does not wait', async () => {
    const other = await p.createApp();
    const held = gate();
    const finished: string[] = [];
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: async (step) => {
          if (step.buildDir !== '' && step.exec.container.spec.labels.app === app.id) await held.opened;
          finished.push(step.exec.container.spec.labels.app ?? '');
        },
      },
    });
    const slow = await startBuild(p, app, NODE_APP);
    const fast = await startBuild(p, other, NODE_APP);
    for (let i = 0; i < 2000 && p.services.builds.get(other, fast.id).status === 'pending'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(p.services.builds.get(other, fast.id).status).toBe('succeeded');
    expect(p.services.builds.get(app, slow.id).status).toBe('pending');
    held.open();
    await p.services.builds.settled();
    expect(finished).toEqual([other.id, app.id]);
  });

  it('a build waits behind a release phase of the same app (POST /releases), then runs', async () => {
    const phase = gate();
    const order: string[] = [];
    p.engine.script(
      (spec) => spec.labels.role === 'release',
      async () => {
        order.push('release phase');
        await phase.opened;
      },
    );
    scriptBuildpacks(p.engine, { nodejs: { ...nodejs, compile: () => void order.push('compile') } });
    const slug = await pretendSlug(p, app, { release: './migrate.sh' });
    const pending = p.services.releases.createFromApi(app, { slug: slug.id });
    const running = p.services.releases.startPhase(pending);
    const started = await startBuild(p, app, NODE_APP);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(p.services.builds.get(app, started.id).status).toBe('pending');
    phase.open();
    await running;
    await p.services.builds.settled();
    expect(order).toEqual(['release phase', 'compile']);
    expect((await outputOf(p, started))[0]).toBe(`-----> Waiting for another build or change of ${app.name} to finish...`);
  });

  it('an app destroyed while its second build waits: neither build leaves anything of the app behind', async () => {
    const hold = gate();
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        // Waits for the test; the app's destruction removes its container, and the exec dies with it.
        compile: () => hold.opened,
      },
    });
    await startBuild(p, app, NODE_APP);
    await startBuild(p, app, NODE_APP);
    await p.engine.started({ app: app.id, role: 'build' });
    p.services.apps.destroy(app.name);
    await p.services.events.settled();
    hold.open();
    await p.services.builds.settled();
    await p.services.events.settled();
    expect(p.eventErrors).toEqual([]);
    expect(await p.engine.listByLabel({ app: app.id })).toEqual([]);
    expect(await p.engine.listImages([`berth.app=${app.id}`])).toEqual([]);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(join(p.dataDir, 'builds')).catch(() => [])).not.toContain(app.id);
    expect(await readdir(join(p.dataDir, 'slugs')).catch(() => [])).not.toContain(app.id);
  });

  it('an app destroyed during its build: the build ends, and nothing of the app is left in the engine', async () => {
    const hold = gate();
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: async () => {
          hold.open();
          // Hangs: only its container's end (the exec dies with it, exit 137) stops it.
          return new Promise<never>(() => undefined);
        },
      },
    });
    await startBuild(p, app, NODE_APP);
    await hold.opened;
    p.services.apps.destroy(app.name);
    await p.services.builds.settled();
    await p.services.events.settled();
    expect(p.eventErrors).toEqual([]);
    expect(await p.engine.listByLabel({ app: app.id })).toEqual([]);
    expect(await p.engine.listImages([`berth.app=${app.id}`])).toEqual([]);
    expect(await p.engine.listVolumes([`berth.app=${app.id}`])).toEqual([]);
    // The host-wide Node.js downloads stay for every other app.
    expect(await p.engine.listVolumes(['berth.cache=node-dist'])).toEqual(['berth-node-dist']);
  });
});

describe('the build cache', () => {
  it('lives in a volume of the app: what one build caches, the next finds; purging empties it', async () => {
    const seen: string[] = [];
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: (step) => {
          seen.push(step.files.read('/tmp/cache/node_modules.tar')?.toString() ?? 'empty');
          step.files.write('/tmp/cache/node_modules.tar', `build ${seen.length}`);
        },
      },
    });
    await build(p, app, NODE_APP);
    await build(p, app, NODE_APP);
    expect(await p.engine.listVolumes([`berth.app=${app.id}`, 'berth.cache=build'])).toEqual([cacheVolume(app.id)]);
    await p.services.builds.purgeCache(app);
    await build(p, app, NODE_APP);
    expect(seen).toEqual(['empty', 'build 1', 'empty']);
  });

  it('a purge waits for the app’s running build, then removes the volume', async () => {
    const hold = gate();
    const inCompile = gate();
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: async () => {
          inCompile.open();
          await hold.opened;
        },
      },
    });
    await startBuild(p, app, NODE_APP);
    await inCompile.opened;
    let purged = false;
    const purge = p.services.builds.purgeCache(app).then(() => (purged = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(purged).toBe(false);
    expect(await p.engine.listVolumes([`berth.app=${app.id}`])).toEqual([cacheVolume(app.id)]);
    hold.open();
    await purge;
    expect(await p.engine.listVolumes([`berth.app=${app.id}`])).toEqual([]);
  });

  it('is the app’s own: another app’s build does not see it', async () => {
    const other = await p.createApp();
    const seen: string[] = [];
    scriptBuildpacks(p.engine, {
      nodejs: {
        ...nodejs,
        compile: (step) => {
          seen.push(step.files.read('/tmp/cache/marker')?.toString() ?? 'empty');
          step.files.write('/tmp/cache/marker', step.exec.container.spec.labels.app ?? '');
        },
      },
    });
    await build(p, app, NODE_APP);
    await build(p, other, NODE_APP);
    expect(seen).toEqual(['empty', 'empty']);
  });
});
