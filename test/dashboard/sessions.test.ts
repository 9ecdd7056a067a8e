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
  it('serves the page shell at /, signs in by link, and lets the session read the API only with its header', async () => {
    const p = await platform();
    const sessions = new DashboardSessions(() => API_KEY);
    const api = await buildApi(p.services, { apiKey: API_KEY, logger: pino({ level: 'silent' }), dashboard: { sessions, publicUrl: 'http://127.0.0.1:5100' } });
    try {
      const shell = await api.inject({ method: 'GET', url: '/' });
      expect(shell.statusCode).toBe(200);
      expect(shell.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(shell.body).toContain('<script type="module" src="/dashboard/app.js"></script>');

      expect((await api.inject({ method: 'POST', url: '/berth/dashboard/links' })).statusCode).toBe(401);
      const made = await api.inject({ method: 'POST', url: '/berth/dashboard/links', headers: { authorization: `Bearer ${API_KEY}` } });
      const { url } = made.json<{ url: string }>();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:5100\/dashboard\/login\/[\w-]+$/);
      const path = new URL(url).pathname;
      const login = await api.inject({ method: 'GET', url: path });
      expect([login.statusCode, login.headers.location]).toEqual([303, '/']);
      const cookie = String(login.headers['set-cookie']);
      expect(cookie).toMatch(/^berth_session=[\w-]+; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=43200$/);
      expect((await api.inject({ method: 'GET', url: path })).statusCode).toBe(403);

      const session = cookie.split(';')[0] ?? '';
      expect((await api.inject({ method: 'GET', url: '/apps', headers: { cookie: session, 'x-berth-dashboard': '1' } })).statusCode).toBe(200);
      expect((await api.inject({ method: 'GET', url: '/apps', headers: { cookie: session } })).statusCode).toBe(401);

      const byKey = await api.inject({ method: 'POST', url: '/dashboard/login', payload: { key: API_KEY } });
      expect(byKey.statusCode).toBe(204);
      expect(String(byKey.headers['set-cookie'])).toMatch(/^berth_session=/);
      expect((await api.inject({ method: 'POST', url: '/dashboard/login', payload: { key: 'nope' } })).statusCode).toBe(401);
    } finally {
      await api.close();
      await p.close();
    }
  });
});
