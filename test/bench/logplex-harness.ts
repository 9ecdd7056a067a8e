// Logplex throughput, in one process: lines written with Logplex.write (as a dyno's output will be) go through the
// batched store to a `logs --tail` SSE subscriber (a real HTTP connection, read with fetch and the SSE parser), to
// an HTTPS drain (a real TLS receiver with a certificate from a local CA) and to syslog (TCP) and syslog+tls drains.
// Reports lines/s and lines lost.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainTrust, Logplex, LogDrains, LogSessions, SseParser } from '../../src/logs/index.js';
import { Store } from '../../src/store/index.js';
import { ensureCa } from '../../src/tls/index.js';
import { startHttpDrainReceiver, startSyslogReceiver } from '../logs/support.js';

export interface LogplexRun {
  readonly label: string;
  readonly written: number;
  readonly seconds: number;
  /** Lines written per second (the offered rate). */
  readonly writeRate: number;
  /** Process CPU (user+system) per second of wall time over the run: the writer, logplex, the server and both consumers. */
  readonly cpu: number;
  readonly tail: { received: number; lost: number; l11Dropped: number; linesPerSecond: number };
  readonly drain: { received: number; lost: number; frames: number; linesPerSecond: number };
  readonly syslog: { received: number; lost: number };
  readonly syslogTls: { received: number; lost: number };
}

/**
 * Writes `total` lines of about `size` bytes at `rate` lines/s (0: as fast as possible, `batch` lines per turn of the
 * event loop, as a busy dyno's stdout arrives), then waits until both consumers have everything or `settleMs` passes.
 */
export async function runLogplex(options: { label: string; total: number; rate: number; size?: number; batch?: number; settleMs?: number }): Promise<LogplexRun> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const store = new Store({ file: join(dir, 'berth.db'), logHistoryLines: 1500 });
  store.apps.insert({ id: 'a1', name: 'bench', createdAt: 't', stack: 'heroku-24', region: 'us' });
  const logplex = new Logplex(store);
  let origin = '';
  const sessions = new LogSessions(logplex, { url: (id, secret) => `${origin}/s/${id}/${secret}` });
  const server = createServer((req, res) => {
    const [, , id = '', secret = ''] = (req.url ?? '').split('/');
    const session = sessions.find(id, secret);
    if (session === undefined) return void res.writeHead(404).end();
    sessions.stream(session, res, req.headers['last-event-id']);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

  const ca = await ensureCa(dir);
  const cert = ca.issue({ ipAddresses: ['127.0.0.1'] });
  const receiver = await startHttpDrainReceiver(cert);
  const syslog = await startSyslogReceiver();
  const syslogTls = await startSyslogReceiver(0, cert);
  const drains = new LogDrains(store, logplex, { ca: drainTrust([ca.certPath]) });
  drains.start();
  for (const url of [receiver.url, syslog.url, syslogTls.url]) drains.add({ id: 'a1', name: 'bench' } as Parameters<LogDrains['add']>[0], url);

  // The tail subscriber.
  const session = sessions.create('a1', { tail: true, lines: 0 });
  const controller = new AbortController();
  const response = await fetch(session.url, { headers: { Accept: 'text/event-stream' }, signal: controller.signal });
  let tailReceived = 0;
  let l11Dropped = 0;
  let tailDoneAt = 0;
  const body = response.body;
  if (body === null) throw new Error('no body');
  const reading = (async () => {
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        for (const event of parser.push(decoder.decode(value, { stream: true }))) {
          const l11 = /This tail session dropped (\d+) messages/.exec(event.data);
          if (l11) l11Dropped += Number(l11[1]);
          else tailReceived++;
          if (tailReceived + l11Dropped >= options.total && tailDoneAt === 0) tailDoneAt = performance.now();
        }
      }
    } catch {
      // aborted
    }
  })();

  const size = options.size ?? 100;
  const pad = 'x'.repeat(Math.max(0, size - 40));
  const batch = options.batch ?? 100;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let written = 0;
  while (written < options.total) {
    const n = Math.min(batch, options.total - written);
    for (let i = 0; i < n; i++) logplex.write('a1', 'app', 'web.1', `GET /items/${written + i} status=200 ${pad}`);
    written += n;
    if (options.rate > 0) {
      const due = started + (written / options.rate) * 1000;
      const wait = due - performance.now();
      await new Promise((resolve) => (wait > 1 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    } else {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const writeSeconds = (performance.now() - started) / 1000;
  const settleDeadline = performance.now() + (options.settleMs ?? 30_000);
  const counted = (messages: readonly string[]) => messages.filter((m) => m.includes('GET /items/')).length;
  const drainCount = () => counted(receiver.messages());
  const everyDrain = () => drainCount() >= options.total && counted(syslog.messages()) >= options.total && counted(syslogTls.messages()) >= options.total;
  while ((tailReceived + l11Dropped < options.total || !everyDrain()) && performance.now() < settleDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const drainDoneAt = performance.now();
  const cpuUsed = process.cpuUsage(cpuBefore);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1000 / (drainDoneAt - started);
  const drainReceived = drainCount();
  const syslogReceived = counted(syslog.messages());
  const syslogTlsReceived = counted(syslogTls.messages());
  const tailEnd = tailDoneAt || performance.now();
  controller.abort();
  await reading;
  sessions.close();
  drains.close();
  await Promise.all([receiver.close(), syslog.close(), syslogTls.close()]);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    label: options.label,
    written: options.total,
    seconds: writeSeconds,
    writeRate: Math.round(options.total / writeSeconds),
    cpu,
    tail: {
      received: tailReceived,
      lost: options.total - tailReceived,
      l11Dropped,
      linesPerSecond: Math.round(tailReceived / ((tailEnd - started) / 1000)),
    },
    drain: {
      received: drainReceived,
      lost: options.total - drainReceived,
      frames: receiver.frames.length,
      linesPerSecond: Math.round(drainReceived / ((drainDoneAt - started) / 1000)),
    },
    syslog: { received: syslogReceived, lost: options.total - syslogReceived },
    syslogTls: { received: syslogTlsReceived, lost: options.total - syslogTlsReceived },
  };
}

export function describeRun(run: LogplexRun): string {
  return (
    `${run.label}: wrote ${run.written} lines in ${run.seconds.toFixed(2)} s (${run.writeRate} lines/s), CPU ${(run.cpu * 100).toFixed(0)}% of one core for everything in-process; ` +
    `tail received ${run.tail.received} (${run.tail.linesPerSecond} lines/s), lost ${run.tail.lost} (L11 reported ${run.tail.l11Dropped}); ` +
    `HTTPS drain received ${run.drain.received} in ${run.drain.frames} frames (${run.drain.linesPerSecond} lines/s), lost ${run.drain.lost}; ` +
    `syslog drain lost ${run.syslog.lost}, syslog+tls drain lost ${run.syslogTls.lost}`
  );
}
