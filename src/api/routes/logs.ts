// Log sessions (`heroku logs`) and log drains (`heroku drains`). The session's event stream is public: the CLI sends
// no Authorization to a `logplex_url`, so its secret is in the path.
import type { FastifyPluginAsync } from 'fastify';
import { raise } from '../../errors.js';
import type { ApiServices } from '../context.js';
import { schemas, type AppParams, type DrainParams, type LogDrainBody, type LogSessionBody, type StreamParams } from '../schemas.js';
import { logDrainShape, logSessionShape } from '../shapes.js';

/** `null` and `''` mean "not given", as clients send either. */
function given(value: string | null | undefined): string | undefined {
  return value === null || value === '' ? undefined : value;
}

export const logsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  api.post<{ Params: AppParams; Body: LogSessionBody }>('/apps/:app/log-sessions', { schema: schemas.logSessionCreate }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const body = request.body ?? {};
    const session = services.logSessions.create(app.id, {
      source: given(body.source),
      // The CLI sends `dyno` (a name or a type); the schema says `dyno_name` and `type`.
      dyno: given(body.dyno_name) ?? given(body.dyno) ?? given(body.type),
      lines: body.lines ?? undefined,
      tail: body.tail === true,
      vitals: body.berth_vitals === true,
    });
    void reply.code(201);
    return logSessionShape(session);
  });

  api.get<{ Params: StreamParams }>('/streams/logs/:id/:secret', { schema: schemas.params, config: { public: true } }, async (request, reply) => {
    const session = services.logSessions.find(request.params.id, request.params.secret);
    if (session === undefined) raise('log_session_not_found');
    reply.hijack();
    services.logSessions.stream(session, reply.raw, request.headers['last-event-id']);
  });

  api.get<{ Params: AppParams }>('/apps/:app/log-drains', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return services.logDrains.list(app).map((drain) => logDrainShape(drain, app));
  });

  api.get<{ Params: DrainParams }>('/apps/:app/log-drains/:drain', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return logDrainShape(services.logDrains.get(app, request.params.drain), app);
  });

  api.post<{ Params: AppParams; Body: LogDrainBody }>('/apps/:app/log-drains', { schema: schemas.logDrainCreate }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const drain = services.logDrains.add(app, request.body.url);
    void reply.code(201);
    return logDrainShape(drain, app);
  });

  api.delete<{ Params: DrainParams }>('/apps/:app/log-drains/:drain', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return logDrainShape(services.logDrains.remove(app, request.params.drain), app);
  });
};
