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
import { AppQueues } from '../queue.js';
import type { SetupsService } from '../setups/index.js';
import type { AppRecord } from '../contracts/records.js';
import type { PipelineRecord, ReviewAppConfigChanges, ReviewAppConfigRecord, ReviewAppRecord, Store } from '../store/index.js';
import { REVIEW_APP_MESSAGES } from './messages.js';
import type { PipelinesService } from './service.js';

export interface ReviewAppsDeps {
  readonly store: Store;
  readonly pipelines: PipelinesService;
  readonly apps: AppsService;
  readonly setups: SetupsService;
  readonly dynos: DynoManager;
  /** The apps' git repos, where `source_blob.url: "resolve"` finds a branch; without them it is never found. */
  readonly branches?: ReviewAppBranches | undefined;
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

/** Branches of the apps' git repos (git/, through the composition root). */
export interface ReviewAppBranches {
  /** The commit a branch points at in an app's repo, or undefined when it has no such branch. */
  head(appId: string, branch: string): Promise<string | undefined>;
  /** The branch's head as a new source blob, or undefined when the repo has no such branch. */
  source(appId: string, branch: string): Promise<{ readonly url: string; readonly sha: string } | undefined>;
}

/** What `POST`/`PATCH /pipelines/{id}/review-app-config` may set (S:review-app-config). */
export type ReviewAppConfigRequest = ReviewAppConfigChanges;

/** What a push of a branch made of a review app: its app, its build once started, and how its setup ended. */
export interface ReviewAppFromPush {
  readonly review: ReviewAppRecord;
  readonly app: AppRecord;
  /** The setup's build id once it has started; null when the setup ended before building. */
  readonly build: Promise<string | null>;
  /** How the setup ended: why it failed (null when the review app was made whole), and what postdeploy printed. */
  readonly finished: Promise<{ readonly failure: string | null; readonly postdeploy: string | null }>;
}

/** The most of pr-predestroy's output a deleting push shows. */
const PREDESTROY_OUTPUT_MAX = 64 * 1024;
/** The stages whose apps are a review app's parent: a branch pushed to their remote makes a review app. */
const PARENT_STAGES: readonly string[] = ['development', 'staging', 'production'];
/** `source_blob.url` that asks for the branch's head in the pipeline's repo (what `heroku reviewapps:create` sends). */
const RESOLVE = 'resolve';
/** A day, for `stale_days`. */
const DAY_MS = 24 * 60 * 60 * 1000;
/** S:review-app-config `base_name` must make valid app names with a dash and a slug after it. */
const BASE_NAME = /^[a-z][a-z0-9-]{1,27}$/;

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
  /**
   * Deletions under way, by review app id, each resolving with what pr-predestroy printed (undefined when it did not
   * run): a push deleting a branch waits for its review app to go and shows that output.
   */
  readonly #deleting = new Map<string, Promise<string | undefined>>();
  /**
   * One creation at a time per pipeline and branch: two first pushes of a branch (or a push and `reviewapps:create`)
   * would both find no review app and both make one. The later one finds the earlier's and is refused.
   */
  readonly #creating = new AppQueues();

  constructor(deps: ReviewAppsDeps) {
    this.#deps = deps;
  }

  /** Starts a review app: answers `creating` with its app once the setup has made it, or `errored` with why. */
  async create(request: ReviewAppRequest): Promise<ReviewAppRecord> {
    const pipeline = this.#deps.pipelines.get(request.pipeline);
    return this.#creating.run(`${pipeline.id}\n${request.branch}`, 'review app creation', () => this.#create(pipeline, request));
  }

  async #create(pipeline: PipelineRecord, request: ReviewAppRequest): Promise<ReviewAppRecord> {
    const { store, pipelines, setups } = this.#deps;
    const name = this.nameFor(pipeline, request.branch);
    if (name === undefined) raise('review_app_branch_invalid', { branch: request.branch });
    if (store.reviewApps.liveForBranch(pipeline.id, request.branch)) raise('review_app_exists', { branch: request.branch, pipeline: pipeline.name });
    const source =
      request.sourceBlobUrl === RESOLVE ? await this.#resolve(pipeline, request.branch) : { url: request.sourceBlobUrl, sha: request.sourceVersion ?? null };
    const setup = await setups.create({
      environment: 'review',
      sourceBlob: { url: source.url, version: source.sha },
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

  /**
   * Where a branch is in the pipeline's "repo": the git repo of its first app at development, staging or production
   * that has the branch (Berth's pipelines have no connected GitHub repo; each app has its own remote).
   */
  async branchApp(pipelineIdOrName: string, branch: string): Promise<{ readonly appId: string; readonly sha: string }> {
    const pipeline = this.#deps.pipelines.get(pipelineIdOrName);
    const parents = this.#deps.pipelines
      .couplingsOf(pipeline.id)
      .filter((c) => PARENT_STAGES.includes(c.stage))
      .sort((a, b) => PARENT_STAGES.indexOf(a.stage) - PARENT_STAGES.indexOf(b.stage));
    for (const coupling of parents) {
      const sha = await this.#deps.branches?.head(coupling.appId, branch);
      if (sha !== undefined) return { appId: coupling.appId, sha };
    }
    raise('review_app_branch_not_found', { branch, pipeline: pipeline.name });
  }

  async #resolve(pipeline: PipelineRecord, branch: string): Promise<{ url: string; sha: string }> {
    const { appId } = await this.branchApp(pipeline.id, branch);
    const source = await this.#deps.branches?.source(appId, branch);
    if (!source) raise('review_app_branch_not_found', { branch, pipeline: pipeline.name });
    return source;
  }

  /** `<base name or pipeline>-<branch slug>`, or undefined when the branch leaves no slug. */
  nameFor(pipeline: Pick<PipelineRecord, 'id' | 'name'>, branch: string): string | undefined {
    return reviewAppName(this.#deps.store.reviewAppConfigs.get(pipeline.id)?.baseName ?? pipeline.name, branch);
  }

  // ---- review-app-config: present means review apps are enabled -------------------------------------------------

  /** `GET /pipelines/{id}/review-app-config`. */
  config(pipelineIdOrName: string): ReviewAppConfigRecord {
    const found = this.#deps.store.reviewAppConfigs.get(this.#deps.pipelines.get(pipelineIdOrName).id);
    if (!found) raise('review_app_config_not_found');
    return found;
  }

  /** `POST`: enables review apps (again: the settings given replace the old ones). */
  enable(pipelineIdOrName: string, request: ReviewAppConfigRequest): ReviewAppConfigRecord {
    const pipeline = this.#deps.pipelines.get(pipelineIdOrName);
    const now = apiTimestamp();
    const current = this.#deps.store.reviewAppConfigs.get(pipeline.id);
    return this.#deps.store.reviewAppConfigs.put({
      pipelineId: pipeline.id,
      repo: null,
      automaticReviewApps: false,
      destroyStaleApps: false,
      staleDays: 5,
      waitForCi: false,
      baseName: null,
      deployTarget: null,
      ...this.#validConfig(request),
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    });
  }

  /** `PATCH`: changes the settings given; review apps must be enabled. */
  updateConfig(pipelineIdOrName: string, request: ReviewAppConfigRequest): ReviewAppConfigRecord {
    const current = this.config(pipelineIdOrName);
    return this.#deps.store.reviewAppConfigs.put({ ...current, ...this.#validConfig(request), updatedAt: apiTimestamp() });
  }

  /** `DELETE`: disables review apps; the review apps there are stay until deleted, as on Heroku. */
  disable(pipelineIdOrName: string): ReviewAppConfigRecord {
    const current = this.config(pipelineIdOrName);
    this.#deps.store.reviewAppConfigs.delete(current.pipelineId);
    return current;
  }

  #validConfig(request: ReviewAppConfigRequest): ReviewAppConfigChanges {
    const { baseName, staleDays } = request;
    if (baseName !== undefined && baseName !== null && !BASE_NAME.test(baseName)) raise('review_app_base_name_invalid', { name: baseName });
    if (staleDays !== undefined && (!Number.isInteger(staleDays) || staleDays < 1 || staleDays > 30)) raise('review_app_stale_days_invalid');
    return Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined)) as ReviewAppConfigChanges;
  }

  /**
   * `GET /pipelines/{id}/repo` (the repositories API `reviewapps:enable`/`disable` ask once the account feature
   * `dashboard-repositories-api` is on, instead of kolkrabbi): the repo named when review apps were enabled, else
   * `local/<pipeline>`. Berth's pipelines deploy from their apps' own git remotes, so the name is only a label.
   */
  repoName(pipelineIdOrName: string): string {
    const pipeline = this.#deps.pipelines.get(pipelineIdOrName);
    return this.#deps.store.reviewAppConfigs.get(pipeline.id)?.repo ?? `local/${pipeline.name}`;
  }

  // ---- review apps from git pushes -------------------------------------------------------------------------------

  /**
   * The pipeline whose review apps a branch pushed to this app's remote makes: the app is coupled at development,
   * staging or production of a pipeline with review apps enabled. Undefined otherwise (the push is refused as before).
   */
  parentPipeline(appId: string): PipelineRecord | undefined {
    const coupling = this.#deps.store.pipelines.couplingOfApp(appId);
    if (!coupling || !PARENT_STAGES.includes(coupling.stage)) return undefined;
    if (!this.#deps.store.reviewAppConfigs.get(coupling.pipelineId)) return undefined;
    return this.#deps.pipelines.get(coupling.pipelineId);
  }

  /** The app of the branch's review app, when there is one to deploy to (made by an earlier push or the API). */
  appForBranch(pipelineId: string, branch: string): AppRecord | undefined {
    const review = this.#deps.store.reviewApps.latestForBranch(pipelineId, branch);
    if (!review || review.appId === null) return undefined;
    return this.#deps.apps.list().find((a) => a.id === review.appId);
  }

  /** Makes the branch's review app from a pushed source; thrown errors are the API's (name taken, exists). */
  async createFromPush(pipelineId: string, branch: string, sourceBlobUrl: string, sourceVersion: string): Promise<ReviewAppFromPush | { failed: string }> {
    const review = await this.create({ pipeline: pipelineId, branch, sourceBlobUrl, sourceVersion });
    const app = review.appId === null ? undefined : this.#deps.apps.list().find((a) => a.id === review.appId);
    if (review.status === 'errored' || review.setupId === null || !app) return { failed: review.message ?? REVIEW_APP_MESSAGES.notMade };
    const { setups } = this.#deps;
    const setupId = review.setupId;
    return {
      review,
      app,
      build: setups.buildStarted(setupId),
      finished: setups.finished(setupId).then((done) => ({
        failure: done.status === 'succeeded' ? null : done.failureMessage ?? REVIEW_APP_MESSAGES.notMade,
        postdeploy: done.postdeployOutput,
      })),
    };
  }

  /** A later push of the branch built on its review app: `created` again when it succeeded, `errored` if not. */
  deployed(appId: string, succeeded: boolean): void {
    const review = this.#deps.store.reviewApps.byApp(appId);
    if (!review) return;
    this.#deps.store.reviewApps.update(review.id, { status: succeeded ? 'created' : 'errored', message: succeeded ? null : REVIEW_APP_MESSAGES.buildFailed }, apiTimestamp());
  }

  /** `git push <remote> :<branch>`: deletes the branch's review app, waits until it is gone, says what pr-predestroy printed. */
  async destroyBranch(pipelineId: string, branch: string): Promise<{ review: ReviewAppRecord; predestroyOutput: string | undefined } | undefined> {
    const review = this.#deps.store.reviewApps.latestForBranch(pipelineId, branch);
    if (!review) return undefined;
    this.delete(review.id);
    const predestroyOutput = await this.#deleting.get(review.id)?.catch(() => undefined);
    return { review: this.get(review.id), predestroyOutput };
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
    const work = (async (): Promise<string | undefined> => {
      const app = review.appId === null ? undefined : apps.list().find((a) => a.id === review.appId);
      if (review.setupId !== null) await setups.finished(review.setupId);
      const predestroy = review.setupId === null ? undefined : setups.scripts(review.setupId)['pr-predestroy'];
      let output: string | undefined;
      if (app && predestroy) {
        // A release is needed to run it; an app whose build failed has none, and goes without.
        output = '';
        await dynos
          .runScript(app, predestroy.command, (text) => (output = `${output ?? ''}${text}`.slice(0, PREDESTROY_OUTPUT_MAX)), predestroy.size)
          .catch((error: unknown) => this.#deps.report(error, 'pr-predestroy failed'));
      }
      if (app) apps.destroy(app.id);
      store.reviewApps.update(review.id, { status: 'deleted', message: REVIEW_APP_MESSAGES.deleted }, apiTimestamp());
      return output;
    })();
    void this.#track(work.then(() => undefined));
    this.#deleting.set(review.id, work);
    void work.catch(() => undefined).finally(() => this.#deleting.delete(review.id));
    return deleting;
  }

  /**
   * `destroy_stale_apps`: deletes (pr-predestroy first) the review apps of such pipelines not deployed for
   * `stale_days` days. Their last deploy is their app's last release (a push, a build, a promotion or a config change
   * all make one), else when the review app last changed. The daemon calls this hourly; `now` is for tests.
   */
  destroyStale(now: Date = new Date()): ReviewAppRecord[] {
    const { store, pipelines, apps } = this.#deps;
    const deleting: ReviewAppRecord[] = [];
    for (const pipeline of pipelines.list()) {
      const config = store.reviewAppConfigs.get(pipeline.id);
      if (!config?.destroyStaleApps) continue;
      const cutoff = now.getTime() - config.staleDays * DAY_MS;
      for (const review of store.reviewApps.listByPipeline(pipeline.id)) {
        if (review.status !== 'created' && review.status !== 'errored') continue;
        const app = review.appId === null ? undefined : apps.list().find((a) => a.id === review.appId);
        if (Date.parse(app?.releasedAt ?? review.updatedAt) > cutoff) continue;
        deleting.push(this.delete(review.id));
      }
    }
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

  #track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: unknown) => this.#deps.report(error, 'review app failed')).finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
    return tracked;
  }
}
