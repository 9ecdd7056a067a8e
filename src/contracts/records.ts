// Records as the store keeps them. Rooms pass these between each other; api/ turns them into
// Platform API shapes. Timestamps are ISO-8601 strings in UTC.

export type ConfigVars = Readonly<Record<string, string>>;

export interface Account {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface AppRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly releasedAt: string | null;
  readonly maintenance: boolean;
  readonly stack: string;
  readonly buildStack: string;
  readonly region: string;
  readonly config: ConfigVars;
  readonly slugSize: number | null;
  readonly buildpackProvidedDescription: string | null;
}

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed' | 'expired';

/** What a release runs: a slug today, an image for `heroku.yml` deploys later (DESIGN.md "Release artifacts"). */
export interface ReleaseArtifact {
  readonly type: 'slug' | 'image';
  readonly id: string;
}

export interface ReleaseRecord {
  readonly id: string;
  readonly appId: string;
  readonly version: number;
  readonly description: string;
  readonly status: ReleaseStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly artifact: ReleaseArtifact | null;
  readonly config: ConfigVars;
  readonly addonPlanNames: readonly string[];
  readonly userId: string;
  readonly userEmail: string;
  readonly outputStreamUrl: string | null;
  /** True for the one release the app runs now. */
  readonly current: boolean;
}

/** `app` for a process's own output and `app[api]`; `heroku` for the platform (dyno manager, router). */
export type LogSource = 'app' | 'heroku';

export interface LogLine {
  readonly ts: string;
  readonly source: LogSource;
  /** The process: `web.1`, `api`, `router`, `release.1234`. */
  readonly dyno: string;
  readonly message: string;
}

export type ProcessTypes = Readonly<Record<string, string>>;

export interface SlugRecord {
  readonly id: string;
  readonly appId: string;
  readonly createdAt: string;
  /** `SHA256:<hex>` of the `.tgz`, as the Platform API writes it. */
  readonly checksum: string;
  readonly size: number;
  readonly processTypes: ProcessTypes;
  readonly commit: string | null;
  readonly commitDescription: string | null;
  readonly stack: string;
  readonly buildpackProvidedDescription: string | null;
  /** Where the `.tgz` lives on this machine. */
  readonly blobPath: string;
  /** The image the slug was materialised as (run image plus the slug at /app); dynos start from it. */
  readonly image: string | null;
}

/** One process type's image of a container-stack (heroku.yml) build. */
export interface ProcessImage {
  /** The image on the engine (`berth/image:<40 hex>`). */
  readonly image: string;
  /** The engine's id of it (`sha256:…`). */
  readonly imageId: string;
  /** What its dynos run (heroku.yml `run`, else the image's CMD), as text for the image's ENTRYPOINT or `/bin/sh -c`. */
  readonly command: string;
  /** The image's ENTRYPOINT, which gets the command; null: `/bin/sh -c`, as on Heroku. */
  readonly entrypoint: readonly string[] | null;
}

/** The artifact of a container-stack build: an image per process type (`release`: the release phase). */
export interface ImageRecord {
  readonly id: string;
  readonly appId: string;
  readonly createdAt: string;
  readonly commit: string | null;
  readonly processes: Readonly<Record<string, ProcessImage>>;
}

export type BuildStatus = 'pending' | 'succeeded' | 'failed';

export interface BuildpackRef {
  readonly url: string;
  readonly name: string;
}

export interface BuildRecord {
  readonly id: string;
  readonly appId: string;
  readonly status: BuildStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly sourceUrl: string;
  readonly sourceVersion: string | null;
  readonly sourceChecksum: string | null;
  readonly sourceVersionDescription: string | null;
  /** The buildpacks asked for or used; null while auto-detection has not run. */
  readonly buildpacks: readonly BuildpackRef[] | null;
  readonly slugId: string | null;
  readonly releaseId: string | null;
  /** The secret in `output_stream_url`, which clients GET without auth. */
  readonly outputSecret: string;
  readonly userId: string;
  readonly userEmail: string;
  readonly stack: string;
}

export interface FormationRecord {
  readonly id: string;
  readonly appId: string;
  readonly type: string;
  readonly quantity: number;
  readonly size: string;
  readonly command: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DynoRecord {
  readonly id: string;
  readonly appId: string;
  /** `web.1`, `run.4821`, `release.9768` */
  readonly name: string;
  readonly type: string;
  readonly command: string;
  readonly size: string;
  readonly state: import('./routing.js').DynoState;
  readonly releaseId: string;
  readonly releaseVersion: number;
  readonly containerId: string | null;
  readonly port: number | null;
  readonly attachSecret: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The columns of a dyno's row that change over its life (the state machine's `persist` effect, the store's update). */
export type DynoChanges = Partial<Pick<DynoRecord, 'state' | 'containerId' | 'port' | 'releaseId' | 'releaseVersion' | 'command' | 'size'>>;
