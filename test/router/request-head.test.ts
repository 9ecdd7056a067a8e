// The router's pure parts: the Host it routes by, the headers a dyno gets (Heroku's X-Forwarded-*, X-Request-Id,
// Via; hop-by-hop dropped), Heroku's request limits, the routing decision, and the router log line.
import { describe, expect, it } from 'vitest';
import type { AppRoute } from '../../src/contracts/routing.js';
import { CODES } from '../../src/router/codes.js';
import { formatRouterLine, type RouterLogRecord } from '../../src/router/log-line.js';
import { hostOf, MAX_HEADER_NAME, MAX_HEADERS, readRequestHead } from '../../src/router/request-head.js';
import { decide, type Backend } from '../../src/router/targets.js';

const HTTP = { proto: 'http', port: '5000' };

/** The dyno's headers as a map (last wins), for reading. */
function forDyno(raw: string[], keepUpgrade = false, remote = '10.0.0.9') {
  const head = readRequestHead(raw, remote, HTTP, keepUpgrade);
  const map = new Map<string, string>();
  for (let i = 0; i < head.headers.length; i += 2) map.set((head.headers[i] as string).toLowerCase(), head.headers[i + 1] as string);
  return { head, map };
}

describe('hostOf', () => {
  it.each([
    ['Demo.LocalHost:5000', 'demo.localhost'],
    ['demo.localhost', 'demo.localhost'],
    ['demo.localhost.', 'demo.localhost'],
    ['demo.localhost.:5000', 'demo.localhost'],
    ['[::1]:5000', '[::1]'],
    ['WWW.Example.COM', 'www.example.com'],
    ['', ''],
  ])('%j → %j', (value, host) => {
    expect(hostOf(value)).toBe(host);
  });
});

describe('the request a dyno gets', () => {
  it('routes by the first Host and passes it on', () => {
    const { head, map } = forDyno(['Host', 'Demo.localhost:5000', 'Host', 'other.localhost']);
    expect(head.host).toBe('demo.localhost');
    expect(map.get('host')).toBe('other.localhost');
  });

  it('X-Forwarded-For: the client’s list with the client’s address appended; the log’s fwd without spaces', () => {
    const { head, map } = forDyno(['X-Forwarded-For', '80.187.107.115, 167.82.231.29'], false, '127.0.0.1');
    expect(map.get('x-forwarded-for')).toBe('80.187.107.115, 167.82.231.29, 127.0.0.1');
    expect(head.fwd).toBe('80.187.107.115,167.82.231.29,127.0.0.1');
  });

  it('X-Forwarded-For of a client that sent none is its address', () => {
    const { head, map } = forDyno([], false, '127.0.0.5');
    expect(map.get('x-forwarded-for')).toBe('127.0.0.5');
    expect(head.fwd).toBe('127.0.0.5');
  });

  it('X-Forwarded-Proto, -Port and X-Request-Start are the router’s own, never the client’s', () => {
    const before = Date.now();
    const { map } = forDyno(['X-Forwarded-Proto', 'https', 'X-Forwarded-Port', '443', 'X-Request-Start', '1']);
    expect(map.get('x-forwarded-proto')).toBe('http');
    expect(map.get('x-forwarded-port')).toBe('5000');
    expect(Number(map.get('x-request-start'))).toBeGreaterThanOrEqual(before);
  });

  it('keeps a client’s X-Request-Id of 20 to 200 safe characters, else makes a UUID', () => {
    const good = 'abcdefghij0123456789-+/=';
    expect(forDyno(['X-Request-Id', good]).head.requestId).toBe(good);
    const short = forDyno(['X-Request-Id', 'short']).head.requestId;
    expect(short).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(forDyno(['X-Request-Id', 'has spaces in it, which is not allowed']).head.requestId).not.toContain(' ');
  });

  it('appends `1.1 heroku-router` to Via', () => {
    expect(forDyno([]).map.get('via')).toBe('1.1 heroku-router');
    expect(forDyno(['Via', '1.1 cdn']).map.get('via')).toBe('1.1 cdn, 1.1 heroku-router');
  });

  it('drops hop-by-hop headers and the ones Connection names; keeps the rest', () => {
    const { map } = forDyno(['Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Trailer', 'x', 'Expect', '100-continue', 'Connection', 'X-Secret, close', 'X-Secret', 's', 'Accept', 'text/html']);
    for (const name of ['keep-alive', 'te', 'trailer', 'expect', 'connection', 'x-secret']) expect(map.has(name), name).toBe(false);
    expect(map.get('accept')).toBe('text/html');
  });

  it('keeps Connection and Upgrade for a WebSocket handshake', () => {
    const { map } = forDyno(['Connection', 'Upgrade', 'Upgrade', 'websocket'], true);
    expect(map.get('connection')).toBe('Upgrade');
    expect(map.get('upgrade')).toBe('websocket');
  });

  it.each([
    [['Content-Length', '12'], true],
    [['Content-Length', '0'], false],
    [['Transfer-Encoding', 'chunked'], true],
    [[], false],
  ])('%j has a body: %s', (raw, hasBody) => {
    expect(forDyno(raw as string[]).head.hasBody).toBe(hasBody);
  });

  it('breaks Heroku’s limits: a header name over 1000 bytes, a header line over 8192, more than 1000 headers', () => {
    expect(forDyno(['X'.repeat(MAX_HEADER_NAME + 1), 'v']).head.invalid).toBe(true);
    expect(forDyno(['X-Big', 'v'.repeat(8192)]).head.invalid).toBe(true);
    expect(forDyno(Array.from({ length: (MAX_HEADERS + 1) * 2 }, (_, i) => (i % 2 === 0 ? `X-H${i}` : 'v'))).head.invalid).toBe(true);
    expect(forDyno(['X'.repeat(MAX_HEADER_NAME), 'v'.repeat(100)]).head.invalid).toBe(false);
  });
});

describe('the routing decision', () => {
  const route = (over: Partial<AppRoute> = {}): AppRoute => ({ appId: 'a', appName: 'demo', hosts: ['demo.localhost'], maintenance: false, webQuantity: 1, dynos: [], ...over });
  const backend = { name: 'web.1', port: 1 } as unknown as Backend;

  it.each([
    ['maintenance mode, even with dynos up', { route: route({ maintenance: true }), up: [backend], waiting: false }, 'H80'],
    ['web scaled to 0', { route: route({ webQuantity: 0 }), up: [], waiting: false }, 'H14'],
    ['a web dyno is up', { route: route(), up: [backend], waiting: false }, undefined],
    ['none up, one starting', { route: route(), up: [], waiting: true }, 'wait'],
    ['none up, none starting (all crashed)', { route: route(), up: [], waiting: false }, 'H10'],
  ])('%s → %s', (_what, target, decision) => {
    expect(decide(target)).toBe(decision);
  });
});

describe('the router log line', () => {
  const base: RouterLogRecord = {
    code: undefined,
    method: 'GET',
    path: '/',
    host: 'demo.localhost',
    requestId: 'f1a2',
    fwd: '127.0.0.1',
    dyno: 'web.1',
    connect: 0,
    service: 12,
    status: 200,
    bytes: 512,
    tls: 'tls=false',
  };

  it('a served request: at=info and every field in Heroku’s order', () => {
    expect(formatRouterLine(base)).toBe(
      'at=info method=GET path="/" host=demo.localhost request_id=f1a2 fwd="127.0.0.1" dyno=web.1 connect=0ms service=12ms status=200 bytes=512 protocol=http1.1 tls=false',
    );
  });

  it('an error: at=error code= desc=, with empty fields for what never happened', () => {
    expect(formatRouterLine({ ...base, code: 'H14', dyno: '', connect: -1, service: -1, status: 503, bytes: -1 })).toBe(
      'at=error code=H14 desc="No web processes running" method=GET path="/" host=demo.localhost request_id=f1a2 fwd="127.0.0.1" dyno= connect= service= status=503 bytes= protocol=http1.1 tls=false',
    );
  });

  it.each([
    ['H27', 'sock=client at=warning code=H27 desc="Client Request Interrupted"'],
    ['H18', 'sock=backend at=error code=H18 desc="Server Request Interrupted"'],
    ['H80', 'at=info code=H80 desc="Maintenance mode"'],
  ] as const)('%s starts %j', (code, head) => {
    expect(formatRouterLine({ ...base, code, status: CODES[code].status })).toMatch(new RegExp(`^${head.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} method=`));
  });

  it('clients get 499 for H27 and 503 for every other error code', () => {
    for (const [code, info] of Object.entries(CODES)) expect(info.status, code).toBe(code === 'H27' ? 499 : 503);
  });
});
