import { describe, expect, it } from 'vitest';
import { formatLogLine, logTimestamp, Logplex } from '../../src/logs/index.js';
import { Store } from '../../src/store/index.js';

function setup(keep = 1500) {
  const store = new Store({ file: ':memory:', logHistoryLines: keep });
  store.apps.insert({ id: 'a1', name: 'demo', createdAt: 't', stack: 'heroku-24', region: 'us' });
  return { store, logplex: new Logplex(store) };
}

describe('logplex', () => {
  it("formats lines as Heroku does, with microsecond RFC 5424 time", () => {
    expect(formatLogLine({ ts: '2026-11-26T06:33:52.203117+00:00', source: 'app', dyno: 'web.1', message: 'Booting' })).toBe(
      '2026-11-26T06:33:52.203117+00:00 app[web.1]: Booting',
    );
    expect(logTimestamp(Date.UTC(2026, 10, 26, 6, 33, 52, 203) + 0.117)).toMatch(/^2026-11-26T06:33:52\.203\d{3}\+00:00$/);
  });

  it('gives strictly increasing timestamps, so order survives sorting by time', () => {
    const stamps = Array.from({ length: 1000 }, () => logTimestamp());
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
  });

  it('filters by source, by dyno name and by process type, and limits history to the newest lines', () => {
    const { logplex, store } = setup();
    logplex.write('a1', 'app', 'api', 'Deploy by user');
    logplex.write('a1', 'heroku', 'web.1', 'State changed from starting to up');
    logplex.write('a1', 'app', 'web.1', 'listening');
    logplex.write('a1', 'app', 'web.2', 'listening too');
    logplex.write('a1', 'app', 'worker.1', 'working');
    logplex.write('a1', 'app', 'webhook.1', 'not a web dyno');
    const messages = (filter: Parameters<Logplex['history']>[1]) => logplex.history('a1', filter).map((l) => `${l.source}[${l.dyno}]`);
    expect(messages({ source: 'heroku' })).toEqual(['heroku[web.1]']);
    expect(messages({ dyno: 'web' })).toEqual(['heroku[web.1]', 'app[web.1]', 'app[web.2]']);
    expect(messages({ dyno: 'web.2' })).toEqual(['app[web.2]']);
    expect(messages({ source: 'app', dyno: 'web' })).toEqual(['app[web.1]', 'app[web.2]']);
    expect(messages({ lines: 2 })).toEqual(['app[worker.1]', 'app[webhook.1]']);
    expect(messages({ lines: 0 })).toEqual([]);
    store.close();
  });

  it('hands committed lines to subscribers, and none from a rolled-back transaction', () => {
    const { logplex, store } = setup();
    const seen: string[] = [];
    logplex.subscribe((_app, lines) => seen.push(...lines.map((l) => l.message)));
    logplex.write('a1', 'app', 'api', 'one');
    expect(() =>
      store.transaction(() => {
        logplex.write('a1', 'app', 'api', 'rolled back');
        throw new Error('no');
      }),
    ).toThrow();
    expect(seen).toEqual([]); // stored (and announced) at the end of the tick, or on flush
    logplex.flush();
    expect(seen).toEqual(['one']);
    expect(logplex.history('a1').map((l) => l.message)).toEqual(['one']);
    store.close();
  });

  it('stores lines in one batch per tick, in the order written, and announces each app once per batch', async () => {
    const { logplex, store } = setup();
    store.apps.insert({ id: 'a2', name: 'other', createdAt: 't', stack: 'heroku-24', region: 'us' });
    const batches: Array<[string, number[]]> = [];
    logplex.subscribe((app, lines) => batches.push([app, lines.map((l) => Number(l.message))]));
    for (let i = 0; i < 1000; i++) logplex.write(i % 10 === 0 ? 'a2' : 'a1', 'app', 'web.1', String(i));
    expect(store.logs.pending).toBe(1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.logs.pending).toBe(0);
    expect(batches.map(([app]) => app)).toEqual(['a2', 'a1']); // line 0 was a2's
    expect(batches[1]?.[1]).toEqual(Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 10 !== 0));
    const seqs = logplex.history('a1').map((l) => l.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    store.close();
  });

  it('keeps the newest 1,500 lines per app however many are written', () => {
    const { logplex, store } = setup();
    for (let i = 0; i < 5000; i++) {
      logplex.write('a1', 'app', 'web.1', `line ${i}`);
      if (i % 37 === 0) logplex.flush();
    }
    const history = logplex.history('a1');
    expect(history).toHaveLength(1500);
    expect(history[0]?.message).toBe('line 3500');
    expect(history.at(-1)?.message).toBe('line 4999');
    expect(logplex.history('a1', { lines: 1500 })).toHaveLength(1500);
    store.close();
  });

  it('splits a dyno line longer than 10,000 bytes into 10,000-byte lines', () => {
    const { logplex, store } = setup();
    logplex.write('a1', 'app', 'web.1', 'a'.repeat(10_000) + 'b'.repeat(10_000) + 'c');
    expect(logplex.history('a1').map((l) => [l.message.length, l.message[0]])).toEqual([
      [10_000, 'a'],
      [10_000, 'b'],
      [1, 'c'],
    ]);
    store.close();
  });

  it('drops queued lines of an app destroyed before they were stored, and keeps the others', () => {
    const { logplex, store } = setup();
    store.apps.insert({ id: 'a2', name: 'other', createdAt: 't', stack: 'heroku-24', region: 'us' });
    logplex.write('a2', 'app', 'web.1', 'doomed');
    logplex.write('a1', 'app', 'web.1', 'kept');
    store.apps.delete('a2');
    logplex.flush();
    expect(logplex.history('a1').map((l) => l.message)).toEqual(['kept']);
    expect(logplex.history('a2')).toEqual([]);
    store.close();
  });

  it('stores what is queued when the store closes', () => {
    const { logplex, store } = setup();
    logplex.write('a1', 'app', 'web.1', 'last words');
    expect(store.logs.pending).toBe(1);
    store.close();
    expect(store.logs.pending).toBe(0);
  });

  it('keeps the newest 1,500 of 10,000 lines written at once, in order (how fast: npm run bench)', () => {
    const { logplex, store } = setup();
    for (let i = 0; i < 10_000; i++) logplex.write('a1', 'app', 'web.1', `GET /path/${i} 200 0.1ms`);
    logplex.flush();
    const kept = logplex.history('a1').map((line) => line.message);
    expect(kept).toEqual(Array.from({ length: 1500 }, (_, i) => `GET /path/${8500 + i} 200 0.1ms`));
    store.close();
  });
});
