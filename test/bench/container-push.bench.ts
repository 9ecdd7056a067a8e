// `npm run bench`: git push to serving of the container-python fixture (heroku.yml, two targets of one Dockerfile,
// a release phase) on the container stack: a first push, then a second with one changed source file, which must use
// the engine's layer cache. Target (issue 15): the warm push to serving the new code in ≤ 5 s on 2 cores.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { api, fixtureRepo, git, httpsGitUrl, runGit, trustArgs } from '../git/helpers.js';
import { sandboxedCliEnv, startTestDaemon, type TestDaemon } from '../support/daemon.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const APP = 'bench-boxed';

/** GET / through the router with the app's Host header (fetch may not set Host; node:http does). */
function viaRouter(daemon: TestDaemon): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${APP}.localhost:${daemon.ports.router}` }, timeout: 1000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end();
  });
}

async function serving(daemon: TestDaemon, marker: string, startedAt: number): Promise<number | undefined> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const answer = await viaRouter(daemon).catch(() => undefined);
    if (answer?.status === 200 && answer.body.includes(marker)) return performance.now() - startedAt;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

async function timedPush(daemon: TestDaemon, env: Record<string, string>, repo: string, marker: string, label: string): Promise<string> {
  const started = performance.now();
  const push = await runGit([...trustArgs(daemon), 'push', '--force', httpsGitUrl(daemon, APP, daemon.apiKey), 'main'], env, repo);
  const deployedMs = performance.now() - started;
  if (push.code !== 0) throw new Error(`${label}: push failed\n${push.stderr}`);
  const servingMs = await serving(daemon, marker, started);
  return `  ${label.padEnd(48)} ${(deployedMs / 1000).toFixed(1).padStart(6)} s   ${servingMs === undefined ? '   n/a' : `${(servingMs / 1000).toFixed(1).padStart(6)} s`}`;
}

describe('container push', () => {
  bench(
    'git push container-python: a first push and a second with one changed file',
    async () => {
      const daemon = await startTestDaemon();
      try {
        const env = sandboxedCliEnv(daemon);
        await api(daemon, '/apps', { method: 'POST', body: { name: APP, stack: 'container' } });
        const repo = await fixtureRepo(daemon, 'container-python', env);
        const rows = [await timedPush(daemon, env, repo, 'container-python one', 'first push (stack image layers cached)')];
        const file = join(repo, 'app.py');
        writeFileSync(file, readFileSync(file, 'utf8').replace('VERSION = "one"', 'VERSION = "two"'));
        await git(['commit', '--quiet', '-am', 'one changed file'], env, repo);
        rows.push(await timedPush(daemon, env, repo, 'container-python two', 'second push, one changed file (warm)'));
        console.log(['container push (container-python)             deployed   serving (new code)', ...rows].join('\n'));
        // Its images go with it, rather than stay on the shared engine.
        const { id } = (await api<{ id: string }>(daemon, `/apps/${APP}`, { method: 'DELETE' })).body;
        const images = () => spawnSync('docker', ['images', '-q', '--filter', `label=berth.app=${id}`], { encoding: 'utf8' }).stdout.trim();
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline && images() !== '') await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        await daemon.dispose();
      }
    },
    once,
  );
});
