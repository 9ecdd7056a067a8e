// Source blobs. `POST /sources` needs the API key; the blob URLs it answers carry a secret instead, as Heroku's
// presigned S3 URLs do (the heroku-builds flow PUTs the tarball with no auth and `Content-Type: ''`).
import type { FastifyPluginAsync } from 'fastify';
import type { ApiServices } from '../context.js';
import { presignedPut } from './presigned-put.js';
import { schemas, type StreamParams } from '../schemas.js';
import { sourceShape } from '../shapes.js';

export const sourcesRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  // Inside this plugin only: any body, any content type, is the raw upload stream.
  api.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  api.post('/sources', { schema: schemas.sourceCreate }, async (_request, reply) => {
    const blob = services.sources.create();
    void reply.code(201);
    return sourceShape(services.urls.sourceBlob(blob.id, blob.secret));
  });

  presignedPut(api, '/sources', (id, secret, body) => services.sources.upload(id, secret, body));

  api.get<{ Params: StreamParams }>('/sources/:id/:secret', { schema: schemas.params, config: { public: true } }, async (request, reply) => {
    const file = await services.sources.file(request.params.id, request.params.secret);
    const { createReadStream } = await import('node:fs');
    return reply.type('application/octet-stream').send(createReadStream(file));
  });
};
