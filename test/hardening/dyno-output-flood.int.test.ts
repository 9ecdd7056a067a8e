// issue 11, item 1: a dyno that prints 600 MB without a newline must not take the daemon down. Its output becomes
// 10,000-byte lines (logplex's split), and the app's other dynos and the API keep answering.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, fixture, waitFor, type AppJson } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { deploy, dynos, fixtureCopy, getFromDyno, readLog, reportDeadDaemon, scale, SHORT_TIMINGS, waitForDynos } from '../dynos/helpers.js';

let daemon: TestDaemon;
let app: AppJson;

const FLOOD_BYTES = 600_000_000;
// `yes | tr -d` keeps the engine's own log file at 600 MB (zeros would be escaped six-fold in its JSON log).
const FLOOD = `flood: yes | tr -d '\\n' | head -c ${FLOOD_BYTES}; echo flood-done; sleep 3600`;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS } });
  app = await createApp(daemon, 'flood');
  const procfile = `${readFileSync(join(fixture('lifecycle'), 'Procfile'), 'utf8').trimEnd()}\n${FLOOD}\n`;
  await deploy(daemon, app.name, await fixtureCopy(daemon, 'lifecycle', { Procfile: procfile }));
  await waitForDynos(daemon, app.name, ['web.1'], 'up');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  await daemon?.dispose();
});

async function answers(d: TestDaemon): Promise<boolean> {
  return fetch(`${d.apiUrl}/account`, { signal: AbortSignal.timeout(5000) }).then(
    (response) => response.arrayBuffer().then(() => true),
    () => false,
  );
}

describe('a dyno printing 600 MB without a newline', () => {
  it('is logged in 10,000-byte lines while the daemon, the API and the other dynos keep answering', async () => {
    await scale(daemon, app.name, [{ type: 'flood', quantity: 1 }]);
    // Fail at once (with the daemon's output) if the daemon dies, instead of waiting for lines that never come.
    await waitFor(
      'app[flood.1]: flood-done',
      async () => {
        if (!(await answers(daemon))) throw new Error(`the daemon died:\n${daemon.output().slice(-4000)}`);
        return readLog(daemon, app.id).rows.some((row) => row.dyno === 'flood.1' && row.message.endsWith('flood-done'));
      },
      600_000,
    );
    // The log keeps the last 1,500 lines: all of them are the flood's now.
    const log = readLog(daemon, app.id);
    const floodLines = log.rows.filter((row) => row.dyno === 'flood.1' && row.source === 'app' && row.message.startsWith('y'));
    expect(floodLines.length).toBeGreaterThan(0);
    expect(floodLines.every((row) => Buffer.byteLength(row.message) <= 10_000)).toBe(true);
    expect(floodLines.slice(0, -1).every((row) => row.message.length === 10_000)).toBe(true);

    const list = await dynos(daemon, app.name);
    expect(list.find((d) => d.name === 'web.1')?.state).toBe('up');
    expect(list.find((d) => d.name === 'flood.1')?.state).toBe('up');
    expect(await getFromDyno(app.id, 'web.1')).toMatch(/^DYNO=web\.1 /);
    expect(daemon.output()).not.toMatch(/Invalid string length/);
  });
});
