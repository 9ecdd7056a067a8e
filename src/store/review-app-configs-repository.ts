import type { Db } from './database.js';

/** A pipeline's review app configuration (`/pipelines/{id}/review-app-config`): present means review apps are on. */
export interface ReviewAppConfigRecord {
  readonly pipelineId: string;
  /** The repository named when review apps were enabled (Berth has no GitHub: kept as given). */
  readonly repo: string | null;
  readonly automaticReviewApps: boolean;
  readonly destroyStaleApps: boolean;
  readonly staleDays: number;
  readonly waitForCi: boolean;
  /** The prefix of review app names; the pipeline's name when null. */
  readonly baseName: string | null;
  readonly deployTarget: { readonly id: string; readonly type: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type ReviewAppConfigChanges = Partial<Pick<ReviewAppConfigRecord, 'repo' | 'automaticReviewApps' | 'destroyStaleApps' | 'staleDays' | 'waitForCi' | 'baseName' | 'deployTarget'>>;

interface Row {
  pipeline_id: string;
  repo: string | null;
  automatic_review_apps: number;
  destroy_stale_apps: number;
  stale_days: number;
  wait_for_ci: number;
  base_name: string | null;
  deploy_target: string | null;
  created_at: string;
  updated_at: string;
}

const toRecord = (r: Row): ReviewAppConfigRecord => ({
  pipelineId: r.pipeline_id,
  repo: r.repo,
  automaticReviewApps: r.automatic_review_apps === 1,
  destroyStaleApps: r.destroy_stale_apps === 1,
  staleDays: r.stale_days,
  waitForCi: r.wait_for_ci === 1,
  baseName: r.base_name,
  deployTarget: r.deploy_target === null ? null : (JSON.parse(r.deploy_target) as { id: string; type: string }),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRow = (record: ReviewAppConfigRecord): Row => ({
  pipeline_id: record.pipelineId,
  repo: record.repo,
  automatic_review_apps: record.automaticReviewApps ? 1 : 0,
  destroy_stale_apps: record.destroyStaleApps ? 1 : 0,
  stale_days: record.staleDays,
  wait_for_ci: record.waitForCi ? 1 : 0,
  base_name: record.baseName,
  deploy_target: record.deployTarget === null ? null : JSON.stringify(record.deployTarget),
  created_at: record.createdAt,
  updated_at: record.updatedAt,
});

export class ReviewAppConfigsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  get(pipelineId: string): ReviewAppConfigRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM review_app_configs WHERE pipeline_id = ?').get(pipelineId) as Row | undefined;
    return row && toRecord(row);
  }

  /** Writes the whole record (enable or update). */
  put(record: ReviewAppConfigRecord): ReviewAppConfigRecord {
    this.#db
      .prepare(
        `INSERT INTO review_app_configs (pipeline_id, repo, automatic_review_apps, destroy_stale_apps, stale_days, wait_for_ci, base_name,
           deploy_target, created_at, updated_at)
         VALUES (@pipeline_id, @repo, @automatic_review_apps, @destroy_stale_apps, @stale_days, @wait_for_ci, @base_name, @deploy_target,
           @created_at, @updated_at)
         ON CONFLICT (pipeline_id) DO UPDATE SET repo = excluded.repo, automatic_review_apps = excluded.automatic_review_apps,
           destroy_stale_apps = excluded.destroy_stale_apps, stale_days = excluded.stale_days, wait_for_ci = excluded.wait_for_ci,
           base_name = excluded.base_name, deploy_target = excluded.deploy_target, updated_at = excluded.updated_at`,
      )
      .run(toRow(record));
    return this.get(record.pipelineId) as ReviewAppConfigRecord;
  }

  delete(pipelineId: string): void {
    this.#db.prepare('DELETE FROM review_app_configs WHERE pipeline_id = ?').run(pipelineId);
  }
}
