// Deploying over git (DESIGN.md `git/`): each `git-receive-pack` POST gets a per-push token that reaches the
// pre-receive hook through the CGI environment; the hook asks this service what to do with its ref updates (plan),
// then streams `git archive` of the new commit here (source). The source becomes a source blob and an ordinary build
// in the push's turn of the app's queue; its output streams back as the hook's output, then Heroku's closing lines
// (push-lines.ts). git/ uses no other room: what it calls arrives through its constructor as the interfaces below.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { AppRecord, BuildRecord, ReleaseRecord } from '../contracts/records.js';
import type { SourceRef } from '../contracts/sources.js';
import { raise } from '../errors.js';
import type { AppQueues, QueueTurn } from '../queue.js';
import { PUSH_WORK, pushLines } from './push-lines.js';
import { isZero, parseRefUpdates, planPush, type RefUpdate } from './refs.js';
import { Repos } from './repos.js';

/** What a push asks of apps/: the app it names, created by its first push when that is on. */
export interface GitApps {
  exists(name: string): boolean;
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

export interface GitDeps {
  readonly apps: GitApps;
  readonly sources: GitSources;
  readonly builds: GitBuilds;
  readonly releases: GitReleases;
  readonly queues: AppQueues;
  /** The URL of a source blob, as the build record shows it (`source_blob.url`). */
  readonly sourceBlobUrl: (id: string, secret: string) => string;
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

interface Session {
  readonly token: string;
  readonly appId: string;
  readonly appName: string;
  planned: { update: RefUpdate; branch: string } | undefined;
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

  /** The hook's first call: what its ref updates mean. */
  plan(token: string | undefined, refText: string): { ok: boolean; lines: string[]; archive: string | null } {
    const session = this.#session(token);
    let updates: RefUpdate[];
    try {
      updates = parseRefUpdates(refText);
    } catch (error) {
      return { ok: false, lines: [` !     ${(error as Error).message}`], archive: null };
    }
    const plan = planPush(updates);
    if (plan.kind === 'reject') return { ok: false, lines: [...plan.lines], archive: null };
    if (plan.kind === 'accept') return { ok: true, lines: [], archive: null };
    session.planned = { update: plan.update, branch: plan.branch };
    return { ok: true, lines: [], archive: plan.update.newSha };
  }

  /** The hook's second call: the tarball of the new commit. Builds it and writes the push's output. */
  async deploy(token: string | undefined, body: Readable, out: PushOutput): Promise<void> {
    const session = this.#session(token);
    const planned = session.planned;
    if (!planned) raise('push_nothing_to_deploy');
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
    await this.#deps.queues.run(
      session.appId,
      PUSH_WORK,
      (turn) => this.#deployInTurn(session, planned, source, out, turn),
      (running) => write([pushLines.waiting(session.appName, running)]),
    );
  }

  /**
   * The push's turn of the app's queue: nothing else of the app runs meanwhile, so the branch it checks is the branch
   * it moves. The turn lasts until http-backend exits, because receive-pack moves the branch after this hook succeeds.
   */
  async #deployInTurn(
    session: Session,
    planned: { update: RefUpdate; branch: string },
    source: SourceRef,
    out: PushOutput,
    turn: QueueTurn,
  ): Promise<void> {
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
      app = this.#deps.apps.get(session.appId);
    } catch {
      this.#reject(session, out, pushLines.appDestroyed);
      return;
    }
    const { builds } = this.#deps;
    const build = builds.create(app, { source, sourceVersion: update.newSha, sourceChecksum: null, buildpacks: null }, turn);
    for await (const chunk of followOutput(builds, build.id, build.outputSecret, out.signal)) out.write(chunk.toString('utf8'));
    const finished = builds.get(app, build.id);
    if (finished.status !== 'succeeded' || !finished.releaseId) {
      this.#reject(session, out, []);
      return;
    }
    for (const text of pushLines.verified) out.write(`${text}\n`);
    try {
      await this.#reportReleasePhase(finished.releaseId, out);
    } catch (error) {
      this.#deps.logger.error({ err: error, app: app.name }, 'release phase report failed');
    }
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
