// The real `heroku` CLI (v11) with the user's own certificates: certs:add, certs, certs:info, domains:update --cert,
// certs:update, certs:remove, certs:auto, certs:auto:enable; and what the router's HTTPS listener presents for the
// domain over a real TLS handshake (servername = the domain).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSigned, type TestCertificate } from '../support/certificates.js';
import { egressGuard } from '../support/egress.js';
import { runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';

let daemon: TestDaemon;
let env: CliEnv;
let dir: string;
let first: TestCertificate;
let renewed: TestCertificate;
let endpointName: string;

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env);
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

function files(name: string, cert: TestCertificate): [string, string] {
  const crt = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(crt, cert.certPem);
  writeFileSync(key, cert.keyPem);
  return [crt, key];
}

/** The certificate the router's HTTPS listener presents for `servername`. */
function presented(servername: string): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: daemon.ports.routerTls, servername, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve(peer);
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  daemon = await startTestDaemon();
  const guard = egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-')));
  env = sandboxedCliEnv(daemon, guard.env);
  dir = mkdtempSync(join(daemon.rootDir, 'certs-'));
  first = selfSigned(['www.example.test'], 'First Org');
  renewed = selfSigned(['www.example.test'], 'Renewed Org');
  expectCode(await heroku(['apps:create', 'crt']), 0);
});

afterAll(async () => {
  await daemon?.dispose();
});

describe('heroku certs against Berth', () => {
  it('certs says there are none yet', async () => {
    const result = await heroku(['certs', '-a', 'crt']);
    expectCode(result, 0);
    expect(result.stdout).toContain('crt has no SSL certificates.');
    expect(result.stdout).toContain('Use heroku certs:add CRT KEY to add one.');
  });

  it('certs:add refuses a key of another certificate with Heroku\'s 422', async () => {
    const [crt] = files('first', first);
    const [, otherKey] = files('renewed', renewed);
    const result = await heroku(['certs:add', crt, otherKey, '-a', 'crt']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Private key doesn't match the certificate.");
  });

  it('certs:add uploads the certificate and prints its details', async () => {
    const [crt, key] = files('first', first);
    const result = await heroku(['certs:add', crt, key, '-a', 'crt']);
    expectCode(result, 0);
    expect(result.stderr).toMatch(/Adding SSL certificate to (⬢ )?crt\.\.\. done/);
    expect(result.stdout).toContain('Certificate details:');
    expect(result.stdout).toMatch(/Common Name\(s\):\s+www\.example\.test/);
    expect(result.stdout).toMatch(/Subject:\s+\/C=US\/O=First Org\/CN=www\.example\.test/);
    expect(result.stdout).toContain('SSL certificate is self signed.');
    const list = await heroku(['certs', '-a', 'crt']);
    expectCode(list, 0);
    const row = list.stdout.split('\n').find((line) => line.includes('www.example.test'));
    expect(row, list.stdout).toBeDefined();
    endpointName = (row as string).trim().split(/\s+/)[0] as string;
    expect(endpointName).toMatch(/^[a-z]+-\d+$/);
    expect(row).toMatch(/False\s+SNI\s+0/);
  });

  it('domains:update --cert links a custom domain; the router then presents the user\'s certificate for it', async () => {
    expectCode(await heroku(['domains:add', 'www.example.test', '-a', 'crt']), 0);
    expect((await presented('www.example.test')).issuer.CN).toBe('Berth Local CA');
    const update = await heroku(['domains:update', 'www.example.test', '--cert', endpointName, '-a', 'crt']);
    expectCode(update, 0);
    expect(update.stderr).toContain(`Updating www.example.test to use ${endpointName} certificate... done`);
    const domains = await heroku(['domains', '-a', 'crt']);
    expect(domains.stdout).toMatch(new RegExp(`www\\.example\\.test\\s+CNAME\\s+crt\\.localhost\\s+${endpointName}`));
    const peer = await presented('www.example.test');
    expect(peer.subject.CN).toBe('www.example.test');
    expect(peer.issuer.O).toBe('First Org');
    // The app's own name still gets the local CA's.
    expect((await presented('crt.localhost')).issuer.CN).toBe('Berth Local CA');
    // A client that trusts the uploaded certificate verifies the handshake.
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: daemon.ports.routerTls, servername: 'www.example.test', ca: [first.certPem] }, () => {
        expect(socket.authorized).toBe(true);
        socket.end();
        resolve();
      });
      socket.on('error', reject);
    });
  });

  it('certs:info shows the certificate, with its domains on --show-domains', async () => {
    const info = await heroku(['certs:info', '-a', 'crt', '--show-domains']);
    expectCode(info, 0);
    expect(info.stderr).toContain(`Fetching SSL certificate ${endpointName} info for`);
    expect(info.stdout).toMatch(/Domain\(s\):\s+www\.example\.test/);
    expect(info.stdout).toMatch(/Issuer:\s+\/C=US\/O=First Org\/CN=www\.example\.test/);
  });

  it('certs:update replaces the certificate the router presents', async () => {
    const [crt, key] = files('renewed', renewed);
    const result = await heroku(['certs:update', crt, key, '-a', 'crt', '--confirm', 'crt']);
    expectCode(result, 0);
    expect(result.stdout).toContain('Updated certificate details:');
    expect(result.stdout).toMatch(/Subject:\s+\/C=US\/O=Renewed Org\/CN=www\.example\.test/);
    expect((await presented('www.example.test')).issuer.O).toBe('Renewed Org');
  });

  it('certs:auto reports the local CA as ACM; certs:auto:enable is accepted', async () => {
    expectCode(await heroku(['domains:add', 'api.example.test', '-a', 'crt']), 0);
    const auto = await heroku(['certs:auto', '-a', 'crt']);
    expectCode(auto, 0);
    expect(auto.stdout).toMatch(/=== Automatic Certificate Management is enabled on (⬢ )?crt/);
    expect(auto.stdout).toMatch(/api\.example\.test\s+OK/);
    const enable = await heroku(['certs:auto:enable', '-a', 'crt']);
    expectCode(enable, 0);
    expect(enable.stderr).toContain('Enabling Automatic Certificate Management... starting');
  });

  it('certs:remove removes it; the domain gets the local CA\'s certificate again', async () => {
    const result = await heroku(['certs:remove', '-a', 'crt', '--confirm', 'crt']);
    expectCode(result, 0);
    expect(result.stderr).toContain(`Removing SSL certificate ${endpointName} from`);
    expect((await heroku(['certs', '-a', 'crt'])).stdout).toContain('crt has no SSL certificates.');
    expect((await presented('www.example.test')).issuer.CN).toBe('Berth Local CA');
  });
});
