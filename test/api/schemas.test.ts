// The API edge: every route family answers malformed input with Heroku's invalid_params (422) naming the field, and
// still takes what the real heroku CLI and heroku-client send (strings for numbers, nulls, empty bodies).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
  await h.request('POST', '/apps', { name: 'demo' });
});
afterEach(async () => {
  await h.close();
});

type Json = Record<string, unknown>;

/** A 422 in Heroku's shape, exactly: `{id, message}` and nothing of Fastify's `{statusCode, code, error}`. */
async function expectInvalid(method: 'POST' | 'PATCH' | 'DELETE' | 'GET', url: string, body: unknown, message: string): Promise<void> {
  const res = await h.request(method, url, body);
  expect(res.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(422);
  expect(res.body).toEqual({ id: 'invalid_params', message });
}

describe('schema failures in Heroku shape, naming the field', () => {
  it('apps', async () => {
    await expectInvalid('POST', '/apps', { name: { first: 'x' } }, 'name must be a string or null.');
    await expectInvalid('POST', '/apps', [], 'body must be an object or null.');
    await expectInvalid('PATCH', '/apps/demo', { maintenance: 'maybe' }, 'maintenance must be true or false.');
    await expectInvalid('PATCH', '/apps/demo', { build_stack: ['heroku-24'] }, 'build_stack must be a string or an object.');
  });

  it('config vars', async () => {
    await expectInvalid('PATCH', '/apps/demo/config-vars', { FOO: { nested: 1 } }, 'FOO must be a string or null.');
    await expectInvalid('PATCH', '/apps/demo/config-vars', { FOO: ['x'] }, 'FOO must be a string or null.');
    await expectInvalid('PATCH', '/apps/demo/config-vars', ['FOO'], 'body must be an object or null.');
    // The name rule is the service's, from the catalogue.
    const bad = await h.request('PATCH', '/apps/demo/config-vars', { 'FOO-BAR': 'x' });
    expect(bad.body).toEqual({
      id: 'invalid_params',
      message: 'Invalid config var name: "FOO-BAR". Names must start with a letter or underscore and contain only letters, digits and underscores.',
    });
  });

  it('releases', async () => {
    await expectInvalid('POST', '/apps/demo/releases', { slug: { id: 'x' } }, 'slug must be a string.');
    await expectInvalid('POST', '/apps/demo/releases', { release: ['v1'] }, 'release must be a string.');
    const neither = await h.request('POST', '/apps/demo/releases', {});
    expect(neither.body).toEqual({ id: 'invalid_params', message: 'Give either slug (a slug id) or release (a release id or version to roll back to).' });
  });

  it('builds and buildpack installations', async () => {
    await expectInvalid('POST', '/apps/demo/builds', {}, 'source_blob is required.');
    await expectInvalid('POST', '/apps/demo/builds', { source_blob: {} }, 'source_blob.url is required.');
    await expectInvalid('POST', '/apps/demo/builds', { source_blob: { url: '' } }, "source_blob.url can't be blank.");
    await expectInvalid('POST', '/apps/demo/builds', { source_blob: { url: 'http://x/y.tgz', checksum: {} } }, 'source_blob.checksum must be a string or null.');
    await expectInvalid('POST', '/apps/demo/builds', { source_blob: { url: 'http://x/y.tgz' }, buildpacks: [{ url: '' }] }, "buildpacks[0].url can't be blank.");
    await expectInvalid('POST', '/apps/demo/builds', { source_blob: { url: 'http://x/y.tgz' }, buildpacks: [{ other: 'x' }] }, 'buildpacks[0].url is required.');
    const put = await h.api.inject({
      method: 'PUT',
      url: '/apps/demo/buildpack-installations',
      headers: { authorization: 'Bearer test-key-0123456789', 'content-type': 'application/json' },
      payload: { updates: [{ buildpack: 42 }] },
    });
    // 42 is taken as its text, as Heroku does; a missing list is not.
    expect(put.statusCode).toBe(200);
    const missing = await h.api.inject({
      method: 'PUT',
      url: '/apps/demo/buildpack-installations',
      headers: { authorization: 'Bearer test-key-0123456789', 'content-type': 'application/json' },
      payload: {},
    });
    expect([missing.statusCode, missing.json()]).toEqual([422, { id: 'invalid_params', message: 'updates is required.' }]);
  });

  it('formation', async () => {
    await expectInvalid('PATCH', '/apps/demo/formation', {}, 'updates is required.');
    await expectInvalid('PATCH', '/apps/demo/formation', { updates: [] }, "updates can't be empty.");
    await expectInvalid('PATCH', '/apps/demo/formation', { updates: [{ quantity: 1 }] }, 'updates[0].type is required.');
    await expectInvalid('PATCH', '/apps/demo/formation', { updates: [{ type: 'web', quantity: [2] }] }, 'updates[0].quantity must be an integer or a string.');
    await expectInvalid('PATCH', '/apps/demo/formation', { updates: [{ type: 'web', size: ['Basic'] }] }, 'updates[0].size must be a string or an object.');
    await expectInvalid('PATCH', '/apps/demo/formation/web', { quantity: { n: 1 } }, 'quantity must be an integer or a string.');
  });

  it('dynos', async () => {
    await expectInvalid('POST', '/apps/demo/dynos', {}, 'command is required.');
    await expectInvalid('POST', '/apps/demo/dynos', { command: '   ' }, "command can't be blank.");
    await expectInvalid('POST', '/apps/demo/dynos', { command: 'echo', env: ['A=1'] }, 'env must be an object.');
    await expectInvalid('POST', '/apps/demo/dynos', { command: 'echo', env: { A: { b: 1 } } }, 'env.A must be a string.');
    await expectInvalid('POST', '/apps/demo/dynos', { command: 'echo', attach: 'sometimes' }, 'attach must be true or false or null.');
  });

  it('log sessions and drains', async () => {
    await expectInvalid('POST', '/apps/demo/log-sessions', { lines: -1 }, 'lines must be at least 0.');
    await expectInvalid('POST', '/apps/demo/log-sessions', { lines: 'many' }, 'lines must be an integer or null.');
    await expectInvalid('POST', '/apps/demo/log-sessions', { tail: 'often' }, 'tail must be true or false or null.');
    await expectInvalid('POST', '/apps/demo/log-drains', {}, 'url is required.');
    await expectInvalid('POST', '/apps/demo/log-drains', { url: '' }, "url can't be blank.");
  });

  it('domains', async () => {
    await expectInvalid('POST', '/apps/demo/domains', { sni_endpoint: null }, 'hostname is required.');
    await expectInvalid('POST', '/apps/demo/domains', { hostname: ['a.example.test'] }, 'hostname must be a string.');
  });

  it('a body that is not JSON is a 400 bad_request; an unknown route a 404 in Heroku shape', async () => {
    const res = await h.request('POST', '/apps', '{"name": ');
    expect([res.status, res.body]).toEqual([400, { id: 'bad_request', message: 'Request body must be valid JSON.' }]);
    const none = await h.request('GET', '/no/such/route');
    expect(none.status).toBe(404);
    expect((none.body as Json)['id']).toBe('not_found');
  });
});

describe('what real clients send is accepted', () => {
  it('apps:create with no body, an empty JSON body, or null', async () => {
    expect((await h.request('POST', '/apps', '')).status).toBe(201);
    expect((await h.request('POST', '/apps', 'null')).status).toBe(201);
    expect((await h.request('POST', '/apps', { name: 'named', region: null, stack: 'heroku-24' })).status).toBe(201);
    expect((await h.request('POST', '/apps', { name: 'named2', stack: { name: 'heroku-24' } })).status).toBe(201);
  });

  it('config:set with numbers and booleans (as text) and config:unset with null', async () => {
    const set = await h.request('PATCH', '/apps/demo/config-vars', { A: '1', B: 2, C: true, D: null });
    expect([set.status, set.body]).toEqual([200, { A: '1', B: '2', C: 'true' }]);
    const unset = await h.request('PATCH', '/apps/demo/config-vars', { A: null });
    expect(unset.body).toEqual({ B: '2', C: 'true' });
  });

  it('ps:scale quantities as strings, relative or absolute, reach the dyno manager', async () => {
    // No release yet, so no web process type: the answer is the dyno manager's 404, not a schema failure.
    for (const quantity of ['2', '+1', 2]) {
      const res = await h.request('PATCH', '/apps/demo/formation', { updates: [{ type: 'web', quantity, size: 'Basic' }] });
      expect(res.body, String(quantity)).toEqual({ id: 'not_found', message: "Couldn't find that process type (web).", resource: 'formation' });
    }
    const single = await h.request('PATCH', '/apps/demo/formation/web', { quantity: '1', dyno_size: { name: 'Basic' } });
    expect((single.body as Json)['message']).toBe("Couldn't find that process type (web).");
  });

  it('logs with lines and tail as strings, and the CLI’s dyno field', async () => {
    const res = await h.request('POST', '/apps/demo/log-sessions', { dyno: 'web.1', lines: '100', source: 'app', tail: 'true' });
    expect(res.status).toBe(201);
  });

  it('run:detached with the CLI’s env (COLUMNS and LINES as numbers)', async () => {
    // No release: the one-off dyno is refused by the dyno manager, after the schema let the body through.
    const res = await h.request('POST', '/apps/demo/dynos', {
      attach: false,
      command: 'echo hi',
      env: { COLUMNS: 80, LINES: 24, TERM: 'xterm' },
      force_no_tty: null,
      type: 'run',
    });
    expect(res.body).toEqual({ id: 'invalid_params', message: 'This app has no release to run yet: deploy it first.' });
  });

  it('restarts with a body and GETs with an empty JSON body', async () => {
    expect((await h.request('DELETE', '/apps/demo/dynos', { anything: true })).status).toBe(202);
    expect((await h.request('GET', '/apps/demo', '')).status).toBe(200);
  });
});

describe('errors that are not the schema’s', () => {
  it('a body over the limit is a 413, a content type nobody reads a 415, both in Heroku shape', async () => {
    const big = await h.request('PATCH', '/apps/demo/config-vars', JSON.stringify({ A: 'x'.repeat(1024 * 1024 + 10) }));
    expect([big.status, big.body]).toEqual([413, { id: 'payload_too_large', message: 'Request body is larger than the limit of 1048576 bytes.' }]);
    const text = await h.api.inject({
      method: 'POST',
      url: '/apps',
      headers: { authorization: 'Bearer test-key-0123456789', 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=demo',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toEqual({ id: 'unsupported_media_type', message: 'Unsupported Content-Type: application/x-www-form-urlencoded.' });
  });

  it('anything unexpected is a 500 that tells nothing of the inside', async () => {
    const fresh = await harness();
    try {
      fresh.api.get('/boom', async () => {
        throw new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed: apps.name at /var/lib/berth/berth.db');
      });
      const res = await fresh.request('GET', '/boom');
      expect([res.status, res.body]).toEqual([500, { id: 'internal_server_error', message: 'An unexpected error occurred.' }]);
    } finally {
      await fresh.close();
    }
  });
});
