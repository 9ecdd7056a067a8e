// Platform API shapes of app webhooks, their deliveries and events, and the `data` of a delivered event (the changed
// resource in the same JSON its own endpoint answers).
import type { AppRecord } from '../contracts/records.js';
import type { ResourceChange } from '../contracts/resources.js';
import type { WebhookDeliveryRecord, WebhookEventRecord, WebhookRecord } from '../webhooks/index.js';
import {
  addonShape,
  appShape,
  attachmentShape,
  buildShape,
  collaboratorShape,
  domainShape,
  dynoShape,
  formationShape,
  releaseShape,
  sniEndpointShape,
  type ShapeContext,
} from './shapes.js';

export function webhookShape(webhook: WebhookRecord, app: AppRecord) {
  // The secret and the authorization are never answered (the secret once, in a header, when Berth made it).
  return {
    app: { id: app.id, name: app.name },
    created_at: webhook.createdAt,
    id: webhook.id,
    include: webhook.include,
    level: webhook.level,
    updated_at: webhook.updatedAt,
    url: webhook.url,
  };
}

export function webhookDeliveryShape(delivery: WebhookDeliveryRecord, level: 'notify' | 'sync', include: string) {
  const attempt = delivery.lastAttempt;
  return {
    created_at: delivery.createdAt,
    event: { id: delivery.eventId, include },
    id: delivery.id,
    num_attempts: delivery.numAttempts,
    next_attempt_at: delivery.nextAttemptAt,
    last_attempt:
      attempt === null
        ? null
        : {
            code: attempt.code,
            created_at: attempt.createdAt,
            error_class: attempt.errorClass,
            id: attempt.id,
            status: attempt.status,
            updated_at: attempt.updatedAt,
          },
    status: delivery.status,
    updated_at: delivery.updatedAt,
    webhook: { id: delivery.webhookId, level },
  };
}

export function webhookEventShape(event: WebhookEventRecord) {
  return { created_at: event.createdAt, id: event.id, include: event.include, payload: event.payload, updated_at: event.updatedAt };
}

/** The changed resource as its own endpoint answers it: a webhook event's `data`. */
export function resourceShape(change: ResourceChange, app: AppRecord, ctx: ShapeContext, buildOutputUrl: (buildId: string, secret: string) => string): unknown {
  switch (change.resource) {
    case 'app':
      return appShape(change.app, ctx);
    case 'build':
      return buildShape(change.build, buildOutputUrl(change.build.id, change.build.outputSecret));
    case 'release':
      return releaseShape(change.release, app);
    case 'formation':
      return formationShape(change.formation, app);
    case 'domain':
      return domainShape(change.domain);
    case 'sni-endpoint':
      return sniEndpointShape(change.sniEndpoint);
    case 'addon':
      return addonShape(change.addon);
    case 'addon-attachment':
      return attachmentShape(change.attachment);
    case 'collaborator':
      return collaboratorShape(change.collaborator);
    case 'dyno':
      return dynoShape(change.dyno, app, null);
  }
}
