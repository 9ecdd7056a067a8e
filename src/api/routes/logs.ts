// Log sessions (`heroku logs`) and log drains (`heroku drains`). The session's event stream is public: the CLI sends
// no Authorization to a `logplex_url`, so its secret is in the path.
import type { FastifyPluginAsync } from 'fastify';
import type { AppRecord } from '../../contracts/records.js';
import { errors } from '../../errors.js';
import type { LogDrainRecord } from '../../logs/index.js';
import type { ApiServices } from '../context.js';

type AppParams = { app: string };

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw errors.invalidParams(`${key} must be a string.`);
  return value;
}

function drainShape(drain: LogDrainRecord, app: AppRecord) {
  return {
    id: drain.id,
    url: drain.url,
    token: drain.token,
    addon: null,
    app: { id: app.id, name: app.name },
    created_at: drain.createdAt,
    updated_at: drain.updatedAt,
  };
}

export const logsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  api.post<{ Params: AppParams }>('/apps/:app/log-sessions', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw errors.invalidParams('The request body must be an object.');
    const rawLines = body['lines'];
    let lines: number | undefined;
    if (rawLines !== undefined && rawLines !== null && rawLines !== '') {
      lines = typeof rawLines === 'number' ? rawLines : typeof rawLines === 'string' && /^\d+$/.test(rawLines) ? Number(rawLines) : NaN;
      if (!Number.isFinite(lines) || lines < 0) throw errors.invalidParams('lines must be a non-negative integer.');
    }
    const rawTail = body['tail'];
    if (rawTail !== undefined && rawTail !== null && typeof rawTail !== 'boolean' && rawTail !== 'true' && rawTail !== 'false') {
      throw errors.invalidParams('tail must be a boolean.');
    }
    // The CLI sends `dyno` (a name or a type); the schema says `dyno_name` and `type`.
    const dyno = optionalString(body, 'dyno_name') ?? optionalString(body, 'dyno') ?? optionalString(body, 'type');
    const session = services.logSessions.create(app.id, {
      source: optionalString(body, 'source'),
      dyno,
      lines,
      tail: rawTail === true || rawTail === 'true',
    });
    void reply.code(201);
    return { id: session.id, logplex_url: session.url, created_at: session.createdAt, updated_at: session.createdAt };
  });

  api.get<{ Params: { id: string; secret: string } }>('/streams/logs/:id/:secret', { config: { public: true } }, async (request, reply) => {
    const session = services.logSessions.find(request.params.id, request.params.secret);
    if (session === undefined) throw errors.notFound('log-session');
    reply.hijack();
    services.logSessions.stream(session, reply.raw, request.headers['last-event-id']);
  });

  api.get<{ Params: AppParams }>('/apps/:app/log-drains', async (request) => {
    const app = services.apps.get(request.params.app);
    return services.logDrains.list(app).map((drain) => drainShape(drain, app));
  });

  api.get<{ Params: AppParams & { drain: string } }>('/apps/:app/log-drains/:drain', async (request) => {
    const app = services.apps.get(request.params.app);
    return drainShape(services.logDrains.get(app, request.params.drain), app);
  });

  api.post<{ Params: AppParams }>('/apps/:app/log-drains', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const drain = services.logDrains.add(app, body['url']);
    void reply.code(201);
    return drainShape(drain, app);
  });

  api.delete<{ Params: AppParams & { drain: string } }>('/apps/:app/log-drains/:drain', async (request) => {
    const app = services.apps.get(request.params.app);
    return drainShape(services.logDrains.remove(app, request.params.drain), app);
  });
};
