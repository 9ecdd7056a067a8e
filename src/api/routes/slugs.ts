// `POST /apps/{app}/slugs` and the `PUT` of the slug's `.tgz` to the blob URL it answers (a secret in the path, no
// auth, as Heroku's presigned URLs). `GET /apps/{app}/slugs/{id}` stays with the builds routes.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiServices } from '../context.js';
import { presignedPut } from './presigned-put.js';
import { schemas, type AppParams, type SlugBody } from '../schemas.js';
import { slugShape } from '../shapes.js';

export const slugsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  // Inside this plugin only: any body, any content type, is the raw upload stream.
  api.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  api.post<{ Params: AppParams; Body: SlugBody }>('/apps/:app/slugs', { schema: schemas.slugCreate }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const body = request.body;
    const { slug, putUrl } = services.slugUploads.create(app, {
      processTypes: body.process_types,
      commit: body.commit,
      commitDescription: body.commit_description,
      buildpackProvidedDescription: body.buildpack_provided_description,
      checksum: body.checksum,
    });
    void reply.code(201);
    return { ...slugShape(slug), blob: { method: 'put', url: putUrl } };
  });

  presignedPut(api, '/slugs', (id, secret, body) => services.slugUploads.upload(id, secret, body));
};
