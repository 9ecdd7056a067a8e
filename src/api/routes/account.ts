import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../../errors.js';
import type { ApiServices } from '../context.js';
import { accountShape } from '../shapes.js';

export const accountRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const account = async () => accountShape(services.account());
  api.get('/account', account);
  // `~` is the current user, the only one Berth has.
  api.get('/users/~', account);
  api.get('/users/:user', async (request) => {
    const { user } = request.params as { user: string };
    const me = services.account();
    if (user !== me.email && user !== me.id) throw errors.notFound('user');
    return accountShape(me);
  });
};
