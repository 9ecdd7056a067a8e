import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from '../../src/host/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('runs holders one at a time and removes the lock afterwards', async () => {
    const lock = join(dir, 'x.lock');
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(lock, { timeoutMs: 5000 }, async () => {
        events.push(`${name}:in`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        events.push(`${name}:out`);
        return name;
      });
    expect(await Promise.all([holder('a'), holder('b')])).toEqual(['a', 'b']);
    // Either may win the race for the lock file; what matters is that they never overlap.
    const [first, second] = events[0] === 'a:in' ? ['a', 'b'] : ['b', 'a'];
    expect(events).toEqual([`${first}:in`, `${first}:out`, `${second}:in`, `${second}:out`]);
    await expect(readFile(lock)).rejects.toThrow();
  });

  it('takes over a lock whose owner is dead', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, '999999999\n');
    expect(await withFileLock(lock, { timeoutMs: 1000 }, async () => 'ok')).toBe('ok');
  });

  it('gives up on a live holder after the timeout, naming it', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, `${process.ppid}\n`);
    let waitedOn: number | undefined;
    await expect(
      withFileLock(lock, { timeoutMs: 300, onWait: (pid) => (waitedOn = pid) }, async () => 'never'),
    ).rejects.toThrow(/Timed out .*held by pid/);
    expect(waitedOn).toBe(process.ppid);
  });
});
