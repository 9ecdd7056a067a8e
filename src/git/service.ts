// Deploying over git (DESIGN.md `git/`): each `git-receive-pack` POST gets a per-push token that reaches the
// pre-receive hook through the CGI environment; the hook asks this service what to do with its ref updates (plan),
// then streams `git archive` of the new commit here (source). The source becomes a source blob and an ordinary build
// through the app's queue; its output streams back as the hook's output, then Heroku's closing lines.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { AppsService } from '../apps/index.js';
import type { BuildsService } from '../builds/index.js';
import type { AppRecord } from '../contracts/records.js';
import type { SourcesService } from '../sources/index.js';
import { isZero, parseRefUpdates, planPush, type RefUpdate } from './refs.js';
import { Repos } from './repos.js';

export interface GitDeps {
  readonly apps: AppsService;
  readonly builds: BuildsService;
  readonly sources: SourcesService;
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

/**
 * The release-phase seam (heroku-runtime-behaviour.md §4.2). After `Verifying deploy... done.` the dyno manager may
 * print `Running release command...`, the command's output and `Waiting for release.... done.` (or `failed.`)
 * through `write`. The push succeeds either way, as on Heroku.
 */
export type ReleasePhaseReporter = (context: {
  readonly app: AppRecord;
  readonly releaseId: string;
  readonly write: (text: string) => void;
  readonly signal: AbortSignal;
}) => Promise<void>;

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
  unlock: (() => void) | undefined;
  ended: boolean;
}

export interface PushOutput {
  write(text: string): void;
  /** Ends the stream; `succeeded` says whether the hook should accept the push. */
  end(succeeded: boolean): void;
  readonly signal: AbortSignal;
}

export class PushRefused extends Error {}

export class GitService {
  readonly repos: Repos;
  readonly #deps: GitDeps;
  readonly #options: GitOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #locks = new Map<string, Promise<void>>();
  #releasePhase: ReleasePhaseReporter | undefined;

  constructor(deps: GitDeps, options: GitOptions) {
    this.#deps = deps;
    this.#options = options;
    this.repos = new Repos(join(options.dataDir, 'repos'));
  }

  get reposRoot(): string {
    return join(this.#options.dataDir, 'repos');
  }

  /** The dyno manager plugs its release-phase output in here. */
  setReleasePhaseReporter(reporter: ReleasePhaseReporter | undefined): void {
    this.#releasePhase = reporter;
  }

  /**
   * The app a git request names. A push (`receivePack`) to an unknown app creates it when autoCreateApps is on;
   * anything else to an unknown app is refused. Ensures the bare repo.
   */
  async resolveApp(name: string, receivePack: boolean): Promise<AppRecord | undefined> {
    let app: AppRecord | undefined;
    if (this.#deps.apps.exists(name)) app = this.#deps.apps.get(name);
    else if (receivePack && this.#options.autoCreateApps) {
      try {
        app = this.#deps.apps.create({ name });
        this.#deps.logger.info({ app: name }, 'app created by its first push');
      } catch (error) {
        // Two first pushes at once: the other one created it.
        if (!this.#deps.apps.exists(name)) throw error;
        app = this.#deps.apps.get(name);
      }
    }
    if (!app) return undefined;
    await this.repos.ensure(app.id);
    return app;
  }

  beginPush(app: AppRecord): PushSession {
    const token = randomBytes(32).toString('hex');
    const session: Session = { token, appId: app.id, appName: app.name, planned: undefined, unlock: undefined, ended: false };
    this.#sessions.set(token, session);
    return {
      env: { BERTH_PUSH_URL: this.#options.internalUrl, BERTH_PUSH_TOKEN: token, BERTH_PUSH_CA: this.#options.caFile },
      end: () => {
        session.ended = true;
        this.#sessions.delete(token);
        session.unlock?.();
        session.unlock = undefined;
      },
    };
  }

  #session(token: string | undefined): Session {
    const session = token ? this.#sessions.get(token) : undefined;
    if (!session || session.ended) throw new PushRefused('No push is running with this token.');
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

  /** Waits for the app's previous push to finish updating its refs; `onWait` hears it when it has to. */
  async #lock(appId: string, onWait: () => void): Promise<() => void> {
    const previous = this.#locks.get(appId);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = (previous ?? Promise.resolve()).then(() => mine);
    this.#locks.set(appId, tail);
    void tail.then(() => {
      if (this.#locks.get(appId) === tail) this.#locks.delete(appId);
    });
    if (previous) {
      onWait();
      await previous;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  }

  /** The hook's second call: the tarball of the new commit. Builds it and writes the push's output. */
  async deploy(token: string | undefined, body: Readable, out: PushOutput): Promise<void> {
    const session = this.#session(token);
    const planned = session.planned;
    if (!planned) throw new PushRefused('This push has nothing to deploy.');
    const line = (text = '') => out.write(`${text}\n`);
    const rejected = (lines: readonly string[]) => {
      for (const text of lines) line(text);
      line('Verifying deploy...');
      line();
      line(`!\tPush rejected to ${session.appName}.`);
      line();
      out.end(false);
    };

    const blob = this.#deps.sources.create();
    try {
      await this.#deps.sources.upload(blob.id, blob.secret, body);
    } catch (error) {
      rejected([` !     The source could not be received: ${(error as Error).message}`, ' !     Push failed']);
      return;
    }
    line('Compressing source files... done.');
    line('Building source:');
    line();

    const unlock = await this.#lock(session.appId, () => line(`-----> Waiting for another push to ${session.appName} to finish...`));
    if (session.ended || out.signal.aborted) {
      unlock();
      return;
    }
    session.unlock = unlock;
    let keepLock = false;
    try {
      const { update, branch } = planned;
      const head = await this.repos.branchHead(session.appId, branch);
      const expected = isZero(update.oldSha) ? undefined : update.oldSha;
      if (head !== expected) {
        rejected([
          ` !     Push rejected: ${branch} was updated by another push while this one waited (it is now at ${head?.slice(0, 7) ?? 'nothing'}).`,
          ` !     Fetch, merge or rebase, and push again.`,
          ' !     Push failed',
        ]);
        return;
      }
      let app: AppRecord;
      try {
        app = this.#deps.apps.get(session.appId);
      } catch {
        rejected([' !     The app was destroyed during this push.', ' !     Push failed']);
        return;
      }
      const build = this.#deps.builds.create(app, {
        sourceUrl: this.#deps.sourceBlobUrl(blob.id, blob.secret),
        sourceVersion: update.newSha,
        sourceChecksum: null,
        buildpacks: null,
      });
      for await (const chunk of followOutput(this.#deps.builds, build.id, build.outputSecret, out.signal)) out.write(chunk.toString('utf8'));
      const finished = this.#deps.builds.get(app, build.id);
      if (finished.status !== 'succeeded' || !finished.releaseId) {
        rejected([]);
        return;
      }
      line();
      line('Verifying deploy... done.');
      const reporter = this.#releasePhase;
      if (reporter) {
        try {
          await reporter({ app, releaseId: finished.releaseId, write: (text) => out.write(text), signal: out.signal });
        } catch (error) {
          this.#deps.logger.error({ err: error, app: app.name }, 'release phase report failed');
        }
      }
      // Keep the lock until http-backend exits: receive-pack moves the branch after this hook succeeds.
      keepLock = !session.ended;
      out.end(true);
    } finally {
      if (!keepLock) {
        session.unlock = undefined;
        unlock();
      }
    }
  }

  async removeApp(appId: string): Promise<void> {
    await this.repos.remove(appId);
  }
}

/**
 * A build's output from its first byte. Right after `builds.create` the output file may not exist yet (the log's
 * write stream opens it asynchronously), so a follow that fails with ENOENT before any byte is retried.
 */
async function* followOutput(builds: BuildsService, buildId: string, secret: string, signal: AbortSignal): AsyncGenerator<Buffer> {
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
