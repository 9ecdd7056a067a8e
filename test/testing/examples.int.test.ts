// The example projects under examples/ (README "Berth inside test suites") are real test suites: each runs here under
// its own test runner, as a user would run it, and must pass. They import `berth/testing` by the package's name,
// which Node, jest and vitest resolve from inside the checkout (a package may import itself through its `exports`).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertBuilt, REPO_ROOT } from '../support/daemon.js';

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** The host's environment without this vitest run's own variables (a nested runner must not take itself for a worker). */
function runnerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(VITEST|HEROKU_|BERTH_)/.test(name) || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  return { ...env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
}

/** `npm run <script>`: the examples' package.json scripts, what CI and a user run. */
function run(script: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script], { cwd: REPO_ROOT, env: runnerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

// Concurrently: three Berths side by side, each from its own runner process.
describe.concurrent('example projects', () => {
  it('examples/jest passes under jest (ESM mode)', async () => {
    assertBuilt();
    const { code, output } = await run('example:jest');
    expect(output).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(code, output).toBe(0);
  });

  it('examples/vitest passes under vitest', async () => {
    assertBuilt();
    const { code, output } = await run('example:vitest');
    expect(output).toMatch(/Tests\s+2 passed \(2\)/);
    expect(code, output).toBe(0);
  });

  it('examples/python passes under unittest (standard library only, `berth up --ephemeral`)', async () => {
    assertBuilt();
    const { code, output } = await run('example:python');
    expect(output).toMatch(/Ran 2 tests in [\d.]+s\s+OK/);
    expect(code, output).toBe(0);
  });
});
