// "Build elsewhere, release a slug": POST /apps/{app}/slugs, PUT of the .tgz to its blob URL, POST /releases {slug},
// on the in-memory engine (inject; the blob URL's path is PUT through the same API instance).
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { craftTarball } from '../support/build.js';
import { platform, type Platform } from '../support/platform.js';

let p: Platform;

beforeEach(async () => {
  p = await platform();
  await p.createApp('elsewhere');
});

afterEach(async () => {
  await p.close();
});

type SlugJson = { id: string; blob: { method: string; url: string }; process_types: Record<string, string>; checksum: string; size: number; commit: string | null };

async function put(url: string, body: Buffer): Promise<number> {
  const path = new URL(url).pathname;
  const answer = await p.api.inject({ method: 'PUT', url: path, payload: body, headers: { 'content-type': '' } });
  return answer.statusCode;
}

describe('slug upload', () => {
  it('answers a PUT blob URL, keeps the upload with its checksum, and releases it', async () => {
    const created = await p.request('POST', '/apps/elsewhere/slugs', { process_types: { web: 'node web.js' }, commit: 'a'.repeat(40), commit_description: 'from CI' });
    expect(created.status).toBe(201);
    const slug = created.body as SlugJson;
    expect(slug).toMatchObject({ process_types: { web: 'node web.js' }, commit: 'a'.repeat(40), blob: { method: 'put' } });
    expect(slug.blob.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:5100/slugs/${slug.id}/[0-9a-f]{48}$`));

    expect(await p.request('POST', '/apps/elsewhere/releases', { slug: slug.id })).toMatchObject({
      status: 422,
      body: { id: 'invalid_params', message: `Slug ${slug.id} has no blob yet: PUT its .tgz to the blob URL first.` },
    });
    const tgz = await craftTarball([{ header: { name: './app/web.js' }, content: 'console.log(1)' }]);
    expect(await put(slug.blob.url.replace(/[0-9a-f]{48}$/, 'f'.repeat(48)), tgz)).toBe(404);
    expect(await put(slug.blob.url, Buffer.from('not a tarball'))).toBe(400);
    expect(await put(slug.blob.url, tgz)).toBe(200);
    const stored = (await p.request('GET', `/apps/elsewhere/slugs/${slug.id}`)).body as SlugJson;
    expect(stored.checksum).toBe(`SHA256:${createHash('sha256').update(tgz).digest('hex')}`);
    expect(stored.size).toBe(tgz.length);

    const released = await p.request('POST', '/apps/elsewhere/releases', { slug: slug.id, description: 'Deploy from CI' });
    expect(released.status).toBe(201);
    expect(released.body).toMatchObject({ description: 'Deploy from CI', slug: { id: slug.id }, status: 'succeeded' });
    await p.services.events.settled();
    expect(p.services.dynos.formation(p.app('elsewhere')).map((f) => [f.type, f.quantity, f.command])).toEqual([['web', 1, 'node web.js']]);
  });

  it('refuses a body without process_types', async () => {
    expect(await p.request('POST', '/apps/elsewhere/slugs', { commit: 'x' })).toMatchObject({ status: 422, body: { id: 'invalid_params' } });
  });
});
