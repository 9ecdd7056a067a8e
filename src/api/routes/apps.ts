import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppRecord } from '../../contracts/records.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { raise } from '../../errors.js';
import { schemas, type AddonCreateBody, type AppCreateBody, type AppParams, type AppUpdateBody } from '../schemas.js';
import { appShape } from '../shapes.js';

const APP_RANGE_FIELDS = ['id', 'name', 'created_at', 'updated_at'] as const;

function appField(app: AppRecord, field: string): string {
  switch (field) {
    case 'name':
      return app.name;
    case 'created_at':
      return app.createdAt;
    case 'updated_at':
      return app.updatedAt;
    default:
      return app.id;
  }
}

export const appsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const listApps = async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = services.shapes();
    return sendPage(request, reply, services.apps.list(), APP_RANGE_FIELDS, appField, (app) => appShape(app, ctx));
  };
  api.get('/apps', { schema: schemas.none }, listApps);
  api.get('/users/~/apps', { schema: schemas.none }, listApps);

  api.post<{ Body: AppCreateBody | null }>('/apps', { schema: schemas.appCreate }, async (request, reply) => {
    const app = services.apps.create(request.body ?? {});
    void reply.code(201);
    return appShape(app, services.shapes());
  });

  api.get<{ Params: AppParams }>('/apps/:app', { schema: schemas.params }, async (request) => appShape(services.apps.get(request.params.app), services.shapes()));

  api.patch<{ Params: AppParams; Body: AppUpdateBody | null }>('/apps/:app', { schema: schemas.appUpdate }, async (request) =>
    appShape(services.apps.update(request.params.app, request.body ?? {}), services.shapes()),
  );

  api.delete<{ Params: AppParams }>('/apps/:app', { schema: schemas.paramsIgnoringBody }, async (request) => {
    const ctx = services.shapes();
    return appShape(services.apps.destroy(request.params.app), ctx);
  });

};
