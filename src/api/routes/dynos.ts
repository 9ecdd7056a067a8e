// Formation and dynos: `heroku ps`, `ps:scale`, `ps:restart`, `ps:stop`, `run:detached`, `run:inside`.
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { AppRecord } from '../../contracts/records.js';
import type { FormationUpdate } from '../../dynos/index.js';
import type { ApiServices } from '../context.js';
import { schemas, type AppParams, type DynoCreateBody, type DynoParams, type FormationBatchBody, type FormationBody, type FormationUpdateBody, type SizeRef, type TypeParams } from '../schemas.js';
import { dynoShape, formationShape } from '../shapes.js';

function sizeName(size: SizeRef | undefined): string | undefined {
  return typeof size === 'object' ? size.name : size;
}

/** One formation change as the dyno manager takes it: `size` or `dyno_size`, as a name or `{name}`. */
function formationUpdate(type: string, body: FormationUpdateBody): FormationUpdate {
  const size = sizeName(body.size ?? body.dyno_size);
  return { type, ...(body.quantity !== undefined ? { quantity: body.quantity } : {}), ...(size !== undefined ? { size } : {}) };
}

export const dynosRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { dynos } = services;

  api.get<{ Params: AppParams }>('/apps/:app/formation', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return dynos.formation(app).map((f) => formationShape(f, app));
  });

  /**
   * Updates with `docker_image` (variant `3.docker-releases`: `heroku container:release`, `container:rm`) make one
   * release of those images, its release phase started in the app's queue; the others scale as usual.
   */
  const releaseImages = (app: AppRecord, updates: ReadonlyArray<FormationUpdateBody & { readonly type: string }>, log: FastifyBaseLogger): AppRecord => {
    const images = updates.filter((u) => u.docker_image !== undefined).map((u) => ({ type: u.type, dockerImage: u.docker_image ?? null }));
    if (images.length === 0) return app;
    const release = services.releases.releaseImages(app, images);
    void services.releases.startPhase(release).catch((error: unknown) => log.error({ err: error }, 'release phase failed'));
    return services.apps.get(app.id);
  };
  const scaling = (u: FormationUpdateBody) => u.quantity !== undefined || u.size !== undefined || u.dyno_size !== undefined;

  api.patch<{ Params: AppParams; Body: FormationBatchBody }>('/apps/:app/formation', { schema: schemas.formationBatch }, async (request) => {
    const app = releaseImages(services.apps.get(request.params.app), request.body.updates, request.log);
    const scale = request.body.updates.filter((u) => u.docker_image === undefined || scaling(u));
    const changed = scale.length > 0 ? await dynos.scale(app, scale.map((u) => formationUpdate(u.type, u))) : dynos.formation(app);
    return changed.map((f) => formationShape(f, app));
  });

  api.get<{ Params: TypeParams }>('/apps/:app/formation/:type', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return formationShape(dynos.formationOf(app, request.params.type), app);
  });

  api.patch<{ Params: TypeParams; Body: FormationBody }>('/apps/:app/formation/:type', { schema: schemas.formationTypeUpdate }, async (request) => {
    const { type } = request.params;
    const body = request.body ?? {};
    const app = releaseImages(services.apps.get(request.params.app), [{ ...body, type }], request.log);
    if (body.docker_image !== undefined && !scaling(body)) {
      const formation = dynos.formation(app).find((f) => f.type === type);
      return formation === undefined ? { type, docker_image: body.docker_image } : formationShape(formation, app);
    }
    const [changed] = await dynos.scale(app, [formationUpdate(request.params.type, request.body ?? {})]);
    return formationShape(changed ?? dynos.formationOf(app, request.params.type), app);
  });

  const attachUrl = (secret: string | null) => (secret === null ? null : services.urls.rendezvous(secret));

  api.get<{ Params: AppParams }>('/apps/:app/dynos', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return dynos.dynos(app).map((d) => dynoShape(d, app, null));
  });

  api.get<{ Params: DynoParams }>('/apps/:app/dynos/:dyno', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return dynoShape(dynos.dyno(app, request.params.dyno), app, null);
  });

  api.post<{ Params: AppParams; Body: DynoCreateBody }>('/apps/:app/dynos', { schema: schemas.dynoCreate }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const { command, attach, force_no_tty: forceNoTty, env, size } = request.body;
    const dyno = dynos.runOneOff(app, {
      command,
      attach: attach === true,
      forceNoTty: forceNoTty === true,
      env: env ?? {},
      ...(size !== undefined ? { size } : {}),
    });
    void reply.code(201);
    return dynoShape(dyno, app, attachUrl(dyno.attachSecret));
  });

  // `heroku run:inside`: a command in a running dyno, attached through the rendezvous (the CLI sends the Accept
  // variant `3.run-inside` and the same body as `heroku run`).
  api.post<{ Params: DynoParams; Body: DynoCreateBody }>('/apps/:app/dynos/:dyno', { schema: schemas.dynoCreate }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const { command, force_no_tty: forceNoTty, env } = request.body;
    const dyno = dynos.runInside(app, request.params.dyno, { command, forceNoTty: forceNoTty === true, env: env ?? {} });
    void reply.code(201);
    return dynoShape(dyno, app, attachUrl(dyno.attachSecret));
  });

  // Restarts: the body is ignored (the CLI sends one anyway).
  api.delete<{ Params: AppParams }>('/apps/:app/dynos', { schema: schemas.paramsIgnoringBody }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    void dynos.restart(app).catch(() => undefined);
    return reply.code(202).send({});
  });
  api.delete<{ Params: DynoParams }>('/apps/:app/dynos/:dyno', { schema: schemas.paramsIgnoringBody }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    void dynos.restart(app, dynos.which(app, request.params.dyno)).catch(() => undefined);
    return reply.code(202).send({});
  });
  api.delete<{ Params: TypeParams }>('/apps/:app/formations/:type', { schema: schemas.paramsIgnoringBody }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    dynos.formationOf(app, request.params.type);
    void dynos.restart(app, { type: request.params.type }).catch(() => undefined);
    return reply.code(202).send({});
  });
  api.post<{ Params: DynoParams }>('/apps/:app/dynos/:dyno/actions/stop', { schema: schemas.paramsIgnoringBody }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    void dynos.stop(app, dynos.which(app, request.params.dyno)).catch(() => undefined);
    return reply.code(202).send({});
  });
  api.post<{ Params: TypeParams }>('/apps/:app/formations/:type/actions/stop', { schema: schemas.paramsIgnoringBody }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    dynos.formationOf(app, request.params.type);
    void dynos.stop(app, { type: request.params.type }).catch(() => undefined);
    return reply.code(202).send({});
  });
};
