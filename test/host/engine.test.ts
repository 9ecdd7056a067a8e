// ensureEngine with an engine that answers, and with a remote one that does not (Berth cannot start that).
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/contracts/progress.js';
import { ensureEngine, type LocalEngine } from '../../src/host/index.js';

let dataDir: string;
const said: string[] = [];
const progress: Progress = {
  step: (title) => {
    said.push(title);
    return () => undefined;
  },
  info: (message) => void said.push(message),
};

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'berth-host-'));
  said.length = 0;
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function engine(answers: boolean, socketPath: string | undefined): LocalEngine {
  return { where: socketPath === undefined ? 'tcp://127.0.0.2:2375' : `unix://${socketPath}`, socketPath, ping: async () => answers };
}

describe('ensureEngine', () => {
  it('does nothing when the engine answers', async () => {
    await ensureEngine({ dataDir }, engine(true, '/var/run/docker.sock'), progress);
    expect(said).toEqual([]);
    await expect(access(join(dataDir, 'engine.lock'))).rejects.toThrow();
  });

  it('names a remote engine that does not answer instead of trying to start one', async () => {
    await expect(ensureEngine({ dataDir }, engine(false, undefined), progress)).rejects.toThrow(
      'The Docker engine at tcp://127.0.0.2:2375 does not answer. Start it, or unset BERTH_DOCKER_HOST/DOCKER_HOST to let Berth start a local one.',
    );
    expect(said).toEqual([]);
  });
});
