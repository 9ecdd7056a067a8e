import type { FastifyPluginAsync } from 'fastify';
import { Readable } from 'node:stream';
import type { ReleaseRecord } from '../../contracts/records.js';
import { raise } from '../../errors.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { schemas, type AppParams, type ReleaseBody, type ReleaseParams, type StreamParams } from '../schemas.js';
import { releaseShape } from '../shapes.js';

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
  api.get<{ Params: AppParams }>('/apps/:app/releases', { schema: schemas.params }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const releases = services.releases.list(app);
    return sendPage(request, reply, releases, RELEASE_RANGE_FIELDS, releaseField, (r) => releaseShape(r, app));
  });

  api.get<{ Params: ReleaseParams }>('/apps/:app/releases/:release', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return releaseShape(services.releases.get(app, request.params.release), app);
  });

  // Release (`POST {slug}`) and rollback (`POST {release}`); a release phase, if any, runs in the app's queue.
  api.post<{ Params: AppParams; Body: ReleaseBody }>('/apps/:app/releases', { schema: schemas.releaseCreate }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const release = services.releases.createFromApi(app, request.body ?? {});
    void services.releases.startPhase(release).catch((error: unknown) => request.log.error({ err: error }, 'release phase failed'));
    void reply.code(201);
    return releaseShape(release, app);
  });

  // The release phase's output: a plain chunked GET with a secret in the URL, as `heroku releases:output` reads it.
  api.get<{ Params: StreamParams }>('/streams/releases/:id/:secret', { schema: schemas.params, config: { public: true } }, async (request, reply) => {
    const release = services.releases.byId(request.params.id);
    if (!release) raise('release_not_found');
    const app = services.apps.get(release.appId);
    const abort = new AbortController();
    request.raw.on('close', () => abort.abort());
    const chunks = services.releases.output(app, release.id, request.params.secret, abort.signal);
    return reply.type('text/plain; charset=utf-8').send(Readable.from(chunks));
  });
};
