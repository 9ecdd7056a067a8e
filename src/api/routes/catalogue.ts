// The platform's catalogue, which the heroku CLI reads for `apps:stacks`, `regions`, `ps:type` and its rate-limit
// checks: Berth's stack and the container stack (heroku.yml Docker deploys), the two regions it runs on this machine alike, the dyno sizes it enforces, and a rate
// limit that never runs out (Berth does not limit requests).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { REGIONS } from '../../apps/index.js';
import { dynoSizes, type DynoSize } from '../../dynos/index.js';
import { raise } from '../../errors.js';
import { CONTAINER_STACK } from '../../settings.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { schemas, type AppParams, type DynoSizeParams, type RegionParams, type StackParams } from '../schemas.js';
import { dynoSizeId, dynoSizeShape, regionShape, stackShape } from '../shapes.js';

const BY_ID_AND_NAME = ['id', 'name'] as const;

/** Heroku's hourly budget of API requests per account, which Berth reports as always full. */
export const RATE_LIMIT = 4500;

export const catalogueRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const stacks = () => [stackShape(services.platform.stack, true), stackShape(CONTAINER_STACK, false)];
  const listStacks = async (request: FastifyRequest, reply: FastifyReply) =>
    sendPage(request, reply, stacks(), BY_ID_AND_NAME, (stack, field) => (field === 'name' ? stack.name : stack.id), (stack) => stack);
  api.get('/stacks', { schema: schemas.none }, listStacks);
  api.get<{ Params: StackParams }>('/stacks/:stack', { schema: schemas.params }, async (request) => {
    const wanted = request.params.stack.toLowerCase();
    const stack = stacks().find((s) => s.name === wanted || s.id === wanted);
    if (!stack) raise('stack_not_found');
    return stack;
  });
  api.get<{ Params: AppParams }>('/apps/:app/available-stacks', { schema: schemas.params }, async (request, reply) => {
    services.apps.get(request.params.app);
    return listStacks(request, reply);
  });

  api.get('/regions', { schema: schemas.none }, async (request, reply) =>
    sendPage(request, reply, REGIONS.map(regionShape), BY_ID_AND_NAME, (region, field) => (field === 'name' ? region.name : region.id), (r) => r),
  );
  api.get<{ Params: RegionParams }>('/regions/:region', { schema: schemas.params }, async (request) => {
    const region = REGIONS.map(regionShape).find((r) => r.name === request.params.region || r.id === request.params.region.toLowerCase());
    if (!region) raise('region_not_found');
    return region;
  });

  const listSizes = async (request: FastifyRequest, reply: FastifyReply) =>
    sendPage(request, reply, dynoSizes(), BY_ID_AND_NAME, (size: DynoSize, field) => (field === 'name' ? size.name : dynoSizeId(size.name)), dynoSizeShape);
  api.get('/dyno-sizes', { schema: schemas.none }, listSizes);
  api.get<{ Params: DynoSizeParams }>('/dyno-sizes/:size', { schema: schemas.params }, async (request) => {
    const wanted = request.params.size.toLowerCase();
    const size = dynoSizes().find((s) => s.name.toLowerCase() === wanted || dynoSizeId(s.name) === wanted);
    if (!size) raise('dyno_size_not_found');
    return dynoSizeShape(size);
  });
  // Every size runs every app on this machine.
  api.get<{ Params: AppParams }>('/apps/:app/available-dyno-sizes', { schema: schemas.params }, async (request, reply) => {
    services.apps.get(request.params.app);
    return listSizes(request, reply);
  });

  api.get('/account/rate-limits', { schema: schemas.none }, async () => ({ remaining: RATE_LIMIT }));
};
