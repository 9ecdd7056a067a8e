// App webhooks: subscriptions, events, deliveries (signed HTTP POSTs, retried for `sync`).
export { WebhooksService, type WebhookRequest } from './service.js';
export type { WebhookDeliveryRecord, WebhookEventRecord, WebhookRecord } from '../store/index.js';
