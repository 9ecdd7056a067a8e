// `berth watch`'s loop (issue 16) against a stand-in Platform API on loopback: changes settle into one build; changes
// during a build queue exactly one more; .gitignore'd and .slugignore'd files never trigger one; a failed build says
// the last release still serves. (test/cli/watch.int.test.ts runs it against a real Berth.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/cli/client.js';
import { watch } from '../../src/cli/watch.js';
import { eventually } from '../support/ports.js';

interface Fake {
  readonly server: Server;
  readonly base: string;
  /** Builds created so far. */
  builds(): number;
  /** Ends build `n`'s output stream (the build ends, failed). */
  finish(n: number): void;
}

async function fakeApi(): Promise<Fake> {
  let count = 0;
  const finishers = new Map<number, () => void>();
  const finished = new Set<number>();
  let base = '';
  const server = createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = req.url ?? '';
    req.resume();
    if (req.method === 'POST' && url === '/sources') return json({ source_blob: { get_url: `${base}/blob`, put_url: `${base}/blob` } });
    if (req.method === 'PUT' && url === '/blob') return req.on('end', () => json({}));
    if (url.startsWith('/apps/a/releases')) return json([{ version: 3 }]);
    if (req.method === 'POST' && url === '/apps/a/builds') {
      count += 1;
      return json({ id: `b${count}`, status: 'pending', output_stream_url: `${base}/out/${count}`, release: null });
    }
    const out = /^\/out\/(\d+)$/.exec(url);
    if (out) {
      const n = Number(out[1]);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(`-----> build ${n}\n`);
      const end = () => res.end(' !     Push failed\n');
      if (finished.has(n)) end();
      else finishers.set(n, end);
      return;
    }
    const build = /^\/apps\/a\/builds\/b(\d+)$/.exec(url);
    if (build) return json({ id: `b${build[1]}`, status: 'failed', output_stream_url: '', release: null });
    res.writeHead(404).end();
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    base,
    builds: () => count,
    finish: (n) => {
      finished.add(n);
      finishers.get(n)?.();
    },
  };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('berth watch', () => {
  it('one build per settled change; changes during a build queue exactly one more; ignored files never build', async () => {
    const fake = await fakeApi();
    const dir = mkdtempSync(join(tmpdir(), 'berth-watch-unit-'));
    writeFileSync(join(dir, '.gitignore'), 'notes.txt\n');
    writeFileSync(join(dir, '.slugignore'), 'docs\n');
    writeFileSync(join(dir, 'server.js'), 'v1');
    const abort = new AbortController();
    cleanups.push(() => {
      abort.abort();
      fake.server.closeAllConnections();
      fake.server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    let out = '';
    const watching = watch(new ApiClient(fake.base, 'key'), { dir, app: 'a', settleMs: 50, out: { write: (text: string) => (out += text) }, signal: abort.signal });
    await eventually(async () => expect(out).toContain('Watching'), 10_000, 20);

    writeFileSync(join(dir, 'notes.txt'), 'ignored by .gitignore');
    writeFileSync(join(dir, 'docs'), 'ignored by .slugignore');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(fake.builds()).toBe(0);

    writeFileSync(join(dir, 'server.js'), 'v2');
    await eventually(async () => expect(fake.builds()).toBe(1), 10_000, 20);
    // Three saves while build 1 runs, each settling on its own.
    for (const version of ['v3', 'v4', 'v5']) {
      writeFileSync(join(dir, 'server.js'), version);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(fake.builds()).toBe(1);
    fake.finish(1);
    await eventually(async () => expect(fake.builds()).toBe(2), 10_000, 20);
    fake.finish(2);
    await eventually(async () => expect(out.match(/Build failed: v3 is still serving/g)).toHaveLength(2), 10_000, 20);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(fake.builds()).toBe(2);
    expect(out).toContain('-----> build 1\n');
    expect(out).toContain('-----> build 2\n');

    abort.abort();
    await watching;
  });
});
