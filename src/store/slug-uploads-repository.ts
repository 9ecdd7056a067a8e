import type { Db } from './database.js';

/** Slugs made through `POST /apps/{app}/slugs`, waiting for (or past) their `PUT` to the blob URL. */
export class SlugUploadsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(slugId: string, secret: string): void {
    this.#db.prepare('INSERT INTO slug_uploads (slug_id, secret) VALUES (?, ?)').run(slugId, secret);
  }

  secretOf(slugId: string): string | undefined {
    return this.#db.prepare('SELECT secret FROM slug_uploads WHERE slug_id = ?').pluck().get(slugId) as string | undefined;
  }

  /** The uploaded blob's checksum and size, and the image dynos will start from. */
  uploaded(slugId: string, checksum: string, size: number, image: string): void {
    this.#db.prepare('UPDATE slugs SET checksum = ?, size = ?, image = ? WHERE id = ?').run(checksum, size, image, slugId);
  }
}
