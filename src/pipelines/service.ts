// Pipelines: named groups of apps, each app coupled at one stage, and promotions that copy a release's slug to the
// apps downstream. A promotion never rebuilds: each target gets a new release of the SAME slug with its own config
// vars and add-ons, and runs its release phase like any release (reference: heroku-runtime-behaviour.md §4.3).
import { randomUUID } from 'node:crypto';
import type { AppsService } from '../apps/index.js';
import { apiTimestamp } from '../clock.js';
import type { Account, AppRecord, ReleaseRecord } from '../contracts/records.js';
import { raise } from '../errors.js';
import type { ReleasesService } from '../releases/index.js';
import type { CouplingRecord, PipelineRecord, PromotionRecord, PromotionTargetRecord, Store } from '../store/index.js';
import { PROMOTION_ERRORS } from './messages.js';
import { isStage, type Stage } from './stages.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** S:pipeline `name`. */
const PIPELINE_NAME = /^[a-z][a-z0-9-]{2,29}$/;

export interface PipelinesDeps {
  readonly store: Store;
  readonly apps: AppsService;
  readonly releases: ReleasesService;
  readonly account: () => Account;
  readonly report: (error: unknown, what: string) => void;
}

export interface CreatePipelineRequest {
  readonly name: string;
  readonly owner?: { readonly id?: string | undefined; readonly type?: string | undefined } | null | undefined;
}

export interface PromotionRequest {
  readonly pipeline: string;
  readonly source: string;
  readonly targets: readonly string[];
}

export class PipelinesService {
  readonly #deps: PipelinesDeps;
  readonly #running = new Set<Promise<void>>();

  constructor(deps: PipelinesDeps) {
    this.#deps = deps;
  }

  get #store(): Store {
    return this.#deps.store;
  }

  create(request: CreatePipelineRequest): PipelineRecord {
    const name = this.#validName(request.name);
    const account = this.#deps.account();
    const now = apiTimestamp();
    return this.#store.transaction(() => {
      if (this.#store.pipelines.getByName(name)) raise('pipeline_name_taken');
      return this.#store.pipelines.insert({
        id: randomUUID(),
        name,
        ownerId: request.owner?.id ?? account.id,
        ownerType: request.owner?.type ?? 'user',
        createdAt: now,
        updatedAt: now,
      });
    });
  }

  /** Every pipeline, or the one named `name` (`GET /pipelines?eq[name]=`, which the CLI resolves names with). */
  list(name?: string): PipelineRecord[] {
    const all = this.#store.pipelines.list();
    return name === undefined ? all : all.filter((p) => p.name === name);
  }

  /** By UUID or by name, as `GET /pipelines/{id}` and the review-apps commands use both. */
  get(idOrName: string): PipelineRecord {
    const found = UUID.test(idOrName) ? this.#store.pipelines.getById(idOrName.toLowerCase()) : this.#store.pipelines.getByName(idOrName);
    if (!found) raise('pipeline_not_found');
    return found;
  }

  rename(idOrName: string, newName: string): PipelineRecord {
    const name = this.#validName(newName);
    return this.#store.transaction(() => {
      const pipeline = this.get(idOrName);
      const holder = this.#store.pipelines.getByName(name);
      if (holder && holder.id !== pipeline.id) raise('pipeline_name_taken');
      this.#store.pipelines.rename(pipeline.id, name, apiTimestamp());
      return this.get(pipeline.id);
    });
  }

  /** Removes the pipeline and its couplings; the apps stay, as on Heroku. */
  destroy(idOrName: string): PipelineRecord {
    return this.#store.transaction(() => {
      const pipeline = this.get(idOrName);
      this.#store.pipelines.delete(pipeline.id);
      return pipeline;
    });
  }

  couple(appNameOrId: string, pipelineIdOrName: string, stage: string): CouplingRecord {
    const valid = this.#validStage(stage);
    return this.#store.transaction(() => {
      const app = this.#deps.apps.get(appNameOrId);
      const pipeline = this.get(pipelineIdOrName);
      const existing = this.#store.pipelines.couplingOfApp(app.id);
      if (existing) raise('pipeline_app_already_coupled', { app: app.name, pipeline: this.get(existing.pipelineId).name });
      const now = apiTimestamp();
      return this.#store.pipelines.insertCoupling({ id: randomUUID(), pipelineId: pipeline.id, appId: app.id, stage: valid, createdAt: now, updatedAt: now });
    });
  }

  /** Throws what `couple` would for this pipeline and stage, before there is an app to couple. */
  checkCoupling(pipelineIdOrName: string, stage: string): void {
    this.#validStage(stage);
    this.get(pipelineIdOrName);
  }

  allCouplings(): CouplingRecord[] {
    return this.#store.pipelines.couplings();
  }

  couplingsOf(pipelineIdOrName: string): CouplingRecord[] {
    return this.#store.pipelines.couplingsOf(this.get(pipelineIdOrName).id);
  }

  coupling(id: string): CouplingRecord {
    const found = UUID.test(id) ? this.#store.pipelines.couplingById(id.toLowerCase()) : undefined;
    if (!found) raise('pipeline_coupling_not_found');
    return found;
  }

  /** `GET /apps/{app}/pipeline-couplings`: the app's one coupling, or not found (apps:info relies on the 404). */
  couplingOfApp(appNameOrId: string): CouplingRecord {
    const found = this.#store.pipelines.couplingOfApp(this.#deps.apps.get(appNameOrId).id);
    if (!found) raise('pipeline_coupling_not_found');
    return found;
  }

  updateCoupling(id: string, stage: string): CouplingRecord {
    const valid = this.#validStage(stage);
    return this.#store.transaction(() => {
      const coupling = this.coupling(id);
      this.#store.pipelines.setStage(coupling.id, valid, apiTimestamp());
      return this.coupling(coupling.id);
    });
  }

  removeCoupling(id: string): CouplingRecord {
    return this.#store.transaction(() => {
      const coupling = this.coupling(id);
      this.#store.pipelines.deleteCoupling(coupling.id);
      return coupling;
    });
  }

  /** `GET /pipelines/{id}/stage/{stage}/config-vars`. */
  stageConfig(pipelineIdOrName: string, stage: string): Record<string, string> {
    const valid = this.#validStage(stage);
    return this.#store.pipelines.stageConfig(this.get(pipelineIdOrName).id, valid);
  }

  /** `PATCH .../config-vars` (`heroku ci:config:set`): values set, `null` removes; answers the whole map. */
  updateStageConfig(pipelineIdOrName: string, stage: string, patch: Readonly<Record<string, string | null>>): Record<string, string> {
    const valid = this.#validStage(stage);
    for (const name of Object.keys(patch)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) raise('config_var_name_invalid', { name });
    return this.#store.transaction(() => {
      const pipeline = this.get(pipelineIdOrName);
      this.#store.pipelines.patchStageConfig(pipeline.id, valid, patch);
      return this.#store.pipelines.stageConfig(pipeline.id, valid);
    });
  }

  /**
   * Starts a promotion of the source app's current release to each target. Every check happens before anything is
   * made: all targets are in the pipeline, none is the source, the source has a release with a slug. Each target's
   * release is created at once (so `promotion-targets` shows its id while its release phase runs, which is how the CLI
   * finds the output to stream); the phases then run in each target's queue.
   */
  promote(request: PromotionRequest): PromotionRecord {
    if (request.targets.length === 0) raise('promotion_targets_missing');
    const { promotion, started } = this.#store.transaction(() => {
      const pipeline = this.get(request.pipeline);
      const source = this.#member(pipeline, request.source);
      const targets = request.targets.map((t) => this.#member(pipeline, t));
      for (const target of targets) if (target.id === source.id) raise('promotion_to_source', { app: source.name });
      const release = this.#deps.releases.current(source);
      if (!release || release.artifact?.type !== 'slug') raise('promotion_source_not_released', { app: source.name });
      const now = apiTimestamp();
      const promotion = this.#store.pipelines.insertPromotion({
        id: randomUUID(),
        pipelineId: pipeline.id,
        sourceAppId: source.id,
        sourceReleaseId: release.id,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
      });
      const started = targets.map((app) => {
        const created = this.#deps.releases.promote(app, source, release);
        const target = this.#store.pipelines.insertTarget({
          id: randomUUID(),
          promotionId: promotion.id,
          appId: app.id,
          releaseId: created.id,
          status: 'pending',
          errorMessage: null,
          createdAt: now,
          updatedAt: now,
        });
        return { target, release: created };
      });
      return { promotion, started };
    });
    const run = this.#finish(promotion, started).catch((error: unknown) => this.#deps.report(error, 'promotion failed'));
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
    return promotion;
  }

  promotion(id: string): PromotionRecord {
    const found = UUID.test(id) ? this.#store.pipelines.promotion(id.toLowerCase()) : undefined;
    if (!found) raise('pipeline_promotion_not_found');
    return found;
  }

  promotionTargets(id: string): PromotionTargetRecord[] {
    return this.#store.pipelines.targets(this.promotion(id).id);
  }

  /** Resolves when every promotion started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async #finish(promotion: PromotionRecord, started: ReadonlyArray<{ target: PromotionTargetRecord; release: ReleaseRecord }>): Promise<void> {
    await Promise.all(
      started.map(async ({ target, release }) => {
        let final: ReleaseRecord;
        try {
          final = await this.#deps.releases.startPhase(release);
        } catch (error) {
          this.#deps.report(error, 'promotion release phase failed');
          final = { ...release, status: 'failed' };
        }
        const ok = final.status === 'succeeded';
        this.#store.pipelines.finishTarget(target.id, ok ? 'succeeded' : 'failed', ok ? null : PROMOTION_ERRORS.releasePhaseFailed(final.version), apiTimestamp());
      }),
    );
    this.#store.pipelines.completePromotion(promotion.id, apiTimestamp());
  }

  /** An app of the pipeline, by name or id. */
  #member(pipeline: PipelineRecord, appNameOrId: string): AppRecord {
    const app = this.#deps.apps.get(appNameOrId);
    if (this.#store.pipelines.couplingOfApp(app.id)?.pipelineId !== pipeline.id) raise('pipeline_app_not_coupled', { app: app.name, pipeline: pipeline.name });
    return app;
  }

  #validName(name: string): string {
    if (!PIPELINE_NAME.test(name)) raise('pipeline_name_invalid');
    return name;
  }

  #validStage(stage: string): Stage {
    if (!isStage(stage)) raise('pipeline_stage_invalid', { stage });
    return stage;
  }
}
