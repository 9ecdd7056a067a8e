// `berth watch` (issue 16) on the real engine: edit a file and the router serves the new content; break the build and
// the last release keeps serving, and watch says so; a .gitignore'd file never triggers a build; Ctrl-C exits 0.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBerth, type Berth } from '../../src/testing/index.js';
import { assertBuilt, BERTH_MAIN, REPO_ROOT } from '../support/daemon.js';
import { eventually } from '../support/ports.js';

let berth: Berth | undefined;
const dir = mkdtempSync(join(tmpdir(), 'berth-watch-'));
afterAll(async () => {
  await berth?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('berth watch', () => {
  it('redeploys on save, keeps the last release serving when a build fails, ignores .gitignore’d files, stops on Ctrl-C', async () => {
    assertBuilt();
    berth = await startBerth();
    const running = berth;
    cpSync(join(REPO_ROOT, 'fixtures', 'node-basic'), dir, { recursive: true });
    writeFileSync(join(dir, '.gitignore'), 'scratch.txt\n');
    const first = await running.deploy(dir, { app: 'watched' });
    expect(first.build.status, first.output).toBe('succeeded');
    await running.waitFor('watched');

    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^(BERTH_|HEROKU_)/.test(e[0]))),
      BERTH_DATA: running.dataDir,
      BERTH_API_PORT: String(running.ports.api),
      BERTH_API_TLS_PORT: String(running.ports.apiTls),
      BERTH_ROUTER_PORT: String(running.ports.router),
    };
    const watcher = spawn(process.execPath, [BERTH_MAIN, 'watch', dir, '-a', 'watched'], { env, cwd: dir });
    let out = '';
    watcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    watcher.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => watcher.once('exit', (code) => resolve(code)));
    try {
      await eventually(async () => expect(out).toContain(`Watching ${dir} for changes to watched`), 60_000, 100);

      // A .gitignore'd file: no build.
      writeFileSync(join(dir, 'scratch.txt'), 'notes');
      // A real edit: a new release serves the new body.
      const server = join(dir, 'server.js');
      writeFileSync(server, readFileSync(server, 'utf8').replace('Hello from node-basic', 'Hello from watch v2'));
      await eventually(async () => expect(await (await running.fetch('watched')).text()).toContain('Hello from watch v2'), 240_000, 500);
      expect(out.match(/Change detected/g)).toHaveLength(1);
      expect(out).toContain('-----> Node.js app detected');
      expect(out).toMatch(/Released v4/);

      // A broken build: the failure shows, v4 keeps serving.
      writeFileSync(join(dir, 'package.json'), '{ not json');
      await eventually(async () => expect(out).toContain(' !     Build failed: v4 is still serving. Watching for the next change.'), 240_000, 500);
      expect(await (await running.fetch('watched')).text()).toContain('Hello from watch v2');
    } finally {
      watcher.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
