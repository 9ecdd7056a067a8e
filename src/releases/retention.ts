// Heroku's retention since October 2025 (DESIGN.md "Retention"): a slug (or a heroku.yml build's images) whose releases are all more than N releases
// back and older than D days is deleted, with its image, and those releases become `expired` (no rollback to them).
// Only what carries Berth's labels is ever removed.
import { rm } from 'node:fs/promises';
import { apiTimestamp } from '../clock.js';
import type { Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';

export interface RetentionPolicy {
  /** Releases this many back or fewer are always kept (Heroku: 20). */
  readonly keepReleases: number;
  /** Releases younger than this are always kept (Heroku: 30 days). */
  readonly keepDays: number;
}

/** The releases of one app that expire under the policy; pure, so it is unit-tested without an engine. */
export function expiringReleases<R extends { id: string; version: number; createdAt: string; status: string; current: boolean }>(
  releases: readonly R[],
  policy: RetentionPolicy,
  now: Date,
): R[] {
  const cutoff = now.getTime() - policy.keepDays * 24 * 60 * 60 * 1000;
  const newestFirst = [...releases].sort((a, b) => b.version - a.version);
  return newestFirst.filter(
    (release, index) =>
      index >= policy.keepReleases && !release.current && release.status !== 'expired' && Date.parse(release.createdAt) < cutoff,
  );
}

export async function sweepRetention(store: Store, runtime: Runtime, policy: RetentionPolicy, now = new Date()): Promise<number> {
  let expired = 0;
  for (const app of store.apps.list()) {
    const releases = store.releases.listByApp(app.id);
    const expiring = new Set(expiringReleases(releases, policy, now).map((r) => r.id));
    if (expiring.size === 0) continue;
    // A slug goes only when no release that stays still runs it.
    const staying = releases.filter((r) => !expiring.has(r.id) && r.status !== 'expired');
    const kept = new Set(staying.map((r) => r.artifact?.id));
    // Likewise an engine image: a release made through the formation (container:release) runs images of other
    // records (pushes, an earlier build's types it kept).
    const keptImages = new Set(
      staying.flatMap((r) => (r.artifact?.type === 'image' ? Object.values(store.images.get(r.artifact.id)?.processes ?? {}).map((p) => p.image) : [])),
    );
    for (const release of releases) {
      if (!expiring.has(release.id)) continue;
      store.releases.setStatus(app.id, release.id, 'expired', apiTimestamp(now));
      expired += 1;
      if (release.artifact === null || kept.has(release.artifact.id)) continue;
      if (release.artifact.type === 'image') {
        await removeImages(store, runtime, release.artifact.id, keptImages);
        continue;
      }
      const slugId = release.artifact.id;
      const slug = store.builds.getSlug(slugId);
      if (!slug) continue;
      await rm(slug.blobPath, { force: true });
      if (slug.image) {
        const info = await runtime.imageInfo(slug.image);
        if (info?.labels['berth.slug'] === slug.id) await runtime.removeImage(slug.image);
      }
    }
  }
  return expired;
}

/**
 * The images of an image release that no staying release runs, each only if Berth built it for this app (it carries
 * the `berth.image` label of one of the app's records: the release's own build, or the push or build it came from).
 */
async function removeImages(store: Store, runtime: Runtime, imageId: string, keptImages: ReadonlySet<string>): Promise<void> {
  const record = store.images.get(imageId);
  if (!record) return;
  for (const process of Object.values(record.processes)) {
    if (keptImages.has(process.image)) continue;
    const info = await runtime.imageInfo(process.image);
    const builtBy = info === undefined ? undefined : store.images.get(info.labels['berth.image'] ?? '');
    if (builtBy?.appId === record.appId) await runtime.removeImage(process.image);
  }
}
