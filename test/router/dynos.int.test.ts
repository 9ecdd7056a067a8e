// The router in front of real dynos on the real engine (fixtures/router-probe), with requests to 127.0.0.1 and a
// Host header: routing by host, Heroku's headers, random spread over 3 dynos, H10, H12, H13, H14, H27, H80, HTTPS
// with the local CA trusted, and the router line asserted for each.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, type AppJson } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { deploy, logMark, reportDeadDaemon, scale, SHORT_TIMINGS, waitForDynos, waitForLines } from '../dynos/helpers.js';

let daemon: TestDaemon;
let app: AppJson;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, options: { host?: string; headers?: Record<string, string>; abortAfterMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: daemon.ports.router, path, headers: { host: options.host ?? `${app.name}.localhost`, ...options.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (options.abortAfterMs !== undefined) setTimeout(() => req.destroy(), options.abortAfterMs);
    req.end();
  });
}

beforeAll(async () => {
  daemon = await startTestDaemon({
    env: { ...SHORT_TIMINGS, BERTH_ROUTER_REQUEST_TIMEOUT_MS: '1500', BERTH_CRASH_COOLOFF: '600' },
  });
  app = await createApp(daemon, 'rtr');
  await deploy(daemon, app.name, fixture('router-probe'));
  await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('the router and real dynos', () => {
  it("routes by Host to the app's dyno and writes Heroku's router line", async () => {
    const mark = logMark(daemon, app.id);
    const answer = await get('/');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('DYNO=web.1\n');
    await waitForLines(daemon, app.id, [
      new RegExp(
        `^heroku\\[router\\]: at=info method=GET path="/" host=${app.name}\\.localhost request_id=[0-9a-f-]{36} fwd="127\\.0\\.0\\.1" dyno=web\\.1 connect=\\d+ms service=\\d+ms status=200 bytes=\\d+ protocol=http1\\.1 tls=false$`,
      ),
    ], { afterSeq: mark });
    expect((await get('/', { host: 'nope.localhost' })).status).toBe(404);
  });

  it("adds Heroku's request headers, keeping a valid incoming X-Request-Id", async () => {
    const answer = await get('/headers', { headers: { 'x-forwarded-for': '203.0.113.7', 'x-request-id': 'abcdefghijklmnopqrst' } });
    const headers = JSON.parse(answer.body) as Record<string, string>;
    expect(headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-port']).toBe(String(daemon.ports.router));
    expect(headers['x-request-id']).toBe('abcdefghijklmnopqrst');
    expect(headers['x-request-start']).toMatch(/^\d{13}$/);
    expect(headers['via']).toBe('1.1 heroku-router');
  });

  it('spreads requests at random over 3 web dynos', async () => {
    await scale(daemon, app.name, [{ type: 'web', quantity: 3 }]);
    await waitForDynos(daemon, app.name, ['web.1', 'web.2', 'web.3'], 'up', { exact: true });
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const body = (await get('/')).body.trim();
      seen.set(body, (seen.get(body) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['DYNO=web.1', 'DYNO=web.2', 'DYNO=web.3']);
    await scale(daemon, app.name, [{ type: 'web', quantity: 1 }]);
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
  });

  it('answers HTTPS for <app>.localhost with a certificate the local CA signed', async () => {
    const ca = readFileSync(join(daemon.dataDir, 'tls', 'ca.pem'));
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: daemon.ports.routerTls, path: '/', servername: `${app.name}.localhost`, ca, headers: { host: `${app.name}.localhost` } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('DYNO=web.1\n');
    await waitForLines(daemon, app.id, [/^heroku\[router\]: at=info method=GET path="\/" .* status=200 .* tls=true tls_version=tls1\.3$/]);
  });

  it('H12 when the dyno does not answer within the request timeout', async () => {
    const answer = await get('/sleep?s=4');
    expect(answer.status).toBe(503);
    await waitForLines(daemon, app.id, [/^heroku\[router\]: at=error code=H12 desc="Request timeout" method=GET path="\/sleep\?s=4" .* dyno=web\.1 .* status=503 /]);
  });

  it('H13 when the dyno hangs up without an answer', async () => {
    const answer = await get('/close');
    expect(answer.status).toBe(503);
    await waitForLines(daemon, app.id, [/^heroku\[router\]: at=error code=H13 desc="Connection closed without response" method=GET path="\/close" /]);
  });

  it('H27 when the client goes away before the answer', async () => {
    await get('/sleep?s=1', { abortAfterMs: 200 }).catch(() => undefined);
    await waitForLines(daemon, app.id, [/^heroku\[router\]: sock=client at=warning code=H27 desc="Client Request Interrupted" method=GET path="\/sleep\?s=1" .* status=499 /]);
  });

  it('H80 in maintenance mode', async () => {
    await api(daemon, 'PATCH', `/apps/${app.name}`, { maintenance: true });
    const answer = await get('/');
    expect(answer.status).toBe(503);
    await waitForLines(daemon, app.id, [/^heroku\[router\]: at=info code=H80 desc="Maintenance mode" method=GET path="\/" /]);
    await api(daemon, 'PATCH', `/apps/${app.name}`, { maintenance: false });
    expect((await get('/')).status).toBe(200);
  });

  it('H14 with no web dynos', async () => {
    await scale(daemon, app.name, [{ type: 'web', quantity: 0 }]);
    const answer = await get('/');
    expect(answer.status).toBe(503);
    await waitForLines(daemon, app.id, [/^heroku\[router\]: at=error code=H14 desc="No web processes running" method=GET path="\/" /]);
  });

  it('H10 when every web dyno has crashed', async () => {
    await api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, { CRASH_ON_BOOT: '1' });
    await scale(daemon, app.name, [{ type: 'web', quantity: 1 }]);
    await waitForDynos(daemon, app.name, ['web.1'], 'crashed', { exact: true });
    const answer = await get('/');
    expect(answer.status).toBe(503);
    await waitForLines(daemon, app.id, [/^heroku\[router\]: at=error code=H10 desc="App crashed" method=GET path="\/" /]);
  });
});
