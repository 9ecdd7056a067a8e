import type { FastifyPluginAsync } from 'fastify';
import { Readable } from 'node:stream';
import type { BuildRecord } from '../../contracts/records.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { schemas, type AppParams, type BuildBody, type BuildParams, type BuildpackInstallationsBody, type BuildpackItem, type SlugParams, type StreamParams, type TypeParams } from '../schemas.js';
import { buildpackInstallationShape, buildShape, slugShape } from '../shapes.js';

const BUILD_RANGE_FIELDS = ['created_at', 'id', 'updated_at'] as const;

function buildField(build: BuildRecord, field: string): string {
  return field === 'id' ? build.id : field === 'updated_at' ? build.updatedAt : build.createdAt;
}

/** A buildpack reference from `"url"`, `{url}`, `{name}` or `{buildpack}` (the schema has checked one is there). */
function buildpackRef(item: BuildpackItem): string {
  return (typeof item === 'string' ? item : (item.buildpack ?? item.url ?? item.name ?? '')).trim();
}

/** An empty string means "not given", as the CLI sends `version: ''` without a git repo. */
function given(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

export const buildsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const shape = (build: BuildRecord) => buildShape(build, services.urls.buildOutput(build.id, build.outputSecret));

  api.post<{ Params: AppParams; Body: BuildBody }>('/apps/:app/builds', { schema: schemas.buildCreate }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const { source_blob: blob, buildpacks, container_push: push } = request.body;
    const build = services.builds.create(app, {
      source: services.sources.reference(blob.url),
      sourceVersion: given(blob.version),
      sourceChecksum: given(blob.checksum),
      buildpacks: buildpacks && buildpacks.length > 0 ? buildpacks.map(buildpackRef) : null,
      ...(push ? { containerPush: { type: push.type, dockerfile: push.dockerfile, buildArgs: push.build_args ?? {} } } : {}),
    });
    void reply.code(201);
    return shape(build);
  });

  // What Heroku's registry answers `heroku container:release` for `<app>/<type>:latest` (a Docker manifest, schema 2,
  // whose config digest is the image's id), here on the API: `berth container:release` reads it, and the id goes back
  // as the formation's `docker_image`. Layers are not served (nothing pulls from Berth).
  api.get<{ Params: TypeParams & { readonly tag: string } }>('/v2/:app/:type/manifests/:tag', { schema: schemas.params }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const image = services.builds.latestImage(app, request.params.type);
    void reply.type('application/vnd.docker.distribution.manifest.v2+json');
    return {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 0, digest: image.imageId },
      layers: [],
    };
  });

  api.get<{ Params: AppParams }>('/apps/:app/builds', { schema: schemas.params }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    return sendPage(request, reply, services.builds.list(app), BUILD_RANGE_FIELDS, buildField, shape);
  });

  api.get<{ Params: BuildParams }>('/apps/:app/builds/:build', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return shape(services.builds.get(app, request.params.build));
  });

  // `heroku builds:cancel`: stops a pending build (its container goes, it fails with a line saying so, the app's queue
  // moves on) and answers with the failed build; a finished build is refused.
  api.delete<{ Params: BuildParams }>('/apps/:app/builds/:build', { schema: schemas.paramsIgnoringBody }, async (request) => {
    const app = services.apps.get(request.params.app);
    return shape(await services.builds.cancel(app, request.params.build));
  });

  api.delete<{ Params: AppParams }>('/apps/:app/build-cache', { schema: schemas.paramsIgnoringBody }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    await services.builds.purgeCache(app);
    return reply.code(202).send({});
  });

  api.get<{ Params: AppParams }>('/apps/:app/buildpack-installations', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return services.builds.buildpackInstallations(app).map(buildpackInstallationShape);
  });

  api.put<{ Params: AppParams; Body: BuildpackInstallationsBody }>(
    '/apps/:app/buildpack-installations',
    { schema: schemas.buildpackInstallations },
    async (request) => {
      const app = services.apps.get(request.params.app);
      return services.builds.setBuildpackInstallations(app, request.body.updates.map(buildpackRef)).map(buildpackInstallationShape);
    },
  );

  api.get<{ Params: SlugParams }>('/apps/:app/slugs/:slug', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return slugShape(services.builds.slug(app, request.params.slug));
  });

  // The output stream: a plain chunked GET with the secret in the URL (the CLI's got.stream sends no auth).
  api.get<{ Params: StreamParams }>('/streams/builds/:id/:secret', { schema: schemas.params, config: { public: true } }, async (request, reply) => {
    const abort = new AbortController();
    request.raw.on('close', () => abort.abort());
    const chunks = services.builds.output(request.params.id, request.params.secret, abort.signal);
    return reply.type('text/plain; charset=utf-8').send(Readable.from(chunks));
  });
};
