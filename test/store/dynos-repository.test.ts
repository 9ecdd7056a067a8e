// A dyno's row follows what its current instance runs (issue 11, item 2): a restart onto a new release, a new command
// or a new size is written, so a daemon restart rebuilds the dyno from what it really runs.
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';

const app = { id: 'a1', name: 'demo', createdAt: '2026-01-01T00:00:00Z', stack: 'heroku-24', region: 'us' };
const release = (id: string) => ({
  id,
  appId: 'a1',
  description: `release ${id}`,
  status: 'succeeded' as const,
  createdAt: '2026-01-01T00:00:00Z',
  artifact: null,
  config: { A: id },
  addonPlanNames: [],
  userId: 'u',
  userEmail: 'u@example.test',
  outputStreamUrl: null,
});

describe('the dynos repository', () => {
  it('updates a dyno row with the release, command and size its new instance runs, and leaves the rest', () => {
    const store = new Store({ file: ':memory:', logHistoryLines: 10 });
    store.apps.insert(app);
    const v1 = store.releases.insert(release('r1'));
    const v2 = store.releases.insert(release('r2'));
    store.dynos.insertDyno({
      id: 'd1',
      appId: 'a1',
      name: 'web.1',
      type: 'web',
      command: 'npm start',
      size: 'Basic',
      state: 'up',
      releaseId: v1.id,
      releaseVersion: v1.version,
      containerId: 'c1',
      port: 20000,
      attachSecret: null,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    store.dynos.updateDyno(
      'd1',
      { containerId: 'c2', port: 20001, releaseId: v2.id, releaseVersion: v2.version, command: 'node server.js', size: 'Standard-2X' },
      '2026-01-02T00:00:00Z',
    );
    expect(store.dynos.allDynos()).toEqual([
      expect.objectContaining({
        name: 'web.1',
        state: 'up',
        containerId: 'c2',
        port: 20001,
        releaseId: v2.id,
        releaseVersion: 2,
        command: 'node server.js',
        size: 'Standard-2X',
        updatedAt: '2026-01-02T00:00:00Z',
      }),
    ]);
    store.dynos.updateDyno('d1', { state: 'crashed', containerId: null, port: null }, '2026-01-03T00:00:00Z');
    expect(store.dynos.dynos('a1')[0]).toMatchObject({ state: 'crashed', containerId: null, port: null, releaseVersion: 2, command: 'node server.js' });
  });
});
