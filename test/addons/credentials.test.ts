// Credential changes against a stand-in for the Postgres server (the real one is in the integration tier): rotations
// of one add-on run one at a time, each with the password the last one stored, and a store that cannot take the new
// password leaves the server's as it was; destroying an attached credential is refused in the CLI's words.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AddonRecord } from '../../src/store/index.js';
import { platform, type Platform } from '../support/platform.js';

// The server's passwords by role, once a rotation has changed them (before that, the one the add-on was made with).
const server = new Map<string, string>();

vi.mock('../../src/addons/inspect.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/addons/inspect.js')>()),
  rotatePasswords: async (addon: AddonRecord, roles: ReadonlyArray<{ username: string; password: string }>, _resetAll: boolean, beforeCommit: () => void) => {
    // The connection is made a moment after the call, as over TCP, and logs in as the default role.
    await new Promise((resolve) => setTimeout(resolve, 10));
    if ((server.get(addon.username) ?? addon.password) !== addon.password) throw new Error(`password authentication failed for user "${addon.username}"`);
    beforeCommit();
    for (const role of roles) server.set(role.username, role.password);
  },
  createRole: async () => undefined,
}));

let p: Platform;

beforeEach(async () => {
  server.clear();
  p = await platform();
  await p.createApp('shop');
  await p.createApp('admin');
});

afterEach(async () => {
  vi.restoreAllMocks();
  await p.close();
});

async function database(plan = 'heroku-postgresql:essential-0'): Promise<AddonRecord> {
  const res = await p.request('POST', '/apps/shop/addons', { plan });
  expect(res.status, res.text).toBe(201);
  const addon = p.store.addons.get((res.body as { id: string }).id);
  if (addon === undefined) throw new Error('no add-on');
  return addon;
}

const rotate = (addon: AddonRecord) => p.request('POST', `/postgres/v0/databases/${addon.name}/credentials/default/credentials_rotation`, { forced: true });

describe('pg:credentials:rotate', () => {
  it('two rotations at once: both succeed, one after the other, and the store ends with the server password', async () => {
    const addon = await database();
    const [first, second] = await Promise.all([rotate(addon), rotate(addon)]);
    expect([first.status, second.status], `${first.text} ${second.text}`).toEqual([200, 200]);
    const stored = p.store.addons.get(addon.id);
    expect(stored?.password).not.toBe(addon.password);
    expect(server.get(addon.username)).toBe(stored?.password);
    expect(p.app('shop').config['DATABASE_URL']).toContain(`:${stored?.password}@`);
  });

  it('a store that fails to take the new password leaves the server with the old one', async () => {
    const addon = await database();
    vi.spyOn(p.store.addons, 'update').mockImplementation(() => {
      throw new Error('disk I/O error');
    });
    expect((await rotate(addon)).status).toBe(500);
    vi.restoreAllMocks();
    expect(p.store.addons.get(addon.id)?.password).toBe(addon.password);
    expect(server.has(addon.username)).toBe(false);
    expect((await rotate(addon)).status).toBe(200);
    expect(server.get(addon.username)).toBe(p.store.addons.get(addon.id)?.password);
  });
});

describe('pg:credentials:destroy', () => {
  it('refuses a credential still attached: "the app A" for one app, "the apps A, B" for several', async () => {
    const addon = await database('heroku-postgresql:standard-0');
    expect((await p.request('POST', `/postgres/v0/databases/${addon.name}/credentials`, { name: 'analyst' })).status).toBe(200);
    const attach = async (app: string) => {
      const res = await p.request('POST', '/addon-attachments', { addon: { name: addon.name }, app: { name: app }, namespace: 'credential:analyst', name: 'ANALYST' });
      expect(res.status, res.text).toBe(201);
    };
    const destroy = () => p.request('DELETE', `/postgres/v0/databases/${addon.name}/credentials/analyst`);
    await attach('shop');
    expect((await destroy()).body).toEqual({ id: 'invalid_params', message: 'Credential analyst must be detached from the app shop before destroying.' });
    await attach('admin');
    // In the order the add-on's attachments are listed.
    expect((await destroy()).body).toEqual({
      id: 'invalid_params',
      message: expect.stringMatching(/^Credential analyst must be detached from the apps (shop, admin|admin, shop) before destroying\.$/),
    });
  });
});
