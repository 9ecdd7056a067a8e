// `npm run bench`: `berth watch` from a file save to the new content served through the router (issue 16), for the
// no-deps Node fixture (fixtures/node-basic) on a startBerth() Berth, after a first deploy (warm build cache: the
// same loop as a warm push). Target: 3 s or less.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { startBerth } from '../../src/testing/index.js';
import { assertBuilt, BERTH_MAIN, REPO_ROOT } from '../support/daemon.js';
import { eventually } from '../support/ports.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const ROUNDS = 3;

describe('berth watch', () => {
  bench(
    `save to served, node-basic, ${ROUNDS} rounds`,
    async () => {
      assertBuilt();
      const berth = await startBerth();
      const dir = mkdtempSync(join(tmpdir(), 'berth-watch-bench-'));
      const rows: Array<{ round: number; 'save → served s': string; 'load avg (1 min)': string }> = [];
      try {
        cpSync(join(REPO_ROOT, 'fixtures', 'node-basic'), dir, { recursive: true });
        const first = await berth.deploy(dir, { app: 'bench' });
        if (first.build.status !== 'succeeded') throw new Error(first.output);
        await berth.waitFor('bench');
        const env = {
          ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^(BERTH_|HEROKU_)/.test(e[0]))),
          BERTH_DATA: berth.dataDir,
          BERTH_API_PORT: String(berth.ports.api),
        };
        const watcher = spawn(process.execPath, [BERTH_MAIN, 'watch', dir, '-a', 'bench'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        watcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        try {
          await eventually(async () => {
            if (!out.includes('Watching')) throw new Error('not watching yet');
          }, 60_000, 100);
          const server = join(dir, 'server.js');
          const original = readFileSync(server, 'utf8');
          for (let round = 1; round <= ROUNDS; round += 1) {
            const marker = `Hello from bench round ${round}`;
            const saved = performance.now();
            writeFileSync(server, original.replace('Hello from node-basic', marker));
            await eventually(async () => {
              if (!(await (await berth.fetch('bench')).text()).includes(marker)) throw new Error('old content');
            }, 300_000, 50);
            rows.push({ round, 'save → served s': ((performance.now() - saved) / 1000).toFixed(2), 'load avg (1 min)': (loadavg()[0] ?? 0).toFixed(1) });
          }
        } finally {
          watcher.kill('SIGINT');
        }
      } finally {
        await berth.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      const best = Math.min(...rows.map((r) => Number(r['save → served s'])));
      console.log(`\nberth watch, save to served: ${cpus().length} CPUs, fixtures/node-basic, warm build cache.`);
      console.table(rows);
      console.log(`Target: 3 s or less: best ${best.toFixed(2)} s (${best <= 3 ? 'meets' : 'misses'} it).\n`);
    },
    once,
  );
});
