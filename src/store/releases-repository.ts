import type { ConfigVars, ReleaseArtifact, ReleaseRecord, ReleaseStatus } from '../contracts/records.js';
import type { Db } from './database.js';

interface ReleaseRow {
  id: string;
  app_id: string;
  version: number;
  description: string;
  status: ReleaseStatus;
  created_at: string;
  updated_at: string;
  artifact_type: 'slug' | 'image' | null;
  artifact_id: string | null;
  config: string;
  addon_plan_names: string;
  user_id: string;
  user_email: string;
  output_stream_url: string | null;
  current: number;
}

function toRecord(row: ReleaseRow): ReleaseRecord {
  return {
    id: row.id,
    appId: row.app_id,
    version: row.version,
    description: row.description,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    artifact: row.artifact_type && row.artifact_id ? { type: row.artifact_type, id: row.artifact_id } : null,
    config: JSON.parse(row.config) as ConfigVars,
    addonPlanNames: JSON.parse(row.addon_plan_names) as string[],
    userId: row.user_id,
    userEmail: row.user_email,
    outputStreamUrl: row.output_stream_url,
    current: row.current === 1,
  };
}

export interface NewRelease {
  id: string;
  appId: string;
  description: string;
  status: ReleaseStatus;
  createdAt: string;
  artifact: ReleaseArtifact | null;
  config: ConfigVars;
  addonPlanNames: readonly string[];
  userId: string;
  userEmail: string;
  outputStreamUrl: string | null;
}

export class ReleasesRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Inserts with the next version number of the app; callers run this inside a store transaction. */
  insert(release: NewRelease): ReleaseRecord {
    const next = this.#db
      .prepare('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM releases WHERE app_id = ?')
      .get(release.appId) as { v: number };
    this.#db
      .prepare(
        `INSERT INTO releases (id, app_id, version, description, status, created_at, updated_at, artifact_type,
           artifact_id, config, addon_plan_names, user_id, user_email, output_stream_url)
         VALUES (@id, @appId, @version, @description, @status, @createdAt, @createdAt, @artifactType, @artifactId,
           @config, @addonPlanNames, @userId, @userEmail, @outputStreamUrl)`,
      )
      .run({
        ...release,
        version: next.v,
        artifactType: release.artifact?.type ?? null,
        artifactId: release.artifact?.id ?? null,
        config: JSON.stringify(release.config),
        addonPlanNames: JSON.stringify(release.addonPlanNames),
      });
    return this.getById(release.appId, release.id) as ReleaseRecord;
  }

  getById(appId: string, id: string): ReleaseRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM releases WHERE app_id = ? AND id = ?').get(appId, id) as ReleaseRow | undefined;
    return row && toRecord(row);
  }

  getByVersion(appId: string, version: number): ReleaseRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM releases WHERE app_id = ? AND version = ?').get(appId, version) as
      | ReleaseRow
      | undefined;
    return row && toRecord(row);
  }

  byIdAnyApp(id: string): ReleaseRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM releases WHERE id = ?').get(id) as ReleaseRow | undefined;
    return row && toRecord(row);
  }

  /** The newest release that runs or is about to run: the current one, or a pending one after it. */
  newestLive(appId: string): ReleaseRecord | undefined {
    const row = this.#db
      .prepare(`SELECT * FROM releases WHERE app_id = ? AND (current = 1 OR status = 'pending') ORDER BY version DESC LIMIT 1`)
      .get(appId) as ReleaseRow | undefined;
    return row && toRecord(row);
  }

  listPending(): ReleaseRecord[] {
    return (this.#db.prepare(`SELECT * FROM releases WHERE status = 'pending'`).all() as ReleaseRow[]).map(toRecord);
  }

  current(appId: string): ReleaseRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM releases WHERE app_id = ? AND current = 1').get(appId) as ReleaseRow | undefined;
    return row && toRecord(row);
  }

  listByApp(appId: string): ReleaseRecord[] {
    return (this.#db.prepare('SELECT * FROM releases WHERE app_id = ? ORDER BY version').all(appId) as ReleaseRow[]).map(toRecord);
  }

  /** Makes one release the app's current one, atomically with un-marking the previous one. */
  makeCurrent(appId: string, id: string, updatedAt: string): void {
    this.#db.prepare('UPDATE releases SET current = 0 WHERE app_id = ? AND current = 1').run(appId);
    this.#db
      .prepare(`UPDATE releases SET current = 1, status = 'succeeded', updated_at = ? WHERE app_id = ? AND id = ?`)
      .run(updatedAt, appId, id);
  }

  setStatus(appId: string, id: string, status: ReleaseStatus, updatedAt: string): void {
    this.#db.prepare('UPDATE releases SET status = ?, updated_at = ? WHERE app_id = ? AND id = ?').run(status, updatedAt, appId, id);
  }
}
