import type { FastifyPluginAsync } from 'fastify';
import { Readable } from 'node:stream';
import type { BuildRecord } from '../../contracts/records.js';
import { errors } from '../../errors.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { buildpackInstallationShape, buildShape, slugShape } from '../shapes.js';

type AppParams = { app: string };

const BUILD_RANGE_FIELDS = ['created_at', 'id', 'updated_at'] as const;

function buildField(build: BuildRecord, field: string): string {
  return field === 'id' ? build.id : field === 'updated_at' ? build.updatedAt : build.createdAt;
}

/** `buildpacks: [{url}|{name}]` in a build request, `updates: [{buildpack}]` in buildpack-installations. */
function buildpackList(value: unknown, key: 'url' | 'buildpack'): string[] {
  if (!Array.isArray(value)) throw errors.invalidParams(`${key === 'url' ? 'buildpacks' : 'updates'} must be an array.`);
  return value.map((item: unknown) => {
    const entry = item as Record<string, unknown> | null;
    const ref = typeof item === 'string' ? item : (entry?.[key] ?? entry?.['url'] ?? entry?.['name']);
    if (typeof ref !== 'string' || ref.trim() === '') throw errors.invalidParams(`Each buildpack needs a ${key === 'url' ? 'url or name' : 'buildpack'}.`);
    return ref.trim();
  });
}

export const buildsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const shape = (build: BuildRecord) => buildShape(build, services.urls.buildOutput(build.id, build.outputSecret));

  api.post<{ Params: AppParams }>('/apps/:app/builds', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const blob = body['source_blob'] as Record<string, unknown> | undefined;
    if (typeof blob !== 'object' || blob === null || typeof blob['url'] !== 'string' || blob['url'] === '') {
      throw errors.invalidParams('source_blob.url is required: the URL of a tarball of the source.');
    }
    const version = blob['version'];
    const checksum = blob['checksum'];
    if (version !== undefined && version !== null && typeof version !== 'string') throw errors.invalidParams('source_blob.version must be a string.');
    if (checksum !== undefined && checksum !== null && typeof checksum !== 'string') throw errors.invalidParams('source_blob.checksum must be a string.');
    const buildpacks = body['buildpacks'] === undefined || body['buildpacks'] === null ? null : buildpackList(body['buildpacks'], 'url');
    const build = services.builds.create(app, {
      source: services.sources.reference(blob['url']),
      sourceVersion: typeof version === 'string' && version !== '' ? version : null,
      sourceChecksum: typeof checksum === 'string' && checksum !== '' ? checksum : null,
      buildpacks: buildpacks !== null && buildpacks.length > 0 ? buildpacks : null,
    });
    void reply.code(201);
    return shape(build);
  });

  api.get<{ Params: AppParams }>('/apps/:app/builds', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    return sendPage(request, reply, services.builds.list(app), BUILD_RANGE_FIELDS, buildField, shape);
  });

  api.get<{ Params: AppParams & { build: string } }>('/apps/:app/builds/:build', async (request) => {
    const app = services.apps.get(request.params.app);
    return shape(services.builds.get(app, request.params.build));
  });

  api.delete<{ Params: AppParams }>('/apps/:app/build-cache', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    await services.builds.purgeCache(app);
    return reply.code(202).send({});
  });

  api.get<{ Params: AppParams }>('/apps/:app/buildpack-installations', async (request) => {
    const app = services.apps.get(request.params.app);
    return services.builds.buildpackInstallations(app).map(buildpackInstallationShape);
  });

  api.put<{ Params: AppParams }>('/apps/:app/buildpack-installations', async (request) => {
    const app = services.apps.get(request.params.app);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const updates = buildpackList(body['updates'], 'buildpack');
    return services.builds.setBuildpackInstallations(app, updates).map(buildpackInstallationShape);
  });

  api.get<{ Params: AppParams & { slug: string } }>('/apps/:app/slugs/:slug', async (request) => {
    const app = services.apps.get(request.params.app);
    return slugShape(services.builds.slug(app, request.params.slug));
  });

  // The output stream: a plain chunked GET with the secret in the URL (the CLI's got.stream sends no auth).
  api.get<{ Params: { build: string; secret: string } }>('/streams/builds/:build/:secret', { config: { public: true } }, async (request, reply) => {
    const abort = new AbortController();
    request.raw.on('close', () => abort.abort());
    const chunks = services.builds.output(request.params.build, request.params.secret, abort.signal);
    return reply.type('text/plain; charset=utf-8').send(Readable.from(chunks));
  });
};
