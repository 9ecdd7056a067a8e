// issue 11, item 8: source blobs are not kept forever. A blob goes a grace period after its build (a short one
// here), and its GET URL then answers 404.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, fixture, runBuild, tarDirectory, uploadSource, waitFor, type AppJson } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';

let daemon: TestDaemon;
let app: AppJson;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { BERTH_SOURCE_GRACE_SECONDS: '1' } });
  app = await createApp(daemon, 'blobs');
});

afterAll(async () => {
  await daemon?.dispose();
});

async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

const blobFiles = () => readdirSync(join(daemon.dataDir, 'sources')).filter((name) => name.endsWith('.tgz'));

describe('source blob lifetime', () => {
  it('a blob is deleted a grace period after its build, and its URL answers 404', async () => {
    const url = await uploadSource(daemon, await tarDirectory(fixture('python-stdlib')));
    expect(await status(url)).toBe(200);
    expect(blobFiles()).toHaveLength(1);
    const run = await runBuild(daemon, app.name, url);
    expect(run.build.status, run.output).toBe('succeeded');
    await waitFor('the blob to be deleted', async () => (await status(url)) === 404, 60_000);
    expect(blobFiles()).toEqual([]);
  });
});
