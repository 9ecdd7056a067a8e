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
