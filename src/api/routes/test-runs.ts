// Heroku CI's test runs and test nodes (reference: heroku-workflows.md §4.1, §4.2), and the nodes' output streams.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { sameSecret } from '../../credentials.js';
import { raise } from '../../errors.js';
import type { TestRun } from '../../pipelines/index.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { schemas, type PipelineParams, type PipelineTestRunParams, type TestRunBody, type TestRunParams, type TestStreamParams } from '../schemas.js';
import { testCaseShape, testNodeShape, testRunShape } from '../shapes.js';

const RUN_RANGE_FIELDS = ['number', 'id', 'created_at'] as const;

export const testRunsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { testRuns } = services;
  const shape = (run: TestRun) => testRunShape(run, services.account());
  const field = (run: TestRun, name: string) => (name === 'id' ? run.id : name === 'created_at' ? run.createdAt : run.number);

  api.post<{ Body: TestRunBody }>('/test-runs', { schema: schemas.testRunCreate }, async (request, reply) => {
    const body = request.body;
    const run = testRuns.create({
      pipeline: body.pipeline,
      commitBranch: body.commit_branch,
      commitMessage: body.commit_message,
      commitSha: body.commit_sha,
      sourceBlobUrl: body.source_blob_url,
    });
    void reply.code(201);
    return shape(run);
  });

  api.get<{ Params: TestRunParams }>('/test-runs/:run', { schema: schemas.params }, async (request) => shape(testRuns.get(request.params.run)));

  api.get<{ Params: PipelineParams }>('/pipelines/:pipeline/test-runs', { schema: schemas.params }, async (request, reply) =>
    sendPage(request, reply, testRuns.list(request.params.pipeline), RUN_RANGE_FIELDS, field, shape),
  );

  api.get<{ Params: PipelineTestRunParams }>('/pipelines/:pipeline/test-runs/:number', { schema: schemas.params }, async (request) =>
    shape(testRuns.byNumber(request.params.pipeline, request.params.number)),
  );

  api.get<{ Params: TestRunParams }>('/test-runs/:run/test-nodes', { schema: schemas.params }, async (request) => {
    const run = testRuns.get(request.params.run);
    return [
      testNodeShape(run, {
        setup: services.urls.testOutput(run.id, run.secret, 'setup'),
        output: services.urls.testOutput(run.id, run.secret, 'output'),
      }),
    ];
  });

  // A node's setup or test output as it is written (the CLI GETs it once the run is building or running, and prints
  // each chunk as it comes); a phase that has not started is waited for, one that has ended is sent whole.
  api.get<{ Params: TestStreamParams }>('/streams/test-runs/:id/:secret/:phase', { schema: schemas.params, config: { public: true } }, async (request, reply) => {
    const { id, secret, phase } = request.params;
    const run = testRuns.get(id);
    if (!sameSecret(run.secret, secret) || (phase !== 'setup' && phase !== 'output')) raise('test_run_not_found');
    const abort = new AbortController();
    request.raw.on('close', () => abort.abort());
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(Readable.from(testRuns.follow(run.id, phase, abort.signal)));
  });

  api.get<{ Params: TestRunParams }>('/test-runs/:run/test-cases', { schema: schemas.params }, async (request) => {
    const { run, cases } = testRuns.testCases(request.params.run);
    return cases.map((testCase, position) => testCaseShape(run, testCase, position));
  });
};
