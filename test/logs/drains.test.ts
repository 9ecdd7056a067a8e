import { afterEach, describe, expect, it } from 'vitest';
import { HttpDrainOutlet, SyslogDrainOutlet, type DrainOutlet } from '../../src/logs/index.js';
import type { LogLine } from '../../src/contracts/records.js';
import { startHttpDrainReceiver, startSyslogReceiver, type HttpDrainReceiver, type SyslogReceiver } from './support.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function lines(count: number, from = 0, size = 0): LogLine[] {
  const pad = size > 0 ? ` ${'x'.repeat(size)}` : '';
  return Array.from({ length: count }, (_, i) => ({ ts: '2026-11-26T06:33:52.203117+00:00', source: 'app' as const, dyno: 'web.1', message: `line ${from + i}${pad}` }));
}

async function http(): Promise<HttpDrainReceiver> {
  const receiver = await startHttpDrainReceiver();
  cleanups.push(() => receiver.close());
  return receiver;
}

function outlet<T extends DrainOutlet>(value: T): T {
  cleanups.push(() => value.close());
  return value;
}

describe('HTTP drains', () => {
  it('POST application/logplex-1 frames with logplex headers and octet-counted RFC 5424 lines', async () => {
    const receiver = await http();
    const url = new URL(receiver.url);
    url.username = 'user';
    url.password = 'p@ss';
    const drain = outlet(new HttpDrainOutlet(url, 'd.token-1', {}));
    drain.push([{ ts: '2026-11-26T06:33:52.203117+00:00', source: 'app', dyno: 'api', message: 'Release v2 created by user dev@example.test' }]);
    drain.push(lines(3));
    await receiver.waitFor((m) => m.length === 4);
    const first = receiver.frames[0];
    expect(first?.headers['content-type']).toBe('application/logplex-1');
    expect(first?.headers['logplex-drain-token']).toBe('d.token-1');
    expect(first?.headers['user-agent']).toBe('Logplex/v72');
    expect(first?.headers['logplex-frame-id']).toMatch(/^[0-9A-F]{32}$/);
    expect(first?.headers['authorization']).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    for (const frame of receiver.frames) expect(Number(frame.headers['logplex-msg-count'])).toBe(frame.messages.length);
    expect(receiver.messages()).toEqual([
      '<133>1 2026-11-26T06:33:52.203117+00:00 host app api - Release v2 created by user dev@example.test',
      ...[0, 1, 2].map((i) => `<190>1 2026-11-26T06:33:52.203117+00:00 host app web.1 - line ${i}`),
    ]);
  });

  it('batches up to about 100 KB a frame, in order (one POST at a time)', async () => {
    const receiver = await http();
    receiver.delayMs = 50; // lines pile up while the first frame is in flight
    const drain = outlet(new HttpDrainOutlet(new URL(receiver.url), 'd.t', { maxInFlight: 1 }));
    drain.push(lines(1));
    drain.push(lines(1000, 1, 400));
    await receiver.waitFor((m) => m.length === 1001);
    const numbers = receiver.messages().map((m) => Number(/ line (\d+)/.exec(m)?.[1]));
    expect(numbers).toEqual(Array.from({ length: 1001 }, (_, i) => i));
    const sizes = receiver.frames.map((frame) => frame.messages.reduce((sum, m) => sum + Buffer.byteLength(m) + String(Buffer.byteLength(m)).length + 1, 0));
    expect(receiver.frames.length).toBeGreaterThanOrEqual(5);
    for (const size of sizes) expect(size).toBeLessThan(102_400 + 1_000);
  });

  it('tries a frame 3 times with the same frame id, then drops it and goes on', async () => {
    const receiver = await http();
    const seen: string[] = [];
    receiver.status = 500;
    const drain = outlet(new HttpDrainOutlet(new URL(receiver.url), 'd.t', { retryDelayMs: 10, onError: (e) => seen.push(String(e)) }));
    drain.push(lines(2));
    const deadline = Date.now() + 5000;
    while (drain.stats.frames < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(drain.stats).toMatchObject({ frames: 1, failures: 3, dropped: 2, sent: 0 });
    expect(seen).toHaveLength(3);
    receiver.status = 200;
    drain.push(lines(1, 9));
    await receiver.waitFor((m) => m.length === 1);
    expect(receiver.messages()[0]).toContain('line 9');
  });

  it('sends several frames at once while lines back up, each in order, every line once', async () => {
    const receiver = await http();
    receiver.delayMs = 300; // long enough for the next requests to arrive while the first are held, even under load
    const drain = outlet(new HttpDrainOutlet(new URL(receiver.url), 'd.t', {}));
    drain.push(lines(1));
    drain.push(lines(3000, 1, 400)); // ~1.3 MB: a dozen frames
    await receiver.waitFor((m) => m.length === 3001);
    // The receiver counts a frame as it answers; the outlet, once the answer is in.
    const deadline = Date.now() + 5000;
    while (drain.stats.sent < 3001 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(receiver.maxConcurrent).toBeGreaterThan(1);
    expect(receiver.maxConcurrent).toBeLessThanOrEqual(4);
    const numbers = receiver.messages().map((m) => Number(/ line (\d+)/.exec(m)?.[1]));
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 3001 }, (_, i) => i));
    for (const frame of receiver.frames) {
      const inFrame = frame.messages.map((m) => Number(/ line (\d+)/.exec(m)?.[1]));
      expect(inFrame).toEqual([...inFrame].sort((a, b) => a - b));
      expect(Number(frame.headers['logplex-msg-count'])).toBe(frame.messages.length);
    }
    expect(drain.stats).toMatchObject({ sent: 3001, dropped: 0 });
  });

  it('holds a burst of short lines beyond 1,024 (up to 2 MB of messages) instead of dropping them', async () => {
    const receiver = await http();
    receiver.delayMs = 200;
    const drain = outlet(new HttpDrainOutlet(new URL(receiver.url), 'd.t', {}));
    drain.push(lines(1)); // in flight for 200 ms
    drain.push(lines(10_000, 1, 90)); // ~1 MB
    expect(drain.stats.dropped).toBe(0);
    await receiver.waitFor((m) => m.length === 10_001);
    expect(receiver.messages().some((m) => m.includes('L10'))).toBe(false);
  });

  it('keeps 1,024 lines for a slow drain, drops the oldest, and sends L10 ahead of the rest', async () => {
    const receiver = await http();
    receiver.delayMs = 300;
    // No bytes beyond the 1,024 lines: Heroku's bound alone.
    const drain = outlet(new HttpDrainOutlet(new URL(receiver.url), 'd.t', { bufferBytes: 0, maxInFlight: 1 }));
    drain.push(lines(1)); // in flight for 300 ms
    await new Promise((resolve) => setTimeout(resolve, 50));
    drain.push(lines(3000, 1));
    expect(drain.buffered).toBe(1024);
    await receiver.waitFor((m) => m.some((x) => x.includes('line 3000')));
    const messages = receiver.messages();
    expect(messages[0]).toContain('line 0');
    expect(messages[1]).toMatch(/^<134>1 \S+ host heroku logplex - Error L10 \(output buffer overflow\): 1976 messages dropped since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\.$/);
    expect(messages[2]).toContain('line 1977');
    expect(messages).toHaveLength(1 + 1 + 1024);
  });

  it('a dead drain costs nothing but its own lines: its buffer stays bounded and a live drain gets every line', async () => {
    const dead = outlet(new HttpDrainOutlet(new URL('http://127.0.0.1:9/'), 'd.t', { retryDelayMs: 5, onError: () => undefined }));
    const receiver = await http();
    const live = outlet(new HttpDrainOutlet(new URL(receiver.url), 'd.live', {}));
    for (let i = 0; i < 100; i++) {
      dead.push(lines(100, i * 100));
      live.push(lines(1, i));
    }
    // Bounded by bytes (2 MB of messages) beyond the 1,024 lines.
    for (let i = 0; i < 100; i++) dead.push(lines(100, i * 100, 1000));
    expect(dead.bufferedBytes).toBeLessThanOrEqual(2 * 1024 * 1024 + 1100);
    expect(dead.buffered).toBeLessThan(10_000);
    await receiver.waitFor((m) => m.length === 100);
    expect(receiver.messages().map((m) => Number(/ line (\d+)$/.exec(m)?.[1]))).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('syslog drains', () => {
  async function syslog(): Promise<SyslogReceiver> {
    const receiver = await startSyslogReceiver();
    cleanups.push(() => receiver.close());
    return receiver;
  }

  it('streams octet-counted RFC 5424 with the drain token as HOSTNAME', async () => {
    const receiver = await syslog();
    const drain = outlet(new SyslogDrainOutlet(new URL(receiver.url), 'd.abc', {}));
    drain.push([{ ts: '2026-11-26T06:33:52.203117+00:00', source: 'heroku', dyno: 'web.1', message: 'State changed from starting to up' }]);
    drain.push(lines(500, 0, 100));
    const messages = await receiver.waitFor((m) => m.length === 501);
    expect(messages[0]).toBe('<134>1 2026-11-26T06:33:52.203117+00:00 d.abc heroku web.1 - - State changed from starting to up');
    expect(messages.slice(1).map((m) => Number(/ line (\d+)/.exec(m)?.[1]))).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('reconnects after the receiver drops the connection, and buffers (bounded) while it is down', async () => {
    const receiver = await syslog();
    const drain = outlet(new SyslogDrainOutlet(new URL(receiver.url), 'd.abc', { retryDelayMs: 50, onError: () => undefined }));
    drain.push(lines(1));
    await receiver.waitFor((m) => m.length === 1);
    receiver.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
    drain.push(lines(5, 1));
    await receiver.waitFor((m) => m.some((x) => x.includes('line 5')));
    expect(receiver.connections()).toBeGreaterThanOrEqual(2);
  });
});

describe('syslog+tls drains', () => {
  it('verify the receiver against the given CA and stream the same frames', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const tls = await import('node:tls');
    const { ensureCa } = await import('../../src/tls/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'berth-drain-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ca = await ensureCa(dir);
    const cert = ca.issue({ ipAddresses: ['127.0.0.1'] });
    const received: string[] = [];
    const server = tls.createServer({ key: cert.keyPem, cert: cert.certPem }, (socket) => {
      socket.setEncoding('utf8');
      let pending = '';
      socket.on('data', (chunk: string) => {
        pending += chunk;
        for (;;) {
          const match = /^(\d+) /.exec(pending);
          if (!match) break;
          const length = Number(match[1]);
          const start = (match[0] as string).length;
          if (Buffer.byteLength(pending) < start + length) break;
          received.push(pending.slice(start, start + length));
          pending = pending.slice(start + length);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const errors: unknown[] = [];
    const untrusted = outlet(new SyslogDrainOutlet(new URL(`syslog+tls://127.0.0.1:${port}`), 'd.tls', { retryDelayMs: 10_000, onError: (e) => errors.push(e) }));
    untrusted.push(lines(1));
    const trusted = outlet(new SyslogDrainOutlet(new URL(`syslog+tls://127.0.0.1:${port}`), 'd.tls', { ca: [ca.certPem] }));
    trusted.push(lines(3));
    const deadline = Date.now() + 5000;
    while (received.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toEqual([0, 1, 2].map((i) => `<190>1 2026-11-26T06:33:52.203117+00:00 d.tls app web.1 - - line ${i}`));
    expect(String(errors[0])).toMatch(/certificate/);
  });
});
