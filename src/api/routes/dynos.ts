// Formation and dynos: `heroku ps`, `ps:scale`, `ps:restart`, `ps:stop`, `run:detached`.
import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../../errors.js';
import type { ApiServices } from '../context.js';
import { dynoShape, formationShape } from '../shapes.js';

type AppParams = { app: string };

function updatesFrom(body: unknown): Array<{ type: string; quantity?: string | number; size?: string }> {
  const list = (body as { updates?: unknown } | undefined)?.updates;
  if (!Array.isArray(list) || list.length === 0) throw errors.invalidParams('updates must be a non-empty array of {type, quantity, size}.');
  return list.map((item: unknown) => {
    const u = item as Record<string, unknown> | null;
    if (!u || typeof u['type'] !== 'string') throw errors.invalidParams('Each update needs a process type.');
    return fromUpdate(u, u['type']);
  });
}

function fromUpdate(u: Record<string, unknown>, type: string): { type: string; quantity?: string | number; size?: string } {
  const quantity = u['quantity'];
  const sizeValue = u['size'] ?? u['dyno_size'];
  const size = typeof sizeValue === 'object' && sizeValue !== null ? (sizeValue as { name?: unknown }).name : sizeValue;
  if (quantity !== undefined && typeof quantity !== 'string' && typeof quantity !== 'number') throw errors.invalidParams('quantity must be a number or a string.');
  if (size !== undefined && typeof size !== 'string') throw errors.invalidParams('size must be a string.');
  return { type, ...(quantity !== undefined ? { quantity } : {}), ...(size !== undefined ? { size } : {}) };
}

export const dynosRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { dynos } = services;

  api.get<{ Params: AppParams }>('/apps/:app/formation', async (request) => {
    const app = services.apps.get(request.params.app);
    return dynos.formation(app).map((f) => formationShape(f, app));
  });

  api.patch<{ Params: AppParams }>('/apps/:app/formation', async (request) => {
    const app = services.apps.get(request.params.app);
    const changed = await dynos.scale(app, updatesFrom(request.body));
    return changed.map((f) => formationShape(f, app));
  });

  api.get<{ Params: AppParams & { type: string } }>('/apps/:app/formation/:type', async (request) => {
    const app = services.apps.get(request.params.app);
    return formationShape(dynos.formationOf(app, request.params.type), app);
  });

  api.patch<{ Params: AppParams & { type: string } }>('/apps/:app/formation/:type', async (request) => {
    const app = services.apps.get(request.params.app);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const [changed] = await dynos.scale(app, [fromUpdate(body, request.params.type)]);
    return formationShape(changed ?? dynos.formationOf(app, request.params.type), app);
  });

  const attachUrl = (secret: string | null) => (secret === null ? null : services.urls.rendezvous(secret));

  api.get<{ Params: AppParams }>('/apps/:app/dynos', async (request) => {
    const app = services.apps.get(request.params.app);
    return dynos.dynos(app).map((d) => dynoShape(d, app, null));
  });

  api.get<{ Params: AppParams & { dyno: string } }>('/apps/:app/dynos/:dyno', async (request) => {
    const app = services.apps.get(request.params.app);
    return dynoShape(dynos.dyno(app, request.params.dyno), app, null);
  });

  api.post<{ Params: AppParams }>('/apps/:app/dynos', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body['command'] !== 'string' || body['command'].trim() === '') throw errors.invalidParams('command is required.');
    const env = body['env'] ?? {};
    if (typeof env !== 'object' || env === null || Array.isArray(env)) throw errors.invalidParams('env must be an object.');
    const size = typeof body['size'] === 'string' ? body['size'] : undefined;
    const dyno = dynos.runOneOff(app, {
      command: body['command'],
      attach: body['attach'] === true,
      forceNoTty: body['force_no_tty'] === true,
      env: Object.fromEntries(Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
      ...(size !== undefined ? { size } : {}),
    });
    void reply.code(201);
    return dynoShape(dyno, app, attachUrl(dyno.attachSecret));
  });

  // Restarts: the body is ignored (the CLI sends one anyway).
  api.delete<{ Params: AppParams }>('/apps/:app/dynos', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    void dynos.restart(app).catch(() => undefined);
    return reply.code(202).send({});
  });
  api.delete<{ Params: AppParams & { dyno: string } }>('/apps/:app/dynos/:dyno', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    dynos.dyno(app, request.params.dyno);
    void dynos.restart(app, { name: request.params.dyno }).catch(() => undefined);
    return reply.code(202).send({});
  });
  api.delete<{ Params: AppParams & { type: string } }>('/apps/:app/formations/:type', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    dynos.formationOf(app, request.params.type);
    void dynos.restart(app, { type: request.params.type }).catch(() => undefined);
    return reply.code(202).send({});
  });
  api.post<{ Params: AppParams & { dyno: string } }>('/apps/:app/dynos/:dyno/actions/stop', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    dynos.dyno(app, request.params.dyno);
    void dynos.stop(app, { name: request.params.dyno }).catch(() => undefined);
    return reply.code(202).send({});
  });
  api.post<{ Params: AppParams & { type: string } }>('/apps/:app/formations/:type/actions/stop', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    dynos.formationOf(app, request.params.type);
    void dynos.stop(app, { type: request.params.type }).catch(() => undefined);
    return reply.code(202).send({});
  });
};
