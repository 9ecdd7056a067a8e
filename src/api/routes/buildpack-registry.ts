// A local answer of Heroku's buildpack registry, at `<API>/buildpack-registry` (`berth env` sets the CLI's
// HEROKU_BUILDPACK_REGISTRY_URL to it): `heroku buildpacks:add heroku/nodejs` asks the registry for the name's
// `blob_url` before it sets the app's buildpacks. The bundled buildpacks are the registry's entries, with Heroku's blob
// URLs, which Berth resolves to its bundled copies, so pinning one works offline. The registry is public, as Heroku's
// is for reads (the CLI sends no key).
import type { FastifyPluginAsync } from 'fastify';
import { raise } from '../../errors.js';
import { BUILDPACK_REGISTRY_PATH } from '../../settings.js';
import type { ApiServices } from '../context.js';
import { schemas, type RegistryBuildpackParams } from '../schemas.js';

export const buildpackRegistryRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const answer = (slug: string) => {
    const blobUrl = services.platform.registryBlobUrl(slug);
    if (blobUrl === undefined) raise('buildpack_not_found');
    const [namespace = '', name = ''] = slug.split('/');
    return { blob_url: blobUrl, name, namespace };
  };
  // The CLI encodes the slash (`heroku%2Fnodejs`); a person with curl may not.
  api.get<{ Params: RegistryBuildpackParams }>(`${BUILDPACK_REGISTRY_PATH}/buildpacks/:buildpack`, {
    schema: schemas.params,
    config: { public: true },
  }, async (request) => answer(request.params.buildpack));
  api.get<{ Params: RegistryBuildpackParams }>(`${BUILDPACK_REGISTRY_PATH}/buildpacks/:buildpack/:name`, {
    schema: schemas.params,
    config: { public: true },
  }, async (request) => answer(`${request.params.buildpack}/${request.params.name ?? ''}`));
};
