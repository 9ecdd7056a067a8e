// A push's own lines around its build's output (push-lines.ts), driven through GitService with fake services: the
// order and words the push prints, the release phase after `Verifying deploy... done.`, and the wait in the app's queue.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppRecord, BuildRecord, ReleaseRecord } from '../../src/contracts/records.js';
import type { SourceRef } from '../../src/contracts/sources.js';
import { GitService, type GitBuilds, type GitReleases } from '../../src/git/index.js';
import { AppQueues, type QueueTurn } from '../../src/queue.js';

const NEW_SHA = 'a'.repeat(40);
const ZERO = '0'.repeat(40);

interface Fakes {
  readonly git: GitService;
  readonly queues: AppQueues;
  readonly builds: { source?: SourceRef; within?: QueueTurn };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup(options: { buildSucceeds: boolean; releasePhase?: 'succeeded' | 'failed' }): Promise<Fakes> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-push-'));
  dirs.push(dataDir);
  const app = { id: 'app-1', name: 'demo' } as AppRecord;
  const seen: Fakes['builds'] = {};
  let releaseStatus: ReleaseRecord['status'] = options.releasePhase ? 'pending' : 'succeeded';
  const builds: GitBuilds = {
    create(_app, request, within) {
      seen.source = request.source;
      seen.within = within;
      return { id: 'build-1', outputSecret: 's' } as BuildRecord;
    },
    get: () => ({ id: 'build-1', status: options.buildSucceeds ? 'succeeded' : 'failed', releaseId: options.buildSucceeds ? 'rel-1' : null }) as BuildRecord,
    async *output() {
      yield Buffer.from('-----> Building on the Heroku-24 stack\n');
    },
  };
  const releases: GitReleases = {
    byId: () => ({ id: 'rel-1', status: releaseStatus }) as ReleaseRecord,
    async *followPhase() {
      yield Buffer.from('release.py: migrating\n');
      releaseStatus = options.releasePhase ?? 'succeeded';
    },
  };
  const queues = new AppQueues();
  const git = new GitService(
    {
      apps: { exists: () => true, formerlyNamed: () => undefined, get: () => app, create: () => app, destroy: () => app },
      sources: { create: () => ({ id: 'blob-1', secret: 'secret-1' }), upload: async () => 0 },
      builds,
      releases,
      queues,
      sourceBlobUrl: (id, secret) => `http://127.0.0.1:5100/sources/${id}/${secret}`,
      webUrl: (name) => `http://${name}.localhost:5000/`,
      logger: pino({ level: 'silent' }),
    },
    { dataDir, autoCreateApps: true, internalUrl: 'https://127.0.0.1:5101/internal/git/pushes', caFile: join(dataDir, 'tls', 'ca.pem') },
  );
  return { git, queues, builds: seen };
}

/** Runs one push to main through the hook's two calls; resolves with everything it wrote and whether it succeeded. */
async function push(git: GitService, onText: (text: string) => void = () => undefined): Promise<{ text: string; succeeded: boolean | undefined }> {
  const app = await git.resolveApp('demo', true);
  if (!app) throw new Error('no app');
  const session = git.beginPush(app);
  const token = session.env['BERTH_PUSH_TOKEN'];
  expect(await git.plan(token, `${ZERO} ${NEW_SHA} refs/heads/main\n`)).toEqual({ ok: true, lines: [], archive: NEW_SHA });
  let text = '';
  let succeeded: boolean | undefined;
  const controller = new AbortController();
  await git.deploy(token, Readable.from([Buffer.from('tarball')]), {
    write: (chunk) => {
      text += chunk;
      onText(text);
    },
    end: (ok) => {
      succeeded = ok;
      // http-backend exits once the hook is done: that ends the push's turn of the queue.
      session.end();
    },
    signal: controller.signal,
  });
  return { text, succeeded };
}

describe('a push through GitService', () => {
  it("prints Heroku's lines around the build output, then the release phase, in its own turn of the queue", async () => {
    const { git, builds } = await setup({ buildSucceeds: true, releasePhase: 'succeeded' });
    const result = await push(git);
    expect(result.succeeded).toBe(true);
    expect(result.text).toBe(
      [
        'Compressing source files... done.',
        'Building source:',
        '',
        '-----> Building on the Heroku-24 stack',
        '',
        'Verifying deploy... done.',
        'Running release command...',
        'release.py: migrating',
        'Waiting for release.... done.',
        '',
      ].join('\n'),
    );
    expect(builds.source).toEqual({ kind: 'blob', id: 'blob-1', secret: 'secret-1', url: 'http://127.0.0.1:5100/sources/blob-1/secret-1' });
    expect(builds.within?.appId).toBe('app-1');
  });

  it('says `failed.` when the release command fails; the push itself still succeeds, as on Heroku', async () => {
    const { git } = await setup({ buildSucceeds: true, releasePhase: 'failed' });
    const result = await push(git);
    expect(result.succeeded).toBe(true);
    expect(result.text.split('\n').slice(-3)).toEqual(['release.py: migrating', 'Waiting for release.... failed.', '']);
  });

  it('rejects the push when the build fails', async () => {
    const { git } = await setup({ buildSucceeds: false });
    const result = await push(git);
    expect(result.succeeded).toBe(false);
    expect(result.text.split('\n').slice(-6)).toEqual(['-----> Building on the Heroku-24 stack', 'Verifying deploy...', '', '!\tPush rejected to demo.', '', '']);
  });

  it('waits in the app queue behind other work of the app, and says so in a line', async () => {
    const { git, queues } = await setup({ buildSucceeds: true });
    let finish!: () => void;
    const build = queues.run('app-1', 'build 0', () => new Promise<void>((resolve) => (finish = resolve)));
    // The build ends once the push has said that it waits.
    const pushed = push(git, (text) => {
      if (text.includes('Waiting for another')) finish();
    });
    await build;
    const { text } = await pushed;
    expect(text.split('\n').slice(0, 4)).toEqual([
      'Compressing source files... done.',
      'Building source:',
      '',
      '-----> Waiting for another build or change of demo to finish...',
    ]);
    expect(text).toContain('Verifying deploy... done.');
  });
});
