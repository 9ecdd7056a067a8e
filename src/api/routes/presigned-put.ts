// The PUT of a blob to a URL that carries its own secret, as Heroku's presigned S3 URLs do: no API key, any body, and
// the heroku-builds flow's `Content-Type: ''` accepted. Shared by source blobs and slug uploads.
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { schemas, type StreamParams } from '../schemas.js';

/** Registers `PUT <prefix>/:id/:secret`, handing the raw body to `receive`; the caller's plugin parses any content type as a stream. */
export function presignedPut(api: FastifyInstance, prefix: string, receive: (id: string, secret: string, body: Readable) => Promise<unknown>): void {
  api.put<{ Params: StreamParams }>(
    `${prefix}/:id/:secret`,
    {
      schema: schemas.params,
      config: { public: true },
      // No parser matches `Content-Type: ''`; without the header, '*' takes it.
      onRequest: async (request) => {
        if (request.headers['content-type'] === '') delete request.raw.headers['content-type'];
      },
    },
    async (request, reply) => {
      const body = (request.body as Readable | undefined) ?? request.raw;
      await receive(request.params.id, request.params.secret, body);
      return reply.code(200).send();
    },
  );
}
