// The registry Berth runs for a swarm: Debian's docker-registry, supervised (started again when it exits), stopped
// on request. Its config and storage stay in its directory.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRegistry } from '../../src/runtime/index.js';
import { waitFor } from '../support/build.js';
import { freePort } from '../support/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function answers(address: string): Promise<boolean> {
  return fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(2000) }).then(
    (response) => response.status === 200,
    () => false,
  );
}

describe('the swarm registry (docker-registry)', () => {
  it('answers, is started again after it exits, and stops for good when asked', async () => {
    const restarts: (number | null)[] = [];
    const registry = await startRegistry({ dir, address: `127.0.0.1:${await freePort()}`, onRestart: (code) => restarts.push(code) });
    expect(await answers(registry.address)).toBe(true);
    expect(existsSync(join(dir, 'config.yml'))).toBe(true);
    const first = registry.pid() as number;
    process.kill(first, 'SIGKILL');
    await waitFor('the registry to be started again', async () => registry.pid() !== first && (await answers(registry.address)));
    expect(restarts).toEqual([null]);
    await registry.stop();
    expect(await answers(registry.address)).toBe(false);
    expect(restarts).toHaveLength(1);
  });

  it('stops a registry a killed supervisor left running on the same directory before starting its own', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const first = await startRegistry({ dir, address });
    const orphan = first.pid() as number;
    // The supervisor dies without stopping it (a daemon killed with SIGKILL): a second one takes over the directory.
    const second = await startRegistry({ dir, address });
    expect(second.pid()).not.toBe(orphan);
    expect(await answers(address)).toBe(true);
    await waitFor('the orphan to be gone', () => !existsSync(`/proc/${orphan}`) || readFileSync(`/proc/${orphan}/stat`, 'utf8').includes(') Z'));
    await second.stop();
    await first.stop();
  });

  it("fails to start when someone else's registry already answers on its address", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const other = await startRegistry({ dir: join(dir, 'other'), address });
    try {
      await expect(startRegistry({ dir: join(dir, 'mine'), address })).rejects.toThrow(/before it answered/);
      expect(await answers(address)).toBe(true);
    } finally {
      await other.stop();
    }
  });
});
