// Push-to-deployed timing: `git push` of the no-deps Node fixture (node-basic) to a real daemon, from the start of the
// push to its exit (the build, the release, `deployed to Berth`, `Verifying deploy... done.` and the ref update).
// The serving column polls the router (Host: <app>.localhost) for the first 200 after the push, when a router
// answers; until the dyno manager and router are wired it reads n/a.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxedCliEnv, startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { fixtureRepo, git, httpsGitUrl, runGit, trustArgs } from '../git/helpers.js';

export interface PushTiming {
  readonly label: string;
  readonly deployedMs: number;
  readonly servingMs: number | undefined;
}

async function firstOk(daemon: TestDaemon, app: string, startedAt: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${daemon.ports.router}/`, {
        headers: { host: `${app}.localhost:${daemon.ports.router}` },
        signal: AbortSignal.timeout(1000),
      });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - startedAt;
    } catch {
      // not listening (yet)
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

async function timedPush(daemon: TestDaemon, env: Record<string, string>, repo: string, app: string, label: string): Promise<PushTiming> {
  const started = performance.now();
  const push = await runGit([...trustArgs(daemon), 'push', '--force', httpsGitUrl(daemon, app, daemon.apiKey), 'main'], env, repo);
  const deployedMs = performance.now() - started;
  if (push.code !== 0) throw new Error(`${label}: push failed\n${push.stderr}`);
  // After a second push the old release may still answer 200 for a moment: this column is an upper bound on
  // "something serves", not proof the new release does.
  const servingMs = await firstOk(daemon, app, started, 20_000);
  return { label, deployedMs, servingMs };
}

export async function runPushBench(): Promise<PushTiming[]> {
  const daemon = await startTestDaemon();
  try {
    const env = sandboxedCliEnv(daemon);
    const timings: PushTiming[] = [];
    const repo = await fixtureRepo(daemon, 'node-basic', env);
    timings.push(await timedPush(daemon, env, repo, 'bench-cold', 'first push, fresh daemon (cold caches: Node.js download)'));
    const repo2 = await fixtureRepo(daemon, 'node-basic', env);
    timings.push(await timedPush(daemon, env, repo2, 'bench-warm', 'first push of a new app (host caches warm)'));
    writeFileSync(join(repo2, 'server.js'), `// one changed file\n${readFileSync(join(repo2, 'server.js'), 'utf8')}`);
    await git(['commit', '--quiet', '-am', 'one changed file'], env, repo2);
    timings.push(await timedPush(daemon, env, repo2, 'bench-warm', 'second push, one changed file'));
    return timings;
  } finally {
    await daemon.dispose();
  }
}

export function describePushBench(timings: readonly PushTiming[]): string {
  const rows = timings.map((t) => `  ${t.label.padEnd(58)} ${(t.deployedMs / 1000).toFixed(1).padStart(6)} s   ${t.servingMs === undefined ? '   n/a' : `${(t.servingMs / 1000).toFixed(1).padStart(6)} s`}`);
  return ['push (node-basic)                                           deployed   serving (router 200)', ...rows].join('\n');
}
