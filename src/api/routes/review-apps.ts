// Review apps (reference: heroku-workflows.md §3.4): made from a branch and a source blob, listed per pipeline,
// found by app, deleted (pr-predestroy first).
import type { FastifyPluginAsync } from 'fastify';
import type { ReviewApp } from '../../pipelines/index.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { schemas, type AppParams, type PipelineParams, type ReviewAppBody, type ReviewAppConfigBody, type ReviewAppParams } from '../schemas.js';
import { reviewAppConfigShape, reviewAppShape } from '../shapes.js';

interface PipelineBranchParams {
  readonly pipeline: string;
  readonly branch: string;
}

export const reviewAppsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { reviewApps } = services;
  const shape = (review: ReviewApp) => reviewAppShape(review, services.account());

  api.post<{ Body: ReviewAppBody }>('/review-apps', { schema: schemas.reviewAppCreate }, async (request, reply) => {
    const body = request.body;
    const review = await reviewApps.create({
      pipeline: body.pipeline,
      branch: body.branch,
      sourceBlobUrl: body.source_blob.url,
      sourceVersion: body.source_blob.version,
      environment: body.environment,
    });
    void reply.code(201);
    return shape(review);
  });

  api.get<{ Params: ReviewAppParams }>('/review-apps/:review', { schema: schemas.params }, async (request) => shape(reviewApps.get(request.params.review)));

  api.delete<{ Params: ReviewAppParams }>('/review-apps/:review', { schema: schemas.paramsIgnoringBody }, async (request) =>
    shape(reviewApps.delete(request.params.review)),
  );

  api.get<{ Params: AppParams }>('/apps/:app/review-app', { schema: schemas.params }, async (request) => shape(reviewApps.byApp(request.params.app)));

  // review-app-config: present means pushes of other branches to the pipeline's apps make review apps.
  const config = (body: ReviewAppConfigBody | null) => ({
    repo: body?.repo ?? undefined,
    automaticReviewApps: body?.automatic_review_apps ?? undefined,
    destroyStaleApps: body?.destroy_stale_apps ?? undefined,
    staleDays: body?.stale_days ?? undefined,
    waitForCi: body?.wait_for_ci ?? undefined,
    baseName: body?.base_name,
    deployTarget: body?.deploy_target,
  });
  api.post<{ Params: PipelineParams; Body: ReviewAppConfigBody | null }>('/pipelines/:pipeline/review-app-config', { schema: schemas.reviewAppConfig }, async (request) =>
    reviewAppConfigShape(reviewApps.enable(request.params.pipeline, config(request.body))),
  );
  api.patch<{ Params: PipelineParams; Body: ReviewAppConfigBody | null }>('/pipelines/:pipeline/review-app-config', { schema: schemas.reviewAppConfig }, async (request) =>
    reviewAppConfigShape(reviewApps.updateConfig(request.params.pipeline, config(request.body))),
  );
  api.get<{ Params: PipelineParams }>('/pipelines/:pipeline/review-app-config', { schema: schemas.params }, async (request) =>
    reviewAppConfigShape(reviewApps.config(request.params.pipeline)),
  );
  api.delete<{ Params: PipelineParams }>('/pipelines/:pipeline/review-app-config', { schema: schemas.paramsIgnoringBody }, async (request) =>
    reviewAppConfigShape(reviewApps.disable(request.params.pipeline)),
  );

  // What reviewapps:enable/disable read for `repo` when the account has dashboard-repositories-api on.
  api.get<{ Params: PipelineParams }>('/pipelines/:pipeline/repo', { schema: schemas.params }, async (request) => ({
    full_name: reviewApps.repoName(request.params.pipeline),
  }));

  // What reviewapps:create asks before POST /review-apps with source_blob "resolve": is the branch there?
  api.get<{ Params: PipelineBranchParams }>('/pipelines/:pipeline/repo/branches/:branch', { schema: schemas.params }, async (request) => {
    const found = await reviewApps.branchApp(request.params.pipeline, request.params.branch);
    return { name: request.params.branch, commit: { sha: found.sha } };
  });

  api.get<{ Params: PipelineParams }>('/pipelines/:pipeline/review-apps', { schema: schemas.params }, async (request, reply) =>
    sendPage(request, reply, reviewApps.list(request.params.pipeline), ['id', 'created_at'], (r, f) => (f === 'created_at' ? r.createdAt : r.id), shape),
  );
};
