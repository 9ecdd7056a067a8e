import type { FastifyPluginAsync } from 'fastify';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { schemas, type AppParams, type CollaboratorBody, type CollaboratorParams } from '../schemas.js';
import { collaboratorShape } from '../shapes.js';

export const collaboratorsRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { collaborators } = services;

  api.get<{ Params: AppParams }>('/apps/:app/collaborators', { schema: schemas.params }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    return sendPage(request, reply, collaborators.list(app), ['email', 'id'], (c, field) => (field === 'email' ? c.email : c.id), collaboratorShape);
  });

  api.get<{ Params: CollaboratorParams }>('/apps/:app/collaborators/:collaborator', { schema: schemas.params }, async (request) =>
    collaboratorShape(collaborators.get(services.apps.get(request.params.app), request.params.collaborator)),
  );

  api.post<{ Params: AppParams; Body: CollaboratorBody }>('/apps/:app/collaborators', { schema: schemas.collaboratorCreate }, async (request, reply) => {
    const collaborator = collaborators.add(services.apps.get(request.params.app), request.body.user);
    void reply.code(201);
    return collaboratorShape(collaborator);
  });

  api.delete<{ Params: CollaboratorParams }>('/apps/:app/collaborators/:collaborator', { schema: schemas.params }, async (request) =>
    collaboratorShape(collaborators.remove(services.apps.get(request.params.app), request.params.collaborator)),
  );
};
