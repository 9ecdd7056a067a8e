// `npm run bench`: lines/s from ONE REAL DYNO through logplex to a `logs --tail` SSE subscriber and to an HTTPS drain
// (a receiver with a certificate from the daemon's CA), with the count lost. Target: 0 lost at 10,000 lines/s.
// The dyno (fixtures/log-spew) prints numbered lines at the rate asked; both consumers count what arrives.
import { bench, describe } from 'vitest';
import { api, createApp, fixture } from '../support/build.js';
import { startTestDaemon } from '../support/daemon.js';
import { deploy, scale } from '../dynos/helpers.js';
import { openLogSession, readSse, startHttpDrainReceiver } from '../logs/support.js';
import { ensureCa } from '../../src/tls/index.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const LINES = 50_000;
const RATE = 10_000;
// Tail lines read `app[worker.1]: spew 0000001 ...`; drain messages are RFC 5424 lines with `worker.1` as the process.
const spewed = (line: string) => /worker\.1.*spew \d{7} /.test(line);

describe('logplex from a dyno', () => {
  bench(
    `${LINES} lines at ${RATE}/s from worker.1 to a tail and an HTTPS drain`,
    async () => {
      const daemon = await startTestDaemon();
      try {
        const app = await createApp(daemon, 'spew');
        await api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, { SPEW_LINES: String(LINES), SPEW_RATE: String(RATE) });
        await deploy(daemon, app.name, fixture('log-spew'));
        const ca = await ensureCa(daemon.dataDir);
        const receiver = await startHttpDrainReceiver(ca.issue({ ipAddresses: ['127.0.0.1'] }));
        await api(daemon, 'POST', `/apps/${app.name}/log-drains`, { url: receiver.url });
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
        const drained = await receiver
          .waitFor((messages) => messages.filter(spewed).length >= LINES, 30_000)
          .catch(() => receiver.messages());
        const tailCount = read.lines.filter(spewed).length;
        const drainCount = drained.filter(spewed).length;
        console.log(
          [
            `logplex from a dyno: ${LINES} lines offered at ${RATE}/s by worker.1`,
            `  tail (SSE):  received ${tailCount}, lost ${LINES - tailCount} (${read.lines.filter((l) => l.includes('L11')).length} L11 lines), ~${Math.round(tailCount / tailSeconds)} lines/s over ${tailSeconds.toFixed(1)} s`,
            `  HTTPS drain: received ${drainCount}, lost ${LINES - drainCount} in ${receiver.frames.length} frames`,
          ].join('\n'),
        );
        await receiver.close();
      } finally {
        await daemon.dispose();
      }
    },
    once,
  );
});
