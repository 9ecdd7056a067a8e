// Stopping a local swarm (unit tier: no engine is started): a stale pid file must not stop whatever process took its pid.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stopLocalSwarm } from '../../src/runtime/swarm/cluster.js';

describe('stopLocalSwarm', () => {
  it('leaves a process that is no dockerd alone, though a stale docker.pid names its pid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-swarm-stale-'));
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await mkdir(join(dir, 'manager'), { recursive: true });
      await writeFile(join(dir, 'manager', 'docker.pid'), `${other.pid}\n`);
      await stopLocalSwarm(dir, ['manager'], { removeData: false });
      expect(other.exitCode).toBeNull();
      expect(other.signalCode).toBeNull();
      expect(process.kill(other.pid ?? 0, 0)).toBe(true);
    } finally {
      other.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
