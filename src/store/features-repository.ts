import type { Db } from './database.js';

/** A feature switched on or off for an app, or for the account (`appId` null); features never switched are absent. */
export interface FeatureSwitch {
  readonly name: string;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface SwitchRow {
  name: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

function toSwitch(row: SwitchRow): FeatureSwitch {
  return { name: row.name, enabled: row.enabled === 1, createdAt: row.created_at, updatedAt: row.updated_at };
}

export class FeaturesRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** The app's switches (`appId`), or the account's (`null`). */
  switches(appId: string | null): FeatureSwitch[] {
    const rows =
      appId === null
        ? this.#db.prepare('SELECT name, enabled, created_at, updated_at FROM account_features').all()
        : this.#db.prepare('SELECT name, enabled, created_at, updated_at FROM app_features WHERE app_id = ?').all(appId);
    return (rows as SwitchRow[]).map(toSwitch);
  }

  set(appId: string | null, name: string, enabled: boolean, now: string): void {
    if (appId === null) {
      this.#db
        .prepare(
          `INSERT INTO account_features (name, enabled, created_at, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
        )
        .run(name, enabled ? 1 : 0, now, now);
      return;
    }
    this.#db
      .prepare(
        `INSERT INTO app_features (app_id, name, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (app_id, name) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
      )
      .run(appId, name, enabled ? 1 : 0, now, now);
  }

  /** Whether the app has the feature on (read at every dyno launch). */
  enabled(appId: string, name: string): boolean {
    return this.#db.prepare('SELECT enabled FROM app_features WHERE app_id = ? AND name = ?').pluck().get(appId, name) === 1;
  }
}
