// Who gets in: a one-time link is good once and for 5 minutes; the API key gives a session too; the API takes a
// session's cookie only with the dashboard's header (no other origin can send it); `/` is a shell with no data.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/index.js';
import { DashboardSessions } from '../../src/dashboard/index.js';
import { API_KEY, platform } from '../support/platform.js';

describe('DashboardSessions', () => {
  it('a link is spent on first use, and expires after 5 minutes', () => {
    const sessions = new DashboardSessions(() => 'key');
    const token = sessions.link(0);
    expect(sessions.redeem(token, 1000)).toEqual(expect.any(String));
    expect(sessions.redeem(token, 1000)).toBeUndefined();
    expect(sessions.redeem(sessions.link(0), 5 * 60 * 1000 + 1)).toBeUndefined();
    expect(sessions.redeem('made-up')).toBeUndefined();
  });

  it('the API key opens a session; another string does not', () => {
    const sessions = new DashboardSessions(() => 'the-key');
    expect(sessions.login('the-key')).toEqual(expect.any(String));
    expect(sessions.login('the-kez')).toBeUndefined();
  });

  it('admits a live session only with the dashboard header', () => {
    const sessions = new DashboardSessions(() => 'k');
    const id = sessions.login('k', 0) ?? '';
    expect(sessions.admits(`a=b; berth_session=${id}`, '1', 1)).toBe(true);
    expect(sessions.admits(`berth_session=${id}`, undefined, 1)).toBe(false);
    expect(sessions.admits(`berth_session=other`, '1', 1)).toBe(false);
    expect(sessions.admits(`berth_session=${id}`, '1', 13 * 60 * 60 * 1000)).toBe(false);
  });
});

describe('the dashboard on the API server', () => {
  it('over plain HTTP: the page redirects to the HTTPS port, the sign-ins refuse (a link is not spent), a session cookie is not taken', async () => {
    const p = await platform();
    const sessions = new DashboardSessions(() => API_KEY);
    const api = await buildApi(p.services, { apiKey: API_KEY, logger: pino({ level: 'silent' }), dashboard: { sessions, publicUrl: 'https://127.0.0.1:5101' } });
    try {
      // inject() is plain HTTP, as the daemon's HTTP port is.
      const shell = await api.inject({ method: 'GET', url: '/' });
      expect([shell.statusCode, shell.headers.location]).toEqual([308, 'https://127.0.0.1:5101/']);
      expect((await api.inject({ method: 'GET', url: '/dashboard/app.js' })).headers.location).toBe('https://127.0.0.1:5101/dashboard/app.js');

      expect((await api.inject({ method: 'POST', url: '/berth/dashboard/links' })).statusCode).toBe(401);
      const made = await api.inject({ method: 'POST', url: '/berth/dashboard/links', headers: { authorization: `Bearer ${API_KEY}` } });
      const { url } = made.json<{ url: string }>();
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:5101\/dashboard\/login\/[\w-]+$/);
      const refused = await api.inject({ method: 'GET', url: new URL(url).pathname });
      expect([refused.statusCode, refused.headers['set-cookie'], refused.body]).toEqual([
        403,
        undefined,
        'The dashboard signs in over HTTPS only: open https://127.0.0.1:5101/ (its certificate is the local CA\'s; run `berth dashboard` for a link there).\n',
      ]);
      // The link is still good (on the HTTPS port).
      expect(sessions.redeem(new URL(url).pathname.split('/').at(-1) ?? '')).toEqual(expect.any(String));

      const byKey = await api.inject({ method: 'POST', url: '/dashboard/login', payload: { key: API_KEY } });
      expect([byKey.statusCode, byKey.headers['set-cookie']]).toEqual([403, undefined]);

      // A live session's cookie, with the page's header, is not taken over HTTP; the API key is, and JSON is unchanged.
      const session = `berth_session=${sessions.login(API_KEY) ?? ''}`;
      expect((await api.inject({ method: 'GET', url: '/apps', headers: { cookie: session, 'x-berth-dashboard': '1' } })).statusCode).toBe(401);
      const apps = await api.inject({ method: 'GET', url: '/apps', headers: { authorization: `Bearer ${API_KEY}` } });
      expect([apps.statusCode, apps.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
    } finally {
      await api.close();
      await p.close();
    }
  });
});
