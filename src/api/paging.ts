import type { FastifyReply, FastifyRequest } from 'fastify';
import { paginate, parseRange, type FieldValue } from './range.js';

/**
 * Answers a list with Heroku's paging: 206 and `Next-Range` while more remain, 200 and no `Next-Range` on the
 * last page (the CLI and heroku-client keep following Next-Range for as long as it is sent).
 */
export function sendPage<T, S>(
  request: FastifyRequest,
  reply: FastifyReply,
  all: readonly T[],
  fields: readonly string[],
  valueOf: (item: T, field: string) => FieldValue,
  shape: (item: T) => S,
): S[] {
  const header = request.headers['range'];
  const range = parseRange(Array.isArray(header) ? header[0] : header, fields);
  const page = paginate(all, range, valueOf);
  if (page.nextRange !== undefined) {
    void reply.code(206).header('Next-Range', page.nextRange);
  }
  return page.items.map(shape);
}
