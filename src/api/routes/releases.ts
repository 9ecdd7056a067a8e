import type { FastifyPluginAsync } from 'fastify';
import type { ReleaseRecord } from '../../contracts/records.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { releaseShape } from '../shapes.js';

type AppParams = { app: string };

const RELEASE_RANGE_FIELDS = ['version', 'id', 'created_at', 'updated_at'] as const;

function releaseField(release: ReleaseRecord, field: string): string | number {
  switch (field) {
    case 'id':
      return release.id;
    case 'created_at':
      return release.createdAt;
    case 'updated_at':
      return release.updatedAt;
    default:
      return release.version;
  }
}

export const releasesRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  api.get<{ Params: AppParams }>('/apps/:app/releases', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const releases = services.releases.list(app);
    return sendPage(request, reply, releases, RELEASE_RANGE_FIELDS, releaseField, (r) => releaseShape(r, app));
  });

  api.get<{ Params: AppParams & { release: string } }>('/apps/:app/releases/:release', async (request) => {
    const app = services.apps.get(request.params.app);
    return releaseShape(services.releases.get(app, request.params.release), app);
  });
};
