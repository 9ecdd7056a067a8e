// Logplex with real dynos (fixtures/lifecycle on the real engine): dyno output and dyno-manager lines arrive in order
// with the right source and dyno, through log sessions, the real `heroku logs` and an HTTPS drain.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCa } from '../../src/tls/index.js';
import { fixture } from '../support/build.js';
import { HEROKU_BIN, runHeroku, sandboxedCliEnv, startTestDaemon, stripAnsi, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { egressGuard } from '../support/egress.js';
import { deploy, SHORT_TIMINGS, waitForDynos } from '../dynos/helpers.js';
import { openLogSession, readSse, startHttpDrainReceiver, type HttpDrainReceiver } from './support.js';

let daemon: TestDaemon;
let env: CliEnv;
let drain: HttpDrainReceiver;
const APP = 'dyno-logs';

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${daemon.apiUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${daemon.apiKey}`, Accept: 'application/vnd.heroku+json; version=3', 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

const strip = (lines: readonly string[]) => lines.map((line) => line.replace(/^\S+ /, ''));

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS } });
  env = sandboxedCliEnv(daemon, egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-'))).env);
  await api('POST', '/apps', { name: APP });
  const ca = await ensureCa(daemon.dataDir);
  drain = await startHttpDrainReceiver(ca.issue({ ipAddresses: ['127.0.0.1'] }));
  await api('POST', `/apps/${APP}/log-drains`, { url: drain.url });
  await deploy(daemon, APP, fixture('lifecycle'));
  await waitForDynos(daemon, APP, ['web.1'], 'up', { exact: true });
});

afterAll(async () => {
  await drain?.close();
  await daemon?.dispose();
});

describe('dyno lines through logplex', () => {
  it('a session for web.1 has the dyno manager and the process lines, in order', async () => {
    const read = await readSse(await openLogSession(daemon.apiUrl, daemon.apiKey, APP, { dyno: 'web.1', lines: 1500 }));
    const lines = strip(read.lines);
    const starting = lines.indexOf('heroku[web.1]: Starting process with command `python3 web.py`');
    const boot = lines.findIndex((l) => l.startsWith('app[web.1]: web.py boot DYNO=web.1 '));
    const up = lines.indexOf('heroku[web.1]: State changed from starting to up');
    expect(starting, lines.join('\n')).toBeGreaterThanOrEqual(0);
    expect(boot, lines.join('\n')).toBeGreaterThan(starting);
    expect(up, lines.join('\n')).toBeGreaterThan(starting);
    expect(lines.every((l) => /^(app|heroku)\[web\.1\]: /.test(l))).toBe(true);
  });

  it('heroku logs -d web.1, -p web, -s heroku and -s app -p web', async () => {
    const run = async (...args: string[]) => {
      const result = await runHeroku(['logs', '-n', '200', ...args, '-a', APP], env, { timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
      return strip(result.stdout.trim().split('\n').filter((l) => l !== ''));
    };
    const web1 = await run('-d', 'web.1');
    expect(web1).toContain('heroku[web.1]: State changed from starting to up');
    expect(web1.some((l) => l.startsWith('app[web.1]: web.py boot '))).toBe(true);
    expect(await run('-p', 'web')).toEqual(web1);
    const heroku = await run('-s', 'heroku');
    expect(heroku.length).toBeGreaterThan(0);
    expect(heroku.every((l) => l.startsWith('heroku['))).toBe(true);
    const appWeb = await run('-s', 'app', '-p', 'web');
    expect(appWeb.every((l) => l.startsWith('app[web.'))).toBe(true);
    expect(appWeb.length).toBeGreaterThan(0);
  });

  it('heroku logs --tail -d web.1 sees a restart live', async () => {
    const child = spawn(HEROKU_BIN, ['logs', '--tail', '-n', '1', '-d', 'web.1', '-a', APP], { env: { ...env, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const until = async (predicate: () => boolean, what: string) => {
      const deadline = Date.now() + 120_000;
      while (!predicate()) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`waiting for ${what}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    try {
      await until(() => stripAnsi(stdout).trim().split('\n').length >= 1 && /\[web\.1\]/.test(stdout), 'the history line');
      const before = stripAnsi(stdout).length;
      await api('DELETE', `/apps/${APP}/dynos/web.1`);
      await until(() => /heroku\[web\.1\]: State changed from starting to up/.test(stripAnsi(stdout).slice(before)), 'the restart');
      const live = strip(stripAnsi(stdout).slice(before).trim().split('\n'));
      expect(live).toContain('heroku[web.1]: Restarting');
      expect(live.some((l) => l.startsWith('app[web.1]: web.py boot '))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('the HTTPS drain received the dyno lines as logplex frames them', async () => {
    const messages = await drain.waitFor((m) => m.some((x) => / host heroku web\.1 - State changed from starting to up$/.test(x)), 60_000);
    expect(messages.some((x) => /^<190>1 \S+ host app web\.1 - web\.py boot DYNO=web\.1 /.test(x))).toBe(true);
    expect(messages.some((x) => /^<134>1 \S+ host heroku web\.1 - State changed from starting to up$/.test(x))).toBe(true);
    expect(messages.some((x) => /^<133>1 \S+ host app api - Deploy [0-9a-f]{7,8} by user /.test(x))).toBe(true);
  });
});
