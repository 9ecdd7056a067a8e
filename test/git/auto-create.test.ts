// The first push to an unknown app creates it (BERTH_AUTO_CREATE_APPS): the app and its bare repo come whole or not at
// all, so a push that cannot make the repo leaves no app behind.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppRecord, BuildRecord, ReleaseRecord } from '../../src/contracts/records.js';
import { GitService } from '../../src/git/index.js';
import { AppQueues } from '../../src/queue.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function gitService(options: { reposBlocked: boolean }) {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-auto-create-'));
  dirs.push(dataDir);
  // A file where the repos folder should be: making any repo fails, as on a full or read-only disk.
  if (options.reposBlocked) await writeFile(join(dataDir, 'repos'), '');
  const apps = new Map<string, AppRecord>();
  const git = new GitService(
    {
      apps: {
        exists: (name) => [...apps.values()].some((app) => app.name === name),
        formerlyNamed: () => undefined,
        get: (name) => [...apps.values()].find((app) => app.name === name || app.id === name) as AppRecord,
        create: ({ name }) => {
          const app = { id: `id-${name}`, name } as AppRecord;
          apps.set(app.id, app);
          return app;
        },
        destroy: (id) => {
          const app = apps.get(id) as AppRecord;
          apps.delete(id);
          return app;
        },
      },
      sources: { create: () => ({ id: 'blob-1', secret: 'secret-1' }), upload: async () => 0 },
      builds: { create: () => ({}) as BuildRecord, get: () => ({}) as BuildRecord, output: async function* () {} },
      releases: { byId: () => ({}) as ReleaseRecord, followPhase: async function* () {} },
      queues: new AppQueues(),
      sourceBlobUrl: (id, secret) => `http://127.0.0.1:5100/sources/${id}/${secret}`,
      webUrl: (name) => `http://${name}.localhost:5000/`,
      logger: pino({ level: 'silent' }),
    },
    { dataDir, autoCreateApps: true, internalUrl: 'https://127.0.0.1:5101/internal/git/pushes', caFile: join(dataDir, 'tls', 'ca.pem') },
  );
  return { git, apps };
}

describe('the first push to an unknown app', () => {
  it('creates the app and its repo', async () => {
    const { git, apps } = await gitService({ reposBlocked: false });
    expect((await git.resolveApp('fresh', true))?.name).toBe('fresh');
    expect([...apps.values()].map((app) => app.name)).toEqual(['fresh']);
  });

  it('leaves no app behind when its repo cannot be made', async () => {
    const { git, apps } = await gitService({ reposBlocked: true });
    await expect(git.resolveApp('fresh', true)).rejects.toThrow();
    expect([...apps.values()]).toEqual([]);
  });
});
