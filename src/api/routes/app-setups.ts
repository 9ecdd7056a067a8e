// App setups: `POST /app-setups` and `GET /app-setups/{id}` (reference: heroku-workflows.md §2).
import type { FastifyPluginAsync } from 'fastify';
import type { AppRecord } from '../../contracts/records.js';
import type { Setup } from '../../setups/index.js';
import type { ApiServices } from '../context.js';
import { schemas, type AppSetupBody, type SetupParams } from '../schemas.js';
import { appSetupShape } from '../shapes.js';

export const appSetupsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  /** The setup with its app (gone if the setup destroyed it) and its build as they are now. */
  const shape = (setup: Setup) => {
    const app: AppRecord | undefined = setup.appId === null ? undefined : services.apps.list().find((a) => a.id === setup.appId);
    const build = app && setup.buildId !== null ? services.builds.get(app, setup.buildId) : undefined;
    return appSetupShape(setup, {
      app,
      build: build && { id: build.id, status: build.status, outputStreamUrl: services.urls.buildOutput(build.id, build.outputSecret) },
      webUrl: app && services.shapes().webUrl(app.name),
    });
  };

  api.post<{ Body: AppSetupBody }>('/app-setups', { schema: schemas.appSetupCreate }, async (request, reply) => {
    const { source_blob: blob, app, overrides, pipeline_coupling: coupling } = request.body;
    // Checked before anything is made, so a bad pipeline or stage leaves no app behind.
    if (coupling) services.pipelines.checkCoupling(coupling.pipeline, coupling.stage);
    const setup = await services.setups.create({
      sourceBlob: { url: blob.url, checksum: blob.checksum, version: blob.version },
      app: app && { name: app.name, region: app.region, stack: app.stack },
      overrides: overrides && { env: overrides.env, buildpacks: overrides.buildpacks },
    });
    if (coupling && setup.appId !== null) services.pipelines.couple(setup.appId, coupling.pipeline, coupling.stage);
    void reply.code(201);
    return shape(setup);
  });

  api.get<{ Params: SetupParams }>('/app-setups/:setup', { schema: schemas.params }, async (request) => shape(services.setups.get(request.params.setup)));
};
