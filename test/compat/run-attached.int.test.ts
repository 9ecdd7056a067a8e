// `heroku run` attached (reference heroku-cli-and-api.md §5.3): the real CLI v11 reaches the rendezvous over TLS
// trusted through NODE_EXTRA_CA_CERTS, with a TTY (the default) and without (--no-tty), stdin piped and ended with
// EOT, and the exit status marker honoured by --exit-code. The dyno's start and end reach the app's log.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, fixture, type AppJson } from '../support/build.js';
import { HEROKU_BIN, sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { deploy, reportDeadDaemon, SHORT_TIMINGS, waitForLines } from '../dynos/helpers.js';

let daemon: TestDaemon;
let env: CliEnv;
let app: AppJson;

/** Runs the heroku CLI with `input` on its stdin (a pipe, not a terminal). */
function herokuWithInput(args: readonly string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(HEROKU_BIN, args, { env: { FORCE_COLOR: '0', NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

beforeAll(async () => {
  daemon = await startTestDaemon({ env: SHORT_TIMINGS });
  env = sandboxedCliEnv(daemon);
  app = await createApp(daemon, 'run');
  await deploy(daemon, app.name, fixture('lifecycle'));
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

describe('heroku run (attached)', () => {
  it('runs with a TTY, prints the output and exits 0', async () => {
    const result = await herokuWithInput(['run', '-a', app.name, '--exit-code', '--', 'echo hello from $DYNO'], '');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/hello from run\.\d{4}/);
    expect(result.stderr).toMatch(/Running echo hello from \$DYNO on (⬢ )?\S+\.\.\. up, run\.\d{4}/);
  });

  it('pipes stdin without a TTY and ends it with EOT', async () => {
    const result = await herokuWithInput(['run', '-a', app.name, '--no-tty', '--exit-code', '--', 'cat; echo done-$DYNO'], 'some input\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('some input\n');
    expect(result.stdout).toMatch(/done-run\.\d{4}/);
  });

  it('--exit-code exits with the process status', async () => {
    const result = await herokuWithInput(['run', '-a', app.name, '--no-tty', '--exit-code', '--', 'echo about to fail; false'], '');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('about to fail');
    expect(result.stderr).toContain('Error: Process exited with code 1');
  });

  it("writes the one-off dyno's start and end to the app's log", async () => {
    await herokuWithInput(['run', '-a', app.name, '--no-tty', '--', 'echo logged'], '');
    await waitForLines(daemon, app.id, [
      /^app\[api\]: Starting process with command `echo logged` by user /,
      /^heroku\[run\.\d{4}\]: Awaiting client$/,
      /^heroku\[run\.\d{4}\]: Starting process with command `echo logged`$/,
      /^heroku\[run\.\d{4}\]: State changed from starting to up$/,
      /^heroku\[run\.\d{4}\]: Process exited with status 0$/,
      /^heroku\[run\.\d{4}\]: State changed from up to complete$/,
    ]);
  });
});
