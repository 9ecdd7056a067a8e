// Heroku CI test runs over the real services and API on the in-memory engine: a run sets a throwaway app up from
// app.json's environments.test, runs test-setup then test in one-off dynos, records their output and exit status on
// its node, and destroys the app (reference: heroku-workflows.md §4).
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptBuildpacks, sourceTarball } from '../support/build-container.js';
import { platform, type Platform } from '../support/platform.js';

let p: Platform;
let pipelineId: string;
/** BERTH_CI as each build's bin/compile saw it. */
let compiledWithCi: Array<string | undefined>;
/** Lets a test hold the test command until it says so (live streams). */
let holdTest: Promise<void> | undefined;

interface RunJson {
  id: string;
  number: number;
  status: string;
  message: string | null;
  commit_branch: string;
  pipeline: { id: string };
}
interface NodeJson {
  id: string;
  index: number;
  status: string;
  exit_code: number | null;
  setup_stream_url: string;
  output_stream_url: string;
}

async function blob(appJson: unknown): Promise<string> {
  const path = join(p.dataDir, `source-${randomUUID()}.tgz`);
  await writeFile(path, await sourceTarball({ 'package.json': '{}', Procfile: 'web: node server.js\n', 'app.json': JSON.stringify(appJson) }));
  return pathToFileURL(path).href;
}

async function run(appJson: unknown): Promise<{ run: RunJson; node: NodeJson }> {
  const response = await p.request('POST', '/test-runs', {
    commit_branch: 'main',
    commit_message: 'Add tests',
    commit_sha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
    pipeline: 'shop',
    source_blob_url: await blob(appJson),
  });
  expect(response.status, response.text).toBe(201);
  const created = response.body as RunJson;
  await p.services.testRuns.settled();
  const finished = (await p.request('GET', `/pipelines/${pipelineId}/test-runs/${created.number}`)).body as RunJson;
  const nodes = (await p.request('GET', `/test-runs/${created.id}/test-nodes`)).body as NodeJson[];
  expect(nodes).toHaveLength(1);
  return { run: finished, node: nodes[0] as NodeJson };
}

/** A stream URL's path, asked of the API directly (the URL names the HTTPS host). */
async function stream(url: string): Promise<string> {
  return (await p.request('GET', new URL(url).pathname)).text;
}

beforeEach(async () => {
  p = await platform();
  compiledWithCi = [];
  holdTest = undefined;
  scriptBuildpacks(p.engine, {
    nodejs: {
      detect: 'Node.js',
      compile: (step) => {
        compiledWithCi.push(step.env['BERTH_CI']);
        return 0;
      },
    },
  });
  p.engine.script((spec) => spec.labels.role === 'run', (proc) => {
    const command = proc.spec.cmd.at(-1) ?? '';
    if (command === 'setup-db') {
      proc.print(`setting up for ${proc.env['HEROKU_TEST_RUN_BRANCH']} CI=${proc.env['CI']} MODE=${proc.env['MODE']}${proc.env['TOKEN'] ? ` TOKEN=${proc.env['TOKEN']}` : ''}`);
      return 0;
    }
    if (command === 'setup-fails') return 2;
    if (command.includes('/app/.heroku-ci/buildpacks/')) {
      // The buildpacks' bin/test, run when app.json has no scripts.test; BP_TEST says whether the build kept one.
      if (proc.env['BP_TEST'] === undefined) return 78;
      proc.print('ok 1 - from bin/test');
      return Number(proc.env['BP_TEST']);
    }
    if (command === 'slow-test') {
      return (async () => {
        proc.print('ok 1 - first');
        await holdTest;
        proc.print('not ok 2 - second');
        return 1;
      })();
    }
    if (command.startsWith('npm test')) {
      proc.print('ok 1 - adds');
      return command.includes('--fail') ? 1 : 0;
    }
    return 0;
  });
  pipelineId = ((await p.request('POST', '/pipelines', { name: 'shop' })).body as { id: string }).id;
});

afterEach(async () => {
  await p.services.testRuns.settled();
  await p.close();
});

describe('Heroku CI test runs', () => {
  it('a passing run: environments.test env and scripts, setup and test output on the node, the CI app destroyed', async () => {
    const appsBefore = p.services.apps.list().length;
    const { run: done, node } = await run({
      env: { MODE: 'production' },
      environments: { test: { env: { MODE: 'test' }, scripts: { 'test-setup': 'setup-db', test: 'npm test' } } },
    });
    expect(done).toMatchObject({ number: 1, status: 'succeeded', commit_branch: 'main', pipeline: { id: pipelineId }, message: null });
    expect(node).toMatchObject({ index: 0, status: 'succeeded', exit_code: 0 });
    expect(node.setup_stream_url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/streams\/test-runs\//);
    expect(await stream(node.setup_stream_url)).toBe('setting up for main CI=true MODE=test\n');
    expect(await stream(node.output_stream_url)).toBe('ok 1 - adds\n');
    expect(p.services.apps.list()).toHaveLength(appsBefore);
  });

  it('a failing test fails the run with its exit status; numbers go up per pipeline; the list pages', async () => {
    await run({ environments: { test: { scripts: { test: 'npm test' } } } });
    const { run: done, node } = await run({ environments: { test: { scripts: { test: 'npm test --fail' } } } });
    expect(done).toMatchObject({ number: 2, status: 'failed' });
    expect(node.exit_code).toBe(1);
    const list = (await p.request('GET', '/pipelines/shop/test-runs')).body as RunJson[];
    expect(list.map((r) => [r.number, r.status])).toEqual([
      [1, 'succeeded'],
      [2, 'failed'],
    ]);
  });

  it('errors: test-setup failing, no test script, a bad manifest; an unknown run or pipeline', async () => {
    const setupFails = await run({ scripts: { 'test-setup': 'setup-fails', test: 'npm test' } });
    expect(setupFails.run).toMatchObject({ status: 'errored', message: 'scripts.test-setup exited with status 2.' });
    const noTest = await run({});
    expect(noTest.run).toMatchObject({
      status: 'errored',
      message: 'app.json has no scripts.test (in environments.test or at the top level), and no buildpack of the build has a bin/test.',
    });
    const bad = await run({ environments: { test: { env: { K: { generator: 'x' } } } } });
    expect(bad.run).toMatchObject({ status: 'errored', message: 'invalid app.json; environments.test.env.K.generator: must be "secret"' });
    expect((await p.request('GET', `/test-runs/${randomUUID()}`)).status).toBe(404);
    const missing = await p.request('POST', '/test-runs', { commit_branch: 'm', commit_message: 'm', commit_sha: 'a', pipeline: 'nope', source_blob_url: 'file:///x' });
    expect([missing.status, (missing.body as { message: string }).message]).toEqual([404, "Couldn't find that pipeline."]);
  });

  it("the pipeline's test config vars (ci:config) reach the run; PATCH null removes; a bad stage or name is refused", async () => {
    const set = await p.request('PATCH', `/pipelines/${pipelineId}/stage/test/config-vars`, { TOKEN: 'abc', OTHER: 'x' });
    expect([set.status, set.body]).toEqual([200, { OTHER: 'x', TOKEN: 'abc' }]);
    expect((await p.request('PATCH', '/pipelines/shop/stage/test/config-vars', { OTHER: null })).body).toEqual({ TOKEN: 'abc' });
    expect((await p.request('GET', '/pipelines/shop/stage/test/config-vars')).body).toEqual({ TOKEN: 'abc' });
    expect((await p.request('GET', '/pipelines/shop/stage/review/config-vars')).body).toEqual({});
    expect((await p.request('GET', '/pipelines/shop/stage/qa/config-vars')).status).toBe(422);
    expect((await p.request('PATCH', '/pipelines/shop/stage/test/config-vars', { 'BAD-NAME': 'x' })).status).toBe(422);
    const { node } = await run({ environments: { test: { scripts: { 'test-setup': 'setup-db', test: 'npm test' } } } });
    expect(await stream(node.setup_stream_url)).toBe('setting up for main CI=true MODE=undefined TOKEN=abc\n');
  });

  it('without scripts.test runs the buildpacks\' bin/test; a CI build (only) follows the CI buildpack contract', async () => {
    const passing = await run({ env: { BP_TEST: '0' } });
    expect(passing.run.status).toBe('succeeded');
    expect(await stream(passing.node.output_stream_url)).toBe('ok 1 - from bin/test\n');
    const failing = await run({ env: { BP_TEST: '3' } });
    expect([failing.run.status, failing.node.exit_code]).toEqual(['failed', 3]);
    expect(compiledWithCi).toEqual(['1', '1']);
    // An ordinary build of an ordinary app does not.
    const app = await p.createApp();
    const path = join(p.dataDir, 'plain.tgz');
    await writeFile(path, await sourceTarball({ 'package.json': '{}' }));
    const build = p.services.builds.create(app, { source: { kind: 'file', path, url: pathToFileURL(path).href }, sourceVersion: null, sourceChecksum: null, buildpacks: null });
    await p.services.builds.finished(app, build.id);
    expect(compiledWithCi).toEqual(['1', '1', undefined]);
  });

  it('streams the test output while it runs, and reads its TAP lines into test cases', async () => {
    let release!: () => void;
    holdTest = new Promise((resolve) => (release = resolve));
    const response = await p.request('POST', '/test-runs', {
      commit_branch: 'main',
      commit_message: 'm',
      commit_sha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
      pipeline: 'shop',
      source_blob_url: await blob({ scripts: { test: 'slow-test' } }),
    });
    const created = response.body as RunJson;
    const nodes = (await p.request('GET', `/test-runs/${created.id}/test-nodes`)).body as NodeJson[];
    const secretPath = new URL(nodes[0]?.output_stream_url ?? '').pathname.split('/');
    // Follow it as the stream route does, and see the first line before the test goes on.
    const chunks: string[] = [];
    const following = (async () => {
      for await (const chunk of p.services.testRuns.follow(created.id, 'output', new AbortController().signal)) {
        chunks.push(chunk);
        if (chunks.length === 1) {
          expect(p.services.testRuns.get(created.id).status).toBe('running');
          release();
        }
      }
    })();
    await following;
    expect(chunks).toEqual(['ok 1 - first\n', 'not ok 2 - second\n']);
    await p.services.testRuns.settled();
    expect(secretPath.slice(0, 3)).toEqual(['', 'streams', 'test-runs']);
    expect(await stream(nodes[0]?.output_stream_url ?? '')).toBe('ok 1 - first\nnot ok 2 - second\n');
    const cases = (await p.request('GET', `/test-runs/${created.id}/test-cases`)).body as Array<Record<string, unknown>>;
    expect(cases).toEqual([
      expect.objectContaining({ number: 1, description: 'first', passed: true, directive: '', diagnostic: '', test_node: { id: nodes[0]?.id }, test_run: { id: created.id } }),
      expect.objectContaining({ number: 2, description: 'second', passed: false }),
    ]);
    expect(cases[0]?.['id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await p.request('GET', `/test-runs/${created.id}/test-cases`)).body).toEqual(cases);
    expect((await p.request('GET', `/test-runs/${randomUUID()}/test-cases`)).status).toBe(404);
  });
});
