// Issue 12 item 2: `heroku ps:restart web` and `heroku ps:stop web` send the process type where a dyno name goes
// (`DELETE /apps/{app}/dynos/web`, `POST /apps/{app}/dynos/web/actions/stop`); Heroku takes it as all its dynos.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function appWithWeb(): Promise<Harness> {
  h = await harness();
  const created = await h.request('POST', '/apps', { name: 'typed' });
  const appId = (created.body as { id: string }).id;
  const now = '2026-01-01T00:00:00Z';
  h.store.dynos.upsertFormation({ id: randomUUID(), appId, type: 'web', quantity: 0, size: 'Basic', command: 'node web.js', createdAt: now, updatedAt: now });
  return h;
}

describe('a process type where a dyno name goes', () => {
  it('DELETE /apps/{app}/dynos/web restarts the type: 202', async () => {
    const h = await appWithWeb();
    const reply = await h.request('DELETE', '/apps/typed/dynos/web', {});
    expect(reply.status).toBe(202);
  });

  it('POST /apps/{app}/dynos/web/actions/stop stops the type: 202', async () => {
    const h = await appWithWeb();
    expect((await h.request('POST', '/apps/typed/dynos/web/actions/stop', {})).status).toBe(202);
  });

  it('neither a dyno nor a process type: Heroku\'s not_found', async () => {
    const h = await appWithWeb();
    const reply = await h.request('DELETE', '/apps/typed/dynos/worker', {});
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ id: 'not_found', message: "Couldn't find that process." });
  });
});
