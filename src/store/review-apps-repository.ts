import type { Db } from './database.js';

/** A review app: an app made from one branch of a pipeline's code, coupled at stage `review`. */
export interface ReviewAppRecord {
  readonly id: string;
  readonly pipelineId: string;
  readonly appId: string | null;
  readonly setupId: string | null;
  readonly branch: string;
  /** pending, creating, created, deleting, deleted, errored. */
  readonly status: string;
  readonly message: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface Row {
  id: string;
  pipeline_id: string;
  app_id: string | null;
  setup_id: string | null;
  branch: string;
  status: string;
  message: string | null;
  created_at: string;
  updated_at: string;
}

const toRecord = (r: Row): ReviewAppRecord => ({
  id: r.id,
  pipelineId: r.pipeline_id,
  appId: r.app_id,
  setupId: r.setup_id,
  branch: r.branch,
  status: r.status,
  message: r.message,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class ReviewAppsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(record: ReviewAppRecord): ReviewAppRecord {
    this.#db
      .prepare(
        `INSERT INTO review_apps (id, pipeline_id, app_id, setup_id, branch, status, message, created_at, updated_at)
         VALUES (@id, @pipelineId, @appId, @setupId, @branch, @status, @message, @createdAt, @updatedAt)`,
      )
      .run(record);
    return record;
  }

  get(id: string): ReviewAppRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM review_apps WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  byApp(appId: string): ReviewAppRecord | undefined {
    const row = this.#db.prepare("SELECT * FROM review_apps WHERE app_id = ? AND status != 'deleted' ORDER BY rowid DESC").get(appId) as Row | undefined;
    return row && toRecord(row);
  }

  /** The pipeline's review app for a branch that is not deleted, if any. */
  liveForBranch(pipelineId: string, branch: string): ReviewAppRecord | undefined {
    const row = this.#db
      .prepare("SELECT * FROM review_apps WHERE pipeline_id = ? AND branch = ? AND status NOT IN ('deleted', 'errored') ORDER BY rowid DESC")
      .get(pipelineId, branch) as Row | undefined;
    return row && toRecord(row);
  }

  /** The branch's newest review app that is not deleted, errored ones too (their app may still be there). */
  latestForBranch(pipelineId: string, branch: string): ReviewAppRecord | undefined {
    const row = this.#db
      .prepare("SELECT * FROM review_apps WHERE pipeline_id = ? AND branch = ? AND status NOT IN ('deleting', 'deleted') ORDER BY rowid DESC")
      .get(pipelineId, branch) as Row | undefined;
    return row && toRecord(row);
  }

  listByPipeline(pipelineId: string): ReviewAppRecord[] {
    return (this.#db.prepare("SELECT * FROM review_apps WHERE pipeline_id = ? AND status != 'deleted' ORDER BY rowid").all(pipelineId) as Row[]).map(toRecord);
  }

  /** Review apps a killed daemon left being made or deleted. */
  listUnfinished(): ReviewAppRecord[] {
    return (this.#db.prepare("SELECT * FROM review_apps WHERE status IN ('pending', 'creating', 'deleting')").all() as Row[]).map(toRecord);
  }

  update(id: string, changes: Partial<Pick<ReviewAppRecord, 'appId' | 'setupId' | 'status' | 'message'>>, now: string): ReviewAppRecord {
    const current = this.get(id) as ReviewAppRecord;
    const next = { ...current, ...changes, updatedAt: now };
    this.#db
      .prepare('UPDATE review_apps SET app_id = @appId, setup_id = @setupId, status = @status, message = @message, updated_at = @updatedAt WHERE id = @id')
      .run(next);
    return next;
  }
}
