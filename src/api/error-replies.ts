// How errors leave the API: every failure becomes a catalogue error and then Heroku's `{id, message, resource?}`.
// Schema failures name the field (`updates[0].quantity must be an integer or a string.`); Fastify's own client errors
// (body too large, a content type nobody parses) get catalogue entries; anything else is a 500 that says nothing more.
import type { FastifySchemaValidationError } from 'fastify';
import { BerthError, berthError, isBerthError, toBerthError } from '../errors.js';

/** The request part a schema failure is in (Fastify's own type for it is not exported). */
type SchemaErrorDataVar = 'body' | 'headers' | 'params' | 'querystring';

export interface ErrorBody {
  readonly id: string;
  readonly message: string;
  readonly resource?: string;
}

export function errorBody(error: BerthError): ErrorBody {
  return error.resource === undefined ? { id: error.id, message: error.message } : { id: error.id, message: error.message, resource: error.resource };
}

const TYPE_NOUNS: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** `/updates/0/quantity` → `updates[0].quantity`; the part's name (`body`) when the failure is the whole part. */
function fieldName(path: string, dataVar: SchemaErrorDataVar, missing: unknown): string {
  const segments = path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (typeof missing === 'string') segments.push(missing);
  let field = '';
  for (const segment of segments) field += /^\d+$/.test(segment) ? `[${segment}]` : field === '' ? segment : `.${segment}`;
  return field === '' ? dataVar : field;
}

function problem(error: FastifySchemaValidationError): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'type': {
      const types = String(params['type']).split(',');
      return `must be ${types.map((t) => TYPE_NOUNS[t] ?? t).join(' or ')}`;
    }
    case 'minLength':
    case 'pattern':
      return "can't be blank";
    case 'minItems':
      return "can't be empty";
    case 'minimum':
      return `must be at least ${String(params['limit'])}`;
    case 'anyOf':
      return 'is invalid';
    default:
      return error.message ?? 'is invalid';
  }
}

/** Fastify's `schemaErrorFormatter`: the first failure, as Heroku's invalid_params naming the field. */
export function schemaError(failures: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): BerthError {
  const first = failures[0];
  if (first === undefined) return berthError('params_invalid', { field: dataVar, problem: 'is invalid' });
  const missing = first.keyword === 'required' ? (first.params as { missingProperty?: unknown }).missingProperty : undefined;
  return berthError('params_invalid', { field: fieldName(first.instancePath, dataVar, missing), problem: problem(first) });
}

/** What the error handler knows of the request besides the error. */
export interface RequestFacts {
  readonly bodyLimit: number;
  readonly contentType: string | undefined;
}

/** Fastify's own errors (`FST_ERR_*`) a client can cause, by code. */
function fastifyClientError(error: { code?: unknown; statusCode?: unknown; message?: unknown }, facts: RequestFacts): BerthError | undefined {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return berthError('body_too_large', { limit: facts.bodyLimit });
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return berthError('content_type_unsupported', { type: facts.contentType ?? '(none)' });
  const status = error.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return berthError('request_invalid', { reason: String(error.message) });
  return undefined;
}

/** Any error a route or hook threw, as the catalogue error the client gets; `internal` says whether to log it. */
export function clientError(error: unknown, facts: RequestFacts): { error: BerthError; internal: boolean } {
  if (isBerthError(error)) return { error, internal: false };
  const fromFastify = typeof error === 'object' && error !== null ? fastifyClientError(error, facts) : undefined;
  if (fromFastify) return { error: fromFastify, internal: false };
  return { error: toBerthError(error), internal: true };
}
