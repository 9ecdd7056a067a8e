// `npm run bench`: the dyno manager at 20 web dynos of fixtures/lifecycle (python http.server) on the real engine.
// Times, from the API call:
//   - `ps:scale web=20` (PATCH /formation, quantity "20") until all 20 are `up` (GET /dynos), twice (the second
//     time from 0 again, with the engine warm), and when the PATCH itself answered;
//   - a restart of the 20 (`ps:restart`, DELETE /dynos) until every one of them logged `State changed from starting
//     to up` again;
//   - scaling the 20 to 0 until GET /dynos is empty.
// Target (issue 4): 20 dynos up in under 5 s.
import { cpus } from 'node:os';
import { bench, describe } from 'vitest';
import { api, createApp, fixture, waitFor } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { deploy, dynos, logMark, readLog, scale, waitForDynos } from '../dynos/helpers.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const N = 20;
const NAMES = Array.from({ length: N }, (_, i) => `web.${i + 1}`);

interface Row {
  readonly step: string;
  readonly 'API answered s': string;
  readonly 'done s': string;
}

const rows: Row[] = [];

async function timed(step: string, call: () => Promise<unknown>, done: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  await call();
  const answered = (performance.now() - started) / 1000;
  await waitFor(step, done, 180_000);
  const seconds = (performance.now() - started) / 1000;
  rows.push({ step, 'API answered s': answered.toFixed(2), 'done s': seconds.toFixed(2) });
  return seconds;
}

async function allUp(daemon: TestDaemon, app: string): Promise<boolean> {
  const list = await dynos(daemon, app);
  return list.length === N && list.every((d) => d.state === 'up');
}

describe('dynos', () => {
  bench(
    `ps:scale web=${N} until all up, restart of ${N}, scale to 0`,
    async () => {
      const daemon = await startTestDaemon();
      const up: number[] = [];
      let restart = 0;
      try {
        const app = await createApp(daemon, 'bench');
        await deploy(daemon, app.name, fixture('lifecycle'));
        await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
        await scale(daemon, app.name, [{ type: 'web', quantity: 0 }]);
        await waitFor('no dynos', async () => (await dynos(daemon, app.name)).length === 0);
        for (const round of [1, 2]) {
          up.push(
            await timed(
              `scale web=${N} (round ${round})`,
              () => scale(daemon, app.name, [{ type: 'web', quantity: String(N) }]),
              () => allUp(daemon, app.name),
            ),
          );
          if (round === 1) {
            const mark = logMark(daemon, app.id);
            restart = await timed(
              `restart ${N} (ps:restart)`,
              () => api(daemon, 'DELETE', `/apps/${app.name}/dynos`),
              async () => {
                const lines = readLog(daemon, app.id, mark).rows.filter((r) => r.source === 'heroku' && r.message === 'State changed from starting to up');
                return new Set(lines.map((r) => r.dyno)).size === N && (await allUp(daemon, app.name));
              },
            );
          }
          await timed(
            `scale web=0 (round ${round})`,
            () => scale(daemon, app.name, [{ type: 'web', quantity: 0 }]),
            async () => (await dynos(daemon, app.name)).length === 0,
          );
        }
        // Sanity: each of the 20 had its own port and answered (all were `up`, which a web dyno is only once bound).
        const lines = readLog(daemon, app.id).lines;
        for (const name of NAMES) if (!lines.includes(`heroku[${name}]: State changed from starting to up`)) throw new Error(`${name} never came up`);
      } finally {
        await daemon.dispose();
      }
      console.log(`\nDyno benchmark: ${cpus().length} CPUs, ${N} web dynos of fixtures/lifecycle (python3 http.server), times from the API call.`);
      console.table(rows);
      const best = Math.min(...up);
      console.log(`Target: ${N} dynos up in under 5 s: ${up.map((s) => `${s.toFixed(2)} s`).join(', ')} (${best < 5 ? 'meets' : 'misses'} it); restart of ${N}: ${restart.toFixed(2)} s.\n`);
    },
    once,
  );
});
