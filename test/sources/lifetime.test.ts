// Source blobs are not kept forever (issue 11): they go a grace period after their last build, at once when the
// app whose builds used them is destroyed, and after an hour when no build ever claimed them.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SourcesService } from '../../src/sources/index.js';
import { Store } from '../../src/store/index.js';

const PREFIX = 'http://127.0.0.1:5100/sources/';
const dirs: string[] = [];
const stores: Store[] = [];

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function service(graceSeconds: number): SourcesService {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sources-'));
  dirs.push(dir);
  const store = new Store({ file: join(dir, 'berth.db'), logHistoryLines: 100 });
  stores.push(store);
  return new SourcesService(store, { dataDir: dir, maxBytes: 1024 * 1024, ownPrefixes: () => [PREFIX], graceSeconds });
}

async function uploaded(sources: SourcesService): Promise<{ id: string; url: string; file: string }> {
  const blob = sources.create();
  await sources.upload(blob.id, blob.secret, Readable.from([Buffer.from('tarball bytes')]));
  return { id: blob.id, url: `${PREFIX}${blob.id}/${blob.secret}`, file: sources.path(blob.id) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function gone(sources: SourcesService, blob: { id: string; url: string; file: string }): Promise<boolean> {
  const secret = blob.url.split('/').at(-1) ?? '';
  const refused = await sources.file(blob.id, secret).then(
    () => false,
    () => true,
  );
  return refused && !existsSync(blob.file);
}

/** Polls (the grace is a timer): true once the blob is gone, false if it is still there after 10 s. */
async function eventuallyGone(sources: SourcesService, blob: { id: string; url: string; file: string }): Promise<boolean> {
  for (let i = 0; i < 200; i += 1) {
    if (await gone(sources, blob)) return true;
    await sleep(50);
  }
  return false;
}

describe('source blob lifetime', () => {
  it('a blob goes a grace period after its build is done', async () => {
    const sources = service(0.05);
    const blob = await uploaded(sources);
    sources.claim(sources.reference(blob.url), 'app-1');
    await sleep(120);
    expect(existsSync(blob.file)).toBe(true);
    sources.retire(sources.reference(blob.url));
    expect(await eventuallyGone(sources, blob)).toBe(true);
  });

  it('a second build that claims the blob within the grace keeps it until that build is done', async () => {
    const sources = service(0.1);
    const blob = await uploaded(sources);
    sources.claim(sources.reference(blob.url), 'app-1');
    sources.retire(sources.reference(blob.url));
    sources.claim(sources.reference(blob.url), 'app-1');
    await sleep(250);
    expect(existsSync(blob.file)).toBe(true);
    sources.retire(sources.reference(blob.url));
    expect(await eventuallyGone(sources, blob)).toBe(true);
  });

  it('destroying the app deletes the blobs its builds used at once, not those of other apps', async () => {
    const sources = service(600);
    const mine = await uploaded(sources);
    const theirs = await uploaded(sources);
    sources.claim(sources.reference(mine.url), 'app-1');
    sources.retire(sources.reference(mine.url));
    sources.claim(sources.reference(theirs.url), 'app-2');
    await sources.removeApp('app-1');
    expect(await gone(sources, mine)).toBe(true);
    expect(existsSync(theirs.file)).toBe(true);
  });

  it('a sweep deletes blobs unused for an hour and keeps claimed or recent ones', async () => {
    const sources = service(600);
    const old = await uploaded(sources);
    const oldButClaimed = await uploaded(sources);
    const recent = await uploaded(sources);
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(old.file, twoHoursAgo, twoHoursAgo);
    await utimes(oldButClaimed.file, twoHoursAgo, twoHoursAgo);
    sources.claim(sources.reference(oldButClaimed.url), 'app-1');
    await sources.sweep();
    expect(await gone(sources, old)).toBe(true);
    expect(existsSync(oldButClaimed.file)).toBe(true);
    expect(existsSync(recent.file)).toBe(true);
  });

  it('a wrong secret of the right length is refused', async () => {
    const sources = service(600);
    const blob = sources.create();
    const wrong = blob.secret.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    await expect(sources.file(blob.id, wrong)).rejects.toThrow();
    await expect(sources.file(blob.id, '')).rejects.toThrow();
  });
});
