// `heroku apps:rename` leaves every checkout's git remote naming the old app (`berth git:remote`'s
// `http://127.0.0.1:5100/<old>.git` is not one the CLI rewrites): that URL keeps reaching the renamed app, and a
// push to it never creates a new app of the old name, until another app takes that name.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { platform, type Platform } from '../support/platform.js';

let p: Platform;

beforeEach(async () => {
  p = await platform();
  await p.createApp('before');
});

afterEach(async () => {
  await p.close();
});

async function appNames(): Promise<string[]> {
  return ((await p.request('GET', '/apps')).body as Array<{ name: string }>).map((a) => a.name).sort();
}

describe('a git remote naming an app renamed since', () => {
  it('reaches the renamed app for fetch and push, and creates no app of the old name', async () => {
    const id = p.app('before').id;
    expect((await p.request('PATCH', '/apps/before', { name: 'after' })).status).toBe(200);
    expect((await p.services.git.resolveApp('before', false))?.id).toBe(id);
    expect((await p.services.git.resolveApp('before', true))?.id).toBe(id);
    expect(await appNames()).toEqual(['after']);
    // Renamed twice: both old names still lead to it.
    expect((await p.request('PATCH', '/apps/after', { name: 'later' })).status).toBe(200);
    expect((await p.services.git.resolveApp('before', true))?.name).toBe('later');
    expect((await p.services.git.resolveApp('after', true))?.name).toBe('later');
    expect(await appNames()).toEqual(['later']);
  });

  it('gives the old name up to an app that takes it, and forgets it with the renamed app', async () => {
    const renamed = (await p.request('PATCH', '/apps/before', { name: 'after' })).body as { id: string };
    expect((await p.request('POST', '/apps', { name: 'before' })).status).toBe(201);
    expect((await p.services.git.resolveApp('before', true))?.id).not.toBe(renamed.id);
    expect((await p.request('DELETE', '/apps/before')).status).toBe(200);
    expect((await p.request('DELETE', '/apps/after')).status).toBe(200);
    expect(await p.services.git.resolveApp('after', false)).toBeUndefined();
    expect(await appNames()).toEqual([]);
  });
});
