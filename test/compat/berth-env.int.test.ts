// `berth env`: the lines that point the heroku CLI at Berth (reference: heroku-cli-and-api.md §0).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, BERTH_MAIN, parseExportLines, REPO_ROOT } from '../support/daemon.js';

const root = mkdtempSync(join(tmpdir(), 'berth-env-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function berthEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  assertBuilt();
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: root, BERTH_DATA: dataDir, ...extra };
  const result = spawnSync(process.execPath, [BERTH_MAIN, 'env'], { env, cwd: REPO_ROOT, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return parseExportLines(result.stdout);
}

function certificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

describe('berth env', () => {
  it('prints every variable the heroku CLI needs, from the BERTH_* settings', () => {
    const data = join(root, 'plain');
    const vars = berthEnv(data, { BERTH_API_PORT: '6100', BERTH_API_TLS_PORT: '6101' });
    expect(vars).toEqual({
      HEROKU_HOST: 'https://127.0.0.1:6101',
      HEROKU_API_KEY: readFileSync(join(data, 'api-key'), 'utf8').trim(),
      HEROKU_PARTICLEBOARD_URL: 'https://127.0.0.1:6101',
      HEROKU_GIT_HOST: '127.0.0.1:6101',
      HEROKU_DATA_HOST: '127.0.0.1',
      HEROKU_BUILDPACK_REGISTRY_URL: 'http://127.0.0.1:6100/buildpack-registry',
      NODE_EXTRA_CA_CERTS: join(data, 'tls', 'ca-bundle.pem'),
      DISABLE_TELEMETRY: 'true',
      HEROKU_SKIP_ANALYTICS: '1',
      HEROKU_DISABLE_AUTOUPDATE: '1',
      HEROKU_SKIP_NEW_VERSION_CHECK: 'true',
    });
    // Stable: the same key and values the second time.
    expect(berthEnv(data, { BERTH_API_PORT: '6100', BERTH_API_TLS_PORT: '6101' })).toEqual(vars);
  });

  it("the CA bundle keeps the host's NODE_EXTRA_CA_CERTS, also when run again after eval \"$(berth env)\"", () => {
    // A stand-in for the host's extra CA file: another Berth's CA certificate.
    const other = join(root, 'other');
    berthEnv(other);
    const hostCa = join(other, 'tls', 'ca.pem');
    const hostCert = certificates(readFileSync(hostCa, 'utf8'))[0] ?? '';
    expect(hostCert).not.toBe('');

    const data = join(root, 'bundle');
    const first = berthEnv(data, { NODE_EXTRA_CA_CERTS: hostCa });
    const bundlePath = first['NODE_EXTRA_CA_CERTS'] ?? '';
    const localCert = certificates(readFileSync(join(data, 'tls', 'ca.pem'), 'utf8'))[0] ?? '';
    expect(certificates(readFileSync(bundlePath, 'utf8'))).toEqual([localCert, hostCert]);

    // The user's shell now has NODE_EXTRA_CA_CERTS=<bundle> (eval "$(berth env)" in ~/.bashrc); they run
    // `berth env` (or `berth up`) again from that shell. The host's CA must stay in the bundle.
    const again = berthEnv(data, { NODE_EXTRA_CA_CERTS: bundlePath });
    expect(again['NODE_EXTRA_CA_CERTS']).toBe(bundlePath);
    // KNOWN BUG (reported; src/tls/bundle.ts skips NODE_EXTRA_CA_CERTS when it names the bundle itself and then
    // rewrites the bundle with only the local CA), so the host's extra CAs are silently dropped for every later
    // heroku CLI run from that shell. Fails until fixed.
    expect(certificates(readFileSync(bundlePath, 'utf8')), 'host CA dropped from the bundle after eval "$(berth env)"').toEqual([
      localCert,
      hostCert,
    ]);
  });
});
