// `npm run bench`: lines/s from ONE REAL DYNO through logplex to a `logs --tail` SSE subscriber and to four drains of
// the same app, with the count each lost. Target: 0 lost at 10,000 lines/s to the HTTPS drain, the syslog (TCP)
// drain and the syslog+tls drain (receivers with certificates from the daemon's CA). The fourth drain answers each
// POST after 2 s on purpose: it cannot keep up, so it loses lines, and Heroku's L10 lines must say how many.
// The dyno (fixtures/log-spew) prints numbered lines at the rate asked; every consumer counts what arrives.
import { loadavg } from 'node:os';
import { bench, describe } from 'vitest';
import { api, createApp, fixture } from '../support/build.js';
import { startTestDaemon } from '../support/daemon.js';
import { deploy, scale } from '../dynos/helpers.js';
import { openLogSession, readSse, startHttpDrainReceiver, startSyslogReceiver } from '../logs/support.js';
import { ensureCa } from '../../src/tls/index.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const LINES = 50_000;
const RATE = 10_000;
const SLOW_DRAIN_MS = 2000;
// Tail lines read `app[worker.1]: spew 0000001 ...`; drain messages are RFC 5424 lines with `worker.1` as the process.
const spewed = (line: string) => /worker\.1.*spew \d{7} /.test(line);
/** The lines L10 says were dropped, summed over every L10 line. */
const l10Dropped = (messages: readonly string[]) =>
  messages.reduce((sum, m) => sum + Number(/Error L10 \(output buffer overflow\): (\d+) messages dropped/.exec(m)?.[1] ?? 0), 0);

describe('logplex from a dyno', () => {
  bench(
    `${LINES} lines at ${RATE}/s from worker.1 to a tail, HTTPS, syslog and syslog+tls drains, and a slow drain`,
    async () => {
      const daemon = await startTestDaemon();
      try {
        const app = await createApp(daemon, 'spew');
        await api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, { SPEW_LINES: String(LINES), SPEW_RATE: String(RATE) });
        await deploy(daemon, app.name, fixture('log-spew'));
        const ca = await ensureCa(daemon.dataDir);
        const cert = ca.issue({ ipAddresses: ['127.0.0.1'] });
        const https = await startHttpDrainReceiver(cert);
        const syslog = await startSyslogReceiver();
        const syslogTls = await startSyslogReceiver(0, cert);
        const slow = await startHttpDrainReceiver(cert);
        slow.delayMs = SLOW_DRAIN_MS;
        for (const url of [https.url, syslog.url, syslogTls.url, slow.url]) await api(daemon, 'POST', `/apps/${app.name}/log-drains`, { url });
        const url = await openLogSession(daemon.apiUrl, daemon.apiKey, app.name, { dyno: 'worker.1', tail: true, lines: 0 });
        const started = performance.now();
        let opened = 0;
        const tail = readSse(url, {
          timeoutMs: 120_000,
          until: (lines) => lines.filter(spewed).length >= LINES || lines.some((l) => l.includes('spew done')),
          onOpen: () => {
            opened = performance.now();
            void scale(daemon, app.name, [{ type: 'worker', quantity: 1 }]);
          },
        });
        const read = await tail;
        const tailSeconds = (performance.now() - (opened || started)) / 1000;
        // The length first: the receivers are polled every 20 ms, in the process that also runs them.
        const all = (messages: readonly string[]) => messages.length >= LINES && messages.filter(spewed).length >= LINES;
        const [httpsGot, syslogGot, tlsGot] = await Promise.all(
          [https, syslog, syslogTls].map((receiver) => receiver.waitFor(all, 30_000).catch(() => receiver.messages())),
        );
        // The slow drain: every line either arrives or is counted by an L10 line, once its buffer has drained.
        const slowGot = await slow
          .waitFor((messages) => messages.filter(spewed).length + l10Dropped(messages) >= LINES, 120_000)
          .catch(() => slow.messages());
        const tailCount = read.lines.filter(spewed).length;
        const row = (name: string, messages: readonly string[], frames?: number) => {
          const count = messages.filter(spewed).length;
          const l10 = messages.filter((m) => m.includes('Error L10')).length;
          return `  ${name}received ${count}, lost ${LINES - count}${frames === undefined ? '' : ` in ${frames} frames`}; ${l10} L10 lines saying ${l10Dropped(messages)} dropped`;
        };
        console.log(
          [
            `logplex from a dyno: ${LINES} lines offered at ${RATE}/s by worker.1 (load average ${loadavg().map((n) => n.toFixed(2)).join(' ')})`,
            `  tail (SSE):       received ${tailCount}, lost ${LINES - tailCount} (${read.lines.filter((l) => l.includes('L11')).length} L11 lines), ~${Math.round(tailCount / tailSeconds)} lines/s over ${tailSeconds.toFixed(1)} s`,
            row('HTTPS drain:      ', httpsGot ?? [], https.frames.length),
            row('syslog drain:     ', syslogGot ?? []),
            row('syslog+tls drain: ', tlsGot ?? []),
            row(`slow drain (${SLOW_DRAIN_MS / 1000} s a POST): `, slowGot, slow.frames.length),
          ].join('\n'),
        );
        await Promise.all([https.close(), syslog.close(), syslogTls.close(), slow.close()]);
      } finally {
        await daemon.dispose();
      }
    },
    once,
  );
});
