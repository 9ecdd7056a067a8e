import type { AppRecord, ConfigVars } from '../contracts/records.js';
import type { Db } from './database.js';

interface AppRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  released_at: string | null;
  maintenance: number;
  stack: string;
  build_stack: string;
  region: string;
  config: string;
  slug_size: number | null;
  buildpack_provided_description: string | null;
}

function toRecord(row: AppRow): AppRecord {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    releasedAt: row.released_at,
    maintenance: row.maintenance === 1,
    stack: row.stack,
    buildStack: row.build_stack,
    region: row.region,
    config: JSON.parse(row.config) as ConfigVars,
    slugSize: row.slug_size,
    buildpackProvidedDescription: row.buildpack_provided_description,
  };
}

export interface NewApp {
  id: string;
  name: string;
  createdAt: string;
  stack: string;
  region: string;
}

export interface AppChanges {
  name?: string;
  maintenance?: boolean;
  buildStack?: string;
  /** The stack the app runs on: it follows the build stack when a build on it deploys (or at once before any). */
  stack?: string;
  config?: ConfigVars;
  releasedAt?: string;
  slugSize?: number | null;
  buildpackProvidedDescription?: string | null;
}

export class AppsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(app: NewApp): AppRecord {
    this.#db
      .prepare(
        `INSERT INTO apps (id, name, created_at, updated_at, stack, build_stack, region)
         VALUES (@id, @name, @createdAt, @createdAt, @stack, @stack, @region)`,
      )
      .run(app);
    return this.getById(app.id) as AppRecord;
  }

  getById(id: string): AppRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM apps WHERE id = ?').get(id) as AppRow | undefined;
    return row && toRecord(row);
  }

  getByName(name: string): AppRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM apps WHERE name = ?').get(name) as AppRow | undefined;
    return row && toRecord(row);
  }

  /** Remembers the name an app had before a rename (the git remotes of its checkouts still say it). */
  recordFormerName(name: string, appId: string): void {
    this.#db.prepare('INSERT OR REPLACE INTO app_former_names (name, app_id) VALUES (?, ?)').run(name, appId);
  }

  /** The app that was last called `name` before a rename, if it still exists. */
  getByFormerName(name: string): AppRecord | undefined {
    const id = this.#db.prepare('SELECT app_id FROM app_former_names WHERE name = ?').pluck().get(name) as string | undefined;
    return id === undefined ? undefined : this.getById(id);
  }

  nameTaken(name: string): boolean {
    return this.#db.prepare('SELECT 1 FROM apps WHERE name = ?').get(name) !== undefined;
  }

  list(): AppRecord[] {
    return (this.#db.prepare('SELECT * FROM apps ORDER BY name').all() as AppRow[]).map(toRecord);
  }

  update(id: string, changes: AppChanges, updatedAt: string): AppRecord {
    const sets: string[] = ['updated_at = @updatedAt'];
    const params: Record<string, string | number | null> = { id, updatedAt };
    if (changes.name !== undefined) (sets.push('name = @name'), (params['name'] = changes.name));
    if (changes.maintenance !== undefined) (sets.push('maintenance = @maintenance'), (params['maintenance'] = changes.maintenance ? 1 : 0));
    if (changes.buildStack !== undefined) (sets.push('build_stack = @buildStack'), (params['buildStack'] = changes.buildStack));
    if (changes.stack !== undefined) (sets.push('stack = @stack'), (params['stack'] = changes.stack));
    if (changes.config !== undefined) (sets.push('config = @config'), (params['config'] = JSON.stringify(changes.config)));
    if (changes.releasedAt !== undefined) (sets.push('released_at = @releasedAt'), (params['releasedAt'] = changes.releasedAt));
    if (changes.slugSize !== undefined) (sets.push('slug_size = @slugSize'), (params['slugSize'] = changes.slugSize));
    if (changes.buildpackProvidedDescription !== undefined) {
      sets.push('buildpack_provided_description = @bpd');
      params['bpd'] = changes.buildpackProvidedDescription;
    }
    this.#db.prepare(`UPDATE apps SET ${sets.join(', ')} WHERE id = @id`).run(params);
    return this.getById(id) as AppRecord;
  }

  /**
   * Deletes the app and what cascades with it. A slug that another app's release runs (a pipeline promotion shares
   * the slug) is first handed to that app, so it outlives the app that built it.
   */
  delete(id: string): void {
    const inUseElsewhere = `SELECT r.app_id FROM releases r WHERE r.artifact_type = 'slug' AND r.artifact_id = slugs.id AND r.app_id != @id`;
    this.#db
      .prepare(`UPDATE slugs SET app_id = (${inUseElsewhere} ORDER BY r.created_at DESC LIMIT 1) WHERE app_id = @id AND EXISTS (${inUseElsewhere})`)
      .run({ id });
    this.#db.prepare('DELETE FROM apps WHERE id = ?').run(id);
  }
}
