import type { Db } from './database.js';

/** An app webhook: where and how the app's events are delivered (Platform API `app-webhook`). */
export interface WebhookRecord {
  readonly id: string;
  readonly appId: string;
  readonly url: string;
  readonly level: 'notify' | 'sync';
  readonly include: readonly string[];
  /** Signs every body (`Heroku-Webhook-Hmac-SHA256`); never answered after creation. */
  readonly secret: string;
  /** Sent verbatim as `Authorization`; never answered. */
  readonly authorization: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One notification of the app (Platform API `app-webhook-event`); `payload` is the body without its metadata. */
export interface WebhookEventRecord {
  readonly id: string;
  readonly appId: string;
  readonly include: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type WebhookDeliveryStatus = 'pending' | 'scheduled' | 'retrying' | 'failed' | 'succeeded' | 'skipped';

export interface WebhookAttempt {
  readonly id: string;
  readonly code: number | null;
  readonly errorClass: string | null;
  readonly status: 'scheduled' | 'succeeded' | 'failed';
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One event for one webhook (Platform API `app-webhook-delivery`). `seq` orders them as they were made. */
export interface WebhookDeliveryRecord {
  readonly seq: number;
  readonly id: string;
  readonly appId: string;
  readonly eventId: string;
  readonly webhookId: string;
  readonly status: WebhookDeliveryStatus;
  readonly numAttempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastAttempt: WebhookAttempt | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type NewWebhookDelivery = Omit<WebhookDeliveryRecord, 'seq'>;
export type WebhookDeliveryChanges = Pick<WebhookDeliveryRecord, 'status' | 'numAttempts' | 'nextAttemptAt' | 'lastAttempt'>;
export type WebhookChanges = Partial<Pick<WebhookRecord, 'url' | 'level' | 'include' | 'secret' | 'authorization'>>;

interface WebhookRow {
  id: string;
  app_id: string;
  url: string;
  level: string;
  include: string;
  secret: string;
  authorization: string | null;
  created_at: string;
  updated_at: string;
}

interface EventRow {
  id: string;
  app_id: string;
  include: string;
  payload: string;
  created_at: string;
  updated_at: string;
}

interface DeliveryRow {
  seq: number;
  id: string;
  app_id: string;
  event_id: string;
  webhook_id: string;
  status: string;
  num_attempts: number;
  next_attempt_at: string | null;
  last_attempt: string | null;
  created_at: string;
  updated_at: string;
}

function webhook(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    appId: row.app_id,
    url: row.url,
    level: row.level === 'sync' ? 'sync' : 'notify',
    include: JSON.parse(row.include) as string[],
    secret: row.secret,
    authorization: row.authorization,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function event(row: EventRow): WebhookEventRecord {
  return {
    id: row.id,
    appId: row.app_id,
    include: row.include,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function delivery(row: DeliveryRow): WebhookDeliveryRecord {
  return {
    seq: row.seq,
    id: row.id,
    appId: row.app_id,
    eventId: row.event_id,
    webhookId: row.webhook_id,
    status: row.status as WebhookDeliveryStatus,
    numAttempts: row.num_attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttempt: row.last_attempt === null ? null : (JSON.parse(row.last_attempt) as WebhookAttempt),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class WebhooksRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(hook: WebhookRecord): WebhookRecord {
    this.#db
      .prepare(
        `INSERT INTO webhooks (id, app_id, url, level, include, secret, authorization, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(hook.id, hook.appId, hook.url, hook.level, JSON.stringify(hook.include), hook.secret, hook.authorization, hook.createdAt, hook.updatedAt);
    return hook;
  }

  listByApp(appId: string): WebhookRecord[] {
    return (this.#db.prepare('SELECT * FROM webhooks WHERE app_id = ? ORDER BY created_at, id').all(appId) as WebhookRow[]).map(webhook);
  }

  get(appId: string, id: string): WebhookRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM webhooks WHERE app_id = ? AND id = ?').get(appId, id) as WebhookRow | undefined;
    return row && webhook(row);
  }

  byId(id: string): WebhookRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
    return row && webhook(row);
  }

  update(id: string, changes: WebhookChanges, now: string): void {
    const current = this.byId(id);
    if (current === undefined) return;
    const next = { ...current, ...changes };
    this.#db
      .prepare('UPDATE webhooks SET url = ?, level = ?, include = ?, secret = ?, authorization = ?, updated_at = ? WHERE id = ?')
      .run(next.url, next.level, JSON.stringify(next.include), next.secret, next.authorization, now, id);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM webhooks WHERE id = ?').run(id);
  }

  insertEvent(record: WebhookEventRecord): void {
    this.#db
      .prepare('INSERT INTO webhook_events (id, app_id, include, payload, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(record.id, record.appId, record.include, JSON.stringify(record.payload), record.createdAt, record.updatedAt);
  }

  events(appId: string): WebhookEventRecord[] {
    return (this.#db.prepare('SELECT * FROM webhook_events WHERE app_id = ? ORDER BY created_at, rowid').all(appId) as EventRow[]).map(event);
  }

  event(appId: string, id: string): WebhookEventRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM webhook_events WHERE app_id = ? AND id = ?').get(appId, id) as EventRow | undefined;
    return row && event(row);
  }

  insertDelivery(record: NewWebhookDelivery): WebhookDeliveryRecord {
    const result = this.#db
      .prepare(
        `INSERT INTO webhook_deliveries (id, app_id, event_id, webhook_id, status, num_attempts, next_attempt_at, last_attempt, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.id,
        record.appId,
        record.eventId,
        record.webhookId,
        record.status,
        record.numAttempts,
        record.nextAttemptAt,
        record.lastAttempt === null ? null : JSON.stringify(record.lastAttempt),
        record.createdAt,
        record.updatedAt,
      );
    return { ...record, seq: Number(result.lastInsertRowid) };
  }

  updateDelivery(id: string, changes: WebhookDeliveryChanges, now: string): void {
    this.#db
      .prepare('UPDATE webhook_deliveries SET status = ?, num_attempts = ?, next_attempt_at = ?, last_attempt = ?, updated_at = ? WHERE id = ?')
      .run(changes.status, changes.numAttempts, changes.nextAttemptAt, changes.lastAttempt === null ? null : JSON.stringify(changes.lastAttempt), now, id);
  }

  deliveries(appId: string, status?: string): WebhookDeliveryRecord[] {
    const rows =
      status === undefined
        ? this.#db.prepare('SELECT * FROM webhook_deliveries WHERE app_id = ? ORDER BY seq').all(appId)
        : this.#db.prepare('SELECT * FROM webhook_deliveries WHERE app_id = ? AND status = ? ORDER BY seq').all(appId, status);
    return (rows as DeliveryRow[]).map(delivery);
  }

  delivery(appId: string, id: string): WebhookDeliveryRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM webhook_deliveries WHERE app_id = ? AND id = ?').get(appId, id) as DeliveryRow | undefined;
    return row && delivery(row);
  }

  /**
   * Forgets an app's history beyond what Heroku keeps, in one statement: the finished deliveries of events created
   * before `before` (unless the event still has an unfinished one), and of each webhook's finished deliveries all but
   * the newest `keepPerWebhook`. An event goes with its last delivery (the trigger `webhook_events_without_deliveries`).
   * Unfinished deliveries stay whatever their age (the courier still works on them).
   */
  prune(appId: string, before: string, keepPerWebhook: number): void {
    this.#db
      .prepare(
        `DELETE FROM webhook_deliveries WHERE app_id = @appId AND status IN ('succeeded', 'failed') AND (
           event_id IN (
             SELECT e.id FROM webhook_events e WHERE e.app_id = @appId AND e.created_at < @before
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'scheduled', 'retrying'))
           )
           OR seq NOT IN (
             SELECT seq FROM (
               SELECT seq, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY seq DESC) AS newest FROM webhook_deliveries WHERE app_id = @appId
             ) WHERE newest <= @keep
           )
         )`,
      )
      .run({ appId, before, keep: keepPerWebhook });
  }

  /** Deliveries a stopped daemon left unfinished, oldest first: the next one carries them on. */
  unfinished(): WebhookDeliveryRecord[] {
    return (
      this.#db.prepare("SELECT * FROM webhook_deliveries WHERE status IN ('pending', 'scheduled', 'retrying') ORDER BY seq").all() as DeliveryRow[]
    ).map(delivery);
  }
}
