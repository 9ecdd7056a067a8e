// A lock file in the data dir, so two `berth setup`s (or a setup and a test run) never install the
// engine or build the stack images twice at once. The file holds the owner's pid: a lock whose
// owner is dead is stale and is taken over.
import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  readonly timeoutMs: number;
  /** Called once if we have to wait, so the caller can say why nothing happens. */
  readonly onWait?: (holderPid: number | undefined) => void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holder(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function tryAcquire(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export async function withFileLock<T>(path: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const deadline = Date.now() + options.timeoutMs;
  let warned = false;
  for (;;) {
    if (await tryAcquire(path)) break;
    const pid = await holder(path);
    // An empty file is a holder between open and write; only a dead pid makes the lock stale.
    if (pid !== undefined && (pid === process.pid ? false : !alive(pid))) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${options.timeoutMs / 1000} s waiting for lock ${path} (held by pid ${pid ?? 'unknown'})`);
    }
    if (!warned) {
      warned = true;
      options.onWait?.(pid);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
