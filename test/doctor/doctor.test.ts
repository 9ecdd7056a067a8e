// berth doctor's checks on fixtures/doctor/<check>/ (each app has exactly that one problem) and on the clean apps the
// other tests deploy, read both from a directory and from a source tarball as a push sends it.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDiskWrites, examine, FINDINGS, SourceAdvisor, treeFromDirectory, treeFromTarball, treeOf, type CheckName } from '../../src/doctor/index.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const checks = (findings: ReadonlyArray<{ check: CheckName }>) => findings.map((f) => f.check);

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-doctor-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A fixture as a push sends it: a gzipped tarball, here under one top directory (as GitHub's archives are). */
async function tarball(dir: string, top: string): Promise<string> {
  const file = join(scratch, `${top}.tgz`);
  await pipeline(pack(dir, { map: (header) => ({ ...header, name: `${top}/${header.name}` }) }), createGzip(), createWriteStream(file));
  return file;
}

describe('berth doctor on fixtures/doctor', async () => {
  const problems = (await readdir(join(FIXTURES, 'doctor'))).sort();

  it('has a fixture for every check that reads the source', () => {
    expect(problems).toEqual(
      [
        'dev-dependency-at-runtime',
        'dotenv-committed',
        'fixed-port',
        'local-disk-writes',
        'lockfile-missing',
        'lockfile-out-of-date',
        'no-process-type',
        'node-version-unpinned',
        'python-version-unpinned',
        'release-migrates-without-lock',
        'secret-in-source',
        'sqlite',
      ].sort(),
    );
  });

  it.each(problems)('%s: that finding and no other, from the directory and from a tarball', async (problem) => {
    const dir = join(FIXTURES, 'doctor', problem);
    expect(checks(examine(await treeFromDirectory(dir)))).toEqual([problem]);
    expect(checks(examine(await treeFromTarball(await tarball(dir, problem))))).toEqual([problem]);
  });

  it.each(['node-basic', 'python-stdlib', 'lifecycle'])('the clean app %s has no findings', async (app) => {
    expect(examine(await treeFromDirectory(join(FIXTURES, app)))).toEqual([]);
  });
});

describe('each finding says what and how to fix it, one line each', () => {
  it('names the port and file of a fixed listen, and the command of a fixed bind', () => {
    expect(examine(treeOf({ Procfile: 'web: node server.js', 'package.json': '{"engines":{"node":"24.x"}}', 'server.js': 'app.listen(3000)' }))).toEqual([
      FINDINGS.fixedPort('3000', 'server.js'),
    ]);
    const gunicorn = treeOf({ Procfile: 'web: gunicorn -b 0.0.0.0:8000 app:app', '.python-version': '3.13', 'requirements.txt': '' });
    expect(examine(gunicorn)).toEqual([FINDINGS.fixedPort('8000', 'the web command `gunicorn -b 0.0.0.0:8000 app:app`')]);
    expect(FINDINGS.fixedPort('3000', 'server.js').message).toBe(
      'The web process listens on fixed port 3000 (server.js) instead of $PORT: on Heroku it crashes with Error R10 (Boot timeout)',
    );
  });

  it('follows `npm start` to the script, and the entry file to its relative imports', () => {
    const tree = treeOf({
      'package.json': JSON.stringify({ engines: { node: '24.x' }, scripts: { start: 'node src/main.js' }, devDependencies: { express: '5.0.0', nodemon: '3.0.0' } }),
      'package-lock.json': JSON.stringify({ packages: { 'node_modules/express': {}, 'node_modules/nodemon': {} } }),
      'src/main.js': "import { app } from './app.js';\nimport fs from 'node:fs';\napp.listen(process.env.PORT);",
      'src/app.js': "import express from 'express';\nexport const app = express();",
    });
    expect(examine(tree)).toEqual([FINDINGS.devDependencyAtRuntime('express', 'imported by src/app.js')]);
    const nodemon = treeOf({ ...Object.fromEntries(tree.paths.map((p) => [p, tree.text(p) ?? ''])), Procfile: 'web: nodemon src/main.js' });
    expect(checks(examine(nodemon))).toEqual(['dev-dependency-at-runtime', 'dev-dependency-at-runtime']);
    expect(examine(nodemon)[0]).toEqual(FINDINGS.devDependencyAtRuntime('nodemon', 'the web command `nodemon src/main.js`'));
  });

  it('knows the well-known key formats, and .env templates are not secrets', () => {
    const tree = treeOf({
      Procfile: 'worker: node w.js',
      'package.json': '{"engines":{"node":"24.x"}}',
      'key.pem': '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n',
      'pay.js': `const stripe = 'sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}';`,
      'gh.txt': `ghp_${'a'.repeat(36)}`,
      '.env.example': 'SECRET=',
      'config/.env.production': 'SECRET=x',
    });
    expect(examine(tree)).toEqual([
      FINDINGS.dotenvCommitted('config/.env.production'),
      FINDINGS.secretInSource('a GitHub token', 'gh.txt'),
      FINDINGS.secretInSource('a private key', 'key.pem'),
      FINDINGS.secretInSource('a Stripe live secret key', 'pay.js'),
    ]);
  });

  it('uses what the build knew: its process types and its slug size (Heroku soft limit wording)', () => {
    const tree = treeOf({ '.python-version': '3.13', 'requirements.txt': '' });
    expect(checks(examine(tree))).toEqual(['no-process-type']);
    expect(examine(tree, { processTypes: { web: 'python -m http.server $PORT' }, slugBytes: 301 * 1024 * 1024 })).toEqual([FINDINGS.slugSize(301)]);
    expect(FINDINGS.slugSize(446).message).toBe('Warning: Your slug size (446 MB) exceeds our soft limit (300 MB) which may affect boot time.');
    expect(examine(tree, { processTypes: { web: 'x' }, slugBytes: 300 * 1024 * 1024 })).toEqual([]);
  });

  it('lets release phases migrate with tools that lock', () => {
    const base = { '.python-version': '3.13', 'requirements.txt': '', 'Gemfile': '' };
    expect(examine(treeOf({ ...base, Procfile: 'web: bin/web\nrelease: bundle exec rails db:migrate' }))).toEqual([]);
    expect(examine(treeOf({ ...base, Procfile: 'web: bin/web\nrelease: alembic upgrade head' }))).toEqual([
      FINDINGS.releaseMigratesWithoutLock('alembic upgrade head'),
    ]);
  });

  it('every message and fix is one line', () => {
    const all = [
      FINDINGS.noProcessType(),
      FINDINGS.fixedPort('3000', 'server.js'),
      FINDINGS.nodeVersionUnpinned(),
      FINDINGS.pythonVersionUnpinned(),
      FINDINGS.lockfileMissing(),
      FINDINGS.lockfileOutOfDate(['left-pad', 'ms']),
      FINDINGS.dotenvCommitted('.env'),
      FINDINGS.secretInSource('a private key', 'key.pem'),
      FINDINGS.sqlite('sqlite3 in package.json'),
      FINDINGS.localDiskWrites('uploads in server.js'),
      FINDINGS.dynoWroteFiles('web.1', ['/app/uploads/a.png']),
      FINDINGS.devDependencyAtRuntime('express', 'imported by server.js'),
      FINDINGS.slugSize(301),
      FINDINGS.releaseMigratesWithoutLock('python manage.py migrate'),
    ];
    expect(all.length).toBe(Object.keys(FINDINGS).length);
    for (const finding of all) {
      expect(finding.message).not.toMatch(/\n/);
      expect(finding.fix).not.toMatch(/\n/);
    }
  });
});

describe('the push advisor', () => {
  it('prints warnings as push output lines, or nothing for a clean app', async () => {
    const advisor = new SourceAdvisor();
    const lines = await advisor.advise(await tarball(join(FIXTURES, 'doctor', 'fixed-port'), 'app'), { processTypes: { web: 'node server.js' }, slugBytes: 1 });
    expect(lines).toEqual([
      '-----> berth doctor: 1 thing Heroku would mind (the build goes on)',
      ' !     The web process listens on fixed port 3000 (server.js) instead of $PORT: on Heroku it crashes with Error R10 (Boot timeout)',
      ' !     Fix: Listen on the port in the PORT environment variable (process.env.PORT, os.environ["PORT"]), which changes each boot',
    ]);
    expect(await advisor.advise(await tarball(join(FIXTURES, 'node-basic'), 'clean'), { processTypes: { web: 'node server.js' }, slugBytes: 1 })).toEqual([]);
  });
});

describe('treeFromTarball reads within its memory budget', () => {
  it('lists every file but reads no more than 32 MiB of text, however many small files the tarball holds', async () => {
    const dir = await mkdtemp(join(scratch, 'big-'));
    // 70 files of 500 KiB each (under the 512 KiB per-file limit): 34 MiB in all, over the tree's 32 MiB budget.
    const names = Array.from({ length: 70 }, (_, i) => `data-${String(i).padStart(2, '0')}.txt`);
    for (const name of names) await writeFile(join(dir, name), 'x'.repeat(500 * 1024));
    const tree = await treeFromTarball(await tarball(dir, 'big'));
    expect(tree.paths.filter((path) => path.startsWith('data-'))).toHaveLength(70);
    const read = names.filter((name) => tree.text(name) !== undefined);
    expect(read.length).toBeGreaterThan(0);
    expect(read.length * 500 * 1024).toBeLessThanOrEqual(32 * 1024 * 1024);
  });
});

describe('what stopped dynos wrote (berth doctor -a: the engine diff of each container)', () => {
  it('files outside /tmp are a local-disk-writes finding per dyno; /tmp, the engine own files, bytecode caches and parent directories are not', () => {
    const findings = checkDiskWrites([
      {
        dyno: 'web.1',
        paths: ['/app', '/app/uploads', '/app/uploads/a.png', '/app/uploads/b.png', '/app/db.sqlite3', '/app/notes.txt', '/tmp', '/tmp/cache.bin', '/etc', '/etc/hosts', '/app/__pycache__', '/app/__pycache__/web.cpython-313.pyc'],
      },
      { dyno: 'worker.1', paths: ['/tmp', '/tmp/scratch', '/run', '/run/lock', '/dev', '/dev/shm/x'] },
    ]);
    expect(findings).toEqual([
      {
        check: 'local-disk-writes',
        message: 'web.1 wrote files outside /tmp before it stopped (/app/db.sqlite3, /app/notes.txt, /app/uploads/a.png and 1 more): Heroku discards them at every restart, at least daily',
        fix: 'Keep only scratch files, under /tmp; store lasting files in a database or object storage (such as S3)',
      },
    ]);
    expect(checkDiskWrites([])).toEqual([]);
  });
});

describe('container-stack apps (heroku.yml, or a Dockerfile per process type)', () => {
  it.each(['container-python', 'container-push', 'container-no-python'])('the clean container app %s has no findings', async (app) => {
    expect(examine(await treeFromDirectory(join(FIXTURES, app)))).toEqual([]);
  });

  it('how processes start and what the source holds still count; what a buildpack does (runtime, lockfile, slug) does not', () => {
    const tree = treeOf({
      'heroku.yml': 'build:\n  docker:\n    web: Dockerfile\nrelease:\n  image: web\n  command:\n    - node migrate.js\n',
      Dockerfile: 'FROM node:24 AS base\nCMD ["node", "other.js"]\nFROM base AS web\nWORKDIR /srv\nCOPY . .\nCMD ["node", "server.js"]\n',
      'server.js': "require('http').createServer(() => {}).listen(8080);\n",
      'package.json': '{"dependencies": {"left-pad": "1.3.0"}, "devDependencies": {"express": "4"}}',
      '.env': 'SECRET=1\n',
    });
    expect(checks(examine(tree))).toEqual(['fixed-port', 'dotenv-committed', 'release-migrates-without-lock']);
    expect(examine(tree)[0]?.message).toContain('(server.js)');
  });

  it('container:push style: Dockerfile.web, its CMD in the shell form; a push of the container stack says so in its facts', () => {
    const tree = treeOf({ 'Dockerfile.web': 'FROM python:3\nCMD python app.py --port 5000\n', 'app.py': 'print(1)\n' });
    expect(examine(tree).map((f) => [f.check, f.message])).toEqual([
      ['fixed-port', 'The web process listens on fixed port 5000 (the web command `python app.py --port 5000`) instead of $PORT: on Heroku it crashes with Error R10 (Boot timeout)'],
    ]);
    expect(checks(examine(treeOf({ 'app.py': 'print(1)\n' }), { container: true, processTypes: {} }))).toEqual([]);
  });

  it('a buildpack push with a development Dockerfile gets the buildpack checks: the build, not the tree, says how it was built', () => {
    const tree = treeOf({
      'package.json': '{"scripts": {"start": "node server.js"}, "dependencies": {"left-pad": "1.3.0"}}',
      'package-lock.json': JSON.stringify({ packages: { 'node_modules/left-pad': {} } }),
      'server.js': "require('http').createServer(() => {}).listen(process.env.PORT);\n",
      Dockerfile: 'FROM node:24\nCOPY . .\nCMD ["npm", "start"]\n',
    });
    // Pushed on heroku-24: built with the Node.js buildpack, so its runtime must be pinned.
    expect(checks(examine(tree, { slugBytes: 1024, processTypes: { web: 'npm start' } }))).toEqual(['node-version-unpinned']);
    // `berth doctor [dir]` has only the tree to go by, and a lone Dockerfile looks like container:push.
    expect(checks(examine(tree))).toEqual([]);
  });
});
