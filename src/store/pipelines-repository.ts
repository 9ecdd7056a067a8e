import type { Db } from './database.js';

/** A pipeline; its owner is the account (`user`) unless a client named another. */
export interface PipelineRecord {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string | null;
  readonly ownerType: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An app's place in a pipeline: an app is in at most one. */
export interface CouplingRecord {
  readonly id: string;
  readonly pipelineId: string;
  readonly appId: string;
  readonly stage: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface PromotionRecord {
  readonly id: string;
  readonly pipelineId: string;
  readonly sourceAppId: string;
  readonly sourceReleaseId: string;
  /** `pending` until every target has finished, then `completed`. */
  readonly status: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface PromotionTargetRecord {
  readonly id: string;
  readonly promotionId: string;
  readonly appId: string;
  readonly releaseId: string | null;
  /** `pending`, `succeeded` or `failed`. */
  readonly status: string;
  readonly errorMessage: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface PipelineRow {
  id: string;
  name: string;
  owner_id: string | null;
  owner_type: string | null;
  created_at: string;
  updated_at: string;
}
interface CouplingRow {
  id: string;
  pipeline_id: string;
  app_id: string;
  stage: string;
  created_at: string;
  updated_at: string;
}
interface PromotionRow {
  id: string;
  pipeline_id: string;
  source_app_id: string;
  source_release_id: string;
  status: string;
  created_at: string;
  updated_at: string;
}
interface TargetRow {
  id: string;
  promotion_id: string;
  app_id: string;
  release_id: string | null;
  status: string;
  error_message: string | null;
  created_at: string;
  updated_at: string;
}

const pipeline = (r: PipelineRow): PipelineRecord => ({
  id: r.id,
  name: r.name,
  ownerId: r.owner_id,
  ownerType: r.owner_type,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const coupling = (r: CouplingRow): CouplingRecord => ({
  id: r.id,
  pipelineId: r.pipeline_id,
  appId: r.app_id,
  stage: r.stage,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const promotion = (r: PromotionRow): PromotionRecord => ({
  id: r.id,
  pipelineId: r.pipeline_id,
  sourceAppId: r.source_app_id,
  sourceReleaseId: r.source_release_id,
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const target = (r: TargetRow): PromotionTargetRecord => ({
  id: r.id,
  promotionId: r.promotion_id,
  appId: r.app_id,
  releaseId: r.release_id,
  status: r.status,
  errorMessage: r.error_message,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class PipelinesRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(record: PipelineRecord): PipelineRecord {
    this.#db
      .prepare(
        `INSERT INTO pipelines (id, name, owner_id, owner_type, created_at, updated_at)
         VALUES (@id, @name, @ownerId, @ownerType, @createdAt, @updatedAt)`,
      )
      .run(record);
    return record;
  }

  list(): PipelineRecord[] {
    return (this.#db.prepare('SELECT * FROM pipelines ORDER BY name, id').all() as PipelineRow[]).map(pipeline);
  }

  getById(id: string): PipelineRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM pipelines WHERE id = ?').get(id) as PipelineRow | undefined;
    return row && pipeline(row);
  }

  getByName(name: string): PipelineRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM pipelines WHERE name = ?').get(name) as PipelineRow | undefined;
    return row && pipeline(row);
  }

  rename(id: string, name: string, now: string): void {
    this.#db.prepare('UPDATE pipelines SET name = ?, updated_at = ? WHERE id = ?').run(name, now, id);
  }

  /** Its couplings and promotions go with it (ON DELETE CASCADE); its apps stay. */
  delete(id: string): void {
    this.#db.prepare('DELETE FROM pipelines WHERE id = ?').run(id);
  }

  insertCoupling(record: CouplingRecord): CouplingRecord {
    this.#db
      .prepare(
        `INSERT INTO pipeline_couplings (id, pipeline_id, app_id, stage, created_at, updated_at)
         VALUES (@id, @pipelineId, @appId, @stage, @createdAt, @updatedAt)`,
      )
      .run(record);
    return record;
  }

  couplings(): CouplingRecord[] {
    return (this.#db.prepare('SELECT * FROM pipeline_couplings ORDER BY rowid').all() as CouplingRow[]).map(coupling);
  }

  couplingsOf(pipelineId: string): CouplingRecord[] {
    return (this.#db.prepare('SELECT * FROM pipeline_couplings WHERE pipeline_id = ? ORDER BY rowid').all(pipelineId) as CouplingRow[]).map(coupling);
  }

  couplingById(id: string): CouplingRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM pipeline_couplings WHERE id = ?').get(id) as CouplingRow | undefined;
    return row && coupling(row);
  }

  couplingOfApp(appId: string): CouplingRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM pipeline_couplings WHERE app_id = ?').get(appId) as CouplingRow | undefined;
    return row && coupling(row);
  }

  setStage(id: string, stage: string, now: string): void {
    this.#db.prepare('UPDATE pipeline_couplings SET stage = ?, updated_at = ? WHERE id = ?').run(stage, now, id);
  }

  deleteCoupling(id: string): void {
    this.#db.prepare('DELETE FROM pipeline_couplings WHERE id = ?').run(id);
  }

  insertPromotion(record: PromotionRecord): PromotionRecord {
    this.#db
      .prepare(
        `INSERT INTO pipeline_promotions (id, pipeline_id, source_app_id, source_release_id, status, created_at, updated_at)
         VALUES (@id, @pipelineId, @sourceAppId, @sourceReleaseId, @status, @createdAt, @updatedAt)`,
      )
      .run(record);
    return record;
  }

  promotion(id: string): PromotionRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM pipeline_promotions WHERE id = ?').get(id) as PromotionRow | undefined;
    return row && promotion(row);
  }

  completePromotion(id: string, now: string): void {
    this.#db.prepare("UPDATE pipeline_promotions SET status = 'completed', updated_at = ? WHERE id = ?").run(now, id);
  }

  insertTarget(record: PromotionTargetRecord): PromotionTargetRecord {
    this.#db
      .prepare(
        `INSERT INTO pipeline_promotion_targets (id, promotion_id, app_id, release_id, status, error_message, created_at, updated_at)
         VALUES (@id, @promotionId, @appId, @releaseId, @status, @errorMessage, @createdAt, @updatedAt)`,
      )
      .run(record);
    return record;
  }

  targets(promotionId: string): PromotionTargetRecord[] {
    return (
      this.#db.prepare('SELECT * FROM pipeline_promotion_targets WHERE promotion_id = ? ORDER BY rowid').all(promotionId) as TargetRow[]
    ).map(target);
  }

  finishTarget(id: string, status: 'succeeded' | 'failed', errorMessage: string | null, now: string): void {
    this.#db
      .prepare('UPDATE pipeline_promotion_targets SET status = ?, error_message = ?, updated_at = ? WHERE id = ?')
      .run(status, errorMessage, now, id);
  }

  /** A stage's config vars (Heroku CI's `test` vars, review apps' `review` vars). */
  stageConfig(pipelineId: string, stage: string): Record<string, string> {
    const rows = this.#db.prepare('SELECT name, value FROM pipeline_config_vars WHERE pipeline_id = ? AND stage = ? ORDER BY name').all(pipelineId, stage) as Array<{
      name: string;
      value: string;
    }>;
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  /** Sets each var to its value; `null` removes it. */
  patchStageConfig(pipelineId: string, stage: string, patch: Readonly<Record<string, string | null>>): void {
    const set = this.#db.prepare('INSERT INTO pipeline_config_vars (pipeline_id, stage, name, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value');
    const remove = this.#db.prepare('DELETE FROM pipeline_config_vars WHERE pipeline_id = ? AND stage = ? AND name = ?');
    for (const [name, value] of Object.entries(patch)) {
      if (value === null) remove.run(pipelineId, stage, name);
      else set.run(pipelineId, stage, name, value);
    }
  }
}
