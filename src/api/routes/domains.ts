import type { FastifyPluginAsync } from 'fastify';
import type { Domain } from '../../domains/index.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';

type AppParams = { app: string };
type DomainParams = AppParams & { domain: string };

const DOMAIN_RANGE_FIELDS = ['id', 'hostname'] as const;

/** The Platform API's `domain`. */
function domainShape(domain: Domain): Record<string, unknown> {
  return {
    acm_status: null,
    acm_status_reason: null,
    app: { id: domain.appId, name: domain.appName },
    cname: domain.cname,
    created_at: domain.createdAt,
    hostname: domain.hostname,
    id: domain.id,
    kind: domain.kind,
    sni_endpoint: null,
    status: domain.status,
    updated_at: domain.updatedAt,
  };
}

export const domainsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  // `heroku domains` loops while the status is 206: the last page is a 200 (sendPage does that).
  api.get<{ Params: AppParams }>('/apps/:app/domains', async (request, reply) => {
    const app = services.apps.get(request.params.app);
    return sendPage(request, reply, services.domains.list(app), DOMAIN_RANGE_FIELDS, (d, field) => (field === 'hostname' ? d.hostname : d.id), domainShape);
  });

  api.get<{ Params: DomainParams }>('/apps/:app/domains/:domain', async (request) =>
    domainShape(services.domains.get(services.apps.get(request.params.app), request.params.domain)),
  );

  api.post<{ Params: AppParams }>('/apps/:app/domains', async (request, reply) => {
    const domain = services.domains.add(services.apps.get(request.params.app), request.body);
    void reply.code(201);
    return domainShape(domain);
  });

  api.delete<{ Params: DomainParams }>('/apps/:app/domains/:domain', async (request) =>
    domainShape(services.domains.remove(services.apps.get(request.params.app), request.params.domain)),
  );

  // Berth's certificates come from the local CA per host name (the certs:auto analogue): no SNI endpoints to manage.
  api.get<{ Params: AppParams }>('/apps/:app/sni-endpoints', async (request, reply) => {
    services.apps.get(request.params.app);
    return sendPage(request, reply, [] as string[], ['id', 'name'], (x) => x, (x) => x);
  });
};
