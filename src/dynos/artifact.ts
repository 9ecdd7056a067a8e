// What a release runs, in one place (DESIGN.md "Release artifacts"). A release pins a slug today, which dynos start
// from as the image it was materialised into; a `heroku.yml` container deploy will pin an image, a second kind beside
// this one, and nothing that launches dynos needs to know which kind it got.
import type { ProcessTypes, ReleaseRecord, SlugRecord } from '../contracts/records.js';

interface SlugArtifact {
  readonly kind: 'slug';
  readonly slugId: string;
  /** The run image with the slug at /app. */
  readonly image: string;
  /** The Procfile's process types (`release` included). */
  readonly processTypes: ProcessTypes;
}

export type Artifact = SlugArtifact;

export interface ArtifactSource {
  getSlug(id: string): SlugRecord | undefined;
}

/** The artifact a release runs, or undefined when it has none that can run (no slug yet, or not materialised). */
export function artifactOf(source: ArtifactSource, release: ReleaseRecord | undefined): Artifact | undefined {
  if (release?.artifact?.type !== 'slug') return undefined;
  const slug = source.getSlug(release.artifact.id);
  if (!slug?.image) return undefined;
  return { kind: 'slug', slugId: slug.id, image: slug.image, processTypes: slug.processTypes };
}
