// Stopping and starting the daemon loses nothing: apps, config vars, releases, log lines and the API key survive.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type TestDaemon } from '../support/daemon.js';

interface LogRow {
  seq: number;
  app_id: string;
  ts: string;
  source: string;
  dyno: string;
  message: string;
}

let daemon: TestDaemon;

async function api<T>(method: string, path: string, body?: unknown, key = daemon.apiKey): Promise<T> {
  const response = await fetch(`${daemon.apiUrl}${path}`, {
    method,
    headers: {
      Accept: 'application/vnd.heroku+json; version=3',
      Authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Snapshot {
  apps: unknown[];
  config: Record<string, unknown>;
  releases: Record<string, unknown[]>;
  releaseConfig: Record<string, unknown>;
}

const APPS = ['keep-one', 'keep-two', 'keep-three'];

async function snapshot(): Promise<Snapshot> {
  const apps = await api<Array<{ name: string }>>('GET', '/apps');
  const result: Snapshot = { apps, config: {}, releases: {}, releaseConfig: {} };
  for (const { name } of apps) {
    result.config[name] = await api('GET', `/apps/${name}/config-vars`);
    const releases = await api<Array<{ version: number }>>('GET', `/apps/${name}/releases`);
    result.releases[name] = releases;
    for (const { version } of releases) {
      result.releaseConfig[`${name}/v${version}`] = await api('GET', `/apps/${name}/releases/${version}/config-vars`);
    }
  }
  return result;
}

function logLines(): LogRow[] {
  const db = new Database(join(daemon.dataDir, 'berth.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, app_id, ts, source, dyno, message FROM log_lines ORDER BY seq').all() as LogRow[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  daemon = await startTestDaemon();
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('daemon restart', () => {
  let before: Snapshot;
  let logsBefore: LogRow[];
  let keyBefore: string;
  let envBefore: Record<string, string>;

  it('has state: apps, config vars, releases, log lines', async () => {
    for (const name of APPS) await api('POST', '/apps', { name });
    await api('PATCH', '/apps/keep-one/config-vars', { DATABASE_URL: 'postgres://u:p@127.0.0.1/db', 'MULTI_LINE': 'a\nb' });
    await api('PATCH', '/apps/keep-one/config-vars', { UNICODE: 'héllo ⬢' });
    await api('PATCH', '/apps/keep-two/config-vars', { A: '1' });
    await api('PATCH', '/apps/keep-two/config-vars', { A: null });
    await api('PATCH', '/apps/keep-three', { maintenance: true });
    await api('DELETE', '/apps/keep-three');
    before = await snapshot();
    expect(before.apps.map((a) => (a as { name: string }).name).sort()).toEqual(['keep-one', 'keep-two']);
    expect(before.releases['keep-one']).toHaveLength(4);
    expect(before.releases['keep-two']).toHaveLength(4);
    keyBefore = daemon.apiKey;
    envBefore = { ...daemon.env };
  });

  it('SIGTERM stops it cleanly with exit code 0', async () => {
    const exit = await daemon.stop('SIGTERM');
    expect(exit, daemon.output().slice(-4000)).toEqual({ code: 0, signal: null });
    await expect(fetch(`${daemon.apiUrl}/account`)).rejects.toThrow();
    logsBefore = logLines();
    const messages = logsBefore.map((l) => `${l.source}[${l.dyno}]: ${l.message}`);
    expect(messages.some((m) => /^app\[api\]: Set DATABASE_URL, MULTI_LINE config vars by user /.test(m)), messages.join('\n')).toBe(true);
    expect(messages.some((m) => /^app\[api\]: Release v4 created by user /.test(m)), messages.join('\n')).toBe(true);
  });

  it('starts again on the same data dir with everything still there', async () => {
    await daemon.restart();
    expect(daemon.apiKey).toBe(keyBefore);
    expect(daemon.env).toEqual(envBefore);
    // The old key (what users exported) still works.
    await api('GET', '/account', undefined, keyBefore);

    const after = await snapshot();
    expect(after).toEqual(before);
    expect(after.config['keep-one']).toEqual({ DATABASE_URL: 'postgres://u:p@127.0.0.1/db', MULTI_LINE: 'a\nb', UNICODE: 'héllo ⬢' });
    expect(after.config['keep-two']).toEqual({});
    await expect(api('GET', '/apps/keep-three')).rejects.toThrow(/404/);

    // Starting adds no log lines and loses none.
    expect(logLines()).toEqual(logsBefore);
  });

  it('the store keeps working after the restart (new releases continue the version sequence)', async () => {
    const env = sandboxedCliEnv(daemon);
    const set = await runHeroku(['config:set', 'AFTER=restart', '-a', 'keep-two'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toMatch(/Setting AFTER and restarting (⬢ )?keep-two\.\.\. done, v5/);
    const releases = await runHeroku(['releases', '-a', 'keep-two'], env);
    expect(releases.code, releases.stderr).toBe(0);
    expect(releases.stdout).toMatch(/^\s*v5\s+Set AFTER config vars\s/m);
    expect(releases.stdout).toMatch(/^\s*v1\s+Initial release\s/m);
    // New app names cannot reuse a live one, and the deleted one is free again.
    await expect(api('POST', '/apps', { name: 'keep-one' })).rejects.toThrow(/422/);
    await api('POST', '/apps', { name: 'keep-three' });
  });

  it('a second stop/start cycle (SIGINT) works too', async () => {
    const exit = await daemon.stop('SIGINT');
    expect(exit).toEqual({ code: 0, signal: null });
    await daemon.restart();
    const apps = await api<Array<{ name: string }>>('GET', '/apps');
    expect(apps.map((a) => a.name).sort()).toEqual(['keep-one', 'keep-three', 'keep-two']);
    expect(await api('GET', '/apps/keep-two/config-vars')).toEqual({ AFTER: 'restart' });
  });

  it('survives a crash (SIGKILL) too: committed state is on disk', async () => {
    await api('PATCH', '/apps/keep-one/config-vars', { LAST: 'before-crash' });
    const before = await snapshot();
    const exit = await daemon.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    await daemon.restart();
    expect(await snapshot()).toEqual(before);
  });
});
