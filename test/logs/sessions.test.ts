import { request as httpRequest, createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { formatLogLine, Logplex, LogSessions, SseParser, type LogSessionsOptions } from '../../src/logs/index.js';
import { Store } from '../../src/store/index.js';
import { readSse } from './support.js';

interface Setup {
  store: Store;
  logplex: Logplex;
  sessions: LogSessions;
  server: Server;
  origin: string;
}

let current: Setup | undefined;

async function setup(options: Partial<LogSessionsOptions> = {}): Promise<Setup> {
  const store = new Store({ file: ':memory:', logHistoryLines: 1500 });
  for (const [id, name] of [['a1', 'demo'], ['a2', 'other']] as const) store.apps.insert({ id, name, createdAt: 't', stack: 'heroku-24', region: 'us' });
  const logplex = new Logplex(store);
  let origin = '';
  const sessions = new LogSessions(logplex, { url: (id, secret) => `${origin}/s/${id}/${secret}`, ...options });
  const server = createServer((req, res) => {
    const [, , id = '', secret = ''] = (req.url ?? '').split('/');
    const session = sessions.find(id, secret);
    if (session === undefined) return void res.writeHead(404).end('{"id":"not_found"}');
    sessions.stream(session, res, req.headers['last-event-id']);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  current = { store, logplex, sessions, server, origin };
  return current;
}

afterEach(async () => {
  if (!current) return;
  const { sessions, server, store } = current;
  current = undefined;
  sessions.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  store.close();
});

const messages = (lines: readonly string[]) => lines.map((line) => line.replace(/^\S+ /, ''));

function seed(logplex: Logplex): void {
  logplex.write('a1', 'app', 'api', 'Release v1 created by user dev@example.test');
  logplex.write('a1', 'heroku', 'web.1', 'State changed from starting to up');
  logplex.write('a1', 'app', 'web.1', 'listening on 5000');
  logplex.write('a1', 'app', 'web.2', 'listening too');
  logplex.write('a1', 'app', 'webhook.1', 'not a web dyno');
  logplex.write('a2', 'app', 'web.1', 'another app');
  logplex.flush();
}

describe('log sessions over server-sent events', () => {
  it('answers 200 text/event-stream, sends the newest lines of history, and ends without tail', async () => {
    const { logplex, sessions } = await setup();
    seed(logplex);
    const read = await readSse(sessions.create('a1', { lines: 3 }).url);
    expect(read.status).toBe(200);
    expect(read.contentType).toMatch(/^text\/event-stream/);
    expect(read.ended).toBe(true);
    expect(read.retry).toBeUndefined();
    expect(messages(read.lines)).toEqual(['app[web.1]: listening on 5000', 'app[web.2]: listening too', 'app[webhook.1]: not a web dyno']);
    expect(read.lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 app\[web\.1\]: listening on 5000$/);
    // Ids are the store's seq: increasing.
    const ids = read.events.map((event) => Number(event.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('filters by source, by dyno name and by process type (web matches web.1, not webhook.1)', async () => {
    const { logplex, sessions } = await setup();
    seed(logplex);
    const read = async (filter: { source?: string; dyno?: string }) => messages((await readSse(sessions.create('a1', filter).url)).lines);
    expect(await read({ source: 'heroku' })).toEqual(['heroku[web.1]: State changed from starting to up']);
    expect(await read({ dyno: 'web' })).toEqual([
      'heroku[web.1]: State changed from starting to up',
      'app[web.1]: listening on 5000',
      'app[web.2]: listening too',
    ]);
    expect(await read({ dyno: 'web.2' })).toEqual(['app[web.2]: listening too']);
    expect(await read({ source: 'app', dyno: 'web' })).toEqual(['app[web.1]: listening on 5000', 'app[web.2]: listening too']);
    expect(await read({ dyno: 'worker' })).toEqual([]);
    expect(await read({ source: 'app', dyno: 'api' })).toEqual(['app[api]: Release v1 created by user dev@example.test']);
  });

  it('caps history at 1500 lines and defaults to 100', async () => {
    const { logplex, sessions } = await setup();
    for (let i = 0; i < 1600; i++) logplex.write('a1', 'app', 'web.1', `line ${i}`);
    expect((await readSse(sessions.create('a1', {}).url)).lines).toHaveLength(100);
    const all = await readSse(sessions.create('a1', { lines: 5000 }).url);
    expect(all.lines).toHaveLength(1500);
    expect(messages(all.lines).at(0)).toBe('app[web.1]: line 100');
    expect(messages(all.lines).at(-1)).toBe('app[web.1]: line 1599');
  });

  it('tails: history, then live lines in order with the filter applied; retry is sent', async () => {
    const { logplex, sessions } = await setup();
    seed(logplex);
    const session = sessions.create('a1', { dyno: 'web', source: 'app', lines: 1, tail: true });
    const read = await readSse(session.url, {
      onOpen: () => {
        setTimeout(() => {
          logplex.write('a1', 'app', 'worker.1', 'filtered out');
          logplex.write('a2', 'app', 'web.1', 'other app');
          for (let i = 0; i < 50; i++) logplex.write('a1', 'app', 'web.3', `live ${i}`);
        }, 50);
      },
      until: (lines) => lines.length >= 51,
    });
    expect(read.retry).toBe(3000);
    expect(read.ended).toBe(false);
    expect(messages(read.lines)).toEqual(['app[web.2]: listening too', ...Array.from({ length: 50 }, (_, i) => `app[web.3]: live ${i}`)]);
  });

  it("pushes a dyno's vitals as `event: vitals` (no id) to the sessions that asked (the dashboard's), not to the CLI's", async () => {
    const { logplex, sessions } = await setup();
    const reading = { name: 'web.1', state: 'up', memory_mb: 300, memory_quota_mb: 512, memory_r15_mb: 1024, cooloff_until: null };
    // Once both streams are open (and joined the live lines, just after their headers).
    let opened = 0;
    const push = () => {
      if (++opened < 2) return;
      setTimeout(() => {
        sessions.pushVitals('a2', { ...reading, name: 'other app' });
        sessions.pushVitals('a1', reading);
        logplex.write('a1', 'app', 'web.1', 'a line');
      }, 50);
    };
    const dashboard = sessions.create('a1', { tail: true, lines: 0, vitals: true });
    const cli = sessions.create('a1', { tail: true, lines: 0 });
    const [seen, plain] = await Promise.all([
      readSse(dashboard.url, { onOpen: push, until: (lines) => lines.length >= 2 }),
      readSse(cli.url, { onOpen: push, until: (lines) => lines.length >= 1 }),
    ]);
    expect(seen.events.map((event) => [event.event, event.id === undefined])).toEqual([
      ['vitals', true],
      ['message', false],
    ]);
    expect(JSON.parse(seen.events[0]?.data ?? '')).toEqual(reading);
    expect(plain.events.map((event) => event.event)).toEqual(['message']);
    expect(messages(plain.lines)).toEqual(['app[web.1]: a line']);
  });

  it('resumes after Last-Event-ID on a reconnect, with no repeats', async () => {
    const { logplex, sessions } = await setup();
    seed(logplex);
    const session = sessions.create('a1', { tail: true, lines: 2 });
    const first = await readSse(session.url, { until: (lines) => lines.length >= 2 });
    const lastId = first.events.at(-1)?.id ?? '';
    logplex.write('a1', 'app', 'web.1', 'while away 1');
    logplex.write('a1', 'app', 'web.1', 'while away 2');
    const second = await readSse(session.url, { lastEventId: lastId, until: (lines) => lines.length >= 3, onOpen: () => setTimeout(() => logplex.write('a1', 'app', 'web.1', 'after'), 20) });
    expect(messages(second.lines)).toEqual(['app[web.1]: while away 1', 'app[web.1]: while away 2', 'app[web.1]: after']);
  });

  it('expires a session nobody reads: its URL answers 404 (the CLI: "Log stream timed out")', async () => {
    const { sessions } = await setup({ ttlMs: 100 });
    const session = sessions.create('a1', { tail: true });
    expect((await readSse(session.url, { until: () => true, timeoutMs: 500 })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await readSse(session.url)).status).toBe(404);
    expect((await readSse(`${session.url}x`)).status).toBe(404);
  });

  it('keeps a tail client that stops reading bounded: the oldest lines are dropped and L11 says how many', async () => {
    const { logplex, sessions } = await setup({ tailBufferMessages: 50 });
    const session = sessions.create('a1', { tail: true, lines: 0 });
    // A raw client that reads the headers, then nothing for a while.
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = httpRequest(session.url, { headers: { Accept: 'text/event-stream' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    response.pause();
    const big = 'x'.repeat(9_000);
    const total = 3_000; // 27 MB: far beyond what the socket buffers hold
    for (let i = 0; i < total; i++) {
      logplex.write('a1', 'app', 'web.1', `${i} ${big}`);
      if (i % 100 === 99) {
        logplex.flush();
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    logplex.flush();
    // Read everything that arrives, then stop.
    const parser = new SseParser();
    const lines: string[] = [];
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      for (const event of parser.push(chunk)) lines.push(event.data);
    });
    response.resume();
    const deadline = Date.now() + 10_000;
    while (!lines.some((line) => line.endsWith(`${total - 1} ${big}`)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    response.destroy();
    const l11 = lines.filter((line) => line.includes('Error L11'));
    expect(l11.length).toBeGreaterThanOrEqual(1);
    expect(l11[0]).toMatch(/^\S+ heroku\[logplex\]: Error L11 \(Tail buffer overflow\) -> This tail session dropped \d+ messages since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\.$/);
    const dropped = l11.reduce((sum, line) => sum + Number(/dropped (\d+) messages/.exec(line)?.[1]), 0);
    const delivered = lines.filter((line) => line.includes(big)).length;
    expect(delivered + dropped).toBe(total);
    // The newest line always arrives; what arrived is in order.
    const numbers = lines.filter((line) => line.includes(big)).map((line) => Number(/: (\d+) /.exec(line)?.[1]));
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    expect(numbers.at(-1)).toBe(total - 1);
  });

  it('formats each event as the CLI prints it', async () => {
    const { logplex, sessions } = await setup();
    logplex.write('a1', 'app', 'api', 'Set FOO config vars by user dev@example.test');
    const read = await readSse(sessions.create('a1', {}).url);
    const [line] = logplex.history('a1');
    expect(read.lines).toEqual([formatLogLine(line as NonNullable<typeof line>)]);
    // The CLI's colouring regex
    expect(read.lines[0]).toMatch(/^(.*?\[([\w-]+)([\d.]+)?]:)(.*)?$/);
  });
});
