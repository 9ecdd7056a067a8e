// `berth up --ephemeral` (issue 16) driven the way a test suite in another language drives it: from a Node child
// process (its one JSON line; stdin closed, SIGTERM, and the daemon SIGKILLed, where its reaper cleans up) and from a
// stdlib-only Python script (fixtures/ephemeral-python).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, BERTH_MAIN, REPO_ROOT } from '../support/daemon.js';
import { eventually } from '../support/ports.js';

interface Ready {
  api_url: string;
  api_key: string;
  data_dir: string;
  router_url: string;
  ports: Record<string, number>;
  env: Record<string, string>;
  pid: number;
}

function hostEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^(BERTH_|HEROKU_)/.test(e[0])));
}

async function ephemeral(
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<{ child: ChildProcessWithoutNullStreams; ready: Ready; stdout: () => string; exited: Promise<number | null> }> {
  assertBuilt();
  const child = spawn(process.execPath, [BERTH_MAIN, 'up', '--ephemeral'], { env: { ...hostEnv(), ...extraEnv }, cwd: REPO_ROOT });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`berth up --ephemeral exited ${code}: ${err}`)));
  });
  return { child, ready: JSON.parse(line) as Ready, stdout: () => out, exited };
}

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function account(ready: Ready): Promise<number> {
  const response = await fetch(`${ready.api_url}/account`, { headers: { authorization: `Bearer ${ready.api_key}`, accept: 'application/vnd.heroku+json; version=3' } });
  await response.arrayBuffer();
  return response.status;
}

describe('berth up --ephemeral', () => {
  it('prints one JSON line with URLs, ports, key and env; closing its stdin removes the data dir, frees the ports and exits 0', async () => {
    const { child, ready, stdout, exited } = await ephemeral();
    expect(ready.api_url).toBe(`http://127.0.0.1:${ready.ports['api']}`);
    expect(ready.router_url).toBe(`http://{app}.localhost:${ready.ports['router']}`);
    expect(ready.env['HEROKU_API_KEY']).toBe(ready.api_key);
    expect(ready.env['HEROKU_GIT_HOST']).toBe(`127.0.0.1:${ready.ports['api_tls']}`);
    expect(ready.pid).toBe(child.pid);
    expect(await account(ready)).toBe(200);
    expect(existsSync(ready.data_dir)).toBe(true);

    child.stdin.end();
    expect(await exited).toBe(0);
    expect(stdout().trim().split('\n')).toHaveLength(1);
    expect(existsSync(ready.data_dir)).toBe(false);
    for (const port of Object.values(ready.ports)) expect(await listens(port)).toBe(false);
  });

  it('the first throwaway Berth on a machine caches its CA and leaf key; the next one starts with both', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'berth-xdg-cache-'));
    try {
      const tlsFiles = (dir: string) => ['ca.pem', 'ca-key.pem', 'leaf-key.pem'].map((file) => readFileSync(join(dir, file), 'utf8'));
      const first = await ephemeral({ XDG_CACHE_HOME: cache });
      const made = tlsFiles(join(first.ready.data_dir, 'tls'));
      expect(tlsFiles(join(cache, 'berth', 'ephemeral-ca'))).toEqual(made);
      first.child.stdin.end();
      expect(await first.exited).toBe(0);

      const second = await ephemeral({ XDG_CACHE_HOME: cache });
      expect(tlsFiles(join(second.ready.data_dir, 'tls'))).toEqual(made);
      expect(await account(second.ready)).toBe(200);
      second.child.stdin.end();
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('SIGTERM stops it the same way', async () => {
    const { child, ready, exited } = await ephemeral();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(ready.data_dir)).toBe(false);
  });

  it('SIGTERM while it is still starting: it exits 0 and leaves no data dir', async () => {
    assertBuilt();
    // A temp dir of its own: the harness files run in parallel, and other Berths make `berth-ephemeral-*` dirs too.
    const temp = mkdtempSync(join(tmpdir(), 'berth-ephemeral-test-'));
    const ours = () => readdirSync(temp).filter((name) => name.startsWith('berth-ephemeral-'));
    const child = spawn(process.execPath, [BERTH_MAIN, 'up', '--ephemeral'], { env: { ...hostEnv(), TMPDIR: temp }, cwd: REPO_ROOT });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Its data dir exists early in the start; the API is not up yet.
    try {
      await eventually(async () => expect(ours()).toHaveLength(1), 60_000, 5);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toBe('');
      expect(ours()).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      rmSync(temp, { recursive: true, force: true });
    }
  });

  it('killed with SIGKILL, its reaper removes what it left', async () => {
    const { child, ready, exited } = await ephemeral();
    child.kill('SIGKILL');
    await exited;
    await eventually(async () => expect(existsSync(ready.data_dir)).toBe(false), 60_000, 250);
  });

  it('a stdlib-only Python script drives it (fixtures/ephemeral-python)', async () => {
    assertBuilt();
    const script = join(REPO_ROOT, 'fixtures', 'ephemeral-python', 'check_berth.py');
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const python = spawn('python3', [script, process.execPath, BERTH_MAIN], { env: hostEnv(), cwd: REPO_ROOT });
      let out = '';
      python.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      python.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      python.once('exit', (code) => resolve({ code, out }));
    });
    expect(result.out).toContain('ok');
    expect(result.code).toBe(0);
  });
});
