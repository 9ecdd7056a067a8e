// The log-sessions and log-drains routes through the real API (fastify inject; no socket).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../api/harness.js';
import { SseParser } from '../../src/logs/index.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
  expect((await h.request('POST', '/apps', { name: 'demo' })).status).toBe(201);
});
afterEach(async () => {
  await h.close();
});

type Json = Record<string, unknown>;

describe('POST /apps/{app}/log-sessions', () => {
  it('answers {id, logplex_url, created_at, updated_at} with a secret URL that streams without auth', async () => {
    const res = await h.request('POST', '/apps/demo/log-sessions', { dyno: 'web', source: 'app', lines: 20, tail: false });
    expect(res.status).toBe(201);
    const body = res.body as Json;
    expect(Object.keys(body).sort()).toEqual(['created_at', 'id', 'logplex_url', 'updated_at']);
    expect(body['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const url = new URL(String(body['logplex_url']));
    expect(url.origin).toBe('http://127.0.0.1:5100');
    expect(url.pathname).toMatch(new RegExp(`^/streams/logs/${String(body['id'])}/[A-Za-z0-9_-]{20,}$`));

    const stream = await h.api.inject({ method: 'GET', url: url.pathname, headers: { accept: 'text/event-stream' } });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
  });

  it('streams the app[api] lines that creating the app and setting config wrote, with the schema fields too', async () => {
    await h.request('PATCH', '/apps/demo/config-vars', { FOO: 'bar' });
    const read = async (body: Json) => {
      const session = (await h.request('POST', '/apps/demo/log-sessions', body)).body as Json;
      const stream = await h.api.inject({ method: 'GET', url: new URL(String(session['logplex_url'])).pathname });
      return new SseParser().push(stream.body).map((event) => event.data.replace(/^\S+ /, ''));
    };
    const all = await read({ lines: 100 });
    expect(all).toEqual([
      'app[api]: Initial release by user dev@example.test',
      'app[api]: Release v1 created by user dev@example.test',
      'app[api]: Enable Logplex by user dev@example.test',
      'app[api]: Release v2 created by user dev@example.test',
      'app[api]: Set FOO config vars by user dev@example.test',
      'app[api]: Release v3 created by user dev@example.test',
    ]);
    expect(await read({ lines: 2 })).toEqual(all.slice(-2));
    expect(await read({ dyno_name: 'api' })).toEqual(all);
    expect(await read({ type: 'web' })).toEqual([]);
    expect(await read({ source: 'heroku' })).toEqual([]);
    expect(await read({ source: 'app', lines: '1' })).toEqual(all.slice(-1));
  });

  it('404s for an unknown app, 422 for bad input, and the stream URL 404s with a wrong secret', async () => {
    expect((await h.request('POST', '/apps/nope/log-sessions', {})).status).toBe(404);
    expect((await h.request('POST', '/apps/demo/log-sessions', { lines: -1 })).status).toBe(422);
    expect((await h.request('POST', '/apps/demo/log-sessions', { lines: 'many' })).status).toBe(422);
    expect((await h.request('POST', '/apps/demo/log-sessions', { dyno: { name: 'web.1' } })).status).toBe(422);
    const session = (await h.request('POST', '/apps/demo/log-sessions', {})).body as Json;
    const wrong = await h.api.inject({ method: 'GET', url: `/streams/logs/${String(session['id'])}/wrong` });
    expect(wrong.statusCode).toBe(404);
    expect(JSON.parse(wrong.body)).toMatchObject({ id: 'not_found' });
  });

  it('the session API needs the key; only the stream URL is public', async () => {
    const res = await h.api.inject({ method: 'POST', url: '/apps/demo/log-sessions', payload: {} });
    expect(res.statusCode).toBe(401);
  });
});

describe('/apps/{app}/log-drains', () => {
  it('adds, lists, shows and removes drains (by id, url or token) in the schema shape', async () => {
    const added = await h.request('POST', '/apps/demo/log-drains', { url: 'https://user:pass@logs.example.com/drain' });
    expect(added.status).toBe(201);
    const drain = added.body as Json;
    expect(drain).toMatchObject({ url: 'https://user:pass@logs.example.com/drain', addon: null, app: { name: 'demo' } });
    expect(drain['token']).toMatch(/^d\.[0-9a-f-]{36}$/);
    expect(Object.keys(drain).sort()).toEqual(['addon', 'app', 'created_at', 'id', 'token', 'updated_at', 'url']);
    await h.request('POST', '/apps/demo/log-drains', { url: 'syslog://logs.example.com:514' });
    await h.request('POST', '/apps/demo/log-drains', { url: 'syslog+tls://logs.example.com:6514' });
    const list = (await h.request('GET', '/apps/demo/log-drains')).body as Json[];
    expect(list.map((d) => d['url'])).toEqual(['https://user:pass@logs.example.com/drain', 'syslog://logs.example.com:514', 'syslog+tls://logs.example.com:6514']);
    expect(((await h.request('GET', `/apps/demo/log-drains/${String(drain['id'])}`)).body as Json)['token']).toBe(drain['token']);

    expect((await h.request('DELETE', `/apps/demo/log-drains/${encodeURIComponent('syslog://logs.example.com:514')}`)).status).toBe(200);
    expect((await h.request('DELETE', `/apps/demo/log-drains/${String(drain['token'])}`)).status).toBe(200);
    const removed = await h.request('DELETE', `/apps/demo/log-drains/${String(list[2]?.['id'])}`);
    expect((removed.body as Json)['url']).toBe('syslog+tls://logs.example.com:6514');
    expect((await h.request('GET', '/apps/demo/log-drains')).body).toEqual([]);
    const gone = await h.request('DELETE', `/apps/demo/log-drains/${String(drain['id'])}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ id: 'not_found', resource: 'log-drain' });
  });

  it('422 for an invalid or duplicate URL and beyond 5 drains', async () => {
    for (const url of ['not a url', 'ftp://example.com/x', 'syslog://no-port.example.com', '', 7]) {
      const res = await h.request('POST', '/apps/demo/log-drains', { url });
      expect(res.status, String(url)).toBe(422);
      expect(res.body).toMatchObject({ id: 'invalid_params' });
    }
    for (let i = 0; i < 5; i++) expect((await h.request('POST', '/apps/demo/log-drains', { url: `https://logs.example.com/${i}` })).status).toBe(201);
    expect((await h.request('POST', '/apps/demo/log-drains', { url: 'https://logs.example.com/0' })).status).toBe(422);
    const sixth = await h.request('POST', '/apps/demo/log-drains', { url: 'https://logs.example.com/5' });
    expect(sixth.status).toBe(422);
    expect(JSON.stringify(sixth.body)).toMatch(/5/);
  });
});
