// `npm run bench`: the daemon's resident memory (VmRSS of its process) idle, then with 10, 25 and 50 apps of 2 web
// dynos each. Target (issue 12): idle ≤ 120 MB; with 50 × 2 dynos, report RSS and how it grows per app.
// Each app is built from a tiny source (a Procfile running python's http.server) with a local classic buildpack that
// does nothing, so a build costs little more than its containers; releasing another app's slug is not allowed
// (`slug_not_found`, as the app owns its slug images). BERTH_BENCH_APPS overrides the app count (e.g. 10 for a quick run).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { api, buildDirectory, classicBuildpack, waitFor } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { dynos, scale, waitForRelease } from '../dynos/helpers.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const APPS = Number(process.env['BERTH_BENCH_APPS'] ?? 50);
const CHECKPOINTS = new Set([10, 25, 50, APPS].filter((n) => n <= APPS));

/** The kernel's view of a process's memory, in MB: VmRSS (resident) and VmHWM (its peak). */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

interface Row {
  readonly apps: number;
  readonly dynos: number;
  readonly 'RSS MB': number;
  readonly 'peak MB': number;
  readonly 'MB per app since idle': string;
  readonly load: string;
}

async function settled(daemon: TestDaemon): Promise<{ rss: number; peak: number }> {
  // Let startup work finish and the collector catch up; the lowest of a few samples is the steady state.
  const pid = daemon.pid() as number;
  let best = memory(pid);
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = memory(pid);
    best = { rss: Math.min(best.rss, now.rss), peak: now.peak };
  }
  return best;
}

describe('daemon memory', () => {
  bench(
    `RSS idle and with ${APPS} apps x 2 web dynos`,
    async () => {
      const daemon = await startTestDaemon({ env: { BERTH_BOOT_TIMEOUT: '60' } });
      const rows: Row[] = [];
      try {
        const root = mkdtempSync(join(daemon.rootDir, 'mem-'));
        const buildpack = classicBuildpack(root, 'Nothing', 'echo "-----> Nothing to compile"');
        const source = mkdtempSync(join(root, 'src-'));
        writeFileSync(join(source, 'Procfile'), 'web: exec python3 -m http.server "$PORT" --bind 0.0.0.0\n');
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const idle = await settled(daemon);
        const row = (apps: number, sample: { rss: number; peak: number }): Row => ({
          apps,
          dynos: apps * 2,
          'RSS MB': sample.rss,
          'peak MB': sample.peak,
          'MB per app since idle': apps === 0 ? '-' : ((sample.rss - idle.rss) / apps).toFixed(2),
          load: loadAverage(),
        });
        rows.push(row(0, idle));
        const names: string[] = [];
        for (let n = 1; n <= APPS; n++) {
          const app = await api<{ name: string }>(daemon, 'POST', '/apps', { name: `mem-${process.pid.toString(36)}-${n}` });
          names.push(app.name);
          const run = await buildDirectory(daemon, app.name, source, { buildpacks: [{ url: buildpack }] });
          if (run.build.status !== 'succeeded' || !run.build.release) throw new Error(`build of ${app.name} failed:\n${run.output}`);
          await waitForRelease(daemon, app.name, run.build.release.id);
          await scale(daemon, app.name, [{ type: 'web', quantity: 2 }]);
          if (CHECKPOINTS.has(n)) {
            for (const name of names) {
              await waitFor(`${name}'s 2 dynos up`, async () => (await dynos(daemon, name)).filter((d) => d.state === 'up').length === 2, 180_000);
            }
            rows.push(row(n, await settled(daemon)));
            console.log(`memory: ${n} apps, RSS ${rows.at(-1)?.['RSS MB']} MB`);
          }
        }
        console.log(`daemon memory (VmRSS of the daemon process; idle then with N apps x 2 web dynos up):`);
        console.table(rows);
        for (const name of names) await scale(daemon, name, [{ type: 'web', quantity: 0 }]).catch(() => undefined);
        for (const name of names) await api(daemon, 'DELETE', `/apps/${name}`).catch(() => undefined);
      } finally {
        await daemon.dispose();
      }
    },
    once,
  );
});
