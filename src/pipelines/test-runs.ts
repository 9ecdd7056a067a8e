// Heroku CI on Berth: a test run sets up a throwaway app from the source with app.json's `environments.test`
// (an app setup in its `test` environment: env, buildpacks; add-ons as setups provision them), runs
// `scripts.test-setup` then `scripts.test` in one-off dynos of it, records the output and exit status as one test
// node, and destroys the app. Status: pending → creating → building → running → succeeded | failed (the test
// script's exit status) | errored (setup, build or test-setup failed) (reference: heroku-workflows.md §4).
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppsService } from '../apps/index.js';
import type { AppRecord } from '../contracts/records.js';
import { apiTimestamp } from '../clock.js';
import type { DynoManager } from '../dynos/index.js';
import { raise } from '../errors.js';
import type { SetupsService } from '../setups/index.js';
import type { Store, TestRunChanges, TestRunRecord } from '../store/index.js';
import { LiveOutput } from './live-output.js';
import { TEST_RUN_MESSAGES } from './messages.js';
import { parseTap, type TapCase } from './tap.js';
import type { PipelinesService } from './service.js';

export interface TestRunsDeps {
  readonly store: Store;
  readonly pipelines: PipelinesService;
  readonly apps: AppsService;
  readonly setups: SetupsService;
  readonly dynos: DynoManager;
  readonly report: (error: unknown, what: string) => void;
}

export interface TestRunRequest {
  readonly pipeline: string;
  readonly commitBranch: string;
  readonly commitMessage: string;
  readonly commitSha: string;
  readonly sourceBlobUrl: string;
}

/** A node's two streams: `setup` (scripts.test-setup) and `output` (the test). */
export type TestPhase = 'setup' | 'output';

/** How often a follower of a phase that has not started yet looks again. */
const FOLLOW_POLL_MS = 250;

/** Statuses after which nothing changes. */
const FINISHED = ['succeeded', 'failed', 'errored', 'cancelled'] as const;
/**
 * Without `scripts.test`, each buildpack's `bin/test BUILD_DIR ENV_DIR` runs, in order, from /app (Heroku CI's
 * buildpack contract). The CI build kept the buildpacks that have one at /app/.heroku-ci/buildpacks/<n> (builds/
 * compile.ts); ENV_DIR holds the dyno's environment, a file per variable. With none, it exits NO_BUILDPACK_TEST.
 */
const BUILDPACK_TEST = `shopt -s nullglob
env_dir=$(mktemp -d)
for name in $(compgen -e); do printf '%s' "\${!name}" > "$env_dir/$name"; done
tested=
for buildpack in $(ls -d /app/.heroku-ci/buildpacks/* 2>/dev/null | sort -t/ -k5 -n); do
  tested=1
  "$buildpack/bin/test" /app "$env_dir" || exit $?
done
[ -n "$tested" ] || exit 78`;
/** What BUILDPACK_TEST exits with when no buildpack of the build has a bin/test (EX_CONFIG). */
const NO_BUILDPACK_TEST = 78;
/** The most output kept per phase. */
const OUTPUT_MAX = 1024 * 1024;

export class TestRunsService {
  readonly #deps: TestRunsDeps;
  readonly #running = new Set<Promise<void>>();
  /** Runs under way, by id, each resolving once its record shows how it ended. */
  readonly #work = new Map<string, Promise<void>>();
  /** Phases running now, by `<run id>/<phase>`. */
  readonly #live = new Map<string, LiveOutput>();

  constructor(deps: TestRunsDeps) {
    this.#deps = deps;
  }

  create(request: TestRunRequest): TestRunRecord {
    const pipeline = this.#deps.pipelines.get(request.pipeline);
    const now = apiTimestamp();
    const run = this.#deps.store.transaction(() =>
      this.#deps.store.testRuns.insert({
        id: randomUUID(),
        pipelineId: pipeline.id,
        status: 'pending',
        commitBranch: request.commitBranch,
        commitMessage: request.commitMessage,
        commitSha: request.commitSha,
        sourceBlobUrl: request.sourceBlobUrl,
        message: null,
        setupId: null,
        nodeId: randomUUID(),
        exitCode: null,
        setupOutput: '',
        testOutput: '',
        secret: randomBytes(24).toString('hex'),
        createdAt: now,
        updatedAt: now,
      }),
    );
    const work = this.#execute(run)
      .catch((error: unknown) => {
        this.#deps.report(error, 'test run failed');
        // The store may be closing (daemon shutdown): recovery errors the run on the next start instead.
        try {
          this.#update(run.id, { status: 'errored', message: error instanceof Error ? error.message : String(error) });
        } catch (unrecorded) {
          this.#deps.report(unrecorded, 'test run could not be marked errored');
        }
      })
      .finally(() => {
        this.#running.delete(work);
        this.#work.delete(run.id);
      });
    this.#running.add(work);
    this.#work.set(run.id, work);
    return run;
  }

  /** The pipeline an app is coupled to at any stage, whose test runs its `ci/` branches make; undefined when none. */
  pipelineOfApp(appId: string): { readonly id: string; readonly name: string } | undefined {
    const coupling = this.#deps.store.pipelines.couplingOfApp(appId);
    return coupling ? this.#deps.pipelines.get(coupling.pipelineId) : undefined;
  }

  /** The run's record once it has ended (at once when it has). */
  async finished(id: string): Promise<TestRunRecord> {
    await this.#work.get(id);
    return this.get(id);
  }

  /**
   * `git push <remote> HEAD:ci/<branch>` to an app of a pipeline: a run of the pushed commit, its node's setup then
   * test output as they are written, and the record once it has ended (README "Heroku CI from a git push").
   */
  fromPush(
    pipelineId: string,
    branch: string,
    commit: { readonly sha: string; readonly message: string },
    sourceBlobUrl: string,
    signal: AbortSignal,
  ): { run: TestRunRecord; output: AsyncIterable<string>; finished: Promise<TestRunRecord> } {
    const run = this.create({ pipeline: pipelineId, commitBranch: branch, commitMessage: commit.message, commitSha: commit.sha, sourceBlobUrl });
    const follow = this.follow.bind(this);
    async function* output(): AsyncGenerator<string> {
      yield* follow(run.id, 'setup', signal);
      yield* follow(run.id, 'output', signal);
    }
    return { run, output: output(), finished: this.finished(run.id) };
  }

  get(id: string): TestRunRecord {
    const found = /^[0-9a-f-]{36}$/i.test(id) ? this.#deps.store.testRuns.get(id.toLowerCase()) : undefined;
    if (!found) raise('test_run_not_found');
    return found;
  }

  list(pipelineIdOrName: string): TestRunRecord[] {
    return this.#deps.store.testRuns.listByPipeline(this.#deps.pipelines.get(pipelineIdOrName).id);
  }

  byNumber(pipelineIdOrName: string, number: string): TestRunRecord {
    const found = /^\d+$/.test(number) ? this.#deps.store.testRuns.byNumber(this.#deps.pipelines.get(pipelineIdOrName).id, Number(number)) : undefined;
    if (!found) raise('test_run_not_found');
    return found;
  }

  /**
   * A node's phase output as it is written: what there is, then each new chunk, until the phase ends (`setup` ends
   * when the test starts). A phase that has not started is waited for; one that has ended is sent whole from the store.
   */
  async *follow(id: string, phase: TestPhase, signal: AbortSignal): AsyncGenerator<string> {
    for (;;) {
      const live = this.#live.get(`${id}/${phase}`);
      if (live) {
        yield* live.follow(signal);
        return;
      }
      const run = this.get(id);
      const ended = (FINISHED as readonly string[]).includes(run.status) || (phase === 'setup' && run.status === 'running');
      if (ended) {
        const text = phase === 'setup' ? run.setupOutput : run.testOutput;
        if (text !== '') yield text;
        return;
      }
      if (signal.aborted) return;
      // A follower that hangs up stops waiting at once.
      await sleep(FOLLOW_POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  /** `GET /test-runs/{id}/test-cases`: the TAP lines of the test's output (none while it runs). */
  testCases(id: string): { run: TestRunRecord; cases: TapCase[] } {
    const run = this.get(id);
    return { run, cases: parseTap(run.testOutput) };
  }

  /**
   * Runs a phase's command in a one-off dyno with its output live for followers. A follower that comes after the
   * live copy has gone waits for the run's record to show the phase ended, and reads the output stored with it.
   */
  async #runPhase(run: TestRunRecord, phase: TestPhase, app: AppRecord, command: string, size: string | undefined): Promise<{ code: number; output: string }> {
    const live = new LiveOutput(OUTPUT_MAX);
    const key = `${run.id}/${phase}`;
    this.#live.set(key, live);
    try {
      const code = await this.#deps.dynos.runScript(app, command, (text) => live.push(text), size);
      return { code, output: live.text };
    } finally {
      live.end();
      this.#live.delete(key);
    }
  }

  /** Resolves when every run started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** On start: runs a killed daemon left unfinished are errored. */
  recover(): void {
    for (const run of this.#deps.store.testRuns.listUnfinished()) this.#update(run.id, { status: 'errored', message: TEST_RUN_MESSAGES.interrupted });
  }

  #update(id: string, changes: TestRunChanges): TestRunRecord {
    return this.#deps.store.testRuns.update(id, changes, apiTimestamp());
  }

  async #execute(run: TestRunRecord): Promise<void> {
    const { setups, apps } = this.#deps;
    this.#update(run.id, { status: 'creating' });
    const setup = await setups.create({
      environment: 'test',
      sourceBlob: { url: run.sourceBlobUrl, version: run.commitSha },
      // Heroku CI's variables (reference §4.3); one node, so index 0 of 1.
      overrides: {
        env: {
          // The pipeline's test config vars (`heroku ci:config:set`), then Heroku CI's own.
          ...this.#deps.pipelines.stageConfig(run.pipelineId, 'test'),
          CI: 'true',
          HEROKU_TEST_RUN_BRANCH: run.commitBranch,
          HEROKU_TEST_RUN_COMMIT_VERSION: run.commitSha,
          HEROKU_TEST_RUN_ID: run.id,
          CI_NODE_TOTAL: '1',
          CI_NODE_INDEX: '0',
        },
      },
    });
    this.#update(run.id, { setupId: setup.id, status: setup.status === 'failed' ? 'errored' : 'building' });
    const done = setup.status === 'failed' ? setup : await setups.finished(setup.id);
    const app = done.appId === null ? undefined : apps.list().find((a) => a.id === done.appId);
    try {
      if (done.status !== 'succeeded' || !app) {
        const reasons = [done.failureMessage ?? TEST_RUN_MESSAGES.setupFailed, ...done.manifestErrors];
        this.#update(run.id, { status: 'errored', message: reasons.join('; ') });
        return;
      }
      const scripts = setups.scripts(setup.id);
      // test-setup belongs to the setup phase (its output is the node's setup stream); `running` is the test itself.
      const testSetup = scripts['test-setup'];
      if (testSetup) {
        const { code, output } = await this.#runPhase(run, 'setup', app, testSetup.command, testSetup.size);
        this.#update(run.id, { setupOutput: output });
        if (code !== 0) {
          this.#update(run.id, { status: 'errored', exitCode: code, message: TEST_RUN_MESSAGES.testSetupFailed(code) });
          return;
        }
      }
      this.#update(run.id, { status: 'running' });
      const test = scripts['test'];
      const { code, output } = await this.#runPhase(run, 'output', app, test?.command ?? BUILDPACK_TEST, test?.size);
      if (!test && code === NO_BUILDPACK_TEST) {
        this.#update(run.id, { testOutput: output, status: 'errored', message: TEST_RUN_MESSAGES.noTestScript });
        return;
      }
      this.#update(run.id, { testOutput: output, exitCode: code, status: code === 0 ? 'succeeded' : 'failed' });
    } finally {
      // The CI app is throwaway, as on Heroku: it goes with its add-ons once the run ends.
      if (app) apps.destroy(app.id);
    }
  }
}
