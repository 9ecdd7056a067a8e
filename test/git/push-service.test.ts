// A git push as the pre-receive hook drives GitService (plan, then deploy with `git archive` of the new commit), on
// the memory engine: the `remote:` transcript a user reads, in Heroku's words. Only git's own transport is left out
// (http-backend and the hook script run in the integration tier).
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/contracts/records.js';
import { scriptBuildpacks, sourceTarball } from '../support/build-container.js';
import { platform, type Platform } from '../support/platform.js';

const ZERO = '0'.repeat(40);
const SHA = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const NODE_APP = { 'package.json': '{}', Procfile: 'worker: node worker.js\n' };

let p: Platform;
let app: AppRecord;

beforeEach(async () => {
  p = await platform();
  app = await p.createApp();
  scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js' } });
});
afterEach(async () => {
  await p.close();
});

/** One push of `files` to `ref`: its transcript (the hook's output, line by line) and whether it was accepted. */
async function push(files: Record<string, string>, ref = 'refs/heads/main', watch?: (text: string) => void): Promise<{ lines: string[]; accepted: boolean | undefined }> {
  const session = p.services.git.beginPush(app);
  const token = session.env['BERTH_PUSH_TOKEN'];
  const plan = await p.services.git.plan(token, `${ZERO} ${SHA} ${ref}\n`);
  let text = plan.lines.map((line) => `${line}\n`).join('');
  let accepted: boolean | undefined = plan.ok ? undefined : false;
  if (plan.ok && plan.archive !== null) {
    const abort = new AbortController();
    await p.services.git.deploy(token, Readable.from(await sourceTarball(files)), {
      write: (chunk) => {
        text += chunk;
        watch?.(text);
      },
      end: (ok) => {
        accepted = ok;
        // http-backend exits once the hook has answered.
        session.end();
      },
      signal: abort.signal,
    });
  }
  session.end();
  await p.services.builds.settled();
  return { lines: text.split('\n').slice(0, -1), accepted };
}

describe('a push', () => {
  it('that builds: source received, the build’s output, Verifying deploy... done.; accepted', async () => {
    const { lines, accepted } = await push(NODE_APP);
    expect(accepted).toBe(true);
    expect(lines.slice(0, 4)).toEqual(['Compressing source files... done.', 'Building source:', '', '-----> Building on the Heroku-24 stack']);
    expect(lines).toContain('-----> Node.js app detected');
    expect(lines.slice(-4)).toEqual(['       Released v3', `       http://${app.name}.localhost:5000/ deployed to Berth`, '', 'Verifying deploy... done.']);
    expect(p.services.releases.current(p.app(app.name))?.description).toBe('Deploy a1b2c3d4');
  });

  it('whose build fails: Verifying deploy..., then Push rejected to <app>; refused', async () => {
    scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js', compile: () => 1 } });
    const { lines, accepted } = await push(NODE_APP);
    expect(accepted).toBe(false);
    expect(lines.slice(-7)).toEqual([
      ' !     Push rejected, failed to compile Node.js app.',
      '',
      ' !     Push failed',
      'Verifying deploy...',
      '',
      `!\tPush rejected to ${app.name}.`,
      '',
    ]);
  });

  it('with a release command: its output after Verifying deploy... done., then Waiting for release.... done.', async () => {
    p.engine.script(
      (spec) => spec.labels.role === 'release',
      (proc) => {
        proc.print('Running migrations');
      },
    );
    const { lines, accepted } = await push({ ...NODE_APP, Procfile: 'release: ./migrate.sh\nworker: node worker.js\n' });
    expect(accepted).toBe(true);
    expect(lines.slice(-5)).toEqual(['', 'Verifying deploy... done.', 'Running release command...', 'Running migrations', 'Waiting for release.... done.']);
  });

  it('whose release command fails is still accepted, and says Waiting for release.... failed.', async () => {
    p.engine.script((spec) => spec.labels.role === 'release', () => 1);
    const { lines, accepted } = await push({ ...NODE_APP, Procfile: 'release: ./migrate.sh\n' });
    expect(accepted).toBe(true);
    expect(lines.at(-1)).toBe('Waiting for release.... failed.');
    expect(p.services.releases.current(p.app(app.name))?.version).toBe(2);
  });

  it('of a branch other than main or master is refused before anything is built', async () => {
    const { lines, accepted } = await push(NODE_APP, 'refs/heads/feature');
    expect(accepted).toBe(false);
    expect(lines).toEqual([' !     Push rejected: only the main or master branch deploys, and you pushed feature.', ' !     To deploy it, run: git push <remote> feature:main']);
    expect(p.services.builds.list(app)).toEqual([]);
  });

  it('waits in the app’s queue behind a running build, saying so', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let compiling!: () => void;
    const inCompile = new Promise<void>((resolve) => (compiling = resolve));
    scriptBuildpacks(p.engine, {
      nodejs: {
        detect: 'Node.js',
        compile: async () => {
          compiling();
          await held;
        },
      },
    });
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const file = join(p.dataDir, 'other.tgz');
    await writeFile(file, await sourceTarball(NODE_APP));
    p.services.builds.create(app, { source: { kind: 'file', path: file, url: `file://${file}` }, sourceVersion: null, sourceChecksum: null, buildpacks: null });
    await inCompile;
    let queued!: () => void;
    const waiting = new Promise<void>((resolve) => (queued = resolve));
    const pushing = push(NODE_APP, 'refs/heads/main', (text) => {
      if (text.includes('-----> Waiting for another')) queued();
    });
    await waiting;
    scriptBuildpacks(p.engine, { nodejs: { detect: 'Node.js' } });
    release();
    const { lines, accepted } = await pushing;
    expect(accepted).toBe(true);
    expect(lines.slice(0, 3)).toEqual(['Compressing source files... done.', 'Building source:', '']);
    expect(lines[3]).toMatch(new RegExp(`^-----> Waiting for another build or change of ${app.name} to finish\\.\\.\\.$`));
  });
});
