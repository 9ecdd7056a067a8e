// What app webhooks keep, as Heroku does (DC changelog 1966): seven days of events and deliveries, at most 300
// deliveries per webhook. Older history goes when the next event is recorded; an unfinished delivery stays.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiTimestamp } from '../../src/clock.js';
import type { AppRecord } from '../../src/contracts/records.js';
import { platform, type Platform } from '../support/platform.js';
import { receiver, type Receiver } from './receiver.js';

let p: Platform;
let hook: Receiver;
let app: AppRecord;
let webhookId: string;

beforeEach(async () => {
  p = await platform({ BERTH_WEBHOOK_RETRY_BASE_MS: '20', BERTH_WEBHOOK_ATTEMPT_TIMEOUT_MS: '2000' });
  hook = await receiver();
  app = await p.createApp('kept');
  const added = await p.request('POST', '/apps/kept/webhooks', { include: ['api:release'], level: 'notify', url: hook.url });
  webhookId = (added.body as { id: string }).id;
});

afterEach(async () => {
  p.services.webhooks.close();
  await hook.close();
  await p.close();
});

const DAY = 24 * 3600 * 1000;

/** An event and its deliveries (one a status, to `webhooks`: this file's webhook by default) as if recorded `ageMs` ago. */
function recorded(ageMs: number, ...statuses: Array<'succeeded' | 'failed' | 'retrying'>): string {
  return recordedFor([webhookId], ageMs, ...statuses);
}

function recordedFor(webhooks: readonly string[], ageMs: number, ...statuses: Array<'succeeded' | 'failed' | 'retrying'>): string {
  const at = apiTimestamp(new Date(Date.now() - ageMs));
  const eventId = randomUUID();
  p.store.webhooks.insertEvent({ id: eventId, appId: app.id, include: 'api:release', payload: { id: eventId }, createdAt: at, updatedAt: at });
  statuses.forEach((status, i) =>
    p.store.webhooks.insertDelivery({
      id: randomUUID(),
      appId: app.id,
      eventId,
      webhookId: webhooks[i % webhooks.length] ?? webhookId,
      status,
      numAttempts: 1,
      nextAttemptAt: null,
      lastAttempt: null,
      createdAt: at,
      updatedAt: at,
    }),
  );
  return eventId;
}

async function anEvent(): Promise<void> {
  p.services.apps.updateConfigVars('kept', { STAMP: randomUUID() });
  await p.services.events.settled();
  await p.services.webhooks.idle();
}

async function listed(what: 'events' | 'deliveries'): Promise<Array<{ id: string; event?: { id: string } }>> {
  const response = await p.request('GET', `/apps/kept/webhook-${what}`);
  expect(response.status, response.text).toBe(200);
  return response.body as Array<{ id: string; event?: { id: string } }>;
}

describe('webhook history retention', () => {
  it('forgets events and deliveries older than seven days when the next event comes, keeping unfinished ones', async () => {
    const old = recorded(8 * DAY, 'succeeded');
    const oldFailed = recorded(8 * DAY, 'failed');
    const stillRetrying = recorded(8 * DAY, 'retrying');
    const recent = recorded(6 * DAY, 'succeeded');
    expect((await listed('events')).map((e) => e.id)).toEqual(expect.arrayContaining([old, oldFailed, stillRetrying, recent]));
    await anEvent();
    const events = (await listed('events')).map((e) => e.id);
    expect(events).not.toContain(old);
    expect(events).not.toContain(oldFailed);
    expect(events).toEqual(expect.arrayContaining([stillRetrying, recent]));
    expect(events).toHaveLength(3);
    const deliveries = (await listed('deliveries')).map((d) => d.event?.id);
    expect(deliveries).not.toContain(old);
    expect(deliveries).toHaveLength(3);
  });

  it('keeps at most the newest 300 deliveries of a webhook, and the events they belong to', async () => {
    const first = recorded(DAY, 'succeeded');
    for (let i = 0; i < 304; i++) recorded(DAY - i * 1000, 'succeeded');
    await anEvent();
    const deliveries = p.store.webhooks.deliveries(app.id);
    expect(deliveries).toHaveLength(300);
    expect(deliveries.filter((d) => d.webhookId === webhookId)).toHaveLength(300);
    expect(p.store.webhooks.events(app.id)).toHaveLength(300);
    expect(p.store.webhooks.event(app.id, first)).toBeUndefined();
  });

  it('keeps an old event whole while one of its deliveries is unfinished', async () => {
    const other = ((await p.request('POST', '/apps/kept/webhooks', { include: ['api:release'], level: 'notify', url: `${hook.url}other` })).body as { id: string }).id;
    const mixed = recordedFor([webhookId, other], 8 * DAY, 'succeeded', 'retrying');
    const done = recordedFor([webhookId, other], 8 * DAY, 'succeeded', 'failed');
    await anEvent();
    const events = (await listed('events')).map((e) => e.id);
    expect(events).toContain(mixed);
    expect(events).not.toContain(done);
    expect(p.store.webhooks.deliveries(app.id).filter((d) => d.eventId === mixed).map((d) => d.status).sort()).toEqual(['retrying', 'succeeded']);
  });

  it('forgets the events of a deleted webhook that no other webhook was sent', async () => {
    const other = ((await p.request('POST', '/apps/kept/webhooks', { include: ['api:release'], level: 'notify', url: `${hook.url}other` })).body as { id: string }).id;
    const onlyThis = recorded(DAY, 'succeeded');
    const shared = recordedFor([webhookId, other], DAY, 'succeeded', 'succeeded');
    expect((await p.request('DELETE', `/apps/kept/webhooks/${webhookId}`)).status).toBe(200);
    const events = (await listed('events')).map((e) => e.id);
    expect(events).toEqual([shared]);
    expect(events).not.toContain(onlyThis);
  });
});
