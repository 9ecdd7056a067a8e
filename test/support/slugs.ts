// A slug as if a build had made it: its record, its blob file and its image (labelled as the slug compiler labels
// it), so release and formation tests need no build.
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiTimestamp } from '../../src/clock.js';
import type { AppRecord, ProcessTypes, SlugRecord } from '../../src/contracts/records.js';
import type { Platform } from './platform.js';

export async function pretendSlug(p: Platform, app: AppRecord, processTypes: ProcessTypes = { worker: 'node worker.js' }): Promise<SlugRecord> {
  const id = randomUUID();
  const image = `berth/slug:${id}`;
  p.engine.addImage(image, { labels: { 'berth.app': app.id, 'berth.slug': id } });
  const blobPath = join(p.dataDir, 'slugs', app.id, `${id}.tgz`);
  await mkdir(join(p.dataDir, 'slugs', app.id), { recursive: true });
  await writeFile(blobPath, 'slug');
  return p.store.builds.insertSlug({
    id,
    appId: app.id,
    createdAt: apiTimestamp(),
    checksum: 'SHA256:00',
    size: 4,
    processTypes,
    commit: null,
    commitDescription: null,
    stack: 'heroku-24',
    buildpackProvidedDescription: null,
    blobPath,
    image,
  });
}
