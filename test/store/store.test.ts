import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  dirs.push(dir);
  return join(dir, 'berth.db');
}

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

describe('the store', () => {
  it('keeps apps, releases and log lines across reopening, in WAL mode', () => {
    const file = tempFile();
    const first = new Store({ file, logHistoryLines: 1500 });
    first.apps.insert(app);
    first.releases.insert(release('r1'));
    first.logs.append('a1', [{ ts: 't', source: 'app', dyno: 'api', message: 'hello' }]);
    first.close();

    const second = new Store({ file, logHistoryLines: 1500 });
    expect(second.apps.getByName('demo')?.id).toBe('a1');
    expect(second.releases.getByVersion('a1', 1)?.config).toEqual({ A: 'r1' });
    expect(second.logs.read('a1').map((l) => l.message)).toEqual(['hello']);
    second.close();
  });

  it('numbers releases per app from 1 and keeps exactly one current', () => {
    const store = new Store({ file: ':memory:', logHistoryLines: 10 });
    store.apps.insert(app);
    for (const id of ['r1', 'r2', 'r3']) {
      const r = store.releases.insert(release(id));
      store.releases.makeCurrent('a1', r.id, '2026-01-01T00:00:00Z');
    }
    expect(store.releases.listByApp('a1').map((r) => [r.version, r.current])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    store.close();
  });

  it('rolls a failed transaction back whole and runs no after-commit callback', () => {
    const store = new Store({ file: ':memory:', logHistoryLines: 10 });
    const announced: string[] = [];
    expect(() =>
      store.transaction(() => {
        store.apps.insert(app);
        store.afterCommit(() => announced.push('created'));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.apps.list()).toEqual([]);
    expect(announced).toEqual([]);
    store.transaction(() => {
      store.apps.insert(app);
      store.afterCommit(() => announced.push('created'));
      expect(announced).toEqual([]);
    });
    expect(announced).toEqual(['created']);
    store.close();
  });

  it('keeps the last N log lines per app and no more', () => {
    const store = new Store({ file: ':memory:', logHistoryLines: 5 });
    store.apps.insert(app);
    store.apps.insert({ ...app, id: 'a2', name: 'other' });
    for (let i = 0; i < 12; i++) store.logs.append('a1', [{ ts: 't', source: 'app', dyno: 'web.1', message: `line ${i}` }]);
    store.logs.append('a2', [{ ts: 't', source: 'app', dyno: 'web.1', message: 'other app' }]);
    expect(store.logs.read('a1').map((l) => l.message)).toEqual(['line 7', 'line 8', 'line 9', 'line 10', 'line 11']);
    expect(store.logs.read('a2').map((l) => l.message)).toEqual(['other app']);
    store.close();
  });

  it('deletes an app with its releases and log lines (foreign keys cascade)', () => {
    const store = new Store({ file: ':memory:', logHistoryLines: 5 });
    store.apps.insert(app);
    store.releases.insert(release('r1'));
    store.logs.append('a1', [{ ts: 't', source: 'app', dyno: 'api', message: 'x' }]);
    store.apps.delete('a1');
    expect(store.releases.listByApp('a1')).toEqual([]);
    expect(store.logs.read('a1')).toEqual([]);
    store.close();
  });

  it('refuses a store written by a newer Berth', () => {
    const file = tempFile();
    new Store({ file, logHistoryLines: 5 }).close();
    const db = new Database(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => new Store({ file, logHistoryLines: 5 })).toThrow('newer Berth');
  });
});
