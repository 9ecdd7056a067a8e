// The Platform API v3 as a Fastify instance. The daemon serves one on two ports: plain HTTP (5100) and, through a
// node:https server handing requests to `routing`, HTTPS (5101, the git host the heroku CLI writes into remotes).
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { berthError } from '../errors.js';
import { clientError, errorBody, schemaError } from './error-replies.js';
import { gitRoutes, type GitService } from '../git/index.js';
import { isAuthorized } from '../credentials.js';
import { lazySchemas } from './lazy-schemas.js';
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
import { catalogueRoutes, RATE_LIMIT } from './routes/catalogue.js';
import { buildpackRegistryRoutes } from './routes/buildpack-registry.js';
import { webhooksRoutes } from './routes/webhooks.js';
import { featuresRoutes } from './routes/features.js';
import { collaboratorsRoutes } from './routes/collaborators.js';
import { slugsRoutes } from './routes/slugs.js';
import { pipelinesRoutes } from './routes/pipelines.js';
import { appSetupsRoutes } from './routes/app-setups.js';
import { testRunsRoutes } from './routes/test-runs.js';
import { reviewAppsRoutes } from './routes/review-apps.js';
import { addonsRoutes } from './routes/addons.js';
import { dataRoutes } from './routes/data.js';
import { chaosRoutes } from './routes/chaos.js';
import { DASHBOARD_HEADER, dashboardRoutes, overTls, type DashboardSessions } from '../dashboard/index.js';

export interface ApiOptions {
  readonly apiKey: string;
  readonly logger: Logger;
  /** Smart HTTP at `/<app>.git` and the pre-receive hook's internal endpoints. */
  readonly git?: GitService;
  /** The dashboard at `/`: its sessions (a browser's cookie stands for the key) and the URL its links name. */
  readonly dashboard?: { readonly sessions: DashboardSessions; readonly publicUrl: string };
}

const BODY_LIMIT = 1024 * 1024;

export async function buildApi(services: ApiServices, options: ApiOptions): Promise<FastifyInstance> {
  const schemas = lazySchemas();
  const serverOptions: FastifyServerOptions = {
    loggerInstance: options.logger.child({ module: 'api' }),
    genReqId: () => randomUUID(),
    // Requests are not logged one by one: the daemon's log is for the daemon; app logs go through logplex.
    logController: new LogController({ disableRequestLogging: true }),
    // Heroku accepts `/apps/x/` as `/apps/x`.
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: BODY_LIMIT,
    // Schema failures are Heroku's invalid_params naming the field (api/schemas.ts has why coercion is on).
    schemaErrorFormatter: schemaError,
    ajv: {
      customOptions: {
        coerceTypes: true,
        // `["integer", "string"]` and the like are deliberate: that is what real clients send.
        allowUnionTypes: true,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
        // Checking each schema against the draft-07 meta-schema compiles that first, the bulk of the API's start-up
        // cost; the schemas are constants that test/api/schemas.test.ts exercises, and strict mode still applies.
        validateSchema: false,
      },
      // Each route's validators compile on its first request, not all of them at start (lazy-schemas.ts has why).
      plugins: [schemas.plugin],
    },
  };
  const api: FastifyInstance = Fastify(serverOptions);
  schemas.attach(api);

  // heroku-client sends `Content-Type: application/json` with an empty body on every GET; that is not an error.
  api.removeContentTypeParser(['application/json']);
  api.addContentTypeParser(/^application\/(.+\+)?json/, { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(berthError('body_json_invalid'), undefined);
    }
  });

  api.addHook('onRequest', async (request, reply) => {
    void reply.header('Request-Id', request.id);
    // Heroku sends its request budget on every answer; Berth's is never spent.
    void reply.header('RateLimit-Remaining', String(RATE_LIMIT));
    // Blob and stream URLs carry their own secret, as Heroku's presigned URLs do.
    if ((request.routeOptions.config as { public?: boolean } | undefined)?.public === true) return;
    if (isAuthorized(request.headers.authorization, options.apiKey)) return;
    // A dashboard session counts only over HTTPS (the API key works on both ports, as the CLI uses it).
    if (overTls(request) && options.dashboard?.sessions.admits(request.headers.cookie, request.headers[DASHBOARD_HEADER]) === true) return;
    throw berthError('credentials_invalid');
  });

  api.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode }, 'request');
  });

  api.setErrorHandler(async (error, request, reply) => {
    // A streaming route may have set text/plain before it failed; errors are always Heroku's JSON.
    void reply.type('application/json; charset=utf-8');
    const { error: answer, internal } = clientError(error, { bodyLimit: BODY_LIMIT, contentType: request.headers['content-type'] });
    if (internal) request.log.error({ err: error }, 'unexpected error');
    return reply.code(answer.status).send(errorBody(answer));
  });

  // Heroku's answer for a path it has no route for.
  api.setNotFoundHandler(async (_request, reply) => {
    const answer = berthError('route_not_found');
    return reply.code(answer.status).send(errorBody(answer));
  });

  await api.register(accountRoutes, services);
  await api.register(appsRoutes, services);
  await api.register(configVarsRoutes, services);
  await api.register(releasesRoutes, services);
  await api.register(buildsRoutes, services);
  await api.register(dynosRoutes, services);
  await api.register(sourcesRoutes, services);
  await api.register(logsRoutes, services);
  await api.register(domainsRoutes, services);
  await api.register(catalogueRoutes, services);
  await api.register(buildpackRegistryRoutes, services);
  await api.register(webhooksRoutes, services);
  await api.register(featuresRoutes, services);
  await api.register(collaboratorsRoutes, services);
  await api.register(slugsRoutes, services);
  await api.register(pipelinesRoutes, services);
  await api.register(appSetupsRoutes, services);
  await api.register(testRunsRoutes, services);
  await api.register(reviewAppsRoutes, services);
  await api.register(addonsRoutes, services);
  await api.register(dataRoutes, services);
  await api.register(chaosRoutes, services);
  if (options.dashboard) await api.register(dashboardRoutes, options.dashboard);
  if (options.git) await api.register(gitRoutes, { git: options.git, apiKey: options.apiKey });
  return api;
}
