import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSniCallback,
  createSniHandler,
  ensureCa,
  ensureCaBundle,
  type LocalCa,
} from '../../src/tls/index.js';
import { selfSigned } from '../support/certificates.js';

let dataDir: string;
const servers: tls.Server[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
});

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => new Promise<void>((res) => s.close(() => res()))),
  );
  await rm(dataDir, { recursive: true, force: true });
});

async function listen(options: tls.TlsOptions): Promise<number> {
  const server = tls.createServer(options, (socket) => socket.end('hello'));
  servers.push(server);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  return (server.address() as AddressInfo).port;
}

interface ConnectResult {
  authorized: boolean;
  authorizationError: string | undefined;
  peer: tls.PeerCertificate;
  data: string;
}

function connect(port: number, opts: tls.ConnectionOptions): Promise<ConnectResult> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
    let data = '';
    socket.on('secureConnect', () => {
      const result = {
        authorized: socket.authorized,
        authorizationError:
          socket.authorizationError === null ? undefined : String(socket.authorizationError),
        peer: socket.getPeerCertificate(),
      };
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (data += chunk));
      socket.on('end', () => resolve({ ...result, data }));
    });
    socket.on('error', reject);
  });
}

describe('ensureCa', () => {
  it('creates the CA once and reuses it', async () => {
    const first = await ensureCa(dataDir);
    const second = await ensureCa(dataDir);
    expect(second.fingerprint256).toBe(first.fingerprint256);
    expect(second.certPem).toBe(first.certPem);
    expect(first.certPath).toBe(join(dataDir, 'tls', 'ca.pem'));
    expect(await readFile(first.certPath, 'utf8')).toBe(first.certPem);

    const cert = new X509Certificate(first.certPem);
    expect(cert.subject).toContain('CN=Berth Local CA');
    expect(cert.ca).toBe(true);
    const years = (Date.parse(cert.validTo) - Date.now()) / (365 * 24 * 3600 * 1000);
    expect(years).toBeGreaterThan(9.9);

    expect((await stat(join(dataDir, 'tls', 'ca-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'tls'))).mode & 0o777).toBe(0o700);
  });

  it('converges on one CA when called concurrently', async () => {
    // Three contenders race for the key and then for the certificate (each generates an RSA key: more only cost
    // seconds on a loaded machine, they do not test more).
    const cas = await Promise.all(Array.from({ length: 3 }, () => ensureCa(dataDir)));
    const fingerprints = new Set(cas.map((ca) => ca.fingerprint256));
    expect(fingerprints.size).toBe(1);
    const again = await ensureCa(dataDir);
    expect(fingerprints.has(again.fingerprint256)).toBe(true);
  });

  it('completes a CA whose certificate is missing (crash between key and cert)', async () => {
    const first = await ensureCa(dataDir);
    await rm(first.certPath);
    const second = await ensureCa(dataDir);
    expect(second.fingerprint256).not.toBe(first.fingerprint256);
    const leaf = new X509Certificate(second.issue({ dnsNames: ['localhost'] }).certPem);
    expect(leaf.verify(new X509Certificate(first.certPem).publicKey)).toBe(true);
  });
});

describe('issue', () => {
  let ca: LocalCa;
  beforeEach(async () => {
    ca = await ensureCa(dataDir);
  });

  it('issues a server certificate for 127.0.0.1 and localhost that verifies', async () => {
    const issued = ca.issue({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const leaf = new X509Certificate(issued.certPem);
    expect(leaf.subjectAltName).toContain('DNS:localhost');
    expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(new X509Certificate(ca.certPem))).toBe(true);

    const port = await listen({ cert: issued.certPem, key: issued.keyPem });
    const byIp = await connect(port, { ca: [ca.certPem] });
    expect(byIp.authorizationError).toBeUndefined();
    expect(byIp.authorized).toBe(true);
    expect(byIp.data).toBe('hello');
    const byName = await connect(port, { ca: [ca.certPem], servername: 'localhost' });
    expect(byName.authorized).toBe(true);

    // Without the CA the same certificate is not trusted.
    const untrusted = await connect(port, {});
    expect(untrusted.authorized).toBe(false);
  });

  it('reuses one leaf key and random serials', () => {
    const a = ca.issue({ dnsNames: ['a.localhost'] });
    const b = ca.issue({ dnsNames: ['b.localhost'] });
    expect(a.keyPem).toBe(b.keyPem);
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(
      new X509Certificate(b.certPem).serialNumber,
    );
  });

  it('rejects invalid names and empty requests', () => {
    expect(() => ca.issue({})).toThrow();
    expect(() => ca.issue({ dnsNames: ['bad name'] })).toThrow();
    expect(() => ca.issue({ ipAddresses: ['999.1.1.1'] })).toThrow();
  });
});

describe('SNI', () => {
  it('mints a certificate per server name that passes checkServerIdentity', async () => {
    const ca = await ensureCa(dataDir);
    const handler = createSniHandler(ca);
    const port = await listen({
      cert: handler.fallback.certPem,
      key: handler.fallback.keyPem,
      SNICallback: handler.SNICallback,
    });
    const res = await connect(port, {
      ca: [ca.certPem],
      servername: 'Demo.Localhost',
      checkServerIdentity: (host, cert) => tls.checkServerIdentity(host, cert),
    });
    expect(res.authorized).toBe(true);
    expect(res.peer.subjectaltname).toBe('DNS:demo.localhost');
    expect(tls.checkServerIdentity('demo.localhost', res.peer)).toBeUndefined();
    expect(tls.checkServerIdentity('other.localhost', res.peer)).toBeInstanceOf(Error);

    // Cached: a second handshake reuses the context.
    await connect(port, { ca: [ca.certPem], servername: 'demo.localhost' });
    expect(handler.size).toBe(1);

    // No SNI (connecting to an IP): the fallback certificate, valid for 127.0.0.1.
    const noSni = await connect(port, { ca: [ca.certPem] });
    expect(noSni.authorized).toBe(true);
  });

  it('rejects junk server names', async () => {
    const ca = await ensureCa(dataDir);
    const sni = createSniCallback(ca);
    const outcome = (name: string) =>
      new Promise<{ err: Error | null; ok: boolean }>((res) =>
        sni(name, (err, ctx) => res({ err, ok: ctx !== undefined })),
      );
    for (const junk of ['', 'a b', 'x'.repeat(300), 'evil/../x', '-bad.localhost', 'a..b', 'ü.localhost']) {
      const r = await outcome(junk);
      expect(r.ok, junk).toBe(false);
      expect(r.err, junk).toBeInstanceOf(Error);
    }
    expect((await outcome('ok.localhost')).ok).toBe(true);

    // Over a real handshake, junk SNI fails the connection.
    const port = await listen({ SNICallback: sni });
    await expect(
      connect(port, { ca: [ca.certPem], servername: 'bad_name!.localhost' }),
    ).rejects.toThrow();
  });

  it('bounds the cache and honours allow', async () => {
    const ca = await ensureCa(dataDir);
    const handler = createSniHandler(ca, {
      maxEntries: 2,
      allow: (name) => name.endsWith('.localhost'),
    });
    for (const n of ['a', 'b', 'c']) expect(handler.contextFor(`${n}.localhost`)).toBeDefined();
    expect(handler.size).toBe(2);
    expect(handler.contextFor('example.com')).toBeUndefined();
  });
});

describe('createSniHandler own', () => {
  it('serves the user\'s own certificate for a name that has one, the CA\'s for the others', async () => {
    const ca = await ensureCa(dataDir);
    const mine = selfSigned(['www.example.test']);
    const handler = createSniHandler(ca, {
      allow: (name) => name.endsWith('.localhost'),
      own: (name) => (name === 'www.example.test' ? tls.createSecureContext({ cert: mine.certPem, key: mine.keyPem }) : undefined),
    });
    const port = await listen({ cert: handler.fallback.certPem, key: handler.fallback.keyPem, SNICallback: handler.SNICallback });
    const own = await connect(port, { servername: 'www.example.test' });
    expect(own.peer.subject.CN).toBe('www.example.test');
    expect(own.peer.issuer.O).toBe('Example Test');
    const trusted = await connect(port, { servername: 'www.example.test', ca: [mine.certPem] });
    expect(trusted.authorized).toBe(true);
    const minted = await connect(port, { servername: 'demo.localhost', ca: [ca.certPem] });
    expect(minted.authorized).toBe(true);
    expect(minted.peer.issuer.CN).toBe('Berth Local CA');
  });
});

describe('ensureCaBundle', () => {
  it('puts the local CA first, then the extra CAs, and never includes itself', async () => {
    const ca = await ensureCa(dataDir);
    const other = await ensureCa(join(dataDir, 'other'));
    const extraPath = join(dataDir, 'extra.pem');
    await writeFile(extraPath, other.certPem);

    const bundle = await ensureCaBundle(dataDir, ca, { NODE_EXTRA_CA_CERTS: extraPath });
    expect(bundle).toBe(join(dataDir, 'tls', 'ca-bundle.pem'));
    const text = await readFile(bundle, 'utf8');
    expect(text.startsWith(ca.certPem.trim())).toBe(true);
    expect(text).toContain(other.certPem.trim());

    // Pointing NODE_EXTRA_CA_CERTS at the bundle itself (a shell that ran `eval "$(berth env)"`) neither nests it
    // nor drops the extra CAs it already holds.
    await ensureCaBundle(dataDir, ca, { NODE_EXTRA_CA_CERTS: bundle });
    expect(await readFile(bundle, 'utf8')).toBe(text);

    await ensureCaBundle(dataDir, ca, {});
    expect(await readFile(bundle, 'utf8')).toBe(`${ca.certPem.trim()}\n`);
  });
});
