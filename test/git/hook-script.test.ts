// The pre-receive hook sends its per-push token to the daemon over TLS, verified against the local CA (issue 11:
// dynos share the host's network, so nothing secret may cross loopback in cleartext).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_SCRIPT } from '../../src/git/hook-script.js';
import { ensureCa } from '../../src/tls/index.js';

let dir: string;
let server: Server;
let caFile: string;
let base: string;
const tokens: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-hook-'));
  const ca = await ensureCa(join(dir, 'data'));
  caFile = ca.certPath;
  const cert = ca.issue({ ipAddresses: ['127.0.0.1'] });
  server = createServer({ key: cert.keyPem, cert: cert.certPem }, (request, response) => {
    tokens.push(String(request.headers['x-berth-push-token']));
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: true, lines: ['planned over TLS'], archive: null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}/internal/git/pushes`;
  writeFileSync(join(dir, 'hook.cjs'), HOOK_SCRIPT);
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function runHook(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'hook.cjs')], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.end(`${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/main\n`);
  });
}

describe('the push hook', () => {
  it('sends its token over HTTPS, trusting the local CA named in BERTH_PUSH_CA', async () => {
    const result = await runHook({ BERTH_PUSH_URL: base, BERTH_PUSH_TOKEN: 'push-token-1', BERTH_PUSH_CA: caFile });
    expect(result.stdout).toContain('planned over TLS');
    expect(result.code).toBe(0);
    expect(tokens).toContain('push-token-1');
  });

  it('does not talk to a server whose certificate the local CA did not sign', async () => {
    const result = await runHook({ BERTH_PUSH_URL: base, BERTH_PUSH_TOKEN: 'push-token-2' });
    expect(result.code).toBe(1);
    expect(tokens).not.toContain('push-token-2');
  });
});
