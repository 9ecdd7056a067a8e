// `heroku run` attached (reference heroku-cli-and-api.md §5.3): the real CLI v11 reaches the rendezvous over TLS
// trusted through NODE_EXTRA_CA_CERTS, with a TTY (the default) and without (--no-tty), stdin piped and ended with
// EOT, and the exit status marker honoured by --exit-code. The dyno's start and end reach the app's log.
// `heroku run:inside web.1` runs a command in the running web dyno (the engine's exec), through the same rendezvous;
// with `heroku labs:enable log-runtime-metrics` that dyno writes Heroku's metrics lines from the engine's stats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, fixture, type AppJson } from '../support/build.js';
import { herokuWithInput, sandboxedCliEnv, startTestDaemon, type CliEnv, type TestDaemon } from '../support/daemon.js';
import { deploy, reportDeadDaemon, SHORT_TIMINGS, waitForDynos, waitForLines } from '../dynos/helpers.js';

let daemon: TestDaemon;
let env: CliEnv;
let app: AppJson;

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
    const result = await herokuWithInput(env, ['run', '-a', app.name, '--exit-code', '--', 'echo hello from $DYNO'], '');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/hello from run\.\d{4}/);
    expect(result.stderr).toMatch(/Running echo hello from \$DYNO on (⬢ )?\S+\.\.\. up, run\.\d{4}/);
  });

  it('pipes stdin without a TTY and ends it with EOT', async () => {
    const result = await herokuWithInput(env, ['run', '-a', app.name, '--no-tty', '--exit-code', '--', 'cat; echo done-$DYNO'], 'some input\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('some input\n');
    expect(result.stdout).toMatch(/done-run\.\d{4}/);
  });

  it('--exit-code exits with the process status', async () => {
    const result = await herokuWithInput(env, ['run', '-a', app.name, '--no-tty', '--exit-code', '--', 'echo about to fail; false'], '');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('about to fail');
    expect(result.stderr).toContain('Error: Process exited with code 1');
  });

  it("writes the one-off dyno's start and end to the app's log", async () => {
    await herokuWithInput(env, ['run', '-a', app.name, '--no-tty', '--', 'echo logged'], '');
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

describe('heroku run:inside', () => {
  it("runs a command inside the running web dyno and passes its exit status", async () => {
    const [web] = await waitForDynos(daemon, app.name, ['web.1'], 'up');
    const ok = await herokuWithInput(env, ['run:inside', 'web.1', '-a', app.name, '--exit-code', '--', 'echo hi from $DYNO; test -f /app/web.py'], '');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('hi from web.1');
    const failed = await herokuWithInput(env, ['run:inside', 'web.1', '-a', app.name, '--exit-code', '--', 'echo failing; (exit 7)'], '');
    expect(failed.code).toBe(7);
    expect(failed.stdout).toContain('failing');
    // The dyno itself was not touched.
    const [after] = await waitForDynos(daemon, app.name, ['web.1'], 'up');
    expect(after?.id).toBe(web?.id);
  });

  it('pipes stdin into the command', async () => {
    const result = await herokuWithInput(env, ['run:inside', 'web.1', '-a', app.name, '--exit-code', '--', 'tr a-z A-Z'], 'piped words\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('PIPED WORDS');
  });
});

describe('heroku labs:enable log-runtime-metrics', () => {
  it("makes the running web dyno write Heroku's memory and load lines", async () => {
    const enabled = await herokuWithInput(env, ['labs:enable', 'log-runtime-metrics', '-a', app.name], '');
    expect(enabled.code, enabled.stderr).toBe(0);
    const [web] = await waitForDynos(daemon, app.name, ['web.1'], 'up');
    const dyno = `heroku\\.${app.id}\\.${web?.id ?? ''}`;
    await waitForLines(daemon, app.id, [
      new RegExp(`^heroku\\[web\\.1\\]: source=web\\.1 dyno=${dyno} sample#load_avg_1m=\\d+\\.\\d\\d sample#load_avg_5m=\\d+\\.\\d\\d sample#load_avg_15m=\\d+\\.\\d\\d$`),
      new RegExp(
        `^heroku\\[web\\.1\\]: source=web\\.1 dyno=${dyno} sample#memory_total=\\d+\\.\\d\\dMB sample#memory_rss=\\d+\\.\\d\\dMB sample#memory_cache=\\d+\\.\\d\\dMB ` +
          `sample#memory_swap=\\d+\\.\\d\\dMB sample#memory_pgpgin=\\d+pages sample#memory_pgpgout=\\d+pages sample#memory_quota=512\\.00MB$`,
      ),
    ]);
    const disabled = await herokuWithInput(env, ['labs:disable', 'log-runtime-metrics', '-a', app.name], '');
    expect(disabled.code, disabled.stderr).toBe(0);
  });
});
