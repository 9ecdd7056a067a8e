// heroku-client@3.1.4 (npm) against a Berth daemon: Basic auth with `:token`, Range on every request,
// Next-Range auto-following, error objects (reference: heroku-cli-and-api.md §1 "heroku-client").
import type { IncomingMessage } from 'node:http';
import Heroku from 'heroku-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';

interface App {
  id: string;
  name: string;
  web_url: string;
  git_url: string;
  owner: { email: string };
  region: { name: string };
  stack: { name: string };
}
interface Release {
  version: number;
  description: string;
}
type ConfigVars = Record<string, string>;

interface Seen {
  status: number | undefined;
  nextRange: string | undefined;
  contentRange: string | undefined;
}

/** heroku-client's middleware sees every response; this records status and paging headers. */
function recorder(): { seen: Seen[]; middleware: (res: IncomingMessage, next: () => void) => void } {
  const seen: Seen[] = [];
  return {
    seen,
    middleware: (res, next) => {
      const header = (name: string) => {
        const value = res.headers[name];
        return Array.isArray(value) ? value.join(', ') : value;
      };
      seen.push({ status: res.statusCode, nextRange: header('next-range'), contentRange: header('content-range') });
      next();
    },
  };
}

function isClientError(error: unknown): error is Heroku.ClientError {
  return error instanceof Error && typeof (error as { statusCode?: unknown }).statusCode === 'number';
}

async function rejection(promise: Promise<unknown>): Promise<Heroku.ClientError> {
  try {
    await promise;
  } catch (error) {
    if (isClientError(error)) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

let daemon: TestDaemon;
let heroku: Heroku;
const PAGED = ['pg-app-1', 'pg-app-2', 'pg-app-3', 'pg-app-4', 'pg-app-5'];

beforeAll(async () => {
  daemon = await startTestDaemon();
  heroku = new Heroku({ token: daemon.apiKey, host: daemon.apiUrl });
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('heroku-client against Berth', () => {
  it('POST /apps creates apps (heroku-client sends Basic :token and a Range header even on POST)', async () => {
    // Created out of order, so name order differs from creation order.
    for (const name of ['pg-app-3', 'pg-app-1', 'pg-app-5', 'pg-app-2', 'pg-app-4']) {
      const app = await heroku.post<App>('/apps', { body: { name } });
      expect(app.name).toBe(name);
      expect(app.git_url).toBe(`https://127.0.0.1:${daemon.ports.apiTls}/${name}.git`);
      expect(app.web_url).toBe(`http://${name}.localhost:${daemon.ports.router}/`);
      expect(app.region.name).toBe('us');
      expect(app.stack.name).toBe('heroku-24');
    }
  });

  it('GET /apps with the default Range (id ..; max=1000) returns every app in one 200 page', async () => {
    const { seen, middleware } = recorder();
    const apps = await heroku.get<App[]>('/apps', { middleware });
    expect(apps.map((a) => a.name).sort()).toEqual(PAGED);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.status).toBe(200);
    expect(seen[0]?.nextRange).toBeUndefined();
  });

  it('partial: true returns one page: 206 with Next-Range', async () => {
    const { seen, middleware } = recorder();
    const page = await heroku.get<App[]>('/apps', { partial: true, headers: { Range: 'name ..; max=2' }, middleware });
    expect(page.map((a) => a.name)).toEqual(['pg-app-1', 'pg-app-2']);
    expect(seen).toEqual([expect.objectContaining({ status: 206, nextRange: 'name ]pg-app-2..; max=2' })]);
  });

  it('follows Next-Range and concatenates 3 pages (2 + 2 + 1)', async () => {
    const { seen, middleware } = recorder();
    const apps = await heroku.get<App[]>('/apps', { headers: { Range: 'name ..; max=2' }, middleware });
    expect(apps.map((a) => a.name)).toEqual(PAGED);
    expect(seen.map((s) => s.status)).toEqual([206, 206, 200]);
    expect(seen.map((s) => s.nextRange)).toEqual(['name ]pg-app-2..; max=2', 'name ]pg-app-4..; max=2', undefined]);
  });

  it('descending order pages too', async () => {
    const apps = await heroku.get<App[]>('/apps', { headers: { Range: 'name ..; max=2, order=desc' } });
    expect(apps.map((a) => a.name)).toEqual([...PAGED].reverse());
  });

  it('/users/~/apps is the same list', async () => {
    const apps = await heroku.get<App[]>('/users/~/apps');
    expect(apps.map((a) => a.name).sort()).toEqual(PAGED);
  });

  it('PATCH config-vars sets values and deletes with null; each change is a release', async () => {
    const first = await heroku.patch<ConfigVars>('/apps/pg-app-1/config-vars', { body: { A: '1', B: '2', C: 'three' } });
    expect(first).toEqual({ A: '1', B: '2', C: 'three' });
    const second = await heroku.patch<ConfigVars>('/apps/pg-app-1/config-vars', { body: { A: null, C: '3' } });
    expect(second).toEqual({ B: '2', C: '3' });
    expect(await heroku.get<ConfigVars>('/apps/pg-app-1/config-vars')).toEqual({ B: '2', C: '3' });

    const releases = await heroku.get<Release[]>('/apps/pg-app-1/releases', { headers: { Range: 'version ..; order=desc' } });
    expect(releases.map((r) => r.version)).toEqual([4, 3, 2, 1]);
    expect(releases[1]?.description).toBe('Set A, B, C config vars');
    // The release's own config is what it was set to, not the app's current config.
    expect(await heroku.get<ConfigVars>('/apps/pg-app-1/releases/3/config-vars')).toEqual({ A: '1', B: '2', C: 'three' });
  });

  it('an unknown app rejects with statusCode 404 and the Heroku error body', async () => {
    const error = await rejection(heroku.get('/apps/no-such-app'));
    expect(error.statusCode).toBe(404);
    expect(error.body).toEqual({ id: 'not_found', message: "Couldn't find that app.", resource: 'app' });
  });

  it('a duplicate name rejects with 422 invalid_params', async () => {
    const error = await rejection(heroku.post('/apps', { body: { name: 'pg-app-1' } }));
    expect(error.statusCode).toBe(422);
    expect(error.body).toEqual(expect.objectContaining({ id: 'invalid_params', message: 'Name is already taken' }));
  });

  it('a wrong token rejects with 401 unauthorized', async () => {
    const wrong = new Heroku({ token: 'not-the-key', host: daemon.apiUrl });
    const error = await rejection(wrong.get('/apps'));
    expect(error.statusCode).toBe(401);
    expect(error.body).toEqual(expect.objectContaining({ id: 'unauthorized' }));
  });

  it('Basic auth: heroku-client sends `:token`; git sends `heroku:token`; both work, a wrong password does not', async () => {
    const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;
    const status = async (authorization: string) => (await fetch(`${daemon.apiUrl}/account`, { headers: { Authorization: authorization } })).status;
    expect(await status(basic(`:${daemon.apiKey}`))).toBe(200);
    expect(await status(basic(`heroku:${daemon.apiKey}`))).toBe(200);
    expect(await status(basic(`${daemon.apiKey}:`))).toBe(401);
    expect(await status(`Bearer ${daemon.apiKey}`)).toBe(200);

    // heroku-client authenticates with Basic `:token` only (it has no Bearer mode).
    const account = await heroku.get<{ email: string }>('/account');
    expect(account.email).toMatch(/@/);
  });

  it('PATCH /apps/:app (maintenance) and DELETE /apps/:app', async () => {
    const patched = await heroku.patch<App & { maintenance: boolean }>('/apps/pg-app-5', { body: { maintenance: true } });
    expect(patched.maintenance).toBe(true);
    const deleted = await heroku.delete<App>('/apps/pg-app-5');
    expect(deleted.name).toBe('pg-app-5');
    expect((await rejection(heroku.get('/apps/pg-app-5'))).statusCode).toBe(404);
  });
});
