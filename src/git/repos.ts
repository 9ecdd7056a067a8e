// Bare repositories, one per app, at `<BERTH_DATA>/repos/<appId>.git`: made on the first git request for the app,
// the pre-receive and post-receive hooks (re)installed each time, removed when the app is destroyed.
import { execFile } from 'node:child_process';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HOOK_SCRIPT } from './hook-script.js';

const exec = promisify(execFile);

export class Repos {
  readonly #root: string;
  readonly #nodePath: string;
  readonly #making = new Map<string, Promise<string>>();

  constructor(root: string, nodePath: string = process.execPath) {
    this.#root = root;
    this.#nodePath = nodePath;
  }

  path(appId: string): string {
    return join(this.#root, `${appId}.git`);
  }

  /** Creates the bare repo if needed and (re)writes its hook; concurrent callers share one run. */
  ensure(appId: string): Promise<string> {
    const running = this.#making.get(appId);
    if (running) return running;
    const made = this.#ensure(appId).finally(() => this.#making.delete(appId));
    this.#making.set(appId, made);
    return made;
  }

  async #ensure(appId: string): Promise<string> {
    const dir = this.path(appId);
    if (!(await exists(join(dir, 'HEAD')))) {
      await mkdir(this.#root, { recursive: true, mode: 0o700 });
      const temp = `${dir}.init-${process.pid}-${Date.now()}`;
      await git(['init', '--quiet', '--bare', '--initial-branch=main', temp]);
      for (const [key, value] of [
        ['http.receivepack', 'true'],
        ['http.uploadpack', 'true'],
        ['receive.denyNonFastForwards', 'false'],
        // The pre-receive hook decides: it refuses deletions except of a review app's branch (refs.ts).
        ['receive.denyDeletes', 'false'],
        ['core.logAllRefUpdates', 'false'],
        ['gc.autoDetach', 'false'],
      ] as const) {
        await git(['config', key, value], temp);
      }
      await rm(join(temp, 'hooks'), { recursive: true, force: true });
      try {
        await rename(temp, dir);
      } catch (error) {
        await rm(temp, { recursive: true, force: true });
        if (!(await exists(join(dir, 'HEAD')))) throw error;
      }
    } else {
      // Repos made before review apps denied deletions in git itself, before the hook could allow one.
      await git(['config', 'receive.denyDeletes', 'false'], dir);
    }
    await this.#installHook(dir);
    return dir;
  }

  async #installHook(dir: string): Promise<void> {
    const hooks = join(dir, 'hooks');
    await mkdir(hooks, { recursive: true });
    const script = join(hooks, 'berth-pre-receive.cjs');
    await writeFile(script, HOOK_SCRIPT);
    for (const hook of ['pre-receive', 'post-receive']) {
      const wrapper = join(hooks, hook);
      const temp = `${wrapper}.${process.pid}.tmp`;
      await writeFile(temp, `#!/bin/sh\nexec ${shellQuote(this.#nodePath)} ${shellQuote(script)} ${hook}\n`);
      await chmod(temp, 0o755);
      await rename(temp, wrapper);
    }
  }

  async remove(appId: string): Promise<void> {
    await rm(this.path(appId), { recursive: true, force: true });
  }

  /** The commit a branch points at in the (unquarantined) repo, or undefined when it does not exist. */
  async branchHead(appId: string, branch: string): Promise<string | undefined> {
    try {
      const { stdout } = await exec('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: this.path(appId) });
      return stdout.trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

async function git(args: string[], cwd?: string): Promise<void> {
  await exec('git', args, { cwd, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
