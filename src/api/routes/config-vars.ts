import type { FastifyPluginAsync } from 'fastify';
import type { ApiServices } from '../context.js';
import { schemas, type AppParams, type ConfigVarsBody, type ReleaseParams } from '../schemas.js';

export const configVarsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  api.get<{ Params: AppParams }>('/apps/:app/config-vars', { schema: schemas.params }, async (request) => services.apps.configVars(request.params.app));

  api.patch<{ Params: AppParams; Body: ConfigVarsBody }>('/apps/:app/config-vars', { schema: schemas.configVarsUpdate }, async (request) =>
    services.apps.updateConfigVars(request.params.app, request.body ?? {}),
  );

  api.get<{ Params: ReleaseParams }>('/apps/:app/releases/:release/config-vars', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return services.releases.get(app, request.params.release).config;
  });
};
