// The Platform API v3 as a Fastify instance. The daemon builds two of them over the same services: plain HTTP
// (5100) and HTTPS (5101, the git host the heroku CLI writes into remotes).
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyHttpsOptions, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { BerthError, errors, isBerthError } from '../errors.js';
import { gitRoutes, type GitService } from '../git/index.js';
import { isAuthorized } from '../credentials.js';
import type { ApiServices } from './context.js';
import { accountRoutes } from './routes/account.js';
import { appsRoutes } from './routes/apps.js';
import { configVarsRoutes } from './routes/config-vars.js';
import { releasesRoutes } from './routes/releases.js';
import { buildsRoutes } from './routes/builds.js';
import { dynosRoutes } from './routes/dynos.js';
import { sourcesRoutes } from './routes/sources.js';
import { logsRoutes } from './routes/logs.js';
import { domainsRoutes } from './routes/domains.js';

export interface ApiOptions {
  readonly apiKey: string;
  readonly logger: Logger;
  /** Key and certificate for the HTTPS instance; omitted for plain HTTP. */
  readonly https?: { key: string; cert: string };
  /** Smart HTTP at `/<app>.git` and the pre-receive hook's internal endpoints. */
  readonly git?: GitService;
}

/** Heroku's answer for a path it has no route for. */
const NO_ROUTE =
  'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your URL correctly?';

function errorBody(error: BerthError): Record<string, string> {
  const body: Record<string, string> = { id: error.id, message: error.message };
  if (error.resource !== undefined) body['resource'] = error.resource;
  return body;
}

export async function buildApi(services: ApiServices, options: ApiOptions): Promise<FastifyInstance> {
  const serverOptions: FastifyServerOptions = {
    loggerInstance: options.logger.child({ module: 'api' }),
    genReqId: () => randomUUID(),
    // Requests are not logged one by one: the daemon's log is for the daemon; app logs go through logplex.
    logController: new LogController({ disableRequestLogging: true }),
    // Heroku accepts `/apps/x/` as `/apps/x`.
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 1024 * 1024,
  };
  const api: FastifyInstance = options.https
    ? (Fastify({ ...serverOptions, https: options.https } as FastifyHttpsOptions<HttpsServer>) as unknown as FastifyInstance)
    : Fastify(serverOptions);

  // heroku-client sends `Content-Type: application/json` with an empty body on every GET; that is not an error.
  api.removeContentTypeParser(['application/json']);
  api.addContentTypeParser(/^application\/(.+\+)?json/, { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(errors.badRequest('Request body must be valid JSON.'), undefined);
    }
  });

  api.addHook('onRequest', async (request, reply) => {
    void reply.header('Request-Id', request.id);
    // Blob and stream URLs carry their own secret, as Heroku's presigned URLs do.
    if ((request.routeOptions.config as { public?: boolean } | undefined)?.public === true) return;
    if (!isAuthorized(request.headers.authorization, options.apiKey)) throw errors.unauthorized();
  });

  api.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode }, 'request');
  });

  api.setErrorHandler(async (error, request, reply) => {
    // A streaming route may have set text/plain before it failed; errors are always Heroku's JSON.
    void reply.type('application/json; charset=utf-8');
    if (isBerthError(error)) return reply.code(error.status).send(errorBody(error));
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const id = status === 413 ? 'payload_too_large' : 'bad_request';
      return reply.code(status).send({ id, message: (error as Error).message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({ id: 'internal_server_error', message: 'An unexpected error occurred.' });
  });

  api.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ id: 'not_found', message: NO_ROUTE }));

  await api.register(accountRoutes, services);
  await api.register(appsRoutes, services);
  await api.register(configVarsRoutes, services);
  await api.register(releasesRoutes, services);
  await api.register(buildsRoutes, services);
  await api.register(dynosRoutes, services);
  await api.register(sourcesRoutes, services);
  await api.register(logsRoutes, services);
  await api.register(domainsRoutes, services);
  if (options.git) await api.register(gitRoutes, { git: options.git, apiKey: options.apiKey });
  return api;
}
