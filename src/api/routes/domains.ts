import type { FastifyPluginAsync } from 'fastify';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import {
  schemas,
  type AppParams,
  type DomainBody,
  type DomainParams,
  type DomainUpdateBody,
  type SniEndpointBody,
  type SniEndpointParams,
} from '../schemas.js';
import { appShape, domainShape, sniEndpointShape } from '../shapes.js';

const DOMAIN_RANGE_FIELDS = ['id', 'hostname'] as const;
const SNI_RANGE_FIELDS = ['id', 'name'] as const;

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
    const domain = services.domains.add(services.apps.get(request.params.app), request.body.hostname, request.body.sni_endpoint ?? null);
    void reply.code(201);
    return domainShape(domain);
  });

  // `domains:update --cert` and the `certs:add` wizard: which certificate the router serves for the domain.
  api.patch<{ Params: DomainParams; Body: DomainUpdateBody }>('/apps/:app/domains/:domain', { schema: schemas.domainUpdate }, async (request) =>
    domainShape(services.domains.update(services.apps.get(request.params.app), request.params.domain, request.body.sni_endpoint)),
  );

  api.delete<{ Params: DomainParams }>('/apps/:app/domains/:domain', { schema: schemas.params }, async (request) =>
    domainShape(services.domains.remove(services.apps.get(request.params.app), request.params.domain)),
  );

  // The user's own certificates (`certs:*`). Host names without one get the local CA's (the certs:auto analogue).
  api.get<{ Params: AppParams }>('/apps/:app/sni-endpoints', { schema: schemas.params }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    return sendPage(request, reply, services.domains.sniEndpoints.list(app), SNI_RANGE_FIELDS, (e, field) => (field === 'name' ? e.name : e.id), sniEndpointShape);
  });

  api.get<{ Params: SniEndpointParams }>('/apps/:app/sni-endpoints/:endpoint', { schema: schemas.params }, async (request) =>
    sniEndpointShape(services.domains.sniEndpoints.get(services.apps.get(request.params.app), request.params.endpoint)),
  );

  api.post<{ Params: AppParams; Body: SniEndpointBody }>('/apps/:app/sni-endpoints', { schema: schemas.sniEndpointUpload }, async (request, reply) => {
    const endpoint = services.domains.sniEndpoints.create(services.apps.get(request.params.app), request.body);
    void reply.code(201);
    return sniEndpointShape(endpoint);
  });

  api.patch<{ Params: SniEndpointParams; Body: SniEndpointBody }>('/apps/:app/sni-endpoints/:endpoint', { schema: schemas.sniEndpointUpload }, async (request) =>
    sniEndpointShape(services.domains.sniEndpoints.update(services.apps.get(request.params.app), request.params.endpoint, request.body)),
  );

  api.delete<{ Params: SniEndpointParams }>('/apps/:app/sni-endpoints/:endpoint', { schema: schemas.paramsIgnoringBody }, async (request) =>
    sniEndpointShape(services.domains.sniEndpoints.remove(services.apps.get(request.params.app), request.params.endpoint)),
  );

  // Automatic Certificate Management: on for every app, the local CA issues every host name's certificate.
  // `certs:auto:enable` (POST) and `certs:auto:disable` (DELETE) switch the app's `acm`; `certs:auto:refresh` (PATCH)
  // is accepted. Each answers the app.
  const acm = (enabled: boolean | undefined) => async (request: { params: AppParams }) => {
    const app = services.apps.get(request.params.app);
    if (enabled !== undefined) services.domains.setAcm(app, enabled);
    return appShape(app, services.shapes());
  };
  api.post<{ Params: AppParams }>('/apps/:app/acm', { schema: schemas.paramsIgnoringBody }, acm(true));
  api.patch<{ Params: AppParams }>('/apps/:app/acm', { schema: schemas.paramsIgnoringBody }, acm(undefined));
  api.delete<{ Params: AppParams }>('/apps/:app/acm', { schema: schemas.paramsIgnoringBody }, acm(false));
};
