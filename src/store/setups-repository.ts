import type { Db } from './database.js';

/** An app setup (`POST /app-setups`). It outlives its app, as Heroku's setups do until they expire. */
export interface SetupRecord {
  readonly id: string;
  readonly appId: string | null;
  /** `pending`, `succeeded` or `failed`. */
  readonly status: string;
  readonly failureMessage: string | null;
  readonly manifestErrors: readonly string[];
  readonly buildId: string | null;
  readonly postdeployOutput: string | null;
  readonly postdeployExitCode: number | null;
  /** app.json's `success_url` as written (a path is resolved against the app's URL when shown). */
  readonly successUrl: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type SetupChanges = Partial<Pick<SetupRecord, 'appId' | 'status' | 'failureMessage' | 'manifestErrors' | 'buildId' | 'postdeployOutput' | 'postdeployExitCode'>>;

interface SetupRow {
  id: string;
  app_id: string | null;
  status: string;
  failure_message: string | null;
  manifest_errors: string;
  build_id: string | null;
  postdeploy_output: string | null;
  postdeploy_exit_code: number | null;
  success_url: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS: Readonly<Record<keyof SetupChanges, string>> = {
  appId: 'app_id',
  status: 'status',
  failureMessage: 'failure_message',
  manifestErrors: 'manifest_errors',
  buildId: 'build_id',
  postdeployOutput: 'postdeploy_output',
  postdeployExitCode: 'postdeploy_exit_code',
};

function toRecord(row: SetupRow): SetupRecord {
  return {
    id: row.id,
    appId: row.app_id,
    status: row.status,
    failureMessage: row.failure_message,
    manifestErrors: JSON.parse(row.manifest_errors) as string[],
    buildId: row.build_id,
    postdeployOutput: row.postdeploy_output,
    postdeployExitCode: row.postdeploy_exit_code,
    successUrl: row.success_url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SetupsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(record: SetupRecord): SetupRecord {
    this.#db
      .prepare(
        `INSERT INTO app_setups (id, app_id, status, failure_message, manifest_errors, build_id, postdeploy_output, postdeploy_exit_code,
           success_url, created_at, updated_at)
         VALUES (@id, @appId, @status, @failureMessage, @manifestErrors, @buildId, @postdeployOutput, @postdeployExitCode, @successUrl,
           @createdAt, @updatedAt)`,
      )
      .run({ ...record, manifestErrors: JSON.stringify(record.manifestErrors) });
    return record;
  }

  get(id: string): SetupRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM app_setups WHERE id = ?').get(id) as SetupRow | undefined;
    return row && toRecord(row);
  }

  update(id: string, changes: SetupChanges, now: string): SetupRecord {
    const sets: string[] = ['updated_at = @now'];
    const values: Record<string, unknown> = { id, now };
    for (const [key, value] of Object.entries(changes) as Array<[keyof SetupChanges, unknown]>) {
      sets.push(`${COLUMNS[key]} = @${key}`);
      values[key] = key === 'manifestErrors' ? JSON.stringify(value) : value;
    }
    this.#db.prepare(`UPDATE app_setups SET ${sets.join(', ')} WHERE id = @id`).run(values);
    return this.get(id) as SetupRecord;
  }

  /** Keeps the scripts of a CI or review setup's app.json (its environment's over the top-level ones), to outlive a restart. */
  saveScripts(id: string, scripts: Readonly<Record<string, { readonly command: string; readonly size?: string }>>): void {
    this.#db.prepare('INSERT OR REPLACE INTO app_setup_scripts (setup_id, scripts) VALUES (?, ?)').run(id, JSON.stringify(scripts));
  }

  /** The scripts `saveScripts` kept, or undefined. */
  scripts(id: string): Record<string, { command: string; size?: string }> | undefined {
    const text = this.#db.prepare('SELECT scripts FROM app_setup_scripts WHERE setup_id = ?').pluck().get(id) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as Record<string, { command: string; size?: string }>);
  }

  /** Setups a killed daemon left pending (recovery fails them). */
  listPending(): SetupRecord[] {
    return (this.#db.prepare("SELECT * FROM app_setups WHERE status = 'pending'").all() as SetupRow[]).map(toRecord);
  }
}
