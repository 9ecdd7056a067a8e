// Review apps: an app per branch of a pipeline's code, set up from app.json's `environments.review` (an app setup in
// its `review` environment: env, add-ons, formation, postdeploy on first deploy), with HEROKU_APP_NAME and
// HEROKU_BRANCH set, coupled at stage `review`. Deleting one runs `scripts.pr-predestroy` in a one-off dyno, then
// destroys the app (reference: heroku-workflows.md §3.4). Heroku makes them from GitHub pull requests; Berth from a
// branch name and a source blob.
import { randomUUID } from 'node:crypto';
import type { AppsService } from '../apps/index.js';
import { apiTimestamp } from '../clock.js';
import type { DynoManager } from '../dynos/index.js';
import { raise } from '../errors.js';
import type { SetupsService } from '../setups/index.js';
import type { ReviewAppRecord, Store } from '../store/index.js';
import { REVIEW_APP_MESSAGES } from './messages.js';
import type { PipelinesService } from './service.js';

export interface ReviewAppsDeps {
  readonly store: Store;
  readonly pipelines: PipelinesService;
  readonly apps: AppsService;
  readonly setups: SetupsService;
  readonly dynos: DynoManager;
  readonly report: (error: unknown, what: string) => void;
}

export interface ReviewAppRequest {
  readonly pipeline: string;
  readonly branch: string;
  readonly sourceBlobUrl: string;
  readonly sourceVersion?: string | null | undefined;
  /** Config vars for this review app only (`environment` in the API). */
  readonly environment?: Readonly<Record<string, string>> | null | undefined;
}

/**
 * `<pipeline>-<branch slug>`: the branch lower-cased, each run of characters an app name cannot hold a dash, trimmed
 * to fit the 30 characters of an app name. Undefined when nothing of the branch is left.
 */
export function reviewAppName(pipeline: string, branch: string): string | undefined {
  const room = 30 - pipeline.length - 1;
  const slug = branch.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, Math.max(room, 0)).replace(/-+$/, '');
  return slug === '' ? undefined : `${pipeline}-${slug}`;
}

export class ReviewAppsService {
  readonly #deps: ReviewAppsDeps;
  readonly #running = new Set<Promise<void>>();

  constructor(deps: ReviewAppsDeps) {
    this.#deps = deps;
  }

  /** Starts a review app: answers `creating` with its app once the setup has made it, or `errored` with why. */
  async create(request: ReviewAppRequest): Promise<ReviewAppRecord> {
    const { store, pipelines, setups } = this.#deps;
    const pipeline = pipelines.get(request.pipeline);
    const name = reviewAppName(pipeline.name, request.branch);
    if (name === undefined) raise('review_app_branch_invalid', { branch: request.branch });
    if (store.reviewApps.liveForBranch(pipeline.id, request.branch)) raise('review_app_exists', { branch: request.branch, pipeline: pipeline.name });
    const setup = await setups.create({
      environment: 'review',
      sourceBlob: { url: request.sourceBlobUrl, version: request.sourceVersion ?? null },
      app: { name },
      overrides: { env: { ...pipelines.stageConfig(pipeline.id, 'review'), ...(request.environment ?? {}), HEROKU_APP_NAME: name, HEROKU_BRANCH: request.branch } },
    });
    const now = apiTimestamp();
    const failed = setup.status === 'failed';
    const record = store.reviewApps.insert({
      id: randomUUID(),
      pipelineId: pipeline.id,
      appId: setup.appId,
      setupId: setup.id,
      branch: request.branch,
      status: failed ? 'errored' : 'creating',
      message: failed ? [setup.failureMessage, ...setup.manifestErrors].filter((m) => m !== null).join('; ') : null,
      createdAt: now,
      updatedAt: now,
    });
    if (failed || setup.appId === null) return record;
    pipelines.couple(setup.appId, pipeline.id, 'review');
    this.#track(
      setups.finished(setup.id).then((done) => {
        const ok = done.status === 'succeeded';
        store.reviewApps.update(record.id, { status: ok ? 'created' : 'errored', message: ok ? null : done.failureMessage }, apiTimestamp());
      }),
    );
    return record;
  }

  get(id: string): ReviewAppRecord {
    const found = /^[0-9a-f-]{36}$/i.test(id) ? this.#deps.store.reviewApps.get(id.toLowerCase()) : undefined;
    if (!found) raise('review_app_not_found');
    return found;
  }

  byApp(appNameOrId: string): ReviewAppRecord {
    const found = this.#deps.store.reviewApps.byApp(this.#deps.apps.get(appNameOrId).id);
    if (!found) raise('review_app_not_found');
    return found;
  }

  list(pipelineIdOrName: string): ReviewAppRecord[] {
    return this.#deps.store.reviewApps.listByPipeline(this.#deps.pipelines.get(pipelineIdOrName).id);
  }

  /** Starts deleting: `scripts.pr-predestroy` runs first (when the app has a release), then the app is destroyed. */
  delete(id: string): ReviewAppRecord {
    const review = this.get(id);
    if (review.status === 'deleting' || review.status === 'deleted') return review;
    const { store, apps, dynos, setups } = this.#deps;
    const deleting = store.reviewApps.update(review.id, { status: 'deleting' }, apiTimestamp());
    this.#track(
      (async () => {
        const app = review.appId === null ? undefined : apps.list().find((a) => a.id === review.appId);
        if (review.setupId !== null) await setups.finished(review.setupId);
        const predestroy = review.setupId === null ? undefined : setups.scripts(review.setupId)['pr-predestroy'];
        if (app && predestroy) {
          // A release is needed to run it; an app whose build failed has none, and goes without.
          await dynos.runScript(app, predestroy.command, () => undefined, predestroy.size).catch((error: unknown) => this.#deps.report(error, 'pr-predestroy failed'));
        }
        if (app) apps.destroy(app.id);
        store.reviewApps.update(review.id, { status: 'deleted', message: REVIEW_APP_MESSAGES.deleted }, apiTimestamp());
      })(),
    );
    return deleting;
  }

  /** On start: review apps a killed daemon left being made or deleted are errored (the app, if any, stays). */
  recover(): void {
    for (const review of this.#deps.store.reviewApps.listUnfinished()) {
      this.#deps.store.reviewApps.update(review.id, { status: 'errored', message: REVIEW_APP_MESSAGES.interrupted }, apiTimestamp());
    }
  }

  /** Resolves when every review app started or deleted so far has settled (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.#deps.report(error, 'review app failed')).finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
  }
}
