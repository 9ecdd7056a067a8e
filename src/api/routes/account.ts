import type { FastifyPluginAsync } from 'fastify';
import { raise } from '../../errors.js';
import type { ApiServices } from '../context.js';
import { schemas, type AccountBody, type UserParams } from '../schemas.js';
import { accountShape } from '../shapes.js';

export const accountRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const account = async () => accountShape(services.account());
  api.get('/account', { schema: schemas.none }, account);
  api.patch<{ Body: AccountBody | null }>('/account', { schema: schemas.accountUpdate }, async (request) =>
    accountShape(services.accounts.update(request.body ?? {})),
  );
  // `~` is the current user, the only one Berth has.
  api.get('/users/~', { schema: schemas.none }, account);
  api.get<{ Params: UserParams }>('/users/:user', { schema: schemas.params }, async (request) => {
    const { user } = request.params;
    const me = services.account();
    if (user !== me.email && user !== me.id) raise('user_not_found');
    return accountShape(me);
  });
};
