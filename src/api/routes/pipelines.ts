// Pipelines, couplings, promotions and the app filter `pipelines:info` reads apps with (reference:
// heroku-cli-and-api.md §3 and §6, heroku-workflows.md §3).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppRecord } from '../../contracts/records.js';
import type { Coupling } from '../../pipelines/index.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import {
  schemas,
  type AppFilterBody,
  type AppParams,
  type CouplingCreateBody,
  type CouplingParams,
  type CouplingUpdateBody,
  type IdRef,
  type PipelineCreateBody,
  type PipelineParams,
  type PipelineUpdateBody,
  type PromotionCreateBody,
  type PromotionParams,
  type StageParams,
} from '../schemas.js';
import { appShape, couplingShape, pipelineShape, promotionShape, promotionTargetShape } from '../shapes.js';

/** `{"id": x}`, `{"name": x}` or `x`. */
function refOf(ref: IdRef): string {
  return typeof ref === 'string' ? ref : (ref.id ?? ref.name ?? '');
}

/** `?eq[name]=x`: the query parser leaves the key as written; a nested parser would give `{eq: {name}}`. */
function nameFilter(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown>;
  const flat = query['eq[name]'];
  if (typeof flat === 'string') return flat;
  const nested = query['eq'];
  if (typeof nested === 'object' && nested !== null && typeof (nested as Record<string, unknown>)['name'] === 'string') {
    return (nested as Record<string, string>)['name'];
  }
  return undefined;
}

export const pipelinesRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { pipelines } = services;
  const coupled = (coupling: Coupling) => couplingShape(coupling, services.apps.get(coupling.appId), pipelines.get(coupling.pipelineId));
  const couplingRange = ['id', 'created_at'] as const;
  const couplingField = (c: Coupling, field: string) => (field === 'created_at' ? c.createdAt : c.id);

  api.post<{ Body: PipelineCreateBody }>('/pipelines', { schema: schemas.pipelineCreate }, async (request, reply) => {
    const created = pipelines.create({ name: request.body.name, owner: request.body.owner });
    void reply.code(201);
    return pipelineShape(created);
  });

  api.get('/pipelines', { schema: schemas.none }, async (request, reply) =>
    sendPage(request, reply, pipelines.list(nameFilter(request)), ['id', 'name'], (p, field) => (field === 'name' ? p.name : p.id), pipelineShape),
  );

  api.get<{ Params: PipelineParams }>('/pipelines/:pipeline', { schema: schemas.params }, async (request) => pipelineShape(pipelines.get(request.params.pipeline)));

  api.patch<{ Params: PipelineParams; Body: PipelineUpdateBody }>('/pipelines/:pipeline', { schema: schemas.pipelineUpdate }, async (request) =>
    pipelineShape(pipelines.rename(request.params.pipeline, request.body.name)),
  );

  // `pipelines:destroy` sends `{"name": ...}` with the DELETE; it is not needed to find the pipeline.
  api.delete<{ Params: PipelineParams }>('/pipelines/:pipeline', { schema: schemas.paramsIgnoringBody }, async (request) =>
    pipelineShape(pipelines.destroy(request.params.pipeline)),
  );

  api.get<{ Params: PipelineParams }>('/pipelines/:pipeline/pipeline-couplings', { schema: schemas.params }, async (request, reply) =>
    sendPage(request, reply, pipelines.couplingsOf(request.params.pipeline), couplingRange, couplingField, coupled),
  );

  api.post<{ Body: CouplingCreateBody }>('/pipeline-couplings', { schema: schemas.couplingCreate }, async (request, reply) => {
    const coupling = pipelines.couple(refOf(request.body.app), refOf(request.body.pipeline), request.body.stage);
    void reply.code(201);
    return coupled(coupling);
  });

  const listAll = async (request: FastifyRequest, reply: Parameters<typeof sendPage>[1]) =>
    sendPage(request, reply, pipelines.allCouplings(), couplingRange, couplingField, coupled);
  api.get('/pipeline-couplings', { schema: schemas.none }, listAll);
  api.get('/users/~/pipeline-couplings', { schema: schemas.none }, listAll);

  api.get<{ Params: CouplingParams }>('/pipeline-couplings/:coupling', { schema: schemas.params }, async (request) =>
    coupled(pipelines.coupling(request.params.coupling)),
  );

  api.patch<{ Params: CouplingParams; Body: CouplingUpdateBody }>('/pipeline-couplings/:coupling', { schema: schemas.couplingUpdate }, async (request) =>
    coupled(pipelines.updateCoupling(request.params.coupling, request.body.stage)),
  );

  api.delete<{ Params: CouplingParams }>('/pipeline-couplings/:coupling', { schema: schemas.paramsIgnoringBody }, async (request) => {
    const coupling = pipelines.coupling(request.params.coupling);
    const shape = coupled(coupling);
    pipelines.removeCoupling(coupling.id);
    return shape;
  });

  // One object, or 404: `apps:info` shows a pipeline for any 2xx answer.
  api.get<{ Params: AppParams }>('/apps/:app/pipeline-couplings', { schema: schemas.params }, async (request) =>
    coupled(pipelines.couplingOfApp(request.params.app)),
  );

  // `pipelines:info` and `pipelines:promote` turn coupling app ids into apps with this (Range `id ..; max=1000;`).
  api.post<{ Body: AppFilterBody | null }>('/filters/apps', { schema: schemas.appFilter }, async (request, reply) => {
    const ids = new Set(request.body?.in?.id ?? []);
    const apps = services.apps.list().filter((app) => ids.has(app.id));
    const ctx = services.shapes();
    return sendPage(request, reply, apps, ['id', 'name'], (a: AppRecord, field) => (field === 'name' ? a.name : a.id), (a) => appShape(a, ctx));
  });

  // Stage config vars: Heroku CI's `test` vars (`heroku ci:config`) and review apps' `review` vars.
  api.get<{ Params: StageParams }>('/pipelines/:pipeline/stage/:stage/config-vars', { schema: schemas.params }, async (request) =>
    pipelines.stageConfig(request.params.pipeline, request.params.stage),
  );
  api.patch<{ Params: StageParams; Body: Record<string, string | null> }>(
    '/pipelines/:pipeline/stage/:stage/config-vars',
    { schema: schemas.stageConfigUpdate },
    async (request) => pipelines.updateStageConfig(request.params.pipeline, request.params.stage, request.body),
  );

  api.post<{ Body: PromotionCreateBody }>('/pipeline-promotions', { schema: schemas.promotionCreate }, async (request, reply) => {
    const promotion = pipelines.promote({
      pipeline: refOf(request.body.pipeline),
      source: refOf(request.body.source.app),
      targets: request.body.targets.map((t) => refOf(t.app)),
    });
    void reply.code(201);
    return promotionShape(promotion);
  });

  api.get<{ Params: PromotionParams }>('/pipeline-promotions/:promotion', { schema: schemas.params }, async (request) =>
    promotionShape(pipelines.promotion(request.params.promotion)),
  );

  api.get<{ Params: PromotionParams }>('/pipeline-promotions/:promotion/promotion-targets', { schema: schemas.params }, async (request, reply) =>
    sendPage(request, reply, pipelines.promotionTargets(request.params.promotion), ['id'], (t) => t.id, promotionTargetShape),
  );
};
