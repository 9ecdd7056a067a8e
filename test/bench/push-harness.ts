// Push-to-serving timing: `git push` of the no-deps Node fixture (node-basic) to a real daemon, from the start of the
// push to its exit (the build, the release, `deployed to Berth`, `Verifying deploy... done.` and the ref update),
// and to the first 200 through the router (Host: <app>.localhost) whose body carries what that push changed: each
// push of the bench gives server.js a new greeting, so an answer from the release before does not count.
// Each row also says when the push's own phases began (the time its `remote:` lines arrived), so a slow push
// shows where its time went.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { api, fixtureRepo, git, httpsGitUrl, trustArgs } from '../git/helpers.js';
import { startLoopbackRegistry } from '../support/npm-registry.js';

export interface PushTiming {
  readonly label: string;
  readonly deployedMs: number;
  readonly servingMs: number | undefined;
  /** Milliseconds from the start of the push to the first line of each phase. */
  readonly phases: ReadonlyArray<readonly [string, number]>;
}

const PHASES: ReadonlyArray<readonly [string, RegExp]> = [
  ['build', /-----> Building on the/],
  ['node', /-----> Installing binaries/],
  ['deps', /-----> Installing dependencies/],
  ['types', /-----> Discovering process types/],
  ['compress', /-----> Compressing\.\.\./],
  ['slug', / {7}Done: /],
  ['launch', /-----> Launching\.\.\./],
  ['released', /Released v\d+/],
  ['deployed', /deployed to Berth/],
  ['verified', /Verifying deploy\.\.\. done\./],
];

/** GET / through the router with the app's Host header (fetch does not send a Host of its own choosing; node:http does). */
function routerGet(daemon: TestDaemon, app: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(
      { host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${app}.localhost:${daemon.ports.router}` }, timeout: 2000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

/** The first 200 whose body contains `expected`, in ms since `startedAt`. */
async function firstOk(daemon: TestDaemon, app: string, expected: string, startedAt: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const { status, body } = await routerGet(daemon, app);
      if (status === 200 && body.includes(expected)) return performance.now() - startedAt;
    } catch {
      // not listening (yet)
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

/** `git push`, timing each phase's first `remote:` line as it arrives. */
function push(args: readonly string[], env: CliEnv, cwd: string, startedAt: number): Promise<{ code: number | null; stderr: string; phases: Array<readonly [string, number]> }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    const phases: Array<readonly [string, number]> = [];
    let stderr = '';
    let pending = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const at = performance.now() - startedAt;
      stderr += chunk;
      pending += chunk;
      const lines = pending.split(/[\r\n]/);
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const phase = PHASES.find(([, pattern]) => pattern.test(line));
        if (phase && !phases.some(([name]) => name === phase[0])) phases.push([phase[0], at]);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, phases }));
  });
}

let pushes = 0;

/** Gives server.js a new greeting (one changed file) and commits it; returns the greeting to wait for. */
async function changeGreeting(env: CliEnv, repo: string): Promise<string> {
  pushes += 1;
  const greeting = `Hello from node-basic, push ${pushes}`;
  const file = join(repo, 'server.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/'Hello from node-basic[^']*'/, `'${greeting}'`));
  await git(['commit', '--quiet', '-am', `push ${pushes}`], env, repo);
  return greeting;
}

async function timedPush(daemon: TestDaemon, env: CliEnv, repo: string, app: string, label: string, unchanged?: string): Promise<PushTiming> {
  const expected = unchanged ?? (await changeGreeting(env, repo));
  const started = performance.now();
  const result = await push([...trustArgs(daemon), 'push', '--force', httpsGitUrl(daemon, app, daemon.apiKey), 'main'], env, repo, started);
  const deployedMs = performance.now() - started;
  if (result.code !== 0) throw new Error(`${label}: push failed\n${result.stderr}`);
  const servingMs = await firstOk(daemon, app, expected, started, 30_000);
  return { label, deployedMs, servingMs, phases: result.phases };
}

/** Pushes node-basic: a first push on a fresh daemon, a first push of a second app, then `warmPushes` one-file changes. */
export async function runPushBench(warmPushes = Number(process.env["PUSH_BENCH_WARM"] ?? 3)): Promise<PushTiming[]> {
  const daemon = await startTestDaemon();
  try {
    const env = sandboxedCliEnv(daemon);
    const timings: PushTiming[] = [];
    const repo = await fixtureRepo(daemon, 'node-basic', env);
    timings.push(await timedPush(daemon, env, repo, 'bench-cold', 'first push, fresh daemon (host caches as found)'));
    const repo2 = await fixtureRepo(daemon, 'node-basic', env);
    timings.push(await timedPush(daemon, env, repo2, 'bench-warm', 'first push of a new app (host caches warm)'));
    for (let i = 1; i <= warmPushes; i += 1) {
      timings.push(await timedPush(daemon, env, repo2, 'bench-warm', `warm push ${i}, one changed file`));
    }
    return timings;
  } finally {
    await daemon.dispose();
  }
}

/**
 * First pushes of node-npm-deps (one dependency, one devDependency, `web: npm start`), each to a new app, with the
 * host-wide Node.js download cache warm and every package from a loopback registry (npm-registry.ts).
 */
export async function runNpmDepsPushBench(apps = Number(process.env['PUSH_BENCH_NPM_APPS'] ?? 2)): Promise<PushTiming[]> {
  const registry = await startLoopbackRegistry();
  const daemon = await startTestDaemon();
  try {
    const env = sandboxedCliEnv(daemon);
    const timings: PushTiming[] = [];
    for (let i = 1; i <= apps; i += 1) {
      const app = `bench-npm-${i}`;
      const created = await api(daemon, '/apps', { method: 'POST', body: { name: app } });
      if (created.status !== 201) throw new Error(`creating ${app}: ${created.status}`);
      await api(daemon, `/apps/${app}/config-vars`, { method: 'PATCH', body: { NPM_CONFIG_REGISTRY: registry.url } });
      const repo = await fixtureRepo(daemon, 'node-npm-deps', env);
      timings.push(await timedPush(daemon, env, repo, app, `first push ${i} of node-npm-deps (new app)`, 'Hello from node-npm-deps'));
    }
    return timings;
  } finally {
    await daemon.dispose();
    await registry.close();
  }
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '   n/a' : `${(ms / 1000).toFixed(2).padStart(6)} s`;
}

export function describePushBench(timings: readonly PushTiming[]): string {
  const rows = timings.map((t) => {
    const phases = t.phases.map(([name, at]) => `${name} ${(at / 1000).toFixed(2)}`).join(', ');
    return `  ${t.label.padEnd(48)} ${seconds(t.deployedMs)}   ${seconds(t.servingMs)}\n      phases @s: ${phases}`;
  });
  const summary: string[] = [];
  for (const [prefix, what, target] of [
    ['warm push', 'warm push to serving the new content', '3 s'],
    ['first push', 'first push of node-npm-deps to serving', '10 s'],
  ] as const) {
    const times = timings.filter((t) => t.label.startsWith(prefix) && t.label.includes(prefix === 'first push' ? 'node-npm-deps' : ''));
    const sorted = times.map((t) => t.servingMs ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
    if (sorted.length > 0) summary.push(`${what}: best ${seconds(sorted[0])}, median ${seconds(sorted[Math.floor((sorted.length - 1) / 2)])} (target ≤ ${target})`);
  }
  return ['push                                                deployed   serving the new content (router 200)', ...rows, ...summary].join('\n');
}
