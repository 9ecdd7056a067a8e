// What a release runs, in one place (DESIGN.md "Release artifacts"). A release pins a slug (dynos start from the image
// it was materialised into, through the buildpack launch: .profile.d, bash, /app) or, on the container stack, the
// images of a heroku.yml build (one per process type, each started through its ENTRYPOINT or `/bin/sh -c`, nothing
// of /app assumed). Nothing else that launches dynos needs to know which kind it got.
import type { ImageRecord, ProcessImage, ProcessTypes, ReleaseRecord, SlugRecord } from '../contracts/records.js';

interface SlugArtifact {
  readonly kind: 'slug';
  readonly slugId: string;
  /** The run image with the slug at /app. */
  readonly image: string;
  /** The Procfile's process types (`release` included). */
  readonly processTypes: ProcessTypes;
}

interface ImageArtifact {
  readonly kind: 'image';
  readonly imageId: string;
  /** Each process type's command (`release` included), for the formation. */
  readonly processTypes: ProcessTypes;
  readonly processes: Readonly<Record<string, ProcessImage>>;
}

export type Artifact = SlugArtifact | ImageArtifact;

/** How a process of an artifact starts: from which image, and for images, the ENTRYPOINT that gets the command. */
export interface ProcessLaunch {
  readonly image: string;
  /** Absent: the slug launch (bash, .profile.d, /app). */
  readonly entrypoint?: readonly string[];
}

export interface ArtifactSource {
  readonly builds: { getSlug(id: string): SlugRecord | undefined };
  readonly images: { get(id: string): ImageRecord | undefined };
}

/** Heroku runs a container's command with `/bin/sh -c` when its image has no ENTRYPOINT. */
const SHELL = ['/bin/sh', '-c'] as const;
/** One-off dynos of container apps get a login shell (Heroku: `/bin/sh -l -c`). */
const LOGIN_SHELL = ['/bin/sh', '-l', '-c'] as const;

/** The artifact a release runs, or undefined when it has none that can run (no slug yet, or not materialised). */
export function artifactOf(source: ArtifactSource, release: ReleaseRecord | undefined): Artifact | undefined {
  if (release?.artifact?.type === 'image') {
    const record = source.images.get(release.artifact.id);
    if (!record) return undefined;
    const processTypes = Object.fromEntries(Object.entries(record.processes).map(([type, p]) => [type, p.command]));
    return { kind: 'image', imageId: record.id, processTypes, processes: record.processes };
  }
  if (release?.artifact?.type !== 'slug') return undefined;
  const slug = source.builds.getSlug(release.artifact.id);
  if (!slug?.image) return undefined;
  return { kind: 'slug', slugId: slug.id, image: slug.image, processTypes: slug.processTypes };
}

/**
 * How a process of `type` starts. A one-off (`run`) of a container app runs in the `web` image (else the first),
 * with a login shell unless the image has an ENTRYPOINT.
 */
export function processLaunch(artifact: Artifact, type: string): ProcessLaunch {
  if (artifact.kind === 'slug') return { image: artifact.image };
  const own = artifact.processes[type];
  const chosen = own ?? artifact.processes['web'] ?? Object.values(artifact.processes)[0];
  if (chosen === undefined) throw new Error(`image artifact ${artifact.imageId} has no process images`);
  const shell = own === undefined && type === 'run' ? LOGIN_SHELL : SHELL;
  return { image: chosen.image, entrypoint: chosen.entrypoint ?? shell };
}
