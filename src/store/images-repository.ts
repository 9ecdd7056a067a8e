// Images of container-stack builds (heroku.yml): one row per build, an image per process type, pinned by releases
// as the artifact `{type: 'image', id}` beside slugs.
import type { ImageRecord, ProcessImage } from '../contracts/records.js';
import type { Db } from './database.js';

interface ImageRow {
  id: string;
  app_id: string;
  created_at: string;
  commit_sha: string | null;
  processes: string;
}

function toRecord(row: ImageRow): ImageRecord {
  return {
    id: row.id,
    appId: row.app_id,
    createdAt: row.created_at,
    commit: row.commit_sha,
    processes: JSON.parse(row.processes) as Record<string, ProcessImage>,
  };
}

export class ImagesRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(image: ImageRecord): ImageRecord {
    this.#db
      .prepare('INSERT INTO images (id, app_id, created_at, commit_sha, processes) VALUES (@id, @appId, @createdAt, @commit, @processes)')
      .run({ ...image, processes: JSON.stringify(image.processes) });
    return this.get(image.id) as ImageRecord;
  }

  get(id: string): ImageRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return row && toRecord(row);
  }

  /** The app's newest image of a process type (what Heroku's registry answers for `<app>/<type>:latest`). */
  latestOf(appId: string, type: string): ImageRecord | undefined {
    const row = this.#db
      .prepare('SELECT * FROM images WHERE app_id = ? AND json_extract(processes, ?) IS NOT NULL ORDER BY created_at DESC, rowid DESC LIMIT 1')
      .get(appId, jsonKey(type)) as ImageRow | undefined;
    return row && toRecord(row);
  }

  /** The newest of the app's images whose process type `type` is the engine's image `engineId` (`sha256:…`). */
  withEngineImage(appId: string, type: string, engineId: string): ImageRecord | undefined {
    const row = this.#db
      .prepare('SELECT * FROM images WHERE app_id = ? AND json_extract(processes, ?) = ? ORDER BY created_at DESC, rowid DESC LIMIT 1')
      .get(appId, `${jsonKey(type)}.imageId`, engineId) as ImageRow | undefined;
    return row && toRecord(row);
  }
}

/** A JSON path naming one key, quoted (process types may hold `-`). */
function jsonKey(key: string): string {
  return `$."${key.replace(/["\\]/g, '')}"`;
}
