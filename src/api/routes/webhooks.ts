import type { FastifyPluginAsync } from 'fastify';
import type { AppRecord } from '../../contracts/records.js';
import type { WebhookDeliveryRecord } from '../../webhooks/index.js';
import type { ApiServices } from '../context.js';
import { sendPage } from '../paging.js';
import { schemas, type AppParams, type WebhookBody, type WebhookDeliveryParams, type WebhookEventParams, type WebhookParams } from '../schemas.js';
import { webhookDeliveryShape, webhookEventShape, webhookShape } from '../webhook-shapes.js';

interface DeliveriesQuery {
  readonly 'eq[status]'?: string;
}

export const webhooksRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { webhooks } = services;
  const deliveryShape = (app: AppRecord) => (delivery: WebhookDeliveryRecord) =>
    webhookDeliveryShape(delivery, webhooks.levelOf(delivery), webhooks.event(app, delivery.eventId).include);

  api.get<{ Params: AppParams }>('/apps/:app/webhooks', { schema: schemas.params }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    return sendPage(request, reply, webhooks.list(app), ['id', 'created_at'], (w, field) => (field === 'created_at' ? w.createdAt : w.id), (w) =>
      webhookShape(w, app),
    );
  });

  api.get<{ Params: WebhookParams }>('/apps/:app/webhooks/:webhook', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return webhookShape(webhooks.get(app, request.params.webhook), app);
  });

  api.post<{ Params: AppParams; Body: WebhookBody }>('/apps/:app/webhooks', { schema: schemas.webhookCreate }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const { webhook, generatedSecret } = webhooks.create(app, request.body);
    // A secret Berth made is answered once, here; `webhooks:add` prints it.
    if (generatedSecret !== undefined) void reply.header('Heroku-Webhook-Secret', generatedSecret);
    void reply.code(201);
    return webhookShape(webhook, app);
  });

  api.patch<{ Params: WebhookParams; Body: WebhookBody | null }>('/apps/:app/webhooks/:webhook', { schema: schemas.webhookUpdate }, async (request) => {
    const app = services.apps.get(request.params.app);
    return webhookShape(webhooks.update(app, request.params.webhook, request.body ?? {}), app);
  });

  api.delete<{ Params: WebhookParams }>('/apps/:app/webhooks/:webhook', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return webhookShape(webhooks.remove(app, request.params.webhook), app);
  });

  // `webhooks:deliveries` asks `seq ..; order=desc,max=1000` and filters with `?eq[status]=`.
  api.get<{ Params: AppParams; Querystring: DeliveriesQuery }>('/apps/:app/webhook-deliveries', { schema: schemas.params }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    const all = webhooks.deliveries(app, request.query['eq[status]']);
    return sendPage(request, reply, all, ['seq', 'id', 'created_at'], (d, field) => (field === 'seq' ? d.seq : field === 'id' ? d.id : d.createdAt), deliveryShape(app));
  });

  api.get<{ Params: WebhookDeliveryParams }>('/apps/:app/webhook-deliveries/:delivery', { schema: schemas.params }, async (request) => {
    const app = services.apps.get(request.params.app);
    return deliveryShape(app)(webhooks.delivery(app, request.params.delivery));
  });

  api.get<{ Params: AppParams }>('/apps/:app/webhook-events', { schema: schemas.params }, async (request, reply) => {
    const app = services.apps.get(request.params.app);
    return sendPage(request, reply, webhooks.events(app), ['id', 'created_at'], (e, field) => (field === 'created_at' ? e.createdAt : e.id), webhookEventShape);
  });

  api.get<{ Params: WebhookEventParams }>('/apps/:app/webhook-events/:event', { schema: schemas.params }, async (request) =>
    webhookEventShape(webhooks.event(services.apps.get(request.params.app), request.params.event)),
  );
};
