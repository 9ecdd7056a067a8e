import type { BuildpackRef, BuildRecord, BuildStatus, ProcessTypes, SlugRecord } from '../contracts/records.js';
import type { Db } from './database.js';

interface BuildRow {
  id: string;
  app_id: string;
  status: BuildStatus;
  created_at: string;
  updated_at: string;
  source_url: string;
  source_version: string | null;
  source_checksum: string | null;
  source_version_description: string | null;
  buildpacks: string | null;
  slug_id: string | null;
  release_id: string | null;
  output_secret: string;
  user_id: string;
  user_email: string;
  stack: string;
}

function toBuild(row: BuildRow): BuildRecord {
  return {
    id: row.id,
    appId: row.app_id,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sourceUrl: row.source_url,
    sourceVersion: row.source_version,
    sourceChecksum: row.source_checksum,
    sourceVersionDescription: row.source_version_description,
    buildpacks: row.buildpacks === null ? null : (JSON.parse(row.buildpacks) as BuildpackRef[]),
    slugId: row.slug_id,
    releaseId: row.release_id,
    outputSecret: row.output_secret,
    userId: row.user_id,
    userEmail: row.user_email,
    stack: row.stack,
  };
}

interface SlugRow {
  id: string;
  app_id: string;
  created_at: string;
  checksum: string;
  size: number;
  process_types: string;
  commit_sha: string | null;
  commit_description: string | null;
  stack: string;
  buildpack_provided_description: string | null;
  blob_path: string;
  image: string | null;
}

function toSlug(row: SlugRow): SlugRecord {
  return {
    id: row.id,
    appId: row.app_id,
    createdAt: row.created_at,
    checksum: row.checksum,
    size: row.size,
    processTypes: JSON.parse(row.process_types) as ProcessTypes,
    commit: row.commit_sha,
    commitDescription: row.commit_description,
    stack: row.stack,
    buildpackProvidedDescription: row.buildpack_provided_description,
    blobPath: row.blob_path,
    image: row.image,
  };
}

export type NewBuild = Omit<BuildRecord, 'updatedAt' | 'slugId' | 'releaseId' | 'status'>;

export class BuildsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(build: NewBuild): BuildRecord {
    this.#db
      .prepare(
        `INSERT INTO builds (id, app_id, status, created_at, updated_at, source_url, source_version, source_checksum,
           source_version_description, buildpacks, output_secret, user_id, user_email, stack)
         VALUES (@id, @appId, 'pending', @createdAt, @createdAt, @sourceUrl, @sourceVersion, @sourceChecksum,
           @sourceVersionDescription, @buildpacks, @outputSecret, @userId, @userEmail, @stack)`,
      )
      .run({ ...build, buildpacks: build.buildpacks === null ? null : JSON.stringify(build.buildpacks) });
    return this.get(build.id) as BuildRecord;
  }

  get(id: string): BuildRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM builds WHERE id = ?').get(id) as BuildRow | undefined;
    return row && toBuild(row);
  }

  listByApp(appId: string): BuildRecord[] {
    return (this.#db.prepare('SELECT * FROM builds WHERE app_id = ? ORDER BY created_at, rowid').all(appId) as BuildRow[]).map(toBuild);
  }

  listPending(): BuildRecord[] {
    return (this.#db.prepare(`SELECT * FROM builds WHERE status = 'pending'`).all() as BuildRow[]).map(toBuild);
  }

  finish(
    id: string,
    outcome: { status: BuildStatus; slugId?: string | null; releaseId?: string | null; buildpacks?: readonly BuildpackRef[] | null },
    updatedAt: string,
  ): void {
    this.#db
      .prepare(
        `UPDATE builds SET status = @status, slug_id = COALESCE(@slugId, slug_id), release_id = COALESCE(@releaseId, release_id),
           buildpacks = COALESCE(@buildpacks, buildpacks), updated_at = @updatedAt WHERE id = @id`,
      )
      .run({
        id,
        status: outcome.status,
        slugId: outcome.slugId ?? null,
        releaseId: outcome.releaseId ?? null,
        buildpacks: outcome.buildpacks ? JSON.stringify(outcome.buildpacks) : null,
        updatedAt,
      });
  }

  insertSlug(slug: SlugRecord): SlugRecord {
    this.#db
      .prepare(
        `INSERT INTO slugs (id, app_id, created_at, checksum, size, process_types, commit_sha, commit_description, stack,
           buildpack_provided_description, blob_path, image)
         VALUES (@id, @appId, @createdAt, @checksum, @size, @processTypes, @commit, @commitDescription, @stack,
           @buildpackProvidedDescription, @blobPath, @image)`,
      )
      .run({ ...slug, processTypes: JSON.stringify(slug.processTypes) });
    return this.getSlug(slug.id) as SlugRecord;
  }

  getSlug(id: string): SlugRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM slugs WHERE id = ?').get(id) as SlugRow | undefined;
    return row && toSlug(row);
  }

  listSlugs(appId: string): SlugRecord[] {
    return (this.#db.prepare('SELECT * FROM slugs WHERE app_id = ? ORDER BY created_at').all(appId) as SlugRow[]).map(toSlug);
  }

  buildpackInstallations(appId: string): BuildpackRef[] {
    return this.#db
      .prepare('SELECT url, name FROM buildpack_installations WHERE app_id = ? ORDER BY ordinal')
      .all(appId) as BuildpackRef[];
  }

  replaceBuildpackInstallations(appId: string, buildpacks: readonly BuildpackRef[]): void {
    this.#db.prepare('DELETE FROM buildpack_installations WHERE app_id = ?').run(appId);
    const insert = this.#db.prepare('INSERT INTO buildpack_installations (app_id, ordinal, url, name) VALUES (?, ?, ?, ?)');
    buildpacks.forEach((bp, index) => insert.run(appId, index, bp.url, bp.name));
  }
}
