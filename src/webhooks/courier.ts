// Delivers webhook events: real HTTP POSTs, signed, one subscription's deliveries in order, retried for `sync`
// webhooks. Nothing here runs on the caller's turn: `send` only queues, so the action that caused an event never
// waits on a receiver, and a receiver that is slow or down holds up only its own subscription's chain.
import { createHmac, randomUUID } from 'node:crypto';
import { apiTimestamp } from '../clock.js';
import type { Store, WebhookAttempt, WebhookDeliveryRecord, WebhookRecord } from '../store/index.js';

export interface CourierOptions {
  /** One attempt may take this long (Heroku's is unpublished). */
  readonly attemptTimeoutMs: number;
  /** `sync` retries back off exponentially from this, capped at `retryMaxMs` (Heroku: "capped at hourly"). */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** A `sync` event is retried for this long after it was made (Heroku: 72 h since 2023). */
  readonly retryWindowMs: number;
}

/** `Heroku-Webhook-Hmac-SHA256`: the raw body's HMAC-SHA256 under the webhook's secret, base64. */
export function webhookSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

/** What went wrong with an attempt that got no HTTP answer, named as Node names it (`ECONNREFUSED`, `TimeoutError`). */
function errorClass(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; name?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (error instanceof Error && error.name !== 'TypeError') return error.name;
  return typeof cause?.name === 'string' ? cause.name : 'Error';
}

export class Courier {
  readonly #store: Store;
  readonly #options: CourierOptions;
  /** Per webhook, the tail of its chain of attempts: one subscription's deliveries go one at a time, in order. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #abort = new AbortController();

  constructor(store: Store, options: CourierOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Queues an attempt of the delivery; returns at once. */
  send(delivery: WebhookDeliveryRecord): void {
    if (this.#abort.signal.aborted) return;
    const tail = this.#chains.get(delivery.webhookId) ?? Promise.resolve();
    const next = tail.then(() => this.#attempt(delivery.appId, delivery.id)).catch(() => undefined);
    this.#chains.set(delivery.webhookId, next);
    void next.finally(() => {
      if (this.#chains.get(delivery.webhookId) === next) this.#chains.delete(delivery.webhookId);
    });
  }

  /** Resolves once every queued attempt has finished (tests wait on it; retries scheduled later are not waited for). */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.allSettled([...this.#chains.values()]);
  }

  close(): void {
    this.#abort.abort();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #attempt(appId: string, deliveryId: string): Promise<void> {
    const delivery = this.#store.webhooks.delivery(appId, deliveryId);
    if (delivery === undefined || delivery.status === 'succeeded' || delivery.status === 'failed') return;
    const webhook = this.#store.webhooks.byId(delivery.webhookId);
    const event = this.#store.webhooks.event(appId, delivery.eventId);
    // The webhook was removed (or the app destroyed) while this waited: nothing to send, nowhere to record it.
    if (webhook === undefined || event === undefined) return;
    const started = apiTimestamp();
    const attemptId = randomUUID();
    const body = JSON.stringify({
      ...event.payload,
      webhook_metadata: {
        attempt: { id: attemptId },
        delivery: { id: delivery.id },
        event: { id: event.id, include: event.include },
        webhook: { id: webhook.id },
      },
    });
    let code: number | null = null;
    let failure: string | null = null;
    try {
      const answer = await fetch(webhook.url, {
        method: 'POST',
        headers: this.#headers(webhook, delivery, body, started),
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.#options.attemptTimeoutMs), this.#abort.signal]),
      });
      code = answer.status;
      // The body is ignored (Heroku: "204 with an empty body is ideal"); reading it frees the connection.
      await answer.arrayBuffer().catch(() => undefined);
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      failure = errorClass(error);
    }
    const ok = code !== null && code >= 200 && code < 300;
    const attempts = delivery.numAttempts + 1;
    const lastAttempt: WebhookAttempt = {
      id: attemptId,
      code,
      errorClass: failure,
      status: ok ? 'succeeded' : 'failed',
      createdAt: started,
      updatedAt: apiTimestamp(),
    };
    const retryAt = ok ? undefined : this.#retryAt(webhook, event.createdAt, attempts);
    this.#store.webhooks.updateDelivery(
      delivery.id,
      {
        status: ok ? 'succeeded' : retryAt === undefined ? 'failed' : 'retrying',
        numAttempts: attempts,
        nextAttemptAt: retryAt === undefined ? null : apiTimestamp(new Date(retryAt)),
        lastAttempt,
      },
      apiTimestamp(),
    );
    if (retryAt !== undefined) this.#later(retryAt - Date.now(), { ...delivery, numAttempts: attempts });
  }

  #headers(webhook: WebhookRecord, delivery: WebhookDeliveryRecord, body: string, sentAt: string): Record<string, string> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Heroku-Webhook-Hmac-SHA256': webhookSignature(webhook.secret, body),
      'Heroku-Webhook-Id': delivery.id,
      'Heroku-Webhook-Sent-At': sentAt,
    };
    if (webhook.authorization !== null) headers['Authorization'] = webhook.authorization;
    return headers;
  }

  /** When a failed `sync` delivery is tried next, or undefined: `notify` tries once; `sync` until its window closes. */
  #retryAt(webhook: WebhookRecord, eventCreatedAt: string, attempts: number): number | undefined {
    if (webhook.level !== 'sync') return undefined;
    const delay = Math.min(this.#options.retryBaseMs * 2 ** (attempts - 1), this.#options.retryMaxMs);
    const at = Date.now() + delay;
    return at - Date.parse(eventCreatedAt) > this.#options.retryWindowMs ? undefined : at;
  }

  /** Sends the delivery again after `delayMs` (a retry, or one a stopped daemon left waiting). */
  #later(delayMs: number, delivery: WebhookDeliveryRecord): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.send(delivery);
    }, Math.max(0, delayMs));
    timer.unref();
    this.#timers.add(timer);
  }

  /** Carries on a delivery a stopped daemon left: at its next attempt time, or now. */
  resume(delivery: WebhookDeliveryRecord): void {
    const at = delivery.nextAttemptAt === null ? Date.now() : Date.parse(delivery.nextAttemptAt);
    this.#later(at - Date.now(), delivery);
  }
}
