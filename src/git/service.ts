// Deploying over git (DESIGN.md `git/`): each `git-receive-pack` POST gets a per-push token that reaches the
// pre-receive hook through the CGI environment; the hook asks this service what to do with its ref updates (plan),
// then streams `git archive` of the new commit here (source). The source becomes a source blob and an ordinary build
// in the push's turn of the app's queue; its output streams back as the hook's output, then Heroku's closing lines
// (push-lines.ts). git/ uses no other room: what it calls arrives through its constructor as the interfaces below.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { AppRecord, BuildRecord, ReleaseRecord } from '../contracts/records.js';
import type { SourceRef } from '../contracts/sources.js';
import { raise } from '../errors.js';
import type { AppQueues, QueueTurn } from '../queue.js';
import { PUSH_WORK, pushLines } from './push-lines.js';
import { isZero, parseRefUpdates, planPush, type RefUpdate } from './refs.js';
import { Repos } from './repos.js';

/** What a push asks of apps/: the app it names, created by its first push when that is on. */
const execFileAsync = promisify(execFile);
/** The largest branch archive `reviewapps:create` takes from a repo (a pushed source has no such bound but the blob's). */
const ARCHIVE_MAX_BYTES = 512 * 1024 * 1024;

export interface GitApps {
  exists(name: string): boolean;
  formerlyNamed(name: string): AppRecord | undefined;
  get(nameOrId: string): AppRecord;
  create(request: { name: string }): AppRecord;
  destroy(nameOrId: string): AppRecord;
}

/** What a push asks of sources/: a blob for the pushed tarball. */
export interface GitSources {
  create(): { readonly id: string; readonly secret: string };
  upload(id: string, secret: string, body: Readable): Promise<unknown>;
}

/** What a push asks of builds/: a build of its source in the push's own turn of the queue, its output and outcome. */
export interface GitBuilds {
  create(
    app: AppRecord,
    request: { source: SourceRef; sourceVersion: string | null; sourceChecksum: string | null; buildpacks: readonly string[] | null },
    within: QueueTurn,
  ): BuildRecord;
  get(app: AppRecord, idOrVersion: string): BuildRecord;
  output(buildId: string, secret: string, signal?: AbortSignal): AsyncIterable<Buffer>;
}

/** What a push asks of releases/: the release its build made, and the output of that release's phase. */
export interface GitReleases {
  byId(releaseId: string): ReleaseRecord | undefined;
  followPhase(releaseId: string, signal?: AbortSignal): AsyncIterable<Buffer>;
}

/** What a push of another branch than main/master asks of the pipelines room: its review app (README "Review apps"). */
export interface GitReviewApps {
  /** The pipeline whose review apps this app's other branches make, or undefined: such pushes are refused. */
  parentPipeline(appId: string): GitPipeline | undefined;
  /** The review app name of a branch, or undefined when the branch cannot make one. */
  nameFor(pipeline: GitPipeline, branch: string): string | undefined;
  /** The app of the branch's review app, when one is there to deploy to. */
  appForBranch(pipelineId: string, branch: string): AppRecord | undefined;
  /** Makes the branch's review app (an app setup of its `review` environment); throws the API's errors. */
  createFromPush(pipelineId: string, branch: string, sourceBlobUrl: string, sourceVersion: string): Promise<GitReviewCreation | { readonly failed: string }>;
  /** A push built on an existing review app, successfully or not. */
  deployed(appId: string, succeeded: boolean): void;
  /** Deletes the branch's review app (pr-predestroy, then the app and its add-ons); resolves once it is gone. */
  destroyBranch(pipelineId: string, branch: string): Promise<{ readonly predestroyOutput: string | undefined } | undefined>;
}

/** What a push of a `ci/<branch>` asks of the pipelines room: a Heroku CI test run (README "Heroku CI from a git push"). */
export interface GitTestRuns {
  /** The pipeline of the app (coupled at any stage), or undefined: its `ci/` branches are then like any other branch. */
  pipelineOf(appId: string): GitPipeline | undefined;
  /** Starts a run of the pushed commit; its output is the node's setup then test streams, as they are written. */
  start(pipelineId: string, branch: string, commit: { readonly sha: string; readonly message: string }, sourceBlobUrl: string, signal: AbortSignal): GitTestRun;
}

export interface GitTestRun {
  readonly number: number;
  readonly output: AsyncIterable<string>;
  readonly finished: Promise<{ readonly status: string; readonly exitCode: number | null; readonly message: string | null }>;
}

export interface GitPipeline {
  readonly id: string;
  readonly name: string;
}

export interface GitReviewCreation {
  readonly app: AppRecord;
  /** The setup's build id once it has started (null: it ended before building). */
  readonly build: Promise<string | null>;
  /** How its setup ended: `failure` null once the review app is whole (postdeploy and formation included); postdeploy's output. */
  readonly finished: Promise<{ readonly failure: string | null; readonly postdeploy: string | null }>;
}

export interface GitDeps {
  readonly apps: GitApps;
  readonly sources: GitSources;
  readonly builds: GitBuilds;
  readonly releases: GitReleases;
  readonly queues: AppQueues;
  /** The URL of a source blob, as the build record shows it (`source_blob.url`). */
  readonly sourceBlobUrl: (id: string, secret: string) => string;
  /** Where an app serves, as a push of its review app ends by saying. */
  readonly webUrl: (appName: string) => string;
  /** Review apps from other branches; without it every other branch is refused. */
  readonly reviewApps?: GitReviewApps | undefined;
  /** Test runs from `ci/` branches; without it such branches are like any other. */
  readonly testRuns?: GitTestRuns | undefined;
  readonly logger: Logger;
}

export interface GitOptions {
  readonly dataDir: string;
  readonly autoCreateApps: boolean;
  /**
   * Where the hook reaches this daemon, over TLS so its token never crosses loopback in cleartext, e.g.
   * `https://127.0.0.1:5101/internal/git/pushes`.
   */
  readonly internalUrl: string;
  /** The local CA's certificate (PEM file) the hook verifies the daemon's certificate with. */
  readonly caFile: string;
}

export interface PushSession {
  /** Variables for http-backend; receive-pack passes them on to the pre-receive hook. */
  readonly env: Readonly<Record<string, string>>;
  /** Called when http-backend has exited: the refs are updated (or not) by then. */
  end(): void;
}

/** What the hook's first call decided to deploy: main/master to the app, or another branch to its review app. */
interface Planned {
  readonly update: RefUpdate;
  readonly branch: string;
  readonly review?: { readonly pipeline: GitPipeline; readonly name: string } | undefined;
  /** A `ci/` branch: a test run in this pipeline. */
  readonly test?: GitPipeline | undefined;
  /** A deleted branch of a review apps parent: its review app in this pipeline goes once git has deleted the ref. */
  readonly destroy?: GitPipeline | undefined;
}

interface Session {
  readonly token: string;
  readonly appId: string;
  readonly appName: string;
  planned: Planned | undefined;
  ended: boolean;
  /** Resolves when http-backend has exited. */
  readonly whenEnded: Promise<void>;
}

export interface PushOutput {
  write(text: string): void;
  /** Ends the stream; `succeeded` says whether the hook should accept the push. */
  end(succeeded: boolean): void;
  readonly signal: AbortSignal;
}

export class GitService {
  readonly repos: Repos;
  readonly #deps: GitDeps;
  readonly #options: GitOptions;
  readonly #sessions = new Map<string, Session>();

  constructor(deps: GitDeps, options: GitOptions) {
    this.#deps = deps;
    this.#options = options;
    this.repos = new Repos(join(options.dataDir, 'repos'));
  }

  get reposRoot(): string {
    return join(this.#options.dataDir, 'repos');
  }

  /**
   * The app a git request names. A push (`receivePack`) to an unknown app creates it when autoCreateApps is on;
   * anything else to an unknown app is refused. Ensures the bare repo.
   */
  async resolveApp(name: string, receivePack: boolean): Promise<AppRecord | undefined> {
    let app: AppRecord | undefined;
    let created = false;
    if (this.#deps.apps.exists(name)) app = this.#deps.apps.get(name);
    // A checkout whose remote still names the app as it was before `apps:rename` keeps fetching from and pushing to
    // it, rather than a first push creating a new app of the old name (until another app takes that name).
    else if ((app = this.#deps.apps.formerlyNamed(name)) !== undefined) this.#deps.logger.info({ app: app.name, as: name }, 'git remote names the app\'s former name');
    else if (receivePack && this.#options.autoCreateApps) {
      try {
        app = this.#deps.apps.create({ name });
        created = true;
        this.#deps.logger.info({ app: name }, 'app created by its first push');
      } catch (error) {
        // Two first pushes at once: the other one created it.
        if (!this.#deps.apps.exists(name)) throw error;
        app = this.#deps.apps.get(name);
      }
    }
    if (!app) return undefined;
    try {
      await this.repos.ensure(app.id);
    } catch (error) {
      // An app this push created exists whole (with its repo) or not at all.
      if (created) this.#deps.apps.destroy(app.id);
      throw error;
    }
    return app;
  }

  beginPush(app: AppRecord): PushSession {
    const token = randomBytes(32).toString('hex');
    let ended!: () => void;
    const whenEnded = new Promise<void>((resolve) => (ended = resolve));
    const session: Session = { token, appId: app.id, appName: app.name, planned: undefined, ended: false, whenEnded };
    this.#sessions.set(token, session);
    return {
      env: { BERTH_PUSH_URL: this.#options.internalUrl, BERTH_PUSH_TOKEN: token, BERTH_PUSH_CA: this.#options.caFile },
      end: () => {
        session.ended = true;
        this.#sessions.delete(token);
        ended();
      },
    };
  }

  #session(token: string | undefined): Session {
    const session = token ? this.#sessions.get(token) : undefined;
    if (!session || session.ended) raise('push_token_unknown');
    return session;
  }

  /**
   * The hook's first call: what its ref updates mean. Deleting a branch of a review apps parent is only noted here:
   * git may still refuse the update (a locked ref, a lost race), so its review app goes after it (`received`).
   */
  async plan(token: string | undefined, refText: string): Promise<{ ok: boolean; lines: string[]; archive: string | null }> {
    const session = this.#session(token);
    let updates: RefUpdate[];
    try {
      updates = parseRefUpdates(refText);
    } catch (error) {
      return { ok: false, lines: [` !     ${(error as Error).message}`], archive: null };
    }
    const { reviewApps, testRuns } = this.#deps;
    const parent = reviewApps?.parentPipeline(session.appId);
    const testPipeline = testRuns?.pipelineOf(session.appId);
    const plan = planPush(updates, parent !== undefined, testPipeline !== undefined);
    if (plan.kind === 'reject') return { ok: false, lines: [...plan.lines], archive: null };
    if (plan.kind === 'accept') return { ok: true, lines: [], archive: null };
    if (plan.kind === 'test') {
      session.planned = { update: plan.update, branch: plan.branch, test: testPipeline };
      return { ok: true, lines: [], archive: plan.update.newSha };
    }
    if (plan.kind === 'deploy' || !parent || !reviewApps) {
      session.planned = { update: plan.update, branch: plan.branch };
      return { ok: true, lines: [], archive: plan.update.newSha };
    }
    if (plan.kind === 'destroy') {
      session.planned = { update: plan.update, branch: plan.branch, destroy: parent };
      return { ok: true, lines: [], archive: null };
    }
    const name = reviewApps.nameFor(parent, plan.branch);
    if (name === undefined) return { ok: false, lines: pushLines.reviewBranchInvalid(plan.branch), archive: null };
    session.planned = { update: plan.update, branch: plan.branch, review: { pipeline: parent, name } };
    return { ok: true, lines: [], archive: plan.update.newSha };
  }

  /**
   * The post-receive hook's call, once git has updated the refs (`refText` lists the updates it made): a branch
   * deletion planned by `plan` destroys the branch's review app now. Its lines are the hook's output.
   */
  async received(token: string | undefined, refText: string): Promise<{ lines: string[] }> {
    const session = this.#session(token);
    const planned = session.planned;
    const reviewApps = this.#deps.reviewApps;
    if (!planned?.destroy || !reviewApps) return { lines: [] };
    let updates: RefUpdate[];
    try {
      updates = parseRefUpdates(refText);
    } catch {
      return { lines: [] };
    }
    const { ref } = planned.update;
    if (!updates.some((u) => u.ref === ref && isZero(u.newSha))) return { lines: [] };
    // Once only, whatever calls again with this token.
    session.planned = undefined;
    return { lines: await this.#destroyReviewApp(reviewApps, planned.destroy, planned.branch) };
  }

  async #destroyReviewApp(reviewApps: GitReviewApps, pipeline: GitPipeline, branch: string): Promise<string[]> {
    const app = reviewApps.appForBranch(pipeline.id, branch);
    if (!app) return [pushLines.reviewNone(branch)];
    const output = (await reviewApps.destroyBranch(pipeline.id, branch))?.predestroyOutput;
    const printed = output === undefined || output === '' ? [] : output.replace(/\n$/, '').split('\n');
    const predestroy = output === undefined ? [] : [pushLines.reviewPredestroy(app.name), ...printed];
    return [...predestroy, pushLines.reviewDestroyed(app.name, branch)];
  }

  /** The hook's second call: the tarball of the new commit. Builds it and writes the push's output. */
  async deploy(token: string | undefined, body: Readable, out: PushOutput, commitMessage = ''): Promise<void> {
    const session = this.#session(token);
    const planned = session.planned;
    if (!planned || planned.destroy) raise('push_nothing_to_deploy');
    const write = (lines: readonly string[]) => {
      for (const text of lines) out.write(`${text}\n`);
    };
    const blob = this.#deps.sources.create();
    try {
      await this.#deps.sources.upload(blob.id, blob.secret, body);
    } catch (error) {
      this.#reject(session, out, pushLines.sourceNotReceived((error as Error).message));
      return;
    }
    write(pushLines.sourceReceived);
    const source: SourceRef = { kind: 'blob', id: blob.id, secret: blob.secret, url: this.#deps.sourceBlobUrl(blob.id, blob.secret) };
    const { testRuns } = this.#deps;
    if (planned.test && testRuns) {
      await this.#testRun(session, planned, planned.test, testRuns, source, out, commitMessage);
      return;
    }
    const review = planned.review;
    const reviewApps = this.#deps.reviewApps;
    const existing = review && reviewApps?.appForBranch(review.pipeline.id, planned.branch);
    if (review && reviewApps && !existing) {
      await this.#createReviewApp(session, planned, review, reviewApps, source, out);
      return;
    }
    if (existing) write([pushLines.reviewUpdating(existing.name, planned.branch)]);
    const target = existing ?? { id: session.appId, name: session.appName };
    await this.#deps.queues.run(
      target.id,
      PUSH_WORK,
      (turn) => this.#deployInTurn(session, planned, source, out, turn, target.id),
      (running) => write([pushLines.waiting(target.name, running)]),
    );
  }

  /**
   * A first push of another branch to a review apps parent: the review app is set up from the pushed source (its app
   * setup builds it in the new app's own queue); the push shows that build, then the review app's URL.
   */
  async #createReviewApp(
    session: Session,
    planned: Planned,
    review: NonNullable<Planned['review']>,
    reviewApps: GitReviewApps,
    source: SourceRef,
    out: PushOutput,
  ): Promise<void> {
    const { update, branch } = planned;
    // The branch's head in the parent's repo must still be where this push found it (another push may have moved it).
    const head = await this.repos.branchHead(session.appId, branch);
    if (head !== (isZero(update.oldSha) ? undefined : update.oldSha)) {
      this.#reject(session, out, pushLines.branchMoved(branch, head));
      return;
    }
    out.write(`${pushLines.reviewCreating(review.name, branch, review.pipeline.name)}\n`);
    let made: GitReviewCreation | { readonly failed: string };
    try {
      made = await reviewApps.createFromPush(review.pipeline.id, branch, source.url, update.newSha);
    } catch (error) {
      this.#reject(session, out, pushLines.reviewNotMade((error as Error).message));
      return;
    }
    if ('failed' in made) {
      this.#reject(session, out, pushLines.reviewNotMade(made.failed));
      return;
    }
    const buildId = await made.build;
    const { builds } = this.#deps;
    if (buildId !== null) {
      const build = builds.get(made.app, buildId);
      for await (const chunk of followOutput(builds, build.id, build.outputSecret, out.signal)) out.write(chunk.toString('utf8'));
      const finished = builds.get(made.app, buildId);
      if (finished.status === 'succeeded' && finished.releaseId) {
        for (const text of pushLines.verified) out.write(`${text}\n`);
        try {
          await this.#reportReleasePhase(finished.releaseId, out);
        } catch (error) {
          this.#deps.logger.error({ err: error, app: made.app.name }, 'release phase report failed');
        }
      }
    }
    const { failure, postdeploy } = await made.finished;
    if (postdeploy !== null) {
      out.write(`${pushLines.reviewPostdeploy(made.app.name)}\n`);
      if (postdeploy !== '') out.write(postdeploy.endsWith('\n') ? postdeploy : `${postdeploy}\n`);
    }
    if (failure !== null) {
      this.#reject(session, out, pushLines.reviewNotMade(failure));
      return;
    }
    out.write(`${pushLines.reviewReady(made.app.name, this.#deps.webUrl(made.app.name))}\n`);
    out.end(true);
    await session.whenEnded;
  }

  /**
   * A `ci/<branch>` push: a test run of the pushed commit in the app's pipeline. The push shows the node's setup and
   * test output, and is accepted only when the run succeeded, so `git push` exits non-zero when the tests fail.
   */
  async #testRun(session: Session, planned: Planned, pipeline: GitPipeline, testRuns: GitTestRuns, source: SourceRef, out: PushOutput, message: string): Promise<void> {
    const commit = { sha: planned.update.newSha, message };
    const run = testRuns.start(pipeline.id, planned.branch, commit, source.url, out.signal);
    out.write(`${pushLines.testRunStarted(run.number, pipeline.name, planned.branch, commit.sha)}\n`);
    for await (const text of run.output) out.write(text);
    const ended = await run.finished;
    if (ended.status !== 'succeeded') {
      this.#reject(session, out, pushLines.testRunFailed(run.number, ended.status, ended.exitCode, ended.message));
      return;
    }
    out.write(`${pushLines.testRunSucceeded(run.number)}\n`);
    out.end(true);
    await session.whenEnded;
  }

  /**
   * The push's turn of the app's queue: nothing else of the app runs meanwhile, so the branch it checks is the branch
   * it moves. The turn lasts until http-backend exits, because receive-pack moves the branch after this hook succeeds.
   */
  async #deployInTurn(session: Session, planned: Planned, source: SourceRef, out: PushOutput, turn: QueueTurn, targetId: string): Promise<void> {
    if (session.ended || out.signal.aborted) return;
    const { update, branch } = planned;
    const head = await this.repos.branchHead(session.appId, branch);
    const expected = isZero(update.oldSha) ? undefined : update.oldSha;
    if (head !== expected) {
      this.#reject(session, out, pushLines.branchMoved(branch, head));
      return;
    }
    let app: AppRecord;
    try {
      app = this.#deps.apps.get(targetId);
    } catch {
      this.#reject(session, out, pushLines.appDestroyed);
      return;
    }
    const { builds } = this.#deps;
    const build = builds.create(app, { source, sourceVersion: update.newSha, sourceChecksum: null, buildpacks: null }, turn);
    for await (const chunk of followOutput(builds, build.id, build.outputSecret, out.signal)) out.write(chunk.toString('utf8'));
    const finished = builds.get(app, build.id);
    const succeeded = finished.status === 'succeeded' && finished.releaseId !== null;
    if (planned.review) this.#deps.reviewApps?.deployed(app.id, succeeded);
    if (!succeeded || !finished.releaseId) {
      this.#reject(session, out, []);
      return;
    }
    for (const text of pushLines.verified) out.write(`${text}\n`);
    try {
      await this.#reportReleasePhase(finished.releaseId, out);
    } catch (error) {
      this.#deps.logger.error({ err: error, app: app.name }, 'release phase report failed');
    }
    if (planned.review) out.write(`${pushLines.reviewReady(app.name, this.#deps.webUrl(app.name))}\n`);
    out.end(true);
    await session.whenEnded;
  }

  /** A release with a release phase shows its output after `Verifying deploy... done.`, as on Heroku. */
  async #reportReleasePhase(releaseId: string, out: PushOutput): Promise<void> {
    const { releases } = this.#deps;
    if (releases.byId(releaseId)?.status !== 'pending') return;
    out.write(`${pushLines.releaseCommandRunning}\n`);
    for await (const chunk of releases.followPhase(releaseId, out.signal)) out.write(chunk.toString('utf8'));
    out.write(`${pushLines.releaseWaited(releases.byId(releaseId)?.status === 'succeeded')}\n`);
  }

  #reject(session: Session, out: PushOutput, lines: readonly string[]): void {
    for (const text of [...lines, pushLines.verifying, ...pushLines.rejected(session.appName)]) out.write(`${text}\n`);
    out.end(false);
  }

  /**
   * The head of a branch in an app's repo as a new source blob (`git archive`), or undefined when the repo has no such
   * branch: what `reviewapps:create`'s `source_blob.url: "resolve"` takes on Berth.
   */
  async branchSource(appId: string, branch: string): Promise<{ readonly url: string; readonly sha: string } | undefined> {
    const sha = await this.repos.branchHead(appId, branch);
    if (sha === undefined) return undefined;
    const blob = this.#deps.sources.create();
    // Written whole before the upload, so a failing archive never leaves a truncated blob.
    const { stdout } = await execFileAsync('git', ['archive', '--format=tar.gz', sha], { cwd: this.repos.path(appId), encoding: 'buffer', maxBuffer: ARCHIVE_MAX_BYTES });
    await this.#deps.sources.upload(blob.id, blob.secret, Readable.from([stdout]));
    return { url: this.#deps.sourceBlobUrl(blob.id, blob.secret), sha };
  }

  async removeApp(appId: string): Promise<void> {
    await this.repos.remove(appId);
  }
}

/**
 * A build's output from its first byte. Right after `builds.create` the output file may not exist yet (the log's
 * write stream opens it asynchronously), so a follow that fails with ENOENT before any byte is retried.
 */
async function* followOutput(builds: GitBuilds, buildId: string, secret: string, signal: AbortSignal): AsyncGenerator<Buffer> {
  for (let attempt = 0; ; attempt += 1) {
    let yielded = false;
    try {
      for await (const chunk of builds.output(buildId, secret, signal)) {
        yielded = true;
        yield chunk;
      }
      return;
    } catch (error) {
      if (yielded || attempt >= 100 || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
