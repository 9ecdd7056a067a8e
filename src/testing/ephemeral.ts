// Starts `berth up --ephemeral` (the cli entry, as a child process: DESIGN.md lets testing/ use only that) and reads
// its one JSON line. The child's stdin is a pipe from this process: however this process ends (stop(), a normal
// exit, a crash, SIGKILL of a test worker), the pipe closes and the child removes everything it made.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReadyLine } from '../contracts/ephemeral.js';

export type Timing = 'fast' | 'heroku';

export interface SpawnOptions {
  readonly timing: Timing;
  /** BERTH_* settings for the child; they win over the timing preset. */
  readonly settings: Readonly<Record<string, string | number>>;
  readonly readyTimeoutMs: number;
}

export interface EphemeralProcess {
  readonly ready: ReadyLine;
  /** The child's stderr so far (its warnings and errors). */
  output(): string;
  /** Closes the child's stdin and resolves when it has removed everything and exited. */
  stop(timeoutMs?: number): Promise<void>;
}

/** The built CLI: next to this file in dist/, or dist/ of the checkout when this runs from its TypeScript source. */
function cliMain(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const main = fileURLToPath(new URL(fromSource ? '../../dist/cli/main.js' : '../cli/main.js', import.meta.url));
  if (!existsSync(main)) throw new Error(`${main} does not exist: build Berth first (npm run build).`);
  return main;
}

/** The host's environment without Heroku, Berth or proxy variables: a test's Berth is configured only by `settings`. */
function childEnv(settings: Readonly<Record<string, string | number>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(HEROKU_|BERTH_)/.test(name) || /^(https?|all|no)_proxy$/i.test(name)) continue;
    env[name] = value;
  }
  // What the host's BERTH_* may say: the engine to use (shared by every Berth) and the npm registry builds use (a CI
  // machine's mirror, which every throwaway Berth of that machine should use too).
  for (const name of ['BERTH_DOCKER_HOST', 'BERTH_NPM_REGISTRY']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(settings)) env[name] = String(value);
  return env;
}

function parseReady(line: string): ReadyLine {
  const parsed = JSON.parse(line) as Partial<ReadyLine>;
  if (typeof parsed.api_url !== 'string' || typeof parsed.api_key !== 'string' || parsed.ports === undefined || parsed.env === undefined) {
    throw new Error(`berth up --ephemeral printed an unexpected line: ${line}`);
  }
  return parsed as ReadyLine;
}

export function spawnEphemeral(options: SpawnOptions): Promise<EphemeralProcess> {
  const child: ChildProcess = spawn(process.execPath, [cliMain(), 'up', '--ephemeral', '--timing', options.timing], {
    env: childEnv(options.settings),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-200_000);
  });
  child.stdin?.on('error', () => undefined);

  const stop = async (timeoutMs = 60_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const term = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs * 2);
    try {
      await exited;
    } finally {
      clearTimeout(term);
      clearTimeout(kill);
    }
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(5_000);
      reject(new Error(`berth up --ephemeral did not get ready within ${options.readyTimeoutMs} ms:\n${stderr}`));
    }, options.readyTimeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`berth up --ephemeral exited (${code ?? signal}) before it was ready:\n${stderr}`));
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      let ready: ReadyLine;
      try {
        ready = parseReady(stdout.slice(0, newline));
      } catch (error) {
        void stop(5_000);
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      // The child must not keep a test worker alive; its stdin pipe still ties its life to this process.
      child.unref();
      for (const stream of [child.stdout, child.stderr, child.stdin]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
      resolve({ ready, output: () => stderr, stop });
    });
  });
}
