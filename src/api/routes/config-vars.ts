import type { FastifyPluginAsync } from 'fastify';
import type { ApiServices } from '../context.js';

type AppParams = { app: string };

export const configVarsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  api.get<{ Params: AppParams }>('/apps/:app/config-vars', async (request) => services.apps.configVars(request.params.app));

  api.patch<{ Params: AppParams }>('/apps/:app/config-vars', async (request) =>
    services.apps.updateConfigVars(request.params.app, request.body ?? {}),
  );

  api.get<{ Params: AppParams & { release: string } }>('/apps/:app/releases/:release/config-vars', async (request) => {
    const app = services.apps.get(request.params.app);
    return services.releases.get(app, request.params.release).config;
  });
};
