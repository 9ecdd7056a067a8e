// heroku.yml as the container stack reads it (heroku-containers.md §1.1): every shape Heroku documents, and every
// issue of a bad manifest listed in one go, as Heroku lists them.
import { describe, expect, it } from 'vitest';
import { ManifestError, parseHerokuYml } from '../../src/builds/heroku-yml.js';

function issuesOf(text: string): readonly string[] {
  try {
    parseHerokuYml(text);
  } catch (error) {
    if (error instanceof ManifestError) return error.issues;
    throw error;
  }
  throw new Error('the manifest was accepted');
}

describe('parseHerokuYml', () => {
  it('reads build.docker paths and {dockerfile, target}, build.config, release and run', () => {
    const manifest = parseHerokuYml(
      [
        'setup:',
        '  addons:',
        '    - plan: heroku-postgresql',
        'build:',
        '  docker:',
        '    web: Dockerfile',
        '    worker:',
        '      dockerfile: ./worker/Dockerfile',
        '      target: runner',
        '  config:',
        '    RAILS_ENV: production',
        '    WORKERS: 4',
        'release:',
        '  image: worker',
        '  command:',
        '    - ./deployment-tasks.sh',
        'run:',
        '  web: bundle exec puma -C config/puma.rb',
        '  asset-syncer:',
        '    command:',
        '      - python asset-syncer.py',
        '    image: worker',
      ].join('\n'),
    );
    expect([...manifest.docker]).toEqual([
      ['web', { dockerfile: 'Dockerfile' }],
      ['worker', { dockerfile: 'worker/Dockerfile', target: 'runner' }],
    ]);
    expect(manifest.buildArgs).toEqual({ RAILS_ENV: 'production', WORKERS: '4' });
    expect(manifest.release).toEqual({ image: 'worker', command: './deployment-tasks.sh' });
    expect([...manifest.run]).toEqual([
      ['web', { image: 'web', command: 'bundle exec puma -C config/puma.rb' }],
      ['asset-syncer', { image: 'worker', command: 'python asset-syncer.py' }],
    ]);
  });

  it('a release without image runs in web; without command, the image CMD', () => {
    expect(parseHerokuYml('build:\n  docker:\n    web: Dockerfile\nrelease:\n  command:\n    - ./migrate\n').release).toEqual({ image: 'web', command: './migrate' });
    expect(parseHerokuYml('build:\n  docker:\n    web: Dockerfile\nrelease:\n  image: web\n').release).toEqual({ image: 'web' });
    expect(parseHerokuYml('build:\n  docker:\n    web: Dockerfile\n').run.size).toBe(0);
  });

  it('lists every issue: forbidden properties, run with no image, bad paths, no build', () => {
    expect(
      issuesOf(
        [
          'builds: {}',
          'build:',
          '  docker:',
          '    web: /etc/Dockerfile',
          '    api:',
          '      dockerfile: ../Dockerfile',
          '      tagret: x',
          '  extra: 1',
          'run:',
          '  worker: python worker.py',
          '  web:',
          '    image: nowhere',
        ].join('\n'),
      ),
    ).toEqual([
      'builds in body is a forbidden property',
      'build.extra in body is a forbidden property',
      'build.docker.web must be a path inside the repository: /etc/Dockerfile',
      'build.docker.api.tagret in body is a forbidden property',
      'build.docker.api.dockerfile must be a path inside the repository: ../Dockerfile',
      'run.worker has no image: build.docker has no worker; add build.docker.worker or name one with run.worker.image',
      'run.web.image nowhere is not a process type of build.docker',
    ]);
    expect(issuesOf('run:\n  web: x\n')).toEqual(['build is required: build.docker names a Dockerfile per process type']);
    expect(issuesOf('build:\n  docker: {}\n')).toEqual(['build.docker must name a Dockerfile for at least one process type (e.g. web: Dockerfile)']);
    expect(issuesOf('build: [\n')[0]).toMatch(/^heroku\.yml is not valid YAML: /);
    expect(issuesOf('- a\n- b\n')).toEqual(['"" must be a map of the sections setup, build, release and run']);
  });
});
