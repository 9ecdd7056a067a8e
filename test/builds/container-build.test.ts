// Container-stack builds through the real BuildsService on the memory engine: heroku.yml's images are built, a
// release pins them, the formation follows their process types; and each bad input fails the build with its `=!=`
// lines while the app's releases stay as they were.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { build } from '../support/builds.js';
import { platform, type Platform } from '../support/platform.js';

const DOCKERFILE = ['FROM heroku/heroku:24 AS base', 'ARG FLAVOUR=plain', 'LABEL flavour=$FLAVOUR', 'FROM base AS web', 'CMD python3 app.py', 'FROM base AS worker', 'CMD ["python3", "worker.py"]'].join('\n');
const HEROKU_YML = [
  'build:',
  '  docker:',
  '    web:',
  '      dockerfile: Dockerfile',
  '      target: web',
  '    worker:',
  '      dockerfile: Dockerfile',
  '      target: worker',
  '  config:',
  '    FLAVOUR: spicy',
  'release:',
  '  image: web',
  '  command:',
  '    - ./migrate',
  'run:',
  '  clock:',
  '    command: python3 clock.py',
  '    image: worker',
].join('\n');

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

describe('a container-stack build', () => {
  it('builds each process type, pins the images in a release, and runs the release phase', async () => {
    let releaseSpec: unknown;
    p.engine.script(
      (spec) => spec.labels.role === 'release',
      (proc) => {
        releaseSpec = proc.spec;
        return 0;
      },
    );
    const { build: done, output } = await build(p, app, { 'heroku.yml': HEROKU_YML, Dockerfile: DOCKERFILE, 'app.py': '' });
    expect(done.status, output.join('\n')).toBe('succeeded');
    expect(output[0]).toBe('=== Fetching app code');
    expect(output).toContain('=== Building web (Dockerfile)');
    expect(output).toContain('=== Building worker (Dockerfile)');
    expect(output).toContain('Step 1/7 : FROM heroku/heroku:24 AS base');
    expect(output).toContainEqual(expect.stringMatching(/^Sending build context to Docker daemon {2}\d+(\.\d+)?[kM]?B$/));
    expect(output.indexOf('=== Pushing web (Dockerfile)')).toBeGreaterThan(output.indexOf('=== Building worker (Dockerfile)'));
    expect(output).not.toContain('-----> Launching...');

    const release = p.store.releases.getById(app.id, done.releaseId ?? '');
    expect(release?.artifact?.type).toBe('image');
    const images = p.store.images.get(release?.artifact?.id ?? '');
    expect(images?.processes).toMatchObject({
      web: { command: 'python3 app.py', entrypoint: null },
      worker: { command: 'python3 worker.py' },
      clock: { command: 'python3 clock.py' },
      release: { command: './migrate' },
    });
    expect(images?.processes['clock']?.image).toBe(images?.processes['worker']?.image);
    expect((await p.engine.imageInfo(images?.processes['web']?.image ?? ''))?.labels).toMatchObject({ flavour: 'spicy', 'berth.app': app.id });
    expect(p.app(app.name)).toMatchObject({ stack: 'container', buildStack: 'container' });
    // The release phase ran in the web image with /bin/sh -c, then the release became current.
    await p.services.events.settled();
    expect(p.store.releases.current(app.id)?.id).toBe(release?.id);
    expect(p.lines(app)).toContainEqual(expect.stringMatching(/^heroku\[release\.\d+\]: Starting process with command `\/bin\/sh -c \.\/migrate`$/));
    expect(releaseSpec).toMatchObject({ cmd: ['/bin/sh', '-c', './migrate'], image: images?.processes['web']?.image });
    const formation = p.store.dynos.formation(app.id).map((f) => [f.type, f.quantity, f.command]);
    expect(formation.sort()).toEqual([
      ['clock', 0, 'python3 clock.py'],
      ['release', 0, './migrate'],
      ['web', 1, 'python3 app.py'],
      ['worker', 0, 'python3 worker.py'],
    ]);
  });

  it('dynos start from their own image through /bin/sh -c, with PORT and DYNO, and no /app assumed', async () => {
    const { build: done } = await build(p, app, { 'heroku.yml': HEROKU_YML, Dockerfile: DOCKERFILE });
    expect(done.status).toBe('succeeded');
    const web = await p.engine.started({ app: app.id, dyno: 'web.1' });
    expect(web.spec.cmd).toEqual(['/bin/sh', '-c', 'python3 app.py']);
    expect(web.spec.workingDir).toBeUndefined();
    expect(web.env).toMatchObject({ DYNO: 'web.1', PORT: expect.stringMatching(/^\d+$/) });
    expect(web.env['HOME']).toBeUndefined();
    // Heroku logs a container's command as /bin/sh gets it, shell-escaped.
    expect(p.lines(app)).toContain('heroku[web.1]: Starting process with command `/bin/sh -c python3\\ app.py`');
  });

  const failures: Array<[string, Record<string, string>, string[]]> = [
    [
      'no heroku.yml',
      { Dockerfile: DOCKERFILE },
      ['=!= Your app does not include a heroku.yml build manifest. To deploy your app, either create a heroku.yml: https://devcenter.heroku.com/articles/build-docker-images-heroku-yml'],
    ],
    [
      'an invalid heroku.yml',
      { 'heroku.yml': 'build:\n  docker:\n    web: Dockerfile\nrun:\n  worker: x\n', Dockerfile: DOCKERFILE },
      ['=!= Your heroku.yml manifest is invalid. Please correct the following issues:', '\trun.worker has no image: build.docker has no worker; add build.docker.worker or name one with run.worker.image'],
    ],
    ['a missing Dockerfile', { 'heroku.yml': 'build:\n  docker:\n    web: web/Dockerfile\n' }, ['=!= The Dockerfile web/Dockerfile for process type web is not in the repository.']],
    [
      'a FROM the engine does not have',
      { 'heroku.yml': 'build:\n  docker:\n    web: Dockerfile\n', Dockerfile: 'FROM ruby:3.3\nCMD ruby app.rb\n' },
      ['=!= Dockerfile: FROM ruby:3.3: the image is not on this machine, and Berth builds offline (it cannot pull).'],
    ],
    [
      'ADD of a URL',
      { 'heroku.yml': 'build:\n  docker:\n    web: Dockerfile\n', Dockerfile: 'FROM heroku/heroku:24\nADD https://example.test/x.tgz /x\n' },
      ['=!= Dockerfile: ADD https://example.test/x.tgz: Berth does not let ADD download at build time.'],
    ],
    [
      'a failing RUN',
      { 'heroku.yml': 'build:\n  docker:\n    web: Dockerfile\n    worker: worker/Dockerfile\n', Dockerfile: DOCKERFILE, 'worker/Dockerfile': 'FROM heroku/heroku:24\nRUN exit 3\n' },
      ["The command '/bin/sh -c exit 3' returned a non-zero code: 3", '=!= Build of worker (worker/Dockerfile) failed.'],
    ],
    ['an image with no command', { 'heroku.yml': 'build:\n  docker:\n    web: Dockerfile\n', Dockerfile: 'FROM heroku/heroku:24\n' }, ['=!= No command specified for process type web']],
  ];
  for (const [what, files, lines] of failures) {
    it(`fails on ${what}, leaving the releases as they were`, async () => {
      const before = p.store.releases.listByApp(app.id);
      const { build: done, output } = await build(p, app, files);
      expect(done.status).toBe('failed');
      for (const line of lines) expect(output).toContain(line);
      expect(output.at(-1)).toBe(' !     Push failed');
      expect(p.store.releases.listByApp(app.id)).toEqual(before);
      expect(await p.engine.listImages(['berth.image'])).toEqual([]);
    });
  }
});
