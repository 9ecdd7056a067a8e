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
});
