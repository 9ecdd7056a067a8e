// Berth's teaching controls, under /berth/ (Heroku has no such API): `POST /berth/apps/{app}/chaos/{kind}` provokes a
// dyno failure on purpose, `GET`/`PUT /berth/clock` read and set the lesson clock's speed, `GET /berth/apps/{app}/dynos`
// answers what the dashboard's dyno cards show, `GET /berth/apps/{app}/disk-writes` what stopped dynos wrote.
// Authenticated like the rest.
import type { FastifyPluginAsync } from 'fastify';
import { CHAOS_KINDS, CRASH_SIGNALS, isChaosKind, type CrashSignal } from '../../chaos/index.js';
import { vitalsJson } from '../../dashboard/index.js';
import { raise } from '../../errors.js';
import type { ApiServices } from '../context.js';
import { schemas, type ChaosBody, type ChaosParams, type ClockBody } from '../schemas.js';

function isCrashSignal(signal: string): signal is CrashSignal {
  return Object.hasOwn(CRASH_SIGNALS, signal);
}

export const chaosRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { chaos } = services;

  api.post<{ Params: ChaosParams; Body: ChaosBody }>('/berth/apps/:app/chaos/:kind', { schema: schemas.chaosRun }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const { kind } = request.params;
    if (!isChaosKind(kind)) raise('params_invalid', { field: 'kind', problem: `must be one of ${Object.keys(CHAOS_KINDS).join(', ')}` });
    const { dyno, signal, exit_code: exitCode, seconds } = request.body ?? {};
    if (signal != null && !isCrashSignal(signal)) {
      raise('params_invalid', { field: 'signal', problem: `must be one of ${Object.keys(CRASH_SIGNALS).join(', ')}` });
    }
    const answer = await chaos.run(app, {
      kind,
      ...(dyno != null && dyno !== '' ? { dyno } : {}),
      ...(signal != null ? { signal } : {}),
      ...(exitCode != null ? { exitCode } : {}),
      ...(seconds != null ? { seconds } : {}),
    });
    return reply.code(202).send(answer);
  });

  // The dashboard's dyno cards: memory against the quota (the R14 sampler's last reading) and a crashed dyno's cool-off.
  api.get<{ Params: { app: string } }>('/berth/apps/:app/dynos', async (request) =>
    services.dynos.vitals(services.apps.get(request.params.app)).map(vitalsJson),
  );

  // `berth doctor -a`: what each dyno's last stopped instance wrote to its filesystem (the engine's diff), for the
  // doctor's advice on Heroku's ephemeral filesystem.
  api.get<{ Params: { app: string } }>('/berth/apps/:app/disk-writes', async (request) =>
    services.dynos.diskWrites(services.apps.get(request.params.app)).map((written) => ({
      dyno: written.dyno,
      stopped_at: written.stoppedAt.toISOString(),
      paths: written.paths,
    })),
  );

  api.get('/berth/clock', async () => ({ speed: chaos.clockSpeed }));

  api.put<{ Body: ClockBody }>('/berth/clock', { schema: schemas.clockSet }, async (request) => ({ speed: chaos.setClockSpeed(request.body.speed) }));
};
