import type { FastifyPluginAsync } from 'fastify';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { schemas, type AppParams, type DomainBody, type DomainParams } from '../schemas.js';
import { domainShape } from '../shapes.js';

const DOMAIN_RANGE_FIELDS = ['id', 'hostname'] as const;

export const domainsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  // `heroku domains` loops while the status is 206: the last page is a 200 (sendPage does that).
  api.get<{ Params: AppParams }>('/apps/:app/domains', { schema: schemas.params }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    return sendPage(request, reply, services.domains.list(app), DOMAIN_RANGE_FIELDS, (d, field) => (field === 'hostname' ? d.hostname : d.id), domainShape);
  });

  api.get<{ Params: DomainParams }>('/apps/:app/domains/:domain', { schema: schemas.params }, async (request) =>
    domainShape(services.domains.get(services.apps.get(request.params.app), request.params.domain)),
  );

  api.post<{ Params: AppParams; Body: DomainBody }>('/apps/:app/domains', { schema: schemas.domainCreate }, async (request, reply) => {
    const domain = services.domains.add(services.apps.get(request.params.app), request.body.hostname);
    void reply.code(201);
    return domainShape(domain);
  });

  api.delete<{ Params: DomainParams }>('/apps/:app/domains/:domain', { schema: schemas.params }, async (request) =>
    domainShape(services.domains.remove(services.apps.get(request.params.app), request.params.domain)),
  );

  // Berth's certificates come from the local CA per host name (the certs:auto analogue): no SNI endpoints to manage.
  api.get<{ Params: AppParams }>('/apps/:app/sni-endpoints', { schema: schemas.params }, async (request, reply) => {
    services.apps.get(request.params.app);
    return sendPage(request, reply, [] as string[], ['id', 'name'], (x) => x, (x) => x);
  });
};
