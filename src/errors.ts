// One catalogue of the errors Berth raises on purpose. Each has a stable Heroku error id and an HTTP status;
// only api/ turns them into Heroku's `{id, message, resource?}` body.

export type ErrorId =
  | 'bad_request'
  | 'invalid_params'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'requested_range_not_satisfiable'
  | 'payload_too_large'
  | 'service_unavailable'
  | 'internal_server_error';

const STATUS: Readonly<Record<ErrorId, number>> = {
  bad_request: 400,
  invalid_params: 422,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  requested_range_not_satisfiable: 416,
  payload_too_large: 413,
  service_unavailable: 503,
  internal_server_error: 500,
};

export class BerthError extends Error {
  readonly id: ErrorId;
  readonly status: number;
  /** Heroku adds `resource` to not_found errors (`"resource":"app"`). */
  readonly resource: string | undefined;

  constructor(id: ErrorId, message: string, resource?: string) {
    super(message);
    this.name = 'BerthError';
    this.id = id;
    this.status = STATUS[id];
    this.resource = resource;
  }
}

/** Heroku's wording for the resources Berth knows, as in "Couldn't find that app." */
const RESOURCE_NOUN: Readonly<Record<string, string>> = {
  app: 'app',
  release: 'release',
  build: 'build',
  slug: 'slug',
  dyno: 'process',
  formation: 'formation',
  domain: 'domain',
  'log-drain': 'log drain',
  source: 'source',
};

export const errors = {
  notFound(resource: string): BerthError {
    return new BerthError('not_found', `Couldn't find that ${RESOURCE_NOUN[resource] ?? resource}.`, resource);
  },
  /** A not_found with Heroku's own wording for that case (`Couldn't find that process type (worker).`). */
  notFoundWith(resource: string, message: string): BerthError {
    return new BerthError('not_found', message, resource);
  },
  invalidParams(message: string): BerthError {
    return new BerthError('invalid_params', message);
  },
  badRequest(message: string): BerthError {
    return new BerthError('bad_request', message);
  },
  unauthorized(): BerthError {
    return new BerthError('unauthorized', 'Invalid credentials provided.');
  },
  rangeNotSatisfiable(message: string): BerthError {
    return new BerthError('requested_range_not_satisfiable', message);
  },
} as const;

export function isBerthError(value: unknown): value is BerthError {
  return value instanceof BerthError;
}
