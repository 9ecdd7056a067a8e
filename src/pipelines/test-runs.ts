// Heroku CI on Berth: a test run sets up a throwaway app from the source with app.json's `environments.test`
// (an app setup in its `test` environment: env, buildpacks; add-ons as setups provision them), runs
// `scripts.test-setup` then `scripts.test` in one-off dynos of it, records the output and exit status as one test
// node, and destroys the app. Status: pending → creating → building → running → succeeded | failed (the test
// script's exit status) | errored (setup, build or test-setup failed) (reference: heroku-workflows.md §4).
import { randomBytes, randomUUID } from 'node:crypto';
import type { AppsService } from '../apps/index.js';
import { apiTimestamp } from '../clock.js';
import type { DynoManager } from '../dynos/index.js';
import { raise } from '../errors.js';
import type { SetupsService } from '../setups/index.js';
import type { Store, TestRunChanges, TestRunRecord } from '../store/index.js';
import { TEST_RUN_MESSAGES } from './messages.js';
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

/** Statuses after which nothing changes. */
export const FINISHED = ['succeeded', 'failed', 'errored', 'cancelled'] as const;
/** The most output kept per phase. */
const OUTPUT_MAX = 1024 * 1024;

export class TestRunsService {
  readonly #deps: TestRunsDeps;
  readonly #running = new Set<Promise<void>>();

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
      .finally(() => this.#running.delete(work));
    this.#running.add(work);
    return run;
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
    const { setups, apps, dynos } = this.#deps;
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
        let output = '';
        const code = await dynos.runScript(app, testSetup.command, (text) => (output = (output + text).slice(0, OUTPUT_MAX)), testSetup.size);
        this.#update(run.id, { setupOutput: output });
        if (code !== 0) {
          this.#update(run.id, { status: 'errored', exitCode: code, message: TEST_RUN_MESSAGES.testSetupFailed(code) });
          return;
        }
      }
      this.#update(run.id, { status: 'running' });
      const test = scripts['test'];
      if (!test) {
        this.#update(run.id, { status: 'errored', message: TEST_RUN_MESSAGES.noTestScript });
        return;
      }
      let output = '';
      const code = await dynos.runScript(app, test.command, (text) => (output = (output + text).slice(0, OUTPUT_MAX)), test.size);
      this.#update(run.id, { testOutput: output, exitCode: code, status: code === 0 ? 'succeeded' : 'failed' });
    } finally {
      // The CI app is throwaway, as on Heroku: it goes with its add-ons once the run ends.
      if (app) apps.destroy(app.id);
    }
  }
}
