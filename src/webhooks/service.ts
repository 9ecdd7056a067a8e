// App webhooks (Platform API `app-webhook`, `app-webhook-delivery`, `app-webhook-event`): subscriptions, and on each
// `resource.changed` an event plus one delivery per subscription that includes it, handed to the courier. An event is
// recorded only for an app with a subscription that wants it, so apps without webhooks pay one indexed read.
import { randomBytes, randomUUID } from 'node:crypto';
import { apiTimestamp } from '../clock.js';
import type { Account, AppRecord } from '../contracts/records.js';
import type { ResourceChange } from '../contracts/resources.js';
import { raise } from '../errors.js';
import type { Store, WebhookDeliveryRecord, WebhookEventRecord, WebhookRecord } from '../store/index.js';
import { Courier, type CourierOptions } from './courier.js';

/** Every entity Heroku lets a webhook include; Berth emits those of its own resources (see INCLUDE_OF). */
const WEBHOOK_INCLUDES: ReadonlySet<string> = new Set([
  'api:addon-attachment',
  'api:addon',
  'api:app',
  'api:build',
  'api:collaborator',
  'api:domain',
  'api:dyno',
  'api:formation',
  'api:release',
  'api:sni-endpoint',
  'dyno',
]);

const INCLUDE_OF: Readonly<Record<ResourceChange['resource'], string>> = {
  app: 'api:app',
  build: 'api:build',
  release: 'api:release',
  formation: 'api:formation',
  domain: 'api:domain',
  'sni-endpoint': 'api:sni-endpoint',
  addon: 'api:addon',
  'addon-attachment': 'api:addon-attachment',
  collaborator: 'api:collaborator',
  dyno: 'dyno',
};

/**
 * What Heroku keeps (DC changelog 1966, Dec 2020): the last seven days of deliveries, at most 300 per webhook. Berth
 * forgets older events and deliveries as each new event is recorded, so the history never grows without end.
 */
const KEEP_DAYS = 7;
const KEEP_PER_WEBHOOK = 300;

export interface WebhookRequest {
  readonly include?: readonly string[] | undefined;
  readonly level?: 'notify' | 'sync' | undefined;
  readonly url?: string | undefined;
  readonly secret?: string | null | undefined;
  readonly authorization?: string | null | undefined;
}

export interface WebhooksDeps {
  readonly store: Store;
  readonly account: () => Account;
  /** The resource's Platform API JSON (the event's `data`): api/ owns the shapes, the composition root passes them. */
  readonly shape: (change: ResourceChange, app: AppRecord) => unknown;
}

export class WebhooksService {
  readonly #store: Store;
  readonly #deps: WebhooksDeps;
  readonly #courier: Courier;

  constructor(deps: WebhooksDeps, options: CourierOptions) {
    this.#store = deps.store;
    this.#deps = deps;
    this.#courier = new Courier(deps.store, options);
  }

  list(app: AppRecord): WebhookRecord[] {
    return this.#store.webhooks.listByApp(app.id);
  }

  get(app: AppRecord, id: string): WebhookRecord {
    const found = this.#store.webhooks.get(app.id, id.toLowerCase());
    if (found === undefined) raise('webhook_not_found');
    return found;
  }

  /** Adds a subscription. `generatedSecret` is set when the caller gave none: it is answered this once only. */
  create(app: AppRecord, request: WebhookRequest): { webhook: WebhookRecord; generatedSecret?: string } {
    const include = validInclude(request.include ?? []);
    const url = validUrl(request.url ?? '');
    const given = request.secret ?? undefined;
    // Heroku's generated secrets are 60 lowercase hex characters.
    const secret = given === undefined || given === '' ? randomBytes(30).toString('hex') : given;
    const now = apiTimestamp();
    const webhook = this.#store.webhooks.insert({
      id: randomUUID(),
      appId: app.id,
      url,
      level: request.level ?? 'notify',
      include,
      secret,
      authorization: request.authorization ?? null,
      createdAt: now,
      updatedAt: now,
    });
    return secret === given ? { webhook } : { webhook, generatedSecret: secret };
  }

  update(app: AppRecord, id: string, request: WebhookRequest): WebhookRecord {
    const webhook = this.get(app, id);
    this.#store.webhooks.update(
      webhook.id,
      {
        ...(request.include !== undefined ? { include: validInclude(request.include) } : {}),
        ...(request.url !== undefined ? { url: validUrl(request.url) } : {}),
        ...(request.level !== undefined ? { level: request.level } : {}),
        ...(request.secret !== undefined && request.secret !== null && request.secret !== '' ? { secret: request.secret } : {}),
        ...(request.authorization !== undefined ? { authorization: request.authorization } : {}),
      },
      apiTimestamp(),
    );
    return this.get(app, webhook.id);
  }

  remove(app: AppRecord, id: string): WebhookRecord {
    const webhook = this.get(app, id);
    this.#store.webhooks.delete(webhook.id);
    return webhook;
  }

  events(app: AppRecord): WebhookEventRecord[] {
    return this.#store.webhooks.events(app.id);
  }

  event(app: AppRecord, id: string): WebhookEventRecord {
    const found = this.#store.webhooks.event(app.id, id.toLowerCase());
    if (found === undefined) raise('webhook_event_not_found');
    return found;
  }

  deliveries(app: AppRecord, status?: string): WebhookDeliveryRecord[] {
    return this.#store.webhooks.deliveries(app.id, status);
  }

  delivery(app: AppRecord, id: string): WebhookDeliveryRecord {
    const found = this.#store.webhooks.delivery(app.id, id.toLowerCase());
    if (found === undefined) raise('webhook_delivery_not_found');
    return found;
  }

  /** The level of a delivery's webhook, or `notify` once the webhook is gone (a delivery outlives it in lists). */
  levelOf(delivery: WebhookDeliveryRecord): 'notify' | 'sync' {
    return this.#store.webhooks.byId(delivery.webhookId)?.level ?? 'notify';
  }

  /** Records the change as an event for every subscription that includes it and queues their deliveries. */
  notify(change: ResourceChange): void {
    const include = change.resource === 'dyno' && change.include !== undefined ? change.include : INCLUDE_OF[change.resource];
    const subscribers = this.#store.webhooks.listByApp(change.appId).filter((w) => w.include.includes(include));
    if (subscribers.length === 0) return;
    const app = this.#store.apps.getById(change.appId);
    if (app === undefined) return;
    const account = this.#deps.account();
    const now = apiTimestamp();
    const event: WebhookEventRecord = {
      id: randomUUID(),
      appId: app.id,
      include,
      payload: {
        action: change.action,
        actor: { email: account.email, id: account.id },
        created_at: now,
        data: this.#deps.shape(change, app),
        id: '',
        previous_data: change.previous ?? {},
        published_at: now,
        resource: change.resource,
        sequence: null,
        updated_at: now,
        version: 'application/vnd.heroku+json; version=3',
      },
      createdAt: now,
      updatedAt: now,
    };
    const withId = { ...event, payload: { ...event.payload, id: event.id } };
    const deliveries = this.#store.transaction(() => {
      this.#store.webhooks.insertEvent(withId);
      const made = subscribers.map((webhook) =>
        this.#store.webhooks.insertDelivery({
          id: randomUUID(),
          appId: app.id,
          eventId: event.id,
          webhookId: webhook.id,
          status: 'pending',
          numAttempts: 0,
          nextAttemptAt: null,
          lastAttempt: null,
          createdAt: now,
          updatedAt: now,
        }),
      );
      this.#store.webhooks.prune(app.id, apiTimestamp(new Date(Date.now() - KEEP_DAYS * 24 * 3600 * 1000)), KEEP_PER_WEBHOOK);
      return made;
    });
    for (const delivery of deliveries) this.#courier.send(delivery);
  }

  /** Carries on the deliveries a stopped daemon left pending or waiting for a retry. */
  resume(): void {
    for (const delivery of this.#store.webhooks.unfinished()) this.#courier.resume(delivery);
  }

  /** Resolves once the deliveries queued so far have had their attempt (tests). */
  idle(): Promise<void> {
    return this.#courier.idle();
  }

  close(): void {
    this.#courier.close();
  }
}

function validInclude(include: readonly string[]): string[] {
  const trimmed = [...new Set(include.map((entry) => entry.trim()))];
  if (trimmed.length === 0) raise('webhook_include_missing');
  for (const entry of trimmed) if (!WEBHOOK_INCLUDES.has(entry)) raise('webhook_include_invalid', { include: entry });
  return trimmed;
}

/** Deliveries go only where the user pointed them: an absolute http(s) URL, nothing else. */
function validUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    raise('webhook_url_invalid', { url: raw });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') raise('webhook_url_invalid', { url: raw });
  return raw;
}
